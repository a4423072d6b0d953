//! `GET /api/upstream`: the API calls a second API on its caller's behalf. It exchanges the
//! caller's access token for one to the second API (On-Behalf-Of: the user stays the subject,
//! this API becomes the actor), calls `UPSTREAM_API_URL` with it and returns what that API
//! said.
//!
//! Errors use the quickstart's `ApiError` handler shape, `{"error": code, "error_description":
//! message}` with the exchange's status: the tenant's own refusal (400, 401, 403...), 429 with
//! its `Retry-After`, 502 when the tenant cannot be reached, 504 on a timeout. An upstream API
//! that refuses or cannot be reached is a 502 `upstream_error`.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use oauth2_jwt_bearer::{Authenticated, ExchangeError, ExchangeOptions, TokenExchangeClient};

use crate::app::AppState;
use crate::config::{Settings, UpstreamSettings};

/// How long the call to the upstream API may take.
const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(10);

/// Largest upstream answer relayed.
const MAX_UPSTREAM_BYTES: usize = 256 * 1024;

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
    pub fn from_settings(settings: &Settings) -> Result<Option<Upstream>, String> {
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
        let exchange =
            TokenExchangeClient::new(opts).map_err(|e| format!("token exchange: {e}"))?;
        Upstream::new(exchange, upstream.clone())
            .map(Some)
            .map_err(|e| format!("UPSTREAM_API_URL: {e}"))
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
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    headers: HeaderMap,
) -> Response {
    let Some(upstream) = state.upstream.as_ref() else {
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

/// The seed's `ApiError` handler: the exchange's code, message and status (plus a 429's
/// `Retry-After`, so the client backs off too).
fn exchange_error(e: &ExchangeError) -> Response {
    tracing::warn!(code = e.code(), status = e.status(), error = %e, "token exchange failed");
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_GATEWAY);
    let mut resp = api_error(status, e.code(), &e.to_string());
    if let Some(secs) = e.retry_after().map(|d| d.as_secs())
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
