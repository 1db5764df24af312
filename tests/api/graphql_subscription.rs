//! `timelineEntries` over a `graphql-transport-ws` WebSocket: entries added by
//! hand and entries pre-filled from a webhook delivery reach live subscribers.

use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use hindsight::auth::Role;
use serde_json::{Value, json};
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream, connect_async,
    tungstenite::{Message, client::IntoClientRequest as _},
};

use crate::helpers::{TestApp, fixture, id, signed, spawn_app, spawn_app_with};

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
    // One deadline for the whole wait: the server pings every few seconds,
    // and a timer restarted on each ping could wait for ever.
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match tokio::time::timeout_at(deadline, socket.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => return Some(serde_json::from_str(&text).unwrap()),
            Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => continue,
            _ => return None,
        }
    }
}

/// A viewer's live view of `pm`'s timeline: connected, acknowledged and subscribed.
async fn watch_timeline(app: &TestApp, pm: &Value, fields: &str) -> Socket {
    let mut socket = connect(
        app,
        json!({"Authorization": format!("Bearer {}", app.token(Role::Viewer))}),
    )
    .await;
    let ack = next(&mut socket, Duration::from_secs(5)).await.unwrap();
    assert_eq!(ack["type"], "connection_ack");
    let query =
        format!("subscription($id: UUID!) {{ timelineEntries(postmortemId: $id) {{ {fields} }} }}");
    send(
        &mut socket,
        json!({"id": "1", "type": "subscribe", "payload": {
            "query": query,
            "variables": {"id": pm["id"]},
        }}),
    )
    .await;
    socket
}

/// The entry a `next` message carries.
fn entry_of(message: &Value) -> &Value {
    assert_eq!(message["type"], "next", "{message}");
    &message["payload"]["data"]["timelineEntries"]
}

