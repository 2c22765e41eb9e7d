//! A fake Discord on 127.0.0.1 (REST under `/api/v10` and the gateway websocket) that the real
//! serenity/poise bot talks to in tests; it records what the bot sends and checks Discord's rules.
//!
//! Start it with [`FakeDiscord::start`], give the bot [`FakeDiscord::url`] as its API proxy
//! (`HttpBuilder::new(token).proxy(url).ratelimiter_disabled(true)`), wait for
//! [`FakeDiscord::wait_ready`] and [`FakeDiscord::wait_commands`], then play a user with
//! [`FakeDiscord::command`], [`FakeDiscord::autocomplete`], [`FakeDiscord::component`] and
//! [`FakeDiscord::modal_submit`]. Each returns an [`Outcome`]: what the bot answered, how fast,
//! and what it sent afterwards. [`FakeDiscord::violations`] lists every request that broke a
//! Discord rule (limits, `allowed_mentions`, late or double callbacks...).
//!
//! Every interaction payload is checked against serenity's own deserializer before it is sent,
//! so a payload serenity would silently drop fails the test instead.
//!
//! The gateway keeps one session per shard (IDENTIFY's `shard`, `[0, 1]` when absent) and sends
//! a guild's events to the session serving `(guild_id >> 22) % count`, as Discord does; see
//! [`FakeDiscord::identified_shards`] and [`FakeDiscord::shard_overlaps`]. Channel posts can be
//! made slow ([`FakeDiscord::set_post_delay`]) or never answered
//! ([`FakeDiscord::hold_next_post`]), and `GET /channels/{id}/messages` pages the history.
//!
//! State lives behind a `std::sync::Mutex` held only for short, non-async sections; waiting is
//! done on a `tokio::sync::watch` channel that is bumped on every change.

#![allow(dead_code)]

mod gateway;
pub mod limits;
pub mod multipart;
pub mod payload;
pub mod raw_gateway;
mod rest;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// The application id of the fake bot application.
pub const APP_ID: u64 = 1_000_000_000_000_000_001;
/// The user id of the bot user (distinct from [`APP_ID`] so mix-ups show).
pub const BOT_USER_ID: u64 = 1_000_000_000_000_000_002;
/// The user id of the application's owner (`GET /applications/@me`).
pub const OWNER_USER_ID: u64 = 1_000_000_000_000_000_003;
/// The Manage Server permission bit.
pub const MANAGE_GUILD: u64 = 1 << 5;
/// The Administrator permission bit (grants everything, also `default_member_permissions`).
pub const ADMINISTRATOR: u64 = 1 << 3;
/// What the bot may do in a channel unless a test changes it with
/// [`FakeDiscord::set_app_permissions`]: view, send, embed links, attach files, read history,
/// add reactions, external emojis, use application commands, send in threads.
pub const DEFAULT_APP_PERMISSIONS: u64 =
    (1 << 10) | (1 << 11) | (1 << 14) | (1 << 15) | (1 << 16) | (1 << 6) | (1 << 18) | (1 << 31) | (1 << 38);

/// How long the bot must stay quiet after its callback before an [`Outcome`] is complete.
const QUIET: Duration = Duration::from_millis(300);
/// The longest an [`Outcome`] waits for the callback plus follow-ups.
const OUTCOME_MAX: Duration = Duration::from_secs(10);
/// How long [`FakeDiscord::wait_ready`] and [`FakeDiscord::wait_commands`] wait.
const WAIT_MAX: Duration = Duration::from_secs(30);
/// Discord's deadline for the initial interaction response.
const CALLBACK_DEADLINE: Duration = Duration::from_secs(3);

/// The user pressing keys in a test: who they are and what Discord says they may do.
#[derive(Clone, Debug)]
pub struct Member {
    /// Their user id.
    pub user_id: u64,
    /// Their user name (also used as global name).
    pub name: String,
    /// Their permission bits in the channel, as Discord computes them (`member.permissions`).
    pub permissions: u64,
    /// Their role ids in the guild.
    pub roles: Vec<u64>,
}

impl Member {
    /// A member with the given permission bits and no roles.
    pub fn new(user_id: u64, name: &str, permissions: u64) -> Member {
        Member { user_id, name: name.to_string(), permissions, roles: Vec::new() }
    }
}

/// What happened after one interaction: the bot's callback and everything it sent for it.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The accepted interaction callback body `{"type": .., "data": ..}`; `Null` when every
    /// callback the bot tried was refused (see [`Outcome::rejected`] and the violations).
    pub callback: Value,
    /// From sending INTERACTION_CREATE to receiving the callback (or the first refused attempt).
    pub latency: Duration,
    /// From sending INTERACTION_CREATE to the last accepted callback, follow-up or edit: when the
    /// user saw the final answer (after a deferral, the follow-up that fills it).
    pub answered: Duration,
    /// Bodies of follow-up POSTs and `@original`/follow-up PATCHes, in order, for this
    /// interaction's token and for the token it came from (the command that opened a modal, the
    /// interaction whose message holds the pressed button).
    pub followups: Vec<Value>,
    /// Files uploaded with the callback or the follow-ups: (file name, bytes).
    pub files: Vec<(String, Vec<u8>)>,
    /// Bodies the fake refused (limits, second callback, unknown message), in order.
    pub rejected: Vec<Value>,
    /// The interaction as it was dispatched (handy for debugging payload shapes).
    pub interaction: Value,
    /// The full message object the user sees at the end, computed by the fake.
    shown: Value,
    /// The interaction token and where its requests start in the log, to collect again.
    token: String,
    log_start: usize,
}

impl Outcome {
    /// What the user finally sees: the response message as last edited (callback data, then
    /// `@original` edits, applied by the fake), or the last follow-up when the response itself
    /// did not change (a modal submit acknowledged with type 6, ...). A full Message object
    /// (ids, author, timestamp, content, embeds, components, attachments, flags) that can be
    /// passed to [`FakeDiscord::component`]. `Null` when nothing was shown.
    pub fn message(&self) -> Value {
        self.shown.clone()
    }

    /// Whether the response is only visible to the user: flags & 64 on the callback data
    /// (also for a deferred callback).
    pub fn ephemeral(&self) -> bool {
        self.callback.pointer("/data/flags").and_then(Value::as_u64).unwrap_or(0) & 64 != 0
    }

    /// The words of [`Outcome::message`]: content, then each embed's author, title, description,
    /// field names and values and footer, one per line.
    pub fn text(&self) -> String {
        message_text(&self.shown)
    }

    /// The custom ids of the buttons and selects on [`Outcome::message`].
    pub fn custom_ids(&self) -> Vec<String> {
        components_of(&self.shown).into_iter().filter_map(|c| c["custom_id"].as_str().map(str::to_string)).collect()
    }
}

/// The words of a message: content, then embed author, title, description, fields and footer.
pub fn message_text(message: &Value) -> String {
    let mut lines: Vec<String> = Vec::new();
    if let Some(content) = message.get("content").and_then(Value::as_str).filter(|c| !c.is_empty()) {
        lines.push(content.to_string());
    }
    for embed in message.get("embeds").and_then(Value::as_array).into_iter().flatten() {
        for pointer in ["/author/name", "/title", "/description"] {
            if let Some(s) = embed.pointer(pointer).and_then(Value::as_str) {
                lines.push(s.to_string());
            }
        }
        for field in embed.get("fields").and_then(Value::as_array).into_iter().flatten() {
            for key in ["name", "value"] {
                if let Some(s) = field.get(key).and_then(Value::as_str) {
                    lines.push(s.to_string());
                }
            }
        }
        if let Some(s) = embed.pointer("/footer/text").and_then(Value::as_str) {
            lines.push(s.to_string());
        }
    }
    lines.join("\n")
}

