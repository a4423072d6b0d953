//! The soak run behind `bench/soak.sh` (a benchmark, not a test: it asserts nothing about time).
//!
//! It runs the release `protected-api` binary as a child process against an in-process mock
//! tenant on a fixed port, drives `wrk` (script `bench/soak.lua`) at `/api/private` (Bearer) and
//! `/api/dpop-protected` (DPoP, a fresh proof per request) for 90 s, and on the way:
//! - t=5 s publishes the tenant's next signing key, t=40 s signs with it (Auth0's order: a key
//!   is in the JWKS before it signs); tokens signed by the old key stay in use to the end;
//! - t=10 s floods 200,000 distinct proofs from one client key (its own valid DPoP-bound token),
//!   then replays a proof another client sent just before the flood;
//! - t=50 s stops the tenant (its port closed: a real outage) and restarts it at t=70 s on the
//!   same port with the same keys and CA;
//! - after the load, withdraws the first key from the JWKS and polls with the token it signed
//!   (cached by the API all along) until the API refuses it.
//!
//! It prints a Markdown summary (also `summary.md` in the output directory, next to every wrk
//! output and the API's log) and exits non-zero if a valid credential got a non-2xx, the
//! replayed proof was accepted, the API's peak RSS reached 200 MiB, or the withdrawn key's token
//! was still accepted after 90 s.
//!
//! Usage: `soak <protected-api binary> <output directory>`, from the repository root (the wrk
//! script is `bench/soak.lua`). Knobs (environment): `SOAK_FLOOD` (proofs, default 200000),
//! `SOAK_CLIENTS` (steady DPoP clients, default 20), `SOAK_DPOP_PER_SEGMENT` (steady proofs per
//! 15 s segment, default 15000), `SOAK_BEARER_CONNS` (default 8).

use std::collections::BTreeMap;
use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mock_idp::{Clock, DpopKey, KeyRing, MockTenant, TokenBuilder, config::TenantConfig};

/// The whole run, and the points in it where something happens (seconds from the start).
const RUN_SECS: u64 = 90;
const PUBLISH_AT: u64 = 5;
const FLOOD_AT: u64 = 10;
const ROTATE_AT: u64 = 40;
const OUTAGE_FROM: u64 = 50;
const OUTAGE_UNTIL: u64 = 70;
/// Steady DPoP load comes in segments of fresh proofs: a proof is accepted only within its
/// `iat` window (60 s on the hardened verifier), so proofs cannot all be made up front.
const SEGMENT_SECS: u64 = 15;
/// The flood gives up after this long (its proofs would be too old to matter anyway).
const FLOOD_MAX_SECS: u64 = 55;
/// The peak RSS the issue allows the API.
const RSS_LIMIT_KIB: u64 = 200 * 1024;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(api_bin), Some(out)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: soak <protected-api binary> <output directory>");
        return ExitCode::from(2);
    };
    match run(Path::new(api_bin), Path::new(out)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("soak: {e}");
            ExitCode::from(2)
        }
    }
}

