//! DPP: DPoP proof validation, RFC 9449 §4.3 (38). AT_bound with the `DPoP` scheme unless a
//! case says otherwise; every proof is fresh (new `jti`), so a replay store never interferes.

use serde_json::{Value, json};

use futures::future::BoxFuture;

use super::forge;
use super::{Case, Ctx, Plan, Probe, Step, b64, probe, run_probes, segments};
use crate::observe::Request;
use crate::verdict::Expect::{self, *};
use crate::verdict::{Grade, Level};
use mock_idp::{DpopKey, ProofAlg, ProofBuilder};
use mock_idp::{SigAlg, SigningKey};

/// The cases of this group, in catalog order.
pub(super) const CASES: &[Case] = &[
    DPP_01, DPP_02, DPP_03, DPP_04, DPP_05, DPP_06, DPP_07, DPP_08, DPP_09, DPP_10, DPP_11, DPP_12,
    DPP_13, DPP_14, DPP_15, DPP_16, DPP_17, DPP_18, DPP_19, DPP_20, DPP_21, DPP_22, DPP_23, DPP_24,
    DPP_25, DPP_26, DPP_27, DPP_28, DPP_29, DPP_30, DPP_31, DPP_32, DPP_33, DPP_34, DPP_35, DPP_36,
    DPP_37, DPP_38, DPP_39, DPP_40,
];

/// Skips when the target has DPoP off; otherwise builds the probes.
fn dp(c: &Ctx<'_>, f: impl FnOnce() -> Vec<Probe>) -> Plan {
    match c.need_dpop() {
        Some(s) => Plan::Skip(s),
        None => Plan::Probes(f()),
    }
}

/// One probe per proof variant, all expecting `want`.
/// A labelled change to PROOF_ok.
type Variant<'a> = (String, Box<dyn FnOnce(ProofBuilder) -> ProofBuilder + 'a>);

fn each(c: &Ctx<'_>, want: Expect, variants: Vec<Variant<'_>>) -> Plan {
    dp(c, || {
        variants
            .into_iter()
            .map(|(l, f)| probe(l, c.dpp(f), want.clone()))
            .collect()
    })
}

macro_rules! v {
    ($($label:expr => $f:expr),* $(,)?) => {
        vec![$(($label.to_string(), Box::new($f) as Box<dyn FnOnce(ProofBuilder) -> ProofBuilder>)),*]
    };
}

const DPP_01: Case = Case::probes(
    "DPP-01",
    "DPoP scheme, no DPoP header",
    Level::M,
    "RFC 9449 §7.1, §7",
    dpp01,
);
fn dpp01(c: &Ctx<'_>) -> Plan {
    dp(c, || {
        let t = c.bound().build();
        vec![probe(
            "no DPoP field",
            c.auth(c.target.dpop_path(), &format!("DPoP {t}")),
            OneOf(vec![InvalidDpopProof, InvalidRequest]),
        )]
    })
}

const DPP_02: Case = Case::probes(
    "DPP-02",
    "Several proofs",
    Level::M,
    "RFC 9449 §4.3 #1",
    dpp02,
);
fn dpp02(c: &Ctx<'_>) -> Plan {
    dp(c, || {
        let t = c.bound().build();
        let p1 = c.proof(&t).build();
        let p2 = c.proof(&t).build();
        let p3 = c.proof(&t).build();
        let p4 = c.proof(&t).build();
        vec![
            probe(
                "two DPoP fields",
                c.dpop(&t, &p1).header("dpop", p2),
                InvalidDpopProof,
            ),
            probe(
                "one value \"p1, p2\"",
                c.dpop(&t, &format!("{p3}, {p4}")),
                InvalidDpopProof,
            ),
        ]
    })
}

const DPP_03: Case = Case::probes(
    "DPP-03",
    "Not one well-formed JWT",
    Level::M,
    "RFC 9449 §4.3 #2, §4.1",
    dpp03,
);
fn dpp03(c: &Ctx<'_>) -> Plan {
    dp(c, || {
        let t = c.bound().build();
        let good = c.proof(&t).build();
        let parts = segments(&good);
        let json_jws =
            json!({"protected":parts[0],"payload":parts[1],"signature":parts[2]}).to_string();
        let variants = [
            ("a.b", "a.b".to_owned()),
            ("garbage", "%%%garbage%%%".to_owned()),
            ("\"DPoP <jwt>\"", format!("DPoP {}", c.proof(&t).build())),
            ("JSON JWS", json_jws),
            ("empty", String::new()),
        ];
        variants
            .into_iter()
            .map(|(l, p)| probe(l, c.dpop(&t, &p), InvalidDpopProof))
            .collect()
    })
}

