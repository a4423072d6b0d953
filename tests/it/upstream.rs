//! `GET /api/upstream`: the API exchanges its caller's token (On-Behalf-Of) and calls a second
//! API on 127.0.0.1 with it. The tenant's refusals, its rate limit and its outages reach the
//! caller in the quickstart's `ApiError` shape with the right status; a missing setting stops
//! start-up with one line.

use std::collections::BTreeMap;

use axum::routing::get;
use mock_idp::{Endpoint, Fault, MockTenant, TenantConfig};
use oauth2_jwt_bearer::exchange::current_actor;
use oauth2_jwt_bearer::{Authenticated, Verifier, VerifierOptions, require_scope};
use protected_api::config::{Settings, Sources};
use protected_api::upstream::Upstream;
use serde_json::json;

use crate::support::{Api, Listener, SendExt, TempDir};

const UPSTREAM: &str = "https://upstream-api";

fn tenant() -> MockTenant {
    let cfg = TenantConfig::parse(
        include_str!("../../mock-idp/fixtures/tenant.exchange.toml"),
        "tenant.exchange.toml",
    )
    .unwrap();
    MockTenant::builder().config(cfg).start_blocking()
}

/// The second API: verifies tokens for `https://upstream-api` and says who called.
async fn second_api(tenant: &MockTenant) -> Api {
    let verifier = Verifier::new(
        VerifierOptions::new(tenant.domain(), UPSTREAM).ca_pem(tenant.ca_pem().into_bytes()),
    )
    .unwrap();
    let data = get(|Authenticated(c): Authenticated| async move {
        axum::Json(json!({
            "data": "upstream records",
            "sub": c.sub(),
            "actor": current_actor(&c).ok().flatten(),
            "scope": c.get("scope"),
        }))
    });
    let router = axum::Router::new()
        .route("/data", data)
        .route(
            "/admin",
            get(|| async { "admin" }).route_layer(require_scope(verifier.clone(), "write:data")),
        )
        .route_layer(oauth2_jwt_bearer::auth_layer(verifier.clone(), &[]))
        .with_state(verifier);
    Listener::bind().await.serve_router(router)
}

fn vars(tenant: &MockTenant, dir: &TempDir, extra: &[(&str, &str)]) -> BTreeMap<String, String> {
    let ca = dir.write("ca.pem", &tenant.ca_pem());
    let mut v = BTreeMap::from([
        ("AUTH0_DOMAIN".to_owned(), tenant.domain().to_owned()),
        ("AUTH0_AUDIENCE".to_owned(), tenant.audience()),
        ("AUTH0_CA_FILE".to_owned(), ca.display().to_string()),
    ]);
    for (k, val) in extra {
        v.insert((*k).to_owned(), (*val).to_owned());
    }
    v
}

/// The API binary's wiring: settings -> verifier + upstream route.
fn api_from(vars: &BTreeMap<String, String>) -> axum::Router {
    let (settings, _) = Settings::from_vars(vars, Sources { dotenv: None }).unwrap();
    let verifier = Verifier::new(VerifierOptions::try_from(&settings).unwrap()).unwrap();
    let upstream = Upstream::from_settings(&settings).unwrap();
    assert!(upstream.is_some());
    protected_api::app::app_with(verifier, upstream)
}

struct Setup {
    tenant: MockTenant,
    api: Api,
    _second: Api,
    _dir: TempDir,
}

async fn setup(path: &str) -> Setup {
    let tenant = tenant();
    let second = second_api(&tenant).await;
    let dir = TempDir::new();
    let url = second.url(path);
    let v = vars(
        &tenant,
        &dir,
        &[
            ("AUTH0_CLIENT_ID", "flask-api-client"),
            ("AUTH0_CLIENT_SECRET", "flask-api-secret"),
            ("UPSTREAM_API_URL", &url),
            ("UPSTREAM_API_AUDIENCE", UPSTREAM),
            ("UPSTREAM_API_SCOPE", "read:data"),
        ],
    );
    let api = Listener::bind().await.serve_router(api_from(&v));
    Setup {
        tenant,
        api,
        _second: second,
        _dir: dir,
    }
}

