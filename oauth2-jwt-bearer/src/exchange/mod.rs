//! The token-exchange *client* (auth0-api-python's helpers), beside the verifier rather than
//! in it: auth0-api-python's `get_token_by_exchange_profile`, `get_token_on_behalf_of` and
//! `get_access_token_for_connection` as [`TokenExchangeClient`], and its `get_current_actor`
//! / `get_delegation_chain` as [`current_actor`] / [`delegation_chain`] (the `act` claim of a
//! verified token).
//!
//! | auth0-api-python | here |
//! |---|---|
//! | `ApiClientOptions(domain, client_id, client_secret, timeout)` | [`ExchangeOptions::new`]`(domain, client_id, client_secret)`, [`ExchangeOptions::timeout`] |
//! | `get_token_by_exchange_profile(subject_token, subject_token_type, audience, scope, requested_token_type, extra)` | [`TokenExchangeClient::exchange_by_profile`]`(`[`ProfileExchange`]`)` |
//! | `get_token_on_behalf_of(access_token, audience, scope)` | [`TokenExchangeClient::on_behalf_of`] |
//! | `get_access_token_for_connection({connection, access_token, login_hint})` | [`TokenExchangeClient::access_token_for_connection`]`(`[`ConnectionTokenRequest`]`)` |
//! | result dict (`access_token`, `expires_in`, `expires_at`, optional `scope`, `id_token`, `refresh_token`, `token_type`, `issued_token_type`) | [`ExchangedToken`] |
//! | `MissingRequiredArgumentError`, `GetTokenByExchangeProfileError`, `GetAccessTokenForConnectionError`, `ApiError` | [`ExchangeError`] (`status()`, `code()`, `retry_after()`) |
//! | `get_current_actor(claims)`, `get_delegation_chain(claims)` | [`current_actor`], [`delegation_chain`] |
//!
//! The client authenticates with its client id and secret (HTTP Basic, as auth0-api-python
//! does), finds the token endpoint through the tenant's discovery document (cached, the
//! document's `issuer` must be `https://{domain}/` and its `token_endpoint` an https URL on
//! that same origin, so the secret never leaves the tenant), and posts a form. It reuses the verifier's HTTP stack (reqwest, rustls, the extra CA option):
//! no redirects are followed, responses are capped at 64 KiB, every call has a timeout.
//!
//! Better than the reference: client credentials are checked when the client is built, not on
//! the first call; a 429 keeps Auth0's `Retry-After` and `x-ratelimit-*` values
//! ([`ExchangeError::rate_limit`]); the discovery document's issuer is checked; the Token Vault
//! helper applies the subject-token checks too.

mod act;
mod error;
mod request;
mod response;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

pub use act::{InvalidActClaim, MAX_DELEGATION_CHAIN, current_actor, delegation_chain};
pub use error::{ConfigError, ExchangeError, RateLimit};
pub use request::{
    ACCESS_TOKEN_TYPE, FEDERATED_CONNECTION_GRANT, FEDERATED_CONNECTION_TOKEN_TYPE,
    MAX_EXTRA_VALUES, ProfileExchange, RESERVED_PARAMETERS, TOKEN_EXCHANGE_GRANT,
};
pub use response::ExchangedToken;

use crate::clock::{Clock, SystemClock, unix_secs};
use crate::http_trust::HttpTrust;
use crate::options::validate_domain;
use request::{check_subject_token, pair};
use response::{MAX_RESPONSE_BYTES, endpoint_error, parse_token};

/// How long a discovered token endpoint is reused before discovery is asked again.
const DISCOVERY_TTL: f64 = 600.0;

/// Settings of a [`TokenExchangeClient`]. Consuming builder.
#[derive(Clone)]
#[must_use = "a builder does nothing until it is used"]
pub struct ExchangeOptions {
    domain: String,
    client_id: String,
    client_secret: String,
    trust: HttpTrust,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for ExchangeOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExchangeOptions")
            .field("domain", &self.domain)
            .field("client_id", &self.client_id)
            .field("trust", &self.trust)
            .finish_non_exhaustive()
    }
}

