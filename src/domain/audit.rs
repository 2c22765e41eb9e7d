//! Who changed what: the audit trail's types.

use std::fmt;

use serde::Serialize;
use serde_json::Value;

/// Who made a change.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Actor {
    /// Someone at the command line.
    Cli,
    /// A Discord user, by id.
    User(String),
    /// Jarvis itself: scheduled jobs such as renewal advancement and month close.
    Jarvis,
    /// A request to the HTTP API, by the token it carried: `token:NAME (PREFIX)`.
    Token(String),
}

impl Actor {
    /// The API token named `name`, told apart from earlier tokens of that name by its prefix.
    pub fn token(name: &str, prefix: &str) -> Actor {
        Actor::Token(format!("token:{name} ({prefix})"))
    }

    pub fn as_str(&self) -> &str {
        match self {
            Actor::Cli => "cli",
            Actor::User(id) => id,
            Actor::Jarvis => "jarvis",
            Actor::Token(who) => who,
        }
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One change, with the entity before and after (as JSON), written in the same transaction.
#[derive(Clone, PartialEq, Debug, Serialize, utoipa::ToSchema)]
pub struct Change {
    /// What happened, e.g. `item.add`, `rate.set`, `renewal.charge`.
    pub action: &'static str,
    /// What it happened to, e.g. `item`, `cost_record`, `settings`.
    pub entity: &'static str,
    pub entity_id: Option<String>,
    pub before: Option<Value>,
    pub after: Option<Value>,
}
