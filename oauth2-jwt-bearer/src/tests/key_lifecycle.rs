//! The signing keys' life cycle against a real tenant: `mock_idp::MockTenant` over HTTPS,
//! its key ring (publish / rotate / retire), its faults and its virtual clock, which the
//! verifier shares so that moving the tenant's time moves the verifier's.
//!
//! Each test plays the attacker or the outage the verifier must survive: a token signed by a
//! withdrawn key, a tenant down for days, clients cancelling refreshes, a JWKS that leaks
//! private key members.

use std::sync::Arc;
use std::time::Duration;

use mock_idp::{Endpoint, Fault, MockTenant};
use serde_json::json;

use super::support::{Logs, tenant_clock};
use crate::{AuthError, Verifier, VerifierOptions};

/// A tenant with a frozen clock (nothing moves unless the test says so) and fixture keys.
fn tenant() -> MockTenant {
    let t = MockTenant::builder()
        .try_start()
        .expect("the tenant starts");
    t.clock().freeze();
    t
}

fn verifier_with(t: &MockTenant, f: impl FnOnce(VerifierOptions) -> VerifierOptions) -> Verifier {
    let opts = VerifierOptions::new(t.domain(), t.audience())
        .ca_pem(t.ca().pem().into_bytes())
        .clock(tenant_clock(t));
    Verifier::new(f(opts)).unwrap()
}

fn verifier(t: &MockTenant) -> Verifier {
    verifier_with(t, |o| o)
}

/// A valid token, distinct from every other one this test mints (tokens minted in the same
/// frozen second would otherwise be byte-identical and hit the token cache).
fn fresh_token(t: &MockTenant) -> String {
    t.token()
        .claim("jti", json!(super::support::rand_u64().to_string()))
        .build()
}

fn assert_refused(e: &AuthError) {
    assert_eq!(
        (e.status().as_u16(), e.error_code()),
        (401, Some("invalid_token")),
        "{e:?}"
    );
}

/// Must fix 3: a cached token does not outlive its key. The tenant rotates and withdraws
/// the key that signed a token; every request for that token is a cache hit, so nothing
/// but the JWKS `max-age` expiring can notice. After that refresh the token is refused.
#[tokio::test]
async fn a_cached_token_signed_by_a_withdrawn_key_is_refused_after_the_next_refresh() {
    let t = tenant();
    let v = verifier(&t);
    let stolen = t.token().expires_in(3 * 86_400).build();
    v.verify_access_token(&stolen, &[]).await.unwrap();
    v.verify_access_token(&stolen, &[]).await.unwrap();
    assert_eq!(v.stats().token_cache_hits, 1);

    let old = t.keys().current().kid().to_owned();
    t.keys().rotate();
    assert!(t.keys().retire(&old));
    // Within the JWKS lifetime the cached token still passes: the verifier has not seen the
    // withdrawal yet (the bound the issue asks for is one TTL).
    v.verify_access_token(&stolen, &[]).await.unwrap();
    assert_eq!(t.journal().jwks_fetches(), 1);

    // One TTL later (MockTenant says max-age=15, clamped up to the 30 s cooldown) a hit
    // starts a background refresh; once it is done, the hit is a miss and the token fails.
    t.clock().advance(31);
    let _ = v.verify_access_token(&stolen, &[]).await;
    v.refreshes_settled().await;
    assert_eq!(t.journal().jwks_fetches(), 2);
    let e = v.verify_access_token(&stolen, &[]).await.unwrap_err();
    assert_refused(&e);
    // A token from the new key is fine.
    v.verify_access_token(&fresh_token(&t), &[]).await.unwrap();
    assert_eq!(t.journal().jwks_fetches(), 2);
}

/// Must fix 3: a hit whose key left the key set is a miss even when the cache was filled
/// after the refresh that removed the key (the race the epoch guards): here the refresh is
/// triggered by another token's unknown `kid`, as in a real rotation.
#[tokio::test]
async fn a_withdrawn_key_stops_cached_tokens_when_another_request_refreshes() {
    let t = tenant();
    let v = verifier(&t);
    let stolen = t.token().expires_in(3 * 86_400).build();
    v.verify_access_token(&stolen, &[]).await.unwrap();
    let old = t.keys().current().kid().to_owned();
    t.keys().rotate();
    t.keys().retire(&old);
    t.clock().advance(31);
    // The new key's token has an unknown kid: its miss refreshes and notices the removal.
    v.verify_access_token(&fresh_token(&t), &[]).await.unwrap();
    let e = v.verify_access_token(&stolen, &[]).await.unwrap_err();
    assert_refused(&e);
}

