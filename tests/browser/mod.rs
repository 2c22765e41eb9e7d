//! A real headless Chromium driven over WebDriver (fantoccini) for the web pages' tests.
//! `chromedriver` (Debian's `chromium-driver`) runs in its own process group, killed with the
//! browser when the test ends, even after a panic. `.ci/run` installs both packages.

#![allow(dead_code)]

use std::os::unix::process::CommandExt as _;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

/// Where Debian puts them.
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// chromedriver and the browser it starts; both stop when this is dropped.
pub struct Browser {
    pub client: Client,
    driver: Child,
}

impl Drop for Browser {
    fn drop(&mut self) {
        // The whole group: chromedriver and every Chromium process it started.
        let group = format!("-{}", self.driver.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.driver.wait();
    }
}

impl Browser {
    /// A headless Chromium with a window of `width` x `height`.
    pub async fn start(width: u32, height: u32) -> Browser {
        assert!(
            std::path::Path::new(CHROMEDRIVER).exists() && std::path::Path::new(CHROMIUM).exists(),
            "the web tests need Chromium and chromedriver: apt-get install chromium chromium-driver (.ci/run does)"
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("start chromedriver");
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("browserName".into(), json!("chrome"));
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": CHROMIUM,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         format!("--window-size={width},{height}"), "--hide-scrollbars", "--lang=en-US"],
            }),
        );
        let url = format!("http://127.0.0.1:{port}");
        let mut last = None;
        for _ in 0..150 {
            match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                .capabilities(capabilities.clone())
                .connect(&url)
                .await
            {
                Ok(client) => return Browser { client, driver },
                Err(error) => last = Some(error),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("chromedriver did not answer on {url}: {last:?}");
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap_or_else(|e| panic!("open {url}: {e}"));
    }

    /// The text of the first element matching `css`, waiting up to 10 s for it to appear (the
    /// page a form answers with may still be on its way).
    pub async fn text(&self, css: &str) -> String {
        let element = self
            .client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("find {css}: {e}"));
        element.text().await.unwrap()
    }

    /// Whether an element matches `css`.
    pub async fn has(&self, css: &str) -> bool {
        self.client.find(Locator::Css(css)).await.is_ok()
    }

    pub async fn click(&self, css: &str) {
        let element = self.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("find {css}: {e}"));
        element.click().await.unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// Does `act` (a click, a key) and waits until it has loaded the next page.
    pub async fn navigating(&self, act: impl Future<Output = ()>) {
        self.eval("window.jarvisPageBefore = true; return true").await;
        act.await;
        for _ in 0..100 {
            let loaded =
                self.eval("return window.jarvisPageBefore === undefined && document.readyState === 'complete'").await;
            if loaded == true {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no new page within 10 s");
    }

    /// Clicks `css` and waits for the page it leads to.
    pub async fn follow(&self, css: &str) {
        self.navigating(self.click(css)).await;
    }

    /// Types `text` into the field matching `css` (emptied first).
    pub async fn fill(&self, css: &str, text: &str) {
        let element = self.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("find {css}: {e}"));
        element.clear().await.unwrap();
        element.send_keys(text).await.unwrap();
    }

    /// Runs `script` (which `return`s a value) in the page.
    pub async fn eval(&self, script: &str) -> Value {
        self.client.execute(script, vec![]).await.unwrap_or_else(|e| panic!("run {script}: {e}"))
    }

    /// The path of the page shown.
    pub async fn path(&self) -> String {
        self.client.current_url().await.unwrap().path().to_string()
    }

    /// The path of the page shown once it starts with `prefix` (a form's answer may still be on
    /// its way when the click returns); the last path seen after 10 s.
    pub async fn path_after(&self, prefix: &str) -> String {
        let mut path = self.path().await;
        for _ in 0..100 {
            if path.starts_with(prefix) && self.eval("return document.readyState").await == "complete" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            path = self.path().await;
        }
        path
    }

    /// Presses keys as a keyboard would (no element targeted).
    pub async fn press(&self, keys: &[&str]) {
        use fantoccini::actions::{InputSource as _, KeyAction, KeyActions};
        let mut actions = KeyActions::new("keyboard".into());
        for key in keys {
            let c = key.chars().next().unwrap();
            actions = actions.then(KeyAction::Down { value: c }).then(KeyAction::Up { value: c });
        }
        self.client.perform_actions(actions).await.unwrap();
    }

    /// Waits until every font the page asked for has loaded.
    pub async fn fonts_loaded(&self) {
        self.client
            .execute_async("const done = arguments[0]; document.fonts.ready.then(() => done(true));", vec![])
            .await
            .unwrap();
    }

    pub async fn screenshot(&self) -> Vec<u8> {
        self.client.screenshot().await.unwrap()
    }

    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}
