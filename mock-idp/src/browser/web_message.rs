//! `response_mode=web_message`: how a single-page application authenticates silently (a
//! hidden iframe with `prompt=none`) or in a popup, as Auth0 does it. Instead of redirecting,
//! `/authorize` answers with a page whose script calls
//! `postMessage({type: "authorization_response", response: {...}}, origin)` on the window that
//! framed it (or opened it); `response` is `{code, state}` or `{error, error_description,
//! state}`. auth0-spa-js takes the message only from the tenant's origin and checks `state`.
//!
//! Two rules keep the code from leaking to another site:
//! - the message is addressed to the origin of the `redirect_uri`, and that origin must be one
//!   of the application's Allowed Web Origins (`web_origins`), checked before anything is
//!   answered in this mode: a request that fails it gets an error page and nothing is posted;
//! - the page may be framed by that origin only (CSP `frame-ancestors`), so another site cannot
//!   frame it to watch it, and its one script runs by hash (CSP `script-src`), nothing else.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::config::ApplicationConfig;
use crate::jose::sha256;

/// The origin (`scheme://host:port`) of `url`, if it has one (`http`/`https`).
fn origin_of(url: &str) -> Option<String> {
    let origin = url::Url::parse(url).ok()?.origin();
    origin.is_tuple().then(|| origin.ascii_serialization())
}

/// Whether `app` lets `redirect_uri`'s origin receive a web message: its origin must be one
/// of the Allowed Web Origins (compared as origins, so a trailing slash does not matter).
pub(crate) fn origin_allowed(app: &ApplicationConfig, redirect_uri: &str) -> bool {
    let Some(origin) = origin_of(redirect_uri) else {
        return false;
    };
    app.web_origins
        .iter()
        .any(|o| origin_of(o).as_deref() == Some(origin.as_str()))
}

/// `v` as a JavaScript literal that is safe inside a `<script>` element: JSON with `<`, `>`,
/// `&` and the two JavaScript line separators escaped, so no value can close the element.
fn script_literal(v: &Value) -> String {
    let mut out = String::new();
    for c in v.to_string().chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// The page that posts `params` to the window that framed or opened it, addressed to
/// `redirect_uri`'s origin (already checked against the Allowed Web Origins).
pub(crate) fn page(redirect_uri: &str, params: &[(&str, String)]) -> Response {
    let Some(origin) = origin_of(redirect_uri) else {
        return crate::browser::html::error_page(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "The redirect_uri has no origin to post a web message to",
        );
    };
    let response: Map<String, Value> = params
        .iter()
        .map(|(k, v)| ((*k).to_owned(), json!(v)))
        .collect();
    let message = json!({ "type": "authorization_response", "response": response });
    // As Auth0's page: the opener for a popup, else the parent for an iframe.
    let script = format!(
        "(function(){{var targetOrigin={};var authorizationResponse={};\
         var mainWin=window.opener?window.opener:window.parent;\
         mainWin.postMessage(authorizationResponse,targetOrigin);}})();",
        script_literal(&json!(origin)),
        script_literal(&message),
    );
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>Authorization Response</title></head><body><script>{script}</script></body></html>\n"
    );
    let hash = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, sha256(&script));
    let csp = format!("default-src 'none'; script-src 'sha256-{hash}'; frame-ancestors {origin}");
    let mut res = (StatusCode::OK, html).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    // The origin is a URL origin: always a valid header value.
    if let Ok(v) = HeaderValue::from_str(&csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_value_can_close_the_script_element() {
        let lit = script_literal(&json!({"state": "</script><script>alert(1)</script>&\u{2028}"}));
        assert!(!lit.contains('<') && !lit.contains('>') && !lit.contains('&'));
        assert!(!lit.contains('\u{2028}'));
    }

    #[test]
    fn origins_compare_as_origins() {
        let mut app = ApplicationConfig::machine("c", "");
        app.web_origins = vec!["https://app.example/".into()];
        assert!(origin_allowed(&app, "https://app.example/callback"));
        assert!(!origin_allowed(&app, "https://app.example:444/callback"));
        assert!(!origin_allowed(&app, "http://app.example/callback"));
        assert!(!origin_allowed(&app, "https://evil.example/callback"));
    }
}
