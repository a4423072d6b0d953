//! DPoP at the token endpoint (RFC 9449 §4.3, §5) and the RFC test vectors.

use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::signature::{self, UnparsedPublicKey, VerificationAlgorithm};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use mock_idp::{
    DpopKey, MockTenant, ProofAlg, SigAlg, SigningKey, jose::ath, jose::jwk_thumbprint,
};
use serde_json::{Value, json};

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
        .proof("POST", &tenant.urls().token())
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
    let stale = key.proof("POST", &tenant.urls().token()).build(); // system time: far behind
    assert_eq!(post_token(&tenant, &as_refs(&form), &[&stale]).await.0, 400);
    let fresh = key
        .proof("POST", &tenant.urls().token())
        .clock(tenant.clock())
        .build();
    assert_eq!(post_token(&tenant, &as_refs(&form), &[&fresh]).await.0, 200);
}

#[tokio::test]
async fn bad_proofs_are_invalid_dpop_proof() {
    let tenant = MockTenant::start().await;
    let key = DpopKey::fixture();
    let url = tenant.urls().token();
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
        tenant.urls().token().replace("https://", "HTTPS://")
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
    let nonce = tenant.dpop().require_nonce();
    let key = DpopKey::generate();
    let form = cc_form(&tenant);
    let res = tenant
        .http_client()
        .post(tenant.urls().token())
        .form(&as_refs(&form))
        .header("DPoP", key.proof("POST", &tenant.urls().token()).build())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(res.headers()["dpop-nonce"], nonce.as_str());
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"], "use_dpop_nonce");

    let stale = key
        .proof("POST", &tenant.urls().token())
        .nonce("old")
        .build();
    assert_eq!(
        post_token(&tenant, &as_refs(&form), &[&stale]).await.1["error"],
        "use_dpop_nonce"
    );
    let good = key
        .proof("POST", &tenant.urls().token())
        .nonce(&nonce)
        .build();
    let (status, body) = post_token(&tenant, &as_refs(&form), &[&good]).await;
    assert_eq!(
        (status, body["token_type"].as_str()),
        (200, Some("DPoP")),
        "{body}"
    );
    tenant.dpop().disable_nonce();
    assert_eq!(tenant.dpop().nonce(), None);
}

fn unb64(s: &Value) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(s.as_str().unwrap()).unwrap()
}

