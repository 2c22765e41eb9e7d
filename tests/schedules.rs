//! Scheduled reports through the app layer on a real SQLite file, with a clock the test moves:
//! the right local time across a DST change, once per slot across restarts, one late report
//! after downtime.

mod common;

use std::sync::Arc;

use common::{ManualClock, TestDb, ws};
use jarvis::app::{App, DeliveryFailure, ShardPlan, ShardRange};
use jarvis::domain::audit::Actor;
use jarvis::domain::page::PageRequest;
use jarvis::domain::workspace::SettingKey;

fn slots(due: &[jarvis::app::DueReport]) -> Vec<(String, bool)> {
    due.iter().map(|d| (d.slot.to_rfc3339(), d.late)).collect()
}

on_both_backends! {
    async fn weekly_reports_post_once_at_local_time_across_dst_restarts_and_downtime(db) {
        let clock = ManualClock::at("2026-10-20T12:00:00Z");
        let app = App::new(db.store.clone(), Arc::new(clock.clone()));
        let ws = ws("4242");
        app.set_setting(&ws, &Actor::Cli, SettingKey::Timezone, "America/New_York").await.unwrap();
        let view = app.set_schedule(&ws, &Actor::Cli, 777, "weekly monday", "09:00").await.unwrap();
        assert_eq!(view.next.as_deref(), Some("2026-10-26 09:00 EDT"));

        // Monday 2026-10-26, 09:00 EDT = 13:00 UTC: nothing a minute before, one report at it.
        clock.set("2026-10-26T12:59:00Z");
        assert!(app.claim_due_reports().await.unwrap().is_empty());
        clock.set("2026-10-26T13:00:20Z");
        assert_eq!(slots(&app.claim_due_reports().await.unwrap()), [("2026-10-26T13:00:00+00:00".into(), false)]);
        // A restart (a new app on the same database) a minute later posts nothing.
        clock.set("2026-10-26T13:01:00Z");
        let restarted = App::new(db.store.clone(), Arc::new(clock.clone()));
        assert!(restarted.claim_due_reports().await.unwrap().is_empty());

        // After the clocks go back (2026-11-01), Monday 09:00 EST is 14:00 UTC.
        clock.set("2026-11-02T13:30:00Z");
        assert!(restarted.claim_due_reports().await.unwrap().is_empty());
        clock.set("2026-11-02T14:00:05Z");
        assert_eq!(slots(&restarted.claim_due_reports().await.unwrap()), [("2026-11-02T14:00:00+00:00".into(), false)]);

        // Down from 2026-11-05 to 2026-11-18: the 9th and the 16th missed, one late report.
        clock.set("2026-11-18T10:00:00Z");
        assert_eq!(slots(&restarted.claim_due_reports().await.unwrap()), [("2026-11-16T14:00:00+00:00".into(), true)]);
        assert!(restarted.claim_due_reports().await.unwrap().is_empty());
    }
}

on_both_backends! {
    async fn a_new_schedule_does_not_post_for_a_past_slot_and_off_stops_it(db) {
        let clock = ManualClock::at("2026-11-30T12:00:00Z");
        let app = App::new(db.store.clone(), Arc::new(clock.clone()));
        let ws = ws("4242");
        app.set_setting(&ws, &Actor::Cli, SettingKey::Timezone, "Asia/Bangkok").await.unwrap();
        // Daily 08:00 Bangkok (01:00 UTC): today's slot already passed when it was set.
        let view = app.set_schedule(&ws, &Actor::Cli, 777, "daily", "08:00").await.unwrap();
        assert_eq!(view.next.as_deref(), Some("2026-12-01 08:00 +07"));
        assert!(app.claim_due_reports().await.unwrap().is_empty());
        clock.set("2026-12-01T01:00:00Z");
        assert_eq!(app.claim_due_reports().await.unwrap().len(), 1);
        // Moved to 09:00 at 10:00 local on the 2nd, after today's 08:00 report: no second report
        // for today's 09:00, which passed before the change; the next one is tomorrow's.
        clock.set("2026-12-02T03:00:00Z");
        assert_eq!(app.claim_due_reports().await.unwrap().len(), 1);
        let view = app.set_schedule(&ws, &Actor::Cli, 777, "daily", "09:00").await.unwrap();
        assert_eq!(view.next.as_deref(), Some("2026-12-03 09:00 +07"));
        assert!(app.claim_due_reports().await.unwrap().is_empty());
        clock.set("2026-12-03T02:00:00Z");
        assert_eq!(app.claim_due_reports().await.unwrap().len(), 1);
        app.remove_schedule(&ws, &Actor::Cli).await.unwrap();
        clock.set("2026-12-04T01:00:00Z");
        assert!(app.claim_due_reports().await.unwrap().is_empty());
        assert!(app.schedule(&ws).await.unwrap().is_none());
        // Bad schedules are refused with the usual messages.
        let error = app.set_schedule(&ws, &Actor::Cli, 777, "monthly 31", "08:00").await.unwrap_err();
        assert!(error.to_string().contains("from 1 to 28"), "{error}");
        let error = app.set_schedule(&ws, &Actor::Cli, 777, "daily", "8am").await.unwrap_err();
        assert!(error.to_string().contains("HH:MM"), "{error}");
    }
}

