//! The tenant's signing keys seen from the API, over HTTP: a JWKS that leaks the private key,
//! and a tenant down for longer than stale keys may be trusted.

use mock_idp::{Endpoint, Fault};
use serde_json::json;

use crate::support::{SendExt, Stack};

/// A tenant that publishes its private key (d, p, q, dp, dq, qi) in the JWKS: anyone who read
/// the JWKS could sign tokens, so the key is not trusted (catalog KEY-12).
#[tokio::test]
async fn a_jwks_that_publishes_the_private_key_is_not_trusted() {
    let stack = Stack::start().await;
    let private = stack.tenant.keys().current().private_jwk();
    let _jwks = stack.tenant.overrides().jwks(json!({ "keys": [private] }));
    let token = stack.tenant.token().build();
    stack
        .get("/api/private")
        .bearer_auth(&token)
        .reply()
        .await
        .assert_invalid_token("Invalid token");
    assert_eq!(stack.tenant.journal().jwks_fetches(), 1);
}

/// Stale-if-error is bounded: with the tenant down, a token (even one served from the cache)
/// keeps working for a day past the keys' expiry, then the API fails closed.
#[tokio::test]
async fn a_tenant_down_for_more_than_a_day_fails_closed() {
    let stack = Stack::start().await;
    let token = stack.tenant.token().expires_in(3 * 86_400).build();
    let private = |t: &str| stack.get("/api/private").bearer_auth(t.to_owned()).reply();
    private(&token).await.assert_ok();
    stack
        .tenant
        .faults()
        .fail(Endpoint::Discovery, Fault::Status(503));
    stack
        .tenant
        .faults()
        .fail(Endpoint::Jwks, Fault::Status(503));
    stack.tenant.clock().advance(23 * 3600);
    private(&token).await.assert_ok();
    private(&stack.tenant.token().build()).await.assert_ok();
    stack.tenant.clock().advance(3600 + 120);
    private(&token)
        .await
        .assert_invalid_token("Unable to obtain the signing keys");
    private(&stack.tenant.token().build())
        .await
        .assert_invalid_token("Unable to obtain the signing keys");
}
