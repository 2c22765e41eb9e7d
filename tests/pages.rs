//! Long lists a page at a time through the app layer, on real SQLite files: every page together
//! is the whole list, each row once, in a stable order; totals cover every page; a page after the
//! last says how many there are.

mod common;

use chrono::NaiveDate;
use common::{dec, named, ws};
use jarvis::app::views::CostHistory;
use jarvis::app::{App, AppError, CostInput, CostPeriod, ItemFilter, ItemRef};
use jarvis::domain::audit::Actor;
use jarvis::domain::calendar::{DateRange, Month};
use jarvis::domain::cost::CostSource;
use jarvis::domain::item::{BillingPeriod, ItemChanges, Kind};
use jarvis::domain::money::{Currency, Money};
use jarvis::domain::page::{PageInfo, PageNumber, PageRequest};
use jarvis::domain::rates::{ExchangeRate, RateBook};
use jarvis::domain::workspace::WorkspaceId;

const NOW: &str = "2026-11-30T09:00:00Z";

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn page(number: u32, size: u32) -> PageRequest {
    PageRequest::new(number, size).unwrap()
}

/// Everything on one page (the most a page may hold).
fn everything() -> PageRequest {
    PageRequest::first(PageRequest::MAX_SIZE).unwrap()
}

fn info(page: u32, pages: u32, per_page: u32, total: u64) -> PageInfo {
    PageInfo { page, pages, per_page, total }
}

