//! The token-exchange helpers against a mock tenant over HTTPS: each helper's request and
//! result, every input check (no network call), and every error branch (the endpoint's
//! refusals with their status, a 429 with Auth0's rate-limit headers, a dropped connection,
//! a timeout, a broken discovery document).

use std::time::Duration;

use mock_idp::exchange::{ActionDenial, ExchangeDecision};
use mock_idp::{Endpoint, Fault, MockTenant, config::TenantConfig};
use serde_json::{Value, json};

use super::support::tenant_clock;
use crate::exchange::{
    ConnectionTokenRequest, ExchangeError, ExchangeOptions, ProfileExchange, TokenExchangeClient,
    current_actor, delegation_chain,
};
use crate::{Verifier, VerifierOptions};

const UPSTREAM: &str = "https://upstream-api";
const NOW: i64 = 1_800_000_000;

/// The quickstart API (`flask-api-client` is its Custom API client) calling an upstream API.
const TENANT: &str = r#"
[[apis]]
identifier = "https://my-flask-api"
permissions = ["read:messages"]

[[apis]]
identifier = "https://upstream-api"
permissions = ["read:data", "write:data"]
token_lifetime = 600

[[applications]]
client_id = "flask-api-client"
client_secret = "flask-api-secret"
grant_types = [
  "client_credentials",
  "urn:ietf:params:oauth:grant-type:token-exchange",
  "urn:auth0:params:oauth:grant-type:token-exchange:federated-connection-access-token",
]
[applications.grants]
"https://my-flask-api" = ["read:messages"]
"https://upstream-api" = ["read:data"]

[custom_api_clients]
"https://my-flask-api" = "flask-api-client"

[[exchange_profiles]]
name = "legacy"
subject_token_type = "urn:legacy:token"
validation = "action"
action = "legacy"

[[token_vault]]
user = "auth0|alice"
connection = "google-oauth2"
access_token = "ya29.alice"
expires_in = 3599
"#;

fn tenant() -> MockTenant {
    let t = MockTenant::builder()
        .config(TenantConfig::parse(TENANT, "exchange.toml").unwrap())
        .exchange_action("legacy", |req| {
            match req.subject_token.strip_prefix("legacy:") {
                Some(u) => Ok(ExchangeDecision::user(format!("legacy|{u}"))
                    .claim("region", json!(req.params.get("region")))),
                None => Err(ActionDenial::InvalidSubjectToken(
                    "Not a legacy token".into(),
                )),
            }
        })
        .try_start()
        .expect("the tenant starts");
    t.clock().freeze_at(NOW);
    t
}

fn client_with(
    t: &MockTenant,
    f: impl FnOnce(ExchangeOptions) -> ExchangeOptions,
) -> TokenExchangeClient {
    let opts = ExchangeOptions::new(t.domain(), "flask-api-client", "flask-api-secret")
        .ca_pem(t.ca().pem().into_bytes())
        .clock(tenant_clock(t));
    TokenExchangeClient::new(f(opts)).unwrap()
}

fn client(t: &MockTenant) -> TokenExchangeClient {
    client_with(t, |o| o)
}

fn alice(t: &MockTenant) -> String {
    t.token().sub("auth0|alice").build()
}

/// The last token-endpoint request's form body.
fn last_form(t: &MockTenant) -> Vec<(String, String)> {
    let req = t
        .journal()
        .received_requests()
        .into_iter()
        .rfind(|r| r.path == "/oauth/token")
        .unwrap();
    url::form_urlencoded::parse(&req.body)
        .into_owned()
        .collect()
}

