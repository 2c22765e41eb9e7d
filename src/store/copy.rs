//! Moving a whole ledger between databases (`jarvis db copy`) and what a database holds
//! (`jarvis db status`).
//!
//! The copy reads every table of the source in its key order, a page at a time, and writes the
//! rows as they are into the target: the same ids, amounts, instants, JSON, audit log, outbox and
//! read model. [`TABLES`] names every column with its type, so each backend reads and writes it
//! in its own type (the schema test checks that it names every column there is). The target is
//! marked as a copy in progress before the first row and unmarked after the last, so a copy that
//! was stopped can be told from a finished one (see [`CopyState`]).

use anyhow::Context as _;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use super::sql::{Arg, Backend, Columns, args};
use super::{Result, Store, Tx};

/// How a column is stored, for reading it from one backend and writing it to the other.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Type {
    Text,
    Int,
    Bool,
    Decimal,
    Date,
    Time,
    Json,
    Blob,
    Uuid,
}

/// A table as the copy moves it.
#[derive(Debug)]
pub struct Table {
    pub name: &'static str,
    /// The columns that order its rows (its primary key).
    pub key: &'static str,
    /// Whether `id` is drawn from a sequence (PostgreSQL's identity is moved past the copied ids).
    pub identity: bool,
    pub columns: &'static [(&'static str, Type)],
}

use Type::{Blob, Bool, Date, Int, Json, Text, Time};

const UUID: (&str, Type) = ("uuid", Type::Uuid);

