//! Monthly budgets: one for the whole workspace and one per category, each with the percentages
//! of it that raise alerts.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use super::error::UserError;
use super::item::Category;
use super::money::Money;
use super::numbers::{ListRule, join};

/// What a budget covers: all spending, or one category.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub enum BudgetScope {
    Total,
    Category(Category),
}

impl BudgetScope {
    /// Every scope, the total first.
    pub fn all() -> impl Iterator<Item = BudgetScope> {
        std::iter::once(BudgetScope::Total).chain(Category::ALL.iter().map(|c| BudgetScope::Category(*c)))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            BudgetScope::Total => "total",
            BudgetScope::Category(category) => category.as_str(),
        }
    }
}

impl fmt::Display for BudgetScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for BudgetScope {
    type Err = UserError;
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let wanted = input.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        BudgetScope::all().find(|s| s.as_str() == wanted).ok_or_else(|| UserError::UnknownChoice {
            what: "budget scope",
            input: input.to_string(),
            choices: BudgetScope::all().map(BudgetScope::as_str).collect(),
        })
    }
}

impl Serialize for BudgetScope {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

crate::domain::schema::by_hand!(BudgetScope, crate::domain::schema::string("`total` or a category.", "total"));

/// Percentages of a budget that raise alerts, ascending, e.g. 80 and 100.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Thresholds(Vec<u32>);

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds(vec![80, 100])
    }
}

impl Thresholds {
    /// Highest percentage accepted (ten times the budget).
    pub const MAX_PERCENT: u32 = 1000;

    /// Reads `80,100` (a trailing `%` allowed; order does not matter; a percentage given twice is
    /// refused).
    pub fn parse(input: &str) -> Result<Thresholds, UserError> {
        let rule = ListRule {
            field: "thresholds",
            suffix: '%',
            range: 1..=Self::MAX_PERCENT,
            max_count: 5,
            what: "percentages",
            example: "80,100",
        };
        Ok(Thresholds(rule.parse(input)?))
    }

    pub fn percents(&self) -> &[u32] {
        &self.0
    }
}

impl fmt::Display for Thresholds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&join(&self.0))
    }
}

impl Serialize for Thresholds {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

crate::domain::schema::by_hand!(
    Thresholds,
    crate::domain::schema::whole_numbers("Percentages of the budget that alert, ascending.")
);

/// A monthly budget. Zero is allowed: any spending in its scope is then over budget.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, utoipa::ToSchema)]
pub struct Budget {
    pub scope: BudgetScope,
    pub amount: Money,
    pub thresholds: Thresholds,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_and_thresholds_parse() {
        assert_eq!("total".parse::<BudgetScope>().unwrap(), BudgetScope::Total);
        assert_eq!("AI-services".parse::<BudgetScope>().unwrap(), BudgetScope::Category(Category::Ai));
        let error = "food".parse::<BudgetScope>().unwrap_err().to_string();
        assert!(error.contains("total, infrastructure, ai_services"), "{error}");
        assert_eq!(Thresholds::parse("100, 80%").unwrap().percents(), [80, 100]);
        assert_eq!(
            Thresholds::parse("80,80").unwrap_err().to_string(),
            "The thresholds `80,80` is not valid: it gives 80 twice; give each of the percentages once, e.g. 80,100"
        );
        assert!(Thresholds::parse("100, 80%,80").unwrap_err().to_string().contains("it gives 80 twice"));
        assert!(Thresholds::parse("0").unwrap_err().to_string().contains("between 1 and 1000"));
        assert!(Thresholds::parse("lots").unwrap_err().to_string().contains("whole percentages"));
        assert!(Thresholds::parse("1,2,3,4,5,6").unwrap_err().to_string().contains("give 1 to 5 percentages"));
        assert!(Thresholds::parse("").is_err());
    }
}