fn knob(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A tenant that can be taken down and brought back on the same port with the same keys and CA.
struct Tenant {
    state_dir: PathBuf,
    keys: KeyRing,
    port: u16,
    running: Option<MockTenant>,
    /// JWKS and discovery requests served by earlier incarnations.
    jwks_before: usize,
    discovery_before: usize,
}

impl Tenant {
    fn start(state_dir: PathBuf) -> Result<Tenant, String> {
        let mut tenant = Tenant {
            state_dir,
            keys: KeyRing::fixtures(),
            port: 0,
            running: None,
            jwks_before: 0,
            discovery_before: 0,
        };
        tenant.up()?;
        Ok(tenant)
    }

    fn up(&mut self) -> Result<(), String> {
        let running = MockTenant::builder()
            .port(self.port)
            .state_dir(&self.state_dir)
            .keys(self.keys.clone())
            .try_start()
            .map_err(|e| format!("tenant: {e}"))?;
        self.port = running
            .domain()
            .rsplit_once(':')
            .and_then(|(_, p)| p.parse().ok())
            .ok_or("tenant: no port in its domain")?;
        self.running = Some(running);
        Ok(())
    }

    /// Stops the server: its port is closed until [`Tenant::up`].
    fn down(&mut self) {
        if let Some(t) = self.running.take() {
            self.jwks_before += t.journal().jwks_fetches();
            self.discovery_before += t.journal().discovery_fetches();
        }
        // The server thread closes the listener when it sees the shutdown; give it a moment
        // so a restart can bind the same port.
        std::thread::sleep(Duration::from_millis(200));
    }

    fn fetches(&self) -> (usize, usize) {
        let (j, d) = self.running.as_ref().map_or((0, 0), |t| {
            (t.journal().jwks_fetches(), t.journal().discovery_fetches())
        });
        (self.jwks_before + j, self.discovery_before + d)
    }

    fn domain(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn ca_path(&self) -> PathBuf {
        self.state_dir.join("ca.pem")
    }
}

/// Mints tokens the way the tenant does, whether or not it is up (tokens already issued keep
/// working during an outage; only the API's key cache matters).
#[derive(Clone)]
struct Minter {
    issuer: String,
    keys: KeyRing,
    config: TenantConfig,
    clock: Clock,
}

impl Minter {
    fn bearer(&self) -> String {
        self.builder().build()
    }

    fn bound(&self, key: &DpopKey) -> String {
        self.builder().bound_to(key).build()
    }

    fn builder(&self) -> TokenBuilder {
        TokenBuilder::standalone(&self.issuer, &self.keys, &self.config, &self.clock, None)
    }
}

/// One DPoP client: its key and its current token.
struct Client {
    key: DpopKey,
    token: String,
}

fn make_proof(client: &Client, url: &str) -> String {
    client
        .key
        .proof("GET", url)
        .access_token(&client.token)
        .build()
}

/// `n` proofs shared round-robin between `clients`, one "token<TAB>proof" line each.
fn steady_lines(clients: &[Client], n: usize, url: &str) -> String {
    let mut out = String::with_capacity(n * 1500);
    for i in 0..n {
        let client = &clients[i % clients.len()];
        out.push_str(&client.token);
        out.push('\t');
        out.push_str(&make_proof(client, url));
        out.push('\n');
    }
    out
}

/// `n` proofs by one client, one per line, made on two threads.
fn flood_lines(client: &Client, n: usize, url: &str) -> String {
    let half = n / 2;
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| proofs(client, half, url));
        let b = proofs(client, n - half, url);
        (a.join().unwrap_or_default(), b)
    });
    a + &b
}

fn proofs(client: &Client, n: usize, url: &str) -> String {
    let mut out = String::with_capacity(n * 600);
    for _ in 0..n {
        out.push_str(&make_proof(client, url));
        out.push('\n');
    }
    out
}

/// A plain HTTP/1.1 GET on a fresh connection; returns the whole response as received.
fn http_get(port: u16, path: &str, headers: &[(&str, &str)]) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut request =
        format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes())?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    Ok(response)
}

