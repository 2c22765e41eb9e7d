//! The analysis through the app layer, on real SQLite files: figures worked out by hand, the
//! rules at their edges, and every page rendered in every language.

mod common;

use common::{TestDb, dec, named, ws};
use jarvis::analysis::alerts::Severity;
use jarvis::analysis::report::Band;
use jarvis::app::{App, ItemRef};
use jarvis::domain::audit::Actor;
use jarvis::domain::budget::BudgetScope;
use jarvis::domain::item::{BillingPeriod, Category, ItemChanges, Kind};
use jarvis::domain::money::Currency;
use jarvis::domain::page::PageRequest;
use jarvis::domain::text::Label;
use jarvis::domain::workspace::{Language, WorkspaceId};
use jarvis::render::{Flavor, Page, Renderer, limits};
use rust_decimal::Decimal;

fn usage(units: &str) -> ItemChanges {
    ItemChanges { usage: Some(dec(units)), ..Default::default() }
}

fn amounts<'a>(
    pairs: impl IntoIterator<Item = (&'a Category, &'a jarvis::analysis::dashboard::BaseAmount)>,
) -> Vec<(String, String)> {
    pairs.into_iter().map(|(c, m)| (c.to_string(), m.format_amount())).collect()
}

/// A small company tracked from 2026-09-01, run the way Jarvis runs it: items added, usage read
/// at each month's end, the jobs run on the 2nd.
///
/// - acme.com: domain, 12.00 USD a year, auto-renews 2027-01-05 (1.00 a month)
/// - web: hosting, 62.00 USD a month, auto-renews monthly from 2026-09-01
/// - OpenAI: 2.00 USD per 1M tokens, billed monthly in arrears: 50 used in September, 70 in
///   October, 20 so far in November
/// - Notion: package, 480.00 USD a year, auto-renews 2027-02-14 (40.00 a month)
/// - Office internet: other, 1,400 THB a month at 35 THB per USD (40.00 USD)
async fn small_company(db: &TestDb) -> WorkspaceId {
    let ws = ws("small");
    let me = Actor::Cli;
    let app = db.app_at("2026-09-01T09:00:00Z");
    app.set_rate(&ws, &me, Currency::USD, Currency::parse("THB").unwrap(), dec("35"), None).await.unwrap();
    let mut domain = named("acme.com", "12");
    domain.renewal_date = Some(Some("2027-01-05".parse().unwrap()));
    domain.auto_renew = Some(true);
    app.add_item(&ws, &me, Kind::Domain, &domain).await.unwrap();
    let mut web = named("web", "62");
    web.renewal_date = Some(Some("2026-09-01".parse().unwrap()));
    web.auto_renew = Some(true);
    app.add_item(&ws, &me, Kind::Hosting, &web).await.unwrap();
    let mut openai = named("OpenAI", "0");
    openai.period = Some(BillingPeriod::UsageBased);
    openai.unit = Some(Label::parse("unit", "1M tokens").unwrap());
    openai.unit_price = Some(Some(dec("2")));
    app.add_item(&ws, &me, Kind::AiProvider, &openai).await.unwrap();
    let mut notion = named("Notion", "480");
    notion.period = Some(BillingPeriod::Yearly);
    notion.renewal_date = Some(Some("2027-02-14".parse().unwrap()));
    notion.auto_renew = Some(true);
    app.add_item(&ws, &me, Kind::Package, &notion).await.unwrap();
    let mut office = named("Office internet", "1400");
    office.currency = Some(Currency::parse("THB").unwrap());
    app.add_item(&ws, &me, Kind::Other, &office).await.unwrap();

    let openai = ItemRef::new("OpenAI");
    for (reading_at, units, jobs_at) in
        [("2026-09-30T20:00:00Z", "50", "2026-10-02T01:00:00Z"), ("2026-10-31T20:00:00Z", "70", "2026-11-02T01:00:00Z")]
    {
        db.app_at(reading_at).edit_item(&ws, &me, &openai, &usage(units)).await.unwrap();
        db.app_at(jobs_at).run_jobs(&ws).await.unwrap();
    }
    db.app_at("2026-11-10T08:00:00Z").edit_item(&ws, &me, &openai, &usage("20")).await.unwrap();
    ws
}

