//! Settings of the API binary, read from `.env` and the environment as the quickstart does.
//!
//! Start-up must fail loudly and in one line when a setting is missing or wrong: a half-configured API
//! that trusts the wrong issuer is worse than one that does not start. Fixable spellings of
//! `AUTH0_DOMAIN` (a scheme, a trailing slash, upper case) are normalised with a warning instead,
//! because they are the quickstart's most common "issuer mismatch" mistakes.

use std::collections::BTreeMap;
use std::path::PathBuf;

use std::time::Duration;

mod exchange;
mod parse;
mod signing;
pub use exchange::{ClientCredentials, UpstreamSettings};
use parse::{
    MAX_REPLAY_ENTRIES, audience_shape_warning, normalise_domain, optional, parse_allowed_hosts,
    parse_bool, parse_count, parse_dpop_mode, parse_iat_window, parse_max_stale, required,
};
pub use signing::TokenSigning;

use oauth2_jwt_bearer::replay::InMemoryReplayStore;
use oauth2_jwt_bearer::resource_metadata::ResourceMetadata;
use oauth2_jwt_bearer::{DpopMode, VerifierOptions};

/// Where the settings were looked for, for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sources {
    /// The `.env` file that was loaded, if one was found.
    pub dotenv: Option<PathBuf>,
}

impl std::fmt::Display for Sources {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.dotenv {
            Some(path) => write!(f, "the environment and {}", path.display()),
            None => write!(
                f,
                "the environment (no .env file found in this directory or its parents)"
            ),
        }
    }
}

/// Everything the API binary needs to start. `Debug` hides the Redis URL, which may hold a password.
#[derive(Clone, PartialEq)]
pub struct Settings {
    /// The tenant domain, normalised: host and optional port, lower case, no scheme, no slash.
    /// With `AUTH0_DOMAINS` and no `AUTH0_DOMAIN`, the first of them. Token exchange uses it.
    pub domain: String,
    /// `AUTH0_DOMAINS`: every custom domain tokens may come from (`domain` included); empty
    /// when only `AUTH0_DOMAIN` is set.
    pub domains: Vec<String>,
    /// `AUTH0_CLIENT_ID` / `AUTH0_CLIENT_SECRET`: the API's own application (token exchange).
    pub client: Option<ClientCredentials>,
    /// The `/api/upstream` route's settings (`UPSTREAM_API_*`); the route is off without them.
    pub upstream: Option<UpstreamSettings>,
    /// The API identifier tokens must carry in `aud`.
    pub audience: String,
    /// An extra CA certificate (PEM) to trust for the tenant's HTTPS, as `mock-idp init` writes it.
    pub ca_file: Option<PathBuf>,
    /// Whether DPoP is off, allowed beside Bearer, or required.
    pub dpop_mode: DpopMode,
    /// Whether DPoP proofs must carry a server nonce (RFC 9449 §9).
    pub dpop_nonces: bool,
    /// The port to listen on (loopback and all interfaces alike: see `main`).
    pub port: u16,
    /// The address to bind.
    pub bind: std::net::IpAddr,
    /// The public base URL clients use (for DPoP `htu`); derived from the Host header when absent.
    pub public_url: Option<String>,
    /// The `Host` values authenticated requests may carry (`ALLOWED_HOSTS`, comma-separated
    /// `host[:port]`); any other gets 421. Empty: any well-formed `Host`.
    pub allowed_hosts: Vec<String>,
    /// A Redis URL for the DPoP replay store shared by replicas (checked, needs the `redis`
    /// feature); the in-memory store when absent.
    pub dpop_replay_redis_url: Option<String>,
    /// How old a DPoP proof `iat` may be (`AUTH0_DPOP_IAT_WINDOW`, default 60 s); the replay
    /// store keeps each proof that long.
    pub dpop_iat_window: Duration,
    /// Size of the in-memory DPoP replay store (`DPOP_REPLAY_MAX_ENTRIES`), if not the
    /// library's default (100 000): the sustained rate of fresh DPoP proofs one process accepts
    /// is about entries / (window + leeway + 11 s).
    pub dpop_replay_max_entries: Option<usize>,
    /// The share of the store one DPoP key may hold (`DPOP_REPLAY_PER_KEY_LIMIT`), if not a
    /// tenth of the entries.
    pub dpop_replay_per_key_limit: Option<usize>,
    /// How long past their expiry cached signing keys keep verifying tokens while the tenant
    /// is unreachable (`AUTH0_JWKS_MAX_STALE`, default 24 h, like Auth0's `stale-if-error`);
    /// after that every token is refused until the tenant answers.
    pub jwks_max_stale: Duration,
    /// The algorithms tokens may be signed with and the HS256 secret (`AUTH0_ALGORITHMS`,
    /// `AUTH0_SIGNING_SECRET`).
    pub signing: TokenSigning,
    /// `RESOURCE_METADATA=true`: serve RFC 9728 protected-resource metadata whose `resource`
    /// is `AUTH0_AUDIENCE` (which must be `PUBLIC_URL`), and name it on every 401.
    pub resource_metadata: bool,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("domain", &self.domain)
            .field("domains", &self.domains)
            .field("client", &self.client)
            .field("upstream", &self.upstream)
            .field("audience", &self.audience)
            .field("ca_file", &self.ca_file)
            .field("dpop_mode", &self.dpop_mode)
            .field("dpop_nonces", &self.dpop_nonces)
            .field("port", &self.port)
            .field("bind", &self.bind)
            .field("public_url", &self.public_url)
            .field("allowed_hosts", &self.allowed_hosts)
            .field(
                "dpop_replay_redis_url",
                &self.dpop_replay_redis_url.as_ref().map(|_| "<redacted>"),
            )
            .field("dpop_iat_window", &self.dpop_iat_window)
            .field("dpop_replay_max_entries", &self.dpop_replay_max_entries)
            .field("dpop_replay_per_key_limit", &self.dpop_replay_per_key_limit)
            .field("jwks_max_stale", &self.jwks_max_stale)
            .field("signing", &self.signing)
            .field("resource_metadata", &self.resource_metadata)
            .finish()
    }
}

