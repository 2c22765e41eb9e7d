//! The settings page, for admins: the workspace's settings (with the same parsers and messages
//! as `settings set`), API tokens (made, shown once, revoked), the renewal calendar's secret
//! address, and signing everyone out of the pages.

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::{Api, Edit, Editor, Visitor, see_other};
use crate::app::TokenScope;
use crate::domain::workspace::{SettingKey, Settings};

pub fn router() -> Router<Api> {
    Router::new()
        .route("/w/{workspace}/settings", get(show).post(save))
        .route("/w/{workspace}/settings/tokens", post(create_token))
        .route("/w/{workspace}/settings/tokens/revoke", post(revoke_token))
        .route("/w/{workspace}/settings/calendar", post(make_feed))
        .route("/w/{workspace}/settings/calendar/remove", post(remove_feed))
        .route("/w/{workspace}/settings/sign-out-all", post(sign_out_all))
}

/// The settings the page edits, in order (the Discord ids are set from Discord).
const EDITABLE: [SettingKey; 8] = [
    SettingKey::Currency,
    SettingKey::Timezone,
    SettingKey::Language,
    SettingKey::ExpiringWindow,
    SettingKey::LeadTimes,
    SettingKey::RemindHours,
    SettingKey::SiteDownAfter,
    SettingKey::SiteUpAfter,
];

/// A setting as typed in the form.
fn shown(settings: &Settings, key: SettingKey) -> String {
    match key {
        SettingKey::Currency => settings.base_currency.code().to_string(),
        SettingKey::Timezone => settings.timezone.to_string(),
        SettingKey::Language => settings.language.as_str().to_string(),
        SettingKey::ExpiringWindow => settings.expiring_window_days.to_string(),
        SettingKey::LeadTimes => settings.lead_times.to_string(),
        SettingKey::RemindHours => settings.remind_hours.to_string(),
        SettingKey::SiteDownAfter => settings.site_checks.down_after.to_string(),
        SettingKey::SiteUpAfter => settings.site_checks.up_after.to_string(),
        SettingKey::AdminRole => settings.admin_role.map(|r| r.to_string()).unwrap_or_default(),
        SettingKey::AlertChannel => settings.alert_channel.map(|c| c.to_string()).unwrap_or_default(),
        SettingKey::AlertRole => settings.alert_role.map(|r| r.to_string()).unwrap_or_default(),
    }
}

/// What the page shows besides the settings: a token or a calendar address just made (shown
/// this once), a refusal.
#[derive(Default)]
struct Extra {
    values: Option<Vec<(SettingKey, String)>>,
    /// What the refused form changed from (`was_<key>`), kept for its next submission.
    was: Option<Vec<(SettingKey, String)>>,
    error: Option<(Option<SettingKey>, String)>,
    token: Option<String>,
    feed_url: Option<String>,
    done: Option<&'static str>,
}