on_both_backends! {
    async fn dashboard_figures_match_the_hand_worked_sums(db) {
        let ws = small_company(&db).await;
        let app = db.app_at("2026-11-10T12:00:00Z");
        app.set_budget(&ws, &Actor::Cli, BudgetScope::Total, dec("250"), None, None).await.unwrap();
        let dashboard = app.dashboard(&ws, None).await.unwrap();

        // Run-rate: 1.00 + 62.00 + 480 / 12 + 1,400 / 35 + OpenAI's usage carried to the end of its
        // cycle (20 units read 10 days into 30: 60 x 2.00 = 120.00) = 263.00.
        assert_eq!(dashboard.total_monthly_cost.rounded(), dec("263.00"));
        assert_eq!(
            amounts(&dashboard.by_category),
            [
                ("infrastructure".to_string(), "63.00".to_string()),
                ("ai_services".to_string(), "120.00".to_string()),
                ("third_party".to_string(), "0.00".to_string()),
                ("packages".to_string(), "40.00".to_string()),
                ("other".to_string(), "40.00".to_string()),
            ]
        );

        // September: web 62 + domain 1 + Notion 40 + office 40 + OpenAI 50 x 2 = 243.00.
        // October: 62 + 1 + 40 + 40 + 70 x 2 = 283.00.
        let trend: Vec<(String, Decimal)> =
            dashboard.trends.iter().map(|m| (m.month.to_string(), m.cost.rounded())).collect();
        assert_eq!(trend, [("2026-09".to_string(), dec("243.00")), ("2026-10".to_string(), dec("283.00"))]);

        // November to the 10th (of 30 days): a third of 62 + 1 + 40 + 40 = 47.67, plus OpenAI's
        // 40.00 so far: 87.67. Month-end: 143.00 for the subscriptions, OpenAI 40 / 10 x 30 =
        // 120.00: 263.00, which is 20.00 (7.07%) under October.
        let month = &dashboard.this_month;
        assert_eq!((month.to_date.rounded(), month.projected.rounded()), (dec("87.67"), dec("263.00")));
        assert_eq!((month.elapsed_days, month.days_in_month), (10, 30));
        let change = dashboard.month_over_month.as_ref().unwrap();
        assert_eq!(change.change.rounded(), dec("-20.00"));
        // -7.07%, to one decimal place as the page shows it.
        assert_eq!(change.percent, Some(dec("-7.1")));

        // web renews on 2026-12-01, within 30 days; the others later. OpenAI's usage bill is not a
        // renewal.
        let renewals: Vec<(String, String, String, bool)> = dashboard
            .upcoming_renewals
            .iter()
            .map(|r| (r.item.clone(), r.date.to_string(), r.price.to_string(), r.auto_renew))
            .collect();
        assert_eq!(renewals, [("web".to_string(), "2026-12-01".to_string(), "62.00 USD".to_string(), true)]);

        // The 250.00 budget: 87.67 spent (35%), 263.00 forecast (105.2%).
        let keys: Vec<(&str, Severity)> = dashboard.alerts.iter().map(|a| (a.key.as_str(), a.severity)).collect();
        assert_eq!(keys, [("budget:total:2026-11:forecast:100", Severity::Warning)]);
        assert_eq!(dashboard.alert_counts.warning, 1);
        let providers: Vec<(&str, usize, Decimal)> =
            dashboard.providers.iter().map(|p| (p.provider.as_str(), p.items, p.monthly.rounded())).collect();
        assert_eq!(
            providers,
            [
                ("OpenAI", 1, dec("120.00")),
                ("web", 1, dec("62.00")),
                ("Notion", 1, dec("40.00")),
                ("Office internet", 1, dec("40.00")),
                ("acme.com", 1, dec("1.00")),
            ]
        );

        // The report: cost control 80 (forecast over budget, -20); renewals 100; services 100;
        // efficiency 100 (bringing the total back under budget means cutting 13.00, which is cost
        // control's concern, not a saving found). (80 x 30 + 100 x 25 + 100 x 25 + 100 x 20) / 100 =
        // 94; website health unknown.
        let report = app.report(&ws).await.unwrap();
        let scores: Vec<(String, Option<u32>)> =
            report.health.components.iter().map(|c| (c.id.to_string(), c.score)).collect();
        assert_eq!(
            scores,
            [
                ("cost_control".to_string(), Some(80)),
                ("renewal_risk".to_string(), Some(100)),
                ("service_health".to_string(), Some(100)),
                ("efficiency".to_string(), Some(100)),
                ("website_health".to_string(), None),
            ]
        );
        assert_eq!((report.health.score, report.health.band), (Some(94), Some(Band::Healthy)));
        assert_eq!(report.recommendations.len(), 1);
        assert!(report.total_monthly_savings.amount.is_zero());
        assert_eq!(report.recommendations[0].monthly_savings.rounded(), dec("13.00"));
    }
}

