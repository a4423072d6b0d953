//! `GET /api/upstream`: the API calls a second API on its caller's behalf. It exchanges the
//! caller's access token for one to the second API (On-Behalf-Of: the user stays the subject,
//! this API becomes the actor), calls `UPSTREAM_API_URL` with it and returns what that API
//! said.
//!
//! Errors use the quickstart's `ApiError` handler shape, `{"error": code, "error_description":
//! message}`, with a fixed text and a status of this API's own: 400 when the tenant refuses
//! the caller's token, 429 with the tenant's `Retry-After`, 504 on a timeout, 502 for every
//! other exchange failure (the tenant's 401/403 on this API's credentials, its 3xx and 5xx,
//! an unreachable tenant). The tenant's status and text go to the log only. An upstream API
//! that refuses or cannot be reached is a 502 `upstream_error`.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use oauth2_jwt_bearer::Authenticated;
use oauth2_jwt_bearer::exchange::{self, ExchangeError, ExchangeOptions, TokenExchangeClient};

use crate::config::{Settings, UpstreamSettings};

/// How long the call to the upstream API may take.
const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(10);

/// Largest upstream answer relayed.
const MAX_UPSTREAM_BYTES: usize = 256 * 1024;

/// Why the route could not be wired at start-up (one line each).
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    /// The token-exchange client refused its settings.
    #[error("token exchange: {0}")]
    Exchange(#[from] exchange::ConfigError),
    /// The HTTP client for `UPSTREAM_API_URL` could not be built.
    #[error("UPSTREAM_API_URL: {0}")]
    Client(#[from] reqwest::Error),
}

/// What the route needs: the exchange client and the upstream API.
#[derive(Debug, Clone)]
pub struct Upstream {
    exchange: TokenExchangeClient,
    settings: UpstreamSettings,
    http: reqwest::Client,
}

impl Upstream {
    /// The route's wiring from the API's settings; `None` when `UPSTREAM_API_URL` is unset.
    /// `Err` is the one start-up line.
    pub fn from_settings(settings: &Settings) -> Result<Option<Upstream>, UpstreamError> {
        let (Some(upstream), Some(client)) = (&settings.upstream, &settings.client) else {
            return Ok(None);
        };
        let mut opts = ExchangeOptions::new(
            settings.domain.clone(),
            client.client_id.clone(),
            client.client_secret.clone(),
        );
        if let Some(path) = &settings.ca_file {
            opts = opts.ca_file(path.clone());
        }
        let exchange = TokenExchangeClient::new(opts)?;
        Ok(Some(Upstream::new(exchange, upstream.clone())?))
    }

    /// The route calling `settings.url` with tokens from `exchange`.
    pub fn new(
        exchange: TokenExchangeClient,
        settings: UpstreamSettings,
    ) -> Result<Upstream, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(UPSTREAM_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Upstream {
            exchange,
            settings,
            http,
        })
    }
}

/// The handler (behind the global guard: the caller's token is already verified).
pub(crate) async fn call_upstream(
    State(upstream): State<Option<Arc<Upstream>>>,
    Authenticated(claims): Authenticated,
    headers: HeaderMap,
) -> Response {
    let Some(upstream) = upstream.as_deref() else {
        return api_error(StatusCode::NOT_FOUND, "not_found", "Not Found");
    };
    // The guard accepted exactly one `Bearer`/`DPoP` credential: its token is after the scheme.
    let Some(token) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .map(|(_, t)| t.trim())
    else {
        return api_error(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "Missing access token",
        );
    };
    let s = &upstream.settings;
    let exchanged = match upstream
        .exchange
        .on_behalf_of(token, &s.audience, s.scope.as_deref())
        .await
    {
        Ok(t) => t,
        Err(e) => return exchange_error(&e),
    };
    let answer = upstream
        .http
        .get(&s.url)
        .bearer_auth(&exchanged.access_token)
        .header(header::ACCEPT, "application/json")
        .send()
        .await;
    let body = match answer {
        Ok(r) if r.status().is_success() => read_json(r).await,
        Ok(r) => Err(format!("The upstream API answered {}", r.status().as_u16())),
        Err(_) => Err("The upstream API could not be reached".to_owned()),
    };
    match body {
        Ok(body) => no_store(Json(json!({
            "message": "Upstream API called on behalf of the user",
            "user": claims.sub(),
            "upstream": body,
        }))),
        Err(description) => api_error(StatusCode::BAD_GATEWAY, "upstream_error", &description),
    }
}

