//! Terminal rendering of view models: plain tables for humans. (JSON is serde's job.)

use std::fmt::Write as _;

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, CellAlignment, ContentArrangement, Table};

use crate::analysis::Text;
use crate::analysis::alerts::missing_rate_text;
use crate::app::views::{
    AuditLog, CostHistory, CostView, ItemChanged, ItemDetail, ItemList, ItemView, RateView, SettingsView, TypedMoney,
};
use crate::app::{BudgetList, BudgetView, Exported, ItemFilter, JobReport, Restored, SeedProgress, SeedSummary};
use crate::domain::item::BillingPeriod;
use crate::domain::money::format_quantity;
use crate::domain::page::{Noun, PageInfo};
use crate::domain::workspace::{Language, LeadTimes};
use crate::render::{Flavor, Renderer};
use rust_decimal::Decimal;

fn table(header: &[&str]) -> Table {
    let mut table = Table::new();
    table.load_style(UTF8_FULL_CONDENSED).set_content_arrangement(ContentArrangement::Dynamic);
    table.set_header(header.iter().map(Cell::new));
    table
}

fn right(text: impl ToString) -> Cell {
    Cell::new(text.to_string()).set_alignment(CellAlignment::Right)
}

fn per(period: BillingPeriod) -> &'static str {
    match period {
        BillingPeriod::OneTime => "once",
        BillingPeriod::Monthly => "/ month",
        BillingPeriod::Quarterly => "/ quarter",
        BillingPeriod::Yearly => "/ year",
        BillingPeriod::UsageBased => "/ month + usage",
    }
}

fn renewal(item: &ItemView) -> String {
    match (item.next_renewal, item.days_until_renewal) {
        (Some(date), Some(0)) => format!("{date} (today)"),
        (Some(date), Some(days)) if days < 0 => format!("{date} ({} d ago)", -days),
        (Some(date), Some(days)) => format!("{date} ({days} d){}", if item.auto_renew { " ↻" } else { "" }),
        _ => "-".into(),
    }
}

fn cost(item: &ItemView) -> String {
    let base = format!("{} {}", item.cost, per(item.billing_period));
    match item.usage.as_ref().and_then(|u| u.unit_price.map(|p| (p, &u.unit))) {
        Some((price, unit)) if item.billing_period == BillingPeriod::UsageBased && item.cost.0.amount.is_zero() => {
            format!("{price} / {unit}")
        }
        Some((price, unit)) => format!("{base} + {price} / {unit}"),
        None => base,
    }
}

/// Sentences from the analysis, in English like the tables.
fn words(text: &Text) -> String {
    Renderer::get(Language::English, Flavor::Plain).text(text)
}

/// The flags a filter was given, as typed: `--kind domain --status expiring`.
fn filter_flags(filter: &ItemFilter) -> String {
    let flags = [
        filter.kind.map(|k| format!("--kind {}", k.as_str())),
        filter.category.map(|c| format!("--category {}", c.as_str())),
        filter.status.map(|s| format!("--status {}", s.as_str())),
    ];
    flags.into_iter().flatten().collect::<Vec<_>>().join(" ")
}

/// Where a page falls among its list, with the command for the next page (the previous one on
/// the last page): `Page 2 of 40 (1,987 items) — next: jarvis item list --page 3`. `command` is
/// the list's command without `--page`. Nothing when the list fits on one page.
pub fn page_footer(paging: &PageInfo, what: Noun, command: &str) -> String {
    if paging.pages <= 1 {
        return String::new();
    }
    let step = match (paging.next(), paging.previous()) {
        (Some(next), _) => format!("next: {command} --page {next}"),
        (None, Some(previous)) => format!("previous: {command} --page {previous}"),
        (None, None) => unreachable!("a list of several pages has a page before or after this one"),
    };
    format!("Page {} of {} ({}) — {step}\n", paging.page, paging.pages, what.count(paging.total))
}

/// The items table (one page) with the totals of every item matching: what `item list` and
/// `demo` print. `command` is the list's command, for the page footer.
pub fn item_list(list: &ItemList, filter: &ItemFilter, command: &str) -> String {
    let mut out = format!("Workspace {} · {} · amounts in {}\n", list.workspace, list.today, list.base_currency);
    let flags = filter_flags(filter);
    if list.items.is_empty() {
        if flags.is_empty() {
            out.push_str("\nNo items yet. Add one with `jarvis item add`, or try `jarvis --workspace demo demo`.\n");
        } else {
            writeln!(out, "\nNo item matches {flags}; `jarvis item list` lists every item.").ok();
        }
        for warning in &list.warnings {
            writeln!(out, "warning: {}", words(warning)).ok();
        }
        return out;
    }
    let mut t = table(&[
        "#",
        "Kind",
        "Name",
        "Provider",
        "Cost",
        &format!("Monthly {}", list.base_currency),
        "Next renewal",
        "Status",
    ]);
    let mut estimated = false;
    for item in &list.items {
        let mut monthly = match &item.monthly_cost_base {
            Some(money) => money.format_amount(),
            None => format!("{} (no rate)", item.monthly_cost),
        };
        if item.monthly_note.is_some() {
            monthly.push_str(" ~");
            estimated = true;
        }
        t.add_row(vec![
            right(item.id),
            Cell::new(item.kind),
            Cell::new(&item.name),
            Cell::new(item.provider.as_deref().unwrap_or("-")),
            Cell::new(cost(item)),
            right(monthly),
            Cell::new(renewal(item)),
            Cell::new(item.status),
        ]);
    }
    writeln!(out, "{t}").ok();
    if estimated {
        writeln!(out, "~ usage-billed: estimated for a full billing cycle (`item show` says from what)").ok();
    }
    let total = &list.totals.total_monthly_cost;
    match (flags.is_empty(), list.paging.pages) {
        (true, 1) => writeln!(out, "Monthly run-rate: {total}"),
        (false, 1) => writeln!(out, "Monthly run-rate of the items listed ({flags}): {total}"),
        (true, _) => {
            writeln!(out, "Monthly run-rate of all {} (every page): {total}", Noun::ITEMS.count(list.paging.total))
        }
        (false, _) => writeln!(
            out,
            "Monthly run-rate of all {} matching {flags} (every page): {total}",
            Noun::ITEMS.count(list.paging.total)
        ),
    }
    .ok();
    let parts: Vec<String> = list
        .totals
        .categories
        .iter()
        .map(|(category, money)| format!("{category} {}", money.format_amount()))
        .collect();
    writeln!(out, "  {}", parts.join(" · ")).ok();
    for warning in &list.warnings {
        writeln!(out, "warning: {}", words(warning)).ok();
    }
    out.push_str(&page_footer(&list.paging, Noun::ITEMS, command));
    out
}

