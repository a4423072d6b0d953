//! Access-token rules: structure, algorithm policy, typ, claims, issuer allow-list, cache.

use mock_idp::Signing;
use serde_json::{Value, json};

use super::support::*;
use crate::TokenError;
use crate::{AuthError, TokenProfile, VerifierOptions};

fn invalid(r: Result<crate::Claims, AuthError>) -> AuthError {
    let e = r.unwrap_err();
    assert_eq!(e.error_code(), Some("invalid_token"), "{e:?}");
    assert_eq!(e.status(), 401);
    e
}

#[tokio::test]
async fn valid_token_and_cache_hit() {
    let env = Env::new().await;
    let t = env.ok_token();
    let c = env.verifier.verify_access_token(&t, &[]).await.unwrap();
    assert_eq!(c.sub(), Some("user|1"));
    assert!(c.has_scope("read:messages"));
    assert!(!c.has_scope("read"));
    env.verifier
        .verify_access_token(&t, &["sub"])
        .await
        .unwrap();
    let s = env.verifier.stats();
    assert_eq!(
        (s.discovery_fetches, s.jwks_fetches, s.token_cache_hits),
        (1, 1, 1)
    );
    // Required claims are checked on cache hits too.
    invalid(env.verifier.verify_access_token(&t, &["org_id"]).await);
}

#[tokio::test]
async fn exp_boundary_without_and_with_leeway() {
    let env = Env::new().await;
    let mut c = env.claims();
    c.insert("exp".into(), json!(env.now() + 1.0));
    let t = env.token(&c);
    env.verifier.verify_access_token(&t, &[]).await.unwrap();
    // exp == now: rejected, also from the cache (the clock is re-checked on every hit).
    env.clock.advance(1);
    let e = invalid(env.verifier.verify_access_token(&t, &[]).await);
    assert_eq!(e, AuthError::InvalidToken(TokenError::Expired));
    // A fresh verifier with 5 s leeway accepts exp = now - 3 and refuses exp = now - 5.
    let lenient = env.verifier_with(|o| o.clock_leeway(std::time::Duration::from_secs(5)));
    let mut c = env.claims();
    c.insert("exp".into(), json!(env.now() - 3.0));
    lenient
        .verify_access_token(&env.token(&c), &[])
        .await
        .unwrap();
    c.insert("exp".into(), json!(env.now() - 5.0));
    invalid(lenient.verify_access_token(&env.token(&c), &[]).await);
}

#[tokio::test]
async fn claim_types_and_presence() {
    let env = Env::new().await;
    let now = env.now();
    let cases: Vec<(&str, Value)> = vec![
        ("exp", json!("9999999999")),
        ("exp", json!(true)),
        ("exp", json!({})),
        ("exp", Value::Null),
        ("nbf", json!(false)),
        ("nbf", json!("x")),
        ("nbf", json!(now + 600.0)),
        ("iat", json!("now")),
        ("iat", json!(now + 86_400.0)),
        ("aud", json!("https://other-api")),
        ("aud", json!("HTTPS://API.EXAMPLE.COM")),
        ("aud", json!(format!("{AUD}/"))),
        ("aud", json!("")),
        ("aud", json!([])),
        ("aud", Value::Null),
        ("aud", json!(123)),
        ("aud", json!([[AUD]])),
        ("aud", json!([123, AUD])),
        ("iss", json!(["x"])),
        ("iss", json!(123)),
        ("sub", json!(1)),
        ("cnf", json!([])),
        ("cnf", json!({"jkt": 1})),
        ("cnf", json!({"jkt": ""})),
        ("cnf", json!({})),
        ("cnf", json!({"x5t#S256": "abc"})),
        ("cnf", json!({"jkt": "abc", "x5t#S256": "abc"})),
    ];
    for (name, v) in cases {
        let mut c = env.claims();
        c.insert(name.into(), v.clone());
        let e = env.verifier.verify_access_token(&env.token(&c), &[]).await;
        assert!(e.is_err(), "{name} = {v} accepted");
        invalid(e);
    }
    for name in ["exp", "iat", "aud", "iss"] {
        let mut c = env.claims();
        c.remove(name);
        invalid(env.verifier.verify_access_token(&env.token(&c), &[]).await);
    }
    // Accepted variants: fractional dates, string aud, nbf in the past, unknown claims.
    let mut c = env.claims();
    c.insert("exp".into(), json!(now + 3600.5));
    c.insert("iat".into(), json!(now - 0.25));
    c.insert("nbf".into(), json!(now));
    c.insert("aud".into(), json!(AUD));
    c.insert("https://ns/claim".into(), json!({"x": 1}));
    env.verifier
        .verify_access_token(&env.token(&c), &[])
        .await
        .unwrap();
}

