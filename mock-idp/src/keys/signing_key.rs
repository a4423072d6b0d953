//! An RSA signing key ([`SigningKey`]): parsed once, fixtures, JWK and certificate, signing.
//!
//! Each key is parsed once and kept: re-parsing a PKCS#8 RSA key per token triples the cost of
//! issuing one. Keys aws-lc refuses (under 2048 bits) still sign, through the weak-RSA path,
//! so weak-key cases can be minted.

use std::fmt;
use std::sync::{Arc, OnceLock};

use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{KeyPair as _, RsaKeyPair};
use rustls_pki_types::PrivatePkcs8KeyDer;
use rustls_pki_types::pem::PemObject as _;
use serde_json::{Value, json};

use super::alg::SigAlg;
use super::der::{der_encode, der_tlv, pem_encode, rsa_private_integers, rsa_public_integers};
use super::error::KeyError;
use super::weak_rsa::WeakRsa;
use crate::jose::{b64url, b64url_decode, jwk_thumbprint};

/// The parsed private key.
#[derive(Clone)]
enum Signer {
    /// aws-lc (2048 to 8192 bits): the fast path.
    AwsLc(Arc<RsaKeyPair>),
    /// Keys aws-lc refuses (under 2048 bits), kept only so weak-key cases can be minted:
    /// PKCS#1 v1.5 by plain modular exponentiation.
    Weak(Arc<WeakRsa>),
}

/// See [`SigningKey::certificate_der`]; `None` where aws-lc refuses the key (under 2048 bits).
fn self_signed_certificate(pkcs8_der: &[u8], thumbprint: &str) -> Option<Vec<u8>> {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyUsagePurpose, SerialNumber};
    let der = rustls_pki_types::PrivatePkcs8KeyDer::from(pkcs8_der.to_vec());
    let key = rcgen::KeyPair::from_pkcs8_der_and_sign_algo(&der, &rcgen::PKCS_RSA_SHA256).ok()?;
    let mut params = CertificateParams::default();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::CommonName, "mock-idp");
    params.not_before = rcgen::date_time_ymd(2025, 1, 1);
    params.not_after = rcgen::date_time_ymd(2038, 9, 10); // 5000 days, as Auth0's
    let mut serial = b64url_decode(thumbprint).ok()?;
    serial.truncate(16);
    serial[0] &= 0x7f; // a positive INTEGER
    params.serial_number = Some(SerialNumber::from_slice(&serial));
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyCertSign,
    ];
    params.self_signed(&key).ok().map(|c| c.der().to_vec())
}

/// An RSA private key with its `kid`, parsed once and cheap to clone.
#[derive(Clone)]
pub struct SigningKey {
    kid: Arc<str>,
    signer: Signer,
    pkcs8_der: Arc<[u8]>,
    alg: SigAlg,
    /// The key's self-signed certificate (DER), made on first use: RSA signing costs about a
    /// millisecond and the JWKS is served far more often than keys change.
    cert: Arc<OnceLock<Option<Vec<u8>>>>,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("bits", &self.modulus_bits())
            .field("weak", &self.is_weak())
            .finish_non_exhaustive()
    }
}

macro_rules! fixture_pem {
    ($name:literal) => {
        include_str!(concat!("../../fixtures/keys/", $name, ".pem"))
    };
}

impl SigningKey {
    /// Parses a PKCS#8 PEM RSA private key; `kid` defaults to the key's RFC 7638 thumbprint.
    pub fn from_pkcs8_pem(pem: &str, kid: Option<&str>) -> Result<Self, KeyError> {
        let der = PrivatePkcs8KeyDer::from_pem_slice(pem.as_bytes())
            .map_err(|e| KeyError::Pem(e.to_string()))?;
        Self::from_pkcs8_der(der.secret_pkcs8_der(), kid)
    }

