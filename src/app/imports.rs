//! Importing bills from FOCUS files (issue 14): one use case behind `jarvis import focus`,
//! `/cost import` and `POST /api/cost/imports`, and the imports' list, reconciliation, removal
//! and service mapping.
//!
//! A file is read (streamed, checked row by row, added up per service, billing account and
//! period, charge days and currency) before the ledger is touched. Then, in one transaction:
//! each billed (provider, service) gets its item (made on first import, or the one the admin
//! names), the imported records of the billing accounts and periods the file covers are taken
//! out (a re-import or a later export replaces them, never doubles them), Jarvis's own estimates
//! for the imported days give way, and one record per service, account, period, days and
//! currency is written, with an audit entry. Hand-entered records are never touched. What the
//! ledger then holds for the import is read back and set beside the file's totals.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Read;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

use super::costs::give_way;
use super::focus_file::{FocusFile, ReadError, read_focus};
use super::items::{ItemRef, resolve_any};
use super::views::TypedMoney;
use super::{App, Result};
use crate::domain::UserError;
use crate::domain::audit::{Actor, Change};
use crate::domain::calendar::{DateRange, Month};
use crate::domain::exact::ExactSum;
use crate::domain::item::{BillingPeriod, Item, ItemChanges, Kind};
use crate::domain::money::{Currency, Money};
use crate::domain::text::{ItemName, Label, MAX_NAME_CHARS, Notes};
use crate::domain::workspace::WorkspaceId;
use crate::store::{ImportLine, ImportService, ImportedRecord, NewImport, Removed, Scope, StoredImport, Tx};

/// How to import a file.
#[derive(Clone, Debug, Default)]
pub struct ImportOptions {
    /// The file's name as the admin knows it (`-` for standard input).
    pub file_name: String,
    /// Import the rows that can be read and list the others, rather than refusing the file.
    pub skip_bad: bool,
    /// Say what would change, and change nothing.
    pub dry_run: bool,
    /// Services to send into items the admin names.
    pub maps: Vec<ServiceMap>,
    /// Replace what was imported for the file's accounts and periods even when the file bills
    /// none of some service imported for them (without it, such a file is refused as a likely
    /// part of a split export).
    pub replace_partial: bool,
}

/// `SERVICE=ITEM`: a billed service (by its ServiceName, or `PROVIDER / SERVICE`) and the item it
/// goes into.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ServiceMap {
    pub service: String,
    pub item: String,
}

impl ServiceMap {
    pub fn parse(text: &str) -> std::result::Result<ServiceMap, UserError> {
        match text.rsplit_once('=') {
            Some((service, item)) if !service.trim().is_empty() && !item.trim().is_empty() => {
                Ok(ServiceMap { service: service.trim().to_string(), item: item.trim().to_string() })
            }
            _ => Err(UserError::invalid(
                "map",
                text,
                "write it as SERVICE=ITEM, e.g. `Amazon Elastic Compute Cloud=aws-prod` (the service as the file names it, or `PROVIDER / SERVICE`)",
            )),
        }
    }

    /// Whether it names `service`.
    fn names(&self, service: &ImportService) -> bool {
        let wanted = crate::domain::text::name_key(&self.service);
        wanted == crate::domain::text::name_key(&service.service)
            || wanted == crate::domain::text::name_key(&format!("{} / {}", service.provider, service.service))
    }
}

impl std::str::FromStr for ServiceMap {
    type Err = UserError;

    fn from_str(text: &str) -> std::result::Result<Self, Self::Err> {
        ServiceMap::parse(text)
    }
}

/// How far an import has got, for a progress line.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ImportProgress {
    /// Rows read so far (every 100,000).
    Read { rows: u64 },
    /// The file is read: this many records are being written.
    Writing { records: usize },
}

/// What an import did (or, on a dry run, would do).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ImportSummary {
    /// `None` on a dry run.
    pub id: Option<i64>,
    pub uuid: Option<uuid::Uuid>,
    pub dry_run: bool,
    pub file_name: String,
    pub focus_version: String,
    pub sha256: String,
    /// Data rows in the file, skipped ones included.
    pub rows: u64,
    pub skipped: u64,
    /// The skipped rows (at most 100), each with its line, column and value.
    pub skipped_rows: Vec<String>,
    /// Records written (or that would be).
    pub records: u64,
    /// Imported records of the same billing accounts and periods taken out (replaced).
    pub replaced: u64,
    /// The earlier imports those records came from.
    pub replaced_imports: Vec<i64>,
    pub scopes: Vec<ScopeView>,
    pub services: Vec<ServiceLine>,
    /// The file's totals per currency beside what the ledger holds for this import.
    pub totals: Vec<Reconciled>,
    /// Per provider, service, month and currency: what the ledger held for the file's billing
    /// accounts and periods, and what it holds after.
    pub changes: Vec<ImportChange>,
    pub notices: Vec<String>,
}

/// A billing account's billing period.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, utoipa::ToSchema)]
pub struct ScopeView {
    pub account: String,
    pub start: NaiveDate,
    pub end: NaiveDate,
}

impl From<&Scope> for ScopeView {
    fn from(scope: &Scope) -> ScopeView {
        ScopeView { account: scope.account.clone(), start: scope.start, end: scope.end }
    }
}

