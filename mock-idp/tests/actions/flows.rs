//! Each trigger through its real flows, each `api` call, the `event` Auth0 builds, binding order,
//! and each flow's answer to `api.access.deny`.

use mock_idp::config::{DEFAULT_AUDIENCE, DEFAULT_CLIENT_ID, DEFAULT_WEB_CLIENT_ID};
use serde_json::json;

use super::*;

/// What a post-login Action sees, put in claims so the test can read it.
const EVENT_TO_CLAIMS: &str = r#"
exports.onExecutePostLogin = async (event, api) => {
  const ns = event.secrets.NS;
  api.accessToken.setCustomClaim(ns + 'roles', event.authorization.roles);
  api.accessToken.setCustomClaim(ns + 'plan', event.user.app_metadata.plan);
  api.accessToken.setCustomClaim(ns + 'protocol', event.transaction.protocol);
  api.accessToken.setCustomClaim(ns + 'logins', event.stats.logins_count);
  api.accessToken.setCustomClaim(ns + 'client', event.client.client_id);
  api.accessToken.setCustomClaim(ns + 'connection', event.connection.name);
  api.accessToken.setCustomClaim(ns + 'audience', event.resource_server && event.resource_server.identifier);
  api.accessToken.setCustomClaim(ns + 'ip', event.request.ip);
  api.accessToken.setCustomClaim(ns + 'hostname', event.request.hostname);
  api.accessToken.setCustomClaim(ns + 'query_client', event.request.query.client_id || null);
  api.accessToken.setCustomClaim(ns + 'body_keys', Object.keys(event.request.body).sort());
  api.idToken.setCustomClaim(ns + 'theme', event.user.user_metadata.theme);
  api.idToken.setCustomClaim(ns + 'email', event.user.email);
  api.accessToken.addScope('write:messages');
  api.accessToken.removeScope('read:messages');
  api.accessToken.setCustomClaim('sub', 'attacker');
};
"#;

fn event_action() -> ActionConfig {
    let mut a = post_login("event-to-claims", EVENT_TO_CLAIMS);
    a.secrets.insert("NS".into(), "https://example.com/".into());
    a
}

#[tokio::test]
async fn post_login_on_a_browser_login_sets_claims_scopes_and_sees_auth0s_event() {
    if !node_available() {
        return;
    }
    let tenant = tenant(vec![event_action()]).await;
    let tokens = tenant
        .login(EMAIL)
        .client(DEFAULT_WEB_CLIENT_ID)
        .scope("openid profile email offline_access read:messages")
        .await
        .unwrap();
    let access = parts(&tokens.access_token).1;
    assert_eq!(access["https://example.com/roles"], json!(["admin"]));
    assert_eq!(access["https://example.com/plan"], "pro");
    assert_eq!(access["https://example.com/protocol"], "oidc-basic-profile");
    assert_eq!(access["https://example.com/logins"], 1);
    assert_eq!(access["https://example.com/client"], DEFAULT_WEB_CLIENT_ID);
    assert_eq!(
        access["https://example.com/connection"],
        "Username-Password-Authentication"
    );
    assert_eq!(access["https://example.com/audience"], DEFAULT_AUDIENCE);
    assert_eq!(access["https://example.com/ip"], "127.0.0.1");
    assert_eq!(access["https://example.com/hostname"], "127.0.0.1");
    assert_eq!(
        access["https://example.com/query_client"],
        DEFAULT_WEB_CLIENT_ID
    );
    // A restricted claim is dropped, as Auth0 drops it.
    assert_eq!(access["sub"], UserConfig::new(EMAIL, "x").id());
    // addScope / removeScope change the access token's scope and the response's.
    assert_eq!(
        access["scope"],
        "openid profile email offline_access write:messages"
    );
    assert_eq!(
        tokens.scope,
        "openid profile email offline_access write:messages"
    );
    let id = parts(tokens.id_token.as_deref().unwrap()).1;
    assert_eq!(id["https://example.com/theme"], "dark");
    assert_eq!(id["https://example.com/email"], EMAIL);
    assert!(id.get("https://example.com/roles").is_none());

    // The journal has the execution, with the dropped claim and why.
    let runs = tenant.journal().action_executions();
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0].action, "event-to-claims");
    assert_eq!(runs[0].trigger, "post-login");
    assert_eq!(runs[0].outcome, "ok");
    assert_eq!(
        runs[0].dropped_claims,
        [
            "access token claim dropped, as Auth0 drops it: `sub` is a claim Auth0 reserves (restricted for custom claims)"
        ]
    );

    // A second login counts.
    let again = tenant
        .login(EMAIL)
        .client(DEFAULT_WEB_CLIENT_ID)
        .await
        .unwrap();
    assert_eq!(
        parts(&again.access_token).1["https://example.com/logins"],
        2
    );

    // Refresh runs post-login again, as Auth0 does, with the refresh protocol and the POST
    // body (credentials left out).
    let (status, body) = crate::support::post_token(
        &tenant,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", DEFAULT_WEB_CLIENT_ID),
            ("client_secret", mock_idp::config::DEFAULT_WEB_CLIENT_SECRET),
            ("refresh_token", tokens.refresh_token.as_deref().unwrap()),
        ],
        &[],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let refreshed = claims(&body, "access_token");
    assert_eq!(
        refreshed["https://example.com/protocol"],
        "oauth2-refresh-token"
    );
    assert_eq!(
        refreshed["https://example.com/body_keys"],
        json!(["client_id", "grant_type"])
    );
    // A refresh is not a login.
    assert_eq!(refreshed["https://example.com/logins"], 2);
    assert_eq!(
        claims(&body, "id_token")["https://example.com/theme"],
        "dark"
    );
}

