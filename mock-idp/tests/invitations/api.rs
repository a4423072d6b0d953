//! `/api/v2/organizations/{id}/invitations`: Auth0's checks on a new invitation, and the
//! scope each route needs.

use super::*;

#[tokio::test]
async fn creating_an_invitation_is_checked_as_auth0_checks_it() {
    let t = tenant().await;
    let post = |body: Value| {
        let t = &t;
        async move {
            call(
                t,
                Method::POST,
                "/api/v2/organizations/org_acme/invitations",
                Some(body),
            )
            .await
        }
    };
    let base = json!({"inviter": {"name": "Ada"}, "invitee": {"email": INVITEE}, "client_id": APP});
    let with = |k: &str, v: Value| {
        let mut b = base.clone();
        b[k] = v;
        b
    };
    let (s, body) = post(with("client_id", json!("no-login-uri"))).await;
    assert_eq!(
        (s.as_u16(), body),
        (
            400,
            error(
                400,
                "A default login route is required to generate the invitation url.",
                "invalid_body"
            )
        )
    );
    let (s, body) = post(with("client_id", json!("no-orgs"))).await;
    assert_eq!(
        (s.as_u16(), body),
        (
            400,
            error(
                400,
                "The specified client_id (no-orgs) does not allow organizations.",
                "invalid_body"
            )
        )
    );
    let (s, body) = post(with("ttl_sec", json!(2_592_001))).await;
    assert_eq!(
        (s.as_u16(), body),
        (
            400,
            error(
                400,
                "Payload validation error: 'Value 2592001 is greater than maximum 2592000 on property ttl_sec'.",
                "invalid_body"
            )
        )
    );
    let (s, body) = post(with("invitee", json!({}))).await;
    assert_eq!(
        (s.as_u16(), body),
        (
            400,
            error(
                400,
                "Payload validation error: 'Missing required property: invitee.email'.",
                "invalid_body"
            )
        )
    );
    let (s, body) = post(with("connection_id", json!("con_other"))).await;
    assert_eq!(
        (s.as_u16(), &body["errorCode"]),
        (400, &json!("inexistent_connection"))
    );
    let (s, body) = post(with("roles", json!(["rol_nope"]))).await;
    assert_eq!(
        (s.as_u16(), body),
        (
            404,
            error(404, "The role does not exist.", "inexistent_role")
        )
    );
    let (s, body) = post(with("client_id", json!("nope"))).await;
    assert_eq!(
        (s.as_u16(), body),
        (
            404,
            error(404, "The client does not exist.", "inexistent_client")
        )
    );
    let (s, body) = call(
        &t,
        Method::POST,
        "/api/v2/organizations/org_nope/invitations",
        Some(base.clone()),
    )
    .await;
    assert_eq!(
        (s.as_u16(), body),
        (
            404,
            error(
                404,
                "The organization does not exist.",
                "inexistent_organization"
            )
        )
    );
    // ttl_sec: 0 means Auth0's 7 days; the maximum is 30 days.
    let (s, inv) = post(with("ttl_sec", json!(0))).await;
    assert_eq!(
        (s.as_u16(), &inv["expires_at"]),
        (201, &json!("2027-01-22T08:00:00.000Z"))
    );
    let (s, inv) = post(with("ttl_sec", json!(2_592_000))).await;
    assert_eq!(
        (s.as_u16(), &inv["expires_at"]),
        (201, &json!("2027-02-14T08:00:00.000Z"))
    );
    // The Application Login URI is https, as Auth0's format says.
    let (s, body) = call(
        &t,
        Method::PATCH,
        &format!("/api/v2/clients/{APP}"),
        Some(json!({"initiate_login_uri": "http://app.example/login"})),
    )
    .await;
    assert_eq!(
        (s.as_u16(), body),
        (
            400,
            error(
                400,
                "Payload validation error: 'Object didn't pass validation for format absolute-https-uri-or-empty: http://app.example/login on property initiate_login_uri'.",
                "invalid_body"
            )
        )
    );
}

