//! The domain's closed sets as Discord option choices, spelled as everywhere else, shown to
//! members in their language with the names the pages use (`name.<group>.<value>` in
//! `prompts/<language>/messages.json`).

use std::borrow::Cow;

use crate::domain::budget::BudgetScope;
use crate::domain::item::{
    ApiKeyStatus, BillingPeriod, Category, IntegrationType, Kind, ManualStatus, PricingModel, ServiceType,
};
use crate::domain::workspace::{Language, SettingKey};
use crate::render::{Flavor, Renderer};

/// The choice `name`, with its display name (`name.<group>.<name>`) in every language but
/// English, whose code is also Discord's locale.
fn choice(group: &str, name: &'static str) -> poise::CommandParameterChoice {
    let localizations: Vec<(Cow<'static, str>, Cow<'static, str>)> = Language::ALL
        .iter()
        .filter(|language| **language != Language::English)
        .filter_map(|language| {
            let shown = Renderer::get(*language, Flavor::Plain).name(group, name)?;
            Some((Cow::Borrowed(language.as_str()), Cow::Owned(shown)))
        })
        .collect();
    poise::CommandParameterChoice {
        name: Cow::Borrowed(name),
        localizations: Cow::Owned(localizations),
        __non_exhaustive: (),
    }
}

/// Implements poise's `ChoiceParameter` for types with a fixed list of values and stable names;
/// `group` names their display names in the prompts.
macro_rules! choices {
    ($($ty:ty => $all:expr, $group:literal;)+) => {$(
        impl poise::ChoiceParameter for $ty {
            fn list() -> Cow<'static, [poise::CommandParameterChoice]> {
                Cow::Owned($all.iter().map(|v| choice($group, v.as_str())).collect())
            }
            fn from_index(index: usize) -> Option<Self> {
                $all.get(index).copied()
            }
            fn from_name(name: &str) -> Option<Self> {
                name.parse().ok()
            }
            fn name(&self) -> &'static str {
                self.as_str()
            }
            fn localized_name(&self, _locale: &str) -> Option<&'static str> {
                None
            }
        }
    )+};
}

/// The kinds `/infra` manages.
pub const INFRA_KINDS: [Kind; 4] = [Kind::Domain, Kind::Hosting, Kind::Cdn, Kind::Storage];

/// An infrastructure kind, as `/infra add` offers it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InfraKind(pub Kind);

impl InfraKind {
    const ALL: [InfraKind; 4] =
        [InfraKind(Kind::Domain), InfraKind(Kind::Hosting), InfraKind(Kind::Cdn), InfraKind(Kind::Storage)];

    fn as_str(self) -> &'static str {
        self.0.as_str()
    }
}

impl std::str::FromStr for InfraKind {
    type Err = crate::domain::UserError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let kind: Kind = s.parse()?;
        INFRA_KINDS.contains(&kind).then_some(InfraKind(kind)).ok_or(crate::domain::UserError::UnknownChoice {
            what: "infrastructure kind",
            input: s.to_string(),
            choices: INFRA_KINDS.iter().map(|k| k.as_str()).collect(),
        })
    }
}

/// The sources a person can record (renewal and snapshot records are the jobs').
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EnteredSource(pub crate::domain::cost::CostSource);

impl EnteredSource {
    const ALL: [EnteredSource; 3] = [
        EnteredSource(crate::domain::cost::CostSource::Manual),
        EnteredSource(crate::domain::cost::CostSource::Usage),
        EnteredSource(crate::domain::cost::CostSource::Import),
    ];

    fn as_str(self) -> &'static str {
        self.0.as_str()
    }
}

impl std::str::FromStr for EnteredSource {
    type Err = crate::domain::UserError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(EnteredSource(s.parse()?))
    }
}

/// Budget scopes in a fixed array, for choices.
const SCOPES: [BudgetScope; 6] = [
    BudgetScope::Total,
    BudgetScope::Category(Category::Infrastructure),
    BudgetScope::Category(Category::Ai),
    BudgetScope::Category(Category::ThirdParty),
    BudgetScope::Category(Category::Packages),
    BudgetScope::Category(Category::Other),
];

choices!(
    InfraKind => InfraKind::ALL, "kind";
    EnteredSource => EnteredSource::ALL, "source";
    BudgetScope => SCOPES, "scope";
    BillingPeriod => BillingPeriod::ALL, "period";
    ManualStatus => ManualStatus::ALL, "status";
    ServiceType => ServiceType::ALL, "service";
    PricingModel => PricingModel::ALL, "pricing";
    ApiKeyStatus => ApiKeyStatus::ALL, "api_key";
    IntegrationType => IntegrationType::ALL, "integration";
    Category => Category::ALL, "category";
    Language => Language::ALL, "language";
    SettingKey => SettingKey::ALL, "setting";
    crate::app::TokenScope => crate::app::TokenScope::ALL, "token_scope";
    crate::domain::connection::Vendor => crate::domain::connection::Vendor::ALL, "vendor";
);
