//! API tokens: each reaches one workspace with one scope; only a hash of the token is stored.

use chrono::{DateTime, Utc};

use super::sql::args;
use super::{Result, Tx};
use crate::domain::workspace::WorkspaceId;

/// An API token as stored (never the token itself).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct StoredToken {
    pub id: i64,
    pub uuid: uuid::Uuid,
    pub workspace: WorkspaceId,
    pub name: String,
    /// `read` or `write`.
    pub scope: String,
    /// The token's visible start.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "id, uuid, workspace_id, name, scope, prefix, created_at, created_by, last_used_at, revoked_at";

fn read(row: &dyn super::sql::Columns) -> anyhow::Result<StoredToken> {
    Ok(StoredToken {
        id: row.required_int(0)?,
        uuid: row.required_uuid(1)?,
        workspace: WorkspaceId::parse(row.required_text(2)?)?,
        name: row.required_text(3)?.to_string(),
        scope: row.required_text(4)?.to_string(),
        prefix: row.required_text(5)?.to_string(),
        created_at: row.required_time(6)?,
        created_by: row.required_text(7)?.to_string(),
        last_used_at: row.time(8)?,
        revoked_at: row.time(9)?,
    })
}

impl Tx {
    /// Stores a new token of `workspace` by its `hash`; the token as stored.
    #[allow(clippy::too_many_arguments)]
    pub async fn insert_token(
        &mut self,
        workspace: &WorkspaceId,
        name: &str,
        scope: &str,
        prefix: &str,
        hash: &str,
        created_by: &str,
        now: DateTime<Utc>,
    ) -> Result<StoredToken> {
        self.fetch_one(
            &format!(
                "INSERT INTO api_tokens (uuid, workspace_id, name, scope, prefix, hash, created_at, created_by)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) RETURNING {COLUMNS}"
            ),
            args![super::public_id(now), workspace.as_str(), name, scope, prefix, hash, now, created_by],
            read,
        )
        .await
    }

    /// The tokens of `workspace`, live ones first, each by name.
    pub async fn tokens(&mut self, workspace: &WorkspaceId) -> Result<Vec<StoredToken>> {
        let mut tokens = self
            .fetch(
                &format!("SELECT {COLUMNS} FROM api_tokens WHERE workspace_id = ?1"),
                args![workspace.as_str()],
                read,
            )
            .await?;
        tokens.sort_by(|a, b| (a.revoked_at.is_some(), &a.name, a.id).cmp(&(b.revoked_at.is_some(), &b.name, b.id)));
        Ok(tokens)
    }

    /// Revokes the live token named `name` in `workspace` at `now`; it, or `None` when there is
    /// none.
    pub async fn revoke_token(
        &mut self,
        workspace: &WorkspaceId,
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<StoredToken>> {
        self.fetch_optional(
            &format!(
                "UPDATE api_tokens SET revoked_at = ?3 WHERE workspace_id = ?1 AND name = ?2 AND revoked_at IS NULL
                 RETURNING {COLUMNS}"
            ),
            args![workspace.as_str(), name, now],
            read,
        )
        .await
    }

    /// The live token whose hash is `hash`.
    pub async fn token_by_hash(&mut self, hash: &str) -> Result<Option<StoredToken>> {
        self.fetch_optional(
            &format!("SELECT {COLUMNS} FROM api_tokens WHERE hash = ?1 AND revoked_at IS NULL"),
            args![hash],
            read,
        )
        .await
    }

    /// Notes that token `id` was used at `now`.
    pub async fn token_used(&mut self, id: i64, now: DateTime<Utc>) -> Result<()> {
        self.execute("UPDATE api_tokens SET last_used_at = ?2 WHERE id = ?1", args![id, now]).await?;
        Ok(())
    }
}
