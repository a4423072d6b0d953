//! Management API errors in Auth0's shape:
//! `{"statusCode": 404, "error": "Not Found", "message": "The user does not exist.",
//! "errorCode": "inexistent_user"}`. (401 and 403 come from the control API's door, which
//! answers every `/api/v2/` route in the same shape.) Every handler answers `Res` and takes its
//! body as `JsonBody`, so a body that is not JSON is refused in this one shape too.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::tenant::model::{EntryKind, ModelError};

/// What every Management API handler answers: its response, or Auth0's error body.
pub(crate) type Res = Result<Response, ApiError>;

/// A request body as handlers take it: JSON, or why it is not (answered by `From` below).
pub(crate) type JsonBody =
    Result<axum::Json<serde_json::Value>, axum::extract::rejection::JsonRejection>;

/// Why a Management API request was refused.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ApiError {
    /// A body Auth0's schema refuses (missing, unknown or mistyped properties).
    #[error("Payload validation error: '{0}'.")]
    Payload(String),
    /// A query string Auth0's schema refuses.
    #[error("Query validation error: '{0}'.")]
    Query(String),
    /// A value the tenant refuses (the model's checks).
    #[error("{0}")]
    Invalid(String),
    /// No such entry.
    #[error("The {} does not exist.", .0.as_str())]
    NotFound(EntryKind),
    /// The connection named is not the tenant's database connection.
    #[error("The connection does not exist.")]
    NoConnection,
    /// `GET /connections/{id}` for another id.
    #[error("The connection does not exist")]
    NoConnectionFound,
    /// The entry exists already.
    #[error("{0}")]
    Conflict(String),
    /// A bound of the model.
    #[error("{0}")]
    TooMany(String),
    /// What the tenant cannot do now (Actions without Node): 503, never a 500.
    #[error("{0}")]
    Unavailable(String),
}

impl ApiError {
    fn parts(&self) -> (StatusCode, String) {
        match self {
            ApiError::Payload(_) => (StatusCode::BAD_REQUEST, "invalid_body".into()),
            ApiError::Query(_) => (StatusCode::BAD_REQUEST, "invalid_query_string".into()),
            ApiError::Invalid(_) => (StatusCode::BAD_REQUEST, "invalid_body".into()),
            ApiError::NoConnection => (StatusCode::BAD_REQUEST, "inexistent_connection".into()),
            ApiError::NoConnectionFound => (StatusCode::NOT_FOUND, "inexistent_connection".into()),
            ApiError::NotFound(k) => (
                StatusCode::NOT_FOUND,
                format!("inexistent_{}", k.as_str().replace(' ', "_")),
            ),
            // Auth0 reports an existing user from the database connection itself.
            ApiError::Conflict(m) if m == "The user already exists." => {
                (StatusCode::CONFLICT, "auth0_idp_error".into())
            }
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "already_exists".into()),
            ApiError::TooMany(_) => (StatusCode::TOO_MANY_REQUESTS, "too_many_entities".into()),
            ApiError::Unavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "actions_runtime_unavailable".into(),
            ),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.parts();
        (
            status,
            axum::Json(json!({
                "statusCode": status.as_u16(),
                "error": status.canonical_reason().unwrap_or(""),
                "message": self.to_string(),
                "errorCode": code,
            })),
        )
            .into_response()
    }
}

impl From<ModelError> for ApiError {
    fn from(e: ModelError) -> Self {
        match e {
            ModelError::Invalid { key, problem } => ApiError::Invalid(format!("{key}: {problem}")),
            ModelError::NotFound(k) => ApiError::NotFound(k),
            ModelError::Conflict(m) => ApiError::Conflict(m),
            e @ ModelError::TooMany { .. } => ApiError::TooMany(e.to_string()),
            e @ ModelError::TooLarge { .. } => ApiError::Invalid(e.to_string()),
            // ModelError is non_exhaustive for other crates only.
        }
    }
}

/// A body that is not JSON, too large, or not an object: Auth0's 400.
impl From<axum::extract::rejection::JsonRejection> for ApiError {
    fn from(e: axum::extract::rejection::JsonRejection) -> Self {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return ApiError::Payload("Request body too large".into());
        }
        ApiError::Payload("Invalid JSON body".into())
    }
}
