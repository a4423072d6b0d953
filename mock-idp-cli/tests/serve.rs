//! `mock-idp serve` as a container runs it: listening on every interface under an advertised
//! issuer, JSON logs, `healthcheck`, and a clean stop on SIGTERM.

use std::io::BufRead as _;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::support::TempDir;

fn mock_idp(dir: &TempDir) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mock-idp"));
    c.arg("--state-dir").arg(dir.path()).arg("--fixture-keys");
    c
}

/// Kills the child if a test fails before stopping it.
struct Served(std::process::Child);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn healthcheck(dir: &TempDir) -> std::process::Output {
    mock_idp(dir).arg("healthcheck").output().unwrap()
}

#[tokio::test]
async fn serve_binds_all_interfaces_under_an_advertised_issuer_and_logs_json() {
    let dir = TempDir::new("cli-serve-bind");
    let mut served = Served(
        mock_idp(&dir)
            .args(["serve", "--bind", "0.0.0.0", "--port", "0"])
            .args([
                "--issuer",
                "https://localhost:18443/",
                "--log-format",
                "json",
            ])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut lines = std::io::BufReader::new(served.0.stdout.take().unwrap()).lines();
    let banner: Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    assert_eq!(banner["event"], "listening");
    assert_eq!(banner["issuer"], "https://localhost:18443/");
    let listen: std::net::SocketAddr = banner["listen"].as_str().unwrap().parse().unwrap();
    assert!(listen.ip().is_unspecified(), "{listen}");

    // Reached on the listening port under the advertised name (as through `-p 18443:PORT`).
    let ca = std::fs::read(dir.path().join("ca.pem")).unwrap();
    let client = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&ca).unwrap()])
        .resolve("localhost", ([127, 0, 0, 1], listen.port()).into())
        .build()
        .unwrap();
    let doc: Value = client
        .get(format!(
            "https://localhost:{}/.well-known/openid-configuration",
            listen.port()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["issuer"], "https://localhost:18443/");
    assert_eq!(doc["token_endpoint"], "https://localhost:18443/oauth/token");

    let access: Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    assert_eq!(
        (
            access["event"].clone(),
            access["method"].clone(),
            access["path"].clone(),
            access["status"].clone()
        ),
        (
            "request".into(),
            "GET".into(),
            "/.well-known/openid-configuration".into(),
            200.into()
        )
    );
    assert!(access["ms"].is_number());

    // The health check finds it on the listening port, not the advertised one.
    let out = healthcheck(&dir);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "healthy: https://localhost:18443/health"
    );
}

#[test]
fn sigterm_stops_serve_cleanly_and_healthcheck_then_fails() {
    let dir = TempDir::new("cli-serve-term");
    let mut served = Served(
        mock_idp(&dir)
            .args(["serve", "--port", "0", "--host", "127.0.0.1"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let lines = std::io::BufReader::new(served.0.stdout.take().unwrap()).lines();
    for line in lines {
        if line.unwrap().starts_with("Press Ctrl-C") {
            break;
        }
    }
    assert!(healthcheck(&dir).status.success());
    let term = Command::new("kill")
        .args(["-TERM", &served.0.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let status = served.0.wait().unwrap();
    assert!(status.success(), "serve exits 0 on SIGTERM: {status}");
    let out = healthcheck(&dir);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unhealthy: https://127.0.0.1:"), "{err}");
}

#[test]
fn bad_bind_and_issuer_stop_serve_with_one_line() {
    let dir = TempDir::new("cli-serve-bad");
    for (args, want) in [
        (
            vec!["--bind", "everywhere"],
            "--bind everywhere: expected an IP address or IP:PORT, e.g. 0.0.0.0",
        ),
        (
            vec!["--issuer", "https://tenant:8443/path"],
            "--issuer https://tenant:8443/path: expected https://HOST[:PORT]/ (no path or query)",
        ),
    ] {
        let out = mock_idp(&dir).arg("serve").args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim(), format!("mock-idp: {want}"), "{args:?}");
    }
}

/// A tenant file with Actions on a machine without Node: `serve` stops with one line saying
/// what to install (Node is looked up on PATH, which is empty here).
#[test]
fn serve_without_node_for_a_tenant_with_actions_says_what_to_install() {
    let dir = TempDir::new("cli-serve-no-node");
    let toml = dir.path().join("tenant.toml");
    std::fs::write(
        &toml,
        "[[apis]]\nidentifier = \"https://api\"\n\n[[actions]]\nname = \"roles\"\ntrigger = \"post-login\"\nscript = \"exports.onExecutePostLogin = async () => {};\"\n",
    )
    .unwrap();
    let empty = dir.path().join("empty-path");
    std::fs::create_dir_all(&empty).unwrap();
    let out = mock_idp(&dir)
        .env("PATH", &empty)
        .args(["serve", "--port", "0", "--config"])
        .arg(&toml)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        err.trim(),
        "mock-idp: the tenant has Actions but `node` was not found: install Node.js 20 or newer (Debian/Ubuntu: `apt-get install nodejs`) or set actions_runtime.node"
    );
    assert_eq!(err.trim().lines().count(), 1);
}

/// The banner's `.env` for a tenant whose default API signs with HS256 names the algorithm
/// and the API's signing secret, as `mock-idp init` writes them: an API started from it
/// verifies the tenant's tokens.
#[test]
fn the_banner_prints_the_signing_secret_of_an_hs256_api() {
    let dir = TempDir::new("cli-serve-hs256");
    let toml = dir.path().join("tenant.toml");
    std::fs::write(
        &toml,
        "[[apis]]\nidentifier = \"https://hs-api\"\nsigning_alg = \"HS256\"\nsigning_secret = \"a-banner-secret-of-32-bytes-long\"\n",
    )
    .unwrap();
    let served = crate::deploy::serve(&dir, &["--config", toml.to_str().unwrap()], &[]);
    let env: Vec<&str> = served
        .banner
        .iter()
        .map(String::as_str)
        .skip_while(|l| !l.starts_with("A .env for an API"))
        .collect();
    assert!(env.contains(&"  AUTH0_AUDIENCE=https://hs-api"), "{env:?}");
    assert!(env.contains(&"  AUTH0_ALGORITHMS=HS256"), "{env:?}");
    assert!(
        env.contains(&"  AUTH0_SIGNING_SECRET=a-banner-secret-of-32-bytes-long"),
        "{env:?}"
    );
    // An RS256 API's banner names no secret.
    let dir = TempDir::new("cli-serve-rs256");
    let served = crate::deploy::serve(&dir, &[], &[]);
    assert!(
        !served
            .banner
            .iter()
            .any(|l| l.contains("AUTH0_SIGNING_SECRET") || l.contains("AUTH0_ALGORITHMS")),
        "{:?}",
        served.banner
    );
}
