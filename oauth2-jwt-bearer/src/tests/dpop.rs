//! DPoP: every RFC 9449 §4.3 check, binding, replay and nonces.

use std::time::Duration;

use http::Method;
use serde_json::{Map, Value, json};

use super::support::*;
use crate::{AuthError, DpopMode, Scheme};
use crate::{ProofError, TokenError};

struct Dp {
    env: Env,
    key: mock_idp::DpopKey,
    token: String,
}

impl Dp {
    async fn new() -> Self {
        Self::with(|o| o).await
    }
    async fn with(f: impl FnOnce(crate::VerifierOptions) -> crate::VerifierOptions) -> Self {
        let env = Env::with(f).await;
        let key = ec("dpop-client");
        let token = env.token(&env.bound_claims(&key));
        Self { env, key, token }
    }
    async fn send(&self, proof: &str) -> Result<crate::Verified, AuthError> {
        self.send_with(&self.token, proof).await
    }
    /// Verifies a request carrying `token` under the DPoP scheme and `proof`.
    async fn send_with(&self, token: &str, proof: &str) -> Result<crate::Verified, AuthError> {
        let ctx = request(&[("authorization", &format!("DPoP {token}")), ("dpop", proof)]);
        self.env
            .verifier
            .verify_request(&ctx)
            .await
            .map_err(|r| r.error)
    }
    fn claims(&self) -> Map<String, Value> {
        self.env.proof_claims(&self.token)
    }
    fn header(&self) -> Map<String, Value> {
        proof_header(&self.key)
    }
    fn proof(&self, h: &Map<String, Value>, c: &Map<String, Value>) -> String {
        self.env.proof_with(&self.key, h, c)
    }
    async fn rejects_claim(&self, name: &str, v: Option<Value>) {
        let mut c = self.claims();
        match v.clone() {
            Some(v) => c.insert(name.into(), v),
            None => c.remove(name),
        };
        let e = self
            .send(&self.proof(&self.header(), &c))
            .await
            .unwrap_err();
        assert_eq!(
            e.error_code(),
            Some("invalid_dpop_proof"),
            "{name}={v:?}: {e:?}"
        );
        assert_eq!(e.status(), 401);
    }
    async fn rejects_header(&self, name: &str, v: Option<Value>) {
        let mut h = self.header();
        match v.clone() {
            Some(v) => h.insert(name.into(), v),
            None => h.remove(name),
        };
        let e = self
            .send(&self.proof(&h, &self.claims()))
            .await
            .unwrap_err();
        assert_eq!(
            e.error_code(),
            Some("invalid_dpop_proof"),
            "{name}={v:?}: {e:?}"
        );
    }
}

#[tokio::test]
async fn valid_proof_accepted_and_scheme_reported() {
    let d = Dp::new().await;
    let v = d.send(&d.env.proof(&d.key, &d.token)).await.unwrap();
    assert_eq!(v.scheme, Scheme::DPoP);
    assert_eq!(v.nonce, None);
    // Extra members in header, jwk and claims are fine; htu may carry query/fragment.
    let mut h = d.header();
    h.insert("tx_id".into(), json!(1));
    h.get_mut("jwk").unwrap()["kid"] = json!("x");
    h.get_mut("jwk").unwrap()["use"] = json!("sig");
    let mut c = d.claims();
    c.insert("htu".into(), json!(format!("{URL}?a=b#c")));
    c.insert("nbf".into(), json!(d.env.now()));
    c.insert("exp".into(), json!(d.env.now() + 300.0));
    d.send(&d.proof(&h, &c)).await.unwrap();
    // Small skew both ways, inside the default window (60 s past, 10 s future).
    for skew in [-59.0, -10.0, 9.0] {
        let mut c = d.claims();
        c.insert("iat".into(), json!(d.env.now() + skew));
        d.send(&d.proof(&d.header(), &c)).await.unwrap();
    }
    // Normalised htu forms.
    for htu in [
        "HTTPS://API.EXAMPLE.COM/api/dpop-protected",
        "https://api.example.com:443/api/dpop-protected",
        "https://api.example.com/api/x/../dpop-protected",
        "https://api.example.com/api/dpop%2Dprotected",
    ] {
        let mut c = d.claims();
        c.insert("htu".into(), json!(htu));
        d.send(&d.proof(&d.header(), &c)).await.unwrap();
    }
}

