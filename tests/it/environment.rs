//! Common Issue "None values or environment variable errors": `AUTH0_DOMAIN` or
//! `AUTH0_AUDIENCE` missing, empty, or spelled in another case, or no `.env` file.
//!
//! These tests run the built `protected-api` binary with a cleared environment in an empty
//! directory: it must stop with exit status 2 and one line naming the variable and where it
//! looked. A `.env` that provides both makes it serve. The `demo` binary (`cargo run`) is
//! checked the same way: every token and curl line of its banner works as printed.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Output, Stdio};

use mock_idp::{MockTenant, StateDir};

use crate::support::*;

const NO_DOTENV: &str = "the environment (no .env file found in this directory or its parents)";
const DOMAIN_HINT: &str =
    "set it to your tenant's domain without https://, e.g. AUTH0_DOMAIN=your-tenant.us.auth0.com";
const AUDIENCE_HINT: &str = "set it to your API identifier from the Auth0 dashboard, e.g. AUTH0_AUDIENCE=https://my-flask-api";

/// `protected-api` in `dir` with only `vars` in its environment.
fn protected_api(dir: &TempDir, vars: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_protected-api"));
    command
        .env_clear()
        .env("NO_COLOR", "1")
        .current_dir(dir.path())
        .envs(vars.iter().copied());
    command
}

/// Runs the binary to completion; it must fail with status 2 and exactly `error: {line}`.
#[track_caller]
fn assert_fails_with(dir: &TempDir, vars: &[(&str, &str)], line: &str) {
    let output: Output = protected_api(dir, vars)
        .stdin(Stdio::null())
        .output()
        .expect("run protected-api");
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        format!("error: {line}\n"),
        "stderr"
    );
    assert_eq!(output.status.code(), Some(2), "exit status");
    assert!(output.stdout.is_empty(), "nothing on stdout");
}

#[test]
fn auth0_domain_missing_and_no_dotenv() {
    let dir = TempDir::new();
    assert_fails_with(
        &dir,
        &[("AUTH0_AUDIENCE", "https://my-flask-api")],
        &format!("AUTH0_DOMAIN is not set (looked in {NO_DOTENV}); {DOMAIN_HINT}"),
    );
}

#[test]
fn nothing_set_names_auth0_domain_first() {
    let dir = TempDir::new();
    assert_fails_with(
        &dir,
        &[],
        &format!("AUTH0_DOMAIN is not set (looked in {NO_DOTENV}); {DOMAIN_HINT}"),
    );
}

#[test]
fn auth0_audience_missing() {
    let dir = TempDir::new();
    assert_fails_with(
        &dir,
        &[("AUTH0_DOMAIN", "tenant.us.auth0.com")],
        &format!("AUTH0_AUDIENCE is not set (looked in {NO_DOTENV}); {AUDIENCE_HINT}"),
    );
}

#[test]
fn empty_values() {
    let dir = TempDir::new();
    for blank in ["", "   "] {
        assert_fails_with(
            &dir,
            &[
                ("AUTH0_DOMAIN", blank),
                ("AUTH0_AUDIENCE", "https://my-flask-api"),
            ],
            &format!("AUTH0_DOMAIN is set but empty (in {NO_DOTENV}); {DOMAIN_HINT}"),
        );
        assert_fails_with(
            &dir,
            &[
                ("AUTH0_DOMAIN", "tenant.us.auth0.com"),
                ("AUTH0_AUDIENCE", blank),
            ],
            &format!("AUTH0_AUDIENCE is set but empty (in {NO_DOTENV}); {AUDIENCE_HINT}"),
        );
    }
}

#[test]
fn names_in_the_wrong_case() {
    let dir = TempDir::new();
    assert_fails_with(
        &dir,
        &[
            ("auth0_domain", "tenant.us.auth0.com"),
            ("AUTH0_AUDIENCE", "https://my-flask-api"),
        ],
        &format!(
            "AUTH0_DOMAIN is not set, but auth0_domain is (looked in {NO_DOTENV}); variable \
             names are case-sensitive: rename it to AUTH0_DOMAIN"
        ),
    );
    assert_fails_with(
        &dir,
        &[
            ("AUTH0_DOMAIN", "tenant.us.auth0.com"),
            ("Auth0_Audience", "https://my-flask-api"),
        ],
        &format!(
            "AUTH0_AUDIENCE is not set, but Auth0_Audience is (looked in {NO_DOTENV}); variable \
             names are case-sensitive: rename it to AUTH0_AUDIENCE"
        ),
    );
}

