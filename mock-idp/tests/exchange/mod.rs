//! Token exchange (On-Behalf-Of, Custom Token Exchange profiles), Token Vault, Organizations
//! and custom domains, over HTTPS, with Auth0's error shapes for every refusal.

use mock_idp::exchange::{ActionDenial, ExchangeDecision};
use mock_idp::{MockTenant, Signing, SigningKey, TenantBuilder, config::TenantConfig};
use serde_json::{Value, json};

use crate::support::{fetch_jwks, parts, post_token, verify};

const FLASK: &str = "https://my-flask-api";
const UPSTREAM: &str = "https://upstream-api";
const AT: &str = "urn:ietf:params:oauth:token-type:access_token";
const TE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const FC: &str =
    "urn:auth0:params:oauth:grant-type:token-exchange:federated-connection-access-token";
const FC_TYPE: &str = "http://auth0.com/oauth/token-type/federated-connection-access-token";

fn config(extra: &str) -> TenantConfig {
    let text = format!(
        "{}\n{extra}",
        include_str!("../../fixtures/tenant.exchange.toml")
    );
    TenantConfig::parse(&text, "tenant.exchange.toml").unwrap()
}

fn builder(extra: &str) -> TenantBuilder {
    MockTenant::builder().config(config(extra))
}

/// A user's access token for the quickstart API.
fn alice(tenant: &MockTenant) -> String {
    tenant
        .token()
        .sub("auth0|alice")
        .scope("read:messages")
        .build()
}

fn obo<'a>(subject: &'a str, audience: &'a str) -> Vec<(&'static str, &'a str)> {
    vec![
        ("grant_type", TE),
        ("client_id", "flask-api-client"),
        ("client_secret", "flask-api-secret"),
        ("subject_token", subject),
        ("subject_token_type", AT),
        ("requested_token_type", AT),
        ("audience", audience),
    ]
}

fn assert_error(got: (u16, Value), status: u16, code: &str, description: &str) {
    assert_eq!(got.0, status, "{}", got.1);
    assert_eq!(
        got.1,
        json!({"error": code, "error_description": description})
    );
}

#[tokio::test]
async fn on_behalf_of_keeps_the_user_and_records_the_api_as_actor() {
    let tenant = builder("").start().await;
    let subject = alice(&tenant);
    let (status, body) = post_token(&tenant, &obo(&subject, UPSTREAM), &[]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["issued_token_type"], AT);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], "read:data");
    assert_eq!(body["expires_in"], 86400);
    let jwks = fetch_jwks(&tenant).await;
    let claims = verify(
        body["access_token"].as_str().unwrap(),
        &jwks,
        tenant.issuer(),
        UPSTREAM,
    )
    .unwrap();
    assert_eq!(claims["sub"], "auth0|alice");
    assert_eq!(claims["azp"], "flask-api-client");
    assert_eq!(claims["act"], json!({"sub": "flask-api-client"}));
    assert!(claims.get("gty").is_none(), "{claims}");

    // A scope outside the client grant is Auth0's 403.
    let mut form = obo(&subject, UPSTREAM);
    form.push(("scope", "write:data"));
    assert_error(
        post_token(&tenant, &form, &[]).await,
        403,
        "access_denied",
        "Client has not been granted scopes: write:data",
    );
}

#[tokio::test]
async fn on_behalf_of_nests_earlier_actors_up_to_a_depth_of_four() {
    let tenant = builder("").start().await;
    let chain = |depth: usize| {
        let mut act = Value::Null;
        for i in (0..depth).rev() {
            let mut a = json!({ "sub": format!("agent-{i}") });
            if !act.is_null() {
                a["act"] = act;
            }
            act = a;
        }
        act
    };
    let three = tenant
        .token()
        .sub("auth0|alice")
        .claim("act", chain(3))
        .build();
    let (status, body) = post_token(&tenant, &obo(&three, UPSTREAM), &[]).await;
    assert_eq!(status, 200, "{body}");
    let (_, claims) = parts(body["access_token"].as_str().unwrap());
    assert_eq!(claims["act"]["sub"], "flask-api-client");
    assert_eq!(claims["act"]["act"]["sub"], "agent-0");
    assert_eq!(claims["act"]["act"]["act"]["act"]["sub"], "agent-2");

    let four = tenant
        .token()
        .sub("auth0|alice")
        .claim("act", chain(4))
        .build();
    assert_error(
        post_token(&tenant, &obo(&four, UPSTREAM), &[]).await,
        400,
        "invalid_request",
        "Delegation chain (`act` claim) depth exceeds the maximum allowed limit of 4",
    );
}

