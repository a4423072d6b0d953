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
    assert!(verify(&t, &jwks, tenant.issuer(), tenant.audience()).is_ok());

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
    assert!(verify(&new, &jwks, tenant.issuer(), tenant.audience()).is_ok());
    assert!(verify(&old, &jwks, tenant.issuer(), tenant.audience()).is_err());
    assert_eq!(tenant.journal().jwks_fetches(), 3);
    assert_eq!(tenant.journal().discovery_fetches(), 0);
}

#[tokio::test]
async fn jwks_variants_for_conformance_cases() {
    let tenant = MockTenant::start().await;
    let k = tenant.keys().current();
    let weak = mock_idp::SigningKey::weak_1024();
    let mut enc = k.public_jwk();
    enc["use"] = "enc".into();
    let jwks = serde_json::json!({"keys": [enc, k.private_jwk(), weak.public_jwk(), k.with_kid("dup").public_jwk(), mock_idp::SigningKey::fixture(2).with_kid("dup").public_jwk()]});
    let _jwks = tenant.overrides().jwks(jwks.clone());
    let got: serde_json::Value = json_of(tenant.http_client().get(tenant.urls().jwks())).await;
    assert_eq!(got, jwks);
    assert!(got["keys"][1]["d"].is_string());
}

/// Auth0 publishes `x5c` (a self-signed certificate of the key) and `x5t` (its SHA-1) on every
/// signing key, and older verifiers build the key from `x5c[0]`: a token must verify with the
/// certificate alone, the thumbprint must be the certificate's, and both must be stable.
#[tokio::test]
async fn jwks_keys_carry_a_certificate_of_the_same_key_and_its_thumbprint() {
    use base64::Engine as _;
    let tenant = MockTenant::start().await;
    tenant.keys().publish_next();
    let body: serde_json::Value = tenant
        .http_client()
        .get(tenant.urls().jwks())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let keys = body["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2);
    for jwk in keys {
        let members: std::collections::BTreeSet<&str> = jwk
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            members,
            ["alg", "e", "kid", "kty", "n", "use", "x5c", "x5t"].into()
        );
        let x5c = jwk["x5c"].as_array().unwrap();
        assert_eq!(x5c.len(), 1);
        // Standard padded base64, as RFC 7517 §4.7 requires (not base64url).
        let der = base64::engine::general_purpose::STANDARD
            .decode(x5c[0].as_str().unwrap())
            .unwrap();
        let sha1 = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, &der);
        assert_eq!(
            jwk["x5t"],
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha1.as_ref())
        );

        // A verifier that only reads the certificate accepts the tenant's token for that kid.
        let kid = jwk["kid"].as_str().unwrap();
        let token = tenant
            .token()
            .signed_with(Signing::Key(kid.to_owned()))
            .build();
        let pem = format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            x5c[0].as_str().unwrap()
        );
        let key = jsonwebtoken::DecodingKey::from_rsa_pem(pem.as_bytes()).unwrap();
        let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
        v.set_audience(&[tenant.audience()]);
        v.set_issuer(&[tenant.issuer()]);
        jsonwebtoken::decode::<serde_json::Value>(&token, &key, &v).unwrap();
        // ...and refuses a token of the other key.
        let other = keys.iter().find(|k| k["kid"] != kid).unwrap();
        let foreign = tenant
            .token()
            .signed_with(Signing::Key(other["kid"].as_str().unwrap().to_owned()))
            .build();
        assert!(jsonwebtoken::decode::<serde_json::Value>(&foreign, &key, &v).is_err());
    }

    // The same key publishes the same certificate on every start.
    let again = MockTenant::start().await;
    assert_eq!(
        again.keys().current().jwks_entry()["x5c"],
        tenant.keys().current().jwks_entry()["x5c"]
    );
}
