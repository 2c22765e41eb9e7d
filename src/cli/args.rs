//! The command line: clap definitions and their help texts.

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::builder::PossibleValue;
use clap::{Args, Parser, Subcommand, ValueEnum};
use rust_decimal::Decimal;

use crate::app::{ExportFormat, ExportWhat, ServiceMap, ShardCount, ShardRange, TokenScope};
use crate::domain::UserError;
use crate::domain::budget::{BudgetScope, Thresholds};
use crate::domain::calendar::{Month, parse_date};
use crate::domain::connection::Vendor;
use crate::domain::cost::CostSource;
use crate::domain::item::{
    ApiKeyStatus, BillingPeriod, Category, IntegrationType, Kind, ManualStatus, PricingModel, ServiceType, Status,
};
use crate::domain::money::{Currency, NumberRule};
use crate::domain::page::PageNumber;
use crate::domain::site::parse_interval;
use crate::domain::text::{ItemName, Label, Notes};
use crate::domain::workspace::{Language, LeadTimes, SettingKey, WorkspaceId};
use std::str::FromStr as _;

/// Lets clap list and parse the domain's choice enums (accepting `-` for `_`).
macro_rules! value_enum {
    ($($ty:ty),+) => {$(
        impl ValueEnum for $ty {
            fn value_variants<'a>() -> &'a [Self] {
                <$ty>::ALL
            }
            fn to_possible_value(&self) -> Option<PossibleValue> {
                let name = self.as_str();
                let value = PossibleValue::new(name);
                Some(if name.contains('_') { value.alias(name.replace('_', "-")) } else { value })
            }
        }
    )+};
}

value_enum!(
    Kind,
    Category,
    BillingPeriod,
    ManualStatus,
    Status,
    ServiceType,
    PricingModel,
    ApiKeyStatus,
    IntegrationType,
    CostSource,
    SettingKey,
    ExportWhat,
    ExportFormat,
    Language
);

/// Value parsers that name the flag in their messages ("The unit price `-1` is not valid: ...").
macro_rules! number_parsers {
    ($($name:ident => $rule:ident($field:literal)),+ $(,)?) => {$(
        fn $name(input: &str) -> Result<Decimal, UserError> {
            NumberRule::$rule($field).parse(input)
        }
    )+};
}

number_parsers! {
    cost => amount("cost"),
    unit_price => amount("unit price"),
    amount => amount("amount"),
    free_tier => quantity("free tier"),
    usage => quantity("usage"),
    usage_limit => quantity("usage limit"),
    yearly_price => amount("yearly price"),
    plan_price => amount("plan price"),
    budget_amount => amount("budget"),
    rate => rate("rate"),
}

/// Value parsers for text flags, naming the flag in their messages (`The provider ... is not
/// valid: ...`): text is checked as the command line is read, like numbers and dates.
macro_rules! label_parsers {
    ($($name:ident => $field:literal),+ $(,)?) => {$(
        fn $name(input: &str) -> Result<Label, UserError> {
            Label::parse($field, input)
        }
    )+};
}

label_parsers! {
    provider => "provider",
    unit => "unit",
    registrar => "registrar",
    server_type => "server type",
    specs => "specs",
    feature => "feature",
}

fn item_name(input: &str) -> Result<ItemName, UserError> {
    ItemName::parse(input)
}

fn notes(input: &str) -> Result<Notes, UserError> {
    Notes::parse(input)
}

fn record_id(input: &str) -> Result<i64, UserError> {
    let digits = input.trim().trim_start_matches('#');
    digits
        .parse()
        .map_err(|_| UserError::invalid("record id", input, "give the number shown in `cost history`, e.g. 42"))
}

fn date(input: &str) -> Result<NaiveDate, UserError> {
    parse_date("date", input)
}

fn shard_range(input: &str) -> Result<ShardRange, UserError> {
    ShardRange::parse(input)
}

fn shard_count(input: &str) -> Result<ShardCount, UserError> {
    ShardCount::parse(input)
}

fn page_number(input: &str) -> Result<PageNumber, UserError> {
    crate::domain::page::parse_page(input)
}

fn page_size(input: &str) -> Result<u32, UserError> {
    crate::domain::page::parse_size(input)
}

/// `--limit` and `--page` of a long list.
#[derive(Debug, Args, Clone, Copy)]
pub struct PageArgs {
    /// How many to show on a page, 1 to 1000 [default: 50].
    #[arg(long, value_name = "N", value_parser = page_size, allow_negative_numbers = true)]
    pub limit: Option<u32>,
    /// Which page to show: 1, 2, ... or `last` [default: 1]. Text output ends with the command
    /// for the next page when there are more.
    #[arg(long, value_name = "K", value_parser = page_number, allow_negative_numbers = true)]
    pub page: Option<PageNumber>,
}

impl PageArgs {
    /// Rows a page holds unless `--limit` says otherwise.
    pub const DEFAULT_LIMIT: u32 = crate::domain::page::PageRequest::DEFAULT_SIZE;
}

