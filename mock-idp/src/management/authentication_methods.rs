//! A user's MFA over the Management API, as Auth0 serves it: authentication methods
//! (`/api/v2/users/{id}/authentication-methods`: list, read, create a `totp` one with its
//! base32 `totp_secret`, delete one or all), Guardian's view (`/enrollments`, and
//! `DELETE /authenticators`), and `POST /recovery-code-regeneration`. They read and write the
//! user's one OTP enrolment (`[users.mfa]` in the tenant TOML): a user with one is asked for a
//! code at the next login, by the login form and the password grants alike.
//!
//! Modelled: one `totp` method per user and its recovery code (`recovery-code`). Other types
//! (phone, email, WebAuthn, push) are refused with 400.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::{Value, json};

use super::body::Body;
use super::error::{ApiError, JsonBody, Res};
use super::paging::Page;
use crate::clock::iso8601;
use crate::config::{MfaConfig, UserConfig};
use crate::tenant::model::EntryKind;
use crate::tenant::state::TenantState;

/// The hex that names a user's enrolment: its `totp|dev_…`, `recovery-code|dev_…` and
/// Guardian `dev_…` ids (stable for one secret; a new enrolment gets new ids).
fn device(user: &UserConfig, mfa: &MfaConfig) -> String {
    mfa.device_id(&user.id())
}

fn enrolled_at(user: &UserConfig, mfa: &MfaConfig) -> String {
    mfa.enrolled_at
        .map(iso8601)
        .unwrap_or_else(|| user.updated_at.clone())
}

/// Auth0's authentication methods of `user`: the `totp` one and, with codes, `recovery-code`.
fn methods(user: &UserConfig) -> Vec<Value> {
    let Some(mfa) = &user.mfa else {
        return Vec::new();
    };
    let dev = device(user, mfa);
    let at = enrolled_at(user, mfa);
    let one = |kind: &str| {
        let id = format!("{kind}|dev_{dev}");
        let mut m = json!({
            "id": id,
            "type": kind,
            "confirmed": true,
            "created_at": at,
            "enrolled_at": at,
            "authentication_methods": [{"id": id, "type": kind}],
        });
        if let (Some(n), "totp") = (&mfa.name, kind) {
            m["name"] = json!(n);
        }
        m
    };
    let mut out = vec![one("totp")];
    if !mfa.recovery_codes.is_empty() {
        out.push(one("recovery-code"));
    }
    out
}

fn user_of(st: &TenantState, id: &str) -> Result<UserConfig, ApiError> {
    st.config()
        .user(id)
        .cloned()
        .ok_or(ApiError::NotFound(EntryKind::User))
}

/// Sets `user_id`'s enrolment with `f`; the MFA state of their past enrolment goes.
fn change(
    st: &TenantState,
    user_id: &str,
    f: impl FnOnce(&mut Option<MfaConfig>) -> Result<(), ApiError>,
) -> Result<Arc<UserConfig>, ApiError> {
    let mut err = None;
    let out = st.model.update_user(user_id, |u| {
        if let Err(e) = f(&mut u.mfa) {
            err = Some(e);
            return Err(crate::tenant::model::ModelError::invalid("mfa", "refused"));
        }
        Ok(())
    });
    if let Some(e) = err {
        return Err(e);
    }
    let user = out?;
    st.mfa.forget(user_id);
    Ok(user)
}

