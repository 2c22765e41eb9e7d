//! The item collections: `/api/cost/infrastructure` (domains, hosting, CDN, storage),
//! `/api/cost/ai-providers`, `/api/cost/third-party`, `/api/cost/packages`, `/api/cost/other`.
//! Each lists, adds, shows, changes (`PUT`, with `If-Match`), removes and restores its items.

use axum::extract::{OriginalUri, Path, State};
use axum::http::Method;
use axum::response::Response;
use serde::Deserialize;

use super::extract::{
    Caller, IdempotencyKey, IfMatch, Json, Lang, Number, Paging, WholeNumbers, Writer, item_ref, present,
};
use super::openapi::{Op, Routes, choice};
use super::problem::Problem;
use super::{Answer, Api, view};
use crate::app::{ItemFilter, ItemForm, ItemRef};
use crate::domain::item::{Category, Kind, Status};

/// One collection of items: a category, under its own path.
#[derive(Clone, Copy, Debug)]
pub struct Collection {
    pub path: &'static str,
    pub category: Category,
}

/// Every collection, in the order the design lists them.
pub const COLLECTIONS: [Collection; 5] = [
    Collection { path: "infrastructure", category: Category::Infrastructure },
    Collection { path: "ai-providers", category: Category::Ai },
    Collection { path: "third-party", category: Category::ThirdParty },
    Collection { path: "packages", category: Category::Packages },
    Collection { path: "other", category: Category::Other },
];

impl Collection {
    /// The kinds of item it holds.
    pub fn kinds(self) -> Vec<Kind> {
        Kind::ALL.iter().copied().filter(|k| k.category() == self.category).collect()
    }

    /// `kind` from a request, which must be one of this collection's (and is implied when it
    /// holds one kind).
    fn kind(self, given: Option<&str>, field: &str) -> Result<Option<Kind>, Problem> {
        let kinds = self.kinds();
        let Some(given) = given.map(str::trim).filter(|g| !g.is_empty()) else {
            return Ok((kinds.len() == 1).then(|| kinds[0]));
        };
        let wrong = || Problem {
            choices: Some(kinds.iter().map(|k| k.as_str()).collect()),
            ..Problem::invalid(
                field,
                format!(
                    "`{given}` is not a kind of item in /api/cost/{}; choose one of: {}",
                    self.path,
                    kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ")
                ),
            )
        };
        let kind: Kind = given.parse().map_err(|_| wrong())?;
        if kinds.contains(&kind) { Ok(Some(kind)) } else { Err(wrong()) }
    }

    /// The item a path's `{id}` names in this collection: `12` (its id), its UUID, or its name.
    fn item(self, id: &str) -> ItemRef {
        item_ref(id).with_kinds(&self.kinds())
    }

    fn location(self, id: i64) -> String {
        format!("/api/cost/{}/{id}", self.path)
    }
}

/// Every collection's routes.
pub fn routes(mut routes: Routes) -> Routes {
    use crate::app::views::{ItemChanged, ItemDetail, ItemList, ItemView};
    for collection in COLLECTIONS {
        let c = collection;
        let (list_path, item_path) = (format!("/api/cost/{}", c.path), format!("/api/cost/{}/{{id}}", c.path));
        let kinds = c.kinds().iter().map(|k| k.as_str()).collect::<Vec<_>>();
        let what = c.category.as_str();
        let id = "The item's id (a number), its UUID, or its name.";
        let mut list = Op::get(&format!("List the {what} items"))
            .tag(c.path)
            .query(
                "status",
                "Only items in this status.",
                choice(&Status::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>()),
            )
            .paged()
            .query(
                "lang",
                "`en` or `th` for the worded fields (else Accept-Language, else the workspace's language).",
                choice(&["en", "th"]),
            )
            .answers::<ItemList>(200, "A page of items, as `jarvis item list --json` shows it.");
        let mut add = Op::post(&format!("Add a {what} item"))
            .tag(c.path)
            .idempotent()
            .body::<ItemBody>("The item's fields, named as a GET shows them.")
            .answers::<ItemChanged>(201, "The item as added.")
            .etag();
        if kinds.len() > 1 {
            list = list.query("kind", "Only items of this kind.", choice(&kinds));
            add = add.describe(&format!("`kind` is required: one of {}.", kinds.join(", ")));
        }
        routes = routes
            .route(&list_path, list, move |api, caller, lang, paging, uri| list_items(c, api, caller, lang, paging, uri))
            .route(&list_path, add, move |api, writer, lang, key, uri, body| add_item(c, api, writer, lang, key, uri, body))
            .route(
                &item_path,
                Op::get(&format!("Show a {what} item")).tag(c.path).path("id", id).answers::<ItemDetail>(200, "The item with its costs and history.").etag().problems(&[409]),
                move |api, caller, lang, id| show(c, api, caller, lang, id),
            )
            .route(
                &item_path,
                Op::put(&format!("Change a {what} item"))
                    .tag(c.path)
                    .path("id", id)
                    .header("If-Match", "The `ETag` of the version read: the change is refused (412) if the item changed since. `*` or none: change whatever is there.")
                    .body::<ItemBody>("The fields to change; absent ones stay, `null` empties one that may be empty.")
                    .answers::<ItemChanged>(200, "The item as changed.")
                    .etag()
                    .problems(&[409, 412]),
                move |api, writer, lang, if_match, id, body| edit(c, api, writer, lang, if_match, id, body),
            )
            .route(
                &item_path,
                Op::delete(&format!("Remove a {what} item")).tag(c.path).path("id", id).describe("Its costs are kept; `restore` brings it back.").answers::<ItemView>(200, "The item as removed."),
                move |api, writer, lang, id| remove(c, api, writer, lang, id),
            )
            .route(
                &format!("/api/cost/{}/{{id}}/restore", c.path),
                Op::post(&format!("Restore a removed {what} item")).tag(c.path).path("id", id).answers::<ItemView>(200, "The item as restored.").problems(&[409]),
                move |api, writer, lang, id| restore(c, api, writer, lang, id),
            );
    }
    routes
}

