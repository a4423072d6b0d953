//! The tenant's HTTP surface: discovery, JWKS, the token endpoint and the browser flows
//! (authorize, login, userinfo, logout, revoke), plus the middleware that counts calls,
//! journals requests, injects faults and answers CORS.
//!
//! Shaped like mini-redis: the caller binds the listener and passes a shutdown future, so the
//! binary and in-process tests run exactly the same server.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, RwLock};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::authorize::{OIDC_SCOPES, ResponseMode};
use crate::codes::Codes;
use crate::control::upstream::Upstream;
use crate::domains::Domains;
use crate::exchange::Actions;
use crate::faults::{Endpoint, Fault, Faults};
use crate::journal::Journal;
use crate::mint::MintContext;
use crate::refresh::RefreshTokens;
use crate::session::{Sessions, Transactions};

/// Auth0's cache policy for discovery and JWKS.
pub(crate) const CACHE_CONTROL: &str =
    "public, max-age=15, stale-while-revalidate=15, stale-if-error=86400";

/// Largest request body the tenant reads (anything bigger gets a 413).
const MAX_BODY: usize = 64 * 1024;
/// Largest body a control or Test page request may carry (a JWKS or discovery override, a
/// fault's body): 1 MiB, answered 413 beyond (the journal's `MAX_BODY` covers the rest).
pub(crate) const MAX_CONTROL_BODY: usize = 1 << 20;

/// Everything a running tenant shares between its handlers and its test handle.
#[derive(Debug)]
pub(crate) struct TenantState {
    /// `https://host:port` (no trailing slash).
    pub(crate) base_url: String,
    pub(crate) mint: MintContext,
    pub(crate) faults: Faults,
    pub(crate) journal: Journal,
    pub(crate) jwks_override: RwLock<Option<Value>>,
    pub(crate) discovery_override: RwLock<Option<Value>>,
    /// Cache-Control overrides for discovery and JWKS: `Some(v)` serves `v`, `None` serves no
    /// header; an endpoint absent from the map serves Auth0's [`CACHE_CONTROL`].
    pub(crate) cache_control: RwLock<HashMap<Endpoint, Option<String>>>,
    /// DPoP proof `jti`s seen at the token endpoint, with their `iat`, for replay detection.
    pub(crate) seen_jti: crate::token_endpoint::dpop::SeenJtis,
    /// The nonce DPoP proofs must carry at the token endpoint (RFC 9449 §8); `None`: no nonces.
    pub(crate) dpop_nonce: RwLock<Option<String>>,
    /// Login sessions (SSO).
    pub(crate) sessions: Sessions,
    /// Logins waiting for the form.
    pub(crate) transactions: Transactions,
    /// Authorization codes.
    pub(crate) codes: Codes,
    /// Refresh tokens and their families.
    pub(crate) refresh_tokens: RefreshTokens,
    /// The user_id `/authorize` logs in without a form (headless tests), if any.
    pub(crate) auto_login: Option<String>,
    /// Print one JSON line per request on stdout (`mock-idp serve --log-format json`).
    pub(crate) access_log: std::sync::atomic::AtomicBool,
    /// The control API's admin secret; `None`: the control API is off (its paths answer 404).
    pub(crate) admin_secret: RwLock<Option<String>>,
    /// The CA certificate (PEM) clients trust, for the Test page; unset over plain HTTP.
    pub(crate) ca_pem: std::sync::OnceLock<String>,
    /// The names the tenant answers on (custom domains), the primary (`base_url`) first.
    pub(crate) domains: Domains,
    /// Exchange profiles' actions, by name.
    pub(crate) actions: Actions,
    /// Where discovery and JWKS are delegated (`PUT /control/upstream`); `None`: served here.
    pub(crate) upstream: RwLock<Option<Upstream>>,
    /// Test page sessions (the cookie's ids).
    pub(crate) admin_sessions: crate::access::AdminSessions,
}

impl TenantState {
    pub(crate) fn new(
        base_url: String,
        mint: MintContext,
        domains: Domains,
        actions: Actions,
    ) -> Self {
        TenantState {
            domains,
            actions,
            base_url,
            mint,
            faults: Faults::default(),
            journal: Journal::default(),
            jwks_override: RwLock::new(None),
            discovery_override: RwLock::new(None),
            cache_control: RwLock::new(HashMap::new()),
            seen_jti: Default::default(),
            dpop_nonce: RwLock::new(None),
            sessions: Sessions::default(),
            transactions: Transactions::default(),
            codes: Codes::default(),
            refresh_tokens: RefreshTokens::default(),
            auto_login: None,
            access_log: std::sync::atomic::AtomicBool::new(false),
            admin_secret: RwLock::new(None),
            ca_pem: std::sync::OnceLock::new(),
            upstream: RwLock::new(None),
            admin_sessions: Default::default(),
        }
    }

