//! `/cost`, `/budget` and `/settings`. Reading is for everyone; changes need Manage Server or the
//! admin role.

use poise::serenity_prelude as serenity;

use crate::analysis::text;
use crate::app::{CostInput, CostPeriod, ImportOptions, ImportProgress, ItemRef, ServiceMap};
use crate::discord::choices::EnteredSource;
use crate::discord::paging::{self, Listing};
use crate::discord::reply::{self, colour};
use crate::discord::{Context, Error, guard};
use crate::domain::UserError;
use crate::domain::audit::Actor;
use crate::domain::budget::{BudgetScope, Thresholds};
use crate::domain::calendar::{Month, parse_date};
use crate::domain::cost::CostSource;
use crate::domain::money::{Currency, NumberRule};
use crate::domain::page::{PageNumber, PageRequest};
use crate::domain::text::Notes;
use crate::domain::workspace::SettingKey;
use crate::render::Page;

fn actor(ctx: Context<'_>) -> Actor {
    Actor::User(ctx.author().id.get().to_string())
}

async fn any_items(ctx: Context<'_>, partial: &str) -> serenity::CreateAutocompleteResponse {
    let Ok(ws) = guard::workspace(ctx) else { return serenity::CreateAutocompleteResponse::new() };
    let found = guard::app(ctx).item_choices(&ws, &[], partial, 25).await.unwrap_or_default();
    let choices = found
        .into_iter()
        .map(|c| {
            serenity::AutocompleteChoice::new(
                crate::render::cut(&format!("{} ({})", c.name, c.kind), 100),
                format!("#{}", c.id),
            )
        })
        .collect();
    serenity::CreateAutocompleteResponse::new().set_choices(choices)
}

fn date(field: &'static str, value: &Option<String>) -> Result<Option<chrono::NaiveDate>, Error> {
    Ok(value.as_deref().map(|v| parse_date(field, v)).transpose()?)
}

