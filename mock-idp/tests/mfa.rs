//! MFA with an OTP authenticator over HTTPS: the password grant's `mfa_required`, the
//! `mfa-otp` and `mfa-recovery-code` grants with Auth0's answers, the login page's OTP step, and
//! the attacks (guessing codes, replaying a code or an `mfa_token`, another client's token); the
//! OTP step in headless Chromium.

use mock_idp::MockTenant;
use mock_idp::config::{
    AppType, ApplicationConfig, DATABASE_CONNECTION, GrantType, MfaConfig, TenantConfig, UserConfig,
};
use serde_json::{Value, json};

use crate::silent_auth::Agent;
use crate::support::{fetch_jwks, verify};

pub(crate) const EMAIL: &str = "mfa@example.com";
pub(crate) const PASSWORD: &str = "mfa-pass";
pub(crate) const SECRET: &str = "JBSWY3DPEHPK3PXP";
pub(crate) const RECOVERY: &str = "RECOVERY0000000000000001";
pub(crate) const APP: &str = "mfa-web";
const APP_SECRET: &str = "mfa-web-secret";
const OTHER: &str = "other-web";
const NO_MFA: &str = "no-mfa-grant";
pub(crate) const CALLBACK: &str = "https://app.example/cb";
pub(crate) const OTP: &str = "http://auth0.com/oauth/grant-type/mfa-otp";
pub(crate) const RECOVERY_GRANT: &str = "http://auth0.com/oauth/grant-type/mfa-recovery-code";
/// The middle of a 30 s step, the same for the whole test run: the tests freeze the tenant's
/// clock there, so no step ends during a test, and a test that reads it again after a slow
/// step (a browser under load) gets the same time, not the next step's.
pub(crate) fn t0() -> i64 {
    static T0: std::sync::OnceLock<i64> = std::sync::OnceLock::new();
    *T0.get_or_init(|| {
        let now = mock_idp::Clock::new().now();
        now - now % 30 + 15
    })
}

/// A tenant with an enrolled user, two applications allowed the MFA grants and one not.
pub(crate) fn config() -> TenantConfig {
    let mut c = TenantConfig {
        default_directory: Some(DATABASE_CONNECTION.into()),
        ..TenantConfig::default()
    };
    let grants = vec![
        GrantType::AuthorizationCode,
        GrantType::Password,
        GrantType::MfaOtp,
        GrantType::MfaRecoveryCode,
        GrantType::RefreshToken,
    ];
    for id in [APP, OTHER] {
        c.applications.push(ApplicationConfig {
            client_secret: APP_SECRET.into(),
            grant_types: Some(grants.clone()),
            ..ApplicationConfig::browser(id, AppType::RegularWeb, CALLBACK)
        });
    }
    c.applications.push(ApplicationConfig {
        client_secret: APP_SECRET.into(),
        grant_types: Some(vec![GrantType::Password]),
        ..ApplicationConfig::browser(NO_MFA, AppType::RegularWeb, CALLBACK)
    });
    c.users.push(UserConfig {
        mfa: Some(MfaConfig {
            otp_secret: SECRET.into(),
            recovery_codes: vec![RECOVERY.into()],
            name: None,
            enrolled_at: None,
        }),
        ..UserConfig::new(EMAIL, PASSWORD)
    });
    c
}

async fn tenant() -> MockTenant {
    let t = MockTenant::builder().config(config()).start().await;
    t.clock().freeze_at(t0());
    t
}

pub(crate) async fn post(tenant: &MockTenant, client: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let mut f = vec![("client_id", client), ("client_secret", APP_SECRET)];
    f.extend_from_slice(form);
    let res = tenant
        .http_client()
        .post(tenant.urls().token())
        .form(&f)
        .send()
        .await
        .unwrap();
    (
        res.status().as_u16(),
        res.json().await.unwrap_or(Value::Null),
    )
}

