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

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::keys::SigAlg;

mod exchange;
mod users;
pub use exchange::{
    ACCESS_TOKEN_TYPE, ExchangeProfile, FEDERATED_CONNECTION_TOKEN_TYPE, OrganizationConfig,
    OrganizationUsage, RESERVED_TOKEN_TYPE_PREFIXES, SubjectValidation, VaultEntry,
    is_reserved_token_type,
};
pub use users::{DEFAULT_USER_EMAIL, DEFAULT_USER_PASSWORD, RoleConfig, UserConfig};

/// Auth0 access-token profiles ("Token Dialect" of an API).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "cli", value(rename_all = "snake_case"))]
pub enum Dialect {
    /// Auth0's default: `typ: JWT`, `azp`, no `jti`/`client_id`.
    #[default]
    AccessToken,
    /// `access_token` plus a `permissions` array.
    AccessTokenAuthz,
    /// RFC 9068: `typ: at+jwt`, `client_id`, `jti`.
    Rfc9068Profile,
    /// `rfc9068_profile` plus a `permissions` array.
    Rfc9068ProfileAuthz,
}

impl Dialect {
    /// Whether the profile is RFC 9068 (`at+jwt`, `client_id`, `jti`).
    pub fn is_rfc9068(self) -> bool {
        matches!(self, Dialect::Rfc9068Profile | Dialect::Rfc9068ProfileAuthz)
    }

    /// Whether tokens carry a `permissions` claim.
    pub fn has_permissions(self) -> bool {
        matches!(
            self,
            Dialect::AccessTokenAuthz | Dialect::Rfc9068ProfileAuthz
        )
    }
}

/// One API of the tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiConfig {
    /// The audience value (`aud`).
    pub identifier: String,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// JWS algorithm of issued tokens (RS256 or another RSA alg).
    #[serde(default = "default_alg")]
    pub signing_alg: String,
    /// Token lifetime in seconds (`expires_in`).
    #[serde(default = "default_lifetime")]
    pub token_lifetime: i64,
    /// Token profile.
    #[serde(default)]
    pub dialect: Dialect,
    /// Scopes the API defines.
    #[serde(default)]
    pub permissions: Vec<String>,
    /// Whether applications may get refresh tokens (`offline_access`) for this API (Auth0's
    /// "Allow Offline Access"; off by default there, as here).
    #[serde(default)]
    pub allow_offline_access: bool,
    /// Claims every token for this API carries (what a credentials-exchange Action's
    /// `api.accessToken.setCustomClaim` adds on Auth0). Checked against Auth0's restrictions.
    #[serde(default)]
    pub custom_claims: serde_json::Map<String, serde_json::Value>,
    /// Set by the tenant on its Management API when it starts (not read from a file): its
    /// scopes go only to the applications the operator granted them, through
    /// client_credentials, and user flows never grant them ([`ApiConfig::user_permissions`]).
    #[serde(skip)]
    pub operator_only: bool,
}

fn default_alg() -> String {
    "RS256".into()
}

fn default_lifetime() -> i64 {
    86_400
}

impl ApiConfig {
    /// An API with Auth0's defaults (RS256, 86,400 s, the `access_token` dialect) and no
    /// permissions.
    pub fn new(identifier: &str) -> Self {
        ApiConfig {
            identifier: identifier.to_owned(),
            name: None,
            signing_alg: default_alg(),
            token_lifetime: default_lifetime(),
            dialect: Dialect::AccessToken,
            permissions: Vec::new(),
            custom_claims: serde_json::Map::new(),
            allow_offline_access: false,
            operator_only: false,
        }
    }

    /// The permissions a user flow (authorization code, auto-login, refresh, token exchange)
    /// may grant: none on the Management API, whose token for a user on Auth0 carries only
    /// `*:current_user` scopes, which this mock does not serve.
    pub fn user_permissions(&self) -> &[String] {
        if self.operator_only {
            &[]
        } else {
            &self.permissions
        }
    }

    /// Whether this is the tenant's Management API (its scopes steer the tenant).
    pub fn is_management_api(&self) -> bool {
        self.operator_only
    }

    /// The RSA algorithm for `signing_alg` (validated at load time; RS256 otherwise).
    pub fn sig_alg(&self) -> SigAlg {
        self.signing_alg.parse().unwrap_or(SigAlg::RS256)
    }
}

