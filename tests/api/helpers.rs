//! `spawn_app()` and typed helpers on `TestApp`.

use std::time::Duration;

use hindsight::{
    auth::{Role, TokenVerifier},
    config::{GraphqlSettings, JwtKey, JwtSettings, Secret, Settings, SyncSettings},
    startup::Application,
};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

pub const JWT_SECRET: &[u8] = b"test-secret-that-is-at-least-32-bytes-long!";

/// A database that lives as long as one test.
pub enum TestDb {
    Sqlite { path: std::path::PathBuf },
    Postgres { admin_url: String, name: String },
}

impl TestDb {
    /// A new empty database and its URL.
    pub async fn create() -> (Self, String) {
        match std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty())
        {
            Some(admin_url) => {
                let name = format!("hindsight_test_{}", Uuid::new_v4().simple());
                let admin = sea_orm::Database::connect(&admin_url)
                    .await
                    .expect("connect to TEST_DATABASE_URL");
                use sea_orm::ConnectionTrait as _;
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create test database");
                admin.close().await.ok();
                let base = admin_url
                    .rsplit_once('/')
                    .map_or(admin_url.as_str(), |(base, _)| base);
                let url = format!("{base}/{name}");
                (Self::Postgres { admin_url, name }, url)
            }
            None => {
                let path =
                    std::env::temp_dir().join(format!("hindsight-test-{}.db", Uuid::new_v4()));
                let url = format!("sqlite://{}?mode=rwc", path.display());
                (Self::Sqlite { path }, url)
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match self {
            Self::Sqlite { path } => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Self::Postgres { admin_url, name } => {
                let (admin_url, name) = (admin_url.clone(), name.clone());
                // Drop runs outside async; a short-lived runtime on its own thread does the work.
                let _ = std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .unwrap();
                    rt.block_on(async {
                        use sea_orm::ConnectionTrait as _;
                        if let Ok(admin) = sea_orm::Database::connect(&admin_url).await {
                            let _ = admin
                                .execute_unprepared(&format!(
                                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                                ))
                                .await;
                            admin.close().await.ok();
                        }
                    });
                })
                .join();
            }
        }
    }
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub settings: Settings,
    pub state: actix_web::web::Data<hindsight::startup::AppState>,
    tokens: TokenVerifier,
    _db: TestDb,
}

