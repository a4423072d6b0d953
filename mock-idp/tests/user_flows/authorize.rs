//! `/authorize` and the login page: which errors are an error page and which go back to the
//! application, response modes, SSO and `prompt`, the login form bound to its browser.

use super::*;

#[tokio::test]
async fn every_advertised_endpoint_answers() {
    let tenant = MockTenant::start().await;
    let http = tenant.http_client();
    let doc: Value = http
        .get(tenant.urls().discovery())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["response_types_supported"], json!(["code"]));
    assert_eq!(
        doc["response_modes_supported"],
        json!(["query", "fragment", "form_post", "web_message"])
    );
    assert_eq!(doc["code_challenge_methods_supported"], json!(["S256"]));
    for scope in [
        "openid",
        "profile",
        "email",
        "offline_access",
        "read:messages",
    ] {
        assert!(
            doc["scopes_supported"]
                .as_array()
                .unwrap()
                .contains(&json!(scope))
        );
    }
    let endpoints = [
        ("authorization_endpoint", "GET"),
        ("token_endpoint", "POST"),
        ("userinfo_endpoint", "GET"),
        ("jwks_uri", "GET"),
        ("revocation_endpoint", "POST"),
        ("end_session_endpoint", "GET"),
    ];
    let keys: Vec<&str> = doc
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| k.ends_with("_endpoint") || k.ends_with("_uri"))
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys.len(),
        endpoints.len(),
        "every advertised endpoint is walked: {keys:?}"
    );
    for (key, method) in endpoints {
        let url = doc[key].as_str().unwrap();
        let req = if method == "GET" {
            http.get(url)
        } else {
            http.post(url)
        };
        let status = req.send().await.unwrap().status().as_u16();
        assert!(
            status != 404 && status != 405 && status < 500,
            "{key} {url}: {status}"
        );
    }
}

#[tokio::test]
async fn untrusted_client_or_redirect_uri_gets_an_error_page_never_a_redirect() {
    let tenant = MockTenant::start().await;
    let mut agent = Agent::new(&tenant);
    let aud = tenant.audience();
    let mismatch = "Callback URL mismatch. The provided redirect_uri is not in the list of allowed callback URLs.";
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            vec![("client_id", "no-such-client")],
            "Unknown client: no-such-client",
        ),
        (
            vec![("client_id", "")],
            "Missing required parameter: client_id",
        ),
        (
            vec![("redirect_uri", "")],
            "Missing required parameter: redirect_uri",
        ),
        (
            vec![("redirect_uri", "https://evil.example/callback")],
            mismatch,
        ),
        (
            vec![("redirect_uri", "http://localhost:3000/callback/../evil")],
            mismatch,
        ),
        (
            vec![("redirect_uri", "http://localhost:3000/callbackx")],
            mismatch,
        ),
        (
            vec![("redirect_uri", "http://localhost:3000/callback/")],
            mismatch,
        ),
        (
            vec![("redirect_uri", "http://localhost:3000/Callback")],
            mismatch,
        ),
        (
            vec![("redirect_uri", "http://LOCALHOST:3000/callback")],
            mismatch,
        ),
        (
            vec![(
                "redirect_uri",
                "http://localhost:3000/callback?next=https://evil.example",
            )],
            mismatch,
        ),
        (
            vec![("redirect_uri", "http://localhost:3000/callback#x")],
            mismatch,
        ),
        (
            vec![(
                "redirect_uri",
                "http://localhost:3000.evil.example/callback",
            )],
            mismatch,
        ),
        (
            vec![("redirect_uri", "http://user@localhost:3000/callback")],
            mismatch,
        ),
        (
            vec![("redirect_uri", "https://localhost:3000/callback")],
            mismatch,
        ),
        // The M2M application has no callbacks at all.
        (vec![("client_id", "mock-test-client")], mismatch),
    ];
    for (extra, text) in cases {
        let res = agent
            .get(&authorize_url(&tenant, &spa_params(aud, &extra)))
            .await;
        res.assert_error_page(text);
    }
    // A repeated parameter is ambiguous: refused before anything is trusted.
    let url = format!(
        "{}&redirect_uri=https%3A%2F%2Fevil.example",
        authorize_url(&tenant, &spa_params(aud, &[]))
    );
    agent
        .get(&url)
        .await
        .assert_error_page("must not be repeated");
    // Escaping: nothing from the request reaches the page as markup.
    let res = agent
        .get(&authorize_url(
            &tenant,
            &spa_params(aud, &[("client_id", "<script>x</script>")]),
        ))
        .await;
    res.assert_error_page("&lt;script&gt;");
    assert!(!res.body.contains("<script>x"));
}

