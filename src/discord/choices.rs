//! The domain's closed sets as Discord option choices, spelled as everywhere else.

use std::borrow::Cow;

use crate::domain::budget::BudgetScope;
use crate::domain::item::{
    ApiKeyStatus, BillingPeriod, Category, IntegrationType, Kind, ManualStatus, PricingModel, ServiceType,
};
use crate::domain::workspace::{Language, SettingKey};

fn choice(name: &'static str) -> poise::CommandParameterChoice {
    poise::CommandParameterChoice { name: Cow::Borrowed(name), localizations: Cow::Borrowed(&[]), __non_exhaustive: () }
}

/// Implements poise's `ChoiceParameter` for types with a fixed list of values and stable names.
macro_rules! choices {
    ($($ty:ty => $all:expr),+ $(,)?) => {$(
        impl poise::ChoiceParameter for $ty {
            fn list() -> Cow<'static, [poise::CommandParameterChoice]> {
                Cow::Owned($all.iter().map(|v| choice(v.as_str())).collect())
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
    InfraKind => InfraKind::ALL,
    EnteredSource => EnteredSource::ALL,
    BudgetScope => SCOPES,
    BillingPeriod => BillingPeriod::ALL,
    ManualStatus => ManualStatus::ALL,
    ServiceType => ServiceType::ALL,
    PricingModel => PricingModel::ALL,
    ApiKeyStatus => ApiKeyStatus::ALL,
    IntegrationType => IntegrationType::ALL,
    Category => Category::ALL,
    Language => Language::ALL,
    SettingKey => SettingKey::ALL,
);
