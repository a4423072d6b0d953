//! The applications ("clients") of a tenant: type, grants, authentication method, callback and
//! logout URLs, refresh token rotation.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::config::exchange::OrganizationUsage;

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
    /// Auth0's MFA API: an `mfa_token` and a code from the user's authenticator.
    #[serde(rename = "http://auth0.com/oauth/grant-type/mfa-otp")]
    MfaOtp,
    /// Auth0's MFA API: an `mfa_token` and one of the user's recovery codes.
    #[serde(rename = "http://auth0.com/oauth/grant-type/mfa-recovery-code")]
    MfaRecoveryCode,
    #[serde(rename = "urn:ietf:params:oauth:grant-type:token-exchange")]
    TokenExchange,
    #[serde(
        rename = "urn:auth0:params:oauth:grant-type:token-exchange:federated-connection-access-token"
    )]
    FederatedConnection,
}

impl GrantType {
    /// Every grant Auth0 knows.
    pub const ALL: [GrantType; 11] = [
        GrantType::ClientCredentials,
        GrantType::AuthorizationCode,
        GrantType::Implicit,
        GrantType::RefreshToken,
        GrantType::Password,
        GrantType::PasswordRealm,
        GrantType::DeviceCode,
        GrantType::MfaOtp,
        GrantType::MfaRecoveryCode,
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
            GrantType::MfaOtp => "http://auth0.com/oauth/grant-type/mfa-otp",
            GrantType::MfaRecoveryCode => "http://auth0.com/oauth/grant-type/mfa-recovery-code",
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
    /// How the application's ID tokens are signed (Auth0's `jwt_configuration`); RS256 when
    /// absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwt_configuration: Option<JwtConfiguration>,
    /// Auth0's Application Login URI (`initiate_login_uri`, https): where an organization
    /// invitation's link points. Invitations for an application without one are refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initiate_login_uri: Option<String>,
}

/// An application's `jwt_configuration`, as Auth0 names it (only `alg` is modelled).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JwtConfiguration {
    /// The ID token's algorithm.
    pub alg: IdTokenAlg,
}

/// The algorithms Auth0 signs an application's ID tokens with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[allow(clippy::upper_case_acronyms)] // JOSE names, as `SigAlg` spells them
pub enum IdTokenAlg {
    /// With the tenant's current key (Auth0's default), published in the JWKS.
    #[default]
    RS256,
    /// HMAC-SHA256 keyed with the application's client secret (its UTF-8 bytes): only a
    /// confidential application can check it.
    HS256,
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
            jwt_configuration: None,
            initiate_login_uri: None,
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

    /// The algorithm of the application's ID tokens.
    pub fn id_token_alg(&self) -> IdTokenAlg {
        self.jwt_configuration.unwrap_or_default().alg
    }

    /// How the application authenticates at the token endpoint.
    pub fn auth_method(&self) -> AuthMethod {
        self.token_endpoint_auth_method
            .unwrap_or_else(|| self.app_type.default_auth_method())
    }
}

/// Whether a name a stranger chose (dynamic registration, a client ID metadata document) may be
/// shown on the login page as the application's: no control characters, and none of the
/// invisible or bidirectional-text controls that make one name read as another (a reversed
/// `evil` after `Bank` reads as `Bank` followed by `live`).
pub(crate) fn is_displayable_name(name: &str) -> bool {
    !name.chars().any(|c| {
        c.is_control()
            || matches!(c,
                '\u{061C}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
    })
}

/// Whether `u` names a loopback host (`localhost`, 127.0.0.1, ::1), where RFC 8252 §7.3 and
/// RFC 9700 §2.1 allow an `http` redirect URI: off loopback, the code would cross the network
/// in clear.
pub(crate) fn is_loopback_host(u: &url::Url) -> bool {
    matches!(
        u.host(),
        Some(url::Host::Domain("localhost"))
            | Some(url::Host::Ipv4(std::net::Ipv4Addr::LOCALHOST))
            | Some(url::Host::Ipv6(std::net::Ipv6Addr::LOCALHOST))
    )
}
