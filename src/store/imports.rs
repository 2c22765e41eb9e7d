//! Bills imported from FOCUS files: the imports, which item each billed service goes into, and
//! the imported cost records (written, replaced, moved and removed together).

use anyhow::Context as _;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use super::sql::{Arg, Backend, Columns, args};
use super::{Result, Tx};
use crate::domain::audit::Actor;
use crate::domain::calendar::DateRange;
use crate::domain::money::{Currency, Money};
use crate::domain::text::Notes;
use crate::domain::workspace::WorkspaceId;

/// A billed (provider, service) and the item it goes into.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ImportService {
    pub id: i64,
    pub provider: String,
    pub service: String,
    /// Its FOCUS ServiceCategory when first imported.
    pub category: Option<String>,
    pub item_id: i64,
}

/// A billing account's billing period: what a later import of the same pair replaces.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, serde::Serialize, serde::Deserialize)]
pub struct Scope {
    pub account: String,
    /// The billing period's first day.
    pub start: NaiveDate,
    /// Its last day (FOCUS's exclusive end, less a day).
    pub end: NaiveDate,
}

/// An import as stored.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct StoredImport {
    pub id: i64,
    pub uuid: uuid::Uuid,
    pub file_name: String,
    pub sha256: String,
    pub focus_version: String,
    pub rows: i64,
    pub skipped: i64,
    /// The file's totals as JSON (see [`NewImport::totals`]).
    pub totals: String,
    pub scopes: Vec<Scope>,
    pub records: i64,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub removed_at: Option<DateTime<Utc>>,
    pub removed_by: Option<String>,
}

/// An import about to be written.
#[derive(Clone, Debug)]
pub struct NewImport<'a> {
    pub file_name: &'a str,
    pub sha256: &'a str,
    pub focus_version: &'a str,
    pub rows: i64,
    pub skipped: i64,
    /// `{"USD": {"billed": "...", "effective": "...", "list": "..."}}`, exact decimal text.
    pub totals: String,
    pub scopes: &'a [Scope],
    pub records: i64,
}

/// An imported record about to be written.
#[derive(Clone, Debug)]
pub struct ImportedRecord {
    pub item_id: i64,
    pub service: i64,
    pub scope: usize,
    pub days: DateRange,
    pub amount: Money,
    pub effective: Option<Decimal>,
    pub list: Option<Decimal>,
}

impl ImportedRecord {
    /// The record as it reads back once written by import `import` (of `scopes`, which
    /// `self.scope` indexes).
    pub fn line(&self, import: i64, scopes: &[Scope]) -> ImportLine {
        ImportLine {
            import_id: import,
            service: self.service,
            item_id: self.item_id,
            days: self.days,
            amount: self.amount,
            effective: self.effective,
            list: self.list,
            live: true,
            account: scopes[self.scope].account.clone(),
            period: scopes[self.scope].start,
        }
    }
}

/// An imported record as reconciliation and a dry run read it.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ImportLine {
    pub import_id: i64,
    pub service: i64,
    pub item_id: i64,
    pub days: DateRange,
    pub amount: Money,
    pub effective: Option<Decimal>,
    pub list: Option<Decimal>,
    /// Not removed (by `import remove`, or replaced by a later import).
    pub live: bool,
    /// The billing account (and sub-account) and the billing period's first day it belongs to.
    pub account: String,
    pub period: NaiveDate,
}

const IMPORT_COLUMNS: &str = "id, uuid, file_name, sha256, focus_version, rows, skipped, totals, scopes, records, \
                              created_at, created_by, removed_at, removed_by";

const LINE_COLUMNS: &str = "import_id, import_service, item_id, period_start, period_end, amount, currency, effective_cost, list_cost, \
     deleted_at IS NULL, import_account, import_period";

impl Tx {
    /// Every billed service the workspace imported, and its item.
    pub async fn import_services(&mut self, workspace: &WorkspaceId) -> Result<Vec<ImportService>> {
        self.fetch(
            "SELECT id, provider, service, category, item_id FROM import_services WHERE workspace_id = ?1 ORDER BY id",
            args![workspace.as_str()],
            |row| {
                Ok(ImportService {
                    id: row.required_int(0)?,
                    provider: row.required_text(1)?.to_string(),
                    service: row.required_text(2)?.to_string(),
                    category: row.text(3)?.map(str::to_string),
                    item_id: row.required_int(4)?,
                })
            },
        )
        .await
    }

