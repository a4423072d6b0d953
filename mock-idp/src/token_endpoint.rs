//! `POST /oauth/token`: the client_credentials grant the Auth0 dashboard's "Test" tab uses,
//! with Auth0-shaped errors and DPoP (RFC 9449 §4.3, §5) binding.

use std::collections::BTreeMap;
use std::sync::Arc;

use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED, UnparsedPublicKey};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::jose::{b64url_decode, jwk_thumbprint};
use crate::mint::TokenBuilder;
use crate::server::TenantState;

/// How far in the past a proof's `iat` may be (seconds).
pub(crate) const DPOP_MAX_AGE: i64 = 300;
/// How far in the future a proof's `iat` may be (clock skew, seconds).
pub(crate) const DPOP_MAX_SKEW: i64 = 30;

/// Token endpoint failures, each with Auth0's status and error code.
#[derive(Debug, thiserror::Error)]
pub(crate) enum TokenError {
    #[error("{0}")]
    InvalidRequest(String),
    #[error("{0}")]
    InvalidClient(String),
    #[error("{0}")]
    UnsupportedGrantType(String),
    #[error("{0}")]
    AccessDenied(String),
    #[error("{0}")]
    InvalidDpopProof(String),
    /// RFC 9449 §8: the proof lacks the current server nonce, which the response carries.
    #[error("Authorization server requires nonce in DPoP proof")]
    UseDpopNonce { nonce: String },
}

impl TokenError {
    fn parts(&self) -> (StatusCode, &'static str) {
        match self {
            TokenError::InvalidRequest(_) => (StatusCode::BAD_REQUEST, "invalid_request"),
            TokenError::InvalidClient(_) => (StatusCode::UNAUTHORIZED, "invalid_client"),
            TokenError::UnsupportedGrantType(_) => {
                (StatusCode::BAD_REQUEST, "unsupported_grant_type")
            }
            TokenError::AccessDenied(_) => (StatusCode::FORBIDDEN, "access_denied"),
            TokenError::InvalidDpopProof(_) => (StatusCode::BAD_REQUEST, "invalid_dpop_proof"),
            TokenError::UseDpopNonce { .. } => (StatusCode::BAD_REQUEST, "use_dpop_nonce"),
        }
    }
}

impl IntoResponse for TokenError {
    fn into_response(self) -> Response {
        let (status, code) = self.parts();
        let mut resp = (
            status,
            axum::Json(json!({ "error": code, "error_description": self.to_string() })),
        )
            .into_response();
        resp.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let TokenError::UseDpopNonce { nonce } = &self
            && let Ok(v) = HeaderValue::from_str(nonce)
        {
            resp.headers_mut().insert("dpop-nonce", v);
        }
        if matches!(self, TokenError::InvalidClient(_)) {
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"mock-idp\""),
            );
        }
        resp
    }
}

/// Parses a urlencoded or JSON body into single-valued parameters.
fn parse_params(headers: &HeaderMap, body: &[u8]) -> Result<BTreeMap<String, String>, TokenError> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/x-www-form-urlencoded")
        .to_ascii_lowercase();
    let mut out = BTreeMap::new();
    if ct.starts_with("application/json") {
        let v: Value = serde_json::from_slice(body)
            .map_err(|_| TokenError::InvalidRequest("Request body is not valid JSON".into()))?;
        let obj = v.as_object().ok_or_else(|| {
            TokenError::InvalidRequest("Request body must be a JSON object".into())
        })?;
        for (k, v) in obj {
            let s = v.as_str().ok_or_else(|| {
                TokenError::InvalidRequest(format!("Parameter '{k}' must be a string"))
            })?;
            out.insert(k.clone(), s.to_owned());
        }
    } else if ct.starts_with("application/x-www-form-urlencoded") {
        for (k, v) in url::form_urlencoded::parse(body) {
            if out.insert(k.to_string(), v.into_owned()).is_some() {
                return Err(TokenError::InvalidRequest(format!(
                    "Parameter '{k}' must not be repeated"
                )));
            }
        }
    } else {
        return Err(TokenError::InvalidRequest(
            "Content-Type must be application/x-www-form-urlencoded or application/json".into(),
        ));
    }
    Ok(out)
}

