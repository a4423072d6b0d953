//! RES: resource limits and robustness (10).

use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use serde_json::json;

use super::{Case, Ctx, Fetch, KeySet, Plan, Step, b64, compact, keys, probe, run_probes};
use crate::observe::Request;
use crate::verdict::Expect::{self, *};
use crate::verdict::{Grade, Level};
use mock_idp::Signing;
use mock_idp::{Endpoint, Fault};

/// The cases of this group, in catalog order.
pub(super) const CASES: &[Case] = &[
    RES_01, RES_02, RES_03, RES_04, RES_05, RES_06, RES_07, RES_08, RES_09, RES_10,
];

fn oversize() -> Expect {
    // A closed connection (status 0) is an acceptable way to refuse a huge header.
    OneOf(vec![Reject, NotAccept, Status(vec![0, 400, 413, 431])])
}

/// Oversized requests, then proof the target is still alive.
async fn big_then_alive(c: &Ctx<'_>, reqs: Vec<(String, Request)>) -> Vec<Step> {
    let mut steps = Vec::new();
    for (label, r) in reqs {
        let mut s = c.check(Level::BP, probe(label, r, oversize())).await;
        if let Some(o) = &s.observed
            && o.elapsed_ms > 5_000
            && s.grade.is_ok()
        {
            s.grade = Grade::Fail(format!("took {} ms", o.elapsed_ms));
        }
        steps.push(s);
    }
    steps.push(
        c.check(
            Level::BP,
            probe("still serving", c.bearer(&c.at().build()), Accept),
        )
        .await,
    );
    steps
}

const RES_01: Case = Case::script(
    "RES-01",
    "Oversized Authorization header",
    Level::BP,
    "RFC 6585 §5; RFC 9110 §5.4",
    res01,
);
fn res01<'a>(c: &'a Ctx<'a>) -> BoxFuture<'a, Vec<Step>> {
    Box::pin(async move {
        let reqs = [16usize, 64, 1024]
            .into_iter()
            .map(|kb| {
                (
                    format!("{kb} KB Authorization"),
                    c.bearer(&"A".repeat(kb * 1024)),
                )
            })
            .collect();
        big_then_alive(c, reqs).await
    })
}

const RES_02: Case = Case::script(
    "RES-02",
    "Oversized DPoP header",
    Level::BP,
    "RFC 6585 §5",
    res02,
);
fn res02<'a>(c: &'a Ctx<'a>) -> BoxFuture<'a, Vec<Step>> {
    Box::pin(async move {
        if let Some(s) = c.need_dpop() {
            return vec![Step::note("dpop", Grade::Skip(s))];
        }
        let pad = "p".repeat(64 * 1024);
        big_then_alive(
            c,
            vec![("64 KB proof".into(), c.dpp(|p| p.claim("pad", json!(pad))))],
        )
        .await
    })
}

const RES_03: Case = Case::probes(
    "RES-03",
    "Deep JSON nesting",
    Level::BP,
    "RFC 8725 §2.9",
    res03,
);
fn res03(c: &Ctx<'_>) -> Plan {
    let deep = format!("{{\"x\":{}{}}}", "[".repeat(8000), "]".repeat(8000));
    let garbage = b64([1u8; 32]);
    Plan::Probes(vec![
        probe(
            "8000-deep payload",
            c.bearer(&compact(
                "{\"alg\":\"RS256\",\"kid\":\"k1\"}",
                &deep,
                &garbage,
            )),
            OneOf(vec![InvalidToken, Reject, NotAccept]),
        ),
        probe(
            "8000-deep header",
            c.bearer(&compact(&deep, "{}", &garbage)),
            OneOf(vec![InvalidToken, Reject, NotAccept]),
        ),
    ])
}

const RES_04: Case = Case::probes(
    "RES-04",
    "Large claim arrays",
    Level::BP,
    "robustness",
    res04,
);
fn res04(c: &Ctx<'_>) -> Plan {
    let mut aud: Vec<serde_json::Value> = (0..300).map(|i| json!(format!("urn:a:{i}"))).collect();
    aud.push(json!(c.aud()));
    let scope = format!("{} {}", "s:x ".repeat(1500), c.target.scope);
    Plan::Probes(vec![
        probe(
            "aud with 301 entries",
            c.tok(|t| t.aud_json(json!(aud))),
            OneOf(vec![Accept, Reject]),
        ),
        probe(
            "6 KB scope",
            c.tok(|t| t.scope(&scope)),
            OneOf(vec![Accept, Reject]),
        ),
    ])
}

