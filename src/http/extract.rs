//! What handlers take from a request: the caller (its token), a JSON body read with exact
//! numbers, the language, the page, and the request's key.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

use super::Api;
use super::problem::Problem;
use crate::app::{TokenAuth, TokenScope};
use crate::domain::audit::Actor;
use crate::domain::page::{PageNumber, PageRequest, parse_page, parse_size};
use crate::domain::workspace::{Language, WorkspaceId};

/// Who is asking: a valid token's workspace and scope. Every `/api/cost` handler takes one, so
/// nothing there answers without a token, and everything it reads or writes is in its workspace.
#[derive(Clone, Debug)]
pub struct Caller {
    pub token: TokenAuth,
}

impl Caller {
    pub fn workspace(&self) -> &WorkspaceId {
        &self.token.workspace
    }

    /// The actor the audit log names for this caller's changes.
    pub fn actor(&self) -> Actor {
        Actor::token(&self.token.name, &self.token.prefix)
    }
}

impl FromRequestParts<Api> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, api: &Api) -> Result<Caller, Problem> {
        let header = parts.headers.get(header::AUTHORIZATION).ok_or_else(|| {
            Problem::unauthorized(
                "No token: send `Authorization: Bearer <token>` (an admin makes one with `/jarvis token create` in Discord or `jarvis token create NAME --scope read`)",
            )
        })?;
        let token = header
            .to_str()
            .ok()
            .and_then(|value| {
                let (scheme, token) = value.trim().split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
            })
            .ok_or_else(|| Problem::unauthorized("The Authorization header is not `Bearer <token>`"))?;
        let token = api.tokens.authenticate(&api.app, token).await?.ok_or_else(|| {
            Problem::unauthorized("This token is not known or was revoked; ask an admin for a new one (`jarvis token list` shows the live ones)")
        })?;
        tracing::Span::current().record("token", tracing::field::display(&token.prefix));
        api.limits.check(&token.uuid)?;
        Ok(Caller { token })
    }
}

/// A caller whose token may write (scope `write`); a read token gets 403.
#[derive(Clone, Debug)]
pub struct Writer(pub Caller);

impl FromRequestParts<Api> for Writer {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, api: &Api) -> Result<Writer, Problem> {
        let caller = Caller::from_request_parts(parts, api).await?;
        if caller.token.scope != TokenScope::Write {
            return Err(Problem::new(
                StatusCode::FORBIDDEN,
                "read-only-token",
                "This token may only read",
                format!(
                    "The token `{}` has the read scope; changes need a token made with --scope write",
                    caller.token.name
                ),
            ));
        }
        Ok(Writer(caller))
    }
}

/// The language asked for: `?lang=en|th`, else the first of `Accept-Language` Jarvis speaks;
/// `None` means the workspace's own.
#[derive(Clone, Copy, Debug)]
pub struct Lang(pub Option<Language>);

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Lang, Problem> {
        let query = parts.uri.query().unwrap_or("");
        if let Some((_, value)) = url::form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == "lang") {
            return value
                .parse::<Language>()
                .map(|lang| Lang(Some(lang)))
                .map_err(|error| Problem::bad_request("lang", error.to_string()));
        }
        let accepted = parts.headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or("");
        Ok(Lang(accept_language(accepted)))
    }
}

/// The first language in an `Accept-Language` list that Jarvis speaks, by quality.
pub(super) fn accept_language(header: &str) -> Option<Language> {
    let mut ranges: Vec<(f32, Language)> = header
        .split(',')
        .filter_map(|range| {
            let mut parts = range.split(';');
            let tag = parts.next()?.trim().to_ascii_lowercase();
            let quality = parts
                .find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.trim().parse::<f32>().ok()))
                .unwrap_or(1.0);
            let primary = tag.split('-').next()?;
            let lang = match primary {
                "th" => Language::Thai,
                "en" => Language::English,
                _ => return None,
            };
            (quality > 0.0).then_some((quality, lang))
        })
        .collect();
    // Stable: of equal quality, the first listed wins.
    ranges.sort_by(|a, b| b.0.total_cmp(&a.0));
    ranges.first().map(|(_, lang)| *lang)
}

/// `?page=K|last&per_page=N` (defaults: the first page of 50).
#[derive(Clone, Copy, Debug)]
pub struct Paging(pub PageRequest);

impl Paging {
    pub const DEFAULT_PER_PAGE: u32 = 50;
}

