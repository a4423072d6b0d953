//! Properties over the whole stack (real API, real tenant, HTTP on 127.0.0.1): the Common
//! Issues cases hold for any input, not only for the examples in the scenario modules.
//!
//! Each property starts one stack and drives it from proptest's synchronous closure on a
//! shared runtime. Case counts are modest (64) so the suite stays fast; shrunk failures are
//! kept by proptest in `tests/proptest-regressions/properties.txt` (commit it) and replayed first.

use std::time::Duration;

use mock_idp::DpopKey;
use proptest::prelude::*;
use serde_json::{Value, json};

use crate::support::*;

const CASES: u32 = 64;
const AUDIENCE: &str = "https://my-flask-api";

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: CASES,
        ..ProptestConfig::default()
    }
}

/// Checks a `WWW-Authenticate` value against RFC 9110 §11.6.1 as this API uses it: a list of
/// `Bearer`/`DPoP` challenges, each scheme once, whose parameters are `name="value"` with
/// RFC 6750 §3 characters in the value, `realm` first on Bearer and `algs` last on DPoP.
fn well_formed_challenge(value: &str) -> Result<(), String> {
    let mut rest = value;
    let mut schemes = Vec::new();
    loop {
        let scheme_end = rest.find(' ').unwrap_or(rest.len());
        let scheme = &rest[..scheme_end];
        if !matches!(scheme, "Bearer" | "DPoP") || schemes.contains(&scheme) {
            return Err(format!("unexpected scheme {scheme:?} in {value:?}"));
        }
        schemes.push(scheme);
        rest = &rest[scheme_end..];
        let mut params = Vec::new();
        while let Some(after) = rest.strip_prefix(if params.is_empty() { " " } else { ", " }) {
            let Some((name, quoted)) = after.split_once('=') else {
                break;
            };
            if !name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') || name.is_empty() {
                break; // the next challenge
            }
            let inner = quoted
                .strip_prefix('"')
                .ok_or_else(|| format!("unquoted {name} in {value:?}"))?;
            let close = inner
                .find('"')
                .ok_or_else(|| format!("unterminated {name} in {value:?}"))?;
            let text = &inner[..close];
            if !text
                .chars()
                .all(|c| matches!(c, '\x20'..='\x21' | '\x23'..='\x5b' | '\x5d'..='\x7e'))
            {
                return Err(format!("bad characters in {name} of {value:?}"));
            }
            params.push(name);
            rest = &inner[close + 1..];
        }
        match scheme {
            "Bearer" if params.first() != Some(&"realm") => {
                return Err(format!("Bearer without realm first in {value:?}"));
            }
            "DPoP" if params.last() != Some(&"algs") => {
                return Err(format!("DPoP without algs last in {value:?}"));
            }
            _ => {}
        }
        if rest.is_empty() {
            return Ok(());
        }
        rest = rest
            .strip_prefix(", ")
            .ok_or_else(|| format!("junk {rest:?} in {value:?}"))?;
    }
}

/// A refusal whatever its cause: 4xx, one well-formed challenge, the JSON error shape and
/// `Cache-Control: no-store`.
fn assert_refusal(reply: &Reply) -> Result<(), TestCaseError> {
    prop_assert!(
        (400..500).contains(&reply.status),
        "status {} in {reply:#?}",
        reply.status
    );
    let challenges = reply.challenges();
    prop_assert_eq!(challenges.len(), 1, "{:#?}", reply);
    if let Err(why) = well_formed_challenge(challenges[0]) {
        return Err(TestCaseError::fail(why));
    }
    prop_assert!(reply.body["error"].is_string(), "{:#?}", reply);
    prop_assert!(reply.body["error_description"].is_string(), "{:#?}", reply);
    prop_assert_eq!(reply.header("cache-control"), Some("no-store"));
    Ok(())
}

#[test]
fn the_challenge_checker_knows_good_from_bad() {
    for good in [
        r#"Bearer realm="api", DPoP algs="ES256""#,
        r#"Bearer realm="api""#,
        r#"DPoP algs="ES256""#,
        r#"Bearer realm="api", error="invalid_token", error_description="Missing or invalid RFC 9068 claim (sub, client_id or jti)", DPoP algs="ES256""#,
        r#"Bearer realm="api", DPoP error="insufficient_scope", error_description="Insufficient scope", scope="a b", algs="ES256""#,
    ] {
        assert_eq!(well_formed_challenge(good), Ok(()), "{good}");
    }
    for bad in [
        r#"Bearer realm="api", Bearer realm="api""#,
        r#"Bearer error="x", realm="api""#,
        r#"Bearer realm=api"#,
        r#"Bearer realm="a"b""#,
        r#"DPoP algs="ES256", error="x""#,
        r#"Basic realm="api""#,
        r#"Bearer realm="api",DPoP algs="ES256""#,
        "",
    ] {
        assert!(well_formed_challenge(bad).is_err(), "{bad}");
    }
}

