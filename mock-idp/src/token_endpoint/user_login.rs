//! The tokens a user login gets at the token endpoint, whichever grant proved who the user
//! is (the password grants, their MFA step, the device code): what a browser login with the
//! same scopes and audience would get, a refresh token with `offline_access`, and the grant's
//! `gty` where Auth0 sets one.

use std::collections::BTreeMap;

use axum::http::HeaderMap;
use serde_json::Value;

use super::TokenError;
use crate::actions::event::{Login, RequestInfo};
use crate::config::{ApplicationConfig, UserConfig};
use crate::jose::random_id;
use crate::mint::user_tokens::{UserGrant, token_response_with_gty};
use crate::tenant::refresh_tokens::RefreshGrant;
use crate::tenant::state::TenantState;

/// What the grant established.
pub(super) struct UserLogin<'a> {
    pub(super) scopes: &'a [String],
    pub(super) audience: Option<String>,
    /// Auth0's `gty` claim (`password`), if the grant has one.
    pub(super) gty: Option<&'static str>,
    /// The browser session the login came from (`sid`, `auth_time`), if any; else the login
    /// is a session of its own, starting now.
    pub(super) session: Option<(String, i64)>,
    /// The thumbprint of the request's DPoP key (`dpop::check_dpop`, which the grant calls
    /// before it spends anything: a code, an `mfa_token`, a device code).
    pub(super) jkt: Option<String>,
    /// `event.transaction.protocol` for the post-login Actions (`oauth2-password`,
    /// `oauth2-device-code`).
    pub(super) protocol: &'static str,
    /// The client's address (`event.request.ip`).
    pub(super) peer: Option<std::net::IpAddr>,
}

/// The token response for `user`'s login at `app`, after the post-login Actions (run before
/// anything is issued: a deny issues nothing).
pub(super) async fn user_tokens(
    st: &TenantState,
    headers: &HeaderMap,
    app: &ApplicationConfig,
    user: &UserConfig,
    login: UserLogin<'_>,
) -> Result<Value, TokenError> {
    let now = st.mint.clock.now();
    let jkt = login.jkt.clone();
    let (sid, auth_time) = login.session.unwrap_or_else(|| (random_id(), now));
    let UserLogin {
        scopes,
        audience,
        protocol,
        peer,
        ..
    } = login;
    let cfg = st.config();
    let mint = st.mint_for(headers);
    st.actions.count_login(&user.id());
    let event_login = Login {
        user,
        app,
        audience: audience.as_deref(),
        scopes,
        organization: None,
        protocol,
        request: RequestInfo::new(headers, peer, "POST", &BTreeMap::new(), &BTreeMap::new()),
        redirect_uri: None,
        response_mode: None,
        state: None,
        session_id: &sid,
        auth_time,
    };
    let changes = st
        .actions
        .post_login(&cfg, &mint.issuer, &event_login, st)
        .await?;
    let refresh = scopes.iter().any(|s| s == "offline_access").then(|| {
        let grant = RefreshGrant {
            client_id: app.client_id.clone(),
            user_id: user.id(),
            scopes: scopes.to_vec(),
            audience: audience.clone(),
            sid: sid.clone(),
            auth_time,
            // RFC 9449 §5: only a public client's refresh token is bound to its DPoP key.
            dpop_jkt: jkt.clone().filter(|_| app.is_public()),
            family: String::new(),
            organization: None,
        };
        st.refresh_tokens
            .issue(grant, app.refresh_settings(), now)
            .0
    });
    let grant = UserGrant {
        app,
        user,
        scopes,
        audience: audience.as_deref(),
        nonce: None,
        auth_time,
        sid: &sid,
        jkt,
        organization: None,
        changes: &changes,
    };
    Ok(token_response_with_gty(&mint, &grant, refresh, login.gty))
}
