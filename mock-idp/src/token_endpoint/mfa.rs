//! Auth0's MFA API grants: `http://auth0.com/oauth/grant-type/mfa-otp` (`mfa_token` + `otp`)
//! and `http://auth0.com/oauth/grant-type/mfa-recovery-code` (`mfa_token` +
//! `recovery_code`), which finish a password login that answered `mfa_required`.
//!
//! Under the MFA policy, the `mfa-otp` grant also confirms the enrolment `POST
//! /mfa/associate` started for its `mfa_token`: the code must come from the new secret, and the
//! enrolment is then saved to the user as the Management API's would be.
//!
//! Refusals as Auth0's SDKs expect them (Auth0.swift's and Auth0.Android's error tests): a
//! wrong code is 403 `invalid_grant` "Invalid otp_code." (or "Invalid recovery_code."), an
//! unknown token 403 `invalid_grant` "Malformed mfa_token", an expired or spent one 401
//! `expired_token` "mfa_token is expired", another application's 400 `invalid_request`
//! "mfa_token not issued to this client". Ten failed codes empty the user's bucket:
//! 429 `too_many_attempts` until it refills (one attempt per 6 minutes).

use std::collections::BTreeMap;

use axum::http::HeaderMap;
use serde_json::Value;

use super::user_login::{UserLogin, user_tokens};
use super::{TokenError, dpop};
use crate::config::{ApplicationConfig, GrantType};
use crate::tenant::mfa::{OtpError, TicketError};
pub(crate) use crate::tenant::model::ALREADY_ENROLLED;
use crate::tenant::model::ModelError;
use crate::tenant::state::TenantState;

/// Auth0's text for an empty attempt bucket (not captured for MFA: the text of Auth0's
/// brute-force protection).
pub(crate) const TOO_MANY_ATTEMPTS: &str = "Too many failed attempts. Try again later.";

/// The answer to a code for a user with no enrolment, and none pending on the token (Auth0's
/// text for a challenge of an unenrolled user; this grant's answer not captured).
pub(crate) const NOT_ENROLLED: &str = "User is not enrolled.";

/// Saves the confirmed enrolment as the user's `[users.mfa]`, as the Management API's
/// enrolment is saved; refused if the user enrolled meanwhile (another `mfa_token` confirmed
/// first, or an operator enrolled them): a second enrolment never replaces the first.
fn confirm_enrolment(
    st: &TenantState,
    user_id: &str,
    mut enrolment: crate::config::MfaConfig,
    now: i64,
) -> Result<(), TokenError> {
    enrolment.enrolled_at = Some(now);
    match st.model.enrol_otp(user_id, enrolment) {
        Ok(_) => Ok(()),
        Err(ModelError::Conflict(_)) => Err(TokenError::AccessDenied(ALREADY_ENROLLED.into())),
        Err(_) => Err(TokenError::InvalidGrant("Malformed mfa_token".into())),
    }
}

pub(crate) async fn grant(
    st: &TenantState,
    headers: &HeaderMap,
    peer: Option<std::net::IpAddr>,
    params: &BTreeMap<String, String>,
    app: &ApplicationConfig,
    grant: GrantType,
) -> Result<Value, TokenError> {
    let required = |name: &str| {
        params.get(name).ok_or_else(|| {
            TokenError::InvalidRequest(format!("Missing required parameter: {name}"))
        })
    };
    let token = required("mfa_token")?;
    let (field, wrong) = match grant {
        GrantType::MfaOtp => ("otp", "Invalid otp_code."),
        _ => ("recovery_code", "Invalid recovery_code."),
    };
    let code = required(field)?;
    let now = st.mint.clock.now();
    // The proof first: a refused proof must not spend the code or the token.
    let jkt = dpop::check_dpop(st, headers)?;
    let ticket = st
        .mfa
        .ticket(token, &app.client_id, now)
        .map_err(|e| match e {
            TicketError::Malformed => TokenError::InvalidGrant("Malformed mfa_token".into()),
            TicketError::Expired => TokenError::MfaTokenExpired,
            TicketError::OtherClient => {
                TokenError::InvalidRequest("mfa_token not issued to this client".into())
            }
        })?;
    let cfg = st.config();
    let user = cfg
        .user(&ticket.user_id)
        .ok_or_else(|| TokenError::InvalidGrant("Malformed mfa_token".into()))?;
    // A user without an enrolment confirms the one `/mfa/associate` started for this token.
    let pending = match &user.mfa {
        Some(_) => None,
        None => match (grant, st.mfa.pending_enrolment(token, now)) {
            (GrantType::MfaOtp, Some(p)) => Some(p),
            _ => return Err(TokenError::InvalidGrant(NOT_ENROLLED.into())),
        },
    };
    let Some(mfa) = user.mfa.as_ref().or(pending.as_ref()) else {
        return Err(TokenError::InvalidGrant(NOT_ENROLLED.into()));
    };
    let refused = |e: OtpError| match e {
        OtpError::Invalid => TokenError::InvalidGrant(wrong.into()),
        OtpError::TooManyAttempts => TokenError::TooManyAttempts(TOO_MANY_ATTEMPTS.into()),
    };
    let new_recovery_code = match grant {
        GrantType::MfaOtp => {
            st.mfa
                .verify_otp(&ticket.user_id, mfa, code, now)
                .map_err(refused)?;
            None
        }
        _ => Some(
            st.mfa
                .redeem_recovery_code(&ticket.user_id, mfa, code, now)
                .map_err(refused)?,
        ),
    };
    if user.blocked {
        return Err(TokenError::UserBlocked);
    }
    if let Some(enrolment) = pending {
        confirm_enrolment(st, &ticket.user_id, enrolment, now)?;
    }
    st.mfa.spend(token, now);
    let login = UserLogin {
        scopes: &ticket.scopes,
        audience: ticket.audience.clone(),
        gty: Some("password"),
        session: None,
        jkt,
        protocol: "oauth2-password",
        peer,
    };
    let mut body = user_tokens(st, headers, app, user, login).await?;
    if let Some(c) = new_recovery_code {
        body["recovery_code"] = Value::String(c);
    }
    Ok(body)
}
