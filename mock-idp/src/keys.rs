//! The tenant's RSA signing keys and the key ring behind its JWKS.
//!
//! Each key is parsed once and kept: re-parsing a PKCS#8 RSA key per token triples the cost of
//! issuing one. The ring separates "published" (in the JWKS) from "current" (signs new tokens),
//! which is what lets a test publish a next key before switching to it, as real tenants rotate.

use std::fmt;
use std::sync::{Arc, OnceLock, RwLock};

use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, KeyPair as _, RsaEncoding, RsaKeyPair};
use rustls_pki_types::PrivatePkcs8KeyDer;
use rustls_pki_types::pem::PemObject as _;
use serde_json::{Value, json};

use crate::jose::{UnknownAlgorithm, b64url, b64url_decode, jwk_thumbprint};

/// Errors loading or using a signing key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The text is not a PKCS#8 PEM private key.
    #[error("not a PKCS#8 PEM private key: {0}")]
    Pem(String),
    /// aws-lc refused the key (wrong type, bad encoding, unsupported size).
    #[error("key rejected: {0}")]
    Rejected(String),
    /// Signing failed inside aws-lc.
    #[error("signing failed")]
    Sign,
    /// Key generation failed inside aws-lc.
    #[error("key generation failed")]
    Generate,
}

impl std::str::FromStr for SigAlg {
    type Err = UnknownAlgorithm;

    /// Parses a JWS `alg` name, exact case; anything that is not an RSA signature alg is unknown.
    fn from_str(name: &str) -> Result<Self, UnknownAlgorithm> {
        Ok(match name {
            "RS256" => SigAlg::RS256,
            "RS384" => SigAlg::RS384,
            "RS512" => SigAlg::RS512,
            "PS256" => SigAlg::PS256,
            "PS384" => SigAlg::PS384,
            "PS512" => SigAlg::PS512,
            _ => return Err(UnknownAlgorithm(name.to_owned())),
        })
    }
}

impl std::fmt::Display for SigAlg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// RSA JWS algorithms a [`SigningKey`] can produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SigAlg {
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
}

impl SigAlg {
    /// The JWS `alg` name.
    pub fn as_str(self) -> &'static str {
        match self {
            SigAlg::RS256 => "RS256",
            SigAlg::RS384 => "RS384",
            SigAlg::RS512 => "RS512",
            SigAlg::PS256 => "PS256",
            SigAlg::PS384 => "PS384",
            SigAlg::PS512 => "PS512",
        }
    }

    fn encoding(self) -> &'static dyn RsaEncoding {
        match self {
            SigAlg::RS256 => &signature::RSA_PKCS1_SHA256,
            SigAlg::RS384 => &signature::RSA_PKCS1_SHA384,
            SigAlg::RS512 => &signature::RSA_PKCS1_SHA512,
            SigAlg::PS256 => &signature::RSA_PSS_SHA256,
            SigAlg::PS384 => &signature::RSA_PSS_SHA384,
            SigAlg::PS512 => &signature::RSA_PSS_SHA512,
        }
    }
}

/// The parsed private key.
#[derive(Clone)]
enum Signer {
    /// aws-lc (2048 to 8192 bits): the fast path.
    AwsLc(Arc<RsaKeyPair>),
    /// Keys aws-lc refuses (under 2048 bits), kept only so weak-key cases can be minted:
    /// PKCS#1 v1.5 by plain modular exponentiation.
    Weak(Arc<WeakRsa>),
}

struct WeakRsa {
    n: num_bigint::BigUint,
    d: num_bigint::BigUint,
    n_bytes: Vec<u8>,
    e_bytes: Vec<u8>,
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
        include_str!(concat!("../fixtures/keys/", $name, ".pem"))
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
}

