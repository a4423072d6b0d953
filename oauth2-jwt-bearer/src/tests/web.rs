//! The axum glue end to end with `oneshot`.

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use http::{Request, StatusCode};
use serde_json::{Map, Value, json};
use tower::ServiceExt;

use super::support::*;
use crate::{Authenticated, DpopMode, VerifiedRequest, Verifier, auth_layer, require_scope};

fn app(v: Verifier) -> Router {
    Router::new()
        .route("/api/public", get(|| async { "public" }))
        .route(
            "/api/private",
            get(|Authenticated(c): Authenticated| async move { c.sub().unwrap_or("").to_owned() }),
        )
        .route(
            "/api/private-scoped",
            get(|VerifiedRequest(v): VerifiedRequest| async move { format!("{:?}", v.scheme) })
                .route_layer(require_scope(v.clone(), "read:messages")),
        )
        .route(
            "/api/admin",
            get(|| async { "admin" }).route_layer(require_scope(v.clone(), "admin:write")),
        )
        .with_state(v)
}

async fn call(
    app: Router,
    path: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, http::HeaderMap, String) {
    let mut b = Request::get(path).header("host", "api.example.com");
    for (k, val) in fields {
        b = b.header(*k, *val);
    }
    let resp = app.oneshot(b.body(Body::empty()).unwrap()).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .unwrap();
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

fn www(h: &http::HeaderMap) -> String {
    h.get_all("www-authenticate")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect::<Vec<_>>()
        .join(" | ")
}

/// The claims of a DPoP proof of `token` for `GET https://api.example.com{path}`.
fn proof_claims_for(env: &Env, token: &str, path: &str) -> Map<String, Value> {
    let mut claims = env.proof_claims(token);
    claims.insert(
        "htu".into(),
        json!(format!("https://api.example.com{path}")),
    );
    claims
}

#[tokio::test]
async fn extractor_scope_and_layer() {
    let env = Env::with(|o| o.public_base_url("https://api.example.com")).await;
    let app = app(env.verifier.clone());
    let t = env.ok_token();
    let bearer = format!("Bearer {t}");

    let (s, h, body) = call(app.clone(), "/api/private", &[]).await;
    assert_eq!(s, 401);
    assert_eq!(www(&h), r#"Bearer realm="api", DPoP algs="ES256""#);
    assert_eq!(h["cache-control"], "no-store");
    assert_eq!(
        body,
        r#"{"error":"unauthorized","error_description":"Missing authorization"}"#
    );

    let (s, _, body) = call(app.clone(), "/api/private", &[("authorization", &bearer)]).await;
    assert_eq!((s, body.as_str()), (StatusCode::OK, "user|1"));
    let (s, _, body) = call(
        app.clone(),
        "/api/private-scoped",
        &[("authorization", &bearer)],
    )
    .await;
    assert_eq!((s, body.as_str()), (StatusCode::OK, "Bearer"));

    let (s, h, body) = call(app.clone(), "/api/admin", &[("authorization", &bearer)]).await;
    assert_eq!(s, 403);
    assert_eq!(
        www(&h),
        r#"Bearer realm="api", error="insufficient_scope", error_description="Insufficient scope", scope="admin:write", DPoP algs="ES256""#
    );
    assert!(body.contains("insufficient_scope"));

    // Authenticate before authorise: an invalid token on a scoped route is a 401.
    let (s, h, _) = call(
        app.clone(),
        "/api/admin",
        &[("authorization", "Bearer abc")],
    )
    .await;
    assert_eq!(s, 401);
    assert!(www(&h).contains(r#"error="invalid_token""#));

    // DPoP request lacking the scope: the error is on the DPoP challenge.
    let key = ec("dpop-client");
    let bound = env.token(&env.bound_claims(&key));
    let c = proof_claims_for(&env, &bound, "/api/admin");
    let p = env.proof_with(&key, &proof_header(&key), &c);
    let (s, h, _) = call(
        app.clone(),
        "/api/admin",
        &[("authorization", &format!("DPoP {bound}")), ("dpop", &p)],
    )
    .await;
    assert_eq!(s, 403);
    assert_eq!(
        www(&h),
        r#"Bearer realm="api", DPoP error="insufficient_scope", error_description="Insufficient scope", scope="admin:write", algs="ES256""#
    );
}

#[tokio::test]
async fn global_layer_with_public_paths_and_nonce_header() {
    let env = Env::with(|o| {
        o.public_base_url("https://api.example.com")
            .dpop_nonces(true)
            .dpop_mode(DpopMode::Required)
    })
    .await;
    let v = env.verifier.clone();
    let app = Router::new()
        .route("/api/public", get(|| async { "public" }))
        .route(
            "/api/protected-data",
            get(|Authenticated(c): Authenticated| async move { c.sub().unwrap().to_owned() }),
        )
        .layer(auth_layer(v.clone(), &["/api/public"]))
        .with_state(v);
    let (s, _, _) = call(app.clone(), "/api/public", &[]).await;
    assert_eq!(s, 200);
    let (s, h, _) = call(app.clone(), "/api/protected-data", &[]).await;
    assert_eq!(
        (s.as_u16(), www(&h)),
        (401, r#"DPoP algs="ES256""#.to_owned())
    );

    let key = ec("dpop-client");
    let bound = env.token(&env.bound_claims(&key));
    let auth = format!("DPoP {bound}");
    let mut c = proof_claims_for(&env, &bound, "/api/protected-data");
    let p = env.proof_with(&key, &proof_header(&key), &c);
    let (s, h, body) = call(
        app.clone(),
        "/api/protected-data",
        &[("authorization", &auth), ("dpop", &p)],
    )
    .await;
    assert_eq!(s, 401);
    assert!(body.contains("use_dpop_nonce"));
    assert_eq!(h.get_all("dpop-nonce").iter().count(), 1);
    assert_eq!(h["cache-control"], "no-store");
    let nonce = h["dpop-nonce"].to_str().unwrap().to_owned();
    c.insert("nonce".into(), json!(nonce));
    c.insert("jti".into(), json!("second"));
    let p = env.proof_with(&key, &proof_header(&key), &c);
    let (s, h, body) = call(
        app.clone(),
        "/api/protected-data",
        &[("authorization", &auth), ("dpop", &p)],
    )
    .await;
    assert_eq!((s.as_u16(), body.as_str()), (200, "user|1"));
    assert_eq!(h.get_all("dpop-nonce").iter().count(), 1);
}

/// Rough hot-path cost: `cargo test --release -p protected-api --lib hot_path -- --ignored --nocapture`.
#[tokio::test]
#[ignore = "timing; run in release"]
async fn hot_path_speed() {
    let env = Env::with(|o| o.public_base_url("https://api.example.com")).await;
    let app = app(env.verifier.clone());
    let t = env.ok_token();
    let bearer = format!("Bearer {t}");
    let n = 200_000;
    let ctx = request(&[("authorization", &bearer)]);
    env.verifier.verify_request(&ctx).await.unwrap();
    let start = std::time::Instant::now();
    for _ in 0..n {
        env.verifier.verify_request(&ctx).await.unwrap();
    }
    let per = start.elapsed().as_secs_f64() / n as f64;
    println!("verify_request (cached Bearer): {:.0} ns", per * 1e9);

    let mut svc = app.clone();
    for (path, auth) in [
        ("/api/public", None),
        ("/api/private", Some(bearer.as_str())),
    ] {
        let start = std::time::Instant::now();
        for _ in 0..n / 4 {
            let mut b = Request::get(path).header("host", "api.example.com");
            if let Some(a) = auth {
                b = b.header("authorization", a);
            }
            let resp = (&mut svc)
                .oneshot(b.body(Body::empty()).unwrap())
                .await
                .unwrap();
            assert_eq!(resp.status(), 200);
        }
        let per = start.elapsed().as_secs_f64() / (n / 4) as f64;
        println!("router {path}: {:.0} ns/request", per * 1e9);
    }
    let fresh: Vec<String> = (0..2000).map(|_| env.ok_token()).collect();
    let start = std::time::Instant::now();
    for tok in &fresh {
        env.verifier.verify_access_token(tok, &[]).await.unwrap();
    }
    println!(
        "uncached RS256 verify: {:.0} ns",
        start.elapsed().as_secs_f64() / 2000.0 * 1e9
    );
}