/// `GET /api/v2/users/{id}/authentication-methods`: paged (`include_totals`:
/// `authenticators`).
pub(crate) async fn list(
    State(st): State<Arc<TenantState>>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Res {
    let page = Page::from_query(&q)?;
    let user = user_of(&st, &id)?;
    page.answer("authenticators", methods(&user))
}

/// `GET /api/v2/users/{id}/authentication-methods/{method_id}`.
pub(crate) async fn get(
    State(st): State<Arc<TenantState>>,
    Path((id, method_id)): Path<(String, String)>,
) -> Res {
    let user = user_of(&st, &id)?;
    methods(&user)
        .into_iter()
        .find(|m| m["id"] == method_id.as_str())
        .map(|m| Json(m).into_response())
        .ok_or(ApiError::NotFound(EntryKind::AuthenticationMethod))
}

/// `POST /api/v2/users/{id}/authentication-methods` `{"type": "totp", "name", "totp_secret"}`:
/// 201; the user is asked for a code from now on.
pub(crate) async fn create(
    State(st): State<Arc<TenantState>>,
    Path(id): Path<String>,
    body: JsonBody,
) -> Res {
    let b = Body::new(
        body?.0,
        &[
            "type",
            "name",
            "totp_secret",
            "phone_number",
            "email",
            "preferred_authentication_method",
            "key_id",
            "public_key",
            "relying_party_identifier",
        ],
    )?;
    let kind = b.required("type")?;
    if kind != "totp" {
        return Err(ApiError::Invalid(format!(
            "Authentication method type {kind} is not supported by this tenant (totp only)"
        )));
    }
    let secret = b.required("totp_secret")?;
    let name = b.string("name")?;
    let enrolment = MfaConfig {
        otp_secret: secret,
        recovery_codes: Vec::new(),
        name,
        enrolled_at: Some(st.mint.clock.now()),
    };
    if enrolment.validate("totp_secret").is_err() {
        return Err(ApiError::Payload(
            "totp_secret must be base32 (RFC 4648) of at least 10 bytes".into(),
        ));
    }
    user_of(&st, &id)?;
    let user = change(&st, &id, |mfa| match mfa {
        Some(_) => Err(ApiError::Conflict(
            "The user already has a totp authentication method".into(),
        )),
        None => {
            *mfa = Some(enrolment);
            Ok(())
        }
    })?;
    let created = methods(&user).remove(0);
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

/// `DELETE /api/v2/users/{id}/authentication-methods/{method_id}`: 204. Deleting the `totp`
/// method ends the enrolment (its recovery code too); deleting `recovery-code` only the code.
pub(crate) async fn delete(
    State(st): State<Arc<TenantState>>,
    Path((id, method_id)): Path<(String, String)>,
) -> Res {
    let user = user_of(&st, &id)?;
    let kind = methods(&user)
        .into_iter()
        .find(|m| m["id"] == method_id.as_str())
        .and_then(|m| m["type"].as_str().map(str::to_owned))
        .ok_or(ApiError::NotFound(EntryKind::AuthenticationMethod))?;
    change(&st, &id, |mfa| {
        match (kind.as_str(), mfa.as_mut()) {
            ("recovery-code", Some(m)) => m.recovery_codes.clear(),
            _ => *mfa = None,
        }
        Ok(())
    })?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `DELETE /api/v2/users/{id}/authentication-methods` and `DELETE …/authenticators`: 204; the
/// user logs in with the password alone again.
pub(crate) async fn delete_all(State(st): State<Arc<TenantState>>, Path(id): Path<String>) -> Res {
    user_of(&st, &id)?;
    change(&st, &id, |mfa| {
        *mfa = None;
        Ok(())
    })?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /api/v2/users/{id}/enrollments`: Guardian's view of the enrolment.
pub(crate) async fn enrollments(State(st): State<Arc<TenantState>>, Path(id): Path<String>) -> Res {
    let user = user_of(&st, &id)?;
    let list: Vec<Value> = user
        .mfa
        .iter()
        .map(|m| {
            let mut e = json!({
                "id": format!("dev_{}", device(&user, m)),
                "status": "confirmed",
                "type": "authenticator",
                "auth_method": "authenticator",
                "enrolled_at": enrolled_at(&user, m),
            });
            if let Some(n) = &m.name {
                e["name"] = json!(n);
            }
            e
        })
        .collect();
    Ok(Json(list).into_response())
}

/// `POST /api/v2/users/{id}/recovery-code-regeneration`: a new recovery code replaces the
/// user's; `{"recovery_code": "…"}`.
pub(crate) async fn regenerate_recovery_code(
    State(st): State<Arc<TenantState>>,
    Path(id): Path<String>,
) -> Res {
    let user = user_of(&st, &id)?;
    if user.mfa.is_none() {
        return Err(ApiError::Invalid(
            "The user has no MFA enrolment to regenerate a recovery code for".into(),
        ));
    }
    let code = crate::tenant::mfa::new_recovery_code();
    let fresh = code.clone();
    change(&st, &id, move |mfa| {
        if let Some(m) = mfa.as_mut() {
            m.recovery_codes = vec![fresh];
        }
        Ok(())
    })?;
    Ok(Json(json!({ "recovery_code": code })).into_response())
}
