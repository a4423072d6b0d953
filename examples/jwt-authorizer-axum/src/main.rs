//! An axum API protected by the jwt-authorizer crate as its README shows it: an `Authorizer` from
//! the tenant's JWKS URL with a `Validation` of the issuer, the audience and `nbf`, as a layer,
//! and `JwtClaims` in the handlers. Its defaults otherwise: refresh on an unknown kid at most every
//! 600 s (`Refresh::default`), 60 s leeway. The only glue is the scope check on
//! /api/private-scoped. The tenant's CA: the JWKS client is reqwest's default one, which trusts
//! the system roots (SSL_CERT_FILE, set by run-conformance.sh); discovery would use
//! `http_client`, given here too. Bearer only.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use jwt_authorizer::{Authorizer, IntoLayer, JwtAuthorizer, JwtClaims, Validation};
use serde_json::{Value, json};

async fn private(JwtClaims(c): JwtClaims<Value>) -> Json<Value> {
    Json(json!({ "sub": c["sub"] }))
}

async fn private_scoped(JwtClaims(c): JwtClaims<Value>) -> Response {
    let scopes = c["scope"].as_str().unwrap_or_default();
    if !scopes.split(' ').any(|s| s == "read:messages") {
        let challenge = "Bearer error=\"insufficient_scope\", scope=\"read:messages\"";
        return (StatusCode::FORBIDDEN, [(header::WWW_AUTHENTICATE, challenge)]).into_response();
    }
    Json(json!({ "sub": c["sub"] })).into_response()
}

#[tokio::main]
async fn main() {
    let env = |k: &str| std::env::var(k).unwrap_or_else(|_| panic!("{k} is not set"));
    let issuer = format!("https://{}/", env("AUTH0_DOMAIN"));
    let ca = std::fs::read(env("AUTH0_CA_FILE")).expect("AUTH0_CA_FILE");
    let http = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&ca).expect("CA PEM"))
        .build()
        .expect("HTTP client");
    let validation = Validation::new()
        .iss(&[issuer.as_str()])
        .aud(&[env("AUTH0_AUDIENCE")])
        .nbf(true);
    let auth: Authorizer<Value> =
        JwtAuthorizer::from_jwks_url(&format!("{issuer}.well-known/jwks.json"))
            .validation(validation)
            .http_client(http)
            .build()
            .await
            .expect("authorizer");
    let app = Router::new()
        .route("/api/private", get(private))
        .route("/api/private-scoped", get(private_scoped))
        .layer(auth.into_layer());
    let port = std::env::var("PORT").unwrap_or_else(|_| "5083".into());
    let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{port}"))
        .await
        .expect("bind");
    axum::serve(listener, app).await.expect("serve");
}
