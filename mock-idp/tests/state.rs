//! Persisted state: a restart with the same directory keeps tokens valid and the CA trusted.

use mock_idp::MockTenant;

use crate::support::{TempDir, fetch_jwks, verify};

#[tokio::test]
async fn restart_keeps_tokens_valid_and_ca_trusted() {
    let dir = TempDir::new("restart");
    let first = MockTenant::builder().state_dir(dir.path()).start().await;
    let token = first.token().build();
    let ca = first.ca().pem();
    let issuer = first.issuer().to_owned();
    let port: u16 = first.domain().rsplit(':').next().unwrap().parse().unwrap();
    drop(first);

    // Same port (so the issuer matches) once the old server has released it.
    let mut second = None;
    for _ in 0..50 {
        match MockTenant::builder()
            .state_dir(dir.path())
            .port(port)
            .try_start()
        {
            Ok(t) => {
                second = Some(t);
                break;
            }
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(20)),
        }
    }
    let second = second.expect("port released");
    assert_eq!(second.issuer(), issuer);
    assert_eq!(second.ca().pem(), ca);
    let jwks = fetch_jwks(&second).await;
    verify(&token, &jwks, &issuer, second.audience()).unwrap();
}

/// A new host name: the CA (same key) is renewed so its name constraints permit the name, and
/// the leaf is reissued under it. Clients re-read `ca.pem`; one that kept the old CA
/// certificate is refused for the new name (the old constraints do not permit it).
#[tokio::test]
async fn new_host_name_renews_the_ca_for_it_and_reissues_the_leaf() {
    let dir = TempDir::new("reissue");
    let old_ca = MockTenant::builder()
        .state_dir(dir.path())
        .start()
        .await
        .ca()
        .pem();
    let key = std::fs::read_to_string(dir.path().join("ca-key.pem")).unwrap();
    let tenant = MockTenant::builder()
        .state_dir(dir.path())
        .host("idp.test")
        .start()
        .await;
    assert_ne!(tenant.ca().pem(), old_ca);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("ca-key.pem")).unwrap(),
        key
    );
    let port = tenant.domain().rsplit(':').next().unwrap().to_owned();
    let client = |ca: &str| {
        reqwest::Client::builder()
            .tls_certs_only([reqwest::Certificate::from_pem(ca.as_bytes()).unwrap()])
            .resolve("idp.test", format!("127.0.0.1:{port}").parse().unwrap())
            .build()
            .unwrap()
    };
    let res = client(&tenant.ca().pem())
        .get(tenant.urls().jwks())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        client(&old_ca)
            .get(tenant.urls().jwks())
            .send()
            .await
            .is_err()
    );
}

/// Review 3 L8, renewal: the CA lives a year, and a tenant started on a state directory whose
/// CA has fewer than 30 days left renews it (same key, so clients re-read `ca.pem` and keep
/// one CA), then serves under the renewed certificate. The remaining days are set by editing
/// `ca.json`, as if eleven months had passed.
#[tokio::test]
async fn a_ca_close_to_expiry_is_renewed_with_the_same_key() {
    let dir = TempDir::new("renew");
    let old_ca = MockTenant::builder()
        .state_dir(dir.path())
        .start()
        .await
        .ca()
        .pem();
    let key = std::fs::read_to_string(dir.path().join("ca-key.pem")).unwrap();
    let meta_path = dir.path().join("ca.json");
    let mut meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&meta_path).unwrap()).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let year_end = meta["not_after"].as_u64().unwrap();
    assert!(
        (now + 360 * 86_400..now + 370 * 86_400).contains(&year_end),
        "{meta}"
    );
    meta["not_after"] = (now + 10 * 86_400).into();
    std::fs::write(&meta_path, meta.to_string()).unwrap();

    let tenant = MockTenant::builder().state_dir(dir.path()).start().await;
    assert_ne!(tenant.ca().pem(), old_ca);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("ca-key.pem")).unwrap(),
        key
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("ca.pem")).unwrap(),
        tenant.ca().pem()
    );
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&meta_path).unwrap()).unwrap();
    assert!(
        meta["not_after"].as_u64().unwrap() > now + 360 * 86_400,
        "{meta}"
    );
    let res = tenant
        .http_client()
        .get(tenant.urls().jwks())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}