/// One item in full.
pub fn item_detail(detail: &ItemDetail) -> String {
    let item = &detail.item;
    let mut out = item_card(item);
    if detail.history.is_empty() {
        out.push_str("\nNo cost history yet.\n");
    } else {
        writeln!(out, "\nRecent costs:\n{}", cost_table(&detail.history)).ok();
    }
    for warning in &detail.warnings {
        writeln!(out, "warning: {}", words(warning)).ok();
    }
    out
}

/// The run-rate, converted when the item is in another currency, and how it was estimated.
fn monthly(item: &ItemView) -> String {
    let mut text = match &item.monthly_cost_base {
        Some(base) if base.currency != item.monthly_cost.currency => format!("{} ≈ {}", item.monthly_cost, base),
        _ => item.monthly_cost.to_string(),
    };
    if let Some(note) = &item.monthly_note {
        write!(text, " ({})", words(note)).ok();
    }
    text
}

fn item_card(item: &ItemView) -> String {
    let mut rows: Vec<(&str, String)> = vec![
        ("Name", format!("{} (#{})", item.name, item.id)),
        ("Kind", format!("{} ({})", item.kind, item.category)),
        ("Provider", item.provider.clone().unwrap_or_else(|| "-".into())),
        ("Cost", cost(item)),
        ("Monthly", monthly(item)),
        ("Renews", renewal(item)),
        ("Auto-renew", if item.auto_renew { "yes".into() } else { "no".into() }),
        ("Status", item.status.to_string()),
    ];
    let optional = [
        ("Registrar", item.registrar.clone()),
        ("Server type", item.server_type.clone()),
        ("Specs", item.specs.clone()),
        ("Service type", item.service_type.map(|s| s.to_string())),
        ("Pricing", item.pricing_model.map(|s| s.to_string())),
        ("API key", item.api_key_status.map(|s| s.to_string())),
        ("Integration", item.integration_type.map(|s| s.to_string())),
        ("Features", item.features.as_ref().filter(|f| !f.is_empty()).map(|f| f.join(", "))),
        ("Alerts before", item.lead_times.as_ref().map(lead_days)),
        ("Yearly price", item.yearly_price.as_ref().map(ToString::to_string)),
        ("Plan price", item.plan_price.as_ref().map(|p| format!("{p} a month"))),
        ("Notes", item.notes.clone()),
    ];
    rows.extend(optional.into_iter().filter_map(|(k, v)| v.map(|v| (k, v))));
    if let Some(usage) = &item.usage {
        let mut text = format!("{} × {}", format_quantity(usage.used), usage.unit);
        if let Some(free) = usage.free_tier {
            let used = usage.free_tier_used_percent.unwrap_or_default();
            write!(text, " of {} free ({}%)", format_quantity(free), format_quantity(used)).ok();
        }
        if let Some(limit) = usage.limit {
            let used = usage.limit_used_percent.unwrap_or_default();
            write!(text, ", limit {} ({}%)", format_quantity(limit), format_quantity(used)).ok();
        }
        if usage.unit_price.is_some() {
            write!(text, ", costing {}", usage.usage_cost).ok();
        }
        rows.push(("Usage", text));
    }
    let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    rows.iter().map(|(k, v)| format!("{k:>width$}  {v}\n")).collect()
}

/// The result of `item add` / `item edit`.
pub fn item_changed(verb: &str, changed: &ItemChanged) -> String {
    let mut out = format!(
        "{verb} {} `{}` (#{}).\n\n{}",
        changed.item.kind,
        changed.item.name,
        changed.item.id,
        item_card(&changed.item)
    );
    for notice in &changed.notices {
        writeln!(out, "note: {notice}").ok();
    }
    out
}

pub fn item_removed(item: &ItemView) -> String {
    format!(
        "Removed {} `{}` (#{}). Its cost history is kept; `jarvis item restore '#{}'` brings it back.\n",
        item.kind, item.name, item.id, item.id
    )
}

pub fn item_restored(item: &ItemView) -> String {
    format!("Restored {} `{}` (#{}); it counts again from today.\n\n{}", item.kind, item.name, item.id, item_card(item))
}