    /// Notes that `provider`'s `service` goes into `item`; returns its id.
    pub async fn add_import_service(
        &mut self,
        workspace: &WorkspaceId,
        (provider, service, category): (&str, &str, Option<&str>),
        item: i64,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        self.fetch_one(
            "INSERT INTO import_services (workspace_id, provider, service, category, item_id, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
            args![workspace.as_str(), provider, service, category, item, now],
            |row| row.required_int(0),
        )
        .await
    }

    /// Sends `service` into `item` from now on and moves every record imported for it there (the
    /// removed ones too, so its history stays together); returns the days of the live records
    /// that moved, each with its billing period's first day.
    pub async fn map_import_service(
        &mut self,
        workspace: &WorkspaceId,
        service: i64,
        item: i64,
    ) -> Result<Vec<(DateRange, NaiveDate)>> {
        let before = self
            .fetch_one(
                "SELECT item_id FROM import_services WHERE workspace_id = ?1 AND id = ?2",
                args![workspace.as_str(), service],
                |row| row.required_int(0),
            )
            .await?;
        self.execute(
            "UPDATE import_services SET item_id = ?3 WHERE workspace_id = ?1 AND id = ?2",
            args![workspace.as_str(), service, item],
        )
        .await?;
        let moved = self
            .fetch(
                "UPDATE cost_records SET item_id = ?3 WHERE workspace_id = ?1 AND import_service = ?2
                 RETURNING period_start, period_end, deleted_at IS NULL, import_period",
                args![workspace.as_str(), service, item],
                |row| Ok((days(row, 0)?, row.required_bool(2)?, row.required_date(3)?)),
            )
            .await?;
        for (period, _, _) in &moved {
            self.records_changed(workspace, before, *period);
            self.records_changed(workspace, item, *period);
        }
        Ok(moved.into_iter().filter(|(_, live, _)| *live).map(|(days, _, period)| (days, period)).collect())
    }

