//! The Management API's Actions routes against what Auth0 refuses, and the attackers: unknown
//! triggers and ids, oversized code, code that does not load, a machine without Node, tokens
//! without `create:actions`, a user's token, another audience's token.

use reqwest::Method;
use serde_json::{Value, json};

use super::management::{call, error, exchange_action, level_claim, tenant_with};
use super::{client_credentials, node_available};
use crate::control::call_as;

#[tokio::test]
async fn actions_routes_refuse_what_auth0_refuses() {
    let t = tenant_with("node").await;
    let post = |body: Value| call(&t, Method::POST, "/api/v2/actions/actions", Some(body));
    // An unknown trigger, and one Auth0 has but this tenant does not run: 400.
    let mut a = exchange_action("x");
    a["supported_triggers"] = json!([{"id": "no-such-trigger"}]);
    let (s, body) = post(a.clone()).await;
    assert_eq!(
        (s.as_u16(), body),
        (
            400,
            error(400, "Invalid trigger id: no-such-trigger", "invalid_body")
        )
    );
    a["supported_triggers"] = json!([{"id": "pre-user-registration"}]);
    let (s, body) = post(a).await;
    assert_eq!(
        (s.as_u16(), &body["errorCode"]),
        (400, &json!("invalid_body")),
        "{body}"
    );
    let (s, body) = call(
        &t,
        Method::GET,
        "/api/v2/actions/triggers/nope/bindings",
        None,
    )
    .await;
    assert_eq!(
        (s.as_u16(), &body["message"]),
        (400, &json!("Invalid trigger id: nope"))
    );
    // Code over Auth0's 100 kB: 400; a body over the 1 MiB limit: 400, never 500.
    let mut big = exchange_action("x");
    big["code"] = json!(format!("// {}", "x".repeat(100 * 1024)));
    let (s, body) = post(big).await;
    assert_eq!(
        (s.as_u16(), body),
        (
            400,
            error(
                400,
                "Payload validation error: 'String is too long, maximum 102400 on property code'.",
                "invalid_body"
            )
        )
    );
    let mut huge = exchange_action("x");
    huge["code"] = json!("x".repeat(1 << 20));
    let (s, body) = post(huge).await;
    assert_eq!(
        (s.as_u16(), body),
        (
            400,
            error(
                400,
                "Payload validation error: 'Request body too large'.",
                "invalid_body"
            )
        )
    );
    // Unknown ids: Auth0's 404.
    for (m, path) in [
        (
            Method::GET,
            "/api/v2/actions/actions/00000000-0000-0000-0000-000000000000",
        ),
        (
            Method::POST,
            "/api/v2/actions/actions/00000000-0000-0000-0000-000000000000/deploy",
        ),
        (
            Method::DELETE,
            "/api/v2/actions/actions/00000000-0000-0000-0000-000000000000",
        ),
    ] {
        let (s, body) = call(&t, m, path, None).await;
        assert_eq!(
            (s.as_u16(), body),
            (
                404,
                error(404, "The action does not exist.", "inexistent_action")
            ),
            "{path}"
        );
    }
    let (s, body) = call(
        &t,
        Method::PATCH,
        "/api/v2/actions/triggers/post-login/bindings",
        Some(json!({"bindings": [{"ref": {"type": "action_name", "value": "nobody"}}]})),
    )
    .await;
    assert_eq!(
        (s.as_u16(), &body["errorCode"]),
        (404, &json!("inexistent_action"))
    );
    // The same name twice: 409.
    let (s, _) = post(exchange_action("x")).await;
    assert_eq!(s, 201);
    let (s, body) = post(exchange_action("x")).await;
    assert_eq!(
        (s.as_u16(), &body["errorCode"]),
        (409, &json!("already_exists")),
        "{body}"
    );

    // Scopes: a Management API token with read:actions and update:actions only.
    let res = t
        .http_client()
        .post(t.urls().token())
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "ops-client"),
            ("client_secret", "ops-secret"),
            ("audience", &t.control().audience()),
        ])
        .send()
        .await
        .unwrap();
    let tok: Value = res.json().await.unwrap();
    let token = tok["access_token"].as_str().unwrap();
    let (s, _) = call_as(&t, token, Method::GET, "/api/v2/actions/actions", None).await;
    assert_eq!(s, 200);
    let (s, body) = call_as(
        &t,
        token,
        Method::POST,
        "/api/v2/actions/actions",
        Some(exchange_action("y")),
    )
    .await;
    assert_eq!(
        (s.as_u16(), body),
        (
            403,
            error(
                403,
                "Insufficient scope, expected any of: create:actions",
                "insufficient_scope"
            )
        )
    );
    let (s, _) = call_as(&t, token, Method::DELETE, "/api/v2/actions/actions/x", None).await;
    assert_eq!(s, 403);
    // A user's login token naming the Management API: refused.
    let login = t
        .login(super::EMAIL)
        .audience(Some(&t.control().audience()))
        .await
        .unwrap();
    let (s, body) = call_as(
        &t,
        &login.access_token,
        Method::POST,
        "/api/v2/actions/actions",
        Some(exchange_action("y")),
    )
    .await;
    assert_eq!(
        (s.as_u16(), &body["errorCode"]),
        (403, &json!("access_denied")),
        "{body}"
    );
    // A good token for another audience (the tenant's API): not a Management API token.
    let (_, body) = client_credentials(&t).await;
    let api_token = body["access_token"].as_str().unwrap();
    let (s, body) = call_as(
        &t,
        api_token,
        Method::POST,
        "/api/v2/actions/actions",
        Some(exchange_action("y")),
    )
    .await;
    assert_eq!(
        (s.as_u16(), &body["statusCode"]),
        (401, &json!(401)),
        "{body}"
    );
    let (_, list) = call(&t, Method::GET, "/api/v2/actions/actions", None).await;
    assert_eq!(
        list["total"], 1,
        "none of the attackers created one: {list}"
    );
}

