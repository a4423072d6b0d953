//! APIs Auth0 signs with RS512, PS256 or HS256, seen from the API over HTTPS: the tenant's
//! tokens for each verify when the verifier is configured for that algorithm (HS256 with the
//! API's signing secret), and every alg-confusion attempt gets the same 401 as any other
//! wrong algorithm, before the JWKS is fetched.

use mock_idp::config::{ApiConfig, ApplicationConfig, TenantConfig};
use mock_idp::{MockTenant, Signing};
use oauth2_jwt_bearer::{Algorithm, ConfigError, Verifier, VerifierOptions};

use crate::support::{Api, Listener, SendExt, options_for_audience};

const RS512_API: &str = "https://rs512.example";
const PS256_API: &str = "https://ps256.example";
const HS256_API: &str = "https://hs256.example";
const SECRET: &str = "the-hs256-api-signing-secret-32b";
const M2M: &str = "algs-m2m";
const M2M_SECRET: &str = "algs-m2m-secret";

/// The quickstart tenant plus an RS512, a PS256 and an HS256 API, and a machine application
/// granted each.
async fn tenant() -> MockTenant {
    let mut c = TenantConfig::default();
    for (id, alg) in [
        (RS512_API, "RS512"),
        (PS256_API, "PS256"),
        (HS256_API, "HS256"),
    ] {
        c.apis.push(ApiConfig {
            signing_alg: alg.into(),
            signing_secret: (alg == "HS256").then(|| SECRET.into()),
            permissions: vec!["read:messages".into()],
            ..ApiConfig::new(id)
        });
    }
    c.applications.push(ApplicationConfig {
        grants: [RS512_API, PS256_API, HS256_API]
            .map(|a| (a.to_owned(), vec!["read:messages".to_owned()]))
            .into(),
        ..ApplicationConfig::machine(M2M, M2M_SECRET)
    });
    MockTenant::builder().config(c).start().await
}

/// A client-credentials token for `audience`, from the token endpoint.
async fn token_for(tenant: &MockTenant, audience: &str) -> String {
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", M2M),
        ("client_secret", M2M_SECRET),
        ("audience", audience),
    ];
    let res = tenant
        .http_client()
        .post(tenant.urls().token())
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

/// The API protecting `audience`, its verifier options adjusted by `configure`.
async fn api(
    tenant: &MockTenant,
    audience: &str,
    configure: impl FnOnce(VerifierOptions) -> VerifierOptions,
) -> Api {
    let options = configure(options_for_audience(tenant, audience));
    Listener::bind()
        .await
        .serve(Verifier::new(options).expect("valid options"))
}

#[tokio::test]
async fn rs512_and_ps256_tokens_verify_where_the_api_allows_that_algorithm() {
    let tenant = tenant().await;
    for (aud, alg) in [(RS512_API, Algorithm::RS512), (PS256_API, Algorithm::PS256)] {
        let token = token_for(&tenant, aud).await;
        let allowed = api(&tenant, aud, |o| o.allowed_algorithms(vec![alg])).await;
        let private = |api: &Api| api.get("/api/private").bearer_auth(&token).reply();
        private(&allowed).await.assert_ok();
        // The default policy (RS256 only) refuses it.
        let default = api(&tenant, aud, |o| o).await;
        private(&default)
            .await
            .assert_invalid_token("Invalid token");
    }
}

#[tokio::test]
async fn an_hs256_api_verifies_with_its_secret_and_refuses_rs256_unless_allowed() {
    let tenant = tenant().await;
    let hs = api(&tenant, HS256_API, |o| o.signing_secret(SECRET)).await;
    let token = token_for(&tenant, HS256_API).await;
    let private = |api: &Api, t: &str| api.get("/api/private").bearer_auth(t.to_owned()).reply();
    private(&hs, &token).await.assert_ok();
    // An RS256 token with the right audience, signed by the tenant's published key.
    let rs256 = tenant.token().audience(HS256_API).build();
    private(&hs, &rs256)
        .await
        .assert_invalid_token("Invalid token");
    let both = api(&tenant, HS256_API, |o| {
        o.signing_secret(SECRET)
            .allowed_algorithms(vec![Algorithm::HS256, Algorithm::RS256])
    })
    .await;
    private(&both, &rs256).await.assert_ok();
    private(&both, &token).await.assert_ok();
}

/// An attacker who knows the tenant's public key, guesses secrets or strips the signature,
/// against an API configured for HS256 and against one that is not.
#[tokio::test]
async fn forged_hs_tokens_get_the_wrong_algorithm_answer_before_any_key_is_fetched() {
    let tenant = tenant().await;
    let pem = tenant.keys().current().public_key_pem();
    let forge = |alg: &str, secret: &[u8]| {
        tenant
            .token()
            .audience(HS256_API)
            .remove_header("kid")
            .alg(alg)
            .signed_with(Signing::Hmac(secret.to_vec()))
            .build()
    };
    let forged = [
        forge("HS256", pem.as_bytes()),
        forge("HS256", b""),
        forge("HS256", b"secret"),
        forge("HS256", b"the-hs256-api-signing-secret-32c"),
        // The right secret under an algorithm the API was not configured for.
        forge("HS384", SECRET.as_bytes()),
        forge("HS512", SECRET.as_bytes()),
        tenant
            .token()
            .audience(HS256_API)
            .signed_with(Signing::None)
            .build(),
    ];
    let hs = api(&tenant, HS256_API, |o| o.signing_secret(SECRET)).await;
    let rs = api(&tenant, HS256_API, |o| o).await;
    for api in [&hs, &rs] {
        for token in &forged {
            api.get("/api/private")
                .bearer_auth(token)
                .reply()
                .await
                .assert_invalid_token("Invalid token");
        }
    }
    // Even the genuine HS256 token is refused by an API not configured for HS256.
    let genuine = token_for(&tenant, HS256_API).await;
    rs.get("/api/private")
        .bearer_auth(&genuine)
        .reply()
        .await
        .assert_invalid_token("Invalid token");
    assert_eq!(tenant.journal().jwks_fetches(), 0);
}

#[test]
fn the_secret_and_hs256_go_together() {
    let opts = || VerifierOptions::new("tenant.example", "https://api");
    let err = |o: VerifierOptions| Verifier::new(o).unwrap_err();
    assert!(matches!(
        err(opts().allowed_algorithms(vec![Algorithm::HS256])),
        ConfigError::MissingSigningSecret
    ));
    assert!(matches!(
        err(opts()
            .signing_secret(SECRET)
            .allowed_algorithms(vec![Algorithm::RS256])),
        ConfigError::UnusedSigningSecret
    ));
    let short = err(opts().signing_secret("fifteen-bytes!!"));
    assert_eq!(
        short.to_string(),
        "signing_secret must be at least 16 bytes (Auth0's minimum)"
    );
    assert!(Verifier::new(opts().signing_secret("sixteen-bytes!!!")).is_ok());
}
