//! Reading commands, open to everyone: the dashboard, trends, alerts, renewals and the report.

use poise::serenity_prelude as serenity;

use crate::discord::paging::{self, Listing};
use crate::discord::reply::{self, band_colour, severity_colour};
use crate::discord::{Context, Error, guard};
use crate::domain::item::Category;
use crate::domain::page::PageNumber;
use crate::render::{Page, chart};

/// Draws the chart as an attachment the embed shows.
fn chart_file(
    trends: &crate::analysis::dashboard::Trends,
    language: crate::domain::workspace::Language,
    name: &str,
) -> Result<serenity::CreateAttachment, Error> {
    let png = crate::chart::render_png(&chart::cost_chart(trends, language))?;
    Ok(serenity::CreateAttachment::bytes(png, name))
}

/// Monthly cost, categories, this month, the last 12 months, renewals, alerts, providers, and a chart
#[poise::command(slash_command, guild_only)]
pub async fn dashboard(
    ctx: Context<'_>,
    #[description = "List renewals in the next this many days (default 30)"]
    #[min = 1]
    #[max = 366]
    days: Option<u32>,
) -> Result<(), Error> {
    let ws = guard::workspace(ctx)?;
    ctx.defer().await?;
    let renderer = reply::renderer(ctx, &ws).await?;
    let (dashboard, trends) = guard::app(ctx).dashboard_and_trends(&ws, days).await?;
    let worst = dashboard.alerts.iter().map(|a| a.severity).max();
    let file = chart_file(&trends, renderer.language(), "dashboard.png")?;
    let embed = reply::page_embed(renderer, Page::Dashboard, &dashboard, severity_colour(worst))?
        .image("attachment://dashboard.png");
    reply::send(ctx, embed, vec![file]).await
}

/// Monthly costs, this month's projection and a 3-month forecast, with a chart
#[poise::command(slash_command, guild_only)]
pub async fn trends(
    ctx: Context<'_>,
    #[description = "Completed months to show (default 12)"]
    #[min = 1]
    #[max = 60]
    months: Option<u32>,
    #[description = "Only this category"] category: Option<Category>,
) -> Result<(), Error> {
    let ws = guard::workspace(ctx)?;
    ctx.defer().await?;
    let renderer = reply::renderer(ctx, &ws).await?;
    let trends = guard::app(ctx).trends(&ws, months, category).await?;
    let file = chart_file(&trends, renderer.language(), "trends.png")?;
    let embed =
        reply::page_embed(renderer, Page::Trends, &trends, reply::colour::INFO)?.image("attachment://trends.png");
    reply::send(ctx, embed, vec![file]).await
}

/// What needs attention: renewals, expiries, budgets, free tiers, API keys, unusual spend
#[poise::command(slash_command, guild_only)]
pub async fn alerts(ctx: Context<'_>) -> Result<(), Error> {
    let ws = guard::workspace(ctx)?;
    ctx.defer().await?;
    let renderer = reply::renderer(ctx, &ws).await?;
    let alerts = guard::app(ctx).alerts(&ws).await?;
    let worst = alerts.alerts.iter().map(|a| a.severity).max();
    reply::send(ctx, reply::page_embed(renderer, Page::Alerts, &alerts, severity_colour(worst))?, Vec::new()).await
}

/// What renews soon, with its cost and whether it renews by itself
#[poise::command(slash_command, guild_only)]
pub async fn renewals(
    ctx: Context<'_>,
    #[description = "Renewals in the next this many days (default 30)"]
    #[min = 1]
    #[max = 366]
    days: Option<u32>,
    #[description = "Which page to show (default 1)"]
    #[min = 1]
    #[max = 2147483647]
    page: Option<u32>,
) -> Result<(), Error> {
    let ws = guard::workspace(ctx)?;
    // A large workspace may take a moment to read the first time; a page past the end is still
    // answered privately (see `reply::on_error`).
    ctx.defer().await?;
    let renderer = reply::renderer(ctx, &ws).await?;
    let listing = Listing::Renewals { days: days.unwrap_or(crate::analysis::dashboard::RENEWAL_DAYS) };
    let page = PageNumber::Nth(page.unwrap_or(1));
    let (embed, buttons) = paging::render(&guard::app(ctx), &ws, renderer, listing, page).await?;
    ctx.send(poise::CreateReply::default().embed(embed).components(buttons)).await?;
    Ok(())
}

