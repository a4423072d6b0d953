//! Organizations over the Management API: members, their roles, enabled connections; the
//! database connection and the tenant settings.

use super::*;

#[tokio::test]
async fn organizations_members_and_their_roles_connections_and_tenant_settings() {
    let t = tenant(&[]).await;
    let (s, org) = call(
        &t,
        Method::POST,
        "/api/v2/organizations",
        Some(json!({"name": "acme", "display_name": "Acme Inc."})),
    )
    .await;
    assert_eq!(s, 201, "{org}");
    let org_id = org["id"].as_str().unwrap().to_owned();
    assert_eq!(
        org,
        json!({"id": org_id, "name": "acme", "display_name": "Acme Inc."})
    );
    let (s, body) = call(
        &t,
        Method::POST,
        "/api/v2/organizations",
        Some(json!({"name": "acme"})),
    )
    .await;
    assert_eq!(
        (s.as_u16(), body),
        (
            409,
            error(
                409,
                "An organization with this name already exists.",
                "already_exists"
            )
        )
    );
    let user = t.config().user_by_email("user@example.com").unwrap().id();
    let (s, _) = call(
        &t,
        Method::POST,
        &format!("/api/v2/organizations/{org_id}/members"),
        Some(json!({"members": [user]})),
    )
    .await;
    assert_eq!(s, 204);
    let (_, members) = call(
        &t,
        Method::GET,
        &format!("/api/v2/organizations/{org_id}/members?include_totals=true"),
        None,
    )
    .await;
    assert_eq!(members["total"], 1);
    assert_eq!(members["members"][0]["user_id"], json!(user));
    let (_, role) = call(
        &t,
        Method::POST,
        "/api/v2/roles",
        Some(json!({"name": "org-admin"})),
    )
    .await;
    let path = format!(
        "/api/v2/organizations/{org_id}/members/{}/roles",
        user.replace('|', "%7C")
    );
    let (s, _) = call(
        &t,
        Method::POST,
        &path,
        Some(json!({"roles": [role["id"]]})),
    )
    .await;
    assert_eq!(s, 204);
    let (_, roles) = call(&t, Method::GET, &path, None).await;
    assert_eq!(
        roles,
        json!([{"id": role["id"], "name": "org-admin", "description": ""}])
    );
    // Deleting the role takes it from the member.
    let (s, _) = call(
        &t,
        Method::DELETE,
        &format!("/api/v2/roles/{}", role["id"].as_str().unwrap()),
        None,
    )
    .await;
    assert_eq!(s, 204);
    assert_eq!(call(&t, Method::GET, &path, None).await.1, json!([]));
    let (_, conns) = call(&t, Method::GET, "/api/v2/connections?strategy=auth0", None).await;
    assert_eq!(conns[0]["name"], "Username-Password-Authentication");
    assert_eq!(conns[0]["strategy"], "auth0");
    let (_, enabled) = call(
        &t,
        Method::GET,
        &format!("/api/v2/organizations/{org_id}/enabled_connections"),
        None,
    )
    .await;
    assert_eq!(enabled[0]["connection_id"], conns[0]["id"]);
    // The default audience: client_credentials without `audience` follows it.
    let (s, _) = call(
        &t,
        Method::POST,
        "/api/v2/resource-servers",
        Some(json!({"identifier": "https://second.example"})),
    )
    .await;
    assert_eq!(s, 201);
    let (s, settings) = call(
        &t,
        Method::PATCH,
        "/api/v2/tenants/settings",
        Some(json!({"default_audience": "https://second.example"})),
    )
    .await;
    assert_eq!(
        (s.as_u16(), &settings["default_audience"]),
        (200, &json!("https://second.example"))
    );
    let res = t
        .http_client()
        .post(t.urls().token())
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "mock-test-client"),
            ("client_secret", "mock-test-secret"),
        ])
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "access_denied", "{body}");
}
