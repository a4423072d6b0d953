//! Auth0's Guardian settings the tenant models: the MFA policy (`GET`/`PUT
//! /api/v2/guardian/policies`: `[]` or `["all-applications"]`) and the OTP factor (`PUT
//! /api/v2/guardian/factors/otp` `{"enabled": true}`; OTP is the only factor modelled and is
//! always on). The policy is the tenant's `mfa_policy` setting, so `tenant.json` keeps it.
//!
//! Auth0's `"confidence-score"` (Adaptive MFA, an Enterprise add-on) is refused with 400: a
//! tenant that pretended to apply it would ask for MFA where Auth0 would not, or the reverse.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::response::IntoResponse;
use serde_json::{Value, json};

use super::error::{ApiError, JsonBody, Res};
use crate::config::MfaPolicy;
use crate::tenant::state::TenantState;

/// Auth0's policy names.
const ALL_APPLICATIONS: &str = "all-applications";
const CONFIDENCE_SCORE: &str = "confidence-score";

fn policies_json(policy: MfaPolicy) -> Value {
    match policy {
        MfaPolicy::None => json!([]),
        MfaPolicy::AllApplications => json!([ALL_APPLICATIONS]),
    }
}

/// `GET /api/v2/guardian/policies`.
pub(crate) async fn get_policies(State(st): State<Arc<TenantState>>) -> Res {
    Ok(Json(policies_json(st.config().mfa_policy)).into_response())
}

/// `PUT /api/v2/guardian/policies`: the whole list, `[]` (no policy) or
/// `["all-applications"]`.
pub(crate) async fn put_policies(State(st): State<Arc<TenantState>>, body: JsonBody) -> Res {
    let Value::Array(items) = body?.0 else {
        return Err(ApiError::Payload(
            "Expected type array but found type other".into(),
        ));
    };
    let mut policy = MfaPolicy::None;
    for item in &items {
        match item.as_str() {
            Some(ALL_APPLICATIONS) => policy = MfaPolicy::AllApplications,
            Some(CONFIDENCE_SCORE) => {
                return Err(ApiError::Invalid(
                    "The confidence-score policy (Adaptive MFA) is not modelled by this tenant"
                        .into(),
                ));
            }
            _ => {
                return Err(ApiError::Payload(format!(
                    "No enum match for: {item} (allowed: {ALL_APPLICATIONS}, {CONFIDENCE_SCORE})"
                )));
            }
        }
    }
    st.model.update_tenant_settings(|cfg| {
        cfg.mfa_policy = policy;
        Ok(())
    })?;
    Ok(Json(policies_json(policy)).into_response())
}

/// `PUT /api/v2/guardian/factors/otp` `{"enabled": true}`: OTP is always on here, so only
/// `true` is taken.
pub(crate) async fn put_otp_factor(body: JsonBody) -> Res {
    let b = super::body::Body::new(body?.0, &["enabled"])?;
    match b.0.get("enabled") {
        Some(Value::Bool(true)) => Ok(Json(json!({"enabled": true})).into_response()),
        Some(Value::Bool(false)) => Err(ApiError::Invalid(
            "Disabling the otp factor is not modelled by this tenant (it is the only factor)"
                .into(),
        )),
        Some(_) => Err(ApiError::Payload(
            "Expected type boolean on property enabled".into(),
        )),
        None => Err(ApiError::Payload(
            "Missing required property: enabled".into(),
        )),
    }
}
