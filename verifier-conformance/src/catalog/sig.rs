//! SIG: signature and algorithm; SIG-19..23, for a target configured for HS256, in `hs256`.

use futures::future::BoxFuture;
use serde_json::json;

use super::forge::{self, Pkcs1Defect};
use super::{Case, Ctx, KeySet, Plan, Probe, Step, b64, keys, probe, run_probes, segments};
use crate::verdict::Expect::*;
use crate::verdict::{Grade, Level};
use mock_idp::DpopKey;
use mock_idp::SigAlg;
use mock_idp::Signing;

mod hs256;
use hs256::{SIG_19, SIG_20, SIG_21, SIG_22, SIG_23};

/// The cases of this group, in catalog order.
pub(super) const CASES: &[Case] = &[
    SIG_01, SIG_02, SIG_03, SIG_04, SIG_05, SIG_06, SIG_07, SIG_08, SIG_09, SIG_10, SIG_11, SIG_12,
    SIG_13, SIG_14, SIG_15, SIG_16, SIG_17, SIG_18, SIG_19, SIG_20, SIG_21, SIG_22, SIG_23,
];

const SIG_01: Case = Case::probes(
    "SIG-01",
    "alg none",
    Level::M,
    "RFC 9068 §4; RFC 7518 §3.6; RFC 8725 §3.1",
    sig01,
);
fn sig01(c: &Ctx<'_>) -> Plan {
    Plan::Probes(vec![probe(
        "alg none",
        c.tok(|t| t.signed_with(Signing::None)),
        InvalidToken,
    )])
}

const SIG_02: Case = Case::probes(
    "SIG-02",
    "none casings and variants",
    Level::M,
    "RFC 7515 §4.1.1",
    sig02,
);
fn sig02(c: &Ctx<'_>) -> Plan {
    let mut v: Vec<_> = ["None", "NONE", "nOnE", "none "]
        .into_iter()
        .map(|a| {
            probe(
                format!("{a:?}"),
                c.tok(|t| t.signed_with(Signing::None).alg(a)),
                InvalidToken,
            )
        })
        .collect();
    v.push(probe(
        "none with a signature",
        c.tok(|t| {
            t.alg("none")
                .signed_with(Signing::RawSignature(b64([9u8; 32])))
        }),
        InvalidToken,
    ));
    Plan::Probes(v)
}

const SIG_03: Case = Case::probes(
    "SIG-03",
    "alg missing or badly typed",
    Level::M,
    "RFC 7515 §4.1.1, §5.2",
    sig03,
);
fn sig03(c: &Ctx<'_>) -> Plan {
    let mut v = vec![probe(
        "no alg",
        c.tok(|t| t.remove_header("alg")),
        InvalidToken,
    )];
    for (l, a) in [
        ("null", json!(null)),
        ("\"\"", json!("")),
        ("123", json!(123)),
        ("[RS256]", json!(["RS256"])),
    ] {
        v.push(probe(l, c.tok(|t| t.header("alg", a)), InvalidToken));
    }
    Plan::Probes(v)
}

const SIG_04: Case = Case::probes(
    "SIG-04",
    "RS→HS key confusion",
    Level::M,
    "RFC 8725 §2.1, §3.1; CVE-2015-9235",
    sig04,
);
fn sig04(c: &Ctx<'_>) -> Plan {
    let k = c.tenant.keys().current();
    let pem = k.public_key_pem();
    let secrets: Vec<(&str, Vec<u8>)> = vec![
        ("SPKI PEM", pem.clone().into_bytes()),
        (
            "SPKI PEM, no trailing newline",
            pem.trim_end().as_bytes().to_vec(),
        ),
        ("PKCS#1 PEM", k.public_key_pkcs1_pem().into_bytes()),
        ("SPKI DER", k.public_key_der()),
        ("JWK JSON", k.public_jwk().to_string().into_bytes()),
        ("raw modulus", k.modulus()),
        (
            "EC JWK JSON",
            DpopKey::fixture().public_jwk().to_string().into_bytes(),
        ),
    ];
    let mut v = Vec::new();
    for alg in ["HS256", "HS384", "HS512"] {
        for (l, s) in &secrets {
            v.push(probe(
                format!("{alg} keyed with {l}"),
                c.tok(|t| t.alg(alg).signed_with(Signing::Hmac(s.clone()))),
                InvalidToken,
            ));
        }
    }
    Plan::Probes(v)
}

