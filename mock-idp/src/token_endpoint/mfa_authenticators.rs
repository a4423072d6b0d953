//! `GET /mfa/authenticators` (Auth0's MFA API): the authenticators of the user an `mfa_token`
//! stands for, the token sent as `Authorization: Bearer`, as an application lists them
//! before a challenge: `[{"id": "totp|dev_…", "authenticator_type": "otp", "active": true},
//! {"id": "recovery-code|dev_…", "authenticator_type": "recovery-code", "active": true}]`,
//! with the ids the Management API shows for the same enrolment. Refusals as the MFA grants
//! answer a bad `mfa_token`.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::TokenError;
use crate::tenant::mfa::TicketError;
use crate::tenant::state::TenantState;

/// The handler.
pub(crate) async fn list(State(st): State<Arc<TenantState>>, headers: HeaderMap) -> Response {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let Some(token) = token else {
        return TokenError::InvalidRequest(
            "Missing authorization header with the mfa_token".into(),
        )
        .into_response();
    };
    let ticket = match st.mfa.ticket_any(token, st.mint.clock.now()) {
        Ok(t) => t,
        Err(TicketError::Expired) => return TokenError::MfaTokenExpired.into_response(),
        Err(_) => {
            return TokenError::InvalidGrant("Malformed mfa_token".into()).into_response();
        }
    };
    let cfg = st.config();
    let Some(mfa) = cfg.user(&ticket.user_id).and_then(|u| u.mfa.clone()) else {
        return Json(Value::Array(Vec::new())).into_response();
    };
    let dev = mfa.device_id(&ticket.user_id);
    let mut list =
        vec![json!({"id": format!("totp|dev_{dev}"), "authenticator_type": "otp", "active": true})];
    if !mfa.recovery_codes.is_empty() {
        list.push(json!({"id": format!("recovery-code|dev_{dev}"), "authenticator_type": "recovery-code", "active": true}));
    }
    Json(Value::Array(list)).into_response()
}
