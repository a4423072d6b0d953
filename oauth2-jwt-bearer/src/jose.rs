//! Compact JWS parsing shared by access tokens and DPoP proofs: strict base64url,
//! JSON-object header and payload, no `crit`, no unencoded payloads; and the access-token
//! algorithm policy ([`Algorithm`]): what a header's `alg` may name.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

use crate::mutant::{Mutant, Switch};
use crate::reason::TokenError;

/// Access-token signature algorithms the verifier can accept: RSA with the tenant's JWKS
/// (which admits `kty: RSA` keys only), or HS256 with an API's signing secret
/// ([`VerifierOptions::signing_secret`](crate::VerifierOptions::signing_secret)), never with
/// a JWKS key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(clippy::upper_case_acronyms)]
pub enum Algorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256 (Auth0's default).
    RS256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RS384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RS512,
    /// RSASSA-PSS with SHA-256.
    PS256,
    /// RSASSA-PSS with SHA-384.
    PS384,
    /// RSASSA-PSS with SHA-512.
    PS512,
    /// HMAC with SHA-256, keyed with the API's signing secret (Auth0's HS256 APIs).
    HS256,
}

impl Algorithm {
    /// The JOSE name (case-sensitive, RFC 7515 §4.1.1).
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::RS256 => "RS256",
            Algorithm::RS384 => "RS384",
            Algorithm::RS512 => "RS512",
            Algorithm::PS256 => "PS256",
            Algorithm::PS384 => "PS384",
            Algorithm::PS512 => "PS512",
            Algorithm::HS256 => "HS256",
        }
    }

    /// The aws-lc-rs parameters of an RSA algorithm (`None` for HS256, which no JWKS key
    /// verifies). The `2048_8192` variants enforce the RFC 7518 §3.3 minimum key size and our
    /// upper cap at verification time as well.
    pub(crate) fn rsa_params(self) -> Option<&'static aws_lc_rs::signature::RsaParameters> {
        use aws_lc_rs::signature as s;
        Some(match self {
            Algorithm::RS256 => &s::RSA_PKCS1_2048_8192_SHA256,
            Algorithm::RS384 => &s::RSA_PKCS1_2048_8192_SHA384,
            Algorithm::RS512 => &s::RSA_PKCS1_2048_8192_SHA512,
            Algorithm::PS256 => &s::RSA_PSS_2048_8192_SHA256,
            Algorithm::PS384 => &s::RSA_PSS_2048_8192_SHA384,
            Algorithm::PS512 => &s::RSA_PSS_2048_8192_SHA512,
            Algorithm::HS256 => return None,
        })
    }
}

impl std::str::FromStr for Algorithm {
    type Err = UnknownAlgorithm;

    /// Exact, case-sensitive parse of a JOSE `alg` value (RFC 7515 §4.1.1).
    fn from_str(s: &str) -> Result<Self, UnknownAlgorithm> {
        Ok(match s {
            "RS256" => Algorithm::RS256,
            "RS384" => Algorithm::RS384,
            "RS512" => Algorithm::RS512,
            "PS256" => Algorithm::PS256,
            "PS384" => Algorithm::PS384,
            "PS512" => Algorithm::PS512,
            "HS256" => Algorithm::HS256,
            _ => return Err(UnknownAlgorithm),
        })
    }
}

impl std::fmt::Display for Algorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A JOSE `alg` value that is not one of [`Algorithm`]'s. It does not echo the value: it may
/// come from an attacker's token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("unsupported JOSE algorithm")]
pub struct UnknownAlgorithm;

/// A compact JWS split and decoded, signature NOT yet verified.
#[derive(Debug)]
pub(crate) struct CompactJws<'a> {
    /// `base64url(header) "." base64url(payload)`: the signing input.
    pub(crate) signing_input: &'a str,
    pub(crate) header: Map<String, Value>,
    pub(crate) payload: Map<String, Value>,
    pub(crate) signature: Vec<u8>,
}

/// Why a compact JWS is structurally unacceptable. Mapped to a fixed description by the
/// caller (token or proof).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JwsError {
    Segments,
    Base64,
    HeaderNotObject,
    PayloadNotObject,
    Crit,
    UnencodedPayload,
}

impl JwsError {
    pub(crate) fn reason(self) -> TokenError {
        match self {
            JwsError::Segments => TokenError::NotCompactJws,
            JwsError::Base64 => TokenError::NotCanonicalBase64url,
            JwsError::HeaderNotObject => TokenError::HeaderNotObject,
            JwsError::PayloadNotObject => TokenError::PayloadNotObject,
            JwsError::Crit => TokenError::UnsupportedCrit,
            JwsError::UnencodedPayload => TokenError::UnencodedPayload,
        }
    }
}

/// Strict base64url: URL alphabet only, no padding, no whitespace, canonical trailing bits
/// (a non-canonical encoding is a different string for the same bytes, which would confuse
/// token-keyed caches and `ath`).
pub(crate) fn b64url_decode(s: &str) -> Option<Vec<u8>> {
    if !s
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return None;
    }
    URL_SAFE_NO_PAD.decode(s).ok()
}

