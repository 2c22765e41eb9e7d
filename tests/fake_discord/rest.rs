//! The REST API under `/api/v10`: gateway discovery, the bot user, command registration,
//! interaction callbacks, webhook follow-ups and edits, channel messages and history, roles.
//!
//! Every message body the bot sends is checked with [`super::limits`]; a body over a limit is
//! refused like Discord does (400, 50035) and recorded as a violation.

// Handlers return `Result<_, Response>` to answer early with Discord's error; one per request,
// so the size of `Response` does not matter.
#![allow(clippy::result_large_err)]

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State as AxumState;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::sync::watch;
use tokio::time::Instant;

use super::limits::{self, Breach};
use super::{APP_ID, CALLBACK_DEADLINE, HeldPost, LogEntry, Sent, Shared, State, StoredMessage, multipart, payload};

type AppState = (Arc<Shared>, watch::Receiver<bool>);

/// How long an interaction token stays valid for follow-ups and edits.
const TOKEN_LIFETIME: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// A request body: JSON (or `payload_json` of a multipart body) plus uploaded files.
struct Body {
    json: Value,
    files: Vec<Upload>,
}

/// A file part of a multipart body.
struct Upload {
    /// `n` of `files[n]`, what `attachments[].id` refers to.
    index: String,
    filename: String,
    content_type: Option<String>,
    data: Vec<u8>,
}