#[tokio::test]
async fn on_behalf_of_refuses_forged_foreign_expired_and_machine_subject_tokens() {
    let tenant = builder("").start().await;
    let other = MockTenant::builder()
        .keys(mock_idp::KeyRing::new(SigningKey::fixture(2), vec![]))
        .start()
        .await;
    let tenant_ref = &tenant;
    let invalid = |t: String| async move {
        assert_error(
            post_token(tenant_ref, &obo(&t, UPSTREAM), &[]).await,
            400,
            "invalid_request",
            "Invalid subject_token",
        );
    };
    // Signed by a key the tenant does not publish, under the tenant's kid.
    invalid(
        tenant
            .token()
            .sub("auth0|alice")
            .signed_with(Signing::Unpublished(SigningKey::attacker()))
            .build(),
    )
    .await;
    // A token of another tenant (its own key and issuer), and one claiming our issuer.
    invalid(other.token().sub("auth0|alice").build()).await;
    invalid(
        other
            .token()
            .sub("auth0|alice")
            .issuer(tenant.issuer())
            .build(),
    )
    .await;
    invalid(tenant.token().sub("auth0|alice").expires_in(-1).build()).await;
    invalid(
        tenant
            .token()
            .sub("auth0|alice")
            .signed_with(Signing::None)
            .build(),
    )
    .await;
    invalid(
        tenant
            .token()
            .sub("auth0|alice")
            .signed_with(Signing::HmacWithPublicKey)
            .build(),
    )
    .await;
    invalid("not-a-jwt".into()).await;
    invalid("a.b.c".repeat(10_000)).await;
    // A machine token has no user to act for.
    let m2m = tenant.token().build();
    assert_error(
        post_token(&tenant, &obo(&m2m, UPSTREAM), &[]).await,
        400,
        "invalid_request",
        "The subject_token does not represent a user",
    );
}

#[tokio::test]
async fn on_behalf_of_is_only_for_the_subject_apis_confidential_client() {
    let tenant = builder("").start().await;
    // A token for another audience: flask-api-client does not act for upstream-api.
    let for_upstream = tenant.token().sub("auth0|alice").audience(UPSTREAM).build();
    assert_error(
        post_token(&tenant, &obo(&for_upstream, UPSTREAM), &[]).await,
        403,
        "access_denied",
        "The subject_token was not issued for an API this client acts for",
    );
    // Another confidential client (allowed the grant) presenting a user's token for the
    // flask API: only the flask API's own client acts for its callers.
    let subject = alice(&tenant);
    let mut form = obo(&subject, FLASK);
    form[1] = ("client_id", "mock-test-client");
    form[2] = ("client_secret", "mock-test-secret");
    assert_error(
        post_token(&tenant, &form, &[]).await,
        403,
        "access_denied",
        "The subject_token was not issued for an API this client acts for",
    );
    // A public client allowed the grant still cannot act on behalf of anyone.
    let form = vec![
        ("grant_type", TE),
        ("client_id", "spa-client"),
        ("subject_token", subject.as_str()),
        ("subject_token_type", AT),
        ("requested_token_type", AT),
        ("audience", UPSTREAM),
    ];
    assert_error(
        post_token(&tenant, &form, &[]).await,
        403,
        "unauthorized_client",
        &format!("Grant type '{TE}' not allowed for the client."),
    );
    // An audience the client has no grant for, and one that does not exist.
    assert_error(
        post_token(&tenant, &obo(&subject, FLASK), &[]).await,
        403,
        "access_denied",
        &format!(
            "Client is not authorized to access \"{FLASK}\". You need to create a \"client-grant\" associated to this API. See: https://auth0.com/docs/api/v2#!/Client_Grants/post_client_grants"
        ),
    );
    assert_error(
        post_token(&tenant, &obo(&subject, "https://nope"), &[]).await,
        403,
        "access_denied",
        "Service not enabled within domain: https://nope",
    );
}

