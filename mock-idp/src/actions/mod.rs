//! The Actions runtime: the tenant's post-login and credentials-exchange Actions (JavaScript,
//! as a team deploys them to Auth0) run in one persistent Node worker per tenant, in binding
//! order, with Auth0's `event` and `api`; what they ask for is applied to the tokens.
//!
//! Which Actions exist, which version of each is deployed and how they are bound is the tenant
//! model's ([`crate::config::ActionConfig`] in [`TenantConfig`], changed by the TOML file, a
//! Deploy CLI export or Auth0's Management API); this folder only runs them, reading the
//! current configuration at each execution. A tenant without Actions starts Node only when an
//! Action is deployed.
//!
//! | file | what it holds |
//! |---|---|
//! | `worker.rs`, `worker.js` | the Node process (permission model, `vm` context per Action, memory limit), its line-delimited JSON protocol, restarts |
//! | `event.rs` | `event` as Auth0 builds it for each trigger |
//! | `apply.rs` | the `api` calls an Action made, applied: claims (Auth0's restricted names dropped and reported), scopes, deny, metadata |
//! | `executions.rs` | the last executions, for the journal and the Test page |

mod apply;
pub(crate) mod event;
pub(crate) mod executions;
mod worker;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde_json::{Value, json};

use crate::config::{ActionConfig, ActionTrigger, ActionsRuntime, TenantConfig, UserConfig};
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

/// One bound Action, as one execution reads it from the tenant's current configuration.
#[derive(Debug, Clone)]
struct Binding<'a> {
    name: &'a str,
    secrets: &'a BTreeMap<String, String>,
    action: &'a ActionConfig,
}

/// The Actions that run for `trigger` in `cfg`, in binding order: deployed and bound.
fn bound(cfg: &TenantConfig, trigger: ActionTrigger) -> impl Iterator<Item = Binding<'_>> {
    cfg.actions
        .iter()
        .filter(move |a| a.trigger == trigger && a.runs())
        .map(|a| Binding {
            name: &a.name,
            secrets: &a.secrets,
            action: a,
        })
}

/// What the worker loads for `a`.
fn loadable(a: &ActionConfig) -> Result<Loadable, String> {
    let (code, dependencies) = a.running_code()?;
    Ok(Loadable {
        key: a.load_key(),
        name: a.name.clone(),
        code,
        dependencies: dependencies.into_iter().map(|d| d.name).collect(),
    })
}

/// Most users whose logins are counted (`event.stats.logins_count`); past it, new users count
/// from zero each time (the tenant model holds at most 50,000 users).
const MAX_COUNTED_USERS: usize = 100_000;

/// Why an Action cannot be made ready to run (`Actions::prepare`).
#[derive(Debug, thiserror::Error)]
pub(crate) enum PrepareError {
    /// Node cannot be started (missing, too old): the tenant cannot run Actions.
    #[error("{0}")]
    Unavailable(StartFailure),
    /// The code does not load (a syntax error, a top level that throws).
    #[error("{0}")]
    Build(String),
}

/// The runtime of one tenant. Which Actions run, and their code, is read from the tenant's
/// configuration at each execution; the worker loads a version the first time it runs (or
/// when it is deployed), so a change over the Management API applies to the next flow and
/// never to one under way.
#[derive(Debug, Default)]
pub(crate) struct Actions {
    runtime: ActionsRuntime,
    /// Started with the tenant when its configuration has Actions, else with the first
    /// Action deployed.
    worker: Mutex<Option<Arc<Worker>>>,
    executions: Executions,
    /// Logins per user_id.
    logins: Mutex<HashMap<String, u64>>,
}

