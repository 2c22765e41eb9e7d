//! The Jarvis report: an explainable health score, recommendations ranked by what they save, and
//! the risks behind the critical alerts.
//!
//! The score is built from named components, each 100 minus deductions that cite the fact behind
//! them. A component with nothing to judge is unknown, not zero: its weight is shared out among
//! the known ones. Website health is unknown until a monitored site has been checked.

use rust_decimal::Decimal;
use serde::Serialize;

use super::alerts::{Alert, AlertKind, BudgetCheck, Severity, check_budgets, scope_amount};
use super::dashboard::{AlertCounts, provider_of};
use super::spend::Spend;
use super::{ItemTag, Ledger, Text, text};
use crate::domain::budget::BudgetScope;
use crate::domain::choice::choice_enum;
use crate::domain::item::{BillingPeriod, Details, Item, Kind, ManualStatus, PricingModel, Status};
use crate::domain::money::{Currency, Money};

choice_enum! {
    /// The parts of the health score.
    pub enum ComponentId as "component" {
        CostControl = "cost_control",
        RenewalRisk = "renewal_risk",
        ServiceHealth = "service_health",
        Efficiency = "efficiency",
        WebsiteHealth = "website_health",
    }
}

impl ComponentId {
    /// The component's weight before unknown components share theirs out.
    pub fn weight(self) -> u32 {
        match self {
            ComponentId::CostControl => 30,
            ComponentId::RenewalRisk => 25,
            ComponentId::ServiceHealth => 25,
            ComponentId::Efficiency => 20,
            ComponentId::WebsiteHealth => 20,
        }
    }
}

choice_enum! {
    /// Where a score lands: 90 and up healthy, 50 to 89 needs attention, under 50 critical.
    pub enum Band as "band" {
        Healthy = "healthy",
        NeedsAttention = "needs_attention",
        Critical = "critical",
    }
}

impl Band {
    pub fn of(score: u32) -> Band {
        match score {
            90.. => Band::Healthy,
            50..=89 => Band::NeedsAttention,
            _ => Band::Critical,
        }
    }
}

/// Points taken off a component, and why.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, utoipa::ToSchema)]
pub struct Deduction {
    pub points: u32,
    pub because: Text,
}

/// One part of the health score.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, utoipa::ToSchema)]
pub struct Component {
    pub id: ComponentId,
    /// Its nominal weight.
    pub weight: u32,
    /// Its share of the score in percent, once unknown components' weight is shared out (0 when
    /// unknown).
    pub effective_weight: Decimal,
    /// 0-100; `None` when there is nothing to judge it on.
    pub score: Option<u32>,
    /// The raw figures it looked at.
    pub inputs: Vec<Text>,
    pub deductions: Vec<Deduction>,
    /// Why it is unknown.
    pub unknown: Option<Text>,
}

/// The overall health.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `None` when every component is unknown (an empty workspace).
    pub score: Option<u32>,
    pub band: Option<Band>,
    pub components: Vec<Component>,
    /// Why the score was held below what the components add up to (a critical alert keeps it
    /// out of "healthy").
    pub caps: Vec<Text>,
}

/// Highest score while any alert is critical.
pub const CRITICAL_CAP: u32 = 89;

choice_enum! {
    /// What a recommendation suggests.
    pub enum RecommendationKind as "recommendation" {
        Unused = "unused",
        DuplicateAi = "duplicate_ai",
        SwitchToPlan = "switch_to_plan",
        SwitchToYearly = "switch_to_yearly",
        DomainAutoRenew = "domain_auto_renew",
        OverBudget = "over_budget",
    }
}

/// A suggestion, with its estimated monthly saving and the arithmetic behind it.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, utoipa::ToSchema)]
pub struct Recommendation {
    pub kind: RecommendationKind,
    pub item: Option<ItemTag>,
    pub title: Text,
    pub arithmetic: Text,
    /// Estimated saving per month in the base currency (zero for risk-only suggestions).
    pub monthly_savings: Money,
}

