//! The in-memory replay store's unit tests: bounds, per-key shares, retention and expiry.

use super::*;

struct At(Mutex<f64>);
impl At {
    fn set(&self, t: f64) {
        *self.0.lock().unwrap() = t;
    }
}
impl Clock for At {
    fn now(&self) -> std::time::SystemTime {
        std::time::UNIX_EPOCH + Duration::from_secs_f64(*self.0.lock().unwrap())
    }
}

fn store(capacity: usize) -> (Arc<At>, InMemoryReplayStore) {
    let clock = Arc::new(At(Mutex::new(0.0)));
    (
        clock.clone(),
        InMemoryReplayStore::with_clock(capacity, clock),
    )
}

/// Unix seconds as the time a store is given (NaN and infinity: the far future).
fn at(secs: f64) -> SystemTime {
    crate::clock::time_at(secs)
}

const A: &str = "client-a";
const B: &str = "client-b";

#[test]
fn fresh_then_replayed_then_expired() {
    let (clock, s) = store(10);
    assert_eq!(
        s.check_and_insert_sync(A, "a", at(100.0)),
        ReplayCheck::Fresh
    );
    clock.set(50.0);
    assert_eq!(
        s.check_and_insert_sync(A, "a", at(100.0)),
        ReplayCheck::Replayed
    );
    clock.set(101.0);
    assert_eq!(
        s.check_and_insert_sync(A, "a", at(300.0)),
        ReplayCheck::Fresh
    );
    assert_eq!(s.len(), 1, "expired entries are swept");
}

#[tokio::test]
async fn the_trait_answers_like_the_sync_path() {
    let (_clock, s) = store(10);
    let store: &dyn ReplayStore = &s;
    assert!(store.check_and_insert_for(A, "a", at(100.0)).await.unwrap());
    assert!(!store.check_and_insert_for(A, "a", at(100.0)).await.unwrap());
    assert!(!store.check_and_insert("a", at(100.0)).await.unwrap());
    assert!(matches!(
        store.check_and_insert_for(A, "b", at(100.0)).await,
        Err(ReplayStoreError::ClientOverQuota { .. })
    ));
    // Without a jkt there is no client to hold a share: only the capacity applies.
    for key in ["c", "d", "e"] {
        assert!(store.check_and_insert(key, at(100.0)).await.unwrap());
    }
}

/// The flood the issue describes: before, a full store evicted its oldest entry, so a
/// flood of fresh proofs made a captured proof acceptable again.
#[test]
fn a_full_store_refuses_and_never_forgets_a_live_entry() {
    let (clock, s) = store(4);
    let s = s.per_key_limit(4);
    assert_eq!(
        s.check_and_insert_sync(B, "victim", at(60.0)),
        ReplayCheck::Fresh
    );
    for i in 0..3 {
        assert_eq!(
            s.check_and_insert_sync(A, &format!("flood{i}"), at(60.0)),
            ReplayCheck::Fresh
        );
    }
    clock.set(10.0);
    // Full: the next fresh proof is refused, not recorded, and nothing is evicted.
    assert_eq!(
        s.check_and_insert_sync(A, "flood3", at(61.0)),
        ReplayCheck::Full {
            retry_after: Duration::from_secs(50)
        }
    );
    assert_eq!(s.len(), 4);
    assert_eq!(
        s.check_and_insert_sync(B, "victim", at(60.0)),
        ReplayCheck::Replayed
    );
    // Once the window has passed, the room comes back.
    clock.set(60.0);
    assert_eq!(
        s.check_and_insert_sync(A, "flood3", at(120.0)),
        ReplayCheck::Fresh
    );
    assert_eq!(s.len(), 1);
}

#[test]
fn one_client_gets_its_share_and_the_others_keep_working() {
    let (clock, s) = store(10);
    let s = s.per_key_limit(3);
    for i in 0..3 {
        let expiry = 60.0 + f64::from(i);
        assert_eq!(
            s.check_and_insert_sync(A, &format!("a{i}"), at(expiry)),
            ReplayCheck::Fresh
        );
    }
    clock.set(0.5);
    // Retry-After: when the client's last entry expires, rounded up.
    assert_eq!(
        s.check_and_insert_sync(A, "a3", at(60.0)),
        ReplayCheck::ClientOverQuota {
            retry_after: Duration::from_secs(62)
        }
    );
    // A replay from the over-quota client is still a replay, not a quota refusal.
    assert_eq!(
        s.check_and_insert_sync(A, "a0", at(60.0)),
        ReplayCheck::Replayed
    );
    assert_eq!(
        s.check_and_insert_sync(B, "b0", at(60.0)),
        ReplayCheck::Fresh
    );
    // The share frees up as its entries expire.
    clock.set(60.0);
    assert_eq!(
        s.check_and_insert_sync(A, "a3", at(120.0)),
        ReplayCheck::Fresh
    );
}

