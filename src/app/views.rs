//! View models: what use cases return. Front ends render them (tables, JSON, embeds) without
//! computing anything. Amounts in JSON are decimal strings: typed prices exactly as entered
//! (padded to the currency's minor units), computed amounts rounded half-to-even for display.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::analysis::Text;
use crate::domain::cost::{CostRecord, CostSource, UsageSnapshot};
use crate::domain::item::{
    ApiKeyStatus, BillingPeriod, Category, Details, IntegrationType, Item, Kind, ManualStatus, PricingModel,
    ServiceType, Status,
};
use crate::domain::money::{Currency, Money, exact_amount, format_exact};
use crate::domain::page::PageInfo;
use crate::domain::rates::{ExchangeRate, MissingRate, RateBook};
use crate::domain::summary::{RunRateBasis, RunRates, Totals, item_monthly};
use crate::domain::workspace::{LeadTimes, Settings, WorkspaceId};

/// Money exactly as typed: `{"amount": "0.0004", "currency": "USD"}`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct TypedMoney(pub Money);

impl Serialize for TypedMoney {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Money", 2)?;
        st.serialize_field("amount", &exact_amount(self.0.amount, self.0.currency))?;
        st.serialize_field("currency", &self.0.currency)?;
        st.end()
    }
}

crate::domain::schema::by_hand!(
    TypedMoney,
    crate::domain::schema::money("An amount exactly as typed, and its currency.")
);

/// Serializes stored money exactly, as [`TypedMoney`] does, where the field stays a [`Money`] so
/// tables still show it rounded.
fn exact_money<S: serde::Serializer>(money: &Money, s: S) -> Result<S::Ok, S::Error> {
    TypedMoney(*money).serialize(s)
}

impl std::fmt::Display for TypedMoney {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", format_exact(self.0.amount, self.0.currency), self.0.currency)
    }
}

/// One item, with everything derived from it as of today.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ItemView {
    pub id: i64,
    /// The public id, for exports, links and the API.
    pub uuid: uuid::Uuid,
    pub kind: Kind,
    pub category: Category,
    pub name: String,
    pub provider: Option<String>,
    /// The price of one billing cycle, as typed.
    pub cost: TypedMoney,
    pub billing_period: BillingPeriod,
    /// The monthly run-rate in the item's currency: the price per month, or for usage-billed
    /// items a full-cycle estimate (see `monthly_basis`).
    pub monthly_cost: Money,
    /// The run-rate in the workspace's base currency; `null` when no rate converts it.
    pub monthly_cost_base: Option<Money>,
    /// How the run-rate was worked out: `price`, `pace` (this cycle's usage carried to its end),
    /// `last_cycle` (the last full cycle's bill) or `fee_only` (nothing read yet).
    pub monthly_basis: RunRateBasis,
    /// `monthly_basis` in words, for estimated run-rates.
    pub monthly_note: Option<Text>,
    /// The stored renewal (or expiry) date.
    pub renewal_date: Option<NaiveDate>,
    /// The next renewal as of today (an auto-renewing item whose date passed already renews later).
    pub next_renewal: Option<NaiveDate>,
    /// Days from today to `next_renewal` (negative once expired).
    pub days_until_renewal: Option<i64>,
    pub auto_renew: bool,
    /// The status users see, derived from dates and the manual status.
    pub status: Status,
    /// The status an admin set (`active` lets the dates decide).
    pub manual_status: ManualStatus,
    pub notes: Option<String>,
    pub usage: Option<UsageView>,
    pub registrar: Option<String>,
    pub server_type: Option<String>,
    pub specs: Option<String>,
    pub service_type: Option<ServiceType>,
    pub pricing_model: Option<PricingModel>,
    pub api_key_status: Option<ApiKeyStatus>,
    pub integration_type: Option<IntegrationType>,
    pub features: Option<Vec<String>>,
    /// The item's own renewal alert lead times (days); `null` means the workspace's.
    pub lead_times: Option<LeadTimes>,
    /// What a year would cost billed yearly, as recorded.
    pub yearly_price: Option<TypedMoney>,
    /// What a flat monthly plan would cost instead of paying per use, as recorded.
    pub plan_price: Option<TypedMoney>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub removed_at: Option<DateTime<Utc>>,
    /// The stored item's version tag (its HTTP `ETag`), set where one item is read or written;
    /// empty in lists.
    #[serde(skip)]
    pub etag: String,
}

