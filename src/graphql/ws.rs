//! `graphql-transport-ws` (the `graphql-ws` library's protocol,
//! <https://github.com/enisdenjo/graphql-ws/blob/master/PROTOCOL.md>) over
//! actix-ws: our own loop rather than async-graphql's, so that the server can
//! close the socket with the protocol's codes (async-graphql's closes with
//! 1002 or 1011, and its actix actor cannot close when a token expires), and
//! so that an operation sent over a socket passes the same guard as `POST
//! /graphql`.
//!
//! | code | when |
//! |---|---|
//! | 4400 | a message that is not one of the protocol's, or a binary frame |
//! | 4401 | `connection_init` without a valid bearer token (payload, else the upgrade request's `Authorization`); `subscribe` before the acknowledgement |
//! | 4403 | the token expired while the socket was open: a client reconnects with a fresh one (graphql-ws retries on 4403, not on 4401) |
//! | 4408 | no `connection_init` within `HINDSIGHT_GRAPHQL_WS_INIT_TIMEOUT` |
//! | 4409 | `subscribe` with the id of a subscription still running |
//! | 4429 | a second `connection_init` |
//! | 4500 | the token could not be checked (the identity provider did not answer) |

use std::{collections::HashMap, time::Duration};

use actix_web::{HttpRequest, HttpResponse, http::header, web};
use actix_ws::{AggregatedMessage, CloseCode, CloseReason, Session};
use futures_util::StreamExt as _;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::{task::JoinHandle, time::Instant};

use super::{Caller, TokenExpiry, code_limit_error, guard, init_authorization, order::FieldOrder};
use crate::{auth::AuthUser, error::ApiError, startup::AppState};

/// The subprotocol's name in `Sec-WebSocket-Protocol`.
pub const PROTOCOL: &str = "graphql-transport-ws";

/// Operations one socket may run at once.
const MAX_SUBSCRIPTIONS: usize = 64;

/// How often the server pings; a client not heard from for three of these is gone.
const PING_EVERY: Duration = Duration::from_secs(10);