pub fn exported(exported: &Exported, path: &str) -> String {
    let mut parts = Vec::new();
    if exported.items > 0 || exported.records == 0 {
        parts.push(plural(exported.items, "item", "items"));
    }
    if exported.records > 0 {
        parts.push(plural(exported.records, "cost record", "cost records"));
    }
    format!("Exported {} to {path}.\n", parts.join(" and "))
}

fn cost_table(records: &[CostView]) -> Table {
    let mut t = table(&["#", "Item", "Period", "Amount", "Source", "Note"]);
    for record in records {
        let period = if record.period_start == record.period_end {
            record.period_start.to_string()
        } else {
            format!("{} → {}", record.period_start, record.period_end)
        };
        t.add_row(vec![
            right(record.id),
            Cell::new(&record.item),
            Cell::new(period),
            right(record.amount),
            Cell::new(record.source),
            Cell::new(record.note.as_deref().unwrap_or("")),
        ]);
    }
    t
}

pub fn cost_removed(record: &CostView) -> String {
    format!(
        "Removed cost record #{} ({} for `{}`, {} → {}). Its days will not be charged again.\n",
        record.id,
        TypedMoney(record.amount),
        record.item,
        record.period_start,
        record.period_end
    )
}

pub fn cost_recorded(record: &CostView) -> String {
    format!(
        "Recorded {} for `{}` ({} → {}, {}) as cost record #{}.\n",
        // Exactly as stored: a confirmation of `0.0000008` must not say `0.00`.
        TypedMoney(record.amount),
        record.item,
        record.period_start,
        record.period_end,
        record.source,
        record.id
    )
}

pub fn restored(restored: &Restored) -> String {
    let with_removed = |count: usize, removed: usize, one: &str, many: &str| match removed {
        0 => plural(count, one, many),
        removed => format!("{} ({removed} removed)", plural(count, one, many)),
    };
    let mut parts = vec![
        with_removed(restored.items, restored.removed_items, "item", "items"),
        with_removed(restored.cost_records, restored.removed_cost_records, "cost record", "cost records"),
        plural(restored.exchange_rates, "exchange rate", "exchange rates"),
        plural(restored.budgets, "budget", "budgets"),
        plural(restored.sites, "site", "sites"),
        plural(restored.domain_lookups, "domain lookup", "domain lookups"),
    ];
    if restored.imports > 0 {
        parts.push(plural(restored.imports, "FOCUS import", "FOCUS imports"));
    }
    if restored.report_schedule {
        parts.push("the report schedule".into());
    }
    parts.push("the settings".into());
    let last = parts.pop().unwrap_or_default();
    let mut out = format!(
        "Restored the export of `{}` taken at {} into workspace `{}`: {} and {last}.\n",
        restored.from_workspace,
        restored.exported_at.format("%Y-%m-%d %H:%M:%S UTC"),
        restored.workspace,
        parts.join(", ")
    );
    match restored.renumbered.as_slice() {
        [] => out.push_str("Ids are as in the file.\n"),
        renumbered => writeln!(
            out,
            "New ids for the {}: this database already used some of the file's.",
            match renumbered {
                [rest @ .., last] if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
                _ => renumbered.join(""),
            }
        )
        .unwrap_or_default(),
    }
    writeln!(out, "Not in backups: {}.", restored.not_included.join("; ")).unwrap_or_default();
    out
}

/// A count grouped like every quantity shown: `1,000,000`.
fn count(n: usize) -> String {
    format_quantity(n.into())
}

/// Seconds to one decimal place: `83.4 s`.
fn seconds(millis: u128) -> String {
    format!("{}.{} s", millis / 1000, millis % 1000 / 100)
}

/// One line of seeding's progress: rows written, percent, time so far.
pub fn seed_progress(progress: &SeedProgress) -> String {
    format!(
        "Seeding: {} of {} items, {} of {} cost records ({}%), {}",
        count(progress.items),
        count(progress.items_total),
        count(progress.records),
        count(progress.records_total),
        progress.percent(),
        seconds(progress.elapsed.as_millis()),
    )
}

/// What `demo --size` added: items and records by kind, then the rest.
pub fn seeded(summary: &SeedSummary) -> String {
    let mut t = table(&["Kind", "Items", "Removed", "Cost records"]);
    for kind in &summary.by_kind {
        t.add_row(vec![
            Cell::new(kind.kind),
            right(count(kind.items)),
            right(count(kind.removed)),
            right(count(kind.records)),
        ]);
    }
    t.add_row(vec![
        Cell::new("total"),
        right(count(summary.items)),
        right(count(summary.removed_items)),
        right(count(summary.records)),
    ]);
    format!(
        "Seeded workspace `{}` ({} size, seed {}) with history from {} to {}:\n{t}\n{} (of them {} removed and entered again), {}, {}, {}; {} in {}.\n",
        summary.workspace,
        summary.size,
        summary.seed,
        summary.history_from,
        summary.today,
        plural(summary.records, "cost record", "cost records"),
        count(summary.removed_records),
        plural(summary.rates, "exchange rate", "exchange rates"),
        plural(summary.budgets, "budget", "budgets"),
        plural(summary.sites, "site", "sites"),
        plural(summary.transactions, "transaction", "transactions"),
        seconds(u128::from(summary.elapsed_ms)),
    )
}

fn plural(count: impl Into<Decimal>, one: &str, many: &str) -> String {
    crate::render::plural(count.into(), one, many)
}

/// `30,7,1 days`, `1 day`: lead times with the word for them (singular only for just one day).
fn lead_days(lead: &LeadTimes) -> String {
    format!("{lead} {}", if lead.days() == [1] { "day" } else { "days" })
}

