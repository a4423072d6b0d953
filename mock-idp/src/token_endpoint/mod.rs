//! `POST /oauth/token`: Auth0's token endpoint. This module reads the request (body, client
//! authentication, DPoP proof) and hands it to the grant; each grant lives in its own module.
//!
//! | module | what it holds |
//! |---|---|
//! | `params` | form and JSON bodies, read as Auth0 reads them |
//! | `client_auth` | HTTP Basic or `client_secret_post` |
//! | `dpop` | the DPoP proof of the request (RFC 9449 §4.3, §8) |
//! | `client_credentials` | the machine-to-machine grant |
//! | `authorization_code` | the code a browser login produced (+ PKCE, DPoP `dpop_jkt`) |
//! | `refresh_token` | refresh with Auth0's rotation and reuse detection |
//! | `password` | Resource Owner Password: `password` (Default Directory) and `password-realm` |
//! | `device_code` | Device Authorization (RFC 8628): `POST /oauth/device/code` and the polling grant |
//! | `mfa` | Auth0's MFA API grants: `mfa-otp` and `mfa-recovery-code` after `mfa_required` |
//! | `mfa_associate` | `POST /mfa/associate`: OTP enrolment of an `mfa_token`'s user (MFA policy) |
//! | `mfa_authenticators` | `GET /mfa/authenticators`: the authenticators of an `mfa_token`'s user |
//! | `user_login` | the tokens a user login gets here (password, MFA, device code) |
//! | `revoke` | `POST /oauth/revoke` |
//! | `organization` | `organization` on client_credentials (`org_id`, `org_name`) |
//! | `token_exchange` | RFC 8693: On-Behalf-Of and Custom Token Exchange (profiles) |
//! | `federated_connection` | Token Vault: a user's upstream token for a connection |
//! | `subject_token` | checking a subject token against a JWKS (this tenant's or another's) |
//! | `error` | [`TokenError`]: every refusal with Auth0's status, code and text |

mod authorization_code;
mod client_auth;
mod client_credentials;
pub(crate) mod device_code;
pub(crate) mod dpop;
mod error;
mod federated_connection;
pub(crate) mod mfa;
pub(crate) mod mfa_associate;
pub(crate) mod mfa_authenticators;
mod organization;
mod params;
mod password;
mod refresh_token;
pub(crate) mod revoke;
mod subject_token;
mod token_exchange;
mod user_login;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

pub(crate) use error::TokenError;

use crate::config::GrantType;
use crate::tenant::client_documents::DocumentError;
use crate::tenant::state::TenantState;

/// The handler.
pub(crate) async fn token(
    State(st): State<Arc<TenantState>>,
    headers: HeaderMap,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    body: Bytes,
) -> Response {
    let peer = peer.map(|Extension(ConnectInfo(a))| a.ip());
    match issue(&st, &headers, peer, &body).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

/// Auth0's order: the request's shape, then who the client is, then whether it may use the
/// grant, then the grant's own checks.
async fn issue(
    st: &TenantState,
    headers: &HeaderMap,
    peer: Option<IpAddr>,
    body: &[u8],
) -> Result<Response, TokenError> {
    let params = params::parse_params(headers, body)?;
    let name = params.get("grant_type").ok_or_else(|| {
        TokenError::InvalidRequest("Missing required parameter: grant_type".into())
    })?;
    let grant = GrantType::from_name(name).ok_or_else(|| {
        TokenError::UnsupportedGrantType(format!("Unsupported grant type: {name}"))
    })?;
    let cfg = st.config();
    let document_client = st
        .client_documents
        .resolve(
            &cfg,
            params.get("client_id").map(String::as_str),
            st.mint.clock.now(),
        )
        .await
        .map_err(|e| match e {
            DocumentError::Busy => TokenError::TemporarilyUnavailable(e.to_string()),
            e => TokenError::InvalidClient(e.to_string()),
        })?;
    let app = client_auth::authenticate(&cfg, document_client.as_deref(), headers, &params)?;
    if !app.allows(grant) {
        return Err(TokenError::UnauthorizedClient(name.clone()));
    }
    let body = match grant {
        GrantType::ClientCredentials => {
            client_credentials::grant(st, headers, peer, &params, app).await?
        }
        GrantType::TokenExchange => token_exchange::grant(st, headers, &params, app).await?,
        GrantType::FederatedConnection => federated_connection::grant(st, &params, app)?,
        GrantType::AuthorizationCode => authorization_code::grant(st, headers, &params, app)?,
        GrantType::RefreshToken => refresh_token::grant(st, headers, peer, &params, app).await?,
        GrantType::Password | GrantType::PasswordRealm => {
            password::grant(st, headers, peer, &params, app, grant).await?
        }
        GrantType::DeviceCode => device_code::grant(st, headers, peer, &params, app).await?,
        GrantType::MfaOtp | GrantType::MfaRecoveryCode => {
            mfa::grant(st, headers, peer, &params, app, grant).await?
        }
        _ => {
            return Err(TokenError::UnsupportedGrantType(format!(
                "mock-idp does not implement grant type '{name}'"
            )));
        }
    };
    Ok(success(st, body))
}

/// A 200 token response with the headers RFC 6749 §5.1 requires, and the current DPoP nonce.
fn success(st: &TenantState, body: Value) -> Response {
    let mut resp = axum::Json(body).into_response();
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp.headers_mut()
        .insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    if let Some(v) = st
        .current_dpop_nonce()
        .and_then(|n| HeaderValue::from_str(&n).ok())
    {
        resp.headers_mut().insert("dpop-nonce", v);
    }
    resp
}
