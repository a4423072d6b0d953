//! The token-exchange grant (RFC 8693, `urn:ietf:params:oauth:grant-type:token-exchange`) in
//! Auth0's two forms:
//!
//! - **On-Behalf-Of**: `subject_token_type` and `requested_token_type` both
//!   `urn:ietf:params:oauth:token-type:access_token`. The subject is an access token this
//!   tenant issued for an API; the caller is that API's Custom API client
//!   (`custom_api_clients`), confidential, with a client grant for the target `audience`. The
//!   new token keeps the user (`sub`) and records the caller in `act`, nesting any earlier
//!   `act` (a delegation chain of at most [`MAX_DELEGATION_DEPTH`] actors).
//! - **Custom Token Exchange**: any other `subject_token_type` selects an exchange profile,
//!   whose validation (this tenant's tokens, another issuer's JWKS, or an in-process action)
//!   decides the user.
//!
//! Refusals use Auth0's codes: 400 `invalid_request` for the request's shape and for a subject
//! token that does not check out (RFC 8693 §2.2.2), 403 `access_denied` for an audience or
//! scope the client may not have, 403 `unauthorized_client` for a public client asking for
//! On-Behalf-Of.

use std::collections::BTreeMap;

use axum::http::HeaderMap;
use serde_json::{Map, Value, json};

use super::subject_token::{self, Expect};
use super::{TokenError, client_credentials::granted_scopes, dpop};
use crate::config::{
    ACCESS_TOKEN_TYPE, ApiConfig, ApplicationConfig, AuthMethod, ExchangeProfile, GrantType,
    SubjectValidation, is_reserved_token_type,
};
use crate::mint::token::TokenBuilder;
use crate::tenant::actions::{ActionDenial, ExchangeRequest, PROTECTED_CLAIMS};
use crate::tenant::state::TenantState;

/// Longest delegation chain (`act` nesting) Auth0 issues.
pub(crate) const MAX_DELEGATION_DEPTH: usize = 4;

/// Auth0's text for a token-type pair it does not serve.
const BAD_TYPE_PAIR: &str = "Invalid subject_token_type and requested_token_type combination.";

pub(super) async fn grant(
    st: &TenantState,
    headers: &HeaderMap,
    params: &BTreeMap<String, String>,
    app: &ApplicationConfig,
) -> Result<Value, TokenError> {
    let subject_token = required(params, "subject_token")?;
    let subject_type = required(params, "subject_token_type")?;
    check_actor_pair(params)?;
    let requested = params.get("requested_token_type").map(String::as_str);
    if subject_type == ACCESS_TOKEN_TYPE {
        if requested != Some(ACCESS_TOKEN_TYPE) {
            return Err(TokenError::InvalidRequest(BAD_TYPE_PAIR.into()));
        }
        return on_behalf_of(st, headers, params, app, subject_token);
    }
    if requested.is_some_and(|r| r != ACCESS_TOKEN_TYPE) || is_reserved_token_type(subject_type) {
        return Err(TokenError::InvalidRequest(BAD_TYPE_PAIR.into()));
    }
    let snapshot = st.config();
    let profile = snapshot.exchange_profile(subject_type).ok_or_else(|| {
        TokenError::InvalidRequest(
            "No Token Exchange Profile matches the subject_token_type".into(),
        )
    })?;
    custom_exchange(st, headers, params, app, profile, subject_token).await
}

/// Custom Token Exchange: the profile decides who the user is.
async fn custom_exchange(
    st: &TenantState,
    headers: &HeaderMap,
    params: &BTreeMap<String, String>,
    app: &ApplicationConfig,
    profile: &ExchangeProfile,
    subject_token: &str,
) -> Result<Value, TokenError> {
    let api = &audience_api(st, params.get("audience"))?;
    let (user, claims) = match profile.validation {
        SubjectValidation::Tenant => {
            let c = subject_token::verify_own(st, subject_token)?;
            if let Some(aud) = &profile.audience {
                check_audience(&c, aud)?;
            }
            (user_of(&c)?, Map::new())
        }
        SubjectValidation::Jwks => {
            let (Some(iss), Some(uri)) = (&profile.issuer, &profile.jwks_uri) else {
                return Err(TokenError::InvalidRequest("Invalid subject_token".into()));
            };
            let jwks = subject_token::fetch_jwks(uri, profile.ca_file.as_deref()).await?;
            let expect = Expect {
                issuers: std::slice::from_ref(iss),
                audience: profile.audience.as_deref(),
                now: st.mint.clock.now(),
            };
            let c = subject_token::verify(subject_token, &jwks, &expect)?;
            (user_of(&c)?, Map::new())
        }
        SubjectValidation::Action => run_action(st, params, app, profile, subject_token, api)?,
    };
    let scopes = user_scopes(api, params.get("scope"));
    let jkt = dpop::check_dpop(st, headers)?;
    let mut token =
        TokenBuilder::for_grant(&st.mint_for(headers), api, Some(app), &scopes, jkt.clone())
            .sub(&user)
            .remove_claim("gty");
    for (k, v) in claims {
        if !PROTECTED_CLAIMS.contains(&k.as_str()) {
            token = token.claim(&k, v);
        }
    }
    Ok(response(token.build(), jkt.is_some(), api, &scopes))
}

