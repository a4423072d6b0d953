//! The worker's life: an Action that throws, times out, returns a value, crashes the worker
//! or holds its event loop; restarts; start-up refusals (Node missing, code that does not
//! load); a tenant without Actions never needs Node.

use serde_json::json;

use super::*;

fn with_timeout(mut c: TenantConfig, timeout_ms: u64, memory_mb: u32) -> TenantConfig {
    c.actions_runtime.timeout_ms = timeout_ms;
    c.actions_runtime.memory_mb = memory_mb;
    c
}

#[tokio::test]
async fn a_throwing_action_fails_the_flow_with_its_message_and_a_journal_entry() {
    if !node_available() {
        return;
    }
    let throws = credentials_exchange(
        "throws",
        "exports.onExecuteCredentialsExchange = async (event, api) => {\
           console.log('about to fail', {n: 1});\
           throw new Error('upstream said no');\
         };",
    );
    let tenant = tenant(vec![throws]).await;
    let (status, body) = client_credentials(&tenant).await;
    assert_eq!(status, 403);
    assert_eq!(
        body,
        json!({"error": "access_denied", "error_description": "upstream said no"})
    );
    let runs = tenant.journal().action_executions();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].action, "throws");
    assert_eq!(runs[0].trigger, "credentials-exchange");
    assert_eq!(runs[0].outcome, "failed");
    assert_eq!(runs[0].message, "upstream said no");
    assert_eq!(runs[0].logs, ["about to fail {\"n\":1}"]);
}

#[tokio::test]
async fn an_action_that_returns_a_value_or_exports_nothing_fails() {
    if !node_available() {
        return;
    }
    let returns = post_login(
        "returns",
        "exports.onExecutePostLogin = async () => ({ claims: 1 });",
    );
    let tenant = tenant(vec![returns]).await;
    let (status, body) = password_login(&tenant, "openid").await;
    assert_eq!(status, 403);
    assert_eq!(
        body["error_description"],
        "the Action returned a value (object); Actions return nothing"
    );
    let nothing = credentials_exchange("empty", "exports.somethingElse = 1;");
    let tenant = super::tenant(vec![nothing]).await;
    let (status, body) = client_credentials(&tenant).await;
    assert_eq!(status, 403);
    assert_eq!(
        body["error_description"],
        "the Action exports no onExecuteCredentialsExchange function"
    );
}

#[tokio::test]
async fn timeouts_fail_the_flow_and_a_held_event_loop_restarts_the_worker() {
    if !node_available() {
        return;
    }
    let script = "exports.onExecuteCredentialsExchange = async (event, api) => {\
        const mode = event.request.body.mode;\
        if (mode === 'never') await new Promise(() => {});\
        if (mode === 'busy') { for (;;) {} }\
        if (mode === 'busy-later') { await null; for (;;) {} }\
        api.accessToken.setCustomClaim('https://example.com/ok', true);\
      };";
    let tenant = MockTenant::builder()
        .config(with_timeout(
            config(vec![credentials_exchange("slow", script)]),
            300,
            64,
        ))
        .start()
        .await;
    let run = |mode: &'static str| client_credentials_mode(&tenant, mode);
    // A promise that never settles, and a busy loop before the first await: the worker
    // answers for itself and lives on.
    for mode in ["never", "busy"] {
        let (status, body) = run(mode).await;
        assert_eq!(status, 403, "{mode}: {body}");
        let d = body["error_description"].as_str().unwrap();
        assert!(
            d == "the Action did not finish within 300 ms"
                || d == "Script execution timed out after 300ms",
            "{mode}: {d}"
        );
    }
    assert_eq!(tenant.journal().action_worker_restarts(), 0);
    // A busy loop after an await holds the event loop: the tenant kills the worker.
    let (status, body) = run("busy-later").await;
    assert_eq!(status, 403);
    assert_eq!(
        body["error_description"],
        "the Action did not finish within 300 ms (the worker was restarted)"
    );
    // The next execution gets a new worker with the Action loaded again.
    let (status, body) = run("fine").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        claims(&body, "access_token")["https://example.com/ok"],
        true
    );
    assert_eq!(tenant.journal().action_worker_restarts(), 1);
    let runs = tenant.journal().action_executions();
    assert_eq!(runs.len(), 4);
    assert!(
        runs[..3]
            .iter()
            .all(|r| r.outcome == "failed" && r.action == "slow")
    );
}