const RES_05: Case = Case::refresh(
    "RES-05",
    "Outbound-fetch amplification",
    Level::BP,
    "RFC 8725 §2.9, §3.10",
    Fetch::Incidental,
    res05,
);
/// No wait for the cooldown first: the bound allows one fetch per cooldown, so a target
/// cooling down has nothing to prove, and one that fetches per kid shows it either way.
fn res05<'a>(c: &'a Ctx<'a>) -> BoxFuture<'a, Vec<Step>> {
    Box::pin(async move {
        let before = c.tenant.journal().jwks_fetches();
        let disc = c.tenant.journal().discovery_fetches();
        let canary = c.canary_hits().await;
        let started = Instant::now();
        for _ in 0..30 {
            let kid = c.fresh_kid("amp");
            let _ = c.send(&c.tok(|t| t.kid(&kid))).await;
        }
        for i in 0..30 {
            let iss = format!("https://r{i}.invalid/");
            let _ = c.send(&c.tok(|t| t.issuer(&iss))).await;
        }
        let ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let fetched = c.tenant.journal().jwks_fetches() - before;
        let allowed = match c.target.jwks_cooldown_ms {
            0 => 2,
            cd => 2 + usize::try_from(ms / cd).unwrap_or(usize::MAX),
        };
        let other =
            c.tenant.journal().discovery_fetches() - disc + (c.canary_hits().await - canary);
        vec![
            Step::note(
                format!("{fetched} JWKS fetches for 30 random kids in {ms} ms"),
                if fetched <= allowed {
                    Grade::Pass
                } else {
                    Grade::Fail(format!(
                        "{fetched} fetches, at most {allowed} expected (one per cooldown)"
                    ))
                },
            ),
            Step::note(
                "fetches for 30 unlisted issuers",
                if other == 0 {
                    Grade::Pass
                } else {
                    Grade::Fail(format!("{other} metadata fetch(es) for unlisted issuers"))
                },
            ),
        ]
    })
}

const RES_06: Case = Case::keys(
    "RES-06",
    "Expensive keys",
    Level::BP,
    "RFC 8725 §2.9",
    res06,
);
fn res06(c: &Ctx<'_>) -> KeySet {
    // Signed with the real key (e = 65537), which is then unpublished: the attacker's, so that
    // no target can hold it from another case.
    let k = keys::attacker().with_kid(&c.fresh_kid("bige"));
    let mut jwk = k.public_jwk();
    // e = 2^64 + 1: huge exponent, expensive modexp.
    let mut e = vec![1u8];
    e.extend([0u8; 7]);
    e.push(1);
    jwk["e"] = json!(b64(&e));
    let t = c.signed_by(&k).build();
    KeySet {
        review: Some(fail_slow_answers),
        ..KeySet::variant(
            vec![jwk],
            vec![probe("e = 2^64+1", c.bearer(&t), InvalidToken)],
        )
    }
}

/// A right verdict that took over 2 s is a failure: the key costs the verifier too much.
fn fail_slow_answers(steps: &mut Vec<Step>) {
    for s in steps {
        if let Some(o) = &s.observed
            && o.elapsed_ms > 2_000
            && s.grade.is_ok()
        {
            s.grade = Grade::Fail(format!("took {} ms", o.elapsed_ms));
        }
    }
}

const RES_07: Case = Case::probes(
    "RES-07",
    "PBES2 / JWE work",
    Level::BP,
    "RFC 8725 §3.3",
    res07,
);
fn res07(c: &Ctx<'_>) -> Plan {
    let h = json!({"alg":"PBES2-HS512+A256KW","enc":"A256GCM","p2c":2_147_483_648_u64,"p2s":"AAAAAAAAAAAAAAAAAAAAAA"});
    let jwe = format!(
        "{}.{}.{}.{}.{}",
        b64(h.to_string()),
        b64([3u8; 40]),
        b64([4u8; 12]),
        b64([5u8; 64]),
        b64([6u8; 16])
    );
    Plan::Probes(vec![probe(
        "PBES2 p2c = 2^31",
        c.bearer(&jwe),
        InvalidToken,
    )])
}

