//! The read pages: the cost dashboard (with the alerts panel's buttons).

use axum::Router;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::json;

use super::{Api, Visitor, checked, see_other, visitor};
use crate::analysis::dashboard::Dashboard;
use crate::app::AlertAction;
use crate::domain::item::Category;
use crate::render::Renderer;
use crate::render::svg::{self, Bar};

pub fn router() -> Router<Api> {
    Router::new().route("/w/{workspace}/", get(dashboard)).route("/w/{workspace}/alerts/{key}/{action}", post(alert))
}

/// Runs `page` for the visitor of `workspace`, or answers with the refusal.
macro_rules! signed_in {
    ($api:expr, $workspace:expr, $headers:expr) => {
        match visitor(&$api, &$workspace, &$headers).await {
            Ok(visitor) => visitor,
            Err(page) => return page,
        }
    };
}
pub(super) use signed_in;

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
    let mut months: Vec<Bar> = dashboard
        .trends
        .iter()
        .map(|m| month_bar(m.month, m.cost.amount, m.cost.to_string(), ""))
        .collect();
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
fn month_bar(month: crate::domain::calendar::Month, value: rust_decimal::Decimal, shown: String, class: &'static str) -> Bar {
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

/// `GET /w/<ws>/`: the cost dashboard.
async fn dashboard(State(api): State<Api>, Path(workspace): Path<String>, headers: HeaderMap) -> Response {
    let visitor = signed_in!(api, workspace, headers);
    let dashboard = match api.app.dashboard(visitor.workspace(), None).await {
        Ok(dashboard) => dashboard,
        Err(error) => return visitor.failure(error),
    };
    let charts = dashboard_charts(visitor.renderer(), &dashboard);
    visitor.page("dashboard", "dashboard", json!({ "dashboard": dashboard, "charts": charts }))
}

/// `POST /w/<ws>/alerts/<key>/acknowledge|snooze`: an alert's buttons, for admins; back to
/// the dashboard with what was done.
async fn alert(
    State(api): State<Api>,
    Path((workspace, key, action)): Path<(String, String, String)>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let visitor: Visitor = signed_in!(api, workspace, headers);
    if let Err(page) = checked(&visitor, &body) {
        return page;
    }
    if let Err(page) = visitor.require_edit() {
        return page;
    }
    let action = match action.as_str() {
        "acknowledge" => AlertAction::Acknowledge,
        "snooze" => AlertAction::Snooze,
        _ => return super::not_found(&headers),
    };
    let family = crate::domain::alerting::family(&key);
    match api.app.act_on_alert(visitor.workspace(), &visitor.session.actor, &family, action).await {
        Ok(_) => see_other(&format!("{}/#alerts", visitor.base())),
        Err(error) => visitor.failure(error),
    }
}
