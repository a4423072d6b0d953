//! MCP-era clients: `RESOURCE_METADATA=true` makes the `protected-api` binary publish RFC 9728
//! protected-resource metadata and name it on every 401, so a client that knows nothing but the
//! API's URL finds the tenant. `PUBLIC_URL` and `AUTH0_AUDIENCE` must be one URL (the resource
//! clients call is the audience of their tokens): a mismatch stops start-up in one line.
//! The conformance PRM cases against the same settings are in `conformance.rs`.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};

use mock_idp::MockTenant;

use crate::support::*;

fn protected_api(dir: &TempDir, vars: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_protected-api"));
    command
        .env_clear()
        .env("NO_COLOR", "1")
        .current_dir(dir.path())
        .envs(vars.iter().copied())
        .stdin(Stdio::null());
    command
}

/// The API process, killed (by its id) when the test ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_mismatch_stops_start_up_in_one_line_naming_both_settings() {
    let dir = TempDir::new();
    let output = protected_api(
        &dir,
        &[
            ("AUTH0_DOMAIN", "tenant.us.auth0.com"),
            ("AUTH0_AUDIENCE", "https://api.example.com"),
            ("PUBLIC_URL", "https://api.example.com/v2"),
            ("RESOURCE_METADATA", "true"),
        ],
    )
    .output()
    .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "error: AUTH0_AUDIENCE=\"https://api.example.com\" and PUBLIC_URL=\"https://api.example.com/v2\" \
         disagree: with RESOURCE_METADATA on, the resource clients call and the audience of their \
         tokens are one URL (RFC 9728 §3.3, RFC 8707): make them equal\n"
    );
}

#[tokio::test]
async fn the_binary_publishes_the_metadata_and_names_it_on_every_401() {
    let tenant = MockTenant::start().await;
    let dir = TempDir::new();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let resource = format!("http://127.0.0.1:{port}");
    let ca = dir.write("ca.pem", &tenant.ca().pem());
    let mut child = protected_api(
        &dir,
        &[
            ("AUTH0_DOMAIN", tenant.domain()),
            ("AUTH0_AUDIENCE", &resource),
            ("PUBLIC_URL", &resource),
            ("RESOURCE_METADATA", "true"),
            ("AUTH0_CA_FILE", &ca.display().to_string()),
            ("PORT", &port.to_string()),
        ],
    )
    .stdout(Stdio::null())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let stderr = child.stderr.take().unwrap();
    let _running = Running(child);
    let marker = format!("protecting http://127.0.0.1:{port}");
    tokio::task::spawn_blocking(move || {
        let mut lines = BufReader::new(stderr).lines();
        for line in lines.by_ref() {
            if line.unwrap().contains(&marker) {
                std::thread::spawn(move || lines.for_each(drop));
                return;
            }
        }
        panic!("the API stopped before serving");
    })
    .await
    .unwrap();

    let api = client();
    let metadata_url = format!("{resource}/.well-known/oauth-protected-resource");
    let doc = api.get(&metadata_url).reply().await;
    assert_eq!(
        doc.assert_ok(),
        &serde_json::json!({
            "resource": resource,
            "authorization_servers": [tenant.issuer()],
            "scopes_supported": ["read:messages", "admin:write"],
            "bearer_methods_supported": ["header"],
            "dpop_signing_alg_values_supported": ["ES256"],
            "dpop_bound_access_tokens_required": false,
        })
    );

    let m = format!("resource_metadata=\"{metadata_url}\"");
    let missing = api.get(format!("{resource}/api/private")).reply().await;
    missing.assert_refused(
        401,
        "unauthorized",
        "Missing authorization",
        &format!(r#"Bearer realm="api", {m}, DPoP {m}, algs="ES256""#),
    );
    // A token the tenant issued for another resource (its default API) is refused.
    let other = tenant.token().build();
    let refused = api
        .get(format!("{resource}/api/private"))
        .bearer_auth(&other)
        .reply()
        .await;
    assert_eq!(refused.status, 401);
    assert_eq!(refused.body["error"], "invalid_token");
    assert!(refused.challenges()[0].contains(&m), "{refused:#?}");
    // A token for this resource passes; the scope check still answers 403 without the URL.
    let ours = tenant.token().audience(&resource).scope("").build();
    api.get(format!("{resource}/api/private"))
        .bearer_auth(&ours)
        .reply()
        .await
        .assert_ok();
    let scoped = api
        .get(format!("{resource}/api/private-scoped"))
        .bearer_auth(&ours)
        .reply()
        .await;
    assert_eq!(scoped.status, 403);
    assert!(!scoped.challenges()[0].contains("resource_metadata"));
}
