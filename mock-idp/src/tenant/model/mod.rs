//! [`TenantModel`]: the one owner of the tenant's current configuration, and the only way to
//! change it.
//!
//! Readers take a [`Snapshot`] per request ([`TenantModel::current`]: one atomic load, an
//! `Arc` clone). Writers go through the methods of this module, named for the tenant's
//! concepts (`create_user`, `assign_roles`, `create_client`, `rotate_client_secret`...): each
//! copies what it changes from the current snapshot (copy-on-write: users are `Arc`s in an
//! index, so a write copies pointers, never the other users), checks the result exactly as the
//! TOML loader checks a file ([`TenantConfig::validate`], `config::check_user`), enforces the
//! model's bounds ([`limits`]) and swaps the snapshot in. Writes are serialised by one lock, so
//! two concurrent writers cannot lose each other's change; reads never wait for it.
//!
//! Every face calls these methods: Auth0's Management API, the Test page, `MockTenant`, and
//! the helpers that import a Deploy CLI export or persist what an Action sets. `reset` returns
//! to the configuration the tenant started with (its file).
//!
//! | file | what it holds |
//! |---|---|
//! | `mod.rs` | the owner, its error, its bounds, the copy-on-write primitives |
//! | `users` | users: create, update, delete, roles and direct permissions |
//! | `settings` | applications, client grants, APIs, roles, organizations |
//! | `actions` | Actions: drafts, deploys (versions), trigger bindings |
//! | `invitations` | organization invitations: create, delete, accept (one use) |
//! | `links` | the set edits of every assign and remove (roles, members, permissions) |

mod actions;
mod invitations;
mod links;
mod settings;
mod users;

pub(crate) use actions::ActionDraft;
pub(crate) use invitations::AcceptError;
pub(crate) use users::ALREADY_ENROLLED;

pub(crate) use links::{add_each, add_permissions, remove_each, remove_permissions};

use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;

use crate::config::{Snapshot, TenantConfig, Users};

/// The model's bounds: entries and bytes. A write past one is refused, never truncated.
pub(crate) mod limits {
    /// Users.
    pub(crate) const USERS: usize = 50_000;
    /// Applications (clients).
    pub(crate) const CLIENTS: usize = 1_000;
    /// APIs (resource servers), the Management API included.
    pub(crate) const APIS: usize = 200;
    /// Roles.
    pub(crate) const ROLES: usize = 1_000;
    /// Organizations.
    pub(crate) const ORGANIZATIONS: usize = 1_000;
    /// Pending organization invitations, all organizations together (expired ones are
    /// dropped before a new one counts).
    pub(crate) const INVITATIONS: usize = 10_000;
    /// One invitation, as JSON (its metadata included).
    pub(crate) const INVITATION_BYTES: usize = 16 << 10;
    /// One user, as JSON (profile, metadata, roles, permissions).
    pub(crate) const USER_BYTES: usize = 64 << 10;
    /// All users together, as JSON.
    pub(crate) const USERS_BYTES: usize = 64 << 20;
    /// Everything but the users (applications, APIs, roles, organizations...), as JSON.
    pub(crate) const SETTINGS_BYTES: usize = 16 << 20;
}

/// The kinds of entry a tenant's configuration holds, as Auth0's messages name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EntryKind {
    /// A user of the database connection.
    User,
    /// An application.
    Client,
    /// An application's grant on an API.
    ClientGrant,
    /// An API.
    ResourceServer,
    /// A role.
    Role,
    /// An organization.
    Organization,
    /// An Action.
    Action,
    /// A version of an Action.
    ActionVersion,
    /// An organization invitation.
    Invitation,
    /// A user's authentication method (MFA).
    AuthenticationMethod,
}

impl EntryKind {
    /// Auth0's name in "The {kind} does not exist." messages.
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::User => "user",
            EntryKind::Client => "client",
            EntryKind::ClientGrant => "client grant",
            EntryKind::ResourceServer => "resource server",
            EntryKind::Role => "role",
            EntryKind::Organization => "organization",
            EntryKind::Action => "action",
            EntryKind::ActionVersion => "action version",
            EntryKind::Invitation => "invitation",
            EntryKind::AuthenticationMethod => "authentication method",
        }
    }
}

/// Why a change to a running tenant's configuration was refused. Each face turns it into its
/// own answer (the Management API: 400, 404, 409 or 429 with Auth0's body).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// The change would leave a configuration the TOML loader refuses.
    #[error("{key}: {problem}")]
    Invalid {
        /// The setting, as the loader names it.
        key: String,
        /// What is wrong with it.
        problem: String,
    },
    /// No such entry.
    #[error("The {} does not exist.", .0.as_str())]
    NotFound(EntryKind),
    /// An entry with this id, name or email exists already.
    #[error("{0}")]
    Conflict(String),
    /// The model holds as many entries of this kind as it may.
    #[error("The tenant holds its maximum of {limit} {what}")]
    TooMany {
        /// What there are too many of.
        what: &'static str,
        /// The bound.
        limit: usize,
    },
    /// The entry, or the model, would exceed its size bound.
    #[error("{what} would exceed {limit} bytes")]
    TooLarge {
        /// What would be too large.
        what: &'static str,
        /// The bound, in bytes of JSON.
        limit: usize,
    },
}

impl ModelError {
    pub(crate) fn invalid(key: impl Into<String>, problem: impl Into<String>) -> Self {
        ModelError::Invalid {
            key: key.into(),
            problem: problem.into(),
        }
    }
}