/// Every table of the ledger, parents before children.
pub const TABLES: &[Table] = &[
    Table {
        name: "workspaces",
        key: "id",
        identity: false,
        columns: &[
            ("id", Text),
            ("base_currency", Text),
            ("timezone", Text),
            ("language", Text),
            ("expiring_window_days", Int),
            ("created_at", Time),
            ("updated_at", Time),
            ("renewal_lead_days", Text),
            ("admin_role_id", Text),
            ("alert_channel_id", Text),
            ("alert_role_id", Text),
            ("remind_hours", Int),
            ("site_down_after", Int),
            ("site_up_after", Int),
            ("version", Int),
            ("read_model_epoch", Int),
            UUID,
        ],
    },
    Table {
        name: "items",
        key: "id",
        identity: true,
        columns: &[
            ("id", Int),
            ("workspace_id", Text),
            ("kind", Text),
            ("name", Text),
            ("name_key", Text),
            ("provider", Text),
            ("cost_amount", Type::Decimal),
            ("currency", Text),
            ("billing_period", Text),
            ("renewal_date", Date),
            ("renewal_anchor_day", Int),
            ("auto_renew", Bool),
            ("status", Text),
            ("notes", Text),
            ("usage_unit", Text),
            ("unit_price", Type::Decimal),
            ("included_units", Type::Decimal),
            ("used_units", Type::Decimal),
            ("usage_limit", Type::Decimal),
            ("billed_units", Type::Decimal),
            ("details", Json),
            ("billed_from", Date),
            ("created_at", Time),
            ("updated_at", Time),
            ("deleted_at", Time),
            ("lead_days", Text),
            ("yearly_price", Type::Decimal),
            ("plan_price", Type::Decimal),
            ("usage_read_on", Date),
            ("version", Int),
            ("usage_last_cycle", Json),
            UUID,
        ],
    },
    Table {
        name: "imports",
        key: "id",
        identity: true,
        columns: &[
            ("id", Int),
            UUID,
            ("workspace_id", Text),
            ("file_name", Text),
            ("sha256", Text),
            ("focus_version", Text),
            ("rows", Int),
            ("skipped", Int),
            ("totals", Json),
            ("scopes", Json),
            ("records", Int),
            ("created_at", Time),
            ("created_by", Text),
            ("removed_at", Time),
            ("removed_by", Text),
        ],
    },
    Table {
        name: "import_services",
        key: "id",
        identity: true,
        columns: &[
            ("id", Int),
            ("workspace_id", Text),
            ("provider", Text),
            ("service", Text),
            ("category", Text),
            ("item_id", Int),
            ("created_at", Time),
        ],
    },
    Table {
        name: "cost_records",
        key: "id",
        identity: true,
        columns: &[
            ("id", Int),
            ("workspace_id", Text),
            ("item_id", Int),
            ("amount", Type::Decimal),
            ("currency", Text),
            ("period_start", Date),
            ("period_end", Date),
            ("source", Text),
            ("usage", Json),
            ("note", Text),
            ("created_at", Time),
            ("created_by", Text),
            ("deleted_at", Time),
            UUID,
            ("import_id", Int),
            ("import_service", Int),
            ("import_account", Text),
            ("import_period", Date),
            ("effective_cost", Type::Decimal),
            ("list_cost", Type::Decimal),
        ],
    },
    Table {
        name: "exchange_rates",
        key: "workspace_id, base_currency, quote_currency, effective_date",
        identity: false,
        columns: &[
            ("workspace_id", Text),
            ("base_currency", Text),
            ("quote_currency", Text),
            ("rate", Type::Decimal),
            ("effective_date", Date),
            ("updated_at", Time),
            UUID,
        ],
    },
    Table {
        name: "audit_log",
        key: "id",
        identity: true,
        columns: &[
            ("id", Int),
            ("workspace_id", Text),
            ("at", Time),
            ("actor", Text),
            ("action", Text),
            ("entity", Text),
            ("entity_id", Text),
            ("before", Json),
            ("after", Json),
        ],
    },
    Table {
        name: "budgets",
        key: "workspace_id, scope",
        identity: false,
        columns: &[
            ("workspace_id", Text),
            ("scope", Text),
            ("amount", Type::Decimal),
            ("currency", Text),
            ("thresholds", Text),
            ("created_at", Time),
            ("updated_at", Time),
            UUID,
        ],
    },
    Table {
        name: "report_schedules",
        key: "workspace_id",
        identity: false,
        columns: &[
            ("workspace_id", Text),
            ("channel_id", Text),
            ("cadence", Text),
            ("at_time", Text),
            ("last_posted_slot", Time),
            ("updated_at", Time),
            UUID,
        ],
    },
    Table {
        name: "outbox",
        key: "id",
        identity: true,
        columns: &[
            ("id", Int),
            ("workspace_id", Text),
            ("kind", Text),
            ("channel_id", Text),
            ("payload", Json),
            ("status", Text),
            ("attempts", Int),
            ("next_attempt_at", Time),
            ("last_error", Text),
            ("message_id", Text),
            ("created_at", Time),
            ("sent_at", Time),
            ("claimed_by", Text),
            ("lease_until", Time),
        ],
    },
    Table {
        name: "alert_states",
        key: "workspace_id, family",
        identity: false,
        columns: &[
            ("workspace_id", Text),
            ("family", Text),
            ("alert_key", Text),
            ("severity", Int),
            ("title", Text),
            ("last_posted", Time),
            ("acknowledged_by", Text),
            ("acknowledged_at", Time),
            ("snoozed_until", Time),
            ("resolved_at", Time),
            ("channel_id", Text),
            ("message_id", Text),
            UUID,
        ],
    },
    Table {
        name: "sites",
        key: "id",
        identity: true,
        columns: &[
            ("id", Int),
            ("workspace_id", Text),
            ("url", Text),
            ("keyword", Text),
            ("interval_minutes", Int),
            ("state", Text),
            ("state_since", Time),
            ("failures", Int),
            ("successes", Int),
            ("last_checked_at", Time),
            ("last_probe", Json),
            ("last_tls", Json),
            ("created_at", Time),
            UUID,
        ],
    },
    Table {
        name: "site_checks",
        key: "site_id, checked_at",
        identity: false,
        columns: &[
            ("workspace_id", Text),
            ("site_id", Int),
            ("checked_at", Time),
            ("ok", Bool),
            ("status", Int),
            ("ttfb_ms", Int),
        ],
    },
    Table {
        name: "domain_lookups",
        key: "workspace_id, domain",
        identity: false,
        columns: &[
            ("workspace_id", Text),
            ("domain", Text),
            ("looked_up_at", Time),
            ("lookup", Json),
            ("ledger_date", Date),
        ],
    },
    Table {
        name: "request_keys",
        key: "workspace_id, key",
        identity: false,
        columns: &[
            ("workspace_id", Text),
            ("key", Text),
            ("action", Text),
            ("entity", Text),
            ("entity_id", Text),
            ("created_at", Time),
            ("fingerprint", Text),
            ("answer", Text),
        ],
    },
    Table {
        name: "instances",
        key: "id",
        identity: false,
        columns: &[("id", Text), ("started_at", Time), ("seen_at", Time), ("shards", Text)],
    },
    Table {
        name: "job_claims",
        key: "job",
        identity: false,
        columns: &[("job", Text), ("owner", Text), ("lease_until", Time), ("claimed_at", Time)],
    },
    Table {
        name: "api_tokens",
        key: "id",
        identity: true,
        columns: &[
            ("id", Int),
            UUID,
            ("workspace_id", Text),
            ("name", Text),
            ("scope", Text),
            ("prefix", Text),
            ("hash", Text),
            ("created_at", Time),
            ("created_by", Text),
            ("last_used_at", Time),
            ("revoked_at", Time),
        ],
    },
    Table {
        name: "web_links",
        key: "id",
        identity: true,
        columns: &[
            ("id", Int),
            ("workspace_id", Text),
            ("hash", Text),
            ("user_id", Text),
            ("user_name", Text),
            ("can_edit", Bool),
            ("language", Text),
            ("created_at", Time),
            ("expires_at", Time),
            ("used_at", Time),
        ],
    },
    Table {
        name: "web_sessions",
        key: "id",
        identity: true,
        columns: &[
            ("id", Int),
            ("workspace_id", Text),
            ("hash", Text),
            ("user_id", Text),
            ("user_name", Text),
            ("can_edit", Bool),
            ("language", Text),
            ("created_at", Time),
            ("last_seen_at", Time),
            ("ended_at", Time),
        ],
    },
    Table {
        name: "calendar_feeds",
        key: "workspace_id",
        identity: false,
        columns: &[("workspace_id", Text), ("hash", Text), ("created_at", Time), ("created_by", Text)],
    },
    Table {
        name: "ai_connections",
        key: "id",
        identity: true,
        columns: &[
            ("id", Int),
            ("workspace_id", Text),
            ("item_id", Int),
            ("vendor", Text),
            ("key_sealed", Blob),
            ("key_hint", Text),
            ("sealed_by", Text),
            ("created_at", Time),
            ("created_by", Text),
            ("pull_from", Date),
            ("next_pull_at", Time),
            ("last_attempt_at", Time),
            ("last_success_at", Time),
            ("pulled_through", Date),
            ("failure", Text),
            ("failure_message", Text),
            ("failing_since", Time),
            ("failures", Int),
        ],
    },
    Table {
        name: "usage_days",
        key: "workspace_id, item_id, day, origin",
        identity: false,
        columns: &[
            ("workspace_id", Text),
            ("item_id", Int),
            ("day", Date),
            ("origin", Text),
            ("requests", Int),
            ("quantity", Type::Decimal),
            ("input_tokens", Int),
            ("output_tokens", Int),
            ("updated_at", Time),
        ],
    },
    Table {
        name: "usage_keys",
        key: "workspace_id, key",
        identity: false,
        columns: &[("workspace_id", Text), ("key", Text), ("created_at", Time)],
    },
    Table { name: "store_state", key: "key", identity: false, columns: &[("key", Text), ("value", Text)] },
    Table {
        name: "spend_rollups",
        key: "workspace_id, year, item_id",
        identity: false,
        columns: &[
            ("workspace_id", Text),
            ("year", Int),
            ("item_id", Int),
            ("version", Int),
            ("days", Blob),
            ("segments", Blob),
        ],
    },
];

