//! Replies: pages as embeds coloured by what they say, in the reader's language; errors as
//! ephemeral messages that say what to do.

use poise::serenity_prelude as serenity;
use serde::Serialize;

use super::{Context, Data, Error};
use crate::analysis::alerts::Severity;
use crate::analysis::report::Band;
use crate::app::AppError;
use crate::domain::workspace::{Language, WorkspaceId};
use crate::render::{Flavor, Page, Renderer, limits};

/// Embed colours.
pub mod colour {
    pub const CRITICAL: u32 = 0xED4245;
    pub const WARNING: u32 = 0xF0B232;
    pub const INFO: u32 = 0x5865F2;
    pub const HEALTHY: u32 = 0x57F287;
    pub const NEUTRAL: u32 = 0x2B2D31;
}

pub fn severity_colour(severity: Option<Severity>) -> u32 {
    match severity {
        Some(Severity::Critical) => colour::CRITICAL,
        Some(Severity::Warning) => colour::WARNING,
        Some(Severity::Info) => colour::INFO,
        None => colour::HEALTHY,
    }
}

pub fn band_colour(band: Option<Band>) -> u32 {
    match band {
        Some(Band::Healthy) => colour::HEALTHY,
        Some(Band::NeedsAttention) => colour::WARNING,
        Some(Band::Critical) => colour::CRITICAL,
        None => colour::NEUTRAL,
    }
}

/// The language to answer in: the member's Discord locale when Jarvis speaks it, else the
/// workspace's.
pub async fn language(ctx: Context<'_>, workspace: &WorkspaceId) -> Result<Language, Error> {
    let locale = ctx.locale().unwrap_or_default();
    let spoken = Language::ALL.iter().copied().find(|l| locale.split('-').next() == Some(l.as_str()));
    match spoken {
        Some(language) => Ok(language),
        None => ctx.data().app.language(workspace).await,
    }
}

