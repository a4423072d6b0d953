//! The Resource Owner Password grants over HTTPS: `password` with the tenant's Default
//! Directory and `http://auth0.com/oauth/grant-type/password-realm` with a `realm`, each success
//! and each refusal with Auth0's status, code and text.

use mock_idp::config::{
    DATABASE_CONNECTION, DEFAULT_SPA_CLIENT_ID, DEFAULT_USER_EMAIL, DEFAULT_USER_PASSWORD,
    DEFAULT_WEB_CLIENT_ID, DEFAULT_WEB_CLIENT_SECRET,
};
use mock_idp::{
    MockTenant, config::AppType, config::ApplicationConfig, config::GrantType, config::RoleConfig,
    config::TenantConfig, config::UserConfig,
};
use serde_json::{Value, json};

use crate::support::{fetch_jwks, parts, verify};

const PASSWORD: &str = "password";
const REALM: &str = "http://auth0.com/oauth/grant-type/password-realm";
const WEB: &str = "ropg-web";
const WEB_SECRET: &str = "ropg-secret";
const NATIVE: &str = "ropg-native";

/// The quickstart tenant with a Default Directory, a confidential and a public application
/// allowed both grants, a blocked user and a reader.
fn config() -> TenantConfig {
    let mut c = TenantConfig {
        default_directory: Some(DATABASE_CONNECTION.into()),
        ..TenantConfig::default()
    };
    let grants = Some(vec![
        GrantType::Password,
        GrantType::PasswordRealm,
        GrantType::RefreshToken,
    ]);
    c.applications.push(ApplicationConfig {
        client_secret: WEB_SECRET.into(),
        grant_types: grants.clone(),
        ..ApplicationConfig::browser(WEB, AppType::RegularWeb, "https://app.example/cb")
    });
    c.applications.push(ApplicationConfig {
        grant_types: grants,
        ..ApplicationConfig::browser(NATIVE, AppType::Native, "https://app.example/cb")
    });
    c.users.push(UserConfig {
        blocked: true,
        ..UserConfig::new("blocked@example.com", "blocked-pass")
    });
    c.users.push(UserConfig {
        roles: vec!["reader".into()],
        ..UserConfig::new("reader@example.com", "reader-pass")
    });
    c.roles.push(RoleConfig {
        permissions: [(c.apis[0].identifier.clone(), vec!["read:messages".into()])].into(),
        ..RoleConfig::new("reader")
    });
    c
}

/// POSTs `form` (plus the confidential client's credentials) with `headers`.
async fn post(
    tenant: &MockTenant,
    form: &[(&str, &str)],
    headers: &[(&str, &str)],
) -> (u16, Value) {
    let mut req = tenant.http_client().post(tenant.urls().token()).form(form);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = req.send().await.unwrap();
    (
        res.status().as_u16(),
        res.json().await.unwrap_or(Value::Null),
    )
}

fn web<'a>(grant: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut f = vec![
        ("grant_type", grant),
        ("client_id", WEB),
        ("client_secret", WEB_SECRET),
        ("username", DEFAULT_USER_EMAIL),
        ("password", DEFAULT_USER_PASSWORD),
    ];
    f.extend_from_slice(extra);
    f
}

fn assert_error(got: (u16, Value), status: u16, error: &str, description: &str) {
    assert_eq!(
        got,
        (
            status,
            json!({"error": error, "error_description": description})
        )
    );
}

#[tokio::test]
async fn password_grant_issues_the_tokens_a_login_would() {
    let tenant = MockTenant::builder().config(config()).start().await;
    let aud = tenant.audience();
    let (status, body) = post(
        &tenant,
        &web(
            PASSWORD,
            &[
                (
                    "scope",
                    "openid profile email read:messages offline_access not:a-scope",
                ),
                ("audience", aud),
            ],
        ),
        &[],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 86400);
    assert_eq!(
        body["scope"],
        "openid profile email read:messages offline_access"
    );
    let jwks = fetch_jwks(&tenant).await;
    let claims = verify(
        body["access_token"].as_str().unwrap(),
        &jwks,
        tenant.issuer(),
        aud,
    )
    .unwrap();
    let user_id = UserConfig::new(DEFAULT_USER_EMAIL, "x").id();
    assert_eq!(claims["sub"], user_id);
    assert_eq!(claims["gty"], "password");
    assert_eq!(claims["azp"], WEB);
    assert_eq!(
        claims["aud"],
        json!([aud, format!("{}userinfo", tenant.issuer())])
    );
    let (_, id) = parts(body["id_token"].as_str().unwrap());
    assert_eq!(
        (id["sub"].as_str(), id["aud"].as_str()),
        (Some(user_id.as_str()), Some(WEB))
    );
    assert_eq!(id["email"], DEFAULT_USER_EMAIL);

    // The refresh token works like a browser login's.
    let rt = body["refresh_token"].as_str().unwrap();
    let (status, refreshed) = post(
        &tenant,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", WEB),
            ("client_secret", WEB_SECRET),
            ("refresh_token", rt),
        ],
        &[],
    )
    .await;
    assert_eq!(status, 200, "{refreshed}");
    assert!(refreshed["access_token"].is_string() && refreshed["id_token"].is_string());
}