/// A critical alert, explained.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, utoipa::ToSchema)]
pub struct Risk {
    pub alert: Alert,
}

/// The Jarvis report.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, utoipa::ToSchema)]
pub struct Report {
    pub today: chrono::NaiveDate,
    pub base_currency: Currency,
    pub health: Health,
    /// Ranked by monthly savings, largest first.
    pub recommendations: Vec<Recommendation>,
    pub total_monthly_savings: Money,
    /// The critical alerts.
    pub risks: Vec<Alert>,
    pub alert_counts: AlertCounts,
    pub budgets: Vec<BudgetCheck>,
    /// AI providers fed by their cost APIs or the usage push (filled by the app layer).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ai_providers: Vec<super::dashboard::AiLine>,
}

fn money(amount: Decimal, currency: Currency) -> String {
    Money::new(amount, currency).to_string()
}

/// The report from the ledger, its spend and its alerts.
pub fn report(ledger: &Ledger, spend: &Spend, alerts: &[Alert]) -> Report {
    let base = ledger.settings.base_currency;
    let budgets: Vec<BudgetCheck> = check_budgets(ledger, spend).into_iter().filter_map(Result::ok).collect();
    let recommendations = recommendations(ledger, spend, &budgets);
    let total_monthly_savings =
        Money::new(recommendations.iter().filter(|r| adds_up(r)).map(|r| r.monthly_savings.amount).sum(), base);
    let health = health(ledger, spend, alerts, &budgets, &recommendations);
    Report {
        today: ledger.today,
        base_currency: base,
        health,
        recommendations,
        total_monthly_savings,
        risks: alerts.iter().filter(|a| a.severity == Severity::Critical).cloned().collect(),
        alert_counts: AlertCounts::of(alerts),
        budgets,
        ai_providers: Vec::new(),
    }
}

fn component(id: ComponentId, inputs: Vec<Text>, deductions: Vec<Deduction>, unknown: Option<Text>) -> Component {
    let lost: u32 = deductions.iter().map(|d| d.points).sum();
    Component {
        id,
        weight: id.weight(),
        effective_weight: Decimal::ZERO,
        score: unknown.is_none().then(|| 100u32.saturating_sub(lost)),
        inputs,
        deductions,
        unknown,
    }
}

fn deduct(points: u32, because: Text) -> Deduction {
    Deduction { points, because }
}

