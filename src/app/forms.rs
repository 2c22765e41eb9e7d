//! An item's fields as people type them in a form (Discord's options and modals): text in,
//! [`ItemChanges`] out, with the same parsers and messages as everywhere else.

use crate::domain::UserError;
use crate::domain::calendar::parse_date;
use crate::domain::item::ItemChanges;
use crate::domain::money::{Currency, NumberRule};
use crate::domain::text::{ItemName, Label, Notes};
use crate::domain::workspace::LeadTimes;

/// Fields an item form can carry, as typed. `None` or blank means "leave it alone".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ItemForm {
    pub name: Option<String>,
    pub provider: Option<String>,
    pub cost: Option<String>,
    pub currency: Option<String>,
    pub period: Option<String>,
    pub renews: Option<String>,
    pub auto_renew: Option<bool>,
    pub status: Option<String>,
    pub notes: Option<String>,
    pub unit: Option<String>,
    pub unit_price: Option<String>,
    pub free_tier: Option<String>,
    pub usage: Option<String>,
    pub usage_limit: Option<String>,
    pub registrar: Option<String>,
    pub server_type: Option<String>,
    pub specs: Option<String>,
    pub service_type: Option<String>,
    pub pricing: Option<String>,
    pub key_status: Option<String>,
    pub integration_type: Option<String>,
    /// Comma-separated.
    pub features: Option<String>,
    pub lead_times: Option<String>,
    pub yearly_price: Option<String>,
    pub plan_price: Option<String>,
    /// Fields to empty, comma-separated: `notes, renewal`.
    pub clear: Option<String>,
}

fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// One of a fixed set of choices, if given.
fn choice<T: std::str::FromStr<Err = UserError>>(value: &Option<String>) -> Result<Option<T>, UserError> {
    given(value).map(str::parse).transpose()
}

impl ItemForm {
    /// The change this form asks for.
    pub fn changes(&self) -> Result<ItemChanges, UserError> {
        let label = |field: &'static str, value: &Option<String>| -> Result<Option<Option<Label>>, UserError> {
            given(value).map(|v| Label::parse(field, v).map(Some)).transpose()
        };
        let number = |rule: NumberRule, value: &Option<String>| given(value).map(|v| rule.parse(v)).transpose();
        let mut changes = ItemChanges {
            name: given(&self.name).map(ItemName::parse).transpose()?,
            provider: label("provider", &self.provider)?,
            cost: number(NumberRule::amount("cost"), &self.cost)?,
            currency: given(&self.currency).map(Currency::parse).transpose()?,
            period: choice(&self.period)?,
            renewal_date: given(&self.renews).map(|d| parse_date("renewal date", d).map(Some)).transpose()?,
            auto_renew: self.auto_renew,
            status: choice(&self.status)?,
            notes: given(&self.notes).map(|n| Notes::parse(n).map(Some)).transpose()?,
            unit: label("unit", &self.unit)?.flatten(),
            unit_price: number(NumberRule::amount("unit price"), &self.unit_price)?.map(Some),
            free_tier: number(NumberRule::quantity("free tier"), &self.free_tier)?.map(Some),
            usage: number(NumberRule::quantity("usage"), &self.usage)?,
            usage_limit: number(NumberRule::quantity("usage limit"), &self.usage_limit)?.map(Some),
            registrar: label("registrar", &self.registrar)?,
            server_type: label("server type", &self.server_type)?,
            specs: label("specs", &self.specs)?,
            service_type: choice(&self.service_type)?,
            pricing_model: choice(&self.pricing)?,
            api_key_status: choice(&self.key_status)?,
            integration_type: choice(&self.integration_type)?,
            features: given(&self.features)
                .map(|list| {
                    list.split(',')
                        .map(str::trim)
                        .filter(|f| !f.is_empty())
                        .map(|f| Label::parse("feature", f))
                        .collect::<Result<Vec<_>, _>>()
                })
                .transpose()?,
            lead_times: given(&self.lead_times).map(|l| LeadTimes::parse(l).map(Some)).transpose()?,
            yearly_price: number(NumberRule::amount("yearly price"), &self.yearly_price)?.map(Some),
            plan_price: number(NumberRule::amount("plan price"), &self.plan_price)?.map(Some),
            ..Default::default()
        };
        for field in
            given(&self.clear).map(|c| c.split(',').map(str::trim).filter(|f| !f.is_empty())).into_iter().flatten()
        {
            match field.to_ascii_lowercase().replace(['-', ' '], "_").as_str() {
                "provider" => changes.provider = Some(None),
                "renewal" | "renews" => changes.renewal_date = Some(None),
                "notes" => changes.notes = Some(None),
                "usage" => changes.clear_usage = true,
                "unit_price" => changes.unit_price = Some(None),
                "free_tier" => changes.free_tier = Some(None),
                "usage_limit" => changes.usage_limit = Some(None),
                "registrar" => changes.registrar = Some(None),
                "server_type" => changes.server_type = Some(None),
                "specs" => changes.specs = Some(None),
                "features" => changes.features = Some(Vec::new()),
                "lead_times" => changes.lead_times = Some(None),
                "yearly_price" => changes.yearly_price = Some(None),
                "plan_price" => changes.plan_price = Some(None),
                _ => {
                    return Err(UserError::UnknownChoice {
                        what: "field to clear",
                        input: field.to_string(),
                        choices: CLEARABLE.to_vec(),
                    });
                }
            }
        }
        Ok(changes)
    }
}

/// The fields `clear` accepts.
pub const CLEARABLE: &[&str] = &[
    "provider",
    "renewal",
    "notes",
    "usage",
    "unit_price",
    "free_tier",
    "usage_limit",
    "registrar",
    "server_type",
    "specs",
    "features",
    "lead_times",
    "yearly_price",
    "plan_price",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::item::{BillingPeriod, PricingModel};
    use crate::domain::testing::{d, dec};

    #[test]
    fn typed_fields_become_a_change() {
        let form = ItemForm {
            name: Some(" OpenAI ".into()),
            cost: Some("12.50".into()),
            period: Some("usage-based".into()),
            renews: Some("2027-01-01".into()),
            pricing: Some("pay per use".into()),
            features: Some("SSO, audit log,".into()),
            notes: Some("   ".into()),
            clear: Some("registrar, lead-times".into()),
            ..Default::default()
        };
        let changes = form.changes().unwrap();
        assert_eq!(changes.name.unwrap().as_str(), "OpenAI");
        assert_eq!(changes.cost, Some(dec("12.50")));
        assert_eq!(changes.period, Some(BillingPeriod::UsageBased));
        assert_eq!(changes.renewal_date, Some(Some(d("2027-01-01"))));
        assert_eq!(changes.pricing_model, Some(PricingModel::PayPerUse));
        assert_eq!(changes.features.unwrap().len(), 2);
        assert_eq!(changes.notes, None, "blank means untouched");
        assert_eq!((changes.registrar, changes.lead_times), (Some(None), Some(None)));
    }

    #[test]
    fn bad_fields_get_the_usual_messages() {
        let error = |form: ItemForm| form.changes().unwrap_err().to_string();
        assert!(error(ItemForm { cost: Some("-5".into()), ..Default::default() }).contains("cost"));
        assert!(error(ItemForm { renews: Some("2026-02-30".into()), ..Default::default() }).contains("28 days"));
        assert!(error(ItemForm { period: Some("weekly".into()), ..Default::default() }).contains("choose one of"));
        assert!(error(ItemForm { clear: Some("color".into()), ..Default::default() }).contains("field to clear"));
    }
}