/// Jarvis keeps your company's infrastructure and AI/SaaS spending in view.
///
/// Everything lives in a ledger database (DATABASE_URL: a SQLite file, default ./jarvis.db, or
/// PostgreSQL), one workspace per Discord server; the CLI uses the workspace `local` unless told
/// otherwise.
///
/// Start with `jarvis demo` to see a sample company, or `jarvis item add domain example.com
/// --cost 12.98 --renews 2027-03-01 --auto-renew`.
#[derive(Debug, Parser)]
#[command(name = "jarvis", version, propagate_version = true, max_term_width = 100)]
pub struct Cli {
    /// Workspace to use: a Discord server id, or a local name.
    #[arg(short, long, global = true, env = "JARVIS_WORKSPACE", default_value = "local", value_parser = WorkspaceId::parse)]
    pub workspace: WorkspaceId,

    /// The ledger: sqlite://path/to/jarvis.db or a file path (created on first use), or
    /// postgres://USER:PASSWORD@HOST:PORT/DATABASE (PostgreSQL 15 or newer).
    #[arg(long, global = true, env = "DATABASE_URL", default_value = "sqlite://jarvis.db", hide_env_values = true)]
    pub database_url: String,

    /// Print JSON instead of tables (amounts are decimal strings).
    #[arg(long, global = true)]
    pub json: bool,

    /// Language of reports and alerts (en, th) [default: the workspace's].
    #[arg(long, global = true, env = "JARVIS_LANG", value_enum)]
    pub lang: Option<Language>,

    /// Show the ledger as of this date (YYYY-MM-DD) instead of today: for what-ifs with commands
    /// that only read (list, show, history, export...).
    #[arg(long, global = true, env = "JARVIS_TODAY", value_parser = date)]
    pub today: Option<NaiveDate>,

    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// Whether this is `jarvis run`.
    /// Whether the command serves until stopped (the bot, the API).
    pub fn serves(&self) -> bool {
        matches!(self.command, Command::Run(_) | Command::Serve(_))
    }
}

impl Command {
    /// Whether the command changes the ledger (and so must happen at the real time).
    pub fn writes(&self) -> bool {
        match self {
            Command::Item(item) => !matches!(item.as_ref(), ItemCommand::List { .. } | ItemCommand::Show { .. }),
            Command::Cost(cost) => matches!(cost, CostCommand::Record { .. } | CostCommand::Remove { .. }),
            Command::Rate(rate) => matches!(rate, RateCommand::Set { .. }),
            Command::Settings(settings) => matches!(settings, SettingsCommand::Set { .. }),
            Command::Budget(budget) => !matches!(budget, BudgetCommand::List),
            Command::Token(token) => !matches!(token, TokenCommand::List),
            Command::Web(_) => true,
            Command::Ai(ai) => !matches!(ai, AiCommand::Connections),
            Command::Site(site) => !matches!(site, SiteCommand::List),
            Command::Jobs(_) | Command::Demo(_) | Command::Run(_) | Command::Serve(_) | Command::Commands(_) => true,
            Command::Import(import) => !matches!(import, ImportCommand::List | ImportCommand::Show { .. }),
            Command::Doctor { rebuild, .. } => *rebuild,
            Command::Db(DbCommand::Copy { .. }) => true,
            Command::Db(DbCommand::Status) => false,
            Command::Status => false,
            Command::Audit { .. }
            | Command::Renewals { .. }
            | Command::Export { .. }
            | Command::Dashboard { .. }
            | Command::Trends { .. }
            | Command::Alerts
            | Command::Report => false,
        }
    }
}

/// How to reach Discord (`run`, `commands register`).
#[derive(Debug, Args)]
pub struct DiscordArgs {
    /// The bot's token, from https://discord.com/developers/applications (your app, Bot).
    #[arg(long, env = "DISCORD_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Register the commands in this server only (instant; for development) instead of
    /// globally.
    #[arg(long, env = "DISCORD_GUILD_ID")]
    pub guild_id: Option<u64>,
    /// Base URL replacing https://discord.com for REST calls (an HTTP proxy that owns rate
    /// limits, such as twilight-http-proxy).
    #[arg(long, env = "DISCORD_API_PROXY")]
    pub api_proxy: Option<String>,
}

/// Where and how the HTTP API is served.
#[derive(Debug, Args)]
pub struct HttpArgs {
    /// Where the HTTP API listens, e.g. 127.0.0.1:8080 (`jarvis run` serves it only when set).
    #[arg(long = "http-addr", env = "JARVIS_HTTP_ADDR", value_name = "HOST:PORT")]
    pub addr: Option<std::net::SocketAddr>,
    /// Requests per second each API token may make, with bursts of twice that; 0: no limit.
    #[arg(long = "api-rate", env = "JARVIS_API_RATE", default_value_t = crate::http::Options::DEFAULT_RATE)]
    pub rate: u32,
    /// The address people reach Jarvis's web pages at, when it is not http://HOST:PORT (behind
    /// a reverse proxy), e.g. https://jarvis.example.com; sign-in links start with it, and an
    /// https address makes the session cookie Secure.
    #[arg(long = "public-url", env = "JARVIS_PUBLIC_URL", value_name = "URL", value_parser = public_url)]
    pub public_url: Option<url::Url>,
}