on_both_backends! {
    async fn trends_forecast_from_three_months_of_history(db) {
        let ws = small_company(&db).await;
        // Two completed months: not enough for a forecast.
        let trends = db.app_at("2026-11-10T12:00:00Z").trends(&ws, None, None).await.unwrap();
        assert_eq!((trends.history_months, trends.forecast.is_none()), (2, true));
        // A month later, with November closed by the jobs: 243, 283 and November's actual.
        let app = db.app_at("2026-12-02T12:00:00Z");
        app.run_jobs(&ws).await.unwrap();
        let trends = app.trends(&ws, None, None).await.unwrap();
        assert_eq!(trends.history_months, 3);
        let forecast = trends.forecast.as_ref().unwrap();
        let months: Vec<String> = forecast.iter().map(|f| f.month.to_string()).collect();
        assert_eq!(months, ["2027-01", "2027-02", "2027-03"]);
        for f in forecast {
            assert!(f.low.amount <= f.expected.amount && f.expected.amount <= f.high.amount, "{f:?}");
        }
        // One category only.
        let ai = app.trends(&ws, Some(12), Some(Category::Ai)).await.unwrap();
        let ai_months: Vec<Decimal> = ai.months.iter().map(|m| m.cost.rounded()).collect();
        assert_eq!(ai_months[..2], [dec("100.00"), dec("140.00")]);
    }
}

on_both_backends! {
    async fn an_empty_workspace_is_all_zeros_and_unknowns(db) {
        let app = db.app_at("2026-11-10T12:00:00Z");
        let ws = ws("empty");
        let dashboard = app.dashboard(&ws, None).await.unwrap();
        assert!(dashboard.total_monthly_cost.amount.is_zero());
        assert!(dashboard.trends.is_empty() && dashboard.alerts.is_empty() && dashboard.providers.is_empty());
        assert!(dashboard.month_over_month.is_none());
        let report = app.report(&ws).await.unwrap();
        assert_eq!((report.health.score, report.health.band), (None, None));
        assert!(report.health.components.iter().all(|c| c.score.is_none() && c.unknown.is_some()));
        let trends = app.trends(&ws, None, None).await.unwrap();
        assert_eq!((trends.history_months, trends.forecast), (0, None));
        for lang in [Language::English, Language::Thai] {
            let renderer = Renderer::get(lang, Flavor::Discord);
            let page = renderer.page(Page::Report, &report, limits::EMBED_DESCRIPTION).unwrap();
            assert!(!page.contains('['), "{page}");
        }
        // Reading never creates the workspace.
        assert!(db.store.read().await.unwrap().workspace_ids().await.unwrap().is_empty());
    }
}

on_both_backends! {
    async fn a_single_month_of_history_is_not_enough_to_forecast(db) {
        let ws = ws("one");
        let app = db.app_at("2026-10-01T09:00:00Z");
        app.add_item(&ws, &Actor::Cli, Kind::Hosting, &named("web", "30")).await.unwrap();
        let app = db.app_at("2026-11-05T09:00:00Z");
        app.run_jobs(&ws).await.unwrap();
        let trends = app.trends(&ws, None, None).await.unwrap();
        assert_eq!(trends.history_months, 1);
        assert_eq!(trends.months[0].cost.rounded(), dec("30.00"));
        assert!(trends.forecast.is_none());
        let page = Renderer::get(Language::English, Flavor::Plain).page(Page::Trends, &trends, usize::MAX).unwrap();
        assert!(page.contains("Not enough history for a forecast: 1 of the 3 completed months needed."), "{page}");
    }
}