#[tokio::test]
async fn a_tenant_without_node_answers_503_on_deploy_and_keeps_serving() {
    let t = tenant_with("/nonexistent/node").await;
    let (s, a) = call(
        &t,
        Method::POST,
        "/api/v2/actions/actions",
        Some(exchange_action("x")),
    )
    .await;
    assert_eq!(s, 201, "{a}");
    let id = a["id"].as_str().unwrap();
    let (s, body) = call(
        &t,
        Method::POST,
        &format!("/api/v2/actions/actions/{id}/deploy"),
        None,
    )
    .await;
    assert_eq!(
        (s.as_u16(), &body["errorCode"]),
        (503, &json!("actions_runtime_unavailable")),
        "{body}"
    );
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("install Node.js"),
        "{body}"
    );
    // A create that asks to deploy at once is all or nothing.
    let mut b = exchange_action("x");
    b["name"] = json!("deployed-at-once");
    b["deploy"] = json!(true);
    let (s, body) = call(&t, Method::POST, "/api/v2/actions/actions", Some(b)).await;
    assert_eq!(
        (s.as_u16(), &body["errorCode"]),
        (503, &json!("actions_runtime_unavailable"))
    );
    let (_, list) = call(
        &t,
        Method::GET,
        "/api/v2/actions/actions?actionName=deployed-at-once",
        None,
    )
    .await;
    assert_eq!(list["total"], 0, "{list}");
    // Nothing was deployed: tokens are issued as before.
    let (s, a) = call(
        &t,
        Method::GET,
        &format!("/api/v2/actions/actions/{id}"),
        None,
    )
    .await;
    assert_eq!((s.as_u16(), a.get("deployed_version")), (200, None));
    assert_eq!(level_claim(&t).await, Value::Null);
}

#[tokio::test]
async fn code_that_does_not_load_is_not_deployed() {
    if !node_available() {
        return;
    }
    let t = tenant_with("node").await;
    let mut a = exchange_action("x");
    a["code"] = json!(
        "exports.onExecuteCredentialsExchange = async (event, api) => { this is not javascript"
    );
    let (s, a) = call(&t, Method::POST, "/api/v2/actions/actions", Some(a)).await;
    assert_eq!(s, 201);
    let id = a["id"].as_str().unwrap();
    let (s, body) = call(
        &t,
        Method::POST,
        &format!("/api/v2/actions/actions/{id}/deploy"),
        None,
    )
    .await;
    assert_eq!(s, 400, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("the action does not build: SyntaxError"),
        "{body}"
    );
}

/// The model's bounds for Actions (Auth0's): 100 Actions, 30 secrets each.
#[tokio::test]
async fn the_tenant_holds_at_most_100_actions_of_at_most_30_secrets() {
    let t = tenant_with("node").await;
    let mut a = exchange_action("x");
    a["secrets"] = json!(
        (0..31)
            .map(|i| json!({"name": format!("S{i}"), "value": "v"}))
            .collect::<Vec<_>>()
    );
    let (s, body) = call(&t, Method::POST, "/api/v2/actions/actions", Some(a)).await;
    assert_eq!(
        (s.as_u16(), &body["errorCode"]),
        (400, &json!("invalid_body")),
        "{body}"
    );
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("at most 30 secrets"),
        "{body}"
    );
    for i in 0..100 {
        let mut a = exchange_action("x");
        a["name"] = json!(format!("action-{i}"));
        let (s, body) = call(&t, Method::POST, "/api/v2/actions/actions", Some(a)).await;
        assert_eq!(s, 201, "{i}: {body}");
    }
    let (s, body) = call(
        &t,
        Method::POST,
        "/api/v2/actions/actions",
        Some(exchange_action("x")),
    )
    .await;
    assert_eq!(
        (s.as_u16(), body),
        (
            429,
            error(
                429,
                "The tenant holds its maximum of 100 Actions",
                "too_many_entities"
            )
        )
    );
}