/// An http or https address without a query, for links to the pages.
fn public_url(input: &str) -> Result<url::Url, UserError> {
    let url = url::Url::parse(input.trim()).map_err(|e| {
        UserError::invalid(
            "public URL",
            input,
            format!("{e}; give the address with its scheme, e.g. https://jarvis.example.com"),
        )
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() || url.query().is_some() {
        return Err(UserError::invalid(
            "public URL",
            input,
            "give an http or https address, e.g. https://jarvis.example.com",
        ));
    }
    Ok(url)
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub discord: DiscordArgs,
    #[command(flatten)]
    pub http: HttpArgs,
    /// The gateway shards this instance serves: FIRST-LAST (e.g. 0-1) or one number; every shard
    /// of --shard-count when left out.
    #[arg(long, env = "JARVIS_SHARDS", value_parser = shard_range, requires = "shard_count")]
    pub shards: Option<ShardRange>,
    /// How many shards the whole deployment runs (the same on every instance), or `auto` for
    /// Discord's recommendation [default: 1].
    #[arg(long, env = "JARVIS_SHARD_COUNT", value_parser = shard_count)]
    pub shard_count: Option<ShardCount>,
    /// How often scheduled work is looked at, in milliseconds (tests).
    #[arg(long, env = "JARVIS_TICK_MS", hide = true)]
    pub tick_ms: Option<u64>,
    /// How often alerts are evaluated, in milliseconds (tests).
    #[arg(long, env = "JARVIS_ALERT_EVERY_MS", hide = true)]
    pub alert_every_ms: Option<u64>,
}

#[derive(Debug, Subcommand)]
pub enum CommandsCommand {
    /// Register the slash commands with Discord now, without connecting to the gateway (unless
    /// this deployment registered these very commands already; --force registers anyway).
    Register {
        #[command(flatten)]
        discord: DiscordArgs,
        /// Register even if this deployment registered these commands already.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// The backend, server version, migration level and rows per table (no password shown). The
    /// database is not migrated: pending migrations are listed.
    Status,
    /// Copy the whole ledger (every workspace, the history, audit log, schedules, outbox and alert
    /// states, with the same ids) into an empty database, then compare every workspace's
    /// dashboard on both sides.
    #[command(after_help = "Examples:
  jarvis db copy --to postgres://jarvis:PASSWORD@db.internal/jarvis
  DATABASE_URL=postgres://... jarvis db copy --to sqlite://back.db
A copy that was stopped leaves the target marked unfinished: Jarvis will not run on it, and
copying again needs --restart.")]
    Copy {
        /// The database to copy into (a SQLite path or URL, or a PostgreSQL URL); it must be empty.
        #[arg(long, value_name = "URL")]
        to: String,
        /// Empty a target holding a copy that did not finish, and copy again.
        #[arg(long)]
        restart: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Add, change, remove and look at what the company pays for.
    #[command(subcommand)]
    Item(Box<ItemCommand>),
    /// Record costs by hand and read the cost history.
    #[command(subcommand)]
    Cost(CostCommand),
    /// Exchange rates for converting into the base currency.
    #[command(subcommand)]
    Rate(RateCommand),
    /// Workspace settings: base currency, timezone, language, expiring window.
    #[command(subcommand)]
    Settings(SettingsCommand),
    /// Housekeeping: charge passed renewals of auto-renewing items and close elapsed months.
    #[command(subcommand)]
    Jobs(JobsCommand),
    /// Check that the read model (the month roll-ups the dashboard, trends, alerts and report
    /// read) matches the cost records; `--rebuild` builds it again from them (after restoring or
    /// editing the database outside Jarvis).
    Doctor {
        /// Rebuild the read model from the records (after checking it).
        #[arg(long)]
        rebuild: bool,
        /// Every workspace in the database, not only --workspace.
        #[arg(long)]
        all_workspaces: bool,
    },
    /// The ledger's database: what it is and holds, and moving it to another one.
    #[command(subcommand)]
    Db(DbCommand),
    /// The bot instances sharing this ledger (live or gone), the background jobs they hold, the
    /// oldest message still owed to Discord and the last report slot claimed.
    Status,
    /// Who changed what, newest first.
    #[command(after_help = "Examples:
  jarvis audit                   (the newest 20 changes)
  jarvis audit --limit 100 --page 2")]
    Audit {
        /// How many entries to show on a page, 1 to 1000.
        #[arg(long, value_name = "N", default_value = "20", value_parser = page_size, allow_negative_numbers = true)]
        limit: u32,
        /// Which page to show: 1 (the newest), 2, ... or `last` (the oldest) [default: 1].
        #[arg(long, value_name = "K", value_parser = page_number, allow_negative_numbers = true)]
        page: Option<PageNumber>,
    },
    /// The dashboard: monthly cost, categories, this month so far, the last 12 months, upcoming
    /// renewals, alerts and providers.
    #[command(after_help = "Examples:
  jarvis dashboard
  jarvis dashboard --days 60 --chart dashboard.png
  jarvis dashboard --json")]
    Dashboard {
        /// List renewals in the next this many days.
        #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=366))]
        days: u32,
        /// Also draw the monthly costs and the category breakdown as a PNG image to this file.
        #[arg(long, value_name = "FILE.png")]
        chart: Option<PathBuf>,
    },
    /// Monthly costs from the cost history, this month so far with its projection, and a forecast
    /// of the next 3 months with an 80% interval (from 3 months of history on).
    #[command(after_help = "Examples:
  jarvis trends
  jarvis trends --months 24 --category ai-services
  jarvis trends --chart trends.png")]
    Trends {
        /// Completed months to show and fit the forecast on.
        #[arg(long, default_value_t = 12, value_parser = clap::value_parser!(u32).range(1..=60))]
        months: u32,
        /// Only this category.
        #[arg(long, value_enum)]
        category: Option<Category>,
        /// Also draw the chart as a PNG image to this file.
        #[arg(long, value_name = "FILE.png")]
        chart: Option<PathBuf>,
    },
    /// What needs attention: renewals, expiries, budgets, free tiers, API keys, unusual spend.
    Alerts,
    /// What renews soon, soonest first, with its price and whether it renews by itself.
    #[command(after_help = "Examples:
  jarvis renewals
  jarvis renewals --days 90 --limit 20 --page 2")]
    Renewals {
        /// Renewals in the next this many days.
        #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=366))]
        days: u32,
        #[command(flatten)]
        page: PageArgs,
    },
    /// The Jarvis report: health score with its components, recommendations with what they save,
    /// and risks.
    Report,
    /// Monthly budgets for the total and per category, with alert thresholds.
    #[command(subcommand)]
    Budget(BudgetCommand),
    /// API tokens of this workspace: each reaches only it, to read or also to change it.
    #[command(subcommand)]
    Token(TokenCommand),
    /// The web pages: a one-time sign-in link, signing everyone out.
    #[command(subcommand)]
    Web(WebCommand),
    /// AI providers' own cost APIs: connect an item to OpenAI's or Anthropic's organisation
    /// costs, pull them, disconnect.
    #[command(subcommand)]
    Ai(AiCommand),
    /// Monitored websites: uptime, response time, certificates, and their domains' expiry.
    #[command(subcommand)]
    Site(SiteCommand),
    /// Run the Discord bot: slash commands for everyone in your server, on this database.
    #[command(
        after_help = "Needs DISCORD_TOKEN (see README, \"Create the Discord application\"). Stop it with Ctrl-C or SIGTERM.

Several instances on one PostgreSQL ledger (or one SQLite file) share the work: each job is done
once, and each serves its own shards, e.g. for three instances:
  JARVIS_SHARDS=0-1 JARVIS_SHARD_COUNT=6 jarvis run
  JARVIS_SHARDS=2-3 JARVIS_SHARD_COUNT=6 jarvis run
  JARVIS_SHARDS=4-5 JARVIS_SHARD_COUNT=6 jarvis run
See docs/DEPLOY.md, \"Several instances\"; `jarvis status` shows who serves what."
    )]
    Run(RunArgs),
    /// Serve the HTTP API alone (/api/cost/..., /healthz, /readyz, /metrics), on
    /// JARVIS_HTTP_ADDR (127.0.0.1:8080 by default), until Ctrl-C or SIGTERM.
    #[command(
        after_help = "Requests carry `Authorization: Bearer <token>`; make one with `jarvis token create NAME --scope read|write`.
The routes, their bodies and curl examples: README, \"HTTP API\"."
    )]
    Serve(HttpArgs),
    /// The slash commands Discord shows: register them (the instance serving shard 0 does this
    /// by itself when they changed).
    #[command(subcommand)]
    Commands(CommandsCommand),
    /// Fill an empty workspace with a sample company and a year of history, then list it; or,
    /// with --size, with a large generated workload.
    #[command(after_help = "Examples:
  jarvis --workspace demo demo                     (the sample company)
  jarvis --workspace bench demo --size large       (10,000 items, 1,000,000 cost records)
  jarvis --workspace bench2 demo --size small --seed 7

Sizes: small = 100 items and 10,000 cost records, medium = 1,000 and 100,000, large = 10,000 and
1,000,000, over the three years before today, with exchange rates, budgets and sites (on
.example addresses, which are never checked). The same seed gives the same workspace.")]
    Demo(DemoArgs),
    /// Bring data in: `import focus FILE` reads a cloud bill (FOCUS); `import jarvis FILE`
    /// restores a backup into an empty workspace.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Export the whole workspace as a backup (JSON), or its items or cost history as JSON or CSV.
    /// Stored amounts are exact: 0.0000008 USD stays 0.0000008.
    #[command(after_help = "Examples:
  jarvis export all -o backup.json      (a backup, restored with `jarvis import jarvis backup.json`)
  jarvis export history --format csv -o history.csv")]
    Export {
        /// What to export: `all` is a backup of everything (items, cost records, rates, budgets,
        /// settings, sites); CSV holds one table, so choose items or history with it.
        #[arg(value_enum, default_value = "all")]
        what: ExportWhat,
        /// Output format.
        #[arg(long, value_enum, default_value = "json")]
        format: ExportFormat,
        /// Write to this file instead of standard output.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Instead of the sample company, generate items of every kind, period and currency with
    /// three years of cost history, written in batches with progress shown.
    #[arg(long, value_enum)]
    pub size: Option<DemoSize>,
    /// The generator's seed (with --size): the same seed gives the same workspace.
    #[arg(long, default_value_t = crate::app::DEFAULT_SEED, requires = "size")]
    pub seed: u64,
    /// Add the generated workload to a workspace that already has items (with --size); nothing
    /// in it is changed or deleted.
    #[arg(long, requires = "size")]
    pub allow_existing: bool,
}

/// How large a generated workload `demo --size` writes.
#[derive(Clone, Copy, PartialEq, Eq, Debug, ValueEnum)]
pub enum DemoSize {
    /// 100 items, 10,000 cost records.
    Small,
    /// 1,000 items, 100,000 cost records.
    Medium,
    /// 10,000 items, 1,000,000 cost records.
    Large,
}

impl From<DemoSize> for crate::app::SeedSize {
    fn from(size: DemoSize) -> Self {
        match size {
            DemoSize::Small => crate::app::SeedSize::Small,
            DemoSize::Medium => crate::app::SeedSize::Medium,
            DemoSize::Large => crate::app::SeedSize::Large,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Restore a backup written by `jarvis export all` into an empty workspace: items, cost
    /// records, exchange rates, budgets, settings, sites and the report schedule. The whole file is
    /// checked first; nothing is written unless all of it is right.
    #[command(after_help = "Examples:
  jarvis --workspace restored import jarvis backup.json
  jarvis --database-url sqlite://new.db import jarvis - < backup.json

The target workspace must be empty: choose a new one with --workspace, or another database.
Ids stay as in the file unless this database already uses them; then they are renumbered.")]
    Jarvis {
        /// The backup file, or `-` to read standard input.
        file: PathBuf,
    },
    /// Import a cloud bill exported as FOCUS 1.0 to 1.3 (`.csv` or `.csv.gz`): each billed
    /// service becomes an item, its costs one record per day. Importing the same billing account
    /// and period again replaces what was imported for it; it never doubles. Hand-entered records
    /// are never touched.
    #[command(after_help = "Examples:
  jarvis import focus aws-2026-11.csv.gz --dry-run
  jarvis import focus aws-2026-11.csv.gz
  jarvis import focus azure.csv --map 'Virtual Machines=azure-vms' --map 'Microsoft / Storage=blob'
  gunzip -c bill.csv.gz | jarvis import focus -
  jarvis import focus export-00001.csv.gz export-00002.csv.gz     (a split export, as one import)

A row that cannot be read stops the import (nothing is written) with its line, column and
value; --skip-bad imports the other rows and lists the skipped ones.")]
    Focus {
        /// The FOCUS file (plain or gzip-compressed CSV), or `-` to read standard input; the
        /// parts of a split export (AWS writes large ones in parts) all at once, as one import.
        #[arg(required = true, num_args = 1..)]
        files: Vec<PathBuf>,
        /// Show what would change (per provider, service and month, before and after) and write
        /// nothing.
        #[arg(long)]
        dry_run: bool,
        /// Import the rows that can be read, and list the ones that cannot.
        #[arg(long)]
        skip_bad: bool,
        /// Send a billed service into an item you name instead of one of its own: SERVICE=ITEM
        /// (the service as the file names it, or `PROVIDER / SERVICE`). Repeat for more.
        #[arg(long, value_name = "SERVICE=ITEM", value_parser = ServiceMap::parse)]
        map: Vec<ServiceMap>,
        /// Replace what was imported for the file's billing accounts and periods even though the
        /// file bills nothing of some service imported for them (without it, such a file is
        /// refused: it looks like one part of a split export).
        #[arg(long)]
        replace_partial: bool,
    },
    /// The bills imported, newest first, each with the file's total beside the ledger's.
    List,
    /// One import: its billing accounts and periods, services, and reconciliation.
    Show {
        /// The import's number (from `import list`) or public id.
        id: String,
    },
    /// Take an import's records out of the ledger (they are kept, marked removed).
    Remove {
        /// The import's number (from `import list`) or public id.
        id: String,
    },
    /// Send a billed service into another item, from now on and for every record already
    /// imported for it.
    #[command(after_help = "Examples:
  jarvis import map 'Amazon Elastic Compute Cloud=aws-prod'
  jarvis import map 'Google Cloud / Cloud Storage=gcs'")]
    Map {
        /// SERVICE=ITEM: the service as the bills name it (or `PROVIDER / SERVICE`) and the item.
        #[arg(value_parser = ServiceMap::parse)]
        map: ServiceMap,
    },
}

#[derive(Debug, Subcommand)]
pub enum ItemCommand {
    /// Add an item.
    #[command(after_help = "Examples:
  jarvis item add domain acme.com --cost 12.98 --renews 2027-03-01 --auto-renew --registrar Namecheap
  jarvis item add hosting api-prod --provider AWS --cost 74.88 --server-type t3.large
  jarvis item add ai_provider OpenAI --pricing pay-per-use --unit '1M tokens' --unit-price 2.50 --usage 96
  jarvis item add integration Supabase --integration-type database --cost 25 --usage-limit 8 --unit GB
  jarvis item add package 'GitHub Team' --cost 20 --feature 'Private repos' --feature 'Code owners'")]
    Add {
        /// What it is.
        #[arg(value_enum)]
        kind: Kind,
        /// Its name, unique among items of its kind (case-insensitive).
        #[arg(value_parser = item_name)]
        name: ItemName,
        #[command(flatten)]
        fields: ItemFields,
    },
    /// Change an item's fields; anything not given stays as it is.
    #[command(after_help = "Examples:
  jarvis item edit acme.com --cost 14.98 --renews 2027-03-01
  jarvis item edit OpenAI --usage 120 --key-status expired
  jarvis item edit '#7' --clear notes --clear renewal")]
    Edit {
        /// The item: its name or #id.
        item: String,
        /// Only look among items of this kind (when two kinds share a name).
        #[arg(long, value_enum)]
        kind: Option<Kind>,
        /// New name.
        #[arg(long, value_parser = item_name)]
        name: Option<ItemName>,
        #[command(flatten)]
        fields: ItemFields,
        /// Clear a field (repeatable).
        #[arg(long, value_enum)]
        clear: Vec<ClearField>,
    },
    /// Remove an item: what it cost up to yesterday is recorded, then it stops counting. Its
    /// cost history is kept; `item restore` brings it back.
    Remove {
        /// The item: its name or #id.
        item: String,
        /// Only look among items of this kind.
        #[arg(long, value_enum)]
        kind: Option<Kind>,
    },
    /// Bring back a removed item (by #id, or by name: the most recently removed).
    Restore {
        /// The removed item: its name or #id.
        item: String,
        /// Only look among items of this kind.
        #[arg(long, value_enum)]
        kind: Option<Kind>,
    },
    /// List items with their monthly cost, a page at a time, and the totals of every item
    /// matching (on every page).
    #[command(after_help = "Examples:
  jarvis item list
  jarvis item list --kind domain --status expiring
  jarvis item list --limit 100 --page 3")]
    List {
        #[arg(long, value_enum)]
        kind: Option<Kind>,
        #[arg(long, value_enum)]
        category: Option<Category>,
        #[arg(long, value_enum)]
        status: Option<Status>,
        #[command(flatten)]
        page: PageArgs,
    },
    /// Show one item in full, with its recent cost history.
    Show {
        /// The item: its name or #id.
        item: String,
        /// Only look among items of this kind.
        #[arg(long, value_enum)]
        kind: Option<Kind>,
    },
}

/// Fields that `item add` and `item edit` share.
#[derive(Debug, Args, Default)]
pub struct ItemFields {
    /// Who provides it, e.g. AWS, Namecheap, OpenAI.
    #[arg(long, value_parser = provider)]
    pub provider: Option<Label>,
    /// Price per billing period, e.g. 12.50 (for usage-based items: the base fee, default 0).
    #[arg(long, value_parser = cost, allow_negative_numbers = true)]
    pub cost: Option<Decimal>,
    /// ISO 4217 currency of the cost [default: the workspace's base currency].
    #[arg(long, value_parser = Currency::parse)]
    pub currency: Option<Currency>,
    /// How often it is paid [default: yearly for domains, monthly otherwise].
    #[arg(long, value_enum)]
    pub period: Option<BillingPeriod>,
    /// Next renewal or billing date (YYYY-MM-DD); the expiry date if it does not auto-renew.
    #[arg(long, value_parser = date)]
    pub renews: Option<NaiveDate>,
    /// It renews (and is charged) automatically.
    #[arg(long, conflicts_with = "no_auto_renew")]
    pub auto_renew: bool,
    /// It does not renew by itself.
    #[arg(long)]
    pub no_auto_renew: bool,
    /// Manual status; `active` lets the dates decide between active, expiring and expired.
    #[arg(long, value_enum)]
    pub status: Option<ManualStatus>,
    /// Free-form notes.
    #[arg(long, value_parser = notes)]
    pub notes: Option<Notes>,
    /// What usage is counted in, e.g. request, GB, '1M tokens'.
    #[arg(long, value_parser = unit)]
    pub unit: Option<Label>,
    /// Price per unit beyond the free tier, e.g. 0.002.
    #[arg(long, value_parser = unit_price, allow_negative_numbers = true)]
    pub unit_price: Option<Decimal>,
    /// Units free each billing cycle.
    #[arg(long, value_parser = free_tier, allow_negative_numbers = true)]
    pub free_tier: Option<Decimal>,
    /// Units used so far this billing cycle.
    #[arg(long, value_parser = usage, allow_negative_numbers = true)]
    pub usage: Option<Decimal>,
    /// Hard usage limit (quota) per cycle.
    #[arg(long, value_parser = usage_limit, allow_negative_numbers = true)]
    pub usage_limit: Option<Decimal>,
    /// Days before the renewal that alerts fire for this item, e.g. 60,14,1 [default: the
    /// workspace's lead times].
    #[arg(long, value_parser = LeadTimes::parse)]
    pub lead_times: Option<LeadTimes>,
    /// What a year would cost if billed yearly (monthly or quarterly items): Jarvis suggests
    /// switching when it saves money.
    #[arg(long, value_parser = yearly_price)]
    pub yearly_price: Option<Decimal>,
    /// What a flat monthly plan would cost (usage-based items): Jarvis suggests it when usage
    /// costs more.
    #[arg(long, value_parser = plan_price)]
    pub plan_price: Option<Decimal>,
    /// Domains: the registrar.
    #[arg(long, value_parser = registrar, help_heading = "Domain")]
    pub registrar: Option<Label>,
    /// Hosting: server or instance type, e.g. t3.large.
    #[arg(long, value_parser = server_type, help_heading = "Hosting")]
    pub server_type: Option<Label>,
    /// Hosting: specs, e.g. '2 vCPU, 8 GiB RAM'.
    #[arg(long, value_parser = specs, help_heading = "Hosting")]
    pub specs: Option<Label>,
    /// AI providers: what the service makes.
    #[arg(long, value_enum, help_heading = "AI provider")]
    pub service_type: Option<ServiceType>,
    /// AI providers and integrations: how it is priced.
    #[arg(long, value_enum, help_heading = "AI provider / integration")]
    pub pricing: Option<PricingModel>,
    /// AI providers: what you know of the API key (Jarvis never stores keys).
    #[arg(long, value_enum, help_heading = "AI provider")]
    pub key_status: Option<ApiKeyStatus>,
    /// Integrations: what it does.
    #[arg(long, value_enum, help_heading = "Integration")]
    pub integration_type: Option<IntegrationType>,
    /// Packages: a feature included (repeat for several; replaces the list).
    #[arg(long = "feature", value_parser = feature, help_heading = "Package")]
    pub features: Vec<Label>,
}

/// Fields `item edit --clear` can empty.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ClearField {
    Provider,
    Renewal,
    Notes,
    /// The whole usage meter.
    Usage,
    UnitPrice,
    FreeTier,
    UsageLimit,
    Registrar,
    ServerType,
    Specs,
    Features,
    /// Back to the workspace's lead times.
    LeadTimes,
    YearlyPrice,
    PlanPrice,
}

#[derive(Debug, Subcommand)]
pub enum CostCommand {
    /// Record a cost against an item (default: for the current month). Days it pays for are not
    /// charged again by renewals or month close.
    #[command(after_help = "Examples:
  jarvis cost record OpenAI 182.40 --month 2026-10 --source usage --usage 73
  jarvis cost record acme.com 12.98 --date 2026-03-01
  jarvis cost record 'Office internet' 1290 --currency THB --from 2026-10-01 --to 2026-10-31")]
    Record {
        /// The item: its name or #id.
        item: String,
        /// The amount, e.g. 182.40.
        #[arg(value_parser = amount, allow_negative_numbers = true)]
        amount: Decimal,
        /// Currency [default: the item's].
        #[arg(long, value_parser = Currency::parse)]
        currency: Option<Currency>,
        /// The month it pays for (YYYY-MM).
        #[arg(long, conflicts_with_all = ["date", "from"])]
        month: Option<Month>,
        /// The day it was paid: it pays for the item's billing cycle starting that day (a year
        /// for a yearly domain; just that day for one-time purchases).
        #[arg(long, value_parser = date, conflicts_with = "from")]
        date: Option<NaiveDate>,
        /// First day it pays for (with --to).
        #[arg(long, value_parser = date, requires = "to")]
        from: Option<NaiveDate>,
        /// Last day it pays for (with --from).
        #[arg(long, value_parser = date, requires = "from")]
        to: Option<NaiveDate>,
        /// Where the figure comes from.
        #[arg(long, value_enum, default_value_t = CostSource::Manual)]
        source: CostSource,
        /// Units used, for a usage bill.
        #[arg(long, value_parser = usage, allow_negative_numbers = true)]
        usage: Option<Decimal>,
        /// A note, e.g. an invoice number.
        #[arg(long, value_parser = notes)]
        note: Option<Notes>,
        /// Put this figure in place of what Jarvis recorded for the same days (its renewal
        /// charges and month-close estimates).
        #[arg(long)]
        replace: bool,
        /// Record it even though a record with the same amount and days exists (a second,
        /// separate charge); without it such a record is refused, so a retry never counts twice.
        #[arg(long)]
        again: bool,
        /// Only look among items of this kind.
        #[arg(long, value_enum)]
        kind: Option<Kind>,
    },
    /// Remove a wrong cost record (see ids in `cost history`). Its days are not charged again.
    Remove {
        /// The record's id, e.g. 42 or #42.
        #[arg(value_parser = record_id)]
        id: i64,
    },
    /// Cost records, oldest first, a page at a time, with the total of every record matching (on
    /// every page) in the base currency.
    #[command(after_help = "Examples:
  jarvis cost history --from 2026-09-01
  jarvis cost history OpenAI --page last      (its newest records)")]
    History {
        /// Only this item (name or #id).
        item: Option<String>,
        /// Records that reach this day or later.
        #[arg(long, value_parser = date)]
        from: Option<NaiveDate>,
        /// Records that start on this day or earlier.
        #[arg(long, value_parser = date)]
        to: Option<NaiveDate>,
        /// Only look among items of this kind.
        #[arg(long, value_enum)]
        kind: Option<Kind>,
        #[command(flatten)]
        page: PageArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum SiteCommand {
    /// Start monitoring a website (checked at once, then every --interval minutes).
    #[command(after_help = "Examples:
  jarvis site add https://acme.dev
  jarvis site add shop.acme.dev --keyword \"Add to cart\" --interval 10

Only http and https; private and loopback addresses are refused unless
JARVIS_PROBE_ALLOW_PRIVATE=1. The bot checks sites on schedule; without it, run
`jarvis site check` from cron.")]
    Add {
        /// The address, e.g. https://acme.dev (https:// is assumed when left out).
        url: String,
        /// Text the page must contain (case-insensitive, first MiB); missing counts as a failure.
        #[arg(long)]
        keyword: Option<String>,
        /// Minutes between checks, 1 to 1440 [default: 5].
        #[arg(long, value_name = "MINUTES", value_parser = parse_interval)]
        interval: Option<u32>,
    },
    /// Stop monitoring a website (its check history goes).
    Remove {
        /// The site: its URL, host name, or #number from `site list`.
        site: String,
    },
    /// Every monitored website with its state, uptime and score.
    List,
    /// Check websites now (all, or one), and look their domains up if a day has passed.
    Check {
        /// The site: its URL, host name, or #number [default: all].
        site: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Make a token and print it, once: only a hash of it is kept.
    #[command(after_help = "Examples:
  jarvis token create grafana --scope read
  jarvis token create billing-sync --scope write")]
    Create {
        /// A name to know it by (unique among this workspace's live tokens).
        name: String,
        /// read: it may only read; write: it may also change the ledger.
        #[arg(long, value_parser = TokenScope::parse)]
        scope: TokenScope,
    },
    /// The workspace's tokens: name, scope, visible prefix, when made and last used (never the
    /// tokens themselves).
    List,
    /// Revoke a token by name: requests with it are refused from now on.
    Revoke {
        /// The token's name.
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum WebCommand {
    /// Print a one-time link that signs you in to this workspace's web pages (valid 10 minutes,
    /// single use). `jarvis serve` or `jarvis run` with JARVIS_HTTP_ADDR must be serving them.
    #[command(after_help = "Examples:
  jarvis web link
  jarvis web link --read-only
  JARVIS_PUBLIC_URL=https://jarvis.example.com jarvis web link")]
    Link {
        /// A link that may only read, not change the ledger.
        #[arg(long)]
        read_only: bool,
        /// The name the pages show for you [default: your user name].
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        http: HttpArgs,
    },
    /// End every web session of this workspace: everyone signs in again with a new link.
    SignOutAll,
}

#[derive(Debug, Subcommand)]
pub enum AiCommand {
    /// Connect a usage-billed AI provider item to its provider's organisation cost API with an
    /// admin key, read from standard input (or from the variable --key-env names). The key is
    /// tried on the current and previous month, whose costs are pulled, then stored encrypted
    /// with JARVIS_SECRET_KEY; the bot pulls daily after that.
    #[command(after_help = "Examples:
  jarvis ai connect \"OpenAI API\" --provider openai < openai-admin-key.txt
  OPENAI_ADMIN_KEY=sk-admin-... jarvis ai connect \"OpenAI API\" --provider openai --key-env OPENAI_ADMIN_KEY
  jarvis ai connect Claude --provider anthropic        (then paste the key and press Enter)")]
    Connect {
        /// The item: its name or #id (an AI provider billed usage-based).
        item: String,
        /// Whose cost API: openai or anthropic.
        #[arg(long, value_parser = Vendor::from_str)]
        provider: Vendor,
        /// Read the key from this environment variable instead of standard input.
        #[arg(long, value_name = "VAR")]
        key_env: Option<String>,
    },
    /// Pull now: one item's connection, or every connected item's.
    Pull {
        /// The item: its name or #id [default: every connected item].
        item: Option<String>,
    },
    /// The connected items: provider, key prefix, the last successful pull, failures.
    Connections,
    /// Disconnect an item: its key is deleted; what was pulled stays in its history.
    Disconnect {
        /// The item: its name or #id.
        item: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum BudgetCommand {
    /// Set a monthly budget (replacing the scope's current one).
    #[command(after_help = "Examples:
  jarvis budget set total 1000
  jarvis budget set ai-services 400 --thresholds 50,80,100")]
    Set {
        /// What it covers: total, or a category (infrastructure, ai_services, third_party,
        /// packages, other).
        #[arg(value_parser = BudgetScope::from_str)]
        scope: BudgetScope,
        /// The monthly amount, e.g. 400 (0 means any spending is over budget).
        #[arg(value_parser = budget_amount, allow_negative_numbers = true)]
        amount: Decimal,
        /// Currency [default: the workspace's base currency].
        #[arg(long, value_parser = Currency::parse)]
        currency: Option<Currency>,
        /// Percentages of the budget that raise alerts [default: 80,100, or the budget's current
        /// ones].
        #[arg(long, value_parser = Thresholds::parse)]
        thresholds: Option<Thresholds>,
    },
    /// List budgets and how this month is going against them.
    List,
    /// Remove a budget.
    Remove {
        /// total, or a category.
        #[arg(value_parser = BudgetScope::from_str)]
        scope: BudgetScope,
    },
}

#[derive(Debug, Subcommand)]
pub enum RateCommand {
    /// Set an exchange rate: 1 BASE = RATE QUOTE, e.g. `rate set USD THB 35.2`.
    Set {
        #[arg(value_parser = Currency::parse)]
        base: Currency,
        #[arg(value_parser = Currency::parse)]
        quote: Currency,
        /// How many QUOTE one BASE buys.
        #[arg(value_parser = rate, allow_negative_numbers = true)]
        rate: Decimal,
        /// The day it takes effect [default: today].
        #[arg(long, value_parser = date)]
        date: Option<NaiveDate>,
    },
    /// List exchange rates.
    List,
}

#[derive(Debug, Subcommand)]
pub enum SettingsCommand {
    /// Show the workspace's settings.
    Show,
    /// Change a setting, e.g. `settings set currency THB`, `settings set timezone Asia/Bangkok`,
    /// `settings set expiring-window 14`.
    Set {
        #[arg(value_enum)]
        key: SettingKey,
        value: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// Run renewal advancement and month close now (safe to repeat: nothing is charged twice).
    Run {
        /// Every workspace in the database, not just --workspace.
        #[arg(long)]
        all_workspaces: bool,
    },
}