/// Verifies a compact proof with aws-lc-rs directly, rebuilding the public key from the
/// header `jwk` members alone (not from the `DpopKey`).
fn verify_with_header_jwk(proof: &str, alg: &'static dyn VerificationAlgorithm) -> bool {
    let (input, sig) = proof.rsplit_once('.').unwrap();
    let header: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(input.split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap();
    let jwk = &header["jwk"];
    let public = match jwk["kty"].as_str().unwrap() {
        "EC" => [vec![4u8], unb64(&jwk["x"]), unb64(&jwk["y"])].concat(),
        _ => unb64(&jwk["x"]),
    };
    UnparsedPublicKey::new(alg, public)
        .verify(input.as_bytes(), &URL_SAFE_NO_PAD.decode(sig).unwrap())
        .is_ok()
}

/// RFC 7638 §3 by hand: the required members in lexicographic order, no whitespace, SHA-256.
fn thumbprint_by_hand(jwk: &Value) -> String {
    let m = |k: &str| jwk[k].as_str().unwrap().to_owned();
    let text = match jwk["kty"].as_str().unwrap() {
        "EC" => format!(
            r#"{{"crv":"{}","kty":"EC","x":"{}","y":"{}"}}"#,
            m("crv"),
            m("x"),
            m("y")
        ),
        "OKP" => format!(r#"{{"crv":"{}","kty":"OKP","x":"{}"}}"#, m("crv"), m("x")),
        _ => format!(r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#, m("e"), m("n")),
    };
    URL_SAFE_NO_PAD.encode(digest(&SHA256, text.as_bytes()))
}

#[test]
fn every_proof_alg_makes_proofs_an_independent_verifier_accepts() {
    let cases: [(
        ProofAlg,
        &str,
        &str,
        usize,
        &'static dyn VerificationAlgorithm,
    ); 5] = [
        (
            ProofAlg::ES256,
            "EC",
            "P-256",
            32,
            &signature::ECDSA_P256_SHA256_FIXED,
        ),
        (
            ProofAlg::ES384,
            "EC",
            "P-384",
            48,
            &signature::ECDSA_P384_SHA384_FIXED,
        ),
        (
            ProofAlg::ES512,
            "EC",
            "P-521",
            66,
            &signature::ECDSA_P521_SHA512_FIXED,
        ),
        (
            ProofAlg::ES256K,
            "EC",
            "secp256k1",
            32,
            &signature::ECDSA_P256K1_SHA256_FIXED,
        ),
        (ProofAlg::EdDSA, "OKP", "Ed25519", 32, &signature::ED25519),
    ];
    for (alg, kty, crv, len, verifier) in cases {
        let key = DpopKey::generate_with(alg);
        assert_eq!(key.alg(), alg.as_str());
        // The public JWK: exactly the members of its kty, each coordinate full length.
        let jwk = key.public_jwk();
        let mut members: Vec<&str> = jwk
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        members.sort_unstable();
        let want: &[&str] = if kty == "EC" {
            &["crv", "kty", "x", "y"]
        } else {
            &["crv", "kty", "x"]
        };
        assert_eq!(members, want, "{alg:?}");
        assert_eq!(
            (jwk["kty"].as_str(), jwk["crv"].as_str()),
            (Some(kty), Some(crv))
        );
        assert_eq!(unb64(&jwk["x"]).len(), len, "{alg:?} x");
        if kty == "EC" {
            assert_eq!(unb64(&jwk["y"]).len(), len, "{alg:?} y");
        }
        assert_eq!(unb64(&key.private_jwk()["d"]).len(), len, "{alg:?} d");
        // RFC 7638, computed independently; the private JWK has the same thumbprint.
        assert_eq!(key.thumbprint(), thumbprint_by_hand(&jwk), "{alg:?}");
        assert_eq!(
            jwk_thumbprint(&key.private_jwk()).unwrap(),
            key.thumbprint()
        );
        // A default proof is labelled with the key's alg and carries its public JWK.
        let proof = key
            .proof("GET", "https://api.example/r")
            .access_token("t")
            .build();
        let (header, _) = parts(&proof);
        assert_eq!(header["alg"], alg.as_str());
        assert_eq!(header["jwk"], jwk);
        assert!(verify_with_header_jwk(&proof, verifier), "{alg:?} verifies");
        // A flipped bit, or another key of the same kind, does not.
        let tampered = key
            .proof("GET", "https://api.example/r")
            .tampered_signature()
            .build();
        assert!(
            !verify_with_header_jwk(&tampered, verifier),
            "{alg:?} tampered"
        );
        let other = DpopKey::generate_with(alg);
        let forged = key
            .proof("GET", "https://api.example/r")
            .signed_by(&other)
            .build();
        assert!(
            !verify_with_header_jwk(&forged, verifier),
            "{alg:?} other key"
        );
        // PKCS#8 round trip keeps the key.
        let again = DpopKey::from_pkcs8_pem_with(alg, &key.private_key_pem()).unwrap();
        assert_eq!(again.thumbprint(), key.thumbprint());
    }
}

#[test]
fn jsonwebtoken_verifies_es384_and_eddsa_proofs() {
    for (alg, jwt_alg) in [
        (ProofAlg::ES384, Algorithm::ES384),
        (ProofAlg::EdDSA, Algorithm::EdDSA),
    ] {
        let key = DpopKey::generate_with(alg);
        let jwk = key.public_jwk();
        let dk = match alg {
            ProofAlg::EdDSA => DecodingKey::from_ed_components(jwk["x"].as_str().unwrap()),
            _ => DecodingKey::from_ec_components(
                jwk["x"].as_str().unwrap(),
                jwk["y"].as_str().unwrap(),
            ),
        }
        .unwrap();
        let mut v = Validation::new(jwt_alg);
        v.required_spec_claims.clear();
        v.validate_exp = false;
        v.validate_aud = false;
        let proof = key.proof("POST", "https://as.example/token").build();
        let claims = jsonwebtoken::decode::<Value>(&proof, &dk, &v)
            .unwrap()
            .claims;
        assert_eq!(claims["htm"], "POST");
        // The ES256 label on the same signature is refused: the alg is part of what verifies.
        let relabelled = key
            .proof("POST", "https://as.example/token")
            .alg("ES256")
            .build();
        assert!(jsonwebtoken::decode::<Value>(&relabelled, &dk, &v).is_err());
    }
}

#[test]
fn rsa_proof_keys_sign_with_their_alg_and_share_the_signing_keys_thumbprint() {
    let rsa = SigningKey::fixture(2);
    let key = DpopKey::rsa(&rsa, SigAlg::PS256);
    let jwk = key.public_jwk();
    assert_eq!(jwk.as_object().unwrap().len(), 3, "{jwk}: only kty, n, e");
    assert_eq!(key.thumbprint(), rsa.thumbprint());
    assert_eq!(key.thumbprint(), thumbprint_by_hand(&jwk));
    let proof = key.proof("GET", "https://api.example/r").build();
    assert_eq!(parts(&proof).0["alg"], "PS256");
    let dk =
        DecodingKey::from_rsa_components(jwk["n"].as_str().unwrap(), jwk["e"].as_str().unwrap())
            .unwrap();
    let mut v = Validation::new(Algorithm::PS256);
    v.required_spec_claims.clear();
    v.validate_exp = false;
    v.validate_aud = false;
    jsonwebtoken::decode::<Value>(&proof, &dk, &v).unwrap();
}

#[test]
fn ed25519_matches_rfc_8037_appendix_a() {
    // A.1: the key (PKCS#8 v1 = fixed prefix + the 32-byte seed `d`).
    let d = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
    let mut der = vec![
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    der.extend(URL_SAFE_NO_PAD.decode(d).unwrap());
    let key = DpopKey::from_pkcs8_der_with(ProofAlg::EdDSA, &der).unwrap();
    assert_eq!(
        key.public_jwk(),
        json!({"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})
    );
    assert_eq!(key.private_jwk()["d"], d);
    // A.3: the thumbprint, from the key and from the bare JWK.
    let jkt = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k";
    assert_eq!(key.thumbprint(), jkt);
    assert_eq!(jwk_thumbprint(&key.public_jwk()).unwrap(), jkt);
    assert_eq!(thumbprint_by_hand(&key.public_jwk()), jkt);
    // A.4: Ed25519 is deterministic, so the RFC's signature comes out exactly.
    let input = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
    assert_eq!(
        URL_SAFE_NO_PAD.encode(key.sign(input.as_bytes()).unwrap()),
        "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"
    );
}

#[test]
fn mismatched_or_bad_key_material_is_an_error_not_a_panic() {
    let p256 = DpopKey::fixture().private_key_pem();
    for alg in [
        ProofAlg::ES384,
        ProofAlg::ES512,
        ProofAlg::ES256K,
        ProofAlg::EdDSA,
    ] {
        assert!(DpopKey::from_pkcs8_pem_with(alg, &p256).is_err(), "{alg:?}");
        assert!(
            DpopKey::from_pkcs8_der_with(alg, b"not DER").is_err(),
            "{alg:?}"
        );
    }
    let p384 = DpopKey::generate_with(ProofAlg::ES384).private_key_pem();
    assert!(
        DpopKey::from_pkcs8_pem(&p384).is_err(),
        "the ES256 parser stays P-256 only"
    );
    assert!(DpopKey::from_pkcs8_pem_with(ProofAlg::EdDSA, "garbage").is_err());
    // EdDSA and RSA have no DER signature form: an error, and an empty signature segment.
    let ed = DpopKey::generate_with(ProofAlg::EdDSA);
    assert!(ed.sign_der(b"m").is_err());
    let proof = ed
        .proof("GET", "https://api.example/r")
        .der_signature()
        .build();
    assert!(proof.ends_with('.'), "{proof}");
    // ES384 DER signatures exist (for malformed-signature cases) and are not R||S.
    let es384 = DpopKey::generate_with(ProofAlg::ES384);
    assert_ne!(es384.sign_der(b"m").unwrap().len(), 96);
    for alg in ProofAlg::ALL {
        assert_eq!(alg.as_str().parse::<ProofAlg>(), Ok(alg));
    }
    assert_eq!(
        "es384".parse::<ProofAlg>().ok(),
        None,
        "JWS alg names are case-sensitive"
    );
}
