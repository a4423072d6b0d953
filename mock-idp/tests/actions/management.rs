//! Actions over Auth0's Management API (`/api/v2/actions/`), over HTTPS: an Action created,
//! deployed and bound puts its claim in the next token; an undeployed or unbound one never
//! runs; a changed draft runs only once deployed, and an execution under way when a deploy
//! lands finishes on its version; secrets go in and never come out (answers, journal); a
//! restart keeps them. What the routes refuse, and the attackers: `management_refusals`.

use mock_idp::MockTenant;
use mock_idp::config::{ApplicationConfig, MANAGEMENT_API};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{claims, client_credentials, config, node_available, password_login};
use crate::control::call_as;

pub(super) const SECRET: &str = "test-admin-secret-0123456789";
/// The secret value the Actions read; it must never be seen again.
pub(super) const LEVEL: &str = "gold-level-secret-value";

pub(super) async fn tenant_with(node: &str) -> MockTenant {
    let mut c = config(Vec::new());
    c.actions_runtime.node = node.to_owned();
    let mut ops = ApplicationConfig::machine("ops-client", "ops-secret");
    ops.grants.insert(
        MANAGEMENT_API.into(),
        vec!["read:actions".into(), "update:actions".into()],
    );
    c.applications.push(ops);
    MockTenant::builder()
        .config(c)
        .admin_secret(SECRET)
        .start()
        .await
}

pub(super) async fn call(
    t: &MockTenant,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    call_as(t, SECRET, method, path, body).await
}

pub(super) fn error(status: u16, message: &str, code: &str) -> Value {
    let reason = StatusCode::from_u16(status)
        .unwrap()
        .canonical_reason()
        .unwrap();
    json!({"statusCode": status, "error": reason, "message": message, "errorCode": code})
}

pub(super) fn exchange_action(claim: &str) -> Value {
    json!({
        "name": "add-level",
        "supported_triggers": [{"id": "credentials-exchange", "version": "v2"}],
        "code": format!("exports.onExecuteCredentialsExchange = async (event, api) => {{ api.accessToken.setCustomClaim('https://example.com/level', '{claim}:' + event.secrets.LEVEL.length); }};"),
        "dependencies": [],
        "runtime": "node22",
        "secrets": [{"name": "LEVEL", "value": LEVEL}],
    })
}

pub(super) async fn level_claim(t: &MockTenant) -> Value {
    let (s, body) = client_credentials(t).await;
    assert_eq!(s, 200, "{body}");
    claims(&body, "access_token")["https://example.com/level"].clone()
}