#[tokio::test]
async fn a_crashed_worker_fails_the_execution_and_is_restarted() {
    if !node_available() {
        return;
    }
    // Past the memory limit V8 aborts the process.
    let script = "exports.onExecuteCredentialsExchange = async (event, api) => {\
        if (event.request.body.mode === 'bomb') { const a = []; for (;;) a.push(new Array(1e6).fill(7)); }\
        api.accessToken.setCustomClaim('https://example.com/alive', true);\
      };";
    let tenant = MockTenant::builder()
        .config(with_timeout(
            config(vec![credentials_exchange("bomb", script)]),
            20_000,
            32,
        ))
        .start()
        .await;
    let post = |mode: &'static str| client_credentials_mode(&tenant, mode);
    let (status, body) = post("bomb").await;
    assert_eq!(status, 403, "{body}");
    let d = body["error_description"].as_str().unwrap();
    assert!(
        d.starts_with("the Actions worker exited during the execution ("),
        "{d}"
    );
    let (status, body) = post("fine").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        claims(&body, "access_token")["https://example.com/alive"],
        true
    );
    assert_eq!(tenant.journal().action_worker_restarts(), 1);
}

#[test]
fn without_node_a_tenant_with_actions_refuses_to_start_with_one_line() {
    let mut c = config(vec![post_login(
        "any",
        "exports.onExecutePostLogin = async () => {};",
    )]);
    c.actions_runtime.node = "/nonexistent/bin/node".into();
    let err = MockTenant::builder()
        .config(c.clone())
        .try_start()
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "the tenant has Actions but `/nonexistent/bin/node` was not found: install Node.js 20 or newer (Debian/Ubuntu: `apt-get install nodejs`) or set actions_runtime.node"
    );
    // Without Actions the same setting is never used: Node is not needed.
    c.actions.clear();
    let tenant = MockTenant::builder().config(c).try_start().unwrap();
    assert_eq!(tenant.journal().action_worker_restarts(), 0);
}

#[test]
fn an_action_that_does_not_load_stops_start_up_with_its_name() {
    if !node_available() {
        return;
    }
    let broken = post_login(
        "broken",
        "exports.onExecutePostLogin = async (event, api) => {",
    );
    let err = MockTenant::builder()
        .config(config(vec![broken]))
        .try_start()
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("action `broken`: SyntaxError"), "{err}");
    assert!(!err.contains('\n'), "{err}");
    let throws_at_load = credentials_exchange("top-level", "throw new Error('no config');");
    let err = MockTenant::builder()
        .config(config(vec![throws_at_load]))
        .try_start()
        .unwrap_err()
        .to_string();
    assert_eq!(err, "action `top-level`: Error: no config");
}

#[tokio::test]
async fn the_test_page_shows_the_last_executions() {
    if !node_available() {
        return;
    }
    let failing = credentials_exchange(
        "flaky-<b>",
        "exports.onExecuteCredentialsExchange = async (event, api) => { throw new Error('boom <script>'); };",
    );
    let tenant = builder(vec![failing])
        .admin_secret("actions-page-secret-0123")
        .start()
        .await;
    let (status, _) = client_credentials(&tenant).await;
    assert_eq!(status, 403);
    let http = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_der(&tenant.ca().der()).unwrap()])
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = http
        .post(format!("{}/dashboard/session", tenant.uri()))
        .form(&[("secret", "actions-page-secret-0123")])
        .send()
        .await
        .unwrap();
    let cookie = res.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let html = http
        .get(format!("{}/dashboard", tenant.uri()))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let start = html
        .find("data-testid=\"actions\"")
        .expect("an Actions section");
    let section = &html[start..start + html[start..].find("</section>").unwrap()];
    assert!(
        section.contains("<tr><td>flaky-&lt;b&gt;</td><td>credentials-exchange</td></tr>"),
        "{section}"
    );
    assert!(
        section.contains("<td>flaky-&lt;b&gt;</td><td>credentials-exchange</td><td>failed</td>"),
        "{section}"
    );
    assert!(
        section.contains("<td>boom &lt;script&gt;</td></tr>"),
        "{section}"
    );
}
