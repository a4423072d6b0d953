//! The production transport: discovery and JWKS over HTTPS only, with an extra trusted CA
//! (`ca_pem` / `ca_file`). The tenant is a `MockTenant` whose certificate chains to its own CA
//! (`tenant.ca().pem()`), which no system trust store knows.

use std::path::PathBuf;

use serde_json::json;

use super::support::*;
use crate::{AuthError, Verifier, VerifierOptions};

/// A file holding `contents`, removed on drop.
struct TempFile(PathBuf);

impl TempFile {
    fn new(contents: &str) -> Self {
        let path = std::env::temp_dir().join(format!(
            "oauth2-jwt-bearer-ca-{}-{}.pem",
            std::process::id(),
            rand_u64()
        ));
        std::fs::write(&path, contents).unwrap();
        TempFile(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[tokio::test]
async fn trusted_extra_ca_over_https() {
    let env = Env::new().await;
    // `Env`'s verifier trusts the tenant's CA through `ca_pem`.
    let c = env.verify_ok_token().await.unwrap();
    assert_eq!(c.sub(), Some("user|1"));
    // The same CA from a file.
    let ca = TempFile::new(&env.tenant.ca().pem());
    let v = env.verifier_with(|o| {
        let clock = o.clock.clone();
        VerifierOptions::new(env.domain.clone(), AUD)
            .ca_file(&ca.0)
            .clock(clock)
    });
    v.verify_access_token(&env.ok_token(), &[]).await.unwrap();
    assert_eq!(env.tenant.journal().jwks_fetches(), 2);
}

#[tokio::test]
async fn untrusted_certificate_fails_closed() {
    let env = Env::new().await;
    let v = env.verifier_with(|o| {
        let clock = o.clock.clone();
        VerifierOptions::new(env.domain.clone(), AUD).clock(clock)
    });
    let e = v
        .verify_access_token(&env.ok_token(), &[])
        .await
        .unwrap_err();
    assert_eq!(e, AuthError::KeysUnavailable);
    // The TLS handshake failed: the tenant never answered a request.
    assert!(env.tenant.journal().received_requests().is_empty());
}

#[tokio::test]
async fn plain_http_jwks_uri_is_refused() {
    let env = Env::new().await;
    let mut doc = env.tenant.overrides().original_discovery();
    doc["jwks_uri"] = json!(format!("http://{}/.well-known/jwks.json", env.domain));
    let _discovery = env.tenant.overrides().discovery(doc);
    let e = env.verify_ok_token().await.unwrap_err();
    assert_eq!(e, AuthError::KeysUnavailable);
    assert_eq!(env.verifier.stats().jwks_fetches, 0);
    assert_eq!(env.tenant.journal().jwks_fetches(), 0);
}

/// There is no plain-HTTP mode: a tenant serving discovery over `http` is never asked (the
/// verifier only ever requests `https://{domain}/...`), so its keys are unavailable.
#[tokio::test]
async fn a_plain_http_tenant_is_never_trusted() {
    let tenant = mock_idp::MockTenant::builder().http().start().await;
    let v = Verifier::new(VerifierOptions::new(tenant.domain(), AUD)).unwrap();
    let iss = format!("https://{}/", tenant.domain());
    let token = tenant.token().issuer(&iss).audience(AUD).build();
    let e = v.verify_access_token(&token, &[]).await.unwrap_err();
    assert_eq!(e, AuthError::KeysUnavailable);
    assert_eq!(tenant.journal().discovery_fetches(), 0);
}
