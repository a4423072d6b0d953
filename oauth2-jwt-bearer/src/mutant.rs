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
    NoCredentialsError => "Missing credentials and unsupported schemes answered 400 `invalid_request`.",
    ChallengeScheme => "Every error goes on the Bearer challenge, whatever scheme the request used.",
    Crit => "`crit` header parameters ignored (token and proof).",
    StrictHeader => "JOSE header parameters other than `alg`, `typ`, `kid`, `jwk` refused (token and proof).",
    Base64 => "base64url decoded leniently: padding and the standard alphabet accepted.",
    AlgAllowList => "The header `alg` may name any RSA algorithm, whatever the policy and the JWK `alg`.",
    AlgFromKey => "The header `alg` ignored: a key verifies a signature of any RSA algorithm.",
    Typ => "The access token's `typ` header is not checked.",
    TypExact => "`typ` compared exactly (`at+jwt`, `JWT`): no `application/` prefix, no case folding.",
    KidAnyKey => "The `kid` is not used to pick the key: every key of the JWKS is tried.",
    Signature => "The token is decoded without verifying its signature (any `kid`, any key).",
    NoRefresh => "No JWKS refresh on an unknown `kid` once keys are cached.",
    JwkUse => "JWK `use` ignored.",
    JwkAlg => "JWK `alg` ignored.",
    JwkKeyOps => "JWK `key_ops` ignored.",
    JwkSize => "RSA keys of 1024 bits and more accepted.",
    IssExact => "`iss` compared after normalisation (case, scheme, trailing slash).",
    IssRequired => "A token without `iss` taken as the configured tenant's.",
    Aud => "`aud` not checked.",
    AudArray => "An `aud` array refused (only a string compared).",
    Exp => "`exp` not compared with the clock.",
    ExpBoundary => "A token is still valid at `now == exp` (whole seconds).",
    ExpRequired => "A token without `exp` accepted.",
    NumericDateType => "NumericDates given as strings parsed as numbers.",
    DateTypeIgnored => "An `nbf` or `iat` that is not a number ignored.",
    IntegerDates => "Fractional NumericDates refused (integers only).",
    Nbf => "`nbf` not compared with the clock.",
    IatFuture => "`iat` in the future accepted.",
    BoundAsBearer => "A DPoP-bound token accepted under `Bearer`.",
    UnboundDpop => "An unbound token accepted under `DPoP` (with a proof).",
    ProofTyp => "The proof's `typ` header not checked.",
    ProofAlg => "The proof's `alg` not checked (the key decides).",
    ProofSignature => "The proof's signature not checked.",
    ProofPrivateJwk => "A proof `jwk` with a private part (`d`) accepted.",
    ThumbprintMembers => "The `jwk` thumbprint taken over all its members, not the RFC 7638 ones.",
    Htm => "The proof's `htm` not checked (missing, mistyped or another method).",
    HtmCase => "`htm` compared case-insensitively.",
    Htu => "The proof's `htu` not checked (missing, unusable or another URL).",
    HtuExact => "`htu` compared as a string with the request URL (no normalisation, query kept).",
    ProofIat => "The proof's `iat` window not checked.",
    ProofIatType => "A proof `iat` that is missing or not a number read as now.",
    ProofIatSkew => "No allowance for a proof `iat` a few seconds ahead.",
    ProofTimes => "The proof's `exp` and `nbf` ignored.",
    Jti => "Any `jti` accepted (missing, empty, very long).",
    Ath => "The proof's `ath` not checked (missing or another token's).",
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

#[cfg(all(test, feature = "mutants"))]
mod tests {
    use super::*;

    /// The default switch (a verifier built without `VerifierOptions::mutant`) skips nothing.
    #[test]
    fn the_default_switch_is_the_reference_verifier() {
        let sw = Switch::default();
        assert_eq!(sw.mutant, Mutant::None);
        assert!(Mutant::ALL.iter().all(|m| !sw.off(*m)));
        assert!(!Mutant::ALL.contains(&Mutant::None));
        let one = Switch {
            mutant: Mutant::Exp,
        };
        assert!(one.off(Mutant::Exp) && !one.off(Mutant::Nbf) && !one.off(Mutant::None));
    }
}