#[test]
fn a_dotenv_with_problems_is_named_in_the_message() {
    let dir = TempDir::new();
    let dotenv = dir.write(
        ".env",
        "auth0_domain=tenant.us.auth0.com\nAUTH0_AUDIENCE=https://my-flask-api\n",
    );
    let sources = format!("the environment and {}", dotenv.display());
    assert_fails_with(
        &dir,
        &[],
        &format!(
            "AUTH0_DOMAIN is not set, but auth0_domain is (looked in {sources}); variable names \
             are case-sensitive: rename it to AUTH0_DOMAIN"
        ),
    );
    dir.write(
        ".env",
        "AUTH0_DOMAIN=tenant.us.auth0.com\nAUTH0_AUDIENCE=\n",
    );
    assert_fails_with(
        &dir,
        &[],
        &format!("AUTH0_AUDIENCE is set but empty (in {sources}); {AUDIENCE_HINT}"),
    );
}

/// A child process killed (by its id) when the test ends, pass or fail.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A free port on 127.0.0.1 (bound, read, released) for a binary that binds `PORT` itself.
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("bound address").port()
}

/// Reads lines from `reader` until one contains `marker`; returns every line read.
fn read_until(reader: impl std::io::Read + Send + 'static, marker: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut rest = BufReader::new(reader).lines();
    for line in rest.by_ref() {
        let line = line.expect("readable output");
        let done = line.contains(marker);
        lines.push(line);
        if done {
            // Keep draining, so the process's later log lines never meet a closed pipe.
            std::thread::spawn(move || rest.for_each(drop));
            return lines;
        }
    }
    panic!("the process ended before printing {marker:?}; it printed {lines:#?}");
}

/// Starts `protected-api` in `dir` with its stderr piped to us.
fn spawn_api(dir: &TempDir) -> (Running, std::process::ChildStderr) {
    let mut child = protected_api(dir, &[])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start protected-api");
    let stderr = child.stderr.take().expect("piped stderr");
    (Running(child), stderr)
}

/// Starts `protected-api` in `dir` (whose `.env` names the port) and waits until it serves;
/// returns the process and what it logged on stderr until then.
async fn serving_api(dir: &TempDir, port: u16) -> (Running, Vec<String>) {
    let (running, stderr) = spawn_api(dir);
    let marker = format!("protecting http://127.0.0.1:{port}");
    let log = tokio::task::spawn_blocking(move || read_until(stderr, &marker))
        .await
        .expect("read stderr");
    (running, log)
}

fn write_dotenv(dir: &TempDir, tenant: &MockTenant, audience: &str, port: u16) {
    let ca = dir.write("mock-idp-ca.pem", &tenant.ca().pem());
    dir.write(
        ".env",
        &format!(
            "AUTH0_DOMAIN={}\nAUTH0_AUDIENCE={audience}\nAUTH0_CA_FILE={}\nPORT={port}\n\
             ALLOWED_HOSTS=127.0.0.1:{port}\n",
            tenant.domain(),
            ca.display()
        ),
    );
}

#[tokio::test]
async fn a_dotenv_that_provides_the_settings_makes_the_api_serve() {
    let tenant = MockTenant::start().await;
    let dir = TempDir::new();
    let port = free_port();
    write_dotenv(&dir, &tenant, tenant.audience(), port);
    let (_running, log) = serving_api(&dir, port).await;
    assert!(
        !log.iter().any(|line| line.contains("WARN")),
        "no warnings: {log:#?}"
    );

    let api = client();
    let base = format!("http://127.0.0.1:{port}");
    let public = api.get(format!("{base}/api/public")).reply().await;
    public.assert_ok();
    let token = tenant.token().build();
    let private = api
        .get(format!("{base}/api/private"))
        .bearer_auth(&token)
        .reply()
        .await;
    private.assert_ok();
    let missing = api.get(format!("{base}/api/private")).reply().await;
    missing.assert_refused(401, "unauthorized", "Missing authorization", BARE_CHALLENGE);
}