/// A usage meter and where it stands.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct UsageView {
    pub unit: String,
    pub unit_price: Option<TypedMoney>,
    pub free_tier: Option<Decimal>,
    pub used: Decimal,
    pub limit: Option<Decimal>,
    /// Units beyond the free tier.
    pub billable: Decimal,
    /// What this cycle's usage costs so far.
    pub usage_cost: Money,
    /// Used as a percentage of the free tier, one decimal.
    pub free_tier_used_percent: Option<Decimal>,
    /// Used as a percentage of the limit, one decimal.
    pub limit_used_percent: Option<Decimal>,
    /// The day the free tier runs out at this cycle's pace, when that is before the cycle ends.
    pub free_tier_runs_out: Option<NaiveDate>,
    /// The day usage reaches the limit at this cycle's pace, when that is before the cycle ends.
    pub limit_runs_out: Option<NaiveDate>,
    /// The last day of this usage cycle.
    pub cycle_end: NaiveDate,
}

fn percent(part: Decimal, whole: Option<Decimal>) -> Option<Decimal> {
    whole.filter(|w| !w.is_zero()).map(|w| (part * Decimal::ONE_HUNDRED / w).round_dp(1))
}

impl ItemView {
    pub fn new(item: &Item, settings: &Settings, rates: &RateBook, today: NaiveDate, run_rates: &RunRates) -> ItemView {
        let monthly = item_monthly(item, run_rates, settings.base_currency, rates, today);
        let next_renewal = item.next_renewal(today);
        let label = |l: &Option<crate::domain::text::Label>| l.as_ref().map(|l| l.as_str().to_string());
        let mut view = ItemView {
            id: item.id,
            uuid: item.uuid,
            kind: item.kind(),
            category: item.category(),
            name: item.name.as_str().to_string(),
            provider: label(&item.provider),
            cost: TypedMoney(item.cost),
            billing_period: item.period,
            monthly_cost: monthly.monthly,
            monthly_cost_base: monthly.monthly_base,
            monthly_note: crate::analysis::run_rate_note(&monthly.basis),
            monthly_basis: monthly.basis,
            renewal_date: item.renewal.map(|r| r.date),
            next_renewal,
            days_until_renewal: next_renewal.map(|d| (d - today).num_days()),
            auto_renew: item.auto_renew,
            status: item.status(today, settings.expiring_window_days),
            manual_status: item.status,
            notes: item.notes.as_ref().map(|n| n.as_str().to_string()),
            usage: item.usage.as_ref().map(|u| {
                let (free, limit) = crate::analysis::alerts::usage_readings(today, item);
                UsageView {
                    unit: u.unit.as_str().to_string(),
                    unit_price: u.unit_price.map(|p| TypedMoney(Money::new(p, item.cost.currency))),
                    free_tier: u.included,
                    used: u.used,
                    limit: u.limit,
                    billable: u.billable_units(),
                    usage_cost: Money::new(u.usage_cost(), item.cost.currency),
                    free_tier_used_percent: percent(u.used, u.included),
                    limit_used_percent: percent(u.used, u.limit),
                    free_tier_runs_out: free.and_then(|a| a.runs_out),
                    limit_runs_out: limit.and_then(|a| a.runs_out),
                    cycle_end: item.cycle(today).end,
                }
            }),
            registrar: None,
            server_type: None,
            specs: None,
            service_type: None,
            pricing_model: None,
            api_key_status: None,
            integration_type: None,
            features: None,
            lead_times: item.lead_times.clone(),
            yearly_price: item.yearly_price.map(|p| TypedMoney(Money::new(p, item.cost.currency))),
            plan_price: item.plan_price.map(|p| TypedMoney(Money::new(p, item.cost.currency))),
            created_at: item.created_at,
            updated_at: item.updated_at,
            removed_at: item.removed_at,
            etag: String::new(),
        };
        match &item.details {
            Details::Domain { registrar } => view.registrar = label(registrar),
            Details::Hosting { server_type, specs } => {
                view.server_type = label(server_type);
                view.specs = label(specs);
            }
            Details::AiProvider { service_type, pricing_model, api_key_status } => {
                view.service_type = Some(*service_type);
                view.pricing_model = Some(*pricing_model);
                view.api_key_status = Some(*api_key_status);
            }
            Details::Integration { integration_type, pricing_model } => {
                view.integration_type = Some(*integration_type);
                view.pricing_model = Some(*pricing_model);
            }
            Details::Package { features } => {
                view.features = Some(features.iter().map(|f| f.as_str().to_string()).collect())
            }
            Details::Cdn | Details::Storage | Details::Other => {}
        }
        view
    }
}

/// Monthly totals in the base currency.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct TotalsView {
    pub total_monthly_cost: Money,
    /// Category name -> monthly total, every category present.
    pub by_category: serde_json::Map<String, serde_json::Value>,
    #[serde(skip)]
    pub categories: Vec<(Category, Money)>,
    /// How many items a missing exchange rate left out of the totals.
    pub items_left_out: usize,
}

impl From<&Totals> for TotalsView {
    fn from(totals: &Totals) -> Self {
        TotalsView {
            total_monthly_cost: totals.monthly,
            by_category: totals
                .by_category
                .iter()
                .map(|(c, m)| (c.as_str().to_string(), serde_json::to_value(m).expect("money serializes")))
                .collect(),
            categories: totals.by_category.clone(),
            items_left_out: totals.items_left_out,
        }
    }
}

