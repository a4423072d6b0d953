//! `GET /control/config`: the tenant's configuration as it runs now, as the tenant TOML's
//! data in JSON (`mock-idp export` writes it as TOML or as a Deploy CLI `tenant.yaml`).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

use crate::config::{MANAGEMENT_API, TenantConfig};
use crate::tenant::state::TenantState;

/// `GET /control/config`.
pub(super) async fn get(State(st): State<Arc<TenantState>>) -> Response {
    Json(as_file(st.config().to_config())).into_response()
}

/// The configuration as a file would say it: the Management API, which the tenant adds
/// under its own domain when it starts, goes back to the `https://{domain}/api/v2/` its
/// grants name, so the file works on any port.
fn as_file(mut config: TenantConfig) -> TenantConfig {
    let management: Vec<String> = config
        .apis
        .iter()
        .filter(|a| a.is_management_api())
        .map(|a| a.identifier.clone())
        .collect();
    config.apis.retain(|a| !a.is_management_api());
    for app in &mut config.applications {
        for id in &management {
            if let Some(scopes) = app.grants.remove(id) {
                app.grants.insert(MANAGEMENT_API.to_owned(), scopes);
            }
        }
    }
    config
}