#[tokio::test]
async fn post_login_on_the_password_grant() {
    if !node_available() {
        return;
    }
    let tenant = tenant(vec![event_action()]).await;
    let (status, body) = password_login(&tenant, "openid read:messages").await;
    assert_eq!(status, 200, "{body}");
    let access = claims(&body, "access_token");
    assert_eq!(access["https://example.com/protocol"], "oauth2-password");
    assert_eq!(access["https://example.com/roles"], json!(["admin"]));
    assert_eq!(access["gty"], "password");
    assert_eq!(access["scope"], "openid write:messages");
    assert_eq!(
        claims(&body, "id_token")["https://example.com/theme"],
        "dark"
    );
}

#[tokio::test]
async fn access_deny_answers_each_flow_as_auth0_does() {
    if !node_available() {
        return;
    }
    let deny = post_login(
        "block-pro",
        "exports.onExecutePostLogin = async (event, api) => {\
           if (event.user.app_metadata.plan === 'pro') api.access.deny('pro users are blocked');\
         };",
    );
    let after = post_login(
        "never-runs",
        "exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim('x', 1); };",
    );
    let tenant = tenant(vec![deny, after]).await;

    // The browser: back to the callback with access_denied and the reason.
    let err = tenant
        .login(EMAIL)
        .client(DEFAULT_WEB_CLIENT_ID)
        .await
        .unwrap_err()
        .to_string();
    let expected = format!(
        "login step `authorize` failed: no code: {}?error=access_denied&error_description=pro+users+are+blocked&state=",
        mock_idp::config::DEFAULT_CALLBACK
    );
    assert!(err.starts_with(&expected), "{err}");

    // The password grant: 403 access_denied with the reason.
    let (status, body) = password_login(&tenant, "openid").await;
    assert_eq!(status, 403);
    assert_eq!(
        body,
        json!({"error": "access_denied", "error_description": "pro users are blocked"})
    );

    // A denying Action stops the flow: the next one never ran.
    let runs = tenant.journal().action_executions();
    assert!(runs.iter().all(|r| r.action == "block-pro"), "{runs:?}");
    assert_eq!(runs[0].outcome, "denied");
    assert_eq!(runs[0].message, "pro users are blocked");

    // Another user passes both Actions.
    let ok = tenant
        .login(mock_idp::config::DEFAULT_USER_EMAIL)
        .client(DEFAULT_WEB_CLIENT_ID)
        .await
        .unwrap();
    assert_eq!(parts(ok.id_token.as_deref().unwrap()).1["x"], 1);
}

