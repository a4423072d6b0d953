//! Device Authorization (RFC 8628) over HTTPS: `POST /oauth/device/code`, the polling answers
//! (`authorization_pending`, `slow_down`, `expired_token`, `access_denied`, then tokens), the
//! `/activate` page (log in, OTP step, code, confirm or cancel), the attacks (another client's
//! device code, guessing user codes, a cross-site confirm), and the page in headless Chromium.

use mock_idp::MockTenant;
use mock_idp::config::{
    AppType, ApplicationConfig, DEFAULT_SPA_CLIENT_ID, DEFAULT_USER_EMAIL, DEFAULT_USER_PASSWORD,
    GrantType, TenantConfig,
};
use serde_json::{Value, json};

use crate::silent_auth::{Agent, Reply};
use crate::support::{fetch_jwks, verify};

const CLI: &str = "device-cli";
const OTHER: &str = "other-cli";
const GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

fn config() -> TenantConfig {
    let mut c = crate::mfa::config();
    for id in [CLI, OTHER] {
        c.applications.push(ApplicationConfig {
            name: Some(format!("{id} app")),
            grant_types: Some(vec![GrantType::DeviceCode, GrantType::RefreshToken]),
            ..ApplicationConfig::browser(id, AppType::Native, "https://unused.example/cb")
        });
    }
    c
}

async fn tenant() -> MockTenant {
    let t = MockTenant::builder().config(config()).start().await;
    t.clock().freeze_at(crate::mfa::t0());
    t
}

async fn form(t: &MockTenant, path: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let res = t
        .http_client()
        .post(format!("{}{path}", t.uri()))
        .form(form)
        .send()
        .await
        .unwrap();
    (
        res.status().as_u16(),
        res.json().await.unwrap_or(Value::Null),
    )
}

