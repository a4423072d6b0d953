//! KEY: keys and JWKS (18). Every case that changes the JWKS uses kids the target has never
//! seen, so its cached keys stay valid for the cases that follow, and restores the tenant.
//! Rotation and JWKS-variant cases are key sets ([`KeySet`]), batched on one refresh; the
//! fault cases need a refresh each and run last.

use futures::future::BoxFuture;
use serde_json::{Value, json};

use super::{Case, Ctx, Fetch, KeySet, Plan, Probe, Step, b64, keys, probe, run_probes};
use crate::verdict::Expect::{self, *};
use crate::verdict::{Grade, Level};
use mock_idp::DpopKey;
use mock_idp::Signing;
use mock_idp::SigningKey;
use mock_idp::{Endpoint, Fault};

/// The cases of this group, in catalog order.
pub(super) const CASES: &[Case] = &[
    KEY_01, KEY_02, KEY_03, KEY_04, KEY_05, KEY_06, KEY_07, KEY_08, KEY_09, KEY_10, KEY_11, KEY_12,
    KEY_13, KEY_14, KEY_15, KEY_16, KEY_17, KEY_18,
];

fn fetch_note(c: &Ctx<'_>, before: usize, max: usize) -> Step {
    let n = c.tenant.journal().jwks_fetches() - before;
    Step::note(
        format!("JWKS fetches: {n}"),
        if n <= max {
            Grade::Pass
        } else {
            Grade::Fail(format!(
                "{n} JWKS fetches for one unknown kid (at most {max})"
            ))
        },
    )
}

const KEY_01: Case = Case::refresh(
    "KEY-01",
    "Unknown kid",
    Level::S,
    "RFC 7515 §4.1.4; OIDC Core §10.1.1",
    Fetch::Incidental,
    key01,
);
/// No wait for the cooldown: a target cooling down fetches nothing, which is within the bound.
fn key01<'a>(c: &'a Ctx<'a>) -> BoxFuture<'a, Vec<Step>> {
    Box::pin(async move {
        let before = c.tenant.journal().jwks_fetches();
        let kid = c.fresh_kid("unknown");
        let mut steps = run_probes(
            c,
            Level::S,
            vec![probe("kid unknown", c.tok(|t| t.kid(&kid)), InvalidToken)],
        )
        .await;
        steps.push(fetch_note(c, before, 1));
        steps
    })
}

const KEY_02: Case = Case::keys(
    "KEY-02",
    "Rotation: new key",
    Level::S,
    "OIDC Core §10.1.1",
    key02,
);
fn key02(c: &Ctx<'_>) -> KeySet {
    let k = c.fresh_key("rotated", 2);
    KeySet {
        keys: vec![k.public_jwk()],
        probes: vec![probe(
            "token by the new key",
            c.bearer(&c.signed_by(&k).build()),
            Accept,
        )],
        rotation: true,
        ..KeySet::default()
    }
}

const KEY_03: Case = Case::keys(
    "KEY-03",
    "Rotation: key removed",
    Level::S,
    "RFC 8725 §3.8",
    key03,
);
fn key03(c: &Ctx<'_>) -> KeySet {
    // Its own key: withdrawn, it must be refused, so no other case may publish it.
    let k = keys::withdrawn().with_kid(&c.fresh_kid("removed"));
    let token = c.signed_by(&k).build();
    KeySet {
        keys: vec![k.public_jwk()],
        probes: vec![probe("while published", c.bearer(&token), Accept)],
        withdrawn: vec![probe(
            "removed key, after the refresh",
            c.bearer(&token),
            InvalidToken,
        )],
        ..KeySet::default()
    }
}

const KEY_04: Case = Case::probes("KEY-04", "Missing kid", Level::I, "RFC 7515 §4.1.4", key04);
fn key04(c: &Ctx<'_>) -> Plan {
    Plan::Probes(vec![probe(
        "no kid",
        c.tok(|t| t.remove_header("kid")),
        OneOf(vec![Accept, InvalidToken]),
    )])
}