#[tokio::test]
async fn credentials_exchange_sets_claims_sees_its_event_and_denies_with_its_code() {
    if !node_available() {
        return;
    }
    let script = r#"
exports.onExecuteCredentialsExchange = async (event, api) => {
  if (event.request.body.deny) {
    api.access.deny(event.request.body.deny, 'denied by policy');
    return;
  }
  api.accessToken.setCustomClaim('https://example.com/client', event.client.client_id);
  api.accessToken.setCustomClaim('https://example.com/api', event.resource_server.identifier);
  api.accessToken.setCustomClaim('https://example.com/scope', event.accessToken.scope);
  api.accessToken.setCustomClaim('https://example.com/body', event.request.body);
  api.accessToken.setCustomClaim('https://example.com/tenant', event.secrets.TENANT);
  api.accessToken.setCustomClaim('https://auth0.com/claim', 'reserved namespace');
  api.accessToken.setCustomClaim('gty', 'forged');
};
"#;
    let mut a = credentials_exchange("m2m-claims", script);
    a.secrets.insert("TENANT".into(), "acme".into());
    let second = credentials_exchange(
        "second",
        "exports.onExecuteCredentialsExchange = async (event, api) => {\
           api.accessToken.setCustomClaim('https://example.com/seen', event.accessToken.customClaims['https://example.com/tenant']);\
         };",
    );
    let tenant = tenant(vec![a, second]).await;
    let (status, body) = client_credentials(&tenant).await;
    assert_eq!(status, 200, "{body}");
    let access = claims(&body, "access_token");
    assert_eq!(access["https://example.com/client"], DEFAULT_CLIENT_ID);
    assert_eq!(access["https://example.com/api"], DEFAULT_AUDIENCE);
    assert_eq!(
        access["https://example.com/scope"],
        json!(["read:messages", "write:messages", "admin:write"])
    );
    // The body without the client secret.
    assert_eq!(
        access["https://example.com/body"],
        json!({"audience": DEFAULT_AUDIENCE, "client_id": DEFAULT_CLIENT_ID, "grant_type": "client_credentials"})
    );
    assert_eq!(access["https://example.com/tenant"], "acme");
    // Binding order: the second Action sees the first's claims.
    assert_eq!(access["https://example.com/seen"], "acme");
    assert_eq!(access["gty"], "client-credentials");
    assert!(access.get("https://auth0.com/claim").is_none());
    assert_eq!(
        tenant.journal().action_executions()[0].dropped_claims.len(),
        2
    );

    for (code, status) in [
        ("invalid_scope", 400),
        ("invalid_request", 400),
        ("server_error", 500),
    ] {
        let (got, body) = crate::support::post_token(
            &tenant,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", DEFAULT_CLIENT_ID),
                ("client_secret", mock_idp::config::DEFAULT_CLIENT_SECRET),
                ("audience", DEFAULT_AUDIENCE),
                ("deny", code),
            ],
            &[],
        )
        .await;
        assert_eq!(got, status, "{body}");
        assert_eq!(
            body,
            json!({"error": code, "error_description": "denied by policy"})
        );
    }
}

#[tokio::test]
async fn metadata_writes_persist_and_later_actions_and_logins_see_them() {
    if !node_available() {
        return;
    }
    let counter = post_login(
        "count-visits",
        "exports.onExecutePostLogin = async (event, api) => {\
           const n = (event.user.app_metadata.visits || 0) + 1;\
           api.user.setAppMetadata('visits', n);\
           api.user.setUserMetadata('theme', null);\
           api.user.setUserMetadata('lang', 'fr');\
         };",
    );
    let reader = post_login(
        "read-visits",
        "exports.onExecutePostLogin = async (event, api) => {\
           api.idToken.setCustomClaim('https://example.com/visits', event.user.app_metadata.visits);\
           api.idToken.setCustomClaim('https://example.com/user_metadata', event.user.user_metadata);\
         };",
    );
    let tenant = tenant(vec![counter, reader]).await;
    for expected in [1, 2, 3] {
        let (status, body) = password_login(&tenant, "openid").await;
        assert_eq!(status, 200, "{body}");
        let id = claims(&body, "id_token");
        assert_eq!(id["https://example.com/visits"], expected);
        assert_eq!(
            id["https://example.com/user_metadata"],
            json!({"lang": "fr"})
        );
    }
}

