//! DPoP proof replay detection (RFC 9449 §11.1): each (key thumbprint, jti) is accepted once
//! within the proof window.
//!
//! One process: [`InMemoryReplayStore`] (the default). Several replicas behind one load
//! balancer: each must see the proofs the others accepted, so they share a store; with the
//! `redis` feature, [`RedisReplayStore`] is that store.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use futures::future::BoxFuture;

use crate::clock::{Clock, SystemClock, secs_of, unix_secs};

#[cfg(feature = "redis")]
mod redis;
#[cfg(feature = "redis")]
pub use self::redis::{RedisReplayStore, RedisReplayStoreError};

/// Remembers proof identifiers until they expire. Shared implementations (e.g. Redis) let
/// several replicas see each other's proofs.
///
/// The method returns a boxed future so that the trait stays usable as `dyn ReplayStore` and a
/// networked store can await its server. For the in-memory store the future is already
/// complete when returned: the cost is one small allocation, next to the ES256 signature check
/// every DPoP request pays anyway.
pub trait ReplayStore: Send + Sync {
    /// Atomically record `key` until `expires_at` unless it is already recorded.
    /// `Ok(true)`: the key was not seen before (fresh); `Ok(false)`: a replay. Keys are
    /// fixed-size hashes of (jkt, jti).
    ///
    /// `Err` when the store cannot answer (down, slow, unexpected reply). The verifier then
    /// refuses the proof (fails closed, [`crate::AuthError::ReplayStoreUnavailable`]): a proof
    /// that could not be checked is never accepted. Implementations bound their own wait.
    fn check_and_insert<'a>(
        &'a self,
        key: &'a str,
        expires_at: SystemTime,
    ) -> BoxFuture<'a, Result<bool, ReplayStoreError>>;

    /// [`ReplayStore::check_and_insert`] knowing which client recorded the proof: `jkt` is
    /// the RFC 7638 thumbprint of the proof's key. The verifier calls this one. A store that
    /// may run out of room gives each `jkt` a share and answers
    /// [`ReplayStoreError::ClientOverQuota`] to a client over it, so one flooding client is
    /// refused before the others ([`InMemoryReplayStore`] does). The default ignores `jkt`:
    /// right for a store that never forgets a live entry and has no per-client share (Redis
    /// with `noeviction`: see `RedisReplayStore`).
    fn check_and_insert_for<'a>(
        &'a self,
        jkt: &'a str,
        key: &'a str,
        expires_at: SystemTime,
    ) -> BoxFuture<'a, Result<bool, ReplayStoreError>> {
        let _ = jkt;
        self.check_and_insert(key, expires_at)
    }
}

/// Why a replay store could not answer. The verifier logs it (at most once per interval) and
/// refuses the proof; the cause is never shown to the client.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReplayStoreError {
    /// No answer within the store's timeout (server down, overloaded or unreachable).
    #[error("the replay store did not answer within {0:?}")]
    Timeout(Duration),
    /// The store answered with an error, or the connection failed.
    #[error("the replay store failed")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// Every slot holds a live entry: recording one more proof would mean forgetting one
    /// that could still be replayed, so the proof is refused instead (503). `retry_after`: when
    /// the earliest entry expires.
    #[error("the replay store is full of live entries")]
    Full {
        /// When a slot frees up.
        retry_after: Duration,
    },
    /// This DPoP key (one client) already holds its whole share of the store: it is refused
    /// (429) while the other clients keep theirs. `retry_after`: when its entries have expired.
    #[error("this DPoP key holds its whole share of the replay store")]
    ClientOverQuota {
        /// When this key's entries have all expired.
        retry_after: Duration,
    },
}

/// Default share of an [`InMemoryReplayStore`] one DPoP key may hold: capacity / 10.
const DEFAULT_PER_KEY_DIVISOR: usize = 10;
/// Longest retention a store grants, whatever `expires_at` says (a NaN or absurd expiry from a
/// custom caller must not pin an entry for ever). The verifier asks for about a minute.
pub(crate) const MAX_RETENTION: Duration = Duration::from_secs(24 * 3600);

