//! The tenant's HTML: one page shell (inline CSS, no external assets, so it works offline),
//! the error page, and the auto-submitting `form_post` page. Every value that reaches markup
//! goes through [`escape`].

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::jose::sha256;

/// Escapes text for HTML element content and double-quoted attributes (OWASP's five
/// characters). Written here rather than pulled from a crate: five replacements are all a
/// tenant that builds a handful of pages by hand needs.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;background:#f4f5f7;margin:0;color:#1e212a}\
main{max-width:380px;margin:8vh auto;background:#fff;border-radius:6px;padding:32px;box-shadow:0 4px 16px rgba(0,0,0,.12)}\
h1{font-size:1.4em;margin:0 0 8px}p{line-height:1.4}label{display:block;margin:16px 0 4px;font-weight:600}\
input{width:100%;box-sizing:border-box;padding:10px;border:1px solid #c9cace;border-radius:3px;font-size:1em}\
button{margin-top:24px;width:100%;padding:12px;border:0;border-radius:3px;background:#635dff;color:#fff;font-size:1em;cursor:pointer}\
.error{background:#fde8e8;color:#a4111e;padding:10px;border-radius:3px;margin-top:16px}.hint{color:#65676e;font-size:.9em}";

/// A complete page around `body` (already escaped markup).
pub(crate) fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head><body><main>{body}</main></body></html>\n",
        escape(title)
    )
}

/// An HTML response with headers that keep it out of caches and frames; the CSP allows only
/// inline style, forms posting back to the tenant, and `extra` (e.g. a form target).
pub(crate) fn respond(status: StatusCode, html: String, csp_extra: &str) -> Response {
    let csp = format!(
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'{csp_extra}; frame-ancestors 'none'"
    );
    let mut res = (status, html).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    if let Ok(v) = HeaderValue::from_str(&csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    res
}

/// Auth0's error page: shown instead of redirecting when the client or redirect URI cannot be
/// trusted (RFC 6749 §4.1.2.1).
pub(crate) fn error_page(status: StatusCode, error: &str, description: &str) -> Response {
    let body = format!(
        "<h1>Oops!, something went wrong</h1>\
         <p data-testid=\"error-code\">{}</p><p data-testid=\"error-description\">{}</p>",
        escape(error),
        escape(description)
    );
    respond(status, page("Error", &body), "")
}

/// The script that submits the `form_post` form; allowed by its hash, nothing else runs.
const SUBMIT_SCRIPT: &str = "document.forms[0].submit()";

/// OAuth 2.0 Form Post Response Mode: a page that POSTs `params` to `action`.
pub(crate) fn form_post(action: &str, params: &[(&str, String)]) -> Response {
    let inputs: String = params
        .iter()
        .map(|(k, v)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                escape(k),
                escape(v)
            )
        })
        .collect();
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Submit This Form</title></head>\
         <body><form method=\"post\" action=\"{}\">{inputs}<noscript><button type=\"submit\">Continue</button></noscript></form>\
         <script>{SUBMIT_SCRIPT}</script></body></html>\n",
        escape(action)
    );
    let hash = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        sha256(SUBMIT_SCRIPT),
    );
    let origin = url::Url::parse(action)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default();
    let mut res = respond(StatusCode::OK, html, &format!(" {origin}"));
    let csp = format!(
        "default-src 'none'; script-src 'sha256-{hash}'; form-action {origin}; frame-ancestors 'none'"
    );
    if let Ok(v) = HeaderValue::from_str(&csp) {
        res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#x27;&amp;&#x27;&lt;/a&gt;"
        );
    }
}
