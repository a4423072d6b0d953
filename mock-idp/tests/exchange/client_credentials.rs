//! Beside the exchange, on client_credentials: Organizations for M2M, each custom domain's
//! issuer, an injected 429 with Auth0's rate-limit headers, Basic auth with the client id in
//! the body.

use super::token_vault::vault;
use super::*;

fn cc<'a>(client: &'a str, secret: &'a str, org: Option<&'a str>) -> Vec<(&'static str, &'a str)> {
    let mut f = vec![
        ("grant_type", "client_credentials"),
        ("client_id", client),
        ("client_secret", secret),
        ("audience", FLASK),
    ];
    if let Some(o) = org {
        f.push(("organization", o));
    }
    f
}

#[tokio::test]
async fn organizations_on_client_credentials_follow_organization_usage() {
    let tenant = builder(
        r#"
[[applications]]
client_id = "no-org-client"
client_secret = "no-org-secret"
[applications.grants]
"https://my-flask-api" = ["read:messages"]
"#,
    )
    .start()
    .await;
    let claims = |body: &Value| parts(body["access_token"].as_str().unwrap()).1;
    // allow: by id or by name (any case), with org_name lower-cased; or none at all.
    for org in ["org_acme123", "ACME"] {
        let (s, body) = post_token(
            &tenant,
            &cc("mock-test-client", "mock-test-secret", Some(org)),
            &[],
        )
        .await;
        assert_eq!(s, 200, "{body}");
        assert_eq!(claims(&body)["org_id"], "org_acme123");
        assert_eq!(claims(&body)["org_name"], "acme");
    }
    let (s, body) = post_token(
        &tenant,
        &cc("mock-test-client", "mock-test-secret", None),
        &[],
    )
    .await;
    assert_eq!(s, 200);
    assert!(claims(&body).get("org_id").is_none());
    // Not associated, and unknown: the same 403.
    for org in ["org_globex456", "org_nope"] {
        assert_error(
            post_token(
                &tenant,
                &cc("mock-test-client", "mock-test-secret", Some(org)),
                &[],
            )
            .await,
            403,
            "access_denied",
            "Client is not authorized to access the organization",
        );
    }
    // require: no organization is a 400; an org without a name gives no org_name.
    assert_error(
        post_token(
            &tenant,
            &cc("org-only-client", "org-only-secret", None),
            &[],
        )
        .await,
        400,
        "invalid_request",
        "parameter organization is required for this client",
    );
    let (s, body) = post_token(
        &tenant,
        &cc("org-only-client", "org-only-secret", Some("org_globex456")),
        &[],
    )
    .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(claims(&body)["org_id"], "org_globex456");
    assert!(claims(&body).get("org_name").is_none());
    // deny (the default).
    assert_error(
        post_token(
            &tenant,
            &cc("no-org-client", "no-org-secret", Some("org_acme123")),
            &[],
        )
        .await,
        400,
        "invalid_request",
        "parameter organization is not allowed for this client",
    );
}

#[tokio::test]
async fn each_custom_domain_has_its_issuer_and_tokens_record_the_host_they_came_from() {
    let tenant = MockTenant::builder()
        .custom_domain("localhost")
        .start()
        .await;
    let domains = tenant.urls().domains();
    assert_eq!(domains.len(), 2);
    assert_eq!(
        domains[1],
        format!("localhost:{}", domains[0].rsplit(':').next().unwrap())
    );
    let client = tenant.http_client();
    let jwks = fetch_jwks(&tenant).await;
    for (domain, issuer) in domains.iter().zip(tenant.urls().issuers()) {
        let doc: Value = client
            .get(format!("https://{domain}/.well-known/openid-configuration"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(doc["issuer"], issuer);
        assert_eq!(
            doc["token_endpoint"],
            format!("https://{domain}/oauth/token")
        );
        assert_eq!(
            doc["jwks_uri"],
            format!("https://{domain}/.well-known/jwks.json")
        );
        let body: Value = client
            .post(format!("https://{domain}/oauth/token"))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", "mock-test-client"),
                ("client_secret", "mock-test-secret"),
                ("audience", FLASK),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let c = verify(
            body["access_token"].as_str().unwrap(),
            &jwks,
            &issuer,
            FLASK,
        )
        .unwrap();
        assert_eq!(c["iss"], issuer);
        // One key set: the same JWKS on every domain.
        let other: Value = client
            .get(format!("https://{domain}/.well-known/jwks.json"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(other, tenant.keys().jwks());
    }
    // A token minted on one domain is a token of this tenant on the other (OBO accepts it).
    let t = builder("").start().await;
    let on_localhost = t
        .token()
        .issuer(&t.urls().issuers()[1])
        .sub("auth0|alice")
        .build();
    let (s, body) = post_token(&t, &obo(&on_localhost, UPSTREAM), &[]).await;
    assert_eq!(s, 200, "{body}");
}

#[tokio::test]
async fn an_injected_429_carries_auth0s_rate_limit_headers() {
    let tenant = MockTenant::start().await;
    tenant
        .faults()
        .fail_next(mock_idp::Endpoint::Token, 1, mock_idp::Fault::Status(429));
    let now = tenant.clock().now();
    let res = tenant
        .http_client()
        .post(tenant.urls().token())
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);
    let h = res.headers().clone();
    assert_eq!(h["retry-after"], "2");
    assert_eq!(h["x-ratelimit-limit"], "30");
    assert_eq!(h["x-ratelimit-remaining"], "0");
    let reset: i64 = h["x-ratelimit-reset"].to_str().unwrap().parse().unwrap();
    assert!((now + 2..=now + 3).contains(&reset), "{reset} vs {now}");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "too_many_requests");
}

#[tokio::test]
async fn basic_auth_with_the_same_client_id_in_the_body_is_one_client() {
    // auth0-api-python's get_access_token_for_connection sends both.
    let tenant = builder("").start().await;
    let subject = alice(&tenant);
    let send = |client_id: &'static str| {
        let mut form = vault(&subject, "google-oauth2");
        form[1] = ("client_id", client_id);
        form.remove(2);
        tenant
            .http_client()
            .post(tenant.urls().token())
            .basic_auth("flask-api-client", Some("flask-api-secret"))
            .form(&form)
            .send()
    };
    assert_eq!(send("flask-api-client").await.unwrap().status(), 200);
    let res = send("mock-test-client").await.unwrap();
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body["error_description"],
        "Client authentication must use exactly one method"
    );
}