    /// Parses PKCS#8 DER; `kid` defaults to the key's RFC 7638 thumbprint.
    pub fn from_pkcs8_der(der: &[u8], kid: Option<&str>) -> Result<Self, KeyError> {
        let signer = match RsaKeyPair::from_pkcs8(der) {
            Ok(pair) => Signer::AwsLc(Arc::new(pair)),
            Err(e) => {
                let ints =
                    rsa_private_integers(der).ok_or_else(|| KeyError::Rejected(e.to_string()))?;
                Signer::Weak(Arc::new(WeakRsa {
                    n: num_bigint::BigUint::from_bytes_be(&ints[1]),
                    d: num_bigint::BigUint::from_bytes_be(&ints[3]),
                    n_bytes: ints[1].clone(),
                    e_bytes: ints[2].clone(),
                }))
            }
        };
        let mut key = SigningKey {
            kid: Arc::from(kid.unwrap_or("")),
            signer,
            pkcs8_der: Arc::from(der),
            alg: SigAlg::RS256,
            cert: Arc::default(),
        };
        if kid.is_none() {
            let tp = key.thumbprint();
            key.kid = Arc::from(tp.get(..16).unwrap_or(&tp));
        }
        Ok(key)
    }

    /// Generates a fresh RSA-2048 key (slow-ish: only for a new state directory, never in tests).
    pub fn generate() -> Result<Self, KeyError> {
        let pair = RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
            .map_err(|_| KeyError::Generate)?;
        let der: Pkcs8V1Der<'static> = pair.as_der().map_err(|_| KeyError::Generate)?;
        Self::from_pkcs8_der(der.as_ref(), None)
    }

    /// Fixed tenant key `n` (1..=3) from `fixtures/keys/tenant-n.pem`, kid `tenant-n`.
    pub fn fixture(n: u8) -> Self {
        let pem = match n {
            1 => fixture_pem!("tenant-1"),
            2 => fixture_pem!("tenant-2"),
            _ => fixture_pem!("tenant-3"),
        };
        let kid = format!("tenant-{}", n.clamp(1, 3));
        Self::fixed(pem, &kid)
    }

    /// An RSA-2048 key no tenant publishes (`fixtures/keys/attacker.pem`), kid `attacker`.
    pub fn attacker() -> Self {
        Self::fixed(fixture_pem!("attacker"), "attacker")
    }

    /// A 1024-bit RSA key, too weak for RS256 per RFC 7518 §3.3, kid `weak-1024`.
    pub fn weak_1024() -> Self {
        Self::fixed(fixture_pem!("weak-1024"), "weak-1024")
    }

    /// An RSA-4096 key, kid `tenant-4096`.
    pub fn rsa_4096() -> Self {
        Self::fixed(fixture_pem!("tenant-4096"), "tenant-4096")
    }

    fn fixed(pem: &str, kid: &str) -> Self {
        // The fixtures are compiled in and known-good; failing here is a broken build, not input.
        Self::from_pkcs8_pem(pem, Some(kid)).expect("embedded fixture key parses")
    }

    /// The same key material under another `kid` (duplicate-kid and kid-reuse cases).
    pub fn with_kid(&self, kid: &str) -> Self {
        SigningKey {
            kid: Arc::from(kid),
            ..self.clone()
        }
    }

    /// The same key advertised with another `alg` in its JWK (and used by default to sign).
    pub fn with_alg(&self, alg: SigAlg) -> Self {
        SigningKey {
            alg,
            ..self.clone()
        }
    }

    /// The key id.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The algorithm advertised in the JWK.
    pub fn alg(&self) -> SigAlg {
        self.alg
    }

    /// Modulus size in bits.
    pub fn modulus_bits(&self) -> usize {
        self.modulus_len() * 8
    }

    fn modulus_len(&self) -> usize {
        match &self.signer {
            Signer::AwsLc(pair) => pair.public_modulus_len(),
            Signer::Weak(w) => w.n_bytes.len(),
        }
    }

    fn public_components(&self) -> (Vec<u8>, Vec<u8>) {
        match &self.signer {
            // `public_key().as_ref()` is the PKCS#1 RSAPublicKey: SEQUENCE { n, e }.
            Signer::AwsLc(pair) => {
                rsa_public_integers(pair.public_key().as_ref()).unwrap_or_default()
            }
            Signer::Weak(w) => (w.n_bytes.clone(), w.e_bytes.clone()),
        }
    }

