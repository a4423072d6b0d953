//! Token Vault: the user's upstream (federated connection) token for a subject token, or
//! Auth0's 401.

use super::*;

pub(super) fn vault<'a>(subject: &'a str, connection: &'a str) -> Vec<(&'static str, &'a str)> {
    vec![
        ("grant_type", FC),
        ("client_id", "flask-api-client"),
        ("client_secret", "flask-api-secret"),
        ("subject_token", subject),
        ("subject_token_type", AT),
        ("requested_token_type", FC_TYPE),
        ("connection", connection),
    ]
}

#[tokio::test]
async fn token_vault_returns_the_users_upstream_token_or_auth0s_401() {
    let tenant = builder(
        r#"
[[token_vault]]
user = "auth0|bob"
connection = "github"
access_token = "gho_bob_work"
login_hint = "bob-work"
"#,
    )
    .start()
    .await;
    let subject = alice(&tenant);
    let (s, body) = post_token(&tenant, &vault(&subject, "google-oauth2"), &[]).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(
        body,
        json!({
            "access_token": "ya29.alice-google-token",
            "expires_in": 3599,
            "issued_token_type": FC_TYPE,
            "scope": "https://www.googleapis.com/auth/calendar.readonly",
            "token_type": "Bearer",
        })
    );
    let not_found = |got| {
        assert_error(
            got,
            401,
            "federated_connection_refresh_token_not_found",
            "Federated connection Refresh Token not found.",
        )
    };
    // Alice has no GitHub account; Bob's needs its login_hint.
    not_found(post_token(&tenant, &vault(&subject, "github"), &[]).await);
    let bob = tenant.token().sub("auth0|bob").build();
    not_found(post_token(&tenant, &vault(&bob, "github"), &[]).await);
    let mut form = vault(&bob, "github");
    form.push(("login_hint", "bob-work"));
    let (s, body) = post_token(&tenant, &form, &[]).await;
    assert_eq!(
        (s, body["access_token"].clone()),
        (200, json!("gho_bob_work"))
    );

    // Refusals before the vault is looked at.
    let forged = tenant
        .token()
        .sub("auth0|alice")
        .signed_with(Signing::Unpublished(SigningKey::attacker()))
        .build();
    assert_error(
        post_token(&tenant, &vault(&forged, "google-oauth2"), &[]).await,
        400,
        "invalid_request",
        "Invalid subject_token",
    );
    let mut form = vault(&subject, "google-oauth2");
    form.push(("audience", UPSTREAM));
    assert_error(
        post_token(&tenant, &form, &[]).await,
        400,
        "invalid_request",
        "Parameter 'audience' is not allowed for this grant",
    );
    let mut form = vault(&subject, "google-oauth2");
    form.retain(|(k, _)| *k != "connection");
    assert_error(
        post_token(&tenant, &form, &[]).await,
        400,
        "invalid_request",
        "Missing required parameter: connection",
    );
    let for_upstream = tenant.token().sub("auth0|alice").audience(UPSTREAM).build();
    assert_error(
        post_token(&tenant, &vault(&for_upstream, "google-oauth2"), &[]).await,
        403,
        "access_denied",
        "The subject_token was not issued for an API this client acts for",
    );
    let mut form = vault(&subject, "google-oauth2");
    form[1] = ("client_id", "mock-test-client");
    form[2] = ("client_secret", "mock-test-secret");
    assert_error(
        post_token(&tenant, &form, &[]).await,
        403,
        "unauthorized_client",
        &format!("Grant type '{FC}' not allowed for the client."),
    );
}