impl<S: Send + Sync> FromRequestParts<S> for Paging {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Paging, Problem> {
        let query = parts.uri.query().unwrap_or("");
        let mut page = PageNumber::Nth(1);
        let mut size = Paging::DEFAULT_PER_PAGE;
        for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
            match key.as_ref() {
                "page" => page = parse_page(&value).map_err(|e| Problem::bad_request("page", e.to_string()))?,
                "per_page" => size = parse_size(&value).map_err(|e| Problem::bad_request("per_page", e.to_string()))?,
                _ => {}
            }
        }
        let request = PageRequest::with_number(page, size).map_err(|e| Problem::bad_request("page", e.to_string()))?;
        Ok(Paging(request))
    }
}

/// A JSON body, read whole up to the body limit and parsed with its numbers' text kept
/// (see [`Number`]). A malformed body is a 400; a well-formed one with a wrong field, a 422
/// naming it.
pub struct Json<T> {
    pub value: T,
    /// The body as sent (for the request's fingerprint).
    pub bytes: axum::body::Bytes,
}

impl<T: DeserializeOwned> FromRequest<Api> for Json<T> {
    type Rejection = Problem;

    async fn from_request(request: Request, api: &Api) -> Result<Json<T>, Problem> {
        let json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| {
                let v = v.trim().to_ascii_lowercase();
                v == "application/json" || v.ends_with("+json")
            });
        if !json {
            return Err(Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "not-json",
                "The body is not JSON",
                "Send the body as JSON with `Content-Type: application/json`",
            ));
        }
        let limit = api.options.body_limit;
        let too_large = || {
            Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too-large",
                "The body is too large",
                format!("The body is larger than {limit} bytes; send less at a time"),
            )
        };
        let declared = request.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
        if declared.is_some_and(|length| length > limit as u64) {
            return Err(too_large());
        }
        let bytes = axum::body::to_bytes(request.into_body(), limit).await.map_err(|error| {
            if format!("{error:?}").contains("LengthLimit") {
                too_large()
            } else {
                Problem::new(StatusCode::BAD_REQUEST, "unreadable", "The body could not be read", error.to_string())
            }
        })?;
        // Every body is an object; anything else is named as the body's fault.
        let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
        if first.is_some_and(|b| matches!(b, b'[' | b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n')) {
            return Err(Problem::invalid("body", "The body must be a JSON object, e.g. {\"name\": \"OpenAI\"}"));
        }
        let value = parse_json(&bytes)?;
        Ok(Json { value, bytes })
    }
}

/// Parses `bytes` as `T`, naming the field at fault.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Problem> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let parsed: Result<T, _> = serde_path_to_error::deserialize(&mut deserializer);
    let parsed = parsed
        .map_err(|error| (error.path().to_string(), error.into_inner()))
        .and_then(|value| deserializer.end().map(|()| value).map_err(|e| (".".to_string(), e)));
    parsed.map_err(|(path, inner)| match inner.classify() {
        serde_json::error::Category::Data => {
            let field = if path == "." { "body".to_string() } else { path };
            Problem::invalid(field.clone(), format!("`{field}`: {}", without_position(&inner)))
        }
        _ => Problem::new(
            StatusCode::BAD_REQUEST,
            "malformed-json",
            "The body is not well-formed JSON",
            format!(
                "The body is not well-formed JSON at line {} column {}: {}",
                inner.line(),
                inner.column(),
                without_position(&inner)
            ),
        ),
    })
}

/// serde_json's message without its " at line L column C" tail.
fn without_position(error: &serde_json::Error) -> String {
    let text = error.to_string();
    match text.rfind(" at line ") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

/// A number as its text: a JSON number exactly as written (never through a float), or a
/// string. Parsed later by the field's own rule, so `12.50`, `"12.50"` and `0.0000008` all mean
/// exactly what they say, and `1e309` is refused by the rule rather than read as infinity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Number(pub String);

impl utoipa::PartialSchema for Number {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
        ObjectBuilder::new()
            .schema_type(SchemaType::from_iter([Type::Number, Type::String]))
            .description(Some("An exact decimal: a JSON number (`12.50`, `8e-7`) read from its text, never through a float, or the same as a string (`\"12.50\"`)."))
            .into()
    }
}

impl utoipa::ToSchema for Number {}

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Number, D::Error> {
        use serde::de::Error as _;
        let raw: Box<serde_json::value::RawValue> = Deserialize::deserialize(deserializer)?;
        let text = raw.get();
        if text.starts_with('"') {
            let string: String = serde_json::from_str(text).map_err(D::Error::custom)?;
            Ok(Number(string))
        } else if text.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
            // JSON writers put small and large numbers in exponent form (JavaScript writes
            // 0.0000008 as 8e-7): read exactly as the decimal it is. One beyond what a decimal
            // holds (1e309) stays as written, for the field's rule to refuse.
            if text.contains(['e', 'E'])
                && let Ok(exact) = rust_decimal::Decimal::from_scientific(text)
            {
                return Ok(Number(exact.normalize().to_string()));
            }
            Ok(Number(text.to_string()))
        } else {
            Err(D::Error::custom(format!(
                "expected a decimal number such as 12.50 (or a string \"12.50\"), found {text}"
            )))
        }
    }
}