fn status_of(response: &str) -> u16 {
    response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

fn dpop_get(port: u16, token: &str, proof: &str) -> std::io::Result<String> {
    let auth = format!("DPoP {token}");
    http_get(
        port,
        "/api/dpop-protected",
        &[("Authorization", &auth), ("DPoP", proof)],
    )
}

/// One wrk run in flight.
struct Wrk {
    name: String,
    child: Child,
    output: PathBuf,
}

struct WrkSpec<'a> {
    name: &'a str,
    url: String,
    secs: u64,
    conns: usize,
    env: Vec<(&'a str, String)>,
}

impl Wrk {
    fn start(spec: WrkSpec<'_>, out: &Path) -> Result<Wrk, String> {
        let output = out.join(format!("wrk-{}.txt", spec.name));
        let file = std::fs::File::create(&output).map_err(|e| e.to_string())?;
        let mut cmd = Command::new("wrk");
        cmd.args(["-t1", "-c", &spec.conns.to_string()])
            .args(["-d", &format!("{}s", spec.secs)])
            .args(["--timeout", "10s", "--latency", "-s", "bench/soak.lua"])
            .arg(&spec.url)
            .envs(spec.env)
            .env("THREADS", "1")
            .stdout(file)
            .stderr(Stdio::null());
        let child = cmd.spawn().map_err(|e| format!("cannot run wrk: {e}"))?;
        Ok(Wrk {
            name: spec.name.to_owned(),
            child,
            output,
        })
    }

    /// Asks wrk to stop now and report (it treats SIGINT as the end of the run).
    fn interrupt(&self) {
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
    }

    fn finish(mut self) -> Result<WrkResult, String> {
        self.child.wait().map_err(|e| e.to_string())?;
        let text = std::fs::read_to_string(&self.output).map_err(|e| e.to_string())?;
        WrkResult::parse(&self.name, &text)
    }
}

/// What `bench/soak.lua` reported for one wrk run.
#[derive(Debug, Default, Clone)]
struct WrkResult {
    name: String,
    statuses: BTreeMap<u16, u64>,
    requests: u64,
    /// DPoP requests sent (each with its own proof); 0 for Bearer runs.
    sent: u64,
    p99_us: u64,
    /// wrk's socket errors line, if any ("Socket errors: connect 0, read 0, ...").
    socket_errors: Option<String>,
}

impl WrkResult {
    fn parse(name: &str, text: &str) -> Result<WrkResult, String> {
        let mut r = WrkResult {
            name: name.to_owned(),
            ..WrkResult::default()
        };
        for line in text.lines() {
            let line = line.trim();
            if line.starts_with("Socket errors") {
                r.socket_errors = Some(line.to_owned());
            }
            let Some(rest) = line.strip_prefix("SOAK ") else {
                continue;
            };
            let fields: BTreeMap<&str, u64> = rest
                .split_whitespace()
                .filter_map(|f| f.split_once('='))
                .filter_map(|(k, v)| Some((k, v.parse().ok()?)))
                .collect();
            if let (Some(s), Some(c)) = (fields.get("status"), fields.get("count")) {
                r.statuses.insert(*s as u16, *c);
            }
            if let Some(n) = fields.get("sent") {
                r.sent = *n;
            }
            if let Some(n) = fields.get("requests") {
                r.requests = *n;
                r.p99_us = fields.get("p99_us").copied().unwrap_or(0);
            }
        }
        if r.requests == 0 && r.statuses.is_empty() {
            return Err(format!("wrk {name}: no SOAK lines in its output:\n{text}"));
        }
        Ok(r)
    }

    fn count(&self, status: u16) -> u64 {
        self.statuses.get(&status).copied().unwrap_or(0)
    }

    fn answered(&self) -> u64 {
        self.statuses.values().sum()
    }

    fn non_2xx(&self) -> u64 {
        self.statuses
            .iter()
            .filter(|(s, _)| !(200..300).contains(*s))
            .map(|(_, n)| n)
            .sum()
    }
}

/// The outcome of the flood and of the replay after it.
struct FloodOutcome {
    wrk: WrkResult,
    secs: f64,
    capture: String,
    replay: String,
    capture_to_replay_secs: f64,
}

/// Peak RSS sampling of the API: /proc/<pid>/status, VmRSS every 250 ms and VmHWM at the end.
fn proc_status_kib(pid: u32, field: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|rest| rest.trim_start_matches(':').split_whitespace().next())
        .and_then(|n| n.parse().ok())
}

fn free_port() -> Result<u16, String> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(l.local_addr().map_err(|e| e.to_string())?.port())
}

