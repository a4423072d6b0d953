//! Actions, as Auth0's Management API changes them: created as a draft (not deployed, not
//! bound), deployed (a new version: the draft's code, frozen), bound to their trigger in an
//! order (the execution order), deleted once unbound. Actions from the tenant file have no
//! Management API state until the API first changes them; they are deployed and bound as
//! written (`ActionConfig::runs`).

use crate::config::{
    ActionConfig, ActionTrigger, ActionVersion, DEFAULT_RUNTIME, ManagedAction, TenantConfig,
};
use crate::tenant::model::{EntryKind, ModelError, TenantModel};

/// What a Management API write to an Action changes (`None`: unchanged).
#[derive(Debug, Default)]
pub(crate) struct ActionDraft {
    pub(crate) name: Option<String>,
    pub(crate) trigger: Option<ActionTrigger>,
    pub(crate) code: Option<String>,
    pub(crate) dependencies: Option<Vec<crate::config::ActionDependency>>,
    pub(crate) runtime: Option<String>,
    /// Secrets by name; a `None` value keeps the secret's current value (Auth0 lets a client
    /// send a secret's name alone).
    pub(crate) secrets: Option<Vec<(String, Option<String>)>>,
}

impl TenantModel {
    /// Adds an Action (a draft: neither deployed nor bound) with the next free id.
    pub(crate) fn create_action(
        &self,
        draft: ActionDraft,
        id: String,
        now: &str,
    ) -> Result<ActionConfig, ModelError> {
        self.change_settings(|cfg| {
            let (Some(name), Some(trigger)) = (draft.name.clone(), draft.trigger) else {
                return Err(ModelError::invalid(
                    "actions",
                    "an Action needs a name and a trigger",
                ));
            };
            if cfg.actions.iter().any(|a| a.name == name) {
                return Err(ModelError::Conflict(format!(
                    "An action with the name '{name}' already exists."
                )));
            }
            if cfg.actions.len() >= crate::config::MAX_ACTIONS {
                return Err(ModelError::TooMany {
                    what: "Actions",
                    limit: crate::config::MAX_ACTIONS,
                });
            }
            let mut a = ActionConfig::inline(&name, trigger, "");
            a.managed = Some(ManagedAction {
                id,
                created_at: now.to_owned(),
                updated_at: now.to_owned(),
                runtime: DEFAULT_RUNTIME.into(),
                bound: false,
                deployed: None,
            });
            apply(&mut a, draft, now)?;
            cfg.actions.push(a.clone());
            Ok(a)
        })
    }

    /// Changes the draft of the Action `id`; what runs changes at the next deploy.
    pub(crate) fn update_action(
        &self,
        id: &str,
        draft: ActionDraft,
        now: &str,
    ) -> Result<ActionConfig, ModelError> {
        self.change_settings(|cfg| {
            if let Some(n) = &draft.name
                && cfg.actions.iter().any(|a| &a.name == n && a.id() != id)
            {
                return Err(ModelError::Conflict(format!(
                    "An action with the name '{n}' already exists."
                )));
            }
            let a = action_mut(cfg, id)?;
            if draft.trigger.is_some_and(|t| t != a.trigger) && a.runs() {
                return Err(ModelError::invalid(
                    "supported_triggers",
                    "a bound Action cannot change its trigger: unbind it first",
                ));
            }
            apply(a, draft, now)?;
            Ok(a.clone())
        })
    }

    /// Deploys `version` (made of the Action's draft, and loaded by the worker already) as the
    /// Action `id`'s next one: it runs from the next execution on if the Action is bound.
    pub(crate) fn deploy_action(
        &self,
        id: &str,
        mut version: ActionVersion,
        now: &str,
    ) -> Result<ActionConfig, ModelError> {
        self.change_settings(|cfg| {
            let a = action_mut(cfg, id)?;
            let m = ensure_managed(a, now)?;
            version.number = m.deployed.as_ref().map_or(1, |v| v.number + 1);
            version.created_at = now.to_owned();
            m.deployed = Some(version);
            m.updated_at = now.to_owned();
            Ok(a.clone())
        })
    }

    /// Removes the Action `id`, which must not be bound (unless `force`, which unbinds it).
    pub(crate) fn delete_action(&self, id: &str, force: bool) -> Result<(), ModelError> {
        self.change_settings(|cfg| {
            let at = cfg
                .actions
                .iter()
                .position(|a| a.id() == id)
                .ok_or(ModelError::NotFound(EntryKind::Action))?;
            let bound = cfg.actions[at].managed.as_ref().is_none_or(|m| m.bound);
            if bound && !force {
                return Err(ModelError::invalid(
                    "id",
                    "action is bound to a trigger; remove the binding first or use force=true",
                ));
            }
            cfg.actions.remove(at);
            Ok(())
        })
    }

