//! The command-line front end: parse arguments, call one app function, render the result.

mod args;
mod render;

use std::io::{IsTerminal as _, Write as _};
use std::process::ExitCode;
use std::sync::Arc;

use serde::Serialize;

pub use args::Cli;
use args::{
    AiCommand, BudgetCommand, ClearField, Command, CommandsCommand, CostCommand, DbCommand, DemoArgs, DiscordArgs,
    HttpArgs, ImportCommand, ItemCommand, ItemFields, JobsCommand, PageArgs, RateCommand, SettingsCommand, SiteCommand,
    TokenCommand, WebCommand,
};

use crate::app::{
    App, AppError, Clock, CostInput, CostPeriod, ExportFormat, FixedClock, FixedDate, ImportOptions, ItemFilter,
    ItemRef, SeedOptions, SeedProgress, SystemClock,
};
use crate::domain::UserError;
use crate::domain::audit::Actor;
use crate::domain::calendar::DateRange;
use crate::domain::cost::recorded_period;
use crate::domain::item::ItemChanges;
use crate::domain::page::{Noun, PageNumber, PageRequest};
use crate::domain::workspace::{Language, Settings};
use crate::render::{Flavor, Page, Renderer};
use crate::store::Store;

/// Exit code when Jarvis refused the request as it stands (a duplicate name, an unknown item, a
/// conflict with the ledger's data).
pub const EXIT_REFUSED: u8 = 1;
/// Exit code when the command line was not understood: clap's own code for its errors, and ours
/// for a value not valid for its flag or argument, or flags that contradict each other.
pub const EXIT_USAGE: u8 = 2;
/// Exit code when something failed inside (database, file system).
pub const EXIT_INTERNAL: u8 = 3;

/// Why a command did not run.
#[derive(Debug)]
enum Failure {
    /// The command line was not understood, found by the adapter where clap's value parsers
    /// cannot see it: a value judged by another argument (a setting's value for its key), flags
    /// that contradict each other (`--from` after `--to`), a flag a command does not take
    /// (`--today` with a write). Exits 2 with the message, like clap's own errors.
    CommandLine(UserError),
    /// What the app layer said: a refusal (exit 1) or an internal failure (exit 3).
    App(AppError),
}

impl From<AppError> for Failure {
    fn from(error: AppError) -> Self {
        Failure::App(error)
    }
}

impl From<UserError> for Failure {
    fn from(error: UserError) -> Self {
        Failure::App(AppError::User(error))
    }
}

impl From<anyhow::Error> for Failure {
    fn from(error: anyhow::Error) -> Self {
        Failure::App(error.into())
    }
}

/// Marks a value's refusal as a command line not understood ([`Failure::CommandLine`]).
fn command_line<T>(result: Result<T, UserError>) -> Result<T, Failure> {
    result.map_err(Failure::CommandLine)
}

/// Runs one command and returns the process exit code.
pub async fn run(cli: Cli) -> ExitCode {
    match execute(&cli).await {
        Ok(output) => {
            print!("{output}");
            ExitCode::SUCCESS
        }
        Err(Failure::CommandLine(error)) => {
            eprintln!("error: {error}");
            ExitCode::from(EXIT_USAGE)
        }
        Err(Failure::App(AppError::User(error))) => {
            eprintln!("error: {error}");
            ExitCode::from(EXIT_REFUSED)
        }
        // The command line gives no request keys; a repeat is reported like a refusal.
        Err(Failure::App(error @ AppError::Repeated(_))) => {
            eprintln!("error: {error}");
            ExitCode::from(EXIT_REFUSED)
        }
        Err(Failure::App(AppError::Unavailable(error))) => {
            tracing::warn!("{error:#}");
            eprintln!("error: the ledger is unavailable ({}); try again in a minute", root_cause(&error));
            ExitCode::from(EXIT_INTERNAL)
        }
        Err(Failure::App(AppError::Internal(error))) if error.is::<crate::store::ConnectFailed>() => {
            eprintln!("error: {error}");
            ExitCode::from(EXIT_INTERNAL)
        }
        Err(Failure::App(AppError::Internal(error))) => {
            // The whole chain goes to the log (stderr, shown at the default level); the message
            // says what failed at the top and carries the id to find it.
            let id = crate::error_id();
            tracing::error!(error_id = %id, "{error:#}");
            eprintln!("error: {error} (error id {id}; the log line above has the details)");
            ExitCode::from(EXIT_INTERNAL)
        }
    }
}

/// The innermost cause of `error`, the one that says what happened (a refused connection).
fn root_cause(error: &anyhow::Error) -> String {
    error.chain().last().map(ToString::to_string).unwrap_or_default()
}

/// Tells a person at a terminal how building the read model of an older database goes, once it
/// has taken more than a second.
fn read_model_progress() -> impl FnMut(crate::store::ReadModelProgress) {
    use std::io::IsTerminal as _;
    let started = std::time::Instant::now();
    let terminal = std::io::stderr().is_terminal();
    move |p: crate::store::ReadModelProgress| {
        if terminal && started.elapsed() >= std::time::Duration::from_secs(1) {
            eprint!(
                "\rBuilding the read model of workspace {}: {} of {} cost records   ",
                p.workspace,
                crate::domain::money::format_quantity(p.records.into()),
                crate::domain::money::format_quantity(p.of.into())
            );
            if p.records >= p.of {
                eprintln!();
            }
        }
    }
}