fn health(
    ledger: &Ledger,
    spend: &Spend,
    alerts: &[Alert],
    budgets: &[BudgetCheck],
    recommendations: &[Recommendation],
) -> Health {
    fn of_kind<'a>(alerts: &'a [Alert], kinds: &'a [AlertKind]) -> impl Iterator<Item = &'a Alert> {
        alerts.iter().filter(move |a| kinds.contains(&a.kind))
    }
    let cited = |a: &Alert| a.title.clone();

    // Cost control: budgets and unusual spend.
    let mut deductions = Vec::new();
    for check in budgets {
        let scope = check.scope;
        match (check.spent_crossed, check.forecast_crossed) {
            (Some(t), _) if t >= 100 => deductions.push(deduct(
                40,
                text!("deduction.budget.over", scope = scope, spent = check.spent, budget = check.budget),
            )),
            (_, Some(t)) if t >= 100 => deductions.push(deduct(
                20,
                text!("deduction.budget.forecast", scope = scope, forecast = check.forecast, budget = check.budget),
            )),
            (Some(_), _) => deductions.push(deduct(
                10,
                text!("deduction.budget.near", scope = scope, spent = check.spent, budget = check.budget),
            )),
            _ => {}
        }
    }
    for alert in of_kind(alerts, &[AlertKind::UnusualSpend]) {
        deductions.push(deduct(15, cited(alert)));
    }
    let unusual = of_kind(alerts, &[AlertKind::UnusualSpend]).count();
    let judged = !budgets.is_empty() || spend.history().len() >= super::alerts::UNUSUAL_MIN_MONTHS;
    let cost_control = component(
        ComponentId::CostControl,
        vec![
            text!("input.budgets", count = budgets.len()),
            text!("input.history_months", count = spend.history().len()),
            text!("input.unusual", count = unusual),
        ],
        deductions,
        (!judged).then(|| text!("unknown.cost_control")),
    );

    // Renewal risk: expired items and renewals that will not happen by themselves.
    let today = ledger.today;
    // Items with a date that matters: billable ones with a renewal date, and ones that lapsed.
    // (A usage item's billing date is a bill, not a renewal to decide on.)
    let dated: Vec<&Item> = ledger
        .live_items()
        .filter(|i| i.renewal.is_some() && i.status == ManualStatus::Active && !i.period.bills_in_arrears())
        .filter(|i| i.status(today, 0).is_billable() || i.status(today, 0) == Status::Expired)
        .collect();
    let manual = dated.iter().filter(|i| !i.auto_renew).count();
    let mut deductions = Vec::new();
    for alert in of_kind(alerts, &[AlertKind::Expired]) {
        deductions.push(deduct(30, cited(alert)));
    }
    for item in dated.iter().filter(|i| !i.auto_renew && i.status(today, 0).is_billable()) {
        let Some(date) = item.next_renewal(today) else { continue };
        let days = (date - today).num_days();
        let points = match days {
            0..=7 => 20,
            8..=30 => 10,
            _ => continue,
        };
        deductions.push(deduct(
            points,
            text!("deduction.renewal.manual", item = item.name.as_str(), date = date, days = days),
        ));
    }
    let renewal_risk = component(
        ComponentId::RenewalRisk,
        vec![text!("input.dated_items", count = dated.len()), text!("input.manual_renewals", count = manual)],
        deductions,
        dated.is_empty().then(|| text!("unknown.renewal_risk")),
    );

    // Service health: API keys, integrations, free tiers and usage limits.
    let services: Vec<&Item> = ledger
        .live_items()
        .filter(|i| matches!(i.kind(), Kind::AiProvider | Kind::Integration) || i.usage.is_some())
        .collect();
    let mut deductions = Vec::new();
    for alert in
        of_kind(alerts, &[AlertKind::ApiKey, AlertKind::Integration, AlertKind::FreeTier, AlertKind::UsageLimit])
    {
        let points = match (alert.kind, alert.severity) {
            (_, Severity::Info) => continue,
            (AlertKind::ApiKey, _) => 30,
            (AlertKind::Integration, Severity::Critical) => 30,
            (AlertKind::Integration, _) => 20,
            (AlertKind::FreeTier, Severity::Critical) => 25,
            (AlertKind::FreeTier, _) if alert.key.ends_with(":100") => 10,
            (AlertKind::FreeTier, _) => 5,
            (AlertKind::UsageLimit, Severity::Critical) => 25,
            _ => 10,
        };
        deductions.push(deduct(points, cited(alert)));
    }
    let service_health = component(
        ComponentId::ServiceHealth,
        vec![text!("input.services", count = services.len())],
        deductions,
        services.is_empty().then(|| text!("unknown.service_health")),
    );

    // Efficiency: what the recommendations would save, against the monthly total (over-budget
    // overages are cost control's business).
    let base = ledger.settings.base_currency;
    let total = super::summary_total(ledger);
    let mut deductions = Vec::new();
    if !total.is_zero() {
        for rec in recommendations.iter().filter(|r| adds_up(r)) {
            // Two points per percent of the monthly total it would save.
            let share =
                (rec.monthly_savings.amount * Decimal::from(200)).checked_div(total).unwrap_or(Decimal::ONE_HUNDRED);
            let points = share.min(Decimal::ONE_HUNDRED).round().to_string().parse::<u32>().unwrap_or(100).max(1);
            deductions.push(deduct(points, rec.title.clone()));
        }
    }
    let savings: Decimal = recommendations.iter().filter(|r| adds_up(r)).map(|r| r.monthly_savings.amount).sum();
    let efficiency = component(
        ComponentId::Efficiency,
        vec![
            text!("input.monthly_total", amount = money(total, base)),
            text!("input.savings", amount = money(savings, base)),
        ],
        deductions,
        total.is_zero().then(|| text!("unknown.efficiency")),
    );

    let website = match super::website::website_deductions(&super::website::sites_health(ledger)) {
        Some(super::website::WebsiteScore { inputs, deductions: lost }) => component(
            ComponentId::WebsiteHealth,
            inputs,
            lost.into_iter().map(|(points, because)| deduct(points, because)).collect(),
            None,
        ),
        None => component(ComponentId::WebsiteHealth, Vec::new(), Vec::new(), Some(text!("unknown.website_health"))),
    };

    let mut components = vec![cost_control, renewal_risk, service_health, efficiency, website];
    let known: u32 = components.iter().filter(|c| c.score.is_some()).map(|c| c.weight).sum();
    let mut weighted = Decimal::ZERO;
    for c in &mut components {
        if let Some(score) = c.score {
            c.effective_weight = (Decimal::from(c.weight * 100) / Decimal::from(known)).round_dp(1);
            weighted += Decimal::from(score * c.weight);
        }
    }
    let mut score = (known > 0).then(|| {
        let value = (weighted / Decimal::from(known)).round();
        value.to_string().parse::<u32>().unwrap_or(0)
    });
    let mut caps = Vec::new();
    let critical = alerts.iter().filter(|a| a.severity == Severity::Critical).count();
    if let Some(value) = score.filter(|s| *s > CRITICAL_CAP && critical > 0) {
        caps.push(text!("cap.critical", from = value, to = CRITICAL_CAP, count = critical));
        score = Some(CRITICAL_CAP);
    }
    Health { score, band: score.map(Band::of), components, caps }
}