    /// The upstream discovery and JWKS are delegated to, if any.
    pub(crate) fn upstream(&self) -> Option<Upstream> {
        self.upstream
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Whether the tenant serves HTTPS (cookies are then `Secure`).
    pub(crate) fn is_https(&self) -> bool {
        self.base_url.starts_with("https://")
    }

    pub(crate) fn token_endpoint(&self) -> String {
        format!("{}/oauth/token", self.base_url)
    }

    /// The domain a request is for, from its `Host` (custom domains).
    pub(crate) fn domain_of(&self, headers: &axum::http::HeaderMap) -> &str {
        let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
        self.domains.for_host(host)
    }

    /// What tokens minted for a request on `headers` need: the issuer of its domain.
    pub(crate) fn mint_for(&self, headers: &axum::http::HeaderMap) -> MintContext {
        let origin = self.domains.origin(self.domain_of(headers));
        MintContext {
            issuer: format!("{origin}/"),
            userinfo: format!("{origin}/userinfo"),
            ..self.mint.clone()
        }
    }

    /// The discovery document served on the domain of `headers`: the override if set, else
    /// the real one.
    pub(crate) fn discovery(&self, headers: &axum::http::HeaderMap) -> Value {
        self.discovery_override
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .unwrap_or_else(|| self.discovery_for(&self.domains.origin(self.domain_of(headers))))
    }

    /// The discovery document of the primary domain, shaped like an Auth0 tenant's.
    pub(crate) fn real_discovery(&self) -> Value {
        self.discovery_for(&self.base_url)
    }

    /// The discovery document of the domain at `origin` (`scheme://host:port`).
    fn discovery_for(&self, origin: &str) -> Value {
        let b = origin;
        let mut scopes: Vec<String> = OIDC_SCOPES.iter().map(|s| (*s).to_owned()).collect();
        for api in &self.mint.config.apis {
            for p in &api.permissions {
                if !scopes.contains(p) {
                    scopes.push(p.clone());
                }
            }
        }
        let mut pkce = vec!["S256"];
        if self
            .mint
            .config
            .applications
            .iter()
            .any(|a| a.allow_plain_pkce)
        {
            pkce.push("plain");
        }
        // Exactly what is served: every endpoint here answers (a test walks them).
        json!({
            "issuer": format!("{b}/"),
            "authorization_endpoint": format!("{b}/authorize"),
            "token_endpoint": format!("{b}/oauth/token"),
            "userinfo_endpoint": format!("{b}/userinfo"),
            "jwks_uri": format!("{b}/.well-known/jwks.json"),
            "revocation_endpoint": format!("{b}/oauth/revoke"),
            "end_session_endpoint": format!("{b}/oidc/logout"),
            "scopes_supported": scopes,
            "response_types_supported": ["code"],
            "response_modes_supported": ResponseMode::NAMES,
            "code_challenge_methods_supported": pkce,
            "subject_types_supported": ["public"],
            "grant_types_supported": [
                "client_credentials",
                "authorization_code",
                "refresh_token",
                "urn:ietf:params:oauth:grant-type:token-exchange",
                "urn:auth0:params:oauth:grant-type:token-exchange:federated-connection-access-token",
            ],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "dpop_signing_alg_values_supported": ["ES256"],
            "request_parameter_supported": false,
            "request_uri_parameter_supported": false,
            "claims_supported": [
                "aud", "auth_time", "email", "email_verified", "exp", "family_name", "given_name",
                "iat", "iss", "name", "nickname", "picture", "sid", "sub", "updated_at", "nonce",
                "scope", "azp", "gty", "client_id", "jti", "permissions", "cnf",
            ],
        })
    }

    /// The control API's admin secret, if the control API is on.
    pub(crate) fn admin_secret(&self) -> Option<String> {
        self.admin_secret
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The identifier of the tenant's Management API, `https://{domain}/api/v2/`.
    pub(crate) fn management_audience(&self) -> String {
        format!("{}api/v2/", self.mint.issuer)
    }

    /// Requires (or rotates) a DPoP nonce at the token endpoint; returns it.
    pub(crate) fn require_dpop_nonce(&self) -> String {
        let nonce = crate::jose::random_id();
        *self.dpop_nonce.write().unwrap_or_else(|e| e.into_inner()) = Some(nonce.clone());
        nonce
    }

    pub(crate) fn current_dpop_nonce(&self) -> Option<String> {
        self.dpop_nonce
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The Cache-Control value `endpoint` serves (`None`: no header).
    pub(crate) fn cache_control(&self, endpoint: Endpoint) -> Option<String> {
        self.cache_control
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&endpoint)
            .cloned()
            .unwrap_or_else(|| Some(CACHE_CONTROL.to_owned()))
    }

    pub(crate) fn jwks(&self) -> Value {
        self.jwks_override
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .unwrap_or_else(|| self.mint.keys.jwks())
    }
}

/// `GET /health`: 200 while the tenant serves (container health checks, `mock-idp healthcheck`).
/// Not an Auth0 endpoint; never faulted, counted or journaled as one.
async fn health() -> Response {
    axum::Json(json!({ "status": "ok" })).into_response()
}

/// The tenant's router.
pub(crate) fn app(state: Arc<TenantState>) -> Router {
    Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/.well-known/jwks.json", get(jwks))
        .route("/health", get(health))
        .route("/oauth/token", post(crate::token_endpoint::token))
        .route("/oauth/revoke", post(crate::token_endpoint::revoke::revoke))
        .route("/authorize", get(crate::authorize::authorize))
        .route(
            "/u/login",
            get(crate::login::show).post(crate::login::submit),
        )
        .route(
            "/userinfo",
            get(crate::userinfo::userinfo).post(crate::userinfo::userinfo),
        )
        .route("/v2/logout", get(crate::logout::v2_logout))
        .route("/oidc/logout", get(crate::logout::oidc_logout))
        .merge(crate::control::router(state.clone()))
        .merge(crate::dashboard::router(state.clone()))
        .fallback(not_found)
        .layer(axum::extract::DefaultBodyLimit::max(MAX_CONTROL_BODY))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::cors::cors,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .with_state(state)
}

/// `v` as JSON with the Cache-Control `endpoint` serves (none if it is overridden to none or
/// to a value that is not a valid header value).
fn cached_json(st: &TenantState, endpoint: Endpoint, v: Value) -> Response {
    let mut res = axum::Json(v).into_response();
    if let Some(cc) = st
        .cache_control(endpoint)
        .and_then(|cc| HeaderValue::from_str(&cc).ok())
    {
        res.headers_mut().insert(header::CACHE_CONTROL, cc);
    }
    res
}

async fn discovery(
    State(st): State<Arc<TenantState>>,
    uri: Uri,
    headers: axum::http::HeaderMap,
) -> Response {
    if let Some(up) = st.upstream() {
        return crate::control::upstream::forward(&up, &uri, &headers).await;
    }
    cached_json(&st, Endpoint::Discovery, st.discovery(&headers))
}

async fn jwks(
    State(st): State<Arc<TenantState>>,
    uri: Uri,
    headers: axum::http::HeaderMap,
) -> Response {
    if let Some(up) = st.upstream() {
        return crate::control::upstream::forward(&up, &uri, &headers).await;
    }
    cached_json(&st, Endpoint::Jwks, st.jwks())
}

pub(crate) async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        axum::Json(json!({"error": "not_found", "error_description": "Not Found"})),
    )
        .into_response()
}

