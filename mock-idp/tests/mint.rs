//! The token builder: defaults verify with an independent verifier; every bad variant is
//! mintable and fails where it should.

use mock_idp::{DpopKey, MockTenant, SigAlg, Signing, SigningKey, config::Dialect};
use serde_json::json;

use crate::support::{fetch_jwks, parts, verify};

#[tokio::test]
async fn default_token_verifies_with_jsonwebtoken_over_fetched_jwks() {
    let tenant = MockTenant::start().await;
    let jwks = fetch_jwks(&tenant).await;
    let before = tenant.clock().now();
    let token = tenant.token().build();
    let after = tenant.clock().now();
    let claims = verify(&token, &jwks, tenant.issuer(), tenant.audience()).unwrap();
    assert_eq!(claims["iss"], tenant.issuer());
    assert_eq!(claims["aud"], tenant.audience());
    assert_eq!(claims["scope"], "read:messages write:messages admin:write");
    // The clock may tick between minting and reading it: `iat` is the second the token was made.
    let iat = claims["iat"].as_i64().expect("numeric iat");
    assert!(
        (before..=after).contains(&iat),
        "{before} <= {iat} <= {after}"
    );
}

#[tokio::test]
async fn bad_signatures_fail_verification() {
    let tenant = MockTenant::start().await;
    let jwks = fetch_jwks(&tenant).await;
    let (iss, aud) = (tenant.issuer().to_owned(), tenant.audience());
    let bad = [
        (
            "unpublished",
            tenant
                .token()
                .signed_with(Signing::Unpublished(SigningKey::attacker()))
                .build(),
        ),
        (
            "tampered",
            tenant
                .token()
                .signed_with(Signing::TamperedSignature)
                .build(),
        ),
        (
            "empty",
            tenant.token().signed_with(Signing::EmptySignature).build(),
        ),
        ("none", tenant.token().signed_with(Signing::None).build()),
        (
            "hs256 with public key",
            tenant
                .token()
                .signed_with(Signing::HmacWithPublicKey)
                .build(),
        ),
        ("unknown kid", tenant.token().kid("nope").build()),
        ("no kid", tenant.token().remove_header("kid").build()),
        ("expired", tenant.token().expires_in(-120).build()),
        (
            "other audience",
            tenant.token().audience("https://other-api").build(),
        ),
        (
            "issuer without slash",
            tenant.token().issuer(iss.trim_end_matches('/')).build(),
        ),
        (
            "header says RS384",
            tenant.token().alg("RS384").sign_alg(SigAlg::RS256).build(),
        ),
    ];
    for (name, token) in bad {
        assert!(verify(&token, &jwks, &iss, aud).is_err(), "{name} verified");
    }
}

#[tokio::test]
async fn signing_variants_have_the_documented_shape() {
    let tenant = MockTenant::start().await;
    let kid = tenant.keys().current().kid().to_owned();

    let t = tenant.token().signed_with(Signing::None).build();
    let (h, _) = parts(&t);
    assert_eq!(h["alg"], "none");
    assert!(t.ends_with('.'));

    let t = tenant
        .token()
        .signed_with(Signing::Unpublished(SigningKey::attacker()))
        .build();
    assert_eq!(parts(&t).0["kid"], kid);

    let t = tenant
        .token()
        .signed_with(Signing::HmacWithPublicKey)
        .build();
    assert_eq!(parts(&t).0["alg"], "HS256");
    // The HMAC really is keyed with the SPKI PEM, as a confused verifier would compute it.
    let pem = tenant.keys().current().public_key_pem();
    let expected = tenant
        .token()
        .signed_with(Signing::Hmac(pem.into_bytes()))
        .build();
    assert_eq!(t.rsplit('.').next(), expected.rsplit('.').next());

    let t = tenant.token().alg("PS256").build();
    assert_eq!(parts(&t).0["alg"], "PS256");
    let t = tenant
        .token()
        .signed_with(Signing::Ec(DpopKey::fixture()))
        .build();
    assert_eq!(parts(&t).0["alg"], "ES256");
    let t = tenant
        .token()
        .signed_with(Signing::RawSignature("AAAA".into()))
        .build();
    assert!(t.ends_with(".AAAA"));
}