#[tokio::test]
async fn the_second_api_answers_for_the_user_with_this_api_as_actor() {
    let s = setup("/data").await;
    let token = s.tenant.token().sub("auth0|alice").build();
    let reply = s.api.get("/api/upstream").bearer_auth(&token).reply().await;
    assert_eq!(
        reply.assert_ok(),
        &json!({
            "message": "Upstream API called on behalf of the user",
            "user": "auth0|alice",
            "upstream": {
                "data": "upstream records",
                "sub": "auth0|alice",
                "actor": "flask-api-client",
                "scope": "read:data",
            },
        })
    );
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    // No token: the guard's 401, before any exchange.
    let before = s.tenant.token_requests();
    let reply = s.api.get("/api/upstream").reply().await;
    assert_eq!(reply.status, 401);
    assert_eq!(s.tenant.token_requests(), before);
}

#[tokio::test]
async fn tenant_refusals_rate_limits_and_outages_get_fixed_answers() {
    let s = setup("/data").await;
    let alice = s.tenant.token().sub("auth0|alice").build();
    let expect = |reply: &crate::support::Reply, status: u16, code: &str, description: &str| {
        assert_eq!(reply.status, status, "{reply:#?}");
        assert_eq!(
            reply.body,
            json!({"error": code, "error_description": description})
        );
        assert_eq!(reply.header("cache-control"), Some("no-store"));
    };
    // A machine token: the tenant's 400.
    let m2m = s.tenant.token().build();
    let reply = s.api.get("/api/upstream").bearer_auth(&m2m).reply().await;
    expect(
        &reply,
        400,
        "invalid_request",
        "The access token cannot be exchanged for the upstream API",
    );
    // Auth0's rate limit: 429 with its Retry-After.
    s.tenant.fail_next(Endpoint::Token, 1, Fault::Status(429));
    let reply = s.api.get("/api/upstream").bearer_auth(&alice).reply().await;
    expect(
        &reply,
        429,
        "too_many_requests",
        "Too many token exchanges; retry later",
    );
    assert_eq!(reply.header("retry-after"), Some("2"));
    // The tenant drops the connection: 502.
    s.tenant
        .fail_next(Endpoint::Token, 1, Fault::DropConnection);
    let reply = s.api.get("/api/upstream").bearer_auth(&alice).reply().await;
    expect(&reply, 502, "network_error", "Network error occurred");
    // And recovers.
    let reply = s.api.get("/api/upstream").bearer_auth(&alice).reply().await;
    assert_eq!(reply.status, 200, "{reply:#?}");
}

/// L6: whatever the tenant answers the exchange with (a 401 with its own text, a 302 without
/// `Location`, a 503), the caller gets this API's 502 with a fixed text: never the tenant's
/// status, never its text, never a 401 without a challenge or a redirect.
#[tokio::test]
async fn tenant_faults_never_reach_the_caller_as_they_are() {
    let s = setup("/data").await;
    let alice = s.tenant.token().sub("auth0|alice").build();
    let leak =
        r#"{"error":"access_denied","error_description":"internal: db host 10.0.0.5 unreachable"}"#;
    for fault in [
        Fault::Respond {
            status: 401,
            content_type: "application/json".into(),
            body: leak.into(),
        },
        Fault::Respond {
            status: 403,
            content_type: "application/json".into(),
            body: leak.into(),
        },
        Fault::Status(302),
        Fault::Redirect {
            status: 302,
            location: "https://evil.example/".into(),
        },
        Fault::Status(503),
        Fault::Status(500),
        Fault::Respond {
            status: 400,
            content_type: "application/json".into(),
            body: r#"{"error":"invalid_scope","error_description":"internal scope table"}"#.into(),
        },
    ] {
        s.tenant.fail_next(Endpoint::Token, 1, fault.clone());
        let reply = s.api.get("/api/upstream").bearer_auth(&alice).reply().await;
        assert_eq!(reply.status, 502, "{fault:?}: {reply:#?}");
        assert_eq!(
            reply.body,
            json!({
                "error": "token_exchange_error",
                "error_description": "The token exchange with the tenant failed",
            }),
            "{fault:?}"
        );
        assert_eq!(reply.header("www-authenticate"), None, "{fault:?}");
        assert_eq!(reply.header("location"), None, "{fault:?}");
        assert_eq!(reply.header("retry-after"), None, "{fault:?}");
        assert_eq!(reply.header("cache-control"), Some("no-store"));
    }
    // The tenant recovers: so does the route.
    let reply = s.api.get("/api/upstream").bearer_auth(&alice).reply().await;
    assert_eq!(reply.status, 200, "{reply:#?}");
}