/// A billed service and its item.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, utoipa::ToSchema)]
pub struct ServiceLine {
    pub provider: String,
    pub service: String,
    pub category: Option<String>,
    pub item_id: i64,
    pub item_uuid: uuid::Uuid,
    pub item: String,
    pub kind: Kind,
    /// Made by this import.
    pub created: bool,
    /// What the file bills it, per currency.
    pub billed: Vec<TypedMoney>,
}

/// A currency's total in the file beside the ledger's.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, utoipa::ToSchema)]
pub struct Reconciled {
    pub currency: Currency,
    /// The BilledCost of the rows read.
    pub file: TypedMoney,
    /// What the ledger holds for the import now (its live records).
    pub ledger: TypedMoney,
    /// Taken out since: replaced by later imports of the same accounts and periods.
    pub replaced: TypedMoney,
    /// Taken out by `import remove`.
    pub removed: TypedMoney,
    /// Whether the records written add up to the file's total, exactly.
    pub equal: bool,
    /// EffectiveCost (after commitment discounts), when every row had it.
    pub effective: Option<TypedMoney>,
    /// ListCost (at list price), when every row had it.
    pub list: Option<TypedMoney>,
}

/// One line of what an import changes.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, utoipa::ToSchema)]
pub struct ImportChange {
    pub provider: String,
    pub service: String,
    pub month: Month,
    pub before: TypedMoney,
    pub after: TypedMoney,
}

/// An import as `import list` and `import show` give it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ImportView {
    pub id: i64,
    pub uuid: uuid::Uuid,
    pub file_name: String,
    pub sha256: String,
    pub focus_version: String,
    pub rows: i64,
    pub skipped: i64,
    /// Records written.
    pub records: i64,
    /// Of them, still in the ledger.
    pub live_records: u64,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub removed_at: Option<DateTime<Utc>>,
    pub removed_by: Option<String>,
    /// `live`, `partly_replaced`, `replaced` or `removed`.
    pub state: String,
    pub scopes: Vec<ScopeView>,
    pub totals: Vec<Reconciled>,
    /// Later imports that replaced some of its records.
    pub replaced_by: Vec<i64>,
    /// Per service (filled by `import show`; empty in lists).
    pub services: Vec<ServiceLine>,
    /// What to know about a removal.
    pub notices: Vec<String>,
}

/// The workspace's imports, newest first.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ImportList {
    pub imports: Vec<ImportView>,
}

/// What moving a service to another item did.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ServiceMapped {
    pub service: ServiceLine,
    pub from_item: String,
    /// Live records moved with it.
    pub moved: u64,
    pub notices: Vec<String>,
}

/// The file's EffectiveCost and ListCost for one currency, exactly, when every row had them.
#[derive(Clone, Copy, Default, Debug)]
struct Figures {
    effective: Option<ExactSum>,
    list: Option<ExactSum>,
}

/// What `imports.totals` holds per currency.
#[derive(serde::Serialize, serde::Deserialize)]
struct StoredFigures {
    billed: Decimal,
    effective: Option<Decimal>,
    list: Option<Decimal>,
}

/// A reader that hashes what passes through it.
struct Hashing<R> {
    inner: R,
    hash: ring::digest::Context,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }
}

impl From<ReadError> for UserError {
    fn from(error: ReadError) -> UserError {
        UserError::BadFile(error.to_string())
    }
}

/// A file read: its figures and its SHA-256.
struct ReadFile {
    file: FocusFile,
    sha256: String,
}

