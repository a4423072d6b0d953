//! The two tenants the Actions benchmark and the `actions_overhead` example compare: the
//! default tenant with the password grant on the web client, with or without a trivial Action
//! per trigger. One copy, included by both (`#[path]`), so they measure the same thing.

use mock_idp::MockTenant;
use mock_idp::config::{
    ActionConfig, ActionTrigger, DATABASE_CONNECTION, DEFAULT_WEB_CLIENT_ID, GrantType,
    TenantConfig,
};

/// Starts the tenant (needs `node` on PATH when `with_actions`).
pub(crate) fn tenant(with_actions: bool) -> MockTenant {
    let mut c = TenantConfig {
        default_directory: Some(DATABASE_CONNECTION.into()),
        ..TenantConfig::default()
    };
    for app in &mut c.applications {
        if app.client_id == DEFAULT_WEB_CLIENT_ID {
            app.grant_types = Some(vec![
                GrantType::AuthorizationCode,
                GrantType::RefreshToken,
                GrantType::Password,
            ]);
        }
    }
    if with_actions {
        c.actions = vec![
            ActionConfig::inline(
                "m2m",
                ActionTrigger::CredentialsExchange,
                "exports.onExecuteCredentialsExchange = async (event, api) => {\
                   api.accessToken.setCustomClaim('https://example.com/tier', 'gold');\
                 };",
            ),
            ActionConfig::inline(
                "login",
                ActionTrigger::PostLogin,
                "exports.onExecutePostLogin = async (event, api) => {\
                   api.accessToken.setCustomClaim('https://example.com/roles', event.authorization.roles);\
                 };",
            ),
        ];
    }
    MockTenant::builder()
        .config(c)
        .try_start()
        .expect("the tenant starts (is node on PATH?)")
}
