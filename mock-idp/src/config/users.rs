//! Users of the tenant's database connection: who can log in, their profile, and what the
//! scopes `profile` and `email` reveal of it (OIDC Core §5.4).
//!
//! ```toml
//! [[users]]
//! email = "ada@example.com"
//! password = "correct horse"
//! user_id = "auth0|ada"            # default: auth0| + a digest of the email
//! name = "Ada Lovelace"
//! roles = ["admin"]
//! app_metadata = { plan = "pro" }
//!
//! [[roles]]
//! name = "admin"
//! [roles.permissions]
//! "https://my-flask-api" = ["admin:write"]
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::config::api::ApiConfig;
use crate::config::mfa::MfaConfig;

/// The default user's email: `mock-idp serve` with no config lets this user log in.
pub const DEFAULT_USER_EMAIL: &str = "user@example.com";
/// The default user's password.
pub const DEFAULT_USER_PASSWORD: &str = "Passw0rd!";

/// One user (Auth0's user profile, the parts tokens and `/userinfo` show).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserConfig {
    /// Login name and `email` claim.
    pub email: String,
    /// Password for the login page (plain text: this is a mock).
    pub password: String,
    /// `sub`; default `auth0|` + 24 hex digits derived from the email.
    #[serde(default)]
    pub user_id: String,
    /// `name`; default: the email.
    #[serde(default)]
    pub name: Option<String>,
    /// `nickname`; default: the email's local part.
    #[serde(default)]
    pub nickname: Option<String>,
    /// `given_name`.
    #[serde(default)]
    pub given_name: Option<String>,
    /// `family_name`.
    #[serde(default)]
    pub family_name: Option<String>,
    /// `picture` URL.
    #[serde(default)]
    pub picture: Option<String>,
    /// `email_verified` (default true).
    #[serde(default = "yes")]
    pub email_verified: bool,
    /// `updated_at`, an ISO-8601 string as Auth0 sends it.
    #[serde(default = "default_updated_at")]
    pub updated_at: String,
    /// Auth0 `app_metadata` (not in tokens unless an Action adds it; kept for the API).
    #[serde(default)]
    pub app_metadata: Map<String, Value>,
    /// Auth0 `user_metadata`.
    #[serde(default)]
    pub user_metadata: Map<String, Value>,
    /// Names of roles (see [`RoleConfig`]) whose permissions the user has.
    #[serde(default)]
    pub roles: Vec<String>,
    /// Permissions given directly: API identifier → permissions.
    #[serde(default)]
    pub permissions: BTreeMap<String, Vec<String>>,
    /// Auth0's `blocked`: the user can no longer log in (the password grant answers 401
    /// `unauthorized` "user is blocked"; `/authorize` refuses a session of theirs).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub blocked: bool,
    /// An OTP enrolment ([`MfaConfig`]): the login page then asks for a code after the
    /// password, and the password grants answer `mfa_required`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mfa: Option<MfaConfig>,
}

/// A role: a name and the API permissions it gives (Auth0 RBAC).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleConfig {
    /// The role's name, as users list it.
    pub name: String,
    /// Auth0's `rol_…` id. Unset in a file, it is derived from the name; the tenant sets it
    /// when a role is created or renamed, so a role keeps its id under a new name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Auth0's `description`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// API identifier → permissions.
    #[serde(default)]
    pub permissions: BTreeMap<String, Vec<String>>,
}

impl RoleConfig {
    /// A role named `name` with no permissions.
    pub fn new(name: &str) -> Self {
        RoleConfig {
            name: name.to_owned(),
            id: None,
            description: None,
            permissions: BTreeMap::new(),
        }
    }

    /// Its id: the one set, else `rol_` and 16 hex digits of its name's digest.
    pub fn id(&self) -> String {
        self.id.clone().unwrap_or_else(|| {
            let digest = crate::jose::sha256(&self.name);
            let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
            format!("rol_{hex}")
        })
    }
}

fn yes() -> bool {
    true
}

fn default_updated_at() -> String {
    "2024-01-01T00:00:00.000Z".into()
}

/// The users of a tenant with no `[[users]]`: one, so `mock-idp serve` can log someone in.
pub(crate) fn default_users() -> Vec<UserConfig> {
    vec![UserConfig {
        name: Some("Test User".into()),
        given_name: Some("Test".into()),
        family_name: Some("User".into()),
        ..UserConfig::new(DEFAULT_USER_EMAIL, DEFAULT_USER_PASSWORD)
    }]
}

impl UserConfig {
    /// A user with this email and password and default everything else.
    pub fn new(email: &str, password: &str) -> Self {
        UserConfig {
            email: email.to_owned(),
            password: password.to_owned(),
            user_id: String::new(),
            name: None,
            nickname: None,
            given_name: None,
            family_name: None,
            picture: None,
            email_verified: true,
            updated_at: default_updated_at(),
            app_metadata: Map::new(),
            user_metadata: Map::new(),
            roles: Vec::new(),
            permissions: BTreeMap::new(),
            blocked: false,
            mfa: None,
        }
    }

    /// The code the user's authenticator app shows at `unix_time` (`None` without an OTP
    /// enrolment): what `mock-idp otp EMAIL` prints and a test types.
    pub fn otp_code(&self, unix_time: i64) -> Option<String> {
        self.mfa.as_ref()?.code_at(unix_time)
    }

