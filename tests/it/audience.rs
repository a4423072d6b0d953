//! Common Issue "401 errors even with valid-looking tokens": the token's `aud` does not match
//! `AUTH0_AUDIENCE`. The audience is compared exactly (case-sensitive, no slash trimming), as a
//! string or as a member of an `aud` array.

use std::collections::BTreeMap;

use protected_api::config::{Settings, Sources};
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn a_token_for_the_configured_api_is_accepted() {
    let stack = Stack::start().await;
    assert_eq!(stack.tenant.audience(), "https://my-flask-api");
    let token = stack.tenant.token().build();
    let body = stack
        .get("/api/private")
        .bearer_auth(&token)
        .reply()
        .await
        .assert_ok()
        .clone();
    assert_eq!(
        body,
        json!({
            "message": "This endpoint requires authentication",
            "user": format!("{}@clients", stack.tenant.app().client_id()),
        })
    );
}

#[tokio::test]
async fn a_token_for_another_api_is_refused() {
    let stack = Stack::start().await;
    let token = stack.tenant.token().audience("https://another-api").build();
    let reply = stack.get("/api/private").bearer_auth(&token).reply().await;
    reply.assert_refused(
        401,
        "invalid_token",
        "Audience mismatch",
        r#"Bearer realm="api", error="invalid_token", error_description="Audience mismatch", DPoP algs="ES256""#,
    );
}

#[tokio::test]
async fn the_audience_is_case_sensitive() {
    let stack = Stack::start().await;
    for aud in ["https://My-Flask-Api", "HTTPS://MY-FLASK-API"] {
        let token = stack.tenant.token().audience(aud).build();
        let reply = stack.get("/api/private").bearer_auth(&token).reply().await;
        reply.assert_invalid_token("Audience mismatch");
    }
}

#[tokio::test]
async fn a_trailing_slash_makes_another_audience() {
    // Configured without the slash, the token has one.
    let stack = Stack::start().await;
    let token = stack
        .tenant
        .token()
        .audience("https://my-flask-api/")
        .build();
    let reply = stack.get("/api/private").bearer_auth(&token).reply().await;
    reply.assert_invalid_token("Audience mismatch");

    // Configured with the slash, the token has none.
    let stack = Stack::build(|tenant, api_url| {
        options_for_audience(tenant, "https://my-flask-api/").public_base_url(api_url)
    })
    .await;
    let token = stack.tenant.token().build();
    let reply = stack.get("/api/private").bearer_auth(&token).reply().await;
    reply.assert_invalid_token("Audience mismatch");
}

#[tokio::test]
async fn an_aud_array_must_contain_the_api() {
    let stack = Stack::start().await;
    // Auth0 issues an array when `openid` is granted: the API and the userinfo endpoint.
    let with_api = stack
        .tenant
        .token()
        .aud_json(json!([
            "https://my-flask-api",
            format!("{}/userinfo", stack.tenant.uri())
        ]))
        .build();
    let reply = stack
        .get("/api/private")
        .bearer_auth(&with_api)
        .reply()
        .await;
    reply.assert_ok();

    let without_api = stack
        .tenant
        .token()
        .aud_json(json!([
            "https://another-api",
            format!("{}/userinfo", stack.tenant.uri())
        ]))
        .build();
    let reply = stack
        .get("/api/private")
        .bearer_auth(&without_api)
        .reply()
        .await;
    reply.assert_invalid_token("Audience mismatch");
}

fn settings_warnings(audience: &str) -> Vec<String> {
    let vars = BTreeMap::from([
        ("AUTH0_DOMAIN".to_owned(), "tenant.us.auth0.com".to_owned()),
        ("AUTH0_AUDIENCE".to_owned(), audience.to_owned()),
    ]);
    let (settings, warnings) =
        Settings::from_vars(&vars, Sources { dotenv: None }).expect("the settings are usable");
    assert_eq!(settings.audience, audience, "the audience is used as given");
    warnings
}

#[test]
fn an_audience_that_is_not_a_url_or_urn_gets_a_start_up_warning() {
    assert_eq!(
        settings_warnings("my-api"),
        [
            "AUTH0_AUDIENCE=\"my-api\" is not a URL or URN; Auth0 API identifiers look like \
             https://my-api or urn:my-api, and tokens carry it exactly in `aud`"
        ]
    );
    for shaped in [
        "https://my-flask-api",
        "https://my-flask-api/",
        "urn:my-api",
    ] {
        assert_eq!(settings_warnings(shaped), Vec::<String>::new(), "{shaped}");
    }
}
