//! `POST /oauth/token`: client_credentials with Auth0's rules and error shapes.

use mock_idp::{
    MockTenant, config::ApiConfig, config::ApplicationConfig, config::Dialect, config::TenantConfig,
};
use serde_json::{Value, json};

use crate::support::{as_refs, cc_form, fetch_jwks, parts, post_token, verify};

#[tokio::test]
async fn client_secret_post_issues_a_verifiable_auth0_token() {
    let tenant = MockTenant::start().await;
    let form = cc_form(&tenant);
    let (status, body) = post_token(&tenant, &as_refs(&form), &[]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 86400);
    assert_eq!(body["scope"], "read:messages write:messages admin:write");
    let token = body["access_token"].as_str().unwrap();
    let jwks = fetch_jwks(&tenant).await;
    let claims = verify(token, &jwks, tenant.issuer(), tenant.audience()).unwrap();
    assert_eq!(
        claims["sub"],
        format!("{}@clients", tenant.app().client_id())
    );
    assert_eq!(claims["azp"], tenant.app().client_id());
    assert_eq!(claims["gty"], "client-credentials");
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        86400
    );
    let (header, _) = parts(token);
    assert_eq!(header["typ"], "JWT");
    assert_eq!(header["kid"], tenant.keys().current().kid());
}