/// The one handler behind every path except `/ws`.
pub(super) async fn handle(
    AxumState((shared, stop)): AxumState<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    let path = uri.path().to_string();
    let what = format!("{method} {path}");
    shared.update(|s| s.requests.push((method.to_string(), path.clone())));
    // Files attached to commands, as Discord's CDN serves them.
    if let Some(rest) = path.strip_prefix("/attachments/") {
        let id = rest.split('/').next().and_then(|id| id.parse::<u64>().ok());
        return match id.and_then(|id| shared.lock().attachments.get(&id).cloned()) {
            Some((_, bytes)) => (StatusCode::OK, bytes).into_response(),
            None => not_found(&shared, &method, &path),
        };
    }
    let Some(rest) = path.strip_prefix("/api/v10/") else {
        return not_found(&shared, &method, &path);
    };
    let segments: Vec<&str> = rest.split('/').collect();

    let webhook_like = matches!(segments.first(), Some(&"interactions" | &"webhooks"));
    if !webhook_like {
        let auth = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()).map(str::to_string);
        if let Err(response) = shared.update(|s| check_auth(s, auth.as_deref(), &what)) {
            return response;
        }
    }

    let content_type = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let body = match parse_body(&content_type, &bytes) {
        Ok(body) => body,
        Err(why) => {
            shared.update(|s| s.violation(format!("{what}: unreadable body: {why}")));
            return discord_error(400, 50109, "The request body contains invalid JSON.");
        }
    };

    let m = method.as_str();
    match (m, segments.as_slice()) {
        ("GET", ["gateway"]) => ok(json!({"url": shared.ws_url()})),
        ("GET", ["gateway", "bot"]) => ok(json!({
            "url": shared.ws_url(),
            "shards": shared.lock().recommended_shards,
            "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1},
        })),
        ("GET", ["users", "@me"]) => ok(payload::bot_user()),
        ("GET", ["users", id]) => shared.update(|s| match snowflake(id).and_then(|id| s.users.get(&id)) {
            Some(user) => ok(user.clone()),
            None => discord_error(404, 10013, "Unknown User"),
        }),
        ("POST", ["users", "@me", "channels"]) => shared.update(|s| {
            let Some(user_id) =
                body.json["recipient_id"].as_str().and_then(snowflake).or(body.json["recipient_id"].as_u64())
            else {
                return invalid_form(&[breach("recipient_id", "BASE_TYPE_REQUIRED", "is required")]);
            };
            let channel = s.channel_for(None, user_id);
            let user =
                s.users.get(&user_id).cloned().unwrap_or_else(|| payload::user(user_id, &format!("user{user_id}")));
            ok(payload::channel(channel, None, Some(&user)))
        }),
        ("GET", ["applications", "@me"]) | ("GET", ["oauth2", "applications", "@me"]) => ok(payload::application()),
        (_, ["applications", app, "commands"]) => shared.update(|s| commands(s, &method, app, None, &body.json)),
        (_, ["applications", app, "guilds", guild, "commands"]) => match snowflake(guild) {
            Some(g) => shared.update(|s| commands(s, &method, app, Some(g), &body.json)),
            None => discord_error(404, 10004, "Unknown Guild"),
        },
        ("POST", ["interactions", id, token, "callback"]) => shared.update(|s| callback(s, id, token, body)),
        ("POST", ["webhooks", app, token]) => shared.update(|s| followup(s, app, token, body)),
        (_, ["webhooks", app, token, "messages", message]) => {
            shared.update(|s| webhook_message(s, &method, app, token, message, body))
        }
        ("GET", ["channels", channel]) => match snowflake(channel) {
            Some(c) => shared.update(|s| {
                let (guild, recipient) = s.channels.get(&c).copied().unwrap_or((None, None));
                let user = recipient
                    .map(|u| s.users.get(&u).cloned().unwrap_or_else(|| payload::user(u, &format!("user{u}"))));
                ok(payload::channel(c, guild, user.as_ref()))
            }),
            None => discord_error(404, 10003, "Unknown Channel"),
        },
        ("GET", ["channels", channel, "messages"]) => match snowflake(channel) {
            Some(c) => shared.update(|s| history(s, c, uri.query().unwrap_or(""))),
            None => discord_error(404, 10003, "Unknown Channel"),
        },
        ("POST", ["channels", channel, "messages"]) => match snowflake(channel) {
            Some(c) => {
                let (response, held, delay) = shared.update(|s| {
                    s.channel_post_attempts += 1;
                    let delay = s.post_delay();
                    if let Some(status) = s.closed_channels.get(&c).copied() {
                        let response = match status {
                            403 => discord_error(403, 50001, "Missing Access"),
                            _ => discord_error(404, 10003, "Unknown Channel"),
                        };
                        return (response, None, delay);
                    }
                    let (response, created) = match s.channel_failures.pop_front() {
                        Some((429, retry_after)) => return (rate_limited(retry_after.unwrap_or(1.0)), None, delay),
                        Some((status, _)) => return (discord_error(status, 0, "Internal Server Error"), None, delay),
                        None => channel_message(s, c, body),
                    };
                    // A held post is stored and never answered (not even with a lost answer).
                    if let Some(post) = created
                        && let Some(tell) = s.hold.take()
                    {
                        return (response, Some((tell, post)), delay);
                    }
                    if s.lost_answers > 0 && response.status().is_success() {
                        s.lost_answers -= 1;
                        return (discord_error(502, 0, "Bad Gateway"), None, delay);
                    }
                    (response, None, delay)
                });
                if let Some((tell, post)) = held {
                    let _ = tell.send(post);
                    return never_answer(stop).await;
                }
                tokio::time::sleep(delay).await;
                response
            }
            None => discord_error(404, 10003, "Unknown Channel"),
        },
        (_, ["channels", channel, "messages", message]) => match (snowflake(channel), snowflake(message)) {
            (Some(c), Some(id)) => {
                let edit = method == Method::PATCH;
                let (response, delay) = shared.update(|s| {
                    let delay = if edit { s.post_delay() } else { std::time::Duration::ZERO };
                    (stored_message(s, &method, c, id, body), delay)
                });
                tokio::time::sleep(delay).await;
                response
            }
            _ => discord_error(404, 10008, "Unknown Message"),
        },
        ("POST", ["channels", _, "typing"]) => StatusCode::NO_CONTENT.into_response(),
        ("GET", ["guilds", guild, "roles"]) => match snowflake(guild) {
            Some(g) => shared.update(|s| {
                let mut roles = vec![payload::role(g, "@everyone", super::DEFAULT_APP_PERMISSIONS, 0)];
                roles.extend(s.roles.get(&g).cloned().unwrap_or_default());
                ok(Value::Array(roles))
            }),
            None => discord_error(404, 10004, "Unknown Guild"),
        },
        ("GET", ["guilds", guild, "members", user]) => match (snowflake(guild), snowflake(user)) {
            (Some(g), Some(u)) => shared.update(|s| match s.members.get(&(g, u)) {
                Some(member) => ok(member.clone()),
                None => discord_error(404, 10007, "Unknown Member"),
            }),
            _ => discord_error(404, 10007, "Unknown Member"),
        },
        _ => not_found(&shared, &method, &path),
    }
}

fn snowflake(s: &str) -> Option<u64> {
    s.parse().ok()
}

fn ok(value: Value) -> Response {
    (StatusCode::OK, axum::Json(value)).into_response()
}

fn discord_error(status: u16, code: u64, message: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    (status, axum::Json(json!({"code": code, "message": message}))).into_response()
}

