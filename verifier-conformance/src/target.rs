//! The verifier under test: where it listens, which route plays which role, and what it
//! claims to support. One struct for every front end: a TOML file (`--config`), the command
//! line (with the `cli` feature it derives `clap::Args`, its field docs being the flags' help),
//! and Rust. [`Target::overridden_by`] lays the flags given on a command line over a file.

use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// How the target treats the DPoP scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
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
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
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
#[cfg_attr(feature = "cli", derive(clap::Args))]
#[serde(default, deny_unknown_fields)]
pub struct Features {
    /// The target issues resource-server DPoP nonces (RFC 9449 §8, `use_dpop_nonce`).
    #[cfg_attr(feature = "cli", arg(long))]
    pub nonces: bool,
    /// A DPoP `jti` replay store. Off: RPN-01 still runs (replay detection is a SHOULD).
    /// TOML only.
    #[cfg_attr(feature = "cli", arg(skip = true))]
    pub replay_store: bool,
    /// The target accepts `?access_token=` tokens (RFC 6750 §2.3).
    #[cfg_attr(feature = "cli", arg(long))]
    pub query_tokens: bool,
    /// The target accepts form-body tokens (RFC 6750 §2.2).
    #[cfg_attr(feature = "cli", arg(long))]
    pub form_tokens: bool,
    /// The target has not fetched discovery yet and may be poisoned by this run: KEY-15 then
    /// serves a mismatched discovery document. Use on a fresh target with `--only KEY-15`.
    #[cfg_attr(feature = "cli", arg(long))]
    pub cold_discovery: bool,
    /// The target protects an API Auth0 signs with HS256 and is configured with its signing
    /// secret (the `signing_secret` of the tenant's API named by the audience): the HS256
    /// cases (SIG-19..23) run.
    #[cfg_attr(feature = "cli", arg(long))]
    pub hs256: bool,
    /// The target publishes RFC 9728 protected-resource metadata (the PRM group); off, the
    /// PRM cases that read it are not applicable.
    #[cfg_attr(feature = "cli", arg(long))]
    pub resource_metadata: bool,
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
            hs256: false,
            resource_metadata: false,
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
#[cfg_attr(feature = "cli", derive(clap::Args))]
#[serde(default, deny_unknown_fields)]
#[must_use = "a builder does nothing until it is used"]
pub struct Target {
    /// Base URL of the verifier under test, e.g. http://127.0.0.1:3010 (TOML: base_url).
    #[cfg_attr(
        feature = "cli",
        arg(
            long = "target",
            value_name = "URL",
            default_value = "http://127.0.0.1:3010"
        )
    )]
    pub base_url: String,
    /// The origin the target compares DPoP htu with, when it differs from the base URL
    /// (behind a proxy).
    #[cfg_attr(feature = "cli", arg(long, value_name = "URL"))]
    pub public_url: Option<String>,
    /// A route that needs any valid token.
    #[cfg_attr(feature = "cli", arg(long, default_value = "/api/private"))]
    pub bearer_route: String,
    /// A route that needs the scope (--scope); none skips the SCP group (TOML only).
    #[cfg_attr(feature = "cli", arg(long, default_value = "/api/private-scoped"))]
    pub scoped_route: Option<String>,
    /// The scope the scoped route requires.
    #[cfg_attr(feature = "cli", arg(long, default_value = "read:messages"))]
    pub scope: String,
    /// The route DPoP cases use [default: the bearer route].
    #[cfg_attr(feature = "cli", arg(long, default_value = "/api/dpop-protected"))]
    pub dpop_route: Option<String>,
    /// How the target treats DPoP.
    #[cfg_attr(feature = "cli", arg(long, value_enum, default_value = "allowed"))]
    pub dpop_mode: DpopMode,
    /// Optional features.
    #[cfg_attr(feature = "cli", command(flatten))]
    pub features: Features,
    /// The audience the target expects [default: the tenant's default API].
    #[cfg_attr(feature = "cli", arg(long))]
    pub audience: Option<String>,
    /// Access-token profile the target enforces.
    #[cfg_attr(feature = "cli", arg(long, value_enum, default_value = "auth0-compat"))]
    pub profile: Profile,
    /// The target's minimum time between two JWKS refreshes, in milliseconds. Cases that need
    /// the target to fetch the JWKS again wait this long after the previous refresh; 0 means
    /// "do not wait" (a target with a cooldown then shows them as inconclusive).
    #[cfg_attr(feature = "cli", arg(long, value_name = "MS", default_value_t = 0))]
    pub jwks_cooldown_ms: u64,
    /// The clock leeway the target declares for exp/nbf, in seconds (RFC 7519 §4.1.4 allows
    /// "some small leeway"): the boundary cases (CLM-03) probe just beyond it.
    #[cfg_attr(feature = "cli", arg(long, value_name = "SECS", default_value_t = 0))]
    pub clock_leeway_secs: u64,
    /// Per-request timeout in milliseconds.
    #[cfg_attr(
        feature = "cli",
        arg(long, value_name = "MS", default_value_t = 15_000)
    )]
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

    /// `self` (read from `--config`, say) with each field given on the command line taken
    /// from `flags` (the same command line parsed into a [`Target`]): a flag overrides the
    /// file, a flag left out keeps the file's value. `matches` are the matches of the command
    /// that flattens `Target`.
    #[cfg(feature = "cli")]
    pub fn overridden_by(self, flags: &Target, matches: &clap::ArgMatches) -> Target {
        use clap::Args as _;
        use clap::parser::ValueSource;
        let (Ok(mut out), Ok(given)) = (serde_json::to_value(&self), serde_json::to_value(flags))
        else {
            return self;
        };
        let cmd = Target::augment_args(clap::Command::new("target"));
        for arg in cmd.get_arguments() {
            let id = arg.get_id().as_str();
            if matches.value_source(id) != Some(ValueSource::CommandLine) {
                continue;
            }
            // Field ids are the field names: a top-level field, or one of `features`.
            if let Some(v) = given.get(id) {
                out[id] = v.clone();
            } else if let Some(v) = given["features"].get(id) {
                out["features"][id] = v.clone();
            }
        }
        serde_json::from_value(out).unwrap_or(self)
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

    #[cfg(feature = "cli")]
    #[test]
    fn the_command_line_describes_the_same_target() {
        use clap::{Args as _, FromArgMatches as _};
        let cmd = || Target::augment_args(clap::Command::new("t").no_binary_name(true));
        // No flag: the defaults, the same as Rust's and TOML's.
        let m = cmd().get_matches_from(Vec::<&str>::new());
        assert_eq!(Target::from_arg_matches(&m).unwrap(), Target::default());
        // Every enum value the command line takes is the TOML spelling of the same value.
        use clap::ValueEnum as _;
        for v in DpopMode::value_variants() {
            let name = v.to_possible_value().unwrap().get_name().to_owned();
            assert_eq!(serde_json::to_value(v).unwrap(), name);
        }
        for v in Profile::value_variants() {
            let name = v.to_possible_value().unwrap().get_name().to_owned();
            assert_eq!(serde_json::to_value(v).unwrap(), name);
        }
        // Flags over a file: given flags win, the rest keep the file's values.
        let file = Target::parse(
            "base_url = \"http://127.0.0.1:4000\"\nscope = \"read:x\"\n[features]\nnonces = true\n",
            "t.toml",
        )
        .unwrap();
        let m = cmd().get_matches_from([
            "--target",
            "http://127.0.0.1:5000",
            "--dpop-mode",
            "required",
            "--query-tokens",
        ]);
        let flags = Target::from_arg_matches(&m).unwrap();
        let t = file.overridden_by(&flags, &m);
        assert_eq!(t.base_url, "http://127.0.0.1:5000");
        assert_eq!(t.dpop_mode, DpopMode::Required);
        assert_eq!(t.scope, "read:x");
        assert!(t.features.nonces && t.features.query_tokens && t.features.replay_store);
    }

    #[test]
    fn example_file_parses_to_the_defaults() {
        let text = include_str!("../fixtures/conformance-target.example.toml");
        assert_eq!(Target::parse(text, "example").unwrap(), Target::default());
    }
}
