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
use crate::app::{AfterFailure, AlertAction, App, DeliveryFailure, ShardPlan};
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
    /// The bot's own user id (known once connected): only its own messages are recognised when a
    /// delivery taken over is looked for in its channel.
    pub bot_user: Option<u64>,
}

/// How often the scheduler does what.
#[derive(Clone, Copy, Debug)]
pub struct Cadences {
    /// Due reports and the outbox.
    pub tick: Duration,
    /// Alert evaluation (also right after a change to the ledger).
    pub alerts: Duration,
    /// Housekeeping jobs: renewal advancement and month close.
    pub jobs: Duration,
}

/// A background task's rhythm: a beat every so often (the first at once) until the bot stops.
struct Beat {
    interval: tokio::time::Interval,
    stop: tokio::sync::watch::Receiver<bool>,
}

impl Beat {
    fn new(every: Duration, stop: tokio::sync::watch::Receiver<bool>) -> Beat {
        let mut interval = tokio::time::interval(every);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        Beat { interval, stop }
    }

    /// Waits for the next beat; `false` once the bot is stopping.
    async fn next(&mut self) -> bool {
        tokio::select! {
            _ = self.interval.tick() => {}
            changed = self.stop.changed() => if changed.is_err() { return false },
        }
        !*self.stop.borrow()
    }
}

/// Checks the websites that are due, every tick, on its own task: a slow site never delays a
/// report or an alert.
pub async fn run_probes(app: App, every: Cadences, stop: tokio::sync::watch::Receiver<bool>) {
    let mut beat = Beat::new(every.tick, stop);
    while beat.next().await {
        if let Err(error) = app.claimed("site checks", every.tick, app.run_due_checks()).await {
            tracing::error!("could not check the websites: {error:#}");
        }
    }
}

/// Looks domains up in their registries when due (a day since, an hour since a failure, or the
/// ledger's date moved), every tick, and prunes old site checks hourly; on its own task, so a
/// slow registry never delays a site check.
pub async fn run_lookups(app: App, every: Cadences, stop: tokio::sync::watch::Receiver<bool>) {
    let mut beat = Beat::new(every.tick, stop);
    let mut last_prune: Option<tokio::time::Instant> = None;
    while beat.next().await {
        if let Err(error) = app.claimed("registry lookups", every.tick, app.run_due_lookups()).await {
            tracing::error!("could not look domains up: {error:#}");
        }
        if last_prune.is_none_or(|at| at.elapsed() >= every.jobs) {
            last_prune = Some(tokio::time::Instant::now());
            if let Err(error) = app.claimed("site check pruning", every.jobs, app.prune_site_checks()).await {
                tracing::error!("could not prune old site checks: {error:#}");
            }
        }
    }
}

/// How often the bot looks for AI provider pulls that are due.
const AI_PULL_CHECK: Duration = Duration::from_secs(60);

/// Pulls the AI providers' costs that are due (a day after the last pull, sooner after a failure
/// as its backoff says), every tick, on its own task: a slow provider delays nothing else.
pub async fn run_ai_pulls(app: App, every: Cadences, stop: tokio::sync::watch::Receiver<bool>) {
    // Pulls are daily (sooner only after a failure, by minutes): looking once a minute is enough,
    // and keeps this task from adding a query to every tick.
    let mut beat = Beat::new(every.tick.max(AI_PULL_CHECK), stop);
    let mut last_prune: Option<tokio::time::Instant> = None;
    while beat.next().await {
        // A read first: the claim (a write) is taken only when a pull is due.
        match app.ai_pulls_due().await {
            Ok(false) => {}
            Ok(true) => {
                if let Err(error) = app.claimed("ai cost pulls", every.tick, app.pull_due_ai()).await {
                    tracing::error!("could not pull AI provider costs: {error:#}");
                }
            }
            Err(error) => tracing::error!("could not look for AI provider costs to pull: {error:#}"),
        }
        if last_prune.is_none_or(|at| at.elapsed() >= every.jobs) {
            last_prune = Some(tokio::time::Instant::now());
            if let Err(error) = app.claimed("usage key pruning", every.jobs, app.prune_usage_keys()).await {
                tracing::error!("could not prune old usage idempotency keys: {error:#}");
            }
        }
    }
}

