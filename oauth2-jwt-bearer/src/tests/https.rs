//! The production transport: discovery and JWKS over HTTPS with an extra trusted CA
//! (`ca_pem` / `ca_file`), no insecure option. The leaf certificate (127.0.0.1, localhost)
//! and its CA are fixed files under `certs/`, valid until 2125.

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::json;

use super::support::*;
use crate::{AuthError, Verifier, VerifierOptions};

const CA: &[u8] = include_bytes!("certs/ca.pem");

/// An HTTPS tenant on 127.0.0.1; `jwks_scheme` lets a test publish an `http` jwks_uri.
async fn https_tenant(jwks_scheme: &'static str) -> String {
    let certs = CertificateDer::pem_slice_iter(include_bytes!("certs/leaf.pem"))
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_slice(include_bytes!("certs/leaf.key")).unwrap();
    let mut cfg = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .unwrap();
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let domain = format!("127.0.0.1:{}", listener.local_addr().unwrap().port());
    let discovery = json!({
        "issuer": format!("https://{domain}/"),
        "jwks_uri": format!("{jwks_scheme}://{domain}/.well-known/jwks.json"),
    });
    let jwks = json!({"keys": [rsa_jwk("tenant-1", "k1")]});
    let app = Router::new()
        .route(
            "/.well-known/openid-configuration",
            get(move || async move { axum::Json(discovery) }),
        )
        .route(
            "/.well-known/jwks.json",
            get(move || async move { axum::Json(jwks) }),
        );
    let server = axum_server::from_tcp_rustls(
        listener,
        axum_server::tls_rustls::RustlsConfig::from_config(Arc::new(cfg)),
    )
    .unwrap();
    tokio::spawn(async move {
        let _ = server.serve(app.into_make_service()).await;
    });
    domain
}

fn token_for(domain: &str) -> String {
    use crate::Clock as _;
    let now = crate::SystemClock.now();
    mint_with(
        rsa("tenant-1"),
        &json!({"alg": "RS256", "kid": "k1"}),
        &json!({"iss": format!("https://{domain}/"), "aud": AUD, "sub": "u", "iat": now, "exp": now + 600.0}),
    )
}

#[tokio::test]
async fn trusted_extra_ca_over_https() {
    let domain = https_tenant("https").await;
    let v = Verifier::new(VerifierOptions::new(domain.clone(), AUD).ca_pem(CA.to_vec())).unwrap();
    let c = v
        .verify_access_token(&token_for(&domain), &[])
        .await
        .unwrap();
    assert_eq!(c.sub(), Some("u"));
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/tests/certs/ca.pem");
    let v = Verifier::new(VerifierOptions::new(domain.clone(), AUD).ca_file(path)).unwrap();
    v.verify_access_token(&token_for(&domain), &[])
        .await
        .unwrap();
}

#[tokio::test]
async fn untrusted_certificate_fails_closed() {
    let domain = https_tenant("https").await;
    let v = Verifier::new(VerifierOptions::new(domain.clone(), AUD)).unwrap();
    let e = v
        .verify_access_token(&token_for(&domain), &[])
        .await
        .unwrap_err();
    assert_eq!(e, AuthError::KeysUnavailable);
}

#[tokio::test]
async fn plain_http_jwks_uri_is_refused() {
    let domain = https_tenant("http").await;
    let v = Verifier::new(VerifierOptions::new(domain.clone(), AUD).ca_pem(CA.to_vec())).unwrap();
    let e = v
        .verify_access_token(&token_for(&domain), &[])
        .await
        .unwrap_err();
    assert_eq!(e, AuthError::KeysUnavailable);
    assert_eq!(v.stats().jwks_fetches, 0);
}
