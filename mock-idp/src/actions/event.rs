//! The `event` object, as Auth0 builds it for each trigger, from the tenant model and the
//! request.
//!
//! post-login: `user` (profile, `app_metadata`, `user_metadata`, `identities`), `authorization`
//! (`roles`), `client`, `connection`, `organization`, `request` (ip, hostname, method, query,
//! body, user_agent, language), `resource_server`, `transaction` (protocol, requested scopes,
//! redirect_uri, response_type/mode, state), `stats.logins_count`, `authentication`, `session`,
//! `tenant`, `secrets`. credentials-exchange: `accessToken` (`scope`, `customClaims`), `client`,
//! `organization`, `request`, `resource_server`, `transaction`, `tenant`, `secrets`.

use std::collections::BTreeMap;
use std::net::IpAddr;

use axum::http::{HeaderMap, header};
use serde_json::{Map, Value, json};

use crate::config::{
    ApiConfig, ApplicationConfig, DATABASE_CONNECTION, OrganizationConfig, TenantConfig, UserConfig,
};

/// Form fields never shown to an Action in `event.request.body` (credentials).
const CREDENTIAL_FIELDS: &[&str] = &[
    "client_secret",
    "client_assertion",
    "password",
    "refresh_token",
    "code",
    "code_verifier",
];

/// What `event.request` says of the HTTP request that started the transaction.
#[derive(Debug, Clone, Default)]
pub(crate) struct RequestInfo {
    pub(crate) ip: String,
    pub(crate) hostname: String,
    pub(crate) method: String,
    pub(crate) user_agent: Option<String>,
    pub(crate) language: Option<String>,
    pub(crate) query: Map<String, Value>,
    pub(crate) body: Map<String, Value>,
}

impl RequestInfo {
    /// From a request's headers, its peer address, method, query and form body (credentials
    /// left out of the body).
    pub(crate) fn new(
        headers: &HeaderMap,
        peer: Option<IpAddr>,
        method: &str,
        query: &BTreeMap<String, String>,
        body: &BTreeMap<String, String>,
    ) -> Self {
        let text = |name: header::HeaderName| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(|s| s.chars().take(512).collect::<String>())
        };
        let host = text(header::HOST).unwrap_or_default();
        // The host name without the port, as Auth0's `hostname`.
        let hostname = match host.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or("").to_owned(),
            None => host.split(':').next().unwrap_or("").to_owned(),
        };
        let language = text(header::ACCEPT_LANGUAGE)
            .and_then(|l| l.split([',', ';']).next().map(|s| s.trim().to_owned()))
            .filter(|l| !l.is_empty());
        let to_map = |m: &BTreeMap<String, String>, skip: &[&str]| {
            m.iter()
                .filter(|(k, _)| !skip.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), json!(v)))
                .collect::<Map<String, Value>>()
        };
        RequestInfo {
            ip: peer.map_or_else(|| "127.0.0.1".to_owned(), |ip| ip.to_string()),
            hostname,
            method: method.to_owned(),
            user_agent: text(header::USER_AGENT),
            language,
            query: to_map(query, &[]),
            body: to_map(body, CREDENTIAL_FIELDS),
        }
    }

    fn to_json(&self) -> Value {
        let mut v = json!({
            "ip": self.ip,
            "hostname": self.hostname,
            "method": self.method,
            "query": self.query,
            "body": self.body,
            "geoip": {},
        });
        if let Some(ua) = &self.user_agent {
            v["user_agent"] = json!(ua);
        }
        if let Some(l) = &self.language {
            v["language"] = json!(l);
        }
        v
    }
}

/// A login, for the post-login trigger.
#[derive(Debug)]
pub(crate) struct Login<'a> {
    pub(crate) user: &'a UserConfig,
    pub(crate) app: &'a ApplicationConfig,
    pub(crate) audience: Option<&'a str>,
    pub(crate) scopes: &'a [String],
    pub(crate) organization: Option<&'a str>,
    /// `oidc-basic-profile` (authorization code), `oauth2-password`, `oauth2-refresh-token`.
    pub(crate) protocol: &'static str,
    pub(crate) request: RequestInfo,
    pub(crate) redirect_uri: Option<&'a str>,
    pub(crate) response_mode: Option<&'a str>,
    pub(crate) state: Option<&'a str>,
    pub(crate) session_id: &'a str,
    pub(crate) auth_time: i64,
}

