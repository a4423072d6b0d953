//! A journal of the requests a tenant received, for assertions in tests.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// How many requests the journal keeps. A long-running `mock-idp serve` under load must not
/// grow without bound; tests never come near this.
pub(crate) const JOURNAL_CAPACITY: usize = 10_000;

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

/// Shared list of the most recent [`JOURNAL_CAPACITY`] requests.
#[derive(Debug, Clone, Default)]
pub(crate) struct Journal {
    inner: Arc<Mutex<VecDeque<RecordedRequest>>>,
}

impl Journal {
    pub(crate) fn record(&self, r: RecordedRequest) {
        let mut q = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if q.len() >= JOURNAL_CAPACITY {
            q.pop_front();
        }
        q.push_back(r);
    }

    pub(crate) fn all(&self) -> Vec<RecordedRequest> {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .cloned()
            .collect()
    }

    pub(crate) fn clear(&self) {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn journal_keeps_only_the_most_recent_requests() {
        let j = Journal::default();
        for i in 0..JOURNAL_CAPACITY + 5 {
            j.record(RecordedRequest {
                method: "GET".into(),
                path: format!("/{i}"),
                query: None,
                headers: Vec::new(),
                body: Vec::new(),
            });
        }
        let all = j.all();
        assert_eq!(all.len(), JOURNAL_CAPACITY);
        assert_eq!(all[0].path, "/5");
    }
}
