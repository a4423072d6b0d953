//! RFC 9728 protected-resource metadata: the document built from the options, its URL (root
//! and path-suffixed forms), the route, and `resource_metadata="…"` on every 401 challenge and
//! on nothing else.

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use http::{Request, StatusCode};
use serde_json::json;
use tower::ServiceExt;

use super::support::*;
use crate::resource_metadata::{self, ResourceMetadata};
use crate::{ConfigError, DpopMode, Verifier, VerifierOptions, auth_layer, require_scope};

const META: &str = "https://api.example.com/.well-known/oauth-protected-resource";

fn with_metadata(o: VerifierOptions) -> VerifierOptions {
    o.public_base_url("https://api.example.com")
        .resource_metadata(
            ResourceMetadata::new("https://api.example.com").scopes_supported(["read:messages"]),
        )
}

fn app(v: Verifier) -> Router {
    Router::new()
        .route("/api/private", get(|| async { "private" }))
        .route(
            "/api/scoped",
            get(|| async { "scoped" }).route_layer(require_scope(v.clone(), "read:messages")),
        )
        .route_layer(auth_layer(v.clone(), &[]))
        .merge(resource_metadata::router(&v))
}

async fn get_with(app: Router, path: &str, fields: &[(&str, &str)]) -> http::Response<Body> {
    let mut b = Request::get(path).header("host", "api.example.com");
    for (k, v) in fields {
        b = b.header(*k, *v);
    }
    app.oneshot(b.body(Body::empty()).unwrap()).await.unwrap()
}

fn www(r: &http::Response<Body>) -> &str {
    r.headers()["www-authenticate"].to_str().unwrap()
}

#[tokio::test]
async fn the_document_is_built_from_the_options_and_served_at_the_root_form() {
    let env = Env::with(with_metadata).await;
    let resp = get_with(
        app(env.verifier.clone()),
        "/.well-known/oauth-protected-resource",
        &[],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "application/json");
    assert_eq!(resp.headers()["access-control-allow-origin"], "*");
    let body = axum::body::to_bytes(resp.into_body(), 1 << 16)
        .await
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        doc,
        json!({
            "resource": "https://api.example.com",
            "authorization_servers": [env.iss],
            "scopes_supported": ["read:messages"],
            "bearer_methods_supported": ["header"],
            "dpop_signing_alg_values_supported": ["ES256"],
            "dpop_bound_access_tokens_required": false,
        })
    );
    assert_eq!(env.verifier.resource_metadata().unwrap().url(), META);
}

