//! [`LogEvery`]: at most one log line per interval for an event that can repeat on every
//! request (a replay-store outage, a full store, keys past their staleness bound), so a
//! flood of requests cannot turn into a flood of log lines.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// At most one log line per interval for a repeated event (a flood, an outage); the count of
/// the events left unlogged goes with the next line.
#[derive(Debug)]
pub(crate) struct LogEvery {
    interval_ms: u64,
    next_ms: AtomicU64,
    suppressed: AtomicU64,
}

impl LogEvery {
    pub(crate) fn new(interval: Duration) -> Self {
        Self {
            interval_ms: interval.as_millis().try_into().unwrap_or(u64::MAX),
            next_ms: AtomicU64::new(0),
            suppressed: AtomicU64::new(0),
        }
    }

    /// `Some(events suppressed since the last line)` when this event should be logged.
    pub(crate) fn ready(&self, now: f64) -> Option<u64> {
        let now_ms = unix_ms(now);
        let next = self.next_ms.load(Ordering::Relaxed);
        if now_ms >= next
            && self
                .next_ms
                .compare_exchange(
                    next,
                    now_ms.saturating_add(self.interval_ms),
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                )
                .is_ok()
        {
            return Some(self.suppressed.swap(0, Ordering::Relaxed));
        }
        self.suppressed.fetch_add(1, Ordering::Relaxed);
        None
    }
}

/// Unix seconds to milliseconds (`as` saturates and maps NaN to 0).
fn unix_ms(secs: f64) -> u64 {
    (secs * 1000.0).floor() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_every_logs_once_per_interval_and_counts_the_rest() {
        let log = LogEvery::new(Duration::from_secs(60));
        assert_eq!(log.ready(100.0), Some(0));
        assert_eq!(log.ready(101.0), None);
        assert_eq!(log.ready(159.0), None);
        assert_eq!(log.ready(160.0), Some(2));
        assert_eq!(log.ready(161.0), None);
    }
}