/// A client_credentials request, for the credentials-exchange trigger.
#[derive(Debug)]
pub(crate) struct Machine<'a> {
    pub(crate) app: &'a ApplicationConfig,
    pub(crate) api: &'a ApiConfig,
    pub(crate) scopes: &'a [String],
    pub(crate) organization: Option<&'a OrganizationConfig>,
    pub(crate) request: RequestInfo,
}

fn tenant_id(cfg_issuer: &str) -> String {
    url::Url::parse(cfg_issuer)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default()
}

fn client(app: &ApplicationConfig) -> Value {
    json!({
        "client_id": app.client_id,
        "name": app.name.clone().unwrap_or_else(|| app.client_id.clone()),
        "metadata": {},
    })
}

fn organization(org: &OrganizationConfig) -> Value {
    let name = org.name.clone().unwrap_or_else(|| org.id.clone());
    json!({
        "id": org.id,
        "name": name.to_ascii_lowercase(),
        "display_name": name,
        "metadata": {},
    })
}

/// The post-login `event` for `login`, with `u` as the tenant holds the user now, their
/// `logins_count` and the Action's `secrets`.
pub(crate) fn post_login(
    cfg: &TenantConfig,
    issuer: &str,
    login: &Login<'_>,
    u: &UserConfig,
    logins_count: u64,
    secrets: &BTreeMap<String, String>,
) -> Value {
    let id = u.id();
    let local = id.split_once('|').map_or(id.as_str(), |(_, l)| l);
    let mut user = json!({
        "user_id": id,
        "email": u.email,
        "email_verified": u.email_verified,
        "name": u.name.clone().unwrap_or_else(|| u.email.clone()),
        "nickname": u.nickname.clone().unwrap_or_else(|| u.email.split('@').next().unwrap_or("").to_owned()),
        "app_metadata": u.app_metadata,
        "user_metadata": u.user_metadata,
        "identities": [{
            "connection": DATABASE_CONNECTION,
            "provider": "auth0",
            "user_id": local,
            "isSocial": false,
        }],
        "created_at": u.updated_at,
        "updated_at": u.updated_at,
    });
    for (k, v) in [
        ("given_name", &u.given_name),
        ("family_name", &u.family_name),
        ("picture", &u.picture),
    ] {
        if let Some(v) = v {
            user[k] = json!(v);
        }
    }
    let mut transaction = json!({
        "protocol": login.protocol,
        "requested_scopes": login.scopes,
        "locale": "en",
        "ui_locales": [],
    });
    if let Some(r) = login.redirect_uri {
        transaction["redirect_uri"] = json!(r);
        transaction["response_type"] = json!(["code"]);
    }
    if let Some(m) = login.response_mode {
        transaction["response_mode"] = json!(m);
    }
    if let Some(s) = login.state {
        transaction["state"] = json!(s);
    }
    let mut event = json!({
        "user": user,
        "authorization": { "roles": u.roles },
        "client": client(login.app),
        "connection": {
            "id": "con_mockidpdatabase",
            "name": DATABASE_CONNECTION,
            "strategy": "auth0",
            "metadata": {},
        },
        "request": login.request.to_json(),
        "transaction": transaction,
        "stats": { "logins_count": logins_count },
        "authentication": {
            "methods": [{ "name": "pwd", "timestamp": crate::clock::iso8601(login.auth_time) }],
        },
        "session": { "id": login.session_id },
        "tenant": { "id": tenant_id(issuer) },
        "secrets": secrets,
    });
    if let Some(aud) = login.audience {
        event["resource_server"] = json!({ "identifier": aud });
    }
    if let Some(org) = login.organization.and_then(|o| cfg.organization(o)) {
        event["organization"] = organization(org);
    }
    event
}

/// The credentials-exchange `event` for `m`.
pub(crate) fn credentials_exchange(
    issuer: &str,
    m: &Machine<'_>,
    secrets: &BTreeMap<String, String>,
) -> Value {
    let mut event = json!({
        "accessToken": { "scope": m.scopes, "customClaims": {} },
        "client": client(m.app),
        "request": m.request.to_json(),
        "resource_server": { "identifier": m.api.identifier },
        "transaction": { "requested_scopes": m.scopes },
        "tenant": { "id": tenant_id(issuer) },
        "secrets": secrets,
    });
    if let Some(org) = m.organization {
        event["organization"] = organization(org);
    }
    event
}
