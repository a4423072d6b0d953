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
        name: "editor".into(),
        permissions: [(api, vec!["read:messages".to_owned()])].into(),
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

#[tokio::test]
async fn an_invitation_signs_a_new_user_up_as_a_member_with_its_roles() {
    let t = tenant().await;
    let inv = invite(&t, "org_acme", INVITEE, APP).await;
    let id = inv["id"].as_str().unwrap();
    let ticket = inv["ticket_id"].as_str().unwrap();
    assert!(id.starts_with("uinv_"), "{id}");
    assert_eq!(
        inv,
        json!({
            "id": id,
            "organization_id": "org_acme",
            "inviter": {"name": "Ada Admin"},
            "invitee": {"email": INVITEE},
            "invitation_url": format!("{LOGIN_URI}?invitation={ticket}&organization=org_acme&organization_name=acme"),
            "created_at": "2027-01-15T08:00:00.000Z",
            "expires_at": "2027-01-22T08:00:00.000Z",
            "client_id": APP,
            "app_metadata": {},
            "user_metadata": {},
            "roles": [role_id(&t).await],
            "ticket_id": ticket,
        })
    );
    let (s, one) = call(
        &t,
        Method::GET,
        &format!("/api/v2/organizations/org_acme/invitations/{id}"),
        None,
    )
    .await;
    assert_eq!((s.as_u16(), &one), (200, &inv));
    let (s, list) = call(
        &t,
        Method::GET,
        "/api/v2/organizations/org_acme/invitations?include_totals=true",
        None,
    )
    .await;
    assert_eq!(
        (s.as_u16(), list),
        (
            200,
            json!({"start": 0, "limit": 50, "total": 1, "invitations": [inv.clone()]})
        )
    );

    // The link: no account for the email, so the sign-up page, the email locked.
    let (mut agent, tx, page) = to_signup(&t, &inv).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains(&format!(
            "readonly value=\"{INVITEE}\" data-testid=\"signup-email\""
        )),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("Ada Admin has invited you to join <strong>acme Inc.</strong>")
    );
    let done = post_form(
        &mut agent,
        &t,
        "/u/signup",
        &[
            ("state", &tx),
            ("username", INVITEE),
            ("password", "a long passphrase"),
        ],
    )
    .await;
    let body = redeem(&t, &done).await;
    for tok in ["access_token", "id_token"] {
        let (_, c) = parts(body[tok].as_str().unwrap());
        assert_eq!(
            (c["org_id"].as_str(), c["org_name"].as_str()),
            (Some("org_acme"), Some("acme")),
            "{tok}"
        );
    }
    let user = t.config().user_by_email(INVITEE).unwrap().id();
    let (_, c) = parts(body["id_token"].as_str().unwrap());
    assert_eq!(c["sub"], user);

    // A member with the invitation's role; the invitation is spent.
    let (_, members) = call(
        &t,
        Method::GET,
        "/api/v2/organizations/org_acme/members",
        None,
    )
    .await;
    assert_eq!(members[0]["user_id"], user.as_str());
    let (_, roles) = call(
        &t,
        Method::GET,
        &format!("/api/v2/organizations/org_acme/members/{user}/roles"),
        None,
    )
    .await;
    assert_eq!(roles[0]["name"], "editor");
    let (s, gone) = call(
        &t,
        Method::GET,
        &format!("/api/v2/organizations/org_acme/invitations/{id}"),
        None,
    )
    .await;
    assert_eq!(
        (s.as_u16(), gone),
        (
            404,
            error(
                404,
                "The invitation does not exist.",
                "inexistent_invitation"
            )
        )
    );
}

#[tokio::test]
async fn an_existing_user_accepts_through_the_login_form_with_the_email_locked() {
    let t = tenant().await;
    let inv = invite(&t, "org_globex", OUTSIDER, APP).await;
    let (ticket, org) = link_params(&inv);
    let mut agent = Agent::new(&t);
    let res = open_link(&mut agent, &t, APP, &ticket, &org).await;
    let login = local(&res);
    let page = get_page(&mut agent, &t, &login).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains(&format!(
            "value=\"{OUTSIDER}\" data-testid=\"login-email\" readonly"
        )),
        "{}",
        page.body
    );
    assert!(page.body.contains("data-testid=\"invitation-notice\""));
    let tx = login
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .into_owned();
    let done = post_form(
        &mut agent,
        &t,
        "/u/login",
        &[
            ("state", &tx),
            ("username", OUTSIDER),
            ("password", OUTSIDER_PASSWORD),
        ],
    )
    .await;
    let body = redeem(&t, &done).await;
    let (_, c) = parts(body["access_token"].as_str().unwrap());
    assert_eq!(c["org_id"], "org_globex");
    let user = t.config().user_by_email(OUTSIDER).unwrap().id();
    let (_, roles) = call(
        &t,
        Method::GET,
        &format!("/api/v2/organizations/org_globex/members/{user}/roles"),
        None,
    )
    .await;
    assert_eq!(roles[0]["name"], "editor");
}

