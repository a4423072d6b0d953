//! `GET|POST /userinfo` (OIDC Core §5.3): the profile claims the access token's scopes grant,
//! for Bearer and DPoP-bound tokens (RFC 9449 §7). Failures answer as Auth0 does: a plain-text
//! `Unauthorized` with an RFC 6750 challenge in realm "Users".

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::mint::user_tokens::verify_own;
use crate::tenant::state::TenantState;
use crate::token_endpoint::dpop::check_proof;

/// Why `/userinfo` refused a request.
#[derive(Debug, thiserror::Error)]
enum UserinfoError {
    /// No credentials at all (RFC 6750 §3.1: no error code).
    #[error("Unauthorized")]
    NoToken,
    #[error("{0}")]
    InvalidToken(String),
    /// The token lacks `openid`.
    #[error("The access token does not grant the openid scope")]
    InsufficientScope,
}

impl UserinfoError {
    fn into_response(self, scheme: &str) -> Response {
        let (status, challenge) = match &self {
            UserinfoError::NoToken => (
                StatusCode::UNAUTHORIZED,
                format!("{scheme} realm=\"Users\""),
            ),
            UserinfoError::InvalidToken(d) => (
                StatusCode::UNAUTHORIZED,
                format!(
                    "{scheme} realm=\"Users\", error=\"invalid_token\", error_description=\"{d}\""
                ),
            ),
            UserinfoError::InsufficientScope => (
                StatusCode::FORBIDDEN,
                format!(
                    "{scheme} realm=\"Users\", error=\"insufficient_scope\", error_description=\"{self}\", scope=\"openid\""
                ),
            ),
        };
        let body = if status == StatusCode::FORBIDDEN {
            "Forbidden"
        } else {
            "Unauthorized"
        };
        let mut res = (status, body).into_response();
        if let Ok(v) = HeaderValue::from_str(&challenge) {
            res.headers_mut().insert(header::WWW_AUTHENTICATE, v);
        }
        res
    }
}

/// The handler.
pub(crate) async fn userinfo(
    State(st): State<Arc<TenantState>>,
    method: Method,
    headers: HeaderMap,
) -> Response {
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let (scheme, token) = auth.split_once(' ').unwrap_or((auth, ""));
    let scheme = if scheme.eq_ignore_ascii_case("dpop") {
        "DPoP"
    } else {
        "Bearer"
    };
    match claims(&st, &method, &headers, scheme, token.trim()) {
        Ok(body) => {
            let mut res = axum::Json(body).into_response();
            res.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            res
        }
        Err(e) => e.into_response(scheme),
    }
}

fn claims(
    st: &TenantState,
    method: &Method,
    headers: &HeaderMap,
    scheme: &str,
    token: &str,
) -> Result<Value, UserinfoError> {
    let invalid = |d: &str| UserinfoError::InvalidToken(d.to_owned());
    if token.is_empty() {
        return Err(UserinfoError::NoToken);
    }
    // Tokens name the issuer and userinfo URL of the domain they were minted on.
    let ctx = st.mint_for(headers);
    let claims = verify_own(&ctx, token, true).map_err(|e| invalid(&e.to_string()))?;
    let scopes: Vec<String> = claims
        .get("scope")
        .and_then(Value::as_str)
        .unwrap_or("")
        .split(' ')
        .map(String::from)
        .collect();
    let aud_ok = match &claims["aud"] {
        Value::String(a) => *a == ctx.userinfo,
        Value::Array(a) => a.iter().any(|v| v.as_str() == Some(ctx.userinfo.as_str())),
        _ => false,
    };
    if !scopes.iter().any(|s| s == "openid") {
        return Err(UserinfoError::InsufficientScope);
    }
    if !aud_ok {
        return Err(invalid("Invalid audience"));
    }
    let jkt = claims.pointer("/cnf/jkt").and_then(Value::as_str);
    match (scheme, jkt) {
        ("DPoP", Some(jkt)) => {
            let proof = check_proof(st, headers, method.as_str(), &ctx.userinfo, Some(token))
                .map_err(|e| invalid(&e.to_string()))?;
            if proof.as_deref() != Some(jkt) {
                return Err(invalid("DPoP proof key does not match the token binding"));
            }
        }
        ("DPoP", None) => return Err(invalid("The token is not DPoP-bound")),
        (_, Some(_)) => return Err(invalid("A DPoP-bound token must use the DPoP scheme")),
        _ => {}
    }
    let sub = claims.get("sub").and_then(Value::as_str).unwrap_or("");
    let snapshot = st.config();
    let user = snapshot.user(sub).ok_or_else(|| invalid("Unknown user"))?;
    let mut body = serde_json::Map::new();
    body.insert("sub".into(), json!(sub));
    body.extend(user.profile_claims(&scopes));
    Ok(Value::Object(body))
}