/// A 429 as Discord sends it: Retry-After in seconds, in a header and in the body.
fn rate_limited(retry_after: f64) -> Response {
    let body = json!({"message": "You are being rate limited.", "retry_after": retry_after, "global": false});
    let mut response = (StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response();
    if let Ok(value) = axum::http::HeaderValue::from_str(&retry_after.to_string()) {
        response.headers_mut().insert("retry-after", value);
    }
    response
}

fn invalid_form(breaches: &[Breach]) -> Response {
    let body = json!({"code": 50035, "message": "Invalid Form Body", "errors": limits::errors_json(breaches)});
    (StatusCode::BAD_REQUEST, axum::Json(body)).into_response()
}

fn breach(path: &str, code: &'static str, message: &str) -> Breach {
    Breach { path: path.into(), code, message: message.into() }
}

fn not_found(shared: &Shared, method: &Method, path: &str) -> Response {
    shared.update(|s| s.unhandled.push((method.to_string(), path.to_string())));
    (StatusCode::NOT_FOUND, axum::Json(json!({"code": 0, "message": "404: Not Found"}))).into_response()
}

/// REST requests (other than interaction webhooks) need `Authorization: Bot <token>`, the same
/// token the client identified with.
fn check_auth(s: &mut State, header: Option<&str>, what: &str) -> Result<(), Response> {
    let unauthorized = || discord_error(401, 0, "401: Unauthorized");
    match header.and_then(|h| h.strip_prefix("Bot ")) {
        None => {
            s.violation(format!("{what}: no `Bot <token>` Authorization header"));
            Err(unauthorized())
        }
        Some(token) => match s.token() {
            Some(known) if known != token => {
                s.violation(format!("{what}: Authorization token differs from the one the client identified with"));
                Err(unauthorized())
            }
            Some(_) => Ok(()),
            None => {
                s.rest_token = Some(token.to_string());
                Ok(())
            }
        },
    }
}

fn parse_body(content_type: &str, bytes: &[u8]) -> Result<Body, String> {
    if let Some(boundary) = multipart::boundary(content_type) {
        let mut json = Value::Null;
        let mut files = Vec::new();
        for part in multipart::parse(&boundary, bytes)? {
            if part.name == "payload_json" {
                json = serde_json::from_slice(&part.data).map_err(|e| format!("payload_json is not JSON: {e}"))?;
            } else if let Some(index) = part.name.strip_prefix("files[").and_then(|n| n.strip_suffix(']')) {
                files.push(Upload {
                    index: index.to_string(),
                    filename: part.filename.unwrap_or_else(|| format!("file{index}")),
                    content_type: part.content_type,
                    data: part.data,
                });
            } else if part.name == "file" {
                files.push(Upload {
                    index: "0".into(),
                    filename: part.filename.unwrap_or_else(|| "file".into()),
                    content_type: part.content_type,
                    data: part.data,
                });
            }
        }
        return Ok(Body { json, files });
    }
    if bytes.is_empty() {
        return Ok(Body { json: Value::Null, files: Vec::new() });
    }
    let json = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    Ok(Body { json, files: Vec::new() })
}

/// Checks that serenity can read what the fake answers; a failure is a bug of the fake.
fn check_serenity<T: serde::de::DeserializeOwned>(s: &mut State, what: &str, value: &Value) {
    if let Err(why) = serde_json::from_value::<T>(value.clone()) {
        s.violation(format!("fake discord bug: serenity cannot parse the {what} it answers ({why}): {value}"));
    }
}

fn wrong_app(s: &mut State, what: &str, app: &str) -> Option<Response> {
    if snowflake(app) == Some(APP_ID) {
        return None;
    }
    s.violation(format!("{what}: application id {app} is not the bot's application {APP_ID}"));
    Some(discord_error(404, 10002, "Unknown Application"))
}

/// `GET`/`PUT`/`POST` of global or guild commands.
fn commands(s: &mut State, method: &Method, app: &str, scope: Option<u64>, body: &Value) -> Response {
    let where_ = match scope {
        Some(g) => format!("commands of guild {g}"),
        None => "global commands".to_string(),
    };
    if let Some(response) = wrong_app(s, &where_, app) {
        return response;
    }
    match method.as_str() {
        "GET" => ok(Value::Array(s.commands.get(&scope).cloned().unwrap_or_default())),
        "PUT" => {
            let breaches = limits::check_commands(body);
            if !breaches.is_empty() {
                for b in &breaches {
                    s.violation(format!("registering {where_}: {b}"));
                }
                return invalid_form(&breaches);
            }
            let stored: Vec<Value> =
                body.as_array().into_iter().flatten().map(|c| store_command(s, scope, c)).collect();
            check_serenity::<Vec<serenity::all::Command>>(s, "command list", &Value::Array(stored.clone()));
            s.commands.insert(scope, stored.clone());
            ok(Value::Array(stored))
        }
        "POST" => {
            let breaches = limits::check_commands(&json!([body]));
            if !breaches.is_empty() {
                for b in &breaches {
                    s.violation(format!("registering a command in {where_}: {b}"));
                }
                return invalid_form(&breaches);
            }
            let command = store_command(s, scope, body);
            let list = s.commands.entry(scope).or_default();
            list.retain(|c| !(c["name"] == command["name"] && c["type"] == command["type"]));
            list.push(command.clone());
            (StatusCode::CREATED, axum::Json(command)).into_response()
        }
        _ => discord_error(405, 0, "405: Method Not Allowed"),
    }
}

/// A registered command as Discord returns it: the body plus id, application_id, version.
fn store_command(s: &mut State, scope: Option<u64>, command: &Value) -> Value {
    let kind = command["type"].as_u64().unwrap_or(1);
    let name = command["name"].as_str().unwrap_or_default().to_string();
    let id = match s.command_ids.get(&(scope, kind, name.clone())) {
        Some(&id) => id,
        None => {
            let id = s.next_id();
            s.command_ids.insert((scope, kind, name), id);
            id
        }
    };
    let mut out = command.clone();
    out["id"] = json!(id.to_string());
    out["type"] = json!(kind);
    out["application_id"] = json!(APP_ID.to_string());
    out["version"] = json!(s.next_id().to_string());
    if out.get("description").is_none_or(Value::is_null) {
        out["description"] = json!("");
    }
    if let Some(g) = scope {
        out["guild_id"] = json!(g.to_string());
    }
    out
}

/// Attachment objects for the uploaded files, keyed by their `files[n]` index.
fn attachments(s: &mut State, channel: u64, files: &[Upload]) -> Vec<(String, Value)> {
    files
        .iter()
        .map(|f| {
            let id = s.next_id();
            let url = format!("https://cdn.discordapp.com/attachments/{channel}/{id}/{}", f.filename);
            let mut a = json!({
                "id": id.to_string(),
                "filename": f.filename,
                "size": f.data.len(),
                "url": url,
                "proxy_url": url,
            });
            if let Some(ct) = &f.content_type {
                a["content_type"] = json!(ct);
            }
            (f.index.clone(), a)
        })
        .collect()
}

fn file_list(files: &[Upload]) -> Vec<(String, Vec<u8>)> {
    files.iter().map(|f| (f.filename.clone(), f.data.clone())).collect()
}

/// Breaches of the upload size limit.
fn file_breaches(files: &[Upload]) -> Vec<Breach> {
    files
        .iter()
        .filter(|f| f.data.len() as u64 > payload::ATTACHMENT_SIZE_LIMIT)
        .map(|f| Breach {
            path: format!("files[{}]", f.index),
            code: "BASE_TYPE_MAX_LENGTH",
            message: format!("{} is {} bytes (max {})", f.filename, f.data.len(), payload::ATTACHMENT_SIZE_LIMIT),
        })
        .collect()
}

/// Applies a message body (create or edit) to a stored message object, Discord's way: fields
/// present replace, absent ones stay; `attachments` lists what to keep plus new uploads.
pub(super) fn apply_body(message: &mut Value, body: &Value, uploads: Vec<(String, Value)>, edit: bool) {
    if let Some(content) = body.get("content") {
        message["content"] = json!(content.as_str().unwrap_or(""));
    }
    if let Some(embeds) = body.get("embeds") {
        let embeds: Vec<Value> = embeds
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| {
                let mut e = e.clone();
                if e.get("type").is_none() {
                    e["type"] = json!("rich");
                }
                e
            })
            .collect();
        message["embeds"] = Value::Array(embeds);
    }
    if let Some(components) = body.get("components") {
        message["components"] = json!(components.as_array().cloned().unwrap_or_default());
    }
    let existing = message["attachments"].as_array().cloned().unwrap_or_default();
    let attachments = match body.get("attachments") {
        Some(Value::Array(wanted)) => {
            let mut out = Vec::new();
            let mut used = Vec::new();
            for w in wanted {
                let id = match &w["id"] {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                if let Some(old) = existing.iter().find(|a| a["id"] == id) {
                    out.push(old.clone());
                } else if let Some((index, new)) = uploads.iter().find(|(i, _)| *i == id) {
                    let mut new = new.clone();
                    if let Some(d) = w.get("description").filter(|d| !d.is_null()) {
                        new["description"] = d.clone();
                    }
                    out.push(new);
                    used.push(index.clone());
                }
            }
            out.extend(uploads.iter().filter(|(i, _)| !used.contains(i)).map(|(_, a)| a.clone()));
            out
        }
        Some(Value::Null) => uploads.into_iter().map(|(_, a)| a).collect(),
        _ => existing.into_iter().chain(uploads.into_iter().map(|(_, a)| a)).collect(),
    };
    message["attachments"] = Value::Array(attachments);
    let flags = body.get("flags").and_then(Value::as_u64);
    let current = message["flags"].as_u64().unwrap_or(0);
    if edit {
        message["edited_timestamp"] = json!(payload::now());
        if let Some(f) = flags {
            message["flags"] = json!((current & !4) | (f & 4));
        }
    } else {
        message["flags"] = json!(current | (flags.unwrap_or(0) & (4 | 64 | 4096)));
        if let Some(tts) = body.get("tts").and_then(Value::as_bool) {
            message["tts"] = json!(tts);
        }
    }
    let content = message["content"].as_str().unwrap_or("").to_string();
    let pings_everyone = (content.contains("@everyone") || content.contains("@here"))
        && limits::check_mentions(&json!({"content": content, "allowed_mentions": body.get("allowed_mentions")}))
            .iter()
            .any(|p| p.starts_with("content contains"));
    message["mention_everyone"] = json!(pings_everyone);
}

/// Checks a message body; returns the refusal to send, if any. Mention problems are recorded
/// but do not refuse.
fn check_outgoing(
    s: &mut State,
    what: &str,
    body: &Value,
    prefix: &str,
    files: &[Upload],
    creating: bool,
) -> Option<Response> {
    let mut breaches = limits::check_message(body, prefix);
    breaches.extend(file_breaches(files));
    if !breaches.is_empty() {
        for b in &breaches {
            s.violation(format!("{what}: {b}"));
        }
        if breaches.iter().any(|b| b.path.starts_with("files["))
            && breaches.iter().all(|b| b.path.starts_with("files["))
        {
            return Some(discord_error(413, 40005, "Request entity too large"));
        }
        return Some(invalid_form(&breaches));
    }
    if creating && limits::is_empty_message(body, !files.is_empty()) {
        s.violation(format!("{what}: empty message (no content, embeds, components or files)"));
        return Some(discord_error(400, 50006, "Cannot send an empty message"));
    }
    for problem in limits::check_mentions(body) {
        s.violation(format!("{what}: {problem}"));
    }
    None
}

fn log(
    s: &mut State,
    token: &str,
    kind: Sent,
    body: &Value,
    files: Vec<(String, Vec<u8>)>,
    message_id: Option<u64>,
    accepted: bool,
) {
    s.log.push(LogEntry {
        at: Instant::now(),
        token: token.to_string(),
        kind,
        body: body.clone(),
        files,
        message_id,
        accepted,
    });
}

/// A new message in `channel`, stored and returned.
fn create_message(
    s: &mut State,
    channel: u64,
    kind: u8,
    body: &Value,
    files: &[Upload],
    token: Option<&str>,
) -> (u64, Value) {
    let id = s.next_id();
    let mut message = payload::empty_message(id, channel, kind, token.is_some());
    let uploads = attachments(s, channel, files);
    apply_body(&mut message, body, uploads, false);
    check_serenity::<serenity::all::Message>(s, "message", &message);
    s.messages.insert(id, StoredMessage { value: message.clone(), token: token.map(str::to_string) });
    (id, message)
}

/// Edits a stored message and returns the new version. `as_edit` false is the first follow-up
/// after a deferral, which fills the "is thinking..." message and keeps its flags. Either way
/// the loading flag (128) goes.
fn edit_message(s: &mut State, id: u64, body: &Value, files: &[Upload], as_edit: bool) -> Value {
    let channel = s.messages[&id].value["channel_id"].as_str().and_then(snowflake).unwrap_or(0);
    let uploads = attachments(s, channel, files);
    let stored = s.messages.get_mut(&id).expect("stored message");
    let before = stored.value["flags"].as_u64().unwrap_or(0);
    apply_body(&mut stored.value, body, uploads, as_edit);
    let after = if as_edit { stored.value["flags"].as_u64().unwrap_or(0) } else { before };
    stored.value["flags"] = json!(after & !128);
    let message = stored.value.clone();
    check_serenity::<serenity::all::Message>(s, "message", &message);
    message
}

/// `POST /interactions/{id}/{token}/callback`: the initial response.
fn callback(s: &mut State, id: &str, token: &str, body: Body) -> Response {
    let now = Instant::now();
    let Some(inter) = s.interactions.get(token).filter(|i| i.id.to_string() == id) else {
        s.violation(format!("callback for unknown interaction {id}"));
        return discord_error(404, 10062, "Unknown interaction");
    };
    let (label, kind, dispatched, already, channel, component_message) =
        (inter.label.clone(), inter.kind, inter.dispatched, inter.callback.is_some(), inter.channel, inter.message);
    let what = format!("{label} callback");
    let json = body.json.clone();
    let files = file_list(&body.files);
    let callback_type = json["type"].as_u64().unwrap_or(0);
    let data = json.get("data").cloned().unwrap_or(Value::Null);

    if already {
        s.violation(format!(
            "{what}: a second callback (type {callback_type}); the interaction was already acknowledged"
        ));
        log(s, token, Sent::Callback, &json, files, None, false);
        return discord_error(400, 40060, "Interaction has already been acknowledged.");
    }
    let elapsed = now - dispatched;
    if elapsed > CALLBACK_DEADLINE {
        s.violation(format!(
            "{what}: late: arrived {:.2} s after the interaction (Discord allows 3 s)",
            elapsed.as_secs_f64()
        ));
        log(s, token, Sent::Callback, &json, files, None, false);
        return discord_error(404, 10062, "Unknown interaction");
    }
    let allowed: &[u64] = match kind {
        2 => &[4, 5, 9],
        3 => &[4, 5, 6, 7, 9],
        4 => &[8],
        5 if component_message.is_some() => &[4, 5, 6, 7],
        5 => &[4, 5, 6],
        _ => &[],
    };
    if !allowed.contains(&callback_type) {
        s.violation(format!("{what}: callback type {callback_type} is not valid here (allowed: {allowed:?})"));
        log(s, token, Sent::Callback, &json, files, None, false);
        return invalid_form(&[breach("type", "BASE_TYPE_CHOICES", "invalid interaction response type")]);
    }
    let refusal = match callback_type {
        4 => check_outgoing(s, &what, &data, "data.", &body.files, true),
        7 => check_outgoing(s, &what, &data, "data.", &body.files, false),
        8 => refuse_breaches(s, &what, limits::check_autocomplete(&data)),
        9 => refuse_breaches(s, &what, limits::check_modal(&data)),
        _ => None,
    };
    if let Some(response) = refusal {
        log(s, token, Sent::Callback, &json, files, None, false);
        return response;
    }

    let mut message_id = None;
    match callback_type {
        4 => {
            let message_type = if kind == 2 { 20 } else { 0 };
            let (id, _) = create_message(s, channel, message_type, &data, &body.files, Some(token));
            message_id = Some(id);
            s.interactions.get_mut(token).expect("interaction").original = Some(id);
        }
        5 => {
            let flags = data["flags"].as_u64().unwrap_or(0) & 64;
            let message_type = if kind == 2 { 20 } else { 0 };
            let (id, _) = create_message(s, channel, message_type, &json!({"flags": flags}), &[], Some(token));
            let stored = s.messages.get_mut(&id).expect("stored");
            stored.value["flags"] = json!(flags | 128);
            message_id = Some(id);
            let inter = s.interactions.get_mut(token).expect("interaction");
            inter.original = Some(id);
            inter.loading = true;
        }
        7 => {
            if let Some(id) = component_message.filter(|id| s.messages.contains_key(id)) {
                edit_message(s, id, &data, &body.files, true);
                message_id = Some(id);
            }
        }
        9 => s.interactions.get_mut(token).expect("interaction").modal = Some(data.clone()),
        _ => {}
    }
    s.interactions.get_mut(token).expect("interaction").callback = Some((json.clone(), now));
    log(s, token, Sent::Callback, &json, files, message_id, true);
    StatusCode::NO_CONTENT.into_response()
}

fn refuse_breaches(s: &mut State, what: &str, breaches: Vec<Breach>) -> Option<Response> {
    if breaches.is_empty() {
        return None;
    }
    for b in &breaches {
        s.violation(format!("{what}: {b}"));
    }
    Some(invalid_form(&breaches))
}

/// Finds the interaction of a webhook token, or the error to answer.
fn interaction_of<'a>(s: &'a mut State, what: &str, token: &str) -> Result<&'a mut super::Interaction, Response> {
    if !s.interactions.contains_key(token) {
        s.violation(format!("{what}: unknown interaction token"));
        return Err(discord_error(404, 10015, "Unknown Webhook"));
    }
    let expired = s.interactions[token].dispatched.elapsed() > TOKEN_LIFETIME;
    if expired {
        let label = s.interactions[token].label.clone();
        s.violation(format!("{what} for {label}: the interaction token expired (15 minutes)"));
        return Err(discord_error(401, 50027, "Invalid Webhook Token"));
    }
    Ok(s.interactions.get_mut(token).expect("interaction"))
}