impl Actions {
    /// Starts the worker if `cfg` has Actions that run (reading each Action's code, loading
    /// each once); without them, nothing starts until one is deployed.
    pub(crate) fn start(cfg: &TenantConfig) -> Result<Actions, StartFailure> {
        let actions = Actions {
            runtime: cfg.actions_runtime.clone(),
            ..Actions::default()
        };
        let running: Vec<&ActionConfig> = cfg.actions.iter().filter(|a| a.runs()).collect();
        if running.is_empty() {
            return Ok(actions);
        }
        let mut loadables = Vec::new();
        for a in running {
            loadables.push(loadable(a).map_err(|reason| StartFailure::Load {
                name: a.name.clone(),
                reason,
            })?);
        }
        let worker = Worker::start(actions.spec(), loadables)?;
        *actions.worker.lock().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(worker));
        Ok(actions)
    }

    fn spec(&self) -> Spec {
        Spec {
            node: self.runtime.node.clone(),
            memory_mb: self.runtime.memory_mb,
            modules_dir: self.runtime.modules_dir.clone(),
        }
    }

    /// The worker, started now if it is not running yet.
    fn worker(&self) -> Result<Arc<Worker>, StartFailure> {
        let mut w = self.worker.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(w) = &*w {
            return Ok(w.clone());
        }
        let started = Arc::new(Worker::start(self.spec(), Vec::new())?);
        *w = Some(started.clone());
        Ok(started)
    }

    /// Makes `a`'s running code ready (the worker started, the version loaded) before the
    /// model says it is deployed: a deploy of code that does not load, or on a machine
    /// without Node, is refused instead of failing the next login.
    pub(crate) async fn prepare(&self, a: &ActionConfig) -> Result<(), PrepareError> {
        let worker = self.worker().map_err(PrepareError::Unavailable)?;
        let l = loadable(a).map_err(PrepareError::Build)?;
        worker.ensure(&l).await.map_err(PrepareError::Build)
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
        let w = self.worker.lock().unwrap_or_else(|e| e.into_inner());
        w.as_ref().map_or(0, |w| w.restarts())
    }

    /// Logins of `user_id` so far.
    fn logins(&self, user_id: &str) -> u64 {
        let logins = self.logins.lock().unwrap_or_else(|e| e.into_inner());
        logins.get(user_id).copied().unwrap_or(0)
    }

    /// Counts a login of `user_id` (`event.stats.logins_count`).
    pub(crate) fn count_login(&self, user_id: &str) {
        let mut logins = self.logins.lock().unwrap_or_else(|e| e.into_inner());
        if logins.len() < MAX_COUNTED_USERS || logins.contains_key(user_id) {
            *logins.entry(user_id.to_owned()).or_default() += 1;
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
        let user_id = login.user.id();
        let logins = self.logins(&user_id);
        for b in bound(cfg, ActionTrigger::PostLogin) {
            // Each Action sees the user as the previous ones left it.
            let user = store
                .current_user(&user_id)
                .unwrap_or_else(|| std::sync::Arc::new(login.user.clone()));
            let ev = event::post_login(cfg, issuer, login, &user, logins, b.secrets);
            let applied = self
                .execute(&b, ActionTrigger::PostLogin, ev, &mut changes)
                .await?;
            let mut user = (*user).clone();
            for (app, key, value) in applied.metadata {
                if let Err(message) = self.persist_metadata(store, &user, app, &key, &value) {
                    return Err(self.fail(&b, ActionTrigger::PostLogin, message, 0));
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
        cfg: &TenantConfig,
        issuer: &str,
        m: &event::Machine<'_>,
    ) -> Result<TokenChanges, FlowError> {
        let mut changes = TokenChanges::default();
        for b in bound(cfg, ActionTrigger::CredentialsExchange) {
            let mut ev = event::credentials_exchange(issuer, m, b.secrets);
            ev["accessToken"]["customClaims"] = Value::Object(changes.access_claims.clone());
            let applied = self
                .execute(&b, ActionTrigger::CredentialsExchange, ev, &mut changes)
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
        b: &Binding<'_>,
        trigger: ActionTrigger,
        event: Value,
        changes: &mut TokenChanges,
    ) -> Result<Applied, FlowError> {
        let started = Instant::now();
        let worker = match self.worker() {
            Ok(w) => w,
            Err(e) => return Err(self.fail(b, trigger, e.to_string(), 0)),
        };
        // A version deployed since the worker started loads at its first execution (its code
        // is read only then: the common case is one lookup).
        let key = b.action.load_key();
        if !worker.is_loaded(&key) {
            let ready = match loadable(b.action) {
                Ok(l) => worker.ensure(&l).await,
                Err(e) => Err(e),
            };
            if let Err(e) = ready {
                return Err(self.fail(b, trigger, e, 0));
            }
        }
        let timeout_ms = self.runtime.timeout_ms;
        let request = json!({
            "op": "run",
            "name": key,
            "trigger": trigger.as_str(),
            "event": event,
            "timeout_ms": timeout_ms,
        });
        let reply = worker.call(request, timeout_ms).await;
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
            action: b.name.to_owned(),
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
    fn fail(
        &self,
        b: &Binding<'_>,
        trigger: ActionTrigger,
        message: String,
        micros: u64,
    ) -> FlowError {
        self.fail_with_logs(b, trigger, message, micros, Vec::new())
    }

    fn fail_with_logs(
        &self,
        b: &Binding<'_>,
        trigger: ActionTrigger,
        message: String,
        micros: u64,
        logs: Vec<String>,
    ) -> FlowError {
        eprintln!("mock-idp: action `{}` failed: {message}", b.name);
        self.executions.record(ActionExecution {
            action: b.name.to_owned(),
            trigger: trigger.as_str().into(),
            outcome: "failed".into(),
            message: message.clone(),
            dropped_claims: Vec::new(),
            logs,
            micros,
        });
        FlowError::Failed {
            action: b.name.to_owned(),
            message,
        }
    }
}