#[tokio::test]
async fn exchange_by_profile_posts_rfc8693_with_basic_auth_and_reads_the_token() {
    let t = tenant();
    let c = client(&t);
    let token = c
        .exchange_by_profile(
            ProfileExchange::new("legacy:bob", "urn:legacy:token")
                .audience(UPSTREAM)
                .scope("read:data")
                .extra("region", "eu"),
        )
        .await
        .unwrap();
    assert_eq!(token.expires_in, 600);
    assert_eq!(token.expires_at, NOW as u64 + 600);
    assert_eq!(token.scope.as_deref(), Some("read:data"));
    assert_eq!(token.token_type.as_deref(), Some("Bearer"));
    assert_eq!(
        token.issued_token_type.as_deref(),
        Some("urn:ietf:params:oauth:token-type:access_token")
    );
    assert_eq!(
        (token.id_token.clone(), token.refresh_token.clone()),
        (None, None)
    );
    let (_, claims) = {
        let d = mock_idp::jose::decode_unverified(&token.access_token).unwrap();
        (d.header, d.payload)
    };
    assert_eq!(claims["sub"], "legacy|bob");
    assert_eq!(claims["region"], "eu");
    assert_eq!(
        last_form(&t),
        [
            (
                "grant_type",
                "urn:ietf:params:oauth:grant-type:token-exchange"
            ),
            ("subject_token", "legacy:bob"),
            ("subject_token_type", "urn:legacy:token"),
            ("audience", UPSTREAM),
            ("scope", "read:data"),
            ("region", "eu"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
    );
    let req = t.journal().received_requests().pop().unwrap();
    assert_eq!(
        req.header("authorization"),
        Some("Basic Zmxhc2stYXBpLWNsaWVudDpmbGFzay1hcGktc2VjcmV0")
    );
    // The endpoint's refusal, with its status and texts.
    let e = c
        .exchange_by_profile(ProfileExchange::new("forged", "urn:legacy:token"))
        .await
        .unwrap_err();
    assert_eq!(
        (e.status(), e.code(), e.to_string().as_str()),
        (400, "invalid_request", "Not a legacy token")
    );
    // An `extra` array goes as repeated fields, which the tenant takes (first value in the
    // Action's view), as Auth0 takes them.
    let token = c
        .exchange_by_profile(
            ProfileExchange::new("legacy:bob", "urn:legacy:token")
                .extra_values("tags", ["a", "b"].map(String::from)),
        )
        .await
        .unwrap();
    assert!(!token.access_token.is_empty());
    assert_eq!(
        last_form(&t)[3..],
        [("tags", "a"), ("tags", "b")].map(|(k, v)| (k.to_owned(), v.to_owned()))
    );
    // Discovery ran once for all of it.
    assert_eq!(t.journal().discovery_fetches(), 1);
}

#[tokio::test]
async fn on_behalf_of_gets_a_token_the_upstream_api_verifies_with_the_actor() {
    let t = tenant();
    let token = client(&t)
        .on_behalf_of(&alice(&t), UPSTREAM, Some("read:data"))
        .await
        .unwrap();
    assert_eq!(token.scope.as_deref(), Some("read:data"));
    let f = last_form(&t);
    assert!(f.contains(&(
        "subject_token_type".into(),
        "urn:ietf:params:oauth:token-type:access_token".into()
    )));
    assert!(f.contains(&(
        "requested_token_type".into(),
        "urn:ietf:params:oauth:token-type:access_token".into()
    )));
    let upstream = Verifier::new(
        VerifierOptions::new(t.domain(), UPSTREAM)
            .ca_pem(t.ca().pem().into_bytes())
            .clock(tenant_clock(&t)),
    )
    .unwrap();
    let claims = upstream
        .verify_access_token(&token.access_token, &[])
        .await
        .unwrap();
    assert_eq!(claims.sub(), Some("auth0|alice"));
    assert_eq!(current_actor(&claims), Ok(Some("flask-api-client")));
    assert_eq!(delegation_chain(&claims), Ok(vec!["flask-api-client"]));

    // A token for another audience is the tenant's 403, relayed with its status.
    let other = t.token().sub("auth0|alice").audience(UPSTREAM).build();
    let e = client(&t)
        .on_behalf_of(&other, UPSTREAM, None)
        .await
        .unwrap_err();
    assert_eq!(e.status(), 403);
    assert_eq!(e.code(), "access_denied");
    let e = client(&t)
        .on_behalf_of(&alice(&t), "", None)
        .await
        .unwrap_err();
    assert!(
        matches!(e, ExchangeError::MissingArgument("audience")),
        "{e:?}"
    );
}

#[tokio::test]
async fn access_token_for_connection_reads_the_vault_and_relays_auth0s_401() {
    let t = tenant();
    let c = client(&t);
    let token = c
        .access_token_for_connection(ConnectionTokenRequest::new("google-oauth2", alice(&t)))
        .await
        .unwrap();
    assert_eq!(token.access_token, "ya29.alice");
    assert_eq!(token.expires_at, NOW as u64 + 3599);
    assert_eq!(token.scope.as_deref(), Some(""));
    assert_eq!(
        token.issued_token_type.as_deref(),
        Some("http://auth0.com/oauth/token-type/federated-connection-access-token")
    );
    let e = c
        .access_token_for_connection(
            ConnectionTokenRequest::new("github", alice(&t)).login_hint("work"),
        )
        .await
        .unwrap_err();
    assert_eq!(e.status(), 401);
    assert_eq!(e.code(), "federated_connection_refresh_token_not_found");
    assert_eq!(
        e.to_string(),
        "Federated connection Refresh Token not found."
    );
    assert!(last_form(&t).contains(&("login_hint".into(), "work".into())));
    for (req, arg) in [
        (ConnectionTokenRequest::new("", alice(&t)), "connection"),
        (ConnectionTokenRequest::new("github", ""), "access_token"),
    ] {
        let e = c.access_token_for_connection(req).await.unwrap_err();
        assert!(
            matches!(e, ExchangeError::MissingArgument(a) if a == arg),
            "{e:?}"
        );
    }
}

#[tokio::test]
async fn bad_input_is_refused_before_any_network_call() {
    let t = tenant();
    let c = client(&t);
    let cases: Vec<(ProfileExchange, &str)> = vec![
        (
            ProfileExchange::new("", "urn:legacy:token"),
            "Missing required argument: subject_token",
        ),
        (
            ProfileExchange::new("   ", "urn:legacy:token"),
            "subject_token cannot be blank or whitespace",
        ),
        (
            ProfileExchange::new(" legacy:bob", "urn:legacy:token"),
            "subject_token must not include leading or trailing whitespace",
        ),
        (
            ProfileExchange::new("BEARER legacy:bob", "urn:legacy:token"),
            "subject_token must not include the 'Bearer ' prefix (case-insensitive check)",
        ),
        (
            ProfileExchange::new("legacy:bob", ""),
            "Missing required argument: subject_token_type",
        ),
        (
            ProfileExchange::new("legacy:bob", "urn:legacy:token").extra("Grant_Type", "password"),
            "Parameter 'Grant_Type' is reserved and cannot be overridden",
        ),
        (
            ProfileExchange::new("legacy:bob", "urn:legacy:token")
                .extra_values("ids", (0..21).map(|i| i.to_string())),
            "Parameter 'ids' exceeds maximum array size of 20",
        ),
    ];
    for (req, want) in cases {
        let e = c.exchange_by_profile(req).await.unwrap_err();
        assert_eq!(e.to_string(), want);
        assert_eq!(e.status(), 400);
    }
    let e = c
        .on_behalf_of("Bearer abc", UPSTREAM, None)
        .await
        .unwrap_err();
    assert!(matches!(e, ExchangeError::BearerPrefix));
    let e = c
        .access_token_for_connection(ConnectionTokenRequest::new("github", "abc\n"))
        .await
        .unwrap_err();
    assert!(matches!(e, ExchangeError::SubjectTokenWhitespace));
    assert_eq!(
        (
            t.journal().discovery_fetches(),
            t.journal().token_requests()
        ),
        (0, 0)
    );
    // Without credentials there is no client at all.
    let e = TokenExchangeClient::new(ExchangeOptions::new(t.domain(), "flask-api-client", ""))
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "the token-exchange client needs a client_id and a client_secret"
    );
}

#[tokio::test]
async fn a_429_keeps_auth0s_rate_limit_advice() {
    let t = tenant();
    let c = client(&t);
    t.faults().fail_next(Endpoint::Token, 1, Fault::Status(429));
    let e = c
        .on_behalf_of(&alice(&t), UPSTREAM, None)
        .await
        .unwrap_err();
    assert_eq!((e.status(), e.code()), (429, "too_many_requests"));
    assert_eq!(e.retry_after(), Some(Duration::from_secs(2)));
    let rl = e.rate_limit().unwrap();
    assert_eq!((rl.limit, rl.remaining), (Some(30), Some(0)));
    assert!(rl.reset.is_some_and(|r| r >= NOW as u64));
    // The next call goes through.
    assert!(c.on_behalf_of(&alice(&t), UPSTREAM, None).await.is_ok());
}

#[tokio::test]
async fn transport_failures_are_502_and_504() {
    let t = tenant();
    let c = client_with(&t, |o| o.timeout(Duration::from_millis(300)));
    // Discovery first, so the faults below hit the token endpoint.
    c.on_behalf_of(&alice(&t), UPSTREAM, None).await.unwrap();
    t.faults()
        .fail_next(Endpoint::Token, 1, Fault::DropConnection);
    let e = c
        .on_behalf_of(&alice(&t), UPSTREAM, None)
        .await
        .unwrap_err();
    assert_eq!((e.status(), e.code()), (502, "network_error"), "{e:?}");
    t.faults()
        .fail_next(Endpoint::Token, 1, Fault::Delay(Duration::from_secs(2)));
    let e = c
        .on_behalf_of(&alice(&t), UPSTREAM, None)
        .await
        .unwrap_err();
    assert_eq!((e.status(), e.code()), (504, "timeout_error"), "{e:?}");
    // A non-JSON error page keeps the status and gets auth0-api-python's fallback texts.
    t.faults().fail_next(
        Endpoint::Token,
        1,
        Fault::Respond {
            status: 503,
            content_type: "text/html".into(),
            body: "<h1>down</h1>".into(),
        },
    );
    let e = c
        .exchange_by_profile(
            ProfileExchange::new("legacy:bob", "urn:legacy:token").audience(UPSTREAM),
        )
        .await
        .unwrap_err();
    assert_eq!((e.status(), e.code()), (503, "token_exchange_error"));
    assert_eq!(
        e.to_string(),
        format!("Failed to exchange token of type 'urn:legacy:token' for audience '{UPSTREAM}'")
    );
    t.faults().fail_next(
        Endpoint::Token,
        1,
        Fault::Respond {
            status: 500,
            content_type: "text/plain".into(),
            body: "oops".into(),
        },
    );
    let e = c
        .access_token_for_connection(ConnectionTokenRequest::new("google-oauth2", alice(&t)))
        .await
        .unwrap_err();
    assert_eq!((e.status(), e.code()), (500, "connection_token_error"));
    assert_eq!(e.to_string(), "Failed to get token for connection: 500");
    // A 200 that is not a token.
    t.faults()
        .fail_next(Endpoint::Token, 1, Fault::MalformedBody);
    let e = c
        .on_behalf_of(&alice(&t), UPSTREAM, None)
        .await
        .unwrap_err();
    assert_eq!((e.status(), e.code()), (502, "invalid_response"));
    // The tenant down: 502, nothing cached from the failure.
    let t2 = tenant();
    let c2 = client(&t2);
    t2.faults()
        .fail_next(Endpoint::Discovery, 1, Fault::DropConnection);
    let e = c2
        .on_behalf_of(&alice(&t2), UPSTREAM, None)
        .await
        .unwrap_err();
    assert_eq!(e.status(), 502);
    assert!(c2.on_behalf_of(&alice(&t2), UPSTREAM, None).await.is_ok());
}

#[tokio::test]
async fn a_discovery_document_of_another_issuer_is_not_trusted() {
    let t = tenant();
    let mut doc: Value = t.overrides().original_discovery();
    doc["issuer"] = json!("https://evil.example/");
    let _guard = t.overrides().discovery(doc.clone());
    let e = client(&t)
        .on_behalf_of(&alice(&t), UPSTREAM, None)
        .await
        .unwrap_err();
    assert_eq!((e.status(), e.code()), (502, "discovery_error"));
    doc["issuer"] = json!(t.issuer());
    doc["token_endpoint"] = json!(format!("http://{}/oauth/token", t.domain()));
    let _guard = t.overrides().discovery(doc);
    let e = client(&t)
        .on_behalf_of(&alice(&t), UPSTREAM, None)
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "Token endpoint missing in OIDC metadata: no https token_endpoint"
    );
    assert_eq!(t.journal().token_requests(), 0);
}

