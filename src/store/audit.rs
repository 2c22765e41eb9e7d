//! The audit trail: who changed what, when, with the entity before and after.

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::sql::{Backend, Columns, args};
use super::{Result, Tx};
use crate::domain::audit::{Actor, Change};
use crate::domain::workspace::WorkspaceId;

/// A stored audit entry.
#[derive(Clone, PartialEq, Debug, Serialize, utoipa::ToSchema)]
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
        // `before` and `after` are kept as written, keys in the order the change gave them: on
        // PostgreSQL they are JSON (not JSONB, which would reorder them), made from the text here (a
        // JSONB argument would be reordered on its way in).
        let sql = match self.backend() {
            Backend::Sqlite => {
                "INSERT INTO audit_log (workspace_id, at, actor, action, entity, entity_id, before, after)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
            }
            Backend::Postgres => {
                "INSERT INTO audit_log (workspace_id, at, actor, action, entity, entity_id, before, after)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, CAST(?7 AS JSON), CAST(?8 AS JSON))"
            }
        };
        self.execute(
            sql,
            args![
                workspace.as_str(),
                now,
                actor.as_str(),
                change.action,
                change.entity,
                change.entity_id.as_deref(),
                change.before.as_ref().map(|v| v.to_string()),
                change.after.as_ref().map(|v| v.to_string()),
            ],
        )
        .await?;
        self.record_key(workspace, now, change).await
    }

    /// `limit` entries after the newest `offset`, newest first (by id, so the order is total).
    pub async fn audit_log(&mut self, workspace: &WorkspaceId, offset: u64, limit: u64) -> Result<Vec<AuditRecord>> {
        let as_int = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        self.fetch(
            "SELECT id, at, actor, action, entity, entity_id, before, after FROM audit_log
             WHERE workspace_id = ?1 ORDER BY id DESC LIMIT ?2 OFFSET ?3",
            args![workspace.as_str(), as_int(limit), as_int(offset)],
            audit_from_row,
        )
        .await
    }

    /// How many entries the workspace's audit log holds.
    pub async fn audit_count(&mut self, workspace: &WorkspaceId) -> Result<u64> {
        let count = self
            .fetch_one("SELECT count(*) FROM audit_log WHERE workspace_id = ?1", args![workspace.as_str()], |row| {
                row.required_int(0)
            })
            .await?;
        Ok(u64::try_from(count).unwrap_or(0))
    }
}

/// The columns of [`Tx::audit_log`], in its order.
fn audit_from_row(row: &dyn Columns) -> anyhow::Result<AuditRecord> {
    let json = |index: usize| -> anyhow::Result<Option<serde_json::Value>> {
        Ok(row.json(index)?.as_deref().map(serde_json::from_str).transpose()?)
    };
    let read = || -> anyhow::Result<AuditRecord> {
        Ok(AuditRecord {
            id: row.required_int(0)?,
            at: row.required_time(1)?,
            actor: row.required_text(2)?.to_string(),
            action: row.required_text(3)?.to_string(),
            entity: row.required_text(4)?.to_string(),
            entity_id: row.text(5)?.map(str::to_string),
            before: json(6)?,
            after: json(7)?,
        })
    };
    read().context("an audit entry in the database is damaged")
}
