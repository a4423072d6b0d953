//! HDR: Authorization header parsing and challenge format (21).

use futures::future::BoxFuture;

use super::{Case, Ctx, PROOF_ALGS, Plan, Step, probe, run_probes};
use crate::observe::Request;
use crate::target::DpopMode;
use crate::verdict::Expect::{self, *};
use crate::verdict::{Grade, Level};

/// The cases of this group, in catalog order.
pub(super) const CASES: &[Case] = &[
    HDR_01, HDR_02, HDR_03, HDR_04, HDR_05, HDR_06, HDR_07, HDR_08, HDR_09, HDR_10, HDR_11, HDR_12,
    HDR_13, HDR_14, HDR_15, HDR_16, HDR_17, HDR_18, HDR_19, HDR_20, HDR_21,
];

const HDR_01: Case = Case::probes(
    "HDR-01",
    "No credentials",
    Level::M,
    "RFC 6750 §3, §3.1; RFC 9110 §15.5.2",
    hdr01,
);
fn hdr01(c: &Ctx<'_>) -> Plan {
    Plan::Probes(vec![probe(
        "no credentials",
        Request::get(&c.target.bearer_route),
        NoCredentials,
    )])
}

const HDR_02: Case = Case::probes(
    "HDR-02",
    "Unsupported scheme",
    Level::S,
    "RFC 6750 §3.1",
    hdr02,
);
fn hdr02(c: &Ctx<'_>) -> Plan {
    let r = &c.target.bearer_route;
    Plan::Probes(
        ["Basic dXNlcjpwYXNz", "MAC x", "Token x"]
            .into_iter()
            .map(|v| probe(v, c.auth(r, v), NoCredentials))
            .collect(),
    )
}

const HDR_03: Case = Case::probes(
    "HDR-03",
    "Bearer scheme case",
    Level::M,
    "RFC 9110 §11.1",
    hdr03,
);
fn hdr03(c: &Ctx<'_>) -> Plan {
    let t = c.at().build();
    Plan::Probes(
        ["bearer", "BEARER", "bEaReR"]
            .into_iter()
            .map(|s| {
                probe(
                    s,
                    c.auth(&c.target.bearer_route, &format!("{s} {t}")),
                    Accept,
                )
            })
            .collect(),
    )
}

const HDR_04: Case = Case::probes(
    "HDR-04",
    "DPoP scheme case",
    Level::M,
    "RFC 9110 §11.1; RFC 9449 §7.1",
    hdr04,
);
fn hdr04(c: &Ctx<'_>) -> Plan {
    if let Some(s) = c.need_dpop() {
        return Plan::Skip(s);
    }
    let route = c.target.dpop_path();
    Plan::Probes(
        ["dpop", "DPOP"]
            .into_iter()
            .map(|s| {
                let t = c.bound().build();
                let p = c.proof(&t).build();
                probe(
                    s,
                    c.auth(route, &format!("{s} {t}")).header("dpop", p),
                    Accept,
                )
            })
            .collect(),
    )
}

const HDR_05: Case = Case::probes(
    "HDR-05",
    "Several SP before the token",
    Level::M,
    "RFC 6750 §2.1",
    hdr05,
);
fn hdr05(c: &Ctx<'_>) -> Plan {
    let t = c.at().build();
    let r = &c.target.bearer_route;
    Plan::Probes(vec![probe(
        "Bearer + 2 SP",
        c.auth(r, &format!("Bearer  {t}")),
        Accept,
    )])
}

const HDR_06: Case = Case::probes(
    "HDR-06",
    "Non-SP separator",
    Level::I,
    "RFC 6750 §2.1",
    hdr06,
);
fn hdr06(c: &Ctx<'_>) -> Plan {
    let t = c.at().build();
    let r = &c.target.bearer_route;
    let mut nbsp = b"Bearer\xa0".to_vec();
    nbsp.extend_from_slice(t.as_bytes());
    Plan::Probes(vec![
        probe("TAB", c.auth(r, &format!("Bearer\t{t}")), InvalidRequest),
        probe(
            "NBSP",
            Request::get(r).header("authorization", nbsp),
            InvalidRequest,
        ),
    ])
}

const HDR_07: Case = Case::probes(
    "HDR-07",
    "Scheme without credentials",
    Level::S,
    "RFC 6750 §2.1, §3.1",
    hdr07,
);
fn hdr07(c: &Ctx<'_>) -> Plan {
    let r = &c.target.bearer_route;
    let either = || OneOf(vec![InvalidRequest, NoCredentials]);
    let mut v = vec![
        probe("Bearer", c.auth(r, "Bearer"), either()),
        probe("Bearer SP", c.auth(r, "Bearer "), either()),
    ];
    if c.target.dpop() {
        v.push(probe("DPoP SP", c.auth(r, "DPoP "), either()));
    }
    Plan::Probes(v)
}

