//! Client ID metadata documents refused: the SSRF rule without the operator's allowance, URLs
//! and documents outside the draft's rules, an unlisted redirect URI, a slow server, a flood of
//! distinct URLs; and what the tenant keeps (the cache's max age) and shows (an escaped name).

use super::*;

#[tokio::test]
async fn a_loopback_document_is_refused_without_the_operator_allowance() {
    let server = doc_server().await;
    let tenant = tenant_for(&server, &[]).await;
    let client_id = server.url("/client.json");
    let description = "The host of the client_id URL resolves to a loopback, private or otherwise non-public address";
    assert_refused(&tenant, &client_id, "invalid_client", description).await;
    // The token endpoint says the same, as RFC 6749 §5.2 `invalid_client`.
    let res = tenant
        .http_client()
        .post(tenant.urls().token())
        .form(&[
            ("grant_type", "authorization_code"),
            ("client_id", client_id.as_str()),
            ("code", "x"),
            ("redirect_uri", CALLBACK),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({"error": "invalid_client", "error_description": description})
    );
    // Nothing was fetched, and `localhost` or a mapped form does not get around the rule.
    assert_eq!(server.hits("/client.json"), 0);
    let port = server.base.rsplit(':').next().unwrap().to_owned();
    for url in [
        format!("https://localhost:{port}/client.json"),
        format!("https://[::ffff:127.0.0.1]:{port}/client.json"),
        format!("https://[::1]:{port}/client.json"),
    ] {
        assert_refused(&tenant, &url, "invalid_client", description).await;
    }
    // Off, a URL is just an unknown client, and discovery does not advertise documents.
    let off = MockTenant::start().await;
    assert_refused(
        &off,
        &client_id,
        "invalid_request",
        &format!("Unknown client: {client_id}"),
    )
    .await;
    let meta: Value = off
        .http_client()
        .get(off.urls().discovery())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(meta.get("client_id_metadata_document_supported").is_none());
}

#[tokio::test]
async fn urls_and_documents_outside_the_rules_are_refused() {
    let server = doc_server().await;
    let tenant = tenant_for(&server, &["127.0.0.1"]).await;
    let base = &server.base;
    let http = base.replace("https://", "http://");
    let userinfo = base.replace("https://", "https://user:pw@");
    for (client_id, description) in [
        (
            format!("{http}/client.json"),
            "The client_id URL must use https",
        ),
        (
            format!("{base}/client.json#frag"),
            "The client_id URL must not contain a fragment",
        ),
        (
            format!("{userinfo}/client.json"),
            "The client_id URL must not contain userinfo",
        ),
        (
            format!("{base}/x/../client.json"),
            "The client_id URL must not contain . or .. path segments",
        ),
        (base.clone(), "The client_id URL must contain a path"),
        (
            format!("{base}/redirect.json"),
            "The client_id URL answered with a redirect, which is not followed",
        ),
        (
            format!("{base}/mismatch.json"),
            "The client_id in the client metadata document is not the URL it was fetched from",
        ),
        (
            format!("{base}/secret.json"),
            "The client metadata document is invalid: client_secret must not be present",
        ),
        (
            format!("{base}/basic.json"),
            "The client metadata document is invalid: token_endpoint_auth_method must be none (a public client)",
        ),
        (
            format!("{base}/array.json"),
            "The client metadata document is not a JSON object",
        ),
        (
            format!("{base}/no-uris.json"),
            "The client metadata document is invalid: redirect_uris must be an array of 1 to 10 strings",
        ),
        (
            format!("{base}/big.json"),
            "The client metadata document is larger than 5120 bytes",
        ),
        (
            format!("{base}/html.json"),
            "The client metadata document must be served as application/json",
        ),
        (
            format!("{base}/missing.json"),
            "The client_id URL answered HTTP 404, not 200",
        ),
    ] {
        assert_refused(&tenant, &client_id, "invalid_client", description).await;
    }
    // The redirect was not followed: the document it points to was never fetched.
    assert_eq!(server.hits("/redirect.json"), 1);
    assert_eq!(server.hits("/client.json"), 0);
    // Nothing the server sent is echoed.
    let mut agent = Agent::new(&tenant);
    let res = agent
        .get(&authorize_url(
            &tenant,
            &params(&server.url("/secret.json"), CALLBACK),
        ))
        .await;
    assert!(!res.body.contains("a-shared-secret"));
}

#[tokio::test]
async fn a_redirect_uri_the_document_does_not_list_is_refused() {
    let server = doc_server().await;
    let tenant = tenant_for(&server, &["127.0.0.1"]).await;
    let mut agent = Agent::new(&tenant);
    let res = agent
        .get(&authorize_url(
            &tenant,
            &params(
                &server.url("/client.json"),
                "https://attacker.example/steal",
            ),
        ))
        .await;
    res.assert_error_page(
        "Callback URL mismatch. The provided redirect_uri is not in the list of allowed callback URLs.",
    );
}

#[tokio::test]
async fn a_slow_document_server_times_out() {
    let server = doc_server().await;
    let tenant = tenant_for(&server, &["127.0.0.1"]).await;
    assert_refused(
        &tenant,
        &server.url("/slow.json"),
        "invalid_client",
        "The client metadata document could not be fetched within 3 seconds",
    )
    .await;
}

/// 30 distinct URLs at once, each answered slowly: 8 fetches run, the other 22 are refused
/// at once (nothing queues), and the tenant still serves a good document afterwards.
#[tokio::test]
async fn a_flood_of_distinct_urls_stays_bounded() {
    let server = doc_server().await;
    let tenant = tenant_for(&server, &["127.0.0.1"]).await;
    let mut tasks = Vec::new();
    for i in 0..30 {
        let url = authorize_url(
            &tenant,
            &params(&server.url(&format!("/flood/{i}")), CALLBACK),
        );
        let mut agent = Agent::new(&tenant);
        tasks.push(tokio::spawn(async move { agent.get(&url).await }));
    }
    let mut busy = 0;
    let mut fetched = 0;
    for t in tasks {
        let res = t.await.unwrap();
        assert_eq!(res.status, 400, "{}", res.body);
        if res
            .body
            .contains("Too many client metadata documents are being fetched; try again later")
        {
            assert!(
                res.body.contains(">temporarily_unavailable<"),
                "{}",
                res.body
            );
            busy += 1;
        } else {
            assert!(
                res.body
                    .contains("The client_id URL answered HTTP 404, not 200"),
                "{}",
                res.body
            );
            fetched += 1;
        }
    }
    let hits: usize = (0..30).map(|i| server.hits(&format!("/flood/{i}"))).sum();
    assert_eq!((fetched, busy, hits), (8, 22, 8));
    let mut agent = Agent::new(&tenant);
    let res = agent
        .get(&authorize_url(
            &tenant,
            &params(&server.url("/client.json"), CALLBACK),
        ))
        .await;
    assert_eq!(res.status, 302, "{}", res.body);
    assert_eq!(res.location().path(), "/u/login");
}

/// Starts a login with `client_id` and returns the login page (its document fetched or cached).
async fn login_page(tenant: &MockTenant, client_id: &str) -> Reply {
    let mut agent = Agent::new(tenant);
    let res = agent
        .get(&authorize_url(tenant, &params(client_id, CALLBACK)))
        .await;
    assert_eq!(res.status, 302, "{}", res.body);
    let tx = res.param("state").unwrap();
    agent
        .get(&format!("{}/u/login?state={tx}", tenant.uri()))
        .await
}

/// `Cache-Control: max-age` is honoured up to the hour's ceiling, on the tenant clock;
/// `no-store` is never cached.
#[tokio::test]
async fn documents_are_cached_for_their_max_age_up_to_an_hour() {
    let server = doc_server().await;
    let tenant = tenant_for(&server, &["127.0.0.1"]).await;
    tenant.clock().freeze();
    let (short, long, none) = (
        server.url("/short.json"),
        server.url("/long.json"),
        server.url("/no-store.json"),
    );
    for url in [&short, &long, &none, &short, &long, &none] {
        login_page(&tenant, url).await;
    }
    assert_eq!(
        [
            server.hits("/short.json"),
            server.hits("/long.json"),
            server.hits("/no-store.json")
        ],
        [1, 1, 2]
    );
    tenant.clock().advance(61);
    login_page(&tenant, &short).await;
    login_page(&tenant, &long).await;
    assert_eq!(
        [server.hits("/short.json"), server.hits("/long.json")],
        [2, 1]
    );
    // 999999 seconds asked, an hour kept.
    tenant.clock().advance(3_600);
    login_page(&tenant, &long).await;
    assert_eq!(server.hits("/long.json"), 2);
}

/// A host name the operator allows is resolved, and fetched from the addresses checked.
#[tokio::test]
async fn an_allowed_host_name_is_resolved_and_pinned() {
    let server = doc_server().await;
    let tenant = tenant_for(&server, &["localhost"]).await;
    let port = server.base.rsplit(':').next().unwrap().to_owned();
    let page = login_page(&tenant, &format!("https://localhost:{port}/client.json")).await;
    assert!(
        page.body
            .contains("continue to <strong>Doc Client (localhost)</strong>"),
        "{}",
        page.body
    );
    // The allowance names a host, not an address: 127.0.0.1 itself is still refused.
    assert_refused(
        &tenant,
        &server.url("/client.json"),
        "invalid_client",
        "The host of the client_id URL resolves to a loopback, private or otherwise non-public address",
    )
    .await;
}

/// The name a document claims is text on the login page, never markup.
#[tokio::test]
async fn a_hostile_client_name_is_escaped_on_the_login_page() {
    let server = doc_server().await;
    let tenant = tenant_for(&server, &["127.0.0.1"]).await;
    let page = login_page(&tenant, &server.url("/xss.json")).await;
    assert!(!page.body.contains("<img src=x"), "{}", page.body);
    assert!(
        page.body
            .contains("<strong>&lt;img src=x onerror=alert(1)&gt; (127.0.0.1)</strong>"),
        "{}",
        page.body
    );
}