/// The password grant for the enrolled user: returns the `mfa_token`, checking the answer.
pub(crate) async fn mfa_token(tenant: &MockTenant, client: &str) -> String {
    let (status, body) = post(
        tenant,
        client,
        &[
            ("grant_type", "password"),
            ("username", EMAIL),
            ("password", PASSWORD),
            ("scope", "openid offline_access"),
            ("audience", tenant.audience()),
        ],
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"], "mfa_required");
    assert_eq!(
        body["error_description"],
        "Multifactor authentication required"
    );
    assert_eq!(body.as_object().unwrap().len(), 3, "{body}");
    body["mfa_token"].as_str().unwrap().to_owned()
}

fn code(tenant: &MockTenant) -> String {
    tenant.login(EMAIL).current_otp().unwrap()
}

async fn otp(tenant: &MockTenant, client: &str, token: &str, code: &str) -> (u16, Value) {
    post(
        tenant,
        client,
        &[("grant_type", OTP), ("mfa_token", token), ("otp", code)],
    )
    .await
}

fn error(status: u16, error: &str, description: &str) -> (u16, Value) {
    (
        status,
        json!({"error": error, "error_description": description}),
    )
}

#[tokio::test]
async fn the_password_grant_asks_for_mfa_and_the_otp_grant_completes_it() {
    let t = tenant().await;
    let token = mfa_token(&t, APP).await;
    // The code is the one RFC 6238 gives for this secret and time (what any authenticator app
    // shows), and the handle computes the same.
    let expected = MfaConfig {
        otp_secret: SECRET.into(),
        recovery_codes: vec![],
        name: None,
        enrolled_at: None,
    }
    .code_at(t.clock().now())
    .unwrap();
    assert_eq!(code(&t), expected);
    let (status, body) = otp(&t, APP, &token, &expected).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["refresh_token"].is_string(), "{body}");
    let claims = verify(
        body["access_token"].as_str().unwrap(),
        &fetch_jwks(&t).await,
        t.issuer(),
        t.audience(),
    )
    .unwrap();
    let user = t.config().user_by_email(EMAIL).unwrap().id();
    assert_eq!(claims["sub"], user);
    assert_eq!(claims["azp"], APP);
    assert_eq!(claims["gty"], "password");
}

#[tokio::test]
async fn wrong_codes_and_bad_tokens_get_auth0s_answers() {
    let t = tenant().await;
    let token = mfa_token(&t, APP).await;
    assert_eq!(
        otp(&t, APP, &token, "000000").await,
        error(403, "invalid_grant", "Invalid otp_code.")
    );
    assert_eq!(
        otp(&t, APP, "not-a-token", &code(&t)).await,
        error(403, "invalid_grant", "Malformed mfa_token")
    );
    assert_eq!(
        otp(&t, OTHER, &token, &code(&t)).await,
        error(
            400,
            "invalid_request",
            "mfa_token not issued to this client"
        )
    );
    assert_eq!(
        otp(&t, NO_MFA, &token, &code(&t)).await,
        error(
            403,
            "unauthorized_client",
            &format!("Grant type '{OTP}' not allowed for the client.")
        )
    );
    assert_eq!(
        post(&t, APP, &[("grant_type", OTP), ("mfa_token", &token)]).await,
        error(400, "invalid_request", "Missing required parameter: otp")
    );
    // Ten minutes later the token is expired (Auth0: not configurable).
    t.clock().advance(600);
    assert_eq!(
        otp(&t, APP, &token, &code(&t)).await,
        error(401, "expired_token", "mfa_token is expired")
    );
}

#[tokio::test]
async fn an_mfa_token_completes_one_login_only() {
    let t = tenant().await;
    let token = mfa_token(&t, APP).await;
    assert_eq!(otp(&t, APP, &token, &code(&t)).await.0, 200);
    t.clock().advance(30);
    assert_eq!(
        otp(&t, APP, &token, &code(&t)).await,
        error(401, "expired_token", "mfa_token is expired")
    );
}

#[tokio::test]
async fn a_code_is_used_once_within_its_window() {
    let t = tenant().await;
    let used = code(&t);
    assert_eq!(otp(&t, APP, &mfa_token(&t, APP).await, &used).await.0, 200);
    // The attacker who saw it, with a fresh mfa_token of their own (they know the password).
    let token = mfa_token(&t, APP).await;
    assert_eq!(
        otp(&t, APP, &token, &used).await,
        error(403, "invalid_grant", "Invalid otp_code.")
    );
    // The next step's code is the user's next login.
    t.clock().advance(30);
    assert_eq!(otp(&t, APP, &token, &code(&t)).await.0, 200);
}

#[tokio::test]
async fn guessing_codes_empties_the_bucket_of_ten_attempts() {
    let t = tenant().await;
    let token = mfa_token(&t, APP).await;
    for guess in 0..10 {
        let (status, body) = otp(&t, APP, &token, &format!("{guess:06}")).await;
        if status == 200 {
            // 000000..000009 may hold the real code; then the test is moot.
            assert_ne!(format!("{guess:06}"), code(&t), "{body}");
        }
        assert_eq!(status, 403, "{body}");
    }
    // The right code now gets the same refusal as a wrong one: a guesser learns nothing.
    let limited = error(
        429,
        "too_many_attempts",
        "Too many failed attempts. Try again later.",
    );
    assert_eq!(otp(&t, APP, &token, &code(&t)).await, limited);
    // The login page shares the bucket.
    let mut agent = Agent::new(&t);
    let page = otp_page(&mut agent, &t).await;
    let res = agent.send(submit_code(&agent, &t, &page, &code(&t))).await;
    assert_eq!(res.status, 429, "{}", res.body);
    assert!(res.body.contains("data-testid=\"mfa-otp-error\""));
    // One attempt comes back every 6 minutes (the token's 10 minutes run on).
    t.clock().advance(360);
    let token = mfa_token(&t, APP).await;
    assert_eq!(otp(&t, APP, &token, &code(&t)).await.0, 200);
}

