//! A journal of the requests a tenant received, for assertions in tests.

use std::sync::{Arc, Mutex};

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
}

/// Shared, append-only list of requests.
#[derive(Debug, Clone, Default)]
pub(crate) struct Journal {
    inner: Arc<Mutex<Vec<RecordedRequest>>>,
}

impl Journal {
    pub(crate) fn record(&self, r: RecordedRequest) {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).push(r);
    }

    pub(crate) fn all(&self) -> Vec<RecordedRequest> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub(crate) fn clear(&self) {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}
