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

use crate::app::{App, AppError};

/// Errors of a command: the user's (shown to them, ephemeral) or ours (an apology and an id).
/// How long the shards get to close their connections once the bot is asked to stop.
pub const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

pub type Error = AppError;
type Context<'a> = poise::Context<'a, Data, Error>;

/// What every command can reach.
pub struct Data {
    app: App,
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
}

impl Config {
    /// How often the bot looks for scheduled work by default.
    pub const TICK: std::time::Duration = std::time::Duration::from_secs(30);
    /// How often alerts are evaluated by default.
    pub const ALERT_EVERY: std::time::Duration = std::time::Duration::from_secs(15 * 60);
    /// How often the housekeeping jobs run by default.
    pub const JOBS_EVERY: std::time::Duration = std::time::Duration::from_secs(60 * 60);
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

/// Runs the bot until `shutdown` resolves (then disconnects cleanly), or until Discord refuses it.
pub async fn run(app: App, config: Config, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
    let mut http = serenity::HttpBuilder::new(&config.token);
    let mut poster = scheduler::Poster {
        client: reqwest::Client::new(),
        base: "https://discord.com".to_string(),
        token: config.token.clone(),
    };
    if let Some(proxy) = &config.api_proxy {
        // DISCORD_API_PROXY is the proxy: HTTP_PROXY-style variables must not add another hop.
        let client = reqwest::Client::builder().no_proxy().build().context("could not build the HTTP client")?;
        http = http.proxy(proxy.trim_end_matches('/')).ratelimiter_disabled(true).client(client.clone());
        poster = scheduler::Poster { client, base: proxy.trim_end_matches('/').to_string(), ..poster };
    }
    let http = http.default_allowed_mentions(serenity::CreateAllowedMentions::new()).build();
    let guild = config.guild_id.map(serenity::GuildId::new);
    // Where commands are registered: another API (a proxy, a test's fake) or server is another
    // registration.
    let place = format!("{} {:?}", poster.base, config.guild_id);
    // Set when the commands cannot be registered: the bot then stops instead of idling.
    let failed: Arc<std::sync::Mutex<Option<String>>> = Arc::default();
    let setup_failed = Arc::clone(&failed);
    // Stops the scheduler when the bot stops.
    let (stopped, stop_watch) = tokio::sync::watch::channel(false);
    let every = scheduler::Cadences { tick: config.tick, alerts: config.alert_every, jobs: config.jobs_every };
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
                let commands = &framework.options().commands;
                // Registered once per deployment: an instance that finds these very commands
                // registered there (by itself before, or by another instance) leaves them be.
                let fingerprint = commands_fingerprint(commands, &place);
                let registered = match app.commands_registered(&fingerprint).await {
                    Ok(true) => {
                        tracing::info!("the commands are registered already (this deployment's)");
                        Ok(())
                    }
                    Ok(false) | Err(_) => {
                        let done = match guild {
                            Some(guild) => poise::builtins::register_in_guild(ctx, commands, guild).await,
                            None => poise::builtins::register_globally(ctx, commands).await,
                        };
                        if done.is_ok()
                            && let Err(error) = app.record_commands_registered(&fingerprint).await
                        {
                            tracing::warn!("could not note the commands' registration: {error:#}");
                        }
                        done
                    }
                };
                if let Err(error) = registered {
                    let place = guild.map_or("globally".to_string(), |g| format!("in server {g} (DISCORD_GUILD_ID)"));
                    let message = format!(
                        "Discord refused Jarvis's commands {place}: {error}; check that the bot was invited to that server with the applications.commands scope"
                    );
                    *setup_failed.lock().expect("setup flag") = Some(message);
                    framework.shard_manager().shutdown_all().await;
                    return Err(AppError::Internal(anyhow::Error::new(error)));
                }
                tracing::info!(user = %ready.user.name, ?guild, "connected to Discord, commands registered");
                tokio::spawn(scheduler::run_probes(app.clone(), every, stop_watch.clone()));
                tokio::spawn(scheduler::run_lookups(app.clone(), every, stop_watch.clone()));
                tokio::spawn(scheduler::run(app.clone(), poster, every, stop_watch));
                Ok(Data { app })
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
        tracing::info!("shutting down");
        let _ = asked.send(true);
        shards.shutdown_all().await;
    });
    // Once asked to stop, the shards get `SHUTDOWN_GRACE` to close their connections. (Serenity
    // waits for Discord's close frame in a loop that spins when the connection is already gone;
    // past the grace the bot returns anyway and `main` leaves the rest to the process exit.)
    let started = tokio::select! {
        started = client.start() => started,
        _ = async {
            let _ = asked_rx.wait_for(|asked| *asked).await;
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        } => {
            tracing::warn!("the Discord connection did not close within {SHUTDOWN_GRACE:?}; stopping without it");
            Ok(())
        }
    };
    let _ = stopped.send(true);
    if let Some(message) = failed.lock().expect("setup flag").take() {
        anyhow::bail!(message);
    }
    started.map_err(|error| match error {
        serenity::Error::Gateway(serenity::GatewayError::InvalidAuthentication)
        | serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(serenity::ErrorResponse {
            status_code: serenity::StatusCode::UNAUTHORIZED,
            ..
        })) => anyhow::anyhow!(
            "Discord rejected DISCORD_TOKEN; copy the bot's token again from https://discord.com/developers/applications (your app, Bot, Reset Token)"
        ),
        other => anyhow::Error::new(other).context("the Discord connection failed"),
    })
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