impl App {
    /// Imports a FOCUS file read from `input` (see the module's documentation). `progress` hears
    /// how far it got.
    pub async fn import_focus(
        &self,
        workspace: &WorkspaceId,
        actor: &Actor,
        input: impl Read + Send + 'static,
        options: &ImportOptions,
        progress: impl Fn(ImportProgress) + Send + Sync + 'static,
    ) -> Result<ImportSummary> {
        let progress = Arc::new(progress);
        let reading = Arc::clone(&progress);
        let skip_bad = options.skip_bad;
        let read = tokio::task::spawn_blocking(move || -> std::result::Result<ReadFile, ReadError> {
            let mut hashing = Hashing { inner: input, hash: ring::digest::Context::new(&ring::digest::SHA256) };
            let file = read_focus(&mut hashing, skip_bad, |rows| reading(ImportProgress::Read { rows }))?;
            // Whatever the reader left unread (after a gzip stream's end) is part of the file.
            std::io::copy(&mut hashing, &mut std::io::sink()).map_err(|e| ReadError::Io(e.to_string()))?;
            Ok(ReadFile { file, sha256: super::hex(hashing.hash.finish().as_ref()) })
        })
        .await
        .map_err(|e| anyhow::anyhow!("the FOCUS reader stopped: {e}"))?
        .map_err(UserError::from)?;
        let ReadFile { file, sha256 } = read;
        if file.charges.is_empty() {
            let why = if file.skipped_count > 0 {
                format!("none of its {} rows could be read (the first: {})", file.rows, file.skipped[0])
            } else {
                "it has no rows after its header".to_string()
            };
            return Err(UserError::BadFile(format!("Nothing to import from `{}`: {why}", options.file_name)).into());
        }
        progress(ImportProgress::Writing { records: file.charges.len() });
        let now = self.now();
        let mut tx = self.write(workspace).await?;
        let settings = tx.settings(workspace).await?;
        let today = self.today(&settings);
        let mut notices = Vec::new();

        // Each service's item: named by --map, known from an earlier import, or made now.
        let mut known = tx.import_services(workspace).await?;
        let mut items: HashMap<i64, Item> =
            tx.items(workspace, Removed::Included).await?.into_iter().map(|i| (i.id, i)).collect();
        let wanted = mapped_items(&mut tx, workspace, &file, &options.maps).await?;
        for item in wanted.values() {
            items.entry(item.id).or_insert_with(|| item.clone());
        }
        let mut lines: Vec<ServiceLine> = Vec::with_capacity(file.services.len());
        let mut service_ids = Vec::with_capacity(file.services.len());
        for (index, service) in file.services.iter().enumerate() {
            let existing = known.iter().position(|k| k.provider == service.provider && k.service == service.service);
            let mut created = false;
            let (id, item_id) = match (existing, wanted.get(&index)) {
                (Some(at), Some(item)) if known[at].item_id != item.id => {
                    let from = items.get(&known[at].item_id).map_or_else(String::new, |i| i.name.as_str().to_string());
                    if options.dry_run {
                        notices.push(format!(
                            "`{}` would go into `{}` from now on (it goes into `{from}`), its earlier records with it",
                            service.service, item.name
                        ));
                    } else {
                        let moved = tx.map_import_service(workspace, known[at].id, item.id).await?;
                        give_way_to_moved(&mut tx, workspace, actor, item, &moved, settings.base_currency, now).await?;
                        notices.push(format!(
                            "`{}` now goes into `{}` (it went into `{from}`); its {} earlier records moved with it",
                            service.service,
                            item.name,
                            moved.len()
                        ));
                    }
                    known[at].item_id = item.id;
                    (known[at].id, item.id)
                }
                (Some(at), _) => (known[at].id, known[at].item_id),
                (None, Some(item)) if options.dry_run => (placeholder(index), item.id),
                (None, Some(item)) => (tx.add_import_service(workspace, service.names(), item.id, now).await?, item.id),
                (None, None) => {
                    let currency = file.charges.iter().find(|c| c.service == index).map(|c| c.currency);
                    let mut item = new_item(service, &items, currency.unwrap_or(settings.base_currency), today, now)?;
                    created = true;
                    if options.dry_run {
                        // Not made: it stands in under an id no item has.
                        item.id = placeholder(index);
                        items.insert(item.id, item);
                        service_ids.push(placeholder(index));
                        let item = &items[&placeholder(index)];
                        lines.push(service_line(service, item, created));
                        continue;
                    }
                    tx.insert_item(workspace, &mut item).await?;
                    let id = tx.add_import_service(workspace, service.names(), item.id, now).await?;
                    let item_id = item.id;
                    items.insert(item.id, item);
                    (id, item_id)
                }
            };
            let item = &items[&item_id];
            if item.removed_at.is_some() {
                notices.push(format!(
                    "`{}` goes into `{}`, which is removed: its costs are recorded but not counted until it is restored",
                    service.service, item.name
                ));
            }
            service_ids.push(id);
            lines.push(service_line(service, item, created));
        }

        // The billing accounts and periods the file covers, and its figures per currency.
        let mut scope_index: BTreeMap<(String, NaiveDate), usize> = BTreeMap::new();
        let mut scopes: Vec<Scope> = Vec::new();
        let mut records = Vec::with_capacity(file.charges.len());
        let mut figures: BTreeMap<Currency, Figures> = BTreeMap::new();
        let mut billed: BTreeMap<(usize, Currency), ExactSum> = BTreeMap::new();
        for charge in &file.charges {
            let account = &file.accounts[charge.account];
            let key = (account.clone(), charge.billing_period.start);
            let scope = *scope_index.entry(key).or_insert_with(|| {
                scopes.push(Scope {
                    account: account.clone(),
                    start: charge.billing_period.start,
                    end: charge.billing_period.end,
                });
                scopes.len() - 1
            });
            let f = figures
                .entry(charge.currency)
                .or_insert(Figures { effective: Some(ExactSum::default()), list: Some(ExactSum::default()) });
            f.effective = f.effective.zip(charge.effective).map(|(mut a, b)| {
                a.add_sum(&b);
                a
            });
            f.list = f.list.zip(charge.list).map(|(mut a, b)| {
                a.add_sum(&b);
                a
            });
            billed.entry((charge.service, charge.currency)).or_default().add_sum(&charge.billed);
            records.push(ImportedRecord {
                item_id: lines[charge.service].item_id,
                service: service_ids[charge.service],
                scope,
                days: charge.days,
                amount: Money::new(charge.billed.value(), charge.currency),
                effective: charge.effective.map(|e| e.value()),
                list: charge.list.map(|l| l.value()),
            });
        }
        for ((service, currency), sum) in &billed {
            lines[*service].billed.push(TypedMoney(Money::new(sum.value(), *currency)));
        }

        // What the ledger holds for these accounts and periods goes; the file's records come. A
        // file that bills fewer services for an account and period than the ledger holds for them
        // is most likely one part of a split export: refused unless meant.
        // The same billing account and period imported before without sub-accounts where this
        // file has them (or the other way round) is the same bill seen otherwise: refused too,
        // unless meant, and then replaced with the rest. Sub-accounts among themselves (member
        // accounts' own exports) are replaced each on its own.
        let mut covered = scopes.clone();
        let billed: BTreeSet<(&str, NaiveDate)> =
            scopes.iter().map(|s| (billing_account(&s.account), s.start)).collect();
        for (account, start) in billed {
            let here = |key: &str| scopes.iter().any(|s| s.start == start && s.account == key);
            let whole_here = here(account);
            let end = scopes.iter().find(|s| s.start == start && billing_account(&s.account) == account).map(|s| s.end);
            for key in tx.import_keys_of_billing_account(workspace, account, start).await? {
                let other_form = if key == account { !whole_here } else { whole_here };
                if other_form && !here(&key) {
                    covered.push(Scope { account: key, start, end: end.unwrap_or(start) });
                }
            }
        }
        let replaced = tx.import_scope_lines(workspace, &covered).await?;
        if !options.replace_partial {
            if let Some(other) = covered.iter().find(|c| !scopes.contains(c)) {
                return Err(UserError::Conflict(format!(
                    "`{}` bills billing account {} for the period from {} without `{}`, which an earlier import recorded for that account and period; the file is most likely part of the bill (or the sub-accounts were named otherwise). Import all parts together, or add --replace-partial if the file is the whole bill",
                    options.file_name,
                    billing_account(&other.account),
                    other.start,
                    other.account
                ))
                .into());
            }
            check_not_partial(&scopes, &replaced, &records, &known, &options.file_name)?;
        }
        if !options.dry_run {
            tx.replace_import_scopes(workspace, &covered, now).await?;
        }
        let mut replaced_imports: Vec<i64> = replaced.iter().map(|l| l.import_id).collect();
        replaced_imports.sort_unstable();
        replaced_imports.dedup();
        for earlier in &replaced_imports {
            if let Some(import) = tx.import(workspace, *earlier).await?
                && import.sha256 == sha256
            {
                notices.push(format!(
                    "This file was imported before, as import #{earlier} on {}: its records were replaced, not added to",
                    import.created_at.with_timezone(&settings.timezone.0).format("%Y-%m-%d %H:%M %Z")
                ));
            }
        }
        let services_of: HashMap<i64, usize> = service_ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
        let known_by_id: HashMap<i64, &ImportService> = known.iter().map(|k| (k.id, k)).collect();
        let changes = changes(&replaced, &records, |service| match services_of.get(&service) {
            Some(index) => (lines[*index].provider.clone(), lines[*index].service.clone()),
            None => known_by_id
                .get(&service)
                .map_or((String::new(), format!("#{service}")), |k| (k.provider.clone(), k.service.clone())),
        });

        // Jarvis's own estimates give way to the bill: for each item, over each billing period
        // the file bills it in (a day the bill does not charge cost nothing), and any charge
        // days reaching outside it.
        let mut spans: BTreeMap<(i64, usize), DateRange> = BTreeMap::new();
        for record in &records {
            let period = DateRange { start: scopes[record.scope].start, end: scopes[record.scope].end };
            let span = spans.entry((record.item_id, record.scope)).or_insert(period);
            *span = DateRange { start: span.start.min(record.days.start), end: span.end.max(record.days.end) };
        }
        if !options.dry_run {
            for ((item_id, _), span) in &spans {
                give_way(&mut tx, workspace, actor, &items[item_id], *span, settings.base_currency, now).await?;
            }
        }

        let totals_json = serde_json::to_string(
            &figures
                .iter()
                .map(|(currency, f)| {
                    (
                        currency.code(),
                        StoredFigures {
                            // Summed row by row as the file was read, apart from the records.
                            billed: file.totals.get(currency).map_or(Decimal::ZERO, ExactSum::value),
                            effective: f.effective.map(|e| e.value()),
                            list: f.list.map(|l| l.value()),
                        },
                    )
                })
                .collect::<BTreeMap<_, _>>(),
        )
        .map_err(anyhow::Error::from)?;
        let version = file.version.map_or("1.0", |v| v.as_str());
        let new = NewImport {
            file_name: &options.file_name,
            sha256: &sha256,
            focus_version: version,
            rows: i64::try_from(file.rows).unwrap_or(i64::MAX),
            skipped: i64::try_from(file.skipped_count).unwrap_or(i64::MAX),
            totals: totals_json,
            scopes: &scopes,
            records: records.len() as i64,
        };
        let (id, uuid, totals) = if options.dry_run {
            // What would be written, set beside the file the same way.
            let would = StoredImport {
                id: 0,
                uuid: uuid::Uuid::nil(),
                file_name: options.file_name.clone(),
                sha256: sha256.clone(),
                focus_version: version.to_string(),
                rows: new.rows,
                skipped: new.skipped,
                totals: new.totals.clone(),
                scopes: scopes.clone(),
                records: new.records,
                created_at: now,
                created_by: actor.as_str().to_string(),
                removed_at: None,
                removed_by: None,
            };
            let lines: Vec<ImportLine> = records.iter().map(|r| r.line(0, &scopes)).collect();
            (None, None, reconcile(&would, &lines)?)
        } else {
            let (id, uuid) = tx.insert_import(workspace, &new, actor, now).await?;
            let note = import_note(id, &options.file_name);
            tx.insert_imported_records(workspace, id, &scopes, &records, &note, actor, now).await?;
            // Read back: what the ledger now holds for this import, beside the file.
            let written = tx.import_lines(workspace, id).await?;
            let stored = tx.import(workspace, id).await?.ok_or_else(|| anyhow::anyhow!("import #{id} vanished"))?;
            (Some(id), Some(uuid), reconcile(&stored, &written)?)
        };
        if let Some(gap) = totals.iter().find(|t| !t.equal) {
            return Err(anyhow::anyhow!(
                "the records written for {} add up to {} where the file says {}; nothing was imported",
                gap.currency,
                gap.ledger.0.amount,
                gap.file.0.amount
            )
            .into());
        }
        // Items a dry run would make have no id yet.
        for line in lines.iter_mut().filter(|l| l.item_id < 0) {
            line.item_id = 0;
            line.item_uuid = uuid::Uuid::nil();
        }
        let summary = ImportSummary {
            id,
            uuid,
            dry_run: options.dry_run,
            file_name: options.file_name.clone(),
            focus_version: version.to_string(),
            sha256,
            rows: file.rows,
            skipped: file.skipped_count,
            skipped_rows: file.skipped.iter().map(ToString::to_string).collect(),
            records: records.len() as u64,
            replaced: replaced.len() as u64,
            replaced_imports,
            scopes: scopes.iter().map(ScopeView::from).collect(),
            services: lines,
            totals,
            changes,
            notices,
        };
        if options.dry_run {
            // Everything above, items made included, is undone.
            drop(tx);
            return Ok(summary);
        }
        let id = id.expect("written when not a dry run");
        let change = Change {
            action: "import.add",
            entity: "import",
            entity_id: Some(id.to_string()),
            before: None,
            after: Some(serde_json::json!({
                "file_name": summary.file_name,
                "sha256": summary.sha256,
                "focus_version": summary.focus_version,
                "rows": summary.rows,
                "skipped": summary.skipped,
                "records": summary.records,
                "replaced": summary.replaced,
                "replaced_imports": summary.replaced_imports,
                "totals": summary.totals,
                "items_made": summary.services.iter().filter(|s| s.created).map(|s| &s.item).collect::<Vec<_>>(),
            })),
        };
        tx.audit(workspace, actor, now, &change).await?;
        tx.commit().await?;
        Ok(summary)
    }

