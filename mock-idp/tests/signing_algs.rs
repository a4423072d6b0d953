//! Per-API signing algorithms (RS256, RS512, PS256, HS256 with the API's `signing_secret`) and
//! per-application ID token algorithms (`jwt_configuration.alg`), over HTTPS: every token is
//! checked with jsonwebtoken, the JWKS never carries a secret, bad settings stop the load with
//! one line, and forged HS256 tokens get nothing from the tenant.

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode};
use mock_idp::config::{
    ApiConfig, AppType, ApplicationConfig, DEFAULT_SPA_CLIENT_ID, DEFAULT_USER_EMAIL, GrantType,
    IdTokenAlg, JwtConfiguration, TenantConfig,
};
use mock_idp::{MockTenant, Signing};
use serde_json::Value;

use crate::support::{fetch_jwks, json_of, parts, post_token};

const RS512_API: &str = "https://rs512.example";
const PS256_API: &str = "https://ps256.example";
const HS256_API: &str = "https://hs256.example";
const API_SECRET: &str = "an-api-secret-of-32-characters!!";
const M2M: &str = "algs-m2m";
const M2M_SECRET: &str = "algs-m2m-secret";
const WEB: &str = "algs-web";
const WEB_SECRET: &str = "algs-web-secret-for-hs256-id-tokens";

fn api(identifier: &str, alg: &str) -> ApiConfig {
    ApiConfig {
        signing_alg: alg.into(),
        signing_secret: (alg == "HS256").then(|| API_SECRET.into()),
        permissions: vec!["read:x".into()],
        allow_offline_access: true,
        ..ApiConfig::new(identifier)
    }
}

/// The quickstart tenant plus an RS512, a PS256 and an HS256 API, a machine application
/// granted all three, and a confidential web application whose ID tokens are HS256.
fn config() -> TenantConfig {
    let mut c = TenantConfig::default();
    c.apis.push(api(RS512_API, "RS512"));
    c.apis.push(api(PS256_API, "PS256"));
    c.apis.push(api(HS256_API, "HS256"));
    c.applications.push(ApplicationConfig {
        grants: [RS512_API, PS256_API, HS256_API]
            .map(|a| (a.to_owned(), vec!["read:x".to_owned()]))
            .into(),
        ..ApplicationConfig::machine(M2M, M2M_SECRET)
    });
    c.applications.push(ApplicationConfig {
        client_secret: WEB_SECRET.into(),
        grant_types: Some(vec![GrantType::AuthorizationCode, GrantType::RefreshToken]),
        jwt_configuration: Some(JwtConfiguration {
            alg: IdTokenAlg::HS256,
        }),
        ..ApplicationConfig::browser(WEB, AppType::RegularWeb, "https://app.example/cb")
    });
    c
}

/// `https://host:port` of the tenant.
fn base(tenant: &MockTenant) -> String {
    tenant.issuer().trim_end_matches('/').to_owned()
}

async fn tenant() -> MockTenant {
    MockTenant::builder().config(config()).start().await
}

async fn client_credentials(tenant: &MockTenant, audience: &str) -> String {
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", M2M),
        ("client_secret", M2M_SECRET),
        ("audience", audience),
    ];
    let (status, body) = post_token(tenant, &form, &[]).await;
    assert_eq!(status, 200, "{body}");
    body["access_token"].as_str().unwrap().to_owned()
}

/// Verifies `token` with jsonwebtoken: `alg` only, the tenant's issuer, `audience`; the key
/// from the JWKS by `kid` (RSA) or the secret (HS256).
fn verify(
    token: &str,
    alg: Algorithm,
    jwks: &JwkSet,
    secret: &[u8],
    issuer: &str,
    audience: &str,
) -> Result<Value, jsonwebtoken::errors::Error> {
    let key = match alg {
        Algorithm::HS256 => DecodingKey::from_secret(secret),
        _ => {
            let kid = jsonwebtoken::decode_header(token)?.kid.unwrap_or_default();
            let jwk = jwks.find(&kid).ok_or_else(|| {
                jsonwebtoken::errors::Error::from(jsonwebtoken::errors::ErrorKind::InvalidKeyFormat)
            })?;
            DecodingKey::from_jwk(jwk)?
        }
    };
    let mut v = Validation::new(alg);
    v.set_issuer(&[issuer]);
    v.set_audience(&[audience]);
    Ok(decode::<Value>(token, &key, &v)?.claims)
}

