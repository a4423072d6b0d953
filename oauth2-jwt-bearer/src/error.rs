//! One error value per failure: [`AuthError`] knows its HTTP status, RFC 6750 / RFC 9449
//! error code, a safe description and the `WWW-Authenticate` challenge. [`ConfigError`] is the
//! start-up counterpart: the setting that makes options unusable.
//!
//! Challenge format (one `WWW-Authenticate` field whose value lists every challenge,
//! separated by `, `, exactly as in RFC 9449 §7.2's examples):
//! - DPoP disabled: `Bearer realm="api"[, error=…, error_description=…[, scope=…]]`
//! - DPoP allowed: `Bearer realm="api"[, <attrs if the error is on Bearer>], DPoP
//!   [<attrs if the error is on DPoP>, ]algs="ES256"`
//! - DPoP required: `DPoP [<attrs>, ]algs="ES256"`
//!
//! Errors with no scheme attached (e.g. two `Authorization` fields) carry the attributes on
//! every challenge. Missing credentials and unsupported schemes carry none (RFC 6750 §3.1).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use http::{HeaderValue, StatusCode};

use crate::reason::{ProofError, RequestError, TokenError};
use crate::scheme::{DpopMode, PROOF_ALGS, Scheme};

/// The realm on every Bearer challenge.
const REALM: &str = "api";

/// Why a request or token was refused. Descriptions are fixed strings: attacker text is
/// never reflected.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
#[non_exhaustive]
pub enum AuthError {
    /// No `Authorization` field (or an empty one): 401 with a bare challenge.
    #[error("missing authorization")]
    MissingCredentials,
    /// An authorization scheme we do not support (`Basic`, or `DPoP` when disabled):
    /// 401 with a bare challenge (RFC 6750 §3.1 last paragraph).
    #[error("unsupported authorization scheme")]
    UnsupportedScheme,
    /// DPoP is required and the request used Bearer: 401 with a bare `DPoP` challenge.
    #[error("the DPoP scheme is required")]
    DpopRequired,
    /// Malformed `Authorization`/`DPoP` usage: 400 `invalid_request`.
    #[error("invalid request: {0}")]
    InvalidRequest(RequestError),
    /// The access token is not acceptable: 401 `invalid_token`.
    #[error("invalid token: {0}")]
    InvalidToken(TokenError),
    /// The signing keys could not be obtained and none are cached: we fail closed with
    /// 401 `invalid_token` (the token cannot be validated).
    #[error("signing keys unavailable")]
    KeysUnavailable,
    /// The DPoP proof is not acceptable: 401 `invalid_dpop_proof` (RFC 9449 §7.1; the
    /// Auth0 libraries send 400).
    #[error("invalid DPoP proof: {0}")]
    InvalidDpopProof(ProofError),
    /// A server nonce is required: 401 `use_dpop_nonce` plus `DPoP-Nonce: <nonce>`.
    #[error("DPoP nonce required")]
    UseDpopNonce {
        /// The nonce the client must use.
        nonce: String,
    },
    /// The token lacks a scope: 403 `insufficient_scope` with `scope="…"`.
    #[error("insufficient scope")]
    InsufficientScope {
        /// The required scope (space-separated).
        scope: String,
    },
    /// The DPoP replay store (e.g. Redis shared by replicas) could not answer, so the proof
    /// could not be checked for replay and is refused (fail closed). 503 with `Retry-After`
    /// and the mode's challenge without error attributes: the client did nothing wrong and may
    /// retry with a new proof; RFC 6750/9449 define no challenge error code for a server-side
    /// outage. The body says `temporarily_unavailable`; the cause is logged, never shown.
    #[error("DPoP replay store unavailable")]
    ReplayStoreUnavailable,
    /// The request names a host (its `Host`, or the authority of an absolute-form target)
    /// that is not in [`allowed_hosts`](crate::VerifierOptions::allowed_hosts): 421
    /// Misdirected Request (RFC 9110 §15.5.20) without a challenge (credentials would not
    /// help: the request is for another server), body `misdirected_request`.
    #[error("misdirected request")]
    MisdirectedRequest,
    /// The replay store is full of live proof identifiers: recording one more would mean
    /// forgetting a proof that could still be replayed, so the proof is refused instead.
    /// Answered like [`AuthError::ReplayStoreUnavailable`] (503, `temporarily_unavailable`),
    /// with `Retry-After` saying when room frees up.
    #[error("DPoP replay store full")]
    ReplayStoreFull {
        /// Seconds until the earliest entry expires (at least 1).
        retry_after: u64,
    },
    /// The proof's key (one client) holds its whole share of the replay store: 429 with
    /// `Retry-After`, the mode's bare challenge and body `temporarily_unavailable`. 429
    /// rather than 503: the server is available to everyone else, and only this client is
    /// asked to slow down (RFC 6585 §4).
    #[error("too many DPoP proofs for this key")]
    DpopKeyOverQuota {
        /// Seconds until this key's recorded proofs have expired (at least 1).
        retry_after: u64,
    },
    /// The blocking entry point was called inside a Tokio runtime.
    #[error("blocking_verify_access_token called inside an async runtime; use verify_access_token")]
    BlockingInsideRuntime,
    /// An unexpected internal failure (logged, never shown): 500.
    #[error("internal error")]
    Internal,
}

