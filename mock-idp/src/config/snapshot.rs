//! [`Snapshot`]: the tenant's configuration at one instant, as every request reads it.
//!
//! The tenant's configuration changes at run time (Auth0's Management API, the Test page,
//! `MockTenant`), so a request takes one snapshot and reads everything from it: a change made
//! meanwhile is seen by the next request, never half by this one. Writers build the next
//! snapshot from the current one (copy-on-write, in `tenant::model`), so the copy must be
//! cheap when the tenant holds many users: users sit apart from the other settings, each
//! behind its own `Arc`, indexed by `user_id` and by email. A new user copies the list of
//! pointers and the two indexes, never a user; a new client copies the settings, never a user.

use std::collections::HashMap;
use std::sync::Arc;

use crate::config::{TenantConfig, UserConfig};

/// The tenant's configuration at one instant. It dereferences to the settings (APIs,
/// applications, roles, organizations...); users are read through [`Snapshot::user`],
/// [`Snapshot::user_by_email`] and [`Snapshot::users`] (the settings' own `users` is empty).
#[derive(Debug, Clone)]
pub(crate) struct Snapshot {
    settings: Arc<TenantConfig>,
    users: Users,
}

/// The users, in creation order, with their indexes.
#[derive(Debug, Clone, Default)]
pub(crate) struct Users {
    list: Arc<Vec<Arc<UserConfig>>>,
    /// `user_id` -> position in `list`.
    by_id: Arc<HashMap<Arc<str>, usize>>,
    /// Lower-cased email -> position in `list` (Auth0 compares emails case-insensitively).
    by_email: Arc<HashMap<Arc<str>, usize>>,
}

impl Users {
    /// Indexes `users` (each `user_id` filled in, so `id()` never hashes again).
    pub(crate) fn new(users: Vec<UserConfig>) -> Self {
        let list: Vec<Arc<UserConfig>> = users
            .into_iter()
            .map(|mut u| {
                u.user_id = u.id();
                Arc::new(u)
            })
            .collect();
        Self::index(list)
    }

    fn index(list: Vec<Arc<UserConfig>>) -> Self {
        let mut by_id = HashMap::with_capacity(list.len());
        let mut by_email = HashMap::with_capacity(list.len());
        for (i, u) in list.iter().enumerate() {
            by_id.insert(Arc::from(u.user_id.as_str()), i);
            by_email.insert(Arc::from(u.email.to_ascii_lowercase().as_str()), i);
        }
        Users {
            list: Arc::new(list),
            by_id: Arc::new(by_id),
            by_email: Arc::new(by_email),
        }
    }

    /// Adds `user` (whose id and email are not taken: the caller checked).
    pub(crate) fn push(&mut self, mut user: UserConfig) -> Arc<UserConfig> {
        user.user_id = user.id();
        let user = Arc::new(user);
        let at = self.list.len();
        Arc::make_mut(&mut self.by_id).insert(Arc::from(user.user_id.as_str()), at);
        Arc::make_mut(&mut self.by_email)
            .insert(Arc::from(user.email.to_ascii_lowercase().as_str()), at);
        Arc::make_mut(&mut self.list).push(user.clone());
        user
    }

    /// Replaces the user at `at` (its email may change; its id may not).
    pub(crate) fn replace(&mut self, at: usize, user: UserConfig) -> Arc<UserConfig> {
        let user = Arc::new(user);
        let old = self.list[at].email.to_ascii_lowercase();
        let new = user.email.to_ascii_lowercase();
        if old != new {
            let emails = Arc::make_mut(&mut self.by_email);
            emails.remove(old.as_str());
            emails.insert(Arc::from(new.as_str()), at);
        }
        Arc::make_mut(&mut self.list)[at] = user.clone();
        user
    }

    /// Removes the user at `at` (the indexes are rebuilt: deletions are rare).
    pub(crate) fn remove(&mut self, at: usize) -> Arc<UserConfig> {
        let mut list = (*self.list).clone();
        let gone = list.remove(at);
        *self = Self::index(list);
        gone
    }

    /// The position of the user with this `user_id`.
    pub(crate) fn position(&self, user_id: &str) -> Option<usize> {
        self.by_id.get(user_id).copied()
    }

    /// The position of the user with this email (case-insensitive).
    pub(crate) fn position_by_email(&self, email: &str) -> Option<usize> {
        self.by_email
            .get(email.to_ascii_lowercase().as_str())
            .copied()
    }

    /// The user at `at`.
    pub(crate) fn at(&self, at: usize) -> &Arc<UserConfig> {
        &self.list[at]
    }

    /// All users, in creation order.
    pub(crate) fn iter(&self) -> impl ExactSizeIterator<Item = &Arc<UserConfig>> {
        self.list.iter()
    }

    /// How many users there are.
    pub(crate) fn len(&self) -> usize {
        self.list.len()
    }
}

impl Snapshot {
    /// The snapshot of a whole configuration (its users moved into the index).
    pub(crate) fn new(mut config: TenantConfig) -> Self {
        let users = Users::new(std::mem::take(&mut config.users));
        Snapshot {
            settings: Arc::new(config),
            users,
        }
    }

    /// A snapshot from settings (whose `users` must be empty) and users.
    pub(crate) fn from_parts(settings: Arc<TenantConfig>, users: Users) -> Self {
        debug_assert!(settings.users.is_empty());
        Snapshot { settings, users }
    }

    /// The settings, shared.
    pub(crate) fn settings(&self) -> &Arc<TenantConfig> {
        &self.settings
    }

    /// The users, shared.
    pub(crate) fn user_index(&self) -> &Users {
        &self.users
    }

    /// The user with this `user_id`.
    pub(crate) fn user(&self, user_id: &str) -> Option<&UserConfig> {
        self.users.position(user_id).map(|i| &**self.users.at(i))
    }

    /// The user with this email (case-insensitive, as Auth0 database connections compare).
    pub(crate) fn user_by_email(&self, email: &str) -> Option<&UserConfig> {
        self.users
            .position_by_email(email)
            .map(|i| &**self.users.at(i))
    }

    /// All users, in creation order.
    pub(crate) fn users(&self) -> impl ExactSizeIterator<Item = &Arc<UserConfig>> {
        self.users.iter()
    }

    /// The whole configuration, users included (a copy: for export and tests, not requests).
    pub(crate) fn to_config(&self) -> TenantConfig {
        TenantConfig {
            users: self.users.iter().map(|u| (**u).clone()).collect(),
            ..(*self.settings).clone()
        }
    }
}

impl std::ops::Deref for Snapshot {
    type Target = TenantConfig;

    fn deref(&self) -> &TenantConfig {
        &self.settings
    }
}