/// Auth0's application types (`app_type` in the Management API).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppType {
    /// Machine to machine (Auth0 calls it `non_interactive`; `m2m` is accepted too).
    #[default]
    #[serde(alias = "m2m")]
    NonInteractive,
    /// A single-page application: a public client in a browser.
    Spa,
    /// A server-side web application: a confidential client.
    RegularWeb,
    /// A mobile or desktop application: a public client.
    Native,
}

impl AppType {
    /// The grants Auth0 enables for a new application of this type.
    pub fn default_grant_types(self) -> &'static [GrantType] {
        use GrantType::*;
        match self {
            AppType::NonInteractive => &[ClientCredentials],
            AppType::Spa | AppType::Native => &[AuthorizationCode, Implicit, RefreshToken],
            AppType::RegularWeb => &[AuthorizationCode, Implicit, RefreshToken, ClientCredentials],
        }
    }

    /// How a new application of this type authenticates at the token endpoint.
    pub fn default_auth_method(self) -> AuthMethod {
        match self {
            AppType::Spa | AppType::Native => AuthMethod::None,
            AppType::NonInteractive | AppType::RegularWeb => AuthMethod::ClientSecretPost,
        }
    }
}

/// The grants an Auth0 application can be allowed, by their Auth0 names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum GrantType {
    #[serde(rename = "client_credentials")]
    ClientCredentials,
    #[serde(rename = "authorization_code")]
    AuthorizationCode,
    #[serde(rename = "implicit")]
    Implicit,
    #[serde(rename = "refresh_token")]
    RefreshToken,
    #[serde(rename = "password")]
    Password,
    #[serde(rename = "http://auth0.com/oauth/grant-type/password-realm")]
    PasswordRealm,
    #[serde(rename = "urn:ietf:params:oauth:grant-type:device_code")]
    DeviceCode,
    #[serde(rename = "urn:ietf:params:oauth:grant-type:token-exchange")]
    TokenExchange,
    #[serde(
        rename = "urn:auth0:params:oauth:grant-type:token-exchange:federated-connection-access-token"
    )]
    FederatedConnection,
}

impl GrantType {
    /// Every grant Auth0 knows.
    pub const ALL: [GrantType; 9] = [
        GrantType::ClientCredentials,
        GrantType::AuthorizationCode,
        GrantType::Implicit,
        GrantType::RefreshToken,
        GrantType::Password,
        GrantType::PasswordRealm,
        GrantType::DeviceCode,
        GrantType::TokenExchange,
        GrantType::FederatedConnection,
    ];

    /// The `grant_type` value (Auth0's name).
    pub fn as_str(self) -> &'static str {
        match self {
            GrantType::ClientCredentials => "client_credentials",
            GrantType::AuthorizationCode => "authorization_code",
            GrantType::Implicit => "implicit",
            GrantType::RefreshToken => "refresh_token",
            GrantType::Password => "password",
            GrantType::PasswordRealm => "http://auth0.com/oauth/grant-type/password-realm",
            GrantType::DeviceCode => "urn:ietf:params:oauth:grant-type:device_code",
            GrantType::TokenExchange => "urn:ietf:params:oauth:grant-type:token-exchange",
            GrantType::FederatedConnection => {
                "urn:auth0:params:oauth:grant-type:token-exchange:federated-connection-access-token"
            }
        }
    }

    /// The grant a `grant_type` value names, if Auth0 knows it.
    pub fn from_name(name: &str) -> Option<GrantType> {
        GrantType::ALL.into_iter().find(|g| g.as_str() == name)
    }
}

/// How an application authenticates at the token endpoint (`token_endpoint_auth_method`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    /// A public client: no secret (SPA, native).
    None,
    /// The secret in the request body.
    ClientSecretPost,
    /// The secret in HTTP Basic.
    ClientSecretBasic,
}

