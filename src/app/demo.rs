//! `demo`: fills a workspace with a realistic sample company, with a year of cost history that
//! grows and has one spike, so every view has something to show.

use chrono::Datelike as _;
use chrono::{Duration, NaiveDate};
use rust_decimal::Decimal;
use serde_json::json;

use super::items::item_change;
use super::views::{ItemList, ItemView, RateView};
use super::{App, ItemFilter, Result};
use crate::domain::UserError;
use crate::domain::audit::{Actor, Change};
use crate::domain::calendar::Month;
use crate::domain::cost::{CostSource, NewCostRecord};
use crate::domain::item::{
    ApiKeyStatus, BillingPeriod, IntegrationType, Item, ItemChanges, Kind, PricingModel, ServiceType,
};
use crate::domain::money::{Currency, Money};
use crate::domain::rates::{ExchangeRate, RateBook};
use crate::domain::summary::RunRates;
use crate::domain::text::{ItemName, Label, Notes};
use crate::domain::workspace::WorkspaceId;
use crate::store::Removed;

/// Months of history the demo writes, ending with last month.
pub const DEMO_HISTORY_MONTHS: i32 = 12;

fn dec(text: &str) -> Decimal {
    text.parse().expect("demo decimals are valid")
}

fn label(text: &str) -> Option<Label> {
    Some(Label::parse("label", text).expect("demo labels are valid"))
}

/// A sample item: kind, and the changes that describe it.
fn sample(kind: Kind, name: &str, provider: &str, cost: &str, period: BillingPeriod) -> (Kind, ItemChanges) {
    let changes = ItemChanges {
        name: Some(ItemName::parse(name).expect("demo names are valid")),
        provider: Some(label(provider)),
        cost: Some(dec(cost)),
        period: Some(period),
        ..Default::default()
    };
    (kind, changes)
}

fn renewing(mut sample: (Kind, ItemChanges), date: NaiveDate, auto_renew: bool) -> (Kind, ItemChanges) {
    sample.1.renewal_date = Some(Some(date));
    sample.1.auto_renew = Some(auto_renew);
    sample
}

fn metered(
    mut sample: (Kind, ItemChanges),
    unit: &str,
    price: Option<&str>,
    free: Option<&str>,
    used: &str,
) -> (Kind, ItemChanges) {
    sample.1.unit = label(unit);
    sample.1.unit_price = Some(price.map(dec));
    sample.1.free_tier = Some(free.map(dec));
    sample.1.usage = Some(dec(used));
    sample
}

/// The sample company's items, with dates relative to `today`.
fn sample_items(today: NaiveDate) -> Vec<(Kind, ItemChanges)> {
    use BillingPeriod::*;
    let days = |n: i64| today + Duration::days(n);
    let next_month_on = |day: u32| {
        let month = Month::of(today).next();
        NaiveDate::from_ymd_opt(month.year(), month.month(), day).expect("day exists in every month")
    };
    let mut items = vec![
        renewing(sample(Kind::Domain, "acme.com", "Namecheap", "12.98", Yearly), days(21), true),
        renewing(sample(Kind::Domain, "acme.io", "Namecheap", "39.98", Yearly), days(200), true),
        renewing(sample(Kind::Domain, "acme.dev", "Cloudflare", "10.44", Yearly), days(6), false),
        renewing(sample(Kind::Hosting, "api-prod", "AWS", "74.88", Monthly), next_month_on(1), true),
        metered(
            sample(Kind::Hosting, "Cloud Run workers", "Google Cloud", "0", UsageBased),
            "vCPU-second",
            Some("0.000024"),
            Some("180000"),
            "2150000",
        ),
        metered(sample(Kind::Cdn, "Cloudflare Pro", "Cloudflare", "20", Monthly), "GB", None, None, "1840"),
        metered(sample(Kind::Storage, "S3 assets", "AWS", "0", UsageBased), "GB-month", Some("0.023"), None, "1250"),
        metered(sample(Kind::AiProvider, "OpenAI", "OpenAI", "0", UsageBased), "1M tokens", Some("2.50"), None, "96"),
        metered(
            sample(Kind::AiProvider, "Anthropic", "Anthropic", "0", UsageBased),
            "1M tokens",
            Some("3.00"),
            None,
            "41",
        ),
        metered(
            sample(Kind::AiProvider, "Stability AI", "Stability AI", "0", UsageBased),
            "image",
            Some("0.04"),
            Some("25"),
            "1480",
        ),
        metered(sample(Kind::Integration, "Supabase", "Supabase", "25", Monthly), "GB database", None, None, "6.1"),
        metered(
            sample(Kind::Integration, "Stripe", "Stripe", "0", UsageBased),
            "transaction",
            Some("0.30"),
            None,
            "412",
        ),
        renewing(sample(Kind::Package, "GitHub Team", "GitHub", "20", Monthly), next_month_on(12), true),
        renewing(sample(Kind::Package, "Notion Plus", "Notion", "480", Yearly), days(75), true),
        sample(Kind::Other, "Office internet", "True Internet", "1290", Monthly),
    ];
    for (kind, changes) in &mut items {
        match kind {
            Kind::Domain => changes.registrar = Some(changes.provider.clone().flatten()),
            Kind::Hosting if changes.name.as_ref().is_some_and(|n| n.as_str() == "api-prod") => {
                changes.server_type = Some(label("t3.large"));
                changes.specs = Some(label("2 vCPU, 8 GiB RAM, 100 GB gp3"));
            }
            Kind::AiProvider => {
                let image = changes.name.as_ref().is_some_and(|n| n.as_str() == "Stability AI");
                changes.service_type = Some(if image { ServiceType::Image } else { ServiceType::Text });
                changes.pricing_model = Some(PricingModel::PayPerUse);
                changes.api_key_status = Some(ApiKeyStatus::Active);
            }
            Kind::Integration => {
                let stripe = changes.name.as_ref().is_some_and(|n| n.as_str() == "Stripe");
                changes.integration_type =
                    Some(if stripe { IntegrationType::Payment } else { IntegrationType::Database });
                if !stripe {
                    changes.usage_limit = Some(Some(dec("8")));
                }
            }
            Kind::Package => {
                let github = changes.name.as_ref().is_some_and(|n| n.as_str() == "GitHub Team");
                let features: &[&str] = if github {
                    &["Private repositories", "3,000 Actions minutes", "Code owners"]
                } else {
                    &["Unlimited blocks", "30-day page history", "Guests"]
                };
                changes.features = Some(features.iter().filter_map(|f| label(f)).collect());
            }
            Kind::Other => changes.currency = Some(Currency::parse("THB").expect("THB exists")),
            _ => {}
        }
    }
    items
}

