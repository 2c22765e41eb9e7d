//! A small workspace built in code, for the analysis tests.

use std::collections::HashMap;

use crate::analysis::{CostLine, Ledger, Settled, settle_all};
use crate::domain::budget::{Budget, BudgetScope, Thresholds};
use crate::domain::calendar::{DateRange, Month};
use crate::domain::cost::CostSource;
use crate::domain::item::{Item, ItemChanges, Kind, Renewal};
use crate::domain::money::{Currency, Money};
use crate::domain::rates::{ExchangeRate, RateBook};
use crate::domain::rollup::{self, ItemRollups, RollupRecord};
use crate::domain::summary::RunRates;
use crate::domain::testing::{c, d, dec};
use crate::domain::text::ItemName;
use crate::domain::workspace::Settings;

pub struct Fixture {
    pub today: chrono::NaiveDate,
    pub settings: Settings,
    pub items: Vec<Item>,
    pub history: Vec<CostLine>,
    pub rates: Vec<ExchangeRate>,
    pub budgets: Vec<Budget>,
    pub web: super::website::Web,
    settled: Settled,
    rollups: HashMap<i64, ItemRollups>,
    rate_book: RateBook,
    run_rates: Option<RunRates>,
}

/// A cost record of `amount` (in USD unless it has a currency: `"800 THB"`) over `from..=to`.
pub fn line(item_id: i64, amount: &str, from: &str, to: &str) -> CostLine {
    let (value, currency) = amount.split_once(' ').unwrap_or((amount, "USD"));
    CostLine {
        item_id,
        amount: Money::new(dec(value), c(currency)),
        period: DateRange::new(d(from), d(to)).unwrap(),
        source: CostSource::Manual,
    }
}

impl Fixture {
    pub fn new(today: &str) -> Fixture {
        Fixture {
            web: Default::default(),
            today: d(today),
            settings: Settings::default(),
            items: Vec::new(),
            history: Vec::new(),
            rates: Vec::new(),
            budgets: Vec::new(),
            settled: Settled::default(),
            rollups: HashMap::new(),
            rate_book: RateBook::default(),
            run_rates: None,
        }
    }

    /// Adds an item billed from today (amounts in USD unless `cost` says `"800 THB"`); returns its id.
    pub fn add(
        &mut self,
        kind: &str,
        name: &str,
        cost: &str,
        period: &str,
        renews: Option<&str>,
        auto_renew: bool,
    ) -> i64 {
        let (value, currency) = cost.split_once(' ').unwrap_or((cost, "USD"));
        let kind: Kind = kind.parse().unwrap();
        let changes = ItemChanges {
            name: Some(ItemName::parse(name).unwrap()),
            cost: Some(dec(value)),
            currency: Some(c(currency)),
            period: Some(period.parse().unwrap()),
            ..Default::default()
        };
        let now = self.today.and_hms_opt(12, 0, 0).unwrap().and_utc();
        let (mut item, _) = Item::create(kind, &changes, Currency::USD, self.today, now).unwrap();
        item.id = self.items.len() as i64 + 1;
        if let Some(date) = renews {
            item.renewal = Some(Renewal::on(d(date)));
        }
        item.auto_renew = auto_renew || item.auto_renew;
        self.items.push(item);
        self.items.len() as i64
    }

    /// Adds an item built from `changes` (for usage meters and details).
    pub fn add_with(&mut self, kind: &str, changes: ItemChanges) -> i64 {
        let now = self.today.and_hms_opt(12, 0, 0).unwrap().and_utc();
        let (mut item, _) = Item::create(kind.parse().unwrap(), &changes, Currency::USD, self.today, now).unwrap();
        item.id = self.items.len() as i64 + 1;
        self.items.push(item);
        self.items.len() as i64
    }

    pub fn item(&mut self, id: i64) -> &mut Item {
        &mut self.items[id as usize - 1]
    }

    pub fn rate(&mut self, base: &str, quote: &str, rate: &str, date: &str) {
        self.rates.push(ExchangeRate { base: c(base), quote: c(quote), rate: dec(rate), date: d(date) });
    }

    pub fn budget(&mut self, scope: &str, amount: &str) {
        self.budgets.push(Budget {
            scope: scope.parse::<BudgetScope>().unwrap(),
            amount: Money::new(dec(amount), self.settings.base_currency),
            thresholds: Thresholds::default(),
        });
    }

    /// The ledger over what was added, settled as the app does: the history's lines (live
    /// records) rolled up by month, as the store keeps them.
    pub fn ledger(&mut self) -> Ledger<'_> {
        self.rollups.clear();
        let mut by_item: HashMap<i64, Vec<RollupRecord>> = HashMap::new();
        for l in &self.history {
            by_item.entry(l.item_id).or_default().push(RollupRecord { amount: l.amount, period: l.period, live: true });
        }
        let all = (Month::new(2000, 1).unwrap(), Month::new(2100, 12).unwrap());
        for (item, records) in by_item {
            self.rollups.insert(item, rollup::build(records, all));
        }
        let everything =
            DateRange::new(Month::new(2000, 1).unwrap().first_day(), Month::new(2100, 12).unwrap().last_day()).unwrap();
        let covered = super::covered_days(&self.rollups, everything);
        let window_start = Month::of(self.today).plus(-24).first_day();
        self.settled = settle_all(self.items.clone(), self.today, &covered, window_start);
        self.rate_book = RateBook::new(self.rates.clone());
        self.run_rates = Some(super::run_rates(
            &self.settled.items,
            &self.rollups,
            &self.settled.pending,
            &self.rate_book,
            self.today,
        ));
        Ledger {
            today: self.today,
            settings: &self.settings,
            items: &self.settled.items,
            rollups: &self.rollups,
            pending: &self.settled.pending,
            rates: &self.rate_book,
            budgets: &self.budgets,
            web: &self.web,
            run_rates: self.run_rates.as_ref().expect("just set"),
        }
    }
}
