//! The tenant's Actions: which exist, what triggers them, in which order, with which secrets
//! and dependencies; and how the Node worker that runs them is started.
//!
//! ```toml
//! [actions_runtime]                 # optional; these are the defaults
//! node = "node"                     # the Node.js binary (20 or newer)
//! timeout_ms = 20000                # per execution: Auth0's 20 s, or lower
//! memory_mb = 128                   # the worker's V8 heap (--max-old-space-size)
//! # modules_dir = "actions"         # where `npm install` put the declared dependencies
//!
//! [[actions]]
//! name = "add-roles"
//! trigger = "post-login"            # post-login | credentials-exchange
//! code = "actions/add-roles.js"     # relative to the TOML file (or `script = "..."` inline)
//! secrets = { NAMESPACE = "https://example.com/" }
//! dependencies = [{ name = "lodash", version = "4.17.21" }]
//! ```
//!
//! Actions of a trigger run in the order they appear in the file (Auth0's binding order).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Auth0's limit on one execution (20 s), the longest `timeout_ms` may be.
pub const MAX_ACTION_TIMEOUT_MS: u64 = 20_000;
/// Auth0's limits per tenant and per flow: 100 Actions, 20 bound to one trigger.
pub(super) const MAX_ACTIONS: usize = 100;
/// ... and per Action: 10 npm dependencies, 30 secrets, 100 kB of code.
pub(super) const MAX_ACTION_DEPENDENCIES: usize = 10;
/// At most 30 secrets per Action (Auth0).
pub(super) const MAX_ACTION_SECRETS: usize = 30;
/// At most 100 kB of code per Action (Auth0).
pub(super) const MAX_ACTION_CODE: usize = 100 * 1024;

/// The trigger an Action is bound to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActionTrigger {
    /// After a user logs in (authorization code, password, refresh token exchange).
    PostLogin,
    /// Before a client_credentials access token is issued.
    CredentialsExchange,
}

impl ActionTrigger {
    /// Auth0's name (`post-login`, `credentials-exchange`).
    pub fn as_str(self) -> &'static str {
        match self {
            ActionTrigger::PostLogin => "post-login",
            ActionTrigger::CredentialsExchange => "credentials-exchange",
        }
    }
}

/// An npm package an Action may `require` (Auth0's `dependencies` entry).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionDependency {
    /// The package name.
    pub name: String,
    /// The version Auth0 would install (informational here: `modules_dir` holds what runs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// One Action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionConfig {
    /// Its name (unique in the tenant), shown in errors and the journal.
    pub name: String,
    /// The trigger it is bound to.
    pub trigger: ActionTrigger,
    /// The file holding its code (relative paths are relative to the TOML file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<PathBuf>,
    /// Its code inline, instead of `code`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub script: Option<String>,
    /// `event.secrets`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub secrets: BTreeMap<String, String>,
    /// The npm packages it may `require`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<ActionDependency>,
}

impl ActionConfig {
    /// An Action whose code is `script`.
    pub fn inline(name: &str, trigger: ActionTrigger, script: &str) -> Self {
        ActionConfig {
            name: name.to_owned(),
            trigger,
            code: None,
            script: Some(script.to_owned()),
            secrets: BTreeMap::new(),
            dependencies: Vec::new(),
        }
    }

    /// Its source: `script`, or the file `code` names (read now).
    pub fn source(&self) -> Result<String, String> {
        match (&self.script, &self.code) {
            (Some(s), _) => Ok(s.clone()),
            (None, Some(path)) => std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read `{}`: {e}", path.display())),
            (None, None) => Err("needs `code` (a file) or `script`".into()),
        }
    }
}

/// How the Node worker that runs the Actions is started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionsRuntime {
    /// The Node.js binary: a name looked up on `PATH`, or a path.
    #[serde(default = "default_node")]
    pub node: String,
    /// Longest one Action may run, in milliseconds (at most Auth0's 20,000).
    #[serde(default = "default_timeout")]
    pub timeout_ms: u64,
    /// The worker's V8 heap limit in MiB (`--max-old-space-size`).
    #[serde(default = "default_memory")]
    pub memory_mb: u32,
    /// The directory where the declared dependencies were installed (`npm install` there: it
    /// holds `node_modules`); the worker may read it and nothing else.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modules_dir: Option<PathBuf>,
}

