//! The web pages: the same views as the CLI, the bot and the API, as HTML for people who pay the
//! bills but do not live in Discord. Served by the API's server, under `/w/<workspace>/`.
//!
//! - Sign-in: `/jarvis web` (or `jarvis web link`) gives a one-time link `/signin/<secret>`;
//!   its page asks to continue (so a link preview cannot use it up), and the POST starts a
//!   session: an HttpOnly, SameSite=Lax cookie scoped to `/w/<workspace>/` (Secure behind
//!   https), so one browser can be signed in to several servers. A page of a workspace the
//!   browser has no session for is a 404, whether or not the workspace exists.
//! - Every form carries a token derived from the session's cookie (`app::web::csrf_token`); a
//!   POST without it is refused.
//! - Nothing is loaded from another site: the stylesheet and the Thai font are served from
//!   `/assets/`, under a `Content-Security-Policy` of `default-src 'self'`; no script at all.
//! - `items.rs`: the items table, the add and edit form, remove and restore.
//! - `pages.rs`: the dashboard and the other read pages.

mod assets;
mod calendar;
mod items;
mod pages;
mod settings;

use axum::Router;
use axum::extract::{FromRequest, FromRequestParts, Path, RawPathParams, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Serialize;
use serde_json::{Value, json};

use super::Api;
use crate::app::AppError;
use crate::app::web::{WebSession, csrf_matches, csrf_token};
use crate::domain::UserError;
use crate::domain::workspace::{Language, WorkspaceId};
use crate::render::{Flavor, Renderer};

/// The session cookie's name (one per workspace, told apart by its path).
const COOKIE: &str = "jarvis_session";
/// The form field carrying the CSRF token.
const CSRF_FIELD: &str = "_csrf";

/// The pages' routes.
pub fn router() -> Router<Api> {
    Router::new()
        .route("/", get(home))
        .route("/signin/{secret}", get(signin_page).post(signin))
        .route("/w/{workspace}/signout", post(signout))
        .route("/w/{workspace}/language", post(language))
        .merge(pages::router())
        .merge(items::router())
        .merge(calendar::router())
        .merge(settings::router())
        .merge(assets::router())
        .layer(axum::middleware::map_response(|response: Response| async { secured(response) }))
}

/// Headers every page and asset carries: nothing from elsewhere, no framing, no referrer to
/// other sites (a sign-in link's secret is in its address; Jarvis's own pages get theirs, so the
/// language switch can go back to the page it was on), no caching of private pages.
fn secured(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"),
    );
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    response
}

/// A signed-in visitor of one workspace's pages.
#[derive(Clone, Debug)]
pub struct Visitor {
    session: WebSession,
    cookie: String,
    language: Language,
}

impl Visitor {
    fn workspace(&self) -> &WorkspaceId {
        &self.session.workspace
    }

    /// The start of this workspace's page addresses.
    fn base(&self) -> String {
        format!("/w/{}", self.session.workspace.as_str())
    }

    fn renderer(&self) -> &'static Renderer {
        Renderer::get(self.language, Flavor::Html)
    }

    /// Refuses a visitor who may only read.
    fn require_edit(&self) -> Result<(), Response> {
        if self.session.can_edit {
            return Ok(());
        }
        Err(message_page(
            self.language,
            StatusCode::FORBIDDEN,
            "web.error.read_only",
            json!({ "who": self.session.user_name }),
        ))
    }

    /// The page `template` with `view`, inside the layout (navigation `nav` marked current).
    fn page(&self, template: &str, nav: &str, view: impl Serialize) -> Response {
        self.page_with(StatusCode::OK, template, nav, view)
    }

    fn page_with(&self, status: StatusCode, template: &str, nav: &str, view: impl Serialize) -> Response {
        let data = json!({
            "lang": self.language.as_str(),
            "base": self.base(),
            "nav": nav,
            "user": { "name": self.session.user_name, "can_edit": self.session.can_edit },
            "csrf": csrf_token(&self.cookie),
            "view": view,
        });
        render(self.language, status, template, &data)
    }

    /// An app failure as a page: what was wrong and what to do.
    fn failure(&self, error: AppError) -> Response {
        failure_page(self.language, error)
    }
}