    /// `sub`: the configured `user_id`, else `auth0|` + 24 hex digits of SHA-256(email), which
    /// is stable across restarts and shaped like Auth0's database ids.
    pub fn id(&self) -> String {
        if !self.user_id.is_empty() {
            return self.user_id.clone();
        }
        let digest = crate::jose::sha256(self.email.to_ascii_lowercase());
        let hex: String = digest.iter().take(12).map(|b| format!("{b:02x}")).collect();
        format!("auth0|{hex}")
    }

    /// Whether `password` is this user's, compared in constant time.
    pub fn password_matches(&self, password: &str) -> bool {
        aws_lc_rs::constant_time::verify_slices_are_equal(
            self.password.as_bytes(),
            password.as_bytes(),
        )
        .is_ok()
    }

    /// The claims `scopes` reveal (OIDC Core §5.4), in the order Auth0's ID tokens show them:
    /// profile claims, then email.
    pub fn profile_claims(&self, scopes: &[String]) -> Map<String, Value> {
        let has = |s: &str| scopes.iter().any(|x| x == s);
        let mut out = Map::new();
        if has("profile") {
            let local = self.email.split('@').next().unwrap_or_default();
            if let Some(v) = &self.given_name {
                out.insert("given_name".into(), json!(v));
            }
            if let Some(v) = &self.family_name {
                out.insert("family_name".into(), json!(v));
            }
            out.insert(
                "nickname".into(),
                json!(self.nickname.as_deref().unwrap_or(local)),
            );
            out.insert(
                "name".into(),
                json!(self.name.as_deref().unwrap_or(&self.email)),
            );
            out.insert("picture".into(), json!(self.picture_url()));
            out.insert("updated_at".into(), json!(self.updated_at));
        }
        if has("email") {
            out.insert("email".into(), json!(self.email));
            out.insert("email_verified".into(), json!(self.email_verified));
        }
        out
    }

    /// The configured picture, else a data: URL (no external assets: the tenant runs offline).
    fn picture_url(&self) -> String {
        self.picture.clone().unwrap_or_else(|| {
            "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='1' height='1'/%3E"
                .into()
        })
    }

    /// The user's permissions on `api` (direct ones, then those of their roles), deduplicated.
    pub fn permissions_for(&self, roles: &[RoleConfig], api: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let direct = self.permissions.get(api).into_iter().flatten();
        let from_roles = roles
            .iter()
            .filter(|r| self.roles.contains(&r.name))
            .filter_map(|r| r.permissions.get(api))
            .flatten();
        for p in direct.chain(from_roles) {
            if !out.contains(p) {
                out.push(p.clone());
            }
        }
        out
    }
}

/// Users: unique emails and ids, known roles, permissions the APIs define.
pub(crate) fn validate(
    users: &[UserConfig],
    roles: &[RoleConfig],
    apis: &[ApiConfig],
) -> Result<(), (String, String)> {
    let mut emails = std::collections::HashSet::with_capacity(users.len());
    let mut ids = std::collections::HashSet::with_capacity(users.len());
    for (i, u) in users.iter().enumerate() {
        let at = |k: &str| format!("users[{i}].{k}");
        check_user(u, roles, apis, &at)?;
        if !emails.insert(u.email.to_ascii_lowercase()) {
            return Err((at("email"), format!("duplicate user `{}`", u.email)));
        }
        let id = u.id();
        if !ids.insert(id.clone()) {
            return Err((at("user_id"), format!("duplicate user_id `{id}`")));
        }
    }
    for (i, r) in roles.iter().enumerate() {
        check_permissions(apis, &r.permissions, &format!("roles[{i}].permissions"))?;
    }
    Ok(())
}

/// One user's own checks (uniqueness aside): an email, a password, known roles, permissions
/// the APIs define. `at` names a key of the user in errors. The file loader and every write
/// to a running tenant's users call it.
pub(crate) fn check_user(
    u: &UserConfig,
    roles: &[RoleConfig],
    apis: &[ApiConfig],
    at: &dyn Fn(&str) -> String,
) -> Result<(), (String, String)> {
    if !u.email.contains('@') {
        return Err((
            at("email"),
            format!("`{}` is not an email address", u.email),
        ));
    }
    if u.password.is_empty() {
        return Err((at("password"), "must not be empty".into()));
    }
    if let Some(r) = u
        .roles
        .iter()
        .find(|r| !roles.iter().any(|x| &x.name == *r))
    {
        return Err((at("roles"), format!("no role named `{r}`")));
    }
    check_permissions(apis, &u.permissions, &at("permissions"))?;
    if let Some(m) = &u.mfa {
        m.validate(&at("mfa"))?;
    }
    Ok(())
}

fn check_permissions(
    apis: &[ApiConfig],
    perms: &BTreeMap<String, Vec<String>>,
    key: &str,
) -> Result<(), (String, String)> {
    for (aud, list) in perms {
        let Some(api) = apis.iter().find(|a| a.identifier == *aud) else {
            return Err((key.into(), format!("no API with identifier `{aud}`")));
        };
        if let Some(p) = list.iter().find(|p| !api.permissions.contains(p)) {
            return Err((key.into(), format!("`{p}` is not a permission of `{aud}`")));
        }
    }
    Ok(())
}
