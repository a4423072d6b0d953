//! SCP: scope and authorisation (11), on the target's scoped route.

use serde_json::json;

use super::{Case, Ctx, Plan, probe};
use crate::observe::Request;
use crate::verdict::Expect::{self, *};
use crate::verdict::Level;
use mock_idp::TokenBuilder;

/// The cases of this group, in catalog order.
pub(super) const CASES: &[Case] = &[
    SCP_01, SCP_02, SCP_03, SCP_04, SCP_05, SCP_06, SCP_07, SCP_08, SCP_09, SCP_10, SCP_11,
];

/// Runs `f` with the scoped route, or skips.
fn scoped(c: &Ctx<'_>, f: impl FnOnce(&str, &str) -> Vec<super::Probe>) -> Plan {
    match c.need_scoped() {
        Some(r) => Plan::Probes(f(r, &c.target.scope)),
        None => Plan::Skip("no scoped route configured".into()),
    }
}

fn req(c: &Ctx<'_>, route: &str, f: impl FnOnce(TokenBuilder) -> TokenBuilder) -> Request {
    c.auth(route, &format!("Bearer {}", f(c.at()).build()))
}

fn forbidden(scope: &str) -> Expect {
    InsufficientScope(scope.to_owned())
}

const SCP_01: Case = Case::probes(
    "SCP-01",
    "Required scope present",
    Level::M,
    "RFC 6749 §3.3",
    scp01,
);
fn scp01(c: &Ctx<'_>) -> Plan {
    scoped(c, |r, s| {
        vec![probe(
            "openid + scope + write:y",
            req(c, r, |t| t.scope(&format!("openid {s} write:y"))),
            Accept,
        )]
    })
}

const SCP_02: Case = Case::probes(
    "SCP-02",
    "Required scope missing",
    Level::S,
    "RFC 6750 §3.1",
    scp02,
);
fn scp02(c: &Ctx<'_>) -> Plan {
    scoped(c, |r, s| {
        vec![probe(
            "write:y only",
            req(c, r, |t| t.scope("write:y")),
            forbidden(s),
        )]
    })
}

const SCP_03: Case = Case::probes("SCP-03", "No scope claim", Level::S, "RFC 6750 §3.1", scp03);
fn scp03(c: &Ctx<'_>) -> Plan {
    scoped(c, |r, s| {
        vec![probe(
            "no scope",
            req(c, r, |t| {
                t.remove_claim("scope").remove_claim("permissions")
            }),
            forbidden(s),
        )]
    })
}

const SCP_04: Case = Case::probes("SCP-04", "Case variant", Level::M, "RFC 6749 §3.3", scp04);
fn scp04(c: &Ctx<'_>) -> Plan {
    scoped(c, |r, s| {
        let upper = s.to_uppercase();
        let mut cap = s.to_owned();
        if let Some(f) = cap.get_mut(0..1) {
            f.make_ascii_uppercase();
        }
        vec![
            probe(upper.clone(), req(c, r, |t| t.scope(&upper)), forbidden(s)),
            probe(cap.clone(), req(c, r, |t| t.scope(&cap)), forbidden(s)),
        ]
    })
}

const SCP_05: Case = Case::probes(
    "SCP-05",
    "Substring or prefix",
    Level::M,
    "RFC 6749 §3.3",
    scp05,
);
fn scp05(c: &Ctx<'_>) -> Plan {
    scoped(c, |r, s| {
        let head = s.split(':').next().unwrap_or(s).to_owned();
        [
            format!("{s}x"),
            head,
            format!("{s}:all"),
            format!("a{s}"),
            format!("{s},write:y"),
        ]
        .into_iter()
        .map(|v| probe(v.clone(), req(c, r, |t| t.scope(&v)), forbidden(s)))
        .collect()
    })
}

const SCP_06: Case = Case::probes(
    "SCP-06",
    "Whitespace variants",
    Level::I,
    "RFC 6749 §3.3",
    scp06,
);
fn scp06(c: &Ctx<'_>) -> Plan {
    scoped(c, |r, s| {
        vec![
            probe(
                "extra spaces",
                req(c, r, |t| t.scope(&format!("  {s}  "))),
                Accept,
            ),
            probe(
                "TAB delimiter",
                req(c, r, |t| t.scope(&format!("{s}\twrite:y"))),
                forbidden(s),
            ),
        ]
    })
}

const SCP_07: Case = Case::probes(
    "SCP-07",
    "Array-form scope",
    Level::I,
    "RFC 9068 §2.2.3; RFC 8693 §4.2",
    scp07,
);
fn scp07(c: &Ctx<'_>) -> Plan {
    scoped(c, |r, s| {
        vec![probe(
            "[scope]",
            req(c, r, |t| t.claim("scope", json!([s]))),
            Record,
        )]
    })
}

const SCP_08: Case = Case::probes(
    "SCP-08",
    "Wrong-typed scope",
    Level::I,
    "RFC 8693 §4.2",
    scp08,
);
fn scp08(c: &Ctx<'_>) -> Plan {
    scoped(c, |r, s| {
        [json!(1), json!({})]
            .into_iter()
            .map(|v| {
                probe(
                    format!("scope {v}"),
                    req(c, r, |t| t.claim("scope", v)),
                    OneOf(vec![forbidden(s), InvalidToken]),
                )
            })
            .collect()
    })
}

const SCP_09: Case = Case::probes(
    "SCP-09",
    "Auth0 RBAC permissions",
    Level::I,
    "Auth0 token dialects",
    scp09,
);
fn scp09(c: &Ctx<'_>) -> Plan {
    scoped(c, |r, s| {
        vec![probe(
            "permissions only",
            req(c, r, |t| t.scope("openid").claim("permissions", json!([s]))),
            Record,
        )]
    })
}

const SCP_10: Case = Case::probes("SCP-10", "Check order", Level::S, "RFC 6750 §3.1", scp10);
fn scp10(c: &Ctx<'_>) -> Plan {
    scoped(c, |r, _| {
        vec![probe(
            "expired and no scope",
            req(c, r, |t| t.scope("write:y").expires_in(-600)),
            InvalidToken,
        )]
    })
}

const SCP_11: Case = Case::probes(
    "SCP-11",
    "insufficient_scope on a DPoP request",
    Level::S,
    "RFC 9449 §7.1, §7.2",
    scp11,
);
fn scp11(c: &Ctx<'_>) -> Plan {
    if let Some(s) = c.need_dpop() {
        return Plan::Skip(s);
    }
    scoped(c, |r, s| {
        let t = c.bound().scope("write:y").build();
        let p = c
            .key
            .proof("GET", &c.htu(r))
            .clock(c.tenant.clock())
            .access_token(&t)
            .build();
        let req = c.auth(r, &format!("DPoP {t}")).header("dpop", p);
        vec![probe(
            "bound token without the scope",
            req,
            OnScheme(Box::new(forbidden(s)), "DPoP".into()),
        )]
    })
}
