//! Security review 4: blocking a user (`PATCH /api/v2/users/{id}` `{"blocked": true}`) closed
//! the login form and the password grant only. The user's browser session still got codes at
//! `/authorize` (silently, with `prompt=none`), and their refresh token still minted access
//! tokens, so a blocked user kept access as long as they kept refreshing. Auth0 answers the
//! refresh 403 `invalid_grant` "user is blocked", and a blocked user's session logs nobody in.

use super::*;

/// `/authorize` for the public SPA client and the default API, `extra` parameters added.
fn login_url(t: &MockTenant, extra: &[(&str, &str)]) -> String {
    let mut u = url::Url::parse(&format!("{}/authorize", t.uri())).unwrap();
    u.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", DEFAULT_SPA_CLIENT_ID)
        .append_pair("redirect_uri", DEFAULT_CALLBACK)
        .append_pair("scope", "openid offline_access")
        .append_pair("audience", "https://my-flask-api")
        .append_pair("code_challenge", CHALLENGE)
        .append_pair("code_challenge_method", "S256")
        .extend_pairs(extra);
    u.into()
}

#[tokio::test]
async fn a_blocked_user_keeps_neither_the_session_nor_the_refresh_token() {
    let t = builder().start().await;
    let http = browser(&t);
    let res = http.get(login_url(&t, &[])).send().await.unwrap();
    assert_eq!(res.status(), 302);
    let device = set_cookie(&res, "did");
    let tx = location(&res)
        .trim_start_matches("/u/login?state=")
        .to_owned();
    let res = http
        .post(format!("{}/u/login", t.uri()))
        .header("cookie", format!("did={device}"))
        .form(&[
            ("state", tx.as_str()),
            ("username", DEFAULT_USER_EMAIL),
            ("password", DEFAULT_USER_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302);
    let cookies = format!("did={device}; auth0={}", set_cookie(&res, "auth0"));
    let tokens = redeem(&t, &code_of(&location(&res))).await;
    let rt = tokens["refresh_token"].as_str().unwrap().to_owned();
    let form = [
        ("grant_type", "refresh_token"),
        ("client_id", DEFAULT_SPA_CLIENT_ID),
        ("refresh_token", rt.as_str()),
    ];
    let refresh = || post_token(&t, &form, &[]);
    let silent = || async {
        let res = http
            .get(login_url(&t, &[("prompt", "none")]))
            .header("cookie", &cookies)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 302);
        location(&res)
    };
    // Before the block the session logs the user in silently.
    assert!(silent().await.contains("code="));

    let user = t.config().user_by_email(DEFAULT_USER_EMAIL).unwrap().id();
    let path = format!("/api/v2/users/{}", user.replace('|', "%7C"));
    let block = |blocked: bool| {
        control(
            &t,
            SECRET,
            Method::PATCH,
            &path,
            Some(json!({"blocked": blocked})),
        )
    };
    assert_eq!(block(true).await.0, StatusCode::OK);

    assert_eq!(
        silent().await,
        format!("{DEFAULT_CALLBACK}?error=login_required&error_description=Login+required")
    );
    assert_eq!(
        refresh().await,
        (
            403,
            json!({"error": "invalid_grant", "error_description": "user is blocked"})
        )
    );
    // The block is the only reason: lifted, the same refresh token works again.
    assert_eq!(block(false).await.0, StatusCode::OK);
    let (status, body) = refresh().await;
    assert_eq!(status, 200, "{body}");
}
