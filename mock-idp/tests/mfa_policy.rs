//! The tenant-wide MFA policy (Auth0's Guardian `all-applications`), over HTTPS: set over the
//! Management API or the tenant TOML; under it the password grant asks a user without an
//! authenticator for MFA too, `POST /mfa/associate` enrols them and the `mfa-otp` grant confirms
//! the enrolment; the login page enrols at its OTP step (also in headless Chromium). The
//! attacks: another user's, a spent or an expired `mfa_token`; a second enrolment replacing a
//! user's secret; a session from before the policy skipping the enrolment; guessing codes; the
//! secret in the journal.

use mock_idp::MockTenant;
use mock_idp::config::{ApplicationConfig, MANAGEMENT_API, MfaConfig, MfaPolicy, UserConfig};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::control::call_as;
use crate::mfa::{APP, CALLBACK, EMAIL as ENROLLED, OTP, RECOVERY_GRANT, post, t0};
use crate::silent_auth::Agent;

const ADMIN: &str = "mfa-policy-admin-secret-0123456";
const EMAIL: &str = "newbie@example.com";
const PASSWORD: &str = "newbie-pass";
const OTHER_EMAIL: &str = "other@example.com";

async fn tenant(policy: MfaPolicy) -> MockTenant {
    let mut c = crate::mfa::config();
    c.mfa_policy = policy;
    c.users.push(UserConfig::new(EMAIL, PASSWORD));
    c.users.push(UserConfig::new(OTHER_EMAIL, PASSWORD));
    let mut ops = ApplicationConfig::machine("ops-client", "ops-secret");
    ops.grants
        .insert(MANAGEMENT_API.into(), vec!["read:mfa_policies".into()]);
    c.applications.push(ops);
    let t = MockTenant::builder()
        .config(c)
        .admin_secret(ADMIN)
        .start()
        .await;
    t.clock().freeze_at(t0());
    t
}

async fn password(t: &MockTenant, email: &str) -> (u16, Value) {
    let pw = if email == ENROLLED {
        crate::mfa::PASSWORD
    } else {
        PASSWORD
    };
    post(
        t,
        APP,
        &[
            ("grant_type", "password"),
            ("username", email),
            ("password", pw),
            ("scope", "openid"),
        ],
    )
    .await
}

/// The password grant's `mfa_token` for `email`, checking it answered `mfa_required`.
async fn mfa_token(t: &MockTenant, email: &str) -> String {
    let (s, body) = password(t, email).await;
    assert_eq!((s, &body["error"]), (403, &json!("mfa_required")), "{body}");
    body["mfa_token"].as_str().unwrap().to_owned()
}

async fn associate(t: &MockTenant, token: &str, body: Value) -> (u16, Value) {
    let res = t
        .http_client()
        .post(format!("{}/mfa/associate", t.uri()))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    (
        res.status().as_u16(),
        res.json().await.unwrap_or(Value::Null),
    )
}

fn otp_body() -> Value {
    json!({"client_id": APP, "authenticator_types": ["otp"]})
}

fn code_of(secret: &str, at: i64) -> String {
    MfaConfig {
        otp_secret: secret.into(),
        recovery_codes: vec![],
        name: None,
        enrolled_at: None,
    }
    .code_at(at)
    .unwrap()
}

async fn otp(t: &MockTenant, token: &str, code: &str) -> (u16, Value) {
    post(
        t,
        APP,
        &[("grant_type", OTP), ("mfa_token", token), ("otp", code)],
    )
    .await
}

fn err(status: u16, error: &str, description: &str) -> (u16, Value) {
    (
        status,
        json!({"error": error, "error_description": description}),
    )
}

