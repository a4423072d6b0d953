//! RFC 7591 dynamic client registration at `POST /oidc/register` (Auth0's path), behind Auth0's
//! tenant flag `enable_dynamic_client_registration`: a registered client logs a user in; every
//! way a stranger could abuse an unauthenticated endpoint that creates applications is played
//! here as the attacker (registration while off, dangerous redirect URIs, huge metadata,
//! first-party or machine-to-machine clients, client_credentials for the Management API, a
//! registration flood).

use super::*;

const SECRET: &str = "registration-admin-secret-0123";

async fn open_tenant() -> MockTenant {
    let cfg = TenantConfig {
        enable_dynamic_client_registration: true,
        ..TenantConfig::default()
    };
    MockTenant::builder()
        .config(cfg)
        .admin_secret(SECRET)
        .start()
        .await
}

async fn register(tenant: &MockTenant, body: &Value) -> (u16, Value) {
    let res = tenant
        .http_client()
        .post(format!("{}/oidc/register", tenant.uri()))
        .json(body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    assert_eq!(res.headers()["cache-control"], "no-store");
    (status, res.json().await.unwrap_or(Value::Null))
}

/// `/authorize` as the registered client, log in, exchange the code (with `auth` added).
async fn login_as(tenant: &MockTenant, client_id: &str, auth: &[(&str, &str)]) -> Reply {
    let mut agent = Agent::new(tenant);
    let redirect = "http://127.0.0.1:33418/callback";
    let res = agent
        .authorize(
            tenant,
            &[
                ("response_type", "code"),
                ("client_id", client_id),
                ("redirect_uri", redirect),
                ("scope", "openid offline_access read:messages"),
                ("audience", tenant.audience()),
                ("state", "st4te"),
                ("code_challenge", CHALLENGE),
                ("code_challenge_method", "S256"),
            ],
        )
        .await;
    assert_eq!(res.status, 302, "{}", res.body);
    let code = res
        .param("code")
        .unwrap_or_else(|| panic!("no code: {}", res.location()));
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("client_id", client_id),
        ("code", code.as_str()),
        ("redirect_uri", redirect),
        ("code_verifier", VERIFIER),
    ];
    form.extend_from_slice(auth);
    agent.post(&tenant.urls().token(), &form).await
}

#[tokio::test]
async fn registration_is_off_unless_the_tenant_flag_is_on() {
    let tenant = MockTenant::start().await;
    let (status, body) = {
        let res = tenant
            .http_client()
            .post(format!("{}/oidc/register", tenant.uri()))
            .json(&json!({"redirect_uris": ["https://app.example/cb"]}))
            .send()
            .await
            .unwrap();
        (res.status().as_u16(), res.json::<Value>().await.unwrap())
    };
    assert_eq!(status, 404);
    assert_eq!(body["error"], "not_found");
    let meta: Value = tenant
        .http_client()
        .get(tenant.urls().discovery())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(meta.get("registration_endpoint").is_none());
    // On: the metadata names the endpoint.
    let open = open_tenant().await;
    let as_meta: Value = open
        .http_client()
        .get(format!(
            "{}.well-known/oauth-authorization-server",
            open.issuer()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        as_meta["registration_endpoint"],
        format!("{}/oidc/register", open.uri())
    );
}

#[tokio::test]
async fn a_registered_public_client_logs_a_user_in() {
    let tenant = open_tenant().await;
    let (status, reg) = register(
        &tenant,
        &json!({
            "client_name": "An MCP client",
            "redirect_uris": ["http://127.0.0.1:33418/callback"],
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "none",
            "logo_uri": "https://ignored.example/logo.png",
        }),
    )
    .await;
    assert_eq!(status, 201, "{reg}");
    let client_id = reg["client_id"].as_str().unwrap();
    assert_eq!(reg["client_name"], "An MCP client");
    assert_eq!(reg["token_endpoint_auth_method"], "none");
    assert_eq!(
        reg["grant_types"],
        json!(["authorization_code", "refresh_token"])
    );
    assert!(reg.get("client_secret").is_none());
    let res = login_as(&tenant, client_id, &[]).await;
    assert_eq!(res.status, 200, "{}", res.body);
    let tokens = res.json();
    let (_, claims) = parts(tokens["access_token"].as_str().unwrap());
    assert_eq!(claims["azp"], client_id);
    assert!(tokens["refresh_token"].is_string());

    // The Management API shows it, as Auth0 does: a third-party native application.
    let (status, shown) = crate::control::call_as(
        &tenant,
        SECRET,
        reqwest::Method::GET,
        &format!("/api/v2/clients/{client_id}"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{shown}");
    assert_eq!(shown["client_id"], client_id);
    assert_eq!(shown["is_first_party"], false);
    assert_eq!(shown["app_type"], "native");
    assert_eq!(
        shown["callbacks"],
        json!(["http://127.0.0.1:33418/callback"])
    );

    // The Test page lists it, as a third-party application.
    let http = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_der(&tenant.ca().der()).unwrap()])
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let session = http
        .post(format!("{}/dashboard/session", tenant.uri()))
        .form(&[("secret", SECRET)])
        .send()
        .await
        .unwrap();
    let cookie = session.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let page = http
        .get(format!("{}/dashboard", tenant.uri()))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&format!(
            "<tr><td><code>{client_id}</code></td><td>Native, third-party</td>"
        )),
        "{page}"
    );
}