#[tokio::test]
async fn proof_header_checks() {
    let d = Dp::new().await;
    for typ in [
        None,
        Some(json!("JWT")),
        Some(json!("secevent+jwt")),
        Some(json!("dpop+jwt+wrongyousee")),
        Some(json!(1)),
    ] {
        d.rejects_header("typ", typ).await;
    }
    for alg in [
        None,
        Some(json!("none")),
        Some(json!("HS256")),
        Some(json!("RS256")),
        Some(json!("ES384")),
        Some(json!(1)),
    ] {
        d.rejects_header("alg", alg).await;
    }
    d.rejects_header("jwk", None).await;
    for jwk in [
        json!(""),
        json!(1),
        json!([]),
        Value::Null,
        json!({"kty": "oct", "k": "AAAA"}),
        rsa_jwk("tenant-1", "k"),
    ] {
        d.rejects_header("jwk", Some(jwk)).await;
    }
    let mut with_d = d.key.public_jwk();
    with_d["d"] = json!("AAAA");
    d.rejects_header("jwk", Some(with_d)).await;
    let mut p384 = d.key.public_jwk();
    p384["crv"] = json!("P-384");
    d.rejects_header("jwk", Some(p384)).await;
    // Not on the curve.
    let mut off = d.key.public_jwk();
    off["y"] = json!(b64([1u8; 32]));
    d.rejects_header("jwk", Some(off)).await;
    let mut short = d.key.public_jwk();
    short["x"] = json!(b64([1u8; 31]));
    d.rejects_header("jwk", Some(short)).await;
    d.rejects_header("crit", Some(json!(["x"]))).await;
    // The jwk of another key than the signer.
    let other = ec("dpop-other");
    d.rejects_header("jwk", Some(other.public_jwk())).await;
}

#[tokio::test]
async fn proof_structure_and_signature() {
    let d = Dp::new().await;
    let good = d.env.proof(&d.key, &d.token);
    let parts: Vec<&str> = good.split('.').collect();
    let zero_sig = format!("{}.{}.{}", parts[0], parts[1], b64([0u8; 64]));
    let short_sig = format!("{}.{}.{}", parts[0], parts[1], b64([1u8; 63]));
    for bad in [
        "a.b".to_owned(),
        "garbage".to_owned(),
        format!("DPoP {good}"),
        zero_sig,
        short_sig,
        format!(
            "{}.{}.{}",
            parts[0],
            parts[1],
            &parts[2][..parts[2].len() - 2]
        ),
        "x".repeat(9000),
    ] {
        let e = d.send(&bad).await.unwrap_err();
        assert_eq!(e.error_code(), Some("invalid_dpop_proof"), "{bad:.40}");
    }
    // Two proofs in one field, or two fields.
    let e = d.send(&format!("{good}, {good}")).await.unwrap_err();
    assert_eq!(e, AuthError::InvalidDpopProof(ProofError::MultipleProofs));
    let ctx = request(&[
        ("authorization", &format!("DPoP {}", d.token)),
        ("dpop", &good),
        ("DPoP", &good),
    ]);
    assert_eq!(
        d.env
            .verifier
            .verify_request(&ctx)
            .await
            .unwrap_err()
            .error
            .error_code(),
        Some("invalid_dpop_proof")
    );
    // No proof at all.
    let ctx = request(&[("authorization", &format!("DPoP {}", d.token))]);
    assert_eq!(
        d.env.verifier.verify_request(&ctx).await.unwrap_err().error,
        AuthError::InvalidDpopProof(ProofError::MissingProof)
    );
}