const DPP_04: Case = Case::probes(
    "DPP-04",
    "Required claim missing",
    Level::M,
    "RFC 9449 §4.2, §4.3 #3",
    dpp04,
);
fn dpp04(c: &Ctx<'_>) -> Plan {
    each(
        c,
        InvalidDpopProof,
        v![
            "no jti" => |p: ProofBuilder| p.remove_claim("jti"),
            "no htm" => |p: ProofBuilder| p.remove_claim("htm"),
            "no htu" => |p: ProofBuilder| p.remove_claim("htu"),
            "no iat" => |p: ProofBuilder| p.remove_claim("iat"),
            "no ath" => |p: ProofBuilder| p.remove_claim("ath"),
        ],
    )
}

const DPP_05: Case = Case::probes(
    "DPP-05",
    "typ wrong or missing",
    Level::M,
    "RFC 9449 §4.3 #4, §11.5",
    dpp05,
);
fn dpp05(c: &Ctx<'_>) -> Plan {
    each(
        c,
        InvalidDpopProof,
        v![
            "no typ" => |p: ProofBuilder| p.remove_header("typ"),
            "JWT" => |p: ProofBuilder| p.typ("JWT"),
            "secevent+jwt" => |p: ProofBuilder| p.typ("secevent+jwt"),
            "dpop+jwt+wrongyousee" => |p: ProofBuilder| p.typ("dpop+jwt+wrongyousee"),
        ],
    )
}

const DPP_06: Case = Case::probes(
    "DPP-06",
    "typ spelling variants",
    Level::I,
    "RFC 7515 §4.1.9; RFC 9449 §4.3 #4",
    dpp06,
);
fn dpp06(c: &Ctx<'_>) -> Plan {
    each(
        c,
        OneOf(vec![Accept, InvalidDpopProof]),
        v![
            "application/dpop+jwt" => |p: ProofBuilder| p.typ("application/dpop+jwt"),
            "DPoP+JWT" => |p: ProofBuilder| p.typ("DPoP+JWT"),
        ],
    )
}

const DPP_07: Case = Case::probes(
    "DPP-07",
    "alg none, symmetric or absent",
    Level::M,
    "RFC 9449 §4.2, §4.3 #5, §11.6",
    dpp07,
);
fn dpp07(c: &Ctx<'_>) -> Plan {
    each(
        c,
        InvalidDpopProof,
        v![
            "none, unsigned" => |p: ProofBuilder| p.alg("none").raw_signature(""),
            "HS256" => |p: ProofBuilder| p.alg("HS256").raw_signature(&b64([5u8; 32])),
            "no alg" => |p: ProofBuilder| p.remove_header("alg"),
            "alg 1" => |p: ProofBuilder| p.header("alg", json!(1)),
            "alg true" => |p: ProofBuilder| p.header("alg", json!(true)),
        ],
    )
}

const DPP_08: Case = Case::script(
    "DPP-08",
    "alg not supported",
    Level::M,
    "RFC 9449 §4.3 #5, §7.1",
    dpp08,
);
fn dpp08<'a>(c: &'a Ctx<'a>) -> BoxFuture<'a, Vec<Step>> {
    // Each proof is really signed with its alg by a key the token is bound to, so the verdict
    // is the target's alg policy and nothing else: a verifier that supports EdDSA must accept
    // an EdDSA proof when it says so in `algs`, and refuse it when it does not.
    Box::pin(async move {
        if let Some(s) = c.need_dpop() {
            return vec![Step::note("dpop", Grade::Skip(s))];
        }
        let advertised = c.dpop_algs().await.ok();
        let mut steps = vec![Step::note(
            "advertised",
            Grade::Info(match &advertised {
                Some(algs) => format!("algs=\"{}\"", algs.join(" ")),
                None => "no DPoP algs advertised: each alg may be accepted or refused".into(),
            }),
        )];
        let mut probes = Vec::new();
        for name in ["RS256", "PS256", "ES384", "EdDSA", "ES256K"] {
            let Some(key) = c.alg_key(name) else {
                continue;
            };
            let (label, want) = match &advertised {
                Some(algs) if algs.iter().any(|a| a == name) => {
                    (format!("{name} (listed)"), Accept)
                }
                Some(_) => (format!("{name} (unlisted)"), InvalidDpopProof),
                None => (name.to_owned(), OneOf(vec![Accept, InvalidDpopProof])),
            };
            probes.push(probe(label, c.dpop_by(&key), want));
        }
        steps.extend(run_probes(c, Level::M, probes).await);
        steps
    })
}

