//! Issue 8, item 9: two extractors on one handler, without the guard layer, verify the request
//! once. Verifying twice would find the DPoP proof's `jti` already in the replay store and
//! refuse the request as a replay.

use axum::Router;
use axum::routing::get;
use mock_idp::{DpopKey, MockTenant};
use oauth2_jwt_bearer::{Authenticated, VerifiedRequest, Verifier};
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn two_extractors_on_one_handler_accept_a_dpop_request() {
    let tenant = MockTenant::start().await;
    let listener = Listener::bind().await;
    let base = listener.url();
    let verifier =
        Verifier::new(quickstart_options(&tenant).public_base_url(&base)).expect("valid options");
    let router = Router::new()
        .route(
            "/both",
            get(
                |Authenticated(claims): Authenticated, VerifiedRequest(v): VerifiedRequest| async move {
                    axum::Json(json!({ "user": claims.sub(), "scheme": v.scheme }))
                },
            ),
        )
        .route(
            "/twice",
            get(
                |Authenticated(a): Authenticated, Authenticated(b): Authenticated| async move {
                    axum::Json(json!({ "same": a.sub() == b.sub() }))
                },
            ),
        )
        .with_state(verifier);
    let api = listener.serve_router(router);
    let user = format!("{}@clients", tenant.app().client_id());

    for (path, expected) in [
        ("/both", json!({ "user": user, "scheme": "DPoP" })),
        ("/twice", json!({ "same": true })),
    ] {
        let key = DpopKey::generate();
        let token = tenant.token().bound_to(&key).build();
        let proof = tenant
            .dpop()
            .proof(&key, "GET", &format!("{base}{path}"))
            .access_token(&token)
            .build();
        let reply = api
            .get(path)
            .header("authorization", format!("DPoP {token}"))
            .header("dpop", &proof)
            .reply()
            .await;
        assert_eq!(reply.assert_ok(), &expected, "{path}");
        // The proof was recorded once, and a replay of it is still refused.
        api.get(path)
            .header("authorization", format!("DPoP {token}"))
            .header("dpop", proof)
            .reply()
            .await
            .assert_invalid_dpop_proof("DPoP proof replayed");
    }
}
