//! Website and domain health through the app, on 127.0.0.1: real checks of local sites (plain
//! and with certificates made at test time) moving a site down and up with hysteresis, the
//! private-address refusal, and a fake RDAP server filling in new domains and disagreeing with
//! the ledger. The clock is the test's; certificates are dated from the real today.

mod common;
mod probe_support;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use common::{ManualClock, TestDb, named, ws};
use jarvis::analysis::website::ShownState;
use jarvis::app::{App, Net};
use jarvis::domain::audit::Actor;
use jarvis::domain::item::{BillingPeriod, Kind};
use jarvis::domain::site::{Failure, TlsProblem};
use jarvis::probe::site::ProbeConfig;
use probe_support::{Site, TestCa, fake_rdap, switchable};

fn config(allow_private: bool) -> ProbeConfig {
    ProbeConfig { allow_private, timeout: Duration::from_secs(2), ..Default::default() }
}

on_both_backends! {
    async fn a_site_is_down_after_three_failures_and_up_after_two_successes(db) {
        let clock = ManualClock::now();
        let app = App::new(db.store.clone(), Arc::new(clock.clone())).with_net(Net::new(config(true), None));
        let ws = ws("4242");
        let web = switchable("<h1>Welcome to Acme</h1>").await;
        let url = web.site.url("/");
        app.set_setting(&ws, &Actor::Cli, jarvis::domain::workspace::SettingKey::AlertChannel, "700").await.unwrap();
        let added = app.add_site(&ws, &Actor::Cli, url.as_str(), Some("welcome"), Some(5)).await.unwrap();
        assert_eq!(added.site.state, ShownState::Up, "checked at once: {added:?}");
        assert_eq!(web.requests.load(Ordering::SeqCst), 1);
        let again = app.add_site(&ws, &Actor::Cli, url.as_str(), None, None).await.unwrap_err();
        // Worded for any front end: no command syntax of one (`/site list` means nothing on the CLI).
        assert_eq!(
            again.to_string(),
            format!(
                "{url} is already monitored (site #{}, checked every 5 minutes), so nothing changed; to change its \
                 keyword or interval, remove it and add it again",
                added.site.id
            )
        );

        // Two failures: still up (no flapping); the third: down, and an alert.
        web.status.store(500, Ordering::SeqCst);
        let mut states = Vec::new();
        for _ in 0..3 {
            clock.advance(chrono::Duration::minutes(5));
            assert_eq!(app.run_due_checks().await.unwrap(), 1);
            states.push(app.sites(&ws).await.unwrap().sites[0].state);
        }
        assert_eq!(states, [ShownState::Up, ShownState::Up, ShownState::Down]);
        // Not due yet: nothing checked.
        assert_eq!(app.run_due_checks().await.unwrap(), 0);
        let alerts = app.alerts(&ws).await.unwrap().alerts;
        let down = alerts.iter().find(|a| a.key.starts_with("site_down:")).expect("a site-down alert");
        assert_eq!(down.severity, jarvis::analysis::alerts::Severity::Critical);
        // Posted to the alert channel (and taken by Discord).
        assert_eq!(app.evaluate_alerts().await.unwrap(), 1);
        for (n, entry) in app.deliverable(10).await.unwrap().iter().enumerate() {
            app.delivered(entry, 9000 + n as u64).await.unwrap();
        }
        let listed = app.sites(&ws).await.unwrap();
        // 1 success of 4 checks; down caps the score.
        assert_eq!(listed.sites[0].uptime_24h.as_deref(), Some("25%"));
        assert!(listed.sites[0].score.unwrap() <= 20, "{:?}", listed.sites[0]);
        let report = app.report(&ws).await.unwrap();
        let website = report.health.components.iter().find(|c| c.id.as_str() == "website_health").unwrap();
        assert!(website.score.unwrap() <= 20, "{website:?}");

        // Back: one success is not enough to be up again, two are, and the alert clears.
        web.status.store(200, Ordering::SeqCst);
        clock.advance(chrono::Duration::minutes(5));
        app.run_due_checks().await.unwrap();
        assert_eq!(app.sites(&ws).await.unwrap().sites[0].state, ShownState::Down, "one success is not enough");
        clock.advance(chrono::Duration::minutes(5));
        app.run_due_checks().await.unwrap();
        assert_eq!(app.sites(&ws).await.unwrap().sites[0].state, ShownState::Up, "two are");
        assert!(!app.alerts(&ws).await.unwrap().alerts.iter().any(|a| a.key.starts_with("site_down:")), "recovered");
        // Recovery: the alert's message is edited, and the channel is told the site is back.
        app.evaluate_alerts().await.unwrap();
        let owed = app.deliverable(10).await.unwrap();
        let kinds: Vec<&str> = owed.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds, ["notice", "alert_resolved"]);
        assert_eq!(owed[0].payload["recovered"], url.as_str());

        // A stricter workspace setting: down after one failure.
        app.set_setting(&ws, &Actor::Cli, jarvis::domain::workspace::SettingKey::SiteDownAfter, "1").await.unwrap();
        web.status.store(503, Ordering::SeqCst);
        let checked = app.check_sites_now(&ws, Some(url.as_str())).await.unwrap();
        assert_eq!(checked.sites[0].state, ShownState::Down);
        // Another workspace sees nothing of it.
        let other = common::ws("5151");
        assert!(app.sites(&other).await.unwrap().sites.is_empty());
        let error = app.remove_site(&other, &Actor::Cli, "#1").await.unwrap_err();
        assert!(error.to_string().contains("No site `#1`"), "{error}");
        let error = app.check_sites_now(&other, Some(url.as_str())).await.unwrap_err();
        assert!(error.to_string().contains("No site"), "{error}");
        let removed = app.remove_site(&ws, &Actor::Cli, "#1").await.unwrap();
        assert_eq!(removed.url, url.as_str());
        assert!(app.sites(&ws).await.unwrap().sites.is_empty());
    }
}

