//! The authorization code grant: the tokens a login gets, and every misuse of a code (replay,
//! wrong verifier, downgraded PKCE, confidential clients without their secret).

use super::*;

#[tokio::test]
async fn login_with_pkce_issues_auth0_shaped_tokens() {
    let tenant = MockTenant::start().await;
    let mut agent = Agent::new(&tenant);
    let aud = tenant.audience();
    let res = agent
        .get(&authorize_url(
            &tenant,
            &spa_params(&aud, &[("login_hint", DEFAULT_USER_EMAIL)]),
        ))
        .await;
    assert_eq!(res.status, 302);
    assert_eq!(res.location().path(), "/u/login");
    let did = res
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("did="))
        .unwrap();
    assert!(
        did.contains("HttpOnly") && did.contains("Secure") && did.contains("SameSite=Lax"),
        "{did}"
    );
    let tx = res.param("state").unwrap();

    let page = agent
        .get(&format!("{}/u/login?state={tx}", tenant.uri()))
        .await;
    assert_eq!(page.status, 200);
    for attr in [
        "data-testid=\"login-email\"",
        "name=\"username\"",
        "name=\"password\"",
        "data-testid=\"login-submit\"",
        "<label for=\"username\">",
        &format!("value=\"{DEFAULT_USER_EMAIL}\""),
    ] {
        assert!(page.body.contains(attr), "{attr} missing");
    }
    assert!(
        page.headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );

    let login = format!("{}/u/login", tenant.uri());
    let wrong = agent
        .post(
            &login,
            &[
                ("state", &tx),
                ("username", DEFAULT_USER_EMAIL),
                ("password", "nope"),
            ],
        )
        .await;
    assert_eq!(wrong.status, 400);
    assert!(
        wrong.body.contains("data-testid=\"login-error\"")
            && wrong.body.contains("Wrong email or password")
    );
    assert!(!agent.cookies.contains_key("auth0"));

    let ok = agent
        .post(
            &login,
            &[
                ("state", &tx),
                ("username", DEFAULT_USER_EMAIL),
                ("password", DEFAULT_USER_PASSWORD),
            ],
        )
        .await;
    assert_eq!(ok.status, 302, "{}", ok.body);
    let session = ok
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("auth0="))
        .unwrap();
    assert!(
        session.contains("HttpOnly")
            && session.contains("Secure")
            && session.contains("SameSite=Lax")
            && session.contains("Path=/"),
        "{session}"
    );
    let cb = ok.location();
    assert_eq!(cb.as_str().split('?').next().unwrap(), DEFAULT_CALLBACK);
    assert_eq!(param(&cb, "state").as_deref(), Some("st4te"));
    let code = param(&cb, "code").unwrap();

    let res = exchange(&mut agent, &tenant, &code, &[]).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.headers["cache-control"], "no-store");
    let body = res.json();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(
        body["scope"],
        "openid profile email offline_access read:messages"
    );
    assert_eq!(body["expires_in"], 86400);
    assert!(body["refresh_token"].as_str().unwrap().starts_with("v1."));

    let jwks = fetch_jwks(&tenant).await;
    let at = verify(
        body["access_token"].as_str().unwrap(),
        &jwks,
        tenant.issuer(),
        &aud,
    )
    .unwrap();
    let user = tenant.config().user_by_email(DEFAULT_USER_EMAIL).unwrap();
    assert_eq!(at["sub"], user.id());
    assert!(user.id().starts_with("auth0|"));
    assert_eq!(
        at["aud"],
        json!([aud, format!("{}/userinfo", tenant.uri())])
    );
    assert_eq!(at["azp"], DEFAULT_SPA_CLIENT_ID);
    assert_eq!(
        at["scope"],
        "openid profile email offline_access read:messages"
    );
    assert!(at.get("gty").is_none(), "no gty for the code flow: {at}");

    let id = verify(
        body["id_token"].as_str().unwrap(),
        &jwks,
        tenant.issuer(),
        DEFAULT_SPA_CLIENT_ID,
    )
    .unwrap();
    let (header, _) = parts(body["id_token"].as_str().unwrap());
    assert_eq!(header["alg"], "RS256");
    assert_eq!(id["sub"], user.id());
    assert_eq!(id["nonce"], "n0nce");
    assert_eq!(id["email"], DEFAULT_USER_EMAIL);
    assert_eq!(id["email_verified"], true);
    assert_eq!(id["name"], "Test User");
    assert_eq!(id["nickname"], "user");
    assert!(id["updated_at"].is_string());
    assert!(id["sid"].is_string() && id["auth_time"].is_i64());
    assert_eq!(
        id["exp"].as_i64().unwrap() - id["iat"].as_i64().unwrap(),
        36000
    );
}

