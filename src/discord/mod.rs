//! The Discord bot: slash commands over the same app layer as the CLI. The only module that
//! imports serenity and poise.
//!
//! Each command parses its options, calls one app function and renders the view with the same
//! pages as the CLI (`render/`), as an embed. Reading is for everyone; changes need Manage Server
//! or the workspace's admin role, checked here since server admins can override who sees a
//! command. A guild is a workspace; DMs are refused.

mod actions;
mod choices;
mod commands;
mod guard;
mod localize;
mod paging;
mod reply;
mod scheduler;

use std::future::Future;
use std::sync::Arc;

use anyhow::Context as _;
use poise::serenity_prelude as serenity;
use tracing::Instrument as _;

use crate::app::{App, AppError};

/// How long the shards get to close their connections once the bot is asked to stop.
pub const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(5);
/// How long deliveries in flight get to finish once the bot is asked to stop (a post's own
/// timeout is longer; one cut short is taken over, and found in its channel, by another
/// instance). The shards close meanwhile, so a stop takes under 10 s.
pub const FINISH_GRACE: std::time::Duration = std::time::Duration::from_secs(8);

pub type Error = AppError;
type Context<'a> = poise::Context<'a, Data, Error>;

/// What every command can reach.
pub struct Data {
    app: App,
    /// Where people reach the web pages (`JARVIS_PUBLIC_URL`, else the address the HTTP server
    /// listens on); `None`: this deployment serves no pages.
    web_url: Option<String>,
}

/// How to reach Discord.
#[derive(Clone, Debug)]
pub struct Config {
    /// The bot's token (Developer Portal, Bot, Reset Token).
    pub token: String,
    /// Register the commands in this guild only (instant, for development) instead of globally.
    pub guild_id: Option<u64>,
    /// A base URL that replaces `https://discord.com` for REST calls (an HTTP proxy such as
    /// twilight-http-proxy, or a fake Discord in tests). Turns serenity's own rate limiter off:
    /// the proxy owns rate limits.
    pub api_proxy: Option<String>,
    /// How often scheduled work (reports, the outbox) is looked at.
    pub tick: std::time::Duration,
    /// How often alerts are evaluated for pings (also right after a change to the ledger).
    pub alert_every: std::time::Duration,
    /// How often the housekeeping jobs run (renewal advancement, month close).
    pub jobs_every: std::time::Duration,
    /// The gateway shards this instance serves (`--shards`), all of them when `None`.
    pub shards: Option<crate::app::ShardRange>,
    /// How many shards the deployment runs (`--shard-count`), one when `None`.
    pub shard_count: Option<crate::app::ShardCount>,
    /// Where people reach the web pages, for `/jarvis web`'s links; `None`: no pages served.
    pub web_url: Option<String>,
}

impl Config {
    /// How often the bot looks for scheduled work by default.
    pub const TICK: std::time::Duration = std::time::Duration::from_secs(30);
    /// How often alerts are evaluated by default.
    pub const ALERT_EVERY: std::time::Duration = std::time::Duration::from_secs(15 * 60);
    /// How often the housekeeping jobs run by default.
    pub const JOBS_EVERY: std::time::Duration = std::time::Duration::from_secs(60 * 60);

    /// Discord at `https://discord.com` with `token`, commands registered globally, the default
    /// cadences, and one shard.
    pub fn new(token: String) -> Config {
        Config {
            token,
            guild_id: None,
            api_proxy: None,
            tick: Config::TICK,
            alert_every: Config::ALERT_EVERY,
            jobs_every: Config::JOBS_EVERY,
            shards: None,
            shard_count: None,
            web_url: None,
        }
    }
}

impl From<serenity::Error> for AppError {
    fn from(error: serenity::Error) -> Self {
        AppError::Internal(anyhow::Error::new(error))
    }
}

/// The gateway intents the bot needs: guilds (for guild ids and roles) and reactions (alert
/// actions, later). No privileged intents.
fn intents() -> serenity::GatewayIntents {
    serenity::GatewayIntents::GUILDS | serenity::GatewayIntents::GUILD_MESSAGE_REACTIONS
}

/// Talks to Discord's REST API: serenity's client (through the proxy when one is set) and the
/// outbox's poster.
fn rest(config: &Config) -> anyhow::Result<(serenity::Http, scheduler::Poster)> {
    let mut http = serenity::HttpBuilder::new(&config.token);
    let mut poster = scheduler::Poster {
        client: reqwest::Client::new(),
        base: "https://discord.com".to_string(),
        token: config.token.clone(),
        bot_user: None,
    };
    if let Some(proxy) = &config.api_proxy {
        // DISCORD_API_PROXY is the proxy: HTTP_PROXY-style variables must not add another hop.
        let client = reqwest::Client::builder().no_proxy().build().context("could not build the HTTP client")?;
        http = http.proxy(proxy.trim_end_matches('/')).ratelimiter_disabled(true).client(client.clone());
        poster = scheduler::Poster { client, base: proxy.trim_end_matches('/').to_string(), ..poster };
    }
    Ok((http.default_allowed_mentions(serenity::CreateAllowedMentions::new()).build(), poster))
}