on_both_backends! {
    async fn a_missing_keyword_is_a_failure(db) {
        let app = App::new(db.store.clone(), Arc::new(ManualClock::now())).with_net(Net::new(config(true), None));
        let ws = ws("4242");
        let web = switchable("<h1>Maintenance</h1>").await;
        app.set_setting(&ws, &Actor::Cli, jarvis::domain::workspace::SettingKey::SiteDownAfter, "1").await.unwrap();
        let added = app.add_site(&ws, &Actor::Cli, web.site.url("/").as_str(), Some("Add to cart"), None).await.unwrap();
        assert_eq!(added.site.state, ShownState::Down);
        let said =
            jarvis::render::Renderer::get(jarvis::domain::workspace::Language::English, jarvis::render::Flavor::Plain)
                .text(added.site.last_result.as_ref().unwrap());
        assert_eq!(said, "the keyword is missing from the page");
    }
}

on_both_backends! {
    async fn private_addresses_are_refused_unless_allowed(db) {
        let app = App::new(db.store.clone(), Arc::new(ManualClock::now()));
        let ws = ws("4242");
        let web = switchable("ok").await;
        // Both an address and a host name that resolves to one: refused when added, saying why,
        // and nothing is monitored.
        for (url, said) in [
            (web.site.url("/"), "127.0.0.1 is a loopback address"),
            (web.site.url_at("localhost", "/"), "localhost resolves to 127.0.0.1"),
        ] {
            let error = app.add_site(&ws, &Actor::Cli, url.as_str(), None, None).await.unwrap_err();
            assert!(
                error.to_string().contains(said) && error.to_string().contains("JARVIS_PROBE_ALLOW_PRIVATE"),
                "{error}"
            );
        }
        assert!(app.sites(&ws).await.unwrap().sites.is_empty());
        assert_eq!(web.site.connections(), 0, "the site never heard from Jarvis");
        // A site added while allowed, then checked under the default policy (a name that now
        // resolves to a private address): each check is a refused failure, and still no request.
        let allowed = App::new(db.store.clone(), Arc::new(ManualClock::now())).with_net(Net::new(config(true), None));
        allowed.add_site(&ws, &Actor::Cli, web.site.url_at("localhost", "/").as_str(), None, None).await.unwrap();
        assert_eq!(web.site.connections(), 1);
        let checked = app.check_sites_now(&ws, None).await.unwrap();
        assert_eq!(checked.sites[0].last_result.as_ref().unwrap().args["kind"], "refused");
        let stored = db.store.read().await.unwrap().sites(&ws).await.unwrap();
        let failure = stored[0].last_probe.as_ref().unwrap().failure.clone();
        assert!(
            matches!(failure, Some(Failure::Refused { ref reason }) if reason.contains("JARVIS_PROBE_ALLOW_PRIVATE")),
            "{failure:?}"
        );
        assert_eq!(web.site.connections(), 1, "the refused check made no request");
        // A URL Jarvis will not probe at all is refused when added.
        let error = app.add_site(&ws, &Actor::Cli, "ftp://acme.dev/", None, None).await.unwrap_err();
        assert!(error.to_string().contains("site URL"), "{error}");
        let long = format!("https://acme.dev/{}", "a".repeat(400));
        let error = app.add_site(&ws, &Actor::Cli, &long, None, None).await.unwrap_err();
        assert!(error.to_string().contains("at most 300 characters"), "{error}");
    }
}

