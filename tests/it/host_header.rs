//! Issue 8, item 2: the client cannot choose the URL a DPoP proof's `htu` is compared with.
//! Each test plays the attacker over a raw TCP connection (an HTTP client library will not
//! send a `Host` with a path, nor an absolute-form target): a `Host` carrying a path, an
//! absolute-form target naming another authority, a route under `Router::nest`, and, with
//! `allowed_hosts`, a `Host` of another server (421).

use axum::Router;
use axum::routing::get;
use mock_idp::{DpopKey, MockTenant};
use oauth2_jwt_bearer::{Authenticated, Verifier, auth_layer};
use serde_json::json;
use verifier_conformance::{Catalog, Grade, Runner, Target};

use crate::support::*;

/// `Host: {host}` followed by `lines`.
fn with_host(host: &str, lines: Vec<String>) -> Vec<String> {
    let mut all = vec![format!("Host: {host}")];
    all.extend(lines);
    all
}

/// A token bound to a fresh key and a proof for `GET htu`, as header lines.
fn dpop_lines(tenant: &MockTenant, htu: &str) -> Vec<String> {
    let key = DpopKey::generate();
    let token = tenant.token().scope("read:messages").bound_to(&key).build();
    let proof = tenant
        .dpop()
        .proof(&key, "GET", htu)
        .access_token(&token)
        .build();
    vec![
        format!("Authorization: DPoP {token}"),
        format!("DPoP: {proof}"),
    ]
}

/// The quickstart API without `public_base_url`: the `htu` origin comes from `Host`.
async fn host_derived_stack() -> Stack {
    Stack::build(|tenant, _| quickstart_options(tenant)).await
}

const INVALID_HOST: &str = "Invalid Host header";

#[tokio::test]
async fn a_path_in_host_cannot_choose_the_htu() {
    let stack = host_derived_stack().await;
    let authority = stack.api.authority();
    let route = "/api/dpop-protected";
    // Control: a proof for the resource requested, sent with the real Host, is accepted.
    let lines = dpop_lines(&stack.tenant, &stack.url(route));
    raw_request(authority, "HTTP/1.1", route, &with_host(authority, lines))
        .await
        .assert_ok();

    // The attack: a proof captured for /api/other is replayed at /api/dpop-protected with the
    // other path smuggled into Host. A URL built from the raw Host reads
    // http://127.0.0.1:P/api/other#/api/dpop-protected, whose htu form is .../api/other.
    let smuggled = format!("{authority}/api/other#");
    let lines = dpop_lines(&stack.tenant, &stack.url("/api/other"));
    raw_request(authority, "HTTP/1.1", route, &with_host(&smuggled, lines))
        .await
        .assert_refused(
            400,
            "invalid_request",
            INVALID_HOST,
            &on_dpop("invalid_request", INVALID_HOST),
        );

    // Whatever else a Host carries, it is refused before any credential is looked at: on the
    // challenge of the scheme used, on both without credentials.
    let bearer = format!("Authorization: Bearer {}", stack.tenant.token().build());
    for host in [
        format!("{authority}/"),
        format!("{authority}?x=1"),
        format!("user@{authority}"),
        format!("{authority} x"),
        format!("{authority}%2F"),
        "127.0.0.1:99999".to_owned(),
        String::new(),
    ] {
        let reply = raw_request(
            authority,
            "HTTP/1.1",
            "/api/private",
            &with_host(&host, vec![bearer.clone()]),
        )
        .await;
        reply.assert_refused(
            400,
            "invalid_request",
            INVALID_HOST,
            &on_bearer("invalid_request", INVALID_HOST),
        );
        let reply = raw_request(
            authority,
            "HTTP/1.1",
            "/api/private",
            &with_host(&host, vec![]),
        )
        .await;
        reply.assert_refused(
            400,
            "invalid_request",
            INVALID_HOST,
            &on_both("invalid_request", INVALID_HOST),
        );
    }
    // Two Host fields (RFC 9110 §7.2).
    let twice = vec![
        format!("Host: {authority}"),
        format!("Host: {authority}"),
        bearer,
    ];
    raw_request(authority, "HTTP/1.1", "/api/private", &twice)
        .await
        .assert_refused(
            400,
            "invalid_request",
            INVALID_HOST,
            &on_bearer("invalid_request", INVALID_HOST),
        );
}

#[tokio::test]
async fn an_absolute_form_target_cannot_choose_the_htu() {
    let stack = host_derived_stack().await;
    let authority = stack.api.authority();
    // A proof captured at another API, replayed here with that API's URL as request target.
    let foreign = "http://rs-a.invalid/api/dpop-protected";
    let lines = dpop_lines(&stack.tenant, foreign);
    raw_request(authority, "HTTP/1.1", foreign, &with_host(authority, lines))
        .await
        .assert_invalid_dpop_proof("DPoP proof htu mismatch");
    // The target's authority is ignored, not refused: a proof for this API's URL passes.
    let lines = dpop_lines(&stack.tenant, &stack.url("/api/dpop-protected"));
    raw_request(authority, "HTTP/1.1", foreign, &with_host(authority, lines))
        .await
        .assert_ok();
}

