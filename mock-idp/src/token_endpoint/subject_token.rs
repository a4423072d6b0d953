//! Checking a subject token (RFC 8693 §2.1): a JWT signed by a key of a JWKS, with the issuer,
//! audience and lifetime the exchange expects. Used for the tenant's own access tokens
//! (On-Behalf-Of, Token Vault, `validation = "tenant"`) and for another issuer's tokens
//! (`validation = "jwks"`).
//!
//! Every failure is one 400 `invalid_request` "Invalid subject_token" (RFC 8693 §2.2.2): the
//! caller learns nothing about which check failed ([`SubjectError`] says it, for unit tests).

use aws_lc_rs::signature::{self, RsaPublicKeyComponents};
use serde_json::{Map, Value};

use super::TokenError;
use crate::jose::{b64url_decode, decode_unverified};
use crate::tenant::state::TenantState;

/// Longest subject token read (bytes).
const MAX_SUBJECT_TOKEN_LEN: usize = 16 * 1024;

/// Largest JWKS fetched for a `jwks` profile.
const MAX_JWKS_BYTES: usize = 256 * 1024;

/// What a subject token must satisfy.
pub(crate) struct Expect<'a> {
    /// Accepted `iss` values (exact).
    pub(crate) issuers: &'a [String],
    /// An audience `aud` must be or contain; `None`: any.
    pub(crate) audience: Option<&'a str>,
    /// Unix seconds.
    pub(crate) now: i64,
}

/// Why a subject token was refused (never shown to the caller).
#[derive(Debug, thiserror::Error)]
pub(crate) enum SubjectError {
    #[error("too long or not a compact JWS")]
    Malformed,
    #[error("alg not RS256/RS384/RS512/PS256/PS384/PS512")]
    Alg,
    #[error("no key of the JWKS verifies the signature")]
    Signature,
    #[error("iss is not an expected issuer")]
    Issuer,
    #[error("aud does not name the expected audience")]
    Audience,
    #[error("exp missing or past, or iat missing")]
    Lifetime,
    #[error("the issuer's JWKS could not be fetched")]
    Jwks,
}

impl From<SubjectError> for TokenError {
    fn from(_: SubjectError) -> Self {
        TokenError::InvalidRequest("Invalid subject_token".into())
    }
}

/// The claims of `token` once its signature (by a key of `jwks`) and claims are checked.
pub(crate) fn verify(
    token: &str,
    jwks: &Value,
    expect: &Expect<'_>,
) -> Result<Map<String, Value>, SubjectError> {
    if token.len() > MAX_SUBJECT_TOKEN_LEN {
        return Err(SubjectError::Malformed);
    }
    let jws = decode_unverified(token).map_err(|_| SubjectError::Malformed)?;
    let alg = jws.header.get("alg").and_then(Value::as_str).unwrap_or("");
    let params = rsa_params(alg).ok_or(SubjectError::Alg)?;
    let kid = jws.header.get("kid").and_then(Value::as_str);
    let keys = jwks
        .get("keys")
        .and_then(Value::as_array)
        .ok_or(SubjectError::Signature)?;
    let verified = keys
        .iter()
        .filter(|k| kid.is_none() || k.get("kid").and_then(Value::as_str) == kid)
        .filter_map(rsa_key)
        .any(|(n, e)| {
            RsaPublicKeyComponents { n: &n, e: &e }
                .verify(params, jws.signing_input.as_bytes(), &jws.signature)
                .is_ok()
        });
    if !verified {
        return Err(SubjectError::Signature);
    }
    let Value::Object(claims) = jws.payload else {
        return Err(SubjectError::Malformed);
    };
    let iss = claims.get("iss").and_then(Value::as_str);
    if !expect.issuers.iter().any(|i| Some(i.as_str()) == iss) {
        return Err(SubjectError::Issuer);
    }
    if let Some(want) = expect.audience {
        let ok = match claims.get("aud") {
            Some(Value::String(a)) => a == want,
            Some(Value::Array(a)) => a.iter().any(|v| v.as_str() == Some(want)),
            _ => false,
        };
        if !ok {
            return Err(SubjectError::Audience);
        }
    }
    let exp = claims.get("exp").and_then(Value::as_i64);
    if exp.is_none_or(|e| e <= expect.now) || claims.get("iat").and_then(Value::as_i64).is_none() {
        return Err(SubjectError::Lifetime);
    }
    Ok(claims)
}

/// The claims of an access token this tenant issued on any of its domains, still valid.
pub(crate) fn verify_own(
    st: &TenantState,
    token: &str,
) -> Result<Map<String, Value>, SubjectError> {
    let issuers = st.domains.issuers();
    let expect = Expect {
        issuers: &issuers,
        audience: None,
        now: st.mint.clock.now(),
    };
    verify(token, &st.mint.keys.jwks(), &expect)
}

/// Fetches another issuer's JWKS (no redirects, a timeout, a size cap).
pub(crate) async fn fetch_jwks(uri: &str, ca_file: Option<&str>) -> Result<Value, SubjectError> {
    let mut b = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(5))
        .redirect(reqwest::redirect::Policy::none());
    if let Some(path) = ca_file {
        let pem = std::fs::read(path).map_err(|_| SubjectError::Jwks)?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|_| SubjectError::Jwks)?;
        b = b.tls_certs_merge(certs);
    }
    let client = b.build().map_err(|_| SubjectError::Jwks)?;
    let resp = client
        .get(uri)
        .send()
        .await
        .map_err(|_| SubjectError::Jwks)?;
    if !resp.status().is_success() {
        return Err(SubjectError::Jwks);
    }
    let body = resp.bytes().await.map_err(|_| SubjectError::Jwks)?;
    if body.len() > MAX_JWKS_BYTES {
        return Err(SubjectError::Jwks);
    }
    serde_json::from_slice(&body).map_err(|_| SubjectError::Jwks)
}

fn rsa_params(alg: &str) -> Option<&'static signature::RsaParameters> {
    Some(match alg {
        "RS256" => &signature::RSA_PKCS1_2048_8192_SHA256,
        "RS384" => &signature::RSA_PKCS1_2048_8192_SHA384,
        "RS512" => &signature::RSA_PKCS1_2048_8192_SHA512,
        "PS256" => &signature::RSA_PSS_2048_8192_SHA256,
        "PS384" => &signature::RSA_PSS_2048_8192_SHA384,
        "PS512" => &signature::RSA_PSS_2048_8192_SHA512,
        _ => return None,
    })
}

/// `(n, e)` of an RSA signing JWK.
fn rsa_key(k: &Value) -> Option<(Vec<u8>, Vec<u8>)> {
    if k.get("kty").and_then(Value::as_str) != Some("RSA") {
        return None;
    }
    if k.get("use")
        .and_then(Value::as_str)
        .is_some_and(|u| u != "sig")
    {
        return None;
    }
    let n = b64url_decode(k.get("n")?.as_str()?).ok()?;
    let e = b64url_decode(k.get("e")?.as_str()?).ok()?;
    Some((n, e))
}