#[tokio::test]
async fn the_guardian_policy_is_read_and_set_over_the_management_api() {
    let t = tenant(MfaPolicy::None).await;
    let path = "/api/v2/guardian/policies";
    let call = |m, b| call_as(&t, ADMIN, m, path, b);
    assert_eq!(call(Method::GET, None).await, (StatusCode::OK, json!([])));
    assert_eq!(
        password(&t, EMAIL).await.0,
        200,
        "no policy: the password alone"
    );
    assert_eq!(
        call(Method::PUT, Some(json!(["all-applications"]))).await,
        (StatusCode::OK, json!(["all-applications"]))
    );
    assert_eq!(
        call(Method::GET, None).await,
        (StatusCode::OK, json!(["all-applications"]))
    );
    assert_eq!(t.config().snapshot().mfa_policy, MfaPolicy::AllApplications);
    mfa_token(&t, EMAIL).await;
    let (s, body) = call(Method::PUT, Some(json!(["confidence-score"]))).await;
    assert_eq!(s, 400, "{body}");
    assert_eq!(
        body["message"],
        "The confidence-score policy (Adaptive MFA) is not modelled by this tenant"
    );
    assert_eq!(call(Method::PUT, Some(json!(["sometimes"]))).await.0, 400);
    assert_eq!(call(Method::PUT, Some(json!({"all": true}))).await.0, 400);
    assert_eq!(
        t.config().snapshot().mfa_policy,
        MfaPolicy::AllApplications,
        "refusals change nothing"
    );
    let factor = call_as(
        &t,
        ADMIN,
        Method::PUT,
        "/api/v2/guardian/factors/otp",
        Some(json!({"enabled": true})),
    )
    .await;
    assert_eq!(factor, (StatusCode::OK, json!({"enabled": true})));
    let off = call_as(
        &t,
        ADMIN,
        Method::PUT,
        "/api/v2/guardian/factors/otp",
        Some(json!({"enabled": false})),
    )
    .await;
    assert_eq!(off.0, 400);
    // A token with read:mfa_policies reads the policy but does not change it.
    let tok: Value = t
        .http_client()
        .post(t.urls().token())
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "ops-client"),
            ("client_secret", "ops-secret"),
            ("audience", &t.control().audience()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = tok["access_token"].as_str().unwrap();
    assert_eq!(call_as(&t, token, Method::GET, path, None).await.0, 200);
    let (s, body) = call_as(&t, token, Method::PUT, path, Some(json!([]))).await;
    assert_eq!(s, 403);
    assert_eq!(
        body["message"],
        "Insufficient scope, expected any of: update:mfa_policies"
    );
    assert_eq!(
        call(Method::PUT, Some(json!([]))).await,
        (StatusCode::OK, json!([]))
    );
    assert_eq!(password(&t, EMAIL).await.0, 200, "policy off again");
}

#[test]
fn the_toml_setting_turns_the_policy_on_and_a_bad_value_stops_start_up() {
    let parse = |extra: &str| {
        mock_idp::config::TenantConfig::parse(
            &format!("{extra}[[apis]]\nidentifier = \"https://a\"\n"),
            "t.toml",
        )
    };
    let on = parse("mfa_policy = \"all-applications\"\n").unwrap();
    assert_eq!(on.mfa_policy, MfaPolicy::AllApplications);
    assert_eq!(parse("").unwrap().mfa_policy, MfaPolicy::None);
    assert_eq!(
        parse("mfa_policy = \"none\"\n").unwrap().mfa_policy,
        MfaPolicy::None
    );
    let e = parse("mfa_policy = \"confidence-score\"\n")
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("t.toml") && e.contains("confidence-score"),
        "{e}"
    );
}