const KEY_05: Case = Case::script("KEY-05", "kid injection", Level::S, "RFC 8725 §3.10", key05);
fn key05<'a>(c: &'a Ctx<'a>) -> BoxFuture<'a, Vec<Step>> {
    Box::pin(async move {
        let Plan::Probes(probes) = key05_probes(c) else {
            return Vec::new();
        };
        // A cold target fetches discovery and the JWKS on its first token: a good token first,
        // so the timings below are the kid lookups' whatever played before.
        c.send(&c.bearer(&c.at().build())).await;
        let mut steps = run_probes(c, Level::S, probes).await;
        // "Fast": a `|sleep 10` kid that reaches a shell, or a lookup that scans, shows here.
        for s in &mut steps {
            if let Some(o) = &s.observed
                && o.elapsed_ms > 3_000
                && s.grade.is_ok()
            {
                s.grade = Grade::Fail(format!("took {} ms", o.elapsed_ms));
            }
        }
        steps
    })
}

fn key05_probes(c: &Ctx<'_>) -> Plan {
    let big = "k".repeat(8 * 1024);
    let strings = [
        "../../../../dev/null",
        "/dev/null",
        "x' UNION SELECT '1';--",
        "|sleep 10",
        "$(curl 127.0.0.1:9)",
        "a\u{0}b",
        big.as_str(),
    ];
    let mut v: Vec<Probe> = strings
        .iter()
        .map(|k| {
            probe(
                format!("kid {:?}", crate::observe::shorten(k, 24)),
                c.tok(|t| t.kid(k)),
                InvalidToken,
            )
        })
        .collect();
    v.push(probe(
        "SQLi kid, HS256 keyed \"1\"",
        c.tok(|t| {
            t.kid("x' UNION SELECT '1';--")
                .signed_with(Signing::Hmac(b"1".to_vec()))
        }),
        InvalidToken,
    ));
    for (l, k) in [
        ("object", json!({"a":1})),
        ("array", json!(["k1"])),
        ("number", json!(1)),
    ] {
        v.push(probe(
            format!("kid {l}"),
            c.tok(|t| t.header("kid", k)),
            InvalidToken,
        ));
    }
    Plan::Probes(v)
}

/// A JWK of fixture key `n` under a fresh kid, edited by `f`, and a token signed by that key.
fn variant(
    c: &Ctx<'_>,
    what: &str,
    n: u8,
    f: impl FnOnce(&mut serde_json::Map<String, Value>),
) -> (Value, String) {
    let k = c.fresh_key(what, n);
    let mut jwk = k.public_jwk();
    if let Some(o) = jwk.as_object_mut() {
        f(o);
    }
    let token = c.signed_by(&k).build();
    (jwk, token)
}

/// A variant case with one bad key and one token by it.
fn one_bad(c: &Ctx<'_>, label: &str, jwk: Value, token: String, want: Expect) -> KeySet {
    KeySet::variant(vec![jwk], vec![probe(label, c.bearer(&token), want)])
}

const KEY_06: Case = Case::keys(
    "KEY-06",
    "use:enc key",
    Level::S,
    "RFC 7517 §4.2; RFC 8725 §3.1",
    key06,
);
fn key06(c: &Ctx<'_>) -> KeySet {
    let (jwk, t) = variant(c, "enc", 3, |o| {
        o.insert("use".into(), json!("enc"));
    });
    one_bad(c, "use:enc", jwk, t, InvalidToken)
}

const KEY_07: Case = Case::keys(
    "KEY-07",
    "JWK alg mismatch",
    Level::M,
    "RFC 7517 §4.4; RFC 8725 §3.1",
    key07,
);
fn key07(c: &Ctx<'_>) -> KeySet {
    let (jwk, t) = variant(c, "alg", 3, |o| {
        o.insert("alg".into(), json!("PS256"));
    });
    one_bad(c, "jwk alg PS256, token RS256", jwk, t, InvalidToken)
}

const KEY_08: Case = Case::keys(
    "KEY-08",
    "key_ops lacks verify",
    Level::S,
    "RFC 7517 §4.3",
    key08,
);
fn key08(c: &Ctx<'_>) -> KeySet {
    let (jwk, t) = variant(c, "keyops", 3, |o| {
        o.insert("key_ops".into(), json!(["encrypt"]));
    });
    one_bad(c, "key_ops [encrypt]", jwk, t, InvalidToken)
}

