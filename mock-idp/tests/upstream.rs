//! `PUT /control/upstream`: a running tenant answering discovery and JWKS with another tenant's
//! documents, exactly as they came (status, headers, body, redirects, dropped connections),
//! while its own journal and counts keep seeing the requests.

use mock_idp::{Endpoint, Fault, MockTenant};
use reqwest::{Method, StatusCode, header};
use serde_json::{Value, json};

const SECRET: &str = "upstream-admin-secret-0123456789";

/// The running tenant (what `mock-idp serve` is) and the upstream it delegates to.
async fn pair() -> (MockTenant, MockTenant) {
    let running = MockTenant::builder().admin_secret(SECRET).start().await;
    let upstream = MockTenant::start().await;
    let (s, _) = control(
        &running,
        SECRET,
        Method::PUT,
        Some(json!({ "url": upstream.uri(), "ca_pem": upstream.ca().pem() })),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    (running, upstream)
}

async fn control(
    t: &MockTenant,
    bearer: &str,
    method: Method,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = t
        .http_client()
        .request(method, format!("{}/control/upstream", t.uri()))
        .bearer_auth(bearer);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let text = res.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// A client trusting `t`'s CA that shows redirects instead of following them.
fn client(t: &MockTenant) -> reqwest::Client {
    let ca = reqwest::Certificate::from_pem(t.ca().pem().as_bytes()).unwrap();
    reqwest::Client::builder()
        .tls_certs_only([ca])
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn header_of(res: &reqwest::Response, name: header::HeaderName) -> Option<String> {
    res.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
}

#[tokio::test]
async fn discovery_and_jwks_come_from_the_upstream_with_its_headers() {
    let (running, upstream) = pair().await;
    let jwks = json!({ "keys": [], "from": "upstream" });
    let _jwks = upstream.overrides().jwks(jwks.clone());
    upstream
        .overrides()
        .set_cache_control(Endpoint::Jwks, Some("max-age=7"));

    let res = client(&running)
        .get(format!("{}?probe=1", running.urls().jwks()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        header_of(&res, header::CONTENT_TYPE).as_deref(),
        Some("application/json")
    );
    assert_eq!(
        header_of(&res, header::CACHE_CONTROL).as_deref(),
        Some("max-age=7")
    );
    assert_eq!(res.json::<Value>().await.unwrap(), jwks);

    // Same path and query, and the running tenant's Host, so the upstream serves its issuer.
    let seen = upstream.journal().received_requests();
    let last = seen.last().unwrap();
    assert_eq!(last.path, "/.well-known/jwks.json");
    assert_eq!(last.query.as_deref(), Some("probe=1"));
    let host = last.headers.iter().find(|(n, _)| n == "host").unwrap();
    assert_eq!(host.1, running.domain());

    let discovery: Value = client(&running)
        .get(running.urls().discovery())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(discovery["issuer"], upstream.issuer());

    // Both tenants counted both requests (`GET /control/stats` stays true).
    assert_eq!(
        (
            running.journal().jwks_fetches(),
            running.journal().discovery_fetches()
        ),
        (1, 1)
    );
    assert_eq!(
        (
            upstream.journal().jwks_fetches(),
            upstream.journal().discovery_fetches()
        ),
        (1, 1)
    );
    let stats: Value = running
        .http_client()
        .get(format!("{}/control/stats", running.uri()))
        .bearer_auth(SECRET)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["jwks_fetches"], 1);
    assert_eq!(stats["discovery_fetches"], 1);
    let journaled: Vec<String> = running
        .journal()
        .received_requests()
        .into_iter()
        .map(|r| r.path)
        .collect();
    assert_eq!(
        journaled,
        [
            "/.well-known/jwks.json",
            "/.well-known/openid-configuration"
        ]
    );
}

#[tokio::test]
async fn errors_and_redirects_are_relayed_not_followed() {
    let (running, upstream) = pair().await;
    upstream.faults().fail_next(
        Endpoint::Jwks,
        1,
        Fault::Respond {
            status: 503,
            content_type: "text/html".into(),
            body: "<h1>down</h1>".into(),
        },
    );
    upstream.faults().fail_on(
        Endpoint::Jwks,
        2,
        Fault::Redirect {
            status: 302,
            location: "https://elsewhere.test/jwks.json".into(),
        },
    );
    let http = client(&running);

    let res = http.get(running.urls().jwks()).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        header_of(&res, header::CONTENT_TYPE).as_deref(),
        Some("text/html")
    );
    assert_eq!(header_of(&res, header::CACHE_CONTROL), None);
    assert_eq!(res.text().await.unwrap(), "<h1>down</h1>");

    let res = http.get(running.urls().jwks()).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FOUND);
    assert_eq!(
        header_of(&res, header::LOCATION).as_deref(),
        Some("https://elsewhere.test/jwks.json")
    );
    assert_eq!(
        upstream.journal().jwks_fetches(),
        2,
        "the redirect was not followed"
    );
}

/// Whether a GET of `url` failed without a complete response.
async fn dropped(http: &reqwest::Client, url: &str) -> bool {
    match http.get(url).send().await {
        Err(_) => true,
        Ok(res) => res.bytes().await.is_err(),
    }
}

#[tokio::test]
async fn an_upstream_that_drops_or_is_gone_drops_the_connection() {
    let (running, upstream) = pair().await;
    let http = client(&running);
    upstream
        .faults()
        .fail_next(Endpoint::Jwks, 1, Fault::DropConnection);
    assert!(dropped(&http, &running.urls().jwks()).await);
    assert_eq!(upstream.journal().jwks_fetches(), 1);

    // An upstream nobody listens on any more.
    let gone = upstream.uri().to_owned();
    let ca = upstream.ca().pem();
    drop(upstream);
    let (s, _) = control(
        &running,
        SECRET,
        Method::PUT,
        Some(json!({ "url": gone, "ca_pem": ca })),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert!(dropped(&http, &running.urls().discovery()).await);
    assert_eq!(running.journal().discovery_fetches(), 1, "still counted");
}

#[tokio::test]
async fn delete_restores_the_tenants_own_documents() {
    let (running, upstream) = pair().await;
    let _jwks = upstream.overrides().jwks(json!({ "keys": [] }));
    let http = client(&running);
    let (s, body) = control(&running, SECRET, Method::GET, None).await;
    assert_eq!(
        (s, body),
        (StatusCode::OK, json!({ "url": upstream.uri() }))
    );

    let (s, _) = control(&running, SECRET, Method::DELETE, None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let jwks: Value = http
        .get(running.urls().jwks())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jwks, running.keys().jwks());
    let discovery: Value = http
        .get(running.urls().discovery())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(discovery["issuer"], running.issuer());
    assert_eq!(
        upstream.journal().jwks_fetches() + upstream.journal().discovery_fetches(),
        0
    );
    let (s, body) = control(&running, SECRET, Method::GET, None).await;
    assert_eq!((s, body), (StatusCode::OK, json!({ "url": null })));
}

#[tokio::test]
async fn only_the_admin_may_set_an_upstream_and_only_an_origin() {
    let running = MockTenant::builder().admin_secret(SECRET).start().await;
    let body = json!({ "url": "https://127.0.0.1:9" });
    for method in [Method::PUT, Method::DELETE] {
        let (s, _) = control(&running, "wrong-secret", method, Some(body.clone())).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    for bad in [
        json!({ "url": "https://127.0.0.1:9/path" }),
        json!({ "url": "ftp://127.0.0.1:9" }),
        json!({ "url": "not a url" }),
        json!({ "url": "https://127.0.0.1:9", "ca_pem": "garbage" }),
        json!({ "url": "https://127.0.0.1:9", "extra": 1 }),
    ] {
        let (s, body) = control(&running, SECRET, Method::PUT, Some(bad.clone())).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}: {body}");
    }
    // Nothing was set: the tenant still serves its own keys.
    let jwks: Value = client(&running)
        .get(running.urls().jwks())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jwks, running.keys().jwks());

    let off = MockTenant::builder().without_control_api().start().await;
    let (s, _) = control(&off, SECRET, Method::PUT, Some(body)).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}