    /// The public key as a JWK: `{kty, use:"sig", n, e, kid, alg}`.
    pub fn public_jwk(&self) -> Value {
        let (n, e) = self.public_components();
        json!({
            "kty": "RSA",
            "use": "sig",
            "n": b64url(n),
            "e": b64url(e),
            "kid": &*self.kid,
            "alg": self.alg.as_str(),
        })
    }

    /// The key's JWKS entry as Auth0 publishes it: [`SigningKey::public_jwk`] plus `x5c` (the
    /// key's self-signed certificate, see [`SigningKey::certificate_der`]) and `x5t` (its SHA-1
    /// thumbprint), which older verifiers build the key from. A key too weak for aws-lc to sign
    /// with (the 1024-bit fixture) has neither.
    pub fn jwks_entry(&self) -> Value {
        let mut jwk = self.public_jwk();
        if let (Some(obj), Some(der)) = (jwk.as_object_mut(), self.certificate_der()) {
            use base64::Engine as _;
            let sha1 = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, der);
            obj.insert("x5t".into(), Value::String(b64url(sha1.as_ref())));
            obj.insert(
                "x5c".into(),
                json!([base64::engine::general_purpose::STANDARD.encode(der)]),
            );
        }
        jwk
    }

    /// The key's certificate, shaped like the ones Auth0 publishes in `x5c`: self-signed by the
    /// key, sha256WithRSA, CA:TRUE, keyUsage digitalSignature + keyCertSign, valid 5000 days.
    ///
    /// It is deterministic (fixed validity from 2025-01-01, serial from the key's thumbprint,
    /// PKCS#1 v1.5 signatures): the same key always publishes the same `x5c` and `x5t`, across
    /// restarts. The subject is `CN=mock-idp` where Auth0 writes the tenant's domain: a key does
    /// not know the domain it will be served on, and no verifier reads that name.
    pub fn certificate_der(&self) -> Option<&[u8]> {
        self.cert
            .get_or_init(|| self_signed_certificate(&self.pkcs8_der, &self.thumbprint()))
            .as_deref()
    }
    /// The JWK including the private members `d, p, q, dp, dq, qi` (for "private members in
    /// JWKS" cases; never served by default).
    pub fn private_jwk(&self) -> Value {
        let mut jwk = self.public_jwk();
        if let (Some(obj), Some(ints)) =
            (jwk.as_object_mut(), rsa_private_integers(&self.pkcs8_der))
        {
            for (name, bytes) in ["d", "p", "q", "dp", "dq", "qi"]
                .iter()
                .zip(ints.iter().skip(3))
            {
                obj.insert((*name).to_owned(), Value::String(b64url(bytes)));
            }
        }
        jwk
    }

    /// RFC 7638 thumbprint of the public key.
    pub fn thumbprint(&self) -> String {
        jwk_thumbprint(&self.public_jwk()).unwrap_or_default()
    }

    /// The modulus `n`, big-endian without leading zeros (the "raw modulus" HMAC secret).
    pub fn modulus(&self) -> Vec<u8> {
        self.public_components().0
    }

    /// The public key as PKCS#1 RSAPublicKey DER.
    pub fn public_key_pkcs1_der(&self) -> Vec<u8> {
        let der = self.public_key_der();
        // SPKI = SEQUENCE { AlgorithmIdentifier, BIT STRING { 0x00 || RSAPublicKey } }
        der_tlv(&der)
            .and_then(|(_, seq, _)| der_tlv(seq))
            .and_then(|(_, _, rest)| der_tlv(rest))
            .and_then(|(_, bits, _)| bits.get(1..))
            .map(<[u8]>::to_vec)
            .unwrap_or_default()
    }

    /// The public key as PKCS#1 PEM (`-----BEGIN RSA PUBLIC KEY-----`).
    pub fn public_key_pkcs1_pem(&self) -> String {
        pem_encode("RSA PUBLIC KEY", &self.public_key_pkcs1_der())
    }

    /// The public key as X.509 SubjectPublicKeyInfo DER.
    pub fn public_key_der(&self) -> Vec<u8> {
        let (n, e) = self.public_components();
        let int = |v: &[u8]| {
            let mut c = Vec::with_capacity(v.len() + 1);
            if v.first().is_some_and(|b| b & 0x80 != 0) {
                c.push(0);
            }
            c.extend_from_slice(v);
            der_encode(0x02, &c)
        };
        let rsa_public_key = der_encode(0x30, &[int(&n), int(&e)].concat());
        // AlgorithmIdentifier { rsaEncryption, NULL }
        let alg_id: &[u8] = &[
            0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05,
            0x00,
        ];
        let bit_string = der_encode(0x03, &[&[0u8][..], &rsa_public_key].concat());
        der_encode(0x30, &[alg_id, &bit_string].concat())
    }

    /// The public key as SPKI PEM (`-----BEGIN PUBLIC KEY-----`, trailing newline): the usual
    /// "secret" in RS256→HS256 key-confusion attacks.
    pub fn public_key_pem(&self) -> String {
        pem_encode("PUBLIC KEY", &self.public_key_der())
    }

    /// The private key as PKCS#8 PEM (for persisting in a state directory).
    pub fn private_key_pem(&self) -> String {
        pem_encode("PRIVATE KEY", &self.pkcs8_der)
    }

    /// Signs `message` with `alg` (independently of the JWK's advertised alg).
    pub fn sign(&self, alg: SigAlg, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        match &self.signer {
            Signer::AwsLc(pair) => {
                let mut sig = vec![0u8; pair.public_modulus_len()];
                pair.sign(alg.encoding(), &SystemRandom::new(), message, &mut sig)
                    .map_err(|_| KeyError::Sign)?;
                Ok(sig)
            }
            Signer::Weak(w) => w.sign_pkcs1(alg, message),
        }
    }

    /// Whether aws-lc refused the key as too weak (it still signs, via the slow path).
    pub fn is_weak(&self) -> bool {
        matches!(self.signer, Signer::Weak(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::der::rsa_public_integers;

    #[test]
    fn fixture_keys_parse_with_expected_sizes() {
        assert_eq!(SigningKey::fixture(1).modulus_bits(), 2048);
        assert_eq!(SigningKey::weak_1024().modulus_bits(), 1024);
        assert_eq!(SigningKey::rsa_4096().modulus_bits(), 4096);
    }

    #[test]
    fn public_key_der_matches_aws_lc() {
        let k = SigningKey::fixture(1);
        let Signer::AwsLc(pair) = &k.signer else {
            panic!("fixture 1 is a normal key")
        };
        assert_eq!(
            k.public_key_der(),
            pair.public_key().as_der().unwrap().as_ref()
        );
    }

    #[test]
    fn pkcs1_public_key_round_trips() {
        let k = SigningKey::fixture(1);
        let (n, e) = rsa_public_integers(&k.public_key_pkcs1_der()).unwrap();
        assert_eq!((n, e), k.public_components());
        assert!(
            k.public_key_pkcs1_pem()
                .starts_with("-----BEGIN RSA PUBLIC KEY-----\n")
        );
    }

    #[test]
    fn weak_key_signs_verifiable_pkcs1() {
        use aws_lc_rs::signature::{
            RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY, UnparsedPublicKey,
        };
        let k = SigningKey::weak_1024();
        assert!(k.is_weak());
        let sig = k.sign(SigAlg::RS256, b"msg").unwrap();
        UnparsedPublicKey::new(
            &RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY,
            k.public_key_der(),
        )
        .verify(b"msg", &sig)
        .unwrap();
    }

    #[test]
    fn private_jwk_has_crt_members() {
        let jwk = SigningKey::fixture(1).private_jwk();
        for m in ["d", "p", "q", "dp", "dq", "qi"] {
            assert!(jwk.get(m).and_then(Value::as_str).is_some(), "{m}");
        }
    }
}
