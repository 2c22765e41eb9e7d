//! Everything but the item collections: the analysis pages (dashboard, analysis, trends,
//! renewals, alerts), cost records, budgets, exchange rates, settings, websites, the report and
//! the audit log.

use std::collections::HashMap;

use axum::extract::{OriginalUri, Path, State};
use axum::http::{Method, Uri};
use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::extract::{Caller, IdempotencyKey, Json, Lang, Number, Paging, WholeNumbers, Writer, item_ref};
use super::openapi::{Op, Routes, choice, integer, string};
use super::problem::Problem;
use super::{Answer, Api, view};
use crate::app::{AlertAction, CostInput, CostPeriod, ItemRef, MAX_TREND_MONTHS};
use crate::domain::budget::{BudgetScope, Thresholds};
use crate::domain::calendar::{DateRange, Month, parse_date};
use crate::domain::cost::{CostSource, recorded_period};
use crate::domain::item::Category;
use crate::domain::money::{Currency, NumberRule};
use crate::domain::text::Notes;
use crate::domain::workspace::SettingKey;

pub fn routes(routes: Routes) -> Routes {
    use crate::analysis::dashboard::{Dashboard, Trends};
    use crate::analysis::report::Report;
    use crate::analysis::website::SiteHealth;
    use crate::app::views::{AuditLog, CostHistory, CostView, RateView, SettingsView};
    use crate::app::{AlertList, BudgetList, BudgetView, RenewalList, SiteChanged, SiteList};
    let lang = "`en` or `th` for the worded fields (else Accept-Language, else the workspace's language).";
    let languages = || choice(&["en", "th"]);
    let days = |_: &str| integer(1, 366);
    routes
        .route(
            "/api/cost/dashboard",
            Op::get("The cost dashboard")
                .tag("analysis")
                .describe("The design's Cost Summary at the top level (`total_monthly_cost`, `by_category`, `trends`, `upcoming_renewals`), with everything `jarvis dashboard --json` shows.")
                .query("days", "Renewals coming up within this many days (default 30).", days("days"))
                .query("lang", lang, languages())
                .answers::<Dashboard>(200, "The dashboard."),
            dashboard,
        )
        .route(
            "/api/cost/analysis",
            Op::get("Jarvis's analysis")
                .tag("analysis")
                .describe("The health score with its parts, cost efficiency, recommendations with what they save, risks, website and domain health: the report `jarvis report --json` shows.")
                .query("lang", lang, languages())
                .answers::<Report>(200, "The analysis."),
            analysis,
        )
        .route(
            "/api/cost/trends",
            Op::get("Cost trends")
                .tag("analysis")
                .query("months", "Months to show (default 12).", integer(1, i64::from(MAX_TREND_MONTHS)))
                .query("category", "Only this category.", choice(&Category::names()))
                .query("lang", lang, languages())
                .answers::<Trends>(200, "Spend by month, with projections."),
            trends,
        )
        .route(
            "/api/cost/renewals",
            Op::get("Renewals coming up")
                .tag("analysis")
                .query("days", "Within this many days (default 30).", days("days"))
                .paged()
                .query("lang", lang, languages())
                .answers::<RenewalList>(200, "A page of renewals, soonest first."),
            renewals,
        )
        .route(
            "/api/cost/alerts",
            Op::get("Cost alerts")
                .tag("alerts")
                .query("lang", lang, languages())
                .answers::<AlertList>(200, "The alerts open now."),
            alerts,
        )
        .route(
            "/api/cost/alerts/{key}/{action}",
            Op::post("Acknowledge, snooze or mark renewed an alert")
                .tag("alerts")
                .describe("What the buttons on an alert ping do, to the alert with this key (`key` in `GET /api/cost/alerts`) and the alerts it escalates into. `acknowledge` and `snooze` are for an alert Jarvis has posted in the alert channel (409 otherwise); `renewed` moves a renewal or expiry alert's item to its next renewal.")
                .path("key", "The alert's `key`.")
                .path("action", "`acknowledge`, `snooze` or `renewed`.")
                .query("lang", lang, languages())
                .answers::<AlertDone>(200, "What was done.")
                .problems(&[409]),
            act_on_alert,
        )
        .route(
            "/api/cost/records",
            Op::get("Cost history")
                .tag("records")
                .query("item", "Only this item's records (its id, UUID or name; 404 when none has it, 409 when several kinds share the name).", string())
                .problems(&[404, 409])
                .query("from", "Records paying for days from this date (YYYY-MM-DD).", string())
                .query("to", "Records paying for days up to this date (YYYY-MM-DD).", string())
                .paged()
                .query("lang", lang, languages())
                .answers::<CostHistory>(200, "A page of cost records, latest first."),
            cost_history,
        )
        .route(
            "/api/cost/records",
            Op::post("Record a cost")
                .tag("records")
                .idempotent()
                .query("lang", lang, languages())
                .body::<CostBody>("What was paid, for which item and which days.")
                .answers::<CostView>(201, "The record.")
                .problems(&[404, 409]),
            record_cost,
        )
        .route(
            "/api/cost/records/{id}",
            Op::delete("Remove a cost record")
                .tag("records")
                .path("id", "The record's id (`id` in the cost history).")
                .query("lang", lang, languages())
                .answers::<CostView>(200, "The record as removed."),
            remove_cost,
        )
        .route(
            "/api/cost/budgets",
            Op::get("Budgets").tag("budgets").query("lang", lang, languages()).answers::<BudgetList>(200, "The budgets, with what is spent and forecast."),
            budgets,
        )
        .route(
            "/api/cost/budgets/{scope}",
            Op::put("Set a monthly budget")
                .tag("budgets")
                .path("scope", "`total` or a category (`infrastructure`, `ai_services`, `third_party`, `packages`, `other`).")
                .query("lang", lang, languages())
                .body::<BudgetBody>("The amount and the thresholds that alert.")
                .answers::<BudgetView>(200, "The budget as set."),
            set_budget,
        )
        .route(
            "/api/cost/budgets/{scope}",
            Op::delete("Remove a budget")
                .tag("budgets")
                .path("scope", "`total` or a category.")
                .query("lang", lang, languages())
                .answers::<BudgetView>(200, "The budget as removed."),
            remove_budget,
        )
        .route("/api/cost/rates", Op::get("Exchange rates").tag("rates").answers::<RateList>(200, "The rates set."), rates)
        .route(
            "/api/cost/rates",
            Op::post("Set an exchange rate")
                .tag("rates")
                .idempotent()
                .body::<RateBody>("`1 base = rate quote`, from `date` on.")
                .answers::<RateView>(201, "The rate as set."),
            set_rate,
        )
        .route("/api/cost/settings", Op::get("Settings").tag("settings").answers::<SettingsView>(200, "The workspace's settings."), settings)
        .route(
            "/api/cost/settings",
            Op::put("Change settings")
                .tag("settings")
                .describe("Several at once, all or none: `{\"currency\": \"EUR\", \"timezone\": \"Europe/Paris\"}`. Values are written as `jarvis settings set` takes them; `null` resets one.")
                .body_schema("Setting names and their new values.", settings_body())
                .answers::<SettingsView>(200, "The settings as changed."),
            set_settings,
        )
        .route("/api/cost/sites", Op::get("Websites").tag("sites").query("lang", lang, languages()).answers::<SiteList>(200, "The websites watched, with uptime and certificates."), sites)
        .route(
            "/api/cost/sites",
            Op::post("Watch a website")
                .tag("sites")
                .idempotent()
                .query("lang", lang, languages())
                .body::<SiteBody>("The site to check.")
                .answers::<SiteChanged>(201, "The site as added.")
                .problems(&[409]),
            add_site,
        )
        .route(
            "/api/cost/sites/check",
            Op::post("Check websites now")
                .tag("sites")
                .query("site", "Only this site (its URL or host).", string())
                .query("lang", lang, languages())
                .answers::<SiteList>(200, "The websites after the check.")
                .problems(&[404]),
            check_sites,
        )
        .route(
            "/api/cost/sites/{site}",
            Op::delete("Stop watching a website")
                .tag("sites")
                .path("site", "The site's URL or host.")
                .query("lang", lang, languages())
                .answers::<SiteHealth>(200, "The site as removed."),
            remove_site,
        )
        .route(
            "/api/cost/report",
            Op::post("Post the health report now")
                .tag("analysis")
                .describe("Queues the report for the workspace's report channel in Discord; the bot posts it.")
                .answers::<QueuedAnswer>(202, "Queued.")
                .problems(&[409]),
            post_report,
        )
        .route(
            "/api/cost/audit",
            Op::get("The audit log").tag("audit").paged().query("lang", lang, languages()).answers::<AuditLog>(200, "A page of the audit log, latest first."),
            audit,
        )
}

