//! DPoP proofs at the token endpoint (RFC 9449 §4.3, §8).

use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED, UnparsedPublicKey};
use axum::http::{HeaderMap, HeaderValue};
use serde_json::Value;

use super::TokenError;
use crate::jose::{b64url_decode, jwk_thumbprint};
use crate::tenant::seen_jtis::{FirstUse, MAX_JTI};
use crate::tenant::state::TenantState;

/// How far in the past a proof's `iat` may be (seconds).
pub(crate) const DPOP_MAX_AGE: i64 = 300;
/// How far in the future a proof's `iat` may be (clock skew, seconds).
pub(crate) const DPOP_MAX_SKEW: i64 = 30;
/// Checks a DPoP proof for this request (RFC 9449 §4.3); returns the proof key's thumbprint.
pub(crate) fn check_dpop(
    st: &TenantState,
    headers: &HeaderMap,
) -> Result<Option<String>, TokenError> {
    check_proof(st, headers, "POST", &st.token_endpoint(), None)
}

/// Checks a DPoP proof for a `htm` request to `endpoint`; with `access_token`, the proof's
/// `ath` must hash it (a protected resource such as `/userinfo`, RFC 9449 §7) and no
/// server nonce applies.
pub(crate) fn check_proof(
    st: &TenantState,
    headers: &HeaderMap,
    htm: &str,
    endpoint: &str,
    access_token: Option<&str>,
) -> Result<Option<String>, TokenError> {
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
    if jti.chars().count() > MAX_JTI {
        return Err(bad("DPoP proof jti is too long"));
    }
    if claims.get("htm").and_then(Value::as_str) != Some(htm) {
        return Err(bad("DPoP proof htm mismatch"));
    }
    let htu = claims
        .get("htu")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("DPoP proof htu is missing"))?;
    if !same_target(htu, endpoint) {
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
    if let Some(token) = access_token
        && claims.get("ath").and_then(Value::as_str) != Some(crate::jose::ath(token).as_str())
    {
        return Err(bad("DPoP proof ath does not match the access token"));
    }
    if let Some(nonce) = st.current_dpop_nonce().filter(|_| access_token.is_none())
        && claims.get("nonce").and_then(Value::as_str) != Some(nonce.as_str())
    {
        return Err(TokenError::UseDpopNonce { nonce });
    }
    let jkt = jwk_thumbprint(jwk).map_err(|_| bad("DPoP proof jwk cannot be thumbprinted"))?;
    // Remembered until no clock could accept it again: `iat` is at most SKEW ahead.
    match st
        .seen_jti
        .first_use(&jkt, jti, now + DPOP_MAX_AGE + DPOP_MAX_SKEW + 1, now)
    {
        FirstUse::Yes => Ok(Some(jkt)),
        FirstUse::Replayed => Err(bad("DPoP proof jti has already been used")),
        FirstUse::StoreFull => Err(TokenError::TemporarilyUnavailable(
            "Too many DPoP proofs in flight; try again later".into(),
        )),
    }
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
