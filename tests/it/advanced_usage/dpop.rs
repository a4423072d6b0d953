//! Advanced Usage, DPoP: `/api/dpop-protected` in allowed, required and disabled modes;
//! proofs, replay, key binding and server nonces.

use super::*;

/// `GET path` with `token` under the DPoP scheme and a fresh proof for it signed by `key`
/// ([`Stack::dpop_get`] with a token of the test's own making).
fn dpop_get_with(stack: &Stack, path: &str, key: &DpopKey, token: &str) -> reqwest::RequestBuilder {
    let proof = stack
        .tenant
        .dpop()
        .proof(key, "GET", &stack.url(path))
        .access_token(token)
        .build();
    stack
        .get(path)
        .header("authorization", format!("DPoP {token}"))
        .header("dpop", proof)
}

#[tokio::test]
async fn dpop_allowed_accepts_dpop_and_bearer() {
    let stack = Stack::start().await;
    let key = DpopKey::generate();
    let message = json!({
        "message": "Successfully authenticated with DPoP or Bearer",
        "user": format!("{}@clients", stack.tenant.app().client_id()),
    });
    let reply = stack.dpop_get("/api/dpop-protected", &key).reply().await;
    assert_eq!(reply.assert_ok(), &message);

    let bearer = stack.tenant.token().build();
    let reply = stack
        .get("/api/dpop-protected")
        .bearer_auth(&bearer)
        .reply()
        .await;
    assert_eq!(reply.assert_ok(), &message);
}

#[tokio::test]
async fn a_dpop_bound_token_is_not_a_bearer_token() {
    let stack = Stack::start().await;
    let bound = stack.tenant.token().bound_to(&DpopKey::generate()).build();
    stack
        .get("/api/dpop-protected")
        .bearer_auth(&bound)
        .reply()
        .await
        .assert_invalid_token("DPoP-bound token requires the DPoP authentication scheme");
}

#[tokio::test]
async fn dpop_proof_failures() {
    let stack = Stack::start().await;
    let key = DpopKey::generate();
    let url = stack.url("/api/dpop-protected");
    let bound = stack.tenant.token().bound_to(&key).build();
    let dpop = |proof: Option<String>| {
        let request = stack
            .get("/api/dpop-protected")
            .header("authorization", format!("DPoP {bound}"));
        match proof {
            Some(proof) => request.header("dpop", proof),
            None => request,
        }
    };
    dpop(None)
        .reply()
        .await
        .assert_invalid_dpop_proof("Missing DPoP proof");

    // A proof is single-use: the same proof twice is a replay.
    let proof = stack
        .tenant
        .dpop()
        .proof(&key, "GET", &url)
        .access_token(&bound)
        .build();
    dpop(Some(proof.clone())).reply().await.assert_ok();
    dpop(Some(proof))
        .reply()
        .await
        .assert_invalid_dpop_proof("DPoP proof replayed");

    // A proof for another method, or signed by another key than the token is bound to.
    let post = stack
        .tenant
        .dpop()
        .proof(&key, "POST", &url)
        .access_token(&bound)
        .build();
    dpop(Some(post))
        .reply()
        .await
        .assert_invalid_dpop_proof("DPoP proof htm mismatch");
    // A proof that has waited too long (the tenant's clock is the API's clock).
    let stale = stack
        .tenant
        .dpop()
        .proof(&key, "GET", &url)
        .access_token(&bound)
        .build();
    stack.tenant.clock().advance(301);
    dpop(Some(stale))
        .reply()
        .await
        .assert_invalid_dpop_proof("DPoP proof iat is too old");

    // An unbound token under the DPoP scheme.
    let unbound = stack.tenant.token().build();
    dpop_get_with(&stack, "/api/dpop-protected", &key, &unbound)
        .reply()
        .await
        .assert_refused(
            401,
            "invalid_token",
            "Token is not DPoP-bound (no cnf.jkt)",
            &on_dpop("invalid_token", "Token is not DPoP-bound (no cnf.jkt)"),
        );

    let other_key = stack
        .tenant
        .dpop()
        .proof(&DpopKey::generate(), "GET", &url)
        .access_token(&bound)
        .build();
    dpop(Some(other_key)).reply().await.assert_refused(
        401,
        "invalid_token",
        "Invalid DPoP key binding",
        &on_dpop("invalid_token", "Invalid DPoP key binding"),
    );
}