/// What a command prints: JSON when `--json` is given, the human rendering otherwise.
fn output<T: Serialize>(json: bool, value: &T, human: impl FnOnce(&T) -> String) -> Result<String, Failure> {
    if json {
        // Sentences in views (such as how a run-rate was estimated) are worded in English, like
        // the tables.
        let resolved = Renderer::get(Language::English, Flavor::Plain).resolve(value);
        let mut text = serde_json::to_string_pretty(&resolved).map_err(anyhow::Error::new)?;
        text.push('\n');
        Ok(text)
    } else {
        Ok(human(value))
    }
}

async fn execute(cli: &Cli) -> Result<String, Failure> {
    // JARVIS_FAKE_NOW (RFC 3339) fixes the clock for tests, writes included; it is not a flag, so
    // nobody backdates changes by accident.
    let fake_now = match std::env::var("JARVIS_FAKE_NOW") {
        Ok(text) => Some(fake_clock(&text)?),
        Err(_) => None,
    };
    if cli.today.is_some() && cli.command.writes() {
        return Err(Failure::CommandLine(UserError::Conflict(
            "--today (or JARVIS_TODAY) only works with commands that read; changes always happen today".into(),
        )));
    }
    let clock: Arc<dyn Clock> = match (fake_now, cli.today) {
        (Some(clock), _) => clock,
        (None, Some(date)) => Arc::new(FixedDate(date)),
        (None, None) => Arc::new(SystemClock),
    };
    if let Command::Db(DbCommand::Status) = &cli.command {
        // Looked at as it is: not migrated, nothing built.
        let status = crate::app::database_status(&cli.database_url).await?;
        return output(cli.json, &status, render::db_status);
    }
    // The bot listens for its stop signal before the ledger is opened (migrations, the read model).
    let mut shutdown = cli.serves().then(shutdown_signal);
    let store = Store::open_with(&cli.database_url, &mut read_model_progress()).await?;
    let app =
        App::new(store.clone(), clock).with_net(net_from_env()?).with_ai(ai_from_env()?).with_lease(lease_from_env()?);
    let result = dispatch(&app, cli, &mut shutdown).await;
    store.close().await;
    // The process ends with this command: what the app holds (a large workspace's read model)
    // goes back to the system at exit, at once, instead of being freed piece by piece.
    std::mem::forget(app);
    result
}

/// How to reach Discord, from `--token`/`DISCORD_TOKEN` and the rest, with the default cadences.
fn discord_config(args: &DiscordArgs) -> Result<crate::discord::Config, Failure> {
    let token = args.token.clone().filter(|t| !t.trim().is_empty()).ok_or_else(|| {
        UserError::Missing(
            "DISCORD_TOKEN is not set: create the bot at https://discord.com/developers/applications (your app, Bot, Reset Token) and put the token in .env; see README, \"Create the Discord application\"".into(),
        )
    })?;
    Ok(crate::discord::Config {
        guild_id: args.guild_id,
        api_proxy: args.api_proxy.clone(),
        ..crate::discord::Config::new(token)
    })
}

/// The API server's options: its address and the rate per token (0: no limit).
fn http_options(addr: std::net::SocketAddr, http: &HttpArgs) -> crate::http::Options {
    crate::http::Options {
        rate: std::num::NonZeroU32::new(http.rate),
        public_url: http.public_url.clone(),
        ..crate::http::Options::new(addr)
    }
}

/// `JARVIS_LEASE`: how long an instance's claims last without renewal, in seconds.
fn lease_from_env() -> Result<std::time::Duration, Failure> {
    match std::env::var("JARVIS_LEASE") {
        Err(_) => Ok(crate::app::DEFAULT_LEASE),
        Ok(text) => match text.trim().parse::<u64>() {
            Ok(seconds @ 3..=3600) => Ok(std::time::Duration::from_secs(seconds)),
            _ => Err(Failure::CommandLine(UserError::invalid(
                "JARVIS_LEASE",
                text,
                "give whole seconds from 3 to 3600 (the default is 60)",
            ))),
        },
    }
}

/// `JARVIS_FAKE_NOW` for tests: `INSTANT` (a stopped clock) or `INSTANT xSPEED @UNIX_MS` (a
/// clock that read INSTANT at the real instant UNIX_MS and runs SPEED times as fast).
fn fake_clock(text: &str) -> anyhow::Result<Arc<dyn Clock>> {
    let bad = || {
        anyhow::anyhow!("JARVIS_FAKE_NOW `{text}` is not an RFC 3339 instant (optionally followed by xSPEED @UNIX_MS)")
    };
    let mut words = text.split_whitespace();
    let start: chrono::DateTime<chrono::Utc> = words.next().ok_or_else(bad)?.parse().map_err(|_| bad())?;
    match (words.next(), words.next(), words.next()) {
        (None, None, None) => Ok(Arc::new(FixedClock(start))),
        (Some(speed), Some(anchor), None) => {
            let speed: u32 = speed.strip_prefix('x').and_then(|s| s.parse().ok()).filter(|s| *s > 0).ok_or_else(bad)?;
            let anchor: i64 = anchor.strip_prefix('@').and_then(|a| a.parse().ok()).ok_or_else(bad)?;
            let anchor = chrono::DateTime::from_timestamp_millis(anchor).ok_or_else(bad)?;
            Ok(Arc::new(crate::app::RunningClock { start, anchor, speed }))
        }
        _ => Err(bad()),
    }
}

