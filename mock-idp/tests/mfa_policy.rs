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
use crate::mfa::{APP, EMAIL as ENROLLED, OTP, RECOVERY_GRANT, post, t0};

mod login_page;

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
    assert!(e.starts_with("t.toml: line 1"), "{e}");
    assert!(
        e.ends_with("unknown variant `confidence-score`, expected `none` or `all-applications`"),
        "{e}"
    );
    assert!(!e.contains('\n'), "one line: {e}");
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
    let host = url::Url::parse(t.uri())
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

/// The policy and an enrolment made under it are the model's: a restarted tenant on the same
/// state directory keeps both.
#[tokio::test]
async fn the_policy_and_enrolments_under_it_survive_a_restart() {
    let dir = crate::support::TempDir::new("mfa-policy-kept");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let start = || async {
        for _ in 0..250 {
            let mut c = crate::mfa::config();
            c.users.push(UserConfig::new(EMAIL, PASSWORD));
            let started = MockTenant::builder()
                .config(c)
                .admin_secret(ADMIN)
                .state_dir(dir.path())
                .port(port)
                .keep_changes(true)
                .try_start();
            if let Ok(t) = started {
                return t;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        panic!("port {port} stayed busy");
    };
    let secret = {
        let t = start().await;
        let put = Some(json!(["all-applications"]));
        let (s, _) = call_as(&t, ADMIN, Method::PUT, "/api/v2/guardian/policies", put).await;
        assert_eq!(s, 200);
        let token = mfa_token(&t, EMAIL).await;
        let a = associate(&t, &token, otp_body()).await.1;
        let secret = a["secret"].as_str().unwrap().to_owned();
        let now = t.clock().now();
        assert_eq!(otp(&t, &token, &code_of(&secret, now)).await.0, 200);
        let file = dir.path().join("tenant.json");
        for _ in 0..100 {
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            if text.contains("all-applications") && text.contains(&secret) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        secret
    };
    let t = start().await;
    assert_eq!(
        call_as(&t, ADMIN, Method::GET, "/api/v2/guardian/policies", None).await,
        (StatusCode::OK, json!(["all-applications"]))
    );
    let kept = t.config().user_by_email(EMAIL).unwrap().mfa.unwrap();
    assert_eq!(kept.otp_secret, secret);
}