#[tokio::test]
async fn nbf_leeway() {
    let env = Env::with(|o| o.clock_leeway(std::time::Duration::from_secs(5))).await;
    let mut c = env.claims();
    c.insert("nbf".into(), json!(env.now() + 3.0));
    env.verifier
        .verify_access_token(&env.token(&c), &[])
        .await
        .unwrap();
    c.insert("nbf".into(), json!(env.now() + 6.0));
    invalid(env.verifier.verify_access_token(&env.token(&c), &[]).await);
}

#[tokio::test]
async fn algorithm_policy_before_any_network_call() {
    let env = Env::new().await;
    let claims = Value::Object(env.claims());
    for header in [
        json!({"alg": "none", "kid": "k1"}),
        json!({"alg": "None", "kid": "k1"}),
        json!({"alg": "HS256", "kid": "k1"}),
        json!({"alg": "PS256", "kid": "k1"}),
        json!({"alg": "ES256", "kid": "k1"}),
        json!({"alg": 123, "kid": "k1"}),
        json!({"kid": "k1"}),
        json!({"alg": "HS256\"x\r\nX: y"}),
    ] {
        for sig in ["", "AAAA"] {
            let t = env
                .tenant
                .token()
                .raw_header(header.to_string())
                .raw_payload(claims.to_string())
                .signed_with(Signing::RawSignature(sig.to_owned()))
                .build();
            invalid(env.verifier.verify_access_token(&t, &[]).await);
        }
    }
    assert_eq!(env.verifier.stats().jwks_fetches, 0);
    assert_eq!(env.verifier.stats().discovery_fetches, 0);
}

#[tokio::test]
async fn structure_crit_b64_and_canonical_base64() {
    let env = Env::new().await;
    let claims = Value::Object(env.claims());
    let k = rsa("tenant-1");
    for header in [
        json!({"alg": "RS256", "kid": "k1", "crit": ["urn:x"], "urn:x": 1}),
        json!({"alg": "RS256", "kid": "k1", "crit": []}),
        json!({"alg": "RS256", "kid": "k1", "b64": false, "crit": ["b64"]}),
    ] {
        invalid(
            env.verifier
                .verify_access_token(&env.mint(k.clone(), &header, &claims), &[])
                .await,
        );
    }
    let good = env.ok_token();
    let parts: Vec<&str> = good.split('.').collect();
    for bad in [
        "abc".to_owned(),
        format!("{}.{}", parts[0], parts[1]),
        format!("{good}.x"),
        format!(".{good}"),
        format!("{good}=="),
        format!("{}.{}.{}=", parts[0], parts[1], parts[2]),
        format!(
            "{}.{}.{}",
            parts[0],
            parts[1],
            &parts[2][..parts[2].len() - 4]
        ),
        format!("{}.{}.", parts[0], parts[1]),
    ] {
        invalid(env.verifier.verify_access_token(&bad, &[]).await);
    }
    // Non-canonical trailing bits in the signature (same bytes, different string).
    let last = parts[2].as_bytes()[parts[2].len() - 1];
    let tweaked = match last {
        b'A' => 'B',
        b'Q' => 'R',
        b'g' => 'h',
        b'w' => 'x',
        _ => 'A',
    };
    let t = format!(
        "{}.{}.{}{tweaked}",
        parts[0],
        parts[1],
        &parts[2][..parts[2].len() - 1]
    );
    invalid(env.verifier.verify_access_token(&t, &[]).await);
    env.verifier.verify_access_token(&good, &[]).await.unwrap();
}

