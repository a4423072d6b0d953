//! A [`ReplayStore`] in Redis, shared by every replica of an API (cargo feature `redis`).
//!
//! One command per DPoP request: `SET dpop-jti:{key} 1 NX PX <ttl>`. `NX` makes the check and
//! the insert one atomic step on the server, so two replicas receiving the same proof at the
//! same instant cannot both accept it. Redis expires the entry itself; nothing is swept here.
//!
//! # Why no per-client share here
//! The in-memory store must refuse when full because its only alternative is to forget a live
//! proof. Redis does not forget: an entry lives until its TTL, which the verifier derives from
//! the proof `iat` window (`iat + window + clock leeway + 1 s`, the same `expires_at` the
//! in-memory store gets), *provided the server never evicts keys*: run it with
//! `maxmemory-policy noeviction` (the default; `allkeys-*` and `volatile-*` policies would
//! drop our keys, which all carry a TTL). A full Redis then answers `SET` with an OOM error,
//! which the verifier turns into a 503 (fail closed), never an accepted replay. A per-`jkt`
//! share would only improve availability under a flood (one more command per request); size
//! Redis for the peak proofs per window instead (about 100 bytes an entry).

use std::sync::Arc;
use std::time::Duration;

use ::redis::aio::{ConnectionManager, ConnectionManagerConfig};
use futures::future::BoxFuture;
use tokio::sync::OnceCell;

use super::{ReplayStore, ReplayStoreError};
use crate::clock::{Clock, SystemClock, secs_of, unix_secs};

/// Namespace of our keys, so the database can be shared with other uses.
const KEY_PREFIX: &str = "dpop-jti:";

/// Longest retention asked of Redis (the same cap as the in-memory store). The verifier asks
/// for the proof window (about a minute); the cap only keeps a wild `expires_at` from becoming
/// a Redis "invalid expire time" error.
const MAX_TTL_MS: f64 = super::MAX_RETENTION.as_millis() as f64;

/// A [`RedisReplayStore`] setting that cannot work. Raised at construction, never per request.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RedisReplayStoreError {
    /// The URL is not one the Redis client understands (`redis://host:port/db`,
    /// `redis://:password@host/db`, `redis+unix:///path`). The password, if any, is masked.
    #[error("the Redis replay store URL {url:?} is invalid")]
    InvalidUrl {
        /// The URL with any user information replaced by `***`.
        url: String,
        /// The client's reason.
        #[source]
        source: ::redis::RedisError,
    },
    /// A zero timeout would refuse every proof.
    #[error("the Redis replay store timeout must be above zero")]
    ZeroTimeout,
}

