//! A builder for DPoP proofs (RFC 9449 §4.2) in which every field can be set, removed or made
//! wrong, signed by a [`DpopKey`].

use serde_json::{Map, Value, json};

use crate::clock::Clock;
use crate::jose::{ath, b64url, random_id, signing_input};
use crate::keys::{SigAlg, SigningKey};
use crate::mint::dpop_key::{DpopKey, strip_jwks_members};

impl DpopKey {
    /// Starts a proof for `method` and `url` (query and fragment are dropped from `htu`, as
    /// RFC 9449 §4.2 requires).
    pub fn proof(&self, method: &str, url: &str) -> ProofBuilder {
        ProofBuilder::new(self.clone(), method, url)
    }
}

/// How the proof's signature segment is produced.
#[derive(Debug, Clone)]
enum ProofSig {
    /// The builder's key (or `signed_by`'s) with its own alg.
    Key,
    /// DER-encoded ECDSA instead of R‖S.
    Der,
    /// RSA with the given alg (the header `jwk` becomes the RSA public key unless set).
    Rsa(SigningKey, SigAlg),
    /// Valid signature with one bit flipped.
    Tampered,
    /// Exactly this third segment.
    Raw(String),
}

/// Builds one DPoP proof JWT. Defaults are a valid proof: header `{typ:"dpop+jwt", alg, jwk}`
/// with the key's alg (`ES256` for a P-256 key), claims `{jti, htm, htu, iat}`.
#[derive(Debug, Clone)]
#[must_use]
pub struct ProofBuilder {
    key: DpopKey,
    signer: Option<DpopKey>,
    header: Map<String, Value>,
    claims: Map<String, Value>,
    now: i64,
    iat_offset: i64,
    sig: ProofSig,
    raw_header: Option<String>,
    raw_payload: Option<String>,
}

fn strip_query_fragment(url: &str) -> &str {
    let end = url.find(['?', '#']).unwrap_or(url.len());
    &url[..end]
}

impl ProofBuilder {
    fn new(key: DpopKey, method: &str, url: &str) -> Self {
        let now = Clock::new().now();
        let mut header = Map::new();
        header.insert("typ".into(), json!("dpop+jwt"));
        header.insert("alg".into(), json!(key.alg()));
        header.insert("jwk".into(), key.public_jwk());
        let mut claims = Map::new();
        claims.insert("jti".into(), json!(random_id()));
        claims.insert("htm".into(), json!(method));
        claims.insert("htu".into(), json!(strip_query_fragment(url)));
        claims.insert("iat".into(), json!(now));
        ProofBuilder {
            key,
            signer: None,
            header,
            claims,
            now,
            iat_offset: 0,
            sig: ProofSig::Key,
            raw_header: None,
            raw_payload: None,
        }
    }

    /// Takes "now" from `clock` (a tenant's virtual clock) instead of the system time.
    pub fn clock(mut self, clock: &Clock) -> Self {
        self.now = clock.now();
        if self.claims.get("iat").is_some_and(Value::is_i64) {
            self.claims
                .insert("iat".into(), json!(self.now + self.iat_offset));
        }
        self
    }

    /// Sets `ath` to the hash of `token` (required at a resource server).
    pub fn access_token(self, token: &str) -> Self {
        self.claim("ath", json!(ath(token)))
    }

    /// Sets `ath` verbatim.
    pub fn ath(self, ath: &str) -> Self {
        self.claim("ath", json!(ath))
    }

    /// Sets `nonce`.
    pub fn nonce(self, nonce: &str) -> Self {
        self.claim("nonce", json!(nonce))
    }

    /// Sets `iat` to now + `offset` seconds.
    pub fn iat(mut self, offset: i64) -> Self {
        self.iat_offset = offset;
        let v = self.now + offset;
        self.claim("iat", json!(v))
    }

    /// Sets `jti`.
    pub fn jti(self, jti: &str) -> Self {
        self.claim("jti", json!(jti))
    }

    /// Sets `htm` verbatim.
    pub fn htm(self, htm: &str) -> Self {
        self.claim("htm", json!(htm))
    }

    /// Sets `htu` verbatim (query and fragment kept).
    pub fn htu(self, htu: &str) -> Self {
        self.claim("htu", json!(htu))
    }

    /// Sets header `typ`.
    pub fn typ(self, typ: &str) -> Self {
        self.header("typ", json!(typ))
    }

    /// Sets header `alg` only: the signature still uses the key's own alg, so a label that
    /// differs from the key makes an alg/key mismatch.
    pub fn alg(self, alg: &str) -> Self {
        self.header("alg", json!(alg))
    }

