//! Request keys: what makes a write safe to repeat (see `app::RequestKey`).

use chrono::{DateTime, Utc};

use super::sql::args;
use super::{Result, Tx};
use crate::domain::audit::Change;
use crate::domain::workspace::WorkspaceId;

/// A write already done under a key.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct KeyedWrite {
    pub action: String,
    pub entity: String,
    pub entity_id: Option<String>,
    pub at: DateTime<Utc>,
    /// What the request was (an HTTP write's method, path and body, hashed), once recorded.
    pub fingerprint: Option<String>,
    /// What it answered (an HTTP write's status and body), once recorded.
    pub answer: Option<String>,
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
        self.fetch_optional(
            "SELECT action, entity, entity_id, created_at, fingerprint, answer FROM request_keys
             WHERE workspace_id = ?1 AND key = ?2 AND created_at >= ?3",
            args![workspace.as_str(), key, since],
            |row| {
                Ok(KeyedWrite {
                    action: row.required_text(0)?.to_string(),
                    entity: row.required_text(1)?.to_string(),
                    entity_id: row.text(2)?.map(str::to_string),
                    at: row.required_time(3)?,
                    fingerprint: row.text(4)?.map(str::to_string),
                    answer: row.text(5)?.map(str::to_string),
                })
            },
        )
        .await
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
        self.execute(
            "INSERT INTO request_keys (workspace_id, key, action, entity, entity_id, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (workspace_id, key) DO UPDATE SET
                 action = excluded.action, entity = excluded.entity,
                 entity_id = excluded.entity_id, created_at = excluded.created_at,
                 fingerprint = NULL, answer = NULL",
            args![workspace.as_str(), key, change.action, change.entity, change.entity_id.as_deref(), now],
        )
        .await?;
        Ok(())
    }

    /// Records what the request done under `key` was and answered (see [`KeyedWrite`]).
    pub async fn save_answer(
        &mut self,
        workspace: &WorkspaceId,
        key: &str,
        fingerprint: &str,
        answer: &str,
    ) -> Result<()> {
        self.execute(
            "UPDATE request_keys SET fingerprint = ?3, answer = ?4 WHERE workspace_id = ?1 AND key = ?2",
            args![workspace.as_str(), key, fingerprint, answer],
        )
        .await?;
        Ok(())
    }

    /// Forgets keys recorded before `before`; returns how many.
    pub async fn prune_request_keys(&mut self, before: DateTime<Utc>) -> Result<u64> {
        self.execute("DELETE FROM request_keys WHERE created_at < ?1", args![before]).await
    }
}
