//! DPoP proof validation, RFC 9449 §4.3, plus RFC 7638 thumbprints and RFC 3986 htu
//! normalisation.

use std::time::Duration;

use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED, ParsedPublicKey};
use serde_json::{Map, Value};

use crate::error::AuthError;
use crate::jose::{b64url_decode, parse_compact, sha256_b64url};
use crate::mutant::{Mutant, Switch};
use crate::reason::ProofError;
use crate::scheme::PROOF_ALGS;

/// Largest DPoP header accepted (bytes).
pub(crate) const MAX_PROOF_LEN: usize = 8 * 1024;
/// Longest `jti` accepted (characters); the replay store keeps only a hash anyway.
const MAX_JTI_LEN: usize = 256;

/// When a proof `iat` is acceptable: `now - past <= iat <= now + future` (seconds).
pub(crate) struct ProofRules {
    /// The `iat` window plus the clock leeway.
    pub(crate) past: f64,
    /// The future `iat` allowance plus the clock leeway.
    pub(crate) future: f64,
    /// Tests only: the check a mutant verifier skips (see `mutant`).
    pub(crate) switch: Switch,
}

impl ProofRules {
    pub(crate) fn new(
        window: Duration,
        iat_leeway: Duration,
        clock_leeway: Duration,
        switch: Switch,
    ) -> Self {
        Self {
            past: (window + clock_leeway).as_secs_f64(),
            future: (iat_leeway + clock_leeway).as_secs_f64(),
            switch,
        }
    }

    /// Until when (unix seconds) a proof with this `iat` must be remembered: it is accepted
    /// while `now <= iat + past`; one more second covers rounding.
    pub(crate) fn retention_end(&self, iat: f64) -> f64 {
        iat + self.past + 1.0
    }
}

/// What a valid proof yields.
#[derive(Debug)]
pub(crate) struct ValidProof {
    pub(crate) jkt: String,
    pub(crate) jti: String,
    pub(crate) iat: f64,
    pub(crate) nonce: Option<String>,
}

fn bad(reason: ProofError) -> AuthError {
    AuthError::InvalidDpopProof(reason)
}

