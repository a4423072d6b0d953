//! Actions of an export: `actions` (in a directory export, `actions/<name>.json` with each
//! Action's `actions/<name>/code.js`; in a `tenant.yaml`, a list whose `code` names the file)
//! and `triggers` (`triggers/triggers.json`, or the YAML's `triggers:`), which binds Action
//! names to triggers in order (`{"post-login": [{"action_name": "add-roles", "display_name":
//! ...}]}`).
//!
//! Code paths are relative to the export (a directory export's root, a `tenant.yaml`'s folder),
//! as the Deploy CLI writes them; a missing code file stops the import with one line.
//!
//! Only bindings of the triggers mock-idp runs (post-login, credentials-exchange) become
//! [`ActionConfig`]s, in the export's binding order: deployed and bound, as an Action written
//! in a tenant TOML is. An Action bound to none of them is left out (one warning line), as
//! Auth0 would never run it in those flows. Secret values are kept when the export has them
//! (the Deploy CLI writes what its keyword mappings put there).

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::notes::Notes;
use crate::config::{ActionConfig, ActionDependency, ActionTrigger};

const KIND: &str = "actions";

/// The Actions `triggers` binds, in binding order, from the `actions` list; code paths are
/// relative to `base` (the export's root, or the `tenant.yaml`'s folder). The error is one
/// line saying what is missing.
pub(super) fn actions(
    actions: &Value,
    triggers: &Value,
    base: &Path,
    notes: &mut Notes,
) -> Result<Vec<ActionConfig>, String> {
    let list: Vec<&serde_json::Map<String, Value>> = actions
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .collect();
    let mut out: Vec<ActionConfig> = Vec::new();
    for trigger in [ActionTrigger::PostLogin, ActionTrigger::CredentialsExchange] {
        let Some(bound) = triggers.get(trigger.as_str()) else {
            continue;
        };
        let Some(bound) = bound.as_array() else {
            return Err(format!(
                "triggers: `{}` must be a list of bindings",
                trigger.as_str()
            ));
        };
        for b in bound {
            let Some(name) = b
                .get("action_name")
                .or_else(|| b.get("display_name"))
                .and_then(Value::as_str)
            else {
                return Err(format!(
                    "triggers: a `{}` binding has no action_name",
                    trigger.as_str()
                ));
            };
            let Some(item) = list
                .iter()
                .find(|a| a.get("name").and_then(Value::as_str) == Some(name))
            else {
                return Err(format!(
                    "triggers: `{}` binds `{name}`, which is not among the actions",
                    trigger.as_str()
                ));
            };
            out.push(action(base, name, trigger, item)?);
        }
    }
    let unbound = list
        .iter()
        .filter(|a| {
            let name = a.get("name").and_then(Value::as_str);
            !out.iter().any(|o| Some(o.name.as_str()) == name)
        })
        .count();
    notes.ignore(
        KIND,
        unbound,
        "not bound to post-login or credentials-exchange",
    );
    Ok(out)
}

/// The Deploy CLI's file name for an Action's name (`sanitize`: characters a file name
/// cannot hold become `-`).
pub(super) fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| {
            if matches!(
                c,
                '/' | '\\' | '?' | '%' | '*' | ':' | '|' | '"' | '<' | '>'
            ) {
                '-'
            } else {
                c
            }
        })
        .collect()
}

fn action(
    base: &Path,
    name: &str,
    trigger: ActionTrigger,
    json: &serde_json::Map<String, Value>,
) -> Result<ActionConfig, String> {
    let code = code_file(base, name, json.get("code").and_then(Value::as_str));
    if !code.is_file() {
        return Err(format!(
            "actions: the code of `{name}` is not at {}",
            code.display()
        ));
    }
    let dependencies = json
        .get("dependencies")
        .and_then(Value::as_array)
        .map(|deps| {
            deps.iter()
                .filter_map(|d| {
                    Some(ActionDependency {
                        name: d.get("name")?.as_str()?.to_owned(),
                        version: d.get("version").and_then(Value::as_str).map(str::to_owned),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let secrets = json
        .get("secrets")
        .and_then(Value::as_array)
        .map(|s| {
            s.iter()
                .filter_map(|s| {
                    let name = s.get("name")?.as_str()?.to_owned();
                    let value = s.get("value").and_then(Value::as_str).unwrap_or("");
                    Some((name, value.to_owned()))
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(ActionConfig {
        name: name.to_owned(),
        trigger,
        code: Some(code),
        script: None,
        secrets,
        dependencies,
        managed: None,
    })
}

/// Where an Action's code is: the `code` path as written (absolute, or relative to the export
/// or to the current directory, as the Deploy CLI wrote it), else `actions/<name>/code.js`.
fn code_file(base: &Path, name: &str, code: Option<&str>) -> PathBuf {
    let fallback = base.join("actions").join(sanitize(name)).join("code.js");
    let Some(code) = code else { return fallback };
    let p = Path::new(code);
    [base.join(p), p.to_path_buf()]
        .into_iter()
        .find(|c| c.is_file())
        .unwrap_or(fallback)
}
