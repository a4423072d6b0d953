//! What one token costs the tenant: RS256 minting with the signing key parsed once.
//!
//! `cargo bench -p mock-idp --bench mint`

use criterion::{Criterion, criterion_group, criterion_main};
use mock_idp::{DpopKey, MockTenant};

fn mint(c: &mut Criterion) {
    let tenant = MockTenant::builder()
        .try_start()
        .expect("the tenant starts");
    let key = DpopKey::fixture();
    c.bench_function("mint RS256 access token", |b| {
        b.iter(|| tenant.token().build())
    });
    c.bench_function("mint RS256 DPoP-bound access token", |b| {
        b.iter(|| tenant.token().bound_to(&key).build())
    });
    c.bench_function("DPoP proof ES256", |b| {
        b.iter(|| {
            key.proof("GET", "https://api.example/r")
                .access_token("token")
                .build()
        })
    });
}

criterion_group!(benches, mint);
criterion_main!(benches);
