//! The ledger's database as an operator sees it: `jarvis db status` (backend, server, migrations,
//! rows) and `jarvis db copy` (the whole ledger into another database, SQLite to PostgreSQL and
//! back, checked by comparing every workspace's dashboard on both sides).

use std::sync::Arc;

use serde::Serialize;

use super::{App, Clock, FixedClock, Result};
use crate::domain::error::UserError;
use crate::domain::workspace::WorkspaceId;
use crate::store::{CopyProgress, CopyState, Migration, Store};

/// What `jarvis db status` shows.
#[derive(Clone, Debug, Serialize)]
pub struct DatabaseStatus {
    pub backend: &'static str,
    /// Where it is, without any password: a file path, or PostgreSQL's host, port and database.
    pub location: String,
    pub server: String,
    /// The latest migration applied, if any.
    pub migration: Option<Migration>,
    /// Migrations of this release not applied yet (applied at the next start).
    pub pending: Vec<Migration>,
    pub tables: Vec<TableRows>,
    /// A copy into this database that did not finish, if one started.
    pub unfinished_copy: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct TableRows {
    pub table: &'static str,
    pub rows: i64,
}

/// What `jarvis db copy` did.
#[derive(Clone, Debug, Serialize)]
pub struct CopyReport {
    pub from: String,
    pub to: String,
    pub tables: Vec<TableCopied>,
    /// Workspaces whose dashboards were compared on both sides.
    pub workspaces_compared: usize,
    /// Workspaces whose dashboard differs (the copy is then not to be trusted).
    pub differences: Vec<WorkspaceId>,
}

#[derive(Clone, Debug, Serialize)]
pub struct TableCopied {
    pub table: &'static str,
    pub rows: u64,
}

/// Where a database URL points, for people: the file, or PostgreSQL's host, port and database
/// (never the password).
pub fn location(url: &str) -> String {
    if crate::store::is_postgres_url(url) {
        format!("PostgreSQL at {}", crate::store::postgres_place(url))
    } else {
        let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url);
        format!("SQLite file {}", path.split('?').next().unwrap_or(path))
    }
}

/// The status of the database at `url`, opened without migrating it.
pub async fn database_status(url: &str) -> Result<DatabaseStatus> {
    let store = Store::connect_to_look(url).await?;
    let applied = store.applied_migrations().await?;
    let pending: Vec<Migration> = store
        .known_migrations()
        .into_iter()
        .filter(|known| !applied.iter().any(|a| a.version == known.version))
        .collect();
    // Before the first migration there are no tables to count.
    let tables = if applied.is_empty() {
        Vec::new()
    } else {
        store.row_counts().await?.into_iter().map(|(table, rows)| TableRows { table, rows }).collect()
    };
    let unfinished_copy = match applied.is_empty() {
        true => None,
        false => match store.copy_state().await? {
            CopyState::Unfinished { source, started } => Some(format!("from {source}, started {started}")),
            _ => None,
        },
    };
    let status = DatabaseStatus {
        backend: store.backend().name(),
        location: location(url),
        server: store.server_version().await?,
        migration: applied.last().cloned(),
        pending,
        tables,
        unfinished_copy,
    };
    store.close().await;
    Ok(status)
}

impl App {
    /// Copies this ledger into the database at `target_url`: refused when it holds data, or a
    /// copy that did not finish unless `restart`; then every workspace's dashboard is compared on
    /// both sides (as of now, by one clock).
    pub async fn copy_ledger(
        &self,
        source_url: &str,
        target_url: &str,
        restart: bool,
        progress: &mut dyn FnMut(CopyProgress),
    ) -> Result<CopyReport> {
        let (from, to) = (location(source_url), location(target_url));
        if from == to {
            return Err(
                UserError::Conflict(format!("The target is the ledger itself ({to}); name another database")).into()
            );
        }
        // Looked at before anything is written to it: a refused target is left as it was.
        let target = Store::connect(target_url).await?;
        match target.copy_state().await? {
            CopyState::Empty => {}
            CopyState::Unfinished { source, started } if restart => {
                tracing::info!(%source, %started, "emptying an unfinished copy before copying again");
                target.empty_all_tables().await?;
            }
            CopyState::Unfinished { source, started } => {
                return Err(UserError::Conflict(format!(
                    "{to} holds a copy that did not finish (from {source}, started {started}); \
                     run `jarvis db copy --to ... --restart` to empty it and copy again"
                ))
                .into());
            }
            CopyState::HoldsData { table, rows: 0 } => {
                return Err(UserError::Conflict(format!(
                    "{to} holds tables that are not Jarvis's (`{table}`); copy into an empty database"
                ))
                .into());
            }
            CopyState::HoldsData { table, rows } => {
                return Err(UserError::Conflict(format!(
                    "{to} already holds a ledger ({rows} rows in {table}); copy into an empty database"
                ))
                .into());
            }
        }
        target.migrate().await?;
        let now = self.clock.now();
        let copied = self.store.copy_into(&target, &from, now, progress).await?;
        // Both sides read at one instant: any difference is the copy's.
        let clock: Arc<dyn Clock> = Arc::new(FixedClock(now));
        let (here, there) = (App::new(self.store.clone(), clock.clone()), App::new(target.clone(), clock));
        let workspaces = self.store.read().await?.workspace_ids().await?;
        let mut differences = Vec::new();
        for workspace in &workspaces {
            let (a, b) = (here.dashboard(workspace, None).await?, there.dashboard(workspace, None).await?);
            if serde_json::to_value(&a).map_err(anyhow::Error::new)?
                != serde_json::to_value(&b).map_err(anyhow::Error::new)?
            {
                differences.push(workspace.clone());
            }
        }
        // Only a copy that shows what the ledger shows is marked finished; one that does not stays
        // marked unfinished, so Jarvis will not run on it.
        if differences.is_empty() {
            target.finish_copy().await?;
        }
        target.close().await;
        Ok(CopyReport {
            from,
            to,
            tables: copied.into_iter().map(|(table, rows)| TableCopied { table, rows }).collect(),
            workspaces_compared: workspaces.len(),
            differences,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_never_show_a_password() {
        assert_eq!(
            location("postgres://jarvis:s3cret@db.internal:6432/ledger"),
            "PostgreSQL at db.internal:6432 database ledger"
        );
        assert_eq!(
            location("postgresql://jarvis:s3cret@db/ledger?sslmode=require"),
            "PostgreSQL at db:5432 database ledger"
        );
        assert_eq!(location("sqlite://data/jarvis.db?mode=rwc"), "SQLite file data/jarvis.db");
        assert_eq!(location("jarvis.db"), "SQLite file jarvis.db");
    }
}