#[tokio::test]
async fn an_action_runs_once_created_deployed_and_bound_and_its_draft_only_once_redeployed() {
    if !node_available() {
        return;
    }
    let t = tenant_with("node").await;
    let (s, a) = call(
        &t,
        Method::POST,
        "/api/v2/actions/actions",
        Some(exchange_action("v1")),
    )
    .await;
    assert_eq!(s, 201, "{a}");
    let id = a["id"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 36, "a UUID: {id}");
    assert_eq!(a["name"], "add-level");
    assert_eq!(
        a["supported_triggers"],
        json!([{"id": "credentials-exchange", "version": "v2"}])
    );
    assert_eq!(a["status"], "built");
    assert_eq!(a["all_changes_deployed"], false);
    assert!(a.get("deployed_version").is_none(), "{a}");
    assert_eq!(a["secrets"][0]["name"], "LEVEL");
    assert!(!a.to_string().contains(LEVEL), "{a}");
    // Created, not deployed, not bound: it does not run.
    assert_eq!(level_claim(&t).await, Value::Null);
    // Binding an undeployed Action is refused.
    let bind = json!({"bindings": [{"ref": {"type": "action_name", "value": "add-level"}, "display_name": "add-level"}]});
    let (s, body) = call(
        &t,
        Method::PATCH,
        "/api/v2/actions/triggers/credentials-exchange/bindings",
        Some(bind.clone()),
    )
    .await;
    assert_eq!(s, 400, "{body}");
    // Deployed, not bound: it still does not run.
    let (s, v) = call(
        &t,
        Method::POST,
        &format!("/api/v2/actions/actions/{id}/deploy"),
        None,
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        (
            v["number"].as_u64(),
            v["deployed"].as_bool(),
            v["action_id"].as_str()
        ),
        (Some(1), Some(true), Some(id.as_str()))
    );
    assert_eq!(level_claim(&t).await, Value::Null);
    // Bound: the next token carries its claim, computed with the secret.
    let (s, body) = call(
        &t,
        Method::PATCH,
        "/api/v2/actions/triggers/credentials-exchange/bindings",
        Some(bind),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["bindings"][0]["action"]["id"], json!(id));
    assert_eq!(body["bindings"][0]["trigger_id"], "credentials-exchange");
    let expected = format!("v1:{}", LEVEL.len());
    assert_eq!(level_claim(&t).await, json!(expected));
    let (s, b) = call(
        &t,
        Method::GET,
        "/api/v2/actions/triggers/credentials-exchange/bindings",
        None,
    )
    .await;
    assert_eq!(
        (s.as_u16(), b["bindings"].as_array().map(Vec::len)),
        (200, Some(1)),
        "{b}"
    );
    // A new draft does not run until it is deployed.
    let (s, a) = call(
        &t,
        Method::PATCH,
        &format!("/api/v2/actions/actions/{id}"),
        Some(json!({"code": exchange_action("v2")["code"]})),
    )
    .await;
    assert_eq!(s, 200, "{a}");
    assert_eq!(a["all_changes_deployed"], false);
    assert_eq!(a["deployed_version"]["number"], 1);
    assert_eq!(level_claim(&t).await, json!(expected));
    let (s, v) = call(
        &t,
        Method::POST,
        &format!("/api/v2/actions/actions/{id}/deploy"),
        None,
    )
    .await;
    assert_eq!((s.as_u16(), &v["number"]), (200, &json!(2)), "{v}");
    assert_eq!(level_claim(&t).await, json!(format!("v2:{}", LEVEL.len())));
    let (s, a) = call(
        &t,
        Method::GET,
        &format!("/api/v2/actions/actions/{id}"),
        None,
    )
    .await;
    assert_eq!(
        (s.as_u16(), &a["all_changes_deployed"]),
        (200, &json!(true)),
        "{a}"
    );
    let (s, list) = call(
        &t,
        Method::GET,
        &format!("/api/v2/actions/actions/{id}/versions"),
        None,
    )
    .await;
    assert_eq!(
        (s.as_u16(), &list["versions"][0]["number"]),
        (200, &json!(2)),
        "{list}"
    );
    let vid = list["versions"][0]["id"].as_str().unwrap().to_owned();
    let (s, one) = call(
        &t,
        Method::GET,
        &format!("/api/v2/actions/actions/{id}/versions/{vid}"),
        None,
    )
    .await;
    assert_eq!((s.as_u16(), &one["id"]), (200, &json!(vid)));
    // Every answer and the journal name the secret, never its value.
    let (s, all) = call(
        &t,
        Method::GET,
        "/api/v2/actions/actions?triggerId=credentials-exchange",
        None,
    )
    .await;
    assert_eq!((s.as_u16(), &all["total"]), (200, &json!(1)), "{all}");
    let (_, journal) = call(&t, Method::GET, "/control/journal", None).await;
    for shown in [&all, &list, &one, &journal] {
        assert!(!shown.to_string().contains(LEVEL), "{shown}");
    }
    // A bound Action is not deleted unless forced; unbound, it stops running at once.
    let (s, body) = call(
        &t,
        Method::DELETE,
        &format!("/api/v2/actions/actions/{id}"),
        None,
    )
    .await;
    assert_eq!(s, 400, "{body}");
    let (s, _) = call(
        &t,
        Method::PATCH,
        "/api/v2/actions/triggers/credentials-exchange/bindings",
        Some(json!({"bindings": []})),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(level_claim(&t).await, Value::Null);
    let (s, _) = call(
        &t,
        Method::DELETE,
        &format!("/api/v2/actions/actions/{id}"),
        None,
    )
    .await;
    assert_eq!(s, 204);
    let (s, body) = call(
        &t,
        Method::GET,
        &format!("/api/v2/actions/actions/{id}"),
        None,
    )
    .await;
    assert_eq!(
        (s.as_u16(), body),
        (
            404,
            error(404, "The action does not exist.", "inexistent_action")
        )
    );
}

#[tokio::test]
async fn post_login_actions_bound_by_id_run_in_binding_order_at_the_next_login() {
    if !node_available() {
        return;
    }
    let t = tenant_with("node").await;
    let mut ids = Vec::new();
    for name in ["first", "second"] {
        let code = format!(
            "exports.onExecutePostLogin = async (event, api) => {{ api.accessToken.setCustomClaim('https://example.com/last', '{name}'); }};"
        );
        let (s, a) = call(
            &t,
            Method::POST,
            "/api/v2/actions/actions",
            Some(json!({
                "name": name, "code": code, "deploy": true,
                "supported_triggers": [{"id": "post-login", "version": "v3"}],
            })),
        )
        .await;
        assert_eq!(s, 201, "{a}");
        assert_eq!(a["deployed_version"]["number"], 1, "{a}");
        ids.push(a["id"].as_str().unwrap().to_owned());
    }
    let bind = |order: [usize; 2]| json!({"bindings": order.map(|i| json!({"ref": {"type": "action_id", "value": ids[i]}}))});
    let last = |body: &Value| claims(body, "access_token")["https://example.com/last"].clone();
    let (s, _) = call(
        &t,
        Method::PATCH,
        "/api/v2/actions/triggers/post-login/bindings",
        Some(bind([0, 1])),
    )
    .await;
    assert_eq!(s, 200);
    let (s, body) = password_login(&t, "openid").await;
    assert_eq!((s, last(&body)), (200, json!("second")), "{body}");
    // Binding order is execution order: the last one sets the claim last.
    let (s, _) = call(
        &t,
        Method::PATCH,
        "/api/v2/actions/triggers/post-login/bindings",
        Some(bind([1, 0])),
    )
    .await;
    assert_eq!(s, 200);
    let (_, body) = password_login(&t, "openid").await;
    assert_eq!(last(&body), json!("first"));
}

#[tokio::test]
async fn a_restarted_tenant_runs_the_actions_deployed_and_bound_over_the_api() {
    if !node_available() {
        return;
    }
    let dir = crate::support::TempDir::new("kept-actions");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // The same configuration on the same port: the state directory's changes apply.
    let start = || async {
        for _ in 0..250 {
            let started = MockTenant::builder()
                .config(config(Vec::new()))
                .admin_secret(SECRET)
                .state_dir(dir.path())
                .port(port)
                .keep_changes(true)
                .try_start();
            match started {
                Ok(t) => return t,
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
            }
        }
        panic!("port {port} stayed busy");
    };
    {
        let t = start().await;
        let mut a = exchange_action("kept");
        a["deploy"] = json!(true);
        let (s, body) = call(&t, Method::POST, "/api/v2/actions/actions", Some(a)).await;
        assert_eq!(s, 201, "{body}");
        let bind = json!({"bindings": [{"ref": {"type": "action_name", "value": "add-level"}}]});
        let (s, _) = call(
            &t,
            Method::PATCH,
            "/api/v2/actions/triggers/credentials-exchange/bindings",
            Some(bind),
        )
        .await;
        assert_eq!(s, 200);
        let file = dir.path().join("tenant.json");
        for _ in 0..100 {
            if std::fs::read_to_string(&file).is_ok_and(|t| t.contains("\"bound\":true")) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
    // Restarted: no Actions in its file, so Node starts with the first execution.
    let t = start().await;
    assert_eq!(
        level_claim(&t).await,
        json!(format!("kept:{}", LEVEL.len()))
    );
    let (_, a) = call(
        &t,
        Method::GET,
        "/api/v2/actions/actions?actionName=add-level",
        None,
    )
    .await;
    assert_eq!(a["actions"][0]["deployed_version"]["number"], 1, "{a}");
}

/// An execution under way when new versions are deployed finishes on the version it started
/// with, even once the worker has forgotten that version (it keeps two per Action).
#[tokio::test]
async fn an_execution_under_way_finishes_on_its_version_while_new_ones_deploy() {
    if !node_available() {
        return;
    }
    let t = tenant_with("node").await;
    let slow = |v: &str| {
        format!(
            "exports.onExecuteCredentialsExchange = async (event, api) => {{ if (event.request.body.mode === 'slow') await new Promise((r) => setTimeout(r, 1500)); api.accessToken.setCustomClaim('https://example.com/level', '{v}'); }};"
        )
    };
    let mut a = exchange_action("v1");
    a["code"] = json!(slow("v1"));
    a["deploy"] = json!(true);
    let (s, a) = call(&t, Method::POST, "/api/v2/actions/actions", Some(a)).await;
    assert_eq!(s, 201, "{a}");
    let id = a["id"].as_str().unwrap().to_owned();
    let bind = json!({"bindings": [{"ref": {"type": "action_id", "value": id}}]});
    let (s, _) = call(
        &t,
        Method::PATCH,
        "/api/v2/actions/triggers/credentials-exchange/bindings",
        Some(bind),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(level_claim(&t).await, json!("v1"));
    let deploys = async {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        for v in ["v2", "v3"] {
            let (s, _) = call(
                &t,
                Method::PATCH,
                &format!("/api/v2/actions/actions/{id}"),
                Some(json!({"code": slow(v)})),
            )
            .await;
            assert_eq!(s, 200);
            let (s, body) = call(
                &t,
                Method::POST,
                &format!("/api/v2/actions/actions/{id}/deploy"),
                None,
            )
            .await;
            assert_eq!(s, 200, "{body}");
            assert_eq!(level_claim(&t).await, json!(v));
        }
    };
    let ((s, body), ()) = tokio::join!(super::client_credentials_mode(&t, "slow"), deploys);
    assert_eq!(s, 200, "{body}");
    assert_eq!(
        claims(&body, "access_token")["https://example.com/level"],
        "v1"
    );
}
