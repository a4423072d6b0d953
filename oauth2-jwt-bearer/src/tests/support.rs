//! The test tenant (`mock_idp::MockTenant` over HTTPS), the fixed keys, and thin helpers that
//! hand the tests' exact headers and claims to the tenant's token and proof builders.

use std::sync::Arc;
use std::time::Duration;

use http::{HeaderMap, HeaderValue, Method};
use mock_idp::{DpopKey, Endpoint, KeyRing, MockTenant, Signing, SigningKey};
use serde_json::{Map, Value, json};

use crate::{AuthError, Claims, RequestContext, Verifier, VerifierOptions};

pub(crate) use mock_idp::jose::b64url as b64;

/// Where every [`Env`] tenant's clock stands when the test starts.
pub(crate) const NOW: f64 = 1_700_000_000.0;
pub(crate) const AUD: &str = "https://api.example.com";
pub(crate) const URL: &str = "https://api.example.com/api/dpop-protected";

/// A fixed RSA key by its fixture name (`tenant-1`, `tenant-2`, `tenant-4096`, `attacker`).
pub(crate) fn rsa(name: &str) -> SigningKey {
    match name {
        "tenant-1" => SigningKey::fixture(1),
        "tenant-2" => SigningKey::fixture(2),
        "tenant-3" => SigningKey::fixture(3),
        "tenant-4096" => SigningKey::rsa_4096(),
        "attacker" => SigningKey::attacker(),
        other => panic!("no RSA fixture key {other}"),
    }
}

/// The public JWK of a fixture RSA key under `kid`.
pub(crate) fn rsa_jwk(name: &str, kid: &str) -> Value {
    rsa(name).with_kid(kid).public_jwk()
}

/// The public JWK of the 1024-bit fixture key (too weak for RS256), under kid `k1`.
pub(crate) fn weak_1024_jwk() -> Value {
    let weak = SigningKey::weak_1024();
    assert_eq!(weak.modulus_bits(), 1024);
    weak.with_kid("k1").public_jwk()
}

/// A fixed DPoP client key by its fixture name (`dpop-client`, `dpop-other`).
pub(crate) fn ec(name: &str) -> DpopKey {
    match name {
        "dpop-client" => DpopKey::fixture(),
        "dpop-other" => DpopKey::fixture_other(),
        other => panic!("no EC fixture key {other}"),
    }
}

/// The verifier's clock reading the tenant's virtual clock, so moving one moves both.
pub(crate) fn tenant_clock(tenant: &MockTenant) -> Arc<dyn crate::Clock> {
    let clock = tenant.clock().clone();
    Arc::new(move || clock.system_time())
}

/// One tenant and a verifier trusting it. The tenant publishes fixture key `tenant-1` as `k1`
/// (spares `tenant-2` / `tenant-3` as `k2` / `k3`), its clock is frozen at [`NOW`] and shared
/// with the verifier, and discovery and JWKS carry no `Cache-Control` (the verifier's
/// configured TTL applies unless a test sets one).
pub(crate) struct Env {
    pub(crate) tenant: MockTenant,
    pub(crate) domain: String,
    pub(crate) iss: String,
    pub(crate) clock: mock_idp::Clock,
    pub(crate) verifier: Verifier,
}

impl Env {
    pub(crate) async fn new() -> Self {
        Self::with(|o| o).await
    }

    /// A tenant serving `{k1: tenant-1}` and a verifier configured by `f`.
    pub(crate) async fn with(f: impl FnOnce(VerifierOptions) -> VerifierOptions) -> Self {
        let keys = KeyRing::new(
            SigningKey::fixture(1).with_kid("k1"),
            vec![
                SigningKey::fixture(2).with_kid("k2"),
                SigningKey::fixture(3).with_kid("k3"),
            ],
        );
        let tenant = MockTenant::builder().keys(keys).start().await;
        tenant.clock().freeze_at(NOW as i64);
        tenant.set_cache_control(Endpoint::Discovery, None);
        tenant.set_cache_control(Endpoint::Jwks, None);
        let domain = tenant.domain().to_owned();
        let iss = tenant.issuer().to_owned();
        let clock = tenant.clock().clone();
        let verifier = Verifier::new(f(options(&tenant))).unwrap();
        Self {
            tenant,
            domain,
            iss,
            clock,
            verifier,
        }
    }

    /// Another verifier (empty caches) for the same tenant.
    pub(crate) fn verifier_with(
        &self,
        f: impl FnOnce(VerifierOptions) -> VerifierOptions,
    ) -> Verifier {
        Verifier::new(f(options(&self.tenant))).unwrap()
    }

    pub(crate) fn now(&self) -> f64 {
        self.clock.now() as f64
    }

    /// Serves exactly these JWKs as the tenant's JWKS.
    pub(crate) fn set_keys(&self, keys: Vec<Value>) {
        self.tenant.set_jwks_override(json!({ "keys": keys }));
    }

