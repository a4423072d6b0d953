//! What Auth0's Management API (or any face) changed in a running tenant, kept in the state
//! directory as `tenant.json`, so a restarted `mock-idp serve` keeps the users, roles and
//! applications a developer created (`serve --ephemeral` and `MockTenant` keep them in memory).
//!
//! The file holds the whole configuration and the digest of the configuration the tenant
//! started from. A tenant restarted on a changed configuration file (or another address, which
//! changes its Management API) starts from the file and says so in one line: the file is what
//! the developer edited last. Writes happen on a thread of their own, after each change (changes
//! in a burst are written once), each one atomically (a temporary file renamed over the old), so
//! a request never waits for the disk and a crash never leaves half a file.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::config::{Snapshot, TenantConfig};
use crate::tenant::model::TenantModel;
use crate::tenant::state_dir::{StateDir, write_atomic};

/// The file in the state directory.
pub(crate) const FILE: &str = "tenant.json";

#[derive(Serialize, Deserialize)]
struct Saved {
    /// The digest of the configuration the tenant started from ([`digest`]).
    started_from: String,
    config: TenantConfig,
}

/// A digest of a configuration (its JSON), to tell whether the file changed between runs.
pub(crate) fn digest(config: &TenantConfig) -> String {
    let json = serde_json::to_vec(config).unwrap_or_default();
    crate::jose::b64url(crate::jose::sha256(json))
}

// Here rather than in `state_dir`, which this module uses to write: one direction only.
impl StateDir {
    /// The configuration a tenant on this directory last saved (`tenant.json`: the tenant
    /// file with what the Management API, the login page and Actions changed since), whatever
    /// it started from, if the file reads: what a tenant running here serves now, for commands
    /// that look a user up beside it (`mock-idp otp`).
    pub fn saved_config(&self) -> Option<TenantConfig> {
        let text = std::fs::read_to_string(self.path().join(FILE)).ok()?;
        serde_json::from_str::<Saved>(&text).ok().map(|s| s.config)
    }
}

/// The configuration kept in `dir`, if it was saved by a tenant that started from
/// `started_from` and still passes the loader's checks; one line on stderr when it is not used.
pub(crate) fn load(dir: &Path, started_from: &str) -> Option<TenantConfig> {
    let path = dir.join(FILE);
    let text = std::fs::read_to_string(&path).ok()?;
    let saved: Saved = match serde_json::from_str(&text) {
        Ok(s) => s,
        Err(e) => {
            eprintln!(
                "mock-idp: {}: unreadable ({e}); starting from the configuration file",
                path.display()
            );
            return None;
        }
    };
    if saved.started_from != started_from {
        eprintln!(
            "mock-idp: {}: the configuration file (or the tenant's address) changed since these changes were made; starting from the file",
            path.display()
        );
        return None;
    }
    if let Err((key, problem)) = saved.config.validate() {
        eprintln!(
            "mock-idp: {}: {key}: {problem}; starting from the configuration file",
            path.display()
        );
        return None;
    }
    Some(saved.config)
}

/// From now on, writes each new configuration of `model` to `dir` (on a thread of its own,
/// which ends with the model).
pub(crate) fn keep(model: &TenantModel, dir: PathBuf, started_from: String) {
    let (tx, rx) = std::sync::mpsc::channel::<Arc<Snapshot>>();
    model.on_change(Box::new(move |s| {
        let _ = tx.send(s.clone());
    }));
    let spawned = std::thread::Builder::new()
        .name("mock-idp saved model".into())
        .spawn(move || {
            while let Ok(mut latest) = rx.recv() {
                // A burst of changes is written once, as its last state.
                while let Ok(next) = rx.try_recv() {
                    latest = next;
                }
                let saved = Saved {
                    started_from: started_from.clone(),
                    config: latest.to_config(),
                };
                let text = serde_json::to_string(&saved).unwrap_or_default();
                if let Err(e) = write_atomic(&dir.join(FILE), &text, true) {
                    eprintln!("mock-idp: cannot save the tenant's changes: {e}");
                }
            }
        });
    if let Err(e) = spawned {
        eprintln!("mock-idp: cannot save the tenant's changes: {e}");
    }
}
