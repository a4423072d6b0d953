//! Security review 4: what a document or a `client_id` URL disguises. A callback a public
//! client must not have (`http` off loopback, where the code crosses the network in clear; a
//! custom scheme; `javascript:`), a name that reads as another on the login page, and a
//! loopback or private address hidden in a tunnelled IPv6 form (6to4, Teredo, IPv4-translated,
//! discard-only), which the tenant used to try to connect to.

use super::*;
use crate::support::post_token;

#[tokio::test]
async fn a_document_cannot_name_an_http_callback_off_loopback_or_a_disguised_name() {
    let server = doc_server().await;
    let tenant = tenant_for(&server, &["127.0.0.1"]).await;
    let callbacks = "The client metadata document is invalid: each redirect_uri must be an absolute https URL (http on a loopback host only) without fragment or userinfo";
    for (path, description) in [
        ("/http-remote.json", callbacks),
        ("/custom-scheme.json", callbacks),
        ("/javascript.json", callbacks),
        (
            "/bidi-name.json",
            "The client metadata document is invalid: client_name must not contain control, invisible or bidirectional-text characters",
        ),
    ] {
        assert_refused(&tenant, &server.url(path), "invalid_client", description).await;
        assert_eq!(server.hits(path), 1, "{path}");
    }
    // The same refusal at the token endpoint, where a refresh or a code exchange names the URL.
    let client_id = server.url("/http-remote.json");
    let (status, body) = post_token(
        &tenant,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", client_id.as_str()),
            ("code", "x"),
            ("redirect_uri", "http://app.example/callback"),
            ("code_verifier", VERIFIER),
        ],
        &[],
    )
    .await;
    assert_eq!(
        (status, body),
        (
            401,
            json!({"error": "invalid_client", "error_description": callbacks})
        )
    );
}

#[tokio::test]
async fn private_addresses_in_tunnelled_ipv6_forms_are_refused_before_any_connection() {
    let server = doc_server().await;
    let tenant = tenant_for(&server, &[]).await;
    let port = server.base.rsplit(':').next().unwrap().to_owned();
    let description = "The host of the client_id URL resolves to a loopback, private or otherwise non-public address";
    for host in [
        // 6to4 of 127.0.0.1 and of 169.254.169.254 (the cloud metadata service).
        "[2002:7f00:1::]",
        "[2002:a9fe:a9fe::1]",
        // Teredo.
        "[2001:0:4136:e378:8000:63bf:3fff:fdd2]",
        // IPv4-translated 127.0.0.1 (::ffff:0:0:0/96).
        "[::ffff:0:7f00:1]",
        // Discard-only.
        "[100::1]",
    ] {
        assert_refused(
            &tenant,
            &format!("https://{host}:{port}/client.json"),
            "invalid_client",
            description,
        )
        .await;
    }
    assert_eq!(server.hits("/client.json"), 0);
}