/// The query of an item list.
fn list_filter(collection: Collection, uri: &axum::http::Uri) -> Result<ItemFilter, Problem> {
    let mut filter = ItemFilter { category: Some(collection.category), ..ItemFilter::default() };
    for (key, value) in url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()) {
        match key.as_ref() {
            "kind" => filter.kind = collection.kind(Some(&value), "kind").map_err(|p| Problem { status: 400, ..p })?,
            "status" => {
                filter.status =
                    Some(value.parse::<Status>().map_err(|e| Problem::bad_request("status", e.to_string()))?)
            }
            _ => {}
        }
    }
    Ok(filter)
}

async fn list_items(
    collection: Collection,
    State(api): State<Api>,
    caller: Caller,
    lang: Lang,
    Paging(page): Paging,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, Problem> {
    let filter = list_filter(collection, &uri)?;
    api.kept(&caller, lang, &uri, async |lang| {
        Ok(view(lang, &api.app.list_items(caller.workspace(), filter, page).await?))
    })
    .await
}

async fn show(
    collection: Collection,
    State(api): State<Api>,
    caller: Caller,
    lang: Lang,
    Path(id): Path<String>,
) -> Result<Answer, Problem> {
    let lang = api.language(&caller, lang).await?;
    let detail = api.app.show_item(caller.workspace(), &collection.item(&id)).await?;
    let etag = detail.item.etag.clone();
    Ok(Answer::ok(view(lang, &detail)).with_etag(&etag))
}

async fn add_item(
    collection: Collection,
    State(api): State<Api>,
    Writer(caller): Writer,
    lang: Lang,
    key: IdempotencyKey,
    OriginalUri(uri): OriginalUri,
    body: Json<ItemBody>,
) -> Result<Response, Problem> {
    let lang = api.language(&caller, lang).await?;
    let kind = collection.kind(body.value.kind.as_deref(), "kind")?.ok_or_else(|| {
        Problem::invalid(
            "kind",
            format!(
                "Say which kind of item this is: `kind` is one of {}",
                collection.kinds().iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ")
            ),
        )
    })?;
    let changes = body.value.form().changes()?;
    let request = (Method::POST.as_str(), uri.path(), body.bytes.as_ref());
    api.write_once(&caller.clone(), &key, request, |app| async move {
        let added = app.add_item(caller.workspace(), &caller.actor(), kind, &changes).await?;
        let etag = added.item.etag.clone();
        Ok(Answer::created(view(lang, &added), collection.location(added.item.id)).with_etag(&etag))
    })
    .await
}

async fn edit(
    collection: Collection,
    State(api): State<Api>,
    Writer(caller): Writer,
    lang: Lang,
    IfMatch(if_match): IfMatch,
    Path(id): Path<String>,
    body: Json<ItemBody>,
) -> Result<Answer, Problem> {
    let lang = api.language(&caller, lang).await?;
    if let Some(kind) = body.value.kind.as_deref() {
        return Err(Problem::invalid(
            "kind",
            format!("An item's kind cannot change (asked for `{kind}`); remove it and add it again as the other kind"),
        ));
    }
    let changes = body.value.form().changes()?;
    let reference = collection.item(&id);
    let edited =
        api.app.edit_item_if(caller.workspace(), &caller.actor(), &reference, &changes, if_match.as_deref()).await?;
    let etag = edited.item.etag.clone();
    Ok(Answer::ok(view(lang, &edited)).with_etag(&etag))
}

async fn remove(
    collection: Collection,
    State(api): State<Api>,
    Writer(caller): Writer,
    lang: Lang,
    Path(id): Path<String>,
) -> Result<Answer, Problem> {
    let lang = api.language(&caller, lang).await?;
    let removed = api.app.remove_item(caller.workspace(), &caller.actor(), &collection.item(&id)).await?;
    Ok(Answer::ok(view(lang, &removed)))
}

async fn restore(
    collection: Collection,
    State(api): State<Api>,
    Writer(caller): Writer,
    lang: Lang,
    Path(id): Path<String>,
) -> Result<Answer, Problem> {
    let lang = api.language(&caller, lang).await?;
    let restored = api.app.restore_item(caller.workspace(), &caller.actor(), &collection.item(&id)).await?;
    Ok(Answer::ok(view(lang, &restored)))
}

/// An item's fields in a request body, named as a GET shows them. Absent fields are left alone;
/// `null` clears a field that may be empty.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemBody {
    /// Only when adding to a collection of several kinds (`infrastructure`).
    pub kind: Option<String>,
    pub name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub provider: Option<Option<String>>,
    /// The price of one billing cycle.
    pub cost: Option<Number>,
    pub currency: Option<String>,
    pub billing_period: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub renewal_date: Option<Option<String>>,
    pub auto_renew: Option<bool>,
    /// The manual status: `active`, `suspended` or `cancelled`.
    pub status: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub notes: Option<Option<String>>,
    pub unit: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub unit_price: Option<Option<Number>>,
    #[serde(default, deserialize_with = "present")]
    pub free_tier: Option<Option<Number>>,
    #[serde(default, deserialize_with = "present")]
    pub usage: Option<Option<Number>>,
    #[serde(default, deserialize_with = "present")]
    pub usage_limit: Option<Option<Number>>,
    #[serde(default, deserialize_with = "present")]
    pub registrar: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub server_type: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub specs: Option<Option<String>>,
    pub service_type: Option<String>,
    pub pricing_model: Option<String>,
    pub api_key_status: Option<String>,
    pub integration_type: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub features: Option<Option<Vec<String>>>,
    /// Days before the renewal that alerts fire: `[30, 7]` or `"30,7"`.
    #[serde(default, deserialize_with = "present")]
    pub lead_times: Option<Option<WholeNumbers>>,
    #[serde(default, deserialize_with = "present")]
    pub yearly_price: Option<Option<Number>>,
    #[serde(default, deserialize_with = "present")]
    pub plan_price: Option<Option<Number>>,
}

