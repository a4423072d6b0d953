//! Discovery and JWKS documents, served over HTTPS.

use mock_idp::{Endpoint, MockTenant, TenantBuilder};
use serde_json::Value;

use crate::support::json_of;

#[tokio::test]
async fn discovery_is_auth0_shaped_over_https() {
    let tenant = MockTenant::start().await;
    assert!(tenant.domain().starts_with("127.0.0.1:"));
    assert_eq!(tenant.issuer(), format!("https://{}/", tenant.domain()));
    let res = tenant
        .http_client()
        .get(tenant.urls().discovery())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let cc = res.headers()["cache-control"].to_str().unwrap().to_owned();
    assert!(cc.contains("max-age="), "{cc}");
    let doc: Value = res.json().await.unwrap();
    assert_eq!(doc["issuer"], tenant.issuer());
    assert!(doc["issuer"].as_str().unwrap().ends_with('/'));
    assert_eq!(doc["jwks_uri"], tenant.urls().jwks());
    assert_eq!(doc["token_endpoint"], tenant.urls().token());
    assert!(
        doc["grant_types_supported"]
            .as_array()
            .unwrap()
            .contains(&"client_credentials".into())
    );
    let methods = doc["token_endpoint_auth_methods_supported"]
        .as_array()
        .unwrap();
    assert!(methods.contains(&"client_secret_post".into()));
    assert!(methods.contains(&"client_secret_basic".into()));
    assert_eq!(
        doc["dpop_signing_alg_values_supported"],
        serde_json::json!(["ES256"])
    );
    assert_eq!(tenant.journal().discovery_fetches(), 1);
}

#[tokio::test]
async fn jwks_lists_published_keys_with_public_members_only() {
    let tenant = MockTenant::start().await;
    let res = tenant
        .http_client()
        .get(tenant.urls().jwks())
        .send()
        .await
        .unwrap();
    assert!(
        res.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age=")
    );
    let jwks: Value = res.json().await.unwrap();
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    let k = &keys[0];
    assert_eq!(k["kty"], "RSA");
    assert_eq!(k["use"], "sig");
    assert_eq!(k["alg"], "RS256");
    assert_eq!(k["kid"], tenant.keys().current().kid());
    assert!(k["n"].is_string() && k["e"] == "AQAB");
    assert!(k.get("d").is_none());
    assert_eq!(tenant.journal().jwks_fetches(), 1);
}

