//! The web pages' sign-in links, sessions and calendar feeds. Only hashes of their secrets are
//! stored; a link is taken (marked used) by one conditional update, so it signs in once.

use chrono::{DateTime, Utc};

use super::sql::args;
use super::{Result, Tx};
use crate::domain::workspace::WorkspaceId;

/// Who a link or a session is for, as stored.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct WebUser {
    pub workspace: WorkspaceId,
    /// An audit actor (`Actor::as_str`).
    pub user_id: String,
    pub user_name: String,
    pub can_edit: bool,
    /// `en`, `th`; `None`: the browser's languages decide.
    pub language: Option<String>,
}

/// A session as stored (never its secret).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct StoredSession {
    pub id: i64,
    pub user: WebUser,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

/// A workspace's calendar feed as stored (never its secret).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct StoredFeed {
    pub workspace: WorkspaceId,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

const USER: &str = "workspace_id, user_id, user_name, can_edit, language";

fn read_user(row: &dyn super::sql::Columns, at: usize) -> anyhow::Result<WebUser> {
    Ok(WebUser {
        workspace: WorkspaceId::parse(row.required_text(at)?)?,
        user_id: row.required_text(at + 1)?.to_string(),
        user_name: row.required_text(at + 2)?.to_string(),
        can_edit: row.required_bool(at + 3)?,
        language: row.text(at + 4)?.map(str::to_string),
    })
}

fn read_session(row: &dyn super::sql::Columns) -> anyhow::Result<StoredSession> {
    Ok(StoredSession {
        id: row.required_int(0)?,
        user: read_user(row, 1)?,
        created_at: row.required_time(6)?,
        last_seen_at: row.required_time(7)?,
    })
}

fn read_feed(row: &dyn super::sql::Columns) -> anyhow::Result<StoredFeed> {
    Ok(StoredFeed {
        workspace: WorkspaceId::parse(row.required_text(0)?)?,
        created_at: row.required_time(1)?,
        created_by: row.required_text(2)?.to_string(),
    })
}

impl Tx {
    /// Stores a sign-in link for `user` by the `hash` of its secret, good until `expires_at`.
    pub async fn insert_web_link(
        &mut self,
        user: &WebUser,
        hash: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        self.execute(
            &format!(
                "INSERT INTO web_links ({USER}, hash, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
            ),
            args![
                user.workspace.as_str(),
                user.user_id.as_str(),
                user.user_name.as_str(),
                user.can_edit,
                user.language.as_deref(),
                hash,
                now,
                expires_at
            ],
        )
        .await?;
        Ok(())
    }

    /// Takes the unused, unexpired link whose hash is `hash`: marks it used at `now` and gives
    /// whom it is for. `None` for an unknown, used or expired link (it signs in once).
    pub async fn take_web_link(&mut self, hash: &str, now: DateTime<Utc>) -> Result<Option<WebUser>> {
        self.fetch_optional(
            &format!(
                "UPDATE web_links SET used_at = ?2 WHERE hash = ?1 AND used_at IS NULL AND expires_at > ?2
                 RETURNING {USER}"
            ),
            args![hash, now],
            |row| read_user(row, 0),
        )
        .await
    }

    /// Whom the unused, unexpired link whose hash is `hash` is for, leaving it unused.
    pub async fn peek_web_link(&mut self, hash: &str, now: DateTime<Utc>) -> Result<Option<WebUser>> {
        self.fetch_optional(
            &format!("SELECT {USER} FROM web_links WHERE hash = ?1 AND used_at IS NULL AND expires_at > ?2"),
            args![hash, now],
            |row| read_user(row, 0),
        )
        .await
    }

    /// Starts a session for `user` by the `hash` of its cookie's secret.
    pub async fn insert_web_session(&mut self, user: &WebUser, hash: &str, now: DateTime<Utc>) -> Result<i64> {
        self.fetch_one(
            &format!(
                "INSERT INTO web_sessions ({USER}, hash, created_at, last_seen_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7) RETURNING id"
            ),
            args![
                user.workspace.as_str(),
                user.user_id.as_str(),
                user.user_name.as_str(),
                user.can_edit,
                user.language.as_deref(),
                hash,
                now
            ],
            |row| row.required_int(0),
        )
        .await
    }

