//! Logout: Auth0's `GET /v2/logout` and OIDC RP-Initiated Logout at `GET /oidc/logout`. Both
//! end the tenant session and send the browser only to a URL the application (or tenant)
//! allows: anything else is an error page, never a redirect (no open redirector).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::Value;

use crate::browser::authorize::{add_cookie, found};
use crate::browser::html;
use crate::mint::user_tokens::verify_own;
use crate::tenant::session::{SESSION_COOKIE, set_cookie};
use crate::tenant::state::TenantState;

/// `GET /v2/logout?returnTo&client_id&federated`.
pub(crate) async fn v2_logout(
    State(st): State<Arc<TenantState>>,
    headers: HeaderMap,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    let cfg = &st.config();
    let allowed: &[String] = match q.get("client_id").filter(|c| !c.is_empty()) {
        Some(id) => match cfg.application(id) {
            Some(app) => &app.allowed_logout_urls,
            None => return bad(&format!("Unknown client: {id}")),
        },
        None => &cfg.allowed_logout_urls,
    };
    let target = match q.get("returnTo").filter(|r| !r.is_empty()) {
        Some(r) if allowed.iter().any(|a| same_logout_url(a, r)) => Some(r.clone()),
        Some(r) => {
            return bad(&format!(
                "The \"returnTo\" querystring parameter \"{r}\" is not defined as a valid URL in \"Allowed Logout URLs\"."
            ));
        }
        // `client_id` alone: the application's first allowed URL.
        None => q.get("client_id").and_then(|_| allowed.first().cloned()),
    };
    end_session(&st, &headers, target.as_deref())
}

/// `GET /oidc/logout?id_token_hint&client_id&post_logout_redirect_uri&state`.
pub(crate) async fn oidc_logout(
    State(st): State<Arc<TenantState>>,
    headers: HeaderMap,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    let get = |k: &str| q.get(k).filter(|v| !v.is_empty());
    let hinted_client = match get("id_token_hint") {
        None => None,
        // An expired ID token is still a fine hint (OIDC RP-Initiated Logout §2).
        Some(hint) => match verify_own(&st.mint_for(&headers), hint, false) {
            Ok(claims) => claims.get("aud").and_then(Value::as_str).map(str::to_owned),
            Err(_) => return bad("Invalid id_token_hint"),
        },
    };
    let client_id = match (get("client_id"), hinted_client) {
        (Some(c), Some(h)) if *c != h => {
            return bad("The client_id does not match the id_token_hint");
        }
        (Some(c), _) => Some(c.clone()),
        (None, h) => h,
    };
    let target = match get("post_logout_redirect_uri") {
        None => None,
        Some(uri) => {
            let cfg = st.config();
            let app = client_id.as_deref().and_then(|c| cfg.application(c));
            let Some(app) = app else {
                return bad("post_logout_redirect_uri requires a valid id_token_hint or client_id");
            };
            // Exact match, query included (OIDC RP-Initiated Logout §3).
            if !app.allowed_logout_urls.iter().any(|a| a == uri) {
                return bad(
                    "The post_logout_redirect_uri is not in the list of allowed logout URLs",
                );
            }
            let mut url = match url::Url::parse(uri) {
                Ok(u) => u,
                Err(_) => return bad("Invalid post_logout_redirect_uri"),
            };
            if let Some(state) = get("state") {
                url.query_pairs_mut().append_pair("state", state);
            }
            Some(url.to_string())
        }
    };
    end_session(&st, &headers, target.as_deref())
}

/// Ends the session, clears its cookie, and goes to `target` or shows the logged-out page.
fn end_session(st: &TenantState, headers: &HeaderMap, target: Option<&str>) -> Response {
    st.sessions.end(headers);
    let mut res = match target {
        Some(t) => found(t),
        None => html::respond(
            StatusCode::OK,
            html::page(
                "Logged out",
                "<h1 data-testid=\"logged-out\">You are logged out</h1><p>You can close this window.</p>",
            ),
            "",
        ),
    };
    add_cookie(&mut res, &set_cookie(SESSION_COOKIE, "", 0, st.is_https()));
    res
}

fn bad(description: &str) -> Response {
    html::error_page(StatusCode::BAD_REQUEST, "invalid_request", description)
}

/// Auth0's rule for `returnTo`: scheme, host (case-insensitive), port and path (case-sensitive)
/// must match an allowed URL; query and fragment are ignored.
fn same_logout_url(allowed: &str, asked: &str) -> bool {
    let (Ok(a), Ok(b)) = (url::Url::parse(allowed), url::Url::parse(asked)) else {
        return false;
    };
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
        && a.path() == b.path()
        && b.username().is_empty()
        && b.password().is_none()
}

#[cfg(test)]
mod tests {
    use super::same_logout_url;

    #[test]
    fn return_to_matching_ignores_query_and_host_case_only() {
        let a = "http://localhost:3000/bye";
        assert!(same_logout_url(a, "http://LOCALHOST:3000/bye?x=1#y"));
        assert!(!same_logout_url(a, "http://localhost:3000/Bye"));
        assert!(!same_logout_url(a, "http://localhost:3000/bye/more"));
        assert!(!same_logout_url(
            a,
            "http://localhost:3000.evil.example/bye"
        ));
        assert!(!same_logout_url(a, "http://evil@localhost:3000/bye"));
        assert!(!same_logout_url(a, "https://localhost:3000/bye"));
    }
}
