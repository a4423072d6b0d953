//! What one Action adds to a round trip, measured so that a busy machine does not decide the
//! answer: two tenants in one process (one with a trivial Action per trigger, one without),
//! requests alternated between them round after round, and the median of each. Also the
//! median time of the executions themselves as the tenant records them (the worker round trip:
//! the event built, two JSON lines over the pipes, the calls applied).
//!
//! Usage: `cargo run --release -p mock-idp --example actions_overhead -- [ROUNDS]` (needs
//! `node` on PATH; default 1000 rounds).

use std::time::{Duration, Instant};

use mock_idp::MockTenant;
use mock_idp::config::{
    DEFAULT_AUDIENCE, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_USER_EMAIL,
    DEFAULT_USER_PASSWORD, DEFAULT_WEB_CLIENT_ID, DEFAULT_WEB_CLIENT_SECRET,
};

#[path = "../benches/support/actions_tenant.rs"]
mod actions_tenant;
use actions_tenant::tenant;

async fn client_credentials(t: &MockTenant, http: &reqwest::Client) -> Duration {
    let start = Instant::now();
    let res = http
        .post(t.urls().token())
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", DEFAULT_CLIENT_ID),
            ("client_secret", DEFAULT_CLIENT_SECRET),
            ("audience", DEFAULT_AUDIENCE),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), 200);
    res.bytes().await.expect("body");
    start.elapsed()
}

async fn password(t: &MockTenant, http: &reqwest::Client) -> Duration {
    let start = Instant::now();
    let res = http
        .post(t.urls().token())
        .form(&[
            ("grant_type", "password"),
            ("client_id", DEFAULT_WEB_CLIENT_ID),
            ("client_secret", DEFAULT_WEB_CLIENT_SECRET),
            ("username", DEFAULT_USER_EMAIL),
            ("password", DEFAULT_USER_PASSWORD),
            ("scope", "openid"),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), 200);
    res.bytes().await.expect("body");
    start.elapsed()
}

async fn browser_login(t: &MockTenant) -> Duration {
    let start = Instant::now();
    t.login(DEFAULT_USER_EMAIL)
        .client(DEFAULT_WEB_CLIENT_ID)
        .scope("openid")
        .await
        .expect("logged in");
    start.elapsed()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(1000);
    let none = tenant(false);
    let one = tenant(true);
    let (h0, h1) = (none.http_client(), one.http_client());
    // Warm up: connections, the worker's JIT.
    for _ in 0..50 {
        client_credentials(&none, &h0).await;
        client_credentials(&one, &h1).await;
        password(&none, &h0).await;
        password(&one, &h1).await;
    }
    one.journal().clear();
    let mut cc = (Vec::new(), Vec::new());
    let mut pw = (Vec::new(), Vec::new());
    let mut micros = Vec::new();
    for _ in 0..rounds {
        cc.0.push(client_credentials(&none, &h0).await);
        cc.1.push(client_credentials(&one, &h1).await);
        pw.0.push(password(&none, &h0).await);
        pw.1.push(password(&one, &h1).await);
        // The journal keeps the last 200 executions: read them as they come.
        micros.extend(one.journal().action_executions().iter().map(|e| e.micros));
        one.journal().clear();
    }
    let mut bl = (Vec::new(), Vec::new());
    for _ in 0..(rounds / 10).max(10) {
        bl.0.push(browser_login(&none).await);
        bl.1.push(browser_login(&one).await);
    }
    println!("rounds: {rounds} (browser logins: {})", bl.0.len());
    println!("| round trip | no Action (median) | one Action (median) | added |");
    println!("|---|---|---|---|");
    for (name, (a, b)) in [
        ("client_credentials", cc),
        ("password grant login", pw),
        ("browser login (4 requests)", bl),
    ] {
        let (a, b) = (median(a), median(b));
        let added = b.as_secs_f64() - a.as_secs_f64();
        println!(
            "| {name} | {} | {} | {:.3} ms |",
            ms(a),
            ms(b),
            added * 1000.0
        );
    }
    micros.sort_unstable();
    let pick = |q: f64| micros[((micros.len() - 1) as f64 * q) as usize];
    println!(
        "executions recorded: {}, median {} µs, p90 {} µs, p99 {} µs",
        micros.len(),
        pick(0.5),
        pick(0.9),
        pick(0.99)
    );
}
