//! `timelineEntries` over a `graphql-transport-ws` WebSocket.

use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use hindsight::auth::Role;
use serde_json::{Value, json};
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream, connect_async,
    tungstenite::{Message, client::IntoClientRequest as _},
};

use crate::helpers::{TestApp, id, spawn_app};

type Socket = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(app: &TestApp, init: Value) -> Socket {
    let url = format!("{}/graphql", app.address.replace("http://", "ws://"));
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let (mut socket, _) = connect_async(request).await.unwrap();
    send(
        &mut socket,
        json!({"type": "connection_init", "payload": init}),
    )
    .await;
    socket
}

async fn send(socket: &mut Socket, message: Value) {
    socket
        .send(Message::Text(message.to_string().into()))
        .await
        .unwrap();
}

/// The next JSON message, or `None` if nothing (or a close) comes within `wait`.
async fn next(socket: &mut Socket, wait: Duration) -> Option<Value> {
    loop {
        match tokio::time::timeout(wait, socket.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => return Some(serde_json::from_str(&text).unwrap()),
            Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => continue,
            _ => return None,
        }
    }
}

#[tokio::test]
async fn a_subscriber_receives_timeline_entries_added_over_rest() {
    let app = spawn_app().await;
    let pm = app.simple_postmortem().await;
    let other = app.simple_postmortem().await;
    let mut socket = connect(
        &app,
        json!({"Authorization": format!("Bearer {}", app.token(Role::Viewer))}),
    )
    .await;
    let ack = next(&mut socket, Duration::from_secs(5)).await.unwrap();
    assert_eq!(ack["type"], "connection_ack");
    send(
        &mut socket,
        json!({"id": "1", "type": "subscribe", "payload": {
            "query": "subscription($id: UUID!) { timelineEntries(postmortemId: $id) { title kind source postmortemId } }",
            "variables": {"id": pm["id"]},
        }}),
    )
    .await;
    // The subscription starts asynchronously: keep adding entries until one arrives.
    for attempt in 0..20 {
        app.create(
            &format!("/api/v1/postmortems/{}/timeline", id(&other)),
            json!({"occurred_at": "2026-11-20T10:00:00Z", "kind": "note", "title": "elsewhere"}),
        )
        .await;
        app.create(
            &format!("/api/v1/postmortems/{}/timeline", id(&pm)),
            json!({"occurred_at": "2026-11-20T10:00:00Z", "kind": "alert.triggered", "title": format!("alert {attempt}")}),
        )
        .await;
        if let Some(message) = next(&mut socket, Duration::from_millis(500)).await {
            assert_eq!(message["type"], "next", "{message}");
            let entry = &message["payload"]["data"]["timelineEntries"];
            assert_eq!(entry["postmortemId"], pm["id"]);
            assert!(entry["title"].as_str().unwrap().starts_with("alert "));
            assert_eq!(entry["kind"], "alert.triggered");
            assert_eq!(entry["source"], "manual");
            return;
        }
    }
    panic!("no timeline entry reached the subscriber");
}

#[tokio::test]
async fn a_subscription_without_a_valid_token_in_the_init_payload_is_refused() {
    let app = spawn_app().await;
    for init in [json!({}), json!({"token": "not-a-jwt"})] {
        let mut socket = connect(&app, init).await;
        let answer = next(&mut socket, Duration::from_secs(5)).await;
        assert!(
            answer.is_none_or(|m| m["type"] != "connection_ack"),
            "refused, not acknowledged"
        );
    }
    let mut socket = connect(&app, json!({"token": app.token(Role::Viewer)})).await;
    let ack = next(&mut socket, Duration::from_secs(5)).await.unwrap();
    assert_eq!(ack["type"], "connection_ack");
}