const HDR_08: Case = Case::probes(
    "HDR-08",
    "Empty header value",
    Level::I,
    "RFC 6750 §3.1",
    hdr08,
);
fn hdr08(c: &Ctx<'_>) -> Plan {
    let r = &c.target.bearer_route;
    Plan::Probes(vec![probe(
        "empty",
        c.auth(r, ""),
        OneOf(vec![NoCredentials, InvalidRequest]),
    )])
}

const HDR_09: Case = Case::probes(
    "HDR-09",
    "Credential outside b64token",
    Level::S,
    "RFC 6750 §2.1, §3.1",
    hdr09,
);
fn hdr09(c: &Ctx<'_>) -> Plan {
    let r = &c.target.bearer_route;
    let either = || OneOf(vec![InvalidRequest, InvalidToken]);
    Plan::Probes(
        [
            "Bearer abc def",
            "Bearer a\"b",
            "Bearer a,b",
            "Bearer {\"protected\":1}",
        ]
        .into_iter()
        .map(|v| probe(v, c.auth(r, v), either()))
        .collect(),
    )
}

const HDR_10: Case = Case::probes(
    "HDR-10",
    "Two Authorization fields",
    Level::S,
    "RFC 9449 §7.2; RFC 6750 §3.1",
    hdr10,
);
fn hdr10(c: &Ctx<'_>) -> Plan {
    let t = c.at().build();
    let scheme2 = if c.target.dpop() { "DPoP" } else { "Bearer" };
    Plan::Probes(vec![probe(
        "Bearer + second field",
        c.bearer(&t)
            .header("authorization", format!("{scheme2} {t}")),
        InvalidRequest,
    )])
}

const HDR_11: Case = Case::probes(
    "HDR-11",
    "Header token and query token",
    Level::S,
    "RFC 6750 §2, §3.1",
    hdr11,
);
fn hdr11(c: &Ctx<'_>) -> Plan {
    let t = c.at().build();
    let mut req = c.bearer(&t);
    req.path = format!("{}?access_token={t}", c.target.bearer_route);
    Plan::Probes(vec![probe("header + query", req, InvalidRequest)])
}

const HDR_12: Case = Case::probes(
    "HDR-12",
    "Token only in the query",
    Level::BP,
    "RFC 6750 §2.3",
    hdr12,
);
fn hdr12(c: &Ctx<'_>) -> Plan {
    let t = c.at().build();
    let req = Request::get(format!("{}?access_token={t}", c.target.bearer_route));
    let want = if c.target.features.query_tokens {
        Accept
    } else {
        NoCredentials
    };
    Plan::Probes(vec![probe("query only", req, want)])
}

const HDR_13: Case = Case::probes(
    "HDR-13",
    "Token in a form body",
    Level::C,
    "RFC 6750 §2.2",
    hdr13,
);
fn hdr13(c: &Ctx<'_>) -> Plan {
    if !c.target.features.form_tokens {
        return Plan::Skip("target does not opt into RFC 6750 §2.2 form-body tokens".into());
    }
    let t = c.at().build();
    let r = &c.target.bearer_route;
    Plan::Probes(vec![
        probe(
            "urlencoded POST",
            Request::get(r.as_str()).method("POST").body(
                "application/x-www-form-urlencoded",
                format!("access_token={t}"),
            ),
            Accept,
        ),
        probe(
            "JSON POST",
            Request::get(r.as_str())
                .method("POST")
                .body("application/json", format!("{{\"access_token\":\"{t}\"}}")),
            OneOf(vec![NoCredentials, InvalidRequest]),
        ),
    ])
}

const HDR_14: Case = Case::probes(
    "HDR-14",
    "Every 401 has a well-formed challenge",
    Level::M,
    "RFC 9110 §15.5.2; RFC 6750 §3",
    hdr14,
);
fn hdr14(c: &Ctx<'_>) -> Plan {
    // The verdict module checks every 401 of the run; these are the typical ones.
    let mut v = vec![
        probe(
            "no credentials",
            Request::get(&c.target.bearer_route),
            NotAccept,
        ),
        probe("opaque token", c.bearer("abc"), NotAccept),
        probe("expired", c.tok(|t| t.expires_in(-600)), NotAccept),
    ];
    if c.target.dpop() {
        v.push(probe(
            "bad proof",
            c.dpp(|p| p.tampered_signature()),
            NotAccept,
        ));
    }
    Plan::Probes(v)
}

const HDR_15: Case = Case::probes(
    "HDR-15",
    "Attacker data reflected into the challenge",
    Level::M,
    "RFC 6750 §3",
    hdr15,
);
fn hdr15(c: &Ctx<'_>) -> Plan {
    let mut v: Vec<_> = ["HS256\"x", "HS256\r\nX-Injected: y", "HS256é\\"]
        .into_iter()
        .map(|alg| {
            probe(
                format!("alg {}", alg.escape_debug()),
                c.tok(|t| t.alg(alg)),
                InvalidToken,
            )
        })
        .collect();
    v.push(probe(
        "kid with quotes",
        c.tok(|t| t.kid("k\"1\r\n")),
        InvalidToken,
    ));
    Plan::Probes(v)
}

