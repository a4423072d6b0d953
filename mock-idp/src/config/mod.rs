//! Tenant configuration: the APIs ("resource servers") and applications of an Auth0 tenant,
//! read from TOML.
//!
//! ```toml
//! [[apis]]
//! identifier = "https://my-flask-api"
//! signing_alg = "RS256"
//! token_lifetime = 86400
//! dialect = "access_token"      # access_token | access_token_authz | rfc9068_profile | rfc9068_profile_authz
//! permissions = ["read:messages", "write:messages", "admin:write"]
//!
//! [[applications]]
//! client_id = "mock-test-client"
//! client_secret = "mock-test-secret"
//! [applications.grants]
//! "https://my-flask-api" = ["read:messages", "write:messages", "admin:write"]
//! ```
//!
//! | file | what it holds |
//! |---|---|
//! | `api` | [`ApiConfig`] and its [`Dialect`]; the Management API's name and scopes; reserved claims |
//! | `application` | [`ApplicationConfig`]: type, grants, auth method, URLs, refresh token settings |
//! | `users` | [`UserConfig`] and [`RoleConfig`]: who can log in and their permissions |
//! | `actions` | [`ActionConfig`]: the tenant's Actions and their bindings; [`ActionsRuntime`]: the Node worker |
//! | `mfa` | [`MfaConfig`]: a user's OTP (TOTP) enrolment and recovery codes |
//! | `exchange` | token exchange profiles, organizations, Token Vault entries |
//! | `invitation` | [`InvitationConfig`]: an organization's pending invitations |
//! | `sessions` | login session lifetimes (`session_lifetime`, `idle_session_lifetime`) and their limits |
//! | `resource` | [`ResourceParameterProfile`]: how `resource` (RFC 8707) names an API, beside `audience` |
//! | `client_documents` | [`ClientIdMetadataDocuments`]: `https` URLs as `client_id`, and what the tenant may fetch |
//! | `tenant` | [`TenantConfig`]: the whole tenant, its quickstart defaults, loading and validation |
//! | `snapshot` | `Snapshot`: the configuration at one instant, as a request reads it (users indexed by id and email) |
//! | [`deploy`] | Auth0 Deploy CLI exports (`tenant.yaml`, a directory) into the model and back |

mod actions;
mod api;
mod application;
mod client_documents;
pub mod deploy;
mod exchange;
mod invitation;
mod mfa;
mod resource;
mod sessions;
mod snapshot;
mod tenant;
mod users;

pub use actions::{
    ActionConfig, ActionDependency, ActionTrigger, ActionVersion, ActionsRuntime,
    MAX_ACTION_TIMEOUT_MS, ManagedAction,
};
pub(crate) use actions::{DEFAULT_RUNTIME, MAX_ACTION_CODE, MAX_ACTIONS, uuid_from};
pub(crate) use api::custom_claim_problem;
pub use api::{
    ApiConfig, Dialect, MANAGEMENT_API, MANAGEMENT_SCOPES, MIN_SIGNING_SECRET_LEN,
    RESTRICTED_CLAIMS, SIGNING_ALGS,
};
pub use application::{
    AppType, ApplicationConfig, AuthMethod, GrantType, IdTokenAlg, JwtConfiguration,
    RefreshTokenSettings, RotationType,
};
pub(crate) use application::{is_displayable_name, is_loopback_host};
pub use client_documents::ClientIdMetadataDocuments;
pub use exchange::{
    ACCESS_TOKEN_TYPE, ExchangeProfile, FEDERATED_CONNECTION_TOKEN_TYPE, OrganizationConfig,
    OrganizationUsage, RESERVED_TOKEN_TYPE_PREFIXES, SubjectValidation, VaultEntry,
    is_reserved_token_type,
};
pub use invitation::InvitationConfig;
pub use mfa::{MfaConfig, MfaPolicy, OTP_STEP};
pub use resource::{ResourceError, ResourceParameterProfile};
pub use sessions::{
    DEFAULT_IDLE_SESSION_LIFETIME, DEFAULT_SESSION_LIFETIME, MAX_IDLE_SESSION_LIFETIME,
    MAX_SESSION_LIFETIME,
};
pub(crate) use sessions::{SessionPolicy, lifetime_problem};
pub(crate) use snapshot::{Snapshot, Users};
pub use tenant::{
    ConfigError, DATABASE_CONNECTION, DEFAULT_AUDIENCE, DEFAULT_CALLBACK, DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET, DEFAULT_SPA_CLIENT_ID, DEFAULT_WEB_CLIENT_ID, DEFAULT_WEB_CLIENT_SECRET,
    TenantConfig,
};
pub(crate) use users::check_user;
pub use users::{DEFAULT_USER_EMAIL, DEFAULT_USER_PASSWORD, RoleConfig, UserConfig};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_quickstart() {
        let c = TenantConfig::default();
        assert!(c.validate().is_ok());
        assert_eq!(c.apis[0].identifier, DEFAULT_AUDIENCE);
    }

    #[test]
    fn example_file_in_fixtures_parses() {
        let c = TenantConfig::parse(
            include_str!("../../fixtures/tenant.example.toml"),
            "tenant.example.toml",
        )
        .unwrap();
        assert_eq!(c.apis.len(), 2);
        assert_eq!(
            c.applications[1].grants["https://my-flask-api"],
            ["read:messages"]
        );
    }

    #[test]
    fn parses_full_example() {
        let text = r#"
[[apis]]
identifier = "https://a"
dialect = "rfc9068_profile_authz"
permissions = ["read:x"]

[[applications]]
client_id = "c"
client_secret = "s"
[applications.grants]
"https://a" = ["read:x"]
"#;
        let c = TenantConfig::parse(text, "t.toml").unwrap();
        assert_eq!(c.apis[0].dialect, Dialect::Rfc9068ProfileAuthz);
    }

    #[test]
    fn errors_name_file_key_and_problem_on_one_line() {
        let e = TenantConfig::parse("[[apis]]\nidentifer = \"x\"\n", "t.toml").unwrap_err();
        let msg = e.to_string();
        assert!(msg.starts_with("t.toml: line 2"), "{msg}");
        assert!(msg.contains("identifer"), "{msg}");
        assert!(!msg.contains('\n'));

        let text = "[[apis]]\nidentifier = \"https://a\"\n[[applications]]\nclient_id=\"c\"\nclient_secret=\"s\"\n[applications.grants]\n\"https://b\" = []\n";
        let msg = TenantConfig::parse(text, "t.toml").unwrap_err().to_string();
        assert_eq!(
            msg,
            "t.toml: applications[0].grants.\"https://b\": no API with identifier `https://b`"
        );
    }
}
