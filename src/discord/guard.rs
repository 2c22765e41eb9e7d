//! Who may do what: the workspace is the guild, and changes need Manage Server or the admin role.

use poise::serenity_prelude as serenity;

use super::{Context, Error};
use crate::app::{App, RequestKey};
use crate::domain::UserError;
use crate::domain::workspace::WorkspaceId;

/// The app for this interaction: its writes are keyed by the interaction's id, so an interaction
/// Discord delivers twice (a resumed session, a second instance) writes once.
pub fn app(ctx: Context<'_>) -> App {
    ctx.data().app.keyed(RequestKey::discord(ctx.id()))
}

/// Whether this interaction is new: one whose key is recorded already was carried out when it
/// first came, and was answered then (Discord refuses a second answer), so it is skipped
/// silently. Run before every command.
pub async fn first_delivery(ctx: Context<'_>) -> Result<bool, Error> {
    let Some(guild) = ctx.guild_id() else { return Ok(true) };
    let workspace = WorkspaceId::parse(&guild.get().to_string())?;
    let done = ctx.data().app.key_used(&workspace, &RequestKey::discord(ctx.id())).await?;
    Ok(!done)
}

/// The workspace of the guild the command came from; DMs are refused.
pub fn workspace(ctx: Context<'_>) -> Result<WorkspaceId, Error> {
    let guild = ctx.guild_id().ok_or_else(|| {
        UserError::Conflict(
            "Jarvis keeps one ledger per server, so it works in servers only: run this command in your server".into(),
        )
    })?;
    Ok(WorkspaceId::parse(&guild.get().to_string())?)
}

/// Refuses members who may not change the ledger: they need Manage Server or the admin role
/// (`/settings set admin_role`). Checked by the bot itself, since server admins can let anyone
/// see a command.
pub async fn require_admin(ctx: Context<'_>, workspace: &WorkspaceId) -> Result<(), Error> {
    if is_admin(ctx, workspace).await? {
        return Ok(());
    }
    let admin_role = ctx.data().app.settings(workspace).await?.settings.admin_role;
    let hint = match admin_role {
        Some(role) => format!("Manage Server or the {role} role"),
        None => "Manage Server (an admin can also name a role with `/settings set admin_role`)".to_string(),
    };
    Err(UserError::Conflict(format!(
        "Only members with {hint} can change Jarvis's ledger; reading is open to everyone"
    ))
    .into())
}

/// Whether the member may change the ledger: Manage Server, or the admin role.
pub async fn is_admin(ctx: Context<'_>, workspace: &WorkspaceId) -> Result<bool, Error> {
    let member = ctx.author_member().await;
    if member.as_ref().and_then(|m| m.permissions).is_some_and(serenity::Permissions::manage_guild) {
        return Ok(true);
    }
    let admin_role = ctx.data().app.settings(workspace).await?.settings.admin_role;
    Ok(match (admin_role, member.as_ref()) {
        (Some(role), Some(member)) => member.roles.iter().any(|r| r.get() == role.0),
        _ => false,
    })
}