impl ItemBody {
    /// The same form Discord's modals fill: the same parsers and messages.
    fn form(&self) -> ItemForm {
        let mut clear: Vec<&str> = Vec::new();
        fn set<T: Clone>(field: &Option<Option<T>>, name: &'static str, clear: &mut Vec<&'static str>) -> Option<T> {
            match field {
                Some(None) => {
                    clear.push(name);
                    None
                }
                Some(Some(value)) => Some(value.clone()),
                None => None,
            }
        }
        let number = |n: Option<Number>| n.map(|n| n.0);
        let mut form = ItemForm {
            name: self.name.clone(),
            provider: set(&self.provider, "provider", &mut clear),
            cost: number(self.cost.clone()),
            currency: self.currency.clone(),
            period: self.billing_period.clone(),
            renews: set(&self.renewal_date, "renewal", &mut clear),
            auto_renew: self.auto_renew,
            status: self.status.clone(),
            notes: set(&self.notes, "notes", &mut clear),
            unit: self.unit.clone(),
            unit_price: number(set(&self.unit_price, "unit_price", &mut clear)),
            free_tier: number(set(&self.free_tier, "free_tier", &mut clear)),
            usage: number(set(&self.usage, "usage", &mut clear)),
            usage_limit: number(set(&self.usage_limit, "usage_limit", &mut clear)),
            registrar: set(&self.registrar, "registrar", &mut clear),
            server_type: set(&self.server_type, "server_type", &mut clear),
            specs: set(&self.specs, "specs", &mut clear),
            service_type: self.service_type.clone(),
            pricing: self.pricing_model.clone(),
            key_status: self.api_key_status.clone(),
            integration_type: self.integration_type.clone(),
            features: set(&self.features, "features", &mut clear).map(|f| f.join(",")),
            lead_times: set(&self.lead_times, "lead_times", &mut clear).map(WholeNumbers::text),
            yearly_price: number(set(&self.yearly_price, "yearly_price", &mut clear)),
            plan_price: number(set(&self.plan_price, "plan_price", &mut clear)),
            clear: None,
        };
        if !clear.is_empty() {
            form.clear = Some(clear.join(","));
        }
        form
    }
}
