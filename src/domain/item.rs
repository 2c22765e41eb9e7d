//! The one item model: everything a workspace pays for, whatever its kind, with the rules that
//! keep an item consistent (which fields apply to which kind, which combinations make sense).

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::calendar::{DateRange, Month, add_months_anchored};
use super::choice::choice_enum;
use super::error::UserError;
use super::money::{Currency, MAX_AMOUNT, Money};
use super::text::{ItemName, Label, Notes};
use super::workspace::LeadTimes;

choice_enum! {
    /// The five spending categories of the dashboard.
    pub enum Category as "category" {
        Infrastructure = "infrastructure",
        Ai = "ai_services",
        ThirdParty = "third_party",
        Packages = "packages",
        Other = "other",
    }
}

choice_enum! {
    /// What an item is; each kind belongs to one category.
    pub enum Kind as "kind" {
        Domain = "domain",
        Hosting = "hosting",
        Cdn = "cdn",
        Storage = "storage",
        AiProvider = "ai_provider",
        Integration = "integration",
        Package = "package",
        Other = "other",
    }
}

impl Kind {
    pub fn category(self) -> Category {
        match self {
            Kind::Domain | Kind::Hosting | Kind::Cdn | Kind::Storage => Category::Infrastructure,
            Kind::AiProvider => Category::Ai,
            Kind::Integration => Category::ThirdParty,
            Kind::Package => Category::Packages,
            Kind::Other => Category::Other,
        }
    }

    /// How people say it in a sentence: `domain`, `AI provider`.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Domain => "domain",
            Kind::Hosting => "hosting service",
            Kind::Cdn => "CDN",
            Kind::Storage => "storage service",
            Kind::AiProvider => "AI provider",
            Kind::Integration => "integration",
            Kind::Package => "package",
            Kind::Other => "item",
        }
    }

    /// The label with its article: `a domain`, `an AI provider`.
    pub fn with_article(self) -> String {
        let label = self.label();
        let article = if matches!(self, Kind::AiProvider | Kind::Integration | Kind::Other) { "an" } else { "a" };
        format!("{article} {label}")
    }

    /// The billing period assumed when none is given.
    pub fn default_period(self) -> BillingPeriod {
        match self {
            Kind::Domain => BillingPeriod::Yearly,
            _ => BillingPeriod::Monthly,
        }
    }

    /// The usage unit assumed when a meter is set up without one.
    pub fn default_unit(self) -> &'static str {
        match self {
            Kind::AiProvider => "request",
            Kind::Cdn | Kind::Storage => "GB",
            _ => "unit",
        }
    }
}

choice_enum! {
    /// How often an item is paid for. Usage-based items are billed monthly for their usage.
    pub enum BillingPeriod as "billing period" {
        OneTime = "one_time",
        Monthly = "monthly",
        Quarterly = "quarterly",
        Yearly = "yearly",
        UsageBased = "usage_based",
    }
}

impl BillingPeriod {
    /// Months in one billing cycle; `None` for one-time purchases, which do not recur.
    pub fn months(self) -> Option<u32> {
        match self {
            BillingPeriod::OneTime => None,
            BillingPeriod::Monthly | BillingPeriod::UsageBased => Some(1),
            BillingPeriod::Quarterly => Some(3),
            BillingPeriod::Yearly => Some(12),
        }
    }

    pub fn is_recurring(self) -> bool {
        self.months().is_some()
    }

    /// Whether a cycle is billed when it ends (usage) rather than when it starts (subscriptions).
    pub fn bills_in_arrears(self) -> bool {
        self == BillingPeriod::UsageBased
    }
}

choice_enum! {
    /// The status an admin sets. `active` means "let the dates decide" (see [`Status`]).
    pub enum ManualStatus as "status" {
        Active = "active",
        Suspended = "suspended",
        Cancelled = "cancelled",
        Expired = "expired",
    }
}

choice_enum! {
    /// The status users see, derived from the manual status and the dates against `today`.
    pub enum Status as "status" {
        Active = "active",
        Expiring = "expiring",
        Expired = "expired",
        Suspended = "suspended",
        Cancelled = "cancelled",
    }
}

impl Status {
    /// Whether the item is still being paid for (counts in monthly totals and month close).
    pub fn is_billable(self) -> bool {
        matches!(self, Status::Active | Status::Expiring)
    }
}

choice_enum! {
    pub enum ServiceType as "service type" {
        Text = "text",
        Image = "image",
        Video = "video",
        Audio = "audio",
        Embedding = "embedding",
        Other = "other",
    }
}

choice_enum! {
    pub enum PricingModel as "pricing model" {
        PayPerUse = "pay_per_use",
        Subscription = "subscription",
        Free = "free",
    }
}

choice_enum! {
    /// What the admin last knew about the provider's API key. Jarvis never stores keys.
    pub enum ApiKeyStatus as "API key status" {
        Active = "active",
        Expired = "expired",
        Invalid = "invalid",
        Unknown = "unknown",
    }
}

choice_enum! {
    pub enum IntegrationType as "integration type" {
        Auth = "auth",
        Payment = "payment",
        Database = "database",
        Email = "email",
        Analytics = "analytics",
        Monitoring = "monitoring",
        Other = "other",
    }
}

/// The next renewal (or expiry, for items that do not auto-renew) and the day of month that
/// renewals are anchored to, so Jan 31 monthly renewals come back to the 31st after February.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Renewal {
    pub date: NaiveDate,
    pub anchor_day: u32,
}

impl Renewal {
    pub fn on(date: NaiveDate) -> Renewal {
        Renewal { date, anchor_day: date.day() }
    }

    /// The renewal one billing cycle later; `None` for periods that do not recur.
    pub fn following(self, period: BillingPeriod) -> Option<Renewal> {
        self.moved(period, 1)
    }

    /// The renewal one billing cycle earlier; `None` for periods that do not recur.
    pub fn preceding(self, period: BillingPeriod) -> Option<Renewal> {
        self.moved(period, -1)
    }

    fn moved(self, period: BillingPeriod, cycles: i32) -> Option<Renewal> {
        let months = period.months()? as i32;
        Some(Renewal { date: add_months_anchored(self.date, months * cycles, self.anchor_day), ..self })
    }
}

/// A usage meter: how much of something was used in the current billing cycle (the provider's
/// count for the cycle, as read off its dashboard), what is free and what each further unit costs
/// (in the item's currency). Only usage-based items have a unit price; on other items the meter
/// tracks a quota.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Usage {
    /// What is counted: `request`, `GB`, `1M tokens`.
    pub unit: Label,
    /// Price per unit beyond the free tier; `None` when usage is tracked but not billed per unit.
    pub unit_price: Option<Decimal>,
    /// Units included for free each cycle (the free tier).
    pub included: Option<Decimal>,
    /// Units used so far in the current cycle.
    pub used: Decimal,
    /// A hard quota, e.g. Supabase's database size limit.
    pub limit: Option<Decimal>,
    /// Units of this cycle already billed before the cycle ended (when the item's terms changed
    /// or it was suspended mid-cycle); the cycle's bill charges the rest.
    pub billed: Decimal,
    /// The day `used` was last read (set by an admin); `None` since the meter restarted.
    #[serde(default)]
    pub read_on: Option<NaiveDate>,
    /// The last reading of the cycle billed before this one, kept when the meter restarted: early
    /// in a cycle the run-rate goes by its pace (see `summary::run_rate`).
    #[serde(default)]
    pub last_cycle: Option<CycleReading>,
}

