//! `/api/v2/tenants/settings`: the tenant-wide settings the mock models: the default audience
//! (the first API: what `client_credentials` without `audience` gets), the default directory
//! (the password grant's connection), Allowed Logout URLs, session lifetimes (hours).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::response::IntoResponse;
use serde_json::{Value, json};

use super::body::Body;
use super::error::{ApiError, JsonBody, Res};
use crate::config::{Snapshot, lifetime_problem};
use crate::tenant::model::{EntryKind, ModelError};
use crate::tenant::state::TenantState;

fn settings_json(cfg: &Snapshot) -> Value {
    json!({
        "default_audience": cfg.default_api().map(|a| a.identifier.clone()).unwrap_or_default(),
        "default_directory": cfg.default_directory.clone().unwrap_or_default(),
        "allowed_logout_urls": cfg.allowed_logout_urls,
        "session_lifetime": cfg.session_lifetime,
        "idle_session_lifetime": cfg.idle_session_lifetime,
        "enabled_locales": ["en"],
        "flags": {
            "enable_client_connections": true,
            "revoke_refresh_token_grant": false,
            "disable_clickjack_protection_headers": false,
        },
        "sandbox_version": "18",
    })
}

/// `GET /api/v2/tenants/settings`.
pub(crate) async fn get(State(st): State<Arc<TenantState>>) -> Res {
    Ok(Json(settings_json(&st.config())).into_response())
}

/// `PATCH /api/v2/tenants/settings`: `default_audience` (an existing API, then the first),
/// `default_directory` (the database connection, or `""` for none), `allowed_logout_urls`,
/// `session_lifetime` and `idle_session_lifetime` (whole hours within Auth0's limits).
pub(crate) async fn patch(State(st): State<Arc<TenantState>>, body: JsonBody) -> Res {
    let b = Body::new(
        body?.0,
        &[
            "default_audience",
            "default_directory",
            "allowed_logout_urls",
            "friendly_name",
            "session_lifetime",
            "idle_session_lifetime",
            "flags",
            "enabled_locales",
            "picture_url",
            "support_email",
            "support_url",
        ],
    )?;
    let lifetime = |name: &str| -> Result<Option<u32>, ApiError> {
        let Some(v) = b.0.get(name) else {
            return Ok(None);
        };
        let hours = v.as_u64().and_then(|h| u32::try_from(h).ok()).unwrap_or(0);
        match lifetime_problem(name, hours) {
            None => Ok(Some(hours)),
            Some(problem) => Err(ApiError::Payload(problem)),
        }
    };
    let session_lifetime = lifetime("session_lifetime")?;
    let idle_session_lifetime = lifetime("idle_session_lifetime")?;
    let audience = match b.0.get("default_audience") {
        Some(Value::String(s)) => Some(s.clone()),
        None => None,
        Some(_) => {
            return Err(ApiError::Payload(
                "Expected type string on property default_audience".into(),
            ));
        }
    };
    let directory = match b.0.get("default_directory") {
        Some(Value::String(s)) => Some(s.clone()),
        None => None,
        Some(_) => {
            return Err(ApiError::Payload(
                "Expected type string on property default_directory".into(),
            ));
        }
    };
    let logout = b.strings("allowed_logout_urls")?;
    st.model.update_tenant_settings(|cfg| {
        if let Some(a) = audience.filter(|a| !a.is_empty()) {
            let at = cfg
                .apis
                .iter()
                .position(|x| x.identifier == a)
                .ok_or(ModelError::NotFound(EntryKind::ResourceServer))?;
            let api = cfg.apis.remove(at);
            cfg.apis.insert(0, api);
        }
        if let Some(d) = directory {
            cfg.default_directory = (!d.is_empty()).then_some(d);
        }
        if let Some(l) = logout {
            cfg.allowed_logout_urls = l;
        }
        if let Some(h) = session_lifetime {
            cfg.session_lifetime = h;
        }
        if let Some(h) = idle_session_lifetime {
            cfg.idle_session_lifetime = h;
        }
        Ok(())
    })?;
    Ok(Json(settings_json(&st.config())).into_response())
}
