//! The state directory: signing keys, CA, leaf certificate and where the tenant last listened.
//!
//! Persisting these is what makes a restarted tenant keep every issued token valid and every
//! client's CA trust working, and what lets `mock-idp token` sign for the tenant `serve` runs.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::keys::{KeyError, KeyRing, SigningKey};
use crate::mint::dpop_key::DpopKey;
use crate::tenant::tls::{TlsError, TlsMaterial};

/// Errors reading or writing the state directory. `Display` is one line naming the path.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// Filesystem failure.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A stored key is unusable.
    #[error("{path}: {source}")]
    Key {
        /// The file.
        path: String,
        /// The cause.
        #[source]
        source: KeyError,
    },
    /// Stored TLS material is unusable.
    #[error("{path}: {source}")]
    Tls {
        /// The file.
        path: String,
        /// The cause.
        #[source]
        source: TlsError,
    },
    /// Another process holds the state directory's lock.
    #[error(
        "{path}: another `mock-idp serve` uses this state directory (one tenant per state directory)"
    )]
    Locked {
        /// The state directory.
        path: String,
    },
    /// Neither XDG_STATE_HOME nor HOME is set.
    #[error("cannot find a state directory: set --state-dir, XDG_STATE_HOME or HOME")]
    NoHome,
}

/// Where the tenant last listened (written by `serve`, read by `token`, `init`...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServeAddress {
    /// `https://host:port` without a trailing slash.
    pub base_url: String,
    /// `host:port`, what AUTH0_DOMAIN holds.
    pub domain: String,
    /// The port `serve` listens on when it differs from the advertised one (a container
    /// behind a port mapping); `healthcheck` connects there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listen_port: Option<u16>,
}

/// `keys/ring.json`: which stored keys the JWKS publishes (in order) and which were retired
/// or revoked; `keys/current` names the one that signs.
const RING_FILE: &str = "ring.json";

#[derive(Debug, Serialize, Deserialize)]
struct RingRoles {
    published: Vec<String>,
    retired: Vec<String>,
}

/// Writes a key ring to the state directory at `dir`: each key's PEM (once), its roles, then
/// the current kid, each file atomically.
pub(crate) fn save_ring(
    dir: &Path,
    current: &SigningKey,
    published: &[SigningKey],
    retired: &[SigningKey],
) -> Result<(), StateError> {
    let keys = dir.join("keys");
    for k in std::iter::once(current).chain(published).chain(retired) {
        let p = keys.join(format!("{}.pem", k.kid()));
        if !p.exists() {
            write_private(&p, &k.private_key_pem())?;
        }
    }
    let roles = RingRoles {
        published: published.iter().map(|k| k.kid().to_owned()).collect(),
        retired: retired.iter().map(|k| k.kid().to_owned()).collect(),
    };
    let text = serde_json::to_string_pretty(&roles).unwrap_or_default();
    write_atomic(&keys.join(RING_FILE), &text, false)?;
    write_atomic(&keys.join("current"), current.kid(), false)?;
    // Keys the ring forgot (the oldest retired ones past its bound) leave the disk too.
    let kept: Vec<String> = std::iter::once(current)
        .chain(published)
        .chain(retired)
        .map(|k| format!("{}.pem", k.kid()))
        .collect();
    for entry in std::fs::read_dir(&keys).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".pem") && !kept.contains(&name) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
    Ok(())
}

/// `ca.json`: when the CA certificate expires and which names it permits, so the state
/// directory knows when to renew it without parsing X.509.
const CA_META_FILE: &str = "ca.json";

#[derive(Debug, Serialize, Deserialize)]
struct CaMeta {
    /// Unix seconds.
    not_after: u64,
    /// The configured names the CA's name constraints permit (besides localhost and loopback).
    permitted: Vec<String>,
}

