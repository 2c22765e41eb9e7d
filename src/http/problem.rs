//! Errors as RFC 9457 problem details (`application/problem+json`): what was wrong, naming the
//! field where there is one, and what to do.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::app::AppError;
use crate::domain::UserError;

/// One problem, as the client sees it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// `urn:jarvis:problem:<slug>`: stable, for programs to branch on.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: &'static str,
    pub status: u16,
    /// What was wrong and what to do, in a sentence.
    pub detail: String,
    /// The request field at fault (`cost`, `renewal_date`, `body.features[2]`), when one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The values the field accepts, for a choice that is not one of them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub choices: Option<Vec<&'static str>>,
    /// The id of the log line with the details of an internal error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_id: Option<String>,
    /// Seconds to wait before trying again (also the `Retry-After` header).
    #[serde(skip)]
    #[schema(ignore)]
    pub retry_after: Option<u64>,
    /// Added to the response: `WWW-Authenticate` on a 401.
    #[serde(skip)]
    #[schema(ignore)]
    pub authenticate: bool,
}

impl Problem {
    pub fn new(status: StatusCode, slug: &str, title: &'static str, detail: impl Into<String>) -> Problem {
        Problem {
            kind: format!("urn:jarvis:problem:{slug}"),
            title,
            status: status.as_u16(),
            detail: detail.into(),
            field: None,
            choices: None,
            error_id: None,
            retry_after: None,
            authenticate: false,
        }
    }

    pub fn with_field(mut self, field: impl Into<String>) -> Problem {
        self.field = Some(field.into());
        self
    }

    /// A request value that is not valid (422).
    pub fn invalid(field: impl Into<String>, detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", "A value is not valid", detail).with_field(field)
    }

    /// A query parameter or path part that is not valid (400).
    pub fn bad_request(field: impl Into<String>, detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::BAD_REQUEST, "bad-request", "The request is not valid", detail).with_field(field)
    }

    pub fn unauthorized(detail: impl Into<String>) -> Problem {
        Problem {
            authenticate: true,
            ..Problem::new(StatusCode::UNAUTHORIZED, "unauthorized", "No valid token", detail)
        }
    }

    pub fn not_found(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::NOT_FOUND, "not-found", "Not found", detail)
    }
}

/// The request field a user error is about, as the API names it.
fn field_of(error: &UserError) -> Option<String> {
    let field = match error {
        UserError::Invalid { field, .. } => *field,
        UserError::UnknownChoice { what, .. } => what,
        _ => return None,
    };
    Some(api_field(field).to_string())
}

/// The JSON name of a field the domain names in words (`renewal date` -> `renewal_date`).
pub fn api_field(words: &str) -> String {
    match words {
        "billing period" | "period" => "billing_period".to_string(),
        "pricing model" => "pricing_model".to_string(),
        "API key status" | "api key status" => "api_key_status".to_string(),
        other => other.to_ascii_lowercase().replace([' ', '-'], "_"),
    }
}

impl From<AppError> for Problem {
    fn from(error: AppError) -> Problem {
        match error {
            AppError::User(error) => Problem::from(error),
            AppError::Repeated(done) => Problem::new(
                StatusCode::CONFLICT,
                "repeated",
                "Already carried out",
                format!(
                    "A request with this Idempotency-Key was carried out ({}) at {}, and its answer is not recorded; nothing was written again. Read the result with a GET, or send a new key for a new change",
                    done.action,
                    done.at.format("%Y-%m-%d %H:%M:%S UTC")
                ),
            ),
            AppError::Unavailable(error) => {
                tracing::warn!("{error:#}");
                Problem {
                    retry_after: Some(30),
                    ..Problem::new(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "unavailable",
                        "The ledger is unavailable",
                        "The database did not answer; nothing was written. Try again in a minute",
                    )
                }
            }
            AppError::Internal(error) => {
                let id = crate::error_id();
                tracing::error!(error_id = %id, "{error:#}");
                Problem {
                    error_id: Some(id.clone()),
                    ..Problem::new(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "internal",
                        "Something went wrong inside Jarvis",
                        format!("Something went wrong inside Jarvis (error id {id}); the server's log has the details"),
                    )
                }
            }
        }
    }
}

impl From<UserError> for Problem {
    fn from(error: UserError) -> Problem {
        let (status, slug, title) = match &error {
            UserError::Invalid { .. } | UserError::Missing(_) | UserError::UnknownChoice { .. } => {
                (StatusCode::UNPROCESSABLE_ENTITY, "invalid", "A value is not valid")
            }
            UserError::Conflict(_) | UserError::Duplicate { .. } | UserError::Ambiguous { .. } => {
                (StatusCode::CONFLICT, "conflict", "Refused: it conflicts with the ledger")
            }
            UserError::NotFound { .. } => (StatusCode::NOT_FOUND, "not-found", "Not found"),
            UserError::BadFile(_) => (StatusCode::UNPROCESSABLE_ENTITY, "bad-file", "The file cannot be imported"),
            UserError::PastTheEnd { .. } => (StatusCode::BAD_REQUEST, "past-the-end", "No such page"),
            UserError::Outdated(_) => (StatusCode::PRECONDITION_FAILED, "outdated", "Changed since it was read"),
        };
        let choices = match &error {
            UserError::UnknownChoice { choices, .. } => Some(choices.clone()),
            _ => None,
        };
        let field = field_of(&error);
        let mut problem = Problem::new(status, slug, title, shorten(&error.to_string()));
        problem.field = field;
        problem.choices = choices;
        problem
    }
}

/// At most this many characters of a detail (which may quote what was sent).
const DETAIL_MAX: usize = 600;

fn shorten(text: &str) -> String {
    if text.chars().count() <= DETAIL_MAX {
        text.to_string()
    } else {
        let mut cut: String = text.chars().take(DETAIL_MAX).collect();
        cut.push_str("...");
        cut
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if self.authenticate {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"jarvis\""));
        }
        response
    }
}
