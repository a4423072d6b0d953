//! DPoP client keys and a builder for DPoP proofs (RFC 9449 §4.2) in which every field can be
//! set, removed or made wrong.
//!
//! A key signs with one JWS algorithm: ES256 (P-256, the default and what most verifiers
//! accept), ES384 (P-384), ES512 (P-521), ES256K (secp256k1), EdDSA (Ed25519), or an RSA alg
//! over a fixture [`SigningKey`]. Every one of them yields a real, verifiable signature, so a
//! conformance case can tell "alg refused by policy" from "signature does not verify".

use std::fmt;
use std::sync::Arc;

use aws_lc_rs::encoding::{AsBigEndian, Curve25519SeedBin, EcPrivateKeyBin};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_ASN1_SIGNING, ECDSA_P256_SHA256_FIXED_SIGNING,
    ECDSA_P256K1_SHA256_ASN1_SIGNING, ECDSA_P256K1_SHA256_FIXED_SIGNING,
    ECDSA_P384_SHA384_ASN1_SIGNING, ECDSA_P384_SHA384_FIXED_SIGNING,
    ECDSA_P521_SHA512_ASN1_SIGNING, ECDSA_P521_SHA512_FIXED_SIGNING, EcdsaKeyPair,
    EcdsaSigningAlgorithm, Ed25519KeyPair, KeyPair as _,
};
use rustls_pki_types::PrivatePkcs8KeyDer;
use rustls_pki_types::pem::PemObject as _;
use serde_json::{Map, Value, json};

use crate::clock::Clock;
use crate::jose::{UnknownAlgorithm, ath, b64url, jwk_thumbprint, random_id, signing_input};
use crate::keys::{KeyError, SigAlg, SigningKey, pem_encode};

/// The algorithms a [`DpopKey`] can be generated for (RSA keys come from
/// [`DpopKey::rsa`] instead: RSA generation is far too slow for tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(clippy::upper_case_acronyms)] // JOSE names, as `SigAlg` and the verifier's `Algorithm` spell them
pub enum ProofAlg {
    /// ECDSA P-256 with SHA-256.
    ES256,
    /// ECDSA P-384 with SHA-384.
    ES384,
    /// ECDSA P-521 with SHA-512.
    ES512,
    /// ECDSA secp256k1 with SHA-256 (RFC 8812).
    ES256K,
    /// Ed25519 (RFC 8037).
    EdDSA,
}

impl std::str::FromStr for ProofAlg {
    type Err = UnknownAlgorithm;

    /// Parses a JWS `alg` name, exact case (JWS compares it case-sensitively).
    fn from_str(name: &str) -> Result<Self, UnknownAlgorithm> {
        ProofAlg::ALL
            .into_iter()
            .find(|a| a.as_str() == name)
            .ok_or_else(|| UnknownAlgorithm(name.to_owned()))
    }
}

impl std::fmt::Display for ProofAlg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl ProofAlg {
    /// Every generatable alg, ES256 first.
    pub const ALL: [ProofAlg; 5] = [
        ProofAlg::ES256,
        ProofAlg::ES384,
        ProofAlg::ES512,
        ProofAlg::ES256K,
        ProofAlg::EdDSA,
    ];

    /// The JWS `alg` name.
    pub fn as_str(self) -> &'static str {
        match self {
            ProofAlg::ES256 => "ES256",
            ProofAlg::ES384 => "ES384",
            ProofAlg::ES512 => "ES512",
            ProofAlg::ES256K => "ES256K",
            ProofAlg::EdDSA => "EdDSA",
        }
    }

    /// The JWK `crv`.
    pub fn curve(self) -> &'static str {
        match self {
            ProofAlg::ES256 => "P-256",
            ProofAlg::ES384 => "P-384",
            ProofAlg::ES512 => "P-521",
            ProofAlg::ES256K => "secp256k1",
            ProofAlg::EdDSA => "Ed25519",
        }
    }

    /// Bytes per EC coordinate (`x`, `y`, `d`; RFC 7518 §6.2.1.2), or per Ed25519 key.
    pub fn coordinate_len(self) -> usize {
        match self {
            ProofAlg::ES256 | ProofAlg::ES256K | ProofAlg::EdDSA => 32,
            ProofAlg::ES384 => 48,
            ProofAlg::ES512 => 66,
        }
    }

    /// JWS R‖S (RFC 7518 §3.4) and DER signing algorithms; `None` for EdDSA.
    fn ecdsa(
        self,
    ) -> Option<(
        &'static EcdsaSigningAlgorithm,
        &'static EcdsaSigningAlgorithm,
    )> {
        Some(match self {
            ProofAlg::ES256 => (
                &ECDSA_P256_SHA256_FIXED_SIGNING,
                &ECDSA_P256_SHA256_ASN1_SIGNING,
            ),
            ProofAlg::ES384 => (
                &ECDSA_P384_SHA384_FIXED_SIGNING,
                &ECDSA_P384_SHA384_ASN1_SIGNING,
            ),
            ProofAlg::ES512 => (
                &ECDSA_P521_SHA512_FIXED_SIGNING,
                &ECDSA_P521_SHA512_ASN1_SIGNING,
            ),
            ProofAlg::ES256K => (
                &ECDSA_P256K1_SHA256_FIXED_SIGNING,
                &ECDSA_P256K1_SHA256_ASN1_SIGNING,
            ),
            ProofAlg::EdDSA => return None,
        })
    }
}

