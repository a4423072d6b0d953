//! A counter that many threads bump on every request without sharing a cache line.
//!
//! One `AtomicU64` that every worker thread increments on every cached request makes its
//! cache line travel between cores each time, a cost callgrind does not show and wrk does.
//! Each thread adds to its own padded stripe instead; reading sums the stripes (reads are
//! rare: [`crate::Verifier::stats`]). Hand-written because it is twenty lines and the crates
//! that have one (crossbeam's `CachePadded` plus a stripe choice) would be a dependency for
//! that.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// Stripes: more than the cores a service usually runs on; threads beyond share stripes.
const STRIPES: usize = 16;

/// One stripe on its own cache line (128 bytes: adjacent-line prefetch pairs lines on x86).
#[derive(Debug, Default)]
#[repr(align(128))]
struct Stripe(AtomicU64);

#[derive(Debug, Default)]
pub(crate) struct StripedCounter([Stripe; STRIPES]);

impl StripedCounter {
    pub(crate) fn increment(&self) {
        self.0[stripe_of_this_thread()]
            .0
            .fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn get(&self) -> u64 {
        self.0.iter().map(|s| s.0.load(Ordering::Relaxed)).sum()
    }
}

/// This thread's stripe, assigned round-robin the first time it counts.
fn stripe_of_this_thread() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static STRIPE: usize = NEXT.fetch_add(1, Ordering::Relaxed) % STRIPES;
    }
    STRIPE.with(|s| *s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_from_every_thread() {
        let c = std::sync::Arc::new(StripedCounter::default());
        let threads: Vec<_> = (0..20)
            .map(|_| {
                let c = c.clone();
                std::thread::spawn(move || (0..1000).for_each(|_| c.increment()))
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        assert_eq!(c.get(), 20_000);
    }
}
