//! The control API's door: the route's scope from the route table ([`super::scope_for`]), the caller's bearer credential,
//! and the one rule in [`crate::tenant::access`] that decides who may change the tenant. The caller it
//! lets in rides along in the request's extensions (`POST /control/tokens` needs it).

use std::sync::Arc;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::{ControlError, scope_for};
use crate::tenant::access::{self, Credential, Denied};
use crate::tenant::state::TenantState;

/// The middleware: 404 when the control API is off, else 401/403 unless the caller may use
/// the matched route.
pub(crate) async fn require(
    State(st): State<Arc<TenantState>>,
    path: MatchedPath,
    mut req: Request,
    next: Next,
) -> Response {
    if st.admin_secret().is_none() {
        return crate::responses::not_found().await;
    }
    let scope = scope_for(req.method().as_str(), path.as_str());
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, cred)| cred.trim());
    let management = req.uri().path().starts_with("/api/v2/");
    let mut res = match access::authorize(&st, Credential::Bearer(bearer), scope) {
        Ok(caller) => {
            req.extensions_mut().insert(caller);
            next.run(req).await
        }
        Err(e) => ControlError::from(e).into_response(),
    };
    if management {
        rate_limit_headers(&mut res, st.mint.clock.now());
    }
    res
}

/// Auth0's Management API rate-limit headers. The tenant does not limit (a test tenant serves
/// its one caller): it tells clients so with a full bucket that refills each second.
fn rate_limit_headers(res: &mut Response, now: i64) {
    let h = res.headers_mut();
    h.insert("x-ratelimit-limit", HeaderValue::from_static("50"));
    h.insert("x-ratelimit-remaining", HeaderValue::from_static("49"));
    if let Ok(v) = HeaderValue::from_str(&(now + 1).to_string()) {
        h.insert("x-ratelimit-reset", v);
    }
}

impl From<Denied> for ControlError {
    fn from(d: Denied) -> Self {
        match d {
            Denied::InsufficientScope(s) => ControlError::InsufficientScope(s),
            Denied::NotClientCredentials => ControlError::Forbidden(d.to_string()),
            Denied::Missing | Denied::InvalidToken => ControlError::Unauthorized(d.to_string()),
        }
    }
}
