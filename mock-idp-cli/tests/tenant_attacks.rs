//! The security review's attacks on a real `mock-idp serve` process: memory exhaustion by an
//! unauthenticated client (M1) and the start-up race between `serve` and `token`.

use std::io::BufRead as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mock_idp::DpopKey;
use serde_json::Value;

use crate::support::TempDir;

/// Kills the child if a test fails before stopping it.
struct Served(std::process::Child);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Served {
    /// Resident memory of the process (MiB), from /proc.
    fn rss_mib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.0.id())).unwrap();
        let kb: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap();
        kb / 1024
    }
}

/// `mock-idp serve` on a free port with JSON logs; the process and its port.
fn serve(dir: &TempDir, extra: &[&str]) -> (Served, u16) {
    let mut served = Served(
        Command::new(env!("CARGO_BIN_EXE_mock-idp"))
            .arg("--state-dir")
            .arg(dir.path())
            .args(["serve", "--port", "0", "--log-format", "json"])
            .args(extra)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let stdout = served.0.stdout.take().unwrap();
    let mut lines = std::io::BufReader::new(stdout).lines();
    let banner: Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    let listen: std::net::SocketAddr = banner["listen"].as_str().unwrap().parse().unwrap();
    // Keep reading the access log so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (served, listen.port())
}

fn client(dir: &TempDir) -> reqwest::Client {
    let ca = std::fs::read(dir.path().join("ca.pem")).unwrap();
    reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&ca).unwrap()])
        .build()
        .unwrap()
}

/// The review's M1 flood against the binary, sized so that the old tenant (which kept whole
/// requests and every `jti`) would hold well over 200 MiB: 400 `POST /nope` with a 300 KB
/// header and a 60 KB body, then 400 refresh-grant requests by the public SPA client, each
/// with a DPoP proof whose `jti` is 200 KB. The tenant must stay under 100 MiB and still serve.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unauthenticated_flood_leaves_the_tenant_small_and_serving() {
    let dir = TempDir::new("cli-flood");
    let (served, port) = serve(&dir, &["--fixture-keys"]);
    let base = format!("https://localhost:{port}");
    let http = client(&dir);
    let started = Instant::now();
    let before = served.rss_mib();

    let pad = "p".repeat(300_000);
    let body = "b".repeat(60_000);
    let nope = futures_flood(400, |_| {
        http.post(format!("{base}/nope"))
            .header("x-pad", pad.as_str())
            .body(body.clone())
    })
    .await;

    let key = DpopKey::generate();
    let token_url = format!("{base}/oauth/token");
    let proofs: Vec<String> = (0..400)
        .map(|i| {
            key.proof("POST", &token_url)
                .jti(&format!("{i}{}", "j".repeat(200_000)))
                .build()
        })
        .collect();
    let refresh = futures_flood(400, |i| {
        http.post(&token_url)
            .header("dpop", proofs[i].as_str())
            .form(&[
                ("grant_type", "refresh_token"),
                ("client_id", "mock-spa-client"),
                ("refresh_token", "v1.nope"),
            ])
    })
    .await;

    let after = served.rss_mib();
    assert!(
        after < 100,
        "RSS {before} MiB -> {after} MiB after the flood"
    );
    assert!(nope.iter().all(|s| *s == 404), "{nope:?}");
    // A 200 KB jti is refused before anything is kept.
    assert!(refresh.iter().all(|s| *s == 400), "{refresh:?}");
    // A valid request still succeeds.
    let res = http
        .post(&token_url)
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "mock-test-client"),
            ("client_secret", "mock-test-secret"),
            ("audience", "https://my-flask-api"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    eprintln!(
        "flood: RSS {before} -> {after} MiB in {:?}",
        started.elapsed()
    );
}

/// Sends `n` requests, 8 at a time; their statuses.
async fn futures_flood(n: usize, request: impl Fn(usize) -> reqwest::RequestBuilder) -> Vec<u16> {
    let mut statuses = Vec::with_capacity(n);
    for chunk in (0..n).collect::<Vec<_>>().chunks(8) {
        let sent: Vec<_> = chunk
            .iter()
            .map(|i| tokio::spawn(request(*i).send()))
            .collect();
        for handle in sent {
            statuses.push(handle.await.unwrap().unwrap().status().as_u16());
        }
    }
    statuses
}

