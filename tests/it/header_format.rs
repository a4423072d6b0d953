//! Common Issue "Missing or invalid authorization header": the request has no `Authorization`
//! field or a malformed one. The grammar is RFC 6750 §2.1, `Bearer 1*SP b64token`:
//! - the field name and the scheme are case-insensitive (the quickstart's "capital A" is not
//!   needed here);
//! - missing credentials and schemes the API does not support (`Basic`, `Token`) get 401 with
//!   a bare challenge, no error code (RFC 6750 §3.1);
//! - a malformed field (no token, quotes, a TAB, two fields, over 16 KiB) gets
//!   400 `invalid_request`, on the challenge of the scheme it names (on both when two fields
//!   name none in particular).

use crate::support::*;

/// `GET /api/private` with `Authorization: {value}`.
async fn get_private_with_authorization(stack: &Stack, value: &str) -> Reply {
    stack
        .get("/api/private")
        .header("authorization", value)
        .reply()
        .await
}

#[tokio::test]
async fn no_authorization_header() {
    let stack = Stack::start().await;
    let reply = stack.get("/api/private").reply().await;
    reply.assert_refused(
        401,
        "unauthorized",
        "Missing authorization",
        r#"Bearer realm="api", DPoP algs="ES256""#,
    );
}

#[tokio::test]
async fn the_header_name_is_case_insensitive() {
    let stack = Stack::start().await;
    let token = stack.tenant.token().build();
    for name in [
        "Authorization",
        "authorization",
        "AUTHORIZATION",
        "aUtHoRiZaTiOn",
    ] {
        let line = format!("{name}: Bearer {token}");
        let reply = raw_get(stack.api.authority(), "/api/private", &[&line]).await;
        reply.assert_ok();
    }
}

#[tokio::test]
async fn the_scheme_is_case_insensitive() {
    let stack = Stack::start().await;
    let token = stack.tenant.token().build();
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        get_private_with_authorization(&stack, &format!("{scheme} {token}"))
            .await
            .assert_ok();
    }
}

#[tokio::test]
async fn bearer_without_a_token() {
    let stack = Stack::start().await;
    // A trailing space is stripped by HTTP itself: `Bearer ` arrives as `Bearer`.
    for value in ["Bearer", "Bearer "] {
        let line = format!("Authorization: {value}");
        let reply = raw_get(stack.api.authority(), "/api/private", &[&line]).await;
        reply.assert_refused(
            400,
            "invalid_request",
            "Missing access token",
            r#"Bearer realm="api", error="invalid_request", error_description="Missing access token", DPoP algs="ES256""#,
        );
    }
    // The same mistake with the DPoP scheme: the error goes on the DPoP challenge.
    let reply = raw_get(
        stack.api.authority(),
        "/api/private",
        &["Authorization: DPoP"],
    )
    .await;
    reply.assert_refused(
        400,
        "invalid_request",
        "Missing access token",
        &on_dpop("invalid_request", "Missing access token"),
    );
}

#[tokio::test]
async fn quotes_around_the_token() {
    let stack = Stack::start().await;
    let token = stack.tenant.token().build();
    let reply = get_private_with_authorization(&stack, &format!("Bearer \"{token}\"")).await;
    reply.assert_refused(
        400,
        "invalid_request",
        "Malformed Authorization header",
        r#"Bearer realm="api", error="invalid_request", error_description="Malformed Authorization header", DPoP algs="ES256""#,
    );
}

#[tokio::test]
async fn two_spaces_after_the_scheme_are_fine() {
    // RFC 6750 allows 1*SP between the scheme and the token.
    let stack = Stack::start().await;
    let token = stack.tenant.token().build();
    get_private_with_authorization(&stack, &format!("Bearer  {token}"))
        .await
        .assert_ok();
}

#[tokio::test]
async fn a_tab_after_the_scheme_is_refused() {
    let stack = Stack::start().await;
    let token = stack.tenant.token().build();
    let reply = get_private_with_authorization(&stack, &format!("Bearer\t{token}")).await;
    reply.assert_refused(
        400,
        "invalid_request",
        "Malformed Authorization header",
        &on_bearer("invalid_request", "Malformed Authorization header"),
    );
}