on_both_backends! {
    /// What is over is forgotten: sent messages after 30 days (pending ones stay however old), and
    /// resolved alerts after 90 days.
    async fn delivery_history_is_pruned_but_nothing_owed_is(db) {
        let clock = ManualClock::at("2026-11-30T12:00:00Z");
        let app = App::new(db.store.clone(), Arc::new(clock.clone()));
        let ws = ws("4242");
        app.set_schedule(&ws, &Actor::Cli, 777, "daily", "13:00").await.unwrap();
        app.set_setting(&ws, &Actor::Cli, SettingKey::AlertChannel, "700").await.unwrap();
        let mut domain = common::named("acme.dev", "12");
        domain.period = Some(jarvis::domain::item::BillingPeriod::Yearly);
        domain.renewal_date = Some(Some("2026-12-06".parse().unwrap()));
        app.add_item(&ws, &Actor::Cli, jarvis::domain::item::Kind::Domain, &domain).await.unwrap();
        // An alert message and a report, both delivered; a second report Discord never took.
        assert_eq!(app.evaluate_alerts().await.unwrap(), 1);
        clock.set("2026-11-30T13:00:00Z");
        assert_eq!(app.claim_due_reports().await.unwrap().len(), 1);
        for (n, entry) in app.deliverable(10).await.unwrap().iter().enumerate() {
            app.delivered(entry, 5000 + n as u64).await.unwrap();
        }
        clock.set("2026-12-01T13:00:00Z");
        assert_eq!(app.claim_due_reports().await.unwrap().len(), 1);
        app.remove_schedule(&ws, &Actor::Cli).await.unwrap();
        // The domain goes: its alert resolves (an edit, delivered).
        app.remove_item(&ws, &Actor::Cli, &"acme.dev".parse().unwrap()).await.unwrap();
        clock.set("2026-12-01T14:00:00Z");
        assert_eq!(app.evaluate_alerts().await.unwrap(), 1);
        let edit = app.deliverable(10).await.unwrap().into_iter().find(|e| e.kind == "alert_resolved").unwrap();
        app.delivered(&edit, 5000).await.unwrap();

        assert_eq!(app.prune_delivery_history().await.unwrap(), (0, 0));
        // 31 days on: the two delivered posts of Nov 30 go; the edit of Dec 1 and the pending report stay.
        clock.set("2026-12-31T13:30:00Z");
        assert_eq!(app.prune_delivery_history().await.unwrap(), (2, 0));
        let owed = app.deliverable(10).await.unwrap();
        assert_eq!(owed.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(), ["report"]);
        // 91 days after it resolved, the alert is forgotten.
        clock.set("2027-03-02T14:00:01Z");
        assert_eq!(app.prune_delivery_history().await.unwrap(), (1, 1));
        assert_eq!(app.deliverable(10).await.unwrap().len(), 1);
    }
}