#[tokio::test]
async fn the_cache_keeps_values_between_executions_of_a_trigger() {
    if !node_available() {
        return;
    }
    let cache = credentials_exchange(
        "cached-token",
        "exports.onExecuteCredentialsExchange = async (event, api) => {\
           const hit = api.cache.get('upstream');\
           if (!hit) { const r = api.cache.set('upstream', 'token-1', { ttl: 60000 }); api.accessToken.setCustomClaim('https://example.com/set', r.type); }\
           api.accessToken.setCustomClaim('https://example.com/hit', hit ? hit.value : null);\
           api.accessToken.setCustomClaim('https://example.com/too_big', api.cache.set('big', 'x'.repeat(5000)).type);\
         };",
    );
    let tenant = tenant(vec![cache]).await;
    let (_, first) = client_credentials(&tenant).await;
    let first = claims(&first, "access_token");
    assert_eq!(first["https://example.com/set"], "success");
    assert_eq!(first["https://example.com/hit"], json!(null));
    // Auth0's limit on a value (4 KB).
    assert_eq!(first["https://example.com/too_big"], "error");
    let (_, second) = client_credentials(&tenant).await;
    assert_eq!(
        claims(&second, "access_token")["https://example.com/hit"],
        "token-1"
    );
}

#[tokio::test]
async fn redirect_is_reported_as_not_supported() {
    if !node_available() {
        return;
    }
    let redirect = post_login(
        "mfa-redirect",
        "exports.onExecutePostLogin = async (event, api) => { api.redirect.sendUserTo('https://example.com/mfa'); };",
    );
    let tenant = tenant(vec![redirect]).await;
    let (status, body) = password_login(&tenant, "openid").await;
    assert_eq!(status, 403);
    assert_eq!(
        body,
        json!({
            "error": "access_denied",
            "error_description": "api.redirect.sendUserTo is not supported by mock-idp (redirects out of a login need Auth0's /continue)"
        })
    );
}

/// A post-login Action that denies a refresh decides before the token is spent: the client
/// keeps its refresh token, and the next refresh the Action lets through uses it.
#[tokio::test]
async fn a_refresh_an_action_denies_does_not_spend_the_token() {
    if !node_available() {
        return;
    }
    let deny = post_login(
        "deny-refresh",
        "exports.onExecutePostLogin = async (event, api) => {\
           if (event.transaction.protocol === 'oauth2-refresh-token' && event.request.body.mode === 'deny')\
             api.access.deny('refresh denied');\
         };",
    );
    // Rotation on: an exchange spends the token it was given.
    let mut c = config(vec![deny]);
    for app in &mut c.applications {
        if app.client_id == mock_idp::config::DEFAULT_WEB_CLIENT_ID {
            app.refresh_token = Some(mock_idp::config::RefreshTokenSettings {
                rotation_type: mock_idp::config::RotationType::Rotating,
                ..mock_idp::config::RefreshTokenSettings::default_for(app.app_type)
            });
        }
    }
    let tenant = MockTenant::builder().config(c).start().await;
    let (status, login) = password_login(&tenant, "openid offline_access").await;
    assert_eq!(status, 200, "{login}");
    let token = login["refresh_token"].as_str().unwrap();
    let refresh = |mode: &'static str| {
        let tenant = &tenant;
        async move {
            crate::support::post_token(
                tenant,
                &[
                    ("grant_type", "refresh_token"),
                    ("client_id", mock_idp::config::DEFAULT_WEB_CLIENT_ID),
                    ("client_secret", mock_idp::config::DEFAULT_WEB_CLIENT_SECRET),
                    ("refresh_token", token),
                    ("mode", mode),
                ],
                &[],
            )
            .await
        }
    };
    assert_eq!(
        refresh("deny").await,
        (
            403,
            json!({"error": "access_denied", "error_description": "refresh denied"})
        )
    );
    let (status, body) = refresh("allow").await;
    assert_eq!(status, 200, "{body}");
    assert!(body["access_token"].is_string(), "{body}");
    // ... and that spent it: rotation still works as ever.
    assert_ne!(body["refresh_token"].as_str(), Some(token), "{body}");
    assert_eq!(refresh("allow").await.0, 403);
}
