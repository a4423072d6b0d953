//! The tokens a user login gets at the token endpoint, whichever grant proved who the user
//! is (the password grants, their MFA step, the device code): what a browser login with the
//! same scopes and audience would get, a refresh token with `offline_access`, and the grant's
//! `gty` where Auth0 sets one.

use axum::http::HeaderMap;
use serde_json::Value;

use super::TokenError;
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
}

/// The token response for `user`'s login at `app`. Infallible today; a `Result` so that a
/// grant's `?` chain reads straight.
pub(super) fn user_tokens(
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
        scopes, audience, ..
    } = login;
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
    };
    Ok(token_response_with_gty(
        &st.mint_for(headers),
        &grant,
        refresh,
        login.gty,
    ))
}