on_both_backends! {
    /// A channel that turns messages away is reported to the admins once a day, not once a message;
    /// with nowhere else to say it, the caller is told to log it.
    async fn undeliverable_channels_get_one_notice_a_day(db) {
        let clock = ManualClock::at("2026-11-30T12:00:00Z");
        let app = App::new(db.store.clone(), Arc::new(clock.clone()));
        let ws = ws("4242");
        app.set_setting(&ws, &Actor::Cli, SettingKey::AlertChannel, "700").await.unwrap();
        // The alert channel itself is gone: nowhere to say it.
        assert!(!app.notify_undeliverable(&ws, 700, "alerts", "Unknown Channel").await.unwrap());
        assert!(app.deliverable(10).await.unwrap().is_empty());
        // The report channel: one notice, in the alert channel, for two failed reports.
        assert!(app.notify_undeliverable(&ws, 777, "report", "Missing Access").await.unwrap());
        clock.set("2026-11-30T20:00:00Z");
        assert!(app.notify_undeliverable(&ws, 777, "report", "Missing Access").await.unwrap());
        let owed = app.deliverable(10).await.unwrap();
        assert_eq!(owed.len(), 1);
        assert_eq!((owed[0].kind.as_str(), owed[0].channel_id), ("notice", 700));
        assert_eq!(owed[0].payload["channel"], "777");
        // Another channel is its own notice; the next day, a fresh one.
        assert!(app.notify_undeliverable(&ws, 778, "report", "Missing Access").await.unwrap());
        clock.set("2026-12-01T12:00:01Z");
        assert!(app.notify_undeliverable(&ws, 777, "report", "Missing Access").await.unwrap());
        assert_eq!(app.deliverable(10).await.unwrap().len(), 3);
    }
}

/// A report an admin asks for is queued once per request (Discord may deliver an interaction
/// twice), in the report channel or, without a schedule, where it was asked; each queued report
/// is audited under who asked, and wakes the delivery loop.
#[tokio::test]
async fn a_report_asked_for_is_queued_once_per_request() {
    use jarvis::app::{AppError, QueuedReport, RequestKey};
    let db = TestDb::new().await;
    let clock = ManualClock::at("2026-11-30T12:00:00Z");
    let app = App::new(db.store.clone(), Arc::new(clock.clone()));
    let ws = ws("4242");
    let admin = Actor::User("1001".into());
    let queue = |request: u64| {
        let (app, ws, admin) = (app.clone(), ws.clone(), admin.clone());
        async move { app.keyed(RequestKey::discord(request)).queue_report(&ws, &admin, 900).await }
    };

    assert_eq!(queue(111).await.unwrap(), QueuedReport { channel_id: 900 });
    let woken = tokio::time::timeout(std::time::Duration::from_secs(10), app.outbox_queued()).await;
    assert!(woken.is_ok(), "queueing wakes the delivery loop");
    assert!(matches!(queue(111).await, Err(AppError::Repeated(_))), "the same request again");
    let woken = tokio::time::timeout(std::time::Duration::from_millis(200), app.outbox_queued()).await;
    assert!(woken.is_err(), "nothing new was queued, nothing to wake for");

    // With a schedule, a new request goes to the report channel.
    app.set_schedule(&ws, &Actor::Cli, 777, "daily", "09:00").await.unwrap();
    assert_eq!(queue(112).await.unwrap(), QueuedReport { channel_id: 777 });
    let owed = app.deliverable(10).await.unwrap();
    let owed_where: Vec<(&str, u64)> = owed.iter().map(|e| (e.kind.as_str(), e.channel_id)).collect();
    assert_eq!(owed_where, [("report", 900), ("report", 777)]);
    // Once delivered, its request still does not queue it again.
    app.delivered(&owed[0], 5000).await.unwrap();
    assert!(matches!(queue(111).await, Err(AppError::Repeated(_))));
    assert_eq!(app.deliverable(10).await.unwrap().len(), 1);
    // Another workspace's request with the same id is its own.
    let other = app.keyed(RequestKey::discord(111)).queue_report(&common::ws("5151"), &admin, 901).await.unwrap();
    assert_eq!(other, QueuedReport { channel_id: 901 });

    let log = app.audit_log(&ws, PageRequest::first(100).unwrap()).await.unwrap().entries;
    let posts: Vec<(&str, &str)> =
        log.iter().filter(|e| e.action == "report.post").map(|e| (e.actor.as_str(), e.entity.as_str())).collect();
    assert_eq!(posts.len(), 2, "{posts:?}");
    assert!(posts.iter().all(|(actor, _)| actor.contains("1001")), "{posts:?}");
}