#[tokio::test]
async fn each_invitation_route_needs_its_scope() {
    let mut c = config();
    let mut ops = ApplicationConfig::machine("ops-client", "ops-secret");
    ops.grants.insert(
        mock_idp::config::MANAGEMENT_API.into(),
        vec!["read:organization_invitations".into()],
    );
    c.applications.push(ops);
    let t = MockTenant::builder().config(c).start().await;
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
    let (s, _) = call_as(
        &t,
        token,
        Method::GET,
        "/api/v2/organizations/org_acme/invitations",
        None,
    )
    .await;
    assert_eq!(s, 200);
    let (s, body) = call_as(
        &t,
        token,
        Method::POST,
        "/api/v2/organizations/org_acme/invitations",
        Some(json!({})),
    )
    .await;
    assert_eq!(
        (s.as_u16(), body),
        (
            403,
            error(
                403,
                "Insufficient scope, expected any of: create:organization_invitations",
                "insufficient_scope"
            )
        )
    );
    let (s, body) = call_as(
        &t,
        token,
        Method::DELETE,
        "/api/v2/organizations/org_acme/invitations/uinv_x",
        None,
    )
    .await;
    assert_eq!(
        (s.as_u16(), body),
        (
            403,
            error(
                403,
                "Insufficient scope, expected any of: delete:organization_invitations",
                "insufficient_scope"
            )
        )
    );
}

/// Each invitation is bounded (16 KiB of JSON, metadata included) and bad bodies are 400s,
/// never 500s: a flood of large invitations cannot grow the tenant's saved state.
#[tokio::test]
async fn invitations_are_bounded_and_bad_bodies_are_refused() {
    let t = tenant().await;
    let path = "/api/v2/organizations/org_acme/invitations";
    let big = "x".repeat(2_000);
    let metadata: serde_json::Map<String, Value> =
        (0..10).map(|i| (format!("k{i}"), json!(big))).collect();
    let (s, body) = call(
        &t,
        Method::POST,
        path,
        Some(
            json!({"inviter": {"name": "Ada"}, "invitee": {"email": INVITEE}, "client_id": APP,
                    "app_metadata": metadata}),
        ),
    )
    .await;
    assert_eq!(
        (s.as_u16(), body),
        (
            400,
            error(
                400,
                "the invitation would exceed 16384 bytes",
                "invalid_body"
            )
        )
    );
    for (bad, message) in [
        (
            json!(["not", "an", "object"]),
            "Payload validation error: 'Expected type object but found type other'.",
        ),
        (
            json!({"inviter": {"name": "Ada"}, "invitee": {"email": "not-an-email"}, "client_id": APP}),
            "Payload validation error: 'Object didn't pass validation for format email: not-an-email on property invitee.email'.",
        ),
        (
            json!({"inviter": {"name": "x".repeat(301)}, "invitee": {"email": INVITEE}, "client_id": APP}),
            "Payload validation error: 'String is too long, maximum 300 on property inviter.name'.",
        ),
        (
            json!({"inviter": {"name": "Ada"}, "invitee": {"email": INVITEE}, "client_id": APP, "ttl_sec": "soon"}),
            "Payload validation error: 'Expected type integer on property ttl_sec'.",
        ),
        (
            json!({"inviter": {"name": "Ada"}, "invitee": {"email": INVITEE}, "client_id": APP, "is_admin": true}),
            "Payload validation error: 'Additional properties not allowed: is_admin'.",
        ),
    ] {
        let (s, body) = call(&t, Method::POST, path, Some(bad)).await;
        assert_eq!(
            (s.as_u16(), body),
            (400, error(400, message, "invalid_body"))
        );
    }
    let (s, list) = call(&t, Method::GET, path, None).await;
    assert_eq!((s.as_u16(), list), (200, json!([])));
}