const KEY_09: Case = Case::keys("KEY-09", "Weak RSA key", Level::M, "RFC 7518 §3.3", key09);
fn key09(c: &Ctx<'_>) -> KeySet {
    let k = SigningKey::weak_1024().with_kid(&c.fresh_kid("weak"));
    let t = c.signed_by(&k).build();
    one_bad(c, "1024-bit key", k.public_jwk(), t, InvalidToken)
}

/// PKCS#1 v1.5 encoded message for SHA-256 (RFC 8017 §9.2): with e = 1 the signature is
/// this block itself, so anyone can "sign".
fn emsa_pkcs1_sha256(msg: &[u8], k_len: usize) -> Vec<u8> {
    const PREFIX: [u8; 19] = [
        0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
        0x05, 0x00, 0x04, 0x20,
    ];
    let digest = mock_idp::jose::sha256(msg);
    let t_len = PREFIX.len() + digest.len();
    let mut em = vec![0x00, 0x01];
    em.extend(std::iter::repeat_n(0xff, k_len.saturating_sub(t_len + 3)));
    em.push(0x00);
    em.extend_from_slice(&PREFIX);
    em.extend_from_slice(&digest);
    em
}

const KEY_10: Case = Case::keys(
    "KEY-10",
    "Degenerate exponent",
    Level::M,
    "RFC 8017 §3.1",
    key10,
);
fn key10(c: &Ctx<'_>) -> KeySet {
    let k = c.fresh_key("e1", 3);
    let mut jwk = k.public_jwk();
    jwk["e"] = json!(b64([1u8]));
    let unsigned = c
        .at()
        .kid(k.kid())
        .signed_with(Signing::EmptySignature)
        .build();
    let input = unsigned.trim_end_matches('.');
    let forged = format!(
        "{input}.{}",
        b64(emsa_pkcs1_sha256(input.as_bytes(), k.modulus().len()))
    );
    // The token is signed with the real key (e = 65537), which is then unpublished: the
    // attacker's, so that no target can hold it from another case.
    let k2 = keys::attacker().with_kid(&c.fresh_kid("e2"));
    let mut even = k2.public_jwk();
    even["e"] = json!(b64([2u8]));
    let t2 = c.signed_by(&k2).build();
    KeySet::variant(
        vec![jwk, even],
        vec![
            probe("e = 1, forged signature", c.bearer(&forged), InvalidToken),
            probe("e = 2", c.bearer(&t2), InvalidToken),
        ],
    )
}

const KEY_11: Case = Case::keys(
    "KEY-11",
    "Symmetric key in JWKS",
    Level::M,
    "RFC 8725 §3.1",
    key11,
);
fn key11(c: &Ctx<'_>) -> KeySet {
    let kid = c.fresh_kid("oct");
    let secret = b"conformance-oct-secret-32-bytes!".to_vec();
    let jwk = json!({"kty":"oct","kid":kid,"k":b64(&secret),"alg":"HS256","use":"sig"});
    let t = c.at().kid(&kid).signed_with(Signing::Hmac(secret)).build();
    one_bad(c, "oct key, HS256 token", jwk, t, InvalidToken)
}

const KEY_12: Case = Case::keys(
    "KEY-12",
    "Private members in JWKS",
    Level::BP,
    "RFC 7517 §9",
    key12,
);
fn key12(c: &Ctx<'_>) -> KeySet {
    let k = c.fresh_key("private", 3);
    let t = c.signed_by(&k).build();
    one_bad(
        c,
        "JWK with d,p,q,dp,dq,qi",
        k.private_jwk(),
        t,
        OneOf(vec![Accept, InvalidToken]),
    )
}

