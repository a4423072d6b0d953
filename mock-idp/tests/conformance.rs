//! `mock-idp conformance` end to end: the binary runs its own tenant, prints the `.env`, plays
//! cases against a real listener and writes its reports; the exit status follows `--fail-on`.

use std::process::Command;

use crate::support::TempDir;

/// A "verifier" that accepts everything: every rejection case must fail against it.
async fn accept_everything() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = axum::Router::new().fallback(|| async { "ok" });
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    base
}

fn conformance(dir: &TempDir, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mock-idp"));
    c.arg("--state-dir")
        .arg(dir.path())
        .arg("--fixture-keys")
        .arg("conformance")
        .args(["--tenant-port", "0", "--wait-secs", "10"])
        .args(args);
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_reports_and_fails_on_m_cases() {
    let dir = TempDir::new("cli-conformance");
    let base = accept_everything().await;
    let json = dir.path().join("r.json");
    let junit = dir.path().join("r.xml");
    let mut cmd = conformance(&dir, &["--target", &base, "--only", "SIG-01,AUD-01"]);
    cmd.arg("--json").arg(&json).arg("--junit").arg(&junit);
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("AUTH0_DOMAIN=localhost:"), "{stdout}");
    assert!(stdout.contains("SSL_CERT_FILE="), "{stdout}");
    assert!(
        stdout.contains("SIG-01") && stdout.contains("FAIL"),
        "{stdout}"
    );
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(report["results"].as_array().unwrap().len(), 2);
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("<failure") && xml.contains("AUD-01"), "{xml}");

    // A run whose cases all pass exits 0 whatever the threshold.
    let mut cmd = conformance(
        &dir,
        &["--target", &base, "--only", "AUD-01", "--fail-on", "M,S"],
    );
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn bad_flags_are_refused_with_a_reason() {
    let dir = TempDir::new("cli-conformance-flags");
    let out = conformance(
        &dir,
        &["--target", "http://127.0.0.1:9", "--dpop-mode", "sometimes"],
    )
    .output()
    .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--dpop-mode sometimes"));
    let out = conformance(&dir, &[]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("--target"));
}
