//! `mock-idp conformance` end to end: the binary runs its own tenant, prints the `.env`, plays
//! cases against a real listener and writes its reports; the exit status follows `--fail-on`.

use std::process::Command;

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use jsonwebtoken::{DecodingKey, Validation};
use mock_idp::MockTenant;
use mock_idp::jose::decode_unverified;
use serde_json::Value;
use verifier_conformance::{Catalog, Grade, Runner, Target};

use crate::support::TempDir;

/// Serves `app` on a free port of 127.0.0.1 until the test ends; its base URL. The one copy in
/// this binary (the runner's own tests have theirs in verifier-conformance/tests/support.rs).
pub(crate) async fn serve_router(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    base
}

/// A "verifier" that accepts everything: every rejection case must fail against it.
async fn accept_everything() -> String {
    let app = axum::Router::new().fallback(|| async { "ok" });
    serve_router(app).await
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
    // clap names the flag and the values it takes (the enum's, which the TOML spells alike).
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("invalid value 'sometimes' for '--dpop-mode"),
        "{err}"
    );
    assert!(
        err.contains("[possible values: disabled, allowed, required]"),
        "{err}"
    );
    let out = conformance(&dir, &[]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("--target"));
}

#[test]
fn list_prints_the_catalog_without_a_target() {
    let dir = TempDir::new("cli-conformance-list");
    let stdout = |out: std::process::Output| {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let md = stdout(
        conformance(&dir, &["--list", "--markdown"])
            .output()
            .unwrap(),
    );
    assert_eq!(md, Catalog::all().markdown());
    let md = stdout(
        conformance(&dir, &["--list", "--format", "markdown"])
            .output()
            .unwrap(),
    );
    assert_eq!(md, Catalog::all().markdown());
    let json = stdout(
        conformance(&dir, &["--list", "--format", "json", "--only", "TOK-05"])
            .output()
            .unwrap(),
    );
    assert_eq!(
        json,
        "[\n  {\n    \"id\": \"TOK-05\",\n    \"level\": \"M\",\n    \"group\": \"TOK\",\n    \
         \"title\": \"Non-canonical base64url\",\n    \"source\": \"RFC 7515 §2, §5.2\"\n  }\n]\n"
    );
    let list = stdout(
        conformance(&dir, &["--list", "--only", "KEY"])
            .output()
            .unwrap(),
    );
    assert_eq!(list, Catalog::all().only(&["KEY".into()]).list());
    assert_eq!(list.lines().count(), 1 + 18, "{list}");

    let out = conformance(&dir, &["--markdown"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--list"));
}

/// A DPoP-only "verifier" that advertises `advertised` and accepts any proof whose signature
/// verifies with its header `jwk` under its header `alg` (jsonwebtoken: every asymmetric alg
/// but ES512 and ES256K) when the alg is in `accepted`, and the token's `cnf.jkt` is that jwk.
/// Token signatures are not checked: only the DPoP alg cases are played against it.
async fn dpop_alg_verifier(advertised: &'static str, accepted: &'static [&'static str]) -> String {
    let app = axum::Router::new().fallback(move |headers: HeaderMap| async move {
        let refuse = |error: &str| {
            let challenge = match error {
                "" => format!("DPoP algs=\"{advertised}\""),
                e => format!("DPoP error=\"{e}\", algs=\"{advertised}\""),
            };
            (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, challenge)],
            )
                .into_response()
        };
        let get = |name| headers.get(name).and_then(|v| v.to_str().ok());
        let Some(token) = get(header::AUTHORIZATION.as_str()).and_then(|a| a.strip_prefix("DPoP "))
        else {
            return refuse("");
        };
        let Some(proof) = get("dpop") else {
            return refuse("invalid_dpop_proof");
        };
        let verified = (|| {
            let h = decode_unverified(proof).ok()?;
            let alg = h.header["alg"].as_str()?;
            if !accepted.contains(&alg) {
                return None;
            }
            let jwk: jsonwebtoken::jwk::Jwk =
                serde_json::from_value(h.header["jwk"].clone()).ok()?;
            let key = DecodingKey::from_jwk(&jwk).ok()?;
            let mut v = Validation::new(alg.parse().ok()?);
            v.required_spec_claims.clear();
            v.validate_exp = false;
            v.validate_aud = false;
            jsonwebtoken::decode::<Value>(proof, &key, &v).ok()?;
            let jkt = mock_idp::jose::jwk_thumbprint(&h.header["jwk"]).ok()?;
            let bound = decode_unverified(token).ok()?.payload["cnf"]["jkt"] == jkt;
            bound.then_some(())
        })();
        match verified {
            Some(()) => "ok".into_response(),
            None => refuse("invalid_dpop_proof"),
        }
    });
    serve_router(app).await
}

/// Plays DPP-08 and HDR-17 against `base`; their grades, in that order.
async fn alg_cases(tenant: &MockTenant, base: String) -> Vec<Grade> {
    let only = ["DPP-08".to_owned(), "HDR-17".to_owned()];
    let report = Runner::new(tenant, Target::new(base))
        .catalog(Catalog::all().only(&only))
        .progress(false)
        .run()
        .await
        .unwrap();
    ["DPP-08", "HDR-17"]
        .iter()
        .map(|id| {
            report
                .results
                .iter()
                .find(|r| r.id == *id)
                .unwrap()
                .grade
                .clone()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dpop_alg_cases_follow_the_advertised_algs() {
    let tenant = MockTenant::start().await;
    // Honest: advertises what it accepts, including algs beyond ES256. Every listed alg's
    // proof must verify for this to pass, so the mock's ES384, EdDSA and PS256 are real.
    const MANY: &[&str] = &["ES256", "ES384", "EdDSA", "PS256", "RS256"];
    let honest = dpop_alg_verifier("ES256 ES384 EdDSA PS256 RS256", MANY).await;
    let grades = alg_cases(&tenant, honest).await;
    assert!(grades.iter().all(|g| *g == Grade::Pass), "{grades:?}");
    // ES256 only, honestly.
    let es256 = dpop_alg_verifier("ES256", &["ES256"]).await;
    let grades = alg_cases(&tenant, es256).await;
    assert!(grades.iter().all(|g| *g == Grade::Pass), "{grades:?}");
    // Says ES256 but accepts more: an unlisted alg got through.
    let lax = dpop_alg_verifier("ES256", MANY).await;
    let grades = alg_cases(&tenant, lax).await;
    assert!(
        grades.iter().all(|g| matches!(g, Grade::Fail(_))),
        "{grades:?}"
    );
    // Says more than it accepts: a listed alg is refused.
    let boastful = dpop_alg_verifier("ES256 ES384 EdDSA PS256 RS256", &["ES256"]).await;
    let grades = alg_cases(&tenant, boastful).await;
    assert!(
        grades.iter().all(|g| matches!(g, Grade::Fail(_))),
        "{grades:?}"
    );
}

/// A "verifier" that refuses everything with a well-formed challenge: the refusal cases pass.
async fn refuse_everything() -> String {
    let app = axum::Router::new().fallback(|| async {
        (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer error=\"invalid_token\"")],
        )
            .into_response()
    });
    serve_router(app).await
}

/// The gate: `--write-baseline` records today's failures and exits 0; `--baseline` then passes
/// on the same failures, fails on a failure the file does not list, and fails when a listed
/// case passes (the bug was fixed: the file must say so).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_baseline_fails_on_new_failures_and_on_fixed_ones() {
    let dir = TempDir::new("cli-conformance-baseline");
    let accepting = accept_everything().await;
    let refusing = refuse_everything().await;
    let file = dir.path().join("baseline.json");
    let run = |base: &str, extra: Vec<String>| {
        let mut cmd = conformance(&dir, &["--target", base, "--only", "SIG-01,SIG-02"]);
        cmd.args(extra);
        async move {
            let out = tokio::task::spawn_blocking(move || cmd.output())
                .await
                .unwrap()
                .unwrap();
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            (out.status.code(), text)
        }
    };
    let path = file.display().to_string();

    let (code, out) = run(&accepting, vec!["--write-baseline".into(), path.clone()]).await;
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("wrote 2 known failure(s)"), "{out}");
    let written: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    let listed: Vec<(&str, &str)> = written["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["id"].as_str().unwrap(), f["class"].as_str().unwrap()))
        .collect();
    assert_eq!(
        listed,
        [
            ("SIG-01", "wrongly-accepted"),
            ("SIG-02", "wrongly-accepted")
        ]
    );

    // The same failures: the gate holds (exit 0 although M cases fail).
    let (code, out) = run(&accepting, vec!["--baseline".into(), path.clone()]).await;
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("matches the baseline"), "{out}");

    // A failure the file does not list: exit 1, named.
    let only_sig = serde_json::json!({"failures": [written["failures"][0].clone()]});
    std::fs::write(&file, only_sig.to_string()).unwrap();
    let (code, out) = run(&accepting, vec!["--baseline".into(), path.clone()]).await;
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("new failure  SIG-02 (accepted)"), "{out}");
    assert!(out.contains("1 new, 0 changed, 0 fixed"), "{out}");

    // Listed cases that pass now (a verifier that refuses them): exit 1, "remove it".
    std::fs::write(&file, written.to_string()).unwrap();
    let (code, out) = run(&refusing, vec!["--baseline".into(), path.clone()]).await;
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("fixed        SIG-01 passes now: remove it from the baseline")
            && out.contains("fixed        SIG-02 passes now"),
        "{out}"
    );
    assert!(out.contains("0 new, 0 changed, 2 fixed"), "{out}");
}

