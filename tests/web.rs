//! The web pages on a real server (127.0.0.1) in a real headless Chromium (WebDriver), and over
//! plain HTTP for what a browser would not do (forms without their token, other workspaces):
//! sign-in links that work once and expire, the dashboard's figures against the CLI's, adding
//! an item through the form (then seeing it with the CLI), a bad value's message beside its
//! field, keyboard-only use, phone width, Thai.

mod browser;
mod common;

use browser::Browser;
use common::{TestDb, jarvis_on, ws};
use jarvis::app::App;
use jarvis::domain::audit::Actor;
use jarvis::domain::workspace::{Language, WorkspaceId};
use reqwest::StatusCode;
use serde_json::Value;

const NOW: &str = "2026-12-06T12:00:00Z";

/// The pages served on 127.0.0.1 for the test's life.
struct Site {
    base: String,
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn serve(app: App) -> Site {
    common::logs();
    let server =
        jarvis::http::Server::bind(app, jarvis::http::Options::new("127.0.0.1:0".parse().unwrap())).await.unwrap();
    let base = format!("http://{}", server.local_addr());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server.run(async move {
        let _ = stopped.await;
    }));
    Site { base, _stop: stop }
}

/// A one-time sign-in link to `workspace`'s pages.
async fn link(app: &App, base: &str, workspace: &WorkspaceId, can_edit: bool) -> String {
    let link = app.create_web_link(workspace, &Actor::User("42".into()), "Ada", can_edit, None).await.unwrap();
    format!("{base}/signin/{}", link.secret)
}

/// A browser signed in to `workspace` through a link, on its dashboard.
async fn signed_in(app: &App, site: &Site, workspace: &WorkspaceId, width: u32, height: u32) -> Browser {
    let browser = Browser::start(width, height).await;
    browser.goto(&link(app, &site.base, workspace, true).await).await;
    assert!(browser.text("main").await.contains("Ada"), "the link says whom it signs in");
    browser.follow("main form button[type=submit]").await;
    let home = format!("/w/{}/", workspace.as_str());
    assert_eq!(browser.path_after(&home).await, home);
    browser
}

