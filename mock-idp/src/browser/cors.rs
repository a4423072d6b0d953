//! CORS for browser applications. Discovery and JWKS are public documents any origin may read
//! (SPAs fetch them). `/oauth/token`, `/userinfo` and `/oauth/revoke` answer scripts only from
//! an origin some application lists in its Allowed Web Origins.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::tenant::state::TenantState;

/// Adds CORS headers, and answers preflights for the paths that have them.
pub(crate) async fn cors(State(st): State<Arc<TenantState>>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let public = matches!(
        path,
        "/.well-known/openid-configuration"
            | "/.well-known/oauth-authorization-server"
            | "/.well-known/jwks.json"
    );
    let for_apps = matches!(path, "/oauth/token" | "/userinfo" | "/oauth/revoke");
    if !public && !for_apps {
        return next.run(req).await;
    }
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
        .map(str::to_owned);
    let allow = if public {
        Some(HeaderValue::from_static("*"))
    } else {
        origin
            .filter(|o| allowed_origin(&st, o))
            .and_then(|o| HeaderValue::from_str(&o).ok())
    };
    let preflight = req.method() == Method::OPTIONS;
    let mut res = if preflight {
        StatusCode::NO_CONTENT.into_response()
    } else {
        next.run(req).await
    };
    let h = res.headers_mut();
    if for_apps {
        h.append(header::VARY, HeaderValue::from_static("Origin"));
    }
    if let Some(allow) = allow {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, allow);
        h.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("DPoP-Nonce, WWW-Authenticate"),
        );
        if preflight {
            h.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static("GET, POST"),
            );
            h.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static("Authorization, Content-Type, DPoP, Auth0-Client"),
            );
            h.insert(
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from_static("86400"),
            );
        }
    }
    res
}

/// Whether `origin` is in some application's Allowed Web Origins.
fn allowed_origin(st: &TenantState, origin: &str) -> bool {
    st.config().applications.iter().any(|app| {
        app.web_origins
            .iter()
            .any(|w| url::Url::parse(w).is_ok_and(|u| u.origin().ascii_serialization() == origin))
    })
}