#[tokio::test]
async fn claims_headers_and_raw_text_are_fully_controllable() {
    let tenant = MockTenant::start().await;
    tenant.clock().freeze();
    let now = tenant.clock().now();
    let key = DpopKey::fixture();
    let t = tenant
        .token()
        .scope("read:messages")
        .sub("user|1")
        .aud_json(json!([tenant.audience(), "https://other"]))
        .claim("exp", json!("9999999999"))
        .remove_claim("azp")
        .header("x-foo", json!(1))
        .header("jku", json!("https://evil/jwks"))
        .typ("at+jwt")
        .issued_at(-30)
        .not_before(600)
        .bound_to(&key)
        .build();
    let (h, c) = parts(&t);
    assert_eq!(h["x-foo"], 1);
    assert_eq!(h["typ"], "at+jwt");
    assert_eq!(c["scope"], "read:messages");
    assert_eq!(c["sub"], "user|1");
    assert_eq!(c["exp"], "9999999999");
    assert!(c.get("azp").is_none());
    assert_eq!(c["iat"], now - 30);
    assert_eq!(c["nbf"], now + 600);
    assert_eq!(c["cnf"]["jkt"], key.thumbprint());

    let t = tenant
        .token()
        .raw_payload(r#"{"aud":"x","aud":"y"}"#)
        .build();
    let payload = mock_idp::jose::b64url_decode(t.split('.').nth(1).unwrap()).unwrap();
    assert_eq!(payload, br#"{"aud":"x","aud":"y"}"#);
    let t = tenant.token().raw_header("[]").build();
    assert_eq!(t.split('.').next().unwrap(), mock_idp::jose::b64url("[]"));
}

#[tokio::test]
async fn dialects_and_time_follow_the_tenant_clock() {
    let tenant = MockTenant::start().await;
    tenant.clock().set_offset(-86_400 * 2);
    let jwks = fetch_jwks(&tenant).await;
    // Two days in the past with a one-day lifetime: expired in real time.
    let t = tenant.token().build();
    assert!(verify(&t, &jwks, tenant.issuer(), tenant.audience()).is_err());
    tenant.clock().set_offset(0);

    let t = tenant
        .token()
        .dialect(Dialect::Rfc9068ProfileAuthz)
        .scope("read:messages")
        .build();
    let (h, c) = parts(&t);
    assert_eq!(h["typ"], "at+jwt");
    assert_eq!(c["client_id"], tenant.app().client_id());
    assert!(c["jti"].is_string());
    assert_eq!(c["permissions"], json!(["read:messages"]));
    assert!(verify(&t, &jwks, tenant.issuer(), tenant.audience()).is_ok());
}

#[tokio::test]
async fn catalog_constructions_are_mintable() {
    let tenant = MockTenant::start().await;
    let jwks_before = fetch_jwks(&tenant).await;

    // Weak key published and signing (KEY-09).
    tenant.keys().publish(SigningKey::weak_1024());
    let t = tenant
        .token()
        .signed_with(Signing::Key("weak-1024".into()))
        .build();
    assert_eq!(parts(&t).0["kid"], "weak-1024");
    let sig = mock_idp::jose::b64url_decode(t.rsplit('.').next().unwrap()).unwrap();
    assert_eq!(sig.len(), 128);

    // A PS256 key and token (SIG-17) verify with an independent verifier.
    let ps = SigningKey::fixture(3)
        .with_kid("ps")
        .with_alg(SigAlg::PS256);
    tenant.keys().publish(ps);
    let t = tenant
        .token()
        .signed_with(Signing::Key("ps".into()))
        .alg("PS256")
        .build();
    let jwks = fetch_jwks(&tenant).await;
    let jwk = jwks.find("ps").unwrap();
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::PS256);
    v.set_audience(&[tenant.audience()]);
    jsonwebtoken::decode::<serde_json::Value>(
        &t,
        &jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap(),
        &v,
    )
    .unwrap();
    assert!(verify(&t, &jwks_before, tenant.issuer(), tenant.audience()).is_err());

    // DER-encoded ES256 signature (SIG-16) and non-UTF-8 payload bytes (TOK-07).
    let t = tenant
        .token()
        .signed_with(Signing::EcDer(DpopKey::fixture()))
        .build();
    let sig = mock_idp::jose::b64url_decode(t.rsplit('.').next().unwrap()).unwrap();
    assert_ne!(sig.len(), 64);
    assert_eq!(sig[0], 0x30);
    let utf16: Vec<u8> = "{\"a\":1}"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let t = tenant.token().raw_payload_bytes(utf16.clone()).build();
    assert_eq!(
        mock_idp::jose::b64url_decode(t.split('.').nth(1).unwrap()).unwrap(),
        utf16
    );

    // HMAC secrets in other public-key encodings (SIG-04).
    let k = tenant.keys().current();
    for secret in [
        k.public_key_der(),
        k.public_key_pkcs1_pem().into_bytes(),
        k.modulus(),
    ] {
        let t = tenant.token().signed_with(Signing::Hmac(secret)).build();
        assert_eq!(parts(&t).0["alg"], "HS256");
    }
    // Header alg types and missing alg (SIG-03, TOK-20).
    let t = tenant.token().header("alg", json!(123)).build();
    assert_eq!(parts(&t).0["alg"], 123);
    let t = tenant.token().remove_header("alg").build();
    assert!(parts(&t).0.get("alg").is_none());
    // e = 1 forgery (KEY-10): the signature is the encoded message itself.
    let t = tenant
        .token()
        .signed_with(Signing::ExponentOne(256))
        .build();
    let sig = mock_idp::jose::b64url_decode(t.rsplit('.').next().unwrap()).unwrap();
    assert_eq!((sig.len(), sig[0], sig[1]), (256, 0x00, 0x01));
    // Fractional NumericDate (CLM-06).
    let b = tenant.token();
    let now = b.now();
    let t = b.claim("exp", json!(now as f64 + 3600.5)).build();
    assert_eq!(parts(&t).1["exp"], json!(now as f64 + 3600.5));
}
