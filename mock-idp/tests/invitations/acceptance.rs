//! Accepting an invitation: a new invitee signs up, an existing user logs in, the member
//! roles in the tokens; the sign-up page in headless Chromium.

use super::*;

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

/// After an organization login the access token's `permissions` are the user's roles in
/// that organization only; outside it, the user's own roles (Auth0 RBAC with Organizations).
#[tokio::test]
async fn an_organization_login_carries_the_permissions_of_the_member_roles_only() {
    let mut c = config();
    c.apis[0].dialect = mock_idp::config::Dialect::AccessTokenAuthz;
    let api = c.apis[0].identifier.clone();
    c.roles.push(RoleConfig {
        permissions: [(api.clone(), vec!["admin:write".to_owned()])].into(),
        ..RoleConfig::new("admin")
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
