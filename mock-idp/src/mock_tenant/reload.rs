//! [`ConfigReloader`]: replaces a running tenant's whole configuration with a file read again
//! (`mock-idp serve --config FILE --watch`), through the tenant model's `replace`.

use std::sync::Arc;

use crate::config::TenantConfig;
use crate::tenant::model::ModelError;
use crate::tenant::state::TenantState;

/// A handle that swaps in a new configuration while the tenant serves: from
/// [`crate::BoundTenant::reloader`], kept after [`crate::BoundTenant::serve`] takes the tenant.
#[derive(Debug, Clone)]
pub struct ConfigReloader {
    pub(super) state: Arc<TenantState>,
}

impl ConfigReloader {
    /// Replaces the configuration (the Management API named as in a file, as at start), checked
    /// as a file is; the next request sees it, and `POST /control/reset` returns to it. On an
    /// error the configuration in force stays.
    pub fn replace(&self, config: TenantConfig) -> Result<(), ModelError> {
        let control_on = self.state.admin_secret().is_some();
        let config = config.resolve_management_api(&self.state.mint.issuer, control_on);
        self.state.model.replace(config)
    }
}
