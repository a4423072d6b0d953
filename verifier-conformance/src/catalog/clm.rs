//! CLM: registered claims (17).

use futures::future::BoxFuture;
use serde_json::json;

use super::{Case, Ctx, Plan, Step, probe};
use crate::target::Profile;
use crate::verdict::Expect::*;
use crate::verdict::{Grade, Level};

/// The cases of this group, in catalog order.
pub(super) const CASES: &[Case] = &[
    CLM_01, CLM_02, CLM_03, CLM_04, CLM_05, CLM_06, CLM_07, CLM_08, CLM_09, CLM_10, CLM_11, CLM_12,
    CLM_13, CLM_14, CLM_15, CLM_16, CLM_17,
];

const CLM_01: Case = Case::probes(
    "CLM-01",
    "Expired",
    Level::M,
    "RFC 7519 §4.1.4; RFC 9068 §4",
    clm01,
);
fn clm01(c: &Ctx<'_>) -> Plan {
    Plan::Probes(vec![probe(
        "exp now-600",
        c.tok(|t| t.expires_in(-600)),
        InvalidToken,
    )])
}

const CLM_02: Case = Case::probes(
    "CLM-02",
    "Expired within skew",
    Level::I,
    "RFC 7519 §4.1.4",
    clm02,
);
fn clm02(c: &Ctx<'_>) -> Plan {
    Plan::Probes(vec![probe(
        "exp now-3",
        c.tok(|t| t.expires_in(-3)),
        OneOf(vec![Accept, InvalidToken]),
    )])
}

const CLM_03: Case = Case::probes("CLM-03", "exp == now", Level::M, "RFC 7519 §4.1.4", clm03);
/// "now MUST be before exp", modulo the leeway the target declares: with a leeway L the probe
/// sits at `now - L - 1`, the first second the target promised to refuse.
fn clm03(c: &Ctx<'_>) -> Plan {
    let leeway = i64::try_from(c.target.clock_leeway_secs).unwrap_or(i64::MAX / 2);
    let (label, offset) = match leeway {
        0 => ("exp now".to_owned(), 0),
        l => (
            format!("exp now-{} (declared leeway {l} s)", l + 1),
            -(l + 1),
        ),
    };
    Plan::Probes(vec![probe(
        label,
        c.tok(|t| t.expires_in(offset)),
        InvalidToken,
    )])
}

const CLM_04: Case = Case::probes(
    "CLM-04",
    "exp missing",
    Level::M,
    "RFC 9068 §2.2, §4",
    clm04,
);
fn clm04(c: &Ctx<'_>) -> Plan {
    Plan::Probes(vec![probe(
        "no exp",
        c.tok(|t| t.remove_claim("exp")),
        InvalidToken,
    )])
}

const CLM_05: Case = Case::probes(
    "CLM-05",
    "exp of the wrong type",
    Level::M,
    "RFC 7519 §4.1.4",
    clm05,
);
fn clm05(c: &Ctx<'_>) -> Plan {
    Plan::Probes(
        [json!("9999999999"), json!(true), json!({}), json!(null)]
            .into_iter()
            .map(|v| {
                probe(
                    format!("exp {v}"),
                    c.tok(|t| t.claim("exp", v)),
                    InvalidToken,
                )
            })
            .collect(),
    )
}

const CLM_06: Case = Case::probes(
    "CLM-06",
    "Fractional NumericDate",
    Level::M,
    "RFC 7519 §2",
    clm06,
);
fn clm06(c: &Ctx<'_>) -> Plan {
    let now = c.at().now() as f64;
    Plan::Probes(vec![probe(
        "exp now+3600.5, iat now-0.25",
        c.tok(|t| {
            t.claim("exp", json!(now + 3600.5))
                .claim("iat", json!(now - 0.25))
        }),
        Accept,
    )])
}

const CLM_07: Case = Case::probes(
    "CLM-07",
    "Not yet valid",
    Level::M,
    "RFC 7519 §4.1.5",
    clm07,
);
fn clm07(c: &Ctx<'_>) -> Plan {
    Plan::Probes(vec![probe(
        "nbf now+600",
        c.tok(|t| t.not_before(600)),
        InvalidToken,
    )])
}

const CLM_08: Case = Case::probes(
    "CLM-08",
    "nbf of the wrong type",
    Level::M,
    "RFC 7519 §4.1.5",
    clm08,
);
fn clm08(c: &Ctx<'_>) -> Plan {
    Plan::Probes(
        [json!(false), json!("x")]
            .into_iter()
            .map(|v| {
                probe(
                    format!("nbf {v}"),
                    c.tok(|t| t.claim("nbf", v)),
                    InvalidToken,
                )
            })
            .collect(),
    )
}

const CLM_09: Case = Case::probes(
    "CLM-09",
    "nbf within skew",
    Level::I,
    "RFC 7519 §4.1.5",
    clm09,
);
fn clm09(c: &Ctx<'_>) -> Plan {
    Plan::Probes(vec![probe(
        "nbf now+3",
        c.tok(|t| t.not_before(3)),
        OneOf(vec![Accept, InvalidToken]),
    )])
}