    /// Valid auth0-dialect claims.
    pub(crate) fn claims(&self) -> Map<String, Value> {
        let now = self.now();
        json!({
            "iss": self.iss, "aud": [AUD, format!("{}userinfo", self.iss)], "sub": "user|1",
            "azp": "client-1", "iat": now, "exp": now + 3600.0, "scope": "openid read:messages",
        })
        .as_object()
        .unwrap()
        .clone()
    }

    pub(crate) fn bound_claims(&self, key: &DpopKey) -> Map<String, Value> {
        let mut c = self.claims();
        c.insert("cnf".into(), json!({ "jkt": key.thumbprint() }));
        c
    }

    /// A token with exactly these claims, signed by the tenant's key (`{alg: RS256, typ: JWT,
    /// kid: k1}`).
    pub(crate) fn token(&self, claims: &Map<String, Value>) -> String {
        self.tenant
            .token()
            .raw_payload(Value::Object(claims.clone()).to_string())
            .build()
    }

    /// Exactly this header and these claims, RS256-signed by `key` (published or not).
    pub(crate) fn mint(&self, key: SigningKey, header: &Value, claims: &Value) -> String {
        self.tenant
            .token()
            .raw_header(header.to_string())
            .raw_payload(claims.to_string())
            .signed_with(Signing::Unpublished(key))
            .build()
    }

    /// A valid token, unique per call (random `jti`), so it never hits the token cache.
    pub(crate) fn ok_token(&self) -> String {
        let mut c = self.claims();
        c.insert("jti".into(), json!(rand_u64().to_string()));
        self.token(&c)
    }

    /// Verifies a fresh [`Env::ok_token`] with no required claims.
    pub(crate) async fn verify_ok_token(&self) -> Result<Claims, AuthError> {
        self.verifier
            .verify_access_token(&self.ok_token(), &[])
            .await
    }

    pub(crate) fn proof_claims(&self, token: &str) -> Map<String, Value> {
        json!({
            "jti": format!("jti-{}", rand_u64()), "htm": "GET", "htu": URL, "iat": self.now(),
            "ath": mock_idp::ath(token),
        })
        .as_object()
        .unwrap()
        .clone()
    }

    /// A proof with exactly this header and these claims, signed by `key`.
    pub(crate) fn proof_with(
        &self,
        key: &DpopKey,
        header: &Map<String, Value>,
        claims: &Map<String, Value>,
    ) -> String {
        key.proof("GET", URL)
            .raw_header(&Value::Object(header.clone()).to_string())
            .raw_payload(&Value::Object(claims.clone()).to_string())
            .build()
    }

    pub(crate) fn proof(&self, key: &DpopKey, token: &str) -> String {
        self.proof_with(key, &proof_header(key), &self.proof_claims(token))
    }
}

/// Options for a verifier of `tenant`'s tokens: trusts its CA, reads its clock.
fn options(tenant: &MockTenant) -> VerifierOptions {
    VerifierOptions::new(tenant.domain(), AUD)
        .ca_pem(tenant.ca_pem().into_bytes())
        .clock(tenant_clock(tenant))
        .http_timeout(Duration::from_secs(2))
}

/// A valid proof header for `key`.
pub(crate) fn proof_header(key: &DpopKey) -> Map<String, Value> {
    json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": key.public_jwk()})
        .as_object()
        .unwrap()
        .clone()
}

pub(crate) fn rand_u64() -> u64 {
    let mut b = [0u8; 8];
    aws_lc_rs::rand::fill(&mut b).unwrap();
    u64::from_le_bytes(b)
}

/// A request to [`URL`] with the given header fields.
pub(crate) fn request(fields: &[(&str, &str)]) -> RequestContext {
    request_to(Method::GET, URL, fields)
}

pub(crate) fn request_to(m: Method, url: &str, fields: &[(&str, &str)]) -> RequestContext {
    let mut h = HeaderMap::new();
    for (k, v) in fields {
        h.append(
            http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    RequestContext::new(m, url, h)
}

/// Everything logged at INFO and above on this thread while the guard lives.
#[derive(Clone, Default)]
pub(crate) struct Logs(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl Logs {
    pub(crate) fn capture(&self) -> tracing::subscriber::DefaultGuard {
        // tracing caches a callsite's interest when it is first hit. While only one dispatcher
        // is registered it asks just the hitting thread's default: another test hitting the
        // same callsite first without capturing (the outage tests both use `DownStore`) would
        // cache "never" for every thread, and this capture would see nothing. A second
        // dispatcher that lives for the whole run makes tracing ask every registered one.
        static KEEPER: std::sync::OnceLock<tracing::Dispatch> = std::sync::OnceLock::new();
        KEEPER.get_or_init(|| tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default()));
        let logs = self.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::INFO)
            .with_ansi(false)
            .with_writer(move || logs.clone())
            .finish();
        tracing::subscriber::set_default(subscriber)
    }
    pub(crate) fn lines_with(&self, needle: &str) -> Vec<String> {
        String::from_utf8_lossy(&self.0.lock().unwrap())
            .lines()
            .filter(|l| l.contains(needle))
            .map(str::to_owned)
            .collect()
    }
}

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