#[tokio::test]
async fn under_the_policy_the_mfa_api_enrols_a_user_without_an_authenticator() {
    let t = tenant(MfaPolicy::AllApplications).await;
    let token = mfa_token(&t, EMAIL).await;
    let listed: Value = t
        .http_client()
        .get(format!("{}/mfa/authenticators", t.uri()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed, json!([]));
    // Before any associate, a code confirms nothing.
    assert_eq!(
        otp(&t, &token, "123456").await,
        err(403, "invalid_grant", "User is not enrolled.")
    );
    let (s, a) = associate(&t, &token, otp_body()).await;
    assert_eq!(s, 200, "{a}");
    let keys: Vec<&String> = a.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "authenticator_type",
            "barcode_uri",
            "recovery_codes",
            "secret"
        ]
    );
    assert_eq!(a["authenticator_type"], "otp");
    let secret = a["secret"].as_str().unwrap();
    assert_eq!(secret.len(), 32);
    let host = url::Url::parse(&t.uri())
        .unwrap()
        .host_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        a["barcode_uri"],
        format!(
            "otpauth://totp/{host}:newbie%40example.com?secret={secret}&issuer={host}&algorithm=SHA1&digits=6&period=30"
        )
    );
    let recovery = a["recovery_codes"][0].as_str().unwrap().to_owned();
    assert_eq!(recovery.len(), 24);
    assert!(
        t.config().user_by_email(EMAIL).unwrap().mfa.is_none(),
        "pending until confirmed"
    );

    let (s, tokens) = otp(&t, &token, &code_of(secret, t0())).await;
    assert_eq!(s, 200, "{tokens}");
    assert!(tokens["access_token"].is_string() && tokens["id_token"].is_string());
    let saved = t.config().user_by_email(EMAIL).unwrap().mfa.unwrap();
    assert_eq!(saved.otp_secret, secret);
    assert_eq!(saved.recovery_codes, vec![recovery.clone()]);
    assert_eq!(saved.enrolled_at, Some(t0()));
    // The same code is spent; the token too.
    let again = mfa_token(&t, EMAIL).await;
    assert_eq!(
        otp(&t, &again, &code_of(secret, t0())).await,
        err(403, "invalid_grant", "Invalid otp_code.")
    );
    // The user is now enrolled like any other: the recovery code logs in, the next step's code too.
    let (s, body) = post(
        &t,
        APP,
        &[
            ("grant_type", RECOVERY_GRANT),
            ("mfa_token", &again),
            ("recovery_code", &recovery),
        ],
    )
    .await;
    assert_eq!(s, 200, "{body}");
    t.clock().advance(30);
    let next = mfa_token(&t, EMAIL).await;
    assert_eq!(otp(&t, &next, &code_of(secret, t0() + 30)).await.0, 200);
}

#[tokio::test]
async fn associating_with_a_bad_spent_expired_or_anothers_mfa_token_is_refused() {
    let t = tenant(MfaPolicy::AllApplications).await;
    let res = t
        .http_client()
        .post(format!("{}/mfa/associate", t.uri()))
        .json(&otp_body())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(
        associate(&t, "never-issued", otp_body()).await,
        err(403, "invalid_grant", "Malformed mfa_token")
    );
    let token = mfa_token(&t, EMAIL).await;
    for kind in ["oob", "recovery-code"] {
        assert_eq!(
            associate(
                &t,
                &token,
                json!({"authenticator_types": [kind], "oob_channels": ["sms"]})
            )
            .await,
            err(
                400,
                "invalid_request",
                &format!("Authenticator type {kind} is not modelled by this tenant (otp only)")
            )
        );
    }
    assert_eq!(
        associate(
            &t,
            &token,
            json!({"client_id": "other-web", "authenticator_types": ["otp"]})
        )
        .await,
        err(
            400,
            "invalid_request",
            "mfa_token not issued to this client"
        )
    );
    // Another user's token enrols that user, never this one: the victim's pending secret does
    // not confirm with the attacker's token, nor the attacker's with the victim's.
    let victim = associate(&t, &token, otp_body()).await.1;
    let theirs = mfa_token(&t, OTHER_EMAIL).await;
    assert_eq!(
        otp(
            &t,
            &theirs,
            &code_of(victim["secret"].as_str().unwrap(), t0())
        )
        .await,
        err(403, "invalid_grant", "User is not enrolled.")
    );
    assert!(t.config().user_by_email(OTHER_EMAIL).unwrap().mfa.is_none());
    // Spent: after the confirmation, the token neither associates nor confirms again.
    assert_eq!(
        otp(
            &t,
            &token,
            &code_of(victim["secret"].as_str().unwrap(), t0())
        )
        .await
        .0,
        200
    );
    assert_eq!(
        associate(&t, &token, otp_body()).await,
        err(401, "expired_token", "mfa_token is expired")
    );
    // Expired: 10 minutes after the password.
    let late = mfa_token(&t, OTHER_EMAIL).await;
    t.clock().advance(600);
    assert_eq!(
        associate(&t, &late, otp_body()).await,
        err(401, "expired_token", "mfa_token is expired")
    );
}

