//! Acting on an alert from its message: buttons (acknowledge, snooze, renewed). Only members who
//! may change the ledger can act; others get a private explanation. Who did what, and when, is
//! added to the message. Page buttons of long lists are handed to `paging`.

use poise::serenity_prelude as serenity;

use super::{Data, Error};
use crate::app::AlertAction;
use crate::domain::audit::Actor;
use crate::domain::workspace::WorkspaceId;
use crate::render::{Flavor, Renderer, limits};

/// Handles the events poise leaves alone: presses on alert buttons and page buttons, and
/// reactions on alert messages.
pub async fn on_event(ctx: &serenity::Context, event: &serenity::FullEvent, data: &Data) -> Result<(), Error> {
    if let serenity::FullEvent::ReactionAdd { add_reaction } = event
        && let Err(error) = react(ctx, add_reaction, data).await
    {
        tracing::warn!("a reaction on an alert could not be handled: {error:#}");
    }
    if let serenity::FullEvent::InteractionCreate { interaction: serenity::Interaction::Component(press) } = event
        && let Some(rest) = press.data.custom_id.strip_prefix("alert:")
        && let Some((action, family)) = rest.split_once(':')
        && let Some(action) = AlertAction::parse(action)
        && let Err(error) = act(ctx, press, data, action, family).await
    {
        answer_failure(ctx, press, "an alert action", &error).await;
    }
    if let serenity::FullEvent::InteractionCreate { interaction: serenity::Interaction::Component(press) } = event
        && let Some((listing, page)) = super::paging::Listing::parse(&press.data.custom_id)
        && let Err(error) = super::paging::turn(ctx, press, data, listing, page).await
    {
        answer_failure(ctx, press, "turning a page", &error).await;
    }
    Ok(())
}

/// Tells the member who pressed a button why nothing happened, privately: their mistake as it
/// is, ours as an apology with an error id (the whole chain goes to the log, under `what`).
async fn answer_failure(
    ctx: &serenity::Context,
    press: &serenity::ComponentInteraction,
    what: &str,
    error: &crate::app::AppError,
) {
    let text = match error {
        crate::app::AppError::User(error) => format!("❌ {error}"),
        crate::app::AppError::Repeated(_) => format!("✅ {error}"),
        crate::app::AppError::Unavailable(error) => {
            tracing::warn!("{what} failed, the ledger being unavailable: {error:#}");
            "⏳ The ledger is unavailable, try again in a minute.".to_string()
        }
        crate::app::AppError::Internal(error) => {
            let id = crate::error_id();
            tracing::error!(error_id = %id, "{what} failed: {error:#}");
            format!("⚠️ Something went wrong on Jarvis's side. Error id `{id}`.")
        }
    };
    let answer = serenity::CreateInteractionResponseMessage::new()
        .content(crate::render::cut(&text, limits::CONTENT))
        .ephemeral(true)
        .allowed_mentions(serenity::CreateAllowedMentions::new());
    if let Err(error) = press.create_response(ctx, serenity::CreateInteractionResponse::Message(answer)).await {
        tracing::warn!("could not answer a button: {error:#}");
    }
}

async fn act(
    ctx: &serenity::Context,
    press: &serenity::ComponentInteraction,
    data: &Data,
    action: AlertAction,
    family: &str,
) -> Result<(), Error> {
    let guild = press.guild_id.ok_or_else(|| crate::domain::UserError::Conflict("Alerts live in servers".into()))?;
    let workspace = WorkspaceId::parse(&guild.get().to_string())?;
    let settings = data.app.settings(&workspace).await?.settings;
    let member = press.member.as_ref();
    let manage = member.and_then(|m| m.permissions).is_some_and(serenity::Permissions::manage_guild);
    let role = settings.admin_role.is_some_and(|r| member.is_some_and(|m| m.roles.iter().any(|id| id.get() == r.0)));
    if !manage && !role {
        return Err(crate::domain::UserError::Conflict(
            "Only members with Manage Server or the admin role can act on alerts".into(),
        )
        .into());
    }
    let actor = Actor::User(press.user.id.get().to_string());
    let done = data
        .app
        .keyed(crate::app::RequestKey::discord(press.id.get()))
        .act_on_alert(&workspace, &actor, family, action)
        .await?;
    let renderer = Renderer::get(settings.language, Flavor::Discord);
    let line =
        renderer.text(&done).replace(&format!("`{}`", press.user.id.get()), &format!("<@{}>", press.user.id.get()));
    let content = crate::render::cut(&format!("{}\n{line}", press.message.content), limits::CONTENT);
    let update = serenity::CreateInteractionResponseMessage::new()
        .content(content)
        .allowed_mentions(serenity::CreateAllowedMentions::new());
    press.create_response(ctx, serenity::CreateInteractionResponse::UpdateMessage(update)).await?;
    Ok(())
}

