//! Common Issue "RuntimeError: This event loop is already running": mixing sync and async.
//!
//! In Rust the verifier is async (`verify_access_token(..).await`, and the axum extractor and
//! layers await it inside the handlers); many requests verify concurrently on one runtime. For
//! synchronous code there is `blocking_verify_access_token`, and calling it from inside a
//! runtime (the Rust twin of `asyncio.run()` inside a route) is an error value that says what
//! to do instead, never a runtime-within-runtime panic.

use futures::future::join_all;
use mock_idp::MockTenant;
use oauth2_jwt_bearer::TokenError;
use oauth2_jwt_bearer::{AuthError, Verifier};

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_concurrent_requests_verify_inside_async_handlers() {
    let stack = Stack::start().await;
    // Distinct tokens, so that every request really verifies (no token-cache hit).
    let tokens: Vec<String> = (0..200)
        .map(|i| stack.tenant.token().sub(&format!("user|{i}")).build())
        .collect();
    let replies = join_all(
        tokens
            .iter()
            .map(|token| stack.get("/api/private").bearer_auth(token).reply()),
    )
    .await;
    for (i, reply) in replies.iter().enumerate() {
        assert_eq!(reply.assert_ok()["user"], format!("user|{i}"));
    }
    // Cold concurrent misses share one discovery and one JWKS fetch.
    assert_eq!(stack.tenant.journal().discovery_fetches(), 1);
    assert_eq!(stack.tenant.journal().jwks_fetches(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_valid_and_invalid_requests_do_not_interfere() {
    let stack = Stack::start().await;
    let good = stack.tenant.token().build();
    let expired = stack.tenant.token().expires_in(-1).build();
    let requests = (0..100).map(|i| {
        let token = if i % 2 == 0 { &good } else { &expired };
        stack.get("/api/private").bearer_auth(token).reply()
    });
    let replies = join_all(requests).await;
    for (i, reply) in replies.iter().enumerate() {
        if i % 2 == 0 {
            reply.assert_ok();
        } else {
            reply.assert_invalid_token("Token is expired");
        }
    }
}

#[test]
fn the_blocking_entry_point_from_synchronous_code() {
    // No runtime anywhere on this thread: a plain `fn`, like a Flask view without async.
    let tenant = MockTenant::builder()
        .try_start()
        .expect("the tenant starts");
    let verifier = Verifier::new(quickstart_options(&tenant)).expect("valid options");
    let token = tenant.token().sub("user|sync").build();
    let claims = verifier
        .blocking_verify_access_token(&token, &[])
        .expect("a valid token");
    assert_eq!(claims.sub(), Some("user|sync"));

    let expired = tenant.token().expires_in(-1).build();
    assert_eq!(
        verifier.blocking_verify_access_token(&expired, &[]),
        Err(AuthError::InvalidToken(TokenError::Expired))
    );

    // From other plain threads too (the verifier is Send + Sync and cheap to clone).
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let verifier = verifier.clone();
            let token = token.clone();
            std::thread::spawn(move || verifier.blocking_verify_access_token(&token, &[]).is_ok())
        })
        .collect();
    for handle in handles {
        assert!(handle.join().expect("no panic"));
    }
}

#[tokio::test]
async fn the_blocking_entry_point_inside_a_runtime_is_a_clear_error() {
    let tenant = MockTenant::start().await;
    let verifier = Verifier::new(quickstart_options(&tenant)).expect("valid options");
    let token = tenant.token().build();
    let error = verifier
        .blocking_verify_access_token(&token, &[])
        .expect_err("misuse is refused");
    assert_eq!(error, AuthError::BlockingInsideRuntime);
    assert_eq!(
        error.to_string(),
        "blocking_verify_access_token called inside an async runtime; use verify_access_token"
    );
    // What it says to do works.
    assert!(verifier.verify_access_token(&token, &[]).await.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_blocking_entry_point_in_spawn_blocking_is_a_clear_error_too() {
    let tenant = MockTenant::start().await;
    let verifier = Verifier::new(quickstart_options(&tenant)).expect("valid options");
    let token = tenant.token().build();
    let (misuse, right) = tokio::task::spawn_blocking(move || {
        // A blocking thread still belongs to the runtime: starting another one here would
        // panic, so the blocking entry point refuses...
        let misuse = verifier.blocking_verify_access_token(&token, &[]);
        // ...and the way to wait on the async one from here is the current handle.
        let handle = tokio::runtime::Handle::current();
        let right = handle.block_on(verifier.verify_access_token(&token, &[]));
        (misuse, right.is_ok())
    })
    .await
    .expect("no panic");
    assert_eq!(misuse, Err(AuthError::BlockingInsideRuntime));
    assert!(right);
}