/// The key material behind a [`DpopKey`].
#[derive(Clone)]
enum Kind {
    /// ECDSA on the alg's curve; the PKCS#8 is kept for DER signatures and PEM export.
    Ec {
        alg: ProofAlg,
        pair: Arc<EcdsaKeyPair>,
        pkcs8_der: Arc<[u8]>,
    },
    /// Ed25519.
    Ed {
        pair: Arc<Ed25519KeyPair>,
        pkcs8_der: Arc<[u8]>,
    },
    /// An RSA fixture key signing with `alg`.
    Rsa { key: SigningKey, alg: SigAlg },
}

/// A key a DPoP client proves possession of: ES256 (P-256) unless made otherwise.
#[derive(Clone)]
pub struct DpopKey {
    kind: Kind,
}

impl fmt::Debug for DpopKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DpopKey")
            .field("alg", &self.alg())
            .field("jkt", &self.thumbprint())
            .finish_non_exhaustive()
    }
}

impl DpopKey {
    /// A fresh random P-256 key (cheap).
    pub fn generate() -> Self {
        Self::generate_with(ProofAlg::ES256)
    }

    /// A fresh random key for `alg` (cheap for every [`ProofAlg`]).
    pub fn generate_with(alg: ProofAlg) -> Self {
        let rng = SystemRandom::new();
        // Generation only fails without an entropy source; that is an environment bug.
        let doc = match alg.ecdsa() {
            Some((fixed, _)) => EcdsaKeyPair::generate_pkcs8(fixed, &rng),
            None => Ed25519KeyPair::generate_pkcs8(&rng),
        }
        .expect("EC/Ed25519 key generation");
        Self::from_pkcs8_der_with(alg, doc.as_ref()).expect("freshly generated key parses")
    }

    /// An RSA key signing proofs with `alg` (use fixture keys: RSA generation is slow).
    pub fn rsa(key: &SigningKey, alg: SigAlg) -> Self {
        DpopKey {
            kind: Kind::Rsa {
                key: key.clone(),
                alg,
            },
        }
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
        Self::from_pkcs8_pem_with(ProofAlg::ES256, pem)
    }

    /// Parses PKCS#8 DER (P-256).
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, KeyError> {
        Self::from_pkcs8_der_with(ProofAlg::ES256, der)
    }

    /// Parses a PKCS#8 PEM private key for `alg` (the curve must match).
    pub fn from_pkcs8_pem_with(alg: ProofAlg, pem: &str) -> Result<Self, KeyError> {
        let der = PrivatePkcs8KeyDer::from_pem_slice(pem.as_bytes())
            .map_err(|e| KeyError::Pem(e.to_string()))?;
        Self::from_pkcs8_der_with(alg, der.secret_pkcs8_der())
    }

    /// Parses PKCS#8 DER for `alg` (the curve must match).
    pub fn from_pkcs8_der_with(alg: ProofAlg, der: &[u8]) -> Result<Self, KeyError> {
        let kind = match alg.ecdsa() {
            Some((fixed, _)) => Kind::Ec {
                alg,
                pair: Arc::new(
                    EcdsaKeyPair::from_pkcs8(fixed, der)
                        .map_err(|e| KeyError::Rejected(e.to_string()))?,
                ),
                pkcs8_der: Arc::from(der),
            },
            None => Kind::Ed {
                pair: Arc::new(
                    Ed25519KeyPair::from_pkcs8_maybe_unchecked(der)
                        .map_err(|e| KeyError::Rejected(e.to_string()))?,
                ),
                pkcs8_der: Arc::from(der),
            },
        };
        Ok(DpopKey { kind })
    }