/// Website checks and registry lookups as the environment configures them:
/// `JARVIS_PROBE_ALLOW_PRIVATE` (site checks and registry lookups may reach private and loopback
/// addresses too), `JARVIS_RDAP`
/// (`off`: no registry lookups) and `JARVIS_RDAP_BOOTSTRAP` (a newer copy of IANA's dns.json
/// than the bundled one).
fn net_from_env() -> Result<crate::app::Net, AppError> {
    let allow_private = env_switch("JARVIS_PROBE_ALLOW_PRIVATE", false)?;
    let bootstrap = if env_switch("JARVIS_RDAP", true)? {
        Some(match std::env::var_os("JARVIS_RDAP_BOOTSTRAP").filter(|p| !p.is_empty()) {
            Some(path) => {
                crate::probe::rdap::Bootstrap::load(std::path::Path::new(&path)).map_err(anyhow::Error::new)?
            }
            None => crate::probe::rdap::Bootstrap::bundled(),
        })
    } else {
        None
    };
    let config = crate::probe::site::ProbeConfig { allow_private, ..Default::default() };
    Ok(crate::app::Net::new(config, bootstrap))
}

/// The providers' cost APIs (`JARVIS_OPENAI_URL`, `JARVIS_ANTHROPIC_URL`: a proxy, or a fake in
/// tests) and the key provider keys are sealed with (`JARVIS_SECRET_KEY`).
fn ai_from_env() -> Result<crate::app::AiNet, AppError> {
    let mut endpoints = crate::providers::Endpoints::default();
    for (var, slot) in
        [("JARVIS_OPENAI_URL", &mut endpoints.openai), ("JARVIS_ANTHROPIC_URL", &mut endpoints.anthropic)]
    {
        if let Some(text) = std::env::var(var).ok().filter(|t| !t.trim().is_empty()) {
            *slot = url::Url::parse(text.trim()).ok().filter(|u| matches!(u.scheme(), "http" | "https")).ok_or_else(
                || {
                    UserError::invalid(
                        "address",
                        text.clone(),
                        format!("{var} must be an http or https URL such as https://api.openai.com"),
                    )
                },
            )?;
        }
    }
    Ok(crate::app::AiNet::new(endpoints, crate::app::SecretKey::from_env()?))
}

/// An admin key for `ai connect`: from the variable named, else standard input (one line; typed
/// without echo is up to the terminal, so a prompt says where it goes).
fn read_api_key(key_env: Option<&str>) -> Result<crate::domain::connection::ApiSecret, Failure> {
    let text = match key_env {
        Some(var) => std::env::var(var).map_err(|_| {
            UserError::Missing(format!("The environment variable {var} is not set; put the admin key in it, or leave --key-env out and give the key on standard input"))
        })?,
        None => {
            if std::io::stdin().is_terminal() {
                eprintln!(
                    "Paste the organisation admin key and press Enter. It shows as you type: to keep it off the screen, give it with --key-env VAR or from a file (< key.txt). Jarvis stores it encrypted and never shows it again."
                );
            }
            let mut line = String::new();
            std::io::stdin().read_line(&mut line).map_err(anyhow::Error::new)?;
            line
        }
    };
    Ok(crate::domain::connection::ApiSecret::parse(&text)?)
}

/// An on/off environment variable.
fn env_switch(name: &str, default: bool) -> Result<bool, AppError> {
    match std::env::var(name).as_deref().map(str::trim) {
        Err(_) | Ok("") => Ok(default),
        Ok("0" | "false" | "no" | "off") => Ok(false),
        Ok("1" | "true" | "yes" | "on") => Ok(true),
        Ok(other) => Err(anyhow::anyhow!("{name} `{other}` is neither on nor off (use 1 or 0)").into()),
    }
}

