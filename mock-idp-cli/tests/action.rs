//! The GitHub Action (`conformance-action/`): its script run the way a runner runs it (the
//! inputs as the `CONFORMANCE_*` variables action.yml sets, `GITHUB_OUTPUT`, `GITHUB_WORKSPACE`,
//! `RUNNER_TEMP`, `GITHUB_ACTION_PATH`), with the `mock-idp` binary given as a released one,
//! against our API's `protected-api` binary started from the printed `.env`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::TempDir;

/// The repository root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Our API's binary, built beside `mock-idp` (`cargo test --workspace` builds both).
fn protected_api() -> PathBuf {
    let p = Path::new(env!("CARGO_BIN_EXE_mock-idp")).with_file_name("protected-api");
    assert!(
        p.exists(),
        "{} is missing: cargo build -p protected-api --bin protected-api (cargo test \
         --workspace builds it)",
        p.display()
    );
    p
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Run {
    status: Option<i32>,
    log: String,
    outputs: BTreeMap<String, String>,
}

/// Runs the action's script in `dir` (the workspace) with `inputs` as action.yml passes them.
fn run_action(dir: &TempDir, inputs: &[(&str, &str)]) -> Run {
    let workspace = dir.path().join("workspace");
    let runner_temp = dir.path().join("runner-temp");
    std::fs::create_dir_all(&workspace).unwrap();
    std::fs::create_dir_all(&runner_temp).unwrap();
    let output = dir.path().join("github-output");
    std::fs::write(&output, "").unwrap();
    let action = root().join("conformance-action");
    let port = free_port();
    let mut cmd = Command::new("bash");
    cmd.arg(action.join("run.sh"))
        .current_dir(&workspace)
        .env("GITHUB_OUTPUT", &output)
        .env("GITHUB_WORKSPACE", &workspace)
        .env("RUNNER_TEMP", &runner_temp)
        .env("GITHUB_ACTION_PATH", &action)
        .env("CONFORMANCE_MOCK_IDP", env!("CARGO_BIN_EXE_mock-idp"))
        .env(
            "CONFORMANCE_VERIFIER_COMMAND",
            format!("PORT={port} exec '{}'", protected_api().display()),
        )
        .env("CONFORMANCE_TARGET", format!("http://127.0.0.1:{port}"))
        // A free tenant port, and the signature cases only: the plumbing is under test here.
        .env("CONFORMANCE_ARGS", "--tenant-port 0 --only SIG-0")
        .env("CONFORMANCE_FAIL_ON", "M")
        .env("CONFORMANCE_REPORTS_DIR", "conformance-reports");
    for (k, v) in inputs {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let outputs = std::fs::read_to_string(&output)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    Run {
        status: out.status.code(),
        log: format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
        outputs,
    }
}

#[test]
fn the_action_gates_our_api_on_its_baseline_and_keeps_the_reports() {
    let dir = TempDir::new("conformance-action");
    let baseline = dir.path().join("workspace/gate/baseline.toml");
    std::fs::create_dir_all(baseline.parent().unwrap()).unwrap();

    // The recipe's first step: write the baseline (our API fails no M case: an empty one).
    let run = run_action(
        &dir,
        &[
            ("CONFORMANCE_BASELINE", "gate/baseline.toml"),
            ("CONFORMANCE_WRITE_BASELINE", "true"),
        ],
    );
    assert_eq!(run.status, Some(0), "{}", run.log);
    assert!(run.log.contains("wrote 0 known failure(s)"), "{}", run.log);
    let written = std::fs::read_to_string(&baseline).unwrap();
    assert!(written.contains("failures = []"), "{written}");

    // Then every run checks it: passed, with the reports and the step's outputs.
    let run = run_action(&dir, &[("CONFORMANCE_BASELINE", "gate/baseline.toml")]);
    assert_eq!(run.status, Some(0), "{}", run.log);
    assert!(run.log.contains("matches the baseline"), "{}", run.log);
    assert_eq!(run.outputs["result"], "passed");
    let reports = dir.path().join("workspace/conformance-reports");
    for (key, file) in [
        ("html", "report.html"),
        ("junit", "report.xml"),
        ("json", "report.json"),
    ] {
        assert_eq!(Path::new(&run.outputs[key]), reports.join(file));
        assert!(reports.join(file).metadata().unwrap().len() > 0, "{file}");
    }
    let xml = std::fs::read_to_string(reports.join("report.xml")).unwrap();
    assert!(xml.contains("SIG-01") && !xml.contains("<failure"), "{xml}");
    // The verifier really ran with the tenant's .env (its log is kept beside the reports).
    let api_log = std::fs::read_to_string(reports.join("verifier.log")).unwrap();
    assert!(!api_log.is_empty());

    // A stale baseline (it lists a case our API passes): the step fails and says why, and the
    // reports are still there for the upload step.
    std::fs::write(
        &baseline,
        "[[failures]]\nid = \"SIG-01\"\nclass = \"wrongly-accepted\"\n",
    )
    .unwrap();
    std::fs::remove_dir_all(&reports).unwrap();
    let run = run_action(&dir, &[("CONFORMANCE_BASELINE", "gate/baseline.toml")]);
    assert_eq!(run.status, Some(1), "{}", run.log);
    assert_eq!(run.outputs["result"], "failed");
    assert!(
        run.log
            .contains("fixed        SIG-01 passes now: remove it from the baseline"),
        "{}",
        run.log
    );
    assert!(
        run.log.contains("::error::conformance failed (exit 1)"),
        "{}",
        run.log
    );
    assert!(reports.join("report.html").exists());
}