#[tokio::test]
async fn proof_claim_checks() {
    let d = Dp::new().await;
    let now = d.env.now();
    for name in ["jti", "htm", "htu", "iat", "ath"] {
        d.rejects_claim(name, None).await;
    }
    for jti in [json!(""), json!(123), Value::Null, json!("j".repeat(300))] {
        d.rejects_claim("jti", Some(jti)).await;
    }
    for htm in [json!("POST"), json!("get"), json!(123), Value::Null] {
        d.rejects_claim("htm", Some(htm)).await;
    }
    for htu in [
        "https://api.example.com/api/dpop-protected/",
        "https://api.example.com/API/dpop-protected",
        "http://api.example.com/api/dpop-protected",
        "https://api.example.com:8443/api/dpop-protected",
        "https://other.example.com/api/dpop-protected",
        "https://api.example.com/api%2Fdpop-protected",
        "/api/dpop-protected",
        "urn:x",
        "https://",
        "https://user@api.example.com/api/dpop-protected",
    ] {
        d.rejects_claim("htu", Some(json!(htu))).await;
    }
    d.rejects_claim("htu", Some(json!(1))).await;
    for iat in [
        json!(now - 61.0),
        json!(now - 301.0),
        json!(now - 3600.0),
        json!(now + 11.0),
        json!(now + 31.0),
        json!(now + 3600.0),
        json!("1700000000"),
        json!(true),
    ] {
        d.rejects_claim("iat", Some(iat)).await;
    }
    d.rejects_claim("exp", Some(json!(now - 60.0))).await;
    d.rejects_claim("exp", Some(json!("x"))).await;
    let other_token = d.env.ok_token();
    for ath in [
        json!(crate::jose::sha256_b64url(other_token.as_bytes())),
        json!(crate::jose::sha256_b64url(
            format!("DPoP {}", d.token).as_bytes()
        )),
        json!(format!(
            "{}=",
            crate::jose::sha256_b64url(d.token.as_bytes())
        )),
        json!(1),
    ] {
        d.rejects_claim("ath", Some(ath)).await;
    }
}

#[tokio::test]
async fn request_method_and_url_come_from_the_caller() {
    let d = Dp::new().await;
    let mut c = d.claims();
    c.insert("htm".into(), json!("POST"));
    let p = d.proof(&d.header(), &c);
    let auth = format!("DPoP {}", d.token);
    let ctx = request_to(
        Method::POST,
        &format!("{URL}?x=1"),
        &[("authorization", &auth), ("dpop", &p)],
    );
    d.env.verifier.verify_request(&ctx).await.unwrap();
}

#[tokio::test]
async fn key_binding() {
    let d = Dp::new().await;
    // Proof by another key (self-consistent) for a token bound to dpop-client.
    let other = ec("dpop-other");
    let p = d.env.proof(&other, &d.token);
    let e = d.send(&p).await.unwrap_err();
    assert_eq!(e, AuthError::InvalidToken(TokenError::InvalidKeyBinding));
    // Unbound token under DPoP.
    let unbound = d.env.ok_token();
    let p = d.env.proof(&d.key, &unbound);
    let e = d.send_with(&unbound, &p).await.unwrap_err();
    assert_eq!(e.error_code(), Some("invalid_token"));
    // jkt encoded differently (padded) never matches.
    let mut c = d.env.claims();
    c.insert(
        "cnf".into(),
        json!({"jkt": format!("{}=", d.key.thumbprint())}),
    );
    let padded = d.env.token(&c);
    let p = d.env.proof(&d.key, &padded);
    assert_eq!(
        d.send_with(&padded, &p).await.unwrap_err(),
        AuthError::InvalidToken(TokenError::InvalidKeyBinding)
    );
}

#[tokio::test]
async fn replay_is_refused() {
    let d = Dp::new().await;
    let p = d.env.proof(&d.key, &d.token);
    d.send(&p).await.unwrap();
    assert_eq!(
        d.send(&p).await.unwrap_err(),
        AuthError::InvalidDpopProof(ProofError::Replayed)
    );
    // After the window the proof is refused by iat anyway.
    d.env.clock.advance(61);
    assert_eq!(
        d.send(&p).await.unwrap_err().error_code(),
        Some("invalid_dpop_proof")
    );
}

/// The store keeps a proof for as long as its `iat` is acceptable (window + leeways): at the
/// last acceptable instant a replay is still a replay, never a fresh proof.
#[tokio::test]
async fn a_proof_is_remembered_for_as_long_as_its_iat_is_acceptable() {
    let d = Dp::with(|o| {
        o.dpop_iat_window(Duration::from_secs(20))
            .dpop_iat_leeway(Duration::from_secs(2))
            .clock_leeway(Duration::from_secs(10))
    })
    .await;
    // The most future iat accepted: 2 s + 10 s of leeway.
    let iat = d.env.now() + 12.0;
    let mut c = d.claims();
    c.insert("iat".into(), json!(iat));
    let p = d.proof(&d.header(), &c);
    d.send(&p).await.unwrap();
    // The last acceptable instant: iat + 20 s window + 10 s leeway.
    d.env.clock.advance(12 + 30);
    assert_eq!(
        d.send(&p).await.unwrap_err(),
        AuthError::InvalidDpopProof(ProofError::Replayed)
    );
    // One (whole, virtual) second later the iat is too old: the tenant clock counts seconds.
    d.env.clock.advance(1);
    assert_eq!(
        d.send(&p).await.unwrap_err(),
        AuthError::InvalidDpopProof(ProofError::IatTooOld)
    );
}

