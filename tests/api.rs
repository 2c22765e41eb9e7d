//! The HTTP API on a real server (127.0.0.1, a port the system picks) driven with reqwest: every
//! route, both scopes, another workspace's token, revoked tokens, hostile input, idempotency
//! keys, version tags, rate limits, and the same figures as the CLI's `--json`.

mod common;

use std::sync::Arc;

use common::{TestDb, ws};
use jarvis::app::{App, TokenScope};
use jarvis::domain::audit::Actor;
use jarvis::domain::workspace::WorkspaceId;
use reqwest::StatusCode;
use serde_json::{Value, json};

const NOW: &str = "2026-12-06T12:00:00Z";

/// A server on 127.0.0.1 for the test's life.
struct Server {
    base: String,
    client: reqwest::Client,
    described: Described,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl Server {
    async fn start(app: App, rate: Option<u32>) -> Server {
        let options = jarvis::http::Options {
            rate: rate.and_then(std::num::NonZeroU32::new),
            ..jarvis::http::Options::new("127.0.0.1:0".parse().unwrap())
        };
        let server = jarvis::http::Server::bind(app, options).await.unwrap();
        let base = format!("http://{}", server.local_addr());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(server.run(async move {
            let _ = stopped.await;
        }));
        let client = reqwest::Client::new();
        let document = client.get(format!("{base}/api/openapi.json")).send().await.unwrap();
        assert_eq!(document.status(), StatusCode::OK);
        let described = Described::new(document.json().await.unwrap());
        Server { base, client, described, _stop: stop }
    }

    fn request(&self, method: reqwest::Method, path: &str, token: Option<&str>) -> reqwest::RequestBuilder {
        let request = self.client.request(method, format!("{}{path}", self.base));
        match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.answer(reqwest::Method::GET, self.request(reqwest::Method::GET, path, Some(token)).send().await.unwrap())
            .await
    }

    async fn send(&self, method: reqwest::Method, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.answer(method.clone(), self.request(method, path, Some(token)).json(&body).send().await.unwrap()).await
    }
}

/// The OpenAPI document the server serves, and checks of answers against it.
struct Described {
    document: Value,
    /// Validators of response bodies by operation, status and media type.
    validators: std::sync::Mutex<std::collections::HashMap<String, Arc<jsonschema::Validator>>>,
    /// The operations (`GET /api/cost/dashboard`) that answered with a success.
    succeeded: std::sync::Mutex<std::collections::BTreeSet<String>>,
}

impl Described {
    fn new(document: Value) -> Described {
        assert_eq!(document["openapi"].as_str().map(|v| &v[..4]), Some("3.1."), "OpenAPI 3.1");
        Described { document, validators: Default::default(), succeeded: Default::default() }
    }

    /// The documented path `path` falls under (the one with the most fixed segments, as the
    /// router picks), and its operation for `method`.
    fn operation(&self, method: &reqwest::Method, path: &str) -> Option<(String, &Value)> {
        let segments: Vec<&str> = path.split('/').collect();
        let mut best: Option<(usize, &String, &Value)> = None;
        for (template, item) in self.document["paths"].as_object().unwrap() {
            let parts: Vec<&str> = template.split('/').collect();
            if parts.len() != segments.len() {
                continue;
            }
            let fits = parts.iter().zip(&segments).all(|(t, s)| t.starts_with('{') || t == s);
            let fixed = parts.iter().filter(|t| !t.starts_with('{')).count();
            if fits && best.is_none_or(|(most, _, _)| fixed > most) {
                best = Some((fixed, template, item));
            }
        }
        let (_, template, item) = best?;
        Some((template.clone(), item.get(method.as_str().to_lowercase())?))
    }

    /// Fails unless the document describes this answer: its route, method and status, and its
    /// body fits the schema given for its media type.
    fn check(&self, method: &reqwest::Method, path: &str, status: StatusCode, media: &str, body: &Value) {
        let Some((template, operation)) = self.operation(method, path) else {
            assert!(
                matches!(status.as_u16(), 404 | 405),
                "{method} {path} answered {status} but the OpenAPI document does not describe it"
            );
            return;
        };
        let response = &operation["responses"][status.as_str()];
        assert!(response.is_object(), "{method} {template}: {status} is not among its documented answers: {body}");
        if status.is_success() {
            self.succeeded.lock().unwrap().insert(format!("{method} {template}"));
        }
        let media = media.split(';').next().unwrap_or("").trim();
        let schema = &response["content"][media]["schema"];
        assert!(schema.is_object(), "{method} {template} {status}: `{media}` is not a documented content type");
        if !media.ends_with("json") {
            return;
        }
        let key = format!("{method} {template} {} {media}", status.as_u16());
        let validator = {
            let mut validators = self.validators.lock().unwrap();
            Arc::clone(validators.entry(key.clone()).or_insert_with(|| {
                // The components' schemas as `$defs` of one schema, so that its references resolve.
                let mut root = json!({ "$defs": self.document["components"]["schemas"].clone() });
                for (name, value) in schema.as_object().unwrap() {
                    root[name] = value.clone();
                }
                let text = root.to_string().replace("#/components/schemas/", "#/$defs/");
                let root: Value = serde_json::from_str(&text).unwrap();
                Arc::new(
                    jsonschema::draft202012::new(&root)
                        .unwrap_or_else(|e| panic!("{key}: the schema does not compile: {e}")),
                )
            }))
        };
        let errors = Described::errors(&validator, body);
        assert!(errors.is_empty(), "{key}: the answer does not fit its schema: {errors:#?}\n{body:#}");
    }

    /// Where `body` does not fit the schema.
    fn errors(validator: &jsonschema::Validator, body: &Value) -> Vec<String> {
        validator.iter_errors(body).map(|e| format!("{} at {}", e, e.instance_path())).take(5).collect()
    }