/// A start-up problem that is the operator's to fix; its `Display` is the one line printed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    /// A required variable is absent.
    #[error("{var} is not set (looked in {sources}); {hint}")]
    Missing {
        var: &'static str,
        sources: Sources,
        hint: &'static str,
    },
    /// A required variable is absent, but one spelled in another case is present.
    #[error(
        "{var} is not set, but {found} is (looked in {sources}); variable names are case-sensitive: rename it to {var}"
    )]
    WrongCase {
        var: &'static str,
        found: String,
        sources: Sources,
    },
    /// A variable is present but blank.
    #[error("{var} is set but empty (in {sources}); {hint}")]
    Empty {
        var: &'static str,
        sources: Sources,
        hint: &'static str,
    },
    /// A variable has a value that cannot work.
    #[error("{var}={value:?} is invalid: {reason}")]
    Invalid {
        var: &'static str,
        value: String,
        reason: String,
    },
    /// A variable that another one needs is absent.
    #[error("{var} is not set, but {by} is (looked in {sources}); {hint}")]
    RequiredBy {
        var: &'static str,
        by: &'static str,
        sources: Sources,
        hint: &'static str,
    },
    /// Two variables that must name the same thing do not.
    #[error("{a}={a_value:?} and {b}={b_value:?} disagree: {reason}")]
    Disagree {
        a: &'static str,
        a_value: String,
        b: &'static str,
        b_value: String,
        reason: &'static str,
    },
    /// A variable asks for something this build left out.
    #[error("{var} is set but this build has no {what} support; build with --features {feature}")]
    NotBuiltIn {
        var: &'static str,
        what: &'static str,
        feature: &'static str,
    },
}

const DOMAIN_HINT: &str =
    "set it to your tenant's domain without https://, e.g. AUTH0_DOMAIN=your-tenant.us.auth0.com";
const AUDIENCE_HINT: &str = "set it to your API identifier from the Auth0 dashboard, e.g. AUTH0_AUDIENCE=https://my-flask-api";

impl Settings {
    /// Loads `.env` (if any) into the environment, then reads the settings from the environment.
    pub fn from_env() -> Result<(Settings, Vec<String>), ConfigError> {
        let dotenv = dotenvy::dotenv().ok();
        let vars: BTreeMap<String, String> = std::env::vars().collect();
        Settings::from_vars(&vars, Sources { dotenv })
    }