#[tokio::test]
async fn each_api_signs_its_client_credentials_tokens_with_its_algorithm() {
    let tenant = tenant().await;
    let jwks = fetch_jwks(&tenant).await;
    let iss = tenant.issuer();
    for (aud, alg) in [
        (RS512_API, Algorithm::RS512),
        (PS256_API, Algorithm::PS256),
        (HS256_API, Algorithm::HS256),
    ] {
        let token = client_credentials(&tenant, aud).await;
        let (header, _) = parts(&token);
        assert_eq!(header["alg"], format!("{alg:?}"), "{aud}");
        // An HS256 token names no key: the secret is the API's, not in the JWKS.
        assert_eq!(
            header.get("kid").is_some(),
            alg != Algorithm::HS256,
            "{aud}"
        );
        let claims = verify(&token, alg, &jwks, API_SECRET.as_bytes(), iss, aud).unwrap();
        assert_eq!(claims["sub"], format!("{M2M}@clients"));
        // Checked as RS256 (or, for HS256, under another secret) it does not verify.
        assert!(verify(&token, Algorithm::RS256, &jwks, b"", iss, aud).is_err());
        if alg == Algorithm::HS256 {
            let other = b"another-secret-of-32-characters!";
            assert!(verify(&token, alg, &jwks, other, iss, aud).is_err());
        }
    }
    // The default API still signs RS256.
    let token = tenant.token().build();
    assert_eq!(parts(&token).0["alg"], "RS256");
}

#[tokio::test]
async fn the_jwks_publishes_rsa_keys_only_and_names_no_alg_when_apis_mix_rsa_algorithms() {
    let tenant = tenant().await;
    let raw: Value = json_of(tenant.http_client().get(tenant.urls().jwks())).await;
    let keys = raw["keys"].as_array().unwrap();
    assert!(!keys.is_empty());
    for k in keys {
        assert_eq!(k["kty"], "RSA", "{k}");
        assert!(k.get("k").is_none() && k.get("alg").is_none(), "{k}");
        assert!(!k.to_string().contains(API_SECRET));
    }
    // A tenant whose RSA APIs all sign RS256 names it, as Auth0's JWKS does.
    let plain = MockTenant::start().await;
    let raw: Value = json_of(plain.http_client().get(plain.urls().jwks())).await;
    assert!(
        raw["keys"]
            .as_array()
            .unwrap()
            .iter()
            .all(|k| k["alg"] == "RS256")
    );
}

