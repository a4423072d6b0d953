//! A user's OTP enrolment over Auth0's Management API, over HTTPS: enrolled with
//! `POST /api/v2/users/{id}/authentication-methods` (`totp`, a base32 secret), the next
//! password grant answers `mfa_required` and the `mfa-otp` grant completes it with the code;
//! the methods, Guardian's enrolments and a regenerated recovery code; deleted, no code is
//! asked. Refusals (other types, bad secrets, a second enrolment, scopes) as the API answers
//! them.

use mock_idp::MockTenant;
use mock_idp::config::{ApplicationConfig, MANAGEMENT_API, UserConfig};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::control::call_as;
use crate::mfa::{
    APP, EMAIL as MFA_EMAIL, OTP, RECOVERY, RECOVERY_GRANT, SECRET, mfa_token, post, t0,
};

const ADMIN: &str = "mfa-api-admin-secret-01234567";
const EMAIL: &str = "later@example.com";
const PASSWORD: &str = "later-pass";

async fn tenant() -> MockTenant {
    let mut c = crate::mfa::config();
    c.users.push(UserConfig::new(EMAIL, PASSWORD));
    let mut ops = ApplicationConfig::machine("ops-client", "ops-secret");
    ops.grants.insert(
        MANAGEMENT_API.into(),
        vec!["read:authentication_methods".into(), "read:users".into()],
    );
    c.applications.push(ops);
    let t = MockTenant::builder()
        .config(c)
        .admin_secret(ADMIN)
        .start()
        .await;
    t.clock().freeze_at(t0());
    t
}

async fn call(
    t: &MockTenant,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    call_as(t, ADMIN, method, path, body).await
}

/// The password grant for the user: (status, body).
async fn password(t: &MockTenant) -> (u16, Value) {
    post(
        t,
        APP,
        &[
            ("grant_type", "password"),
            ("username", EMAIL),
            ("password", PASSWORD),
            ("scope", "openid"),
        ],
    )
    .await
}

fn error(status: u16, message: &str, code: &str) -> Value {
    let reason = StatusCode::from_u16(status)
        .unwrap()
        .canonical_reason()
        .unwrap();
    json!({"statusCode": status, "error": reason, "message": message, "errorCode": code})
}