/// `POST /webhooks/{app}/{token}`: a follow-up message.
fn followup(s: &mut State, app: &str, token: &str, body: Body) -> Response {
    if let Some(response) = wrong_app(s, "follow-up", app) {
        return response;
    }
    let inter = match interaction_of(s, "follow-up", token) {
        Ok(i) => i,
        Err(response) => return response,
    };
    let (label, acknowledged, loading, original, channel) =
        (inter.label.clone(), inter.callback.is_some(), inter.loading, inter.original, inter.channel);
    let what = format!("{label} follow-up");
    let files = file_list(&body.files);
    if !acknowledged {
        s.violation(format!("{what}: sent before the interaction was acknowledged"));
        log(s, token, Sent::Followup, &body.json, files, None, false);
        return discord_error(404, 10015, "Unknown Webhook");
    }
    if let Some(response) = check_outgoing(s, &what, &body.json, "", &body.files, true) {
        log(s, token, Sent::Followup, &body.json, files, None, false);
        return response;
    }
    // After a deferred response, the first follow-up replaces the "is thinking..." message.
    let (id, message) = match original.filter(|id| loading && s.messages.contains_key(id)) {
        Some(id) => {
            s.interactions.get_mut(token).expect("interaction").loading = false;
            (id, edit_message(s, id, &body.json, &body.files, false))
        }
        None => create_message(s, channel, 0, &body.json, &body.files, Some(token)),
    };
    log(s, token, Sent::Followup, &body.json, files, Some(id), true);
    ok(message)
}

