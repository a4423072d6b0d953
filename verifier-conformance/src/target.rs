//! The verifier under test: where it listens, which route plays which role, and what it
//! claims to support. From CLI flags or a TOML file (`mock-idp conformance --config`).

use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// How the target treats the DPoP scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DpopMode {
    /// Bearer only: DPoP cases are skipped.
    Disabled,
    /// Bearer and DPoP (Auth0's default).
    #[default]
    Allowed,
    /// DPoP only.
    Required,
}

/// Which access-token dialect the target enforces; profile-dependent cases follow it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Profile {
    /// Auth0's default `access_token` dialect: `typ: JWT`, `azp`, no `client_id`/`jti`.
    #[default]
    Auth0Compat,
    /// RFC 9068 §4 enforced: `typ: at+jwt`, `client_id`, `jti`, `sub`, `iat` required.
    Rfc9068Strict,
}

/// Optional features; the cases that need one are skipped when it is off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Features {
    /// RFC 9449 §8 resource-server nonces (`use_dpop_nonce`).
    pub nonces: bool,
    /// A DPoP `jti` replay store. Off: RPN-01 still runs (replay detection is a SHOULD).
    pub replay_store: bool,
    /// RFC 6750 §2.3 `?access_token=` tokens.
    pub query_tokens: bool,
    /// RFC 6750 §2.2 form-body tokens.
    pub form_tokens: bool,
    /// The target has not fetched discovery yet and may be poisoned by this run: KEY-15 then
    /// serves a mismatched discovery document. Use on a fresh target with `--only KEY-15`.
    pub cold_discovery: bool,
}

impl Default for Features {
    fn default() -> Self {
        // Replay detection is what RFC 9449 §11.1 recommends, so it is expected unless the
        // target says otherwise.
        Features {
            nonces: false,
            replay_store: true,
            query_tokens: false,
            form_tokens: false,
            cold_discovery: false,
        }
    }
}

/// Why a target description is unusable.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TargetError {
    /// The TOML file cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The TOML is invalid.
    #[error("{path}: {source}")]
    Parse {
        /// The file.
        path: String,
        /// The cause.
        #[source]
        source: toml::de::Error,
    },
    /// A value is unusable.
    #[error("invalid target: {0}")]
    Invalid(String),
}

/// The verifier under test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[must_use = "a builder does nothing until it is used"]
pub struct Target {
    /// `http://127.0.0.1:3010` (no trailing slash).
    pub base_url: String,
    /// The origin the target compares DPoP `htu` with, when it differs from `base_url`
    /// (behind a proxy). Default: `base_url`.
    pub public_url: Option<String>,
    /// A route that needs any valid token.
    pub bearer_route: String,
    /// A route that needs `scope`; `None` skips the SCP group.
    pub scoped_route: Option<String>,
    /// The scope `scoped_route` requires.
    pub scope: String,
    /// The route DPoP cases use (default: `bearer_route`).
    pub dpop_route: Option<String>,
    /// How the target treats DPoP.
    pub dpop_mode: DpopMode,
    /// Optional features.
    pub features: Features,
    /// The audience the target expects (default: the tenant's default API).
    pub audience: Option<String>,
    /// Access-token profile.
    pub profile: Profile,
    /// The target's minimum time between two JWKS refreshes, in milliseconds. Cases that need
    /// the target to fetch the JWKS again wait this long after the previous refresh; 0 means
    /// "do not wait" (a target with a cooldown then shows them as inconclusive).
    pub jwks_cooldown_ms: u64,
    /// The clock leeway the target declares for `exp`/`nbf`, in seconds (RFC 7519 §4.1.4 allows
    /// "some small leeway"). The boundary cases (CLM-03) then probe just beyond it instead of at
    /// `now`, so a verifier with, say, a 5 s tolerance is graded on what it promises.
    pub clock_leeway_secs: u64,
    /// Per-request timeout in milliseconds.
    pub timeout_ms: u64,
}

