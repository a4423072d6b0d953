//! RFC 8707 `resource` as Auth0 reads it (its Resource Parameter Compatibility Profile, the
//! tenant flag MCP servers turn on): ignored by default; with `resource_parameter_profile =
//! "compatibility"` it names the API where `audience` is absent, at `/authorize` and for
//! client_credentials, and must be the grant's audience when a code or refresh token is
//! exchanged. `audience` wins when both are sent (Auth0's documented rule). A client that
//! names an API it may not have gets `invalid_target`.

use super::*;
use mock_idp::config::{ApiConfig, ResourceParameterProfile};

const OTHER: &str = "https://other.example/api";

async fn compatible_tenant() -> MockTenant {
    let mut cfg = TenantConfig {
        resource_parameter_profile: ResourceParameterProfile::Compatibility,
        ..TenantConfig::default()
    };
    cfg.apis.push(ApiConfig::new(OTHER));
    MockTenant::builder().config(cfg).start().await
}

fn aud_of(token: &str) -> Value {
    parts(token).1["aud"].clone()
}

fn names(aud: &Value, api: &str) -> bool {
    aud == api || aud.as_array().is_some_and(|a| a.iter().any(|v| v == api))
}

#[tokio::test]
async fn resource_names_the_api_of_a_login_and_its_refreshes() {
    let tenant = compatible_tenant().await;
    let api = tenant.audience().to_owned();
    let mut agent = Agent::new(&tenant);
    let code = code_for(&mut agent, &tenant, &[("audience", ""), ("resource", &api)]).await;
    // The MCP client sends `resource` again with the code: the code's audience, so it passes.
    let res = exchange(&mut agent, &tenant, &code, &[("resource", &api)]).await;
    assert_eq!(res.status, 200, "{}", res.body);
    let tokens = res.json();
    assert!(names(
        &aud_of(tokens["access_token"].as_str().unwrap()),
        &api
    ));
    let rt = tokens["refresh_token"].as_str().unwrap().to_owned();

    // A refresh naming another API of the tenant is refused, not widened.
    let wrong = agent
        .post(
            &tenant.urls().token(),
            &[
                ("grant_type", "refresh_token"),
                ("client_id", DEFAULT_SPA_CLIENT_ID),
                ("refresh_token", &rt),
                ("resource", OTHER),
            ],
        )
        .await;
    assert_token_error(
        &wrong,
        400,
        "invalid_target",
        &format!("The resource {OTHER} is not the audience of this grant"),
    );
    // The refusal came before rotation: the client still holds a working token (an attacker
    // who can make a client send a wrong `resource` cannot make it lose its login).
    // A wider `scope` is refused before rotation too.
    let wider = agent
        .post(
            &tenant.urls().token(),
            &[
                ("grant_type", "refresh_token"),
                ("client_id", DEFAULT_SPA_CLIENT_ID),
                ("refresh_token", &rt),
                ("scope", "openid delete:everything"),
            ],
        )
        .await;
    assert_token_error(
        &wider,
        403,
        "access_denied",
        "Client has not been granted scopes: delete:everything",
    );
    let again = agent
        .post(
            &tenant.urls().token(),
            &[
                ("grant_type", "refresh_token"),
                ("client_id", DEFAULT_SPA_CLIENT_ID),
                ("refresh_token", &rt),
                ("resource", &api),
            ],
        )
        .await;
    assert_eq!(again.status, 200, "{}", again.body);
    let rotated = again.json();
    assert!(names(
        &aud_of(rotated["access_token"].as_str().unwrap()),
        &api
    ));
    assert_ne!(rotated["refresh_token"].as_str(), Some(rt.as_str()));
}

#[tokio::test]
async fn a_code_exchanged_for_another_resource_is_refused() {
    let tenant = compatible_tenant().await;
    let api = tenant.audience().to_owned();
    let mut agent = Agent::new(&tenant);
    let code = code_for(&mut agent, &tenant, &[("audience", ""), ("resource", &api)]).await;
    let res = exchange(&mut agent, &tenant, &code, &[("resource", OTHER)]).await;
    assert_token_error(
        &res,
        400,
        "invalid_target",
        &format!("The resource {OTHER} is not the audience of this grant"),
    );
}

#[tokio::test]
async fn unknown_or_relative_resources_are_invalid_target_at_authorize() {
    let tenant = compatible_tenant().await;
    let mut agent = Agent::new(&tenant);
    let unknown = agent
        .get(&authorize_url(
            &tenant,
            &spa_params(
                "",
                &[("audience", ""), ("resource", "https://evil.example/")],
            ),
        ))
        .await;
    unknown.assert_redirected_error("invalid_target", "Service not found: https://evil.example/");
    let relative = agent
        .get(&authorize_url(
            &tenant,
            &spa_params("", &[("audience", ""), ("resource", "/api")]),
        ))
        .await;
    relative.assert_redirected_error(
        "invalid_target",
        "The resource parameter must be an absolute URI without a fragment",
    );
    let fragment = agent
        .get(&authorize_url(
            &tenant,
            &spa_params(
                "",
                &[("audience", ""), ("resource", "https://my-flask-api#x")],
            ),
        ))
        .await;
    fragment.assert_redirected_error(
        "invalid_target",
        "The resource parameter must be an absolute URI without a fragment",
    );
}

#[tokio::test]
async fn audience_wins_over_resource_as_auth0_documents() {
    let tenant = compatible_tenant().await;
    let api = tenant.audience().to_owned();
    let mut agent = Agent::new(&tenant);
    let tokens = tokens_for(&mut agent, &tenant, &[("resource", OTHER)]).await;
    let aud = aud_of(tokens["access_token"].as_str().unwrap());
    assert!(names(&aud, &api) && !names(&aud, OTHER), "{aud}");
}

#[tokio::test]
async fn client_credentials_take_resource_in_the_compatibility_profile_only() {
    let tenant = compatible_tenant().await;
    let api = tenant.audience().to_owned();
    let client = [
        ("grant_type", "client_credentials"),
        ("client_id", mock_idp::config::DEFAULT_CLIENT_ID),
        ("client_secret", mock_idp::config::DEFAULT_CLIENT_SECRET),
    ];
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut form = client.to_vec();
        form.extend_from_slice(extra);
        form
    };
    let res = tenant
        .http_client()
        .post(tenant.urls().token())
        .form(&with(&[("resource", "https://my-flask-api")]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(aud_of(body["access_token"].as_str().unwrap()), api);

    for (form, status, error, description) in [
        (
            with(&[("resource", "https://evil.example/")]),
            400,
            "invalid_target",
            "Service not found: https://evil.example/",
        ),
        (
            with(&[("resource", "https://my-flask-api"), ("resource", OTHER)]),
            400,
            "invalid_request",
            "Parameter 'resource' must not be repeated",
        ),
    ] {
        let res = tenant
            .http_client()
            .post(tenant.urls().token())
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), status);
        let body: Value = res.json().await.unwrap();
        assert_eq!(
            body,
            json!({"error": error, "error_description": description})
        );
    }

    // Auth0's default profile ignores `resource`: no audience at all.
    let plain = MockTenant::start().await;
    let res = plain
        .http_client()
        .post(plain.urls().token())
        .form(&with(&[("resource", "https://my-flask-api")]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body["error_description"],
        "No audience parameter was provided, and no default audience has been configured"
    );
}