/// Says this instance is alive (and renews its shards' claims) three times a lease, from
/// before it connects until it stops.
/// Returns early with the shards another instance took over (this one was paused or cut off past
/// its lease): the bot then stops, so that no shard is served twice.
pub async fn run_heartbeats(app: App, plan: ShardPlan, stop: tokio::sync::watch::Receiver<bool>) -> Vec<u32> {
    let started_at = app.now();
    let mut beat = Beat::new(app.renew_every(), stop);
    while beat.next().await {
        match app.heartbeat(started_at, Some(&plan)).await {
            Ok(lost) if lost.is_empty() => {}
            Ok(lost) => return lost,
            Err(error) => tracing::error!("could not say this instance is alive: {error:#}"),
        }
    }
    Vec::new()
}

/// The shortest sleep before the outbox is looked at again, so a message that stays due (its
/// delivery could not be recorded) cannot spin the loop.
const MIN_DELIVERY_WAIT: Duration = Duration::from_secs(1);

/// Sleeps until the next outbox message is due (for ever, when nothing is owed).
async fn next_delivery(app: &App) {
    match app.next_delivery_in().await {
        Ok(Some(wait)) => tokio::time::sleep(wait.max(MIN_DELIVERY_WAIT)).await,
        Ok(None) => std::future::pending().await,
        Err(error) => {
            tracing::error!("could not read the outbox: {error:#}");
            std::future::pending().await
        }
    }
}

/// Looks for due reports and delivers the outbox every tick; between ticks delivers as soon as
/// an outbox message falls due (so retries keep their backoff, 2 s, 4 s, 8 s..., whatever the
/// tick) or something is queued to go out now (a report an admin asked for); runs the
/// housekeeping jobs and evaluates alerts on their own cadences (alerts also after any change),
/// until `stop` turns true.
pub async fn run(app: App, poster: Poster, every: Cadences, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut interval = tokio::time::interval(every.tick);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_alerts: Option<tokio::time::Instant> = None;
    let mut last_jobs: Option<tokio::time::Instant> = None;
    let mut seen_changes = app.change_count();
    tracing::info!(instance = app.instance(), "the scheduler runs");
    loop {
        let woken = tokio::select! {
            _ = interval.tick() => false,
            _ = app.outbox_queued() => true,
            _ = next_delivery(&app) => true,
            _ = stop.changed() => true,
        };
        if *stop.borrow() {
            return;
        }
        if woken {
            deliver_due(&app, &poster, &stop).await;
            continue;
        }
        if let Err(error) = app.claimed("report slots", every.tick, app.claim_due_reports()).await {
            tracing::error!("could not look for scheduled reports: {error:#}");
        }
        if last_jobs.is_none_or(|at| at.elapsed() >= every.jobs) {
            last_jobs = Some(tokio::time::Instant::now());
            match app.claimed("housekeeping", every.jobs, app.run_jobs_everywhere()).await {
                Ok(None) => {}
                Ok(Some(reports)) => {
                    for report in reports.iter().filter(|r| r.error.is_some()) {
                        tracing::error!(workspace = %report.workspace, "housekeeping failed: {}", report.error.as_deref().unwrap_or(""));
                    }
                }
                Err(error) => tracing::error!("could not run the housekeeping jobs: {error:#}"),
            }
            if let Err(error) = app.claimed("delivery pruning", every.jobs, app.prune_delivery_history()).await {
                tracing::error!("could not prune the delivery history: {error:#}");
            }
            if let Err(error) = app.claimed("request key pruning", every.jobs, app.prune_request_keys()).await {
                tracing::error!("could not prune the request keys: {error:#}");
            }
        }
        let changes = app.change_count();
        if changes != seen_changes {
            // A change made through this instance: its alerts now, whoever usually evaluates
            // them (unless that instance is doing it right now: then again at the next tick).
            match app.claimed_now("alert evaluation", app.evaluate_alerts()).await {
                Ok(Some(_)) => {
                    seen_changes = changes;
                    last_alerts = Some(tokio::time::Instant::now());
                }
                Ok(None) => {}
                Err(error) => {
                    seen_changes = changes;
                    tracing::error!("could not evaluate alerts: {error:#}");
                }
            }
        } else if last_alerts.is_none_or(|at| at.elapsed() >= every.alerts) {
            last_alerts = Some(tokio::time::Instant::now());
            if let Err(error) = app.claimed("alert evaluation", every.alerts, app.evaluate_alerts()).await {
                tracing::error!("could not evaluate alerts: {error:#}");
            }
        }
        deliver_due(&app, &poster, &stop).await;
    }
}

