//! Deliberately broken verifiers ("mutants") for the conformance suite's proof that every catalog
//! case catches what it claims: this verifier with exactly one check switched off. The suite
//! plays the whole catalog against each mutant (`tests/it/mutants.rs` at the repository root)
//! and prints which cases catch which mutant in `docs/conformance-catalog.md`.
//!
//! Test-only, and unable to reach production:
//! - `Mutant` is exported and the `VerifierOptions::mutant` option exists only with the
//!   `mutants` cargo feature. A build without it (every release build: only the workspace's
//!   own tests enable it) has no switch at all: the verifier then holds a zero-sized `Switch`
//!   whose `off` is the constant `false`, so every guard compiles away.
//! - With the feature (a test build that unifies features across the workspace), the option
//!   defaults to [`Mutant::None`], which no guard tests for: a verifier built without calling
//!   `mutant(..)` is the reference verifier, check for check.
//!
//! Each mutant is one guard, `sw.off(Mutant::X)`, at the check it disables (grep for the
//! variant's name); no check is duplicated.

/// Declares [`Mutant`] with one doc line per variant, `Mutant::ALL` and `Mutant::describe`
/// from one list, so the list the tests iterate cannot miss a variant.
macro_rules! mutants {
    ($($name:ident => $doc:literal,)*) => {
        /// The check a mutant verifier has switched off (feature `mutants`; tests only).
        // Without the feature the type is private and only named by guards that are always
        // false.
        #[cfg_attr(not(feature = "mutants"), allow(unreachable_pub, dead_code))]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
        #[non_exhaustive]
        pub enum Mutant {
            /// The reference verifier: nothing switched off.
            #[default]
            None,
            $(#[doc = $doc] $name,)*
        }

        #[cfg(feature = "mutants")]
        impl Mutant {
            /// Every mutant (not [`Mutant::None`]), in declaration order.
            pub const ALL: &'static [Mutant] = &[$(Mutant::$name,)*];

            /// What the mutant does wrong, in a few words.
            pub const fn describe(self) -> &'static str {
                match self {
                    Mutant::None => "nothing: the reference verifier",
                    $(Mutant::$name => $doc,)*
                }
            }
        }
    };
}

mutants! {
    SchemeCase => "Scheme names compared case-sensitively (`Bearer`, `DPoP` only).",
    OneSpace => "Exactly one SP between scheme and token.",
    FirstField => "Of several `Authorization` (or `DPoP`) fields, the first is used.",
    QueryToken => "A token in the query next to the `Authorization` field is ignored.",
    ProxyAuthorization => "`Proxy-Authorization` read when there is no `Authorization` field.",
    ChallengeScheme => "Every error goes on the Bearer challenge, whatever scheme the request used.",
    Crit => "`crit` header parameters ignored (token and proof).",
    Base64 => "base64url decoded leniently: padding and the standard alphabet accepted.",
    AlgAllowList => "The header `alg` may name any RSA algorithm, not only the configured ones.",
    Typ => "The access token's `typ` header is not checked.",
    KidAnyKey => "The `kid` is not used to pick the key: every key of the JWKS is tried.",
    Signature => "The token's signature is not checked.",
    JwkUse => "JWK `use` ignored.",
    JwkAlg => "JWK `alg` ignored.",
    JwkKeyOps => "JWK `key_ops` ignored.",
    JwkSize => "RSA keys of 1024 bits and more accepted.",
    JwkExponent => "Any odd RSA exponent accepted, 1 included.",
    JwkPrivate => "JWKs with private members used.",
    IssAllowList => "Any `https://` issuer trusted (keys fetched from it).",
    IssExact => "`iss` compared after normalisation (case, scheme, trailing slash).",
    Aud => "`aud` not checked.",
    AudFirstOnly => "Only the first member of an `aud` array is compared.",
    Exp => "`exp` not compared with the clock.",
    ExpBoundary => "A token is still valid at `now == exp`.",
    ExpRequired => "A token without `exp` accepted.",
    NumericDateType => "NumericDates given as strings parsed as numbers.",
    IntegerDates => "Fractional NumericDates refused (integers only).",
    Nbf => "`nbf` not compared with the clock.",
    IatFuture => "`iat` in the future accepted.",
    Cnf => "A malformed `cnf` read as unbound.",
    BoundAsBearer => "A DPoP-bound token accepted under `Bearer`.",
    UnboundDpop => "An unbound token accepted under `DPoP` (with a proof).",
    ProofTyp => "The proof's `typ` header not checked.",
    ProofSignature => "The proof's signature not checked.",
    ProofPrivateJwk => "A proof `jwk` with a private part (`d`) accepted.",
    Htm => "The proof's `htm` not compared.",
    HtmCase => "`htm` compared case-insensitively.",
    Htu => "The proof's `htu` not compared.",
    HtuExact => "`htu` compared as a string with the request URL (no normalisation, query kept).",
    ProofIat => "The proof's `iat` window not checked.",
    ProofIatType => "A proof `iat` given as a string parsed as a number.",
    ProofTimes => "The proof's `exp` and `nbf` ignored.",
    Jti => "Any `jti` accepted (empty, very long).",
    Ath => "The proof's `ath` not compared.",
    Jkt => "The proof key not compared with the token's `cnf.jkt`.",
    Replay => "No replay detection.",
    Scope => "The route's scope not checked.",
    ScopeCase => "A scope matches case-insensitively.",
    ScopeSubstring => "A scope matches as a substring of the `scope` claim.",
}

/// Which check (if any) this verifier has switched off. Zero-sized without the `mutants`
/// feature, and then never "off".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Switch {
    #[cfg(feature = "mutants")]
    pub(crate) mutant: Mutant,
}

impl Switch {
    /// Whether check `m` is switched off. Without the feature this is `false` whatever `m`
    /// names: the guard is dead code.
    #[inline]
    pub(crate) fn off(self, m: Mutant) -> bool {
        #[cfg(feature = "mutants")]
        return m != Mutant::None && self.mutant == m;
        #[cfg(not(feature = "mutants"))]
        {
            let _ = m;
            false
        }
    }
}