async fn dispatch(
    app: &App,
    cli: &Cli,
    shutdown: &mut Option<std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>>,
) -> Result<String, Failure> {
    let ws = &cli.workspace;
    let me = &Actor::Cli;
    let json = cli.json;
    match &cli.command {
        Command::Item(command) => match command.as_ref() {
            ItemCommand::Add { kind, name, fields } => {
                let mut changes = item_changes(fields, &[]);
                changes.name = Some(name.clone());
                let added = app.add_item(ws, me, *kind, &changes).await?;
                output(json, &added, |a| render::item_changed("Added", a))
            }
            ItemCommand::Edit { item, kind, name, fields, clear } => {
                let mut changes = item_changes(fields, clear);
                changes.name = name.clone();
                if changes.is_empty() {
                    return Err(Failure::CommandLine(UserError::Missing(
                        "Nothing to change: give at least one field to set, e.g. --cost 14.99 (see `jarvis item edit --help`)"
                            .into(),
                    )));
                }
                let edited = app.edit_item(ws, me, &item_ref(item, *kind)?, &changes).await?;
                output(json, &edited, |e| render::item_changed("Updated", e))
            }
            ItemCommand::Remove { item, kind } => {
                let removed = app.remove_item(ws, me, &item_ref(item, *kind)?).await?;
                output(json, &removed, render::item_removed)
            }
            ItemCommand::Restore { item, kind } => {
                let restored = app.restore_item(ws, me, &item_ref(item, *kind)?).await?;
                output(json, &restored, render::item_restored)
            }
            ItemCommand::List { kind, category, status, page } => {
                let filter = ItemFilter { kind: *kind, category: *category, status: *status, ..Default::default() };
                let list = paged(app.list_items(ws, filter.clone(), page_request(page.page, page.limit)?).await)?;
                let mut command = Words::jarvis(cli, "item list");
                command.flag("--kind", kind.map(|k| k.as_str())).flag("--category", category.map(|c| c.as_str()));
                command.flag("--status", status.map(|s| s.as_str())).limit(page, PageArgs::DEFAULT_LIMIT);
                output(json, &list, |list| render::item_list(list, &filter, &command.0))
            }
            ItemCommand::Show { item, kind } => {
                output(json, &app.show_item(ws, &item_ref(item, *kind)?).await?, render::item_detail)
            }
        },
        Command::Cost(command) => match command {
            CostCommand::Record {
                item,
                amount,
                currency,
                month,
                date,
                from,
                to,
                source,
                usage,
                note,
                replace,
                again,
                kind,
            } => {
                let period = match (month, date, from, to) {
                    (Some(month), _, _, _) => CostPeriod::Month(*month),
                    (_, Some(day), _, _) => CostPeriod::PaidOn(*day),
                    (_, _, Some(from), Some(to)) => CostPeriod::Range(command_line(recorded_period(*from, *to))?),
                    _ => CostPeriod::CurrentMonth,
                };
                let input = CostInput {
                    item: item_ref(item, *kind)?,
                    amount: *amount,
                    currency: *currency,
                    period,
                    source: command_line(source.for_hand_records())?,
                    usage: *usage,
                    note: note.clone(),
                    replace: *replace,
                    again: *again,
                };
                output(json, &app.record_cost(ws, me, &input).await?, render::cost_recorded)
            }
            CostCommand::Remove { id } => output(json, &app.remove_cost(ws, me, *id).await?, render::cost_removed),
            CostCommand::History { item, from, to, kind, page } => {
                if let (Some(from), Some(to)) = (from, to) {
                    command_line(DateRange::between(*from, *to))?;
                }
                let reference = item.as_deref().map(|i| item_ref(i, *kind)).transpose()?;
                let request = page_request(page.page, page.limit)?;
                let history = paged(app.cost_history(ws, reference.as_ref(), *from, *to, request).await)?;
                let mut command = Words::jarvis(cli, "cost history");
                command.word(item.as_deref()).flag("--from", from.map(|d| d.to_string()));
                command.flag("--to", to.map(|d| d.to_string())).flag("--kind", kind.map(|k| k.as_str()));
                command.limit(page, PageArgs::DEFAULT_LIMIT);
                output(json, &history, |h| render::cost_history(h, &command.0))
            }
        },
        Command::Rate(command) => match command {
            RateCommand::Set { base, quote, rate, date } => {
                if base == quote {
                    return Err(Failure::CommandLine(UserError::Conflict(format!(
                        "A rate from {base} to itself is always 1; give two different currencies"
                    ))));
                }
                output(json, &app.set_rate(ws, me, *base, *quote, *rate, *date).await?, render::rate_set)
            }
            RateCommand::List => output(json, &app.list_rates(ws).await?, |r| render::rates(r)),
        },
        Command::Settings(command) => match command {
            SettingsCommand::Show => output(json, &app.settings(ws).await?, render::settings),
            SettingsCommand::Set { key, value } => {
                // The value alone decides whether it is valid for its key (`with` reads no other
                // setting), so a bad one is a command line not understood, checked before the app.
                command_line(Settings::default().with(*key, value))?;
                output(json, &app.set_setting(ws, me, *key, value).await?, render::settings)
            }
        },
        Command::Jobs(JobsCommand::Run { all_workspaces }) => {
            let reports =
                if *all_workspaces { app.run_jobs_everywhere().await? } else { vec![app.run_jobs(ws).await?] };
            let failed: Vec<&str> =
                reports.iter().filter(|r| r.error.is_some()).map(|r| r.workspace.as_str()).collect();
            if !failed.is_empty() {
                print!("{}", output(json, &reports, |r| render::jobs(r))?);
                return Err(anyhow::anyhow!("the jobs failed in workspace(s) {}", failed.join(", ")).into());
            }
            output(json, &reports, |r| render::jobs(r))
        }
        Command::Dashboard { days, chart } => {
            let lang = language(app, cli).await?;
            let (dashboard, trends) = app.dashboard_and_trends(ws, Some(*days)).await?;
            if let Some(path) = chart {
                write_chart(path, &crate::render::chart::cost_chart(&trends, lang))?;
            }
            analysis_output(json, lang, Page::Dashboard, &dashboard)
        }
        Command::Trends { months, category, chart } => {
            let lang = language(app, cli).await?;
            let trends = app.trends(ws, Some(*months), *category).await?;
            if let Some(path) = chart {
                write_chart(path, &crate::render::chart::cost_chart(&trends, lang))?;
            }
            analysis_output(json, lang, Page::Trends, &trends)
        }
        Command::Alerts => {
            let lang = language(app, cli).await?;
            analysis_output(json, lang, Page::Alerts, &app.alerts(ws).await?)
        }
        Command::Renewals { days, page } => {
            let lang = language(app, cli).await?;
            let renewals = paged(app.renewals(ws, Some(*days), page_request(page.page, page.limit)?).await)?;
            let mut command = Words::jarvis(cli, "renewals");
            command.flag("--days", (*days != 30).then(|| days.to_string())).limit(page, PageArgs::DEFAULT_LIMIT);
            let mut text = analysis_output(json, lang, Page::Renewals, &renewals)?;
            if !json {
                text.push_str(&render::page_footer(&renewals.paging, Noun::RENEWALS, &command.0));
            }
            Ok(text)
        }
        Command::Report => {
            let lang = language(app, cli).await?;
            analysis_output(json, lang, Page::Report, &app.report(ws).await?)
        }
        Command::Site(command) => {
            let lang = language(app, cli).await?;
            match command {
                SiteCommand::Add { url, keyword, interval } => {
                    command_line(crate::app::site_fields(url, keyword.as_deref(), *interval))?;
                    let added = app.add_site(ws, me, url, keyword.as_deref(), *interval).await?;
                    site_output(json, lang, app.today_in(ws).await?, &added)
                }
                SiteCommand::Remove { site } => {
                    let removed = app.remove_site(ws, me, site).await?;
                    let renderer = Renderer::get(lang, Flavor::Plain);
                    if json {
                        Ok(serde_json::to_string_pretty(&renderer.resolve(&removed)).map_err(anyhow::Error::new)?
                            + "\n")
                    } else {
                        Ok(renderer.text(&crate::analysis::text!("site.removed", url = removed.url)) + "\n")
                    }
                }
                SiteCommand::List => analysis_output(json, lang, Page::Sites, &app.sites(ws).await?),
                SiteCommand::Check { site } => {
                    analysis_output(json, lang, Page::Sites, &app.check_sites_now(ws, site.as_deref()).await?)
                }
            }
        }
        Command::Budget(command) => match command {
            BudgetCommand::Set { scope, amount, currency, thresholds } => {
                let set = app.set_budget(ws, me, *scope, *amount, *currency, thresholds.clone()).await?;
                output(json, &set, render::budget_set)
            }
            BudgetCommand::List => output(json, &app.budgets(ws).await?, render::budgets),
            BudgetCommand::Remove { scope } => {
                output(json, &app.remove_budget(ws, me, *scope).await?, render::budget_removed)
            }
        },
        Command::Token(command) => match command {
            TokenCommand::Create { name, scope } => {
                output(json, &app.create_token(ws, me, name, *scope).await?, render::token_created)
            }
            TokenCommand::List => output(json, &app.tokens(ws).await?, |tokens| render::tokens(tokens)),
            TokenCommand::Revoke { name } => {
                output(json, &app.revoke_token(ws, me, name).await?, render::token_revoked)
            }
        },
        Command::Web(WebCommand::Link { read_only, name, http }) => {
            let addr =
                http.addr.unwrap_or_else(|| crate::http::Options::DEFAULT_ADDR.parse().expect("a valid address"));
            let base = http_options(addr, http).base_url();
            let name = name.clone().or_else(|| std::env::var("USER").ok()).unwrap_or_else(|| "cli".to_string());
            let link = app.create_web_link(ws, me, &name, !read_only, None).await?;
            let url = format!("{base}/signin/{}", link.secret);
            output(json, &serde_json::json!({ "url": url, "expires_at": link.expires_at }), |_| {
                render::web_link(&url, link.expires_at)
            })
        }
        Command::Ai(AiCommand::Connect { item, provider, key_env }) => {
            let key = read_api_key(key_env.as_deref())?;
            let report = app.connect_ai(ws, me, &ItemRef::new(item.clone()), *provider, &key).await?;
            output(json, &report, |r| render::ai_pulls(std::slice::from_ref(r)))
        }
        Command::Ai(AiCommand::Pull { item }) => {
            let reference = item.as_ref().map(|i| ItemRef::new(i.clone()));
            output(json, &app.pull_ai(ws, reference.as_ref()).await?, |r| render::ai_pulls(r))
        }
        Command::Ai(AiCommand::Connections) => output(json, &app.connections(ws).await?, |c| render::ai_connections(c)),
        Command::Ai(AiCommand::Disconnect { item }) => {
            let view = app.disconnect_ai(ws, me, &ItemRef::new(item.clone())).await?;
            output(json, &view, |v| {
                format!(
                    "Disconnected `{}` from {}: its key ({}) is deleted; what was pulled stays in its history.",
                    v.item,
                    v.provider.title(),
                    v.key
                )
            })
        }
        Command::Web(WebCommand::SignOutAll) => {
            let ended = app.end_web_sessions(ws, me).await?;
            output(json, &serde_json::json!({ "ended": ended }), |_| {
                format!("Ended {ended} web session(s); everyone signs in again with a new link.")
            })
        }
        Command::Run(run) => {
            let mut config = discord_config(&run.discord)?;
            config.shards = run.shards;
            config.shard_count = run.shard_count;
            if let Some(ms) = run.tick_ms {
                config.tick = std::time::Duration::from_millis(ms.max(10));
            }
            if let Some(ms) = run.alert_every_ms {
                config.alert_every = std::time::Duration::from_millis(ms.max(10));
            }
            // Links to the pages: where they are reached, when some instance serves them.
            config.web_url = match (&run.http.public_url, run.http.addr) {
                (Some(url), _) => Some(url.as_str().trim_end_matches('/').to_string()),
                // Listening on every address: nobody can open http://0.0.0.0:8080.
                (None, Some(addr)) if addr.ip().is_unspecified() => {
                    tracing::warn!(
                        "JARVIS_HTTP_ADDR is {addr}, which is no address to open: set JARVIS_PUBLIC_URL to the one people use, or /jarvis web has no link to give"
                    );
                    None
                }
                (None, Some(addr)) => Some(crate::http::Options::new(addr).base_url()),
                (None, None) => None,
            };
            let shutdown = shutdown.take().unwrap_or_else(shutdown_signal);
            let Some(addr) = run.http.addr else {
                crate::discord::run(app.clone(), config, shutdown).await?;
                return Ok(String::new());
            };
            // The bot and the API stop together: on the signal, or when either stops first.
            let server = crate::http::Server::bind(app.clone(), http_options(addr, &run.http)).await?;
            let (stop, stopped) = tokio::sync::watch::channel(false);
            let stop = Arc::new(stop);
            let when_stopped = |mut stopped: tokio::sync::watch::Receiver<bool>| async move {
                let _ = stopped.wait_for(|s| *s).await;
            };
            let signal = {
                let stop = stop.clone();
                tokio::spawn(async move {
                    shutdown.await;
                    stop.send_replace(true);
                })
            };
            let api = {
                let stop = stop.clone();
                let stopped = when_stopped(stopped.clone());
                tokio::spawn(async move {
                    let served = server.run(stopped).await;
                    stop.send_replace(true);
                    served
                })
            };
            let bot = crate::discord::run(app.clone(), config, Box::pin(when_stopped(stopped))).await;
            stop.send_replace(true);
            signal.abort();
            let api = api.await.map_err(anyhow::Error::new)?;
            bot?;
            api?;
            Ok(String::new())
        }
        Command::Serve(http) => {
            let addr =
                http.addr.unwrap_or_else(|| crate::http::Options::DEFAULT_ADDR.parse().expect("a valid address"));
            let server = crate::http::Server::bind(app.clone(), http_options(addr, http)).await?;
            server.run(shutdown.take().unwrap_or_else(shutdown_signal)).await?;
            Ok(String::new())
        }
        Command::Commands(CommandsCommand::Register { discord, force }) => {
            let config = discord_config(discord)?;
            let registered = crate::discord::register(app, &config, *force).await?;
            let place = config.guild_id.map_or("globally".to_string(), |guild| format!("in server {guild}"));
            Ok(if registered {
                format!("Registered Jarvis's slash commands {place}.\n")
            } else {
                format!(
                    "The slash commands are registered {place} already (this deployment's); --force registers them again.\n"
                )
            })
        }
        Command::Audit { limit, page } => {
            let log = paged(app.audit_log(ws, page_request(*page, Some(*limit))?).await)?;
            let mut command = Words::jarvis(cli, "audit");
            command.flag("--limit", (*limit != 20).then(|| limit.to_string()));
            output(json, &log, |log| render::audit(log, &command.0))
        }
        Command::Db(DbCommand::Status) => unreachable!("answered before the ledger is opened"),
        Command::Status => output(json, &app.status(None).await?, render::instances_status),
        Command::Db(DbCommand::Copy { to, restart }) => {
            let mut meter = CopyMeter::new(!json && std::io::stderr().is_terminal());
            let copied = app.copy_ledger(&cli.database_url, to, *restart, &mut |p| meter.show(p)).await;
            meter.finish();
            let report = copied?;
            let text = output(json, &report, render::db_copied)?;
            if report.differences.is_empty() {
                Ok(text)
            } else {
                print!("{text}");
                Err(Failure::App(AppError::Internal(anyhow::anyhow!(
                    "the copy's dashboards differ from the ledger's in {}: the copy stays marked unfinished, and Jarvis will not run on it",
                    report.differences.iter().map(|w| w.as_str()).collect::<Vec<_>>().join(", ")
                ))))
            }
        }
        Command::Doctor { rebuild, all_workspaces } => {
            let only = [ws.clone()];
            let reports = app.doctor(if *all_workspaces { None } else { Some(&only) }, *rebuild).await?;
            let text = output(json, &reports, |r| render::doctor(r))?;
            let unfixed: Vec<&str> = reports
                .iter()
                .filter(|r| !r.rebuilt && !r.mismatches.is_empty())
                .map(|r| r.workspace.as_str())
                .collect();
            if unfixed.is_empty() {
                Ok(text)
            } else {
                print!("{text}");
                Err(UserError::Conflict(format!(
                    "The read model of {} does not match the records; run `jarvis doctor --rebuild` to build it again",
                    unfixed.join(", ")
                ))
                .into())
            }
        }
        Command::Demo(DemoArgs { size: None, .. }) => {
            let command = Words::jarvis(cli, "item list");
            output(json, &app.load_demo(ws, me).await?, |list| {
                render::item_list(list, &ItemFilter::default(), &command.0)
            })
        }
        Command::Demo(DemoArgs { size: Some(size), seed, allow_existing }) => {
            let options = SeedOptions { size: (*size).into(), seed: *seed, allow_existing: *allow_existing };
            // Progress goes to a terminal only: --json and redirected output get the summary alone.
            let mut meter = ProgressLine::new(!json && std::io::stderr().is_terminal());
            let seeded = app.seed_workspace(ws, me, options, |progress| meter.show(&progress)).await;
            meter.finish();
            output(json, &seeded?, render::seeded)
        }
        Command::Import(ImportCommand::Jarvis { file }) => {
            let (source, text) = read_input(file)?;
            output(json, &app.restore(ws, me, &source, &text).await?, render::restored)
        }
        Command::Import(ImportCommand::Focus { files, dry_run, skip_bad, map, replace_partial }) => {
            let parts = files.iter().map(|f| open_input(f)).collect::<Result<Vec<_>, _>>()?;
            let file_name = parts.iter().map(|(name, _)| name.as_str()).collect::<Vec<_>>().join(" + ");
            let input = crate::app::focus_file::joined(parts).map_err(UserError::from)?;
            let options = ImportOptions {
                file_name,
                skip_bad: *skip_bad,
                dry_run: *dry_run,
                maps: map.clone(),
                replace_partial: *replace_partial,
            };
            let on = !json && std::io::stderr().is_terminal();
            let imported = app
                .import_focus(ws, me, input, &options, move |progress| {
                    if on {
                        eprint!("\r{}   ", render::import_progress(progress));
                    }
                })
                .await;
            if on {
                eprintln!();
            }
            output(json, &imported?, render::imported)
        }
        Command::Import(ImportCommand::List) => output(json, &app.list_imports(ws).await?, render::imports),
        Command::Import(ImportCommand::Show { id }) => output(json, &app.show_import(ws, id).await?, render::import),
        Command::Import(ImportCommand::Remove { id }) => {
            output(json, &app.remove_import(ws, me, id).await?, render::import_removed)
        }
        Command::Import(ImportCommand::Map { map }) => {
            output(json, &app.map_import_service(ws, me, map).await?, render::service_mapped)
        }
        Command::Export { what, format, output: path } => {
            let format = if json { ExportFormat::Json } else { *format };
            let exported = app.export(ws, *what, format).await?;
            match path {
                Some(path) => {
                    std::fs::write(path, &exported.content)
                        .map_err(|e| anyhow::anyhow!("could not write {}: {e}", path.display()))?;
                    Ok(render::exported(&exported, &path.display().to_string()))
                }
                None => Ok(exported.content),
            }
        }
    }
}