#[tokio::test]
async fn code_exchange_refuses_every_misuse() {
    let tenant = MockTenant::start().await;
    let mut agent = Agent::new(&tenant);
    let invalid = "Invalid authorization code";

    // Wrong PKCE verifier; missing verifier. The code is spent by the failed attempt.
    let code = code_for(&mut agent, &tenant, &[]).await;
    let other = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXx";
    assert_token_error(
        &exchange(&mut agent, &tenant, &code, &[("code_verifier", other)]).await,
        403,
        "invalid_grant",
        "Failed to verify code verifier",
    );
    assert_token_error(
        &exchange(&mut agent, &tenant, &code, &[]).await,
        403,
        "invalid_grant",
        invalid,
    );
    let code = code_for(&mut agent, &tenant, &[]).await;
    assert_token_error(
        &exchange(&mut agent, &tenant, &code, &[("code_verifier", "")]).await,
        403,
        "invalid_grant",
        "Failed to verify code verifier",
    );

    // Wrong redirect_uri at the token endpoint.
    let code = code_for(&mut agent, &tenant, &[]).await;
    let res = exchange(
        &mut agent,
        &tenant,
        &code,
        &[("redirect_uri", "http://localhost:3000")],
    )
    .await;
    assert_token_error(
        &res,
        403,
        "invalid_grant",
        "The redirect_uri does not match the one of the authorization request",
    );

    // Another client presents the SPA's code (with valid credentials of its own).
    let code = code_for(&mut agent, &tenant, &[]).await;
    let res = exchange(
        &mut agent,
        &tenant,
        &code,
        &[
            ("client_id", DEFAULT_WEB_CLIENT_ID),
            ("client_secret", DEFAULT_WEB_CLIENT_SECRET),
        ],
    )
    .await;
    assert_token_error(&res, 403, "invalid_grant", invalid);

    // Unknown code; missing code.
    assert_token_error(
        &exchange(&mut agent, &tenant, "made-up", &[]).await,
        403,
        "invalid_grant",
        invalid,
    );
    assert_token_error(
        &exchange(&mut agent, &tenant, "", &[("code", "")]).await,
        400,
        "invalid_request",
        "Missing required parameter: code",
    );

    // Expired (the tenant's virtual clock moves past the code's 10 minutes).
    let code = code_for(&mut agent, &tenant, &[]).await;
    tenant.clock().advance(601);
    assert_token_error(
        &exchange(&mut agent, &tenant, &code, &[]).await,
        403,
        "invalid_grant",
        invalid,
    );
}

#[tokio::test]
async fn a_replayed_code_fails_and_revokes_the_refresh_token_it_produced() {
    let tenant = MockTenant::start().await;
    let mut agent = Agent::new(&tenant);
    let code = code_for(&mut agent, &tenant, &[]).await;
    let first = exchange(&mut agent, &tenant, &code, &[]).await;
    assert_eq!(first.status, 200);
    let rt = first.json()["refresh_token"].as_str().unwrap().to_owned();
    assert_token_error(
        &exchange(&mut agent, &tenant, &code, &[]).await,
        403,
        "invalid_grant",
        "Invalid authorization code",
    );
    assert_token_error(
        &refresh(&mut agent, &tenant, &rt).await,
        403,
        "invalid_grant",
        "Unknown or invalid refresh token.",
    );
}

#[tokio::test]
async fn confidential_clients_authenticate_and_pkce_cannot_be_downgraded() {
    let tenant = MockTenant::start().await;
    let mut agent = Agent::new(&tenant);
    let aud = tenant.audience();
    let web = |extra: Vec<(&'static str, &'static str)>| {
        let mut p = vec![
            ("client_id", DEFAULT_WEB_CLIENT_ID),
            ("code_challenge", ""),
            ("code_challenge_method", ""),
        ];
        p.extend(extra);
        p
    };
    let code_of = |r: &Reply| r.param("code").unwrap();
    // A regular web app may skip PKCE; then a verifier at the token endpoint is a downgrade.
    let res = agent
        .authorize(&tenant, &spa_params(&aud, &web(vec![])))
        .await;
    let code = code_of(&res);
    let res = exchange(
        &mut agent,
        &tenant,
        &code,
        &[
            ("client_id", DEFAULT_WEB_CLIENT_ID),
            ("client_secret", DEFAULT_WEB_CLIENT_SECRET),
        ],
    )
    .await;
    assert_token_error(&res, 403, "invalid_grant", "Failed to verify code verifier");
    // Wrong secret; no secret.
    for secret in ["wrong", ""] {
        let res = agent
            .authorize(&tenant, &spa_params(&aud, &web(vec![])))
            .await;
        let code = code_of(&res);
        let res = exchange(
            &mut agent,
            &tenant,
            &code,
            &[
                ("client_id", DEFAULT_WEB_CLIENT_ID),
                ("client_secret", secret),
                ("code_verifier", ""),
            ],
        )
        .await;
        assert_eq!(res.status, 401, "{}", res.body);
        assert_eq!(res.json()["error_description"], "Unauthorized");
    }
    // Right secret: tokens, and a non-rotating refresh token that serves twice.
    let res = agent
        .authorize(&tenant, &spa_params(&aud, &web(vec![])))
        .await;
    let code = code_of(&res);
    let res = exchange(
        &mut agent,
        &tenant,
        &code,
        &[
            ("client_id", DEFAULT_WEB_CLIENT_ID),
            ("client_secret", DEFAULT_WEB_CLIENT_SECRET),
            ("code_verifier", ""),
        ],
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.body);
    let rt = res.json()["refresh_token"].as_str().unwrap().to_owned();
    for _ in 0..2 {
        let res = agent
            .post(
                &tenant.token_url(),
                &[
                    ("grant_type", "refresh_token"),
                    ("client_id", DEFAULT_WEB_CLIENT_ID),
                    ("client_secret", DEFAULT_WEB_CLIENT_SECRET),
                    ("refresh_token", &rt),
                ],
            )
            .await;
        assert_eq!(res.status, 200, "{}", res.body);
        assert!(
            res.json().get("refresh_token").is_none(),
            "no rotation: no new refresh token"
        );
        assert!(res.json()["id_token"].is_string());
    }
    // The M2M app may not use the code grant.
    let res = agent
        .post(
            &tenant.token_url(),
            &[
                ("grant_type", "authorization_code"),
                ("client_id", "mock-test-client"),
                ("client_secret", "mock-test-secret"),
                ("code", "x"),
            ],
        )
        .await;
    assert_token_error(
        &res,
        403,
        "unauthorized_client",
        "Grant type 'authorization_code' not allowed for the client.",
    );
}