    /// Sets any claim to any JSON value.
    pub fn claim(mut self, name: &str, value: Value) -> Self {
        self.claims.insert(name.to_owned(), value);
        self
    }

    /// Removes a claim.
    pub fn remove_claim(mut self, name: &str) -> Self {
        self.claims.remove(name);
        self
    }

    /// Sets any header parameter to any JSON value.
    pub fn header(mut self, name: &str, value: Value) -> Self {
        self.header.insert(name.to_owned(), value);
        self
    }

    /// Removes a header parameter.
    pub fn remove_header(mut self, name: &str) -> Self {
        self.header.remove(name);
        self
    }

    /// Replaces the header `jwk`.
    pub fn jwk(self, jwk: Value) -> Self {
        self.header("jwk", jwk)
    }

    /// Puts the private key (`d`) into the header `jwk`.
    pub fn with_private_key(self) -> Self {
        let jwk = self.key.private_jwk();
        self.jwk(jwk)
    }

    /// Signs with `other` (with its own alg) while the header `jwk` and `alg` keep this key's:
    /// the signature does not verify.
    pub fn signed_by(mut self, other: &DpopKey) -> Self {
        self.signer = Some(other.clone());
        self
    }

    /// Signs with an RSA key and `alg`; the header `alg` and `jwk` follow that key.
    pub fn signed_with_rsa(mut self, key: &SigningKey, alg: SigAlg) -> Self {
        let mut jwk = key.public_jwk();
        strip_jwks_members(&mut jwk);
        self.header.insert("alg".into(), json!(alg.as_str()));
        self.header.insert("jwk".into(), jwk);
        self.sig = ProofSig::Rsa(key.clone(), alg);
        self
    }

    /// Uses a DER-encoded ECDSA signature (invalid in JWS; an empty signature for EdDSA and RSA
    /// keys, which have no DER form).
    pub fn der_signature(mut self) -> Self {
        self.sig = ProofSig::Der;
        self
    }

    /// Flips one bit of an otherwise valid signature.
    pub fn tampered_signature(mut self) -> Self {
        self.sig = ProofSig::Tampered;
        self
    }

    /// Uses `sig` verbatim as the third segment (e.g. `""` for `alg:none`, or 64 zero bytes).
    pub fn raw_signature(mut self, sig: &str) -> Self {
        self.sig = ProofSig::Raw(sig.to_owned());
        self
    }

    /// Uses this exact header JSON text.
    pub fn raw_header(mut self, json: &str) -> Self {
        self.raw_header = Some(json.to_owned());
        self
    }

    /// Uses this exact payload JSON text.
    pub fn raw_payload(mut self, json: &str) -> Self {
        self.raw_payload = Some(json.to_owned());
        self
    }

    /// The compact JWS.
    pub fn build(self) -> String {
        let header = self
            .raw_header
            .clone()
            .unwrap_or_else(|| Value::Object(self.header.clone()).to_string());
        let payload = self
            .raw_payload
            .clone()
            .unwrap_or_else(|| Value::Object(self.claims.clone()).to_string());
        let input = signing_input(&header, &payload);
        let signer = self.signer.as_ref().unwrap_or(&self.key);
        let sig = match &self.sig {
            ProofSig::Key => b64url(signer.sign(input.as_bytes()).unwrap_or_default()),
            ProofSig::Der => b64url(signer.sign_der(input.as_bytes()).unwrap_or_default()),
            ProofSig::Rsa(k, alg) => b64url(k.sign(*alg, input.as_bytes()).unwrap_or_default()),
            ProofSig::Tampered => {
                let mut s = signer.sign(input.as_bytes()).unwrap_or_default();
                if let Some(b) = s.first_mut() {
                    *b ^= 0x01;
                }
                b64url(s)
            }
            ProofSig::Raw(s) => s.clone(),
        };
        format!("{input}.{sig}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jose::{decode_unverified, jwk_thumbprint};

    #[test]
    fn default_proof_shape() {
        let key = DpopKey::fixture();
        let p = key.proof("GET", "https://api.example/r?x=1#f").build();
        let d = decode_unverified(&p).unwrap();
        assert_eq!(d.header["typ"], "dpop+jwt");
        assert_eq!(d.header["jwk"], key.public_jwk());
        assert_eq!(d.payload["htu"], "https://api.example/r");
        assert_eq!(d.payload["htm"], "GET");
        assert_eq!(d.signature.len(), 64);
    }

    #[test]
    fn private_jwk_carries_d_and_same_thumbprint() {
        let key = DpopKey::generate();
        let jwk = key.private_jwk();
        assert!(jwk["d"].as_str().is_some_and(|d| !d.is_empty()));
        assert_eq!(jwk_thumbprint(&jwk).unwrap(), key.thumbprint());
    }
}