#[tokio::test]
async fn dpop_required_refuses_bearer() {
    let stack = Stack::with(|o| o.dpop_mode(DpopMode::Required)).await;
    let bearer = stack.tenant.token().build();
    stack
        .get("/api/dpop-protected")
        .bearer_auth(&bearer)
        .reply()
        .await
        .assert_refused(
            401,
            "unauthorized",
            "DPoP authorization scheme required",
            r#"DPoP algs="ES256""#,
        );
    stack
        .get("/api/dpop-protected")
        .reply()
        .await
        .assert_refused(
            401,
            "unauthorized",
            "Missing authorization",
            r#"DPoP algs="ES256""#,
        );
    let key = DpopKey::generate();
    stack
        .dpop_get("/api/dpop-protected", &key)
        .reply()
        .await
        .assert_ok();
    // Errors on the one offered scheme carry the attributes.
    let expired = stack.tenant.token().bound_to(&key).expires_in(-1).build();
    dpop_get_with(&stack, "/api/dpop-protected", &key, &expired)
        .reply()
        .await
        .assert_refused(
            401,
            "invalid_token",
            "Token is expired",
            r#"DPoP error="invalid_token", error_description="Token is expired", algs="ES256""#,
        );
}

#[tokio::test]
async fn dpop_disabled_treats_dpop_as_an_unsupported_scheme() {
    let stack = Stack::with(|o| o.dpop_mode(DpopMode::Disabled)).await;
    stack
        .dpop_get("/api/dpop-protected", &DpopKey::generate())
        .reply()
        .await
        .assert_refused(
            401,
            "unauthorized",
            "Unsupported authorization scheme",
            r#"Bearer realm="api""#,
        );
}

#[tokio::test]
async fn dpop_server_nonces() {
    let stack = Stack::with(|o| o.dpop_nonces(true)).await;
    let key = DpopKey::generate();
    let url = stack.url("/api/dpop-protected");
    let bound = stack.tenant.token().bound_to(&key).build();
    let send = |proof: String| {
        stack
            .get("/api/dpop-protected")
            .header("authorization", format!("DPoP {bound}"))
            .header("dpop", proof)
            .reply()
    };

    // First try without a nonce: 401 use_dpop_nonce and exactly one DPoP-Nonce to use.
    let first = stack
        .tenant
        .dpop()
        .proof(&key, "GET", &url)
        .access_token(&bound)
        .build();
    let reply = send(first).await;
    reply.assert_refused(
        401,
        "use_dpop_nonce",
        "Authorization server requires nonce in DPoP proof",
        &on_dpop(
            "use_dpop_nonce",
            "Authorization server requires nonce in DPoP proof",
        ),
    );
    let nonces: Vec<_> = reply.headers.get_all("dpop-nonce").iter().collect();
    assert_eq!(nonces.len(), 1);
    let nonce = nonces[0].to_str().expect("an ASCII nonce").to_owned();

    // Retry with it: accepted, and the answer carries the nonce for the next request.
    let second = stack
        .tenant
        .dpop()
        .proof(&key, "GET", &url)
        .access_token(&bound)
        .nonce(&nonce)
        .build();
    let reply = send(second).await;
    reply.assert_ok();
    assert_eq!(reply.header("dpop-nonce"), Some(nonce.as_str()));

    // A nonce the API never issued.
    let forged = stack
        .tenant
        .dpop()
        .proof(&key, "GET", &url)
        .access_token(&bound)
        .nonce("made-up")
        .build();
    let reply = send(forged).await;
    reply.assert_refused(
        401,
        "use_dpop_nonce",
        "Authorization server requires nonce in DPoP proof",
        &on_dpop(
            "use_dpop_nonce",
            "Authorization server requires nonce in DPoP proof",
        ),
    );
    assert_eq!(reply.header("dpop-nonce"), Some(nonce.as_str()));
}
