//! Shared HTTP plumbing: https-only base URLs, encoded path segments, timeouts, no
//! redirects, and the mapping of tracker answers onto [`TrackerError`].

use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};
use rand::Rng;
use reqwest::header::{HeaderMap, LOCATION};
use reqwest::{Method, RequestBuilder, StatusCode, Url};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::TrackerConfig;

/// Why a tracker call failed, sorted by what the caller may do next.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrackerError {
    /// Nothing happened on the tracker (429, 5xx on a repeatable call, a timeout on a
    /// repeatable call, a connection that never opened): try again after `retry_after` at least.
    #[error("tracker unavailable, try again: {message}")]
    Retryable {
        message: String,
        retry_after: Option<Duration>,
    },
    /// A create may or may not have happened (timeout or reset after sending, 5xx): look for
    /// the marker before trying again.
    #[error("outcome unknown: {message}")]
    Unknown { message: String },
    /// The tracker refused the request and will refuse it again; `message` is its own words.
    #[error("tracker refused the request ({status}): {message}")]
    Permanent { status: u16, message: String },
    /// The tracker settings are unusable (bad URL, http without `allow_insecure_http`, a
    /// missing project key...).
    #[error("tracker configuration: {0}")]
    Config(String),
    /// The tracker answered, but its setup cannot express the request: no transition or
    /// workflow state for the status, no unique user for an owner, an owner without an
    /// identity for this tracker. A person has to fix the tracker or the person record.
    #[error("{0}")]
    Setup(String),
    /// Nothing was sent: the tracker's host is, or resolves only to, an internal or reserved
    /// address outside `HINDSIGHT_OUTBOUND_ALLOW`.
    #[error("{0}")]
    AddressRefused(String),
    /// The item's owner cannot be assigned: no identity for this tracker, or no
    /// single tracker user matches them. The message names them, so only admins see it.
    #[error("{0}")]
    Owner(String),
}

impl TrackerError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Retryable { .. })
    }

    /// The wait the tracker asked for, if it named one.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Retryable { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// Exponential backoff with full jitter: a random wait in `[0, min(cap, base * 2^attempt)]`,
/// but never shorter than what the tracker asked for.
pub fn backoff(
    attempt: u32,
    retry_after: Option<Duration>,
    base: Duration,
    cap: Duration,
) -> Duration {
    let ceiling = base
        .checked_mul(2u32.saturating_pow(attempt))
        .unwrap_or(cap)
        .min(cap);
    let jittered = Duration::from_millis(rand::rng().random_range(0..=ceiling.as_millis() as u64));
    jittered.max(retry_after.unwrap_or_default())
}

/// Whether repeating a request could do the same thing twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Effect {
    /// Reads and writes that land in the same state when repeated.
    Repeatable,
    /// Creates: after an ambiguous failure the caller must look for the marker first.
    Create,
}

/// How a client proves who it is.
pub(super) enum Auth {
    Basic {
        user: String,
        password: String,
    },
    Bearer(String),
    /// A header value sent as is (Linear personal API keys).
    Raw(String),
}

/// A tracker answer with a 2xx status.
pub(super) struct Reply {
    pub(super) headers: HeaderMap,
    pub(super) body: Vec<u8>,
}

impl Reply {
    pub(super) fn json<T: DeserializeOwned>(&self, effect: Effect) -> Result<T, TrackerError> {
        serde_json::from_slice(&self.body).map_err(|e| {
            let message = format!("unexpected answer from the tracker: {e}");
            match effect {
                Effect::Create => TrackerError::Unknown { message },
                Effect::Repeatable => TrackerError::Retryable {
                    message,
                    retry_after: None,
                },
            }
        })
    }
}

pub(super) struct Http {
    client: reqwest::Client,
    base: Url,
    auth: Auth,
    timeout: Duration,
}

impl Http {
    pub(super) fn new(
        base_url: &str,
        config: &TrackerConfig,
        auth: Auth,
        client: &reqwest::Client,
    ) -> Result<Self, TrackerError> {
        Ok(Self {
            client: client.clone(),
            base: parse_base_url(base_url, config.allow_insecure_http)?,
            auth,
            timeout: config.request_timeout,
        })
    }

