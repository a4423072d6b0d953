//! The Actions runtime: the tenant's post-login and credentials-exchange Actions (JavaScript,
//! as a team deploys them to Auth0) run in one persistent Node worker per tenant, in binding
//! order, with Auth0's `event` and `api`; what they ask for is applied to the tokens.
//!
//! Which Actions exist and how they are bound is the tenant model's ([`crate::config::ActionConfig`]
//! in [`TenantConfig`]); this folder only runs them. A tenant without Actions never starts
//! Node.
//!
//! | file | what it holds |
//! |---|---|
//! | `worker.rs`, `worker.js` | the Node process (permission model, `vm` context per Action, memory limit), its line-delimited JSON protocol, restarts |
//! | `event.rs` | `event` as Auth0 builds it for each trigger |
//! | `apply.rs` | the `api` calls an Action made, applied: claims (Auth0's restricted names dropped and reported), scopes, deny, metadata |
//! | `executions.rs` | the last executions, for the journal and the Test page |
//! | `deploy_cli.rs` | Actions from an `auth0-deploy-cli` export (`actions/` and `triggers`) |

mod apply;
pub(crate) mod deploy_cli;
pub(crate) mod event;
pub(crate) mod executions;
mod worker;

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::Instant;

use serde_json::{Value, json};

use crate::config::{ActionTrigger, TenantConfig, UserConfig};
pub(crate) use apply::TokenChanges;
use apply::{Applied, apply};
pub use executions::ActionExecution;
use executions::Executions;
pub(crate) use worker::StartFailure;
use worker::{Loadable, Spec, Worker};

/// Most bytes of `app_metadata`, and of `user_metadata`, Actions may give one user (Auth0's
/// per-session persistence limit, 32 KB each).
pub(crate) const MAX_METADATA_BYTES: usize = 32 * 1024;

/// Why a flow stops because of its Actions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FlowError {
    /// `api.access.deny`: `code` is the credentials-exchange's (`invalid_scope`,
    /// `invalid_request`, `server_error`), `None` on post-login.
    Denied {
        code: Option<String>,
        reason: String,
    },
    /// An Action threw, timed out, returned a value, crashed the worker, or called what is
    /// not supported.
    Failed { action: String, message: String },
}

impl FlowError {
    /// The `error_description` the flow answers with: the deny reason, or the Action's
    /// error message as Auth0 passes it on (the Action's name is in the journal and the log).
    pub(crate) fn description(&self) -> String {
        match self {
            FlowError::Denied { reason, .. } => reason.clone(),
            FlowError::Failed { message, .. } => message.clone(),
        }
    }
}

/// Where the post-login Actions read the user and write its metadata: the tenant model
/// (`crate::tenant`'s state implements it with the model's own user write, so a write is
/// checked and bounded as any other and seen by the Management API and later logins).
pub(crate) trait UserStore: Sync {
    /// The user as the tenant holds it now.
    fn current_user(&self, user_id: &str) -> Option<std::sync::Arc<crate::config::UserConfig>>;
    /// Sets (`null`: removes) `key` of the user's `app_metadata` (`app`) or `user_metadata`.
    fn set_metadata(
        &self,
        user_id: &str,
        app: bool,
        key: &str,
        value: &Value,
    ) -> Result<(), String>;
}

/// One bound Action.
#[derive(Debug, Clone)]
struct Binding {
    name: String,
    secrets: BTreeMap<String, String>,
}

/// Most users whose logins are counted (`event.stats.logins_count`); past it, new users count
/// from zero each time (the tenant model holds at most 50,000 users). Users are counted by the
/// SHA-256 of their id, so the bytes are bounded too (about 10 MiB), however long the ids.
pub(crate) const MAX_COUNTED_USERS: usize = 100_000;

/// The runtime of one tenant.
#[derive(Debug, Default)]
pub(crate) struct Actions {
    bindings: HashMap<ActionTrigger, Vec<Binding>>,
    worker: Option<Worker>,
    timeout_ms: u64,
    executions: Executions,
    /// Logins per user, by the SHA-256 of the user_id.
    logins: Mutex<HashMap<Vec<u8>, u64>>,
}