/// How an item's monthly cost `months_ago` months back compares with today's: AI and hosting
/// grew over the year; OpenAI spiked four months ago.
fn history_factor(item: &Item, months_ago: i32) -> Decimal {
    let progress = Decimal::from(DEMO_HISTORY_MONTHS - months_ago) / Decimal::from(DEMO_HISTORY_MONTHS);
    let trend = match item.kind() {
        Kind::AiProvider => dec("0.45") + dec("0.55") * progress,
        Kind::Hosting | Kind::Storage => dec("0.75") + dec("0.25") * progress,
        _ => Decimal::ONE,
    };
    if item.name.as_str() == "OpenAI" && months_ago == 4 { trend * dec("2.6") } else { trend }
}

impl App {
    /// Loads the sample company into an empty workspace and returns its item list.
    pub async fn load_demo(&self, workspace: &WorkspaceId, actor: &Actor) -> Result<ItemList> {
        let now = self.now();
        let mut tx = self.write(workspace).await?;
        let existing = tx.items(workspace, Removed::Excluded).await?.len();
        if existing > 0 {
            let existing = crate::render::plural(existing.into(), "item", "items");
            return Err(UserError::Conflict(format!(
                "Workspace `{workspace}` already has {existing}, and the demo only fills an empty one; run it in another workspace, e.g. `jarvis --workspace demo demo`"
            ))
            .into());
        }
        let settings = tx.settings(workspace).await?;
        let today = self.today(&settings);
        let first_month = Month::of(today).plus(-DEMO_HISTORY_MONTHS);
        let thb = Currency::parse("THB").expect("THB exists");
        for (date, rate) in [(first_month.first_day(), "34.6"), (today, "35.2")] {
            let rate = ExchangeRate { base: Currency::USD, quote: thb, rate: dec(rate), date };
            tx.set_rate(workspace, &rate, now).await?;
            let change = Change {
                action: "rate.set",
                entity: "exchange_rate",
                entity_id: Some(format!("{}/{}@{}", rate.base, rate.quote, rate.date)),
                before: None,
                after: Some(json!(RateView::from(&rate))),
            };
            tx.audit(workspace, actor, now, &change).await?;
        }
        let rates = RateBook::new(tx.rates(workspace).await?);
        let note = Notes::parse("demo history").expect("valid note");
        let spike_note = Notes::parse("demo history: launch-week traffic spike").expect("valid note");
        for (kind, changes) in sample_items(today) {
            let (mut item, _) = Item::create(kind, &changes, settings.base_currency, today, now)?;
            // The sample company has been tracked since its history starts; usage is billed up to
            // last month, so the open usage cycle is this month.
            item.billed_from =
                if item.period.bills_in_arrears() { Month::of(today).first_day() } else { first_month.first_day() };
            // History is at a full month's cost; usage meters count from the 1st: a month's usage,
            // scaled to the days gone by.
            let monthly = item.monthly_cost();
            if item.period.bills_in_arrears()
                && let Some(usage) = &mut item.usage
            {
                let month = Month::of(today);
                usage.used = (usage.used * Decimal::from(today.day()) / Decimal::from(month.days())).round_dp(2);
            }
            tx.insert_item(workspace, &mut item).await?;
            let run_rates = RunRates::new([&item], today, [], &rates);
            let view = ItemView::new(&item, &settings, &rates, today, &run_rates);
            let added = item_change("item.add", item.id, None, Some(&view));
            tx.audit(workspace, actor, now, &added).await?;
            let mut imported = Vec::new();
            for months_ago in (1..=DEMO_HISTORY_MONTHS).rev() {
                let month = Month::of(today).plus(-months_ago);
                let amount = (monthly.amount * history_factor(&item, months_ago)).round_dp(2);
                if amount.is_zero() {
                    continue;
                }
                let spike = item.name.as_str() == "OpenAI" && months_ago == 4;
                let record = NewCostRecord {
                    item_id: item.id,
                    amount: Money::new(amount, monthly.currency),
                    period: month.range(),
                    source: CostSource::Import,
                    usage: None,
                    note: Some(if spike { spike_note.clone() } else { note.clone() }),
                };
                tx.insert_cost(workspace, &record, actor, now).await?;
                imported.push(json!({ "month": month, "amount": record.amount }));
            }
            let history = Change {
                action: "cost.import",
                entity: "item",
                entity_id: Some(item.id.to_string()),
                before: None,
                after: Some(json!({ "records": imported })),
            };
            tx.audit(workspace, actor, now, &history).await?;
        }
        demo_sites(&mut tx, workspace, actor, now, today).await?;
        tx.commit().await?;
        self.list_items(workspace, ItemFilter::default(), crate::domain::page::PageRequest::default()).await
    }
}