#[tokio::test]
async fn a_bare_word_audience_is_warned_about_at_start_up() {
    // The API still starts (the identifier is whatever the dashboard says), but says what
    // shape Auth0 identifiers have.
    let tenant = MockTenant::start().await;
    let dir = TempDir::new();
    let port = free_port();
    write_dotenv(&dir, &tenant, "my-api", port);
    let (_running, log) = serving_api(&dir, port).await;
    let warning = "AUTH0_AUDIENCE=\"my-api\" is not a URL or URN; Auth0 API identifiers look like \
                   https://my-api or urn:my-api, and tokens carry it exactly in `aud`";
    let warned: Vec<&String> = log.iter().filter(|line| line.contains(warning)).collect();
    assert_eq!(warned.len(), 1, "{log:#?}");
    assert!(warned[0].contains("WARN"), "{log:#?}");
}

#[tokio::test]
async fn allowed_hosts_makes_the_binary_answer_421_to_another_host() {
    let tenant = MockTenant::start().await;
    let dir = TempDir::new();
    let port = free_port();
    write_dotenv(&dir, &tenant, tenant.audience(), port);
    let (_running, _log) = serving_api(&dir, port).await;
    let authority = format!("127.0.0.1:{port}");
    let bearer = vec![format!("Authorization: Bearer {}", tenant.token().build())];
    let send = |host: &str| {
        let mut lines = vec![format!("Host: {host}")];
        lines.extend(bearer.clone());
        let authority = authority.clone();
        async move { crate::support::raw_request(&authority, "HTTP/1.1", "/api/private", &lines).await }
    };
    send(&authority).await.assert_ok();
    assert_eq!(send("rs-a.invalid").await.status, 421);
}