#[tokio::test]
async fn malformed_exchange_requests_get_auth0s_400s() {
    let tenant = builder("").start().await;
    let subject = alice(&tenant);
    let base = obo(&subject, UPSTREAM);
    let without = |name: &str| -> Vec<(&'static str, &str)> {
        base.iter().copied().filter(|(k, _)| *k != name).collect()
    };
    for missing in ["subject_token", "subject_token_type", "audience"] {
        assert_error(
            post_token(&tenant, &without(missing), &[]).await,
            400,
            "invalid_request",
            &format!("Missing required parameter: {missing}"),
        );
    }
    let pair = "Invalid subject_token_type and requested_token_type combination.";
    assert_error(
        post_token(&tenant, &without("requested_token_type"), &[]).await,
        400,
        "invalid_request",
        pair,
    );
    let mut form = base.clone();
    form[4] = (
        "subject_token_type",
        "urn:ietf:params:oauth:token-type:id_token",
    );
    assert_error(
        post_token(&tenant, &form, &[]).await,
        400,
        "invalid_request",
        pair,
    );
    let mut form = base.clone();
    form[4] = ("subject_token_type", "urn:example:unknown");
    form.retain(|(k, _)| *k != "requested_token_type");
    assert_error(
        post_token(&tenant, &form, &[]).await,
        400,
        "invalid_request",
        "No Token Exchange Profile matches the subject_token_type",
    );
    let mut form = base.clone();
    form.push(("actor_token", "x"));
    assert_error(
        post_token(&tenant, &form, &[]).await,
        400,
        "invalid_request",
        "actor_token and actor_token_type must be sent together",
    );
    // Wrong secret: Auth0's 401 whatever the grant.
    let mut form = base.clone();
    form[2] = ("client_secret", "wrong");
    assert_error(
        post_token(&tenant, &form, &[]).await,
        401,
        "access_denied",
        "Unauthorized",
    );
}

