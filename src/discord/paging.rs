//! Long lists on Discord a page at a time, with ◀ ▶ buttons: the item lists of `/infra`, `/ai`,
//! `/integration` and `/package`, `/cost history` and `/renewals`.
//!
//! A button's custom id carries the list and the page it leads to (`page:items:ai_services:2`),
//! never the workspace: a press is answered from the workspace of the server it was pressed in,
//! by updating the message the button is on and nothing else. Nothing is remembered between
//! presses, so the buttons keep working after the bot restarts, and a press shows the list as
//! it is then.

use chrono::NaiveDate;
use poise::serenity_prelude as serenity;

use super::reply::{self, colour};
use super::{Data, Error};
use crate::analysis::text;
use crate::app::{App, ItemFilter, ItemRef};
use crate::domain::UserError;
use crate::domain::item::Category;
use crate::domain::page::{PageInfo, PageNumber, PageRequest};
use crate::domain::workspace::{Language, WorkspaceId};
use crate::render::{Flavor, Page, Renderer};

/// What a custom id of a page button starts with.
const PREFIX: &str = "page:";

/// A list that pages, with what it was asked for (the workspace aside).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Listing {
    /// The items of one category (`/infra list`...).
    Items(Category),
    /// `/cost history`: one item's records or all, within the days asked about.
    History { item: Option<uuid::Uuid>, from: Option<NaiveDate>, to: Option<NaiveDate> },
    /// `/renewals` in the next `days` days.
    Renewals { days: u32 },
}

impl Listing {
    /// Rows a page holds on Discord: fixed, so that a page fits one embed.
    pub fn per_page(self) -> u32 {
        match self {
            // An item takes up to three lines (its meter and key status).
            Listing::Items(_) => 8,
            Listing::History { .. } | Listing::Renewals { .. } => 20,
        }
    }

    /// The custom id of a button leading to `page` of this list (at most 100 characters, as
    /// Discord requires: at most 81 here).
    pub fn custom_id(self, page: u32) -> String {
        let day = |d: Option<NaiveDate>| d.map_or_else(|| "-".to_string(), |d| d.to_string());
        match self {
            Listing::Items(category) => format!("{PREFIX}items:{}:{page}", category.as_str()),
            Listing::History { item, from, to } => format!(
                "{PREFIX}history:{}:{}:{}:{page}",
                item.map_or_else(|| "-".to_string(), |id| id.to_string()),
                day(from),
                day(to)
            ),
            Listing::Renewals { days } => format!("{PREFIX}renewals:{days}:{page}"),
        }
    }

    /// The list and page a page button's custom id leads to; `None` for any other custom id.
    pub fn parse(custom_id: &str) -> Option<(Listing, u32)> {
        let rest = custom_id.strip_prefix(PREFIX)?;
        let parts: Vec<&str> = rest.split(':').collect();
        let page = parts.last()?.parse::<u32>().ok().filter(|p| *p >= 1)?;
        let optional_day = |text: &str| match text {
            "-" => Some(None),
            day => day.parse::<NaiveDate>().ok().map(Some),
        };
        let listing = match parts.as_slice() {
            ["items", category, _] => Listing::Items(category.parse().ok()?),
            ["history", item, from, to, _] => Listing::History {
                item: match *item {
                    "-" => None,
                    id => Some(uuid::Uuid::try_parse(id).ok()?),
                },
                from: optional_day(from)?,
                to: optional_day(to)?,
            },
            ["renewals", days, _] => Listing::Renewals { days: days.parse().ok()? },
            _ => return None,
        };
        Some((listing, page))
    }
}

/// An embed with the buttons under it.
pub type Shown = (serenity::CreateEmbed, Vec<serenity::CreateActionRow>);

/// Page `page` of `listing` in `workspace`, worded by `renderer` (see [`present`]).
pub async fn render(
    app: &App,
    workspace: &WorkspaceId,
    renderer: &Renderer,
    listing: Listing,
    page: PageNumber,
) -> Result<Shown, Error> {
    let request = PageRequest::with_number(page, listing.per_page())?;
    match listing {
        Listing::Items(category) => {
            let filter = ItemFilter { category: Some(category), ..Default::default() };
            let list = app.list_items(workspace, filter, request).await?;
            present(renderer, listing, Page::Items, &list, &list.paging, colour::INFO)
        }
        Listing::History { item, from, to } => {
            let reference = item.map(|id| ItemRef::new(id.to_string()));
            let history = app.cost_history(workspace, reference.as_ref(), from, to, request).await?;
            present(renderer, listing, Page::History, &history, &history.paging, colour::INFO)
        }
        Listing::Renewals { days } => {
            let renewals = app.renewals(workspace, Some(days), request).await?;
            let manual = renewals.renewals.iter().any(|r| !r.auto_renew);
            let colour = if manual { colour::WARNING } else { colour::INFO };
            present(renderer, listing, Page::Renewals, &renewals, &renewals.paging, colour)
        }
    }
}