    /// The workspace's imports, newest first, each reconciled with the ledger.
    pub async fn list_imports(&self, workspace: &WorkspaceId) -> Result<ImportList> {
        let mut tx = self.store.read().await?;
        let stored = tx.imports(workspace).await?;
        // One read of every import's records, rather than one read an import.
        let mut lines: HashMap<i64, Vec<ImportLine>> = HashMap::new();
        for line in tx.every_import_line(workspace).await? {
            lines.entry(line.import_id).or_default().push(line);
        }
        let imports = stored
            .iter()
            .map(|import| view(import, lines.get(&import.id).map_or(&[][..], Vec::as_slice), &stored))
            .collect::<Result<Vec<_>>>()?;
        Ok(ImportList { imports })
    }

    /// One import (`#ID`, `ID` or its public id), reconciled, with its services.
    pub async fn show_import(&self, workspace: &WorkspaceId, reference: &str) -> Result<ImportView> {
        let mut tx = self.store.read().await?;
        let import = find_import(&mut tx, workspace, reference).await?;
        let lines = tx.import_lines(workspace, import.id).await?;
        let all = tx.imports(workspace).await?;
        let mut shown = view(&import, &lines, &all)?;
        let known = tx.import_services(workspace).await?;
        let ids: Vec<i64> = known.iter().map(|k| k.item_id).collect();
        let items: HashMap<i64, Item> = tx.items_by_id(workspace, &ids).await?.into_iter().map(|i| (i.id, i)).collect();
        let mut billed: BTreeMap<(i64, Currency), ExactSum> = BTreeMap::new();
        for line in lines.iter().filter(|l| l.live) {
            billed.entry((line.service, line.amount.currency)).or_default().add(line.amount.amount);
        }
        for service in known.iter().filter(|k| billed.keys().any(|(s, _)| *s == k.id)) {
            let item = items.get(&service.item_id);
            shown.services.push(ServiceLine {
                provider: service.provider.clone(),
                service: service.service.clone(),
                category: service.category.clone(),
                item_id: service.item_id,
                item_uuid: item.map_or(uuid::Uuid::nil(), |i| i.uuid),
                item: item.map_or_else(|| format!("#{}", service.item_id), |i| i.name.as_str().to_string()),
                kind: item.map_or(Kind::Other, Item::kind),
                created: false,
                billed: billed
                    .iter()
                    .filter(|((s, _), _)| *s == service.id)
                    .map(|((_, currency), sum)| TypedMoney(Money::new(sum.value(), *currency)))
                    .collect(),
            });
        }
        Ok(shown)
    }