on_both_backends! {
    async fn huge_amounts_stay_exact_and_render(db) {
        let ws = ws("huge");
        let app = db.app_at("2026-11-10T09:00:00Z");
        for i in 0..5 {
            app.add_item(&ws, &Actor::Cli, Kind::Hosting, &named(&format!("rack {i}"), "999999999999.99")).await.unwrap();
        }
        app.set_budget(&ws, &Actor::Cli, BudgetScope::Total, dec("1000000000000"), None, None).await.unwrap();
        let dashboard = app.dashboard(&ws, None).await.unwrap();
        assert_eq!(dashboard.total_monthly_cost.rounded(), dec("4999999999999.95"));
        let report = app.report(&ws).await.unwrap();
        assert!(report.health.score.is_some());
        let page = Renderer::get(Language::English, Flavor::Discord)
            .page(Page::Dashboard, &dashboard, limits::EMBED_DESCRIPTION)
            .unwrap();
        assert!(page.contains("4,999,999,999,999.95 USD"), "{page}");
        let _ = dashboard.alerts.iter().find(|a| a.key.starts_with("budget:total")).expect("the budget is over");
    }
}

on_both_backends! {
    async fn long_lists_are_cut_to_fit_discord(db) {
        let ws = ws("big");
        let app = db.app_at("2026-11-10T09:00:00Z");
        for i in 0..120 {
            let mut changes = named(&format!("@everyone domain-{i:03}.example"), "10");
            changes.period = Some(BillingPeriod::Yearly);
            changes.renewal_date = Some(Some("2026-11-20".parse().unwrap()));
            app.add_item(&ws, &Actor::Cli, Kind::Domain, &changes).await.unwrap();
        }
        let dashboard = app.dashboard(&ws, None).await.unwrap();
        let alerts = app.alerts(&ws).await.unwrap();
        let report = app.report(&ws).await.unwrap();
        // Score components are never cut, however long the lists around them.
        let english = Renderer::get(Language::English, Flavor::Discord);
        let page = english.page(Page::Report, &report, limits::EMBED_DESCRIPTION).unwrap();
        for component in ["Cost control", "Renewal risk", "Service health", "Efficiency", "Website health"] {
            assert!(page.contains(component), "{component} is missing: {page}");
        }
        for lang in [Language::English, Language::Thai] {
            let renderer = Renderer::get(lang, Flavor::Discord);
            for page in [
                renderer.page(Page::Dashboard, &dashboard, limits::EMBED_DESCRIPTION).unwrap(),
                renderer.page(Page::Alerts, &alerts, limits::EMBED_DESCRIPTION).unwrap(),
                renderer.page(Page::Report, &report, limits::EMBED_DESCRIPTION).unwrap(),
            ] {
                assert!(jarvis::render::discord_len(&page) <= limits::EMBED_DESCRIPTION, "{} long", page.len());
                assert!(!page.ends_with('…'), "lists are shortened, the page is not cut: {page}");
                assert!(!page.contains("@everyone"), "a name typed by a user must not ping: {page}");
                let more = if lang == Language::English { "...and " } else { "...และอีก " };
                assert!(page.contains(more), "{page}");
            }
        }
    }
}

/// Pages of views of different types, for one loop.
mod erased {
    use jarvis::render::{Page, Renderer, limits};

    pub trait View {
        fn render(&self, renderer: &Renderer, page: Page) -> String;
    }

    impl<T: serde::Serialize> View for T {
        fn render(&self, renderer: &Renderer, page: Page) -> String {
            renderer.page(page, self, limits::EMBED_DESCRIPTION).unwrap_or_else(|e| panic!("{e:#}"))
        }
    }
}

