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
pub(crate) const MAX_ACTIONS: usize = 100;
/// ... and per Action: 10 npm dependencies, 30 secrets, 100 kB of code.
pub(super) const MAX_ACTION_DEPENDENCIES: usize = 10;
/// At most 30 secrets per Action (Auth0).
pub(super) const MAX_ACTION_SECRETS: usize = 30;
/// At most 100 kB of code per Action (Auth0).
pub(crate) const MAX_ACTION_CODE: usize = 100 * 1024;

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
    /// What Auth0's Management API made of it (id, deployment, binding); absent for an Action
    /// written in the file, which is deployed as written and bound in file order. The state
    /// directory keeps it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed: Option<ManagedAction>,
}

/// An Action created or changed over the Management API: `script` is its draft, `deployed`
/// what runs (Auth0 runs the deployed version of a bound Action, never the draft).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManagedAction {
    /// Auth0's id (a UUID).
    pub id: String,
    /// When it was created and last changed (ISO 8601).
    pub created_at: String,
    /// When it was last changed.
    pub updated_at: String,
    /// Auth0's runtime name (`node22`...); informational: the worker runs the Node it has.
    pub runtime: String,
    /// Whether it is bound to its trigger (binding order: its place among `actions`).
    pub bound: bool,
    /// The version that runs once bound; `None` until the first deploy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployed: Option<ActionVersion>,
}

/// A deployed version: immutable once made (only the newest one is kept).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionVersion {
    /// Auth0's version id (a UUID).
    pub id: String,
    /// 1 for the first deploy, then one more per deploy.
    pub number: u32,
    /// The code deployed.
    pub code: String,
    /// The dependencies deployed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<ActionDependency>,
    /// The runtime deployed.
    pub runtime: String,
    /// When it was deployed.
    pub created_at: String,
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
            managed: None,
        }
    }

    /// Auth0's id: the Management API's, or one derived from the name (a UUID's shape,
    /// stable across restarts) for an Action written in the file.
    pub fn id(&self) -> String {
        match &self.managed {
            Some(m) => m.id.clone(),
            None => uuid_from(&format!("action:{}", self.name)),
        }
    }

    /// Whether it runs in its trigger's flow: deployed and bound (an Action from the file
    /// always is).
    pub fn runs(&self) -> bool {
        self.managed
            .as_ref()
            .is_none_or(|m| m.bound && m.deployed.is_some())
    }

    /// The key the worker loads it under, which changes with each deploy (the worker keeps
    /// the previous version loaded, so executions already under way finish on it).
    pub(crate) fn load_key(&self) -> String {
        match self.managed.as_ref().and_then(|m| m.deployed.as_ref()) {
            Some(v) => format!("{}@{}", self.name, v.id),
            None => self.name.clone(),
        }
    }

    /// A version made of the draft as it is now (its code read now): what a deploy freezes.
    pub(crate) fn draft_version(
        &self,
        id: String,
        number: u32,
        now: &str,
    ) -> Result<ActionVersion, String> {
        Ok(ActionVersion {
            id,
            number,
            code: self.source()?,
            dependencies: self.dependencies.clone(),
            runtime: self
                .managed
                .as_ref()
                .map_or_else(|| DEFAULT_RUNTIME.to_owned(), |m| m.runtime.clone()),
            created_at: now.to_owned(),
        })
    }

    /// The version that runs: the Management API's deployed one, or for an Action from the
    /// file its version 1 (the file as written, read now). `None`: never deployed.
    pub fn deployed_version(&self) -> Option<ActionVersion> {
        match &self.managed {
            Some(m) => m.deployed.clone(),
            None => {
                let id = uuid_from(&format!("version:{}:1", self.name));
                self.draft_version(id, 1, "").ok()
            }
        }
    }

    /// Auth0's `all_changes_deployed`: the draft is what runs.
    pub fn all_changes_deployed(&self) -> bool {
        let Some(m) = &self.managed else {
            return true;
        };
        m.deployed.as_ref().is_some_and(|v| {
            self.script.as_deref() == Some(v.code.as_str())
                && v.dependencies == self.dependencies
                && v.runtime == m.runtime
        })
    }

    /// The code that runs: the deployed version's, or the file's (read now).
    pub(crate) fn running_code(&self) -> Result<(String, Vec<ActionDependency>), String> {
        match self.managed.as_ref().and_then(|m| m.deployed.as_ref()) {
            Some(v) => Ok((v.code.clone(), v.dependencies.clone())),
            None => Ok((self.source()?, self.dependencies.clone())),
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

/// The runtime Auth0 gives a new Action (informational: the worker runs the Node it has).
pub(crate) const DEFAULT_RUNTIME: &str = "node22";

/// A UUID-shaped id (8-4-4-4-12 hex digits) derived from `seed`.
pub(crate) fn uuid_from(seed: &str) -> String {
    let d = crate::jose::sha256(seed);
    let hex: String = d[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
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
        let deployed = a.managed.as_ref().and_then(|m| m.deployed.as_ref());
        if a.script.as_ref().is_some_and(|s| s.len() > MAX_ACTION_CODE)
            || deployed.is_some_and(|v| v.code.len() > MAX_ACTION_CODE)
        {
            return Err((at("script"), "over 100 kB (Auth0's limit)".into()));
        }
        if let Some(m) = &a.managed
            && actions[..i]
                .iter()
                .any(|o| o.managed.as_ref().is_some_and(|om| om.id == m.id))
        {
            return Err((at("managed.id"), format!("two Actions with id `{}`", m.id)));
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
    let bound = |t: ActionTrigger| {
        actions
            .iter()
            .filter(|a| a.trigger == t && a.managed.as_ref().is_none_or(|m| m.bound))
            .count()
    };
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
