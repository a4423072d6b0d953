//! DPB: DPoP token binding (14).

use serde_json::json;

use super::{Case, Ctx, Plan, Step, b64, probe};
use crate::target::DpopMode;
use crate::verdict::Expect::*;
use crate::verdict::{Grade, Level};

/// The cases of this group, in catalog order.
pub(super) const CASES: &[Case] = &[
    DPB_01, DPB_02, DPB_03, DPB_04, DPB_05, DPB_06, DPB_07, DPB_08, DPB_09, DPB_10, DPB_11, DPB_12,
    DPB_13, DPB_14,
];

fn need(c: &Ctx<'_>) -> Option<Plan> {
    c.need_dpop().map(Plan::Skip)
}

const DPB_01: Case = Case::probes(
    "DPB-01",
    "ath mismatch",
    Level::M,
    "RFC 9449 §4.3 #12, §7",
    dpb01,
);
fn dpb01(c: &Ctx<'_>) -> Plan {
    if let Some(p) = need(c) {
        return p;
    }
    let t1 = c.bound().build();
    let t2 = c.bound().claim("x-other", json!(1)).build();
    let p = c.proof(&t2).build();
    Plan::Probes(vec![probe(
        "ath of another bound token",
        c.dpop(&t1, &p),
        InvalidDpopProof,
    )])
}