#[tokio::test]
async fn other_schemes_get_a_bare_challenge() {
    let stack = Stack::start().await;
    let token = stack.tenant.token().build();
    for value in [format!("Token {token}"), "Basic dXNlcjpwYXNz".to_owned()] {
        let reply = get_private_with_authorization(&stack, &value).await;
        reply.assert_refused(
            401,
            "unauthorized",
            "Unsupported authorization scheme",
            BARE_CHALLENGE,
        );
    }
}

#[tokio::test]
async fn a_token_without_a_scheme() {
    // Pasting the token alone: its first characters are taken as a scheme name.
    let stack = Stack::start().await;
    let token = stack.tenant.token().build();
    let reply = get_private_with_authorization(&stack, &token).await;
    reply.assert_refused(
        401,
        "unauthorized",
        "Unsupported authorization scheme",
        BARE_CHALLENGE,
    );
}

#[tokio::test]
async fn two_authorization_headers() {
    let stack = Stack::start().await;
    let token = stack.tenant.token().build();
    let reply = stack
        .get("/api/private")
        .header("authorization", format!("Bearer {token}"))
        .header("authorization", format!("Bearer {token}"))
        .reply()
        .await;
    // Two fields cannot be interpreted, even when equal (RFC 9110 §5.3: not a list field), so
    // no scheme was used: the error goes on both challenges.
    reply.assert_refused(
        400,
        "invalid_request",
        "Multiple Authorization headers",
        &on_both("invalid_request", "Multiple Authorization headers"),
    );
}

#[tokio::test]
async fn an_oversized_header() {
    let stack = Stack::start().await;
    let value = format!("Bearer {}", "a".repeat(16 * 1024));
    assert_eq!(value.len(), 16 * 1024 + 7);
    let reply = get_private_with_authorization(&stack, &value).await;
    reply.assert_refused(
        400,
        "invalid_request",
        "Authorization header too large",
        // Too large to be read at all, so it names no scheme: the error goes on both.
        &on_both("invalid_request", "Authorization header too large"),
    );
}

#[tokio::test]
async fn a_scheme_the_mode_does_not_accept_is_unsupported_whatever_follows() {
    // Like `Basic`: no error code (RFC 6750 §3.1), even when the field is also malformed.
    let required = Stack::with(|o| o.dpop_mode(oauth2_jwt_bearer::DpopMode::Required)).await;
    for line in ["Authorization: Bearer", "Authorization: Bearer\tabc"] {
        raw_get(required.api.authority(), "/api/private", &[line])
            .await
            .assert_refused(
                401,
                "unauthorized",
                "DPoP authorization scheme required",
                r#"DPoP algs="ES256""#,
            );
    }
    let disabled = Stack::with(|o| o.dpop_mode(oauth2_jwt_bearer::DpopMode::Disabled)).await;
    for line in ["Authorization: DPoP", "Authorization: DPoP\tabc"] {
        raw_get(disabled.api.authority(), "/api/private", &[line])
            .await
            .assert_refused(
                401,
                "unauthorized",
                "Unsupported authorization scheme",
                r#"Bearer realm="api""#,
            );
    }
}

#[tokio::test]
async fn dpop_disabled_offers_bearer_only() {
    let stack = Stack::with(|o| o.dpop_mode(oauth2_jwt_bearer::DpopMode::Disabled)).await;
    stack.get("/api/private").reply().await.assert_refused(
        401,
        "unauthorized",
        "Missing authorization",
        r#"Bearer realm="api""#,
    );
    get_private_with_authorization(&stack, "Bearer \"quoted\"").await
        .assert_refused(
            400,
            "invalid_request",
            "Malformed Authorization header",
            r#"Bearer realm="api", error="invalid_request", error_description="Malformed Authorization header""#,
        );
}
