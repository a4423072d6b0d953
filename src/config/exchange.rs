//! Settings for several custom domains (`AUTH0_DOMAINS`) and for the token exchange the
//! `/api/upstream` route performs (`AUTH0_CLIENT_ID`, `AUTH0_CLIENT_SECRET`,
//! `UPSTREAM_API_URL`, `UPSTREAM_API_AUDIENCE`, `UPSTREAM_API_SCOPE`).
//!
//! The route is on only when `UPSTREAM_API_URL` is set; then the rest is required, and a
//! missing piece stops start-up with one line, like every other setting.

use std::collections::BTreeMap;

use super::{ConfigError, Sources, normalise_domain, optional};

/// The API's own Auth0 application, which exchanges tokens (never logged: `Debug` hides the
/// secret).
#[derive(Clone, PartialEq, Eq)]
pub struct ClientCredentials {
    /// `AUTH0_CLIENT_ID`.
    pub client_id: String,
    /// `AUTH0_CLIENT_SECRET`.
    pub client_secret: String,
}

impl std::fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .finish()
    }
}

/// The second API `/api/upstream` calls on the caller's behalf.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamSettings {
    /// `UPSTREAM_API_URL`: the URL the route GETs with the exchanged token.
    pub url: String,
    /// `UPSTREAM_API_AUDIENCE`: that API's identifier (the exchanged token's `aud`).
    pub audience: String,
    /// `UPSTREAM_API_SCOPE`: scopes to ask for, if any.
    pub scope: Option<String>,
}

const CLIENT_HINT: &str = "the API exchanges tokens as its own Auth0 application: set AUTH0_CLIENT_ID and AUTH0_CLIENT_SECRET to that application's credentials";

/// `AUTH0_DOMAINS`: comma-separated domains, each normalised like `AUTH0_DOMAIN`.
pub(super) fn parse_domains(
    vars: &BTreeMap<String, String>,
    warnings: &mut Vec<String>,
) -> Result<Vec<String>, ConfigError> {
    let Some(value) = optional(vars, "AUTH0_DOMAINS") else {
        return Ok(Vec::new());
    };
    let mut domains = Vec::new();
    for raw in value.split(',').map(str::trim) {
        if raw.is_empty() {
            return Err(ConfigError::Invalid {
                var: "AUTH0_DOMAINS",
                value: value.clone(),
                reason: "an empty entry; separate domains with single commas".into(),
            });
        }
        let domain = normalise_domain(raw, warnings).map_err(|e| match e {
            ConfigError::Invalid { value, reason, .. } => ConfigError::Invalid {
                var: "AUTH0_DOMAINS",
                value,
                reason,
            },
            other => other,
        })?;
        if !domains.contains(&domain) {
            domains.push(domain);
        }
    }
    Ok(domains)
}

/// `AUTH0_CLIENT_ID` and `AUTH0_CLIENT_SECRET`: both or neither.
pub(super) fn parse_client(
    vars: &BTreeMap<String, String>,
    sources: &Sources,
) -> Result<Option<ClientCredentials>, ConfigError> {
    match (
        optional(vars, "AUTH0_CLIENT_ID"),
        optional(vars, "AUTH0_CLIENT_SECRET"),
    ) {
        (None, None) => Ok(None),
        (Some(client_id), Some(client_secret)) => Ok(Some(ClientCredentials {
            client_id,
            client_secret,
        })),
        (Some(_), None) => Err(required_by(
            "AUTH0_CLIENT_SECRET",
            "AUTH0_CLIENT_ID",
            sources,
        )),
        (None, Some(_)) => Err(required_by(
            "AUTH0_CLIENT_ID",
            "AUTH0_CLIENT_SECRET",
            sources,
        )),
    }
}

/// The upstream route's settings, when `UPSTREAM_API_URL` is set.
pub(super) fn parse_upstream(
    vars: &BTreeMap<String, String>,
    sources: &Sources,
    client: Option<&ClientCredentials>,
) -> Result<Option<UpstreamSettings>, ConfigError> {
    let Some(url) = optional(vars, "UPSTREAM_API_URL") else {
        return Ok(None);
    };
    let parsed = url::Url::parse(&url).ok();
    if !parsed.is_some_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some()) {
        return Err(ConfigError::Invalid {
            var: "UPSTREAM_API_URL",
            value: url,
            reason: "expected the http(s) URL /api/upstream calls, e.g. https://reports.example.com/api/data".into(),
        });
    }
    if client.is_none() {
        return Err(required_by("AUTH0_CLIENT_ID", "UPSTREAM_API_URL", sources));
    }
    let audience = optional(vars, "UPSTREAM_API_AUDIENCE").ok_or_else(|| ConfigError::RequiredBy {
        var: "UPSTREAM_API_AUDIENCE",
        by: "UPSTREAM_API_URL",
        sources: sources.clone(),
        hint: "set it to the identifier of the API at UPSTREAM_API_URL, e.g. https://upstream-api",
    })?;
    Ok(Some(UpstreamSettings {
        url,
        audience,
        scope: optional(vars, "UPSTREAM_API_SCOPE"),
    }))
}

fn required_by(var: &'static str, by: &'static str, sources: &Sources) -> ConfigError {
    ConfigError::RequiredBy {
        var,
        by,
        sources: sources.clone(),
        hint: CLIENT_HINT,
    }
}