/// The item a path or body names: `12` (its id; never a name, unlike the CLI's bare number),
/// its UUID, or its name.
pub fn item_ref(text: &str) -> crate::app::ItemRef {
    let text = text.trim();
    let query = if !text.is_empty() && text.chars().all(|c| c.is_ascii_digit()) {
        format!("#{text}")
    } else {
        text.to_string()
    };
    crate::app::ItemRef::new(query)
}

/// Whole numbers (lead times in days, alert thresholds in percent) as a JSON array (`[30, 7]`)
/// or as the text the CLI takes (`"30,7"`), for the field's own parser.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum WholeNumbers {
    List(Vec<u32>),
    Text(String),
}

impl WholeNumbers {
    pub fn text(self) -> String {
        match self {
            WholeNumbers::List(list) => list.iter().map(u32::to_string).collect::<Vec<_>>().join(","),
            WholeNumbers::Text(text) => text,
        }
    }
}

/// A field that may be absent (leave it), `null` (clear it) or a value (set it).
pub fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(deserializer: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

/// `Idempotency-Key`: a POST sent again with the same key writes once and gets the first answer.
#[derive(Clone, Debug)]
pub struct IdempotencyKey(pub Option<String>);

impl IdempotencyKey {
    /// Longest key accepted.
    pub const MAX: usize = 120;
}

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<IdempotencyKey, Problem> {
        let Some(value) = parts.headers.get("idempotency-key") else { return Ok(IdempotencyKey(None)) };
        let key = value.to_str().unwrap_or("").trim().trim_matches('"');
        if key.is_empty() || key.len() > IdempotencyKey::MAX || !key.chars().all(|c| c.is_ascii_graphic()) {
            return Err(Problem::bad_request(
                "Idempotency-Key",
                format!(
                    "The Idempotency-Key must be 1 to {} visible ASCII characters, e.g. a UUID",
                    IdempotencyKey::MAX
                ),
            ));
        }
        Ok(IdempotencyKey(Some(key.to_string())))
    }
}

/// `If-Match`: the version tag the change is made against (`*` means any).
#[derive(Clone, Debug)]
pub struct IfMatch(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<IfMatch, Problem> {
        let Some(value) = parts.headers.get(header::IF_MATCH) else { return Ok(IfMatch(None)) };
        let value = value.to_str().unwrap_or("").trim();
        if value == "*" {
            return Ok(IfMatch(None));
        }
        let tag = value.strip_prefix("W/").unwrap_or(value).trim_matches('"');
        if tag.is_empty() || value.contains(',') {
            return Err(Problem::bad_request(
                "If-Match",
                "Give one ETag from a GET of this item, e.g. If-Match: \"3f2a...\"",
            ));
        }
        Ok(IfMatch(Some(tag.to_string())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_takes_the_best_jarvis_speaks() {
        assert_eq!(accept_language("th-TH,th;q=0.9,en;q=0.8"), Some(Language::Thai));
        assert_eq!(accept_language("fr-CH, fr;q=0.9, en;q=0.8, th;q=0.7"), Some(Language::English));
        assert_eq!(accept_language("en;q=0.5, th;q=0.6"), Some(Language::Thai));
        assert_eq!(accept_language("de, fr"), None);
        assert_eq!(accept_language("th;q=0, en"), Some(Language::English));
        assert_eq!(accept_language(""), None);
    }

    #[test]
    fn numbers_keep_their_text() {
        #[derive(Deserialize)]
        struct Body {
            cost: Number,
        }
        let read = |json: &str| parse_json::<Body>(json.as_bytes()).map(|b| b.cost.0);
        assert_eq!(read(r#"{"cost": 0.0000008}"#).unwrap(), "0.0000008");
        assert_eq!(read(r#"{"cost": 12345678901234567890.12}"#).unwrap(), "12345678901234567890.12");
        assert_eq!(read(r#"{"cost": "12.50"}"#).unwrap(), "12.50");
        assert_eq!(read(r#"{"cost": 1e309}"#).unwrap(), "1e309");
        assert_eq!(read(r#"{"cost": 8e-7}"#).unwrap(), "0.0000008");
        assert_eq!(read(r#"{"cost": 1.25E3}"#).unwrap(), "1250");
        let wrong = read(r#"{"cost": true}"#).unwrap_err();
        assert_eq!((wrong.status, wrong.field.as_deref()), (422, Some("cost")));
        let malformed = read(r#"{"cost": 1"#).unwrap_err();
        assert_eq!(malformed.status, 400);
        assert!(malformed.detail.contains("line 1"), "{}", malformed.detail);
    }
}