/// `GET`/`PATCH`/`DELETE /webhooks/{app}/{token}/messages/{@original|id}`.
fn webhook_message(s: &mut State, method: &Method, app: &str, token: &str, which: &str, body: Body) -> Response {
    if let Some(response) = wrong_app(s, "webhook message", app) {
        return response;
    }
    let what = format!("{method} {which}");
    let inter = match interaction_of(s, &what, token) {
        Ok(i) => i,
        Err(response) => return response,
    };
    let label = inter.label.clone();
    let is_original = which == "@original";
    let target = if is_original { inter.original } else { snowflake(which) };
    let files = file_list(&body.files);
    let kind = if is_original { Sent::EditOriginal } else { Sent::EditFollowup };
    let what = format!("{label} {what}");
    let Some(id) =
        target.filter(|id| s.messages.get(id).is_some_and(|m| is_original || m.token.as_deref() == Some(token)))
    else {
        s.violation(format!("{what}: there is no such message (no response sent yet, or deleted)"));
        if method != Method::GET {
            log(s, token, kind, &body.json, files, None, false);
        }
        return discord_error(404, 10008, "Unknown Message");
    };
    match method.as_str() {
        "GET" => ok(s.messages[&id].value.clone()),
        "DELETE" => {
            s.messages.remove(&id);
            if is_original {
                s.interactions.get_mut(token).expect("interaction").original = None;
            }
            log(s, token, Sent::Delete, &Value::Null, Vec::new(), Some(id), true);
            StatusCode::NO_CONTENT.into_response()
        }
        "PATCH" => {
            if let Some(response) = check_outgoing(s, &what, &body.json, "", &body.files, false) {
                log(s, token, kind, &body.json, files, None, false);
                return response;
            }
            if is_original {
                s.interactions.get_mut(token).expect("interaction").loading = false;
            }
            let message = edit_message(s, id, &body.json, &body.files, true);
            log(s, token, kind, &body.json, files, Some(id), true);
            ok(message)
        }
        _ => discord_error(405, 0, "405: Method Not Allowed"),
    }
}