/// Runs the profile's action; a profile naming an action nobody registered fails closed.
fn run_action(
    st: &TenantState,
    params: &BTreeMap<String, String>,
    app: &ApplicationConfig,
    profile: &ExchangeProfile,
    subject_token: &str,
    api: &ApiConfig,
) -> Result<(String, Map<String, Value>), TokenError> {
    let action = profile
        .action
        .as_ref()
        .and_then(|name| st.actions.0.get(name))
        .ok_or_else(|| TokenError::InvalidRequest("Invalid subject_token".into()))?;
    let request = ExchangeRequest {
        subject_token: subject_token.to_owned(),
        subject_token_type: profile.subject_token_type.clone(),
        client_id: app.client_id.clone(),
        audience: api.identifier.clone(),
        params: params.clone(),
    };
    match action(&request) {
        Ok(d) if d.user_id.trim().is_empty() => {
            Err(TokenError::InvalidRequest("Invalid subject_token".into()))
        }
        Ok(d) => Ok((d.user_id, d.claims)),
        Err(ActionDenial::InvalidSubjectToken(reason)) => Err(TokenError::InvalidRequest(reason)),
        Err(ActionDenial::Deny { code, reason }) => Err(TokenError::ActionDenied { code, reason }),
    }
}

/// On-Behalf-Of: an access token of one of the tenant's APIs, exchanged by that API for a
/// token to another API, for the same user.
fn on_behalf_of(
    st: &TenantState,
    headers: &HeaderMap,
    params: &BTreeMap<String, String>,
    app: &ApplicationConfig,
    subject_token: &str,
) -> Result<Value, TokenError> {
    if app.auth_method() == AuthMethod::None {
        return Err(TokenError::UnauthorizedClient(
            GrantType::TokenExchange.as_str().into(),
        ));
    }
    let audience = required(params, "audience")?;
    let subject = subject_token::verify_own(st, subject_token)?;
    acts_for_subject_audience(st, app, &subject)?;
    let user = user_of(&subject)?;
    let act = delegation(&subject, &app.client_id)?;
    let api = &audience_api(st, Some(&audience.to_owned()))?;
    if api.is_management_api() {
        // A user's token never becomes a Management API token with the operator's scopes.
        return Err(TokenError::AccessDenied(
            "Management API tokens are issued through client_credentials only".into(),
        ));
    }
    let granted = app.grants.get(audience).ok_or_else(|| {
        TokenError::AccessDenied(format!(
            "Client is not authorized to access \"{audience}\". You need to create a \"client-grant\" associated to this API. See: https://auth0.com/docs/api/v2#!/Client_Grants/post_client_grants"
        ))
    })?;
    let scopes = granted_scopes(granted, params.get("scope").map(String::as_str))?;
    let jkt = dpop::check_dpop(st, headers)?;
    let token =
        TokenBuilder::for_grant(&st.mint_for(headers), api, Some(app), &scopes, jkt.clone())
            .sub(&user)
            .remove_claim("gty")
            .claim("act", act)
            .build();
    Ok(response(token, jkt.is_some(), api, &scopes))
}

