//! Backups: a workspace's whole ledger as one versioned JSON file (`export all`), and restoring
//! one into an empty workspace (`import jarvis FILE`).
//!
//! The file holds what is stored, exactly as stored: amounts are their stored decimal text, never
//! rounded (`0.0000008`, `8.333333333333333333333333333`). It holds the settings, every item and
//! cost record (removed ones too: a removed record's days stay dealt with), exchange rates,
//! budgets, sites with their current state, the domains' last registry answers and the report
//! schedule. It leaves out what is history or belongs to Discord messages: the checks behind
//! sites' uptime, alert pings posted, queued messages and the audit log (the file says so in
//! `not_included`).
//!
//! Restoring reads the whole file first, every field with the domain's own parsers and rules
//! (names, labels and notes under today's rules for typed text, though older versions stored
//! some that these refuse), and writes nothing unless all of it is right; then it writes
//! everything in one transaction.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Value, json};

use super::{App, Result};
use crate::domain::UserError;
use crate::domain::audit::{Actor, Change};
use crate::domain::budget::{Budget, BudgetScope, Thresholds};
use crate::domain::calendar::DateRange;
use crate::domain::cost::{CostRecord, CostSource, UsageSnapshot};
use crate::domain::item::{BillingPeriod, Details, Item, Kind, ManualStatus, Renewal, Usage};
use crate::domain::money::{Currency, Money, NumberRule};
use crate::domain::rates::ExchangeRate;
use crate::domain::schedule::{Cadence, Schedule, parse_time};
use crate::domain::site::{DomainLookup, Lookup, Probe, Site, SiteState, Streak, TlsCheck};
use crate::domain::text::{ItemName, Label, Notes, escaped, notes_rules_problem, typed_rules_problem};
use crate::domain::workspace::{LeadTimes, SettingKey, Settings, WorkspaceId};
use crate::store::{Holdings, IdTable, ImportService, RecordImport, Removed, StoredImport, StoredSchedule, Tx};

/// What the `format` field of every backup says.
pub const BACKUP_FORMAT: &str = "jarvis-backup";
/// The version of the file's layout this Jarvis writes and reads.
pub const BACKUP_VERSION: u32 = 1;

/// What a backup leaves out, written into every file for whoever reads it.
const NOT_INCLUDED: [&str; 4] = [
    "the checks behind each site's uptime (sites keep their state; uptime starts afresh)",
    "alert pings posted to Discord and their acknowledgements",
    "messages still queued for Discord",
    "the audit log",
];

/// A whole workspace as a file. Serialized, this is what `export all` writes; deserialized, every
/// field has already been parsed by the domain's own rules.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Backup {
    format: String,
    version: u32,
    /// The workspace it was taken from.
    workspace: Workspace,
    exported_at: DateTime<Utc>,
    #[serde(default)]
    not_included: Vec<String>,
    settings: SettingsFile,
    items: Vec<ItemFile>,
    cost_records: Vec<RecordFile>,
    exchange_rates: Vec<RateFile>,
    budgets: Vec<BudgetFile>,
    sites: Vec<SiteFile>,
    domain_lookups: Vec<LookupFile>,
    report_schedule: Option<ScheduleFile>,
    /// FOCUS bills imported (absent when there are none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    imports: Vec<ImportFile>,
    /// Which item each billed service goes into.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    import_services: Vec<ImportServiceFile>,
}

/// An import, as stored.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ImportFile {
    id: i64,
    uuid: uuid::Uuid,
    file_name: String,
    sha256: String,
    focus_version: String,
    rows: i64,
    skipped: i64,
    /// The file's totals per currency: `{"USD": {"billed": "..", "effective": .., "list": ..}}`.
    totals: Value,
    scopes: Vec<crate::store::Scope>,
    records: i64,
    created_at: DateTime<Utc>,
    created_by: String,
    removed_at: Option<DateTime<Utc>>,
    removed_by: Option<String>,
}

/// A billed service and its item.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ImportServiceFile {
    id: i64,
    provider: String,
    service: String,
    category: Option<String>,
    item_id: i64,
}

/// What ties an imported record to its import.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RecordImportFile {
    import_id: i64,
    service_id: i64,
    billing_account: String,
    billing_period_start: NaiveDate,
    effective_cost: Option<SignedAmount>,
    list_cost: Option<SignedAmount>,
}

/// A decimal written as its stored text and read back with a domain number rule.
macro_rules! decimal_field {
    ($($(#[$meta:meta])* $name:ident => $rule:expr;)+) => {$(
        $(#[$meta])*
        #[derive(Clone, Copy, Debug)]
        struct $name(Decimal);

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
                s.collect_str(&self.0.normalize())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                $rule.parse(&text).map($name).map_err(D::Error::custom)
            }
        }
    )+};
}

decimal_field! {
    /// A price typed by someone: up to 8 decimal places.
    Price => NumberRule::amount("price");
    /// A count of units: up to 6 decimal places.
    Quantity => NumberRule::quantity("quantity");
    /// An exchange rate: positive; up to 10 decimal places, as rates were once stored.
    Rate => NumberRule::stored_rate("rate");
    /// A cost record's amount, typed or computed, every decimal place kept: read exactly, as
    /// stored. An imported record's may be negative (a credit) and as large as a bill's sum; the
    /// others' are held to `NumberRule::stored_amount` when the record is read.
    SignedAmount => SignedExact("amount");
}