on_both_backends! {
    /// The demo, as every template renders it on a fixed date, in every language.
    async fn every_page_renders_the_demo_in_every_language(db) {
        let ws = ws("demo");
        let app: App = db.app_at("2026-11-30T12:00:00Z");
        app.load_demo(&ws, &Actor::Cli).await.unwrap();
        app.set_budget(&ws, &Actor::Cli, BudgetScope::Category(Category::Ai), dec("400"), None, None).await.unwrap();
        let dashboard = app.dashboard(&ws, None).await.unwrap();
        let trends = app.trends(&ws, None, None).await.unwrap();
        let alerts = app.alerts(&ws).await.unwrap();
        let report = app.report(&ws).await.unwrap();
        let renewals = app.renewals(&ws, None, PageRequest::default()).await.unwrap();
        let items = app.list_items(&ws, jarvis::app::ItemFilter::default(), PageRequest::default()).await.unwrap();
        let item = app.show_item(&ws, &"OpenAI".parse().unwrap()).await.unwrap();
        let history =
            app.cost_history(&ws, Some(&"acme.com".parse().unwrap()), None, None, PageRequest::default()).await.unwrap();
        let budgets = app.budgets(&ws).await.unwrap();
        let settings = app.settings_page(&ws).await.unwrap();
        let sites = app.sites(&ws).await.unwrap();
        for lang in [Language::English, Language::Thai] {
            let renderer = Renderer::get(lang, Flavor::Discord);
            let render = |page: Page, view: &dyn erased::View| -> String { view.render(renderer, page) };
            let pages = [
                ("renewals", render(Page::Renewals, &renewals)),
                ("items", render(Page::Items, &items)),
                ("item", render(Page::Item, &item)),
                ("history", render(Page::History, &history)),
                ("budgets", render(Page::Budgets, &budgets)),
                ("settings", render(Page::Settings, &settings)),
                ("sites", render(Page::Sites, &sites)),
                ("report", renderer.page(Page::Report, &report, limits::EMBED_DESCRIPTION).unwrap()),
                ("dashboard", renderer.page(Page::Dashboard, &dashboard, limits::EMBED_DESCRIPTION).unwrap()),
                ("trends", renderer.page(Page::Trends, &trends, limits::EMBED_DESCRIPTION).unwrap()),
                ("alerts", renderer.page(Page::Alerts, &alerts, limits::EMBED_DESCRIPTION).unwrap()),
            ];
            for (name, page) in pages {
                assert!(!page.ends_with('…'), "{name} was cut: it should fit by shortening its lists");
                insta::assert_snapshot!(format!("{name}_{}", lang.as_str()), page);
            }
            insta::assert_json_snapshot!(format!("report_{}_json", lang.as_str()), renderer.resolve(&report));
        }
    }
}

