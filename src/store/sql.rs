//! Running a statement on either backend: one SQL text, typed arguments, typed columns.
//!
//! Queries are written once, in the SQL both backends share, with numbered placeholders (`?1`,
//! `?2`...; PostgreSQL receives them as `$1`, `$2`...). Where the dialects differ, the few places
//! ask [`Tx::backend`] and pick their text. Arguments are [`Arg`]s that say what they are (a
//! decimal, a day, an instant...), so each backend stores them in its own type: SQLite as exact
//! text, PostgreSQL as NUMERIC, DATE, TIMESTAMPTZ, JSONB. Rows are read through [`Columns`], which
//! turns either backend's column back into the same value.
//!
//! SQLite statements run straight through SQLite's C API, on the transaction's own connection.
//! sqlx's SQLite driver runs each connection on a worker thread and hands every row over a
//! channel: about 3-4 µs a row, which is most of the time of a read that returns thousands of
//! rows (10,000 items: 30 ms for two columns). The store locks the connection out of the worker
//! ([`sqlx::SqliteConnection::lock_handle`], meant for direct SQLite calls) and steps the
//! statement with rusqlite on it: the same connection, so the same transaction and the same
//! snapshot, at SQLite's own speed. rusqlite is built on the same bundled SQLite as sqlx.
//! PostgreSQL statements go through sqlx's PostgreSQL driver, prepared once per connection.

use std::borrow::Cow;

use anyhow::Context as _;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use sqlx::Row as _;

use super::{Conn, Result, StoreError, Tx, fast_date, parse_timestamp};

/// Which database a store runs on.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }
}

/// A value bound to a statement. Each backend stores it in its own type (see the module's
/// documentation); `None`s are typed NULLs.
#[derive(Clone, Debug)]
pub(super) enum Arg<'a> {
    Text(Option<Cow<'a, str>>),
    Int(Option<i64>),
    Bool(Option<bool>),
    Decimal(Option<Decimal>),
    Date(Option<NaiveDate>),
    Time(Option<DateTime<Utc>>),
    /// JSON text (JSONB on PostgreSQL).
    Json(Option<Cow<'a, str>>),
    Blob(Option<&'a [u8]>),
    /// A public id (UUID on PostgreSQL, its hyphenated text on SQLite).
    Uuid(Option<uuid::Uuid>),
    /// A list of ids, used only through [`Tx::in_ids`].
    Ids(&'a [i64]),
}

impl<'a> Arg<'a> {
    pub fn json(text: Option<impl Into<Cow<'a, str>>>) -> Arg<'a> {
        Arg::Json(text.map(Into::into))
    }
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(value: &'a str) -> Self {
        Arg::Text(Some(Cow::Borrowed(value)))
    }
}

impl From<String> for Arg<'_> {
    fn from(value: String) -> Self {
        Arg::Text(Some(Cow::Owned(value)))
    }
}

impl<'a> From<Option<&'a str>> for Arg<'a> {
    fn from(value: Option<&'a str>) -> Self {
        Arg::Text(value.map(Cow::Borrowed))
    }
}

impl From<Option<String>> for Arg<'_> {
    fn from(value: Option<String>) -> Self {
        Arg::Text(value.map(Cow::Owned))
    }
}

/// `From<T>` and `From<Option<T>>` for the variant holding `T`.
macro_rules! arg_from {
    ($($type:ty => $variant:ident),* $(,)?) => {$(
        impl From<$type> for Arg<'_> {
            fn from(value: $type) -> Self {
                Arg::$variant(Some(value))
            }
        }

        impl From<Option<$type>> for Arg<'_> {
            fn from(value: Option<$type>) -> Self {
                Arg::$variant(value)
            }
        }
    )*};
}

arg_from!(i64 => Int, Decimal => Decimal, NaiveDate => Date, DateTime<Utc> => Time, uuid::Uuid => Uuid);

impl From<bool> for Arg<'_> {
    fn from(value: bool) -> Self {
        Arg::Bool(Some(value))
    }
}

