//! The control API: steer a running tenant from any language, as `MockTenant` does in Rust.
//!
//! Two families of routes, both JSON:
//! - Auth0's Management API where Auth0 has one: `GET /api/v2/keys/signing`,
//!   `POST /api/v2/keys/signing/rotate`, `PUT /api/v2/keys/signing/{kid}/revoke`.
//! - `/control/...` for what only a mock has: keys (publish a next key, retire), the virtual
//!   clock, faults, JWKS/discovery overrides, the DPoP nonce, the journal and call counts,
//!   minting any token or proof the builders can ([`crate::TokenSpec`], [`crate::ProofSpec`]),
//!   reset, and delegating discovery and JWKS to another tenant ([`upstream`], how
//!   `mock-idp conformance --tenant URL` attaches to a running tenant).
//!
//! Each route calls the same component a `MockTenant` method calls (the key ring, clock, fault
//! table, journal), so Rust tests and HTTP clients steer one implementation.
//!
//! Every route needs `Authorization: Bearer` with the tenant's admin secret (printed by
//! `mock-idp serve`, [`crate::MockTenant::admin_secret`]) or a Management API access token of
//! this tenant with the route's scope, as Auth0 requires (see [`auth`]). A tenant built with
//! the control API off answers these paths 404 like any unknown path. The routes are listed in
//! [`ROUTES`] and documented in `mock-idp/openapi/control.json`; a test keeps the three in step.

mod auth;
mod error;
mod mint;
pub(crate) mod signing_keys;
pub(crate) mod tenant;
pub(crate) mod upstream;

use std::sync::Arc;

use axum::Router;
use axum::middleware;
use axum::routing::{get, post, put};

pub(crate) use error::ControlError;

use crate::tenant::state::TenantState;

/// Every control route: method, path (axum syntax) and the scope a Management API token needs.
pub const ROUTES: &[(&str, &str, &str)] = &[
    ("GET", "/api/v2/keys/signing", "read:signing_keys"),
    ("POST", "/api/v2/keys/signing/rotate", "create:signing_keys"),
    (
        "PUT",
        "/api/v2/keys/signing/{kid}/revoke",
        "update:signing_keys",
    ),
    ("POST", "/control/keys/publish-next", "update:signing_keys"),
    ("POST", "/control/keys/{kid}/retire", "update:signing_keys"),
    ("GET", "/control/clock", "read:mock_tenant"),
    ("POST", "/control/clock", "update:mock_tenant"),
    ("GET", "/control/faults", "read:mock_tenant"),
    ("POST", "/control/faults", "update:mock_tenant"),
    ("DELETE", "/control/faults", "update:mock_tenant"),
    ("PUT", "/control/overrides/{document}", "update:mock_tenant"),
    (
        "DELETE",
        "/control/overrides/{document}",
        "update:mock_tenant",
    ),
    ("PUT", "/control/dpop-nonce", "update:mock_tenant"),
    ("DELETE", "/control/dpop-nonce", "update:mock_tenant"),
    ("GET", "/control/journal", "read:mock_tenant"),
    ("DELETE", "/control/journal", "update:mock_tenant"),
    ("GET", "/control/stats", "read:mock_tenant"),
    ("POST", "/control/tokens", "create:mock_tokens"),
    ("POST", "/control/proofs", "create:mock_tokens"),
    ("POST", "/control/reset", "update:mock_tenant"),
    ("GET", "/control/upstream", "read:mock_tenant"),
    ("PUT", "/control/upstream", "update:mock_tenant"),
    ("DELETE", "/control/upstream", "update:mock_tenant"),
];

/// Whether `path` belongs to the control API (kept out of the journal and the call counts:
/// steering the tenant is not traffic to it).
pub(crate) fn is_control_path(path: &str) -> bool {
    path.starts_with("/control/") || path.starts_with("/api/v2/")
}

/// The control routes, behind the authentication middleware.
pub(crate) fn router(state: Arc<TenantState>) -> Router<Arc<TenantState>> {
    Router::new()
        .route("/api/v2/keys/signing", get(signing_keys::list))
        .route("/api/v2/keys/signing/rotate", post(signing_keys::rotate))
        .route(
            "/api/v2/keys/signing/{kid}/revoke",
            put(signing_keys::revoke),
        )
        .route(
            "/control/keys/publish-next",
            post(signing_keys::publish_next),
        )
        .route("/control/keys/{kid}/retire", post(signing_keys::retire))
        .route("/control/clock", get(tenant::clock).post(tenant::set_clock))
        .route(
            "/control/faults",
            get(tenant::faults)
                .post(tenant::add_fault)
                .delete(tenant::clear_faults),
        )
        .route(
            "/control/overrides/{document}",
            put(tenant::set_override).delete(tenant::clear_override),
        )
        .route(
            "/control/dpop-nonce",
            put(tenant::require_nonce).delete(tenant::disable_nonce),
        )
        .route(
            "/control/journal",
            get(tenant::journal).delete(tenant::clear_journal),
        )
        .route("/control/stats", get(tenant::stats))
        .route("/control/tokens", post(mint::token))
        .route("/control/proofs", post(mint::proof))
        .route("/control/reset", post(tenant::reset))
        .route(
            "/control/upstream",
            get(upstream::get)
                .put(upstream::set)
                .delete(upstream::clear),
        )
        .route_layer(middleware::from_fn_with_state(state, auth::require))
}
