//! A virtual clock shared by everything a tenant signs and checks.
//!
//! Verifier tests need to move time (expiry, `nbf`, DPoP `iat` windows) without sleeping. Every
//! timestamp a tenant writes into a token, and every freshness check its token endpoint makes,
//! reads this clock, so moving it moves the whole tenant consistently.

use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

/// A cheap-to-clone handle on a tenant's notion of "now" (unix seconds).
///
/// Clones share state: advancing one clone advances them all.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    inner: Arc<Mutex<ClockState>>,
}

#[derive(Debug, Default)]
struct ClockState {
    /// Wall-clock seconds captured by `freeze`; `None` while the clock runs.
    frozen_at: Option<i64>,
    /// Seconds added to the (running or frozen) base time.
    offset: i64,
}

fn system_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

impl Clock {
    /// A running clock that follows the system time.
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, ClockState> {
        // A poisoned lock only means another thread panicked mid-update of two integers;
        // the values are still usable.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Current virtual time in unix seconds.
    pub fn now(&self) -> i64 {
        let s = self.state();
        s.frozen_at
            .unwrap_or_else(system_now)
            .saturating_add(s.offset)
    }

    /// [`Clock::now`] as a [`SystemTime`] (what a verifier's clock answers), so a verifier
    /// can read this clock through a closure: `move || clock.system_time()`. Before 1970 it
    /// reads as the epoch.
    pub fn system_time(&self) -> SystemTime {
        UNIX_EPOCH + std::time::Duration::from_secs(u64::try_from(self.now()).unwrap_or(0))
    }

    /// Stops the clock at its current value; `advance` still moves it.
    pub fn freeze(&self) {
        let mut s = self.state();
        if s.frozen_at.is_none() {
            s.frozen_at = Some(system_now());
        }
    }

    /// Stops the clock at an absolute unix time (the offset is reset to zero).
    pub fn freeze_at(&self, unix_secs: i64) {
        let mut s = self.state();
        s.frozen_at = Some(unix_secs);
        s.offset = 0;
    }

    /// Lets the clock run again from where it stands (the offset keeps the current value).
    pub fn unfreeze(&self) {
        let mut s = self.state();
        if let Some(frozen) = s.frozen_at.take() {
            s.offset = s.offset.saturating_add(frozen - system_now());
        }
    }

    /// Moves the clock by `secs` (negative goes back).
    pub fn advance(&self, secs: i64) {
        let mut s = self.state();
        s.offset = s.offset.saturating_add(secs);
    }

    /// Sets the distance between the virtual and the base time.
    pub fn set_offset(&self, secs: i64) {
        self.state().offset = secs;
    }

    /// The current offset in seconds.
    pub fn offset(&self) -> i64 {
        self.state().offset
    }

    /// Whether `freeze` is in effect.
    pub fn is_frozen(&self) -> bool {
        self.state().frozen_at.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frozen_clock_moves_only_when_advanced() {
        let c = Clock::new();
        c.freeze_at(1_000);
        assert_eq!(c.now(), 1_000);
        c.advance(30);
        let clone = c.clone();
        assert_eq!(clone.now(), 1_030);
        c.set_offset(-5);
        assert_eq!(clone.now(), 995);
    }

    #[test]
    fn unfreeze_keeps_the_current_value() {
        let c = Clock::new();
        c.freeze_at(1_000);
        c.unfreeze();
        assert!((c.now() - 1_000).abs() <= 1);
    }
}

/// Seconds since the epoch as Auth0's ISO-8601 text (UTC, milliseconds).
pub(crate) fn iso8601(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.000Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod iso_tests {
    #[test]
    fn iso8601_matches_known_dates() {
        assert_eq!(super::iso8601(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(super::iso8601(1_700_000_000), "2023-11-14T22:13:20.000Z");
    }
}
