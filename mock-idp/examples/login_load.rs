//! A load client for the browser flows of a running tenant (`mock-idp serve --http`): full login
//! round trips (`/authorize` -> login form POST -> code -> `/oauth/token` with PKCE) or refresh
//! grants (rotating: each task uses the token it got last), per second.
//!
//! Usage: `cargo run --release -p mock-idp --example login_load -- URL login|refresh CONNS SECS`
//! with the default tenant (SPA `mock-spa-client`, user `user@example.com`). Prints one line;
//! exits non-zero if any round trip failed.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

const CLIENT: &str = "mock-spa-client";
const CALLBACK: &str = "http://localhost:3000/callback";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(base), Some(mode)) = (args.get(1).cloned(), args.get(2).cloned()) else {
        eprintln!("usage: login_load URL login|refresh [CONNS] [SECS]");
        return std::process::ExitCode::from(2);
    };
    let conns: usize = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(32);
    let secs: u64 = args.get(4).and_then(|a| a.parse().ok()).unwrap_or(10);
    let ok = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for _ in 0..conns {
        let (base, mode, ok, failed) = (base.clone(), mode.clone(), ok.clone(), failed.clone());
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client");
            let mut refresh_token: Option<String> = None;
            while Instant::now() < deadline {
                let result = match (mode.as_str(), refresh_token.take()) {
                    ("refresh", Some(rt)) => refresh(&http, &base, &rt).await,
                    _ => login(&http, &base).await,
                };
                match result {
                    Some(rt) => {
                        if mode == "refresh" {
                            refresh_token = Some(rt);
                        }
                        ok.fetch_add(1, Ordering::Relaxed);
                    }
                    None => {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let (ok, failed) = (ok.load(Ordering::Relaxed), failed.load(Ordering::Relaxed));
    println!(
        "{mode}: {ok} round trips in {secs} s = {:.0}/s with {conns} connections, {failed} failed",
        ok as f64 / secs as f64
    );
    if failed == 0 {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    }
}

/// One full login; returns the refresh token.
async fn login(http: &reqwest::Client, base: &str) -> Option<String> {
    let challenge = URL_SAFE_NO_PAD.encode(aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        VERIFIER.as_bytes(),
    ));
    let mut url = url::Url::parse(&format!("{base}/authorize")).ok()?;
    url.query_pairs_mut().extend_pairs([
        ("response_type", "code"),
        ("client_id", CLIENT),
        ("redirect_uri", CALLBACK),
        ("scope", "openid profile email offline_access read:messages"),
        ("audience", "https://my-flask-api"),
        ("state", "s"),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
    ]);
    let res = http.get(url.as_str()).send().await.ok()?;
    let tx = location(&res)?.split("state=").nth(1)?.to_owned();
    let did = res
        .headers()
        .get("set-cookie")?
        .to_str()
        .ok()?
        .split(';')
        .next()?
        .to_owned();
    let res = http
        .post(format!("{base}/u/login"))
        .header("cookie", did)
        .form(&[
            ("state", tx.as_str()),
            ("username", "user@example.com"),
            ("password", "Passw0rd!"),
        ])
        .send()
        .await
        .ok()?;
    let loc = location(&res)?;
    let code = url::Url::parse(&loc)
        .ok()?
        .query_pairs()
        .find(|(k, _)| k == "code")?
        .1
        .into_owned();
    let res = http
        .post(format!("{base}/oauth/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("client_id", CLIENT),
            ("code", &code),
            ("redirect_uri", CALLBACK),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .ok()?;
    token_of(res).await
}

async fn refresh(http: &reqwest::Client, base: &str, rt: &str) -> Option<String> {
    let res = http
        .post(format!("{base}/oauth/token"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("client_id", CLIENT),
            ("refresh_token", rt),
        ])
        .send()
        .await
        .ok()?;
    token_of(res).await
}

fn location(res: &reqwest::Response) -> Option<String> {
    (res.status() == 302).then_some(())?;
    Some(res.headers().get("location")?.to_str().ok()?.to_owned())
}

async fn token_of(res: reqwest::Response) -> Option<String> {
    if !res.status().is_success() {
        return None;
    }
    let body: serde_json::Value = res.json().await.ok()?;
    body["id_token"].as_str()?;
    Some(body["refresh_token"].as_str()?.to_owned())
}
