//! The Node worker process: started once per tenant, spoken to in line-delimited JSON over
//! its stdin and stdout (the protocol is described at the top of `worker.js`), restarted when
//! it crashes or hangs.
//!
//! Two threads per process do the blocking I/O (a writer fed by a channel, a reader that
//! hands each answer to whoever waits for its id), so a hung worker never blocks the
//! tenant's runtime: an execution waits for its answer with a timeout, and on that timeout the
//! process is killed. The next execution starts a new one, which loads every Action again
//! (their `api.cache` contents are lost, as Auth0 says they may be).

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

/// The worker's JavaScript, part of the crate.
const WORKER_JS: &str = include_str!("worker.js");

/// How long the worker may take to start and load every Action.
const LOAD_TIMEOUT: Duration = Duration::from_secs(20);
/// How long after an execution's own timeout the process is declared hung and killed (the
/// worker reports a timeout itself unless a busy loop holds its event loop).
const HANG_GRACE: Duration = Duration::from_millis(1000);

/// Why the worker could not be started.
#[derive(Debug, thiserror::Error)]
pub(crate) enum StartFailure {
    /// `node` is not there.
    #[error(
        "the tenant has Actions but `{0}` was not found: install Node.js 20 or newer (Debian/Ubuntu: `apt-get install nodejs`) or set actions_runtime.node"
    )]
    NodeMissing(String),
    /// `node` is too old for the permission model.
    #[error("Actions need Node.js 20 or newer; `{node}` is {version}")]
    NodeTooOld { node: String, version: String },
    /// The process could not be started or answered nothing.
    #[error("the Actions worker (`{node}`) did not start: {reason}")]
    Spawn { node: String, reason: String },
    /// An Action's code does not load (a syntax error, or its top level throws).
    #[error("action `{name}`: {reason}")]
    Load { name: String, reason: String },
}

/// Why an execution has no answer from the Action.
#[derive(Debug, Clone, thiserror::Error)]
pub(crate) enum RunFailure {
    /// The worker process died (a crash, the memory limit) during the execution.
    #[error("the Actions worker exited during the execution ({0}); it is restarted")]
    Crashed(String),
    /// The worker did not answer in time: it was killed and is restarted.
    #[error("the Action did not finish within {0} ms (the worker was restarted)")]
    Hung(u64),
    /// The worker could not be restarted.
    #[error("the Actions worker cannot be restarted: {0}")]
    Restart(String),
}

/// One Action as the worker loads it.
#[derive(Debug, Clone)]
pub(crate) struct Loadable {
    /// What the worker knows it by: the Action's name, with its version once deployed over
    /// the Management API (`ActionConfig::load_key`).
    pub(crate) key: String,
    /// The Action's name.
    pub(crate) name: String,
    pub(crate) code: String,
    pub(crate) dependencies: Vec<String>,
}

/// How to start the process.
#[derive(Debug, Clone)]
pub(crate) struct Spec {
    pub(crate) node: String,
    pub(crate) memory_mb: u32,
    pub(crate) modules_dir: Option<PathBuf>,
}

/// Versions of one Action the worker keeps loaded: the running one and the one before, on
/// which executions that started before a deploy finish.
const VERSIONS_KEPT: usize = 2;
/// Most versions loaded at once: two per Action the tenant may hold.
const MAX_LOADED: usize = 2 * crate::config::MAX_ACTIONS;

type Waiter = Box<dyn FnOnce(Result<Value, RunFailure>) + Send>;
type Pending = Arc<Mutex<HashMap<u64, Waiter>>>;

/// A running process.
struct Live {
    child: Child,
    /// Set by the reader when the process's output ends (it exited or was killed).
    dead: Arc<AtomicBool>,
    to_worker: std::sync::mpsc::Sender<String>,
    pending: Pending,
    /// Incremented per process, so a timeout kills only the process it waited on.
    generation: u64,
}