/// The message of a refusal.
fn refusal(result: Result<impl std::fmt::Debug, AppError>) -> String {
    match result {
        Err(AppError::User(error)) => error.to_string(),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// Reads every page of a list of `size` rows with `read` (which returns the page's rows and
/// where it falls), checks that each says where it falls, and returns the rows in order.
async fn all_pages<T, F, Fut>(size: u32, mut read: F) -> Vec<T>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: std::future::Future<Output = (Vec<T>, PageInfo)>,
{
    let (first, info) = read(page(1, size)).await;
    let mut rows = first;
    for number in 2..=info.pages {
        let (more, at) = read(page(number, size)).await;
        assert_eq!((at.page, at.pages, at.total), (number, info.pages, info.total));
        assert!(!more.is_empty() && more.len() <= size as usize, "page {number} holds {} rows", more.len());
        rows.extend(more);
    }
    assert_eq!(rows.len() as u64, info.total, "the pages hold every row");
    rows
}

#[track_caller]
fn no_repeats(ids: &[i64]) {
    let mut seen = ids.to_vec();
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen.len(), ids.len(), "a row shows on two pages: {ids:?}");
}

async fn add(app: &App, workspace: &WorkspaceId, kind: Kind, changes: ItemChanges) -> i64 {
    app.add_item(workspace, &Actor::Cli, kind, &changes).await.unwrap().item.id
}

on_both_backends! {
    async fn item_pages_hold_every_item_once_and_the_totals_of_all(db) {
        let app = db.app_at(NOW);
        let local = ws("local");
        for (kind, name, cost) in [
            (Kind::Hosting, "zeta", "5"),
            (Kind::Domain, "beta.dev", "12"),
            (Kind::Hosting, "Alpha", "7"),
            (Kind::Domain, "alpha.dev", "10"),
            (Kind::Package, "GitHub", "20"),
            (Kind::AiProvider, "OpenAI", "30"),
            (Kind::Hosting, "beta", "9"),
            (Kind::Cdn, "edge", "3"),
            (Kind::Other, "Office", "1"),
        ] {
            add(&app, &local, kind, named(name, cost)).await;
        }
        let whole = app.list_items(&local, ItemFilter::default(), everything()).await.unwrap();
        assert_eq!(whole.paging, info(1, 1, 1000, 9));
        // 75 a month, and the two domains' 22 a year.
        assert_eq!(whole.totals.total_monthly_cost.to_string(), "76.83 USD");
        let names: Vec<&str> = whole.items.iter().map(|i| i.name.as_str()).collect();
        // By category, kind, then name regardless of case.
        assert_eq!(names, ["alpha.dev", "beta.dev", "Alpha", "beta", "zeta", "edge", "OpenAI", "GitHub", "Office"]);

        let rows = all_pages(4, |request| {
            let app = app.clone();
            let local = local.clone();
            async move {
                let list = app.list_items(&local, ItemFilter::default(), request).await.unwrap();
                // Every page carries the totals of every item, not of its own.
                assert_eq!(list.totals.total_monthly_cost.to_string(), "76.83 USD");
                (list.items, list.paging)
            }
        })
        .await;
        let ids: Vec<i64> = rows.iter().map(|i| i.id).collect();
        no_repeats(&ids);
        assert_eq!(ids, whole.items.iter().map(|i| i.id).collect::<Vec<_>>());
        let last = app.list_items(&local, ItemFilter::default(), PageRequest::last(4).unwrap()).await.unwrap();
        assert_eq!((last.paging, last.items.len()), (info(3, 3, 4, 9), 1));

        // A filter pages what it matches, and its totals are of what it matches.
        let hosting = ItemFilter { kind: Some(Kind::Hosting), ..Default::default() };
        let second = app.list_items(&local, hosting, page(2, 2)).await.unwrap();
        assert_eq!(second.paging, info(2, 2, 2, 3));
        assert_eq!(second.items.iter().map(|i| i.name.as_str()).collect::<Vec<_>>(), ["zeta"]);
        assert_eq!(second.totals.total_monthly_cost.to_string(), "21.00 USD");

        assert_eq!(
            refusal(app.list_items(&local, ItemFilter::default(), page(4, 4)).await),
            "Page 4 is past the end: the 9 items fill 3 pages of 4; ask for a page from 1 to 3"
        );
        // Nothing to list is one empty page, not an error.
        let empty = app.list_items(&ws("empty"), ItemFilter::default(), PageRequest::default()).await.unwrap();
        assert!(empty.items.is_empty());
        assert_eq!(empty.paging, info(1, 1, 50, 0));
        assert_eq!(
            refusal(app.list_items(&ws("empty"), ItemFilter::default(), page(2, 50)).await),
            "Page 2 is past the end: there are no items"
        );
    }
}

fn cost(item: &str, amount: &str, from: &str, to: &str) -> CostInput {
    CostInput {
        item: ItemRef::new(item),
        amount: dec(amount),
        currency: None,
        period: CostPeriod::Range(DateRange::new(d(from), d(to)).unwrap()),
        source: CostSource::Import,
        usage: None,
        note: None,
        replace: false,
        again: true,
    }
}

/// The history's total worked out independently: each record's share of the days, converted at
/// the rate of its first day, added one by one in the order listed.
fn expected_total(history: &CostHistory, rates: &RateBook, window: DateRange) -> Money {
    let mut total = Money::zero(history.base_currency);
    for record in &history.records {
        let period = DateRange::new(record.period_start, record.period_end).unwrap();
        let share = Money::new(period.share(record.amount.amount, window), record.amount.currency);
        if let Ok(converted) = rates.convert(share, history.base_currency, record.period_start) {
            total = total.plus(converted);
        }
    }
    total
}

on_both_backends! {
    async fn history_pages_hold_every_record_once_and_the_total_of_all(db) {
        let app = db.app_at(NOW);
        let local = ws("local");
        let thb = Currency::parse("THB").unwrap();
        let eur = Currency::parse("EUR").unwrap();
        add(&app, &local, Kind::Other, ItemChanges { currency: Some(thb), ..named("Office internet", "1290") }).await;
        add(&app, &local, Kind::Hosting, named("api", "100")).await;
        add(&app, &local, Kind::Package, ItemChanges { currency: Some(eur), ..named("Tool", "9") }).await;
        app.set_rate(&local, &Actor::Cli, Currency::USD, thb, dec("35.2"), Some(d("2026-01-01"))).await.unwrap();
        // Records in THB (converted by dividing: non-terminating decimals), USD, and EUR (no rate:
        // left out), several starting on the same day, some reaching outside the window.
        for month in 1..=10u32 {
            let days = Month::new(2026, month).unwrap().range();
            let (first, last) = (days.start.to_string(), days.end.to_string());
            app.record_cost(&local, &Actor::Cli, &cost("Office internet", "1290", &first, &last)).await.unwrap();
            app.record_cost(&local, &Actor::Cli, &cost("api", "100.01", &first, &last)).await.unwrap();
        }
        for (amount, from, to) in [("9", "2026-03-01", "2026-03-31"), ("30", "2026-02-15", "2026-05-14")] {
            app.record_cost(&local, &Actor::Cli, &cost("Tool", amount, from, to)).await.unwrap();
        }
        let rates = RateBook::new(
            app.list_rates(&local)
                .await
                .unwrap()
                .iter()
                .map(|r| ExchangeRate { base: r.base, quote: r.quote, rate: r.rate, date: r.date })
                .collect(),
        );

        for (from, to) in [(None, None), (Some(d("2026-02-20")), Some(d("2026-07-10")))] {
            let window = DateRange::between(from.unwrap_or(NaiveDate::MIN), to.unwrap_or(NaiveDate::MAX)).unwrap();
            let whole = app.cost_history(&local, None, from, to, everything()).await.unwrap();
            // Oldest first; records of the same first day by id.
            let order: Vec<(NaiveDate, i64)> = whole.records.iter().map(|r| (r.period_start, r.id)).collect();
            let mut sorted = order.clone();
            sorted.sort();
            assert_eq!(order, sorted);
            assert_eq!(whole.total, expected_total(&whole, &rates, window), "exactly the records' shares added up");
            assert_eq!(whole.left_out.len(), 1, "{:?}", whole.left_out);
            let rows = all_pages(7, |request| {
                let (app, local, whole) = (app.clone(), local.clone(), whole.clone());
                async move {
                    let history = app.cost_history(&local, None, from, to, request).await.unwrap();
                    // The total, and what it leaves out, are of every record on every page.
                    assert_eq!(history.total, whole.total);
                    assert_eq!(format!("{:?}", history.left_out), format!("{:?}", whole.left_out));
                    (history.records, history.paging)
                }
            })
            .await;
            let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
            no_repeats(&ids);
            assert_eq!(ids, whole.records.iter().map(|r| r.id).collect::<Vec<_>>());
        }

        let all = app.cost_history(&local, None, None, None, everything()).await.unwrap();
        assert_eq!(all.paging, info(1, 1, 1000, 22));
        let last = app.cost_history(&local, None, None, None, PageRequest::last(10).unwrap()).await.unwrap();
        assert_eq!(last.paging, info(3, 3, 10, 22));
        assert_eq!(
            last.records.iter().map(|r| r.id).collect::<Vec<_>>(),
            all.records[20..].iter().map(|r| r.id).collect::<Vec<_>>()
        );
        // One item's history pages too, and names the item it is about.
        let api = app.cost_history(&local, Some(&ItemRef::new("api")), None, None, page(2, 4)).await.unwrap();
        assert_eq!((api.paging, api.item_id), (info(2, 3, 4, 10), Some(2)));
        assert!(api.records.iter().all(|r| r.item == "api"));
        assert_eq!(
            refusal(app.cost_history(&local, None, None, None, page(9, 10)).await),
            "Page 9 is past the end: the 22 cost records fill 3 pages of 10; ask for a page from 1 to 3"
        );
        let none =
            app.cost_history(&local, None, Some(d("2030-01-01")), None, PageRequest::last(10).unwrap()).await.unwrap();
        assert_eq!((none.records.len(), none.paging), (0, info(1, 1, 10, 0)));
    }
}

on_both_backends! {
    async fn renewal_pages_hold_every_renewal_once_soonest_first(db) {
        let app = db.app_at(NOW);
        let local = ws("local");
        let renewing = |name: &str, date: &str| ItemChanges {
            renewal_date: Some(Some(d(date))),
            auto_renew: Some(true),
            period: Some(BillingPeriod::Yearly),
            ..named(name, "10")
        };
        // Two items of the same name (of different kinds) renew on the same day.
        for (kind, name, date) in [
            (Kind::Domain, "acme", "2026-12-10"),
            (Kind::Package, "acme", "2026-12-10"),
            (Kind::Domain, "zed.dev", "2026-12-02"),
            (Kind::Hosting, "box", "2026-12-10"),
            (Kind::Package, "later", "2027-03-01"),
            (Kind::Package, "Notion", "2026-12-24"),
        ] {
            add(&app, &local, kind, renewing(name, date)).await;
        }
        let whole = app.renewals(&local, Some(30), everything()).await.unwrap();
        let order: Vec<(String, i64)> = whole.renewals.iter().map(|r| (r.item.clone(), r.item_id)).collect();
        assert_eq!(
            order,
            [("zed.dev".into(), 3), ("acme".into(), 1), ("acme".into(), 2), ("box".into(), 4), ("Notion".into(), 6)]
        );
        let rows = all_pages(2, |request| {
            let (app, local) = (app.clone(), local.clone());
            async move {
                let list = app.renewals(&local, Some(30), request).await.unwrap();
                (list.renewals, list.paging)
            }
        })
        .await;
        let ids: Vec<i64> = rows.iter().map(|r| r.item_id).collect();
        no_repeats(&ids);
        assert_eq!(ids, [3, 1, 2, 4, 6]);
        assert_eq!(
            refusal(app.renewals(&local, Some(30), page(4, 2)).await),
            "Page 4 is past the end: the 5 renewals fill 3 pages of 2; ask for a page from 1 to 3"
        );
    }
}

on_both_backends! {
    async fn audit_pages_hold_every_entry_once_newest_first(db) {
        let app = db.app_at(NOW);
        let local = ws("local");
        for i in 0..7 {
            add(&app, &local, Kind::Other, named(&format!("thing {i}"), "1")).await;
        }
        let whole = app.audit_log(&local, everything()).await.unwrap();
        assert_eq!(whole.paging, info(1, 1, 1000, 7));
        let ids: Vec<i64> = whole.entries.iter().map(|e| e.id).collect();
        assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first: {ids:?}");
        let rows = all_pages(3, |request| {
            let (app, local) = (app.clone(), local.clone());
            async move {
                let log = app.audit_log(&local, request).await.unwrap();
                (log.entries, log.paging)
            }
        })
        .await;
        let paged: Vec<i64> = rows.iter().map(|e| e.id).collect();
        no_repeats(&paged);
        assert_eq!(paged, ids);
        // The oldest entry is on the last page.
        let last = app.audit_log(&local, PageRequest::with_number(PageNumber::Last, 3).unwrap()).await.unwrap();
        assert_eq!(last.entries.iter().map(|e| e.id).collect::<Vec<_>>(), [ids[6]]);
        assert_eq!(
            refusal(app.audit_log(&local, page(8, 1)).await),
            "Page 8 is past the end: the 7 audit entries fill 7 pages of 1; ask for a page from 1 to 7"
        );
        // Another workspace's log is its own: empty.
        let other = app.audit_log(&ws("other"), PageRequest::default()).await.unwrap();
        assert_eq!((other.entries.len(), other.paging.total), (0, 0));
    }
}
