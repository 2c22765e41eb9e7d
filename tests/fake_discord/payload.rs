//! Discord objects as JSON, shaped so serenity 0.12 deserializes them (its models have required
//! fields that Discord always sends; a missing one makes serenity drop a gateway event silently).

use serde_json::{Value, json};

use super::{APP_ID, BOT_USER_ID, Member, OWNER_USER_ID};

/// Upload limit the fake announces in `attachment_size_limit` and enforces (Discord's default).
pub const ATTACHMENT_SIZE_LIMIT: u64 = 10 * 1024 * 1024;

/// Name of the bot user.
pub const BOT_NAME: &str = "Jarvis";

/// The current time as Discord writes it (ISO 8601 with microseconds).
pub fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string()
}

/// A user object.
pub fn user(id: u64, name: &str) -> Value {
    json!({
        "id": id.to_string(),
        "username": name,
        "global_name": name,
        "discriminator": "0",
        "avatar": null,
        "public_flags": 0,
    })
}

/// The bot's own user, as `GET /users/@me` and message authors show it.
pub fn bot_user() -> Value {
    json!({
        "id": BOT_USER_ID.to_string(),
        "username": BOT_NAME,
        "global_name": null,
        "discriminator": "0",
        "avatar": null,
        "bot": true,
        "verified": true,
        "mfa_enabled": false,
        "flags": 0,
        "public_flags": 0,
    })
}

/// The guild member object of an interaction (`member`), with the permissions Discord computed.
pub fn member(who: &Member) -> Value {
    json!({
        "user": user(who.user_id, &who.name),
        "nick": null,
        "avatar": null,
        "roles": who.roles.iter().map(u64::to_string).collect::<Vec<_>>(),
        "joined_at": "2024-01-01T00:00:00.000000+00:00",
        "premium_since": null,
        "deaf": false,
        "mute": false,
        "flags": 0,
        "pending": false,
        "permissions": who.permissions.to_string(),
        "communication_disabled_until": null,
    })
}

/// A role object (`GET /guilds/{id}/roles`, resolved role options).
pub fn role(id: u64, name: &str, permissions: u64, position: u64) -> Value {
    json!({
        "id": id.to_string(),
        "name": name,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": null, "tertiary_color": null},
        "hoist": false,
        "icon": null,
        "unicode_emoji": null,
        "position": position,
        "permissions": permissions.to_string(),
        "managed": false,
        "mentionable": true,
        "flags": 0,
    })
}

/// A channel object: a guild text channel, or a DM with `recipient`.
pub fn channel(id: u64, guild: Option<u64>, recipient: Option<&Value>) -> Value {
    match recipient {
        Some(user) => json!({"id": id.to_string(), "type": 1, "last_message_id": null, "recipients": [user]}),
        None => {
            let mut c = json!({
                "id": id.to_string(),
                "type": 0,
                "name": format!("channel-{id}"),
                "position": 0,
                "permission_overwrites": [],
                "nsfw": false,
                "topic": null,
                "last_message_id": null,
                "parent_id": null,
                "rate_limit_per_user": 0,
                "flags": 0,
            });
            if let Some(g) = guild {
                c["guild_id"] = json!(g.to_string());
            }
            c
        }
    }
}

/// The partial channel an interaction carries in `channel`.
pub fn partial_channel(id: u64, guild: Option<u64>, app_permissions: u64) -> Value {
    match guild {
        Some(g) => json!({
            "id": id.to_string(),
            "type": 0,
            "name": format!("channel-{id}"),
            "guild_id": g.to_string(),
            "permissions": app_permissions.to_string(),
        }),
        None => json!({"id": id.to_string(), "type": 1}),
    }
}

/// The application, for `GET /applications/@me` and `GET /oauth2/applications/@me`.
pub fn application() -> Value {
    json!({
        "id": APP_ID.to_string(),
        "name": BOT_NAME,
        "icon": null,
        "description": "",
        "bot_public": false,
        "bot_require_code_grant": false,
        "owner": user(OWNER_USER_ID, "owner"),
        "verify_key": "0".repeat(64),
        "team": null,
        "flags": 0,
        "bot": bot_user(),
    })
}

/// The READY dispatch data for a session of `shard` (`[id, count]`, echoed as Discord does).
pub fn ready(session_id: &str, ws_url: &str, shard: (u32, u32)) -> Value {
    json!({
        "v": 10,
        "user": bot_user(),
        "guilds": [],
        "session_id": session_id,
        "resume_gateway_url": ws_url,
        "shard": [shard.0, shard.1],
        "application": {"id": APP_ID.to_string(), "flags": 0},
        "private_channels": [],
        "relationships": [],
    })
}

/// A message object with nothing in it yet; [`super::rest`] applies the bot's body to it.
pub fn empty_message(id: u64, channel_id: u64, kind: u8, from_interaction: bool) -> Value {
    let mut m = json!({
        "id": id.to_string(),
        "channel_id": channel_id.to_string(),
        "author": bot_user(),
        "content": "",
        "timestamp": now(),
        "edited_timestamp": null,
        "tts": false,
        "mention_everyone": false,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": [],
        "components": [],
        "pinned": false,
        "type": kind,
        "flags": 0,
    });
    if from_interaction {
        m["webhook_id"] = json!(APP_ID.to_string());
        m["application_id"] = json!(APP_ID.to_string());
    }
    m
}
