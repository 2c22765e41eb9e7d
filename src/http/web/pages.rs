//! The read pages: the cost dashboard (with the alerts panel's buttons), AI providers, the
//! Jarvis analysis, cost history, budgets (set and removed by admins) and websites.

use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::json;

use super::{Api, Edit, Visitor, see_other};
use crate::analysis::dashboard::Dashboard;
use crate::app::AlertAction;
use crate::domain::item::Category;
use crate::render::Renderer;
use crate::render::svg::{self, Bar};

pub fn router() -> Router<Api> {
    Router::new()
        .route("/w/{workspace}/", get(dashboard))
        .route(
            "/w/{workspace}",
            get(|Path(workspace): Path<String>| async move { see_other(&format!("/w/{workspace}/")) }),
        )
        .route("/w/{workspace}/alerts/{key}/{action}", post(alert))
        .route("/w/{workspace}/ai", get(ai_providers))
        .route("/w/{workspace}/analysis", get(analysis))
        .route("/w/{workspace}/history", get(history))
        .route("/w/{workspace}/budgets", get(budgets).post(set_budget))
        .route("/w/{workspace}/budgets/{scope}/remove", post(remove_budget))
        .route("/w/{workspace}/sites", get(sites))
}

/// The dashboard's charts: the run-rate by category and the last months.
fn dashboard_charts(renderer: &Renderer, dashboard: &Dashboard) -> serde_json::Value {
    let base = dashboard.base_currency;
    let categories: Vec<Bar> = dashboard
        .by_category
        .iter()
        .map(|(category, amount)| Bar {
            label: renderer.name("category", category.as_str()).unwrap_or_else(|| category.as_str().to_string()),
            value: amount.0.amount,
            shown: amount.0.to_string(),
            class: category_class(*category),
            ..Bar::default()
        })
        .collect();
    let mut months: Vec<Bar> =
        dashboard.trends.iter().map(|m| month_bar(m.month, m.cost.amount, m.cost.to_string(), "")).collect();
    let now = &dashboard.this_month;
    months.push(month_bar(now.month, now.projected.amount, now.projected.to_string(), "now"));
    // The year under the first month and under each January.
    for (i, bar) in months.iter_mut().enumerate() {
        if i == 0 || bar.label == "01" {
            bar.sublabel = bar.title.get(..4).map(str::to_string);
        }
    }
    let by_category = renderer.message("label.by_category", &json!({}));
    let months_title = renderer.message("web.dashboard.months", &json!({ "currency": base.code() }));
    json!({
        "categories": svg::bars(&by_category, &categories),
        "months": svg::columns(&months_title, &months),
        "month_rows": months.iter().map(|m| json!({ "month": m.title, "cost": m.shown, "now": m.class == "now" })).collect::<Vec<_>>(),
    })
}

/// A month's column: its number under it, the whole month in its tooltip.
fn month_bar(
    month: crate::domain::calendar::Month,
    value: rust_decimal::Decimal,
    shown: String,
    class: &'static str,
) -> Bar {
    let title = month.to_string();
    Bar { label: title.get(5..).unwrap_or_default().to_string(), title, value, shown, class, sublabel: None }
}

/// A category's class in charts (its colour in the stylesheet).
pub fn category_class(category: Category) -> &'static str {
    match category {
        Category::Infrastructure => "c-infrastructure",
        Category::Ai => "c-ai",
        Category::ThirdParty => "c-third-party",
        Category::Packages => "c-packages",
        Category::Other => "c-other",
    }
}

#[derive(Debug, Default, serde::Deserialize)]
struct DoneQuery {
    done: Option<String>,
}

