//! A fixed-window rate bound: at most `limit` events per window of real time. Used where an
//! unauthenticated caller can make the tenant store something (dynamic client registration).

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// At most [`Window::LIMIT`] events per [`Window::PERIOD`].
#[derive(Debug, Default)]
pub(crate) struct Window {
    state: Mutex<Option<(Instant, u32)>>,
}

impl Window {
    /// Events allowed per period.
    pub(crate) const LIMIT: u32 = 20;
    /// The period.
    pub(crate) const PERIOD: Duration = Duration::from_secs(60);

    /// Counts one event; `Err(seconds until the window ends)` when the bound is reached.
    pub(crate) fn admit(&self) -> Result<(), u64> {
        let now = Instant::now();
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let (start, n) = match *s {
            Some((start, n)) if now.duration_since(start) < Self::PERIOD => (start, n),
            _ => (now, 0),
        };
        if n >= Self::LIMIT {
            let left = Self::PERIOD.saturating_sub(now.duration_since(start));
            return Err(left.as_secs().max(1));
        }
        *s = Some((start, n + 1));
        Ok(())
    }
}
