//! `mock-idp import`, `export` and `serve --config` of an `auth0-deploy-cli` export: the
//! imported API and clients get tokens over HTTPS; the running tenant exports back equal.

use std::io::BufRead as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use mock_idp::config::TenantConfig;
use mock_idp::config::deploy::client_id_for;
use serde_json::Value;

use crate::support::{TempDir, node_available, parts as claims};

pub(crate) const ADMIN: &str = "deploy-test-admin-secret";
const ORDERS: &str = "https://orders.example.com";
const KEYWORDS: &str = r#"{"API_AUDIENCE": "https://orders.example.com", "SPA_CALLBACKS": ["http://localhost:3000/callback"]}"#;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../mock-idp/fixtures/deploy-cli")
        .join(name)
}

pub(crate) fn mock_idp(dir: &TempDir) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mock-idp"));
    c.arg("--state-dir")
        .arg(dir.path())
        .arg("--fixture-keys")
        .env_remove("AUTH0_KEYWORD_REPLACE_MAPPINGS")
        .env("MOCK_IDP_ADMIN_SECRET", ADMIN);
    c
}

/// A running `serve`, killed on drop; its log (stderr) line by line.
pub(crate) struct Served {
    child: Child,
    pub(crate) port: u16,
    pub(crate) banner: Vec<String>,
    pub(crate) stderr: std::sync::mpsc::Receiver<String>,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `serve --port 0` with `args` and reads its text banner.
pub(crate) fn serve(dir: &TempDir, args: &[&str], env: &[(&str, &str)]) -> Served {
    let mut cmd = mock_idp(dir);
    cmd.args(["serve", "--port", "0"]).args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let err = std::io::BufReader::new(child.stderr.take().unwrap());
    let (tx, stderr) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in err.lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut banner = Vec::new();
    for line in stdout.by_ref() {
        let line = line.unwrap();
        let done = line.starts_with("Press Ctrl-C");
        banner.push(line);
        if done {
            break;
        }
    }
    let port = banner[0]
        .split_whitespace()
        .find_map(|w| w.parse::<std::net::SocketAddr>().ok())
        .unwrap_or_else(|| panic!("no address in {banner:?}"))
        .port();
    Served {
        child,
        port,
        banner,
        stderr,
    }
}

pub(crate) fn client(dir: &TempDir) -> reqwest::Client {
    let ca = std::fs::read(dir.path().join("ca.pem")).unwrap();
    reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&ca).unwrap()])
        .build()
        .unwrap()
}

/// client_credentials at the served tenant: the status and the body.
pub(crate) async fn token(
    dir: &TempDir,
    port: u16,
    client_id: &str,
    secret: &str,
    audience: &str,
) -> (u16, Value) {
    let res = client(dir)
        .post(format!("https://localhost:{port}/oauth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            ("client_secret", secret),
            ("audience", audience),
        ])
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

#[tokio::test]
async fn an_imported_export_serves_tokens_for_its_apis_and_clients() {
    // The fixture's export binds an Action, which Node runs.
    if !node_available() {
        return;
    }
    let dir = TempDir::new("cli-import");
    let toml = dir.path().join("tenant.toml");
    let keywords = dir.path().join("keywords.json");
    std::fs::write(&keywords, KEYWORDS).unwrap();
    let out = mock_idp(&dir)
        .arg("import")
        .arg(fixture("tenant.yaml"))
        .arg("--out")
        .arg(&toml)
        .arg("--keywords")
        .arg(&keywords)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    // One line per resource type left out, then where the generated secrets are, then the
    // file written.
    assert_eq!(lines.len(), 13, "{stderr}");
    assert!(
        lines.contains(
            &format!(
                "mock-idp: {}: ignored 3 emailTemplates (not modelled)",
                fixture("tenant.yaml").display()
            )
            .as_str()
        ),
        "{stderr}"
    );
    assert_eq!(
        lines[lines.len() - 2],
        format!(
            "mock-idp: generated secrets for Orders Worker, Back Office (2): client_secret in {}",
            toml.display()
        )
    );
    assert!(
        lines[lines.len() - 1].starts_with(&format!(
            "mock-idp: wrote {} (2 APIs, 3 applications, 2 roles, 1 organizations)",
            toml.display()
        )),
        "{stderr}"
    );
    let config = TenantConfig::load(&toml).unwrap();
    let worker = config.application(&client_id_for("Orders Worker")).unwrap();
    let secret = worker.client_secret.clone();

    // Importing again into the same file keeps the secrets.
    let again = mock_idp(&dir)
        .arg("import")
        .arg(fixture("tenant.yaml"))
        .arg("--out")
        .arg(&toml)
        .arg("--keywords")
        .arg(&keywords)
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&again.stderr).contains("generated"));
    assert_eq!(TenantConfig::load(&toml).unwrap(), config);

    let served = serve(&dir, &["--config", toml.to_str().unwrap()], &[]);
    let (status, body) = token(
        &dir,
        served.port,
        &client_id_for("Orders Worker"),
        &secret,
        ORDERS,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (header, payload) = claims(body["access_token"].as_str().unwrap());
    assert_eq!(header["alg"], "RS256");
    assert_eq!(payload["aud"], ORDERS);
    assert_eq!(payload["scope"], "read:orders write:orders");
    assert_eq!(
        payload["permissions"],
        serde_json::json!(["read:orders", "write:orders"])
    );
    assert_eq!(body["expires_in"], 3600);
    // A wrong secret is refused as Auth0 refuses it.
    let (status, body) = token(
        &dir,
        served.port,
        &client_id_for("Orders Worker"),
        "wrong",
        ORDERS,
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("access_denied")),
        "{body}"
    );
}

