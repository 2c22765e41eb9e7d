//! Request keys: what makes a write safe to repeat (see `app::RequestKey`).

use chrono::{DateTime, Utc};

use super::{Result, Tx, parse_timestamp, timestamp};
use crate::domain::audit::Change;
use crate::domain::workspace::WorkspaceId;

/// A write already done under a key.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct KeyedWrite {
    pub action: String,
    pub entity: String,
    pub entity_id: Option<String>,
    pub at: DateTime<Utc>,
}

/// A request's key, shared by the transactions of that request: the first audited change records
/// it, and once that transaction commits the slot is emptied, so the request's later writes are
/// not taken for repeats of it.
pub type KeySlot = std::sync::Arc<std::sync::Mutex<Option<String>>>;

fn peek(slot: &KeySlot) -> Option<String> {
    slot.lock().expect("the key lock is never poisoned").clone()
}

impl Tx {
    /// Makes the first audited change of this transaction record the key in `slot`: the same
    /// key again finds it (see [`Tx::keyed_write`]).
    pub fn use_key(&mut self, slot: KeySlot) {
        self.request_key = Some(slot);
    }

    /// The slot of the key this transaction recorded, to empty once it has committed.
    pub(super) fn recorded_key(&self) -> Option<KeySlot> {
        self.request_key.clone().filter(|_| self.key_recorded)
    }

    /// The write done under `key` in `workspace` since `since`, if any.
    pub async fn keyed_write(
        &mut self,
        workspace: &WorkspaceId,
        key: &str,
        since: DateTime<Utc>,
    ) -> Result<Option<KeyedWrite>> {
        let row: Option<(String, String, Option<String>, String)> = sqlx::query_as(
            "SELECT action, entity, entity_id, created_at FROM request_keys
             WHERE workspace_id = ?1 AND key = ?2 AND created_at >= ?3",
        )
        .bind(workspace.as_str())
        .bind(key)
        .bind(timestamp(since))
        .fetch_optional(&mut *self.tx)
        .await?;
        Ok(row
            .map(|(action, entity, entity_id, at)| -> anyhow::Result<KeyedWrite> {
                Ok(KeyedWrite { action, entity, entity_id, at: parse_timestamp(&at)? })
            })
            .transpose()?)
    }

    /// Records the pending key against `change` (once per transaction), replacing an expired use
    /// of the same key.
    pub(super) async fn record_key(
        &mut self,
        workspace: &WorkspaceId,
        now: DateTime<Utc>,
        change: &Change,
    ) -> Result<()> {
        if self.key_recorded {
            return Ok(());
        }
        let Some(key) = self.request_key.as_ref().and_then(peek) else { return Ok(()) };
        self.key_recorded = true;
        sqlx::query(
            "INSERT INTO request_keys (workspace_id, key, action, entity, entity_id, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (workspace_id, key) DO UPDATE SET
                 action = excluded.action, entity = excluded.entity,
                 entity_id = excluded.entity_id, created_at = excluded.created_at",
        )
        .bind(workspace.as_str())
        .bind(key)
        .bind(change.action)
        .bind(change.entity)
        .bind(change.entity_id.as_deref())
        .bind(timestamp(now))
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Forgets keys recorded before `before`; returns how many.
    pub async fn prune_request_keys(&mut self, before: DateTime<Utc>) -> Result<u64> {
        let done = sqlx::query("DELETE FROM request_keys WHERE created_at < ?1")
            .bind(timestamp(before))
            .execute(&mut *self.tx)
            .await?;
        Ok(done.rows_affected())
    }
}
