//! Organization invitations over HTTPS, as Auth0 runs them: created over the Management API
//! (`/api/v2/organizations/{id}/invitations`), the link (`invitation_url`) opened at
//! `/authorize`, the invitee signing up or logging in with the email locked, then a member
//! with the invitation's roles and `org_id`/`org_name` in the tokens. Each attack on the
//! ticket (replay, guess, another organization, another application, expiry, a changed
//! email, another account's session) is played over HTTP.

use mock_idp::MockTenant;
use mock_idp::config::{
    AppType, ApplicationConfig, DEFAULT_CALLBACK, DEFAULT_USER_EMAIL, DEFAULT_USER_PASSWORD,
    OrganizationConfig, OrganizationUsage, RoleConfig, TenantConfig, UserConfig,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::control::call_as;
use crate::silent_auth::{Agent, Reply, VERIFIER, spa};
use crate::support::parts;

const SECRET: &str = "invitations-admin-secret-0123";
const APP: &str = "invite-spa";
const OTHER_APP: &str = "other-spa";
const LOGIN_URI: &str = "https://app.example/login";
const INVITEE: &str = "newcomer@example.com";
const OUTSIDER: &str = "outsider@example.com";
const OUTSIDER_PASSWORD: &str = "outsider-pass";
const NOT_FOUND: &str = "invitation not found or expired";
const WRONG_ACCOUNT: &str = "the specified account is not allowed to accept the current invitation";

/// Two SPAs that allow organizations (one with an Application Login URI), one that denies
/// them, one without a login URI; organizations `org_acme` ("acme") and `org_globex`
/// ("globex"); a role `editor`; a user outside both.
fn config() -> TenantConfig {
    let mut c = TenantConfig::default();
    for (id, usage, login) in [
        (APP, OrganizationUsage::Allow, Some(LOGIN_URI)),
        (
            OTHER_APP,
            OrganizationUsage::Allow,
            Some("https://other.example/login"),
        ),
        ("no-login-uri", OrganizationUsage::Allow, None),
        ("no-orgs", OrganizationUsage::Deny, Some(LOGIN_URI)),
    ] {
        c.applications.push(ApplicationConfig {
            organization_usage: usage,
            initiate_login_uri: login.map(str::to_owned),
            ..ApplicationConfig::browser(id, AppType::Spa, DEFAULT_CALLBACK)
        });
    }
    let api = c.apis[0].identifier.clone();
    c.roles.push(RoleConfig {
        permissions: [(api, vec!["read:messages".to_owned()])].into(),
        ..RoleConfig::new("editor")
    });
    c.users.push(UserConfig::new(OUTSIDER, OUTSIDER_PASSWORD));
    for (id, name) in [("org_acme", "acme"), ("org_globex", "globex")] {
        c.organizations.push(OrganizationConfig {
            id: id.into(),
            name: Some(name.into()),
            applications: Vec::new(),
            members: Vec::new(),
            display_name: Some(format!("{name} Inc.")),
            member_roles: Default::default(),
            invitations: Vec::new(),
        });
    }
    c
}

async fn tenant() -> MockTenant {
    let t = MockTenant::builder()
        .config(config())
        .admin_secret(SECRET)
        .start()
        .await;
    t.clock().freeze_at(1_800_000_000);
    t
}

async fn call(
    t: &MockTenant,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    call_as(t, SECRET, method, path, body).await
}

/// Auth0's error body.
fn error(status: u16, message: &str, code: &str) -> Value {
    let reason = StatusCode::from_u16(status)
        .unwrap()
        .canonical_reason()
        .unwrap();
    json!({"statusCode": status, "error": reason, "message": message, "errorCode": code})
}

/// Invites `email` to `org` for `client_id` (with the `editor` role); the invitation.
async fn invite(t: &MockTenant, org: &str, email: &str, client_id: &str) -> Value {
    let (s, inv) = call(
        t,
        Method::POST,
        &format!("/api/v2/organizations/{org}/invitations"),
        Some(json!({
            "inviter": {"name": "Ada Admin"},
            "invitee": {"email": email},
            "client_id": client_id,
            "roles": [role_id(t).await],
            "send_invitation_email": false,
        })),
    )
    .await;
    assert_eq!(s, 201, "{inv}");
    inv
}

async fn role_id(t: &MockTenant) -> String {
    let (_, roles) = call(t, Method::GET, "/api/v2/roles", None).await;
    roles[0]["id"].as_str().unwrap().to_owned()
}

/// The `invitation` and `organization` of an invitation's link, as the application's login
/// route reads them.
fn link_params(inv: &Value) -> (String, String) {
    let url = url::Url::parse(inv["invitation_url"].as_str().unwrap()).unwrap();
    let get = |k: &str| {
        url.query_pairs()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.into_owned())
            .unwrap()
    };
    (get("invitation"), get("organization"))
}