/// A tenant state directory.
#[derive(Debug, Clone)]
pub struct StateDir {
    path: PathBuf,
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> StateError + '_ {
    move |source| StateError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Writes a file readable only by the owner (private keys), atomically.
fn write_private(path: &Path, text: &str) -> Result<(), StateError> {
    write_atomic(path, text, true)
}

/// Writes `text` to `path` atomically: a temporary file beside it (a name no reader looks
/// for), then a rename, so a reader sees the old file or the whole new one, never a part.
pub(crate) fn write_atomic(path: &Path, text: &str, private: bool) -> Result<(), StateError> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    std::fs::write(&tmp, text).map_err(io_err(&tmp))?;
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600))
            .map_err(io_err(&tmp))?;
    }
    #[cfg(not(unix))]
    let _ = private;
    std::fs::rename(&tmp, path).map_err(io_err(path))
}

/// How long a process waits for another to finish creating the state before it takes over
/// (the other one died holding the lock).
const LOCK_PATIENCE: std::time::Duration = std::time::Duration::from_secs(10);

/// The state directory's creation lock (`.lock`, made with create-exclusive), held while
/// first-use material (a signing key, the CA) is created, removed on drop. A `serve` and a
/// `token` starting together create one key between them, never two.
struct InitLock(PathBuf);

impl InitLock {
    fn take(dir: &Path) -> Result<Self, StateError> {
        let path = dir.join(".lock");
        let started = std::time::Instant::now();
        loop {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(_) => return Ok(InitLock(path)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    if started.elapsed() > LOCK_PATIENCE {
                        // A stale lock: its holder is gone.
                        let _ = std::fs::remove_file(&path);
                    }
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                Err(e) => return Err(io_err(&path)(e)),
            }
        }
    }
}

impl Drop for InitLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

impl StateDir {
    /// `$XDG_STATE_HOME/mock-idp`, else `$HOME/.local/state/mock-idp`.
    pub fn default_path() -> Result<PathBuf, StateError> {
        if let Some(x) = std::env::var_os("XDG_STATE_HOME").filter(|v| !v.is_empty()) {
            return Ok(PathBuf::from(x).join("mock-idp"));
        }
        std::env::var_os("HOME")
            .filter(|v| !v.is_empty())
            .map(|h| PathBuf::from(h).join(".local/state/mock-idp"))
            .ok_or(StateError::NoHome)
    }