fn recommendations(ledger: &Ledger, spend: &Spend, budgets: &[BudgetCheck]) -> Vec<Recommendation> {
    let today = ledger.today;
    let base = ledger.settings.base_currency;
    let to_base = |m: Money| ledger.rates.convert(m, base, today).ok();
    let billable: Vec<&Item> = ledger.live_items().filter(|i| i.status(today, 0).is_billable()).collect();
    let mut found = Vec::new();

    // Paid items whose meter, read a week or more into the cycle, shows nothing used. (A meter
    // nobody has read this cycle says nothing.)
    for item in &billable {
        let Some(usage) = &item.usage else { continue };
        let cycle = item.cycle(today);
        let Some(read_on) = usage.read_on.filter(|_| item.read_this_cycle(today)) else { continue };
        let since = cycle.start.max(item.billed_from);
        let elapsed = (read_on - since).num_days() + 1;
        let Some(monthly) = to_base(ledger.run_rates.of(item).monthly) else { continue };
        if usage.used.is_zero() && elapsed >= 7 && !monthly.amount.is_zero() {
            found.push(Recommendation {
                kind: RecommendationKind::Unused,
                item: Some(ItemTag::of(item)),
                title: text!("rec.unused.title", item = item.name.as_str()),
                arithmetic: text!(
                    "rec.unused.arithmetic",
                    item = item.name.as_str(),
                    unit = usage.unit.as_str(),
                    days = elapsed,
                    since = since,
                    monthly = monthly
                ),
                monthly_savings: monthly,
            });
        }
    }

    // Two or more paid AI providers for the same kind of service. Keeping one saves at least
    // the fixed fee of the one with the smallest fee (its usage would move to the one kept, so
    // only the fee counts as saved); when all are paid per use there is no fee to save.
    let mut by_service: std::collections::BTreeMap<String, Vec<(&Item, Money, Decimal)>> = Default::default();
    for item in &billable {
        if let Details::AiProvider { service_type, pricing_model, .. } = &item.details
            && *pricing_model != PricingModel::Free
            && let Some(monthly) = to_base(ledger.run_rates.of(item).monthly).filter(|m| !m.amount.is_zero())
            && let Some(fee) = to_base(item.fixed_monthly_fee())
        {
            by_service.entry(service_type.as_str().to_string()).or_default().push((item, monthly, fee.amount));
        }
    }
    for (service, mut providers) in by_service.into_iter().filter(|(_, p)| p.len() >= 2) {
        providers.sort_by(|a, b| a.1.amount.cmp(&b.1.amount).then_with(|| a.0.name.as_str().cmp(b.0.name.as_str())));
        let with_fee = providers.iter().filter(|p| !p.2.is_zero()).min_by(|a, b| a.2.cmp(&b.2));
        let (dropped, saving) = match with_fee {
            Some((item, _, fee)) => (*item, Money::new(*fee, base)),
            None => (providers[0].0, Money::zero(base)),
        };
        let mut listed: Vec<String> = providers.iter().take(5).map(|(i, m, _)| format!("{} {}", i.name, m)).collect();
        if providers.len() > 5 {
            listed.push(format!("+{}", providers.len() - 5));
        }
        found.push(Recommendation {
            kind: RecommendationKind::DuplicateAi,
            item: Some(ItemTag::of(dropped)),
            title: text!("rec.duplicate_ai.title", service = service, count = providers.len()),
            arithmetic: text!(
                "rec.duplicate_ai.arithmetic",
                service = service,
                providers = listed.join(", "),
                cheapest = dropped.name.as_str(),
                saving = saving,
                fee = if saving.amount.is_zero() { "" } else { "yes" }
            ),
            monthly_savings: saving,
        });
    }

    // Pay-per-use whose run-rate is more than the flat plan would cost a month.
    for item in &billable {
        let (Some(plan), BillingPeriod::UsageBased) = (item.plan_price, item.period) else { continue };
        let Some(plan) = to_base(Money::new(plan, item.cost.currency)) else { continue };
        let Some(pace) = to_base(ledger.run_rates.of(item).monthly) else { continue };
        if pace.amount > plan.amount {
            let saving = Money::new(pace.amount - plan.amount, base);
            found.push(Recommendation {
                kind: RecommendationKind::SwitchToPlan,
                item: Some(ItemTag::of(item)),
                title: text!("rec.switch_to_plan.title", item = item.name.as_str()),
                arithmetic: text!("rec.switch_to_plan.arithmetic", pace = pace, plan = plan, saving = saving),
                monthly_savings: saving,
            });
        }
    }

    // Billed monthly or quarterly where a cheaper yearly price is recorded.
    for item in &billable {
        let (Some(yearly), Some(months)) = (item.yearly_price, item.period.months()) else { continue };
        let cycles = Decimal::from(12 / months);
        let per_year = item.cost.amount * cycles;
        if per_year <= yearly {
            continue;
        }
        let currency = item.cost.currency;
        let Some(saving) = to_base(Money::new((per_year - yearly) / Decimal::from(12), currency)) else { continue };
        found.push(Recommendation {
            kind: RecommendationKind::SwitchToYearly,
            item: Some(ItemTag::of(item)),
            title: text!("rec.switch_to_yearly.title", item = item.name.as_str()),
            arithmetic: text!(
                "rec.switch_to_yearly.arithmetic",
                cycles = cycles,
                price = money(item.cost.amount, currency),
                per_year = money(per_year, currency),
                yearly = money(yearly, currency),
                saving_year = money(per_year - yearly, currency),
                saving = saving
            ),
            monthly_savings: saving,
        });
    }

    // Domains that lapse soon unless someone renews them.
    for item in billable.iter().filter(|i| i.kind() == Kind::Domain && !i.auto_renew) {
        let Some(date) = item.next_renewal(today) else { continue };
        let days = (date - today).num_days();
        if days <= i64::from(ledger.settings.expiring_window_days) {
            found.push(Recommendation {
                kind: RecommendationKind::DomainAutoRenew,
                item: Some(ItemTag::of(item)),
                title: text!("rec.domain_auto_renew.title", item = item.name.as_str()),
                arithmetic: text!(
                    "rec.domain_auto_renew.arithmetic",
                    item = item.name.as_str(),
                    date = date,
                    days = days,
                    registrar = provider_of(item)
                ),
                monthly_savings: Money::zero(base),
            });
        }
    }

    // Over budget (or forecast to be): the biggest contributors this month.
    for check in budgets
        .iter()
        .filter(|c| c.forecast_crossed.is_some_and(|t| t >= 100) || c.spent_crossed.is_some_and(|t| t >= 100))
    {
        if check.budget.amount.is_zero() && check.forecast.amount.is_zero() {
            continue;
        }
        let over =
            Money::new((check.forecast.amount.max(check.spent.amount) - check.budget.amount).max(Decimal::ZERO), base);
        let mut contributors: Vec<(&Item, Decimal)> = ledger
            .items
            .iter()
            .filter(|i| match check.scope {
                BudgetScope::Total => true,
                BudgetScope::Category(c) => i.category() == c,
            })
            .map(|i| (i, spend.current.projected.item(i.id)))
            .filter(|(_, amount)| !amount.is_zero())
            .collect();
        contributors.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.name.as_str().cmp(b.0.name.as_str())));
        let top: Vec<String> =
            contributors.iter().take(3).map(|(i, a)| format!("{} {}", i.name, money(*a, base))).collect();
        found.push(Recommendation {
            kind: RecommendationKind::OverBudget,
            item: None,
            title: text!("rec.over_budget.title", scope = check.scope, over = over),
            arithmetic: text!(
                "rec.over_budget.arithmetic",
                scope = check.scope,
                forecast = check.forecast,
                budget = check.budget,
                over = over,
                top = top.join(", "),
                amount = money(scope_amount(&spend.current.projected, check.scope), base)
            ),
            monthly_savings: over,
        });
    }

    found.sort_by(|a, b| b.monthly_savings.amount.cmp(&a.monthly_savings.amount).then_with(|| a.kind.cmp(&b.kind)));
    // One saving per item: a smaller suggestion for an item already credited (dropping a duplicate
    // provider that is unused anyway) would count the same money twice.
    let mut credited = std::collections::HashSet::new();
    found.retain(|r| match (&r.item, r.monthly_savings.amount.is_zero()) {
        (Some(tag), false) => credited.insert(tag.id),
        _ => true,
    });
    found
}