#[tokio::test]
async fn a_recovery_code_works_once_and_is_replaced() {
    let t = tenant().await;
    let recover = |token: String, code: String| {
        let t = &t;
        async move {
            post(
                t,
                APP,
                &[
                    ("grant_type", RECOVERY_GRANT),
                    ("mfa_token", &token),
                    ("recovery_code", &code),
                ],
            )
            .await
        }
    };
    let (status, body) = recover(mfa_token(&t, APP).await, RECOVERY.into()).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["access_token"].is_string());
    let fresh = body["recovery_code"].as_str().unwrap().to_owned();
    assert_eq!(fresh.len(), 24);
    assert!(
        fresh
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    );
    assert_eq!(
        recover(mfa_token(&t, APP).await, RECOVERY.into()).await,
        error(403, "invalid_grant", "Invalid recovery_code.")
    );
    assert_eq!(recover(mfa_token(&t, APP).await, fresh).await.0, 200);
}

/// The login page's answer after the password: the OTP step's URL.
async fn otp_page(agent: &mut Agent, t: &MockTenant) -> String {
    let params = [
        ("client_id", APP),
        ("redirect_uri", CALLBACK),
        ("response_type", "code"),
        ("scope", "openid"),
        ("state", "st-1"),
    ];
    let res = agent.submit_login_with(t, &params, EMAIL, PASSWORD).await;
    assert_eq!(res.status, 302, "{}", res.body);
    let location = res.header("location").to_owned();
    assert!(
        location.starts_with("/u/mfa-otp-challenge?state="),
        "{location}"
    );
    assert!(
        !res.headers
            .get_all("set-cookie")
            .iter()
            .any(|c| c.to_str().unwrap().starts_with("auth0="))
    );
    location
}

fn submit_code(agent: &Agent, t: &MockTenant, page: &str, code: &str) -> reqwest::RequestBuilder {
    let tx = page.trim_start_matches("/u/mfa-otp-challenge?state=");
    agent
        .http
        .post(format!("{}/u/mfa-otp-challenge", t.uri()))
        .form(&[("state", tx), ("code", code)])
}

#[tokio::test]
async fn the_login_page_asks_for_the_code_after_the_password() {
    let t = tenant().await;
    let mut agent = Agent::new(&t);
    let page = otp_page(&mut agent, &t).await;
    let form = agent
        .send(agent.http.get(format!("{}{page}", t.uri())))
        .await;
    assert_eq!(form.status, 200);
    for id in ["mfa-otp-form", "mfa-otp-code", "mfa-otp-submit"] {
        assert!(form.body.contains(&format!("data-testid=\"{id}\"")), "{id}");
    }
    // Another browser (no device cookie) cannot answer for this one.
    let stranger = Agent::new(&t);
    let res = stranger
        .http
        .clone()
        .execute(
            submit_code(&stranger, &t, &page, &code(&t))
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let wrong = agent.send(submit_code(&agent, &t, &page, "000000")).await;
    assert_eq!(wrong.status, 400);
    assert!(wrong.body.contains("The code you entered is invalid"));
    let done = agent.send(submit_code(&agent, &t, &page, &code(&t))).await;
    assert_eq!(done.status, 302, "{}", done.body);
    assert!(
        done.header("location")
            .starts_with(&format!("{CALLBACK}?code="))
    );
    assert!(done.header("set-cookie").starts_with("auth0="));
    // The step is spent: the same transaction cannot log in again.
    let again = agent.send(submit_code(&agent, &t, &page, &code(&t))).await;
    assert_eq!(again.status, 400);
}

#[tokio::test]
async fn the_rust_handle_logs_an_enrolled_user_in_through_the_otp_step() {
    let t = tenant().await;
    let tokens = t.login(EMAIL).client(APP).await.unwrap();
    assert!(tokens.id_token.is_some());
    // The code is spent: a second login in the same step fails, the next step's works.
    assert!(t.login(EMAIL).client(APP).await.is_err());
    t.clock().advance(30);
    assert!(t.login(EMAIL).client(APP).await.is_ok());
}

#[tokio::test]
async fn discovery_lists_the_mfa_grants() {
    let t = tenant().await;
    let d: Value = crate::support::json_of(t.http_client().get(t.urls().discovery())).await;
    let grants = d["grant_types_supported"].as_array().unwrap();
    for g in [OTP, RECOVERY_GRANT] {
        assert!(grants.contains(&json!(g)), "{g}");
    }
}

#[test]
fn a_bad_secret_stops_start_up_naming_the_setting() {
    let text = format!(
        "[[apis]]\nidentifier = \"https://a\"\n[[users]]\nemail = \"{EMAIL}\"\npassword = \"p\"\n[users.mfa]\notp_secret = \"JBSW\"\n"
    );
    let e = TenantConfig::parse(&text, "t.toml")
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "t.toml: users[0].mfa.otp_secret: must be base32 (RFC 4648) of at least 10 bytes"
    );
}