#[tokio::test]
async fn no_audience_means_the_default_audience_and_roles_give_permissions() {
    let tenant = MockTenant::builder().config(config()).start().await;
    // The email compares case-insensitively, as Auth0's database connections compare it.
    let form = [
        ("grant_type", PASSWORD),
        ("client_id", WEB),
        ("client_secret", WEB_SECRET),
        ("username", "READER@example.com"),
        ("password", "reader-pass"),
        ("scope", "read:messages"),
    ];
    let (status, body) = post(&tenant, &form, &[]).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("id_token").is_none() && body.get("refresh_token").is_none());
    let (_, at) = parts(body["access_token"].as_str().unwrap());
    assert_eq!(at["aud"], tenant.audience());
    assert_eq!(at["scope"], "read:messages");
    assert_eq!(at["sub"], UserConfig::new("reader@example.com", "x").id());
}

#[tokio::test]
async fn password_realm_names_the_database_connection() {
    let tenant = MockTenant::builder().config(config()).start().await;
    let (status, body) = post(&tenant, &web(REALM, &[("realm", DATABASE_CONNECTION)]), &[]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        parts(body["access_token"].as_str().unwrap()).1["gty"],
        "password"
    );

    assert_error(
        post(&tenant, &web(REALM, &[("realm", "google-oauth2")]), &[]).await,
        400,
        "invalid_request",
        "Unknown realm: google-oauth2",
    );
    assert_error(
        post(&tenant, &web(REALM, &[]), &[]).await,
        400,
        "invalid_request",
        "Missing required parameter: realm",
    );
}

#[tokio::test]
async fn wrong_credentials_and_blocked_users_are_refused_as_auth0_refuses_them() {
    let tenant = MockTenant::builder().config(config()).start().await;
    let wrong = "Wrong email or password.";
    let mut form = web(PASSWORD, &[]);
    form[4] = ("password", "not-it");
    assert_error(post(&tenant, &form, &[]).await, 403, "invalid_grant", wrong);
    // An unknown email gets the same answer: no one learns which emails have accounts.
    form[3] = ("username", "nobody@example.com");
    assert_error(post(&tenant, &form, &[]).await, 403, "invalid_grant", wrong);
    // A blocked user's right password is still refused; a wrong one does not reveal the block.
    form[3] = ("username", "blocked@example.com");
    assert_error(post(&tenant, &form, &[]).await, 403, "invalid_grant", wrong);
    form[4] = ("password", "blocked-pass");
    assert_error(
        post(&tenant, &form, &[]).await,
        401,
        "unauthorized",
        "user is blocked",
    );
    let mut missing = web(PASSWORD, &[]);
    missing.remove(4);
    assert_error(
        post(&tenant, &missing, &[]).await,
        400,
        "invalid_request",
        "Missing required parameter: password",
    );
}

#[tokio::test]
async fn applications_without_the_grant_get_unauthorized_client() {
    let tenant = MockTenant::builder().config(config()).start().await;
    let form = |grant: &'static str| {
        vec![
            ("grant_type", grant),
            ("client_id", DEFAULT_WEB_CLIENT_ID),
            ("client_secret", DEFAULT_WEB_CLIENT_SECRET),
            ("username", DEFAULT_USER_EMAIL),
            ("password", DEFAULT_USER_PASSWORD),
            ("realm", DATABASE_CONNECTION),
        ]
    };
    assert_error(
        post(&tenant, &form(PASSWORD), &[]).await,
        403,
        "unauthorized_client",
        "Grant type 'password' not allowed for the client.",
    );
    assert_error(
        post(&tenant, &form(REALM), &[]).await,
        403,
        "unauthorized_client",
        "Grant type 'http://auth0.com/oauth/grant-type/password-realm' not allowed for the client.",
    );
    // A public application with no secret is still the client it says it is, and still lacks it.
    let spa = [
        ("grant_type", PASSWORD),
        ("client_id", DEFAULT_SPA_CLIENT_ID),
        ("username", DEFAULT_USER_EMAIL),
        ("password", DEFAULT_USER_PASSWORD),
    ];
    assert_eq!(
        post(&tenant, &spa, &[]).await.1["error"],
        "unauthorized_client"
    );
}

