//! Responses match the schemas `openapi.yaml` gives them: every documented
//! required field is there with its type, and no undocumented field appears.

use hindsight::auth::Role;
use reqwest::{Method, Response};
use serde_json::{Value, json};

use crate::helpers::{TestApp, id, spawn_app};

fn spec() -> Value {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml")).unwrap();
    serde_yaml_ng::from_str(&text).unwrap()
}

fn resolve<'a>(spec: &'a Value, node: &'a Value) -> &'a Value {
    match node["$ref"].as_str() {
        Some(reference) => resolve(
            spec,
            reference
                .trim_start_matches("#/")
                .split('/')
                .fold(spec, |v, k| &v[k]),
        ),
        None => node,
    }
}

/// Checks `value` against `schema`; responses are read strictly: an object
/// may hold only the properties its schema documents.
fn check(spec: &Value, schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
    let schema = resolve(spec, schema);
    if let Some(options) = schema["oneOf"].as_array().or(schema["anyOf"].as_array()) {
        let fits = options.iter().any(|o| {
            let mut e = Vec::new();
            check(spec, o, value, at, &mut e);
            e.is_empty()
        });
        if !fits {
            errors.push(format!("{at}: matches none of the documented alternatives"));
        }
        return;
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    let actual = match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    if !types.is_empty()
        && !types
            .iter()
            .any(|t| *t == actual || (*t == "number" && actual == "integer"))
    {
        errors.push(format!("{at}: is {actual}, documented as {types:?}"));
        return;
    }
    if let Some(allowed) = schema["enum"].as_array()
        && !allowed.contains(value)
    {
        errors.push(format!("{at}: {value} is not one of {allowed:?}"));
    }
    match value {
        Value::Object(map) => {
            let props = schema["properties"].as_object();
            for required in schema["required"].as_array().into_iter().flatten() {
                let name = required.as_str().unwrap();
                if !map.contains_key(name) {
                    errors.push(format!(
                        "{at}: documented required field `{name}` is missing"
                    ));
                }
            }
            for (key, item) in map {
                match props.and_then(|p| p.get(key)) {
                    Some(sub) => check(spec, sub, item, &format!("{at}/{key}"), errors),
                    None if schema["additionalProperties"].is_object() => check(
                        spec,
                        &schema["additionalProperties"],
                        item,
                        &format!("{at}/{key}"),
                        errors,
                    ),
                    None => errors.push(format!("{at}: field `{key}` is not documented")),
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                check(spec, &schema["items"], item, &format!("{at}/{i}"), errors);
            }
        }
        _ => {}
    }
}

/// Sends a request and checks its JSON answer against the documented response
/// of the operation at `template` for the status it got.
async fn exchange(
    app: &TestApp,
    spec: &Value,
    method: Method,
    template: &str,
    path: &str,
    body: Option<Value>,
    role: Role,
) -> Value {
    let mut request = app.request(method.clone(), path, role);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response: Response = request.send().await.unwrap();
    let status = response.status().as_u16().to_string();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let value: Value = if content_type.contains("json") {
        response.json().await.unwrap()
    } else {
        Value::Null
    };
    let operation = &spec["paths"][template][method.as_str().to_lowercase()];
    assert!(
        operation.is_object(),
        "{method} {template} is not documented"
    );
    let documented = resolve(spec, &operation["responses"][&status]);
    assert!(
        documented.is_object(),
        "{method} {template} answered {status}, which is not documented: {value}"
    );
    let media = if content_type.starts_with("application/problem+json") {
        "application/problem+json"
    } else {
        "application/json"
    };
    if let Some(schema) = documented["content"][media].get("schema") {
        let mut errors = Vec::new();
        check(spec, schema, &value, "", &mut errors);
        assert!(
            errors.is_empty(),
            "{method} {template} {status}: {errors:#?}\n{value}"
        );
    }
    value
}

#[tokio::test]
async fn answers_match_their_documented_schemas() {
    let app = spawn_app().await;
    let spec = spec();
    let admin = Role::Admin;
    let alice = exchange(&app, &spec, Method::POST, "/api/v1/people", "/api/v1/people", Some(json!({"display_name": "Alice Smith", "email": "alice@example.com", "team": "payments", "joined_on": "2026-01-05"})), admin).await;
    let bob = app.person("Bob Jones").await;
    exchange(
        &app,
        &spec,
        Method::GET,
        "/api/v1/people",
        "/api/v1/people",
        None,
        admin,
    )
    .await;
    exchange(
        &app,
        &spec,
        Method::GET,
        "/api/v1/people/{id}",
        &format!("/api/v1/people/{}", id(&alice)),
        None,
        admin,
    )
    .await;
    exchange(
        &app,
        &spec,
        Method::PATCH,
        "/api/v1/people/{id}",
        &format!("/api/v1/people/{}", id(&alice)),
        Some(json!({"role_title": "SRE"})),
        admin,
    )
    .await;

    let pm = exchange(&app, &spec, Method::POST, "/api/v1/postmortems", "/api/v1/postmortems", Some(json!({
        "title": "Checkout outage", "summary": "Payments failed.", "services": ["checkout"], "severity": "sev2",
        "author_id": id(&alice), "status": "in_review",
        "impact_started_at": "2026-11-20T10:00:00Z", "detected_at": "2026-11-20T10:12:00Z", "resolved_at": "2026-11-20T11:00:00Z"})), admin).await;
    let base = format!("/api/v1/postmortems/{}", id(&pm));
    let t = "/api/v1/postmortems/{id}";
    for role in [Role::Viewer, Role::Admin] {
        exchange(&app, &spec, Method::GET, t, &base, None, role).await;
        exchange(
            &app,
            &spec,
            Method::GET,
            "/api/v1/postmortems",
            "/api/v1/postmortems?limit=1",
            None,
            role,
        )
        .await;
    }
    exchange(
        &app,
        &spec,
        Method::PATCH,
        t,
        &base,
        Some(json!({"severity": null})),
        admin,
    )
    .await;
    exchange(
        &app,
        &spec,
        Method::POST,
        &format!("{t}/participants"),
        &format!("{base}/participants"),
        Some(json!({"person_id": id(&bob), "role": "reviewer"})),
        admin,
    )
    .await;
    exchange(
        &app,
        &spec,
        Method::GET,
        &format!("{t}/participants"),
        &format!("{base}/participants"),
        None,
        Role::Viewer,
    )
    .await;
    let entry = exchange(&app, &spec, Method::POST, &format!("{t}/timeline"), &format!("{base}/timeline"), Some(json!({"occurred_at": "2026-11-20T10:12:00Z", "kind": "detected", "title": "Alert", "link": "https://grafana.example.com/d/1"})), admin).await;
    exchange(
        &app,
        &spec,
        Method::PATCH,
        &format!("{t}/timeline/{{entry_id}}"),
        &format!("{base}/timeline/{}", id(&entry)),
        Some(json!({"title": "Alert fired"})),
        admin,
    )
    .await;
    exchange(
        &app,
        &spec,
        Method::GET,
        &format!("{t}/timeline"),
        &format!("{base}/timeline"),
        None,
        Role::Viewer,
    )
    .await;
    let cause = exchange(
        &app,
        &spec,
        Method::POST,
        &format!("{t}/causes"),
        &format!("{base}/causes"),
        Some(json!({"area": "detection", "description": "No alert"})),
        admin,
    )
    .await;
    exchange(
        &app,
        &spec,
        Method::PATCH,
        &format!("{t}/causes/{{cause_id}}"),
        &format!("{base}/causes/{}", id(&cause)),
        Some(json!({"description": "No success-rate alert"})),
        admin,
    )
    .await;
    exchange(
        &app,
        &spec,
        Method::GET,
        &format!("{t}/causes"),
        &format!("{base}/causes"),
        None,
        Role::Viewer,
    )
    .await;
    let item = exchange(&app, &spec, Method::POST, &format!("{t}/action-items"), &format!("{base}/action-items"), Some(json!({"title": "Alert on success rate", "owner_id": id(&bob), "due_date": "2026-12-15", "cause_id": id(&cause), "recurrence": "FREQ=MONTHLY"})), admin).await;
    exchange(
        &app,
        &spec,
        Method::GET,
        &format!("{t}/action-items"),
        &format!("{base}/action-items"),
        None,
        Role::Viewer,
    )
    .await;
    exchange(
        &app,
        &spec,
        Method::GET,
        "/api/v1/action-items",
        "/api/v1/action-items?overdue=false",
        None,
        Role::Viewer,
    )
    .await;
    exchange(
        &app,
        &spec,
        Method::GET,
        "/api/v1/action-items/{id}",
        &format!("/api/v1/action-items/{}", id(&item)),
        None,
        Role::Viewer,
    )
    .await;
    exchange(
        &app,
        &spec,
        Method::PATCH,
        "/api/v1/action-items/{id}",
        &format!("/api/v1/action-items/{}", id(&item)),
        Some(json!({"status": "in_progress"})),
        admin,
    )
    .await;
    exchange(
        &app,
        &spec,
        Method::GET,
        &format!("{t}/review"),
        &format!("{base}/review"),
        None,
        Role::Viewer,
    )
    .await;
    exchange(
        &app,
        &spec,
        Method::POST,
        "/api/v1/review",
        "/api/v1/review",
        Some(json!({"title": "x", "action_items": [{"title": "Be careful"}]})),
        Role::Viewer,
    )
    .await;
    exchange(
        &app,
        &spec,
        Method::GET,
        &format!("{t}/metrics"),
        &format!("{base}/metrics"),
        None,
        Role::Viewer,
    )
    .await;
    exchange(
        &app,
        &spec,
        Method::POST,
        &format!("{t}/publish"),
        &format!("{base}/publish"),
        None,
        Role::Editor,
    )
    .await;
    exchange(
        &app,
        &spec,
        Method::POST,
        "/api/v1/people/{id}/calendar-token",
        &format!("/api/v1/people/{}/calendar-token", id(&bob)),
        None,
        admin,
    )
    .await;
    // The audit log, as written for admins and scrubbed for viewers.
    for role in [Role::Viewer, Role::Admin] {
        exchange(
            &app,
            &spec,
            Method::GET,
            &format!("{t}/history"),
            &format!("{base}/history"),
            None,
            role,
        )
        .await;
    }
    exchange(
        &app,
        &spec,
        Method::GET,
        "/api/v1/audit",
        "/api/v1/audit?limit=200",
        None,
        admin,
    )
    .await;
    exchange(
        &app,
        &spec,
        Method::GET,
        "/api/v1/audit",
        "/api/v1/audit",
        None,
        Role::Editor,
    )
    .await;

    // Errors are documented problems too.
    exchange(
        &app,
        &spec,
        Method::POST,
        "/api/v1/postmortems",
        "/api/v1/postmortems",
        Some(json!({"title": ""})),
        admin,
    )
    .await;
    exchange(
        &app,
        &spec,
        Method::GET,
        t,
        &format!("/api/v1/postmortems/{}", uuid::Uuid::new_v4()),
        None,
        admin,
    )
    .await;
    exchange(
        &app,
        &spec,
        Method::POST,
        "/api/v1/postmortems",
        "/api/v1/postmortems",
        Some(json!({"title": "x"})),
        Role::Viewer,
    )
    .await;

    // Webhook deliveries: the receipt, the stored list, one delivery, a
    // preview and a replay.
    let hook = exchange(
        &app,
        &spec,
        Method::POST,
        "/api/v1/integrations",
        "/api/v1/integrations",
        Some(json!({"kind": "generic", "name": "Custom", "config": {"rules": {
            "events": "alerts", "title": "summary",
            "kind": {"path": "status", "values": {"firing": "alert.triggered"}, "default": "alert.annotated"},
            "correlation_key": {"path": "group", "from": "body"}}}})),
        admin,
    )
    .await;
    let hooks = format!("/api/v1/integrations/{}", id(&hook));
    let hook = crate::helpers::Hook {
        id: id(&hook).to_owned(),
        path: format!("/webhooks/{}", id(&hook)),
        secret: hook["secret"].as_str().unwrap().to_owned(),
    };
    for body in [
        r#"{"group": "g", "alerts": [{"summary": "Disk full", "status": "firing"}]}"#,
        "not json",
    ] {
        let headers = crate::helpers::signed("generic", &hook.secret, body.as_bytes());
        let receipt = app.deliver_ok(&hook, &headers, body.as_bytes()).await;
        let mut errors = Vec::new();
        let schema = json!({"$ref": "#/components/schemas/WebhookReceipt"});
        check(&spec, &schema, &receipt, "", &mut errors);
        assert!(errors.is_empty(), "{errors:#?}\n{receipt}");
    }
    let i = "/api/v1/integrations/{id}";
    let listed = exchange(
        &app,
        &spec,
        Method::GET,
        &format!("{i}/deliveries"),
        &format!("{hooks}/deliveries?state=processed,unparsed"),
        None,
        admin,
    )
    .await;
    exchange(
        &app,
        &spec,
        Method::GET,
        &format!("{i}/deliveries/{{delivery_id}}"),
        &format!("{hooks}/deliveries/{}", id(&listed["items"][0])),
        None,
        admin,
    )
    .await;
    exchange(
        &app,
        &spec,
        Method::POST,
        &format!("{i}/preview"),
        &format!("{hooks}/preview"),
        Some(json!({"body": {"alerts": [{"summary": "x"}]}, "headers": {"X-Source": "test"}})),
        admin,
    )
    .await;
    exchange(
        &app,
        &spec,
        Method::POST,
        &format!("{i}/replay"),
        &format!("{hooks}/replay"),
        Some(json!({"states": ["unparsed"], "since": "2020-01-01T00:00:00Z"})),
        admin,
    )
    .await;
}