    /// The JWS `alg` this key signs with (and puts in a proof header by default).
    pub fn alg(&self) -> &'static str {
        match &self.kind {
            Kind::Ec { alg, .. } => alg.as_str(),
            Kind::Ed { .. } => ProofAlg::EdDSA.as_str(),
            Kind::Rsa { alg, .. } => alg.as_str(),
        }
    }

    /// The private key as PKCS#8 PEM.
    pub fn private_key_pem(&self) -> String {
        match &self.kind {
            Kind::Ec { pkcs8_der, .. } | Kind::Ed { pkcs8_der, .. } => {
                pem_encode("PRIVATE KEY", pkcs8_der)
            }
            Kind::Rsa { key, .. } => key.private_key_pem(),
        }
    }

    /// The public JWK that goes into a proof header: `{kty:"EC", crv, x, y}` with coordinates
    /// of the curve's full length, `{kty:"OKP", crv:"Ed25519", x}`, or `{kty:"RSA", n, e}`
    /// (no `kid`, `use` or `alg`: a proof's key needs none).
    pub fn public_jwk(&self) -> Value {
        match &self.kind {
            Kind::Ec { alg, pair, .. } => {
                // Uncompressed point: 0x04 || x || y, each coordinate_len bytes. A point of
                // another size cannot come out of aws-lc; empty members rather than a panic.
                let n = alg.coordinate_len();
                let point = pair.public_key().as_ref();
                let (x, y) = match point.split_first() {
                    Some((4, xy)) if xy.len() == 2 * n => xy.split_at(n),
                    _ => (&[][..], &[][..]),
                };
                json!({ "kty": "EC", "crv": alg.curve(), "x": b64url(x), "y": b64url(y) })
            }
            Kind::Ed { pair, .. } => {
                json!({ "kty": "OKP", "crv": "Ed25519", "x": b64url(pair.public_key().as_ref()) })
            }
            Kind::Rsa { key, .. } => {
                let mut jwk = key.public_jwk();
                strip_jwks_members(&mut jwk);
                jwk
            }
        }
    }

    /// The JWK including the private members (`d`, and for RSA `p, q, dp, dq, qi`): a proof
    /// must never carry them (RFC 9449 §4.3).
    pub fn private_jwk(&self) -> Value {
        let d = match &self.kind {
            Kind::Ec { pair, .. } => pair
                .private_key()
                .as_be_bytes()
                .map(|b: EcPrivateKeyBin<'static>| b64url(b.as_ref()))
                .unwrap_or_default(),
            Kind::Ed { pair, .. } => pair
                .seed()
                .and_then(|s| s.as_be_bytes())
                .map(|b: Curve25519SeedBin<'static>| b64url(b.as_ref()))
                .unwrap_or_default(),
            Kind::Rsa { key, .. } => {
                let mut jwk = key.private_jwk();
                strip_jwks_members(&mut jwk);
                return jwk;
            }
        };
        let mut jwk = self.public_jwk();
        if let Some(o) = jwk.as_object_mut() {
            o.insert("d".into(), Value::String(d));
        }
        jwk
    }

    /// RFC 7638 thumbprint: the `cnf.jkt` a token bound to this key carries.
    pub fn thumbprint(&self) -> String {
        jwk_thumbprint(&self.public_jwk()).unwrap_or_default()
    }

    /// The JWS signature with this key's alg: R‖S for ECDSA (64, 96 or 132 bytes), 64 bytes
    /// for Ed25519, the modulus length for RSA.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        match &self.kind {
            Kind::Ec { pair, .. } => pair
                .sign(&SystemRandom::new(), message)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| KeyError::Sign),
            Kind::Ed { pair, .. } => pair
                .try_sign(message)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| KeyError::Sign),
            Kind::Rsa { key, alg } => key.sign(*alg, message),
        }
    }

    /// DER (ASN.1) ECDSA signature, which JWS forbids (RFC 7518 §3.4): for malformed-signature
    /// cases. EdDSA and RSA have no such form: an error.
    pub fn sign_der(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        let Kind::Ec { alg, pkcs8_der, .. } = &self.kind else {
            return Err(KeyError::Rejected(format!(
                "{} has no DER signature form",
                self.alg()
            )));
        };
        let (_, asn1) = alg.ecdsa().ok_or(KeyError::Sign)?;
        let pair = EcdsaKeyPair::from_pkcs8(asn1, pkcs8_der)
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

/// Drops the JWKS-entry members (`kid`, `use`, `alg`) an RSA [`SigningKey`] JWK carries: a
/// proof's `jwk` is just the key.
fn strip_jwks_members(jwk: &mut Value) {
    if let Some(o) = jwk.as_object_mut() {
        o.remove("kid");
        o.remove("use");
        o.remove("alg");
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
