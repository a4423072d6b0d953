//! The tenant's router: every face's routes (discovery, JWKS, the token endpoint, the browser
//! flows, the control API, the Test page) on one axum `Router`, plus the middleware that counts
//! calls, journals requests, injects faults and answers CORS.
//!
//! Shaped like mini-redis: the caller binds the listener and passes a shutdown future, so the
//! binary and in-process tests run exactly the same server.

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;

use crate::http::discovery::{authorization_server, discovery, jwks};
use crate::responses::{dropped_connection, not_found};
use crate::tenant::faults::{Endpoint, Fault};
use crate::tenant::state::TenantState;

/// Largest request body the tenant reads (anything bigger gets a 413).
pub(crate) const MAX_BODY: usize = 64 * 1024;
/// Largest body a control or Test page request may carry (a JWKS or discovery override, a
/// fault's body): 1 MiB, answered 413 beyond (the journal's `MAX_BODY` covers the rest).
pub(crate) const MAX_CONTROL_BODY: usize = 1 << 20;

/// `GET /health`: 200 while the tenant serves (container health checks, `mock-idp healthcheck`).
/// Not an Auth0 endpoint; never faulted, counted or journaled as one.
async fn health() -> Response {
    axum::Json(json!({ "status": "ok" })).into_response()
}

/// The tenant's router.
pub(crate) fn app(state: Arc<TenantState>) -> Router {
    Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route(
            "/.well-known/oauth-authorization-server",
            get(authorization_server),
        )
        .route("/.well-known/jwks.json", get(jwks))
        .route("/health", get(health))
        .route("/oauth/token", post(crate::token_endpoint::token))
        .route("/oauth/revoke", post(crate::token_endpoint::revoke::revoke))
        .route(
            "/oauth/device/code",
            post(crate::token_endpoint::device_code::device_authorization),
        )
        .route(
            "/mfa/associate",
            post(crate::token_endpoint::mfa_associate::associate),
        )
        .route(
            "/mfa/authenticators",
            get(crate::token_endpoint::mfa_authenticators::list),
        )
        .route("/authorize", get(crate::browser::authorize::authorize))
        .route(
            "/u/login",
            get(crate::browser::login::show).post(crate::browser::login::submit),
        )
        .route(
            crate::browser::invitation::SIGNUP_PATH,
            get(crate::browser::invitation::show).post(crate::browser::invitation::submit),
        )
        .route(
            crate::browser::activate::PATH,
            get(crate::browser::activate::show).post(crate::browser::activate::submit),
        )
        .route(
            crate::browser::mfa_challenge::PATH,
            get(crate::browser::mfa_challenge::show).post(crate::browser::mfa_challenge::submit),
        )
        .route(
            "/userinfo",
            get(crate::browser::userinfo::userinfo).post(crate::browser::userinfo::userinfo),
        )
        .route("/v2/logout", get(crate::browser::logout::v2_logout))
        .route("/oidc/logout", get(crate::browser::logout::oidc_logout))
        .route("/oidc/register", post(crate::registration::register))
        .merge(crate::control::router(state.clone()))
        .merge(crate::dashboard::router(state.clone()))
        .fallback(not_found)
        .layer(axum::extract::DefaultBodyLimit::max(MAX_CONTROL_BODY))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::browser::cors::cors,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .with_state(state)
}

fn endpoint_of(path: &str) -> Option<Endpoint> {
    match path {
        "/.well-known/openid-configuration" | "/.well-known/oauth-authorization-server" => {
            Some(Endpoint::Discovery)
        }
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
            .serve(app.into_make_service_with_connect_info::<std::net::SocketAddr>())
            .await
        }
        None => {
            let listener = tokio::net::TcpListener::from_std(listener)?;
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .with_graceful_shutdown(shutdown)
            .await
        }
    }
}
