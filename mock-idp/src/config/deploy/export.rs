//! The tenant model as a Deploy CLI `tenant.yaml`: what `a0deploy export` would write for a
//! tenant configured the same way (clients by name, no ids or secrets, grants naming the
//! client).

use serde_json::{Map, Value, json};

use crate::config::{ApplicationConfig, MANAGEMENT_API, TenantConfig};

/// A tenant as a Deploy CLI export.
#[derive(Debug, Clone)]
pub struct Export {
    /// The `tenant.yaml` text.
    pub yaml: String,
    /// The document before it is written as YAML (the same fields).
    pub document: Value,
    /// What the Deploy CLI format cannot hold, one line per kind (users, custom claims...).
    pub warnings: Vec<String>,
}

/// Writes `config` as a `tenant.yaml`; `domain` is the tenant's (`localhost:8443`), whose
/// Management API grants name `https://{domain}/api/v2/`.
pub fn to_yaml(config: &TenantConfig, domain: &str) -> Export {
    let mut warnings = Vec::new();
    let mut left_out = |what: &str, n: usize| {
        if n > 0 {
            warnings.push(format!("not in the Deploy CLI format: {n} {what}"));
        }
    };
    left_out("users", config.users.len());
    left_out("exchange_profiles", config.exchange_profiles.len());
    left_out("custom_api_clients", config.custom_api_clients.len());
    left_out("token_vault entries", config.token_vault.len());
    left_out("custom_domains", config.custom_domains.len());
    // A tenant.yaml names each Action's code file: `a0deploy export` of the running tenant
    // (through /api/v2/actions/) writes them.
    left_out(
        "actions (a0deploy export writes them with their code files)",
        config.actions.len(),
    );
    left_out(
        "applications with custom_claims or allow_plain_pkce",
        config
            .applications
            .iter()
            .filter(|a| !a.custom_claims.is_empty() || a.allow_plain_pkce)
            .count(),
    );
    left_out(
        "APIs with custom_claims",
        config
            .apis
            .iter()
            .filter(|a| !a.custom_claims.is_empty())
            .count(),
    );
    left_out(
        "organization members",
        config.organizations.iter().map(|o| o.members.len()).sum(),
    );
    let management = format!("https://{domain}/api/v2/");
    let is_management = |id: &str| id == MANAGEMENT_API || id == management;
    let mut tenant = Map::new();
    if let Some(api) = config.apis.iter().find(|a| !is_management(&a.identifier)) {
        tenant.insert("default_audience".into(), json!(api.identifier));
    }
    if let Some(d) = &config.default_directory {
        tenant.insert("default_directory".into(), json!(d));
    }
    tenant.insert("session_lifetime".into(), json!(config.session_lifetime));
    tenant.insert(
        "idle_session_lifetime".into(),
        json!(config.idle_session_lifetime),
    );
    if !config.allowed_logout_urls.is_empty() {
        tenant.insert(
            "allowed_logout_urls".into(),
            json!(config.allowed_logout_urls),
        );
    }
    let name_of = |a: &ApplicationConfig| a.name.clone().unwrap_or_else(|| a.client_id.clone());
    let clients: Vec<Value> = config
        .applications
        .iter()
        .map(|a| client(a, &name_of(a)))
        .collect();
    let resource_servers: Vec<Value> = config
        .apis
        .iter()
        .filter(|a| !is_management(&a.identifier) && !a.is_management_api())
        .map(|a| {
            let mut r = json!({
                "name": a.name.clone().unwrap_or_else(|| a.identifier.clone()),
                "identifier": a.identifier,
                "allow_offline_access": a.allow_offline_access,
                "enforce_policies": true,
                "scopes": a.scopes_json(),
                "signing_alg": a.signing_alg,
                "skip_consent_for_verifiable_first_party_clients": true,
                "token_dialect": a.dialect,
                "token_lifetime": a.token_lifetime,
            });
            // Auth0 shows an HS256 API's secret to whoever may read the API; so does the export.
            if let Some(secret) = &a.signing_secret {
                r["signing_secret"] = json!(secret);
            }
            r
        })
        .collect();
    let mut grants = Vec::new();
    for a in &config.applications {
        for (aud, scopes) in &a.grants {
            let audience = if is_management(aud) {
                management.clone()
            } else {
                aud.clone()
            };
            grants.push(json!({"client_id": name_of(a), "audience": audience, "scope": scopes}));
        }
    }
    let roles: Vec<Value> = config
        .roles
        .iter()
        .map(|r| {
            let permissions: Vec<Value> = r
                .permissions
                .iter()
                .flat_map(|(api, perms)| {
                    perms.iter().map(
                        move |p| json!({"permission_name": p, "resource_server_identifier": api}),
                    )
                })
                .collect();
            let mut role = json!({"name": r.name, "permissions": permissions});
            if let Some(d) = &r.description {
                role["description"] = json!(d);
            }
            role
        })
        .collect();
    let organizations: Vec<Value> = config
        .organizations
        .iter()
        .map(|o| {
            let name = o.name.clone().unwrap_or_else(|| o.id.clone());
            let grants: Vec<Value> = o
                .applications
                .iter()
                .filter_map(|c| config.application(c))
                .map(|a| json!({"client_id": name_of(a)}))
                .collect();
            let display = o.display_name.clone().unwrap_or_else(|| name.clone());
            let mut org = json!({"name": name, "display_name": display, "connections": []});
            if !grants.is_empty() {
                org["client_grants"] = json!(grants);
            }
            org
        })
        .collect();
    let mut document = json!({
        "tenant": tenant,
        "clients": clients,
        "databases": [{"name": crate::config::DATABASE_CONNECTION, "strategy": "auth0",
            "enabled_clients": config.applications.iter().map(name_of).collect::<Vec<_>>()}],
        "resourceServers": resource_servers,
        "clientGrants": grants,
        "roles": roles,
        "organizations": organizations,
    });
    if config.mfa_policy == crate::config::MfaPolicy::AllApplications {
        document["guardianPolicies"] = json!({"policies": ["all-applications"]});
    }
    let yaml = serde_saphyr::to_string(&document).unwrap_or_default();
    Export {
        yaml,
        document,
        warnings,
    }
}

