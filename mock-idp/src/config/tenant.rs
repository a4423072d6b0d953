//! [`TenantConfig`]: the whole tenant, its quickstart defaults, loading and validation.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::config::actions::{self, ActionConfig, ActionsRuntime};
use crate::config::api::{ApiConfig, MANAGEMENT_API, MANAGEMENT_SCOPES, custom_claim_problem};
use crate::config::application::{AppType, ApplicationConfig, AuthMethod, GrantType, IdTokenAlg};
use crate::config::client_documents::ClientIdMetadataDocuments;
use crate::config::exchange::{
    ExchangeProfile, OrganizationConfig, SubjectValidation, VaultEntry, is_reserved_token_type,
};
use crate::config::mfa::MfaPolicy;
use crate::config::resource::ResourceParameterProfile;
use crate::config::sessions::{self, SessionPolicy};
use crate::config::users::{self, RoleConfig, UserConfig};

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
    /// Actions (Auth0's post-login and credentials-exchange), bound in this order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<ActionConfig>,
    /// How the Node worker that runs `actions` starts.
    #[serde(default, skip_serializing_if = "ActionsRuntime::is_default")]
    pub actions_runtime: ActionsRuntime,
    /// Auth0's `resource_parameter_profile`: `"compatibility"` lets RFC 8707 `resource` name
    /// the API where `audience` is absent (MCP clients send only `resource`).
    #[serde(default, skip_serializing_if = "ResourceParameterProfile::is_default")]
    pub resource_parameter_profile: ResourceParameterProfile,
    /// Auth0's tenant flag `enable_dynamic_client_registration`: `POST /oidc/register` (RFC
    /// 7591) creates third-party applications. Off by default, as on Auth0.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub enable_dynamic_client_registration: bool,
    /// Client ID metadata documents: an `https` URL as `client_id`, fetched under SSRF rules.
    #[serde(default, skip_serializing_if = "ClientIdMetadataDocuments::is_default")]
    pub client_id_metadata_documents: ClientIdMetadataDocuments,
    /// Auth0's `session_lifetime` ("Require log in after"), in hours: a login session ends
    /// this long after the login, however active. Default 720 (30 days), at most 8760.
    #[serde(
        default = "sessions::default_session_lifetime",
        skip_serializing_if = "sessions::is_default_session_lifetime"
    )]
    pub session_lifetime: u32,
    /// Auth0's `idle_session_lifetime` ("Inactivity timeout"), in hours: a session unused this
    /// long ends. Default 72 (3 days), at most 2400.
    #[serde(
        default = "sessions::default_idle_session_lifetime",
        skip_serializing_if = "sessions::is_default_idle_session_lifetime"
    )]
    pub idle_session_lifetime: u32,
    /// Auth0's Guardian MFA policy: `"all-applications"` asks every user for an OTP code,
    /// enrolling at the next login those without one. Default `"none"`.
    #[serde(default, skip_serializing_if = "MfaPolicy::is_default")]
    pub mfa_policy: MfaPolicy,
}

