//! `mock-idp conformance --tenant URL`: attached to a separately started tenant (a
//! `MockTenant` with an admin secret standing in for `mock-idp serve`), the runner gives the
//! same grades as when it runs its own tenant, against the same real verifier.

use std::process::Command;
use std::time::Duration;

use mock_idp::MockTenant;
use oauth2_jwt_bearer::{Verifier, VerifierOptions};
use serde_json::Value;

use crate::conformance::serve_router;
use crate::support::TempDir;

const SECRET: &str = "attached-admin-secret-0123456789";

/// Key, issuer and token cases, the JWKS fault and rotation cases among them, a delayed JWKS
/// and a JWKS of a few MiB (both travel through the running tenant when attached).
const ONLY: &str = "KEY,ISS,TOK,RES-08,RES-09";

/// Our verifier on 127.0.0.1, trusting `domain`'s tenant (CA `ca_pem`), every route behind it.
async fn verifier(domain: &str, audience: &str, ca_pem: &str) -> String {
    let opts = VerifierOptions::new(domain, audience)
        .ca_pem(ca_pem.as_bytes().to_vec())
        .jwks_refresh_cooldown(Duration::from_millis(100));
    let verifier = Verifier::new(opts).unwrap();
    let app = axum::Router::new()
        .route("/api/private", axum::routing::get(|| async { "ok" }))
        .layer(oauth2_jwt_bearer::auth_layer(verifier, &[]));
    serve_router(app).await
}

/// Runs `mock-idp conformance --only only` with `args`; the case ids and grades (Pass, Fail,
/// Skip...) of its JSON report, without the notes (they may carry timings).
async fn grades(dir: &TempDir, name: &str, only: &str, args: Vec<String>) -> Vec<(String, String)> {
    let json = dir.path().join(name);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mock-idp"));
    cmd.arg("--state-dir")
        .arg(dir.path())
        .arg("--fixture-keys")
        .arg("conformance")
        .args([
            "--only",
            only,
            "--wait-secs",
            "10",
            "--jwks-cooldown-ms",
            "150",
        ])
        .arg("--json")
        .arg(&json)
        .args(args)
        .env_remove("MOCK_IDP_ADMIN_SECRET");
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap()
        .unwrap();
    let report: Value = serde_json::from_slice(&std::fs::read(&json).unwrap_or_default())
        .unwrap_or_else(|_| {
            panic!(
                "no report from {name}:\n{}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        });
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let grade = r["grade"]["grade"].as_str().unwrap();
            (r["id"].as_str().unwrap().to_owned(), grade.to_owned())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attached_to_a_running_tenant_the_grades_are_the_in_process_ones() {
    let dir = TempDir::new("cli-conformance-attached");
    // The "serve": its own state directory keys and CA, on a port both runs use.
    let serve = MockTenant::builder()
        .host("localhost")
        .state_dir(dir.path())
        .fixture_keys(true)
        .admin_secret(SECRET)
        .start()
        .await;
    let port = serve.urls().local_addr().port().to_string();
    let target = verifier(serve.domain(), serve.audience(), &serve.ca().pem()).await;

    let attached = grades(
        &dir,
        "attached.json",
        ONLY,
        vec![
            "--target".into(),
            target.clone(),
            "--tenant".into(),
            serve.uri().to_owned(),
            "--admin-secret".into(),
            SECRET.into(),
        ],
    )
    .await;
    // Detached at the end: the tenant serves its own keys again.
    let jwks: Value = serve
        .http_client()
        .get(serve.urls().jwks())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jwks, serve.keys().jwks());
    assert!(
        serve.journal().jwks_fetches() > 0,
        "the target fetched through serve"
    );

    // In process: the runner's own tenant on the same port, keys and CA.
    drop(serve);
    let in_process = grades(
        &dir,
        "in-process.json",
        ONLY,
        vec!["--target".into(), target, "--tenant-port".into(), port],
    )
    .await;
    assert!(in_process.len() > 30, "{in_process:?}");
    assert_eq!(attached, in_process);
    let passed = in_process.iter().filter(|(_, g)| *g == "Pass").count();
    assert!(passed > 20, "the verifier really graded: {in_process:?}");
}

/// Attached without `--tenant-config`, the runner plays by the running tenant's data: the
/// HS256 cases MAC with the secret of the running tenant's API, which the runner's defaults do
/// not have (they would grade SIG-19 against a secret the target never heard of).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attached_the_runner_uses_the_running_tenants_api_secret() {
    const HS256_API: &str = "https://hs256-api.example";
    const API_SECRET: &str = "the-running-tenants-hs256-secret";
    let dir = TempDir::new("cli-conformance-attached-hs256");
    let mut config = mock_idp::config::TenantConfig::default();
    config.apis.push(mock_idp::config::ApiConfig {
        signing_alg: "HS256".into(),
        signing_secret: Some(API_SECRET.into()),
        ..mock_idp::config::ApiConfig::new(HS256_API)
    });
    let serve = MockTenant::builder()
        .host("localhost")
        .state_dir(dir.path())
        .fixture_keys(true)
        .config(config)
        .admin_secret(SECRET)
        .start()
        .await;
    let opts = VerifierOptions::new(serve.domain(), HS256_API)
        .ca_pem(serve.ca().pem().into_bytes())
        .signing_secret(API_SECRET);
    let app = axum::Router::new()
        .route("/api/private", axum::routing::get(|| async { "ok" }))
        .layer(oauth2_jwt_bearer::auth_layer(
            Verifier::new(opts).unwrap(),
            &[],
        ));
    let target = serve_router(app).await;
    let graded = grades(
        &dir,
        "attached-hs256.json",
        "SIG-19,SIG-20,SIG-21,SIG-22,SIG-23",
        vec![
            "--target".into(),
            target,
            "--audience".into(),
            HS256_API.into(),
            "--hs256".into(),
            "--tenant".into(),
            serve.uri().to_owned(),
            "--admin-secret".into(),
            SECRET.into(),
        ],
    )
    .await;
    let expected: Vec<(String, String)> = (19..=23)
        .map(|n| (format!("SIG-{n}"), "Pass".to_owned()))
        .collect();
    assert_eq!(graded, expected);
}

#[tokio::test]
async fn attaching_says_why_it_cannot() {
    let dir = TempDir::new("cli-conformance-attach-errors");
    let serve = MockTenant::builder()
        .host("localhost")
        .state_dir(dir.path())
        .admin_secret(SECRET)
        .start()
        .await;
    let off = MockTenant::builder()
        .host("localhost")
        .state_dir(dir.path())
        .without_control_api()
        .start()
        .await;
    let gone = format!("https://localhost:{}", {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    });
    let cases = [
        (
            serve.uri().to_owned(),
            "wrong-secret-0123456789",
            "refused the admin secret (401",
        ),
        (off.uri().to_owned(), SECRET, "has no control API (404"),
        (gone, SECRET, "cannot reach the tenant at"),
    ];
    for (url, secret, expected) in cases {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_mock-idp"));
        cmd.arg("--state-dir")
            .arg(dir.path())
            .args([
                "conformance",
                "--target",
                "http://127.0.0.1:9",
                "--tenant",
                &url,
            ])
            .args(["--admin-secret", secret]);
        let out = tokio::task::spawn_blocking(move || cmd.output())
            .await
            .unwrap()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(expected), "{url}: {stderr}");
    }
}