/// Seeding's progress on one terminal line, redrawn at most four times a second; nothing when
/// off (not a terminal, or --json).
struct ProgressLine {
    on: bool,
    /// When the line was last drawn.
    drawn: Option<std::time::Instant>,
    last: Option<SeedProgress>,
}

impl ProgressLine {
    const EVERY: std::time::Duration = std::time::Duration::from_millis(250);

    fn new(on: bool) -> ProgressLine {
        ProgressLine { on, drawn: None, last: None }
    }

    fn show(&mut self, progress: &SeedProgress) {
        self.last = Some(*progress);
        if self.on && self.drawn.is_none_or(|at| at.elapsed() >= Self::EVERY) {
            self.draw(progress);
        }
    }

    fn draw(&mut self, progress: &SeedProgress) {
        let mut err = std::io::stderr().lock();
        // Back to the line's start and clear it, then the new figures.
        let _ = write!(err, "\r\x1b[K{}", render::seed_progress(progress));
        let _ = err.flush();
        self.drawn = Some(std::time::Instant::now());
    }

    /// Draws the last figures and ends the line.
    fn finish(&mut self) {
        if let (true, Some(last)) = (self.on && self.drawn.is_some(), self.last) {
            self.draw(&last);
            eprintln!();
        }
    }
}