on_both_backends! {
    async fn https_certificates_feed_the_score_and_alerts(db) {
        let ca = TestCa::new();
        let config = ProbeConfig { extra_roots: vec![ca.root()], ..config(true) };
        let app = App::new(db.store.clone(), Arc::new(ManualClock::now())).with_net(Net::new(config, None));
        let ws = ws("4242");
        let ok = || Router::new().route("/", get(|| async { "ok" }));
        let expiring = Site::https(ok(), ca.leaf(&["localhost"], -30..5)).await;
        let expired = Site::https(ok(), ca.leaf(&["localhost"], -90..-1)).await;
        let wrong_host = Site::https(ok(), ca.leaf(&["wrong.example"], -1..90)).await;
        for site in [&expiring, &expired, &wrong_host] {
            app.add_site(&ws, &Actor::Cli, site.url_at("localhost", "/").as_str(), None, None).await.unwrap();
        }
        let listed = app.sites(&ws).await.unwrap();
        // Up all three (the page answered), but the TLS part and caps tell.
        assert!(listed.sites.iter().all(|s| s.state == ShownState::Up), "{listed:?}");
        assert!(listed.sites[0].caps.is_empty());
        assert!(listed.sites[1].caps.iter().any(|c| c.id == "site.cap.tls"));
        assert!(listed.sites[1].score.unwrap() <= 50);
        let stored = db.store.read().await.unwrap().sites(&ws).await.unwrap();
        let problems: Vec<_> =
            stored.iter().map(|s| s.last_probe.as_ref().unwrap().tls.as_ref().unwrap().problem.clone()).collect();
        assert_eq!(problems, [None, Some(TlsProblem::Expired), Some(TlsProblem::WrongHost)]);
        let alerts = app.alerts(&ws).await.unwrap().alerts;
        let keys: Vec<&str> = alerts.iter().map(|a| a.key.as_str()).collect();
        assert!(
            keys.iter().any(|k| k.starts_with("cert:1:") && k.ends_with(":7")),
            "5 days left: the 7-day alert: {keys:?}"
        );
        assert!(keys.contains(&"cert_invalid:2:expired"), "{keys:?}");
        assert!(keys.contains(&"cert_invalid:3:wrong_host"), "{keys:?}");

        // A check that never got to the handshake (the server unreachable for a moment) keeps the
        // certificate seen before: the alert stays, it is not cleared and raised again.
        let blip = jarvis::domain::site::Probe {
            url: stored[0].url.clone(),
            final_url: stored[0].url.clone(),
            redirects: 0,
            status: None,
            ttfb_ms: None,
            keyword: None,
            tls: None,
            failure: Some(Failure::Connect("connection refused".into())),
        };
        app.record_probe(&ws, 1, &blip).await.unwrap();
        let alerts = app.alerts(&ws).await.unwrap().alerts;
        assert!(
            alerts.iter().any(|a| a.key.starts_with("cert:1:")),
            "{:?}",
            alerts.iter().map(|a| &a.key).collect::<Vec<_>>()
        );
    }
}

