//! The items pages: the table (filter, search, sort, pages), one item with its form, adding,
//! removing and restoring. The form's fields go through `ItemForm`, the parser Discord's forms
//! use, so a bad value gets the same message as everywhere else, shown beside its field.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Api, Edit, Editor, Fields, Visitor, see_other};
use crate::app::views::ItemView;
use crate::app::{AppError, ItemFilter, ItemForm, ItemRef, ItemSort};
use crate::domain::UserError;
use crate::domain::item::{
    ApiKeyStatus, BillingPeriod, Category, IntegrationType, Kind, ManualStatus, PricingModel, ServiceType, Status,
};
use crate::render::Renderer;

pub fn router() -> Router<Api> {
    Router::new()
        .route("/w/{workspace}/items", get(list))
        .route("/w/{workspace}/items/new", get(new_form).post(add))
        .route("/w/{workspace}/items/{id}", get(show).post(edit))
        .route("/w/{workspace}/items/{id}/remove", post(remove))
        .route("/w/{workspace}/items/{id}/restore", post(restore))
}

/// Items shown on one page of the table.
const PER_PAGE: u32 = 25;

/// The table's query: `?category&kind&status&q&sort&page&removed`. Unknown values are ignored
/// (a hand-edited address shows everything rather than an error page).
#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    category: Option<String>,
    kind: Option<String>,
    status: Option<String>,
    q: Option<String>,
    sort: Option<String>,
    page: Option<String>,
    removed: Option<String>,
}

fn parse<T: std::str::FromStr>(value: &Option<String>) -> Option<T> {
    value.as_deref().filter(|v| !v.is_empty()).and_then(|v| v.parse().ok())
}

