//! RPN: replay and nonce (13). Nonce cases need a target with RS nonces (RFC 9449 §8).

use futures::future::BoxFuture;

use super::{Case, Ctx, Plan, Step, probe, run_probes};
use crate::class::Class;
use crate::observe::Observation;
use crate::verdict::Expect::{self, *};
use crate::verdict::{Grade, Level};

/// The cases of this group, in catalog order.
pub(super) const CASES: &[Case] = &[
    RPN_01, RPN_02, RPN_03, RPN_04, RPN_05, RPN_06, RPN_07, RPN_08, RPN_09, RPN_10, RPN_11, RPN_12,
    RPN_13,
];

fn skip_step(why: String) -> Vec<Step> {
    vec![Step::note("skipped", Grade::Skip(why))]
}

const RPN_01: Case = Case::script(
    "RPN-01",
    "Proof replay inside the window",
    Level::S,
    "RFC 9449 §11.1",
    rpn01,
);
fn rpn01<'a>(c: &'a Ctx<'a>) -> BoxFuture<'a, Vec<Step>> {
    Box::pin(async move {
        if let Some(s) = c.need_dpop() {
            return skip_step(s);
        }
        let req = c.dpop_ok();
        run_probes(
            c,
            Level::S,
            vec![
                probe("first use", req.clone(), Accept),
                probe(
                    "identical replay",
                    req,
                    OneOf(vec![InvalidDpopProof, InvalidToken]),
                ),
            ],
        )
        .await
    })
}

const RPN_02: Case = Case::probes(
    "RPN-02",
    "Replay after the window",
    Level::M,
    "RFC 9449 §11.1",
    rpn02,
);
fn rpn02(c: &Ctx<'_>) -> Plan {
    if let Some(s) = c.need_dpop() {
        return Plan::Skip(s);
    }
    // Waiting out the window is replaced by a proof whose iat is already past it.
    let req = c.dpp(|p| p.iat(-400));
    Plan::Probes(vec![
        probe("proof past its window", req.clone(), InvalidDpopProof),
        probe("again", req, InvalidDpopProof),
    ])
}

const RPN_03: Case = Case::probes(
    "RPN-03",
    "Same jti, other URI or method",
    Level::I,
    "RFC 9449 §11.1",
    rpn03,
);
fn rpn03(c: &Ctx<'_>) -> Plan {
    if let Some(s) = c.need_dpop() {
        return Plan::Skip(s);
    }
    let jti = mock_idp::jose::random_id();
    let t = c.bound().build();
    let first = c.dpop(&t, &c.proof(&t).jti(&jti).build());
    let other_route = c.target.bearer_route.clone();
    let p2 = c
        .key
        .proof("GET", &c.htu(&other_route))
        .clock(c.tenant.clock())
        .access_token(&t)
        .jti(&jti)
        .build();
    let second = c
        .auth(&other_route, &format!("DPoP {t}"))
        .header("dpop", p2);
    Plan::Probes(vec![
        probe("jti first use", first, Accept),
        probe(
            "same jti, other URI",
            second,
            OneOf(vec![Accept, InvalidDpopProof]),
        ),
    ])
}

const RPN_04: Case = Case::probes("RPN-04", "Huge jti", Level::S, "RFC 9449 §11.1 ¶3", rpn04);
fn rpn04(c: &Ctx<'_>) -> Plan {
    if let Some(s) = c.need_dpop() {
        return Plan::Skip(s);
    }
    let huge = "j".repeat(64 * 1024);
    Plan::Probes(vec![probe(
        "64 KB jti",
        c.dpp(|p| p.jti(&huge)),
        OneOf(vec![
            Accept,
            InvalidDpopProof,
            Reject,
            Status(vec![400, 413, 431, 0]),
        ]),
    )])
}

fn need_nonces(c: &Ctx<'_>) -> Option<String> {
    c.need_dpop().or_else(|| {
        (!c.target.features.nonces)
            .then(|| "target does not use RS nonces (RFC 9449 §8 is optional)".to_owned())
    })
}