const DPP_09: Case = Case::probes(
    "DPP-09",
    "alg ≠ key",
    Level::M,
    "RFC 9449 §4.3 #6; RFC 7518 §3.3",
    dpp09,
);
fn dpp09(c: &Ctx<'_>) -> Plan {
    dp(c, || {
        let rsa_jwk = SigningKey::fixture(2).public_jwk();
        let weak = SigningKey::weak_1024();
        let t = c
            .at()
            .claim("cnf", json!({ "jkt": weak.thumbprint() }))
            .build();
        let weak_proof = c.proof(&t).signed_with_rsa(&weak, SigAlg::RS256).build();
        // A proof labelled ES256 but validly signed by its jwk's own alg, the token bound to
        // that jwk: only a verifier that lets the key (not `alg`) pick the algorithm accepts.
        let relabelled = |alg: ProofAlg| {
            let key = DpopKey::generate_with(alg);
            let t = c.at().bound_to(&key).build();
            let p = c.proof_by(&key, &t).alg("ES256").build();
            c.dpop(&t, &p)
        };
        vec![
            probe(
                "ES256 with an RSA jwk",
                c.dpp(|p| p.jwk(rsa_jwk)),
                InvalidDpopProof,
            ),
            probe(
                "ES256 with a P-384 jwk (valid ES384 signature)",
                relabelled(ProofAlg::ES384),
                InvalidDpopProof,
            ),
            probe(
                "ES256 with a secp256k1 jwk (valid ES256K signature)",
                relabelled(ProofAlg::ES256K),
                InvalidDpopProof,
            ),
            probe(
                "ES384 label on a P-256 key",
                c.dpp(|p| p.alg("ES384")),
                InvalidDpopProof,
            ),
            probe(
                "RS256 with a 1024-bit jwk",
                c.dpop(&t, &weak_proof),
                InvalidDpopProof,
            ),
        ]
    })
}

const DPP_10: Case = Case::probes(
    "DPP-10",
    "Bad signature",
    Level::M,
    "RFC 9449 §4.3 #6",
    dpp10,
);
fn dpp10(c: &Ctx<'_>) -> Plan {
    let other = c.other.clone();
    each(
        c,
        InvalidDpopProof,
        v![
            "bit flipped" => |p: ProofBuilder| p.tampered_signature(),
            "signed by another key" => move |p: ProofBuilder| p.signed_by(&other),
        ],
    )
}

const DPP_11: Case = Case::probes(
    "DPP-11",
    "Psychic or malformed ECDSA signature",
    Level::M,
    "CVE-2022-21449; RFC 7518 §3.4",
    dpp11,
);
fn dpp11(c: &Ctx<'_>) -> Plan {
    each(
        c,
        InvalidDpopProof,
        v![
            "r = s = 0" => |p: ProofBuilder| p.raw_signature(&b64([0u8; 64])),
            "DER-encoded" => |p: ProofBuilder| p.der_signature(),
            "63 bytes" => |p: ProofBuilder| p.raw_signature(&b64([1u8; 63])),
            "65 bytes" => |p: ProofBuilder| p.raw_signature(&b64([1u8; 65])),
        ],
    )
}

const DPP_12: Case = Case::probes(
    "DPP-12",
    "Private key in jwk",
    Level::M,
    "RFC 9449 §4.2, §4.3 #7",
    dpp12,
);
fn dpp12(c: &Ctx<'_>) -> Plan {
    each(
        c,
        InvalidDpopProof,
        v!["jwk with d" => |p: ProofBuilder| p.with_private_key()],
    )
}