/// The most messages delivered in one go before the loop looks at its tick again.
const DELIVERIES_PER_TURN: usize = 100;

/// Delivers what the outbox owes now, claiming one message at a time (so that the other
/// instances share a burst, and a claim never waits behind slow posts for its turn); once the
/// bot is stopping, the message on its way is finished and no other started.
async fn deliver_due(app: &App, poster: &Poster, stop: &tokio::sync::watch::Receiver<bool>) {
    // A message whose delivery could not be recorded stays due: it waits for the next turn.
    let mut tried = std::collections::HashSet::new();
    for _ in 0..DELIVERIES_PER_TURN {
        if *stop.borrow() {
            return;
        }
        let entry = match app.deliverable(1).await {
            Ok(mut entries) => match entries.pop() {
                Some(entry) if tried.insert(entry.id) => entry,
                _ => return,
            },
            Err(error) => {
                tracing::error!("could not read the outbox: {error:#}");
                return;
            }
        };
        // Its claim is renewed just before it goes, and while it is on its way: one taken over
        // meanwhile (this instance was too slow, its lease ran out) is left to the instance that
        // took it.
        match app.renew_delivery(&entry).await {
            Ok(true) => {
                let what = format!("outbox message {}", entry.id);
                app.while_renewing(deliver(app, poster, &entry), || app.renew_delivery(&entry), &what).await;
            }
            Ok(false) => tracing::info!(outbox = entry.id, "another instance took this message over"),
            Err(error) => tracing::error!("could not renew an outbox claim: {error:#}"),
        }
    }
}