/// Near misses of the configured audience: one character changed, added or removed.
fn near_audience() -> impl Strategy<Value = String> {
    let len = AUDIENCE.len();
    (0..len, 0..4u8, proptest::char::range('!', '~')).prop_map(move |(at, op, c)| {
        let mut s: Vec<char> = AUDIENCE.chars().collect();
        match op {
            0 => s[at] = c,
            1 => s.insert(at, c),
            2 => {
                s.remove(at);
            }
            _ => s[at] = s[at].to_ascii_uppercase(),
        }
        s.into_iter().collect()
    })
}

fn other_audience() -> impl Strategy<Value = String> {
    prop_oneof![near_audience(), "\\PC{0,40}"].prop_filter("not the API", |a| a != AUDIENCE)
}

#[test]
fn any_other_audience_is_refused() {
    let rt = runtime();
    let stack = rt.block_on(Stack::start());
    let aud = prop_oneof![
        other_audience().prop_map(Value::from),
        proptest::collection::vec(other_audience(), 0..4).prop_map(Value::from),
    ];
    proptest!(config(), |(aud in aud)| {
        let token = stack.tenant.token().aud_json(aud).build();
        let reply = rt.block_on(stack.get("/api/private").bearer_auth(&token).reply());
        prop_assert_eq!(reply.status, 401);
        prop_assert_eq!(&reply.body, &json!({
            "error": "invalid_token",
            "error_description": "Audience mismatch",
        }));
    });
}

#[test]
fn exp_against_a_fixed_clock_and_leeway() {
    const NOW: i64 = 1_800_000_000;
    const LEEWAY: i64 = 30;
    let rt = runtime();
    let stack = rt.block_on(Stack::with(|o| {
        o.clock_leeway(Duration::from_secs(LEEWAY as u64))
    }));
    // The tenant's clock is the verifier's clock: both stand at NOW.
    stack.tenant.clock().freeze_at(NOW);
    // The boundaries themselves are drawn often, not left to chance.
    let expired = prop_oneof![Just(-LEEWAY), Just(-LEEWAY - 1), -1_000_000i64..=-LEEWAY]
        .prop_map(|offset| (offset, false));
    // Accepted: anything later than now + leeway, and (sharper) anything later than
    // now - leeway.
    let valid = prop_oneof![
        Just(LEEWAY + 1),
        Just(-LEEWAY + 1),
        LEEWAY + 1..1_000_000i64,
        -LEEWAY + 1..=LEEWAY,
    ]
    .prop_map(|offset| (offset, true));
    proptest!(config(), |((offset, accepted) in prop_oneof![expired, valid])| {
        let token = stack.tenant.token().claim("exp", json!(NOW + offset)).build();
        let reply = rt.block_on(stack.get("/api/private").bearer_auth(&token).reply());
        if accepted {
            prop_assert_eq!(reply.status, 200, "exp = now + {}: {:#?}", offset, reply);
        } else {
            prop_assert_eq!(reply.status, 401, "exp = now {}: {:#?}", offset, reply);
            prop_assert_eq!(&reply.body["error_description"], "Token is expired");
        }
    });
}

#[test]
fn any_single_character_change_to_a_valid_token_is_refused() {
    let rt = runtime();
    let stack = rt.block_on(Stack::start());
    let token = stack.tenant.token().build();
    rt.block_on(stack.get("/api/private").bearer_auth(&token).reply())
        .assert_ok();
    let len = token.len();
    proptest!(config(), |(at in 0..len, c in proptest::char::range(' ', '~'))| {
        let mut changed: Vec<char> = token.chars().collect();
        prop_assume!(changed[at] != c);
        changed[at] = c;
        let changed: String = changed.into_iter().collect();
        let reply = rt.block_on(
            stack.get("/api/private").header("authorization", format!("Bearer {changed}")).reply(),
        );
        assert_refusal(&reply)?;
        prop_assert!(
            matches!(reply.status, 400 | 401),
            "{changed}: {reply:#?}"
        );
    });
}

