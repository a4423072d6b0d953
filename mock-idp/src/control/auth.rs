//! Who may steer the tenant: its admin secret, or an access token for the tenant's Management
//! API (`https://{domain}/api/v2/`) carrying the route's scope, as Auth0's Management API
//! requires. Tokens are checked here with aws-lc directly (RS256, a published key, `iss`,
//! `aud`, `exp` on the tenant's clock): the mock never depends on the verifier crate.

use std::sync::Arc;

use aws_lc_rs::constant_time::verify_slices_are_equal;
use aws_lc_rs::signature::{RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey};
use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::{ControlError, scope_for};
use crate::jose::decode_unverified;
use crate::tenant::state::TenantState;

/// The middleware: 404 when the control API is off, else 401/403 unless the caller may use
/// the matched route.
pub(crate) async fn require(
    State(st): State<Arc<TenantState>>,
    path: MatchedPath,
    req: Request,
    next: Next,
) -> Response {
    let Some(secret) = st.admin_secret() else {
        return crate::responses::not_found().await;
    };
    let scope = scope_for(req.method().as_str(), path.as_str());
    match authorize(&st, &secret, req.headers(), scope) {
        Ok(()) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

fn authorize(
    st: &TenantState,
    secret: &str,
    headers: &axum::http::HeaderMap,
    scope: &str,
) -> Result<(), ControlError> {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, cred)| cred.trim())
        .ok_or_else(|| ControlError::Unauthorized("Missing authentication".into()))?;
    if verify_slices_are_equal(presented.as_bytes(), secret.as_bytes()).is_ok() {
        return Ok(());
    }
    let claims = management_token_claims(st, presented)?;
    let granted = claims["scope"].as_str().unwrap_or("");
    if granted.split(' ').any(|s| s == scope) {
        Ok(())
    } else {
        Err(ControlError::InsufficientScope(scope.to_owned()))
    }
}

/// The claims of `token` if it is a Management API token this tenant issued and still honours.
fn management_token_claims(st: &TenantState, token: &str) -> Result<Value, ControlError> {
    let bad = || ControlError::Unauthorized("Invalid token".into());
    let jws = decode_unverified(token).map_err(|_| bad())?;
    if jws.header["alg"] != "RS256" {
        return Err(bad());
    }
    let kid = jws.header["kid"].as_str().ok_or_else(bad)?;
    if !st.mint.keys.published_kids().iter().any(|k| k == kid) {
        return Err(bad());
    }
    let key = st.mint.keys.get(kid).ok_or_else(bad)?;
    let (input, sig) = token.rsplit_once('.').ok_or_else(bad)?;
    let sig = crate::jose::b64url_decode(sig).map_err(|_| bad())?;
    UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, key.public_key_pkcs1_der())
        .verify(input.as_bytes(), &sig)
        .map_err(|_| bad())?;
    let claims = jws.payload;
    let audience = st.management_audience();
    let aud_ok = match &claims["aud"] {
        Value::String(a) => *a == audience,
        Value::Array(list) => list.iter().any(|a| *a == audience),
        _ => false,
    };
    let exp_ok = claims["exp"]
        .as_i64()
        .is_some_and(|exp| exp > st.mint.clock.now());
    if claims["iss"] != st.mint.issuer.as_str() || !aud_ok || !exp_ok {
        return Err(bad());
    }
    Ok(claims)
}