/// Every button and select inside a message's action rows.
fn components_of(message: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    for row in message.get("components").and_then(Value::as_array).into_iter().flatten() {
        for c in row.get("components").and_then(Value::as_array).into_iter().flatten() {
            out.push(c.clone());
        }
    }
    out
}

/// What kind of request a log entry records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sent {
    Callback,
    Followup,
    EditOriginal,
    EditFollowup,
    Delete,
}

/// One request the bot made with an interaction token, accepted or refused.
#[derive(Debug)]
struct LogEntry {
    at: Instant,
    token: String,
    kind: Sent,
    body: Value,
    files: Vec<(String, Vec<u8>)>,
    /// The message the request created or changed.
    message_id: Option<u64>,
    accepted: bool,
}

/// An interaction the fake dispatched, and the bot's answers to it.
#[derive(Debug)]
struct Interaction {
    id: u64,
    token: String,
    /// Interaction type: 2 command, 3 component, 4 autocomplete, 5 modal submit.
    kind: u8,
    /// `/cost add`, `button "x"`, ...: for violation messages.
    label: String,
    guild: Option<u64>,
    channel: u64,
    dispatched: Instant,
    callback: Option<(Value, Instant)>,
    /// The message `@original` refers to.
    original: Option<u64>,
    /// `@original` is still Discord's "is thinking..." placeholder of a deferred response.
    loading: bool,
    /// Modal data, when the callback opened a modal.
    modal: Option<Value>,
    /// Token of the interaction this one came from (modal opener, owner of the button message).
    related: Option<String>,
    /// For components: the message holding the component (the interaction's `message`).
    message: Option<u64>,
}

/// A message the bot created (interaction response, follow-up or channel message).
#[derive(Debug)]
struct StoredMessage {
    value: Value,
    /// The interaction token whose response or follow-up created it.
    token: Option<String>,
}

/// A shard as IDENTIFY names it: `(shard id, shard count)`.
pub type Shard = (u32, u32);

/// How long a dispatch waits for a gateway session serving its shard before the test fails
/// (unless [`FakeDiscord::set_shard_wait`] changes it).
const SHARD_WAIT: Duration = Duration::from_secs(10);

/// The shard that receives `guild`'s events when the bot runs `count` shards (Discord's rule).
pub fn shard_of(guild_id: u64, count: u32) -> u32 {
    ((guild_id >> 22) % u64::from(count.max(1))) as u32
}

/// A guild id (a snowflake of 2024) whose events go to shard `shard` of `count`.
pub fn guild_on_shard(shard: u32, count: u32) -> u64 {
    assert!(shard < count, "fake discord: shard {shard} does not exist among {count}");
    // 2024-01-01 in Discord's epoch, in ms; rounded down to a multiple of `count`.
    let ms = 283_996_800_000 / u64::from(count) * u64::from(count);
    ((ms + u64::from(shard)) << 22) | 1
}

/// Whether two shards serve a guild in common: `g % n == a` and `g % m == b` both hold for some
/// `g` exactly when `a` and `b` agree modulo gcd(n, m).
fn shards_meet((a, n): Shard, (b, m): Shard) -> bool {
    fn gcd(x: u32, y: u32) -> u32 {
        if y == 0 { x } else { gcd(y, x % y) }
    }
    let g = gcd(n, m).max(1);
    a % g == b % g
}

/// The guild a dispatch is about: `guild_id`, or `id` for the GUILD_* events about the guild
/// itself.
fn guild_of(event: &str, data: &Value) -> Option<u64> {
    let field = if matches!(event, "GUILD_CREATE" | "GUILD_UPDATE" | "GUILD_DELETE") { "id" } else { "guild_id" };
    match &data[field] {
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.as_u64(),
        _ => None,
    }
}

/// A gateway connection that IDENTIFYed or RESUMEd and is still open: a place events can go.
#[derive(Debug)]
struct Gateway {
    conn: u64,
    tx: mpsc::UnboundedSender<String>,
    /// The shard it serves (from IDENTIFY, or from the session it resumed).
    shard: Shard,
    /// The session it carries, in [`State::sessions`].
    session_id: String,
    /// When it identified or resumed (an id from [`State::next_id`]); the newest one serving a
    /// shard gets that shard's events.
    since: u64,
}

/// A gateway session as Discord remembers it, after its connection closed too, for RESUME.
#[derive(Debug)]
struct Session {
    shard: Shard,
    /// Sequence number of the last dispatch sent in it.
    seq: u64,
}

/// A channel post the fake stored but will never answer (see [`FakeDiscord::hold_next_post`]).
#[derive(Clone, Debug)]
pub struct HeldPost {
    /// The channel it was posted in.
    pub channel_id: u64,
    /// The message it created (in the channel, never confirmed to the bot).
    pub message_id: u64,
    /// The body's `nonce`, as a string (whether or not `enforce_nonce` was set).
    pub nonce: Option<String>,
    /// The JSON body (or `payload_json`) of the request.
    pub body: Value,
}

/// Everything the fake knows; see the field docs for why each exists.
#[derive(Default)]
struct State {
    /// Last snowflake handed out, so ids are unique and increasing.
    last_id: u64,
    /// Token from IDENTIFY.
    identify_token: Option<String>,
    /// Token from the first REST request's Authorization header (before IDENTIFY).
    rest_token: Option<String>,
    /// Open gateway connections that IDENTIFYed or RESUMEd, by connection id: where
    /// dispatches go (see [`State::route`]).
    gateways: HashMap<u64, Gateway>,
    /// Sessions by id, kept after their connection closes so a RESUME can continue them.
    sessions: HashMap<String, Session>,
    /// IDENTIFYs ever received, by shard id, so a test can see a shard was started once.
    identifies: HashMap<u32, usize>,
    /// The shard count of the last IDENTIFY, to name the missing shard when none is connected.
    last_shard_count: Option<u32>,
    /// Each time a session started serving guilds a connected session already served: the bot
    /// ran one shard twice at once, and Discord would deliver those guilds' events to both.
    shard_overlaps: Vec<String>,
    /// `shards` in `GET /gateway/bot` (Discord's recommendation).
    recommended_shards: u32,
    /// How long a dispatch waits for a session serving its shard.
    shard_wait: Duration,
    /// Registered commands by scope (None = global), as last bulk-overwritten (with ids).
    commands: HashMap<Option<u64>, Vec<Value>>,
    /// Command ids by (scope, type, name), so re-registering keeps ids like Discord does.
    command_ids: HashMap<(Option<u64>, u64, String), u64>,
    interactions: HashMap<String, Interaction>,
    messages: HashMap<u64, StoredMessage>,
    /// Ids of messages posted with `POST /channels/{id}/messages`, in order.
    channel_messages: Vec<u64>,
    /// Known channels: id -> (guild, DM recipient user id).
    channels: HashMap<u64, (Option<u64>, Option<u64>)>,
    /// The channel interactions come from: (guild, user) -> channel (user is 0 in a guild).
    channel_of: HashMap<(Option<u64>, u64), u64>,
    /// Users and members seen in interactions (for resolved options and REST look-ups).
    users: HashMap<u64, Value>,
    members: HashMap<(u64, u64), Value>,
    /// Roles added with [`FakeDiscord::add_role`], by guild.
    roles: HashMap<u64, Vec<Value>>,
    /// Files attached to commands: id -> (file name, bytes), served at `/attachments/{id}/{name}`.
    attachments: HashMap<u64, (String, Vec<u8>)>,
    /// Locale of each user's last command, reused for their later interactions.
    locales: HashMap<u64, String>,
    app_permissions: u64,
    violations: Vec<String>,
    /// Answers queued for the next `POST /channels/{id}/messages`: (status, Retry-After seconds).
    channel_failures: std::collections::VecDeque<(u16, Option<f64>)>,
    /// Channels that are gone (404 Unknown Channel) or forbidden (403 Missing Access).
    closed_channels: HashMap<u64, u16>,
    /// Every `POST /channels/{id}/messages` the bot made, answered or not.
    channel_post_attempts: usize,
    /// How many of the next channel posts are stored but answered with a 502, as when the
    /// answer is lost on the way back.
    lost_answers: usize,
    /// Messages created with `enforce_nonce`, by channel and nonce: a post repeating one gets
    /// the message back instead of a second one, as Discord does (for a few minutes).
    nonces: HashMap<(u64, String), u64>,
    /// Whether [`State::nonces`] is used; off, every post makes a message, as after Discord's
    /// few minutes, so tests prove the bot itself never posts twice.
    nonce_dedup: bool,
    /// Channel messages created, by channel and the body's `nonce` (with or without
    /// `enforce_nonce`).
    nonce_posts: HashMap<(u64, String), usize>,
    /// The range the answer to a channel post or edit is delayed by (a slow Discord).
    post_delay: (Duration, Duration),
    /// State of the generator that picks each delay (splitmix64, fixed seed: reproducible).
    rng: u64,
    /// Who to tell about the next channel post, which is stored and never answered.
    hold: Option<oneshot::Sender<HeldPost>>,
    requests: Vec<(String, String)>,
    unhandled: Vec<(String, String)>,
    log: Vec<LogEntry>,
}