/// The options of a `<select>`: every value with its name in the reader's language, the one
/// chosen marked.
fn options(renderer: &Renderer, group: &str, values: &[&'static str], chosen: Option<&str>) -> Vec<Value> {
    values
        .iter()
        .map(|value| {
            let label = renderer.name(group, value).unwrap_or_else(|| value.to_string());
            json!({ "value": value, "label": label, "selected": Some(*value) == chosen })
        })
        .collect()
}

/// `GET /w/<ws>/items`: the items table.
async fn list(State(api): State<Api>, Query(query): Query<ListQuery>, visitor: Visitor) -> Response {
    let filter = ItemFilter {
        kind: parse(&query.kind),
        category: parse(&query.category),
        status: parse(&query.status),
        search: query.q.clone().filter(|q| !q.trim().is_empty()),
        sort: parse(&query.sort).unwrap_or_default(),
        removed: query.removed.as_deref() == Some("1"),
    };
    let fetch = |page| api.app.list_items(visitor.workspace(), filter.clone(), page);
    let list = match super::page_or_last(query.page.as_deref(), PER_PAGE, fetch).await {
        Ok(list) => list,
        Err(error) => return visitor.failure(error),
    };
    let renderer = visitor.renderer();
    // The address of this list with one parameter changed (for sort headers and pages).
    let link = |key: &str, value: &str| {
        let mut pairs = url::form_urlencoded::Serializer::new(String::new());
        let current = [
            ("category", filter.category.map(|c| c.as_str().to_string())),
            ("kind", filter.kind.map(|k| k.as_str().to_string())),
            ("status", filter.status.map(|s| s.as_str().to_string())),
            ("q", filter.search.clone()),
            ("sort", Some(filter.sort.as_str().to_string()).filter(|s| s != "category")),
            ("removed", filter.removed.then(|| "1".to_string())),
        ];
        for (k, v) in current {
            if k == key {
                continue;
            }
            if let Some(v) = v {
                pairs.append_pair(k, &v);
            }
        }
        if !value.is_empty() {
            pairs.append_pair(key, value);
        }
        format!("{}/items?{}", visitor.base(), pairs.finish())
    };
    let pages = super::pager(&list.paging, |page| link("page", &page.to_string()));
    let sorts: Vec<Value> = ItemSort::names()
        .into_iter()
        .map(|s| {
            let label = renderer.message(&format!("web.sort.{s}"), &json!({}));
            json!({ "value": s, "label": label, "link": link("sort", s), "current": s == filter.sort.as_str() })
        })
        .collect();
    let kinds: Vec<&str> = Kind::names();
    let view = json!({
        "list": list,
        "filter": {
            "q": filter.search.clone().unwrap_or_default(),
            "removed": filter.removed,
            "categories": options(renderer, "category", &Category::names(), filter.category.map(|c| c.as_str()))
                .into_iter()
                .map(|mut option| {
                    option["link"] = json!(link("category", option["value"].as_str().unwrap_or_default()));
                    option
                })
                .collect::<Vec<_>>(),
            "category": filter.category.map(|c| c.as_str()),
            "all_link": link("category", ""),
            "kinds": options(renderer, "kind", &kinds, filter.kind.map(|k| k.as_str())),
            "statuses": options(renderer, "status", &Status::names(), filter.status.map(|s| s.as_str())),
            "sorts": sorts,
            "sort": filter.sort.as_str(),
            "live_link": link("removed", ""),
            "removed_link": link("removed", "1"),
        },
        "pages": pages,
    });
    visitor.page("items", "items", view)
}

/// One field of the item form, as the template shows it.
struct FieldSpec {
    name: &'static str,
    input: Input,
    /// The kinds it applies to; `None`: every kind.
    kinds: Option<&'static [Kind]>,
}

#[derive(Clone, Copy)]
enum Input {
    Text,
    Amount,
    Quantity,
    Date,
    Check,
    Area,
    /// A `<select>` of a choice group (`name.<group>.*`) with its values.
    Choice(&'static str, fn() -> Vec<&'static str>),
}

const FIELDS: &[FieldSpec] = &[
    FieldSpec { name: "name", input: Input::Text, kinds: None },
    FieldSpec { name: "provider", input: Input::Text, kinds: None },
    FieldSpec { name: "cost", input: Input::Amount, kinds: None },
    FieldSpec { name: "currency", input: Input::Text, kinds: None },
    FieldSpec { name: "billing_period", input: Input::Choice("period", BillingPeriod::names), kinds: None },
    FieldSpec { name: "renewal_date", input: Input::Date, kinds: None },
    FieldSpec { name: "auto_renew", input: Input::Check, kinds: None },
    FieldSpec { name: "status", input: Input::Choice("status", ManualStatus::names), kinds: None },
    FieldSpec { name: "registrar", input: Input::Text, kinds: Some(&[Kind::Domain]) },
    FieldSpec { name: "server_type", input: Input::Text, kinds: Some(&[Kind::Hosting]) },
    FieldSpec { name: "specs", input: Input::Text, kinds: Some(&[Kind::Hosting]) },
    FieldSpec {
        name: "service_type",
        input: Input::Choice("service", ServiceType::names),
        kinds: Some(&[Kind::AiProvider]),
    },
    FieldSpec {
        name: "pricing_model",
        input: Input::Choice("pricing", PricingModel::names),
        kinds: Some(&[Kind::AiProvider, Kind::Integration]),
    },
    FieldSpec {
        name: "api_key_status",
        input: Input::Choice("api_key", ApiKeyStatus::names),
        kinds: Some(&[Kind::AiProvider]),
    },
    FieldSpec {
        name: "integration_type",
        input: Input::Choice("integration", IntegrationType::names),
        kinds: Some(&[Kind::Integration]),
    },
    FieldSpec { name: "features", input: Input::Text, kinds: Some(&[Kind::Package]) },
    FieldSpec { name: "unit", input: Input::Text, kinds: None },
    FieldSpec { name: "unit_price", input: Input::Amount, kinds: None },
    FieldSpec { name: "free_tier", input: Input::Quantity, kinds: None },
    FieldSpec { name: "usage", input: Input::Quantity, kinds: None },
    FieldSpec { name: "usage_limit", input: Input::Quantity, kinds: None },
    FieldSpec { name: "lead_times", input: Input::Text, kinds: None },
    FieldSpec { name: "yearly_price", input: Input::Amount, kinds: None },
    FieldSpec { name: "plan_price", input: Input::Amount, kinds: None },
    FieldSpec { name: "notes", input: Input::Area, kinds: None },
];

/// The fields of `kind`'s form.
fn fields_of(kind: Kind) -> impl Iterator<Item = &'static FieldSpec> {
    FIELDS.iter().filter(move |f| f.kinds.is_none_or(|kinds| kinds.contains(&kind)))
}