    /// Takes an import's records out of the ledger (kept, marked removed, and audited).
    pub async fn remove_import(&self, workspace: &WorkspaceId, actor: &Actor, reference: &str) -> Result<ImportView> {
        let now = self.now();
        let mut tx = self.write(workspace).await?;
        let settings = tx.settings(workspace).await?;
        let import = find_import(&mut tx, workspace, reference).await?;
        if let Some(at) = import.removed_at {
            return Err(UserError::Conflict(format!(
                "Import #{} was already removed on {}, so nothing changed",
                import.id,
                at.with_timezone(&settings.timezone.0).format("%Y-%m-%d %H:%M %Z")
            ))
            .into());
        }
        let taken = tx.remove_import(workspace, import.id, actor, now).await?;
        let lines = tx.import_lines(workspace, import.id).await?;
        let all = tx.imports(workspace).await?;
        let removed = all.iter().find(|i| i.id == import.id).cloned().unwrap_or(import);
        let mut shown = view(&removed, &lines, &all)?;
        // What this import replaced stays out: removing it leaves its periods without imported
        // costs until a file is imported for them again.
        let mine: BTreeSet<(&str, NaiveDate)> = removed.scopes.iter().map(|s| (s.account.as_str(), s.start)).collect();
        let earlier: Vec<String> = all
            .iter()
            .filter(|other| other.id < removed.id && other.removed_at.is_none())
            .filter(|other| other.scopes.iter().any(|s| mine.contains(&(s.account.as_str(), s.start))))
            .map(|other| format!("#{}", other.id))
            .collect();
        if !earlier.is_empty() {
            shown.notices.push(format!(
                "The records it replaced (from import {}) are not brought back: import a file for those periods again to bill them",
                earlier.join(", ")
            ));
        }
        let change = Change {
            action: "import.remove",
            entity: "import",
            entity_id: Some(removed.id.to_string()),
            before: Some(serde_json::json!({ "file_name": removed.file_name, "live_records": taken })),
            after: None,
        };
        tx.audit(workspace, actor, now, &change).await?;
        tx.commit().await?;
        Ok(shown)
    }

