//! The audit log: every write over REST, GraphQL and webhooks leaves exactly
//! the entry it should (who, what, which fields, which request), secrets never
//! reach it, entries cannot be changed or deleted, and readers who may not see
//! names get a history that names no one.

use std::{collections::BTreeSet, time::Duration};

use chrono::Utc;
use hindsight::auth::{Role, TokenVerifier};
use reqwest::{Method, StatusCode};
use sea_orm::{ActiveModelTrait as _, ActiveValue::Set, ConnectionTrait as _};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    helpers::{TestApp, assert_problem, id, signed, spawn_app, test_settings},
    tracker_sync::{created_issue, jira_server, mount_create, settled},
};

fn token(sub: &str, role: Role) -> String {
    TokenVerifier::new(&test_settings(String::new()).jwt)
        .unwrap()
        .mint(sub, role, Duration::from_secs(3600))
        .unwrap()
}

/// Who sends a request: a token subject and role.
#[derive(Clone, Copy)]
struct Who(&'static str, Role);

const ALICE_ADMIN: Who = Who("alice@example.com", Role::Admin);
const BOB_EDITOR: Who = Who("bob@example.com", Role::Editor);
const VIEWER: Who = Who("vera@example.com", Role::Viewer);

impl Who {
    fn role_name(self) -> &'static str {
        match self.1 {
            Role::Viewer => "viewer",
            Role::Editor => "editor",
            Role::Admin => "admin",
        }
    }
}

/// A request's answer and the id it was given.
struct Sent {
    status: StatusCode,
    request_id: String,
    body: Value,
}

async fn send(app: &TestApp, method: Method, path: &str, who: Who, body: Option<Value>) -> Sent {
    let mut request = app
        .client
        .request(method.clone(), format!("{}{path}", app.address))
        .bearer_auth(token(who.0, who.1));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let request_id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Sent {
        status,
        request_id,
        body,
    }
}

/// Every entry, newest first, read as an admin.
async fn all_entries(app: &TestApp) -> Vec<Value> {
    let mut entries = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = app
            .get_json_as_admin(&format!("/api/v1/audit?limit=200&cursor={cursor}"))
            .await;
        entries.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => return entries,
        }
    }
}

async fn entries_of(app: &TestApp, request_id: &str) -> Vec<Value> {
    all_entries(app)
        .await
        .into_iter()
        .filter(|e| e["request_id"] == request_id)
        .collect()
}

fn field_names(entry: &Value) -> BTreeSet<String> {
    entry["changes"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect()
}

/// Which fields an entry must list: exactly these (updates, deletes of known
/// shape), or at least these (creates, which also list every default set).
enum Fields {
    Exactly(&'static [&'static str]),
    AtLeast(&'static [&'static str]),
}

struct Expected<'a> {
    action: &'static str,
    resource: &'static str,
    resource_id: &'a str,
    postmortem_id: Option<&'a str>,
    fields: Fields,
}

fn expected<'a>(
    action: &'static str,
    resource: &'static str,
    resource_id: &'a str,
    fields: Fields,
) -> Expected<'a> {
    Expected {
        action,
        resource,
        resource_id,
        postmortem_id: None,
        fields,
    }
}

impl<'a> Expected<'a> {
    fn in_postmortem(mut self, id: &'a str) -> Self {
        self.postmortem_id = Some(id);
        self
    }
}

/// Walks requests, remembering which routes it exercised.
struct Walk<'a> {
    app: &'a TestApp,
    covered: BTreeSet<(String, String)>,
}

impl Walk<'_> {
    /// Sends a request to the route `template` and insists it succeeded; the
    /// caller checks its entries with [`Walk::expect`] (for a create, once it
    /// knows the new id).
    async fn send(
        &mut self,
        method: Method,
        template: &str,
        path: &str,
        who: Who,
        body: Option<Value>,
    ) -> Sent {
        self.covered
            .insert((method.to_string(), template.to_owned()));
        let sent = send(self.app, method.clone(), path, who, body).await;
        assert!(
            sent.status.is_success(),
            "{method} {path} answered {}: {}",
            sent.status,
            sent.body
        );
        sent
    }

    /// Insists the request left exactly `expect` in the audit log.
    async fn expect(&self, sent: &Sent, who: Who, expect: Vec<Expected<'_>>) -> Vec<Value> {
        let entries = entries_of(self.app, &sent.request_id).await;
        assert_entries(
            &entries,
            who,
            &expect,
            &format!("request {}", sent.request_id),
        );
        entries
    }

    /// [`Walk::send`], then [`Walk::expect`].
    async fn write(
        &mut self,
        method: Method,
        template: &str,
        path: &str,
        who: Who,
        body: Option<Value>,
        expect: Vec<Expected<'_>>,
    ) -> Value {
        let sent = self.send(method, template, path, who, body).await;
        self.expect(&sent, who, expect).await;
        sent.body
    }
}

