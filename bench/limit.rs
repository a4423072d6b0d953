//! The "limit" server for `bench/ratio.sh`: a bare axum server that answers `/api/private` and
//! `/api/public` with the same JSON as the API, and authenticates by nothing but a hash lookup
//! of the `Bearer` token in a table filled at start-up (no verification, no challenge, no
//! layers). What the API does on a cached token beyond that lookup is the cost of its layers and
//! checks; `ratio.sh` measures the two side by side.
//!
//! Usage: `TOKEN=<a token> PORT=5001 limit` (the token's `sub` is read from its payload once).
//! Never use this as an API: it accepts the token it was given without checking anything.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::get;
use axum::{Json, Router};
use base64::Engine as _;
use serde_json::{Value, json};

/// Token -> its `sub`, as a verified-token cache maps a token to its claims.
type Cache = Arc<HashMap<String, Value>>;

#[tokio::main]
async fn main() {
    let token = std::env::var("TOKEN").expect("TOKEN: the token to accept");
    let port: u16 = std::env::var("PORT").map_or(5001, |p| p.parse().expect("PORT: a port"));
    let payload = token.split('.').nth(1).expect("TOKEN: a compact JWS");
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .expect("TOKEN: base64url payload"),
    )
    .expect("TOKEN: a JSON payload");
    let cache: Cache = Arc::new(HashMap::from([(token, claims["sub"].clone())]));
    let app = Router::new()
        .route("/api/public", get(public))
        .route("/api/private", get(private))
        .with_state(cache);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("bind 127.0.0.1");
    axum::serve(listener, app).await.expect("serve");
}

async fn public() -> Json<Value> {
    Json(json!({ "message": "This endpoint is public" }))
}

async fn private(
    State(cache): State<Cache>,
    headers: HeaderMap,
) -> Result<Json<Value>, StatusCode> {
    let user = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .and_then(|token| cache.get(token))
        .ok_or(StatusCode::UNAUTHORIZED)?;
    Ok(Json(json!({
        "message": "This endpoint requires authentication",
        "user": user,
    })))
}
