//! The web pages' sign-in: a one-time link made for one person (from `/jarvis web` or
//! `jarvis web link`) starts a session kept by a cookie; the renewal calendar's secret address.
//! Only hashes of the secrets are stored. The pages themselves are `http/web/`.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use serde_json::json;

use super::{App, Result};
use crate::domain::audit::{Actor, Change};
use crate::domain::workspace::{Language, WorkspaceId};
use crate::store::{StoredSession, WebUser};

/// How long a sign-in link may wait to be followed.
pub const LINK_LIFETIME: Duration = Duration::minutes(10);
/// A session nobody used for this long is over.
pub const SESSION_IDLE: Duration = Duration::hours(12);
/// A session is over this long after it started, used or not: what someone may do was decided
/// when their link was made (an admin's role may have changed since), so they sign in again.
pub const SESSION_MAX: Duration = Duration::days(7);
/// How often a session's last use is written at most.
const SEEN_NOTED_EVERY: Duration = Duration::minutes(1);
/// Random bytes in a link's, a cookie's or a feed's secret: 256 bits.
const SECRET_BYTES: usize = 32;

/// A sign-in link just made: its secret is in the link and nowhere else.
#[derive(Clone, Debug)]
pub struct WebLink {
    pub secret: String,
    pub expires_at: DateTime<Utc>,
}

/// Who is signed in to the pages, and what they may do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WebSession {
    #[serde(skip)]
    pub id: i64,
    #[serde(skip)]
    pub workspace: WorkspaceId,
    #[serde(skip)]
    pub actor: Actor,
    pub user_name: String,
    /// Manage Server or the admin role when the link was made (the CLI's links: always).
    pub can_edit: bool,
    /// The language the pages are shown in when chosen (a Discord locale, or the page's
    /// switch); `None`: the browser's languages decide.
    #[serde(skip)]
    pub language: Option<Language>,
}

/// A session just started: the cookie's secret is known only here (and to the browser).
#[derive(Clone, Debug)]
pub struct SignedIn {
    pub session: WebSession,
    pub cookie: String,
}

/// A workspace's calendar feed as shown: when it was made and by whom, never its secret.
#[derive(Clone, Debug, Serialize)]
pub struct FeedView {
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

fn actor_of(user_id: &str) -> Actor {
    match user_id {
        "cli" => Actor::Cli,
        id => Actor::User(id.to_string()),
    }
}

fn session_of(stored: StoredSession) -> WebSession {
    let user = stored.user;
    WebSession {
        id: stored.id,
        actor: actor_of(&user.user_id),
        workspace: user.workspace,
        user_name: user.user_name,
        can_edit: user.can_edit,
        language: user.language.as_deref().and_then(|l| l.parse::<Language>().ok()),
    }
}

/// SHA-256 of a secret, hex: what is stored.
fn secret_hash(secret: &str) -> String {
    super::sha256_hex(&[secret.as_bytes()])
}

/// The token a session's forms carry: derived from its cookie's secret, so a page of another
/// site, which cannot read the cookie, cannot make it, and nothing more is stored.
pub fn csrf_token(cookie: &str) -> String {
    super::sha256_hex(&[b"jarvis web form\n", cookie.as_bytes()])
}

/// Whether `given` is `cookie`'s form token (compared in constant time).
pub fn csrf_matches(cookie: &str, given: &str) -> bool {
    let expected = csrf_token(cookie);
    expected.len() == given.len() && expected.bytes().zip(given.bytes()).fold(0, |diff, (a, b)| diff | (a ^ b)) == 0
}

/// Whether `secret` looks like one of ours (before a lookup).
fn plausible(secret: &str) -> bool {
    secret.len() == SECRET_BYTES * 2 && secret.bytes().all(|b| b.is_ascii_hexdigit())
}

impl App {
    /// Makes a sign-in link to `workspace`'s pages for `actor` (shown as `user_name`), good
    /// for [`LINK_LIFETIME`] and one use.
    pub async fn create_web_link(
        &self,
        workspace: &WorkspaceId,
        actor: &Actor,
        user_name: &str,
        can_edit: bool,
        language: Option<Language>,
    ) -> Result<WebLink> {
        let secret = super::random_hex(SECRET_BYTES)?;
        let now = self.now();
        let expires_at = now + LINK_LIFETIME;
        let user = WebUser {
            workspace: workspace.clone(),
            user_id: actor.as_str().to_string(),
            user_name: user_name.chars().take(100).collect(),
            can_edit,
            language: language.map(|l| l.as_str().to_string()),
        };
        let mut tx = self.write(workspace).await?;
        tx.insert_web_link(&user, &secret_hash(&secret), now, expires_at).await?;
        tx.commit().await?;
        Ok(WebLink { secret, expires_at })
    }

    /// Who the unused, unexpired link with `secret` is for, without taking it (the page that
    /// asks to sign in; link previews only ever read it).
    pub async fn peek_web_link(&self, secret: &str) -> Result<Option<WebSession>> {
        if !plausible(secret) {
            return Ok(None);
        }
        let user = self.store.read().await?.peek_web_link(&secret_hash(secret), self.now()).await?;
        Ok(user.map(|user| session_of(StoredSession { id: 0, user, created_at: self.now(), last_seen_at: self.now() })))
    }

