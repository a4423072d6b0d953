//! A fixed-window rate bound: at most `limit` events per window of the tenant's clock. Used
//! where an unauthenticated caller can make the tenant store something (dynamic client
//! registration). The window reads the tenant's virtual clock (`tenant.clock()`), as every
//! other lifetime in the tenant does, so a test can move past a window instead of waiting
//! a minute.

use std::sync::Mutex;

/// At most [`Window::LIMIT`] events per [`Window::PERIOD`] seconds.
#[derive(Debug, Default)]
pub(crate) struct Window {
    /// The window's start (unix seconds of the tenant clock) and its count.
    state: Mutex<Option<(i64, u32)>>,
}

impl Window {
    /// Events allowed per period.
    pub(crate) const LIMIT: u32 = 20;
    /// The period, in seconds.
    pub(crate) const PERIOD: i64 = 60;

    /// Counts one event at `now` (tenant clock, unix seconds); `Err(seconds until the window
    /// ends)` when the bound is reached. A clock moved backwards starts a new window.
    pub(crate) fn admit(&self, now: i64) -> Result<(), u64> {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let (start, n) = match *s {
            Some((start, n)) if (0..Self::PERIOD).contains(&(now - start)) => (start, n),
            _ => (now, 0),
        };
        if n >= Self::LIMIT {
            let left = Self::PERIOD - (now - start);
            return Err(u64::try_from(left).unwrap_or(1).max(1));
        }
        *s = Some((start, n + 1));
        Ok(())
    }
}
