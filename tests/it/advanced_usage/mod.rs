//! The quickstart's "Advanced Usage" examples: required claims, the scope decorator on
//! /api/admin, the global guard on /api/protected-data, the error handlers, and DPoP in allowed
//! and required modes on /api/dpop-protected.

use axum::Router;
use axum::routing::get;
use mock_idp::DpopKey;
use oauth2_jwt_bearer::TokenError;
use oauth2_jwt_bearer::{AuthError, Authenticated, DpopMode, Verifier, auth_layer, require_scope};
use serde_json::json;

use crate::support::*;

// ---- Required claims (`required_claims=["email_verified", "org_id"]`) ----

#[tokio::test]
async fn required_claims_with_the_verifier_api() {
    let tenant = mock_idp::MockTenant::start().await;
    let verifier = Verifier::new(quickstart_options(&tenant)).expect("valid options");
    let required = ["email_verified", "org_id"];

    let with_both = tenant
        .token()
        .claim("email_verified", json!(true))
        .claim("org_id", json!("org_123"))
        .build();
    let claims = verifier
        .verify_access_token(&with_both, &required)
        .await
        .expect("both claims present");
    assert_eq!(claims.get("org_id"), Some(&json!("org_123")));

    let without_org = tenant.token().claim("email_verified", json!(true)).build();
    assert_eq!(
        verifier.verify_access_token(&without_org, &required).await,
        Err(AuthError::InvalidToken(TokenError::MissingRequiredClaim))
    );
    // Presence is what is required: `email_verified: false` is present.
    let unverified = tenant
        .token()
        .claim("email_verified", json!(false))
        .claim("org_id", json!("org_123"))
        .build();
    assert!(
        verifier
            .verify_access_token(&unverified, &required)
            .await
            .is_ok()
    );
}

/// An axum route that demands the claims, as a user of the library writes it.
fn org_router(verifier: Verifier) -> Router {
    Router::new()
        .route(
            "/api/org",
            get(|Authenticated(claims): Authenticated| async move {
                axum::Json(json!({ "org_id": claims.get("org_id") }))
            }),
        )
        .route_layer(
            auth_layer(verifier.clone(), &[]).required_claims(&["email_verified", "org_id"]),
        )
        .with_state(verifier)
}

#[tokio::test]
async fn required_claims_on_a_route() {
    let tenant = mock_idp::MockTenant::start().await;
    let listener = Listener::bind().await;
    let verifier = Verifier::new(quickstart_options(&tenant)).expect("valid options");
    let api = listener.serve_router(org_router(verifier));

    let with_both = tenant
        .token()
        .claim("email_verified", json!(true))
        .claim("org_id", json!("org_123"))
        .build();
    let body = api.get("/api/org").bearer_auth(&with_both).reply().await;
    assert_eq!(body.assert_ok(), &json!({ "org_id": "org_123" }));

    let without = tenant.token().build();
    api.get("/api/org")
        .bearer_auth(&without)
        .reply()
        .await
        .assert_invalid_token("Missing required claim");
}

#[tokio::test]
async fn required_claims_on_the_options_apply_to_every_entry_point() {
    let tenant = mock_idp::MockTenant::start().await;
    let listener = Listener::bind().await;
    let verifier = Verifier::new(quickstart_options(&tenant).required_claims(&["org_id"]))
        .expect("valid options");
    // An extractor with no layer: only the options name the claim.
    let app = Router::new()
        .route(
            "/api/org",
            get(|Authenticated(claims): Authenticated| async move {
                axum::Json(json!({ "org_id": claims.get("org_id") }))
            }),
        )
        .with_state(verifier.clone());
    let api = listener.serve_router(app);

    let with_org = tenant.token().claim("org_id", json!("org_123")).build();
    let body = api.get("/api/org").bearer_auth(&with_org).reply().await;
    assert_eq!(body.assert_ok(), &json!({ "org_id": "org_123" }));
    let without = tenant.token().build();
    api.get("/api/org")
        .bearer_auth(&without)
        .reply()
        .await
        .assert_invalid_token("Missing required claim");
    // The token-only entry point too, and per-call claims add to the options' ones.
    assert_eq!(
        verifier.verify_access_token(&without, &[]).await,
        Err(AuthError::InvalidToken(TokenError::MissingRequiredClaim))
    );
    assert_eq!(
        verifier
            .verify_access_token(&with_org, &["email_verified"])
            .await,
        Err(AuthError::InvalidToken(TokenError::MissingRequiredClaim))
    );
    assert!(verifier.verify_access_token(&with_org, &[]).await.is_ok());
}