impl ExchangeOptions {
    /// The tenant (`tenant.us.auth0.com`) and the confidential application that exchanges
    /// tokens (`AUTH0_CLIENT_ID`, `AUTH0_CLIENT_SECRET`).
    pub fn new(
        domain: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Self {
        ExchangeOptions {
            domain: domain.into(),
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            trust: HttpTrust::new(),
            clock: Arc::new(SystemClock),
        }
    }
    /// Total time each call to discovery or the token endpoint may take (default 10 s, as
    /// auth0-api-python's `timeout`). A call that takes longer fails with 504.
    pub fn timeout(mut self, d: Duration) -> Self {
        self.trust.set_timeout(d);
        self
    }
    /// An extra CA (PEM file, read when the client is built) trusted for the tenant's HTTPS.
    /// Replaces an earlier `ca_file` or `ca_pem`.
    pub fn ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.trust.set_ca_file(path.into());
        self
    }
    /// An extra CA (PEM bytes) trusted for the tenant's HTTPS. Replaces an earlier `ca_file`
    /// or `ca_pem`.
    pub fn ca_pem(mut self, pem: Vec<u8>) -> Self {
        self.trust.set_ca_pem(pem);
        self
    }
    /// The clock `expires_at` is computed with (default: the system clock).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }
}

/// What a Token Vault call asks for (auth0-api-python's `get_access_token_for_connection`
/// options).
#[derive(Debug, Clone)]
#[must_use]
pub struct ConnectionTokenRequest {
    connection: String,
    access_token: String,
    login_hint: Option<String>,
}

impl ConnectionTokenRequest {
    /// The upstream token of the user `access_token` belongs to, for `connection`
    /// (`google-oauth2`).
    pub fn new(connection: impl Into<String>, access_token: impl Into<String>) -> Self {
        ConnectionTokenRequest {
            connection: connection.into(),
            access_token: access_token.into(),
            login_hint: None,
        }
    }
    /// Which of the user's accounts on that connection.
    pub fn login_hint(mut self, hint: impl Into<String>) -> Self {
        self.login_hint = Some(hint.into());
        self
    }
}

/// Exchanges tokens at an Auth0 tenant's token endpoint. Cheap to clone; share one.
#[derive(Clone, Debug)]
pub struct TokenExchangeClient {
    inner: Arc<Inner>,
}