#[tokio::test]
async fn other_authorize_errors_go_back_to_the_application_with_state() {
    let tenant = MockTenant::start().await;
    let mut agent = Agent::new(&tenant);
    let aud = tenant.audience();
    type Case<'a> = (Vec<(&'a str, &'a str)>, &'a str, &'a str);
    let cases: Vec<Case> = vec![
        (
            vec![("response_type", "token")],
            "unsupported_response_type",
            "Unsupported response type: token",
        ),
        (
            vec![("response_type", "")],
            "invalid_request",
            "Missing required parameter: response_type",
        ),
        (
            vec![("code_challenge", ""), ("code_challenge_method", "")],
            "invalid_request",
            "Missing required parameter: code_challenge",
        ),
        (
            vec![("code_challenge_method", "plain")],
            "invalid_request",
            "Unsupported code_challenge_method: plain",
        ),
        (
            vec![("code_challenge_method", "")],
            "invalid_request",
            "Unsupported code_challenge_method: plain",
        ),
        (
            vec![("code_challenge", "too-short")],
            "invalid_request",
            "Invalid code_challenge",
        ),
        (
            vec![("audience", "https://unknown-api")],
            "access_denied",
            "Service not found: https://unknown-api",
        ),
        (vec![("prompt", "none")], "login_required", "Login required"),
        (
            vec![("prompt", "none login")],
            "invalid_request",
            "prompt=none must not be combined with other values",
        ),
        (
            vec![("max_age", "-1")],
            "invalid_request",
            "max_age must be a non-negative integer",
        ),
        (
            vec![("response_mode", "query.jwt")],
            "invalid_request",
            "Unsupported response_mode: query.jwt",
        ),
        (
            vec![("dpop_jkt", "not-a-thumbprint")],
            "invalid_request",
            "dpop_jkt must be a base64url SHA-256 JWK thumbprint",
        ),
    ];
    for (extra, error, description) in cases {
        let res = agent
            .get(&authorize_url(&tenant, &spa_params(aud, &extra)))
            .await;
        res.assert_redirected_error(error, description);
    }
    // An application without the grant.
    let mut cfg = TenantConfig::default();
    cfg.applications[1].grant_types = Some(vec![mock_idp::config::GrantType::RefreshToken]);
    let tenant = MockTenant::builder().config(cfg).start().await;
    let res = Agent::new(&tenant)
        .get(&authorize_url(&tenant, &spa_params(aud, &[])))
        .await;
    res.assert_redirected_error(
        "unauthorized_client",
        "Grant type 'authorization_code' not allowed for the client.",
    );
}

#[tokio::test]
async fn response_modes_fragment_and_form_post() {
    let tenant = MockTenant::builder()
        .auto_login(DEFAULT_USER_EMAIL)
        .start()
        .await;
    let mut agent = Agent::new(&tenant);
    let aud = tenant.audience();
    let res = agent
        .get(&authorize_url(
            &tenant,
            &spa_params(aud, &[("response_mode", "fragment")]),
        ))
        .await;
    assert_eq!(res.status, 302);
    let loc = res.location();
    assert!(loc.query().is_none());
    let frag: HashMap<String, String> =
        url::form_urlencoded::parse(loc.fragment().unwrap().as_bytes())
            .into_owned()
            .collect();
    assert_eq!(frag["state"], "st4te");
    assert!(frag.contains_key("code"));

    let res = agent
        .get(&authorize_url(
            &tenant,
            &spa_params(
                aud,
                &[("response_mode", "form_post"), ("state", "<\"st4te\">")],
            ),
        ))
        .await;
    assert_eq!(res.status, 200);
    assert!(
        res.body
            .contains("<form method=\"post\" action=\"http://localhost:3000/callback\">"),
        "{}",
        res.body
    );
    assert!(
        res.body
            .contains("name=\"state\" value=\"&lt;&quot;st4te&quot;&gt;\"")
    );
    assert!(res.body.contains("name=\"code\""));
    let csp = res.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("script-src 'sha256-") && csp.contains("form-action http://localhost:3000"),
        "{csp}"
    );
}

