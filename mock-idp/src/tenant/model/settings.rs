//! Applications (clients), client grants, APIs (resource servers), roles and organizations.
//! Each write edits a copy of the settings and is checked by the file loader's own validation
//! (`TenantConfig::validate`) before it is swapped in.

use crate::config::{ApiConfig, ApplicationConfig, OrganizationConfig, RoleConfig, TenantConfig};
use crate::tenant::model::{EntryKind, ModelError, TenantModel};

impl TenantModel {
    /// Adds an application. Its client_id must be free.
    pub(crate) fn create_client(
        &self,
        app: ApplicationConfig,
    ) -> Result<ApplicationConfig, ModelError> {
        self.change_settings(|cfg| {
            if cfg.application(&app.client_id).is_some() {
                return Err(ModelError::Conflict(format!(
                    "A client with client_id {} already exists",
                    app.client_id
                )));
            }
            cfg.applications.push(app.clone());
            Ok(app)
        })
    }

    /// Changes the application `client_id` with `f` (its client_id stays).
    pub(crate) fn update_client(
        &self,
        client_id: &str,
        f: impl FnOnce(&mut ApplicationConfig) -> Result<(), ModelError>,
    ) -> Result<ApplicationConfig, ModelError> {
        self.change_settings(|cfg| {
            let app = client_mut(cfg, client_id)?;
            f(app)?;
            app.client_id = client_id.to_owned();
            Ok(app.clone())
        })
    }

    /// A new client_secret for the application; the old one stops working at once.
    pub(crate) fn rotate_client_secret(
        &self,
        client_id: &str,
    ) -> Result<ApplicationConfig, ModelError> {
        let secret = format!("{}{}", crate::jose::random_id(), crate::jose::random_id());
        self.update_client(client_id, |app| {
            app.client_secret = secret;
            Ok(())
        })
    }

    /// Removes the application, its grants, its place in organizations and the invitations
    /// to log in to it.
    pub(crate) fn delete_client(&self, client_id: &str) -> Result<(), ModelError> {
        self.change_settings(|cfg| {
            let at = cfg
                .applications
                .iter()
                .position(|a| a.client_id == client_id)
                .ok_or(ModelError::NotFound(EntryKind::Client))?;
            cfg.applications.remove(at);
            for o in &mut cfg.organizations {
                o.applications.retain(|c| c != client_id);
                o.invitations.retain(|i| i.client_id != client_id);
            }
            cfg.custom_api_clients.retain(|_, c| c != client_id);
            Ok(())
        })
    }

    /// Grants `client_id` these scopes on the API `audience` (a client grant). `create`:
    /// the grant must not exist yet; otherwise it must, and its scopes are replaced.
    pub(crate) fn set_client_grant(
        &self,
        client_id: &str,
        audience: &str,
        scopes: Vec<String>,
        create: bool,
    ) -> Result<(), ModelError> {
        self.change_settings(|cfg| {
            if cfg.api(audience).is_none() {
                return Err(ModelError::NotFound(EntryKind::ResourceServer));
            }
            let app = client_mut(cfg, client_id)?;
            match (create, app.grants.contains_key(audience)) {
                (true, true) => {
                    return Err(ModelError::Conflict(
                        "A resource server with the same identifier already exists for this client"
                            .into(),
                    ));
                }
                (false, false) => return Err(ModelError::NotFound(EntryKind::ClientGrant)),
                _ => {}
            }
            app.grants.insert(audience.to_owned(), scopes);
            Ok(())
        })
    }

    /// Removes `client_id`'s grant on `audience`.
    pub(crate) fn delete_client_grant(
        &self,
        client_id: &str,
        audience: &str,
    ) -> Result<(), ModelError> {
        self.change_settings(|cfg| {
            let app = client_mut(cfg, client_id)?;
            app.grants
                .remove(audience)
                .map(drop)
                .ok_or(ModelError::NotFound(EntryKind::ClientGrant))
        })
    }

    /// Adds an API. Its identifier must be free.
    pub(crate) fn create_api(&self, api: ApiConfig) -> Result<ApiConfig, ModelError> {
        self.change_settings(|cfg| {
            if cfg.api(&api.identifier).is_some() {
                return Err(ModelError::Conflict(
                    "A resource server with the same identifier already exists".into(),
                ));
            }
            cfg.apis.push(api.clone());
            Ok(api)
        })
    }