#[test]
fn memory_is_bounded_in_bytes_and_expired_entries_give_it_back() {
    let (clock, s) = store(1_000_000);
    // Room for about ten entries of 43-byte keys (the verifier's key size).
    let per_entry = ENTRY_FIXED_BYTES + 43;
    let s = s
        .per_key_limit(1_000_000)
        .max_bytes(CLIENT_FIXED_BYTES + 3 + 10 * per_entry + per_entry / 2);
    let key = |i: usize| format!("{i:043}");
    for i in 0..10 {
        assert_eq!(
            s.check_and_insert_sync(A, &key(i), at(60.0)),
            ReplayCheck::Fresh
        );
    }
    assert_eq!(s.bytes(), CLIENT_FIXED_BYTES + 8 + 10 * per_entry);
    assert!(matches!(
        s.check_and_insert_sync(A, &key(10), at(60.0)),
        ReplayCheck::Full { .. }
    ));
    // A longer key costs more: the bound is on bytes, not only on entries.
    clock.set(60.0);
    assert!(matches!(
        s.check_and_insert_sync(A, &"k".repeat(10 * per_entry), at(120.0)),
        ReplayCheck::Full { .. }
    ));
    // Every expired entry was reclaimed, bytes included.
    assert_eq!(s.len(), 0);
    assert_eq!(s.bytes(), 0);
    assert_eq!(
        s.check_and_insert_sync(A, &key(0), at(120.0)),
        ReplayCheck::Fresh
    );
}

#[test]
fn expired_entries_are_reclaimed_in_any_insertion_order() {
    let (clock, s) = store(100);
    let s = s.per_key_limit(100);
    // Expiries out of insertion order (proofs whose iat lies ahead of the clock).
    for (key, expiry) in [("late", 70.0), ("early", 60.0), ("mid", 65.0)] {
        assert_eq!(
            s.check_and_insert_sync(A, key, at(expiry)),
            ReplayCheck::Fresh
        );
    }
    clock.set(65.0);
    assert_eq!(
        s.check_and_insert_sync(B, "probe", at(66.0)),
        ReplayCheck::Fresh
    );
    assert_eq!(s.len(), 2, "early and mid are gone, late and probe live");
    assert_eq!(
        s.check_and_insert_sync(A, "late", at(70.0)),
        ReplayCheck::Replayed
    );
    clock.set(1000.0);
    assert_eq!(
        s.check_and_insert_sync(B, "probe2", at(1060.0)),
        ReplayCheck::Fresh
    );
    assert_eq!(s.len(), 1);
    assert_eq!(
        s.bytes(),
        ENTRY_FIXED_BYTES + 6 + CLIENT_FIXED_BYTES + B.len()
    );
}

#[test]
fn odd_expiries_are_capped_and_a_nan_one_is_remembered() {
    let (clock, s) = store(10);
    let s = s.per_key_limit(10);
    // Already expired: nothing to remember.
    assert_eq!(
        s.check_and_insert_sync(A, "past", at(-5.0)),
        ReplayCheck::Fresh
    );
    assert_eq!(s.len(), 0);
    assert_eq!(
        s.check_and_insert_sync(A, "nan", at(f64::NAN)),
        ReplayCheck::Fresh
    );
    assert_eq!(
        s.check_and_insert_sync(A, "inf", at(f64::INFINITY)),
        ReplayCheck::Fresh
    );
    let max_retention = MAX_RETENTION.as_secs_f64();
    clock.set(max_retention - 1.0);
    assert_eq!(
        s.check_and_insert_sync(A, "nan", at(1.0)),
        ReplayCheck::Replayed
    );
    clock.set(max_retention);
    assert_eq!(s.check_and_insert_sync(B, "x", at(1e9)), ReplayCheck::Fresh);
    assert_eq!(s.len(), 1, "capped entries are dropped after the cap");
}

/// The figures the type's documentation states.
#[cfg(target_pointer_width = "64")]
#[test]
fn the_documented_costs_hold() {
    assert_eq!(ENTRY_FIXED_BYTES + 43, 230);
    assert_eq!(CLIENT_FIXED_BYTES + 43, 158);
    const {
        assert!(
            InMemoryReplayStore::DEFAULT_CAPACITY * 230 < InMemoryReplayStore::DEFAULT_MAX_BYTES
        )
    };
}
