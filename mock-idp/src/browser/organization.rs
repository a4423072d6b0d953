//! Organizations at login: `organization` (an id, or a name compared case-insensitively) at
//! `/authorize`, checked against the application's `organization_usage` as for
//! machine-to-machine applications, then the user's membership once the user is known (after
//! the form, or from the session). The organization goes into the code, and from there into
//! the ID and access tokens as `org_id` and `org_name` (lower case), and survives refresh.
//!
//! | `organization_usage` | without `organization` | with a known one |
//! |---|---|---|
//! | `deny` (default) | a login without organization | `invalid_request` "parameter organization is not allowed for this client" |
//! | `allow` | a login without organization | an organization login |
//! | `require` | `invalid_request` "parameter organization is required for this client" | an organization login |
//!
//! Invitations (`invitation` with `organization`) are `crate::browser::invitation`'s. Not
//! served yet: the organization prompt when `require` comes without one, per-organization
//! connections (the tenant has one database connection).

use std::collections::BTreeMap;

use crate::browser::authorize::Refusal;
use crate::config::{ApplicationConfig, OrganizationUsage, TenantConfig};

fn invalid(description: impl Into<String>) -> Refusal {
    Refusal::Redirect {
        error: "invalid_request",
        description: description.into(),
    }
}

/// The organization (its id) a request logs in to, if any.
pub(crate) fn requested(
    cfg: &TenantConfig,
    app: &ApplicationConfig,
    params: &BTreeMap<String, String>,
) -> Result<Option<String>, Refusal> {
    match (app.organization_usage, params.get("organization")) {
        (OrganizationUsage::Require, None) => Err(invalid(
            "parameter organization is required for this client",
        )),
        (_, None) => Ok(None),
        (OrganizationUsage::Deny, Some(_)) => Err(invalid(
            "parameter organization is not allowed for this client",
        )),
        (_, Some(value)) => cfg
            .organization(value)
            .map(|o| Some(o.id.clone()))
            .ok_or_else(|| invalid(format!("no organization found for: {value}"))),
    }
}

/// Why `user_id` may not complete a login to `organization`, if they may not.
pub(crate) fn refuse_non_member(
    cfg: &crate::config::Snapshot,
    organization: Option<&str>,
    user_id: &str,
) -> Option<Refusal> {
    let org = cfg.organization(organization?)?;
    let member = cfg.user(user_id).is_some_and(|u| org.has_member(u));
    (!member).then(|| Refusal::Redirect {
        error: "access_denied",
        description: format!("user {user_id} is not part of the {} organization", org.id),
    })
}