/// A copy's progress on a terminal: one line, the table and its rows so far.
struct CopyMeter {
    on: bool,
    drawn: Option<std::time::Instant>,
}

impl CopyMeter {
    fn new(on: bool) -> CopyMeter {
        CopyMeter { on, drawn: None }
    }

    fn show(&mut self, progress: crate::store::CopyProgress) {
        let done = progress.copied == progress.total;
        if self.on && (done || self.drawn.is_none_or(|at| at.elapsed() >= ProgressLine::EVERY)) {
            let mut err = std::io::stderr().lock();
            let _ = write!(
                err,
                "\r\x1b[KCopying {}: {} of {} rows",
                progress.table,
                crate::domain::money::format_quantity(progress.copied.into()),
                crate::domain::money::format_quantity(progress.total.into())
            );
            let _ = err.flush();
            self.drawn = Some(std::time::Instant::now());
        }
    }

    fn finish(&mut self) {
        if self.on && self.drawn.is_some() {
            eprintln!();
        }
    }
}

/// A file named on the command line (`-`: standard input) opened for streaming, with its name.
fn open_input(path: &std::path::Path) -> Result<(String, Box<dyn std::io::Read + Send>), Failure> {
    if path.as_os_str() == "-" {
        return Ok(("standard input".to_string(), Box::new(std::io::stdin())));
    }
    let name = path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
    let file = std::fs::File::open(path)
        .map_err(|e| UserError::invalid("file", path.display().to_string(), format!("it cannot be opened ({e})")))?;
    Ok((name, Box::new(file)))
}