/// Asks the target for a nonce: a proof without one must be answered with `DPoP-Nonce`.
async fn fetch_nonce(c: &Ctx<'_>) -> (Option<String>, Observation) {
    let o = c.send(&c.dpop_ok()).await;
    (o.dpop_nonce.first().cloned(), o)
}

macro_rules! nonce_case {
    ($name:ident, |$c:ident, $nonce:ident| $body:expr) => {
        fn $name<'a>($c: &'a Ctx<'a>) -> BoxFuture<'a, Vec<Step>> {
            Box::pin(async move {
                if let Some(s) = need_nonces($c) {
                    return skip_step(s);
                }
                let ($nonce, o) = fetch_nonce($c).await;
                let Some($nonce) = $nonce else {
                    return vec![Step::note(
                        "nonce",
                        Grade::Fail(format!("no DPoP-Nonce offered: {}", o.summary())),
                    )];
                };
                $body
            })
        }
    };
}

const RPN_05: Case = Case::script(
    "RPN-05",
    "Nonce required, none sent",
    Level::C,
    "RFC 9449 §9, §8",
    rpn05,
);
fn rpn05<'a>(c: &'a Ctx<'a>) -> BoxFuture<'a, Vec<Step>> {
    Box::pin(async move {
        if let Some(s) = need_nonces(c) {
            return skip_step(s);
        }
        run_probes(
            c,
            Level::C,
            vec![probe("proof without nonce", c.dpop_ok(), UseDpopNonce)],
        )
        .await
    })
}

const RPN_06: Case = Case::script(
    "RPN-06",
    "Wrong or stale nonce",
    Level::C,
    "RFC 9449 §8, §9",
    rpn06,
);
nonce_case!(rpn06, |c, _nonce| {
    run_probes(
        c,
        Level::C,
        vec![probe(
            "random nonce",
            c.dpp(|p| p.nonce("not-a-nonce-the-rs-issued")),
            UseDpopNonce,
        )],
    )
    .await
});

const RPN_07: Case = Case::script(
    "RPN-07",
    "Downgrade after a nonce was issued",
    Level::C,
    "RFC 9449 §11.3",
    rpn07,
);
nonce_case!(rpn07, |c, nonce| {
    run_probes(
        c,
        Level::C,
        vec![
            probe("with the issued nonce", c.dpp(|p| p.nonce(&nonce)), Accept),
            probe("nonce omitted afterwards", c.dpop_ok(), UseDpopNonce),
        ],
    )
    .await
});

const RPN_08: Case = Case::script("RPN-08", "Foreign nonce", Level::C, "RFC 9449 §9", rpn08);
nonce_case!(rpn08, |c, _nonce| {
    let foreign = c.tenant.dpop().require_nonce();
    c.tenant.dpop().disable_nonce();
    run_probes(
        c,
        Level::C,
        vec![probe(
            "nonce issued by the AS",
            c.dpp(|p| p.nonce(&foreign)),
            Reject,
        )],
    )
    .await
});

const RPN_09: Case = Case::script(
    "RPN-09",
    "DPoP-Nonce header hygiene",
    Level::C,
    "RFC 9449 §8, §8.1, §8.2",
    rpn09,
);
fn rpn09<'a>(c: &'a Ctx<'a>) -> BoxFuture<'a, Vec<Step>> {
    Box::pin(async move {
        if let Some(s) = need_nonces(c) {
            return skip_step(s);
        }
        let (_, o) = fetch_nonce(c).await;
        let nq = |v: &str| {
            !v.is_empty()
                && v.bytes()
                    .all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b))
        };
        let g = if o.dpop_nonce.len() != 1 {
            Grade::Fail(format!(
                "{} DPoP-Nonce fields (exactly one)",
                o.dpop_nonce.len()
            ))
        } else if !nq(&o.dpop_nonce[0]) {
            Grade::Fail("DPoP-Nonce is not 1*NQCHAR".into())
        } else if !o
            .cache_control
            .as_deref()
            .unwrap_or_default()
            .contains("no-store")
        {
            Grade::Tolerated("no Cache-Control: no-store (SHOULD be uncacheable)".into())
        } else {
            Grade::Pass
        };
        vec![Step {
            label: "nonce challenge".into(),
            request: String::new(),
            expected: "one DPoP-Nonce, 1*NQCHAR, no-store".into(),
            class: matches!(g, Grade::Fail(_)).then_some(Class::WrongForm),
            observed: Some(o),
            grade: g,
            sent: None,
        }]
    })
}