/// One application as the Deploy CLI writes a client (explicit grant types and method).
fn client(a: &ApplicationConfig, name: &str) -> Value {
    let grant_types: Vec<&str> = match &a.grant_types {
        Some(list) => list.iter().map(|g| g.as_str()).collect(),
        None => a
            .app_type
            .default_grant_types()
            .iter()
            .map(|g| g.as_str())
            .collect(),
    };
    let r = a.refresh_settings();
    let mut c = json!({
        "name": name,
        "app_type": a.app_type,
        "callbacks": a.callbacks,
        "allowed_logout_urls": a.allowed_logout_urls,
        "web_origins": a.web_origins,
        "grant_types": grant_types,
        "token_endpoint_auth_method": a.auth_method(),
        "is_first_party": a.is_first_party,
        "oidc_conformant": true,
        "organization_usage": a.organization_usage,
        "jwt_configuration": {"alg": a.id_token_alg(), "lifetime_in_seconds": super::ID_TOKEN_LIFETIME, "secret_encoded": false},
    });
    if a.refresh_token.is_some() {
        c["refresh_token"] = json!({
            "rotation_type": r.rotation_type,
            "expiration_type": "expiring",
            "leeway": r.leeway,
            "token_lifetime": r.token_lifetime,
            "idle_token_lifetime": r.idle_token_lifetime,
            "infinite_token_lifetime": false,
            "infinite_idle_token_lifetime": false,
        });
    }
    if let Some(u) = &a.initiate_login_uri {
        c["initiate_login_uri"] = json!(u);
    }
    c
}

/// `config` as a tenant TOML that [`TenantConfig::parse`] reads back equal, without the
/// empty lists, tables and strings whose absence means the same.
pub fn to_toml(config: &TenantConfig) -> Result<String, toml::ser::Error> {
    let mut value = toml::Value::try_from(config)?;
    if let toml::Value::Table(t) = &mut value {
        let keep_users = t.get("users").cloned();
        prune(t);
        // No `users` means the default user: an empty list must stay written.
        if let (Some(u), false) = (keep_users, t.contains_key("users")) {
            t.insert("users".into(), u);
        }
    }
    toml::to_string(&value)
}

fn prune(t: &mut toml::Table) {
    for (_, v) in t.iter_mut() {
        match v {
            toml::Value::Table(inner) => prune(inner),
            toml::Value::Array(items) => {
                for item in items {
                    if let toml::Value::Table(inner) = item {
                        prune(inner);
                    }
                }
            }
            _ => {}
        }
    }
    t.retain(|_, v| match v {
        toml::Value::Table(x) => !x.is_empty(),
        toml::Value::Array(x) => !x.is_empty(),
        toml::Value::String(x) => !x.is_empty(),
        _ => true,
    });
}
