//! Tokens and proofs described as data: what `mock-idp token` / `mock-idp proof` flags and the
//! control API's JSON bodies say, applied to the same [`TokenBuilder`] and [`ProofBuilder`] a
//! Rust test uses. One description, three front ends, so the shell and any language can mint
//! every token the builders can.
//!
//! ```
//! use mock_idp::{SigningSpec, TokenSpec};
//! let spec: TokenSpec = serde_json::from_value(serde_json::json!({
//!     "scope": "read:messages",
//!     "unset_claims": ["iat"],
//!     "signing": {"key": "attacker"},
//! })).unwrap();
//! assert_eq!(spec.signing, SigningSpec::Key("attacker".into()));
//! ```

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::config::Dialect;
use crate::keys::{SigAlg, SigningKey};
use crate::mint::proof::{DpopKey, ProofBuilder};
use crate::mint::token::{Signing, TokenBuilder};

/// Where a described token's signature comes from (the data form of [`Signing`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SigningSpec {
    /// The tenant's current key.
    #[default]
    Current,
    /// A key of the ring by kid; `"attacker"` is a key the tenant never publishes.
    Key(String),
    /// `alg: none`, empty signature.
    None,
    /// HS256 keyed with the current key's public PEM (RS→HS confusion).
    HmacWithPublicKey,
    /// HMAC with this secret (UTF-8).
    Hmac(String),
    /// ES256 with a fixed EC key the tenant does not publish.
    Ec,
    /// ES256 with a DER-encoded signature (RFC 7518 §3.4 forbids it).
    EcDer,
    /// A valid signature with one bit flipped.
    Tampered,
    /// `header.payload.` with no signature.
    Empty,
    /// Exactly this third segment.
    Raw(String),
    /// The bare PKCS#1 v1.5 message for RSA-2048: valid under any key with `e = 1`.
    ExponentOne,
}

impl SigningSpec {
    /// Parses the shell form: `current`, `key:KID`, `attacker`, `none`, `hmac-public-key`,
    /// `hmac:SECRET`, `ec`, `ec-der`, `tampered`, `empty`, `raw:SEGMENT`, `exponent-one`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let (name, arg) = match s.split_once(':') {
            Some((n, a)) => (n, Some(a)),
            None => (s, None),
        };
        Ok(match (name, arg) {
            ("current", None) => SigningSpec::Current,
            ("key", Some(kid)) => SigningSpec::Key(kid.to_owned()),
            ("attacker", None) => SigningSpec::Key("attacker".into()),
            ("none", None) => SigningSpec::None,
            ("hmac-public-key", None) => SigningSpec::HmacWithPublicKey,
            ("hmac", Some(secret)) => SigningSpec::Hmac(secret.to_owned()),
            ("ec", None) => SigningSpec::Ec,
            ("ec-der", None) => SigningSpec::EcDer,
            ("tampered", None) => SigningSpec::Tampered,
            ("empty", None) => SigningSpec::Empty,
            ("raw", Some(seg)) => SigningSpec::Raw(seg.to_owned()),
            ("exponent-one", None) => SigningSpec::ExponentOne,
            _ => {
                return Err(format!(
                    "`{s}`: expected current, key:KID, attacker, none, hmac-public-key, \
                     hmac:SECRET, ec, ec-der, tampered, empty, raw:SEGMENT or exponent-one"
                ));
            }
        })
    }

    fn signing(&self) -> Signing {
        match self {
            SigningSpec::Current => Signing::Current,
            SigningSpec::Key(kid) if kid == "attacker" => {
                Signing::Unpublished(SigningKey::attacker())
            }
            SigningSpec::Key(kid) => Signing::Key(kid.clone()),
            SigningSpec::None => Signing::None,
            SigningSpec::HmacWithPublicKey => Signing::HmacWithPublicKey,
            SigningSpec::Hmac(secret) => Signing::Hmac(secret.as_bytes().to_vec()),
            SigningSpec::Ec => Signing::Ec(DpopKey::fixture_other()),
            SigningSpec::EcDer => Signing::EcDer(DpopKey::fixture_other()),
            SigningSpec::Tampered => Signing::TamperedSignature,
            SigningSpec::Empty => Signing::EmptySignature,
            SigningSpec::Raw(seg) => Signing::RawSignature(seg.clone()),
            SigningSpec::ExponentOne => Signing::ExponentOne(256),
        }
    }
}

/// An access token described as data. Every field is optional; applied in the order the
/// fields are listed, over the tenant's default token (or an empty payload with
/// `no_default_claims`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TokenSpec {
    /// Start from an empty payload: only `claims` (and the header) are in the token.
    pub no_default_claims: bool,
    /// Auth0 token dialect (`access_token`, `rfc9068_profile`, ...).
    pub dialect: Option<Dialect>,
    /// `aud` (a string).
    pub audience: Option<String>,
    /// `scope` (space-separated).
    pub scope: Option<String>,
    /// `sub`.
    pub sub: Option<String>,
    /// `iss`.
    pub issuer: Option<String>,
    /// `exp` = `iat` + this (negative: already expired).
    pub expires_in: Option<i64>,
    /// `iat` = now + this offset.
    pub issued_at: Option<i64>,
    /// `nbf` = now + this offset.
    pub not_before: Option<i64>,
    /// Claims set to these JSON values.
    pub claims: Map<String, Value>,
    /// Claims removed.
    pub unset_claims: Vec<String>,
    /// Header parameters set to these JSON values (`kid`, `alg`, `typ`, anything).
    pub header: Map<String, Value>,
    /// Header parameters removed.
    pub unset_header: Vec<String>,
    /// `cnf.jkt`: binds the token to a DPoP key thumbprint.
    pub jkt: Option<String>,
    /// Sign with this RSA algorithm whatever the header says.
    pub sign_alg: Option<SigAlg>,
    /// Where the signature comes from.
    pub signing: SigningSpec,
    /// Exactly this header text (before base64url), replacing the built header.
    pub raw_header: Option<String>,
    /// Exactly this payload text, replacing the built claims.
    pub raw_payload: Option<String>,
}

