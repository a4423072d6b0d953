//! Verdict classes on deliberately broken verifiers: one that accepts everything, one that
//! refuses everything with a proper challenge, one that refuses everything without a
//! challenge. Each case lands in the class its answer deserves, the reports say so, and
//! `--fail-on` can gate on a class.

use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use mock_idp::MockTenant;
use verifier_conformance::{Catalog, Class, Report, Runner, Target};

use crate::support::TempDir;

/// Serves `app` on 127.0.0.1; its base URL.
async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    base
}

async fn accept_everything() -> String {
    serve(axum::Router::new().fallback(|| async { "ok" })).await
}

async fn refuse_everything() -> String {
    serve(axum::Router::new().fallback(|| async {
        (
            StatusCode::UNAUTHORIZED,
            [(
                header::WWW_AUTHENTICATE,
                "Bearer realm=\"api\", error=\"invalid_token\"",
            )],
        )
            .into_response()
    }))
    .await
}

/// Refuses everything with a bare 401: right verdicts, no `WWW-Authenticate`.
async fn no_challenge() -> String {
    serve(axum::Router::new().fallback(|| async {
        (StatusCode::UNAUTHORIZED, "{\"error\":\"invalid_token\"}").into_response()
    }))
    .await
}

/// HDR-01 (no credentials: 401 without error), SIG-01 (alg none: refuse), AUD-01 (a good
/// token: accept).
const CASES: [&str; 3] = ["HDR-01", "SIG-01", "AUD-01"];

async fn play(tenant: &MockTenant, base: String) -> Report {
    let only: Vec<String> = CASES.iter().map(|s| s.to_string()).collect();
    Runner::new(tenant, Target::new(base))
        .catalog(Catalog::all().only(&only))
        .progress(false)
        .run()
        .await
        .unwrap()
}

/// `(id, grade, class)` per case, in catalog order.
fn outcomes(r: &Report) -> Vec<(String, String, Option<Class>)> {
    r.results
        .iter()
        .map(|c| {
            let grade = serde_json::to_value(&c.grade).unwrap()["grade"]
                .as_str()
                .unwrap()
                .to_owned();
            (c.id.clone(), grade, c.class)
        })
        .collect()
}

fn row(id: &str, grade: &str, class: Option<Class>) -> (String, String, Option<Class>) {
    (id.to_owned(), grade.to_owned(), class)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_broken_verifier_fails_in_its_class() {
    let tenant = MockTenant::start().await;

    let open = play(&tenant, accept_everything().await).await;
    assert_eq!(
        outcomes(&open),
        [
            row("HDR-01", "Fail", Some(Class::WronglyAccepted)),
            row("SIG-01", "Fail", Some(Class::WronglyAccepted)),
            row("AUD-01", "Pass", None),
        ]
    );
    let table = open.table();
    let top: Vec<&str> = table.lines().skip(2).take(3).collect();
    assert_eq!(
        top[0],
        "WRONGLY ACCEPTED (security): 2 case(s) let through what must be refused"
    );
    assert!(
        top[1].starts_with("  HDR-01  M  No credentials (RFC 6750 §3, §3.1; RFC 9110 §15.5.2): "),
        "{table}"
    );
    assert!(top[1].contains("got 200, expected 401 ∅"), "{table}");
    assert!(
        top[2].starts_with("  SIG-01  M  alg none (RFC 9068 §4; RFC 7518 §3.6; RFC 8725 §3.1): "),
        "{table}"
    );
    assert!(
        table.contains("\nwrongly accepted (security)         2    0    0    0     2\n"),
        "{table}"
    );
    let json: serde_json::Value = serde_json::from_str(&open.to_json()).unwrap();
    assert_eq!(
        json["classes"]["wrongly-accepted"]["cases"],
        serde_json::json!(["HDR-01", "SIG-01"])
    );
    assert_eq!(json["results"][1]["class"], "wrongly-accepted");
    let junit = open.to_junit();
    assert_eq!(
        junit.matches("<failure type=\"accepted\"").count(),
        2,
        "{junit}"
    );

    let closed = play(&tenant, refuse_everything().await).await;
    assert_eq!(
        outcomes(&closed),
        [
            // 401 with an error code where none is due: right verdict, SHOULD-level detail.
            row("HDR-01", "Tolerated", None),
            row("SIG-01", "Pass", None),
            row("AUD-01", "Fail", Some(Class::WronglyRefused)),
        ]
    );
    assert!(
        closed
            .table()
            .contains("\nWRONGLY ACCEPTED (security): none\n")
    );

    let bare = play(&tenant, no_challenge().await).await;
    assert_eq!(
        outcomes(&bare),
        [
            row("HDR-01", "Fail", Some(Class::WrongForm)),
            row("SIG-01", "Fail", Some(Class::WrongForm)),
            row("AUD-01", "Fail", Some(Class::WronglyRefused)),
        ]
    );
    assert_eq!(bare.in_class(Class::WrongForm).len(), 2);
    assert_eq!(
        bare.class_count(Class::WronglyRefused, verifier_conformance::Level::M),
        1
    );
}

fn conformance(dir: &TempDir, base: &str, fail_on: &str) -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_mock-idp"));
    c.arg("--state-dir")
        .arg(dir.path())
        .arg("--fixture-keys")
        .arg("conformance")
        .args(["--tenant-port", "0", "--wait-secs", "10"])
        .args(["--target", base, "--only", "HDR-01,SIG-01,AUD-01"])
        .args(["--fail-on", fail_on]);
    c
}

async fn exit_code(mut cmd: std::process::Command) -> (Option<i32>, String) {
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fail_on_a_class_gates_the_exit_status() {
    let dir = TempDir::new("cli-fail-on-class");
    let open = accept_everything().await;
    let bare = no_challenge().await;
    let (code, err) = exit_code(conformance(&dir, &open, "accepted")).await;
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("2 failure(s) counted by --fail-on accepted: HDR-01 SIG-01"),
        "{err}"
    );
    // Wrong form and wrongly refused only: a security gate passes, the level gate does not.
    let (code, err) = exit_code(conformance(&dir, &bare, "accepted")).await;
    assert_eq!(code, Some(0), "{err}");
    let (code, err) = exit_code(conformance(&dir, &bare, "M")).await;
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("3 failure(s) counted by --fail-on M"), "{err}");
    let (code, err) = exit_code(conformance(&dir, &bare, "M,refused")).await;
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("1 failure(s) counted by --fail-on M,refused: AUD-01"),
        "{err}"
    );
    let (code, err) = exit_code(conformance(&dir, &bare, "M,bogus")).await;
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("--fail-on M,bogus: use levels"), "{err}");
}
