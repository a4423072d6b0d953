//! Plays the catalog against a target, with a live progress line on stderr, and reports in
//! catalog order. Cases that need the target to load new keys share JWKS refreshes (`batch`);
//! the rest play in catalog order. After every case the tenant is restored (faults, JWKS and
//! discovery overrides cleared), and the runner notes JWKS fetches so cases that need a fresh
//! fetch can wait out the target's cooldown instead of being fooled by its cache.

use std::io::{IsTerminal as _, Write as _};
use std::time::Instant;

use serde_json::json;
use wiremock::matchers::{any, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::batch::{self, Member};
use super::catalog::case_class;
use super::catalog::{Body, Case, Catalog, Ctx, Fetch, Plan, Step, run_probes};
use super::report::{CaseResult, Report};
use super::shuffle::Shuffle;
use super::target::Target;
use super::verdict::{Grade, Level};
use mock_idp::MockTenant;
use mock_idp::SigningKey;

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
    seed: Option<u64>,
}

impl<'a> Runner<'a> {
    /// The whole catalog against `target`, with a progress line.
    pub fn new(tenant: &'a MockTenant, target: Target) -> Self {
        Runner {
            tenant,
            target,
            catalog: Catalog::all(),
            progress: true,
            seed: None,
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

    /// Plays the cases in an order drawn from `seed` instead of the default one: the same seed
    /// gives the same order. Within each stage of [`run`](Self::run) the cases are shuffled,
    /// and the key-set batch lands at a random point among the stateless and script cases
    /// (so it may have to wait out the target's JWKS cooldown). The report stays in catalog
    /// order and records the seed.
    pub fn shuffle(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// A seed for [`shuffle`](Self::shuffle) when none was given: from the clock and the
    /// process id (print it, so the order can be replayed).
    pub fn random_seed() -> u64 {
        super::shuffle::random_seed()
    }

    /// Plays every case and returns the report (in catalog order).
    ///
    /// Order of play: the key-set cases first, batched on one JWKS refresh (a target that has
    /// not fetched its JWKS yet needs no wait for it), then the stateless and script cases in
    /// catalog order, then key-set cases the batch could not grade, alone, then the cases that
    /// need a refresh each (those whose fetch fails first: a verifier may start its cooldown only
    /// on a successful fetch). [`shuffle`](Self::shuffle) changes the order within these stages.
    pub async fn run(self) -> Result<Report, RunError> {
        let started = Instant::now();
        let canary = start_canary().await;
        let ctx = Ctx::new(self.tenant, &self.target, &canary).map_err(RunError::Client)?;
        let cases = self.catalog.cases();
        let mut play = Play {
            ctx: &ctx,
            cases,
            steps: vec![None; cases.len()],
            progress: Progress::new(
                self.progress && std::io::stderr().is_terminal(),
                cases.len(),
            ),
            shuffle: self.seed.map(Shuffle::new),
        };
        let mut stateless = play.stateless();
        let batch_at = play.pick(stateless.len() + 1);
        let later = stateless.split_off(batch_at);
        play.each(stateless).await;
        let mut deferred = play.key_sets().await;
        play.each(later).await;
        play.mix(&mut deferred);
        play.alone(deferred).await;
        play.refreshes().await;
        play.progress.done();

        let results = cases
            .iter()
            .zip(play.steps)
            .map(|(case, s)| result(case, s.unwrap_or_default()))
            .collect();
        drop(ctx);
        release_canary(canary).await;
        Ok(Report {
            target: self.target.clone(),
            issuer: self.tenant.issuer().to_owned(),
            seed: self.seed,
            elapsed_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            results,
        })
    }
}

/// One run in progress: the steps of each case, by catalog index, as the stages fill them.
struct Play<'c, 'a> {
    ctx: &'c Ctx<'a>,
    cases: &'c [Case],
    steps: Vec<Option<Vec<Step>>>,
    progress: Progress,
    /// `None`: the default order.
    shuffle: Option<Shuffle>,
}

impl Play<'_, '_> {
    /// Shuffles `items` when the run is shuffled.
    fn mix<T>(&mut self, items: &mut [T]) {
        if let Some(s) = &mut self.shuffle {
            s.shuffle(items);
        }
    }

    /// A position in `0..n` when the run is shuffled, else 0.
    fn pick(&mut self, n: usize) -> usize {
        self.shuffle.as_mut().map_or(0, |s| s.below(n))
    }

    fn record(&mut self, i: usize, steps: Vec<Step>) {
        self.ctx.restore();
        self.ctx.sync_refresh();
        self.progress.case(&self.cases[i], &steps);
        self.steps[i] = Some(steps);
    }

    /// The key-set cases on shared refreshes; the indices of those the batch could not grade.
    async fn key_sets(&mut self) -> Vec<usize> {
        let mut members: Vec<Member> = self
            .cases
            .iter()
            .enumerate()
            .filter_map(|(i, case)| match case.body {
                Body::Keys(f) => Some(Member::new(self.ctx, i, case.level, f(self.ctx))),
                _ => None,
            })
            .collect();
        self.mix(&mut members);
        let mut deferred = Vec::new();
        for (i, played) in batch::play_batch(self.ctx, members).await {
            match played {
                Some(s) => self.record(i, s),
                None => deferred.push(i),
            }
        }
        deferred
    }

    /// The stateless and script cases, in catalog order or shuffled.
    fn stateless(&mut self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.cases.len())
            .filter(|&i| matches!(self.cases[i].body, Body::Probes(_) | Body::Script(_)))
            .collect();
        self.mix(&mut order);
        order
    }

    /// Plays stateless and script cases in this order.
    async fn each(&mut self, order: Vec<usize>) {
        for i in order {
            let case = &self.cases[i];
            let s = match case.body {
                Body::Probes(f) => match f(self.ctx) {
                    Plan::Probes(p) => run_probes(self.ctx, case.level, p).await,
                    Plan::Skip(why) => vec![Step::note("skipped", Grade::Skip(why))],
                },
                Body::Script(f) => f(self.ctx).await,
                Body::Keys(_) | Body::Refresh(..) => continue,
            };
            self.record(i, s);
        }
    }

    /// Key-set cases the batch could not grade, each on refreshes of its own. Their keys are
    /// built afresh: a case played alone must not reuse kids the target has already seen.
    async fn alone(&mut self, deferred: Vec<usize>) {
        for i in deferred {
            let case = &self.cases[i];
            if let Body::Keys(f) = case.body {
                let m = Member::new(self.ctx, i, case.level, f(self.ctx));
                let s = batch::play_alone(self.ctx, m).await;
                self.record(i, s);
            }
        }
    }

    /// The cases that need a JWKS fetch each, in [`Fetch`] order (failing fetches first: a
    /// verifier may start its cooldown only on a successful one), catalog order within.
    async fn refreshes(&mut self) {
        let mut order: Vec<(Fetch, usize)> = self
            .cases
            .iter()
            .enumerate()
            .filter_map(|(i, case)| match case.body {
                Body::Refresh(_, fetch) => Some((fetch, i)),
                _ => None,
            })
            .collect();
        // Shuffled within each kind of fetch: failing fetches still go first.
        self.mix(&mut order);
        order.sort_by_key(|&(fetch, _)| fetch);
        for (_, i) in order {
            if let Body::Refresh(f, _) = self.cases[i].body {
                let s = f(self.ctx).await;
                self.record(i, s);
            }
        }
    }
}

/// A case's result from its steps: the worst graded step, informational steps aside.
fn result(case: &Case, steps: Vec<Step>) -> CaseResult {
    // Informational steps (advertised algs, a probe the catalog leaves open) do not lower a
    // case that otherwise passed; a case of only such steps is informational.
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
    CaseResult {
        id: case.id.to_owned(),
        group: case.group,
        title: case.title.to_owned(),
        level: case.level,
        source: case.source.to_owned(),
        class: case_class(&grade, &steps),
        grade,
        steps,
    }
}

/// The live progress line on stderr (only when it is a terminal).
struct Progress {
    on: bool,
    total: usize,
    played: usize,
    failed: usize,
}

impl Progress {
    fn new(on: bool, total: usize) -> Progress {
        Progress {
            on,
            total,
            played: 0,
            failed: 0,
        }
    }

    fn case(&mut self, case: &Case, steps: &[Step]) {
        self.played += 1;
        if steps.iter().any(|s| matches!(s.grade, Grade::Fail(_))) {
            self.failed += 1;
        }
        if self.on {
            let mut err = std::io::stderr().lock();
            let _ = write!(
                err,
                "\r\x1b[2K[{:>3}/{}] {:<7} {:<48} failed so far: {}",
                self.played,
                self.total,
                case.id,
                crate::observe::shorten(case.title, 46),
                self.failed
            );
            let _ = err.flush();
        }
    }

    fn done(&self) {
        if self.on {
            let _ = writeln!(
                std::io::stderr().lock(),
                "\r\x1b[2K{} cases played",
                self.total
            );
        }
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

/// Drops the canary off the async thread. `MockServer`'s `Drop` blocks on an async lock
/// (`futures::executor::block_on`); on a tokio worker whose task has spent its cooperative
/// budget, that lock answers `Pending` until the task yields, which it never does inside
/// `block_on`: the thread spins forever (seen once in about two hundred runs).
async fn release_canary(canary: MockServer) {
    let _ = tokio::task::spawn_blocking(move || drop(canary)).await;
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

/// The `.env` a target needs to trust `tenant` (CA file at `ca_path`), with the algorithm and
/// signing secret of the API `audience` names when it does not sign RS256.
pub fn env_for(tenant: &MockTenant, audience: &str, ca_path: &std::path::Path) -> String {
    let mut env = mock_idp::dotenv(&tenant.urls().domains(), audience, Some(ca_path));
    if let Some(api) = tenant.config().api(audience) {
        env.push_str(&api.verifier_env());
    }
    env
}