/// Refuses everything with a bare 401: right verdicts, no `WWW-Authenticate`.
async fn no_challenge() -> String {
    let app = axum::Router::new().fallback(|| async {
        (StatusCode::UNAUTHORIZED, "{\"error\":\"invalid_token\"}").into_response()
    });
    serve_router(app).await
}

fn conformance_fail_on(dir: &TempDir, base: &str, fail_on: &str) -> Command {
    let mut c = conformance(dir, &[]);
    c.args(["--target", base, "--only", "HDR-01,SIG-01,AUD-01"])
        .args(["--fail-on", fail_on]);
    c
}

async fn exit_code(mut cmd: Command) -> (Option<i32>, String) {
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
    let (code, err) = exit_code(conformance_fail_on(&dir, &open, "accepted")).await;
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("2 failure(s) counted by --fail-on accepted: HDR-01 SIG-01"),
        "{err}"
    );
    // Wrong form and wrongly refused only: a security gate passes, the level gate does not.
    let (code, err) = exit_code(conformance_fail_on(&dir, &bare, "accepted")).await;
    assert_eq!(code, Some(0), "{err}");
    let (code, err) = exit_code(conformance_fail_on(&dir, &bare, "M")).await;
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("3 failure(s) counted by --fail-on M"), "{err}");
    let (code, err) = exit_code(conformance_fail_on(&dir, &bare, "M,refused")).await;
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("1 failure(s) counted by --fail-on M,refused: AUD-01"),
        "{err}"
    );
    let (code, err) = exit_code(conformance_fail_on(&dir, &bare, "M,bogus")).await;
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("--fail-on M,bogus: use levels"), "{err}");
}

/// `conformance --help` opens with the gate recipe, then the three ways to run in order
/// (own tenant, attached, Rust), before the flags.
#[test]
fn help_opens_with_the_gate_then_the_three_ways_to_run() {
    let out = Command::new(env!("CARGO_BIN_EXE_mock-idp"))
        .args(["conformance", "--help"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    let at = |s: &str| {
        help.find(s)
            .unwrap_or_else(|| panic!("{s:?} not in:\n{help}"))
    };
    let order = [
        at("The gate (CI)"),
        at("--write-baseline conformance-baseline.toml"),
        at("1. Own tenant"),
        at("2. Attached to a running tenant"),
        at("3. In Rust"),
        at("Usage:"),
        at("      --shuffle"),
    ];
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}\n{help}");
}
