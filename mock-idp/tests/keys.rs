//! Key lifecycle, visible in the JWKS a verifier fetches.

use mock_idp::{MockTenant, Signing};

use crate::support::{fetch_jwks, json_of, parts, verify};

fn kids(jwks: &jsonwebtoken::jwk::JwkSet) -> Vec<String> {
    jwks.keys
        .iter()
        .filter_map(|k| k.common.key_id.clone())
        .collect()
}

#[tokio::test]
async fn publish_rotate_retire_show_in_jwks_and_fetch_counts() {
    let tenant = MockTenant::start().await;
    let first = tenant.keys().current().kid().to_owned();
    assert_eq!(kids(&fetch_jwks(&tenant).await), [first.as_str()]);

    let next = tenant.keys().publish_next();
    let jwks = fetch_jwks(&tenant).await;
    assert_eq!(kids(&jwks), [first.clone(), next.clone()]);
    // Published but not yet signing; a test can still sign with it explicitly.
    assert_eq!(parts(&tenant.token().build()).0["kid"], first);
    let t = tenant
        .token()
        .signed_with(Signing::Key(next.clone()))
        .build();
    assert_eq!(parts(&t).0["kid"], next);
    assert!(verify(&t, &jwks, tenant.issuer(), &tenant.audience()).is_ok());

    assert_eq!(tenant.keys().rotate(), next);
    let old = tenant
        .token()
        .signed_with(Signing::Key(first.clone()))
        .build();
    let new = tenant.token().build();
    assert_eq!(parts(&new).0["kid"], next);
    assert!(tenant.keys().retire(&first));
    let jwks = fetch_jwks(&tenant).await;
    assert_eq!(kids(&jwks), [next.as_str()]);
    assert!(verify(&new, &jwks, tenant.issuer(), &tenant.audience()).is_ok());
    assert!(verify(&old, &jwks, tenant.issuer(), &tenant.audience()).is_err());
    assert_eq!(tenant.jwks_fetches(), 3);
    assert_eq!(tenant.discovery_fetches(), 0);
}

#[tokio::test]
async fn jwks_variants_for_conformance_cases() {
    let tenant = MockTenant::start().await;
    let k = tenant.keys().current();
    let weak = mock_idp::SigningKey::weak_1024();
    let mut enc = k.public_jwk();
    enc["use"] = "enc".into();
    let jwks = serde_json::json!({"keys": [enc, k.private_jwk(), weak.public_jwk(), k.with_kid("dup").public_jwk(), mock_idp::SigningKey::fixture(2).with_kid("dup").public_jwk()]});
    tenant.set_jwks_override(jwks.clone());
    let got: serde_json::Value = json_of(tenant.http_client().get(tenant.jwks_url())).await;
    assert_eq!(got, jwks);
    assert!(got["keys"][1]["d"].is_string());
}
