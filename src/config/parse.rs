//! Reading one setting's value: present or not, the domain's fixable spellings, and each
//! typed value (hosts, DPoP mode, windows, counts, booleans) with the one-line error that names
//! the variable and what it expects.

use std::collections::BTreeMap;
use std::time::Duration;

use oauth2_jwt_bearer::{Authority, DpopMode, VerifierOptions};

use super::{ConfigError, Sources};

pub(super) fn optional(vars: &BTreeMap<String, String>, var: &str) -> Option<String> {
    vars.get(var)
        .map(|value| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}

pub(super) fn required(
    vars: &BTreeMap<String, String>,
    var: &'static str,
    hint: &'static str,
    sources: &Sources,
) -> Result<String, ConfigError> {
    match vars.get(var) {
        Some(value) if value.trim().is_empty() => Err(ConfigError::Empty {
            var,
            sources: sources.clone(),
            hint,
        }),
        Some(value) => Ok(value.trim().to_owned()),
        None => match vars.keys().find(|name| name.eq_ignore_ascii_case(var)) {
            Some(found) => Err(ConfigError::WrongCase {
                var,
                found: found.clone(),
                sources: sources.clone(),
            }),
            None => Err(ConfigError::Missing {
                var,
                sources: sources.clone(),
                hint,
            }),
        },
    }
}

/// Accepts the domain as the dashboard shows it, and forgives the usual copy-paste extras.
pub(super) fn normalise_domain(
    raw: &str,
    warnings: &mut Vec<String>,
) -> Result<String, ConfigError> {
    let invalid = |reason: &str| ConfigError::Invalid {
        var: "AUTH0_DOMAIN",
        value: raw.to_owned(),
        reason: reason.to_owned(),
    };
    let mut domain = raw;
    if let Some(rest) = strip_prefix_ignore_case(domain, "https://") {
        warnings.push(format!(
            "AUTH0_DOMAIN={raw:?} includes https://; using {:?} (give the domain only)",
            rest.trim_end_matches('/')
        ));
        domain = rest;
    } else if strip_prefix_ignore_case(domain, "http://").is_some() {
        return Err(invalid(
            "Auth0 tenants are served over https; give the domain only, e.g. your-tenant.us.auth0.com",
        ));
    }
    if domain.ends_with('/') {
        domain = domain.trim_end_matches('/');
        if !raw.to_ascii_lowercase().starts_with("https://") {
            warnings.push(format!(
                "AUTH0_DOMAIN={raw:?} has a trailing slash; using {domain:?}"
            ));
        }
    }
    if domain.chars().any(|c| c.is_ascii_uppercase()) {
        warnings.push(format!(
            "AUTH0_DOMAIN={raw:?} has upper-case letters; host names are case-insensitive, using {:?}",
            domain.to_ascii_lowercase()
        ));
    }
    let domain = domain.to_ascii_lowercase();
    if domain.is_empty() {
        return Err(invalid(
            "no host name left after removing the scheme and slashes",
        ));
    }
    if domain.contains(['/', '?', '#', '@', ' ']) {
        return Err(invalid(
            "expected a host name with an optional port, without a path, query or user name",
        ));
    }
    let parsed = url::Url::parse(&format!("https://{domain}/"))
        .map_err(|e| invalid(&format!("not a host name: {e}")))?;
    if parsed.host_str().is_none() {
        return Err(invalid("not a host name"));
    }
    Ok(domain)
}

fn strip_prefix_ignore_case<'a>(value: &'a str, prefix: &str) -> Option<&'a str> {
    let head = value.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &value[prefix.len()..])
}

/// Auth0 API identifiers are URIs; a bare word is almost always a copy of the API's display name.
pub(super) fn audience_shape_warning(audience: &str) -> Option<String> {
    let is_uri =
        url::Url::parse(audience).is_ok_and(|url| !url.cannot_be_a_base() || url.scheme() == "urn");
    (!is_uri).then(|| {
        format!(
            "AUTH0_AUDIENCE={audience:?} is not a URL or URN; Auth0 API identifiers look like \
             https://my-api or urn:my-api, and tokens carry it exactly in `aud`"
        )
    })
}