/// Must fix 3, the other half of the race: even a cache entry that escaped the clear (it
/// is planted here after the refresh, as the racing insert of a request that read the old
/// keys would be) is not served once its key has left the JWKS.
#[tokio::test]
async fn a_cache_entry_planted_after_the_clear_is_not_served_once_its_key_is_gone() {
    let t = tenant();
    let v = verifier(&t);
    let stolen = t.token().expires_in(3 * 86_400).build();
    let claims = v.verify_access_token(&stolen, &[]).await.unwrap();
    let old = t.keys().current();
    t.keys().rotate();
    t.keys().retire(old.kid());
    t.clock().advance(31);
    v.verify_access_token(&fresh_token(&t), &[]).await.unwrap();
    assert_eq!(t.journal().jwks_fetches(), 2);

    let key = crate::jwks::usable_key(
        &old.public_jwk(),
        &[crate::Algorithm::RS256],
        Default::default(),
    );
    let cache = v.token_cache();
    cache.insert(
        &stolen,
        crate::token_cache::CachedToken {
            time: crate::claims::TimeClaims {
                exp: claims
                    .get("exp")
                    .and_then(serde_json::Value::as_f64)
                    .unwrap(),
                nbf: None,
            },
            claims,
            domain: t.domain().into(),
            key: Arc::new(key.unwrap()),
            generation: 1,
            tenant: v.tenant_state(t.domain()).expect("fetched from"),
        },
        t.clock().now() as f64,
        cache.epoch(),
    );
    assert!(cache.get(&stolen).is_some());
    let e = v.verify_access_token(&stolen, &[]).await.unwrap_err();
    assert_refused(&e);
    assert!(cache.get(&stolen).is_none());
    assert_eq!(v.stats().token_cache_hits, 0);
}

/// Should fix 4: stale-if-error is bounded. With the tenant down, the keys we had keep
/// working for 24 h past their expiry; after that every token (cached or not) is refused
/// with 401 `invalid_token` until the tenant answers again.
#[tokio::test]
async fn stale_keys_stop_working_after_the_maximum_staleness() {
    let t = tenant();
    let v = verifier(&t);
    let cached = t.token().expires_in(5 * 86_400).build();
    v.verify_access_token(&cached, &[]).await.unwrap();
    t.faults().fail(Endpoint::Jwks, Fault::Status(503));
    t.faults().fail(Endpoint::Discovery, Fault::Status(503));

    // 23 h into the outage: stale keys still serve, cached and new tokens alike.
    t.clock().advance(23 * 3600);
    v.verify_access_token(&fresh_token(&t), &[]).await.unwrap();
    v.verify_access_token(&cached, &[]).await.unwrap();

    // Past 24 h after the keys expired: fail closed.
    t.clock().advance(3600 + 60);
    let e = v
        .verify_access_token(&fresh_token(&t), &[])
        .await
        .unwrap_err();
    assert_eq!(e, AuthError::KeysUnavailable);
    assert_refused(&e);
    let e = v.verify_access_token(&cached, &[]).await.unwrap_err();
    assert_eq!(e, AuthError::KeysUnavailable);

    // The tenant comes back: after the cooldown the next request refreshes and works.
    t.faults().clear();
    t.clock().advance(31);
    v.verify_access_token(&cached, &[]).await.unwrap();
}

/// Should fix 4: the bound is configurable; zero means no stale keys at all.
#[tokio::test]
async fn maximum_staleness_is_configurable() {
    let t = tenant();
    let v = verifier_with(&t, |o| o.jwks_max_stale(Duration::from_secs(600)));
    v.verify_access_token(&fresh_token(&t), &[]).await.unwrap();
    t.faults().fail(Endpoint::Jwks, Fault::Status(503));
    t.clock().advance(31 + 500);
    v.verify_access_token(&fresh_token(&t), &[]).await.unwrap();
    t.clock().advance(200);
    let e = v
        .verify_access_token(&fresh_token(&t), &[])
        .await
        .unwrap_err();
    assert_eq!(e, AuthError::KeysUnavailable);
}

/// Review 3 I5: past `jwks_max_stale`, the refused request itself is logged at `error`
/// (once a minute), also inside the refresh cooldown, where no failing refresh says it.
#[tokio::test]
async fn a_request_refused_on_keys_past_the_bound_is_logged_at_error() {
    let t = tenant();
    let v = verifier_with(&t, |o| o.jwks_max_stale(Duration::from_secs(600)));
    let logs = Logs::default();
    let _guard = logs.capture();
    v.verify_access_token(&fresh_token(&t), &[]).await.unwrap();
    t.faults().fail(Endpoint::Jwks, Fault::Status(503));
    // Keys expired (TTL 30 s) but within the bound: the refresh fails, the keys still serve.
    t.clock().advance(620);
    v.verify_access_token(&fresh_token(&t), &[]).await.unwrap();
    v.refreshes_settled().await;
    let refused = "no refresh succeeded: every token of this tenant is refused";
    assert_eq!(logs.lines_with(refused), Vec::<String>::new());
    // 635 s: past 30 + 600, and inside the cooldown of the refresh at 620, so nothing
    // refreshes (and no failing refresh logs anything).
    t.clock().advance(15);
    for _ in 0..3 {
        let e = v.verify_access_token(&fresh_token(&t), &[]).await;
        assert_eq!(e, Err(AuthError::KeysUnavailable));
    }
    assert_eq!(t.journal().jwks_fetches(), 2);
    let lines = logs.lines_with(refused);
    assert_eq!(lines.len(), 1, "once per interval: {lines:?}");
    assert!(lines[0].contains("ERROR"), "{}", lines[0]);
}

