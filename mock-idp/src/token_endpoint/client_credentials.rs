//! The client_credentials grant (RFC 6749 §4.4) as Auth0 runs it: an application's client
//! grant for the API decides which scopes it may have.

use std::collections::BTreeMap;
use std::net::IpAddr;

use axum::http::HeaderMap;
use serde_json::{Value, json};

use super::{TokenError, dpop, organization};
use crate::actions::event::{Machine, RequestInfo};
use crate::config::ApplicationConfig;
use crate::mint::token::TokenBuilder;
use crate::tenant::state::TenantState;

pub(super) async fn grant(
    st: &TenantState,
    headers: &HeaderMap,
    peer: Option<IpAddr>,
    params: &BTreeMap<String, String>,
    app: &ApplicationConfig,
) -> Result<Value, TokenError> {
    let cfg = &st.config();
    let audience = cfg.requested_audience(
        params.get("audience").map(String::as_str),
        params.get("resource").map(String::as_str),
    )?;
    let audience = audience.ok_or_else(|| {
        TokenError::AccessDenied(
            "No audience parameter was provided, and no default audience has been configured"
                .into(),
        )
    })?;
    let api = cfg.api(audience).ok_or_else(|| {
        TokenError::AccessDenied(format!("Service not enabled within domain: {audience}"))
    })?;
    let granted = app.grants.get(audience).ok_or_else(|| {
        TokenError::AccessDenied(format!(
            "Client is not authorized to access \"{audience}\". You need to create a \"client-grant\" associated to this API. See: https://auth0.com/docs/api/v2#!/Client_Grants/post_client_grants"
        ))
    })?;
    let scopes = granted_scopes(granted, params.get("scope").map(String::as_str))?;
    let org = organization::requested(cfg, app, params)?;
    let jkt = dpop::check_dpop(st, headers)?;
    let token_type = if jkt.is_some() { "DPoP" } else { "Bearer" };
    let mint = st.mint_for(headers);
    // Auth0 runs the credentials-exchange Actions once the request is known to be good,
    // before the token is issued.
    let machine = Machine {
        app,
        api,
        scopes: &scopes,
        organization: org,
        request: RequestInfo::new(headers, peer, "POST", &BTreeMap::new(), params),
    };
    let changes = st
        .actions
        .credentials_exchange(cfg, &mint.issuer, &machine)
        .await?;
    let mut token = TokenBuilder::for_grant(&mint, api, Some(app), &scopes, jkt);
    for (name, value) in changes.access_claims {
        token = token.claim(&name, value);
    }
    let token = organization::stamp(token, org).build();
    let mut body = json!({
        "access_token": token,
        "token_type": token_type,
        "expires_in": api.token_lifetime,
    });
    // Auth0 leaves `scope` out when the client grant has none.
    if !scopes.is_empty() {
        body["scope"] = json!(scopes.join(" "));
    }
    Ok(body)
}

/// The scopes a token gets: all of the client grant when none are asked for, else exactly the
/// ones asked for, each of which must be granted. A machine has no user, so `openid`, `profile`
/// and the other user scopes are refused like any scope outside the grant.
pub(super) fn granted_scopes(
    granted: &[String],
    requested: Option<&str>,
) -> Result<Vec<String>, TokenError> {
    let Some(requested) = requested else {
        return Ok(granted.to_vec());
    };
    let mut scopes: Vec<String> = Vec::new();
    let mut missing: Vec<&str> = Vec::new();
    for s in requested.split(' ').filter(|s| !s.is_empty()) {
        if !granted.iter().any(|g| g == s) {
            if !missing.contains(&s) {
                missing.push(s);
            }
        } else if !scopes.iter().any(|o| o == s) {
            scopes.push(s.to_owned());
        }
    }
    if missing.is_empty() {
        Ok(scopes)
    } else {
        Err(TokenError::AccessDenied(format!(
            "Client has not been granted scopes: {}",
            missing.join(", ")
        )))
    }
}
