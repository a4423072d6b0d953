//! The quickstart's routes, error handlers and global guard, as one axum `Router`.
//!
//! Every route of the Flask quickstart is here with its JSON message. Authentication is the verifier's
//! job ([`oauth2_jwt_bearer`]); this module only says which route needs what.

use axum::extract::FromRef;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use oauth2_jwt_bearer::{Authenticated, Verifier, require_scope};

/// Routes that the global guard leaves open (the quickstart's `PUBLIC_ROUTES`).
pub const PUBLIC_ROUTES: &[&str] = &["/api/public", "/health"];

/// Shared state of the API: the verifier (cheap to clone).
#[derive(Clone)]
pub struct AppState {
    /// Verifies every protected request.
    pub verifier: Verifier,
    /// `/api/upstream`'s token exchange and second API, when configured.
    pub upstream: Option<std::sync::Arc<crate::upstream::Upstream>>,
}

impl FromRef<AppState> for Verifier {
    fn from_ref(state: &AppState) -> Verifier {
        state.verifier.clone()
    }
}

impl FromRef<AppState> for Option<std::sync::Arc<crate::upstream::Upstream>> {
    fn from_ref(state: &AppState) -> Self {
        state.upstream.clone()
    }
}

/// The whole API. Testable with `oneshot` and with a real server on port 0.
pub fn app(verifier: Verifier) -> Router {
    app_with(verifier, None)
}

/// The whole API, with `GET /api/upstream` when `upstream` is given.
pub fn app_with(verifier: Verifier, upstream: Option<crate::upstream::Upstream>) -> Router {
    let has_upstream = upstream.is_some();
    let state = AppState {
        verifier: verifier.clone(),
        upstream: upstream.map(std::sync::Arc::new),
    };
    // The quickstart's before_request guard: it covers matched routes only (`route_layer`), so an
    // unknown path is a 404 rather than a 401, and it leaves PUBLIC_ROUTES open. The catch-all
    // error handler goes in the same route layer, outside the guard: every layer axum puts on a
    // route is one more boxed service per request, and the fallbacks (fixed JSON) cannot panic.
    let guard = tower::ServiceBuilder::new()
        .layer(crate::errors::internal_error_layer())
        .layer(oauth2_jwt_bearer::auth_layer(
            verifier.clone(),
            PUBLIC_ROUTES,
        ));
    let mut router = Router::new();
    if has_upstream {
        router = router.route("/api/upstream", get(crate::upstream::call_upstream));
    }
    router
        .route("/api/public", get(public))
        .route("/health", get(health))
        .route("/api/private", get(private))
        .route(
            "/api/private-scoped",
            get(private_scoped).route_layer(require_scope(verifier.clone(), "read:messages")),
        )
        .route("/api/dpop-protected", get(dpop_protected))
        .route(
            "/api/admin",
            get(admin).route_layer(require_scope(verifier.clone(), "admin:write")),
        )
        .route("/api/protected-data", get(protected_data))
        .route_layer(guard)
        // RFC 9728 metadata (public), when the verifier publishes it; nothing otherwise.
        .merge(oauth2_jwt_bearer::resource_metadata::router(&verifier))
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(not_found)
        .with_state(state)
}

async fn public() -> Json<Value> {
    Json(json!({ "message": "This endpoint is public" }))
}

async fn health() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

async fn private(Authenticated(claims): Authenticated) -> Json<Value> {
    Json(json!({
        "message": "This endpoint requires authentication",
        "user": claims.sub(),
    }))
}

/// The scope is demanded by the route's `require_scope` layer (403 `insufficient_scope`).
async fn private_scoped(Authenticated(claims): Authenticated) -> Json<Value> {
    Json(json!({
        "message": "Private scoped endpoint - read:messages permission granted",
        "user": claims.sub(),
    }))
}

async fn dpop_protected(Authenticated(claims): Authenticated) -> Json<Value> {
    Json(json!({
        "message": "Successfully authenticated with DPoP or Bearer",
        "user": claims.sub(),
    }))
}

/// The quickstart's `@require_scope("admin:write")`, as the route's layer.
async fn admin(Authenticated(_claims): Authenticated) -> Json<Value> {
    Json(json!({ "message": "Admin access granted" }))
}

/// Protected only by the global guard, as in the quickstart: the claims are already verified.
async fn protected_data(Authenticated(claims): Authenticated) -> Json<Value> {
    Json(json!({ "user_id": claims.sub() }))
}

async fn not_found() -> (StatusCode, Json<Value>) {
    (
        StatusCode::NOT_FOUND,
        Json(json!({ "error": "not_found", "error_description": "No such route" })),
    )
}

/// A known route with another method: JSON like every other error (axum adds `Allow`).
async fn method_not_allowed() -> (StatusCode, Json<Value>) {
    (
        StatusCode::METHOD_NOT_ALLOWED,
        Json(json!({ "error": "method_not_allowed", "error_description": "Method not allowed" })),
    )
}
