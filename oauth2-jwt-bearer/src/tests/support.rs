//! Test tenant, fixed keys, token and proof minting, a manual clock.

use std::sync::{Arc, Mutex, OnceLock};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, EcdsaKeyPair, KeyPair, RsaKeyPair};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use http::{HeaderMap, HeaderValue, Method};
use serde_json::{Map, Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::{AuthError, Claims, Clock, RequestContext, Verifier, VerifierOptions};

pub(crate) const NOW: f64 = 1_700_000_000.0;
pub(crate) const AUD: &str = "https://api.example.com";
pub(crate) const URL: &str = "https://api.example.com/api/dpop-protected";

pub(crate) fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn pem_der(name: &str) -> Vec<u8> {
    let path = format!("{}/../fixtures/keys/{name}.pem", env!("CARGO_MANIFEST_DIR"));
    let pem = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    STANDARD.decode(body).unwrap()
}

pub(crate) fn rsa(name: &str) -> &'static RsaKeyPair {
    static KEYS: OnceLock<Mutex<Vec<(String, &'static RsaKeyPair)>>> = OnceLock::new();
    let keys = KEYS.get_or_init(Default::default);
    let mut keys = keys.lock().unwrap();
    if let Some((_, k)) = keys.iter().find(|(n, _)| n == name) {
        return k;
    }
    let k: &'static RsaKeyPair =
        Box::leak(Box::new(RsaKeyPair::from_pkcs8(&pem_der(name)).unwrap()));
    keys.push((name.to_owned(), k));
    k
}

pub(crate) fn ec(name: &str) -> EcdsaKeyPair {
    EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &pem_der(name)).unwrap()
}

/// Minimal DER reader for RSAPublicKey ::= SEQUENCE { n INTEGER, e INTEGER }.
fn der_rsa_public(der: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let (_, seq, _) = der_read(der);
    let (_, n, rest) = der_read(seq);
    let (_, e, _) = der_read(rest);
    (strip_leading_zeros(n), strip_leading_zeros(e))
}

/// The public JWK of fixtures/keys/weak-1024.pem, read from its PKCS#8 DER.
pub(crate) fn weak_1024_jwk() -> Value {
    let der = pem_der("weak-1024");
    // PrivateKeyInfo ::= SEQUENCE { version, AlgorithmIdentifier, OCTET STRING { RSAPrivateKey } }
    let (_, info, _) = der_read(&der);
    let (_, _, rest) = der_read(info);
    let (_, _, rest) = der_read(rest);
    let (_, rsa_priv, _) = der_read(rest);
    let (_, inner, _) = der_read(rsa_priv);
    let (_, _, rest) = der_read(inner);
    let (_, n, rest) = der_read(rest);
    let (_, e, _) = der_read(rest);
    let (n, e) = (strip_leading_zeros(n), strip_leading_zeros(e));
    assert_eq!(n.len(), 128);
    json!({"kty": "RSA", "kid": "k1", "use": "sig", "alg": "RS256", "n": b64(&n), "e": b64(&e)})
}

/// A DER INTEGER's magnitude as a JWK wants it: without the leading zero bytes.
fn strip_leading_zeros(b: &[u8]) -> Vec<u8> {
    b.iter().skip_while(|x| **x == 0).copied().collect()
}

fn der_read(d: &[u8]) -> (u8, &[u8], &[u8]) {
    let tag = d[0];
    let (len, hdr) = if d[1] < 0x80 {
        (d[1] as usize, 2)
    } else {
        let n = (d[1] & 0x7f) as usize;
        let mut len = 0usize;
        for b in &d[2..2 + n] {
            len = len << 8 | *b as usize;
        }
        (len, 2 + n)
    };
    (tag, &d[hdr..hdr + len], &d[hdr + len..])
}

/// The public JWK of a fixture RSA key.
pub(crate) fn rsa_jwk(name: &str, kid: &str) -> Value {
    let (n, e) = der_rsa_public(rsa(name).public_key().as_ref());
    json!({"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256", "n": b64(&n), "e": b64(&e)})
}

pub(crate) fn sign_rs256(key: &RsaKeyPair, input: &str) -> Vec<u8> {
    let mut sig = vec![0; key.public_modulus_len()];
    key.sign(
        &signature::RSA_PKCS1_SHA256,
        &SystemRandom::new(),
        input.as_bytes(),
        &mut sig,
    )
    .unwrap();
    sig
}

/// `b64(header).b64(payload).b64(RS256 signature)`.
pub(crate) fn mint_with(key: &RsaKeyPair, header: &Value, claims: &Value) -> String {
    let input = format!(
        "{}.{}",
        b64(&serde_json::to_vec(header).unwrap()),
        b64(&serde_json::to_vec(claims).unwrap())
    );
    let sig = sign_rs256(key, &input);
    format!("{input}.{}", b64(&sig))
}