    /// Changes the API `identifier` with `f` (its identifier stays). Permissions it no longer
    /// defines leave the grants and roles that named them.
    pub(crate) fn update_api(
        &self,
        identifier: &str,
        f: impl FnOnce(&mut ApiConfig) -> Result<(), ModelError>,
    ) -> Result<ApiConfig, ModelError> {
        self.change_settings(|cfg| {
            let api = cfg
                .apis
                .iter_mut()
                .find(|a| a.identifier == identifier)
                .ok_or(ModelError::NotFound(EntryKind::ResourceServer))?;
            f(api)?;
            api.identifier = identifier.to_owned();
            let api = api.clone();
            forget_permissions(cfg, &api.identifier, Some(&api.permissions));
            Ok(api)
        })
    }

    /// Removes the API with its grants and the permissions roles had on it. The Management
    /// API cannot be removed.
    pub(crate) fn delete_api(&self, identifier: &str) -> Result<(), ModelError> {
        self.change_settings(|cfg| {
            let at = cfg
                .apis
                .iter()
                .position(|a| a.identifier == identifier)
                .ok_or(ModelError::NotFound(EntryKind::ResourceServer))?;
            if cfg.apis[at].is_management_api() {
                return Err(ModelError::invalid(
                    "identifier",
                    "You cannot delete the Management API",
                ));
            }
            cfg.apis.remove(at);
            forget_permissions(cfg, identifier, None);
            cfg.custom_api_clients.remove(identifier);
            Ok(())
        })
    }

    /// Adds a role. Its name must be free.
    /// Its id is pinned: derived from its name while no other role has that id (a renamed
    /// role keeps the id of its first name), else a random one.
    pub(crate) fn create_role(&self, mut role: RoleConfig) -> Result<RoleConfig, ModelError> {
        self.change_settings(|cfg| {
            if cfg.roles.iter().any(|r| r.name == role.name) {
                return Err(ModelError::Conflict("Role name already exists".into()));
            }
            let id = role.id();
            role.id = Some(if cfg.roles.iter().any(|r| r.id() == id) {
                format!("rol_{}", crate::jose::random_id())
            } else {
                id
            });
            cfg.roles.push(role.clone());
            Ok(role)
        })
    }

    /// Changes the role `name` with `f`. A new name must be free; its users follow it.
    pub(crate) fn update_role(
        &self,
        name: &str,
        f: impl FnOnce(&mut RoleConfig) -> Result<(), ModelError>,
    ) -> Result<RoleConfig, ModelError> {
        let role = self.change_settings(|cfg| {
            let at = cfg
                .roles
                .iter()
                .position(|r| r.name == name)
                .ok_or(ModelError::NotFound(EntryKind::Role))?;
            let mut role = cfg.roles[at].clone();
            // Pinned before any rename: the role keeps its id under a new name.
            role.id = Some(role.id());
            f(&mut role)?;
            if role.name != name && cfg.roles.iter().any(|r| r.name == role.name) {
                return Err(ModelError::Conflict("Role name already exists".into()));
            }
            // Keep the users' old name valid until they follow (below).
            if role.name != name {
                cfg.roles.push(RoleConfig::new(name));
            }
            cfg.roles[at] = role.clone();
            Ok(role)
        })?;
        if role.name != name {
            let new = role.name.clone();
            self.change_users(|users, _, _| {
                for at in 0..users.len() {
                    if users.at(at).roles.iter().any(|r| r == name) {
                        let mut u = (**users.at(at)).clone();
                        for r in &mut u.roles {
                            if r == name {
                                *r = new.clone();
                            }
                        }
                        users.replace(at, u);
                    }
                }
                Ok(())
            })?;
            self.change_settings(|cfg| {
                rename_member_roles(cfg, name, Some(&role.name));
                cfg.roles.retain(|r| r.name != name);
                Ok(())
            })?;
        }
        Ok(role)
    }