#[tokio::test]
async fn a_spent_a_guessed_and_another_organizations_ticket_are_refused() {
    let t = tenant().await;
    let inv = invite(&t, "org_acme", OUTSIDER, APP).await;
    let (ticket, _) = link_params(&inv);
    // Another organization's ticket with organization=B: the same answer as an unknown one.
    let mut attacker = Agent::new(&t);
    let res = open_link(&mut attacker, &t, APP, &ticket, "org_globex").await;
    assert_eq!(
        redirected_error(&res),
        ("invalid_request".into(), NOT_FOUND.into())
    );
    let res = open_link(
        &mut attacker,
        &t,
        APP,
        "0123456789abcdefGHIJKLMNOPqrstuv",
        "org_acme",
    )
    .await;
    assert_eq!(
        redirected_error(&res),
        ("invalid_request".into(), NOT_FOUND.into())
    );
    // `invitation` without `organization`.
    let mut p = spa(&[("invitation", ticket.as_str())]);
    p[0] = ("client_id", APP);
    let res = attacker.authorize(&t, &p).await;
    assert_eq!(
        redirected_error(&res),
        (
            "invalid_request".into(),
            "parameter organization is required with invitation".into()
        )
    );

    // The invitee accepts; the same link again (another browser, or the same) is refused.
    let mut invitee = Agent::new(&t);
    let res = open_link(&mut invitee, &t, APP, &ticket, "org_acme").await;
    let login = local(&res);
    let tx = login
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .into_owned();
    let done = post_form(
        &mut invitee,
        &t,
        "/u/login",
        &[
            ("state", &tx),
            ("username", OUTSIDER),
            ("password", OUTSIDER_PASSWORD),
        ],
    )
    .await;
    redeem(&t, &done).await;
    for agent in [&mut attacker, &mut invitee] {
        let res = open_link(agent, &t, APP, &ticket, "org_acme").await;
        assert_eq!(
            redirected_error(&res),
            ("invalid_request".into(), NOT_FOUND.into())
        );
    }
}

#[tokio::test]
async fn another_application_an_expired_and_a_deleted_invitation_are_refused() {
    let t = tenant().await;
    let inv = invite(&t, "org_acme", INVITEE, APP).await;
    let (ticket, org) = link_params(&inv);
    let mut agent = Agent::new(&t);
    let res = open_link(&mut agent, &t, OTHER_APP, &ticket, &org).await;
    assert_eq!(
        redirected_error(&res),
        ("invalid_request".into(), NOT_FOUND.into())
    );

    // A login started while the invitation was live cannot finish after it expired (a
    // minute's invitation, the tenant's clock moved past it).
    let (s, short) = call(
        &t,
        Method::POST,
        "/api/v2/organizations/org_acme/invitations",
        Some(json!({"inviter": {"name": "Ada"}, "invitee": {"email": INVITEE}, "client_id": APP, "ttl_sec": 60})),
    )
    .await;
    assert_eq!(s, 201, "{short}");
    let (ticket, org) = link_params(&short);
    let (mut agent, tx, page) = to_signup(&t, &short).await;
    assert_eq!(page.status, 200);
    t.clock().advance(60);
    let res = open_link(&mut Agent::new(&t), &t, APP, &ticket, &org).await;
    assert_eq!(
        redirected_error(&res),
        ("invalid_request".into(), NOT_FOUND.into())
    );
    let res = post_form(
        &mut agent,
        &t,
        "/u/signup",
        &[
            ("state", &tx),
            ("username", INVITEE),
            ("password", "a long passphrase"),
        ],
    )
    .await;
    assert_eq!(res.status, 400);
    assert!(res.body.contains(NOT_FOUND), "{}", res.body);
    assert!(t.config().user_by_email(INVITEE).is_none());
    // Expired ones are gone from the API too; the first (7 days) is still listed.
    let (s, list) = call(
        &t,
        Method::GET,
        "/api/v2/organizations/org_acme/invitations",
        None,
    )
    .await;
    assert_eq!((s.as_u16(), list), (200, json!([inv])));
    t.clock().advance(604_800);
    let (_, list) = call(
        &t,
        Method::GET,
        "/api/v2/organizations/org_acme/invitations",
        None,
    )
    .await;
    assert_eq!(list, json!([]));

    // Deleted: its link stops working.
    let inv = invite(&t, "org_acme", INVITEE, APP).await;
    let (ticket, org) = link_params(&inv);
    let path = format!(
        "/api/v2/organizations/org_acme/invitations/{}",
        inv["id"].as_str().unwrap()
    );
    let (s, _) = call(&t, Method::DELETE, &path, None).await;
    assert_eq!(s, 204);
    let (s, body) = call(&t, Method::DELETE, &path, None).await;
    assert_eq!(
        (s.as_u16(), body),
        (
            404,
            error(
                404,
                "The invitation does not exist.",
                "inexistent_invitation"
            )
        )
    );
    let res = open_link(&mut Agent::new(&t), &t, APP, &ticket, &org).await;
    assert_eq!(
        redirected_error(&res),
        ("invalid_request".into(), NOT_FOUND.into())
    );
}