/// Jarvis's analysis of your spending, and when it is posted
#[poise::command(
    slash_command,
    guild_only,
    subcommands("report", "schedule", "status", "token", "web"),
    subcommand_required
)]
pub async fn jarvis(_ctx: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// The health score and how it is made, recommendations with their savings, and risks
#[poise::command(slash_command, guild_only)]
pub async fn report(
    ctx: Context<'_>,
    #[description = "Post it for everyone in the report channel (or here) instead of just answering"] post: Option<
        bool,
    >,
) -> Result<(), Error> {
    let ws = guard::workspace(ctx)?;
    if post == Some(true) {
        return post_report(ctx, ws).await;
    }
    ctx.defer().await?;
    let renderer = reply::renderer(ctx, &ws).await?;
    let report = guard::app(ctx).report(&ws).await?;
    let colour = band_colour(report.health.band);
    reply::send(ctx, reply::page_embed(renderer, Page::Report, &report, colour)?, Vec::new()).await
}

/// Queues the report in the outbox, like a scheduled one (retried, never posted twice), and
/// tells the admin where it will appear. The interaction's id keeps a twice-delivered
/// interaction from queueing it twice; the second delivery stays silent (the first answered).
async fn post_report(ctx: Context<'_>, ws: crate::domain::workspace::WorkspaceId) -> Result<(), Error> {
    guard::require_admin(ctx, &ws).await?;
    let renderer = reply::renderer(ctx, &ws).await?;
    let actor = crate::domain::audit::Actor::User(ctx.author().id.get().to_string());
    let queued = guard::app(ctx).queue_report(&ws, &actor, ctx.channel_id().get()).await?;
    let text = renderer.text(&crate::analysis::text!("reply.report.queued", channel = queued.channel_id));
    reply::done_privately(ctx, text).await
}

/// When Jarvis posts its report on its own
#[poise::command(
    slash_command,
    guild_only,
    subcommands("schedule_set", "schedule_show", "schedule_off"),
    subcommand_required
)]
pub async fn schedule(_ctx: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// Post the report to a channel daily, weekly on a weekday, or monthly on a day, at a local time
#[poise::command(slash_command, guild_only, rename = "set")]
async fn schedule_set(
    ctx: Context<'_>,
    #[description = "The channel to post in"] channel: serenity::Channel,
    #[description = "daily, weekly <weekday> or monthly <day 1-28>, e.g. weekly monday"] cadence: String,
    #[description = "Local time, HH:MM (the server's timezone setting), e.g. 09:00"] time: String,
) -> Result<(), Error> {
    let ws = guard::workspace(ctx)?;
    guard::require_admin(ctx, &ws).await?;
    let renderer = reply::renderer(ctx, &ws).await?;
    let actor = crate::domain::audit::Actor::User(ctx.author().id.get().to_string());
    let view = guard::app(ctx).set_schedule(&ws, &actor, channel.id().get(), &cadence, &time).await?;
    reply::done(ctx, schedule_text(renderer, &view)).await
}

/// Show when the report is posted
#[poise::command(slash_command, guild_only, rename = "show")]
async fn schedule_show(ctx: Context<'_>) -> Result<(), Error> {
    let ws = guard::workspace(ctx)?;
    let renderer = reply::renderer(ctx, &ws).await?;
    let text = match guard::app(ctx).schedule(&ws).await? {
        Some(view) => schedule_text(renderer, &view),
        None => renderer.text(&crate::analysis::text!("reply.schedule.none")),
    };
    reply::done(ctx, text).await
}

/// Stop posting the report on a schedule
#[poise::command(slash_command, guild_only, rename = "off")]
async fn schedule_off(ctx: Context<'_>) -> Result<(), Error> {
    let ws = guard::workspace(ctx)?;
    guard::require_admin(ctx, &ws).await?;
    let renderer = reply::renderer(ctx, &ws).await?;
    let actor = crate::domain::audit::Actor::User(ctx.author().id.get().to_string());
    guard::app(ctx).remove_schedule(&ws, &actor).await?;
    reply::done(ctx, renderer.text(&crate::analysis::text!("reply.schedule.off"))).await
}

/// Which Jarvis instances run, the shards they serve, and what is owed to this server (admins)
#[poise::command(slash_command, guild_only)]
pub async fn status(ctx: Context<'_>) -> Result<(), Error> {
    let ws = guard::workspace(ctx)?;
    guard::require_admin(ctx, &ws).await?;
    let renderer = reply::renderer(ctx, &ws).await?;
    let status = guard::app(ctx).status(Some(&ws)).await?;
    let healthy = status.unserved_shards.is_empty() && status.instances.iter().all(|i| i.live);
    let colour = if healthy { reply::colour::HEALTHY } else { reply::colour::WARNING };
    let embed = reply::page_embed(renderer, Page::Status, &status, colour)?;
    ctx.send(poise::CreateReply::default().embed(embed).ephemeral(true)).await?;
    Ok(())
}

/// API tokens for scripts and tools reaching this server's ledger over HTTP (admins)
#[poise::command(
    slash_command,
    guild_only,
    subcommands("token_create", "token_list", "token_revoke"),
    subcommand_required
)]
pub async fn token(_ctx: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// Make an API token; it is shown once, to you alone
#[poise::command(slash_command, guild_only, rename = "create")]
async fn token_create(
    ctx: Context<'_>,
    #[description = "A name saying what uses it, e.g. grafana or billing-sync"] name: String,
    #[description = "read: look only; write: also change the ledger"] scope: crate::app::TokenScope,
) -> Result<(), Error> {
    let ws = guard::workspace(ctx)?;
    guard::require_admin(ctx, &ws).await?;
    let renderer = reply::renderer(ctx, &ws).await?;
    let actor = crate::domain::audit::Actor::User(ctx.author().id.get().to_string());
    let made = guard::app(ctx).create_token(&ws, &actor, &name, scope).await?;
    let text = renderer.text(&crate::analysis::text!(
        "reply.token.created",
        token_name = made.view.name,
        scope = renderer.name("token_scope", scope.as_str()).unwrap_or_else(|| scope.as_str().to_string()),
        token = made.token
    ));
    reply::done_privately(ctx, text).await
}

/// The API tokens of this server: name, scope, visible start and last use
#[poise::command(slash_command, guild_only, rename = "list")]
async fn token_list(ctx: Context<'_>) -> Result<(), Error> {
    let ws = guard::workspace(ctx)?;
    guard::require_admin(ctx, &ws).await?;
    let renderer = reply::renderer(ctx, &ws).await?;
    let tokens = guard::app(ctx).tokens(&ws).await?;
    let text = if tokens.is_empty() {
        renderer.text(&crate::analysis::text!("reply.token.none"))
    } else {
        tokens
            .iter()
            .map(|t| {
                renderer.text(&crate::analysis::text!(
                    "reply.token.line",
                    token_name = t.name,
                    scope =
                        renderer.name("token_scope", t.scope.as_str()).unwrap_or_else(|| t.scope.as_str().to_string()),
                    prefix = t.prefix,
                    used = t
                        .last_used_at
                        .map(|at| at.format("%Y-%m-%d %H:%M UTC").to_string())
                        .unwrap_or_else(|| "-".into())
                ))
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    reply::done_privately(ctx, text).await
}

/// Revoke an API token: requests carrying it are refused from now on
#[poise::command(slash_command, guild_only, rename = "revoke")]
async fn token_revoke(
    ctx: Context<'_>,
    #[description = "The token's name, as /jarvis token list shows it"] name: String,
) -> Result<(), Error> {
    let ws = guard::workspace(ctx)?;
    guard::require_admin(ctx, &ws).await?;
    let renderer = reply::renderer(ctx, &ws).await?;
    let actor = crate::domain::audit::Actor::User(ctx.author().id.get().to_string());
    let revoked = guard::app(ctx).revoke_token(&ws, &actor, &name).await?;
    let text = renderer.text(&crate::analysis::text!("reply.token.revoked", token_name = revoked.name));
    reply::done_privately(ctx, text).await
}

fn schedule_text(renderer: &crate::render::Renderer, view: &crate::app::ScheduleView) -> String {
    renderer.text(&crate::analysis::text!(
        "reply.schedule.show",
        cadence = view.cadence,
        at = view.at,
        timezone = view.timezone,
        channel = view.channel_id,
        next = view.next.clone().unwrap_or_default()
    ))
}

/// A one-time link to this server's web pages, for you alone (valid 10 minutes)
#[poise::command(slash_command, guild_only)]
pub async fn web(ctx: Context<'_>) -> Result<(), Error> {
    let ws = guard::workspace(ctx)?;
    let Some(base) = ctx.data().web_url.clone() else {
        return Err(crate::domain::UserError::Conflict(
            "This Jarvis serves no web pages: whoever runs it sets JARVIS_HTTP_ADDR (and JARVIS_PUBLIC_URL when people reach it at another address); see README, \"Web pages\"".into(),
        )
        .into());
    };
    let can_edit = guard::is_admin(ctx, &ws).await?;
    let language = reply::language(ctx, &ws).await?;
    let renderer = crate::render::Renderer::get(language, crate::render::Flavor::Discord);
    let author = ctx.author();
    let name = author.global_name.clone().unwrap_or_else(|| author.name.clone());
    // The member's own Discord language, when Jarvis speaks it; else the browser's decides.
    let locale = ctx.locale().unwrap_or_default();
    let chosen =
        crate::domain::workspace::Language::ALL.iter().copied().find(|l| locale.split('-').next() == Some(l.as_str()));
    let actor = crate::domain::audit::Actor::User(author.id.get().to_string());
    let link = guard::app(ctx).create_web_link(&ws, &actor, &name, can_edit, chosen).await?;
    let url = format!("{base}/signin/{}", link.secret);
    let text = renderer.text(&crate::analysis::text!(
        "reply.web.link",
        url = url,
        minutes = crate::app::web::LINK_LIFETIME.num_minutes(),
        can_edit = if can_edit { "yes" } else { "" }
    ));
    reply::done_privately(ctx, text).await
}
