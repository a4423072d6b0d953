//! The Resource Owner Password grants (RFC 6749 §4.3) as Auth0 runs them: `password`, which
//! logs the user in with the tenant's Default Directory (`default_directory`), and
//! `http://auth0.com/oauth/grant-type/password-realm`, whose `realm` names the database
//! connection. Auth0's docs recommend them, with a test user, for automated tests.
//!
//! What the tokens hold is what a browser login with the same `scope` and `audience` would
//! get: the scopes come from the same rule as `/authorize`'s (`granted_scopes`: OIDC scopes,
//! `offline_access` where refresh tokens may be issued, and only the requested API's own
//! permissions), `permissions` from the user's roles; only `gty: "password"` differs, as on
//! Auth0. No `audience` means the default audience (the first API). A user with an OTP
//! enrolment (or, under the tenant's MFA policy, any user) gets 403 `mfa_required` and an
//! `mfa_token` instead; the `mfa` module's grants finish the login.
//!
//! `auth0-forwarded-for` carries the end user's IP when a server logs its users in (Auth0 uses
//! it for brute-force protection). Auth0 trusts it from confidential applications only: from
//! them it must be an IP address; from a public one it is ignored, since anyone can send it.

use std::collections::BTreeMap;
use std::net::IpAddr;

use axum::http::HeaderMap;
use serde_json::Value;

use super::user_login::{UserLogin, user_tokens};
use super::{TokenError, dpop};
use crate::browser::authorize::granted_scopes;
use crate::config::{ApplicationConfig, DATABASE_CONNECTION, GrantType};
use crate::tenant::mfa::MfaTicket;
use crate::tenant::state::TenantState;

/// Auth0's answer for an unknown user or a wrong password (the same, so that a caller cannot
/// learn which emails have accounts).
const WRONG_CREDENTIALS: &str = "Wrong email or password.";
/// Auth0's answer to `grant_type=password` on a tenant without a Default Directory.
const NO_DEFAULT_DIRECTORY: &str = "Authorization server not configured with default connection.";

pub(super) async fn grant(
    st: &TenantState,
    headers: &HeaderMap,
    peer: Option<IpAddr>,
    params: &BTreeMap<String, String>,
    app: &ApplicationConfig,
    grant: GrantType,
) -> Result<Value, TokenError> {
    let cfg = &st.config();
    let required = |name: &str| {
        params.get(name).ok_or_else(|| {
            TokenError::InvalidRequest(format!("Missing required parameter: {name}"))
        })
    };
    let username = required("username")?;
    let password = required("password")?;
    let connection = match grant {
        GrantType::PasswordRealm => required("realm")?.clone(),
        _ => cfg
            .default_directory
            .clone()
            .ok_or_else(|| TokenError::ServerError(NO_DEFAULT_DIRECTORY.into()))?,
    };
    if connection != DATABASE_CONNECTION {
        return Err(TokenError::InvalidRequest(format!(
            "Unknown realm: {connection}"
        )));
    }
    forwarded_for(app, headers)?;
    let audience = match params.get("audience") {
        Some(aud) => Some(
            cfg.api(aud)
                .ok_or_else(|| {
                    TokenError::AccessDenied(format!("Service not enabled within domain: {aud}"))
                })?
                .identifier
                .clone(),
        ),
        None => cfg.default_api().map(|a| a.identifier.clone()),
    };
    let user = cfg
        .user_by_email(username)
        .filter(|u| u.password_matches(password))
        .ok_or_else(|| TokenError::InvalidGrant(WRONG_CREDENTIALS.into()))?;
    if user.blocked {
        return Err(TokenError::UserBlocked);
    }
    let scopes = granted_scopes(cfg, app, audience.as_deref(), params.get("scope"));
    // An enrolled user owes a code, and under the MFA policy so does everyone (those without
    // an enrolment enrol over `/mfa/associate`): the login waits behind an `mfa_token`.
    if cfg.mfa_required(user) {
        let ticket = MfaTicket {
            client_id: app.client_id.clone(),
            user_id: user.id(),
            scopes,
            audience,
        };
        let mfa_token = st.mfa.issue(ticket, st.mint.clock.now());
        return Err(TokenError::MfaRequired { mfa_token });
    }
    let login = UserLogin {
        scopes: &scopes,
        audience,
        gty: Some("password"),
        session: None,
        jkt: dpop::check_dpop(st, headers)?,
        protocol: "oauth2-password",
        peer,
    };
    user_tokens(st, headers, app, user, login).await
}

/// `auth0-forwarded-for`: checked (an IP address) from a confidential application, ignored
/// from a public one.
fn forwarded_for(app: &ApplicationConfig, headers: &HeaderMap) -> Result<(), TokenError> {
    if app.is_public() {
        return Ok(());
    }
    match headers.get("auth0-forwarded-for") {
        None => Ok(()),
        Some(v) => v
            .to_str()
            .ok()
            .and_then(|s| s.trim().parse::<IpAddr>().ok())
            .map(|_| ())
            .ok_or_else(|| {
                TokenError::InvalidRequest("auth0-forwarded-for must be an IP address".into())
            }),
    }
}
