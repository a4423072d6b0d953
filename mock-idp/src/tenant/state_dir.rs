//! The state directory: signing keys, CA, leaf certificate and where the tenant last listened.
//!
//! Persisting these is what makes a restarted tenant keep every issued token valid and every
//! client's CA trust working, and what lets `mock-idp token` sign for the tenant `serve` runs.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::keys::{KeyError, KeyRing, SigningKey};
use crate::mint::proof::DpopKey;
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

/// Writes a file readable only by the owner (private keys).
fn write_private(path: &Path, text: &str) -> Result<(), StateError> {
    std::fs::write(path, text).map_err(io_err(path))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .map_err(io_err(path))?;
    }
    Ok(())
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
    pub fn load_or_init_keys(&self, fixture_keys: bool) -> Result<KeyRing, StateError> {
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
        let current = match current {
            Some(k) => k,
            None => {
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
                std::fs::write(&current_file, key.kid()).map_err(io_err(&current_file))?;
                keys.push(key.clone());
                key
            }
        };
        Ok(KeyRing::from_parts(current, keys, Vec::new()))
    }

    /// Loads the CA and leaf, creating them on first use and reissuing the leaf (same CA) when
    /// it does not cover `names`.
    pub fn load_or_init_tls(&self, names: &[String]) -> Result<TlsMaterial, StateError> {
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
        if !names.iter().all(|n| mat.leaf_covers(n)) {
            mat.reissue_leaf(names).map_err(tls_err)?;
            dirty = true;
        }
        if dirty {
            std::fs::write(&files[0], &mat.ca_cert_pem).map_err(io_err(&files[0]))?;
            write_private(&files[1], &mat.ca_key_pem)?;
            std::fs::write(&files[2], &mat.leaf_cert_pem).map_err(io_err(&files[2]))?;
            write_private(&files[3], &mat.leaf_key_pem)?;
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

    /// Records where `serve` listens.
    pub fn write_endpoint(&self, addr: &ServeAddress) -> Result<(), StateError> {
        let p = self.path.join("endpoint.json");
        let text = serde_json::to_string_pretty(addr).unwrap_or_default();
        std::fs::write(&p, text).map_err(io_err(&p))
    }

    /// Where `serve` last listened, if it ever ran.
    pub fn read_endpoint(&self) -> Option<ServeAddress> {
        let text = std::fs::read_to_string(self.path.join("endpoint.json")).ok()?;
        serde_json::from_str(&text).ok()
    }
}
