//! The routes and their OpenAPI 3.1 description, made together: a route is added with its
//! [`Op`] (what it takes and answers), so none can go undescribed. `GET /api/openapi.json` serves
//! the document; the schemas come from the views' `utoipa::ToSchema`, derived beside their
//! `Serialize`.

use axum::Router;
use axum::handler::Handler;
use axum::routing::{MethodFilter, on};
use utoipa::ToSchema;
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, HeaderBuilder, InfoBuilder, OpenApi, OpenApiBuilder, Paths, Ref, RefOr,
    Required, ResponseBuilder,
};

use super::Api;
use super::problem::Problem;

/// The routes of the API, with their description.
pub(super) struct Routes {
    router: Router<Api>,
    paths: Paths,
    schemas: Vec<(String, RefOr<Schema>)>,
}

/// The security scheme every `/api/cost` route takes: `Authorization: Bearer TOKEN`.
const TOKEN: &str = "token";

impl Routes {
    pub fn new() -> Routes {
        Routes { router: Router::new(), paths: Paths::new(), schemas: Vec::new() }
    }

    /// Serves `handler` at `path` for `op`'s method, described by `op`.
    pub fn route<H, T>(mut self, path: &str, op: Op, handler: H) -> Routes
    where
        H: Handler<T, Api>,
        T: 'static,
    {
        let filter = match op.method {
            HttpMethod::Get => MethodFilter::GET,
            HttpMethod::Post => MethodFilter::POST,
            HttpMethod::Put => MethodFilter::PUT,
            HttpMethod::Delete => MethodFilter::DELETE,
            _ => unreachable!("the API has no other methods"),
        };
        self.router = self.router.route(path, on(filter, handler));
        let (method, operation, schemas) = op.finish(path);
        self.paths.add_path_operation(path, vec![method], operation);
        self.schemas.extend(schemas);
        self
    }

    /// The router, and the OpenAPI document describing it.
    pub fn finish(self) -> (Router<Api>, OpenApi) {
        let mut components = ComponentsBuilder::new().security_scheme(
            TOKEN,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A workspace's API token (`jarvis_...`), made by an admin with `/jarvis token create` in Discord or `jarvis token create` on the command line.",
                    ))
                    .build(),
            ),
        );
        for (name, schema) in self.schemas {
            components = components.schema(name, schema);
        }
        let document = OpenApiBuilder::new()
            .info(
                InfoBuilder::new()
                    .title("Jarvis")
                    .version(env!("CARGO_PKG_VERSION"))
                    .description(Some(
                        "What a company pays for, per workspace (a Discord server): items, costs, budgets, alerts and analysis. Every `/api/cost` route needs a workspace's token; amounts are decimal strings with their currency. Errors are RFC 9457 problem details.",
                    ))
                    .build(),
            )
            .paths(self.paths)
            .components(Some(components.build()))
            .build();
        (self.router, document)
    }
}

/// One operation: its method, what it takes and what it answers.
pub(super) struct Op {
    method: HttpMethod,
    operation: OperationBuilder,
    schemas: Vec<(String, RefOr<Schema>)>,
    /// Needs a token (every `/api/cost` route).
    token: bool,
    /// Changes the ledger: needs a write token.
    writes: bool,
    /// Takes a JSON body.
    body: bool,
    /// The problems this operation may answer with, besides those every one may.
    problems: Vec<u16>,
    /// The statuses described already (not as problems).
    answered: Vec<u16>,
    /// Its successes carry the item's `ETag`.
    etag: bool,
}

impl Op {
    fn new(method: HttpMethod, summary: &str) -> Op {
        let writes = !matches!(&method, HttpMethod::Get);
        Op {
            method,
            operation: OperationBuilder::new().summary(Some(summary)),
            schemas: Vec::new(),
            token: true,
            writes,
            body: false,
            problems: Vec::new(),
            answered: Vec::new(),
            etag: false,
        }
    }

    pub fn get(summary: &str) -> Op {
        Op::new(HttpMethod::Get, summary)
    }

    pub fn post(summary: &str) -> Op {
        Op::new(HttpMethod::Post, summary)
    }

    pub fn put(summary: &str) -> Op {
        Op::new(HttpMethod::Put, summary)
    }

    pub fn delete(summary: &str) -> Op {
        Op::new(HttpMethod::Delete, summary)
    }

    /// Answers without a token (health, metrics, this document).
    pub fn public(mut self) -> Op {
        self.token = false;
        self
    }

    pub fn describe(mut self, text: &str) -> Op {
        self.operation = self.operation.description(Some(text));
        self
    }

    pub fn tag(mut self, tag: &str) -> Op {
        self.operation = self.operation.tag(tag);
        self
    }