#[tokio::test]
async fn signatures_and_keys_of_others() {
    let env = Env::new().await;
    let claims = Value::Object(env.claims());
    let header = json!({"alg": "RS256", "kid": "k1", "typ": "JWT"});
    // Attacker key with the tenant's kid; embedded jwk / jku are ignored.
    let t = env.mint(rsa("attacker"), &header, &claims);
    invalid(env.verifier.verify_access_token(&t, &[]).await);
    let mut h2 = header.clone();
    h2["jwk"] = rsa_jwk("attacker", "k1");
    h2["jku"] = json!("http://127.0.0.1:1/jwks");
    invalid(
        env.verifier
            .verify_access_token(&env.mint(rsa("attacker"), &h2, &claims), &[])
            .await,
    );
    // Tampered payload keeping the signature.
    let good = env.ok_token();
    let parts: Vec<&str> = good.split('.').collect();
    let mut c = env.claims();
    c.insert("scope".into(), json!("admin:write"));
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        b64(serde_json::to_vec(&c).unwrap()),
        parts[2]
    );
    invalid(env.verifier.verify_access_token(&forged, &[]).await);
    // Missing kid: every usable key is tried.
    let t = env.mint(rsa("tenant-1"), &json!({"alg": "RS256"}), &claims);
    env.verifier.verify_access_token(&t, &[]).await.unwrap();
    // Non-string kid.
    let t = env.mint(
        rsa("tenant-1"),
        &json!({"alg": "RS256", "kid": {"x": 1}}),
        &claims,
    );
    invalid(env.verifier.verify_access_token(&t, &[]).await);
}

#[tokio::test]
async fn typ_policy_per_profile() {
    let env = Env::new().await;
    let strict = env.verifier_with(|o| o.profile(TokenProfile::Rfc9068Strict));
    for (typ, compat_ok, strict_ok) in [
        (None, true, false),
        (Some("JWT"), true, false),
        (Some("at+jwt"), true, true),
        (Some("application/at+jwt"), true, true),
        (Some("AT+JWT"), true, true),
        (Some("dpop+jwt"), false, false),
        (Some("secevent+jwt"), false, false),
    ] {
        for (verifier, ok) in [(&env.verifier, compat_ok), (&strict, strict_ok)] {
            let mut header = json!({"alg": "RS256", "kid": "k1"});
            if let Some(t) = typ {
                header["typ"] = json!(t);
            }
            let mut c = env.claims();
            c.insert("client_id".into(), json!("client-1"));
            c.insert("jti".into(), json!("j1"));
            let t = env.mint(rsa("tenant-1"), &header, &Value::Object(c));
            let r = verifier.verify_access_token(&t, &[]).await;
            assert_eq!(r.is_ok(), ok, "typ {typ:?}: {r:?}");
        }
    }
    // Strict requires client_id / jti / sub.
    let mut c = env.claims();
    c.insert("client_id".into(), json!("client-1"));
    let t = env.mint(
        rsa("tenant-1"),
        &json!({"alg": "RS256", "kid": "k1", "typ": "at+jwt"}),
        &Value::Object(c),
    );
    invalid(strict.verify_access_token(&t, &[]).await);
}

