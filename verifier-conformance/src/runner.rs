//! Plays the catalog against a target, in order, with a live progress line on stderr. After
//! every case the tenant is restored (faults, JWKS and discovery overrides cleared), and the
//! runner notes JWKS fetches so cases that need a fresh fetch can wait out the target's
//! cooldown instead of being fooled by its cache.

use std::io::{IsTerminal as _, Write as _};
use std::time::Instant;

use serde_json::json;
use wiremock::matchers::{any, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::catalog::{Body, Catalog, Ctx, Plan, Step, run_probes};
use super::report::{CaseResult, Report};
use super::target::Target;
use super::verdict::{Grade, Level};
use mock_idp::keys::SigningKey;
use mock_idp::tenant::MockTenant;

/// Why a run could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// The HTTP client could not be built (TLS backend).
    #[error("cannot build the HTTP client: {0}")]
    Client(#[source] reqwest::Error),
}

/// Runs a catalog against a target trusting `tenant`.
#[derive(Debug)]
#[must_use]
pub struct Runner<'a> {
    tenant: &'a MockTenant,
    target: Target,
    catalog: Catalog,
    progress: bool,
}

impl<'a> Runner<'a> {
    /// The whole catalog against `target`, with a progress line.
    pub fn new(tenant: &'a MockTenant, target: Target) -> Self {
        Runner {
            tenant,
            target,
            catalog: Catalog::all(),
            progress: true,
        }
    }

    /// Runs these cases instead (e.g. `Catalog::all().only(&["KEY".into()])`).
    pub fn catalog(mut self, catalog: Catalog) -> Self {
        self.catalog = catalog;
        self
    }

    /// Shows (default) or hides the progress line on stderr. It is only drawn when stderr is a
    /// terminal, so logs and CI output stay clean.
    pub fn progress(mut self, on: bool) -> Self {
        self.progress = on;
        self
    }

    /// Plays every case and returns the report.
    pub async fn run(self) -> Result<Report, RunError> {
        let started = Instant::now();
        let canary = start_canary().await;
        let ctx = Ctx::new(self.tenant, &self.target, &canary).map_err(RunError::Client)?;
        let progress = self.progress && std::io::stderr().is_terminal();
        let total = self.catalog.len();
        let mut results = Vec::with_capacity(total);
        let mut failed = 0usize;
        for (i, case) in self.catalog.cases().iter().enumerate() {
            if progress {
                let mut err = std::io::stderr().lock();
                let _ = write!(
                    err,
                    "\r\x1b[2K[{:>3}/{total}] {:<7} {:<48} failed so far: {failed}",
                    i + 1,
                    case.id,
                    crate::observe::shorten(case.title, 46)
                );
                let _ = err.flush();
            }
            let steps = match case.body {
                Body::Probes(f) => match f(&ctx) {
                    Plan::Probes(p) => run_probes(&ctx, case.level, p).await,
                    Plan::Skip(why) => vec![Step::note("skipped", Grade::Skip(why))],
                },
                Body::Script(f) => f(&ctx).await,
            };
            ctx.restore();
            ctx.sync_refresh();
            // Informational steps (advertised algs, a probe the catalog leaves open) do not
            // lower a case that otherwise passed; a case of only such steps is informational.
            let graded: Vec<&Grade> = steps
                .iter()
                .map(|s| &s.grade)
                .filter(|g| !matches!(g, Grade::Info(_)))
                .collect();
            let mut grade = if graded.is_empty() && !steps.is_empty() {
                steps[0].grade.clone()
            } else {
                graded
                    .into_iter()
                    .fold(Grade::Pass, |g, s| g.worst(s.clone()))
            };
            if steps.is_empty() {
                grade = Grade::Skip("no variant applies to this target".into());
            }
            if case.level == Level::I
                && let Grade::Fail(n) = grade
            {
                grade = Grade::Info(format!("differs: {n}"));
            }
            if matches!(grade, Grade::Fail(_)) {
                failed += 1;
            }
            results.push(CaseResult {
                id: case.id.to_owned(),
                group: case.group,
                title: case.title.to_owned(),
                level: case.level,
                source: case.source.to_owned(),
                grade,
                steps,
            });
        }
        if progress {
            let _ = writeln!(std::io::stderr().lock(), "\r\x1b[2K{total} cases played");
        }
        Ok(Report {
            target: self.target.clone(),
            issuer: self.tenant.issuer().to_owned(),
            elapsed_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            results,
        })
    }
}

/// A listener standing for attacker infrastructure (jku/x5u targets, foreign issuers, a JWKS
/// on another origin). It answers so a verifier that does fetch gets something to trust, but
/// any request it records is a finding.
async fn start_canary() -> MockServer {
    let server = MockServer::start().await;
    let attacker = json!({ "keys": [SigningKey::attacker().public_jwk()] });
    Mock::given(path("/jwks.json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(attacker))
        .mount(&server)
        .await;
    // Lowest priority, so mocks a case mounts later still win.
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_string("canary"))
        .with_priority(100)
        .mount(&server)
        .await;
    server
}

/// Polls `target` until it answers anything over HTTP (any status), or `timeout` passes.
pub async fn wait_for_target(target: &Target, timeout: std::time::Duration) -> bool {
    let Ok(client) = reqwest::Client::builder()
        .no_proxy()
        .timeout(std::time::Duration::from_secs(2))
        .build()
    else {
        return false;
    };
    let url = format!("{}{}", target.base_url, target.bearer_route);
    let deadline = Instant::now() + timeout;
    loop {
        if client.get(&url).send().await.is_ok() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}

/// The `.env` a target needs to trust `tenant` (CA file at `ca_path`).
pub fn env_for(tenant: &MockTenant, audience: &str, ca_path: &std::path::Path) -> String {
    let ca = ca_path.display();
    format!(
        "AUTH0_DOMAIN={}\nAUTH0_AUDIENCE={audience}\nAUTH0_CA_FILE={ca}\nSSL_CERT_FILE={ca}\nNODE_EXTRA_CA_CERTS={ca}\n",
        tenant.domain()
    )
}
