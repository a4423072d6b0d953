//! The keys cases sign tokens with, by role. A verifier keeps every key it has fetched for a
//! while (30 s and more), and some try each cached key on a token without `kid`: a key one case
//! publishes is then still trusted when the next case plays. So each key material has one role
//! in the whole catalog, whatever order the cases play in:
//!
//! - **Published**: the tenant's own spare keys (fixtures 2 and 3) under fresh kids
//!   ([`Ctx::fresh_key`](super::Ctx::fresh_key)). Cases publish them and expect tokens by them
//!   accepted while they are published; no case expects a token by them refused.
//! - **Never published**: [`attacker`] signs every token no trusted key made (an embedded
//!   `jwk`, `x5c`, `jku`, a foreign issuer), and the tokens under a published JWK whose
//!   exponent a case altered (KEY-10, RES-06: the real key that signs them is unpublished).
//!   No case publishes it.
//! - **One case's own**: [`withdrawn`] (KEY-03 publishes it, withdraws it and expects its
//!   token refused), [`unreachable`] (KEY-14 publishes it while the JWKS endpoint fails) and
//!   [`elsewhere`] (KEY-16's other origin serves it: a target that follows the redirect loads
//!   it). No other case uses them, so a target that still holds one cannot pass a token
//!   another case means to be refused.
//!
//! The isolation test (`tests/isolation.rs`) plays every case alone against a target that records the tenant's JWKS
//! at each request, and fails when a key one case publishes signs a token another case sends
//! while that key is not published.

use mock_idp::SigningKey;

/// The attacker's RSA key (`mock-idp`'s `attacker.pem`, kid `attacker`): never published.
pub(crate) fn attacker() -> SigningKey {
    SigningKey::attacker()
}

/// KEY-03's key: published, then withdrawn (this crate's `fixtures/keys/withdrawn.pem`).
pub(crate) fn withdrawn() -> SigningKey {
    own(
        include_str!("../../fixtures/keys/withdrawn.pem"),
        "withdrawn",
    )
}

/// KEY-14's key: published while the JWKS endpoint fails, so the target can never load it
/// (this crate's `fixtures/keys/unreachable.pem`).
pub(crate) fn unreachable() -> SigningKey {
    own(
        include_str!("../../fixtures/keys/unreachable.pem"),
        "unreachable",
    )
}

/// KEY-16's key: served only by another origin the tenant's JWKS redirects to (this crate's
/// `fixtures/keys/elsewhere.pem`).
pub(crate) fn elsewhere() -> SigningKey {
    own(
        include_str!("../../fixtures/keys/elsewhere.pem"),
        "elsewhere",
    )
}

/// A fixture key of this crate. The PEMs are checked in and parsed by a unit test, so this
/// cannot fail at run time; should it ever, the attacker's key is the safe stand-in (never
/// published: a case using it can only see more refusals, never a false acceptance).
fn own(pem: &str, kid: &str) -> SigningKey {
    SigningKey::from_pkcs8_pem(pem, Some(kid)).unwrap_or_else(|_| attacker())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_is_distinct_key_material() {
        let mut tps = vec![
            attacker().thumbprint(),
            withdrawn().thumbprint(),
            unreachable().thumbprint(),
            elsewhere().thumbprint(),
        ];
        for n in 1..=3 {
            tps.push(SigningKey::fixture(n).thumbprint());
        }
        for pem in [
            include_str!("../../fixtures/keys/withdrawn.pem"),
            include_str!("../../fixtures/keys/unreachable.pem"),
            include_str!("../../fixtures/keys/elsewhere.pem"),
        ] {
            assert!(SigningKey::from_pkcs8_pem(pem, None).is_ok());
        }
        let n = tps.len();
        tps.sort();
        tps.dedup();
        assert_eq!(tps.len(), n, "two roles share key material");
    }
}