/// A wrong client secret is this API's fault, not the caller's: 502, not the tenant's 401.
#[tokio::test]
async fn a_wrong_client_secret_is_a_502_not_a_401() {
    let tenant = tenant();
    let second = second_api(&tenant).await;
    let dir = TempDir::new();
    let url = second.url("/data");
    let v = vars(
        &tenant,
        &dir,
        &[
            ("AUTH0_CLIENT_ID", "flask-api-client"),
            ("AUTH0_CLIENT_SECRET", "not-the-secret"),
            ("UPSTREAM_API_URL", &url),
            ("UPSTREAM_API_AUDIENCE", UPSTREAM),
        ],
    );
    let api = Listener::bind().await.serve_router(api_from(&v));
    let alice = tenant.token().sub("auth0|alice").build();
    let reply = api.get("/api/upstream").bearer_auth(&alice).reply().await;
    assert_eq!(reply.status, 502, "{reply:#?}");
    assert_eq!(reply.body["error"], "token_exchange_error");
    assert_eq!(reply.header("www-authenticate"), None);
}

#[tokio::test]
async fn an_upstream_refusal_is_a_502() {
    let s = setup("/admin").await;
    let alice = s.tenant.token().sub("auth0|alice").build();
    let reply = s.api.get("/api/upstream").bearer_auth(&alice).reply().await;
    assert_eq!(reply.status, 502);
    assert_eq!(
        reply.body,
        json!({"error": "upstream_error", "error_description": "The upstream API answered 403"})
    );
}

#[tokio::test]
async fn without_upstream_settings_the_route_does_not_exist() {
    let tenant = tenant();
    let dir = TempDir::new();
    let (settings, _) =
        Settings::from_vars(&vars(&tenant, &dir, &[]), Sources { dotenv: None }).unwrap();
    assert!(Upstream::from_settings(&settings).unwrap().is_none());
    let verifier = Verifier::new(VerifierOptions::try_from(&settings).unwrap()).unwrap();
    let api = Listener::bind().await.serve(verifier);
    let token = tenant.token().sub("auth0|alice").build();
    let reply = api.get("/api/upstream").bearer_auth(&token).reply().await;
    assert_eq!(reply.status, 404);
}

#[test]
fn a_missing_exchange_setting_stops_start_up_with_one_line() {
    let tenant = tenant();
    let dir = TempDir::new();
    let err = |extra: &[(&str, &str)]| {
        Settings::from_vars(&vars(&tenant, &dir, extra), Sources { dotenv: None })
            .unwrap_err()
            .to_string()
    };
    let client = "the API exchanges tokens as its own Auth0 application: set AUTH0_CLIENT_ID and AUTH0_CLIENT_SECRET to that application's credentials";
    let env = "the environment (no .env file found in this directory or its parents)";
    assert_eq!(
        err(&[
            ("UPSTREAM_API_URL", "http://127.0.0.1:1/data"),
            ("UPSTREAM_API_AUDIENCE", UPSTREAM)
        ]),
        format!("AUTH0_CLIENT_ID is not set, but UPSTREAM_API_URL is (looked in {env}); {client}")
    );
    assert_eq!(
        err(&[("AUTH0_CLIENT_ID", "flask-api-client")]),
        format!(
            "AUTH0_CLIENT_SECRET is not set, but AUTH0_CLIENT_ID is (looked in {env}); {client}"
        )
    );
    assert_eq!(
        err(&[
            ("AUTH0_CLIENT_ID", "a"),
            ("AUTH0_CLIENT_SECRET", "b"),
            ("UPSTREAM_API_URL", "http://127.0.0.1:1/data"),
        ]),
        format!(
            "UPSTREAM_API_AUDIENCE is not set, but UPSTREAM_API_URL is (looked in {env}); set it to the identifier of the API at UPSTREAM_API_URL, e.g. https://upstream-api"
        )
    );
    assert_eq!(
        err(&[
            ("AUTH0_CLIENT_ID", "a"),
            ("AUTH0_CLIENT_SECRET", "b"),
            ("UPSTREAM_API_URL", "ftp://x/"),
        ]),
        "UPSTREAM_API_URL=\"ftp://x/\" is invalid: expected the http(s) URL /api/upstream calls, e.g. https://reports.example.com/api/data"
    );
    for e in [
        err(&[("AUTH0_CLIENT_ID", "a")]),
        err(&[("UPSTREAM_API_URL", "x")]),
    ] {
        assert!(!e.contains('\n'));
        assert!(!e.contains("\"b\""), "never the secret: {e}");
    }
}
