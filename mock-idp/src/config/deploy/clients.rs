//! `clients` and `clientGrants` into the tenant's applications and their grants.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::notes::Notes;
use super::{derived_id, random_secret};
use crate::config::{
    AppType, ApplicationConfig, AuthMethod, GrantType, IdTokenAlg, JwtConfiguration,
    MANAGEMENT_API, MANAGEMENT_SCOPES, OrganizationUsage, RefreshTokenSettings, RotationType,
    TenantConfig,
};

/// The `client_id` an imported client without one gets: derived from its name, so the same
/// export always gives the same ids.
pub fn client_id_for(name: &str) -> String {
    derived_id(&format!("mock-idp client {name}"), 32)
}

/// The fields of a client the tenant reads.
const READ: &[&str] = &[
    "name",
    "client_id",
    "client_secret",
    "app_type",
    "grant_types",
    "token_endpoint_auth_method",
    "callbacks",
    "allowed_logout_urls",
    "web_origins",
    "refresh_token",
    "is_first_party",
    "organization_usage",
    "jwt_configuration",
    "initiate_login_uri",
];

/// Fields at the value the tenant behaves as anyway.
fn implied() -> Vec<(&'static str, Value)> {
    vec![
        ("oidc_conformant", json!(true)),
        ("sso_disabled", json!(false)),
        ("cross_origin_auth", json!(false)),
        ("custom_login_page_on", json!(true)),
        ("is_token_endpoint_ip_header_trusted", json!(false)),
    ]
}

pub(super) fn clients(
    list: &Value,
    previous: &BTreeMap<&str, &str>,
    config: &mut TenantConfig,
    generated: &mut Vec<String>,
    notes: &mut Notes,
) {
    const KIND: &str = "clients";
    for item in list.as_array().into_iter().flatten() {
        let Some(c) = item.as_object() else {
            notes.ignore(KIND, 1, "not an object");
            continue;
        };
        let Some(name) = str_of(c, "name") else {
            notes.ignore(KIND, 1, "no name");
            continue;
        };
        let app_type = match str_of(c, "app_type") {
            None => AppType::default(),
            Some(t) => match serde_json::from_value(json!(t)) {
                Ok(t) => t,
                Err(_) => {
                    notes.ignore(KIND, 1, &format!("app_type {t} not modelled"));
                    continue;
                }
            },
        };
        let client_id = str_of(c, "client_id").map_or_else(|| client_id_for(name), str::to_owned);
        if config.application(&client_id).is_some() {
            notes.ignore(KIND, 1, "a second client of the same name");
            continue;
        }
        let mut app = ApplicationConfig {
            name: Some(name.to_owned()),
            app_type,
            ..ApplicationConfig::machine(&client_id, "")
        };
        if let Some(list) = c.get("grant_types").and_then(Value::as_array) {
            let mut grants = Vec::new();
            for g in list.iter().filter_map(Value::as_str) {
                match GrantType::from_name(g) {
                    Some(g) => grants.push(g),
                    None => notes.field(KIND, &format!("grant_types {g}")),
                }
            }
            // Auth0's defaults for the type are what the tenant applies without a list.
            if grants != app_type.default_grant_types() {
                app.grant_types = Some(grants);
            }
        }
        if let Some(m) = str_of(c, "token_endpoint_auth_method") {
            match serde_json::from_value::<AuthMethod>(json!(m)) {
                Ok(m) if m == app_type.default_auth_method() => {}
                Ok(m) => app.token_endpoint_auth_method = Some(m),
                Err(_) => notes.field(KIND, &format!("token_endpoint_auth_method {m}")),
            }
        }
        app.callbacks = strings(c, "callbacks");
        app.allowed_logout_urls = strings(c, "allowed_logout_urls");
        app.web_origins = strings(c, "web_origins");
        app.initiate_login_uri = str_of(c, "initiate_login_uri")
            .filter(|u| !u.is_empty())
            .map(str::to_owned);
        if let Some(v) = c.get("is_first_party").and_then(Value::as_bool) {
            app.is_first_party = v;
        }
        if let Some(u) = str_of(c, "organization_usage") {
            match serde_json::from_value::<OrganizationUsage>(json!(u)) {
                Ok(u) => app.organization_usage = u,
                Err(_) => notes.field(KIND, &format!("organization_usage {u}")),
            }
        }
        if let Some(r) = c.get("refresh_token").and_then(Value::as_object) {
            app.refresh_token = Some(refresh_token(r, app_type, notes));
        }
        if let Some(j) = c.get("jwt_configuration").and_then(Value::as_object) {
            // The ID token's alg is modelled; its lifetime is Auth0's default of 10 hours.
            if let Some(alg) = j.get("alg").and_then(Value::as_str) {
                match serde_json::from_value::<IdTokenAlg>(json!(alg)) {
                    Ok(IdTokenAlg::RS256) => {}
                    Ok(alg) => app.jwt_configuration = Some(JwtConfiguration { alg }),
                    Err(_) => notes.field(KIND, &format!("jwt_configuration.alg {alg}")),
                }
            }
            let at_default = j.iter().all(|(k, v)| match k.as_str() {
                "alg" => true,
                "lifetime_in_seconds" => v == super::ID_TOKEN_LIFETIME,
                "secret_encoded" => v == false,
                _ => false,
            });
            if !at_default {
                notes.field(KIND, "jwt_configuration");
            }
        }
        notes.fields(KIND, c, READ, &implied());
        if app.auth_method() != AuthMethod::None {
            app.client_secret = match (str_of(c, "client_secret"), previous.get(client_id.as_str()))
            {
                (Some(s), _) => s.to_owned(),
                (None, Some(s)) if !s.is_empty() => (*s).to_owned(),
                _ => {
                    generated.push(name.to_owned());
                    random_secret()
                }
            };
        }
        config.applications.push(app);
    }
}