/// The renderer for this member.
pub async fn renderer(ctx: Context<'_>, workspace: &WorkspaceId) -> Result<&'static Renderer, Error> {
    Ok(Renderer::get(language(ctx, workspace).await?, Flavor::Discord))
}

/// A page as one embed, fitted to Discord's limits.
pub fn page_embed<T: Serialize>(
    renderer: &Renderer,
    page: Page,
    view: &T,
    colour: u32,
) -> Result<serenity::CreateEmbed, Error> {
    let text = renderer.page(page, view, limits::EMBED_DESCRIPTION)?;
    Ok(serenity::CreateEmbed::new().description(text).colour(colour))
}

/// Sends `embed` (with `files`, which embeds can show as `attachment://NAME`).
pub async fn send(
    ctx: Context<'_>,
    embed: serenity::CreateEmbed,
    files: Vec<serenity::CreateAttachment>,
) -> Result<(), Error> {
    let mut reply = poise::CreateReply::default().embed(embed);
    for file in files {
        reply = reply.attachment(file);
    }
    ctx.send(reply).await?;
    Ok(())
}

/// A short confirmation: a worded message, already escaped where people typed it.
pub async fn done(ctx: Context<'_>, text: String) -> Result<(), Error> {
    let embed = serenity::CreateEmbed::new()
        .description(crate::render::cut(&text, limits::EMBED_DESCRIPTION))
        .colour(colour::HEALTHY);
    send(ctx, embed, Vec::new()).await
}

/// A short confirmation only the member sees.
pub async fn done_privately(ctx: Context<'_>, text: String) -> Result<(), Error> {
    let embed = serenity::CreateEmbed::new()
        .description(crate::render::cut(&text, limits::EMBED_DESCRIPTION))
        .colour(colour::HEALTHY);
    ctx.send(poise::CreateReply::default().embed(embed).ephemeral(true)).await?;
    Ok(())
}

/// An ephemeral message only the member sees. After a public deferral, Discord's first follow-up
/// would take the place of its "is thinking..." message, for everyone to see: that placeholder
/// is deleted first, so the message reaches the member alone.
async fn whisper(ctx: Context<'_>, text: String) {
    if let poise::Context::Application(app) = ctx
        && app.has_sent_initial_response.load(std::sync::atomic::Ordering::SeqCst)
        && let Ok(original) = app.interaction.get_response(ctx.http()).await
        && original.flags.is_some_and(|f| f.contains(serenity::MessageFlags::LOADING))
        && !original.flags.is_some_and(|f| f.contains(serenity::MessageFlags::EPHEMERAL))
        && let Err(error) = app.interaction.delete_response(ctx.http()).await
    {
        tracing::warn!("could not take back a deferred reply: {error:#}");
    }
    let reply = poise::CreateReply::default().content(crate::render::cut(&text, limits::CONTENT)).ephemeral(true);
    if let Err(error) = ctx.send(reply).await {
        tracing::warn!("could not send an error reply: {error:#}");
    }
}

/// A message written for the command line, in Discord's terms: `--unit-price` is the option
/// `unit_price`, `--no-auto-renew` is `auto_renew: False`, `rate set` is `/settings rate`.
pub fn in_discord_terms(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(at) = rest.find("--") {
        out.push_str(&rest[..at]);
        let flag: String = rest[at + 2..].chars().take_while(|c| c.is_ascii_lowercase() || *c == '-').collect();
        if flag.is_empty() {
            out.push_str("--");
        } else {
            match flag.as_str() {
                "auto-renew" => out.push_str("auto_renew: True"),
                "no-auto-renew" => out.push_str("auto_renew: False"),
                "replace" | "again" => out.push_str(&format!("{flag}: True")),
                other => out.push_str(&other.replace('-', "_")),
            }
        }
        rest = &rest[at + 2 + flag.len()..];
    }
    out.push_str(rest);
    out.replace("`rate set ", "`/settings rate ")
        .replace("`item list`", "the list commands")
        .replace("`cost history`", "/cost history")
}

/// Every failure ends here: a user's mistake is shown to them alone, as the CLI would show it;
/// an internal one gets an apology with an id, and the whole chain goes to the log.
pub async fn on_error(error: poise::FrameworkError<'_, Data, Error>) {
    match error {
        // Only the member who typed it sees it, and nothing pings: shown as written, so the
        // code spans and role mentions in the message render.
        poise::FrameworkError::Command { error: AppError::User(error), ctx, .. } => {
            whisper(ctx, format!("❌ {}", in_discord_terms(&error.to_string()))).await;
        }
        // Discord delivered the same interaction again: it was carried out the first time.
        poise::FrameworkError::Command { error: error @ AppError::Repeated(_), ctx, .. } => {
            tracing::info!(command = %ctx.command().qualified_name, "a repeated interaction: {error}");
            whisper(ctx, format!("✅ {error}")).await;
        }
        poise::FrameworkError::Command { error: AppError::Unavailable(error), ctx, .. } => {
            tracing::warn!(command = %ctx.command().qualified_name, "the ledger is unavailable: {error:#}");
            whisper(ctx, "⏳ The ledger is unavailable, try again in a minute.".into()).await;
        }
        poise::FrameworkError::Command { error: AppError::Internal(error), ctx, .. } => {
            let id = crate::error_id();
            tracing::error!(error_id = %id, command = %ctx.command().qualified_name, "{error:#}");
            whisper(
                ctx,
                format!(
                    "⚠️ Something went wrong on Jarvis's side. Check whether your change was saved before trying again. Error id `{id}` (for your admin's logs)."
                ),
            )
            .await;
        }
        poise::FrameworkError::CommandCheckFailed { error: None, ctx, .. } => {
            tracing::info!(command = %ctx.command().qualified_name, interaction = ctx.id(), "an interaction delivered again was skipped: it was carried out the first time");
        }
        poise::FrameworkError::ArgumentParse { error, input, ctx, .. } => {
            let what = input.map(|i| format!(" `{}`", crate::render::escape_discord(&i))).unwrap_or_default();
            whisper(ctx, format!("❌ Jarvis could not read an option{what}: {error}")).await;
        }
        poise::FrameworkError::CommandStructureMismatch { ctx, description, .. } => {
            tracing::warn!(command = %ctx.command().qualified_name, "command structure mismatch: {description}");
            let reply = poise::CreateReply::default()
                .content("This command was just updated and Discord still shows the old version; try again in a minute")
                .ephemeral(true);
            if let Err(error) = poise::Context::Application(ctx).send(reply).await {
                tracing::warn!("could not send an error reply: {error:#}");
            }
        }
        // Reported by `run`, which stops.
        poise::FrameworkError::Setup { error, .. } => tracing::debug!("setup failed: {error:#}"),
        poise::FrameworkError::GuildOnly { ctx, .. } => {
            whisper(
                ctx,
                "Jarvis keeps one ledger per server, so it works in servers only: run this command in your server"
                    .into(),
            )
            .await;
        }
        other => {
            if let Err(error) = poise::builtins::on_error(other).await {
                tracing::error!("could not report an error: {error:#}");
            }
        }
    }
}
