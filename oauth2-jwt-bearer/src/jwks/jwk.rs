//! Which members of a fetched JWKS become usable verification keys: RSA only, no private
//! members (KEY-12), a modulus between 2048 and 8192 bits (RES-06), and `use`, `alg` and
//! `key_ops` that allow signature verification with an allowed algorithm.

use std::sync::Arc;

use aws_lc_rs::signature::{ParsedPublicKey, RsaPublicKeyComponents};
use serde_json::{Map, Value};

use super::{FetchError, KeyEntry};
use crate::jose::{Algorithm, b64url_decode};
use crate::mutant::{Mutant, Switch};

/// Largest RSA modulus accepted (bits): bigger keys are a CPU-cost attack (RES-06).
const MAX_RSA_BITS: usize = 8192;
const MIN_RSA_BITS: usize = 2048;

/// JWK members that only a private (or symmetric) key has (RFC 7518 §6.3.2, §6.4.1).
const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

fn has_private_members(k: &Map<String, Value>) -> bool {
    PRIVATE_MEMBERS.iter().any(|m| k.contains_key(*m))
}

pub(super) fn parse_jwks(
    doc: &Value,
    allowed: &[Algorithm],
    domain: &str,
    sw: Switch,
) -> Result<Vec<Arc<KeyEntry>>, FetchError> {
    let keys = doc
        .get("keys")
        .and_then(Value::as_array)
        .ok_or(FetchError::NoKeys)?;
    let keys = &keys[..keys.len().min(100)];
    let private: Vec<&str> = keys
        .iter()
        .filter_map(Value::as_object)
        .filter(|k| has_private_members(k))
        .map(|k| k.get("kid").and_then(Value::as_str).unwrap_or(""))
        .collect();
    if !private.is_empty() {
        // Once per fetch. The tenant published private key material: whoever read the JWKS
        // can sign tokens with it, so the key is refused (KEY-12). Kids only, never values.
        tracing::error!(
            domain,
            kids = ?private,
            "JWKS keys carry private members (d, p, q, dp, dq, qi, oth or k); refused as \
             signing keys: publish only the public key"
        );
    }
    Ok(keys
        .iter()
        .filter_map(|k| usable_key(k, allowed, sw))
        .map(Arc::new)
        .collect())
}

/// RFC 7517 / RFC 8725 key filter. Unusable keys are skipped (never an error): `kty` RSA,
/// `use` absent or `sig`, `key_ops` absent or containing `verify`, `alg` absent or allowed,
/// modulus 2048..=8192 bits, exponent odd and >= 3, no private members (KEY-12: a key whose
/// private half is public can sign anything).
pub(crate) fn usable_key(k: &Value, allowed: &[Algorithm], sw: Switch) -> Option<KeyEntry> {
    let k = k.as_object()?;
    if has_private_members(k) {
        return None;
    }
    if k.get("kty")?.as_str()? != "RSA" {
        return None;
    }
    if let Some(u) = k.get("use")
        && u.as_str()? != "sig"
        && !sw.off(Mutant::JwkUse)
    {
        return None;
    }
    if let Some(ops) = k.get("key_ops")
        && !ops.as_array()?.iter().any(|o| o.as_str() == Some("verify"))
        && !sw.off(Mutant::JwkKeyOps)
    {
        return None;
    }
    // AlgAllowList: a key may verify any RSA algorithm, not only the configured ones.
    let any = [
        Algorithm::RS256,
        Algorithm::RS384,
        Algorithm::RS512,
        Algorithm::PS256,
        Algorithm::PS384,
        Algorithm::PS512,
    ];
    let allowed = if sw.off(Mutant::AlgAllowList) || sw.off(Mutant::AlgFromKey) {
        &any[..]
    } else {
        allowed
    };
    let kid = match k.get("kid") {
        None => None,
        Some(v) => Some(v.as_str()?.to_owned()),
    };
    let algs: Vec<Algorithm> = match k.get("alg") {
        None => allowed.to_vec(),
        Some(_) if sw.off(Mutant::JwkAlg) || sw.off(Mutant::AlgAllowList) => allowed.to_vec(),
        Some(_) if sw.off(Mutant::AlgFromKey) => allowed.to_vec(),
        Some(v) => {
            let a: Algorithm = v.as_str()?.parse().ok()?;
            if !allowed.contains(&a) {
                return None;
            }
            vec![a]
        }
    };
    let n = b64url_decode(k.get("n")?.as_str()?)?;
    let e = b64url_decode(k.get("e")?.as_str()?)?;
    let n = strip_zeros(&n);
    let e = strip_zeros(&e);
    let bits = bit_len(n);
    let min_bits = if sw.off(Mutant::JwkSize) {
        1024
    } else {
        MIN_RSA_BITS
    };
    if !(min_bits..=MAX_RSA_BITS).contains(&bits) {
        return None;
    }
    // e must be odd and >= 3 (RFC 8017 §3.1); e = 1 would make every "signature" valid.
    if e.is_empty() || e.len() > 8 || e[e.len() - 1] & 1 == 0 || (e.len() == 1 && e[0] < 3) {
        return None;
    }
    let comps = RsaPublicKeyComponents { n, e };
    let parsed: Vec<(Algorithm, ParsedPublicKey)> = algs
        .into_iter()
        .filter_map(|a| {
            let params = match (a, sw.off(Mutant::JwkSize)) {
                (Algorithm::RS256, true) => {
                    &aws_lc_rs::signature::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY
                }
                _ => a.rsa_params()?,
            };
            comps.to_parsed_public_key(params).ok().map(|p| (a, p))
        })
        .collect();
    if parsed.is_empty() {
        return None;
    }
    let mut fingerprint = n.to_vec();
    fingerprint.extend_from_slice(e);
    Some(KeyEntry {
        kid,
        fingerprint,
        parsed,
        any_alg: sw.off(Mutant::AlgFromKey),
    })
}

fn strip_zeros(b: &[u8]) -> &[u8] {
    let i = b.iter().position(|&x| x != 0).unwrap_or(b.len());
    &b[i..]
}

fn bit_len(n: &[u8]) -> usize {
    match n.first() {
        None => 0,
        Some(&top) => (n.len() - 1) * 8 + (8 - top.leading_zeros() as usize),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_lengths() {
        assert_eq!(bit_len(&[1]), 1);
        assert_eq!(bit_len(&[0x80, 0]), 16);
        assert_eq!(strip_zeros(&[0, 0, 1]), &[1]);
    }
}
