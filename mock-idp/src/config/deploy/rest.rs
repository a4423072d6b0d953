//! `resourceServers`, `roles`, `organizations`, `databases` and `tenant` into the tenant
//! model.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::clients::{str_of, strings};
use super::derived_id;
use super::notes::Notes;
use crate::config::{
    ApiConfig, DATABASE_CONNECTION, Dialect, OrganizationConfig, RoleConfig, SIGNING_ALGS,
    TenantConfig, lifetime_problem,
};

/// The `id` an imported organization gets: `org_` and 16 characters derived from its name.
pub fn organization_id_for(name: &str) -> String {
    format!(
        "org_{}",
        derived_id(&format!("mock-idp organization {name}"), 16)
    )
}

pub(super) fn resource_servers(
    list: &Value,
    previous: &BTreeMap<String, Option<String>>,
    config: &mut TenantConfig,
    generated: &mut Vec<String>,
    notes: &mut Notes,
) {
    const KIND: &str = "resourceServers";
    for item in list.as_array().into_iter().flatten() {
        let Some(r) = item.as_object() else {
            notes.ignore(KIND, 1, "not an object");
            continue;
        };
        let Some(identifier) = str_of(r, "identifier") else {
            notes.ignore(KIND, 1, "no identifier");
            continue;
        };
        if identifier.ends_with("/api/v2/") {
            notes.ignore(KIND, 1, "the Management API is the tenant's own");
            continue;
        }
        if config.api(identifier).is_some() {
            notes.ignore(KIND, 1, "a second resource server of the same identifier");
            continue;
        }
        let mut api = ApiConfig::new(identifier);
        // The export names an unnamed API by its identifier (the Deploy CLI needs a name).
        api.name = str_of(r, "name")
            .filter(|n| *n != identifier)
            .map(str::to_owned);
        if let Some(alg) = str_of(r, "signing_alg") {
            if SIGNING_ALGS.contains(&alg) {
                api.signing_alg = alg.to_owned();
            } else {
                notes.detail(
                    KIND,
                    format!("signing_alg {alg} not modelled (RS256 instead)"),
                );
            }
        }
        // An HS256 API signs with its secret: the export's, the previous configuration's, else
        // a fresh one (listed with the generated secrets).
        api.signing_secret = str_of(r, "signing_secret")
            .map(str::to_owned)
            .or_else(|| previous.get(identifier).cloned().flatten());
        if api.signing_alg == "HS256" && api.signing_secret.is_none() {
            api.signing_secret = Some(super::random_secret());
            generated.push(format!("{identifier} (signing_secret)"));
        }
        if let Some(v) = r
            .get("token_lifetime")
            .and_then(Value::as_i64)
            .filter(|v| *v > 0)
        {
            api.token_lifetime = v;
        }
        if let Some(d) = str_of(r, "token_dialect") {
            match serde_json::from_value::<Dialect>(json!(d)) {
                Ok(d) => api.dialect = d,
                Err(_) => notes.detail(KIND, format!("token_dialect {d} not modelled")),
            }
        }
        if let Some(v) = r.get("allow_offline_access").and_then(Value::as_bool) {
            api.allow_offline_access = v;
        }
        for s in r
            .get("scopes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(v) = s.get("value").and_then(Value::as_str) {
                api.permissions.push(v.to_owned());
                if let Some(d) = s
                    .get("description")
                    .and_then(Value::as_str)
                    .filter(|d| !d.is_empty() && d != &v)
                {
                    api.permission_descriptions
                        .insert(v.to_owned(), d.to_owned());
                }
            }
        }
        notes.fields(
            KIND,
            r,
            &[
                "identifier",
                "name",
                "signing_alg",
                "token_lifetime",
                "token_dialect",
                "allow_offline_access",
                "scopes",
                "signing_secret",
            ],
            &[
                // The tenant gives users only the permissions their roles grant (RBAC on).
                ("enforce_policies", json!(true)),
                (
                    "skip_consent_for_verifiable_first_party_clients",
                    json!(true),
                ),
                ("token_lifetime_for_web", json!(7200)),
                ("is_system", json!(false)),
            ],
        );
        config.apis.push(api);
    }
}

pub(super) fn roles(list: &Value, config: &mut TenantConfig, notes: &mut Notes) {
    const KIND: &str = "roles";
    for item in list.as_array().into_iter().flatten() {
        let Some(r) = item.as_object() else {
            notes.ignore(KIND, 1, "not an object");
            continue;
        };
        let Some(name) = str_of(r, "name") else {
            notes.ignore(KIND, 1, "no name");
            continue;
        };
        let mut permissions: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for p in r
            .get("permissions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let (Some(perm), Some(api)) = (
                p.get("permission_name").and_then(Value::as_str),
                p.get("resource_server_identifier").and_then(Value::as_str),
            ) else {
                continue;
            };
            if config
                .api(api)
                .is_some_and(|a| a.permissions.iter().any(|x| x == perm))
            {
                permissions
                    .entry(api.to_owned())
                    .or_default()
                    .push(perm.to_owned());
            } else {
                notes.detail(
                    KIND,
                    format!("permission {perm} of {api} not among resourceServers"),
                );
            }
        }
        notes.fields(KIND, r, &["name", "description", "permissions"], &[]);
        config.roles.push(RoleConfig {
            description: str_of(r, "description")
                .filter(|d| !d.is_empty())
                .map(str::to_owned),
            permissions,
            ..RoleConfig::new(name)
        });
    }
}