/// Every §4.3 check except nonce, replay and the `cnf.jkt` binding (done by the caller).
pub(crate) fn verify_proof(
    proof: &str,
    method: &str,
    request_url: &str,
    access_token: &str,
    rules: &ProofRules,
    now: f64,
) -> Result<ValidProof, AuthError> {
    if proof.len() > MAX_PROOF_LEN {
        return Err(bad(ProofError::TooLarge));
    }
    let sw = rules.switch;
    let jws = parse_compact(proof, sw).map_err(|e| {
        tracing::debug!(?e, "malformed DPoP proof");
        bad(ProofError::Malformed)
    })?;
    let h = &jws.header;
    // §4.3 #4: explicit typing. RFC 7515 §4.1.9 media types are case-insensitive and may
    // carry the `application/` prefix.
    let typ_ok = h.get("typ").and_then(Value::as_str).is_some_and(|t| {
        let t = t.to_ascii_lowercase();
        t == "dpop+jwt" || t == "application/dpop+jwt"
    });
    if !typ_ok && !sw.off(Mutant::ProofTyp) {
        return Err(bad(ProofError::InvalidTyp));
    }
    // §4.3 #5: exactly the algorithms advertised in `algs`.
    if !h
        .get("alg")
        .and_then(Value::as_str)
        .is_some_and(|alg| PROOF_ALGS.contains(&alg))
        && !sw.off(Mutant::ProofAlg)
    {
        return Err(bad(ProofError::UnsupportedAlgorithm));
    }
    let (key, jkt) = public_key(h.get("jwk"), sw)?;
    if key
        .verify_sig(jws.signing_input.as_bytes(), &jws.signature)
        .is_err()
        && !sw.off(Mutant::ProofSignature)
    {
        return Err(bad(ProofError::SignatureInvalid));
    }
    let c = &jws.payload;
    let jti = match c.get("jti") {
        // Still one replay key per proof: its jti, whatever it is, and the signed proof.
        _ if sw.off(Mutant::Jti) => format!("{:?}{}", c.get("jti"), jws.signing_input),
        Some(Value::String(s)) if !s.is_empty() && s.chars().count() <= MAX_JTI_LEN => s.clone(),
        _ => return Err(bad(ProofError::JtiMissingOrInvalid)),
    };
    // §4.3 #8: the method is case-sensitive (RFC 9110 §9.1).
    match c.get("htm") {
        _ if sw.off(Mutant::Htm) => {}
        Some(Value::String(m)) if m == method => {}
        Some(Value::String(m)) if sw.off(Mutant::HtmCase) && m.eq_ignore_ascii_case(method) => {}
        Some(Value::String(_)) => return Err(bad(ProofError::HtmMismatch)),
        _ => return Err(bad(ProofError::HtmMissingOrInvalid)),
    }
    let htu = match c.get("htu") {
        _ if sw.off(Mutant::Htu) => String::new(),
        Some(Value::String(u)) if sw.off(Mutant::HtuExact) => u.clone(),
        Some(Value::String(u)) => normalize_htu(u).ok_or(bad(ProofError::InvalidHtu))?,
        _ => return Err(bad(ProofError::HtuMissingOrInvalid)),
    };
    let target = match sw.off(Mutant::HtuExact) {
        true => request_url.to_owned(),
        false => normalize_htu(request_url).ok_or(bad(ProofError::HtuMismatch))?,
    };
    if htu != target && !sw.off(Mutant::Htu) {
        return Err(bad(ProofError::HtuMismatch));
    }
    let iat = match c
        .get("iat")
        .and_then(Value::as_f64)
        .filter(|f| f.is_finite())
    {
        Some(iat) if c.get("iat").is_some_and(Value::is_number) => iat,
        _ if sw.off(Mutant::ProofIatType) => now,
        _ => return Err(bad(ProofError::IatMissingOrInvalid)),
    };
    if iat < now - rules.past && !sw.off(Mutant::ProofIat) {
        return Err(bad(ProofError::IatTooOld));
    }
    let future = if sw.off(Mutant::ProofIatSkew) {
        0.0
    } else {
        rules.future
    };
    if iat > now + future && !sw.off(Mutant::ProofIat) {
        return Err(bad(ProofError::IatInFuture));
    }
    if !sw.off(Mutant::ProofTimes) {
        time_claim(c, "exp", |exp| now < exp)?;
        time_claim(c, "nbf", |nbf| now + rules.future >= nbf)?;
    }
    // §4.3 #12: ath = base64url(SHA-256(ASCII(access token))), compared exactly.
    let expected_ath = sha256_b64url(access_token.as_bytes());
    match c.get("ath") {
        _ if sw.off(Mutant::Ath) => {}
        Some(Value::String(a)) if *a == expected_ath => {}
        Some(Value::String(_)) => return Err(bad(ProofError::AthMismatch)),
        _ => return Err(bad(ProofError::AthMissingOrInvalid)),
    }
    let nonce = match c.get("nonce") {
        None => None,
        Some(Value::String(n)) => Some(n.clone()),
        Some(_) => return Err(bad(ProofError::InvalidNonce)),
    };
    Ok(ValidProof {
        jkt,
        jti,
        iat,
        nonce,
    })
}

fn time_claim(
    c: &Map<String, Value>,
    name: &str,
    ok: impl Fn(f64) -> bool,
) -> Result<(), AuthError> {
    match c.get(name) {
        None => Ok(()),
        Some(v) => match v.as_f64().filter(|f| f.is_finite()) {
            Some(t) if v.is_number() && ok(t) => Ok(()),
            Some(_) => Err(bad(ProofError::ExpiredOrNotYetValid)),
            None => Err(bad(ProofError::InvalidTimeClaim)),
        },
    }
}