/// The shards this instance serves: the configured range of the configured count (asked from
/// Discord for `auto`).
async fn shard_plan(config: &Config, http: &serenity::Http) -> anyhow::Result<crate::app::ShardPlan> {
    use crate::app::{ShardCount, ShardPlan};
    let count = match config.shard_count {
        None => 1,
        Some(ShardCount::Fixed(count)) => count,
        Some(ShardCount::Auto) => {
            let gateway = http
                .get_bot_gateway()
                .await
                .map_err(|error| discord_failure(error, "asking Discord how many shards to run"))?;
            tracing::info!(shards = gateway.shards, "Discord recommends this many shards");
            gateway.shards
        }
    };
    Ok(ShardPlan::new(config.shards, count).map_err(AppError::from)?)
}

/// Where commands are registered, in their fingerprint: another API (a proxy, a test's fake) or
/// server is another registration.
fn registration_place(poster: &scheduler::Poster, config: &Config) -> String {
    format!("{} {:?}", poster.base, config.guild_id)
}

/// Registers the slash commands (globally, or in `guild`) unless this deployment registered
/// these very commands there already (or `force`); whether it registered them now.
async fn register_commands(
    app: &App,
    http: &serenity::Http,
    commands: &[poise::Command<Data, Error>],
    place: &str,
    guild: Option<serenity::GuildId>,
    force: bool,
) -> anyhow::Result<bool> {
    let fingerprint = commands_fingerprint(commands, place);
    if !force && app.commands_registered(&fingerprint).await.unwrap_or(false) {
        tracing::info!("the commands are registered already (this deployment's)");
        return Ok(false);
    }
    let done = match guild {
        Some(guild) => poise::builtins::register_in_guild(http, commands, guild).await,
        None => poise::builtins::register_globally(http, commands).await,
    };
    if let Err(error) = done {
        if rejected_token(&error) {
            return Err(discord_failure(error, "registering the commands"));
        }
        let place = guild.map_or("globally".to_string(), |g| format!("in server {g} (DISCORD_GUILD_ID)"));
        return Err(anyhow::anyhow!(
            "Discord refused Jarvis's commands {place}: {error}; check that the bot was invited to that server with the applications.commands scope"
        ));
    }
    if let Err(error) = app.record_commands_registered(&fingerprint).await {
        tracing::warn!("could not note the commands' registration: {error:#}");
    }
    Ok(true)
}

/// `jarvis commands register`: registers the commands without connecting to the gateway (for a
/// deployment whose shard-0 instance should not, or to register before the first start).
/// Whether they were registered now (`false`: this deployment had them registered already).
pub async fn register(app: &App, config: &Config, force: bool) -> anyhow::Result<bool> {
    let (http, poster) = rest(config)?;
    let user = http.get_current_user().await.map_err(|error| discord_failure(error, "reading the bot's user"))?;
    let application = http
        .get_current_application_info()
        .await
        .map_err(|error| discord_failure(error, "reading the bot's application"))?;
    http.set_application_id(application.id);
    tracing::info!(user = %user.name, "registering the commands");
    let commands = commands::all();
    let place = registration_place(&poster, config);
    register_commands(app, &http, &commands, &place, config.guild_id.map(serenity::GuildId::new), force).await
}

/// Whether Discord refused the bot's token.
fn rejected_token(error: &serenity::Error) -> bool {
    matches!(
        error,
        serenity::Error::Gateway(serenity::GatewayError::InvalidAuthentication)
            | serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(serenity::ErrorResponse {
                status_code: serenity::StatusCode::UNAUTHORIZED,
                ..
            }))
    )
}

/// What a failure from Discord means for the operator: a refused token says how to get a new one.
fn discord_failure(error: serenity::Error, doing: &str) -> anyhow::Error {
    if rejected_token(&error) {
        anyhow::anyhow!(
            "Discord rejected DISCORD_TOKEN; copy the bot's token again from https://discord.com/developers/applications (your app, Bot, Reset Token)"
        )
    } else {
        anyhow::Error::new(error).context(format!("Discord failed while {doing}"))
    }
}

/// Runs the bot until `shutdown` resolves, or until Discord refuses it. Before connecting, the
/// instance claims its shards (refused when a live instance serves one, waiting out the lease of
/// one that died); the instance with shard 0 registers the commands when this deployment has
/// not yet. On `shutdown`, deliveries in flight finish (within [`FINISH_GRACE`]), the shards close
/// (within [`SHUTDOWN_GRACE`]), and everything the instance claimed is released.
pub async fn run(app: App, config: Config, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
    // Every line this instance logs names it.
    let span = tracing::info_span!("instance", id = %app.instance());
    serve(app, config, shutdown).instrument(span).await
}