    /// The session whose hash is `hash` if it was not ended, was seen after `seen_after` and
    /// started after `started_after`.
    pub async fn web_session(
        &mut self,
        hash: &str,
        seen_after: DateTime<Utc>,
        started_after: DateTime<Utc>,
    ) -> Result<Option<StoredSession>> {
        self.fetch_optional(
            &format!(
                "SELECT id, {USER}, created_at, last_seen_at FROM web_sessions
                 WHERE hash = ?1 AND ended_at IS NULL AND last_seen_at > ?2 AND created_at > ?3"
            ),
            args![hash, seen_after, started_after],
            read_session,
        )
        .await
    }

    /// Notes that session `id` was seen at `now`.
    pub async fn web_session_seen(&mut self, id: i64, now: DateTime<Utc>) -> Result<()> {
        self.execute("UPDATE web_sessions SET last_seen_at = ?2 WHERE id = ?1", args![id, now]).await?;
        Ok(())
    }

    /// Sets the language session `id` shows pages in (`None`: the browser's).
    pub async fn set_web_session_language(&mut self, id: i64, language: Option<&str>) -> Result<()> {
        self.execute("UPDATE web_sessions SET language = ?2 WHERE id = ?1", args![id, language]).await?;
        Ok(())
    }

    /// Ends session `id` (a logout).
    pub async fn end_web_session(&mut self, id: i64, now: DateTime<Utc>) -> Result<()> {
        self.execute("UPDATE web_sessions SET ended_at = ?2 WHERE id = ?1 AND ended_at IS NULL", args![id, now])
            .await?;
        Ok(())
    }

    /// Ends every session of `workspace`; how many there were.
    pub async fn end_web_sessions(&mut self, workspace: &WorkspaceId, now: DateTime<Utc>) -> Result<u64> {
        self.execute(
            "UPDATE web_sessions SET ended_at = ?2 WHERE workspace_id = ?1 AND ended_at IS NULL",
            args![workspace.as_str(), now],
        )
        .await
    }

    /// Forgets links that expired, and sessions that ended, went idle or started, before `before`;
    /// how many.
    pub async fn prune_web_sessions(&mut self, before: DateTime<Utc>) -> Result<u64> {
        let links = self.execute("DELETE FROM web_links WHERE expires_at < ?1", args![before]).await?;
        let sessions = self
            .execute(
                "DELETE FROM web_sessions WHERE ended_at < ?1 OR last_seen_at < ?1 OR created_at < ?1",
                args![before],
            )
            .await?;
        Ok(links + sessions)
    }

    /// Sets `workspace`'s calendar feed to the one whose secret's hash is `hash` (a former one
    /// stops working).
    pub async fn set_calendar_feed(
        &mut self,
        workspace: &WorkspaceId,
        hash: &str,
        now: DateTime<Utc>,
        created_by: &str,
    ) -> Result<()> {
        self.execute(
            "INSERT INTO calendar_feeds (workspace_id, hash, created_at, created_by) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (workspace_id) DO UPDATE SET hash = excluded.hash, created_at = excluded.created_at,
                 created_by = excluded.created_by",
            args![workspace.as_str(), hash, now, created_by],
        )
        .await?;
        Ok(())
    }

    /// `workspace`'s calendar feed, if it has one.
    pub async fn calendar_feed(&mut self, workspace: &WorkspaceId) -> Result<Option<StoredFeed>> {
        self.fetch_optional(
            "SELECT workspace_id, created_at, created_by FROM calendar_feeds WHERE workspace_id = ?1",
            args![workspace.as_str()],
            read_feed,
        )
        .await
    }

    /// The calendar feed whose secret's hash is `hash`.
    pub async fn calendar_feed_by_hash(&mut self, hash: &str) -> Result<Option<StoredFeed>> {
        self.fetch_optional(
            "SELECT workspace_id, created_at, created_by FROM calendar_feeds WHERE hash = ?1",
            args![hash],
            read_feed,
        )
        .await
    }

    /// Turns `workspace`'s calendar feed off; whether it had one.
    pub async fn remove_calendar_feed(&mut self, workspace: &WorkspaceId) -> Result<bool> {
        Ok(self.execute("DELETE FROM calendar_feeds WHERE workspace_id = ?1", args![workspace.as_str()]).await? > 0)
    }
}