    pub(super) fn base(&self) -> &Url {
        &self.base
    }

    /// The base URL followed by `segments`, each percent-encoded as one path segment, so a
    /// key like `../admin` or `1?x=y` cannot leave its place.
    pub(super) fn url(&self, segments: &[&str]) -> Result<Url, TrackerError> {
        let mut url = self.base.clone();
        url.set_query(None);
        {
            let mut path = url
                .path_segments_mut()
                .map_err(|()| TrackerError::Config("base_url cannot hold a path".into()))?;
            path.pop_if_empty();
            for segment in segments {
                if segment.is_empty() || *segment == "." || *segment == ".." {
                    return Err(TrackerError::Config(format!(
                        "refusing the path segment {segment:?}"
                    )));
                }
                path.push(segment);
            }
        }
        Ok(url)
    }

    pub(super) fn request(&self, method: Method, url: Url) -> RequestBuilder {
        let request = self.client.request(method, url).timeout(self.timeout);
        match &self.auth {
            Auth::Basic { user, password } => request.basic_auth(user, Some(password)),
            Auth::Bearer(token) => request.bearer_auth(token),
            Auth::Raw(value) => request.header(reqwest::header::AUTHORIZATION, value),
        }
    }

    /// Sends the request; any non-2xx answer becomes an error.
    pub(super) async fn send(
        &self,
        request: RequestBuilder,
        effect: Effect,
    ) -> Result<Reply, TrackerError> {
        let response = request
            .send()
            .await
            .map_err(|e| transport_error(&e, effect))?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .bytes()
            .await
            .map_err(|e| transport_error(&e, effect))?
            .to_vec();
        if status.is_success() {
            Ok(Reply { headers, body })
        } else {
            Err(status_error(status, &headers, &body, effect))
        }
    }

    /// Posts a GraphQL operation and returns its `data`; GraphQL `errors` become errors even
    /// under a 200.
    pub(super) async fn graphql(
        &self,
        url: Url,
        query: &str,
        variables: Value,
        effect: Effect,
    ) -> Result<Value, TrackerError> {
        let request = self
            .request(Method::POST, url)
            .json(&json!({ "query": query, "variables": variables }));
        let reply = self.send(request, effect).await?;
        let mut body: Value = reply.json(effect)?;
        if let Some(errors) = body
            .get("errors")
            .and_then(Value::as_array)
            .filter(|e| !e.is_empty())
        {
            let message = flatten_message(&json!({ "errors": errors }))
                .unwrap_or_else(|| "GraphQL error".to_owned());
            if graphql_rate_limited(&body) {
                return Err(TrackerError::Retryable {
                    message: format!("rate limited: {message}"),
                    retry_after: header_wait(&reply.headers, Utc::now()),
                });
            }
            return Err(TrackerError::Permanent {
                status: 200,
                message,
            });
        }
        match body.get_mut("data").map(Value::take) {
            Some(data) if !data.is_null() => Ok(data),
            _ => Err(TrackerError::Permanent {
                status: 200,
                message: "GraphQL answer without data".into(),
            }),
        }
    }
}