impl Actions {
    /// Starts the worker if `cfg` has Actions (reading each Action's code, loading each once);
    /// without Actions, nothing starts.
    pub(crate) fn start(cfg: &TenantConfig) -> Result<Actions, StartFailure> {
        if cfg.actions.is_empty() {
            return Ok(Actions::default());
        }
        let mut loadables = Vec::new();
        let mut bindings: HashMap<ActionTrigger, Vec<Binding>> = HashMap::new();
        for a in &cfg.actions {
            let code = a.source().map_err(|reason| StartFailure::Load {
                name: a.name.clone(),
                reason,
            })?;
            loadables.push(Loadable {
                name: a.name.clone(),
                code,
                dependencies: a.dependencies.iter().map(|d| d.name.clone()).collect(),
            });
            bindings.entry(a.trigger).or_default().push(Binding {
                name: a.name.clone(),
                secrets: a.secrets.clone(),
            });
        }
        let rt = &cfg.actions_runtime;
        let worker = Worker::start(Spec {
            node: rt.node.clone(),
            memory_mb: rt.memory_mb,
            modules_dir: rt.modules_dir.clone(),
            actions: loadables,
        })?;
        Ok(Actions {
            bindings,
            worker: Some(worker),
            timeout_ms: rt.timeout_ms,
            executions: Executions::default(),
            logins: Mutex::default(),
        })
    }

    /// The last executions, oldest first.
    pub(crate) fn executions(&self) -> Vec<ActionExecution> {
        self.executions.all()
    }

    /// Forgets the executions (with the journal).
    pub(crate) fn clear_executions(&self) {
        self.executions.clear();
    }

    /// How many times the worker was restarted (crashes, hangs).
    pub(crate) fn restarts(&self) -> u64 {
        self.worker.as_ref().map_or(0, Worker::restarts)
    }

    /// Logins of `user_id` so far.
    fn logins(&self, user_id: &str) -> u64 {
        let logins = self.logins.lock().unwrap_or_else(|e| e.into_inner());
        logins
            .get(&crate::jose::sha256(user_id))
            .copied()
            .unwrap_or(0)
    }

    /// Counts a login of `user_id` (`event.stats.logins_count`).
    pub(crate) fn count_login(&self, user_id: &str) {
        let key = crate::jose::sha256(user_id);
        let mut logins = self.logins.lock().unwrap_or_else(|e| e.into_inner());
        if logins.len() < MAX_COUNTED_USERS || logins.contains_key(&key) {
            *logins.entry(key).or_default() += 1;
        }
    }

    /// Checks a metadata write against Auth0's limit, then hands it to the tenant model.
    fn persist_metadata(
        &self,
        store: &dyn UserStore,
        user: &UserConfig,
        app: bool,
        key: &str,
        value: &Value,
    ) -> Result<(), String> {
        let mut merged = if app {
            user.app_metadata.clone()
        } else {
            user.user_metadata.clone()
        };
        if value.is_null() {
            merged.remove(key);
        } else {
            merged.insert(key.to_owned(), value.clone());
        }
        if Value::Object(merged).to_string().len() > MAX_METADATA_BYTES {
            return Err(format!(
                "{} over {MAX_METADATA_BYTES} bytes",
                if app { "app_metadata" } else { "user_metadata" }
            ));
        }
        store.set_metadata(&user.id(), app, key, value)
    }

    /// Runs the post-login Actions for `login`, in binding order: the token changes they ask
    /// for, or why the login fails.
    pub(crate) async fn post_login(
        &self,
        cfg: &TenantConfig,
        issuer: &str,
        login: &event::Login<'_>,
        store: &dyn UserStore,
    ) -> Result<TokenChanges, FlowError> {
        let mut changes = TokenChanges::default();
        let Some(bound) = self.bindings.get(&ActionTrigger::PostLogin) else {
            return Ok(changes);
        };
        let user_id = login.user.id();
        let logins = self.logins(&user_id);
        for b in bound {
            // Each Action sees the user as the previous ones left it.
            let user = store
                .current_user(&user_id)
                .unwrap_or_else(|| std::sync::Arc::new(login.user.clone()));
            let ev = event::post_login(cfg, issuer, login, &user, logins, &b.secrets);
            let applied = self
                .execute(b, ActionTrigger::PostLogin, ev, &mut changes)
                .await?;
            let mut user = (*user).clone();
            for (app, key, value) in applied.metadata {
                if let Err(message) = self.persist_metadata(store, &user, app, &key, &value) {
                    return Err(self.fail(b, ActionTrigger::PostLogin, message, 0));
                }
                let m = if app {
                    &mut user.app_metadata
                } else {
                    &mut user.user_metadata
                };
                if value.is_null() {
                    m.remove(&key);
                } else {
                    m.insert(key, value);
                }
            }
            if let Some(reason) = applied.denied {
                return Err(FlowError::Denied { code: None, reason });
            }
        }
        Ok(changes)
    }