/// `host[:port]` entries separated by commas, each a bare authority (what the verifier
/// compares the `Host` with), lower-cased.
pub(super) fn parse_allowed_hosts(value: &str) -> Result<Vec<String>, ConfigError> {
    value
        .split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            Authority::parse(entry)
                .map(|a| a.to_string())
                .map_err(|e| ConfigError::Invalid {
                    var: "ALLOWED_HOSTS",
                    value: value.to_owned(),
                    reason: format!(
                        "entry {entry:?}: {e}; expected e.g. ALLOWED_HOSTS=api.example.com,127.0.0.1:5000"
                    ),
                })
        })
        .collect()
}

pub(super) fn parse_dpop_mode(value: &str) -> Result<DpopMode, ConfigError> {
    match value.to_ascii_lowercase().as_str() {
        "disabled" | "off" => Ok(DpopMode::Disabled),
        "allowed" => Ok(DpopMode::Allowed),
        "required" => Ok(DpopMode::Required),
        _ => Err(ConfigError::Invalid {
            var: "AUTH0_DPOP_MODE",
            value: value.to_owned(),
            reason: "expected one of: disabled, allowed, required".into(),
        }),
    }
}

/// Whole seconds, optionally with an `s` suffix (`60`, `60s`), from 1 s to
/// [`VerifierOptions::MAX_DPOP_IAT_WINDOW`]: a longer window is no longer "relatively brief" (RFC 9449 §11.1).
pub(super) fn parse_iat_window(value: &str) -> Result<Duration, ConfigError> {
    let max = VerifierOptions::MAX_DPOP_IAT_WINDOW.as_secs();
    let digits = value.strip_suffix('s').unwrap_or(value);
    match digits.parse::<u64>() {
        Ok(secs) if (1..=max).contains(&secs) => Ok(Duration::from_secs(secs)),
        _ => Err(ConfigError::Invalid {
            var: "AUTH0_DPOP_IAT_WINDOW",
            value: value.to_owned(),
            reason: format!(
                "expected whole seconds from 1 to {max}, e.g. AUTH0_DPOP_IAT_WINDOW=60 \
                 (the default; auth0-api-python uses 300)"
            ),
        }),
    }
}

/// Whole seconds (`86400`, `86400s`) from 0 (never serve stale keys) to 7 days: a tenant
/// down for longer is not an outage to ride out with keys it may have withdrawn meanwhile.
pub(super) fn parse_max_stale(value: &str) -> Result<Duration, ConfigError> {
    const MAX: u64 = 7 * 24 * 3600;
    let digits = value.strip_suffix('s').unwrap_or(value);
    match digits.parse::<u64>() {
        Ok(secs) if secs <= MAX => Ok(Duration::from_secs(secs)),
        _ => Err(ConfigError::Invalid {
            var: "AUTH0_JWKS_MAX_STALE",
            value: value.to_owned(),
            reason: format!(
                "expected whole seconds from 0 to {MAX}, e.g. AUTH0_JWKS_MAX_STALE=86400 (the \
                 default: Auth0's stale-if-error)"
            ),
        }),
    }
}

/// The largest in-memory replay store the settings may ask for: 10 million entries, 3.2 GB.
pub(super) const MAX_REPLAY_ENTRIES: usize = 10_000_000;

/// A whole number from 1 to `max`.
pub(super) fn parse_count(
    var: &'static str,
    value: &str,
    max: usize,
) -> Result<usize, ConfigError> {
    match value.parse::<usize>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(ConfigError::Invalid {
            var,
            value: value.to_owned(),
            reason: format!("expected a whole number from 1 to {max}"),
        }),
    }
}

pub(super) fn parse_bool(var: &'static str, value: &str) -> Result<bool, ConfigError> {
    match value.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(ConfigError::Invalid {
            var,
            value: value.to_owned(),
            reason: "expected true or false".into(),
        }),
    }
}
