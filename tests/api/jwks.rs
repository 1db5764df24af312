//! Tokens from an identity provider that publishes its keys as a JWKS and
//! rotates them: a local JWKS server plays the provider.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use hindsight::config::JwtKey;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use serde_json::{Value, json};
use wiremock::{Mock, MockServer, Request, ResponseTemplate, matchers};

use crate::helpers::{TestApp, spawn_app_with};

/// A JWKS server whose key set the test replaces, as a provider rotating keys.
struct Provider {
    server: MockServer,
    keys: Arc<Mutex<Value>>,
}

impl Provider {
    async fn start(keys: Value) -> Self {
        let server = MockServer::start().await;
        let keys = Arc::new(Mutex::new(keys));
        let current = keys.clone();
        Mock::given(matchers::method("GET"))
            .and(matchers::path("/oauth2/v1/keys"))
            .respond_with(move |_: &Request| {
                let set = current.lock().unwrap().clone();
                ResponseTemplate::new(200)
                    .insert_header("content-type", "application/json")
                    .insert_header("cache-control", "max-age=3600")
                    .set_body_json(json!({ "keys": set }))
            })
            .mount(&server)
            .await;
        Self { server, keys }
    }

    fn url(&self) -> String {
        format!("{}/oauth2/v1/keys", self.server.uri())
    }

    fn rotate(&self, keys: Value) {
        *self.keys.lock().unwrap() = keys;
    }

    async fn fetches(&self) -> usize {
        self.server.received_requests().await.unwrap().len()
    }
}

fn key_file(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// A public key from `jwks_keys.json` (`rsa`, `ec`, `ed`) named `kid`.
fn jwk(which: &str, kid: &str) -> Value {
    let keys: Value = serde_json::from_slice(&key_file("jwks_keys.json")).unwrap();
    let mut key = keys[which].clone();
    key["kid"] = json!(kid);
    key
}

fn token(algorithm: Algorithm, kid: &str) -> String {
    let key = match algorithm {
        Algorithm::RS256 => EncodingKey::from_rsa_pem(&key_file("rsa_private.pem")).unwrap(),
        Algorithm::ES256 => EncodingKey::from_ec_pem(&key_file("ec_private.pem")).unwrap(),
        Algorithm::EdDSA => EncodingKey::from_ed_pem(&key_file("ed_private.pem")).unwrap(),
        _ => EncodingKey::from_secret(b"a secret anyone could pick"),
    };
    let mut header = Header::new(algorithm);
    header.kid = Some(kid.into());
    let claims = json!({
        "sub": "ada@example.com",
        "role": "viewer",
        "exp": jsonwebtoken::get_current_timestamp() + 600,
    });
    jsonwebtoken::encode(&header, &claims, &key).unwrap()
}

async fn app_trusting(
    provider: &Provider,
    algorithms: Vec<Algorithm>,
    refetch: Duration,
) -> TestApp {
    let url = provider.url();
    spawn_app_with(move |s| {
        s.jwt.key = JwtKey::Jwks {
            url,
            algorithms,
            min_refetch: refetch,
        };
    })
    .await
}

async fn status_with(app: &TestApp, token: &str) -> StatusCode {
    app.client
        .get(format!("{}/api/v1/postmortems", app.address))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn rotated_keys_are_fetched_on_an_unknown_kid_at_most_once_per_interval() {
    let provider = Provider::start(json!([jwk("rsa", "2026-a")])).await;
    let all = vec![Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA];
    let app = app_trusting(&provider, all, Duration::from_secs(1)).await;
    assert_eq!(provider.fetches().await, 0, "fetched when a token needs it");

    let first = token(Algorithm::RS256, "2026-a");
    assert_eq!(status_with(&app, &first).await, StatusCode::OK);
    assert_eq!(status_with(&app, &first).await, StatusCode::OK);
    assert_eq!(provider.fetches().await, 1, "the key is cached");

    provider.rotate(json!([jwk("ec", "2026-b"), jwk("ed", "2026-c")]));
    let rotated = token(Algorithm::ES256, "2026-b");
    assert_eq!(
        status_with(&app, &rotated).await,
        StatusCode::UNAUTHORIZED,
        "within the interval an unknown kid fetches nothing"
    );
    assert_eq!(provider.fetches().await, 1);

    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(status_with(&app, &rotated).await, StatusCode::OK);
    assert_eq!(provider.fetches().await, 2);
    assert_eq!(
        status_with(&app, &token(Algorithm::EdDSA, "2026-c")).await,
        StatusCode::OK,
        "an EdDSA key from the same fetch"
    );
    assert_eq!(
        status_with(&app, &token(Algorithm::ES256, "made-up")).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        status_with(&app, &first).await,
        StatusCode::UNAUTHORIZED,
        "the rotated-out key is gone"
    );
    assert_eq!(
        provider.fetches().await,
        2,
        "unknown kids within the interval fetch nothing"
    );
}

#[tokio::test]
async fn the_configured_algorithms_decide_not_the_token_or_the_key_set() {
    let provider = Provider::start(json!([jwk("rsa", "rsa-1"), jwk("ec", "ec-1")])).await;
    let app = app_trusting(&provider, vec![Algorithm::RS256], Duration::from_secs(3600)).await;

    assert_eq!(
        status_with(&app, &token(Algorithm::RS256, "rsa-1")).await,
        StatusCode::OK
    );
    assert_eq!(
        status_with(&app, &token(Algorithm::ES256, "ec-1")).await,
        StatusCode::UNAUTHORIZED,
        "an EC key is published but ES256 is not configured"
    );
    assert_eq!(
        status_with(&app, &token(Algorithm::HS256, "rsa-1")).await,
        StatusCode::UNAUTHORIZED,
        "the RSA key's token claiming HS256"
    );
    let unsigned = format!(
        "{}.{}.",
        base64_url(r#"{"alg":"none","kid":"rsa-1"}"#),
        base64_url(r#"{"sub":"x","role":"admin","exp":9999999999}"#)
    );
    assert_eq!(status_with(&app, &unsigned).await, StatusCode::UNAUTHORIZED);
    let response = app
        .client
        .get(format!("{}/api/v1/postmortems", app.address))
        .bearer_auth(token(Algorithm::RS256, "nobody-knows"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let problem: Value = response.json().await.unwrap();
    assert!(
        problem["detail"].as_str().unwrap().contains("kid"),
        "{problem}"
    );
}

fn base64_url(text: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}

#[tokio::test]
async fn a_jwks_at_an_address_the_outbound_policy_refuses_is_never_fetched() {
    let provider = Provider::start(json!([jwk("rsa", "2026-a")])).await;
    let url = provider.url();
    let app = spawn_app_with(move |s| {
        s.outbound_allow.clear();
        s.jwt.key = JwtKey::Jwks {
            url,
            algorithms: vec![Algorithm::RS256],
            min_refetch: Duration::from_secs(3600),
        };
    })
    .await;
    assert_eq!(
        status_with(&app, &token(Algorithm::RS256, "2026-a")).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(provider.fetches().await, 0, "loopback is not allow-listed");
}