async fn read_json(mut r: reqwest::Response) -> Result<Value, String> {
    let bad = || "The upstream API answered something other than JSON".to_owned();
    let mut bytes = Vec::new();
    while let Some(chunk) = r.chunk().await.map_err(|_| bad())? {
        if bytes.len() + chunk.len() > MAX_UPSTREAM_BYTES {
            return Err("The upstream API's answer is too large".to_owned());
        }
        bytes.extend_from_slice(&chunk);
    }
    serde_json::from_slice(&bytes).map_err(|_| bad())
}

/// What the caller reads when its token cannot be exchanged.
const NOT_EXCHANGEABLE: &str = "The access token cannot be exchanged for the upstream API";
/// What the caller reads when the exchange failed on this API's side (its credentials, its
/// settings, the tenant's answer).
const EXCHANGE_FAILED: &str = "The token exchange with the tenant failed";
/// What the caller reads on the tenant's rate limit.
const RATE_LIMITED: &str = "Too many token exchanges; retry later";

/// The seed's `ApiError` handler shape with a fixed text per case: the tenant's status and
/// text are logged, never relayed. A tenant 401/403 refuses *this API's* credentials (a 401
/// relayed without a challenge would tell the caller its own request is unauthorized), a 3xx
/// or 5xx is the tenant's trouble: all 502. Only what the caller can act on keeps its
/// meaning: a refused subject token (400) and the rate limit (429 with `Retry-After`).
fn exchange_error(e: &ExchangeError) -> Response {
    tracing::warn!(code = e.code(), status = e.status(), error = %e, "token exchange failed");
    let (status, code, text) = match e {
        ExchangeError::Endpoint { status: 429, .. } => (
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
            RATE_LIMITED,
        ),
        // The tenant refused the subject token (a machine token, an expired one...).
        ExchangeError::Endpoint {
            status: 400, error, ..
        } if matches!(error.as_str(), "invalid_request" | "invalid_grant") => {
            (StatusCode::BAD_REQUEST, "invalid_request", NOT_EXCHANGEABLE)
        }
        // The client's own input checks on the caller's token.
        ExchangeError::MissingArgument(_)
        | ExchangeError::BlankSubjectToken
        | ExchangeError::SubjectTokenWhitespace
        | ExchangeError::BearerPrefix => {
            (StatusCode::BAD_REQUEST, "invalid_request", NOT_EXCHANGEABLE)
        }
        ExchangeError::Timeout(_) => (
            StatusCode::GATEWAY_TIMEOUT,
            "timeout_error",
            "Request to token endpoint timed out",
        ),
        ExchangeError::Network(_) => (
            StatusCode::BAD_GATEWAY,
            "network_error",
            "Network error occurred",
        ),
        _ => (
            StatusCode::BAD_GATEWAY,
            "token_exchange_error",
            EXCHANGE_FAILED,
        ),
    };
    let mut resp = api_error(status, code, text);
    if status == StatusCode::TOO_MANY_REQUESTS
        && let Some(secs) = e.retry_after().map(|d| d.as_secs())
        && let Ok(v) = HeaderValue::from_str(&secs.to_string())
    {
        resp.headers_mut().insert(header::RETRY_AFTER, v);
    }
    resp
}

fn api_error(status: StatusCode, code: &str, description: &str) -> Response {
    let mut resp = no_store((
        status,
        Json(json!({ "error": code, "error_description": description })),
    ));
    *resp.status_mut() = status;
    resp
}

fn no_store(r: impl IntoResponse) -> Response {
    let mut resp = r.into_response();
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}