fn assert_entries(entries: &[Value], who: Who, expect: &[Expected<'_>], what: &str) {
    assert_eq!(
        entries.len(),
        expect.len(),
        "{what}: expected {} entries, got {entries:#?}",
        expect.len()
    );
    for e in expect {
        let entry = entries
            .iter()
            .find(|x| {
                x["action"] == e.action
                    && x["resource"] == e.resource
                    && x["resource_id"] == e.resource_id
            })
            .unwrap_or_else(|| {
                panic!(
                    "{what}: no {} {} {} in {entries:#?}",
                    e.action, e.resource, e.resource_id
                )
            });
        assert_eq!(entry["subject"], who.0, "{what}");
        assert_eq!(entry["role"], who.role_name(), "{what}");
        assert_eq!(
            entry["postmortem_id"],
            e.postmortem_id.map_or(Value::Null, |p| p.into()),
            "{what}"
        );
        let names = field_names(entry);
        match e.fields {
            Fields::Exactly(fields) => {
                let want: BTreeSet<String> = fields.iter().map(|f| (*f).to_owned()).collect();
                assert_eq!(names, want, "{what}: {entry}");
            }
            Fields::AtLeast(fields) => {
                for field in fields {
                    assert!(names.contains(*field), "{what}: no `{field}` in {entry}");
                }
            }
        }
        for change in entry["changes"].as_object().unwrap().values() {
            assert!(
                change.get("from").is_some() && change.get("to").is_some(),
                "{what}: {change}"
            );
        }
    }
}

/// `POST`, `PATCH` and `DELETE` routes under `/api/v1`: the writes.
fn mutating_routes() -> BTreeSet<(String, String)> {
    hindsight::rest::endpoints()
        .into_iter()
        .filter(|e| ["POST", "PATCH", "DELETE"].contains(&e.method.as_str()))
        .filter(|e| e.path.starts_with("/api/v1/"))
        .map(|e| (e.method.to_string(), e.path.to_owned()))
        .collect()
}

fn assert_no_secret(entry_or_entries: &Value, secrets: &[&str]) {
    let text = entry_or_entries.to_string();
    for secret in secrets {
        assert!(
            !text.contains(secret),
            "a secret reached the audit log: {secret} in {text}"
        );
    }
}

/// A stored event, as a webhook would have left it, without the pre-fill a
/// webhook runs: so that the pre-fill route has something to add.
async fn store_event(app: &TestApp, integration_id: &str, service: &str, at: &str) {
    let now = Utc::now();
    entity::event::ActiveModel {
        id: Set(Uuid::now_v7()),
        integration_id: Set(integration_id.parse().unwrap()),
        delivery_id: Set(None),
        occurred_at: Set(at.parse().unwrap()),
        kind: Set("deploy.succeeded".into()),
        title: Set("Deploy audit-svc 1.2".into()),
        service: Set(Some(service.into())),
        severity: Set(None),
        link: Set(None),
        actor: Set(None),
        correlation_key: Set(None),
        source: Set("generic".into()),
        dedupe_key: Set(Uuid::new_v4().to_string()),
        external_id: Set(None),
        raw_event_type: Set("deploy".into()),
        received_at: Set(now),
        time_source: Set(entity::TimeSource::Source),
    }
    .insert(&app.state.db)
    .await
    .unwrap();
}

#[tokio::test]
async fn every_mutating_route_records_exactly_its_audit_entry() {
    use Fields::{AtLeast, Exactly};
    use Method as M;
    let app = spawn_app().await;
    let jira = jira_server().await;
    mount_create(&jira, created_issue("OPS-1")).await;
    let mut walk = Walk {
        app: &app,
        covered: BTreeSet::new(),
    };
    let a = ALICE_ADMIN;
    let e = BOB_EDITOR;

    // People and their calendar tokens.
    let alice = walk
        .send(
            M::POST,
            "/api/v1/people",
            "/api/v1/people",
            a,
            Some(json!({"display_name": "Alice Smith", "email": "alice@example.com", "team": "payments"})),
        )
        .await;
    let alice_id = id(&alice.body).to_owned();
    walk.expect(
        &alice,
        a,
        vec![expected(
            "create",
            "person",
            &alice_id,
            AtLeast(&["display_name", "email", "team"]),
        )],
    )
    .await;
    let bob = app.person("Bob Jones").await;
    let bob_id = id(&bob).to_owned();
    let person = format!("/api/v1/people/{alice_id}");
    walk.write(
        M::PATCH,
        "/api/v1/people/{id}",
        &person,
        a,
        Some(json!({"role_title": "SRE"})),
        vec![expected(
            "update",
            "person",
            &alice_id,
            Exactly(&["role_title"]),
        )],
    )
    .await;
    let issued = walk
        .write(
            M::POST,
            "/api/v1/people/{id}/calendar-token",
            &format!("{person}/calendar-token"),
            a,
            None,
            vec![expected(
                "issue_token",
                "calendar_token",
                &alice_id,
                Exactly(&["calendar_token_hash"]),
            )],
        )
        .await;
    let feed_token = issued["token"].as_str().unwrap().to_owned();
    walk.write(
        M::DELETE,
        "/api/v1/people/{id}/calendar-token",
        &format!("{person}/calendar-token"),
        a,
        None,
        vec![expected(
            "revoke_token",
            "calendar_token",
            &alice_id,
            Exactly(&["calendar_token_hash"]),
        )],
    )
    .await;
    let hash = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(
        feed_token.as_bytes(),
    ));
    assert_no_secret(&json!(all_entries(&app).await), &[&feed_token, &hash]);

    // A tracker (Jira Cloud: email + api_token) and an integration: credentials never appear.
    let tracker = walk
        .send(
            M::POST,
            "/api/v1/trackers",
            "/api/v1/trackers",
            a,
            Some(
                json!({"kind": "jira", "name": "Ops", "base_url": jira.uri(), "project_key": "OPS",
                        "email": "jira-bot@acme.test", "api_token": "jira-api-token-1234",
                        "allow_insecure_http": true, "api_user": "acc-bot", "is_default": true}),
            ),
        )
        .await;
    let tracker_id = id(&tracker.body).to_owned();
    let entries = walk
        .expect(
            &tracker,
            a,
            vec![expected(
                "create",
                "tracker",
                &tracker_id,
                AtLeast(&[
                    "kind",
                    "name",
                    "base_url",
                    "project_key",
                    "credentials",
                    "is_default",
                ]),
            )],
        )
        .await;
    assert_eq!(
        entries[0]["changes"]["credentials"],
        json!({"from": null, "to": "[redacted]"})
    );
    let tracker_path = format!("/api/v1/trackers/{tracker_id}");
    walk.write(
        M::PATCH,
        "/api/v1/trackers/{id}",
        &tracker_path,
        a,
        Some(json!({"name": "Ops Jira", "email": "jira-bot2@acme.test", "api_token": "jira-api-token-5678"})),
        vec![expected("update", "tracker", &tracker_id, Exactly(&["name", "credentials"]))],
    )
    .await;
    let hook = walk
        .send(
            M::POST,
            "/api/v1/integrations",
            "/api/v1/integrations",
            a,
            Some(json!({"kind": "generic", "name": "Deploys"})),
        )
        .await;
    let hook_id = id(&hook.body).to_owned();
    let first_secret = hook.body["secret"].as_str().unwrap().to_owned();
    walk.expect(
        &hook,
        a,
        vec![expected(
            "create",
            "integration",
            &hook_id,
            AtLeast(&["kind", "name", "secret_encrypted"]),
        )],
    )
    .await;
    let hook_path = format!("/api/v1/integrations/{hook_id}");
    walk.write(
        M::PATCH,
        "/api/v1/integrations/{id}",
        &hook_path,
        a,
        Some(json!({"name": "Deploy hook"})),
        vec![expected(
            "update",
            "integration",
            &hook_id,
            Exactly(&["name"]),
        )],
    )
    .await;
    let rotated = walk
        .write(
            M::POST,
            "/api/v1/integrations/{id}/rotate-secret",
            &format!("{hook_path}/rotate-secret"),
            a,
            Some(json!({})),
            vec![expected(
                "rotate_secret",
                "integration",
                &hook_id,
                Exactly(&[
                    "secret_encrypted",
                    "previous_secret_encrypted",
                    "previous_valid_until",
                ]),
            )],
        )
        .await;
    let second_secret = rotated["secret"].as_str().unwrap().to_owned();
    // Trying a body stores nothing, so it records nothing; a replay is recorded.
    walk.write(
        M::POST,
        "/api/v1/integrations/{id}/preview",
        &format!("{hook_path}/preview"),
        a,
        Some(json!({"body": {"kind": "alert.triggered"}})),
        vec![],
    )
    .await;
    walk.write(
        M::POST,
        "/api/v1/integrations/{id}/replay",
        &format!("{hook_path}/replay"),
        a,
        Some(json!({"states": ["unparsed"]})),
        vec![expected(
            "replay",
            "integration",
            &hook_id,
            Exactly(&["states", "since", "until", "replayed", "events_created"]),
        )],
    )
    .await;

    // A post-mortem and its parts, written by an editor.
    let pm = walk
        .send(
            M::POST,
            "/api/v1/postmortems",
            "/api/v1/postmortems",
            e,
            Some(
                json!({"title": "Checkout outage", "summary": "Payments failed.",
                        "services": ["audit-svc"], "impact_started_at": "2026-11-20T10:00:00Z",
                        "author_id": alice_id}),
            ),
        )
        .await;
    let pm_id = id(&pm.body).to_owned();
    walk.expect(
        &pm,
        e,
        vec![
            expected(
                "create",
                "postmortem",
                &pm_id,
                AtLeast(&[
                    "title",
                    "summary",
                    "services",
                    "impact_started_at",
                    "author_id",
                    "status",
                ]),
            )
            .in_postmortem(&pm_id),
        ],
    )
    .await;
    let base = format!("/api/v1/postmortems/{pm_id}");
    let t = "/api/v1/postmortems/{id}";
    walk.write(
        M::PATCH,
        t,
        &base,
        e,
        Some(json!({"summary": "Payments failed for 40 minutes.", "status": "in_review"})),
        vec![
            expected(
                "update",
                "postmortem",
                &pm_id,
                Exactly(&["summary", "status"]),
            )
            .in_postmortem(&pm_id),
        ],
    )
    .await;
    walk.write(
        M::POST,
        "/api/v1/postmortems/{id}/participants",
        &format!("{base}/participants"),
        e,
        Some(json!({"person_id": bob_id, "role": "reviewer"})),
        vec![
            expected(
                "add",
                "participant",
                &bob_id,
                Exactly(&["person_id", "postmortem_id", "role"]),
            )
            .in_postmortem(&pm_id),
        ],
    )
    .await;
    walk.write(
        M::DELETE,
        "/api/v1/postmortems/{id}/participants/{person_id}",
        &format!("{base}/participants/{bob_id}"),
        e,
        None,
        vec![
            expected(
                "remove",
                "participant",
                &bob_id,
                Exactly(&["person_id", "postmortem_id", "role"]),
            )
            .in_postmortem(&pm_id),
        ],
    )
    .await;

    let entry = walk
        .send(
            M::POST,
            "/api/v1/postmortems/{id}/timeline",
            &format!("{base}/timeline"),
            e,
            Some(json!({"occurred_at": "2026-11-20T10:12:00Z", "kind": "note", "title": "Paged"})),
        )
        .await;
    let entry_id = id(&entry.body).to_owned();
    walk.expect(
        &entry,
        e,
        vec![
            expected(
                "create",
                "timeline_entry",
                &entry_id,
                AtLeast(&["occurred_at", "kind", "title", "source"]),
            )
            .in_postmortem(&pm_id),
        ],
    )
    .await;
    let entry_path = format!("{base}/timeline/{entry_id}");
    walk.write(
        M::PATCH,
        "/api/v1/postmortems/{id}/timeline/{entry_id}",
        &entry_path,
        e,
        Some(json!({"title": "Paged the on-call"})),
        vec![
            expected("update", "timeline_entry", &entry_id, Exactly(&["title"]))
                .in_postmortem(&pm_id),
        ],
    )
    .await;
    walk.write(
        M::DELETE,
        "/api/v1/postmortems/{id}/timeline/{entry_id}",
        &entry_path,
        a,
        None,
        vec![
            expected(
                "delete",
                "timeline_entry",
                &entry_id,
                AtLeast(&["title", "kind", "occurred_at"]),
            )
            .in_postmortem(&pm_id),
        ],
    )
    .await;
    store_event(&app, &hook_id, "audit-svc", "2026-11-20T10:30:00Z").await;
    let prefill = walk
        .send(
            M::POST,
            "/api/v1/postmortems/{id}/timeline/prefill",
            &format!("{base}/timeline/prefill"),
            e,
            None,
        )
        .await;
    let added = prefill.body["added"].as_array().unwrap();
    assert_eq!(added.len(), 1, "{}", prefill.body);
    walk.expect(
        &prefill,
        e,
        vec![
            expected(
                "prefill",
                "timeline_entry",
                id(&added[0]),
                AtLeast(&["title", "kind", "event_id"]),
            )
            .in_postmortem(&pm_id),
        ],
    )
    .await;

    let cause = walk
        .send(
            M::POST,
            "/api/v1/postmortems/{id}/causes",
            &format!("{base}/causes"),
            e,
            Some(json!({"area": "detection", "description": "No success-rate alert"})),
        )
        .await;
    let cause_id = id(&cause.body).to_owned();
    walk.expect(
        &cause,
        e,
        vec![
            expected(
                "create",
                "cause",
                &cause_id,
                AtLeast(&["area", "description"]),
            )
            .in_postmortem(&pm_id),
        ],
    )
    .await;
    let cause_path = format!("{base}/causes/{cause_id}");
    walk.write(
        M::PATCH,
        "/api/v1/postmortems/{id}/causes/{cause_id}",
        &cause_path,
        e,
        Some(json!({"description": "No alert on the success rate"})),
        vec![
            expected("update", "cause", &cause_id, Exactly(&["description"])).in_postmortem(&pm_id),
        ],
    )
    .await;
    walk.write(
        M::DELETE,
        "/api/v1/postmortems/{id}/causes/{cause_id}",
        &cause_path,
        a,
        None,
        vec![
            expected(
                "delete",
                "cause",
                &cause_id,
                AtLeast(&["area", "description"]),
            )
            .in_postmortem(&pm_id),
        ],
    )
    .await;

    // An action item on the default tracker: created, changed, synced again, deleted.
    let item = walk
        .send(
            M::POST,
            "/api/v1/postmortems/{id}/action-items",
            &format!("{base}/action-items"),
            e,
            Some(
                json!({"title": "Alert on the checkout success rate", "owner_id": alice_id,
                        "due_date": "2026-12-15"}),
            ),
        )
        .await;
    let item_id = id(&item.body).to_owned();
    walk.expect(
        &item,
        e,
        vec![
            expected(
                "create",
                "action_item",
                &item_id,
                AtLeast(&[
                    "title",
                    "owner_id",
                    "due_date",
                    "status",
                    "tracker_id",
                    "sync_state",
                ]),
            )
            .in_postmortem(&pm_id),
        ],
    )
    .await;
    settled(&app, &item.body).await;
    let item_path = format!("/api/v1/action-items/{item_id}");
    walk.write(
        M::PATCH,
        "/api/v1/action-items/{id}",
        &item_path,
        e,
        Some(json!({"status": "in_progress"})),
        vec![
            expected(
                "update",
                "action_item",
                &item_id,
                Exactly(&["status", "sync_state"]),
            )
            .in_postmortem(&pm_id),
        ],
    )
    .await;
    settled(&app, &item.body).await;
    walk.write(
        M::POST,
        "/api/v1/action-items/{id}/sync",
        &format!("{item_path}/sync"),
        e,
        None,
        vec![
            expected("sync", "action_item", &item_id, Exactly(&["sync_state"]))
                .in_postmortem(&pm_id),
        ],
    )
    .await;
    walk.write(
        M::DELETE,
        "/api/v1/action-items/{id}",
        &item_path,
        a,
        None,
        vec![
            expected(
                "delete",
                "action_item",
                &item_id,
                AtLeast(&["title", "owner_id"]),
            )
            .in_postmortem(&pm_id),
        ],
    )
    .await;

    walk.write(
        M::POST,
        "/api/v1/postmortems/{id}/publish",
        &format!("{base}/publish"),
        a,
        Some(json!({"override_reason": "Shared before the causes are written up"})),
        vec![
            expected(
                "publish",
                "postmortem",
                &pm_id,
                Exactly(&[
                    "status",
                    "published_at",
                    "published_by",
                    "publish_override_reason",
                ]),
            )
            .in_postmortem(&pm_id),
        ],
    )
    .await;
    // A share link's token is a credential: its entries say it was issued
    // and revoked, and change no field.
    let shared = walk
        .send(
            M::POST,
            "/api/v1/postmortems/{id}/share",
            &format!("{base}/share"),
            a,
            Some(json!({})),
        )
        .await;
    let link_id = shared.body["id"].as_str().unwrap().to_owned();
    walk.expect(
        &shared,
        a,
        vec![expected("issue_token", "share_link", &link_id, Exactly(&[])).in_postmortem(&pm_id)],
    )
    .await;
    walk.write(
        M::DELETE,
        "/api/v1/postmortems/{id}/share",
        &format!("{base}/share"),
        a,
        None,
        vec![expected("revoke_token", "share_link", &link_id, Exactly(&[])).in_postmortem(&pm_id)],
    )
    .await;
    // Reviewing a draft stores nothing, so it records nothing.
    walk.write(
        M::POST,
        "/api/v1/review",
        "/api/v1/review",
        VIEWER,
        Some(json!({"title": "x", "action_items": [{"title": "Be careful"}]})),
        vec![],
    )
    .await;

    walk.write(
        M::DELETE,
        "/api/v1/trackers/{id}",
        &tracker_path,
        a,
        None,
        vec![expected(
            "delete",
            "tracker",
            &tracker_id,
            AtLeast(&["name", "credentials"]),
        )],
    )
    .await;
    walk.write(
        M::DELETE,
        "/api/v1/integrations/{id}",
        &hook_path,
        a,
        None,
        vec![expected(
            "delete",
            "integration",
            &hook_id,
            AtLeast(&["name", "secret_encrypted"]),
        )],
    )
    .await;
    walk.write(
        M::DELETE,
        t,
        &base,
        a,
        None,
        vec![
            expected(
                "delete",
                "postmortem",
                &pm_id,
                AtLeast(&["title", "summary", "status"]),
            )
            .in_postmortem(&pm_id),
        ],
    )
    .await;

    let everything = json!(all_entries(&app).await);
    assert_no_secret(
        &everything,
        &[
            "jira-bot@acme.test",
            "jira-api-token-1234",
            "jira-bot2@acme.test",
            "jira-api-token-5678",
            &first_secret,
            &second_secret,
            &feed_token,
        ],
    );
    let missing: Vec<_> = mutating_routes()
        .difference(&walk.covered)
        .cloned()
        .collect();
    assert!(
        missing.is_empty(),
        "mutating routes this test sends nothing to, so their audit entries go unchecked: {missing:?}"
    );
}

