//! Tokens and proofs described as data: what `mock-idp token` / `mock-idp proof` flags and the
//! control API's JSON bodies say, applied to the same [`TokenBuilder`] and [`ProofBuilder`] a
//! Rust test uses. One description, three front ends, so the shell and any language can mint
//! every token the builders can.
//!
//! Each spec is ONE struct wearing every front end's attributes: serde for the control API
//! and `--spec FILE`, and (with the `cli` feature) clap for the flags, so a field, its JSON
//! name and its flag cannot drift apart. The claims/header edits both kinds of JWS share live
//! in [`JwsEdits`], flattened into both and applied by one function. The CLI reads `--spec`
//! first and then applies each flag given over it with clap's `update_from_arg_matches`.
//!
//! ```
//! use mock_idp::spec::{SigningSpec, TokenSpec};
//! let spec: TokenSpec = serde_json::from_value(serde_json::json!({
//!     "scope": "read:messages",
//!     "unset_claims": ["iat"],
//!     "signing": {"key": "attacker"},
//! })).unwrap();
//! assert_eq!(spec.signing, SigningSpec::Key("attacker".into()));
//! ```

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

#[cfg(feature = "cli")]
mod cli;

use crate::config::Dialect;
use crate::keys::{SigAlg, SigningKey};
use crate::mint::dpop_key::DpopKey;
use crate::mint::proof::ProofBuilder;
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
    /// Parses the shell form (`--sign-with`): `current`, `key:KID`, `attacker`, `none`, `hmac-public-key`,
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
/// `no_default_claims`). The field docs are also the `mock-idp token` flags' help.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
#[serde(default, deny_unknown_fields)]
pub struct TokenSpec {
    /// Mint exactly the claims given (--claim, --claims-json, --sub...), none of the defaults.
    #[cfg_attr(feature = "cli", arg(long))]
    pub no_default_claims: bool,
    /// Token dialect (Auth0's "Token Dialect" of an API).
    #[cfg_attr(feature = "cli", arg(long))]
    pub dialect: Option<Dialect>,
    /// API identifier (`aud`); default: the first API of the configuration.
    #[cfg_attr(feature = "cli", arg(long))]
    pub audience: Option<String>,
    /// Space-separated scopes; default: all scopes granted to the default application.
    #[cfg_attr(feature = "cli", arg(long))]
    pub scope: Option<String>,
    /// Subject (`sub`); default: `<client_id>@clients`.
    #[cfg_attr(feature = "cli", arg(long))]
    pub sub: Option<String>,
    /// Issuer (`iss`); default: the tenant's.
    #[cfg_attr(feature = "cli", arg(long = "iss"))]
    pub issuer: Option<String>,
    /// Lifetime in seconds: `exp` = `iat` + this (negative: already expired).
    #[cfg_attr(
        feature = "cli",
        arg(long, allow_hyphen_values = true, value_name = "SECS")
    )]
    pub expires_in: Option<i64>,
    /// `iat` as an offset from now in seconds (negative: in the past).
    #[cfg_attr(
        feature = "cli",
        arg(long = "iat", allow_hyphen_values = true, value_name = "SECS")
    )]
    pub issued_at: Option<i64>,
    /// `nbf` as an offset from now in seconds.
    #[cfg_attr(
        feature = "cli",
        arg(long = "nbf", allow_hyphen_values = true, value_name = "SECS")
    )]
    pub not_before: Option<i64>,
    /// Claims and header parameters set, removed or replaced by exact text.
    #[serde(flatten)]
    #[cfg_attr(feature = "cli", command(flatten))]
    pub edits: JwsEdits,
    /// `cnf.jkt`: binds the token to a DPoP key thumbprint (the CLI's `--dpop-key FILE`).
    #[cfg_attr(feature = "cli", arg(skip))]
    pub jkt: Option<String>,
    /// Sign with this RSA algorithm (RS256...PS512), whatever the header says.
    #[cfg_attr(feature = "cli", arg(long, value_name = "ALG"))]
    pub sign_alg: Option<SigAlg>,
    /// Where the signature comes from: current, key:KID, attacker, none, hmac-public-key,
    /// hmac:SECRET, ec, ec-der, tampered, empty, raw:SEGMENT, exponent-one.
    #[cfg_attr(
        feature = "cli",
        arg(
            long = "sign-with",
            value_name = "HOW",
            value_parser = SigningSpec::parse,
            default_value = "current"
        )
    )]
    pub signing: SigningSpec,
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
        b = self.edits.apply(b);
        if let Some(jkt) = &self.jkt {
            b = b.claim("cnf", serde_json::json!({ "jkt": jkt }));
        }
        if let Some(alg) = self.sign_alg {
            b = b.sign_alg(alg);
        }
        b.signed_with(self.signing.signing())
    }
}