#[tokio::test]
async fn a_nested_router_compares_the_original_path() {
    let tenant = MockTenant::start().await;
    let listener = Listener::bind().await;
    let base = listener.url();
    let verifier =
        Verifier::new(quickstart_options(&tenant).public_base_url(&base)).expect("valid options");
    let inner = Router::new()
        .route(
            "/private",
            get(|Authenticated(claims): Authenticated| async move {
                axum::Json(json!({ "user": claims.sub() }))
            }),
        )
        .route(
            "/guarded",
            get(|| async { axum::Json(json!({ "guarded": true })) })
                .route_layer(auth_layer(verifier.clone(), &[])),
        )
        .with_state(verifier);
    let api = listener.serve_router(Router::new().nest("/v1", inner));
    let authority = api.authority().to_owned();

    for route in ["/private", "/guarded"] {
        let full = format!("/v1{route}");
        // The client's proof names the URL it requested: accepted.
        let lines = dpop_lines(&tenant, &format!("{base}{full}"));
        raw_request(&authority, "HTTP/1.1", &full, &with_host(&authority, lines))
            .await
            .assert_ok();
        // A proof for another resource, `/private` or `/guarded` at the root, is not, though
        // it names the path the nested router sees.
        let lines = dpop_lines(&tenant, &format!("{base}{route}"));
        raw_request(&authority, "HTTP/1.1", &full, &with_host(&authority, lines))
            .await
            .assert_invalid_dpop_proof("DPoP proof htu mismatch");
    }
}

/// The quickstart API answering authenticated requests for its own `host:port` only.
async fn allowed_hosts_stack() -> Stack {
    Stack::build(|tenant, api_url| {
        quickstart_options(tenant).allowed_hosts([api_url.trim_start_matches("http://")])
    })
    .await
}

#[track_caller]
fn assert_misdirected(reply: &Reply) {
    assert_eq!(reply.status, 421, "{reply:#?}");
    assert_eq!(
        reply.body,
        json!({
            "error": "misdirected_request",
            "error_description": "This server does not serve the requested host",
        }),
        "{reply:#?}"
    );
    assert!(reply.challenges().is_empty(), "{reply:#?}");
    assert_eq!(
        reply.header("cache-control"),
        Some("no-store"),
        "{reply:#?}"
    );
}

#[tokio::test]
async fn a_host_outside_allowed_hosts_is_misdirected() {
    let stack = allowed_hosts_stack().await;
    let authority = stack.api.authority();
    let bearer = || {
        vec![format!(
            "Authorization: Bearer {}",
            stack.tenant.token().build()
        )]
    };

    // Its own Host: served.
    raw_request(
        authority,
        "HTTP/1.1",
        "/api/private",
        &with_host(authority, bearer()),
    )
    .await
    .assert_ok();
    let lines = dpop_lines(&stack.tenant, &stack.url("/api/dpop-protected"));
    raw_request(
        authority,
        "HTTP/1.1",
        "/api/dpop-protected",
        &with_host(authority, lines),
    )
    .await
    .assert_ok();

    // A valid token sent with another server's Host (catalog HDR-21), or another port.
    for host in ["rs-a.invalid", "127.0.0.1:1", "127.0.0.1"] {
        assert_misdirected(
            &raw_request(
                authority,
                "HTTP/1.1",
                "/api/private",
                &with_host(host, bearer()),
            )
            .await,
        );
    }
    // A proof captured at rs-a.invalid replayed with its Host (catalog DPP-37).
    let foreign = "http://rs-a.invalid/api/dpop-protected";
    let lines = dpop_lines(&stack.tenant, foreign);
    assert_misdirected(
        &raw_request(
            authority,
            "HTTP/1.1",
            "/api/dpop-protected",
            &with_host("rs-a.invalid", lines),
        )
        .await,
    );
    // An absolute-form target naming another server, with our Host.
    assert_misdirected(
        &raw_request(
            authority,
            "HTTP/1.1",
            "http://rs-a.invalid/api/private",
            &with_host(authority, bearer()),
        )
        .await,
    );
    // No Host at all (HTTP/1.0): 400, there is nothing to compare.
    raw_request(authority, "HTTP/1.0", "/api/private", &bearer())
        .await
        .assert_refused(
            400,
            "invalid_request",
            "Missing Host header",
            &on_bearer("invalid_request", "Missing Host header"),
        );
    // Public routes answer whatever the Host: their answer does not depend on it, and health
    // probes address replicas by IP.
    let public = raw_request(
        authority,
        "HTTP/1.1",
        "/health",
        &with_host("10.0.0.7:5000", vec![]),
    )
    .await;
    assert_eq!(public.assert_ok(), &json!({ "status": "ok" }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_catalog_misdirected_host_cases_pass_with_allowed_hosts() {
    let stack = allowed_hosts_stack().await;
    let only = vec!["HDR-21".to_owned(), "DPP-37".to_owned()];
    let report = Runner::new(&stack.tenant, Target::new(stack.url("")))
        .catalog(Catalog::all().only(&only))
        .progress(false)
        .run()
        .await
        .expect("the catalog runs");
    assert_eq!(report.results.len(), 2, "{}", report.table());
    for r in &report.results {
        assert!(
            matches!(r.grade, Grade::Pass),
            "{} {:?}: {}",
            r.id,
            r.grade,
            r.note()
        );
    }
}
