//! Scale: several replicas of the API share DPoP replay detection through Redis (RFC 9449
//! §11.1), and fail closed when Redis is gone.
//!
//! Every test starts its own `redis-server` on 127.0.0.1 (a free port, no persistence), killed
//! when the test ends. Without `redis-server` installed the tests print a note and pass, except
//! under CI (`CI` set), where they fail and say what to install.

use std::collections::BTreeMap;
use std::net::TcpListener as StdListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use mock_idp::{DpopKey, MockTenant};
use oauth2_jwt_bearer::replay::{RedisReplayStore, ReplayStore, ReplayStoreError};
use oauth2_jwt_bearer::{Verifier, VerifierOptions};

use protected_api::config::{Settings, Sources};

use crate::support::{Api, BARE_CHALLENGE, Listener, Reply, SendExt, TempDir};

/// The origin clients use: the load balancer in front of the replicas. DPoP `htu` names it,
/// whichever replica the request lands on.
const PUBLIC_URL: &str = "https://api.example.test";

/// A `redis-server` child process on 127.0.0.1; killed on drop.
struct RedisServer {
    port: u16,
    child: Option<Child>,
    /// Extra `redis-server` arguments (e.g. a memory limit).
    args: Vec<String>,
}

/// The `redis-server` program: `REDIS_SERVER` names another (`REDIS_SERVER=/nonexistent`
/// plays a machine without Redis).
fn redis_server() -> std::ffi::OsString {
    std::env::var_os("REDIS_SERVER").unwrap_or_else(|| "redis-server".into())
}

impl RedisServer {
    /// Starts a server on a free port, or `None` (after a note) when `redis-server` is not
    /// installed outside CI.
    async fn start() -> Option<RedisServer> {
        RedisServer::start_with(&[]).await
    }

    /// [`RedisServer::start`] with extra `redis-server` arguments.
    async fn start_with(args: &[&str]) -> Option<RedisServer> {
        if Command::new(redis_server())
            .arg("--version")
            .stdout(Stdio::null())
            .status()
            .is_err()
        {
            browser_test::skip(
                "Redis",
                "redis-server is not installed",
                "apt-get install redis-server",
            );
            return None;
        }
        let port = StdListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port on 127.0.0.1")
            .port();
        let mut server = RedisServer {
            port,
            child: None,
            args: args.iter().map(|a| a.to_string()).collect(),
        };
        server.spawn().await;
        Some(server)
    }