const SIG_05: Case = Case::probes(
    "SIG-05",
    "HMAC with an empty or common secret",
    Level::M,
    "RFC 8725 §3.5",
    sig05,
);
fn sig05(c: &Ctx<'_>) -> Plan {
    Plan::Probes(
        ["", "secret", "your-256-bit-secret", "password", "changeme"]
            .into_iter()
            .map(|s| {
                probe(
                    format!("HS256 {s:?}"),
                    c.tok(|t| t.signed_with(Signing::Hmac(s.as_bytes().to_vec()))),
                    InvalidToken,
                )
            })
            .collect(),
    )
}

const SIG_06: Case = Case::probes(
    "SIG-06",
    "Null signature",
    Level::M,
    "RFC 7515 §5.2; CVE-2020-28042",
    sig06,
);
fn sig06(c: &Ctx<'_>) -> Plan {
    Plan::Probes(vec![probe(
        "header.payload.",
        c.tok(|t| t.signed_with(Signing::EmptySignature)),
        InvalidToken,
    )])
}

const SIG_07: Case = Case::probes(
    "SIG-07",
    "Tampered signature",
    Level::M,
    "RFC 7515 §5.2",
    sig07,
);
fn sig07(c: &Ctx<'_>) -> Plan {
    let t = c.at().build();
    let other = c.at().scope("other").build();
    let (input, _) = t.rsplit_once('.').unwrap_or((&t, ""));
    let (_, other_sig) = other.rsplit_once('.').unwrap_or((&other, ""));
    Plan::Probes(vec![
        probe(
            "one bit flipped",
            c.tok(|t| t.signed_with(Signing::TamperedSignature)),
            InvalidToken,
        ),
        probe(
            "last 4 chars dropped",
            c.bearer(&t[..t.len().saturating_sub(4)]),
            InvalidToken,
        ),
        probe(
            "spliced signature",
            c.bearer(&format!("{input}.{other_sig}")),
            InvalidToken,
        ),
    ])
}

const SIG_08: Case = Case::probes(
    "SIG-08",
    "Tampered claims or header",
    Level::M,
    "RFC 7515 §5.2",
    sig08,
);
fn sig08(c: &Ctx<'_>) -> Plan {
    let t = c.at().scope("nothing").build();
    let parts = segments(&t);
    let forged_claims = c
        .at()
        .scope(&format!("{} admin:write", c.target.scope))
        .claims_json();
    let forged_header = c.at().kid("tenant-2").header_json();
    Plan::Probes(vec![
        probe(
            "claims changed",
            c.bearer(&format!(
                "{}.{}.{}",
                parts[0],
                b64(forged_claims.to_string()),
                parts[2]
            )),
            InvalidToken,
        ),
        probe(
            "header changed",
            c.bearer(&format!(
                "{}.{}.{}",
                b64(forged_header.to_string()),
                parts[1],
                parts[2]
            )),
            InvalidToken,
        ),
    ])
}

const SIG_09: Case = Case::probes(
    "SIG-09",
    "Attacker key, tenant kid",
    Level::M,
    "RFC 9068 §4 step 5",
    sig09,
);
fn sig09(c: &Ctx<'_>) -> Plan {
    Plan::Probes(vec![probe(
        "attacker key, tenant kid",
        c.tok(|t| t.signed_with(Signing::Unpublished(keys::attacker()))),
        InvalidToken,
    )])
}

const SIG_10: Case = Case::probes(
    "SIG-10",
    "Embedded jwk",
    Level::M,
    "CVE-2018-0114; RFC 8725 §3.8",
    sig10,
);
fn sig10(c: &Ctx<'_>) -> Plan {
    let a = keys::attacker();
    let jwk = a.public_jwk();
    Plan::Probes(vec![
        probe(
            "jwk + tenant kid",
            c.tok(|t| {
                t.signed_with(Signing::Unpublished(a.clone()))
                    .header("jwk", jwk.clone())
            }),
            InvalidToken,
        ),
        probe(
            "jwk, no kid",
            c.tok(|t| {
                t.signed_with(Signing::Unpublished(a.clone()))
                    .header("jwk", jwk.clone())
                    .remove_header("kid")
            }),
            InvalidToken,
        ),
    ])
}