    /// Runs the credentials-exchange Actions for `m`, in binding order.
    pub(crate) async fn credentials_exchange(
        &self,
        issuer: &str,
        m: &event::Machine<'_>,
    ) -> Result<TokenChanges, FlowError> {
        let mut changes = TokenChanges::default();
        let Some(bound) = self.bindings.get(&ActionTrigger::CredentialsExchange) else {
            return Ok(changes);
        };
        for b in bound {
            let mut ev = event::credentials_exchange(issuer, m, &b.secrets);
            ev["accessToken"]["customClaims"] = Value::Object(changes.access_claims.clone());
            let applied = self
                .execute(b, ActionTrigger::CredentialsExchange, ev, &mut changes)
                .await?;
            if let Some(reason) = applied.denied {
                return Err(FlowError::Denied {
                    code: applied.deny_code,
                    reason,
                });
            }
        }
        Ok(changes)
    }

    /// One execution: sends it, applies its calls to `changes`, records it.
    async fn execute(
        &self,
        b: &Binding,
        trigger: ActionTrigger,
        event: Value,
        changes: &mut TokenChanges,
    ) -> Result<Applied, FlowError> {
        let started = Instant::now();
        let Some(worker) = &self.worker else {
            return Err(self.fail(b, trigger, "no Actions worker".into(), 0));
        };
        let request = json!({
            "op": "run",
            "name": b.name,
            "trigger": trigger.as_str(),
            "event": event,
            "timeout_ms": self.timeout_ms,
        });
        let reply = worker.call(request, self.timeout_ms).await;
        let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        let reply = match reply {
            Ok(r) => r,
            Err(e) => return Err(self.fail(b, trigger, e.to_string(), micros)),
        };
        let logs: Vec<String> = reply["logs"]
            .as_array()
            .map(|l| {
                l.iter()
                    .filter_map(|s| s.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        if reply["ok"] != true {
            let message = reply["error"]
                .as_str()
                .unwrap_or("the Action failed")
                .to_owned();
            // What it logged before failing is kept, for whoever debugs it.
            return Err(self.fail_with_logs(b, trigger, message, micros, logs));
        }
        let applied = match apply(trigger, &reply["calls"], changes) {
            Ok(a) => a,
            Err(message) => return Err(self.fail(b, trigger, message, micros)),
        };
        for d in &applied.dropped {
            eprintln!("mock-idp: action `{}`: {d}", b.name);
        }
        let (outcome, message) = match &applied.denied {
            Some(reason) => ("denied", reason.clone()),
            None => ("ok", String::new()),
        };
        self.executions.record(ActionExecution {
            action: b.name.clone(),
            trigger: trigger.as_str().into(),
            outcome: outcome.into(),
            message,
            dropped_claims: applied.dropped.clone(),
            logs,
            micros,
        });
        Ok(applied)
    }

    /// Records a failed execution, logs it, and returns the flow's error.
    fn fail(&self, b: &Binding, trigger: ActionTrigger, message: String, micros: u64) -> FlowError {
        self.fail_with_logs(b, trigger, message, micros, Vec::new())
    }

    fn fail_with_logs(
        &self,
        b: &Binding,
        trigger: ActionTrigger,
        message: String,
        micros: u64,
        logs: Vec<String>,
    ) -> FlowError {
        eprintln!("mock-idp: action `{}` failed: {message}", b.name);
        self.executions.record(ActionExecution {
            action: b.name.clone(),
            trigger: trigger.as_str().into(),
            outcome: "failed".into(),
            message: message.clone(),
            dropped_claims: Vec::new(),
            logs,
            micros,
        });
        FlowError::Failed {
            action: b.name.clone(),
            message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Login counts are bounded in entries and bytes: a user id of any length costs one
    /// 32-byte digest, and past the bound new users count from zero.
    #[test]
    fn login_counts_are_bounded_in_entries_and_bytes() {
        let actions = Actions::default();
        let long = "u".repeat(64 << 10);
        actions.count_login(&long);
        actions.count_login(&long);
        assert_eq!(actions.logins(&long), 2);
        {
            let mut logins = actions.logins.lock().unwrap();
            assert!(logins.keys().all(|k| k.len() == 32));
            for i in logins.len()..MAX_COUNTED_USERS {
                logins.insert(crate::jose::sha256(i.to_string()), 1);
            }
        }
        actions.count_login("newcomer");
        assert_eq!(actions.logins("newcomer"), 0);
        actions.count_login(&long);
        assert_eq!(actions.logins(&long), 3);
        assert_eq!(actions.logins.lock().unwrap().len(), MAX_COUNTED_USERS);
    }
}
