//! The control API: steer a running tenant from any language, as `MockTenant` does in Rust.
//!
//! Two families of routes, both JSON:
//! - Auth0's Management API where Auth0 has one: `GET /api/v2/keys/signing`,
//!   `POST /api/v2/keys/signing/rotate`, `PUT /api/v2/keys/signing/{kid}/revoke`.
//! - `/control/...` for what only a mock has: keys (publish a next key, retire), the virtual
//!   clock, faults, JWKS/discovery overrides, the DPoP nonce, the journal and call counts,
//!   minting any token or proof the builders can ([`crate::spec::TokenSpec`], [`crate::spec::ProofSpec`]),
//!   reset, and delegating discovery and JWKS to another tenant ([`upstream`], how
//!   `mock-idp conformance --tenant URL` attaches to a running tenant).
//!
//! Each route calls the same component a `MockTenant` method calls (the key ring, clock, fault
//! table, journal), so Rust tests and HTTP clients steer one implementation.
//!
//! Every route needs `Authorization: Bearer` with the tenant's admin secret (printed by
//! `mock-idp serve`, [`crate::handles::ControlApi::admin_secret`]) or a Management API access token of
//! this tenant with the route's scope, as Auth0 requires (see [`auth`]). A tenant built with
//! the control API off answers these paths 404 like any unknown path. Each route is registered
//! once, with its scope, in [`table`]: that one call both routes it and lists it in [`routes`],
//! which `mock-idp/openapi/control.json` is checked against.

mod auth;
mod config;
mod error;
mod mint;
pub(crate) mod signing_keys;
pub(crate) mod tenant;
pub(crate) mod upstream;

use std::sync::Arc;

use std::sync::LazyLock;

use axum::Router;
use axum::handler::Handler;
use axum::middleware;
use axum::routing::{self, MethodRouter};

pub(crate) use error::ControlError;

use crate::tenant::state::TenantState;

/// One control route: its method, its path (axum syntax) and the scope a Management API
/// token needs to call it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    /// `GET`, `POST`, `PUT`, `PATCH` or `DELETE`.
    pub method: &'static str,
    /// The path, with `{kid}`-style parameters.
    pub path: &'static str,
    /// The Management API scope that grants it.
    pub scope: &'static str,
}

/// Every control route, in the order the control API registers them: the list the
/// authentication middleware takes scopes from and `openapi/control.json` is checked against.
pub fn routes() -> &'static [Route] {
    static ROUTES: LazyLock<Vec<Route>> = LazyLock::new(|| table().routes);
    &ROUTES
}

/// The scope `method path` needs (`path` as matched, with its `{parameters}`); routes the
/// table does not know (none are served) need the broadest.
pub(crate) fn scope_for(method: &str, path: &str) -> &'static str {
    routes()
        .iter()
        .find(|r| r.method == method && r.path == path)
        .map_or(UPDATE, |r| r.scope)
}

