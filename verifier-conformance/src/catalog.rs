//! The 202 cases as data: id, title, level, RFC source, and how each request is built with the
//! tenant's builders. Groups follow the catalog, one module each under `catalog/`; in it every
//! case is a `const` right above the function that is its body, and `CASES` lists them in
//! order. `docs/conformance-catalog.md` is generated from them ([`Catalog::markdown`]).

use std::sync::Mutex;
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use serde::Serialize;
use serde_json::{Value, json};
use wiremock::MockServer;

pub(crate) use super::batch::KeySet;
use super::class::Class;
use super::observe::{self, Observation, Request};
use super::target::{Profile, Target};
use super::verdict::{Expect, Grade, Level, grade};
use mock_idp::config::Dialect;
use mock_idp::keys::{SigAlg, SigningKey};
use mock_idp::mint::{Signing, TokenBuilder};
use mock_idp::proof::{DpopKey, ProofAlg, ProofBuilder};
use mock_idp::tenant::MockTenant;

mod aud;
mod clm;
mod document;
mod dpb;
mod dpp;
mod hdr;
mod iss;
mod key;
mod keys;
mod res;
mod rpn;
mod scp;
mod sig;
mod tok;

/// The catalog's groups, in its order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Group {
    /// Authorization header parsing and challenge format.
    Hdr,
    /// Token structure and JOSE header.
    Tok,
    /// Signature and algorithm.
    Sig,
    /// Keys and JWKS.
    Key,
    /// Registered claims.
    Clm,
    /// Audience.
    Aud,
    /// Issuer.
    Iss,
    /// Scope and authorisation.
    Scp,
    /// DPoP proof validation.
    Dpp,
    /// DPoP token binding.
    Dpb,
    /// Replay and nonce.
    Rpn,
    /// Resource limits and robustness.
    Res,
}

impl Group {
    /// Every group in catalog order.
    pub const ALL: [Group; 12] = [
        Group::Hdr,
        Group::Tok,
        Group::Sig,
        Group::Key,
        Group::Clm,
        Group::Aud,
        Group::Iss,
        Group::Scp,
        Group::Dpp,
        Group::Dpb,
        Group::Rpn,
        Group::Res,
    ];

    /// What the group covers (its heading in the catalog document).
    pub const fn title(self) -> &'static str {
        match self {
            Group::Hdr => "Authorization header parsing and challenge format",
            Group::Tok => "Token structure and JOSE header",
            Group::Sig => "Signature and algorithm",
            Group::Key => "Keys and JWKS",
            Group::Clm => "Registered claims",
            Group::Aud => "Audience",
            Group::Iss => "Issuer",
            Group::Scp => "Scope and authorisation",
            Group::Dpp => "DPoP proof validation",
            Group::Dpb => "DPoP token binding",
            Group::Rpn => "Replay and nonce",
            Group::Res => "Resource limits and robustness",
        }
    }

    /// `HDR`, `TOK`...
    pub const fn as_str(self) -> &'static str {
        match self {
            Group::Hdr => "HDR",
            Group::Tok => "TOK",
            Group::Sig => "SIG",
            Group::Key => "KEY",
            Group::Clm => "CLM",
            Group::Aud => "AUD",
            Group::Iss => "ISS",
            Group::Scp => "SCP",
            Group::Dpp => "DPP",
            Group::Dpb => "DPB",
            Group::Rpn => "RPN",
            Group::Res => "RES",
        }
    }

    /// The group an id belongs to, by its prefix. Only called on case constants, so an id
    /// without a group prefix stops the build instead of landing in some group.
    const fn of(id: &str) -> Group {
        let mut i = 0;
        while i < Group::ALL.len() {
            if starts_with(id.as_bytes(), Group::ALL[i].as_str().as_bytes()) {
                return Group::ALL[i];
            }
            i += 1;
        }
        panic!("a case id starts with its group prefix (HDR, TOK, ...)")
    }
}