fn default_node() -> String {
    "node".into()
}
fn default_timeout() -> u64 {
    MAX_ACTION_TIMEOUT_MS
}
fn default_memory() -> u32 {
    128
}

impl Default for ActionsRuntime {
    fn default() -> Self {
        ActionsRuntime {
            node: default_node(),
            timeout_ms: default_timeout(),
            memory_mb: default_memory(),
            modules_dir: None,
        }
    }
}

impl ActionsRuntime {
    pub(crate) fn is_default(&self) -> bool {
        *self == ActionsRuntime::default()
    }
}

/// Makes relative `code` and `modules_dir` paths relative to the directory of the file they
/// were read from.
pub(super) fn resolve_paths(
    actions: &mut [ActionConfig],
    runtime: &mut ActionsRuntime,
    base: &Path,
) {
    for a in actions {
        if let Some(p) = &a.code
            && p.is_relative()
        {
            a.code = Some(base.join(p));
        }
    }
    if let Some(p) = &runtime.modules_dir
        && p.is_relative()
    {
        runtime.modules_dir = Some(base.join(p));
    }
}

/// Checks of `actions` and `actions_runtime`; `(key, problem)` as `TenantConfig::validate`
/// reports them.
pub(super) fn validate(
    actions: &[ActionConfig],
    runtime: &ActionsRuntime,
) -> Result<(), (String, String)> {
    if actions.len() > MAX_ACTIONS {
        return Err((
            "actions".into(),
            format!("at most {MAX_ACTIONS} Actions (Auth0's limit)"),
        ));
    }
    for (i, a) in actions.iter().enumerate() {
        let at = |k: &str| format!("actions[{i}].{k}");
        if a.name.trim().is_empty() || a.name.len() > 128 {
            return Err((at("name"), "must be 1 to 128 characters".into()));
        }
        if actions[..i].iter().any(|o| o.name == a.name) {
            return Err((at("name"), format!("two Actions named `{}`", a.name)));
        }
        if a.code.is_some() == a.script.is_some() {
            return Err((
                at("code"),
                "give exactly one of `code` (a file) and `script`".into(),
            ));
        }
        if a.script.as_ref().is_some_and(|s| s.len() > MAX_ACTION_CODE) {
            return Err((at("script"), "over 100 kB (Auth0's limit)".into()));
        }
        if a.secrets.len() > MAX_ACTION_SECRETS {
            return Err((
                at("secrets"),
                format!("at most {MAX_ACTION_SECRETS} secrets (Auth0's limit)"),
            ));
        }
        if a.dependencies.len() > MAX_ACTION_DEPENDENCIES {
            return Err((
                at("dependencies"),
                format!("at most {MAX_ACTION_DEPENDENCIES} dependencies (Auth0's limit)"),
            ));
        }
        if let Some(d) = a.dependencies.iter().find(|d| d.name.is_empty()) {
            return Err((
                at("dependencies"),
                format!("a dependency needs a name ({d:?})"),
            ));
        }
    }
    let bound = |t: ActionTrigger| actions.iter().filter(|a| a.trigger == t).count();
    for t in [ActionTrigger::PostLogin, ActionTrigger::CredentialsExchange] {
        if bound(t) > 20 {
            return Err((
                "actions".into(),
                format!("at most 20 Actions bound to {} (Auth0's limit)", t.as_str()),
            ));
        }
    }
    if runtime.timeout_ms == 0 || runtime.timeout_ms > MAX_ACTION_TIMEOUT_MS {
        return Err((
            "actions_runtime.timeout_ms".into(),
            format!("must be 1 to {MAX_ACTION_TIMEOUT_MS} (Auth0's limit)"),
        ));
    }
    if !(16..=4096).contains(&runtime.memory_mb) {
        return Err((
            "actions_runtime.memory_mb".into(),
            "must be 16 to 4096".into(),
        ));
    }
    if runtime.node.trim().is_empty() {
        return Err(("actions_runtime.node".into(), "must not be empty".into()));
    }
    Ok(())
}
