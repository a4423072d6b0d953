//! What an Action adds to a round trip: client_credentials, a password-grant login and a
//! browser login (authorize, login form, code, token) against two tenants started in the same
//! run, one with a trivial Action per trigger and one without. Each round trip is sequential
//! over HTTPS on 127.0.0.1, so the difference per round trip is the cost of one execution
//! (two JSON lines over the worker's pipes, the `event` built and the calls applied).
//!
//! `cargo bench -p mock-idp --bench actions` (needs `node` on PATH)

use criterion::{Criterion, criterion_group, criterion_main};
use mock_idp::config::{
    DEFAULT_AUDIENCE, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_USER_EMAIL,
    DEFAULT_USER_PASSWORD, DEFAULT_WEB_CLIENT_ID, DEFAULT_WEB_CLIENT_SECRET,
};

#[path = "support/actions_tenant.rs"]
mod actions_tenant;
use actions_tenant::tenant;

fn actions(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("a runtime");
    for (label, t) in [("no Action", tenant(false)), ("one Action", tenant(true))] {
        let http = t.http_client();
        let token = t.urls().token();
        c.bench_function(&format!("client_credentials, {label}"), |b| {
            b.to_async(&rt).iter(|| async {
                let res = http
                    .post(&token)
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
                res.bytes().await.expect("body")
            })
        });
        c.bench_function(&format!("password login, {label}"), |b| {
            b.to_async(&rt).iter(|| async {
                let res = http
                    .post(&token)
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
                res.bytes().await.expect("body")
            })
        });
        c.bench_function(&format!("browser login round trip, {label}"), |b| {
            b.to_async(&rt).iter(|| async {
                t.login(DEFAULT_USER_EMAIL)
                    .client(DEFAULT_WEB_CLIENT_ID)
                    .scope("openid")
                    .await
                    .expect("logged in")
            })
        });
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(4));
    targets = actions
}
criterion_main!(benches);