#[tokio::test]
async fn the_iat_window_is_bounded() {
    for (window, setting) in [
        (Duration::ZERO, "dpop_iat_window must be greater than zero"),
        (
            Duration::from_secs(3601),
            "dpop_iat_window must be at most 3600s",
        ),
    ] {
        let opts = crate::VerifierOptions::new("tenant.example.com", "https://api")
            .dpop_iat_window(window);
        let err = crate::Verifier::new(opts).unwrap_err();
        assert_eq!(err.to_string(), setting);
    }
}

/// A store that cannot answer, as a Redis that is down or slow.
struct DownStore;

impl crate::replay::ReplayStore for DownStore {
    fn check_and_insert<'a>(
        &'a self,
        _key: &'a str,
        _expires_at: std::time::SystemTime,
    ) -> futures::future::BoxFuture<'a, Result<bool, crate::replay::ReplayStoreError>> {
        Box::pin(std::future::ready(Err(
            crate::replay::ReplayStoreError::Timeout(Duration::from_millis(200)),
        )))
    }
}

/// Before, every refused request logged its own `error` line: an outage under load flooded
/// the log. Now one line per minute, carrying the count of the ones left out.
#[tokio::test]
async fn a_replay_store_outage_is_logged_once_per_interval() {
    let logs = Logs::default();
    let _guard = logs.capture();
    let d = Dp::with(|o| o.replay_store(std::sync::Arc::new(DownStore))).await;
    for _ in 0..5 {
        let e = d.send(&d.env.proof(&d.key, &d.token)).await.unwrap_err();
        assert_eq!(e, AuthError::ReplayStoreUnavailable);
    }
    let lines = logs.lines_with("replay store unavailable");
    assert_eq!(lines.len(), 1, "{lines:#?}");
    assert!(lines[0].contains("ERROR") && lines[0].contains("suppressed=0"));
    d.env.clock.advance(60);
    d.send(&d.env.proof(&d.key, &d.token)).await.unwrap_err();
    let lines = logs.lines_with("replay store unavailable");
    assert_eq!(lines.len(), 2, "{lines:#?}");
    assert!(lines[1].contains("suppressed=4"), "{}", lines[1]);
}

/// A replay is a security event: logged at INFO with the client's key thumbprint, never the
/// token or the proof.
#[tokio::test]
async fn a_replay_is_logged_with_the_jkt_and_without_the_proof() {
    let logs = Logs::default();
    let _guard = logs.capture();
    let d = Dp::new().await;
    let p = d.env.proof(&d.key, &d.token);
    d.send(&p).await.unwrap();
    d.send(&p).await.unwrap_err();
    let lines = logs.lines_with("replayed");
    assert_eq!(lines.len(), 1, "{lines:#?}");
    assert!(lines[0].contains(" INFO "), "{}", lines[0]);
    assert!(
        lines[0].contains(&format!("jkt={}", d.key.thumbprint())),
        "{}",
        lines[0]
    );
    let all = logs.lines_with("");
    for secret in [&p, &d.token] {
        let signature = secret.rsplit('.').next().unwrap();
        assert!(!all.iter().any(|l| l.contains(signature)), "{all:#?}");
    }
}

/// A flooding client is refused with 429 and logged once per interval, not once a request.
#[tokio::test]
async fn a_key_over_its_share_gets_429_and_one_log_line() {
    let logs = Logs::default();
    let _guard = logs.capture();
    let d = Dp::with(|o| {
        // On the verifier's (manual) clock, as the default store is.
        let store =
            crate::replay::InMemoryReplayStore::with_clock(100, o.clock.clone()).per_key_limit(2);
        o.replay_store(std::sync::Arc::new(store))
    })
    .await;
    for _ in 0..2 {
        d.send(&d.env.proof(&d.key, &d.token)).await.unwrap();
    }
    for _ in 0..3 {
        let rejection = {
            let ctx = request(&[
                ("authorization", &format!("DPoP {}", d.token)),
                ("dpop", &d.env.proof(&d.key, &d.token)),
            ]);
            d.env.verifier.verify_request(&ctx).await.unwrap_err()
        };
        assert!(
            matches!(rejection.error, AuthError::DpopKeyOverQuota { .. }),
            "{rejection:?}"
        );
        let (status, headers, _) = rejection.to_parts();
        assert_eq!(status, 429);
        assert!(headers.contains_key("retry-after"));
    }
    let lines = logs.lines_with("whole share");
    assert_eq!(lines.len(), 1, "{lines:#?}");
    assert!(lines[0].contains(" WARN "), "{}", lines[0]);
}