impl<'a> From<&'a [u8]> for Arg<'a> {
    fn from(value: &'a [u8]) -> Self {
        Arg::Blob(Some(value))
    }
}

/// `args![a, b, c]`: the arguments of a statement, each turned into an [`Arg`].
macro_rules! args {
    ($($value:expr),* $(,)?) => {
        &[$($crate::store::sql::Arg::from($value)),*][..]
    };
}
pub(super) use args;

impl rusqlite::ToSql for Arg<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, Value, ValueRef};
        Ok(match self {
            Arg::Text(text) | Arg::Json(text) => match text {
                Some(text) => ToSqlOutput::Borrowed(ValueRef::Text(text.as_bytes())),
                None => ToSqlOutput::Owned(Value::Null),
            },
            Arg::Int(value) => value.map_or(ToSqlOutput::Owned(Value::Null), |v| ToSqlOutput::Owned(Value::Integer(v))),
            Arg::Bool(value) => {
                value.map_or(ToSqlOutput::Owned(Value::Null), |v| ToSqlOutput::Owned(Value::Integer(i64::from(v))))
            }
            Arg::Decimal(value) => {
                value.map_or(ToSqlOutput::Owned(Value::Null), |v| ToSqlOutput::Owned(Value::Text(super::decimal(v))))
            }
            Arg::Date(value) => {
                value.map_or(ToSqlOutput::Owned(Value::Null), |v| ToSqlOutput::Owned(Value::Text(super::date(v))))
            }
            Arg::Time(value) => {
                value.map_or(ToSqlOutput::Owned(Value::Null), |v| ToSqlOutput::Owned(Value::Text(super::timestamp(v))))
            }
            Arg::Blob(bytes) => {
                bytes.map_or(ToSqlOutput::Owned(Value::Null), |b| ToSqlOutput::Borrowed(ValueRef::Blob(b)))
            }
            Arg::Ids(ids) => ToSqlOutput::Owned(Value::Text(ids_json(ids))),
            Arg::Uuid(value) => {
                value.map_or(ToSqlOutput::Owned(Value::Null), |v| ToSqlOutput::Owned(Value::Text(v.to_string())))
            }
        })
    }
}

/// Ids as a JSON array, for SQLite's `json_each`.
fn ids_json(ids: &[i64]) -> String {
    let mut out = String::with_capacity(ids.len() * 8 + 2);
    out.push('[');
    for (n, id) in ids.iter().enumerate() {
        if n > 0 {
            out.push(',');
        }
        out.push_str(&id.to_string());
    }
    out.push(']');
    out
}

type PgQuery<'q> = sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>;

fn bind_pg<'q>(query: PgQuery<'q>, arg: &'q Arg<'q>) -> PgQuery<'q> {
    match arg {
        Arg::Text(text) => query.bind(text.as_deref()),
        Arg::Int(value) => query.bind(*value),
        Arg::Bool(value) => query.bind(*value),
        // Normalised, as SQLite stores it: 12.50 is kept as 12.5 on both backends.
        Arg::Decimal(value) => query.bind(value.map(|d| d.normalize())),
        Arg::Date(value) => query.bind(*value),
        Arg::Time(value) => query.bind(*value),
        Arg::Json(text) => query.bind(text.as_deref().map(JsonText)),
        Arg::Blob(bytes) => query.bind(*bytes),
        Arg::Ids(ids) => query.bind(*ids),
        Arg::Uuid(value) => query.bind(*value),
    }
}

type SqliteQuery<'q> = sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments>;

fn bind_sqlite<'q>(query: SqliteQuery<'q>, arg: &'q Arg<'q>) -> SqliteQuery<'q> {
    match arg {
        Arg::Text(text) | Arg::Json(text) => query.bind(text.as_deref()),
        Arg::Int(value) => query.bind(*value),
        Arg::Bool(value) => query.bind(value.map(i64::from)),
        Arg::Decimal(value) => query.bind(value.map(super::decimal)),
        Arg::Date(value) => query.bind(value.map(super::date)),
        Arg::Time(value) => query.bind(value.map(super::timestamp)),
        Arg::Blob(bytes) => query.bind(*bytes),
        Arg::Ids(ids) => query.bind(ids_json(ids)),
        Arg::Uuid(value) => query.bind(value.map(|v| v.to_string())),
    }
}