/// A DPoP proof described as data (RFC 9449 §4.2), over a key's default proof for
/// `method` and `url`. The field docs are also the `mock-idp proof` flags' help.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
#[serde(default, deny_unknown_fields)]
pub struct ProofSpec {
    /// Access token to bind via `ath`.
    #[cfg_attr(feature = "cli", arg(long = "token"))]
    pub access_token: Option<String>,
    /// `ath` exactly (instead of the hash of the access token).
    #[cfg_attr(feature = "cli", arg(long))]
    pub ath: Option<String>,
    /// `nonce` (RFC 9449 §8).
    #[cfg_attr(feature = "cli", arg(long))]
    pub nonce: Option<String>,
    /// `iat` as an offset from now in seconds.
    #[cfg_attr(
        feature = "cli",
        arg(long, allow_hyphen_values = true, value_name = "SECS")
    )]
    pub iat: Option<i64>,
    /// `jti` (default: random per proof).
    #[cfg_attr(feature = "cli", arg(long))]
    pub jti: Option<String>,
    /// `htm` (default: the request's method).
    #[cfg_attr(feature = "cli", arg(long))]
    pub htm: Option<String>,
    /// `htu` (default: the request's URL).
    #[cfg_attr(feature = "cli", arg(long))]
    pub htu: Option<String>,
    /// Header `typ` (default: dpop+jwt).
    #[cfg_attr(feature = "cli", arg(long))]
    pub typ: Option<String>,
    /// Header `alg` (the signature stays the key's).
    #[cfg_attr(feature = "cli", arg(long))]
    pub alg: Option<String>,
    /// Claims and header parameters set, removed or replaced by exact text.
    #[serde(flatten)]
    #[cfg_attr(feature = "cli", command(flatten))]
    pub edits: JwsEdits,
    /// Put the private key into the header `jwk`.
    #[cfg_attr(feature = "cli", arg(long))]
    pub private_jwk: bool,
    /// Sign with another (fixed) key than the one in `jwk`.
    #[cfg_attr(feature = "cli", arg(long))]
    pub signed_by_other_key: bool,
    /// DER-encode the ECDSA signature.
    #[cfg_attr(feature = "cli", arg(long))]
    pub der_signature: bool,
    /// Flip a bit of the signature.
    #[cfg_attr(feature = "cli", arg(long))]
    pub tampered_signature: bool,
    /// Exactly this third segment.
    #[cfg_attr(feature = "cli", arg(long, value_name = "SEGMENT"))]
    pub raw_signature: Option<String>,
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
        b = self.edits.apply(b);
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
        b
    }
}

/// The edits an access token and a DPoP proof share: claims and header parameters set (any
/// JSON) or removed, and the header or payload replaced by exact text. Flattened into
/// [`TokenSpec`] and [`ProofSpec`] (same JSON names, same flags) and applied by one function.
///
/// Flags over a `--spec` add to it: `--claim k=v` sets one claim and keeps the others.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct JwsEdits {
    /// Claims set to these JSON values (`--claim K=V`, repeatable).
    pub claims: Map<String, Value>,
    /// Claims removed (`--unset-claim NAME`, repeatable).
    pub unset_claims: Vec<String>,
    /// Header parameters set to these JSON values: `kid`, `alg`, `typ`, anything
    /// (`--header K=V`, repeatable).
    pub header: Map<String, Value>,
    /// Header parameters removed (`--unset-header NAME`, repeatable).
    pub unset_header: Vec<String>,
    /// Exactly this header text (before base64url), replacing the built header.
    pub raw_header: Option<String>,
    /// Exactly this payload text, replacing the built claims.
    pub raw_payload: Option<String>,
}

/// What [`JwsEdits`] needs of a builder: both [`TokenBuilder`] and [`ProofBuilder`] have it.
trait Jws: Sized {
    fn claim(self, name: &str, value: Value) -> Self;
    fn remove_claim(self, name: &str) -> Self;
    fn header(self, name: &str, value: Value) -> Self;
    fn remove_header(self, name: &str) -> Self;
    fn raw_header(self, text: &str) -> Self;
    fn raw_payload(self, text: &str) -> Self;
}

impl Jws for TokenBuilder {
    fn claim(self, name: &str, value: Value) -> Self {
        TokenBuilder::claim(self, name, value)
    }
    fn remove_claim(self, name: &str) -> Self {
        TokenBuilder::remove_claim(self, name)
    }
    fn header(self, name: &str, value: Value) -> Self {
        TokenBuilder::header(self, name, value)
    }
    fn remove_header(self, name: &str) -> Self {
        TokenBuilder::remove_header(self, name)
    }
    fn raw_header(self, text: &str) -> Self {
        TokenBuilder::raw_header(self, text)
    }
    fn raw_payload(self, text: &str) -> Self {
        TokenBuilder::raw_payload(self, text)
    }
}

impl Jws for ProofBuilder {
    fn claim(self, name: &str, value: Value) -> Self {
        ProofBuilder::claim(self, name, value)
    }
    fn remove_claim(self, name: &str) -> Self {
        ProofBuilder::remove_claim(self, name)
    }
    fn header(self, name: &str, value: Value) -> Self {
        ProofBuilder::header(self, name, value)
    }
    fn remove_header(self, name: &str) -> Self {
        ProofBuilder::remove_header(self, name)
    }
    fn raw_header(self, text: &str) -> Self {
        ProofBuilder::raw_header(self, text)
    }
    fn raw_payload(self, text: &str) -> Self {
        ProofBuilder::raw_payload(self, text)
    }
}

impl JwsEdits {
    /// Sets, then removes, claims and then header parameters; the raw texts replace what the
    /// builder would otherwise serialize, whenever they are set.
    fn apply<B: Jws>(&self, mut b: B) -> B {
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
        if let Some(h) = &self.raw_header {
            b = b.raw_header(h);
        }
        if let Some(p) = &self.raw_payload {
            b = b.raw_payload(p);
        }
        b
    }
}