#[tokio::test]
async fn an_unavailable_replay_store_fails_closed_with_503() {
    let d = Dp::with(|o| o.replay_store(std::sync::Arc::new(DownStore))).await;
    let ctx = request(&[
        ("authorization", &format!("DPoP {}", d.token)),
        ("dpop", &d.env.proof(&d.key, &d.token)),
    ]);
    let rejection = d.env.verifier.verify_request(&ctx).await.unwrap_err();
    assert_eq!(rejection.error, AuthError::ReplayStoreUnavailable);
    // The framework-free answer (what the axum glue sends, and what other glue can send).
    let (status, headers, body) = rejection.to_parts();
    assert_eq!(status, 503);
    assert_eq!(headers["retry-after"], "1");
    assert_eq!(headers["cache-control"], "no-store");
    // The mode's challenge, without an error code: the client's credentials are not at fault.
    assert_eq!(
        headers["www-authenticate"],
        r#"Bearer realm="api", DPoP algs="ES256""#
    );
    assert_eq!(
        body,
        json!({
            "error": "temporarily_unavailable",
            "error_description": "DPoP replay check unavailable, retry with a new proof"
        })
    );
    // Bearer requests never consult the store.
    let bearer = d.env.ok_token();
    let ctx = request(&[("authorization", &format!("Bearer {bearer}"))]);
    d.env.verifier.verify_request(&ctx).await.unwrap();
}

#[tokio::test]
async fn same_jti_under_other_keys_is_fine() {
    let d = Dp::new().await;
    let mut c = d.claims();
    c.insert("jti".into(), json!("shared"));
    d.send(&d.proof(&d.header(), &c)).await.unwrap();
    let other = ec("dpop-other");
    let t2 = d.env.token(&d.env.bound_claims(&other));
    let mut c2 = d.env.proof_claims(&t2);
    c2.insert("jti".into(), json!("shared"));
    let p2 = d.env.proof_with(&other, &proof_header(&other), &c2);
    d.send_with(&t2, &p2).await.unwrap();
}

#[tokio::test]
async fn server_nonces() {
    let d = Dp::with(|o| {
        o.dpop_nonces(true)
            .dpop_nonce_rotation(Duration::from_secs(300))
    })
    .await;
    let e = d.send(&d.env.proof(&d.key, &d.token)).await.unwrap_err();
    let AuthError::UseDpopNonce { nonce } = e.clone() else {
        panic!("{e:?}")
    };
    assert_eq!(
        (e.status().as_u16(), e.error_code()),
        (401, Some("use_dpop_nonce"))
    );
    let mut c = d.claims();
    c.insert("nonce".into(), json!(nonce));
    let v = d.send(&d.proof(&d.header(), &c)).await.unwrap();
    assert!(v.nonce.is_some());
    // Wrong, foreign or stale nonces get a fresh one.
    for bad in [json!("nope"), json!(1)] {
        let mut c = d.claims();
        c.insert("nonce".into(), bad);
        assert!(d.send(&d.proof(&d.header(), &c)).await.is_err());
    }
    d.env.clock.advance(700);
    let mut c = d.claims();
    c.insert("nonce".into(), json!(nonce));
    assert!(matches!(
        d.send(&d.proof(&d.header(), &c)).await.unwrap_err(),
        AuthError::UseDpopNonce { .. }
    ));
}

#[tokio::test]
async fn required_mode_refuses_bearer() {
    let d = Dp::with(|o| o.dpop_mode(DpopMode::Required)).await;
    d.send(&d.env.proof(&d.key, &d.token)).await.unwrap();
    let ctx = request(&[("authorization", &format!("Bearer {}", d.env.ok_token()))]);
    assert_eq!(
        d.env.verifier.verify_request(&ctx).await.unwrap_err().error,
        AuthError::DpopRequired
    );
}