#[tokio::test]
async fn without_a_default_directory_password_is_a_server_error_and_realm_still_works() {
    let mut c = config();
    c.default_directory = None;
    let tenant = MockTenant::builder().config(c).start().await;
    assert_error(
        post(&tenant, &web(PASSWORD, &[]), &[]).await,
        500,
        "server_error",
        "Authorization server not configured with default connection.",
    );
    let (status, _) = post(&tenant, &web(REALM, &[("realm", DATABASE_CONNECTION)]), &[]).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn auth0_forwarded_for_is_checked_for_confidential_clients_and_ignored_for_public_ones() {
    let tenant = MockTenant::builder().config(config()).start().await;
    let (status, body) = post(
        &tenant,
        &web(PASSWORD, &[]),
        &[("auth0-forwarded-for", "203.0.113.7")],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_error(
        post(
            &tenant,
            &web(PASSWORD, &[]),
            &[("auth0-forwarded-for", "not an ip")],
        )
        .await,
        400,
        "invalid_request",
        "auth0-forwarded-for must be an IP address",
    );
    // Anyone can send it from a public client: it is not trusted, so not checked either.
    let native = [
        ("grant_type", PASSWORD),
        ("client_id", NATIVE),
        ("username", DEFAULT_USER_EMAIL),
        ("password", DEFAULT_USER_PASSWORD),
    ];
    let (status, body) = post(&tenant, &native, &[("auth0-forwarded-for", "not an ip")]).await;
    assert_eq!(status, 200, "{body}");
    // A public client cannot use the confidential one's identity without its secret.
    let mut no_secret = web(PASSWORD, &[]);
    no_secret.remove(2);
    assert_error(
        post(&tenant, &no_secret, &[]).await,
        401,
        "access_denied",
        "Unauthorized",
    );
}

/// The attacker has a user's password and an application with the grant, and asks for the
/// tenant's Management API: the scopes that steer the tenant are never granted to a user.
#[tokio::test]
async fn a_user_never_gets_management_scopes() {
    let tenant = MockTenant::builder().config(config()).start().await;
    let management = format!("{}api/v2/", tenant.issuer());
    let (status, body) = post(
        &tenant,
        &web(
            PASSWORD,
            &[
                ("audience", &management),
                ("scope", "openid read:mock_tenant update:mock_tenant create:mock_tokens update:signing_keys"),
            ],
        ),
        &[],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scope"], "openid");
    let (_, at) = parts(body["access_token"].as_str().unwrap());
    assert_eq!(at["scope"], "openid");
}

#[tokio::test]
async fn discovery_lists_the_password_grants() {
    let tenant = MockTenant::start().await;
    let doc: Value =
        crate::support::json_of(tenant.http_client().get(tenant.urls().discovery())).await;
    let grants = doc["grant_types_supported"].as_array().unwrap();
    assert!(
        grants.contains(&json!(PASSWORD)) && grants.contains(&json!(REALM)),
        "{grants:?}"
    );
}

/// The README's (mock-idp/README.md) W-, P- and O- rows are the ones these modules test.
#[test]
fn readme_lists_the_w_p_and_o_rows() {
    let readme = include_str!("../README.md");
    let listed: Vec<&str> = readme
        .lines()
        .filter_map(|l| l.strip_prefix("| "))
        .filter_map(|l| l.split(' ').next())
        .filter(|id| id.len() == 4 && ["W-", "P-", "O-"].iter().any(|p| id.starts_with(p)))
        .collect();
    let rows = [
        "W-01", "W-02", "W-03", "W-04", "W-05", "W-06", "W-07", "W-08", "W-09", "P-01", "P-02",
        "P-03", "P-04", "P-05", "P-06", "P-07", "P-08", "P-09", "O-01", "O-02", "O-03", "O-04",
        "O-05", "O-06", "O-07", "O-08", "O-09",
    ];
    assert_eq!(listed, rows);
}
