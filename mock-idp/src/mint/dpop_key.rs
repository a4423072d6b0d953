//! DPoP client keys (RFC 9449): [`DpopKey`] and the algorithms it signs with ([`ProofAlg`]).
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
use serde_json::{Value, json};

use crate::jose::{UnknownAlgorithm, b64url, jwk_thumbprint};
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
}

/// Drops the JWKS-entry members (`kid`, `use`, `alg`) an RSA [`SigningKey`] JWK carries: a
/// proof's `jwk` is just the key.
pub(crate) fn strip_jwks_members(jwk: &mut Value) {
    if let Some(o) = jwk.as_object_mut() {
        o.remove("kid");
        o.remove("use");
        o.remove("alg");
    }
}
