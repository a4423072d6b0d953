//! Organizations at login over HTTPS: `organization` at `/authorize` as the application's
//! `organization_usage` allows, members only, `org_id`/`org_name` in the ID and access tokens
//! and after a refresh.

use mock_idp::config::{
    DEFAULT_CALLBACK, DEFAULT_SPA_CLIENT_ID, DEFAULT_USER_EMAIL, DEFAULT_USER_PASSWORD,
    OrganizationConfig, OrganizationUsage,
};
use mock_idp::{
    MockTenant, config::AppType, config::ApplicationConfig, config::TenantConfig,
    config::UserConfig,
};
use serde_json::Value;

use crate::silent_auth::{Agent, Reply, VERIFIER, spa};
use crate::support::parts;

const ORG_APP: &str = "org-spa";

/// The quickstart tenant with an organization (`org_acme`, named "Acme") whose one member is
/// the default user, a second user outside it, and SPAs that allow or require organizations.
fn config() -> TenantConfig {
    let mut c = TenantConfig::default();
    for (id, usage) in [
        (ORG_APP, OrganizationUsage::Allow),
        ("org-required-spa", OrganizationUsage::Require),
    ] {
        c.applications.push(ApplicationConfig {
            organization_usage: usage,
            ..ApplicationConfig::browser(id, AppType::Spa, DEFAULT_CALLBACK)
        });
    }
    c.users
        .push(UserConfig::new("outsider@example.com", "outsider-pass"));
    c.organizations.push(OrganizationConfig {
        id: "org_acme".into(),
        name: Some("Acme".into()),
        applications: Vec::new(),
        members: vec![DEFAULT_USER_EMAIL.into()],
        display_name: None,
        member_roles: Default::default(),
        invitations: Vec::new(),
    });
    c
}

/// auth0-spa-js's request for `client_id`; `extra` replaces a parameter of the same name.
fn params<'a>(client_id: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut p = spa(&[]);
    p[0] = ("client_id", client_id);
    for (k, v) in extra {
        p.retain(|(n, _)| n != k);
        p.push((k, v));
    }
    p
}

/// The `error` and `error_description` of a redirect back to the callback.
fn redirected_error(res: &Reply) -> (String, String) {
    assert_eq!(res.status, 302, "{}", res.body);
    let url = url::Url::parse(res.header("location")).unwrap();
    assert!(url.as_str().starts_with(DEFAULT_CALLBACK), "{url}");
    let get = |k: &str| {
        url.query_pairs()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    assert_eq!(get("state"), "st-1");
    (get("error"), get("error_description"))
}

async fn token(tenant: &MockTenant, form: &[(&str, &str)]) -> Value {
    let res = tenant
        .http_client()
        .post(tenant.urls().token())
        .form(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

#[tokio::test]
async fn a_member_logs_in_to_the_organization_and_its_claims_survive_refresh() {
    let tenant = MockTenant::builder().config(config()).start().await;
    let aud = tenant.audience();
    let mut agent = Agent::new(&tenant);
    // By name, in any case; the API allows offline access, so a refresh token comes too.
    let p = params(
        ORG_APP,
        &[
            ("organization", "ACME"),
            ("audience", aud),
            ("scope", "openid offline_access"),
        ],
    );
    let done = agent
        .submit_login_with(&tenant, &p, DEFAULT_USER_EMAIL, DEFAULT_USER_PASSWORD)
        .await;
    assert_eq!(done.status, 302, "{}", done.body);
    let url = url::Url::parse(done.header("location")).unwrap();
    let code = url.query_pairs().find(|(k, _)| k == "code").unwrap().1;
    let body = token(
        &tenant,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", ORG_APP),
            ("code", &code),
            ("code_verifier", VERIFIER),
            ("redirect_uri", DEFAULT_CALLBACK),
        ],
    )
    .await;
    for t in ["access_token", "id_token"] {
        let (_, c) = parts(body[t].as_str().unwrap());
        assert_eq!(
            (c["org_id"].as_str(), c["org_name"].as_str()),
            (Some("org_acme"), Some("acme")),
            "{t}"
        );
    }
    let refreshed = token(
        &tenant,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", ORG_APP),
            ("refresh_token", body["refresh_token"].as_str().unwrap()),
        ],
    )
    .await;
    for t in ["access_token", "id_token"] {
        let (_, c) = parts(refreshed[t].as_str().unwrap());
        assert_eq!(c["org_id"], "org_acme", "{t} after refresh");
    }

    // The same browser without `organization`: a login without org claims.
    let res = agent.authorize(&tenant, &params(ORG_APP, &[])).await;
    let url = url::Url::parse(res.header("location")).unwrap();
    let code = url.query_pairs().find(|(k, _)| k == "code").unwrap().1;
    let plain = token(
        &tenant,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", ORG_APP),
            ("code", &code),
            ("code_verifier", VERIFIER),
            ("redirect_uri", DEFAULT_CALLBACK),
        ],
    )
    .await;
    assert!(
        parts(plain["id_token"].as_str().unwrap())
            .1
            .get("org_id")
            .is_none()
    );
}

/// A user with a valid password who is not a member gets no code for the organization, after
/// the form or from an existing session (`prompt=none`).
#[tokio::test]
async fn a_non_member_gets_access_denied_after_the_form_and_with_a_session() {
    let tenant = MockTenant::builder().config(config()).start().await;
    let outsider = UserConfig::new("outsider@example.com", "x").id();
    let expected = (
        "access_denied".to_owned(),
        format!("user {outsider} is not part of the org_acme organization"),
    );
    let mut agent = Agent::new(&tenant);
    let res = agent
        .submit_login_with(
            &tenant,
            &params(ORG_APP, &[("organization", "org_acme")]),
            "outsider@example.com",
            "outsider-pass",
        )
        .await;
    assert_eq!(redirected_error(&res), expected);
    assert!(!res.header("location").contains("code="));
    // The session exists (the password was right); it still does not open the organization.
    let res = agent
        .authorize(
            &tenant,
            &params(ORG_APP, &[("organization", "org_acme"), ("prompt", "none")]),
        )
        .await;
    assert_eq!(redirected_error(&res), expected);
}

#[tokio::test]
async fn organization_usage_decides_whether_organization_may_or_must_be_sent() {
    let tenant = MockTenant::builder().config(config()).start().await;
    let mut agent = Agent::new(&tenant);
    let cases = [
        (
            DEFAULT_SPA_CLIENT_ID,
            Some("org_acme"),
            "parameter organization is not allowed for this client",
        ),
        (
            "org-required-spa",
            None,
            "parameter organization is required for this client",
        ),
        (
            ORG_APP,
            Some("org_nope"),
            "no organization found for: org_nope",
        ),
    ];
    for (client, org, description) in cases {
        let extra: Vec<(&str, &str)> = org.map(|o| ("organization", o)).into_iter().collect();
        let res = agent.authorize(&tenant, &params(client, &extra)).await;
        assert_eq!(
            redirected_error(&res),
            ("invalid_request".to_owned(), description.to_owned()),
            "{client}"
        );
    }
}