/// The proof's `jwk`: EC P-256, public only, a valid point. Returns the parsed key and its
/// RFC 7638 thumbprint.
fn public_key(jwk: Option<&Value>, sw: Switch) -> Result<(ParsedPublicKey, String), AuthError> {
    let Some(Value::Object(jwk)) = jwk else {
        return Err(bad(ProofError::JwkMissingOrInvalid));
    };
    if jwk.contains_key("d") && !sw.off(Mutant::ProofPrivateJwk) {
        return Err(bad(ProofError::JwkHasPrivateKey));
    }
    if jwk.get("kty").and_then(Value::as_str) != Some("EC")
        || jwk.get("crv").and_then(Value::as_str) != Some("P-256")
    {
        return Err(bad(ProofError::JwkNotP256));
    }
    let coord = |name| {
        jwk.get(name)
            .and_then(Value::as_str)
            .filter(|s| s.len() == 43)
            .and_then(|s| b64url_decode(s).map(|b| (s, b)))
            .filter(|(_, b)| b.len() == 32)
    };
    let (Some((xs, x)), Some((ys, y))) = (coord("x"), coord("y")) else {
        return Err(bad(ProofError::InvalidJwkCoordinates));
    };
    let mut point = Vec::with_capacity(65);
    point.push(4);
    point.extend_from_slice(&x);
    point.extend_from_slice(&y);
    // Parsing validates that the point is on the curve.
    let key = ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &point)
        .map_err(|_| bad(ProofError::InvalidJwkPoint))?;
    let jkt = match sw.off(Mutant::ThumbprintMembers) {
        // serde_json's map sorts its keys: the RFC 7638 form when there are no other members.
        true => sha256_b64url(serde_json::to_string(jwk).unwrap_or_default().as_bytes()),
        false => ec_thumbprint(xs, ys),
    };
    Ok((key, jkt))
}

/// RFC 7638 thumbprint of an EC key: members `crv, kty, x, y` in lexicographic order, no
/// whitespace, SHA-256, base64url.
pub(crate) fn ec_thumbprint(x: &str, y: &str) -> String {
    let canonical = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
    sha256_b64url(canonical.as_bytes())
}

/// RFC 3986 §6.2.2-6.2.3 normalisation of an http(s) URI for htu comparison: scheme and host
/// lower-cased, default port dropped, dot segments removed, percent-encoded unreserved
/// characters decoded and other escapes upper-cased; query and fragment dropped. URIs with
/// userinfo, without a host, or with another scheme are refused.
pub(crate) fn normalize_htu(raw: &str) -> Option<String> {
    let u = url::Url::parse(raw).ok()?;
    if !matches!(u.scheme(), "http" | "https") {
        return None;
    }
    if !u.username().is_empty() || u.password().is_some() {
        return None;
    }
    let host = u.host_str().filter(|h| !h.is_empty())?;
    let mut out = format!("{}://{}", u.scheme(), host);
    if let Some(port) = u.port() {
        out.push(':');
        out.push_str(&port.to_string());
    }
    normalize_percent(u.path(), &mut out);
    Some(out)
}

fn normalize_percent(path: &str, out: &mut String) {
    let b = path.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = |c: u8| (c as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                let v = (h * 16 + l) as u8;
                if v.is_ascii_alphanumeric() || matches!(v, b'-' | b'.' | b'_' | b'~') {
                    out.push(v as char);
                } else {
                    out.push('%');
                    out.push(b[i + 1].to_ascii_uppercase() as char);
                    out.push(b[i + 2].to_ascii_uppercase() as char);
                }
                i += 3;
                continue;
            }
        }
        out.push(b[i] as char);
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn htu_normalisation_table() {
        let base = "https://rs.example/r";
        for (a, b, equal) in [
            ("HTTPS://RS.EXAMPLE/r", base, true),
            ("https://rs.example:443/r", base, true),
            ("http://rs.example:80/r", "http://rs.example/r", true),
            ("https://rs.example/a/../r", base, true),
            ("https://rs.example/./r", base, true),
            ("https://rs.example/r?a=b#c", base, true),
            (
                "https://rs.example/%7euser",
                "https://rs.example/~user",
                true,
            ),
            (
                "https://rs.example/%7Euser",
                "https://rs.example/~user",
                true,
            ),
            ("https://rs.example/a%2fb", "https://rs.example/a%2Fb", true),
            ("https://rs.example/a%2fb", "https://rs.example/a/b", false),
            ("https://rs.example/r/", base, false),
            ("https://rs.example/R", base, false),
            ("http://rs.example/r", base, false),
            ("https://rs.example:8443/r", base, false),
            ("https://other.example/r", base, false),
        ] {
            assert_eq!(
                normalize_htu(a).unwrap() == normalize_htu(b).unwrap(),
                equal,
                "{a} vs {b}"
            );
        }
        for unusable in [
            "/r",
            "urn:x",
            "https://",
            "https://user@rs.example/r",
            "ftp://rs.example/r",
            "",
        ] {
            assert!(normalize_htu(unusable).is_none(), "{unusable}");
        }
    }

    #[test]
    fn thumbprint_vector_rfc9449() {
        // RFC 9449 §4.1 example key.
        assert_eq!(
            ec_thumbprint(
                "l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs",
                "9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA"
            ),
            "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
        );
    }
}