struct Inner {
    domain: String,
    client_id: String,
    client_secret: String,
    http: reqwest::Client,
    clock: Arc<dyn Clock>,
    /// The discovered token endpoint and when to ask again.
    token_endpoint: tokio::sync::Mutex<Option<(String, f64)>>,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenExchangeClient")
            .field("domain", &self.domain)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl TokenExchangeClient {
    /// Checks the options and builds the client (no network access happens here).
    pub fn new(opts: ExchangeOptions) -> Result<Self, ConfigError> {
        let domain = validate_domain(&opts.domain)?;
        if opts.client_id.trim().is_empty() || opts.client_secret.is_empty() {
            return Err(ConfigError::MissingClientCredentials);
        }
        let http = opts.trust.client("timeout")?;
        Ok(TokenExchangeClient {
            inner: Arc::new(Inner {
                domain,
                client_id: opts.client_id,
                client_secret: opts.client_secret,
                http,
                clock: opts.clock,
                token_endpoint: tokio::sync::Mutex::new(None),
            }),
        })
    }

    /// Custom Token Exchange (RFC 8693): `request.subject_token_type` selects the tenant's
    /// exchange profile. Input checks first (no network call for bad input).
    pub async fn exchange_by_profile(
        &self,
        request: ProfileExchange,
    ) -> Result<ExchangedToken, ExchangeError> {
        let form = request.form()?;
        let fallback = format!(
            "Failed to exchange token of type '{}'{}",
            request.subject_token_type,
            request
                .audience
                .as_deref()
                .map(|a| format!(" for audience '{a}'"))
                .unwrap_or_default()
        );
        self.post(form, "token_exchange_error", fallback).await
    }

    /// On-Behalf-Of: the caller's access token for a token to `audience`, for the same user
    /// (both token types `urn:ietf:params:oauth:token-type:access_token`). Never returns an ID
    /// or refresh token.
    pub async fn on_behalf_of(
        &self,
        access_token: &str,
        audience: &str,
        scope: Option<&str>,
    ) -> Result<ExchangedToken, ExchangeError> {
        if audience.is_empty() {
            return Err(ExchangeError::MissingArgument("audience"));
        }
        let mut request = ProfileExchange::new(access_token, ACCESS_TOKEN_TYPE)
            .audience(audience)
            .requested_token_type(ACCESS_TOKEN_TYPE);
        if let Some(s) = scope {
            request = request.scope(s);
        }
        let mut token = self.exchange_by_profile(request).await?;
        token.id_token = None;
        token.refresh_token = None;
        Ok(token)
    }

    /// Token Vault: the upstream provider's access token the tenant holds for the user of
    /// `request.access_token` on `request.connection`.
    pub async fn access_token_for_connection(
        &self,
        request: ConnectionTokenRequest,
    ) -> Result<ExchangedToken, ExchangeError> {
        if request.connection.is_empty() {
            return Err(ExchangeError::MissingArgument("connection"));
        }
        if request.access_token.is_empty() {
            return Err(ExchangeError::MissingArgument("access_token"));
        }
        check_subject_token(&request.access_token)?;
        let mut form = vec![
            pair("grant_type", FEDERATED_CONNECTION_GRANT),
            pair("subject_token", &request.access_token),
            pair("subject_token_type", ACCESS_TOKEN_TYPE),
            pair("requested_token_type", FEDERATED_CONNECTION_TOKEN_TYPE),
            pair("connection", &request.connection),
        ];
        if let Some(h) = request.login_hint.as_deref().filter(|h| !h.is_empty()) {
            form.push(pair("login_hint", h));
        }
        let status_text = "Failed to get token for connection";
        let mut token = self
            .post(form, "connection_token_error", status_text.into())
            .await?;
        // auth0-api-python returns "" when the endpoint leaves `scope` out.
        token.scope.get_or_insert_with(String::new);
        Ok(token)
    }

    /// POSTs `form` with the client's credentials and reads the answer.
    async fn post(
        &self,
        form: Vec<(String, String)>,
        fallback_code: &str,
        fallback_description: String,
    ) -> Result<ExchangedToken, ExchangeError> {
        let endpoint = self.token_endpoint().await?;
        let resp = self
            .inner
            .http
            .post(&endpoint)
            .basic_auth(&self.inner.client_id, Some(&self.inner.client_secret))
            .header(http::header::ACCEPT, "application/json")
            .form(&form)
            .send()
            .await
            .map_err(transport)?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = read_capped(resp).await?;
        if status != 200 {
            let description = if fallback_code == "connection_token_error" {
                format!("{fallback_description}: {status}")
            } else {
                fallback_description
            };
            return Err(endpoint_error(
                status,
                &headers,
                &body,
                fallback_code,
                description,
            ));
        }
        parse_token(&body, unix_secs(&*self.inner.clock))
    }

    /// The token endpoint from the tenant's discovery document (cached [`DISCOVERY_TTL`];
    /// a failed discovery is not cached).
    async fn token_endpoint(&self) -> Result<String, ExchangeError> {
        let now = unix_secs(&*self.inner.clock);
        let mut slot = self.inner.token_endpoint.lock().await;
        if let Some((url, until)) = slot.as_ref()
            && now < *until
        {
            return Ok(url.clone());
        }
        let domain = &self.inner.domain;
        let resp = self
            .inner
            .http
            .get(format!("https://{domain}/.well-known/openid-configuration"))
            .header(http::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(transport)?;
        if !resp.status().is_success() {
            return Err(ExchangeError::Discovery("discovery document unavailable"));
        }
        let body = read_capped(resp).await?;
        let doc: Value = serde_json::from_slice(&body)
            .map_err(|_| ExchangeError::Discovery("discovery document is not JSON"))?;
        if doc.get("issuer").and_then(Value::as_str) != Some(&format!("https://{domain}/")) {
            return Err(ExchangeError::Discovery(
                "discovery issuer is not https://{domain}/",
            ));
        }
        let url = doc
            .get("token_endpoint")
            .and_then(Value::as_str)
            .filter(|u| url::Url::parse(u).is_ok_and(|p| p.scheme() == "https"))
            .ok_or(ExchangeError::Discovery("no https token_endpoint"))?
            .to_owned();
        // The client secret and the caller's token go to this URL: only to the tenant itself
        // (Auth0 serves its token endpoint on the domain it serves discovery on), never to a
        // host a discovery document names, which a proxy, a CDN or an override may have
        // written.
        if !on_domain(&url, domain) {
            tracing::warn!(
                domain = %domain,
                token_endpoint = %url,
                "token exchange refused: discovery names a token endpoint outside the tenant's domain"
            );
            return Err(ExchangeError::Discovery(
                "token_endpoint is not on the tenant's domain",
            ));
        }
        *slot = Some((url.clone(), now + DISCOVERY_TTL));
        Ok(url)
    }
}

/// Whether `url` has the origin `https://{domain}` (scheme, host and port; `domain` is a
/// checked, lower-cased `host[:port]`).
fn on_domain(url: &str, domain: &str) -> bool {
    match (
        url::Url::parse(url),
        url::Url::parse(&format!("https://{domain}/")),
    ) {
        (Ok(u), Ok(tenant)) => {
            u.origin() == tenant.origin() && u.username().is_empty() && u.password().is_none()
        }
        _ => false,
    }
}

/// A transport failure: 504 for a timeout, 502 for everything else.
fn transport(e: reqwest::Error) -> ExchangeError {
    if e.is_timeout() {
        ExchangeError::Timeout(e)
    } else {
        ExchangeError::Network(e)
    }
}

/// The body, at most [`MAX_RESPONSE_BYTES`] (a larger one is an invalid response).
async fn read_capped(mut resp: reqwest::Response) -> Result<Vec<u8>, ExchangeError> {
    let too_large = ExchangeError::InvalidResponse("Token endpoint response is too large.");
    if resp
        .content_length()
        .is_some_and(|l| l > MAX_RESPONSE_BYTES as u64)
    {
        return Err(too_large);
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(transport)? {
        if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(too_large);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::on_domain;

    #[test]
    fn a_token_endpoint_is_used_only_on_the_tenants_origin() {
        let d = "tenant.example.com";
        assert!(on_domain("https://tenant.example.com/oauth/token", d));
        assert!(on_domain("https://TENANT.example.com:443/oauth/token", d));
        assert!(on_domain(
            "https://localhost:8443/oauth/token",
            "localhost:8443"
        ));
        for foreign in [
            "https://evil.example/oauth/token",
            "https://tenant.example.com.evil.example/oauth/token",
            "https://tenant.example.com:8443/oauth/token",
            "http://tenant.example.com/oauth/token",
            "https://user@tenant.example.com/oauth/token",
            "https://:pw@tenant.example.com/oauth/token",
            "https://localhost:8444/oauth/token",
            "not a url",
        ] {
            let domain = if foreign.contains("localhost") {
                "localhost:8443"
            } else {
                d
            };
            assert!(!on_domain(foreign, domain), "{foreign}");
        }
    }
}