/// The worker: one process at a time, restarted on demand.
pub(crate) struct Worker {
    spec: Spec,
    /// What is loaded (and what a restarted process loads again), oldest first.
    loaded: Mutex<Vec<Loadable>>,
    permission_flag: &'static str,
    live: Mutex<Option<Live>>,
    next_id: AtomicU64,
    generation: AtomicU64,
    restarts: AtomicU64,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("node", &self.spec.node)
            .field("restarts", &self.restarts.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        if let Some(mut live) = self.live.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = live.child.kill();
            let _ = live.child.wait();
        }
    }
}

impl Worker {
    /// Checks Node, starts the process and loads every Action of `actions`, waiting for each
    /// to load.
    pub(crate) fn start(mut spec: Spec, actions: Vec<Loadable>) -> Result<Worker, StartFailure> {
        // Looked up on the tenant's PATH now: the worker runs with an empty environment.
        spec.node = locate(&spec.node)
            .ok_or_else(|| StartFailure::NodeMissing(spec.node.clone()))?
            .display()
            .to_string();
        let permission_flag = permission_flag(&spec.node)?;
        let worker = Worker {
            spec,
            loaded: Mutex::new(Vec::new()),
            permission_flag,
            live: Mutex::new(None),
            next_id: AtomicU64::new(1),
            generation: AtomicU64::new(0),
            restarts: AtomicU64::new(0),
        };
        let live = worker.spawn().map_err(|reason| StartFailure::Spawn {
            node: worker.spec.node.clone(),
            reason,
        })?;
        let pending = live.pending.clone();
        let to_worker = live.to_worker.clone();
        *worker.live.lock().unwrap_or_else(|e| e.into_inner()) = Some(live);
        for a in &actions {
            let (tx, rx) = std::sync::mpsc::sync_channel(1);
            let id = worker.next_id.fetch_add(1, Ordering::Relaxed);
            pending
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(id, Box::new(move |r| drop(tx.send(r))));
            let _ = to_worker.send(load_message(id, a));
            let failed = |reason: String| StartFailure::Load {
                name: a.name.clone(),
                reason,
            };
            match rx.recv_timeout(LOAD_TIMEOUT) {
                Ok(Ok(v)) if v["ok"] == true => {}
                Ok(Ok(v)) => {
                    return Err(failed(
                        v["error"].as_str().unwrap_or("does not load").to_owned(),
                    ));
                }
                Ok(Err(e)) => return Err(failed(e.to_string())),
                Err(_) => return Err(failed("the worker did not answer".into())),
            }
        }
        *worker.loaded.lock().unwrap_or_else(|e| e.into_inner()) = actions;
        Ok(worker)
    }

    /// Loads `a` unless it is loaded: the first execution of a newly deployed version loads
    /// it, and the worker forgets the versions of the same Action before the previous one.
    /// The error is the load's (a syntax error, a top level that throws).
    pub(crate) async fn ensure(&self, a: &Loadable) -> Result<(), String> {
        if self.is_loaded(&a.key) {
            return Ok(());
        }
        let mut request: Value = serde_json::from_str(&load_message(0, a)).unwrap_or_default();
        if let Some(o) = request.as_object_mut() {
            o.remove("id");
        }
        let reply = self
            .call(request, LOAD_TIMEOUT.as_millis() as u64)
            .await
            .map_err(|e| e.to_string())?;
        if reply["ok"] != true {
            return Err(reply["error"]
                .as_str()
                .unwrap_or("does not load")
                .to_owned());
        }
        let forget = {
            let mut l = self.loaded.lock().unwrap_or_else(|e| e.into_inner());
            if !l.iter().any(|x| x.key == a.key) {
                l.push(a.clone());
            }
            let same: Vec<String> = l
                .iter()
                .filter(|x| x.name == a.name)
                .map(|x| x.key.clone())
                .collect();
            let mut old: Vec<String> = same[..same.len().saturating_sub(VERSIONS_KEPT)].to_vec();
            l.retain(|x| !old.contains(&x.key));
            // Deleted Actions' versions go too, oldest first, past the bound (one still in
            // use loads again at its next execution).
            while l.len() > MAX_LOADED {
                old.push(l.remove(0).key);
            }
            old
        };
        // Not waited for: a worker busy with a long execution must not be declared hung (and
        // killed, with everything under way) for a bookkeeping message.
        for key in forget {
            self.notify(json!({"op": "unload", "name": key}));
        }
        Ok(())
    }

