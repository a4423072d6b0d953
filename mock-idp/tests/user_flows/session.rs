//! After the login: `/userinfo`, logout (and where it may redirect), `MockTenant::login` with
//! RBAC permissions, a login on a custom domain.

use super::*;

#[tokio::test]
async fn userinfo_answers_for_openid_tokens_as_auth0() {
    let tenant = MockTenant::start().await;
    let tokens = tenant.login(DEFAULT_USER_EMAIL).await.unwrap();
    let http = tenant.http_client();
    let url = format!("{}/userinfo", tenant.uri());
    for post in [false, true] {
        let req = if post {
            http.post(&url)
        } else {
            http.get(&url)
        };
        let res = req.bearer_auth(&tokens.access_token).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.unwrap();
        let user = tenant.config().user_by_email(DEFAULT_USER_EMAIL).unwrap();
        assert_eq!(body["sub"], user.id());
        assert_eq!(body["email"], DEFAULT_USER_EMAIL);
        assert_eq!(body["name"], "Test User");
    }
    let challenge = |res: &reqwest::Response| {
        res.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .to_owned()
    };

    let res = http.get(&url).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(challenge(&res), "Bearer realm=\"Users\"");
    assert_eq!(res.text().await.unwrap(), "Unauthorized");

    // No openid: the token is not for /userinfo.
    let no_openid = tenant
        .login(DEFAULT_USER_EMAIL)
        .scope("read:messages")
        .await
        .unwrap();
    let res = http
        .get(&url)
        .bearer_auth(&no_openid.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert!(challenge(&res).contains("error=\"insufficient_scope\""));

    // A client-credentials token has no user; a forged one no valid signature.
    let m2m = tenant.token().scope("openid").build();
    let res = http.get(&url).bearer_auth(&m2m).send().await.unwrap();
    assert_eq!(res.status(), 401);
    let forged = tenant
        .token()
        .scope("openid")
        .signed_with(mock_idp::Signing::HmacWithPublicKey)
        .build();
    let res = http.get(&url).bearer_auth(&forged).send().await.unwrap();
    assert_eq!(
        challenge(&res),
        "Bearer realm=\"Users\", error=\"invalid_token\", error_description=\"The token signature is invalid\""
    );

    tenant.clock().advance(86_401);
    let res = http
        .get(&url)
        .bearer_auth(&tokens.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(
        challenge(&res),
        "Bearer realm=\"Users\", error=\"invalid_token\", error_description=\"The token has expired\""
    );
}

#[tokio::test]
async fn logout_ends_the_session_and_redirects_only_to_allowed_urls() {
    let tenant = MockTenant::start().await;
    let mut agent = Agent::new(&tenant);
    let aud = tenant.audience();
    let none = spa_params(&aud, &[("prompt", "none")]);
    let v2 = format!("{}/v2/logout", tenant.uri());

    code_for(&mut agent, &tenant, &[]).await;
    for bad in [
        "https://evil.example",
        "http://localhost:3000.evil.example",
        "http://localhost:4000",
        "//evil.example",
    ] {
        let url = format!(
            "{v2}?client_id={DEFAULT_SPA_CLIENT_ID}&returnTo={}",
            urlencode(bad)
        );
        agent
            .get(&url)
            .await
            .assert_error_page("Allowed Logout URLs");
    }
    // Without client_id the tenant's list (empty by default) applies.
    agent
        .get(&format!("{v2}?returnTo=http%3A%2F%2Flocalhost%3A3000"))
        .await
        .assert_error_page("Allowed Logout URLs");
    assert!(
        agent
            .get(&authorize_url(&tenant, &none))
            .await
            .param("code")
            .is_some(),
        "still logged in"
    );

    let res = agent.get(&format!("{v2}?client_id={DEFAULT_SPA_CLIENT_ID}&returnTo=http%3A%2F%2Flocalhost%3A3000%3Fbye%3D1&federated")).await;
    assert_eq!(res.status, 302);
    assert_eq!(res.headers["location"], "http://localhost:3000?bye=1");
    assert!(
        res.set_cookies()
            .iter()
            .any(|c| c.starts_with("auth0=;") && c.contains("Max-Age=0"))
    );
    agent
        .get(&authorize_url(&tenant, &none))
        .await
        .assert_redirected_error("login_required", "Login required");

    // RP-initiated logout with an id_token_hint, an exact post_logout_redirect_uri and state.
    let id_token = tokens_for(&mut agent, &tenant, &[]).await["id_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let oidc = format!("{}/oidc/logout", tenant.uri());
    let res = agent.get(&format!("{oidc}?id_token_hint={id_token}&post_logout_redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fx")).await;
    res.assert_error_page("allowed logout URLs");
    let res = agent.get(&format!("{oidc}?id_token_hint=forged.token.here&post_logout_redirect_uri=http%3A%2F%2Flocalhost%3A3000")).await;
    res.assert_error_page("Invalid id_token_hint");
    let res = agent
        .get(&format!(
            "{oidc}?id_token_hint={id_token}&client_id={DEFAULT_WEB_CLIENT_ID}"
        ))
        .await;
    res.assert_error_page("does not match");
    let res = agent.get(&format!("{oidc}?id_token_hint={id_token}&post_logout_redirect_uri=http%3A%2F%2Flocalhost%3A3000&state=s1")).await;
    assert_eq!(res.status, 302);
    assert_eq!(res.headers["location"], "http://localhost:3000/?state=s1");
    agent
        .get(&authorize_url(&tenant, &none))
        .await
        .assert_redirected_error("login_required", "Login required");
    // No hint, no redirect: the logged-out page.
    let res = agent.get(&oidc).await;
    assert_eq!(res.status, 200);
    assert!(res.body.contains("data-testid=\"logged-out\""));
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn login_helper_and_rbac_permissions() {
    let text = r#"
[[apis]]
identifier = "https://api"
dialect = "access_token_authz"
permissions = ["read:x", "write:x"]
allow_offline_access = true

[[applications]]
client_id = "spa"
app_type = "spa"
callbacks = ["http://127.0.0.1:9/cb"]
custom_claims = { "https://example.com/m2m" = true }

[[users]]
email = "ada@example.com"
password = "pw"
user_id = "auth0|ada"
roles = ["reader"]

[[roles]]
name = "reader"
[roles.permissions]
"https://api" = ["read:x"]
"#;
    let cfg = TenantConfig::parse(text, "t.toml").unwrap();
    let tenant = MockTenant::builder().config(cfg).start().await;
    let tokens = tenant
        .login("ADA@example.com")
        .scope("openid offline_access read:x write:x")
        .await
        .unwrap();
    assert!(tokens.refresh_token.is_some());
    let (_, at) = parts(&tokens.access_token);
    assert_eq!(at["sub"], "auth0|ada");
    assert_eq!(at["scope"], "openid offline_access read:x write:x");
    assert_eq!(
        at["permissions"],
        json!(["read:x"]),
        "permissions come from roles"
    );
    assert!(matches!(
        tenant.login("nobody@example.com").await,
        Err(mock_idp::LoginError::UnknownUser(_))
    ));
    let bad = text.replace("roles = [\"reader\"]", "roles = [\"writer\"]");
    let e = TenantConfig::parse(&bad, "t.toml").unwrap_err().to_string();
    assert_eq!(e, "t.toml: users[0].roles: no role named `writer`");
}

#[tokio::test]
async fn a_login_on_a_custom_domain_gets_that_domains_issuer() {
    let tenant = MockTenant::builder()
        .custom_domain("localhost")
        .start()
        .await;
    let port = tenant.uri().rsplit(':').next().unwrap().to_owned();
    let base = format!("https://localhost:{port}");
    let mut agent = Agent::new(&tenant);
    let aud = tenant.audience();
    let mut url = url::Url::parse(&format!("{base}/authorize")).unwrap();
    url.query_pairs_mut().extend_pairs(spa_params(&aud, &[]));
    let res = agent.get(url.as_str()).await;
    assert_eq!(res.location().path(), "/u/login");
    let tx = res.param("state").unwrap();
    let res = agent
        .post(
            &format!("{base}/u/login"),
            &[
                ("state", &tx),
                ("username", DEFAULT_USER_EMAIL),
                ("password", DEFAULT_USER_PASSWORD),
            ],
        )
        .await;
    let code = res.param("code").unwrap();
    let form = [
        ("grant_type", "authorization_code"),
        ("client_id", DEFAULT_SPA_CLIENT_ID),
        ("code", code.as_str()),
        ("redirect_uri", DEFAULT_CALLBACK),
        ("code_verifier", VERIFIER),
    ];
    let body = agent
        .post(&format!("{base}/oauth/token"), &form)
        .await
        .json();
    let (_, id) = parts(body["id_token"].as_str().unwrap());
    assert_eq!(id["iss"], format!("{base}/"));
    let at = body["access_token"].as_str().unwrap();
    assert_eq!(parts(at).1["aud"][1], format!("{base}/userinfo"));
    let req = agent.http.get(format!("{base}/userinfo")).bearer_auth(at);
    assert_eq!(agent.send(req).await.status, 200);
    // The primary domain's /userinfo does not take the custom domain's token.
    let req = agent
        .http
        .get(format!("{}/userinfo", tenant.uri()))
        .bearer_auth(at);
    assert_eq!(agent.send(req).await.status, 401);
}
