//! Common Issue "Token is expired": the token's `exp` has passed. The API checks `now < exp`
//! (no leeway by default, like auth0-api-python), `nbf`, and that `iat` is present; a
//! configurable leeway absorbs clock skew. The tenant's virtual clock is also the verifier's
//! clock here, so time moves for both at once and no test sleeps.

use std::time::Duration;

use serde_json::json;

use crate::support::*;

/// A stack whose shared clock stands still (exact boundaries).
async fn frozen(leeway_secs: u64) -> Stack {
    let stack = Stack::with(|o| o.clock_leeway(Duration::from_secs(leeway_secs))).await;
    stack.tenant.clock().freeze();
    stack
}

async fn private(stack: &Stack, token: &str) -> Reply {
    stack.get("/api/private").bearer_auth(token).reply().await
}

#[tokio::test]
async fn an_expired_token() {
    let stack = frozen(0).await;
    let token = stack.tenant.token().expires_in(-60).build();
    private(&stack, &token).await.assert_refused(
        401,
        "invalid_token",
        "Token is expired",
        r#"Bearer realm="api", error="invalid_token", error_description="Token is expired", DPoP algs="ES256""#,
    );
}

#[tokio::test]
async fn exp_equal_to_now_is_expired() {
    let stack = frozen(0).await;
    let at_now = stack.tenant.token().expires_in(0).build();
    private(&stack, &at_now)
        .await
        .assert_invalid_token("Token is expired");
    let one_second_left = stack.tenant.token().expires_in(1).build();
    private(&stack, &one_second_left).await.assert_ok();
}

#[tokio::test]
async fn inside_and_beyond_the_leeway() {
    let stack = frozen(30).await;
    // Expired 29 s ago: inside a 30 s leeway.
    let inside = stack.tenant.token().expires_in(-29).build();
    private(&stack, &inside).await.assert_ok();
    // Expired 30 s ago: `now < exp + leeway` fails.
    let beyond = stack.tenant.token().expires_in(-30).build();
    private(&stack, &beyond)
        .await
        .assert_invalid_token("Token is expired");
}

#[tokio::test]
async fn nbf_in_the_future() {
    let stack = frozen(0).await;
    let later = stack.tenant.token().not_before(60).build();
    private(&stack, &later)
        .await
        .assert_invalid_token("Token is not yet valid");
    let now = stack.tenant.token().not_before(0).build();
    private(&stack, &now).await.assert_ok();

    let with_leeway = frozen(30).await;
    let inside = with_leeway.tenant.token().not_before(30).build();
    private(&with_leeway, &inside).await.assert_ok();
    let beyond = with_leeway.tenant.token().not_before(31).build();
    private(&with_leeway, &beyond)
        .await
        .assert_invalid_token("Token is not yet valid");
}

#[tokio::test]
async fn iat_missing() {
    let stack = frozen(0).await;
    let token = stack.tenant.token().remove_claim("iat").build();
    private(&stack, &token)
        .await
        .assert_invalid_token("Missing 'iat' claim");
}

#[tokio::test]
async fn exp_missing_or_not_a_number() {
    let stack = frozen(0).await;
    let missing = stack.tenant.token().remove_claim("exp").build();
    private(&stack, &missing)
        .await
        .assert_invalid_token("Missing 'exp' claim");
    let text = stack
        .tenant
        .token()
        .claim("exp", json!("4102444800"))
        .build();
    private(&stack, &text)
        .await
        .assert_invalid_token("Invalid 'exp' claim");
}

#[tokio::test]
async fn tenant_and_verifier_clocks_move_together() {
    let stack = frozen(0).await;
    // Like the dashboard's Test tab, the tenant issues tokens valid for 24 hours.
    let token = stack.tenant.token().build();
    private(&stack, &token).await.assert_ok();

    stack.tenant.clock().advance(86_399);
    private(&stack, &token).await.assert_ok();

    stack.tenant.clock().advance(1);
    private(&stack, &token)
        .await
        .assert_invalid_token("Token is expired");

    // The fix: request a new token. It is issued at the tenant's (virtual) now, which is the
    // API's now too.
    let fresh = stack.tenant.token().build();
    private(&stack, &fresh).await.assert_ok();
}

#[tokio::test]
async fn a_token_from_the_token_endpoint_expires_when_expires_in_says() {
    let stack = frozen(0).await;
    let grant: serde_json::Value = stack
        .tenant
        .http_client()
        .post(stack.tenant.urls().token())
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", &stack.tenant.app().client_id()),
            ("client_secret", &stack.tenant.app().client_secret()),
            ("audience", stack.tenant.audience()),
        ])
        .send()
        .await
        .expect("the tenant answers")
        .json()
        .await
        .expect("a JSON grant");
    let token = grant["access_token"].as_str().expect("an access token");
    let expires_in = grant["expires_in"].as_i64().expect("expires_in");
    private(&stack, token).await.assert_ok();

    stack.tenant.clock().advance(expires_in - 1);
    private(&stack, token).await.assert_ok();
    stack.tenant.clock().advance(1);
    private(&stack, token)
        .await
        .assert_invalid_token("Token is expired");
}
