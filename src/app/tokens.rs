//! API tokens: made by an admin for one workspace and one scope, shown once, stored as a hash,
//! revoked by name. The HTTP API reaches a workspace through one.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;

use super::{App, Result};
use crate::domain::UserError;
use crate::domain::audit::{Actor, Change};
use crate::domain::text::Label;
use crate::domain::workspace::WorkspaceId;
use crate::store::StoredToken;

/// What a token may do: read only, or read and change.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenScope {
    Read,
    Write,
}

impl TokenScope {
    pub const ALL: [TokenScope; 2] = [TokenScope::Read, TokenScope::Write];

    pub fn as_str(self) -> &'static str {
        match self {
            TokenScope::Read => "read",
            TokenScope::Write => "write",
        }
    }

    /// Reads `read` or `write`.
    pub fn parse(input: &str) -> Result<TokenScope, UserError> {
        match input.trim().to_ascii_lowercase().as_str() {
            "read" => Ok(TokenScope::Read),
            "write" => Ok(TokenScope::Write),
            _ => Err(UserError::invalid(
                "scope",
                input,
                "use read (it may only read) or write (it may also change the ledger)",
            )),
        }
    }
}

/// The start every token has, so that it is recognisable (in a secret scanner, in a config file).
const TOKEN_START: &str = "jarvis_";
/// Random bytes in a token (hex-encoded after its start): 192 bits.
const TOKEN_BYTES: usize = 24;
/// How much of a token is shown to tell it apart (its start and 6 hex digits).
const PREFIX_CHARS: usize = TOKEN_START.len() + 6;
/// How often a token's last use is written at most.
const USE_NOTED_EVERY: chrono::Duration = chrono::Duration::minutes(1);

/// A token as shown: never the token itself, only its visible prefix.
#[derive(Clone, Debug, Serialize)]
pub struct TokenView {
    pub uuid: uuid::Uuid,
    pub name: String,
    pub scope: TokenScope,
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<&StoredToken> for TokenView {
    fn from(token: &StoredToken) -> Self {
        TokenView {
            uuid: token.uuid,
            name: token.name.clone(),
            scope: if token.scope == "write" { TokenScope::Write } else { TokenScope::Read },
            prefix: token.prefix.clone(),
            created_at: token.created_at,
            created_by: token.created_by.clone(),
            last_used_at: token.last_used_at,
            revoked_at: token.revoked_at,
        }
    }
}

/// A token just made: the only time the token itself is known.
#[derive(Clone, Debug, Serialize)]
pub struct CreatedToken {
    pub token: String,
    #[serde(flatten)]
    pub view: TokenView,
}

impl std::str::FromStr for TokenScope {
    type Err = UserError;
    fn from_str(input: &str) -> Result<TokenScope, UserError> {
        TokenScope::parse(input)
    }
}

/// Who a request with a valid token is: its workspace and scope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenAuth {
    /// The token's public id (what rate limits and request keys are kept by).
    pub uuid: uuid::Uuid,
    pub workspace: WorkspaceId,
    pub scope: TokenScope,
    pub name: String,
    pub prefix: String,
}

/// SHA-256 of `token`, hex: what is stored.
fn token_hash(token: &str) -> String {
    super::sha256_hex(&[token.as_bytes()])
}

/// A new random token.
fn new_token() -> Result<String> {
    Ok(format!("{TOKEN_START}{}", super::random_hex(TOKEN_BYTES)?))
}