/// The `Base64` mutant's decoder: padding, either alphabet, and non-canonical trailing bits.
fn lenient_b64_decode(s: &str) -> Option<Vec<u8>> {
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    let config = GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true);
    let s = s.replace('+', "-").replace('/', "_");
    GeneralPurpose::new(&base64::alphabet::URL_SAFE, config)
        .decode(s)
        .ok()
}

pub(crate) fn b64url_encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn json_object(bytes: &[u8]) -> Option<Map<String, Value>> {
    // serde_json validates UTF-8, refuses a BOM and trailing garbage, caps nesting at 128,
    // and keeps the last of duplicate names (RFC 7515 §5.2 step 4 allows last-wins).
    match serde_json::from_slice::<Value>(bytes).ok()? {
        Value::Object(m) => Some(m),
        _ => None,
    }
}

/// Split and decode. The signature segment may be empty only to be refused later.
pub(crate) fn parse_compact(token: &str, sw: Switch) -> Result<CompactJws<'_>, JwsError> {
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwsError::Segments);
    };
    if h.is_empty() || p.is_empty() || s.is_empty() {
        return Err(JwsError::Segments);
    }
    let decode = |seg: &str| match sw.off(Mutant::Base64) {
        true => lenient_b64_decode(seg),
        false => b64url_decode(seg),
    };
    let header_bytes = decode(h).ok_or(JwsError::Base64)?;
    let payload_bytes = decode(p).ok_or(JwsError::Base64)?;
    let signature = decode(s).ok_or(JwsError::Base64)?;
    let header = json_object(&header_bytes).ok_or(JwsError::HeaderNotObject)?;
    // We implement no JWS extension, so any `crit` (even malformed or empty) is refused
    // (RFC 7515 §4.1.11); `b64` is refused even without `crit` (RFC 7797 tokens are not JWTs).
    if header.contains_key("crit") && !sw.off(Mutant::Crit) {
        return Err(JwsError::Crit);
    }
    let known = |k: &String| matches!(k.as_str(), "alg" | "typ" | "kid" | "jwk");
    if sw.off(Mutant::StrictHeader) && !header.keys().all(known) {
        return Err(JwsError::HeaderNotObject);
    }
    if header.contains_key("b64") {
        return Err(JwsError::UnencodedPayload);
    }
    let payload = json_object(&payload_bytes).ok_or(JwsError::PayloadNotObject)?;
    Ok(CompactJws {
        signing_input: &token[..h.len() + 1 + p.len()],
        header,
        payload,
        signature,
    })
}

/// SHA-256, base64url: `ath` (RFC 9449 §4.2) and JWK thumbprints (RFC 7638).
pub(crate) fn sha256_b64url(data: &[u8]) -> String {
    b64url_encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data).as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_base64url() {
        assert_eq!(b64url_decode("QQ").unwrap(), b"A");
        assert!(b64url_decode("QQ==").is_none(), "padding");
        assert!(b64url_decode("QR").is_none(), "non-canonical trailing bits");
        assert!(b64url_decode("Q+").is_none(), "standard alphabet");
        assert!(b64url_decode("Q Q").is_none(), "whitespace");
        assert!(b64url_decode("Q").is_none(), "impossible length");
    }

    fn parse(token: &str) -> Result<CompactJws<'_>, JwsError> {
        parse_compact(token, Switch::default())
    }

    fn seg(v: &str) -> String {
        b64url_encode(v.as_bytes())
    }

    #[test]
    fn structure() {
        let h = seg(r#"{"alg":"RS256"}"#);
        let p = seg(r#"{"a":1}"#);
        assert!(parse(&format!("{h}.{p}.AA")).is_ok());
        assert_eq!(parse(&format!("{h}.{p}")).unwrap_err(), JwsError::Segments);
        assert_eq!(
            parse(&format!("{h}.{p}.AA.AA")).unwrap_err(),
            JwsError::Segments
        );
        assert_eq!(parse(&format!("{h}.{p}.")).unwrap_err(), JwsError::Segments);
        assert_eq!(
            parse(&format!("{}.{p}.AA", seg("[]"))).unwrap_err(),
            JwsError::HeaderNotObject
        );
        assert_eq!(
            parse(&format!("{h}.{}.AA", seg("[]"))).unwrap_err(),
            JwsError::PayloadNotObject
        );
        assert_eq!(
            parse(&format!(
                "{}.{p}.AA",
                seg(r#"{"alg":"RS256","crit":["x"],"x":1}"#)
            ))
            .unwrap_err(),
            JwsError::Crit
        );
        assert_eq!(
            parse(&format!("{}.{p}.AA", seg(r#"{"alg":"RS256","b64":false}"#))).unwrap_err(),
            JwsError::UnencodedPayload
        );
        let deep = format!("{{\"a\":{}}}", "[".repeat(100_000));
        assert_eq!(
            parse(&format!("{h}.{}.AA", seg(&deep))).unwrap_err(),
            JwsError::PayloadNotObject
        );
        // Duplicate names: last wins.
        let dup_token = format!("{}.{p}.AA", seg(r#"{"alg":"none","alg":"RS256"}"#));
        let dup = parse(&dup_token).unwrap();
        assert_eq!(dup.header["alg"], "RS256");
    }

    #[test]
    fn ath_vector_rfc9449() {
        assert_eq!(
            sha256_b64url(b"Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"),
            "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"
        );
    }
}
