//! An axum API protected by aliri as aliri_axum's Auth0 example (`examples/auth0_server.rs`) sets
//! it up: an `Authority` from the tenant's JWKS URL (fetched at start, refreshed every 600 s) with
//! a `CoreValidator` that approves RS256, allows the audience and requires the issuer; an
//! `Oauth2Authorizer` with the example's claims type as a layer, and `scope_guards!` extractors
//! (`AllowAny` on /api/private, `ReadMessages` = "read:messages" on /api/private-scoped).
//! Rejections and challenges are aliri's own (`with_terse_error_handler`). Bearer only.

use std::time::Duration;

use aliri::{jwa, jwt};
use aliri_axum::scope_guards;
use aliri_clock::UnixTime;
use aliri_oauth2::{Authority, HasScope, Scope};
use aliri_tower::Oauth2Authorizer;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

scope_guards! {
    type Claims = CustomClaims;

    scope AllowAny = *;
    scope ReadMessages = "read:messages";
}

/// The example's claims, less its custom login count; as there, `nbf` is not read.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CustomClaims {
    iss: jwt::Issuer,
    aud: jwt::Audiences,
    sub: jwt::Subject,
    exp: UnixTime,
    iat: UnixTime,
    #[serde(default)]
    scope: Scope,
}

impl jwt::CoreClaims for CustomClaims {
    fn nbf(&self) -> Option<UnixTime> {
        None
    }
    fn exp(&self) -> Option<UnixTime> {
        Some(self.exp)
    }
    fn aud(&self) -> &jwt::Audiences {
        &self.aud
    }
    fn iss(&self) -> Option<&jwt::IssuerRef> {
        Some(&self.iss)
    }
    fn sub(&self) -> Option<&jwt::SubjectRef> {
        Some(&self.sub)
    }
}

impl HasScope for CustomClaims {
    fn scope(&self) -> &Scope {
        &self.scope
    }
}

async fn private(AllowAny(c): AllowAny) -> Json<String> {
    Json(c.sub.to_string())
}

async fn private_scoped(ReadMessages(c): ReadMessages) -> Json<String> {
    Json(c.sub.to_string())
}

#[tokio::main]
async fn main() {
    let env = |k: &str| std::env::var(k).unwrap_or_else(|_| panic!("{k} is not set"));
    let issuer = format!("https://{}/", env("AUTH0_DOMAIN"));
    let validator = jwt::CoreValidator::default()
        .add_approved_algorithm(jwa::Algorithm::RS256)
        .add_allowed_audience(jwt::Audience::from(env("AUTH0_AUDIENCE")))
        .require_issuer(jwt::Issuer::from(issuer.clone()));
    let authority = Authority::new_from_url(format!("{issuer}.well-known/jwks.json"), validator)
        .await
        .expect("JWKS");
    authority.spawn_refresh(Duration::from_secs(600));
    let authorizer = Oauth2Authorizer::new()
        .with_claims::<CustomClaims>()
        .with_terse_error_handler();
    let app = Router::new()
        .route("/api/private", get(private))
        .route("/api/private-scoped", get(private_scoped))
        .layer(authorizer.jwt_layer(authority));
    let port = std::env::var("PORT").unwrap_or_else(|_| "5090".into());
    let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{port}"))
        .await
        .expect("bind");
    axum::serve(listener, app).await.expect("serve");
}