on_both_backends! {
    /// The demo seen through December, reading OpenAI's meter each day at November's pace (3.2M
    /// tokens a day, 2.50 per 1M): the run-rate of every item and category is the same figure in the
    /// item list, on the item's page, the dashboard, the trends, both charts and the report, and it
    /// stays a full month's worth whatever the day (it used to be the usage so far, a third of it on
    /// the 10th).
    async fn every_monthly_figure_is_one_run_rate_on_every_day_of_the_month(db) {
        let ws = ws("demo");
        db.app_at("2026-11-30T12:00:00Z").load_demo(&ws, &Actor::Cli).await.unwrap();
        let openai = ItemRef::new("OpenAI");
        // Day of December, OpenAI's expected run-rate: November's bill (96M tokens: 240.00; on the
        // 1st still to be charged, so what the jobs would charge) until a reading is a week into the
        // cycle, then the reading's pace over 31 days (99.2M tokens: 248.00). The meter is read from
        // the 2nd, once November's bill (due on the 1st) is charged and the meter restarted.
        for (day, expected) in [(1, "240.00"), (2, "240.00"), (4, "240.00"), (7, "248.00"), (16, "248.00"), (31, "248.00")]
        {
            let app = db.app_at(&format!("2026-12-{day:02}T12:00:00Z"));
            app.run_jobs(&ws).await.unwrap();
            if day > 1 {
                let reading = (Decimal::from(day) * dec("3.2")).to_string();
                app.edit_item(&ws, &Actor::Cli, &openai, &usage(&reading)).await.unwrap();
            }

            let list = app.list_items(&ws, Default::default(), PageRequest::default()).await.unwrap();
            let (dashboard, trends) = app.dashboard_and_trends(&ws, None).await.unwrap();
            let alone = app.trends(&ws, None, None).await.unwrap();
            let report = app.report(&ws).await.unwrap();
            let base = |m: &jarvis::domain::money::Money| m.format_amount();

            // Per item: the list, the item's page and the report's sentences.
            let listed = list.items.iter().find(|i| i.name == "OpenAI").unwrap();
            assert_eq!(base(listed.monthly_cost_base.as_ref().unwrap()), expected, "day {day}");
            for item in &list.items {
                let shown = app.show_item(&ws, &ItemRef::new(format!("#{}", item.id))).await.unwrap();
                assert_eq!(shown.item.monthly_cost, item.monthly_cost, "{} on day {day}", item.name);
                assert_eq!(shown.item.monthly_basis, item.monthly_basis, "{} on day {day}", item.name);
            }
            let consolidate = report.recommendations.iter().find(|r| r.title.id == "rec.duplicate_ai.title").unwrap();
            let providers = &consolidate.arithmetic.args["providers"];
            assert!(providers.contains(&format!("OpenAI {expected} USD")), "day {day}: {providers}");
            // Per provider: the dashboard's rows add up the listed items.
            for row in &dashboard.providers {
                let items: Decimal = list
                    .items
                    .iter()
                    .filter(|i| i.provider.as_deref().or(i.registrar.as_deref()).unwrap_or(&i.name) == row.provider)
                    .filter(|i| i.status.is_billable())
                    .map(|i| i.monthly_cost_base.unwrap().amount)
                    .sum();
                assert_eq!(row.monthly.rounded(), items.round_dp(2), "{} on day {day}", row.provider);
            }
            // Per category and in total: the list, the dashboard, both trends, both charts, the report.
            let listed: Vec<(String, String)> =
                list.totals.categories.iter().map(|(c, m)| (c.to_string(), m.format_amount())).collect();
            assert_eq!(amounts(&dashboard.by_category), listed, "day {day}");
            for trends in [&trends, &alone] {
                let run_rates: Vec<(String, String)> =
                    trends.run_rate_by_category.iter().map(|(c, m)| (c.to_string(), m.format_amount())).collect();
                assert_eq!(run_rates, listed, "day {day}");
                assert_eq!(trends.run_rate.rounded(), dashboard.total_monthly_cost.rounded(), "day {day}");
                let chart = jarvis::render::chart::cost_chart(trends, Language::English);
                let drawn: Vec<f64> = chart.breakdown.iter().map(|(_, v)| *v).collect();
                let expected: Vec<f64> =
                    dashboard.by_category.values().map(|m| m.amount.to_string().parse::<f64>().unwrap()).collect();
                assert_eq!(drawn, expected, "day {day}");
            }
            assert_eq!(list.totals.total_monthly_cost.rounded(), dashboard.total_monthly_cost.rounded(), "day {day}");
            let efficiency = report.health.components.iter().find(|c| c.id.to_string() == "efficiency").unwrap();
            let total = format!("monthly run-rate {}", dashboard.total_monthly_cost.0);
            let renderer = Renderer::get(Language::English, Flavor::Plain);
            assert!(efficiency.inputs.iter().any(|t| renderer.text(t) == total), "day {day}: {:?}", efficiency.inputs);
        }
    }
}