/// The control API, one call per route with its scope: the router and the route list are
/// both built from here, so they cannot disagree.
#[rustfmt::skip] // one line per route: it reads as the table it is
fn table() -> Table {
    use signing_keys as keys;
    use crate::management::{actions, authentication_methods as mfa, clients, connections, guardian, invitations, org_links, organizations as orgs, resource_servers as apis, roles, tenant_settings, users};
    Table::default()
        .get("/api/v2/organizations", "read:organizations", orgs::list)
        .post("/api/v2/organizations", "create:organizations", orgs::create)
        .get("/api/v2/organizations/{id}", "read:organizations", orgs::get)
        .get("/api/v2/organizations/name/{name}", "read:organizations", orgs::by_name)
        .patch("/api/v2/organizations/{id}", "update:organizations", orgs::patch)
        .delete("/api/v2/organizations/{id}", "delete:organizations", orgs::delete)
        .get("/api/v2/organizations/{id}/members", "read:organization_members", orgs::members)
        .post("/api/v2/organizations/{id}/members", "create:organization_members", orgs::add_members)
        .delete("/api/v2/organizations/{id}/members", "delete:organization_members", orgs::remove_members)
        .get("/api/v2/organizations/{id}/members/{user_id}/roles", "read:organization_member_roles", orgs::member_roles)
        .post("/api/v2/organizations/{id}/members/{user_id}/roles", "create:organization_member_roles", orgs::assign_member_roles)
        .delete("/api/v2/organizations/{id}/members/{user_id}/roles", "delete:organization_member_roles", orgs::remove_member_roles)
        .get("/api/v2/organizations/{id}/enabled_connections", "read:organization_connections", orgs::enabled_connections)
        .post("/api/v2/organizations/{id}/enabled_connections", "create:organization_connections", orgs::enable_connection)
        .get("/api/v2/organizations/{id}/invitations", "read:organization_invitations", invitations::list)
        .post("/api/v2/organizations/{id}/invitations", "create:organization_invitations", invitations::create)
        .get("/api/v2/organizations/{id}/invitations/{invitation_id}", "read:organization_invitations", invitations::get)
        .delete("/api/v2/organizations/{id}/invitations/{invitation_id}", "delete:organization_invitations", invitations::delete)
        .get("/api/v2/organizations/{id}/client-grants", "read:organization_client_grants", org_links::list_grants)
        .post("/api/v2/organizations/{id}/client-grants", "create:organization_client_grants", org_links::add_grant)
        .delete("/api/v2/organizations/{id}/client-grants/{grant_id}", "delete:organization_client_grants", org_links::remove_grant)
        .get("/api/v2/organizations/{id}/connections", "read:organization_connections", org_links::connections)
        .get("/api/v2/organizations/{id}/discovery-domains", "read:organization_discovery_domains", org_links::discovery_domains)
        .get("/api/v2/organizations/{id}/clients", "read:organizations", org_links::clients)
        .get("/api/v2/connections", "read:connections", connections::list)
        .get("/api/v2/connections/{id}", "read:connections", connections::get)
        .get("/api/v2/tenants/settings", "read:tenant_settings", tenant_settings::get)
        .patch("/api/v2/tenants/settings", "update:tenant_settings", tenant_settings::patch)
        .get("/api/v2/guardian/policies", "read:mfa_policies", guardian::get_policies)
        .put("/api/v2/guardian/policies", "update:mfa_policies", guardian::put_policies)
        .put("/api/v2/guardian/factors/otp", "update:guardian_factors", guardian::put_otp_factor)
        .get("/api/v2/clients", "read:clients", clients::list)
        .post("/api/v2/clients", "create:clients", clients::create)
        .get("/api/v2/clients/{id}", "read:clients", clients::get)
        .patch("/api/v2/clients/{id}", "update:clients", clients::patch)
        .delete("/api/v2/clients/{id}", "delete:clients", clients::delete)
        .post("/api/v2/clients/{id}/rotate-secret", "update:client_keys", clients::rotate_secret)
        .get("/api/v2/client-grants", "read:client_grants", clients::list_grants)
        .post("/api/v2/client-grants", "create:client_grants", clients::create_grant)
        .patch("/api/v2/client-grants/{id}", "update:client_grants", clients::patch_grant)
        .delete("/api/v2/client-grants/{id}", "delete:client_grants", clients::delete_grant)
        .get("/api/v2/resource-servers", "read:resource_servers", apis::list)
        .post("/api/v2/resource-servers", "create:resource_servers", apis::create)
        .get("/api/v2/resource-servers/{id}", "read:resource_servers", apis::get)
        .patch("/api/v2/resource-servers/{id}", "update:resource_servers", apis::patch)
        .delete("/api/v2/resource-servers/{id}", "delete:resource_servers", apis::delete)
        .get("/api/v2/users", "read:users", users::list)
        .post("/api/v2/users", "create:users", users::create)
        .get("/api/v2/users-by-email", "read:users", users::by_email)
        .get("/api/v2/users/{id}", "read:users", users::get)
        .patch("/api/v2/users/{id}", "update:users", users::patch)
        .delete("/api/v2/users/{id}", "delete:users", users::delete)
        .get("/api/v2/users/{id}/roles", "read:roles", users::roles)
        .post("/api/v2/users/{id}/roles", "create:role_members", users::assign_roles)
        .delete("/api/v2/users/{id}/roles", "delete:role_members", users::remove_roles)
        .get("/api/v2/users/{id}/permissions", "read:users", users::permissions)
        .post("/api/v2/users/{id}/permissions", "update:users", users::add_permissions)
        .delete("/api/v2/users/{id}/permissions", "update:users", users::remove_permissions)
        .get("/api/v2/users/{id}/authentication-methods", "read:authentication_methods", mfa::list)
        .post("/api/v2/users/{id}/authentication-methods", "create:authentication_methods", mfa::create)
        .delete("/api/v2/users/{id}/authentication-methods", "delete:authentication_methods", mfa::delete_all)
        .get("/api/v2/users/{id}/authentication-methods/{method_id}", "read:authentication_methods", mfa::get)
        .delete("/api/v2/users/{id}/authentication-methods/{method_id}", "delete:authentication_methods", mfa::delete)
        .delete("/api/v2/users/{id}/authenticators", "delete:guardian_enrollments", mfa::delete_all)
        .get("/api/v2/users/{id}/enrollments", "read:users", mfa::enrollments)
        .post("/api/v2/users/{id}/recovery-code-regeneration", "update:users", mfa::regenerate_recovery_code)
        .get("/api/v2/roles", "read:roles", roles::list)
        .post("/api/v2/roles", "create:roles", roles::create)
        .get("/api/v2/roles/{id}", "read:roles", roles::get)
        .patch("/api/v2/roles/{id}", "update:roles", roles::patch)
        .delete("/api/v2/roles/{id}", "delete:roles", roles::delete)
        .get("/api/v2/roles/{id}/permissions", "read:roles", roles::permissions)
        .post("/api/v2/roles/{id}/permissions", "update:roles", roles::add_permissions)
        .delete("/api/v2/roles/{id}/permissions", "update:roles", roles::remove_permissions)
        .get("/api/v2/roles/{id}/users", "read:role_members", roles::users)
        .post("/api/v2/roles/{id}/users", "create:role_members", roles::assign_users)
        .get("/api/v2/actions/actions", "read:actions", actions::list)
        .post("/api/v2/actions/actions", "create:actions", actions::create)
        .get("/api/v2/actions/actions/{id}", "read:actions", actions::get)
        .patch("/api/v2/actions/actions/{id}", "update:actions", actions::patch)
        .delete("/api/v2/actions/actions/{id}", "delete:actions", actions::delete)
        .post("/api/v2/actions/actions/{id}/deploy", "create:actions", actions::deploy)
        .get("/api/v2/actions/actions/{id}/versions", "read:actions", actions::versions)
        .get("/api/v2/actions/actions/{id}/versions/{version_id}", "read:actions", actions::version)
        .get("/api/v2/actions/triggers", "read:actions", actions::triggers)
        .get("/api/v2/actions/triggers/{id}/bindings", "read:actions", actions::bindings)
        .patch("/api/v2/actions/triggers/{id}/bindings", "update:actions", actions::set_bindings)
        .get("/api/v2/keys/signing", READ_KEYS, keys::list)
        .post("/api/v2/keys/signing/rotate", CREATE_KEYS, keys::rotate)
        .put("/api/v2/keys/signing/{kid}/revoke", UPDATE_KEYS, keys::revoke)
        .post("/control/keys/publish-next", UPDATE_KEYS, keys::publish_next)
        .post("/control/keys/{kid}/retire", UPDATE_KEYS, keys::retire)
        .get("/control/clock", READ, tenant::clock)
        .post("/control/clock", UPDATE, tenant::set_clock)
        .get("/control/faults", READ, tenant::faults)
        .post("/control/faults", UPDATE, tenant::add_fault)
        .delete("/control/faults", UPDATE, tenant::clear_faults)
        .put("/control/overrides/{document}", UPDATE, tenant::set_override)
        .delete("/control/overrides/{document}", UPDATE, tenant::clear_override)
        .put("/control/dpop-nonce", UPDATE, tenant::require_nonce)
        .delete("/control/dpop-nonce", UPDATE, tenant::disable_nonce)
        .get("/control/journal", READ, tenant::journal)
        .delete("/control/journal", UPDATE, tenant::clear_journal)
        .get("/control/stats", READ, tenant::stats)
        .get("/control/config", READ, config::get)
        .post("/control/tokens", MINT, mint::token)
        .post("/control/proofs", MINT, mint::proof)
        .post("/control/reset", UPDATE, tenant::reset)
        .get("/control/upstream", READ, upstream::get)
        .put("/control/upstream", UPDATE, upstream::set)
        .delete("/control/upstream", UPDATE, upstream::clear)
}