impl State {
    fn next_id(&mut self) -> u64 {
        const DISCORD_EPOCH_MS: u64 = 1_420_070_400_000;
        let ms = chrono::Utc::now().timestamp_millis() as u64 - DISCORD_EPOCH_MS;
        self.last_id = (ms << 22).max(self.last_id + 1);
        self.last_id
    }

    fn violation(&mut self, text: String) {
        self.violations.push(text);
    }

    fn token(&self) -> Option<String> {
        self.identify_token.clone().or_else(|| self.rest_token.clone())
    }

    /// The channel an interaction of `user` in `guild` comes from (one per guild, one DM per user).
    fn channel_for(&mut self, guild: Option<u64>, user: u64) -> u64 {
        let key = (guild, if guild.is_some() { 0 } else { user });
        if let Some(&c) = self.channel_of.get(&key) {
            return c;
        }
        let id = self.next_id();
        self.channel_of.insert(key, id);
        self.channels.insert(id, (guild, if guild.is_some() { None } else { Some(user) }));
        id
    }

    /// The connection that gets the events of `guild` (None: events without a guild, which go
    /// to shard 0): the newest one serving shard `(guild_id >> 22) % count`. With connections
    /// of different shard counts (a resharding), each count is asked and the newest wins.
    fn route(&self, guild: Option<u64>) -> Result<u64, String> {
        let serves = |g: &&Gateway| g.shard.0 == guild.map_or(0, |id| shard_of(id, g.shard.1));
        match self.gateways.values().filter(serves).max_by_key(|g| g.since) {
            Some(g) => Ok(g.conn),
            None => {
                let count = self
                    .gateways
                    .values()
                    .map(|g| g.shard.1)
                    .max()
                    .or(self.last_shard_count)
                    .unwrap_or(self.recommended_shards.max(1));
                let shard = guild.map_or(0, |id| shard_of(id, count));
                Err(format!("no gateway session serves shard {shard} of {count}"))
            }
        }
    }

    /// Sends a dispatch to the connection [`State::route`] picks for it.
    fn send_dispatch(&mut self, event: &str, data: Value) -> Result<(), String> {
        let conn = self.route(guild_of(event, &data))?;
        let gateway = &self.gateways[&conn];
        let session = self.sessions.get_mut(&gateway.session_id).ok_or("the gateway session is gone")?;
        session.seq += 1;
        let frame = json!({"op": 0, "t": event, "s": session.seq, "d": data});
        gateway.tx.send(frame.to_string()).map_err(|_| "gateway connection closed".to_string())
    }

    /// How long to keep the answer to a channel post or edit back, within [`State::post_delay`].
    fn post_delay(&mut self) -> Duration {
        let (min, max) = self.post_delay;
        if max <= min {
            return min;
        }
        self.rng = self.rng.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        let span = (max - min).as_nanos() as u64;
        min + Duration::from_nanos(z % (span + 1))
    }

    /// The registered command `name` usable in `guild` (guild commands first, then global).
    fn find_command(&self, guild: Option<u64>, name: &str) -> Option<(Option<u64>, Value)> {
        let scopes = if guild.is_some() { vec![guild, None] } else { vec![None] };
        scopes.into_iter().find_map(|scope| {
            self.commands
                .get(&scope)?
                .iter()
                .find(|c| c["name"] == name && c["type"].as_u64().unwrap_or(1) == 1)
                .map(|c| (scope, c.clone()))
        })
    }
}

/// State shared by the test-facing handle, the REST handlers and the gateway sessions.
struct Shared {
    state: Mutex<State>,
    /// Bumped on every change; waiters subscribe to it.
    changes: watch::Sender<u64>,
    port: u16,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `f` on the state and wakes every waiter.
    fn update<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        let r = f(&mut self.lock());
        self.changes.send_modify(|v| *v += 1);
        r
    }

    fn ws_url(&self) -> String {
        format!("ws://127.0.0.1:{}/ws", self.port)
    }

    /// Waits (up to [`SHARD_WAIT`]) until a gateway session serves the shard of `guild`, or
    /// returns why not ("no gateway session serves shard N of M").
    async fn wait_route(&self, guild: Option<u64>) -> Result<(), String> {
        let deadline = Instant::now() + self.lock().shard_wait;
        match self.wait_until(deadline, |s| s.route(guild).ok()).await {
            Some(_) => Ok(()),
            None => self.lock().route(guild).map(|_| ()),
        }
    }

    /// Waits until `f` returns `Some`, or `deadline` passes.
    async fn wait_until<R>(&self, deadline: Instant, mut f: impl FnMut(&State) -> Option<R>) -> Option<R> {
        let mut rx = self.changes.subscribe();
        loop {
            rx.borrow_and_update();
            if let Some(r) = f(&self.lock()) {
                return Some(r);
            }
            match tokio::time::timeout_at(deadline, rx.changed()).await {
                Ok(Ok(())) => {}
                _ => return f(&self.lock()),
            }
        }
    }
}

/// The fake Discord: an HTTP server on 127.0.0.1 with the REST API and the gateway websocket.
pub struct FakeDiscord {
    shared: Arc<Shared>,
    /// Tells the server and the gateway sessions to stop.
    stop: watch::Sender<bool>,
    server: Option<JoinHandle<()>>,
}

