//! Common Issue "issuer mismatch": `AUTH0_DOMAIN` and the token's `iss` do not agree.
//!
//! The API trusts exactly `https://{AUTH0_DOMAIN}/`. The usual copy-paste extras in
//! `AUTH0_DOMAIN` (`https://`, a trailing slash, upper case) are normalised at start-up with a
//! warning; a token whose `iss` is spelled any other way, or comes from another tenant, is
//! refused before any network call; and the tenant's discovery document must name the same
//! issuer.

use std::collections::BTreeMap;

use mock_idp::MockTenant;
use oauth2_jwt_bearer::{Verifier, VerifierOptions};
use protected_api::config::{Settings, Sources};
use serde_json::json;

use crate::support::*;

/// The API as the `protected-api` binary builds it from its settings.
struct FromSettings {
    api: Api,
    warnings: Vec<String>,
    _dir: TempDir,
}

async fn api_from_settings(tenant: &MockTenant, auth0_domain: &str) -> FromSettings {
    let dir = TempDir::new();
    let ca_file = dir.write("mock-idp-ca.pem", &tenant.ca_pem());
    let vars = BTreeMap::from([
        ("AUTH0_DOMAIN".to_owned(), auth0_domain.to_owned()),
        ("AUTH0_AUDIENCE".to_owned(), tenant.audience()),
        ("AUTH0_CA_FILE".to_owned(), ca_file.display().to_string()),
    ]);
    let (settings, warnings) =
        Settings::from_vars(&vars, Sources { dotenv: None }).expect("usable settings");
    assert_eq!(settings.domain, tenant.domain(), "normalised AUTH0_DOMAIN");
    let options = VerifierOptions::try_from(&settings).expect("the CA file reads");
    let verifier = Verifier::new(options).expect("valid options");
    FromSettings {
        api: Listener::bind().await.serve(verifier),
        warnings,
        _dir: dir,
    }
}

/// Starts the API from settings with `AUTH0_DOMAIN=auth0_domain`, checks its start-up
/// `warnings`, and checks that it accepts a token from `tenant`.
async fn assert_starts_with_warnings_and_accepts(
    tenant: &MockTenant,
    auth0_domain: &str,
    warnings: &[String],
) {
    let started = api_from_settings(tenant, auth0_domain).await;
    assert_eq!(
        started.warnings, warnings,
        "start-up warnings for AUTH0_DOMAIN={auth0_domain:?}"
    );
    let token = tenant.token().build();
    let reply = started
        .api
        .get("/api/private")
        .bearer_auth(&token)
        .reply()
        .await;
    assert_eq!(
        reply.status, 200,
        "a tenant token with AUTH0_DOMAIN={auth0_domain:?}: expected 200, got {reply:#?}"
    );
}

#[tokio::test]
async fn the_domain_as_the_dashboard_shows_it() {
    let tenant = MockTenant::start().await;
    assert_starts_with_warnings_and_accepts(&tenant, tenant.domain(), &[]).await;
}

#[tokio::test]
async fn a_domain_with_https_is_normalised_with_a_warning() {
    let tenant = MockTenant::start().await;
    let domain = tenant.domain();
    for (given, warning) in [
        (
            format!("https://{domain}"),
            format!(
                "AUTH0_DOMAIN=\"https://{domain}\" includes https://; using \"{domain}\" (give the domain only)"
            ),
        ),
        (
            format!("HTTPS://{domain}/"),
            format!(
                "AUTH0_DOMAIN=\"HTTPS://{domain}/\" includes https://; using \"{domain}\" (give the domain only)"
            ),
        ),
    ] {
        assert_starts_with_warnings_and_accepts(&tenant, &given, &[warning]).await;
    }
}

#[tokio::test]
async fn a_domain_with_a_trailing_slash_is_normalised_with_a_warning() {
    let tenant = MockTenant::start().await;
    let domain = tenant.domain();
    assert_starts_with_warnings_and_accepts(
        &tenant,
        &format!("{domain}/"),
        &[format!(
            "AUTH0_DOMAIN=\"{domain}/\" has a trailing slash; using \"{domain}\""
        )],
    )
    .await;
}

#[test]
fn a_domain_in_upper_case_is_lower_cased_with_a_warning() {
    // Host names are case-insensitive; the issuer Auth0 writes is lower case. (Shown on the
    // settings alone: the loopback tenant's host, 127.0.0.1, has no letters.)
    let vars = BTreeMap::from([
        ("AUTH0_DOMAIN".to_owned(), "Tenant.US.Auth0.com".to_owned()),
        (
            "AUTH0_AUDIENCE".to_owned(),
            "https://my-flask-api".to_owned(),
        ),
    ]);
    let (settings, warnings) = Settings::from_vars(&vars, Sources { dotenv: None }).unwrap();
    assert_eq!(settings.domain, "tenant.us.auth0.com");
    assert_eq!(
        warnings,
        [
            "AUTH0_DOMAIN=\"Tenant.US.Auth0.com\" has upper-case letters; host names are \
             case-insensitive, using \"tenant.us.auth0.com\""
        ]
    );
}

#[test]
fn a_domain_with_http_is_refused_at_start_up() {
    let vars = BTreeMap::from([
        (
            "AUTH0_DOMAIN".to_owned(),
            "http://tenant.us.auth0.com".to_owned(),
        ),
        (
            "AUTH0_AUDIENCE".to_owned(),
            "https://my-flask-api".to_owned(),
        ),
    ]);
    let error = Settings::from_vars(&vars, Sources { dotenv: None }).unwrap_err();
    assert_eq!(
        error.to_string(),
        "AUTH0_DOMAIN=\"http://tenant.us.auth0.com\" is invalid: Auth0 tenants are served over \
         https; give the domain only, e.g. your-tenant.us.auth0.com"
    );
}

#[tokio::test]
async fn a_token_iss_spelled_otherwise_is_refused_before_any_fetch() {
    let stack = Stack::start().await;
    let domain = stack.tenant.domain();
    for iss in [
        format!("https://{domain}"),
        format!("http://{domain}/"),
        format!("https://{domain}//"),
        format!("HTTPS://{domain}/"),
        domain.to_owned(),
    ] {
        let token = stack.tenant.token().issuer(&iss).build();
        let reply = stack.get("/api/private").bearer_auth(&token).reply().await;
        reply.assert_invalid_token("Invalid token");
    }
    assert_eq!(stack.tenant.discovery_fetches(), 0);
    assert_eq!(stack.tenant.jwks_fetches(), 0);
}

#[tokio::test]
async fn a_token_from_another_tenant_is_refused_before_any_fetch() {
    let stack = Stack::start().await;
    let foreign = MockTenant::start().await;
    let token = foreign.token().build();
    assert_eq!(token.split('.').count(), 3);
    let reply = stack.get("/api/private").bearer_auth(&token).reply().await;
    reply.assert_invalid_token("Invalid token");
    assert_eq!(foreign.discovery_fetches(), 0);
    assert_eq!(stack.tenant.discovery_fetches(), 0);
}

#[tokio::test]
async fn a_discovery_document_naming_another_issuer_is_not_trusted() {
    let stack = Stack::start().await;
    let mut doc = stack.tenant.discovery();
    doc["issuer"] = json!(format!("https://{}", stack.tenant.domain()));
    stack.tenant.set_discovery_override(doc);
    let token = stack.tenant.token().build();
    // No keys can be trusted from that document: fail closed.
    let reply = stack.get("/api/private").bearer_auth(&token).reply().await;
    reply.assert_invalid_token("Unable to obtain the signing keys");
    assert_eq!(stack.tenant.jwks_fetches(), 0);
}