const DPP_13: Case = Case::probes(
    "DPP-13",
    "jwk absent, invalid or symmetric",
    Level::M,
    "RFC 9449 §4.2",
    dpp13,
);
fn dpp13(c: &Ctx<'_>) -> Plan {
    each(
        c,
        InvalidDpopProof,
        v![
            "no jwk" => |p: ProofBuilder| p.remove_header("jwk"),
            "jwk \"\"" => |p: ProofBuilder| p.jwk(json!("")),
            "jwk 1" => |p: ProofBuilder| p.jwk(json!(1)),
            "jwk []" => |p: ProofBuilder| p.jwk(json!([])),
            "jwk null" => |p: ProofBuilder| p.jwk(json!(null)),
            "kty oct" => |p: ProofBuilder| p.jwk(json!({"kty":"oct","k":b64(b"0123456789abcdef0123456789abcdef")})),
        ],
    )
}

const DPP_14: Case = Case::probes(
    "DPP-14",
    "Extra members in jwk",
    Level::M,
    "RFC 7638 §3.2-3.3; RFC 9449 §6.1",
    dpp14,
);
fn dpp14(c: &Ctx<'_>) -> Plan {
    let base = c.key.public_jwk();
    let with = |k: &str, v: Value| {
        let mut j = base.clone();
        j[k] = v;
        j
    };
    let variants: Vec<(&str, Value)> = vec![
        ("kid", with("kid", json!("client-key"))),
        ("alg", with("alg", json!("ES256"))),
        ("use", with("use", json!("sig"))),
        ("key_ops", with("key_ops", json!(["verify"]))),
        ("ext", with("ext", json!(true))),
        ("x5c", with("x5c", json!(["MIIB"]))),
    ];
    dp(c, || {
        variants
            .into_iter()
            .map(|(l, j)| probe(format!("jwk + {l}"), c.dpp(|p| p.jwk(j)), Accept))
            .collect()
    })
}

const DPP_15: Case = Case::probes(
    "DPP-15",
    "htm mismatch",
    Level::M,
    "RFC 9449 §4.3 #8",
    dpp15,
);
fn dpp15(c: &Ctx<'_>) -> Plan {
    each(
        c,
        InvalidDpopProof,
        v![
            "htm POST" => |p: ProofBuilder| p.htm("POST"),
            "htm PUT" => |p: ProofBuilder| p.htm("PUT"),
        ],
    )
}

const DPP_16: Case = Case::probes(
    "DPP-16",
    "htm case",
    Level::M,
    "RFC 9449 §4.3 #8; RFC 9110 §9.1",
    dpp16,
);
fn dpp16(c: &Ctx<'_>) -> Plan {
    each(
        c,
        InvalidDpopProof,
        v!["htm get" => |p: ProofBuilder| p.htm("get")],
    )
}

const DPP_17: Case = Case::probes(
    "DPP-17",
    "htm of the wrong type",
    Level::M,
    "RFC 9449 §4.2",
    dpp17,
);
fn dpp17(c: &Ctx<'_>) -> Plan {
    each(
        c,
        InvalidDpopProof,
        v![
            "htm 123" => |p: ProofBuilder| p.claim("htm", json!(123)),
            "htm null" => |p: ProofBuilder| p.claim("htm", json!(null)),
        ],
    )
}

/// The target URL split for htu variants.
fn url_parts(c: &Ctx<'_>) -> (url::Url, String) {
    let route = c.target.dpop_path().to_owned();
    let u = url::Url::parse(&c.htu(&route))
        .unwrap_or_else(|_| url::Url::parse("http://127.0.0.1/").expect("literal URL"));
    (u, route)
}