/// The action a reaction stands for: ✅ acknowledge, 💤 snooze, 🔁 renewed.
fn reaction_action(emoji: &serenity::ReactionType) -> Option<AlertAction> {
    match emoji {
        serenity::ReactionType::Unicode(text) => match text.as_str() {
            "✅" => Some(AlertAction::Acknowledge),
            "💤" => Some(AlertAction::Snooze),
            "🔁" => Some(AlertAction::Renewed),
            _ => None,
        },
        _ => None,
    }
}

/// Whether `user` may change the ledger in `guild`: Manage Server (or Administrator) through
/// their roles, or the workspace's admin role. Reactions carry no permissions, so the roles are
/// looked up.
async fn may_change(
    ctx: &serenity::Context,
    guild: serenity::GuildId,
    member_roles: &[serenity::RoleId],
    admin_role: Option<u64>,
) -> Result<bool, Error> {
    if admin_role.is_some_and(|role| member_roles.iter().any(|r| r.get() == role)) {
        return Ok(true);
    }
    let roles = guild.roles(&ctx.http).await?;
    let everyone = serenity::RoleId::new(guild.get());
    let permissions = roles
        .iter()
        .filter(|(id, _)| **id == everyone || member_roles.contains(id))
        .fold(serenity::Permissions::empty(), |all, (_, role)| all | role.permissions);
    Ok(permissions.administrator() || permissions.manage_guild())
}

/// A reaction on an alert message acts on every open alert it carries (🔁 only on a message about
/// exactly one renewal); reactions from members who may not change the ledger are ignored.
async fn react(ctx: &serenity::Context, reaction: &serenity::Reaction, data: &Data) -> Result<(), Error> {
    let (Some(guild), Some(user), Some(action)) =
        (reaction.guild_id, reaction.user_id, reaction_action(&reaction.emoji))
    else {
        return Ok(());
    };
    if user == ctx.cache.current_user().id {
        return Ok(());
    }
    let workspace = WorkspaceId::parse(&guild.get().to_string())?;
    let states = data.app.alerts_on_message(&workspace, reaction.message_id.get()).await?;
    let open: Vec<_> = states.iter().filter(|s| !s.remembered.resolved).collect();
    if open.is_empty() {
        return Ok(());
    }
    let settings = data.app.settings(&workspace).await?.settings;
    let roles = reaction.member.as_ref().map(|m| m.roles.clone()).unwrap_or_default();
    if !may_change(ctx, guild, &roles, settings.admin_role.map(|r| r.0)).await? {
        tracing::info!(user = user.get(), "ignored an alert reaction from a member who may not change the ledger");
        return Ok(());
    }
    let renewals = |family: &str| family.starts_with("renewal:") || family.starts_with("expired:");
    let open: Vec<_> = if action == AlertAction::Renewed {
        // 🔁 records a charge: only where it cannot be ambiguous, a message about one renewal.
        // On a grouped message the buttons say which one.
        let renewable: Vec<_> = open.into_iter().filter(|s| renewals(&s.remembered.family)).collect();
        if renewable.len() != 1 {
            tracing::info!(count = renewable.len(), "ignored 🔁 on a message without exactly one renewal");
            return Ok(());
        }
        renewable
    } else {
        open
    };
    let actor = Actor::User(user.get().to_string());
    let renderer = Renderer::get(settings.language, Flavor::Discord);
    let mut lines = Vec::new();
    for state in open {
        let family = &state.remembered.family;
        match data.app.act_on_alert(&workspace, &actor, family, action).await {
            Ok(done) => {
                lines.push(renderer.text(&done).replace(&format!("`{}`", user.get()), &format!("<@{}>", user.get())))
            }
            Err(crate::app::AppError::User(error)) => tracing::info!("alert reaction: {error}"),
            Err(error) => return Err(error),
        }
    }
    if lines.is_empty() {
        return Ok(());
    }
    let message = reaction.channel_id.message(&ctx.http, reaction.message_id).await?;
    let content = crate::render::cut(&format!("{}\n{}", message.content, lines.join("\n")), limits::CONTENT);
    let edit = serenity::EditMessage::new().content(content).allowed_mentions(serenity::CreateAllowedMentions::new());
    reaction.channel_id.edit_message(&ctx.http, reaction.message_id, edit).await?;
    Ok(())
}