#[tokio::test]
async fn sso_prompt_none_and_prompt_login() {
    let tenant = MockTenant::start().await;
    let mut agent = Agent::new(&tenant);
    let aud = tenant.audience();
    let none = spa_params(aud, &[("prompt", "none")]);
    agent
        .get(&authorize_url(&tenant, &none))
        .await
        .assert_redirected_error("login_required", "Login required");
    code_for(&mut agent, &tenant, &[]).await;
    // With the session: a code without a form, for this app and (SSO) the web app.
    let res = agent.get(&authorize_url(&tenant, &none)).await;
    assert!(res.param("code").is_some(), "{}", res.location());
    let web = spa_params(
        aud,
        &[("prompt", "none"), ("client_id", DEFAULT_WEB_CLIENT_ID)],
    );
    assert!(
        agent
            .get(&authorize_url(&tenant, &web))
            .await
            .param("code")
            .is_some()
    );
    // prompt=login and an exceeded max_age ask again.
    let res = agent
        .get(&authorize_url(
            &tenant,
            &spa_params(aud, &[("prompt", "login")]),
        ))
        .await;
    assert_eq!(res.location().path(), "/u/login");
    tenant.clock().advance(120);
    let res = agent
        .get(&authorize_url(
            &tenant,
            &spa_params(aud, &[("max_age", "60")]),
        ))
        .await;
    assert_eq!(res.location().path(), "/u/login");
    // Another browser has no session.
    let mut other = Agent::new(&tenant);
    other
        .get(&authorize_url(&tenant, &none))
        .await
        .assert_redirected_error("login_required", "Login required");
}

#[tokio::test]
async fn the_login_form_only_works_in_the_browser_that_started_it_and_once() {
    let tenant = MockTenant::start().await;
    let mut victim = Agent::new(&tenant);
    let aud = tenant.audience();
    let res = victim
        .get(&authorize_url(&tenant, &spa_params(aud, &[])))
        .await;
    let tx = res.param("state").unwrap();
    let login = format!("{}/u/login", tenant.uri());
    let form = [
        ("state", tx.as_str()),
        ("username", DEFAULT_USER_EMAIL),
        ("password", DEFAULT_USER_PASSWORD),
    ];
    // An attacker's browser (no or another device cookie) cannot use the victim's transaction.
    let mut attacker = Agent::new(&tenant);
    attacker
        .post(&login, &form)
        .await
        .assert_error_page("expired");
    attacker
        .get(&authorize_url(&tenant, &spa_params(aud, &[])))
        .await;
    attacker
        .post(&login, &form)
        .await
        .assert_error_page("expired");
    attacker
        .get(&format!("{login}?state={tx}"))
        .await
        .assert_error_page("expired");
    // The victim's works once.
    assert_eq!(victim.post(&login, &form).await.status, 302);
    victim
        .post(&login, &form)
        .await
        .assert_error_page("expired");
    // Unknown user: the same message as a wrong password (no user enumeration).
    let res = victim
        .get(&authorize_url(
            &tenant,
            &spa_params(aud, &[("prompt", "login")]),
        ))
        .await;
    let tx = res.param("state").unwrap();
    let res = victim
        .post(
            &login,
            &[
                ("state", &tx),
                ("username", "nobody@example.com"),
                ("password", "x"),
            ],
        )
        .await;
    assert_eq!(res.status, 400);
    assert!(res.body.contains("Wrong email or password"));
}