/// One application (Auth0 "client"), named by Auth0's application settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplicationConfig {
    /// OAuth client_id.
    pub client_id: String,
    /// OAuth client_secret (may be empty for a public client).
    #[serde(default)]
    pub client_secret: String,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// Application type; machine to machine when absent.
    #[serde(default)]
    pub app_type: AppType,
    /// Grants the application may use; Auth0's defaults for its type when absent.
    #[serde(default)]
    pub grant_types: Option<Vec<GrantType>>,
    /// Client authentication at the token endpoint; the type's default when absent.
    #[serde(default)]
    pub token_endpoint_auth_method: Option<AuthMethod>,
    /// API identifier → scopes this client may obtain for it (Auth0 "client grants").
    #[serde(default)]
    pub grants: BTreeMap<String, Vec<String>>,
    /// Allowed Callback URLs: `redirect_uri` must equal one of them exactly.
    #[serde(default)]
    pub callbacks: Vec<String>,
    /// Allowed Logout URLs: where `/v2/logout` and `/oidc/logout` may send the browser.
    #[serde(default)]
    pub allowed_logout_urls: Vec<String>,
    /// Allowed Web Origins: origins whose scripts may call `/oauth/token`, `/userinfo` and
    /// `/oauth/revoke` (CORS).
    #[serde(default)]
    pub web_origins: Vec<String>,
    /// Refresh token rotation and lifetimes; Auth0's defaults for the type when absent.
    #[serde(default)]
    pub refresh_token: Option<RefreshTokenSettings>,
    /// Accept PKCE `code_challenge_method=plain` (S256 only otherwise; RFC 9700 §2.1.1).
    #[serde(default)]
    pub allow_plain_pkce: bool,
    /// Claims every client_credentials token of this application carries (the role of a
    /// credentials-exchange Action); they win over the API's `custom_claims`.
    #[serde(default)]
    pub custom_claims: serde_json::Map<String, serde_json::Value>,
    /// Whether client_credentials may, must or must not name an `organization`.
    #[serde(default)]
    pub organization_usage: OrganizationUsage,
    /// Auth0's `is_first_party` (default true). A third-party application needs the user's
    /// consent, which the mock has no screen for: `prompt=none` answers it `consent_required`.
    #[serde(default = "first_party", skip_serializing_if = "is_first_party")]
    pub is_first_party: bool,
}

fn first_party() -> bool {
    true
}

fn is_first_party(v: &bool) -> bool {
    *v
}

/// Whether a refresh token is replaced on every use (Auth0's `rotation_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RotationType {
    /// Each use returns a new refresh token and invalidates the old one; reusing an old one
    /// revokes the whole family.
    Rotating,
    /// The same refresh token serves until it expires or is revoked.
    NonRotating,
}

/// An application's refresh token settings, named as Auth0's application settings name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefreshTokenSettings {
    /// `rotating` or `non-rotating`.
    pub rotation_type: RotationType,
    /// Seconds during which the immediately previous token of a family still works (the
    /// "reuse interval"; 0 = none).
    #[serde(default)]
    pub leeway: i64,
    /// Absolute lifetime of a family in seconds (not extended by rotation).
    #[serde(default = "default_refresh_lifetime")]
    pub token_lifetime: i64,
    /// Seconds a token may go unused before it expires (renewed by each exchange).
    #[serde(default = "default_refresh_lifetime")]
    pub idle_token_lifetime: i64,
}

fn default_refresh_lifetime() -> i64 {
    2_592_000
}

impl RefreshTokenSettings {
    /// Auth0's defaults: rotation for browser apps (a SPA gets refresh tokens only with
    /// rotation), none for the others; 30 days absolute and idle.
    pub fn default_for(app_type: AppType) -> Self {
        RefreshTokenSettings {
            rotation_type: match app_type {
                AppType::Spa => RotationType::Rotating,
                _ => RotationType::NonRotating,
            },
            leeway: 0,
            token_lifetime: default_refresh_lifetime(),
            idle_token_lifetime: default_refresh_lifetime(),
        }
    }
}

impl ApplicationConfig {
    /// A machine-to-machine application with no client grants.
    pub fn machine(client_id: &str, client_secret: &str) -> Self {
        ApplicationConfig {
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
            name: None,
            app_type: AppType::NonInteractive,
            grant_types: None,
            token_endpoint_auth_method: None,
            grants: BTreeMap::new(),
            callbacks: Vec::new(),
            allowed_logout_urls: Vec::new(),
            web_origins: Vec::new(),
            refresh_token: None,
            allow_plain_pkce: false,
            custom_claims: serde_json::Map::new(),
            organization_usage: OrganizationUsage::Deny,
            is_first_party: true,
        }
    }