    /// Sends `request` to the live process without waiting for an answer (none, if it is not
    /// running: a restarted process loads only what is kept anyway).
    fn notify(&self, mut request: Value) {
        request["id"] = json!(self.next_id.fetch_add(1, Ordering::Relaxed));
        let guard = self.live.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(live) = guard.as_ref() {
            let _ = live.to_worker.send(request.to_string());
        }
    }

    /// Whether the version `key` is loaded (the common case: checked before its code is read).
    pub(crate) fn is_loaded(&self, key: &str) -> bool {
        let l = self.loaded.lock().unwrap_or_else(|e| e.into_inner());
        l.iter().any(|x| x.key == key)
    }

    /// How many times the process was restarted.
    pub(crate) fn restarts(&self) -> u64 {
        self.restarts.load(Ordering::Relaxed)
    }

    /// Sends one request and waits for its answer, at most `timeout` (plus a grace): then the
    /// process is killed.
    pub(crate) async fn call(
        &self,
        mut request: Value,
        timeout_ms: u64,
    ) -> Result<Value, RunFailure> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        request["id"] = json!(id);
        let (tx, rx) = tokio::sync::oneshot::channel();
        let generation = {
            let mut guard = self.live.lock().unwrap_or_else(|e| e.into_inner());
            let dead = match guard.as_mut() {
                None => true,
                Some(l) => l.dead.load(Ordering::SeqCst) || !matches!(l.child.try_wait(), Ok(None)),
            };
            if dead {
                if let Some(mut old) = guard.take() {
                    let _ = old.child.wait();
                }
                self.restarts.fetch_add(1, Ordering::Relaxed);
                *guard = Some(self.spawn_and_load().map_err(RunFailure::Restart)?);
            }
            let Some(live) = guard.as_ref() else {
                return Err(RunFailure::Restart("no worker".into()));
            };
            live.pending
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(id, Box::new(move |r| drop(tx.send(r))));
            let _ = live.to_worker.send(request.to_string());
            live.generation
        };
        let wait = Duration::from_millis(timeout_ms) + HANG_GRACE;
        match tokio::time::timeout(wait, rx).await {
            Ok(Ok(r)) => r,
            Ok(Err(_)) => Err(RunFailure::Crashed("no answer".into())),
            Err(_) => {
                self.kill(generation);
                Err(RunFailure::Hung(timeout_ms))
            }
        }
    }

    /// Kills the process of `generation` if it is still the live one.
    fn kill(&self, generation: u64) {
        let mut guard = self.live.lock().unwrap_or_else(|e| e.into_inner());
        if guard.as_ref().is_some_and(|l| l.generation == generation)
            && let Some(mut live) = guard.take()
        {
            live.dead.store(true, Ordering::SeqCst);
            let _ = live.child.kill();
            // Reaped at once: SIGKILL cannot be ignored.
            let _ = live.child.wait();
        }
    }

    /// A new process with every Action queued for loading (they loaded once already, so they
    /// load again; answers to these loads are not awaited).
    fn spawn_and_load(&self) -> Result<Live, String> {
        let live = self.spawn()?;
        let loaded = self
            .loaded
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        for a in &loaded {
            let id = self.next_id.fetch_add(1, Ordering::Relaxed);
            let _ = live.to_worker.send(load_message(id, a));
        }
        Ok(live)
    }

    fn spawn(&self) -> Result<Live, String> {
        let mut cmd = Command::new(&self.spec.node);
        cmd.arg(format!("--max-old-space-size={}", self.spec.memory_mb))
            .arg("--no-warnings")
            .arg(self.permission_flag);
        // The worker inherits nothing of the tenant's environment (secrets live there).
        cmd.env_clear();
        if let Some(dir) = &self.spec.modules_dir {
            let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.clone());
            // Node 20 and 21 grant a directory's contents as `dir/*` (and abort on a second
            // `--allow-fs-read`); later versions grant a directory recursively.
            if self.permission_flag == "--experimental-permission" {
                cmd.arg(format!("--allow-fs-read={}/*", dir.display()));
            } else {
                cmd.arg(format!("--allow-fs-read={}", dir.display()));
            }
            cmd.env("MOCK_IDP_ACTIONS_MODULES", dir);
        }
        cmd.arg("-e")
            .arg(WORKER_JS)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().map_err(|e| e.to_string())?;
        let (Some(stdin), Some(stdout), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            let _ = child.kill();
            return Err("no pipes to the worker".into());
        };
        let pending: Pending = Arc::default();
        let last_stderr: Arc<Mutex<String>> = Arc::default();
        let (to_worker, from_tenant) = std::sync::mpsc::channel::<String>();
        std::thread::Builder::new()
            .name("mock-idp actions writer".into())
            .spawn(move || {
                let mut stdin = stdin;
                for line in from_tenant {
                    if stdin.write_all(line.as_bytes()).is_err()
                        || stdin.write_all(b"\n").is_err()
                        || stdin.flush().is_err()
                    {
                        break;
                    }
                }
            })
            .map_err(|e| e.to_string())?;
        let keep = last_stderr.clone();
        std::thread::Builder::new()
            .name("mock-idp actions stderr".into())
            .spawn(move || {
                // Only the last line is kept (a crash's reason); a bounded copy.
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    if !line.trim().is_empty() {
                        let mut k = keep.lock().unwrap_or_else(|e| e.into_inner());
                        *k = line.chars().take(300).collect();
                    }
                }
            })
            .map_err(|e| e.to_string())?;
        let waiting = pending.clone();
        let dead = Arc::new(AtomicBool::new(false));
        let mark_dead = dead.clone();
        std::thread::Builder::new()
            .name("mock-idp actions reader".into())
            .spawn(move || {
                for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                    let Ok(v) = serde_json::from_str::<Value>(&line) else {
                        continue;
                    };
                    let Some(id) = v["id"].as_u64() else { continue };
                    let waiter = waiting
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .remove(&id);
                    if let Some(w) = waiter {
                        w(Ok(v));
                    }
                }
                // End of output: the process is gone; everyone still waiting learns why.
                mark_dead.store(true, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(20));
                let why = last_stderr
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .clone();
                let why = if why.is_empty() {
                    "no output".to_owned()
                } else {
                    why
                };
                let waiters: Vec<Waiter> = waiting
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .drain()
                    .map(|(_, w)| w)
                    .collect();
                for w in waiters {
                    w(Err(RunFailure::Crashed(why.clone())));
                }
            })
            .map_err(|e| e.to_string())?;
        Ok(Live {
            child,
            dead,
            to_worker,
            pending,
            generation: self.generation.fetch_add(1, Ordering::Relaxed) + 1,
        })
    }
}