on_both_backends! {
    async fn new_domains_are_filled_in_from_the_registry_at_most_once_a_day(db) {
        let clock = ManualClock::at("2026-12-01T12:00:00Z");
        let rdap = fake_rdap().await;
        let (bootstrap, lookups) = (rdap.bootstrap, rdap.lookups);
        let registry = bootstrap.base_url("com").unwrap().to_string();
        let app = App::new(db.store.clone(), Arc::new(clock.clone())).with_net(Net::new(config(true), Some(bootstrap)));
        let ws = ws("4242");
        let mut google = named("google.com", "12");
        google.period = Some(BillingPeriod::Yearly);
        let added = app.add_item(&ws, &Actor::Cli, Kind::Domain, &google).await.unwrap();
        assert_eq!(added.item.renewal_date, Some("2028-09-14".parse().unwrap()));
        assert_eq!(added.item.registrar.as_deref(), Some("MarkMonitor Inc."));
        // The fake registry speaks plain http (as .kg, .mg and .ng do): the source says so, for the
        // date and the registrar alike.
        let cited = format!("{registry}domain/google.com; plain http, not encrypted: check it at the registrar");
        assert_eq!(
            added.notices,
            [
                format!("Renewal date 2028-09-14 filled in from the registry ({cited})"),
                format!("Registrar MarkMonitor Inc. filled in from the registry ({cited})"),
            ]
        );
        assert_eq!(lookups.load(Ordering::SeqCst), 1);

        // What the admin typed stands; the lookup is not repeated within the day.
        let mut typed = named("www.google.com", "12");
        typed.period = Some(BillingPeriod::Yearly);
        typed.renewal_date = Some(Some("2027-01-15".parse().unwrap()));
        let added = app.add_item(&ws, &Actor::Cli, Kind::Domain, &typed).await.unwrap();
        assert_eq!(added.item.renewal_date, Some("2027-01-15".parse().unwrap()));
        assert_eq!(added.item.registrar.as_deref(), Some("MarkMonitor Inc."));
        assert_eq!(lookups.load(Ordering::SeqCst), 1, "google.com was looked up today already");

        // No expiration in the answer: unknown, never guessed. A TLD without RDAP: said, no request.
        let added = app.add_item(&ws, &Actor::Cli, Kind::Domain, &named("noexpiry.com", "9")).await.unwrap();
        assert_eq!(added.item.renewal_date, None);
        assert!(added.notices.iter().any(|n| n.contains("gives no expiry date")), "{:?}", added.notices);
        let added = app.add_item(&ws, &Actor::Cli, Kind::Domain, &named("acme.io", "40")).await.unwrap();
        assert_eq!(added.item.renewal_date, None);
        assert!(added.notices.iter().any(|n| n.contains("no RDAP service for .io")), "{:?}", added.notices);
        assert_eq!(lookups.load(Ordering::SeqCst), 2);

        // The daily round asks again only after a day.
        assert_eq!(app.run_due_lookups().await.unwrap(), 0);
        clock.advance(chrono::Duration::hours(25));
        assert_eq!(app.run_due_lookups().await.unwrap(), 3, "google.com, noexpiry.com, acme.io (unknown, kept)");
        assert_eq!(lookups.load(Ordering::SeqCst), 4);
    }
}

/// The two registry answers that must fill nothing in: one about another domain, and
/// one reached by a redirect off the registry's own address (to 127.0.0.2 over plain http).
#[tokio::test]
async fn untrusted_registry_answers_fill_nothing_in() {
    #[track_caller]
    fn check(added: &jarvis::app::views::ItemChanged, expected: &str) {
        assert_eq!((added.item.renewal_date, added.item.registrar.as_deref()), (None, None));
        let expected = format!("The registry lookup failed ({expected}); set the renewal date and registrar by hand");
        assert_eq!(added.notices, [expected]);
    }
    let db = TestDb::new().await;
    let rdap = fake_rdap().await;
    let port = rdap.bootstrap.base_url("com").unwrap().port().unwrap();
    let clock = ManualClock::at("2026-12-01T12:00:00Z");
    let app = App::new(db.store.clone(), Arc::new(clock)).with_net(Net::new(config(true), Some(rdap.bootstrap)));
    let ws = ws("4242");
    let added = app.add_item(&ws, &Actor::Cli, Kind::Domain, &named("ldhmismatch.com", "12")).await.unwrap();
    check(
        &added,
        "The RDAP service for ldhmismatch.com answered about GOOGLE.COM instead, so Jarvis did not use the answer; \
         try again later, or set the dates by hand",
    );
    let added = app.add_item(&ws, &Actor::Cli, Kind::Domain, &named("redirected.com", "12")).await.unwrap();
    check(
        &added,
        &format!(
            "The RDAP service for redirected.com redirected to http://127.0.0.2:{port}/domain/redirected.com, which \
             Jarvis does not follow (it is plain http to another address than the registry's own, \
             http://127.0.0.1:{port}); try again later, or set the dates by hand"
        ),
    );
    assert_eq!(rdap.lookups.load(Ordering::SeqCst), 2);
}