/// `GET /w/<ws>/` (`?done=` after an alert's button): the cost dashboard.
async fn dashboard(
    State(api): State<Api>,
    axum::extract::Query(query): axum::extract::Query<DoneQuery>,
    visitor: Visitor,
) -> Response {
    let read = async {
        Ok::<_, crate::app::AppError>((
            api.app.dashboard(visitor.workspace(), None).await?,
            api.app.settings(visitor.workspace()).await?,
        ))
    };
    let (dashboard, settings) = match read.await {
        Ok(read) => read,
        Err(error) => return visitor.failure(error),
    };
    let charts = dashboard_charts(visitor.renderer(), &dashboard);
    // Acknowledging and snoozing are about pings: only alerts Jarvis posts (warnings and worse,
    // once an alert channel is set) have them.
    let pinged = settings.settings.alert_channel.is_some();
    let done = match query.done.as_deref() {
        Some("ack" | "acknowledge") => Some("acknowledge"),
        Some("snooze") => Some("snooze"),
        Some("renewed") => Some("renewed"),
        _ => None,
    };
    let done = done.map(|d| visitor.renderer().message(&format!("web.alert.done.{d}"), &json!({})));
    visitor.page(
        "dashboard",
        "dashboard",
        json!({ "dashboard": dashboard, "charts": charts, "pinged": pinged, "done": done }),
    )
}

/// `POST /w/<ws>/alerts/<key>/acknowledge|snooze`: an alert's buttons, for admins; back to
/// the dashboard with what was done.
async fn alert(
    State(api): State<Api>,
    Path((_, key, action)): Path<(String, String, String)>,
    Edit { visitor, .. }: Edit,
) -> Response {
    let action = match action.as_str() {
        "acknowledge" => AlertAction::Acknowledge,
        "snooze" => AlertAction::Snooze,
        "renewed" => AlertAction::Renewed,
        _ => return visitor.not_found(),
    };
    let family = crate::domain::alerting::family(&key);
    match api.app.act_on_alert(visitor.workspace(), &visitor.session.actor, &family, action).await {
        Ok(_) => see_other(&format!("{}/?done={}#alerts", visitor.base(), action.as_str())),
        Err(error) => visitor.failure(error),
    }
}

#[derive(Debug, Default, serde::Deserialize)]
struct PageQuery {
    page: Option<String>,
}

/// AI provider cards on one page.
const AI_PER_PAGE: u32 = 24;

/// `GET /w/<ws>/ai?page=`: a card per AI provider, dearest first: its cost, usage against the
/// free tier and the limit with the days they run out, its API key.
async fn ai_providers(
    State(api): State<Api>,
    axum::extract::Query(query): axum::extract::Query<PageQuery>,
    visitor: Visitor,
) -> Response {
    let filter = crate::app::ItemFilter {
        kind: Some(crate::domain::item::Kind::AiProvider),
        sort: crate::app::ItemSort::Cost,
        ..Default::default()
    };
    let fetch = |page| api.app.list_items(visitor.workspace(), filter.clone(), page);
    let list = match super::page_or_last(query.page.as_deref(), AI_PER_PAGE, fetch).await {
        Ok(list) => list,
        Err(error) => return visitor.failure(error),
    };
    let base = visitor.base();
    let pages = super::pager(&list.paging, |page| format!("{base}/ai?page={page}"));
    // What the providers' cost APIs and the usage push say of the items fed by them.
    let feeds = match api.app.ai_lines(visitor.workspace()).await {
        Ok(feeds) => feeds,
        Err(error) => return visitor.failure(error),
    };
    // Where each meter turns: 80% of the allowance warns, all of it is used up.
    let meters: Vec<serde_json::Value> = list
        .items
        .iter()
        .map(|item| {
            let usage = item.usage.as_ref();
            let warn = |allowed: Option<rust_decimal::Decimal>| {
                allowed.map(|a| (a * rust_decimal::Decimal::new(8, 1)).normalize())
            };
            let used_up = |allowed: Option<rust_decimal::Decimal>| usage.zip(allowed).is_some_and(|(u, a)| u.used >= a);
            json!({
                "free_warn": warn(usage.and_then(|u| u.free_tier)),
                "free_used_up": used_up(usage.and_then(|u| u.free_tier)),
                "limit_warn": warn(usage.and_then(|u| u.limit)),
                "limit_reached": used_up(usage.and_then(|u| u.limit)),
                "feed": feeds.iter().find(|f| f.item_id == item.id),
            })
        })
        .collect();
    visitor.page("ai", "ai", json!({ "list": list, "meters": meters, "pages": pages }))
}

/// Entries of each of the analysis page's lists.
const ANALYSIS_LIST: usize = 10;