fn endpoint_of(path: &str) -> Option<Endpoint> {
    match path {
        "/.well-known/openid-configuration" => Some(Endpoint::Discovery),
        "/.well-known/jwks.json" => Some(Endpoint::Jwks),
        "/oauth/token" => Some(Endpoint::Token),
        _ => None,
    }
}

/// Journals the request, counts the call, and applies any fault before the real handler.
async fn observe(State(st): State<Arc<TenantState>>, req: Request, next: Next) -> Response {
    // Health probes every few seconds would crowd the journal out, and steering the tenant is
    // not traffic to it.
    let path = req.uri().path();
    if path == "/health"
        || crate::control::is_control_path(path)
        || crate::dashboard::is_dashboard_path(path)
    {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY).await else {
        return (
            StatusCode::PAYLOAD_TOO_LARGE,
            axum::Json(
                json!({"error": "invalid_request", "error_description": "Request body too large"}),
            ),
        )
            .into_response();
    };
    st.journal.capture(&parts, &bytes);
    let started = std::time::Instant::now();
    let (method, path) = (parts.method.clone(), parts.uri.path().to_owned());
    let res = respond(&st, parts, bytes, next).await;
    if st.access_log.load(std::sync::atomic::Ordering::Relaxed) {
        println!(
            "{}",
            json!({
                "event": "request",
                "method": method.as_str(),
                "path": path,
                "status": res.status().as_u16(),
                "ms": started.elapsed().as_secs_f64() * 1000.0,
            })
        );
    }
    res
}

