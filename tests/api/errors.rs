use hindsight::auth::Role;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{assert_problem, filled, spawn_app};

#[tokio::test]
async fn malformed_json_is_400_and_stores_nothing() {
    let app = spawn_app().await;
    for body in [
        "{\"title\": ",
        "not json",
        "{\"title\": \"x\"} trailing",
        "",
    ] {
        let response = app
            .request(Method::POST, "/api/v1/postmortems", Role::Editor)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_problem(response, StatusCode::BAD_REQUEST, "malformed_request").await;
    }
    assert_eq!(
        app.get_json("/api/v1/postmortems").await["items"],
        json!([])
    );
}

#[tokio::test]
async fn a_body_over_the_limit_is_413() {
    let app = spawn_app().await;
    let huge = "x".repeat(app.settings.body_limit + 1);
    let response = app
        .request(Method::POST, "/api/v1/postmortems", Role::Editor)
        .json(&json!({"title": "big", "summary": huge}))
        .send()
        .await
        .unwrap();
    assert_problem(response, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
}

#[tokio::test]
async fn a_chunked_body_over_the_limit_is_413_too() {
    let app = spawn_app().await;
    let chunk = web_chunk(app.settings.body_limit / 4 + 1);
    let stream =
        futures_util::stream::iter((0..5).map(move |_| Ok::<_, std::io::Error>(chunk.clone())));
    let response = app
        .request(Method::POST, "/api/v1/postmortems", Role::Editor)
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
        .unwrap();
    assert_problem(response, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
}

fn web_chunk(size: usize) -> Vec<u8> {
    vec![b' '; size]
}

#[tokio::test]
async fn a_non_json_content_type_is_415() {
    let app = spawn_app().await;
    let response = app
        .request(Method::POST, "/api/v1/postmortems", Role::Editor)
        .header("content-type", "text/plain")
        .body("{\"title\": \"x\"}")
        .send()
        .await
        .unwrap();
    assert_problem(
        response,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
}

#[tokio::test]
async fn ids_that_are_not_uuids_are_404() {
    let app = spawn_app().await;
    assert_problem(
        app.get("/api/v1/postmortems/not-a-uuid").await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_problem(
        app.get("/api/v1/action-items/123").await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn hostile_inputs_never_crash_the_server() {
    let app = spawn_app().await;
    let bodies = [
        json!({"title": "\u{0000}\u{202e}evil"}),
        json!({"title": ["array"]}),
        json!({"title": {"nested": {"deep": [1, 2, 3]}}}),
        json!({"title": 1e308}),
        json!({"title": "x", "services": [null]}),
        json!({"title": "x", "impact_started_at": "9999-99-99T99:99:99Z"}),
        json!([1, 2, 3]),
        json!(null),
    ];
    for body in bodies {
        let response = app.post("/api/v1/postmortems", &body).await;
        assert!(
            response.status().is_client_error(),
            "{body} answered {}",
            response.status()
        );
    }
    let nul = app.get("/api/v1/postmortems?service=a%00b").await;
    assert_problem(nul, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    let nul_email = app
        .post(
            "/api/v1/people",
            &json!({"display_name": "x", "email": "a\u{0000}@example.com"}),
        )
        .await;
    assert_problem(
        nul_email,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
}

/// Every path of the route table answers a method it does not serve with 405
/// and an `Allow` header listing exactly the methods the table serves there.
#[tokio::test]
async fn every_path_answers_an_unserved_method_with_405_and_allow() {
    let app = spawn_app().await;
    let endpoints = hindsight::rest::endpoints();
    let mut paths: Vec<&str> = endpoints.iter().map(|e| e.path).collect();
    paths.dedup();
    for path in paths {
        let served: std::collections::BTreeSet<String> = endpoints
            .iter()
            .filter(|e| e.path == path)
            .map(|e| e.method.to_string())
            .collect();
        let response = app
            .request(reqwest::Method::PUT, &filled(path), Role::Admin)
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "PUT {path}"
        );
        let allow: std::collections::BTreeSet<String> = response
            .headers()
            .get("allow")
            .unwrap_or_else(|| panic!("no Allow on PUT {path}"))
            .to_str()
            .unwrap()
            .split(',')
            .map(|m| m.trim().to_owned())
            .collect();
        assert_eq!(allow, served, "Allow on {path}");
    }
}

/// Every operation `openapi.yaml` documents with a JSON request body refuses
/// a JSON array there with a 422, as it refuses any other body of the wrong
/// shape (serde alone would read an array as the struct's fields in order).
#[tokio::test]
async fn every_documented_json_body_refuses_an_array_with_422() {
    let spec: serde_json::Value = serde_yaml_ng::from_str(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml")).unwrap(),
    )
    .unwrap();
    let app = spawn_app().await;
    let mut checked = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        if path.starts_with("/webhooks/") || path == "/graphql" {
            continue;
        }
        for (method, operation) in item.as_object().unwrap() {
            let body = &operation["requestBody"]["content"]["application/json"]["schema"];
            if body.is_null() {
                continue;
            }
            let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let response = app
                .request(method.clone(), &filled(path), Role::Admin)
                .json(&json!([null, null, null, null, null, null, null, null]))
                .send()
                .await
                .unwrap();
            let problem = assert_problem(
                response,
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
            )
            .await;
            assert!(
                problem["errors"][0]["message"]
                    .as_str()
                    .unwrap()
                    .contains("invalid type: sequence"),
                "{method} {path}: {problem}"
            );
            checked += 1;
        }
    }
    assert!(checked >= 15, "only {checked} JSON bodies documented");
}

/// A required field that is absent is named in the problem, not left blank.
#[tokio::test]
async fn a_missing_field_is_named() {
    let app = spawn_app().await;
    let problem = assert_problem(
        app.post("/api/v1/people", &json!({"email": "ada@example.com"}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "display_name", "{problem}");
}