const DPP_18: Case = Case::probes(
    "DPP-18",
    "htu mismatch",
    Level::M,
    "RFC 9449 §4.3 #9",
    dpp18,
);
fn dpp18(c: &Ctx<'_>) -> Plan {
    let (u, route) = url_parts(c);
    let origin = c.target.htu_origin().to_owned();
    let other_scheme = if u.scheme() == "https" {
        origin.replacen("https://", "http://", 1)
    } else {
        origin.replacen("http://", "https://", 1)
    };
    let port = u.port_or_known_default().unwrap_or(80);
    let other_port = format!(
        "{}://{}:{}",
        u.scheme(),
        u.host_str().unwrap_or("127.0.0.1"),
        port.wrapping_add(1)
    );
    let token_url = c.tenant.urls().token();
    let variants = vec![
        (
            "other path".to_owned(),
            format!("{origin}/protectedresourceohnonotagain"),
        ),
        (
            "other host".to_owned(),
            format!("{}://rs.invalid{route}", u.scheme()),
        ),
        ("other scheme".to_owned(), format!("{other_scheme}{route}")),
        ("other port".to_owned(), format!("{other_port}{route}")),
    ];
    dp(c, || {
        let mut v: Vec<Probe> = variants
            .into_iter()
            .map(|(l, h)| probe(l, c.dpp(|p| p.htu(&h)), InvalidDpopProof))
            .collect();
        v.push(probe(
            "token-endpoint proof replayed",
            c.dpp(|p| p.htu(&token_url).htm("POST").remove_claim("ath")),
            InvalidDpopProof,
        ));
        v
    })
}

const DPP_19: Case = Case::probes(
    "DPP-19",
    "htu carries a query or fragment",
    Level::M,
    "RFC 9449 §4.3 #9",
    dpp19,
);
fn dpp19(c: &Ctx<'_>) -> Plan {
    let h = format!("{}?a=b#c", c.htu(c.target.dpop_path()));
    each(
        c,
        Accept,
        v!["htu ?a=b#c" => move |p: ProofBuilder| p.htu(&h)],
    )
}

const DPP_20: Case = Case::probes(
    "DPP-20",
    "Request has a query",
    Level::M,
    "RFC 9449 §4.2",
    dpp20,
);
fn dpp20(c: &Ctx<'_>) -> Plan {
    dp(c, || {
        let mut r = c.dpop_ok();
        r.path = format!("{}?x=1", r.path);
        vec![probe("GET ?x=1, htu without query", r, Accept)]
    })
}

const DPP_21: Case = Case::probes(
    "DPP-21",
    "Scheme and host case",
    Level::S,
    "RFC 9449 §4.3; RFC 3986 §6.2.2",
    dpp21,
);
fn dpp21(c: &Ctx<'_>) -> Plan {
    let (u, route) = url_parts(c);
    let upper = format!(
        "{}://{}{}{route}",
        u.scheme().to_uppercase(),
        u.host_str().unwrap_or_default().to_uppercase(),
        u.port().map(|p| format!(":{p}")).unwrap_or_default()
    );
    each(
        c,
        Accept,
        v!["HTTP(S)://HOST" => move |p: ProofBuilder| p.htu(&upper)],
    )
}

const DPP_22: Case = Case::probes(
    "DPP-22",
    "Explicit default port",
    Level::S,
    "RFC 3986 §6.2.3",
    dpp22,
);
fn dpp22(c: &Ctx<'_>) -> Plan {
    let (u, route) = url_parts(c);
    if u.port().is_some() {
        return Plan::Skip(
            "target URL has a non-default port, so no explicit-default-port variant exists".into(),
        );
    }
    let with_port = format!(
        "{}://{}:{}{route}",
        u.scheme(),
        u.host_str().unwrap_or_default(),
        u.port_or_known_default().unwrap_or(80)
    );
    each(
        c,
        Accept,
        v!["explicit default port" => move |p: ProofBuilder| p.htu(&with_port)],
    )
}

const DPP_23: Case = Case::probes(
    "DPP-23",
    "Percent-encoding",
    Level::S,
    "RFC 3986 §6.2.2.1-6.2.2.2",
    dpp23,
);
fn dpp23(c: &Ctx<'_>) -> Plan {
    let (_, route) = url_parts(c);
    let origin = c.target.htu_origin().to_owned();
    // Encode the first unreserved letter of the route and, separately, its second slash.
    let escaped = route
        .char_indices()
        .find(|(_, ch)| ch.is_ascii_alphabetic())
        .map(|(i, ch)| format!("{}%{:02X}{}", &route[..i], ch as u32, &route[i + 1..]));
    let slash = route
        .char_indices()
        .skip(1)
        .find(|(_, ch)| *ch == '/')
        .map(|(i, _)| format!("{}%2F{}", &route[..i], &route[i + 1..]));
    dp(c, || {
        let mut v = Vec::new();
        if let Some(e) = escaped {
            let h = format!("{origin}{e}");
            v.push(probe(format!("htu {e}"), c.dpp(|p| p.htu(&h)), Accept));
        }
        if let Some(s) = slash {
            let h = format!("{origin}{s}");
            v.push(probe(
                format!("htu {s}"),
                c.dpp(|p| p.htu(&h)),
                InvalidDpopProof,
            ));
        }
        v
    })
}