    /// Writes an import (its records come after); returns its id and public id.
    pub async fn insert_import(
        &mut self,
        workspace: &WorkspaceId,
        import: &NewImport<'_>,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<(i64, uuid::Uuid)> {
        let uuid = super::public_id(now);
        let scopes = serde_json::to_string(import.scopes).context("scopes to JSON")?;
        let id = self
            .fetch_one(
                "INSERT INTO imports (uuid, workspace_id, file_name, sha256, focus_version, rows, skipped, totals,
                                      scopes, records, created_at, created_by)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) RETURNING id",
                args![
                    uuid,
                    workspace.as_str(),
                    import.file_name,
                    import.sha256,
                    import.focus_version,
                    import.rows,
                    import.skipped,
                    Arg::json(Some(import.totals.as_str())),
                    Arg::json(Some(scopes)),
                    import.records,
                    now,
                    actor.as_str(),
                ],
                |row| row.required_int(0),
            )
            .await?;
        Ok((id, uuid))
    }

    /// Takes out the live imported records of these billing accounts and periods (a new import of
    /// them comes in their place); returns what was taken out.
    pub async fn replace_import_scopes(
        &mut self,
        workspace: &WorkspaceId,
        scopes: &[Scope],
        now: DateTime<Utc>,
    ) -> Result<Vec<ImportLine>> {
        let mut removed = Vec::new();
        for scope in scopes {
            let lines = self
                .fetch(
                    &format!(
                        "UPDATE cost_records SET deleted_at = ?4
                         WHERE workspace_id = ?1 AND import_account = ?2 AND import_period = ?3 AND deleted_at IS NULL
                         RETURNING {LINE_COLUMNS}"
                    ),
                    args![workspace.as_str(), scope.account.as_str(), scope.start, now],
                    line_from_row,
                )
                .await?;
            for line in &lines {
                self.records_changed(workspace, line.item_id, line.days);
            }
            removed.extend(lines.into_iter().map(|line| ImportLine { live: false, ..line }));
        }
        Ok(removed)
    }

    /// The account keys live imported records of billing account `account` and the billing
    /// period starting `start` are kept under: `account` itself, and `account / SUB` for each
    /// sub-account.
    pub async fn import_keys_of_billing_account(
        &mut self,
        workspace: &WorkspaceId,
        account: &str,
        start: NaiveDate,
    ) -> Result<Vec<String>> {
        self.fetch(
            "SELECT DISTINCT import_account FROM cost_records
             WHERE workspace_id = ?1 AND import_period = ?3 AND deleted_at IS NULL
               AND (import_account = ?2 OR substr(import_account, 1, length(?2) + 3) = ?2 || ' / ')
             ORDER BY import_account",
            args![workspace.as_str(), account, start],
            |row| Ok(row.required_text(0)?.to_string()),
        )
        .await
    }

    /// The live imported records of these billing accounts and periods.
    pub async fn import_scope_lines(&mut self, workspace: &WorkspaceId, scopes: &[Scope]) -> Result<Vec<ImportLine>> {
        let mut all = Vec::new();
        for scope in scopes {
            all.extend(
                self.fetch(
                    &format!(
                        "SELECT {LINE_COLUMNS} FROM cost_records
                         WHERE workspace_id = ?1 AND import_account = ?2 AND import_period = ?3 AND deleted_at IS NULL"
                    ),
                    args![workspace.as_str(), scope.account.as_str(), scope.start],
                    line_from_row,
                )
                .await?,
            );
        }
        Ok(all)
    }

    /// Writes the records of import `import` (of `scopes`, which `record.scope` indexes), each
    /// with `note`.
    #[allow(clippy::too_many_arguments)]
    pub async fn insert_imported_records(
        &mut self,
        workspace: &WorkspaceId,
        import: i64,
        scopes: &[Scope],
        records: &[ImportedRecord],
        note: &Notes,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<()> {
        const COLUMNS: &[&str] = &[
            "workspace_id",
            "item_id",
            "amount",
            "currency",
            "period_start",
            "period_end",
            "source",
            "note",
            "created_at",
            "created_by",
            "uuid",
            "import_id",
            "import_service",
            "import_account",
            "import_period",
            "effective_cost",
            "list_cost",
        ];
        let rows: Vec<Vec<Arg<'_>>> = records
            .iter()
            .map(|record| {
                let scope = &scopes[record.scope];
                args![
                    workspace.as_str(),
                    record.item_id,
                    record.amount.amount,
                    record.amount.currency.code(),
                    record.days.start,
                    record.days.end,
                    "import",
                    note.as_str(),
                    now,
                    actor.as_str(),
                    super::public_id(now),
                    import,
                    record.service,
                    scope.account.as_str(),
                    scope.start,
                    record.effective,
                    record.list,
                ]
                .to_vec()
            })
            .collect();
        self.insert_all("cost_records", COLUMNS, &rows).await?;
        for record in records {
            self.records_changed(workspace, record.item_id, record.days);
        }
        Ok(())
    }

    /// The workspace's imports, newest first.
    pub async fn imports(&mut self, workspace: &WorkspaceId) -> Result<Vec<StoredImport>> {
        self.fetch(
            &format!("SELECT {IMPORT_COLUMNS} FROM imports WHERE workspace_id = ?1 ORDER BY id DESC"),
            args![workspace.as_str()],
            import_from_row,
        )
        .await
    }

    /// One import by id.
    pub async fn import(&mut self, workspace: &WorkspaceId, id: i64) -> Result<Option<StoredImport>> {
        self.fetch_optional(
            &format!("SELECT {IMPORT_COLUMNS} FROM imports WHERE workspace_id = ?1 AND id = ?2"),
            args![workspace.as_str(), id],
            import_from_row,
        )
        .await
    }

    /// One import by public id.
    pub async fn import_by_uuid(&mut self, workspace: &WorkspaceId, uuid: uuid::Uuid) -> Result<Option<StoredImport>> {
        self.fetch_optional(
            &format!("SELECT {IMPORT_COLUMNS} FROM imports WHERE workspace_id = ?1 AND uuid = ?2"),
            args![workspace.as_str(), uuid],
            import_from_row,
        )
        .await
    }

    /// Every record import `import` wrote, removed ones too.
    pub async fn import_lines(&mut self, workspace: &WorkspaceId, import: i64) -> Result<Vec<ImportLine>> {
        self.fetch(
            &format!("SELECT {LINE_COLUMNS} FROM cost_records WHERE workspace_id = ?1 AND import_id = ?2"),
            args![workspace.as_str(), import],
            line_from_row,
        )
        .await
    }

    /// Every record any import of the workspace wrote, removed ones too: what a list of the
    /// imports reconciles, read at once.
    pub async fn every_import_line(&mut self, workspace: &WorkspaceId) -> Result<Vec<ImportLine>> {
        self.fetch(
            &format!("SELECT {LINE_COLUMNS} FROM cost_records WHERE workspace_id = ?1 AND import_id IS NOT NULL"),
            args![workspace.as_str()],
            line_from_row,
        )
        .await
    }

    /// Takes an import's live records out and marks it removed; returns how many were taken out.
    pub async fn remove_import(
        &mut self,
        workspace: &WorkspaceId,
        import: i64,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        let removed = self
            .fetch(
                "UPDATE cost_records SET deleted_at = ?3 WHERE workspace_id = ?1 AND import_id = ?2 AND deleted_at IS NULL
                 RETURNING item_id, period_start, period_end",
                args![workspace.as_str(), import, now],
                |row| Ok((row.required_int(0)?, days(row, 1)?)),
            )
            .await?;
        for (item, period) in &removed {
            self.records_changed(workspace, *item, *period);
        }
        let marked = self
            .execute(
                "UPDATE imports SET removed_at = ?3, removed_by = ?4
                 WHERE workspace_id = ?1 AND id = ?2 AND removed_at IS NULL",
                args![workspace.as_str(), import, now, actor.as_str()],
            )
            .await?;
        super::exactly_one(marked, || format!("import #{import}"))?;
        Ok(removed.len() as u64)
    }

    /// Inserts `rows` (values of `columns`, in order) into `table`: on SQLite one prepared
    /// statement stepped per row, on PostgreSQL up to a thousand rows a statement (one round trip).
    pub(super) async fn insert_all(&mut self, table: &str, columns: &[&str], rows: &[Vec<Arg<'_>>]) -> Result<()> {
        if self.backend() == Backend::Sqlite {
            let placeholders: Vec<String> = (1..=columns.len()).map(|n| format!("?{n}")).collect();
            let sql = format!("INSERT INTO {table} ({}) VALUES ({})", columns.join(", "), placeholders.join(", "));
            return self.execute_each(&sql, rows).await;
        }
        // PostgreSQL takes at most 65,535 arguments a statement.
        let per_statement = (60_000 / columns.len().max(1)).clamp(1, 1000);
        for chunk in rows.chunks(per_statement) {
            let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
            let mut args = Vec::with_capacity(chunk.len() * columns.len());
            for (r, row) in chunk.iter().enumerate() {
                sql.push_str(if r == 0 { "(" } else { ", (" });
                for (c, value) in row.iter().enumerate() {
                    if c > 0 {
                        sql.push_str(", ");
                    }
                    args.push(value.clone());
                    sql.push_str(&format!("?{}", args.len()));
                }
                sql.push(')');
            }
            self.execute(&sql, &args).await?;
        }
        Ok(())
    }
}

/// The days in columns `at` and `at + 1`.
fn days(row: &dyn Columns, at: usize) -> anyhow::Result<DateRange> {
    DateRange::new(row.required_date(at)?, row.required_date(at + 1)?)
        .context("a stored cost period ends before it starts")
}

fn line_from_row(row: &dyn Columns) -> anyhow::Result<ImportLine> {
    Ok(ImportLine {
        import_id: row.required_int(0)?,
        service: row.required_int(1)?,
        item_id: row.required_int(2)?,
        days: days(row, 3)?,
        amount: Money::new(row.required_decimal(5)?, Currency::parse(row.required_text(6)?)?),
        effective: row.decimal(7)?,
        list: row.decimal(8)?,
        live: row.required_bool(9)?,
        account: row.required_text(10)?.to_string(),
        period: row.required_date(11)?,
    })
}

fn import_from_row(row: &dyn Columns) -> anyhow::Result<StoredImport> {
    let id = row.required_int(0)?;
    let read = || -> anyhow::Result<StoredImport> {
        Ok(StoredImport {
            id,
            uuid: row.required_uuid(1)?,
            file_name: row.required_text(2)?.to_string(),
            sha256: row.required_text(3)?.to_string(),
            focus_version: row.required_text(4)?.to_string(),
            rows: row.required_int(5)?,
            skipped: row.required_int(6)?,
            totals: row.required_json(7)?.into_owned(),
            scopes: serde_json::from_str(&row.required_json(8)?)?,
            records: row.required_int(9)?,
            created_at: row.required_time(10)?,
            created_by: row.required_text(11)?.to_string(),
            removed_at: row.time(12)?,
            removed_by: row.text(13)?.map(str::to_string),
        })
    };
    read().with_context(|| format!("import #{id} in the database is damaged"))
}

/// What ties a record to its import (what a backup keeps).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct RecordImport {
    pub import_id: i64,
    pub service: i64,
    pub account: String,
    /// The billing period's first day.
    pub period: NaiveDate,
    pub effective: Option<Decimal>,
    pub list: Option<Decimal>,
}