#[tokio::test]
async fn the_api_keeps_serving_when_its_log_pipe_closes() {
    let tenant = MockTenant::start().await;
    let dir = TempDir::new();
    let port = free_port();
    write_dotenv(&dir, &tenant, tenant.audience(), port);
    let (_running, stderr) = spawn_api(&dir);
    let marker = format!("protecting http://127.0.0.1:{port}");
    // Read up to the start-up line, then close the pipe: every later log line meets EPIPE.
    let first = tokio::task::spawn_blocking(move || {
        let mut lines = BufReader::new(stderr).lines();
        lines.find(|line| line.as_ref().is_ok_and(|l| l.contains(&marker)))
    });
    let started = first
        .await
        .expect("read stderr")
        .expect("the start-up line");
    assert!(started.is_ok(), "{started:?}");

    let url = format!("http://127.0.0.1:{port}/api/private");
    let client = reqwest::Client::new();
    for _ in 0..3 {
        // A refused token is logged at `info`: a write to the closed pipe.
        let res = client
            .get(&url)
            .bearer_auth("abc.def.ghi")
            .send()
            .await
            .expect("the API still answers");
        assert_eq!(res.status(), 401);
    }
    let res = client
        .get(&url)
        .bearer_auth(tenant.token().build())
        .send()
        .await
        .expect("the API still answers");
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn the_replay_store_is_sized_by_the_settings() {
    let tenant = MockTenant::start().await;
    let dir = TempDir::new();
    let port = free_port();
    write_dotenv(&dir, &tenant, tenant.audience(), port);
    let dotenv = dir.path().join(".env");
    let mut text = std::fs::read_to_string(&dotenv).expect("read .env");
    text.push_str("DPOP_REPLAY_MAX_ENTRIES=100\nDPOP_REPLAY_PER_KEY_LIMIT=2\n");
    std::fs::write(&dotenv, text).expect("write .env");
    let (_running, _log) = serving_api(&dir, port).await;

    let url = format!("http://127.0.0.1:{port}/api/dpop-protected");
    let client = reqwest::Client::new();
    let key = mock_idp::DpopKey::generate();
    let token = tenant.token().bound_to(&key).build();
    let send = |proof: String| {
        client
            .get(&url)
            .header("Authorization", format!("DPoP {token}"))
            .header("DPoP", proof)
            .send()
    };
    for _ in 0..2 {
        let proof = key.proof("GET", &url).access_token(&token).build();
        assert_eq!(send(proof).await.expect("answer").status(), 200);
    }
    // The third fresh proof of the same key is over its share of 2: 429, not accepted.
    let proof = key.proof("GET", &url).access_token(&token).build();
    let res = send(proof).await.expect("answer");
    assert_eq!(res.status(), 429);
    assert!(res.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn dpop_without_public_url_or_allowed_hosts_is_warned_about_once() {
    let tenant = MockTenant::start().await;
    let dir = TempDir::new();
    let port = free_port();
    write_dotenv(&dir, &tenant, tenant.audience(), port);
    let dotenv = dir.path().join(".env");
    let without: String = std::fs::read_to_string(&dotenv)
        .expect("read .env")
        .lines()
        .filter(|line| !line.starts_with("ALLOWED_HOSTS="))
        .map(|line| format!("{line}\n"))
        .collect();
    std::fs::write(&dotenv, without).expect("write .env");
    let (_running, log) = serving_api(&dir, port).await;
    let warned: Vec<&String> = log.iter().filter(|line| line.contains("WARN")).collect();
    assert_eq!(warned.len(), 1, "{log:#?}");
    assert!(
        warned[0].contains(
            "DPoP is enabled and neither PUBLIC_URL nor ALLOWED_HOSTS is set: the URL a DPoP \
             proof's htu is compared with is built from the client's Host header"
        ),
        "{log:#?}"
    );
}

/// Splits a shell line into words: double quotes group, `#` after a space starts a comment.
fn shell_words(line: &str) -> (Vec<String>, Option<String>) {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    let mut chars = line.trim().chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => quoted = !quoted,
            '#' if !quoted && word.is_empty() => {
                let comment: String = chars.collect();
                return (words, Some(comment.trim().to_owned()));
            }
            c if c.is_whitespace() && !quoted => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            c => word.push(c),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    (words, None)
}

#[tokio::test]
async fn the_demo_banner_works_as_printed() {
    let dir = TempDir::new();
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_demo"))
        .env_clear()
        .env("NO_COLOR", "1")
        .env("MOCK_IDP_STATE_DIR", dir.path())
        .env("PORT", port.to_string())
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the demo");
    let stdout = child.stdout.take().expect("piped stdout");
    let _running = Running(child);
    let banner = tokio::task::spawn_blocking(move || read_until(stdout, "Ctrl-C stops the demo."))
        .await
        .expect("read the banner");

    // The token lines: NAME="value"    # comment
    let mut vars = Vec::new();
    for line in &banner {
        let (words, _) = shell_words(line);
        if let [assignment] = words.as_slice()
            && let Some((name, value)) = assignment.split_once('=')
            && name.ends_with("_TOKEN")
        {
            vars.push((format!("${name}"), value.to_owned()));
        }
    }
    let names: Vec<&str> = vars.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["$READ_TOKEN", "$ADMIN_TOKEN", "$DPOP_TOKEN"]);
    let expand = |text: &str| {
        vars.iter()
            .fold(text.to_owned(), |t, (name, value)| t.replace(name, value))
    };

    // The curl lines, in order; a comment like `# 403 insufficient_scope` gives the status.
    let api = client();
    let state = StateDir::open(dir.path()).expect("the demo's state dir");
    let dpop_key = state.load_or_init_dpop_key().expect("the demo's DPoP key");
    let mut ran = 0;
    for line in banner
        .iter()
        .filter(|l| l.trim_start().starts_with("curl "))
    {
        let (words, comment) = shell_words(line);
        let expected: u16 = comment
            .as_deref()
            .and_then(|c| c.split(' ').next())
            .and_then(|s| s.parse().ok())
            .unwrap_or(200);
        let mut request_url = None;
        let mut headers = Vec::new();
        let mut args = words[1..].iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "-i" => {}
                "-H" => headers.push(args.next().expect("a header after -H").clone()),
                url => request_url = Some(url.to_owned()),
            }
        }
        let url = request_url.expect("a URL");
        assert!(
            url.starts_with(&format!("http://127.0.0.1:{port}/")),
            "{line}"
        );
        let mut request = api.get(&url);
        for header in headers {
            let (name, value) = header.split_once(": ").expect("Name: value");
            let value = match value.split_once("$(") {
                // `$(cargo run -q -p mock-idp-cli -- --state-dir DIR proof --url URL --token T)`:
                // the same proof, made with mock-idp's library and the state dir's key.
                Some((_, command)) => {
                    let (words, _) = shell_words(command.trim_end_matches(')'));
                    let arg = |flag: &str| {
                        let at = words.iter().position(|w| w == flag).expect(flag);
                        expand(&words[at + 1])
                    };
                    assert_eq!(arg("--state-dir"), dir.path().display().to_string());
                    dpop_key
                        .proof("GET", &arg("--url"))
                        .access_token(&arg("--token"))
                        .build()
                }
                None => expand(value),
            };
            request = request.header(name, value);
        }
        let reply = request.reply().await;
        assert_eq!(reply.status, expected, "{line}\n{reply:#?}");
        match expected {
            200 => assert!(
                reply.body.get("message").or(reply.body.get("user_id")).is_some(),
                "{line}\n{reply:#?}"
            ),
            401 => reply.assert_refused(401, "unauthorized", "Missing authorization", BARE_CHALLENGE),
            403 => reply.assert_refused(
                403,
                "insufficient_scope",
                "Insufficient scope",
                r#"Bearer realm="api", error="insufficient_scope", error_description="Insufficient scope", scope="admin:write", DPoP algs="ES256""#,
            ),
            other => panic!("no expectation for {other} in {line}"),
        }
        ran += 1;
    }
    assert_eq!(ran, 9, "every curl line of the banner ran");

    // The tenant's Test page line: its URL takes the printed admin secret.
    let line = banner
        .iter()
        .find(|l| l.starts_with("The tenant's Test page"))
        .expect("a Test page line");
    let (url, secret) = line
        .split_once(": ")
        .and_then(|(_, rest)| rest.split_once("  (admin secret "))
        .expect("URL  (admin secret S)");
    let secret = secret.trim_end_matches(')');
    let ca = std::fs::read(state.ca_path()).expect("the demo's CA");
    let tenant = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&ca).unwrap()])
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = tenant
        .post(format!("{url}/session"))
        .form(&[("secret", secret)])
        .send()
        .await
        .expect("the Test page answers");
    assert_eq!(res.status(), 303, "{line}");
}

