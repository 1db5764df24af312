use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use hindsight::{
    auth::Role,
    config::{JwtKey, Secret},
};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{assert_problem, spawn_app, spawn_app_with};

fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

fn hs256(secret: &[u8], claims: serde_json::Value) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret),
    )
    .unwrap()
}

async fn get_with(app: &crate::helpers::TestApp, token: &str) -> reqwest::Response {
    app.client
        .get(format!("{}/api/v1/postmortems", app.address))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_request_without_a_token_is_401_with_www_authenticate() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(format!("{}/api/v1/postmortems", app.address))
        .send()
        .await
        .unwrap();
    assert!(
        response.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );
    assert_problem(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
}

#[tokio::test]
async fn an_expired_token_is_refused() {
    let app = spawn_app().await;
    let token = hs256(
        crate::helpers::JWT_SECRET,
        json!({"sub": "a@example.com", "role": "admin", "exp": now() - 3600}),
    );
    let body = assert_problem(
        get_with(&app, &token).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    assert!(body["detail"].as_str().unwrap().contains("expired"));
}

#[tokio::test]
async fn a_token_signed_with_another_key_is_refused() {
    let app = spawn_app().await;
    let token = hs256(
        b"another-secret-another-secret-another!!",
        json!({"sub": "a@example.com", "role": "admin", "exp": now() + 600}),
    );
    assert_problem(
        get_with(&app, &token).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
}

#[tokio::test]
async fn an_unsigned_alg_none_token_is_refused() {
    let app = spawn_app().await;
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let claims = URL_SAFE_NO_PAD
        .encode(json!({"sub": "a@example.com", "role": "admin", "exp": now() + 600}).to_string());
    for token in [format!("{header}.{claims}."), format!("{header}.{claims}")] {
        assert_problem(
            get_with(&app, &token).await,
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        )
        .await;
    }
}

#[tokio::test]
async fn a_token_without_a_role_or_with_an_unknown_role_is_refused() {
    let app = spawn_app().await;
    for claims in [
        json!({"sub": "a@example.com", "exp": now() + 600}),
        json!({"sub": "a@example.com", "role": "owner", "exp": now() + 600}),
    ] {
        let token = hs256(crate::helpers::JWT_SECRET, claims);
        assert_problem(
            get_with(&app, &token).await,
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        )
        .await;
    }
}

fn rsa_app_settings(settings: &mut hindsight::config::Settings) {
    settings.jwt.key = JwtKey::PublicKeyPem(include_str!("../fixtures/rsa_public.pem").into());
    settings.jwt.issuer = Some("https://id.example.com/".into());
    settings.jwt.audience = Some("hindsight".into());
}

#[tokio::test]
async fn rs256_tokens_from_an_identity_provider_are_accepted_with_issuer_and_audience() {
    let app = spawn_app_with(rsa_app_settings).await;
    let key = EncodingKey::from_rsa_pem(include_bytes!("../fixtures/rsa_private.pem")).unwrap();
    let good = json!({"sub": "a@example.com", "role": "viewer", "exp": now() + 600, "iss": "https://id.example.com/", "aud": "hindsight"});
    let token = jsonwebtoken::encode(&Header::new(Algorithm::RS256), &good, &key).unwrap();
    assert_eq!(get_with(&app, &token).await.status(), StatusCode::OK);

    let mut wrong_issuer = good.clone();
    wrong_issuer["iss"] = json!("https://evil.example.com/");
    let token = jsonwebtoken::encode(&Header::new(Algorithm::RS256), &wrong_issuer, &key).unwrap();
    assert_problem(
        get_with(&app, &token).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;

    let mut wrong_audience = good;
    wrong_audience["aud"] = json!("someone-else");
    let token =
        jsonwebtoken::encode(&Header::new(Algorithm::RS256), &wrong_audience, &key).unwrap();
    assert_problem(
        get_with(&app, &token).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
}

#[tokio::test]
async fn an_hs256_token_is_refused_where_rs256_is_configured() {
    let app = spawn_app_with(rsa_app_settings).await;
    let claims = json!({"sub": "a@example.com", "role": "admin", "exp": now() + 600, "iss": "https://id.example.com/", "aud": "hindsight"});
    // The classic confusion attack: the public key used as an HMAC secret.
    let token = hs256(include_bytes!("../fixtures/rsa_public.pem"), claims.clone());
    let body = assert_problem(
        get_with(&app, &token).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    assert!(
        body["detail"].as_str().unwrap().contains("algorithm"),
        "{body}"
    );
    let token = hs256(crate::helpers::JWT_SECRET, claims);
    assert_problem(
        get_with(&app, &token).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
}

#[tokio::test]
async fn es256_public_keys_are_supported() {
    let app = spawn_app_with(|s| {
        s.jwt.key = JwtKey::PublicKeyPem(include_str!("../fixtures/ec_public.pem").into());
    })
    .await;
    let key = EncodingKey::from_ec_pem(include_bytes!("../fixtures/ec_private.pem")).unwrap();
    let claims = json!({"sub": "a@example.com", "role": "viewer", "exp": now() + 600});
    let token = jsonwebtoken::encode(&Header::new(Algorithm::ES256), &claims, &key).unwrap();
    assert_eq!(get_with(&app, &token).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_viewer_cannot_write() {
    let app = spawn_app().await;
    let response = app
        .request(reqwest::Method::POST, "/api/v1/postmortems", Role::Viewer)
        .json(&json!({"title": "Outage"}))
        .send()
        .await
        .unwrap();
    assert_problem(response, StatusCode::FORBIDDEN, "forbidden").await;
    let list = app.get_json("/api/v1/postmortems").await;
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        0,
        "nothing was stored"
    );
}

#[tokio::test]
async fn an_editor_cannot_delete() {
    let app = spawn_app().await;
    let pm = app.simple_postmortem().await;
    let path = format!("/api/v1/postmortems/{}", pm["id"].as_str().unwrap());
    let response = app
        .request(reqwest::Method::DELETE, &path, Role::Editor)
        .send()
        .await
        .unwrap();
    assert_problem(response, StatusCode::FORBIDDEN, "forbidden").await;
    assert_eq!(app.get(&path).await.status(), StatusCode::OK, "still there");
    assert_eq!(
        app.delete(&path).await.status(),
        StatusCode::NO_CONTENT,
        "an admin may"
    );
    assert_eq!(app.get(&path).await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_token_command_mints_a_token_the_server_accepts() {
    let app = spawn_app().await;
    let data_dir = std::env::temp_dir().join(format!("hindsight-cli-{}", uuid::Uuid::new_v4()));
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_hindsight"))
        .args([
            "token",
            "--role",
            "editor",
            "--sub",
            "me@example.com",
            "--ttl",
            "10m",
        ])
        .env(
            "HINDSIGHT_JWT_SECRET",
            std::str::from_utf8(crate::helpers::JWT_SECRET).unwrap(),
        )
        .env("HINDSIGHT_DATA_DIR", &data_dir)
        .output()
        .unwrap();
    std::fs::remove_dir_all(&data_dir).ok();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let token = String::from_utf8(output.stdout).unwrap().trim().to_owned();
    let response = app
        .client
        .post(format!("{}/api/v1/postmortems", app.address))
        .bearer_auth(&token)
        .json(&json!({"title": "Minted"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let verifier = hindsight::auth::TokenVerifier::new(&hindsight::config::JwtSettings {
        key: JwtKey::Hs256(Secret::new(crate::helpers::JWT_SECRET.to_vec())),
        issuer: None,
        audience: None,
    })
    .unwrap();
    let claims = verifier.verify(&token).await.unwrap();
    assert_eq!(
        (claims.sub.as_str(), claims.role),
        ("me@example.com", Role::Editor)
    );
    let ttl = claims.exp - jsonwebtoken::get_current_timestamp();
    assert!(
        (590..=600).contains(&ttl),
        "--ttl 10m gives ten minutes, got {ttl}s"
    );
}

#[tokio::test]
async fn the_migrate_command_creates_the_schema_and_can_run_twice() {
    let path = std::env::temp_dir().join(format!("hindsight-migrate-{}.db", uuid::Uuid::new_v4()));
    let data_dir = std::env::temp_dir().join(format!("hindsight-cli-{}", uuid::Uuid::new_v4()));
    for _ in 0..2 {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_hindsight"))
            .arg("migrate")
            .env(
                "HINDSIGHT_DATABASE_URL",
                format!("sqlite://{}?mode=rwc", path.display()),
            )
            .env("HINDSIGHT_DATA_DIR", &data_dir)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let db = sea_orm::Database::connect(format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    use sea_orm::ConnectionTrait as _;
    let tables = db
        .query_all_raw(sea_orm::Statement::from_string(
            sea_orm::DatabaseBackend::Sqlite,
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
        ))
        .await
        .unwrap()
        .iter()
        .map(|row| row.try_get::<String>("", "name").unwrap())
        .collect::<Vec<_>>();
    db.close().await.ok();
    for table in [
        "action_items",
        "causes",
        "participants",
        "people",
        "postmortems",
        "timeline_entries",
    ] {
        assert!(
            tables.iter().any(|t| t == table),
            "{table} missing from {tables:?}"
        );
    }
    for suffix in ["", "-wal", "-shm"] {
        std::fs::remove_file(format!("{}{suffix}", path.display())).ok();
    }
    std::fs::remove_dir_all(&data_dir).ok();
}

#[tokio::test]
async fn a_token_not_valid_yet_is_refused() {
    let app = spawn_app().await;
    let later = hs256(
        crate::helpers::JWT_SECRET,
        json!({"sub": "a@example.com", "role": "admin", "exp": now() + 7200, "nbf": now() + 3600}),
    );
    let problem = assert_problem(
        get_with(&app, &later).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("not valid yet"),
        "{problem}"
    );
    let now_valid = hs256(
        crate::helpers::JWT_SECRET,
        json!({"sub": "a@example.com", "role": "admin", "exp": now() + 7200, "nbf": now() - 5}),
    );
    assert_eq!(get_with(&app, &now_valid).await.status(), StatusCode::OK);
}

/// Routes a viewer may call with a body: the draft review, their own
/// calendar token, and the two authenticated by other means.
const VIEWER_WRITES: &[&str] = &[
    "/api/v1/review",
    "/api/v1/people/{id}/calendar-token",
    "/webhooks/{integration_id}",
    "/graphql",
];

/// Every route of the route table that changes something answers a viewer
/// 403 before it reads the body or looks up the ids in its path: the same
/// invalid body and unknown ids that would be a 422 or a 404 for an editor.
/// A route added later is covered without being listed here.
#[tokio::test]
async fn every_write_route_refuses_a_viewer_before_judging_the_body_or_the_ids() {
    use actix_web::http::Method as M;
    let app = spawn_app().await;
    let mut checked = 0;
    for endpoint in hindsight::rest::endpoints() {
        if endpoint.method == M::GET || VIEWER_WRITES.contains(&endpoint.path) {
            continue;
        }
        let path = crate::helpers::filled(endpoint.path);
        let method = reqwest::Method::from_bytes(endpoint.method.as_str().as_bytes()).unwrap();
        let response = app
            .request(method, &path, Role::Viewer)
            .header("content-type", "application/json")
            .body("[null, {\"title\": 7}]")
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::FORBIDDEN,
            "{} {}",
            endpoint.method,
            endpoint.path
        );
        let problem: serde_json::Value = response.json().await.unwrap();
        assert_eq!(
            problem["code"], "forbidden",
            "{} {}",
            endpoint.method, endpoint.path
        );
        checked += 1;
    }
    assert!(checked >= 25, "only {checked} write routes found");
}