impl WeakRsa {
    /// RSASSA-PKCS1-v1_5 (RFC 8017 §8.2.1) with textbook exponentiation. Not constant-time:
    /// acceptable only because these keys exist to be rejected by verifiers.
    fn sign_pkcs1(&self, alg: SigAlg, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        let k = self.n_bytes.len();
        let em = pkcs1_v15_encoded_message(alg, message, k)?;
        let s = num_bigint::BigUint::from_bytes_be(&em).modpow(&self.d, &self.n);
        let bytes = s.to_bytes_be();
        let mut out = vec![0u8; k.saturating_sub(bytes.len())];
        out.extend(bytes);
        Ok(out)
    }
}

/// The EMSA-PKCS1-v1_5 encoded message (RFC 8017 §9.2) of `message` for a `k`-byte modulus:
/// `00 01 FF.. 00 DigestInfo`. With a published exponent `e = 1` this *is* a valid signature,
/// which is how degenerate-exponent JWKS cases are forged.
pub fn pkcs1_v15_encoded_message(
    alg: SigAlg,
    message: &[u8],
    k: usize,
) -> Result<Vec<u8>, KeyError> {
    use aws_lc_rs::digest;
    let (prefix, dalg): (&[u8], _) = match alg {
        SigAlg::RS256 => (
            &[
                0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x01, 0x05, 0x00, 0x04, 0x20,
            ],
            &digest::SHA256,
        ),
        SigAlg::RS384 => (
            &[
                0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x02, 0x05, 0x00, 0x04, 0x30,
            ],
            &digest::SHA384,
        ),
        SigAlg::RS512 => (
            &[
                0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x03, 0x05, 0x00, 0x04, 0x40,
            ],
            &digest::SHA512,
        ),
        _ => return Err(KeyError::Sign),
    };
    let hash = digest::digest(dalg, message);
    let t_len = prefix.len() + hash.as_ref().len();
    if k < t_len + 11 {
        return Err(KeyError::Sign);
    }
    let mut em = vec![0x00, 0x01];
    em.extend(std::iter::repeat_n(0xff, k - t_len - 3));
    em.push(0x00);
    em.extend_from_slice(prefix);
    em.extend_from_slice(hash.as_ref());
    Ok(em)
}