/// Cost history: record a cost by hand, read what was spent
#[poise::command(
    slash_command,
    guild_only,
    subcommands("cost_record", "cost_history", "cost_import"),
    subcommand_required
)]
pub async fn cost(_ctx: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// Record a cost against an item (default: for this month); its days are not charged again
#[poise::command(slash_command, guild_only, rename = "record")]
#[allow(clippy::too_many_arguments)]
async fn cost_record(
    ctx: Context<'_>,
    #[description = "The item"]
    #[autocomplete = "any_items"]
    item: String,
    #[description = "The amount, e.g. 182.40"] amount: String,
    #[description = "The month it pays for, YYYY-MM (default: this month)"] month: Option<String>,
    #[description = "Or the day it was paid: it pays for the billing cycle starting then, YYYY-MM-DD"] date: Option<
        String,
    >,
    #[description = "Currency (default: the item's)"] currency: Option<String>,
    #[description = "Where the figure comes from (default manual)"] source: Option<EnteredSource>,
    #[description = "Units used, for a usage bill"] usage: Option<String>,
    #[description = "A note, e.g. an invoice number"] note: Option<String>,
    #[description = "Put this figure in place of what Jarvis recorded for the same days"] replace: Option<bool>,
    #[description = "Record it even if the same amount for the same days is recorded (another charge)"] again: Option<
        bool,
    >,
) -> Result<(), Error> {
    let ws = guard::workspace(ctx)?;
    guard::require_admin(ctx, &ws).await?;
    let renderer = reply::renderer(ctx, &ws).await?;
    let period = match (&month, &date) {
        (Some(_), Some(_)) => {
            return Err(UserError::Conflict("Give either month or date, not both".into()).into());
        }
        (Some(month), None) => CostPeriod::Month(month.parse::<Month>()?),
        (None, Some(_)) => CostPeriod::PaidOn(self::date("date", &date)?.expect("given")),
        (None, None) => CostPeriod::CurrentMonth,
    };
    let input = CostInput {
        item: item.parse::<ItemRef>()?,
        amount: NumberRule::amount("amount").parse(&amount)?,
        currency: currency.as_deref().map(Currency::parse).transpose()?,
        period,
        source: source.map_or(CostSource::Manual, |s| s.0),
        usage: usage.as_deref().map(|u| NumberRule::quantity("usage").parse(u)).transpose()?,
        note: note.as_deref().map(Notes::parse).transpose()?,
        replace: replace.unwrap_or(false),
        again: again.unwrap_or(false),
    };
    let recorded = guard::app(ctx).record_cost(&ws, &actor(ctx), &input).await?;
    let text = renderer.text(&text!(
        "reply.cost.recorded",
        id = recorded.id,
        // Exactly as stored: a confirmation of `0.0000008` must not say `0.00`.
        amount = crate::app::views::TypedMoney(recorded.amount),
        item = recorded.item,
        from = recorded.period_start,
        to = recorded.period_end
    ));
    reply::done(ctx, text).await
}

/// Cost records with their total in the base currency
#[poise::command(slash_command, guild_only, rename = "history")]
async fn cost_history(
    ctx: Context<'_>,
    #[description = "Only this item"]
    #[autocomplete = "any_items"]
    item: Option<String>,
    #[description = "Records that reach this day or later, YYYY-MM-DD"] from: Option<String>,
    #[description = "Records that start on this day or earlier, YYYY-MM-DD"] to: Option<String>,
    #[description = "Which page to show (default: the last, with the newest records)"]
    #[min = 1]
    #[max = 2147483647]
    page: Option<u32>,
) -> Result<(), Error> {
    let ws = guard::workspace(ctx)?;
    let reference = item.as_deref().map(str::parse::<ItemRef>).transpose()?;
    let (from, to) = (date("from", &from)?, date("to", &to)?);
    ctx.defer().await?;
    let renderer = reply::renderer(ctx, &ws).await?;
    let per_page = Listing::History { item: None, from, to }.per_page();
    let request = PageRequest::with_number(page.map_or(PageNumber::Last, PageNumber::Nth), per_page)?;
    let history = guard::app(ctx).cost_history(&ws, reference.as_ref(), from, to, request).await?;
    // The buttons carry the item's id, whatever the member typed.
    let listing = Listing::History { item: history.item_uuid, from, to };
    let (embed, buttons) = paging::present(renderer, listing, Page::History, &history, &history.paging, colour::INFO)?;
    ctx.send(poise::CreateReply::default().embed(embed).components(buttons)).await?;
    Ok(())
}

/// Import a cloud bill exported as FOCUS (.csv or .csv.gz); a period imported again is replaced
#[poise::command(slash_command, guild_only, rename = "import")]
async fn cost_import(
    ctx: Context<'_>,
    #[description = "The FOCUS export: .csv or .csv.gz"] file: serenity::Attachment,
    #[description = "Show what would change, and write nothing"] dry_run: Option<bool>,
    #[description = "Import the rows that can be read and list the others (default: refuse the file)"] skip_bad: Option<
        bool,
    >,
    #[description = "SERVICE=ITEM: send a billed service into an item you name; several: separate with ;"] map: Option<
        String,
    >,
    #[description = "Replace the account's period even if the file lacks services imported for it before"]
    replace_partial: Option<bool>,
) -> Result<(), Error> {
    let ws = guard::workspace(ctx)?;
    guard::require_admin(ctx, &ws).await?;
    let maps = map
        .as_deref()
        .unwrap_or("")
        .split(';')
        .filter(|m| !m.trim().is_empty())
        .map(ServiceMap::parse)
        .collect::<Result<Vec<_>, _>>()?;
    ctx.defer().await?;
    let renderer = reply::renderer(ctx, &ws).await?;
    let progress = |text: crate::analysis::Text| poise::CreateReply::default().content(renderer.text(&text));
    let handle = ctx.send(progress(text!("reply.import.downloading", file = file.filename.clone()))).await?;
    // Streamed from Discord's CDN into the import as it arrives, never held whole.
    let download = match reqwest::Client::new().get(&file.url).send().await.and_then(|r| r.error_for_status()) {
        Ok(response) => response.bytes_stream(),
        Err(error) => {
            tracing::warn!("could not fetch an attachment from Discord: {error}");
            handle.edit(ctx, progress(text!("reply.import.unfetched", file = file.filename.clone()))).await?;
            return Ok(());
        }
    };
    let (input, _) = crate::app::stream::ChunkReader::spawn(download, u64::MAX);
    let options = ImportOptions {
        file_name: file.filename.clone(),
        skip_bad: skip_bad.unwrap_or(false),
        dry_run: dry_run.unwrap_or(false),
        maps,
        replace_partial: replace_partial.unwrap_or(false),
    };
    // The import runs on its own while this message says how far it got, every few seconds.
    let (tell, mut heard) = tokio::sync::watch::channel(None::<ImportProgress>);
    let app = guard::app(ctx).clone();
    let (workspace, who) = (ws.clone(), actor(ctx));
    let mut work = tokio::spawn(async move {
        app.import_focus(&workspace, &who, input, &options, move |p| {
            tell.send_replace(Some(p));
        })
        .await
    });
    let imported = loop {
        tokio::select! {
            done = &mut work => break done.map_err(|e| anyhow::anyhow!("the import stopped: {e}"))?,
            () = tokio::time::sleep(PROGRESS_EVERY) => {
                if !heard.has_changed().unwrap_or(false) {
                    continue;
                }
                let shown = *heard.borrow_and_update();
                let text = match shown {
                    Some(ImportProgress::Read { rows }) => text!("reply.import.reading", file = file.filename.clone(), rows = rows),
                    Some(ImportProgress::Writing { records }) => text!("reply.import.writing", records = records),
                    None => continue,
                };
                // A progress line that cannot be shown (rate limits) does not stop the import.
                if let Err(error) = handle.edit(ctx, progress(text)).await {
                    tracing::debug!("could not show an import's progress: {error}");
                }
            }
        }
    };
    match imported {
        Ok(summary) => {
            let colour = if summary.totals.iter().all(|t| t.equal) { colour::HEALTHY } else { colour::CRITICAL };
            let embed = reply::page_embed(renderer, Page::Import, &summary, colour)?;
            handle.edit(ctx, poise::CreateReply::default().content("").embed(embed)).await?;
            Ok(())
        }
        Err(crate::app::AppError::User(error)) => {
            // As the error replies show it: code spans render, and nothing pings (no mentions
            // are allowed on Jarvis's messages).
            let text = format!("❌ {}", reply::in_discord_terms(&error.to_string()));
            let text = crate::render::cut(&text, crate::render::limits::CONTENT);
            handle.edit(ctx, poise::CreateReply::default().content(text)).await?;
            Ok(())
        }
        Err(other) => {
            let _ = handle.delete(ctx).await;
            Err(other)
        }
    }
}

/// How often `/cost import` tells how far it got.
const PROGRESS_EVERY: std::time::Duration = std::time::Duration::from_secs(2);

/// Monthly budgets for the total and per category
#[poise::command(
    slash_command,
    guild_only,
    subcommands("budget_set", "budget_remove", "budget_list"),
    subcommand_required
)]
pub async fn budget(_ctx: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// Set a monthly budget (replacing the current one for that scope)
#[poise::command(slash_command, guild_only, rename = "set")]
async fn budget_set(
    ctx: Context<'_>,
    #[description = "What it covers: the total or one category"] scope: BudgetScope,
    #[description = "The monthly amount, e.g. 400 (0: any spending is over budget)"] amount: String,
    #[description = "Percentages that raise alerts, e.g. 80,100 (default 80,100)"] thresholds: Option<String>,
    #[description = "Currency (default: the workspace's base currency)"] currency: Option<String>,
) -> Result<(), Error> {
    let ws = guard::workspace(ctx)?;
    guard::require_admin(ctx, &ws).await?;
    let renderer = reply::renderer(ctx, &ws).await?;
    let amount = NumberRule::amount("budget").parse(&amount)?;
    let thresholds = thresholds.as_deref().map(Thresholds::parse).transpose()?;
    let currency = currency.as_deref().map(Currency::parse).transpose()?;
    let set = guard::app(ctx).set_budget(&ws, &actor(ctx), scope, amount, currency, thresholds).await?;
    let text =
        renderer.text(&text!("reply.budget.set", scope = set.scope, amount = set.amount, thresholds = set.thresholds));
    reply::done(ctx, text).await
}

/// Remove a budget
#[poise::command(slash_command, guild_only, rename = "remove")]
async fn budget_remove(
    ctx: Context<'_>,
    #[description = "The budget's scope"] scope: BudgetScope,
) -> Result<(), Error> {
    let ws = guard::workspace(ctx)?;
    guard::require_admin(ctx, &ws).await?;
    let renderer = reply::renderer(ctx, &ws).await?;
    let removed = guard::app(ctx).remove_budget(&ws, &actor(ctx), scope).await?;
    reply::done(ctx, renderer.text(&text!("reply.budget.removed", scope = removed.scope, amount = removed.amount)))
        .await
}

/// Budgets and how this month is going against them
#[poise::command(slash_command, guild_only, rename = "list")]
async fn budget_list(ctx: Context<'_>) -> Result<(), Error> {
    let ws = guard::workspace(ctx)?;
    // Budgets are checked against this month's spend: on a large workspace not yet read, that
    // takes longer than Discord waits for an answer.
    ctx.defer().await?;
    let renderer = reply::renderer(ctx, &ws).await?;
    let budgets = guard::app(ctx).budgets(&ws).await?;
    reply::send(ctx, reply::page_embed(renderer, Page::Budgets, &budgets, colour::INFO)?, Vec::new()).await
}

/// The workspace's settings: currency, timezone, language, alerts, admin role, exchange rates
#[poise::command(
    slash_command,
    guild_only,
    subcommands("settings_show", "settings_set", "settings_rate"),
    subcommand_required
)]
pub async fn settings(_ctx: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// Show the settings and exchange rates
#[poise::command(slash_command, guild_only, rename = "show")]
async fn settings_show(ctx: Context<'_>) -> Result<(), Error> {
    let ws = guard::workspace(ctx)?;
    let renderer = reply::renderer(ctx, &ws).await?;
    let view = guard::app(ctx).settings_page(&ws).await?;
    reply::send(ctx, reply::page_embed(renderer, Page::Settings, &view, colour::NEUTRAL)?, Vec::new()).await
}

/// Change a setting, e.g. currency THB, timezone Asia/Bangkok, lead_times 30,7,1, admin_role @Admins
#[poise::command(slash_command, guild_only, rename = "set")]
async fn settings_set(
    ctx: Context<'_>,
    #[description = "The setting"] setting: SettingKey,
    #[description = "Its new value (admin_role: the role, or none)"] value: String,
) -> Result<(), Error> {
    let ws = guard::workspace(ctx)?;
    guard::require_admin(ctx, &ws).await?;
    guard::app(ctx).set_setting(&ws, &actor(ctx), setting, &value).await?;
    let renderer = reply::renderer(ctx, &ws).await?;
    let view = guard::app(ctx).settings_page(&ws).await?;
    reply::send(ctx, reply::page_embed(renderer, Page::Settings, &view, colour::HEALTHY)?, Vec::new()).await
}

/// Set an exchange rate: 1 base = rate quote, e.g. USD THB 35.2
#[poise::command(slash_command, guild_only, rename = "rate")]
async fn settings_rate(
    ctx: Context<'_>,
    #[description = "The currency one unit of which is priced, e.g. USD"] base: String,
    #[description = "The currency it is priced in, e.g. THB"] quote: String,
    #[description = "How many quote one base buys, e.g. 35.2"] rate: String,
    #[description = "The day it takes effect, YYYY-MM-DD (default today)"] date: Option<String>,
) -> Result<(), Error> {
    let ws = guard::workspace(ctx)?;
    guard::require_admin(ctx, &ws).await?;
    let renderer = reply::renderer(ctx, &ws).await?;
    let (base, quote) = (Currency::parse(&base)?, Currency::parse(&quote)?);
    let rate = NumberRule::rate("rate").parse(&rate)?;
    let set = guard::app(ctx).set_rate(&ws, &actor(ctx), base, quote, rate, self::date("date", &date)?).await?;
    reply::done(
        ctx,
        renderer.text(&text!("reply.rate.set", base = set.base, quote = set.quote, rate = set.rate, date = set.date)),
    )
    .await
}