    /// Opens (creating if needed) the directory at `path`.
    pub fn open(path: impl Into<PathBuf>) -> Result<Self, StateError> {
        let path = path.into();
        std::fs::create_dir_all(path.join("keys")).map_err(io_err(&path))?;
        Ok(StateDir { path })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The CA certificate file clients should trust.
    pub fn ca_path(&self) -> PathBuf {
        self.path.join("ca.pem")
    }

    /// Loads the signing keys, creating one on first use: a fresh RSA-2048 key, or the fixed
    /// `tenant-1` fixture key when `fixture_keys` (tests and demos that must not wait).
    ///
    /// The key is created under the directory's lock and written atomically: a process that
    /// reads the directory while another creates the key waits for it and uses it.
    pub fn load_or_init_keys(&self, fixture_keys: bool) -> Result<KeyRing, StateError> {
        if let Some(ring) = self.read_keys()? {
            return Ok(ring);
        }
        let _lock = InitLock::take(&self.path)?;
        if let Some(ring) = self.read_keys()? {
            return Ok(ring);
        }
        let dir = self.path.join("keys");
        let key = if fixture_keys {
            SigningKey::fixture(1)
        } else {
            SigningKey::generate().map_err(|source| StateError::Key {
                path: dir.display().to_string(),
                source,
            })?
        };
        write_private(
            &dir.join(format!("{}.pem", key.kid())),
            &key.private_key_pem(),
        )?;
        write_atomic(&dir.join("current"), key.kid(), false)?;
        Ok(KeyRing::from_parts(key.clone(), vec![key], Vec::new()))
    }

    /// The stored keys, if there are any.
    fn read_keys(&self) -> Result<Option<KeyRing>, StateError> {
        let dir = self.path.join("keys");
        let current_file = dir.join("current");
        let mut keys = Vec::new();
        let entries = std::fs::read_dir(&dir).map_err(io_err(&dir))?;
        for entry in entries {
            let p = entry.map_err(io_err(&dir))?.path();
            if p.extension().is_some_and(|e| e == "pem") {
                let kid = p
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .unwrap_or_default()
                    .to_owned();
                let pem = std::fs::read_to_string(&p).map_err(io_err(&p))?;
                let key = SigningKey::from_pkcs8_pem(&pem, Some(&kid)).map_err(|source| {
                    StateError::Key {
                        path: p.display().to_string(),
                        source,
                    }
                })?;
                keys.push(key);
            }
        }
        keys.sort_by(|a, b| a.kid().cmp(b.kid()));
        let current_kid = std::fs::read_to_string(&current_file)
            .ok()
            .map(|s| s.trim().to_owned());
        let current = current_kid
            .and_then(|kid| keys.iter().find(|k| k.kid() == kid).cloned())
            .or_else(|| keys.first().cloned());
        let Some(current) = current else {
            return Ok(None);
        };
        // The roles the running tenant last wrote; without them (a directory from before
        // roles were kept) every stored key is published.
        let roles: Option<RingRoles> = std::fs::read_to_string(dir.join(RING_FILE))
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok());
        let Some(roles) = roles else {
            return Ok(Some(KeyRing::from_parts(current, keys, Vec::new())));
        };
        let pick = |kids: &[String]| -> Vec<SigningKey> {
            kids.iter()
                .filter_map(|kid| keys.iter().find(|k| k.kid() == kid).cloned())
                .collect()
        };
        Ok(Some(KeyRing::restore(
            current,
            pick(&roles.published),
            pick(&roles.retired),
            Vec::new(),
        )))
    }

