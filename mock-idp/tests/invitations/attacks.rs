//! The attacks on an invitation's ticket, each played over HTTP: replay, a guessed ticket,
//! another organization, another application, expiry, deletion, an edited email, another
//! account's session.

use super::*;

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

/// The ticket is a one-time secret: whoever reads the journal (`read:mock_tenant`) does not
/// learn it from `/authorize`'s query.
#[tokio::test]
async fn the_journal_does_not_keep_the_ticket() {
    let t = tenant().await;
    let inv = invite(&t, "org_acme", INVITEE, APP).await;
    let (ticket, org) = link_params(&inv);
    let res = open_link(&mut Agent::new(&t), &t, APP, &ticket, &org).await;
    assert_eq!(local(&res).path(), "/u/login");
    let (s, journal) = call(&t, Method::GET, "/control/journal", None).await;
    assert_eq!(s, 200);
    assert!(!journal.to_string().contains(&ticket), "{journal}");
    let query = journal
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["path"] == "/authorize")
        .unwrap()["query"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(query.contains("invitation=%5Bredacted%5D"), "{query}");
}

/// Security review 4 (found sound): the sign-up form cannot take over an account. Posted once
/// the invitee's address has an account (made meanwhile), it changes nobody's password; posted
/// from another browser (a cross-site form: no device cookie), it creates nobody.
#[tokio::test]
async fn the_signup_form_neither_takes_over_an_account_nor_accepts_a_cross_site_post() {
    let t = tenant().await;
    let inv = invite(&t, "org_acme", INVITEE, APP).await;
    let (mut agent, tx, _) = to_signup(&t, &inv).await;

    // Another browser posts the form with the transaction it learned: refused, nobody made.
    let mut stranger = Agent::new(&t);
    let form = [
        ("state", tx.as_str()),
        ("username", INVITEE),
        ("password", "the attacker's passphrase"),
    ];
    let res = post_form(&mut stranger, &t, "/u/signup", &form).await;
    assert_eq!(res.status, 400);
    assert!(
        res.body
            .contains("This login has expired or was started in another browser."),
        "{}",
        res.body
    );
    assert!(t.config().user_by_email(INVITEE).is_none());

    // The address gets an account meanwhile; the form then changes nothing about it.
    t.config()
        .create_user(mock_idp::config::UserConfig::new(
            &INVITEE.to_uppercase(),
            "the owner's passphrase",
        ))
        .unwrap();
    let res = post_form(&mut agent, &t, "/u/signup", &form).await;
    assert_eq!(res.status, 400);
    assert!(
        res.body
            .contains("data-testid=\"signup-error\">The user already exists.</p>"),
        "{}",
        res.body
    );
    let owner = t.config().user_by_email(INVITEE).unwrap();
    assert!(owner.password_matches("the owner's passphrase"));
    assert!(!owner.password_matches("the attacker's passphrase"));
    assert!(!res.headers.contains_key("set-cookie"));
}

/// An invitation grants the roles it was made with, not whatever later takes their name: a
/// role deleted while the invitation is pending leaves it, and one created again under the
/// same name is not granted.
#[tokio::test]
async fn a_role_deleted_and_created_again_is_not_granted_by_a_pending_invitation() {
    let t = tenant().await;
    let inv = invite(&t, "org_acme", INVITEE, APP).await;
    let id = inv["id"].as_str().unwrap();
    let role = role_id(&t).await;
    let (s, _) = call(&t, Method::DELETE, &format!("/api/v2/roles/{role}"), None).await;
    assert_eq!(s, 204);
    let (s, again) = call(
        &t,
        Method::POST,
        "/api/v2/roles",
        Some(json!({"name": "editor"})),
    )
    .await;
    assert_eq!(s, 200, "{again}");
    let (_, pending) = call(
        &t,
        Method::GET,
        &format!("/api/v2/organizations/org_acme/invitations/{id}"),
        None,
    )
    .await;
    assert_eq!(pending["roles"], json!([]), "{pending}");

    let (mut agent, tx, _) = to_signup(&t, &inv).await;
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
    redeem(&t, &done).await;
    let user = t.config().user_by_email(INVITEE).unwrap().id();
    let (s, roles) = call(
        &t,
        Method::GET,
        &format!("/api/v2/organizations/org_acme/members/{user}/roles"),
        None,
    )
    .await;
    assert_eq!((s.as_u16(), roles), (200, json!([])));
}