#[tokio::test]
async fn an_otp_enrolment_over_the_api_is_asked_for_at_the_next_login_until_deleted() {
    let t = tenant().await;
    let user = t.config().user_by_email(EMAIL).unwrap().id();
    let base = format!("/api/v2/users/{user}");
    let (status, body) = password(&t).await;
    assert_eq!(status, 200, "{body}");

    let (s, created) = call(
        &t,
        Method::POST,
        &format!("{base}/authentication-methods"),
        Some(json!({"type": "totp", "name": "Phone", "totp_secret": SECRET})),
    )
    .await;
    assert_eq!(s, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("totp|dev_"), "{id}");
    // ISO 8601 as Auth0 writes it, from the tenant's clock (frozen at t0).
    let at = created["created_at"].as_str().unwrap().to_owned();
    assert!(at.len() == 24 && at.ends_with(".000Z"), "{at}");
    assert_eq!(
        created,
        json!({"id": id, "type": "totp", "name": "Phone", "confirmed": true, "created_at": at,
               "enrolled_at": at, "authentication_methods": [{"id": id, "type": "totp"}]})
    );
    let (s, list) = call(
        &t,
        Method::GET,
        &format!("{base}/authentication-methods"),
        None,
    )
    .await;
    assert_eq!((s.as_u16(), list), (200, json!([created.clone()])));
    let (s, one) = call(
        &t,
        Method::GET,
        &format!("{base}/authentication-methods/{id}"),
        None,
    )
    .await;
    assert_eq!((s.as_u16(), one), (200, created.clone()));
    let (s, enrolments) = call(&t, Method::GET, &format!("{base}/enrollments"), None).await;
    assert_eq!(s, 200);
    assert_eq!(
        enrolments,
        json!([{"id": id.replace("totp|", ""), "status": "confirmed", "type": "authenticator",
                "auth_method": "authenticator", "enrolled_at": at, "name": "Phone"}])
    );

    // The next password grant asks for the code; the code of the enrolled secret completes it.
    let (status, body) = password(&t).await;
    assert_eq!(
        (status, &body["error"]),
        (403, &json!("mfa_required")),
        "{body}"
    );
    let token = body["mfa_token"].as_str().unwrap().to_owned();
    let code = t.login(EMAIL).current_otp().unwrap();
    let (status, body) = post(
        &t,
        APP,
        &[("grant_type", OTP), ("mfa_token", &token), ("otp", &code)],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["id_token"].is_string());

    // A recovery code regenerated over the API completes a login once.
    let (s, rc) = call(
        &t,
        Method::POST,
        &format!("{base}/recovery-code-regeneration"),
        None,
    )
    .await;
    assert_eq!(s, 200, "{rc}");
    let recovery = rc["recovery_code"].as_str().unwrap().to_owned();
    assert_eq!(recovery.len(), 24);
    let (_, list) = call(
        &t,
        Method::GET,
        &format!("{base}/authentication-methods"),
        None,
    )
    .await;
    assert_eq!(list[1]["type"], "recovery-code");
    let (_, body) = password(&t).await;
    let token = body["mfa_token"].as_str().unwrap().to_owned();
    let (status, body) = post(
        &t,
        APP,
        &[
            ("grant_type", RECOVERY_GRANT),
            ("mfa_token", &token),
            ("recovery_code", &recovery),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");

    // Deleted: the password alone logs in again; the method is gone.
    let (s, _) = call(
        &t,
        Method::DELETE,
        &format!("{base}/authentication-methods/{id}"),
        None,
    )
    .await;
    assert_eq!(s, 204);
    let (status, body) = password(&t).await;
    assert_eq!(status, 200, "{body}");
    let (s, body) = call(
        &t,
        Method::GET,
        &format!("{base}/authentication-methods/{id}"),
        None,
    )
    .await;
    assert_eq!(
        (s.as_u16(), body),
        (
            404,
            error(
                404,
                "The authentication method does not exist.",
                "inexistent_authentication_method"
            )
        )
    );
    // Enrolled again, then every authenticator deleted at once (Guardian's route).
    let (s, _) = call(
        &t,
        Method::POST,
        &format!("{base}/authentication-methods"),
        Some(json!({"type": "totp", "totp_secret": SECRET})),
    )
    .await;
    assert_eq!(s, 201);
    assert_eq!(password(&t).await.0, 403);
    let (s, _) = call(&t, Method::DELETE, &format!("{base}/authenticators"), None).await;
    assert_eq!(s, 204);
    assert_eq!(password(&t).await.0, 200);
    let (_, list) = call(
        &t,
        Method::GET,
        &format!("{base}/authentication-methods"),
        None,
    )
    .await;
    assert_eq!(list, json!([]));
}

#[tokio::test]
async fn enrolments_the_api_cannot_make_are_refused() {
    let t = tenant().await;
    let user = t.config().user_by_email(EMAIL).unwrap().id();
    let path = format!("/api/v2/users/{user}/authentication-methods");
    let (s, body) = call(
        &t,
        Method::POST,
        &path,
        Some(json!({"type": "phone", "phone_number": "+15550100"})),
    )
    .await;
    assert_eq!(
        (s.as_u16(), body),
        (
            400,
            error(
                400,
                "Authentication method type phone is not supported by this tenant (totp only)",
                "invalid_body"
            )
        )
    );
    let (s, body) = call(
        &t,
        Method::POST,
        &path,
        Some(json!({"type": "totp", "totp_secret": "not base32!"})),
    )
    .await;
    assert_eq!(
        (s.as_u16(), body),
        (
            400,
            error(
                400,
                "Payload validation error: 'totp_secret must be base32 (RFC 4648) of at least 10 bytes'.",
                "invalid_body"
            )
        )
    );
    let (s, body) = call(&t, Method::POST, &path, Some(json!({"type": "totp"}))).await;
    assert_eq!(
        (s.as_u16(), body),
        (
            400,
            error(
                400,
                "Payload validation error: 'Missing required property: totp_secret'.",
                "invalid_body"
            )
        )
    );
    let ok = json!({"type": "totp", "totp_secret": SECRET});
    assert_eq!(call(&t, Method::POST, &path, Some(ok.clone())).await.0, 201);
    let (s, body) = call(&t, Method::POST, &path, Some(ok.clone())).await;
    assert_eq!(
        (s.as_u16(), body),
        (
            409,
            error(
                409,
                "The user already has a totp authentication method",
                "already_exists"
            )
        )
    );
    let (s, body) = call(
        &t,
        Method::POST,
        "/api/v2/users/auth0|nobody/authentication-methods",
        Some(ok),
    )
    .await;
    assert_eq!(
        (s.as_u16(), body),
        (
            404,
            error(404, "The user does not exist.", "inexistent_user")
        )
    );
    // A token with read scopes lists, but neither enrols nor deletes.
    let res = t
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
        .unwrap();
    let tok: Value = res.json().await.unwrap();
    let token = tok["access_token"].as_str().unwrap();
    assert_eq!(call_as(&t, token, Method::GET, &path, None).await.0, 200);
    let (s, body) = call_as(&t, token, Method::DELETE, &path, None).await;
    assert_eq!(
        (s.as_u16(), body),
        (
            403,
            error(
                403,
                "Insufficient scope, expected any of: delete:authentication_methods",
                "insufficient_scope"
            )
        )
    );
    let (s, body) = call_as(
        &t,
        token,
        Method::DELETE,
        &format!("/api/v2/users/{user}/authenticators"),
        None,
    )
    .await;
    assert_eq!(
        (s.as_u16(), body),
        (
            403,
            error(
                403,
                "Insufficient scope, expected any of: delete:guardian_enrollments",
                "insufficient_scope"
            )
        )
    );
    // Still enrolled.
    assert_eq!(password(&t).await.0, 403);
}

/// `GET /mfa/authenticators` with the `mfa_token` as bearer: the user's authenticators, with
/// the ids the Management API shows; a token never issued or spent is refused as the MFA
/// grants refuse it.
#[tokio::test]
async fn the_mfa_api_lists_the_authenticators_of_an_mfa_token() {
    let t = tenant().await;
    let (status, body) = post(
        &t,
        APP,
        &[
            ("grant_type", "password"),
            ("username", crate::mfa::EMAIL),
            ("password", crate::mfa::PASSWORD),
        ],
    )
    .await;
    assert_eq!(status, 403, "{body}");
    let token = body["mfa_token"].as_str().unwrap().to_owned();
    let list = |bearer: Option<String>| {
        let t = &t;
        async move {
            let mut req = t
                .http_client()
                .get(format!("{}/mfa/authenticators", t.uri()));
            if let Some(b) = bearer {
                req = req.bearer_auth(b);
            }
            let res = req.send().await.unwrap();
            (res.status().as_u16(), res.json::<Value>().await.unwrap())
        }
    };
    let user = t.config().user_by_email(crate::mfa::EMAIL).unwrap().id();
    let (_, methods) = call(
        &t,
        Method::GET,
        &format!("/api/v2/users/{user}/authentication-methods"),
        None,
    )
    .await;
    let (s, authenticators) = list(Some(token.clone())).await;
    assert_eq!(
        (s, authenticators),
        (
            200,
            json!([
                {"id": methods[0]["id"], "authenticator_type": "otp", "active": true},
                {"id": methods[1]["id"], "authenticator_type": "recovery-code", "active": true},
            ])
        )
    );
    assert_eq!(
        list(Some("never-issued".into())).await,
        (
            403,
            json!({"error": "invalid_grant", "error_description": "Malformed mfa_token"})
        )
    );
    // Spent by the login it completed.
    let code = t.login(crate::mfa::EMAIL).current_otp().unwrap();
    let (status, _) = post(
        &t,
        APP,
        &[("grant_type", OTP), ("mfa_token", &token), ("otp", &code)],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        list(Some(token)).await,
        (
            401,
            json!({"error": "expired_token", "error_description": "mfa_token is expired"})
        )
    );
    assert_eq!(list(None).await.0, 400);
}

/// Security review 4: the tenant kept each enrolled user's recovery codes in a runtime state
/// started at first use and never compared with the enrolment again. After `POST
/// /control/reset` (or a reload of the tenant file) put the file's enrolment back, a recovery
/// code issued since kept completing logins and the file's code was refused. The state now
/// follows the enrolment; a deleted user's state goes with the user.
#[tokio::test]
async fn a_recovery_code_issued_before_a_reset_does_not_outlive_it() {
    let t = MockTenant::builder()
        .config(crate::mfa::config())
        .admin_secret(ADMIN)
        .start()
        .await;
    t.clock().freeze_at(t0());
    let uid = t.config().user_by_email(MFA_EMAIL).unwrap().id();
    let recover = |code: String| {
        let t = &t;
        async move {
            let token = mfa_token(t, APP).await;
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
    let path = format!(
        "/api/v2/users/{}/recovery-code-regeneration",
        uid.replace('|', "%7C")
    );
    let (s, rc) = call(&t, Method::POST, &path, None).await;
    assert_eq!(s, 200, "{rc}");
    let regenerated = rc["recovery_code"].as_str().unwrap().to_owned();
    let (s, body) = recover(regenerated).await;
    assert_eq!(s, 200, "{body}");
    let issued = body["recovery_code"].as_str().unwrap().to_owned();

    let (s, _) = call(&t, Method::POST, "/control/reset", None).await;
    assert_eq!(s, 204);
    let invalid = (
        403,
        json!({"error": "invalid_grant", "error_description": "Invalid recovery_code."}),
    );
    assert_eq!(recover(issued).await, invalid);
    let (s, body) = recover(RECOVERY.into()).await;
    assert_eq!(s, 200, "{body}");
}

/// Security review 4: enrolling a user over the Management API (say, to lock down an account
/// someone else logged in to) left every browser session that began with the password alone
/// logging the user in, silently too, without ever asking for the code. A session older than
/// the enrolment now counts for nothing: silent authentication answers `login_required`, and
/// the form asks for the password and then the code.
#[tokio::test]
async fn a_session_from_before_an_otp_enrolment_does_not_skip_the_code() {
    let t = tenant().await;
    let mut browser = crate::silent_auth::Agent::new(&t);
    let params = [
        ("client_id", APP),
        ("redirect_uri", crate::mfa::CALLBACK),
        ("response_type", "code"),
        ("scope", "openid"),
    ];
    let done = browser
        .submit_login_with(&t, &params, EMAIL, PASSWORD)
        .await;
    assert_eq!(done.status, 302, "{}", done.body);
    let silent = [params.as_slice(), &[("prompt", "none")]].concat();
    let res = browser.authorize(&t, &silent).await;
    assert!(
        res.header("location")
            .starts_with(&format!("{}?code=", crate::mfa::CALLBACK))
    );

    t.clock().advance(1);
    let base = format!(
        "/api/v2/users/{}",
        t.config()
            .user_by_email(EMAIL)
            .unwrap()
            .id()
            .replace('|', "%7C")
    );
    let (s, _) = call(
        &t,
        Method::POST,
        &format!("{base}/authentication-methods"),
        Some(json!({"type": "totp", "totp_secret": SECRET})),
    )
    .await;
    assert_eq!(s, 201);

    let res = browser.authorize(&t, &silent).await;
    assert_eq!(
        res.header("location"),
        format!(
            "{}?error=login_required&error_description=Login+required",
            crate::mfa::CALLBACK
        )
    );
    let res = browser.authorize(&t, &params).await;
    assert_eq!(res.status, 302);
    assert!(
        res.header("location").starts_with("/u/login?state="),
        "{}",
        res.header("location")
    );
    // Through the form, the password leads to the code.
    let res = browser
        .submit_login_with(&t, &params, EMAIL, PASSWORD)
        .await;
    assert!(
        res.header("location")
            .starts_with("/u/mfa-otp-challenge?state="),
        "{}",
        res.header("location")
    );
}
