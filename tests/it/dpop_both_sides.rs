//! One table of DPoP proof cases, played against both sides of the stack: the tenant's token
//! endpoint (RFC 9449 §5: `400 invalid_dpop_proof`) and our API (§7.1: `401 invalid_dpop_proof`).
//! The tenant and the verifier share no code, so a case the two judge differently is a bug in
//! one of them, and this test names it.

use mock_idp::{DpopKey, ProofBuilder};
use serde_json::{Value, json};

use crate::support::*;

/// A change that makes a valid proof invalid.
type Spoil = fn(ProofBuilder) -> ProofBuilder;

const CASES: &[(&str, Spoil)] = &[
    ("typ JWT", |p| p.typ("JWT")),
    ("typ missing", |p| p.remove_header("typ")),
    ("alg none", |p| p.alg("none")),
    ("alg HS256", |p| p.alg("HS256")),
    ("jwk missing", |p| p.remove_header("jwk")),
    ("jwk with the private key", |p| p.with_private_key()),
    ("signed by another key", |p| {
        p.signed_by(&DpopKey::fixture_other())
    }),
    ("tampered signature", |p| p.tampered_signature()),
    ("DER-encoded ECDSA signature", |p| p.der_signature()),
    ("jti missing", |p| p.remove_claim("jti")),
    ("htm of another method", |p| p.htm("PUT")),
    ("htm missing", |p| p.remove_claim("htm")),
    ("htu of another server", |p| {
        p.htu("https://elsewhere.example/x")
    }),
    ("htu missing", |p| p.remove_claim("htu")),
    ("iat missing", |p| p.remove_claim("iat")),
    ("iat an hour old", |p| p.iat(-3600)),
    ("iat an hour ahead", |p| p.iat(3600)),
    ("iat a string", |p| p.claim("iat", json!("now"))),
    ("claims set not an object", |p| p.raw_payload("[]")),
];

#[tokio::test]
async fn the_tenant_and_the_verifier_refuse_the_same_proofs() {
    let stack = Stack::start().await;
    let tenant = &stack.tenant;
    let client = tenant.http_client();
    let key = DpopKey::fixture();
    let token = tenant.token().scope("read:messages").bound_to(&key).build();
    let api_url = stack.url("/api/dpop-protected");

    // At the tenant: a DPoP proof for a client_credentials grant.
    let at_tenant = |spoil: Option<Spoil>| {
        let mut proof = tenant.dpop().proof(&key, "POST", &tenant.urls().token());
        if let Some(spoil) = spoil {
            proof = spoil(proof);
        }
        client
            .post(tenant.urls().token())
            .header("dpop", proof.build())
            .form(&[
                ("grant_type", "client_credentials".to_owned()),
                ("client_id", tenant.app().client_id()),
                ("client_secret", tenant.app().client_secret()),
                ("audience", tenant.audience().to_owned()),
            ])
            .send()
    };
    // At the API: the same change to a proof for a request with the bound token.
    let at_api = |spoil: Option<Spoil>| {
        let mut proof = tenant
            .dpop()
            .proof(&key, "GET", &api_url)
            .access_token(&token);
        if let Some(spoil) = spoil {
            proof = spoil(proof);
        }
        stack
            .get("/api/dpop-protected")
            .header("authorization", format!("DPoP {token}"))
            .header("dpop", proof.build())
            .send()
    };

    // The control: an unspoiled proof passes on both sides.
    let res = at_tenant(None).await.expect("tenant answers");
    assert_eq!(res.status(), 200, "tenant refused a valid proof");
    let res = at_api(None).await.expect("API answers");
    assert_eq!(res.status(), 200, "API refused a valid proof");

    let mut disagreements = Vec::new();
    for (name, spoil) in CASES {
        let tenant_res = at_tenant(Some(*spoil)).await.expect("tenant answers");
        let tenant_status = tenant_res.status().as_u16();
        let tenant_body: Value = tenant_res.json().await.unwrap_or(Value::Null);
        let api_res = at_api(Some(*spoil)).await.expect("API answers");
        let api_status = api_res.status().as_u16();
        let api_body: Value = api_res.json().await.unwrap_or(Value::Null);
        let tenant_ok = tenant_status == 400 && tenant_body["error"] == "invalid_dpop_proof";
        let api_ok = api_status == 401 && api_body["error"] == "invalid_dpop_proof";
        if !(tenant_ok && api_ok) {
            disagreements.push(format!(
                "{name}: tenant {tenant_status} {tenant_body}, API {api_status} {api_body}"
            ));
        }
    }
    assert!(
        disagreements.is_empty(),
        "proofs not refused as invalid_dpop_proof on both sides:\n{}",
        disagreements.join("\n")
    );
}