#[tokio::test]
async fn serve_takes_the_export_itself_and_prints_its_clients() {
    // The fixture's export binds an Action, which Node runs.
    if !node_available() {
        return;
    }
    let dir = TempDir::new("cli-serve-export");
    let served = serve(
        &dir,
        &["--config", fixture("directory").to_str().unwrap()],
        &[("AUTH0_KEYWORD_REPLACE_MAPPINGS", KEYWORDS)],
    );
    let id = client_id_for("Back Office");
    let line = served
        .banner
        .iter()
        .find(|l| l.contains(&id))
        .unwrap_or_else(|| panic!("{:?}", served.banner));
    // "  client:     ID / SECRET (Back Office)"
    let secret = line
        .split(" / ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .to_owned();
    assert!(line.ends_with("(Back Office)"), "{line}");
    let (status, body) = token(
        &dir,
        served.port,
        &id,
        &secret,
        "https://reports.example.com",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (header, payload) = claims(body["access_token"].as_str().unwrap());
    assert_eq!(
        (header["alg"].as_str(), header["typ"].as_str()),
        (Some("PS256"), Some("at+jwt"))
    );
    assert_eq!(payload["client_id"], id.as_str());
}

/// `serve --config` of a directory export with an Action bound to credentials-exchange: the
/// Action runs (it is no longer "ignored"), with the secret the export wrote.
#[tokio::test]
async fn serve_runs_the_actions_of_a_directory_export() {
    if !node_available() {
        return;
    }
    let dir = TempDir::new("cli-serve-actions");
    let export = dir.path().join("export");
    let write = |rel: &str, text: &str| {
        let p = export.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    write(
        "resource-servers/Orders API.json",
        r#"{"name": "Orders API", "identifier": "https://orders.example.com", "scopes": [{"value": "read:orders"}]}"#,
    );
    write(
        "clients/Worker.json",
        r#"{"name": "Worker", "app_type": "non_interactive", "grant_types": ["client_credentials"], "client_secret": "worker-secret"}"#,
    );
    write(
        "grants/Worker-Orders API.json",
        r#"{"client_id": "Worker", "audience": "https://orders.example.com", "scope": ["read:orders"]}"#,
    );
    write(
        "actions/tier.json",
        r#"{"name": "tier", "code": "./actions/tier/code.js", "runtime": "node18", "deployed": true,
            "secrets": [{"name": "TIER", "value": "gold"}],
            "supported_triggers": [{"id": "credentials-exchange", "version": "v2"}]}"#,
    );
    write(
        "actions/tier/code.js",
        "exports.onExecuteCredentialsExchange = async (event, api) => { api.accessToken.setCustomClaim('https://example.com/tier', event.secrets.TIER); };",
    );
    write(
        "triggers/triggers.json",
        r#"{"credentials-exchange": [{"action_name": "tier", "display_name": "tier"}]}"#,
    );
    let served = serve(&dir, &["--config", export.to_str().unwrap()], &[]);
    let (status, body) = token(
        &dir,
        served.port,
        &client_id_for("Worker"),
        "worker-secret",
        "https://orders.example.com",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (_, payload) = claims(body["access_token"].as_str().unwrap());
    assert_eq!(payload["https://example.com/tier"], "gold");
}

#[tokio::test]
async fn the_running_tenant_exports_as_toml_and_yaml_and_imports_back_equal() {
    // The fixture's export binds an Action, which Node runs.
    if !node_available() {
        return;
    }
    let dir = TempDir::new("cli-export");
    let toml = dir.path().join("tenant.toml");
    let out = mock_idp(&dir)
        .arg("import")
        .arg(fixture("tenant.yaml"))
        .arg("--out")
        .arg(&toml)
        .env("AUTH0_KEYWORD_REPLACE_MAPPINGS", KEYWORDS)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let imported = TenantConfig::load(&toml).unwrap();
    let _served = serve(&dir, &["--config", toml.to_str().unwrap()], &[]);

    let out = mock_idp(&dir)
        .args(["export", "--format", "toml"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let exported =
        TenantConfig::parse(&String::from_utf8_lossy(&out.stdout), "export.toml").unwrap();
    // The running tenant names its users' ids (derived from the email when the file did not).
    let mut running = imported.clone();
    for u in &mut running.users {
        u.user_id = u.id();
    }
    assert_eq!(exported, running);

    let yaml = dir.path().join("tenant.yaml");
    let out = mock_idp(&dir)
        .args(["export", "--format", "yaml", "--out"])
        .arg(&yaml)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "mock-idp: not in the Deploy CLI format: 1 users\nmock-idp: not in the Deploy CLI format: 1 actions (a0deploy export writes them with their code files)\n"
    );
    // Imported over the TOML it came from: the same tenant, secrets kept.
    let out = mock_idp(&dir)
        .arg("import")
        .arg(&yaml)
        .arg("--out")
        .arg(&toml)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The Action does not travel through the YAML text; the rest does.
    let mut without_actions = imported.clone();
    without_actions.actions.clear();
    assert_eq!(TenantConfig::load(&toml).unwrap(), without_actions);

    // Without the admin secret the running tenant is not exported.
    let out = mock_idp(&dir)
        .env_remove("MOCK_IDP_ADMIN_SECRET")
        .args(["export", "--admin-secret", "not-the-secret-at-all"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("answered 401"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

const WATCHED: &str = "https://watched.example.com";

fn watched_yaml(lifetime: u32, scopes: &[&str]) -> String {
    let list = |indent: &str| {
        scopes
            .iter()
            .map(|s| format!("{indent}- {s}\n"))
            .collect::<String>()
    };
    format!(
        "resourceServers:\n  - identifier: {WATCHED}\n    token_lifetime: {lifetime}\n    scopes:\n{}\
         clients:\n  - name: Watcher\n    app_type: non_interactive\n\
         clientGrants:\n  - client_id: Watcher\n    audience: {WATCHED}\n    scope:\n{}",
        scopes
            .iter()
            .map(|s| format!("      - value: {s}\n"))
            .collect::<String>(),
        list("      "),
    )
}

/// The next log line (the watcher polls every half second; a reload shows within seconds).
fn next_line(served: &Served) -> String {
    served
        .stderr
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("a log line from the watcher")
}

#[tokio::test]
async fn serve_watch_reloads_a_changed_file_and_keeps_the_old_one_when_the_new_one_is_bad() {
    let dir = TempDir::new("cli-watch");
    let file = dir.path().join("tenant.yaml");
    std::fs::write(&file, watched_yaml(600, &["read:x"])).unwrap();
    let served = serve(&dir, &["--config", file.to_str().unwrap(), "--watch"], &[]);
    let id = client_id_for("Watcher");
    // The generated secret is printed once, in the banner.
    assert_eq!(
        next_line(&served),
        format!("mock-idp: generated secrets for Watcher (1): the banner's client lines")
    );
    let line = served.banner.iter().find(|l| l.contains(&id)).unwrap();
    let secret = line
        .split(" / ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .to_owned();
    let (status, body) = token(&dir, served.port, &id, &secret, WATCHED).await;
    assert_eq!(
        (status, body["expires_in"].as_i64()),
        (200, Some(600)),
        "{body}"
    );
    assert_eq!(body["scope"], "read:x");

    // A change: the next token reflects it, with the same secret (kept across the reload).
    std::fs::write(&file, watched_yaml(900, &["read:x", "write:x"])).unwrap();
    assert_eq!(
        next_line(&served),
        format!("mock-idp: reloaded {}", file.display())
    );
    let (status, body) = token(&dir, served.port, &id, &secret, WATCHED).await;
    assert_eq!(
        (status, body["expires_in"].as_i64()),
        (200, Some(900)),
        "{body}"
    );
    assert_eq!(body["scope"], "read:x write:x");

    // Malformed YAML: one line naming the file and line; the configuration in force stays.
    std::fs::write(&file, "resourceServers:\n  - identifier: [oops\n").unwrap();
    let line = next_line(&served);
    assert!(
        line.starts_with(&format!("mock-idp: {}: line ", file.display()))
            && line.ends_with("(reload refused: the previous configuration stays)"),
        "{line}"
    );
    let (status, body) = token(&dir, served.port, &id, &secret, WATCHED).await;
    assert_eq!(
        (status, body["expires_in"].as_i64()),
        (200, Some(900)),
        "{body}"
    );

    // Valid YAML the tenant refuses (a callback that is not a URL): the same.
    let bad = format!(
        "{}    callbacks: [not-a-url]\n",
        watched_yaml(60, &["read:x"]).replace(
            "    app_type: non_interactive\n",
            "    app_type: non_interactive\n    callbacks: [not-a-url]\n"
        )
    );
    std::fs::write(&file, bad).unwrap();
    assert_eq!(
        next_line(&served),
        format!(
            "mock-idp: {}: applications[0].callbacks: `not-a-url` is not an absolute URL (reload refused: the previous configuration stays)",
            file.display()
        )
    );
    let (status, body) = token(&dir, served.port, &id, &secret, WATCHED).await;
    assert_eq!(
        (status, body["expires_in"].as_i64()),
        (200, Some(900)),
        "{body}"
    );

    // Nothing else was logged.
    assert!(
        served
            .stderr
            .recv_timeout(std::time::Duration::from_secs(1))
            .is_err()
    );
}