#[test]
fn any_authorization_header_gets_a_4xx_with_a_well_formed_challenge() {
    let rt = runtime();
    let stack = rt.block_on(Stack::start());
    let token = stack.tenant.token().build();
    let scheme = prop_oneof![
        Just("Bearer ".to_owned()),
        Just("DPoP ".to_owned()),
        Just("bearer\t".to_owned()),
        Just("Basic ".to_owned()),
        Just(String::new()),
        "[A-Za-z]{1,8} ",
    ];
    // Every byte a header value may carry: visible ASCII, space, TAB and obs-text.
    let byte = prop_oneof![0x20u8..=0x7e, Just(b'\t'), 0x80u8..=0xff];
    let rest = prop_oneof![
        proptest::collection::vec(byte, 0..200),
        // A valid token with junk around it.
        ("[ -~]{0,3}", "[ -~]{0,3}").prop_map(move |(a, b)| format!("{a}{token}{b}").into_bytes()),
        (16_000usize..17_000).prop_map(|n| vec![b'a'; n]),
    ];
    let dpop = proptest::option::of("[ -~]{0,100}");
    proptest!(config(), |(scheme in scheme, rest in rest, dpop in dpop)| {
        let mut value = scheme.into_bytes();
        value.extend(rest);
        let Ok(value) = http::HeaderValue::from_bytes(&value) else {
            return Ok(()); // not a header value at all: no client can send it
        };
        let mut request = stack.get("/api/private").header("authorization", value);
        if let Some(dpop) = dpop {
            request = request.header("dpop", dpop);
        }
        let reply = rt.block_on(request.reply());
        if reply.status != 200 {
            assert_refusal(&reply)?;
        }
    });
}

#[test]
fn any_scope_string_without_the_exact_required_token_gets_403() {
    let rt = runtime();
    let stack = rt.block_on(Stack::start());
    let near_miss = prop_oneof![
        Just("admin:writes".to_owned()),
        Just("Admin:write".to_owned()),
        Just("ADMIN:WRITE".to_owned()),
        Just("admin:Write".to_owned()),
        Just("admin".to_owned()),
        Just("write".to_owned()),
        Just("admin:write,".to_owned()),
        Just("admin:write\t".to_owned()),
        Just("\tadmin:write".to_owned()),
        Just("admin:write\u{a0}".to_owned()),
        Just("\"admin:write\"".to_owned()),
        Just("read:messages".to_owned()),
        Just("openid".to_owned()),
        "[a-z:]{1,12}",
        "\\PC{1,12}",
    ]
    .prop_filter("lacks the exact token", |s| {
        !s.split(' ').any(|t| t == "admin:write")
    });
    let separator = prop_oneof![Just(" "), Just("  ")];
    let scopes = proptest::collection::vec((near_miss, separator), 0..6);
    proptest!(config(), |(scopes in scopes, insert_at in any::<prop::sample::Index>())| {
        let mut scope = String::new();
        for (s, sep) in &scopes {
            scope.push_str(s);
            scope.push_str(sep);
        }
        let token = stack.tenant.token().scope(&scope).build();
        let reply = rt.block_on(stack.get("/api/admin").bearer_auth(&token).reply());
        prop_assert_eq!(reply.status, 403, "scope {:?}: {:#?}", scope, reply);
        let challenge = on_bearer_scope("admin:write");
        prop_assert_eq!(reply.challenges(), [challenge.as_str()]);
        prop_assert_eq!(&reply.body["error"], "insufficient_scope");

        // With the exact token added anywhere (as its own space-separated token): 200.
        let mut tokens: Vec<&str> = scopes.iter().map(|(s, _)| s.as_str()).collect();
        tokens.insert(insert_at.index(tokens.len() + 1), "admin:write");
        let granted = stack.tenant.token().scope(&tokens.join(" ")).build();
        let reply = rt.block_on(stack.get("/api/admin").bearer_auth(&granted).reply());
        prop_assert_eq!(reply.status, 200, "scope {:?}: {:#?}", tokens, reply);
    });
}

fn on_bearer_scope(scope: &str) -> String {
    format!(
        r#"Bearer realm="api", error="insufficient_scope", error_description="Insufficient scope", scope="{scope}", DPoP algs="ES256""#
    )
}