/// `template` rendered, or a plain 500 naming the error id when a template fails (a bug the
/// page tests are there to catch).
fn render(language: Language, status: StatusCode, template: &str, data: &Value) -> Response {
    match Renderer::get(language, Flavor::Html).html(template, data) {
        Ok(html) => (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response(),
        Err(error) => {
            let id = crate::error_id();
            tracing::error!(error_id = %id, "{error:#}");
            (StatusCode::INTERNAL_SERVER_ERROR, format!("Jarvis could not show this page (error {id})")).into_response()
        }
    }
}

/// A page with one message (`id` worded with `args`) and a way back.
fn message_page(language: Language, status: StatusCode, id: &str, args: Value) -> Response {
    let message = Renderer::get(language, Flavor::Html).message(id, &args);
    render(
        language,
        status,
        "message",
        &json!({ "lang": language.as_str(), "status": status.as_u16(), "message": message }),
    )
}

/// An app failure as a page with its status: a refusal says what to do; an internal failure
/// names the error id in the logs.
fn failure_page(language: Language, error: AppError) -> Response {
    let (status, message) = match error {
        AppError::User(UserError::NotFound { .. }) => (StatusCode::NOT_FOUND, error.to_string()),
        AppError::User(_) | AppError::Repeated(_) => (StatusCode::UNPROCESSABLE_ENTITY, error.to_string()),
        AppError::Unavailable(ref inner) => {
            tracing::warn!("{inner:#}");
            (StatusCode::SERVICE_UNAVAILABLE, unavailable_text(language))
        }
        AppError::Internal(inner) => {
            let id = crate::error_id();
            tracing::error!(error_id = %id, "{inner:#}");
            let text = crate::analysis::text!("web.error.internal", id = id);
            (StatusCode::INTERNAL_SERVER_ERROR, Renderer::get(language, Flavor::Html).text(&text))
        }
    };
    let message = crate::render::escape_html(&message);
    render(
        language,
        status,
        "message",
        &json!({ "lang": language.as_str(), "status": status.as_u16(), "message": message }),
    )
}

fn unavailable_text(language: Language) -> String {
    Renderer::get(language, Flavor::Html).text(&crate::analysis::text!("web.error.unavailable"))
}

/// The 404 of a workspace page the browser has no session for.
fn not_signed_in(language: Language) -> Response {
    message_page(language, StatusCode::NOT_FOUND, "web.error.not_found", json!({}))
}

/// The 404 page of an address that is no page (the server's fallback outside `/api/`).
pub fn not_found(headers: &HeaderMap) -> Response {
    secured(message_page(browser_language(headers), StatusCode::NOT_FOUND, "web.error.no_page", json!({})))
}

/// Where people reach the pages, for addresses shown to them: the public address when set,
/// else the host the request came to.
fn site_url(api: &Api, headers: &HeaderMap) -> String {
    if api.options.public_url.is_some() {
        return api.options.base_url();
    }
    match headers.get(header::HOST).and_then(|h| h.to_str().ok()) {
        Some(host) => format!("http://{host}"),
        None => api.options.base_url(),
    }
}

/// The browser's language: the first of its `Accept-Language` Jarvis speaks, else English.
fn browser_language(headers: &HeaderMap) -> Language {
    let accepted = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or("");
    super::extract::accept_language(accepted).unwrap_or(Language::English)
}

/// The value of cookie `name` in the request's `Cookie` headers.
fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim_matches('"').to_string())
}

/// The visitor of `workspace`'s pages, or the page to answer instead: a 404 for a browser with
/// no session there, a 503 when the ledger does not answer.
async fn visitor(api: &Api, workspace: &str, headers: &HeaderMap) -> Result<Visitor, Response> {
    let fallback = browser_language(headers);
    let Some(cookie) = cookie(headers, COOKIE) else { return Err(not_signed_in(fallback)) };
    let session = match api.app.web_session(&cookie).await {
        Ok(Some(session)) if session.workspace.as_str() == workspace => session,
        Ok(_) => return Err(not_signed_in(fallback)),
        Err(error) => return Err(failure_page(fallback, error)),
    };
    let language = session.language.unwrap_or(fallback);
    Ok(Visitor { session, cookie, language })
}

impl Visitor {
    /// The "not found" page, in this visitor's language.
    fn not_found(&self) -> Response {
        message_page(self.language, StatusCode::NOT_FOUND, "web.error.no_page", json!({}))
    }
}