/// A THB workspace with USD costs from October and USD->THB rates only from November: the
/// history is there, October is short of its USD amounts, and every page says which days lack a
/// rate, the earliest rate, and the command that fixes it (the front end's own, in its language).
#[tokio::test]
async fn amounts_older_than_every_rate_are_history_short_of_a_rate_with_the_fix_named() {
    use jarvis::app::{CostInput, CostPeriod};
    use jarvis::domain::calendar::Month;
    use jarvis::domain::workspace::SettingKey;
    let db = TestDb::new().await;
    let ws = ws("thb");
    let me = Actor::Cli;
    let app = db.app_at("2026-11-30T12:00:00Z");
    app.set_setting(&ws, &me, SettingKey::Currency, "THB").await.unwrap();
    let web = ItemChanges { currency: Some(Currency::USD), ..named("web", "100") };
    app.add_item(&ws, &me, Kind::Hosting, &web).await.unwrap();
    let october = CostInput {
        item: ItemRef::new("web"),
        amount: dec("100"),
        currency: None,
        period: CostPeriod::Month(Month::new(2026, 10).unwrap()),
        source: jarvis::domain::cost::CostSource::Manual,
        usage: None,
        note: None,
        replace: false,
        again: false,
    };
    app.record_cost(&ws, &me, &october).await.unwrap();
    let thb = Currency::parse("THB").unwrap();
    app.set_rate(&ws, &me, Currency::USD, thb, dec("35"), Some("2026-11-01".parse().unwrap())).await.unwrap();

    let (dashboard, trends) = app.dashboard_and_trends(&ws, None).await.unwrap();
    let shown: Vec<(String, bool)> = dashboard.trends.iter().map(|m| (m.month.to_string(), m.incomplete)).collect();
    assert_eq!(shown, [("2026-10".to_string(), true)], "October is history, short of its USD amounts");
    let gaps: Vec<String> = dashboard
        .missing_rates
        .iter()
        .map(|g| format!("{}->{} {}..{} earliest {:?}", g.from, g.to, g.first, g.last, g.earliest_rate))
        .collect();
    assert_eq!(gaps, ["USD->THB 2026-10-01..2026-10-31 earliest Some(2026-11-01)"]);
    assert_eq!(trends.months.len(), 1);
    assert!(trends.months[0].incomplete);

    let sentence = "USD amounts for 2026-10-01 to 2026-10-31 are left out of THB totals: the earliest rate between USD and THB is dated 2026-11-01, after they start. Run ";
    let cli = "`jarvis rate set USD THB <rate> --date 2026-10-01`";
    let discord = "`/settings rate base:USD quote:THB rate:<rate> date:2026-10-01`";
    for (page, view) in [
        (Page::Dashboard, serde_json::to_value(&dashboard).unwrap()),
        (Page::Trends, serde_json::to_value(&trends).unwrap()),
    ] {
        let plain = Renderer::get(Language::English, Flavor::Plain).page(page, &view, usize::MAX).unwrap();
        assert!(!plain.contains("No cost history yet"), "{plain}");
        assert!(plain.contains("`2026-10` 0.00 THB ⚠️ some amounts left out: no exchange rate"), "{plain}");
        assert!(plain.contains(&format!("{sentence}{cli}")), "{plain}");
        let on_discord =
            Renderer::get(Language::English, Flavor::Discord).page(page, &view, limits::EMBED_DESCRIPTION).unwrap();
        assert!(on_discord.contains(&format!("{sentence}{discord}")), "{on_discord}");
        let thai = Renderer::get(Language::Thai, Flavor::Discord).page(page, &view, limits::EMBED_DESCRIPTION).unwrap();
        assert!(
            thai.contains("ยอดที่เป็น USD ของวันที่ 2026-10-01 ถึง 2026-10-31 ไม่ได้นับรวมในยอดรวมที่เป็น THB")
                && thai.contains("`/settings rate base:USD quote:THB rate:<อัตรา> date:2026-10-01`"),
            "{thai}"
        );
    }

    // Cost history totals what converts and says what it leaves out, and why.
    let history = app.cost_history(&ws, None, None, None, PageRequest::default()).await.unwrap();
    assert_eq!(history.total.to_string(), "0.00 THB");
    assert_eq!(history.left_out.len(), 1);
    assert_eq!((history.left_out[0].amount.to_string(), history.left_out[0].records), ("100.00 USD".into(), 1));
    let page = Renderer::get(Language::English, Flavor::Plain).page(Page::History, &history, usize::MAX).unwrap();
    assert!(page.contains(&format!("⚠️ Not in the total (1 record): 100.00 USD. {sentence}{cli}")), "{page}");

    // The alert names the days, the earliest rate and the fix (the pair as it is, not inverted).
    let alerts = app.alerts(&ws).await.unwrap().alerts;
    let alert = alerts.iter().find(|a| a.key == "missing_rate:USD:THB").expect("a missing-rate alert");
    let en = Renderer::get(Language::English, Flavor::Plain);
    assert_eq!(en.text(&alert.title), "No USD→THB exchange rate before 2026-11-01");
    assert_eq!(
        en.text(&alert.detail),
        "USD amounts for 2026-10-01 to 2026-10-31 are left out of THB totals, budgets and forecasts: the earliest rate between USD and THB is dated 2026-11-01, after they start."
    );
    assert_eq!(en.text(&alert.action), format!("Set a rate dated on or before 2026-10-01: {cli}."));
    assert_eq!(
        Renderer::get(Language::English, Flavor::Discord).text(&alert.action),
        format!("Set a rate dated on or before 2026-10-01: {discord}.")
    );
}