#[tokio::test]
async fn an_invitee_cannot_change_the_email_in_the_forms() {
    let t = tenant().await;
    // Sign-up: another address creates nobody and leaves the invitation live.
    let inv = invite(&t, "org_acme", INVITEE, APP).await;
    let (mut agent, tx, _) = to_signup(&t, &inv).await;
    let res = post_form(
        &mut agent,
        &t,
        "/u/signup",
        &[
            ("state", &tx),
            ("username", "mallory@example.com"),
            ("password", "a long passphrase"),
        ],
    )
    .await;
    assert_eq!(res.status, 400);
    assert!(
        res.body.contains(
            "data-testid=\"signup-error\">This invitation is for another email address</p>"
        ),
        "{}",
        res.body
    );
    assert!(res.body.contains(&format!("value=\"{INVITEE}\"")));
    assert!(t.config().user_by_email("mallory@example.com").is_none());
    let res = post_form(
        &mut agent,
        &t,
        "/u/signup",
        &[("state", &tx), ("username", INVITEE), ("password", "short")],
    )
    .await;
    assert_eq!(res.status, 400);
    assert!(
        res.body.contains(">Password is too weak</p>"),
        "{}",
        res.body
    );

    // Login: an invitation for the outsider, the form posted with the default user's
    // credentials (someone holding two accounts): refused, no one joins, the ticket lives.
    let inv = invite(&t, "org_globex", OUTSIDER, APP).await;
    let (ticket, org) = link_params(&inv);
    let mut agent = Agent::new(&t);
    let login = local(&open_link(&mut agent, &t, APP, &ticket, &org).await);
    let tx = login
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .into_owned();
    let res = post_form(
        &mut agent,
        &t,
        "/u/login",
        &[
            ("state", &tx),
            ("username", DEFAULT_USER_EMAIL),
            ("password", DEFAULT_USER_PASSWORD),
        ],
    )
    .await;
    assert_eq!(res.status, 400);
    assert!(
        res.body.contains(
            "data-testid=\"login-error\">This invitation is for another email address</p>"
        ),
        "{}",
        res.body
    );
    let (_, members) = call(
        &t,
        Method::GET,
        "/api/v2/organizations/org_globex/members",
        None,
    )
    .await;
    assert_eq!(members, json!([]));
    let (s, _) = call(
        &t,
        Method::GET,
        &format!(
            "/api/v2/organizations/org_globex/invitations/{}",
            inv["id"].as_str().unwrap()
        ),
        None,
    )
    .await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn a_session_of_another_account_spends_the_invitation_with_access_denied() {
    let t = tenant().await;
    let inv = invite(&t, "org_acme", OUTSIDER, APP).await;
    let (ticket, org) = link_params(&inv);
    let mut agent = Agent::new(&t);
    let mut p = spa(&[]);
    p[0] = ("client_id", APP);
    let done = agent
        .submit_login_with(&t, &p, DEFAULT_USER_EMAIL, DEFAULT_USER_PASSWORD)
        .await;
    assert_eq!(done.status, 302, "{}", done.body);
    let res = open_link(&mut agent, &t, APP, &ticket, &org).await;
    assert_eq!(
        redirected_error(&res),
        ("access_denied".into(), WRONG_ACCOUNT.into())
    );
    // Spent, as Auth0 spends it; nobody joined.
    let (s, _) = call(
        &t,
        Method::GET,
        &format!(
            "/api/v2/organizations/org_acme/invitations/{}",
            inv["id"].as_str().unwrap()
        ),
        None,
    )
    .await;
    assert_eq!(s, 404);
    let (_, members) = call(
        &t,
        Method::GET,
        "/api/v2/organizations/org_acme/members",
        None,
    )
    .await;
    assert_eq!(members, json!([]));
}

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

/// After an organization login the access token's `permissions` are the user's roles in
/// that organization only; outside it, the user's own roles (Auth0 RBAC with Organizations).
#[tokio::test]
async fn an_organization_login_carries_the_permissions_of_the_member_roles_only() {
    let mut c = config();
    c.apis[0].dialect = mock_idp::config::Dialect::AccessTokenAuthz;
    let api = c.apis[0].identifier.clone();
    c.roles.push(RoleConfig {
        name: "admin".into(),
        permissions: [(api.clone(), vec!["admin:write".to_owned()])].into(),
    });
    let user = c.users.iter_mut().find(|u| u.email == OUTSIDER).unwrap();
    user.roles = vec!["admin".into()];
    let id = user.id();
    let org = c
        .organizations
        .iter_mut()
        .find(|o| o.id == "org_acme")
        .unwrap();
    org.members.push(id.clone());
    org.member_roles.insert(id, vec!["editor".into()]);
    let t = MockTenant::builder().config(c).start().await;
    let permissions = |org: Option<&'static str>| {
        let t = &t;
        let api = api.clone();
        async move {
            let mut extra = vec![("audience", api.as_str())];
            if let Some(o) = org {
                extra.push(("organization", o));
            }
            let mut p = spa(&extra);
            p[0] = ("client_id", APP);
            let done = Agent::new(t)
                .submit_login_with(t, &p, OUTSIDER, OUTSIDER_PASSWORD)
                .await;
            let body = redeem(t, &done).await;
            parts(body["access_token"].as_str().unwrap()).1["permissions"].clone()
        }
    };
    assert_eq!(
        permissions(Some("org_acme")).await,
        json!(["read:messages"])
    );
    assert_eq!(permissions(None).await, json!(["admin:write"]));
}

