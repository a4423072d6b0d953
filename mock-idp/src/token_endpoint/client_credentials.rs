//! The client_credentials grant (RFC 6749 §4.4) as Auth0 runs it: an application's client
//! grant for the API decides which scopes it may have.

use std::collections::BTreeMap;

use axum::http::HeaderMap;
use serde_json::{Value, json};

use super::{TokenError, client_auth, dpop};
use crate::mint::TokenBuilder;
use crate::server::TenantState;

pub(super) fn grant(
    st: &TenantState,
    headers: &HeaderMap,
    params: &BTreeMap<String, String>,
) -> Result<Value, TokenError> {
    let (client_id, secret) = client_auth::client_credentials(headers, params)?;
    let cfg = &st.mint.config;
    let app = cfg
        .application(&client_id)
        .filter(|a| a.client_secret == secret)
        .ok_or_else(|| TokenError::InvalidClient("Unauthorized".into()))?;
    let audience = params.get("audience").ok_or_else(|| {
        TokenError::AccessDenied(
            "No audience parameter was provided, and no default audience has been configured"
                .into(),
        )
    })?;
    let api = cfg
        .api(audience)
        .ok_or_else(|| TokenError::AccessDenied(format!("Service not found: {audience}")))?;
    let granted = app.grants.get(audience).ok_or_else(|| {
        TokenError::AccessDenied(format!(
            "Client is not authorized to access \"{audience}\". You need to create a \"client-grant\" associated to this API."
        ))
    })?;
    let scopes: Vec<String> = match params.get("scope") {
        None => granted.clone(),
        Some(requested) => {
            let mut out: Vec<String> = Vec::new();
            for s in requested.split(' ').filter(|s| !s.is_empty()) {
                if (s == "openid" || granted.iter().any(|g| g == s)) && !out.iter().any(|o| o == s)
                {
                    out.push(s.to_owned());
                }
            }
            out
        }
    };
    let jkt = dpop::check_dpop(st, headers)?;
    let token_type = if jkt.is_some() { "DPoP" } else { "Bearer" };
    let token = TokenBuilder::for_grant(&st.mint, api, Some(app), &scopes, jkt).build();
    Ok(json!({
        "access_token": token,
        "token_type": token_type,
        "expires_in": api.token_lifetime,
        "scope": scopes.join(" "),
    }))
}
