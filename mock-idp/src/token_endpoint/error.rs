//! Token endpoint refusals, each with the status, `error` code and text a real Auth0 tenant
//! sends (the README's fidelity table lists them with their sources).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::actions::FlowError;

/// Why the token endpoint refused a request. `Display` is the `error_description`.
#[derive(Debug, thiserror::Error)]
pub(crate) enum TokenError {
    /// 400 `invalid_request`: the request is malformed (a missing or repeated parameter).
    #[error("{0}")]
    InvalidRequest(String),
    /// 401 `access_denied` "Unauthorized": unknown client, wrong secret, or no client
    /// authentication. Auth0 sends no challenge; RFC 6749 §5.2 requires `WWW-Authenticate:
    /// Basic` when the client tried HTTP Basic, so that case carries one.
    #[error("Unauthorized")]
    Unauthorized {
        /// The client used HTTP Basic.
        basic: bool,
    },
    /// 401 `invalid_client`: a URL `client_id` whose client ID metadata document cannot be
    /// used (RFC 6749 §5.2).
    #[error("{0}")]
    InvalidClient(String),
    /// 400 `unsupported_grant_type`: a `grant_type` the tenant does not serve.
    #[error("{0}")]
    UnsupportedGrantType(String),
    /// 403 `unauthorized_client`: a grant the application is not allowed to use.
    #[error("Grant type '{0}' not allowed for the client.")]
    UnauthorizedClient(String),
    /// 403 `access_denied`: the audience, client grant or scopes refuse the request.
    #[error("{0}")]
    AccessDenied(String),
    /// 400 `invalid_dpop_proof`.
    #[error("{0}")]
    InvalidDpopProof(String),
    /// 400 `invalid_target` (RFC 8707 §2): a `resource` that names no API, or not the grant's.
    #[error("{0}")]
    InvalidTarget(#[from] crate::config::ResourceError),
    /// A code or refresh token that is unknown, expired, used or not this client's.
    #[error("{0}")]
    InvalidGrant(String),
    /// RFC 9449 §8: the proof lacks the current server nonce, which the response carries.
    #[error("Authorization server requires nonce in DPoP proof")]
    UseDpopNonce { nonce: String },
    /// 401 `federated_connection_refresh_token_not_found`: the Token Vault holds nothing for
    /// this user and connection.
    #[error("Federated connection Refresh Token not found.")]
    FederatedConnectionNotFound,
    /// 401 `unauthorized` "user is blocked": the password grant for a blocked user.
    #[error("user is blocked")]
    UserBlocked,
    /// 403 `mfa_required` with the `mfa_token` that completes the login (Auth0's MFA API).
    #[error("Multifactor authentication required")]
    MfaRequired {
        /// The token the `mfa-otp` or `mfa-recovery-code` grant takes.
        mfa_token: String,
    },
    /// 401 `expired_token` "mfa_token is expired": past its 10 minutes, or used.
    #[error("mfa_token is expired")]
    MfaTokenExpired,
    /// 429 `too_many_attempts`: the user's bucket of failed MFA attempts is empty.
    #[error("{0}")]
    TooManyAttempts(String),
    /// 403 `authorization_pending`: the device's user has not answered yet (RFC 8628 §3.5).
    #[error("User has yet to authorize device code.")]
    AuthorizationPending,
    /// 429 `slow_down`: the device polls faster than its interval.
    #[error("You are polling faster than the specified interval of {0} seconds.")]
    SlowDown(i64),
    /// 403 `expired_token`: the device code's 15 minutes are over (said once).
    #[error("{0}")]
    ExpiredToken(String),
    /// 500 `server_error`: the tenant lacks a setting the grant needs (the password grant
    /// without a Default Directory).
    #[error("{0}")]
    ServerError(String),
    /// 503 `temporarily_unavailable`: a store the request needs is full of live entries (the
    /// DPoP replay store under a flood); the tenant refuses rather than forget them.
    #[error("{0}")]
    TemporarilyUnavailable(String),
    /// The flow's Actions refused (`api.access.deny`) or failed (threw, timed out, returned a
    /// value): post-login 403 `access_denied`; credentials-exchange's deny code with its
    /// status (`invalid_scope`, `invalid_request`: 400; `server_error`: 500).
    #[error("{reason}")]
    Actions {
        status: StatusCode,
        code: String,
        reason: String,
    },
    /// 403 with the code an exchange profile's Action chose (`api.access.deny(code, reason)`).
    #[error("{reason}")]
    ActionDenied {
        /// The `error` code.
        code: String,
        /// The `error_description`.
        reason: String,
    },
}

impl From<FlowError> for TokenError {
    fn from(e: FlowError) -> Self {
        let reason = e.description();
        let (status, code) = match e {
            FlowError::Denied {
                code: Some(code), ..
            } => match code.as_str() {
                "server_error" => (StatusCode::INTERNAL_SERVER_ERROR, code),
                _ => (StatusCode::BAD_REQUEST, code),
            },
            FlowError::Denied { code: None, .. } | FlowError::Failed { .. } => {
                (StatusCode::FORBIDDEN, "access_denied".to_owned())
            }
        };
        TokenError::Actions {
            status,
            code,
            reason,
        }
    }
}

impl TokenError {
    fn parts(&self) -> (StatusCode, &str) {
        match self {
            TokenError::InvalidRequest(_) => (StatusCode::BAD_REQUEST, "invalid_request"),
            TokenError::Unauthorized { .. } => (StatusCode::UNAUTHORIZED, "access_denied"),
            TokenError::InvalidClient(_) => (StatusCode::UNAUTHORIZED, "invalid_client"),
            TokenError::UnsupportedGrantType(_) => {
                (StatusCode::BAD_REQUEST, "unsupported_grant_type")
            }
            TokenError::UnauthorizedClient(_) => (StatusCode::FORBIDDEN, "unauthorized_client"),
            TokenError::AccessDenied(_) => (StatusCode::FORBIDDEN, "access_denied"),
            TokenError::InvalidDpopProof(_) => (StatusCode::BAD_REQUEST, "invalid_dpop_proof"),
            TokenError::InvalidTarget(_) => (StatusCode::BAD_REQUEST, "invalid_target"),
            TokenError::InvalidGrant(_) => (StatusCode::FORBIDDEN, "invalid_grant"),
            TokenError::UseDpopNonce { .. } => (StatusCode::BAD_REQUEST, "use_dpop_nonce"),
            TokenError::FederatedConnectionNotFound => (
                StatusCode::UNAUTHORIZED,
                "federated_connection_refresh_token_not_found",
            ),
            TokenError::TemporarilyUnavailable(_) => {
                (StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable")
            }
            TokenError::ActionDenied { code, .. } => (StatusCode::FORBIDDEN, code),
            TokenError::Actions { status, code, .. } => (*status, code),
            TokenError::UserBlocked => (StatusCode::UNAUTHORIZED, "unauthorized"),
            TokenError::ServerError(_) => (StatusCode::INTERNAL_SERVER_ERROR, "server_error"),
            TokenError::MfaRequired { .. } => (StatusCode::FORBIDDEN, "mfa_required"),
            TokenError::MfaTokenExpired => (StatusCode::UNAUTHORIZED, "expired_token"),
            TokenError::TooManyAttempts(_) => (StatusCode::TOO_MANY_REQUESTS, "too_many_attempts"),
            TokenError::AuthorizationPending => (StatusCode::FORBIDDEN, "authorization_pending"),
            TokenError::SlowDown(_) => (StatusCode::TOO_MANY_REQUESTS, "slow_down"),
            TokenError::ExpiredToken(_) => (StatusCode::FORBIDDEN, "expired_token"),
        }
    }
}

impl IntoResponse for TokenError {
    fn into_response(self) -> Response {
        let (status, code) = self.parts();
        let code = code.to_owned();
        let mut body = json!({ "error": code, "error_description": self.to_string() });
        if let TokenError::MfaRequired { mfa_token } = &self {
            body["mfa_token"] = json!(mfa_token);
        }
        let mut resp = (status, axum::Json(body)).into_response();
        resp.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let TokenError::UseDpopNonce { nonce } = &self
            && let Ok(v) = HeaderValue::from_str(nonce)
        {
            resp.headers_mut().insert("dpop-nonce", v);
        }
        if let TokenError::Unauthorized { basic: true } = self {
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"mock-idp\""),
            );
        }
        resp
    }
}