/// The `{workspace}` of the route, as the address has it.
async fn workspace_param(parts: &mut Parts, api: &Api) -> String {
    let params = RawPathParams::from_request_parts(parts, api).await.ok();
    params
        .and_then(|p| p.iter().find(|(key, _)| *key == "workspace").map(|(_, value)| value.to_string()))
        .unwrap_or_default()
}

/// A page of a workspace the browser has a session for; otherwise the answer is the refusal
/// (404, whether the workspace exists or not).
impl FromRequestParts<Api> for Visitor {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, api: &Api) -> Result<Visitor, Response> {
        let workspace = workspace_param(parts, api).await;
        visitor(api, &workspace, &parts.headers).await
    }
}

/// A page for those who may change the ledger (Manage Server or the admin role); others get a
/// 403 saying so.
pub struct Editor(Visitor);

impl FromRequestParts<Api> for Editor {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, api: &Api) -> Result<Editor, Response> {
        let visitor = Visitor::from_request_parts(parts, api).await?;
        visitor.require_edit()?;
        Ok(Editor(visitor))
    }
}

/// A form posted from a visitor's pages, its CSRF token checked before anything else.
pub struct Posted {
    visitor: Visitor,
    fields: Fields,
}

impl FromRequest<Api> for Posted {
    type Rejection = Response;

    async fn from_request(request: Request, api: &Api) -> Result<Posted, Response> {
        let (mut parts, body) = request.into_parts();
        let visitor = Visitor::from_request_parts(&mut parts, api).await?;
        let body = axum::body::to_bytes(body, api.options.body_limit).await.map_err(|_| {
            message_page(visitor.language, StatusCode::PAYLOAD_TOO_LARGE, "web.error.too_large", json!({}))
        })?;
        let fields = checked(&visitor, &body)?;
        Ok(Posted { visitor, fields })
    }
}

/// A form posted by someone who may change the ledger.
pub struct Edit {
    visitor: Visitor,
    fields: Fields,
}

impl FromRequest<Api> for Edit {
    type Rejection = Response;

    async fn from_request(request: Request, api: &Api) -> Result<Edit, Response> {
        let Posted { visitor, fields } = Posted::from_request(request, api).await?;
        visitor.require_edit()?;
        Ok(Edit { visitor, fields })
    }
}

/// A submitted form's fields, after its CSRF token was checked.
#[derive(Debug, Default)]
pub struct Fields(Vec<(String, String)>);

impl Fields {
    fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }
}

/// A POST from `visitor`'s pages: its fields, or a 403 page when the form's token is missing or
/// not this session's (a form from another site, or from before a sign-out).
fn checked(visitor: &Visitor, body: &[u8]) -> Result<Fields, Response> {
    // Browsers send a text area's line breaks as CRLF; the ledger keeps LF.
    let fields: Vec<(String, String)> =
        url::form_urlencoded::parse(body).map(|(k, v)| (k.into_owned(), v.replace("\r\n", "\n"))).collect();
    let token = fields.iter().find(|(k, _)| k == CSRF_FIELD).map(|(_, v)| v.as_str()).unwrap_or("");
    if !csrf_matches(&visitor.cookie, token) {
        return Err(message_page(visitor.language, StatusCode::FORBIDDEN, "web.error.csrf", json!({})));
    }
    Ok(Fields(fields))
}

/// Page `number` of a list (of `size` rows) from `fetch`; a page past the end (the list shrank,
/// an address kept from before) is the last page instead.
async fn page_or_last<T, Fut>(
    number: Option<&str>,
    size: u32,
    fetch: impl Fn(crate::domain::page::PageRequest) -> Fut,
) -> Result<T, AppError>
where
    Fut: Future<Output = Result<T, AppError>>,
{
    use crate::domain::page::{PageNumber, PageRequest};
    // A page number that is not one (an edited address) is the first page.
    let number = match number.map(str::trim) {
        Some("last") => PageNumber::Last,
        Some(n) => PageNumber::Nth(n.parse::<u32>().ok().filter(|n| (1..=i32::MAX as u32).contains(n)).unwrap_or(1)),
        None => PageNumber::Nth(1),
    };
    let request = |number| PageRequest::with_number(number, size).unwrap_or_default();
    match fetch(request(number)).await {
        Err(AppError::User(UserError::PastTheEnd { .. })) => fetch(request(PageNumber::Last)).await,
        other => other,
    }
}