const RPN_10: Case = Case::script(
    "RPN-10",
    "Nonce rotated on success",
    Level::C,
    "RFC 9449 §8.2",
    rpn10,
);
nonce_case!(rpn10, |c, nonce| {
    let req = c.dpp(|p| p.nonce(&nonce));
    let o = c.send(&req).await;
    let mut steps = Vec::new();
    let ok = (200..300).contains(&o.status);
    let next = o.dpop_nonce.first().cloned();
    steps.push(Step {
        label: "use the nonce".into(),
        request: req.summary(),
        expected: "ACCEPT".into(),
        grade: if ok {
            Grade::Pass
        } else {
            Grade::Fail(o.summary())
        },
        class: (!ok).then(|| Class::of(&Expect::Accept, &o)),
        observed: Some(o),
        sent: Some(req),
    });
    if let Some(n) = next {
        steps.extend(
            run_probes(
                c,
                Level::C,
                vec![probe("the rotated nonce", c.dpp(|p| p.nonce(&n)), Accept)],
            )
            .await,
        );
    } else {
        steps.push(Step::note(
            "rotation",
            Grade::Info("no new DPoP-Nonce on success".into()),
        ));
    }
    steps
});

const RPN_11: Case = Case::script(
    "RPN-11",
    "Nonce-based freshness",
    Level::C,
    "RFC 9449 §4.3 #11, §11.1",
    rpn11,
);
nonce_case!(rpn11, |c, nonce| {
    run_probes(
        c,
        Level::I,
        vec![probe(
            "iat now-600, fresh nonce",
            c.dpp(|p| p.nonce(&nonce).iat(-600)),
            OneOf(vec![Accept, InvalidDpopProof]),
        )],
    )
    .await
});

const RPN_12: Case = Case::probes(
    "RPN-12",
    "Pre-generated proofs",
    Level::M,
    "RFC 9449 §11.2",
    rpn12,
);
fn rpn12(c: &Ctx<'_>) -> Plan {
    if let Some(s) = c.need_dpop() {
        return Plan::Skip(s);
    }
    Plan::Probes(vec![probe(
        "iat now+1 day",
        c.dpp(|p| p.iat(86_400)),
        InvalidDpopProof,
    )])
}

const RPN_13: Case = Case::probes(
    "RPN-13",
    "Replay-store scope",
    Level::I,
    "RFC 9449 §11.1",
    rpn13,
);
fn rpn13(c: &Ctx<'_>) -> Plan {
    if let Some(s) = c.need_dpop() {
        return Plan::Skip(s);
    }
    let jti = mock_idp::jose::random_id();
    let t1 = c.bound().build();
    let r1 = c.dpop(&t1, &c.proof(&t1).jti(&jti).build());
    let t2 = c.at().bound_to(&c.other).build();
    let p2 = c
        .other
        .proof("GET", &c.htu(c.target.dpop_path()))
        .clock(c.tenant.clock())
        .access_token(&t2)
        .jti(&jti)
        .build();
    Plan::Probes(vec![
        probe("jti by Kc", r1, Accept),
        probe(
            "same jti by Kx",
            c.dpop(&t2, &p2),
            OneOf(vec![Accept, InvalidDpopProof]),
        ),
    ])
}