    /// A query parameter.
    pub fn query(mut self, name: &str, description: &str, schema: impl Into<RefOr<Schema>>) -> Op {
        self.operation = self.operation.parameter(
            ParameterBuilder::new()
                .name(name)
                .parameter_in(ParameterIn::Query)
                .required(Required::False)
                .description(Some(description))
                .schema(Some(schema)),
        );
        self.problems.push(400);
        self
    }

    /// `?page=` and `?per_page=`.
    pub fn paged(self) -> Op {
        use crate::domain::page::PageRequest;
        self.query("page", "The page to show, from 1, or `last` (default 1).", string()).query(
            "per_page",
            &format!("Rows per page, 1 to {} (default {}).", PageRequest::MAX_SIZE, PageRequest::DEFAULT_SIZE),
            integer(1, i64::from(PageRequest::MAX_SIZE)),
        )
    }

    /// A path parameter (`{name}` in the path); a value naming nothing is a 404.
    pub fn path(mut self, name: &str, description: &str) -> Op {
        self.operation = self.operation.parameter(
            ParameterBuilder::new()
                .name(name)
                .parameter_in(ParameterIn::Path)
                .required(Required::True)
                .description(Some(description))
                .schema(Some(string())),
        );
        self.problems.push(404);
        self
    }

    /// A request header.
    pub fn header(mut self, name: &str, description: &str) -> Op {
        self.operation = self.operation.parameter(
            ParameterBuilder::new()
                .name(name)
                .parameter_in(ParameterIn::Header)
                .required(Required::False)
                .description(Some(description))
                .schema(Some(string())),
        );
        self
    }

    /// `Idempotency-Key`: a retried POST writes once and gets the first answer again.
    pub fn idempotent(self) -> Op {
        self.header(
            "Idempotency-Key",
            "Any text up to 255 characters, new for each change: a retry with the same key and body writes nothing and gets the first answer again (with `Idempotent-Replayed: true`); the same key with another body is refused (422).",
        )
        .problems(&[409, 422])
    }

    /// A JSON request body of type `T`.
    pub fn body<T: ToSchema>(mut self, description: &str) -> Op {
        let schema = self.schema::<T>();
        self.body_schema(description, schema)
    }

    /// A JSON request body of any shape described by `schema`.
    pub fn body_schema(mut self, description: &str, schema: impl Into<RefOr<Schema>>) -> Op {
        self.operation = self.operation.request_body(Some(
            RequestBodyBuilder::new()
                .description(Some(description))
                .required(Some(Required::True))
                .content("application/json", ContentBuilder::new().schema(Some(schema)).build())
                .build(),
        ));
        self.body = true;
        self
    }

    /// A request body of bytes (a file), in one of `media_types`.
    pub fn body_file(mut self, description: &str, media_types: &[&str]) -> Op {
        let mut body = RequestBodyBuilder::new().description(Some(description)).required(Some(Required::True));
        for media_type in media_types {
            let schema = utoipa::openapi::schema::ObjectBuilder::new()
                .schema_type(utoipa::openapi::schema::Type::String)
                .content_media_type(*media_type);
            body = body.content(*media_type, ContentBuilder::new().schema(Some(schema)).build());
        }
        self.operation = self.operation.request_body(Some(body.build()));
        self.body = true;
        self
    }

    /// Answers `status` with a JSON `T` (as the CLI's `--json` prints it, sentences worded).
    pub fn answers<T: ToSchema>(mut self, status: u16, description: &str) -> Op {
        let schema = self.schema::<T>();
        self.answers_schema(status, description, schema)
    }

    /// Answers `status` with JSON described by `schema`.
    pub fn answers_schema(mut self, status: u16, description: &str, schema: impl Into<RefOr<Schema>>) -> Op {
        let mut response = ResponseBuilder::new()
            .description(description)
            .content("application/json", ContentBuilder::new().schema(Some(schema)).build());
        if status == 201 {
            response = response.header(
                "Location",
                HeaderBuilder::new().schema(string()).description(Some("Where the new resource is read.")).build(),
            );
        }
        self.operation = self.operation.response(status.to_string(), response.build());
        self.answered.push(status);
        self
    }

    /// Answers `status` with plain text.
    pub fn answers_text(mut self, status: u16, description: &str, media_type: &str) -> Op {
        let response = ResponseBuilder::new()
            .description(description)
            .content(media_type, ContentBuilder::new().schema(Some(string())).build());
        self.operation = self.operation.response(status.to_string(), response.build());
        self.answered.push(status);
        self
    }

    /// Answers with the item's version tag in `ETag` (for `If-Match`).
    pub fn etag(mut self) -> Op {
        self.etag = true;
        self
    }

    /// Besides the problems every operation may answer with.
    pub fn problems(mut self, statuses: &[u16]) -> Op {
        self.problems.extend_from_slice(statuses);
        self
    }

