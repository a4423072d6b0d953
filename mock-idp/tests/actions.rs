//! Auth0 Actions run by the tenant's Node worker, through real flows over HTTPS: post-login on
//! the browser login, the password grant and refresh; credentials-exchange on
//! client_credentials. Each `api` call, the `event` each trigger gets, denies and failures with
//! each flow's Auth0 answer, the worker's sandbox against an attacking Action, its restarts,
//! and where Actions come from (TOML, Deploy CLI export).
//!
//! These tests need `node` (20 or newer) on PATH, as `.ci/run` installs it; without it each
//! says so and does nothing (the start-up refusal itself is tested with a missing binary).

mod flows;
mod management;
mod management_refusals;
mod runtime;
mod sandbox;
mod sources;

use mock_idp::config::{
    ActionConfig, ActionTrigger, DATABASE_CONNECTION, RoleConfig, TenantConfig, UserConfig,
};
use mock_idp::{MockTenant, TenantBuilder};
use serde_json::Value;

use crate::support::parts;

/// The user the post-login tests log in: roles, app and user metadata.
const EMAIL: &str = "ada@example.com";
const PASSWORD: &str = "ada-pass";

pub(crate) use crate::support::node_available;

/// The quickstart tenant with a Default Directory (password grant), Ada (role `admin`,
/// metadata) and `actions`.
fn config(actions: Vec<ActionConfig>) -> TenantConfig {
    let mut c = TenantConfig {
        default_directory: Some(DATABASE_CONNECTION.into()),
        actions,
        ..TenantConfig::default()
    };
    c.roles.push(RoleConfig {
        permissions: [(c.apis[0].identifier.clone(), vec!["read:messages".into()])].into(),
        ..RoleConfig::new("admin")
    });
    let mut ada = UserConfig::new(EMAIL, PASSWORD);
    ada.roles = vec!["admin".into()];
    ada.app_metadata.insert("plan".into(), "pro".into());
    ada.user_metadata.insert("theme".into(), "dark".into());
    c.users.push(ada);
    // The web application may use the password grant too.
    for app in &mut c.applications {
        if app.client_id == mock_idp::config::DEFAULT_WEB_CLIENT_ID {
            app.grant_types = Some(vec![
                mock_idp::config::GrantType::AuthorizationCode,
                mock_idp::config::GrantType::RefreshToken,
                mock_idp::config::GrantType::Password,
            ]);
        }
    }
    c
}

fn post_login(name: &str, script: &str) -> ActionConfig {
    ActionConfig::inline(name, ActionTrigger::PostLogin, script)
}

fn credentials_exchange(name: &str, script: &str) -> ActionConfig {
    ActionConfig::inline(name, ActionTrigger::CredentialsExchange, script)
}

/// A started tenant with `actions` (and `runtime` edits).
async fn tenant(actions: Vec<ActionConfig>) -> MockTenant {
    builder(actions).start().await
}

fn builder(actions: Vec<ActionConfig>) -> TenantBuilder {
    MockTenant::builder().config(config(actions))
}

/// client_credentials with `mode` in the body (which Actions read from
/// `event.request.body.mode`): (status, body).
async fn client_credentials_mode(tenant: &MockTenant, mode: &str) -> (u16, Value) {
    crate::support::post_token(
        tenant,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", mock_idp::config::DEFAULT_CLIENT_ID),
            ("client_secret", mock_idp::config::DEFAULT_CLIENT_SECRET),
            ("audience", mock_idp::config::DEFAULT_AUDIENCE),
            ("mode", mode),
        ],
        &[],
    )
    .await
}

/// client_credentials with the default M2M application: (status, body).
async fn client_credentials(tenant: &MockTenant) -> (u16, Value) {
    crate::support::post_token(
        tenant,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", mock_idp::config::DEFAULT_CLIENT_ID),
            ("client_secret", mock_idp::config::DEFAULT_CLIENT_SECRET),
            ("audience", mock_idp::config::DEFAULT_AUDIENCE),
        ],
        &[],
    )
    .await
}

/// The password grant for Ada with the web application: (status, body).
async fn password_login(tenant: &MockTenant, scope: &str) -> (u16, Value) {
    crate::support::post_token(
        tenant,
        &[
            ("grant_type", "password"),
            ("client_id", mock_idp::config::DEFAULT_WEB_CLIENT_ID),
            ("client_secret", mock_idp::config::DEFAULT_WEB_CLIENT_SECRET),
            ("username", EMAIL),
            ("password", PASSWORD),
            ("scope", scope),
        ],
        &[],
    )
    .await
}

/// The payload of `body[field]` (a JWT).
fn claims(body: &Value, field: &str) -> Value {
    parts(
        body[field]
            .as_str()
            .unwrap_or_else(|| panic!("no {field}: {body}")),
    )
    .1
}
