//! Verdict classes on deliberately broken verifiers: one that accepts everything, one that
//! refuses everything with a proper challenge, one that refuses everything without a
//! challenge. Each case lands in the class its answer deserves, the reports say so, and
//! `--fail-on` can gate on a class.

use axum::http::StatusCode;
use axum::response::IntoResponse;
use mock_idp::MockTenant;
use verifier_conformance::{Catalog, Class, Report, Runner, Target};

use crate::support::{accept_everything, refuse_everything, serve_router};

/// Refuses everything with a bare 401: right verdicts, no `WWW-Authenticate`.
async fn no_challenge() -> String {
    serve_router(axum::Router::new().fallback(|| async {
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