// ---- The scope decorator on /api/admin (`@require_scope("admin:write")`) ----

#[tokio::test]
async fn admin_needs_the_admin_write_scope() {
    let stack = Stack::start().await;
    let admin = stack.tenant.token().scope("admin:write").build();
    let reply = stack.get("/api/admin").bearer_auth(&admin).reply().await;
    assert_eq!(
        reply.assert_ok(),
        &json!({ "message": "Admin access granted" })
    );

    let reader = stack.tenant.token().scope("read:messages").build();
    let reply = stack.get("/api/admin").bearer_auth(&reader).reply().await;
    reply.assert_refused(
        403,
        "insufficient_scope",
        "Insufficient scope",
        r#"Bearer realm="api", error="insufficient_scope", error_description="Insufficient scope", scope="admin:write", DPoP algs="ES256""#,
    );
}

#[tokio::test]
async fn authentication_comes_before_the_scope_check() {
    let stack = Stack::start().await;
    // No token: 401, not 403.
    stack.get("/api/admin").reply().await.assert_refused(
        401,
        "unauthorized",
        "Missing authorization",
        BARE_CHALLENGE,
    );
    // An expired admin token: 401 too.
    let expired = stack
        .tenant
        .token()
        .scope("admin:write")
        .expires_in(-1)
        .build();
    stack
        .get("/api/admin")
        .bearer_auth(&expired)
        .reply()
        .await
        .assert_invalid_token("Token is expired");
}

#[tokio::test]
async fn private_scoped_needs_read_messages() {
    let stack = Stack::start().await;
    let reader = stack.tenant.token().scope("openid read:messages").build();
    let reply = stack
        .get("/api/private-scoped")
        .bearer_auth(&reader)
        .reply()
        .await;
    assert_eq!(
        reply.assert_ok(),
        &json!({
            "message": "Private scoped endpoint - read:messages permission granted",
            "user": format!("{}@clients", stack.tenant.app().client_id()),
        })
    );
    let writer = stack.tenant.token().scope("write:messages").build();
    // Accepted where no scope is needed, so cached: the scope is still checked on the next
    // route (the layer's cached path leaves a scope failure to the full path's answer).
    stack
        .get("/api/private")
        .bearer_auth(&writer)
        .reply()
        .await
        .assert_ok();
    stack
        .get("/api/private-scoped")
        .bearer_auth(&writer)
        .reply()
        .await
        .assert_refused(
            403,
            "insufficient_scope",
            "Insufficient scope",
            r#"Bearer realm="api", error="insufficient_scope", error_description="Insufficient scope", scope="read:messages", DPoP algs="ES256""#,
        );
}

#[tokio::test]
async fn the_scope_challenge_follows_the_dpop_scheme() {
    let stack = Stack::start().await;
    // A token with `read:messages` only, bound to the key, and a proof for the request.
    let reply = stack
        .dpop_get("/api/admin", &DpopKey::generate())
        .reply()
        .await;
    reply.assert_refused(
        403,
        "insufficient_scope",
        "Insufficient scope",
        r#"Bearer realm="api", DPoP error="insufficient_scope", error_description="Insufficient scope", scope="admin:write", algs="ES256""#,
    );
}

// ---- The global guard (`before_request` with PUBLIC_ROUTES) ----

#[tokio::test]
async fn the_global_guard_protects_protected_data() {
    let stack = Stack::start().await;
    stack
        .get("/api/protected-data")
        .reply()
        .await
        .assert_refused(401, "unauthorized", "Missing authorization", BARE_CHALLENGE);
    let token = stack.tenant.token().sub("user|42").build();
    let reply = stack
        .get("/api/protected-data")
        .bearer_auth(&token)
        .reply()
        .await;
    assert_eq!(reply.assert_ok(), &json!({ "user_id": "user|42" }));
}

#[tokio::test]
async fn public_routes_stay_open() {
    let stack = Stack::start().await;
    let reply = stack.get("/api/public").reply().await;
    assert_eq!(
        reply.assert_ok(),
        &json!({ "message": "This endpoint is public" })
    );
    let reply = stack.get("/health").reply().await;
    assert_eq!(reply.assert_ok(), &json!({ "status": "ok" }));
    // Public means not looked at: even a broken Authorization field is ignored.
    let reply = stack
        .get("/api/public")
        .header("authorization", "Bearer \"not a token\"")
        .reply()
        .await;
    assert_eq!(
        reply.assert_ok(),
        &json!({ "message": "This endpoint is public" })
    );
}

