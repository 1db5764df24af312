//! Several replicas on one database, as a Deployment behind a load balancer
//! runs them: each test builds two (or three) `Application`s on the same
//! database, with the settings every replica shares. On PostgreSQL (CI's
//! second run) that is the deployment the README describes.

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex},
    time::Duration,
};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::time::Instant;

use hindsight::{auth::Role, config::Secret, startup::Application};

use crate::helpers::{TestApp, TestDb, id, signed, spawn_app_with, test_settings};

/// A second replica: the same settings (database, keys) as `first`.
async fn replica_of(first: &TestApp) -> TestApp {
    let settings = first.settings.clone();
    spawn_app_with(move |s| *s = settings).await
}

fn on_postgres(url: &str) -> bool {
    url.starts_with("postgres")
}

// --- a tracker stand-in that counts what it is sent ---------------------------------

/// One request the mock tracker answered.
#[derive(Clone, Debug)]
struct Call {
    method: String,
    path: String,
    arrived: Instant,
    ended: Instant,
    status: u16,
}

impl Call {
    fn is_mutation(&self) -> bool {
        self.method != "GET" && !self.path.contains("/search")
    }
}

/// What the mock has seen and made.
#[derive(Default)]
struct Seen {
    calls: Vec<Call>,
    mutations_in_flight: usize,
    most_mutations_in_flight: usize,
    /// Issues created, by the marker label of their action item.
    issues: HashMap<String, String>,
    creates: u64,
    rate_limits_left: u32,
}

type Answer = (u16, Value, Vec<(&'static str, String)>);

/// How the mock answers a request: what it has seen, method, path, JSON body.
type Answering = Box<dyn Fn(&mut Seen, &str, &str, &Value) -> Answer + Send + Sync>;

struct Mock {
    seen: Mutex<Seen>,
    /// How long each answer takes: long enough for mutations to overlap if
    /// nothing kept them apart.
    latency: Duration,
    answer: Answering,
}

struct MockTracker {
    url: String,
    mock: Arc<Mock>,
}

impl MockTracker {
    async fn start(
        latency: Duration,
        rate_limits: u32,
        answer: impl Fn(&mut Seen, &str, &str, &Value) -> Answer + Send + Sync + 'static,
    ) -> Self {
        let mock = Arc::new(Mock {
            seen: Mutex::new(Seen {
                rate_limits_left: rate_limits,
                ..Seen::default()
            }),
            latency,
            answer: Box::new(answer),
        });
        let data = web::Data::from(Arc::clone(&mock));
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .default_service(web::to(respond))
        })
        .workers(1)
        .bind(("127.0.0.1", 0))
        .unwrap();
        let port = server.addrs()[0].port();
        tokio::spawn(server.run());
        Self {
            url: format!("http://127.0.0.1:{port}"),
            mock,
        }
    }

    fn seen<T>(&self, look: impl FnOnce(&Seen) -> T) -> T {
        look(&self.mock.seen.lock().unwrap())
    }
}

async fn respond(request: HttpRequest, body: web::Bytes, mock: web::Data<Mock>) -> HttpResponse {
    let arrived = Instant::now();
    let method = request.method().as_str().to_owned();
    let path = request.path().to_owned();
    let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let mutation = Call {
        method: method.clone(),
        path: path.clone(),
        arrived,
        ended: arrived,
        status: 0,
    }
    .is_mutation();
    if mutation {
        let mut seen = mock.seen.lock().unwrap();
        seen.mutations_in_flight += 1;
        seen.most_mutations_in_flight = seen.most_mutations_in_flight.max(seen.mutations_in_flight);
    }
    tokio::time::sleep(mock.latency).await;
    let mut seen = mock.seen.lock().unwrap();
    let (status, answer, headers) = (mock.answer)(&mut seen, &method, &path, &json);
    if mutation {
        seen.mutations_in_flight -= 1;
    }
    seen.calls.push(Call {
        method,
        path,
        arrived,
        ended: Instant::now(),
        status,
    });
    let mut response = HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap());
    for header in headers {
        response.insert_header(header);
    }
    if status == 204 {
        response.finish()
    } else {
        response.json(answer)
    }
}