async fn serve(app: App, config: Config, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
    // Asked to stop: noted at once, whatever the bot is doing (starting, or running).
    let (asked, asked_watch) = tokio::sync::watch::channel(None::<tokio::time::Instant>);
    tokio::spawn(async move {
        shutdown.await;
        tracing::info!("shutting down");
        let _ = asked.send(Some(tokio::time::Instant::now()));
    });
    let when_asked = |mut watch: tokio::sync::watch::Receiver<Option<tokio::time::Instant>>| async move {
        let _ = watch.wait_for(Option::is_some).await;
    };
    let (http, poster) = rest(&config)?;
    let plan = shard_plan(&config, &http).await?;
    tokio::select! {
        claimed = app.claim_shards(&plan) => claimed?,
        () = when_asked(asked_watch.clone()) => {
            tracing::info!("asked to stop while waiting for its shards");
            return Ok(());
        }
    }
    tracing::info!(instance = app.instance(), shards = %plan, "this instance serves these shards");
    // Stops the background tasks as soon as the bot is asked to stop (while the shards close),
    // or when another instance took one of its shards over (it must not be served twice).
    let (stopped, stop_watch) = tokio::sync::watch::channel(false);
    let stopped = Arc::new(stopped);
    let (lost_tx, lost_rx) = tokio::sync::oneshot::channel::<Vec<u32>>();
    let lost: Arc<std::sync::Mutex<Vec<u32>>> = Arc::default();
    let on_shutdown = {
        let (stopped, lost) = (Arc::clone(&stopped), Arc::clone(&lost));
        let asked_watch = asked_watch.clone();
        async move {
            tokio::select! {
                () = when_asked(asked_watch) => {}
                Ok(shards) = lost_rx => *lost.lock().expect("lost shards") = shards,
            }
            let _ = stopped.send(true);
        }
    };
    let tasks: Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>> = Arc::default();
    let heartbeats = scheduler::run_heartbeats(app.clone(), plan, stop_watch.clone());
    tasks.lock().expect("tasks").push(tokio::spawn(
        async move {
            let lost = heartbeats.await;
            if !lost.is_empty() {
                let _ = lost_tx.send(lost);
            }
        }
        .instrument(tracing::Span::current()),
    ));
    let ran = connect(app.clone(), config, http, poster, plan, stop_watch, Arc::clone(&tasks), on_shutdown).await;
    // Deliveries in flight finish (within `FINISH_GRACE` of the request to stop); then what this
    // instance claimed is free for the others.
    let _ = stopped.send(true);
    let mut running: Vec<_> = std::mem::take(&mut *tasks.lock().expect("tasks"));
    let deadline = asked_watch.borrow().unwrap_or_else(tokio::time::Instant::now) + FINISH_GRACE;
    let finished = async {
        for task in &mut running {
            let _ = task.await;
        }
    };
    let messages_done = tokio::time::timeout_at(deadline, finished).await.is_ok();
    if !messages_done {
        // Cut short, so that nothing of it runs on once its claims are given up.
        for task in &running {
            task.abort();
        }
        tracing::warn!(
            "deliveries did not finish within {FINISH_GRACE:?}; whoever delivers them next looks in their channels first"
        );
    }
    if let Err(error) = app.instance_stopped(messages_done).await {
        tracing::error!("could not say this instance stopped: {error:#}");
    }
    let lost = std::mem::take(&mut *lost.lock().expect("lost shards"));
    if !lost.is_empty() {
        let shards: Vec<String> = lost.iter().map(u32::to_string).collect();
        anyhow::bail!(
            "another instance took over shard(s) {} of {} while this one did not renew its claim (it was paused or cut off from the database past its lease); it stopped so that no shard is served twice: see `jarvis status`, then start it again",
            shards.join(", "),
            plan.count
        );
    }
    ran
}

