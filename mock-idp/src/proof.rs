//! DPoP client keys (ES256, P-256) and a builder for DPoP proofs (RFC 9449 §4.2) in which every
//! field can be set, removed or made wrong.

use std::fmt;
use std::sync::Arc;

use aws_lc_rs::encoding::{AsBigEndian, EcPrivateKeyBin};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_ASN1_SIGNING, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _,
};
use rustls_pki_types::PrivatePkcs8KeyDer;
use rustls_pki_types::pem::PemObject as _;
use serde_json::{Map, Value, json};

use crate::clock::Clock;
use crate::jose::{ath, b64url, jwk_thumbprint, random_id, signing_input};
use crate::keys::{KeyError, SigAlg, SigningKey, pem_encode};

/// An ES256 (P-256) key a DPoP client proves possession of.
#[derive(Clone)]
pub struct DpopKey {
    pair: Arc<EcdsaKeyPair>,
    pkcs8_der: Arc<[u8]>,
}

impl fmt::Debug for DpopKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DpopKey")
            .field("jkt", &self.thumbprint())
            .finish_non_exhaustive()
    }
}

impl DpopKey {
    /// A fresh random P-256 key (cheap).
    pub fn generate() -> Self {
        let rng = SystemRandom::new();
        // P-256 generation only fails without an entropy source; that is an environment bug.
        let doc = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .expect("P-256 key generation");
        Self::from_pkcs8_der(doc.as_ref()).expect("freshly generated P-256 key parses")
    }

    /// The fixed client key `fixtures/keys/dpop-client.pem`.
    pub fn fixture() -> Self {
        Self::from_pkcs8_pem(include_str!("../../fixtures/keys/dpop-client.pem"))
            .expect("embedded fixture key parses")
    }

    /// A second fixed key `fixtures/keys/dpop-other.pem` (for key-mismatch cases).
    pub fn fixture_other() -> Self {
        Self::from_pkcs8_pem(include_str!("../../fixtures/keys/dpop-other.pem"))
            .expect("embedded fixture key parses")
    }

    /// Parses a PKCS#8 PEM P-256 private key.
    pub fn from_pkcs8_pem(pem: &str) -> Result<Self, KeyError> {
        let der = PrivatePkcs8KeyDer::from_pem_slice(pem.as_bytes())
            .map_err(|e| KeyError::Pem(e.to_string()))?;
        Self::from_pkcs8_der(der.secret_pkcs8_der())
    }

    /// Parses PKCS#8 DER.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, KeyError> {
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der)
            .map_err(|e| KeyError::Rejected(e.to_string()))?;
        Ok(DpopKey {
            pair: Arc::new(pair),
            pkcs8_der: Arc::from(der),
        })
    }

    /// The private key as PKCS#8 PEM.
    pub fn private_key_pem(&self) -> String {
        pem_encode("PRIVATE KEY", &self.pkcs8_der)
    }

    fn xy(&self) -> (String, String) {
        // Uncompressed point: 0x04 || x (32) || y (32).
        let point = self.pair.public_key().as_ref();
        let (x, y) = point
            .get(1..)
            .unwrap_or_default()
            .split_at(32.min(point.len().saturating_sub(1)));
        (b64url(x), b64url(y))
    }

    /// The public JWK `{kty:"EC", crv:"P-256", x, y}` that goes into a proof header.
    pub fn public_jwk(&self) -> Value {
        let (x, y) = self.xy();
        json!({ "kty": "EC", "crv": "P-256", "x": x, "y": y })
    }

    /// The JWK including the private scalar `d` (a proof must never carry it: RFC 9449 §4.3).
    pub fn private_jwk(&self) -> Value {
        let mut jwk = self.public_jwk();
        let d = self
            .pair
            .private_key()
            .as_be_bytes()
            .map(|b: EcPrivateKeyBin<'static>| b64url(b.as_ref()))
            .unwrap_or_default();
        if let Some(o) = jwk.as_object_mut() {
            o.insert("d".into(), Value::String(d));
        }
        jwk
    }

    /// RFC 7638 thumbprint: the `cnf.jkt` a token bound to this key carries.
    pub fn thumbprint(&self) -> String {
        jwk_thumbprint(&self.public_jwk()).unwrap_or_default()
    }

    /// Raw R‖S (64 bytes) ES256 signature.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        self.pair
            .sign(&SystemRandom::new(), message)
            .map(|s| s.as_ref().to_vec())
            .map_err(|_| KeyError::Sign)
    }

    /// DER (ASN.1) ECDSA signature, which JWS forbids (RFC 7518 §3.4): for malformed-signature cases.
    pub fn sign_der(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &self.pkcs8_der)
            .map_err(|e| KeyError::Rejected(e.to_string()))?;
        pair.sign(&SystemRandom::new(), message)
            .map(|s| s.as_ref().to_vec())
            .map_err(|_| KeyError::Sign)
    }

    /// Starts a proof for `method` and `url` (query and fragment are dropped from `htu`, as
    /// RFC 9449 §4.2 requires).
    pub fn proof(&self, method: &str, url: &str) -> ProofBuilder {
        ProofBuilder::new(self.clone(), method, url)
    }
}

/// How the proof's signature segment is produced.
#[derive(Debug, Clone)]
enum ProofSig {
    /// ES256 by the builder's key (or `signed_by`).
    Es256,
    /// DER-encoded ECDSA instead of R‖S.
    Der,
    /// RSA with the given alg (the header `jwk` becomes the RSA public key unless set).
    Rsa(SigningKey, SigAlg),
    /// Valid signature with one bit flipped.
    Tampered,
    /// Exactly this third segment.
    Raw(String),
}

/// Builds one DPoP proof JWT. Defaults are a valid proof: header `{typ:"dpop+jwt", alg:"ES256",
/// jwk}`, claims `{jti, htm, htu, iat}`.
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
        header.insert("alg".into(), json!("ES256"));
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
            sig: ProofSig::Es256,
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

    /// Sets header `alg` (the signature is still ES256 unless changed otherwise).
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

    /// Signs with `other` while the header `jwk` keeps this key: the signature does not verify.
    pub fn signed_by(mut self, other: &DpopKey) -> Self {
        self.signer = Some(other.clone());
        self
    }

    /// Signs with an RSA key and `alg`; the header `alg` and `jwk` follow that key.
    pub fn signed_with_rsa(mut self, key: &SigningKey, alg: SigAlg) -> Self {
        let mut jwk = key.public_jwk();
        if let Some(o) = jwk.as_object_mut() {
            o.remove("kid");
            o.remove("use");
            o.remove("alg");
        }
        self.header.insert("alg".into(), json!(alg.name()));
        self.header.insert("jwk".into(), jwk);
        self.sig = ProofSig::Rsa(key.clone(), alg);
        self
    }

    /// Uses a DER-encoded ECDSA signature (invalid in JWS).
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
            ProofSig::Es256 => b64url(signer.sign(input.as_bytes()).unwrap_or_default()),
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
    use crate::jose::decode_unverified;

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
