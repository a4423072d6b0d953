//! The verifier's source of "now": [`Clock`], injectable so tests move time without sleeping.
//!
//! One time type at the API: a clock answers [`SystemTime`], every setting is a
//! [`Duration`](std::time::Duration). Inside, the request path works in unix seconds (`f64`,
//! the unit of JWT NumericDates); [`unix_secs`] is the one conversion.

use std::time::{SystemTime, UNIX_EPOCH};

/// Source of "now". Any `Fn() -> SystemTime` is one (openidconnect's `set_time_fn` style):
/// `.clock(Arc::new(|| my_time()))`.
pub trait Clock: Send + Sync {
    /// The current time.
    fn now(&self) -> SystemTime;
}

impl<F: Fn() -> SystemTime + Send + Sync> Clock for F {
    fn now(&self) -> SystemTime {
        self()
    }
}

/// The wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// `clock`'s time as unix seconds (fractional); a time before 1970 reads as 0.
pub(crate) fn unix_secs(clock: &dyn Clock) -> f64 {
    secs_of(clock.now()).max(0.0)
}

/// A time as unix seconds (fractional); before 1970 it reads as a negative number.
pub(crate) fn secs_of(t: SystemTime) -> f64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs_f64(),
        Err(before) => -before.duration().as_secs_f64(),
    }
}

/// Unix seconds as a time. A value no time can hold (NaN, beyond the platform's range) reads
/// as the year 2514: whatever keeps it (a replay store) then remembers for as long as it may
/// rather than forget.
pub(crate) fn time_at(secs: f64) -> SystemTime {
    let far = || UNIX_EPOCH + std::time::Duration::from_secs(1 << 34);
    if secs < 0.0 {
        return std::time::Duration::try_from_secs_f64(-secs)
            .ok()
            .and_then(|d| UNIX_EPOCH.checked_sub(d))
            .unwrap_or(UNIX_EPOCH);
    }
    std::time::Duration::try_from_secs_f64(secs)
        .ok()
        .and_then(|d| UNIX_EPOCH.checked_add(d))
        .unwrap_or_else(far)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_closure_is_a_clock_and_reads_as_unix_seconds() {
        let at = UNIX_EPOCH + Duration::from_millis(1_700_000_000_250);
        let clock = move || at;
        assert_eq!(unix_secs(&clock), 1_700_000_000.25);
        let before_1970 = || UNIX_EPOCH - Duration::from_secs(1);
        assert_eq!(unix_secs(&before_1970), 0.0);
        assert_eq!(secs_of(time_at(1.5)), 1.5);
        assert_eq!(secs_of(time_at(-5.0)), -5.0);
        assert!(secs_of(time_at(f64::NAN)) > 1e10);
        assert!(secs_of(time_at(f64::INFINITY)) > 1e10);
    }
}
