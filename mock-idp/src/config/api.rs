//! The APIs ("resource servers") of a tenant: token dialect, signing algorithm, lifetime,
//! permissions, custom claims; the Management API's name and scopes; the claims Auth0 reserves.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::keys::SigAlg;

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
    /// JWS algorithm of issued tokens, one of Auth0's [`SIGNING_ALGS`]: RS256, RS512 and PS256
    /// sign with the tenant's keys, HS256 with [`ApiConfig::signing_secret`].
    #[serde(default = "default_alg")]
    pub signing_alg: String,
    /// The HS256 key (its UTF-8 bytes), as Auth0's `signing_secret`: required with HS256, at
    /// least [`MIN_SIGNING_SECRET_LEN`] characters (the Management API's minimum).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing_secret: Option<String>,
    /// Token lifetime in seconds (`expires_in`).
    #[serde(default = "default_lifetime")]
    pub token_lifetime: i64,
    /// Token profile.
    #[serde(default)]
    pub dialect: Dialect,
    /// Scopes the API defines.
    #[serde(default)]
    pub permissions: Vec<String>,
    /// Scope → its description (Auth0's `scopes[].description`); a scope without one is
    /// described by its value.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub permission_descriptions: BTreeMap<String, String>,
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
            signing_secret: None,
            token_lifetime: default_lifetime(),
            dialect: Dialect::AccessToken,
            permissions: Vec::new(),
            permission_descriptions: BTreeMap::new(),
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

    /// The description of `permission`: its own, else the permission itself.
    pub fn permission_description<'a>(&'a self, permission: &'a str) -> &'a str {
        self.permission_descriptions
            .get(permission)
            .map_or(permission, String::as_str)
    }

    /// Auth0's `scopes`: each permission with its description.
    pub fn scopes_json(&self) -> serde_json::Value {
        self.permissions
            .iter()
            .map(|p| serde_json::json!({"value": p, "description": self.permission_description(p)}))
            .collect()
    }

    /// Whether this is the tenant's Management API (its scopes steer the tenant).
    pub fn is_management_api(&self) -> bool {
        self.operator_only
    }

    /// The RSA algorithm for `signing_alg` (validated at load time; RS256 otherwise, HS256
    /// included: see [`ApiConfig::hs256_secret`]).
    pub fn sig_alg(&self) -> SigAlg {
        self.signing_alg.parse().unwrap_or(SigAlg::RS256)
    }

    /// The HMAC key when the API signs with HS256 (`None` for the RSA algorithms).
    pub fn hs256_secret(&self) -> Option<&[u8]> {
        (self.signing_alg == "HS256")
            .then_some(self.signing_secret.as_deref())
            .flatten()
            .map(str::as_bytes)
    }

    /// The `.env` lines our API needs beyond the domain and audience to verify this API's
    /// tokens: none for RS256, `AUTH0_ALGORITHMS` for another algorithm, and the secret for
    /// HS256.
    ///
    /// ```
    /// let mut api = mock_idp::config::ApiConfig::new("https://a");
    /// assert_eq!(api.verifier_env(), "");
    /// api.signing_alg = "HS256".into();
    /// api.signing_secret = Some("sixteen-chars!!!".into());
    /// assert_eq!(api.verifier_env(), "AUTH0_ALGORITHMS=HS256\nAUTH0_SIGNING_SECRET=sixteen-chars!!!\n");
    /// ```
    pub fn verifier_env(&self) -> String {
        match (self.signing_alg.as_str(), self.hs256_secret()) {
            ("RS256", _) => String::new(),
            (alg, Some(_)) => format!(
                "AUTH0_ALGORITHMS={alg}\nAUTH0_SIGNING_SECRET={}\n",
                self.signing_secret.as_deref().unwrap_or_default()
            ),
            (alg, None) => format!("AUTH0_ALGORITHMS={alg}\n"),
        }
    }

    /// Why Auth0 would refuse this API's `signing_alg` / `signing_secret`, naming the setting.
    pub(super) fn signing_problem(&self) -> Option<(&'static str, String)> {
        if !SIGNING_ALGS.contains(&self.signing_alg.as_str()) {
            let algs = SIGNING_ALGS.join(", ");
            let problem = format!("unsupported `{}` (Auth0 offers {algs})", self.signing_alg);
            return Some(("signing_alg", problem));
        }
        match &self.signing_secret {
            None if self.signing_alg == "HS256" => Some((
                "signing_secret",
                "HS256 signs with the API's signing secret: set one".into(),
            )),
            Some(s) if s.chars().count() < MIN_SIGNING_SECRET_LEN => Some((
                "signing_secret",
                format!("shorter than Auth0's minimum of {MIN_SIGNING_SECRET_LEN} characters"),
            )),
            _ => None,
        }
    }
}

/// The algorithms an Auth0 API can sign its access tokens with (Auth0's
/// `SigningAlgorithmEnum`).
pub const SIGNING_ALGS: [&str; 4] = ["RS256", "RS512", "PS256", "HS256"];

/// The shortest `signing_secret` Auth0's Management API accepts (characters).
pub const MIN_SIGNING_SECRET_LEN: usize = 16;

/// How a tenant TOML names the tenant's Management API in an application's `grants`, as
/// Auth0's docs write it; the tenant substitutes its domain when it starts. A grant of it lets
/// the application get control API tokens with client_credentials, as on Auth0.
pub const MANAGEMENT_API: &str = "https://{domain}/api/v2/";

/// The Management API's scopes: Auth0's for its routes the tenant serves, the mock's own for
/// what only a mock has.
pub const MANAGEMENT_SCOPES: &[&str] = &[
    "read:signing_keys",
    "create:signing_keys",
    "update:signing_keys",
    "read:clients",
    "create:clients",
    "update:clients",
    "delete:clients",
    "update:client_keys",
    "read:client_grants",
    "create:client_grants",
    "update:client_grants",
    "delete:client_grants",
    "read:resource_servers",
    "create:resource_servers",
    "update:resource_servers",
    "delete:resource_servers",
    "read:users",
    "create:users",
    "update:users",
    "delete:users",
    "read:authentication_methods",
    "create:authentication_methods",
    "update:authentication_methods",
    "delete:authentication_methods",
    "delete:guardian_enrollments",
    "read:roles",
    "create:roles",
    "update:roles",
    "delete:roles",
    "read:role_members",
    "create:role_members",
    "delete:role_members",
    "read:organizations",
    "create:organizations",
    "update:organizations",
    "delete:organizations",
    "read:organization_members",
    "create:organization_members",
    "delete:organization_members",
    "read:organization_member_roles",
    "create:organization_member_roles",
    "delete:organization_member_roles",
    "read:organization_connections",
    "create:organization_connections",
    "read:connections",
    "read:organization_client_grants",
    "create:organization_client_grants",
    "delete:organization_client_grants",
    "read:organization_discovery_domains",
    "read:organization_invitations",
    "create:organization_invitations",
    "delete:organization_invitations",
    "read:tenant_settings",
    "update:tenant_settings",
    "read:mfa_policies",
    "update:mfa_policies",
    "update:guardian_factors",
    "read:actions",
    "create:actions",
    "update:actions",
    "delete:actions",
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
pub(crate) fn custom_claim_problem(name: &str) -> Option<String> {
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