impl FakeDiscord {
    /// Starts REST and the gateway websocket on 127.0.0.1 on a free port.
    pub async fn start() -> FakeDiscord {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1:0");
        let port = listener.local_addr().expect("local addr").port();
        let state = State {
            app_permissions: DEFAULT_APP_PERMISSIONS,
            recommended_shards: 1,
            shard_wait: SHARD_WAIT,
            nonce_dedup: true,
            rng: 0x5eed,
            ..State::default()
        };
        let shared = Arc::new(Shared { state: Mutex::new(state), changes: watch::channel(0).0, port });
        let (stop, stopped) = watch::channel(false);
        let app = axum::Router::new()
            .route("/ws", axum::routing::get(gateway::upgrade))
            .fallback(rest::handle)
            .layer(axum::extract::DefaultBodyLimit::max(64 * 1024 * 1024))
            .with_state((shared.clone(), stopped.clone()));
        let mut until_stop = stopped;
        let server = tokio::spawn(async move {
            let shutdown = async move {
                let _ = until_stop.wait_for(|s| *s).await;
            };
            axum::serve(listener, app).with_graceful_shutdown(shutdown).await.expect("fake discord server");
        });
        FakeDiscord { shared, stop, server: Some(server) }
    }

    /// A file a member attaches to a command: pass the id it returns as the attachment option's
    /// value.
    pub fn add_attachment(&self, file_name: &str, bytes: Vec<u8>) -> u64 {
        self.shared.update(|s| {
            let id = 990_000_000_000_000_000 + s.attachments.len() as u64;
            s.attachments.insert(id, (file_name.to_string(), bytes));
            id
        })
    }

