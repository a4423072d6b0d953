//! RFC 7591 dynamic client registration at Auth0's path, `POST /oidc/register`: off unless the
//! tenant file sets Auth0's tenant flag `enable_dynamic_client_registration = true` (404 like
//! any path the tenant does not serve otherwise). A registration creates a third-party
//! application (public with `token_endpoint_auth_method = "none"`, else confidential) through
//! the tenant model's `create_client`, the same write as every other face's; it can then log
//! users in at `/authorize` and nothing else (no client_credentials, no client grant, so no
//! Management API token).
//!
//! Bounds (an unauthenticated caller makes the tenant store something): a request of at most
//! 16 KiB of JSON; at most [`MAX_REGISTERED`] third-party applications in the tenant; at most
//! 20 registrations a minute of the tenant's clock (429 with `Retry-After` beyond; tests move
//! `tenant.clock()` to reach the 100 without waiting).

mod metadata;

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::config::AuthMethod;
use crate::tenant::state::TenantState;
use metadata::Refused;

/// Most third-party applications the tenant holds before registration is refused.
pub(crate) const MAX_REGISTERED: usize = 100;

fn error(status: StatusCode, code: &str, description: impl Into<String>) -> Response {
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        axum::Json(json!({"error": code, "error_description": description.into()})),
    )
        .into_response()
}

/// `POST /oidc/register`.
pub(crate) async fn register(
    State(st): State<Arc<TenantState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let cfg = st.config();
    if !cfg.enable_dynamic_client_registration {
        return crate::responses::not_found().await;
    }
    let json_body = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.to_ascii_lowercase().starts_with("application/json"));
    if !json_body {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_client_metadata",
            "Content-Type must be application/json",
        );
    }
    if body.len() > metadata::MAX_BYTES {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_client_metadata",
            format!(
                "Client metadata is larger than {} bytes",
                metadata::MAX_BYTES
            ),
        );
    }
    let Ok(doc) = serde_json::from_slice::<Value>(&body) else {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_client_metadata",
            "The request body is not JSON",
        );
    };
    let client_id = crate::jose::random_id();
    let app = match metadata::application(&doc, client_id, || {
        format!("{}{}", crate::jose::random_id(), crate::jose::random_id())
    }) {
        Ok(app) => app,
        Err(r @ (Refused::RedirectUri(_) | Refused::Metadata(_))) => {
            return error(StatusCode::BAD_REQUEST, r.code(), r.to_string());
        }
    };
    let registered = cfg
        .applications
        .iter()
        .filter(|a| !a.is_first_party)
        .count();
    if registered >= MAX_REGISTERED {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_client_metadata",
            format!("The tenant holds its maximum of {MAX_REGISTERED} registered clients"),
        );
    }
    if let Err(seconds) = st.registrations.admit(st.mint.clock.now()) {
        let mut res = error(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
            "Too many client registrations, retry later",
        );
        res.headers_mut()
            .insert(header::RETRY_AFTER, seconds.into());
        return res;
    }
    let app = match st.model.create_client(app) {
        Ok(app) => app,
        // The model's bounds (applications, bytes) and its validation of the application.
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_client_metadata",
                e.to_string(),
            );
        }
    };
    let method = app.token_endpoint_auth_method.unwrap_or(AuthMethod::None);
    let mut out = json!({
        "client_id": app.client_id,
        "client_id_issued_at": st.mint.clock.now(),
        "redirect_uris": app.callbacks,
        "grant_types": app.grant_types.iter().flatten().map(|g| g.as_str()).collect::<Vec<_>>(),
        "response_types": ["code"],
        "token_endpoint_auth_method": method,
    });
    if let Some(name) = &app.name {
        out["client_name"] = json!(name);
    }
    if !app.client_secret.is_empty() {
        out["client_secret"] = json!(app.client_secret);
        out["client_secret_expires_at"] = json!(0);
    }
    (
        StatusCode::CREATED,
        [(header::CACHE_CONTROL, "no-store")],
        axum::Json(out),
    )
        .into_response()
}