#[tokio::test]
async fn an_enrolment_never_replaces_an_existing_one() {
    let t = tenant(MfaPolicy::AllApplications).await;
    // An enrolled user (say, an attacker with their password) cannot associate a new secret.
    let token = mfa_token(&t, ENROLLED).await;
    assert_eq!(
        associate(&t, &token, otp_body()).await,
        err(403, "access_denied", "User is already enrolled.")
    );
    // Two associations raced for one user: the first confirmed wins, the second is refused and
    // the saved secret stays the first.
    let first = mfa_token(&t, EMAIL).await;
    let second = mfa_token(&t, EMAIL).await;
    let a1 = associate(&t, &first, otp_body()).await.1;
    let a2 = associate(&t, &second, otp_body()).await.1;
    let (s1, s2) = (
        a1["secret"].as_str().unwrap(),
        a2["secret"].as_str().unwrap(),
    );
    assert_ne!(s1, s2);
    assert_eq!(otp(&t, &first, &code_of(s1, t0())).await.0, 200);
    assert_eq!(
        otp(&t, &second, &code_of(s2, t0())).await,
        err(403, "invalid_grant", "Invalid otp_code."),
        "the second token now answers to the saved enrolment, whose code this is not"
    );
    assert_eq!(
        t.config()
            .user_by_email(EMAIL)
            .unwrap()
            .mfa
            .as_ref()
            .unwrap()
            .otp_secret,
        s1
    );
}

#[tokio::test]
async fn guessing_the_code_of_a_pending_enrolment_empties_the_bucket() {
    let t = tenant(MfaPolicy::AllApplications).await;
    let token = mfa_token(&t, EMAIL).await;
    let a = associate(&t, &token, otp_body()).await.1;
    for _ in 0..10 {
        assert_eq!(otp(&t, &token, "000000").await.0, 403);
    }
    let right = code_of(a["secret"].as_str().unwrap(), t0());
    assert_eq!(
        otp(&t, &token, &right).await,
        err(
            429,
            "too_many_attempts",
            "Too many failed attempts. Try again later."
        )
    );
    assert!(t.config().user_by_email(EMAIL).unwrap().mfa.is_none());
}

#[tokio::test]
async fn the_enrolment_secret_is_never_in_the_journal() {
    let t = tenant(MfaPolicy::AllApplications).await;
    let token = mfa_token(&t, EMAIL).await;
    let a = associate(&t, &token, otp_body()).await.1;
    let secret = a["secret"].as_str().unwrap();
    assert_eq!(otp(&t, &token, &code_of(secret, t0())).await.0, 200);
    let mut agent = Agent::new(&t);
    let params = login_params();
    let page = agent
        .submit_login_with(&t, &params, OTHER_EMAIL, PASSWORD)
        .await;
    let form = agent
        .send(
            agent
                .http
                .get(format!("{}{}", t.uri(), page.header("location"))),
        )
        .await;
    let shown = testid(&form.body, "mfa-enroll-secret");
    let requests = t.journal().received_requests();
    assert!(requests.iter().any(|r| r.path == "/mfa/associate"));
    let all = format!("{requests:?}");
    for s in [secret, shown.as_str()] {
        assert!(!all.contains(s), "{s} in the journal");
    }
    let (_, journal) = call_as(&t, ADMIN, Method::GET, "/control/journal", None).await;
    assert!(!journal.to_string().contains(secret));
}

fn login_params() -> Vec<(&'static str, &'static str)> {
    vec![
        ("client_id", APP),
        ("redirect_uri", CALLBACK),
        ("response_type", "code"),
        ("scope", "openid"),
        ("state", "st-1"),
    ]
}

/// The text of the element with `data-testid="id"` in `html`.
fn testid(html: &str, id: &str) -> String {
    let at = html
        .find(&format!("data-testid=\"{id}\">"))
        .unwrap_or_else(|| panic!("{id} in {html}"));
    let rest = &html[at..];
    let start = rest.find('>').unwrap() + 1;
    let end = rest.find('<').unwrap();
    rest[start..end].replace("&amp;", "&")
}