#[tokio::test]
async fn plain_http_and_custom_host() {
    let tenant = TenantBuilder::default()
        .http()
        .host("localhost")
        .start()
        .await;
    assert!(tenant.issuer().starts_with("http://localhost:"));
    let doc: Value = reqwest::get(format!(
        "http://127.0.0.1:{}/.well-known/openid-configuration",
        tenant.domain().rsplit(':').next().unwrap()
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(doc["issuer"], tenant.issuer());
}

#[tokio::test]
async fn https_with_localhost_name_verifies() {
    let tenant = MockTenant::builder().host("localhost").start().await;
    let port = tenant.domain().rsplit(':').next().unwrap().to_owned();
    // Resolve "localhost" to the loopback the server listens on.
    let client = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(tenant.ca().pem().as_bytes()).unwrap()])
        .resolve("localhost", format!("127.0.0.1:{port}").parse().unwrap())
        .build()
        .unwrap();
    let res = client.get(tenant.urls().discovery()).send().await.unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn unknown_paths_are_404_json_and_overrides_are_served() {
    let tenant = MockTenant::start().await;
    let res = tenant
        .http_client()
        .get(format!("{}/nope", tenant.uri()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let mut doc = tenant.overrides().original_discovery();
    doc["issuer"] = "https://evil.example/".into();
    let discovery = tenant.overrides().discovery(doc);
    let jwks = tenant
        .overrides()
        .jwks(serde_json::json!({"keys": [{"kty": "oct", "k": "c2VjcmV0", "kid": "tenant-1"}]}));
    let client = tenant.http_client();
    let d: Value = json_of(client.get(tenant.urls().discovery())).await;
    assert_eq!(d["issuer"], "https://evil.example/");
    let j: Value = json_of(client.get(tenant.urls().jwks())).await;
    assert_eq!(j["keys"][0]["kty"], "oct");
    drop(jwks);
    drop(discovery);
    let d: Value = json_of(client.get(tenant.urls().discovery())).await;
    assert_eq!(d["issuer"], tenant.issuer());
}

#[test]
fn tenants_work_without_an_async_runtime_and_do_not_interfere() {
    let a = MockTenant::builder()
        .try_start()
        .expect("the tenant starts");
    let b = MockTenant::builder()
        .try_start()
        .expect("the tenant starts");
    assert_ne!(a.domain(), b.domain());
    a.clock().advance(1000);
    assert!(a.clock().now() - b.clock().now() >= 999);
    a.keys().publish_next();
    assert_eq!(b.keys().published_kids().len(), 1);
    assert_ne!(a.ca().pem(), b.ca().pem());
}

#[tokio::test]
async fn an_override_guard_restores_the_real_documents_when_dropped() {
    let tenant = MockTenant::start().await;
    let client = tenant.http_client();
    let jwks = |c: reqwest::Client, url: String| async move {
        c.get(url)
            .send()
            .await
            .unwrap()
            .json::<serde_json::Value>()
            .await
            .unwrap()
    };
    let real = jwks(client.clone(), tenant.urls().jwks()).await;
    {
        let _jwks = tenant.overrides().jwks(serde_json::json!({"keys": []}));
        let _discovery = tenant
            .overrides()
            .discovery(serde_json::json!({"issuer": "https://other/"}));
        assert_eq!(
            jwks(client.clone(), tenant.urls().jwks()).await,
            serde_json::json!({"keys": []})
        );
        assert_eq!(
            jwks(client.clone(), tenant.urls().discovery()).await["issuer"],
            "https://other/"
        );
    }
    assert_eq!(jwks(client.clone(), tenant.urls().jwks()).await, real);
    assert_eq!(
        jwks(client, tenant.urls().discovery()).await["issuer"],
        tenant.issuer()
    );
}

/// `set_cache_control` changes (or removes) the header per endpoint; `clear_cache_control`
/// restores Auth0's.
#[tokio::test]
async fn cache_control_can_be_overridden_per_endpoint_and_restored() {
    let tenant = MockTenant::start().await;
    let client = tenant.http_client();
    let cache_control = |url: String| {
        let client = client.clone();
        async move {
            let res = client.get(url).send().await.unwrap();
            assert_eq!(res.status(), 200);
            res.headers()
                .get("cache-control")
                .map(|v| v.to_str().unwrap().to_owned())
        }
    };
    let auth0 = "public, max-age=15, stale-while-revalidate=15, stale-if-error=86400";
    tenant
        .overrides()
        .set_cache_control(Endpoint::Jwks, Some("public, max-age=0"));
    tenant
        .overrides()
        .set_cache_control(Endpoint::Discovery, None);
    assert_eq!(
        cache_control(tenant.urls().jwks()).await.as_deref(),
        Some("public, max-age=0")
    );
    assert_eq!(cache_control(tenant.urls().discovery()).await, None);
    tenant.overrides().clear_cache_control(Endpoint::Jwks);
    assert_eq!(
        cache_control(tenant.urls().jwks()).await.as_deref(),
        Some(auth0)
    );
    assert_eq!(cache_control(tenant.urls().discovery()).await, None);
    tenant.overrides().clear_cache_control(Endpoint::Discovery);
    assert_eq!(
        cache_control(tenant.urls().discovery()).await.as_deref(),
        Some(auth0)
    );
}

/// RFC 8414 authorization-server metadata (what MCP clients fetch first) is the OIDC discovery
/// document, member for member, on every domain; it has what RFC 8414 §2 requires, and a
/// browser client may read it.
#[tokio::test]
async fn authorization_server_metadata_is_the_discovery_document() {
    let tenant = MockTenant::start().await;
    let http = tenant.http_client();
    let as_url = format!("{}.well-known/oauth-authorization-server", tenant.issuer());
    let res = http
        .get(&as_url)
        .header("origin", "https://app.example")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["access-control-allow-origin"], "*");
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let as_meta: Value = res.json().await.unwrap();
    let oidc: Value = http
        .get(tenant.urls().discovery())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(as_meta, oidc);
    for member in [
        "issuer",
        "authorization_endpoint",
        "token_endpoint",
        "response_types_supported",
    ] {
        assert!(as_meta.get(member).is_some(), "{member} (RFC 8414 §2)");
    }
    // RFC 8414 §3.3: the issuer is the URL the metadata was derived from.
    assert_eq!(
        format!(
            "{}.well-known/oauth-authorization-server",
            as_meta["issuer"].as_str().unwrap()
        ),
        as_url
    );
}
