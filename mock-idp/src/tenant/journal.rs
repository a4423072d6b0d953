//! A journal of the requests a tenant received, for assertions in tests.
//!
//! Anyone who reaches the tenant's port writes to it, so it is bounded three ways: each field
//! is capped before it is kept ([`MAX_HEADER_VALUE`], [`MAX_HEADERS`], [`MAX_BODY`],
//! [`MAX_TARGET`]), and the journal as a whole by entries ([`JOURNAL_CAPACITY`]) and bytes
//! ([`JOURNAL_MAX_BYTES`]), the oldest going first.
//!
//! The faces that show the journal to others (`GET /control/journal`, the Test page) replace
//! credentials (passwords, client secrets, refresh tokens, codes, `Authorization`, `DPoP`,
//! cookies) with [`REDACTED`] unless the tenant was started to keep them (`mock-idp serve
//! --journal-credentials`, [`crate::TenantBuilder::journal_credentials`]): whoever may read the
//! journal there may steer the tenant, but need not learn every user's password. The Rust
//! handle ([`crate::handles::Journal::received_requests`]) is held only by the test that started the
//! tenant and sees what clients sent, as wiremock's `received_requests` does.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// How many requests the journal keeps, at most.
pub(crate) const JOURNAL_CAPACITY: usize = 10_000;
/// How many bytes of requests the journal keeps, at most (16 MiB).
pub(crate) const JOURNAL_MAX_BYTES: usize = 16 << 20;
/// Longest header value kept (bytes); a longer one is cut and marked with `…`.
pub(crate) const MAX_HEADER_VALUE: usize = 1024;
/// Most header fields kept per request.
pub(crate) const MAX_HEADERS: usize = 64;
/// Longest body kept (bytes).
pub(crate) const MAX_BODY: usize = 16 * 1024;
/// Longest path, and longest query, kept (bytes).
pub(crate) const MAX_TARGET: usize = 4096;
/// What a credential is replaced with.
pub(crate) const REDACTED: &str = "[redacted]";

/// Headers that carry credentials.
const SECRET_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "dpop",
    "cookie",
    "x-api-key",
];
/// Form, JSON and query fields that carry credentials.
const SECRET_FIELDS: &[&str] = &[
    "password",
    "client_secret",
    "client_assertion",
    "refresh_token",
    "code",
    "code_verifier",
    "subject_token",
    "actor_token",
    "access_token",
    "id_token",
    "token",
    "secret",
    // An Action's `secrets` (the Management API's `[{name, value}]`).
    "secrets",
    // One-time secrets of the MFA API and of organization invitations (`/authorize`'s query).
    "mfa_token",
    "otp",
    "recovery_code",
    "invitation",
];

/// One received request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// HTTP method.
    pub method: String,
    /// Path without the query.
    pub path: String,
    /// Raw query string, if any.
    pub query: Option<String>,
    /// Header fields in arrival order (names lower-case; repeated fields stay separate).
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl RecordedRequest {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as UTF-8 (lossy).
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The request as the journal keeps it: every field capped before anything is kept.
    pub(crate) fn capture(parts: &axum::http::request::Parts, body: &[u8]) -> Self {
        let headers = parts
            .headers
            .iter()
            .take(MAX_HEADERS)
            .map(|(n, v)| {
                let value = truncate(&String::from_utf8_lossy(v.as_bytes()), MAX_HEADER_VALUE);
                (n.as_str().to_owned(), value)
            })
            .collect();
        RecordedRequest {
            method: truncate(parts.method.as_str(), 32),
            path: truncate(parts.uri.path(), MAX_TARGET),
            query: parts.uri.query().map(|q| truncate(q, MAX_TARGET)),
            headers,
            body: body[..body.len().min(MAX_BODY)].to_vec(),
        }
    }

    /// A copy with every credential (header, query or body field) replaced by [`REDACTED`].
    pub(crate) fn redacted(&self) -> Self {
        RecordedRequest {
            method: self.method.clone(),
            path: self.path.clone(),
            query: self
                .query
                .as_ref()
                .map(|q| redact_form(q).unwrap_or_else(|| q.clone())),
            headers: self
                .headers
                .iter()
                .map(|(n, v)| {
                    let v = if SECRET_HEADERS.contains(&n.as_str()) {
                        REDACTED.to_owned()
                    } else {
                        v.clone()
                    };
                    (n.clone(), v)
                })
                .collect(),
            body: redact_body(&self.body).unwrap_or_else(|| self.body.clone()),
        }
    }

    /// Roughly what the entry holds in memory.
    fn footprint(&self) -> usize {
        self.method.len()
            + self.path.len()
            + self.query.as_ref().map_or(0, String::len)
            + self
                .headers
                .iter()
                .map(|(n, v)| n.len() + v.len() + 48)
                .sum::<usize>()
            + self.body.len()
            + 160
    }
}