/// `value[key]` cut to its first `keep` entries, with `<key>_more` saying how many were left out.
fn cut_list(value: &mut serde_json::Value, key: &str, keep: usize) {
    let more = match value.get_mut(key).and_then(serde_json::Value::as_array_mut) {
        Some(list) if list.len() > keep => {
            let more = list.len() - keep;
            list.truncate(keep);
            more
        }
        _ => 0,
    };
    value[format!("{key}_more")] = json!(more);
}

/// `GET /w/<ws>/analysis`: the health score with its components, recommendations with what
/// they save, and risks.
async fn analysis(State(api): State<Api>, visitor: Visitor) -> Response {
    let report = match api.app.report(visitor.workspace()).await {
        Ok(report) => report,
        Err(error) => return visitor.failure(error),
    };
    // A page, not a dump: the largest savings, the first risks and reasons, each with how many
    // more there are (a large workspace has thousands; the API and `jarvis report --json` give
    // them all).
    let mut view = serde_json::to_value(&report).unwrap_or_default();
    cut_list(&mut view, "recommendations", ANALYSIS_LIST);
    cut_list(&mut view, "risks", ANALYSIS_LIST);
    if let Some(components) = view["health"]["components"].as_array_mut() {
        for component in components {
            cut_list(component, "deductions", ANALYSIS_LIST);
        }
    }
    visitor.page("analysis", "analysis", json!({ "report": view }))
}