/// One delivery attempt, recorded either way.
async fn deliver(app: &App, poster: &Poster, entry: &OutboxEntry) {
    let outcome = match render(app, entry).await {
        Ok(None) => {
            if let Err(error) = app.delivery_cancelled(entry.id).await {
                tracing::error!("could not drop an outbox message: {error:#}");
            }
            return;
        }
        Ok(Some(Outgoing::New(message))) => {
            // The nonce makes a retry of a post Discord already took return that post, not a
            // second one (for a few minutes).
            let message = message.nonce(serenity::Nonce::String(nonce(entry.id))).enforce_nonce(true);
            // A claim was left on it (an instance died or stopped mid-way, or the last post's
            // outcome is unknown): it may be in the channel already, carrying its marker.
            let posted = if entry.maybe_posted { find_posted(poster, entry).await } else { Ok(None) };
            match posted {
                Ok(Some(message_id)) => {
                    tracing::info!(
                        outbox = entry.id,
                        message_id,
                        "found in its channel, posted before without being recorded"
                    );
                    Ok(message_id)
                }
                Ok(None) => send(poster, reqwest::Method::POST, &channel_url(poster, entry.channel_id), &message).await,
                Err(Unreadable::Forbidden(error)) => {
                    tracing::warn!(
                        outbox = entry.id,
                        "could not read the channel's messages ({error}); posting without looking (give Jarvis Read Message History there; the nonce still guards a recent double)"
                    );
                    send(poster, reqwest::Method::POST, &channel_url(poster, entry.channel_id), &message).await
                }
                Err(Unreadable::Failed(error)) => Err(DeliveryFailure::Retry {
                    after: None,
                    error: format!("could not look for it in its channel: {error}"),
                    maybe_posted: true,
                }),
            }
        }
        Ok(Some(Outgoing::Edit(message_id, edit))) => {
            let url = format!("{}/{message_id}", channel_url(poster, entry.channel_id));
            send(poster, reqwest::Method::PATCH, &url, &edit).await
        }
        Err(error) => Err(DeliveryFailure::Retry {
            after: None,
            error: format!("could not prepare it: {error:#}"),
            maybe_posted: false,
        }),
    };
    // What may already be in the channel stays so until a post is recorded.
    let outcome = outcome.map_err(|failure| match failure {
        DeliveryFailure::Retry { after, error, maybe_posted } => {
            DeliveryFailure::Retry { after, error, maybe_posted: maybe_posted || entry.maybe_posted }
        }
        refused => refused,
    });
    let recorded = match outcome {
        Ok(message_id) => app.delivered(entry, message_id).await.map(|()| None),
        Err(failure) => {
            app.delivery_failed(entry.id, entry.attempts, &failure).await.map(|after| Some((failure, after)))
        }
    };
    match recorded {
        Ok(Some((DeliveryFailure::Refused { error }, _)))
        | Ok(Some((DeliveryFailure::Retry { error, .. }, AfterFailure::GaveUp))) => {
            // One notice to the admins in the alert channel (not about a notice: no loops).
            if entry.kind != "notice"
                && let Err(failure) =
                    app.notify_undeliverable(&entry.workspace, entry.channel_id, &entry.kind, &error).await
            {
                tracing::error!("could not queue a notice: {failure:#}");
            }
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

/// What to send for an outbox entry.
enum Outgoing {
    New(serenity::CreateMessage),
    /// An edit of a message already posted.
    Edit(u64, serenity::EditMessage),
}

fn alert_embed(renderer: &Renderer, alert: &crate::analysis::alerts::Alert) -> serenity::CreateEmbed {
    let detail = format!("{}\n→ {}", renderer.text(&alert.detail), renderer.text(&alert.action));
    serenity::CreateEmbed::new()
        .title(crate::render::cut(&renderer.text(&alert.title), crate::render::limits::EMBED_TITLE))
        .description(crate::render::cut(&detail, crate::render::limits::EMBED_DESCRIPTION))
        .colour(reply::severity_colour(Some(alert.severity)))
}

/// The message an outbox entry stands for, rendered now; `None` when there is nothing left to
/// say (every alert it was for cleared before it went out).
async fn render(app: &App, entry: &OutboxEntry) -> anyhow::Result<Option<Outgoing>> {
    match entry.kind.as_str() {
        "alerts" => {
            let (alerts, language) = app.alerts_for(entry).await?;
            if alerts.is_empty() {
                return Ok(None);
            }
            let renderer = Renderer::get(language, Flavor::Discord);
            let settings = app.settings(&entry.workspace).await?.settings;
            let reminder = entry.payload["reminder"] == true;
            let mut content = renderer.text(&text!(
                "ping.alerts",
                count = alerts.len(),
                reminder = if reminder { "yes" } else { "" }
            ));
            let mut mentions = serenity::CreateAllowedMentions::new();
            if let Some(role) = settings.alert_role {
                content = format!("<@&{}> {content}", role.0);
                mentions = mentions.roles(vec![serenity::RoleId::new(role.0)]);
            }
            // At most 10 embeds a message and 6,000 characters for all of them; the rest are
            // counted.
            let mut embeds = Vec::new();
            let mut used = 0;
            for (index, alert) in alerts.iter().enumerate() {
                let size = crate::render::discord_len(&renderer.text(&alert.title))
                    + crate::render::discord_len(&renderer.text(&alert.detail))
                    + crate::render::discord_len(&renderer.text(&alert.action))
                    + 8;
                if embeds.len() == 9 && alerts.len() > 10 || used + size > 5_500 {
                    let more = renderer.text(&text!("label.and_more", count = alerts.len() - index));
                    embeds.push(serenity::CreateEmbed::new().description(more));
                    break;
                }
                used += size;
                embeds.push(alert_embed(renderer, alert));
            }
            if let Some(last) = embeds.pop() {
                embeds.push(last.footer(serenity::CreateEmbedFooter::new(marker(entry.id))));
            }
            // Buttons for the first five alerts (five rows at most): acknowledge, snooze, renewed.
            // A family too long for a button's 100-character id (a very long domain name) is
            // acted on with reactions instead.
            let rows: Vec<serenity::CreateActionRow> = alerts
                .iter()
                .map(|alert| crate::domain::alerting::family(&alert.key))
                .filter(|family| format!("alert:renewed:{family}").len() <= 100)
                .take(5)
                .map(|family| {
                    let button = |action: AlertAction, label: &'static str, style| {
                        serenity::CreateButton::new(format!("alert:{}:{family}", action.as_str()))
                            .label(crate::render::cut(
                                &renderer.text(&crate::analysis::Text { id: label, args: Default::default() }),
                                80,
                            ))
                            .style(style)
                    };
                    let mut buttons = vec![
                        button(AlertAction::Acknowledge, "button.ack", serenity::ButtonStyle::Primary),
                        button(AlertAction::Snooze, "button.snooze", serenity::ButtonStyle::Secondary),
                    ];
                    if family.starts_with("renewal:") || family.starts_with("expired:") {
                        buttons.push(button(AlertAction::Renewed, "button.renewed", serenity::ButtonStyle::Success));
                    }
                    serenity::CreateActionRow::Buttons(buttons)
                })
                .collect();
            Ok(Some(Outgoing::New(
                serenity::CreateMessage::new()
                    .content(content)
                    .embeds(embeds)
                    .components(rows)
                    .allowed_mentions(mentions),
            )))
        }
        "alert_resolved" => {
            let message_id: u64 = entry.payload["message_id"].as_str().unwrap_or_default().parse()?;
            let language = app.language(&entry.workspace).await?;
            let renderer = Renderer::get(language, Flavor::Discord);
            let current = app.alerts(&entry.workspace).await?.alerts;
            let states = app.alerts_on_message(&entry.workspace, message_id).await?;
            let all_resolved = states.iter().all(|s| s.remembered.resolved);
            let embeds: Vec<_> = states
                .iter()
                .map(|state| {
                    match current.iter().find(|a| crate::domain::alerting::family(&a.key) == state.remembered.family) {
                        Some(alert) if !state.remembered.resolved => alert_embed(renderer, alert),
                        _ => serenity::CreateEmbed::new()
                            .title(crate::render::cut(
                                &renderer.text(&text!("ping.resolved", title = state.title)),
                                crate::render::limits::EMBED_TITLE,
                            ))
                            .colour(reply::colour::HEALTHY),
                    }
                })
                .take(10)
                .collect();
            let mut edit =
                serenity::EditMessage::new().embeds(embeds).allowed_mentions(serenity::CreateAllowedMentions::new());
            if all_resolved {
                // Nothing left to act on.
                edit = edit.components(Vec::new());
            }
            Ok(Some(Outgoing::Edit(message_id, edit)))
        }
        "report" => {
            let language = app.language(&entry.workspace).await?;
            let renderer = Renderer::get(language, Flavor::Discord);
            let report = app.report(&entry.workspace).await?;
            let embed = reply::page_embed(renderer, Page::Report, &report, band_colour(report.health.band))?;
            let footer = if entry.payload["late"] == true {
                let slot = entry.payload["slot"].as_str().unwrap_or_default();
                let shown = slot
                    .parse::<chrono::DateTime<chrono::Utc>>()
                    .map_or(slot.to_string(), |s| s.format("%Y-%m-%d %H:%M UTC").to_string());
                format!("{}{MARKER_SEPARATOR}{}", renderer.text(&text!("report.late", slot = shown)), marker(entry.id))
            } else {
                marker(entry.id)
            };
            let embed = embed.footer(serenity::CreateEmbedFooter::new(footer));
            Ok(Some(Outgoing::New(
                serenity::CreateMessage::new().embed(embed).allowed_mentions(serenity::CreateAllowedMentions::new()),
            )))
        }
        "notice" => {
            let language = app.language(&entry.workspace).await?;
            let renderer = Renderer::get(language, Flavor::Discord);
            let embed = if let Some(url) = entry.payload["recovered"].as_str() {
                let text = renderer.text(&text!("site.recovered", url = crate::render::escape_discord(url)));
                serenity::CreateEmbed::new().description(text).colour(reply::colour::HEALTHY)
            } else {
                let text = renderer.text(&text!(
                    "notice.undeliverable",
                    channel = entry.payload["channel"].as_str().unwrap_or_default(),
                    kind = entry.payload["kind"].as_str().unwrap_or_default(),
                    error = entry.payload["error"].as_str().unwrap_or_default()
                ));
                serenity::CreateEmbed::new().description(text).colour(reply::colour::WARNING)
            };
            let embed = embed.footer(serenity::CreateEmbedFooter::new(marker(entry.id)));
            Ok(Some(Outgoing::New(
                serenity::CreateMessage::new().embed(embed).allowed_mentions(serenity::CreateAllowedMentions::new()),
            )))
        }
        other => anyhow::bail!("unknown outbox message kind {other}"),
    }
}

/// The nonce of outbox message `id`'s post.
fn nonce(id: i64) -> String {
    format!("jarvis-{id}")
}

/// What separates the marker from the rest of a footer.
const MARKER_SEPARATOR: &str = " · ";

/// The mark a posted outbox message carries at the end of its (last) embed's footer, so that an
/// instance taking a delivery over recognises it in the channel.
fn marker(id: i64) -> String {
    format!("ref {id}")
}

/// Whether `message` is outbox message `id` as this bot posted it: the bot's own, with the
/// marker ending an embed's footer (or, where Discord echoes it, the nonce).
fn is_posted(message: &serde_json::Value, id: i64, bot_user: Option<u64>) -> bool {
    let author = message.pointer("/author/id").and_then(|a| a.as_str()).and_then(|a| a.parse::<u64>().ok());
    if bot_user.is_some_and(|me| author != Some(me)) {
        return false;
    }
    if message["nonce"].as_str() == Some(nonce(id).as_str()) {
        return true;
    }
    let marker = marker(id);
    message["embeds"].as_array().into_iter().flatten().any(|embed| {
        embed.pointer("/footer/text").and_then(|t| t.as_str()).is_some_and(|footer| {
            footer == marker || footer.rsplit_once(MARKER_SEPARATOR).is_some_and(|(_, end)| end == marker)
        })
    })
}

/// Why a channel's messages could not be read.
enum Unreadable {
    /// Jarvis may not read them (no Read Message History, the channel is gone): looking will not
    /// work later either.
    Forbidden(String),
    /// Discord or the network failed: try again later.
    Failed(String),
}

/// Discord's epoch (2015-01-01) in Unix milliseconds: a message id is its time since then,
/// shifted left by 22 bits.
const DISCORD_EPOCH_MS: i64 = 1_420_070_400_000;

/// How many pages of 100 messages are read at most when looking for a post.
const LOOKUP_PAGES: usize = 5;

/// Looks for `entry` in its channel, among the messages since it was queued (up to
/// [`LOOKUP_PAGES`] pages of 100, oldest first): the id of the message carrying its marker.
async fn find_posted(poster: &Poster, entry: &OutboxEntry) -> Result<Option<u64>, Unreadable> {
    let since = (entry.created_at.timestamp_millis() - DISCORD_EPOCH_MS - 60_000).max(0);
    let mut after = (since as u64) << 22;
    for _ in 0..LOOKUP_PAGES {
        let response = poster
            .client
            .get(format!("{}?limit=100&after={after}", channel_url(poster, entry.channel_id)))
            .header(reqwest::header::AUTHORIZATION, format!("Bot {}", poster.token))
            .timeout(Duration::from_secs(30))
            .send()
            .await
            .map_err(|error| Unreadable::Failed(format!("network: {error}")))?;
        let status = response.status();
        if status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND {
            return Err(Unreadable::Forbidden(format!("Discord answered {status}")));
        }
        if !status.is_success() {
            return Err(Unreadable::Failed(format!("Discord answered {status}")));
        }
        let messages: Vec<serde_json::Value> =
            response.json().await.map_err(|error| Unreadable::Failed(format!("unreadable answer: {error}")))?;
        if let Some(found) = messages.iter().find(|message| is_posted(message, entry.id, poster.bot_user)) {
            return Ok(found["id"].as_str().and_then(|id| id.parse().ok()));
        }
        let newest = messages.iter().filter_map(|m| m["id"].as_str()?.parse::<u64>().ok()).max();
        match newest {
            Some(newest) if messages.len() == 100 => after = newest,
            _ => return Ok(None),
        }
    }
    Ok(None)
}

fn channel_url(poster: &Poster, channel: u64) -> String {
    format!("{}/api/v10/channels/{channel}/messages", poster.base.trim_end_matches('/'))
}

/// Sends `body` to `url`: the message's id when Discord accepted it.
async fn send(
    poster: &Poster,
    method: reqwest::Method,
    url: &str,
    body: &impl serde::Serialize,
) -> Result<u64, DeliveryFailure> {
    let response = poster
        .client
        .request(method, url)
        .header(reqwest::header::AUTHORIZATION, format!("Bot {}", poster.token))
        .json(body)
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .map_err(|error| DeliveryFailure::Retry {
            after: None,
            error: format!("network: {error}"),
            maybe_posted: true,
        })?;
    let status = response.status();
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<f64>().ok())
        .and_then(|seconds| chrono::Duration::try_milliseconds((seconds * 1000.0).ceil() as i64));
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    match status {
        s if s.is_success() => {
            body["id"].as_str().and_then(|id| id.parse().ok()).ok_or_else(|| DeliveryFailure::Retry {
                after: None,
                error: "Discord's answer had no message id".into(),
                maybe_posted: true,
            })
        }
        StatusCode::TOO_MANY_REQUESTS => {
            Err(DeliveryFailure::Retry { after: retry_after, error: "rate limited".into(), maybe_posted: false })
        }
        // A server error may come after the message was made.
        s if s.is_server_error() => {
            Err(DeliveryFailure::Retry { after: None, error: format!("Discord answered {s}"), maybe_posted: true })
        }
        s => Err(DeliveryFailure::Refused {
            error: format!("Discord answered {s}: {}", body["message"].as_str().unwrap_or("refused")),
        }),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_posted_message_is_recognised_by_its_marker_from_its_author() {
        let report =
            json!({"id": "9", "author": {"id": "7"}, "embeds": [{"title": "Report", "footer": {"text": "ref 12"}}]});
        assert!(is_posted(&report, 12, Some(7)));
        assert!(is_posted(&report, 12, None));
        assert!(!is_posted(&report, 1, Some(7)), "ref 12 is not ref 1");
        assert!(!is_posted(&report, 12, Some(8)), "someone else's message");
        let late = json!({"author": {"id": "7"}, "embeds": [{"footer": {"text": "Posted late · ref 12"}}]});
        assert!(is_posted(&late, 12, Some(7)));
        assert!(!is_posted(&late, 2, Some(7)));
        let typed = json!({"author": {"id": "7"}, "content": "ref 12", "embeds": []});
        assert!(!is_posted(&typed, 12, Some(7)), "only a footer marks a message");
        let echoed = json!({"author": {"id": "7"}, "nonce": "jarvis-12", "embeds": []});
        assert!(is_posted(&echoed, 12, Some(7)));
    }
}