/// One DER TLV.
fn der_encode(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

impl SigningKey {
    /// Whether aws-lc refused the key as too weak (it still signs, via the slow path).
    pub fn is_weak(&self) -> bool {
        matches!(self.signer, Signer::Weak(_))
    }
}

/// PEM-armours DER with 64-column lines.
pub(crate) fn pem_encode(label: &str, der: &[u8]) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// Reads one DER TLV at the start of `input`: (tag, content, rest).
fn der_tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let mut len = 0usize;
        for &b in &rest[..n] {
            len = (len << 8) | usize::from(b);
        }
        rest = &rest[n..];
        len
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

fn strip_int(value: &[u8]) -> Vec<u8> {
    match value.iter().position(|&b| b != 0) {
        Some(i) => value[i..].to_vec(),
        None => value[value.len().saturating_sub(1)..].to_vec(),
    }
}

/// (n, e) of a PKCS#1 RSAPublicKey.
fn rsa_public_integers(der: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let (_, seq, _) = der_tlv(der)?;
    let (tn, n, rest) = der_tlv(seq)?;
    let (te, e, _) = der_tlv(rest)?;
    (tn == 0x02 && te == 0x02).then(|| (strip_int(n), strip_int(e)))
}

/// The nine INTEGERs of the RSAPrivateKey inside a PKCS#8 document (version, n, e, d, p, q,
/// dp, dq, qi), without leading zero bytes.
fn rsa_private_integers(pkcs8: &[u8]) -> Option<Vec<Vec<u8>>> {
    let (_, outer, _) = der_tlv(pkcs8)?;
    let (_, _version, rest) = der_tlv(outer)?;
    let (_, _alg_id, rest) = der_tlv(rest)?;
    let (tag, octets, _) = der_tlv(rest)?;
    if tag != 0x04 {
        return None;
    }
    let (_, mut seq, _) = der_tlv(octets)?;
    let mut ints = Vec::new();
    while !seq.is_empty() && ints.len() < 9 {
        let (tag, value, rest) = der_tlv(seq)?;
        if tag != 0x02 {
            return None;
        }
        ints.push(strip_int(value));
        seq = rest;
    }
    (ints.len() == 9).then_some(ints)
}

/// Published keys, the one that signs, and retired keys (kept so tests can still sign with a
/// key a verifier should no longer find).
#[derive(Debug)]
struct RingState {
    published: Vec<SigningKey>,
    current: SigningKey,
    retired: Vec<SigningKey>,
    /// Keys `publish_next` hands out before it has to generate one.
    spare: Vec<SigningKey>,
    /// The state directory every change of roles is written to (see [`KeyRing::persist_to`]).
    persist: Option<std::path::PathBuf>,
}

/// A tenant's key ring; clones share state.
#[derive(Clone, Debug)]
pub struct KeyRing {
    inner: Arc<RwLock<RingState>>,
}

impl KeyRing {
    /// A ring whose only published key is `current`; `spare` keys feed `publish_next`.
    pub fn new(current: SigningKey, spare: Vec<SigningKey>) -> Self {
        KeyRing {
            inner: Arc::new(RwLock::new(RingState {
                published: vec![current.clone()],
                current,
                retired: Vec::new(),
                spare,
                persist: None,
            })),
        }
    }

    /// A ring with fixture key 1 current and fixture keys 2 and 3 as spares.
    pub fn fixtures() -> Self {
        Self::new(
            SigningKey::fixture(1),
            vec![SigningKey::fixture(2), SigningKey::fixture(3)],
        )
    }

    /// Restores a ring from persisted parts.
    pub fn from_parts(
        current: SigningKey,
        published: Vec<SigningKey>,
        spare: Vec<SigningKey>,
    ) -> Self {
        let mut published = published;
        if !published.iter().any(|k| k.kid() == current.kid()) {
            published.insert(0, current.clone());
        }
        Self::restore(current, published, Vec::new(), spare)
    }

    /// Restores a ring with its retired (revoked) keys, as the state directory keeps it.
    pub fn restore(
        current: SigningKey,
        published: Vec<SigningKey>,
        retired: Vec<SigningKey>,
        spare: Vec<SigningKey>,
    ) -> Self {
        let mut published = published;
        if !published.iter().any(|k| k.kid() == current.kid()) {
            published.insert(0, current.clone());
        }
        KeyRing {
            inner: Arc::new(RwLock::new(RingState {
                published,
                current,
                retired,
                spare,
                persist: None,
            })),
        }
    }

    /// From now on, writes every change of keys and roles (publish, rotate, retire) to the
    /// state directory at `dir`, so a restarted tenant publishes the same keys and never a
    /// revoked one again (review L3). Writes the ring once now.
    pub fn persist_to(&self, dir: &std::path::Path) {
        self.write().persist = Some(dir.to_owned());
        self.save();
    }

    /// Writes the ring to its state directory, if it has one. A failure is reported on
    /// stderr: the change stands in memory either way.
    fn save(&self) {
        let s = self.read();
        if let Some(dir) = &s.persist
            && let Err(e) = crate::state::save_ring(dir, &s.current, &s.published, &s.retired)
        {
            eprintln!("mock-idp: cannot save the signing keys: {e}");
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, RingState> {
        self.inner.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, RingState> {
        self.inner.write().unwrap_or_else(|e| e.into_inner())
    }

    /// The key that signs new tokens.
    pub fn current(&self) -> SigningKey {
        self.read().current.clone()
    }

    /// Any key the ring knows (published, current or retired) by kid.
    pub fn get(&self, kid: &str) -> Option<SigningKey> {
        let s = self.read();
        s.published
            .iter()
            .chain(std::iter::once(&s.current))
            .chain(s.retired.iter())
            .find(|k| k.kid() == kid)
            .cloned()
    }

    /// Kids in the JWKS, in order.
    pub fn published_kids(&self) -> Vec<String> {
        self.read()
            .published
            .iter()
            .map(|k| k.kid().to_owned())
            .collect()
    }

    /// Adds `key` to the JWKS without signing with it.
    pub fn publish(&self, key: SigningKey) {
        {
            let mut s = self.write();
            s.retired.retain(|k| k.kid() != key.kid());
            s.published.push(key);
        }
        self.save();
    }

    /// Publishes the next spare key (fixture keys 2 and 3 in a test tenant, then freshly
    /// generated ones); returns its kid.
    ///
    /// # Panics
    /// Only if aws-lc cannot generate an RSA key once the spares are used up (a broken
    /// environment); [`KeyRing::try_publish_next`] returns that error instead.
    pub fn publish_next(&self) -> String {
        self.try_publish_next()
            .unwrap_or_else(|e| panic!("mock-idp: cannot create a next key: {e}"))
    }

    /// [`KeyRing::publish_next`], returning key-generation failures.
    pub fn try_publish_next(&self) -> Result<String, KeyError> {
        let spare = {
            let mut s = self.write();
            if s.spare.is_empty() {
                None
            } else {
                Some(s.spare.remove(0))
            }
        };
        let key = match spare {
            Some(k) => k,
            None => SigningKey::generate()?,
        };
        let kid = key.kid().to_owned();
        self.publish(key);
        Ok(kid)
    }

    /// Switches signing to the newest published key that is not current (publishing a next key
    /// first if there is none). The old key stays in the JWKS until retired. Returns the new kid.
    ///
    /// # Panics
    /// As [`KeyRing::publish_next`]; [`KeyRing::try_rotate`] returns the error instead.
    pub fn rotate(&self) -> String {
        self.try_rotate()
            .unwrap_or_else(|e| panic!("mock-idp: cannot rotate keys: {e}"))
    }

    /// [`KeyRing::rotate`], returning key-generation failures.
    pub fn try_rotate(&self) -> Result<String, KeyError> {
        let has_next = {
            let s = self.read();
            let cur = s.current.kid().to_owned();
            s.published.iter().any(|k| k.kid() != cur)
        };
        if !has_next {
            self.try_publish_next()?;
        }
        let kid = {
            let mut s = self.write();
            let cur = s.current.kid().to_owned();
            if let Some(next) = s.published.iter().rev().find(|k| k.kid() != cur).cloned() {
                s.current = next;
            }
            s.current.kid().to_owned()
        };
        self.save();
        Ok(kid)
    }

    /// Removes `kid` from the JWKS (it can still sign via `Signing::Key`). Returns whether it
    /// was published.
    pub fn retire(&self, kid: &str) -> bool {
        let changed = {
            let mut s = self.write();
            let before = s.published.len();
            let (gone, kept): (Vec<_>, Vec<_>) =
                s.published.drain(..).partition(|k| k.kid() == kid);
            s.published = kept;
            s.retired.extend(gone);
            s.published.len() != before
        };
        if changed {
            self.save();
        }
        changed
    }

    /// The JWKS document `{ "keys": [...] }`.
    pub fn jwks(&self) -> Value {
        let keys: Vec<Value> = self
            .read()
            .published
            .iter()
            .map(SigningKey::jwks_entry)
            .collect();
        json!({ "keys": keys })
    }

    /// Every published key (for persisting).
    pub fn published(&self) -> Vec<SigningKey> {
        self.read().published.clone()
    }

    /// Keys removed from the JWKS, oldest first.
    pub fn retired(&self) -> Vec<SigningKey> {
        self.read().retired.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn publish_rotate_retire() {
        let ring = KeyRing::fixtures();
        assert_eq!(ring.published_kids(), ["tenant-1"]);
        let next = ring.publish_next();
        assert_eq!(next, "tenant-2");
        assert_eq!(ring.current().kid(), "tenant-1");
        assert_eq!(ring.rotate(), "tenant-2");
        assert!(ring.retire("tenant-1"));
        assert_eq!(ring.published_kids(), ["tenant-2"]);
        assert!(ring.get("tenant-1").is_some());
    }
}