const DPP_24: Case = Case::probes(
    "DPP-24",
    "Dot-segments",
    Level::S,
    "RFC 3986 §6.2.2.3",
    dpp24,
);
fn dpp24(c: &Ctx<'_>) -> Plan {
    let (_, route) = url_parts(c);
    let origin = c.target.htu_origin().to_owned();
    let h = format!("{origin}/x/..{route}");
    each(
        c,
        Accept,
        v![format!("htu /x/..{route}") => move |p: ProofBuilder| p.htu(&h)],
    )
}

const DPP_25: Case = Case::probes(
    "DPP-25",
    "Trailing slash or path case",
    Level::M,
    "RFC 9449 §4.3 #9",
    dpp25,
);
fn dpp25(c: &Ctx<'_>) -> Plan {
    let (_, route) = url_parts(c);
    let origin = c.target.htu_origin().to_owned();
    let slash = format!("{origin}{route}/");
    let upper = format!("{origin}{}", route.to_uppercase());
    each(
        c,
        InvalidDpopProof,
        v![
            "trailing slash" => move |p: ProofBuilder| p.htu(&slash),
            "upper-case path" => move |p: ProofBuilder| p.htu(&upper),
        ],
    )
}

const DPP_26: Case = Case::probes("DPP-26", "Unusable htu", Level::M, "RFC 9449 §4.2", dpp26);
fn dpp26(c: &Ctx<'_>) -> Plan {
    let (_, route) = url_parts(c);
    each(
        c,
        InvalidDpopProof,
        v![
            "relative" => move |p: ProofBuilder| p.htu(&route),
            "urn:x" => |p: ProofBuilder| p.htu("urn:x"),
            "https://" => |p: ProofBuilder| p.htu("https://"),
            "number" => |p: ProofBuilder| p.claim("htu", json!(42)),
        ],
    )
}

const DPP_27: Case = Case::probes(
    "DPP-27",
    "userinfo in htu",
    Level::I,
    "RFC 9110 §4.2.4",
    dpp27,
);
fn dpp27(c: &Ctx<'_>) -> Plan {
    let h = c.htu(c.target.dpop_path()).replacen("://", "://user@", 1);
    each(
        c,
        OneOf(vec![InvalidDpopProof, Accept]),
        v!["user@" => move |p: ProofBuilder| p.htu(&h)],
    )
}

const DPP_28: Case = Case::probes(
    "DPP-28",
    "iat too old",
    Level::M,
    "RFC 9449 §4.3 #11, §11.1",
    dpp28,
);
fn dpp28(c: &Ctx<'_>) -> Plan {
    each(
        c,
        InvalidDpopProof,
        v![
            "iat now-301" => |p: ProofBuilder| p.iat(-301),
            "iat now-3600" => |p: ProofBuilder| p.iat(-3600),
        ],
    )
}

const DPP_29: Case = Case::probes(
    "DPP-29",
    "iat too far ahead",
    Level::M,
    "RFC 9449 §11.1, §11.2",
    dpp29,
);
fn dpp29(c: &Ctx<'_>) -> Plan {
    dp(c, || {
        vec![
            probe("iat now+3600", c.dpp(|p| p.iat(3600)), InvalidDpopProof),
            // 31 s ahead is informational (RFC 9449 leaves "reasonably near future" open).
            probe("iat now+31 (informational)", c.dpp(|p| p.iat(31)), Record),
        ]
    })
}

