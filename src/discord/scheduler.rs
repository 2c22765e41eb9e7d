//! Scheduled work while the bot runs: due reports are claimed and queued in the outbox (by the
//! app, once per slot), and the outbox is delivered here: a message counts as sent only when
//! Discord accepted it; server errors, rate limits (Retry-After honoured) and network errors are
//! retried with backoff; a channel that is gone or forbidden stops the retries with one clear
//! log line.

use std::time::Duration;

use poise::serenity_prelude as serenity;
use reqwest::StatusCode;

use super::reply::{self, band_colour};
use crate::analysis::text;
use crate::app::{AfterFailure, App, DeliveryFailure};
use crate::render::{Flavor, Page, Renderer};
use crate::store::OutboxEntry;

/// Posts channel messages itself (not through serenity) to see each answer's status and
/// Retry-After.
#[derive(Clone)]
pub struct Poster {
    pub client: reqwest::Client,
    /// `https://discord.com`, or the proxy's base URL.
    pub base: String,
    pub token: String,
}

/// Looks for due reports and delivers the outbox every `tick` until `stop` turns true.
pub async fn run(app: App, poster: Poster, tick: Duration, mut stop: tokio::sync::watch::Receiver<bool>) {
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
        if let Err(error) = app.claim_due_reports().await {
            tracing::error!("could not look for scheduled reports: {error:#}");
        }
        match app.deliverable(20).await {
            Ok(entries) => {
                for entry in entries {
                    deliver(&app, &poster, &entry).await;
                }
            }
            Err(error) => tracing::error!("could not read the outbox: {error:#}"),
        }
    }
}

/// One delivery attempt, recorded either way.
async fn deliver(app: &App, poster: &Poster, entry: &OutboxEntry) {
    let outcome = match render(app, entry).await {
        Ok(message) => post(poster, entry.channel_id, &message).await,
        Err(error) => Err(DeliveryFailure::Retry { after: None, error: format!("could not prepare it: {error:#}") }),
    };
    let recorded = match outcome {
        Ok(message_id) => app.delivered(entry.id, message_id).await.map(|()| None),
        Err(failure) => {
            app.delivery_failed(entry.id, entry.attempts, &failure).await.map(|after| Some((failure, after)))
        }
    };
    match recorded {
        Ok(Some((DeliveryFailure::Refused { error }, _)))
        | Ok(Some((DeliveryFailure::Retry { error, .. }, AfterFailure::GaveUp))) => {
            tracing::error!(
                workspace = %entry.workspace,
                channel = entry.channel_id,
                "Jarvis gave up posting its {} in channel {}: {error}. Give it View Channel and Send Messages there, or choose another channel with /jarvis schedule set",
                entry.kind,
                entry.channel_id
            );
        }
        Ok(Some((DeliveryFailure::Retry { error, .. }, AfterFailure::RetryAt(at)))) => {
            tracing::warn!(workspace = %entry.workspace, "posting the {} failed ({error}); trying again at {at}", entry.kind);
        }
        Ok(None) => {}
        Err(error) => tracing::error!("could not record a delivery: {error:#}"),
    }
}

/// The message an outbox entry stands for, rendered now.
async fn render(app: &App, entry: &OutboxEntry) -> anyhow::Result<serenity::CreateMessage> {
    match entry.kind.as_str() {
        "report" => {
            let language = app.language(&entry.workspace).await?;
            let renderer = Renderer::get(language, Flavor::Discord);
            let report = app.report(&entry.workspace).await?;
            let mut embed = reply::page_embed(renderer, Page::Report, &report, band_colour(report.health.band))?;
            if entry.payload["late"] == true {
                let slot = entry.payload["slot"].as_str().unwrap_or_default();
                let shown = slot
                    .parse::<chrono::DateTime<chrono::Utc>>()
                    .map_or(slot.to_string(), |s| s.format("%Y-%m-%d %H:%M UTC").to_string());
                embed =
                    embed.footer(serenity::CreateEmbedFooter::new(renderer.text(&text!("report.late", slot = shown))));
            }
            Ok(serenity::CreateMessage::new().embed(embed).allowed_mentions(serenity::CreateAllowedMentions::new()))
        }
        other => anyhow::bail!("unknown outbox message kind {other}"),
    }
}

/// Posts `message` to `channel`: its id when Discord accepted it.
async fn post(poster: &Poster, channel: u64, message: &serenity::CreateMessage) -> Result<u64, DeliveryFailure> {
    let url = format!("{}/api/v10/channels/{channel}/messages", poster.base.trim_end_matches('/'));
    let response = poster
        .client
        .post(&url)
        .header(reqwest::header::AUTHORIZATION, format!("Bot {}", poster.token))
        .json(message)
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .map_err(|error| DeliveryFailure::Retry { after: None, error: format!("network: {error}") })?;
    let status = response.status();
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<f64>().ok())
        .and_then(|seconds| chrono::Duration::try_milliseconds((seconds * 1000.0).ceil() as i64));
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    match status {
        s if s.is_success() => body["id"]
            .as_str()
            .and_then(|id| id.parse().ok())
            .ok_or_else(|| DeliveryFailure::Retry { after: None, error: "Discord's answer had no message id".into() }),
        StatusCode::TOO_MANY_REQUESTS => {
            Err(DeliveryFailure::Retry { after: retry_after, error: "rate limited".into() })
        }
        s if s.is_server_error() => Err(DeliveryFailure::Retry { after: None, error: format!("Discord answered {s}") }),
        s => Err(DeliveryFailure::Refused {
            error: format!("Discord answered {s}: {}", body["message"].as_str().unwrap_or("refused")),
        }),
    }
}