#[tokio::test]
async fn http_basic_client_authentication() {
    let tenant = MockTenant::start().await;
    let res = tenant
        .http_client()
        .post(tenant.urls().token())
        .basic_auth(tenant.app().client_id(), Some(tenant.app().client_secret()))
        .form(&[
            ("grant_type", "client_credentials"),
            ("audience", tenant.audience()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
}

#[tokio::test]
async fn json_body_is_accepted_like_auth0() {
    let tenant = MockTenant::start().await;
    let res = tenant
        .http_client()
        .post(tenant.urls().token())
        .json(&json!({
            "grant_type": "client_credentials",
            "client_id": tenant.app().client_id(),
            "client_secret": tenant.app().client_secret(),
            "audience": tenant.audience(),
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn garbage_bodies_never_500() {
    let tenant = MockTenant::start().await;
    let client = tenant.http_client();
    let bodies: Vec<(&str, Vec<u8>)> = vec![
        ("application/json", b"{not json".to_vec()),
        ("application/json", b"[1,2]".to_vec()),
        ("application/json", br#"{"grant_type": 5}"#.to_vec()),
        (
            "application/x-www-form-urlencoded",
            vec![0xff, 0xfe, b'=', 0x80],
        ),
        ("text/plain", b"grant_type=client_credentials".to_vec()),
        ("application/x-www-form-urlencoded", vec![b'a'; 70_000]),
    ];
    for (ct, body) in bodies {
        let res = client
            .post(tenant.urls().token())
            .header("content-type", ct)
            .body(body)
            .send()
            .await
            .unwrap();
        assert!(res.status().is_client_error(), "{ct}: {}", res.status());
    }
    let res = client
        .post(tenant.urls().token())
        .header("authorization", "Basic !!!")
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    // Still serving.
    let form = cc_form(&tenant);
    assert_eq!(post_token(&tenant, &as_refs(&form), &[]).await.0, 200);
}

/// Every refusal's exact answer is a row of `fidelity.rs`; this is what a refused request leaves
/// behind: nothing, and a tenant that goes on serving.
#[tokio::test]
async fn refusals_mint_nothing_and_the_next_request_succeeds() {
    let tenant = MockTenant::start().await;
    let mut form = cc_form(&tenant);
    form.push(("scope", "read:messages not:granted".into()));
    let (status, body) = post_token(&tenant, &as_refs(&form), &[]).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.get("access_token").is_none());
    let form = cc_form(&tenant);
    assert_eq!(post_token(&tenant, &as_refs(&form), &[]).await.0, 200);
}

#[tokio::test]
async fn configured_dialects_and_grants() {
    let api = |id: &str, dialect| ApiConfig {
        token_lifetime: 600,
        dialect,
        permissions: vec!["read:x".into(), "write:x".into()],
        ..ApiConfig::new(id)
    };
    let config = TenantConfig {
        apis: vec![
            api("https://a", Dialect::Rfc9068ProfileAuthz),
            api("https://b", Dialect::AccessTokenAuthz),
            api("https://c", Dialect::AccessToken),
        ],
        applications: vec![ApplicationConfig {
            grants: [
                ("https://a".to_owned(), vec!["read:x".to_owned()]),
                (
                    "https://b".to_owned(),
                    vec!["read:x".to_owned(), "write:x".to_owned()],
                ),
            ]
            .into(),
            ..ApplicationConfig::machine("c1", "s1")
        }],
        ..TenantConfig::default()
    };
    let tenant = MockTenant::builder().config(config).start().await;
    let form = |aud: &'static str| {
        vec![
            ("grant_type", "client_credentials"),
            ("client_id", "c1"),
            ("client_secret", "s1"),
            ("audience", aud),
        ]
    };
    let (s, body) = post_token(&tenant, &form("https://a"), &[]).await;
    assert_eq!(s, 200);
    assert_eq!(body["expires_in"], 600);
    let (h, c) = parts(body["access_token"].as_str().unwrap());
    assert_eq!(h["typ"], "at+jwt");
    assert_eq!(c["client_id"], "c1");
    assert!(c["jti"].is_string() && c.get("azp").is_none());
    assert_eq!(c["permissions"], json!(["read:x"]));

    let (_, body) = post_token(&tenant, &form("https://b"), &[]).await;
    let (h, c) = parts(body["access_token"].as_str().unwrap());
    assert_eq!(h["typ"], "JWT");
    assert_eq!(c["permissions"], json!(["read:x", "write:x"]));
    assert!(c.get("jti").is_none());

    let (s, body) = post_token(&tenant, &form("https://c"), &[]).await;
    assert_eq!((s, body["error"].as_str().unwrap()), (403, "access_denied"));
}

/// Deterministic xorshift so failures reproduce.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[tokio::test]
async fn mutated_proofs_and_bodies_never_500() {
    let tenant = MockTenant::start().await;
    let key = mock_idp::DpopKey::fixture();
    let client = tenant.http_client();
    let body = "grant_type=client_credentials&client_id=mock-test-client&client_secret=mock-test-secret&audience=https%3A%2F%2Fmy-flask-api";
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    for _ in 0..150 {
        let proof = tenant
            .dpop()
            .proof(&key, "POST", &tenant.urls().token())
            .build();
        let mut p = proof.into_bytes();
        let mut b = body.as_bytes().to_vec();
        for _ in 0..1 + next(&mut seed) % 4 {
            let i = (next(&mut seed) as usize) % p.len();
            p[i] = b"AZaz09-_.,= {}\"\\"[(next(&mut seed) % 16) as usize];
            let j = (next(&mut seed) as usize) % b.len();
            b[j] = b"=&%+xZ0 "[(next(&mut seed) % 8) as usize];
        }
        let mut req = client
            .post(tenant.urls().token())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(b);
        if let Ok(v) = String::from_utf8(p) {
            req = req.header("DPoP", v);
        }
        let res = req.send().await.unwrap();
        assert!(res.status().as_u16() < 500, "{}", res.status());
    }
}

/// Custom claims in the TOML (the role of a credentials-exchange Action on Auth0): the API's,
/// then the application's, on every client_credentials token.
#[tokio::test]
async fn custom_claims_of_the_api_and_the_application_are_in_the_token() {
    let text = r#"
[[apis]]
identifier = "https://a"
permissions = ["read:x"]
[apis.custom_claims]
"https://example.com/region" = "eu"
"https://example.com/tier" = "free"

[[applications]]
client_id = "c"
client_secret = "s"
[applications.grants]
"https://a" = ["read:x"]
[applications.custom_claims]
"https://example.com/tier" = "gold"
tenant_id = 42
"#;
    let config = TenantConfig::parse(text, "t.toml").unwrap();
    let tenant = MockTenant::builder().config(config).start().await;
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", "c"),
        ("client_secret", "s"),
        ("audience", "https://a"),
    ];
    let (status, body) = post_token(&tenant, &form, &[]).await;
    assert_eq!(status, 200, "{body}");
    let claims = verify(
        body["access_token"].as_str().unwrap(),
        &fetch_jwks(&tenant).await,
        tenant.issuer(),
        "https://a",
    )
    .unwrap();
    assert_eq!(claims["https://example.com/region"], "eu");
    assert_eq!(
        claims["https://example.com/tier"], "gold",
        "the application wins"
    );
    assert_eq!(claims["tenant_id"], 42);
}

#[test]
fn custom_claims_auth0_restricts_stop_the_config_with_one_line() {
    for (claim, want) in [
        (
            "sub",
            "t.toml: applications[0].custom_claims: `sub` is a claim Auth0 reserves (restricted for custom claims)",
        ),
        (
            "https://auth0.com/x",
            "t.toml: applications[0].custom_claims: `https://auth0.com/x`: Auth0 reserves the auth0.com, webtask.io and webtask.run namespaces",
        ),
    ] {
        let text = format!(
            "[[apis]]\nidentifier = \"https://a\"\n[[applications]]\nclient_id = \"c\"\nclient_secret = \"s\"\n[applications.custom_claims]\n\"{claim}\" = 1\n"
        );
        let e = TenantConfig::parse(&text, "t.toml").unwrap_err();
        assert_eq!(e.to_string(), want);
    }
}
