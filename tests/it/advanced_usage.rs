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

/// `GET path` with `token` under the DPoP scheme and a fresh proof for it signed by `key`
/// ([`Stack::dpop_get`] with a token of the test's own making).
fn dpop_get_with(stack: &Stack, path: &str, key: &DpopKey, token: &str) -> reqwest::RequestBuilder {
    let proof = stack
        .tenant
        .dpop()
        .proof(key, "GET", &stack.url(path))
        .access_token(token)
        .build();
    stack
        .get(path)
        .header("authorization", format!("DPoP {token}"))
        .header("dpop", proof)
}

#[tokio::test]
async fn dpop_allowed_accepts_dpop_and_bearer() {
    let stack = Stack::start().await;
    let key = DpopKey::generate();
    let message = json!({
        "message": "Successfully authenticated with DPoP or Bearer",
        "user": format!("{}@clients", stack.tenant.app().client_id()),
    });
    let reply = stack.dpop_get("/api/dpop-protected", &key).reply().await;
    assert_eq!(reply.assert_ok(), &message);

    let bearer = stack.tenant.token().build();
    let reply = stack
        .get("/api/dpop-protected")
        .bearer_auth(&bearer)
        .reply()
        .await;
    assert_eq!(reply.assert_ok(), &message);
}

#[tokio::test]
async fn a_dpop_bound_token_is_not_a_bearer_token() {
    let stack = Stack::start().await;
    let bound = stack.tenant.token().bound_to(&DpopKey::generate()).build();
    stack
        .get("/api/dpop-protected")
        .bearer_auth(&bound)
        .reply()
        .await
        .assert_invalid_token("DPoP-bound token requires the DPoP authentication scheme");
}

#[tokio::test]
async fn dpop_proof_failures() {
    let stack = Stack::start().await;
    let key = DpopKey::generate();
    let url = stack.url("/api/dpop-protected");
    let bound = stack.tenant.token().bound_to(&key).build();
    let dpop = |proof: Option<String>| {
        let request = stack
            .get("/api/dpop-protected")
            .header("authorization", format!("DPoP {bound}"));
        match proof {
            Some(proof) => request.header("dpop", proof),
            None => request,
        }
    };
    dpop(None)
        .reply()
        .await
        .assert_invalid_dpop_proof("Missing DPoP proof");

    // A proof is single-use: the same proof twice is a replay.
    let proof = stack
        .tenant
        .dpop()
        .proof(&key, "GET", &url)
        .access_token(&bound)
        .build();
    dpop(Some(proof.clone())).reply().await.assert_ok();
    dpop(Some(proof))
        .reply()
        .await
        .assert_invalid_dpop_proof("DPoP proof replayed");

    // A proof for another method, or signed by another key than the token is bound to.
    let post = stack
        .tenant
        .dpop()
        .proof(&key, "POST", &url)
        .access_token(&bound)
        .build();
    dpop(Some(post))
        .reply()
        .await
        .assert_invalid_dpop_proof("DPoP proof htm mismatch");
    // A proof that has waited too long (the tenant's clock is the API's clock).
    let stale = stack
        .tenant
        .dpop()
        .proof(&key, "GET", &url)
        .access_token(&bound)
        .build();
    stack.tenant.clock().advance(301);
    dpop(Some(stale))
        .reply()
        .await
        .assert_invalid_dpop_proof("DPoP proof iat is too old");

    // An unbound token under the DPoP scheme.
    let unbound = stack.tenant.token().build();
    dpop_get_with(&stack, "/api/dpop-protected", &key, &unbound)
        .reply()
        .await
        .assert_refused(
            401,
            "invalid_token",
            "Token is not DPoP-bound (no cnf.jkt)",
            &on_dpop("invalid_token", "Token is not DPoP-bound (no cnf.jkt)"),
        );

    let other_key = stack
        .tenant
        .dpop()
        .proof(&DpopKey::generate(), "GET", &url)
        .access_token(&bound)
        .build();
    dpop(Some(other_key)).reply().await.assert_refused(
        401,
        "invalid_token",
        "Invalid DPoP key binding",
        &on_dpop("invalid_token", "Invalid DPoP key binding"),
    );
}

