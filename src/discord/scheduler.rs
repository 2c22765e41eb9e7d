//! Scheduled work while the bot runs: the Jarvis report posted to its channel on each slot.
//! The app claims each slot in the database before it is posted, so restarts never post twice.

use std::sync::Arc;
use std::time::Duration;

use poise::serenity_prelude as serenity;

use super::reply::{self, band_colour};
use crate::analysis::text;
use crate::app::{App, DueReport};
use crate::render::{Flavor, Page, Renderer};

/// Looks for due reports every `tick` until `stop` turns true.
pub async fn run(app: App, http: Arc<serenity::Http>, tick: Duration, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut interval = tokio::time::interval(tick);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = interval.tick() => {}
            _ = stop.changed() => return,
        }
        if *stop.borrow() {
            return;
        }
        match app.claim_due_reports().await {
            Ok(due) => {
                for report in due {
                    if let Err(error) = post(&app, &http, &report).await {
                        tracing::error!(workspace = %report.workspace, "could not post the scheduled report: {error:#}");
                    }
                }
            }
            Err(error) => tracing::error!("could not look for scheduled reports: {error:#}"),
        }
    }
}

/// Posts one scheduled report, marked late when it is.
async fn post(app: &App, http: &serenity::Http, due: &DueReport) -> anyhow::Result<()> {
    let language = app.language(&due.workspace).await?;
    let renderer = Renderer::get(language, Flavor::Discord);
    let report = app.report(&due.workspace).await?;
    let mut embed = reply::page_embed(renderer, Page::Report, &report, band_colour(report.health.band))?;
    if due.late {
        let note = renderer.text(&text!("report.late", slot = due.slot.format("%Y-%m-%d %H:%M UTC")));
        embed = embed.footer(serenity::CreateEmbedFooter::new(note));
    }
    let message = serenity::CreateMessage::new().embed(embed).allowed_mentions(serenity::CreateAllowedMentions::new());
    serenity::ChannelId::new(due.channel_id).send_message(http, message).await?;
    Ok(())
}