/// JSON text bound as PostgreSQL's `json` type, as it is: a JSON column keeps it to the byte (the
/// audit log), and a JSONB column takes it through PostgreSQL's own cast.
struct JsonText<'a>(&'a str);

impl sqlx::Type<sqlx::Postgres> for JsonText<'_> {
    fn type_info() -> sqlx::postgres::PgTypeInfo {
        sqlx::postgres::PgTypeInfo::with_oid(sqlx::postgres::types::Oid(114))
    }
}

impl sqlx::Encode<'_, sqlx::Postgres> for JsonText<'_> {
    fn encode_by_ref(
        &self,
        buf: &mut sqlx::postgres::PgArgumentBuffer,
    ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
        buf.extend_from_slice(self.0.as_bytes());
        Ok(sqlx::encode::IsNull::No)
    }
}

/// Reading a column by index, whichever backend the row came from, so one function turns a row
/// into a domain value for both.
pub(super) trait Columns {
    fn text(&self, index: usize) -> anyhow::Result<Option<&str>>;
    fn int(&self, index: usize) -> anyhow::Result<Option<i64>>;
    fn blob(&self, index: usize) -> anyhow::Result<Option<&[u8]>>;

    // The rest read SQLite's encodings (integers for flags, exact text for the others); the
    // PostgreSQL row reads its own types instead.

    fn bool(&self, index: usize) -> anyhow::Result<Option<bool>> {
        Ok(self.int(index)?.map(|value| value != 0))
    }

    fn decimal(&self, index: usize) -> anyhow::Result<Option<Decimal>> {
        self.text(index)?.map(super::parse_decimal).transpose()
    }

    fn date(&self, index: usize) -> anyhow::Result<Option<NaiveDate>> {
        self.text(index)?.map(|text| fast_date(text).with_context(|| format!("bad stored date {text:?}"))).transpose()
    }

    fn time(&self, index: usize) -> anyhow::Result<Option<DateTime<Utc>>> {
        self.text(index)?.map(parse_timestamp).transpose()
    }

    /// JSON as text (PostgreSQL gives JSONB back normalised: key order and spacing may differ
    /// from what was written, the value does not).
    fn json(&self, index: usize) -> anyhow::Result<Option<Cow<'_, str>>> {
        Ok(self.text(index)?.map(Cow::Borrowed))
    }

    fn uuid(&self, index: usize) -> anyhow::Result<Option<uuid::Uuid>> {
        self.text(index)?
            .map(|text| uuid::Uuid::parse_str(text).with_context(|| format!("bad stored public id {text:?}")))
            .transpose()
    }

    fn required_text(&self, index: usize) -> anyhow::Result<&str> {
        self.text(index)?.with_context(|| format!("column {index} is empty"))
    }

    fn required_int(&self, index: usize) -> anyhow::Result<i64> {
        self.int(index)?.with_context(|| format!("column {index} is empty"))
    }

    fn required_bool(&self, index: usize) -> anyhow::Result<bool> {
        self.bool(index)?.with_context(|| format!("column {index} is empty"))
    }

    fn required_decimal(&self, index: usize) -> anyhow::Result<Decimal> {
        self.decimal(index)?.with_context(|| format!("column {index} is empty"))
    }

    fn required_date(&self, index: usize) -> anyhow::Result<NaiveDate> {
        self.date(index)?.with_context(|| format!("column {index} is empty"))
    }

    fn required_time(&self, index: usize) -> anyhow::Result<DateTime<Utc>> {
        self.time(index)?.with_context(|| format!("column {index} is empty"))
    }

    fn required_uuid(&self, index: usize) -> anyhow::Result<uuid::Uuid> {
        self.uuid(index)?.with_context(|| format!("column {index} is empty"))
    }

    fn required_json(&self, index: usize) -> anyhow::Result<Cow<'_, str>> {
        self.json(index)?.with_context(|| format!("column {index} is empty"))
    }
}