/// The settings page with `extra`.
async fn page(api: &Api, visitor: &Visitor, status: StatusCode, extra: Extra) -> Response {
    let ws = visitor.workspace();
    let loaded = async {
        Ok::<_, crate::app::AppError>((
            api.app.settings(ws).await?,
            api.app.tokens(ws).await?,
            api.app.calendar_feed(ws).await?,
        ))
    };
    let (settings, tokens, feed) = match loaded.await {
        Ok(loaded) => loaded,
        Err(error) => return visitor.failure(error),
    };
    let renderer = visitor.renderer();
    let value = |key: SettingKey| {
        extra
            .values
            .as_ref()
            .and_then(|values| values.iter().find(|(k, _)| *k == key).map(|(_, v)| v.clone()))
            .unwrap_or_else(|| shown(&settings.settings, key))
    };
    let fields: Vec<Value> = EDITABLE
        .iter()
        .map(|key| {
            let error = extra.error.as_ref().filter(|(k, _)| *k == Some(*key)).map(|(_, m)| m.clone());
            let hint_id = format!("web.hint.setting.{}", key.as_str());
            let hint = renderer.has(&hint_id);
            let choices = (*key == SettingKey::Language).then(|| {
                crate::domain::workspace::Language::ALL
                    .iter()
                    .map(|l| json!({ "value": l.as_str(), "label": renderer.name("language", l.as_str()).unwrap_or_default(), "selected": l.as_str() == value(*key) }))
                    .collect::<Vec<_>>()
            });
            json!({
                "field": key.as_str(),
                "label": renderer.name("setting", key.as_str()).unwrap_or_else(|| key.as_str().to_string()),
                "hint": hint.then(|| renderer.message(&hint_id, &json!({}))),
                "input": if choices.is_some() { "select" } else { "text" },
                "value": value(*key),
                "choices": choices,
                "error": error,
                "decimals": false,
                "checked": false,
            })
        })
        .collect();
    let discord: Vec<Value> = [SettingKey::AdminRole, SettingKey::AlertChannel, SettingKey::AlertRole]
        .iter()
        .map(|key| {
            json!({
                "label": renderer.name("setting", key.as_str()).unwrap_or_else(|| key.as_str().to_string()),
                "value": shown(&settings.settings, *key),
            })
        })
        .collect();
    let form_error = extra.error.as_ref().filter(|(key, _)| key.is_none()).map(|(_, m)| m.clone());
    let view = json!({
        "fields": fields,
        "discord": discord,
        "error": form_error,
        "tokens": tokens,
        "token": extra.token,
        "feed": feed,
        "feed_url": extra.feed_url,
        "done": extra.done.map(|d| renderer.message(&format!("web.settings.done.{d}"), &json!({}))),
        // What the form changes from: the settings as stored now, or, on a refused form, what it
        // changed from then (so a setting another admin changed meanwhile is not put back).
        "shown": EDITABLE.iter().map(|key| {
            let was = extra.was.as_ref().and_then(|was| was.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()));
            json!({ "key": key.as_str(), "value": was.unwrap_or_else(|| shown(&settings.settings, *key)) })
        }).collect::<Vec<_>>(),
        "scopes": TokenScope::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        "public_url": api.options.public_url.is_some(),
    });
    visitor.page_with(status, "settings", "settings", view)
}

#[derive(Debug, Default, serde::Deserialize)]
struct DoneQuery {
    done: Option<String>,
}

/// `GET /w/<ws>/settings` (`?done=` after a change: what was done).
async fn show(State(api): State<Api>, Query(query): Query<DoneQuery>, Editor(visitor): Editor) -> Response {
    let done = ["saved", "revoked", "feed_off"].into_iter().find(|d| query.done.as_deref() == Some(*d));
    page(&api, &visitor, StatusCode::OK, Extra { done, ..Extra::default() }).await
}

/// `POST /w/<ws>/settings`: the settings changed in the form, all or none; a refused value is
/// shown beside its field.
async fn save(State(api): State<Api>, Edit { visitor, fields }: Edit) -> Response {
    let current = match api.app.settings(visitor.workspace()).await {
        Ok(current) => current.settings,
        Err(error) => return visitor.failure(error),
    };
    let typed: Vec<(SettingKey, String)> =
        EDITABLE.iter().map(|key| (*key, fields.get(key.as_str()).unwrap_or("").trim().to_string())).collect();
    // What changed from the page as it was shown (`was_<key>`), so that a setting another admin
    // changed meanwhile, and this form left alone, is not put back.
    let changed: Vec<(SettingKey, String)> = typed
        .iter()
        .filter(|(key, value)| {
            let was = fields.get(&format!("was_{}", key.as_str())).map(str::to_string);
            *value != was.unwrap_or_else(|| shown(&current, *key))
        })
        .cloned()
        .collect();
    if changed.is_empty() {
        return see_other(&format!("{}/settings", visitor.base()));
    }
    let was: Vec<(SettingKey, String)> = EDITABLE
        .iter()
        .filter_map(|key| Some((*key, fields.get(&format!("was_{}", key.as_str()))?.to_string())))
        .collect();
    // Each value checked on its own first, so a refusal is shown beside its field.
    let mut trial = current.clone();
    for (key, value) in &changed {
        match trial.with(*key, value) {
            Ok(next) => trial = next,
            Err(error) => {
                let error = Some((Some(*key), error.to_string()));
                let extra = Extra { values: Some(typed), was: Some(was), error, ..Extra::default() };
                return page(&api, &visitor, StatusCode::UNPROCESSABLE_ENTITY, extra).await;
            }
        }
    }
    match api.app.set_settings(visitor.workspace(), &visitor.session.actor, &changed).await {
        Ok(_) => see_other(&format!("{}/settings?done=saved", visitor.base())),
        Err(error @ crate::app::AppError::User(_)) => {
            let error = Some((None, error.to_string()));
            let extra = Extra { values: Some(typed), was: Some(was), error, ..Extra::default() };
            page(&api, &visitor, StatusCode::UNPROCESSABLE_ENTITY, extra).await
        }
        Err(error) => visitor.failure(error),
    }
}