/// A page of cost history with the total of every record matching; `command` is the history's
/// command, for the page footer.
pub fn cost_history(history: &CostHistory, command: &str) -> String {
    if history.records.is_empty() {
        return "No cost records match.\n".into();
    }
    let mut records = plural(Decimal::from(history.paging.total), "record", "records");
    if history.paging.pages > 1 {
        write!(records, " on all {} pages", format_quantity(history.paging.pages.into())).ok();
    }
    let mut out = match (history.from, history.to) {
        (None, None) => format!("{}\nTotal: {} ({records})\n", cost_table(&history.records), history.total),
        (from, to) => format!(
            "{}\nTotal for {} → {}: {} ({records}; those reaching outside count for their days inside)\n",
            cost_table(&history.records),
            from.map_or("the start".to_string(), |d| d.to_string()),
            to.map_or("the end".to_string(), |d| d.to_string()),
            history.total
        ),
    };
    for left_out in &history.left_out {
        writeln!(
            out,
            "Not in the total: {} ({}). {}",
            left_out.amount,
            plural(left_out.records, "record", "records"),
            words(&missing_rate_text(&left_out.missing))
        )
        .ok();
    }
    out.push_str(&page_footer(&history.paging, Noun::COST_RECORDS, command));
    out
}

pub fn rates(rates: &[RateView]) -> String {
    if rates.is_empty() {
        return "No exchange rates yet. Set one with `jarvis rate set USD THB 35.2`.\n".into();
    }
    let mut t = table(&["Pair", "Rate", "From"]);
    for rate in rates {
        t.add_row(vec![
            Cell::new(format!("1 {} =", rate.base)),
            right(format!("{} {}", rate.rate, rate.quote)),
            Cell::new(rate.date),
        ]);
    }
    format!("{t}\n")
}

pub fn rate_set(rate: &RateView) -> String {
    let replaced = rate.replaced.map(|r| format!(" (was {r})")).unwrap_or_default();
    format!("1 {} = {} {} from {}{replaced}.\n", rate.base, rate.rate, rate.quote, rate.date)
}

pub fn settings(view: &SettingsView) -> String {
    let s = &view.settings;
    format!(
        "Workspace        {}\nBase currency    {} ({})\nTimezone         {} (today is {})\nLanguage         {}\nExpiring window  {}\nLead times       {} before renewals\nAdmin role       {}\nAlert channel    {}\nAlert role       {}\nReminders        every {}\n",
        view.workspace,
        s.base_currency,
        s.base_currency.name(),
        s.timezone,
        view.today,
        s.language,
        plural(s.expiring_window_days, "day", "days"),
        lead_days(&s.lead_times),
        s.admin_role.map_or("none (Manage Server only)".to_string(), |r| r.0.to_string()),
        s.alert_channel.map_or("none (alerts are not posted)".to_string(), |c| c.to_string()),
        s.alert_role.map_or("none (alerts ping no one)".to_string(), |r| r.0.to_string()),
        if s.remind_hours == 1 { "hour".to_string() } else { plural(s.remind_hours, "hour", "hours") }
    )
}

pub fn budget_set(budget: &BudgetView) -> String {
    format!("The {} budget is now {} a month (alerts at {}%).\n", budget.scope, budget.amount, budget.thresholds)
}

pub fn budget_removed(budget: &BudgetView) -> String {
    format!("Removed the {} budget of {} a month.\n", budget.scope, budget.amount)
}

pub fn budgets(list: &BudgetList) -> String {
    if list.budgets.is_empty() {
        return "No budgets yet. Set one with `jarvis budget set total 1000` or `jarvis budget set ai-services 400`.\n"
            .into();
    }
    let mut t = table(&["Budget", "Monthly", "Alerts at", "Spent so far", "Forecast"]);
    let share =
        |p: Option<rust_decimal::Decimal>| p.map(|p| format!(" ({}%)", p.round_dp(1).normalize())).unwrap_or_default();
    for budget in &list.budgets {
        let check = list.checks.iter().find(|c| c.scope == budget.scope);
        t.add_row(vec![
            Cell::new(budget.scope),
            right(budget.amount.to_string()),
            Cell::new(format!("{}%", budget.thresholds)),
            right(check.map(|c| format!("{}{}", c.spent, share(c.spent_percent))).unwrap_or_else(|| "no rate".into())),
            right(
                check
                    .map(|c| format!("{}{}", c.forecast, share(c.forecast_percent)))
                    .unwrap_or_else(|| "no rate".into()),
            ),
        ]);
    }
    format!("{t}\nAs of {}; the forecast is recurring costs plus usage at its pace so far.\n", list.today)
}

pub fn jobs(reports: &[JobReport]) -> String {
    let mut out = String::new();
    for report in reports {
        if let Some(error) = &report.error {
            writeln!(out, "Workspace {}: the jobs failed and wrote nothing: {error}", report.workspace).ok();
            continue;
        }
        if report.renewals.is_empty() && report.month_close.is_empty() && report.skipped.is_empty() {
            writeln!(out, "Workspace {} ({}): nothing due.", report.workspace, report.today).ok();
            continue;
        }
        writeln!(
            out,
            "Workspace {} ({}): {}, {}.",
            report.workspace,
            report.today,
            plural(report.renewals.len(), "renewal charge", "renewal charges"),
            plural(report.month_close.len(), "month-close record", "month-close records"),
        )
        .ok();
        for charge in &report.renewals {
            writeln!(
                out,
                "  renewed  {}: {} for {} → {}",
                charge.item, charge.amount, charge.period_start, charge.period_end
            )
            .ok();
        }
        for skipped in &report.skipped {
            writeln!(
                out,
                "  skipped  {}: {} → {} is already paid by recorded costs",
                skipped.item, skipped.period_start, skipped.period_end
            )
            .ok();
        }
        for charge in &report.month_close {
            writeln!(
                out,
                "  recorded {}: {} for {} → {}",
                charge.item, charge.amount, charge.period_start, charge.period_end
            )
            .ok();
        }
    }
    if reports.is_empty() {
        out.push_str("No workspaces yet.\n");
    }
    out
}