on_both_backends! {
    /// Two instances on one ledger: each message owed is delivered by one of them only. A claimed
    /// message is the claimer's until it is marked sent or retried, or its lease runs out (its
    /// instance died): then the other takes it over.
    async fn an_outbox_message_is_claimed_by_one_instance_and_taken_over_when_its_lease_runs_out(db) {
        let clock = ManualClock::at("2026-11-30T12:00:00Z");
        let app = App::new(db.store.clone(), Arc::new(clock.clone()));
        let (a, b) = (app.with_instance("host-a/1/aaaaaa"), app.with_instance("host-b/2/bbbbbb"));
        assert_ne!(app.instance(), a.instance());
        for (n, channel) in [701_u64, 702, 703].into_iter().enumerate() {
            let ws = ws(&format!("{}", 4300 + n));
            app.set_schedule(&ws, &Actor::Cli, channel, "daily", "13:00").await.unwrap();
        }
        clock.set("2026-11-30T13:00:00Z");
        assert_eq!(app.claim_due_reports().await.unwrap().len(), 3);

        // A takes two, B the one left, and neither takes the other's again.
        let by_a = a.deliverable(2).await.unwrap();
        let by_b = b.deliverable(10).await.unwrap();
        assert_eq!((by_a.len(), by_b.len()), (2, 1));
        assert!(by_a.iter().all(|x| by_b.iter().all(|y| x.id != y.id)));
        assert!(b.deliverable(10).await.unwrap().iter().all(|y| y.id == by_b[0].id), "B holds only its own");
        assert_eq!(a.deliverable(10).await.unwrap().len(), 2, "A still holds its two");
        // Claimed messages are being delivered: the delivery loops sleep until their leases end.
        let lease = app.lease();
        assert!(by_a.iter().chain(&by_b).all(|entry| !entry.maybe_posted), "nobody had them before");
        assert_eq!(b.next_delivery_in().await.unwrap(), Some(lease));
        b.delivered(&by_b[0], 9001).await.unwrap();
        assert_eq!(b.next_delivery_in().await.unwrap(), Some(lease), "A's claims end in a lease");
        // A delivers one, then dies with the other in hand: after the lease B takes it over.
        a.delivered(&by_a[0], 9002).await.unwrap();
        clock.advance(chrono::Duration::seconds(30));
        assert!(b.deliverable(10).await.unwrap().is_empty(), "A's lease still runs");
        clock.advance(chrono::Duration::from_std(lease).unwrap());
        let taken = b.deliverable(10).await.unwrap();
        assert_eq!(taken.iter().map(|e| e.id).collect::<Vec<_>>(), [by_a[1].id]);
        assert!(taken[0].maybe_posted, "taken over from A: B looks in the channel before posting");
        assert!(a.deliverable(10).await.unwrap().is_empty(), "A, back, finds it taken");
        assert!(!a.renew_delivery(&by_a[1]).await.unwrap(), "and does not post it");
        assert!(b.renew_delivery(&taken[0]).await.unwrap());
        b.delivered(&taken[0], 9003).await.unwrap();
        assert!(app.next_delivery_in().await.unwrap().is_none(), "nothing owed");

        // A post whose outcome is unknown (no answer) stays "maybe posted" for whoever tries next,
        // and so does one left by an instance that stopped; a rate limit does not make one.
        let ws = ws("4300");
        app.queue_report(&ws, &Actor::Cli, 701).await.unwrap();
        let first = a.deliverable(1).await.unwrap().remove(0);
        assert!(!first.maybe_posted);
        let failure = |maybe_posted| DeliveryFailure::Retry { after: None, error: "network: reset".into(), maybe_posted };
        a.delivery_failed(first.id, first.attempts, &failure(true)).await.unwrap();
        clock.advance(chrono::Duration::seconds(10));
        let again = b.deliverable(1).await.unwrap().remove(0);
        assert_eq!((again.id, again.maybe_posted), (first.id, true), "B looks in the channel first");
        b.instance_stopped(true).await.unwrap();
        let after_stop = a.deliverable(1).await.unwrap().remove(0);
        assert_eq!((after_stop.id, after_stop.maybe_posted), (first.id, true), "free at once, still looked for");
        a.delivered(&after_stop, 9004).await.unwrap();
        app.queue_report(&ws, &Actor::Cli, 701).await.unwrap();
        let limited = a.deliverable(1).await.unwrap().remove(0);
        a.delivery_failed(limited.id, limited.attempts, &failure(false)).await.unwrap();
        clock.advance(chrono::Duration::seconds(10));
        assert!(!b.deliverable(1).await.unwrap().remove(0).maybe_posted, "Discord refused it: nothing to look for");
    }
}

