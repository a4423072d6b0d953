//! How the API's tokens are signed: `AUTH0_ALGORITHMS` (the JOSE names the API accepts) and
//! `AUTH0_SIGNING_SECRET` (the API's signing secret, for an API Auth0 signs with HS256). Checked
//! here so a mismatch stops start-up with one line naming the variable, before the verifier
//! is built.

use std::collections::BTreeMap;

use oauth2_jwt_bearer::{Algorithm, VerifierOptions};

use super::parse::optional;
use super::{ConfigError, Sources};

/// The shortest `AUTH0_SIGNING_SECRET` (Auth0's minimum for an API's signing secret).
const MIN_SECRET_LEN: usize = 16;

/// The algorithm settings. `Debug` never shows the secret.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct TokenSigning {
    /// `AUTH0_ALGORITHMS`, if set; otherwise RS256, or HS256 with a secret.
    pub algorithms: Option<Vec<Algorithm>>,
    /// `AUTH0_SIGNING_SECRET`: the HS256 key (its UTF-8 bytes).
    pub secret: Option<String>,
}

impl std::fmt::Debug for TokenSigning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSigning")
            .field("algorithms", &self.algorithms)
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl TokenSigning {
    pub(super) fn from_vars(
        vars: &BTreeMap<String, String>,
        sources: &Sources,
    ) -> Result<TokenSigning, ConfigError> {
        let secret = optional(vars, "AUTH0_SIGNING_SECRET");
        if secret.as_ref().is_some_and(|s| s.len() < MIN_SECRET_LEN) {
            return Err(ConfigError::Invalid {
                var: "AUTH0_SIGNING_SECRET",
                value: "(hidden)".into(),
                reason: format!(
                    "shorter than {MIN_SECRET_LEN} bytes, Auth0's minimum for an API's signing secret"
                ),
            });
        }
        let algorithms = optional(vars, "AUTH0_ALGORITHMS")
            .map(|value| parse_algorithms(&value))
            .transpose()?;
        let hs256 = match &algorithms {
            Some(algs) => algs.contains(&Algorithm::HS256),
            None => secret.is_some(),
        };
        match (hs256, &secret) {
            (true, None) => Err(ConfigError::RequiredBy {
                var: "AUTH0_SIGNING_SECRET",
                by: "AUTH0_ALGORITHMS",
                sources: sources.clone(),
                hint: "HS256 tokens are checked with the API's signing secret (Auth0 dashboard: \
                       the API's Settings, Signing Secret)",
            }),
            (false, Some(_)) => Err(ConfigError::Invalid {
                var: "AUTH0_ALGORITHMS",
                value: optional(vars, "AUTH0_ALGORITHMS").unwrap_or_default(),
                reason: "AUTH0_SIGNING_SECRET is set, so list HS256 too (or remove the secret)"
                    .into(),
            }),
            _ => Ok(TokenSigning { algorithms, secret }),
        }
    }

    /// `options` with these algorithms and secret.
    pub(super) fn apply(&self, mut options: VerifierOptions) -> VerifierOptions {
        if let Some(algs) = &self.algorithms {
            options = options.allowed_algorithms(algs.clone());
        }
        if let Some(secret) = &self.secret {
            options = options.signing_secret(secret.as_bytes());
        }
        options
    }
}

/// Comma-separated JOSE names (`RS256`, `RS512`, `PS256`, `HS256`...).
fn parse_algorithms(value: &str) -> Result<Vec<Algorithm>, ConfigError> {
    value
        .split(',')
        .map(str::trim)
        .map(|name| {
            name.parse::<Algorithm>().map_err(|_| ConfigError::Invalid {
                var: "AUTH0_ALGORITHMS",
                value: value.to_owned(),
                reason: format!(
                    "`{name}` is not one of RS256, RS384, RS512, PS256, PS384, PS512, HS256 \
                     (comma-separated, e.g. AUTH0_ALGORITHMS=RS256,PS256)"
                ),
            })
        })
        .collect()
}
