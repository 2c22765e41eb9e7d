//! The item form: add or edit an item in a Discord modal, prefilled when editing.

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

fn blank(value: &Option<String>) -> bool {
    value.as_deref().is_none_or(|v| v.trim().is_empty())
}

impl ItemModal {
    /// What the submitted form asks for. Editing, only fields that differ from what was shown
    /// count (sending an unchanged date back would re-anchor a month-end renewal), and a shown
    /// field emptied means "clear it" where that is possible.
    fn form(self, shown: Option<&ItemModal>) -> ItemForm {
        let Some(shown) = shown else {
            return ItemForm {
                name: Some(self.name),
                cost: self.cost,
                period: self.period,
                renews: self.renews,
                provider: self.provider,
                ..Default::default()
            };
        };
        let changed = |new: Option<String>, old: &Option<String>| {
            let new = new.filter(|v| !v.trim().is_empty());
            (new.as_deref().map(str::trim) != old.as_deref().map(str::trim)).then_some(new).flatten()
        };
        let mut clear = Vec::new();
        if blank(&self.renews) && !blank(&shown.renews) {
            clear.push("renewal");
        }
        if blank(&self.provider) && !blank(&shown.provider) {
            clear.push("provider");
        }
        ItemForm {
            name: (self.name.trim() != shown.name.trim()).then_some(self.name),
            cost: changed(self.cost, &shown.cost),
            period: changed(self.period, &shown.period),
            renews: changed(self.renews, &shown.renews),
            provider: changed(self.provider, &shown.provider),
            clear: (!clear.is_empty()).then(|| clear.join(",")),
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
        cost: Some(crate::domain::money::exact_amount(view.cost.0.amount, view.cost.0.currency)),
        period: Some(view.billing_period.to_string()),
        renews: view.renewal_date.map(|d| d.to_string()),
        provider: view.provider.clone(),
    });
    // The reply goes out on the command's token, which lives 15 minutes.
    let window = Some(std::time::Duration::from_secs(14 * 60));
    let Some(submitted) = poise::execute_modal(ctx, defaults.clone(), window).await? else {
        return Ok(());
    };
    let form = submitted.form(defaults.as_ref());
    match existing {
        Some(view) => {
            if form == ItemForm::default() {
                let renderer = crate::discord::reply::renderer(context, &ws).await?;
                let text = renderer.text(&crate::analysis::text!("reply.item.unchanged", item = view.name));
                return crate::discord::reply::done(context, text).await;
            }
            super::items::edit(context, &[kind], &format!("#{}", view.id), form).await
        }
        None => super::items::add(context, kind, form).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn modal(name: &str, cost: &str, period: &str, renews: &str, provider: &str) -> ItemModal {
        let some = |v: &str| (!v.is_empty()).then(|| v.to_string());
        ItemModal {
            name: name.into(),
            cost: some(cost),
            period: some(period),
            renews: some(renews),
            provider: some(provider),
        }
    }

    #[test]
    fn an_edit_sends_only_what_changed() {
        let shown = modal("acme.com", "12.00", "yearly", "2026-10-31", "Namecheap");
        // Only the provider changed: the renewal date is not sent back.
        let form = modal("acme.com", "12.00", "yearly", "2026-10-31", "Cloudflare").form(Some(&shown));
        assert_eq!(form, ItemForm { provider: Some("Cloudflare".into()), ..Default::default() });
        // Emptied fields are cleared; nothing changed is an empty form.
        let form = modal("acme.com", "12.00", "yearly", "", "").form(Some(&shown));
        assert_eq!(form, ItemForm { clear: Some("renewal,provider".into()), ..Default::default() });
        assert_eq!(shown.clone().form(Some(&shown)), ItemForm::default());
        // Adding, everything typed counts.
        let form = modal("Figma", "15", "", "", "").form(None);
        assert_eq!((form.name.as_deref(), form.cost.as_deref()), (Some("Figma"), Some("15")));
    }
}