pub(super) fn organizations(list: &Value, config: &mut TenantConfig, notes: &mut Notes) {
    const KIND: &str = "organizations";
    for item in list.as_array().into_iter().flatten() {
        let Some(o) = item.as_object() else {
            notes.ignore(KIND, 1, "not an object");
            continue;
        };
        let Some(name) = str_of(o, "name") else {
            notes.ignore(KIND, 1, "no name");
            continue;
        };
        // `client_grants` associates the applications (by name) whose grants serve the org.
        let mut applications = Vec::new();
        for g in o
            .get("client_grants")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(client) = g.get("client_id").and_then(Value::as_str) else {
                continue;
            };
            match config
                .applications
                .iter()
                .find(|a| a.name.as_deref() == Some(client) || a.client_id == client)
            {
                Some(a) if !applications.contains(&a.client_id) => {
                    applications.push(a.client_id.clone());
                }
                Some(_) => {}
                None => notes.detail(
                    KIND,
                    format!("client_grants of {client} (client not in the export)"),
                ),
            }
        }
        let display = str_of(o, "display_name");
        notes.fields(
            KIND,
            o,
            &["name", "display_name", "client_grants", "id"],
            &[],
        );
        config.organizations.push(OrganizationConfig {
            id: str_of(o, "id").map_or_else(|| organization_id_for(name), str::to_owned),
            name: Some(name.to_owned()),
            applications,
            members: Vec::new(),
            display_name: display.filter(|d| *d != name).map(str::to_owned),
            member_roles: BTreeMap::new(),
            invitations: Vec::new(),
        });
    }
}

/// The tenant has one database connection (users log in with it); the export's of that name
/// is it.
pub(super) fn databases(list: &Value, notes: &mut Notes) {
    const KIND: &str = "databases";
    for item in list.as_array().into_iter().flatten() {
        let Some(d) = item.as_object() else {
            notes.ignore(KIND, 1, "not an object");
            continue;
        };
        if str_of(d, "name") != Some(DATABASE_CONNECTION) {
            notes.ignore(
                KIND,
                1,
                &format!("the tenant's one database connection is {DATABASE_CONNECTION}"),
            );
            continue;
        }
        // Every application may use it, as enabled_clients usually says.
        notes.fields(
            KIND,
            d,
            &["name", "strategy", "enabled_clients", "realms"],
            &[],
        );
    }
}

/// `guardianPolicies: {policies: [...]}` (a directory export's `guardian/policies.json`): the
/// tenant's MFA policy. `confidence-score` (Adaptive MFA) is not modelled and noted.
pub(super) fn guardian_policies(value: &Value, config: &mut TenantConfig, notes: &mut Notes) {
    const KIND: &str = "guardianPolicies";
    let policies = value.get("policies").and_then(Value::as_array);
    for p in policies.into_iter().flatten() {
        match p.as_str() {
            Some("all-applications") => {
                config.mfa_policy = crate::config::MfaPolicy::AllApplications;
            }
            other => notes.detail(
                KIND,
                format!(
                    "policy {} (not modelled)",
                    other.unwrap_or("that is not a string")
                ),
            ),
        }
    }
}

pub(super) fn tenant(value: &Value, config: &mut TenantConfig, notes: &mut Notes) {
    const KIND: &str = "tenant";
    let Some(t) = value.as_object() else {
        return;
    };
    if let Some(aud) = str_of(t, "default_audience") {
        // The tenant's default audience is its first API.
        match config.apis.iter().position(|a| a.identifier == aud) {
            Some(i) => {
                let api = config.apis.remove(i);
                config.apis.insert(0, api);
            }
            None => notes.detail(
                KIND,
                format!("default_audience {aud} not among resourceServers"),
            ),
        }
    }
    if let Some(d) = str_of(t, "default_directory") {
        if d == DATABASE_CONNECTION {
            config.default_directory = Some(d.to_owned());
        } else {
            notes.detail(
                KIND,
                format!("default_directory {d} (the database connection is {DATABASE_CONNECTION})"),
            );
        }
    }
    config.allowed_logout_urls = strings(t, "allowed_logout_urls");
    for name in ["session_lifetime", "idle_session_lifetime"] {
        let Some(v) = t.get(name) else { continue };
        let hours = v.as_u64().and_then(|h| u32::try_from(h).ok()).unwrap_or(0);
        match lifetime_problem(name, hours) {
            None if name == "session_lifetime" => config.session_lifetime = hours,
            None => config.idle_session_lifetime = hours,
            Some(problem) => {
                notes.detail(KIND, format!("{problem} (got {v}): left at its default"))
            }
        }
    }
    notes.fields(
        KIND,
        t,
        &[
            "default_audience",
            "default_directory",
            "allowed_logout_urls",
            "session_lifetime",
            "idle_session_lifetime",
        ],
        &[],
    );
}