/// The rule of [`SignedAmount`]: any exact decimal.
struct SignedExact(&'static str);

impl SignedExact {
    fn parse(&self, input: &str) -> Result<Decimal, UserError> {
        Decimal::from_str_exact(input.trim()).map_err(|_| {
            UserError::invalid(self.0, input, "it is not a decimal number Jarvis keeps exactly (28 digits at most)")
        })
    }
}

/// A value written as text and read back with the domain's parser.
macro_rules! text_field {
    ($($(#[$meta:meta])* $name:ident($ty:ty) => |$value:ident| $show:expr, $parse:expr;)+) => {$(
        $(#[$meta])*
        #[derive(Clone, Debug)]
        struct $name($ty);

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
                let $value = &self.0;
                s.collect_str(&$show)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                $parse(text.as_str()).map($name).map_err(D::Error::custom)
            }
        }
    )+};
}

text_field! {
    /// A workspace id.
    Workspace(WorkspaceId) => |workspace| workspace, WorkspaceId::parse;
    /// `total` or a category.
    Scope(BudgetScope) => |scope| scope, str::parse::<BudgetScope>;
    /// `daily`, `weekly monday`, `monthly 1`.
    CadenceText(Cadence) => |cadence| cadence, Cadence::parse;
    /// `09:00`.
    TimeText(chrono::NaiveTime) => |time| time.format("%H:%M"), parse_time;
    /// Days before a renewal that alerts fire, as typed: `30,7,1`.
    Days(LeadTimes) => |days| days, LeadTimes::parse;
    /// Percentages of a budget that raise alerts, as typed: `80,100`.
    Percents(Thresholds) => |percents| percents, Thresholds::parse;
    /// An item's name, held to the rules of a name typed today.
    NameText(ItemName) => |name| name, |text: &str| typed_today("name", text, ItemName::from_stored);
    /// Who provides an item, held to the rules of a label typed today.
    ProviderText(Label) => |label| label, |text: &str| typed_today("provider", text, |t| Label::from_stored("provider", t));
    /// What a usage meter counts in, held to the rules of a label typed today.
    UnitText(Label) => |label| label, |text: &str| typed_today("unit", text, |t| Label::from_stored("unit", t));
    /// Notes on an item or a record, held to the rules of notes typed today.
    NotesText(Notes) => |notes| notes, |text: &str| typed_today("notes", text, Notes::from_stored);
    /// A Discord id, as text (JSON numbers lose digits past 2^53 in many readers).
    Snowflake(u64) => |id| id, |text: &str| text.parse::<u64>().ok().filter(|id| *id > 0)
        .ok_or_else(|| UserError::invalid("Discord id", text, "give the channel's id, e.g. 123456789012345678"));
}

/// What to do about a name, label or notes in a backup that today's rules refuse (older versions
/// of Jarvis stored some such names).
const RESTORE_FIX: &str = "Jarvis no longer accepts this; change it in the workspace the backup came from and export again, or edit it in the file";

/// Text from a backup, read with `stored` (which holds what stored text has always had to be:
/// length, no control characters) and then held to the rules of the same text typed today, so a
/// name Jarvis would refuse at the keyboard is refused here too, naming the character.
fn typed_today<T>(
    field: &'static str,
    text: &str,
    stored: impl Fn(&str) -> Result<T, UserError>,
) -> Result<T, UserError> {
    let value = stored(text)?;
    let trimmed = text.trim();
    let problem = if field == "notes" { notes_rules_problem(trimmed) } else { typed_rules_problem(trimmed) };
    match problem {
        Some(why) => Err(UserError::invalid(field, escaped(trimmed), format!("{why}; {RESTORE_FIX}"))),
        None => Ok(value),
    }
}

/// Every setting under its `settings set` name with the value `settings set` takes, read back
/// through [`Settings::with`].
struct SettingsFile(Settings);

impl Serialize for SettingsFile {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(SettingKey::ALL.len()))?;
        for key in SettingKey::ALL {
            map.serialize_entry(key.as_str(), &self.0.value(*key))?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for SettingsFile {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = SettingsFile;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("the settings, e.g. {\"currency\": \"USD\", \"timezone\": \"UTC\"}")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<SettingsFile, A::Error> {
                // Settings left out keep their defaults.
                let mut settings = Settings::default();
                while let Some(key) = map.next_key::<String>()? {
                    let key: SettingKey = key.parse().map_err(A::Error::custom)?;
                    settings = map.next_value_seed(Setting { key, settings: &settings })?;
                }
                Ok(SettingsFile(settings))
            }
        }
        d.deserialize_map(Visitor)
    }
}

/// One setting's value, applied to `settings` while it is read (so a refusal names the setting
/// and its line).
struct Setting<'a> {
    key: SettingKey,
    settings: &'a Settings,
}

impl<'de> serde::de::DeserializeSeed<'de> for Setting<'_> {
    type Value = Settings;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Settings, D::Error> {
        let value = String::deserialize(d)?;
        self.settings.with(self.key, &value).map_err(D::Error::custom)
    }
}

/// An item with every stored field.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ItemFile {
    id: i64,
    /// Public id (a UUID v7), kept from a backup written after public ids; otherwise given when
    /// restored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    uuid: Option<uuid::Uuid>,
    kind: Kind,
    name: NameText,
    provider: Option<ProviderText>,
    cost: Price,
    currency: Currency,
    billing_period: BillingPeriod,
    renewal_date: Option<NaiveDate>,
    /// The day of month renewals come back to (a renewal on Feb 28 anchored to the 31st).
    renewal_anchor_day: Option<u32>,
    auto_renew: bool,
    /// The status an admin set (`active` lets the dates decide).
    status: ManualStatus,
    notes: Option<NotesText>,
    usage: Option<UsageFile>,
    /// The kind's own fields, as stored: `{"registrar": "Namecheap"}`.
    details: serde_json::Map<String, Value>,
    lead_times: Option<Days>,
    yearly_price: Option<Price>,
    plan_price: Option<Price>,
    billed_from: NaiveDate,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    removed_at: Option<DateTime<Utc>>,
}

/// An item's usage meter.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct UsageFile {
    unit: UnitText,
    unit_price: Option<Price>,
    free_tier: Option<Quantity>,
    used: Quantity,
    limit: Option<Quantity>,
    /// Units of the open cycle already billed.
    billed: Quantity,
    read_on: Option<NaiveDate>,
    /// The last reading of the cycle billed before the open one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_cycle: Option<CycleReadingFile>,
}

