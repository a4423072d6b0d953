//! Tenant settings for the token-exchange family and Organizations, kept apart from the core
//! tenant types: exchange profiles (Custom Token Exchange), the Custom API clients that may
//! exchange tokens of their API (On-Behalf-Of, Token Vault), the Token Vault itself, and
//! Organizations for machine-to-machine applications.
//!
//! ```toml
//! custom_domains = ["auth.example.com"]      # more names the tenant answers on (same port)
//!
//! [[exchange_profiles]]
//! name = "external-idp"
//! subject_token_type = "urn:example:external-idp"   # https:// or urn:, not a reserved namespace
//! validation = "jwks"                               # tenant | jwks | action
//! issuer = "https://idp.example/"                   # jwks: the subject token's `iss`
//! jwks_uri = "https://idp.example/.well-known/jwks.json"
//! audience = "https://my-flask-api"                 # jwks: the subject token's `aud` (optional)
//! # validation = "action", action = "my-action"     # a closure given to TenantBuilder::exchange_action
//!
//! [custom_api_clients]                              # API identifier -> its Custom API client
//! "https://my-flask-api" = "my-flask-api-client"
//!
//! [[token_vault]]                                   # upstream tokens per user `sub` and connection
//! user = "auth0|alice"
//! connection = "google-oauth2"
//! access_token = "ya29.alice-google"
//! scope = "https://www.googleapis.com/auth/calendar.readonly"
//! expires_in = 3600
//!
//! [[organizations]]
//! id = "org_acme"
//! name = "acme"                                     # `org_name` in tokens when set
//! applications = ["mock-test-client"]               # M2M applications that may use it
//! ```
//!
//! Applications choose how they use organizations with `organization_usage` (`deny`, the
//! default, `allow` or `require`) in their own `[[applications]]` entry.

use serde::{Deserialize, Serialize};

/// The RFC 8693 token type of an access token (On-Behalf-Of, Token Vault).
pub const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";
/// The token type Auth0 issues for a Token Vault exchange.
pub const FEDERATED_CONNECTION_TOKEN_TYPE: &str =
    "http://auth0.com/oauth/token-type/federated-connection-access-token";

/// Namespaces a profile's `subject_token_type` may not use: Auth0 keeps them for itself.
pub const RESERVED_TOKEN_TYPE_PREFIXES: [&str; 7] = [
    "http://auth0.com",
    "https://auth0.com",
    "http://okta.com",
    "https://okta.com",
    "urn:ietf",
    "urn:auth0",
    "urn:okta",
];

/// How a profile decides that a subject token is genuine (in Auth0, the profile's Action).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubjectValidation {
    /// A token this tenant signed (any of its domains), not expired.
    Tenant,
    /// A token signed by a key of another issuer's JWKS (`issuer`, `jwks_uri`, `audience`).
    Jwks,
    /// A Rust closure registered with `TenantBuilder::exchange_action` under `action`.
    Action,
}

/// One Custom Token Exchange profile: a subject token type and how to check its tokens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExchangeProfile {
    /// Display name (errors and logs).
    pub name: String,
    /// The `subject_token_type` that selects this profile.
    pub subject_token_type: String,
    /// How the subject token is checked.
    pub validation: SubjectValidation,
    /// `jwks`: the issuer subject tokens must carry in `iss`.
    #[serde(default)]
    pub issuer: Option<String>,
    /// `jwks`: where that issuer publishes its keys (fetched on each exchange; http or https).
    #[serde(default)]
    pub jwks_uri: Option<String>,
    /// `jwks`: a PEM CA to trust for `jwks_uri` beside the platform roots.
    #[serde(default)]
    pub ca_file: Option<String>,
    /// `jwks` and `tenant`: the audience subject tokens must carry, if any.
    #[serde(default)]
    pub audience: Option<String>,
    /// `action`: the name given to `TenantBuilder::exchange_action`.
    #[serde(default)]
    pub action: Option<String>,
}

/// One upstream token in the Token Vault: what the federated-connection grant returns for
/// `user` (the `sub` of the subject token) and `connection`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VaultEntry {
    /// The user id, as the subject token's `sub` carries it (`auth0|alice`).
    pub user: String,
    /// The connection name (`google-oauth2`).
    pub connection: String,
    /// The provider's access token handed out.
    pub access_token: String,
    /// The provider scopes granted.
    #[serde(default)]
    pub scope: Option<String>,
    /// Lifetime in seconds reported in `expires_in`.
    #[serde(default = "default_vault_lifetime")]
    pub expires_in: i64,
    /// When set, only a request whose `login_hint` equals it gets this token (the account id
    /// of the connected account, when a user linked several).
    #[serde(default)]
    pub login_hint: Option<String>,
}

fn default_vault_lifetime() -> i64 {
    3600
}

/// How an application uses Organizations on client_credentials (Auth0's setting).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrganizationUsage {
    /// `organization` is refused (the default).
    #[default]
    Deny,
    /// `organization` is optional.
    Allow,
    /// `organization` is mandatory.
    Require,
}

/// One Organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganizationConfig {
    /// `org_…` identifier (`org_id` claim).
    pub id: String,
    /// Name (`org_name` claim, lower case); requests may name the organization by it.
    #[serde(default)]
    pub name: Option<String>,
    /// client_ids of the machine-to-machine applications associated with it.
    #[serde(default)]
    pub applications: Vec<String>,
    /// Its members, by `user_id` or email: who may log in to it at `/authorize`.
    #[serde(default)]
    pub members: Vec<String>,
    /// Display name (Auth0's `display_name`); the name when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Roles of members within the organization: member (`user_id`) -> role names.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub member_roles: std::collections::BTreeMap<String, Vec<String>>,
    /// Pending invitations (Auth0's organization invitations), created over the Management
    /// API and kept here so the state directory keeps them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub invitations: Vec<super::InvitationConfig>,
}

impl OrganizationConfig {
    /// Whether `user` is a member (listed by `user_id`, or by email compared case-insensitively).
    pub fn has_member(&self, user: &super::UserConfig) -> bool {
        let id = user.id();
        self.members
            .iter()
            .any(|m| *m == id || m.eq_ignore_ascii_case(&user.email))
    }

    /// Whether `value` (an id, or a name compared case-insensitively) names this organization.
    pub fn is_named(&self, value: &str) -> bool {
        self.id == value
            || self
                .name
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(value))
    }
}

/// Whether `t` sits in a namespace Auth0 reserves.
pub fn is_reserved_token_type(t: &str) -> bool {
    let lower = t.to_ascii_lowercase();
    RESERVED_TOKEN_TYPE_PREFIXES
        .iter()
        .any(|p| lower.starts_with(p))
}
