//! JOSE building blocks: base64url, compact JWS assembly, RFC 7638 thumbprints and the DPoP `ath`.
//!
//! Kept free of any tenant state so the conformance runner and the verifier tests can use the
//! exact same encodings the tenant uses.

use aws_lc_rs::digest;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

/// Errors from decoding JOSE material.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum JoseError {
    /// A segment is not unpadded base64url.
    #[error("not base64url: {0}")]
    Base64(String),
    /// A segment does not hold the JSON expected.
    #[error("bad JSON: {0}")]
    Json(String),
    /// A JWK lacks a member its key type requires for a thumbprint.
    #[error("JWK is missing required member `{0}`")]
    MissingMember(&'static str),
    /// The JWK's `kty` is absent or not one RFC 7638 covers here.
    #[error("unsupported JWK kty")]
    UnsupportedKty,
    /// The compact serialisation does not have three segments.
    #[error("expected 3 segments, found {0}")]
    Segments(usize),
}

/// Unpadded base64url (RFC 7515 §2).
pub fn b64url(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes unpadded base64url, refusing padding and the standard alphabet.
pub fn b64url_decode(s: &str) -> Result<Vec<u8>, JoseError> {
    URL_SAFE_NO_PAD
        .decode(s)
        .map_err(|e| JoseError::Base64(e.to_string()))
}

/// SHA-256 of `bytes`.
pub fn sha256(bytes: impl AsRef<[u8]>) -> Vec<u8> {
    digest::digest(&digest::SHA256, bytes.as_ref())
        .as_ref()
        .to_vec()
}

/// The DPoP `ath` claim: base64url(SHA-256(ASCII(access_token))) (RFC 9449 §4.2).
pub fn ath(access_token: &str) -> String {
    b64url(sha256(access_token.as_bytes()))
}

/// RFC 7638 JWK SHA-256 thumbprint (the value of `cnf.jkt`).
///
/// Only the required members, in lexicographic order, without whitespace, go into the hash:
/// that is what lets a verifier compare thumbprints of JWKs that carry extra members.
pub fn jwk_thumbprint(jwk: &Value) -> Result<String, JoseError> {
    let kty = jwk
        .get("kty")
        .and_then(Value::as_str)
        .ok_or(JoseError::UnsupportedKty)?;
    let members: &[&'static str] = match kty {
        "EC" => &["crv", "kty", "x", "y"],
        "RSA" => &["e", "kty", "n"],
        "oct" => &["k", "kty"],
        "OKP" => &["crv", "kty", "x"],
        _ => return Err(JoseError::UnsupportedKty),
    };
    // Members are listed in lexicographic order above; build the text by hand so the result
    // does not depend on whether serde_json's map preserves insertion order.
    let mut text = String::from("{");
    for (i, m) in members.iter().enumerate() {
        let v = jwk
            .get(*m)
            .and_then(Value::as_str)
            .ok_or(JoseError::MissingMember(m))?;
        if i > 0 {
            text.push(',');
        }
        text.push_str(&Value::String((*m).to_owned()).to_string());
        text.push(':');
        text.push_str(&Value::String(v.to_owned()).to_string());
    }
    text.push('}');
    Ok(b64url(sha256(text.as_bytes())))
}

/// `b64url(header).b64url(payload)`: the JWS signing input.
pub fn signing_input(header_json: &str, payload_json: &str) -> String {
    let mut s = b64url(header_json.as_bytes());
    s.push('.');
    s.push_str(&b64url(payload_json.as_bytes()));
    s
}

/// A compact JWS split into its decoded parts (no verification).
#[derive(Debug, Clone)]
pub struct DecodedJws {
    /// The protected header.
    pub header: Value,
    /// The payload parsed as JSON.
    pub payload: Value,
    /// The raw signature bytes.
    pub signature: Vec<u8>,
    /// `header.payload` as it appeared on the wire.
    pub signing_input: String,
}

/// Splits and decodes a compact JWS without checking its signature.
pub fn decode_unverified(token: &str) -> Result<DecodedJws, JoseError> {
    let parts: Vec<&str> = token.split('.').collect();
    if parts.len() != 3 {
        return Err(JoseError::Segments(parts.len()));
    }
    let header: Value = serde_json::from_slice(&b64url_decode(parts[0])?)
        .map_err(|e| JoseError::Json(e.to_string()))?;
    let payload: Value = serde_json::from_slice(&b64url_decode(parts[1])?)
        .map_err(|e| JoseError::Json(e.to_string()))?;
    let signature = b64url_decode(parts[2])?;
    Ok(DecodedJws {
        header,
        payload,
        signature,
        signing_input: format!("{}.{}", parts[0], parts[1]),
    })
}

/// A fresh random identifier (128 bits, base64url), for `jti`s.
/// A JWS `alg` name that the enum it was parsed into does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown JWS algorithm {0:?}")]
pub struct UnknownAlgorithm(pub String);

/// A random identifier (`jti`, nonces).
pub fn random_id() -> String {
    let mut buf = [0u8; 16];
    // SystemRandom only fails if the OS has no entropy source; fall back to time so minting
    // never panics.
    if aws_lc_rs::rand::fill(&mut buf).is_err() {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        buf = t.to_le_bytes();
    }
    b64url(buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rfc9449_ath_example() {
        assert_eq!(
            ath("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"),
            "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"
        );
    }

    #[test]
    fn rfc7638_thumbprint_example() {
        let jwk = json!({
            "kty": "RSA",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
            "e": "AQAB",
            "alg": "RS256",
            "kid": "2011-04-29"
        });
        assert_eq!(
            jwk_thumbprint(&jwk).unwrap(),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }

    #[test]
    fn thumbprint_refuses_incomplete_keys() {
        assert_eq!(
            jwk_thumbprint(&json!({"kty":"EC","crv":"P-256","x":"a"})),
            Err(JoseError::MissingMember("y"))
        );
        assert_eq!(jwk_thumbprint(&json!({})), Err(JoseError::UnsupportedKty));
    }
}