#[tokio::test]
async fn issuer_exact_and_allow_list_before_fetch() {
    let env = Env::new().await;
    for iss in [
        format!("https://{}", env.domain),
        format!(
            "https://{}/",
            env.domain.to_uppercase().replace("127.0.0.1", "LOCALHOST")
        ),
        format!("http://{}/", env.domain),
        format!("https://{}@evil.example/", env.domain),
        format!("https://{}/?x", env.domain),
        "https://t3.example/".to_owned(),
    ] {
        let mut c = env.claims();
        c.insert("iss".into(), json!(iss));
        invalid(env.verifier.verify_access_token(&env.token(&c), &[]).await);
    }
    assert_eq!(
        env.verifier.stats().discovery_fetches,
        0,
        "no fetch for untrusted issuers"
    );
}

#[tokio::test]
async fn multiple_domains_and_resolver() {
    let env = Env::with(|o| {
        let d = o.domains[0].clone();
        let mut both = VerifierOptions::with_domains(vec!["other.example".into(), d], AUD)
            .clock(o.clock.clone());
        both.trust = o.trust.clone();
        both
    })
    .await;
    env.verify_ok_token().await.unwrap();
    let resolved = env.verifier_with(|o| {
        let domain = o.domains[0].clone();
        o.domain_resolver(std::sync::Arc::new(
            move |ctx: &crate::RequestContext, _iss: &str| {
                if ctx.headers.contains_key("x-tenant-a") {
                    vec![domain.clone()]
                } else {
                    vec![]
                }
            },
        ))
    });
    let t = env.ok_token();
    let ctx = request_to(
        http::Method::GET,
        URL,
        &[
            ("x-tenant-a", "1"),
            ("authorization", &format!("Bearer {t}")),
        ],
    );
    resolved.verify_request(&ctx).await.unwrap();
    // The resolver is consulted on cache hits too.
    let ctx = request(&[("authorization", &format!("Bearer {t}"))]);
    assert!(resolved.verify_request(&ctx).await.is_err());
}

#[test]
fn config_errors() {
    use crate::{ConfigError, Verifier};
    let e = |o| Verifier::new(o).unwrap_err();
    assert!(matches!(
        e(VerifierOptions::new("t.example", "")),
        ConfigError::MissingAudience
    ));
    assert!(matches!(
        e(VerifierOptions::new("", AUD)),
        ConfigError::InvalidDomain { .. }
    ));
    assert!(matches!(
        e(VerifierOptions::new("https://t.example", AUD)),
        ConfigError::InvalidDomain { .. }
    ));
    assert!(matches!(
        e(VerifierOptions::new("t.example/x", AUD)),
        ConfigError::InvalidDomain { .. }
    ));
    assert!(matches!(
        e(VerifierOptions::with_domains(vec![], AUD)),
        ConfigError::MissingDomain
    ));
    assert!(matches!(
        e(VerifierOptions::new("t.example", AUD).cache_max_entries(1)),
        ConfigError::InvalidCacheSize { .. }
    ));
    assert!(matches!(
        e(VerifierOptions::new("t.example", AUD).ca_file("/nonexistent/ca.pem")),
        ConfigError::CaFile { .. }
    ));
    assert!(matches!(
        e(VerifierOptions::new("t.example", AUD).ca_pem(b"nope".to_vec())),
        ConfigError::InvalidCa
    ));
    assert!(matches!(
        e(VerifierOptions::new("t.example", AUD).allowed_algorithms(vec![])),
        ConfigError::NoAlgorithms
    ));
    assert!(Verifier::new(VerifierOptions::new("T.example:8443", AUD)).is_ok());
}

#[tokio::test]
async fn blocking_entry_point() {
    let env = Env::new().await;
    let t = env.ok_token();
    assert_eq!(
        env.verifier
            .blocking_verify_access_token(&t, &[])
            .unwrap_err(),
        AuthError::BlockingInsideRuntime
    );
    let v = env.verifier.clone();
    let r = std::thread::spawn(move || v.blocking_verify_access_token(&t, &[]))
        .join()
        .unwrap();
    assert!(r.is_ok(), "{r:?}");
}
