//! Bulk reads straight through SQLite's C API, on the transaction's own connection.
//!
//! sqlx's SQLite driver runs each connection on a worker thread and hands every row over a
//! channel: about 3-4 µs a row, which is most of the time of a read that returns thousands of
//! rows (10,000 items: 30 ms for two columns). For such reads the store locks the connection out
//! of the worker ([`sqlx::SqliteConnection::lock_handle`], meant for direct SQLite calls) and
//! steps the statement with rusqlite on it: the same connection, so the same transaction and the
//! same snapshot, at SQLite's own speed. rusqlite is built on the same bundled SQLite as sqlx.

use anyhow::Context as _;

use super::{Result, Tx};

/// Reading a column by index, whichever way the row was fetched, so one function turns a row
/// into a domain value for both.
pub(super) trait Columns {
    fn text(&self, index: usize) -> anyhow::Result<Option<&str>>;
    fn int(&self, index: usize) -> anyhow::Result<Option<i64>>;
    fn blob(&self, index: usize) -> anyhow::Result<Option<&[u8]>>;

    fn required_text(&self, index: usize) -> anyhow::Result<&str> {
        self.text(index)?.with_context(|| format!("column {index} is empty"))
    }

    fn required_int(&self, index: usize) -> anyhow::Result<i64> {
        self.int(index)?.with_context(|| format!("column {index} is empty"))
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
        use sqlx::Row as _;
        Ok(self.try_get(index)?)
    }

    fn int(&self, index: usize) -> anyhow::Result<Option<i64>> {
        use sqlx::Row as _;
        Ok(self.try_get(index)?)
    }

    fn blob(&self, index: usize) -> anyhow::Result<Option<&[u8]>> {
        use sqlx::Row as _;
        Ok(self.try_get(index)?)
    }
}

/// A parameter for a raw query.
#[derive(Clone, Debug)]
pub(super) enum Param<'a> {
    Text(&'a str),
    Int(i64),
}

impl rusqlite::ToSql for Param<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        match self {
            Param::Text(text) => text.to_sql(),
            Param::Int(value) => value.to_sql(),
        }
    }
}

impl Tx {
    /// Runs `sql` with `params` and turns each row into a `T` with `read`, on this transaction's
    /// connection (see the module's documentation).
    pub(super) async fn raw_rows<T>(
        &mut self,
        sql: &str,
        params: &[Param<'_>],
        mut read: impl FnMut(&rusqlite::Row<'_>) -> anyhow::Result<T>,
    ) -> Result<Vec<T>> {
        let connection: &mut sqlx::SqliteConnection = &mut self.tx;
        let mut handle = connection.lock_handle().await.map_err(anyhow::Error::new)?;
        let raw = handle.as_raw_handle();
        // SAFETY: the handle is a live connection, locked out of sqlx's worker until `handle`
        // drops (after the rusqlite connection below, which does not own or close it: see
        // `Connection::from_handle`). Nothing else uses it meanwhile.
        let connection = unsafe { rusqlite::Connection::from_handle(raw.as_ptr()) }
            .context("could not use the database connection directly")?;
        let rows = crate::blocking(|| -> anyhow::Result<Vec<T>> {
            let mut statement = connection.prepare(sql)?;
            let mut rows = statement.query(rusqlite::params_from_iter(params.iter()))?;
            let mut out = Vec::new();
            while let Some(row) = rows.next()? {
                out.push(read(row)?);
            }
            Ok(out)
        });
        drop(connection);
        drop(handle);
        Ok(rows?)
    }
}
