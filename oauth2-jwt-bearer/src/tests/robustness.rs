//! Bad input never panics and never yields a 500; a token or proof that differs from a valid
//! one in any character is refused.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use super::support::*;

fn b64ish() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[A-Za-z0-9_.=+/~ \\-\",]{0,300}").unwrap()
}

#[test]
fn arbitrary_headers_never_panic() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let env = rt.block_on(Env::new());
    let valid = env.ok_token();
    let mut runner = TestRunner::new(Config {
        cases: 400,
        ..Config::default()
    });
    let strategy = (
        prop_oneof![
            Just("Bearer "),
            Just("DPoP "),
            Just("bearer  "),
            Just(""),
            Just("Basic ")
        ],
        b64ish(),
        proptest::option::of(b64ish()),
        proptest::collection::vec(any::<u8>(), 0..64),
    );
    runner
        .run(&strategy, |(scheme, token, proof, raw)| {
            let auth = format!("{scheme}{token}");
            let mut fields: Vec<(&str, &str)> = vec![("authorization", &auth)];
            if let Some(p) = &proof {
                fields.push(("dpop", p));
            }
            let ctx = request(&fields);
            let r = rt.block_on(env.verifier.verify_request(&ctx));
            let rej = r.unwrap_err();
            prop_assert!(matches!(rej.error.status().as_u16(), 400 | 401));
            prop_assert_eq!(rej.error.www_authenticate(rej.mode, rej.scheme).len(), 1);
            // Raw bytes as a token (through the public API, not a header).
            let s = String::from_utf8_lossy(&raw);
            prop_assert!(
                rt.block_on(env.verifier.verify_access_token(&s, &[]))
                    .is_err()
            );
            Ok(())
        })
        .unwrap();
    assert!(
        rt.block_on(env.verifier.verify_access_token(&valid, &[]))
            .is_ok()
    );
}

#[test]
fn any_single_character_change_is_refused() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let env = rt.block_on(Env::new());
    let key = ec("dpop-client");
    let token = env.token(&env.bound_claims(&key));
    let alphabet: Vec<char> = "ABCabcxyz0189-_.=".chars().collect();
    let mut runner = TestRunner::new(Config {
        cases: 300,
        ..Config::default()
    });
    runner
        .run(
            &(0..token.len(), 0..alphabet.len(), any::<bool>()),
            |(i, c, in_proof)| {
                let proof = env.proof(&key, &token);
                let (mut t, mut p) = (token.clone(), proof.clone());
                let target = if in_proof { &mut p } else { &mut t };
                let i = i % target.len();
                let mut chars: Vec<char> = target.chars().collect();
                chars[i] = alphabet[c];
                *target = chars.into_iter().collect();
                if t == token && p == proof {
                    return Ok(());
                }
                let auth = format!("DPoP {t}");
                let ctx = request(&[("authorization", &auth), ("dpop", &p)]);
                let r = rt.block_on(env.verifier.verify_request(&ctx));
                prop_assert!(
                    r.is_err(),
                    "accepted a modified {}",
                    if in_proof { "proof" } else { "token" }
                );
                Ok(())
            },
        )
        .unwrap();
}