/// Waits until the fake stops, for a request it never answers.
async fn never_answer(mut stop: watch::Receiver<bool>) -> Response {
    let _ = stop.wait_for(|stopped| *stopped).await;
    discord_error(503, 0, "fake discord stopped")
}

/// `POST /channels/{id}/messages`: the answer, and the post when it created a message.
fn channel_message(s: &mut State, channel: u64, body: Body) -> (Response, Option<HeldPost>) {
    let what = format!("message in channel {channel}");
    if let Some(response) = check_outgoing(s, &what, &body.json, "", &body.files, true) {
        return (response, None);
    }
    let nonce = match &body.json["nonce"] {
        Value::String(nonce) => Some(nonce.clone()),
        Value::Number(nonce) => Some(nonce.to_string()),
        _ => None,
    };
    // `enforce_nonce`: a nonce already used in this channel returns that message.
    let enforced = nonce.clone().filter(|_| s.nonce_dedup && body.json["enforce_nonce"] == true);
    if let Some(id) = enforced.as_ref().and_then(|n| s.nonces.get(&(channel, n.clone())))
        && let Some(message) = s.messages.get(id)
    {
        return (ok(message.value.clone()), None);
    }
    let kind = if body.json.get("message_reference").is_some_and(|r| !r.is_null()) { 19 } else { 0 };
    let (id, mut message) = create_message(s, channel, kind, &body.json, &body.files, None);
    s.channel_messages.push(id);
    if let Some(nonce) = &enforced {
        s.nonces.insert((channel, nonce.clone()), id);
    }
    if let Some(nonce) = &nonce {
        *s.nonce_posts.entry((channel, nonce.clone())).or_default() += 1;
        // The answer echoes the nonce; the stored message (fetched later) has none, as on Discord.
        message["nonce"] = body.json["nonce"].clone();
    }
    let post = HeldPost { channel_id: channel, message_id: id, nonce, body: body.json };
    (ok(message), Some(post))
}