impl Columns for rusqlite::Row<'_> {
    fn text(&self, index: usize) -> anyhow::Result<Option<&str>> {
        use rusqlite::types::ValueRef;
        match self.get_ref(index)? {
            ValueRef::Null => Ok(None),
            ValueRef::Text(bytes) => Ok(Some(std::str::from_utf8(bytes)?)),
            other => anyhow::bail!("column {index} holds {:?}, not text", other.data_type()),
        }
    }

    fn int(&self, index: usize) -> anyhow::Result<Option<i64>> {
        use rusqlite::types::ValueRef;
        match self.get_ref(index)? {
            ValueRef::Null => Ok(None),
            ValueRef::Integer(value) => Ok(Some(value)),
            other => anyhow::bail!("column {index} holds {:?}, not an integer", other.data_type()),
        }
    }

    fn blob(&self, index: usize) -> anyhow::Result<Option<&[u8]>> {
        use rusqlite::types::ValueRef;
        match self.get_ref(index)? {
            ValueRef::Null => Ok(None),
            ValueRef::Blob(bytes) => Ok(Some(bytes)),
            other => anyhow::bail!("column {index} holds {:?}, not a blob", other.data_type()),
        }
    }
}

impl Columns for sqlx::sqlite::SqliteRow {
    fn text(&self, index: usize) -> anyhow::Result<Option<&str>> {
        Ok(self.try_get(index)?)
    }

    fn int(&self, index: usize) -> anyhow::Result<Option<i64>> {
        Ok(self.try_get(index)?)
    }

    fn blob(&self, index: usize) -> anyhow::Result<Option<&[u8]>> {
        Ok(self.try_get(index)?)
    }
}

impl Columns for sqlx::postgres::PgRow {
    fn text(&self, index: usize) -> anyhow::Result<Option<&str>> {
        Ok(self.try_get(index)?)
    }

    fn int(&self, index: usize) -> anyhow::Result<Option<i64>> {
        Ok(self.try_get(index)?)
    }

    fn blob(&self, index: usize) -> anyhow::Result<Option<&[u8]>> {
        Ok(self.try_get(index)?)
    }

    fn bool(&self, index: usize) -> anyhow::Result<Option<bool>> {
        Ok(self.try_get(index)?)
    }

    fn decimal(&self, index: usize) -> anyhow::Result<Option<Decimal>> {
        Ok(self.try_get(index)?)
    }

    fn date(&self, index: usize) -> anyhow::Result<Option<NaiveDate>> {
        Ok(self.try_get(index)?)
    }

    fn time(&self, index: usize) -> anyhow::Result<Option<DateTime<Utc>>> {
        Ok(self.try_get(index)?)
    }

    fn json(&self, index: usize) -> anyhow::Result<Option<Cow<'_, str>>> {
        let value: Option<sqlx::types::Json<Box<serde_json::value::RawValue>>> = self.try_get(index)?;
        Ok(value.map(|json| Cow::Owned(json.0.get().to_string())))
    }

    fn uuid(&self, index: usize) -> anyhow::Result<Option<uuid::Uuid>> {
        Ok(self.try_get(index)?)
    }
}

/// `sql` with its `?N` placeholders written as PostgreSQL's `$N` (outside quoted text).
fn postgres_sql(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut quoted = false;
    for c in sql.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                out.push(c);
            }
            '?' if !quoted => out.push('$'),
            _ => out.push(c),
        }
    }
    out
}

