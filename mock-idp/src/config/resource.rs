//! RFC 8707 resource indicators as Auth0 reads them: the tenant setting
//! `resource_parameter_profile` ([`ResourceParameterProfile`]), and the one rule every endpoint
//! applies to `audience` and `resource` ([`TenantConfig::requested_audience`]).
//!
//! Auth0 (its "Resource Parameter Compatibility Profile", the tenant flag MCP servers turn on):
//! with the profile `audience` (the default) `resource` is ignored; with `compatibility`,
//! `audience` is checked first and, when it is absent, `resource` names the API. When both are
//! sent, `audience` wins, as Auth0 documents, even if they differ. A `resource` that is not an
//! absolute URI without fragment, or names no API of the tenant, is `invalid_target` (RFC 8707
//! §2).

use serde::{Deserialize, Serialize};

use crate::config::TenantConfig;

/// Auth0's tenant setting `resource_parameter_profile`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ResourceParameterProfile {
    /// Only `audience` names the API; `resource` is ignored (Auth0's default).
    #[default]
    Audience,
    /// `audience` first; without it, `resource` (RFC 8707) names the API.
    Compatibility,
}

impl ResourceParameterProfile {
    pub(crate) fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

/// Why a `resource` names no API: `invalid_target` (RFC 8707 §2), the text is the description.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResourceError {
    /// Not an absolute URI, or one with a fragment.
    #[error("The resource parameter must be an absolute URI without a fragment")]
    NotAbsolute,
    /// An absolute URI that is no API of this tenant.
    #[error("Service not found: {0}")]
    Unknown(String),
    /// An API, but not the one the code or refresh token was issued for.
    #[error("The resource {0} is not the audience of this grant")]
    NotGranted(String),
}

impl TenantConfig {
    /// The audience a request asks for, from its `audience` and `resource` parameters (see the
    /// module docs). `None`: neither names one (the caller's default applies).
    pub fn requested_audience<'a>(
        &self,
        audience: Option<&'a str>,
        resource: Option<&'a str>,
    ) -> Result<Option<&'a str>, ResourceError> {
        if audience.is_some()
            || self.resource_parameter_profile != ResourceParameterProfile::Compatibility
        {
            return Ok(audience);
        }
        let Some(resource) = resource else {
            return Ok(None);
        };
        let absolute = url::Url::parse(resource).is_ok_and(|u| u.fragment().is_none());
        if !absolute {
            return Err(ResourceError::NotAbsolute);
        }
        if self.api(resource).is_none() {
            return Err(ResourceError::Unknown(resource.to_owned()));
        }
        Ok(Some(resource))
    }

    /// At the token endpoint with a grant whose audience is settled (a code, a refresh token):
    /// a `resource` (compatibility profile) must be that audience, RFC 8707 §2.2.
    pub fn check_resource_for(
        &self,
        granted: Option<&str>,
        resource: Option<&str>,
    ) -> Result<(), ResourceError> {
        match (self.resource_parameter_profile, resource) {
            (ResourceParameterProfile::Compatibility, Some(r)) if Some(r) != granted => {
                self.requested_audience(None, Some(r))?;
                Err(ResourceError::NotGranted(r.to_owned()))
            }
            _ => Ok(()),
        }
    }
}