    /// `http://127.0.0.1:PORT`: what the bot gets as `DISCORD_API_PROXY`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.shared.port)
    }

    /// `ws://127.0.0.1:PORT/ws`: the gateway URL that `GET /gateway` and `GET /gateway/bot` give.
    pub fn gateway_url(&self) -> String {
        self.shared.ws_url()
    }

    /// Waits until at least one gateway session is connected and ready (IDENTIFY answered with
    /// READY, or RESUME with RESUMED); panics after 30 s.
    pub async fn wait_ready(&self) {
        let deadline = Instant::now() + WAIT_MAX;
        if self.shared.wait_until(deadline, |s| (!s.gateways.is_empty()).then_some(())).await.is_none() {
            panic!("fake discord: no client identified within 30 s; requests so far: {:?}", self.requests());
        }
    }

    /// The token the client identified with (or, before IDENTIFY, sent in REST Authorization),
    /// without the `Bot ` prefix.
    pub fn token(&self) -> Option<String> {
        self.shared.lock().token()
    }

    /// The last bulk-overwritten command list of `guild` (None = global), with the ids the fake
    /// gave them. Waits up to 30 s for the first overwrite, then panics.
    pub async fn wait_commands(&self, guild: Option<u64>) -> Vec<Value> {
        let deadline = Instant::now() + WAIT_MAX;
        match self.shared.wait_until(deadline, |s| s.commands.get(&guild).cloned()).await {
            Some(commands) => commands,
            None => panic!(
                "fake discord: no commands registered for {guild:?} within 30 s; violations: {:?}; requests: {:?}",
                self.violations(),
                self.requests()
            ),
        }
    }

    /// Whether Discord would offer `/name` to `who` in `guild`: registered there or globally,
    /// allowed in DMs if `guild` is None, and `default_member_permissions` met (or Administrator).
    /// The interaction methods dispatch regardless (server admins can override command access),
    /// so bots must check permissions at run time too.
    pub fn command_available(&self, who: &Member, guild: Option<u64>, name: &str) -> bool {
        let state = self.shared.lock();
        let Some((_, command)) = state.find_command(guild, name) else { return false };
        if guild.is_none() {
            if command.get("dm_permission") == Some(&Value::Bool(false)) {
                return false;
            }
            if let Some(contexts) = command.get("contexts").and_then(Value::as_array)
                && !contexts.iter().any(|c| c.as_u64() == Some(1))
            {
                return false;
            }
        }
        let needed = command
            .get("default_member_permissions")
            .and_then(|p| p.as_str().map(|s| s.parse().unwrap_or(0)).or_else(|| p.as_u64()));
        match needed {
            Some(bits) if guild.is_some() => who.permissions & ADMINISTRATOR != 0 || who.permissions & bits == bits,
            _ => true,
        }
    }

    /// A slash command (interaction type 2) by `who` in `guild` (None = a DM with the bot).
    /// `options` is `data.options`: an array of `{"name", "value"}`, subcommands as
    /// `{"name": "add", "options": [..]}`; `type` is filled in from the registered command.
    /// Waits for the command to be registered (up to 10 s), then for the bot's answers.
    /// Panics when the bot sends no callback within 10 s.
    pub async fn command(&self, who: &Member, guild: Option<u64>, name: &str, options: Value, locale: &str) -> Outcome {
        self.shared.update(|s| s.locales.insert(who.user_id, locale.to_string()));
        self.command_like(2, who, guild, name, options).await
    }

    /// An autocomplete request (type 4) while `who` types `/name`; one option in `options` has
    /// `"focused": true` (its value is sent as a string, as Discord does).
    pub async fn autocomplete(&self, who: &Member, guild: Option<u64>, name: &str, options: Value) -> Outcome {
        fn has_focus(options: &Value) -> bool {
            options.as_array().into_iter().flatten().any(|o| o["focused"] == true || has_focus(&o["options"]))
        }
        assert!(has_focus(&options), "fake discord: autocomplete needs an option with \"focused\": true");
        self.command_like(4, who, guild, name, options).await
    }

    async fn command_like(&self, kind: u8, who: &Member, guild: Option<u64>, name: &str, options: Value) -> Outcome {
        self.wait_ready().await;
        let deadline = Instant::now() + OUTCOME_MAX;
        let Some((scope, command)) = self.shared.wait_until(deadline, |s| s.find_command(guild, name)).await else {
            let registered: Vec<(Option<u64>, Vec<Value>)> = self
                .shared
                .lock()
                .commands
                .iter()
                .map(|(scope, list)| (*scope, list.iter().map(|c| c["name"].clone()).collect()))
                .collect();
            panic!(
                "fake discord: /{name} is not registered for guild {guild:?} or globally; registered: {registered:?}"
            );
        };
        let label = if kind == 4 { format!("autocomplete of /{name}") } else { format!("/{name}") };
        let port = self.shared.port;
        self.dispatch_interaction(kind, who, guild, label, None, None, |state| {
            let mut resolved = Resolved::default();
            let options = annotate_options(state, port, &options, command.get("options"), guild, &mut resolved, name)?;
            let mut data = json!({
                "id": command["id"],
                "name": name,
                "type": 1,
                "options": options,
            });
            if let Some(g) = scope {
                data["guild_id"] = json!(g.to_string());
            }
            if !resolved.is_empty() {
                data["resolved"] = resolved.into_json();
            }
            Ok(data)
        })
        .await
    }

    /// A button press (MESSAGE_COMPONENT, type 3) on `message`, a message the bot sent (best:
    /// [`Outcome::message`]; a bare callback `data` object works too). The fake uses its own,
    /// current copy of the message when it knows the id. Panics if the message has no enabled
    /// button with `custom_id`.
    pub async fn component(&self, who: &Member, guild: Option<u64>, message: &Value, custom_id: &str) -> Outcome {
        self.press(who, guild, message, custom_id, None).await
    }

    /// A string-select choice (MESSAGE_COMPONENT, type 3, component_type 3) on `message`.
    pub async fn select(
        &self,
        who: &Member,
        guild: Option<u64>,
        message: &Value,
        custom_id: &str,
        values: &[&str],
    ) -> Outcome {
        self.press(who, guild, message, custom_id, Some(values.iter().map(|v| v.to_string()).collect())).await
    }

    async fn press(
        &self,
        who: &Member,
        guild: Option<u64>,
        message: &Value,
        custom_id: &str,
        values: Option<Vec<String>>,
    ) -> Outcome {
        self.wait_ready().await;
        let (message_id, current, related) = self.shared.update(|s| {
            let known = message
                .get("id")
                .and_then(Value::as_str)
                .and_then(|id| id.parse::<u64>().ok())
                .filter(|id| s.messages.contains_key(id));
            match known {
                Some(id) => (id, s.messages[&id].value.clone(), s.messages[&id].token.clone()),
                None => {
                    let id = s.next_id();
                    let channel = s.channel_for(guild, who.user_id);
                    let mut full = payload::empty_message(id, channel, 0, true);
                    rest::apply_body(&mut full, message, Vec::new(), false);
                    s.messages.insert(id, StoredMessage { value: full.clone(), token: None });
                    (id, full, None)
                }
            }
        });
        let components = components_of(&current);
        let Some(component) = components.iter().find(|c| c["custom_id"] == custom_id) else {
            let ids: Vec<&Value> = components.iter().map(|c| &c["custom_id"]).collect();
            panic!("fake discord: message {message_id} has no component {custom_id:?}; it has {ids:?}");
        };
        assert!(
            component["disabled"] != true,
            "fake discord: component {custom_id:?} is disabled; users cannot press it"
        );
        let component_type = component["type"].as_u64().unwrap_or(2);
        match (&values, component_type) {
            (None, 2) | (Some(_), 3..=8) => {}
            (None, t) => panic!("fake discord: {custom_id:?} is component type {t}, not a button; use select()"),
            (Some(_), t) => panic!("fake discord: {custom_id:?} is component type {t}, not a select; use component()"),
        }
        let label = format!("component {custom_id:?}");
        let custom_id = custom_id.to_string();
        self.dispatch_interaction(3, who, guild, label, related, Some(message_id), move |_| {
            let mut data = json!({"custom_id": custom_id, "component_type": component_type});
            if let Some(values) = values {
                data["values"] = json!(values);
            }
            Ok(data)
        })
        .await
    }

    /// A modal submit (type 5) of the modal the bot opened with `custom_id`; `fields` are
    /// (text input custom_id, value). Inputs not in `fields` are sent empty. Panics if no such
    /// modal was opened, a field is unknown, or a required input is left empty.
    pub async fn modal_submit(
        &self,
        who: &Member,
        guild: Option<u64>,
        custom_id: &str,
        fields: &[(&str, &str)],
    ) -> Outcome {
        self.wait_ready().await;
        let opener = {
            let state = self.shared.lock();
            let mut openers: Vec<&Interaction> = state
                .interactions
                .values()
                .filter(|i| i.modal.as_ref().is_some_and(|m| m["custom_id"] == custom_id))
                .collect();
            openers.sort_by_key(|i| i.id);
            openers.last().map(|i| (i.token.clone(), i.modal.clone().unwrap_or_default(), i.message))
        };
        let Some((opener_token, modal, opener_message)) = opener else {
            panic!(
                "fake discord: no modal with custom_id {custom_id:?} was opened (the bot must answer with callback type 9 first)"
            );
        };
        let mut rows = Vec::new();
        let inputs: Vec<Value> = components_of(&modal);
        for (field, _) in fields {
            assert!(
                inputs.iter().any(|i| i["custom_id"] == *field),
                "fake discord: modal {custom_id:?} has no text input {field:?}; it has {:?}",
                inputs.iter().map(|i| &i["custom_id"]).collect::<Vec<_>>()
            );
        }
        for input in &inputs {
            let id = input["custom_id"].as_str().unwrap_or_default();
            let value = fields.iter().find(|(f, _)| *f == id).map(|(_, v)| v.to_string()).unwrap_or_default();
            let required = input.get("required").and_then(Value::as_bool).unwrap_or(true);
            assert!(
                !(required && value.is_empty()),
                "fake discord: text input {id:?} of modal {custom_id:?} is required"
            );
            let n = limits::len(&value) as u64;
            if let Some(max) = input.get("max_length").and_then(Value::as_u64) {
                assert!(
                    n <= max,
                    "fake discord: {id:?} allows at most {max} characters; Discord's client would not submit {n}"
                );
            }
            if let Some(min) = input.get("min_length").and_then(Value::as_u64).filter(|_| !value.is_empty()) {
                assert!(
                    n >= min,
                    "fake discord: {id:?} needs at least {min} characters; Discord's client would not submit {n}"
                );
            }
            rows.push(json!({"type": 1, "components": [{"type": 4, "custom_id": id, "value": value}]}));
        }
        let label = format!("modal {custom_id:?}");
        let custom_id = custom_id.to_string();
        self.dispatch_interaction(5, who, guild, label, Some(opener_token), opener_message, move |_| {
            Ok(json!({"custom_id": custom_id, "components": rows}))
        })
        .await
    }

    /// Builds the interaction around `data`, checks that serenity parses it, sends it on the
    /// gateway and collects the [`Outcome`].
    #[allow(clippy::too_many_arguments)]
    async fn dispatch_interaction(
        &self,
        kind: u8,
        who: &Member,
        guild: Option<u64>,
        label: String,
        related: Option<String>,
        message: Option<u64>,
        data: impl FnOnce(&mut State) -> Result<Value, String>,
    ) -> Outcome {
        if let Err(why) = self.shared.wait_route(guild).await {
            panic!("fake discord: cannot dispatch {label}: {why}");
        }
        let built = self.shared.update(|s| -> Result<(Value, String, usize), String> {
            let data = data(s)?;
            let id = s.next_id();
            let token = format!("fake-interaction-token-{id}");
            let channel = match message.and_then(|m| s.messages.get(&m)) {
                Some(m) => m.value["channel_id"]
                    .as_str()
                    .and_then(|c| c.parse().ok())
                    .unwrap_or_else(|| s.channel_for(guild, who.user_id)),
                None => s.channel_for(guild, who.user_id),
            };
            let locale = s.locales.get(&who.user_id).cloned().unwrap_or_else(|| "en-US".to_string());
            let user = payload::user(who.user_id, &who.name);
            s.users.insert(who.user_id, user.clone());
            let mut payload = json!({
                "id": id.to_string(),
                "application_id": APP_ID.to_string(),
                "type": kind,
                "token": token,
                "version": 1,
                "channel_id": channel.to_string(),
                "channel": payload::partial_channel(channel, guild, s.app_permissions),
                "locale": locale,
                "entitlements": [],
                "attachment_size_limit": payload::ATTACHMENT_SIZE_LIMIT,
                "app_permissions": s.app_permissions.to_string(),
                "authorizing_integration_owners": {"0": guild.unwrap_or(0).to_string()},
                "context": if guild.is_some() { 0 } else { 1 },
                "data": data,
            });
            match guild {
                Some(g) => {
                    let member = payload::member(who);
                    s.members.insert((g, who.user_id), member.clone());
                    payload["guild_id"] = json!(g.to_string());
                    payload["guild_locale"] = json!("en-US");
                    payload["member"] = member;
                }
                None => payload["user"] = user,
            }
            if let Some(m) = message.and_then(|m| s.messages.get(&m)) {
                payload["message"] = m.value.clone();
            }
            // The silent-drop trap: serenity turns an event it cannot parse into Event::Unknown.
            if let Err(why) = serde_json::from_value::<serenity::all::Interaction>(payload.clone()) {
                return Err(format!("serenity cannot parse this interaction ({why}):\n{payload:#}"));
            }
            s.interactions.insert(
                token.clone(),
                Interaction {
                    id,
                    token: token.clone(),
                    kind,
                    label: label.clone(),
                    guild,
                    channel,
                    dispatched: Instant::now(),
                    callback: None,
                    original: message,
                    loading: false,
                    modal: None,
                    related: related.clone(),
                    message,
                },
            );
            let log_start = s.log.len();
            s.send_dispatch("INTERACTION_CREATE", payload.clone())?;
            Ok((payload, token, log_start))
        });
        let (payload, token, log_start) = match built {
            Ok(b) => b,
            Err(why) => panic!("fake discord: cannot dispatch {label}: {why}"),
        };
        let hard = Instant::now() + OUTCOME_MAX;
        self.collect(payload, &token, log_start, 0, hard).await
    }

    /// Waits for the callback, then until the bot has been quiet for [`QUIET`] (or 10 s in all),
    /// and gathers what it sent.
    ///
    /// A deferred callback (type 5) promises a follow-up or edit, so the fake waits for at least
    /// one before the quiet rule applies; `min_followups` asks for more.
    async fn collect(
        &self,
        interaction: Value,
        token: &str,
        log_start: usize,
        min_followups: usize,
        hard: Instant,
    ) -> Outcome {
        let (dispatched, related) = {
            let s = self.shared.lock();
            let i = &s.interactions[token];
            (i.dispatched, i.related.clone())
        };
        let ours = |e: &LogEntry| e.token == token || Some(&e.token) == related.as_ref();
        let is_followup =
            |e: &LogEntry| e.accepted && matches!(e.kind, Sent::Followup | Sent::EditOriginal | Sent::EditFollowup);
        let attempted = self
            .shared
            .wait_until(hard, |s| {
                s.log[log_start..].iter().any(|e| e.token == token && e.kind == Sent::Callback).then_some(())
            })
            .await;
        if attempted.is_none() {
            let s = self.shared.lock();
            panic!(
                "fake discord: the bot sent no callback for {} within 10 s\nviolations: {:?}\nrequests: {:?}\ninteraction: {interaction:#}",
                s.interactions[token].label, s.violations, s.requests
            );
        }
        let deferred =
            self.shared.lock().interactions[token].callback.as_ref().is_some_and(|(body, _)| body["type"] == 5);
        let wanted = min_followups.max(usize::from(deferred));
        if wanted > 0 {
            let enough = |s: &State| {
                (s.log[log_start..].iter().filter(|e| ours(e) && is_followup(e)).count() >= wanted).then_some(())
            };
            self.shared.wait_until(hard, enough).await;
        }
        let mut rx = self.shared.changes.subscribe();
        loop {
            rx.borrow_and_update();
            let last = {
                let s = self.shared.lock();
                s.log[log_start..].iter().filter(|e| ours(e)).map(|e| e.at).max().unwrap_or(dispatched)
            };
            let quiet_at = (last + QUIET).min(hard);
            if Instant::now() >= quiet_at {
                break;
            }
            let _ = tokio::time::timeout_at(quiet_at, rx.changed()).await;
        }

        let s = self.shared.lock();
        let me = &s.interactions[token];
        let window: Vec<&LogEntry> = s.log[log_start..].iter().filter(|e| ours(e)).collect();
        let first_attempt = window.iter().find(|e| e.token == token && e.kind == Sent::Callback).map(|e| e.at);
        let (callback, latency) = match &me.callback {
            Some((body, at)) => (body.clone(), *at - dispatched),
            None => (Value::Null, first_attempt.map(|at| at - dispatched).unwrap_or_default()),
        };
        let answered = window.iter().filter(|e| e.accepted).map(|e| e.at - dispatched).max().unwrap_or(latency);
        let followups = window.iter().filter(|e| is_followup(e)).map(|e| e.body.clone()).collect();
        let files = window.iter().filter(|e| e.accepted).flat_map(|e| e.files.iter().cloned()).collect();
        let rejected = window.iter().filter(|e| !e.accepted).map(|e| e.body.clone()).collect();

        let touched = |id: u64| window.iter().any(|e| e.accepted && e.message_id == Some(id));
        let primary = me.original.filter(|id| s.messages.contains_key(id));
        let last_followup = window
            .iter()
            .rev()
            .filter(|e| e.accepted && e.kind == Sent::Followup)
            .filter_map(|e| e.message_id)
            .find(|id| Some(*id) != primary && s.messages.contains_key(id));
        let shown_id = match (primary, last_followup) {
            (Some(p), _) if touched(p) => Some(p),
            (_, Some(f)) => Some(f),
            (p, None) => p,
        };
        let shown = shown_id.map(|id| s.messages[&id].value.clone()).unwrap_or(Value::Null);
        Outcome {
            callback,
            latency,
            answered,
            followups,
            files,
            rejected,
            interaction,
            shown,
            token: token.to_string(),
            log_start,
        }
    }

    /// Delivers the interaction of `outcome` again, as Discord can (same id and token: after a
    /// resumed session replays it, or to a second instance of the bot). A second answer is a
    /// violation (Discord refuses it with 40060), so the bot should recognise the repeat. Waits
    /// until the bot has been quiet for a second and returns the bodies it sent with that
    /// token meanwhile, accepted or refused.
    pub async fn redeliver(&self, outcome: &Outcome) -> Vec<Value> {
        if let Err(why) = self.shared.wait_route(guild_of("INTERACTION_CREATE", &outcome.interaction)).await {
            panic!("fake discord: cannot deliver the interaction again: {why}");
        }
        let (log_start, dispatched) = self.shared.update(|s| {
            if let Err(why) = s.send_dispatch("INTERACTION_CREATE", outcome.interaction.clone()) {
                panic!("fake discord: cannot deliver the interaction again: {why}");
            }
            (s.log.len(), Instant::now())
        });
        let hard = dispatched + OUTCOME_MAX;
        let mut rx = self.shared.changes.subscribe();
        loop {
            rx.borrow_and_update();
            let last = {
                let s = self.shared.lock();
                s.log[log_start..].iter().filter(|e| e.token == outcome.token).map(|e| e.at).max().unwrap_or(dispatched)
            };
            let quiet_at = (last + Duration::from_secs(1)).min(hard);
            if Instant::now() >= quiet_at {
                break;
            }
            let _ = tokio::time::timeout_at(quiet_at, rx.changed()).await;
        }
        let s = self.shared.lock();
        s.log[log_start..].iter().filter(|e| e.token == outcome.token).map(|e| e.body.clone()).collect()
    }

    /// Waits (up to 10 s more) until the interaction of `outcome` has at least `count` follow-ups
    /// and edits, then until the bot is quiet again, and returns the outcome as it is now. For
    /// bots that take longer than the quiet period between callback and follow-up.
    pub async fn wait_followups(&self, outcome: &Outcome, count: usize) -> Outcome {
        let hard = Instant::now() + OUTCOME_MAX;
        self.collect(outcome.interaction.clone(), &outcome.token, outcome.log_start, count, hard).await
    }

    /// Every request that broke a Discord rule, human-readable, in order.
    pub fn violations(&self) -> Vec<String> {
        self.shared.lock().violations.clone()
    }

    /// Returns the violations so far and forgets them (for tests that break rules on purpose).
    pub fn take_violations(&self) -> Vec<String> {
        std::mem::take(&mut self.shared.lock().violations)
    }

    /// Method and path of every REST request, in order, for debugging.
    pub fn requests(&self) -> Vec<(String, String)> {
        self.shared.lock().requests.clone()
    }

    /// Method and path of REST requests the fake does not implement (answered 404).
    pub fn unhandled_requests(&self) -> Vec<(String, String)> {
        self.shared.lock().unhandled.clone()
    }

    /// Messages the bot posted with `POST /channels/{id}/messages`, as full message objects with
    /// later edits applied, in order.
    pub fn channel_messages(&self) -> Vec<Value> {
        let s = self.shared.lock();
        s.channel_messages.iter().filter_map(|id| s.messages.get(id)).map(|m| m.value.clone()).collect()
    }

    /// Every message the bot made or edited (interaction answers, follow-ups, channel posts), as
    /// full message objects: what anyone in the server could ever have seen.
    pub fn every_message(&self) -> Vec<Value> {
        self.shared.lock().messages.values().map(|m| m.value.clone()).collect()
    }

    /// Waits (up to 30 s) until the bot has posted at least `count` channel messages; panics
    /// otherwise.
    pub async fn wait_channel_messages(&self, count: usize) -> Vec<Value> {
        let deadline = Instant::now() + WAIT_MAX;
        if self.shared.wait_until(deadline, |s| (s.channel_messages.len() >= count).then_some(())).await.is_none() {
            panic!("fake discord: fewer than {count} channel messages within 30 s; requests: {:?}", self.requests());
        }
        self.channel_messages()
    }

    /// The current state of any message the bot created, by id.
    pub fn message(&self, id: u64) -> Option<Value> {
        self.shared.lock().messages.get(&id).map(|m| m.value.clone())
    }

    /// The channel interactions of `user_id` in `guild` come from (one per guild, one DM channel
    /// per user when `guild` is None).
    pub fn channel_id(&self, guild: Option<u64>, user_id: u64) -> u64 {
        self.shared.update(|s| s.channel_for(guild, user_id))
    }

    /// Makes the next channel posts fail, in order: `(500, None)` for a server error, `(429,
    /// Some(0.2))` for a rate limit with its Retry-After.
    pub fn fail_channel_posts(&self, failures: &[(u16, Option<f64>)]) {
        self.shared.update(|s| s.channel_failures.extend(failures.iter().copied()));
    }

    /// Makes the next `count` channel posts succeed on Discord's side but answer 502, as when
    /// the answer is lost on its way back.
    pub fn lose_channel_post_answers(&self, count: usize) {
        self.shared.update(|s| s.lost_answers += count);
    }

    /// Makes posting to `channel` fail for good: 404 (the channel is gone) or 403 (no access).
    pub fn close_channel(&self, channel: u64, status: u16) {
        self.shared.update(|s| s.closed_channels.insert(channel, status));
    }

    /// How many times the bot tried to post a channel message, failures included.
    pub fn channel_post_attempts(&self) -> usize {
        self.shared.lock().channel_post_attempts
    }

    /// Registers a text channel of `guild` so `GET /channels/{id}` and channel options know it.
    pub fn add_channel(&self, guild: u64, channel_id: u64) {
        self.shared.update(|s| s.channels.insert(channel_id, (Some(guild), None)));
    }

    /// Makes `who` a known member of `guild` before they interact (user options resolve to them,
    /// `GET /guilds/{id}/members/{user}` finds them).
    pub fn add_member(&self, guild: u64, who: &Member) {
        self.shared.update(|s| {
            s.users.insert(who.user_id, payload::user(who.user_id, &who.name));
            s.members.insert((guild, who.user_id), payload::member(who));
        });
    }

    /// Adds a role to `guild` (`GET /guilds/{id}/roles`, role options).
    pub fn add_role(&self, guild: u64, role_id: u64, name: &str, permissions: u64) {
        self.shared.update(|s| {
            let roles = s.roles.entry(guild).or_default();
            let position = roles.len() as u64 + 1;
            roles.push(payload::role(role_id, name, permissions, position));
        });
    }

    /// Sets the bot's permissions in the channel (`app_permissions` of later interactions).
    pub fn set_app_permissions(&self, bits: u64) {
        self.shared.update(|s| s.app_permissions = bits);
    }

    /// Sends any gateway dispatch (`t` = `event`) to the bot, e.g. `MESSAGE_REACTION_ADD`, on
    /// the session serving the shard of its guild (`guild_id`, or `id` for GUILD_CREATE/UPDATE/
    /// DELETE; shard 0 without one). Panics if no client is connected within 30 s, or no
    /// session serves that shard within 10 s more.
    pub async fn dispatch_event(&self, event: &str, data: Value) {
        self.wait_ready().await;
        if let Err(why) = self.try_dispatch_event(event, &data).await {
            panic!("fake discord: cannot dispatch {event}: {why}");
        }
    }

    /// Like [`FakeDiscord::dispatch_event`] without waiting for READY first: waits (10 s, or
    /// what [`FakeDiscord::set_shard_wait`] set) for a session serving the event's shard and
    /// sends it, or says why not ("no gateway session serves shard N of M").
    pub async fn try_dispatch_event(&self, event: &str, data: &Value) -> Result<(), String> {
        self.shared.wait_route(guild_of(event, data)).await?;
        self.shared.update(|s| s.send_dispatch(event, data.clone()))
    }

    /// How long a dispatch waits for a session serving its shard before failing (default 10 s).
    pub fn set_shard_wait(&self, wait: Duration) {
        self.shared.update(|s| s.shard_wait = wait);
    }

    /// The shards of the gateway sessions connected and ready now, sorted; a shard served by
    /// two connections at once appears twice.
    pub fn identified_shards(&self) -> Vec<Shard> {
        let mut shards: Vec<Shard> = self.shared.lock().gateways.values().map(|g| g.shard).collect();
        shards.sort_unstable();
        shards
    }

    /// How many IDENTIFYs the fake received for shard id `shard` (any shard count).
    pub fn identify_count(&self, shard: u32) -> usize {
        self.shared.lock().identifies.get(&shard).copied().unwrap_or(0)
    }

    /// Waits up to `within` until sessions for each of `ids` with shard count `count` are
    /// connected and ready; returns whether they all were.
    pub async fn wait_shards(&self, ids: &[u32], count: u32, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        let all = |s: &State| ids.iter().all(|id| s.gateways.values().any(|g| g.shard == (*id, count)));
        self.shared.wait_until(deadline, |s| all(s).then_some(())).await.is_some()
    }

    /// Each time a session identified or resumed for guilds that another connected session
    /// already served (the same shard twice, or overlapping shard counts), described; empty
    /// when no shard was ever served twice at once. The newest session gets the events.
    pub fn shard_overlaps(&self) -> Vec<String> {
        self.shared.lock().shard_overlaps.clone()
    }

    /// Sets `shards` of `GET /gateway/bot` (default 1), what `start_autosharded` starts.
    pub fn set_recommended_shards(&self, shards: u32) {
        self.shared.update(|s| s.recommended_shards = shards);
    }

    /// Makes Discord slow: a channel post (`POST /channels/{id}/messages`) is stored at once
    /// (visible in [`FakeDiscord::channel_messages`] and in the channel's history) but answered
    /// after a delay picked from `min..=max`; edits of channel messages likewise. Default zero.
    pub fn set_post_delay(&self, min: Duration, max: Duration) {
        assert!(min <= max, "fake discord: post delay {min:?} is more than {max:?}");
        self.shared.update(|s| s.post_delay = (min, max));
    }

    /// Whether a channel post with `enforce_nonce` and a nonce already used in the channel gets
    /// the earlier message back (default true, as Discord does for a few minutes); false makes
    /// every post a new message.
    pub fn set_nonce_dedup(&self, on: bool) {
        self.shared.update(|s| s.nonce_dedup = on);
    }

    /// Holds the next channel post that creates a message: the message is stored (it is in
    /// the channel), the receiver gets its [`HeldPost`], and the HTTP answer never comes (until
    /// the fake stops). For killing the bot after its post left and before it saw the answer.
    pub fn hold_next_post(&self) -> oneshot::Receiver<HeldPost> {
        let (tx, rx) = oneshot::channel();
        self.shared.update(|s| s.hold = Some(tx));
        rx
    }

    /// How many channel messages were created with each `nonce`, by (channel, nonce); posts
    /// the nonce deduplication answered with an earlier message do not count.
    pub fn posts_by_nonce(&self) -> HashMap<(u64, String), usize> {
        self.shared.lock().nonce_posts.clone()
    }

    /// Stops the server and closes gateway connections. Shut the bot down first
    /// (`shard_manager.shutdown_all()`), or it will try to reconnect.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(mut server) = self.server.take()
            && tokio::time::timeout(Duration::from_secs(5), &mut server).await.is_err()
        {
            server.abort();
        }
    }
}

