//! The users of the tenant's database connection: create, update, delete, roles and direct
//! permissions. Each write checks the user as the file loader does (`config::check_user`) and
//! keeps emails and ids unique through the snapshot's indexes (no scan of the other users).

use std::sync::Arc;

use crate::config::{TenantConfig, UserConfig, Users, check_user};
use crate::tenant::model::{
    EntryKind, ModelError, TenantModel, add_each, add_permissions, limits, remove_each,
    remove_permissions,
};

/// Auth0's answer to enrolling a user who has an authenticator (text not captured).
pub(crate) const ALREADY_ENROLLED: &str = "User is already enrolled.";

impl TenantModel {
    /// Adds a user. Its email and `user_id` must be free.
    pub(crate) fn create_user(&self, user: UserConfig) -> Result<Arc<UserConfig>, ModelError> {
        self.change_users(|users, cfg, bytes| {
            if users.len() >= limits::USERS {
                return Err(ModelError::TooMany {
                    what: "users",
                    limit: limits::USERS,
                });
            }
            check(&user, cfg)?;
            if users.position_by_email(&user.email).is_some() {
                return Err(ModelError::Conflict("The user already exists.".into()));
            }
            if users.position(&user.id()).is_some() {
                return Err(ModelError::Conflict("The user already exists.".into()));
            }
            *bytes += size(&user);
            Ok(users.push(user))
        })
    }

    /// Saves `enrolment` as the OTP enrolment of `user_id`, who must have none: a confirmed
    /// self-enrolment (MFA API or login page) never replaces an existing one.
    pub(crate) fn enrol_otp(
        &self,
        user_id: &str,
        enrolment: crate::config::MfaConfig,
    ) -> Result<Arc<UserConfig>, ModelError> {
        self.update_user(user_id, |u| {
            if u.mfa.is_some() {
                return Err(ModelError::Conflict(ALREADY_ENROLLED.into()));
            }
            u.mfa = Some(enrolment);
            Ok(())
        })
    }

    /// Changes the user `user_id` with `f` (its `user_id` stays), checked as on creation.
    pub(crate) fn update_user(
        &self,
        user_id: &str,
        f: impl FnOnce(&mut UserConfig) -> Result<(), ModelError>,
    ) -> Result<Arc<UserConfig>, ModelError> {
        self.change_users(|users, cfg, bytes| {
            let at = users
                .position(user_id)
                .ok_or(ModelError::NotFound(EntryKind::User))?;
            let old = users.at(at).clone();
            let mut user = (*old).clone();
            f(&mut user)?;
            user.user_id = old.user_id.clone();
            check(&user, cfg)?;
            if let Some(other) = users.position_by_email(&user.email)
                && other != at
            {
                return Err(ModelError::Conflict(
                    "The specified new email already exists".into(),
                ));
            }
            *bytes = *bytes - size(&old) + size(&user);
            Ok(users.replace(at, user))
        })
    }

    /// Removes the user `user_id` (and their organization memberships).
    pub(crate) fn delete_user(&self, user_id: &str) -> Result<(), ModelError> {
        let gone = self.change_users(|users, _, bytes| {
            let at = users
                .position(user_id)
                .ok_or(ModelError::NotFound(EntryKind::User))?;
            let gone = users.remove(at);
            *bytes -= size(&gone);
            Ok(gone)
        })?;
        let member = |m: &String| *m == gone.user_id || m.eq_ignore_ascii_case(&gone.email);
        if self
            .current()
            .organizations
            .iter()
            .any(|o| o.members.iter().any(member))
        {
            self.change_settings(|cfg| {
                for o in &mut cfg.organizations {
                    o.members.retain(|m| !member(m));
                }
                Ok(())
            })?;
        }
        Ok(())
    }

    /// Gives the user these roles (by name; ones they have are kept once).
    pub(crate) fn assign_roles(&self, user_id: &str, roles: &[String]) -> Result<(), ModelError> {
        self.update_user(user_id, |u| {
            add_each(&mut u.roles, roles.iter().cloned());
            Ok(())
        })
        .map(drop)
    }

    /// Takes these roles (by name) from the user.
    pub(crate) fn remove_roles(&self, user_id: &str, roles: &[String]) -> Result<(), ModelError> {
        self.update_user(user_id, |u| {
            remove_each(&mut u.roles, roles);
            Ok(())
        })
        .map(drop)
    }

    /// Gives the user permissions directly: `(API identifier, permission)` pairs.
    pub(crate) fn add_user_permissions(
        &self,
        user_id: &str,
        permissions: &[(String, String)],
    ) -> Result<(), ModelError> {
        self.update_user(user_id, |u| {
            add_permissions(&mut u.permissions, permissions);
            Ok(())
        })
        .map(drop)
    }

    /// Takes directly given permissions from the user.
    pub(crate) fn remove_user_permissions(
        &self,
        user_id: &str,
        permissions: &[(String, String)],
    ) -> Result<(), ModelError> {
        self.update_user(user_id, |u| {
            remove_permissions(&mut u.permissions, permissions);
            Ok(())
        })
        .map(drop)
    }
}

/// The loader's checks for one user, and its size bound.
fn check(user: &UserConfig, cfg: &TenantConfig) -> Result<(), ModelError> {
    check_user(user, &cfg.roles, &cfg.apis, &|k| k.to_owned())
        .map_err(|(key, problem)| ModelError::Invalid { key, problem })?;
    if size(user) > limits::USER_BYTES {
        return Err(ModelError::TooLarge {
            what: "a user",
            limit: limits::USER_BYTES,
        });
    }
    Ok(())
}

/// A user's size as JSON.
pub(super) fn size(user: &UserConfig) -> usize {
    serde_json::to_vec(user).map_or(usize::MAX / 2, |v| v.len())
}

/// The users, with roles and permissions that `cfg` no longer defines taken away (only the
/// users who had one are copied).
pub(super) fn prune(users: &Users, cfg: &TenantConfig) -> Users {
    let stale = |u: &UserConfig| {
        u.roles
            .iter()
            .any(|r| !cfg.roles.iter().any(|x| &x.name == r))
            || u.permissions.iter().any(|(api, list)| {
                cfg.api(api)
                    .is_none_or(|a| list.iter().any(|p| !a.permissions.contains(p)))
            })
    };
    let mut out = users.clone();
    for at in 0..users.len() {
        if !stale(users.at(at)) {
            continue;
        }
        let mut u = (**users.at(at)).clone();
        u.roles.retain(|r| cfg.roles.iter().any(|x| &x.name == r));
        u.permissions.retain(|api, list| {
            let Some(a) = cfg.api(api) else {
                return false;
            };
            list.retain(|p| a.permissions.contains(p));
            !list.is_empty()
        });
        out.replace(at, u);
    }
    out
}
