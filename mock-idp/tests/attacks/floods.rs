//! Floods that must not evict what others need: a pending login under an `/authorize`
//! flood, one device's logins, a rotation loop, and an oversized control body.

use super::*;

/// `/authorize` for the public SPA client and the default API, optionally with a device cookie.
async fn start_login(
    t: &MockTenant,
    http: &reqwest::Client,
    device: Option<&str>,
) -> reqwest::Response {
    let mut u = url::Url::parse(&format!("{}/authorize", t.uri())).unwrap();
    u.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", DEFAULT_SPA_CLIENT_ID)
        .append_pair("redirect_uri", DEFAULT_CALLBACK)
        .append_pair("scope", "openid")
        .append_pair("code_challenge", CHALLENGE)
        .append_pair("code_challenge_method", "S256");
    let mut req = http.get(u.as_str());
    if let Some(d) = device {
        req = req.header("cookie", format!("did={d}"));
    }
    req.send().await.unwrap()
}

/// Posts the default user's password to the login form of transaction `tx`.
async fn submit_password(
    t: &MockTenant,
    http: &reqwest::Client,
    device: &str,
    tx: &str,
) -> reqwest::Response {
    http.post(format!("{}/u/login", t.uri()))
        .header("cookie", format!("did={device}"))
        .form(&[
            ("state", tx),
            ("username", DEFAULT_USER_EMAIL),
            ("password", DEFAULT_USER_PASSWORD),
        ])
        .send()
        .await
        .unwrap()
}

/// Review L1: a victim opens the login form; an unauthenticated attacker sends 10,000
/// `/authorize` requests for the same public client, each from a fresh device. The store used
/// to drop the oldest pending login, the victim's. Now the client's share fills and further
/// logins are refused (`temporarily_unavailable`), and the victim's password still works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_authorize_flood_does_not_evict_a_pending_login() {
    let t = builder().start().await;
    let http = browser(&t);
    let res = start_login(&t, &http, None).await;
    let victim = set_cookie(&res, "did");
    let victim_tx = location(&res)
        .trim_start_matches("/u/login?state=")
        .to_owned();
    let form = http
        .get(format!("{}/u/login?state={victim_tx}", t.uri()))
        .header("cookie", format!("did={victim}"))
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 200);

    let mut u = url::Url::parse(&format!("{}/authorize", t.uri())).unwrap();
    u.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", DEFAULT_SPA_CLIENT_ID)
        .append_pair("redirect_uri", DEFAULT_CALLBACK)
        .append_pair("code_challenge", CHALLENGE)
        .append_pair("code_challenge_method", "S256");
    let (mut parked, mut refused) = (0, 0);
    let busy = format!(
        "{DEFAULT_CALLBACK}?error=temporarily_unavailable&error_description=Too+many+logins+are+in+progress%3B+try+again+later"
    );
    for _ in 0..10_000 / 16 {
        let flood: Vec<_> = (0..16)
            .map(|_| tokio::spawn(http.get(u.as_str()).send()))
            .collect();
        for h in flood {
            let res = h.await.unwrap().unwrap();
            let loc = location(&res);
            if loc.starts_with("/u/login?state=") {
                parked += 1;
            } else {
                assert_eq!(loc, busy);
                refused += 1;
            }
        }
    }
    // The client's share is 5,000 pending logins, the victim's among them.
    assert_eq!((parked, refused), (4_999, 5_001));

    let res = submit_password(&t, &http, &victim, &victim_tx).await;
    assert_eq!(res.status(), 302);
    assert!(
        location(&res).starts_with(&format!("{DEFAULT_CALLBACK}?code=")),
        "{}",
        location(&res)
    );
}

/// One device (one `did` cookie) holds at most 8 pending logins: its ninth pushes out its own
/// oldest, never another device's.
#[tokio::test]
async fn a_device_that_floods_evicts_only_its_own_logins() {
    let t = builder().start().await;
    let http = browser(&t);
    let res = start_login(&t, &http, None).await;
    let victim = set_cookie(&res, "did");
    let victim_tx = location(&res)
        .trim_start_matches("/u/login?state=")
        .to_owned();
    let res = start_login(&t, &http, None).await;
    let attacker = set_cookie(&res, "did");
    let first = location(&res)
        .trim_start_matches("/u/login?state=")
        .to_owned();
    for _ in 0..8 {
        let res = start_login(&t, &http, Some(&attacker)).await;
        assert_eq!(res.status(), 302);
    }
    let res = submit_password(&t, &http, &attacker, &first).await;
    assert_eq!(
        res.status(),
        400,
        "the attacker's first login was pushed out by its ninth"
    );
    let res = submit_password(&t, &http, &victim, &victim_tx).await;
    assert_eq!(res.status(), 302);
    assert!(location(&res).starts_with(&format!("{DEFAULT_CALLBACK}?code=")));
}

/// Review I9: control bodies had only axum's 2 MiB default, answered 400. They are capped at
/// 1 MiB (what an override or a fault keeps, at most) and answered 413.
#[tokio::test]
async fn an_oversized_control_body_is_413() {
    let t = builder().start().await;
    let big = json!({ "keys": [], "pad": "x".repeat(1 << 20) });
    let (status, body) = control(
        &t,
        SECRET,
        Method::PUT,
        "/control/overrides/jwks",
        Some(big),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body["errorCode"], "invalid_body");
    // Under the limit: kept.
    let small = json!({ "keys": [] });
    let (status, _) = control(
        &t,
        SECRET,
        Method::PUT,
        "/control/overrides/jwks",
        Some(small),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}

/// A client the operator granted the signing-key scopes rotates in a loop (each Auth0
/// rotation publishes a new key): the JWKS stops at 20 keys, the next rotation is refused with
/// the ring unchanged, and revoking a previous key makes room again.
#[tokio::test]
async fn a_rotation_loop_stops_at_the_published_key_bound() {
    let mut config = TenantConfig::default();
    let mut keys = ApplicationConfig::machine("keys-client", "keys-secret");
    keys.grants.insert(
        MANAGEMENT_API.into(),
        vec!["create:signing_keys".into(), "update:signing_keys".into()],
    );
    config.applications.push(keys);
    let t = MockTenant::builder()
        .config(config)
        .admin_secret(SECRET)
        .start()
        .await;
    let (status, body) = post_token(
        &t,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "keys-client"),
            ("client_secret", "keys-secret"),
            ("audience", &t.control().audience()),
        ],
        &[],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let at = body["access_token"].as_str().unwrap().to_owned();
    let rotate = || control(&t, &at, Method::POST, "/api/v2/keys/signing/rotate", None);
    let mut created = 0;
    loop {
        let (status, body) = rotate().await;
        if status != StatusCode::CREATED {
            assert_eq!(status, StatusCode::CONFLICT, "{body}");
            assert_eq!(
                body["message"],
                "cannot rotate: the JWKS holds its maximum of 20 keys: revoke or retire one first"
            );
            break;
        }
        created += 1;
        assert!(created < 30, "no bound after {created} rotations");
    }
    let published = t.keys().published_kids();
    assert_eq!(published.len(), 20);
    let current = t.keys().current().kid().to_owned();
    // The refused rotation changed nothing.
    let (status, _) = rotate().await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(t.keys().current().kid().to_owned(), current);
    assert_eq!(t.keys().published_kids(), published);
    // Revoking a previous key (not the one that signed the caller's token) makes room for
    // one more rotation.
    let path = format!("/api/v2/keys/signing/{}/revoke", published[1]);
    let (status, body) = control(&t, &at, Method::PUT, &path, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = rotate().await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(t.keys().published_kids().len(), 20);
}