/// A value read from one database, to be written to the other.
#[derive(Clone, PartialEq, Debug)]
enum Value {
    Null,
    Text(String),
    Int(i64),
    Bool(bool),
    Decimal(Decimal),
    Date(NaiveDate),
    Time(DateTime<Utc>),
    Json(String),
    Blob(Vec<u8>),
    Uuid(uuid::Uuid),
}

impl Value {
    fn read(row: &dyn Columns, index: usize, kind: Type) -> anyhow::Result<Value> {
        let value = match kind {
            Text => row.text(index)?.map(|v| Value::Text(v.to_string())),
            Int => row.int(index)?.map(Value::Int),
            Bool => row.bool(index)?.map(Value::Bool),
            Type::Decimal => row.decimal(index)?.map(Value::Decimal),
            Date => row.date(index)?.map(Value::Date),
            Time => row.time(index)?.map(Value::Time),
            Json => row.json(index)?.map(|v| Value::Json(v.into_owned())),
            Blob => row.blob(index)?.map(|v| Value::Blob(v.to_vec())),
            Type::Uuid => row.uuid(index)?.map(Value::Uuid),
        };
        Ok(value.unwrap_or(Value::Null))
    }

    fn arg(&self, kind: Type) -> Arg<'_> {
        match self {
            Value::Null => match kind {
                Text => Arg::Text(None),
                Int => Arg::Int(None),
                Bool => Arg::Bool(None),
                Type::Decimal => Arg::Decimal(None),
                Date => Arg::Date(None),
                Time => Arg::Time(None),
                Json => Arg::Json(None),
                Blob => Arg::Blob(None),
                Type::Uuid => Arg::Uuid(None),
            },
            Value::Text(text) => Arg::from(text.as_str()),
            Value::Int(value) => Arg::from(*value),
            Value::Bool(value) => Arg::from(*value),
            Value::Decimal(value) => Arg::from(*value),
            Value::Date(value) => Arg::from(*value),
            Value::Time(value) => Arg::from(*value),
            Value::Json(text) => Arg::json(Some(text.as_str())),
            Value::Blob(bytes) => Arg::Blob(Some(bytes)),
            Value::Uuid(id) => Arg::from(*id),
        }
    }
}