/// What each field of `item` shows in the form (the text that would set it as it is).
fn current_values(item: &ItemView) -> Vec<(&'static str, String)> {
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let choice = |v: Option<&str>| v.unwrap_or_default().to_string();
    let usage = item.usage.as_ref();
    // As typed, without grouping: what the form's parser reads back.
    let exact = |m: &crate::app::views::TypedMoney| crate::domain::money::exact_amount(m.0.amount, m.0.currency);
    vec![
        ("name", item.name.clone()),
        ("provider", text(&item.provider)),
        ("cost", exact(&item.cost)),
        ("currency", item.cost.0.currency.code().to_string()),
        ("billing_period", item.billing_period.as_str().to_string()),
        ("renewal_date", item.renewal_date.map(|d| d.to_string()).unwrap_or_default()),
        ("auto_renew", if item.auto_renew { "on".into() } else { String::new() }),
        ("status", item.manual_status.as_str().to_string()),
        ("registrar", text(&item.registrar)),
        ("server_type", text(&item.server_type)),
        ("specs", text(&item.specs)),
        ("service_type", choice(item.service_type.map(|s| s.as_str()))),
        ("pricing_model", choice(item.pricing_model.map(|s| s.as_str()))),
        ("api_key_status", choice(item.api_key_status.map(|s| s.as_str()))),
        ("integration_type", choice(item.integration_type.map(|s| s.as_str()))),
        ("features", item.features.as_ref().map(|f| f.join(", ")).unwrap_or_default()),
        ("unit", usage.map(|u| u.unit.clone()).unwrap_or_default()),
        ("unit_price", usage.and_then(|u| u.unit_price.as_ref()).map(exact).unwrap_or_default()),
        ("free_tier", usage.and_then(|u| u.free_tier).map(|d| d.normalize().to_string()).unwrap_or_default()),
        ("usage", usage.map(|u| u.used.normalize().to_string()).unwrap_or_default()),
        ("usage_limit", usage.and_then(|u| u.limit).map(|d| d.normalize().to_string()).unwrap_or_default()),
        ("lead_times", item.lead_times.as_ref().map(|l| l.to_string()).unwrap_or_default()),
        ("yearly_price", item.yearly_price.as_ref().map(exact).unwrap_or_default()),
        ("plan_price", item.plan_price.as_ref().map(exact).unwrap_or_default()),
        ("notes", text(&item.notes)),
    ]
}

/// The form's fields for `kind` as the template shows them: each with its label, input type,
/// value (as typed, or as stored), choices, and the message about it when it was refused.
fn form_fields(
    renderer: &Renderer,
    kind: Kind,
    values: &dyn Fn(&str) -> String,
    error: Option<(&str, &str)>,
) -> Vec<Value> {
    fields_of(kind)
        .map(|field| {
            let value = values(field.name);
            let (input, choices) = match field.input {
                Input::Text => ("text", None),
                Input::Amount | Input::Quantity => ("number", None),
                Input::Date => ("date", None),
                Input::Check => ("checkbox", None),
                Input::Area => ("textarea", None),
                Input::Choice(group, values) => {
                    ("select", Some(options(renderer, group, &values(), Some(value.as_str()))))
                }
            };
            let label = renderer.message(&format!("web.field.{}", field.name), &json!({}));
            let hint_id = format!("web.hint.{}", field.name);
            let hint = renderer.has(&hint_id).then(|| renderer.message(&hint_id, &json!({})));
            json!({
                "field": field.name,
                "label": label,
                "hint": hint,
                "input": input,
                "value": value,
                "checked": input == "checkbox" && !value.is_empty(),
                "choices": choices,
                "error": error.filter(|(name, _)| *name == field.name).map(|(_, message)| message),
                "decimals": matches!(field.input, Input::Amount | Input::Quantity),
            })
        })
        .collect()
}

