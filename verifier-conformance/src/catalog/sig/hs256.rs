//! SIG-19..23: a target configured for an API Auth0 signs with HS256 (the target declares the
//! `hs256` feature; the secret is the `signing_secret` of the tenant's API it protects). A
//! good HS256 token must pass, and every way around the secret must not. Skipped otherwise.

use super::super::{Case, Ctx, Plan, probe};
use crate::verdict::Expect::*;
use crate::verdict::Level;
use mock_idp::{Signing, TokenBuilder};

/// The API's signing secret, or why the HS256 cases cannot run.
fn secret(c: &Ctx<'_>) -> Result<Vec<u8>, String> {
    if !c.target.features.hs256 {
        return Err("the target is not configured for HS256 (feature hs256)".into());
    }
    let aud = c.aud();
    c.tenant
        .config()
        .api(&aud)
        .and_then(|api| api.hs256_secret().map(<[u8]>::to_vec))
        .ok_or_else(|| format!("the tenant's API {aud} signs no HS256 tokens"))
}

/// AT_ok MACed with `key` under `alg`, with no `kid` (as Auth0 sends HS256 tokens).
fn hs(c: &Ctx<'_>, alg: &str, key: &[u8]) -> TokenBuilder {
    c.at()
        .remove_header("kid")
        .alg(alg)
        .signed_with(Signing::Hmac(key.to_vec()))
}

/// Runs `f` with the secret, or skips.
fn with_secret(c: &Ctx<'_>, f: impl FnOnce(&[u8]) -> Plan) -> Plan {
    match secret(c) {
        Ok(s) => f(&s),
        Err(why) => Plan::Skip(why),
    }
}

pub(in super::super) const SIG_19: Case = Case::probes(
    "SIG-19",
    "HS256 with the API's signing secret",
    Level::M,
    "RFC 7518 §3.2; RFC 7515 §5.2",
    sig19,
);
fn sig19(c: &Ctx<'_>) -> Plan {
    with_secret(c, |s| {
        Plan::Probes(vec![probe(
            "HS256, the API's secret",
            c.bearer(&hs(c, "HS256", s).build()),
            Accept,
        )])
    })
}

pub(in super::super) const SIG_20: Case = Case::probes(
    "SIG-20",
    "HS256 under another secret",
    Level::M,
    "RFC 7515 §5.2 step 8; RFC 8725 §3.5",
    sig20,
);
fn sig20(c: &Ctx<'_>) -> Plan {
    with_secret(c, |s| {
        let mut flipped = s.to_vec();
        if let Some(b) = flipped.last_mut() {
            *b ^= 0x01;
        }
        let cases: [(&str, Vec<u8>); 4] = [
            ("the secret with one bit flipped", flipped),
            ("the secret minus its last byte", s[..s.len() - 1].to_vec()),
            ("empty", Vec::new()),
            ("\"secret\"", b"secret".to_vec()),
        ];
        Plan::Probes(
            cases
                .into_iter()
                .map(|(l, k)| probe(l, c.bearer(&hs(c, "HS256", &k).build()), InvalidToken))
                .collect(),
        )
    })
}

pub(in super::super) const SIG_21: Case = Case::probes(
    "SIG-21",
    "RS→HS confusion at an HS256 API",
    Level::M,
    "RFC 8725 §2.1, §3.1; CVE-2015-9235",
    sig21,
);
/// The tenant's published RSA key as the HMAC secret: a verifier that keys HS256 from the
/// JWKS (or from the token's `kid`) instead of its configured secret lets it through.
fn sig21(c: &Ctx<'_>) -> Plan {
    with_secret(c, |_| {
        let k = c.tenant.keys().current();
        let pem = k.public_key_pem();
        let kid = k.kid().to_owned();
        Plan::Probes(vec![
            probe(
                "SPKI PEM",
                c.bearer(&hs(c, "HS256", pem.as_bytes()).build()),
                InvalidToken,
            ),
            probe(
                "SPKI PEM, with the RSA kid",
                c.bearer(&hs(c, "HS256", pem.as_bytes()).kid(&kid).build()),
                InvalidToken,
            ),
            probe(
                "JWK JSON",
                c.bearer(&hs(c, "HS256", k.public_jwk().to_string().as_bytes()).build()),
                InvalidToken,
            ),
        ])
    })
}

pub(in super::super) const SIG_22: Case = Case::probes(
    "SIG-22",
    "alg none at an HS256 API",
    Level::M,
    "RFC 8725 §3.1; RFC 7518 §3.6",
    sig22,
);
fn sig22(c: &Ctx<'_>) -> Plan {
    with_secret(c, |s| {
        Plan::Probes(vec![
            probe(
                "alg none",
                c.bearer(
                    &c.at()
                        .remove_header("kid")
                        .signed_with(Signing::None)
                        .build(),
                ),
                InvalidToken,
            ),
            probe(
                "alg none with the HS256 MAC",
                c.bearer(&hs(c, "HS256", s).alg("none").build()),
                InvalidToken,
            ),
        ])
    })
}

pub(in super::super) const SIG_23: Case = Case::probes(
    "SIG-23",
    "HS384/HS512 when only HS256 is configured",
    Level::M,
    "RFC 8725 §3.1 (only the algorithms the application allows)",
    sig23,
);
fn sig23(c: &Ctx<'_>) -> Plan {
    with_secret(c, |s| {
        Plan::Probes(
            ["HS384", "HS512"]
                .into_iter()
                .map(|alg| {
                    probe(
                        format!("{alg}, the API's secret"),
                        c.bearer(&hs(c, alg, s).build()),
                        InvalidToken,
                    )
                })
                .collect(),
        )
    })
}