impl Drop for FakeDiscord {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}

/// Resolved users, members, roles and channels for options of those types.
#[derive(Default)]
struct Resolved {
    users: serde_json::Map<String, Value>,
    members: serde_json::Map<String, Value>,
    roles: serde_json::Map<String, Value>,
    channels: serde_json::Map<String, Value>,
    attachments: serde_json::Map<String, Value>,
}

impl Resolved {
    fn is_empty(&self) -> bool {
        self.users.is_empty()
            && self.members.is_empty()
            && self.roles.is_empty()
            && self.channels.is_empty()
            && self.attachments.is_empty()
    }

    fn into_json(self) -> Value {
        let mut out = serde_json::Map::new();
        for (key, map) in [
            ("users", self.users),
            ("members", self.members),
            ("roles", self.roles),
            ("channels", self.channels),
            ("attachments", self.attachments),
        ] {
            if !map.is_empty() {
                out.insert(key.into(), Value::Object(map));
            }
        }
        Value::Object(out)
    }

    fn user(&mut self, state: &State, guild: Option<u64>, id: u64) {
        let user = state.users.get(&id).cloned().unwrap_or_else(|| payload::user(id, &format!("user{id}")));
        self.users.insert(id.to_string(), user);
        if let Some(g) = guild {
            let mut member = state
                .members
                .get(&(g, id))
                .cloned()
                .unwrap_or_else(|| payload::member(&Member::new(id, &format!("user{id}"), 0)));
            if let Some(m) = member.as_object_mut() {
                m.remove("user");
            }
            self.members.insert(id.to_string(), member);
        }
    }