impl AuthError {
    /// HTTP status for this error.
    pub fn status(&self) -> StatusCode {
        match self {
            AuthError::InvalidRequest(_) => StatusCode::BAD_REQUEST,
            AuthError::InsufficientScope { .. } => StatusCode::FORBIDDEN,
            AuthError::ReplayStoreUnavailable | AuthError::ReplayStoreFull { .. } => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            AuthError::DpopKeyOverQuota { .. } => StatusCode::TOO_MANY_REQUESTS,
            AuthError::MisdirectedRequest => StatusCode::MISDIRECTED_REQUEST,
            AuthError::BlockingInsideRuntime | AuthError::Internal => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
            _ => StatusCode::UNAUTHORIZED,
        }
    }

    /// RFC 6750 / RFC 9449 error code; `None` when the challenge must carry no error.
    pub fn error_code(&self) -> Option<&'static str> {
        match self {
            AuthError::MissingCredentials
            | AuthError::UnsupportedScheme
            | AuthError::DpopRequired
            | AuthError::ReplayStoreUnavailable
            | AuthError::MisdirectedRequest
            | AuthError::ReplayStoreFull { .. }
            | AuthError::DpopKeyOverQuota { .. }
            | AuthError::BlockingInsideRuntime
            | AuthError::Internal => None,
            AuthError::InvalidRequest(_) => Some("invalid_request"),
            AuthError::InvalidToken(_) | AuthError::KeysUnavailable => Some("invalid_token"),
            AuthError::InvalidDpopProof(_) => Some("invalid_dpop_proof"),
            AuthError::UseDpopNonce { .. } => Some("use_dpop_nonce"),
            AuthError::InsufficientScope { .. } => Some("insufficient_scope"),
        }
    }

    /// Human-readable description, restricted to the RFC 6750 §3 character set.
    pub fn description(&self) -> String {
        let reason;
        let raw: &str = match self {
            AuthError::MissingCredentials => "Missing authorization",
            AuthError::UnsupportedScheme => "Unsupported authorization scheme",
            AuthError::DpopRequired => "DPoP authorization scheme required",
            AuthError::InvalidRequest(r) => {
                reason = r.to_string();
                &reason
            }
            AuthError::InvalidToken(r) if r.before_signature() => "Invalid token",
            AuthError::InvalidToken(r) => {
                reason = r.to_string();
                &reason
            }
            AuthError::InvalidDpopProof(r) => {
                reason = r.to_string();
                &reason
            }
            AuthError::KeysUnavailable => "Unable to obtain the signing keys",
            AuthError::UseDpopNonce { .. } => "Authorization server requires nonce in DPoP proof",
            AuthError::InsufficientScope { .. } => "Insufficient scope",
            AuthError::ReplayStoreUnavailable | AuthError::ReplayStoreFull { .. } => {
                "DPoP replay check unavailable, retry with a new proof"
            }
            AuthError::MisdirectedRequest => "This server does not serve the requested host",
            AuthError::DpopKeyOverQuota { .. } => {
                "Too many DPoP proofs for this key, retry with a new proof later"
            }
            AuthError::BlockingInsideRuntime | AuthError::Internal => "Internal server error",
        };
        sanitize(raw)
    }

    /// The `Retry-After` (seconds) to send with this error, if any.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            // The store usually comes back within the connection retry schedule (~1 s).
            AuthError::ReplayStoreUnavailable => Some(1),
            AuthError::ReplayStoreFull { retry_after }
            | AuthError::DpopKeyOverQuota { retry_after } => Some(*retry_after),
            _ => None,
        }
    }

    /// The `DPoP-Nonce` value to send with this error, if any.
    pub fn dpop_nonce(&self) -> Option<&str> {
        match self {
            AuthError::UseDpopNonce { nonce } => Some(nonce),
            _ => None,
        }
    }

    /// The `WWW-Authenticate` value(s) for this error. Always exactly one value listing every
    /// challenge (see the module docs), or none for 500s.
    pub fn www_authenticate(
        &self,
        mode: DpopMode,
        scheme_used: Option<Scheme>,
    ) -> Vec<HeaderValue> {
        self.challenge_values(mode, scheme_used, None)
    }

    /// [`AuthError::www_authenticate`] with an optional `resource_metadata` URL on every
    /// challenge (the caller decides when: on 401s).
    fn challenge_values(
        &self,
        mode: DpopMode,
        scheme_used: Option<Scheme>,
        resource_metadata: Option<&str>,
    ) -> Vec<HeaderValue> {
        if matches!(
            self,
            AuthError::BlockingInsideRuntime | AuthError::Internal | AuthError::MisdirectedRequest
        ) {
            return Vec::new();
        }
        let s = self.challenge_with(mode, scheme_used, resource_metadata);
        // The string is built from sanitised parts, so this cannot fail; fall back to a
        // bare challenge rather than panic.
        vec![
            HeaderValue::from_str(&s)
                .unwrap_or_else(|_| HeaderValue::from_static("Bearer realm=\"api\"")),
        ]
    }

    /// The challenge as a string (see [`AuthError::www_authenticate`]); not sent with 421 and
    /// 500 answers.
    pub fn challenge_string(&self, mode: DpopMode, scheme_used: Option<Scheme>) -> String {
        self.challenge_with(mode, scheme_used, None)
    }

    /// The challenge, with `resource_metadata="…"` first on every challenge when given (the
    /// URL was validated and serialised by the `url` crate, which escapes `"` and `\`;
    /// sanitised again all the same).
    fn challenge_with(
        &self,
        mode: DpopMode,
        scheme_used: Option<Scheme>,
        resource_metadata: Option<&str>,
    ) -> String {
        let meta = resource_metadata
            .map(|u| format!("resource_metadata=\"{}\"", sanitize_url(u)))
            .unwrap_or_default();
        let attrs = self.error_code().map(|code| {
            let mut a = format!(
                "error=\"{code}\", error_description=\"{}\"",
                self.description()
            );
            if let AuthError::InsufficientScope { scope } = self {
                a.push_str(&format!(", scope=\"{}\"", sanitize(scope)));
            }
            a
        });
        let (bearer_meta, dpop_meta) = if meta.is_empty() {
            (String::new(), String::new())
        } else {
            (format!(", {meta}"), format!("{meta}, "))
        };
        let bearer = |with_attrs: bool| match &attrs {
            Some(a) if with_attrs => format!("Bearer realm=\"{REALM}\"{bearer_meta}, {a}"),
            _ => format!("Bearer realm=\"{REALM}\"{bearer_meta}"),
        };
        // `algs`: exactly the algorithms the proof check accepts (RFC 9449 §5).
        let algs = PROOF_ALGS.join(" ");
        let dpop = |with_attrs: bool| match &attrs {
            Some(a) if with_attrs => format!("DPoP {dpop_meta}{a}, algs=\"{algs}\""),
            _ => format!("DPoP {dpop_meta}algs=\"{algs}\""),
        };
        match mode {
            // A single offered scheme always carries the error.
            DpopMode::Disabled => bearer(true),
            DpopMode::Required => dpop(true),
            // Both offered: the error goes on the scheme used; on both when none is known.
            DpopMode::Allowed => format!(
                "{}, {}",
                bearer(scheme_used != Some(Scheme::DPoP)),
                dpop(scheme_used != Some(Scheme::Bearer))
            ),
        }
    }
}