impl Tx {
    /// The import of every imported record of the workspace (removed ones too), by record id.
    pub async fn record_imports(&mut self, workspace: &WorkspaceId) -> Result<Vec<(i64, RecordImport)>> {
        self.fetch(
            "SELECT id, import_id, import_service, import_account, import_period, effective_cost, list_cost
             FROM cost_records WHERE workspace_id = ?1 AND import_id IS NOT NULL ORDER BY id",
            args![workspace.as_str()],
            |row| {
                Ok((
                    row.required_int(0)?,
                    RecordImport {
                        import_id: row.required_int(1)?,
                        service: row.required_int(2)?,
                        account: row.required_text(3)?.to_string(),
                        period: row.required_date(4)?,
                        effective: row.decimal(5)?,
                        list: row.decimal(6)?,
                    },
                ))
            },
        )
        .await
    }

    /// The import that wrote record `id`, if one did.
    pub async fn import_of_record(&mut self, workspace: &WorkspaceId, id: i64) -> Result<Option<i64>> {
        let found = self
            .fetch_optional(
                "SELECT import_id FROM cost_records WHERE workspace_id = ?1 AND id = ?2",
                args![workspace.as_str(), id],
                |row| row.int(0),
            )
            .await?;
        Ok(found.flatten())
    }