/// L5: a discovery document (served by a proxy, a CDN, or overridden) that names a token
/// endpoint on another host. The client must not send its secret or the caller's token there.
#[tokio::test]
async fn a_token_endpoint_on_another_host_receives_nothing() {
    let t = tenant();
    // The attacker's HTTPS server, with a certificate the client trusts (its CA is in the
    // client's extra CA bundle): nothing but the origin check stops the request.
    let foreign = tenant();
    let mut doc: Value = t.overrides().original_discovery();
    doc["token_endpoint"] = json!(format!("{}oauth/token", foreign.issuer()));
    let _guard = t.overrides().discovery(doc);
    let both_cas = format!("{}{}", t.ca().pem(), foreign.ca().pem()).into_bytes();
    let c = client_with(&t, |o| o.ca_pem(both_cas));
    let seen_before = foreign.journal().received_requests().len();
    let e = c
        .on_behalf_of(&alice(&t), UPSTREAM, None)
        .await
        .unwrap_err();
    assert_eq!((e.status(), e.code()), (502, "discovery_error"));
    assert_eq!(
        e.to_string(),
        "Token endpoint missing in OIDC metadata: token_endpoint is not on the tenant's domain"
    );
    let e = c
        .access_token_for_connection(ConnectionTokenRequest::new("google-oauth2", alice(&t)))
        .await
        .unwrap_err();
    assert_eq!((e.status(), e.code()), (502, "discovery_error"));
    assert_eq!(foreign.journal().received_requests().len(), seen_before);
    assert_eq!(foreign.journal().token_requests(), 0);
    assert_eq!(t.journal().token_requests(), 0);
}
