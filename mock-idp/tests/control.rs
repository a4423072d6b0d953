//! The control API over real HTTPS: who may use it, and that each route's effect shows on the
//! tenant's public endpoints and in the Rust handle (one implementation behind both).

use mock_idp::{
    MockTenant, config::ApplicationConfig, config::MANAGEMENT_API, config::TenantConfig,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{fetch_jwks, parts, verify};

const SECRET: &str = "test-admin-secret-0123456789";

/// A tenant with a known admin secret and an application granted two Management API scopes.
async fn tenant() -> MockTenant {
    let mut config = TenantConfig::default();
    let mut ops = ApplicationConfig::machine("ops-client", "ops-secret");
    ops.grants.insert(
        MANAGEMENT_API.into(),
        vec!["read:signing_keys".into(), "read:mock_tenant".into()],
    );
    config.applications.push(ops);
    MockTenant::builder()
        .config(config)
        .admin_secret(SECRET)
        .start()
        .await
}

async fn call(
    t: &MockTenant,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    call_as(t, SECRET, method, path, body).await
}

/// Calls a control route with `bearer`; status and JSON body (`null` when it is not JSON).
pub(crate) async fn call_as(
    t: &MockTenant,
    bearer: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = t
        .http_client()
        .request(method, format!("{}{path}", t.uri()))
        .bearer_auth(bearer);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let text = res.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn management_token(t: &MockTenant, scope: Option<&str>) -> (u16, Value) {
    let mut form = vec![
        ("grant_type", "client_credentials".to_owned()),
        ("client_id", "ops-client".to_owned()),
        ("client_secret", "ops-secret".to_owned()),
        ("audience", t.control().audience()),
    ];
    if let Some(s) = scope {
        form.push(("scope", s.to_owned()));
    }
    let res = t
        .http_client()
        .post(t.urls().token())
        .form(&form)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

#[tokio::test]
async fn only_the_admin_secret_or_a_scoped_management_token_gets_in() {
    let t = tenant().await;
    // Nothing, a wrong secret, a token for another API: 401 with a Bearer challenge.
    let res = t
        .http_client()
        .get(format!("{}/control/stats", t.uri()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(
        res.headers()["www-authenticate"],
        "Bearer realm=\"mock-idp control\""
    );
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({"statusCode": 401, "error": "Unauthorized", "message": "Missing authentication", "errorCode": "invalid_token"})
    );
    let (s, _) = call_as(&t, "wrong-secret", Method::GET, "/control/stats", None).await;
    assert_eq!(s, 401);
    let api_token = t.token().build();
    let (s, body) = call_as(&t, &api_token, Method::GET, "/control/stats", None).await;
    assert_eq!(
        (s, body["message"].clone()),
        (StatusCode::UNAUTHORIZED, json!("Invalid token"))
    );

    // A Management API token from client_credentials, as on Auth0: its scopes decide.
    let (status, tok) = management_token(&t, None).await;
    assert_eq!(status, 200, "{tok}");
    assert_eq!(tok["scope"], "read:signing_keys read:mock_tenant");
    let mgmt = tok["access_token"].as_str().unwrap();
    let (s, keys) = call_as(&t, mgmt, Method::GET, "/api/v2/keys/signing", None).await;
    assert_eq!(s, 200, "{keys}");
    let (s, body) = call_as(&t, mgmt, Method::POST, "/api/v2/keys/signing/rotate", None).await;
    assert_eq!(
        (s, body),
        (
            StatusCode::FORBIDDEN,
            json!({"statusCode": 403, "error": "Forbidden", "message": "Insufficient scope, expected any of: create:signing_keys", "errorCode": "insufficient_scope"})
        )
    );
    // Scopes the application was not granted are refused at the token endpoint.
    let (status, body) = management_token(&t, Some("update:mock_tenant")).await;
    assert_eq!(
        (status, body["error"].clone()),
        (403, json!("access_denied"))
    );

    // The same token once the tenant's clock passes its expiry: refused.
    t.clock().advance(86_401);
    let (s, _) = call_as(&t, mgmt, Method::GET, "/api/v2/keys/signing", None).await;
    assert_eq!(s, 401);

    // A forged token (attacker key, tenant kid, right claims) is refused.
    let forged = t
        .token()
        .audience(&t.control().audience())
        .scope("read:signing_keys")
        .signed_with(mock_idp::Signing::Unpublished(
            mock_idp::SigningKey::attacker(),
        ))
        .build();
    let (s, _) = call_as(&t, &forged, Method::GET, "/api/v2/keys/signing", None).await;
    assert_eq!(s, 401);
}

#[tokio::test]
async fn without_the_control_api_its_paths_are_unknown() {
    let t = MockTenant::builder().without_control_api().start().await;
    assert_eq!(t.control().admin_secret(), None);
    for (method, path) in [
        (Method::GET, "/control/stats"),
        (Method::GET, "/api/v2/keys/signing"),
    ] {
        let (s, body) = call_as(&t, "anything", method, path, None).await;
        assert_eq!(s, 404, "{path}: {body}");
    }
    // Nor can a Management API token be had.
    assert!(t.config().api(&t.control().audience()).is_none());
}

#[tokio::test]
async fn signing_keys_follow_auth0s_life_cycle_and_the_jwks_follows() {
    let t = tenant().await;
    let first = t.keys().current().kid().to_owned();
    let (s, keys) = call(&t, Method::GET, "/api/v2/keys/signing", None).await;
    assert_eq!(s, 200);
    assert_eq!(keys.as_array().unwrap().len(), 1);
    assert_eq!(keys[0]["kid"], first.as_str());
    assert_eq!(
        (keys[0]["current"].clone(), keys[0]["next"].clone()),
        (json!(true), json!(false))
    );
    assert!(
        keys[0]["cert"]
            .as_str()
            .unwrap()
            .starts_with("-----BEGIN CERTIFICATE-----\r\n")
    );
    assert_eq!(keys[0]["thumbprint"].as_str().unwrap().len(), 40);

    let (s, rotated) = call(&t, Method::POST, "/api/v2/keys/signing/rotate", None).await;
    assert_eq!(s, 201, "{rotated}");
    let second = rotated["kid"].as_str().unwrap().to_owned();
    assert_ne!(second, first);
    // The Rust handle sees the same ring: one implementation.
    assert_eq!(t.keys().current().kid(), second);
    let (_, keys) = call(&t, Method::GET, "/api/v2/keys/signing", None).await;
    let role = |kid: &str, r: &str| {
        keys.as_array()
            .unwrap()
            .iter()
            .any(|k| k["kid"] == kid && k[r] == true)
    };
    assert!(role(&first, "previous") && role(&second, "current"));
    let next = keys
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["next"] == true)
        .unwrap()["kid"]
        .clone();
    let jwks_kids = |jwks: &jsonwebtoken::jwk::JwkSet| -> Vec<String> {
        jwks.keys
            .iter()
            .filter_map(|k| k.common.key_id.clone())
            .collect()
    };
    assert_eq!(
        jwks_kids(&fetch_jwks(&t).await),
        [
            first.clone(),
            second.clone(),
            next.as_str().unwrap().to_owned()
        ]
    );
    // New tokens from the token endpoint are signed by the new current key.
    let form = crate::support::cc_form(&t);
    let (_, body) = crate::support::post_token(&t, &crate::support::as_refs(&form), &[]).await;
    assert_eq!(
        parts(body["access_token"].as_str().unwrap()).0["kid"],
        second.as_str()
    );

    // Only the previous key may be revoked; it leaves the JWKS.
    let (s, body) = call(
        &t,
        Method::PUT,
        &format!("/api/v2/keys/signing/{second}/revoke"),
        None,
    )
    .await;
    assert_eq!(
        (s, body["message"].clone()),
        (
            StatusCode::CONFLICT,
            json!("Only the previous signing key can be revoked")
        )
    );
    let (s, body) = call(&t, Method::PUT, "/api/v2/keys/signing/nope/revoke", None).await;
    assert_eq!(
        (s, body["message"].clone()),
        (StatusCode::NOT_FOUND, json!("Signing key not found"))
    );
    let (s, body) = call(
        &t,
        Method::PUT,
        &format!("/api/v2/keys/signing/{first}/revoke"),
        None,
    )
    .await;
    assert_eq!((s, body["revoked"].clone()), (StatusCode::OK, json!(true)));
    assert!(!jwks_kids(&fetch_jwks(&t).await).contains(&first));

    // The mock's own steps: publish a next key, retire any.
    let (s, published) = call(&t, Method::POST, "/control/keys/publish-next", None).await;
    assert_eq!(
        (s, published["next"].clone()),
        (StatusCode::CREATED, json!(true))
    );
    let kid = published["kid"].as_str().unwrap().to_owned();
    assert!(jwks_kids(&fetch_jwks(&t).await).contains(&kid));
    let (s, _) = call(
        &t,
        Method::POST,
        &format!("/control/keys/{kid}/retire"),
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert!(!jwks_kids(&fetch_jwks(&t).await).contains(&kid));
}

#[tokio::test]
async fn clock_faults_overrides_nonce_journal_and_reset() {
    let t = tenant().await;
    // Clock: advance an hour; tokens from the token endpoint carry the new time.
    let before = t.clock().now();
    let (s, clock) = call(
        &t,
        Method::POST,
        "/control/clock",
        Some(json!({"freeze": true, "advance": 3600})),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(
        (clock["frozen"].clone(), clock["offset"].clone()),
        (json!(true), json!(3600))
    );
    assert!(t.clock().now() >= before + 3600, "the Rust handle sees it");
    let form = crate::support::cc_form(&t);
    let (_, body) = crate::support::post_token(&t, &crate::support::as_refs(&form), &[]).await;
    assert_eq!(
        parts(body["access_token"].as_str().unwrap()).1["iat"],
        t.clock().now()
    );
    let (s, body) = call(
        &t,
        Method::POST,
        "/control/clock",
        Some(json!({"advance": "soon"})),
    )
    .await;
    assert_eq!(s, 400, "{body}");

    // Faults: the next JWKS fetch fails with 503, then it recovers.
    let (s, list) = call(
        &t,
        Method::POST,
        "/control/faults",
        Some(json!({"endpoint": "jwks", "fault": {"status": 503}, "when": {"next": 1}})),
    )
    .await;
    assert_eq!(s, 201);
    assert_eq!(
        list,
        json!([{"endpoint": "jwks", "fault": {"status": 503}, "when": {"calls": {"from": 1, "to": 1}}}])
    );
    let jwks_status = || async {
        t.http_client()
            .get(t.urls().jwks())
            .send()
            .await
            .unwrap()
            .status()
    };
    assert_eq!(jwks_status().await, 503);
    assert_eq!(jwks_status().await, 200);
    let (_, _) = call(
        &t,
        Method::POST,
        "/control/faults",
        Some(json!({"endpoint": "discovery", "fault": "drop_connection"})),
    )
    .await;
    assert!(
        t.http_client()
            .get(t.urls().discovery())
            .send()
            .await
            .is_err()
    );
    let (s, _) = call(&t, Method::DELETE, "/control/faults", None).await;
    assert_eq!(s, 204);
    assert_eq!(
        t.http_client()
            .get(t.urls().discovery())
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let (s, body) = call(
        &t,
        Method::POST,
        "/control/faults",
        Some(json!({"endpoint": "userinfo", "fault": "malformed_body"})),
    )
    .await;
    assert_eq!(s, 400, "{body}");

    // Overrides.
    let (s, _) = call(
        &t,
        Method::PUT,
        "/control/overrides/jwks",
        Some(json!({"keys": []})),
    )
    .await;
    assert_eq!(s, 204);
    let served: Value = t
        .http_client()
        .get(t.urls().jwks())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(served, json!({"keys": []}));
    let (s, _) = call(
        &t,
        Method::PUT,
        "/control/overrides/userinfo",
        Some(json!({})),
    )
    .await;
    assert_eq!(s, 404);

    // DPoP nonce: required at the token endpoint until removed.
    let (s, body) = call(&t, Method::PUT, "/control/dpop-nonce", None).await;
    assert_eq!(s, 200);
    assert_eq!(t.dpop().nonce().as_deref(), body["nonce"].as_str());

    // Journal and stats: public traffic only, not control calls.
    let (_, journal) = call(&t, Method::GET, "/control/journal", None).await;
    let paths: Vec<&str> = journal
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["path"].as_str().unwrap())
        .collect();
    assert!(
        paths
            .iter()
            .all(|p| !p.starts_with("/control") && !p.starts_with("/api/v2")),
        "{paths:?}"
    );
    assert_eq!(paths.last(), Some(&"/.well-known/jwks.json"));
    let (_, last) = call(&t, Method::GET, "/control/journal?limit=1", None).await;
    assert_eq!(last.as_array().unwrap().len(), 1);
    let (_, stats) = call(&t, Method::GET, "/control/stats", None).await;
    assert_eq!(stats["jwks_fetches"], t.journal().jwks_fetches());
    assert_eq!(stats["token_requests"], t.journal().token_requests());

    // Reset: everything above undone but the keys.
    let (s, _) = call(&t, Method::POST, "/control/reset", None).await;
    assert_eq!(s, 204);
    assert_eq!(t.dpop().nonce(), None);
    assert!(t.journal().received_requests().is_empty());
    assert_eq!(t.clock().offset(), 0);
    assert!(!t.clock().is_frozen());
    let served: Value = t
        .http_client()
        .get(t.urls().jwks())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(served["keys"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn tokens_and_proofs_are_minted_from_their_json_description() {
    let t = tenant().await;
    let (s, minted) = call(&t, Method::POST, "/control/tokens", Some(json!({"scope": "read:messages", "unset_claims": ["gty"], "claims": {"org_id": "org_1"}}))).await;
    assert_eq!(s, 200, "{minted}");
    let token = minted["token"].as_str().unwrap();
    let claims = verify(token, &fetch_jwks(&t).await, t.issuer(), t.audience()).unwrap();
    assert_eq!(
        (claims["scope"].clone(), claims["org_id"].clone()),
        (json!("read:messages"), json!("org_1"))
    );
    assert!(claims.get("gty").is_none());
    assert_eq!(minted["claims"], claims);
    let (s, forged) = call(
        &t,
        Method::POST,
        "/control/tokens",
        Some(json!({"signing": {"key": "attacker"}})),
    )
    .await;
    assert_eq!(s, 200);
    assert!(
        verify(
            forged["token"].as_str().unwrap(),
            &fetch_jwks(&t).await,
            t.issuer(),
            t.audience()
        )
        .is_err()
    );
    let (s, body) = call(
        &t,
        Method::POST,
        "/control/tokens",
        Some(json!({"scopes": "typo"})),
    )
    .await;
    assert_eq!(s, 400);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("unknown field `scopes`"),
        "{body}"
    );

    let (s, p) = call(&t, Method::POST, "/control/proofs", Some(json!({"method": "GET", "url": "https://api.example/x", "spec": {"access_token": token}}))).await;
    assert_eq!(s, 200, "{p}");
    let (h, c) = parts(p["proof"].as_str().unwrap());
    assert_eq!(p["jkt"], mock_idp::DpopKey::fixture().thumbprint());
    assert_eq!(
        (h["typ"].clone(), c["htm"].clone(), c["htu"].clone()),
        (
            json!("dpop+jwt"),
            json!("GET"),
            json!("https://api.example/x")
        )
    );
    assert_eq!(c["ath"], mock_idp::jose::ath(token));
    assert_eq!(c["iat"], t.clock().now());
}

/// `openapi/control.json` lists exactly [`mock_idp::control_routes`] (the table that also
/// builds the router), and every listed route is served (never 404/405) to the admin.
#[tokio::test]
async fn the_openapi_document_lists_exactly_the_served_routes() {
    let doc: Value = serde_json::from_str(include_str!("../openapi/control.json")).unwrap();
    let mut documented: Vec<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, ops)| {
            ops.as_object()
                .unwrap()
                .keys()
                .map(|m| (m.to_uppercase(), path.clone()))
                .collect::<Vec<_>>()
        })
        .collect();
    documented.sort();
    let mut listed: Vec<(String, String)> = mock_idp::control_routes()
        .iter()
        .map(|r| (r.method.to_owned(), r.path.to_owned()))
        .collect();
    listed.sort();
    assert_eq!(documented, listed);
    let t = tenant().await;
    for (method, path) in listed {
        let path = path
            .replace("{kid}", "tenant-1")
            .replace("{document}", "jwks")
            .replace("{name}", "nobody");
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let (s, body) = call(&t, method.clone(), &path, Some(json!({}))).await;
        assert!(
            s != 404
                || body["errorCode"]
                    .as_str()
                    .is_some_and(|c| c.starts_with("inexistent_")),
            "{method} {path}: {s}"
        );
        assert_ne!(s, 405, "{method} {path}");
    }
}

/// mock-idp's README lists every control route with its scope, exactly as
/// [`mock_idp::control_routes`] registers them.
#[test]
fn the_readme_route_table_is_the_route_table() {
    let readme = include_str!("../README.md");
    let documented: Vec<(String, String, String)> = readme
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| {
            let cells: Vec<&str> = l.split(" | ").collect();
            let (method, path) = cells.first()?.trim_end_matches('`').split_once(' ')?;
            let scope = cells.get(1)?.trim_matches('`');
            ["GET", "POST", "PUT", "PATCH", "DELETE"]
                .contains(&method)
                .then(|| (method.to_owned(), path.to_owned(), scope.to_owned()))
        })
        .collect();
    let registered: Vec<(String, String, String)> = mock_idp::control_routes()
        .iter()
        .map(|r| (r.method.to_owned(), r.path.to_owned(), r.scope.to_owned()))
        .collect();
    assert_eq!(documented, registered);
}