/// `GET /channels/{id}/messages?limit=&before=|after=|around=`: the channel's history, newest
/// first, as Discord answers it (no `nonce`; ephemeral messages are not in it).
fn history(s: &mut State, channel: u64, query: &str) -> Response {
    if let Some(status) = s.closed_channels.get(&channel).copied() {
        return match status {
            403 => discord_error(403, 50001, "Missing Access"),
            _ => discord_error(404, 10003, "Unknown Channel"),
        };
    }
    let mut limit = 50;
    let mut anchor: Option<(&str, u64)> = None;
    let mut breaches = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "limit" => match value.parse::<usize>() {
                Ok(n) if (1..=100).contains(&n) => limit = n,
                _ => breaches.push(breach("limit", "NUMBER_TYPE_MAX", "Must be between 1 and 100.")),
            },
            "before" | "after" | "around" => match (snowflake(value), anchor) {
                (Some(id), None) => anchor = Some((key, id)),
                (Some(_), Some((first, _))) => {
                    breaches.push(breach(key, "BASE_TYPE_BAD", &format!("cannot be combined with {first}")))
                }
                (None, _) => breaches.push(breach(key, "NUMBER_TYPE_COERCE", &format!("{value:?} is not snowflake."))),
            },
            _ => {}
        }
    }
    if !breaches.is_empty() {
        for b in &breaches {
            s.violation(format!("GET messages of channel {channel}: {b}"));
        }
        return invalid_form(&breaches);
    }
    let mut ids: Vec<u64> = s
        .messages
        .iter()
        .filter(|(_, m)| m.value["channel_id"].as_str().and_then(snowflake) == Some(channel))
        .filter(|(_, m)| m.value["flags"].as_u64().unwrap_or(0) & 64 == 0)
        .map(|(id, _)| *id)
        .collect();
    ids.sort_unstable();
    let newest_first = |ids: &mut dyn Iterator<Item = u64>, n: usize| -> Vec<u64> {
        let mut picked: Vec<u64> = ids.take(n).collect();
        picked.sort_unstable_by(|a, b| b.cmp(a));
        picked
    };
    let picked = match anchor {
        None => newest_first(&mut ids.iter().rev().copied(), limit),
        Some(("before", x)) => newest_first(&mut ids.iter().rev().copied().filter(|id| *id < x), limit),
        // The messages right after `x` (the oldest ones), still newest first.
        Some(("after", x)) => newest_first(&mut ids.iter().copied().filter(|id| *id > x), limit),
        Some((_, x)) => {
            let newer = limit / 2;
            let mut around = newest_first(&mut ids.iter().copied().filter(|id| *id > x), newer);
            around.extend(newest_first(&mut ids.iter().rev().copied().filter(|id| *id <= x), limit - newer));
            around
        }
    };
    let messages: Vec<Value> = picked
        .iter()
        .map(|id| {
            let mut m = s.messages[id].value.clone();
            if let Some(m) = m.as_object_mut() {
                m.remove("nonce");
            }
            m
        })
        .collect();
    let messages = Value::Array(messages);
    check_serenity::<Vec<serenity::all::Message>>(s, "message history", &messages);
    ok(messages)
}

/// `GET`/`PATCH`/`DELETE /channels/{c}/messages/{m}`.
fn stored_message(s: &mut State, method: &Method, channel: u64, id: u64, body: Body) -> Response {
    let known =
        s.messages.get(&id).is_some_and(|m| m.value["channel_id"].as_str().and_then(snowflake) == Some(channel));
    if !known {
        if method != Method::GET {
            s.violation(format!("{method} message {id} in channel {channel}: no such message"));
        }
        return discord_error(404, 10008, "Unknown Message");
    }
    match method.as_str() {
        "GET" => ok(s.messages[&id].value.clone()),
        "DELETE" => {
            s.messages.remove(&id);
            StatusCode::NO_CONTENT.into_response()
        }
        "PATCH" => {
            let what = format!("edit of message {id} in channel {channel}");
            if let Some(response) = check_outgoing(s, &what, &body.json, "", &body.files, false) {
                return response;
            }
            ok(edit_message(s, id, &body.json, &body.files, true))
        }
        _ => discord_error(405, 0, "405: Method Not Allowed"),
    }
}