    /// Loads the CA and leaf, creating them on first use and reissuing the leaf (same CA) when
    /// it does not cover `names`. The CA certificate is renewed (same key, so the leaf chain
    /// stays one CA) when it is within 30 days (`RENEW_WITHIN_DAYS`) of expiry, when its
    /// name constraints do not permit one of `names`, or when it predates name constraints
    /// (no `ca.json`): clients then trust the new `ca.pem`.
    pub fn load_or_init_tls(&self, names: &[String]) -> Result<TlsMaterial, StateError> {
        let _lock = InitLock::take(&self.path)?;
        let files = ["ca.pem", "ca-key.pem", "leaf.pem", "leaf-key.pem"].map(|f| self.path.join(f));
        let read: Option<Vec<String>> = files
            .iter()
            .map(|p| std::fs::read_to_string(p).ok())
            .collect();
        let tls_err = |source| StateError::Tls {
            path: self.path.display().to_string(),
            source,
        };
        let (mut mat, mut dirty) = match read {
            Some(v) => (
                TlsMaterial {
                    ca_cert_pem: v[0].clone(),
                    ca_key_pem: v[1].clone(),
                    leaf_cert_pem: v[2].clone(),
                    leaf_key_pem: v[3].clone(),
                },
                false,
            ),
            None => (TlsMaterial::generate(names).map_err(tls_err)?, true),
        };
        let meta_path = self.path.join(CA_META_FILE);
        let meta: Option<CaMeta> = std::fs::read_to_string(&meta_path)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok());
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let renew_at = now + crate::tenant::tls::RENEW_WITHIN_DAYS * 86_400;
        let fresh = meta
            .as_ref()
            .filter(|m| m.not_after > renew_at && names.iter().all(|n| m.permitted.contains(n)));
        let mut new_meta = None;
        if dirty || fresh.is_none() {
            // Keep every name the CA permitted so far: other commands pass fewer names.
            let mut permitted: Vec<String> = meta.map(|m| m.permitted).unwrap_or_default();
            for n in names {
                if !permitted.contains(n) {
                    permitted.push(n.clone());
                }
            }
            let not_after = mat.renew_ca(&permitted).map_err(tls_err)?;
            new_meta = Some(CaMeta {
                not_after,
                permitted,
            });
            dirty = true;
        } else if !names.iter().all(|n| mat.leaf_covers(n)) {
            mat.reissue_leaf(names).map_err(tls_err)?;
            dirty = true;
        }
        if dirty {
            // Keys before certificates: a reader that finds a certificate finds its key.
            write_private(&files[1], &mat.ca_key_pem)?;
            write_private(&files[3], &mat.leaf_key_pem)?;
            write_atomic(&files[0], &mat.ca_cert_pem, false)?;
            write_atomic(&files[2], &mat.leaf_cert_pem, false)?;
            if let Some(m) = new_meta {
                let text = serde_json::to_string_pretty(&m).unwrap_or_default();
                write_atomic(&meta_path, &text, false)?;
            }
        }
        Ok(mat)
    }

    /// The CLI's DPoP client key (`dpop-key.pem`), created on first use.
    pub fn load_or_init_dpop_key(&self) -> Result<DpopKey, StateError> {
        let p = self.path.join("dpop-key.pem");
        match std::fs::read_to_string(&p) {
            Ok(pem) => DpopKey::from_pkcs8_pem(&pem).map_err(|source| StateError::Key {
                path: p.display().to_string(),
                source,
            }),
            Err(_) => {
                let key = DpopKey::generate();
                write_private(&p, &key.private_key_pem())?;
                Ok(key)
            }
        }
    }

    /// Takes the state directory for this process: the returned file holds an exclusive lock
    /// until it is dropped. A second tenant on the same directory is refused
    /// ([`StateError::Locked`]): the tenant is one process by design.
    pub fn lock(&self) -> Result<std::fs::File, StateError> {
        let path = self.path.join("serve.lock");
        let io = |source| StateError::Io {
            path: path.display().to_string(),
            source,
        };
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => Ok(file),
            Err(std::fs::TryLockError::WouldBlock) => Err(StateError::Locked {
                path: self.path.display().to_string(),
            }),
            Err(std::fs::TryLockError::Error(e)) => Err(io(e)),
        }
    }

    /// Records where `serve` listens.
    pub fn write_endpoint(&self, addr: &ServeAddress) -> Result<(), StateError> {
        let p = self.path.join("endpoint.json");
        let text = serde_json::to_string_pretty(addr).unwrap_or_default();
        write_atomic(&p, &text, false)
    }

    /// Where `serve` last listened, if it ever ran.
    pub fn read_endpoint(&self) -> Option<ServeAddress> {
        let text = std::fs::read_to_string(self.path.join("endpoint.json")).ok()?;
        serde_json::from_str(&text).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A key the ring forgot (past its retired bound) leaves the state directory: only the
    /// ring's keys stay on disk.
    #[test]
    fn saving_the_ring_removes_the_files_of_forgotten_keys() {
        let dir = std::env::temp_dir().join(format!("mock-idp-ring-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("keys")).unwrap();
        let [k1, k2, k3] = [1, 2, 3].map(SigningKey::fixture);
        save_ring(
            &dir,
            &k1,
            &[k1.clone(), k2.clone()],
            std::slice::from_ref(&k3),
        )
        .unwrap();
        let files = || {
            let mut f: Vec<String> = std::fs::read_dir(dir.join("keys"))
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".pem"))
                .collect();
            f.sort();
            f
        };
        assert_eq!(files(), ["tenant-1.pem", "tenant-2.pem", "tenant-3.pem"]);
        save_ring(
            &dir,
            &k1,
            std::slice::from_ref(&k1),
            std::slice::from_ref(&k2),
        )
        .unwrap();
        assert_eq!(files(), ["tenant-1.pem", "tenant-2.pem"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