    /// Sends a billed service into another item from now on, moving its imported history there.
    pub async fn map_import_service(
        &self,
        workspace: &WorkspaceId,
        actor: &Actor,
        map: &ServiceMap,
    ) -> Result<ServiceMapped> {
        let mut tx = self.write(workspace).await?;
        let known = tx.import_services(workspace).await?;
        let matching: Vec<&ImportService> = known.iter().filter(|k| map.names(k)).collect();
        let service = match matching.as_slice() {
            [one] => (*one).clone(),
            [] => {
                return Err(UserError::NotFound {
                    what: "imported service",
                    query: map.service.clone(),
                    suggestions: known.iter().take(10).map(|k| format!("{} / {}", k.provider, k.service)).collect(),
                }
                .into());
            }
            several => {
                return Err(UserError::Conflict(format!(
                    "`{}` is billed by several providers ({}); write it as `PROVIDER / SERVICE=ITEM`",
                    map.service,
                    several.iter().map(|k| k.provider.as_str()).collect::<Vec<_>>().join(", ")
                ))
                .into());
            }
        };
        let item = resolve_any(&mut tx, workspace, &ItemRef::new(map.item.clone())).await?;
        let from = tx.items_by_id(workspace, &[service.item_id]).await?;
        let from_item = from.first().map_or_else(|| format!("#{}", service.item_id), |i| i.name.as_str().to_string());
        if service.item_id == item.id {
            return Err(UserError::Conflict(format!(
                "`{}` already goes into `{}`, so nothing changed",
                service.service, item.name
            ))
            .into());
        }
        let now = self.now();
        let settings = tx.settings(workspace).await?;
        let days = tx.map_import_service(workspace, service.id, item.id).await?;
        // Jarvis's estimates for the moved days give way, as they do for an import.
        give_way_to_moved(&mut tx, workspace, actor, &item, &days, settings.base_currency, now).await?;
        let moved = days.len() as u64;
        let mut notices = Vec::new();
        if item.removed_at.is_some() {
            notices.push(format!(
                "`{}` is removed: the moved costs are kept but not counted until it is restored",
                item.name
            ));
        }
        let change = Change {
            action: "import.map",
            entity: "import_service",
            entity_id: Some(service.id.to_string()),
            before: Some(serde_json::json!({ "item_id": service.item_id, "item": from_item })),
            after: Some(serde_json::json!({ "item_id": item.id, "item": item.name.as_str(), "moved": moved })),
        };
        tx.audit(workspace, actor, now, &change).await?;
        tx.commit().await?;
        Ok(ServiceMapped {
            service: ServiceLine {
                provider: service.provider,
                service: service.service,
                category: service.category,
                item_id: item.id,
                item_uuid: item.uuid,
                item: item.name.as_str().to_string(),
                kind: item.kind(),
                created: false,
                billed: Vec::new(),
            },
            from_item,
            moved,
            notices,
        })
    }
}

/// The billing account of a scope's account key (`BILLING / SUB`, or `BILLING`).
fn billing_account(key: &str) -> &str {
    key.split_once(" / ").map_or(key, |(billing, _)| billing)
}

/// The id a dry run gives the item or service it would make for the file's service `index`
/// (negative: no row has it).
fn placeholder(index: usize) -> i64 {
    -1 - i64::try_from(index).unwrap_or(i64::MAX - 1)
}

/// A service and the item it goes into.
fn service_line(service: &super::focus_file::Service, item: &Item, created: bool) -> ServiceLine {
    ServiceLine {
        provider: service.provider.clone(),
        service: service.service.clone(),
        category: service.category.clone(),
        item_id: item.id,
        item_uuid: item.uuid,
        item: item.name.as_str().to_string(),
        kind: item.kind(),
        created,
        billed: Vec::new(),
    }
}