/// Table growth slack charged on every slot: `Vec`/`BinaryHeap` double when full and
/// hashbrown keeps at most 7/8 of its buckets in use, so a table's allocation stays under
/// about 2.3x its length; 3x also covers allocator rounding.
const SLACK: usize = 3;
/// Header of an `Arc<str>` allocation (strong and weak counts).
const ARC_HEADER: usize = 2 * std::mem::size_of::<usize>();
/// What one entry costs besides its key bytes: its slot in the key map (plus hashbrown's
/// control byte) and in the expiry heap, with slack, and its key's `Arc` header.
const ENTRY_FIXED_BYTES: usize = SLACK
    * (std::mem::size_of::<(Arc<str>, Arc<str>)>()
        + 1
        + std::mem::size_of::<Reverse<(u64, Arc<str>)>>())
    + ARC_HEADER;
/// What one client (DPoP key) record costs besides its thumbprint bytes.
const CLIENT_FIXED_BYTES: usize =
    SLACK * (std::mem::size_of::<(Arc<str>, Client)>() + 1) + ARC_HEADER;

/// In-process replay store that never forgets a live entry.
///
/// # Guarantees
/// - An entry lives until its `expires_at` (capped at 24 h); it is never
///   evicted to make room. The verifier derives `expires_at` from its `iat` acceptance window,
///   so a proof is remembered for as long as it could be accepted.
/// - When a new proof does not fit, it is refused, not recorded: its client gets
///   [`ReplayStoreError::ClientOverQuota`] (429) if it holds its whole share, otherwise
///   [`ReplayStoreError::Full`] (503). A replay is still answered as a replay when full.
/// - One DPoP key (`jkt`) holds at most [`InMemoryReplayStore::per_key_limit`] entries
///   (default capacity / 10), so one flooding client is refused long before the others.
///   A flood from many keys (an attacker who can obtain tokens for many DPoP keys) can still
///   fill the store: size `capacity` above the peak number of proofs per window.
///
/// # Memory bound
/// At most `capacity` entries (default 100 000) and at most `max_bytes` (default 32 MiB) by
/// the store's own accounting, whichever is reached first. On a 64-bit target each entry is
/// charged its key (the verifier's keys are 43 bytes) plus 187 bytes for its table slots with
/// their growth slack (see `SLACK`), 230 bytes in all, and each client with live entries its
/// thumbprint (43 bytes) plus 115 bytes: a full default store is charged about 23 MB, under the
/// 32 MiB default. Expired entries are reclaimed, bytes included, on every check.
#[must_use = "a builder does nothing until it is used"]
pub struct InMemoryReplayStore {
    capacity: usize,
    max_bytes: usize,
    per_key_limit: usize,
    clock: Arc<dyn Clock>,
    inner: Mutex<Inner>,
}

impl std::fmt::Debug for InMemoryReplayStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InMemoryReplayStore")
            .field("capacity", &self.capacity)
            .field("max_bytes", &self.max_bytes)
            .field("per_key_limit", &self.per_key_limit)
            .finish_non_exhaustive()
    }
}

/// The live entries. Invariant after [`Inner::sweep`]: every entry in `keys` is live.
#[derive(Debug, Default)]
struct Inner {
    /// Entry key -> the client (jkt) that recorded it.
    keys: HashMap<Arc<str>, Arc<str>>,
    /// Min-heap of (expiry in unix ms, entry key): exact reclamation in expiry order.
    expiries: BinaryHeap<Reverse<(u64, Arc<str>)>>,
    /// Live entries per client.
    clients: HashMap<Arc<str>, Client>,
    /// Bytes charged for everything above.
    bytes: usize,
}