#[tokio::test]
async fn exchange_profiles_check_the_subject_token_as_configured() {
    // Another issuer (plain HTTP, its own key) whose tokens a `jwks` profile accepts.
    let idp = MockTenant::builder()
        .http()
        .keys(mock_idp::KeyRing::new(SigningKey::fixture(3), vec![]))
        .start()
        .await;
    let extra = format!(
        r#"
[[exchange_profiles]]
name = "partner-idp"
subject_token_type = "urn:partner:id-token"
validation = "jwks"
issuer = "{iss}"
jwks_uri = "{uri}/.well-known/jwks.json"
audience = "https://my-flask-api"

[[exchange_profiles]]
name = "legacy"
subject_token_type = "https://legacy.example/token"
validation = "action"
action = "legacy-sso"

[[exchange_profiles]]
name = "unregistered"
subject_token_type = "urn:nobody:token"
validation = "action"
action = "missing"
"#,
        iss = idp.issuer(),
        uri = idp.uri(),
    );
    let tenant = builder(&extra)
        .exchange_action("legacy-sso", |req| {
            if req.params.contains_key("deny") {
                return Err(ActionDenial::Deny {
                    code: "access_denied".into(),
                    reason: "Legacy accounts are closed".into(),
                });
            }
            match req.subject_token.strip_prefix("legacy:") {
                Some(u) => Ok(ExchangeDecision::user(format!("legacy|{u}"))
                    .claim("https://example.com/tier", json!("gold"))
                    .claim("sub", json!("ignored"))),
                None => Err(ActionDenial::InvalidSubjectToken(
                    "Not a legacy token".into(),
                )),
            }
        })
        .start()
        .await;
    let exchange = |token: String, ty: &'static str, extra: Vec<(&'static str, &'static str)>| {
        let t = &tenant;
        async move {
            let mut form = vec![
                ("grant_type", TE),
                ("client_id", "mock-test-client"),
                ("client_secret", "mock-test-secret"),
                ("subject_token", token.as_str()),
                ("subject_token_type", ty),
            ];
            form.extend(extra);
            post_token(t, &form, &[]).await
        }
    };
    let jwks = fetch_jwks(&tenant).await;

    // This tenant's own token (profile `tenant`).
    let (s, body) = exchange(
        alice(&tenant),
        "urn:mock-idp:tenant-access-token",
        vec![("scope", "read:messages nope")],
    )
    .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["scope"], "read:messages");
    let c = verify(
        body["access_token"].as_str().unwrap(),
        &jwks,
        tenant.issuer(),
        FLASK,
    )
    .unwrap();
    assert_eq!(c["sub"], "auth0|alice");

    // The partner's token, checked against the partner's JWKS.
    let partner = idp.token().sub("partner|bob").build();
    let (s, body) = exchange(
        partner,
        "urn:partner:id-token",
        vec![("audience", UPSTREAM)],
    )
    .await;
    assert_eq!(s, 200, "{body}");
    let c = verify(
        body["access_token"].as_str().unwrap(),
        &jwks,
        tenant.issuer(),
        UPSTREAM,
    )
    .unwrap();
    assert_eq!(c["sub"], "partner|bob");
    assert_eq!(c["azp"], "mock-test-client");
    // Our own token presented as the partner's, a partner token for another audience, and a
    // forged one: all refused.
    for bad in [
        alice(&tenant),
        idp.token().sub("partner|bob").audience(UPSTREAM).build(),
        idp.token()
            .sub("partner|bob")
            .signed_with(Signing::Unpublished(SigningKey::attacker()))
            .build(),
    ] {
        assert_error(
            exchange(bad, "urn:partner:id-token", vec![]).await,
            400,
            "invalid_request",
            "Invalid subject_token",
        );
    }

    // The action decides: a user plus a custom claim (protected claims ignored), a rejection,
    // a denial with its own code, and a profile whose action nobody registered.
    let (s, body) = exchange(
        "legacy:carol".into(),
        "https://legacy.example/token",
        vec![],
    )
    .await;
    assert_eq!(s, 200, "{body}");
    let c = verify(
        body["access_token"].as_str().unwrap(),
        &jwks,
        tenant.issuer(),
        FLASK,
    )
    .unwrap();
    assert_eq!(c["sub"], "legacy|carol");
    assert_eq!(c["https://example.com/tier"], "gold");
    assert_error(
        exchange("forged".into(), "https://legacy.example/token", vec![]).await,
        400,
        "invalid_request",
        "Not a legacy token",
    );
    assert_error(
        exchange(
            "legacy:carol".into(),
            "https://legacy.example/token",
            vec![("deny", "1")],
        )
        .await,
        403,
        "access_denied",
        "Legacy accounts are closed",
    );
    assert_error(
        exchange("x".into(), "urn:nobody:token", vec![]).await,
        400,
        "invalid_request",
        "Invalid subject_token",
    );
}

#[test]
fn profiles_may_not_use_auth0s_reserved_namespaces() {
    for ty in [
        "urn:ietf:params:oauth:token-type:jwt",
        "https://auth0.com/x",
        "urn:auth0:x",
        "http://example.com/x",
    ] {
        let extra = format!(
            "[[exchange_profiles]]\nname = \"p\"\nsubject_token_type = \"{ty}\"\nvalidation = \"tenant\"\n"
        );
        let text = format!(
            "{}\n{extra}",
            include_str!("../../fixtures/tenant.exchange.toml")
        );
        let e = TenantConfig::parse(&text, "t.toml")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("t.toml: exchange_profiles[1].subject_token_type: "),
            "{e}"
        );
    }
}

mod client_credentials;
mod token_vault;
