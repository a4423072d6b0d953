//! The conformance catalog against our own API, over a real HTTP listener: every M and S case
//! must pass, except those listed in [`EXCEPTIONS`] (mirrored in the README's
//! "Conformance: exceptions" section).

use std::time::Duration;

use mock_idp::MockTenant;
use mock_idp::conformance::{Grade, Level, Report, Runner, Target};
use protected_api::auth::{DpopMode, Verifier, VerifierOptions};

/// M and S cases that do not pass against our API, and why. Skips count: a case that cannot
/// be observed from outside is not a pass.
const EXCEPTIONS: &[(&str, &str)] = &[];

/// Our JWKS refresh cooldown in this test, and what the runner waits between refreshes.
const COOLDOWN: Duration = Duration::from_millis(100);

async fn start_api(tenant: &MockTenant) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let verifier = Verifier::new(
        VerifierOptions::new(tenant.domain(), tenant.audience())
            .ca_pem(tenant.ca_pem().into_bytes())
            .dpop_mode(DpopMode::Allowed)
            .jwks_refresh_cooldown(COOLDOWN)
            .public_base_url(base.clone()),
    )
    .unwrap();
    let app = protected_api::app::app(verifier);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    base
}

async fn run() -> Report {
    let tenant = MockTenant::start().await;
    let base = start_api(&tenant).await;
    let target = Target::new(base).jwks_cooldown(COOLDOWN + Duration::from_millis(50));
    Runner::new(&tenant, target)
        .progress(false)
        .run()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_api_passes_every_m_and_s_case() {
    let report = run().await;
    println!("{}", report.table());
    assert_eq!(report.results.len(), 201, "the whole catalog ran");
    let mut unexpected = Vec::new();
    for r in &report.results {
        if !matches!(r.level, Level::M | Level::S) {
            continue;
        }
        let ok = matches!(r.grade, Grade::Pass | Grade::Tolerated(_));
        let listed = EXCEPTIONS.iter().any(|(id, _)| *id == r.id);
        if !ok && !listed {
            unexpected.push(format!("{} {:?}: {}", r.id, r.grade, r.note()));
        }
        if ok && listed {
            unexpected.push(format!(
                "{} passes now: drop it from EXCEPTIONS and the README",
                r.id
            ));
        }
    }
    assert!(
        unexpected.is_empty(),
        "unexpected results:\n{}",
        unexpected.join("\n")
    );
}
