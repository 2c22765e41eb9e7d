//! The renewal calendar: a month's grid (a list of its renewal days at phone width), and the
//! same renewals as an iCalendar feed at a secret address that calendar apps subscribe to.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{Datelike, Duration};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Api, Visitor};
use crate::domain::calendar::{DateRange, Month};
use crate::domain::money::Money;
use crate::render::{Flavor, Renderer};

pub fn router() -> Router<Api> {
    Router::new().route("/w/{workspace}/calendar", get(month)).route("/calendar/{file}", get(feed))
}

#[derive(Debug, Default, Deserialize)]
struct MonthQuery {
    month: Option<String>,
    /// A day whose renewals are all shown (a busy day shows its first few otherwise).
    day: Option<String>,
}

/// Renewals a day shows before "and N more".
const PER_DAY: usize = 5;

/// `GET /w/<ws>/calendar?month=YYYY-MM`: the month's renewals by day (this month by default).
async fn month(State(api): State<Api>, Query(query): Query<MonthQuery>, visitor: Visitor) -> Response {
    let today = match api.app.today_in(visitor.workspace()).await {
        Ok(today) => today,
        Err(error) => return visitor.failure(error),
    };
    let month = query.month.as_deref().and_then(|m| m.parse::<Month>().ok()).unwrap_or_else(|| Month::of(today));
    let calendar = match api.app.renewals_between(visitor.workspace(), month.range()).await {
        Ok(calendar) => calendar,
        Err(error) => return visitor.failure(error),
    };
    let renderer = visitor.renderer();
    let base = visitor.base();
    let renewal = |r: &crate::analysis::dashboard::UpcomingRenewal| {
        json!({
            "item": r.item,
            "link": format!("{base}/items/{}", r.item_id),
            "price": r.price.to_string(),
            "auto_renew": r.auto_renew,
        })
    };
    // Weeks from Monday, covering the month; a day shows its first few renewals, and all of
    // them when it is the day asked for.
    let first = month.first_day();
    let start = first - Duration::days(i64::from(first.weekday().num_days_from_monday()));
    let chosen = query.day.as_deref().and_then(|d| d.parse::<chrono::NaiveDate>().ok());
    let mut weeks: Vec<Value> = Vec::new();
    let mut day = start;
    while day <= month.last_day() {
        let days: Vec<Value> = (0..7)
            .map(|offset| {
                let date = day + Duration::days(offset);
                let all: Vec<&crate::analysis::dashboard::UpcomingRenewal> =
                    calendar.renewals.iter().filter(|r| r.date == date).collect();
                let shown = if chosen == Some(date) { all.len() } else { all.len().min(PER_DAY) };
                json!({
                    "day": date.day(),
                    "date": date.to_string(),
                    "weekday": renderer.message(&format!("web.weekday.{}", date.weekday().number_from_monday()), &json!({})),
                    "in_month": Month::of(date) == month,
                    "today": date == today,
                    "renewals": all.iter().take(shown).map(|r| renewal(r)).collect::<Vec<_>>(),
                    "more": all.len() - shown,
                    "more_link": format!("{base}/calendar?month={month}&day={date}#d-{date}"),
                })
            })
            .collect();
        weeks.push(json!({ "days": days }));
        day += Duration::days(7);
    }
    let total: Decimal = calendar.renewals.iter().filter_map(|r| r.cost.as_ref()).map(|c| c.0.amount).sum();
    let unconverted = calendar.renewals.iter().any(|r| r.cost.is_none());
    let title = format!("{} {}", renderer.message(&format!("web.month.{}", month.month()), &json!({})), month.year());
    let weekdays: Vec<String> = (1..=7).map(|d| renderer.message(&format!("web.weekday.{d}"), &json!({}))).collect();
    let link = |m: Month| format!("{base}/calendar?month={m}");
    let view = json!({
        "title": title,
        "weekdays": weekdays,
        "weeks": weeks,
        "count": calendar.renewals.len(),
        "total": Money::new(total, calendar.base_currency).to_string(),
        "unconverted": unconverted,
        "previous": link(month.prev()),
        "next": link(month.next()),
        "current": (month != Month::of(today)).then(|| link(Month::of(today))),
    });
    visitor.page("calendar", "calendar", view)
}

/// How far the feed looks back and ahead.
const FEED_BACK: Duration = Duration::days(31);
const FEED_AHEAD: Duration = Duration::days(366);

/// `GET /calendar/<secret>.ics`: the renewals from a month ago to a year ahead, for a calendar
/// app. The secret address is the only key: a wrong one is a plain 404.
async fn feed(State(api): State<Api>, Path(file): Path<String>) -> Response {
    let not_found = || {
        (
            StatusCode::NOT_FOUND,
            "There is no calendar at this address; an admin can make a new one on the Settings page\n",
        )
            .into_response()
    };
    let Some(secret) = file.strip_suffix(".ics") else { return not_found() };
    let workspace = match api.app.calendar_workspace(secret).await {
        Ok(Some(workspace)) => workspace,
        Ok(None) => return not_found(),
        Err(error) => return super::failure_page(crate::domain::workspace::Language::English, error),
    };
    let made = async {
        let today = api.app.today_in(&workspace).await?;
        let range = DateRange { start: today - FEED_BACK, end: today + FEED_AHEAD };
        let calendar = api.app.renewals_between(&workspace, range).await?;
        let language = api.app.language(&workspace).await?;
        Ok::<_, crate::app::AppError>(crate::render::ics::renewal_feed(
            Renderer::get(language, Flavor::Plain),
            &workspace,
            &calendar,
            api.app.now(),
        ))
    };
    match made.await {
        Ok(ics) => (
            [(header::CONTENT_TYPE, "text/calendar; charset=utf-8"), (header::CACHE_CONTROL, "private, max-age=900")],
            ics,
        )
            .into_response(),
        Err(error) => super::failure_page(crate::domain::workspace::Language::English, error),
    }
}