/// The `store_state` key that marks a copy in progress in its target.
const COPY_MARK: &str = "copy_in_progress";

/// What a target database holds before a copy into it.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum CopyState {
    /// No rows at all: ready.
    Empty,
    /// A copy into it started (from `source` at `started`) and did not finish.
    Unfinished { source: String, started: String },
    /// It holds a ledger (rows in `table`, the first one found), or tables that are not
    /// Jarvis's (`rows` 0).
    HoldsData { table: String, rows: i64 },
}

/// How far a copy is, for a progress line.
#[derive(Clone, Copy, Debug)]
pub struct CopyProgress {
    pub table: &'static str,
    pub copied: u64,
    pub total: u64,
}

/// Rows read from the source (and written to the target) at a time.
const PAGE: i64 = 20_000;

impl Store {
    /// The rows of each table, in [`TABLES`]'s order (the tables this database has: an older
    /// ledger may lack some).
    pub async fn row_counts(&self) -> anyhow::Result<Vec<(&'static str, i64)>> {
        let mut tx = self.read().await?;
        let existing = tx.table_names().await?;
        let mut counts = Vec::with_capacity(TABLES.len());
        for table in TABLES.iter().filter(|t| existing.iter().any(|name| name == t.name)) {
            let count =
                tx.fetch_one(&format!("SELECT COUNT(*) FROM {}", table.name), &[], |row| row.required_int(0)).await?;
            counts.push((table.name, count));
        }
        Ok(counts)
    }

    /// [`CopyState::Unfinished`] when a copy into this database started and did not finish.
    pub async fn unfinished_copy(&self) -> anyhow::Result<Option<CopyState>> {
        let mut tx = self.read().await?;
        if !tx.table_names().await?.iter().any(|name| name == "store_state") {
            return Ok(None);
        }
        Ok(tx.state(COPY_MARK).await?.map(|mark| {
            let (source, started) = mark.split_once('\n').unwrap_or((mark.as_str(), ""));
            CopyState::Unfinished { source: source.to_string(), started: started.to_string() }
        }))
    }

    /// Whether this database may receive a copy (see [`CopyState`]).
    pub async fn copy_state(&self) -> anyhow::Result<CopyState> {
        if let Some(unfinished) = self.unfinished_copy().await? {
            return Ok(unfinished);
        }
        for (table, rows) in self.row_counts().await? {
            // The read model's format is recorded at start-up: it is not data.
            if rows > 0 && table != "store_state" {
                return Ok(CopyState::HoldsData { table: table.to_string(), rows });
            }
        }
        // Tables of something else than Jarvis: not an empty database either.
        let mut tx = self.read().await?;
        if let Some(other) = tx
            .table_names()
            .await?
            .into_iter()
            .find(|name| name != "_sqlx_migrations" && !TABLES.iter().any(|t| t.name == name))
        {
            return Ok(CopyState::HoldsData { table: other, rows: 0 });
        }
        Ok(CopyState::Empty)
    }

    /// Empties every table, for `db copy --restart` over an unfinished copy.
    pub async fn empty_all_tables(&self) -> anyhow::Result<()> {
        let mut tx = self.write().await?;
        for table in TABLES.iter().rev() {
            tx.execute(&format!("DELETE FROM {}", table.name), &[]).await?;
        }
        tx.commit().await
    }