/// What a write that broke a uniqueness constraint broke, for the errors users can be told about:
/// an item name already taken (`items_unique_name`; SQLite names its columns instead).
fn constraint_error(constraint: Option<&str>, message: Option<&str>) -> Option<StoreError> {
    let name_taken =
        constraint == Some("items_unique_name") || message.is_some_and(|message| message.contains("items.name_key"));
    name_taken.then_some(StoreError::NameTaken)
}

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> Self {
        if let rusqlite::Error::SqliteFailure(failure, message) = &error
            && failure.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
            && let Some(known) = constraint_error(None, message.as_deref())
        {
            return known;
        }
        StoreError::Internal(anyhow::Error::new(error))
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        if let Some(db) = error.as_database_error()
            && db.is_unique_violation()
            && let Some(known) = constraint_error(db.constraint(), Some(db.message()))
        {
            return known;
        }
        StoreError::Internal(anyhow::Error::new(error))
    }
}

impl Tx {
    /// The backend this transaction runs on.
    pub fn backend(&self) -> Backend {
        match self.conn {
            Conn::Sqlite(_) => Backend::Sqlite,
            Conn::Postgres(_) => Backend::Postgres,
        }
    }

    /// `column` is one of the ids bound as [`Arg::Ids`] at placeholder `n`.
    pub(super) fn in_ids(&self, column: &str, n: usize) -> String {
        match self.backend() {
            Backend::Sqlite => format!("{column} IN (SELECT value FROM json_each(?{n}))"),
            Backend::Postgres => format!("{column} = ANY(?{n})"),
        }
    }