    /// Follows a sign-in link: a new session for whom it was made, or `None` when the link is
    /// unknown, used already or expired.
    pub async fn sign_in(&self, secret: &str) -> Result<Option<SignedIn>> {
        if !plausible(secret) {
            return Ok(None);
        }
        let now = self.now();
        let mut tx = self.store.write().await?;
        let Some(user) = tx.take_web_link(&secret_hash(secret), now).await? else { return Ok(None) };
        let cookie = super::random_hex(SECRET_BYTES)?;
        let id = tx.insert_web_session(&user, &secret_hash(&cookie), now).await?;
        let change = Change {
            action: "web.sign_in",
            entity: "web_session",
            entity_id: Some(id.to_string()),
            before: None,
            after: Some(json!({ "user": user.user_name, "can_edit": user.can_edit })),
        };
        let actor = actor_of(&user.user_id);
        tx.audit(&user.workspace, &actor, now, &change).await?;
        // Links and sessions over for a day are forgotten as new ones start (wherever the pages
        // are served, with or without the bot's housekeeping).
        tx.prune_web_sessions(now - SESSION_MAX - Duration::days(1)).await?;
        tx.commit().await?;
        let stored = StoredSession { id, user, created_at: now, last_seen_at: now };
        Ok(Some(SignedIn { session: session_of(stored), cookie }))
    }

    /// The live session whose cookie's secret is `cookie`; its use is noted (at most once a
    /// minute). `None`: unknown, ended, idle past [`SESSION_IDLE`] or older than [`SESSION_MAX`].
    pub async fn web_session(&self, cookie: &str) -> Result<Option<WebSession>> {
        if !plausible(cookie) {
            return Ok(None);
        }
        let now = self.now();
        let hash = secret_hash(cookie);
        let Some(stored) = self.store.read().await?.web_session(&hash, now - SESSION_IDLE, now - SESSION_MAX).await?
        else {
            return Ok(None);
        };
        if now - stored.last_seen_at >= SEEN_NOTED_EVERY {
            let mut tx = self.store.write().await?;
            tx.web_session_seen(stored.id, now).await?;
            tx.commit().await?;
        }
        Ok(Some(session_of(stored)))
    }

    /// Ends `session` (a logout).
    pub async fn sign_out(&self, session: &WebSession) -> Result<()> {
        let mut tx = self.store.write().await?;
        tx.end_web_session(session.id, self.now()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Shows `session`'s pages in `language` from now on (`None`: the browser's).
    pub async fn set_web_language(&self, session: &WebSession, language: Option<Language>) -> Result<()> {
        let mut tx = self.store.write().await?;
        tx.set_web_session_language(session.id, language.map(Language::as_str)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Ends every web session of `workspace` (an admin's "sign everyone out"); how many.
    pub async fn end_web_sessions(&self, workspace: &WorkspaceId, actor: &Actor) -> Result<u64> {
        let now = self.now();
        let mut tx = self.write(workspace).await?;
        let ended = tx.end_web_sessions(workspace, now).await?;
        let change = Change {
            action: "web.sign_out_all",
            entity: "web_session",
            entity_id: None,
            before: Some(json!({ "sessions": ended })),
            after: None,
        };
        tx.audit(workspace, actor, now, &change).await?;
        tx.commit().await?;
        Ok(ended)
    }

    /// Makes a new secret address for `workspace`'s renewal calendar; the former one stops
    /// working. The secret is in the answer and nowhere else.
    pub async fn create_calendar_feed(&self, workspace: &WorkspaceId, actor: &Actor) -> Result<String> {
        let secret = super::random_hex(SECRET_BYTES)?;
        let now = self.now();
        let mut tx = self.write(workspace).await?;
        let before = tx.calendar_feed(workspace).await?;
        tx.set_calendar_feed(workspace, &secret_hash(&secret), now, actor.as_str()).await?;
        let change = Change {
            action: if before.is_some() { "calendar.renew" } else { "calendar.create" },
            entity: "calendar_feed",
            entity_id: None,
            before: before.map(|f| json!({ "created_at": f.created_at })),
            after: Some(json!({ "created_at": now })),
        };
        tx.audit(workspace, actor, now, &change).await?;
        tx.commit().await?;
        Ok(secret)
    }

    /// Turns `workspace`'s calendar feed off; whether it had one.
    pub async fn remove_calendar_feed(&self, workspace: &WorkspaceId, actor: &Actor) -> Result<bool> {
        let now = self.now();
        let mut tx = self.write(workspace).await?;
        let removed = tx.remove_calendar_feed(workspace).await?;
        if removed {
            let change = Change {
                action: "calendar.remove",
                entity: "calendar_feed",
                entity_id: None,
                before: None,
                after: None,
            };
            tx.audit(workspace, actor, now, &change).await?;
        }
        tx.commit().await?;
        Ok(removed)
    }

    /// `workspace`'s calendar feed, if it has one.
    pub async fn calendar_feed(&self, workspace: &WorkspaceId) -> Result<Option<FeedView>> {
        let feed = self.store.read().await?.calendar_feed(workspace).await?;
        Ok(feed.map(|f| FeedView { created_at: f.created_at, created_by: f.created_by }))
    }

    /// The workspace whose calendar feed's secret is `secret`.
    pub async fn calendar_workspace(&self, secret: &str) -> Result<Option<WorkspaceId>> {
        if !plausible(secret) {
            return Ok(None);
        }
        let feed = self.store.read().await?.calendar_feed_by_hash(&secret_hash(secret)).await?;
        Ok(feed.map(|f| f.workspace))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_tokens_belong_to_their_cookie() {
        let (a, b) = ("a".repeat(64), "b".repeat(64));
        assert!(csrf_matches(&a, &csrf_token(&a)));
        assert!(!csrf_matches(&a, &csrf_token(&b)));
        assert!(!csrf_matches(&a, ""));
        assert_ne!(csrf_token(&a), secret_hash(&a), "the form token is not what the store keeps");
    }

    #[test]
    fn only_secrets_of_our_shape_are_looked_up() {
        assert!(plausible(&"0f".repeat(32)));
        assert!(!plausible("short"));
        assert!(!plausible(&"zz".repeat(32)));
    }
}