#[cfg(feature = "redis")]
#[test]
fn an_invalid_redis_url_stops_start_up_in_one_line() {
    let dir = TempDir::new();
    let output = protected_api(
        &dir,
        &[
            ("AUTH0_DOMAIN", "tenant.us.auth0.com"),
            ("AUTH0_AUDIENCE", "https://my-flask-api"),
            ("DPOP_REPLAY_REDIS_URL", "http://:s3cret@127.0.0.1:6379"),
        ],
    )
    .stdin(Stdio::null())
    .output()
    .expect("run protected-api");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with(
            r#"error: DPOP_REPLAY_REDIS_URL="http://***@127.0.0.1:6379" is invalid: "#
        ) && stderr.ends_with("; expected e.g. redis://127.0.0.1:6379/0\n")
            && stderr.lines().count() == 1,
        "{stderr}"
    );
    assert_eq!(output.status.code(), Some(2), "exit status");
}

#[cfg(not(feature = "redis"))]
#[test]
fn a_redis_url_on_a_build_without_redis_stops_start_up() {
    let dir = TempDir::new();
    assert_fails_with(
        &dir,
        &[
            ("AUTH0_DOMAIN", "tenant.us.auth0.com"),
            ("AUTH0_AUDIENCE", "https://my-flask-api"),
            ("DPOP_REPLAY_REDIS_URL", "redis://127.0.0.1:6379/0"),
        ],
        "DPOP_REPLAY_REDIS_URL is set but this build has no Redis support; build with --features redis",
    );
}
