//! Auth0's Management API v2 over real HTTPS: each resource's shapes and errors, and that a
//! change takes effect at the next request (tokens, logins); the attacks on `/api/v2/`.

use mock_idp::{
    MockTenant, config::ApplicationConfig, config::MANAGEMENT_API, config::TenantConfig,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::control::call_as;
use crate::support::parts;

const SECRET: &str = "test-admin-secret-0123456789";

/// A tenant with a known admin secret and `ops-client`, granted `scopes` on the Management API.
async fn tenant(scopes: &[&str]) -> MockTenant {
    let mut config = TenantConfig::default();
    let mut ops = ApplicationConfig::machine("ops-client", "ops-secret");
    ops.grants.insert(
        MANAGEMENT_API.into(),
        scopes.iter().map(|s| (*s).to_owned()).collect(),
    );
    config.applications.push(ops);
    MockTenant::builder()
        .config(config)
        .admin_secret(SECRET)
        .start()
        .await
}

async fn call(
    t: &MockTenant,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    call_as(t, SECRET, method, path, body).await
}

/// A client_credentials token response for `client_id` on `audience`.
async fn client_token(
    t: &MockTenant,
    client_id: &str,
    secret: &str,
    audience: &str,
) -> (u16, Value) {
    let res = t
        .http_client()
        .post(t.urls().token())
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

/// Auth0's error body.
fn error(status: u16, message: &str, code: &str) -> Value {
    let reason = StatusCode::from_u16(status)
        .unwrap()
        .canonical_reason()
        .unwrap();
    json!({"statusCode": status, "error": reason, "message": message, "errorCode": code})
}

#[tokio::test]
async fn an_api_an_m2m_application_and_its_grant_made_over_the_api_give_a_token_at_once() {
    let t = tenant(&[]).await;
    let (s, api) = call(
        &t,
        Method::POST,
        "/api/v2/resource-servers",
        Some(json!({
            "name": "Orders", "identifier": "https://orders.example",
            "scopes": [{"value": "read:orders", "description": "Read orders"}],
            "token_lifetime": 600,
        })),
    )
    .await;
    assert_eq!(s, 201, "{api}");
    assert_eq!(api["identifier"], "https://orders.example");
    assert_eq!(api["token_dialect"], "access_token");
    assert_eq!(api["scopes"][0]["value"], "read:orders");
    let (s, app) = call(
        &t,
        Method::POST,
        "/api/v2/clients",
        Some(json!({
            "name": "Orders worker", "app_type": "non_interactive",
        })),
    )
    .await;
    assert_eq!(s, 201, "{app}");
    let id = app["client_id"].as_str().unwrap().to_owned();
    let secret = app["client_secret"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 32);
    assert_eq!(app["grant_types"], json!(["client_credentials"]));
    assert_eq!(app["token_endpoint_auth_method"], "client_secret_post");
    // No grant yet: Auth0's 403.
    let (s, body) = client_token(&t, &id, &secret, "https://orders.example").await;
    assert_eq!(
        (s, &body["error"]),
        (403, &json!("access_denied")),
        "{body}"
    );
    let (s, grant) = call(
        &t,
        Method::POST,
        "/api/v2/client-grants",
        Some(json!({
            "client_id": id, "audience": "https://orders.example", "scope": ["read:orders"],
        })),
    )
    .await;
    assert_eq!(s, 201, "{grant}");
    assert!(grant["id"].as_str().unwrap().starts_with("cgr_"));
    let (s, body) = client_token(&t, &id, &secret, "https://orders.example").await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["expires_in"], 600);
    let (_, claims) = parts(body["access_token"].as_str().unwrap());
    assert_eq!(claims["scope"], "read:orders");
    assert_eq!(claims["azp"], json!(id));
    // The same grant again: 409.
    let (s, _) = call(
        &t,
        Method::POST,
        "/api/v2/client-grants",
        Some(json!({
            "client_id": id, "audience": "https://orders.example", "scope": [],
        })),
    )
    .await;
    assert_eq!(s, 409);
    // A changed lifetime applies to the next token.
    let (s, _) = call(
        &t,
        Method::PATCH,
        "/api/v2/resource-servers/https:%2F%2Forders.example",
        Some(json!({"token_lifetime": 60})),
    )
    .await;
    assert_eq!(s, 200);
    let (_, body) = client_token(&t, &id, &secret, "https://orders.example").await;
    assert_eq!(body["expires_in"], 60);
    // A rotated secret: the old one is refused, the new one works.
    let (s, rotated) = call(
        &t,
        Method::POST,
        &format!("/api/v2/clients/{id}/rotate-secret"),
        None,
    )
    .await;
    assert_eq!(s, 200);
    let new_secret = rotated["client_secret"].as_str().unwrap();
    assert_ne!(new_secret, secret);
    let (s, body) = client_token(&t, &id, &secret, "https://orders.example").await;
    assert_eq!((s, &body["error"]), (401, &json!("access_denied")));
    assert_eq!(
        client_token(&t, &id, new_secret, "https://orders.example")
            .await
            .0,
        200
    );
    // A deleted client: its next request is refused as an unknown client.
    let (s, _) = call(&t, Method::DELETE, &format!("/api/v2/clients/{id}"), None).await;
    assert_eq!(s, 204);
    let (s, body) = client_token(&t, &id, new_secret, "https://orders.example").await;
    assert_eq!((s, &body["error"]), (401, &json!("access_denied")));
    // Reset: back to the file, the API is gone.
    let (s, _) = call(&t, Method::POST, "/control/reset", None).await;
    assert_eq!(s, 204);
    let (s, body) = call(
        &t,
        Method::GET,
        "/api/v2/resource-servers/https:%2F%2Forders.example",
        None,
    )
    .await;
    assert_eq!(
        (s.as_u16(), body),
        (
            404,
            error(
                404,
                "The resource server does not exist.",
                "inexistent_resource_server"
            )
        )
    );
}

#[tokio::test]
async fn a_role_assigned_over_the_api_shows_in_the_users_next_token() {
    let t = tenant(&[]).await;
    let api = t.audience().to_owned();
    let (s, _) = call(
        &t,
        Method::PATCH,
        &format!("/api/v2/resource-servers/{}", api.replace('/', "%2F")),
        Some(json!({
            "enforce_policies": true, "token_dialect": "access_token_authz",
        })),
    )
    .await;
    assert_eq!(s, 200);
    let (s, user) = call(
        &t,
        Method::POST,
        "/api/v2/users",
        Some(json!({
            "email": "ada@example.com", "password": "Analytical-1843",
            "connection": "Username-Password-Authentication", "name": "Ada",
            "app_metadata": {"plan": "pro"},
        })),
    )
    .await;
    assert_eq!(s, 201, "{user}");
    let user_id = user["user_id"].as_str().unwrap().to_owned();
    assert!(user_id.starts_with("auth0|"));
    assert_eq!(
        user["identities"][0]["connection"],
        "Username-Password-Authentication"
    );
    assert_eq!(user["app_metadata"], json!({"plan": "pro"}));
    let (s, role) = call(
        &t,
        Method::POST,
        "/api/v2/roles",
        Some(json!({"name": "writer", "description": "Writes"})),
    )
    .await;
    assert_eq!(s, 200, "{role}");
    let role_id = role["id"].as_str().unwrap().to_owned();
    let (s, _) = call(&t, Method::POST, &format!("/api/v2/roles/{role_id}/permissions"), Some(json!({
        "permissions": [{"resource_server_identifier": api, "permission_name": "write:messages"}],
    }))).await;
    assert_eq!(s, 201);
    let before = t
        .login("ada@example.com")
        .scope("openid write:messages")
        .await
        .unwrap();
    assert_eq!(parts(&before.access_token).1["permissions"], json!([]));
    let (s, _) = call(
        &t,
        Method::POST,
        &format!("/api/v2/users/{}/roles", user_id.replace('|', "%7C")),
        Some(json!({"roles": [role_id]})),
    )
    .await;
    assert_eq!(s, 204);
    let after = t
        .login("ada@example.com")
        .scope("openid write:messages")
        .await
        .unwrap();
    assert_eq!(
        parts(&after.access_token).1["permissions"],
        json!(["write:messages"])
    );
    let (s, perms) = call(
        &t,
        Method::GET,
        &format!("/api/v2/users/{}/permissions", user_id.replace('|', "%7C")),
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(perms[0]["permission_name"], "write:messages");
    assert_eq!(perms[0]["sources"][0]["source_type"], "ROLE");
    assert_eq!(perms[0]["sources"][0]["source_id"], json!(role_id));
    // Blocked: the next login is refused.
    let (s, patched) = call(
        &t,
        Method::PATCH,
        &format!("/api/v2/users/{}", user_id.replace('|', "%7C")),
        Some(json!({
            "blocked": true, "app_metadata": {"plan": null, "tier": 2},
        })),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(patched["blocked"], true);
    assert_eq!(patched["app_metadata"], json!({"tier": 2}));
    assert!(t.login("ada@example.com").await.is_err());
}

#[tokio::test]
async fn users_are_searched_by_email_and_paged_with_totals() {
    let t = tenant(&[]).await;
    for i in 0..5 {
        let (s, _) = call(
            &t,
            Method::POST,
            "/api/v2/users",
            Some(json!({
                "email": format!("u{i}@example.com"), "password": "pw-123456",
                "connection": "Username-Password-Authentication",
            })),
        )
        .await;
        assert_eq!(s, 201);
    }
    let (s, page) = call(
        &t,
        Method::GET,
        "/api/v2/users?page=1&per_page=2&include_totals=true",
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(
        (
            page["start"].clone(),
            page["limit"].clone(),
            page["length"].clone(),
            page["total"].clone()
        ),
        (json!(2), json!(2), json!(2), json!(6))
    );
    assert_eq!(page["users"][0]["email"], "u1@example.com");
    let (_, plain) = call(&t, Method::GET, "/api/v2/users?per_page=100", None).await;
    assert_eq!(plain.as_array().unwrap().len(), 6);
    let (_, found) = call(
        &t,
        Method::GET,
        "/api/v2/users?q=email%3A%22U3%40example.com%22&search_engine=v3",
        None,
    )
    .await;
    assert_eq!(found.as_array().unwrap().len(), 1);
    assert_eq!(found[0]["email"], "u3@example.com");
    let (_, by_email) = call(
        &t,
        Method::GET,
        "/api/v2/users-by-email?email=u4%40example.com",
        None,
    )
    .await;
    assert_eq!(by_email[0]["email"], "u4@example.com");
    let (s, body) = call(&t, Method::GET, "/api/v2/users?per_page=101", None).await;
    assert_eq!(
        (s.as_u16(), body),
        (
            400,
            error(
                400,
                "Query validation error: 'Value 101 is greater than maximum 100 on property per_page'.",
                "invalid_query_string"
            )
        )
    );
}

#[tokio::test]
async fn each_error_a_client_branches_on_is_answered_as_auth0_answers_it() {
    let t = tenant(&["read:users"]).await;
    let create = json!({"email": "x@example.com", "password": "pw-123456", "connection": "Username-Password-Authentication"});
    // 404
    let (s, body) = call(&t, Method::GET, "/api/v2/users/auth0%7Cnobody", None).await;
    assert_eq!(
        (s.as_u16(), body),
        (
            404,
            error(404, "The user does not exist.", "inexistent_user")
        )
    );
    // 409
    assert_eq!(
        call(&t, Method::POST, "/api/v2/users", Some(create.clone()))
            .await
            .0,
        201
    );
    let (s, body) = call(&t, Method::POST, "/api/v2/users", Some(create.clone())).await;
    assert_eq!(
        (s.as_u16(), body),
        (
            409,
            error(409, "The user already exists.", "auth0_idp_error")
        )
    );
    // 400: unknown property, missing property, wrong connection, not JSON
    let (s, body) = call(&t, Method::POST, "/api/v2/users", Some(json!({"email": "y@example.com", "password": "p", "connection": "Username-Password-Authentication", "is_admin": true}))).await;
    assert_eq!(
        (s.as_u16(), body),
        (
            400,
            error(
                400,
                "Payload validation error: 'Additional properties not allowed: is_admin'.",
                "invalid_body"
            )
        )
    );
    let (s, body) = call(
        &t,
        Method::POST,
        "/api/v2/users",
        Some(json!({"email": "y@example.com", "connection": "Username-Password-Authentication"})),
    )
    .await;
    assert_eq!(
        (s.as_u16(), body),
        (
            400,
            error(
                400,
                "Payload validation error: 'Missing required property: password'.",
                "invalid_body"
            )
        )
    );
    let (s, body) = call(
        &t,
        Method::POST,
        "/api/v2/users",
        Some(json!({"email": "y@example.com", "password": "p", "connection": "google-oauth2"})),
    )
    .await;
    assert_eq!(
        (s.as_u16(), body),
        (
            400,
            error(
                400,
                "The connection does not exist.",
                "inexistent_connection"
            )
        )
    );
    let (s, body) = call(
        &t,
        Method::POST,
        "/api/v2/users",
        Some(json!(["not", "an", "object"])),
    )
    .await;
    assert_eq!(
        (s.as_u16(), body),
        (
            400,
            error(
                400,
                "Payload validation error: 'Expected type object but found type other'.",
                "invalid_body"
            )
        )
    );
    // 403: a Management API token from client_credentials without the route's scope.
    let (_, tok) = client_token(&t, "ops-client", "ops-secret", &t.control().audience()).await;
    let token = tok["access_token"].as_str().unwrap();
    let (s, _) = call_as(&t, token, Method::GET, "/api/v2/users", None).await;
    assert_eq!(s, 200);
    let (s, body) = call_as(&t, token, Method::POST, "/api/v2/users", Some(create)).await;
    assert_eq!(
        (s.as_u16(), body),
        (
            403,
            error(
                403,
                "Insufficient scope, expected any of: create:users",
                "insufficient_scope"
            )
        )
    );
    // 401: no token, a forged one.
    let (s, body) = call_as(&t, "", Method::GET, "/api/v2/users", None).await;
    assert_eq!((s.as_u16(), &body["statusCode"]), (401, &json!(401)));
    let (s, body) = call_as(&t, &t.token().build(), Method::GET, "/api/v2/users", None).await;
    assert_eq!(
        (s.as_u16(), body),
        (401, error(401, "Invalid token", "invalid_token"))
    );
}

#[tokio::test]
async fn attackers_get_no_further_than_auth0_lets_them() {
    let t = tenant(&["read:users"]).await;
    // A user's own login token, even one naming the Management API as audience.
    let login = t
        .login("user@example.com")
        .audience(Some(&t.control().audience()))
        .await
        .unwrap();
    let (s, body) = call_as(&t, &login.access_token, Method::GET, "/api/v2/users", None).await;
    assert_eq!(
        (s.as_u16(), body),
        (
            403,
            error(
                403,
                "Management API tokens come from client_credentials only",
                "access_denied"
            )
        )
    );
    // A Management API token minted by another tenant with the same key pair and scope.
    let other = tenant(&["read:users"]).await;
    let (_, tok) = client_token(
        &other,
        "ops-client",
        "ops-secret",
        &other.control().audience(),
    )
    .await;
    let (s, _) = call_as(
        &t,
        tok["access_token"].as_str().unwrap(),
        Method::GET,
        "/api/v2/users",
        None,
    )
    .await;
    assert_eq!(s, 401);
    // Oversized and malformed bodies: 400 or 413, never 500.
    // Just over the 1 MiB limit: the client has sent it all when the tenant answers.
    let huge = json!({"name": "x".repeat(1 << 20)});
    let (s, body) = call(&t, Method::POST, "/api/v2/roles", Some(huge)).await;
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
    let res = t
        .http_client()
        .post(format!("{}/api/v2/roles", t.uri()))
        .bearer_auth(SECRET)
        .header("content-type", "application/json")
        .body("{\"name\":")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(res.headers()["x-ratelimit-limit"], "50");
    // A metadata blob over the per-user bound.
    let big = json!({"email": "big@example.com", "password": "pw-123456", "connection": "Username-Password-Authentication", "user_metadata": {"blob": "x".repeat(70_000)}});
    let (s, body) = call(&t, Method::POST, "/api/v2/users", Some(big)).await;
    assert_eq!(
        (s.as_u16(), body),
        (
            400,
            error(400, "a user would exceed 65536 bytes", "invalid_body")
        )
    );
}

#[tokio::test]
async fn rust_tests_change_the_same_model_through_the_config_handle() {
    let t = tenant(&[]).await;
    let user = t
        .config()
        .create_user(mock_idp::config::UserConfig::new(
            "rust@example.com",
            "pw-123456",
        ))
        .unwrap();
    let (s, body) = call(
        &t,
        Method::GET,
        &format!("/api/v2/users/{}", user.id().replace('|', "%7C")),
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(body["email"], "rust@example.com");
    let dup = t
        .config()
        .create_user(mock_idp::config::UserConfig::new("RUST@example.com", "x"));
    assert!(matches!(dup, Err(mock_idp::error::ModelError::Conflict(_))));
    assert!(t.login("rust@example.com").await.is_ok());
    t.config().reset();
    assert!(t.config().user_by_email("rust@example.com").is_none());
}

mod organizations;
mod persistence;
mod roles;
