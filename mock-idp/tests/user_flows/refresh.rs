//! Refresh tokens: rotation with reuse detection, the absolute lifetime, revocation.

use super::*;

#[tokio::test]
async fn rotating_refresh_tokens_detect_reuse_and_revoke_the_family() {
    let tenant = MockTenant::start().await;
    let mut agent = Agent::new(&tenant);
    let rt1 = tokens_for(&mut agent, &tenant, &[]).await["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();

    let res = refresh(&mut agent, &tenant, &rt1).await;
    assert_eq!(res.status, 200, "{}", res.body);
    let body = res.json();
    let rt2 = body["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(rt1, rt2);
    let jwks = fetch_jwks(&tenant).await;
    let id = verify(
        body["id_token"].as_str().unwrap(),
        &jwks,
        tenant.issuer(),
        DEFAULT_SPA_CLIENT_ID,
    )
    .unwrap();
    assert!(id.get("nonce").is_none());
    assert_eq!(
        body["scope"],
        "openid profile email offline_access read:messages"
    );

    // Narrowing is allowed, widening is not.
    let res = agent
        .post(
            &tenant.token_url(),
            &[
                ("grant_type", "refresh_token"),
                ("client_id", DEFAULT_SPA_CLIENT_ID),
                ("refresh_token", &rt2),
                ("scope", "openid write:messages"),
            ],
        )
        .await;
    assert_token_error(
        &res,
        403,
        "access_denied",
        "Client has not been granted scopes: write:messages",
    );

    // rt1 comes back: refused, and rt2 (the live one) dies with the family.
    let reuse = "Unknown or invalid refresh token.";
    assert_token_error(
        &refresh(&mut agent, &tenant, &rt1).await,
        403,
        "invalid_grant",
        reuse,
    );
    assert_token_error(
        &refresh(&mut agent, &tenant, &rt2).await,
        403,
        "invalid_grant",
        reuse,
    );
    assert_token_error(
        &refresh(&mut agent, &tenant, "v1.made-up").await,
        403,
        "invalid_grant",
        reuse,
    );
    // Another client cannot use the SPA's token.
    let rt = tokens_for(&mut agent, &tenant, &[]).await["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
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
    assert_token_error(&res, 403, "invalid_grant", reuse);
    assert_eq!(
        refresh(&mut agent, &tenant, &rt).await.status,
        200,
        "a foreign attempt does not burn the token"
    );
}

#[tokio::test]
async fn refresh_tokens_expire_after_their_absolute_lifetime() {
    let tenant = MockTenant::start().await;
    let mut agent = Agent::new(&tenant);
    let mut rt = tokens_for(&mut agent, &tenant, &[]).await["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    for _ in 0..3 {
        tenant.clock().advance(800_000); // inside the idle lifetime, renewed by each use
        let res = refresh(&mut agent, &tenant, &rt).await;
        assert_eq!(res.status, 200, "{}", res.body);
        rt = res.json()["refresh_token"].as_str().unwrap().to_owned();
    }
    // 2,400,001 s: still inside the family's 2,592,000 s; 2,600,001 s: past it, though the
    // last rotation was recent (rotation does not extend the family).
    tenant.clock().advance(1);
    let res = refresh(&mut agent, &tenant, &rt).await;
    assert_eq!(res.status, 200);
    rt = res.json()["refresh_token"].as_str().unwrap().to_owned();
    tenant.clock().advance(200_000);
    assert_eq!(refresh(&mut agent, &tenant, &rt).await.status, 403);
}

#[tokio::test]
async fn revoke_answers_200_empty_and_kills_the_family() {
    let tenant = MockTenant::start().await;
    let mut agent = Agent::new(&tenant);
    let rt = tokens_for(&mut agent, &tenant, &[]).await["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let revoke = format!("{}/oauth/revoke", tenant.uri());
    for token in ["unknown-token", rt.as_str()] {
        let res = agent
            .post(
                &revoke,
                &[
                    ("client_id", DEFAULT_SPA_CLIENT_ID),
                    ("token", token),
                    ("token_type_hint", "refresh_token"),
                ],
            )
            .await;
        assert_eq!((res.status, res.body.as_str()), (200, ""));
    }
    assert_eq!(refresh(&mut agent, &tenant, &rt).await.status, 403);
    let res = agent
        .post(&revoke, &[("client_id", DEFAULT_SPA_CLIENT_ID)])
        .await;
    assert_token_error(
        &res,
        400,
        "invalid_request",
        "Missing required parameter: token",
    );
    let res = agent
        .post(
            &revoke,
            &[
                ("client_id", DEFAULT_WEB_CLIENT_ID),
                ("client_secret", "wrong"),
                ("token", "x"),
            ],
        )
        .await;
    assert_eq!(res.status, 401);
}