/// A page of the audit log; `command` is its command, for the page footer.
pub fn audit(log: &AuditLog, command: &str) -> String {
    if log.entries.is_empty() {
        return "No changes recorded yet.\n".into();
    }
    let mut t = table(&["When (UTC)", "Who", "What", "On"]);
    for entry in &log.entries {
        t.add_row(vec![
            Cell::new(entry.at.format("%Y-%m-%d %H:%M:%S")),
            Cell::new(&entry.actor),
            Cell::new(&entry.action),
            Cell::new(format!("{} {}", entry.entity, entry.entity_id.as_deref().unwrap_or(""))),
        ]);
    }
    format!("{t}\n{}", page_footer(&log.paging, Noun::AUDIT_ENTRIES, command))
}

/// What `doctor` found.
pub fn doctor(reports: &[crate::app::DoctorReport]) -> String {
    let mut out = String::new();
    for report in reports {
        let months = report.mismatches.len();
        match (report.rebuilt, months) {
            (false, 0) => {
                writeln!(
                    out,
                    "Workspace {}: the read model matches the records ({} item-months checked).",
                    report.workspace,
                    crate::domain::money::format_quantity(report.checked.into())
                )
                .ok();
            }
            (true, _) => {
                writeln!(out, "Workspace {}: the read model was rebuilt from the records ({} item-years written; {} months had differed).", report.workspace, crate::domain::money::format_quantity(report.checked.into()), months).ok();
            }
            (false, _) => {
                writeln!(
                    out,
                    "Workspace {}: {} months of the read model differ from the records:",
                    report.workspace, months
                )
                .ok();
                for m in report.mismatches.iter().take(20) {
                    writeln!(out, "  item #{} {}: {}", m.item_id, m.month, m.problem).ok();
                }
                if months > 20 {
                    writeln!(out, "  ...and {} more", months - 20).ok();
                }
            }
        }
    }
    out
}

/// `jarvis db status`.
pub fn db_status(status: &crate::app::DatabaseStatus) -> String {
    let mut out = String::new();
    writeln!(out, "Backend:    {}", status.backend).ok();
    writeln!(out, "Database:   {}", status.location).ok();
    writeln!(out, "Server:     {}", status.server).ok();
    match &status.migration {
        Some(m) => writeln!(out, "Migrations: up to {} ({})", m.version, m.description).ok(),
        None => writeln!(out, "Migrations: none yet (Jarvis has not used this database)").ok(),
    };
    if !status.pending.is_empty() {
        writeln!(out, "Pending:    {} migration(s), applied when Jarvis next opens it:", status.pending.len()).ok();
        for m in &status.pending {
            writeln!(out, "  {} {}", m.version, m.description).ok();
        }
    }
    if let Some(copy) = &status.unfinished_copy {
        writeln!(out, "UNFINISHED: a copy into this database did not finish ({copy}); Jarvis will not run on it. Copy again with `jarvis db copy --to ... --restart`.").ok();
    }
    if !status.tables.is_empty() {
        let mut table = table(&["Table", "Rows"]);
        for t in &status.tables {
            table.add_row(vec![t.table.to_string(), crate::domain::money::format_quantity(t.rows.into())]);
        }
        writeln!(out, "{table}").ok();
    }
    out
}

/// `jarvis db copy`.
pub fn db_copied(report: &crate::app::CopyReport) -> String {
    let mut out = String::new();
    writeln!(out, "Copied {} into {}:", report.from, report.to).ok();
    let mut table = table(&["Table", "Rows copied"]);
    for t in &report.tables {
        table.add_row(vec![t.table.to_string(), crate::domain::money::format_quantity(t.rows.into())]);
    }
    writeln!(out, "{table}").ok();
    if report.differences.is_empty() {
        writeln!(out, "Every workspace's dashboard ({}) is the same on both sides.", report.workspaces_compared).ok();
    } else {
        writeln!(
            out,
            "DIFFERENT dashboards in {} of {} workspaces: {}",
            report.differences.len(),
            report.workspaces_compared,
            report.differences.iter().map(|w| w.as_str()).collect::<Vec<_>>().join(", ")
        )
        .ok();
    }
    out
}

/// `jarvis token create`: the token, once.
pub fn token_created(created: &crate::app::CreatedToken) -> String {
    format!(
        "Made the {} token `{}` for this workspace. Here it is, shown this once (only a hash of it is kept):\n\n    {}\n\nKeep it as a secret; `jarvis token revoke {}` stops it.\n",
        created.view.scope.as_str(),
        created.view.name,
        created.token,
        created.view.name
    )
}

/// `jarvis token revoke`.
pub fn token_revoked(token: &crate::app::TokenView) -> String {
    format!("Revoked the token `{}` ({}…): requests with it are refused from now on.\n", token.name, token.prefix)
}

