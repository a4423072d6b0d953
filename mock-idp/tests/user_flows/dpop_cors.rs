//! DPoP through the browser flow (`dpop_jkt` binds the code, the tokens and `/userinfo`) and
//! CORS for web origins.

use super::*;

#[tokio::test]
async fn dpop_binds_the_code_the_tokens_and_userinfo() {
    let tenant = MockTenant::start().await;
    let mut agent = Agent::new(&tenant);
    let key = DpopKey::generate();
    let jkt = key.thumbprint();
    let code = code_for(&mut agent, &tenant, &[("dpop_jkt", &jkt)]).await;
    // Without a proof, or with another key's: refused.
    let res = exchange(&mut agent, &tenant, &code, &[]).await;
    assert_eq!(res.json()["error"], "invalid_dpop_proof");
    let code = code_for(&mut agent, &tenant, &[("dpop_jkt", &jkt)]).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("client_id", DEFAULT_SPA_CLIENT_ID),
        ("code", &code),
        ("redirect_uri", DEFAULT_CALLBACK),
        ("code_verifier", VERIFIER),
    ];
    let proof = tenant.dpop_proof(&key, "POST", &tenant.token_url()).build();
    let res = agent
        .send(
            agent
                .http
                .post(tenant.token_url())
                .form(&form)
                .header("DPoP", proof),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    let body = res.json();
    assert_eq!(body["token_type"], "DPoP");
    let at = body["access_token"].as_str().unwrap();
    assert_eq!(parts(at).1["cnf"]["jkt"], jkt);
    let rt = body["refresh_token"].as_str().unwrap();

    // The refresh token is bound too (public client): another key cannot use it.
    let other = DpopKey::generate();
    let rform = [
        ("grant_type", "refresh_token"),
        ("client_id", DEFAULT_SPA_CLIENT_ID),
        ("refresh_token", rt),
    ];
    let proof = tenant
        .dpop_proof(&other, "POST", &tenant.token_url())
        .build();
    let res = agent
        .send(
            agent
                .http
                .post(tenant.token_url())
                .form(&rform)
                .header("DPoP", proof),
        )
        .await;
    assert_eq!(res.json()["error"], "invalid_dpop_proof", "{}", res.body);
    let proof = tenant.dpop_proof(&key, "POST", &tenant.token_url()).build();
    let res = agent
        .send(
            agent
                .http
                .post(tenant.token_url())
                .form(&rform)
                .header("DPoP", proof),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);

    // /userinfo wants the DPoP scheme and a proof with ath.
    let url = format!("{}/userinfo", tenant.uri());
    let http = tenant.http_client();
    let res = http.get(&url).bearer_auth(at).send().await.unwrap();
    assert_eq!(res.status(), 401);
    let proof = tenant
        .dpop_proof(&key, "GET", &url)
        .access_token(at)
        .build();
    let res = http
        .get(&url)
        .header("authorization", format!("DPoP {at}"))
        .header("DPoP", proof)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let proof = tenant
        .dpop_proof(&other, "GET", &url)
        .access_token(at)
        .build();
    let res = http
        .get(&url)
        .header("authorization", format!("DPoP {at}"))
        .header("DPoP", proof)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn cors_for_allowed_web_origins_and_public_documents() {
    let tenant = MockTenant::start().await;
    let http = tenant.http_client();
    let preflight = |origin: &'static str| {
        http.request(reqwest::Method::OPTIONS, tenant.token_url())
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .send()
    };
    let res = preflight("http://localhost:3000").await.unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(
        res.headers()["access-control-allow-origin"],
        "http://localhost:3000"
    );
    assert!(
        res.headers()["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .contains("DPoP")
    );
    let res = preflight("https://evil.example").await.unwrap();
    assert!(res.headers().get("access-control-allow-origin").is_none());
    let res = http
        .get(tenant.jwks_url())
        .header("origin", "https://any.example")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["access-control-allow-origin"], "*");
}