#[tokio::test]
async fn a_subscriber_receives_timeline_entries_added_over_rest() {
    let app = spawn_app().await;
    let pm = app.simple_postmortem().await;
    let other = app.simple_postmortem().await;
    let mut socket = watch_timeline(&app, &pm, "title kind source postmortemId").await;
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
            let entry = entry_of(&message);
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
async fn a_webhook_delivery_reaches_a_live_timeline_as_its_prefilled_entry() {
    let app = spawn_app().await;
    let hook = app.integration("pagerduty").await;
    // The fixture's incident: PFQZPSY on service pig208, triggered 2021-06-04T13:35:29Z.
    let pm = app
        .postmortem(json!({
            "title": "pig208 was down",
            "services": ["pig208"],
            "incident_refs": ["PFQZPSY"],
            "impact_started_at": "2021-06-04T13:30:00Z",
        }))
        .await;
    let mut socket = watch_timeline(
        &app,
        &pm,
        "id postmortemId title kind source service description eventId",
    )
    .await;
    // The subscription starts asynchronously: a hand-written note that arrives
    // shows it is live before the delivery is sent.
    let mut live = false;
    for attempt in 0..20 {
        app.create(
            &format!("/api/v1/postmortems/{}/timeline", id(&pm)),
            json!({"occurred_at": "2021-06-04T13:40:00Z", "kind": "note", "title": format!("watching {attempt}")}),
        )
        .await;
        if next(&mut socket, Duration::from_millis(500))
            .await
            .is_some()
        {
            live = true;
            break;
        }
    }
    assert!(live, "the subscription never started");

    let body = fixture("pagerduty/v3.incident.triggered.json");
    let receipt = app
        .deliver_ok(&hook, &signed("pagerduty", &hook.secret, &body), &body)
        .await;
    let entry = loop {
        let message = next(&mut socket, Duration::from_secs(5))
            .await
            .expect("the pre-filled entry never reached the subscriber");
        let entry = entry_of(&message);
        // Notes sent while waiting for the subscription may still trail in.
        if entry["source"] != "manual" {
            break entry.clone();
        }
    };
    assert_eq!(entry["postmortemId"], pm["id"]);
    assert_eq!(entry["title"], "Test Incident 3");
    assert_eq!(entry["kind"], "alert.triggered");
    assert_eq!(entry["source"], "pagerduty");
    assert_eq!(entry["service"], "pig208");
    assert_eq!(entry["eventId"], receipt["event_ids"][0]);
    assert!(
        entry["description"]
            .as_str()
            .unwrap()
            .contains("Incident: PFQZPSY."),
        "{entry}"
    );
    let timeline = app
        .get_json(&format!("/api/v1/postmortems/{}/timeline", id(&pm)))
        .await;
    assert!(
        timeline["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["id"] == entry["id"] && e["event_id"] == entry["eventId"]),
        "the entry seen live is the one stored: {timeline}"
    );
}

#[tokio::test]
async fn a_subscription_with_a_valid_token_in_the_init_payload_is_acknowledged() {
    let app = spawn_app().await;
    let token = app.token(Role::Viewer);
    for init in [
        json!({"token": token}),
        json!({"Authorization": format!("Bearer {token}")}),
    ] {
        let mut socket = connect(&app, init).await;
        let ack = next(&mut socket, Duration::from_secs(5)).await.unwrap();
        assert_eq!(ack, json!({"type": "connection_ack"}));
    }
}

/// How the server closed the socket: the close frame's code and reason, or
/// `None` if it stayed open for `wait`. Messages before the close are returned too.
async fn closed(socket: &mut Socket, wait: Duration) -> (Vec<Value>, Option<(u16, String)>) {
    let deadline = tokio::time::Instant::now() + wait;
    let mut messages = Vec::new();
    loop {
        match tokio::time::timeout_at(deadline, socket.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => {
                messages.push(serde_json::from_str(&text).unwrap())
            }
            Ok(Some(Ok(Message::Close(Some(frame))))) => {
                return (
                    messages,
                    Some((frame.code.into(), frame.reason.to_string())),
                );
            }
            Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => continue,
            Ok(other) => panic!("the socket ended without a close frame: {other:?}"),
            Err(_) => return (messages, None),
        }
    }
}

/// A socket that has not sent `connection_init` yet.
async fn open(app: &TestApp, authorization: Option<String>) -> Socket {
    let url = format!("{}/graphql", app.address.replace("http://", "ws://"));
    let mut request = url.into_client_request().unwrap();
    let headers = request.headers_mut();
    headers.insert(
        "Sec-WebSocket-Protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    if let Some(authorization) = authorization {
        headers.insert("Authorization", authorization.parse().unwrap());
    }
    let (socket, response) = connect_async(request).await.unwrap();
    assert_eq!(
        response.headers()["Sec-WebSocket-Protocol"],
        "graphql-transport-ws"
    );
    socket
}

#[tokio::test]
async fn a_socket_without_a_valid_token_is_closed_with_4401() {
    let app = spawn_app().await;
    for init in [
        json!({}),
        json!({"token": "not-a-jwt"}),
        json!({"Authorization": "Bearer x.y.z"}),
    ] {
        let mut socket = connect(&app, init.clone()).await;
        let (messages, close) = closed(&mut socket, Duration::from_secs(5)).await;
        assert!(messages.is_empty(), "{init}: {messages:?}");
        assert_eq!(close.map(|c| c.0), Some(4401), "{init}");
    }
    // Subscribing before the acknowledgement is unauthorized too.
    let mut socket = open(&app, None).await;
    send(
        &mut socket,
        json!({"id": "1", "type": "subscribe", "payload": {"query": "{ __typename }"}}),
    )
    .await;
    assert_eq!(
        closed(&mut socket, Duration::from_secs(5))
            .await
            .1
            .map(|c| c.0),
        Some(4401)
    );
    // The upgrade request's own header is a token too, for clients that can set one.
    let mut socket = open(&app, Some(format!("Bearer {}", app.token(Role::Viewer)))).await;
    send(&mut socket, json!({"type": "connection_init"})).await;
    let ack = next(&mut socket, Duration::from_secs(5)).await.unwrap();
    assert_eq!(ack["type"], "connection_ack");
}

#[tokio::test]
async fn protocol_errors_close_the_socket_with_the_protocols_codes() {
    let app = spawn_app_with(|s| s.graphql.ws_init_timeout = Duration::from_millis(500)).await;
    let viewer = || json!({"token": app.token(Role::Viewer)});

    // No connection_init in time: 4408.
    let mut socket = open(&app, None).await;
    assert_eq!(
        closed(&mut socket, Duration::from_secs(5))
            .await
            .1
            .map(|c| c.0),
        Some(4408)
    );

    // A second connection_init: 4429.
    let mut socket = connect(&app, viewer()).await;
    assert_eq!(
        next(&mut socket, Duration::from_secs(5)).await.unwrap()["type"],
        "connection_ack"
    );
    send(
        &mut socket,
        json!({"type": "connection_init", "payload": viewer()}),
    )
    .await;
    assert_eq!(
        closed(&mut socket, Duration::from_secs(5))
            .await
            .1
            .map(|c| c.0),
        Some(4429)
    );

    // Not a message of the protocol: 4400.
    for bad in [
        json!({"type": "start", "id": "1"}),
        json!({"type": "subscribe", "id": "1"}),
        json!([1, 2]),
    ] {
        let mut socket = connect(&app, viewer()).await;
        assert_eq!(
            next(&mut socket, Duration::from_secs(5)).await.unwrap()["type"],
            "connection_ack"
        );
        send(&mut socket, bad.clone()).await;
        assert_eq!(
            closed(&mut socket, Duration::from_secs(5))
                .await
                .1
                .map(|c| c.0),
            Some(4400),
            "{bad}"
        );
    }

    // The id of a subscription still running: 4409.
    let pm = app.simple_postmortem().await;
    let mut socket = connect(&app, viewer()).await;
    assert_eq!(
        next(&mut socket, Duration::from_secs(5)).await.unwrap()["type"],
        "connection_ack"
    );
    let subscribe = json!({"id": "same", "type": "subscribe", "payload": {
        "query": "subscription($id: UUID!) { timelineEntries(postmortemId: $id) { title } }",
        "variables": {"id": pm["id"]},
    }});
    send(&mut socket, subscribe.clone()).await;
    send(&mut socket, subscribe).await;
    assert_eq!(
        closed(&mut socket, Duration::from_secs(5))
            .await
            .1
            .map(|c| c.0),
        Some(4409)
    );

    // Ping is answered with pong, and a finished id may be used again.
    let mut socket = connect(&app, viewer()).await;
    assert_eq!(
        next(&mut socket, Duration::from_secs(5)).await.unwrap()["type"],
        "connection_ack"
    );
    send(&mut socket, json!({"type": "ping"})).await;
    assert_eq!(
        next(&mut socket, Duration::from_secs(5)).await.unwrap()["type"],
        "pong"
    );
    for _ in 0..2 {
        send(&mut socket, json!({"id": "q", "type": "subscribe", "payload": {"query": "{ b: __typename a: __typename }"}})).await;
        let answer = next(&mut socket, Duration::from_secs(5)).await.unwrap();
        assert_eq!(answer["type"], "next", "{answer}");
        assert_eq!(answer["payload"]["data"]["a"], "Query");
        assert_eq!(
            next(&mut socket, Duration::from_secs(5)).await.unwrap(),
            json!({"id": "q", "type": "complete"})
        );
    }
}

#[tokio::test]
async fn an_operation_over_a_socket_passes_the_same_limits_as_over_http() {
    let app = spawn_app().await;
    let mut socket = connect(&app, json!({"token": app.token(Role::Viewer)})).await;
    assert_eq!(
        next(&mut socket, Duration::from_secs(5)).await.unwrap()["type"],
        "connection_ack"
    );
    let aliases: String = (0..60).map(|n| format!("p{n}: __typename ")).collect();
    let deep = "{ actionItems { edges { node { postmortem { actionItems { edges { node { postmortem { actionItems { edges { node { postmortem { title } } } } } } } } } } } } }";
    for (query, code) in [
        (format!("{{ {aliases} }}"), "query_too_large"),
        (deep.to_owned(), "query_too_deep"),
        ("x".repeat(40 << 10), "query_too_large"),
    ] {
        send(
            &mut socket,
            json!({"id": code, "type": "subscribe", "payload": {"query": query}}),
        )
        .await;
        let answer = next(&mut socket, Duration::from_secs(5)).await.unwrap();
        assert_eq!(answer["type"], "error", "{answer}");
        assert_eq!(answer["id"], code);
        assert_eq!(answer["payload"][0]["extensions"]["code"], code, "{answer}");
    }
    // Still open and usable afterwards.
    send(
        &mut socket,
        json!({"id": "ok", "type": "subscribe", "payload": {"query": "{ __typename }"}}),
    )
    .await;
    assert_eq!(
        next(&mut socket, Duration::from_secs(5)).await.unwrap()["type"],
        "next"
    );
}

#[tokio::test]
async fn a_subscription_is_closed_with_4403_when_its_token_expires() {
    let app = spawn_app().await;
    let pm = app.simple_postmortem().await;
    let token = app.token_for_ttl(Role::Viewer, Duration::from_secs(2));
    let mut socket = connect(&app, json!({"token": token})).await;
    let ack = next(&mut socket, Duration::from_secs(5)).await.unwrap();
    assert_eq!(ack["type"], "connection_ack");
    send(
        &mut socket,
        json!({"id": "1", "type": "subscribe", "payload": {
            "query": "subscription($id: UUID!) { timelineEntries(postmortemId: $id) { title } }",
            "variables": {"id": pm["id"]},
        }}),
    )
    .await;
    // Past the token's expiry the server closes the socket, with the code on
    // which graphql-ws clients reconnect (with a fresh token), having sent
    // nothing more whatever was added.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let timeline = format!("/api/v1/postmortems/{}/timeline", id(&pm));
    app.create(
        &timeline,
        json!({"occurred_at": "2026-11-20T10:00:00Z", "kind": "note", "title": "after expiry"}),
    )
    .await;
    let (messages, close) = closed(&mut socket, Duration::from_secs(5)).await;
    assert!(
        messages.iter().all(|m| m["type"] != "next"),
        "delivered after the token expired: {messages:?}"
    );
    let (code, reason) = close.expect("the socket stayed open past the token's expiry");
    assert_eq!(code, 4403, "{reason}");
}