    /// `T`'s schema, by reference, its definitions kept for the document's components.
    fn schema<T: ToSchema>(&mut self) -> RefOr<Schema> {
        let name = T::name();
        self.schemas.push((name.to_string(), T::schema()));
        T::schemas(&mut self.schemas);
        RefOr::Ref(Ref::from_schema_name(name))
    }

    /// The method, the operation (its problems added), and the schemas it refers to.
    fn finish(mut self, path: &str) -> (HttpMethod, utoipa::openapi::path::Operation, Vec<(String, RefOr<Schema>)>) {
        let problem = self.schema::<Problem>();
        let mut problems = self.problems.clone();
        problems.extend([500, 503]);
        if self.token {
            problems.extend([400, 401, 429]);
            self.operation = self.operation.security(SecurityRequirement::new(TOKEN, Vec::<String>::new()));
        }
        if self.writes && self.token {
            // Any change may be refused by the ledger: a value it does not take, or a conflict
            // with what is there (a name taken, removed already).
            problems.extend([403, 409, 422]);
        }
        if self.body {
            problems.extend([400, 413, 415, 422]);
        }
        problems.sort_unstable();
        problems.dedup();
        problems.retain(|status| !self.answered.contains(status));
        let mut operation = self.operation.operation_id(Some(operation_id(self.method.clone(), path)));
        for status in problems {
            let mut response = ResponseBuilder::new()
                .description(problem_text(status))
                .content("application/problem+json", ContentBuilder::new().schema(Some(problem.clone())).build());
            if matches!(status, 429 | 503) {
                response = response.header(
                    "Retry-After",
                    HeaderBuilder::new().schema(integer(1, 86_400)).description(Some("Seconds to wait.")).build(),
                );
            }
            if status == 401 {
                response = response.header("WWW-Authenticate", HeaderBuilder::new().schema(string()).build());
            }
            operation = operation.response(status.to_string(), response.build());
        }
        let mut operation = operation.build();
        if self.etag {
            for (status, response) in operation.responses.responses.iter_mut() {
                if let (true, RefOr::T(response)) = (status.starts_with('2'), response) {
                    response.headers.insert(
                        "ETag".to_string(),
                        HeaderBuilder::new()
                            .schema(string())
                            .description(Some("The item's version tag, to send back in `If-Match`."))
                            .build(),
                    );
                }
            }
        }
        (self.method, operation, self.schemas)
    }
}

/// The names of the query parameters any operation of `document` takes.
pub(super) fn query_parameters(document: &serde_json::Value) -> std::collections::BTreeSet<String> {
    let operations = document["paths"].as_object().into_iter().flat_map(|paths| paths.values());
    operations
        .filter_map(serde_json::Value::as_object)
        .flat_map(|item| item.values())
        .filter_map(|operation| operation["parameters"].as_array())
        .flatten()
        .filter(|parameter| parameter["in"] == "query")
        .filter_map(|parameter| parameter["name"].as_str().map(str::to_string))
        .collect()
}

/// `getApiCostInfrastructureId`-style ids: the method and the path's words.
fn operation_id(method: HttpMethod, path: &str) -> String {
    let method = match method {
        HttpMethod::Get => "get",
        HttpMethod::Post => "post",
        HttpMethod::Put => "put",
        _ => "delete",
    };
    let words = path
        .split(['/', '-', '{', '}', '.', '_'])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            chars.next().map(|c| c.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
        })
        .collect::<String>();
    format!("{method}{words}")
}

fn problem_text(status: u16) -> &'static str {
    match status {
        400 => "A query parameter, header or the body's JSON is not valid.",
        401 => "No token, or an unknown or revoked one.",
        403 => "A read token on a route that writes.",
        404 => "Nothing by that id or name in this workspace.",
        409 => {
            "In conflict with the ledger (a name taken, an ambiguous name, a repeated record), or the Idempotency-Key was used for a change whose answer is not kept."
        }
        412 => "`If-Match` names another version: someone changed it since it was read.",
        413 => "The body is larger than the limit (1 MiB).",
        415 => "The body is not `application/json`.",
        422 => "A value is not valid; `field` names it.",
        429 => "Too many requests for this token; `Retry-After` says when to come back.",
        500 => "Something went wrong in Jarvis; `error_id` names the log line.",
        503 => "The ledger does not answer, or the request took too long; try again.",
        _ => "A problem.",
    }
}

/// A string.
pub(super) fn string() -> RefOr<Schema> {
    ObjectBuilder::new().schema_type(Type::String).into()
}

/// A whole number from `min` to `max`.
pub(super) fn integer(min: i64, max: i64) -> RefOr<Schema> {
    ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(min)).maximum(Some(max)).into()
}

/// One of `choices`.
pub(super) fn choice(choices: &[&str]) -> RefOr<Schema> {
    ObjectBuilder::new().schema_type(Type::String).enum_values(Some(choices.iter().copied())).into()
}
