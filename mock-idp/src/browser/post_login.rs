//! The post-login Actions of a browser login: run when `/authorize` completes (after the
//! form, or with an SSO session), before the code is issued, as Auth0 runs them. What they ask
//! of the tokens travels with the code; a deny or a failure goes back to the application as
//! `error=access_denied` with the reason (or the Action's error message) as
//! `error_description`, as Auth0 sends it.

use std::collections::BTreeMap;
use std::net::IpAddr;

use axum::http::HeaderMap;

use crate::actions::event::{Login, RequestInfo};
use crate::actions::{FlowError, TokenChanges};
use crate::tenant::authorize_request::{AuthorizeRequest, ResponseMode};
use crate::tenant::session::Session;
use crate::tenant::state::TenantState;

/// The query `/authorize` was called with, as `event.request.query` shows it.
fn query_of(request: &AuthorizeRequest) -> BTreeMap<String, String> {
    let mut q = BTreeMap::from([
        ("client_id".to_owned(), request.client_id.clone()),
        ("redirect_uri".to_owned(), request.redirect_uri.clone()),
        ("response_type".to_owned(), "code".to_owned()),
        ("scope".to_owned(), request.scopes.join(" ")),
    ]);
    for (k, v) in [
        ("state", &request.state),
        ("nonce", &request.nonce),
        ("audience", &request.audience),
        ("organization", &request.organization),
    ] {
        if let Some(v) = v {
            q.insert(k.to_owned(), v.clone());
        }
    }
    q
}

fn mode_name(m: ResponseMode) -> &'static str {
    match m {
        ResponseMode::Query => "query",
        ResponseMode::Fragment => "fragment",
        ResponseMode::FormPost => "form_post",
        ResponseMode::WebMessage => "web_message",
    }
}

/// Runs the tenant's post-login Actions for `session`'s user completing `request`.
pub(crate) async fn run(
    st: &TenantState,
    request: &AuthorizeRequest,
    session: &Session,
    headers: &HeaderMap,
    peer: Option<IpAddr>,
) -> Result<TokenChanges, FlowError> {
    let cfg = &st.config();
    let Some(user) = cfg.user(&session.user_id) else {
        return Ok(TokenChanges::default());
    };
    let Some(app) = st.application(cfg, &request.client_id) else {
        return Ok(TokenChanges::default());
    };
    let app = &*app;
    st.actions.count_login(&session.user_id);
    let login = Login {
        user,
        app,
        audience: request.audience.as_deref(),
        scopes: &request.scopes,
        organization: request.organization.as_deref(),
        protocol: "oidc-basic-profile",
        request: RequestInfo::new(headers, peer, "GET", &query_of(request), &BTreeMap::new()),
        redirect_uri: Some(&request.redirect_uri),
        response_mode: Some(mode_name(request.response_mode)),
        state: request.state.as_deref(),
        session_id: &session.sid,
        auth_time: session.auth_time,
    };
    st.actions
        .post_login(cfg, &st.mint_for(headers).issuer, &login, st)
        .await
}
