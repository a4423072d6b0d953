//! An axum API protected by the axum-jwt-auth crate as its README shows it ("Remote JWKS"): a
//! `RemoteJwksDecoder` for the tenant's JWKS URL with `Validation::new(RS256)`, the audience and
//! the issuer, `initialize()` (the JWKS fetched at start, then refreshed in the background every
//! hour, its default), and the `Claims` extractor in the handlers; rejections are the crate's own.
//! The tenant's CA reaches it through the builder's `client`. The only glue is the scope check on
//! /api/private-scoped. Bearer only.

use std::sync::Arc;

use axum::extract::FromRef;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use axum_jwt_auth::{Claims, Decoder, RemoteJwksDecoder};
use jsonwebtoken::{Algorithm, Validation};
use serde::Deserialize;
use serde_json::json;

#[derive(Clone, Deserialize)]
struct TokenClaims {
    sub: Option<String>,
    scope: Option<String>,
}

#[derive(Clone, FromRef)]
struct AppState {
    decoder: Decoder<TokenClaims>,
}

async fn private(user: Claims<TokenClaims>) -> Json<serde_json::Value> {
    Json(json!({ "sub": user.claims.sub }))
}

async fn private_scoped(user: Claims<TokenClaims>) -> Response {
    let scopes = user.claims.scope.unwrap_or_default();
    if !scopes.split(' ').any(|s| s == "read:messages") {
        let challenge = "Bearer error=\"insufficient_scope\", scope=\"read:messages\"";
        return (
            StatusCode::FORBIDDEN,
            [(header::WWW_AUTHENTICATE, challenge)],
        )
            .into_response();
    }
    Json(json!({ "sub": user.claims.sub })).into_response()
}

#[tokio::main]
async fn main() {
    let env = |k: &str| std::env::var(k).unwrap_or_else(|_| panic!("{k} is not set"));
    let issuer = format!("https://{}/", env("AUTH0_DOMAIN"));
    let ca = std::fs::read(env("AUTH0_CA_FILE")).expect("AUTH0_CA_FILE");
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&ca).expect("CA PEM"))
        .build()
        .expect("HTTP client");
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&[env("AUTH0_AUDIENCE")]);
    validation.set_issuer(&[issuer.as_str()]);
    let decoder = RemoteJwksDecoder::builder()
        .jwks_url(format!("{issuer}.well-known/jwks.json"))
        .validation(validation)
        .client(client)
        .build()
        .expect("JWKS decoder");
    let decoder = Arc::new(decoder);
    let _shutdown = decoder.initialize().await.expect("JWKS decoder initialize");
    let state = AppState { decoder };
    let app = Router::new()
        .route("/api/private", get(private))
        .route("/api/private-scoped", get(private_scoped))
        .with_state(state);
    let port = std::env::var("PORT").unwrap_or_else(|_| "5089".into());
    let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{port}"))
        .await
        .expect("bind");
    axum::serve(listener, app).await.expect("serve");
}