impl App {
    /// Makes a token for `workspace` named `name` with `scope`; the token itself is in the
    /// answer and nowhere else (only its hash is kept).
    pub async fn create_token(
        &self,
        workspace: &WorkspaceId,
        actor: &Actor,
        name: &str,
        scope: TokenScope,
    ) -> Result<CreatedToken> {
        let name = Label::parse("token name", name)?;
        let token = new_token()?;
        let prefix: String = token.chars().take(PREFIX_CHARS).collect();
        let now = self.now();
        let mut tx = self.write(workspace).await?;
        if tx.tokens(workspace).await?.iter().any(|t| t.revoked_at.is_none() && t.name == name.as_str()) {
            return Err(UserError::Conflict(format!(
                "a token named `{}` exists already: choose another name, or revoke it first (`token revoke {}`)",
                name.as_str(),
                name.as_str()
            ))
            .into());
        }
        let stored = tx
            .insert_token(workspace, name.as_str(), scope.as_str(), &prefix, &token_hash(&token), actor.as_str(), now)
            .await?;
        let view = TokenView::from(&stored);
        let change = Change {
            action: "token.create",
            entity: "api_token",
            entity_id: Some(view.uuid.to_string()),
            before: None,
            after: Some(json!({ "name": view.name, "scope": view.scope, "prefix": view.prefix })),
        };
        tx.audit(workspace, actor, now, &change).await?;
        tx.commit().await?;
        Ok(CreatedToken { token, view })
    }

    /// The tokens of `workspace`, live first.
    pub async fn tokens(&self, workspace: &WorkspaceId) -> Result<Vec<TokenView>> {
        let tokens = self.store.read().await?.tokens(workspace).await?;
        Ok(tokens.iter().map(TokenView::from).collect())
    }

    /// Revokes the live token named `name`: requests with it are refused from now on.
    pub async fn revoke_token(&self, workspace: &WorkspaceId, actor: &Actor, name: &str) -> Result<TokenView> {
        let now = self.now();
        let mut tx = self.write(workspace).await?;
        let Some(revoked) = tx.revoke_token(workspace, name.trim(), now).await? else {
            let tokens = tx.tokens(workspace).await?;
            let live = tokens.iter().filter(|t| t.revoked_at.is_none()).map(|t| t.name.as_str());
            let suggestions = crate::domain::error::close_matches(name.trim(), live);
            return Err(UserError::NotFound { what: "token", query: name.trim().to_string(), suggestions }.into());
        };
        let view = TokenView::from(&revoked);
        let change = Change {
            action: "token.revoke",
            entity: "api_token",
            entity_id: Some(view.uuid.to_string()),
            before: Some(json!({ "name": view.name, "scope": view.scope, "prefix": view.prefix })),
            after: None,
        };
        tx.audit(workspace, actor, now, &change).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// The workspace and scope `token` gives, `None` for an unknown or revoked one. Its last use
    /// is noted (at most once a minute).
    pub async fn authenticate(&self, token: &str) -> Result<Option<TokenAuth>> {
        if !token.starts_with(TOKEN_START) {
            return Ok(None);
        }
        let hash = token_hash(token);
        let Some(stored) = self.store.read().await?.token_by_hash(&hash).await? else { return Ok(None) };
        let now = self.now();
        if stored.last_used_at.is_none_or(|at| now - at >= USE_NOTED_EVERY) {
            let mut tx = self.store.write().await?;
            tx.token_used(stored.id, now).await?;
            tx.commit().await?;
        }
        let view = TokenView::from(&stored);
        Ok(Some(TokenAuth {
            uuid: view.uuid,
            workspace: stored.workspace,
            scope: view.scope,
            name: view.name,
            prefix: view.prefix,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_recognisable_and_stored_as_their_hash() {
        let (a, b) = (new_token().unwrap(), new_token().unwrap());
        assert_ne!(a, b);
        assert!(a.starts_with("jarvis_") && a.len() == 7 + 48, "{a}");
        assert!(a[7..].chars().all(|c| c.is_ascii_hexdigit()), "{a}");
        // SHA-256 of "abc" (FIPS 180-2's example).
        assert_eq!(token_hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(token_hash(&a).len(), 64);
    }

    #[test]
    fn scopes_read_and_refuse_clearly() {
        assert_eq!(TokenScope::parse("Write").unwrap(), TokenScope::Write);
        assert_eq!(TokenScope::parse("read").unwrap(), TokenScope::Read);
        let bad = TokenScope::parse("admin").unwrap_err().to_string();
        assert!(bad.contains("use read") && bad.contains("or write"), "{bad}");
    }
}
