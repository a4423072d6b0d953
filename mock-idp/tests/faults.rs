//! Fault injection per endpoint and the request journal.

use std::time::{Duration, Instant};

use mock_idp::{Endpoint, Fault, MockTenant};

#[tokio::test]
async fn status_always_and_by_call_number() {
    let tenant = MockTenant::start().await;
    let client = tenant.http_client();
    tenant
        .faults()
        .fail_on(Endpoint::Jwks, 2, Fault::Status(503));
    let s = |r: reqwest::Response| r.status().as_u16();
    assert_eq!(
        s(client.get(tenant.urls().jwks()).send().await.unwrap()),
        200
    );
    assert_eq!(
        s(client.get(tenant.urls().jwks()).send().await.unwrap()),
        503
    );
    assert_eq!(
        s(client.get(tenant.urls().jwks()).send().await.unwrap()),
        200
    );
    tenant
        .faults()
        .fail_next(Endpoint::Jwks, 1, Fault::Status(429));
    assert_eq!(
        s(client.get(tenant.urls().jwks()).send().await.unwrap()),
        429
    );
    assert_eq!(
        s(client.get(tenant.urls().jwks()).send().await.unwrap()),
        200
    );
    tenant
        .faults()
        .fail(Endpoint::Discovery, Fault::Status(500));
    for _ in 0..2 {
        assert_eq!(
            s(client.get(tenant.urls().discovery()).send().await.unwrap()),
            500
        );
    }
    tenant.faults().clear();
    assert_eq!(
        s(client.get(tenant.urls().discovery()).send().await.unwrap()),
        200
    );
    assert_eq!(tenant.journal().jwks_fetches(), 5);
    assert_eq!(tenant.journal().discovery_fetches(), 3);
}

#[tokio::test]
async fn malformed_body_custom_body_delay_and_dropped_connection() {
    let tenant = MockTenant::start().await;
    let client = tenant.http_client();

    tenant
        .faults()
        .fail_next(Endpoint::Jwks, 1, Fault::MalformedBody);
    let r = client.get(tenant.urls().jwks()).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.json::<serde_json::Value>().await.is_err());

    tenant.faults().fail_next(
        Endpoint::Jwks,
        1,
        Fault::Respond {
            status: 200,
            content_type: "text/html".into(),
            body: "<html>".into(),
        },
    );
    let r = client.get(tenant.urls().jwks()).send().await.unwrap();
    assert_eq!(r.headers()["content-type"], "text/html");

    tenant.faults().fail_next(
        Endpoint::Discovery,
        1,
        Fault::Delay(Duration::from_millis(300)),
    );
    let t0 = Instant::now();
    let r = client.get(tenant.urls().discovery()).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(t0.elapsed() >= Duration::from_millis(300));

    tenant
        .faults()
        .fail_next(Endpoint::Token, 1, Fault::DropConnection);
    let r = client
        .post(tenant.urls().token())
        .form(&[("grant_type", "x")])
        .send()
        .await;
    let failed = match r {
        Err(_) => true,
        Ok(resp) => resp.bytes().await.is_err(),
    };
    assert!(failed, "the connection should have been dropped");
    // Serving continues.
    let r = client.get(tenant.urls().jwks()).send().await.unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn journal_records_method_path_headers_and_body() {
    let tenant = MockTenant::start().await;
    tenant
        .http_client()
        .post(tenant.urls().token())
        .header("DPoP", "a")
        .header("DPoP", "b")
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    let reqs = tenant.journal().received_requests();
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    assert_eq!(
        (r.method.as_str(), r.path.as_str()),
        ("POST", "/oauth/token")
    );
    assert_eq!(r.body_text(), "grant_type=client_credentials");
    assert_eq!(r.headers.iter().filter(|(n, _)| n == "dpop").count(), 2);
    tenant.journal().clear();
    assert!(tenant.journal().received_requests().is_empty());
}
