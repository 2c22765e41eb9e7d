//! Monthly run-rate of a workspace: each billable item's monthly cost converted into the base
//! currency, totalled and broken down by category.

use chrono::NaiveDate;
use serde::Serialize;

use super::item::{Category, Item};
use super::money::{Currency, Money};
use super::rates::{MissingRate, RateBook, dedup_missing};

/// An item's monthly cost in its own currency and, when a rate allows, in the base currency.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ItemMonthly {
    pub monthly: Money,
    /// `None` when no rate converts the item's currency: the item is left out of totals.
    pub monthly_base: Option<Money>,
}

/// The run-rate totals.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct Totals {
    pub base_currency: Currency,
    /// Sum of billable items' monthly costs, in the base currency.
    pub monthly: Money,
    /// Every category, in a fixed order, with its monthly total (zero when empty).
    pub by_category: Vec<(Category, Money)>,
    /// Pairs that had no rate; their items are not in the totals.
    pub missing_rates: Vec<MissingRate>,
    /// How many billable items the missing rates left out.
    pub items_left_out: usize,
}

/// The monthly cost of `item` as of `today`, converted with `rates` into `base`.
pub fn item_monthly(item: &Item, base: Currency, rates: &RateBook, today: NaiveDate) -> ItemMonthly {
    let monthly = item.monthly_cost();
    ItemMonthly { monthly, monthly_base: rates.convert(monthly, base, today).ok() }
}

/// Totals over the items that are still paid for (`active` or `expiring`).
pub fn monthly_totals(items: &[Item], base: Currency, rates: &RateBook, today: NaiveDate, window_days: u32) -> Totals {
    let mut by_category: Vec<(Category, Money)> = Category::ALL.iter().map(|c| (*c, Money::zero(base))).collect();
    let mut missing = Vec::new();
    let mut items_left_out = 0;
    for item in items.iter().filter(|i| i.status(today, window_days).is_billable()) {
        match rates.convert(item.monthly_cost(), base, today) {
            Ok(converted) => {
                let slot = by_category.iter_mut().find(|(c, _)| *c == item.category()).expect("all categories");
                slot.1 = slot.1.plus(converted);
            }
            Err(gap) => {
                missing.push(gap);
                items_left_out += 1;
            }
        }
    }
    let monthly = by_category.iter().fold(Money::zero(base), |sum, (_, m)| sum.plus(*m));
    Totals { base_currency: base, monthly, by_category, missing_rates: dedup_missing(missing), items_left_out }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::item::{BillingPeriod, ItemChanges, Kind, ManualStatus};
    use crate::domain::rates::ExchangeRate;
    use crate::domain::testing::{c, d, dec};
    use crate::domain::text::ItemName;

    fn item(kind: Kind, cost: &str, currency: &str, period: BillingPeriod) -> Item {
        let changes = ItemChanges {
            name: Some(ItemName::parse("x").unwrap()),
            cost: Some(dec(cost)),
            currency: Some(c(currency)),
            period: Some(period),
            ..Default::default()
        };
        Item::create(kind, &changes, Currency::USD, d("2026-11-30"), "2026-11-30T00:00:00Z".parse().unwrap()).unwrap().0
    }

    #[test]
    fn totals_convert_and_group_by_category() {
        use BillingPeriod::*;
        let mut cancelled = item(Kind::Hosting, "500", "USD", Monthly);
        cancelled.status = ManualStatus::Cancelled;
        let items = [
            item(Kind::Domain, "12", "USD", Yearly),
            item(Kind::Domain, "800", "THB", Yearly),
            item(Kind::Hosting, "60", "USD", Monthly),
            item(Kind::AiProvider, "20", "EUR", Monthly),
            item(Kind::Package, "99", "USD", OneTime),
            item(Kind::Other, "10", "GBP", Monthly),
            cancelled,
        ];
        let rates = RateBook::new(vec![ExchangeRate {
            base: c("USD"),
            quote: c("THB"),
            rate: dec("32"),
            date: d("2026-01-01"),
        }]);
        let totals = monthly_totals(&items, c("USD"), &rates, d("2026-11-30"), 30);
        let shown: Vec<(&str, String)> = totals.by_category.iter().map(|(c, m)| (c.as_str(), m.to_string())).collect();
        assert_eq!(
            shown,
            [
                ("infrastructure", "63.08 USD".to_string()), // 1 + 800/32/12 + 60
                ("ai_services", "0.00 USD".to_string()),     // EUR has no rate
                ("third_party", "0.00 USD".to_string()),
                ("packages", "0.00 USD".to_string()), // one-time: not monthly
                ("other", "0.00 USD".to_string()),
            ]
        );
        assert_eq!(totals.monthly.to_string(), "63.08 USD");
        let missing: Vec<String> = totals.missing_rates.iter().map(|m| format!("{}->{}", m.from, m.to)).collect();
        assert_eq!(missing, ["EUR->USD", "GBP->USD"]);
        assert_eq!(totals.items_left_out, 2);
    }
}