/// `POST /w/<ws>/settings/tokens`: makes a token and shows it, this once.
async fn create_token(State(api): State<Api>, Edit { visitor, fields }: Edit) -> Response {
    let name = fields.get("name").unwrap_or("");
    let scope = match TokenScope::parse(fields.get("scope").unwrap_or("")) {
        Ok(scope) => scope,
        Err(error) => return refused(&api, &visitor, error.into()).await,
    };
    match api.app.create_token(visitor.workspace(), &visitor.session.actor, name, scope).await {
        Ok(created) => {
            let extra = Extra { token: Some(created.token), ..Extra::default() };
            page(&api, &visitor, StatusCode::OK, extra).await
        }
        Err(error) => refused(&api, &visitor, error).await,
    }
}

/// The settings page again with a refusal at its top (or the failure page).
async fn refused(api: &Api, visitor: &Visitor, error: crate::app::AppError) -> Response {
    match error {
        crate::app::AppError::User(_) => {
            let extra = Extra { error: Some((None, error.to_string())), ..Extra::default() };
            page(api, visitor, StatusCode::UNPROCESSABLE_ENTITY, extra).await
        }
        error => visitor.failure(error),
    }
}

/// `POST /w/<ws>/settings/tokens/revoke` (`name` in the form: names are free text).
async fn revoke_token(State(api): State<Api>, Edit { visitor, fields }: Edit) -> Response {
    let name = fields.get("name").unwrap_or("");
    match api.app.revoke_token(visitor.workspace(), &visitor.session.actor, name).await {
        Ok(_) => see_other(&format!("{}/settings?done=revoked#tokens", visitor.base())),
        Err(error) => refused(&api, &visitor, error).await,
    }
}

/// `POST /w/<ws>/settings/calendar`: a new secret address for the renewal calendar, shown this
/// once (a former one stops working).
async fn make_feed(State(api): State<Api>, headers: HeaderMap, Edit { visitor, .. }: Edit) -> Response {
    match api.app.create_calendar_feed(visitor.workspace(), &visitor.session.actor).await {
        Ok(secret) => {
            let url = format!("{}/calendar/{secret}.ics", super::site_url(&api, &headers));
            page(&api, &visitor, StatusCode::OK, Extra { feed_url: Some(url), ..Extra::default() }).await
        }
        Err(error) => refused(&api, &visitor, error).await,
    }
}

/// `POST /w/<ws>/settings/calendar/remove`: turns the calendar's address off.
async fn remove_feed(State(api): State<Api>, Edit { visitor, .. }: Edit) -> Response {
    match api.app.remove_calendar_feed(visitor.workspace(), &visitor.session.actor).await {
        Ok(_) => see_other(&format!("{}/settings?done=feed_off#calendar", visitor.base())),
        Err(error) => refused(&api, &visitor, error).await,
    }
}

/// `POST /w/<ws>/settings/sign-out-all`: ends every session of the workspace, this one too.
async fn sign_out_all(State(api): State<Api>, Edit { visitor, .. }: Edit) -> Response {
    match api.app.end_web_sessions(visitor.workspace(), &visitor.session.actor).await {
        Ok(ended) => super::message_page(
            visitor.language,
            StatusCode::OK,
            "web.settings.signed_out_all",
            json!({ "count": ended }),
        ),
        Err(error) => visitor.failure(error),
    }
}