    /// Removes the role; its users lose it.
    pub(crate) fn delete_role(&self, name: &str) -> Result<(), ModelError> {
        self.change_settings(|cfg| {
            let before = cfg.roles.len();
            cfg.roles.retain(|r| r.name != name);
            if cfg.roles.len() == before {
                return Err(ModelError::NotFound(EntryKind::Role));
            }
            rename_member_roles(cfg, name, None);
            Ok(())
        })
    }

    /// Adds an organization. Its id and name must be free.
    pub(crate) fn create_organization(
        &self,
        org: OrganizationConfig,
    ) -> Result<OrganizationConfig, ModelError> {
        self.change_settings(|cfg| {
            let taken = cfg.organizations.iter().any(|o| {
                o.id == org.id
                    || o.name.is_some()
                        && o.name.as_deref().map(str::to_ascii_lowercase)
                            == org.name.as_deref().map(str::to_ascii_lowercase)
            });
            if taken {
                return Err(ModelError::Conflict(
                    "An organization with this name already exists.".into(),
                ));
            }
            cfg.organizations.push(org.clone());
            Ok(org)
        })
    }

    /// Changes the organization `id` with `f` (its id stays).
    pub(crate) fn update_organization(
        &self,
        id: &str,
        f: impl FnOnce(&mut OrganizationConfig) -> Result<(), ModelError>,
    ) -> Result<OrganizationConfig, ModelError> {
        self.change_settings(|cfg| {
            let org = cfg
                .organizations
                .iter_mut()
                .find(|o| o.id == id)
                .ok_or(ModelError::NotFound(EntryKind::Organization))?;
            f(org)?;
            org.id = id.to_owned();
            Ok(org.clone())
        })
    }

    /// Changes tenant-wide settings (the default audience, the default directory, Allowed
    /// Logout URLs) with `f`.
    pub(crate) fn update_tenant_settings<T>(
        &self,
        f: impl FnOnce(&mut TenantConfig) -> Result<T, ModelError>,
    ) -> Result<T, ModelError> {
        self.change_settings(f)
    }

    /// Removes the organization.
    pub(crate) fn delete_organization(&self, id: &str) -> Result<(), ModelError> {
        self.change_settings(|cfg| {
            let before = cfg.organizations.len();
            cfg.organizations.retain(|o| o.id != id);
            if cfg.organizations.len() == before {
                return Err(ModelError::NotFound(EntryKind::Organization));
            }
            Ok(())
        })
    }
}

fn client_mut<'a>(
    cfg: &'a mut TenantConfig,
    client_id: &str,
) -> Result<&'a mut ApplicationConfig, ModelError> {
    cfg.applications
        .iter_mut()
        .find(|a| a.client_id == client_id)
        .ok_or(ModelError::NotFound(EntryKind::Client))
}

/// Takes the permissions of API `identifier` that are not in `kept` (all of them when `None`)
/// from the grants and roles that name them.
fn forget_permissions(cfg: &mut TenantConfig, identifier: &str, kept: Option<&[String]>) {
    let keep = |p: &String| kept.is_some_and(|k| k.contains(p));
    for app in &mut cfg.applications {
        match kept {
            None => {
                app.grants.remove(identifier);
            }
            Some(_) => {
                if let Some(list) = app.grants.get_mut(identifier) {
                    list.retain(keep);
                }
            }
        }
    }
    for role in &mut cfg.roles {
        if let Some(list) = role.permissions.get_mut(identifier) {
            list.retain(keep);
        }
        role.permissions.retain(|_, l| !l.is_empty());
    }
}

/// Organization member roles named `old` become `new` (or go, when `None`).
fn rename_member_roles(cfg: &mut TenantConfig, old: &str, new: Option<&str>) {
    for o in &mut cfg.organizations {
        for roles in o.member_roles.values_mut() {
            match new {
                Some(n) => roles
                    .iter_mut()
                    .filter(|r| *r == old)
                    .for_each(|r| *r = n.to_owned()),
                None => roles.retain(|r| r != old),
            }
        }
        o.member_roles.retain(|_, r| !r.is_empty());
        for inv in &mut o.invitations {
            match new {
                Some(n) => inv
                    .roles
                    .iter_mut()
                    .filter(|r| *r == old)
                    .for_each(|r| *r = n.to_owned()),
                None => inv.roles.retain(|r| r != old),
            }
        }
    }
}