/// Keep only RFC 6750 §3 characters (%x20-21 / %x23-5B / %x5D-7E); everything else
/// (quotes, backslashes, controls, non-ASCII) becomes `?`. Also capped in length.
pub(crate) fn sanitize(s: &str) -> String {
    s.chars()
        .take(200)
        .map(|c| match c {
            '\x20'..='\x21' | '\x23'..='\x5b' | '\x5d'..='\x7e' => c,
            _ => '?',
        })
        .collect()
}

/// A URL inside a quoted-string: like [`sanitize`] but not truncated (a URL cut short would
/// point elsewhere; the verifier's own URL is bounded by its configuration).
fn sanitize_url(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\x21' | '\x23'..='\x5b' | '\x5d'..='\x7e' => c,
            _ => '?',
        })
        .collect()
}

/// A setting that makes [`VerifierOptions`](crate::VerifierOptions) unusable. Each variant names the setting.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// `audience` is empty.
    #[error("audience is required (the API identifier configured in Auth0)")]
    MissingAudience,
    /// No domain, no domain list and no resolver.
    #[error("a domain, a list of domains or a domain resolver is required")]
    MissingDomain,
    /// A domain is not a bare `host[:port]`.
    #[error("domain {domain:?} is invalid: {reason}")]
    InvalidDomain {
        /// The offending value.
        domain: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// `cache_max_entries` / `token_cache_max_entries` too small.
    #[error("{setting} must be at least {min}")]
    InvalidCacheSize {
        /// The setting name.
        setting: &'static str,
        /// Its minimum.
        min: usize,
    },
    /// `allowed_algorithms` is empty.
    #[error("allowed_algorithms must not be empty")]
    NoAlgorithms,
    /// `allowed_algorithms` lists HS256 but no `signing_secret` is set.
    #[error("allowed_algorithms lists HS256, which needs the API's signing_secret")]
    MissingSigningSecret,
    /// A `signing_secret` is set but `allowed_algorithms` does not list HS256.
    #[error("signing_secret is set but allowed_algorithms does not list HS256")]
    UnusedSigningSecret,
    /// The `signing_secret` is shorter than any Auth0 API's.
    #[error("signing_secret must be at least {min} bytes (Auth0's minimum)")]
    SigningSecretTooShort {
        /// The minimum length in bytes.
        min: usize,
    },
    /// A duration setting is zero where it must not be.
    #[error("{0} must be greater than zero")]
    ZeroDuration(&'static str),
    /// A duration setting is above its maximum.
    #[error("{setting} must be at most {max:?}")]
    DurationTooLong {
        /// The setting name.
        setting: &'static str,
        /// Its maximum.
        max: Duration,
    },
    /// The CA file could not be read.
    #[error("ca_file {path:?} could not be read")]
    CaFile {
        /// The path given.
        path: PathBuf,
        /// The I/O cause.
        #[source]
        source: std::io::Error,
    },
    /// The CA PEM holds no usable certificate.
    #[error("the extra CA (ca_file / ca_pem) holds no valid PEM certificate")]
    InvalidCa,
    /// `public_base_url` is not an absolute http(s) URL without query.
    #[error("public_base_url {0:?} must be an absolute http(s) URL without query or fragment")]
    InvalidPublicBaseUrl(String),
    /// An `allowed_hosts` entry is not a bare `host[:port]`.
    #[error("allowed_hosts entry {host:?} is invalid: {reason}")]
    InvalidAllowedHost {
        /// The offending entry.
        host: String,
        /// Why it was refused.
        #[source]
        reason: crate::host::AuthorityError,
    },
    /// The protected-resource metadata's `resource` is not usable (RFC 9728 §1.2).
    #[error("resource_metadata resource {resource:?} is invalid: {reason}")]
    InvalidResource {
        /// The offending value.
        resource: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// Protected-resource metadata without `authorization_servers` and no static domain to
    /// derive them from (a domain resolver alone).
    #[error("resource_metadata needs authorization_servers when the verifier has no static domain")]
    MissingAuthorizationServers,
    /// The HTTP client could not be built.
    #[error("the HTTP client for the tenant could not be built")]
    HttpClient(#[source] reqwest::Error),
}

/// An [`AuthError`] with what is needed to answer it: the DPoP mode and the scheme used.
/// [`AuthRejection::to_parts`] gives its HTTP answer; with the `axum` feature it is an `IntoResponse`.
#[derive(Debug, Clone)]
pub struct AuthRejection {
    /// The error.
    pub error: AuthError,
    /// The verifier's DPoP mode (decides which challenges are offered).
    pub mode: DpopMode,
    /// The scheme the request used, if it got that far.
    pub scheme: Option<Scheme>,
    /// The protected-resource metadata URL put on the challenges of a 401 (RFC 9728 §5.1).
    pub(crate) resource_metadata: Option<Arc<str>>,
}

impl AuthRejection {
    /// Bundle an error with its context.
    pub fn new(error: AuthError, mode: DpopMode, scheme: Option<Scheme>) -> Self {
        Self {
            error,
            mode,
            scheme,
            resource_metadata: None,
        }
    }

    /// Put `resource_metadata="<url>"` (RFC 9728 §5.1) on the challenges when the answer is a
    /// 401. The verifier's own rejections carry its metadata URL already.
    pub fn with_resource_metadata(mut self, url: impl Into<Arc<str>>) -> Self {
        self.resource_metadata = Some(url.into());
        self
    }

    /// The `WWW-Authenticate` value of this answer: the error's challenge, with the metadata URL
    /// on a 401 (none for 421 and 500).
    pub fn www_authenticate(&self) -> Vec<HeaderValue> {
        let metadata = self
            .resource_metadata
            .as_deref()
            .filter(|_| self.error.status() == StatusCode::UNAUTHORIZED);
        self.error
            .challenge_values(self.mode, self.scheme, metadata)
    }
}

impl std::fmt::Display for AuthRejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.error.fmt(f)
    }
}

impl AuthRejection {
    /// The HTTP answer to this rejection, framework-free: status, headers and JSON body.
    ///
    /// The body is `{"error": code, "error_description": desc}`; for challenges without an
    /// error code (missing credentials, unsupported scheme, DPoP required) it is
    /// `{"error": "unauthorized", "error_description": …}` while the challenge stays bare.
    /// 500s answer `{"error": "Internal server error"}`. A replay-store outage answers 503
    /// `{"error": "temporarily_unavailable", …}` with `Retry-After: 1`; a full store 503 and a
    /// key over its share 429, the same body, with `Retry-After` saying when room frees up. A host outside
    /// `allowed_hosts` answers 421 `{"error": "misdirected_request", …}` without a challenge.
    pub fn to_parts(&self) -> (StatusCode, http::HeaderMap, serde_json::Value) {
        let status = self.error.status();
        let body = if status == StatusCode::INTERNAL_SERVER_ERROR {
            serde_json::json!({ "error": "Internal server error" })
        } else {
            serde_json::json!({
                "error": match self.error {
                    AuthError::ReplayStoreUnavailable
                    | AuthError::ReplayStoreFull { .. }
                    | AuthError::DpopKeyOverQuota { .. } => "temporarily_unavailable",
                    AuthError::MisdirectedRequest => "misdirected_request",
                    _ => self.error.error_code().unwrap_or("unauthorized"),
                },
                "error_description": self.error.description(),
            })
        };
        let mut headers = http::HeaderMap::new();
        for v in self.www_authenticate() {
            headers.append(http::header::WWW_AUTHENTICATE, v);
        }
        headers.insert(
            http::header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        );
        if let Some(seconds) = self.error.retry_after() {
            headers.insert(http::header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if let Some(n) = self.error.dpop_nonce()
            && let Ok(v) = HeaderValue::from_str(n)
        {
            headers.insert("dpop-nonce", v);
        }
        (status, headers, body)
    }
}