fn parse_base_url(base_url: &str, allow_insecure_http: bool) -> Result<Url, TrackerError> {
    let url = Url::parse(base_url.trim())
        .map_err(|e| TrackerError::Config(format!("base_url {base_url:?} is not a URL: {e}")))?;
    match url.scheme() {
        "https" => {}
        "http" if allow_insecure_http => {}
        "http" => {
            return Err(TrackerError::Config(format!(
                "base_url {base_url} must use https (allow_insecure_http is only for local test targets)"
            )));
        }
        other => {
            return Err(TrackerError::Config(format!(
                "base_url scheme {other:?} is not supported"
            )));
        }
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(TrackerError::Config(format!(
            "base_url {base_url} has no host"
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(TrackerError::Config(
            "base_url must not carry credentials: use the tracker's credential fields".into(),
        ));
    }
    Ok(url)
}

fn transport_error(error: &reqwest::Error, effect: Effect) -> TrackerError {
    if let Some(refused) = crate::outbound::refusal(error) {
        return TrackerError::AddressRefused(format!("base_url: {refused}"));
    }
    // Connect errors (refused, DNS, TLS, connect timeout) happen before a byte is sent.
    if error.is_connect() || effect == Effect::Repeatable {
        return TrackerError::Retryable {
            message: format!("cannot reach the tracker: {error}"),
            retry_after: None,
        };
    }
    TrackerError::Unknown {
        message: format!("the tracker did not answer the create: {error}"),
    }
}

fn status_error(
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
    effect: Effect,
) -> TrackerError {
    let json: Option<Value> = serde_json::from_slice(body).ok();
    let message = json
        .as_ref()
        .and_then(flatten_message)
        .unwrap_or_else(|| text_snippet(body, status));
    if let Some(retry_after) = rate_limit_wait(status, headers, json.as_ref(), &message) {
        return TrackerError::Retryable {
            message: format!("rate limited ({}): {message}", status.as_u16()),
            retry_after,
        };
    }
    if status.is_server_error() || status == StatusCode::REQUEST_TIMEOUT {
        return match effect {
            Effect::Create => TrackerError::Unknown {
                message: format!("{} on create: {message}", status.as_u16()),
            },
            Effect::Repeatable => TrackerError::Retryable {
                message: format!("{}: {message}", status.as_u16()),
                retry_after: header_wait(headers, Utc::now()),
            },
        };
    }
    if status == StatusCode::CONFLICT {
        return TrackerError::Retryable {
            message: format!("409: {message}"),
            retry_after: None,
        };
    }
    if status.is_redirection() {
        let location = headers
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("elsewhere");
        return TrackerError::Permanent {
            status: status.as_u16(),
            message: format!(
                "the tracker redirects to {location}; redirects are not followed: check base_url"
            ),
        };
    }
    TrackerError::Permanent {
        status: status.as_u16(),
        message,
    }
}

fn text_snippet(body: &[u8], status: StatusCode) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        status.canonical_reason().unwrap_or("error").to_owned()
    } else {
        text.chars().take(300).collect()
    }
}

/// `Some(wait)` when the answer is a rate limit: 429, GitHub's 403 with rate-limit headers or
/// message, or a GraphQL `RATELIMITED` error.
fn rate_limit_wait(
    status: StatusCode,
    headers: &HeaderMap,
    json: Option<&Value>,
    message: &str,
) -> Option<Option<Duration>> {
    let says_rate_limit = message.to_ascii_lowercase().contains("rate limit");
    let limited = status == StatusCode::TOO_MANY_REQUESTS
        || (status == StatusCode::FORBIDDEN
            && (headers.contains_key("retry-after")
                || header_str(headers, "x-ratelimit-remaining") == Some("0")
                || says_rate_limit))
        || json.is_some_and(graphql_rate_limited);
    if !limited {
        return None;
    }
    let wait = header_wait(headers, Utc::now());
    // GitHub: a secondary rate limit without a header means "wait at least one minute".
    if wait.is_none()
        && (status == StatusCode::FORBIDDEN || says_rate_limit && message.contains("secondary"))
    {
        return Some(Some(Duration::from_secs(60)));
    }
    Some(wait)
}

fn graphql_rate_limited(body: &Value) -> bool {
    body.get("errors")
        .and_then(Value::as_array)
        .is_some_and(|errors| {
            errors.iter().any(|e| {
                let code = e.pointer("/extensions/code").and_then(Value::as_str);
                let kind = e.get("type").and_then(Value::as_str);
                matches!(code, Some("RATELIMITED" | "RATE_LIMITED"))
                    || matches!(kind, Some("RATE_LIMITED"))
            })
        })
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// The wait named by `Retry-After` (seconds or HTTP date) or by a reset header: Jira's
/// `X-RateLimit-Reset` (ISO timestamp), GitHub's (unix seconds, when nothing remains),
/// GitLab's `RateLimit-Reset` (unix seconds), Linear's `X-RateLimit-Requests-Reset` (unix ms).
pub(super) fn header_wait(headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    let until = |at: DateTime<Utc>| (at - now).to_std().unwrap_or_default();
    if let Some(value) = header_str(headers, "retry-after") {
        if let Ok(seconds) = value.parse::<u64>() {
            return Some(Duration::from_secs(seconds));
        }
        if let Ok(at) = DateTime::parse_from_rfc2822(value) {
            return Some(until(at.with_timezone(&Utc)));
        }
    }
    for (reset, remaining) in [
        ("x-ratelimit-reset", "x-ratelimit-remaining"),
        ("ratelimit-reset", "ratelimit-remaining"),
    ] {
        let exhausted = header_str(headers, remaining).is_none_or(|r| r == "0");
        if let Some(at) = header_str(headers, reset)
            .filter(|_| exhausted)
            .and_then(parse_reset)
        {
            return Some(until(at));
        }
    }
    header_str(headers, "x-ratelimit-requests-reset")
        .and_then(|v| v.parse::<i64>().ok())
        .and_then(DateTime::from_timestamp_millis)
        .map(until)
}

fn parse_reset(value: &str) -> Option<DateTime<Utc>> {
    if let Ok(seconds) = value.parse::<i64>() {
        return DateTime::from_timestamp(seconds, 0);
    }
    if let Ok(at) = DateTime::parse_from_rfc3339(value) {
        return Some(at.with_timezone(&Utc));
    }
    // Jira also writes minute precision: 2025-01-02T10:15Z or 2025-01-02T10:15+0000.
    for format in ["%Y-%m-%dT%H:%M%#z", "%Y-%m-%dT%H:%M:%S%.f%#z"] {
        if let Ok(at) = DateTime::parse_from_str(value, format) {
            return Some(at.with_timezone(&Utc));
        }
    }
    let naive = value.strip_suffix('Z')?;
    ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S%.f"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(naive, f).ok())
        .map(|n| n.and_utc())
}

/// One line from any tracker's error body: Jira `{errorMessages, errors{field: msg}}`,
/// GitHub `{message, errors[]}`, GitLab `{message}`/`{error}`, GraphQL `errors[]`.
pub(super) fn flatten_message(body: &Value) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    match body.get("message") {
        Some(Value::String(m)) => parts.push(m.clone()),
        Some(Value::Object(fields)) => {
            for (field, msgs) in fields {
                parts.push(format!("{field}: {}", join_strings(msgs)));
            }
        }
        Some(Value::Array(items)) => parts.push(join_strings(&Value::Array(items.clone()))),
        _ => {}
    }
    if let Some(Value::String(e)) = body.get("error") {
        parts.push(e.clone());
    }
    if let Some(Value::String(d)) = body.get("error_description") {
        parts.push(d.clone());
    }
    if let Some(Value::Array(messages)) = body.get("errorMessages") {
        parts.extend(messages.iter().filter_map(Value::as_str).map(str::to_owned));
    }
    match body.get("errors") {
        Some(Value::Object(fields)) => {
            for (field, msg) in fields {
                parts.push(format!("{field}: {}", join_strings(msg)));
            }
        }
        Some(Value::Array(items)) => parts.extend(items.iter().filter_map(error_item)),
        _ => {}
    }
    parts.retain(|p| !p.trim().is_empty());
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// A GitHub validation error (`{resource, field, code, value?, message?}`), a GraphQL error
/// (`{message, extensions{userPresentableMessage}}`) or a bare string.
fn error_item(item: &Value) -> Option<String> {
    if let Some(s) = item.as_str() {
        return Some(s.to_owned());
    }
    let field = item.get("field").and_then(Value::as_str);
    let message = item
        .pointer("/extensions/userPresentableMessage")
        .or_else(|| item.get("message"))
        .and_then(Value::as_str);
    let code = item.get("code").and_then(Value::as_str);
    let value = item.get("value").filter(|v| !v.is_null()).map(|v| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    });
    let text = match (message, code) {
        (Some(m), _) => m.to_owned(),
        (None, Some(c)) => match &value {
            Some(v) => format!("{c} ({v})"),
            None => c.to_owned(),
        },
        (None, None) => return None,
    };
    Some(match field {
        Some(f) => format!("{f}: {text}"),
        None => text,
    })
}

fn join_strings(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(items) => items
            .iter()
            .map(join_strings)
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    }
}