/// The `ItemForm` for what was submitted: on an edit, only the fields that differ from what the
/// item shows (a field emptied is cleared); on an add, every field given. `Err` names a field
/// that was emptied but cannot be: a name, a price, a choice; the usage count (0 starts it
/// again; emptying the unit stops tracking usage).
fn item_form(kind: Kind, fields: &Fields, before: Option<&ItemView>) -> Result<ItemForm, &'static str> {
    let before: Vec<(&str, String)> = before.map(current_values).unwrap_or_default();
    let was = |name: &str| before.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str()).unwrap_or("");
    let mut form = ItemForm::default();
    let mut clear = Vec::new();
    for field in fields_of(kind) {
        let name = field.name;
        let given = match field.input {
            Input::Check => if fields.has(name) { "on" } else { "" }.to_string(),
            _ => fields.get(name).unwrap_or("").trim().to_string(),
        };
        if given == was(name).trim() {
            continue;
        }
        if given.is_empty() {
            match name {
                "auto_renew" => form.auto_renew = Some(false),
                "renewal_date" => clear.push("renewal"),
                // Without a unit there is no meter.
                "unit" => clear.push("usage"),
                // The meter goes with its unit; its count alone cannot be emptied.
                "usage" if clear.contains(&"usage") => {}
                "usage" => return Err(name),
                _ if crate::app::CLEARABLE.contains(&name) => clear.push(name),
                _ => return Err(name),
            }
            continue;
        }
        let value = Some(given);
        match name {
            "name" => form.name = value,
            "provider" => form.provider = value,
            "cost" => form.cost = value,
            "currency" => form.currency = value,
            "billing_period" => form.period = value,
            "renewal_date" => form.renews = value,
            "auto_renew" => form.auto_renew = Some(true),
            "status" => form.status = value,
            "registrar" => form.registrar = value,
            "server_type" => form.server_type = value,
            "specs" => form.specs = value,
            "service_type" => form.service_type = value,
            "pricing_model" => form.pricing = value,
            "api_key_status" => form.key_status = value,
            "integration_type" => form.integration_type = value,
            "features" => form.features = value,
            "unit" => form.unit = value,
            "unit_price" => form.unit_price = value,
            "free_tier" => form.free_tier = value,
            "usage" => form.usage = value,
            "usage_limit" => form.usage_limit = value,
            "lead_times" => form.lead_times = value,
            "yearly_price" => form.yearly_price = value,
            "plan_price" => form.plan_price = value,
            "notes" => form.notes = value,
            _ => {}
        }
    }
    if !clear.is_empty() {
        form.clear = Some(clear.join(","));
    }
    Ok(form)
}

/// Why `field` cannot be emptied, in the reader's language.
fn cannot_empty(renderer: &Renderer, field: &str) -> String {
    let id = if field == "usage" { "web.error.usage_empty" } else { "web.error.cannot_empty" };
    renderer.message(id, &json!({}))
}

/// The form field a refusal is about (as the form names it), when it names one.
fn field_of(error: &AppError) -> Option<&'static str> {
    let AppError::User(error) = error else { return None };
    let words = match error {
        UserError::Invalid { field, .. } => *field,
        UserError::UnknownChoice { what, .. } => what,
        UserError::Duplicate { .. } => "name",
        _ => return None,
    };
    let name = crate::http::problem::api_field(words);
    let name = match name.as_str() {
        "renewal_date" | "renews" => "renewal_date",
        "unit_price" => "unit_price",
        other => other,
    };
    FIELDS.iter().map(|f| f.name).find(|f| *f == name)
}

#[derive(Debug, Default, Deserialize)]
struct NewQuery {
    kind: Option<String>,
}

/// `GET /w/<ws>/items/new?kind=`: the kinds to choose from, then the form for one.
async fn new_form(Query(query): Query<NewQuery>, Editor(visitor): Editor) -> Response {
    let renderer = visitor.renderer();
    let Some(kind) = parse::<Kind>(&query.kind) else {
        let kinds = options(renderer, "kind", &Kind::names(), None);
        return visitor.page("item_new", "items", json!({ "kinds": kinds }));
    };
    // What a new item of the kind starts with, as `item add` makes it.
    let blank = crate::domain::item::Details::blank(kind);
    let defaults = |name: &str| match name {
        "billing_period" => kind.default_period().as_str().to_string(),
        "status" => ManualStatus::Active.as_str().to_string(),
        "pricing_model" => blank.pricing_model().map(|p| p.as_str().to_string()).unwrap_or_default(),
        "service_type" => ServiceType::Text.as_str().to_string(),
        "api_key_status" => ApiKeyStatus::Unknown.as_str().to_string(),
        "integration_type" => IntegrationType::Other.as_str().to_string(),
        _ => String::new(),
    };
    form_page(&visitor, StatusCode::OK, kind, None, &defaults, None)
}

