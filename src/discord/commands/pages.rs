//! Reading commands, open to everyone: the dashboard, trends, alerts, renewals and the report.

use poise::serenity_prelude as serenity;

use crate::discord::reply::{self, band_colour, severity_colour};
use crate::discord::{Context, Error, guard};
use crate::domain::item::Category;
use crate::render::{Page, chart};

/// Draws the chart as an attachment the embed shows.
fn chart_file(
    trends: &crate::analysis::dashboard::Trends,
    breakdown: &[(Category, crate::domain::money::Money)],
    language: crate::domain::workspace::Language,
    name: &str,
) -> Result<serenity::CreateAttachment, Error> {
    let png = crate::chart::render_png(&chart::cost_chart(trends, breakdown, language))?;
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
    let (dashboard, trends) = ctx.data().app.dashboard_and_trends(&ws, days).await?;
    let worst = dashboard.alerts.iter().map(|a| a.severity).max();
    let breakdown: Vec<_> = dashboard.by_category.iter().map(|(c, m)| (*c, m.0)).collect();
    let file = chart_file(&trends, &breakdown, renderer.language(), "dashboard.png")?;
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
    let trends = ctx.data().app.trends(&ws, months, category).await?;
    let breakdown: Vec<_> = trends.this_month_by_category.iter().map(|(c, m)| (*c, m.projected)).collect();
    let file = chart_file(&trends, &breakdown, renderer.language(), "trends.png")?;
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
    let alerts = ctx.data().app.alerts(&ws).await?;
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
) -> Result<(), Error> {
    let ws = guard::workspace(ctx)?;
    let renderer = reply::renderer(ctx, &ws).await?;
    let renewals = ctx.data().app.renewals(&ws, days).await?;
    let manual = renewals.renewals.iter().any(|r| !r.auto_renew);
    let colour = if manual { reply::colour::WARNING } else { reply::colour::INFO };
    reply::send(ctx, reply::page_embed(renderer, Page::Renewals, &renewals, colour)?, Vec::new()).await
}

/// Jarvis's analysis of your spending
#[poise::command(slash_command, guild_only, subcommands("report"), subcommand_required)]
pub async fn jarvis(_ctx: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// The health score and how it is made, recommendations with their savings, and risks
#[poise::command(slash_command, guild_only)]
pub async fn report(ctx: Context<'_>) -> Result<(), Error> {
    let ws = guard::workspace(ctx)?;
    ctx.defer().await?;
    let renderer = reply::renderer(ctx, &ws).await?;
    let report = ctx.data().app.report(&ws).await?;
    let colour = band_colour(report.health.band);
    reply::send(ctx, reply::page_embed(renderer, Page::Report, &report, colour)?, Vec::new()).await
}