/// `jarvis token list`.
pub fn tokens(tokens: &[crate::app::TokenView]) -> String {
    if tokens.is_empty() {
        return "No API tokens yet. Make one with `jarvis token create NAME --scope read` (or write).\n".into();
    }
    let at = |t: &Option<chrono::DateTime<chrono::Utc>>| {
        t.map_or("never".to_string(), |t| t.format("%Y-%m-%d %H:%M UTC").to_string())
    };
    let mut t = table(&["Name", "Scope", "Token starts", "Made", "By", "Last used", "State"]);
    for token in tokens {
        t.add_row(vec![
            Cell::new(&token.name),
            Cell::new(token.scope.as_str()),
            Cell::new(format!("{}…", token.prefix)),
            Cell::new(token.created_at.format("%Y-%m-%d %H:%M UTC").to_string()),
            Cell::new(&token.created_by),
            Cell::new(at(&token.last_used_at)),
            Cell::new(if token.revoked_at.is_some() {
                format!("revoked {}", at(&token.revoked_at))
            } else {
                "live".into()
            }),
        ]);
    }
    format!("{t}\n")
}

/// `jarvis status`.
pub fn instances_status(status: &crate::app::StatusView) -> String {
    let mut out = String::new();
    let at = |t: &chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M:%S UTC").to_string();
    if status.instances.is_empty() {
        writeln!(out, "No bot instance has run on this ledger in the last day (`jarvis run` starts one).").ok();
    } else {
        let mut table = table(&["Instance", "State", "Shards", "Started", "Last seen"]);
        for instance in &status.instances {
            table.add_row(vec![
                instance.id.clone(),
                if instance.live {
                    "live".to_string()
                } else {
                    format!("GONE (silent {} s)", instance.seen_seconds_ago)
                },
                instance.shards.clone().unwrap_or_else(|| "all".to_string()),
                at(&instance.started_at),
                at(&instance.seen_at),
            ]);
        }
        writeln!(out, "{table}").ok();
    }
    if let Some(count) = status.shard_count {
        if status.unserved_shards.is_empty() {
            writeln!(out, "All {count} shard(s) are served.").ok();
        } else {
            let unserved: Vec<String> = status.unserved_shards.iter().map(u32::to_string).collect();
            writeln!(
                out,
                "UNSERVED shard(s) {} of {count}: servers on them get no answers until an instance serving them starts (or the one that died restarts).",
                unserved.join(", ")
            )
            .ok();
        }
    }
    if status.jobs.is_empty() {
        writeln!(out, "No background job is held now.").ok();
    } else {
        for job in &status.jobs {
            writeln!(out, "Job `{}` held by {} until {}", job.job, job.owner, at(&job.lease_until)).ok();
        }
    }
    match &status.oldest_owed {
        Some(owed) => writeln!(
            out,
            "Owed to Discord: {} message(s); the oldest #{} ({} for workspace {}) since {}, {} attempt(s){}",
            status.owed,
            owed.id,
            owed.kind,
            owed.workspace,
            at(&owed.created_at),
            owed.attempts,
            match (&owed.claimed_by, owed.lease_until) {
                (Some(by), Some(until)) if until < status.now => format!(
                    ", claimed by {by}, whose lease ran out at {}: the next instance to look takes it over",
                    at(&until)
                ),
                (Some(by), _) => format!(", being delivered by {by}"),
                (None, _) => String::new(),
            }
        )
        .ok(),
        None => writeln!(out, "Nothing is owed to Discord.").ok(),
    };
    match &status.last_report_slot {
        Some(slot) => writeln!(out, "Last report slot claimed: {} (workspace {})", at(&slot.slot), slot.workspace).ok(),
        None => writeln!(out, "No scheduled report has been claimed yet.").ok(),
    };
    out
}

/// A progress line for `import focus`.
pub fn import_progress(progress: crate::app::ImportProgress) -> String {
    match progress {
        crate::app::ImportProgress::Read { rows } => format!("Read {} rows…", format_quantity(rows.into())),
        crate::app::ImportProgress::Writing { records } => {
            format!("Read the whole file; writing {} cost records…", format_quantity((records as u64).into()))
        }
    }
}

/// The file's totals beside the ledger's, one row per currency.
fn reconciliation(totals: &[crate::app::Reconciled]) -> Table {
    let mut t = table(&["Currency", "File (BilledCost)", "In the ledger", "Replaced later", "Removed", "Adds up"]);
    for total in totals {
        t.add_row(vec![
            Cell::new(total.currency.code()),
            right(total.file),
            right(total.ledger),
            right(total.replaced),
            right(total.removed),
            Cell::new(if total.equal { "yes, exactly" } else { "NO" }),
        ]);
    }
    t
}

/// Commitments and list prices, where the file had them.
fn savings(out: &mut String, totals: &[crate::app::Reconciled]) {
    for total in totals {
        if let (Some(effective), Some(list)) = (total.effective, total.list) {
            writeln!(
                out,
                "{}: billed {}, effective (commitments spread) {}, at list price {}: discounts and commitments saved {}.",
                total.currency.code(),
                total.file,
                effective,
                list,
                TypedMoney(crate::domain::money::Money::new(list.0.amount - effective.0.amount, total.currency)),
            )
            .ok();
        }
    }
}