    /// Binds exactly `ids` to `trigger`, in this order (the execution order); the trigger's
    /// other Actions are unbound. Each must be deployed and support the trigger.
    pub(crate) fn bind_actions(
        &self,
        trigger: ActionTrigger,
        ids: &[String],
        now: &str,
    ) -> Result<Vec<ActionConfig>, ModelError> {
        self.change_settings(|cfg| {
            let mut chosen = Vec::new();
            for (i, id) in ids.iter().enumerate() {
                if ids[..i].contains(id) {
                    return Err(ModelError::invalid(
                        "bindings",
                        format!("action {id} is bound twice"),
                    ));
                }
                let at = cfg
                    .actions
                    .iter()
                    .position(|a| &a.id() == id)
                    .ok_or(ModelError::NotFound(EntryKind::Action))?;
                let a = &cfg.actions[at];
                if a.trigger != trigger {
                    return Err(ModelError::invalid(
                        "bindings",
                        format!(
                            "action {} does not support the {} trigger",
                            a.name,
                            trigger.as_str()
                        ),
                    ));
                }
                if a.managed.as_ref().is_some_and(|m| m.deployed.is_none()) {
                    return Err(ModelError::invalid(
                        "bindings",
                        format!("action {} has not been deployed", a.name),
                    ));
                }
                chosen.push(at);
            }
            // The bound ones leave their places and come back, in binding order, after the
            // rest: order among a trigger's bound Actions is order in the list.
            let mut taken: Vec<ActionConfig> =
                chosen.iter().map(|&i| cfg.actions[i].clone()).collect();
            let mut keep = Vec::new();
            for (i, mut a) in std::mem::take(&mut cfg.actions).into_iter().enumerate() {
                if chosen.contains(&i) {
                    continue;
                }
                if a.trigger == trigger && a.runs() {
                    ensure_managed(&mut a, now)?.bound = false;
                }
                keep.push(a);
            }
            for a in &mut taken {
                ensure_managed(a, now)?.bound = true;
            }
            keep.extend(taken.iter().cloned());
            cfg.actions = keep;
            Ok(taken)
        })
    }
}

/// The Action's Management API state, made now for an Action from the file: deployed as
/// written (version 1, its code read now) and bound, as it ran until now.
fn ensure_managed<'a>(
    a: &'a mut ActionConfig,
    now: &str,
) -> Result<&'a mut ManagedAction, ModelError> {
    if a.managed.is_none() {
        let deployed = a.deployed_version().ok_or_else(|| {
            ModelError::invalid("code", format!("the code of `{}` cannot be read", a.name))
        })?;
        a.managed = Some(ManagedAction {
            id: a.id(),
            created_at: now.to_owned(),
            updated_at: now.to_owned(),
            runtime: DEFAULT_RUNTIME.into(),
            bound: true,
            deployed: Some(ActionVersion {
                created_at: now.to_owned(),
                ..deployed
            }),
        });
    }
    match a.managed.as_mut() {
        Some(m) => Ok(m),
        None => Err(ModelError::invalid("actions", "no Management API state")),
    }
}

fn action_mut<'a>(cfg: &'a mut TenantConfig, id: &str) -> Result<&'a mut ActionConfig, ModelError> {
    cfg.actions
        .iter_mut()
        .find(|a| a.id() == id)
        .ok_or(ModelError::NotFound(EntryKind::Action))
}

/// Writes `draft` into `a`'s draft.
fn apply(a: &mut ActionConfig, draft: ActionDraft, now: &str) -> Result<(), ModelError> {
    ensure_managed(a, now)?;
    if let Some(n) = draft.name {
        a.name = n;
    }
    if let Some(t) = draft.trigger {
        a.trigger = t;
    }
    if let Some(code) = draft.code {
        a.script = Some(code);
        a.code = None;
    } else if a.script.is_none() {
        // An Action from a file keeps its code, now as its draft.
        let code = a.source().map_err(|p| ModelError::invalid("code", p))?;
        a.script = Some(code);
        a.code = None;
    }
    if let Some(d) = draft.dependencies {
        a.dependencies = d;
    }
    let m = ensure_managed(a, now)?;
    if let Some(r) = draft.runtime {
        m.runtime = r;
    }
    m.updated_at = now.to_owned();
    if let Some(secrets) = draft.secrets {
        let old = std::mem::take(&mut a.secrets);
        for (name, value) in secrets {
            let value = value
                .or_else(|| old.get(&name).cloned())
                .unwrap_or_default();
            a.secrets.insert(name, value);
        }
    }
    Ok(())
}