on_both_backends! {
    async fn the_registry_disagreeing_with_the_ledger_is_an_alert(db) {
        let rdap = fake_rdap().await;
        let clock = ManualClock::at("2026-12-01T12:00:00Z");
        let app =
            App::new(db.store.clone(), Arc::new(clock.clone())).with_net(Net::new(config(true), Some(rdap.bootstrap)));
        let ws = ws("4242");
        // The ledger says google.com renews in 2027; the registry says 2028-09-14.
        let mut google = named("google.com", "12");
        google.period = Some(BillingPeriod::Yearly);
        google.renewal_date = Some(Some("2027-03-01".parse().unwrap()));
        google.registrar = Some(Some(jarvis::domain::text::Label::parse("registrar", "MarkMonitor").unwrap()));
        let google_id = app.add_item(&ws, &Actor::Cli, Kind::Domain, &google).await.unwrap().item.id;
        // Auto-renewing, but the registry's expiry (2022-03-16) never moved.
        let mut lapsed = named("themarquetry.com", "12");
        lapsed.period = Some(BillingPeriod::Yearly);
        lapsed.renewal_date = Some(Some("2027-03-16".parse().unwrap()));
        lapsed.auto_renew = Some(true);
        lapsed.registrar = Some(Some(jarvis::domain::text::Label::parse("registrar", "Registrar.eu").unwrap()));
        let lapsed_id = app.add_item(&ws, &Actor::Cli, Kind::Domain, &lapsed).await.unwrap().item.id;
        assert_eq!(app.run_due_lookups().await.unwrap(), 2);
        let keys = |alerts: Vec<jarvis::analysis::alerts::Alert>| alerts.into_iter().map(|a| a.key).collect::<Vec<_>>();
        let mismatch = format!("registry_mismatch:{google_id}:2028-09-14:2027-03-01");
        let not_renewed = format!("registry_not_renewed:{lapsed_id}:2022-03-16");
        let found = keys(app.alerts(&ws).await.unwrap().alerts);
        assert!(found.contains(&mismatch) && found.contains(&not_renewed), "{found:?}");

        // A day later the registry refuses (rate limit): what it said before stands, the alerts stay
        // (no resolve and re-post), and the failure is retried within the hour.
        rdap.failing.store(true, Ordering::SeqCst);
        clock.advance(chrono::Duration::hours(25));
        assert_eq!(app.run_due_lookups().await.unwrap(), 2);
        let found = keys(app.alerts(&ws).await.unwrap().alerts);
        assert!(found.contains(&mismatch) && found.contains(&not_renewed), "{found:?}");
        assert_eq!(app.run_due_lookups().await.unwrap(), 0);
        clock.advance(chrono::Duration::minutes(61));
        rdap.failing.store(false, Ordering::SeqCst);
        assert_eq!(app.run_due_lookups().await.unwrap(), 2);

        // The admin sets the ledger to the registry's date: the old answer is stale (the ledger moved
        // since), so it is asked again at once, and agrees.
        let fixed = jarvis::domain::item::ItemChanges {
            renewal_date: Some(Some("2028-09-14".parse().unwrap())),
            ..Default::default()
        };
        app.edit_item(&ws, &Actor::Cli, &"google.com".parse().unwrap(), &fixed).await.unwrap();
        assert!(!keys(app.alerts(&ws).await.unwrap().alerts).contains(&mismatch));
        let before = rdap.lookups.load(Ordering::SeqCst);
        assert_eq!(app.run_due_lookups().await.unwrap(), 1);
        assert_eq!(rdap.lookups.load(Ordering::SeqCst), before + 1);
        let found = keys(app.alerts(&ws).await.unwrap().alerts);
        assert!(!found.contains(&mismatch) && found.contains(&not_renewed), "{found:?}");

        // The lapsed domain is removed: its alert goes, and its lookup is forgotten.
        app.remove_item(&ws, &Actor::Cli, &"themarquetry.com".parse().unwrap()).await.unwrap();
        assert!(!keys(app.alerts(&ws).await.unwrap().alerts).contains(&not_renewed));
        // (A lookup less than an hour old may be for an item being added: it is kept that long.)
        clock.advance(chrono::Duration::hours(2));
        app.run_due_lookups().await.unwrap();
        let remembered = db.store.read().await.unwrap().domain_lookups(&ws).await.unwrap();
        assert_eq!(remembered.iter().map(|l| l.domain.as_str()).collect::<Vec<_>>(), ["google.com"]);
    }
}
