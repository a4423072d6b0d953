//! DPoP at the token endpoint (RFC 9449 §4.3, §5) and the RFC test vectors.

use mock_idp::{DpopKey, MockTenant, ath, jwk_thumbprint};
use serde_json::json;

use crate::support::{as_refs, cc_form, parts, post_token};

#[test]
fn rfc_vectors_reproduce() {
    assert_eq!(
        ath("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"),
        "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"
    );
    let rfc7638 = json!({
        "kty": "RSA",
        "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
        "e": "AQAB", "alg": "RS256", "kid": "2011-04-29"
    });
    assert_eq!(
        jwk_thumbprint(&rfc7638).unwrap(),
        "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
    );
    // RFC 9449 §6.1 example key.
    let rfc9449 = json!({
        "kty": "EC", "crv": "P-256",
        "x": "l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs",
        "y": "9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA"
    });
    assert_eq!(
        jwk_thumbprint(&rfc9449).unwrap(),
        "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
    );
}

#[tokio::test]
async fn good_proof_binds_the_token_to_the_key() {
    let tenant = MockTenant::start().await;
    let key = DpopKey::generate();
    let proof = key
        .proof("POST", &tenant.token_url())
        .clock(tenant.clock())
        .build();
    let form = cc_form(&tenant);
    let (status, body) = post_token(&tenant, &as_refs(&form), &[&proof]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "DPoP");
    let (_, claims) = parts(body["access_token"].as_str().unwrap());
    assert_eq!(claims["cnf"]["jkt"], key.thumbprint());
    // The same proof again is a replay.
    let (status, body) = post_token(&tenant, &as_refs(&form), &[&proof]).await;
    assert_eq!(
        (status, body["error"].as_str().unwrap()),
        (400, "invalid_dpop_proof")
    );
}

#[tokio::test]
async fn proofs_follow_the_tenant_clock() {
    let tenant = MockTenant::start().await;
    tenant.clock().advance(10_000);
    let key = DpopKey::fixture();
    let form = cc_form(&tenant);
    let stale = key.proof("POST", &tenant.token_url()).build(); // system time: far behind
    assert_eq!(post_token(&tenant, &as_refs(&form), &[&stale]).await.0, 400);
    let fresh = key
        .proof("POST", &tenant.token_url())
        .clock(tenant.clock())
        .build();
    assert_eq!(post_token(&tenant, &as_refs(&form), &[&fresh]).await.0, 200);
}

#[tokio::test]
async fn bad_proofs_are_invalid_dpop_proof() {
    let tenant = MockTenant::start().await;
    let key = DpopKey::fixture();
    let url = tenant.token_url();
    let p = || key.proof("POST", &url).clock(tenant.clock());
    let cases: Vec<(&str, Vec<String>)> = vec![
        ("wrong htm", vec![p().htm("GET").build()]),
        (
            "wrong htu",
            vec![p().htu("https://127.0.0.1:1/oauth/token").build()],
        ),
        ("htu path", vec![p().htu(&format!("{url}/")).build()]),
        ("stale iat", vec![p().iat(-301).build()]),
        ("future iat", vec![p().iat(3600).build()]),
        (
            "iat string",
            vec![p().claim("iat", json!("1700000000")).build()],
        ),
        (
            "bad signature",
            vec![p().signed_by(&DpopKey::fixture_other()).build()],
        ),
        ("tampered", vec![p().tampered_signature().build()]),
        ("der signature", vec![p().der_signature().build()]),
        (
            "psychic",
            vec![
                p().raw_signature(&mock_idp::jose::b64url([0u8; 64]))
                    .build(),
            ],
        ),
        ("private key in jwk", vec![p().with_private_key().build()]),
        ("typ JWT", vec![p().typ("JWT").build()]),
        ("no typ", vec![p().remove_header("typ").build()]),
        ("alg none", vec![p().alg("none").raw_signature("").build()]),
        ("alg HS256", vec![p().alg("HS256").build()]),
        (
            "rsa proof",
            vec![
                p().signed_with_rsa(&mock_idp::SigningKey::attacker(), mock_idp::SigAlg::RS256)
                    .build(),
            ],
        ),
        ("no jwk", vec![p().remove_header("jwk").build()]),
        (
            "oct jwk",
            vec![p().jwk(json!({"kty": "oct", "k": "AAAA"})).build()],
        ),
        ("no jti", vec![p().remove_claim("jti").build()]),
        (
            "numeric jti",
            vec![p().jti("").claim("jti", json!(123)).build()],
        ),
        ("not a jwt", vec!["abc.def".to_owned()]),
        ("garbage", vec!["!!!".to_owned()]),
        ("two proofs", vec![p().build(), p().build()]),
        (
            "comma-joined",
            vec![format!("{}, {}", p().build(), p().build())],
        ),
        ("payload array", vec![p().raw_payload("[]").build()]),
        (
            "crit",
            vec![
                p().header("crit", json!(["x"]))
                    .header("x", json!(1))
                    .build(),
            ],
        ),
    ];
    let form = cc_form(&tenant);
    for (name, proofs) in cases {
        let refs: Vec<&str> = proofs.iter().map(String::as_str).collect();
        let (status, body) = post_token(&tenant, &as_refs(&form), &refs).await;
        assert_eq!(
            (status, body["error"].as_str().unwrap_or("")),
            (400, "invalid_dpop_proof"),
            "{name}: {body}"
        );
    }
    // Still serving, and an ath claim (not needed here) does not hurt.
    let ok = p().access_token("whatever").build();
    assert_eq!(post_token(&tenant, &as_refs(&form), &[&ok]).await.0, 200);
}

#[tokio::test]
async fn htu_with_query_and_explicit_default_port_normalise() {
    let tenant = MockTenant::start().await;
    let key = DpopKey::generate();
    let form = cc_form(&tenant);
    let htu = format!(
        "{}?a=b#c",
        tenant.token_url().replace("https://", "HTTPS://")
    );
    let proof = key
        .proof("POST", "x")
        .htu(&htu)
        .clock(tenant.clock())
        .build();
    let (s, body) = post_token(&tenant, &as_refs(&form), &[&proof]).await;
    assert_eq!(s, 200, "{body}");
}

#[tokio::test]
async fn server_nonce_mode_answers_use_dpop_nonce() {
    let tenant = MockTenant::start().await;
    let nonce = tenant.require_dpop_nonce();
    let key = DpopKey::generate();
    let form = cc_form(&tenant);
    let res = tenant
        .http_client()
        .post(tenant.token_url())
        .form(&as_refs(&form))
        .header("DPoP", key.proof("POST", &tenant.token_url()).build())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(res.headers()["dpop-nonce"], nonce.as_str());
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"], "use_dpop_nonce");

    let stale = key.proof("POST", &tenant.token_url()).nonce("old").build();
    assert_eq!(
        post_token(&tenant, &as_refs(&form), &[&stale]).await.1["error"],
        "use_dpop_nonce"
    );
    let good = key.proof("POST", &tenant.token_url()).nonce(&nonce).build();
    let (status, body) = post_token(&tenant, &as_refs(&form), &[&good]).await;
    assert_eq!(
        (status, body["token_type"].as_str()),
        (200, Some("DPoP")),
        "{body}"
    );
    tenant.disable_dpop_nonce();
    assert_eq!(tenant.dpop_nonce(), None);
}