#[tokio::test]
async fn the_otp_step_in_chromium() {
    use browser_test::fantoccini::Locator;
    let Some(browser) = browser_test::Browser::launch().await else {
        return;
    };
    let app = local_callback().await;
    let mut c = config();
    c.applications
        .iter_mut()
        .find(|a| a.client_id == APP)
        .unwrap()
        .callbacks
        .push(app.clone());
    let t = MockTenant::builder().config(c).start().await;
    t.clock().freeze_at(t0());
    let b = browser.client();
    let mut url = url::Url::parse(&t.urls().authorize()).unwrap();
    url.query_pairs_mut().extend_pairs([
        ("client_id", APP),
        ("redirect_uri", app.as_str()),
        ("response_type", "code"),
        ("scope", "openid"),
        ("state", "st-browser"),
    ]);
    b.goto(url.as_str()).await.unwrap();
    let fill = |id: &'static str, text: String| async move {
        match b
            .wait()
            .for_element(Locator::Css(&format!("[data-testid={id}]")))
            .await
        {
            Ok(e) => e.send_keys(&text).await.unwrap(),
            Err(e) => panic!(
                "{id}: {e} at {} showing {}",
                b.current_url().await.unwrap(),
                b.source().await.unwrap()
            ),
        }
    };
    fill("login-email", EMAIL.into()).await;
    fill("login-password", PASSWORD.into()).await;
    b.find(Locator::Css("[data-testid=login-submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    fill("mfa-otp-code", "123".into()).await;
    b.find(Locator::Css("[data-testid=mfa-otp-submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let err = b
        .wait()
        .for_element(Locator::Css("[data-testid=mfa-otp-error]"))
        .await
        .unwrap();
    assert_eq!(err.text().await.unwrap(), "The code you entered is invalid");
    fill("mfa-otp-code", code(&t)).await;
    b.find(Locator::Css("[data-testid=mfa-otp-submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.wait().for_element(Locator::Css("#back")).await.unwrap();
    let landed = b.current_url().await.unwrap();
    assert!(
        landed.as_str().starts_with(&format!("{app}?code=")),
        "{landed}"
    );
    assert!(landed.as_str().ends_with("state=st-browser"), "{landed}");
    browser.close().await;
}

/// An application's callback on 127.0.0.1 (a page the browser can land on); its URL.
pub(crate) async fn local_callback() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let app = axum::Router::new().route(
        "/cb",
        axum::routing::get(|| async {
            axum::response::Html("<title>app</title><p id=\"back\">back in the app</p>")
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://127.0.0.1:{port}/cb")
}

/// The README's M- and V- rows: all present, in order, and every test a row names exists.
#[test]
fn readme_lists_the_m_and_v_rows() {
    let readme = include_str!("../README.md");
    let sources = [
        include_str!("mfa.rs"),
        include_str!("mfa_api.rs"),
        include_str!("mfa_policy.rs"),
        include_str!("mfa_policy/login_page.rs"),
        include_str!("device_code.rs"),
    ];
    let rows: Vec<&str> = readme
        .lines()
        .filter(|l| l.starts_with("| M-") || l.starts_with("| V-"))
        .collect();
    let ids: Vec<&str> = rows.iter().map(|l| &l[2..6]).collect();
    let expected: Vec<String> = (1..=21)
        .map(|i| format!("M-{i:02}"))
        .chain((1..=11).map(|i| format!("V-{i:02}")))
        .collect();
    assert_eq!(ids, expected);
    for row in rows {
        // The tests are the last parenthesis of the row.
        let ours = &row[row.rfind("(`").unwrap_or_else(|| panic!("{row}"))..];
        let named: Vec<&str> = ours
            .split('`')
            .skip(1)
            .step_by(2)
            .filter(|n| {
                n.contains('_')
                    && n.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            })
            .collect();
        assert!(!named.is_empty(), "{row}");
        for name in named {
            assert!(
                sources.iter().any(|s| s.contains(&format!("fn {name}("))),
                "{name} in {row}"
            );
        }
    }
}