    /// The validator of `method path`'s answer `status` in JSON (made by an earlier check).
    fn validator(&self, method: &str, template: &str, status: u16) -> Arc<jsonschema::Validator> {
        let validators = self.validators.lock().unwrap();
        Arc::clone(&validators[&format!("{method} {template} {status} application/json")])
    }
}

impl Server {
    /// The status and JSON body, checked against the OpenAPI document; a problem must come as
    /// `application/problem+json` with its status.
    async fn answer(&self, method: reqwest::Method, response: reqwest::Response) -> (StatusCode, Value) {
        let status = response.status();
        let path = response.url().path().to_string();
        let kind = response.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if status.is_client_error() || status.is_server_error() {
            assert_eq!(kind, "application/problem+json", "{status} {body}");
            assert_eq!(body["status"], status.as_u16(), "{body}");
            assert!(body["type"].as_str().unwrap().starts_with("urn:jarvis:problem:"), "{body}");
            assert!(!body["detail"].as_str().unwrap().is_empty(), "{body}");
        }
        self.described.check(&method, &path, status, &kind, &body);
        (status, body)
    }
}

struct Tokens {
    read: String,
    write: String,
}

async fn tokens(app: &App, workspace: &WorkspaceId) -> Tokens {
    let admin = Actor::User("1001".into());
    let read = app.create_token(workspace, &admin, "grafana", TokenScope::Read).await.unwrap().token;
    let write = app.create_token(workspace, &admin, "billing-sync", TokenScope::Write).await.unwrap().token;
    Tokens { read, write }
}

/// The CLI's `--json` answer for `args` in `workspace`, on the same ledger at the same instant.
fn cli_json(db: &TestDb, workspace: &str, args: &[&str]) -> Value {
    let output =
        common::jarvis_on(&db.url, NOW).args(["--workspace", workspace, "--json"]).args(args).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

on_both_backends! {
    multi_thread async fn reads_give_the_cli_figures_in_the_designs_shape(db) {
        let app = db.app_at(NOW);
        let acme = ws("4242");
        app.load_demo(&acme, &Actor::Cli).await.unwrap();
        let t = tokens(&app, &acme).await;
        let api = Server::start(app.clone(), None).await;

        // The dashboard keeps the design's Cost Summary shape at its top level.
        let (status, dashboard) = api.get("/api/cost/dashboard?lang=en", &t.read).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(dashboard["base_currency"], "USD");
        assert!(dashboard["total_monthly_cost"].as_str().unwrap().parse::<rust_decimal::Decimal>().is_ok());
        for category in ["infrastructure", "ai_services", "third_party", "packages"] {
            assert!(dashboard["by_category"][category].is_string(), "{category}: {dashboard}");
        }
        let trend = &dashboard["trends"][0];
        assert!(trend["month"].is_string() && trend["cost"].is_string(), "{trend}");
        let renewal = &dashboard["upcoming_renewals"][0];
        assert!(renewal["item"].is_string() && renewal["date"].is_string() && renewal["cost"].is_string(), "{renewal}");

        // The same numbers, and the same everything, as the CLI's --json.
        assert_eq!(dashboard, cli_json(&db, "4242", &["dashboard"]));
        assert_eq!(api.get("/api/cost/trends?lang=en", &t.read).await.1, cli_json(&db, "4242", &["trends"]));
        assert_eq!(
            api.get("/api/cost/trends?months=3&category=ai_services&lang=en", &t.read).await.1,
            cli_json(&db, "4242", &["trends", "--months", "3", "--category", "ai_services"])
        );
        assert_eq!(api.get("/api/cost/alerts?lang=en", &t.read).await.1, cli_json(&db, "4242", &["alerts"]));
        assert_eq!(api.get("/api/cost/analysis?lang=en", &t.read).await.1, cli_json(&db, "4242", &["report"]));
        assert_eq!(
            api.get("/api/cost/renewals?days=60&per_page=3&lang=en", &t.read).await.1,
            cli_json(&db, "4242", &["renewals", "--days", "60", "--limit", "3"])
        );
        assert_eq!(
            api.get("/api/cost/infrastructure?per_page=100&lang=en", &t.read).await.1,
            cli_json(&db, "4242", &["item", "list", "--category", "infrastructure", "--limit", "100"])
        );
        assert_eq!(
            api.get("/api/cost/ai-providers?lang=en", &t.read).await.1,
            cli_json(&db, "4242", &["item", "list", "--category", "ai_services", "--limit", "50"])
        );
        assert_eq!(
            api.get("/api/cost/infrastructure?kind=domain&lang=en", &t.read).await.1,
            cli_json(&db, "4242", &["item", "list", "--category", "infrastructure", "--kind", "domain", "--limit", "50"])
        );
        assert_eq!(
            api.get("/api/cost/records?item=OpenAI&per_page=5&page=2", &t.read).await.1,
            cli_json(&db, "4242", &["cost", "history", "OpenAI", "--limit", "5", "--page", "2"])
        );
        assert_eq!(api.get("/api/cost/budgets?lang=en", &t.read).await.1, cli_json(&db, "4242", &["budget", "list"]));
        assert_eq!(api.get("/api/cost/settings", &t.read).await.1, cli_json(&db, "4242", &["settings", "show"]));
        assert_eq!(api.get("/api/cost/audit?per_page=20&lang=en", &t.read).await.1, cli_json(&db, "4242", &["audit"]));
        let (_, openai) = api.get("/api/cost/ai-providers/OpenAI?lang=en", &t.read).await;
        assert_eq!(openai, cli_json(&db, "4242", &["item", "show", "OpenAI"]));
        let id = openai["item"]["id"].as_i64().unwrap();
        let uuid = openai["item"]["uuid"].as_str().unwrap();
        assert_eq!(api.get(&format!("/api/cost/ai-providers/{id}?lang=en"), &t.read).await.1, openai);
        assert_eq!(api.get(&format!("/api/cost/ai-providers/{uuid}?lang=en"), &t.read).await.1, openai);
        // An item is only found in its own collection.
        assert_eq!(api.get(&format!("/api/cost/infrastructure/{id}"), &t.read).await.0, StatusCode::NOT_FOUND);

        // Worded fields follow ?lang, then Accept-Language; figures do not change.
        let (_, thai) = api.get("/api/cost/alerts?lang=th", &t.read).await;
        assert_eq!(thai, cli_json(&db, "4242", &["--lang", "th", "alerts"]));
        assert_ne!(thai, api.get("/api/cost/alerts?lang=en", &t.read).await.1);
        let accepted = api
            .request(reqwest::Method::GET, "/api/cost/alerts", Some(&t.read))
            .header("accept-language", "th-TH,th;q=0.9,en;q=0.5")
            .send()
            .await
            .unwrap();
        assert_eq!(accepted.json::<Value>().await.unwrap(), thai);
        let (status, problem) = api.get("/api/cost/alerts?lang=fr", &t.read).await;
        assert_eq!((status, problem["field"].as_str()), (StatusCode::BAD_REQUEST, Some("lang")));

        // Pages: numbered, the last, and a clear refusal past the end.
        let (_, page) = api.get("/api/cost/infrastructure?per_page=2&page=last", &t.read).await;
        let pages = page["paging"]["pages"].as_u64().unwrap();
        assert_eq!(page["paging"]["page"].as_u64(), Some(pages));
        let (status, past) = api.get("/api/cost/infrastructure?per_page=2&page=99", &t.read).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(past["detail"].as_str().unwrap().contains(&format!("{pages} pages")), "{past}");
        assert_eq!(api.get("/api/cost/infrastructure?per_page=0", &t.read).await.0, StatusCode::BAD_REQUEST);
    }
}

on_both_backends! {
    multi_thread async fn writes_go_through_the_app_and_name_the_token(db) {
        let app = db.app_at(NOW);
        let acme = ws("4242");
        let t = tokens(&app, &acme).await;
        let api = Server::start(app.clone(), None).await;
        use reqwest::Method;

        // One item in each collection.
        let bodies = [
            ("infrastructure", json!({"kind": "hosting", "name": "api-prod", "cost": 74.88, "billing_period": "monthly", "renewal_date": "2027-01-01", "server_type": "VPS"})),
            ("ai-providers", json!({"name": "OpenAI", "cost": "0", "billing_period": "usage_based", "unit": "request", "unit_price": 0.0000008, "service_type": "text", "pricing_model": "pay_per_use"})),
            ("third-party", json!({"name": "Sentry", "cost": "26", "billing_period": "monthly", "integration_type": "monitoring"})),
            ("packages", json!({"name": "JetBrains", "cost": "779", "billing_period": "yearly", "features": ["IDE", "AI"]})),
            ("other", json!({"name": "Coffee", "cost": "40.10", "currency": "EUR", "billing_period": "monthly"})),
        ];
        let mut ids = Vec::new();
        for (collection, body) in &bodies {
            let response = api.request(Method::POST, &format!("/api/cost/{collection}"), Some(&t.write)).json(body).send().await.unwrap();
            if response.status() != StatusCode::CREATED {
                panic!("{collection}: {:?}", api.answer(reqwest::Method::POST, response).await);
            }
            let location = response.headers().get("location").unwrap().to_str().unwrap().to_string();
            assert!(response.headers().get("etag").is_some());
            let (status, added) = api.answer(reqwest::Method::POST, response).await;
            assert_eq!(status, StatusCode::CREATED, "{collection}: {added}");
            let id = added["item"]["id"].as_i64().unwrap();
            assert_eq!(location, format!("/api/cost/{collection}/{id}"));
            ids.push(id);
        }
        // Exact: a JSON number's digits are kept, not passed through a float.
        let (_, openai) = api.get(&format!("/api/cost/ai-providers/{}", ids[1]), &t.read).await;
        assert_eq!(openai["item"]["usage"]["unit_price"]["amount"], "0.0000008", "{openai}");
        // What the CLI sees.
        let listed = cli_json(&db, "4242", &["item", "list"]);
        assert_eq!(listed["paging"]["total"], 5);

        // Change one; clear a field with null; remove it and bring it back.
        let path = format!("/api/cost/infrastructure/{}", ids[0]);
        let (status, edited) = api.send(Method::PUT, &path, &t.write, json!({"cost": "80", "server_type": null, "notes": "moved to Hetzner"})).await;
        assert_eq!(status, StatusCode::OK, "{edited}");
        assert_eq!(edited["item"]["cost"]["amount"], "80.00");
        assert_eq!(edited["item"]["server_type"], Value::Null);
        assert_eq!(edited["item"]["notes"], "moved to Hetzner");
        let (status, removed) = api.send(Method::DELETE, &path, &t.write, json!({})).await;
        assert_eq!((status, removed["name"].as_str()), (StatusCode::OK, Some("api-prod")));
        assert_eq!(api.get(&path, &t.read).await.0, StatusCode::NOT_FOUND);
        let (status, _) = api.send(Method::POST, &format!("{path}/restore"), &t.write, json!({})).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(api.get(&path, &t.read).await.0, StatusCode::OK);

        // Cost records: recorded, listed, removed.
        let (status, recorded) = api
            .send(Method::POST, "/api/cost/records", &t.write, json!({"item": "OpenAI", "amount": "12.3456", "month": "2026-11", "source": "usage", "usage": 1500}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{recorded}");
        assert_eq!(recorded["amount"]["amount"], "12.3456");
        let record = recorded["id"].as_i64().unwrap();
        let (_, history) = api.get("/api/cost/records?item=OpenAI", &t.read).await;
        assert_eq!(history["records"].as_array().unwrap().len(), 1);
        assert_eq!(api.send(Method::DELETE, &format!("/api/cost/records/{record}"), &t.write, json!({})).await.0, StatusCode::OK);
        let (status, again) = api.send(Method::DELETE, &format!("/api/cost/records/{record}"), &t.write, json!({})).await;
        assert_eq!(status, StatusCode::CONFLICT, "{again}");
        assert!(again["detail"].as_str().unwrap().contains("through the API (token:billing-sync"), "{again}");
        assert_eq!(api.send(Method::DELETE, "/api/cost/records/999999", &t.write, json!({})).await.0, StatusCode::NOT_FOUND);

        // Budgets, rates, settings.
        let (status, budget) = api.send(Method::PUT, "/api/cost/budgets/ai_services", &t.write, json!({"amount": 500, "thresholds": [50, 90]})).await;
        assert_eq!(status, StatusCode::OK, "{budget}");
        assert_eq!(cli_json(&db, "4242", &["budget", "list"])["budgets"][0]["scope"], "ai_services");
        assert_eq!(api.send(Method::DELETE, "/api/cost/budgets/ai_services", &t.write, json!({})).await.0, StatusCode::OK);
        assert_eq!(api.send(Method::DELETE, "/api/cost/budgets/ai_services", &t.write, json!({})).await.0, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(api.send(Method::PUT, "/api/cost/budgets/coffee", &t.write, json!({"amount": 5})).await.0, StatusCode::NOT_FOUND);
        let (status, rate) = api.send(Method::POST, "/api/cost/rates", &t.write, json!({"base": "EUR", "quote": "USD", "rate": "1.0825", "date": "2026-12-01"})).await;
        assert_eq!((status, rate["rate"].as_str()), (StatusCode::CREATED, Some("1.0825")));
        assert_eq!(api.get("/api/cost/rates", &t.read).await.1["rates"].as_array().unwrap().len(), 1);
        let (status, settings) = api.send(Method::PUT, "/api/cost/settings", &t.write, json!({"timezone": "Asia/Bangkok", "lead_times": [30, 7], "alert_channel": "112233445566778899"})).await;
        assert_eq!(status, StatusCode::OK, "{settings}");
        assert_eq!(settings["timezone"], "Asia/Bangkok");
        // All or none: one bad value writes nothing.
        let (status, refused) = api.send(Method::PUT, "/api/cost/settings", &t.write, json!({"timezone": "UTC", "currency": "ZZZ"})).await;
        assert_eq!((status, refused["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("currency")));
        assert_eq!(cli_json(&db, "4242", &["settings", "show"])["timezone"], "Asia/Bangkok");

        // Sites: a bad URL is refused before anything is written; the list answers.
        let (status, bad) = api.send(Method::POST, "/api/cost/sites", &t.write, json!({"url": "ftp://example.com"})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert_eq!(api.get("/api/cost/sites", &t.read).await.0, StatusCode::OK);

        // Alerts: once Jarvis raised them (the bot's evaluation), acknowledged and snoozed through
        // the API as with the buttons on their ping.
        app.evaluate_alerts().await.unwrap();
        let (_, alerts) = api.get("/api/cost/alerts?lang=en", &t.read).await;
        let keys: Vec<String> = alerts["alerts"].as_array().unwrap().iter().map(|a| a["key"].as_str().unwrap().to_string()).collect();
        assert!(!keys.is_empty(), "{alerts}");
        let (status, done) = api.send(Method::POST, &format!("/api/cost/alerts/{}/acknowledge?lang=en", keys[0]), &t.write, json!({})).await;
        assert_eq!(status, StatusCode::OK, "{done}");
        assert!(done["result"].as_str().unwrap().contains("billing-sync"), "{done}");
        let (status, done) = api.send(Method::POST, &format!("/api/cost/alerts/{}/snooze", keys[0]), &t.write, json!({})).await;
        assert_eq!(status, StatusCode::OK, "{done}");
        assert_eq!(api.send(Method::POST, "/api/cost/alerts/x/dance", &t.write, json!({})).await.0, StatusCode::NOT_FOUND);

        // The report needs a report channel.
        let (status, report) = api.send(Method::POST, "/api/cost/report", &t.write, json!({})).await;
        assert_eq!(status, StatusCode::CONFLICT, "{report}");

        // The audit log names the token, not a person.
        let log = cli_json(&db, "4242", &["audit", "--limit", "100"]);
        let entries = log["entries"].as_array().unwrap();
        let prefix = &t.write[..13];
        assert!(entries.iter().filter(|e| e["action"] != "token.create").all(|e| e["actor"] == format!("token:billing-sync ({prefix})")), "{log}");
        assert!(entries.iter().any(|e| e["action"] == "item.edit"));
    }
}

on_both_backends! {
    multi_thread async fn a_token_reaches_one_workspace_with_its_scope(db) {
        let app = db.app_at(NOW);
        let (acme, other) = (ws("4242"), ws("5151"));
        app.load_demo(&acme, &Actor::Cli).await.unwrap();
        app.load_demo(&other, &Actor::Cli).await.unwrap();
        let t = tokens(&app, &acme).await;
        let theirs = tokens(&app, &other).await;
        let api = Server::start(app.clone(), None).await;
        use reqwest::Method;

        // No token, a malformed header, a made-up token: 401 saying what to send.
        let response = api.request(Method::GET, "/api/cost/dashboard", None).send().await.unwrap();
        assert_eq!(response.headers().get("www-authenticate").unwrap(), "Bearer realm=\"jarvis\"");
        let (status, problem) = api.answer(reqwest::Method::GET, response).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(problem["detail"].as_str().unwrap().contains("Authorization: Bearer"), "{problem}");
        let basic = api.request(Method::GET, "/api/cost/dashboard", None).header("authorization", "Basic Zm9vOmJhcg==").send().await.unwrap();
        assert_eq!(api.answer(reqwest::Method::GET, basic).await.0, StatusCode::UNAUTHORIZED);
        assert_eq!(api.get("/api/cost/dashboard", "jarvis_0000").await.0, StatusCode::UNAUTHORIZED);

        // A read token reads and may not write.
        let (status, problem) = api.send(Method::POST, "/api/cost/other", &t.read, json!({"name": "Tea", "cost": "3"})).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
        assert!(problem["detail"].as_str().unwrap().contains("read scope"), "{problem}");

        // Another workspace's items and records are not found, by id, UUID or name.
        let (_, mine) = api.get("/api/cost/ai-providers/OpenAI", &t.read).await;
        let (_, theirs_openai) = api.get("/api/cost/ai-providers/OpenAI", &theirs.read).await;
        let (their_id, their_uuid) = (theirs_openai["item"]["id"].as_i64().unwrap(), theirs_openai["item"]["uuid"].as_str().unwrap().to_string());
        assert_ne!(mine["item"]["id"].as_i64().unwrap(), their_id);
        assert_eq!(api.get(&format!("/api/cost/ai-providers/{their_id}"), &t.read).await.0, StatusCode::NOT_FOUND);
        assert_eq!(api.get(&format!("/api/cost/ai-providers/{their_uuid}"), &t.read).await.0, StatusCode::NOT_FOUND);
        let edit = api.send(Method::PUT, &format!("/api/cost/ai-providers/{their_id}"), &t.write, json!({"cost": "1"})).await;
        assert_eq!(edit.0, StatusCode::NOT_FOUND);
        assert_eq!(api.send(Method::DELETE, &format!("/api/cost/ai-providers/{their_uuid}"), &t.write, json!({})).await.0, StatusCode::NOT_FOUND);
        let (_, their_history) = api.get("/api/cost/records?per_page=1", &theirs.read).await;
        let their_record = their_history["records"][0]["id"].as_i64().unwrap();
        assert_eq!(api.send(Method::DELETE, &format!("/api/cost/records/{their_record}"), &t.write, json!({})).await.0, StatusCode::NOT_FOUND);
        // ...and untouched.
        assert_eq!(api.get(&format!("/api/cost/ai-providers/{their_id}"), &theirs.read).await.1, theirs_openai);
        assert_eq!(api.get("/api/cost/records?per_page=1", &theirs.read).await.1, their_history);

        // A revoked token is refused from the next request on.
        app.revoke_token(&acme, &Actor::Cli, "grafana").await.unwrap();
        assert_eq!(api.get("/api/cost/dashboard", &t.read).await.0, StatusCode::UNAUTHORIZED);
        assert_eq!(api.get("/api/cost/dashboard", &t.write).await.0, StatusCode::OK);
        // Revoked by another process (here another app on the same ledger): refused soon too.
        db.app_at(NOW).revoke_token(&acme, &Actor::Cli, "billing-sync").await.unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while api.get("/api/cost/dashboard", &t.write).await.0 != StatusCode::UNAUTHORIZED {
            assert!(std::time::Instant::now() < deadline, "a token revoked elsewhere is still taken");
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }
}

on_both_backends! {
    multi_thread async fn hostile_input_gets_a_problem_and_writes_nothing(db) {
        let app = db.app_at(NOW);
        let acme = ws("4242");
        app.load_demo(&acme, &Actor::Cli).await.unwrap();
        let t = tokens(&app, &acme).await;
        let api = Server::start(app.clone(), None).await;
        use reqwest::Method;
        let before = (cli_json(&db, "4242", &["item", "list", "--limit", "1000"]), cli_json(&db, "4242", &["audit"])["paging"].clone());

        let long = "x".repeat(5000);
        let cases: Vec<(&str, Value, StatusCode, Option<&str>)> = vec![
            ("/api/cost/other", json!({"name": "Tea", "cost": true}), StatusCode::UNPROCESSABLE_ENTITY, Some("cost")),
            ("/api/cost/other", json!({"name": 5, "cost": "1"}), StatusCode::UNPROCESSABLE_ENTITY, Some("name")),
            ("/api/cost/other", json!({"name": "Tea", "cost": "-5"}), StatusCode::UNPROCESSABLE_ENTITY, Some("cost")),
            ("/api/cost/other", json!({"name": "Tea", "cost": "NaN"}), StatusCode::UNPROCESSABLE_ENTITY, Some("cost")),
            ("/api/cost/other", json!({"name": "Tea", "cost": "Infinity"}), StatusCode::UNPROCESSABLE_ENTITY, Some("cost")),
            ("/api/cost/other", json!({"name": "Tea", "cost": "1", "currency": "ZZZ"}), StatusCode::UNPROCESSABLE_ENTITY, Some("currency")),
            ("/api/cost/other", json!({"name": "Tea", "cost": "1", "renewal_date": "2026-02-30"}), StatusCode::UNPROCESSABLE_ENTITY, Some("renewal_date")),
            ("/api/cost/other", json!({"name": "Tea", "cost": "1", "renewal_date": "tomorrow"}), StatusCode::UNPROCESSABLE_ENTITY, Some("renewal_date")),
            ("/api/cost/other", json!({"name": "Tea\u{0}", "cost": "1"}), StatusCode::UNPROCESSABLE_ENTITY, Some("name")),
            ("/api/cost/other", json!({"name": long, "cost": "1"}), StatusCode::UNPROCESSABLE_ENTITY, Some("name")),
            ("/api/cost/other", json!({"name": "Tea", "cost": "1", "notes": long}), StatusCode::UNPROCESSABLE_ENTITY, Some("notes")),
            ("/api/cost/other", json!({"name": "Tea", "cost": "1", "colour": "red"}), StatusCode::UNPROCESSABLE_ENTITY, Some("colour")),
            ("/api/cost/other", json!({"name": "Tea", "cost": "1", "billing_period": "fortnightly"}), StatusCode::UNPROCESSABLE_ENTITY, Some("billing_period")),
            ("/api/cost/other", json!([1, 2]), StatusCode::UNPROCESSABLE_ENTITY, Some("body")),
            ("/api/cost/infrastructure", json!({"name": "x.com", "cost": "1"}), StatusCode::UNPROCESSABLE_ENTITY, Some("kind")),
            ("/api/cost/records", json!({"item": "OpenAI", "amount": "1", "month": "2026-13"}), StatusCode::UNPROCESSABLE_ENTITY, Some("month")),
            ("/api/cost/records", json!({"item": "OpenAI", "amount": "1", "month": "2026-11", "date": "2026-11-02"}), StatusCode::UNPROCESSABLE_ENTITY, Some("month")),
            ("/api/cost/records", json!({"item": "Nobody", "amount": "1"}), StatusCode::NOT_FOUND, None),
            ("/api/cost/records", json!({"item": "OpenAI", "amount": "1", "source": "renewal"}), StatusCode::UNPROCESSABLE_ENTITY, Some("source")),
            ("/api/cost/rates", json!({"base": "EUR", "quote": "EUR", "rate": "1"}), StatusCode::CONFLICT, None),
            ("/api/cost/rates", json!({"base": "EUR", "quote": "USD", "rate": "-1"}), StatusCode::UNPROCESSABLE_ENTITY, Some("rate")),
        ];
        for (path, body, expected, field) in &cases {
            let (status, problem) = api.send(Method::POST, path, &t.write, body.clone()).await;
            assert_eq!(status, *expected, "{path} {body}: {problem}");
            assert_eq!(problem["field"].as_str(), *field, "{path} {body}: {problem}");
            assert!(problem["detail"].as_str().unwrap().chars().count() <= 610, "{problem}");
        }
        // Bodies that are not JSON objects at all.
        let raw = |body: Vec<u8>, kind: &str| {
            api.request(Method::POST, "/api/cost/other", Some(&t.write)).header("content-type", kind.to_string()).body(body)
        };
        let api = &api;
        let send = |request: reqwest::RequestBuilder| async move { api.answer(reqwest::Method::POST, request.send().await.unwrap()).await.0 };
        assert_eq!(send(raw(b"{\"name\": \"Tea\", ".to_vec(), "application/json")).await, StatusCode::BAD_REQUEST);
        assert_eq!(send(raw(b"{\"name\": \"Tea\"} {}".to_vec(), "application/json")).await, StatusCode::BAD_REQUEST);
        assert_eq!(send(raw(b"\xff\xfe".to_vec(), "application/json")).await, StatusCode::BAD_REQUEST);
        assert_eq!(send(raw(b"{\"cost\": 1e309, \"name\": \"Tea\"}".to_vec(), "application/json")).await, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(send(raw(b"name=Tea".to_vec(), "application/x-www-form-urlencoded")).await, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        // A body over the limit is refused from its announced length, before it is sent (a
        // client still writing it when the server closes would see a broken pipe, so this one
        // reads the answer first); one sent without a length is cut off at the limit.
        let status_of = async |head: &str| {
            use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
            let mut tcp = tokio::net::TcpStream::connect(api.base.trim_start_matches("http://")).await.unwrap();
            // The server may stop reading once it has answered: what it did not read is moot.
            let _ = tcp.write_all(head.as_bytes()).await;
            let mut answer = vec![0; 64];
            let read = tcp.read(&mut answer).await.unwrap();
            String::from_utf8_lossy(&answer[..read]).lines().next().unwrap_or_default().to_string()
        };
        let announced = format!("POST /api/cost/other HTTP/1.1\r\nHost: jarvis\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n", t.write, 10 * 1024 * 1024);
        assert_eq!(status_of(&announced).await, "HTTP/1.1 413 Payload Too Large");
        let chunk = format!("{{\"name\": \"Tea\", \"notes\": \"{}", "a".repeat(1024 * 1024 + 4096));
        let chunked = format!("POST /api/cost/other HTTP/1.1\r\nHost: jarvis\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{chunk}\r\n", t.write, chunk.len());
        assert_eq!(status_of(&chunked).await, "HTTP/1.1 413 Payload Too Large");
        // Query strings and paths too.
        for path in ["/api/cost/dashboard?days=0", "/api/cost/dashboard?days=x", "/api/cost/trends?months=61", "/api/cost/trends?category=food", "/api/cost/records?from=2026-02-30", "/api/cost/infrastructure?kind=ai_provider", "/api/cost/infrastructure?status=sleeping"] {
            assert_eq!(api.get(path, &t.read).await.0, StatusCode::BAD_REQUEST, "{path}");
        }
        assert_eq!(api.get("/api/cost/nothing", &t.read).await.0, StatusCode::NOT_FOUND);
        assert_eq!(api.send(Method::PATCH, "/api/cost/dashboard", &t.write, json!({})).await.0, StatusCode::METHOD_NOT_ALLOWED);

        // Nothing was written by any of it.
        assert_eq!(cli_json(&db, "4242", &["item", "list", "--limit", "1000"]), before.0);
        assert_eq!(cli_json(&db, "4242", &["audit"])["paging"], before.1);

        // Text that would ping in Discord is only text here: kept as typed (Discord replies
        // escape it and allow no mentions), never a 500.
        let (status, everyone) = api.send(Method::POST, "/api/cost/other", &t.write, json!({"name": "@everyone", "cost": "1"})).await;
        assert_eq!(status, StatusCode::CREATED, "{everyone}");
        assert_eq!(everyone["item"]["name"], "@everyone");
    }
}

on_both_backends! {
    multi_thread async fn a_retried_post_writes_once_and_a_lost_update_is_refused(db) {
        let app = db.app_at(NOW);
        let acme = ws("4242");
        let t = tokens(&app, &acme).await;
        let api = Server::start(app.clone(), None).await;
        use reqwest::Method;
        let post = |key: &str, body: Value| {
            api.request(Method::POST, "/api/cost/other", Some(&t.write)).header("idempotency-key", key.to_string()).json(&body)
        };

        let first = post("7d7c", json!({"name": "Tea", "cost": "3"})).send().await.unwrap();
        assert!(first.headers().get("idempotent-replayed").is_none());
        let (status, first) = api.answer(reqwest::Method::POST, first).await;
        assert_eq!(status, StatusCode::CREATED);
        let again = post("7d7c", json!({"name": "Tea", "cost": "3"})).send().await.unwrap();
        assert_eq!(again.headers().get("idempotent-replayed").unwrap(), "true");
        assert_eq!(again.headers().get("location").unwrap().to_str().unwrap(), format!("/api/cost/other/{}", first["item"]["id"]));
        assert_eq!(api.answer(reqwest::Method::POST, again).await, (StatusCode::CREATED, first.clone()));
        assert_eq!(cli_json(&db, "4242", &["item", "list"])["paging"]["total"], 1, "written once");
        let (status, reused) = api.answer(reqwest::Method::POST, post("7d7c", json!({"name": "Coffee", "cost": "3"})).send().await.unwrap()).await;
        assert_eq!((status, reused["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("Idempotency-Key")));
        // A refused request does not use up its key.
        assert_eq!(api.answer(reqwest::Method::POST, post("k2", json!({"name": "Tea", "cost": "3"})).send().await.unwrap()).await.0, StatusCode::CONFLICT);
        assert_eq!(api.answer(reqwest::Method::POST, post("k2", json!({"name": "Coffee", "cost": "3"})).send().await.unwrap()).await.0, StatusCode::CREATED);
        assert_eq!(api.answer(reqwest::Method::POST, post("", json!({"name": "Milk", "cost": "3"})).send().await.unwrap()).await.0, StatusCode::BAD_REQUEST);

        // ETag and If-Match: the second writer working from the same reading is refused.
        let path = format!("/api/cost/other/{}", first["item"]["id"]);
        let read = api.request(Method::GET, &path, Some(&t.read)).send().await.unwrap();
        let etag = read.headers().get("etag").unwrap().to_str().unwrap().to_string();
        let put = |etag: &str, cost: &str| {
            api.request(Method::PUT, &path, Some(&t.write)).header("if-match", etag.to_string()).json(&json!({"cost": cost}))
        };
        let won = put(&etag, "4").send().await.unwrap();
        let new_etag = won.headers().get("etag").unwrap().to_str().unwrap().to_string();
        assert_ne!(new_etag, etag);
        assert_eq!(api.answer(reqwest::Method::PUT, won).await.0, StatusCode::OK);
        let (status, lost) = api.answer(reqwest::Method::PUT, put(&etag, "5").send().await.unwrap()).await;
        assert_eq!(status, StatusCode::PRECONDITION_FAILED, "{lost}");
        assert_eq!(api.get(&path, &t.read).await.1["item"]["cost"]["amount"], "4.00");
        assert_eq!(api.answer(reqwest::Method::PUT, put(&new_etag, "5").send().await.unwrap()).await.0, StatusCode::OK);
        assert_eq!(api.answer(reqwest::Method::PUT, put("*", "6").send().await.unwrap()).await.0, StatusCode::OK);
        // The same figures, same time: still a new version each time it changes.
        let read = api.request(Method::GET, &path, Some(&t.read)).send().await.unwrap();
        let current = read.headers().get("etag").unwrap().to_str().unwrap().to_string();
        assert_eq!(api.answer(reqwest::Method::PUT, put(&current, "7").send().await.unwrap()).await.0, StatusCode::OK);
        assert_eq!(api.answer(reqwest::Method::PUT, put(&current, "8").send().await.unwrap()).await.0, StatusCode::PRECONDITION_FAILED);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn each_token_has_its_own_rate_and_is_told_when_to_come_back() {
    let db = TestDb::new().await;
    let app = db.app_at(NOW);
    let (a, b) = (tokens(&app, &ws("4242")).await, tokens(&app, &ws("5151")).await);
    let api = Server::start(app, Some(1)).await;
    // A burst of twice the rate, then 429 with Retry-After.
    for _ in 0..2 {
        assert_eq!(api.get("/api/cost/settings", &a.read).await.0, StatusCode::OK);
    }
    let response = api.request(reqwest::Method::GET, "/api/cost/settings", Some(&a.read)).send().await.unwrap();
    let retry: u64 = response.headers().get("retry-after").unwrap().to_str().unwrap().parse().unwrap();
    assert!((1..=2).contains(&retry), "{retry}");
    let (status, problem) = api.answer(reqwest::Method::GET, response).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{problem}");
    // Other tokens are not slowed down by it.
    assert_eq!(api.get("/api/cost/settings", &a.write).await.0, StatusCode::OK);
    assert_eq!(api.get("/api/cost/settings", &b.read).await.0, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread")]
async fn health_readiness_and_metrics_answer_without_a_token() {
    let db = TestDb::new().await;
    let app = db.app_at(NOW);
    let t = tokens(&app, &ws("4242")).await;
    let api = Server::start(app, None).await;
    let text = |path: &'static str| {
        let request = api.request(reqwest::Method::GET, path, None);
        async move {
            let response = request.send().await.unwrap();
            (response.status(), response.text().await.unwrap())
        }
    };
    assert_eq!(text("/healthz").await, (StatusCode::OK, "ok\n".to_string()));
    assert_eq!(text("/readyz").await, (StatusCode::OK, "ready\n".to_string()));
    api.get("/api/cost/dashboard", &t.read).await;
    api.get("/api/cost/other/404", &t.read).await;
    let (status, metrics) = text("/metrics").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        metrics.contains(r#"jarvis_http_requests_total{method="GET",route="/api/cost/dashboard",status="200"} 1"#),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"jarvis_http_requests_total{method="GET",route="/api/cost/other/{id}",status="404"} 1"#),
        "{metrics}"
    );
    assert!(metrics.contains("jarvis_http_request_duration_seconds_bucket{"), "{metrics}");
    assert!(metrics.contains("jarvis_outbox_depth 0"), "{metrics}");
    assert!(!metrics.contains(&t.read), "no token in the metrics");
    let _ = Arc::new(());
}

on_both_backends! {
    /// The OpenAPI document describes every route: each operation in it is called here and
    /// answers with one of its documented successes, its body fitting the schema (as every
    /// answer in these tests must); anything the document leaves out answers 404 or 405.
    multi_thread async fn every_route_in_the_openapi_document_answers_as_it_says(db) {
        use reqwest::Method;
        // Websites on this machine may be watched (the one added answers nothing: it is down).
        let probes = jarvis::probe::site::ProbeConfig { allow_private: true, ..Default::default() };
        let app = db.app_at(NOW).with_net(jarvis::app::Net::new(probes, None));
        let acme = ws("4242");
        app.load_demo(&acme, &Actor::Cli).await.unwrap();
        app.set_schedule(&acme, &Actor::Cli, 987654321098765432, "weekly monday", "09:00").await.unwrap();
        let t = tokens(&app, &acme).await;
        let api = Server::start(app.clone(), None).await;
        let call = |method: Method, path: String, body: Option<Value>| {
            let api = &api;
            let token = t.write.clone();
            async move {
                let request = api.request(method.clone(), &path, Some(&token));
                let request = match body {
                    Some(body) => request.json(&body),
                    None => request,
                };
                let (status, body) = api.answer(method.clone(), request.send().await.unwrap()).await;
                assert!(status.is_success(), "{method} {path}: {status} {body}");
                body
            }
        };

        for path in ["/healthz", "/readyz", "/metrics", "/api/openapi.json"] {
            let response = api.request(Method::GET, path, None).send().await.unwrap();
            assert_eq!(api.answer(Method::GET, response).await.0, StatusCode::OK, "{path}");
        }
        for path in ["dashboard", "analysis", "trends", "renewals", "alerts", "records", "budgets", "rates", "settings", "sites", "audit"] {
            call(Method::GET, format!("/api/cost/{path}"), None).await;
        }
        // An open alert not yet posted in Discord cannot be acknowledged, and says why.
        let open = call(Method::GET, "/api/cost/alerts".into(), None).await;
        let key = open["alerts"][0]["key"].as_str().expect("the demo has alerts").to_string();
        let (status, problem) = api.send(Method::POST, &format!("/api/cost/alerts/{key}/acknowledge"), &t.write, json!({})).await;
        assert_eq!(status, StatusCode::CONFLICT, "{problem}");
        assert!(problem["detail"].as_str().unwrap().contains("has not been posted in the alert channel"), "{problem}");
        let items = [
            ("infrastructure", json!({"kind": "cdn", "name": "edge", "cost": "20", "billing_period": "monthly"})),
            ("ai-providers", json!({"name": "Mistral", "cost": 0, "billing_period": "usage_based", "unit": "request", "unit_price": "0.002"})),
            ("third-party", json!({"name": "PagerDuty", "cost": "21", "billing_period": "monthly"})),
            ("packages", json!({"name": "Figma", "cost": "144", "billing_period": "yearly", "features": ["design"]})),
            ("other", json!({"name": "Snacks", "cost": "9.99", "currency": "EUR", "billing_period": "monthly"})),
        ];
        for (collection, body) in items {
            let list = format!("/api/cost/{collection}?per_page=1000");
            let before = call(Method::GET, list.clone(), None).await;
            let added = call(Method::POST, format!("/api/cost/{collection}"), Some(body.clone())).await;
            let path = format!("/api/cost/{collection}/{}", added["item"]["id"]);
            // A list read a moment ago is not served again after a write.
            let after = call(Method::GET, list, None).await;
            assert_eq!(after["paging"]["total"].as_u64(), before["paging"]["total"].as_u64().map(|n| n + 1), "{collection}");
            assert!(after["items"].as_array().unwrap().iter().any(|i| i["name"] == body["name"]), "{collection}: {after}");
            call(Method::GET, path.clone(), None).await;
            call(Method::PUT, path.clone(), Some(json!({"notes": "walked"}))).await;
            call(Method::DELETE, path.clone(), None).await;
            call(Method::POST, format!("{path}/restore"), None).await;
        }
        let recorded = call(Method::POST, "/api/cost/records".into(), Some(json!({"item": "edge", "amount": "20", "month": "2026-11"}))).await;
        call(Method::DELETE, format!("/api/cost/records/{}", recorded["id"]), None).await;
        call(Method::PUT, "/api/cost/budgets/total".into(), Some(json!({"amount": "5000"}))).await;
        call(Method::DELETE, "/api/cost/budgets/total".into(), None).await;
        call(Method::POST, "/api/cost/rates".into(), Some(json!({"base": "EUR", "quote": "USD", "rate": "1.08"}))).await;
        call(Method::PUT, "/api/cost/settings".into(), Some(json!({"expiring_window": 45, "alert_channel": "112233445566778899"}))).await;
        call(Method::POST, "/api/cost/sites".into(), Some(json!({"url": "http://127.0.0.1:9/health"}))).await;
        call(Method::POST, "/api/cost/sites/check?site=127.0.0.1".into(), None).await;
        call(Method::DELETE, "/api/cost/sites/http%3A%2F%2F127.0.0.1%3A9%2Fhealth".into(), None).await;
        app.evaluate_alerts().await.unwrap();
        let alerts = call(Method::GET, "/api/cost/alerts".into(), None).await;
        let key = alerts["alerts"][0]["key"].as_str().expect("the demo has alerts").to_string();
        call(Method::POST, format!("/api/cost/alerts/{key}/acknowledge"), None).await;
        call(Method::POST, "/api/cost/report".into(), None).await;
        call(Method::POST, "/api/cost/usage".into(), Some(json!({"item": "Mistral", "quantity": 3}))).await;
        // A bill in: streamed as CSV (a dry run first), listed, shown and removed.
        let bill = std::fs::read(format!("{}/tests/fixtures/focus/focus-1.2-quirks.csv", env!("CARGO_MANIFEST_DIR"))).unwrap();
        for query in ["dry_run=true&file_name=gcp.csv", "file_name=gcp.csv"] {
            let request = api
                .request(Method::POST, &format!("/api/cost/imports?{query}"), Some(&t.write))
                .header("content-type", "text/csv")
                .body(bill.clone());
            let (status, body) = api.answer(Method::POST, request.send().await.unwrap()).await;
            assert!(status.is_success(), "{query}: {status} {body}");
        }
        let imports = call(Method::GET, "/api/cost/imports".into(), None).await;
        let uuid = imports["imports"][0]["uuid"].as_str().unwrap().to_string();
        call(Method::GET, format!("/api/cost/imports/{uuid}"), None).await;
        call(Method::DELETE, format!("/api/cost/imports/{uuid}"), None).await;

        // Every operation the document names answered with a success.
        let documented: std::collections::BTreeSet<String> = api.described.document["paths"]
            .as_object()
            .unwrap()
            .iter()
            .flat_map(|(path, item)| item.as_object().unwrap().keys().map(move |method| format!("{} {path}", method.to_uppercase())))
            .collect();
        let succeeded = api.described.succeeded.lock().unwrap().clone();
        let missed: Vec<_> = documented.difference(&succeeded).collect();
        assert!(missed.is_empty(), "documented but not walked: {missed:?}");
        assert_eq!(documented.len(), 61, "{documented:#?}");

        // The schemas are not a formality: an amount as a JSON number, a missing figure or a
        // date in another form does not fit.
        let dashboard = call(Method::GET, "/api/cost/dashboard".into(), None).await;
        let validator = api.described.validator("GET", "/api/cost/dashboard", 200);
        assert!(Described::errors(&validator, &dashboard).is_empty());
        let mut wrong = dashboard.clone();
        wrong["total_monthly_cost"] = json!(842.64);
        assert!(!Described::errors(&validator, &wrong).is_empty());
        let mut wrong = dashboard.clone();
        wrong.as_object_mut().unwrap().remove("by_category");
        assert!(!Described::errors(&validator, &wrong).is_empty());
        let mut wrong = dashboard.clone();
        wrong["upcoming_renewals"][0]["cost"] = json!({"amount": 12});
        assert!(!Described::errors(&validator, &wrong).is_empty(), "{:#}", dashboard["upcoming_renewals"]);

        // Methods the document does not give a path are refused.
        for (method, path) in [(Method::PATCH, "/api/cost/dashboard"), (Method::DELETE, "/api/cost/alerts"), (Method::PUT, "/api/cost/records"), (Method::GET, "/api/cost/report")] {
            let response = api.request(method.clone(), path, Some(&t.write)).send().await.unwrap();
            assert_eq!(api.answer(method, response).await.0, StatusCode::METHOD_NOT_ALLOWED, "{path}");
        }
        // Every answer carries the description of its problems too.
        let document = &api.described.document;
        assert!(document["paths"]["/api/cost/dashboard"]["get"]["responses"]["401"]["content"]["application/problem+json"].is_object());
        assert_eq!(document["components"]["securitySchemes"]["token"]["scheme"], "bearer");
    }
}

on_both_backends! {
    /// `POST /api/cost/imports` streams a bill, gzip-compressed or not, with a write token: a
    /// re-import replaces, a bad row is a 422 naming it, a read token is refused, and another
    /// workspace's token sees no import.
    multi_thread async fn bills_are_imported_through_the_api(db) {
        use reqwest::Method;
        use std::io::Write as _;
        let app = db.app_at(NOW);
        let acme = ws("4242");
        let t = tokens(&app, &acme).await;
        let api = Server::start(app.clone(), None).await;
        let csv = std::fs::read(format!("{}/tests/fixtures/focus/focus-1.0-quirks.csv", env!("CARGO_MANIFEST_DIR"))).unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&csv).unwrap();
        let gz = gz.finish().unwrap();
        let post = |token: String, query: &'static str, body: Vec<u8>| {
            let api = &api;
            async move {
                let request = api
                    .request(Method::POST, &format!("/api/cost/imports?{query}"), Some(&token))
                    .header("content-type", "application/gzip")
                    .body(body);
                api.answer(Method::POST, request.send().await.unwrap()).await
            }
        };
        let (status, first) = post(t.write.clone(), "file_name=aws.csv.gz", gz.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{first}");
        assert_eq!(first["totals"][0]["file"]["amount"], "11.47300015");
        assert_eq!(first["totals"][0]["ledger"]["amount"], "11.47300015");
        let (status, again) = post(t.write.clone(), "file_name=aws.csv", csv.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{again}");
        assert_eq!(again["replaced"], first["records"]);
        let shown = api.get(&format!("/api/cost/imports/{}", again["id"]), &t.read).await;
        assert_eq!(shown.0, StatusCode::OK);
        assert_eq!(shown.1["live_records"], again["records"]);
        assert!(shown.1["created_by"].as_str().unwrap().starts_with("token:"), "{}", shown.1);

        let mut bad = String::from_utf8(csv.clone()).unwrap();
        bad.push_str("ops,Amazon Elastic Compute Cloud,12..5,Usage,USD,2026-10-01T00:00:00Z,2026-10-01T01:00:00Z,Amazon Web Services,Amazon Web Services,111,2026-10-01T00:00:00Z,2026-11-01T00:00:00Z,Compute,1,1,Usage\r\n");
        let (status, problem) = post(t.write.clone(), "", bad.into_bytes()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert!(problem["detail"].as_str().unwrap().starts_with("line 7: column BilledCost, value `12..5`"), "{problem}");
        let (status, problem) = post(t.write.clone(), "dry_run=maybe", csv.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");

        let (status, _) = post(t.read.clone(), "", csv.clone()).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let other = tokens(&app, &ws("5151")).await;
        let (status, list) = api.get("/api/cost/imports", &other.read).await;
        assert_eq!((status, list["imports"].as_array().unwrap().len()), (StatusCode::OK, 0));
        let (status, _) = api.get(&format!("/api/cost/imports/{}", again["id"]), &other.read).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, list) = api.get("/api/cost/imports", &t.read).await;
        assert_eq!((status, list["imports"].as_array().unwrap().len()), (StatusCode::OK, 2));
    }
}

on_both_backends! {
    /// `POST /api/cost/usage` with a write token: a batch or one event, amounts exact from JSON
    /// numbers, a retried event counted once, a bad event named by its place (and the batch not
    /// written), a read token refused, another workspace's item not found.
    multi_thread async fn usage_is_pushed_through_the_api(db) {
        use reqwest::Method;
        let app = db.app_at(NOW);
        let acme = ws("4242");
        let t = tokens(&app, &acme).await;
        let api = Server::start(app.clone(), None).await;
        let item = json!({"name": "Gemini", "cost": 0, "billing_period": "usage_based", "unit": "request", "unit_price": "0.002", "free_tier": "2"});
        let (status, added) = api.send(Method::POST, "/api/cost/ai-providers", &t.write, item).await;
        assert_eq!(status, StatusCode::CREATED, "{added}");
        let id = added["item"]["id"].as_i64().unwrap();
        let batch = json!({"events": [
            {"item": "Gemini", "quantity": 3, "idempotency_key": "a"},
            {"item": id, "quantity": 1, "cost": 0.06, "idempotency_key": "b", "at": "2026-11-30T08:00:00Z"},
        ]});
        let (status, pushed) = api.send(Method::POST, "/api/cost/usage", &t.write, batch.clone()).await;
        assert_eq!(status, StatusCode::OK, "{pushed}");
        assert_eq!((pushed["accepted"].as_u64(), pushed["repeated"].as_u64()), (Some(2), Some(0)));
        // Three requests, two of them free: 0.002; and 0.06 exactly as sent.
        assert_eq!(pushed["days"][0]["day"], "2026-11-30");
        assert_eq!(pushed["days"][0]["cost"]["amount"], "0.06", "{pushed}");
        assert_eq!(pushed["days"][1]["cost"]["amount"], "0.002", "{pushed}");
        let (_, again) = api.send(Method::POST, "/api/cost/usage", &t.write, batch).await;
        assert_eq!((again["accepted"].as_u64(), again["repeated"].as_u64()), (Some(0), Some(2)), "{again}");
        let (status, one) = api.send(Method::POST, "/api/cost/usage", &t.write, json!({"item": "Gemini", "quantity": "0.5", "cost": 1e-7})).await;
        assert_eq!(status, StatusCode::OK, "{one}");
        assert_eq!(one["days"][0]["cost"]["amount"], "0.0000001", "{one}");
        let (_, history) = api.get(&format!("/api/cost/records?item={id}&from=2026-11-30&to=2026-12-06"), &t.read).await;
        // Records keep every digit; the total is rounded for display.
        assert_eq!(history["records"][0]["amount"]["amount"], "0.06", "{history}");
        assert_eq!(history["records"][1]["amount"]["amount"], "0.0020001", "{history}");
        assert_eq!(history["records"][1]["usage"]["used"], "3.5", "{history}");
        assert_eq!(history["total"]["amount"], "0.06", "{history}");

        let (status, problem) = api.send(Method::POST, "/api/cost/usage", &t.write, json!({"events": [{"item": "Gemini", "quantity": 1}, {"item": "Gemini", "quantity": "-2"}]})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert_eq!(problem["field"], "events[1].quantity", "{problem}");
        let (status, problem) = api.send(Method::POST, "/api/cost/usage", &t.write, json!({"events": [{"item": "Gemini", "quantity": 1, "colour": "red"}]})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        let too_many: Vec<Value> = (0..1001).map(|_| json!({"item": "Gemini", "quantity": 1})).collect();
        let (status, problem) = api.send(Method::POST, "/api/cost/usage", &t.write, json!({"events": too_many})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert!(problem["detail"].as_str().unwrap().contains("at most 1000"), "{problem}");
        let (status, _) = api.send(Method::POST, "/api/cost/usage", &t.read, json!({"item": "Gemini", "quantity": 1})).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let other = tokens(&app, &ws("5151")).await;
        let (status, problem) = api.send(Method::POST, "/api/cost/usage", &other.write, json!({"item": id, "quantity": 1})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert!(problem["detail"].as_str().unwrap().contains("#0"), "{problem}");
        // Nothing of the refused pushes was written.
        let (_, history) = api.get(&format!("/api/cost/records?item={id}&from=2026-11-30&to=2026-12-31"), &t.read).await;
        assert_eq!(history["paging"]["total"], 2, "{history}");
    }
}
