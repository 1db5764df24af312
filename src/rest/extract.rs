//! Request parsing shared by every handler: JSON bodies with a size limit and
//! per-field errors, `If-Match`, pagination, and the absent-versus-null
//! distinction that `PATCH` needs.

use std::{future::Future, pin::Pin};

use actix_web::{FromRequest, HttpRequest, dev::Payload, http::header, web};
use futures_util::StreamExt as _;
use serde::de::DeserializeOwned;

use crate::{
    auth::AuthUser,
    error::{ApiError, FieldError},
    services::session::{Admin, Reader, Session, Writer},
    startup::AppState,
};

/// The caller, from the `Authorization: Bearer` header, verified with the
/// application's [`crate::auth::TokenVerifier`].
impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        // A handler that also takes an `Actor` asks twice; the token is checked once.
        if let Some(user) = actix_web::HttpMessage::extensions(req)
            .get::<AuthUser>()
            .cloned()
        {
            return Box::pin(async move { Ok(user) });
        }
        let req = req.clone();
        Box::pin(async move {
            let user = authenticate(&req).await?;
            actix_web::HttpMessage::extensions_mut(&req).insert(user.clone());
            Ok(user)
        })
    }
}

async fn authenticate(req: &HttpRequest) -> Result<AuthUser, ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("application state is missing")))?;
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .map(|v| v.to_str().unwrap_or_default());
    state.tokens.authenticate(value).await
}

/// A JSON request body. Malformed JSON is a 400; JSON of the wrong shape (an
/// unknown enum value, a date in the wrong format, an unknown field) is a 422
/// naming the field; a body over the configured limit is a 413.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = json_body(req, payload);
        Box::pin(async move { parse_json(&body.await?).map(JsonBody) })
    }
}

/// Like [`JsonBody`], for bodies that are optional: no body means `T::default()`.
pub struct OptionalJsonBody<T>(pub T);

impl<T: DeserializeOwned + Default + 'static> FromRequest for OptionalJsonBody<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = json_body(req, payload);
        Box::pin(async move {
            let bytes = body.await?;
            if bytes.iter().all(u8::is_ascii_whitespace) {
                return Ok(OptionalJsonBody(T::default()));
            }
            parse_json(&bytes).map(OptionalJsonBody)
        })
    }
}

/// The raw bytes of a JSON body, after the content type and size checks.
fn json_body(
    req: &HttpRequest,
    payload: &mut Payload,
) -> impl Future<Output = Result<web::Bytes, ApiError>> + 'static {
    let limit = body_limit(req);
    let timeout = body_timeout(req);
    let content_type_ok = is_json(req);
    let declared = declared_length(req);
    let payload = payload.take();
    async move {
        if !content_type_ok {
            return Err(ApiError::UnsupportedMediaType);
        }
        read_body(payload, declared, limit, timeout).await
    }
}

pub fn body_limit(req: &HttpRequest) -> usize {
    req.app_data::<web::Data<AppState>>()
        .map_or(crate::config::DEFAULT_BODY_LIMIT, |s| s.settings.body_limit)
}

pub fn body_timeout(req: &HttpRequest) -> std::time::Duration {
    req.app_data::<web::Data<AppState>>()
        .map_or(crate::config::DEFAULT_BODY_TIMEOUT, |s| {
            s.settings.body_timeout
        })
}

fn is_json(req: &HttpRequest) -> bool {
    let Some(value) = req.headers().get(header::CONTENT_TYPE) else {
        // curl -d without -H still means JSON to a JSON API; absent is tolerated.
        return true;
    };
    let Ok(value) = value.to_str() else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json" || essence.ends_with("+json")
}