/// `str::starts_with`, usable in a `const fn`.
const fn starts_with(s: &[u8], prefix: &[u8]) -> bool {
    if s.len() < prefix.len() {
        return false;
    }
    let mut i = 0;
    while i < prefix.len() {
        if s[i] != prefix[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// One request a case sends and what it expects.
#[derive(Debug, Clone)]
pub struct Probe {
    /// Variant label (`"BEARER"`, `"1024-bit"`...).
    pub label: String,
    /// The request.
    pub request: Request,
    /// The accepted outcomes.
    pub expect: Expect,
}

/// Shorthand for a [`Probe`].
pub fn probe(label: impl Into<String>, request: Request, expect: Expect) -> Probe {
    Probe {
        label: label.into(),
        request,
        expect,
    }
}

/// What one step of a case did.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    /// Variant label.
    pub label: String,
    /// The request, summarised.
    pub request: String,
    /// The accepted outcomes.
    pub expected: String,
    /// What came back (None for steps that send nothing: self-tests, skips).
    pub observed: Option<Observation>,
    /// The grade.
    pub grade: Grade,
    /// The request exactly as sent (None for steps that send nothing), for the HTML report.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sent: Option<Request>,
    /// What kind of wrong a failed step is (None when it passed, or sent nothing).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class: Option<Class>,
}

impl Step {
    /// A step that sent nothing.
    pub fn note(label: impl Into<String>, grade: Grade) -> Step {
        Step {
            label: label.into(),
            request: String::new(),
            expected: String::new(),
            observed: None,
            grade,
            sent: None,
            class: None,
        }
    }
}

/// The plan of a case built from data: probes, or a reason not to run.
#[derive(Debug)]
pub enum Plan {
    /// Send these in order.
    Probes(Vec<Probe>),
    /// Not checkable against this target.
    Skip(String),
}

type ProbeFn = fn(&Ctx<'_>) -> Plan;
type ScriptFn = for<'a> fn(&'a Ctx<'a>) -> BoxFuture<'a, Vec<Step>>;
type KeysFn = fn(&Ctx<'_>) -> KeySet;

/// How a case runs.
#[derive(Clone, Copy)]
pub(crate) enum Body {
    /// Stateless probes.
    Probes(ProbeFn),
    /// Drives the tenant (keys, JWKS, faults) and restores it.
    Script(ScriptFn),
    /// Publishes keys under fresh kids and sends tokens by them: batched with the other key-set
    /// cases on one JWKS refresh (see `batch`).
    Keys(KeysFn),
    /// A script that needs the target to fetch the JWKS, played after every other case in
    /// [`Fetch`] order, each on a refresh of its own.
    Refresh(ScriptFn, Fetch),
}

/// How the JWKS fetch a [`Body::Refresh`] case makes ends. A verifier may start its cooldown
/// only on a successful fetch (jose does), so the cases whose fetch fails go first: they may
/// then need no wait between them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Fetch {
    /// The tenant answers the fetch with an error or a redirect.
    Fails,
    /// The target gets a key set.
    Succeeds,
    /// The case needs no fetch but may cause some (it counts them): last, so its fetches
    /// delay no one.
    Incidental,
}

/// One catalog case.
#[derive(Clone)]
pub struct Case {
    /// `HDR-01`...
    pub id: &'static str,
    /// Its group.
    pub group: Group,
    /// Short title.
    pub title: &'static str,
    /// Level.
    pub level: Level,
    /// RFC section(s).
    pub source: &'static str,
    pub(crate) body: Body,
}

impl std::fmt::Debug for Case {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Case")
            .field("id", &self.id)
            .field("level", &self.level)
            .finish()
    }
}

impl Case {
    pub(crate) const fn probes(
        id: &'static str,
        title: &'static str,
        level: Level,
        source: &'static str,
        f: ProbeFn,
    ) -> Case {
        Case {
            id,
            group: Group::of(id),
            title,
            level,
            source,
            body: Body::Probes(f),
        }
    }

    pub(crate) const fn script(
        id: &'static str,
        title: &'static str,
        level: Level,
        source: &'static str,
        f: ScriptFn,
    ) -> Case {
        Case {
            id,
            group: Group::of(id),
            title,
            level,
            source,
            body: Body::Script(f),
        }
    }

    pub(crate) const fn keys(
        id: &'static str,
        title: &'static str,
        level: Level,
        source: &'static str,
        f: KeysFn,
    ) -> Case {
        Case {
            id,
            group: Group::of(id),
            title,
            level,
            source,
            body: Body::Keys(f),
        }
    }

    pub(crate) const fn refresh(
        id: &'static str,
        title: &'static str,
        level: Level,
        source: &'static str,
        fetch: Fetch,
        f: ScriptFn,
    ) -> Case {
        Case {
            id,
            group: Group::of(id),
            title,
            level,
            source,
            body: Body::Refresh(f, fetch),
        }
    }
}

/// Each group module's cases, in [`Group::ALL`] order.
const GROUPS: [&[Case]; 12] = [
    hdr::CASES,
    tok::CASES,
    sig::CASES,
    key::CASES,
    clm::CASES,
    aud::CASES,
    iss::CASES,
    scp::CASES,
    dpp::CASES,
    dpb::CASES,
    rpn::CASES,
    res::CASES,
];

/// The whole catalog.
#[derive(Debug, Clone)]
pub struct Catalog {
    cases: Vec<Case>,
}

impl Catalog {
    /// Every case, in catalog order.
    pub fn all() -> Catalog {
        Catalog {
            cases: GROUPS.iter().flat_map(|g| g.iter().cloned()).collect(),
        }
    }

    /// Only the cases whose id starts with one of `prefixes` (`"KEY"`, `"DPP-0"`).
    pub fn only(mut self, prefixes: &[String]) -> Catalog {
        if !prefixes.is_empty() {
            self.cases
                .retain(|c| prefixes.iter().any(|p| c.id.starts_with(p.as_str())));
        }
        self
    }

    /// The cases.
    pub fn cases(&self) -> &[Case] {
        &self.cases
    }

    /// Number of cases.
    pub fn len(&self) -> usize {
        self.cases.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.cases.is_empty()
    }
}

/// What a case can use: the tenant, the target, HTTP clients, client keys, a canary listener.
pub struct Ctx<'a> {
    /// The tenant the target trusts.
    pub tenant: &'a MockTenant,
    /// The target.
    pub target: &'a Target,
    /// Listener that must never be contacted (jku, x5u, foreign issuers, redirects).
    pub canary: &'a MockServer,
    /// The client key Kc.
    pub key: DpopKey,
    /// Another client key Kx.
    pub other: DpopKey,
    client: reqwest::Client,
    title_client: reqwest::Client,
    refresh: Mutex<RefreshState>,
}

#[derive(Debug)]
struct RefreshState {
    fetches: usize,
    /// When the runner last saw the target fetch the JWKS; at first, when the run started (the
    /// target may have fetched just before).
    at: Instant,
}

impl<'a> Ctx<'a> {
    pub(crate) fn new(
        tenant: &'a MockTenant,
        target: &'a Target,
        canary: &'a MockServer,
    ) -> Result<Self, reqwest::Error> {
        let (client, title_client) =
            observe::clients(Duration::from_millis(target.timeout_ms.max(1)))?;
        Ok(Ctx {
            tenant,
            target,
            canary,
            key: DpopKey::fixture(),
            other: DpopKey::fixture_other(),
            client,
            title_client,
            refresh: Mutex::new(RefreshState {
                fetches: tenant.jwks_fetches(),
                at: Instant::now(),
            }),
        })
    }

    /// The audience tokens carry.
    pub fn aud(&self) -> String {
        self.target
            .audience
            .clone()
            .unwrap_or_else(|| self.tenant.audience())
    }

    /// AT_ok: a valid token in the target's profile with the target's scope.
    pub fn at(&self) -> TokenBuilder {
        let dialect = match self.target.profile {
            Profile::Auth0Compat => Dialect::AccessToken,
            Profile::Rfc9068Strict => Dialect::Rfc9068Profile,
        };
        self.tenant
            .token()
            .dialect(dialect)
            .audience(&self.aud())
            .scope(&self.target.scope)
    }

    /// AT_bound: AT_ok bound to Kc.
    pub fn bound(&self) -> TokenBuilder {
        self.at().bound_to(&self.key)
    }

    /// `GET <bearer route>` with `Authorization: Bearer <token>`.
    pub fn bearer(&self, token: &str) -> Request {
        self.auth(&self.target.bearer_route, &format!("Bearer {token}"))
    }

    /// `GET route` with this exact `Authorization` value.
    pub fn auth(&self, route: &str, value: &str) -> Request {
        Request::get(route).header("authorization", value)
    }

    /// A bearer request with AT_ok changed by `f`.
    pub fn tok(&self, f: impl FnOnce(TokenBuilder) -> TokenBuilder) -> Request {
        self.bearer(&f(self.at()).build())
    }

    /// The `htu` for `route` on the target.
    pub fn htu(&self, route: &str) -> String {
        format!("{}{route}", self.target.htu_origin())
    }

    /// PROOF_ok for `GET <dpop route>` bound to `token` via `ath`, timed by the tenant clock.
    pub fn proof(&self, token: &str) -> ProofBuilder {
        self.proof_by(&self.key, token)
    }

    /// PROOF_ok signed by `key` (with its own alg) instead of Kc.
    pub fn proof_by(&self, key: &DpopKey, token: &str) -> ProofBuilder {
        key.proof("GET", &self.htu(self.target.dpop_path()))
            .clock(self.tenant.clock())
            .access_token(token)
    }

    /// A valid DPoP request for `key`: AT_ok bound to it via `cnf.jkt` and a proof it signs,
    /// so only the target's alg policy can refuse it.
    pub fn dpop_by(&self, key: &DpopKey) -> Request {
        let t = self.at().bound_to(key).build();
        let p = self.proof_by(key, &t).build();
        self.dpop(&t, &p)
    }

    /// A key whose proofs carry a real signature with the JWS alg `name`: Kc for ES256, a fresh
    /// EC or Ed25519 key, or RSA fixture key 2 for the RSA algs. `None` for an alg the mock
    /// cannot sign with, so a case never sends a label with a signature that cannot verify.
    pub fn alg_key(&self, name: &str) -> Option<DpopKey> {
        if name == ProofAlg::ES256.as_str() {
            return Some(self.key.clone());
        }
        if let Ok(alg) = name.parse::<ProofAlg>() {
            return Some(DpopKey::generate_with(alg));
        }
        name.parse::<SigAlg>()
            .ok()
            .map(|alg| DpopKey::rsa(&SigningKey::fixture(2), alg))
    }

    /// The `algs` of the `DPoP` challenge the target sends to a credential-less request on its
    /// DPoP route (RFC 9449 §7.1), in its order; `Err` with what was observed when there are
    /// none.
    pub async fn dpop_algs(&self) -> Result<Vec<String>, String> {
        let o = self.send(&Request::get(self.target.dpop_path())).await;
        let algs: Vec<String> = o
            .challenges
            .iter()
            .find(|ch| ch.is("dpop"))
            .and_then(|ch| ch.param("algs"))
            .map(|a| {
                a.split(' ')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        if algs.is_empty() {
            Err(o.summary())
        } else {
            Ok(algs)
        }
    }

    /// `GET <dpop route>` with `Authorization: DPoP <token>` and `DPoP: <proof>`.
    pub fn dpop(&self, token: &str, proof: &str) -> Request {
        self.auth(self.target.dpop_path(), &format!("DPoP {token}"))
            .header("dpop", proof)
    }

    /// AT_bound + a proof changed by `f`.
    pub fn dpp(&self, f: impl FnOnce(ProofBuilder) -> ProofBuilder) -> Request {
        let t = self.bound().build();
        let p = f(self.proof(&t)).build();
        self.dpop(&t, &p)
    }

    /// A valid DPoP request (AT_bound + PROOF_ok).
    pub fn dpop_ok(&self) -> Request {
        self.dpp(|p| p)
    }

    /// A kid no one has used: the target must fetch the JWKS to know it.
    pub fn fresh_kid(&self, what: &str) -> String {
        format!("conf-{what}-{}", mock_idp::jose::random_id())
    }

    /// A published-key-shaped RSA key under a fresh kid (fixture material, no generation).
    pub fn fresh_key(&self, what: &str, n: u8) -> SigningKey {
        SigningKey::fixture(n).with_kid(&self.fresh_kid(what))
    }

    /// A token signed by `key` (published or not) under its own kid.
    pub fn signed_by(&self, key: &SigningKey) -> TokenBuilder {
        self.at()
            .signed_with(Signing::Unpublished(key.clone()))
            .kid(key.kid())
    }

    /// The JWKS `keys` the tenant publishes right now.
    pub fn published_jwks(&self) -> Vec<Value> {
        self.tenant.keys().jwks()["keys"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Serves the tenant's keys plus `extra` as the JWKS.
    pub fn set_jwks_with(&self, extra: Vec<Value>) {
        let mut keys = self.published_jwks();
        keys.extend(extra);
        self.tenant.set_jwks_override(json!({ "keys": keys }));
    }

    /// Requests the canary has received.
    pub async fn canary_hits(&self) -> usize {
        self.canary.received_requests().await.map_or(0, |r| r.len())
    }

    /// The canary's base URL.
    pub fn canary_url(&self) -> String {
        self.canary.uri()
    }

    /// Sends a request.
    pub async fn send(&self, req: &Request) -> Observation {
        observe::send(&self.client, &self.title_client, &self.target.base_url, req).await
    }

    /// Sends a probe and grades it at `level`.
    pub async fn check(&self, level: Level, p: Probe) -> Step {
        let o = self.send(&p.request).await;
        let g = grade(level, &p.expect, &o);
        let class = matches!(g, Grade::Fail(_)).then(|| Class::of(&p.expect, &o));
        Step {
            label: p.label,
            request: p.request.summary(),
            expected: p.expect.describe(),
            observed: Some(o),
            grade: g,
            sent: Some(p.request),
            class,
        }
    }

    /// Notes JWKS fetches seen since the last call (each one starts the target's cooldown).
    pub fn sync_refresh(&self) {
        let now = self.tenant.jwks_fetches();
        let mut s = self.refresh.lock().unwrap_or_else(|e| e.into_inner());
        if now != s.fetches {
            s.fetches = now;
            s.at = Instant::now();
        }
    }

    /// Runs `attempt`, which should make the target fetch the JWKS (an unknown kid). When the
    /// tenant saw no fetch (the target was cooling down from an earlier refresh), waits the
    /// cooldown out and runs it once more. Optimistic, so a target whose failed fetches do not
    /// start its cooldown is never waited for after one.
    pub async fn fetching<T, F, Fut>(&self, attempt: F) -> T
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = T>,
    {
        let before = self.tenant.jwks_fetches();
        let out = attempt().await;
        if self.tenant.jwks_fetches() != before || self.target.jwks_cooldown_ms == 0 {
            self.sync_refresh();
            return out;
        }
        self.await_cooldown().await;
        let out = attempt().await;
        self.sync_refresh();
        out
    }

    /// Waits until the target's JWKS cooldown since the last fetch has passed, so the next
    /// unknown kid makes it fetch again.
    pub async fn await_cooldown(&self) {
        self.sync_refresh();
        let cooldown = Duration::from_millis(self.target.jwks_cooldown_ms);
        if cooldown.is_zero() {
            return;
        }
        let at = self.refresh.lock().unwrap_or_else(|e| e.into_inner()).at;
        let due = at + cooldown + Duration::from_millis(30);
        let now = Instant::now();
        if due > now {
            tokio::time::sleep(due - now).await;
        }
    }

    /// Undoes every tenant-side condition a case may have set.
    pub fn restore(&self) {
        self.tenant.clear_faults();
        self.tenant.clear_jwks_override();
        self.tenant.clear_discovery_override();
    }

    /// Skip unless the target accepts DPoP.
    pub fn need_dpop(&self) -> Option<String> {
        (!self.target.dpop()).then(|| "target has DPoP disabled".to_owned())
    }

    /// Skip unless a scoped route is configured.
    pub fn need_scoped(&self) -> Option<&str> {
        self.target.scoped_route.as_deref()
    }
}

/// The asymmetric JWS algs (RFC 7518 §3.1, RFC 8037, RFC 8812) the mock signs real proofs
/// with, in the order DPoP alg cases try them. ES256, RS256, PS256 lead so that the one
/// unlisted alg HDR-17 sends to an ES256-only target stays RS256: adding algs did not change
/// what such a target is asked.
pub(crate) const PROOF_ALGS: [&str; 11] = [
    "ES256", "RS256", "PS256", "ES384", "ES512", "ES256K", "EdDSA", "RS384", "RS512", "PS384",
    "PS512",
];

/// `base64url` (no padding) of bytes.
pub(crate) fn b64(bytes: impl AsRef<[u8]>) -> String {
    mock_idp::jose::b64url(bytes)
}

/// The three segments of a compact JWS (missing ones empty): indexing never panics.
pub(crate) fn segments(jws: &str) -> [&str; 3] {
    let mut it = jws.splitn(3, '.');
    let mut next = || it.next().unwrap_or_default();
    [next(), next(), next()]
}

/// An unsigned compact JWS from header/payload text and a signature segment.
pub(crate) fn compact(header: &str, payload: &str, sig: &str) -> String {
    format!("{}.{}.{sig}", b64(header), b64(payload))
}

/// Runs probes built from a plan (the shared path of script cases).
pub(crate) async fn run_probes(c: &Ctx<'_>, level: Level, probes: Vec<Probe>) -> Vec<Step> {
    let mut steps = Vec::with_capacity(probes.len());
    for p in probes {
        steps.push(c.check(level, p).await);
    }
    steps
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_proof_alg_is_one_the_mock_signs_with() {
        for name in PROOF_ALGS {
            assert!(
                name.parse::<ProofAlg>().is_ok() || name.parse::<SigAlg>().is_ok(),
                "{name}"
            );
        }
        let mut unique = PROOF_ALGS.to_vec();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), PROOF_ALGS.len());
    }

    #[test]
    fn ids_are_unique_in_catalog_order_and_in_the_group_their_prefix_names() {
        let c = Catalog::all();
        // Strictly increasing (group, id): no duplicate, groups contiguous in Group::ALL order,
        // ids ascending within a group (they are zero-padded, so text order is number order).
        for w in c.cases().windows(2) {
            assert!(
                (w[0].group, w[0].id) < (w[1].group, w[1].id),
                "{} is followed by {}",
                w[0].id,
                w[1].id
            );
        }
        for case in c.cases() {
            let prefix = case.id.split_once('-').map(|(p, _)| p);
            assert_eq!(prefix, Some(case.group.as_str()), "{}", case.id);
        }
    }

    #[test]
    fn the_catalog_has_202_unique_cases_in_its_groups() {
        let c = Catalog::all();
        assert_eq!(c.len(), 202);
        let mut ids: Vec<&str> = c.cases().iter().map(|c| c.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 202, "duplicate ids");
        let sizes = [21, 20, 17, 18, 17, 12, 11, 11, 38, 14, 13, 10];
        for (g, n) in Group::ALL.into_iter().zip(sizes) {
            let in_group: Vec<_> = c.cases().iter().filter(|x| x.group == g).collect();
            assert_eq!(in_group.len(), n, "{}", g.as_str());
            // Numbered 01..n in order, as in the catalog.
            for (i, case) in in_group.iter().enumerate() {
                assert_eq!(case.id, format!("{}-{:02}", g.as_str(), i + 1));
            }
        }
        assert_eq!(
            c.cases().iter().filter(|x| x.level == Level::M).count(),
            115
        );
        assert_eq!(c.cases().iter().filter(|x| x.level == Level::S).count(), 31);
        assert_eq!(
            Catalog::all().only(&["KEY".into(), "DPP-3".into()]).len(),
            18 + 9
        );
    }
}
