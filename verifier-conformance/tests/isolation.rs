//! Case isolation as a property of the catalog: no key that one case publishes ever signs a
//! token that another case sends while that key is not published.
//!
//! Why it matters: a verifier keeps the keys it fetched (30 s and more) and may try each of
//! them on a token without `kid`. When KEY-13 published the attacker's key, a verifier that
//! still held it accepted SIG-10's and SIG-12's "attacker" tokens, and the run reported two
//! false security findings. The catalog now gives each key one role (`catalog/keys.rs`);
//! this test checks the roles hold, without trusting any case's description of itself.
//!
//! How: every case plays alone against a target that records, for each token it receives, the
//! keys the tenant publishes at that moment (it fetches the JWKS over HTTPS, as a verifier
//! would). A case *publishes* the keys that appear while it plays beyond the tenant's own; a
//! case *uses a key as unpublished* when a token it sends verifies under a key the tenant is
//! not publishing at that moment. Signers are found by verifying each token's signature
//! against every key seen in the run and every fixture key of the workspace.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Uri, header};
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, DecodingKey};
use mock_idp::MockTenant;
use mock_idp::SigningKey;
use serde_json::{Value, json};
use verifier_conformance::{Catalog, Features, Runner, Target};

use crate::support::serve_router;

/// A token the target received and the key material (RFC 7638 thumbprints) the tenant
/// published when it did; `None` when the JWKS could not be read (a fault the case set).
type Sent = (String, Option<BTreeSet<String>>);

/// The recording target: answers 200 to everything, so every case plays all its steps.
struct Recorder {
    http: reqwest::Client,
    jwks_url: String,
    log: Mutex<Vec<Sent>>,
    /// Every JWK seen, by thumbprint, material members only.
    seen: Mutex<BTreeMap<String, Value>>,
}

impl Recorder {
    fn new(tenant: &MockTenant) -> Self {
        let ca = reqwest::Certificate::from_pem(tenant.ca().pem().as_bytes()).unwrap();
        Recorder {
            http: reqwest::Client::builder()
                .add_root_certificate(ca)
                .no_proxy()
                .timeout(std::time::Duration::from_secs(5))
                .build()
                .unwrap(),
            jwks_url: tenant.urls().jwks(),
            log: Mutex::new(Vec::new()),
            seen: Mutex::new(BTreeMap::new()),
        }
    }

    async fn published(&self) -> Option<BTreeSet<String>> {
        let res = self.http.get(&self.jwks_url).send().await.ok()?;
        let doc: Value = res.error_for_status().ok()?.json().await.ok()?;
        let keys = doc["keys"].as_array()?;
        let mut seen = self.seen.lock().unwrap();
        let mut out = BTreeSet::new();
        for k in keys {
            if let Some((tp, material)) = identity(k) {
                seen.entry(tp.clone()).or_insert(material);
                out.insert(tp);
            }
        }
        Some(out)
    }

    fn take(&self) -> Vec<Sent> {
        std::mem::take(&mut *self.log.lock().unwrap())
    }
}

/// A JWK's key material (kid, alg, use and the rest dropped) and its RFC 7638 thumbprint.
fn identity(jwk: &Value) -> Option<(String, Value)> {
    let members: &[&str] = match jwk["kty"].as_str()? {
        "RSA" => &["kty", "n", "e"],
        "EC" => &["kty", "crv", "x", "y"],
        "OKP" => &["kty", "crv", "x"],
        "oct" => &["kty", "k"],
        _ => return None,
    };
    let mut material = serde_json::Map::new();
    for m in members {
        material.insert((*m).to_owned(), jwk.get(*m)?.clone());
    }
    let material = Value::Object(material);
    // Members in lexicographic order, no whitespace: RFC 7638 §3.
    let canonical = serde_json::to_string(&material).ok()?;
    Some((
        mock_idp::jose::b64url(mock_idp::jose::sha256(canonical)),
        material,
    ))
}

