//! `POST /mfa/associate` (Auth0's MFA API): enrols the user an `mfa_token` stands for, the
//! token sent as `Authorization: Bearer`, with `{"authenticator_types": ["otp"]}`. What headless
//! applications do under the tenant's MFA policy when the password grant answered
//! `mfa_required` for a user with no authenticator. The answer is Auth0's:
//! `{"authenticator_type": "otp", "secret": BASE32, "barcode_uri": "otpauth://totp/…",
//! "recovery_codes": ["…"]}`; the `mfa-otp` grant with the same `mfa_token` and a code of the
//! new secret then confirms the enrolment and returns the tokens.
//!
//! Refusals: a user who has an authenticator already 403 `access_denied` "User is already
//! enrolled." (a second enrolment never replaces the first: adding one takes the Management
//! API); `oob` (SMS, voice, email, push) 400, not modelled; a bad `mfa_token` as the grants
//! answer it. The secret is in the answer only: the journal records no bodies.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::TokenError;
use super::mfa::ALREADY_ENROLLED;
use crate::tenant::mfa::{TicketError, new_enrolment};
use crate::tenant::state::TenantState;

/// The handler.
pub(crate) async fn associate(
    State(st): State<Arc<TenantState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match run(&st, &headers, &body) {
        Ok(v) => Json(v).into_response(),
        Err(e) => e.into_response(),
    }
}

fn run(st: &TenantState, headers: &HeaderMap, body: &[u8]) -> Result<Value, TokenError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| {
            TokenError::InvalidRequest("Missing authorization header with the mfa_token".into())
        })?;
    let body: Value = serde_json::from_slice(body)
        .map_err(|_| TokenError::InvalidRequest("The body must be a JSON object".into()))?;
    let types: Vec<&str> = match body.get("authenticator_types") {
        Some(Value::Array(a)) if !a.is_empty() => a.iter().filter_map(Value::as_str).collect(),
        _ => {
            return Err(TokenError::InvalidRequest(
                "Missing required parameter: authenticator_types".into(),
            ));
        }
    };
    if let Some(other) = types.iter().find(|t| **t != "otp") {
        return Err(TokenError::InvalidRequest(format!(
            "Authenticator type {other} is not modelled by this tenant (otp only)"
        )));
    }
    let now = st.mint.clock.now();
    let ticket = st.mfa.ticket_any(token, now).map_err(|e| match e {
        TicketError::Expired => TokenError::MfaTokenExpired,
        _ => TokenError::InvalidGrant("Malformed mfa_token".into()),
    })?;
    if let Some(client_id) = body.get("client_id").and_then(Value::as_str)
        && client_id != ticket.client_id
    {
        return Err(TokenError::InvalidRequest(
            "mfa_token not issued to this client".into(),
        ));
    }
    let cfg = st.config();
    let user = cfg
        .user(&ticket.user_id)
        .ok_or_else(|| TokenError::InvalidGrant("Malformed mfa_token".into()))?;
    if user.mfa.is_some() {
        return Err(TokenError::AccessDenied(ALREADY_ENROLLED.into()));
    }
    let enrolment = new_enrolment();
    let answer = json!({
        "authenticator_type": "otp",
        "secret": enrolment.otp_secret,
        "barcode_uri": enrolment.key_uri(&st.base_url, &user.email),
        "recovery_codes": enrolment.recovery_codes,
    });
    st.mfa
        .start_enrolment(token, enrolment, now)
        .map_err(|e| match e {
            TicketError::Expired => TokenError::MfaTokenExpired,
            _ => TokenError::InvalidGrant("Malformed mfa_token".into()),
        })?;
    Ok(answer)
}
