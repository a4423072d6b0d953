//! Multiple custom domains end to end: `AUTH0_DOMAINS` lists two domains of one tenant; a
//! token of each is accepted, and a token naming any other issuer is refused before the
//! verifier makes a single network call.

use std::collections::BTreeMap;

use mock_idp::MockTenant;
use oauth2_jwt_bearer::{Verifier, VerifierOptions};
use protected_api::config::{Settings, Sources};

use crate::support::{Listener, SendExt, TempDir};

#[tokio::test]
async fn tokens_of_each_listed_domain_pass_and_an_unlisted_issuer_costs_no_fetch() {
    let tenant = MockTenant::builder()
        .custom_domain("localhost")
        .start()
        .await;
    let other = MockTenant::start().await;
    let [primary, custom] = [tenant.domains()[0].clone(), tenant.domains()[1].clone()];
    assert!(custom.starts_with("localhost:"));
    let dir = TempDir::new();
    let ca = dir.write("ca.pem", &tenant.ca_pem());
    let vars = BTreeMap::from([
        (
            "AUTH0_DOMAINS".to_owned(),
            format!("{primary}, https://{custom}/"),
        ),
        ("AUTH0_AUDIENCE".to_owned(), tenant.audience()),
        ("AUTH0_CA_FILE".to_owned(), ca.display().to_string()),
    ]);
    let (settings, warnings) = Settings::from_vars(&vars, Sources { dotenv: None }).unwrap();
    assert_eq!(settings.domains, [primary.clone(), custom.clone()]);
    assert_eq!(settings.domain, primary);
    assert_eq!(
        warnings.len(),
        1,
        "the https:// and slash are normalised: {warnings:?}"
    );
    let verifier = Verifier::new(VerifierOptions::try_from(&settings).unwrap()).unwrap();
    let api = Listener::bind().await.serve(verifier);

    // A token the tenant issued on its custom domain (requested there: iss follows the Host).
    let issued: serde_json::Value = tenant
        .http_client()
        .post(format!("https://{custom}/oauth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", tenant.client_id().as_str()),
            ("client_secret", tenant.client_secret().as_str()),
            ("audience", tenant.audience().as_str()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let on_custom = issued["access_token"].as_str().unwrap().to_owned();
    let on_primary = tenant.token().build();
    for token in [&on_primary, &on_custom] {
        let reply = api.get("/api/private").bearer_auth(token).reply().await;
        assert_eq!(reply.status, 200, "{reply:#?}");
    }
    // One discovery and one JWKS fetch per domain.
    assert_eq!((tenant.discovery_fetches(), tenant.jwks_fetches()), (2, 2));

    // Another tenant's token, and a token of this tenant naming an unlisted issuer: refused,
    // and nobody is asked for keys.
    let foreign = other.token().build();
    let unlisted = tenant.token().issuer("https://unlisted.example/").build();
    for token in [&foreign, &unlisted] {
        let reply = api.get("/api/private").bearer_auth(token).reply().await;
        reply.assert_invalid_token("Invalid token");
    }
    assert_eq!((tenant.discovery_fetches(), tenant.jwks_fetches()), (2, 2));
    assert_eq!((other.discovery_fetches(), other.jwks_fetches()), (0, 0));
    assert!(
        other.received_requests().is_empty(),
        "the other tenant was never contacted"
    );
}
