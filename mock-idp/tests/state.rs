//! Persisted state: a restart with the same directory keeps tokens valid and the CA trusted.

use mock_idp::MockTenant;

use crate::support::{TempDir, fetch_jwks, verify};

#[tokio::test]
async fn restart_keeps_tokens_valid_and_ca_trusted() {
    let dir = TempDir::new("restart");
    let first = MockTenant::builder().state_dir(dir.path()).start().await;
    let token = first.token().build();
    let ca = first.ca_pem();
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
    assert_eq!(second.ca_pem(), ca);
    let jwks = fetch_jwks(&second).await;
    verify(&token, &jwks, &issuer, &second.audience()).unwrap();
}

#[tokio::test]
async fn new_host_name_reissues_the_leaf_under_the_same_ca() {
    let dir = TempDir::new("reissue");
    let ca = MockTenant::builder()
        .state_dir(dir.path())
        .start()
        .await
        .ca_pem();
    let tenant = MockTenant::builder()
        .state_dir(dir.path())
        .host("idp.test")
        .start()
        .await;
    assert_eq!(tenant.ca_pem(), ca);
    let port = tenant.domain().rsplit(':').next().unwrap().to_owned();
    let client = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(ca.as_bytes()).unwrap()])
        .resolve("idp.test", format!("127.0.0.1:{port}").parse().unwrap())
        .build()
        .unwrap();
    let res = client.get(tenant.jwks_url()).send().await.unwrap();
    assert_eq!(res.status(), 200);
}