/// A finished cycle's last reading.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CycleReading {
    /// Units used by `read_on`.
    pub used: Decimal,
    pub read_on: NaiveDate,
    /// The cycle it was read in.
    pub cycle: DateRange,
}

impl Usage {
    /// Units above the free tier.
    pub fn billable_units(&self) -> Decimal {
        (self.used - self.included.unwrap_or(Decimal::ZERO)).max(Decimal::ZERO)
    }

    /// What `units` cost when `cycles` billing cycles' free tiers apply:
    /// max(0, units - free tier x cycles) x unit price.
    pub fn cost_of(&self, units: Decimal, cycles: u32) -> Decimal {
        let free = self.included.unwrap_or(Decimal::ZERO) * Decimal::from(cycles);
        (units - free).max(Decimal::ZERO) * self.unit_price.unwrap_or(Decimal::ZERO)
    }

    /// The cost of this cycle's usage so far: max(0, used - free tier) x unit price.
    pub fn usage_cost(&self) -> Decimal {
        self.cost_of(self.used, 1)
    }

    /// What is still to bill of the usage over `cycles` cycles: the cost of all units used less
    /// the cost of those already billed (never negative, should a reading be corrected down).
    pub fn unbilled_cost(&self, cycles: u32) -> Decimal {
        (self.cost_of(self.used, cycles) - self.cost_of(self.billed, cycles)).max(Decimal::ZERO)
    }
}

/// Attributes that only some kinds have.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Details {
    Domain { registrar: Option<Label> },
    Hosting { server_type: Option<Label>, specs: Option<Label> },
    Cdn,
    Storage,
    AiProvider { service_type: ServiceType, pricing_model: PricingModel, api_key_status: ApiKeyStatus },
    Integration { integration_type: IntegrationType, pricing_model: PricingModel },
    Package { features: Vec<Label> },
    Other,
}

/// The stored (JSON) form of [`Details`]; the kind is stored beside it.
#[derive(Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct DetailsRecord {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    registrar: Option<Label>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    server_type: Option<Label>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    specs: Option<Label>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    service_type: Option<ServiceType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pricing_model: Option<PricingModel>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    api_key_status: Option<ApiKeyStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    integration_type: Option<IntegrationType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    features: Option<Vec<Label>>,
}

impl Details {
    /// The details a new item of `kind` starts with.
    pub fn blank(kind: Kind) -> Details {
        match kind {
            Kind::Domain => Details::Domain { registrar: None },
            Kind::Hosting => Details::Hosting { server_type: None, specs: None },
            Kind::Cdn => Details::Cdn,
            Kind::Storage => Details::Storage,
            Kind::AiProvider => Details::AiProvider {
                service_type: ServiceType::Text,
                pricing_model: PricingModel::Subscription,
                api_key_status: ApiKeyStatus::Unknown,
            },
            Kind::Integration => Details::Integration {
                integration_type: IntegrationType::Other,
                pricing_model: PricingModel::Subscription,
            },
            Kind::Package => Details::Package { features: Vec::new() },
            Kind::Other => Details::Other,
        }
    }

    pub fn kind(&self) -> Kind {
        match self {
            Details::Domain { .. } => Kind::Domain,
            Details::Hosting { .. } => Kind::Hosting,
            Details::Cdn => Kind::Cdn,
            Details::Storage => Kind::Storage,
            Details::AiProvider { .. } => Kind::AiProvider,
            Details::Integration { .. } => Kind::Integration,
            Details::Package { .. } => Kind::Package,
            Details::Other => Kind::Other,
        }
    }

    pub fn pricing_model(&self) -> Option<PricingModel> {
        match self {
            Details::AiProvider { pricing_model, .. } | Details::Integration { pricing_model, .. } => {
                Some(*pricing_model)
            }
            _ => None,
        }
    }

    /// The labels the details hold, each with its field: a domain's registrar, a server's type
    /// and specs, a package's features.
    pub fn labels(&self) -> Vec<(&'static str, &Label)> {
        match self {
            Details::Domain { registrar } => registrar.iter().map(|l| ("registrar", l)).collect(),
            Details::Hosting { server_type, specs } => {
                server_type.iter().map(|l| ("server type", l)).chain(specs.iter().map(|l| ("specs", l))).collect()
            }
            Details::Package { features } => features.iter().map(|l| ("feature", l)).collect(),
            Details::Cdn
            | Details::Storage
            | Details::AiProvider { .. }
            | Details::Integration { .. }
            | Details::Other => Vec::new(),
        }
    }

    /// The JSON stored in the `details` column.
    pub fn to_json(&self) -> String {
        let mut r = DetailsRecord::default();
        match self.clone() {
            Details::Domain { registrar } => r.registrar = registrar,
            Details::Hosting { server_type, specs } => {
                r.server_type = server_type;
                r.specs = specs;
            }
            Details::AiProvider { service_type, pricing_model, api_key_status } => {
                r.service_type = Some(service_type);
                r.pricing_model = Some(pricing_model);
                r.api_key_status = Some(api_key_status);
            }
            Details::Integration { integration_type, pricing_model } => {
                r.integration_type = Some(integration_type);
                r.pricing_model = Some(pricing_model);
            }
            Details::Package { features } => r.features = Some(features),
            Details::Cdn | Details::Storage | Details::Other => {}
        }
        serde_json::to_string(&r).expect("details serialize")
    }

    /// Reads the stored JSON back for an item of `kind`.
    pub fn from_json(kind: Kind, json: &str) -> Result<Details, serde_json::Error> {
        let r: DetailsRecord = serde_json::from_str(json)?;
        let mut details = Details::blank(kind);
        match &mut details {
            Details::Domain { registrar } => *registrar = r.registrar,
            Details::Hosting { server_type, specs } => {
                *server_type = r.server_type;
                *specs = r.specs;
            }
            Details::AiProvider { service_type, pricing_model, api_key_status } => {
                *service_type = r.service_type.unwrap_or(*service_type);
                *pricing_model = r.pricing_model.unwrap_or(*pricing_model);
                *api_key_status = r.api_key_status.unwrap_or(*api_key_status);
            }
            Details::Integration { integration_type, pricing_model } => {
                *integration_type = r.integration_type.unwrap_or(*integration_type);
                *pricing_model = r.pricing_model.unwrap_or(*pricing_model);
            }
            Details::Package { features } => *features = r.features.unwrap_or_default(),
            Details::Cdn | Details::Storage | Details::Other => {}
        }
        Ok(details)
    }
}

