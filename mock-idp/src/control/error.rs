//! Control API errors, in the Management API's error shape:
//! `{"statusCode": 404, "error": "Not Found", "message": "...", "errorCode": "..."}`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Why a control request was refused.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ControlError {
    /// No credentials, or credentials this tenant did not issue.
    #[error("{0}")]
    Unauthorized(String),
    /// A valid Management API token without the route's scope.
    #[error("Insufficient scope, expected any of: {0}")]
    InsufficientScope(String),
    /// A valid token that may not do this (not from client_credentials, or a mint that would
    /// give more than the caller holds).
    #[error("{0}")]
    Forbidden(String),
    /// The body or a parameter is malformed.
    #[error("{0}")]
    BadRequest(String),
    /// The body is over the control API's limit (1 MiB).
    #[error("{0}")]
    PayloadTooLarge(String),
    /// The key (or other named thing) does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The request conflicts with the tenant's state (revoking the current key).
    #[error("{0}")]
    Conflict(String),
}

impl ControlError {
    fn parts(&self) -> (StatusCode, &'static str) {
        match self {
            ControlError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "invalid_token"),
            ControlError::InsufficientScope(_) => (StatusCode::FORBIDDEN, "insufficient_scope"),
            ControlError::Forbidden(_) => (StatusCode::FORBIDDEN, "access_denied"),
            ControlError::BadRequest(_) => (StatusCode::BAD_REQUEST, "invalid_body"),
            ControlError::PayloadTooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "invalid_body"),
            ControlError::NotFound(_) => (StatusCode::NOT_FOUND, "inexistent_resource"),
            ControlError::Conflict(_) => (StatusCode::CONFLICT, "invalid_state"),
        }
    }
}

impl IntoResponse for ControlError {
    fn into_response(self) -> Response {
        let (status, code) = self.parts();
        let mut res = (
            status,
            axum::Json(json!({
                "statusCode": status.as_u16(),
                "error": status.canonical_reason().unwrap_or(""),
                "message": self.to_string(),
                "errorCode": code,
            })),
        )
            .into_response();
        if status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"mock-idp control\""),
            );
        }
        res
    }
}

/// A JSON body that does not fit the route, as a 400 naming what is wrong.
impl From<axum::extract::rejection::JsonRejection> for ControlError {
    fn from(e: axum::extract::rejection::JsonRejection) -> Self {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return ControlError::PayloadTooLarge(e.body_text());
        }
        ControlError::BadRequest(e.body_text())
    }
}