pub fn test_settings(database_url: String) -> Settings {
    Settings {
        database_url,
        database_pool: hindsight::config::DEFAULT_DATABASE_POOL,
        bind: "127.0.0.1:0".into(),
        public_url: None,
        jwt: JwtSettings {
            key: JwtKey::Hs256(Secret::new(JWT_SECRET.to_vec())),
            issuer: None,
            audience: None,
        },
        secret_key: Secret::new(vec![7; 32]),
        body_limit: 64 * 1024,
        body_timeout: Duration::from_secs(5),
        log_json: false,
        graphql: GraphqlSettings::default(),
        practice: Default::default(),
        // Fast enough that tests wait milliseconds, not seconds, for the worker.
        sync: SyncSettings {
            poll_interval: Duration::from_millis(25),
            backoff_base: Duration::from_millis(20),
            backoff_cap: Duration::from_millis(200),
            lease: Duration::from_secs(5),
            tracker_timeout: Duration::from_millis(800),
            reconcile_interval: Duration::ZERO,
            ..SyncSettings::default()
        },
        ingest: Default::default(),
        // The mock trackers and Slack listen on loopback.
        outbound_allow: vec!["127.0.0.1/32".parse().unwrap(), "::1/128".parse().unwrap()],
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    if std::env::var_os("TEST_LOG").is_some() {
        hindsight::telemetry::init_logging(false);
    }
    let (db, url) = TestDb::create().await;
    let mut settings = test_settings(url);
    configure(&mut settings);
    let app = Application::build(settings.clone())
        .await
        .expect("build app");
    let address = format!("http://127.0.0.1:{}", app.port());
    let state = app.state();
    tokio::spawn(app.run_until_stopped());
    let tokens = TokenVerifier::new(&test_settings(String::new()).jwt).unwrap();
    TestApp {
        address,
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap(),
        settings,
        state,
        tokens,
        _db: db,
    }
}

impl TestApp {
    pub fn token(&self, role: Role) -> String {
        self.tokens
            .mint("tester@example.com", role, Duration::from_secs(3600))
            .unwrap()
    }

    /// A token for another subject than the default tester (a person's email, say).
    pub fn token_for(&self, sub: &str, role: Role) -> String {
        self.tokens
            .mint(sub, role, Duration::from_secs(3600))
            .unwrap()
    }

    /// A token of the default tester that expires after `ttl`.
    pub fn token_for_ttl(&self, role: Role, ttl: Duration) -> String {
        self.tokens.mint("tester@example.com", role, ttl).unwrap()
    }

    pub fn request(&self, method: Method, path: &str, role: Role) -> RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.address))
            .bearer_auth(self.token(role))
    }

    pub async fn get(&self, path: &str) -> Response {
        self.request(Method::GET, path, Role::Viewer)
            .send()
            .await
            .unwrap()
    }

    pub async fn post(&self, path: &str, body: &Value) -> Response {
        self.request(Method::POST, path, Role::Admin)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn patch(&self, path: &str, body: &Value) -> Response {
        self.request(Method::PATCH, path, Role::Editor)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn delete(&self, path: &str) -> Response {
        self.request(Method::DELETE, path, Role::Admin)
            .send()
            .await
            .unwrap()
    }

    /// POSTs and insists on 201, returning the body.
    pub async fn create(&self, path: &str, body: Value) -> Value {
        let response = self.post(path, &body).await;
        let status = response.status();
        let text = response.text().await.unwrap();
        assert_eq!(
            status,
            StatusCode::CREATED,
            "POST {path} {body} answered {text}"
        );
        serde_json::from_str(&text).unwrap()
    }

    pub async fn get_json(&self, path: &str) -> Value {
        self.get_json_as(Role::Viewer, path).await
    }

    /// Only an admin may show names again once a post-mortem is anonymized.
    pub async fn deanonymize(&self, path: &str) {
        let editor = self
            .request(Method::PATCH, path, Role::Editor)
            .json(&json!({"anonymized": false}))
            .send()
            .await
            .unwrap();
        assert_problem(editor, StatusCode::FORBIDDEN, "forbidden").await;
        let admin = self
            .request(Method::PATCH, path, Role::Admin)
            .json(&json!({"anonymized": false}))
            .send()
            .await
            .unwrap();
        assert_eq!(admin.status(), StatusCode::OK);
    }

    pub async fn get_json_as(&self, role: Role, path: &str) -> Value {
        let response = self.request(Method::GET, path, role).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "GET {path} as {role:?}");
        response.json().await.unwrap()
    }

    /// Runs a GraphQL operation as `role` and returns the whole response body
    /// (`data` and `errors`), insisting on HTTP 200.
    pub async fn graphql(&self, role: Role, query: &str, variables: Value) -> Value {
        let response = self
            .request(Method::POST, "/graphql", role)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        assert_eq!(status, StatusCode::OK, "POST /graphql answered {text}");
        serde_json::from_str(&text).unwrap()
    }

    /// Runs a GraphQL operation that must succeed, returning its `data`.
    pub async fn graphql_data(&self, role: Role, query: &str, variables: Value) -> Value {
        let body = self.graphql(role, query, variables).await;
        assert!(body.get("errors").is_none(), "GraphQL errors: {body}");
        body["data"].clone()
    }

    pub async fn person(&self, name: &str) -> Value {
        let email = format!("{}@example.com", name.to_lowercase().replace(' ', "."));
        self.create(
            "/api/v1/people",
            json!({ "display_name": name, "email": email }),
        )
        .await
    }

    pub async fn person_in_team(&self, name: &str, team: &str) -> Value {
        let email = format!("{}@example.com", name.to_lowercase().replace(' ', "."));
        self.create(
            "/api/v1/people",
            json!({ "display_name": name, "email": email, "team": team }),
        )
        .await
    }

    pub async fn postmortem(&self, body: Value) -> Value {
        self.create("/api/v1/postmortems", body).await
    }

    pub async fn simple_postmortem(&self) -> Value {
        self.postmortem(json!({ "title": "Checkout returned 500s", "services": ["checkout"] }))
            .await
    }
}

/// A route-table path with every `{param}` filled with a fresh id.
pub fn filled(path: &str) -> String {
    path.split('/')
        .map(|part| {
            if part.starts_with('{') {
                uuid::Uuid::new_v4().to_string()
            } else {
                part.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

pub fn id(value: &Value) -> &str {
    value["id"].as_str().expect("an id")
}

/// Asserts a problem+json answer with this status and code, and returns its body.
pub async fn assert_problem(response: Response, status: StatusCode, code: &str) -> Value {
    assert_eq!(response.status(), status);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(content_type, "application/problem+json");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], status.as_u16());
    assert!(body["title"].is_string() && body["detail"].is_string() && body["type"].is_string());
    body
}

/// The field names a 422 problem lists.
pub fn error_fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect()
}

/// A webhook fixture's bytes, unchanged.
pub fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../shared/fixtures/webhooks/{path}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap_or_else(|e| panic!("reading fixture {path}: {e}"))
}

pub fn hmac_hex(secret: &[u8], parts: &[&[u8]]) -> String {
    use hmac::Mac as _;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret).unwrap();
    for part in parts {
        mac.update(part);
    }
    hex::encode(mac.finalize().into_bytes())
}