/// Something the workspace pays for.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Item {
    /// Database id; 0 until stored.
    pub id: i64,
    /// Public id (a UUID v7): what exports, links and the API name it by; nil until stored.
    pub uuid: uuid::Uuid,
    pub name: ItemName,
    pub provider: Option<Label>,
    /// The price of one billing cycle (for usage-based items: the base fee, often zero).
    pub cost: Money,
    pub period: BillingPeriod,
    /// Next renewal or billing date; for items that do not auto-renew, the expiry date.
    pub renewal: Option<Renewal>,
    pub auto_renew: bool,
    pub status: ManualStatus,
    pub notes: Option<Notes>,
    pub usage: Option<Usage>,
    pub details: Details,
    /// Days before the renewal that alerts fire, when not the workspace's.
    pub lead_times: Option<LeadTimes>,
    /// What a year would cost billed yearly, when the provider offers that (for recommendations).
    pub yearly_price: Option<Decimal>,
    /// What a flat monthly plan would cost instead of paying per use (for recommendations).
    pub plan_price: Option<Decimal>,
    /// The day (in the workspace's timezone) from which month close records the item's cost: the
    /// day it was added, or the day it last became billable again after a suspension or expiry.
    pub billed_from: NaiveDate,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Set once the item is removed: it no longer counts, but its history stays.
    pub removed_at: Option<DateTime<Utc>>,
}

/// A change to an item, as typed by a user. `None` leaves a field alone; `Some(None)` clears it.
/// The same struct describes a new item (applied to a blank one) and an edit.
#[derive(Clone, Default, Debug, PartialEq, Eq)]
pub struct ItemChanges {
    pub name: Option<ItemName>,
    pub provider: Option<Option<Label>>,
    pub cost: Option<Decimal>,
    pub currency: Option<Currency>,
    pub period: Option<BillingPeriod>,
    pub renewal_date: Option<Option<NaiveDate>>,
    pub auto_renew: Option<bool>,
    pub status: Option<ManualStatus>,
    pub notes: Option<Option<Notes>>,
    pub unit: Option<Label>,
    pub unit_price: Option<Option<Decimal>>,
    pub free_tier: Option<Option<Decimal>>,
    pub usage: Option<Decimal>,
    pub usage_limit: Option<Option<Decimal>>,
    /// Removes the usage meter entirely (all of unit, price, free tier, usage, limit).
    pub clear_usage: bool,
    pub registrar: Option<Option<Label>>,
    pub server_type: Option<Option<Label>>,
    pub specs: Option<Option<Label>>,
    pub service_type: Option<ServiceType>,
    pub pricing_model: Option<PricingModel>,
    pub api_key_status: Option<ApiKeyStatus>,
    pub integration_type: Option<IntegrationType>,
    pub features: Option<Vec<Label>>,
    pub lead_times: Option<Option<LeadTimes>>,
    pub yearly_price: Option<Option<Decimal>>,
    pub plan_price: Option<Option<Decimal>>,
    /// A new usage-based item billed only by the bills recorded for it (imported), with no
    /// meter of its own; without it, a usage-based item needs its price per unit.
    pub billed_by_bills: bool,
}

impl ItemChanges {
    /// Whether the change touches nothing.
    pub fn is_empty(&self) -> bool {
        *self == ItemChanges::default()
    }

    /// Whether the change may alter what the item costs from now on (price, currency, period,
    /// dates, status, per-unit pricing), so the past must be billed at the old terms first.
    /// Usage readings, names, notes and descriptive fields do not.
    pub fn touches_terms(&self) -> bool {
        self.cost.is_some()
            || self.currency.is_some()
            || self.period.is_some()
            || self.renewal_date.is_some()
            || self.auto_renew.is_some()
            || self.status.is_some()
            || self.unit_price.is_some()
            || self.free_tier.is_some()
            || self.clear_usage
    }
}

/// What a successful change did besides the obvious, worth telling the user.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, utoipa::ToSchema)]
pub struct Adjustment(pub String);

fn not_for(field: &str, kind: Kind, applies_to: &str) -> UserError {
    UserError::Conflict(format!(
        "`{field}` applies to {applies_to} only, and this item is {}; leave it out",
        kind.with_article()
    ))
}