/// The name of the tenant's one database connection (Auth0's default one), which holds
/// `users`: the `realm` of the password-realm grant and a value for `default_directory`.
pub const DATABASE_CONNECTION: &str = "Username-Password-Authentication";

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
            actions: Vec::new(),
            actions_runtime: ActionsRuntime::default(),
            resource_parameter_profile: ResourceParameterProfile::default(),
            enable_dynamic_client_registration: false,
            client_id_metadata_documents: ClientIdMetadataDocuments::default(),
            session_lifetime: sessions::DEFAULT_SESSION_LIFETIME,
            idle_session_lifetime: sessions::DEFAULT_IDLE_SESSION_LIFETIME,
            mfa_policy: MfaPolicy::None,
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
        let mut cfg = Self::parse(&text, &file)?;
        let base = path.parent().unwrap_or(Path::new("."));
        actions::resolve_paths(&mut cfg.actions, &mut cfg.actions_runtime, base);
        Ok(cfg)
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
    pub(crate) fn validate(&self) -> Result<(), (String, String)> {
        if self.apis.is_empty() {
            return Err(("apis".into(), "at least one API is required".into()));
        }
        self.client_id_metadata_documents.validate()?;
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
            if let Some((key, problem)) = api.signing_problem() {
                return Err((at(key), problem));
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
            if app.id_token_alg() == IdTokenAlg::HS256 && app.client_secret.is_empty() {
                return Err((
                    at("jwt_configuration.alg"),
                    "HS256 signs ID tokens with the client secret, and this application has none"
                        .into(),
                ));
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
        for (key, hours) in [
            ("session_lifetime", self.session_lifetime),
            ("idle_session_lifetime", self.idle_session_lifetime),
        ] {
            if let Some(problem) = sessions::lifetime_problem(key, hours) {
                return Err((key.into(), problem));
            }
        }
        self.validate_browser_settings()?;
        users::validate(&self.users, &self.roles, &self.apis)?;
        actions::validate(&self.actions, &self.actions_runtime)?;
        validate_exchange(self)
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

    /// How long login sessions live.
    pub(crate) fn session_policy(&self) -> SessionPolicy {
        SessionPolicy::from_hours(self.session_lifetime, self.idle_session_lifetime)
    }

    /// Whether `user` owes a second factor at login: they have an enrolment, or the policy
    /// makes everyone enrol.
    pub(crate) fn mfa_required(&self, user: &UserConfig) -> bool {
        user.mfa.is_some() || self.mfa_policy == MfaPolicy::AllApplications
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

/// Checks of the exchange, organization, Token Vault and custom domain settings; `(key,
/// problem)` as [`TenantConfig::validate`] reports them.
fn validate_exchange(cfg: &TenantConfig) -> Result<(), (String, String)> {
    for (i, p) in cfg.exchange_profiles.iter().enumerate() {
        let at = |k: &str| format!("exchange_profiles[{i}].{k}");
        let t = &p.subject_token_type;
        if !(t.starts_with("https://") || t.starts_with("urn:")) {
            return Err((
                at("subject_token_type"),
                "must start with https:// or urn:".into(),
            ));
        }
        if is_reserved_token_type(t) {
            return Err((
                at("subject_token_type"),
                format!("`{t}` is in a namespace Auth0 reserves"),
            ));
        }
        if cfg.exchange_profiles[..i]
            .iter()
            .any(|o| &o.subject_token_type == t)
        {
            return Err((at("subject_token_type"), format!("two profiles for `{t}`")));
        }
        match p.validation {
            SubjectValidation::Jwks if p.issuer.is_none() || p.jwks_uri.is_none() => {
                return Err((
                    at("validation"),
                    "`jwks` needs `issuer` and `jwks_uri`".into(),
                ));
            }
            SubjectValidation::Action if p.action.is_none() => {
                return Err((
                    at("action"),
                    "`action` validation needs an action name".into(),
                ));
            }
            _ => {}
        }
    }
    for (api, client) in &cfg.custom_api_clients {
        let key = format!("custom_api_clients.\"{api}\"");
        if cfg.api(api).is_none() {
            return Err((key, format!("no API with identifier `{api}`")));
        }
        if cfg.application(client).is_none() {
            return Err((key, format!("no application `{client}`")));
        }
    }
    for (i, o) in cfg.organizations.iter().enumerate() {
        let at = |k: &str| format!("organizations[{i}].{k}");
        if o.id.is_empty() {
            return Err((at("id"), "must not be empty".into()));
        }
        if cfg.organizations[..i]
            .iter()
            .any(|p| p.id == o.id || (o.name.is_some() && p.name == o.name))
        {
            return Err((at("id"), "duplicate organization id or name".into()));
        }
        if let Some(c) = o.applications.iter().find(|c| cfg.application(c).is_none()) {
            return Err((at("applications"), format!("no application `{c}`")));
        }
        let roles = o.member_roles.values().flatten();
        if let Some(r) = roles
            .into_iter()
            .find(|r| !cfg.roles.iter().any(|x| &x.name == *r))
        {
            return Err((at("member_roles"), format!("no role named `{r}`")));
        }
    }
    for (i, v) in cfg.token_vault.iter().enumerate() {
        if v.expires_in <= 0 {
            return Err((
                format!("token_vault[{i}].expires_in"),
                "must be a positive number of seconds".into(),
            ));
        }
    }
    for (i, d) in cfg.custom_domains.iter().enumerate() {
        if d.is_empty() || d.contains([':', '/', ' ', '@']) {
            return Err((
                format!("custom_domains[{i}]"),
                "a bare host name (the tenant's port is added)".into(),
            ));
        }
    }
    Ok(())
}