fn submit(
    agent: &Agent,
    t: &MockTenant,
    location: &str,
    form: &[(&str, &str)],
) -> reqwest::RequestBuilder {
    let tx = location
        .trim_start_matches("/u/mfa-otp-challenge?state=")
        .to_owned();
    let mut f = vec![("state", tx.as_str())];
    f.extend_from_slice(form);
    let f: Vec<(String, String)> = f
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    agent
        .http
        .post(format!("{}/u/mfa-otp-challenge", t.uri()))
        .form(&f)
}

#[tokio::test]
async fn a_session_from_before_the_policy_does_not_skip_the_enrolment() {
    let t = tenant(MfaPolicy::None).await;
    let mut agent = Agent::new(&t);
    let params = login_params();
    let done = agent.submit_login_with(&t, &params, EMAIL, PASSWORD).await;
    assert!(
        done.header("location")
            .starts_with(&format!("{CALLBACK}?code=")),
        "{}",
        done.body
    );
    let silent = [params.as_slice(), &[("prompt", "none")]].concat();
    assert!(
        agent
            .authorize(&t, &silent)
            .await
            .header("location")
            .starts_with(&format!("{CALLBACK}?code="))
    );

    let (s, _) = call_as(
        &t,
        ADMIN,
        Method::PUT,
        "/api/v2/guardian/policies",
        Some(json!(["all-applications"])),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(
        agent.authorize(&t, &silent).await.header("location"),
        format!("{CALLBACK}?error=login_required&error_description=Login+required&state=st-1")
    );
    // Through the form: the password, then the enrolment.
    let step = agent.submit_login_with(&t, &params, EMAIL, PASSWORD).await;
    let location = step.header("location").to_owned();
    assert!(
        location.starts_with("/u/mfa-otp-challenge?state="),
        "{location}"
    );
    assert!(
        !step
            .headers
            .get_all("set-cookie")
            .iter()
            .any(|c| c.to_str().unwrap().starts_with("auth0="))
    );
    let page = agent
        .send(agent.http.get(format!("{}{location}", t.uri())))
        .await;
    assert_eq!(page.status, 200);
    for id in [
        "mfa-enroll-secret",
        "mfa-enroll-uri",
        "mfa-otp-form",
        "mfa-otp-code",
        "mfa-otp-submit",
    ] {
        assert!(page.body.contains(&format!("data-testid=\"{id}\"")), "{id}");
    }
    let secret = testid(&page.body, "mfa-enroll-secret");
    let uri = testid(&page.body, "mfa-enroll-uri");
    assert!(
        uri.starts_with("otpauth://totp/") && uri.contains(&format!("secret={secret}&")),
        "{uri}"
    );
    // The same page on a reload: the same secret.
    let reload = agent
        .send(agent.http.get(format!("{}{location}", t.uri())))
        .await;
    assert_eq!(testid(&reload.body, "mfa-enroll-secret"), secret);
    // Another browser cannot answer for this one.
    let stranger = Agent::new(&t);
    let code = code_of(&secret, t0());
    let res = stranger
        .http
        .clone()
        .execute(
            submit(&stranger, &t, &location, &[("code", &code)])
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let wrong = agent
        .send(submit(&agent, &t, &location, &[("code", "000000")]))
        .await;
    assert_eq!(wrong.status, 400);
    assert!(wrong.body.contains("data-testid=\"mfa-enroll-secret\""));
    let shown = agent
        .send(submit(&agent, &t, &location, &[("code", &code)]))
        .await;
    assert_eq!(shown.status, 200, "{}", shown.body);
    let recovery = testid(&shown.body, "mfa-recovery-code");
    assert_eq!(recovery.len(), 24);
    let saved = t.config().user_by_email(EMAIL).unwrap().mfa.unwrap();
    assert_eq!(
        (saved.otp_secret.as_str(), saved.recovery_codes.clone()),
        (secret.as_str(), vec![recovery.clone()])
    );
    // Shown once: a reload continues without it.
    let again = agent
        .send(agent.http.get(format!("{}{location}", t.uri())))
        .await;
    assert!(!again.body.contains(&recovery) && again.body.contains("mfa-recovery-continue"));
    let done = agent
        .send(submit(&agent, &t, &location, &[("action", "continue")]))
        .await;
    assert_eq!(done.status, 302, "{}", done.body);
    assert!(
        done.header("location")
            .starts_with(&format!("{CALLBACK}?code="))
    );
    assert!(done.header("set-cookie").starts_with("auth0="));
    assert!(
        agent
            .authorize(&t, &silent)
            .await
            .header("location")
            .starts_with(&format!("{CALLBACK}?code="))
    );
    // The next login asks for a code of the saved secret.
    t.clock().advance(30);
    let token = mfa_token(&t, EMAIL).await;
    assert_eq!(otp(&t, &token, &code_of(&secret, t0() + 30)).await.0, 200);
}

#[tokio::test]
async fn the_enrolment_step_in_chromium() {
    use browser_test::fantoccini::Locator;
    let Some(browser) = browser_test::Browser::launch().await else {
        return;
    };
    let app = crate::mfa::local_callback().await;
    let mut c = crate::mfa::config();
    c.mfa_policy = MfaPolicy::AllApplications;
    c.users.push(UserConfig::new(EMAIL, PASSWORD));
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
        ("state", "st-enrol"),
    ]);
    b.goto(url.as_str()).await.unwrap();
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
    find("login-email").await.send_keys(EMAIL).await.unwrap();
    find("login-password")
        .await
        .send_keys(PASSWORD)
        .await
        .unwrap();
    find("login-submit").await.click().await.unwrap();
    let secret = find("mfa-enroll-secret").await.text().await.unwrap();
    let uri = find("mfa-enroll-uri").await.text().await.unwrap();
    assert!(uri.contains(&format!("secret={secret}&")), "{uri}");
    find("mfa-otp-code")
        .await
        .send_keys(&code_of(&secret, t0()))
        .await
        .unwrap();
    find("mfa-otp-submit").await.click().await.unwrap();
    let recovery = find("mfa-recovery-code").await.text().await.unwrap();
    assert_eq!(recovery.len(), 24);
    find("mfa-recovery-continue").await.click().await.unwrap();
    b.wait().for_element(Locator::Css("#back")).await.unwrap();
    let landed = b.current_url().await.unwrap();
    assert!(
        landed.as_str().starts_with(&format!("{app}?code=")),
        "{landed}"
    );
    // Saved as the tenant's own code helper sees it: `mock-idp otp EMAIL` would print this.
    t.clock().advance(30);
    assert_eq!(
        t.login(EMAIL).current_otp().unwrap(),
        code_of(&secret, t0() + 30)
    );
    browser.close().await;
}

