//! What verification costs per request, against an in-process mock tenant over HTTPS.
//!
//! `cargo bench -p oauth2-jwt-bearer --bench verify`
//!
//! - cached Bearer: the hot path (a token seen before: hash lookup + time checks);
//! - uncached Bearer: structural checks + RS256 signature + claims (token cache off);
//! - DPoP: a fresh ES256 proof every request (proof signature, claims, replay store, binding).

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use http::{HeaderMap, HeaderValue, Method};
use mock_idp::{DpopKey, MockTenant};
use oauth2_jwt_bearer::replay::InMemoryReplayStore;
use oauth2_jwt_bearer::{RequestContext, Verifier, VerifierOptions};

const URL: &str = "http://127.0.0.1:5000/api/private";

fn verifier(tenant: &MockTenant, token_cache: usize) -> Verifier {
    Verifier::new(
        VerifierOptions::new(tenant.domain(), tenant.audience())
            .ca_pem(tenant.ca().pem().into_bytes())
            .token_cache_max_entries(token_cache),
    )
    .expect("valid options")
}

fn request(authorization: &str, proof: Option<&str>) -> RequestContext {
    let mut headers = HeaderMap::new();
    headers.insert(
        "authorization",
        HeaderValue::from_str(authorization).expect("header"),
    );
    if let Some(proof) = proof {
        headers.insert("dpop", HeaderValue::from_str(proof).expect("header"));
    }
    RequestContext::new(Method::GET, URL.to_owned(), headers)
}

fn verify(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let tenant = MockTenant::builder()
        .try_start()
        .expect("the tenant starts");
    let token = tenant.token().build();
    let bearer = request(&format!("Bearer {token}"), None);

    let cached = verifier(&tenant, 10_000);
    runtime
        .block_on(cached.verify_request(&bearer))
        .expect("warm-up verifies");
    c.bench_function("verify Bearer (cached token)", |b| {
        b.to_async(&runtime)
            .iter(|| async { cached.verify_request(&bearer).await.expect("valid") })
    });

    let uncached = verifier(&tenant, 0);
    runtime
        .block_on(uncached.verify_request(&bearer))
        .expect("warm-up verifies");
    c.bench_function("verify Bearer (RS256 every time)", |b| {
        b.to_async(&runtime)
            .iter(|| async { uncached.verify_request(&bearer).await.expect("valid") })
    });

    let key = DpopKey::fixture();
    let bound = tenant.token().bound_to(&key).build();
    // One key sends every proof here, and criterion sends millions within one `iat` window:
    // a store that never forgets a live `jti` must hold them all, and that key needs all of it.
    let store = InMemoryReplayStore::new(20_000_000)
        .per_key_limit(20_000_000)
        .max_bytes(8 << 30);
    let dpop = Verifier::new(
        VerifierOptions::new(tenant.domain(), tenant.audience())
            .ca_pem(tenant.ca().pem().into_bytes())
            .replay_store(std::sync::Arc::new(store)),
    )
    .expect("valid options");
    let fresh = || {
        let proof = key.proof("GET", URL).access_token(&bound).build();
        request(&format!("DPoP {bound}"), Some(&proof))
    };
    runtime
        .block_on(dpop.verify_request(&fresh()))
        .expect("warm-up verifies");
    c.bench_function("verify DPoP (fresh ES256 proof, cached token)", |b| {
        b.to_async(&runtime).iter_batched(
            fresh,
            |req| {
                let dpop = &dpop;
                async move { dpop.verify_request(&req).await.expect("valid") }
            },
            BatchSize::SmallInput,
        )
    });
}

criterion_group!(benches, verify);
criterion_main!(benches);