fn form_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("v={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// Client credentials from HTTP Basic (RFC 6749 §2.3.1) or the body, never both.
fn client_credentials(
    headers: &HeaderMap,
    params: &BTreeMap<String, String>,
) -> Result<(String, String), TokenError> {
    let basic = match headers.get(header::AUTHORIZATION) {
        None => None,
        Some(v) => {
            let v = v
                .to_str()
                .map_err(|_| TokenError::InvalidClient("Malformed Authorization header".into()))?;
            let (scheme, rest) = v.split_once(' ').unwrap_or((v, ""));
            if !scheme.eq_ignore_ascii_case("basic") {
                return Err(TokenError::InvalidClient(
                    "Unsupported client authentication scheme".into(),
                ));
            }
            use base64::Engine as _;
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(rest.trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| TokenError::InvalidClient("Malformed Basic credentials".into()))?;
            let (id, secret) = decoded
                .split_once(':')
                .ok_or_else(|| TokenError::InvalidClient("Malformed Basic credentials".into()))?;
            Some((form_decode(id), form_decode(secret)))
        }
    };
    let post = params.get("client_id").map(|id| {
        (
            id.clone(),
            params.get("client_secret").cloned().unwrap_or_default(),
        )
    });
    match (basic, post) {
        (Some(_), Some(_)) => Err(TokenError::InvalidRequest(
            "Client authentication must use exactly one method".into(),
        )),
        (Some(c), None) | (None, Some(c)) => Ok(c),
        (None, None) => Err(TokenError::InvalidClient(
            "Client authentication is required".into(),
        )),
    }
}

/// Checks a DPoP proof for this request (RFC 9449 §4.3); returns the proof key's thumbprint.
fn check_dpop(st: &TenantState, headers: &HeaderMap) -> Result<Option<String>, TokenError> {
    let bad = |m: &str| TokenError::InvalidDpopProof(m.to_owned());
    let values: Vec<&HeaderValue> = headers.get_all("dpop").iter().collect();
    let value = match values.as_slice() {
        [] => return Ok(None),
        [one] => one.to_str().map_err(|_| bad("DPoP proof is not ASCII"))?,
        _ => return Err(bad("Multiple DPoP proofs are not allowed")),
    };
    if value.contains(',') {
        return Err(bad("Multiple DPoP proofs are not allowed"));
    }
    let segs: Vec<&str> = value.trim().split('.').collect();
    let [h, p, s] = segs.as_slice() else {
        return Err(bad("DPoP proof is not a compact JWS"));
    };
    let header: Value = b64url_decode(h)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .filter(Value::is_object)
        .ok_or_else(|| bad("DPoP proof header is not a JSON object"))?;
    let claims: Value = b64url_decode(p)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .filter(Value::is_object)
        .ok_or_else(|| bad("DPoP proof payload is not a JSON object"))?;
    let sig = b64url_decode(s).map_err(|_| bad("DPoP proof signature is not base64url"))?;

    if header.get("typ").and_then(Value::as_str) != Some("dpop+jwt") {
        return Err(bad("DPoP proof typ must be dpop+jwt"));
    }
    if header.get("alg").and_then(Value::as_str) != Some("ES256") {
        return Err(bad("Unsupported DPoP proof alg (ES256 is supported)"));
    }
    if header.get("crit").is_some() {
        return Err(bad("Unsupported critical header parameter"));
    }
    let jwk = header
        .get("jwk")
        .filter(|j| j.is_object())
        .ok_or_else(|| bad("DPoP proof jwk is missing or not an object"))?;
    if ["d", "p", "q", "dp", "dq", "qi", "k"]
        .iter()
        .any(|m| jwk.get(*m).is_some())
    {
        return Err(bad("DPoP proof jwk must not contain a private key"));
    }
    if jwk.get("kty").and_then(Value::as_str) != Some("EC")
        || jwk.get("crv").and_then(Value::as_str) != Some("P-256")
    {
        return Err(bad("DPoP proof jwk must be a P-256 EC key"));
    }
    let coord = |m: &str| {
        jwk.get(m)
            .and_then(Value::as_str)
            .and_then(|v| b64url_decode(v).ok())
            .filter(|b| b.len() == 32)
            .ok_or_else(|| bad("DPoP proof jwk has invalid coordinates"))
    };
    let mut point = vec![0x04];
    point.extend(coord("x")?);
    point.extend(coord("y")?);
    let input = format!("{h}.{p}");
    UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &point)
        .verify(input.as_bytes(), &sig)
        .map_err(|_| bad("DPoP proof signature is invalid"))?;

    let jti = claims
        .get("jti")
        .and_then(Value::as_str)
        .filter(|j| !j.is_empty())
        .ok_or_else(|| bad("DPoP proof jti must be a non-empty string"))?;
    if claims.get("htm").and_then(Value::as_str) != Some("POST") {
        return Err(bad("DPoP proof htm mismatch"));
    }
    let htu = claims
        .get("htu")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("DPoP proof htu is missing"))?;
    if !same_target(htu, &st.token_endpoint()) {
        return Err(bad("DPoP proof htu mismatch"));
    }
    let iat = claims
        .get("iat")
        .and_then(Value::as_f64)
        .ok_or_else(|| bad("DPoP proof iat must be a number"))?;
    let now = st.mint.clock.now();
    // Float seconds compared against integer bounds; truncation is fine at this granularity.
    if iat < (now - DPOP_MAX_AGE) as f64 {
        return Err(bad("DPoP proof iat is too old"));
    }
    if iat > (now + DPOP_MAX_SKEW) as f64 {
        return Err(bad("DPoP proof iat is in the future"));
    }
    if let Some(nonce) = st.current_dpop_nonce()
        && claims.get("nonce").and_then(Value::as_str) != Some(nonce.as_str())
    {
        return Err(TokenError::UseDpopNonce { nonce });
    }
    {
        let mut seen = st.seen_jti.lock().unwrap_or_else(|e| e.into_inner());
        seen.retain(|_, t| *t >= now - DPOP_MAX_AGE - DPOP_MAX_SKEW);
        if seen.insert(jti.to_owned(), iat as i64).is_some() {
            return Err(bad("DPoP proof jti has already been used"));
        }
    }
    jwk_thumbprint(jwk)
        .map(Some)
        .map_err(|_| bad("DPoP proof jwk cannot be thumbprinted"))
}