/// Every token in a request: the `Authorization` credentials, `access_token` in the query or
/// a form body.
fn tokens(uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Vec<String> {
    let mut out: Vec<String> = headers
        .get_all(header::AUTHORIZATION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split_once(' ').map(|(_, t)| t.trim().to_owned()))
        .collect();
    let query = uri.query().unwrap_or_default().as_bytes();
    for part in [query, body] {
        out.extend(
            url::form_urlencoded::parse(part)
                .filter(|(k, _)| k == "access_token")
                .map(|(_, v)| v.into_owned()),
        );
    }
    out
}

async fn record(
    State(r): State<Arc<Recorder>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> &'static str {
    let found = tokens(&uri, &headers, &body);
    if !found.is_empty() {
        let published = r.published().await;
        let mut log = r.log.lock().unwrap();
        for t in found {
            log.push((t, published.clone()));
        }
    }
    "ok"
}

/// The key (thumbprint) among `keys` whose signature `token` carries, by its header's `alg`.
fn signer(token: &str, keys: &[(String, DecodingKey)]) -> Option<String> {
    let alg = jsonwebtoken::decode_header(token).ok()?.alg;
    let (input, sig) = token.rsplit_once('.')?;
    if matches!(alg, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512) && sig.is_empty() {
        return None;
    }
    keys.iter()
        .find(|(_, k)| jsonwebtoken::crypto::verify(sig, input.as_bytes(), k, alg).unwrap_or(false))
        .map(|(tp, _)| tp.clone())
}

/// Every RSA fixture key of the workspace (the tenant's, the attacker's, the catalog's own).
fn fixture_keys() -> Vec<Value> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    for dir in ["fixtures/keys", "../mock-idp/fixtures/keys"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let pem = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            if let Ok(k) = SigningKey::from_pkcs8_pem(&pem, None) {
                out.push(k.public_jwk());
            }
        }
    }
    out
}

fn short(tp: &str) -> &str {
    tp.get(..10).unwrap_or(tp)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_key_a_case_publishes_signs_another_cases_unpublished_token() {
    let tenant = MockTenant::start().await;
    let recorder = Arc::new(Recorder::new(&tenant));
    let app = axum::Router::new()
        .fallback(record)
        .with_state(recorder.clone());
    let base = serve_router(app).await;
    // Every feature on, so every case sends what it can (query and form tokens included).
    let target = Target::new(base).features(Features {
        nonces: false,
        replay_store: true,
        query_tokens: true,
        form_tokens: true,
        cold_discovery: false,
        hs256: false,
        resource_metadata: false,
    });
    let own: BTreeSet<String> = recorder.published().await.unwrap();

    let mut played: Vec<(&'static str, Vec<Sent>)> = Vec::new();
    for case in Catalog::all().cases() {
        Runner::new(&tenant, target.clone())
            .catalog(Catalog::all().only(&[case.id.to_owned()]))
            .progress(false)
            .run()
            .await
            .unwrap();
        played.push((case.id, recorder.take()));
    }

    let mut universe: BTreeMap<String, Value> = recorder.seen.lock().unwrap().clone();
    for jwk in fixture_keys() {
        let (tp, material) = identity(&jwk).unwrap();
        universe.insert(tp, material);
    }
    let keys: Vec<(String, DecodingKey)> = universe
        .into_iter()
        .filter_map(|(tp, m)| {
            let jwk: Jwk = serde_json::from_value(m).ok()?;
            Some((tp, DecodingKey::from_jwk(&jwk).ok()?))
        })
        .collect();

    // Per case: the keys it publishes beyond the tenant's own, and the keys whose tokens it
    // sends while they are not published.
    let mut published: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    let mut unpublished: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    let mut identified = 0;
    for (id, sent) in &played {
        for (token, at) in sent {
            if let Some(at) = at {
                published
                    .entry(id)
                    .or_default()
                    .extend(at.difference(&own).cloned());
            }
            let Some(by) = signer(token, &keys) else {
                continue;
            };
            identified += 1;
            if !at.as_ref().is_some_and(|at| at.contains(&by)) {
                unpublished.entry(id).or_default().insert(by);
            }
        }
    }

    let mut clashes = Vec::new();
    for (publisher, keys) in &published {
        for (user, used) in &unpublished {
            if publisher == user {
                continue;
            }
            for k in keys.intersection(used) {
                clashes.push(format!(
                    "{publisher} publishes key {} that {user} signs a token with while it is not \
                     published",
                    short(k)
                ));
            }
        }
    }
    assert!(clashes.is_empty(), "{}", clashes.join("\n"));

    // The test has teeth: it saw the attacker's tokens as unpublished, cases publishing keys,
    // and identified the signers of most tokens.
    let attacker = identity(&SigningKey::attacker().public_jwk()).unwrap().0;
    for id in ["SIG-09", "SIG-10", "SIG-12", "ISS-07", "KEY-10", "RES-06"] {
        assert!(
            unpublished.get(id).is_some_and(|u| u.contains(&attacker)),
            "{id} signs with the attacker's key: {:?}",
            unpublished.get(id)
        );
    }
    for id in ["KEY-02", "KEY-03", "KEY-13"] {
        assert!(
            published.get(id).is_some_and(|p| !p.is_empty()),
            "{id} publishes keys"
        );
    }
    assert!(identified > 300, "only {identified} signers identified");
    let json = json!({ "cases": played.len(), "identified": identified });
    println!("{json}");
}