const HDR_16: Case = Case::probes(
    "HDR-16",
    "Which challenge carries the error",
    Level::S,
    "RFC 9449 §7.2",
    hdr16,
);
fn hdr16(c: &Ctx<'_>) -> Plan {
    if let Some(s) = c.need_dpop() {
        return Plan::Skip(s);
    }
    let mut v = Vec::new();
    if c.target.dpop_mode == DpopMode::Allowed {
        v.push(probe(
            "Bearer, bad token",
            c.tok(|t| t.expires_in(-600)),
            OnScheme(Box::new(InvalidToken), "Bearer".into()),
        ));
    }
    v.push(probe(
        "DPoP, bad proof",
        c.dpp(|p| p.tampered_signature()),
        OnScheme(Box::new(InvalidDpopProof), "DPoP".into()),
    ));
    Plan::Probes(v)
}

const HDR_17: Case = Case::script(
    "HDR-17",
    "algs advertised equals algs accepted",
    Level::S,
    "RFC 9449 §7.1, §4.3",
    hdr17,
);
fn hdr17<'a>(c: &'a Ctx<'a>) -> BoxFuture<'a, Vec<Step>> {
    Box::pin(async move {
        if let Some(s) = c.need_dpop() {
            return vec![Step::note("dpop", Grade::Skip(s))];
        }
        let algs = match c.dpop_algs().await {
            Ok(algs) => algs,
            Err(seen) => {
                return vec![Step::note(
                    "algs",
                    Grade::Fail(format!("no DPoP algs advertised: {seen}")),
                )];
            }
        };
        let mut steps = vec![Step::note(
            "advertised",
            Grade::Info(format!("algs=\"{}\"", algs.join(" "))),
        )];
        // A listed alg the mock cannot sign with (e.g. Ed448) is noted, not guessed at.
        let unsignable: Vec<&str> = algs
            .iter()
            .map(String::as_str)
            .filter(|a| !PROOF_ALGS.contains(a))
            .collect();
        if !unsignable.is_empty() {
            steps.push(Step::note(
                "not signable",
                Grade::Info(format!(
                    "listed but not checked (the mock cannot sign with them): {}",
                    unsignable.join(" ")
                )),
            ));
        }
        // Every proof is really signed with its alg, by a key the token is bound to: a
        // listed alg must be accepted, and one unlisted alg must be refused.
        let mut probes = Vec::new();
        let mut unlisted_sent = false;
        for name in PROOF_ALGS {
            let listed = algs.iter().any(|a| a == name);
            if !listed && unlisted_sent {
                continue;
            }
            let Some(key) = c.alg_key(name) else {
                continue;
            };
            let want: Expect = if listed { Accept } else { InvalidDpopProof };
            unlisted_sent |= !listed;
            let label = format!("{name} ({})", if listed { "listed" } else { "unlisted" });
            probes.push(probe(label, c.dpop_by(&key), want));
        }
        steps.extend(run_probes(c, Level::S, probes).await);
        steps
    })
}

const HDR_18: Case = Case::probes(
    "HDR-18",
    "Case of the DPoP field name",
    Level::M,
    "RFC 9449 §4.1",
    hdr18,
);
fn hdr18(c: &Ctx<'_>) -> Plan {
    if let Some(s) = c.need_dpop() {
        return Plan::Skip(s);
    }
    let mut title = c.dpop_ok();
    title.title_case = true;
    Plan::Probes(vec![
        probe("dpop:", c.dpop_ok(), Accept),
        probe("Dpop: (title case)", title, Accept),
    ])
}

const HDR_19: Case = Case::probes(
    "HDR-19",
    "DPoP in Proxy-Authorization",
    Level::M,
    "RFC 9449 §7.1",
    hdr19,
);
fn hdr19(c: &Ctx<'_>) -> Plan {
    if let Some(s) = c.need_dpop() {
        return Plan::Skip(s);
    }
    let t = c.bound().build();
    let p = c.proof(&t).build();
    let req = Request::get(c.target.dpop_path())
        .header("proxy-authorization", format!("DPoP {t}"))
        .header("dpop", p);
    Plan::Probes(vec![probe("Proxy-Authorization", req, NoCredentials)])
}

const HDR_20: Case = Case::probes(
    "HDR-20",
    "CORS exposure",
    Level::I,
    "RFC 9449 §7.1, §8",
    hdr20,
);
fn hdr20(c: &Ctx<'_>) -> Plan {
    Plan::Probes(vec![probe(
        "Origin + expired token",
        c.tok(|t| t.expires_in(-600))
            .header("origin", "https://app.example"),
        Record,
    )])
}

const HDR_21: Case = Case::probes(
    "HDR-21",
    "Misdirected Host",
    Level::BP,
    "RFC 9110 §7.4",
    hdr21,
);
fn hdr21(c: &Ctx<'_>) -> Plan {
    Plan::Probes(vec![probe(
        "Host: rs-a.invalid",
        c.bearer(&c.at().build()).header("host", "rs-a.invalid"),
        OneOf(vec![Status(vec![421]), Reject]),
    )])
}