pub fn declared_length(req: &HttpRequest) -> Option<usize> {
    req.headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

/// Reads the whole body, refusing early when it is larger than `limit`, and
/// with 408 when it has not all arrived within `timeout`: a client that sends
/// a byte at a time holds its connection no longer than that.
pub async fn read_body(
    payload: Payload,
    declared: Option<usize>,
    limit: usize,
    timeout: std::time::Duration,
) -> Result<web::Bytes, ApiError> {
    if declared.is_some_and(|len| len > limit) {
        return Err(ApiError::PayloadTooLarge { limit });
    }
    tokio::time::timeout(timeout, read_all(payload, declared, limit))
        .await
        .map_err(|_| ApiError::RequestTimeout {
            seconds: timeout.as_secs().max(1),
        })?
}

async fn read_all(
    mut payload: Payload,
    declared: Option<usize>,
    limit: usize,
) -> Result<web::Bytes, ApiError> {
    let mut body = web::BytesMut::with_capacity(declared.unwrap_or(0).min(limit));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk
            .map_err(|e| ApiError::BadRequest(format!("could not read the request body: {e}")))?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(super::strict::Strict(&mut deserializer))
        .map_err(shape_error)?;
    deserializer
        .end()
        .map_err(|e| ApiError::BadRequest(format!("malformed JSON: {e}")))?;
    Ok(value)
}

fn shape_error(err: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    use serde_json::error::Category;
    let path = err.path().to_string();
    let inner = err.into_inner();
    match inner.classify() {
        Category::Data => {
            let message = strip_position(&inner.to_string());
            let field = match (path.as_str(), missing_field_name(&message)) {
                // A missing field is reported where its struct is: name it.
                (".", Some(missing)) => missing,
                (_, Some(missing)) => format!("{path}.{missing}"),
                (".", None) => unknown_field_name(&message).unwrap_or_else(|| "body".to_owned()),
                _ => path,
            };
            ApiError::Validation(vec![FieldError::new(field, message)])
        }
        Category::Syntax | Category::Eof | Category::Io => {
            ApiError::BadRequest(format!("malformed JSON: {inner}"))
        }
    }
}

/// serde's messages end in " at line 1 column 17", which means nothing to a
/// client that sent a field, and quote the value sent, which an answer never
/// repeats (it may be anything: a name, a token pasted in the wrong field).
fn strip_position(message: &str) -> String {
    let message = match message.rfind(" at line ") {
        Some(at) => &message[..at],
        None => message,
    };
    without_values(message)
}

/// "unknown variant `x`, expected one of ..." -> "unknown value, expected one
/// of ..."; `invalid type: string "x", expected ...` -> "invalid type: a
/// string, expected ...". Field names and what was expected stay.
pub fn without_values(message: &str) -> String {
    if let Some(rest) = message.strip_prefix("unknown variant `")
        && let Some(end) = rest.find('`')
    {
        return format!("unknown value{}", &rest[end + 1..]);
    }
    for prefix in ["invalid type: string \"", "invalid value: string \""] {
        if let Some(rest) = message.strip_prefix(prefix)
            && let Some(end) = rest.rfind("\", expected")
        {
            let kind = &prefix[..prefix.len() - "string \"".len()];
            return format!("{kind}a string{}", &rest[end + 1..]);
        }
    }
    message.to_owned()
}

fn missing_field_name(message: &str) -> Option<String> {
    let rest = message.strip_prefix("missing field `")?;
    Some(rest[..rest.find('`')?].to_owned())
}

fn unknown_field_name(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    Some(rest[..rest.find('`')?].to_owned())
}

/// The tag clients send back in `If-Match`.
pub fn etag(version: i32) -> String {
    format!("\"v{version}\"")
}

/// The version a `PATCH` expects, from `If-Match`: `None` when the header is
/// absent or `*` (last write wins), otherwise the versions listed.
#[derive(Debug, Clone, Default)]
pub struct Precondition(Option<Vec<String>>);

impl Precondition {
    pub fn from_request(req: &HttpRequest) -> Self {
        let tags = req
            .headers()
            .get_all(header::IF_MATCH)
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .collect::<Vec<_>>();
        if tags.is_empty() || tags.iter().any(|t| t == "*") {
            Self(None)
        } else {
            Self(Some(tags))
        }
    }

    /// 412 unless the resource is still at a version the client has seen.
    pub fn check(&self, current_version: i32) -> Result<(), ApiError> {
        match &self.0 {
            Some(tags) if !tags.contains(&etag(current_version)) => {
                Err(ApiError::PreconditionFailed)
            }
            _ => Ok(()),
        }
    }
}

impl FromRequest for Precondition {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Ok(Self::from_request(req)))
    }
}

/// The id `TracingLogger` gave the request (echoed as `x-request-id`).
pub fn request_id(req: &HttpRequest) -> Option<String> {
    actix_web::HttpMessage::extensions(req)
        .get::<tracing_actix_web::RequestId>()
        .map(|id| id.to_string())
}

/// The caller as the use cases take them: authenticated (401), then allowed
/// (403), before any body is read, so a caller who may not write learns
/// nothing from how their body would have been judged. A handler names the
/// capability it needs (`Reader`, `Writer`, `Admin`) and hands it
/// to its use case; there is no other way to get one.
async fn session(req: HttpRequest) -> Result<Session, ApiError> {
    let core = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("application state is missing")))?
        .core
        .clone();
    let user = AuthUser::from_request(&req, &mut Payload::None).await?;
    Ok(Session::new(core, user, request_id(&req)))
}

macro_rules! capability {
    ($($name:ident => $check:ident),+) => {$(
        impl FromRequest for $name {
            type Error = ApiError;
            type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

            fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
                let req = req.clone();
                Box::pin(async move { session(req).await.and_then(Session::$check) })
            }
        }
    )+};
}

capability!(Reader => reader, Writer => writer, Admin => admin);

#[cfg(test)]
mod tests {
    use super::without_values;

    #[test]
    fn problems_say_what_was_wrong_without_repeating_the_value_sent() {
        assert_eq!(
            without_values("unknown variant `zquack`, expected one of `sev1`, `sev2`"),
            "unknown value, expected one of `sev1`, `sev2`"
        );
        assert_eq!(
            without_values(r#"invalid type: string "Ada Lovelace", expected a UUID"#),
            "invalid type: a string, expected a UUID"
        );
        assert_eq!(
            without_values(r#"invalid value: string "x", expected a date"#),
            "invalid value: a string, expected a date"
        );
        assert_eq!(
            without_values("unknown field `owner`, expected one of `title`"),
            "unknown field `owner`, expected one of `title`"
        );
    }
}