on_both_backends! {
    /// A job claimed by one instance is refused to another until its owner releases it or its
    /// lease runs out; the owner renews it.
    async fn a_job_is_held_by_one_instance_at_a_time(db) {
        let now: chrono::DateTime<chrono::Utc> = "2026-11-30T12:00:00Z".parse().unwrap();
        let lease = chrono::Duration::seconds(60);
        let claim = |owner: &'static str, at: chrono::DateTime<chrono::Utc>| {
            let store = db.store.clone();
            async move {
                let mut tx = store.write().await.unwrap();
                let held = tx.claim_job("housekeeping", owner, at, at + lease).await.unwrap();
                tx.commit().await.unwrap();
                held
            }
        };
        assert!(claim("a", now).await);
        assert!(!claim("b", now + chrono::Duration::seconds(10)).await, "A's lease runs");
        assert!(claim("a", now + chrono::Duration::seconds(50)).await, "A renews");
        assert!(!claim("b", now + chrono::Duration::seconds(100)).await, "renewed to 110 s");
        assert!(claim("b", now + chrono::Duration::seconds(111)).await, "run out: B takes it");
        let mut tx = db.store.write().await.unwrap();
        assert!(!tx.release_job("housekeeping", "a", now + chrono::Duration::seconds(120)).await.unwrap(), "A no longer holds it");
        let holder = tx.job_holder("housekeeping", now + chrono::Duration::seconds(120)).await.unwrap();
        assert_eq!(holder.map(|(owner, _)| owner).as_deref(), Some("b"));
        assert!(tx.release_job("housekeeping", "b", now + chrono::Duration::seconds(120)).await.unwrap());
        tx.commit().await.unwrap();
        assert!(claim("a", now + chrono::Duration::seconds(121)).await, "released: A at once");
    }
}

