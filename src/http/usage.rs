//! `POST /api/cost/usage`: an application pushes what it used, one event or a batch, and each
//! event is added to its item's day (see `app/usage.rs`).

use axum::extract::{OriginalUri, State};
use axum::http::Method;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::extract::{IdempotencyKey, Json, Number, Writer};
use super::ledger::ItemName;
use super::openapi::{Op, Routes};
use super::problem::Problem;
use super::{Answer, Api};
use crate::app::{MAX_EVENTS, PushSummary, UsageEvent};
use crate::domain::money::NumberRule;

pub fn routes(routes: Routes) -> Routes {
    routes.route(
        "/api/cost/usage",
        Op::post("Push usage")
            .tag("usage")
            .describe(&format!(
                "Counts what an application used, right after it used it: one event (an object) or a batch of up to {MAX_EVENTS} (`{{\"events\": [...]}}`). Each event is added to its item's day, in the workspace's timezone: one cost record per item and day, and the item's usage meter for the open billing cycle (free tier, limit, run-out dates, alerts). Without `cost`, an event costs what the item's price per unit says, the free tier used up first. An event with an `idempotency_key` counted before (within 30 days) is not counted again, so a retried push is safe. A batch with an event that cannot be counted is refused whole (422, naming the event by its place, from 0)."
            ))
            .idempotent()
            .body::<PushBody>("The events (or one event, as an object on its own).")
            .answers::<PushSummary>(200, "What was counted, per item and day.")
            .problems(&[422]),
        push,
    )
}

/// A batch of usage events.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PushBody {
    pub events: Vec<EventBody>,
}

/// One usage event.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventBody {
    /// The item: its id (a number), UUID or name.
    pub item: ItemName,
    /// Units used, in the item's meter's unit (e.g. `1` request, `1530` tokens).
    pub quantity: Number,
    /// The unit, to check it is the item's (refused if it is not).
    pub unit: Option<String>,
    /// When it was used (RFC 3339); now when left out.
    pub at: Option<String>,
    /// What it cost, in the item's currency; worked out from the item's price per unit when left out.
    pub cost: Option<Number>,
    /// Any text up to 200 characters, unique per event: sending it again counts it once.
    pub idempotency_key: Option<String>,
}

impl EventBody {
    fn event(&self, index: usize) -> Result<UsageEvent, Problem> {
        let field = |name: &str| format!("events[{index}].{name}");
        let at = self
            .at
            .as_deref()
            .map(|at| {
                chrono::DateTime::parse_from_rfc3339(at.trim()).map(|t| t.to_utc()).map_err(|_| {
                    Problem::invalid(
                        field("at"),
                        format!("`{at}` is not a time; give an RFC 3339 time such as 2026-12-07T09:30:00Z"),
                    )
                })
            })
            .transpose()?;
        let quantity = NumberRule::quantity("quantity")
            .parse(&self.quantity.0)
            .map_err(|e| Problem::invalid(field("quantity"), e.to_string()))?;
        let cost = self
            .cost
            .as_ref()
            .map(|c| NumberRule::stored_amount("cost").parse(&c.0))
            .transpose()
            .map_err(|e| Problem::invalid(field("cost"), e.to_string()))?;
        Ok(UsageEvent {
            item: self.item.reference(),
            quantity,
            unit: self.unit.clone(),
            at,
            cost,
            key: self.idempotency_key.clone(),
        })
    }
}

/// One event on its own, or `{"events": [...]}`.
fn events(raw: &RawValue) -> Result<Vec<EventBody>, Problem> {
    let text = raw.get();
    let batch = text.trim_start().starts_with('{')
        && serde_json::from_str::<std::collections::HashMap<String, &RawValue>>(text)
            .is_ok_and(|fields| fields.contains_key("events"));
    let read = |error: serde_path_to_error::Error<serde_json::Error>| {
        let path = error.path().to_string();
        Problem::invalid(if path == "." { "body".to_string() } else { path }, error.inner().to_string())
    };
    if batch {
        let body: PushBody =
            serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_str(text)).map_err(read)?;
        Ok(body.events)
    } else {
        let one: EventBody =
            serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_str(text)).map_err(read)?;
        Ok(vec![one])
    }
}

async fn push(
    State(api): State<Api>,
    Writer(caller): Writer,
    key: IdempotencyKey,
    OriginalUri(uri): OriginalUri,
    body: Json<Box<RawValue>>,
) -> Result<axum::response::Response, Problem> {
    let bodies = events(&body.value)?;
    let events = bodies.iter().enumerate().map(|(i, e)| e.event(i)).collect::<Result<Vec<_>, _>>()?;
    // Each event's idempotency_key makes it count once; an Idempotency-Key header on the whole
    // request works as on every POST (a retry gets the first answer back).
    let request = (Method::POST.as_str(), uri.path(), body.bytes.as_ref());
    api.write_once(&caller.clone(), &key, request, |app| async move {
        let summary = app.push_usage(caller.workspace(), &caller.actor(), &events).await?;
        Ok(Answer::ok(serde_json::to_value(&summary).map_err(|e| crate::app::AppError::Internal(e.into()))?))
    })
    .await
}