/// A page of `listing` already read (`view`, rendered as `page`): the embed, with "Page 2 of 40"
/// in its footer and ◀ ▶ buttons when the list has more than one page.
pub fn present<T: serde::Serialize>(
    renderer: &Renderer,
    listing: Listing,
    page: Page,
    view: &T,
    paging: &PageInfo,
    colour: u32,
) -> Result<Shown, Error> {
    let embed = reply::page_embed(renderer, page, view, colour)?;
    if paging.pages <= 1 {
        return Ok((embed, Vec::new()));
    }
    let footer = renderer.text(&text!("label.page", page = paging.page, pages = paging.pages));
    let embed = embed.footer(serenity::CreateEmbedFooter::new(footer));
    Ok((embed, vec![buttons(renderer, listing, paging)]))
}

/// ◀ Previous and Next ▶, each leading to its page (disabled at either end; its id then names
/// the page beyond, so the two ids always differ).
fn buttons(renderer: &Renderer, listing: Listing, paging: &PageInfo) -> serenity::CreateActionRow {
    let button = |page: u32, label: String, enabled: bool| {
        serenity::CreateButton::new(listing.custom_id(page))
            .label(label)
            .style(serenity::ButtonStyle::Secondary)
            .disabled(!enabled)
    };
    serenity::CreateActionRow::Buttons(vec![
        button(paging.page - 1, renderer.text(&text!("button.previous")), paging.previous().is_some()),
        button(paging.page.saturating_add(1), renderer.text(&text!("button.next")), paging.next().is_some()),
    ])
}

/// Answers a press on a page button: the page it leads to, in place of the page shown, for the
/// workspace of the server it was pressed in.
pub async fn turn(
    ctx: &serenity::Context,
    press: &serenity::ComponentInteraction,
    data: &Data,
    listing: Listing,
    page: u32,
) -> Result<(), Error> {
    let guild = press.guild_id.ok_or_else(|| UserError::Conflict("Jarvis's lists live in servers".into()))?;
    // The message a button is on belongs to the server it is pressed in; should Discord ever say
    // otherwise, nothing is shown.
    if press.message.guild_id.is_some_and(|g| g != guild) {
        return Err(UserError::Conflict("This list belongs to another server".into()).into());
    }
    let workspace = WorkspaceId::parse(&guild.get().to_string())?;
    let spoken = Language::ALL.iter().copied().find(|l| press.locale.split('-').next() == Some(l.as_str()));
    let language = match spoken {
        Some(language) => language,
        None => data.app.language(&workspace).await?,
    };
    let renderer = Renderer::get(language, Flavor::Discord);
    let (embed, components) = render(&data.app, &workspace, renderer, listing, PageNumber::Nth(page)).await?;
    let update = serenity::CreateInteractionResponseMessage::new()
        .embed(embed)
        .components(components)
        .allowed_mentions(serenity::CreateAllowedMentions::new());
    press.create_response(ctx, serenity::CreateInteractionResponse::UpdateMessage(update)).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(listing: Listing, page: u32, expected: &str) {
        let id = listing.custom_id(page);
        assert_eq!(id, expected);
        assert!(id.len() <= 100, "{id} is longer than Discord allows");
        assert_eq!(Listing::parse(&id), Some((listing, page)));
    }

    #[test]
    fn custom_ids_carry_the_list_and_the_page_and_read_back() {
        let day = |s: &str| Some(s.parse::<NaiveDate>().unwrap());
        let id = uuid::Uuid::parse_str("01a22bae-b680-7953-a35c-76f45a672e2d").unwrap();
        check(Listing::Items(Category::Ai), 2, "page:items:ai_services:2");
        check(Listing::Items(Category::ThirdParty), 1, "page:items:third_party:1");
        check(Listing::History { item: None, from: None, to: None }, 3, "page:history:-:-:-:3");
        check(
            Listing::History { item: Some(id), from: day("2026-09-01"), to: day("2026-11-30") },
            7,
            "page:history:01a22bae-b680-7953-a35c-76f45a672e2d:2026-09-01:2026-11-30:7",
        );
        check(Listing::Renewals { days: 30 }, 4, "page:renewals:30:4");
        // The longest there can be still fits.
        check(
            Listing::History { item: Some(id), from: day("2026-01-01"), to: day("2026-12-31") },
            u32::MAX,
            "page:history:01a22bae-b680-7953-a35c-76f45a672e2d:2026-01-01:2026-12-31:4294967295",
        );
    }

    #[test]
    fn other_custom_ids_are_not_page_buttons() {
        for id in [
            "alert:ack:renewal:1:2026-12-06",
            "remove:123:yes",
            "page:items:ai_services:0",
            "page:items:nonsense:2",
            "page:history:x:-:-:2",
            "page:history:42:-:-:2",
            "page:history:-:2026-13-01:-:2",
            "page:renewals:30",
            "page:renewals:30:2:9",
            "page:other:2",
        ] {
            assert_eq!(Listing::parse(id), None, "{id}");
        }
    }
}