/// Connects this instance's shards and serves them until `shutdown`.
#[allow(clippy::too_many_arguments)]
async fn connect(
    app: App,
    config: Config,
    http: serenity::Http,
    mut poster: scheduler::Poster,
    plan: crate::app::ShardPlan,
    stop_watch: tokio::sync::watch::Receiver<bool>,
    tasks: Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let guild = config.guild_id.map(serenity::GuildId::new);
    let place = registration_place(&poster, &config);
    // Set when the commands cannot be registered: the bot then stops instead of idling.
    let failed: Arc<std::sync::Mutex<Option<anyhow::Error>>> = Arc::default();
    let setup_failed = Arc::clone(&failed);
    let every = scheduler::Cadences { tick: config.tick, alerts: config.alert_every, jobs: config.jobs_every };
    let web_url = config.web_url.clone();
    let framework = poise::Framework::builder()
        .options(poise::FrameworkOptions {
            commands: commands::all(),
            on_error: |error| Box::pin(reply::on_error(error)),
            // An interaction delivered again was carried out (and answered) the first time.
            command_check: Some(|ctx| Box::pin(guard::first_delivery(ctx))),
            // Nothing the bot writes pings anyone unless a ping is the point.
            allowed_mentions: Some(serenity::CreateAllowedMentions::new()),
            event_handler: |framework, event| {
                Box::pin(actions::on_event(framework.serenity_context, event, framework.user_data))
            },
            ..Default::default()
        })
        .initialize_owners(false)
        .setup(move |ctx, ready, framework| {
            Box::pin(async move {
                // Registered once per deployment, by the instance serving shard 0 (or by
                // `jarvis commands register`): an instance finding these very commands
                // registered there leaves them be.
                if plan.has_shard_zero()
                    && let Err(error) =
                        register_commands(&app, &ctx.http, &framework.options().commands, &place, guild, false).await
                {
                    let internal = AppError::Internal(anyhow::anyhow!("{error:#}"));
                    *setup_failed.lock().expect("setup flag") = Some(error);
                    framework.shard_manager().shutdown_all().await;
                    return Err(internal);
                }
                tracing::info!(user = %ready.user.name, ?guild, shards = %plan, "connected to Discord");
                poster.bot_user = Some(ready.user.id.get());
                let mut tasks = tasks.lock().expect("tasks");
                let span = tracing::info_span!("instance", id = %app.instance());
                tasks.push(tokio::spawn(
                    scheduler::run_probes(app.clone(), every, stop_watch.clone()).instrument(span.clone()),
                ));
                tasks.push(tokio::spawn(
                    scheduler::run_lookups(app.clone(), every, stop_watch.clone()).instrument(span.clone()),
                ));
                tasks.push(tokio::spawn(
                    scheduler::run_ai_pulls(app.clone(), every, stop_watch.clone()).instrument(span.clone()),
                ));
                tasks.push(tokio::spawn(scheduler::run(app.clone(), poster, every, stop_watch).instrument(span)));
                Ok(Data { app, web_url })
            })
        })
        .build();
    let mut client = serenity::ClientBuilder::new_with_http(http, intents())
        .framework(framework)
        .await
        .context("could not set up the Discord client")?;
    let shards = Arc::clone(&client.shard_manager);
    let (asked, mut asked_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        let _ = asked.send(true);
        shards.shutdown_all().await;
    });
    // Once asked to stop, the shards get `SHUTDOWN_GRACE` to close their connections. (Serenity
    // waits for Discord's close frame in a loop that spins when the connection is already gone;
    // past the grace the bot returns anyway and `main` leaves the rest to the process exit.)
    // Serenity's range is inclusive at both ends (`start..end` starts `end` too).
    let started = tokio::select! {
        started = client.start_shard_range(plan.first..plan.last, plan.count) => started,
        _ = async {
            let _ = asked_rx.wait_for(|asked| *asked).await;
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        } => {
            tracing::warn!("the Discord connection did not close within {SHUTDOWN_GRACE:?}; stopping without it");
            Ok(())
        }
    };
    if let Some(error) = failed.lock().expect("setup flag").take() {
        return Err(error);
    }
    started.map_err(|error| discord_failure(error, "connecting"))
}

/// What identifies a registration: the commands as Discord receives them, and where they go.
fn commands_fingerprint(commands: &[poise::Command<Data, Error>], place: &str) -> String {
    use std::hash::{Hash as _, Hasher as _};
    let built = poise::builtins::create_application_commands(commands);
    let json = serde_json::to_string(&built).unwrap_or_default();
    let mut hasher = std::hash::DefaultHasher::new();
    (json, place).hash(&mut hasher);
    format!("{:016x}", hasher.finish())
}

#[cfg(test)]
mod tests {
    use super::reply::in_discord_terms;

    #[test]
    fn cli_wording_becomes_discord_wording() {
        assert_eq!(
            in_discord_terms("Auto-renew needs the renewal date: add --renews YYYY-MM-DD, or turn auto-renew off"),
            "Auto-renew needs the renewal date: add renews YYYY-MM-DD, or turn auto-renew off"
        );
        assert_eq!(
            in_discord_terms("turn auto-renew off (--no-auto-renew) or choose a recurring --period"),
            "turn auto-renew off (auto_renew: False) or choose a recurring period"
        );
        assert_eq!(in_discord_terms("leave --yearly-price out"), "leave yearly_price out");
        assert_eq!(in_discord_terms("set one with `rate set USD THB 35`"), "set one with `/settings rate USD THB 35`");
        assert_eq!(in_discord_terms("a -- b"), "a -- b");
    }
}
