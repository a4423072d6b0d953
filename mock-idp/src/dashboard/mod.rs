//! The Test page (`/dashboard`): the tenant in a browser, like the Auth0 dashboard's API "Test"
//! tab. It shows the tenant's facts (issuer, endpoints, how to trust its CA), its APIs,
//! applications and users, mints tokens (encoded, decoded, with curl lines), and drives key
//! rotation, the clock and faults, with the request journal below; its users, roles and
//! applications lists create and delete through the tenant model, as the Management API does.
//!
//! Plain HTML forms posting back to the tenant: every core action works with JavaScript off;
//! one small script (allowed by its hash in the CSP) only refreshes the journal. It is part of
//! the control API: off with it, and it asks for the admin secret once, then keeps a session
//! cookie (a random id the tenant keeps; HttpOnly, SameSite=Strict, Secure over HTTPS) so that
//! another site cannot post its forms.

mod actions;
mod model;
mod render;

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::tenant::access::{self, Credential};
use crate::tenant::state::TenantState;

/// The cookie that carries the Test page session id once the admin secret has been typed in
/// (a random id the tenant keeps, never the secret: cookies do not isolate by port).
const COOKIE: &str = "mock_idp_admin";

pub(crate) fn router(state: Arc<TenantState>) -> Router<Arc<TenantState>> {
    let guarded = Router::new()
        .route("/dashboard", get(render::page))
        .route("/dashboard/journal", get(render::journal_fragment))
        .route("/dashboard/ca.pem", get(render::ca_pem))
        .route("/dashboard/mint", post(actions::mint))
        .route("/dashboard/keys/rotate", post(actions::rotate))
        .route("/dashboard/keys/revoke", post(actions::revoke))
        .route("/dashboard/clock", post(actions::clock))
        .route("/dashboard/faults", post(actions::add_fault))
        .route("/dashboard/faults/clear", post(actions::clear_faults))
        .route("/dashboard/reset", post(actions::reset))
        .route("/dashboard/users", post(model::create_user))
        .route("/dashboard/users/delete", post(model::delete_user))
        .route("/dashboard/roles", post(model::create_role))
        .route("/dashboard/roles/delete", post(model::delete_role))
        .route("/dashboard/applications", post(model::create_client))
        .route("/dashboard/applications/delete", post(model::delete_client))
        .route_layer(middleware::from_fn_with_state(state.clone(), require));
    Router::new()
        .route("/dashboard/session", post(actions::sign_in))
        .merge(guarded)
}

/// Whether `path` belongs to the Test page (kept out of the journal, like the control API).
pub(crate) fn is_dashboard_path(path: &str) -> bool {
    path == "/dashboard" || path.starts_with("/dashboard/")
}

/// 404 with the control API off; the sign-in form without a live session; for a POST, also
/// the tenant's own origin (defence in depth beside SameSite=Strict). Who may pass is decided
/// by [`crate::tenant::access::authorize`], as for the control API.
async fn require(State(st): State<Arc<TenantState>>, req: Request, next: Next) -> Response {
    if st.admin_secret().is_none() {
        return crate::responses::not_found().await;
    }
    let session = session_cookie(req.headers());
    let credential = Credential::TestPageSession(session.as_deref());
    if access::authorize(&st, credential, "update:mock_tenant").is_err() {
        return render::sign_in(StatusCode::UNAUTHORIZED, None);
    }
    if req.method() == Method::POST && !same_origin(req.headers()) {
        return (StatusCode::FORBIDDEN, "cross-origin form refused").into_response();
    }
    next.run(req).await
}

/// The Test page session id the browser sent, if any.
fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_owned())
}

/// A browser's `Origin` (or, without one, `Referer`) is the page's own origin: the host and
/// port the request was sent to.
fn same_origin(headers: &HeaderMap) -> bool {
    let source = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|v| v.to_str().ok());
    let Some(source) = source else {
        // Non-browser clients (curl, tests over plain HTTP) send neither.
        return true;
    };
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    match (url::Url::parse(source), host) {
        (Ok(u), Some(host)) => {
            let authority = match (u.host_str(), u.port()) {
                (Some(h), Some(p)) => format!("{h}:{p}"),
                (Some(h), None) => h.to_owned(),
                _ => return false,
            };
            authority.eq_ignore_ascii_case(host)
        }
        _ => false,
    }
}
