//! `tenant.config()`: the tenant's configuration as it runs. Reads return copies of the
//! current entries; changes call the tenant model's methods, the very ones Auth0's Management
//! API and the Test page call, so a Rust test and an HTTP client change one tenant the same way
//! (checked as the TOML loader checks a file; the next request sees the change).

use crate::config::{
    ApiConfig, ApplicationConfig, OrganizationConfig, RoleConfig, TenantConfig, UserConfig,
};
use crate::tenant::model::ModelError;
use crate::tenant::state::TenantState;

/// The tenant's configuration as it runs: `tenant.config()`.
#[derive(Debug, Clone, Copy)]
pub struct Configuration<'a> {
    pub(super) state: &'a TenantState,
}

impl Configuration<'_> {
    /// The whole configuration now (a copy, users included).
    pub fn snapshot(&self) -> TenantConfig {
        self.state.config().to_config()
    }

    /// The API with this identifier.
    pub fn api(&self, identifier: &str) -> Option<ApiConfig> {
        self.state.config().api(identifier).cloned()
    }

    /// The application with this client_id.
    pub fn application(&self, client_id: &str) -> Option<ApplicationConfig> {
        self.state.config().application(client_id).cloned()
    }

    /// The user with this `user_id`.
    pub fn user(&self, user_id: &str) -> Option<UserConfig> {
        self.state.config().user(user_id).cloned()
    }

    /// The user with this email (case-insensitive).
    pub fn user_by_email(&self, email: &str) -> Option<UserConfig> {
        self.state.config().user_by_email(email).cloned()
    }

    /// How many users the tenant holds.
    pub fn user_count(&self) -> usize {
        self.state.config().users().len()
    }

    /// Adds a user of the database connection; returns it with its `user_id`.
    pub fn create_user(&self, user: UserConfig) -> Result<UserConfig, ModelError> {
        self.state.model.create_user(user).map(|u| (*u).clone())
    }

    /// Changes the user `user_id` (blocked, metadata, password...).
    pub fn update_user(
        &self,
        user_id: &str,
        f: impl FnOnce(&mut UserConfig),
    ) -> Result<UserConfig, ModelError> {
        self.state
            .model
            .update_user(user_id, |u| {
                f(u);
                Ok(())
            })
            .map(|u| (*u).clone())
    }

    /// Removes the user `user_id`.
    pub fn delete_user(&self, user_id: &str) -> Result<(), ModelError> {
        self.state.model.delete_user(user_id)
    }

    /// Gives the user `user_id` these roles (by name).
    pub fn assign_roles(&self, user_id: &str, roles: &[&str]) -> Result<(), ModelError> {
        let roles: Vec<String> = roles.iter().map(|r| (*r).to_owned()).collect();
        self.state.model.assign_roles(user_id, &roles)
    }

    /// Adds a role.
    pub fn create_role(&self, role: RoleConfig) -> Result<(), ModelError> {
        self.state.model.create_role(role).map(drop)
    }

    /// Removes a role (its users lose it).
    pub fn delete_role(&self, name: &str) -> Result<(), ModelError> {
        self.state.model.delete_role(name)
    }

    /// Adds an application.
    pub fn create_client(&self, app: ApplicationConfig) -> Result<(), ModelError> {
        self.state.model.create_client(app).map(drop)
    }

    /// Removes an application (its tokens requests are refused from now on).
    pub fn delete_client(&self, client_id: &str) -> Result<(), ModelError> {
        self.state.model.delete_client(client_id)
    }

    /// Grants `client_id` these scopes on the API `audience` (creates or replaces the grant).
    pub fn grant(
        &self,
        client_id: &str,
        audience: &str,
        scopes: &[&str],
    ) -> Result<(), ModelError> {
        let scopes: Vec<String> = scopes.iter().map(|s| (*s).to_owned()).collect();
        let exists = self
            .state
            .config()
            .application(client_id)
            .is_some_and(|a| a.grants.contains_key(audience));
        self.state
            .model
            .set_client_grant(client_id, audience, scopes, !exists)
    }

    /// Adds an API.
    pub fn create_api(&self, api: ApiConfig) -> Result<(), ModelError> {
        self.state.model.create_api(api).map(drop)
    }

    /// Changes the API `identifier` (lifetime, dialect, permissions...).
    pub fn update_api(
        &self,
        identifier: &str,
        f: impl FnOnce(&mut ApiConfig),
    ) -> Result<(), ModelError> {
        self.state
            .model
            .update_api(identifier, |a| {
                f(a);
                Ok(())
            })
            .map(drop)
    }

    /// Adds an organization.
    pub fn create_organization(&self, org: OrganizationConfig) -> Result<(), ModelError> {
        self.state.model.create_organization(org).map(drop)
    }

    /// Changes the organization `id` (members, applications, name).
    pub fn update_organization(
        &self,
        id: &str,
        f: impl FnOnce(&mut OrganizationConfig),
    ) -> Result<(), ModelError> {
        self.state
            .model
            .update_organization(id, |o| {
                f(o);
                Ok(())
            })
            .map(drop)
    }

    /// Removes the organization `id`.
    pub fn delete_organization(&self, id: &str) -> Result<(), ModelError> {
        self.state.model.delete_organization(id)
    }

    /// Back to the configuration the tenant started with.
    pub fn reset(&self) {
        self.state.model.reset();
    }
}