    /// A browser application of `app_type` (spa: public; regular_web: confidential) that
    /// allows `callback` for login and its origin for logout and CORS.
    pub fn browser(client_id: &str, app_type: AppType, callback: &str) -> Self {
        let origin = url::Url::parse(callback)
            .map(|u| u.origin().ascii_serialization())
            .unwrap_or_default();
        ApplicationConfig {
            app_type,
            callbacks: vec![callback.to_owned()],
            allowed_logout_urls: vec![origin.clone()],
            web_origins: vec![origin],
            ..ApplicationConfig::machine(client_id, "")
        }
    }

    /// The refresh token settings in force (configured, or Auth0's default for the type).
    pub fn refresh_settings(&self) -> RefreshTokenSettings {
        self.refresh_token
            .unwrap_or_else(|| RefreshTokenSettings::default_for(self.app_type))
    }

    /// Whether the application is public (no secret): PKCE is then required at `/authorize`.
    pub fn is_public(&self) -> bool {
        self.auth_method() == AuthMethod::None
    }

    /// Whether the application may use `grant`.
    pub fn allows(&self, grant: GrantType) -> bool {
        match &self.grant_types {
            Some(list) => list.contains(&grant),
            None => self.app_type.default_grant_types().contains(&grant),
        }
    }

    /// How the application authenticates at the token endpoint.
    pub fn auth_method(&self) -> AuthMethod {
        self.token_endpoint_auth_method
            .unwrap_or_else(|| self.app_type.default_auth_method())
    }
}

/// The whole tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantConfig {
    /// APIs; the first one is the default audience.
    #[serde(default)]
    pub apis: Vec<ApiConfig>,
    /// Applications; the first one is the default client.
    #[serde(default)]
    pub applications: Vec<ApplicationConfig>,
    /// Users of the tenant's database connection (who can log in at `/authorize`).
    #[serde(default = "users::default_users")]
    pub users: Vec<UserConfig>,
    /// Roles: named sets of API permissions given to users (`permissions` in `_authz` tokens).
    #[serde(default)]
    pub roles: Vec<RoleConfig>,
    /// Tenant-level Allowed Logout URLs (for `/v2/logout` without `client_id`).
    #[serde(default)]
    pub allowed_logout_urls: Vec<String>,
    /// More host names the tenant answers on (Auth0 custom domains), each with its own issuer.
    #[serde(default)]
    pub custom_domains: Vec<String>,
    /// Custom Token Exchange profiles, selected by `subject_token_type`.
    #[serde(default)]
    pub exchange_profiles: Vec<ExchangeProfile>,
    /// API identifier -> the application that acts for that API (Auth0's Custom API client):
    /// it may exchange the API's access tokens (On-Behalf-Of, Token Vault).
    #[serde(default)]
    pub custom_api_clients: BTreeMap<String, String>,
    /// Upstream tokens per user and connection (Token Vault).
    #[serde(default)]
    pub token_vault: Vec<VaultEntry>,
    /// Organizations.
    #[serde(default)]
    pub organizations: Vec<OrganizationConfig>,
    /// Auth0's Default Directory: the database connection the `password` grant logs users in
    /// with. Unset, as on a new Auth0 tenant, that grant answers 500 `server_error`;
    /// `password-realm` names its connection itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_directory: Option<String>,
}

/// The name of the tenant's one database connection (Auth0's default one), which holds
/// `users`: the `realm` of the password-realm grant and a value for `default_directory`.
pub const DATABASE_CONNECTION: &str = "Username-Password-Authentication";

/// How a tenant TOML names the tenant's Management API in an application's `grants`, as
/// Auth0's docs write it; the tenant substitutes its domain when it starts. A grant of it lets
/// the application get control API tokens with client_credentials, as on Auth0.
pub const MANAGEMENT_API: &str = "https://{domain}/api/v2/";

/// The Management API's scopes: Auth0's for signing keys, the mock's own for the rest.
pub const MANAGEMENT_SCOPES: &[&str] = &[
    "read:signing_keys",
    "create:signing_keys",
    "update:signing_keys",
    "read:mock_tenant",
    "update:mock_tenant",
    "create:mock_tokens",
];