#[tokio::test]
async fn user_grants_sign_for_the_api_and_id_tokens_follow_the_application() {
    let tenant = tenant().await;
    let jwks = fetch_jwks(&tenant).await;
    let iss = tenant.issuer();
    // The HS256 web application logs in to the HS256 API.
    let tokens = tenant
        .login(DEFAULT_USER_EMAIL)
        .client(WEB)
        .audience(Some(HS256_API))
        .scope("openid profile offline_access read:x")
        .await
        .unwrap();
    let claims = verify(
        &tokens.access_token,
        Algorithm::HS256,
        &jwks,
        API_SECRET.as_bytes(),
        iss,
        HS256_API,
    )
    .unwrap();
    assert_eq!(claims["scope"], "openid profile offline_access read:x");
    let id = tokens.id_token.clone().unwrap();
    assert_eq!(
        parts(&id).0,
        serde_json::json!({"alg": "HS256", "typ": "JWT"})
    );
    verify(
        &id,
        Algorithm::HS256,
        &jwks,
        WEB_SECRET.as_bytes(),
        iss,
        WEB,
    )
    .unwrap();
    assert!(
        verify(
            &id,
            Algorithm::HS256,
            &jwks,
            API_SECRET.as_bytes(),
            iss,
            WEB
        )
        .is_err()
    );

    // The refresh grant mints the same way.
    let form = [
        ("grant_type", "refresh_token"),
        ("client_id", WEB),
        ("client_secret", WEB_SECRET),
        ("refresh_token", tokens.refresh_token.as_deref().unwrap()),
    ];
    let (status, body) = post_token(&tenant, &form, &[]).await;
    assert_eq!(status, 200, "{body}");
    let at = body["access_token"].as_str().unwrap();
    verify(
        at,
        Algorithm::HS256,
        &jwks,
        API_SECRET.as_bytes(),
        iss,
        HS256_API,
    )
    .unwrap();
    let id = body["id_token"].as_str().unwrap();
    verify(id, Algorithm::HS256, &jwks, WEB_SECRET.as_bytes(), iss, WEB).unwrap();

    // /userinfo takes the HS256 access token.
    let res = tenant
        .http_client()
        .get(format!("{}/userinfo", base(&tenant)))
        .bearer_auth(&tokens.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    // The default (RS256) application keeps RS256 ID tokens, for an RS512 API too.
    let tokens = tenant
        .login(DEFAULT_USER_EMAIL)
        .client(DEFAULT_SPA_CLIENT_ID)
        .audience(Some(RS512_API))
        .scope("openid read:x")
        .await
        .unwrap();
    verify(
        &tokens.access_token,
        Algorithm::RS512,
        &jwks,
        b"",
        iss,
        RS512_API,
    )
    .unwrap();
    verify(
        tokens.id_token.as_deref().unwrap(),
        Algorithm::RS256,
        &jwks,
        b"",
        iss,
        DEFAULT_SPA_CLIENT_ID,
    )
    .unwrap();
}

#[tokio::test]
async fn discovery_lists_hs256_id_tokens_only_when_an_application_uses_them() {
    async fn algs(t: &MockTenant) -> Value {
        let d: Value = json_of(t.http_client().get(t.urls().discovery())).await;
        d["id_token_signing_alg_values_supported"].clone()
    }
    assert_eq!(
        algs(&tenant().await).await,
        serde_json::json!(["HS256", "RS256"])
    );
    let plain = MockTenant::start().await;
    assert_eq!(algs(&plain).await, serde_json::json!(["RS256"]));
}

#[test]
fn bad_signing_settings_stop_the_load_with_one_line_naming_the_setting() {
    let load = |api: &str, app: &str| {
        let text = format!(
            "[[apis]]\nidentifier = \"https://a\"\n{api}\n[[applications]]\nclient_id = \"c\"\n{app}\n"
        );
        TenantConfig::parse(&text, "t.toml")
            .unwrap_err()
            .to_string()
    };
    let secret = "client_secret = \"s\"";
    assert_eq!(
        load("signing_alg = \"RS384\"", secret),
        "t.toml: apis[0].signing_alg: unsupported `RS384` (Auth0 offers RS256, RS512, PS256, HS256)"
    );
    assert_eq!(
        load("signing_alg = \"HS512\"", secret),
        "t.toml: apis[0].signing_alg: unsupported `HS512` (Auth0 offers RS256, RS512, PS256, HS256)"
    );
    assert_eq!(
        load("signing_alg = \"HS256\"", secret),
        "t.toml: apis[0].signing_secret: HS256 signs with the API's signing secret: set one"
    );
    assert_eq!(
        load(
            "signing_alg = \"HS256\"\nsigning_secret = \"fifteen-chars!!\"",
            secret
        ),
        "t.toml: apis[0].signing_secret: shorter than Auth0's minimum of 16 characters"
    );
    let ok = "signing_alg = \"HS256\"\nsigning_secret = \"sixteen-chars!!!\"";
    assert!(
        TenantConfig::parse(
            &format!("[[apis]]\nidentifier = \"https://a\"\n{ok}\n"),
            "t.toml"
        )
        .is_ok()
    );
    let spa = "app_type = \"spa\"\ncallbacks = [\"https://a/cb\"]\njwt_configuration = { alg = \"HS256\" }";
    assert_eq!(
        load("", spa),
        "t.toml: applications[0].jwt_configuration.alg: HS256 signs ID tokens with the client secret, and this application has none"
    );
    let e = load(
        "",
        &format!("{secret}\njwt_configuration = {{ alg = \"PS256\" }}"),
    );
    assert_eq!(
        e,
        "t.toml: line 7 column 29 (`\"PS256\"`): unknown variant `PS256`, expected `RS256` or `HS256`"
    );
}

/// An attacker holding an HS256 API's token or an HS256 ID token but not the secret: forged
/// HS256 tokens (the RSA public key, an empty or guessed secret) get nothing.
#[tokio::test]
async fn forged_hs256_tokens_are_refused_at_userinfo_and_logout() {
    let tenant = tenant().await;
    let pem = tenant.keys().current().public_key_pem();
    for secret in [pem.as_bytes(), b"", b"secret", &API_SECRET.as_bytes()[..16]] {
        let forged = tenant
            .token()
            .audience(HS256_API)
            .sub("auth0|someone")
            .remove_header("kid")
            .signed_with(Signing::Hmac(secret.to_vec()))
            .build();
        let res = tenant
            .http_client()
            .get(format!("{}/userinfo", base(&tenant)))
            .bearer_auth(&forged)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401);
        assert_eq!(
            res.headers()["www-authenticate"],
            "Bearer realm=\"Users\", error=\"invalid_token\", error_description=\"The token signature is invalid\""
        );
        // An ID token "for" the HS256 web application, as an id_token_hint.
        let hint = tenant
            .token()
            .audience(WEB)
            .remove_header("kid")
            .signed_with(Signing::Hmac(secret.to_vec()))
            .build();
        let res = tenant
            .http_client()
            .get(format!(
                "{}/oidc/logout?id_token_hint={hint}",
                base(&tenant)
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400);
        assert!(res.text().await.unwrap().contains("Invalid id_token_hint"));
    }
}

#[test]
fn readme_lists_the_s_rows() {
    let readme = include_str!("../README.md");
    let listed: Vec<&str> = readme
        .lines()
        .filter_map(|l| l.strip_prefix("| "))
        .filter_map(|l| l.split(' ').next())
        .filter(|id| id.len() == 4 && id.starts_with("S-"))
        .collect();
    assert_eq!(
        listed,
        [
            "S-01", "S-02", "S-03", "S-04", "S-05", "S-06", "S-07", "S-08"
        ]
    );
}

const ADMIN: &str = "algs-admin-secret-0123456789";

/// A Management API call with the admin secret: status and JSON body.
async fn mgmt(
    t: &MockTenant,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (reqwest::StatusCode, Value) {
    crate::control::call_as(t, ADMIN, method, path, body).await
}

/// The Management API shows and takes an API's `signing_secret` and an application's
/// `jwt_configuration.alg`, as Auth0's does; the load-time rules hold there too.
#[tokio::test]
async fn the_management_api_shows_and_sets_signing_secrets_and_id_token_algs() {
    let t = MockTenant::builder()
        .config(config())
        .admin_secret(ADMIN)
        .start()
        .await;

    // Shown on the HS256 API, absent where none is configured.
    let (s, api) = mgmt(
        &t,
        reqwest::Method::GET,
        "/api/v2/resource-servers/https:%2F%2Fhs256.example",
        None,
    )
    .await;
    assert_eq!(s, 200, "{api}");
    assert_eq!(
        (&api["signing_alg"], &api["signing_secret"]),
        (&serde_json::json!("HS256"), &serde_json::json!(API_SECRET))
    );
    // Created without a secret, an HS256 API gets one, and its tokens are MACed with it.
    let (s, api) = mgmt(
        &t,
        reqwest::Method::POST,
        "/api/v2/resource-servers",
        Some(serde_json::json!({"identifier": "https://new-hs.example", "signing_alg": "HS256"})),
    )
    .await;
    assert_eq!(s, 201, "{api}");
    let secret = api["signing_secret"].as_str().unwrap().to_owned();
    assert!(secret.len() >= 16, "{secret}");
    let token = t
        .token()
        .audience("https://new-hs.example")
        .remove_header("kid")
        .signed_with(Signing::Hmac(secret.clone().into_bytes()))
        .build();
    let res = t
        .http_client()
        .get(format!("{}/userinfo", base(&t)))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    // The signature is accepted: the refusal is about the scope, checked after it.
    assert_eq!(res.status(), 403);
    let challenge = res.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(challenge.contains("insufficient_scope"), "{challenge}");
    // A secret shorter than Auth0 allows, and an unknown algorithm, are refused.
    for body in [
        serde_json::json!({"signing_secret": "short"}),
        serde_json::json!({"signing_alg": "HS512"}),
    ] {
        let (s, e) = mgmt(
            &t,
            reqwest::Method::PATCH,
            "/api/v2/resource-servers/https:%2F%2Fhs256.example",
            Some(body),
        )
        .await;
        assert_eq!(s, 400, "{e}");
    }
    // The application's ID token algorithm, shown and set.
    let (s, app) = mgmt(
        &t,
        reqwest::Method::GET,
        &format!("/api/v2/clients/{WEB}"),
        None,
    )
    .await;
    assert_eq!(s, 200, "{app}");
    assert_eq!(app["jwt_configuration"]["alg"], "HS256");
    let (s, app) = mgmt(
        &t,
        reqwest::Method::PATCH,
        &format!("/api/v2/clients/{WEB}"),
        Some(serde_json::json!({"jwt_configuration": {"alg": "RS256"}})),
    )
    .await;
    assert_eq!(s, 200, "{app}");
    assert_eq!(app["jwt_configuration"]["alg"], "RS256");
    let (s, e) = mgmt(
        &t,
        reqwest::Method::PATCH,
        &format!("/api/v2/clients/{WEB}"),
        Some(serde_json::json!({"jwt_configuration": {"alg": "none"}})),
    )
    .await;
    assert_eq!(s, 400, "{e}");
}