/// An integration as created: its id, webhook path and secret.
pub struct Hook {
    pub id: String,
    pub path: String,
    pub secret: String,
}

impl TestApp {
    pub async fn integration(&self, kind: &str) -> Hook {
        self.integration_with(json!({ "kind": kind, "name": format!("{kind} hook") }))
            .await
    }

    pub async fn integration_with(&self, body: Value) -> Hook {
        let created = self.create("/api/v1/integrations", body).await;
        let id = id(&created).to_owned();
        Hook {
            path: format!("/webhooks/{id}"),
            secret: created["secret"].as_str().unwrap().to_owned(),
            id,
        }
    }

    /// POSTs a webhook body with these headers (no JWT).
    pub async fn deliver(&self, hook: &Hook, headers: &[(&str, String)], body: &[u8]) -> Response {
        let mut request = self
            .client
            .post(format!("{}{}", self.address, hook.path))
            .header("content-type", "application/json")
            .body(body.to_vec());
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        request.send().await.unwrap()
    }

    /// Delivers and insists on 202, returning the receipt.
    pub async fn deliver_ok(&self, hook: &Hook, headers: &[(&str, String)], body: &[u8]) -> Value {
        let response = self.deliver(hook, headers, body).await;
        let status = response.status();
        let text = response.text().await.unwrap();
        assert_eq!(status, StatusCode::ACCEPTED, "{text}");
        serde_json::from_str(&text).unwrap()
    }

    /// Real fixtures sent unchanged: PagerDuty's incident PFQZPSY on service
    /// pig208 triggered, acknowledged and resolved (three deliveries), and a
    /// GitHub deployment. Returns the PagerDuty and GitHub integrations.
    pub async fn deliver_incident_and_deploy(&self) -> (Hook, Hook) {
        let pagerduty = self.integration("pagerduty").await;
        let github = self.integration("github").await;
        for file in [
            "pagerduty/v3.incident.triggered.json",
            "pagerduty/v3.incident.acknowledged.json",
            "pagerduty/v3.incident.resolved.json",
        ] {
            let body = fixture(file);
            self.deliver_ok(
                &pagerduty,
                &signed("pagerduty", &pagerduty.secret, &body),
                &body,
            )
            .await;
        }
        let body = fixture("github/deployment.json");
        let mut headers = signed("github", &github.secret, &body);
        headers.push(("X-GitHub-Event", "deployment".to_owned()));
        self.deliver_ok(&github, &headers, &body).await;
        (pagerduty, github)
    }

    /// Every stored event, oldest first, as an admin sees them (with names).
    pub async fn events(&self, query: &str) -> Vec<Value> {
        let page = self
            .get_json_as(Role::Admin, &format!("/api/v1/events?limit=200&{query}"))
            .await;
        page["items"].as_array().unwrap().clone()
    }
}

/// Headers that sign `body` as an integration of `kind` with `secret`.
pub fn signed(kind: &str, secret: &str, body: &[u8]) -> Vec<(&'static str, String)> {
    let key = secret.as_bytes();
    let delivery = Uuid::new_v4().to_string();
    match kind {
        "pagerduty" => vec![
            (
                "X-PagerDuty-Signature",
                format!("v1={}", hmac_hex(key, &[body])),
            ),
            ("X-Webhook-Id", delivery),
        ],
        "github" => vec![
            (
                "X-Hub-Signature-256",
                format!("sha256={}", hmac_hex(key, &[body])),
            ),
            ("X-GitHub-Delivery", delivery),
        ],
        "gitlab" => vec![("X-Gitlab-Token", secret.to_owned())],
        "jira" => vec![(
            "X-Hub-Signature",
            format!("sha256={}", hmac_hex(key, &[body])),
        )],
        "sentry" => vec![
            ("Sentry-Hook-Signature", hmac_hex(key, &[body])),
            ("Sentry-Hook-Resource", "issue".to_owned()),
            ("Request-ID", delivery),
        ],
        "generic" => vec![(
            "X-Hindsight-Signature",
            format!("sha256={}", hmac_hex(key, &[body])),
        )],
        _ => vec![("Authorization", format!("Bearer {secret}"))],
    }
}

impl TestApp {
    /// GETs as an admin and insists on 200.
    pub async fn get_json_as_admin(&self, path: &str) -> Value {
        let response = self
            .request(Method::GET, path, Role::Admin)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        response.json().await.unwrap()
    }

    /// POSTs as an admin (a `null` body sends none) and insists on 200.
    pub async fn create_ok(&self, path: &str, body: Value) -> Value {
        let mut request = self.request(Method::POST, path, Role::Admin);
        if !body.is_null() {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        assert_eq!(status, StatusCode::OK, "POST {path} answered {text}");
        serde_json::from_str(&text).unwrap()
    }

    pub async fn metrics_text(&self) -> String {
        self.client
            .get(format!("{}/metrics", self.address))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }
}