    /// Reads the settings from a set of variables; returns the settings and the warnings to log.
    pub fn from_vars(
        vars: &BTreeMap<String, String>,
        sources: Sources,
    ) -> Result<(Settings, Vec<String>), ConfigError> {
        let mut warnings = Vec::new();
        let mut domains = exchange::parse_domains(vars, &mut warnings)?;
        let domain = match (optional(vars, "AUTH0_DOMAIN"), domains.first()) {
            (None, Some(first)) => first.clone(),
            _ => {
                let raw_domain = required(vars, "AUTH0_DOMAIN", DOMAIN_HINT, &sources)?;
                normalise_domain(&raw_domain, &mut warnings)?
            }
        };
        if !domains.is_empty() && !domains.contains(&domain) {
            domains.insert(0, domain.clone());
        }
        let client = exchange::parse_client(vars, &sources)?;
        let upstream = exchange::parse_upstream(vars, &sources, client.as_ref())?;
        let audience = required(vars, "AUTH0_AUDIENCE", AUDIENCE_HINT, &sources)?;
        if let Some(warning) = audience_shape_warning(&audience) {
            warnings.push(warning);
        }
        let ca_file = optional(vars, "AUTH0_CA_FILE").map(PathBuf::from);
        if let Some(path) = ca_file.as_ref().filter(|path| !path.is_file()) {
            return Err(ConfigError::Invalid {
                var: "AUTH0_CA_FILE",
                value: path.display().to_string(),
                reason: "no such file; run `mock-idp init` again or unset it".into(),
            });
        }
        let dpop_mode = match optional(vars, "AUTH0_DPOP_MODE").as_deref() {
            None => DpopMode::Allowed,
            Some(value) => parse_dpop_mode(value)?,
        };
        let dpop_nonces = match optional(vars, "AUTH0_DPOP_NONCES").as_deref() {
            None => false,
            Some(value) => parse_bool("AUTH0_DPOP_NONCES", value)?,
        };
        let port = match optional(vars, "PORT") {
            None => 5000,
            Some(value) => value.parse().map_err(|_| ConfigError::Invalid {
                var: "PORT",
                value,
                reason: "expected a port number from 0 to 65535".into(),
            })?,
        };
        let bind = match optional(vars, "BIND_ADDRESS") {
            None => std::net::IpAddr::from([127, 0, 0, 1]),
            Some(value) => value.parse().map_err(|_| ConfigError::Invalid {
                var: "BIND_ADDRESS",
                value,
                reason: "expected an IP address such as 127.0.0.1 or 0.0.0.0".into(),
            })?,
        };
        let public_url =
            optional(vars, "PUBLIC_URL").map(|url| url.trim_end_matches('/').to_owned());
        let is_http_url = |url: &&String| url.starts_with("http://") || url.starts_with("https://");
        if let Some(url) = public_url.as_ref().filter(|url| !is_http_url(url)) {
            return Err(ConfigError::Invalid {
                var: "PUBLIC_URL",
                value: url.clone(),
                reason: "expected the URL clients use, e.g. https://api.example.com".into(),
            });
        }
        let allowed_hosts = match optional(vars, "ALLOWED_HOSTS") {
            None => Vec::new(),
            Some(value) => parse_allowed_hosts(&value)?,
        };
        let dpop_replay_redis_url = optional(vars, "DPOP_REPLAY_REDIS_URL")
            .map(|url| check_redis_url(&url).map(|()| url))
            .transpose()?;
        let dpop_iat_window = match optional(vars, "AUTH0_DPOP_IAT_WINDOW") {
            None => VerifierOptions::DEFAULT_DPOP_IAT_WINDOW,
            Some(value) => parse_iat_window(&value)?,
        };
        let dpop_replay_max_entries = optional(vars, "DPOP_REPLAY_MAX_ENTRIES")
            .map(|v| parse_count("DPOP_REPLAY_MAX_ENTRIES", &v, MAX_REPLAY_ENTRIES))
            .transpose()?;
        let dpop_replay_per_key_limit = optional(vars, "DPOP_REPLAY_PER_KEY_LIMIT")
            .map(|v| {
                let max = dpop_replay_max_entries.unwrap_or(InMemoryReplayStore::DEFAULT_CAPACITY);
                parse_count("DPOP_REPLAY_PER_KEY_LIMIT", &v, max)
            })
            .transpose()?;
        if dpop_replay_redis_url.is_some()
            && let Some(var) = [
                ("DPOP_REPLAY_MAX_ENTRIES", dpop_replay_max_entries.is_some()),
                (
                    "DPOP_REPLAY_PER_KEY_LIMIT",
                    dpop_replay_per_key_limit.is_some(),
                ),
            ]
            .into_iter()
            .find_map(|(var, set)| set.then_some(var))
        {
            return Err(ConfigError::Invalid {
                var,
                value: optional(vars, var).unwrap_or_default(),
                reason: "it sizes the in-memory replay store, and DPOP_REPLAY_REDIS_URL is set: \
                         remove one of them (Redis is sized by its own maxmemory)"
                    .into(),
            });
        }
        let jwks_max_stale = match optional(vars, "AUTH0_JWKS_MAX_STALE") {
            None => VerifierOptions::DEFAULT_JWKS_MAX_STALE,
            Some(value) => parse_max_stale(&value)?,
        };
        let signing = TokenSigning::from_vars(vars, &sources)?;
        let resource_metadata = match optional(vars, "RESOURCE_METADATA").as_deref() {
            None => false,
            Some(value) => parse_bool("RESOURCE_METADATA", value)?,
        };
        if resource_metadata {
            check_resource(&audience, public_url.as_deref(), &sources)?;
        }
        let settings = Settings {
            domain,
            domains,
            client,
            upstream,
            audience,
            ca_file,
            dpop_mode,
            dpop_nonces,
            port,
            bind,
            public_url,
            allowed_hosts,
            dpop_replay_redis_url,
            dpop_iat_window,
            dpop_replay_max_entries,
            dpop_replay_per_key_limit,
            jwks_max_stale,
            signing,
            resource_metadata,
        };
        Ok((settings, warnings))
    }
}

