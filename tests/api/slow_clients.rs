//! Clients that send their body a byte at a time hold nothing that others
//! need: webhook slots are taken only once a body has arrived, and every
//! body has a deadline.

use std::time::{Duration, Instant};

use hindsight::auth::Role;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{fixture, signed, spawn_app_with};

/// A socket that declared a body and sent one byte of it.
async fn stalled(address: &str, path: &str, token: Option<&str>) -> TcpStream {
    let host = address.trim_start_matches("http://");
    let mut socket = TcpStream::connect(host).await.unwrap();
    let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\n{auth}Content-Type: application/json\r\n\
         Content-Length: 1000\r\n\r\n{{"
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    socket
}

#[tokio::test]
async fn six_hundred_slow_senders_do_not_stop_a_valid_delivery() {
    let app = spawn_app_with(|s| s.body_timeout = Duration::from_secs(30)).await;
    let hook = app.integration("pagerduty").await;
    // More than the 512 webhook slots, to the real integration and to unknown ones.
    let mut sockets = Vec::new();
    for n in 0..600 {
        let path = if n % 2 == 0 {
            hook.path.clone()
        } else {
            format!("/webhooks/{}", uuid::Uuid::new_v4())
        };
        sockets.push(stalled(&app.address, &path, None).await);
    }
    let body = fixture("pagerduty/v3.incident.triggered.json");
    let receipt = app
        .deliver_ok(&hook, &signed("pagerduty", &hook.secret, &body), &body)
        .await;
    assert_eq!(receipt["state"], "processed", "{receipt}");
    drop(sockets);
}

#[tokio::test]
async fn a_stalled_body_is_answered_408_when_its_time_is_up() {
    let app = spawn_app_with(|s| s.body_timeout = Duration::from_millis(300)).await;
    let hook = app.integration("pagerduty").await;
    let token = app.token(Role::Editor);
    for path in [hook.path.clone(), "/api/v1/postmortems".to_owned()] {
        let started = Instant::now();
        let mut socket = stalled(&app.address, &path, Some(&token)).await;
        let mut answer = vec![0; 4096];
        let n = tokio::time::timeout(Duration::from_secs(10), socket.read(&mut answer))
            .await
            .expect("answered well before 10 s")
            .unwrap();
        let answer = String::from_utf8_lossy(&answer[..n]).into_owned();
        assert!(started.elapsed() < Duration::from_secs(5), "{path}");
        assert!(answer.starts_with("HTTP/1.1 408"), "{path}: {answer}");
        let body: Value = serde_json::from_str(answer.split("\r\n\r\n").nth(1).unwrap()).unwrap();
        assert_eq!(body["code"], "request_timeout");
    }
    assert!(app.events("").await.is_empty());
}