fn strict_only(c: &Ctx<'_>, label: &str, claim: &str) -> Plan {
    match c.target.profile {
        Profile::Rfc9068Strict => Plan::Probes(vec![probe(
            label,
            c.tok(|t| t.remove_claim(claim)),
            InvalidToken,
        )]),
        Profile::Auth0Compat => {
            Plan::Skip(format!("profile auth0-compat does not require `{claim}`"))
        }
    }
}

const CLM_10: Case = Case::probes("CLM-10", "iat missing", Level::C, "RFC 9068 §2.2", clm10);
fn clm10(c: &Ctx<'_>) -> Plan {
    strict_only(c, "no iat", "iat")
}

const CLM_11: Case = Case::probes(
    "CLM-11",
    "iat of the wrong type",
    Level::M,
    "RFC 7519 §4.1.6",
    clm11,
);
fn clm11(c: &Ctx<'_>) -> Plan {
    Plan::Probes(vec![probe(
        "iat \"now\"",
        c.tok(|t| t.claim("iat", json!("now"))),
        InvalidToken,
    )])
}

const CLM_12: Case = Case::probes(
    "CLM-12",
    "iat in the future",
    Level::BP,
    "RFC 7519 §4.1.6",
    clm12,
);
fn clm12(c: &Ctx<'_>) -> Plan {
    Plan::Probes(vec![probe(
        "iat now+86400",
        c.tok(|t| t.issued_at(86_400)),
        InvalidToken,
    )])
}

const CLM_13: Case = Case::probes(
    "CLM-13",
    "Token too old",
    Level::I,
    "RFC 7519 §4.1.6",
    clm13,
);
fn clm13(c: &Ctx<'_>) -> Plan {
    Plan::Probes(vec![probe(
        "iat now-25h",
        c.tok(|t| t.issued_at(-25 * 3600)),
        Record,
    )])
}

const CLM_14: Case = Case::probes("CLM-14", "sub missing", Level::C, "RFC 9068 §2.2", clm14);
fn clm14(c: &Ctx<'_>) -> Plan {
    strict_only(c, "no sub", "sub")
}

const CLM_15: Case = Case::probes(
    "CLM-15",
    "client_id missing",
    Level::C,
    "RFC 9068 §2.2",
    clm15,
);
fn clm15(c: &Ctx<'_>) -> Plan {
    match c.target.profile {
        Profile::Rfc9068Strict => Plan::Probes(vec![probe(
            "azp instead of client_id",
            c.tok(|t| {
                let id = t.claims_json()["client_id"].clone();
                t.remove_claim("client_id").claim("azp", id)
            }),
            InvalidToken,
        )]),
        Profile::Auth0Compat => Plan::Probes(vec![probe(
            "azp, no client_id",
            c.tok(|t| t.remove_claim("client_id")),
            Accept,
        )]),
    }
}

const CLM_16: Case = Case::probes("CLM-16", "jti missing", Level::C, "RFC 9068 §2.2", clm16);
fn clm16(c: &Ctx<'_>) -> Plan {
    let want = match c.target.profile {
        Profile::Rfc9068Strict => InvalidToken,
        Profile::Auth0Compat => Accept,
    };
    Plan::Probes(vec![probe(
        "no jti",
        c.tok(|t| t.remove_claim("jti")),
        want,
    )])
}

const CLM_17: Case = Case::script(
    "CLM-17",
    "Leeway boundary matrix",
    Level::I,
    "RFC 7519 §4.1.4-4.1.5",
    clm17,
);
fn clm17<'a>(c: &'a Ctx<'a>) -> BoxFuture<'a, Vec<Step>> {
    Box::pin(async move {
        let offsets = [1i64, 5, 30, 60, 300, 301];
        let mut exp_leeway = 0;
        let mut nbf_leeway = 0;
        let mut beyond = Vec::new();
        for s in offsets {
            let o = c.send(&c.tok(|t| t.expires_in(-s))).await;
            if (200..300).contains(&o.status) {
                exp_leeway = s;
                if s > 300 {
                    beyond.push(format!("exp now-{s} accepted"));
                }
            }
            let o = c.send(&c.tok(|t| t.not_before(s))).await;
            if (200..300).contains(&o.status) {
                nbf_leeway = s;
                if s > 300 {
                    beyond.push(format!("nbf now+{s} accepted"));
                }
            }
        }
        let note = format!(
            "effective leeway: exp ≥{exp_leeway} s, nbf ≥{nbf_leeway} s (probed 1, 5, 30, 60, 300, 301)"
        );
        vec![Step::note(
            "leeway",
            if beyond.is_empty() {
                Grade::Info(note)
            } else {
                Grade::Info(format!("{note}; beyond 300 s: {}", beyond.join(", ")))
            },
        )]
    })
}