/// A finished cycle's last reading.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CycleReadingFile {
    used: Quantity,
    read_on: NaiveDate,
    cycle_start: NaiveDate,
    cycle_end: NaiveDate,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RecordFile {
    id: i64,
    /// Public id (a UUID v7), kept from a backup written after public ids; otherwise given when
    /// restored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    uuid: Option<uuid::Uuid>,
    item_id: i64,
    /// Never negative, but for an imported credit.
    amount: SignedAmount,
    currency: Currency,
    period_start: NaiveDate,
    period_end: NaiveDate,
    source: CostSource,
    usage: Option<UsageSnapshot>,
    note: Option<NotesText>,
    created_at: DateTime<Utc>,
    created_by: String,
    removed_at: Option<DateTime<Utc>>,
    /// Its import, for a record a FOCUS import wrote.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    import: Option<RecordImportFile>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RateFile {
    base: Currency,
    quote: Currency,
    /// 1 `base` = `rate` `quote`, from `date` on.
    rate: Rate,
    date: NaiveDate,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BudgetFile {
    scope: Scope,
    amount: Price,
    currency: Currency,
    thresholds: Percents,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SiteFile {
    id: i64,
    /// Public id (a UUID v7), kept from a backup written after public ids; otherwise given when
    /// restored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    uuid: Option<uuid::Uuid>,
    url: String,
    keyword: Option<String>,
    interval_minutes: u32,
    state: SiteState,
    state_since: Option<DateTime<Utc>>,
    failures: u32,
    successes: u32,
    last_checked_at: Option<DateTime<Utc>>,
    last_probe: Option<Probe>,
    last_tls: Option<TlsCheck>,
    created_at: DateTime<Utc>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct LookupFile {
    domain: String,
    looked_up_at: DateTime<Utc>,
    lookup: Lookup,
    ledger_date: Option<NaiveDate>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScheduleFile {
    channel_id: Snowflake,
    cadence: CadenceText,
    at: TimeText,
    last_posted_slot: Option<DateTime<Utc>>,
}

/// What a backup holds, read and checked: domain values ready to store.
#[derive(Debug)]
struct Contents {
    workspace: WorkspaceId,
    exported_at: DateTime<Utc>,
    settings: Settings,
    items: Vec<Item>,
    /// Records by id, each with when it was removed.
    records: Vec<(CostRecord, Option<DateTime<Utc>>)>,
    rates: Vec<ExchangeRate>,
    budgets: Vec<Budget>,
    sites: Vec<Site>,
    lookups: Vec<DomainLookup>,
    schedule: Option<(Schedule, u64, Option<DateTime<Utc>>)>,
    imports: Vec<StoredImport>,
    import_services: Vec<ImportService>,
    /// The import of each imported record, by record id.
    record_imports: HashMap<i64, RecordImport>,
}

/// What `import jarvis` restored.
#[derive(Clone, Debug, Serialize)]
pub struct Restored {
    pub workspace: WorkspaceId,
    /// The workspace the backup was taken from, and when.
    pub from_workspace: WorkspaceId,
    pub exported_at: DateTime<Utc>,
    /// Items, removed ones included (`removed_items` of them).
    pub items: usize,
    pub removed_items: usize,
    /// Cost records, removed ones included (`removed_cost_records` of them).
    pub cost_records: usize,
    pub removed_cost_records: usize,
    pub exchange_rates: usize,
    pub budgets: usize,
    pub sites: usize,
    pub domain_lookups: usize,
    /// FOCUS imports, with which item each billed service goes into.
    pub imports: usize,
    pub report_schedule: bool,
    /// What got new ids because the file's were taken in this database (`items`, `cost records`,
    /// `sites`); empty when every id is as in the file.
    pub renumbered: Vec<&'static str>,
    /// What a backup leaves out.
    pub not_included: Vec<String>,
}

impl Backup {
    fn new(
        workspace: &WorkspaceId,
        exported_at: DateTime<Utc>,
        settings: Settings,
        items: &[Item],
        records: &[(CostRecord, Option<DateTime<Utc>>)],
        parts: Parts,
    ) -> Backup {
        Backup {
            format: BACKUP_FORMAT.to_string(),
            version: BACKUP_VERSION,
            workspace: Workspace(workspace.clone()),
            exported_at,
            not_included: NOT_INCLUDED.iter().map(|s| s.to_string()).collect(),
            settings: SettingsFile(settings),
            items: items.iter().map(ItemFile::of).collect(),
            cost_records: records
                .iter()
                .map(|(r, removed)| RecordFile::of(r, *removed, parts.record_imports.get(&r.id)))
                .collect(),
            exchange_rates: parts
                .rates
                .iter()
                .map(|r| RateFile { base: r.base, quote: r.quote, rate: Rate(r.rate), date: r.date })
                .collect(),
            budgets: parts
                .budgets
                .iter()
                .map(|b| BudgetFile {
                    scope: Scope(b.scope),
                    amount: Price(b.amount.amount),
                    currency: b.amount.currency,
                    thresholds: Percents(b.thresholds.clone()),
                })
                .collect(),
            sites: parts.sites.iter().map(SiteFile::of).collect(),
            domain_lookups: parts
                .lookups
                .into_iter()
                .map(|l| LookupFile {
                    domain: l.domain,
                    looked_up_at: l.looked_up_at,
                    lookup: l.lookup,
                    ledger_date: l.ledger_date,
                })
                .collect(),
            report_schedule: parts.schedule.map(|s| ScheduleFile {
                channel_id: Snowflake(s.channel_id),
                cadence: CadenceText(s.schedule.cadence),
                at: TimeText(s.schedule.at),
                last_posted_slot: s.last_posted,
            }),
            imports: parts
                .imports
                .into_iter()
                .map(|i| ImportFile {
                    id: i.id,
                    uuid: i.uuid,
                    file_name: i.file_name,
                    sha256: i.sha256,
                    focus_version: i.focus_version,
                    rows: i.rows,
                    skipped: i.skipped,
                    totals: serde_json::from_str(&i.totals).unwrap_or(Value::Null),
                    scopes: i.scopes,
                    records: i.records,
                    created_at: i.created_at,
                    created_by: i.created_by,
                    removed_at: i.removed_at,
                    removed_by: i.removed_by,
                })
                .collect(),
            import_services: parts
                .import_services
                .into_iter()
                .map(|k| ImportServiceFile {
                    id: k.id,
                    provider: k.provider,
                    service: k.service,
                    category: k.category,
                    item_id: k.item_id,
                })
                .collect(),
        }
    }
}

/// The rest of what a backup holds, as read from the store.
struct Parts {
    rates: Vec<ExchangeRate>,
    budgets: Vec<Budget>,
    sites: Vec<Site>,
    lookups: Vec<DomainLookup>,
    schedule: Option<StoredSchedule>,
    imports: Vec<StoredImport>,
    import_services: Vec<ImportService>,
    record_imports: HashMap<i64, RecordImport>,
}

impl ItemFile {
    fn of(item: &Item) -> ItemFile {
        let details = match serde_json::from_str(&item.details.to_json()) {
            Ok(Value::Object(map)) => map,
            _ => serde_json::Map::new(),
        };
        ItemFile {
            id: item.id,
            uuid: Some(item.uuid),
            kind: item.kind(),
            name: NameText(item.name.clone()),
            provider: item.provider.clone().map(ProviderText),
            cost: Price(item.cost.amount),
            currency: item.cost.currency,
            billing_period: item.period,
            renewal_date: item.renewal.map(|r| r.date),
            renewal_anchor_day: item.renewal.map(|r| r.anchor_day),
            auto_renew: item.auto_renew,
            status: item.status,
            notes: item.notes.clone().map(NotesText),
            usage: item.usage.as_ref().map(|u| UsageFile {
                unit: UnitText(u.unit.clone()),
                unit_price: u.unit_price.map(Price),
                free_tier: u.included.map(Quantity),
                used: Quantity(u.used),
                limit: u.limit.map(Quantity),
                billed: Quantity(u.billed),
                read_on: u.read_on,
                last_cycle: u.last_cycle.map(|r| CycleReadingFile {
                    used: Quantity(r.used),
                    read_on: r.read_on,
                    cycle_start: r.cycle.start,
                    cycle_end: r.cycle.end,
                }),
            }),
            details,
            lead_times: item.lead_times.clone().map(Days),
            yearly_price: item.yearly_price.map(Price),
            plan_price: item.plan_price.map(Price),
            billed_from: item.billed_from,
            created_at: item.created_at,
            updated_at: item.updated_at,
            removed_at: item.removed_at,
        }
    }

    /// The item, checked by the same rules as an item typed by hand.
    fn item(self) -> Result<Item, UserError> {
        let renewal = match (self.renewal_date, self.renewal_anchor_day) {
            (None, None) => None,
            (None, Some(_)) => {
                return Err(UserError::Conflict("`renewal_anchor_day` is given without a `renewal_date`".into()));
            }
            (Some(date), anchor) => {
                let renewal = Renewal::on(date);
                let anchor_day = anchor.unwrap_or(renewal.anchor_day);
                if !(renewal.anchor_day..=31).contains(&anchor_day) {
                    return Err(UserError::invalid(
                        "renewal anchor day",
                        anchor_day.to_string(),
                        format!("it must be from {} (the renewal date's day) to 31", renewal.anchor_day),
                    ));
                }
                Some(Renewal { date, anchor_day })
            }
        };
        let details = Details::from_json(self.kind, &Value::Object(self.details.clone()).to_string())
            .map_err(|e| UserError::Conflict(format!("Its details are not valid ({e})")))?;
        // Fields of other kinds would be dropped without a word: refuse them.
        let kept: serde_json::Map<String, Value> = serde_json::from_str(&details.to_json()).unwrap_or_default();
        if let Some(field) = self.details.keys().find(|field| !kept.contains_key(*field)) {
            return Err(UserError::Conflict(format!(
                "Its details hold `{field}`, which {} does not have; leave it out",
                self.kind.with_article()
            )));
        }
        for (field, label) in details.labels() {
            if let Some(why) = typed_rules_problem(label.as_str()) {
                return Err(UserError::invalid(field, escaped(label.as_str()), format!("{why}; {RESTORE_FIX}")));
            }
        }
        let item = Item {
            id: self.id,
            uuid: self.uuid.unwrap_or_default(),
            name: self.name.0,
            provider: self.provider.map(|p| p.0),
            cost: Money::new(self.cost.0, self.currency),
            period: self.billing_period,
            renewal,
            auto_renew: self.auto_renew,
            status: self.status,
            notes: self.notes.map(|n| n.0),
            usage: match self.usage {
                None => None,
                Some(u) => Some(Usage {
                    unit: u.unit.0,
                    unit_price: u.unit_price.map(|p| p.0),
                    included: u.free_tier.map(|q| q.0),
                    used: u.used.0,
                    limit: u.limit.map(|q| q.0),
                    billed: u.billed.0,
                    read_on: u.read_on,
                    last_cycle: match u.last_cycle {
                        Some(r) => Some(crate::domain::item::CycleReading {
                            used: r.used.0,
                            read_on: r.read_on,
                            cycle: crate::domain::calendar::DateRange::between(r.cycle_start, r.cycle_end)?,
                        }),
                        None => None,
                    },
                }),
            },
            details,
            lead_times: self.lead_times.map(|d| d.0),
            yearly_price: self.yearly_price.map(|p| p.0),
            plan_price: self.plan_price.map(|p| p.0),
            billed_from: self.billed_from,
            created_at: self.created_at,
            updated_at: self.updated_at,
            removed_at: self.removed_at,
        };
        item.check()?;
        Ok(item)
    }
}

impl RecordFile {
    fn of(record: &CostRecord, removed_at: Option<DateTime<Utc>>, import: Option<&RecordImport>) -> RecordFile {
        RecordFile {
            id: record.id,
            uuid: Some(record.uuid),
            item_id: record.item_id,
            amount: SignedAmount(record.amount.amount),
            currency: record.amount.currency,
            period_start: record.period.start,
            period_end: record.period.end,
            source: record.source,
            usage: record.usage.clone(),
            note: record.note.clone().map(NotesText),
            created_at: record.created_at,
            created_by: record.created_by.clone(),
            removed_at,
            import: import.map(|i| RecordImportFile {
                import_id: i.import_id,
                service_id: i.service,
                billing_account: i.account.clone(),
                billing_period_start: i.period,
                effective_cost: i.effective.map(SignedAmount),
                list_cost: i.list.map(SignedAmount),
            }),
        }
    }

    /// The record, its amount held to `NumberRule::stored_amount` unless it is a bill's: imported
    /// (`imported`) or pulled from a provider's cost API (its credits are negative).
    fn record(self, imported: bool) -> Result<(CostRecord, Option<DateTime<Utc>>), UserError> {
        let period = DateRange::between(self.period_start, self.period_end)?;
        let who = self.created_by.trim();
        if who.is_empty() || who != self.created_by || who.chars().count() > 100 || who.chars().any(char::is_control) {
            return Err(UserError::invalid(
                "created_by",
                self.created_by.clone(),
                "give who wrote it: `cli`, `jarvis` or a Discord user id",
            ));
        }
        // Only an imported bill carries credits (negative) and bill-sized sums; every other
        // record keeps the stored-amount rule.
        if !imported && !self.created_by.starts_with(crate::store::PULLED_BY) {
            NumberRule::stored_amount("amount").parse(&self.amount.0.to_string())?;
        }
        let record = CostRecord {
            id: self.id,
            uuid: self.uuid.unwrap_or_default(),
            item_id: self.item_id,
            amount: Money::new(self.amount.0, self.currency),
            period,
            source: self.source,
            usage: self.usage,
            note: self.note.map(|n| n.0),
            created_at: self.created_at,
            created_by: self.created_by,
        };
        Ok((record, self.removed_at))
    }
}

impl SiteFile {
    fn of(site: &Site) -> SiteFile {
        SiteFile {
            id: site.id,
            uuid: Some(site.uuid),
            url: site.url.clone(),
            keyword: site.keyword.clone(),
            interval_minutes: site.interval_minutes,
            state: site.streak.state,
            state_since: site.state_since,
            failures: site.streak.failures,
            successes: site.streak.successes,
            last_checked_at: site.last_checked_at,
            last_probe: site.last_probe.clone(),
            last_tls: site.last_tls.clone(),
            created_at: site.created_at,
        }
    }

    /// The site, checked by the rules `site add` applies (without checking it now).
    fn site(self) -> Result<Site, UserError> {
        let (url, keyword, interval) =
            super::sites::site_fields(&self.url, self.keyword.as_deref(), Some(self.interval_minutes))?;
        if url.as_str() != self.url {
            return Err(UserError::invalid("site URL", self.url.clone(), format!("write it as Jarvis does: {url}")));
        }
        Ok(Site {
            id: self.id,
            uuid: self.uuid.unwrap_or_default(),
            url: self.url.clone(),
            keyword: keyword.map(str::to_string),
            interval_minutes: interval,
            streak: Streak { state: self.state, failures: self.failures, successes: self.successes },
            state_since: self.state_since,
            last_checked_at: self.last_checked_at,
            last_probe: self.last_probe,
            last_tls: self.last_tls,
            created_at: self.created_at,
        })
    }
}

/// Where in the file something is wrong, for messages: `items[3] (#4 `acme.io`)`.
fn at(list: &str, index: usize, what: impl std::fmt::Display) -> String {
    format!("{list}[{index}] ({what})")
}

/// A problem with the file, worded for whoever has to fix it.
fn bad(source: &str, reason: impl Into<String>) -> UserError {
    UserError::invalid("backup", source, reason)
}

/// A serde_json error as `line L, column C: what`, with `path` (the field) in front when known:
/// `items[3].cost (line 40, column 25): what`.
fn located(path: Option<&str>, error: &serde_json::Error) -> String {
    let text = error.to_string();
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    let message = text.strip_suffix(&suffix).unwrap_or(&text);
    let place = (error.line() > 0).then(|| format!("line {}, column {}", error.line(), error.column()));
    match (path, place) {
        (Some(path), Some(place)) => format!("{path} ({place}): {message}"),
        (Some(path), None) => format!("{path}: {message}"),
        (None, Some(place)) => format!("{place}: {message}"),
        (None, None) => message.to_string(),
    }
}

/// Reads and checks a whole backup; `source` names it in messages (a file name, `standard
/// input`). Nothing is written: every problem is found here.
fn read_backup(source: &str, text: &str) -> Result<Contents, UserError> {
    let whole: Value = serde_json::from_str(text).map_err(|e| {
        bad(source, format!("it is not valid JSON ({}); was it cut short or edited by hand?", located(None, &e)))
    })?;
    let header = |field: &str| whole.as_object().and_then(|o| o.get(field));
    if header("format").and_then(Value::as_str) != Some(BACKUP_FORMAT) {
        return Err(bad(
            source,
            format!(
                "it is not a Jarvis backup (its `format` is not `{BACKUP_FORMAT}`); make one with `jarvis export all`"
            ),
        ));
    }
    match header("version").and_then(Value::as_u64) {
        Some(version) if version == u64::from(BACKUP_VERSION) => {}
        Some(version) if version > u64::from(BACKUP_VERSION) => {
            return Err(bad(
                source,
                format!(
                    "it is version {version}, written by a newer Jarvis than this one (which reads version {BACKUP_VERSION}); update Jarvis to restore it"
                ),
            ));
        }
        _ => {
            return Err(bad(
                source,
                format!(
                    "its `version` is {}, and this Jarvis reads version {BACKUP_VERSION}; export the workspace again",
                    header("version").map_or_else(|| "missing".to_string(), |v| format!("`{v}`"))
                ),
            ));
        }
    }
    let mut json = serde_json::Deserializer::from_str(text);
    let backup: Backup = serde_path_to_error::deserialize(&mut json)
        .map_err(|e| bad(source, located(Some(&e.path().to_string()), e.inner())))?;
    check(backup).map_err(|reason| bad(source, reason))
}

/// The rules between records: unique ids and names, records pointing at the file's items,
/// the item and site rules.
fn check(backup: Backup) -> std::result::Result<Contents, String> {
    let mut items = Vec::new();
    let mut ids = HashSet::new();
    let mut names: HashMap<(Kind, String), i64> = HashMap::new();
    for (index, file) in backup.items.into_iter().enumerate() {
        let here = at("items", index, format_args!("#{} `{}`", file.id, escaped(file.name.0.as_str())));
        if file.id <= 0 || !ids.insert(file.id) {
            return Err(format!("{here}: its id is {}; every item needs its own positive id", file.id));
        }
        let item = file.item().map_err(|e| format!("{here}: {e}"))?;
        if item.removed_at.is_none()
            && let Some(other) = names.insert((item.kind(), item.name.key()), item.id)
        {
            return Err(format!(
                "{here}: item #{other} has the same name and kind, and both are live; a live name is unique per kind"
            ));
        }
        items.push(item);
    }
    let item_ids: HashSet<i64> = items.iter().map(|i| i.id).collect();
    let (imports, import_services) = check_imports(backup.imports, backup.import_services, &item_ids)?;
    let mut record_imports = HashMap::new();
    let mut records = Vec::new();
    let mut ids = HashSet::new();
    let mut once = HashSet::new();
    for (index, mut file) in backup.cost_records.into_iter().enumerate() {
        let here = at("cost_records", index, format_args!("#{}", file.id));
        if file.id <= 0 || !ids.insert(file.id) {
            return Err(format!("{here}: its id is {}; every record needs its own positive id", file.id));
        }
        let imported = file.import.is_some();
        if let Some(import) = file.import.take() {
            if !imports.iter().any(|i| i.id == import.import_id) {
                return Err(format!(
                    "{here}: it was written by import #{}, which is not in the file",
                    import.import_id
                ));
            }
            if !import_services.iter().any(|k| k.id == import.service_id) {
                return Err(format!(
                    "{here}: it bills imported service #{}, which is not in the file",
                    import.service_id
                ));
            }
            record_imports.insert(
                file.id,
                RecordImport {
                    import_id: import.import_id,
                    service: import.service_id,
                    account: import.billing_account,
                    period: import.billing_period_start,
                    effective: import.effective_cost.map(|a| a.0),
                    list: import.list_cost.map(|a| a.0),
                },
            );
        }
        let (record, removed) = file.record(imported).map_err(|e| format!("{here}: {e}"))?;
        if !item_ids.contains(&record.item_id) {
            return Err(format!("{here}: it is for item #{}, which is not in the file", record.item_id));
        }
        // Jobs charge a renewal or close a month once per item and first day.
        if removed.is_none()
            && matches!(record.source, CostSource::Renewal | CostSource::Snapshot)
            && !once.insert((record.item_id, record.source, record.period.start))
        {
            return Err(format!(
                "{here}: another live {} record of item #{} starts on {}; Jarvis writes one",
                record.source, record.item_id, record.period.start
            ));
        }
        records.push((record, removed));
    }
    let mut rates = Vec::new();
    for (index, file) in backup.exchange_rates.into_iter().enumerate() {
        let here = at("exchange_rates", index, format_args!("{}/{} on {}", file.base, file.quote, file.date));
        if file.base == file.quote {
            return Err(format!("{here}: a rate from a currency to itself is always 1; leave it out"));
        }
        let rate = ExchangeRate { base: file.base, quote: file.quote, rate: file.rate.0, date: file.date };
        if rates.iter().any(|r: &ExchangeRate| (r.base, r.quote, r.date) == (rate.base, rate.quote, rate.date)) {
            return Err(format!("{here}: the pair has another rate on the same day; keep one"));
        }
        rates.push(rate);
    }
    let mut budgets: Vec<Budget> = Vec::new();
    for (index, file) in backup.budgets.into_iter().enumerate() {
        let here = at("budgets", index, file.scope.0);
        if budgets.iter().any(|b| b.scope == file.scope.0) {
            return Err(format!("{here}: there is another {} budget; keep one", file.scope.0));
        }
        let amount = Money::new(file.amount.0, file.currency);
        budgets.push(Budget { scope: file.scope.0, amount, thresholds: file.thresholds.0 });
    }
    let mut sites: Vec<Site> = Vec::new();
    for (index, file) in backup.sites.into_iter().enumerate() {
        let here = at("sites", index, format_args!("#{} {}", file.id, file.url));
        let site = file.site().map_err(|e| format!("{here}: {e}"))?;
        if site.id <= 0 || sites.iter().any(|s| s.id == site.id) {
            return Err(format!("{here}: its id is {}; every site needs its own positive id", site.id));
        }
        if sites.iter().any(|s| s.url == site.url) {
            return Err(format!("{here}: the site is in the file twice; keep one"));
        }
        sites.push(site);
    }
    let mut lookups: Vec<DomainLookup> = Vec::new();
    for (index, file) in backup.domain_lookups.into_iter().enumerate() {
        let here = at("domain_lookups", index, &file.domain);
        if crate::probe::rdap::registrable_domain(&file.domain).as_deref() != Some(file.domain.as_str()) {
            return Err(format!("{here}: this is not a registrable domain such as example.com"));
        }
        if lookups.iter().any(|l| l.domain == file.domain) {
            return Err(format!("{here}: the domain is in the file twice; keep one"));
        }
        lookups.push(DomainLookup {
            domain: file.domain,
            looked_up_at: file.looked_up_at,
            lookup: file.lookup,
            ledger_date: file.ledger_date,
        });
    }
    Ok(Contents {
        workspace: backup.workspace.0,
        exported_at: backup.exported_at,
        settings: backup.settings.0,
        items,
        records,
        rates,
        budgets,
        sites,
        lookups,
        schedule: backup
            .report_schedule
            .map(|s| (Schedule { cadence: s.cadence.0, at: s.at.0 }, s.channel_id.0, s.last_posted_slot)),
        imports,
        import_services,
        record_imports,
    })
}

/// The imports and billed services of a backup, checked: unique positive ids, services pointing
/// at the file's items, one service per provider and name, totals as an import writes them.
fn check_imports(
    files: Vec<ImportFile>,
    services: Vec<ImportServiceFile>,
    item_ids: &HashSet<i64>,
) -> std::result::Result<(Vec<StoredImport>, Vec<ImportService>), String> {
    let mut imports: Vec<StoredImport> = Vec::new();
    for (index, file) in files.into_iter().enumerate() {
        let here = at("imports", index, format_args!("#{}", file.id));
        if file.id <= 0 || imports.iter().any(|i| i.id == file.id) {
            return Err(format!("{here}: its id is {}; every import needs its own positive id", file.id));
        }
        let totals_fit = file.totals.as_object().is_some_and(|by_currency| {
            by_currency.iter().all(|(code, figures)| {
                Currency::parse(code).is_ok()
                    && figures["billed"].as_str().is_some_and(|b| b.parse::<rust_decimal::Decimal>().is_ok())
            })
        });
        if !totals_fit {
            return Err(format!(
                "{here}: its totals are not {{\"CURRENCY\": {{\"billed\": \"AMOUNT\", ...}}}} as Jarvis writes them"
            ));
        }
        imports.push(StoredImport {
            id: file.id,
            uuid: file.uuid,
            file_name: file.file_name,
            sha256: file.sha256,
            focus_version: file.focus_version,
            rows: file.rows,
            skipped: file.skipped,
            totals: file.totals.to_string(),
            scopes: file.scopes,
            records: file.records,
            created_at: file.created_at,
            created_by: file.created_by,
            removed_at: file.removed_at,
            removed_by: file.removed_by,
        });
    }
    let mut known: Vec<ImportService> = Vec::new();
    for (index, file) in services.into_iter().enumerate() {
        let here = at("import_services", index, format_args!("#{} `{}`", file.id, escaped(&file.service)));
        if file.id <= 0 || known.iter().any(|k| k.id == file.id) {
            return Err(format!("{here}: its id is {}; every service needs its own positive id", file.id));
        }
        if !item_ids.contains(&file.item_id) {
            return Err(format!("{here}: it goes into item #{}, which is not in the file", file.item_id));
        }
        if known.iter().any(|k| k.provider == file.provider && k.service == file.service) {
            return Err(format!("{here}: the service is in the file twice; keep one"));
        }
        known.push(ImportService {
            id: file.id,
            provider: file.provider,
            service: file.service,
            category: file.category,
            item_id: file.item_id,
        });
    }
    Ok((imports, known))
}

/// `15 items, 180 cost records and 2 budgets`.
fn listed(parts: &[String]) -> String {
    match parts {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

fn count(n: u64, one: &str, many: &str) -> Option<String> {
    (n > 0).then(|| format!("{n} {}", if n == 1 { one } else { many }))
}

/// Why a workspace is not empty, or `None` when it is.
fn not_empty(workspace: &WorkspaceId, holds: Holdings, settings_changed: bool) -> Option<UserError> {
    let parts: Vec<String> = [
        count(holds.items, "item", "items"),
        count(holds.cost_records, "cost record", "cost records"),
        count(holds.exchange_rates, "exchange rate", "exchange rates"),
        count(holds.budgets, "budget", "budgets"),
        count(holds.sites, "site", "sites"),
        holds.report_schedule.then(|| "a report schedule".to_string()),
        settings_changed.then(|| "changed settings".to_string()),
    ]
    .into_iter()
    .flatten()
    .collect();
    (!parts.is_empty()).then(|| {
        UserError::Conflict(format!(
            "Workspace `{workspace}` already holds {}, and a backup is restored only into an empty workspace; choose a new one with --workspace NAME (or use another database)",
            listed(&parts)
        ))
    })
}

/// Whether none of `ids` is taken in `table`; if one is, `what` goes to `renumbered`.
async fn ids_free(
    tx: &mut Tx,
    table: IdTable,
    ids: &[i64],
    what: &'static str,
    renumbered: &mut Vec<&'static str>,
) -> Result<bool> {
    let free = !tx.ids_taken(table, ids).await?;
    if !free {
        renumbered.push(what);
    }
    Ok(free)
}

impl App {
    /// The whole workspace as a backup: what `export all` writes.
    pub(super) async fn backup_json(&self, workspace: &WorkspaceId) -> Result<(String, usize, usize)> {
        let mut tx = self.store.read().await?;
        let settings = tx.settings(workspace).await?;
        let items = tx.items(workspace, Removed::Included).await?;
        let records = tx.every_cost_record(workspace).await?;
        let parts = Parts {
            rates: tx.rates(workspace).await?,
            budgets: tx.budgets(workspace).await?,
            sites: tx.sites(workspace).await?,
            lookups: tx.domain_lookups(workspace).await?,
            schedule: tx.schedule(workspace).await?,
            imports: tx.imports(workspace).await?.into_iter().rev().collect(),
            import_services: tx.import_services(workspace).await?,
            record_imports: tx.record_imports(workspace).await?.into_iter().collect(),
        };
        let backup = Backup::new(workspace, self.now(), settings, &items, &records, parts);
        let mut text = serde_json::to_string_pretty(&backup).map_err(anyhow::Error::new)?;
        text.push('\n');
        Ok((text, items.len(), records.len()))
    }

    /// Restores a backup (`text`, named `source` in messages) into `workspace`, which must be
    /// empty. The whole file is checked before anything is written, and everything is written in
    /// one transaction with one audit entry.
    ///
    /// Ids are numbered across the database's workspaces. Each of items, cost records and sites
    /// keeps the file's ids when none of them is taken in this database (always so in a new
    /// database); otherwise all of that table get new ids, in the file's order, and records are
    /// pointed at their items' new ids.
    pub async fn restore(&self, workspace: &WorkspaceId, actor: &Actor, source: &str, text: &str) -> Result<Restored> {
        let contents = read_backup(source, text)?;
        let now = self.now();
        let mut tx = self.write(workspace).await?;
        let settings_changed = tx.settings(workspace).await? != Settings::default();
        if let Some(refusal) = not_empty(workspace, tx.holdings(workspace).await?, settings_changed) {
            return Err(refusal.into());
        }
        let mut renumbered = Vec::new();
        let item_ids: Vec<i64> = contents.items.iter().map(|i| i.id).collect();
        let keep_items = ids_free(&mut tx, IdTable::Items, &item_ids, "items", &mut renumbered).await?;
        let record_ids: Vec<i64> = contents.records.iter().map(|(r, _)| r.id).collect();
        let keep_records =
            ids_free(&mut tx, IdTable::CostRecords, &record_ids, "cost records", &mut renumbered).await?;
        let site_ids: Vec<i64> = contents.sites.iter().map(|s| s.id).collect();
        let keep_sites = ids_free(&mut tx, IdTable::Sites, &site_ids, "sites", &mut renumbered).await?;
        let import_ids: Vec<i64> = contents.imports.iter().map(|i| i.id).collect();
        let keep_imports = ids_free(&mut tx, IdTable::Imports, &import_ids, "imports", &mut renumbered).await?;
        let service_ids: Vec<i64> = contents.import_services.iter().map(|k| k.id).collect();
        let keep_services =
            ids_free(&mut tx, IdTable::ImportServices, &service_ids, "imported services", &mut renumbered).await?;

        tx.save_settings(workspace, &contents.settings, now).await?;
        let mut item_ids = HashMap::new();
        for item in &contents.items {
            item_ids.insert(item.id, tx.insert_item_from_backup(workspace, item, keep_items).await?);
        }
        let mut import_ids = HashMap::new();
        for import in &contents.imports {
            import_ids.insert(import.id, tx.insert_import_from_backup(workspace, import, keep_imports).await?);
        }
        let mut service_ids = HashMap::new();
        for service in &contents.import_services {
            let service_now = ImportService { item_id: item_ids[&service.item_id], ..service.clone() };
            let id = tx.insert_import_service_from_backup(workspace, &service_now, now, keep_services).await?;
            service_ids.insert(service.id, id);
        }
        for (record, removed) in &contents.records {
            let stored = CostRecord { item_id: item_ids[&record.item_id], ..record.clone() };
            let id = tx.insert_cost_from_backup(workspace, &stored, *removed, keep_records).await?;
            if let Some(import) = contents.record_imports.get(&record.id) {
                let import = RecordImport {
                    import_id: import_ids[&import.import_id],
                    service: service_ids[&import.service],
                    ..import.clone()
                };
                tx.set_record_import(workspace, id, &import).await?;
            }
        }
        for rate in &contents.rates {
            tx.set_rate(workspace, rate, now).await?;
        }
        for budget in &contents.budgets {
            tx.set_budget(workspace, budget, now).await?;
        }
        for site in &contents.sites {
            tx.insert_site_from_backup(workspace, site, keep_sites).await?;
        }
        for lookup in &contents.lookups {
            tx.save_domain_lookup(workspace, lookup).await?;
        }
        if let Some((schedule, channel_id, last_posted)) = contents.schedule {
            let stored = StoredSchedule { workspace: workspace.clone(), schedule, channel_id, last_posted };
            tx.set_schedule_from_backup(&stored, now).await?;
        }
        let restored = Restored {
            workspace: workspace.clone(),
            from_workspace: contents.workspace.clone(),
            exported_at: contents.exported_at,
            items: contents.items.len(),
            removed_items: contents.items.iter().filter(|i| i.removed_at.is_some()).count(),
            cost_records: contents.records.len(),
            removed_cost_records: contents.records.iter().filter(|(_, removed)| removed.is_some()).count(),
            exchange_rates: contents.rates.len(),
            budgets: contents.budgets.len(),
            sites: contents.sites.len(),
            domain_lookups: contents.lookups.len(),
            imports: contents.imports.len(),
            report_schedule: contents.schedule.is_some(),
            renumbered,
            not_included: NOT_INCLUDED.iter().map(|s| s.to_string()).collect(),
        };
        let change = Change {
            action: "workspace.restore",
            entity: "workspace",
            entity_id: Some(workspace.to_string()),
            before: None,
            after: Some(json!({
                "summary": format!(
                    "restored from export of {} at {}",
                    contents.workspace,
                    contents.exported_at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
                ),
                "source": source,
                "version": BACKUP_VERSION,
                "items": restored.items,
                "cost_records": restored.cost_records,
                "exchange_rates": restored.exchange_rates,
                "budgets": restored.budgets,
                "sites": restored.sites,
                "domain_lookups": restored.domain_lookups,
                "imports": restored.imports,
                "report_schedule": restored.report_schedule,
                "renumbered": restored.renumbered,
            })),
        };
        // Ids kept from the backup stay taken: later rows get new ones.
        tx.ids_kept().await?;
        tx.audit(workspace, actor, now, &change).await?;
        tx.commit().await?;
        Ok(restored)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check_listed(parts: &[&str], expected: &str) {
        let parts: Vec<String> = parts.iter().map(|p| p.to_string()).collect();
        assert_eq!(listed(&parts), expected);
    }

    #[test]
    fn lists_read_as_english() {
        check_listed(&[], "");
        check_listed(&["1 item"], "1 item");
        check_listed(&["2 items", "1 budget"], "2 items and 1 budget");
        check_listed(&["2 items", "3 sites", "a report schedule"], "2 items, 3 sites and a report schedule");
    }

    #[track_caller]
    fn check_header(text: &str, expected: &str) {
        let error = read_backup("b.json", text).unwrap_err().to_string();
        assert!(error.contains(expected), "{text}: {error}");
    }

    #[test]
    fn the_header_is_checked_first() {
        check_header("", "it is not valid JSON (line 1, column 0: EOF while parsing a value)");
        check_header("{\"format\": \"jarvis-backup\",\n \"version\": 1,", "not valid JSON (line 2, column 14");
        check_header("[1, 2]", "it is not a Jarvis backup");
        check_header("5", "it is not a Jarvis backup");
        check_header("{}", "it is not a Jarvis backup");
        check_header("{\"format\": \"other\", \"version\": 1}", "it is not a Jarvis backup");
        check_header("{\"format\": \"jarvis-backup\", \"version\": 2}", "it is version 2, written by a newer Jarvis");
        check_header("{\"format\": \"jarvis-backup\", \"version\": 0}", "its `version` is `0`");
        check_header("{\"format\": \"jarvis-backup\"}", "its `version` is missing");
        check_header("{\"format\": \"jarvis-backup\", \"version\": \"1\"}", "its `version` is `\"1\"`");
    }
}