    /// Starts (or restarts) the process on this server's port and waits until it answers.
    async fn spawn(&mut self) {
        let child = Command::new(redis_server())
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .args(&self.args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                panic!(
                    "redis-server exited ({status}) before answering on 127.0.0.1:{}",
                    self.port
                );
            }
            if let Ok(mut c) = self.connect().await
                && redis::cmd("PING")
                    .query_async::<String>(&mut c)
                    .await
                    .is_ok()
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "redis-server did not answer on 127.0.0.1:{} within 10 s",
                self.port
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Kills the process (Redis "crashes"); the port stays reserved for [`Self::spawn`].
    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// A direct connection, to look at what the store wrote.
    async fn connect(&self) -> redis::RedisResult<redis::aio::MultiplexedConnection> {
        redis::Client::open(self.url())?
            .get_multiplexed_async_connection()
            .await
    }

    /// The remaining time to live (ms) of every replay entry.
    async fn replay_ttls(&self) -> Vec<i64> {
        let mut c = self.connect().await.expect("connect to redis-server");
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg("dpop-jti:*")
            .query_async(&mut c)
            .await
            .expect("KEYS");
        let mut ttls = Vec::new();
        for key in keys {
            let ttl: i64 = redis::cmd("PTTL")
                .arg(&key)
                .query_async(&mut c)
                .await
                .expect("PTTL");
            ttls.push(ttl);
        }
        ttls
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// One replica: the API binary's own wiring (settings -> `verifier_options`) with
/// `DPOP_REPLAY_REDIS_URL`, so each replica opens its own connection to the shared Redis.
async fn replica(tenant: &MockTenant, redis: &RedisServer) -> Api {
    let dir = TempDir::new();
    let ca_file = dir.write("mock-idp-ca.pem", &tenant.ca().pem());
    let vars = BTreeMap::from([
        ("AUTH0_DOMAIN".to_owned(), tenant.domain().to_owned()),
        ("AUTH0_AUDIENCE".to_owned(), tenant.audience().to_owned()),
        ("AUTH0_CA_FILE".to_owned(), ca_file.display().to_string()),
        ("PUBLIC_URL".to_owned(), PUBLIC_URL.to_owned()),
        ("DPOP_REPLAY_REDIS_URL".to_owned(), redis.url()),
        // Not the default (60 s), to show that the TTLs follow the setting.
        ("AUTH0_DPOP_IAT_WINDOW".to_owned(), "120".to_owned()),
    ]);
    let (settings, _) = Settings::from_vars(&vars, Sources { dotenv: None }).expect("settings");
    assert_eq!(settings.dpop_replay_redis_url, Some(redis.url()));
    let options = VerifierOptions::try_from(&settings).expect("options");
    Listener::bind()
        .await
        .serve(Verifier::new(options).expect("valid options"))
}

/// A DPoP request to `/api/dpop-protected` on `api` with `token` and `proof`.
async fn send(api: &Api, token: &str, proof: &str) -> Reply {
    api.get("/api/dpop-protected")
        .header("authorization", format!("DPoP {token}"))
        .header("dpop", proof)
        .reply()
        .await
}

struct Client {
    key: DpopKey,
    token: String,
}

impl Client {
    fn new(tenant: &MockTenant) -> Client {
        let key = DpopKey::generate();
        let token = tenant.token().bound_to(&key).build();
        Client { key, token }
    }

    fn proof(&self, tenant: &MockTenant) -> String {
        tenant
            .dpop()
            .proof(
                &self.key,
                "GET",
                &format!("{PUBLIC_URL}/api/dpop-protected"),
            )
            .access_token(&self.token)
            .build()
    }
}

#[tokio::test]
async fn a_proof_accepted_by_one_replica_is_a_replay_on_another() {
    let Some(redis) = RedisServer::start().await else {
        return;
    };
    let tenant = MockTenant::start().await;
    let (a, b) = (
        replica(&tenant, &redis).await,
        replica(&tenant, &redis).await,
    );
    let client = Client::new(&tenant);

    let proof = client.proof(&tenant);
    send(&a, &client.token, &proof).await.assert_ok();
    send(&b, &client.token, &proof)
        .await
        .assert_invalid_dpop_proof("DPoP proof replayed");
    send(&a, &client.token, &proof)
        .await
        .assert_invalid_dpop_proof("DPoP proof replayed");

    // A fresh proof is fine on either replica.
    send(&b, &client.token, &client.proof(&tenant))
        .await
        .assert_ok();
    send(&a, &client.token, &client.proof(&tenant))
        .await
        .assert_ok();

    // One entry per accepted proof, kept for the `iat` window (AUTH0_DPOP_IAT_WINDOW=120, plus
    // 1 s) and no longer: Redis expires them, nothing grows.
    let ttls = redis.replay_ttls().await;
    assert_eq!(ttls.len(), 3, "{ttls:?}");
    for ttl in ttls {
        assert!((110_000..=121_000).contains(&ttl), "PTTL {ttl} ms");
    }
}

#[tokio::test]
async fn entries_expire_after_their_window() {
    let Some(redis) = RedisServer::start().await else {
        return;
    };
    let store = RedisReplayStore::new(&redis.url()).expect("a valid Redis URL");
    let now = SystemTime::now();
    assert!(
        store
            .check_and_insert("k", now + Duration::from_millis(300))
            .await
            .unwrap()
    );
    assert!(
        !store
            .check_and_insert("k", now + Duration::from_millis(300))
            .await
            .unwrap()
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(
        redis.replay_ttls().await.is_empty(),
        "Redis dropped the entry"
    );
    assert!(
        store
            .check_and_insert("k", now + Duration::from_secs(60))
            .await
            .unwrap(),
        "an expired key is fresh again"
    );
}

#[tokio::test]
async fn redis_down_fails_closed_and_bearer_is_unaffected() {
    let Some(mut redis) = RedisServer::start().await else {
        return;
    };
    let tenant = MockTenant::start().await;
    let api = replica(&tenant, &redis).await;
    let client = Client::new(&tenant);
    let bearer = tenant.token().build();
    send(&api, &client.token, &client.proof(&tenant))
        .await
        .assert_ok();

    redis.stop();
    for _ in 0..3 {
        let started = Instant::now();
        let reply = send(&api, &client.token, &client.proof(&tenant)).await;
        assert_service_unavailable(&reply);
        // Bounded by the store's timeout (200 ms), not by TCP or Redis retry schedules.
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
        // Bearer requests never consult the replay store.
        api.get("/api/private")
            .bearer_auth(&bearer)
            .reply()
            .await
            .assert_ok();
    }

    // Redis comes back (same port): the connection manager reconnects by itself.
    redis.spawn().await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let reply = send(&api, &client.token, &client.proof(&tenant)).await;
        if reply.status == 200 {
            break;
        }
        assert_service_unavailable(&reply);
        assert!(Instant::now() < deadline, "no recovery within 10 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// 503, `Retry-After`, the bare challenge (the client's credentials are not at fault) and a
/// body that names the cause without details.
#[track_caller]
fn assert_service_unavailable(reply: &Reply) {
    assert_eq!(reply.status, 503, "{reply:#?}");
    assert_eq!(reply.header("retry-after"), Some("1"), "{reply:#?}");
    assert_eq!(reply.challenges(), [BARE_CHALLENGE], "{reply:#?}");
    assert_eq!(
        reply.header("cache-control"),
        Some("no-store"),
        "{reply:#?}"
    );
    assert_eq!(
        reply.body,
        serde_json::json!({
            "error": "temporarily_unavailable",
            "error_description": "DPoP replay check unavailable, retry with a new proof"
        }),
        "{reply:#?}"
    );
}

/// Redis cannot forget a live entry: with `maxmemory-policy noeviction` (what the store's docs
/// require) a full server refuses writes, so the store answers an error (the verifier: 503),
/// and a proof recorded before is never reported fresh.
#[tokio::test]
async fn a_full_redis_refuses_new_entries_and_never_forgets_old_ones() {
    let Some(redis) =
        RedisServer::start_with(&["--maxmemory", "2mb", "--maxmemory-policy", "noeviction"]).await
    else {
        return;
    };
    let store = RedisReplayStore::new(&redis.url())
        .expect("valid URL")
        .timeout(Duration::from_secs(5))
        .expect("valid timeout");
    let expires_at = SystemTime::now() + Duration::from_secs(600);
    assert!(store.check_and_insert("first", expires_at).await.unwrap());
    let mut refused = None;
    for i in 0..200_000 {
        match store
            .check_and_insert(&format!("{i:064}"), expires_at)
            .await
        {
            Ok(true) => {}
            Ok(false) => panic!("entry {i} reported as a replay"),
            Err(e) => {
                refused = Some(e);
                break;
            }
        }
    }
    let refused = refused.expect("a 2 MB Redis fills up before 200 000 entries");
    assert!(
        matches!(refused, ReplayStoreError::Backend(_)),
        "{refused:?}"
    );
    assert!(
        !matches!(store.check_and_insert("first", expires_at).await, Ok(true)),
        "the first entry is still known"
    );
}
