//! Token endpoint failures, shaped as Auth0 answers them.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Token endpoint failures, each with Auth0's status and error code.
#[derive(Debug, thiserror::Error)]
pub(crate) enum TokenError {
    #[error("{0}")]
    InvalidRequest(String),
    #[error("{0}")]
    InvalidClient(String),
    #[error("{0}")]
    UnsupportedGrantType(String),
    #[error("{0}")]
    AccessDenied(String),
    #[error("{0}")]
    InvalidDpopProof(String),
    /// A code or refresh token that is unknown, expired, used or not this client's.
    #[error("{0}")]
    InvalidGrant(String),
    /// The application may not use this grant.
    #[error("{0}")]
    UnauthorizedClient(String),
    /// RFC 9449 §8: the proof lacks the current server nonce, which the response carries.
    #[error("Authorization server requires nonce in DPoP proof")]
    UseDpopNonce { nonce: String },
}

impl TokenError {
    fn parts(&self) -> (StatusCode, &'static str) {
        match self {
            TokenError::InvalidRequest(_) => (StatusCode::BAD_REQUEST, "invalid_request"),
            TokenError::InvalidClient(_) => (StatusCode::UNAUTHORIZED, "invalid_client"),
            TokenError::UnsupportedGrantType(_) => {
                (StatusCode::BAD_REQUEST, "unsupported_grant_type")
            }
            TokenError::AccessDenied(_) => (StatusCode::FORBIDDEN, "access_denied"),
            TokenError::InvalidDpopProof(_) => (StatusCode::BAD_REQUEST, "invalid_dpop_proof"),
            TokenError::InvalidGrant(_) => (StatusCode::FORBIDDEN, "invalid_grant"),
            TokenError::UnauthorizedClient(_) => (StatusCode::FORBIDDEN, "unauthorized_client"),
            TokenError::UseDpopNonce { .. } => (StatusCode::BAD_REQUEST, "use_dpop_nonce"),
        }
    }
}

impl IntoResponse for TokenError {
    fn into_response(self) -> Response {
        let (status, code) = self.parts();
        let mut resp = (
            status,
            axum::Json(json!({ "error": code, "error_description": self.to_string() })),
        )
            .into_response();
        resp.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let TokenError::UseDpopNonce { nonce } = &self
            && let Ok(v) = HeaderValue::from_str(nonce)
        {
            resp.headers_mut().insert("dpop-nonce", v);
        }
        if matches!(self, TokenError::InvalidClient(_)) {
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"mock-idp\""),
            );
        }
        resp
    }
}