impl TokenSpec {
    /// Applies the description to a builder (the tenant's default token).
    pub fn apply(&self, mut b: TokenBuilder) -> TokenBuilder {
        if self.no_default_claims {
            let defaults = b.claims_json();
            for name in defaults.as_object().into_iter().flat_map(Map::keys) {
                b = b.remove_claim(name);
            }
        }
        if let Some(d) = self.dialect {
            b = b.dialect(d);
        }
        if let Some(a) = &self.audience {
            b = b.audience(a);
        }
        if let Some(s) = &self.scope {
            b = b.scope(s);
        }
        if let Some(s) = &self.sub {
            b = b.sub(s);
        }
        if let Some(i) = &self.issuer {
            b = b.issuer(i);
        }
        if let Some(s) = self.expires_in {
            b = b.expires_in(s);
        }
        if let Some(s) = self.issued_at {
            b = b.issued_at(s);
        }
        if let Some(s) = self.not_before {
            b = b.not_before(s);
        }
        for (k, v) in &self.claims {
            b = b.claim(k, v.clone());
        }
        for k in &self.unset_claims {
            b = b.remove_claim(k);
        }
        for (k, v) in &self.header {
            b = b.header(k, v.clone());
        }
        for k in &self.unset_header {
            b = b.remove_header(k);
        }
        if let Some(jkt) = &self.jkt {
            b = b.claim("cnf", serde_json::json!({ "jkt": jkt }));
        }
        if let Some(alg) = self.sign_alg {
            b = b.sign_alg(alg);
        }
        b = b.signed_with(self.signing.signing());
        if let Some(h) = &self.raw_header {
            b = b.raw_header(h.clone());
        }
        if let Some(p) = &self.raw_payload {
            b = b.raw_payload(p.clone());
        }
        b
    }
}

/// A DPoP proof described as data (RFC 9449 §4.2), over a key's default proof for
/// `method` and `url`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProofSpec {
    /// `ath` from this access token.
    pub access_token: Option<String>,
    /// `ath` exactly (overrides `access_token`).
    pub ath: Option<String>,
    /// `nonce`.
    pub nonce: Option<String>,
    /// `iat` = now + this offset.
    pub iat: Option<i64>,
    /// `jti`.
    pub jti: Option<String>,
    /// `htm` (instead of the request's method).
    pub htm: Option<String>,
    /// `htu` (instead of the request's URL).
    pub htu: Option<String>,
    /// Header `typ`.
    pub typ: Option<String>,
    /// Header `alg` (the signature does not change).
    pub alg: Option<String>,
    /// Claims set to these JSON values.
    pub claims: Map<String, Value>,
    /// Claims removed.
    pub unset_claims: Vec<String>,
    /// Header parameters set to these JSON values.
    pub header: Map<String, Value>,
    /// Header parameters removed.
    pub unset_header: Vec<String>,
    /// Put the private key into the header `jwk`.
    pub private_jwk: bool,
    /// Sign with another (fixed) key than the one in `jwk`.
    pub signed_by_other_key: bool,
    /// DER-encode the ECDSA signature.
    pub der_signature: bool,
    /// Flip a bit of the signature.
    pub tampered_signature: bool,
    /// Exactly this third segment.
    pub raw_signature: Option<String>,
    /// Exactly this header text.
    pub raw_header: Option<String>,
    /// Exactly this payload text.
    pub raw_payload: Option<String>,
}

impl ProofSpec {
    /// Applies the description to a proof builder.
    pub fn apply(&self, mut b: ProofBuilder) -> ProofBuilder {
        if let Some(t) = &self.access_token {
            b = b.access_token(t);
        }
        if let Some(a) = &self.ath {
            b = b.ath(a);
        }
        if let Some(n) = &self.nonce {
            b = b.nonce(n);
        }
        if let Some(i) = self.iat {
            b = b.iat(i);
        }
        if let Some(j) = &self.jti {
            b = b.jti(j);
        }
        if let Some(h) = &self.htm {
            b = b.htm(h);
        }
        if let Some(h) = &self.htu {
            b = b.htu(h);
        }
        if let Some(t) = &self.typ {
            b = b.typ(t);
        }
        if let Some(a) = &self.alg {
            b = b.alg(a);
        }
        for (k, v) in &self.claims {
            b = b.claim(k, v.clone());
        }
        for k in &self.unset_claims {
            b = b.remove_claim(k);
        }
        for (k, v) in &self.header {
            b = b.header(k, v.clone());
        }
        for k in &self.unset_header {
            b = b.remove_header(k);
        }
        if self.private_jwk {
            b = b.with_private_key();
        }
        if self.signed_by_other_key {
            b = b.signed_by(&DpopKey::fixture_other());
        }
        if self.der_signature {
            b = b.der_signature();
        }
        if self.tampered_signature {
            b = b.tampered_signature();
        }
        if let Some(s) = &self.raw_signature {
            b = b.raw_signature(s);
        }
        if let Some(h) = &self.raw_header {
            b = b.raw_header(h);
        }
        if let Some(p) = &self.raw_payload {
            b = b.raw_payload(p);
        }
        b
    }
}