    /// Copies every row of this store into `target`, which must be empty (see
    /// [`Store::copy_state`]), telling `progress` how it goes. The target is marked unfinished
    /// (naming `source`, where the rows came from) until [`Store::finish_copy`], once the caller
    /// has checked the copy.
    pub async fn copy_into(
        &self,
        target: &Store,
        source: &str,
        started: DateTime<Utc>,
        progress: &mut dyn FnMut(CopyProgress),
    ) -> anyhow::Result<Vec<(&'static str, u64)>> {
        {
            let mut tx = target.write().await?;
            tx.execute("DELETE FROM store_state", &[]).await?;
            tx.set_state(COPY_MARK, &format!("{source}\n{}", super::timestamp(started))).await?;
            tx.commit().await?;
        }
        // One snapshot of the source for the whole copy: what is copied is one moment's ledger.
        let mut from = self.read().await?;
        let mut copied = Vec::with_capacity(TABLES.len());
        for table in TABLES {
            let total = u64::try_from(
                from.fetch_one(&format!("SELECT COUNT(*) FROM {}", table.name), &[], |row| row.required_int(0)).await?,
            )
            .unwrap_or_default();
            progress(CopyProgress { table: table.name, copied: 0, total });
            let names: Vec<&str> = table.columns.iter().map(|(name, _)| *name).collect();
            // Pages by id where there is one (each page a range of the key), else by position.
            let select = if table.identity {
                format!("SELECT {} FROM {} WHERE id > ?2 ORDER BY id LIMIT ?1", names.join(", "), table.name)
            } else {
                format!("SELECT {} FROM {} ORDER BY {} LIMIT ?1 OFFSET ?2", names.join(", "), table.name, table.key)
            };
            let mut done = 0u64;
            let mut after = 0i64;
            loop {
                let from_row = if table.identity { after } else { i64::try_from(done).context("row count")? };
                let rows = from
                    .fetch(&select, &[Arg::from(PAGE), Arg::from(from_row)], |row| {
                        table
                            .columns
                            .iter()
                            .enumerate()
                            .map(|(index, (_, kind))| Value::read(row, index, *kind))
                            .collect::<anyhow::Result<Vec<Value>>>()
                    })
                    .await
                    .with_context(|| format!("could not read {} from the source", table.name))?;
                if rows.is_empty() {
                    break;
                }
                if let Some(Value::Int(last)) = rows.last().and_then(|row| row.first()) {
                    after = *last;
                }
                let mut to = target.write().await?;
                to.insert_rows(table, &names, &rows)
                    .await
                    .with_context(|| format!("could not write {} into the target", table.name))?;
                to.commit().await?;
                done += rows.len() as u64;
                progress(CopyProgress { table: table.name, copied: done, total });
                if (rows.len() as i64) < PAGE {
                    break;
                }
            }
            copied.push((table.name, done));
        }
        // Ids the source gave out stay given in the target (removed rows' ids are not reused).
        let mut given = Vec::new();
        for table in TABLES.iter().filter(|t| t.identity) {
            given.push((table.name, from.ids_given(table.name).await?));
        }
        drop(from);
        let mut tx = target.write().await?;
        for (table, ids) in given {
            tx.ids_given_at_least(table, ids).await?;
        }
        tx.commit().await?;
        Ok(copied)
    }

    /// Marks a copy into this database finished (after it was checked): Jarvis runs on it.
    pub async fn finish_copy(&self) -> anyhow::Result<()> {
        let mut tx = self.write().await?;
        tx.execute("DELETE FROM store_state WHERE key = ?1", &[Arg::from(COPY_MARK)]).await?;
        tx.commit().await
    }
}

impl Tx {
    /// The tables of this database (its `public` schema on PostgreSQL).
    async fn table_names(&mut self) -> Result<Vec<String>> {
        let sql = match self.backend() {
            Backend::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            Backend::Postgres => "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema()",
        };
        self.fetch(sql, &[], |row| Ok(row.required_text(0)?.to_string())).await
    }

    /// Inserts `rows` (values of `columns`, in order) into `table`.
    async fn insert_rows(&mut self, table: &Table, columns: &[&str], rows: &[Vec<Value>]) -> Result<()> {
        let args: Vec<Vec<Arg<'_>>> = rows
            .iter()
            .map(|row| row.iter().zip(table.columns).map(|(value, (_, kind))| value.arg(*kind)).collect())
            .collect();
        self.insert_all(table.name, columns, &args).await
    }