/// A file named on the command line (`-`: standard input), with its name for messages.
fn read_input(path: &std::path::Path) -> Result<(String, String), Failure> {
    let (name, read) = if path.as_os_str() == "-" {
        ("standard input".to_string(), std::io::read_to_string(std::io::stdin()))
    } else {
        (path.display().to_string(), std::fs::read_to_string(path))
    };
    let text = read.map_err(|e| {
        UserError::invalid(
            "file",
            name.clone(),
            format!("it cannot be read ({e}); give a file written by `jarvis export all`"),
        )
    })?;
    Ok((name, text))
}

/// Resolves on Ctrl-C or SIGTERM.
/// What stops the bot: Ctrl-C or SIGTERM. The handlers are installed at once (not when the
/// future is first awaited), so a signal during start-up (migrations, waiting for a shard) is
/// kept and stops the bot cleanly instead of killing it.
fn shutdown_signal() -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) {
            (Ok(mut terminate), Ok(mut interrupt)) => Box::pin(async move {
                tokio::select! {
                    _ = terminate.recv() => {}
                    _ = interrupt.recv() => {}
                }
            }),
            (Err(error), _) | (_, Err(error)) => {
                tracing::warn!("cannot listen for SIGTERM or Ctrl-C: {error}");
                Box::pin(async {
                    let _ = tokio::signal::ctrl_c().await;
                })
            }
        }
    }
    #[cfg(not(unix))]
    Box::pin(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}

/// The language to write in: `--lang`, else the workspace's.
async fn language(app: &App, cli: &Cli) -> Result<Language, Failure> {
    match cli.lang {
        Some(lang) => Ok(lang),
        None => Ok(app.language(&cli.workspace).await?),
    }
}

/// An analysis view as JSON (texts worded in `lang`) or as its page from `prompts/`.
fn analysis_output<T: Serialize>(json: bool, lang: Language, page: Page, view: &T) -> Result<String, Failure> {
    let renderer = Renderer::get(lang, Flavor::Plain);
    let mut text = if json {
        serde_json::to_string_pretty(&renderer.resolve(view)).map_err(anyhow::Error::new)?
    } else {
        renderer.page(page, view, usize::MAX)?
    };
    text.push('\n');
    Ok(text)
}

