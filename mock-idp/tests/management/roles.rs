//! Roles and scopes keep what Auth0 keeps: a role's id survives a rename (its users and
//! organization members follow), descriptions of roles and scopes are stored and answered,
//! and the role's permission list shows the API's scope descriptions.

use super::*;

#[tokio::test]
async fn a_renamed_role_keeps_its_id_and_descriptions_are_kept() {
    let t = tenant(&[]).await;
    let (s, api) = call(
        &t,
        Method::POST,
        "/api/v2/resource-servers",
        Some(json!({
            "identifier": "https://orders.example",
            "scopes": [
                {"value": "read:orders", "description": "Read orders"},
                {"value": "write:orders"},
            ],
        })),
    )
    .await;
    assert_eq!(s, 201, "{api}");
    assert_eq!(
        api["scopes"],
        json!([
            {"value": "read:orders", "description": "Read orders"},
            {"value": "write:orders", "description": "write:orders"},
        ])
    );
    let (s, role) = call(
        &t,
        Method::POST,
        "/api/v2/roles",
        Some(json!({"name": "clerk", "description": "Front desk"})),
    )
    .await;
    assert_eq!(s, 200, "{role}");
    let id = role["id"].as_str().unwrap().to_owned();
    assert_eq!(
        role,
        json!({"id": id, "name": "clerk", "description": "Front desk"})
    );
    let (s, _) = call(
        &t,
        Method::POST,
        &format!("/api/v2/roles/{id}/permissions"),
        Some(json!({"permissions": [{
            "resource_server_identifier": "https://orders.example",
            "permission_name": "read:orders"}]})),
    )
    .await;
    assert_eq!(s, 201);
    let user = t.config().user_by_email("user@example.com").unwrap().id();
    let (s, _) = call(
        &t,
        Method::POST,
        &format!("/api/v2/users/{user}/roles"),
        Some(json!({"roles": [id]})),
    )
    .await;
    assert_eq!(s, 204);

    let (s, renamed) = call(
        &t,
        Method::PATCH,
        &format!("/api/v2/roles/{id}"),
        Some(json!({"name": "senior clerk", "description": "Back office"})),
    )
    .await;
    assert_eq!(s, 200, "{renamed}");
    assert_eq!(
        renamed,
        json!({"id": id, "name": "senior clerk", "description": "Back office"})
    );
    let (s, got) = call(&t, Method::GET, &format!("/api/v2/roles/{id}"), None).await;
    assert_eq!((s.as_u16(), &got), (200, &renamed));
    // The user still has the role, under its id and new name.
    let (_, roles) = call(
        &t,
        Method::GET,
        &format!("/api/v2/users/{user}/roles"),
        None,
    )
    .await;
    assert_eq!(roles, json!([renamed]));
    let (_, perms) = call(
        &t,
        Method::GET,
        &format!("/api/v2/roles/{id}/permissions"),
        None,
    )
    .await;
    assert_eq!(
        perms,
        json!([{"permission_name": "read:orders", "description": "Read orders",
                "resource_server_name": "https://orders.example",
                "resource_server_identifier": "https://orders.example"}])
    );

    // A new role under the first name gets an id of its own.
    let (s, again) = call(
        &t,
        Method::POST,
        "/api/v2/roles",
        Some(json!({"name": "clerk"})),
    )
    .await;
    assert_eq!(s, 200, "{again}");
    assert_ne!(again["id"], json!(id));
    assert!(again["id"].as_str().unwrap().starts_with("rol_"), "{again}");
    assert_eq!(again["description"], "");
    let (_, all) = call(&t, Method::GET, "/api/v2/roles", None).await;
    let ids: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 2, "{all}");
    assert_ne!(ids[0], ids[1]);
}