/// Should fix 6: a refresh whose requests are all cancelled (client disconnects, a timeout
/// layer) still counts against the cooldown. Five requests inside one cooldown each give
/// up while the JWKS answer is delayed; the tenant sees exactly one JWKS request, and the
/// next request uses its result.
#[tokio::test]
async fn cancelled_refreshes_still_count_against_the_cooldown() {
    let t = tenant();
    let v = verifier(&t);
    // Discovery first, so that every cancelled request reaches the JWKS step.
    t.faults().fail(Endpoint::Jwks, Fault::Status(503));
    assert_eq!(
        v.verify_access_token(&fresh_token(&t), &[]).await,
        Err(AuthError::KeysUnavailable)
    );
    assert_eq!(t.journal().jwks_fetches(), 1);
    t.faults().clear();
    t.clock().advance(31);
    t.faults()
        .fail(Endpoint::Jwks, Fault::Delay(Duration::from_secs(3)));
    for _ in 0..5 {
        let token = fresh_token(&t);
        let r = tokio::time::timeout(
            Duration::from_millis(100),
            v.verify_access_token(&token, &[]),
        )
        .await;
        assert!(r.is_err(), "the request was cancelled mid-fetch");
    }
    // Not cancelled: waits for the refresh in flight (or uses its result).
    v.verify_access_token(&fresh_token(&t), &[]).await.unwrap();
    assert_eq!(t.journal().jwks_fetches(), 2);
    assert_eq!(v.stats().jwks_fetches, 2);
}

/// Should fix 8 (catalog KEY-12): a JWKS key carrying private members is refused as a
/// signing key, even though it would verify the token.
#[tokio::test]
async fn a_jwks_key_with_private_members_is_refused() {
    let t = tenant();
    let private = t.keys().current().private_jwk();
    let served = t.overrides().jwks(json!({ "keys": [private] }));
    let v = verifier(&t);
    let e = v
        .verify_access_token(&fresh_token(&t), &[])
        .await
        .unwrap_err();
    assert_refused(&e);
    assert_eq!(t.journal().jwks_fetches(), 1);
    // The same key without its private members is accepted (after the unknown-kid cooldown).
    drop(served);
    t.clock().advance(31);
    v.verify_access_token(&fresh_token(&t), &[]).await.unwrap();
    // Each private member alone is enough to refuse the key.
    let public = t.keys().current().public_jwk();
    for member in ["d", "p", "q", "dp", "dq", "qi", "oth"] {
        let mut k = public.clone();
        k[member] = json!("AQAB");
        assert!(
            crate::jwks::usable_key(&k, &[crate::Algorithm::RS256], Default::default()).is_none(),
            "{member}"
        );
    }
    let mut oct = json!({"kty": "oct", "k": "AQAB"});
    assert!(
        crate::jwks::usable_key(&oct, &[crate::Algorithm::RS256], Default::default()).is_none()
    );
    oct["kty"] = json!("RSA");
    assert!(
        crate::jwks::usable_key(&oct, &[crate::Algorithm::RS256], Default::default()).is_none()
    );
}

/// "Also" item: every refusal before the signature is checked has the same description, so
/// the description tells an attacker nothing about which structural check failed.
#[tokio::test]
async fn pre_signature_refusals_share_one_description() {
    let t = tenant();
    let v = verifier(&t);
    let good = fresh_token(&t);
    let mut forged_sig = good.clone();
    forged_sig.truncate(good.len() - 4);
    forged_sig.push_str("AAAA");
    let candidates = [
        "a.b".to_owned(),
        "!!!.e30.AAAA".to_owned(),
        t.token().alg("HS256").build(),
        t.token().kid("no-such-kid").build(),
        t.token().issuer("https://evil.example/").build(),
        t.token().header("crit", json!(["exp"])).build(),
        t.token().typ("dpop+jwt").build(),
        forged_sig,
    ];
    for token in candidates {
        let e = v.verify_access_token(&token, &[]).await.unwrap_err();
        assert!(
            matches!(e, AuthError::InvalidToken(r) if r.before_signature()),
            "{token}: {e:?}"
        );
        assert_eq!(e.description(), "Invalid token", "{token}");
    }
}