/// A site just added: a sentence, what Jarvis did on its own, and the site as a page.
fn site_output(
    json: bool,
    lang: Language,
    today: chrono::NaiveDate,
    changed: &crate::app::SiteChanged,
) -> Result<String, Failure> {
    let renderer = Renderer::get(lang, Flavor::Plain);
    if json {
        return Ok(serde_json::to_string_pretty(&renderer.resolve(changed)).map_err(anyhow::Error::new)? + "\n");
    }
    let mut text = renderer.text(&crate::analysis::text!("site.added", url = changed.site.url));
    text.push('\n');
    for notice in &changed.notices {
        text.push_str(&format!("Note: {notice}\n"));
    }
    let list = crate::app::SiteList { today, sites: vec![changed.site.clone()] };
    text.push_str(&renderer.page(Page::Sites, &list, usize::MAX)?);
    text.push('\n');
    Ok(text)
}

fn write_chart(path: &std::path::Path, chart: &crate::chart::CostChart) -> Result<(), Failure> {
    let png = crate::chart::render_png(chart)?;
    std::fs::write(path, png).map_err(|e| anyhow::anyhow!("could not write the chart to {}: {e}", path.display()))?;
    eprintln!("Chart written to {}", path.display());
    Ok(())
}

/// The page `--page` and `--limit` ask for (both already checked as the command line was read).
fn page_request(page: Option<PageNumber>, limit: Option<u32>) -> Result<PageRequest, Failure> {
    let page = page.unwrap_or(PageNumber::Nth(1));
    command_line(PageRequest::with_number(page, limit.unwrap_or(PageArgs::DEFAULT_LIMIT)))
}

/// A list's answer, where a `--page` after the last page is a command line not understood (exit
/// 2, like any other bad value), not a refusal: the message says how many pages there are.
fn paged<T>(result: Result<T, AppError>) -> Result<T, Failure> {
    match result {
        Err(AppError::User(error @ UserError::PastTheEnd { .. })) => Err(Failure::CommandLine(error)),
        other => Ok(other?),
    }
}

/// A command as someone would type it again (for the page footer's "next:"), with the global
/// flags that change what it lists and words quoted for a POSIX shell where they need it.
struct Words(String);

impl Words {
    fn jarvis(cli: &Cli, command: &str) -> Words {
        let mut words = Words("jarvis".to_string());
        if cli.workspace.as_str() != "local" {
            words.flag("--workspace", Some(cli.workspace.as_str()));
        }
        words.flag("--today", cli.today.map(|d| d.to_string()));
        words.0.push(' ');
        words.0.push_str(command);
        words
    }

    /// Adds `word` when there is one.
    fn word(&mut self, word: Option<&str>) -> &mut Words {
        if let Some(word) = word {
            self.0.push(' ');
            self.0.push_str(&shell_word(word));
        }
        self
    }

    /// Adds `flag value` when there is a value.
    fn flag(&mut self, flag: &str, value: Option<impl AsRef<str>>) -> &mut Words {
        if let Some(value) = value {
            self.0.push(' ');
            self.0.push_str(flag);
            self.word(Some(value.as_ref()));
        }
        self
    }

    /// Adds `--limit` when it is not the default.
    fn limit(&mut self, page: &PageArgs, default: u32) -> &mut Words {
        self.flag("--limit", page.limit.filter(|l| *l != default).map(|l| l.to_string()))
    }
}

/// `word` as one word for a POSIX shell: as it is when it holds nothing a shell reads
/// specially, else in single quotes.
fn shell_word(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./:@%+=,".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

fn item_ref(query: &str, kind: Option<crate::domain::item::Kind>) -> Result<ItemRef, Failure> {
    Ok(command_line(query.parse::<ItemRef>())?.with_kind(kind))
}

/// Turns the shared item flags (already checked as the command line was read) into a change.
fn item_changes(fields: &ItemFields, clear: &[ClearField]) -> ItemChanges {
    let mut changes = ItemChanges {
        provider: fields.provider.clone().map(Some),
        cost: fields.cost,
        currency: fields.currency,
        period: fields.period,
        renewal_date: fields.renews.map(Some),
        auto_renew: match (fields.auto_renew, fields.no_auto_renew) {
            (true, _) => Some(true),
            (_, true) => Some(false),
            _ => None,
        },
        status: fields.status,
        notes: fields.notes.clone().map(Some),
        unit: fields.unit.clone(),
        unit_price: fields.unit_price.map(Some),
        free_tier: fields.free_tier.map(Some),
        usage: fields.usage,
        usage_limit: fields.usage_limit.map(Some),
        registrar: fields.registrar.clone().map(Some),
        server_type: fields.server_type.clone().map(Some),
        specs: fields.specs.clone().map(Some),
        service_type: fields.service_type,
        pricing_model: fields.pricing,
        api_key_status: fields.key_status,
        integration_type: fields.integration_type,
        features: (!fields.features.is_empty()).then(|| fields.features.clone()),
        lead_times: fields.lead_times.clone().map(Some),
        yearly_price: fields.yearly_price.map(Some),
        plan_price: fields.plan_price.map(Some),
        ..Default::default()
    };
    for field in clear {
        match field {
            ClearField::Provider => changes.provider = Some(None),
            ClearField::Renewal => changes.renewal_date = Some(None),
            ClearField::Notes => changes.notes = Some(None),
            ClearField::Usage => changes.clear_usage = true,
            ClearField::UnitPrice => changes.unit_price = Some(None),
            ClearField::FreeTier => changes.free_tier = Some(None),
            ClearField::UsageLimit => changes.usage_limit = Some(None),
            ClearField::Registrar => changes.registrar = Some(None),
            ClearField::ServerType => changes.server_type = Some(None),
            ClearField::Specs => changes.specs = Some(None),
            ClearField::Features => changes.features = Some(Vec::new()),
            ClearField::LeadTimes => changes.lead_times = Some(None),
            ClearField::YearlyPrice => changes.yearly_price = Some(None),
            ClearField::PlanPrice => changes.plan_price = Some(None),
        }
    }
    changes
}