/// Auth0's refresh token settings; `infinite_*` and `expiration_type` only when they say
/// what the tenant does (tokens expire).
fn refresh_token(
    r: &Map<String, Value>,
    app_type: AppType,
    notes: &mut Notes,
) -> RefreshTokenSettings {
    let mut s = RefreshTokenSettings::default_for(app_type);
    if let Some(t) = r.get("rotation_type").and_then(Value::as_str) {
        match t {
            "rotating" => s.rotation_type = RotationType::Rotating,
            "non-rotating" => s.rotation_type = RotationType::NonRotating,
            other => notes.field("clients", &format!("refresh_token.rotation_type {other}")),
        }
    }
    let int = |k: &str| r.get(k).and_then(Value::as_i64);
    if let Some(v) = int("leeway") {
        s.leeway = v;
    }
    if let Some(v) = int("token_lifetime").filter(|v| *v > 0) {
        s.token_lifetime = v;
    }
    if let Some(v) = int("idle_token_lifetime").filter(|v| *v > 0) {
        s.idle_token_lifetime = v;
    }
    for (k, expected) in [
        ("expiration_type", json!("expiring")),
        ("infinite_token_lifetime", json!(false)),
        ("infinite_idle_token_lifetime", json!(false)),
    ] {
        if r.get(k).is_some_and(|v| *v != expected) {
            notes.field("clients", &format!("refresh_token.{k}"));
        }
    }
    s
}

pub(super) fn client_grants(list: &Value, config: &mut TenantConfig, notes: &mut Notes) {
    const KIND: &str = "clientGrants";
    for item in list.as_array().into_iter().flatten() {
        let Some(g) = item.as_object() else {
            notes.ignore(KIND, 1, "not an object");
            continue;
        };
        let (Some(client), Some(audience)) = (str_of(g, "client_id"), str_of(g, "audience")) else {
            notes.ignore(KIND, 1, "no client_id or audience");
            continue;
        };
        // The Deploy CLI names the client; an id works too.
        let Some(idx) = config
            .applications
            .iter()
            .position(|a| a.name.as_deref() == Some(client) || a.client_id == client)
        else {
            notes.ignore(KIND, 1, "client not in the export");
            continue;
        };
        let scopes = strings(g, "scope");
        let (audience, known): (String, Vec<String>) = match config.api(audience) {
            Some(api) => (audience.to_owned(), api.permissions.clone()),
            // Auth0's Management API (https://TENANT/api/v2/) is this tenant's.
            None if audience.ends_with("/api/v2/") => (
                MANAGEMENT_API.to_owned(),
                MANAGEMENT_SCOPES.iter().map(|s| (*s).to_owned()).collect(),
            ),
            None => {
                notes.ignore(KIND, 1, "audience not among resourceServers");
                continue;
            }
        };
        let (kept, dropped): (Vec<String>, Vec<String>) =
            scopes.into_iter().partition(|s| known.contains(s));
        if !dropped.is_empty() {
            notes.detail(KIND, format!("scopes not served: {}", dropped.join(", ")));
        }
        notes.fields(
            KIND,
            g,
            &["client_id", "audience", "scope"],
            &[
                ("allow_any_organization", json!(false)),
                ("organization_usage", json!("deny")),
                ("is_system", json!(false)),
                ("subject_type", json!("client")),
            ],
        );
        let app = &mut config.applications[idx];
        app.grants.entry(audience).or_default().extend(kept);
    }
}

pub(super) fn str_of<'a>(m: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    m.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

pub(super) fn strings(m: &Map<String, Value>, key: &str) -> Vec<String> {
    m.get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect()
}