impl Settings {
    /// The start-up warning for an API whose DPoP `htu` check trusts the client's `Host`: DPoP
    /// on, and neither `PUBLIC_URL` nor `ALLOWED_HOSTS` set. Kept apart from the warnings of
    /// [`Settings::from_vars`] (which are about how a value was spelled) and logged once by the
    /// binary.
    pub fn host_trust_warning(&self) -> Option<&'static str> {
        let trusts_host = self.dpop_mode != DpopMode::Disabled
            && self.public_url.is_none()
            && self.allowed_hosts.is_empty();
        trusts_host.then_some(
            "DPoP is enabled and neither PUBLIC_URL nor ALLOWED_HOSTS is set: the URL a DPoP \
             proof's htu is compared with is built from the client's Host header, so a proof \
             captured from another API is accepted here if the client sends that API's Host; \
             set PUBLIC_URL to the URL clients use, or ALLOWED_HOSTS to the host names they use",
        )
    }
}

/// RFC 9728 §3.3: the metadata's `resource` is the URL clients call (`PUBLIC_URL`), and with
/// Auth0 the client asks for a token with that same value as RFC 8707 `resource`, which becomes
/// the token's audience (`AUTH0_AUDIENCE`). Two different values would publish metadata that
/// clients refuse, or tokens this API refuses, so start-up stops instead. A trailing slash
/// on the audience is the one difference allowed (`PUBLIC_URL` is kept without one).
fn check_resource(
    audience: &str,
    public_url: Option<&str>,
    sources: &Sources,
) -> Result<(), ConfigError> {
    let Some(public_url) = public_url else {
        return Err(ConfigError::RequiredBy {
            var: "PUBLIC_URL",
            by: "RESOURCE_METADATA",
            sources: sources.clone(),
            hint: "set it to the URL clients call, the same as AUTH0_AUDIENCE (RFC 9728 §3.3)",
        });
    };
    if audience.trim_end_matches('/') != public_url {
        return Err(ConfigError::Disagree {
            a: "AUTH0_AUDIENCE",
            a_value: audience.to_owned(),
            b: "PUBLIC_URL",
            b_value: public_url.to_owned(),
            reason: "with RESOURCE_METADATA on, the resource clients call and the audience of \
                     their tokens are one URL (RFC 9728 §3.3, RFC 8707): make them equal",
        });
    }
    Ok(())
}