#[derive(Debug, Default)]
struct Client {
    live: usize,
    /// The latest expiry (unix ms) among its entries: when it may record again for sure.
    latest_expiry_ms: u64,
}

/// The answer of [`InMemoryReplayStore::check_and_insert_sync`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplayCheck {
    /// Not seen before; now recorded.
    Fresh,
    /// Recorded already and still live: a replay.
    Replayed,
    /// Refused without being recorded: this client holds its whole share.
    ClientOverQuota {
        /// When its entries have all expired.
        retry_after: Duration,
    },
    /// Refused without being recorded: the store is full of live entries.
    Full {
        /// When the earliest entry expires.
        retry_after: Duration,
    },
}

impl InMemoryReplayStore {
    /// Default number of entries (`new` takes its own).
    pub const DEFAULT_CAPACITY: usize = 100_000;
    /// Default memory bound (bytes, by the store's own accounting).
    pub const DEFAULT_MAX_BYTES: usize = 32 * 1024 * 1024;

    /// A store holding at most `capacity` entries, timed by the system clock.
    pub fn new(capacity: usize) -> Self {
        Self::with_clock(capacity, Arc::new(SystemClock))
    }

    /// A store timed by `clock` (the verifier passes its own, so tests can move time). The
    /// per-key limit is capacity / 10 (at least 1) and the byte bound 32 MiB.
    pub fn with_clock(capacity: usize, clock: Arc<dyn Clock>) -> Self {
        let capacity = capacity.max(1);
        Self {
            capacity,
            max_bytes: Self::DEFAULT_MAX_BYTES,
            per_key_limit: (capacity / DEFAULT_PER_KEY_DIVISOR).max(1),
            clock,
            inner: Mutex::new(Inner::default()),
        }
    }

    /// The most entries one DPoP key (client) may hold; at least 1, at most the capacity.
    pub fn per_key_limit(mut self, n: usize) -> Self {
        self.per_key_limit = n.clamp(1, self.capacity);
        self
    }

    /// The memory bound in bytes, by the accounting described on the type. Default 32 MiB.
    pub fn max_bytes(mut self, n: usize) -> Self {
        self.max_bytes = n;
        self
    }

    /// Entries currently held (expired ones included until the next check reclaims them).
    pub fn len(&self) -> usize {
        self.lock().keys.len()
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes currently charged (see the memory bound on the type).
    pub fn bytes(&self) -> usize {
        self.lock().bytes
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl ReplayStore for InMemoryReplayStore {
    fn check_and_insert<'a>(
        &'a self,
        key: &'a str,
        expires_at: SystemTime,
    ) -> BoxFuture<'a, Result<bool, ReplayStoreError>> {
        self.check_and_insert_for("", key, expires_at)
    }

    fn check_and_insert_for<'a>(
        &'a self,
        jkt: &'a str,
        key: &'a str,
        expires_at: SystemTime,
    ) -> BoxFuture<'a, Result<bool, ReplayStoreError>> {
        let answer = match self.check_and_insert_sync(jkt, key, expires_at) {
            ReplayCheck::Fresh => Ok(true),
            ReplayCheck::Replayed => Ok(false),
            ReplayCheck::ClientOverQuota { retry_after } => {
                Err(ReplayStoreError::ClientOverQuota { retry_after })
            }
            ReplayCheck::Full { retry_after } => Err(ReplayStoreError::Full { retry_after }),
        };
        Box::pin(std::future::ready(answer))
    }
}