const KEY_13: Case = Case::keys("KEY-13", "Duplicate kid", Level::I, "RFC 7517 §4.5", key13);
fn key13(c: &Ctx<'_>) -> KeySet {
    let kid = c.fresh_kid("dup");
    // Two published keys under one kid. Never the attacker's: a target that keeps this JWKS
    // cached would then verify other cases' attacker tokens with a key the tenant published.
    let first = SigningKey::fixture(3).with_kid(&kid);
    let second = SigningKey::fixture(2).with_kid(&kid);
    let t = c.signed_by(&second).build();
    KeySet::variant(
        vec![first.public_jwk(), second.public_jwk()],
        vec![probe(
            "signed by the second",
            c.bearer(&t),
            OneOf(vec![Accept, InvalidToken]),
        )],
    )
}

const KEY_14: Case = Case::refresh(
    "KEY-14",
    "JWKS endpoint failure",
    Level::BP,
    "RFC 8725 §3.8",
    Fetch::Fails,
    key14,
);
fn key14<'a>(c: &'a Ctx<'a>) -> BoxFuture<'a, Vec<Step>> {
    Box::pin(async move {
        let faults: Vec<(&str, Fault)> = vec![
            ("500", Fault::Status(500)),
            ("invalid JSON", Fault::MalformedBody),
            (
                "HTML",
                Fault::Respond {
                    status: 200,
                    content_type: "text/html".into(),
                    body: "<html>maintenance</html>".into(),
                },
            ),
            (
                "keys is an object",
                Fault::Respond {
                    status: 200,
                    content_type: "application/json".into(),
                    body: "{\"keys\":{}}".into(),
                },
            ),
            (
                "no keys member",
                Fault::Respond {
                    status: 200,
                    content_type: "application/json".into(),
                    body: "{}".into(),
                },
            ),
            ("connection dropped", Fault::DropConnection),
        ];
        // The target must hold the tenant's keys before the faults, or "then AT_ok" below would
        // grade a cold target's first fetch instead of its cache: played alone on a fresh
        // target, this token is what loads them.
        let mut steps = vec![
            c.check(
                Level::BP,
                probe("AT_ok before the faults", c.bearer(&c.at().build()), Accept),
            )
            .await,
        ];
        for (label, fault) in faults {
            // A key the target has never seen, published: only a successful fetch could
            // verify it, so an ACCEPT would mean the failure was ignored.
            let k = keys::unreachable().with_kid(&c.fresh_kid("faulted"));
            c.tenant.keys().publish(k.clone());
            c.tenant.faults().fail(Endpoint::Jwks, fault);
            let before = c.tenant.journal().jwks_fetches();
            let t = c.at().signed_with(Signing::Key(k.kid().to_owned())).build();
            let mut s = c
                .fetching(|| {
                    c.check(
                        Level::BP,
                        probe(
                            label,
                            c.bearer(&t),
                            OneOf(vec![InvalidToken, Status(vec![503])]),
                        ),
                    )
                })
                .await;
            if c.tenant.journal().jwks_fetches() == before && s.grade.is_ok() {
                s.grade = Grade::Info("target did not fetch the JWKS (no refresh on unknown kid); fail-closed not observed".into());
            }
            steps.push(s);
            c.restore();
            c.tenant.keys().retire(k.kid());
            // A sound key must still work afterwards (stale keys kept, no poisoned cache).
            steps.push(
                c.check(
                    Level::BP,
                    probe(
                        format!("{label}: then AT_ok"),
                        c.bearer(&c.at().build()),
                        Accept,
                    ),
                )
                .await,
            );
        }
        steps
    })
}

const KEY_15: Case = Case::script(
    "KEY-15",
    "Discovery issuer mismatch",
    Level::M,
    "RFC 8414 §3.3; OIDC Discovery §4.3",
    key15,
);
fn key15<'a>(c: &'a Ctx<'a>) -> BoxFuture<'a, Vec<Step>> {
    Box::pin(async move {
        if !c.target.features.cold_discovery {
            return vec![Step::note(
                "skipped",
                Grade::Skip(
                    "needs a cold target: discovery is fetched once and cached, so a mismatched \
                     document mid-run is never read, or poisons every later case; run it alone \
                     on a fresh target with cold_discovery (--cold-discovery --only KEY-15)"
                        .into(),
                ),
            )];
        }
        let mut doc = c.tenant.overrides().original_discovery();
        doc["issuer"] = json!("https://issuer-mismatch.invalid/");
        c.keep_override(c.tenant.overrides().discovery(doc));
        let before = c.tenant.journal().discovery_fetches();
        let mut steps = run_probes(
            c,
            Level::M,
            vec![probe(
                "discovery issuer differs, AT_ok",
                c.bearer(&c.at().build()),
                InvalidToken,
            )],
        )
        .await;
        c.restore();
        if c.tenant.journal().discovery_fetches() == before {
            steps.push(Step::note(
                "discovery",
                Grade::Skip("target did not fetch discovery: it was not cold".into()),
            ));
        }
        steps
    })
}

