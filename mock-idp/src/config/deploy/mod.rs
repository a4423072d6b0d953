//! Auth0 Deploy CLI exports (`auth0-deploy-cli`): the `tenant.yaml` file and the directory
//! format (`clients/`, `resource-servers/`, `grants/`, `roles/`, `organizations/`,
//! `databases/`, `connections/`, `actions/`, `triggers/`, `tenant.json`...), read into the tenant model and written
//! from it, with Auth0's field names.
//!
//! A team that describes its Auth0 tenant with the Deploy CLI runs the same description
//! offline: `mock-idp import`, `serve --config tenant.yaml` or [`read`] take the export as it
//! is; `mock-idp export` and [`to_yaml`] give the tenant back as a `tenant.yaml`.
//!
//! What the export says and the tenant does not model (email templates, branding, a client's
//! logo...) is listed in one warning line per resource type, never dropped silently and
//! never a reason to refuse the file: see [`Import::warnings`]. What is wrong in a way Auth0
//! would refuse too (malformed YAML, a callback that is not a URL) is a [`ConfigError`] that
//! names the file (and the line, for YAML).
//!
//! The Deploy CLI's exports carry no `client_id`s (the tenant assigns them) and no secrets.
//! Here a client's `client_id` is derived from its name (32 characters, stable across
//! imports, so tests can hard-code it), and a confidential client's secret is kept from the
//! previous configuration when there is one ([`Options::previous`]: the `--out` file,
//! the configuration being reloaded) and generated otherwise ([`Import::generated_secrets`]).
//! A `client_id` or `client_secret` written in the export (a keyword such as
//! `##M2M_SECRET##` works) wins.
//!
//! | file | what it holds |
//! |---|---|
//! | `source` | reading a YAML file or a directory into one document, with keyword replacement |
//! | `keywords` | `##KEY##` and `@@KEY@@`, as the Deploy CLI replaces them |
//! | `clients`, `rest` | the document's resources into the tenant model, one function per resource type |
//! | `actions` | `actions` and `triggers`: the Actions bound to the triggers the tenant runs |
//! | `notes` | what was ignored, one line per resource type |
//! | `export` | the tenant model as a Deploy CLI `tenant.yaml` |

mod actions;
mod clients;
mod export;
mod keywords;
mod notes;
mod rest;
mod source;

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Map, Value};

use crate::config::{ConfigError, TenantConfig};

pub use clients::client_id_for;
pub use export::{Export, to_toml, to_yaml};
pub use keywords::Keywords;
pub use rest::organization_id_for;

/// Settings of an import.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Values for the export's `##KEY##` and `@@KEY@@` keywords (the Deploy CLI's
    /// `AUTH0_KEYWORD_REPLACE_MAPPINGS`).
    pub keywords: Keywords,
    /// The configuration this import replaces, if any: confidential clients keep their
    /// secrets from it (matched by `client_id`), so re-importing does not change them.
    pub previous: Option<TenantConfig>,
}

/// A Deploy CLI export read into the tenant model.
#[derive(Debug, Clone)]
pub struct Import {
    /// The tenant.
    pub config: TenantConfig,
    /// What the tenant does not model, one line per resource type (e.g. `ignored 3
    /// emailTemplates (not modelled)`), then keywords the mapping had no value for.
    pub warnings: Vec<String>,
    /// What got a secret from this import (neither in the export nor in
    /// [`Options::previous`]): clients by name, HS256 APIs as `IDENTIFIER (signing_secret)`.
    /// The secrets are in [`Import::config`].
    pub generated_secrets: Vec<String>,
}

/// The Actions the export at `dir` (a directory export or a `tenant.yaml`) binds to
/// post-login and credentials-exchange, in binding order (`TenantBuilder::actions_from_deploy_cli`):
/// its other resources are not read into a tenant. The error is one line naming the file.
pub(crate) fn actions_from_export(dir: &Path) -> Result<Vec<crate::config::ActionConfig>, String> {
    let mut doc = source::load(dir, &Keywords::default()).map_err(|e| e.to_string())?;
    let actions = doc.assets.remove("actions").unwrap_or(Value::Null);
    let Some(triggers) = doc.assets.remove("triggers") else {
        return Err(format!(
            "{}: no triggers/triggers.json (the export binds no Action)",
            dir.display()
        ));
    };
    actions::actions(&actions, &triggers, &doc.base, &mut notes::Notes::default())
        .map_err(|problem| format!("{}: {problem}", dir.display()))
}

/// The lifetime of the tenant's ID tokens (Auth0's default `jwt_configuration`), which a
/// client's `jwt_configuration` may only repeat.
const ID_TOKEN_LIFETIME: i64 = 36_000;

/// Largest export read (all files together): an export is configuration, not data.
pub const MAX_EXPORT_BYTES: u64 = 16 * 1024 * 1024;