#[test]
fn the_deploy_cli_guardian_policies_map_to_the_policy() {
    use mock_idp::config::deploy;
    let yaml = "resourceServers:\n  - identifier: https://a\n    name: A\nguardianPolicies:\n  policies:\n    - all-applications\n";
    let i = deploy::parse_yaml(yaml, "t.yaml", &deploy::Options::default()).unwrap();
    assert_eq!(i.config.mfa_policy, MfaPolicy::AllApplications);
    assert!(i.warnings.is_empty(), "{:?}", i.warnings);
    let export = deploy::to_yaml(&i.config, "localhost:8443");
    assert_eq!(
        export.document["guardianPolicies"],
        json!({"policies": ["all-applications"]})
    );
    let adaptive = "resourceServers:\n  - identifier: https://a\nguardianPolicies:\n  policies: [confidence-score]\n";
    let i = deploy::parse_yaml(adaptive, "t.yaml", &deploy::Options::default()).unwrap();
    assert_eq!(i.config.mfa_policy, MfaPolicy::None);
    assert_eq!(
        i.warnings,
        ["ignored guardianPolicies policy confidence-score (not modelled)"]
    );
    let off = deploy::to_yaml(&i.config, "localhost:8443");
    assert!(off.document.get("guardianPolicies").is_none());
}