/// What was done to an alert.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AlertDone {
    /// The alert's key, as asked.
    pub alert: String,
    /// `ack`, `snooze` or `renewed`.
    pub action: &'static str,
    /// What was done, in a sentence.
    pub result: String,
}

/// The exchange rates set.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RateList {
    pub rates: Vec<crate::app::views::RateView>,
}

/// A report queued for Discord.
#[derive(Serialize, utoipa::ToSchema)]
pub struct QueuedAnswer {
    pub queued: bool,
    /// The report channel's id.
    pub channel_id: String,
}

/// `PUT /api/cost/settings`'s body: setting names and values.
fn settings_body() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder};
    let mut body = ObjectBuilder::new().schema_type(utoipa::openapi::schema::Type::Object);
    for key in SettingKey::names() {
        body = body.property(key, utoipa::openapi::schema::Schema::default());
    }
    body.additional_properties(Some(AdditionalProperties::FreeForm(false))).min_properties(Some(1)).build()
}

/// A request's query parameters (the last of a repeated one).
fn query(uri: &Uri) -> HashMap<String, String> {
    url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()).into_owned().collect()
}

/// A whole number query parameter within `range`.
fn number_param(
    query: &HashMap<String, String>,
    name: &str,
    range: std::ops::RangeInclusive<u32>,
) -> Result<Option<u32>, Problem> {
    let Some(text) = query.get(name) else { return Ok(None) };
    match text.trim().parse::<u32>() {
        Ok(n) if range.contains(&n) => Ok(Some(n)),
        _ => Err(Problem::bad_request(
            name,
            format!("`{name}` must be a whole number from {} to {}, not `{text}`", range.start(), range.end()),
        )),
    }
}

