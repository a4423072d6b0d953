//! The demo's sample web page (`/demo`): "log in / call the API / log out" in plain HTML and a
//! little inline JavaScript doing the authorization code flow with PKCE against the embedded
//! tenant, so a newcomer sees a user log in and call `/api/private` end to end.
//!
//! The page is served by the API's own server (same origin as `/api/private`); the tenant lists
//! its callback, logout URL and origin in the SPA application's settings.

use axum::Router;
use axum::response::Html;
use axum::routing::get;
use serde_json::json;

/// Where the page lives on the API.
pub const PAGE_PATH: &str = "/demo";
/// Its callback (the same page; the script sees the code).
pub const CALLBACK_PATH: &str = "/demo/callback";

/// What the page's script needs to know.
#[derive(Debug, Clone)]
pub struct PageConfig {
    /// `https://127.0.0.1:PORT` of the tenant.
    pub tenant: String,
    /// The public application's client_id.
    pub client_id: String,
    /// The API identifier.
    pub audience: String,
    /// `http://127.0.0.1:PORT` of the API.
    pub api_url: String,
}

/// The page's routes.
pub fn router(config: &PageConfig) -> Router {
    let html = page(config);
    let html2 = html.clone();
    Router::new()
        .route(PAGE_PATH, get(move || async move { Html(html) }))
        .route(CALLBACK_PATH, get(move || async move { Html(html2) }))
}

/// The page with its configuration inlined as JSON. `<` is escaped so that no value can close
/// the script element.
fn page(c: &PageConfig) -> String {
    let config = json!({
        "tenant": c.tenant,
        "clientId": c.client_id,
        "audience": c.audience,
        "redirectUri": format!("{}{CALLBACK_PATH}", c.api_url),
        "home": format!("{}{PAGE_PATH}", c.api_url),
        "callbackPath": CALLBACK_PATH,
    })
    .to_string()
    .replace('<', "\\u003c");
    include_str!("demo_page.html").replace("__CONFIG__", &config)
}