    /// Moves every id sequence past the ids written with their rows (a restore that kept a
    /// backup's ids): later rows get new ones. PostgreSQL's sequences do not move by themselves.
    pub async fn ids_kept(&mut self) -> Result<()> {
        for table in TABLES.iter().filter(|t| t.identity) {
            self.ids_given_at_least(table.name, 0).await?;
        }
        Ok(())
    }

    /// The largest id `table` (one of [`TABLES`] with `identity`) has given out: its sequence on
    /// PostgreSQL, `sqlite_sequence` on SQLite (0 when it never gave one).
    pub(super) async fn ids_given(&mut self, table: &str) -> Result<i64> {
        let sql = match self.backend() {
            Backend::Sqlite => "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = ?1), 0)".to_string(),
            Backend::Postgres => {
                format!("SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM {table}_id_seq")
            }
        };
        let args = match self.backend() {
            Backend::Sqlite => vec![Arg::from(table)],
            Backend::Postgres => Vec::new(),
        };
        self.fetch_one(&sql, &args, |row| row.required_int(0)).await
    }

    /// Makes `table` give ids above `at_least`, above every id it holds and above every id it gave
    /// before: never lower (ids once given out stay unused, a copy's and a restored backup's too).
    pub(super) async fn ids_given_at_least(&mut self, table: &str, at_least: i64) -> Result<()> {
        let largest = self
            .fetch_one(&format!("SELECT COALESCE(MAX(id), 0) FROM {table}"), &[], |row| row.required_int(0))
            .await?;
        let given = at_least.max(largest).max(self.ids_given(table).await?);
        if given < 1 {
            return Ok(());
        }
        match self.backend() {
            Backend::Sqlite => {
                let updated =
                    self.execute("UPDATE sqlite_sequence SET seq = ?2 WHERE name = ?1", args![table, given]).await?;
                if updated == 0 {
                    self.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (?1, ?2)", args![table, given])
                        .await?;
                }
            }
            Backend::Postgres => {
                self.fetch_one(&format!("SELECT setval('{table}_id_seq', ?1, true)"), args![given], |row| {
                    row.required_int(0)
                })
                .await?;
            }
        }
        Ok(())
    }
}

/// A migration, as recorded in a database or known to this release.
#[derive(Clone, PartialEq, Eq, Debug, serde::Serialize)]
pub struct Migration {
    pub version: i64,
    pub description: String,
}

impl Store {
    /// The migrations applied to this database, oldest first (none when it has never been
    /// opened by Jarvis).
    pub async fn applied_migrations(&self) -> anyhow::Result<Vec<Migration>> {
        let mut tx = self.read().await?;
        let exists = match self.backend() {
            Backend::Sqlite => "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
            Backend::Postgres => "SELECT COUNT(*) FROM pg_tables WHERE tablename = '_sqlx_migrations'",
        };
        if tx.fetch_one(exists, &[], |row| row.required_int(0)).await? == 0 {
            return Ok(Vec::new());
        }
        Ok(tx
            .fetch("SELECT version, description FROM _sqlx_migrations WHERE success ORDER BY version", &[], |row| {
                Ok(Migration { version: row.required_int(0)?, description: row.required_text(1)?.to_string() })
            })
            .await?)
    }

    /// The migrations this release brings for this backend.
    pub fn known_migrations(&self) -> Vec<Migration> {
        let migrator = match self.backend() {
            Backend::Sqlite => sqlx::migrate!("./migrations/sqlite"),
            Backend::Postgres => sqlx::migrate!("./migrations/postgres"),
        };
        migrator.iter().map(|m| Migration { version: m.version, description: m.description.to_string() }).collect()
    }

    /// The server's name and version: `SQLite 3.x` or PostgreSQL's `server_version`.
    pub async fn server_version(&self) -> anyhow::Result<String> {
        let mut tx = self.read().await?;
        let sql = match self.backend() {
            Backend::Sqlite => "SELECT 'SQLite ' || sqlite_version()",
            Backend::Postgres => "SELECT 'PostgreSQL ' || current_setting('server_version')",
        };
        Ok(tx.fetch_one(sql, &[], |row| Ok(row.required_text(0)?.to_string())).await?)
    }
}
