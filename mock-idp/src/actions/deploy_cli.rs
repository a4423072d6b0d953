//! Actions from an `auth0-deploy-cli` export in its directory format: `actions/<name>.json`
//! (name, code file, dependencies, secrets, supported triggers) with each Action's
//! `actions/<name>/code.js`, and `triggers/triggers.json`, which binds Action names to
//! triggers in order (`{"post-login": [{"action_name": "add-roles", "display_name": ...}]}`).
//!
//! Only bindings of the triggers mock-idp runs (post-login, credentials-exchange) become
//! [`ActionConfig`]s, in the export's binding order; an Action bound to none of them is left
//! out, as Auth0 would never run it in those flows. Secret values are kept when the export has
//! them (the Deploy CLI writes what its keyword mappings put there).

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::config::{ActionConfig, ActionDependency, ActionTrigger};

/// The Actions `dir` (the export's root) binds, in binding order. The error is one line naming
/// the file and the problem.
pub(crate) fn actions_from_export(dir: &Path) -> Result<Vec<ActionConfig>, String> {
    let triggers_file = dir.join("triggers").join("triggers.json");
    let triggers = read_json(&triggers_file)?;
    let mut out: Vec<ActionConfig> = Vec::new();
    for trigger in [ActionTrigger::PostLogin, ActionTrigger::CredentialsExchange] {
        let Some(bound) = triggers.get(trigger.as_str()) else {
            continue;
        };
        let Some(bound) = bound.as_array() else {
            return Err(format!(
                "{}: `{}` must be a list of bindings",
                triggers_file.display(),
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
                    "{}: a `{}` binding has no action_name",
                    triggers_file.display(),
                    trigger.as_str()
                ));
            };
            out.push(action(dir, name, trigger)?);
        }
    }
    Ok(out)
}

fn read_json(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// The Deploy CLI's file name for an Action's name (`sanitize`: characters a file name
/// cannot hold become `-`).
fn sanitize(name: &str) -> String {
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

fn action(dir: &Path, name: &str, trigger: ActionTrigger) -> Result<ActionConfig, String> {
    let file = dir.join("actions").join(format!("{}.json", sanitize(name)));
    let json = read_json(&file)?;
    let code = code_file(dir, name, json.get("code").and_then(Value::as_str));
    if !code.is_file() {
        return Err(format!(
            "{}: the code of `{name}` is not at {}",
            file.display(),
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
    })
}

/// Where an Action's code is: the `code` path as written (absolute, or relative to the export
/// or to the current directory, as the Deploy CLI wrote it), else `actions/<name>/code.js`.
fn code_file(dir: &Path, name: &str, code: Option<&str>) -> PathBuf {
    let fallback = dir.join("actions").join(sanitize(name)).join("code.js");
    let Some(code) = code else { return fallback };
    let p = Path::new(code);
    [p.to_path_buf(), dir.join(p)]
        .into_iter()
        .find(|c| c.is_file())
        .unwrap_or(fallback)
}
