//! [`ExchangeError`]: every way a token-exchange call fails, as a value that knows its HTTP
//! status and OAuth error code (auth0-api-python's `MissingRequiredArgumentError`,
//! `GetTokenByExchangeProfileError`, `GetAccessTokenForConnectionError` and `ApiError`).

use std::time::Duration;

/// Auth0's rate-limit advice on a 429 (`Retry-After`, `x-ratelimit-*`), so callers can back off.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RateLimit {
    /// `Retry-After` (seconds form), if sent.
    pub retry_after: Option<Duration>,
    /// `x-ratelimit-limit`: requests allowed in the window.
    pub limit: Option<u64>,
    /// `x-ratelimit-remaining`.
    pub remaining: Option<u64>,
    /// `x-ratelimit-reset`: when the window resets (unix seconds).
    pub reset: Option<u64>,
}

impl RateLimit {
    pub(crate) fn from_headers(h: &http::HeaderMap) -> Self {
        let num = |name: &str| {
            h.get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|s| s.trim().parse::<u64>().ok())
        };
        RateLimit {
            retry_after: num("retry-after").map(Duration::from_secs),
            limit: num("x-ratelimit-limit"),
            remaining: num("x-ratelimit-remaining"),
            reset: num("x-ratelimit-reset"),
        }
    }
}

/// A setting that makes [`ExchangeOptions`](super::ExchangeOptions) unusable.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// No client id or no client secret: the client authenticates as the API's own
    /// confidential application.
    #[error("the token-exchange client needs a client_id and a client_secret")]
    MissingClientCredentials,
    /// The domain, the timeout or the extra CA, refused for the reason the verifier's options
    /// would refuse it.
    #[error(transparent)]
    Setting(#[from] crate::error::ConfigError),
}

/// Why a token exchange failed. `status()` and `code()` give the HTTP answer an API would
/// relay (the quickstart's `ApiError` handler shape).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExchangeError {
    /// A required argument is empty (400 `invalid_request`; Python: `MissingRequiredArgumentError`).
    #[error("Missing required argument: {0}")]
    MissingArgument(&'static str),
    /// The subject token is blank or whitespace only.
    #[error("subject_token cannot be blank or whitespace")]
    BlankSubjectToken,
    /// The subject token has leading or trailing whitespace.
    #[error("subject_token must not include leading or trailing whitespace")]
    SubjectTokenWhitespace,
    /// The subject token starts with `Bearer ` (any case): a header value, not a token.
    #[error("subject_token must not include the 'Bearer ' prefix (case-insensitive check)")]
    BearerPrefix,
    /// An `extra` parameter would override a reserved OAuth parameter.
    #[error("Parameter '{0}' is reserved and cannot be overridden")]
    ReservedParameter(String),
    /// An `extra` parameter has more values than [`MAX_EXTRA_VALUES`](super::MAX_EXTRA_VALUES).
    #[error("Parameter '{param}' exceeds maximum array size of {max}")]
    TooManyValues {
        /// The parameter.
        param: String,
        /// The cap.
        max: usize,
    },
    /// Discovery failed or its document has no usable `token_endpoint` (502).
    #[error("Token endpoint missing in OIDC metadata: {0}")]
    Discovery(&'static str),
    /// The token endpoint refused (its `error`, `error_description` and status; Python: `ApiError`).
    #[error("{description}")]
    Endpoint {
        /// HTTP status of the token endpoint.
        status: u16,
        /// Its `error` code.
        error: String,
        /// Its `error_description`.
        description: String,
        /// Rate-limit advice, on a 429.
        rate_limit: Option<RateLimit>,
    },
    /// The token endpoint answered 200 with something that is not a token response (502).
    #[error("{0}")]
    InvalidResponse(&'static str),
    /// The request did not complete within the timeout (504).
    #[error("Request to token endpoint timed out")]
    Timeout(#[source] reqwest::Error),
    /// Connection refused, reset, dropped mid-response, TLS failure (502).
    #[error("Network error occurred")]
    Network(#[source] reqwest::Error),
}

impl ExchangeError {
    /// The HTTP status to answer with: 400 for bad input, the endpoint's own status for its
    /// refusals, 502 for network failures and bad responses, 504 for timeouts.
    pub fn status(&self) -> u16 {
        match self {
            ExchangeError::MissingArgument(_)
            | ExchangeError::BlankSubjectToken
            | ExchangeError::SubjectTokenWhitespace
            | ExchangeError::BearerPrefix
            | ExchangeError::ReservedParameter(_)
            | ExchangeError::TooManyValues { .. } => 400,
            ExchangeError::Endpoint { status, .. } => *status,
            ExchangeError::Discovery(_)
            | ExchangeError::InvalidResponse(_)
            | ExchangeError::Network(_) => 502,
            ExchangeError::Timeout(_) => 504,
        }
    }

    /// The OAuth-style error code (auth0-api-python's codes).
    pub fn code(&self) -> &str {
        match self {
            ExchangeError::MissingArgument(_) => "invalid_request",
            // auth0-api-python's GetTokenByExchangeProfileError.
            ExchangeError::BlankSubjectToken
            | ExchangeError::SubjectTokenWhitespace
            | ExchangeError::BearerPrefix
            | ExchangeError::ReservedParameter(_)
            | ExchangeError::TooManyValues { .. } => "get_token_by_exchange_profile_error",
            ExchangeError::Discovery(_) => "discovery_error",
            ExchangeError::Endpoint { error, .. } => error,
            ExchangeError::InvalidResponse(_) => "invalid_response",
            ExchangeError::Timeout(_) => "timeout_error",
            ExchangeError::Network(_) => "network_error",
        }
    }

    /// How long to wait before retrying, when the tenant said so (a 429's `Retry-After`, else
    /// the time until `x-ratelimit-reset` is left to the caller via [`Self::rate_limit`]).
    pub fn retry_after(&self) -> Option<Duration> {
        self.rate_limit().and_then(|r| r.retry_after)
    }

    /// The rate-limit advice of a 429.
    pub fn rate_limit(&self) -> Option<&RateLimit> {
        match self {
            ExchangeError::Endpoint { rate_limit, .. } => rate_limit.as_ref(),
            _ => None,
        }
    }
}