/// Replay detection shared through one Redis server (or a managed Redis / Valkey endpoint).
///
/// Construction does no I/O: the connection is opened on the first check, inside the caller's
/// Tokio runtime (it belongs to that runtime: use one store per runtime), and re-opened in the
/// background after a failure. Every check is bounded by [`RedisReplayStore::timeout`]; a check
/// that fails or times out is an error, which the verifier turns into a refusal (fail closed).
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use oauth2_jwt_bearer::replay::RedisReplayStore;
/// use oauth2_jwt_bearer::{Verifier, VerifierOptions};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// // No I/O here: the connection opens on the first DPoP request.
/// let store = RedisReplayStore::new("redis://127.0.0.1:6379/0")?.timeout(Duration::from_millis(100))?;
/// let verifier = Verifier::new(
///     VerifierOptions::new("tenant.eu.auth0.com", "https://api.example.com")
///         .public_base_url("https://api.example.com") // the same on every replica
///         .replay_store(Arc::new(store)),
/// )?;
/// # let _ = verifier;
/// # Ok(())
/// # }
/// ```
pub struct RedisReplayStore {
    client: ::redis::Client,
    url: String,
    connection: OnceCell<ConnectionManager>,
    timeout: Duration,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for RedisReplayStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisReplayStore")
            .field("url", &self.url)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl RedisReplayStore {
    /// How long one check may take by default (connecting included) before the proof is
    /// refused.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(200);

    /// A store on the Redis server at `url` (e.g. `redis://127.0.0.1:6379/0`), with the
    /// default timeout and the system clock. Only the URL is checked here.
    pub fn new(url: &str) -> Result<Self, RedisReplayStoreError> {
        let client =
            ::redis::Client::open(url).map_err(|source| RedisReplayStoreError::InvalidUrl {
                url: redact(url),
                source,
            })?;
        Ok(Self {
            client,
            url: redact(url),
            connection: OnceCell::new(),
            timeout: Self::DEFAULT_TIMEOUT,
            clock: Arc::new(SystemClock),
        })
    }

    /// The most one check may take, connecting included. Default
    /// [`RedisReplayStore::DEFAULT_TIMEOUT`] (200 ms): a proof is refused rather than left waiting.
    pub fn timeout(mut self, timeout: Duration) -> Result<Self, RedisReplayStoreError> {
        if timeout.is_zero() {
            return Err(RedisReplayStoreError::ZeroTimeout);
        }
        self.timeout = timeout;
        Ok(self)
    }

    /// The clock that turns the verifier's `expires_at` into a time-to-live. Give it the
    /// verifier's clock when that is not the system clock (tests).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The URL with any password masked (for logs).
    pub fn url(&self) -> &str {
        &self.url
    }

    async fn connection(&self) -> Result<ConnectionManager, ::redis::RedisError> {
        let timeout = self.timeout;
        self.connection
            .get_or_try_init(|| async {
                // Lazy: no round trip here, the first command connects. A short retry schedule
                // so that a restarted Redis is picked up within about a second.
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(timeout))
                    .set_response_timeout(Some(timeout))
                    .set_min_delay(Duration::from_millis(50))
                    .set_max_delay(Duration::from_secs(1));
                ConnectionManager::new_lazy_with_config(self.client.clone(), config)
            })
            .await
            .cloned()
    }

    async fn set_nx(&self, key: &str, ttl_ms: u64) -> Result<bool, ReplayStoreError> {
        let mut connection = self.connection().await.map_err(backend)?;
        let reply: ::redis::Value = ::redis::cmd("SET")
            .arg(format!("{KEY_PREFIX}{key}"))
            .arg(1)
            .arg("NX")
            .arg("PX")
            .arg(ttl_ms)
            .query_async(&mut connection)
            .await
            .map_err(backend)?;
        match reply {
            // Set: the key was free, the proof is fresh.
            ::redis::Value::Okay => Ok(true),
            ::redis::Value::SimpleString(s) if s == "OK" => Ok(true),
            // Not set: someone (any replica) recorded this proof already.
            ::redis::Value::Nil => Ok(false),
            other => Err(backend(std::io::Error::other(format!(
                "unexpected reply to SET NX: {other:?}"
            )))),
        }
    }
}

impl ReplayStore for RedisReplayStore {
    fn check_and_insert<'a>(
        &'a self,
        key: &'a str,
        expires_at: std::time::SystemTime,
    ) -> BoxFuture<'a, Result<bool, ReplayStoreError>> {
        let ttl_ms = ttl_ms(secs_of(expires_at), unix_secs(&*self.clock));
        Box::pin(async move {
            match tokio::time::timeout(self.timeout, self.set_nx(key, ttl_ms)).await {
                Ok(answer) => answer,
                Err(_elapsed) => Err(ReplayStoreError::Timeout(self.timeout)),
            }
        })
    }
}

/// The `PX` argument for an entry that must live until `expires_at` (unix seconds).
///
/// A relative TTL from our own clock rather than `PXAT expires_at`: a Redis host whose clock
/// is ahead would otherwise drop entries early and let proofs be replayed. A past
/// `expires_at` becomes 1 ms (already expired; `PX 0` is a Redis error). A NaN one gets the
/// cap: `f64::clamp` keeps NaN and `NaN as u64` is 0, which Redis would refuse, so NaN is
/// handled first, remembering rather than forgetting (as the in-memory store does).
fn ttl_ms(expires_at: f64, now: f64) -> u64 {
    let ms = ((expires_at - now) * 1000.0).ceil();
    if ms.is_nan() {
        return MAX_TTL_MS as u64;
    }
    ms.clamp(1.0, MAX_TTL_MS) as u64
}