#[derive(Debug, Default, serde::Deserialize)]
struct HistoryQuery {
    page: Option<String>,
    month: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

/// `GET /w/<ws>/history?month=YYYY-MM|from&to&page`: the cost records of a month (this one by
/// default) or of the days asked for, oldest first as everywhere (the newest page shown first),
/// with the total of all of them.
async fn history(
    State(api): State<Api>,
    axum::extract::Query(query): axum::extract::Query<HistoryQuery>,
    visitor: Visitor,
) -> Response {
    use crate::domain::calendar::Month;
    let day = |d: &Option<String>| {
        d.as_deref().filter(|d| !d.is_empty()).map(|d| crate::domain::calendar::parse_date("date", d)).transpose()
    };
    let (from, to) = match (day(&query.from), day(&query.to)) {
        (Ok(from), Ok(to)) => (from, to),
        (Err(error), _) | (_, Err(error)) => return visitor.failure(error.into()),
    };
    let today = match api.app.today_in(visitor.workspace()).await {
        Ok(today) => today,
        Err(error) => return visitor.failure(error),
    };
    // Days asked for, else a month: a workspace's whole history can be a million records.
    let month = (from.is_none() && to.is_none())
        .then(|| query.month.as_deref().and_then(|m| m.parse::<Month>().ok()).unwrap_or_else(|| Month::of(today)));
    let (from, to) = match month {
        Some(month) => (Some(month.first_day()), Some(month.last_day())),
        None => (from, to),
    };
    let fetch = |page| api.app.cost_history(visitor.workspace(), None, from, to, page);
    let history = match super::page_or_last(Some(query.page.as_deref().unwrap_or("last")), 50, fetch).await {
        Ok(history) => history,
        Err(error) => return visitor.failure(error),
    };
    let base = visitor.base();
    let range = |page: u32| {
        let mut pairs = url::form_urlencoded::Serializer::new(String::new());
        match month {
            Some(month) => {
                pairs.append_pair("month", &month.to_string());
            }
            None => {
                for (key, day) in [("from", from), ("to", to)] {
                    if let Some(day) = day {
                        pairs.append_pair(key, &day.to_string());
                    }
                }
            }
        }
        pairs.append_pair("page", &page.to_string());
        format!("{base}/history?{}", pairs.finish())
    };
    let pages = super::pager(&history.paging, range);
    let renderer = visitor.renderer();
    let months = month.map(|month| {
        let name =
            |m: Month| format!("{} {}", renderer.message(&format!("web.month.{}", m.month()), &json!({})), m.year());
        json!({
            "title": name(month),
            "previous": format!("{base}/history?month={}", month.prev()),
            "next": (month < Month::of(today)).then(|| format!("{base}/history?month={}", month.next())),
        })
    });
    let filter = json!({ "from": from.map(|d| d.to_string()), "to": to.map(|d| d.to_string()) });
    visitor.page(
        "history",
        "history",
        json!({ "history": history, "pages": pages, "filter": filter, "months": months }),
    )
}

/// The budgets page, with `error` and what was typed when a budget was refused.
async fn budgets_page(
    api: &Api,
    visitor: &Visitor,
    status: axum::http::StatusCode,
    error: Option<String>,
    typed: serde_json::Value,
) -> Response {
    match api.app.budgets(visitor.workspace()).await {
        Ok(list) => {
            let scopes: Vec<serde_json::Value> = crate::domain::budget::BudgetScope::all()
                .map(|s| s.as_str())
                .map(|s| json!({ "value": s, "label": visitor.renderer().name("scope", s).unwrap_or_else(|| s.to_string()) }))
                .collect();
            // Each check with its budget's thresholds.
            let rows: Vec<serde_json::Value> = list
                .checks
                .iter()
                .map(|check| {
                    let mut row = serde_json::to_value(check).unwrap_or_default();
                    let thresholds = list.budgets.iter().find(|b| b.scope == check.scope).map(|b| b.thresholds.clone());
                    row["thresholds"] = serde_json::to_value(thresholds).unwrap_or_default();
                    row
                })
                .collect();
            let view = json!({ "list": list, "rows": rows, "scopes": scopes, "error": error, "typed": typed });
            visitor.page_with(status, "budgets", "budgets", view)
        }
        Err(error) => visitor.failure(error),
    }
}

/// `GET /w/<ws>/budgets`: the budgets and this month against them.
async fn budgets(State(api): State<Api>, visitor: Visitor) -> Response {
    let typed = json!({ "scope": null, "amount": null, "currency": null, "thresholds": null });
    budgets_page(&api, &visitor, axum::http::StatusCode::OK, None, typed).await
}

/// `POST /w/<ws>/budgets`: sets a scope's monthly budget (admins), read with the CLI's parsers.
async fn set_budget(State(api): State<Api>, Edit { visitor, fields }: Edit) -> Response {
    use crate::domain::budget::{BudgetScope, Thresholds};
    let text = |name: &str| fields.get(name).map(str::trim).filter(|v| !v.is_empty());
    let parsed = (|| {
        let scope: BudgetScope = text("scope").unwrap_or("total").parse()?;
        let amount = crate::domain::money::NumberRule::amount("budget").parse(text("amount").unwrap_or(""))?;
        let currency = text("currency").map(crate::domain::money::Currency::parse).transpose()?;
        let thresholds = text("thresholds").map(Thresholds::parse).transpose()?;
        Ok::<_, crate::domain::UserError>((scope, amount, currency, thresholds))
    })();
    let typed = json!({
        "scope": text("scope"), "amount": text("amount"), "currency": text("currency"), "thresholds": text("thresholds"),
    });
    let result = match parsed {
        Ok((scope, amount, currency, thresholds)) => {
            api.app.set_budget(visitor.workspace(), &visitor.session.actor, scope, amount, currency, thresholds).await
        }
        Err(error) => Err(error.into()),
    };
    match result {
        Ok(_) => see_other(&format!("{}/budgets", visitor.base())),
        Err(error @ crate::app::AppError::User(_)) => {
            let status = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            budgets_page(&api, &visitor, status, Some(error.to_string()), typed).await
        }
        Err(error) => visitor.failure(error),
    }
}

/// `POST /w/<ws>/budgets/<scope>/remove` (admins).
async fn remove_budget(
    State(api): State<Api>,
    Path((_, scope)): Path<(String, String)>,
    Edit { visitor, .. }: Edit,
) -> Response {
    let Ok(scope) = scope.parse::<crate::domain::budget::BudgetScope>() else { return visitor.not_found() };
    match api.app.remove_budget(visitor.workspace(), &visitor.session.actor, scope).await {
        Ok(_) => see_other(&format!("{}/budgets", visitor.base())),
        Err(error) => visitor.failure(error),
    }
}

/// `GET /w/<ws>/sites`: monitored websites with uptime, response time, certificate and domain,
/// and each site's score with its parts.
async fn sites(State(api): State<Api>, visitor: Visitor) -> Response {
    match api.app.sites(visitor.workspace()).await {
        Ok(list) => visitor.page("sites", "sites", json!({ "list": list })),
        Err(error) => visitor.failure(error),
    }
}