fn sha(alg: &'static aws_lc_rs::digest::Algorithm, data: &[u8]) -> Vec<u8> {
    aws_lc_rs::digest::digest(alg, data).as_ref().to_vec()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

const DPB_02: Case = Case::probes(
    "DPB-02",
    "ath computed wrongly",
    Level::M,
    "RFC 9449 §4.2",
    dpb02,
);
fn dpb02(c: &Ctx<'_>) -> Plan {
    use base64::Engine as _;
    if let Some(p) = need(c) {
        return p;
    }
    let t = c.bound().build();
    let h = sha(&aws_lc_rs::digest::SHA256, t.as_bytes());
    let payload = t.split('.').nth(1).unwrap_or_default();
    let decoded = mock_idp::jose::b64url_decode(payload).unwrap_or_default();
    let variants = [
        (
            "hash of \"DPoP <AT>\"",
            b64(sha(
                &aws_lc_rs::digest::SHA256,
                format!("DPoP {t}").as_bytes(),
            )),
        ),
        (
            "with = padding",
            base64::engine::general_purpose::URL_SAFE.encode(&h),
        ),
        (
            "standard base64",
            base64::engine::general_purpose::STANDARD.encode(&h),
        ),
        ("hex", hex(&h)),
        (
            "SHA-384",
            b64(sha(&aws_lc_rs::digest::SHA384, t.as_bytes())),
        ),
        (
            "hash of the decoded payload",
            b64(sha(&aws_lc_rs::digest::SHA256, &decoded)),
        ),
    ];
    Plan::Probes(
        variants
            .into_iter()
            .map(|(l, a)| {
                probe(
                    l,
                    c.dpop(&t, &c.proof(&t).ath(&a).build()),
                    InvalidDpopProof,
                )
            })
            .collect(),
    )
}

const DPB_03: Case = Case::script(
    "DPB-03",
    "ath vector (suite self-test)",
    Level::M,
    "RFC 9449 §7.1",
    dpb03,
);
fn dpb03<'a>(_c: &'a Ctx<'a>) -> futures::future::BoxFuture<'a, Vec<Step>> {
    Box::pin(async move {
        let got = mock_idp::jose::ath("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU");
        let want = "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo";
        vec![Step::note(
            "RFC 9449 §7.1 ath vector",
            if got == want {
                Grade::Pass
            } else {
                Grade::Fail(format!("ath gave {got}, expected {want}"))
            },
        )]
    })
}

const DPB_04: Case = Case::probes(
    "DPB-04",
    "Key binding mismatch",
    Level::M,
    "RFC 9449 §6, §7.1, §4.3 #12",
    dpb04,
);
fn dpb04(c: &Ctx<'_>) -> Plan {
    if let Some(p) = need(c) {
        return p;
    }
    let t = c.bound().build();
    let p = c
        .other
        .proof("GET", &c.htu(c.target.dpop_path()))
        .clock(c.tenant.clock())
        .access_token(&t)
        .build();
    Plan::Probes(vec![probe(
        "proof by Kx for a token bound to Kc",
        c.dpop(&t, &p),
        OnScheme(Box::new(InvalidToken), "DPoP".into()),
    )])
}

const DPB_05: Case = Case::script(
    "DPB-05",
    "Thumbprint vectors",
    Level::M,
    "RFC 7638 §3; RFC 9449 §6.1",
    dpb05,
);
fn dpb05<'a>(c: &'a Ctx<'a>) -> futures::future::BoxFuture<'a, Vec<Step>> {
    Box::pin(async move {
        let ec = json!({"kty":"EC","x":"l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs","y":"9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA","crv":"P-256"});
        let rsa = json!({"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB","alg":"RS256","kid":"2011-04-29"});
        let checks = [
            (
                "RFC 9449 EC key",
                ec,
                "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I",
            ),
            (
                "RFC 7638 §3.1 RSA key",
                rsa,
                "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs",
            ),
        ];
        let mut steps: Vec<Step> = checks
            .into_iter()
            .map(|(l, jwk, want)| {
                let got = mock_idp::jose::jwk_thumbprint(&jwk).unwrap_or_default();
                Step::note(
                    l,
                    if got == want {
                        Grade::Pass
                    } else {
                        Grade::Fail(format!("thumbprint {got}, expected {want}"))
                    },
                )
            })
            .collect();
        if c.need_dpop().is_none() {
            // The vectors' private keys are not published; a live proof shows the target
            // computes the same RFC 7638 thumbprint for a key the suite holds.
            steps.push(
                c.check(
                    Level::M,
                    probe("live: token bound by RFC 7638 jkt", c.dpop_ok(), Accept),
                )
                .await,
            );
        }
        steps
    })
}

const DPB_06: Case = Case::probes(
    "DPB-06",
    "jkt encoding variants",
    Level::M,
    "RFC 7638 §3.1-3.3; RFC 9449 §6.1",
    dpb06,
);
fn dpb06(c: &Ctx<'_>) -> Plan {
    use base64::Engine as _;
    if let Some(p) = need(c) {
        return p;
    }
    let jwk = c.key.public_jwk();
    let canonical = format!(
        "{{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"{}\",\"y\":\"{}\"}}",
        jwk["x"].as_str().unwrap_or_default(),
        jwk["y"].as_str().unwrap_or_default()
    );
    let h = sha(&aws_lc_rs::digest::SHA256, canonical.as_bytes());
    let spaced = canonical.replace(',', ", ").replace(':', ": ");
    let reordered = format!(
        "{{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"{}\",\"y\":\"{}\"}}",
        jwk["x"].as_str().unwrap_or_default(),
        jwk["y"].as_str().unwrap_or_default()
    );
    let extra = canonical.replacen('{', "{\"alg\":\"ES256\",", 1);
    let variants = [
        (
            "padded",
            base64::engine::general_purpose::URL_SAFE.encode(&h),
        ),
        (
            "standard base64",
            base64::engine::general_purpose::STANDARD.encode(&h),
        ),
        ("hex", hex(&h)),
        (
            "SHA-1",
            b64(sha(
                &aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY,
                canonical.as_bytes(),
            )),
        ),
        (
            "SHA-384",
            b64(sha(&aws_lc_rs::digest::SHA384, canonical.as_bytes())),
        ),
        (
            "JSON with whitespace",
            b64(sha(&aws_lc_rs::digest::SHA256, spaced.as_bytes())),
        ),
        (
            "members reordered",
            b64(sha(&aws_lc_rs::digest::SHA256, reordered.as_bytes())),
        ),
        (
            "extra member",
            b64(sha(&aws_lc_rs::digest::SHA256, extra.as_bytes())),
        ),
    ];
    Plan::Probes(
        variants
            .into_iter()
            .filter(|(_, jkt)| *jkt != c.key.thumbprint())
            .map(|(l, jkt)| {
                let t = c.at().claim("cnf", json!({ "jkt": jkt })).build();
                probe(l, c.dpop(&t, &c.proof(&t).build()), InvalidToken)
            })
            .collect(),
    )
}

const DPB_07: Case = Case::probes(
    "DPB-07",
    "Malformed cnf",
    Level::M,
    "RFC 9449 §6; RFC 7800 §3.1",
    dpb07,
);
fn dpb07(c: &Ctx<'_>) -> Plan {
    if let Some(p) = need(c) {
        return p;
    }
    let mut v = Vec::new();
    let t = c.at().build();
    v.push(probe(
        "no cnf",
        c.dpop(&t, &c.proof(&t).build()),
        InvalidToken,
    ));
    for (l, cnf) in [
        ("[]", json!([])),
        ("\"x\"", json!("x")),
        ("{}", json!({})),
        ("{jkt:1}", json!({"jkt":1})),
        ("{jkt:\"\"}", json!({"jkt":""})),
    ] {
        let t = c.at().claim("cnf", cnf).build();
        v.push(probe(
            format!("cnf {l}"),
            c.dpop(&t, &c.proof(&t).build()),
            InvalidToken,
        ));
    }
    Plan::Probes(v)
}

const DPB_08: Case = Case::probes(
    "DPB-08",
    "Bound token sent as Bearer",
    Level::M,
    "RFC 9449 §7.2",
    dpb08,
);
fn dpb08(c: &Ctx<'_>) -> Plan {
    if c.target.dpop_mode == DpopMode::Disabled {
        return Plan::Skip(
            "target has DPoP disabled (RFC 9449 §7.2 ¶3 acknowledges cnf is then ignored)".into(),
        );
    }
    Plan::Probes(vec![probe(
        "bound token, Bearer",
        c.bearer(&c.bound().build()),
        InvalidToken,
    )])
}

const DPB_09: Case = Case::probes(
    "DPB-09",
    "Bound token as Bearer, with a proof",
    Level::M,
    "RFC 9449 §7.2, §7.1",
    dpb09,
);
fn dpb09(c: &Ctx<'_>) -> Plan {
    if let Some(p) = need(c) {
        return p;
    }
    let t = c.bound().build();
    let p = c.proof(&t).build();
    let req = c
        .auth(c.target.dpop_path(), &format!("Bearer {t}"))
        .header("dpop", p);
    Plan::Probes(vec![probe("bound token, Bearer + proof", req, Reject)])
}

const DPB_10: Case = Case::probes(
    "DPB-10",
    "Unbound token with the DPoP scheme",
    Level::S,
    "RFC 9449 §6, §7.1",
    dpb10,
);
fn dpb10(c: &Ctx<'_>) -> Plan {
    if let Some(p) = need(c) {
        return p;
    }
    let t = c.at().build();
    Plan::Probes(vec![probe(
        "unbound token, DPoP scheme",
        c.dpop(&t, &c.proof(&t).build()),
        InvalidToken,
    )])
}

const DPB_11: Case = Case::probes(
    "DPB-11",
    "Unbound Bearer with a stray proof",
    Level::I,
    "RFC 9449 §7.2",
    dpb11,
);
fn dpb11(c: &Ctx<'_>) -> Plan {
    if let Some(p) = need(c) {
        return p;
    }
    let t = c.at().build();
    let req = c
        .auth(c.target.dpop_path(), &format!("Bearer {t}"))
        .header("dpop", c.proof(&t).build());
    Plan::Probes(vec![probe(
        "unbound Bearer + proof",
        req,
        OneOf(vec![Accept, InvalidRequest]),
    )])
}

const DPB_12: Case = Case::probes(
    "DPB-12",
    "DPoP-only RS, Bearer token",
    Level::S,
    "RFC 9449 §7.1; RFC 9110 §15.5.2",
    dpb12,
);
fn dpb12(c: &Ctx<'_>) -> Plan {
    if c.target.dpop_mode != DpopMode::Required {
        return Plan::Skip("target is not DPoP-only".into());
    }
    Plan::Probes(vec![
        probe("AT_ok as Bearer", c.bearer(&c.at().build()), NoCredentials),
        probe(
            "AT_bound as Bearer",
            c.bearer(&c.bound().build()),
            NoCredentials,
        ),
    ])
}

const DPB_13: Case = Case::probes(
    "DPB-13",
    "Both confirmation methods",
    Level::I,
    "RFC 7800; RFC 8705 §3",
    dpb13,
);
fn dpb13(c: &Ctx<'_>) -> Plan {
    if let Some(p) = need(c) {
        return p;
    }
    let t = c
        .at()
        .claim(
            "cnf",
            json!({"jkt": c.key.thumbprint(), "x5t#S256": b64([4u8; 32])}),
        )
        .build();
    Plan::Probes(vec![probe(
        "cnf {jkt, x5t#S256}, no client certificate",
        c.dpop(&t, &c.proof(&t).build()),
        NotAccept,
    )])
}

const DPB_14: Case = Case::probes(
    "DPB-14",
    "Error precedence",
    Level::I,
    "RFC 9449 §4.3",
    dpb14,
);
fn dpb14(c: &Ctx<'_>) -> Plan {
    if let Some(p) = need(c) {
        return p;
    }
    let t = c.bound().expires_in(-600).build();
    let p = c.proof(&t).tampered_signature().build();
    Plan::Probes(vec![probe(
        "expired AT + bad proof",
        c.dpop(&t, &p),
        NotAccept,
    )])
}