const DPP_30: Case = Case::probes(
    "DPP-30",
    "Small iat skew",
    Level::S,
    "RFC 9449 §11.1; OIDF",
    dpp30,
);
fn dpp30(c: &Ctx<'_>) -> Plan {
    each(
        c,
        Accept,
        v![
            "iat now-10" => |p: ProofBuilder| p.iat(-10),
            "iat now+10" => |p: ProofBuilder| p.iat(10),
        ],
    )
}

const DPP_31: Case = Case::probes(
    "DPP-31",
    "iat of the wrong type",
    Level::M,
    "RFC 7519 §4.1.6",
    dpp31,
);
fn dpp31(c: &Ctx<'_>) -> Plan {
    each(
        c,
        InvalidDpopProof,
        v![
            "iat string" => |p: ProofBuilder| p.claim("iat", json!("1700000000")),
            "iat true" => |p: ProofBuilder| p.claim("iat", json!(true)),
        ],
    )
}

const DPP_32: Case = Case::probes(
    "DPP-32",
    "nbf/exp in the proof",
    Level::S,
    "RFC 7519 §4.1.4-4.1.5",
    dpp32,
);
fn dpp32(c: &Ctx<'_>) -> Plan {
    let now = c.tenant.clock().now();
    dp(c, || {
        vec![
            probe(
                "nbf=now, exp=now+300",
                c.dpp(|p| p.claim("nbf", json!(now)).claim("exp", json!(now + 300))),
                Accept,
            ),
            probe(
                "exp=now-60",
                c.dpp(|p| p.claim("exp", json!(now - 60))),
                Reject,
            ),
        ]
    })
}

const DPP_33: Case = Case::probes(
    "DPP-33",
    "Extra header params and claims",
    Level::M,
    "RFC 9449 §4.2",
    dpp33,
);
fn dpp33(c: &Ctx<'_>) -> Plan {
    each(
        c,
        Accept,
        v!["tx_id header, tx_id_key claim" => |p: ProofBuilder| p.header("tx_id", json!("t-1")).claim("tx_id_key", json!("v"))],
    )
}

const DPP_34: Case = Case::probes(
    "DPP-34",
    "crit in the proof",
    Level::M,
    "RFC 7515 §4.1.11",
    dpp34,
);
fn dpp34(c: &Ctx<'_>) -> Plan {
    each(
        c,
        InvalidDpopProof,
        v!["crit [x]" => |p: ProofBuilder| p.header("crit", json!(["x"])).header("x", json!(1))],
    )
}

const DPP_35: Case = Case::probes(
    "DPP-35",
    "Bad jti",
    Level::S,
    "RFC 9449 §4.2; RFC 7519 §4.1.7",
    dpp35,
);
fn dpp35(c: &Ctx<'_>) -> Plan {
    each(
        c,
        InvalidDpopProof,
        v![
            "jti \"\"" => |p: ProofBuilder| p.jti(""),
            "jti 123" => |p: ProofBuilder| p.claim("jti", json!(123)),
            "jti null" => |p: ProofBuilder| p.claim("jti", json!(null)),
        ],
    )
}

const DPP_36: Case = Case::probes(
    "DPP-36",
    "Proof without a token",
    Level::M,
    "RFC 9449 §7",
    dpp36,
);
fn dpp36(c: &Ctx<'_>) -> Plan {
    dp(c, || {
        let t = c.bound().build();
        let req = Request::get(c.target.dpop_path()).header("dpop", c.proof(&t).build());
        vec![probe(
            "DPoP field only",
            req,
            OneOf(vec![NoCredentials, InvalidRequest, Reject]),
        )]
    })
}

const DPP_37: Case = Case::probes(
    "DPP-37",
    "Captured proof replayed via Host",
    Level::BP,
    "RFC 9449 §4.3 #9; RFC 9110 §7.4",
    dpp37,
);
fn dpp37(c: &Ctx<'_>) -> Plan {
    let (u, route) = url_parts(c);
    let h = format!("{}://rs-a.invalid{route}", u.scheme());
    dp(c, || {
        let t = c.bound().build();
        let p = c.proof(&t).htu(&h).build();
        vec![probe(
            "htu rs-a, Host: rs-a",
            c.dpop(&t, &p).header("host", "rs-a.invalid"),
            OneOf(vec![Status(vec![421]), Reject]),
        )]
    })
}