/// Whether a recommendation's saving adds to the possible savings: over-budget ones say how much
/// to cut, which the others may already explain, so they are not added.
fn adds_up(recommendation: &Recommendation) -> bool {
    recommendation.kind != RecommendationKind::OverBudget && !recommendation.monthly_savings.amount.is_zero()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::alerts::alerts;
    use crate::analysis::spend::spend;
    use crate::analysis::testing::Fixture;
    use crate::domain::item::{ItemChanges, ServiceType};
    use crate::domain::testing::{d, dec};
    use crate::domain::text::{ItemName, Label};

    fn report_of(f: &mut Fixture) -> Report {
        let ledger = f.ledger();
        let spend = spend(&ledger, 13);
        let found = alerts(&ledger, &spend);
        report(&ledger, &spend, &found)
    }

    fn savings(report: &Report) -> Vec<(RecommendationKind, String)> {
        report.recommendations.iter().map(|r| (r.kind, r.monthly_savings.format_amount())).collect()
    }

    fn ai(name: &str, cost: &str, service: ServiceType) -> ItemChanges {
        ItemChanges {
            name: Some(ItemName::parse(name).unwrap()),
            cost: Some(dec(cost)),
            service_type: Some(service),
            ..Default::default()
        }
    }

    #[test]
    fn recommendations_are_ranked_by_what_they_save_with_their_arithmetic() {
        let mut f = Fixture::new("2026-03-10");
        // 30 a month, or 300 a year billed yearly: (12 x 30 - 300) / 12 = 5.00 a month.
        let github = f.add("package", "GitHub", "30", "monthly", Some("2026-04-01"), true);
        f.item(github).yearly_price = Some(dec("300"));
        // Two text AI subscriptions: dropping the cheaper saves its 20.00 fee.
        f.add_with("ai_provider", ai("OpenAI", "60", ServiceType::Text));
        f.add_with("ai_provider", ai("Mistral", "20", ServiceType::Text));
        // An image AI alone: nothing to consolidate.
        f.add_with("ai_provider", ai("Midjourney", "10", ServiceType::Image));
        // A paid meter with nothing used 9 days into its cycle (from 2026-03-01): 25.00.
        let vector = f.add_with(
            "integration",
            ItemChanges {
                name: Some(ItemName::parse("Pinecone").unwrap()),
                cost: Some(dec("25")),
                unit: Some(Label::parse("unit", "query").unwrap()),
                usage: Some(dec("0")),
                ..Default::default()
            },
        );
        f.item(vector).billed_from = d("2026-03-01");
        // A domain without auto-renew expiring in 20 days: a risk, not a saving.
        f.add("domain", "acme.dev", "12", "yearly", Some("2026-03-30"), false);
        let report = report_of(&mut f);
        assert_eq!(
            savings(&report),
            [
                (RecommendationKind::Unused, "25.00".to_string()),
                (RecommendationKind::DuplicateAi, "20.00".to_string()),
                (RecommendationKind::SwitchToYearly, "5.00".to_string()),
                (RecommendationKind::DomainAutoRenew, "0.00".to_string()),
            ]
        );
        let yearly = &report.recommendations[2].arithmetic;
        assert_eq!(yearly.args["per_year"], "360.00 USD");
        assert_eq!(yearly.args["saving_year"], "60.00 USD");
        assert_eq!(report.total_monthly_savings.rounded(), dec("50.00"));
        // Efficiency: the monthly total is 30 + 60 + 20 + 10 + 25 + 1 = 146.00; each
        // recommendation costs 2 points per percent of it that it would save.
        let efficiency = &report.health.components[3];
        let points: Vec<u32> = efficiency.deductions.iter().map(|d| d.points).collect();
        assert_eq!(points, [34, 27, 7]); // 25/146 x 200 = 34.2, 20/146 x 200 = 27.4, 5/146 x 200 = 6.8
        assert_eq!(efficiency.score, Some(32));
    }

    #[test]
    fn pay_per_use_above_its_plan_price_suggests_the_plan() {
        let mut f = Fixture::new("2026-03-10");
        let changes = ItemChanges {
            name: Some(ItemName::parse("Replicate").unwrap()),
            unit_price: Some(Some(dec("0.5"))),
            usage: Some(dec("60")),
            period: Some(BillingPeriod::UsageBased),
            plan_price: Some(Some(dec("50"))),
            service_type: Some(ServiceType::Image),
            ..Default::default()
        };
        let id = f.add_with("ai_provider", changes);
        f.item(id).billed_from = d("2026-03-01");
        // 60 x 0.50 = 30.00 in 10 days: on pace for 93.00 in March, against a 50.00 plan.
        let report = report_of(&mut f);
        assert_eq!(savings(&report), [(RecommendationKind::SwitchToPlan, "43.00".to_string())]);
        // On pace for less than the plan: no suggestion.
        f.item(id).usage.as_mut().unwrap().used = dec("10");
        assert_eq!(savings(&report_of(&mut f)), []);
    }

    #[test]
    fn unknown_components_share_out_their_weight_and_critical_alerts_cap_the_score() {
        // Only a domain that expired: renewal risk is known (70 after the 30-point deduction),
        // nothing else is, so it carries all the weight; the critical alert keeps it under 90.
        let mut f = Fixture::new("2026-03-10");
        f.add("domain", "acme.dev", "0", "yearly", Some("2026-03-01"), false);
        let health = report_of(&mut f).health;
        let known: Vec<(ComponentId, Option<u32>, String)> =
            health.components.iter().map(|c| (c.id, c.score, c.effective_weight.to_string())).collect();
        assert_eq!(
            known,
            [
                (ComponentId::CostControl, None, "0".to_string()),
                (ComponentId::RenewalRisk, Some(70), "100".to_string()),
                (ComponentId::ServiceHealth, None, "0".to_string()),
                (ComponentId::Efficiency, None, "0".to_string()),
                (ComponentId::WebsiteHealth, None, "0".to_string()),
            ]
        );
        assert_eq!((health.score, health.band), (Some(70), Some(Band::NeedsAttention)));
        assert!(health.caps.is_empty());
        assert_eq!(health.components[1].deductions[0].because.id, "alert.expired.title");

        // A healthy workspace with one critical alert (a domain to renew by hand in 20 days):
        // renewal risk 90 (-10), efficiency 100: (90 x 25 + 100 x 20) / 45 = 94, held at 89.
        let mut f = Fixture::new("2026-03-10");
        f.add("hosting", "web", "10", "monthly", None, false);
        f.add("domain", "acme.dev", "12", "yearly", Some("2026-03-30"), false);
        let health = report_of(&mut f).health;
        assert_eq!((health.score, health.band), (Some(CRITICAL_CAP), Some(Band::NeedsAttention)));
        assert_eq!(health.caps[0].args["from"], "94");
        // Renewed (auto-renew on): nothing critical, the score stands.
        f.item(2).auto_renew = true;
        let health = report_of(&mut f).health;
        assert_eq!((health.score, health.band, health.caps.len()), (Some(100), Some(Band::Healthy), 0));
    }

    #[test]
    fn over_budget_names_the_biggest_contributors() {
        let mut f = Fixture::new("2026-03-10");
        f.add("hosting", "web", "310", "monthly", None, false);
        f.add("hosting", "db", "62", "monthly", None, false);
        for id in [1, 2] {
            f.item(id).billed_from = d("2026-03-01");
        }
        f.budget("infrastructure", "300");
        let report = report_of(&mut f);
        let over = report.recommendations.iter().find(|r| r.kind == RecommendationKind::OverBudget).unwrap();
        // Forecast 372.00 against 300.00: 72.00 over.
        assert_eq!(over.monthly_savings.rounded(), dec("72.00"));
        assert_eq!(over.arithmetic.args["top"], "web 310.00 USD, db 62.00 USD");
    }

    #[test]
    fn the_same_money_is_not_counted_twice() {
        // Mistral is both unused and the cheaper of two text providers; AI services are over a
        // 50.00 budget. The saving counts once, and the overage (what to cut) is not added.
        let mut f = Fixture::new("2026-03-20");
        let openai = f.add_with("ai_provider", ai("OpenAI", "60", ServiceType::Text));
        f.item(openai).billed_from = d("2026-03-01");
        let mistral = f.add_with(
            "ai_provider",
            ItemChanges {
                unit: Some(Label::parse("unit", "request").unwrap()),
                usage: Some(dec("0")),
                ..ai("Mistral", "20", ServiceType::Text)
            },
        );
        f.item(mistral).billed_from = d("2026-03-01");
        f.budget("ai_services", "50");
        let report = report_of(&mut f);
        assert_eq!(
            savings(&report),
            [(RecommendationKind::OverBudget, "30.00".to_string()), (RecommendationKind::Unused, "20.00".to_string())]
        );
        assert_eq!(report.total_monthly_savings.format_amount(), "20.00");
    }

    #[test]
    fn an_unread_meter_is_not_called_unused() {
        let mut f = Fixture::new("2026-03-20");
        let id = f.add_with(
            "integration",
            ItemChanges {
                name: Some(ItemName::parse("Supabase").unwrap()),
                cost: Some(dec("25")),
                unit: Some(Label::parse("unit", "GB").unwrap()),
                usage_limit: Some(Some(dec("8"))),
                ..Default::default()
            },
        );
        f.item(id).billed_from = d("2026-03-01");
        assert_eq!(savings(&report_of(&mut f)), []);
        // Read as 0 on the 3rd: too early in the cycle to call it unused.
        f.item(id).usage.as_mut().unwrap().read_on = Some(d("2026-03-03"));
        assert_eq!(savings(&report_of(&mut f)), []);
        f.item(id).usage.as_mut().unwrap().read_on = Some(d("2026-03-08"));
        assert_eq!(savings(&report_of(&mut f)), [(RecommendationKind::Unused, "25.00".to_string())]);
    }
}