/// The add or edit form of `kind` (of `item` when editing), with `values` and the refusal.
fn form_page(
    visitor: &Visitor,
    status: StatusCode,
    kind: Kind,
    item: Option<&ItemView>,
    values: &dyn Fn(&str) -> String,
    error: Option<(Option<&str>, String)>,
) -> Response {
    let renderer = visitor.renderer();
    let field_error = error.as_ref().and_then(|(field, message)| field.map(|f| (f, message.as_str())));
    let fields = form_fields(renderer, kind, values, field_error);
    let form_error = error.as_ref().filter(|(field, _)| field.is_none()).map(|(_, message)| message.clone());
    let kind_name = renderer.name("kind", kind.as_str()).unwrap_or_default();
    let view = json!({
        "kind": kind.as_str(),
        "kind_name": kind_name,
        "fields": fields,
        "error": form_error,
        "has_error": error.is_some(),
        "item": item.map(|i| json!({ "id": i.id, "name": i.name, "etag": i.etag })),
    });
    visitor.page_with(status, "item_form", "items", view)
}

/// A refusal of a form: the field it is about, and its message.
fn refusal(error: &AppError) -> (Option<&'static str>, String) {
    (field_of(error), error.to_string())
}

/// `POST /w/<ws>/items/new`: adds the item, or shows the form again with the message beside its
/// field.
async fn add(State(api): State<Api>, Edit { visitor, fields }: Edit) -> Response {
    let Some(kind) = fields.get("kind").and_then(|k| k.parse::<Kind>().ok()) else {
        return see_other(&format!("{}/items/new", visitor.base()));
    };
    let typed = |name: &str| fields.get(name).unwrap_or("").to_string();
    let form = match item_form(kind, &fields, None) {
        Ok(form) => form,
        Err(field) => {
            let refusal = (Some(field), cannot_empty(visitor.renderer(), field));
            return form_page(&visitor, StatusCode::UNPROCESSABLE_ENTITY, kind, None, &typed, Some(refusal));
        }
    };
    let result = match form.changes() {
        Ok(changes) => api.app.add_item(visitor.workspace(), &visitor.session.actor, kind, &changes).await,
        Err(error) => Err(error.into()),
    };
    match result {
        Ok(added) => see_other(&format!("{}/items/{}?done=added", visitor.base(), added.item.id)),
        Err(error @ AppError::User(_)) => {
            form_page(&visitor, StatusCode::UNPROCESSABLE_ENTITY, kind, None, &typed, Some(refusal(&error)))
        }
        Err(error) => visitor.failure(error),
    }
}

#[derive(Debug, Default, Deserialize)]
struct ShowQuery {
    done: Option<String>,
}

/// `GET /w/<ws>/items/<id>`: one item, its recent costs, and (for editors) its form.
async fn show(
    State(api): State<Api>,
    Path((_, id)): Path<(String, String)>,
    Query(query): Query<ShowQuery>,
    visitor: Visitor,
) -> Response {
    let Some(reference) = item_id(&id) else { return visitor.not_found() };
    match api.app.show_item(visitor.workspace(), &reference).await {
        Ok(detail) => item_page(&visitor, StatusCode::OK, &detail, None, None, query.done.as_deref()),
        Err(error) => visitor.failure(error),
    }
}

/// An item's page: what it is, its costs, and its form with `values` (as stored unless given).
fn item_page(
    visitor: &Visitor,
    status: StatusCode,
    detail: &crate::app::views::ItemDetail,
    values: Option<&dyn Fn(&str) -> String>,
    error: Option<(Option<&str>, String)>,
    done: Option<&str>,
) -> Response {
    let renderer = visitor.renderer();
    let item = &detail.item;
    let stored = current_values(item);
    let as_stored = |name: &str| stored.iter().find(|(n, _)| *n == name).map(|(_, v)| v.clone()).unwrap_or_default();
    let values = values.unwrap_or(&as_stored);
    let field_error = error.as_ref().and_then(|(field, message)| field.map(|f| (f, message.as_str())));
    let fields = form_fields(renderer, item.kind, values, field_error);
    let form_error = error.as_ref().filter(|(field, _)| field.is_none()).map(|(_, message)| message.clone());
    let done = done
        .filter(|d| matches!(*d, "added" | "saved" | "restored"))
        .map(|d| renderer.message(&format!("web.done.{d}"), &json!({})));
    let view = json!({
        "detail": detail,
        "fields": fields,
        "error": form_error,
        "has_error": error.is_some(),
        "etag": item.etag,
        "done": done,
    });
    visitor.page_with(status, "item", "items", view)
}