const DPP_38: Case = Case::probes(
    "DPP-38",
    "Invalid EC point in jwk",
    Level::M,
    "RFC 8725 §3.4; RFC 9449 §4.3 #6",
    dpp38,
);
fn dpp38(c: &Ctx<'_>) -> Plan {
    let real = c.key.public_jwk();
    let mut off = real.clone();
    off["y"] = json!(b64([0x11u8; 32]));
    let mut short = real.clone();
    short["x"] = json!(b64([0x22u8; 31]));
    let mut bad = real;
    bad["x"] = json!("!!!not-base64url!!!");
    // Bind the token to the fake key's thumbprint so only the point check can refuse it.
    dp(c, || {
        [
            ("off the curve", off),
            ("31-byte x", short),
            ("bad base64url", bad),
        ]
        .into_iter()
        .map(|(l, jwk)| {
            let jkt = mock_idp::jose::jwk_thumbprint(&jwk).unwrap_or_default();
            let t = c.at().claim("cnf", json!({ "jkt": jkt })).build();
            let p = c.proof(&t).jwk(jwk).build();
            probe(l, c.dpop(&t, &p), InvalidDpopProof)
        })
        .collect()
    })
}

/// A new proof signature from the old one's `r` and `s`.
type Resign<'a> = dyn Fn(&[u8], &[u8]) -> Vec<u8> + 'a;

/// AT_bound and PROOF_ok with its signature (`r || s`, 64 bytes) replaced by `f(r, s)`.
fn resigned(c: &Ctx<'_>, f: impl Fn(&[u8], &[u8]) -> Vec<u8>) -> Request {
    let t = c.bound().build();
    let p = c.proof(&t).build();
    let [h, pl, sig] = segments(&p);
    let sig = mock_idp::jose::b64url_decode(sig).unwrap_or_default();
    let (r, s) = sig.split_at(sig.len().min(32));
    c.dpop(&t, &format!("{h}.{pl}.{}", b64(f(r, s))))
}

const DPP_39: Case = Case::probes(
    "DPP-39",
    "ES256 proof signature encoding",
    Level::M,
    "RFC 7518 §3.4; RFC 9449 §4.3 #7; SEC 1 §4.1.4",
    dpp39,
);
/// Wycheproof's ECDSA encoding vectors on real proofs by Kc: the JWS form of an ES256
/// signature is `r || s`, 32 bytes each (RFC 7518 §3.4), and `r` and `s` lie in `[1, n-1]`
/// (SEC 1 §4.1.4 step 1).
fn dpp39(c: &Ctx<'_>) -> Plan {
    let n = forge::P256_N;
    dp(c, || {
        let variants: [(&str, &Resign<'_>); 6] = [
            ("DER instead of r || s", &|r, s| forge::ecdsa_der(r, s)),
            ("r = 0", &|_, s| [&[0u8; 32][..], s].concat()),
            ("s = 0", &|r, _| [r, &[0u8; 32][..]].concat()),
            ("r = n", &|_, s| [&n[..], s].concat()),
            ("s = n", &|r, _| [r, &n[..]].concat()),
            ("an extra zero byte before s", &|r, s| {
                [r, &[0u8][..], s].concat()
            }),
        ];
        variants
            .into_iter()
            .map(|(l, f)| probe(l, resigned(c, f), InvalidDpopProof))
            .collect()
    })
}

const DPP_40: Case = Case::probes(
    "DPP-40",
    "ES256 proof with high S",
    Level::I,
    "RFC 7518 §3.4; SEC 1 §4.1.4",
    dpp40,
);
/// The same proof with `s` replaced by `n - s` verifies just as well (ECDSA is malleable), and
/// neither RFC 7518 nor RFC 9449 asks for low S; the `jti` replay check is what stops a
/// re-signed copy. Recorded: some libraries refuse high S.
fn dpp40(c: &Ctx<'_>) -> Plan {
    dp(c, || {
        vec![probe(
            "s in the upper half of the order",
            resigned(c, |r, s| {
                let high = if forge::p256_is_high(s) {
                    s.to_vec()
                } else {
                    forge::p256_negate(s)
                };
                [r, &high[..]].concat()
            }),
            OneOf(vec![Accept, InvalidDpopProof]),
        )]
    })
}
