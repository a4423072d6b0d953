//! Organizations for machine-to-machine applications: `organization` on client_credentials
//! (an id, or a name) puts `org_id` (and `org_name`, lower case, when the organization has a
//! name) in the token, as the application's `organization_usage` allows:
//!
//! | `organization_usage` | without `organization` | with one the app is associated with |
//! |---|---|---|
//! | `deny` (default) | token without org claims | 400 `invalid_request` |
//! | `allow` | token without org claims | org claims |
//! | `require` | 400 `invalid_request` "parameter organization is required for this client" | org claims |
//!
//! An unknown organization and one the application is not associated with get the same 403,
//! so a client cannot probe which organizations exist.

use std::collections::BTreeMap;

use super::TokenError;
use crate::config::{ApplicationConfig, OrganizationConfig, OrganizationUsage, TenantConfig};
use crate::mint::token::TokenBuilder;

/// The organization a client_credentials request is for, if any.
pub(super) fn requested<'c>(
    cfg: &'c TenantConfig,
    app: &ApplicationConfig,
    params: &BTreeMap<String, String>,
) -> Result<Option<&'c OrganizationConfig>, TokenError> {
    let asked = params.get("organization");
    match (app.organization_usage, asked) {
        (OrganizationUsage::Require, None) => Err(TokenError::InvalidRequest(
            "parameter organization is required for this client".into(),
        )),
        (_, None) => Ok(None),
        (OrganizationUsage::Deny, Some(_)) => Err(TokenError::InvalidRequest(
            "parameter organization is not allowed for this client".into(),
        )),
        (_, Some(value)) => cfg
            .organization(value)
            .filter(|o| o.applications.contains(&app.client_id))
            .map(Some)
            .ok_or_else(|| {
                TokenError::AccessDenied(
                    "Client is not authorized to access the organization".into(),
                )
            }),
    }
}

/// Adds the organization's claims to a token.
pub(super) fn stamp(token: TokenBuilder, org: Option<&OrganizationConfig>) -> TokenBuilder {
    let Some(org) = org else {
        return token;
    };
    let token = token.claim("org_id", serde_json::json!(org.id));
    match &org.name {
        Some(name) => token.claim("org_name", serde_json::json!(name.to_ascii_lowercase())),
        None => token,
    }
}