#[tokio::test]
async fn a_registered_confidential_client_needs_its_secret() {
    let tenant = open_tenant().await;
    let (status, reg) = register(
        &tenant,
        &json!({
            "redirect_uris": ["http://127.0.0.1:33418/callback"],
            "token_endpoint_auth_method": "client_secret_post",
        }),
    )
    .await;
    assert_eq!(status, 201, "{reg}");
    assert_eq!(reg["client_secret_expires_at"], 0);
    let client_id = reg["client_id"].as_str().unwrap();
    let secret = reg["client_secret"].as_str().unwrap();
    assert!(secret.len() >= 32);
    let without = login_as(&tenant, client_id, &[]).await;
    assert_eq!(without.status, 401, "{}", without.body);
    let with = login_as(&tenant, client_id, &[("client_secret", secret)]).await;
    assert_eq!(with.status, 200, "{}", with.body);
}

#[tokio::test]
async fn dangerous_redirect_uris_are_refused() {
    let tenant = open_tenant().await;
    for (uri, description) in [
        (
            "javascript:alert(document.cookie)",
            "redirect_uri javascript:alert(document.cookie): only https, or http on a loopback host, is allowed",
        ),
        (
            "http://attacker.example/cb",
            "redirect_uri http://attacker.example/cb: http is allowed on a loopback host only",
        ),
        (
            "data:text/html,<script>x</script>",
            "redirect_uri data:text/html,<script>x</script>: only https, or http on a loopback host, is allowed",
        ),
        (
            "https://app.example/cb#frag",
            "redirect_uri https://app.example/cb#frag: must not have a fragment",
        ),
        (
            "https://user:pw@app.example/cb",
            "redirect_uri https://user:pw@app.example/cb: must not have userinfo",
        ),
        ("/relative", "redirect_uri /relative: not an absolute URI"),
    ] {
        let (status, body) = register(&tenant, &json!({"redirect_uris": [uri]})).await;
        assert_eq!(status, 400, "{uri}");
        assert_eq!(
            body,
            json!({"error": "invalid_redirect_uri", "error_description": description})
        );
    }
    let (status, body) = register(&tenant, &json!({"client_name": "no uris"})).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_redirect_uri"))
    );
}

#[tokio::test]
async fn metadata_a_stranger_must_not_get_is_refused_or_overridden() {
    let tenant = open_tenant().await;
    let uris = json!(["http://127.0.0.1:33418/callback"]);
    for (body, description) in [
        (
            json!({"redirect_uris": uris, "grant_types": ["authorization_code", "client_credentials"]}),
            "grant_type client_credentials is not allowed for a registered client (authorization_code, refresh_token)",
        ),
        (
            json!({"redirect_uris": uris, "grant_types": ["authorization_code", "password"]}),
            "grant_type password is not allowed for a registered client (authorization_code, refresh_token)",
        ),
        (
            json!({"redirect_uris": uris, "response_types": ["token"]}),
            "response_types may only be [\"code\"]",
        ),
        (
            json!({"redirect_uris": uris, "token_endpoint_auth_method": "private_key_jwt"}),
            "token_endpoint_auth_method private_key_jwt is not supported (none, client_secret_post, client_secret_basic)",
        ),
        (
            json!({"redirect_uris": uris, "client_name": "x".repeat(32 * 1024)}),
            "Client metadata is larger than 16384 bytes",
        ),
        (
            json!(["not", "an", "object"]),
            "The request body must be a JSON object",
        ),
    ] {
        let (status, got) = register(&tenant, &body).await;
        assert_eq!(status, 400);
        assert_eq!(
            got,
            json!({"error": "invalid_client_metadata", "error_description": description})
        );
    }

    // Asking to be first-party and machine-to-machine changes nothing: a third-party client
    // that cannot use client_credentials, so no Management API token.
    let (status, reg) = register(
        &tenant,
        &json!({
            "redirect_uris": uris,
            "is_first_party": true,
            "app_type": "non_interactive",
            "token_endpoint_auth_method": "client_secret_post",
        }),
    )
    .await;
    assert_eq!(status, 201);
    let client_id = reg["client_id"].as_str().unwrap();
    let secret = reg["client_secret"].as_str().unwrap();
    let res = tenant
        .http_client()
        .post(tenant.urls().token())
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            ("client_secret", secret),
            ("audience", &format!("{}api/v2/", tenant.issuer())),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body,
        json!({"error": "unauthorized_client", "error_description": "Grant type 'client_credentials' not allowed for the client."})
    );
    // Third-party: a silent login cannot skip consent.
    let mut agent = Agent::new(&tenant);
    let silent = agent
        .get(&authorize_url(
            &tenant,
            &[
                ("response_type", "code"),
                ("client_id", client_id),
                ("redirect_uri", "http://127.0.0.1:33418/callback"),
                ("state", "st4te"),
                ("prompt", "none"),
            ],
        ))
        .await;
    assert_eq!(silent.param("error").as_deref(), Some("consent_required"));
}