/// A reason to close the socket: the protocol's code and a short reason.
type Close = (u16, &'static str);

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ClientMessage {
    ConnectionInit {
        #[serde(default)]
        payload: Option<Value>,
    },
    Ping {
        #[serde(default)]
        payload: Option<Value>,
    },
    Pong {
        #[serde(default)]
        #[allow(dead_code)]
        payload: Option<Value>,
    },
    Subscribe {
        id: String,
        payload: Box<async_graphql::Request>,
    },
    Complete {
        id: String,
    },
}

/// Upgrades `GET /graphql` and runs the protocol on its own task.
pub fn serve(
    state: web::Data<AppState>,
    req: &HttpRequest,
    payload: web::Payload,
) -> actix_web::Result<HttpResponse> {
    let header_token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let (response, session, messages) = actix_ws::handle_with_protocols(req, payload, &[PROTOCOL])?;
    let messages = messages
        .max_frame_size(state.settings.body_limit)
        .aggregate_continuations()
        .max_continuation_size(state.settings.body_limit);
    let connection = Connection {
        state,
        header_token,
        session,
        init_received: false,
        caller: None,
        subscriptions: HashMap::new(),
    };
    actix_web::rt::spawn(connection.run(messages));
    Ok(response)
}

struct Connection {
    state: web::Data<AppState>,
    /// `Authorization` of the upgrade request, for clients that can set headers.
    header_token: Option<String>,
    session: Session,
    init_received: bool,
    /// Set once acknowledged.
    caller: Option<(AuthUser, TokenExpiry)>,
    subscriptions: HashMap<String, JoinHandle<()>>,
}

impl Connection {
    async fn run(mut self, mut messages: actix_ws::AggregatedMessageStream) {
        let init_deadline = tokio::time::sleep(self.state.settings.graphql.ws_init_timeout);
        tokio::pin!(init_deadline);
        let mut pings = tokio::time::interval_at(Instant::now() + PING_EVERY, PING_EVERY);
        let mut heard = Instant::now();
        let close: Option<Close> = loop {
            let expiry = self.caller.as_ref().map(|(_, expiry)| *expiry);
            let expired = async move {
                match expiry {
                    Some(expiry) => expiry.reached().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                () = &mut init_deadline, if self.caller.is_none() => {
                    break Some((4408, "Connection initialisation timeout"));
                }
                () = expired => break Some((4403, "Forbidden: the token expired")),
                _ = pings.tick() => {
                    if heard.elapsed() > 3 * PING_EVERY {
                        break None;
                    }
                    if self.session.ping(b"").await.is_err() {
                        break None;
                    }
                }
                message = messages.next() => {
                    heard = Instant::now();
                    let outcome = match message {
                        None | Some(Ok(AggregatedMessage::Close(_))) => break None,
                        Some(Err(_)) => Err((4400, "Invalid message received")),
                        Some(Ok(AggregatedMessage::Text(text))) => self.on_text(&text).await,
                        Some(Ok(AggregatedMessage::Binary(_))) => {
                            Err((4400, "Invalid message received: binary frame"))
                        }
                        Some(Ok(AggregatedMessage::Ping(bytes))) => {
                            self.session.pong(&bytes).await.map_err(|_| (1000, ""))
                        }
                        Some(Ok(AggregatedMessage::Pong(_))) => Ok(()),
                    };
                    if let Err(close) = outcome {
                        break Some(close);
                    }
                }
            }
        };
        for (_, subscription) in self.subscriptions.drain() {
            subscription.abort();
        }
        let reason = close.map(|(code, description)| CloseReason {
            code: CloseCode::Other(code),
            description: Some(description.to_owned()),
        });
        // The client may have gone already: nothing more to tell it.
        let _ = self.session.close(reason).await;
    }

    async fn on_text(&mut self, text: &str) -> Result<(), Close> {
        let message: ClientMessage =
            serde_json::from_str(text).map_err(|_| (4400, "Invalid message received"))?;
        match message {
            ClientMessage::ConnectionInit { payload } => self.on_init(payload).await,
            ClientMessage::Ping { payload } => {
                let pong = match payload {
                    Some(payload) => json!({"type": "pong", "payload": payload}),
                    None => json!({"type": "pong"}),
                };
                self.send(pong).await
            }
            ClientMessage::Pong { .. } => Ok(()),
            ClientMessage::Subscribe { id, payload } => self.on_subscribe(id, *payload).await,
            ClientMessage::Complete { id } => {
                if let Some(subscription) = self.subscriptions.remove(&id) {
                    subscription.abort();
                }
                Ok(())
            }
        }
    }

    async fn send(&mut self, message: Value) -> Result<(), Close> {
        self.session
            .text(message.to_string())
            .await
            .map_err(|_| (1000, ""))
    }

    async fn on_init(&mut self, payload: Option<Value>) -> Result<(), Close> {
        if std::mem::replace(&mut self.init_received, true) {
            return Err((4429, "Too many initialisation requests"));
        }
        let authorization = payload
            .as_ref()
            .and_then(init_authorization)
            .or_else(|| self.header_token.clone());
        let claims = match self
            .state
            .tokens
            .bearer_claims(authorization.as_deref())
            .await
        {
            Ok(claims) => claims,
            Err(ApiError::Unauthorized(_)) => return Err((4401, "Unauthorized")),
            Err(ApiError::Forbidden(_)) => return Err((4403, "Forbidden")),
            Err(e) => {
                tracing::warn!(error = %e, "a WebSocket token could not be checked");
                return Err((4500, "Internal server error"));
            }
        };
        let user = AuthUser {
            sub: claims.sub,
            role: claims.role,
        };
        self.caller = Some((user, TokenExpiry(claims.exp)));
        self.send(json!({"type": "connection_ack"})).await
    }

    async fn on_subscribe(
        &mut self,
        id: String,
        mut request: async_graphql::Request,
    ) -> Result<(), Close> {
        let Some((user, expiry)) = self.caller.clone() else {
            return Err((4401, "Unauthorized"));
        };
        if self
            .subscriptions
            .get(&id)
            .is_some_and(|s| !s.is_finished())
        {
            return Err((4409, "Subscriber for this id already exists"));
        }
        self.subscriptions.retain(|_, s| !s.is_finished());
        let limits = &self.state.settings.graphql;
        let refused = if self.subscriptions.len() >= MAX_SUBSCRIPTIONS {
            Some(guard::coded(
                format!("a socket runs at most {MAX_SUBSCRIPTIONS} operations at once"),
                "too_many_requests",
            ))
        } else if request.query.len() > limits.max_query_bytes {
            Some(guard::coded(
                format!(
                    "the query is longer than {} bytes (HINDSIGHT_GRAPHQL_MAX_QUERY_BYTES)",
                    limits.max_query_bytes
                ),
                "query_too_large",
            ))
        } else {
            None
        };
        let mut order = None;
        let operation = request.operation_name.clone();
        let refused = match (refused, request.parsed_query()) {
            (Some(error), _) => Some(error),
            (None, Ok(doc)) => match guard::check(doc, limits) {
                // Only a document within the caps is expanded into its order.
                Ok(()) => {
                    order = Some(FieldOrder::of(doc, operation.as_deref()));
                    None
                }
                Err(error) => Some(error),
            },
            // Execution reports a query that does not parse.
            (None, Err(_)) => None,
        };
        if let Some(error) = refused {
            return self
                .send(json!({"id": id, "type": "error", "payload": [error]}))
                .await;
        }
        let caller = Caller::new(self.state.clone(), user, None);
        let stream = self
            .state
            .graphql
            .execute_stream(request.data(caller).data(expiry));
        let session = self.session.clone();
        let task = actix_web::rt::spawn(forward(id.clone(), stream, order, session));
        self.subscriptions.insert(id, task);
        Ok(())
    }
}

/// Sends an operation's answers as `next` messages, then `complete`; an
/// operation refused before it ran (invalid, unauthorized) gets one `error`.
async fn forward(
    id: String,
    mut stream: impl futures_util::Stream<Item = async_graphql::Response> + Unpin,
    order: Option<FieldOrder>,
    mut session: Session,
) {
    let mut first = true;
    while let Some(mut response) = stream.next().await {
        for error in &mut response.errors {
            code_limit_error(error);
        }
        let message = if first && response.data == async_graphql::Value::Null && response.is_err() {
            let sent = json!({"id": id, "type": "error", "payload": response.errors});
            let _ = session.text(sent.to_string()).await;
            return;
        } else {
            if let Some(order) = &order {
                order.apply(&mut response.data);
            }
            json!({"id": id, "type": "next", "payload": response})
        };
        first = false;
        if session.text(message.to_string()).await.is_err() {
            return;
        }
    }
    let _ = session
        .text(json!({"id": id, "type": "complete"}).to_string())
        .await;
}