    fn role(&mut self, state: &State, guild: Option<u64>, id: u64) {
        let known = guild.and_then(|g| state.roles.get(&g)).and_then(|roles| {
            roles.iter().find(|r| r["id"].as_str().and_then(|r| r.parse().ok()) == Some(id)).cloned()
        });
        let everyone = guild == Some(id);
        let role = known.unwrap_or_else(|| payload::role(id, if everyone { "@everyone" } else { "role" }, 0, 0));
        self.roles.insert(id.to_string(), role);
    }

    fn attachment(&mut self, state: &State, port: u16, id: u64) {
        let (name, bytes) = state.attachments.get(&id).cloned().unwrap_or_else(|| ("missing.csv".into(), Vec::new()));
        let url = format!("http://127.0.0.1:{port}/attachments/{id}/{name}");
        self.attachments.insert(
            id.to_string(),
            json!({
                "id": id.to_string(),
                "filename": name,
                "size": bytes.len(),
                "url": url,
                "proxy_url": url,
                "content_type": "text/csv",
            }),
        );
    }

    fn channel(&mut self, state: &State, guild: Option<u64>, id: u64) {
        let (known_guild, recipient) = state.channels.get(&id).copied().unwrap_or((guild, None));
        let guild = if recipient.is_some() { None } else { known_guild.or(guild) };
        self.channels.insert(id.to_string(), payload::partial_channel(id, guild, DEFAULT_APP_PERMISSIONS));
    }
}