/// The caller must be the Custom API client of an API the subject token was issued for:
/// an API exchanges its own callers' tokens, never another API's.
pub(super) fn acts_for_subject_audience(
    st: &TenantState,
    app: &ApplicationConfig,
    subject: &Map<String, Value>,
) -> Result<(), TokenError> {
    let auds: Vec<&str> = match subject.get("aud") {
        Some(Value::String(a)) => vec![a.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let snapshot = st.config();
    let ok = snapshot
        .custom_api_clients
        .iter()
        .any(|(api, client)| *client == app.client_id && auds.contains(&api.as_str()));
    if ok {
        Ok(())
    } else {
        Err(TokenError::AccessDenied(
            "The subject_token was not issued for an API this client acts for".into(),
        ))
    }
}

/// The user a subject token is for; machine tokens (`…@clients`) have none.
pub(super) fn user_of(claims: &Map<String, Value>) -> Result<String, TokenError> {
    match claims.get("sub").and_then(Value::as_str) {
        Some(s) if !s.trim().is_empty() && !s.ends_with("@clients") => Ok(s.to_owned()),
        _ => Err(TokenError::InvalidRequest(
            "The subject_token does not represent a user".into(),
        )),
    }
}

/// The new token's `act`: the caller, around the subject token's chain.
fn delegation(subject: &Map<String, Value>, actor: &str) -> Result<Value, TokenError> {
    let mut depth = 1;
    let mut inner = subject.get("act");
    while let Some(a) = inner {
        let ok = a
            .get("sub")
            .and_then(Value::as_str)
            .is_some_and(|s| !s.is_empty());
        if !ok {
            return Err(TokenError::InvalidRequest("Invalid subject_token".into()));
        }
        depth += 1;
        if depth > MAX_DELEGATION_DEPTH {
            return Err(TokenError::InvalidRequest(format!(
                "Delegation chain (`act` claim) depth exceeds the maximum allowed limit of {MAX_DELEGATION_DEPTH}"
            )));
        }
        inner = a.get("act");
    }
    let mut act = json!({ "sub": actor });
    if let Some(prev) = subject.get("act") {
        act["act"] = prev.clone();
    }
    Ok(act)
}

fn check_audience(claims: &Map<String, Value>, want: &str) -> Result<(), TokenError> {
    let ok = match claims.get("aud") {
        Some(Value::String(a)) => a == want,
        Some(Value::Array(a)) => a.iter().any(|v| v.as_str() == Some(want)),
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(TokenError::InvalidRequest("Invalid subject_token".into()))
    }
}

/// The API the new token is for: `audience`, or the tenant's default API.
fn audience_api(st: &TenantState, audience: Option<&String>) -> Result<ApiConfig, TokenError> {
    let cfg = st.config();
    let api = match audience {
        Some(a) => cfg.api(a).ok_or_else(|| {
            TokenError::AccessDenied(format!("Service not enabled within domain: {a}"))
        }),
        None => cfg.default_api().ok_or_else(|| {
            TokenError::AccessDenied(
                "No audience parameter was provided, and no default audience has been configured"
                    .into(),
            )
        }),
    };
    api.cloned()
}

/// A user's token gets the requested scopes the API defines; others are dropped, as Auth0
/// drops scopes a user cannot consent to.
fn user_scopes(api: &ApiConfig, requested: Option<&String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in requested.map(|r| r.split(' ')).into_iter().flatten() {
        // Never the Management API's: those are the operator's (see `access`).
        if api.user_permissions().iter().any(|p| p == s) && !out.iter().any(|o| o == s) {
            out.push(s.to_owned());
        }
    }
    out
}

/// RFC 8693 §2.2.1: actor_token and actor_token_type come together; mock-idp does not serve
/// actor tokens, so a complete pair is refused rather than ignored.
fn check_actor_pair(params: &BTreeMap<String, String>) -> Result<(), TokenError> {
    match (params.get("actor_token"), params.get("actor_token_type")) {
        (None, None) => Ok(()),
        (Some(_), None) | (None, Some(_)) => Err(TokenError::InvalidRequest(
            "actor_token and actor_token_type must be sent together".into(),
        )),
        (Some(_), Some(_)) => Err(TokenError::InvalidRequest(
            "actor_token is not supported by mock-idp".into(),
        )),
    }
}

pub(super) fn required<'p>(
    params: &'p BTreeMap<String, String>,
    name: &str,
) -> Result<&'p str, TokenError> {
    params
        .get(name)
        .map(String::as_str)
        .ok_or_else(|| TokenError::InvalidRequest(format!("Missing required parameter: {name}")))
}

/// Auth0's exchange response: no `refresh_token` or `id_token` (mock-idp issues neither here).
fn response(token: String, dpop: bool, api: &ApiConfig, scopes: &[String]) -> Value {
    let mut body = json!({
        "access_token": token,
        "issued_token_type": ACCESS_TOKEN_TYPE,
        "token_type": if dpop { "DPoP" } else { "Bearer" },
        "expires_in": api.token_lifetime,
    });
    if !scopes.is_empty() {
        body["scope"] = json!(scopes.join(" "));
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(depth: usize) -> Map<String, Value> {
        let mut act: Option<Value> = None;
        for i in (0..depth).rev() {
            let mut a = json!({ "sub": format!("actor-{i}") });
            if let Some(inner) = act {
                a["act"] = inner;
            }
            act = Some(a);
        }
        let mut m = Map::new();
        if let Some(a) = act {
            m.insert("act".into(), a);
        }
        m
    }

    #[test]
    fn the_new_actor_wraps_the_chain_up_to_four() {
        assert_eq!(delegation(&chain(0), "api").unwrap(), json!({"sub": "api"}));
        let three = delegation(&chain(3), "api").unwrap();
        assert_eq!(three["sub"], "api");
        assert_eq!(three["act"]["sub"], "actor-0");
        assert_eq!(three["act"]["act"]["act"]["sub"], "actor-2");
        let e = delegation(&chain(4), "api").unwrap_err();
        assert_eq!(
            e.to_string(),
            "Delegation chain (`act` claim) depth exceeds the maximum allowed limit of 4"
        );
        let mut bad = Map::new();
        bad.insert("act".into(), json!({"sub": ""}));
        assert_eq!(
            delegation(&bad, "api").unwrap_err().to_string(),
            "Invalid subject_token"
        );
    }
}
