//! The security review's attacks on the tenant, each played over HTTPS by an attacker who
//! holds only what the review's attacker held (the printed default user, the public SPA
//! client, a narrowly scoped Management API client), with the exact refusal expected.

use mock_idp::config::{
    DEFAULT_CALLBACK, DEFAULT_SPA_CLIENT_ID, DEFAULT_USER_EMAIL, DEFAULT_USER_PASSWORD,
    MANAGEMENT_API,
};
use mock_idp::{MockTenant, config::ApplicationConfig, config::TenantConfig};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::control::call_as as control;
use crate::support::post_token;

const SECRET: &str = "attack-admin-secret-0123456789";
/// RFC 7636 appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
/// The scopes the review's attacker asked for.
const CONTROL_SCOPES: &str = "update:mock_tenant read:mock_tenant create:mock_tokens";

/// The refusal of a valid token that did not come from client_credentials.
fn not_client_credentials() -> Value {
    json!({
        "statusCode": 403,
        "error": "Forbidden",
        "message": "Management API tokens come from client_credentials only",
        "errorCode": "access_denied",
    })
}

/// The default tenant (its printed user, its public SPA client) with the control API on and
/// `ops-client` granted only `create:mock_tokens` and `read:mock_tenant`.
fn builder() -> mock_idp::TenantBuilder {
    let mut config = TenantConfig::default();
    let mut ops = ApplicationConfig::machine("ops-client", "ops-secret");
    ops.grants.insert(
        MANAGEMENT_API.into(),
        vec!["create:mock_tokens".into(), "read:mock_tenant".into()],
    );
    config.applications.push(ops);
    MockTenant::builder().config(config).admin_secret(SECRET)
}

/// A client that trusts the tenant's CA and shows every redirect.
fn browser(t: &MockTenant) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .tls_certs_only([reqwest::Certificate::from_der(&t.ca().der()).unwrap()])
        .build()
        .unwrap()
}

/// The claims of a compact JWT, unverified (the test holds the token it was just given).
fn payload_of(jwt: &str) -> Value {
    use base64::Engine as _;
    let payload = jwt.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// `/authorize` for the public SPA client asking for the Management API and `scope`.
fn authorize_url(t: &MockTenant, scope: &str) -> String {
    let mut u = url::Url::parse(&format!("{}/authorize", t.uri())).unwrap();
    u.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", DEFAULT_SPA_CLIENT_ID)
        .append_pair("redirect_uri", DEFAULT_CALLBACK)
        .append_pair("scope", scope)
        .append_pair("audience", &t.control().audience())
        .append_pair("code_challenge", CHALLENGE)
        .append_pair("code_challenge_method", "S256");
    u.into()
}

fn location(res: &reqwest::Response) -> String {
    res.headers()["location"].to_str().unwrap().to_owned()
}

fn set_cookie(res: &reqwest::Response, name: &str) -> String {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next()?.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
        .unwrap()
}

/// The `code` in a callback URL.
fn code_of(callback: &str) -> String {
    url::Url::parse(callback)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| panic!("no code in {callback}"))
}