/// Compares an `htu` with the endpoint URL, ignoring query and fragment and applying the
/// scheme/host/default-port normalisation the url crate does (RFC 3986 §6.2.2–6.2.3).
fn same_target(htu: &str, endpoint: &str) -> bool {
    let (Ok(mut a), Ok(b)) = (url::Url::parse(htu), url::Url::parse(endpoint)) else {
        return false;
    };
    a.set_query(None);
    a.set_fragment(None);
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
        && a.path() == b.path()
}

/// The handler.
pub(crate) async fn token(
    State(st): State<Arc<TenantState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match issue(&st, &headers, &body) {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

fn issue(st: &TenantState, headers: &HeaderMap, body: &[u8]) -> Result<Response, TokenError> {
    let params = parse_params(headers, body)?;
    let grant = params.get("grant_type").ok_or_else(|| {
        TokenError::InvalidRequest("Missing required parameter: grant_type".into())
    })?;
    if grant != "client_credentials" {
        return Err(TokenError::UnsupportedGrantType(format!(
            "Unsupported grant type: {grant}"
        )));
    }
    let (client_id, secret) = client_credentials(headers, &params)?;
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
    let jkt = check_dpop(st, headers)?;
    let token_type = if jkt.is_some() { "DPoP" } else { "Bearer" };
    let token = TokenBuilder::for_grant(&st.mint, api, Some(app), &scopes, jkt).build();
    let mut resp = axum::Json(json!({
        "access_token": token,
        "token_type": token_type,
        "expires_in": api.token_lifetime,
        "scope": scopes.join(" "),
    }))
    .into_response();
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp.headers_mut()
        .insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    if let Some(v) = st
        .current_dpop_nonce()
        .and_then(|n| HeaderValue::from_str(&n).ok())
    {
        resp.headers_mut().insert("dpop-nonce", v);
    }
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::same_target;

    #[test]
    fn htu_comparison_normalises_and_ignores_query() {
        let ep = "https://127.0.0.1:8443/oauth/token";
        assert!(same_target("https://127.0.0.1:8443/oauth/token?x#y", ep));
        assert!(same_target("HTTPS://127.0.0.1:8443/oauth/token", ep));
        assert!(!same_target("https://127.0.0.1:8443/oauth/token/", ep));
        assert!(!same_target("http://127.0.0.1:8443/oauth/token", ep));
        assert!(!same_target("/oauth/token", ep));
        assert!(same_target(
            "https://a.example:443/t",
            "https://a.example/t"
        ));
    }
}