/// `node` as a path: itself when it names a path, else the first executable file of that name
/// in a `PATH` directory.
fn locate(node: &str) -> Option<PathBuf> {
    let is_file = |p: &std::path::Path| p.is_file();
    if node.contains('/') {
        let p = PathBuf::from(node);
        return is_file(&p).then_some(p);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(node))
        .find(|p| is_file(p))
}

fn load_message(id: u64, a: &Loadable) -> String {
    json!({
        "id": id,
        "op": "load",
        "name": a.key,
        "code": a.code,
        "dependencies": a.dependencies,
    })
    .to_string()
}

/// Runs `node --version`: the permission flag its major version takes (`--permission` from
/// 22 on, `--experimental-permission` on 20 and 21).
fn permission_flag(node: &str) -> Result<&'static str, StartFailure> {
    let out = Command::new(node)
        .arg("--version")
        .env_clear()
        .output()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied => {
                StartFailure::NodeMissing(node.to_owned())
            }
            _ => StartFailure::Spawn {
                node: node.to_owned(),
                reason: e.to_string(),
            },
        })?;
    let version = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let major: u32 = version
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    match major {
        22.. => Ok("--permission"),
        20 | 21 => Ok("--experimental-permission"),
        _ => Err(StartFailure::NodeTooOld {
            node: node.to_owned(),
            version: if version.is_empty() {
                "not a Node.js binary".into()
            } else {
                version
            },
        }),
    }
}
