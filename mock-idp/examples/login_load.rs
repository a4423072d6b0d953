//! A load client for the browser flows of a running tenant (`mock-idp serve --http`): full login
//! round trips (`/authorize` -> login form POST -> code -> `/oauth/token` with PKCE) or refresh
//! grants (rotating: each task uses the token it got last), per second.
//!
//! Usage: `cargo run --release -p mock-idp --example login_load -- URL login|refresh CONNS SECS`
//! with the default tenant (SPA `mock-spa-client`, user `user@example.com`). Prints one line;
//! exits non-zero if any round trip failed.
//!
//! MFA and device flows need a tenant with many users, since an OTP code works once per user:
//! `login_load config N > tenant.toml` writes one (users `plain{i}@example.com` and
//! `mfa{i}@example.com`, interleaved, with fixed ids), then modes `plain`, `mfa` and `device`
//! cycle through those users (`URL MODE CONNS SECS N`): `plain` is the login round trip,
//! `mfa` adds the OTP step (code computed as an authenticator app does), `device` is
//! `POST /oauth/device/code` -> `/activate` (log in, code, confirm) -> one poll with the tokens.
//! A code works once, and the tenant takes the codes of the steps before and after now: each
//! user logs in at most 3 times, then once per 30 s step, so N must exceed the logins of a run
//! divided by (SECS / 30 + 3).

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

const CLIENT: &str = "mock-spa-client";
const CALLBACK: &str = "http://localhost:3000/callback";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("config") {
        let n: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(1000);
        print!("{}", bench_config(n));
        return std::process::ExitCode::SUCCESS;
    }
    let users: usize = args.get(5).and_then(|a| a.parse().ok()).unwrap_or(1000);
    let next_user = Arc::new(AtomicU64::new(0));
    // Per user, the last OTP step used: the tenant accepts the codes of the step before and
    // after now, each once, so a user can log in three times at first, then once per step.
    let last_steps: Arc<Vec<AtomicI64>> =
        Arc::new((0..users).map(|_| AtomicI64::new(i64::MIN)).collect());
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
        let next_user = next_user.clone();
        let last_steps = last_steps.clone();
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client");
            let mut refresh_token: Option<String> = None;
            while Instant::now() < deadline {
                let user = (next_user.fetch_add(1, Ordering::Relaxed) as usize) % users;
                let result = match (mode.as_str(), refresh_token.take()) {
                    ("refresh", Some(rt)) => refresh(&http, &base, &rt).await,
                    ("plain", _) => {
                        login_as(&http, &base, &format!("plain{user}@example.com"), None).await
                    }
                    ("mfa", _) => {
                        let email = format!("mfa{user}@example.com");
                        login_as(&http, &base, &email, Some(&last_steps[user])).await
                    }
                    ("device", _) => {
                        device(&http, &base, &format!("plain{user}@example.com")).await
                    }
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

/// One full login of the default user; returns the refresh token.
async fn login(http: &reqwest::Client, base: &str) -> Option<String> {
    login_as(http, base, "user@example.com", None).await
}

/// One full login of `email` (with the OTP step when it has `last_step`, the last step whose
/// code it used); returns the refresh token.
async fn login_as(
    http: &reqwest::Client,
    base: &str,
    email: &str,
    last_step: Option<&AtomicI64>,
) -> Option<String> {
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
        .header("cookie", did.clone())
        .form(&[
            ("state", tx.as_str()),
            ("username", email),
            ("password", "Passw0rd!"),
        ])
        .send()
        .await
        .ok()?;
    let mut loc = location(&res)?;
    if let Some(last) = last_step {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()?
            .as_secs() as i64;
        let step = now / 30;
        let unused = (step - 1..=step + 1).find(|s| *s > last.load(Ordering::Relaxed))?;
        last.store(unused, Ordering::Relaxed);
        let code = otp_enrolment().code_at(unused * 30)?;
        let res = http
            .post(format!("{base}/u/mfa-otp-challenge"))
            .header("cookie", did)
            .form(&[("state", tx.as_str()), ("code", code.as_str())])
            .send()
            .await
            .ok()?;
        loc = location(&res)?;
    }
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

/// The OTP enrolment every `mfa{i}` user of the bench tenant shares.
fn otp_enrolment() -> mock_idp::config::MfaConfig {
    mock_idp::config::MfaConfig {
        otp_secret: "JBSWY3DPEHPK3PXP".into(),
        recovery_codes: vec![],
        name: None,
        enrolled_at: None,
    }
}

/// One device authorization: start, the user at `/activate` (log in, code, confirm), one
/// poll that gets the tokens; returns the refresh token.
async fn device(http: &reqwest::Client, base: &str, email: &str) -> Option<String> {
    let res = http
        .post(format!("{base}/oauth/device/code"))
        .form(&[
            ("client_id", DEVICE_CLIENT),
            ("scope", "openid profile offline_access read:messages"),
            ("audience", "https://my-flask-api"),
        ])
        .send()
        .await
        .ok()?;
    let started: serde_json::Value = res.json().await.ok()?;
    let user_code = started["user_code"].as_str()?;
    let res = http
        .post(format!("{base}/activate"))
        .form(&[
            ("action", "login"),
            ("user_code", user_code),
            ("username", email),
            ("password", "Passw0rd!"),
        ])
        .send()
        .await
        .ok()?;
    (res.status() == 303).then_some(())?;
    let session = res
        .headers()
        .get("set-cookie")?
        .to_str()
        .ok()?
        .split(';')
        .next()?
        .to_owned();
    for action in ["code", "confirm"] {
        let res = http
            .post(format!("{base}/activate"))
            .header("cookie", session.clone())
            .form(&[("action", action), ("user_code", user_code)])
            .send()
            .await
            .ok()?;
        (res.status() == 200).then_some(())?;
    }
    let res = http
        .post(format!("{base}/oauth/token"))
        .form(&[
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ("client_id", DEVICE_CLIENT),
            ("device_code", started["device_code"].as_str()?),
        ])
        .send()
        .await
        .ok()?;
    token_of(res).await
}

const DEVICE_CLIENT: &str = "bench-device";

/// The bench tenant: the quickstart API, the SPA (code flow), a device-flow client, and `n`
/// plain and `n` enrolled users, interleaved, with fixed ids (no digest per lookup).
fn bench_config(n: usize) -> String {
    let mut out = format!(
        "[[apis]]\nidentifier = \"https://my-flask-api\"\npermissions = [\"read:messages\"]\nallow_offline_access = true\n\n\
         [[applications]]\nclient_id = \"{CLIENT}\"\napp_type = \"spa\"\ncallbacks = [\"{CALLBACK}\"]\n\n\
         [[applications]]\nclient_id = \"{DEVICE_CLIENT}\"\napp_type = \"native\"\n\
         grant_types = [\"urn:ietf:params:oauth:grant-type:device_code\", \"refresh_token\"]\n\n"
    );
    for i in 0..n {
        out.push_str(&format!(
            "[[users]]\nemail = \"plain{i}@example.com\"\npassword = \"Passw0rd!\"\nuser_id = \"auth0|plain{i}\"\n\n\
             [[users]]\nemail = \"mfa{i}@example.com\"\npassword = \"Passw0rd!\"\nuser_id = \"auth0|mfa{i}\"\n\
             [users.mfa]\notp_secret = \"{}\"\n\n",
            otp_enrolment().otp_secret
        ));
    }
    out
}