/// The URL must be one the Redis client accepts (no connection is made), and the build must
/// have the store: silently falling back to the in-memory store would let a proof accepted by
/// one replica be replayed on another.
#[cfg(feature = "redis")]
fn check_redis_url(url: &str) -> Result<(), ConfigError> {
    use oauth2_jwt_bearer::replay::{RedisReplayStore, RedisReplayStoreError};
    match RedisReplayStore::new(url) {
        Ok(_) => Ok(()),
        Err(RedisReplayStoreError::InvalidUrl { url, source }) => Err(ConfigError::Invalid {
            var: "DPOP_REPLAY_REDIS_URL",
            value: url,
            reason: format!("{source}; expected e.g. redis://127.0.0.1:6379/0"),
        }),
        Err(other) => Err(ConfigError::Invalid {
            var: "DPOP_REPLAY_REDIS_URL",
            value: "(hidden)".into(),
            reason: other.to_string(),
        }),
    }
}

#[cfg(not(feature = "redis"))]
fn check_redis_url(_url: &str) -> Result<(), ConfigError> {
    Err(ConfigError::NotBuiltIn {
        var: "DPOP_REPLAY_REDIS_URL",
        what: "Redis",
        feature: "redis",
    })
}

/// The verifier options that the API's settings describe. `Err` when `AUTH0_CA_FILE` cannot
/// be read (the settings checked everything else).
impl TryFrom<&Settings> for VerifierOptions {
    type Error = std::io::Error;

    fn try_from(settings: &Settings) -> Result<VerifierOptions, std::io::Error> {
        let mut options = if settings.domains.is_empty() {
            VerifierOptions::new(settings.domain.clone(), settings.audience.clone())
        } else {
            VerifierOptions::with_domains(settings.domains.clone(), settings.audience.clone())
        };
        options = settings.signing.apply(options);
        options = options
            .dpop_mode(settings.dpop_mode)
            .dpop_nonces(settings.dpop_nonces)
            .dpop_iat_window(settings.dpop_iat_window)
            .jwks_max_stale(settings.jwks_max_stale);
        if let Some(url) = &settings.public_url {
            options = options.public_base_url(url.clone());
        }
        if settings.resource_metadata {
            // The scopes the quickstart's routes ask for.
            options = options.resource_metadata(
                ResourceMetadata::new(settings.audience.clone())
                    .scopes_supported(["read:messages", "admin:write"]),
            );
        }
        if !settings.allowed_hosts.is_empty() {
            options = options.allowed_hosts(settings.allowed_hosts.clone());
        }
        if let Some(path) = &settings.ca_file {
            options = options.ca_pem(std::fs::read(path)?);
        }
        if settings.dpop_replay_max_entries.is_some()
            || settings.dpop_replay_per_key_limit.is_some()
        {
            options = options.replay_store(std::sync::Arc::new(replay_store(settings)));
        }
        #[cfg(feature = "redis")]
        if let Some(url) = &settings.dpop_replay_redis_url {
            // `Settings` checked the URL with this same constructor, so this error is not expected.
            let store = oauth2_jwt_bearer::replay::RedisReplayStore::new(url)
                .map_err(std::io::Error::other)?;
            tracing::info!(
                url = store.url(),
                "DPoP replay detection shared through Redis"
            );
            options = options.replay_store(std::sync::Arc::new(store));
        }
        Ok(options)
    }
}

/// The in-memory replay store the settings size. Its byte bound grows with the entries (320 B
/// each, above the library's accounting of about 230 B), never below the library's 32 MiB.
fn replay_store(settings: &Settings) -> InMemoryReplayStore {
    let entries = settings
        .dpop_replay_max_entries
        .unwrap_or(InMemoryReplayStore::DEFAULT_CAPACITY);
    let mut store = InMemoryReplayStore::new(entries)
        .max_bytes((entries * 320).max(InMemoryReplayStore::DEFAULT_MAX_BYTES));
    if let Some(n) = settings.dpop_replay_per_key_limit {
        store = store.per_key_limit(n);
    }
    store
}

#[cfg(test)]
mod tests;