impl Item {
    /// A new item of `kind` built from `changes`. `currency` is used when none is given; `today`
    /// (in the workspace's timezone) decides whether a past renewal date must move forward.
    pub fn create(
        kind: Kind,
        changes: &ItemChanges,
        currency: Currency,
        today: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<(Item, Vec<Adjustment>), UserError> {
        let name = changes.name.clone().ok_or_else(|| UserError::Missing("Give the item a name".into()))?;
        let pricing_free = changes.pricing_model == Some(PricingModel::Free);
        let period = changes.period.unwrap_or_else(|| {
            if changes.pricing_model == Some(PricingModel::PayPerUse) {
                BillingPeriod::UsageBased
            } else {
                kind.default_period()
            }
        });
        if changes.cost.is_none() && !pricing_free && period != BillingPeriod::UsageBased {
            let free_hint = match kind {
                Kind::AiProvider | Kind::Integration => "for a free service use --pricing free",
                _ => "use --cost 0 if it is free",
            };
            let price = match period {
                BillingPeriod::OneTime => "one-time price".to_string(),
                other => format!("{other} price"),
            };
            return Err(UserError::Missing(format!(
                "Give the {price} of `{name}` with --cost (e.g. --cost 12.50); {free_hint}"
            )));
        }
        let mut details = Details::blank(kind);
        // Pick a pricing model that matches what was typed when none was given.
        if let Details::AiProvider { pricing_model, .. } | Details::Integration { pricing_model, .. } = &mut details {
            *pricing_model = if period == BillingPeriod::UsageBased {
                PricingModel::PayPerUse
            } else if changes.cost.is_some_and(|c| c.is_zero()) && changes.unit_price.flatten().is_none() {
                PricingModel::Free
            } else {
                PricingModel::Subscription
            };
        }
        let blank = Item {
            id: 0,
            uuid: uuid::Uuid::nil(),
            name,
            provider: None,
            cost: Money::zero(changes.currency.unwrap_or(currency)),
            period,
            renewal: None,
            auto_renew: false,
            status: ManualStatus::Active,
            notes: None,
            usage: None,
            details,
            lead_times: None,
            yearly_price: None,
            plan_price: None,
            billed_from: today,
            created_at: now,
            updated_at: now,
            removed_at: None,
        };
        let changes = ItemChanges { period: Some(period), ..changes.clone() };
        let (item, adjustments) = blank.apply(&changes, today, now)?;
        if item.period == BillingPeriod::UsageBased && item.usage.is_none() && !changes.billed_by_bills {
            return Err(UserError::Missing(
                "A usage-based item needs its price per unit: add --unit-price (e.g. 0.002) and --unit (e.g. request)"
                    .into(),
            ));
        }
        Ok((item, adjustments))
    }

    /// This item with `changes` applied and checked; `today` is the workspace's date.
    pub fn apply(
        &self,
        changes: &ItemChanges,
        today: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<(Item, Vec<Adjustment>), UserError> {
        let mut item = self.clone();
        let mut adjustments = Vec::new();
        let kind = item.kind();

        if let Some(name) = &changes.name {
            item.name = name.clone();
        }
        if let Some(provider) = &changes.provider {
            item.provider = provider.clone();
        }
        if let Some(currency) = changes.currency {
            item.cost.currency = currency;
        }
        if let Some(cost) = changes.cost {
            item.cost.amount = cost;
        }
        if let Some(period) = changes.period {
            item.period = period;
        }
        if let Some(renewal_date) = changes.renewal_date {
            item.renewal = renewal_date.map(Renewal::on);
        }
        if let Some(auto_renew) = changes.auto_renew {
            item.auto_renew = auto_renew;
        }
        if let Some(status) = changes.status {
            item.status = status;
        }
        if let Some(notes) = &changes.notes {
            item.notes = notes.clone();
        }
        if let Some(lead_times) = &changes.lead_times {
            item.lead_times = lead_times.clone();
        }
        if let Some(yearly_price) = changes.yearly_price {
            item.yearly_price = yearly_price;
        }
        if let Some(plan_price) = changes.plan_price {
            item.plan_price = plan_price;
        }
        // An alternative price only makes sense for some periods; a new period drops it.
        let yearly_applies = matches!(item.period, BillingPeriod::Monthly | BillingPeriod::Quarterly);
        if !yearly_applies && changes.yearly_price.is_none() && item.yearly_price.take().is_some() {
            adjustments
                .push(Adjustment("The yearly price no longer applies to this billing period and was cleared".into()));
        }
        if item.period != BillingPeriod::UsageBased && changes.plan_price.is_none() && item.plan_price.take().is_some()
        {
            adjustments.push(Adjustment("The plan price applies to usage-based items only and was cleared".into()));
        }
        apply_usage(&mut item, changes, today)?;
        apply_details(&mut item.details, changes)?;
        debug_assert_eq!(item.kind(), kind);

        // Usage is billed at the end of each cycle; without a billing date, cycles are calendar
        // months billed on the 1st.
        if item.period.bills_in_arrears() && item.renewal.is_none() && changes.auto_renew != Some(false) {
            let first_of_next_month = Month::of(today).next().first_day();
            item.renewal = Some(Renewal::on(first_of_next_month));
            item.auto_renew = true;
            adjustments.push(Adjustment(format!(
                "Usage is billed monthly, next on {first_of_next_month}; set --renews to the provider's billing date if it differs"
            )));
        }

        // Only an item made to be billed by its (imported) bills goes without a meter: an edit
        // cannot take one away or make an item usage-based without one.
        let billed_by_bills = |i: &Item| i.period == BillingPeriod::UsageBased && i.usage.is_none();
        if billed_by_bills(&item) && !billed_by_bills(self) && !changes.billed_by_bills {
            return Err(UserError::Missing(
                "A usage-based item needs its price per unit: add --unit-price (e.g. 0.002) and --unit (e.g. request)"
                    .into(),
            ));
        }
        item.check()?;

        // A past date typed for an auto-renewing item (or one coming back from suspension) is the
        // cycle's anchor, not missed charges: move it to the next renewal on or after today without
        // recording charges. Untouched items keep their date for the renewal job to charge.
        let renewal_touched = changes.renewal_date.is_some_and(|date| date != self.renewal.map(|r| r.date))
            || (item.auto_renew && !self.auto_renew)
            || item.period != self.period
            || (item.status == ManualStatus::Active && self.status != ManualStatus::Active);
        if renewal_touched
            && let Some(next) = item.next_renewal(today)
            && let Some(renewal) = item.renewal.filter(|r| r.date != next)
        {
            adjustments.push(Adjustment(format!(
                "The renewal date {} has passed; it auto-renews, so the next renewal is {next}",
                renewal.date
            )));
            item.renewal = Some(Renewal { date: next, ..renewal });
        }
        if renewal_touched
            && !item.auto_renew
            && item.status == ManualStatus::Active
            && let Some(renewal) = item.renewal.filter(|r| r.date < today)
        {
            adjustments.push(Adjustment(format!(
                "The renewal date {} has passed and it does not auto-renew, so it counts as expired; give --auto-renew or a later --renews if it is still paid for",
                renewal.date
            )));
        }
        // Coming back from a suspension or an expiry: the days it was not billable stay unbilled.
        if !self.status(today, 0).is_billable() && item.status(today, 0).is_billable() {
            item.billed_from = today;
        }
        item.updated_at = now;
        Ok((item, adjustments))
    }

    pub fn kind(&self) -> Kind {
        self.details.kind()
    }

    /// Whether `other` is billed differently: price, currency, period, renewal terms, status or
    /// per-unit pricing. (Usage readings, names and notes do not change what past days cost.)
    pub fn terms_differ(&self, other: &Item) -> bool {
        let pricing = |item: &Item| item.usage.as_ref().map(|u| (u.unit_price, u.included));
        self.cost != other.cost
            || self.period != other.period
            || self.renewal != other.renewal
            || self.auto_renew != other.auto_renew
            || self.status != other.status
            || pricing(self) != pricing(other)
    }

    pub fn category(&self) -> Category {
        self.kind().category()
    }

    /// Rules that hold between fields (also checked on items restored from a backup).
    pub fn check(&self) -> Result<(), UserError> {
        if self.period == BillingPeriod::OneTime && self.auto_renew {
            return Err(UserError::Conflict(
                "A one-time purchase does not renew: turn auto-renew off (--no-auto-renew) or choose a recurring --period".into(),
            ));
        }
        let unit_price = self.usage.as_ref().and_then(|u| u.unit_price);
        if unit_price.is_some() && self.period != BillingPeriod::UsageBased {
            return Err(UserError::Conflict(
                "A price per unit makes this a usage-based item: add --period usage-based (with --cost as its base fee, if any), or drop --unit-price".into(),
            ));
        }
        if self.period == BillingPeriod::UsageBased && !self.auto_renew {
            return Err(UserError::Conflict(
                "Usage is billed at the end of every cycle, so a usage-based item renews by itself; to stop it, set --status cancelled or remove it".into(),
            ));
        }
        if self.auto_renew && self.renewal.is_none() {
            return Err(UserError::Missing(
                "Auto-renew needs the renewal date: add --renews YYYY-MM-DD, or turn auto-renew off".into(),
            ));
        }
        if self.cycle_cost().amount > MAX_AMOUNT {
            return Err(UserError::Conflict(
                "The cost with usage x unit price comes to more than Jarvis's maximum of 1,000,000,000,000; check --usage and --unit-price".into(),
            ));
        }
        // A usage-based item without a meter is billed by what is recorded for it (imported
        // bills): only a meter needs its price.
        if self.period == BillingPeriod::UsageBased && self.usage.is_some() && unit_price.is_none() {
            return Err(UserError::Missing(
                "A usage-based item needs its price per unit: add --unit-price (e.g. 0.002) and --unit (e.g. request)"
                    .into(),
            ));
        }
        match self.details.pricing_model() {
            Some(PricingModel::Free) if !self.cost.amount.is_zero() || unit_price.is_some_and(|p| !p.is_zero()) => {
                return Err(UserError::Conflict(
                    "A free service costs nothing: set --cost 0 and drop --unit-price, or choose --pricing subscription or pay-per-use".into(),
                ));
            }
            // (A usage-based item without a meter is billed by its bills: see above.)
            Some(PricingModel::PayPerUse)
                if unit_price.is_none() && !(self.period == BillingPeriod::UsageBased && self.usage.is_none()) =>
            {
                return Err(UserError::Missing(
                    "Pay-per-use pricing needs the price per unit: add --unit-price (e.g. 0.002) and --unit (e.g. request)".into(),
                ));
            }
            _ => {}
        }
        if self.yearly_price.is_some() && !matches!(self.period, BillingPeriod::Monthly | BillingPeriod::Quarterly) {
            return Err(UserError::Conflict(
                "A yearly price is the alternative to paying monthly or quarterly; this item is not billed that way, so leave --yearly-price out".into(),
            ));
        }
        if self.plan_price.is_some() && self.period != BillingPeriod::UsageBased {
            return Err(UserError::Conflict(
                "A plan price is the flat-rate alternative to paying per use; this item is not usage-based, so leave --plan-price out".into(),
            ));
        }
        if let Some(usage) = &self.usage
            && let Some(limit) = usage.limit
            && limit.is_zero()
        {
            return Err(UserError::invalid("usage limit", "0", "it must be greater than zero; clear it instead"));
        }
        Ok(())
    }

    /// The next renewal as of `today`: an auto-renewing item whose date passed (and whose charge
    /// the renewal job has not recorded yet) already renews on its following date.
    pub fn next_renewal(&self, today: NaiveDate) -> Option<NaiveDate> {
        let mut renewal = self.renewal?;
        if self.auto_renew && self.period.is_recurring() {
            while renewal.date < today {
                renewal = renewal.following(self.period)?;
            }
        }
        Some(renewal.date)
    }

    /// The renewals (or the expiry) that fall in `range` as of `today`: every cycle of an
    /// auto-renewing item (those before `today` too, back to when the item was added), the one
    /// date of an item that does not renew by itself.
    pub fn renewals_in(&self, today: NaiveDate, range: DateRange) -> Vec<NaiveDate> {
        let Some(mut renewal) = self.renewal else { return Vec::new() };
        if !(self.auto_renew && self.period.is_recurring()) {
            return if range.contains(renewal.date) { vec![renewal.date] } else { Vec::new() };
        }
        // The next renewal as of today; before it, the past cycles in the range that began once
        // the item was in the ledger (the one it was added in was bought before, or on, that
        // day). A date between today and the next renewal is none: the next one is the date the
        // item gives.
        while renewal.date < today {
            match renewal.following(self.period) {
                Some(next) => renewal = next,
                None => break,
            }
        }
        let added = self.created_at.date_naive();
        let mut dates = Vec::new();
        let mut earlier = renewal;
        while let Some(before) = earlier.preceding(self.period) {
            if before.date < range.start || before.date <= added {
                break;
            }
            if before.date < today && range.contains(before.date) {
                dates.push(before.date);
            }
            earlier = before;
        }
        dates.reverse();
        while renewal.date <= range.end {
            if range.contains(renewal.date) {
                dates.push(renewal.date);
            }
            match renewal.following(self.period) {
                Some(next) => renewal = next,
                None => break,
            }
        }
        dates
    }

    /// The status users see: a manual status wins; otherwise `expired` once the date passed without
    /// auto-renew, `expiring` when it ends within `window_days`, else `active`.
    ///
    /// Only items that do not renew by themselves can be `expiring`: a monthly subscription that
    /// auto-renews is always within 30 days of its next renewal and is not about to lapse. Upcoming
    /// charges of auto-renewing items are what renewal alerts and the renewals list are for.
    pub fn status(&self, today: NaiveDate, window_days: u32) -> Status {
        match self.status {
            ManualStatus::Suspended => return Status::Suspended,
            ManualStatus::Cancelled => return Status::Cancelled,
            ManualStatus::Expired => return Status::Expired,
            ManualStatus::Active => {}
        }
        match self.next_renewal(today) {
            Some(date) if date < today => Status::Expired,
            Some(date) if !self.auto_renew && (date - today).num_days() <= i64::from(window_days) => Status::Expiring,
            _ => Status::Active,
        }
    }

    /// The billing cycle `today` falls in: from the previous renewal to the day before the next
    /// (a renewal today starts a cycle), or the calendar month for items without a renewal date.
    pub fn cycle(&self, today: NaiveDate) -> DateRange {
        let month = Month::of(today).range();
        let cycle = || {
            let renewal = self.renewal?;
            let mut next = Renewal { date: self.next_renewal(today)?, ..renewal };
            if next.date <= today {
                next = next.following(self.period)?;
            }
            let start = next.preceding(self.period)?;
            DateRange::new(start.date, next.date.pred_opt()?).filter(|c| c.contains(today))
        };
        cycle().unwrap_or(month)
    }

    /// Whether the usage meter was read in the cycle `today` falls in (since the item became
    /// billable).
    pub fn read_this_cycle(&self, today: NaiveDate) -> bool {
        let start = self.cycle(today).start.max(self.billed_from);
        self.usage.as_ref().and_then(|u| u.read_on).is_some_and(|day| day >= start)
    }

    /// The charge for the current billing cycle: the price plus usage beyond the free tier.
    pub fn cycle_cost(&self) -> Money {
        let usage = self.usage.as_ref().map(Usage::usage_cost).unwrap_or_default();
        Money::new(self.cost.amount + usage, self.cost.currency)
    }

    /// The fixed part of the monthly equivalent: the price per cycle without usage, / months per
    /// cycle; zero for one-time purchases.
    pub fn fixed_monthly_fee(&self) -> Money {
        let months = self.period.months().unwrap_or(0);
        let amount = if months == 0 { Decimal::ZERO } else { self.cost.amount / Decimal::from(months) };
        Money::new(amount, self.cost.currency)
    }

    /// The exact monthly equivalent: monthly as is, yearly / 12, quarterly / 3, usage-based =
    /// base fee + max(0, usage - free tier) x unit price; one-time purchases are not a monthly
    /// cost. This is the run-rate that totals show.
    pub fn monthly_cost(&self) -> Money {
        match self.period.months() {
            None => Money::zero(self.cost.currency),
            Some(months) => {
                let cycle = self.cycle_cost();
                Money::new(cycle.amount / Decimal::from(months), cycle.currency)
            }
        }
    }
}

fn apply_usage(item: &mut Item, changes: &ItemChanges, today: NaiveDate) -> Result<(), UserError> {
    if changes.clear_usage {
        item.usage = None;
    }
    let touches = changes.unit.is_some()
        || changes.unit_price.is_some()
        || changes.free_tier.is_some()
        || changes.usage.is_some()
        || changes.usage_limit.is_some();
    if !touches {
        return Ok(());
    }
    let kind = item.kind();
    let mut usage = item.usage.clone().unwrap_or_else(|| Usage {
        last_cycle: None,
        unit: Label::parse("unit", kind.default_unit()).expect("default units are valid"),
        unit_price: None,
        included: None,
        used: Decimal::ZERO,
        limit: None,
        billed: Decimal::ZERO,
        read_on: None,
    });
    if let Some(unit) = &changes.unit {
        usage.unit = unit.clone();
    }
    if let Some(price) = changes.unit_price {
        usage.unit_price = price;
    }
    if let Some(free) = changes.free_tier {
        usage.included = free;
    }
    if let Some(used) = changes.usage {
        usage.used = used;
        usage.read_on = Some(today);
    }
    if let Some(limit) = changes.usage_limit {
        usage.limit = limit;
    }
    let empty = usage.unit_price.is_none() && usage.included.is_none() && usage.limit.is_none() && usage.used.is_zero();
    item.usage = if empty && changes.unit.is_none() { None } else { Some(usage) };
    Ok(())
}

fn apply_details(details: &mut Details, changes: &ItemChanges) -> Result<(), UserError> {
    let kind = details.kind();
    match details {
        Details::Domain { registrar } => {
            if let Some(value) = &changes.registrar {
                *registrar = value.clone();
            }
        }
        Details::Hosting { server_type, specs } => {
            if let Some(value) = &changes.server_type {
                *server_type = value.clone();
            }
            if let Some(value) = &changes.specs {
                *specs = value.clone();
            }
        }
        Details::AiProvider { service_type, pricing_model, api_key_status } => {
            if let Some(value) = changes.service_type {
                *service_type = value;
            }
            if let Some(value) = changes.pricing_model {
                *pricing_model = value;
            }
            if let Some(value) = changes.api_key_status {
                *api_key_status = value;
            }
        }
        Details::Integration { integration_type, pricing_model } => {
            if let Some(value) = changes.integration_type {
                *integration_type = value;
            }
            if let Some(value) = changes.pricing_model {
                *pricing_model = value;
            }
        }
        Details::Package { features } => {
            if let Some(value) = &changes.features {
                *features = value.clone();
            }
        }
        Details::Cdn | Details::Storage | Details::Other => {}
    }
    // Fields given for a kind that does not have them are a mistake worth pointing out.
    let misplaced: [(&str, bool, &str); 8] = [
        ("registrar", changes.registrar.is_some() && kind != Kind::Domain, "domains"),
        ("server type", changes.server_type.is_some() && kind != Kind::Hosting, "hosting"),
        ("specs", changes.specs.is_some() && kind != Kind::Hosting, "hosting"),
        ("service type", changes.service_type.is_some() && kind != Kind::AiProvider, "AI providers"),
        ("API key status", changes.api_key_status.is_some() && kind != Kind::AiProvider, "AI providers"),
        (
            "pricing model",
            changes.pricing_model.is_some() && !matches!(kind, Kind::AiProvider | Kind::Integration),
            "AI providers and integrations",
        ),
        ("integration type", changes.integration_type.is_some() && kind != Kind::Integration, "integrations"),
        ("features", changes.features.is_some() && kind != Kind::Package, "packages"),
    ];
    match misplaced.into_iter().find(|(_, wrong, _)| *wrong) {
        Some((field, _, applies_to)) => Err(not_for(field, kind, applies_to)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testing::{d, dec};

    fn now() -> DateTime<Utc> {
        "2026-11-30T09:00:00Z".parse().unwrap()
    }

    const TODAY: &str = "2026-11-30";

    fn name(s: &str) -> ItemName {
        ItemName::parse(s).unwrap()
    }

    fn create(kind: Kind, changes: ItemChanges) -> Result<Item, UserError> {
        Item::create(kind, &changes, Currency::USD, d(TODAY), now()).map(|(item, _)| item)
    }

    fn priced(name_: &str, cost: &str, period: BillingPeriod) -> ItemChanges {
        ItemChanges { name: Some(name(name_)), cost: Some(dec(cost)), period: Some(period), ..Default::default() }
    }

    #[track_caller]
    fn check_monthly(item: &Item, expected: &str) {
        assert_eq!(item.monthly_cost().rounded(), dec(expected), "{item:?}");
    }

    #[test]
    fn renewals_in_a_range_follow_the_cycles_back_to_when_the_item_was_added() {
        let range = |from: &str, to: &str| DateRange::new(d(from), d(to)).unwrap();
        // Added 2026-11-30, renewing on the 31st monthly (anchored: Feb 28, then the 31st again).
        let monthly = ItemChanges {
            renewal_date: Some(Some(d("2026-12-31"))),
            auto_renew: Some(true),
            ..priced("m", "10", BillingPeriod::Monthly)
        };
        let mut item = create(Kind::Other, monthly).unwrap();
        let dates = item.renewals_in(d(TODAY), range("2026-12-01", "2027-03-31"));
        assert_eq!(dates, [d("2026-12-31"), d("2027-01-31"), d("2027-02-28"), d("2027-03-31")]);
        // Months later, the stored date moved on: the earlier cycles are still there, back to
        // when the item was added, never before.
        item.renewal = Some(Renewal { date: d("2027-03-31"), anchor_day: 31 });
        let dates = item.renewals_in(d("2027-03-15"), range("2026-10-01", "2027-02-28"));
        assert_eq!(dates, [d("2026-12-31"), d("2027-01-31"), d("2027-02-28")]);
        // The next renewal given is the next one: no cycle is made up between today and it,
        // and the past ones are still found behind it.
        item.renewal = Some(Renewal { date: d("2027-01-12"), anchor_day: 12 });
        assert!(item.renewals_in(d("2026-12-06"), range("2026-12-01", "2026-12-31")).is_empty());
        item.renewal = Some(Renewal { date: d("2027-05-31"), anchor_day: 31 });
        let dates = item.renewals_in(d("2027-03-15"), range("2026-12-01", "2027-05-31"));
        assert_eq!(dates, [d("2026-12-31"), d("2027-01-31"), d("2027-02-28"), d("2027-05-31")]);
        item.renewal = Some(Renewal { date: d("2027-03-31"), anchor_day: 31 });
        // An item that does not renew by itself: its one date.
        item.auto_renew = false;
        assert_eq!(item.renewals_in(d("2027-03-15"), range("2027-03-01", "2027-12-31")), [d("2027-03-31")]);
        assert!(item.renewals_in(d("2027-03-15"), range("2027-04-01", "2027-12-31")).is_empty());
    }

    #[test]
    fn monthly_equivalents() {
        use BillingPeriod::*;
        let cases = [
            ("12", Monthly, "12"),
            ("120", Yearly, "10"),
            ("100", Yearly, "8.33"),
            ("30", Quarterly, "10"),
            ("10", Quarterly, "3.33"),
            ("499", OneTime, "0"),
        ];
        for (cost, period, expected) in cases {
            let item = create(Kind::Other, priced("x", cost, period)).unwrap();
            check_monthly(&item, expected);
        }
        // Exact, not rounded early: twelve months of 100/12 add back up to 100.00.
        let item = create(Kind::Other, priced("x", "100", Yearly)).unwrap();
        let year: Decimal = (0..12).map(|_| item.monthly_cost().amount).sum();
        assert_eq!(Money::new(year, Currency::USD).rounded(), dec("100"));
    }

    #[track_caller]
    fn check_usage(base: &str, used: &str, free: Option<&str>, price: &str, expected: &str) {
        let changes = ItemChanges {
            name: Some(name("openai")),
            cost: Some(dec(base)),
            period: Some(BillingPeriod::UsageBased),
            unit_price: Some(Some(dec(price))),
            free_tier: Some(free.map(dec)),
            usage: Some(dec(used)),
            ..Default::default()
        };
        let item = create(Kind::AiProvider, changes).unwrap();
        assert_eq!(item.monthly_cost().amount, dec(expected), "base {base} used {used} free {free:?} price {price}");
    }

    #[test]
    fn usage_based_costs() {
        check_usage("0", "1000", None, "0.002", "2");
        check_usage("0", "1000", Some("400"), "0.002", "1.2");
        check_usage("0", "300", Some("400"), "0.002", "0"); // within the free tier: never negative
        check_usage("5", "300", Some("400"), "0.002", "5"); // base fee only
        check_usage("5", "1400", Some("400"), "0.002", "7");
        check_usage("0", "1000000", None, "0.00000015", "0.15");
    }

    #[test]
    fn a_plan_with_overage_is_a_usage_based_item_with_a_base_fee() {
        let metered = |period| ItemChanges {
            unit_price: Some(Some(dec("0.125"))),
            free_tier: Some(Some(dec("8"))),
            usage: Some(dec("12")),
            ..priced("Supabase", "25", period)
        };
        let error = create(Kind::Integration, metered(BillingPeriod::Monthly)).unwrap_err();
        assert!(error.to_string().contains("makes this a usage-based item"), "{error}");
        let item = create(Kind::Integration, metered(BillingPeriod::UsageBased)).unwrap();
        assert_eq!(item.monthly_cost().amount, dec("25.5")); // 25 + (12 - 8) x 0.125
        // A quota meter without a price is fine on any plan.
        let quota = ItemChanges {
            usage_limit: Some(Some(dec("8"))),
            usage: Some(dec("6.1")),
            ..priced("db", "25", BillingPeriod::Monthly)
        };
        assert_eq!(create(Kind::Integration, quota).unwrap().monthly_cost().amount, dec("25"));
    }

    #[track_caller]
    fn check_status(renewal: Option<&str>, auto_renew: bool, manual: ManualStatus, today: &str, expected: Status) {
        let mut item = create(Kind::Domain, priced("acme.com", "12", BillingPeriod::Yearly)).unwrap();
        item.renewal = renewal.map(|r| Renewal::on(d(r)));
        item.auto_renew = auto_renew;
        item.status = manual;
        assert_eq!(item.status(d(today), 30), expected, "renewal {renewal:?} auto {auto_renew} {manual} on {today}");
    }

    #[test]
    fn status_derivation() {
        use ManualStatus as M;
        use Status as S;
        check_status(None, false, M::Active, "2026-11-30", S::Active);
        check_status(Some("2027-06-01"), false, M::Active, "2026-11-30", S::Active);
        check_status(Some("2026-12-31"), false, M::Active, "2026-11-30", S::Active); // 31 days: outside
        check_status(Some("2026-12-30"), false, M::Active, "2026-11-30", S::Expiring); // exactly 30 days
        check_status(Some("2026-12-31"), false, M::Active, "2026-12-01", S::Expiring);
        check_status(Some("2026-11-30"), false, M::Active, "2026-11-30", S::Expiring); // renews today
        check_status(Some("2026-11-29"), false, M::Active, "2026-11-30", S::Expired);
        check_status(Some("2026-11-29"), true, M::Active, "2026-11-30", S::Active); // next: 2027-11-29
        check_status(Some("2025-12-10"), true, M::Active, "2026-11-30", S::Active); // renews by itself on 2026-12-10
        check_status(Some("2026-12-01"), true, M::Active, "2026-11-30", S::Active);
        check_status(Some("2027-06-01"), false, M::Suspended, "2026-11-30", S::Suspended);
        check_status(Some("2026-12-01"), true, M::Cancelled, "2026-11-30", S::Cancelled);
        check_status(None, false, M::Expired, "2026-11-30", S::Expired);
    }

    #[test]
    fn the_window_boundary_is_inclusive() {
        let mut item = create(Kind::Domain, priced("acme.com", "12", BillingPeriod::Yearly)).unwrap();
        item.renewal = Some(Renewal::on(d("2026-12-31")));
        assert_eq!(item.status(d(TODAY), 30), Status::Active);
        assert_eq!(item.status(d(TODAY), 31), Status::Expiring);
    }

    #[test]
    fn a_past_renewal_date_of_an_auto_renewing_item_moves_forward_without_charges() {
        let changes = ItemChanges {
            renewal_date: Some(Some(d("2025-01-31"))),
            auto_renew: Some(true),
            ..priced("api", "30", BillingPeriod::Monthly)
        };
        let (item, adjustments) = Item::create(Kind::Hosting, &changes, Currency::USD, d(TODAY), now()).unwrap();
        // Anchored to the 31st: November's renewal falls on the 30th, which is today.
        assert_eq!(item.renewal, Some(Renewal { date: d("2026-11-30"), anchor_day: 31 }));
        assert_eq!(adjustments.len(), 1);
        assert!(adjustments[0].0.contains("next renewal is 2026-11-30"), "{adjustments:?}");
    }

    #[test]
    fn a_past_date_without_auto_renew_stays_and_means_expired() {
        let changes =
            ItemChanges { renewal_date: Some(Some(d("2026-11-01"))), ..priced("old.com", "12", BillingPeriod::Yearly) };
        let (item, adjustments) = Item::create(Kind::Domain, &changes, Currency::USD, d(TODAY), now()).unwrap();
        assert_eq!(item.renewal.unwrap().date, d("2026-11-01"));
        assert_eq!(adjustments.len(), 1);
        assert!(adjustments[0].0.contains("counts as expired"), "{adjustments:?}");
        assert_eq!(item.status(d(TODAY), 30), Status::Expired);
    }

    #[track_caller]
    fn check_rejected(kind: Kind, changes: ItemChanges, fragment: &str) {
        let error = create(kind, changes).unwrap_err().to_string();
        assert!(error.contains(fragment), "got: {error}");
    }

    #[test]
    fn only_items_billed_by_their_bills_go_without_a_meter() {
        let now: DateTime<Utc> = "2026-11-30T09:00:00Z".parse().unwrap();
        let today = d("2026-11-30");
        let bills = ItemChanges {
            name: Some(ItemName::parse("EC2").unwrap()),
            cost: Some(Decimal::ZERO),
            period: Some(BillingPeriod::UsageBased),
            billed_by_bills: true,
            ..Default::default()
        };
        let (imported, _) = Item::create(Kind::AiProvider, &bills, Currency::USD, today, now).unwrap();
        assert_eq!((imported.period, imported.usage.is_none()), (BillingPeriod::UsageBased, true));
        // Edited later (renamed), it stays so.
        let renamed = ItemChanges { name: Some(ItemName::parse("Amazon EC2").unwrap()), ..Default::default() };
        assert!(imported.apply(&renamed, today, now).is_ok());
        // Typed by a person, a usage-based item needs its price per unit; an edit cannot take a
        // meter away.
        let typed = ItemChanges { billed_by_bills: false, ..bills };
        let error = Item::create(Kind::AiProvider, &typed, Currency::USD, today, now).unwrap_err();
        assert!(error.to_string().contains("--unit-price"), "{error}");
        let metered = ItemChanges {
            unit: Some(Label::parse("unit", "request").unwrap()),
            unit_price: Some(Some(Decimal::ONE)),
            ..typed
        };
        let (metered, _) = Item::create(Kind::AiProvider, &metered, Currency::USD, today, now).unwrap();
        let cleared = ItemChanges { clear_usage: true, ..Default::default() };
        let error = metered.apply(&cleared, today, now).unwrap_err();
        assert!(error.to_string().contains("--unit-price"), "{error}");
    }

    #[test]
    fn inconsistent_items_are_rejected() {
        let base = || priced("x", "10", BillingPeriod::Monthly);
        check_rejected(Kind::Other, ItemChanges { name: None, ..base() }, "Give the item a name");
        check_rejected(Kind::Other, ItemChanges { cost: None, ..base() }, "--cost");
        check_rejected(
            Kind::Other,
            ItemChanges { period: Some(BillingPeriod::OneTime), auto_renew: Some(true), ..base() },
            "does not renew",
        );
        check_rejected(
            Kind::AiProvider,
            ItemChanges { period: Some(BillingPeriod::UsageBased), ..base() },
            "--unit-price",
        );
        check_rejected(
            Kind::AiProvider,
            ItemChanges { pricing_model: Some(PricingModel::Free), ..base() },
            "A free service costs nothing",
        );
        check_rejected(
            Kind::AiProvider,
            ItemChanges { pricing_model: Some(PricingModel::PayPerUse), ..base() },
            "Pay-per-use",
        );
        check_rejected(
            Kind::Hosting,
            ItemChanges { registrar: Some(None), ..base() },
            "`registrar` applies to domains only",
        );
        check_rejected(
            Kind::Domain,
            ItemChanges { features: Some(vec![]), ..base() },
            "`features` applies to packages only",
        );
        check_rejected(
            Kind::Package,
            ItemChanges { api_key_status: Some(ApiKeyStatus::Active), ..base() },
            "AI providers only",
        );
        check_rejected(
            Kind::Other,
            ItemChanges { usage_limit: Some(Some(Decimal::ZERO)), ..base() },
            "greater than zero",
        );
    }

    #[test]
    fn defaults_follow_what_was_typed() {
        let free = create(
            Kind::AiProvider,
            ItemChanges {
                pricing_model: Some(PricingModel::Free),
                ..ItemChanges { name: Some(name("hf")), ..Default::default() }
            },
        )
        .unwrap();
        assert_eq!(free.cost.amount, Decimal::ZERO);
        assert_eq!(free.period, BillingPeriod::Monthly);

        let pay = create(
            Kind::AiProvider,
            ItemChanges {
                name: Some(name("openai")),
                pricing_model: Some(PricingModel::PayPerUse),
                unit_price: Some(Some(dec("0.01"))),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(pay.period, BillingPeriod::UsageBased);
        assert_eq!(pay.usage.as_ref().unwrap().unit.as_str(), "request");

        let metered = create(
            Kind::Integration,
            ItemChanges {
                name: Some(name("stripe")),
                period: Some(BillingPeriod::UsageBased),
                unit_price: Some(Some(dec("0.3"))),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(metered.details.pricing_model(), Some(PricingModel::PayPerUse));

        let domain = create(
            Kind::Domain,
            ItemChanges { name: Some(name("a.com")), cost: Some(dec("12")), ..Default::default() },
        )
        .unwrap();
        assert_eq!(domain.period, BillingPeriod::Yearly);
    }

    #[test]
    fn edits_keep_what_they_do_not_touch_and_clear_what_they_clear() {
        let changes = ItemChanges {
            provider: Some(Some(Label::parse("provider", "Namecheap").unwrap())),
            registrar: Some(Some(Label::parse("registrar", "Namecheap").unwrap())),
            notes: Some(Some(Notes::parse("main site").unwrap())),
            ..priced("acme.com", "12", BillingPeriod::Yearly)
        };
        let item = create(Kind::Domain, changes).unwrap();
        let edit = ItemChanges { cost: Some(dec("14")), notes: Some(None), ..Default::default() };
        let (edited, _) = item.apply(&edit, d(TODAY), now()).unwrap();
        assert_eq!(edited.cost.amount, dec("14"));
        assert_eq!(edited.notes, None);
        assert_eq!(edited.provider, item.provider);
        assert_eq!(edited.details, item.details);
        assert_eq!(edited.name, item.name);
    }

    #[test]
    fn details_round_trip_through_json() {
        let all = [
            Details::Domain { registrar: Some(Label::parse("registrar", "Namecheap").unwrap()) },
            Details::Hosting { server_type: Some(Label::parse("t", "t3.large").unwrap()), specs: None },
            Details::Cdn,
            Details::AiProvider {
                service_type: ServiceType::Image,
                pricing_model: PricingModel::PayPerUse,
                api_key_status: ApiKeyStatus::Invalid,
            },
            Details::Integration { integration_type: IntegrationType::Payment, pricing_model: PricingModel::Free },
            Details::Package { features: vec![Label::parse("f", "SSO").unwrap()] },
            Details::Other,
        ];
        for details in all {
            let json = details.to_json();
            assert_eq!(Details::from_json(details.kind(), &json).unwrap(), details, "{json}");
        }
    }

    #[test]
    fn every_kind_has_a_category() {
        let categories: Vec<_> = Kind::ALL.iter().map(|k| k.category().as_str()).collect();
        assert_eq!(
            categories,
            [
                "infrastructure",
                "infrastructure",
                "infrastructure",
                "infrastructure",
                "ai_services",
                "third_party",
                "packages",
                "other"
            ]
        );
    }
}
