//! `/site`: monitored websites. Everyone can list them; adding, removing and checking now need
//! Manage Server or the admin role (a check reaches out to the site).

use poise::serenity_prelude as serenity;

use crate::analysis::text;
use crate::analysis::website::ShownState;
use crate::app::SiteList;
use crate::discord::reply::{self, colour};
use crate::discord::{Context, Error, guard};
use crate::domain::audit::Actor;
use crate::render::Page;

fn actor(ctx: Context<'_>) -> Actor {
    Actor::User(ctx.author().id.get().to_string())
}

/// Offers this workspace's sites as someone types (at most 25).
async fn site_choices(ctx: Context<'_>, partial: &str) -> serenity::CreateAutocompleteResponse {
    let Ok(ws) = guard::workspace(ctx) else { return serenity::CreateAutocompleteResponse::new() };
    let found = guard::app(ctx).site_choices(&ws, partial).await.unwrap_or_else(|error| {
        tracing::warn!("site autocomplete failed: {error:#}");
        Vec::new()
    });
    let choices = found
        .into_iter()
        .map(|(id, url)| serenity::AutocompleteChoice::new(crate::render::cut(&url, 100), format!("#{id}")))
        .collect();
    serenity::CreateAutocompleteResponse::new().set_choices(choices)
}

/// Red when a site is down, amber while one is unsettled or scores under 90, else green.
fn list_colour(list: &SiteList) -> u32 {
    if list.sites.iter().any(|s| s.state == ShownState::Down) {
        colour::CRITICAL
    } else if list.sites.iter().any(|s| s.score.is_some_and(|score| score < 90) || !s.caps.is_empty()) {
        colour::WARNING
    } else if list.sites.is_empty() {
        colour::NEUTRAL
    } else {
        colour::HEALTHY
    }
}

/// Monitored websites: uptime, response time, certificates and domain expiry
#[poise::command(
    slash_command,
    guild_only,
    subcommands("site_add", "site_remove", "site_list", "site_check"),
    subcommand_required
)]
pub async fn site(_ctx: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// Start monitoring a website (checked now, then every few minutes)
#[poise::command(slash_command, guild_only, rename = "add")]
async fn site_add(
    ctx: Context<'_>,
    #[description = "The address, e.g. https://acme.dev (https:// is assumed)"] url: String,
    #[description = "Text the page must contain (case-insensitive); missing counts as a failure"] keyword: Option<
        String,
    >,
    #[description = "Minutes between checks (default 5)"]
    #[min = 1]
    #[max = 1440]
    interval: Option<u32>,
) -> Result<(), Error> {
    let ws = guard::workspace(ctx)?;
    guard::require_admin(ctx, &ws).await?;
    // The first check and the registry lookup take a moment.
    ctx.defer().await?;
    let renderer = reply::renderer(ctx, &ws).await?;
    let added = guard::app(ctx).add_site(&ws, &actor(ctx), &url, keyword.as_deref(), interval).await?;
    // What people typed is escaped piece by piece (escaping the whole would join its lines).
    let mut said = renderer.text(&text!("site.added", url = crate::render::escape_discord(&added.site.url)));
    for notice in &added.notices {
        said.push_str(&format!("\n• {}", crate::render::escape_discord(notice)));
    }
    let list = SiteList { today: guard::app(ctx).today_in(&ws).await?, sites: vec![added.site] };
    let embed = reply::page_embed(renderer, Page::Sites, &list, list_colour(&list))?;
    let reply =
        poise::CreateReply::default().content(crate::render::cut(&said, crate::render::limits::CONTENT)).embed(embed);
    ctx.send(reply).await?;
    Ok(())
}

/// Stop monitoring a website (its check history goes)
#[poise::command(slash_command, guild_only, rename = "remove")]
async fn site_remove(
    ctx: Context<'_>,
    #[description = "The site"]
    #[autocomplete = "site_choices"]
    site: String,
) -> Result<(), Error> {
    let ws = guard::workspace(ctx)?;
    guard::require_admin(ctx, &ws).await?;
    let renderer = reply::renderer(ctx, &ws).await?;
    let removed = guard::app(ctx).remove_site(&ws, &actor(ctx), &site).await?;
    reply::done(ctx, renderer.text(&text!("site.removed", url = crate::render::escape_discord(&removed.url)))).await
}

/// Every monitored website with its state, uptime and score
#[poise::command(slash_command, guild_only, rename = "list")]
async fn site_list(ctx: Context<'_>) -> Result<(), Error> {
    let ws = guard::workspace(ctx)?;
    ctx.defer().await?;
    let renderer = reply::renderer(ctx, &ws).await?;
    let list = guard::app(ctx).sites(&ws).await?;
    reply::send(ctx, reply::page_embed(renderer, Page::Sites, &list, list_colour(&list))?, Vec::new()).await
}

/// Check websites now (all, or one), and look their domains up if a day has passed
#[poise::command(slash_command, guild_only, rename = "check")]
async fn site_check(
    ctx: Context<'_>,
    #[description = "The site (default: all)"]
    #[autocomplete = "site_choices"]
    site: Option<String>,
) -> Result<(), Error> {
    let ws = guard::workspace(ctx)?;
    guard::require_admin(ctx, &ws).await?;
    ctx.defer().await?;
    let renderer = reply::renderer(ctx, &ws).await?;
    let list = guard::app(ctx).check_sites_now(&ws, site.as_deref()).await?;
    reply::send(ctx, reply::page_embed(renderer, Page::Sites, &list, list_colour(&list))?, Vec::new()).await
}