/// The action item's marker label in a create body or a JQL query.
fn marker_in(text: &str) -> Option<String> {
    let at = text.find("hindsight-")?;
    text.get(at..at + "hindsight-".len() + 32)
        .map(str::to_owned)
}

fn jira_issue(key: &str, marker: &str) -> Value {
    json!({"id": key.trim_start_matches("OPS-"), "key": key, "self": format!("https://acme.atlassian.net/rest/api/3/issue/{key}"),
           "fields": {"summary": "Item", "labels": ["hindsight", marker],
                      "status": {"name": "To Do", "id": "1", "statusCategory": {"id": 2, "key": "new", "name": "To Do"}},
                      "assignee": null, "duedate": null, "updated": "2026-12-01T10:00:00.000+0000", "resolution": null}})
}

/// Jira Cloud that creates issues, finds them by marker, and answers every
/// `fail_every`-th create with a 500 although it created the issue, and the
/// first `rate_limits` creates with a 429 and `Retry-After`.
fn jira(fail_every: u64, retry_after: u64) -> impl Fn(&mut Seen, &str, &str, &Value) -> Answer {
    move |seen, method, path, body| match (method, path) {
        ("POST", "/rest/api/3/issue") => {
            if seen.rate_limits_left > 0 {
                seen.rate_limits_left -= 1;
                return (
                    429,
                    json!({"errorMessages": ["Rate limit exceeded."]}),
                    vec![("Retry-After", retry_after.to_string())],
                );
            }
            seen.creates += 1;
            let key = format!("OPS-{}", seen.creates);
            let marker = marker_in(&body["fields"]["labels"].to_string()).unwrap();
            assert!(
                seen.issues.insert(marker, key.clone()).is_none(),
                "a second issue was created for one action item"
            );
            if seen.creates % fail_every == 0 {
                return (
                    500,
                    json!({"errorMessages": ["Internal server error"]}),
                    vec![],
                );
            }
            (
                201,
                json!({"id": key, "key": key, "self": "https://acme.atlassian.net"}),
                vec![],
            )
        }
        ("POST", "/rest/api/3/search/jql") => {
            let issues: Vec<Value> = marker_in(body["jql"].as_str().unwrap_or_default())
                .and_then(|m| seen.issues.get(&m).map(|key| jira_issue(key, &m)))
                .into_iter()
                .collect();
            (200, json!({"issues": issues, "isLast": true}), vec![])
        }
        ("PUT", _) if path.starts_with("/rest/api/3/issue/") => (204, Value::Null, vec![]),
        ("GET", _) if path.starts_with("/rest/api/3/issue/") => {
            let key = path.trim_start_matches("/rest/api/3/issue/");
            (200, jira_issue(key, "hindsight-unknown"), vec![])
        }
        _ => (404, json!({"errorMessages": ["no such route"]}), vec![]),
    }
}

/// GitHub that creates issues in acme/web.
fn github(seen: &mut Seen, method: &str, path: &str, body: &Value) -> Answer {
    if (method, path) != ("POST", "/repos/acme/web/issues") {
        return (404, json!({"message": "Not Found"}), vec![]);
    }
    seen.creates += 1;
    let number = seen.creates;
    if let Some(marker) = marker_in(&body["labels"].to_string()) {
        seen.issues.insert(marker, number.to_string());
    }
    let issue = json!({
        "id": number, "node_id": format!("I_{number}"), "number": number,
        "html_url": format!("https://github.com/acme/web/issues/{number}"),
        "state": "open", "state_reason": null, "assignees": [], "assignee": null,
        "body": body["body"], "updated_at": "2026-12-01T10:00:00Z", "pull_request": null
    });
    (201, issue, vec![])
}