/// Redeems `code` for the SPA client; the token endpoint's answer.
async fn redeem(t: &MockTenant, code: &str) -> Value {
    let (status, body) = post_token(
        t,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", DEFAULT_SPA_CLIENT_ID),
            ("code", code),
            ("redirect_uri", DEFAULT_CALLBACK),
            ("code_verifier", VERIFIER),
        ],
        &[],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

/// The review's H1 step by step: the printed user logs in through the public SPA client for
/// the Management API with the control scopes, redeems the code, and tries the control API.
#[tokio::test]
async fn a_user_login_for_the_management_api_gets_no_control_scope() {
    let t = builder().start().await;
    let http = browser(&t);
    let res = http
        .get(authorize_url(&t, &format!("openid {CONTROL_SCOPES}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302);
    let device = set_cookie(&res, "did");
    let tx = location(&res)
        .trim_start_matches("/u/login?state=")
        .to_owned();
    let res = http
        .post(format!("{}/u/login", t.uri()))
        .header("cookie", format!("did={device}"))
        .form(&[
            ("state", tx.as_str()),
            ("username", DEFAULT_USER_EMAIL),
            ("password", DEFAULT_USER_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302);
    let body = redeem(&t, &code_of(&location(&res))).await;
    // As on Auth0: a user's token for /api/v2/ carries none of the operator's scopes.
    assert_eq!(body["scope"], "openid");
    let at = body["access_token"].as_str().unwrap();
    for (method, path, body) in [
        (Method::GET, "/control/journal", None),
        (
            Method::POST,
            "/control/tokens",
            Some(json!({"scope": "admin:write"})),
        ),
        (Method::POST, "/control/reset", None),
        (Method::GET, "/api/v2/keys/signing", None),
    ] {
        let got = control(&t, at, method, path, body).await;
        assert_eq!(
            got,
            (StatusCode::FORBIDDEN, not_client_credentials()),
            "{path}"
        );
    }
}

/// With `--auto-login`, no password is needed; the token still carries no control scope and
/// opens nothing.
#[tokio::test]
async fn auto_login_gets_no_control_scope() {
    let t = builder().auto_login(DEFAULT_USER_EMAIL).start().await;
    let res = browser(&t)
        .get(authorize_url(&t, CONTROL_SCOPES))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302);
    let body = redeem(&t, &code_of(&location(&res))).await;
    assert_eq!(body["scope"], "", "{body}");
    let at = body["access_token"].as_str().unwrap();
    let got = control(&t, at, Method::POST, "/control/reset", None).await;
    assert_eq!(got, (StatusCode::FORBIDDEN, not_client_credentials()));
}

/// A refresh token may narrow what the login granted, never add the operator's scopes.
#[tokio::test]
async fn a_refresh_cannot_add_control_scopes() {
    let t = builder().start().await;
    let tokens = t
        .login(DEFAULT_USER_EMAIL)
        .client(DEFAULT_SPA_CLIENT_ID)
        .await
        .unwrap();
    let rt = tokens.refresh_token.unwrap();
    let (status, body) = post_token(
        &t,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", DEFAULT_SPA_CLIENT_ID),
            ("refresh_token", &rt),
            ("scope", "openid read:mock_tenant"),
        ],
        &[],
    )
    .await;
    assert_eq!(
        (status, body),
        (
            403,
            json!({"error": "access_denied", "error_description": "Client has not been granted scopes: read:mock_tenant"})
        )
    );
}

/// Custom Token Exchange by a public client, and On-Behalf-Of by a confidential one, for the
/// Management API: no control scope either way.
#[tokio::test]
async fn token_exchange_never_yields_control_scopes() {
    let text = format!(
        "{}\n[[applications]]\nclient_id = \"ops-client\"\nclient_secret = \"ops-secret\"\n[applications.grants]\n\"{MANAGEMENT_API}\" = [\"read:mock_tenant\"]\n",
        include_str!("../../fixtures/tenant.exchange.toml")
    );
    let config = TenantConfig::parse(&text, "tenant.exchange.toml").unwrap();
    let t = MockTenant::builder()
        .config(config)
        .admin_secret(SECRET)
        .start()
        .await;
    let subject = t.token().sub("auth0|alice").scope("read:messages").build();
    let audience = t.control().audience();
    let (status, body) = post_token(
        &t,
        &[
            (
                "grant_type",
                "urn:ietf:params:oauth:grant-type:token-exchange",
            ),
            ("client_id", "spa-client"),
            ("subject_token", &subject),
            ("subject_token_type", "urn:mock-idp:tenant-access-token"),
            ("audience", &audience),
            ("scope", CONTROL_SCOPES),
        ],
        &[],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body.get("scope"), None, "{body}");
    let at = body["access_token"].as_str().unwrap();
    for (method, path) in [
        (Method::GET, "/control/journal"),
        (Method::POST, "/control/clock"),
    ] {
        let got = control(&t, at, method, path, Some(json!({"advance": 1}))).await;
        assert_eq!(
            got,
            (StatusCode::FORBIDDEN, not_client_credentials()),
            "{path}"
        );
    }

    // On-Behalf-Of for the Management API by the quickstart API's client: refused outright.
    let (status, body) = post_token(
        &t,
        &[
            (
                "grant_type",
                "urn:ietf:params:oauth:grant-type:token-exchange",
            ),
            ("client_id", "flask-api-client"),
            ("client_secret", "flask-api-secret"),
            ("subject_token", &subject),
            (
                "subject_token_type",
                "urn:ietf:params:oauth:token-type:access_token",
            ),
            (
                "requested_token_type",
                "urn:ietf:params:oauth:token-type:access_token",
            ),
            ("audience", &audience),
        ],
        &[],
    )
    .await;
    assert_eq!(
        (status, body),
        (
            403,
            json!({"error": "access_denied", "error_description": "Management API tokens are issued through client_credentials only"})
        )
    );
}

/// A token signed by the tenant's key that claims every control scope but did not come from
/// client_credentials of a granted application is refused; so is one naming an application
/// without the grant.
#[tokio::test]
async fn control_scopes_without_the_client_grant_behind_them_are_refused() {
    let t = builder().start().await;
    let user_shaped = t
        .token()
        .audience(&t.control().audience())
        .sub("auth0|attacker")
        .remove_claim("gty")
        .scope(CONTROL_SCOPES)
        .build();
    let got = control(&t, &user_shaped, Method::GET, "/control/journal", None).await;
    assert_eq!(got, (StatusCode::FORBIDDEN, not_client_credentials()));
    // The default test client has client_credentials but no Management API grant.
    let ungranted = t
        .token()
        .audience(&t.control().audience())
        .scope(CONTROL_SCOPES)
        .build();
    let got = control(&t, &ungranted, Method::GET, "/control/journal", None).await;
    assert_eq!(
        got,
        (
            StatusCode::FORBIDDEN,
            json!({"statusCode": 403, "error": "Forbidden", "message": "Insufficient scope, expected any of: read:mock_tenant", "errorCode": "insufficient_scope"})
        )
    );
}

/// `POST /control/tokens` by a client holding `create:mock_tokens`: no Management API token
/// with more scope, no token that outlives the caller's; within both, it mints.
#[tokio::test]
async fn minting_cannot_escalate_scope_or_lifetime() {
    let t = builder().start().await;
    let (status, body) = post_token(
        &t,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "ops-client"),
            ("client_secret", "ops-secret"),
            ("audience", &t.control().audience()),
        ],
        &[],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let ops = body["access_token"].as_str().unwrap().to_owned();
    // Read from the token itself: the clock may tick between its issue and this line.
    let caller_exp = payload_of(&ops)["exp"].as_i64().unwrap();

    // Every control scope, for the Management API: refused.
    let all = "read:signing_keys create:signing_keys update:signing_keys read:mock_tenant update:mock_tenant create:mock_tokens";
    let spec = json!({"audience": t.control().audience(), "scope": all, "expires_in": 60});
    let got = control(&t, &ops, Method::POST, "/control/tokens", Some(spec)).await;
    assert_eq!(
        got,
        (
            StatusCode::FORBIDDEN,
            json!({"statusCode": 403, "error": "Forbidden", "message": "A minted Management API token may not carry scopes the caller lacks: read:signing_keys create:signing_keys update:signing_keys update:mock_tenant", "errorCode": "access_denied"})
        )
    );
    // Ten years, for any API: refused.
    let spec = json!({"scope": "read:messages", "expires_in": 315_360_000});
    let got = control(&t, &ops, Method::POST, "/control/tokens", Some(spec)).await;
    assert_eq!(
        got,
        (
            StatusCode::FORBIDDEN,
            json!({"statusCode": 403, "error": "Forbidden", "message": format!("A minted token may not outlive the caller's token (exp {caller_exp})"), "errorCode": "access_denied"})
        )
    );
    // A test token within both bounds: minted.
    let spec = json!({"scope": "read:messages", "expires_in": 600});
    let (s, body) = control(&t, &ops, Method::POST, "/control/tokens", Some(spec)).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["claims"]["scope"], "read:messages");
    // The operator (admin secret) may mint anything.
    let spec = json!({"audience": t.control().audience(), "scope": all, "expires_in": 315_360_000});
    let (s, _) = control(&t, SECRET, Method::POST, "/control/tokens", Some(spec)).await;
    assert_eq!(s, 200);
}

/// The Resource Owner Password grant (added after the review) by a public application that
/// allows it, with the printed user's password, for the Management API and the control
/// scopes: a token with none of them, which opens nothing.
#[tokio::test]
async fn the_password_grant_gets_no_control_scope() {
    let mut config = TenantConfig {
        default_directory: Some(mock_idp::config::DATABASE_CONNECTION.into()),
        ..TenantConfig::default()
    };
    config.applications.push(ApplicationConfig {
        grant_types: Some(vec![mock_idp::config::GrantType::Password]),
        ..ApplicationConfig::browser(
            "ropg-native",
            mock_idp::config::AppType::Native,
            "https://app.example/cb",
        )
    });
    let t = MockTenant::builder()
        .config(config)
        .admin_secret(SECRET)
        .start()
        .await;
    let audience = t.control().audience();
    let (status, body) = post_token(
        &t,
        &[
            ("grant_type", "password"),
            ("client_id", "ropg-native"),
            ("username", DEFAULT_USER_EMAIL),
            ("password", DEFAULT_USER_PASSWORD),
            ("audience", &audience),
            ("scope", &format!("openid {CONTROL_SCOPES}")),
        ],
        &[],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scope"], "openid", "{body}");
    let at = body["access_token"].as_str().unwrap();
    assert_eq!(payload_of(at)["gty"], "password");
    for (method, path) in [
        (Method::GET, "/control/journal"),
        (Method::POST, "/control/reset"),
    ] {
        let got = control(&t, at, method, path, None).await;
        assert_eq!(
            got,
            (StatusCode::FORBIDDEN, not_client_credentials()),
            "{path}"
        );
    }
}

mod blocked;
mod floods;
mod secrets;