#[tokio::test]
async fn dpop_required_refuses_bearer() {
    let stack = Stack::with(|o| o.dpop_mode(DpopMode::Required)).await;
    let bearer = stack.tenant.token().build();
    stack
        .get("/api/dpop-protected")
        .bearer_auth(&bearer)
        .reply()
        .await
        .assert_refused(
            401,
            "unauthorized",
            "DPoP authorization scheme required",
            r#"DPoP algs="ES256""#,
        );
    stack
        .get("/api/dpop-protected")
        .reply()
        .await
        .assert_refused(
            401,
            "unauthorized",
            "Missing authorization",
            r#"DPoP algs="ES256""#,
        );
    let key = DpopKey::generate();
    stack
        .dpop_get("/api/dpop-protected", &key)
        .reply()
        .await
        .assert_ok();
    // Errors on the one offered scheme carry the attributes.
    let expired = stack.tenant.token().bound_to(&key).expires_in(-1).build();
    dpop_get_with(&stack, "/api/dpop-protected", &key, &expired)
        .reply()
        .await
        .assert_refused(
            401,
            "invalid_token",
            "Token is expired",
            r#"DPoP error="invalid_token", error_description="Token is expired", algs="ES256""#,
        );
}

#[tokio::test]
async fn dpop_disabled_treats_dpop_as_an_unsupported_scheme() {
    let stack = Stack::with(|o| o.dpop_mode(DpopMode::Disabled)).await;
    stack
        .dpop_get("/api/dpop-protected", &DpopKey::generate())
        .reply()
        .await
        .assert_refused(
            401,
            "unauthorized",
            "Unsupported authorization scheme",
            r#"Bearer realm="api""#,
        );
}

#[tokio::test]
async fn dpop_server_nonces() {
    let stack = Stack::with(|o| o.dpop_nonces(true)).await;
    let key = DpopKey::generate();
    let url = stack.url("/api/dpop-protected");
    let bound = stack.tenant.token().bound_to(&key).build();
    let send = |proof: String| {
        stack
            .get("/api/dpop-protected")
            .header("authorization", format!("DPoP {bound}"))
            .header("dpop", proof)
            .reply()
    };

    // First try without a nonce: 401 use_dpop_nonce and exactly one DPoP-Nonce to use.
    let first = stack
        .tenant
        .dpop()
        .proof(&key, "GET", &url)
        .access_token(&bound)
        .build();
    let reply = send(first).await;
    reply.assert_refused(
        401,
        "use_dpop_nonce",
        "Authorization server requires nonce in DPoP proof",
        &on_dpop(
            "use_dpop_nonce",
            "Authorization server requires nonce in DPoP proof",
        ),
    );
    let nonces: Vec<_> = reply.headers.get_all("dpop-nonce").iter().collect();
    assert_eq!(nonces.len(), 1);
    let nonce = nonces[0].to_str().expect("an ASCII nonce").to_owned();

    // Retry with it: accepted, and the answer carries the nonce for the next request.
    let second = stack
        .tenant
        .dpop()
        .proof(&key, "GET", &url)
        .access_token(&bound)
        .nonce(&nonce)
        .build();
    let reply = send(second).await;
    reply.assert_ok();
    assert_eq!(reply.header("dpop-nonce"), Some(nonce.as_str()));

    // A nonce the API never issued.
    let forged = stack
        .tenant
        .dpop()
        .proof(&key, "GET", &url)
        .access_token(&bound)
        .nonce("made-up")
        .build();
    let reply = send(forged).await;
    reply.assert_refused(
        401,
        "use_dpop_nonce",
        "Authorization server requires nonce in DPoP proof",
        &on_dpop(
            "use_dpop_nonce",
            "Authorization server requires nonce in DPoP proof",
        ),
    );
    assert_eq!(reply.header("dpop-nonce"), Some(nonce.as_str()));
}

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
