//! The MFA policy at the login page: a user without an enrolment enrols at the OTP step (the
//! secret and its `otpauth://` URI, the first code, the recovery code once), over reqwest and
//! in headless Chromium; a session from before the policy does not skip it; the secret shown
//! or answered never reaches the journal.

use mock_idp::MockTenant;
use mock_idp::config::{MfaPolicy, UserConfig};
use reqwest::Method;
use serde_json::json;

use super::{
    ADMIN, EMAIL, OTHER_EMAIL, PASSWORD, associate, code_of, mfa_token, otp, otp_body, tenant,
};
use crate::control::call_as;
use crate::mfa::{APP, CALLBACK, t0};
use crate::silent_auth::Agent;

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

#[tokio::test]
async fn the_device_activation_page_does_not_skip_the_enrolment() {
    use mock_idp::config::{AppType, ApplicationConfig, GrantType};
    let mut c = crate::mfa::config();
    c.mfa_policy = MfaPolicy::AllApplications;
    c.users.push(UserConfig::new(EMAIL, PASSWORD));
    c.applications.push(ApplicationConfig {
        grant_types: Some(vec![GrantType::DeviceCode]),
        ..ApplicationConfig::browser("device-cli", AppType::Native, "https://unused.example/cb")
    });
    let t = MockTenant::builder().config(c).start().await;
    let started: serde_json::Value = t
        .http_client()
        .post(format!("{}/oauth/device/code", t.uri()))
        .form(&[("client_id", "device-cli"), ("scope", "openid")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let user_code = started["user_code"].as_str().unwrap();
    let mut agent = Agent::new(&t);
    let login = agent.http.post(format!("{}/activate", t.uri())).form(&[
        ("action", "login"),
        ("user_code", user_code),
        ("username", EMAIL),
        ("password", PASSWORD),
    ]);
    let page = agent.send(login).await;
    assert_eq!(page.status, 400, "{}", page.body);
    assert!(
        page.body.contains(
            "Set up multi-factor authentication at a login first (enrolment on this page is not modelled)"
        ),
        "{}",
        page.body
    );
    assert!(
        !page
            .headers
            .get_all("set-cookie")
            .iter()
            .any(|c| c.to_str().unwrap().starts_with("auth0="))
    );
}

#[tokio::test]
async fn the_rust_handle_enrols_a_user_the_policy_owes_an_enrolment() {
    let t = tenant(MfaPolicy::AllApplications).await;
    assert!(t.login(EMAIL).current_otp().is_none());
    let tokens = t.login(EMAIL).client(APP).await.unwrap();
    assert!(tokens.id_token.is_some());
    let saved = t.config().user_by_email(EMAIL).unwrap().mfa.unwrap();
    assert_eq!(saved.enrolled_at, Some(t0()));
    // Enrolled now: the next login (a step later) is asked for a code of the saved secret.
    t.clock().advance(30);
    assert_eq!(t.login(EMAIL).current_otp(), saved.code_at(t0() + 30));
    assert!(t.login(EMAIL).client(APP).await.is_ok());
}
