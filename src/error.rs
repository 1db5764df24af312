//! The one API error type, rendered as RFC 9457 problem+json.

use actix_web::{
    HttpResponse, ResponseError,
    http::{StatusCode, header},
};
use sea_orm::{DbErr, SqlErr};
use serde::Serialize;

/// One invalid input field.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FieldError {
    /// The field's name, dotted for nested fields (`services.2`).
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Every way a request can fail. Each variant has a stable `code` clients can
/// match on; the `detail` is for people.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("the request has invalid fields")]
    Validation(Vec<FieldError>),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{detail}")]
    Conflict { code: &'static str, detail: String },
    #[error("the review found errors: fix them, or publish as an admin with an override_reason")]
    ReviewBlocked(Vec<crate::domain::review::Finding>),
    #[error("the resource changed since it was read: fetch it again and retry with the new ETag")]
    PreconditionFailed,
    #[error("the request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("the request body must be application/json")]
    UnsupportedMediaType,
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("{0}")]
    Unavailable(&'static str),
    #[error("{0}")]
    TooManyRequests(&'static str),
    #[error("the request body did not arrive within {seconds} s")]
    RequestTimeout { seconds: u64 },
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    /// The stable, machine-readable name of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest(_) => "malformed_request",
            Self::Validation(_) => "validation_failed",
            Self::NotFound(_) => "not_found",
            Self::Conflict { code, .. } => code,
            Self::ReviewBlocked(_) => "review_blocked",
            Self::PreconditionFailed => "precondition_failed",
            Self::PayloadTooLarge { .. } => "payload_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::Unauthorized(_) => "unauthorized",
            Self::Forbidden(_) => "forbidden",
            Self::Unavailable(_) => "unavailable",
            Self::TooManyRequests(_) => "too_many_requests",
            Self::RequestTimeout { .. } => "request_timeout",
            Self::Internal(_) => "internal_error",
        }
    }

    fn title(&self) -> &'static str {
        match self {
            Self::BadRequest(_) => "Malformed request",
            Self::Validation(_) => "Invalid input",
            Self::NotFound(_) => "Not found",
            Self::Conflict { .. } => "Conflict",
            Self::ReviewBlocked(_) => "Review blocks publishing",
            Self::PreconditionFailed => "Precondition failed",
            Self::PayloadTooLarge { .. } => "Payload too large",
            Self::UnsupportedMediaType => "Unsupported media type",
            Self::Unauthorized(_) => "Unauthorized",
            Self::Forbidden(_) => "Forbidden",
            Self::Unavailable(_) => "Service unavailable",
            Self::TooManyRequests(_) => "Too many requests",
            Self::RequestTimeout { .. } => "Request timeout",
            Self::Internal(_) => "Internal server error",
        }
    }

    /// The problem+json body, shared by REST and (as extensions) GraphQL.
    pub fn problem(&self) -> Problem {
        let errors = match self {
            Self::Validation(errors) => Some(errors.clone()),
            _ => None,
        };
        Problem {
            kind: format!("https://hindsight.dev/problems/{}", self.code()),
            title: self.title(),
            status: self.status_code().as_u16(),
            detail: self.to_string(),
            code: self.code(),
            errors,
            findings: match self {
                Self::ReviewBlocked(findings) => Some(findings.clone()),
                _ => None,
            },
        }
    }
}

/// RFC 9457 problem details with hindsight's `code` and `errors` extensions.
#[derive(Debug, Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: &'static str,
    pub status: u16,
    pub detail: String,
    pub code: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
    /// The review findings that block publishing (`review_blocked` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub findings: Option<Vec<crate::domain::review::Finding>>,
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict { .. } | Self::ReviewBlocked(_) => StatusCode::CONFLICT,
            Self::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::RequestTimeout { .. } => StatusCode::REQUEST_TIMEOUT,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let Self::Internal(cause) = self {
            // The body stays opaque; the log keeps the whole chain.
            tracing::error!(error = ?cause, "request failed");
        }
        let mut response = HttpResponse::build(self.status_code());
        response.content_type("application/problem+json");
        if let Self::Unauthorized(detail) = self {
            response.insert_header((
                header::WWW_AUTHENTICATE,
                format!(
                    "Bearer realm=\"hindsight\", error=\"invalid_token\", error_description=\"{}\"",
                    detail.replace('"', "'")
                ),
            ));
        }
        if matches!(self, Self::Unavailable(_)) {
            response.insert_header((header::RETRY_AFTER, "5"));
        }
        if matches!(self, Self::TooManyRequests(_)) {
            response.insert_header((header::RETRY_AFTER, "1"));
        }
        response.json(self.problem())
    }
}

impl From<DbErr> for ApiError {
    /// Constraint violations are the client's doing (409); anything else is ours.
    fn from(err: DbErr) -> Self {
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => Self::Conflict {
                code: "conflict",
                detail: "a record with the same unique value already exists".into(),
            },
            Some(SqlErr::ForeignKeyConstraintViolation(_)) => Self::Conflict {
                code: "conflict",
                detail: "the change refers to a record that does not exist or is still referenced"
                    .into(),
            },
            _ if is_unavailable(&err) => {
                Self::Unavailable("the database is unavailable; retry shortly")
            }
            _ => Self::Internal(anyhow::Error::new(err)),
        }
    }
}

fn is_unavailable(err: &DbErr) -> bool {
    matches!(err, DbErr::ConnectionAcquire(_) | DbErr::Conn(_))
}

pub type ApiResult<T> = Result<T, ApiError>;
