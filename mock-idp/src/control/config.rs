//! `GET /control/config`: the tenant's configuration as it runs now, as the tenant TOML's
//! data in JSON (`mock-idp export` writes it as TOML or as a Deploy CLI `tenant.yaml`).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

use crate::tenant::state::TenantState;

/// `GET /control/config`.
pub(super) async fn get(State(st): State<Arc<TenantState>>) -> Response {
    Json(st.mint.config.as_ref().clone()).into_response()
}