#[tokio::test]
async fn a_resource_under_a_path_is_described_at_the_path_suffixed_form_only() {
    let env = Env::with(|o| {
        o.dpop_mode(DpopMode::Required).resource_metadata(
            ResourceMetadata::new("https://api.example.com/mcp/")
                .authorization_servers(["https://as.example.com/"]),
        )
    })
    .await;
    let published = env.verifier.resource_metadata().unwrap();
    assert_eq!(
        published.url(),
        "https://api.example.com/.well-known/oauth-protected-resource/mcp"
    );
    let app = app(env.verifier.clone());
    let resp = get_with(
        app.clone(),
        "/.well-known/oauth-protected-resource/mcp",
        &[],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let body = axum::body::to_bytes(resp.into_body(), 1 << 16)
        .await
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(doc["resource"], "https://api.example.com/mcp/");
    assert_eq!(
        doc["authorization_servers"],
        json!(["https://as.example.com/"])
    );
    assert_eq!(doc["dpop_bound_access_tokens_required"], true);
    assert!(doc.get("scopes_supported").is_none());
    // The root form would describe another resource (RFC 9728 §3.3): not served.
    let resp = get_with(app, "/.well-known/oauth-protected-resource", &[]).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn dpop_disabled_advertises_no_proof_algorithms() {
    let env = Env::with(|o| with_metadata(o).dpop_mode(DpopMode::Disabled)).await;
    let doc = env.verifier.resource_metadata().unwrap().document();
    assert!(doc.get("dpop_signing_alg_values_supported").is_none());
    assert_eq!(doc["dpop_bound_access_tokens_required"], false);
}

#[tokio::test]
async fn every_401_carries_the_metadata_url_on_every_challenge() {
    let env = Env::with(with_metadata).await;
    let app = app(env.verifier.clone());
    let m = format!("resource_metadata=\"{META}\"");

    let none = get_with(app.clone(), "/api/private", &[]).await;
    assert_eq!(none.status(), 401);
    assert_eq!(
        www(&none),
        format!(r#"Bearer realm="api", {m}, DPoP {m}, algs="ES256""#)
    );

    let basic = get_with(
        app.clone(),
        "/api/private",
        &[("authorization", "Basic Zm9vOmJhcg==")],
    )
    .await;
    assert_eq!(basic.status(), 401);
    assert_eq!(
        www(&basic),
        format!(r#"Bearer realm="api", {m}, DPoP {m}, algs="ES256""#)
    );

    let bad = get_with(
        app.clone(),
        "/api/private",
        &[("authorization", "Bearer a.b.c")],
    )
    .await;
    assert_eq!(bad.status(), 401);
    assert_eq!(
        www(&bad),
        format!(
            r#"Bearer realm="api", {m}, error="invalid_token", error_description="Invalid token", DPoP {m}, algs="ES256""#
        )
    );

    let dpop = get_with(
        app.clone(),
        "/api/private",
        &[("authorization", &format!("DPoP {}", env.ok_token()))],
    )
    .await;
    assert_eq!(dpop.status(), 401);
    assert_eq!(
        www(&dpop),
        format!(
            r#"Bearer realm="api", {m}, DPoP {m}, error="invalid_dpop_proof", error_description="Missing DPoP proof", algs="ES256""#
        )
    );
}

#[tokio::test]
async fn no_metadata_url_on_400_or_403_and_none_without_the_option() {
    let env = Env::with(with_metadata).await;
    let router = app(env.verifier.clone());

    // 400: the request is malformed; the metadata would not help.
    let two = get_with(
        router.clone(),
        "/api/private",
        &[("authorization", "Bearer")],
    )
    .await;
    assert_eq!(two.status(), 400);
    assert!(!www(&two).contains("resource_metadata"), "{}", www(&two));

    // 403: a valid token without the scope; the challenge names the scope instead.
    let mut claims = env.claims();
    claims.insert("scope".into(), json!("other"));
    let t = env.token(&claims);
    let scoped = get_with(
        router.clone(),
        "/api/scoped",
        &[("authorization", &format!("Bearer {t}"))],
    )
    .await;
    assert_eq!(scoped.status(), 403);
    assert_eq!(
        www(&scoped),
        r#"Bearer realm="api", error="insufficient_scope", error_description="Insufficient scope", scope="read:messages", DPoP algs="ES256""#
    );

    // The good token passes; nothing of the metadata touches a success.
    let ok = get_with(
        router.clone(),
        "/api/private",
        &[("authorization", &format!("Bearer {}", env.ok_token()))],
    )
    .await;
    assert_eq!(ok.status(), 200);

    // Without the option: the same 401 as before, and no route.
    let plain = Env::new().await;
    let plain_app = app(plain.verifier.clone());
    let none = get_with(plain_app.clone(), "/api/private", &[]).await;
    assert_eq!(www(&none), r#"Bearer realm="api", DPoP algs="ES256""#);
    let doc = get_with(plain_app, "/.well-known/oauth-protected-resource", &[]).await;
    assert_eq!(doc.status(), StatusCode::NOT_FOUND);
}

#[test]
fn unusable_resources_stop_the_verifier_from_being_built() {
    let build = |resource: &str| {
        Verifier::new(
            VerifierOptions::new("tenant.example.com", "https://api.example.com")
                .resource_metadata(ResourceMetadata::new(resource)),
        )
    };
    for bad in [
        "api.example.com",
        "http://api.example.com",
        "https://api.example.com/?x=1",
        "https://api.example.com/#f",
        "https://user@api.example.com/",
        "ftp://api.example.com/",
    ] {
        assert!(
            matches!(build(bad), Err(ConfigError::InvalidResource { .. })),
            "{bad} was accepted"
        );
    }
    for good in [
        "https://api.example.com",
        "http://127.0.0.1:3000/mcp",
        "http://localhost:8080",
    ] {
        assert!(build(good).is_ok(), "{good} was refused");
    }
    let resolver_only = Verifier::new(
        VerifierOptions::with_domains(vec![], "https://api.example.com")
            .domain_resolver(std::sync::Arc::new(|_, _| vec![]))
            .resource_metadata(ResourceMetadata::new("https://api.example.com")),
    );
    assert!(matches!(
        resolver_only,
        Err(ConfigError::MissingAuthorizationServers)
    ));
}