/// Fills in `type` of each option from the registered command (or the JSON value), turns focused
/// values into strings, and resolves user/role/channel options. Unknown option names are errors.
fn annotate_options(
    state: &State,
    port: u16,
    given: &Value,
    schema: Option<&Value>,
    guild: Option<u64>,
    resolved: &mut Resolved,
    path: &str,
) -> Result<Value, String> {
    let given = match given {
        Value::Null => return Ok(json!([])),
        Value::Array(a) => a,
        other => return Err(format!("options of /{path} must be an array, not {other}")),
    };
    let schema: &[Value] = schema.and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[]);
    let mut out = Vec::new();
    for option in given {
        let name = option["name"].as_str().ok_or_else(|| format!("an option of /{path} has no name: {option}"))?;
        let declared = schema.iter().find(|o| o["name"] == name);
        if declared.is_none() && !schema.is_empty() {
            let names: Vec<&Value> = schema.iter().map(|o| &o["name"]).collect();
            return Err(format!("/{path} has no option {name:?}; it has {names:?}"));
        }
        let kind = option["type"].as_u64().or_else(|| declared.and_then(|d| d["type"].as_u64())).unwrap_or_else(|| {
            match &option["value"] {
                Value::Bool(_) => 5,
                Value::Number(n) if n.is_i64() || n.is_u64() => 4,
                Value::Number(_) => 10,
                _ if option.get("options").is_some() => 1,
                _ => 3,
            }
        });
        let mut o = serde_json::Map::new();
        o.insert("name".into(), json!(name));
        o.insert("type".into(), json!(kind));
        if kind == 1 || kind == 2 {
            let nested = annotate_options(
                state,
                port,
                option.get("options").unwrap_or(&json!([])),
                declared.and_then(|d| d.get("options")),
                guild,
                resolved,
                &format!("{path} {name}"),
            )?;
            o.insert("options".into(), nested);
        } else {
            let value =
                option.get("value").cloned().ok_or_else(|| format!("option {name:?} of /{path} has no value"))?;
            let focused = option["focused"] == true;
            let value = match (&value, focused) {
                (Value::String(_), _) | (_, false) => value,
                (other, true) => json!(other.to_string()),
            };
            if !focused {
                let id = value.as_str().and_then(|v| v.parse::<u64>().ok()).or_else(|| value.as_u64());
                match (kind, id) {
                    (6, Some(id)) => resolved.user(state, guild, id),
                    (7, Some(id)) => resolved.channel(state, guild, id),
                    (8, Some(id)) => resolved.role(state, guild, id),
                    (9, Some(id)) if state.users.contains_key(&id) => resolved.user(state, guild, id),
                    (9, Some(id)) => resolved.role(state, guild, id),
                    (11, Some(id)) => resolved.attachment(state, port, id),
                    _ => {}
                }
            }
            let value = match (kind, &value) {
                (6..=9 | 11, Value::Number(n)) => json!(n.to_string()),
                _ => value,
            };
            o.insert("value".into(), value);
            if focused {
                o.insert("focused".into(), json!(true));
            }
        }
        out.push(Value::Object(o));
    }
    Ok(Value::Array(out))
}