/// Refuses a file that bills, for a billing account and period, none of a service the ledger
/// holds imported records of for them: most likely one part of a split export (or one
/// sub-account's), which would otherwise take the other parts' records out.
fn check_not_partial(
    scopes: &[Scope],
    held: &[ImportLine],
    coming: &[ImportedRecord],
    known: &[ImportService],
    file_name: &str,
) -> std::result::Result<(), UserError> {
    let coming: BTreeSet<(String, NaiveDate, i64)> =
        coming.iter().map(|r| (scopes[r.scope].account.clone(), scopes[r.scope].start, r.service)).collect();
    let mut missing: BTreeMap<(String, NaiveDate), BTreeSet<i64>> = BTreeMap::new();
    let mut from: BTreeSet<i64> = BTreeSet::new();
    for line in held.iter().filter(|l| l.live) {
        if !coming.contains(&(line.account.clone(), line.period, line.service)) {
            missing.entry((line.account.clone(), line.period)).or_default().insert(line.service);
            from.insert(line.import_id);
        }
    }
    let Some(((account, start), services)) = missing.into_iter().next() else { return Ok(()) };
    let names: Vec<String> = services
        .iter()
        .take(5)
        .map(|id| known.iter().find(|k| k.id == *id).map_or_else(|| format!("#{id}"), |k| k.service.clone()))
        .collect();
    let imports: Vec<String> = from.iter().map(|id| format!("#{id}")).collect();
    Err(UserError::Conflict(format!(
        "`{file_name}` bills nothing of {} for billing account {account} in the period from {start}, which import {} recorded; it looks like one part of a split export, and importing it would take the other parts' records out. Import all parts together (`jarvis import focus part1.csv.gz part2.csv.gz ...`, or joined: `cat part*.csv.gz | jarvis import focus -`), or add --replace-partial if the file is complete and those costs are gone",
        names.join(", "),
        imports.join(", ")
    )))
}

/// After a service's imported records moved into `item`, Jarvis's own estimates give way over
/// their billing periods (taken as the calendar month each starts in, as bills run) and the days
/// they charge.
async fn give_way_to_moved(
    tx: &mut Tx,
    workspace: &WorkspaceId,
    actor: &Actor,
    item: &Item,
    moved: &[(DateRange, NaiveDate)],
    base: Currency,
    now: DateTime<Utc>,
) -> Result<()> {
    let mut spans: BTreeMap<NaiveDate, DateRange> = BTreeMap::new();
    for (days, period) in moved {
        let span = spans.entry(*period).or_insert(DateRange { start: *period, end: Month::of(*period).last_day() });
        *span = DateRange { start: span.start.min(days.start), end: span.end.max(days.end) };
    }
    for span in spans.values() {
        give_way(tx, workspace, actor, item, *span, base, now).await?;
    }
    Ok(())
}

/// The items `--map` names, by the index of the file's service they take.
async fn mapped_items(
    tx: &mut Tx,
    workspace: &WorkspaceId,
    file: &FocusFile,
    maps: &[ServiceMap],
) -> Result<HashMap<usize, Item>> {
    let mut wanted = HashMap::new();
    for map in maps {
        let matching: Vec<usize> = file
            .services
            .iter()
            .enumerate()
            .filter(|(_, s)| {
                map.names(&ImportService {
                    id: 0,
                    provider: s.provider.clone(),
                    service: s.service.clone(),
                    category: None,
                    item_id: 0,
                })
            })
            .map(|(i, _)| i)
            .collect();
        if matching.is_empty() {
            let billed: Vec<String> = file.services.iter().take(20).map(|s| s.service.clone()).collect();
            return Err(UserError::invalid(
                "map",
                format!("{}={}", map.service, map.item),
                format!("the file bills no service named `{}`; it bills: {}", map.service, billed.join(", ")),
            )
            .into());
        }
        let providers: BTreeSet<&str> = matching.iter().map(|i| file.services[*i].provider.as_str()).collect();
        if providers.len() > 1 {
            return Err(UserError::Conflict(format!(
                "`{}` is billed by several providers ({}); write it as `PROVIDER / SERVICE=ITEM`",
                map.service,
                providers.into_iter().collect::<Vec<_>>().join(", ")
            ))
            .into());
        }
        let item = resolve_any(tx, workspace, &ItemRef::new(map.item.clone())).await?;
        for index in matching {
            wanted.insert(index, item.clone());
        }
    }
    Ok(wanted)
}