#[tokio::test]
async fn every_graphql_mutation_records_its_audit_entry_with_the_request_id() {
    let app = spawn_app().await;
    let owner = app.person("Alice Smith").await;
    let reviewer = app.person("Bob Jones").await;
    let editor = Who("carol@example.com", Role::Editor);
    let admin = ALICE_ADMIN;
    let mut covered = BTreeSet::new();
    let app = &app;
    let mut mutation = |name: &'static str, who: Who, query: String| {
        covered.insert(name.to_owned());
        async move {
            let sent = send(
                app,
                Method::POST,
                "/graphql",
                who,
                Some(json!({"query": query})),
            )
            .await;
            assert_eq!(sent.status, StatusCode::OK);
            assert!(sent.body.get("errors").is_none(), "{name}: {}", sent.body);
            (sent.body["data"][name].clone(), sent.request_id)
        }
    };
    let check = async |request_id: &str, who: Who, expect: Expected<'_>, what: &str| {
        assert_entries(&entries_of(app, request_id).await, who, &[expect], what);
    };
    use Fields::{AtLeast, Exactly};

    let (pm, rid) = mutation(
        "createPostmortem",
        editor,
        r#"mutation { createPostmortem(input: {title: "Search was slow", services: ["search"]}) { id } }"#.into(),
    )
    .await;
    let pm = pm["id"].as_str().unwrap().to_owned();
    check(
        &rid,
        editor,
        expected("create", "postmortem", &pm, AtLeast(&["title", "services"])).in_postmortem(&pm),
        "createPostmortem",
    )
    .await;
    let (_, rid) = mutation(
        "updatePostmortem",
        editor,
        format!(r#"mutation {{ updatePostmortem(id: "{pm}", input: {{summary: "Index rebuild"}}) {{ id }} }}"#),
    )
    .await;
    check(
        &rid,
        editor,
        expected("update", "postmortem", &pm, Exactly(&["summary"])).in_postmortem(&pm),
        "updatePostmortem",
    )
    .await;
    let (entry, rid) = mutation(
        "addTimelineEntry",
        editor,
        format!(r#"mutation {{ addTimelineEntry(postmortemId: "{pm}", input: {{occurredAt: "2026-11-20T10:00:00Z", kind: "note", title: "Slow"}}) {{ id }} }}"#),
    )
    .await;
    let entry = entry["id"].as_str().unwrap().to_owned();
    check(
        &rid,
        editor,
        expected("create", "timeline_entry", &entry, AtLeast(&["title"])).in_postmortem(&pm),
        "addTimelineEntry",
    )
    .await;
    let (_, rid) = mutation(
        "updateTimelineEntry",
        editor,
        format!(r#"mutation {{ updateTimelineEntry(postmortemId: "{pm}", id: "{entry}", input: {{title: "Very slow"}}) {{ id }} }}"#),
    )
    .await;
    check(
        &rid,
        editor,
        expected("update", "timeline_entry", &entry, Exactly(&["title"])).in_postmortem(&pm),
        "updateTimelineEntry",
    )
    .await;
    let (_, rid) = mutation(
        "deleteTimelineEntry",
        admin,
        format!(r#"mutation {{ deleteTimelineEntry(postmortemId: "{pm}", id: "{entry}") }}"#),
    )
    .await;
    check(
        &rid,
        admin,
        expected("delete", "timeline_entry", &entry, AtLeast(&["title"])).in_postmortem(&pm),
        "deleteTimelineEntry",
    )
    .await;
    let (cause, rid) = mutation(
        "addCause",
        editor,
        format!(r#"mutation {{ addCause(postmortemId: "{pm}", input: {{area: DETECTION, description: "No latency alert"}}) {{ id }} }}"#),
    )
    .await;
    let cause = cause["id"].as_str().unwrap().to_owned();
    check(
        &rid,
        editor,
        expected("create", "cause", &cause, AtLeast(&["area", "description"])).in_postmortem(&pm),
        "addCause",
    )
    .await;
    let (_, rid) = mutation(
        "updateCause",
        editor,
        format!(r#"mutation {{ updateCause(postmortemId: "{pm}", id: "{cause}", input: {{area: PREVENTION}}) {{ id }} }}"#),
    )
    .await;
    check(
        &rid,
        editor,
        expected("update", "cause", &cause, Exactly(&["area"])).in_postmortem(&pm),
        "updateCause",
    )
    .await;
    let (_, rid) = mutation(
        "deleteCause",
        admin,
        format!(r#"mutation {{ deleteCause(postmortemId: "{pm}", id: "{cause}") }}"#),
    )
    .await;
    check(
        &rid,
        admin,
        expected("delete", "cause", &cause, AtLeast(&["description"])).in_postmortem(&pm),
        "deleteCause",
    )
    .await;
    let (item, rid) = mutation(
        "addActionItem",
        editor,
        format!(r#"mutation {{ addActionItem(postmortemId: "{pm}", input: {{title: "Alert on p99 latency", ownerId: "{}"}}) {{ id }} }}"#, id(&owner)),
    )
    .await;
    let item = item["id"].as_str().unwrap().to_owned();
    check(
        &rid,
        editor,
        expected(
            "create",
            "action_item",
            &item,
            AtLeast(&["title", "owner_id"]),
        )
        .in_postmortem(&pm),
        "addActionItem",
    )
    .await;
    let (_, rid) = mutation(
        "updateActionItem",
        editor,
        format!(r#"mutation {{ updateActionItem(id: "{item}", input: {{dueDate: "2026-12-01"}}) {{ id }} }}"#),
    )
    .await;
    check(
        &rid,
        editor,
        expected("update", "action_item", &item, Exactly(&["due_date"])).in_postmortem(&pm),
        "updateActionItem",
    )
    .await;
    let (_, rid) = mutation(
        "deleteActionItem",
        admin,
        format!(r#"mutation {{ deleteActionItem(id: "{item}") }}"#),
    )
    .await;
    check(
        &rid,
        admin,
        expected("delete", "action_item", &item, AtLeast(&["title"])).in_postmortem(&pm),
        "deleteActionItem",
    )
    .await;
    let person = id(&reviewer).to_owned();
    let (_, rid) = mutation(
        "addParticipant",
        editor,
        format!(r#"mutation {{ addParticipant(postmortemId: "{pm}", personId: "{person}", role: REVIEWER) {{ role }} }}"#),
    )
    .await;
    check(
        &rid,
        editor,
        expected(
            "add",
            "participant",
            &person,
            Exactly(&["person_id", "postmortem_id", "role"]),
        )
        .in_postmortem(&pm),
        "addParticipant",
    )
    .await;
    let (_, rid) = mutation(
        "removeParticipant",
        editor,
        format!(r#"mutation {{ removeParticipant(postmortemId: "{pm}", personId: "{person}") }}"#),
    )
    .await;
    check(
        &rid,
        editor,
        expected(
            "remove",
            "participant",
            &person,
            Exactly(&["person_id", "postmortem_id", "role"]),
        )
        .in_postmortem(&pm),
        "removeParticipant",
    )
    .await;
    let (_, rid) = mutation(
        "deletePostmortem",
        admin,
        format!(r#"mutation {{ deletePostmortem(id: "{pm}") }}"#),
    )
    .await;
    check(
        &rid,
        admin,
        expected("delete", "postmortem", &pm, AtLeast(&["title"])).in_postmortem(&pm),
        "deletePostmortem",
    )
    .await;

    let schema = app
        .graphql_data(
            Role::Viewer,
            "{ __schema { mutationType { fields { name } } } }",
            json!({}),
        )
        .await;
    let all: BTreeSet<String> = schema["__schema"]["mutationType"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap().to_owned())
        .collect();
    let missing: Vec<_> = all.difference(&covered).collect();
    assert!(
        missing.is_empty(),
        "GraphQL mutations this test sends nothing to: {missing:?}"
    );
}

#[tokio::test]
async fn what_a_webhook_delivery_changes_is_recorded_as_its_integration() {
    let app = spawn_app().await;
    let pm = app
        .postmortem(
            json!({"title": "Checkout returned 500s", "services": ["checkout"],
                           "impact_started_at": "2026-11-20T10:00:00Z"}),
        )
        .await;
    let hook = app.integration("generic").await;
    let body = json!({"events": [{"occurred_at": "2026-11-20T10:05:00Z", "kind": "alert.triggered",
                                   "service": "checkout", "title": "Checkout 5xx above 5%"}]})
    .to_string();
    let response = app
        .deliver(
            &hook,
            &signed("generic", &hook.secret, body.as_bytes()),
            body.as_bytes(),
        )
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let request_id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let entries = entries_of(&app, &request_id).await;
    let timeline = app
        .get_json(&format!("/api/v1/postmortems/{}/timeline", id(&pm)))
        .await;
    let entry_id = id(&timeline["items"][0]).to_owned();
    let subject = format!("webhook:{}", hook.id);
    assert_eq!(entries.len(), 2, "{entries:#?}");
    for entry in &entries {
        assert_eq!(entry["subject"], subject.as_str());
        assert_eq!(entry["role"], "system");
        assert_eq!(entry["action"], "prefill");
        assert_eq!(entry["postmortem_id"], id(&pm));
    }
    let added = entries
        .iter()
        .find(|e| e["resource"] == "timeline_entry")
        .unwrap();
    assert_eq!(added["resource_id"], entry_id.as_str());
    let filled = entries
        .iter()
        .find(|e| e["resource"] == "postmortem")
        .unwrap();
    assert_eq!(
        field_names(filled),
        BTreeSet::from(["detected_at".to_owned()])
    );
    assert_eq!(
        filled["changes"]["detected_at"]["to"],
        "2026-11-20T10:05:00Z"
    );
}

#[tokio::test]
async fn a_tracker_change_coming_back_by_webhook_is_recorded_as_its_integration() {
    let app = spawn_app().await;
    let jira = jira_server().await;
    mount_create(&jira, created_issue("OPS-7")).await;
    crate::tracker_sync::jira_tracker(&app, &jira).await;
    let item = settled(
        &app,
        &crate::tracker_sync::owned_item(&app, json!({})).await,
    )
    .await;
    let hook = app.integration("jira").await;
    let now = Utc::now();
    let body = serde_json::to_vec(&json!({
        "timestamp": now.timestamp_millis(),
        "webhookEvent": "jira:issue_updated",
        "issue_event_type_name": "issue_generic",
        "user": {"accountId": "acc-alice", "displayName": "Alice Smith"},
        "issue": {"id": "10001", "key": "OPS-7", "fields": {
            "summary": "Alert when checkout success rate drops",
            "status": {"name": "Shipped", "statusCategory": {"id": 3, "key": "done", "name": "Done"}},
            "assignee": {"accountId": "acc-alice"},
            "duedate": "2026-12-15",
            "updated": now.format("%Y-%m-%dT%H:%M:%S%.3f%z").to_string()
        }},
        "changelog": {"items": [{"field": "status", "fromString": "In Progress", "toString": "Shipped"}]}
    }))
    .unwrap();
    let response = app
        .deliver(&hook, &signed("jira", &hook.secret, &body), &body)
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let request_id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let entries = entries_of(&app, &request_id).await;
    assert_eq!(entries.len(), 1, "{entries:#?}");
    let entry = &entries[0];
    assert_eq!(entry["subject"], format!("webhook:{}", hook.id).as_str());
    assert_eq!(entry["role"], "system");
    assert_eq!(entry["action"], "update");
    assert_eq!(entry["resource"], "action_item");
    assert_eq!(entry["resource_id"], id(&item));
    assert_eq!(entry["postmortem_id"], item["postmortem_id"]);
    assert_eq!(
        entry["changes"]["status"],
        json!({"from": "open", "to": "done"})
    );
    assert!(field_names(entry).contains("completed_at"));
}

#[tokio::test]
async fn only_admins_read_the_audit_log() {
    let app = spawn_app().await;
    app.person("Alice Smith").await;
    for who in [VIEWER, BOB_EDITOR] {
        let response = app
            .client
            .get(format!("{}/api/v1/audit", app.address))
            .bearer_auth(token(who.0, who.1))
            .send()
            .await
            .unwrap();
        assert_problem(response, StatusCode::FORBIDDEN, "forbidden").await;
    }
    let page = app.get_json_as_admin("/api/v1/audit").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn the_audit_log_filters_and_pages_newest_first() {
    let app = spawn_app().await;
    let admin_a = Who("ann@example.com", Role::Admin);
    let admin_b = Who("ben@example.com", Role::Admin);
    let mut people = Vec::new();
    for (i, who) in [admin_a, admin_b, admin_a, admin_b, admin_a]
        .into_iter()
        .enumerate()
    {
        let sent = send(
            &app,
            Method::POST,
            "/api/v1/people",
            who,
            Some(json!({"display_name": format!("Person {i}"), "email": format!("p{i}@example.com")})),
        )
        .await;
        assert_eq!(sent.status, StatusCode::CREATED);
        people.push(id(&sent.body).to_owned());
    }
    let pm = send(
        &app,
        Method::POST,
        "/api/v1/postmortems",
        admin_b,
        Some(json!({"title": "Queue backed up"})),
    )
    .await;
    let pm_id = id(&pm.body).to_owned();
    send(
        &app,
        Method::POST,
        &format!("/api/v1/postmortems/{pm_id}/causes"),
        admin_a,
        Some(json!({"area": "mitigation", "description": "No runbook"})),
    )
    .await;

    let all = all_entries(&app).await;
    assert_eq!(all.len(), 7);
    let times: Vec<&str> = all
        .iter()
        .map(|e| e["occurred_at"].as_str().unwrap())
        .collect();
    let newest_first = times.windows(2).all(|w| {
        w[0].parse::<chrono::DateTime<Utc>>().unwrap()
            >= w[1].parse::<chrono::DateTime<Utc>>().unwrap()
    });
    assert!(newest_first, "{times:?}");
    assert_eq!(all[0]["resource"], "cause");

    // Cursor pages of two walk the same entries in the same order, without overlap.
    let mut paged = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = app
            .get_json_as_admin(&format!("/api/v1/audit?limit=2&cursor={cursor}"))
            .await;
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        paged.extend(items.iter().map(|e| e["id"].clone()));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
    }
    let ids: Vec<Value> = all.iter().map(|e| e["id"].clone()).collect();
    assert_eq!(paged, ids);

    let query = async |name: &str, value: String| -> Vec<Value> {
        let response = app
            .client
            .get(format!("{}/api/v1/audit", app.address))
            .query(&[(name, value)])
            .bearer_auth(token("root@example.com", Role::Admin))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let page: Value = response.json().await.unwrap();
        page["items"].as_array().unwrap().clone()
    };
    let persons = query("resource", "person".to_owned()).await;
    assert_eq!(persons.len(), 5);
    let by_b = query("subject", admin_b.0.to_owned()).await;
    assert_eq!(by_b.len(), 3, "two people and the post-mortem");
    assert!(by_b.iter().all(|e| e["subject"] == admin_b.0));
    let one = query("resource_id", people[2].clone()).await;
    assert_eq!(one.len(), 1);
    assert_eq!(one[0]["resource_id"], people[2].as_str());
    let history = query("postmortem_id", pm_id.clone()).await;
    let resources: Vec<&str> = history
        .iter()
        .map(|e| e["resource"].as_str().unwrap())
        .collect();
    assert_eq!(resources, ["cause", "postmortem"]);
    let middle = all[3]["occurred_at"].as_str().unwrap().to_owned();
    let from = query("from", middle.clone()).await;
    let to = query("to", middle).await;
    assert_eq!(from.len() + to.len(), 7, "from is inclusive, to exclusive");
    assert!(from.iter().any(|e| e["id"] == all[3]["id"]));

    for bad in ["resource=nonsense", "cursor=not-a-cursor", "from=yesterday"] {
        let response = app
            .request(Method::GET, &format!("/api/v1/audit?{bad}"), Role::Admin)
            .send()
            .await
            .unwrap();
        assert_problem(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
    }
}

#[tokio::test]
async fn a_refused_write_records_nothing() {
    let app = spawn_app().await;
    let pm = app.simple_postmortem().await;
    let before = all_entries(&app).await.len();
    let response = app
        .request(
            Method::PATCH,
            &format!("/api/v1/postmortems/{}", id(&pm)),
            Role::Editor,
        )
        .header("if-match", "\"v9\"")
        .json(&json!({"title": "Renamed"}))
        .send()
        .await
        .unwrap();
    assert_problem(
        response,
        StatusCode::PRECONDITION_FAILED,
        "precondition_failed",
    )
    .await;
    let response = app
        .request(
            Method::POST,
            &format!("/api/v1/postmortems/{}/causes", id(&pm)),
            Role::Editor,
        )
        .json(&json!({"area": "detection", "description": ""}))
        .send()
        .await
        .unwrap();
    assert_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(all_entries(&app).await.len(), before);
}

#[tokio::test]
async fn audit_entries_cannot_be_changed_or_deleted_even_by_the_services_own_connection() {
    let app = spawn_app().await;
    app.person("Alice Smith").await;
    let before = all_entries(&app).await;
    assert_eq!(before.len(), 1);
    let db = sea_orm::Database::connect(&app.settings.database_url)
        .await
        .unwrap();
    let mut statements = vec![
        "UPDATE audit_entries SET subject = 'someone-else@example.com'",
        "DELETE FROM audit_entries",
    ];
    if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        statements.push("TRUNCATE audit_entries");
    }
    for sql in statements {
        let refused = db.execute_unprepared(sql).await.err();
        let why = refused.map(|e| e.to_string()).unwrap_or_default();
        assert!(why.contains("audit entries cannot be"), "{sql}: {why:?}");
    }
    db.close().await.unwrap();
    assert_eq!(all_entries(&app).await, before);
    // And no route changes them: the log is read-only over HTTP.
    let entry = before[0]["id"].as_str().unwrap();
    for method in [Method::PATCH, Method::DELETE, Method::PUT] {
        let response = app
            .request(method, "/api/v1/audit", Role::Admin)
            .send()
            .await
            .unwrap();
        assert_problem(
            response,
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        )
        .await;
    }
    let response = app
        .request(
            Method::DELETE,
            &format!("/api/v1/audit/{entry}"),
            Role::Admin,
        )
        .send()
        .await
        .unwrap();
    assert_problem(response, StatusCode::NOT_FOUND, "route_not_found").await;
}

#[tokio::test]
async fn a_deleted_postmortem_keeps_its_history() {
    let app = spawn_app().await;
    let pm = app.simple_postmortem().await;
    let base = format!("/api/v1/postmortems/{}", id(&pm));
    app.create(
        &format!("{base}/causes"),
        json!({"area": "prevention", "description": "No canary"}),
    )
    .await;
    app.create(
        &format!("{base}/action-items"),
        json!({"title": "Add a canary stage to the deploy pipeline"}),
    )
    .await;
    assert_eq!(app.delete(&base).await.status(), StatusCode::NO_CONTENT);

    let kept = app
        .get_json_as_admin(&format!("/api/v1/audit?postmortem_id={}", id(&pm)))
        .await;
    let actions: Vec<(&str, &str)> = kept["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap(),
                e["resource"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        actions,
        [
            ("delete", "postmortem"),
            ("create", "action_item"),
            ("create", "cause"),
            ("create", "postmortem"),
        ]
    );
    let history = app.get_json_as_admin(&format!("{base}/history")).await;
    assert_eq!(history["items"], kept["items"]);
    let response = app.get(&format!("{base}/history")).await;
    assert_problem(response, StatusCode::NOT_FOUND, "not_found").await;
}

#[tokio::test]
async fn a_history_read_by_someone_who_may_not_see_names_names_no_one() {
    let app = spawn_app().await;
    let alice = app
        .create(
            "/api/v1/people",
            json!({"display_name": "Alice Smith", "email": "alice@example.com", "github_login": "asmith"}),
        )
        .await;
    let bob = app
        .create(
            "/api/v1/people",
            json!({"display_name": "Bob Jones", "email": "bob@example.com"}),
        )
        .await;
    // Alice writes as herself: her token's subject is her email.
    let alice_editor = Who("alice@example.com", Role::Editor);
    let alice_admin = Who("alice@example.com", Role::Admin);
    let pm = send(
        &app,
        Method::POST,
        "/api/v1/postmortems",
        alice_editor,
        Some(
            json!({"title": "Alice Smith restarted the primary database",
                    "summary": "alice@example.com was paged; Bob Jones helped.",
                    "author_id": id(&alice), "services": ["db"]}),
        ),
    )
    .await;
    assert_eq!(pm.status, StatusCode::CREATED);
    let base = format!("/api/v1/postmortems/{}", id(&pm.body));
    for (path, body) in [
        (
            "participants",
            json!({"person_id": id(&bob), "role": "reviewer"}),
        ),
        (
            "timeline",
            json!({"occurred_at": "2026-11-20T10:00:00Z", "kind": "note",
                   "title": "Alice Smith acknowledged", "description": "Bob Jones joined alice@example.com"}),
        ),
        (
            "action-items",
            json!({"title": "Alert on replication lag (asked by Alice Smith)", "owner_id": id(&alice)}),
        ),
    ] {
        let sent = send(
            &app,
            Method::POST,
            &format!("{base}/{path}"),
            alice_editor,
            Some(body),
        )
        .await;
        assert_eq!(sent.status, StatusCode::CREATED, "{path}: {}", sent.body);
    }
    send(
        &app,
        Method::PATCH,
        &base,
        alice_editor,
        Some(json!({"status": "in_review", "title": "Alice Smith and Bob Jones restarted the database"})),
    )
    .await;
    let published = send(
        &app,
        Method::POST,
        &format!("{base}/publish"),
        alice_admin,
        Some(json!({"override_reason": "Alice Smith wants it out today"})),
    )
    .await;
    assert_eq!(published.status, StatusCode::OK, "{}", published.body);

    let admin_view = app.get_json_as_admin(&format!("{base}/history")).await;
    let admin_text = admin_view.to_string();
    assert!(admin_text.contains("Alice Smith") && admin_text.contains("alice@example.com"));
    assert_eq!(admin_view["items"].as_array().unwrap().len(), 6);

    for who in [VIEWER, BOB_EDITOR] {
        let response = app
            .client
            .get(format!("{}{base}/history", app.address))
            .bearer_auth(token(who.0, who.1))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let history: Value = response.json().await.unwrap();
        let items = history["items"].as_array().unwrap();
        assert_eq!(items.len(), 6);
        let text = history.to_string().to_lowercase();
        for name in ["alice", "smith", "bob", "jones"] {
            assert!(
                !text.contains(name),
                "{} sees `{name}` in {history:#}",
                who.role_name()
            );
        }
        for item in items {
            assert!(
                ["an editor", "an admin"].contains(&item["subject"].as_str().unwrap()),
                "{item}"
            );
        }
        let publish = items.iter().find(|e| e["action"] == "publish").unwrap();
        assert_eq!(publish["changes"]["published_by"]["to"], "[hidden]");
        // What is not about people stays readable.
        assert_eq!(
            publish["changes"]["status"],
            json!({"from": "in_review", "to": "published"})
        );
    }
}
