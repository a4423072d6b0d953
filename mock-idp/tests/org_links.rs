//! The organization routes the Deploy CLI reads and writes (`management/org_links`): an
//! organization's client grants (its applications), its connections, discovery domains and
//! member-access clients, and checkpoint paging of `/organizations`, over real HTTPS; the
//! change shows in the next client_credentials token; what a caller without the scope, an
//! unknown grant or a malformed body gets.

use mock_idp::MockTenant;
use mock_idp::config::{
    ApplicationConfig, DEFAULT_AUDIENCE, MANAGEMENT_API, OrganizationConfig, OrganizationUsage,
    TenantConfig,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::control::call_as;

const SECRET: &str = "test-admin-secret-0123456789";
const ORG: &str = "org_acme0000000001";

async fn tenant() -> MockTenant {
    let mut config = TenantConfig::default();
    config.applications[0].organization_usage = OrganizationUsage::Allow;
    let mut ops = ApplicationConfig::machine("ops-client", "ops-secret");
    ops.grants
        .insert(MANAGEMENT_API.into(), vec!["read:organizations".into()]);
    config.applications.push(ops);
    for (id, name) in [(ORG, "acme"), ("org_other000000002", "other")] {
        config.organizations.push(OrganizationConfig {
            id: id.into(),
            name: Some(name.into()),
            applications: vec![],
            members: vec![],
            display_name: None,
            member_roles: Default::default(),
            invitations: Vec::new(),
        });
    }
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

/// client_credentials for the default application in `organization`: the status.
async fn org_token(t: &MockTenant) -> (u16, Value) {
    let res = t
        .http_client()
        .post(t.urls().token())
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "mock-test-client"),
            ("client_secret", "mock-test-secret"),
            ("audience", DEFAULT_AUDIENCE),
            ("organization", ORG),
        ])
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

#[tokio::test]
async fn an_organizations_client_grants_link_its_applications_and_tokens_follow() {
    let t = tenant().await;
    let grants = format!("/api/v2/organizations/{ORG}/client-grants");
    let (s, body) = call(&t, Method::GET, &grants, None).await;
    assert_eq!((s, body), (StatusCode::OK, json!([])));
    let (s, _) = org_token(&t).await;
    assert_eq!(s, 403);

    // The grant's id, as /client-grants lists it.
    let (_, all) = call(
        &t,
        Method::GET,
        "/api/v2/client-grants?client_id=mock-test-client",
        None,
    )
    .await;
    let grant = all
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["audience"] == DEFAULT_AUDIENCE)
        .unwrap()
        .clone();
    let id = grant["id"].as_str().unwrap();
    let (s, body) = call(&t, Method::POST, &grants, Some(json!({"grant_id": id}))).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    assert_eq!(
        body,
        json!({"id": id, "client_id": "mock-test-client", "audience": DEFAULT_AUDIENCE,
            "scope": grant["scope"], "organization_usage": "allow", "allow_any_organization": false})
    );
    let (s, page) = call(
        &t,
        Method::GET,
        &format!("{grants}?include_totals=true"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        page,
        json!({"client_grants": [body], "start": 0, "limit": 50, "total": 1})
    );
    // The next token in the organization is issued, with its id.
    let (s, tok) = org_token(&t).await;
    assert_eq!(s, 200, "{tok}");
    let (_, claims) = crate::support::parts(tok["access_token"].as_str().unwrap());
    assert_eq!(claims["org_id"], ORG);

    let (s, _) = call(&t, Method::DELETE, &format!("{grants}/{id}"), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = org_token(&t).await;
    assert_eq!(s, 403);
}

#[tokio::test]
async fn unknown_grants_and_organizations_bad_bodies_and_missing_scopes_are_refused() {
    let t = tenant().await;
    let grants = format!("/api/v2/organizations/{ORG}/client-grants");
    let (s, body) = call(
        &t,
        Method::POST,
        &grants,
        Some(json!({"grant_id": "cgr_nope"})),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(
        body,
        json!({"statusCode": 404, "error": "Not Found", "message": "The client grant does not exist.", "errorCode": "inexistent_client_grant"})
    );
    let (s, body) = call(
        &t,
        Method::POST,
        &grants,
        Some(json!({"grant_id": "x", "extra": 1})),
    )
    .await;
    assert_eq!(
        (s, body["errorCode"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_body"))
    );
    let (s, body) = call(&t, Method::POST, &grants, Some(json!({}))).await;
    assert_eq!(
        (s, body["errorCode"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_body"))
    );
    for path in [
        "client-grants",
        "connections",
        "discovery-domains",
        "clients",
    ] {
        let (s, body) = call(
            &t,
            Method::GET,
            &format!("/api/v2/organizations/org_nope/{path}"),
            None,
        )
        .await;
        assert_eq!(
            (s, body["errorCode"].as_str()),
            (StatusCode::NOT_FOUND, Some("inexistent_organization")),
            "{path}"
        );
    }
    // A Management API token with read:organizations only.
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
    let token: Value = res.json().await.unwrap();
    let token = token["access_token"].as_str().unwrap();
    let (s, body) = call_as(&t, token, Method::GET, &grants, None).await;
    assert_eq!(
        (s, body["errorCode"].as_str()),
        (StatusCode::FORBIDDEN, Some("insufficient_scope")),
        "{body}"
    );
    let (s, _) = call_as(
        &t,
        token,
        Method::GET,
        &format!("/api/v2/organizations/{ORG}/clients"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn organizations_page_by_checkpoint_and_list_what_is_not_modelled_empty() {
    let t = tenant().await;
    let (s, first) = call(&t, Method::GET, "/api/v2/organizations?take=1", None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(first["organizations"].as_array().unwrap().len(), 1);
    assert_eq!(first["organizations"][0]["id"], ORG);
    assert_eq!(first["next"], "1");
    let (_, second) = call(&t, Method::GET, "/api/v2/organizations?take=1&from=1", None).await;
    assert_eq!(second["organizations"][0]["id"], "org_other000000002");
    assert!(second.get("next").is_none(), "{second}");
    let (s, body) = call(&t, Method::GET, "/api/v2/organizations?take=0", None).await;
    assert_eq!(
        (s, body["errorCode"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_query_string"))
    );
    let (_, body) = call(
        &t,
        Method::GET,
        &format!("/api/v2/organizations/{ORG}/discovery-domains"),
        None,
    )
    .await;
    assert_eq!(body, json!({"domains": []}));
    let (_, body) = call(
        &t,
        Method::GET,
        &format!("/api/v2/organizations/{ORG}/clients"),
        None,
    )
    .await;
    assert_eq!(body, json!({"clients": []}));
    let (_, body) = call(
        &t,
        Method::GET,
        &format!("/api/v2/organizations/{ORG}/connections?include_totals=true"),
        None,
    )
    .await;
    assert_eq!(body["total"], 1);
    assert_eq!(
        body["connections"][0]["connection"]["name"],
        "Username-Password-Authentication"
    );
}