/// `/authorize` as the application forwards the link: the SPA's request plus both
/// parameters.
async fn open_link(
    agent: &mut Agent,
    t: &MockTenant,
    client_id: &str,
    ticket: &str,
    org: &str,
) -> Reply {
    let mut p = spa(&[("organization", org), ("invitation", ticket)]);
    p[0] = ("client_id", client_id);
    agent.authorize(t, &p).await
}

/// The `error` and `error_description` of a redirect back to the application.
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

/// The path and query of a redirect within the tenant.
fn local(res: &Reply) -> url::Url {
    assert_eq!(res.status, 302, "{}", res.body);
    url::Url::parse("https://tenant.invalid")
        .unwrap()
        .join(res.header("location"))
        .unwrap()
}

async fn get_page(agent: &mut Agent, t: &MockTenant, at: &url::Url) -> Reply {
    let req = agent.http.get(format!(
        "{}{}?{}",
        t.uri(),
        at.path(),
        at.query().unwrap_or("")
    ));
    agent.send(req).await
}

async fn post_form(agent: &mut Agent, t: &MockTenant, path: &str, form: &[(&str, &str)]) -> Reply {
    let req = agent.http.post(format!("{}{path}", t.uri())).form(form);
    agent.send(req).await
}

/// Opens the link in a new browser and follows it to the sign-up page: (browser, its
/// transaction, the page).
async fn to_signup(t: &MockTenant, inv: &Value) -> (Agent, String, Reply) {
    let (ticket, org) = link_params(inv);
    let mut agent = Agent::new(t);
    let res = open_link(&mut agent, t, APP, &ticket, &org).await;
    let login = local(&res);
    assert_eq!(login.path(), "/u/login");
    let res = get_page(&mut agent, t, &login).await;
    let signup = local(&res);
    assert_eq!(signup.path(), "/u/signup");
    let tx = signup
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .into_owned();
    let page = get_page(&mut agent, t, &signup).await;
    (agent, tx, page)
}

/// Redeems the code of a redirect to the callback: the token response.
async fn redeem(t: &MockTenant, res: &Reply) -> Value {
    assert_eq!(res.status, 302, "{}", res.body);
    let url = url::Url::parse(res.header("location")).unwrap();
    let code = url
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap_or_else(|| panic!("{url}"))
        .1
        .into_owned();
    let r = t
        .http_client()
        .post(t.urls().token())
        .form(&[
            ("grant_type", "authorization_code"),
            ("client_id", APP),
            ("code", &code),
            ("code_verifier", VERIFIER),
            ("redirect_uri", DEFAULT_CALLBACK),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

mod acceptance;
mod api;
mod attacks;

/// The README's O- rows name tests that exist.
#[test]
fn the_o_rows_name_tests_that_exist() {
    let readme = include_str!("../../README.md");
    let sources = [
        include_str!("acceptance.rs"),
        include_str!("attacks.rs"),
        include_str!("api.rs"),
        include_str!("../org_login.rs"),
        include_str!("../management/persistence.rs"),
    ];
    let named: Vec<&str> = readme
        .lines()
        .filter(|l| l.starts_with("| O-"))
        .flat_map(|l| l.split('`'))
        .filter_map(|w| {
            ["invitations::", "org_login::", "management::persistence::"]
                .iter()
                .find_map(|p| w.strip_prefix(p))
        })
        .collect();
    assert!(named.len() >= 10, "{named:?}");
    for name in named {
        assert!(
            sources
                .iter()
                .any(|s| s.contains(&format!("async fn {name}()"))),
            "{name}"
        );
    }
}