/// A new item for a billed service: its kind from its ServiceCategory, billed by usage (what the
/// imports record), named after the service (and its provider, when another item of the kind
/// has that name).
fn new_item(
    service: &super::focus_file::Service,
    items: &HashMap<i64, Item>,
    currency: Currency,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Item> {
    let kind = service.kind;
    let taken: BTreeSet<String> =
        items.values().filter(|i| i.removed_at.is_none() && i.kind() == kind).map(|i| i.name.key()).collect();
    let short = |text: &str| -> String { text.chars().take(MAX_NAME_CHARS).collect() };
    let candidates = [short(&service.service), short(&format!("{} ({})", service.service, service.provider))];
    let name = candidates
        .into_iter()
        .chain((2..).map(|n| short(&format!("{} ({}) {n}", service.service, service.provider))))
        .filter_map(|text| ItemName::parse(&text).ok())
        .take(50)
        .find(|name| !taken.contains(&name.key()))
        .ok_or_else(|| {
            UserError::invalid("name", &service.service, "no item name could be made from this service's name")
        })?;
    let notes = Notes::parse(&format!(
        "Billed in FOCUS imports as `{}` by {}{}",
        service.service,
        service.provider,
        service.category.as_deref().map(|c| format!(" ({c})")).unwrap_or_default()
    ))
    .ok();
    let changes = ItemChanges {
        name: Some(name),
        provider: Label::parse("provider", &service.provider).ok().map(Some),
        cost: Some(Decimal::ZERO),
        currency: Some(currency),
        period: Some(BillingPeriod::UsageBased),
        notes: Some(notes),
        billed_by_bills: true,
        ..ItemChanges::default()
    };
    let (item, _) = Item::create(kind, &changes, currency, today, now)?;
    Ok(item)
}

/// The note each imported record carries.
fn import_note(id: i64, file_name: &str) -> Notes {
    let name: String = file_name.chars().take(200).collect();
    Notes::parse(&format!("FOCUS import #{id} ({name})"))
        .or_else(|_| Notes::parse(&format!("FOCUS import #{id}")))
        .expect("a plain note is valid")
}

/// What a dry run shows: per provider, service, month and currency, before and after.
fn changes(
    before: &[ImportLine],
    after: &[ImportedRecord],
    name: impl Fn(i64) -> (String, String),
) -> Vec<ImportChange> {
    let mut sums: BTreeMap<(String, String, Month, Currency), (ExactSum, ExactSum)> = BTreeMap::new();
    for line in before {
        let (provider, service) = name(line.service);
        sums.entry((provider, service, Month::of(line.days.start), line.amount.currency))
            .or_default()
            .0
            .add(line.amount.amount);
    }
    for record in after {
        let (provider, service) = name(record.service);
        sums.entry((provider, service, Month::of(record.days.start), record.amount.currency))
            .or_default()
            .1
            .add(record.amount.amount);
    }
    sums.into_iter()
        .filter(|(_, (before, after))| before.value() != after.value())
        .map(|((provider, service, month, currency), (before, after))| ImportChange {
            provider,
            service,
            month,
            before: TypedMoney(Money::new(before.value(), currency)),
            after: TypedMoney(Money::new(after.value(), currency)),
        })
        .collect()
}

/// An import's file totals beside what its records hold now.
fn reconcile(import: &StoredImport, lines: &[ImportLine]) -> Result<Vec<Reconciled>> {
    let stored: BTreeMap<String, StoredFigures> = serde_json::from_str(&import.totals)
        .map_err(|e| anyhow::anyhow!("import #{} has damaged totals: {e}", import.id))?;
    let mut out = Vec::with_capacity(stored.len());
    for (code, figures) in stored {
        let currency = Currency::parse(&code).map_err(anyhow::Error::from)?;
        let (mut live, mut replaced, mut removed) = (ExactSum::default(), ExactSum::default(), ExactSum::default());
        for line in lines.iter().filter(|l| l.amount.currency == currency) {
            match (line.live, import.removed_at) {
                (true, _) => live.add(line.amount.amount),
                (false, Some(_)) => removed.add(line.amount.amount),
                (false, None) => replaced.add(line.amount.amount),
            }
        }
        let mut written = live;
        written.add_sum(&replaced);
        written.add_sum(&removed);
        let money = |value: Decimal| TypedMoney(Money::new(value, currency));
        out.push(Reconciled {
            currency,
            file: money(figures.billed),
            ledger: money(live.value()),
            replaced: money(replaced.value()),
            removed: money(removed.value()),
            equal: written.value() == figures.billed,
            effective: figures.effective.map(money),
            list: figures.list.map(money),
        });
    }
    Ok(out)
}

/// An import with its reconciliation.
fn view(import: &StoredImport, lines: &[ImportLine], all: &[StoredImport]) -> Result<ImportView> {
    let live_records = lines.iter().filter(|l| l.live).count() as u64;
    let state = if import.removed_at.is_some() {
        "removed"
    } else if live_records == lines.len() as u64 {
        "live"
    } else if live_records == 0 {
        "replaced"
    } else {
        "partly_replaced"
    };
    // Later imports of one of its accounts and periods replaced what it lost.
    let replaced_by = if state == "live" || state == "removed" {
        Vec::new()
    } else {
        let mine: BTreeSet<(&str, NaiveDate)> = import.scopes.iter().map(|s| (s.account.as_str(), s.start)).collect();
        let mut later: Vec<i64> = all
            .iter()
            .filter(|other| other.id > import.id)
            .filter(|other| other.scopes.iter().any(|s| mine.contains(&(s.account.as_str(), s.start))))
            .map(|other| other.id)
            .collect();
        later.sort_unstable();
        later
    };
    Ok(ImportView {
        id: import.id,
        uuid: import.uuid,
        file_name: import.file_name.clone(),
        sha256: import.sha256.clone(),
        focus_version: import.focus_version.clone(),
        rows: import.rows,
        skipped: import.skipped,
        records: import.records,
        live_records,
        created_at: import.created_at,
        created_by: import.created_by.clone(),
        removed_at: import.removed_at,
        removed_by: import.removed_by.clone(),
        state: state.to_string(),
        scopes: import.scopes.iter().map(ScopeView::from).collect(),
        totals: reconcile(import, lines)?,
        replaced_by,
        services: Vec::new(),
        notices: Vec::new(),
    })
}

/// An import by `#ID`, `ID` or public id.
async fn find_import(tx: &mut Tx, workspace: &WorkspaceId, reference: &str) -> Result<StoredImport> {
    let text = reference.trim();
    let found = if let Ok(uuid) = uuid::Uuid::parse_str(text) {
        tx.import_by_uuid(workspace, uuid).await?
    } else if let Ok(id) = text.trim_start_matches('#').parse::<i64>() {
        tx.import(workspace, id).await?
    } else {
        return Err(UserError::invalid("import", text, "give its number, e.g. `3` or `#3` (see `import list`)").into());
    };
    found.ok_or_else(|| UserError::NotFound { what: "import", query: text.to_string(), suggestions: Vec::new() }.into())
}