/// The sample company's websites with 30 days of hourly checks, and its domains' registry
/// answers: one healthy site, one whose certificate expires in 12 days, one down since the last
/// check (three failures in a row); acme.io's TLD has no RDAP service. The sites are under the
/// reserved `.example` name, so a bot running on a database holding the demo probes nobody.
async fn demo_sites(
    tx: &mut crate::store::Tx,
    workspace: &WorkspaceId,
    actor: &Actor,
    now: chrono::DateTime<chrono::Utc>,
    today: NaiveDate,
) -> Result<()> {
    use crate::domain::site::{DomainLookup, Hysteresis, Lookup, Probe, Registration, Streak, TlsCheck};
    let at = |days: i64| Some(today.and_hms_opt(0, 0, 0).expect("midnight").and_utc() + Duration::days(days));
    let sites = [
        ("https://acme.example/", Some("Acme"), at(60), 200, &[100, 300][..]),
        ("https://shop.acme.example/", None, at(12), 900, &[][..]),
        ("https://status.acme.example/", None, at(75), 240, &[0, 1, 2][..]),
    ];
    for (url, keyword, cert_expires, ttfb, failing_hours_ago) in sites {
        let id = tx.insert_site(workspace, url, keyword, 60, now - Duration::days(30)).await?;
        let mut streak = Streak::default();
        let mut since = None;
        for hours_ago in (0..30 * 24).rev() {
            let checked = now - Duration::hours(hours_ago);
            let fails = failing_hours_ago.contains(&hours_ago);
            let probe = Probe {
                url: url.to_string(),
                final_url: url.to_string(),
                redirects: 0,
                status: Some(if fails { 503 } else { 200 }),
                ttfb_ms: Some(ttfb + (hours_ago % 7) as u32 * 10),
                keyword: keyword.map(|_| crate::domain::site::KeywordCheck::Found),
                tls: Some(TlsCheck {
                    problem: None,
                    expires_at: cert_expires,
                    issuer: Some("C=US, O=Let's Encrypt, CN=R11".into()),
                    subject: Some(format!("CN={}", url.trim_start_matches("https://").trim_end_matches('/'))),
                }),
                failure: None,
            };
            let next = streak.after(!fails, Hysteresis::default());
            if next.state != streak.state {
                since = Some(checked);
            }
            streak = next;
            tx.record_check(workspace, id, &probe, streak, since, checked).await?;
        }
        let change = Change {
            action: "site.add",
            entity: "site",
            entity_id: Some(id.to_string()),
            before: None,
            after: Some(json!({ "url": url, "keyword": keyword, "interval_minutes": 60 })),
        };
        tx.audit(workspace, actor, now, &change).await?;
    }
    let found = |domain: &str, expires: i64, registrar: &str| DomainLookup {
        domain: domain.to_string(),
        looked_up_at: now - Duration::hours(3),
        ledger_date: at(expires).map(|e| e.date_naive()),
        lookup: Lookup::Found(Registration {
            domain: domain.to_string(),
            expires: at(expires),
            registered: at(-2000),
            registrar: Some(registrar.to_string()),
            statuses: vec!["client transfer prohibited".into()],
            source: format!("https://rdap.example/domain/{domain}"),
            plain_http: false,
        }),
    };
    for lookup in [
        found("acme.com", 21, "NameCheap, Inc."),
        found("acme.dev", 6, "Cloudflare, Inc."),
        DomainLookup {
            domain: "acme.io".into(),
            looked_up_at: now - Duration::hours(3),
            lookup: Lookup::NoService { tld: "io".into() },
            ledger_date: at(200).map(|e| e.date_naive()),
        },
    ] {
        tx.save_domain_lookup(workspace, &lookup).await?;
    }
    Ok(())
}