/// The sign-up page in headless Chromium: the link opened, the email shown and not
/// editable, a password typed, back in the application with a code; then a member.
#[tokio::test]
async fn the_signup_page_in_chromium() {
    use browser_test::fantoccini::Locator;
    let Some(browser) = browser_test::Browser::launch().await else {
        return;
    };
    let app = crate::mfa::local_callback().await;
    let mut c = config();
    c.applications
        .iter_mut()
        .find(|a| a.client_id == APP)
        .unwrap()
        .callbacks
        .push(app.clone());
    let t = MockTenant::builder()
        .config(c)
        .admin_secret(SECRET)
        .start()
        .await;
    let inv = invite(&t, "org_acme", INVITEE, APP).await;
    let (ticket, org) = link_params(&inv);
    let mut p = spa(&[
        ("organization", org.as_str()),
        ("invitation", ticket.as_str()),
        ("state", "st-browser"),
    ]);
    p.retain(|(k, v)| !(*k == "state" && *v == "st-1"));
    p[0] = ("client_id", APP);
    p[1] = ("redirect_uri", app.as_str());
    let mut url = url::Url::parse(&t.urls().authorize()).unwrap();
    url.query_pairs_mut().extend_pairs(&p);
    let b = browser.client();
    b.goto(url.as_str()).await.unwrap();
    let email = match b
        .wait()
        .for_element(Locator::Css("[data-testid=signup-email]"))
        .await
    {
        Ok(e) => e,
        Err(e) => panic!(
            "{e} at {} showing {}",
            b.current_url().await.unwrap(),
            b.source().await.unwrap()
        ),
    };
    assert_eq!(b.current_url().await.unwrap().path(), "/u/signup");
    // Typing into the email changes nothing: it is the invitee's.
    email.send_keys("mallory").await.unwrap();
    assert_eq!(email.prop("value").await.unwrap().as_deref(), Some(INVITEE));
    let notice = b
        .find(Locator::Css("[data-testid=invitation-notice]"))
        .await
        .unwrap();
    assert_eq!(
        notice.text().await.unwrap(),
        "Ada Admin has invited you to join acme Inc.."
    );
    b.find(Locator::Css("[data-testid=signup-password]"))
        .await
        .unwrap()
        .send_keys("a long passphrase")
        .await
        .unwrap();
    b.find(Locator::Css("[data-testid=signup-submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.wait().for_element(Locator::Css("#back")).await.unwrap();
    let landed = b.current_url().await.unwrap();
    assert!(
        landed.as_str().starts_with(&format!("{app}?code=")),
        "{landed}"
    );
    browser.close().await;
    let user = t.config().user_by_email(INVITEE).unwrap().id();
    let (_, members) = call(
        &t,
        Method::GET,
        "/api/v2/organizations/org_acme/members",
        None,
    )
    .await;
    assert_eq!(members[0]["user_id"], user.as_str());
}

/// The README's O- rows name tests that exist.
#[test]
fn the_o_rows_name_tests_that_exist() {
    let readme = include_str!("../README.md");
    let sources = [
        include_str!("invitations.rs"),
        include_str!("org_login.rs"),
        include_str!("management/persistence.rs"),
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
