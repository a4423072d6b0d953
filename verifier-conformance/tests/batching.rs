//! Key-set cases on a verifier that fetches the JWKS once, on its first token, and never again
//! (auth0-api-python behaves so). The first refresh of the batch is its first fetch, so the
//! JWKS-variant cases are observed; a rotation must reach a verifier that already cached a key
//! set, so KEY-02 is refused as it would be in production; and without a second fetch a removed
//! key cannot be told from a cached one, so KEY-03's withdrawal is skipped, not failed.

use std::sync::Arc;

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use mock_idp::MockTenant;
use serde_json::Value;
use tokio::sync::OnceCell;
use verifier_conformance::{Catalog, Class, Grade, Runner, Target};

use crate::support::serve_router;

/// A Bearer verifier on jsonwebtoken whose JWKS is fetched once.
async fn fetch_once_verifier(tenant: &MockTenant) -> String {
    let http = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(tenant.ca().pem().as_bytes()).unwrap())
        .no_proxy()
        .build()
        .unwrap();
    let jwks_url = format!("{}.well-known/jwks.json", tenant.issuer());
    let issuer = tenant.issuer().to_owned();
    let audience = tenant.audience().to_owned();
    let keys: Arc<OnceCell<JwkSet>> = Arc::new(OnceCell::new());
    let app = axum::Router::new().fallback(move |headers: HeaderMap| {
        let (http, jwks_url, keys) = (http.clone(), jwks_url.clone(), keys.clone());
        let (issuer, audience) = (issuer.clone(), audience.clone());
        async move {
            let refuse = || {
                (
                    StatusCode::UNAUTHORIZED,
                    [(header::WWW_AUTHENTICATE, "Bearer error=\"invalid_token\"")],
                )
                    .into_response()
            };
            let Some(token) = headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
            else {
                return (
                    StatusCode::UNAUTHORIZED,
                    [(header::WWW_AUTHENTICATE, "Bearer realm=\"api\"")],
                )
                    .into_response();
            };
            let set = keys
                .get_or_init(|| async {
                    let fetched = async { http.get(&jwks_url).send().await?.json().await };
                    fetched.await.unwrap_or(JwkSet { keys: Vec::new() })
                })
                .await;
            let verified = (|| {
                let kid = jsonwebtoken::decode_header(token).ok()?.kid?;
                let key = DecodingKey::from_jwk(set.find(&kid)?).ok()?;
                let mut v = Validation::new(Algorithm::RS256);
                v.set_audience(&[&audience]);
                v.set_issuer(&[&issuer]);
                jsonwebtoken::decode::<Value>(token, &key, &v).ok()
            })();
            match verified {
                Some(_) => "ok".into_response(),
                None => refuse(),
            }
        }
    });
    serve_router(app).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_verifier_that_fetches_once_is_graded_on_what_it_can_show() {
    let tenant = MockTenant::start().await;
    let base = fetch_once_verifier(&tenant).await;
    let only: Vec<String> = ["KEY-02", "KEY-03", "KEY-06"].map(String::from).to_vec();
    let before = tenant.journal().jwks_fetches();
    let report = Runner::new(&tenant, Target::new(base))
        .catalog(Catalog::all().only(&only))
        .progress(false)
        .run()
        .await
        .unwrap();
    assert_eq!(
        tenant.journal().jwks_fetches() - before,
        1,
        "{}",
        report.table()
    );

    let key02 = report.case("KEY-02").unwrap();
    assert!(matches!(key02.grade, Grade::Fail(_)), "{}", report.table());
    assert_eq!(key02.class, Some(Class::WronglyRefused));

    let key03 = report.case("KEY-03").unwrap();
    let steps: Vec<(&str, &Grade)> = key03
        .steps
        .iter()
        .map(|s| (s.label.as_str(), &s.grade))
        .collect();
    assert_eq!(steps.len(), 3, "{steps:?}");
    assert_eq!(steps[0], ("while published", &Grade::Pass));
    assert_eq!(steps[1], ("unknown kid (forces a refresh)", &Grade::Pass));
    assert_eq!(steps[2].0, "withdrawal");
    assert!(
        matches!(steps[2].1, Grade::Skip(why) if why.starts_with("the target did not fetch its JWKS again")),
        "{steps:?}"
    );
    assert!(matches!(key03.grade, Grade::Skip(_)));

    // Its `use: enc` key was in the one key set it loaded: jsonwebtoken ignores `use`.
    let key06 = report.case("KEY-06").unwrap();
    let labels: Vec<&str> = key06.steps.iter().map(|s| s.label.as_str()).collect();
    assert_eq!(labels, ["control (fresh published kid)", "use:enc"]);
    assert_eq!(
        key06.class,
        Some(Class::WronglyAccepted),
        "{}",
        report.table()
    );
}
