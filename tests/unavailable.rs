//! PostgreSQL going away while Jarvis runs: commands answer that the ledger is unavailable (no
//! panic, nothing half-written), and Jarvis carries on by itself once the server is back.
//!
//! The server is reached through a TCP proxy the test cuts and restores (the shared test cluster
//! keeps running for the other tests). Its own test binary: it sets the connect timeout in the
//! environment.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{PostgresDb, named, ws};
use jarvis::app::{App, AppError, FixedClock, ItemFilter};
use jarvis::domain::audit::Actor;
use jarvis::domain::item::Kind;
use jarvis::domain::page::PageRequest;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

/// Forwards 127.0.0.1:`port` to `upstream` until cut.
struct Proxy {
    port: u16,
    upstream: String,
    tasks: JoinSet<()>,
}

impl Proxy {
    async fn start(upstream: String) -> Proxy {
        let mut proxy = Proxy { port: 0, upstream, tasks: JoinSet::new() };
        proxy.listen(TcpListener::bind("127.0.0.1:0").await.unwrap());
        proxy
    }

    fn listen(&mut self, listener: TcpListener) {
        self.port = listener.local_addr().unwrap().port();
        let upstream = self.upstream.clone();
        self.tasks.spawn(async move {
            let mut links = JoinSet::new();
            while let Ok((mut client, _)) = listener.accept().await {
                let upstream = upstream.clone();
                links.spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(&upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
            }
        });
    }

    /// Closes the port and every connection through it, as a server that went down.
    async fn cut(&mut self) {
        self.tasks.shutdown().await;
    }

    /// Listens again on the same port.
    async fn restore(&mut self) {
        let listener = TcpListener::bind(("127.0.0.1", self.port)).await.unwrap();
        self.listen(listener);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn commands_say_the_ledger_is_unavailable_while_postgresql_is_down_and_recover_after() {
    let Some(database) = PostgresDb::create().await else { return };
    // SAFETY: this test binary runs this one test; nothing else reads the environment meanwhile.
    unsafe { std::env::set_var("JARVIS_DB_CONNECT_TIMEOUT", "2") };
    let mut url = url::Url::parse(&database.url).unwrap();
    let upstream = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap_or(5432));
    let mut proxy = Proxy::start(upstream).await;
    url.set_port(Some(proxy.port)).unwrap();
    let store = jarvis::store::Store::open(url.as_str()).await.unwrap();
    let app = App::new(store, Arc::new(FixedClock("2026-11-30T12:00:00Z".parse().unwrap())));
    let local = ws("local");
    app.add_item(&local, &Actor::Cli, Kind::Hosting, &named("before", "10")).await.unwrap();

    proxy.cut().await;
    let started = Instant::now();
    let read = app.list_items(&local, ItemFilter::default(), PageRequest::default()).await;
    assert!(matches!(read, Err(AppError::Unavailable(_))), "{read:?}");
    let write = app.add_item(&local, &Actor::Cli, Kind::Hosting, &named("while-down", "20")).await;
    let Err(error @ AppError::Unavailable(_)) = write else { panic!("{write:?}") };
    assert_eq!(error.to_string(), "the ledger is unavailable, try again in a minute");
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "answered within the connect timeout: {:?}",
        started.elapsed()
    );

    // Back: the same app carries on, with what was written before and nothing of the refused write.
    proxy.restore().await;
    let added = app.add_item(&local, &Actor::Cli, Kind::Hosting, &named("after", "30")).await.unwrap();
    assert_eq!(added.item.name, "after");
    let names: Vec<String> = app
        .list_items(&local, ItemFilter::default(), PageRequest::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|i| i.name)
        .collect();
    assert_eq!(names, ["after", "before"]);
}