impl Default for Target {
    fn default() -> Self {
        Target {
            base_url: "http://127.0.0.1:3010".into(),
            public_url: None,
            bearer_route: "/api/private".into(),
            scoped_route: Some("/api/private-scoped".into()),
            scope: "read:messages".into(),
            dpop_route: Some("/api/dpop-protected".into()),
            dpop_mode: DpopMode::Allowed,
            features: Features::default(),
            audience: None,
            profile: Profile::Auth0Compat,
            jwks_cooldown_ms: 0,
            clock_leeway_secs: 0,
            timeout_ms: 15_000,
        }
    }
}

impl Target {
    /// A target at `base_url` with the quickstart's routes.
    pub fn new(base_url: impl Into<String>) -> Self {
        Target {
            base_url: base_url.into().trim_end_matches('/').to_owned(),
            ..Target::default()
        }
    }

    /// Reads a TOML description (every key optional; see the README).
    pub fn load(path: &Path) -> Result<Self, TargetError> {
        let text = std::fs::read_to_string(path).map_err(|source| TargetError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Parses TOML text.
    pub fn parse(text: &str, origin: &str) -> Result<Self, TargetError> {
        let t: Target = toml::from_str(text).map_err(|source| TargetError::Parse {
            path: origin.to_owned(),
            source,
        })?;
        t.validated()
    }

    /// Checks URLs and routes.
    pub fn validated(mut self) -> Result<Self, TargetError> {
        self.base_url = self.base_url.trim_end_matches('/').to_owned();
        let u = url::Url::parse(&self.base_url)
            .map_err(|e| TargetError::Invalid(format!("base_url {}: {e}", self.base_url)))?;
        if !matches!(u.scheme(), "http" | "https") {
            return Err(TargetError::Invalid("base_url must be http(s)".into()));
        }
        for r in [
            Some(&self.bearer_route),
            self.scoped_route.as_ref(),
            self.dpop_route.as_ref(),
        ]
        .into_iter()
        .flatten()
        {
            if !r.starts_with('/') {
                return Err(TargetError::Invalid(format!("route {r} must start with /")));
            }
        }
        Ok(self)
    }

    /// Sets the DPoP mode.
    pub fn dpop_mode(mut self, mode: DpopMode) -> Self {
        self.dpop_mode = mode;
        self
    }

    /// Sets the profile.
    pub fn profile(mut self, profile: Profile) -> Self {
        self.profile = profile;
        self
    }

    /// Sets the JWKS refresh cooldown the runner respects.
    pub fn jwks_cooldown(mut self, d: Duration) -> Self {
        self.jwks_cooldown_ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        self
    }

    /// Sets the clock leeway the target declares for `exp`/`nbf`.
    pub fn clock_leeway(mut self, d: Duration) -> Self {
        self.clock_leeway_secs = d.as_secs();
        self
    }

    /// Sets the features.
    pub fn features(mut self, f: Features) -> Self {
        self.features = f;
        self
    }

    /// The origin DPoP `htu` values are built on.
    pub fn htu_origin(&self) -> &str {
        self.public_url
            .as_deref()
            .unwrap_or(&self.base_url)
            .trim_end_matches('/')
    }

    /// The route DPoP cases use.
    pub fn dpop_path(&self) -> &str {
        self.dpop_route.as_deref().unwrap_or(&self.bearer_route)
    }

    /// Whether the target accepts the DPoP scheme at all.
    pub fn dpop(&self) -> bool {
        self.dpop_mode != DpopMode::Disabled
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_round_trip_with_defaults() {
        let t = Target::parse(
            "base_url = \"http://127.0.0.1:3010/\"\ndpop_mode = \"required\"\nprofile = \"rfc9068-strict\"\n[features]\nnonces = true\n",
            "t.toml",
        )
        .unwrap();
        assert_eq!(t.base_url, "http://127.0.0.1:3010");
        assert_eq!(t.dpop_mode, DpopMode::Required);
        assert_eq!(t.profile, Profile::Rfc9068Strict);
        assert!(t.features.nonces && t.features.replay_store);
        assert_eq!(t.bearer_route, "/api/private");
        assert!(Target::parse("base_url = \"ftp://x\"", "t").is_err());
        assert!(Target::parse("bogus = 1", "t").is_err());
    }

    #[test]
    fn example_file_parses_to_the_defaults() {
        let text = include_str!("../fixtures/conformance-target.example.toml");
        assert_eq!(Target::parse(text, "example").unwrap(), Target::default());
    }
}