/// The faulted answer if a fault applies, else the handler's.
async fn respond(
    st: &TenantState,
    parts: axum::http::request::Parts,
    bytes: Bytes,
    next: Next,
) -> Response {
    if let Some(ep) = endpoint_of(parts.uri.path()) {
        for fault in st.faults.on_call(ep) {
            match fault {
                Fault::Delay(d) => tokio::time::sleep(d).await,
                other => return fault_response(other, st.mint.clock.now()),
            }
        }
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// Seconds a client is told to wait after an injected 429.
const RATE_LIMIT_RETRY_AFTER: i64 = 2;

fn fault_response(fault: Fault, now: i64) -> Response {
    match fault {
        // Auth0's rate limit: `too_many_requests` with `Retry-After` and `x-ratelimit-*`.
        Fault::Status(429) => {
            let reset = (now + RATE_LIMIT_RETRY_AFTER).to_string();
            let retry = RATE_LIMIT_RETRY_AFTER.to_string();
            (
                StatusCode::TOO_MANY_REQUESTS,
                [
                    ("retry-after", retry),
                    ("x-ratelimit-limit", "30".to_owned()),
                    ("x-ratelimit-remaining", "0".to_owned()),
                    ("x-ratelimit-reset", reset),
                ],
                axum::Json(json!({
                    "error": "too_many_requests",
                    "error_description": "Global limit has been reached",
                })),
            )
                .into_response()
        }
        Fault::Status(code) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (
                status,
                axum::Json(json!({
                    "error": "injected_fault",
                    "error_description": format!("mock-idp injected status {code}"),
                })),
            )
                .into_response()
        }
        Fault::MalformedBody => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            "{\"keys\": [{\"kty\": \"RSA\", \"n\": ",
        )
            .into_response(),
        Fault::Redirect { status, location } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::FOUND);
            match HeaderValue::from_str(&location) {
                Ok(loc) => (status, [(header::LOCATION, loc)]).into_response(),
                Err(_) => status.into_response(),
            }
        }
        Fault::Respond {
            status,
            content_type,
            body,
        } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            let ct = HeaderValue::from_str(&content_type)
                .unwrap_or(HeaderValue::from_static("application/octet-stream"));
            (status, [(header::CONTENT_TYPE, ct)], body).into_response()
        }
        Fault::DropConnection | Fault::Delay(_) => dropped_connection(),
    }
}

/// A response whose body fails on its first poll, which makes hyper abort the connection
/// mid-response: the client sees a dropped connection, not an answer.
pub(crate) fn dropped_connection() -> Response {
    let stream = futures::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::other("mock-idp dropped the connection"))
    });
    (
        [(header::CONTENT_LENGTH, HeaderValue::from_static("100"))],
        Body::from_stream(stream),
    )
        .into_response()
}

/// Serves `app` on `listener` (HTTPS when `tls` is given) until `shutdown` completes.
pub(crate) async fn run(
    listener: std::net::TcpListener,
    app: Router,
    tls: Option<Arc<rustls::ServerConfig>>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    listener.set_nonblocking(true)?;
    match tls {
        Some(cfg) => {
            let handle = axum_server::Handle::new();
            let h = handle.clone();
            tokio::spawn(async move {
                shutdown.await;
                // Finish the requests in flight (a container's SIGTERM), then stop.
                h.graceful_shutdown(Some(std::time::Duration::from_secs(10)));
            });
            axum_server::from_tcp_rustls(
                listener,
                axum_server::tls_rustls::RustlsConfig::from_config(cfg),
            )?
            .handle(handle)
            .serve(app.into_make_service())
            .await
        }
        None => {
            let listener = tokio::net::TcpListener::from_std(listener)?;
            axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await
        }
    }
}