/// The owner of the tenant's current configuration.
pub(crate) struct TenantModel {
    current: ArcSwap<Snapshot>,
    /// What `reset` returns to: the configuration the tenant started with, or the file
    /// `serve --watch` reloaded last ([`TenantModel::replace`]).
    file: ArcSwap<Snapshot>,
    /// Serialises writers (read, copy, check, swap); readers never take it.
    writer: Mutex<WriterState>,
    /// Called with each new snapshot (the state directory keeps it: `saved_model`).
    on_change: std::sync::OnceLock<OnChange>,
}

/// What is told of each new snapshot.
pub(crate) type OnChange = Box<dyn Fn(&Arc<Snapshot>) + Send + Sync>;

/// What writers keep between writes.
#[derive(Debug, Default)]
struct WriterState {
    /// The users' size as JSON (bounded by [`limits::USERS_BYTES`]).
    users_bytes: usize,
}

impl std::fmt::Debug for TenantModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TenantModel")
            .field("current", &self.current.load())
            .finish_non_exhaustive()
    }
}

impl TenantModel {
    /// A model that starts from `current` (what the state directory kept) and resets to
    /// `file`.
    pub(crate) fn with_current(current: Arc<Snapshot>, file: Arc<Snapshot>) -> Self {
        let users_bytes = users_bytes(&current);
        TenantModel {
            current: ArcSwap::new(current),
            file: ArcSwap::new(file),
            writer: Mutex::new(WriterState { users_bytes }),
            on_change: std::sync::OnceLock::new(),
        }
    }

    /// The current configuration: take it once per request and read everything from it.
    pub(crate) fn current(&self) -> Arc<Snapshot> {
        self.current.load_full()
    }

    /// Back to the configuration the tenant started with.
    pub(crate) fn reset(&self) {
        let mut w = self.lock();
        let file = self.file.load_full();
        w.users_bytes = users_bytes(&file);
        self.publish(file);
    }

    /// Replaces the whole configuration with a file read again (`serve --watch`), checked as
    /// the loader and the writers check it; it is also what `reset` returns to from now on.
    /// On an error nothing changes.
    pub(crate) fn replace(&self, config: TenantConfig) -> Result<(), ModelError> {
        check_settings(&config)?;
        let next = Arc::new(Snapshot::new(config));
        let bytes = users_bytes(&next);
        if bytes > limits::USERS_BYTES {
            return Err(ModelError::TooLarge {
                what: "the users",
                limit: limits::USERS_BYTES,
            });
        }
        let mut w = self.lock();
        w.users_bytes = bytes;
        self.file.store(next.clone());
        self.publish(next);
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, WriterState> {
        self.writer.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn publish(&self, next: Arc<Snapshot>) {
        self.current.store(next.clone());
        if let Some(f) = self.on_change.get() {
            f(&next);
        }
    }

    /// Calls `f` with each new snapshot from now on (set once).
    pub(crate) fn on_change(&self, f: OnChange) {
        let _ = self.on_change.set(f);
    }

    /// Changes the settings (everything but users) with `f`, then checks the result as the
    /// loader does and swaps it in. Users who named a role or permission that no longer
    /// exists lose it, as Auth0 unassigns what is deleted.
    fn change_settings<T>(
        &self,
        f: impl FnOnce(&mut TenantConfig) -> Result<T, ModelError>,
    ) -> Result<T, ModelError> {
        let w = self.lock();
        let cur = self.current();
        let mut cfg = (**cur.settings()).clone();
        let out = f(&mut cfg)?;
        check_settings(&cfg)?;
        let users = users::prune(cur.user_index(), &cfg);
        drop(w);
        self.publish(Arc::new(Snapshot::from_parts(Arc::new(cfg), users)));
        Ok(out)
    }

    /// Changes the users with `f` (given the settings they must agree with) and swaps them in.
    fn change_users<T>(
        &self,
        f: impl FnOnce(&mut Users, &TenantConfig, &mut usize) -> Result<T, ModelError>,
    ) -> Result<T, ModelError> {
        let mut w = self.lock();
        let cur = self.current();
        let mut users = cur.user_index().clone();
        let mut bytes = w.users_bytes;
        let out = f(&mut users, cur.settings(), &mut bytes)?;
        if bytes > limits::USERS_BYTES {
            return Err(ModelError::TooLarge {
                what: "the users",
                limit: limits::USERS_BYTES,
            });
        }
        w.users_bytes = bytes;
        self.publish(Arc::new(Snapshot::from_parts(
            cur.settings().clone(),
            users,
        )));
        Ok(out)
    }
}

/// The loader's checks, then the model's bounds.
fn check_settings(cfg: &TenantConfig) -> Result<(), ModelError> {
    cfg.validate()
        .map_err(|(key, problem)| ModelError::Invalid { key, problem })?;
    let counts = [
        ("applications", cfg.applications.len(), limits::CLIENTS),
        ("APIs", cfg.apis.len(), limits::APIS),
        ("roles", cfg.roles.len(), limits::ROLES),
        (
            "organizations",
            cfg.organizations.len(),
            limits::ORGANIZATIONS,
        ),
    ];
    if let Some((what, _, limit)) = counts.into_iter().find(|(_, n, max)| n > max) {
        return Err(ModelError::TooMany { what, limit });
    }
    let bytes = serde_json::to_vec(cfg).map_or(usize::MAX, |v| v.len());
    if bytes > limits::SETTINGS_BYTES {
        return Err(ModelError::TooLarge {
            what: "the tenant's settings",
            limit: limits::SETTINGS_BYTES,
        });
    }
    Ok(())
}

/// The users' size as JSON.
fn users_bytes(s: &Snapshot) -> usize {
    s.users().map(|u| users::size(u)).sum()
}
