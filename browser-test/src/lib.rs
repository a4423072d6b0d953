//! Headless Chromium for the workspace's browser tests, driven over WebDriver (chromedriver +
//! [`fantoccini`]).
//!
//! ```no_run
//! # async fn t() {
//! let Some(browser) = browser_test::Browser::launch().await else {
//!     return; // not installed here; under CI this panics instead of skipping
//! };
//! browser.client().goto("https://127.0.0.1:8443/authorize?...").await.unwrap();
//! browser.close().await;
//! # }
//! ```
//!
//! Each [`Browser`] is its own chromedriver process with its own empty profile, so tests run in
//! parallel without sharing cookies. Chromium runs with the flags a closed network needs (no
//! background networking, no component updates, no sync) and accepts the tenant's own CA through
//! WebDriver's `acceptInsecureCerts`, the portable way to trust a test certificate.
//!
//! Where the browser is missing: under `CI` (set by `.ci/run`, which installs Debian's
//! `chromium` and `chromium-driver`) [`Browser::launch`] panics, so a CI run can never pass by
//! skipping; elsewhere it returns `None` with a note on stderr.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

pub use fantoccini;
use fantoccini::{Client, ClientBuilder};
use serde_json::{Map, Value, json};
use tokio::process::{Child, Command};

/// Where Debian (and most distributions) install the two programs; `CHROMIUM` and
/// `CHROMEDRIVER` override them.
const CHROMIUM: &[&str] = &[
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/usr/bin/google-chrome",
];
const CHROMEDRIVER: &[&str] = &["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"];

/// How long chromedriver may take to accept connections (a cold Chromium on a loaded 2-core
/// machine takes a few seconds).
const DRIVER_START: Duration = Duration::from_secs(30);

/// A headless Chromium session; dropping it kills chromedriver and the browser.
pub struct Browser {
    client: Client,
    driver: Child,
    _profile: TempDir,
}

impl Browser {
    /// Starts chromedriver and a headless Chromium session, or returns `None` (with a note on
    /// stderr) where they are not installed and `CI` is unset.
    ///
    /// # Panics
    /// Under `CI` when the browser is missing, and anywhere when it is installed but will not
    /// start (a broken install must not look like a skipped test).
    pub async fn launch() -> Option<Browser> {
        let (Some(chromium), Some(driver)) = (
            find("CHROMIUM", CHROMIUM),
            find("CHROMEDRIVER", CHROMEDRIVER),
        ) else {
            skip(
                "browser",
                "chromium and chromedriver are not installed",
                "apt-get install chromium chromium-driver",
            );
            return None;
        };
        let port = free_port();
        let mut driver = Command::new(driver)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("chromedriver starts");
        let profile = TempDir::new();
        let caps = capabilities(&chromium, profile.path());
        let url = format!("http://127.0.0.1:{port}");
        let deadline = tokio::time::Instant::now() + DRIVER_START;
        let client = loop {
            match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(c) => break c,
                Err(e) if tokio::time::Instant::now() < deadline => {
                    if let Ok(Some(status)) = driver.try_wait() {
                        panic!("chromedriver exited with {status}: {e}");
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("chromedriver did not start a Chromium session: {e}"),
            }
        };
        Some(Browser {
            client,
            driver,
            _profile: profile,
        })
    }

    /// The WebDriver client: `goto`, `find`, `form`, `current_url`, `screenshot`...
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Ends the session and stops chromedriver.
    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill().await;
    }
}

/// The session's capabilities: headless Chromium on a fresh profile, quiet on a closed network.
fn capabilities(chromium: &Path, profile: &Path) -> Map<String, Value> {
    let args = [
        "--headless=new".to_owned(),
        "--no-sandbox".to_owned(), // CI runs as root, where Chromium's sandbox refuses to start
        "--disable-gpu".to_owned(),
        "--disable-dev-shm-usage".to_owned(),
        "--disable-quic".to_owned(),
        "--no-first-run".to_owned(),
        "--disable-background-networking".to_owned(),
        "--disable-component-update".to_owned(),
        "--disable-sync".to_owned(),
        "--window-size=1280,900".to_owned(),
        format!("--user-data-dir={}", profile.display()),
    ];
    let caps = json!({
        "browserName": "chrome",
        "acceptInsecureCerts": true,
        "goog:chromeOptions": { "binary": chromium, "args": args },
    });
    match caps {
        Value::Object(m) => m,
        _ => unreachable!("a JSON object literal"),
    }
}

/// The program named by `var`, else the first of `candidates` that exists.
/// `var` when it names an existing file (so `CHROMIUM=/nonexistent` plays a machine without
/// Chromium), else the first candidate that exists.
fn find(var: &str, candidates: &[&str]) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(var) {
        return Some(PathBuf::from(p)).filter(|p| p.exists());
    }
    candidates.iter().map(PathBuf::from).find(|p| p.exists())
}

/// Where skipped tests are recorded: the file `SKIPPED_TESTS_FILE` names (`scripts/test` sets
/// it and sums it up after the run, because the test harness swallows what tests print).
pub const SKIPPED_TESTS_FILE: &str = "SKIPPED_TESTS_FILE";

/// Skips a test because `missing` is not on this machine: a note on stderr and a line
/// `kind<TAB>missing<TAB>install` in [`SKIPPED_TESTS_FILE`], so the run ends by saying what
/// was skipped and how to install it.
///
/// # Panics
/// When `CI` is set: there, every test must run, and a missing program is a failure.
pub fn skip(kind: &str, missing: &str, install: &str) {
    if std::env::var_os("CI").is_some() {
        panic!("CI is set but {missing} (install: {install})");
    }
    eprintln!("note: {kind} test skipped: {missing} ({install})");
    if let Some(path) = std::env::var_os(SKIPPED_TESTS_FILE) {
        use std::io::Write as _;
        // One short append per skip: lines from parallel tests do not interleave.
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            let _ = f.write_all(format!("{kind}\t{missing}\t{install}\n").as_bytes());
        }
    }
}

/// A free port on 127.0.0.1 for chromedriver (which takes a port, not a listener).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on 127.0.0.1")
}

/// A fresh Chromium profile directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        use std::sync::atomic::{AtomicU64, Ordering};
        static N: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "browser-test-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("a temporary profile directory");
        TempDir(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