/// Whether `path` looks like a Deploy CLI export rather than a tenant TOML: a directory, or a
/// `.yaml` / `.yml` file.
pub fn is_export(path: &Path) -> bool {
    path.is_dir()
        || path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"))
}

/// Reads the export at `path` (a `tenant.yaml` or an export directory) into the tenant model.
pub fn read(path: &Path, options: &Options) -> Result<Import, ConfigError> {
    let file = path.display().to_string();
    let mut doc = source::load(path, &options.keywords)?;
    convert(&mut doc, &file, options)
}

/// Reads the text of a `tenant.yaml` (`file` names it in errors).
pub fn parse_yaml(text: &str, file: &str, options: &Options) -> Result<Import, ConfigError> {
    let mut doc = source::parse_yaml(text, file, &options.keywords)?;
    convert(&mut doc, file, options)
}

/// The tenant TOML, or an export when [`is_export`] says so: what `serve --config` reads.
pub fn load_any(path: &Path, options: &Options) -> Result<Import, ConfigError> {
    if is_export(path) {
        read(path, options)
    } else {
        Ok(Import {
            config: TenantConfig::load(path)?,
            warnings: Vec::new(),
            generated_secrets: Vec::new(),
        })
    }
}

/// The document (keywords replaced) into the model, validated as a TOML file is.
fn convert(
    doc: &mut source::Document,
    file: &str,
    options: &Options,
) -> Result<Import, ConfigError> {
    let mut notes = notes::Notes::default();
    let mut assets: Map<String, Value> = std::mem::take(&mut doc.assets);
    let mut config = TenantConfig {
        apis: Vec::new(),
        applications: Vec::new(),
        ..TenantConfig::default()
    };
    let previous: BTreeMap<&str, &str> = options
        .previous
        .iter()
        .flat_map(|p| p.applications.iter())
        .map(|a| (a.client_id.as_str(), a.client_secret.as_str()))
        .collect();
    let mut generated = Vec::new();
    let mut take = |key: &str| assets.remove(key).unwrap_or(Value::Null);
    let apis = take("resourceServers");
    let clients = take("clients");
    let grants = take("clientGrants");
    let roles = take("roles");
    let orgs = take("organizations");
    let databases = take("databases");
    let tenant = take("tenant");
    let guardian = take("guardianPolicies");
    let actions = take("actions");
    let triggers = take("triggers");
    let api_secrets: BTreeMap<String, Option<String>> = options
        .previous
        .iter()
        .flat_map(|p| p.apis.iter())
        .map(|a| (a.identifier.clone(), a.signing_secret.clone()))
        .collect();
    rest::resource_servers(&apis, &api_secrets, &mut config, &mut generated, &mut notes);
    clients::clients(&clients, &previous, &mut config, &mut generated, &mut notes);
    clients::client_grants(&grants, &mut config, &mut notes);
    rest::roles(&roles, &mut config, &mut notes);
    rest::organizations(&orgs, &mut config, &mut notes);
    rest::databases(&databases, &mut notes);
    rest::tenant(&tenant, &mut config, &mut notes);
    rest::guardian_policies(&guardian, &mut config, &mut notes);
    config.actions =
        actions::actions(&actions, &triggers, &doc.base, &mut notes).map_err(|problem| {
            ConfigError::Invalid {
                file: file.to_owned(),
                key: "actions".into(),
                problem,
            }
        })?;
    for (key, value) in &assets {
        notes.ignore_all(key, value, "not modelled");
    }
    for (dir, count) in &doc.other_dirs {
        notes.ignore(dir, *count, "not modelled");
    }
    let mut warnings = notes.lines();
    if !doc.unreplaced.is_empty() {
        let list: Vec<&str> = doc.unreplaced.iter().map(String::as_str).collect();
        warnings.push(format!(
            "keywords without a value (left as written): {}",
            list.join(", ")
        ));
    }
    if config.apis.is_empty() {
        return Err(ConfigError::Invalid {
            file: file.to_owned(),
            key: "resourceServers".into(),
            problem: "the tenant needs at least one API (a resource server other than the Management API)".into(),
        });
    }
    config
        .validate()
        .map_err(|(key, problem)| ConfigError::Invalid {
            file: file.to_owned(),
            key,
            problem,
        })?;
    Ok(Import {
        config,
        warnings,
        generated_secrets: generated,
    })
}

/// 32 characters of `[A-Za-z0-9]` derived from `seed`: the shape of Auth0's client ids.
pub(crate) fn derived_id(seed: &str, len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut out = String::new();
    let mut block = 0u32;
    while out.len() < len {
        let digest = crate::jose::sha256(format!("{seed}#{block}"));
        out.extend(
            digest
                .iter()
                .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char),
        );
        block += 1;
    }
    out.truncate(len);
    out
}

/// A fresh 64-character secret (Auth0's length), from the system's random source.
pub(crate) fn random_secret() -> String {
    let mut s: String = (0..3).map(|_| crate::jose::random_id()).collect();
    s.truncate(64);
    s
}
