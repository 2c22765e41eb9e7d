//! Acting on an alert from its message: buttons (acknowledge, snooze, renewed). Only members who
//! may change the ledger can act; others get a private explanation. Who did what, and when, is
//! added to the message.

use poise::serenity_prelude as serenity;

use super::{Data, Error};
use crate::app::AlertAction;
use crate::domain::audit::Actor;
use crate::domain::workspace::WorkspaceId;
use crate::render::{Flavor, Renderer, limits};

/// Handles the events poise leaves alone: presses on alert buttons.
pub async fn on_event(ctx: &serenity::Context, event: &serenity::FullEvent, data: &Data) -> Result<(), Error> {
    if let serenity::FullEvent::InteractionCreate { interaction: serenity::Interaction::Component(press) } = event
        && let Some(rest) = press.data.custom_id.strip_prefix("alert:")
        && let Some((action, family)) = rest.split_once(':')
        && let Some(action) = AlertAction::parse(action)
        && let Err(error) = act(ctx, press, data, action, family).await
    {
        let text = match &error {
            crate::app::AppError::User(error) => format!("❌ {error}"),
            crate::app::AppError::Internal(error) => {
                let id = crate::error_id();
                tracing::error!(error_id = %id, "an alert action failed: {error:#}");
                format!("⚠️ Something went wrong on Jarvis's side. Error id `{id}`.")
            }
        };
        let answer = serenity::CreateInteractionResponseMessage::new()
            .content(crate::render::cut(&text, limits::CONTENT))
            .ephemeral(true)
            .allowed_mentions(serenity::CreateAllowedMentions::new());
        if let Err(error) = press.create_response(ctx, serenity::CreateInteractionResponse::Message(answer)).await {
            tracing::warn!("could not answer an alert button: {error:#}");
        }
    }
    Ok(())
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
    let done = data.app.act_on_alert(&workspace, &actor, family, action).await?;
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
