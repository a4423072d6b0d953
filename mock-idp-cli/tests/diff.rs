//! `mock-idp conformance diff` on two stored reports (`fixtures/report-*.json`, the shape
//! `--json` writes): what changed, regressions first, and an exit status a CI gate can use.

use std::process::{Command, Output};

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn diff(old: &str, new: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mock-idp"))
        .args(["conformance", "diff", &fixture(old), &fixture(new)])
        .output()
        .unwrap()
}

#[test]
fn a_regression_is_listed_first_and_fails_the_exit_status() {
    let out = diff("report-before.json", "report-after.json");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "REGRESSIONS (2)\n\
         \x20 TOK-05  M  Non-canonical base64url              PASS -> FAIL wrongly accepted  trailing bits set: expected 401 invalid_token, got 200\n\
         \x20 AUD-01  M  aud is the API (string)              PASS -> FAIL wrongly refused  aud = API: expected ACCEPT, got 401 invalid_token\n\
         IMPROVEMENTS (1)\n\
         \x20 SIG-01  M  alg none                             FAIL wrong form -> PASS\n\
         OTHER CHANGES (1)\n\
         \x20 KEY-02  S  Rotation: new key                    PASS -> SKIP  target did not pick up a key published under a new kid\n\
         2 regression(s), 1 improvement(s), 1 other change(s), 2 unchanged\n"
    );
}

#[test]
fn the_other_way_round_and_unchanged() {
    // Backwards, the fixed alg-none answer is what regressed (to a 401 without challenge).
    let out = diff("report-after.json", "report-before.json");
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.starts_with(
            "REGRESSIONS (1)\n  SIG-01  M  alg none                             PASS -> FAIL wrong form  \
             alg none: 401 without WWW-Authenticate (RFC 9110 §15.5.2)\nIMPROVEMENTS (2)\n"
        ),
        "{stdout}"
    );
    assert!(
        stdout.ends_with("1 regression(s), 2 improvement(s), 1 other change(s), 2 unchanged\n")
    );
    let same = diff("report-before.json", "report-before.json");
    assert_eq!(same.status.code(), Some(0));
    assert_eq!(
        String::from_utf8(same.stdout).unwrap(),
        "0 regression(s), 0 improvement(s), 0 other change(s), 6 unchanged\n"
    );
}

#[test]
fn a_malformed_report_is_one_line_and_exit_2() {
    let out = diff("report-before.json", "report-truncated.json");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("mock-idp: ")
            && err.contains("report-truncated.json is not a conformance JSON report: EOF"),
        "{err}"
    );
    let out = diff("report-before.json", "no-such-report.json");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("cannot read ") && err.contains("no-such-report.json"),
        "{err}"
    );
}
