//! An axum API whose claims extractor is built on `jsonwebtoken` the way its documentation and
//! axum's `examples/jwt` show it: `decode_header` for the kid, the key from the tenant's JWKS
//! (`JwkSet`, `DecodingKey::from_jwk`), then `decode` with `Validation::new(RS256)`, the audience
//! and the issuer. The JWKS is fetched at start and again on an unknown kid (no cooldown). The
//! HTTP glue (Bearer parsing, RFC 6750 challenges, the scope check) is this file's: findings about
//! headers and challenges are about it, not about jsonwebtoken. Bearer only.

use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde_json::{Value, json};
use tokio::sync::RwLock;

#[derive(Clone)]
struct Auth {
    jwks_url: String,
    issuer: String,
    audience: String,
    http: reqwest::Client,
    keys: Arc<RwLock<JwkSet>>,
}

impl Auth {
    async fn fetch(&self) -> Result<(), reqwest::Error> {
        let set: JwkSet = self.http.get(&self.jwks_url).send().await?.json().await?;
        *self.keys.write().await = set;
        Ok(())
    }

    async fn key(&self, kid: &str) -> Option<DecodingKey> {
        if let Some(k) = self.keys.read().await.find(kid) {
            return DecodingKey::from_jwk(k).ok();
        }
        self.fetch().await.ok()?;
        let keys = self.keys.read().await;
        DecodingKey::from_jwk(keys.find(kid)?).ok()
    }
}

enum AuthError {
    Missing,
    Malformed,
    Invalid,
    Scope,
}

impl IntoResponse for AuthError {
    fn into_response(self) -> Response {
        let (status, challenge) = match self {
            AuthError::Missing => (StatusCode::UNAUTHORIZED, "Bearer realm=\"api\""),
            AuthError::Malformed => (
                StatusCode::BAD_REQUEST,
                "Bearer realm=\"api\", error=\"invalid_request\"",
            ),
            AuthError::Invalid => (
                StatusCode::UNAUTHORIZED,
                "Bearer realm=\"api\", error=\"invalid_token\"",
            ),
            AuthError::Scope => (
                StatusCode::FORBIDDEN,
                "Bearer realm=\"api\", error=\"insufficient_scope\", scope=\"read:messages\"",
            ),
        };
        (status, [(header::WWW_AUTHENTICATE, challenge)]).into_response()
    }
}

/// The verified claims of the request's Bearer token.
struct Claims(Value);

impl<S: Send + Sync> FromRequestParts<S> for Claims
where
    Auth: FromRef<S>,
{
    type Rejection = AuthError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AuthError> {
        let auth = Auth::from_ref(state);
        let value = parts
            .headers
            .get(header::AUTHORIZATION)
            .ok_or(AuthError::Missing)?;
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .filter(|t| !t.is_empty())
            .ok_or(AuthError::Malformed)?;
        let head = decode_header(token).map_err(|_| AuthError::Invalid)?;
        let kid = head.kid.ok_or(AuthError::Invalid)?;
        let key = auth.key(&kid).await.ok_or(AuthError::Invalid)?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_audience(&[&auth.audience]);
        validation.set_issuer(&[&auth.issuer]);
        let data = decode::<Value>(token, &key, &validation).map_err(|_| AuthError::Invalid)?;
        Ok(Claims(data.claims))
    }
}

async fn private(Claims(c): Claims) -> Json<Value> {
    Json(json!({ "sub": c["sub"] }))
}

async fn private_scoped(Claims(c): Claims) -> Result<Json<Value>, AuthError> {
    let scopes = c["scope"].as_str().unwrap_or_default();
    if !scopes.split(' ').any(|s| s == "read:messages") {
        return Err(AuthError::Scope);
    }
    Ok(Json(json!({ "sub": c["sub"] })))
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
    let auth = Auth {
        jwks_url: format!("{issuer}.well-known/jwks.json"),
        issuer,
        audience: env("AUTH0_AUDIENCE"),
        http,
        keys: Arc::new(RwLock::new(JwkSet { keys: Vec::new() })),
    };
    let _ = auth.fetch().await;
    let app = Router::new()
        .route("/api/private", get(private))
        .route("/api/private-scoped", get(private_scoped))
        .with_state(auth);
    let port = std::env::var("PORT").unwrap_or_else(|_| "5082".into());
    let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{port}"))
        .await
        .expect("bind");
    axum::serve(listener, app).await.expect("serve");
}