/// Claims Auth0 does not let an Action set (its "General restrictions" for custom claims):
/// standard JWT and OIDC claims and the ones Auth0 uses itself.
pub const RESTRICTED_CLAIMS: &[&str] = &[
    "acr",
    "act",
    "active",
    "amr",
    "at_hash",
    "ath",
    "attest",
    "aud",
    "auth_time",
    "authorization_details",
    "azp",
    "c_hash",
    "client_id",
    "cnf",
    "cty",
    "dest",
    "entitlements",
    "events",
    "exp",
    "groups",
    "gty",
    "htm",
    "htu",
    "iat",
    "internalService",
    "iss",
    "jcard",
    "jku",
    "jti",
    "jwe",
    "jwk",
    "kid",
    "may_act",
    "mky",
    "nbf",
    "nonce",
    "object_id",
    "org_id",
    "org_name",
    "orig",
    "origid",
    "permissions",
    "roles",
    "rph",
    "s_hash",
    "scope",
    "sid",
    "sip_callid",
    "sip_cseq_num",
    "sip_date",
    "sip_from_tag",
    "sip_via_branch",
    "sub",
    "sub_jwk",
    "toe",
    "txn",
    "typ",
    "uuid",
    "vot",
    "vtm",
    "x5t#S256",
];

/// Why Auth0 would not add `name` as a custom claim, if it would not. Auth0 drops such a claim
/// silently at run time; a mock tenant says so when it loads the file instead.
fn custom_claim_problem(name: &str) -> Option<String> {
    if RESTRICTED_CLAIMS.contains(&name) {
        return Some(format!(
            "`{name}` is a claim Auth0 reserves (restricted for custom claims)"
        ));
    }
    let lower = name.to_ascii_lowercase();
    if ["auth0.com", "webtask.io", "webtask.run"]
        .iter()
        .any(|d| lower.contains(d))
    {
        return Some(format!(
            "`{name}`: Auth0 reserves the auth0.com, webtask.io and webtask.run namespaces"
        ));
    }
    None
}

/// The quickstart API identifier.
pub const DEFAULT_AUDIENCE: &str = "https://my-flask-api";
/// The default application's client_id.
pub const DEFAULT_CLIENT_ID: &str = "mock-test-client";
/// The default application's client_secret.
pub const DEFAULT_CLIENT_SECRET: &str = "mock-test-secret";
/// The default single-page application's client_id (public, PKCE, rotating refresh tokens).
pub const DEFAULT_SPA_CLIENT_ID: &str = "mock-spa-client";
/// The default regular web application's client_id.
pub const DEFAULT_WEB_CLIENT_ID: &str = "mock-web-client";
/// The default regular web application's client_secret.
pub const DEFAULT_WEB_CLIENT_SECRET: &str = "mock-web-secret";
/// The callback URL the default browser applications allow.
pub const DEFAULT_CALLBACK: &str = "http://localhost:3000/callback";

impl Default for TenantConfig {
    /// The Auth0 API quickstart: one API with three permissions and a test application granted
    /// all of them.
    fn default() -> Self {
        let perms: Vec<String> = ["read:messages", "write:messages", "admin:write"]
            .into_iter()
            .map(String::from)
            .collect();
        TenantConfig {
            apis: vec![ApiConfig {
                name: Some("My Flask API".into()),
                permissions: perms.clone(),
                allow_offline_access: true,
                ..ApiConfig::new(DEFAULT_AUDIENCE)
            }],
            // The M2M application stays first: it is the default client.
            applications: vec![
                ApplicationConfig {
                    name: Some("My Flask API (Test Application)".into()),
                    grants: BTreeMap::from([(DEFAULT_AUDIENCE.to_owned(), perms)]),
                    ..ApplicationConfig::machine(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)
                },
                ApplicationConfig {
                    name: Some("My SPA".into()),
                    callbacks: vec![DEFAULT_CALLBACK.into(), "http://localhost:3000".into()],
                    ..ApplicationConfig::browser(
                        DEFAULT_SPA_CLIENT_ID,
                        AppType::Spa,
                        DEFAULT_CALLBACK,
                    )
                },
                ApplicationConfig {
                    name: Some("My Web App".into()),
                    client_secret: DEFAULT_WEB_CLIENT_SECRET.into(),
                    ..ApplicationConfig::browser(
                        DEFAULT_WEB_CLIENT_ID,
                        AppType::RegularWeb,
                        DEFAULT_CALLBACK,
                    )
                },
            ],
            users: users::default_users(),
            roles: Vec::new(),
            allowed_logout_urls: Vec::new(),
            custom_domains: Vec::new(),
            exchange_profiles: Vec::new(),
            custom_api_clients: BTreeMap::new(),
            token_vault: Vec::new(),
            organizations: Vec::new(),
            default_directory: None,
        }
    }
}

