//! What a case body builds its requests with ([`Ctx`]): the tenant and the target, the client
//! keys, the canary listener, the builders for good tokens and proofs that a case then breaks
//! one way, sending and grading, and the JWKS refresh bookkeeping that lets cases wait out a
//! target's cooldown only when they must. Also the small JWS text helpers bodies share.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use wiremock::MockServer;

use super::{Probe, Step};
use crate::class::Class;
use crate::observe::{self, Observation, Request};
use crate::target::{Profile, Target};
use crate::verdict::{Grade, Level, grade};
use mock_idp::MockTenant;
use mock_idp::config::Dialect;
use mock_idp::handles::OverrideGuard;
use mock_idp::{DpopKey, ProofAlg, ProofBuilder};
use mock_idp::{SigAlg, SigningKey};
use mock_idp::{Signing, TokenBuilder};

/// What a case can use: the tenant, the target, HTTP clients, client keys, a canary listener.
pub(crate) struct Ctx<'a> {
    /// The tenant the target trusts.
    pub(crate) tenant: &'a MockTenant,
    /// The target.
    pub(crate) target: &'a Target,
    /// Listener that must never be contacted (jku, x5u, foreign issuers, redirects).
    pub(crate) canary: &'a MockServer,
    /// The client key Kc.
    pub(crate) key: DpopKey,
    /// Another client key Kx.
    pub(crate) other: DpopKey,
    client: reqwest::Client,
    title_client: reqwest::Client,
    refresh: Mutex<RefreshState>,
    /// The JWKS and discovery overrides a case set; [`Ctx::restore`] drops them.
    overrides: Mutex<Vec<OverrideGuard>>,
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
            overrides: Mutex::new(Vec::new()),
            refresh: Mutex::new(RefreshState {
                fetches: tenant.journal().jwks_fetches(),
                at: Instant::now(),
            }),
        })
    }

    /// The audience tokens carry.
    pub(crate) fn aud(&self) -> String {
        self.target
            .audience
            .clone()
            .unwrap_or_else(|| self.tenant.audience().to_owned())
    }

    /// AT_ok: a valid token in the target's profile with the target's scope.
    pub(crate) fn at(&self) -> TokenBuilder {
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
    pub(crate) fn bound(&self) -> TokenBuilder {
        self.at().bound_to(&self.key)
    }

    /// `GET <bearer route>` with `Authorization: Bearer <token>`.
    pub(crate) fn bearer(&self, token: &str) -> Request {
        self.auth(&self.target.bearer_route, &format!("Bearer {token}"))
    }

    /// `GET route` with this exact `Authorization` value.
    pub(crate) fn auth(&self, route: &str, value: &str) -> Request {
        Request::get(route).header("authorization", value)
    }

    /// A bearer request with AT_ok changed by `f`.
    pub(crate) fn tok(&self, f: impl FnOnce(TokenBuilder) -> TokenBuilder) -> Request {
        self.bearer(&f(self.at()).build())
    }

    /// The `htu` for `route` on the target.
    pub(crate) fn htu(&self, route: &str) -> String {
        format!("{}{route}", self.target.htu_origin())
    }

    /// PROOF_ok for `GET <dpop route>` bound to `token` via `ath`, timed by the tenant clock.
    pub(crate) fn proof(&self, token: &str) -> ProofBuilder {
        self.proof_by(&self.key, token)
    }

    /// PROOF_ok signed by `key` (with its own alg) instead of Kc.
    pub(crate) fn proof_by(&self, key: &DpopKey, token: &str) -> ProofBuilder {
        key.proof("GET", &self.htu(self.target.dpop_path()))
            .clock(self.tenant.clock())
            .access_token(token)
    }

    /// A valid DPoP request for `key`: AT_ok bound to it via `cnf.jkt` and a proof it signs,
    /// so only the target's alg policy can refuse it.
    pub(crate) fn dpop_by(&self, key: &DpopKey) -> Request {
        let t = self.at().bound_to(key).build();
        let p = self.proof_by(key, &t).build();
        self.dpop(&t, &p)
    }

    /// A key whose proofs carry a real signature with the JWS alg `name`: Kc for ES256, a fresh
    /// EC or Ed25519 key, or RSA fixture key 2 for the RSA algs. `None` for an alg the mock
    /// cannot sign with, so a case never sends a label with a signature that cannot verify.
    pub(crate) fn alg_key(&self, name: &str) -> Option<DpopKey> {
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
    pub(crate) async fn dpop_algs(&self) -> Result<Vec<String>, String> {
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
    pub(crate) fn dpop(&self, token: &str, proof: &str) -> Request {
        self.auth(self.target.dpop_path(), &format!("DPoP {token}"))
            .header("dpop", proof)
    }

    /// AT_bound + a proof changed by `f`.
    pub(crate) fn dpp(&self, f: impl FnOnce(ProofBuilder) -> ProofBuilder) -> Request {
        let t = self.bound().build();
        let p = f(self.proof(&t)).build();
        self.dpop(&t, &p)
    }

    /// A valid DPoP request (AT_bound + PROOF_ok).
    pub(crate) fn dpop_ok(&self) -> Request {
        self.dpp(|p| p)
    }

    /// A kid no one has used: the target must fetch the JWKS to know it.
    pub(crate) fn fresh_kid(&self, what: &str) -> String {
        format!("conf-{what}-{}", mock_idp::jose::random_id())
    }

    /// A published-key-shaped RSA key under a fresh kid (fixture material, no generation).
    pub(crate) fn fresh_key(&self, what: &str, n: u8) -> SigningKey {
        SigningKey::fixture(n).with_kid(&self.fresh_kid(what))
    }

    /// A token signed by `key` (published or not) under its own kid.
    pub(crate) fn signed_by(&self, key: &SigningKey) -> TokenBuilder {
        self.at()
            .signed_with(Signing::Unpublished(key.clone()))
            .kid(key.kid())
    }

    /// The JWKS `keys` the tenant publishes right now.
    pub(crate) fn published_jwks(&self) -> Vec<Value> {
        self.tenant.keys().jwks()["keys"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Serves the tenant's keys plus `extra` as the JWKS.
    pub(crate) fn set_jwks_with(&self, extra: Vec<Value>) {
        let mut keys = self.published_jwks();
        keys.extend(extra);
        self.keep_override(self.tenant.overrides().jwks(json!({ "keys": keys })));
    }

    /// Requests the canary has received.
    pub(crate) async fn canary_hits(&self) -> usize {
        self.canary.received_requests().await.map_or(0, |r| r.len())
    }

    /// The canary's base URL.
    pub(crate) fn canary_url(&self) -> String {
        self.canary.uri()
    }

    /// Sends a request.
    pub(crate) async fn send(&self, req: &Request) -> Observation {
        observe::send(&self.client, &self.title_client, &self.target.base_url, req).await
    }

    /// Sends a probe and grades it at `level`.
    pub(crate) async fn check(&self, level: Level, p: Probe) -> Step {
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
    pub(crate) fn sync_refresh(&self) {
        let now = self.tenant.journal().jwks_fetches();
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
    pub(crate) async fn fetching<T, F, Fut>(&self, attempt: F) -> T
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = T>,
    {
        let before = self.tenant.journal().jwks_fetches();
        let out = attempt().await;
        if self.tenant.journal().jwks_fetches() != before || self.target.jwks_cooldown_ms == 0 {
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
    pub(crate) async fn await_cooldown(&self) {
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
    pub(crate) fn restore(&self) {
        self.tenant.faults().clear();
        self.overrides
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// Keeps an override in force until [`Ctx::restore`].
    pub(crate) fn keep_override(&self, guard: OverrideGuard) {
        self.overrides
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(guard);
    }

    /// Skip unless the target accepts DPoP.
    pub(crate) fn need_dpop(&self) -> Option<String> {
        (!self.target.dpop()).then(|| "target has DPoP disabled".to_owned())
    }

    /// Skip unless a scoped route is configured.
    pub(crate) fn need_scoped(&self) -> Option<&str> {
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