const RES_08: Case = Case::refresh(
    "RES-08",
    "Slow JWKS, concurrent requests",
    Level::BP,
    "robustness",
    Fetch::Succeeds,
    res08,
);
fn res08<'a>(c: &'a Ctx<'a>) -> BoxFuture<'a, Vec<Step>> {
    Box::pin(async move {
        let k = c.fresh_key("slow", 2);
        c.tenant.keys().publish(k.clone());
        c.tenant
            .faults()
            .fail_next(Endpoint::Jwks, 1, Fault::Delay(Duration::from_millis(1500)));
        let before = c.tenant.journal().jwks_fetches();
        let t = c.at().signed_with(Signing::Key(k.kid().to_owned())).build();
        let req = c.bearer(&t);
        let (answers, ms) = c
            .fetching(|| async {
                let started = Instant::now();
                let answers = futures::future::join_all((0..10).map(|_| c.send(&req))).await;
                (answers, started.elapsed().as_millis())
            })
            .await;
        c.restore();
        c.tenant.keys().retire(k.kid());
        let fetched = c.tenant.journal().jwks_fetches() - before;
        let errors: Vec<String> = answers
            .iter()
            .filter(|o| o.status == 0 || o.status >= 500)
            .map(|o| o.summary())
            .collect();
        let accepted = answers
            .iter()
            .filter(|o| (200..300).contains(&o.status))
            .count();
        vec![
            Step::note(
                format!(
                    "10 concurrent requests during a 1.5 s JWKS: {accepted} accepted in {ms} ms"
                ),
                if errors.is_empty() {
                    Grade::Pass
                } else {
                    Grade::Fail(format!("{} failed: {}", errors.len(), errors.join("; ")))
                },
            ),
            Step::note(
                format!("{fetched} JWKS fetch(es) in flight"),
                if fetched <= 1 {
                    Grade::Pass
                } else {
                    Grade::Fail(format!(
                        "{fetched} fetches: concurrent misses were not shared"
                    ))
                },
            ),
        ]
    })
}

const RES_09: Case = Case::refresh(
    "RES-09",
    "Huge JWKS",
    Level::BP,
    "robustness",
    Fetch::Succeeds,
    res09,
);
fn res09<'a>(c: &'a Ctx<'a>) -> BoxFuture<'a, Vec<Step>> {
    Box::pin(async move {
        let k = c.fresh_key("hugejwks", 2);
        let filler: Vec<serde_json::Value> = (0..6000)
            .map(|i| json!({"kty":"RSA","kid":format!("filler-{i}"),"use":"sig","alg":"RS256","n":"AQAB".repeat(80),"e":"AQAB"}))
            .collect();
        let mut keys = filler;
        keys.push(k.public_jwk());
        let body = json!({ "keys": keys }).to_string();
        let size_mb = body.len() / (1024 * 1024);
        c.tenant.faults().fail(
            Endpoint::Jwks,
            Fault::Respond {
                status: 200,
                content_type: "application/json".into(),
                body,
            },
        );
        let t = c.signed_by(&k).build();
        let mut steps = c
            .fetching(|| {
                run_probes(
                    c,
                    Level::BP,
                    vec![probe(
                        format!("~{size_mb} MB JWKS with the key last"),
                        c.bearer(&t),
                        OneOf(vec![InvalidToken, Accept, Status(vec![503])]),
                    )],
                )
            })
            .await;
        c.restore();
        for s in &mut steps {
            if let Some(o) = &s.observed
                && o.elapsed_ms > 5_000
            {
                s.grade = Grade::Fail(format!("took {} ms", o.elapsed_ms));
            }
        }
        steps.push(
            c.check(
                Level::BP,
                probe("then AT_ok", c.bearer(&c.at().build()), Accept),
            )
            .await,
        );
        steps
    })
}

const RES_10: Case = Case::probes(
    "RES-10",
    "Crash paths (roll-up)",
    Level::BP,
    "RFC 6750 §3.1; RFC 9110 §15.5.2",
    res10,
);
fn res10(c: &Ctx<'_>) -> Plan {
    let claims = c.at().claims_json().to_string();
    let garbage = b64([0x41u8; 64]);
    let mut v = vec![
        probe(
            "TOK-20 alg 123",
            c.bearer(&compact("{\"alg\":123}", &claims, &garbage)),
            NotAccept,
        ),
        probe(
            "CLM-05 exp string",
            c.tok(|t| t.claim("exp", json!("9999999999"))),
            NotAccept,
        ),
        probe(
            "KEY-10-like kid object",
            c.tok(|t| t.header("kid", json!({"a":1}))),
            NotAccept,
        ),
    ];
    if c.target.dpop() {
        let mut off = c.key.public_jwk();
        off["y"] = json!(b64([0x11u8; 32]));
        v.push(probe(
            "DPP-17 htm 123",
            c.dpp(|p| p.claim("htm", json!(123))),
            NotAccept,
        ));
        v.push(probe("DPP-38 bad point", c.dpp(|p| p.jwk(off)), NotAccept));
    }
    Plan::Probes(v)
}