fn wait_healthy(port: u16, api: &mut Child) -> Result<(), String> {
    for _ in 0..100 {
        if let Ok(Some(status)) = api.try_wait() {
            return Err(format!(
                "the API exited at start-up ({status}); see api.log"
            ));
        }
        if http_get(port, "/health", &[]).is_ok_and(|r| status_of(&r) == 200) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err("the API did not answer /health within 10 s".into())
}

/// Sleeps until `at` seconds after `start`.
fn sleep_until(start: Instant, at: u64) {
    let target = start + Duration::from_secs(at);
    if let Some(d) = target.checked_duration_since(Instant::now()) {
        std::thread::sleep(d);
    }
}

fn log(start: Instant, what: &str) {
    eprintln!("[{:5.1}s] {what}", start.elapsed().as_secs_f64());
}

fn run(api_bin: &Path, out: &Path) -> Result<bool, String> {
    std::fs::create_dir_all(out).map_err(|e| e.to_string())?;
    let out = out.canonicalize().map_err(|e| e.to_string())?;
    let flood_n = knob("SOAK_FLOOD", 200_000);
    let n_clients = knob("SOAK_CLIENTS", 20).max(1);
    let per_segment = knob("SOAK_DPOP_PER_SEGMENT", 15_000);
    let bearer_conns = knob("SOAK_BEARER_CONNS", 8);

    let mut tenant = Tenant::start(out.join("tenant-state"))?;
    let minter = Minter {
        issuer: format!("https://{}/", tenant.domain()),
        keys: tenant.keys.clone(),
        config: TenantConfig::default(),
        clock: Clock::new(),
    };
    let audience = tenant
        .running
        .as_ref()
        .map(MockTenant::audience)
        .unwrap_or_default();

    let port = free_port()?;
    let base = format!("http://127.0.0.1:{port}");
    let dpop_url = format!("{base}/api/dpop-protected");
    let api_log = std::fs::File::create(out.join("api.log")).map_err(|e| e.to_string())?;
    let mut api = Command::new(api_bin)
        .current_dir(&out)
        .env_clear()
        .env("AUTH0_DOMAIN", tenant.domain())
        .env("AUTH0_AUDIENCE", audience)
        .env("AUTH0_CA_FILE", tenant.ca_path())
        .env("AUTH0_DPOP_MODE", "allowed")
        .env("PUBLIC_URL", &base)
        .env("PORT", port.to_string())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(api_log)
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", api_bin.display()))?;
    let api_pid = api.id();
    wait_healthy(port, &mut api)?;

    // Peak VmRSS, sampled while the run lasts (VmHWM at the end is the kernel's own peak).
    let sampling = Arc::new(AtomicBool::new(true));
    let peak_rss = Arc::new(AtomicU64::new(0));
    let sampler = {
        let (sampling, peak_rss) = (sampling.clone(), peak_rss.clone());
        std::thread::spawn(move || {
            while sampling.load(Ordering::Relaxed) {
                if let Some(kib) = proc_status_kib(api_pid, "VmRSS") {
                    peak_rss.fetch_max(kib, Ordering::Relaxed);
                }
                std::thread::sleep(Duration::from_millis(250));
            }
        })
    };

    let start = Instant::now();
    log(
        start,
        &format!("API pid {api_pid} on {base}, tenant on {}", tenant.domain()),
    );

    // Bearer: one token signed by the first key for the whole run.
    let old_token = minter.bearer();
    let bearer_old = Wrk::start(
        WrkSpec {
            name: "bearer-old-key",
            url: format!("{base}/api/private"),
            secs: RUN_SECS,
            conns: bearer_conns,
            env: vec![("TOKEN", old_token.clone())],
        },
        &out,
    )?;

    // Steady DPoP clients: segments of fresh proofs, tokens minted per segment with the key
    // the tenant signs with at the time.
    let clients: Arc<Mutex<Vec<Client>>> = Arc::new(Mutex::new(
        (0..n_clients)
            .map(|_| {
                let key = DpopKey::generate();
                let token = minter.bound(&key);
                Client { key, token }
            })
            .collect(),
    ));
    let steady = {
        let (clients, minter, out, dpop_url) = (
            clients.clone(),
            minter.clone(),
            out.clone(),
            dpop_url.clone(),
        );
        std::thread::spawn(move || -> Result<Vec<(String, WrkResult)>, String> {
            let segments = RUN_SECS / SEGMENT_SECS;
            // Pace each of 4 connections so a segment's proofs last about the segment.
            let delay_ms = (4 * SEGMENT_SECS * 1000) / (per_segment.max(1) as u64);
            let mut results = Vec::new();
            for s in 0..segments {
                let kid = minter.keys.current().kid().to_owned();
                let lines = {
                    let mut clients = clients.lock().unwrap_or_else(|e| e.into_inner());
                    for c in clients.iter_mut() {
                        c.token = minter.bound(&c.key);
                    }
                    steady_lines(&clients, per_segment, &dpop_url)
                };
                let path = out.join(format!("proofs-steady-{s}.txt"));
                std::fs::write(&path, lines).map_err(|e| e.to_string())?;
                sleep_until(start, s * SEGMENT_SECS);
                let note = format!(
                    "from {:.0} s, tokens signed by {kid}",
                    start.elapsed().as_secs_f64()
                );
                let wrk = Wrk::start(
                    WrkSpec {
                        name: &format!("dpop-steady-{s}"),
                        url: dpop_url.clone(),
                        secs: SEGMENT_SECS,
                        conns: 4,
                        env: vec![
                            ("PROOFS", path.display().to_string()),
                            ("DELAY_MS", delay_ms.to_string()),
                        ],
                    },
                    &out,
                )?;
                results.push((note, wrk.finish()?));
                let _ = std::fs::remove_file(&path);
            }
            Ok(results)
        })
    };

    // The flood: one client, its own valid token, `flood_n` distinct proofs as fast as wrk
    // sends them; then a proof another client sent just before is replayed.
    let flood = {
        let (clients, minter, out, dpop_url) = (
            clients.clone(),
            minter.clone(),
            out.clone(),
            dpop_url.clone(),
        );
        std::thread::spawn(move || -> Result<FloodOutcome, String> {
            let key = DpopKey::generate();
            let flooder = Client {
                token: minter.bound(&key),
                key,
            };
            sleep_until(start, FLOOD_AT - 5);
            log(start, &format!("making {flood_n} flood proofs"));
            let path = out.join("proofs-flood.txt");
            std::fs::write(&path, flood_lines(&flooder, flood_n, &dpop_url))
                .map_err(|e| e.to_string())?;
            sleep_until(start, FLOOD_AT);
            // The victim: steady client 0 sends a proof (accepted), which an attacker captures.
            let (victim_token, victim_proof, capture) = {
                let clients = clients.lock().unwrap_or_else(|e| e.into_inner());
                let victim = &clients[0];
                let proof = make_proof(victim, &dpop_url);
                let capture = dpop_get(port, &victim.token, &proof).map_err(|e| e.to_string())?;
                (victim.token.clone(), proof, capture)
            };
            let captured_at = Instant::now();
            // wrk runs one thread (-t1): bench/soak.lua marks its end as `flood-done.0`.
            let done_base = out.join("flood-done");
            let done_marker = out.join("flood-done.0");
            let _ = std::fs::remove_file(&done_marker);
            log(start, "flood starts");
            let flood_start = Instant::now();
            let wrk = Wrk::start(
                WrkSpec {
                    name: "dpop-flood",
                    url: dpop_url.clone(),
                    secs: FLOOD_MAX_SECS,
                    conns: 16,
                    env: vec![
                        ("TOKEN", flooder.token.clone()),
                        ("PROOFS", path.display().to_string()),
                        ("DONE_FILE", done_base.display().to_string()),
                    ],
                },
                &out,
            )?;
            while !done_marker.exists()
                && flood_start.elapsed() < Duration::from_secs(FLOOD_MAX_SECS)
            {
                std::thread::sleep(Duration::from_millis(100));
            }
            // Let the proofs still in flight be answered (and counted) before wrk stops.
            std::thread::sleep(Duration::from_secs(1));
            wrk.interrupt();
            let result = wrk.finish()?;
            let secs = flood_start.elapsed().as_secs_f64();
            log(start, &format!("flood done in {secs:.1} s"));
            let replay = dpop_get(port, &victim_token, &victim_proof).map_err(|e| e.to_string())?;
            let _ = std::fs::remove_file(&path);
            Ok(FloodOutcome {
                wrk: result,
                secs,
                capture,
                replay,
                capture_to_replay_secs: captured_at.elapsed().as_secs_f64(),
            })
        })
    };

    // Keys and the outage, on this thread.
    sleep_until(start, PUBLISH_AT);
    let next = tenant.keys.publish_next();
    log(start, &format!("published next key {next}"));
    sleep_until(start, ROTATE_AT);
    let current = tenant.keys.rotate();
    log(start, &format!("tenant now signs with {current}"));
    let bearer_new = Wrk::start(
        WrkSpec {
            name: "bearer-new-key",
            url: format!("{base}/api/private"),
            secs: RUN_SECS - ROTATE_AT,
            conns: bearer_conns,
            env: vec![("TOKEN", minter.bearer())],
        },
        &out,
    )?;
    sleep_until(start, OUTAGE_FROM);
    let before_outage = tenant.fetches();
    tenant.down();
    log(start, "tenant down (port closed)");
    sleep_until(start, OUTAGE_UNTIL);
    tenant.up()?;
    log(start, "tenant back");

    let bearer_old = bearer_old.finish()?;
    let bearer_new = bearer_new.finish()?;
    let steady = steady.join().map_err(|_| "steady thread panicked")??;
    let flood = flood.join().map_err(|_| "flood thread panicked")??;
    log(start, "load done");
    let load_fetches = tenant.fetches();
    let withdrawal = withdraw_first_key(&tenant, port, &old_token);
    log(start, "withdrawal checked");
    sampling.store(false, Ordering::Relaxed);
    let _ = sampler.join();
    let hwm = proc_status_kib(api_pid, "VmHWM").unwrap_or(0);
    let sampled = peak_rss.load(Ordering::Relaxed);
    let fetches = load_fetches;
    let after_withdrawal = tenant.fetches();
    let _ = api.kill();
    let _ = api.wait();
    let api_log = std::fs::read_to_string(out.join("api.log")).unwrap_or_default();
    let refresh_failures = api_log
        .lines()
        .filter(|l| l.contains("refresh failed"))
        .count();

    let report = Report {
        bearer_old,
        bearer_new,
        steady,
        flood,
        hwm_kib: hwm,
        sampled_kib: sampled,
        fetches,
        before_outage,
        refresh_failures,
        withdrawal,
        after_withdrawal,
    };
    let text = report.markdown();
    println!("{text}");
    std::fs::write(out.join("summary.md"), &text).map_err(|e| e.to_string())?;
    Ok(report.passed())
}

/// After the load: the tenant withdraws the first key from its JWKS; the token it signed, which
/// the API has served from its token cache all along, must stop working within about one JWKS
/// lifetime (the API refreshes the JWKS when it expires even if every request hits the cache).
struct Withdrawal {
    kid: String,
    /// Seconds until the old token was first refused, and that answer; `None`: still accepted
    /// after [`WITHDRAWAL_MAX_SECS`].
    refused: Option<(f64, String)>,
    /// The new key's token right after (must still work).
    new_key_status: u16,
}

const WITHDRAWAL_MAX_SECS: u64 = 90;

fn withdraw_first_key(tenant: &Tenant, port: u16, old_token: &str) -> Withdrawal {
    let kid = "tenant-1".to_owned();
    tenant.keys.retire(&kid);
    let auth = format!("Bearer {old_token}");
    let t0 = Instant::now();
    let mut refused = None;
    while t0.elapsed() < Duration::from_secs(WITHDRAWAL_MAX_SECS) {
        if let Ok(r) = http_get(port, "/api/private", &[("Authorization", &auth)])
            && status_of(&r) != 200
        {
            refused = Some((t0.elapsed().as_secs_f64(), r));
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    let new_auth = format!("Bearer {}", tenant_bearer(tenant));
    let new_key_status = http_get(port, "/api/private", &[("Authorization", &new_auth)])
        .map_or(0, |r| status_of(&r));
    Withdrawal {
        kid,
        refused,
        new_key_status,
    }
}

/// A fresh Bearer token from the running tenant (signed by its current key).
fn tenant_bearer(tenant: &Tenant) -> String {
    tenant
        .running
        .as_ref()
        .map(|t| t.token().build())
        .unwrap_or_default()
}

struct Report {
    bearer_old: WrkResult,
    bearer_new: WrkResult,
    /// Each steady DPoP segment with when it started and which key signed its tokens.
    steady: Vec<(String, WrkResult)>,
    flood: FloodOutcome,
    hwm_kib: u64,
    sampled_kib: u64,
    fetches: (usize, usize),
    before_outage: (usize, usize),
    refresh_failures: usize,
    withdrawal: Withdrawal,
    /// Tenant fetches counted at the end of the withdrawal check.
    after_withdrawal: (usize, usize),
}

impl Report {
    fn steady_total(&self) -> WrkResult {
        let mut total = WrkResult {
            name: "dpop-steady".into(),
            ..WrkResult::default()
        };
        for (_, s) in &self.steady {
            total.sent += s.sent;
            for (status, n) in &s.statuses {
                *total.statuses.entry(*status).or_default() += n;
            }
            total.requests += s.requests;
            total.p99_us = total.p99_us.max(s.p99_us);
        }
        total
    }

    fn capture_ok(&self) -> bool {
        status_of(&self.flood.capture) == 200
    }

    /// Refused: 401 `DPoP proof replayed`, or the flood protection's 429/503.
    fn replay_refused(&self) -> bool {
        let r = &self.flood.replay;
        match status_of(r) {
            401 => r.contains("replayed"),
            429 | 503 => true,
            _ => false,
        }
    }

    fn valid_non_2xx(&self) -> u64 {
        self.bearer_old.non_2xx()
            + self.bearer_new.non_2xx()
            + self.steady_total().non_2xx()
            + u64::from(!self.capture_ok())
    }

    fn passed(&self) -> bool {
        self.valid_non_2xx() == 0
            && self.replay_refused()
            && self.hwm_kib > 0
            && self.hwm_kib < RSS_LIMIT_KIB
            && self.withdrawal.refused.is_some()
            && self.withdrawal.new_key_status == 200
    }

    fn markdown(&self) -> String {
        let steady = self.steady_total();
        let f = &self.flood.wrk;
        let row = |r: &WrkResult, what: &str| {
            let statuses: Vec<String> = r
                .statuses
                .iter()
                .map(|(s, n)| format!("{s}: {n}"))
                .collect();
            format!(
                "| {} | {what} | {} | {} | {:.1} ms |\n",
                r.name,
                r.answered(),
                statuses.join(", "),
                r.p99_us as f64 / 1000.0
            )
        };
        let mut s = String::new();
        s.push_str("| wrk run | what | answered | by status | p99 |\n|---|---|---|---|---|\n");
        s.push_str(&row(
            &self.bearer_old,
            "`/api/private`, Bearer, token signed by the first key, whole run",
        ));
        s.push_str(&row(
            &self.bearer_new,
            "`/api/private`, Bearer, token signed by the new key, after the rotation",
        ));
        s.push_str(&row(
            &steady,
            &format!(
                "`/api/dpop-protected`, DPoP, {} segments of fresh proofs from steady clients",
                self.steady.len()
            ),
        ));
        s.push_str(&row(
            f,
            &format!(
                "`/api/dpop-protected`, the flood: one client key, distinct proofs ({:.1} s)",
                self.flood.secs
            ),
        ));
        for (note, r) in &self.steady {
            s.push_str(&row(r, &format!("one steady segment: {note}")));
        }
        for r in [&self.bearer_old, &self.bearer_new, f]
            .into_iter()
            .chain(self.steady.iter().map(|(_, r)| r))
        {
            if let Some(e) = &r.socket_errors {
                s.push_str(&format!("\n{}: {e}", r.name));
            }
        }
        s.push_str(&format!(
            "\n\n- non-2xx for valid credentials: **{}** (Bearer old key {}, Bearer new key {}, \
             steady DPoP {}, captured request {})\n",
            self.valid_non_2xx(),
            self.bearer_old.non_2xx(),
            self.bearer_new.non_2xx(),
            steady.non_2xx(),
            status_of(&self.flood.capture),
        ));
        s.push_str(&format!(
            "- flood: {} proofs sent, {} answered: {} accepted, {} refused 429 (key over its share), {} refused \
             503 (store full), {} other non-2xx\n",
            f.sent,
            f.answered(),
            f.count(200),
            f.count(429),
            f.count(503),
            f.non_2xx() - f.count(429) - f.count(503),
        ));
        s.push_str(&format!(
            "- API peak RSS: VmHWM {:.1} MiB (VmRSS sampled every 250 ms: max {:.1} MiB); \
             limit 200 MiB\n",
            self.hwm_kib as f64 / 1024.0,
            self.sampled_kib as f64 / 1024.0
        ));
        s.push_str(&format!(
            "- tenant fetches by the API during the load: JWKS {}, discovery {} ({} JWKS / {} discovery before \
             the outage); failed refreshes logged by the API: {}\n",
            self.fetches.0,
            self.fetches.1,
            self.before_outage.0,
            self.before_outage.1,
            self.refresh_failures
        ));
        match &self.withdrawal.refused {
            Some((secs, answer)) => s.push_str(&format!(
                "- after the load, {} withdrawn from the JWKS: the token it signed (cached by \
                 the API) refused {secs:.1} s later (JWKS fetches by then: {}); a token of the new \
                 key: {}\n\n```\n{}\n```\n",
                self.withdrawal.kid,
                self.after_withdrawal.0,
                self.withdrawal.new_key_status,
                answer.trim_end()
            )),
            None => s.push_str(&format!(
                "- after the load, {} withdrawn from the JWKS: the token it signed was **still \
                 accepted** {WITHDRAWAL_MAX_SECS} s later\n",
                self.withdrawal.kid
            )),
        }
        s.push_str(&format!(
            "- replay after the flood ({:.1} s after capture): {}\n\ncaptured request's \
             answer:\n\n```\n{}\n```\n\nthe same proof replayed after the flood:\n\n```\n{}\n```\n",
            self.flood.capture_to_replay_secs,
            if self.replay_refused() {
                "refused"
            } else {
                "**ACCEPTED**"
            },
            self.flood.capture.trim_end(),
            self.flood.replay.trim_end()
        ));
        s
    }
}