/// `https://api.example.com/api/dpop-protected` spelled any equivalent way (RFC 3986 §6.2.2
/// and §6.2.3; query and fragment are not part of `htu`, RFC 9449 §4.3).
fn equivalent_htu() -> impl Strategy<Value = String> {
    let scheme = prop_oneof![Just("https"), Just("HTTPS"), Just("Https")];
    let host_case = proptest::collection::vec(any::<bool>(), 15);
    let port = prop_oneof![Just(""), Just(":443")];
    let path = prop_oneof![
        Just("/api/dpop-protected"),
        Just("/api/./dpop-protected"),
        Just("/./api/dpop-protected"),
        Just("/api/x/../dpop-protected"),
        Just("/x/y/../../api/dpop-protected"),
        Just("/api/%64pop-protected"),
        Just("/%61pi/dpop-protected"),
        Just("/api/dpop%2dprotected"),
        Just("/api/dpop%2Dprotected"),
    ];
    let query = prop_oneof![Just(""), Just("?x=1"), Just("?a=b&c=%20"), Just("?")];
    let fragment = prop_oneof![Just(""), Just("#frag"), Just("#")];
    (scheme, host_case, port, path, query, fragment).prop_map(
        |(scheme, case, port, path, query, fragment)| {
            let host: String = "api.example.com"
                .chars()
                .zip(case)
                .map(|(c, upper)| if upper { c.to_ascii_uppercase() } else { c })
                .collect();
            format!("{scheme}://{host}{port}{path}{query}{fragment}")
        },
    )
}

/// Spellings that name another resource: another scheme, host, port or path.
fn other_htu() -> impl Strategy<Value = String> {
    let other = prop_oneof![
        Just("http://api.example.com/api/dpop-protected"),
        Just("https://api.example.com:8443/api/dpop-protected"),
        Just("https://api.example.com:80/api/dpop-protected"),
        Just("https://api.example.org/api/dpop-protected"),
        Just("https://api.example.com.evil.example/api/dpop-protected"),
        Just("https://user@api.example.com/api/dpop-protected"),
        Just("https://api.example.com/API/dpop-protected"),
        Just("https://api.example.com/api/dpop-protected/"),
        Just("https://api.example.com/api/dpop-protected/x"),
        Just("https://api.example.com/api//dpop-protected"),
        Just("https://api.example.com/api%2Fdpop-protected"),
        Just("https://api.example.com/api/dpop_protected"),
        Just("https://api.example.com/api/admin"),
        Just("https://api.example.com"),
        Just("/api/dpop-protected"),
    ];
    let query = prop_oneof![Just(""), Just("?x=1")];
    (other, query).prop_map(|(url, query)| format!("{url}{query}"))
}

#[test]
fn htu_spellings_equivalent_accepted_and_others_refused() {
    let rt = runtime();
    // Behind a TLS-terminating proxy: clients see https://api.example.com, the API listens on
    // 127.0.0.1 and is told its public URL.
    let stack = rt.block_on(Stack::with(|o| {
        o.public_base_url("https://api.example.com")
    }));
    let key = DpopKey::generate();
    let token = stack.tenant.token().bound_to(&key).build();
    let request_path = prop_oneof![
        Just("/api/dpop-protected"),
        Just("/api/dpop-protected?page=2")
    ];
    let htu = prop_oneof![
        equivalent_htu().prop_map(|u| (u, true)),
        other_htu().prop_map(|u| (u, false)),
    ];
    proptest!(config(), |((htu, equivalent) in htu, request_path in request_path)| {
        let proof = stack
            .tenant
            .dpop().proof(&key, "GET", "https://api.example.com/api/dpop-protected")
            .htu(&htu)
            .access_token(&token)
            .build();
        let reply = rt.block_on(
            stack
                .get(request_path)
                .header("authorization", format!("DPoP {token}"))
                .header("dpop", proof)
                .reply(),
        );
        if equivalent {
            prop_assert_eq!(reply.status, 200, "htu {}: {:#?}", htu, reply);
        } else {
            assert_refusal(&reply)?;
            prop_assert_eq!(reply.status, 401, "htu {}: {:#?}", htu, reply);
            prop_assert_eq!(&reply.body["error"], "invalid_dpop_proof");
            let description = reply.body["error_description"].as_str().unwrap_or_default();
            prop_assert!(
                matches!(description, "DPoP proof htu mismatch" | "Invalid DPoP proof htu"),
                "htu {}: {}", htu, description
            );
        }
    });
}