const SIG_11: Case = Case::script(
    "SIG-11",
    "jku / x5u",
    Level::M,
    "RFC 8725 §3.10; RFC 9068 §4",
    sig11,
);
fn sig11<'a>(c: &'a Ctx<'a>) -> BoxFuture<'a, Vec<Step>> {
    Box::pin(async move {
        let before = c.canary_hits().await;
        let a = keys::attacker();
        let base = c.canary_url();
        let probes = vec![
            probe(
                "jku",
                c.tok(|t| {
                    t.signed_with(Signing::Unpublished(a.clone()))
                        .kid("attacker")
                        .header("jku", json!(format!("{base}/jwks.json")))
                }),
                InvalidToken,
            ),
            probe(
                "x5u",
                c.tok(|t| {
                    t.signed_with(Signing::Unpublished(a.clone()))
                        .kid("attacker")
                        .header("x5u", json!(format!("{base}/cert.pem")))
                }),
                InvalidToken,
            ),
        ];
        let mut steps = run_probes(c, Level::M, probes).await;
        // Give a lazy background fetch a moment to show up.
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let hits = c.canary_hits().await - before;
        steps.push(Step::note(
            "canary requests",
            if hits == 0 {
                Grade::Pass
            } else {
                // Fetching is a SHOULD NOT (RFC 8725 §3.10); the rejection above is the MUST.
                Grade::Tolerated(format!(
                    "{hits} request(s) reached the canary (SSRF; SHOULD NOT)"
                ))
            },
        ));
        steps
    })
}

const SIG_12: Case = Case::probes(
    "SIG-12",
    "x5c injection",
    Level::M,
    "RFC 9068 §4 step 5",
    sig12,
);
fn sig12(c: &Ctx<'_>) -> Plan {
    let cert = base64_std(&c.tenant.ca().der());
    Plan::Probes(vec![probe(
        "x5c attacker cert",
        c.tok(|t| {
            t.signed_with(Signing::Unpublished(keys::attacker()))
                .remove_header("kid")
                .header("x5c", json!([cert]))
        }),
        InvalidToken,
    )])
}