/// The review's start-up race (5 of 5 before the fix): `serve` with a fresh state directory (a
/// new RSA key), a script that waits for the port and at once mints with `mock-idp token`.
/// Twenty rounds, each a new tenant: every token verifies against the served JWKS, and each
/// state directory holds one key.
#[tokio::test]
async fn tokens_minted_as_soon_as_the_port_opens_use_the_served_key() {
    for round in 0..20 {
        let dir = TempDir::new(&format!("cli-race-{round}"));
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let served = Served(
            Command::new(env!("CARGO_BIN_EXE_mock-idp"))
                .arg("--state-dir")
                .arg(dir.path())
                .args(["serve", "--port", &port.to_string()])
                .stdout(Stdio::null())
                .spawn()
                .unwrap(),
        );
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "serve never listened");
            std::thread::sleep(Duration::from_millis(2));
        }
        let out = Command::new(env!("CARGO_BIN_EXE_mock-idp"))
            .arg("--state-dir")
            .arg(dir.path())
            .arg("token")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
        let base = format!("https://localhost:{port}");
        let jwks: jsonwebtoken::jwk::JwkSet = client(&dir)
            .get(format!("{base}/.well-known/jwks.json"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if let Err(e) =
            crate::support::verify(&token, &jwks, &format!("{base}/"), "https://my-flask-api")
        {
            panic!("round {round}: {e:?}");
        }
        let keys: Vec<_> = std::fs::read_dir(dir.path().join("keys"))
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.path().extension().is_some_and(|x| x == "pem"))
            .collect();
        assert_eq!(keys.len(), 1, "round {round}: {keys:?}");
        drop(served);
    }
}

/// Review L3: a key rotated and revoked through the control API came back after a restart (the
/// ring lived in memory only). The roles now live in the state directory: the restarted
/// tenant publishes the same keys, in the same order, and never the revoked one.
#[tokio::test]
async fn rotation_and_revocation_survive_a_restart() {
    const SECRET: &str = "restart-admin-secret-0123";
    let dir = TempDir::new("cli-restart");
    let ca_out = dir.path().join("ca-for-the-api.pem");
    let ca_out_arg = ca_out.display().to_string();
    let args = [
        "--fixture-keys",
        "--admin-secret",
        SECRET,
        "--ca-out",
        &ca_out_arg,
    ];
    let (served, port) = serve(&dir, &args);
    // `--ca-out` (what the compose example gives the API container): the CA certificate alone.
    assert_eq!(
        std::fs::read_to_string(&ca_out).unwrap(),
        std::fs::read_to_string(dir.path().join("ca.pem")).unwrap()
    );
    let base = format!("https://localhost:{port}");
    let http = client(&dir);
    let call = |method: reqwest::Method, path: &str| {
        http.request(method, format!("{base}{path}"))
            .bearer_auth(SECRET)
            .send()
    };
    let res = call(reqwest::Method::POST, "/api/v2/keys/signing/rotate")
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let res = call(reqwest::Method::PUT, "/api/v2/keys/signing/tenant-1/revoke")
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let kids = |jwks: Value| -> Vec<String> {
        jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap().to_owned())
            .collect()
    };
    let jwks_url = format!("{base}/.well-known/jwks.json");
    let before = kids(
        http.get(&jwks_url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap(),
    );
    assert_eq!(before.len(), 2, "{before:?}");
    assert!(!before.contains(&"tenant-1".to_owned()), "{before:?}");
    drop(served);

    let (_served, port) = serve(&dir, &args);
    let jwks_url = format!("https://localhost:{port}/.well-known/jwks.json");
    let after = kids(
        http.get(&jwks_url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap(),
    );
    assert_eq!(after, before);
    // And the restarted tenant signs with the key that signed before the restart.
    let keys: Value = http
        .get(format!("https://localhost:{port}/api/v2/keys/signing"))
        .bearer_auth(SECRET)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let current: Vec<&str> = keys
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["current"] == true)
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    let revoked: Vec<&str> = keys
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["revoked"] == true)
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert_eq!(
        (current, revoked),
        (vec![before[0].as_str()], vec!["tenant-1"]),
        "{keys}"
    );
}
