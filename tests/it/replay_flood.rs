//! Attack: flood the in-memory DPoP replay store (RFC 9449 §11.1) to make it forget a proof.
//!
//! Before, a full store evicted its oldest entry: a client with its own DPoP-bound token sent
//! fresh proofs until the store was full, after which a captured proof of another client was
//! accepted again. Now a full store refuses new proofs and never forgets a live one, and one
//! key's share is bounded so that the flooding client is refused first.

use std::sync::Arc;

use mock_idp::DpopKey;
use oauth2_jwt_bearer::replay::InMemoryReplayStore;

use crate::support::{BARE_CHALLENGE, SendExt, Stack, quickstart_options, tenant_time};

const PATH: &str = "/api/dpop-protected";
/// The store under attack: 8 entries, at most 4 per DPoP key.
const CAPACITY: usize = 8;
const PER_KEY: usize = 4;

/// A client: its key and its DPoP-bound token.
struct Client {
    key: DpopKey,
    token: String,
}

impl Client {
    fn new(stack: &Stack, key: DpopKey) -> Client {
        let token = stack.tenant.token().bound_to(&key).build();
        Client { key, token }
    }

    /// A fresh proof (new `jti`, `iat` now) for `GET PATH`.
    fn proof(&self, stack: &Stack) -> String {
        stack
            .tenant
            .dpop()
            .proof(&self.key, "GET", &stack.url(PATH))
            .access_token(&self.token)
            .build()
    }

    fn send(&self, stack: &Stack, proof: &str) -> reqwest::RequestBuilder {
        stack
            .get(PATH)
            .header("authorization", format!("DPoP {}", self.token))
            .header("dpop", proof)
    }
}

#[tokio::test]
async fn a_flood_of_fresh_proofs_neither_reopens_a_captured_proof_nor_locks_out_others() {
    let stack = Stack::build(|tenant, api_url| {
        let store =
            InMemoryReplayStore::with_clock(CAPACITY, tenant_time(tenant)).per_key_limit(PER_KEY);
        quickstart_options(tenant)
            .public_base_url(api_url)
            .replay_store(Arc::new(store))
    })
    .await;
    stack.tenant.clock().freeze();
    let victim = Client::new(&stack, DpopKey::fixture_other());
    let attacker = Client::new(&stack, DpopKey::fixture());

    // The victim's proof, accepted once and captured by the attacker.
    let captured = victim.proof(&stack);
    victim.send(&stack, &captured).reply().await.assert_ok();
    stack.tenant.clock().advance(10);

    // The attacker floods with fresh proofs of its own: its share is accepted...
    for _ in 0..PER_KEY {
        let proof = attacker.proof(&stack);
        attacker.send(&stack, &proof).reply().await.assert_ok();
    }
    // ...then it is refused (429) until its proofs expire (iat + 60 s window + 1 s).
    for _ in 0..3 {
        let proof = attacker.proof(&stack);
        let reply = attacker.send(&stack, &proof).reply().await;
        reply.assert_refused(
            429,
            "temporarily_unavailable",
            "Too many DPoP proofs for this key, retry with a new proof later",
            BARE_CHALLENGE,
        );
        assert_eq!(reply.header("retry-after"), Some("61"), "{reply:#?}");
    }
    // The captured proof is still remembered: a replay, not a fresh proof.
    victim
        .send(&stack, &captured)
        .reply()
        .await
        .assert_invalid_dpop_proof("DPoP proof replayed");
    // The victim (another client) keeps working.
    let fresh = victim.proof(&stack);
    victim.send(&stack, &fresh).reply().await.assert_ok();

    // Other keys fill the store to capacity (1 + 4 + 1 + 2 = 8 live entries)...
    let third = Client::new(&stack, DpopKey::generate());
    for _ in 0..2 {
        let proof = third.proof(&stack);
        third.send(&stack, &proof).reply().await.assert_ok();
    }
    // ...then a new proof is refused (503) rather than recorded over a live one, until the
    // earliest entry (the captured proof, 10 s older) expires.
    let fourth = Client::new(&stack, DpopKey::generate());
    let proof = fourth.proof(&stack);
    let reply = fourth.send(&stack, &proof).reply().await;
    reply.assert_refused(
        503,
        "temporarily_unavailable",
        "DPoP replay check unavailable, retry with a new proof",
        BARE_CHALLENGE,
    );
    assert_eq!(reply.header("retry-after"), Some("51"), "{reply:#?}");
    victim
        .send(&stack, &captured)
        .reply()
        .await
        .assert_invalid_dpop_proof("DPoP proof replayed");

    // After the window everything has expired: the store has room again, and the captured
    // proof is too old to be accepted anyway.
    stack.tenant.clock().advance(61);
    let proof = attacker.proof(&stack);
    attacker.send(&stack, &proof).reply().await.assert_ok();
    victim
        .send(&stack, &captured)
        .reply()
        .await
        .assert_invalid_dpop_proof("DPoP proof iat is too old");
}