fn date_param(query: &HashMap<String, String>, name: &'static str) -> Result<Option<chrono::NaiveDate>, Problem> {
    query.get(name).map(|d| parse_date(name, d).map_err(|e| Problem::bad_request(name, e.to_string()))).transpose()
}

async fn dashboard(
    State(api): State<Api>,
    caller: Caller,
    lang: Lang,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, Problem> {
    let days = number_param(&query(&uri), "days", 1..=366)?;
    api.kept(&caller, lang, &uri, async |lang| {
        Ok(view(lang, &api.app.dashboard(caller.workspace(), days.or(Some(30))).await?))
    })
    .await
}

async fn analysis(
    State(api): State<Api>,
    caller: Caller,
    lang: Lang,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, Problem> {
    api.kept(&caller, lang, &uri, async |lang| Ok(view(lang, &api.app.report(caller.workspace()).await?))).await
}

async fn trends(
    State(api): State<Api>,
    caller: Caller,
    lang: Lang,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, Problem> {
    let query = query(&uri);
    let months = number_param(&query, "months", 1..=MAX_TREND_MONTHS)?;
    let category = query
        .get("category")
        .map(|c| c.parse::<Category>().map_err(|e| Problem::bad_request("category", e.to_string())))
        .transpose()?;
    api.kept(&caller, lang, &uri, async |lang| {
        Ok(view(lang, &api.app.trends(caller.workspace(), months, category).await?))
    })
    .await
}

async fn renewals(
    State(api): State<Api>,
    caller: Caller,
    lang: Lang,
    Paging(page): Paging,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, Problem> {
    let days = number_param(&query(&uri), "days", 1..=366)?;
    api.kept(&caller, lang, &uri, async |lang| {
        Ok(view(lang, &api.app.renewals(caller.workspace(), days.or(Some(30)), page).await?))
    })
    .await
}

async fn alerts(
    State(api): State<Api>,
    caller: Caller,
    lang: Lang,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, Problem> {
    api.kept(&caller, lang, &uri, async |lang| Ok(view(lang, &api.app.alerts(caller.workspace()).await?))).await
}

/// `POST /api/cost/alerts/{key}/acknowledge|snooze|renewed`: what the buttons on an alert ping
/// do, to the alert with that key (as `GET /api/cost/alerts` lists it) and the alerts it
/// escalates into.
async fn act_on_alert(
    State(api): State<Api>,
    Writer(caller): Writer,
    lang: Lang,
    Path((key, action)): Path<(String, String)>,
) -> Result<Answer, Problem> {
    let family = crate::domain::alerting::family(&key);
    let action = match action.as_str() {
        "acknowledge" | "ack" => AlertAction::Acknowledge,
        "snooze" => AlertAction::Snooze,
        "renewed" => AlertAction::Renewed,
        other => {
            return Err(Problem {
                choices: Some(vec!["acknowledge", "snooze", "renewed"]),
                ..Problem::not_found(format!(
                    "`{other}` is not something to do to an alert; use acknowledge, snooze or renewed"
                ))
            });
        }
    };
    let lang = api.language(&caller, lang).await?;
    let done = api.app.act_on_alert(caller.workspace(), &caller.actor(), &family, action).await?;
    let text = crate::render::Renderer::get(lang, crate::render::Flavor::Plain).text(&done);
    Ok(Answer::ok(
        serde_json::to_value(AlertDone { alert: key, action: action.as_str(), result: text }).unwrap_or_default(),
    ))
}

/// An item named in a body: its id (a number), UUID or name.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum ItemName {
    Id(i64),
    Text(String),
}

impl ItemName {
    pub(super) fn reference(&self) -> ItemRef {
        match self {
            ItemName::Id(id) => ItemRef::new(format!("#{id}")),
            ItemName::Text(text) => item_ref(text),
        }
    }
}

/// A cost record to add.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CostBody {
    pub item: ItemName,
    pub amount: Number,
    /// Defaults to the item's currency.
    pub currency: Option<String>,
    /// The days it pays for: one of `month` (`2026-10`), `date` (paid that day, for its billing
    /// cycle) or `from` and `to`; by default the current month.
    pub month: Option<String>,
    pub date: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// `manual` (default), `usage` or `import`.
    pub source: Option<String>,
    pub usage: Option<Number>,
    pub note: Option<String>,
    /// Replace what Jarvis recorded for the same days.
    #[serde(default)]
    pub replace: bool,
    /// Record it even when the same amount for the same days is recorded already.
    #[serde(default)]
    pub again: bool,
    /// Narrows `item` when two kinds share its name.
    pub kind: Option<String>,
}

impl CostBody {
    fn input(&self) -> Result<CostInput, Problem> {
        let period = match (&self.month, &self.date, &self.from, &self.to) {
            (None, None, None, None) => CostPeriod::CurrentMonth,
            (Some(month), None, None, None) => CostPeriod::Month(month.parse::<Month>()?),
            (None, Some(date), None, None) => CostPeriod::PaidOn(parse_date("date", date)?),
            (None, None, Some(from), Some(to)) => {
                CostPeriod::Range(recorded_period(parse_date("from", from)?, parse_date("to", to)?)?)
            }
            (None, None, Some(_), None) | (None, None, None, Some(_)) => {
                return Err(Problem::invalid("to", "Give both `from` and `to` (the first and last day it pays for)"));
            }
            _ => {
                return Err(Problem::invalid(
                    "month",
                    "Give one of `month`, `date`, or `from` and `to`: they say the same thing in different ways",
                ));
            }
        };
        let source: CostSource = match &self.source {
            Some(source) => source.parse::<CostSource>()?.for_hand_records()?,
            None => CostSource::Manual,
        };
        let kind = self.kind.as_deref().map(str::parse).transpose()?;
        Ok(CostInput {
            item: self.item.reference().with_kind(kind),
            amount: NumberRule::amount("amount").parse(&self.amount.0)?,
            currency: self.currency.as_deref().map(Currency::parse).transpose()?,
            period,
            source,
            usage: self.usage.as_ref().map(|u| NumberRule::quantity("usage").parse(&u.0)).transpose()?,
            note: self.note.as_deref().map(Notes::parse).transpose()?,
            replace: self.replace,
            again: self.again,
        })
    }
}

async fn cost_history(
    State(api): State<Api>,
    caller: Caller,
    lang: Lang,
    Paging(page): Paging,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, Problem> {
    let query = query(&uri);
    let (from, to) = (date_param(&query, "from")?, date_param(&query, "to")?);
    if let (Some(from), Some(to)) = (from, to) {
        DateRange::between(from, to).map_err(|e| Problem::bad_request("to", e.to_string()))?;
    }
    let item = query.get("item").map(|i| item_ref(i));
    api.kept(&caller, lang, &uri, async |lang| {
        Ok(view(lang, &api.app.cost_history(caller.workspace(), item.as_ref(), from, to, page).await?))
    })
    .await
}

async fn record_cost(
    State(api): State<Api>,
    Writer(caller): Writer,
    lang: Lang,
    key: IdempotencyKey,
    OriginalUri(uri): OriginalUri,
    body: Json<CostBody>,
) -> Result<Response, Problem> {
    let input = body.value.input()?;
    let lang = api.language(&caller, lang).await?;
    let request = (Method::POST.as_str(), uri.path(), body.bytes.as_ref());
    api.write_once(&caller.clone(), &key, request, |app| async move {
        let recorded = app.record_cost(caller.workspace(), &caller.actor(), &input).await?;
        Ok(Answer::created(view(lang, &recorded), format!("/api/cost/records/{}", recorded.id)))
    })
    .await
}

async fn remove_cost(
    State(api): State<Api>,
    Writer(caller): Writer,
    lang: Lang,
    Path(id): Path<String>,
) -> Result<Answer, Problem> {
    let id: i64 = id.trim().trim_start_matches('#').parse().map_err(|_| {
        Problem::not_found(format!("`{id}` is not a cost record's id (a number, as `id` in /api/cost/records shows)"))
    })?;
    let lang = api.language(&caller, lang).await?;
    Ok(Answer::ok(view(lang, &api.app.remove_cost(caller.workspace(), &caller.actor(), id).await?)))
}

async fn budgets(
    State(api): State<Api>,
    caller: Caller,
    lang: Lang,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, Problem> {
    api.kept(&caller, lang, &uri, async |lang| Ok(view(lang, &api.app.budgets(caller.workspace()).await?))).await
}

/// A monthly budget.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BudgetBody {
    pub amount: Number,
    /// Defaults to the base currency.
    pub currency: Option<String>,
    /// Percentages of the budget that alert: `[80, 100]` or `"80,100"` (default: the budget's
    /// current ones, else 80 and 100).
    pub thresholds: Option<WholeNumbers>,
}

fn scope(text: &str) -> Result<BudgetScope, Problem> {
    text.parse::<BudgetScope>().map_err(|e| Problem { status: 404, ..Problem::from(e) })
}

async fn set_budget(
    State(api): State<Api>,
    Writer(caller): Writer,
    lang: Lang,
    Path(scope_text): Path<String>,
    body: Json<BudgetBody>,
) -> Result<Answer, Problem> {
    let scope = scope(&scope_text)?;
    let amount = NumberRule::amount("budget").parse(&body.value.amount.0)?;
    let currency = body.value.currency.as_deref().map(Currency::parse).transpose()?;
    let thresholds = body.value.thresholds.clone().map(|t| Thresholds::parse(&t.text())).transpose()?;
    let lang = api.language(&caller, lang).await?;
    let set = api.app.set_budget(caller.workspace(), &caller.actor(), scope, amount, currency, thresholds).await?;
    Ok(Answer::ok(view(lang, &set)))
}

async fn remove_budget(
    State(api): State<Api>,
    Writer(caller): Writer,
    lang: Lang,
    Path(scope_text): Path<String>,
) -> Result<Answer, Problem> {
    let scope = scope(&scope_text)?;
    let lang = api.language(&caller, lang).await?;
    Ok(Answer::ok(view(lang, &api.app.remove_budget(caller.workspace(), &caller.actor(), scope).await?)))
}

async fn rates(State(api): State<Api>, caller: Caller) -> Result<Answer, Problem> {
    Ok(Answer::ok(
        serde_json::to_value(RateList { rates: api.app.list_rates(caller.workspace()).await? }).unwrap_or_default(),
    ))
}

/// An exchange rate: `1 base = rate quote` from `date` (default today) on.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RateBody {
    pub base: String,
    pub quote: String,
    pub rate: Number,
    pub date: Option<String>,
}

async fn set_rate(
    State(api): State<Api>,
    Writer(caller): Writer,
    key: IdempotencyKey,
    OriginalUri(uri): OriginalUri,
    body: Json<RateBody>,
) -> Result<Response, Problem> {
    let rate = &body.value;
    let (base, quote) = (Currency::parse(&rate.base)?, Currency::parse(&rate.quote)?);
    let value = NumberRule::rate("rate").parse(&rate.rate.0)?;
    let date = rate.date.as_deref().map(|d| parse_date("date", d)).transpose()?;
    let request = (Method::POST.as_str(), uri.path(), body.bytes.as_ref());
    api.write_once(&caller.clone(), &key, request, |app| async move {
        let set = app.set_rate(caller.workspace(), &caller.actor(), base, quote, value, date).await?;
        Ok(Answer::created(serde_json::to_value(&set).unwrap_or_default(), "/api/cost/rates".to_string()))
    })
    .await
}

async fn settings(State(api): State<Api>, caller: Caller) -> Result<Answer, Problem> {
    Ok(Answer::ok(serde_json::to_value(api.app.settings(caller.workspace()).await?).unwrap_or_default()))
}

/// `PUT /api/cost/settings`: `{"currency": "EUR", "timezone": "Europe/Paris"}`, all or none.
async fn set_settings(
    State(api): State<Api>,
    Writer(caller): Writer,
    body: Json<serde_json::Map<String, serde_json::Value>>,
) -> Result<Answer, Problem> {
    if body.value.is_empty() {
        return Err(Problem::invalid(
            "body",
            format!("Give at least one setting to change; the settings are: {}", SettingKey::names().join(", ")),
        ));
    }
    let mut values = Vec::new();
    for (name, value) in &body.value {
        let key: SettingKey = name.parse().map_err(|e| Problem::from(e).with_field(name.clone()))?;
        let text = match value {
            serde_json::Value::String(text) => text.clone(),
            serde_json::Value::Number(number) => number.to_string(),
            serde_json::Value::Array(list) if list.iter().all(|v| v.is_u64()) => {
                list.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(",")
            }
            serde_json::Value::Null => "none".to_string(),
            other => {
                return Err(Problem::invalid(
                    name.clone(),
                    format!("`{name}` takes text such as `settings set` does, not {other}"),
                ));
            }
        };
        // The value alone decides whether it is valid for its key; checked before the write.
        crate::domain::workspace::Settings::default()
            .with(key, &text)
            .map_err(|e| Problem::from(e).with_field(name.clone()))?;
        values.push((key, text));
    }
    Ok(Answer::ok(
        serde_json::to_value(api.app.set_settings(caller.workspace(), &caller.actor(), &values).await?)
            .unwrap_or_default(),
    ))
}

async fn sites(State(api): State<Api>, caller: Caller, lang: Lang) -> Result<Answer, Problem> {
    let lang = api.language(&caller, lang).await?;
    Ok(Answer::ok(view(lang, &api.app.sites(caller.workspace()).await?)))
}

/// A website to watch.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SiteBody {
    pub url: String,
    /// Text the page must contain.
    pub keyword: Option<String>,
    /// Minutes between checks.
    pub interval_minutes: Option<u32>,
}

async fn add_site(
    State(api): State<Api>,
    Writer(caller): Writer,
    lang: Lang,
    key: IdempotencyKey,
    OriginalUri(uri): OriginalUri,
    body: Json<SiteBody>,
) -> Result<Response, Problem> {
    let site = body.value.clone();
    crate::app::site_fields(&site.url, site.keyword.as_deref(), site.interval_minutes)?;
    let lang = api.language(&caller, lang).await?;
    let request = (Method::POST.as_str(), uri.path(), body.bytes.as_ref());
    api.write_once(&caller.clone(), &key, request, |app| async move {
        let added = app
            .add_site(caller.workspace(), &caller.actor(), &site.url, site.keyword.as_deref(), site.interval_minutes)
            .await?;
        Ok(Answer::created(view(lang, &added), "/api/cost/sites".to_string()))
    })
    .await
}

async fn check_sites(
    State(api): State<Api>,
    Writer(caller): Writer,
    lang: Lang,
    OriginalUri(uri): OriginalUri,
) -> Result<Answer, Problem> {
    let site = query(&uri).get("site").cloned();
    let lang = api.language(&caller, lang).await?;
    Ok(Answer::ok(view(lang, &api.app.check_sites_now(caller.workspace(), site.as_deref()).await?)))
}

async fn remove_site(
    State(api): State<Api>,
    Writer(caller): Writer,
    lang: Lang,
    Path(site): Path<String>,
) -> Result<Answer, Problem> {
    let lang = api.language(&caller, lang).await?;
    Ok(Answer::ok(view(lang, &api.app.remove_site(caller.workspace(), &caller.actor(), &site).await?)))
}

/// `POST /api/cost/report`: posts the health report in the report channel now.
async fn post_report(State(api): State<Api>, Writer(caller): Writer) -> Result<Answer, Problem> {
    let Some(schedule) = api.app.schedule(caller.workspace()).await? else {
        return Err(crate::domain::UserError::Conflict(
            "This workspace has no report channel yet; an admin sets one with `/schedule set` in Discord".into(),
        )
        .into());
    };
    let queued = api.app.queue_report(caller.workspace(), &caller.actor(), schedule.channel_id).await?;
    Ok(Answer {
        status: 202,
        ..Answer::ok(
            serde_json::to_value(QueuedAnswer { queued: true, channel_id: queued.channel_id.to_string() })
                .unwrap_or_default(),
        )
    })
}

async fn audit(State(api): State<Api>, caller: Caller, lang: Lang, Paging(page): Paging) -> Result<Answer, Problem> {
    let lang = api.language(&caller, lang).await?;
    Ok(Answer::ok(view(lang, &api.app.audit_log(caller.workspace(), page).await?)))
}
