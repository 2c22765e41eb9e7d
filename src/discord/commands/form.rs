//! The item form: add or edit an item in a Discord modal, prefilled when editing.

use poise::Modal as _;

use crate::app::{ItemForm, ItemRef};
use crate::discord::{Data, Error};
use crate::domain::UserError;
use crate::domain::item::Kind;

/// The five fields a modal can hold: what people change most.
#[derive(Debug, Clone, Default, poise::Modal)]
#[name = "Item"]
pub struct ItemModal {
    #[name = "Name"]
    #[max_length = 100]
    name: String,
    #[name = "Cost per billing period (e.g. 12.50)"]
    cost: Option<String>,
    #[name = "Billing period"]
    #[placeholder = "monthly, quarterly, yearly, one_time or usage_based"]
    period: Option<String>,
    #[name = "Renews on (YYYY-MM-DD)"]
    renews: Option<String>,
    #[name = "Provider"]
    provider: Option<String>,
}

impl ItemModal {
    fn form(self) -> ItemForm {
        ItemForm {
            name: Some(self.name),
            cost: self.cost,
            period: self.period,
            renews: self.renews,
            provider: self.provider,
            ..Default::default()
        }
    }
}

type AppContext<'a> = poise::ApplicationContext<'a, Data, Error>;

/// Opens the form: prefilled to edit `item` (one of `kinds`), or empty to add an item of
/// `new_kind`. Nothing happens if the member closes it.
pub async fn open(
    ctx: AppContext<'_>,
    kinds: &[Kind],
    new_kind: Option<Kind>,
    item: Option<String>,
) -> Result<(), Error> {
    let context = poise::Context::Application(ctx);
    let ws = crate::discord::guard::workspace(context)?;
    crate::discord::guard::require_admin(context, &ws).await?;
    let existing = match &item {
        Some(query) => {
            let reference = query.parse::<ItemRef>()?.with_kind(if kinds.len() == 1 { Some(kinds[0]) } else { None });
            let view = ctx.data().app.show_item(&ws, &reference).await?.item;
            if !kinds.contains(&view.kind) {
                return Err(UserError::Conflict(format!(
                    "`{}` is not one of these items; use its own command",
                    view.name
                ))
                .into());
            }
            Some(view)
        }
        None => None,
    };
    let kind = match (&existing, new_kind) {
        (Some(view), _) => view.kind,
        (None, Some(kind)) => kind,
        (None, None) => {
            return Err(UserError::Missing("Choose the kind of item to add, or pick an item to edit".into()).into());
        }
    };
    let defaults = existing.as_ref().map(|view| ItemModal {
        name: view.name.clone(),
        cost: Some(view.cost.to_string().split(' ').next().unwrap_or_default().replace(',', "")),
        period: Some(view.billing_period.to_string()),
        renews: view.renewal_date.map(|d| d.to_string()),
        provider: view.provider.clone(),
    });
    let Some(submitted) = ItemModal::execute_with_defaults(ctx, defaults.unwrap_or_default()).await? else {
        return Ok(());
    };
    let form = submitted.form();
    match existing {
        Some(view) => super::items::edit(context, &[kind], &format!("#{}", view.id), form).await,
        None => super::items::add(context, kind, form).await,
    }
}