/// What the CLI prints as JSON for `args`, on the same ledger.
fn cli_json(db: &TestDb, args: &[&str]) -> Value {
    let output = jarvis_on(&db.url, NOW).args(args).arg("--json").output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

on_both_backends! {
    /// Sign in from a link, read the dashboard (the CLI's figures), add an item through the form
    /// and find it with the CLI, and see a bad value's message beside its field.
    multi_thread async fn a_sign_in_shows_the_dashboard_and_the_form_adds_items(db) {
        let app = db.app_at(NOW);
        let local = ws("local");
        app.load_demo(&local, &Actor::Cli).await.unwrap();
        let site = serve(app.clone()).await;
        let browser = signed_in(&app, &site, &local, 1280, 900).await;

        // The dashboard's figures are the CLI's, to the cent.
        let dashboard = cli_json(&db, &["dashboard"]);
        let currency = dashboard["base_currency"].as_str().unwrap();
        let total = format!("{} {currency}", dashboard["total_monthly_cost"].as_str().unwrap());
        assert_eq!(browser.text("#total-monthly").await, total);
        for (category, amount) in dashboard["by_category"].as_object().unwrap() {
            let shown = browser.text(&format!("#categories td[data-category={category}]")).await;
            assert_eq!(shown, format!("{} {currency}", amount.as_str().unwrap()), "{category}");
        }
        let projected = &dashboard["this_month"]["projected"];
        assert_eq!(
            browser.text("#month-projected").await,
            format!("{} {}", projected["amount"].as_str().unwrap(), projected["currency"].as_str().unwrap())
        );
        let renewals = browser.text("#renewals").await;
        for renewal in dashboard["upcoming_renewals"].as_array().unwrap() {
            assert!(renewals.contains(renewal["item"].as_str().unwrap()), "{renewals}");
        }

        // Add a domain through the form.
        browser.follow("nav a[href$='/items']").await;
        browser.follow("a.button[href$='/items/new']").await;
        browser.follow("a[href$='kind=domain']").await;
        browser.fill("#f-name", "example-web.dev").await;
        browser.fill("#f-cost", "14.20").await;
        // A date field takes the date as the browser's locale (en-US here) types it; the page
        // receives it as 2027-03-01.
        browser.fill("#f-renewal_date", "03012027").await;
        browser.fill("#f-registrar", "Porkbun").await;
        browser.follow("main form button[type=submit]").await;
        assert_eq!(browser.text("[role=status]").await, "Added.");
        assert!(browser.path().await.starts_with("/w/local/items/"));
        let shown = cli_json(&db, &["item", "show", "example-web.dev"]);
        assert_eq!(shown["item"]["cost"]["amount"], "14.20");
        assert_eq!(shown["item"]["registrar"], "Porkbun");
        assert_eq!(shown["item"]["renewal_date"], "2027-03-01");

        // A bad value: the form comes back with what was typed, the message beside the field.
        browser.goto(&format!("{}/w/local/items/new?kind=hosting", site.base)).await;
        browser.fill("#f-name", "api-staging").await;
        browser.fill("#f-cost", "12,5x").await;
        browser.follow("main form button[type=submit]").await;
        let message = browser.text("#e-cost").await;
        assert!(message.contains("cost") && message.contains("12,5x"), "{message}");
        assert_eq!(browser.eval("return document.getElementById('f-cost').getAttribute('aria-invalid')").await, "true");
        assert_eq!(browser.eval("return document.getElementById('f-name').value").await, "api-staging");
        assert!(cli_json(&db, &["item", "list"])["items"].as_array().unwrap().iter().all(|i| i["name"] != "api-staging"));

        // Edit through the item's form: only what changed is changed.
        browser.goto(&format!("{}/w/local/items/{}", site.base, shown["item"]["id"])).await;
        browser.fill("#f-cost", "15.00").await;
        browser.follow("form.form button[type=submit]").await;
        assert_eq!(browser.text("[role=status]").await, "Saved.");
        let edited = cli_json(&db, &["item", "show", "example-web.dev"]);
        assert_eq!(edited["item"]["cost"]["amount"], "15.00");
        assert_eq!(edited["item"]["registrar"], "Porkbun");

        // Notes over two lines (the browser sends CRLF), and a price of four digits kept as typed.
        let item_page = format!("{}/w/local/items/{}", site.base, shown["item"]["id"]);
        browser.goto(&item_page).await;
        browser.fill("#f-notes", "Billing contact: ops\nRenew with the card ending 4242").await;
        browser.fill("#f-cost", "1200.50").await;
        browser.follow("form.form button[type=submit]").await;
        assert_eq!(browser.text("[role=status]").await, "Saved.");
        let edited = cli_json(&db, &["item", "show", "example-web.dev"]);
        assert_eq!(edited["item"]["notes"], "Billing contact: ops\nRenew with the card ending 4242");
        assert_eq!(browser.eval("return document.getElementById('f-cost').value").await, "1200.50");
        // Saving again unchanged changes nothing (no commas in the price, notes as stored).
        browser.follow("form.form button[type=submit]").await;
        assert!(!browser.has(".notice.bad").await, "{}", browser.text("main").await);

        // A name emptied is refused beside it.
        browser.fill("#f-name", "").await;
        browser.follow("form.form button[type=submit]").await;
        assert!(browser.text("#e-name").await.contains("cannot be left empty"));

        // Someone else changes the item while the page is open: the save is refused, and the
        // page shows the item as it is now.
        browser.goto(&item_page).await;
        let changes = jarvis::domain::item::ItemChanges { cost: Some("99".parse().unwrap()), ..Default::default() };
        app.edit_item(&local, &Actor::Cli, &jarvis::app::ItemRef::new("example-web.dev"), &changes).await.unwrap();
        browser.fill("#f-provider", "Someone").await;
        browser.follow("form.form button[type=submit]").await;
        assert!(browser.text("#form-error").await.contains("changed since it was read"));
        assert_eq!(browser.eval("return document.getElementById('f-cost').value").await, "99.00");
        let now = cli_json(&db, &["item", "show", "example-web.dev"]);
        assert_eq!((now["item"]["cost"]["amount"].as_str(), now["item"]["provider"].as_str()), (Some("99.00"), None));
        browser.close().await;
    }
}

/// The form, with the keyboard alone: every field has a label, Tab reaches the fields in order,
/// and Enter adds the item.
#[tokio::test(flavor = "multi_thread")]
async fn the_add_form_works_from_the_keyboard_alone() {
    let db = TestDb::new().await;
    let app = db.app_at(NOW);
    let local = ws("local");
    app.load_demo(&local, &Actor::Cli).await.unwrap();
    let site = serve(app.clone()).await;
    let browser = signed_in(&app, &site, &local, 1280, 900).await;
    browser.goto(&format!("{}/w/local/items/new?kind=ai_provider", site.base)).await;
    let unlabelled = browser
        .eval(
            "return [...document.querySelectorAll('main input:not([type=hidden]), main select, main textarea')]
                .filter(e => e.labels.length === 0 || !e.labels[0].textContent.trim()).map(e => e.name)",
        )
        .await;
    assert_eq!(unlabelled, serde_json::json!([]), "fields without a label");
    let mut reached = Vec::new();
    for _ in 0..40 {
        browser.press(&["\u{E004}"]).await; // Tab
        let id = browser.eval("return document.activeElement.id").await;
        let id = id.as_str().unwrap_or_default().to_string();
        reached.push(id.clone());
        if id == "f-name" {
            break;
        }
    }
    assert_eq!(reached.last().map(String::as_str), Some("f-name"), "Tab reached: {reached:?}");
    browser.press(&["K", "e", "y", "A", "I"]).await;
    browser.press(&["\u{E004}"]).await; // Tab: the provider
    assert_eq!(browser.eval("return document.activeElement.id").await, "f-provider");
    browser.press(&["\u{E004}"]).await; // Tab: the price
    assert_eq!(browser.eval("return document.activeElement.id").await, "f-cost");
    browser.press(&["2", "0"]).await;
    browser.navigating(browser.press(&["\u{E007}"])).await; // Enter
    assert_eq!(browser.text("[role=status]").await, "Added.");
    let shown = cli_json(&db, &["item", "show", "KeyAI"]);
    assert_eq!(shown["item"]["cost"]["amount"], "20.00");
    assert_eq!(shown["item"]["kind"], "ai_provider");
    browser.close().await;
}

/// At a phone's width nothing overflows sideways, and in Thai the Thai font is the page's own.
#[tokio::test(flavor = "multi_thread")]
async fn pages_fit_a_phone_and_thai_renders_with_the_bundled_font() {
    let db = TestDb::new().await;
    let app = db.app_at(NOW);
    let local = ws("local");
    app.load_demo(&local, &Actor::Cli).await.unwrap();
    let site = serve(app.clone()).await;
    let browser = signed_in(&app, &site, &local, 390, 844).await;
    // To Thai with the page's own switch.
    browser.follow("button[name=lang][value=th]").await;
    assert_eq!(browser.eval("return document.documentElement.lang").await, "th");
    let pages = [
        "/w/local/",
        "/w/local/items",
        "/w/local/items/new?kind=ai_provider",
        "/w/local/items/1",
        "/w/local/calendar",
        "/w/local/ai",
        "/w/local/analysis",
        "/w/local/history",
        "/w/local/budgets",
        "/w/local/sites",
        "/w/local/settings",
    ];
    for path in pages {
        browser.goto(&format!("{}{path}", site.base)).await;
        browser.fonts_loaded().await;
        let (scroll, inner) = (
            browser.eval("return document.documentElement.scrollWidth").await,
            browser.eval("return window.innerWidth").await,
        );
        assert!(scroll.as_u64() <= inner.as_u64(), "{path} overflows: {scroll} > {inner}");
        let thai = browser
            .eval("return [...document.fonts].some(f => f.family.includes('Noto Sans Thai') && f.status === 'loaded')")
            .await;
        assert_eq!(thai, true, "{path}: the Thai font did not load");
    }
    browser.close().await;
}

/// A session's cookie from the sign-in answer.
fn session_cookie(response: &reqwest::Response) -> String {
    let set = response.headers().get("set-cookie").expect("a session cookie").to_str().unwrap();
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Lax"), "{set}");
    set.split(';').next().unwrap().to_string()
}

/// The form token in a page.
fn csrf_of(page: &str) -> String {
    let at = page.find("name=\"_csrf\" value=\"").expect("a form token") + 20;
    page[at..at + 64].to_string()
}

on_both_backends! {
    /// Links work once and for ten minutes; sessions reach their own workspace only; forms need
    /// their token; read-only sessions cannot change anything; signing out ends the session.
    async fn links_sessions_and_forms_are_guarded(db) {
        let app = db.app_at(NOW);
        let (a, b) = (ws("1001"), ws("2002"));
        let theirs = app.add_item(&b, &Actor::Cli, jarvis::domain::item::Kind::Other, &common::named("Theirs", "9")).await.unwrap();
        let site = serve(app.clone()).await;
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let url = link(&app, &site.base, &a, true).await;

        // Looking at the link does not use it; following it does, once.
        let page = client.get(&url).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::OK);
        let csp = page.headers()["content-security-policy"].to_str().unwrap().to_string();
        assert!(csp.starts_with("default-src 'self'"), "{csp}");
        assert_eq!(page.headers()["referrer-policy"], "same-origin");
        let signed = client.post(&url).send().await.unwrap();
        assert_eq!(signed.status(), StatusCode::SEE_OTHER);
        assert_eq!(signed.headers()["location"], "/w/1001/");
        let cookie = session_cookie(&signed);
        assert!(signed.headers()["set-cookie"].to_str().unwrap().contains("Path=/w/1001/"));
        for again in [client.post(&url).send().await.unwrap(), client.get(&url).send().await.unwrap()] {
            assert_eq!(again.status(), StatusCode::GONE);
            assert!(again.text().await.unwrap().contains("used already or has expired"));
        }

        // A link made eleven minutes ago has expired.
        let earlier = db.app_at("2026-12-06T11:49:00Z");
        let old = link(&earlier, &site.base, &a, true).await;
        assert_eq!(client.post(&old).send().await.unwrap().status(), StatusCode::GONE);

        // The session's own workspace, and nothing of another's.
        let get = |path: String| client.get(format!("{}{path}", site.base)).header("cookie", &cookie).send();
        let dashboard = get("/w/1001/".into()).await.unwrap();
        assert_eq!(dashboard.status(), StatusCode::OK);
        let page = dashboard.text().await.unwrap();
        assert!(!page.contains("http://") && !page.contains("https://"), "nothing from another site");
        for path in ["/w/2002/".to_string(), "/w/2002/items".to_string(), format!("/w/1001/items/{}", theirs.item.id)] {
            assert_eq!(get(path.clone()).await.unwrap().status(), StatusCode::NOT_FOUND, "{path}");
        }
        // Nor can it change another's: its pages' token does not open them, and their ids are
        // nothing in its own.
        let token = csrf_of(&page);
        let post = |path: String, body: String| {
            client
                .post(format!("{}{path}", site.base))
                .header("cookie", &cookie)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
        };
        let id = theirs.item.id;
        for (path, body) in [
            (format!("/w/2002/items/{id}/remove"), format!("_csrf={token}")),
            (format!("/w/1001/items/{id}/remove"), format!("_csrf={token}")),
            (format!("/w/1001/items/{id}"), format!("_csrf={token}&name=Mine&cost=1")),
            ("/w/2002/budgets".to_string(), format!("_csrf={token}&scope=total&amount=5")),
            ("/w/2002/settings/sign-out-all".to_string(), format!("_csrf={token}")),
        ] {
            assert_eq!(post(path.clone(), body).await.unwrap().status(), StatusCode::NOT_FOUND, "{path}");
        }
        assert_eq!(app.show_item(&b, &jarvis::app::ItemRef::new("Theirs")).await.unwrap().item.cost.0.amount, "9".parse().unwrap());
        assert!(app.budgets(&b).await.unwrap().budgets.is_empty());
        assert_eq!(
            client.get(format!("{}/w/1001/", site.base)).send().await.unwrap().status(),
            StatusCode::NOT_FOUND,
            "no cookie, no page"
        );

        // A form without its token (or another session's) changes nothing.
        let add = |body: String| {
            client
                .post(format!("{}/w/1001/items/new", site.base))
                .header("cookie", &cookie)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
        };
        let refused = add("kind=other&name=Sneaky&cost=1".into()).await.unwrap();
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        let forged = add(format!("_csrf={}&kind=other&name=Sneaky&cost=1", "0".repeat(64))).await.unwrap();
        assert_eq!(forged.status(), StatusCode::FORBIDDEN);
        assert_eq!(app.list_items(&a, Default::default(), Default::default()).await.unwrap().items.len(), 0);
        let added = add(format!("_csrf={token}&kind=other&name=Fine&cost=1")).await.unwrap();
        assert_eq!(added.status(), StatusCode::SEE_OTHER);
        assert_eq!(app.list_items(&a, Default::default(), Default::default()).await.unwrap().items.len(), 1);

        // A read-only session reads, and is refused changes.
        let reader = client.post(link(&app, &site.base, &a, false).await).send().await.unwrap();
        let reader_cookie = session_cookie(&reader);
        let reader_page = client.get(format!("{}/w/1001/items", site.base)).header("cookie", &reader_cookie).send().await.unwrap();
        assert_eq!(reader_page.status(), StatusCode::OK);
        let reader_page = reader_page.text().await.unwrap();
        assert!(!reader_page.contains("/items/new"), "no add button for a reader");
        let refused = client
            .post(format!("{}/w/1001/items/new", site.base))
            .header("cookie", &reader_cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("_csrf={}&kind=other&name=Nope&cost=1", csrf_of(&reader_page)))
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);

        // Signing out ends the session; an admin can end everyone's.
        let out = client
            .post(format!("{}/w/1001/signout", site.base))
            .header("cookie", &cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("_csrf={token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(out.status(), StatusCode::OK);
        assert!(out.headers()["set-cookie"].to_str().unwrap().contains("Max-Age=0"));
        assert_eq!(get("/w/1001/".into()).await.unwrap().status(), StatusCode::NOT_FOUND);
        assert_eq!(app.end_web_sessions(&a, &Actor::Cli).await.unwrap(), 1, "the reader's session");
        let after = client.get(format!("{}/w/1001/", site.base)).header("cookie", &reader_cookie).send().await.unwrap();
        assert_eq!(after.status(), StatusCode::NOT_FOUND);
    }
}

/// The language: a Discord locale's, else the browser's, and the page's switch.
#[tokio::test]
async fn pages_speak_the_readers_language() {
    let db = TestDb::new().await;
    let app = db.app_at(NOW);
    let local = ws("local");
    let site = serve(app.clone()).await;
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let thai = app.create_web_link(&local, &Actor::Cli, "Somchai", true, Some(Language::Thai)).await.unwrap();
    let signed = client.post(format!("{}/signin/{}", site.base, thai.secret)).send().await.unwrap();
    let cookie = session_cookie(&signed);
    let page = client.get(format!("{}/w/local/", site.base)).header("cookie", &cookie).send().await.unwrap();
    let page = page.text().await.unwrap();
    assert!(page.contains("<html lang=\"th\">") && page.contains("แดชบอร์ด"), "{page}");
    // No locale: the browser's Accept-Language.
    let plain = app.create_web_link(&local, &Actor::Cli, "Ann", true, None).await.unwrap();
    let signed = client.post(format!("{}/signin/{}", site.base, plain.secret)).send().await.unwrap();
    let cookie = session_cookie(&signed);
    for (accept, lang) in [("th-TH,th;q=0.9,en;q=0.5", "th"), ("en-GB,en;q=0.9", "en"), ("fr-FR", "en")] {
        let page = client
            .get(format!("{}/w/local/items", site.base))
            .header("cookie", &cookie)
            .header("accept-language", accept)
            .send()
            .await
            .unwrap();
        assert!(page.text().await.unwrap().contains(&format!("<html lang=\"{lang}\">")), "{accept}");
    }
}

/// Every page answers 200 in both languages, for an admin and for a reader, on the demo company
/// (a template that does not fit its view fails here, naming the page).
#[tokio::test]
async fn every_page_renders_in_both_languages() {
    let db = TestDb::new().await;
    let app = db.app_at(NOW);
    let local = ws("local");
    app.load_demo(&local, &Actor::Cli).await.unwrap();
    // An item in a currency without a rate: the pages' warnings about left-out amounts.
    let changes = jarvis::domain::item::ItemChanges {
        currency: Some(jarvis::domain::money::Currency::parse("CHF").unwrap()),
        ..common::named("Swiss hosting", "40")
    };
    app.add_item(&local, &Actor::Cli, jarvis::domain::item::Kind::Hosting, &changes).await.unwrap();
    let cost = jarvis::app::CostInput {
        item: jarvis::app::ItemRef::new("Swiss hosting"),
        amount: "40".parse().unwrap(),
        currency: None,
        period: jarvis::app::CostPeriod::Month(jarvis::domain::calendar::Month::new(2026, 11).unwrap()),
        source: jarvis::domain::cost::CostSource::Manual,
        usage: None,
        note: None,
        replace: false,
        again: false,
    };
    app.record_cost(&local, &Actor::Cli, &cost).await.unwrap();
    let site = serve(app.clone()).await;
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let pages = [
        "/",
        "/items",
        "/items?removed=1",
        "/items?sort=cost&category=ai_services",
        "/items?q=acme&sort=renewal",
        "/items?sort=status&page=99",
        "/items/new",
        "/items/new?kind=domain",
        "/items/new?kind=hosting",
        "/items/new?kind=ai_provider",
        "/items/new?kind=integration",
        "/items/new?kind=package",
        "/items/1",
        "/items/4",
        "/calendar",
        "/calendar?month=2027-01",
        "/ai",
        "/analysis",
        "/history",
        "/history?from=2026-01-01&to=2026-03-31&page=2",
        "/budgets",
        "/sites",
        "/settings",
    ];
    for language in [Language::English, Language::Thai] {
        for can_edit in [true, false] {
            let link = app.create_web_link(&local, &Actor::Cli, "Ann", can_edit, Some(language)).await.unwrap();
            let signed = client.post(format!("{}/signin/{}", site.base, link.secret)).send().await.unwrap();
            let cookie = session_cookie(&signed);
            for page in pages {
                let answer =
                    client.get(format!("{}/w/local{page}", site.base)).header("cookie", &cookie).send().await.unwrap();
                let status = answer.status();
                let body = answer.text().await.unwrap();
                let admin_only = page.starts_with("/items/new") || page == "/settings";
                let expected = if admin_only && !can_edit { StatusCode::FORBIDDEN } else { StatusCode::OK };
                assert_eq!(status, expected, "{page} ({language:?}, can_edit {can_edit}): {body}");
                assert!(!body.contains("could not show this page"), "{page}: {body}");
                assert!(!body.contains("[web."), "{page} ({language:?}) names a message it lacks: {body}");
                if matches!(page, "/" | "/history?month=2026-11") {
                    assert!(body.contains("CHF"), "{page} says what a missing rate leaves out: {body}");
                }
            }
        }
    }

    // An alert's Renewed button, as an admin: the item's date moves on, and the dashboard says so.
    let link = app.create_web_link(&local, &Actor::Cli, "Ann", true, None).await.unwrap();
    let signed = client.post(format!("{}/signin/{}", site.base, link.secret)).send().await.unwrap();
    let cookie = session_cookie(&signed);
    let dashboard = client.get(format!("{}/w/local/", site.base)).header("cookie", &cookie).send().await.unwrap();
    let dashboard = dashboard.text().await.unwrap();
    assert!(!dashboard.contains("/acknowledge"), "no alert channel, so nothing to acknowledge: {dashboard}");
    let end = dashboard.find("/renewed\"").expect("a Renewed button");
    let start = dashboard[..end].rfind("action=\"").unwrap() + 8;
    let action = format!("{}{}", &dashboard[start..end], "/renewed");
    let before = app.show_item(&local, &jarvis::app::ItemRef::new("acme.dev")).await.unwrap().item.renewal_date;
    let done = post_form(&client, &format!("{}{action}", site.base), &cookie, &dashboard, &[]).await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    let location = done.headers()["location"].to_str().unwrap().to_string();
    assert!(location.contains("done=renewed"), "{location}");
    let after = client.get(format!("{}{location}", site.base)).header("cookie", &cookie).send().await.unwrap();
    assert!(after.text().await.unwrap().contains("Marked renewed"));
    let moved = app.show_item(&local, &jarvis::app::ItemRef::new("acme.dev")).await.unwrap().item.renewal_date;
    assert_ne!(moved, before, "the renewal date moved on");
}

/// Posts a form of a page (with its token) as the browser would.
async fn post_form(
    client: &reqwest::Client,
    url: &str,
    cookie: &str,
    page: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let mut body = url::form_urlencoded::Serializer::new(String::new());
    body.append_pair("_csrf", &csrf_of(page));
    for (key, value) in fields {
        body.append_pair(key, value);
    }
    client
        .post(url)
        .header("cookie", cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.finish())
        .send()
        .await
        .unwrap()
}

/// The text of the first `<code>` in `page`.
fn code_in(page: &str) -> String {
    let start = page.find("<code>").expect("a <code>") + 6;
    let end = start + page[start..].find("</code>").unwrap();
    page[start..end].replace("&#x3D;", "=").replace("&amp;", "&")
}

on_both_backends! {
    /// The settings page: a refused value beside its field, a token shown once, and the renewal
    /// calendar's feed, which an independent iCalendar parser reads as one event per renewal with
    /// a reminder at each lead time; a new address retires the old one.
    async fn settings_tokens_and_the_calendar_feed(db) {
        let app = db.app_at(NOW);
        let local = ws("local");
        app.load_demo(&local, &Actor::Cli).await.unwrap();
        let site = serve(app.clone()).await;
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let signed = client.post(link(&app, &site.base, &local, true).await).send().await.unwrap();
        let cookie = session_cookie(&signed);
        let settings_url = format!("{}/w/local/settings", site.base);
        let page = client.get(&settings_url).header("cookie", &cookie).send().await.unwrap().text().await.unwrap();

        // A bad value is refused beside its field, and nothing is saved.
        let refused = post_form(&client, &settings_url, &cookie, &page, &[("currency", "XYZ"), ("timezone", "UTC"), ("language", "en"), ("expiring_window", "30"), ("lead_times", "30, 7, 1"), ("remind_hours", "24"), ("site_down_after", "3"), ("site_up_after", "2")]).await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let refused = refused.text().await.unwrap();
        assert!(refused.contains("id=\"e-currency\"") && refused.contains("XYZ"), "{refused}");
        assert_eq!(app.settings(&local).await.unwrap().settings.base_currency.code(), "USD");
        let saved = post_form(&client, &settings_url, &cookie, &page, &[("currency", "USD"), ("timezone", "Asia/Bangkok"), ("language", "en"), ("expiring_window", "30"), ("lead_times", "14, 3"), ("remind_hours", "24"), ("site_down_after", "3"), ("site_up_after", "2")]).await;
        assert_eq!(saved.status(), StatusCode::SEE_OTHER);
        let settings = app.settings(&local).await.unwrap().settings;
        assert_eq!((settings.timezone.to_string().as_str(), settings.lead_times.days()), ("Asia/Bangkok", &[14, 3][..]));

        // A token, shown once; it works on the API.
        let made = post_form(&client, &format!("{settings_url}/tokens"), &cookie, &page, &[("name", "grafana"), ("scope", "read")]).await;
        assert_eq!(made.status(), StatusCode::OK);
        let token = code_in(&made.text().await.unwrap());
        assert!(token.starts_with("jarvis_"), "{token}");
        let api = client.get(format!("{}/api/cost/dashboard", site.base)).bearer_auth(&token).send().await.unwrap();
        assert_eq!(api.status(), StatusCode::OK);
        let again = client.get(&settings_url).header("cookie", &cookie).send().await.unwrap().text().await.unwrap();
        assert!(!again.contains(&token), "a token is shown once");

        // The calendar feed.
        let made = post_form(&client, &format!("{settings_url}/calendar"), &cookie, &page, &[]).await;
        let feed = code_in(&made.text().await.unwrap());
        assert!(feed.starts_with(&format!("{}/calendar/", site.base)) && feed.ends_with(".ics"), "{feed}");
        let answer = client.get(&feed).send().await.unwrap();
        assert_eq!(answer.status(), StatusCode::OK);
        assert_eq!(answer.headers()["content-type"], "text/calendar; charset=utf-8");
        let ics = answer.text().await.unwrap();
        let calendars: Vec<_> = ical::IcalParser::new(std::io::BufReader::new(ics.as_bytes())).collect::<Result<_, _>>().unwrap();
        assert_eq!(calendars.len(), 1);
        let calendar = &calendars[0];
        let property = |properties: &[ical::property::Property], name: &str| {
            properties.iter().filter(|p| p.name == name).map(|p| p.value.clone().unwrap_or_default()).collect::<Vec<_>>()
        };
        assert_eq!(property(&calendar.properties, "VERSION"), ["2.0"]);
        assert_eq!(property(&calendar.properties, "PRODID").len(), 1);
        let today = app.today_in(&local).await.unwrap();
        let range = jarvis::domain::calendar::DateRange { start: today - chrono::Duration::days(31), end: today + chrono::Duration::days(366) };
        let renewals = app.renewals_between(&local, range).await.unwrap().renewals;
        assert!(renewals.len() > 3, "a year of the demo's renewals: {}", renewals.len());
        assert_eq!(calendar.events.len(), renewals.len(), "one event per renewal");
        let mut uids = std::collections::BTreeSet::new();
        for (event, renewal) in calendar.events.iter().zip(&renewals) {
            let start = event.properties.iter().find(|p| p.name == "DTSTART").unwrap();
            assert_eq!(start.value.as_deref(), Some(renewal.date.format("%Y%m%d").to_string().as_str()));
            assert_eq!(start.params, Some(vec![("VALUE".to_string(), vec!["DATE".to_string()])]));
            assert!(property(&event.properties, "SUMMARY")[0].contains(&renewal.item), "{:?}", event.properties);
            assert_eq!(property(&event.properties, "DTSTAMP").len(), 1);
            assert!(uids.insert(property(&event.properties, "UID")[0].clone()), "UIDs are unique");
            let triggers: Vec<String> = event.alarms.iter().flat_map(|a| property(&a.properties, "TRIGGER")).collect();
            assert_eq!(triggers, ["-P14D", "-P3D"], "a reminder at each lead time");
        }

        // The month page shows the same renewals.
        let month = client.get(format!("{}/w/local/calendar?month={}", site.base, today.format("%Y-%m"))).header("cookie", &cookie).send().await.unwrap();
        let month = month.text().await.unwrap();
        let this_month: Vec<_> = renewals.iter().filter(|r| r.date.format("%Y-%m").to_string() == today.format("%Y-%m").to_string()).collect();
        assert_eq!(month.matches("class=\"renewal").count(), this_month.len(), "{month}");

        // A new address retires the old; turning it off retires both.
        let renewed = post_form(&client, &format!("{settings_url}/calendar"), &cookie, &page, &[]).await;
        let second = code_in(&renewed.text().await.unwrap());
        assert_eq!(client.get(&feed).send().await.unwrap().status(), StatusCode::NOT_FOUND);
        assert_eq!(client.get(&second).send().await.unwrap().status(), StatusCode::OK);
        let off = post_form(&client, &format!("{settings_url}/calendar/remove"), &cookie, &page, &[]).await;
        assert_eq!(off.status(), StatusCode::SEE_OTHER);
        assert_eq!(client.get(&second).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    }
}