pub(crate) fn ec_xy(key: &EcdsaKeyPair) -> (String, String) {
    let p = key.public_key().as_ref();
    (b64(&p[1..33]), b64(&p[33..65]))
}

pub(crate) fn jkt_of(key: &EcdsaKeyPair) -> String {
    let (x, y) = ec_xy(key);
    crate::dpop::ec_thumbprint(&x, &y)
}

pub(crate) fn ec_jwk(key: &EcdsaKeyPair) -> Value {
    let (x, y) = ec_xy(key);
    json!({"kty": "EC", "crv": "P-256", "x": x, "y": y})
}

pub(crate) fn sign_jws_es256(key: &EcdsaKeyPair, header: &Value, claims: &Value) -> String {
    let input = format!(
        "{}.{}",
        b64(&serde_json::to_vec(header).unwrap()),
        b64(&serde_json::to_vec(claims).unwrap())
    );
    let sig = key.sign(&SystemRandom::new(), input.as_bytes()).unwrap();
    format!("{input}.{}", b64(sig.as_ref()))
}

#[derive(Debug)]
pub(crate) struct ManualClock(Mutex<f64>);

impl ManualClock {
    pub(crate) fn advance(&self, secs: f64) {
        *self.0.lock().unwrap() += secs;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> f64 {
        *self.0.lock().unwrap()
    }
}

/// A JWKS endpoint whose answer a test can change.
#[derive(Clone)]
pub(crate) struct Switch(Arc<Mutex<ResponseTemplate>>);

impl Switch {
    pub(crate) fn set(&self, t: ResponseTemplate) {
        *self.0.lock().unwrap() = t;
    }
    pub(crate) fn keys(&self, keys: Vec<Value>) {
        self.set(ResponseTemplate::new(200).set_body_json(json!({ "keys": keys })));
    }
}

impl Respond for Switch {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        self.0.lock().unwrap().clone()
    }
}

pub(crate) struct Env {
    pub(crate) server: MockServer,
    pub(crate) domain: String,
    pub(crate) iss: String,
    pub(crate) clock: Arc<ManualClock>,
    pub(crate) jwks: Switch,
    pub(crate) verifier: Verifier,
}

impl Env {
    pub(crate) async fn new() -> Self {
        Self::with(|o| o).await
    }

    /// A tenant serving `{k1: tenant-1}` and a verifier configured by `f`.
    pub(crate) async fn with(f: impl FnOnce(VerifierOptions) -> VerifierOptions) -> Self {
        let server = MockServer::start().await;
        let domain = server.address().to_string();
        let iss = format!("https://{domain}/");
        Mock::given(method("GET"))
            .and(path("/.well-known/openid-configuration"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "issuer": iss,
                "jwks_uri": format!("{}/.well-known/jwks.json", server.uri()),
            })))
            .mount(&server)
            .await;
        let jwks = Switch(Arc::new(Mutex::new(ResponseTemplate::new(200))));
        jwks.keys(vec![rsa_jwk("tenant-1", "k1")]);
        Mock::given(method("GET"))
            .and(path("/.well-known/jwks.json"))
            .respond_with(jwks.clone())
            .mount(&server)
            .await;
        let clock = Arc::new(ManualClock(Mutex::new(NOW)));
        let opts = VerifierOptions::new(domain.clone(), AUD)
            .allow_insecure_http_for_tests(true)
            .clock(clock.clone())
            .http_timeout(std::time::Duration::from_secs(2));
        let verifier = Verifier::new(f(opts)).unwrap();
        Self {
            server,
            domain,
            iss,
            clock,
            jwks,
            verifier,
        }
    }

    pub(crate) fn now(&self) -> f64 {
        self.clock.now()
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

    pub(crate) fn bound_claims(&self, key: &EcdsaKeyPair) -> Map<String, Value> {
        let mut c = self.claims();
        c.insert("cnf".into(), json!({ "jkt": jkt_of(key) }));
        c
    }

    pub(crate) fn token(&self, claims: &Map<String, Value>) -> String {
        mint_with(
            rsa("tenant-1"),
            &json!({"alg": "RS256", "typ": "JWT", "kid": "k1"}),
            &Value::Object(claims.clone()),
        )
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
            "ath": crate::jose::sha256_b64url(token.as_bytes()),
        })
        .as_object()
        .unwrap()
        .clone()
    }

    pub(crate) fn proof_with(
        &self,
        key: &EcdsaKeyPair,
        header: &Map<String, Value>,
        claims: &Map<String, Value>,
    ) -> String {
        sign_jws_es256(
            key,
            &Value::Object(header.clone()),
            &Value::Object(claims.clone()),
        )
    }

    pub(crate) fn proof(&self, key: &EcdsaKeyPair, token: &str) -> String {
        self.proof_with(key, &proof_header(key), &self.proof_claims(token))
    }
}

pub(crate) fn proof_header(key: &EcdsaKeyPair) -> Map<String, Value> {
    json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": ec_jwk(key)})
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