/// `import focus`.
pub fn imported(summary: &crate::app::ImportSummary) -> String {
    let mut out = String::new();
    let rows = format_quantity(summary.rows.into());
    match summary.id {
        Some(id) => writeln!(
            out,
            "Imported `{}` (FOCUS {}) as import #{id}: {rows} rows into {} cost records.",
            summary.file_name, summary.focus_version, summary.records
        ),
        None => writeln!(
            out,
            "Dry run of `{}` (FOCUS {}): {rows} rows would become {} cost records. Nothing was written.",
            summary.file_name, summary.focus_version, summary.records
        ),
    }
    .ok();
    if summary.replaced > 0 {
        let from: Vec<String> = summary.replaced_imports.iter().map(|id| format!("#{id}")).collect();
        writeln!(
            out,
            "{} {} cost records of import {} for the same billing accounts and periods (replaced, not doubled).",
            if summary.dry_run { "It would replace" } else { "Replaced" },
            summary.replaced,
            from.join(", ")
        )
        .ok();
    }
    let scopes: Vec<String> = summary.scopes.iter().map(|s| format!("{} {} → {}", s.account, s.start, s.end)).collect();
    writeln!(out, "Billing accounts and periods: {}", scopes.join("; ")).ok();
    let mut services = table(&["Provider", "Service", "Category", "Item", "Billed"]);
    for line in &summary.services {
        let billed: Vec<String> = line.billed.iter().map(ToString::to_string).collect();
        services.add_row(vec![
            Cell::new(&line.provider),
            Cell::new(&line.service),
            Cell::new(line.category.as_deref().unwrap_or("—")),
            Cell::new(format!(
                "{} ({}){}",
                line.item,
                line.kind,
                if line.created { if summary.dry_run { ", would be new" } else { ", new" } } else { "" }
            )),
            right(billed.join("\n")),
        ]);
    }
    writeln!(out, "{services}").ok();
    if summary.dry_run {
        if summary.changes.is_empty() {
            writeln!(out, "The ledger already holds exactly these figures: nothing would change.").ok();
        } else {
            let mut changes = table(&["Provider", "Service", "Month", "Before", "After"]);
            for change in &summary.changes {
                changes.add_row(vec![
                    Cell::new(&change.provider),
                    Cell::new(&change.service),
                    Cell::new(change.month.to_string()),
                    right(change.before),
                    right(change.after),
                ]);
            }
            writeln!(out, "What would change:\n{changes}").ok();
        }
    }
    writeln!(out, "{}", reconciliation(&summary.totals)).ok();
    savings(&mut out, &summary.totals);
    if summary.skipped > 0 {
        writeln!(out, "Skipped {} rows that could not be read:", summary.skipped).ok();
        for row in &summary.skipped_rows {
            writeln!(out, "  {row}").ok();
        }
        if summary.skipped > summary.skipped_rows.len() as u64 {
            writeln!(out, "  …and {} more", summary.skipped - summary.skipped_rows.len() as u64).ok();
        }
    }
    for notice in &summary.notices {
        writeln!(out, "Note: {notice}").ok();
    }
    out
}

fn import_state(view: &crate::app::ImportView) -> String {
    match view.state.as_str() {
        "removed" => format!(
            "removed {}",
            view.removed_at.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_default()
        ),
        "replaced" | "partly_replaced" => {
            let by: Vec<String> = view.replaced_by.iter().map(|id| format!("#{id}")).collect();
            let how = if view.state == "replaced" { "replaced" } else { "partly replaced" };
            if by.is_empty() { how.to_string() } else { format!("{how} by {}", by.join(", ")) }
        }
        _ => "live".to_string(),
    }
}

/// `import list`.
pub fn imports(list: &crate::app::ImportList) -> String {
    if list.imports.is_empty() {
        return "No bills imported yet. Import one with `jarvis import focus FILE` (try --dry-run first).\n".into();
    }
    let mut t = table(&["#", "File", "FOCUS", "Imported", "Rows", "Records", "File total", "In the ledger", "State"]);
    for view in &list.imports {
        let file: Vec<String> = view.totals.iter().map(|t| t.file.to_string()).collect();
        let ledger: Vec<String> = view.totals.iter().map(|t| t.ledger.to_string()).collect();
        t.add_row(vec![
            Cell::new(format!("#{}", view.id)),
            Cell::new(&view.file_name),
            Cell::new(&view.focus_version),
            Cell::new(format!("{} by {}", view.created_at.format("%Y-%m-%d %H:%M UTC"), view.created_by)),
            right(format_quantity(view.rows.into())),
            right(format!("{} of {}", view.live_records, view.records)),
            right(file.join("\n")),
            right(ledger.join("\n")),
            Cell::new(import_state(view)),
        ]);
    }
    format!("{t}\n")
}

/// `import show`.
pub fn import(view: &crate::app::ImportView) -> String {
    let mut out = String::new();
    writeln!(
        out,
        "Import #{} ({}): `{}`, FOCUS {}, imported {} by {}; {}.",
        view.id,
        view.uuid,
        view.file_name,
        view.focus_version,
        view.created_at.format("%Y-%m-%d %H:%M UTC"),
        view.created_by,
        import_state(view)
    )
    .ok();
    writeln!(
        out,
        "{} rows ({} skipped) became {} cost records; {} are in the ledger now. SHA-256 {}.",
        format_quantity(view.rows.into()),
        view.skipped,
        view.records,
        view.live_records,
        view.sha256
    )
    .ok();
    let scopes: Vec<String> = view.scopes.iter().map(|s| format!("{} {} → {}", s.account, s.start, s.end)).collect();
    writeln!(out, "Billing accounts and periods: {}", scopes.join("; ")).ok();
    if !view.services.is_empty() {
        let mut services = table(&["Provider", "Service", "Item", "In the ledger"]);
        for line in &view.services {
            let billed: Vec<String> = line.billed.iter().map(ToString::to_string).collect();
            services.add_row(vec![
                Cell::new(&line.provider),
                Cell::new(&line.service),
                Cell::new(format!("{} ({})", line.item, line.kind)),
                right(billed.join("\n")),
            ]);
        }
        writeln!(out, "{services}").ok();
    }
    writeln!(out, "{}", reconciliation(&view.totals)).ok();
    savings(&mut out, &view.totals);
    out
}

