//! Device Authorization (RFC 8628) at the token endpoint, as Auth0 runs it for CLIs and TVs:
//! `POST /oauth/device/code` starts it, and the device polls `/oauth/token` with
//! `grant_type=urn:ietf:params:oauth:grant-type:device_code` until the user answers at
//! `/activate` (the browser face, `crate::browser::activate`).
//!
//! Answers (Auth0's device flow guide): 403 `authorization_pending` "User has yet to authorize
//! device code."; 429 `slow_down` "You are polling faster than the specified interval of 5
//! seconds."; 403 `expired_token` once the 15 minutes are over (said once, then
//! `invalid_grant`); 403 `access_denied` when the user cancels; then the tokens a login with
//! the requested scopes gets (a refresh token with `offline_access`). Only applications with
//! the device_code grant may start or poll (`unauthorized_client`).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::user_login::{UserLogin, user_tokens};
use super::{TokenError, client_auth, dpop, params};
use crate::browser::activate;
use crate::browser::authorize::granted_scopes;
use crate::config::{ApplicationConfig, GrantType};
use crate::tenant::device_codes::{DEVICE_CODE_LIFETIME, DeviceRequest, POLL_INTERVAL, Poll};
use crate::tenant::state::TenantState;

/// The refusal for an unknown, used or foreign device code (not captured: RFC 8628 §3.5's
/// `invalid_grant`, Auth0's wording unknown).
const INVALID_DEVICE_CODE: &str = "Invalid or expired device code.";

/// `POST /oauth/device/code`.
pub(crate) async fn device_authorization(
    State(st): State<Arc<TenantState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !activate::served(&st) {
        return crate::responses::not_found().await;
    }
    match start(&st, &headers, &body) {
        Ok(v) => {
            let mut res = axum::Json(v).into_response();
            res.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            res
        }
        Err(e) => e.into_response(),
    }
}

fn start(st: &TenantState, headers: &HeaderMap, body: &[u8]) -> Result<Value, TokenError> {
    let params = params::parse_params(headers, body)?;
    let cfg = st.config();
    let app = client_auth::authenticate(&cfg, None, headers, &params)?;
    if !app.allows(GrantType::DeviceCode) {
        return Err(TokenError::UnauthorizedClient(
            GrantType::DeviceCode.as_str().to_owned(),
        ));
    }
    let audience = match params.get("audience") {
        Some(aud) => Some(
            cfg.api(aud)
                .ok_or_else(|| {
                    TokenError::AccessDenied(format!("Service not enabled within domain: {aud}"))
                })?
                .identifier
                .clone(),
        ),
        None => None,
    };
    let request = DeviceRequest {
        client_id: app.client_id.clone(),
        scopes: granted_scopes(&cfg, app, audience.as_deref(), params.get("scope")),
        audience,
        user_code: String::new(),
    };
    let now = st.mint.clock.now();
    let (device_code, request) = st.device_codes.issue(request, now).map_err(|_| {
        TokenError::TemporarilyUnavailable(
            "Too many device authorizations are in progress; try again later".into(),
        )
    })?;
    let origin = st.domains.origin(st.domain_of(headers));
    let verification_uri = format!("{origin}{}", activate::PATH);
    Ok(json!({
        "device_code": device_code,
        "user_code": request.user_code,
        "verification_uri": verification_uri,
        "expires_in": DEVICE_CODE_LIFETIME,
        "interval": POLL_INTERVAL,
        "verification_uri_complete": format!("{verification_uri}?user_code={}", request.user_code),
    }))
}

/// The polling grant.
pub(super) async fn grant(
    st: &TenantState,
    headers: &HeaderMap,
    peer: Option<std::net::IpAddr>,
    params: &BTreeMap<String, String>,
    app: &ApplicationConfig,
) -> Result<Value, TokenError> {
    let device_code = params.get("device_code").ok_or_else(|| {
        TokenError::InvalidRequest("Missing required parameter: device_code".into())
    })?;
    let now = st.mint.clock.now();
    // The proof first: a refused proof must not spend an approved code.
    let jkt = dpop::check_dpop(st, headers)?;
    match st.device_codes.poll(device_code, &app.client_id, now) {
        Poll::Invalid => Err(TokenError::InvalidGrant(INVALID_DEVICE_CODE.into())),
        Poll::Expired => Err(TokenError::ExpiredToken(
            "The device code has expired.".into(),
        )),
        Poll::SlowDown => Err(TokenError::SlowDown(POLL_INTERVAL)),
        Poll::Pending => Err(TokenError::AuthorizationPending),
        Poll::Denied => Err(TokenError::AccessDenied(
            "User cancelled the confirmation prompt or consent page.".into(),
        )),
        Poll::Approved {
            scopes,
            audience,
            user_id,
            sid,
            auth_time,
        } => {
            let snapshot = st.config();
            let user = snapshot
                .user(&user_id)
                .filter(|u| !u.blocked)
                .ok_or_else(|| TokenError::InvalidGrant(INVALID_DEVICE_CODE.into()))?;
            let login = UserLogin {
                scopes: &scopes,
                audience,
                gty: None,
                session: Some((sid, auth_time)),
                jkt,
                protocol: "oauth2-device-code",
                peer,
            };
            user_tokens(st, headers, app, user, login).await
        }
    }
}