/// A list's pager as the `web/pager` partial shows it: which page of how many, and the
/// addresses of the pages before and after (`link` makes a page's address).
fn pager(paging: &crate::domain::page::PageInfo, link: impl Fn(u32) -> String) -> Value {
    json!({
        "page": paging.page,
        "pages": paging.pages,
        "total": paging.total,
        "previous": (paging.page > 1).then(|| link(paging.page - 1)),
        "next": (paging.page < paging.pages).then(|| link(paging.page + 1)),
    })
}

/// A 303 to `to` (after a POST, so a reload does not post again).
fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// `/`: what the pages are and how to get in.
async fn home(headers: HeaderMap) -> Response {
    let language = browser_language(&headers);
    message_page(language, StatusCode::OK, "web.home", json!({}))
}

/// `GET /signin/<secret>`: who the link is for, and a button to continue. Reading it does not
/// use the link up (chat apps read links to preview them).
async fn signin_page(State(api): State<Api>, Path(secret): Path<String>, headers: HeaderMap) -> Response {
    let fallback = browser_language(&headers);
    match api.app.peek_web_link(&secret).await {
        Ok(Some(session)) => {
            let language = session.language.unwrap_or(fallback);
            let data = json!({
                "lang": language.as_str(),
                "secret": secret,
                "user": { "name": session.user_name, "can_edit": session.can_edit },
                "workspace": session.workspace.as_str(),
            });
            render(language, StatusCode::OK, "signin", &data)
        }
        Ok(None) => message_page(fallback, StatusCode::GONE, "web.error.link_used", json!({})),
        Err(error) => failure_page(fallback, error),
    }
}

/// `POST /signin/<secret>`: uses the link up and starts the session.
async fn signin(State(api): State<Api>, Path(secret): Path<String>, headers: HeaderMap) -> Response {
    let fallback = browser_language(&headers);
    let signed_in = match api.app.sign_in(&secret).await {
        Ok(Some(signed_in)) => signed_in,
        Ok(None) => return message_page(fallback, StatusCode::GONE, "web.error.link_used", json!({})),
        Err(error) => return failure_page(fallback, error),
    };
    let path = format!("/w/{}/", signed_in.session.workspace.as_str());
    let secure = if api.options.secure_cookies() { "; Secure" } else { "" };
    // A browser-session cookie: how long the session lasts (idle and in all) is the server's to
    // say, each time it is used.
    let cookie = format!("{COOKIE}={}; Path={path}; HttpOnly; SameSite=Lax{secure}", signed_in.cookie);
    let mut response = see_other(&path);
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// `POST /w/<ws>/signout`: ends this session and forgets its cookie.
async fn signout(State(api): State<Api>, Posted { visitor, .. }: Posted) -> Response {
    if let Err(error) = api.app.sign_out(&visitor.session).await {
        return visitor.failure(error);
    }
    let mut response = message_page(visitor.language, StatusCode::OK, "web.signed_out", json!({}));
    let gone = format!("{COOKIE}=; Path={}/; HttpOnly; SameSite=Lax; Max-Age=0", visitor.base());
    if let Ok(value) = HeaderValue::from_str(&gone) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// `POST /w/<ws>/language`: `lang=en|th`, or `auto` for the browser's; back to the page.
async fn language(State(api): State<Api>, headers: HeaderMap, Posted { visitor, fields }: Posted) -> Response {
    let language = fields.get("lang").and_then(|l| l.parse::<Language>().ok());
    if let Err(error) = api.app.set_web_language(&visitor.session, language).await {
        return visitor.failure(error);
    }
    // Back to the page it was asked from, when that is one of this workspace's.
    let own = format!("{}/", visitor.base());
    let back = headers
        .get(header::REFERER)
        .and_then(|r| r.to_str().ok())
        .and_then(|r| url::Url::parse(r).ok())
        .filter(|r| r.path().starts_with(&own))
        .map(|r| match (r.path().strip_prefix(&own), r.query()) {
            // The settings page's forms answer at their own addresses, which take no GET.
            (Some(rest), _) if rest.starts_with("settings/") => format!("{own}settings"),
            (_, Some(query)) => format!("{}?{query}", r.path()),
            (_, None) => r.path().to_string(),
        });
    see_other(&back.unwrap_or(own))
}