/// A page of a workspace's items with the totals of every item matching the filter.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ItemList {
    pub workspace: WorkspaceId,
    pub today: NaiveDate,
    pub base_currency: Currency,
    /// This page's items.
    pub items: Vec<ItemView>,
    /// Which page this is, of how many, and how many items match in all.
    pub paging: PageInfo,
    /// The run-rate of every item matching the filter (billable ones), on every page, in the base
    /// currency.
    pub totals: TotalsView,
    /// Things the reader should know, such as a missing exchange rate.
    pub warnings: Vec<Text>,
}

/// One item in full, with its recent cost history.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ItemDetail {
    pub item: ItemView,
    pub history: Vec<CostView>,
    pub warnings: Vec<Text>,
}

/// The result of adding or editing an item.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ItemChanged {
    pub item: ItemView,
    /// What Jarvis adjusted on its own, e.g. a past renewal date moved forward.
    pub notices: Vec<String>,
}

/// One cost record, with its item's name.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CostView {
    pub id: i64,
    /// The public id, for exports, links and the API.
    pub uuid: uuid::Uuid,
    pub item_id: i64,
    /// The item's public id (none when the item is not known here).
    pub item_uuid: Option<uuid::Uuid>,
    pub item: String,
    pub kind: Kind,
    /// Exactly as stored, in JSON too (`0.0000008`, not `0.00`); tables show it rounded.
    #[serde(serialize_with = "exact_money")]
    pub amount: Money,
    /// In the base currency, converted at the rate in force at the period's start (rounded for
    /// display).
    pub amount_base: Option<Money>,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub source: CostSource,
    pub usage: Option<UsageSnapshot>,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

impl CostView {
    pub fn new(record: &CostRecord, item: Option<&Item>, base: Currency, rates: &RateBook) -> CostView {
        CostView {
            id: record.id,
            uuid: record.uuid,
            item_id: record.item_id,
            item_uuid: item.map(|i| i.uuid),
            item: item.map(|i| i.name.as_str().to_string()).unwrap_or_else(|| format!("#{}", record.item_id)),
            kind: item.map(Item::kind).unwrap_or(Kind::Other),
            amount: record.amount,
            amount_base: rates.convert(record.amount, base, record.period.start).ok(),
            period_start: record.period.start,
            period_end: record.period.end,
            source: record.source,
            usage: record.usage.clone(),
            note: record.note.as_ref().map(|n| n.as_str().to_string()),
            created_at: record.created_at,
            created_by: record.created_by.clone(),
        }
    }
}

/// A page of cost history, with the total of every record matching, in the base currency.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CostHistory {
    pub base_currency: Currency,
    /// The item asked about (its id), when only one item's records were.
    pub item_id: Option<i64>,
    /// Its public id.
    pub item_uuid: Option<uuid::Uuid>,
    /// The days asked about, when limited.
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// This page's records, oldest first.
    pub records: Vec<CostView>,
    /// Which page this is, of how many, and how many records match in all.
    pub paging: PageInfo,
    /// What every matching record (on every page) costs within `from`..`to` (a record reaching
    /// outside counts for its share of days inside), in the base currency; records without an
    /// exchange rate are left out.
    pub total: Money,
    /// What is not in `total` for want of an exchange rate, one entry per currency pair.
    pub left_out: Vec<LeftOut>,
}

/// Amounts a total leaves out because no exchange rate converts them.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct LeftOut {
    /// Their sum in their own currency (their share within the days asked about).
    pub amount: Money,
    /// How many records they come from.
    pub records: usize,
    /// Which rate is missing, for which days.
    pub missing: MissingRate,
}

/// A page of the audit log, newest first.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AuditLog {
    pub entries: Vec<crate::store::AuditRecord>,
    pub paging: PageInfo,
}

/// The settings and the exchange rates.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct SettingsPage {
    pub settings: SettingsView,
    pub rates: Vec<RateView>,
}

/// A workspace's settings, and what they mean today.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct SettingsView {
    pub workspace: WorkspaceId,
    #[serde(flatten)]
    pub settings: Settings,
    /// Today's date in the workspace's timezone.
    pub today: NaiveDate,
}

/// An exchange rate as shown.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct RateView {
    pub base: Currency,
    pub quote: Currency,
    pub rate: Decimal,
    pub date: NaiveDate,
    /// The rate it replaced, for the same pair and date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replaced: Option<Decimal>,
}

impl From<&ExchangeRate> for RateView {
    fn from(rate: &ExchangeRate) -> Self {
        RateView { base: rate.base, quote: rate.quote, rate: rate.rate.normalize(), date: rate.date, replaced: None }
    }
}