    /// Ties record `id` (restored from a backup) to its import.
    pub async fn set_record_import(&mut self, workspace: &WorkspaceId, id: i64, import: &RecordImport) -> Result<()> {
        let changed = self
            .execute(
                "UPDATE cost_records SET import_id = ?3, import_service = ?4, import_account = ?5, import_period = ?6,
                        effective_cost = ?7, list_cost = ?8
                 WHERE workspace_id = ?1 AND id = ?2",
                args![
                    workspace.as_str(),
                    id,
                    import.import_id,
                    import.service,
                    import.account.as_str(),
                    import.period,
                    import.effective,
                    import.list,
                ],
            )
            .await?;
        super::exactly_one(changed, || format!("cost record #{id}"))
    }

    /// Stores an import read from a backup as it was (with its id when `keep_id`); returns its id.
    pub async fn insert_import_from_backup(
        &mut self,
        workspace: &WorkspaceId,
        import: &StoredImport,
        keep_id: bool,
    ) -> Result<i64> {
        let scopes = serde_json::to_string(&import.scopes).context("scopes to JSON")?;
        // The backup's public id with its id; a new one otherwise (the original may be here).
        let uuid = if keep_id { import.uuid } else { super::public_id(import.created_at) };
        let mut args = args![
            uuid,
            workspace.as_str(),
            import.file_name.as_str(),
            import.sha256.as_str(),
            import.focus_version.as_str(),
            import.rows,
            import.skipped,
            Arg::json(Some(import.totals.as_str())),
            Arg::json(Some(scopes)),
            import.records,
            import.created_at,
            import.created_by.as_str(),
            import.removed_at,
            import.removed_by.as_deref(),
        ]
        .to_vec();
        const COLUMNS: &str = "uuid, workspace_id, file_name, sha256, focus_version, rows, skipped, totals, scopes, \
                               records, created_at, created_by, removed_at, removed_by";
        const VALUES: &str = "?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14";
        let sql = if keep_id {
            args.push(Arg::from(import.id));
            match self.backend() {
                Backend::Sqlite => format!("INSERT INTO imports ({COLUMNS}, id) VALUES ({VALUES}, ?15) RETURNING id"),
                Backend::Postgres => {
                    format!(
                        "INSERT INTO imports ({COLUMNS}, id) OVERRIDING SYSTEM VALUE VALUES ({VALUES}, ?15) RETURNING id"
                    )
                }
            }
        } else {
            format!("INSERT INTO imports ({COLUMNS}) VALUES ({VALUES}) RETURNING id")
        };
        self.fetch_one(&sql, &args, |row| row.required_int(0)).await
    }

    /// Stores a billed service read from a backup (with its id when `keep_id`); returns its id.
    pub async fn insert_import_service_from_backup(
        &mut self,
        workspace: &WorkspaceId,
        service: &ImportService,
        now: DateTime<Utc>,
        keep_id: bool,
    ) -> Result<i64> {
        let mut args = args![
            workspace.as_str(),
            service.provider.as_str(),
            service.service.as_str(),
            service.category.as_deref(),
            service.item_id,
            now,
        ]
        .to_vec();
        const COLUMNS: &str = "workspace_id, provider, service, category, item_id, created_at";
        let sql = if keep_id {
            args.push(Arg::from(service.id));
            match self.backend() {
                Backend::Sqlite => {
                    format!(
                        "INSERT INTO import_services ({COLUMNS}, id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id"
                    )
                }
                Backend::Postgres => format!(
                    "INSERT INTO import_services ({COLUMNS}, id) OVERRIDING SYSTEM VALUE VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id"
                ),
            }
        } else {
            format!("INSERT INTO import_services ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id")
        };
        self.fetch_one(&sql, &args, |row| row.required_int(0)).await
    }
}
