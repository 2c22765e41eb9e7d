//! The slash commands. Top-level names are fixed: `/dashboard`, `/trends`, `/alerts`,
//! `/renewals`, `/jarvis`, `/infra`, `/ai`, `/integration`, `/package`, `/cost`, `/budget`,
//! `/settings`, `/site`.

mod form;
mod items;
mod ledger;
mod pages;
mod sites;

use super::{Data, Error};

/// Every command, in the order Discord lists them, with their names and descriptions in every
/// language of `localize`.
pub fn all() -> Vec<poise::Command<Data, Error>> {
    let mut commands = vec![
        pages::dashboard(),
        pages::trends(),
        pages::alerts(),
        pages::renewals(),
        pages::jarvis(),
        items::infra(),
        items::ai(),
        items::integration(),
        items::package(),
        ledger::cost(),
        ledger::budget(),
        ledger::settings(),
        sites::site(),
    ];
    super::localize::apply(&mut commands);
    commands
}
