//! The audit trail: who changed what, when, with the entity before and after.

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Row as _;
use sqlx::sqlite::SqliteRow;

use super::{Result, Tx, parse_timestamp, timestamp};
use crate::domain::audit::{Actor, Change};
use crate::domain::workspace::WorkspaceId;

/// A stored audit entry.
#[derive(Clone, PartialEq, Debug, Serialize)]
pub struct AuditRecord {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<String>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

impl Tx {
    /// Records a change; call it in the same transaction as the change itself.
    pub async fn audit(
        &mut self,
        workspace: &WorkspaceId,
        actor: &Actor,
        now: DateTime<Utc>,
        change: &Change,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO audit_log (workspace_id, at, actor, action, entity, entity_id, before, after)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )
        .bind(workspace.as_str())
        .bind(timestamp(now))
        .bind(actor.as_str())
        .bind(change.action)
        .bind(change.entity)
        .bind(change.entity_id.as_deref())
        .bind(change.before.as_ref().map(|v| v.to_string()))
        .bind(change.after.as_ref().map(|v| v.to_string()))
        .execute(&mut *self.tx)
        .await?;
        self.record_key(workspace, now, change).await
    }

    /// `limit` entries after the newest `offset`, newest first (by id, so the order is total).
    pub async fn audit_log(&mut self, workspace: &WorkspaceId, offset: u64, limit: u64) -> Result<Vec<AuditRecord>> {
        let as_int = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        let rows = sqlx::query(
            "SELECT id, at, actor, action, entity, entity_id, before, after FROM audit_log
             WHERE workspace_id = ?1 ORDER BY id DESC LIMIT ?2 OFFSET ?3",
        )
        .bind(workspace.as_str())
        .bind(as_int(limit))
        .bind(as_int(offset))
        .fetch_all(&mut *self.tx)
        .await?;
        Ok(rows.iter().map(audit_from_row).collect::<anyhow::Result<_>>()?)
    }

    /// How many entries the workspace's audit log holds.
    pub async fn audit_count(&mut self, workspace: &WorkspaceId) -> Result<u64> {
        let count: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE workspace_id = ?1")
            .bind(workspace.as_str())
            .fetch_one(&mut *self.tx)
            .await?;
        Ok(u64::try_from(count).unwrap_or(0))
    }
}

fn audit_from_row(row: &SqliteRow) -> anyhow::Result<AuditRecord> {
    let json = |column: &str| -> anyhow::Result<Option<serde_json::Value>> {
        Ok(row.try_get::<Option<&str>, _>(column)?.map(serde_json::from_str).transpose()?)
    };
    let read = || -> anyhow::Result<AuditRecord> {
        Ok(AuditRecord {
            id: row.try_get("id")?,
            at: parse_timestamp(row.try_get("at")?)?,
            actor: row.try_get("actor")?,
            action: row.try_get("action")?,
            entity: row.try_get("entity")?,
            entity_id: row.try_get("entity_id")?,
            before: json("before")?,
            after: json("after")?,
        })
    };
    read().context("an audit entry in the database is damaged")
}