fn backend(e: impl std::error::Error + Send + Sync + 'static) -> ReplayStoreError {
    ReplayStoreError::Backend(Box::new(e))
}

/// The URL with every credential masked, so it can be logged and shown in `Debug`:
/// - user information (`redis://user:pass@`, `redis://:pass@`, `rediss://…@`), everything up
///   to the last `@` (a password may itself hold `@`, `/` or `?`);
/// - query parameters naming a secret (`redis+unix:///path?pass=…`, `unix://…?password=…`):
///   any name containing `pass`, `secret`, `token` or `auth`, case-insensitively.
///
/// It errs on the side of masking too much: a URL that cannot be parsed is masked the same way.
fn redact(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((scheme, rest)) => (Some(scheme), rest),
        None => (None, url),
    };
    let rest = match rest.rfind('@') {
        Some(at) => format!("***@{}", &rest[at + 1..]),
        None => rest.to_owned(),
    };
    let rest = match rest.split_once('?') {
        Some((base, query)) => format!("{base}?{}", redact_query(query)),
        None => rest,
    };
    match scheme {
        Some(scheme) => format!("{scheme}://{rest}"),
        None => rest,
    }
}

/// `a=1&pass=x&password=y` -> `a=1&pass=***&password=***`. Names are percent-decoded before
/// they are compared, as the redis client reads them (`url::Url::query_pairs`): `pa%73s` is
/// `pass` to it, so it is one here too.
fn redact_query(query: &str) -> String {
    query
        .split('&')
        .map(|pair| {
            let raw_name = pair.split('=').next().unwrap_or_default();
            let name = url::form_urlencoded::parse(raw_name.as_bytes())
                .next()
                .map(|(name, _)| name.to_ascii_lowercase())
                .unwrap_or_default();
            let secret = ["pass", "secret", "token", "auth"]
                .iter()
                .any(|word| name.contains(word));
            if secret {
                format!("{}=***", pair.split('=').next().unwrap_or_default())
            } else {
                pair.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_without_io_and_passwords_never_shown() {
        let store = RedisReplayStore::new("redis://127.0.0.1:6379/0").unwrap();
        assert_eq!(store.url(), "redis://127.0.0.1:6379/0");
        assert_eq!(store.timeout, RedisReplayStore::DEFAULT_TIMEOUT);
        let store = RedisReplayStore::new("redis://user:s3cret@127.0.0.1:6379/0").unwrap();
        assert!(!format!("{store:?}").contains("s3cret"));

        for bad in [
            "http://127.0.0.1/",
            "not a url",
            "redis://:s3cret@127.0.0.1:99999/0",
        ] {
            let err = RedisReplayStore::new(bad).unwrap_err();
            assert!(
                matches!(err, RedisReplayStoreError::InvalidUrl { .. }),
                "{bad}: {err:?}"
            );
            assert!(!err.to_string().contains("s3cret"), "{err}");
        }
    }

    /// Every way a Redis URL can carry a credential, masked in `url()`, `Debug` and errors.
    /// Before, only `user:pass@` was masked: the query forms were logged as given.
    #[test]
    fn every_credential_form_is_redacted() {
        for (url, shown) in [
            (
                "redis://user:s3cret@127.0.0.1:6379/0",
                "redis://***@127.0.0.1:6379/0",
            ),
            (
                "redis://:s3cret@127.0.0.1:6379/0",
                "redis://***@127.0.0.1:6379/0",
            ),
            (
                "rediss://default:s3cret@cache.example:6380/1",
                "rediss://***@cache.example:6380/1",
            ),
            (
                "redis+unix:///run/redis.sock?db=2&pass=s3cret",
                "redis+unix:///run/redis.sock?db=2&pass=***",
            ),
            (
                "unix:///run/redis.sock?password=s3cret",
                "unix:///run/redis.sock?password=***",
            ),
            (
                "redis://127.0.0.1:6379/0?PASSWORD=s3cret&protocol=resp3",
                "redis://127.0.0.1:6379/0?PASSWORD=***&protocol=resp3",
            ),
            // Percent-encoded names: the client decodes them (`pa%73s` is `pass`).
            (
                "redis+unix:///run/redis.sock?db=2&pa%73s=s3cret",
                "redis+unix:///run/redis.sock?db=2&pa%73s=***",
            ),
            (
                "redis://127.0.0.1:6379/0?p%61ss%77ord=s3cret&protocol=resp3",
                "redis://127.0.0.1:6379/0?p%61ss%77ord=***&protocol=resp3",
            ),
            (
                "unix:///run/redis.sock?%50ASS=s3cret",
                "unix:///run/redis.sock?%50ASS=***",
            ),
            // A password holding the characters that end the user information.
            (
                "redis://:s3cret/?@x@127.0.0.1:6379/0",
                "redis://***@127.0.0.1:6379/0",
            ),
        ] {
            assert_eq!(redact(url), shown, "{url}");
            if let Ok(store) = RedisReplayStore::new(url) {
                assert_eq!(store.url(), shown);
                assert!(!format!("{store:?}").contains("s3cret"), "{url}: {store:?}");
            }
        }
        // Accepted by the client (so it reaches the logs) for each scheme family this build
        // supports (`rediss://` needs the client's TLS feature).
        for url in [
            "redis://:s3cret@127.0.0.1:6379/0",
            "redis+unix:///run/redis.sock?pass=s3cret",
            "unix:///run/redis.sock?password=s3cret",
        ] {
            let store = RedisReplayStore::new(url);
            assert!(store.is_ok(), "{url}: {store:?}");
        }
    }

    #[test]
    fn invalid_urls_are_reported_without_their_credentials() {
        for bad in [
            "redis://:s3cret@127.0.0.1:99999/0",
            "redis+unix://?pass=s3cret",
            "http://u:s3cret@127.0.0.1/?password=s3cret",
        ] {
            let err = RedisReplayStore::new(bad).unwrap_err();
            let mut text = format!("{err} {err:?}");
            let mut source = std::error::Error::source(&err);
            while let Some(s) = source {
                text.push_str(&s.to_string());
                source = s.source();
            }
            assert!(!text.contains("s3cret"), "{bad}: {text}");
        }
    }

    #[test]
    fn the_ttl_is_never_zero_nor_nan() {
        assert_eq!(ttl_ms(100.0, 40.0), 60_000);
        assert_eq!(ttl_ms(100.0004, 100.0), 1);
        assert_eq!(ttl_ms(10.0, 100.0), 1, "already expired");
        assert_eq!(
            ttl_ms(f64::NAN, 100.0),
            MAX_TTL_MS as u64,
            "NaN is remembered"
        );
        assert_eq!(ttl_ms(f64::INFINITY, 100.0), MAX_TTL_MS as u64);
        assert_eq!(ttl_ms(f64::NEG_INFINITY, 100.0), 1);
    }

    #[test]
    fn a_zero_timeout_is_refused() {
        let store = RedisReplayStore::new("redis://127.0.0.1:6379/0").unwrap();
        assert!(matches!(
            store.timeout(Duration::ZERO),
            Err(RedisReplayStoreError::ZeroTimeout)
        ));
    }

    #[tokio::test]
    async fn an_unreachable_server_is_an_error_within_the_timeout() {
        // A port nothing listens on: bind one, then free it.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let store = RedisReplayStore::new(&format!("redis://127.0.0.1:{port}/0"))
            .unwrap()
            .timeout(Duration::from_millis(100))
            .unwrap();
        let started = std::time::Instant::now();
        let err = store
            .check_and_insert("k", crate::clock::time_at(1e12))
            .await
            .unwrap_err();
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
        assert!(
            matches!(
                err,
                ReplayStoreError::Backend(_) | ReplayStoreError::Timeout(_)
            ),
            "{err:?}"
        );
    }
}