/// Starts a device authorization for `client`; returns the response.
async fn start(t: &MockTenant, client: &str) -> Value {
    let (status, body) = form(
        t,
        "/oauth/device/code",
        &[
            ("client_id", client),
            ("scope", "openid profile offline_access read:messages"),
            ("audience", t.audience()),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn poll(t: &MockTenant, client: &str, device_code: &str) -> (u16, Value) {
    form(
        t,
        "/oauth/token",
        &[
            ("grant_type", GRANT),
            ("client_id", client),
            ("device_code", device_code),
        ],
    )
    .await
}

fn error(status: u16, error: &str, description: &str) -> (u16, Value) {
    (
        status,
        json!({"error": error, "error_description": description}),
    )
}

fn pending() -> (u16, Value) {
    error(
        403,
        "authorization_pending",
        "User has yet to authorize device code.",
    )
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap()
}

/// POSTs the `/activate` form as `agent`.
async fn activate(agent: &mut Agent, t: &MockTenant, fields: &[(&str, &str)]) -> Reply {
    let req = agent
        .http
        .post(format!("{}/activate", t.uri()))
        .form(fields);
    agent.send(req).await
}

/// Logs `email` in at `/activate` (no OTP step) and enters `user_code`: the confirm page.
async fn log_in_and_enter(agent: &mut Agent, t: &MockTenant, user_code: &str) -> Reply {
    let login = activate(
        agent,
        t,
        &[
            ("action", "login"),
            ("user_code", user_code),
            ("username", DEFAULT_USER_EMAIL),
            ("password", DEFAULT_USER_PASSWORD),
        ],
    )
    .await;
    assert_eq!(login.status, 303, "{}", login.body);
    let back = login.header("location").to_owned();
    let code_page = agent
        .send(agent.http.get(format!("{}{back}", t.uri())))
        .await;
    assert!(
        code_page.body.contains(&format!(
            "value=\"{user_code}\" data-testid=\"device-code-input\""
        )),
        "{}",
        code_page.body
    );
    activate(agent, t, &[("action", "code"), ("user_code", user_code)]).await
}

#[tokio::test]
async fn the_device_gets_auth0s_codes() {
    let t = tenant().await;
    let res = t
        .http_client()
        .post(format!("{}/oauth/device/code", t.uri()))
        .form(&[("client_id", CLI), ("scope", "openid")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let body: Value = res.json().await.unwrap();
    let user_code = s(&body["user_code"]);
    assert_eq!(user_code.len(), 9, "{body}");
    assert_eq!(&user_code[4..5], "-");
    assert!(
        user_code
            .bytes()
            .filter(|b| *b != b'-')
            .all(|b| b"BCDFGHJKLMNPQRSTVWXZ".contains(&b))
    );
    let uri = format!("{}/activate", t.uri());
    assert_eq!(body["verification_uri"], uri);
    assert_eq!(
        body["verification_uri_complete"],
        format!("{uri}?user_code={user_code}")
    );
    assert_eq!(body["expires_in"], 900);
    assert_eq!(body["interval"], 5);
    assert!(s(&body["device_code"]).len() >= 22);
    assert_eq!(body.as_object().unwrap().len(), 6, "{body}");
}

#[tokio::test]
async fn polling_waits_slows_down_and_then_gets_the_tokens() {
    let t = tenant().await;
    let started = start(&t, CLI).await;
    let device_code = s(&started["device_code"]);
    assert_eq!(poll(&t, CLI, device_code).await, pending());
    // Again before 5 seconds.
    assert_eq!(
        poll(&t, CLI, device_code).await,
        error(
            429,
            "slow_down",
            "You are polling faster than the specified interval of 5 seconds."
        )
    );
    t.clock().advance(5);
    assert_eq!(poll(&t, CLI, device_code).await, pending());

    let mut agent = Agent::new(&t);
    let confirm = log_in_and_enter(&mut agent, &t, s(&started["user_code"])).await;
    assert_eq!(confirm.status, 200, "{}", confirm.body);
    assert!(confirm.body.contains(&format!(
        "data-testid=\"device-confirm-code\">{}<",
        s(&started["user_code"])
    )));
    assert!(confirm.body.contains("device-cli app"));
    let done = activate(
        &mut agent,
        &t,
        &[
            ("action", "confirm"),
            ("user_code", s(&started["user_code"])),
        ],
    )
    .await;
    assert!(
        done.body.contains("data-testid=\"device-success\""),
        "{}",
        done.body
    );

    t.clock().advance(5);
    let (status, tokens) = poll(&t, CLI, device_code).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(
        tokens["scope"],
        "openid profile offline_access read:messages"
    );
    assert!(tokens["refresh_token"].is_string());
    assert!(tokens["id_token"].is_string());
    let claims = verify(
        s(&tokens["access_token"]),
        &fetch_jwks(&t).await,
        t.issuer(),
        t.audience(),
    )
    .unwrap();
    let user = t.config().user_by_email(DEFAULT_USER_EMAIL).unwrap().id();
    assert_eq!(claims["sub"], user);
    assert_eq!(claims["azp"], CLI);
    assert!(claims.get("gty").is_none(), "{claims}");
    // The refresh token works for the device.
    let (status, refreshed) = form(
        &t,
        "/oauth/token",
        &[
            ("grant_type", "refresh_token"),
            ("client_id", CLI),
            ("refresh_token", s(&tokens["refresh_token"])),
        ],
    )
    .await;
    assert_eq!(status, 200, "{refreshed}");
    // The code is spent.
    t.clock().advance(5);
    assert_eq!(
        poll(&t, CLI, device_code).await,
        error(403, "invalid_grant", "Invalid or expired device code.")
    );
}

#[tokio::test]
async fn the_user_can_cancel() {
    let t = tenant().await;
    let started = start(&t, CLI).await;
    let mut agent = Agent::new(&t);
    log_in_and_enter(&mut agent, &t, s(&started["user_code"])).await;
    let done = activate(
        &mut agent,
        &t,
        &[
            ("action", "cancel"),
            ("user_code", s(&started["user_code"])),
        ],
    )
    .await;
    assert!(done.body.contains("data-testid=\"device-denied\""));
    assert_eq!(
        poll(&t, CLI, s(&started["device_code"])).await,
        error(
            403,
            "access_denied",
            "User cancelled the confirmation prompt or consent page."
        )
    );
}

#[tokio::test]
async fn an_expired_code_is_said_once_then_invalid() {
    let t = tenant().await;
    let started = start(&t, CLI).await;
    t.clock().advance(900);
    let dc = s(&started["device_code"]);
    assert_eq!(
        poll(&t, CLI, dc).await,
        error(403, "expired_token", "The device code has expired.")
    );
    t.clock().advance(5);
    assert_eq!(
        poll(&t, CLI, dc).await,
        error(403, "invalid_grant", "Invalid or expired device code.")
    );
    // Nor can the user still answer it.
    let mut agent = Agent::new(&t);
    let res = log_in_and_enter(&mut agent, &t, s(&started["user_code"])).await;
    assert_eq!(res.status, 400);
    assert!(res.body.contains("data-testid=\"device-code-error\""));
}

#[tokio::test]
async fn only_applications_with_the_grant_may_use_it() {
    let t = tenant().await;
    let refused = error(
        403,
        "unauthorized_client",
        &format!("Grant type '{GRANT}' not allowed for the client."),
    );
    assert_eq!(
        form(
            &t,
            "/oauth/device/code",
            &[("client_id", DEFAULT_SPA_CLIENT_ID)]
        )
        .await,
        refused
    );
    let started = start(&t, CLI).await;
    assert_eq!(
        poll(&t, DEFAULT_SPA_CLIENT_ID, s(&started["device_code"])).await,
        refused
    );
    assert_eq!(
        form(&t, "/oauth/device/code", &[("client_id", "nobody")]).await,
        error(401, "access_denied", "Unauthorized")
    );
    assert_eq!(
        form(
            &t,
            "/oauth/device/code",
            &[("client_id", CLI), ("audience", "https://nope")]
        )
        .await,
        error(
            403,
            "access_denied",
            "Service not enabled within domain: https://nope"
        )
    );
}

#[tokio::test]
async fn another_client_cannot_poll_or_spend_a_device_code() {
    let t = tenant().await;
    let started = start(&t, CLI).await;
    let dc = s(&started["device_code"]);
    let mut agent = Agent::new(&t);
    log_in_and_enter(&mut agent, &t, s(&started["user_code"])).await;
    activate(
        &mut agent,
        &t,
        &[
            ("action", "confirm"),
            ("user_code", s(&started["user_code"])),
        ],
    )
    .await;
    // The attacker's own device-flow client polls the victim's approved code.
    assert_eq!(
        poll(&t, OTHER, dc).await,
        error(403, "invalid_grant", "Invalid or expired device code.")
    );
    // The victim's device still gets its tokens.
    assert_eq!(poll(&t, CLI, dc).await.0, 200);
}

#[tokio::test]
async fn guessing_user_codes_stops_after_ten_wrong_ones() {
    let t = tenant().await;
    let started = start(&t, CLI).await;
    let mut agent = Agent::new(&t);
    let first = log_in_and_enter(&mut agent, &t, "BBBB-BBBB").await;
    assert_eq!(first.status, 400);
    for _ in 1..10 {
        let r = activate(
            &mut agent,
            &t,
            &[("action", "code"), ("user_code", "BBBB-BBBB")],
        )
        .await;
        assert_eq!(r.status, 400);
    }
    // Even the right code is refused now: a guesser cannot tell a hit.
    let r = activate(
        &mut agent,
        &t,
        &[("action", "code"), ("user_code", s(&started["user_code"]))],
    )
    .await;
    assert_eq!(r.status, 429, "{}", r.body);
    t.clock().advance(360);
    let r = activate(
        &mut agent,
        &t,
        &[("action", "code"), ("user_code", s(&started["user_code"]))],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
}

#[tokio::test]
async fn a_cross_site_confirm_without_the_session_approves_nothing() {
    let t = tenant().await;
    let started = start(&t, CLI).await;
    let mut stranger = Agent::new(&t);
    let res = activate(
        &mut stranger,
        &t,
        &[
            ("action", "confirm"),
            ("user_code", s(&started["user_code"])),
        ],
    )
    .await;
    assert!(res.body.contains("data-testid=\"activate-login-form\""));
    assert_eq!(poll(&t, CLI, s(&started["device_code"])).await, pending());
}

#[tokio::test]
async fn an_enrolled_user_passes_the_otp_step_at_activate() {
    let t = tenant().await;
    let started = start(&t, CLI).await;
    let user_code = s(&started["user_code"]);
    let mut agent = Agent::new(&t);
    let otp_page = activate(
        &mut agent,
        &t,
        &[
            ("action", "login"),
            ("user_code", user_code),
            ("username", crate::mfa::EMAIL),
            ("password", crate::mfa::PASSWORD),
        ],
    )
    .await;
    assert_eq!(otp_page.status, 200);
    assert!(otp_page.body.contains("data-testid=\"activate-otp-code\""));
    assert!(agent_has_no_session(&otp_page));
    let login = otp_page
        .body
        .split("name=\"login\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let fields = |otp: &str| {
        vec![
            ("action", "otp".to_owned()),
            ("user_code", user_code.to_owned()),
            ("login", login.clone()),
            ("otp", otp.to_owned()),
        ]
    };
    let wrong = agent
        .send(
            agent
                .http
                .post(format!("{}/activate", t.uri()))
                .form(&fields("000000")),
        )
        .await;
    assert_eq!(wrong.status, 400);
    let code = t.login(crate::mfa::EMAIL).current_otp().unwrap();
    let ok = agent
        .send(
            agent
                .http
                .post(format!("{}/activate", t.uri()))
                .form(&fields(&code)),
        )
        .await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    assert!(ok.header("set-cookie").starts_with("auth0="));
}

fn agent_has_no_session(reply: &Reply) -> bool {
    !reply
        .headers
        .get_all("set-cookie")
        .iter()
        .any(|c| c.to_str().unwrap().starts_with("auth0="))
}

#[tokio::test]
async fn discovery_lists_the_device_flow_only_when_served() {
    let plain = MockTenant::start().await;
    let d: Value = crate::support::json_of(plain.http_client().get(plain.urls().discovery())).await;
    assert!(d.get("device_authorization_endpoint").is_none());
    assert!(
        !d["grant_types_supported"]
            .as_array()
            .unwrap()
            .contains(&json!(GRANT))
    );
    assert_eq!(
        form(&plain, "/oauth/device/code", &[("client_id", CLI)])
            .await
            .0,
        404
    );
    let res = plain
        .http_client()
        .get(format!("{}/activate", plain.uri()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);

    let t = tenant().await;
    let d: Value = crate::support::json_of(t.http_client().get(t.urls().discovery())).await;
    assert_eq!(
        d["device_authorization_endpoint"],
        format!("{}/oauth/device/code", t.uri())
    );
    assert!(
        d["grant_types_supported"]
            .as_array()
            .unwrap()
            .contains(&json!(GRANT))
    );
}

#[tokio::test]
async fn activation_in_chromium() {
    use browser_test::fantoccini::Locator;
    let Some(browser) = browser_test::Browser::launch().await else {
        return;
    };
    let t = tenant().await;
    let started = start(&t, CLI).await;
    let b = browser.client();
    b.goto(s(&started["verification_uri_complete"]))
        .await
        .unwrap();
    let find = |id: &'static str| async move {
        match b
            .wait()
            .for_element(Locator::Css(&format!("[data-testid={id}]")))
            .await
        {
            Ok(e) => e,
            Err(e) => panic!(
                "{id}: {e} at {} showing {}",
                b.current_url().await.unwrap(),
                b.source().await.unwrap()
            ),
        }
    };
    find("activate-email")
        .await
        .send_keys(DEFAULT_USER_EMAIL)
        .await
        .unwrap();
    find("activate-password")
        .await
        .send_keys(DEFAULT_USER_PASSWORD)
        .await
        .unwrap();
    find("activate-login-submit").await.click().await.unwrap();
    // The code from verification_uri_complete is filled in.
    let input = find("device-code-input").await;
    assert_eq!(
        input.prop("value").await.unwrap().as_deref(),
        Some(s(&started["user_code"]))
    );
    find("device-code-submit").await.click().await.unwrap();
    assert_eq!(
        find("device-confirm-code").await.text().await.unwrap(),
        s(&started["user_code"])
    );
    find("device-confirm").await.click().await.unwrap();
    find("device-success").await;
    assert_eq!(poll(&t, CLI, s(&started["device_code"])).await.0, 200);
    browser.close().await;
}