fn base64_std(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

const SIG_13: Case = Case::probes(
    "SIG-13",
    "alg/key family mismatch",
    Level::M,
    "RFC 8725 §3.1",
    sig13,
);
fn sig13(c: &Ctx<'_>) -> Plan {
    let ec = DpopKey::generate();
    Plan::Probes(vec![
        probe(
            "ES256 on the RSA kid",
            c.tok(|t| {
                t.signed_with(Signing::Ec(ec))
                    .alg("ES256")
                    .kid(c.tenant.keys().current().kid())
            }),
            InvalidToken,
        ),
        probe(
            "PS256 on the RS256 key (valid PSS signature)",
            c.tok(|t| t.alg("PS256").sign_alg(SigAlg::PS256)),
            InvalidToken,
        ),
        probe(
            "RS512 on the RS256 key (valid signature)",
            c.tok(|t| t.alg("RS512").sign_alg(SigAlg::RS512)),
            InvalidToken,
        ),
    ])
}

const SIG_14: Case = Case::probes(
    "SIG-14",
    "Header alg ≠ algorithm used",
    Level::M,
    "RFC 8725 §3.1",
    sig14,
);
fn sig14(c: &Ctx<'_>) -> Plan {
    Plan::Probes(vec![probe(
        "RS384 header, RS256 signature",
        c.tok(|t| t.alg("RS384").sign_alg(SigAlg::RS256)),
        InvalidToken,
    )])
}

const SIG_15: Case = Case::probes(
    "SIG-15",
    "Psychic signature",
    Level::M,
    "CVE-2022-21449; RFC 7518 §3.4",
    sig15,
);
fn sig15(c: &Ctx<'_>) -> Plan {
    // P-256 order n, for r = s = n.
    let n = hex32("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
    let mut rn = n.clone();
    rn.extend_from_slice(&n);
    let kid = c.tenant.keys().current().kid().to_owned();
    Plan::Probes(vec![
        probe(
            "r = s = 0",
            c.tok(|t| {
                t.alg("ES256")
                    .kid(&kid)
                    .signed_with(Signing::RawSignature(b64([0u8; 64])))
            }),
            InvalidToken,
        ),
        probe(
            "r = s = n",
            c.tok(|t| {
                t.alg("ES256")
                    .kid(&kid)
                    .signed_with(Signing::RawSignature(b64(&rn)))
            }),
            InvalidToken,
        ),
    ])
}

fn hex32(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .filter_map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

const SIG_16: Case = Case::probes(
    "SIG-16",
    "ECDSA signature encoding",
    Level::M,
    "RFC 7518 §3.4",
    sig16,
);
fn sig16(c: &Ctx<'_>) -> Plan {
    let ec = DpopKey::generate();
    let kid = c.tenant.keys().current().kid().to_owned();
    Plan::Probes(vec![
        probe(
            "DER-encoded ES256",
            c.tok(|t| t.signed_with(Signing::EcDer(ec.clone())).kid(&kid)),
            InvalidToken,
        ),
        probe(
            "63-byte R‖S",
            c.tok(|t| {
                t.alg("ES256")
                    .kid(&kid)
                    .signed_with(Signing::RawSignature(b64([3u8; 63])))
            }),
            InvalidToken,
        ),
    ])
}

const SIG_17: Case = Case::keys(
    "SIG-17",
    "alg outside API policy",
    Level::S,
    "RFC 8725 §3.1-3.2; RFC 7515 §5.2",
    sig17,
);
fn sig17(c: &Ctx<'_>) -> KeySet {
    let k = c.fresh_key("ps256", 2).with_alg(SigAlg::PS256);
    KeySet {
        keys: vec![k.public_jwk()],
        probes: vec![probe(
            "PS256 key published, valid PS256 token",
            c.bearer(&c.signed_by(&k).alg("PS256").build()),
            Reject,
        )],
        ..KeySet::default()
    }
}

/// Which genuine signature a SIG-18 probe starts from, and what it makes of it.
type Pick<'a> = dyn Fn(&[u8]) -> bool + 'a;
type Change<'a> = dyn Fn(&[u8]) -> Vec<u8> + 'a;

const SIG_18: Case = Case::probes(
    "SIG-18",
    "RSA signature encoding (PKCS#1 v1.5)",
    Level::M,
    "RFC 8017 §8.2.2, §9.2, §B.1; RFC 7518 §3.3",
    sig18,
);
/// Wycheproof's RSA PKCS#1 v1.5 vectors on real tokens signed by the tenant's current key: each
/// signature is the key's own, over an encoding with one defect, or a genuine signature of the
/// wrong length or out of range. RFC 8017 §8.2.2 makes the verifier check the length (step 1)
/// and range (RSAVP1), then re-encode and compare the whole message, so each must be refused;
/// only the `DigestInfo` without `NULL` may pass (§B.1 allows accepting it).
fn sig18(c: &Ctx<'_>) -> Plan {
    let key = c.tenant.keys().current();
    if key.alg() != SigAlg::RS256 {
        return Plan::Skip(format!("the tenant signs with {}, not RS256", key.alg()));
    }
    let k = key.modulus().len();
    let unsigned = c.at().signed_with(Signing::EmptySignature).build();
    let input = unsigned.trim_end_matches('.').to_owned();
    let digest = mock_idp::jose::sha256(input.as_bytes());
    let mut v: Vec<Probe> = Pkcs1Defect::ALL
        .into_iter()
        .filter_map(|d| {
            let sig = forge::rsa_sign_raw(&key, &d.encode(&digest, k))?;
            let want = match d {
                Pkcs1Defect::MissingNull => OneOf(vec![Accept, InvalidToken]),
                _ => InvalidToken,
            };
            Some(probe(
                d.label(),
                c.bearer(&format!("{input}.{}", b64(sig))),
                want,
            ))
        })
        .collect();
    // Genuine signatures, re-encoded: a token whose signature suits `pick`, found by varying
    // a claim (one in 256 signatures starts with a zero byte).
    let genuine = |pick: &dyn Fn(&[u8]) -> bool| {
        (0..4096).find_map(|i| {
            let t = c.at().claim("conformance_try", json!(i)).build();
            let [h, p, s] = segments(&t);
            let sig = mock_idp::jose::b64url_decode(s).ok()?;
            pick(&sig).then(|| (format!("{h}.{p}"), sig))
        })
    };
    let n = key.modulus();
    let variants: [(&str, &Pick<'_>, &Change<'_>); 3] = [
        (
            "leading zero byte stripped",
            &|s| s.first() == Some(&0),
            &|s| s[1..].to_vec(),
        ),
        ("an extra leading zero byte", &|_| true, &|s| {
            [&[0u8][..], s].concat()
        }),
        (
            "signature + n (out of range)",
            &|s| forge::add(s, &n, k).len() == k,
            &|s| forge::add(s, &n, k),
        ),
    ];
    for (label, pick, change) in variants {
        if let Some((input, sig)) = genuine(pick) {
            let token = format!("{input}.{}", b64(change(&sig)));
            v.push(probe(label, c.bearer(&token), InvalidToken));
        }
    }
    Plan::Probes(v)
}