impl InMemoryReplayStore {
    /// [`ReplayStore::check_and_insert_for`] without the future: this store never waits.
    /// Order: a live key is a replay whatever the fill level; then the client's share (none
    /// for an empty `jkt`); then the store's capacity and byte bound.
    pub fn check_and_insert_sync(
        &self,
        jkt: &str,
        key: &str,
        expires_at: SystemTime,
    ) -> ReplayCheck {
        let expires_at = secs_of(expires_at);
        let now_ms = unix_ms(unix_secs(&*self.clock));
        let mut inner = self.lock();
        inner.sweep(now_ms);
        if inner.keys.contains_key(key) {
            return ReplayCheck::Replayed;
        }
        let expiry_ms = retention_end_ms(expires_at, now_ms);
        if expiry_ms <= now_ms {
            // Already outside its window: nothing to remember.
            return ReplayCheck::Fresh;
        }
        let client = inner.clients.get(jkt);
        // An empty jkt (callers of the jkt-less method) names no client: no share applies.
        if let Some(c) = client.filter(|c| !jkt.is_empty() && c.live >= self.per_key_limit) {
            return ReplayCheck::ClientOverQuota {
                retry_after: until(c.latest_expiry_ms, now_ms),
            };
        }
        let cost = ENTRY_FIXED_BYTES
            + key.len()
            + if client.is_none() {
                CLIENT_FIXED_BYTES + jkt.len()
            } else {
                0
            };
        if inner.keys.len() >= self.capacity || inner.bytes + cost > self.max_bytes {
            let earliest = inner.expiries.peek().map_or(expiry_ms, |e| e.0.0);
            return ReplayCheck::Full {
                retry_after: until(earliest, now_ms),
            };
        }
        inner.insert(jkt, key, expiry_ms, cost);
        ReplayCheck::Fresh
    }
}

impl Inner {
    /// Drops every entry whose expiry has passed (exactly those: the heap is ordered).
    fn sweep(&mut self, now_ms: u64) {
        while let Some(Reverse((expiry, _))) = self.expiries.peek() {
            if *expiry > now_ms {
                break;
            }
            let Some(Reverse((_, key))) = self.expiries.pop() else {
                break;
            };
            let Some(jkt) = self.keys.remove(&key) else {
                continue;
            };
            self.bytes = self.bytes.saturating_sub(ENTRY_FIXED_BYTES + key.len());
            if let Some(client) = self.clients.get_mut(&jkt) {
                client.live -= 1;
                if client.live == 0 {
                    self.clients.remove(&jkt);
                    self.bytes = self.bytes.saturating_sub(CLIENT_FIXED_BYTES + jkt.len());
                }
            }
        }
    }

    fn insert(&mut self, jkt: &str, key: &str, expiry_ms: u64, cost: usize) {
        let jkt: Arc<str> = match self.clients.get_key_value(jkt) {
            Some((shared, _)) => shared.clone(),
            None => Arc::from(jkt),
        };
        let client = self.clients.entry(jkt.clone()).or_default();
        client.live += 1;
        client.latest_expiry_ms = client.latest_expiry_ms.max(expiry_ms);
        let key: Arc<str> = Arc::from(key);
        self.keys.insert(key.clone(), jkt);
        self.expiries.push(Reverse((expiry_ms, key)));
        self.bytes += cost;
    }
}

/// Unix seconds -> unix milliseconds (0 for a clock before 1970 or NaN).
fn unix_ms(secs: f64) -> u64 {
    // `as` saturates and maps NaN to 0.
    (secs * 1000.0).floor() as u64
}

/// When an entry asked to live until `expires_at` is dropped: rounded up to the millisecond,
/// capped at [`MAX_RETENTION`] from now; a NaN expiry gets the cap (remember rather than
/// forget).
fn retention_end_ms(expires_at: f64, now_ms: u64) -> u64 {
    let cap = now_ms + MAX_RETENTION.as_millis() as u64;
    if expires_at.is_nan() {
        return cap;
    }
    ((expires_at * 1000.0).ceil() as u64).min(cap)
}

/// Whole seconds from `now_ms` to `at_ms`, at least 1 (a `Retry-After` of 0 invites a spin).
fn until(at_ms: u64, now_ms: u64) -> Duration {
    Duration::from_secs(at_ms.saturating_sub(now_ms).div_ceil(1000).max(1))
}

#[cfg(test)]
mod tests;