/// Security review 4: a stranger's registration chose what the login page shows as the
/// application's name, bidirectional-text controls included ("Bank" + U+202E + "evil" reads
/// "Banklive"), and a `token_endpoint_auth_method` that is not a string was read as omitted.
/// Both are refused now, and nothing is created.
#[tokio::test]
async fn a_registration_cannot_smuggle_a_disguised_name_or_a_non_string_auth_method() {
    let tenant = open_tenant().await;
    let uris = json!(["http://127.0.0.1:33418/callback"]);
    let before = tenant.config().snapshot().applications.len();
    for (body, description) in [
        (
            json!({"redirect_uris": uris, "client_name": "Bank\u{202e}evil"}),
            "client_name must not contain control, invisible or bidirectional-text characters",
        ),
        (
            json!({"redirect_uris": uris, "client_name": "Your\u{200b}Bank"}),
            "client_name must not contain control, invisible or bidirectional-text characters",
        ),
        (
            json!({"redirect_uris": uris, "client_name": "line\nbreak"}),
            "client_name must not contain control, invisible or bidirectional-text characters",
        ),
        (
            json!({"redirect_uris": uris, "token_endpoint_auth_method": 5}),
            "token_endpoint_auth_method must be a string",
        ),
        (
            json!({"redirect_uris": uris, "token_endpoint_auth_method": ["none"]}),
            "token_endpoint_auth_method must be a string",
        ),
    ] {
        let (status, got) = register(&tenant, &body).await;
        assert_eq!(
            (status, got),
            (
                400,
                json!({"error": "invalid_client_metadata", "error_description": description})
            ),
            "{body}"
        );
    }
    assert_eq!(tenant.config().snapshot().applications.len(), before);
    // A plain name from any script still registers.
    let (status, reg) = register(
        &tenant,
        &json!({"redirect_uris": uris, "client_name": "Ünïcødé Äpp 日本", "token_endpoint_auth_method": "none"}),
    )
    .await;
    assert_eq!(status, 201, "{reg}");
    assert_eq!(reg["client_name"], "Ünïcødé Äpp 日本");
}

/// POSTs one registration and returns the whole answer (status, Retry-After, body).
async fn register_raw(tenant: &MockTenant, body: &Value) -> (u16, Option<String>, Value) {
    let res = tenant
        .http_client()
        .post(format!("{}/oidc/register", tenant.uri()))
        .json(body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let retry = res
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, retry, res.json().await.unwrap())
}

/// The flood, played to both bounds: 20 registrations a minute of the tenant's clock (the
/// 21st refused with 429 and the seconds left), then, minute after minute, 100 registered
/// clients in all, and the 101st refused with RFC 7591's `invalid_client_metadata`.
#[tokio::test]
async fn a_registration_flood_is_bounded_per_minute_and_in_total() {
    let tenant = open_tenant().await;
    tenant.clock().freeze();
    let body =
        json!({"redirect_uris": ["https://app.example/cb"], "token_endpoint_auth_method": "none"});
    for i in 0..20 {
        let (status, reg) = register(&tenant, &body).await;
        assert_eq!(status, 201, "registration {i}: {reg}");
    }
    let (status, retry, got) = register_raw(&tenant, &body).await;
    assert_eq!((status, retry.as_deref()), (429, Some("60")));
    assert_eq!(
        got,
        json!({"error": "too_many_requests", "error_description": "Too many client registrations, retry later"})
    );
    // 45 seconds on, the same window: 15 seconds left.
    tenant.clock().advance(45);
    let (status, retry, _) = register_raw(&tenant, &body).await;
    assert_eq!((status, retry.as_deref()), (429, Some("15")));
    // Each new minute admits 20 more, up to the tenant's 100.
    for minute in 1..5 {
        tenant.clock().advance(60);
        for i in 0..20 {
            let (status, reg) = register(&tenant, &body).await;
            assert_eq!(status, 201, "minute {minute}, registration {i}: {reg}");
        }
    }
    tenant.clock().advance(60);
    let (status, retry, got) = register_raw(&tenant, &body).await;
    assert_eq!((status, retry), (400, None));
    assert_eq!(
        got,
        json!({"error": "invalid_client_metadata", "error_description": "The tenant holds its maximum of 100 registered clients"})
    );
}