const KEY_16: Case = Case::refresh(
    "KEY-16",
    "Insecure JWKS transport (redirect)",
    Level::BP,
    "RFC 8414 §2; RFC 6750 §5.3",
    Fetch::Fails,
    key16,
);
fn key16<'a>(c: &'a Ctx<'a>) -> BoxFuture<'a, Vec<Step>> {
    Box::pin(async move {
        // Only the other origin serves it: a target that follows the redirect loads it.
        let k = keys::elsewhere().with_kid(&c.fresh_kid("redirected"));
        let t = c.signed_by(&k).build();
        // The other origin serves a JWKS holding the key: following the redirect would ACCEPT.
        let other_path = format!("/jwks-{}.json", k.kid());
        wiremock::Mock::given(wiremock::matchers::path(other_path.clone()))
            .respond_with(
                wiremock::ResponseTemplate::new(200)
                    .set_body_json(json!({ "keys": [k.public_jwk()] })),
            )
            .mount(c.canary)
            .await;
        let canary_before = c.canary_hits().await;
        c.tenant.faults().fail(
            Endpoint::Jwks,
            Fault::Redirect {
                status: 302,
                location: format!("{}{other_path}", c.canary_url()),
            },
        );
        let before = c.tenant.journal().jwks_fetches();
        let mut steps = c
            .fetching(|| {
                run_probes(
                    c,
                    Level::BP,
                    vec![probe("302 to another origin", c.bearer(&t), InvalidToken)],
                )
            })
            .await;
        c.restore();
        let hits = c.canary_hits().await - canary_before;
        let fetched = c.tenant.journal().jwks_fetches() > before;
        steps.push(Step::note(
            format!("redirect followed: {hits} request(s) to the other origin"),
            match (fetched, hits) {
                (false, _) => Grade::Info("target did not fetch the JWKS; not observed".into()),
                (true, 0) => Grade::Pass,
                (true, n) => Grade::Fail(format!(
                    "followed the redirect ({n} request(s) to the other origin)"
                )),
            },
        ));
        steps
    })
}

const KEY_17: Case = Case::keys(
    "KEY-17",
    "JWK x5c inconsistent with n/e",
    Level::S,
    "RFC 7517 §4.7",
    key17,
);
fn key17(c: &Ctx<'_>) -> KeySet {
    use base64::Engine as _;
    let x5c = base64::engine::general_purpose::STANDARD.encode(c.tenant.ca().der());
    let (jwk, t) = variant(c, "x5c", 3, |o| {
        o.insert("x5c".into(), json!([x5c]));
    });
    one_bad(
        c,
        "x5c for another key, token by n/e",
        jwk,
        t,
        OneOf(vec![Accept, InvalidToken]),
    )
}

const KEY_18: Case = Case::keys(
    "KEY-18",
    "Invalid EC point in JWKS",
    Level::BP,
    "RFC 8725 §3.4",
    key18,
);
fn key18(c: &Ctx<'_>) -> KeySet {
    let kid = c.fresh_kid("ecpoint");
    let ec = DpopKey::generate();
    let mut jwk = ec.public_jwk();
    jwk["kid"] = json!(kid);
    jwk["alg"] = json!("ES256");
    jwk["use"] = json!("sig");
    jwk["y"] = json!(b64([0x11u8; 32]));
    let t = c.at().kid(&kid).signed_with(Signing::Ec(ec)).build();
    one_bad(c, "EC point off the curve", jwk, t, InvalidToken)
}