    /// Runs `sql` with `args` and turns each row into a `T` with `read`.
    pub(super) async fn fetch<T>(
        &mut self,
        sql: &str,
        args: &[Arg<'_>],
        mut read: impl FnMut(&dyn Columns) -> anyhow::Result<T>,
    ) -> Result<Vec<T>> {
        match &mut self.conn {
            Conn::Sqlite(tx) => {
                let connection: &mut sqlx::SqliteConnection = tx;
                sqlite_call(connection, |connection| {
                    let mut statement = connection.prepare(sql)?;
                    let mut rows = statement.query(rusqlite::params_from_iter(args.iter()))?;
                    let mut out = Vec::new();
                    while let Some(row) = rows.next()? {
                        out.push(read(row).with_context(|| format!("reading a row of: {}", first_line(sql)))?);
                    }
                    Ok(out)
                })
                .await
            }
            Conn::Postgres(tx) => {
                let sql = postgres_sql(sql);
                let query = args.iter().fold(sqlx::query(sqlx::AssertSqlSafe(sql.clone())), bind_pg);
                let rows = query.fetch_all(&mut **tx).await?;
                rows.iter()
                    .map(|row| read(row).with_context(|| format!("reading a row of: {}", first_line(&sql))))
                    .collect::<anyhow::Result<Vec<T>>>()
                    .map_err(StoreError::from)
            }
        }
    }

    /// [`Tx::fetch`] for at most one row. On SQLite it goes through sqlx, which keeps each
    /// connection's statements prepared (a row's trip over sqlx's channel costs nothing next to
    /// preparing the statement again): lookups and `INSERT ... RETURNING`, by the thousand when a
    /// workload is loaded.
    pub(super) async fn fetch_optional<T>(
        &mut self,
        sql: &str,
        args: &[Arg<'_>],
        mut read: impl FnMut(&dyn Columns) -> anyhow::Result<T>,
    ) -> Result<Option<T>> {
        let mut rows = match &mut self.conn {
            Conn::Sqlite(tx) => {
                let query = args.iter().fold(sqlx::query(sqlx::AssertSqlSafe(sql.to_string())), bind_sqlite);
                let rows = query.fetch_all(&mut **tx).await?;
                rows.iter()
                    .map(|row| read(row).with_context(|| format!("reading a row of: {}", first_line(sql))))
                    .collect::<anyhow::Result<Vec<T>>>()?
            }
            Conn::Postgres(_) => self.fetch(sql, args, read).await?,
        };
        match rows.len() {
            0 | 1 => Ok(rows.pop()),
            n => Err(anyhow::anyhow!("{n} rows where at most one was expected: {}", first_line(sql)).into()),
        }
    }

    /// [`Tx::fetch`] for exactly one row.
    pub(super) async fn fetch_one<T>(
        &mut self,
        sql: &str,
        args: &[Arg<'_>],
        read: impl FnMut(&dyn Columns) -> anyhow::Result<T>,
    ) -> Result<T> {
        self.fetch_optional(sql, args, read)
            .await?
            .with_context(|| format!("no row where one was expected: {}", first_line(sql)))
            .map_err(StoreError::from)
    }

    /// Runs `sql` once per list of arguments in `rows` (SQLite only: one statement prepared once,
    /// stepped per row on the transaction's connection, the quickest way to load many rows).
    pub(super) async fn execute_each(&mut self, sql: &str, rows: &[Vec<Arg<'_>>]) -> Result<()> {
        match &mut self.conn {
            Conn::Sqlite(tx) => {
                let connection: &mut sqlx::SqliteConnection = tx;
                sqlite_call(connection, |connection| {
                    let mut statement = connection.prepare(sql)?;
                    for args in rows {
                        statement.execute(rusqlite::params_from_iter(args.iter()))?;
                    }
                    Ok(())
                })
                .await
            }
            Conn::Postgres(_) => {
                for args in rows {
                    self.execute(sql, args).await?;
                }
                Ok(())
            }
        }
    }

    /// Runs a statement that returns no rows; returns how many rows it changed.
    pub(super) async fn execute(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<u64> {
        match &mut self.conn {
            // Through sqlx, which keeps each connection's statements prepared: writes come one row at
            // a time, by the thousand when a workload is loaded.
            Conn::Sqlite(tx) => {
                let query = args.iter().fold(sqlx::query(sqlx::AssertSqlSafe(sql.to_string())), bind_sqlite);
                Ok(query.execute(&mut **tx).await?.rows_affected())
            }
            Conn::Postgres(tx) => {
                let query = args.iter().fold(sqlx::query(sqlx::AssertSqlSafe(postgres_sql(sql))), bind_pg);
                Ok(query.execute(&mut **tx).await?.rows_affected())
            }
        }
    }
}

/// Calls `work` with rusqlite on `connection`'s own SQLite handle (see the module's
/// documentation).
async fn sqlite_call<T>(
    connection: &mut sqlx::SqliteConnection,
    work: impl FnOnce(&rusqlite::Connection) -> Result<T>,
) -> Result<T> {
    let mut handle = connection.lock_handle().await.map_err(anyhow::Error::new)?;
    let raw = handle.as_raw_handle();
    // SAFETY: the handle is a live connection, locked out of sqlx's worker until `handle`
    // drops (after the rusqlite connection below, which does not own or close it: see
    // `Connection::from_handle`). Nothing else uses it meanwhile.
    let connection = unsafe { rusqlite::Connection::from_handle(raw.as_ptr()) }
        .context("could not use the database connection directly")?;
    let done = crate::blocking(|| work(&connection));
    drop(connection);
    drop(handle);
    done
}

fn first_line(sql: &str) -> &str {
    sql.trim_start().lines().next().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_taken_item_name_is_told_as_such() {
        let taken = |constraint, message| matches!(constraint_error(constraint, message), Some(StoreError::NameTaken));
        assert!(taken(Some("items_unique_name"), Some("duplicate key value violates unique constraint")));
        assert!(taken(None, Some("UNIQUE constraint failed: items.workspace_id, items.kind, items.name_key")));
        assert!(!taken(Some("items_pkey"), Some("duplicate key value violates unique constraint \"items_pkey\"")));
        assert!(!taken(Some("items_by_uuid"), None));
        assert!(!taken(None, Some("UNIQUE constraint failed: items.uuid")));
    }

    #[test]
    fn placeholders_become_postgres_ones_outside_quoted_text() {
        assert_eq!(
            postgres_sql("SELECT a FROM t WHERE b = ?1 AND c = '?2' AND d IN (?2, ?10)"),
            "SELECT a FROM t WHERE b = $1 AND c = '?2' AND d IN ($2, $10)"
        );
    }
}