on_both_backends! {
    /// Background work goes through `App::claimed`: while one instance does it the others skip
    /// it, and once done it is free again; a dead instance's claim runs out with its lease.
    async fn background_work_is_done_by_one_instance_at_a_time(db) {
        let clock = ManualClock::at("2026-11-30T12:00:00Z");
        let app = App::new(db.store.clone(), Arc::new(clock.clone()));
        let (a, b) = (app.with_instance("host-a/1/aaaaaa"), app.with_instance("host-b/2/bbbbbb"));
        let lease = chrono::Duration::from_std(app.lease()).unwrap();
        let hour = std::time::Duration::from_secs(3600);
        // A is in the middle of it (its claim taken, its work not done): B skips it.
        let inside = a
            .claimed("housekeeping", hour, async {
                let skipped = b.claimed("housekeeping", hour, async { Ok("b ran") }).await.unwrap();
                assert_eq!(skipped, None, "B skipped it while A held it");
                Ok("a ran")
            })
            .await
            .unwrap();
        assert_eq!(inside, Some("a ran"));
        // Done and released: B may do it now.
        assert_eq!(b.claimed("housekeeping", hour, async { Ok(1) }).await.unwrap(), Some(1));
        // A dies holding it: nobody may for the lease, anybody after.
        let mut tx = db.store.write().await.unwrap();
        let now: chrono::DateTime<chrono::Utc> = "2026-11-30T12:00:00Z".parse().unwrap();
        assert!(tx.claim_job("alert evaluation", a.instance(), now, now + lease).await.unwrap());
        tx.commit().await.unwrap();
        assert_eq!(b.claimed("alert evaluation", hour, async { Ok(()) }).await.unwrap(), None);
        clock.advance(lease + chrono::Duration::seconds(1));
        assert_eq!(b.claimed("alert evaluation", hour, async { Ok(()) }).await.unwrap(), Some(()));

        // A live instance keeps the job it did last (its caches are warm): B may take it only
        // once A is gone (silent for two leases) or has not done it for two cadences.
        let started = app.now();
        a.heartbeat(started, None).await.unwrap();
        b.heartbeat(started, None).await.unwrap();
        assert_eq!(a.claimed("report slots", hour, async { Ok(()) }).await.unwrap(), Some(()));
        clock.advance(chrono::Duration::minutes(1));
        assert_eq!(b.claimed("report slots", hour, async { Ok(()) }).await.unwrap(), None, "A's still");
        assert_eq!(a.claimed("report slots", hour, async { Ok(()) }).await.unwrap(), Some(()), "A again");
        clock.advance(chrono::Duration::minutes(119));
        a.heartbeat(started, None).await.unwrap();
        assert_eq!(b.claimed("report slots", hour, async { Ok(()) }).await.unwrap(), None, "119 minutes: not yet neglected");
        clock.advance(chrono::Duration::minutes(2));
        a.heartbeat(started, None).await.unwrap();
        assert_eq!(b.claimed("report slots", hour, async { Ok(()) }).await.unwrap(), Some(()), "neglected for two hours");
        b.heartbeat(started, None).await.unwrap();
        assert_eq!(a.claimed("report slots", hour, async { Ok(()) }).await.unwrap(), None, "B's now");
        clock.advance(lease * 2 + chrono::Duration::seconds(1));
        a.heartbeat(started, None).await.unwrap();
        assert_eq!(a.claimed("report slots", hour, async { Ok(()) }).await.unwrap(), Some(()), "B went silent");
        b.heartbeat(started, None).await.unwrap();
        a.instance_stopped(true).await.unwrap();
        assert_eq!(b.claimed("report slots", hour, async { Ok(()) }).await.unwrap(), Some(()), "A stopped: at once");
    }
}

on_both_backends! {
    /// `jarvis status`: the instances by their heartbeats (one silent for two leases is gone), the
    /// jobs they hold, what is owed; an instance that stops cleanly frees what it held at once.
    async fn the_status_shows_live_and_gone_instances_their_jobs_and_what_is_owed(db) {
        let clock = ManualClock::at("2026-11-30T12:00:00Z");
        let app = App::new(db.store.clone(), Arc::new(clock.clone()));
        let (a, b) = (app.with_instance("host-a/1/aaaaaa"), app.with_instance("host-b/2/bbbbbb"));
        let empty = app.status(None).await.unwrap();
        assert!(empty.instances.is_empty() && empty.jobs.is_empty() && empty.owed == 0);
        assert_eq!((empty.shard_count, empty.unserved_shards.len()), (None, 0));
        let started = app.now();
        let (shard_a, shard_b) = (ShardPlan::new(Some(ShardRange::parse("0").unwrap()), 2).unwrap(), ShardPlan::new(Some(ShardRange::parse("1").unwrap()), 2).unwrap());
        a.claim_shards(&shard_a).await.unwrap();
        b.claim_shards(&shard_b).await.unwrap();
        a.heartbeat(started, Some(&shard_a)).await.unwrap();
        b.heartbeat(started, Some(&shard_b)).await.unwrap();
        let both = app.status(None).await.unwrap();
        assert_eq!((both.shard_count, both.unserved_shards.clone()), (Some(2), vec![]));
        assert!(both.jobs.is_empty(), "shards are not jobs: {:?}", both.jobs);
        let ws = ws("4400");
        app.set_schedule(&ws, &Actor::Cli, 701, "daily", "13:00").await.unwrap();
        clock.set("2026-11-30T13:00:00Z");
        assert_eq!(app.claim_due_reports().await.unwrap().len(), 1);
        let claimed = a.deliverable(10).await.unwrap();
        // A goes on beating; B falls silent.
        clock.advance(chrono::Duration::seconds(150));
        a.heartbeat(started, Some(&shard_a)).await.unwrap();
        let now = app.now();
        let mut tx = db.store.write().await.unwrap();
        assert!(tx.claim_job("housekeeping", b.instance(), now, now + chrono::Duration::minutes(10)).await.unwrap());
        tx.commit().await.unwrap();
        let status = app.status(None).await.unwrap();
        assert_eq!(status.unserved_shards, [1], "B's shard is unserved once B is gone");
        let states: Vec<(&str, bool)> = status.instances.iter().map(|i| (i.id.as_str(), i.live)).collect();
        assert_eq!(states, [("host-a/1/aaaaaa", true), ("host-b/2/bbbbbb", false)]);
        assert_eq!(status.jobs.iter().map(|j| (j.job.as_str(), j.owner.as_str())).collect::<Vec<_>>(), [("housekeeping", "host-b/2/bbbbbb")]);
        let oldest = status.oldest_owed.as_ref().unwrap();
        assert_eq!((status.owed, oldest.id, oldest.claimed_by.as_deref()), (1, claimed[0].id, Some("host-a/1/aaaaaa")));
        assert_eq!(status.last_report_slot.as_ref().map(|s| s.workspace.as_str()), Some("4400"));
        // A Discord server's admins see what is owed to their server only.
        let elsewhere = app.status(Some(&common::ws("4401"))).await.unwrap();
        assert_eq!((elsewhere.owed, elsewhere.oldest_owed.is_none(), elsewhere.last_report_slot.is_none()), (0, true, true));
        assert_eq!(app.status(Some(&ws)).await.unwrap().owed, 1);
        // A stops cleanly: gone from the list, its message free for B at once.
        a.instance_stopped(true).await.unwrap();
        let status = app.status(None).await.unwrap();
        assert_eq!(status.instances.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(), ["host-b/2/bbbbbb"]);
        assert_eq!(b.deliverable(10).await.unwrap().len(), 1);
    }
}