// ---- The error handlers ----

#[tokio::test]
async fn an_unknown_route_is_a_json_404_not_a_401() {
    let stack = Stack::start().await;
    for token in [None, Some("not-a-token")] {
        let mut request = stack.get("/api/nope");
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let reply = request.reply().await;
        assert_eq!(reply.status, 404);
        assert_eq!(
            reply.body,
            json!({ "error": "not_found", "error_description": "No such route" })
        );
        assert_eq!(reply.challenges(), Vec::<&str>::new());
    }
}

#[tokio::test]
async fn another_method_on_a_known_route_is_a_json_405() {
    let stack = Stack::start().await;
    let reply = client().post(stack.url("/api/public")).reply().await;
    assert_eq!(reply.status, 405);
    assert_eq!(
        reply.body,
        json!({ "error": "method_not_allowed", "error_description": "Method not allowed" })
    );
    assert_eq!(reply.header("allow"), Some("GET,HEAD"));
    // Protected routes too, with or without credentials: no method but GET exists there.
    let token = stack.tenant.token().build();
    for credentials in [None, Some(token.as_str())] {
        let mut request = client().post(stack.url("/api/private"));
        if let Some(token) = credentials {
            request = request.bearer_auth(token);
        }
        let reply = request.reply().await;
        assert_eq!(reply.status, 405);
        assert_eq!(reply.body["error"], "method_not_allowed");
        assert_eq!(reply.header("allow"), Some("GET,HEAD"));
    }
}

#[tokio::test]
async fn an_unexpected_error_is_a_generic_500() {
    // The catch-all handler: a panicking handler answers `{"error": "Internal server error"}`
    // and its cause is logged, never shown.
    let router = Router::new()
        .route(
            "/boom",
            get(|| async {
                if true {
                    panic!("secret detail");
                }
                "unreachable"
            }),
        )
        .layer(protected_api::errors::internal_error_layer());
    let api = Listener::bind().await.serve_router(router);
    let reply = api.get("/boom").reply().await;
    assert_eq!(reply.status, 500);
    assert_eq!(reply.body, json!({ "error": "Internal server error" }));
}

#[tokio::test]
async fn every_auth_error_has_the_same_json_shape() {
    let stack = Stack::start().await;
    let expired = stack.tenant.token().expires_in(-1).build();
    let reader = stack.tenant.token().scope("read:messages").build();
    let cases = [
        ("/api/private", None, 401, "unauthorized"),
        ("/api/private", Some(expired.as_str()), 401, "invalid_token"),
        ("/api/private", Some("a\"b"), 400, "invalid_request"),
        (
            "/api/admin",
            Some(reader.as_str()),
            403,
            "insufficient_scope",
        ),
    ];
    for (path, token, status, code) in cases {
        let mut request = stack.get(path);
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let reply = request.reply().await;
        assert_eq!(reply.status, status, "{path} {token:?}");
        assert_eq!(reply.body["error"], code, "{path} {token:?}");
        let description = reply.body["error_description"]
            .as_str()
            .expect("a description");
        assert_eq!(reply.body.as_object().map(|o| o.len()), Some(2));
        assert!(!description.is_empty());
        assert_eq!(reply.header("content-type"), Some("application/json"));
        assert_eq!(reply.header("cache-control"), Some("no-store"));
        assert_eq!(reply.challenges().len(), 1);
    }
}

// ---- DPoP on /api/dpop-protected ----

#[tokio::test]
async fn scope_layers_work_under_the_library_api_too() {
    // `require_scope` alone on a route (no global guard) authenticates first, then checks.
    let tenant = mock_idp::MockTenant::start().await;
    let verifier = Verifier::new(quickstart_options(&tenant)).expect("valid options");
    let router = Router::new()
        .route(
            "/api/messages",
            get(|| async { axum::Json(json!({ "messages": [] })) })
                .route_layer(require_scope(verifier.clone(), "read:messages")),
        )
        .with_state(verifier);
    let api = Listener::bind().await.serve_router(router);
    api.get("/api/messages").reply().await.assert_refused(
        401,
        "unauthorized",
        "Missing authorization",
        BARE_CHALLENGE,
    );
    let reader = tenant.token().scope("read:messages").build();
    let reply = api.get("/api/messages").bearer_auth(&reader).reply().await;
    assert_eq!(reply.assert_ok(), &json!({ "messages": [] }));
}

mod dpop;