/// A configuration file that cannot be used. `Display` is the one line a user sees.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{file}: cannot read: {source}")]
    Read {
        /// Path as given.
        file: String,
        /// The I/O cause.
        #[source]
        source: std::io::Error,
    },
    /// TOML syntax or shape error.
    #[error("{file}: {key}: {problem}")]
    Invalid {
        /// Path as given.
        file: String,
        /// Where in the document (key path, or line:column for syntax errors).
        key: String,
        /// What is wrong.
        problem: String,
    },
}

impl TenantConfig {
    /// Reads and validates a TOML file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            file: file.clone(),
            source,
        })?;
        Self::parse(&text, &file)
    }

    /// Parses and validates TOML text; `file` names the source in errors.
    pub fn parse(text: &str, file: &str) -> Result<Self, ConfigError> {
        let cfg: TenantConfig = toml::from_str(text).map_err(|e| {
            let key = match e.span() {
                Some(span) => {
                    let before = text.get(..span.start).unwrap_or("");
                    let line = before.matches('\n').count() + 1;
                    let col = before.rsplit('\n').next().map_or(0, str::len) + 1;
                    let snippet: String = text
                        .get(span.clone())
                        .unwrap_or("")
                        .chars()
                        .take(40)
                        .collect();
                    format!("line {line} column {col} (`{}`)", snippet.trim())
                }
                None => "document".into(),
            };
            ConfigError::Invalid {
                file: file.to_owned(),
                key,
                problem: e.message().replace('\n', " ").trim().to_owned(),
            }
        })?;
        cfg.validate()
            .map_err(|(key, problem)| ConfigError::Invalid {
                file: file.to_owned(),
                key,
                problem,
            })?;
        Ok(cfg)
    }

    /// Semantic checks TOML types cannot express.
    fn validate(&self) -> Result<(), (String, String)> {
        if self.apis.is_empty() {
            return Err(("apis".into(), "at least one API is required".into()));
        }
        for (i, api) in self.apis.iter().enumerate() {
            let at = |k: &str| format!("apis[{i}].{k}");
            if api.identifier.trim().is_empty() {
                return Err((at("identifier"), "must not be empty".into()));
            }
            if self.apis[..i]
                .iter()
                .any(|a| a.identifier == api.identifier)
            {
                return Err((
                    at("identifier"),
                    format!("duplicate API `{}`", api.identifier),
                ));
            }
            if api.signing_alg.parse::<SigAlg>().is_err() {
                return Err((
                    at("signing_alg"),
                    format!(
                        "unsupported `{}` (RS256, RS384, RS512, PS256, PS384, PS512)",
                        api.signing_alg
                    ),
                ));
            }
            for name in api.custom_claims.keys() {
                if let Some(p) = custom_claim_problem(name) {
                    return Err((at("custom_claims"), p));
                }
            }
            if api.token_lifetime <= 0 {
                return Err((
                    at("token_lifetime"),
                    "must be a positive number of seconds".into(),
                ));
            }
        }
        for (i, app) in self.applications.iter().enumerate() {
            let at = |k: &str| format!("applications[{i}].{k}");
            if app.client_id.is_empty() {
                return Err((at("client_id"), "must not be empty".into()));
            }
            if self.applications[..i]
                .iter()
                .any(|a| a.client_id == app.client_id)
            {
                return Err((
                    at("client_id"),
                    format!("duplicate client `{}`", app.client_id),
                ));
            }
            for name in app.custom_claims.keys() {
                if let Some(p) = custom_claim_problem(name) {
                    return Err((at("custom_claims"), p));
                }
            }
            if app.auth_method() != AuthMethod::None && app.client_secret.is_empty() {
                return Err((
                    at("client_secret"),
                    "required unless token_endpoint_auth_method = \"none\"".into(),
                ));
            }
            if app.auth_method() == AuthMethod::None && app.allows(GrantType::ClientCredentials) {
                return Err((
                    at("grant_types"),
                    "client_credentials needs a confidential application (a public one has no secret)"
                        .into(),
                ));
            }
            for (aud, scopes) in &app.grants {
                let key = at(&format!("grants.\"{aud}\""));
                if aud == MANAGEMENT_API {
                    if let Some(s) = scopes
                        .iter()
                        .find(|s| !MANAGEMENT_SCOPES.contains(&s.as_str()))
                    {
                        return Err((
                            key,
                            format!(
                                "`{s}` is not a Management API scope ({})",
                                MANAGEMENT_SCOPES.join(", ")
                            ),
                        ));
                    }
                    continue;
                }
                let Some(api) = self.api(aud) else {
                    return Err((key, format!("no API with identifier `{aud}`")));
                };
                if let Some(s) = scopes.iter().find(|s| !api.permissions.contains(s)) {
                    return Err((key, format!("scope `{s}` is not a permission of that API")));
                }
            }
        }
        if let Some(d) = self.default_directory.as_deref()
            && d != DATABASE_CONNECTION
        {
            return Err((
                "default_directory".into(),
                format!(
                    "the tenant's one database connection is `{DATABASE_CONNECTION}`, not `{d}`"
                ),
            ));
        }
        self.validate_browser_settings()?;
        users::validate(self)?;
        exchange::validate(self)
    }

    /// Callback, logout and origin URLs must be absolute URLs; refresh lifetimes positive.
    fn validate_browser_settings(&self) -> Result<(), (String, String)> {
        for (i, app) in self.applications.iter().enumerate() {
            let at = |k: &str| format!("applications[{i}].{k}");
            let lists = [
                ("callbacks", &app.callbacks),
                ("allowed_logout_urls", &app.allowed_logout_urls),
                ("web_origins", &app.web_origins),
            ];
            for (key, list) in lists {
                if let Some(bad) = list.iter().find(|u| url::Url::parse(u).is_err()) {
                    return Err((at(key), format!("`{bad}` is not an absolute URL")));
                }
            }
            if let Some(r) = &app.refresh_token
                && (r.token_lifetime <= 0 || r.idle_token_lifetime <= 0 || r.leeway < 0)
            {
                return Err((
                    at("refresh_token"),
                    "lifetimes must be positive and leeway not negative".into(),
                ));
            }
        }
        Ok(())
    }

    /// The configuration a tenant at `issuer` serves: with the control API on, the Management
    /// API (`{issuer}api/v2/`) is one of its APIs and [`MANAGEMENT_API`] grants name it; off,
    /// those grants are dropped.
    pub(crate) fn resolve_management_api(mut self, issuer: &str, control_on: bool) -> Self {
        let identifier = format!("{issuer}api/v2/");
        for app in &mut self.applications {
            if let Some(scopes) = app.grants.remove(MANAGEMENT_API)
                && control_on
            {
                app.grants.insert(identifier.clone(), scopes);
            }
        }
        if control_on && self.api(&identifier).is_none() {
            self.apis.push(ApiConfig {
                name: Some("Auth0 Management API".into()),
                permissions: MANAGEMENT_SCOPES.iter().map(|s| (*s).to_owned()).collect(),
                ..ApiConfig::new(&identifier)
            });
        }
        if let Some(api) = self.apis.iter_mut().find(|a| a.identifier == identifier) {
            api.operator_only = control_on;
        }
        self
    }

    /// The user with this email (case-insensitive, as Auth0 database connections compare).
    pub fn user_by_email(&self, email: &str) -> Option<&UserConfig> {
        self.users
            .iter()
            .find(|u| u.email.eq_ignore_ascii_case(email))
    }

    /// The user with this `user_id`.
    pub fn user(&self, user_id: &str) -> Option<&UserConfig> {
        self.users.iter().find(|u| u.id() == user_id)
    }

    /// The API with this identifier.
    pub fn api(&self, identifier: &str) -> Option<&ApiConfig> {
        self.apis.iter().find(|a| a.identifier == identifier)
    }

    /// The application with this client_id.
    pub fn application(&self, client_id: &str) -> Option<&ApplicationConfig> {
        self.applications.iter().find(|a| a.client_id == client_id)
    }

    /// The first API (the default audience).
    pub fn default_api(&self) -> Option<&ApiConfig> {
        self.apis.first()
    }

    /// The first application (the default client).
    pub fn default_application(&self) -> Option<&ApplicationConfig> {
        self.applications.first()
    }

    /// The exchange profile selected by `subject_token_type`.
    pub fn exchange_profile(&self, subject_token_type: &str) -> Option<&ExchangeProfile> {
        self.exchange_profiles
            .iter()
            .find(|p| p.subject_token_type == subject_token_type)
    }

    /// The organization an id or a name designates.
    pub fn organization(&self, id_or_name: &str) -> Option<&OrganizationConfig> {
        self.organizations.iter().find(|o| o.is_named(id_or_name))
    }
}

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