/// `s` cut to at most `max` bytes (on a character boundary), marked with `…` when cut.
fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// A form-encoded string with its credential fields redacted; `None` if it has none.
fn redact_form(text: &str) -> Option<String> {
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(text.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if !pairs
        .iter()
        .any(|(k, _)| SECRET_FIELDS.contains(&k.as_str()))
    {
        return None;
    }
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in &pairs {
        let v = if SECRET_FIELDS.contains(&k.as_str()) {
            REDACTED
        } else {
            v
        };
        out.append_pair(k, v);
    }
    Some(out.finish())
}

/// A JSON object or form body with its credential fields redacted; `None` if it has none (or
/// is neither).
fn redact_body(body: &[u8]) -> Option<Vec<u8>> {
    if let Ok(serde_json::Value::Object(mut map)) = serde_json::from_slice(body) {
        let mut changed = false;
        for (k, v) in map.iter_mut() {
            if SECRET_FIELDS.contains(&k.as_str()) {
                *v = serde_json::Value::String(REDACTED.into());
                changed = true;
            }
        }
        return changed.then(|| serde_json::Value::Object(map).to_string().into_bytes());
    }
    let text = std::str::from_utf8(body).ok()?;
    redact_form(text).map(String::into_bytes)
}

/// Shared list of the most recent requests, bounded by [`JOURNAL_CAPACITY`] and
/// [`JOURNAL_MAX_BYTES`].
#[derive(Debug, Clone, Default)]
pub(crate) struct Journal {
    inner: Arc<Mutex<Kept>>,
    keep_credentials: Arc<AtomicBool>,
}

#[derive(Debug, Default)]
struct Kept {
    requests: VecDeque<(usize, RecordedRequest)>,
    bytes: usize,
}

impl Journal {
    /// Keeps credentials in clear from now on (debugging; off by default).
    pub(crate) fn keep_credentials(&self, keep: bool) {
        self.keep_credentials.store(keep, Ordering::Relaxed);
    }

    /// Records a request received with `parts` and `body` (capped).
    pub(crate) fn capture(&self, parts: &axum::http::request::Parts, body: &[u8]) {
        self.record(RecordedRequest::capture(parts, body));
    }

    pub(crate) fn record(&self, r: RecordedRequest) {
        let size = r.footprint();
        let mut k = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        while k.requests.len() >= JOURNAL_CAPACITY
            || (!k.requests.is_empty() && k.bytes + size > JOURNAL_MAX_BYTES)
        {
            if let Some((s, _)) = k.requests.pop_front() {
                k.bytes -= s;
            }
        }
        k.bytes += size;
        k.requests.push_back((size, r));
    }

    /// `f` of each of the `limit` most recent requests as the control API and the Test page
    /// show them (credentials redacted unless kept), oldest first, under the lock: no copy of
    /// the whole journal is made to read a few entries.
    pub(crate) fn map_recent<T>(
        &self,
        limit: usize,
        mut f: impl FnMut(&RecordedRequest) -> T,
    ) -> Vec<T> {
        let keep = self.keep_credentials.load(Ordering::Relaxed);
        let k = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let skip = k.requests.len().saturating_sub(limit);
        k.requests
            .iter()
            .skip(skip)
            .map(|(_, r)| if keep { f(r) } else { f(&r.redacted()) })
            .collect()
    }

    /// Every kept request as received, oldest first (a copy, for the Rust handle).
    pub(crate) fn all(&self) -> Vec<RecordedRequest> {
        let k = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        k.requests.iter().map(|(_, r)| r.clone()).collect()
    }

    pub(crate) fn clear(&self) {
        let mut k = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        k.requests.clear();
        k.bytes = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(path: String, body: Vec<u8>) -> RecordedRequest {
        RecordedRequest {
            method: "GET".into(),
            path,
            query: None,
            headers: Vec::new(),
            body,
        }
    }

    #[test]
    fn journal_keeps_only_the_most_recent_requests() {
        let j = Journal::default();
        for i in 0..JOURNAL_CAPACITY + 5 {
            j.record(request(format!("/{i}"), Vec::new()));
        }
        let all = j.all();
        assert_eq!(all.len(), JOURNAL_CAPACITY);
        assert_eq!(all[0].path, "/5");
    }

    #[test]
    fn journal_keeps_at_most_its_byte_budget() {
        let j = Journal::default();
        for i in 0..2_000 {
            j.record(request(format!("/{i}"), vec![b'x'; MAX_BODY]));
        }
        let k = j.inner.lock().unwrap();
        assert!(k.bytes <= JOURNAL_MAX_BYTES, "{}", k.bytes);
        assert_eq!(k.requests.len(), JOURNAL_MAX_BYTES / (MAX_BODY + 160 + 5));
        assert_eq!(k.requests.back().unwrap().1.path, "/1999");
    }

    #[test]
    fn capture_caps_fields_and_redacts_credentials() {
        let req = axum::http::Request::post("/oauth/token?code=abc&x=1")
            .header("authorization", "Basic c2VjcmV0")
            .header("x-pad", "p".repeat(100_000))
            .body(())
            .unwrap();
        let (parts, ()) = req.into_parts();
        let body = b"grant_type=password&username=u&password=Passw0rd%21";
        let kept = RecordedRequest::capture(&parts, body);
        assert_eq!(
            kept.header("x-pad").unwrap().len(),
            MAX_HEADER_VALUE + '…'.len_utf8()
        );
        assert_eq!(kept.header("authorization"), Some("Basic c2VjcmV0"));
        assert_eq!(kept.body, body);
        let r = kept.redacted();
        assert_eq!(r.header("authorization"), Some(REDACTED));
        assert_eq!(r.query.as_deref(), Some("code=%5Bredacted%5D&x=1"));
        assert_eq!(
            r.body_text(),
            "grant_type=password&username=u&password=%5Bredacted%5D"
        );
    }
}