/// An item's id from the address (`12`); anything else is no page.
fn item_id(id: &str) -> Option<ItemRef> {
    id.parse::<i64>().ok().filter(|id| *id > 0).map(|id| ItemRef::new(format!("#{id}")))
}

/// `POST /w/<ws>/items/<id>`: saves the form's changes (only what differs from the item as it
/// was shown; refused when someone changed it since).
async fn edit(
    State(api): State<Api>,
    Path((_, id)): Path<(String, String)>,
    Edit { visitor, fields }: Edit,
) -> Response {
    let Some(reference) = item_id(&id) else { return visitor.not_found() };
    let detail = match api.app.show_item(visitor.workspace(), &reference).await {
        Ok(detail) => detail,
        Err(error) => return visitor.failure(error),
    };
    let typed = |name: &str| match name {
        "auto_renew" => if fields.has(name) { "on" } else { "" }.to_string(),
        _ => fields.get(name).unwrap_or("").to_string(),
    };
    let refused =
        |status, error: (Option<&str>, String)| item_page(&visitor, status, &detail, Some(&typed), Some(error), None);
    let form = match item_form(detail.item.kind, &fields, Some(&detail.item)) {
        Ok(form) => form,
        Err(field) => {
            return refused(StatusCode::UNPROCESSABLE_ENTITY, (Some(field), cannot_empty(visitor.renderer(), field)));
        }
    };
    if form == ItemForm::default() {
        return see_other(&format!("{}/items/{}", visitor.base(), detail.item.id));
    }
    let etag = fields.get("etag").filter(|e| !e.is_empty());
    let result = match form.changes() {
        Ok(changes) => {
            api.app.edit_item_if(visitor.workspace(), &visitor.session.actor, &reference, &changes, etag).await
        }
        Err(error) => Err(error.into()),
    };
    match result {
        Ok(saved) => see_other(&format!("{}/items/{}?done=saved", visitor.base(), saved.item.id)),
        // Someone changed it since this page was shown: the item as it is now, to change again
        // (what was typed would put their change back).
        Err(error @ AppError::User(UserError::Outdated(_))) => {
            match api.app.show_item(visitor.workspace(), &reference).await {
                Ok(now) => item_page(&visitor, StatusCode::CONFLICT, &now, None, Some((None, error.to_string())), None),
                Err(error) => visitor.failure(error),
            }
        }
        Err(error @ AppError::User(_)) => refused(StatusCode::UNPROCESSABLE_ENTITY, refusal(&error)),
        Err(error) => visitor.failure(error),
    }
}

/// `POST /w/<ws>/items/<id>/remove`: removes the item (it can be restored), back to the table.
async fn remove(State(api): State<Api>, Path((_, id)): Path<(String, String)>, Edit { visitor, .. }: Edit) -> Response {
    let Some(reference) = item_id(&id) else { return visitor.not_found() };
    match api.app.remove_item(visitor.workspace(), &visitor.session.actor, &reference).await {
        Ok(_) => see_other(&format!("{}/items?removed=1", visitor.base())),
        Err(error) => visitor.failure(error),
    }
}

/// `POST /w/<ws>/items/<id>/restore`: brings a removed item back.
async fn restore(
    State(api): State<Api>,
    Path((_, id)): Path<(String, String)>,
    Edit { visitor, .. }: Edit,
) -> Response {
    let Some(reference) = item_id(&id) else { return visitor.not_found() };
    match api.app.restore_item(visitor.workspace(), &visitor.session.actor, &reference).await {
        Ok(view) => see_other(&format!("{}/items/{}?done=restored", visitor.base(), view.id)),
        Err(error) => visitor.failure(error),
    }
}