on_both_backends! {
    /// Shards are claimed at start: a live instance's shard is refused to another (it renews its
    /// claim), a dead instance's is taken once its lease runs out, and a deployment runs one
    /// shard count.
    async fn shards_are_served_by_one_instance_and_taken_back_after_a_death(db) {
        let clock = ManualClock::at("2026-11-30T12:00:00Z");
        let app = App::new(db.store.clone(), Arc::new(clock.clone())).with_lease(std::time::Duration::from_secs(3));
        let (a, b, c) = (app.with_instance("a/1/aaaaaa"), app.with_instance("b/2/bbbbbb"), app.with_instance("c/3/cccccc"));
        let plan = |range: &str, count| ShardPlan::new(Some(ShardRange::parse(range).unwrap()), count).unwrap();
        a.claim_shards(&plan("0-1", 4)).await.unwrap();
        c.claim_shards(&plan("2-3", 4)).await.unwrap();
        // Another count is refused once the instances running with theirs renew their claims.
        let asking = tokio::spawn({
            let b = b.clone();
            async move { b.claim_shards(&plan("0", 2)).await }
        });
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert!(!asking.is_finished(), "they may have died: B waits for a lease");
        clock.advance(chrono::Duration::seconds(1));
        a.heartbeat(app.now(), Some(&plan("0-1", 4))).await.unwrap();
        let other_count = asking.await.unwrap().unwrap_err().to_string();
        assert!(other_count.contains("same --shard-count"), "{other_count}");
        // B asks for A's shard 1 while A lives (and renews): refused, naming A.
        let ask_for_shard_one = || {
            let b = b.clone();
            tokio::spawn(async move { b.claim_shards(&plan("1", 4)).await })
        };
        let asking = ask_for_shard_one();
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert!(!asking.is_finished(), "B waits while the lease runs");
        clock.advance(chrono::Duration::seconds(2));
        a.heartbeat(app.now(), Some(&plan("0-1", 4))).await.unwrap();
        let refused = asking.await.unwrap().unwrap_err().to_string();
        assert!(refused.contains("served by instance a/1/aaaaaa, which is alive"), "{refused}");
        // A dies: B gets shard 1 once A's lease has run out, not before.
        let asking = ask_for_shard_one();
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert!(!asking.is_finished(), "A's lease still runs");
        clock.advance(chrono::Duration::seconds(4));
        tokio::time::timeout(std::time::Duration::from_secs(10), asking).await.unwrap().unwrap().unwrap();
    }
}