// The scopes: Auth0's names for its signing-key routes, ours for what only a mock has.
const READ_KEYS: &str = "read:signing_keys";
const CREATE_KEYS: &str = "create:signing_keys";
const UPDATE_KEYS: &str = "update:signing_keys";
const READ: &str = "read:mock_tenant";
const UPDATE: &str = "update:mock_tenant";
const MINT: &str = "create:mock_tokens";

/// A router that records each route it adds, with its scope.
#[derive(Default)]
struct Table {
    router: Router<Arc<TenantState>>,
    routes: Vec<Route>,
}

impl Table {
    fn add(
        mut self,
        method: &'static str,
        path: &'static str,
        scope: &'static str,
        handler: MethodRouter<Arc<TenantState>>,
    ) -> Self {
        // axum merges the method routers of one path.
        self.router = self.router.route(path, handler);
        self.routes.push(Route {
            method,
            path,
            scope,
        });
        self
    }

    fn get<H: Handler<T, Arc<TenantState>>, T: 'static>(
        self,
        path: &'static str,
        scope: &'static str,
        h: H,
    ) -> Self {
        self.add("GET", path, scope, routing::get(h))
    }

    fn post<H: Handler<T, Arc<TenantState>>, T: 'static>(
        self,
        path: &'static str,
        scope: &'static str,
        h: H,
    ) -> Self {
        self.add("POST", path, scope, routing::post(h))
    }

    fn put<H: Handler<T, Arc<TenantState>>, T: 'static>(
        self,
        path: &'static str,
        scope: &'static str,
        h: H,
    ) -> Self {
        self.add("PUT", path, scope, routing::put(h))
    }

    fn patch<H: Handler<T, Arc<TenantState>>, T: 'static>(
        self,
        path: &'static str,
        scope: &'static str,
        h: H,
    ) -> Self {
        self.add("PATCH", path, scope, routing::patch(h))
    }

    fn delete<H: Handler<T, Arc<TenantState>>, T: 'static>(
        self,
        path: &'static str,
        scope: &'static str,
        h: H,
    ) -> Self {
        self.add("DELETE", path, scope, routing::delete(h))
    }
}

/// Whether `path` belongs to the control API (kept out of the journal and the call counts:
/// steering the tenant is not traffic to it).
pub(crate) fn is_control_path(path: &str) -> bool {
    path.starts_with("/control/") || path.starts_with("/api/v2/")
}

/// The control routes, behind the authentication middleware.
pub(crate) fn router(state: Arc<TenantState>) -> Router<Arc<TenantState>> {
    table()
        .router
        .route_layer(middleware::from_fn_with_state(state, auth::require))
}