// --- the replicas' side -------------------------------------------------------------

/// `n` action items without owners, created alternately through each replica.
async fn items_through(replicas: &[&TestApp], n: usize) -> Vec<Value> {
    let mut postmortems = Vec::new();
    for replica in replicas {
        postmortems.push(replica.simple_postmortem().await);
    }
    let creates = (0..n).map(|i| {
        let (replica, pm) = (
            replicas[i % replicas.len()],
            &postmortems[i % replicas.len()],
        );
        async move {
            replica
                .create(
                    &format!("/api/v1/postmortems/{}/action-items", id(pm)),
                    json!({"title": format!("Alert on checkout success rate, part {i}")}),
                )
                .await
        }
    });
    futures_util::future::join_all(creates).await
}

/// Every action item, once the workers have settled them all (synced or failed).
async fn settled_items(app: &TestApp, n: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let page = app
            .get_json_as(Role::Admin, "/api/v1/action-items?limit=200")
            .await;
        let items = page["items"].as_array().unwrap().clone();
        let settled = items
            .iter()
            .filter(|i| i["sync_state"] == "synced" || i["sync_state"] == "failed")
            .count();
        if items.len() == n && settled == n {
            return items;
        }
        assert!(Instant::now() < deadline, "items never settled: {items:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn tracker(app: &TestApp, body: Value) {
    app.create("/api/v1/trackers", body).await;
}

fn small_batches(s: &mut hindsight::config::Settings) {
    // Each replica claims a few rows at a time, so both have rows in flight.
    s.sync.batch_size = 2;
    s.sync.concurrency = 2;
}

#[tokio::test]
async fn deliveries_sent_to_both_replicas_are_stored_once() {
    let a = spawn_app_with(|_| {}).await;
    let b = replica_of(&a).await;
    let hook = a.integration("generic").await;
    let sends = (0..60).map(|i| {
        let body = json!({"events": [{"occurred_at": "2026-11-20T10:02:00Z", "kind": "alert.triggered",
                                       "title": format!("Checkout 5xx, page {i}"), "service": "checkout"}]})
        .to_string();
        let mut headers = signed("generic", &hook.secret, body.as_bytes());
        headers.push(("Idempotency-Key", format!("alert-{i}")));
        let (a, b, hook) = (&a, &b, &hook);
        async move {
            // The sender retries on the other replica, or both get it at once.
            let (first, second) = tokio::join!(
                a.deliver(hook, &headers, body.as_bytes()),
                b.deliver(hook, &headers, body.as_bytes())
            );
            assert_eq!(first.status(), StatusCode::ACCEPTED);
            assert_eq!(second.status(), StatusCode::ACCEPTED);
        }
    });
    futures_util::future::join_all(sends).await;

    let deliveries = b
        .get_json_as(
            Role::Admin,
            &format!("/api/v1/integrations/{}/deliveries?limit=100", hook.id),
        )
        .await;
    assert_eq!(deliveries["items"].as_array().unwrap().len(), 60);
    assert_eq!(a.events("service=checkout").await.len(), 60);
    assert_eq!(b.events("service=checkout").await.len(), 60);
}

#[tokio::test]
async fn items_created_through_two_replicas_become_one_issue_each_though_jira_fails_every_seventh_create()
 {
    let jira_mock = MockTracker::start(Duration::from_millis(5), 0, jira(7, 0)).await;
    let a = spawn_app_with(small_batches).await;
    let b = replica_of(&a).await;
    tracker(
        &a,
        json!({"kind": "jira", "name": "Ops", "base_url": jira_mock.url, "project_key": "OPS",
               "email": "bot@acme.com", "api_token": "t", "allow_insecure_http": true, "is_default": true}),
    )
    .await;

    let created = items_through(&[&a, &b], 40).await;
    let items = settled_items(&b, 40).await;

    assert!(
        items.iter().all(|i| i["sync_state"] == "synced"),
        "{items:?}"
    );
    let keys: HashSet<&str> = items
        .iter()
        .map(|i| i["external_key"].as_str().unwrap())
        .collect();
    assert_eq!(keys.len(), 40, "one issue per item");
    let (creates, issues) = jira_mock.seen(|s| (s.creates, s.issues.len()));
    assert_eq!((creates, issues), (40, 40), "no create was repeated");
    assert_eq!(created.len(), 40);
}

#[tokio::test]
async fn two_replicas_send_github_one_mutation_at_a_time_with_its_spacing() {
    const SPACING: Duration = Duration::from_millis(100);
    let github_mock = MockTracker::start(Duration::from_millis(40), 0, github).await;
    let a = spawn_app_with(|s| {
        small_batches(s);
        s.sync.github_mutation_spacing = SPACING;
    })
    .await;
    let b = replica_of(&a).await;
    tracker(
        &a,
        json!({"kind": "github", "name": "web", "owner": "acme", "repo": "web", "token": "ghp_shared",
               "base_url": github_mock.url, "allow_insecure_http": true, "is_default": true}),
    )
    .await;

    items_through(&[&a, &b], 12).await;
    let items = settled_items(&a, 12).await;

    assert!(
        items.iter().all(|i| i["sync_state"] == "synced"),
        "{items:?}"
    );
    let (most, mut mutations) = github_mock.seen(|s| {
        let mutations: Vec<Call> = s
            .calls
            .iter()
            .filter(|c| c.is_mutation())
            .cloned()
            .collect();
        (s.most_mutations_in_flight, mutations)
    });
    assert_eq!(mutations.len(), 12);
    assert_eq!(most, 1, "two mutations were in flight at once");
    mutations.sort_by_key(|c| c.arrived);
    for pair in mutations.windows(2) {
        let gap = pair[1].arrived.duration_since(pair[0].ended);
        // Measured at the mock, a little after the replica noted the end.
        assert!(gap >= SPACING * 8 / 10, "mutations {gap:?} apart: {pair:?}");
    }
    // So no second holds more than one replica alone would send.
    let per_second = mutations
        .iter()
        .map(|first| {
            mutations
                .iter()
                .filter(|c| {
                    c.arrived >= first.arrived && c.arrived < first.arrived + Duration::from_secs(1)
                })
                .count()
        })
        .max()
        .unwrap();
    assert!(per_second <= 8, "{per_second} mutations in one second");
}

#[tokio::test]
async fn a_rate_limit_that_one_replica_meets_pauses_the_tracker_for_both() {
    let jira_mock = MockTracker::start(Duration::from_millis(5), 1, jira(u64::MAX, 2)).await;
    let one_at_a_time = |s: &mut hindsight::config::Settings| {
        s.sync.batch_size = 1;
        s.sync.concurrency = 1;
    };
    let a = spawn_app_with(one_at_a_time).await;
    let b = replica_of(&a).await;
    tracker(
        &a,
        json!({"kind": "jira", "name": "Ops", "base_url": jira_mock.url, "project_key": "OPS",
               "email": "bot@acme.com", "api_token": "t", "allow_insecure_http": true, "is_default": true}),
    )
    .await;

    items_through(&[&a, &b], 8).await;
    let items = settled_items(&a, 8).await;

    assert!(
        items.iter().all(|i| i["sync_state"] == "synced"),
        "{items:?}"
    );
    let calls = jira_mock.seen(|s| s.calls.clone());
    let limited = calls.iter().find(|c| c.status == 429).expect("one 429");
    // A request either replica had already sent may land just after the 429;
    // nothing sent after both knew of the pause lands before it ends.
    let quiet_from = limited.ended + Duration::from_millis(300);
    let quiet_until = limited.ended + Duration::from_millis(1900);
    let during: Vec<&Call> = calls
        .iter()
        .filter(|c| c.arrived > quiet_from && c.arrived < quiet_until)
        .collect();
    assert!(during.is_empty(), "sent during the pause: {during:?}");
    assert_eq!(jira_mock.seen(|s| s.issues.len()), 8);
}

#[tokio::test]
async fn a_replica_with_another_secret_key_or_jwt_secret_refuses_to_start_saying_what_to_set() {
    let a = spawn_app_with(|_| {}).await;

    let mut other_key = a.settings.clone();
    other_key.secret_key = Secret::new(vec![8; 32]);
    let refused = Application::build(other_key).await.err().expect("refused");
    let message = format!("{refused:#}");
    assert!(
        message.contains("HINDSIGHT_SECRET_KEY is not the key this database was set up with"),
        "{message}"
    );
    assert!(message.contains("Set HINDSIGHT_SECRET_KEY to the value the other replicas use"));

    let mut other_jwt = a.settings.clone();
    other_jwt.jwt.key = hindsight::config::JwtKey::Hs256(Secret::new(
        b"another-secret-at-least-32-bytes-long".to_vec(),
    ));
    let refused = Application::build(other_jwt.clone())
        .await
        .err()
        .expect("refused");
    assert!(format!("{refused:#}").contains("HINDSIGHT_JWT_SECRET is not the key"));

    // The replica with the same keys as the first starts.
    let b = replica_of(&a).await;
    assert_eq!(b.get("/healthz").await.status(), StatusCode::OK);

    // Changing the JWT secret on purpose (`hindsight record-keys`): replicas
    // with the new one start, and one still holding the old one is refused.
    let db = hindsight::startup::connect(&a.settings.database_url)
        .await
        .unwrap();
    hindsight::services::key_checks::record(&db, &other_jwt)
        .await
        .unwrap();
    Application::build(other_jwt)
        .await
        .expect("starts with the recorded secret");
    let stale = Application::build(a.settings.clone())
        .await
        .err()
        .expect("refused");
    assert!(format!("{stale:#}").contains("HINDSIGHT_JWT_SECRET is not the key"));
}

#[tokio::test]
async fn a_database_that_predates_key_checks_accepts_only_the_key_that_sealed_its_secrets() {
    let a = spawn_app_with(|_| {}).await;
    a.integration("pagerduty").await;
    use sea_orm::ConnectionTrait as _;
    a.state
        .db
        .execute_unprepared("DELETE FROM key_checks")
        .await
        .unwrap();

    let mut other_key = a.settings.clone();
    other_key.secret_key = Secret::new(vec![9; 32]);
    let refused = Application::build(other_key).await.err().expect("refused");
    assert!(
        format!("{refused:#}")
            .contains("does not open the tracker credentials and webhook secrets"),
        "{refused:#}"
    );
    // Nothing was recorded for the wrong key: the right one still starts.
    replica_of(&a).await;
}

#[tokio::test]
async fn three_replicas_starting_at_once_on_an_empty_database_migrate_it_once() {
    let (_db, url) = TestDb::create().await;
    if !on_postgres(&url) {
        eprintln!(
            "SQLite serves one process; the migration lock is PostgreSQL's (TEST_DATABASE_URL)"
        );
        return;
    }
    let settings = test_settings(url.clone());
    let (one, two, three) = tokio::join!(
        Application::build(settings.clone()),
        Application::build(settings.clone()),
        Application::build(settings.clone()),
    );
    for started in [one, two, three] {
        started.expect("every replica starts");
    }
    let db = hindsight::startup::connect(&url).await.unwrap();
    use sea_orm::{ConnectionTrait as _, Statement};
    let applied = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n, COUNT(DISTINCT version) AS d FROM seaql_migrations",
        ))
        .await
        .unwrap()
        .unwrap();
    let (n, distinct): (i64, i64) = (
        applied.try_get("", "n").unwrap(),
        applied.try_get("", "d").unwrap(),
    );
    use migration::MigratorTrait as _;
    assert_eq!(
        (n, distinct),
        (migration::Migrator::migrations().len() as i64, n)
    );
    db.close().await.ok();
}