/// `import remove`.
pub fn import_removed(view: &crate::app::ImportView) -> String {
    let taken: Vec<String> = view.totals.iter().map(|t| t.removed.to_string()).collect();
    let mut out = format!(
        "Removed import #{} (`{}`): {} taken out of the ledger. Import the file again to bring it back.\n",
        view.id,
        view.file_name,
        taken.join(", ")
    );
    for notice in &view.notices {
        writeln!(out, "Note: {notice}").ok();
    }
    out
}

/// `import map`.
pub fn service_mapped(mapped: &crate::app::ServiceMapped) -> String {
    let mut out = format!(
        "`{} / {}` now goes into `{}` (it went into `{}`); {} imported cost records moved with it.\n",
        mapped.service.provider, mapped.service.service, mapped.service.item, mapped.from_item, mapped.moved
    );
    for notice in &mapped.notices {
        writeln!(out, "Note: {notice}").ok();
    }
    out
}

/// `jarvis web link`.
pub fn web_link(url: &str, expires_at: chrono::DateTime<chrono::Utc>) -> String {
    format!(
        "Open this link to sign in to the web pages (it works once, until {} UTC):\n\n    {url}\n\nJarvis must be serving them there (`jarvis serve`, or `jarvis run` with JARVIS_HTTP_ADDR); set JARVIS_PUBLIC_URL when people reach it at another address.\n",
        expires_at.format("%Y-%m-%d %H:%M")
    )
}

/// What pulls did, one paragraph per connection.
pub fn ai_pulls(reports: &[crate::app::PullReport]) -> String {
    let mut out = String::new();
    for report in reports {
        let c = &report.connection;
        match (&report.error, report.days) {
            (Some(error), _) => {
                out.push_str(&format!(
                    "`{}` ({}, key {}): the pull failed: {error}.\nNext try: {}.\n",
                    c.item,
                    c.provider.title(),
                    c.key,
                    c.next_pull_at.format("%Y-%m-%d %H:%M UTC")
                ));
            }
            (None, None) => {
                out.push_str(&format!(
                    "`{}` is connected to {}'s cost API (key {}). Its records up to now were typed, imported or pushed, so pulls start on {}.\n",
                    c.item,
                    c.provider.title(),
                    c.key,
                    c.pull_from
                ));
            }
            (None, days) => {
                let days = days.map_or_else(String::new, |d| format!(" {} to {}", d.start, d.end));
                let total = if report.total.is_empty() {
                    "nothing billed".to_string()
                } else {
                    report.total.iter().map(|m| m.to_string()).collect::<Vec<_>>().join(" + ")
                };
                out.push_str(&format!(
                    "`{}` ({}, key {}): pulled{days}: {total}; {} day(s) changed, {} record(s) written.\nNext pull: {}.\n",
                    c.item,
                    c.provider.title(),
                    c.key,
                    report.days_changed,
                    report.records,
                    c.next_pull_at.format("%Y-%m-%d %H:%M UTC")
                ));
            }
        }
    }
    out
}

/// The connected items.
pub fn ai_connections(connections: &[crate::app::ConnectionView]) -> String {
    if connections.is_empty() {
        return "No AI provider is connected to its cost API. Connect one with `jarvis ai connect ITEM --provider openai|anthropic`.\n".into();
    }
    let mut table = table(&["Item", "Provider", "Key", "Last pull", "Through", "Next pull", "Failing"]);
    for c in connections {
        let when = |t: Option<chrono::DateTime<chrono::Utc>>| {
            t.map_or("-".to_string(), |t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        };
        table.add_row(vec![
            Cell::new(format!("{} (#{})", c.item, c.item_id)),
            Cell::new(c.provider.title()),
            Cell::new(&c.key),
            Cell::new(when(c.last_success_at)),
            Cell::new(c.pulled_through.map_or("-".to_string(), |d| d.to_string())),
            Cell::new(when(Some(c.next_pull_at))),
            Cell::new(match (&c.failure_message, c.failing_since) {
                (Some(message), Some(since)) => format!("since {}: {message}", since.format("%Y-%m-%d %H:%M UTC")),
                _ => "-".to_string(),
            }),
        ]);
    }
    format!("{table}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check_progress(items: usize, records: usize, millis: u64, expected: &str) {
        let progress = SeedProgress {
            items,
            items_total: 10_000,
            records,
            records_total: 1_000_000,
            elapsed: std::time::Duration::from_millis(millis),
        };
        assert_eq!(seed_progress(&progress), expected);
    }

    #[test]
    fn seeding_progress_is_one_line_of_counts_percent_and_time() {
        check_progress(0, 0, 0, "Seeding: 0 of 10,000 items, 0 of 1,000,000 cost records (0%), 0.0 s");
        check_progress(
            4_000,
            412_331,
            23_456,
            "Seeding: 4,000 of 10,000 items, 412,331 of 1,000,000 cost records (41%), 23.4 s",
        );
        check_progress(
            10_000,
            1_000_000,
            65_049,
            "Seeding: 10,000 of 10,000 items, 1,000,000 of 1,000,000 cost records (100%), 65.0 s",
        );
    }
}
