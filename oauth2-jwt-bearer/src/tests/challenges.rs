//! Statuses and exact `WWW-Authenticate` strings, per DPoP mode and scheme.

use super::support::*;
use crate::error::sanitize;
use crate::{AuthError, DpopMode, Scheme};

use crate::{ProofError, RequestError, TokenError};

fn ch(e: &AuthError, mode: DpopMode, scheme: Option<Scheme>) -> String {
    let v = e.www_authenticate(mode, scheme);
    assert_eq!(v.len(), 1);
    v[0].to_str().unwrap().to_owned()
}

#[test]
fn challenge_strings() {
    use DpopMode::*;
    let missing = AuthError::MissingCredentials;
    assert_eq!(
        ch(&missing, Allowed, None),
        r#"Bearer realm="api", DPoP algs="ES256""#
    );
    assert_eq!(ch(&missing, Disabled, None), r#"Bearer realm="api""#);
    assert_eq!(ch(&missing, Required, None), r#"DPoP algs="ES256""#);
    assert_eq!(missing.status(), 401);
    assert_eq!(missing.error_code(), None);

    let bad = AuthError::InvalidToken(TokenError::Expired);
    assert_eq!(
        ch(&bad, Allowed, Some(Scheme::Bearer)),
        r#"Bearer realm="api", error="invalid_token", error_description="Token is expired", DPoP algs="ES256""#
    );
    assert_eq!(
        ch(&bad, Allowed, Some(Scheme::DPoP)),
        r#"Bearer realm="api", DPoP error="invalid_token", error_description="Token is expired", algs="ES256""#
    );
    assert_eq!(
        ch(&bad, Disabled, Some(Scheme::Bearer)),
        r#"Bearer realm="api", error="invalid_token", error_description="Token is expired""#
    );
    assert_eq!(
        ch(&bad, Required, Some(Scheme::DPoP)),
        r#"DPoP error="invalid_token", error_description="Token is expired", algs="ES256""#
    );
    let proof = AuthError::InvalidDpopProof(ProofError::HtmMismatch);
    assert_eq!(proof.status(), 401);
    assert_eq!(
        ch(&proof, Allowed, Some(Scheme::DPoP)),
        r#"Bearer realm="api", DPoP error="invalid_dpop_proof", error_description="DPoP proof htm mismatch", algs="ES256""#
    );
    let scope = AuthError::InsufficientScope {
        scope: "read:messages".into(),
    };
    assert_eq!(scope.status(), 403);
    assert_eq!(
        ch(&scope, Allowed, Some(Scheme::Bearer)),
        r#"Bearer realm="api", error="insufficient_scope", error_description="Insufficient scope", scope="read:messages", DPoP algs="ES256""#
    );
    assert_eq!(
        ch(&scope, Allowed, Some(Scheme::DPoP)),
        r#"Bearer realm="api", DPoP error="insufficient_scope", error_description="Insufficient scope", scope="read:messages", algs="ES256""#
    );
    // No scheme known (two Authorization fields): the error is on every challenge.
    let multi = AuthError::InvalidRequest(RequestError::MultipleAuthorizationHeaders);
    assert_eq!(multi.status(), 400);
    assert_eq!(
        ch(&multi, Allowed, None),
        r#"Bearer realm="api", error="invalid_request", error_description="Multiple Authorization headers", DPoP error="invalid_request", error_description="Multiple Authorization headers", algs="ES256""#
    );
    let nonce = AuthError::UseDpopNonce { nonce: "n1".into() };
    assert_eq!(nonce.dpop_nonce(), Some("n1"));
    assert_eq!(
        ch(&nonce, Required, Some(Scheme::DPoP)),
        r#"DPoP error="use_dpop_nonce", error_description="Authorization server requires nonce in DPoP proof", algs="ES256""#
    );
    assert!(
        AuthError::Internal
            .www_authenticate(Allowed, None)
            .is_empty()
    );
    assert_eq!(AuthError::Internal.status(), 500);
}

#[test]
fn descriptions_are_sanitised() {
    assert_eq!(sanitize("a\"b\\c\r\nX: y\u{e9}"), "a?b?c??X: y?");
    for c in sanitize(&(0u8..=255).map(char::from).collect::<String>()).chars() {
        assert!(
            matches!(c, '\x20'..='\x21' | '\x23'..='\x5b' | '\x5d'..='\x7e'),
            "{c:?}"
        );
    }
    let e = AuthError::InsufficientScope {
        scope: "x\"y".into(),
    };
    assert!(ch(&e, DpopMode::Allowed, Some(Scheme::Bearer)).contains(r#"scope="x?y""#));
}

type Fields<'a> = Vec<(&'a str, String)>;
/// `None`: accepted; otherwise (status, error code).
type Expected = Option<(u16, Option<&'static str>)>;

/// (mode, request) -> (status, error code, challenge) for the dispatch matrix.
#[tokio::test]
async fn dispatch_matrix() {
    let env = Env::new().await;
    for mode in [DpopMode::Disabled, DpopMode::Allowed, DpopMode::Required] {
        let verifier = env.verifier_with(|o| o.dpop_mode(mode));
        let key = ec("dpop-client");
        let unbound = env.ok_token();
        let bound = env.token(&env.bound_claims(&key));
        let proof_bound = env.proof(&key, &bound);
        let proof_unbound = env.proof(&key, &unbound);
        let cases: Vec<(&str, Fields, Expected)> = vec![
            ("none", vec![], Some((401, None))),
            (
                "only a proof",
                vec![("dpop", proof_bound.clone())],
                Some((401, None)),
            ),
            (
                "basic",
                vec![("authorization", "Basic dXNlcjpwYXNz".into())],
                Some((401, None)),
            ),
            (
                "proxy",
                vec![
                    ("proxy-authorization", format!("DPoP {bound}")),
                    ("dpop", proof_bound.clone()),
                ],
                Some((401, None)),
            ),
            (
                "bearer no token",
                vec![("authorization", "Bearer".into())],
                match mode {
                    DpopMode::Required => Some((401, None)),
                    _ => Some((400, Some("invalid_request"))),
                },
            ),
            (
                "dpop no token",
                vec![("authorization", "DPoP".into())],
                match mode {
                    DpopMode::Disabled => Some((401, None)),
                    _ => Some((400, Some("invalid_request"))),
                },
            ),
            (
                "two authorization",
                vec![
                    ("authorization", format!("Bearer {unbound}")),
                    ("authorization", format!("Bearer {unbound}")),
                ],
                Some((400, Some("invalid_request"))),
            ),
            (
                "bad b64token",
                vec![("authorization", "Bearer a\"b".into())],
                match mode {
                    DpopMode::Required => Some((401, None)),
                    _ => Some((400, Some("invalid_request"))),
                },
            ),
            (
                "opaque",
                vec![("authorization", "Bearer abc".into())],
                match mode {
                    DpopMode::Required => Some((401, None)),
                    _ => Some((401, Some("invalid_token"))),
                },
            ),
            (
                "bearer unbound",
                vec![("authorization", format!("Bearer {unbound}"))],
                match mode {
                    DpopMode::Required => Some((401, None)),
                    _ => None,
                },
            ),
            (
                "bearer bound",
                vec![("authorization", format!("Bearer {bound}"))],
                match mode {
                    DpopMode::Required => Some((401, None)),
                    _ => Some((401, Some("invalid_token"))),
                },
            ),
            (
                "bearer bound + proof",
                vec![
                    ("authorization", format!("Bearer {bound}")),
                    ("dpop", env.proof(&key, &bound)),
                ],
                match mode {
                    DpopMode::Required => Some((401, None)),
                    _ => Some((401, Some("invalid_token"))),
                },
            ),
            (
                "bearer unbound + proof",
                vec![
                    ("authorization", format!("Bearer {unbound}")),
                    ("dpop", proof_unbound.clone()),
                ],
                match mode {
                    DpopMode::Required => Some((401, None)),
                    DpopMode::Allowed => Some((400, Some("invalid_request"))),
                    DpopMode::Disabled => None,
                },
            ),
            (
                "dpop bound",
                vec![
                    ("authorization", format!("DPoP {bound}")),
                    ("dpop", proof_bound.clone()),
                ],
                match mode {
                    DpopMode::Disabled => Some((401, None)),
                    _ => None,
                },
            ),
            (
                "dpop unbound",
                vec![
                    ("authorization", format!("DPoP {unbound}")),
                    ("dpop", env.proof(&key, &unbound)),
                ],
                match mode {
                    DpopMode::Disabled => Some((401, None)),
                    _ => Some((401, Some("invalid_token"))),
                },
            ),
            (
                "dpop no proof",
                vec![("authorization", format!("dpop {bound}"))],
                match mode {
                    DpopMode::Disabled => Some((401, None)),
                    _ => Some((401, Some("invalid_dpop_proof"))),
                },
            ),
        ];
        for (name, fields, expected) in cases {
            let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let r = verifier.verify_request(&request(&f)).await;
            match (r, expected) {
                (Ok(_), None) => {}
                (Err(rej), Some((status, code))) => {
                    assert_eq!(
                        (rej.error.status().as_u16(), rej.error.error_code()),
                        (status, code),
                        "{mode:?} {name}"
                    );
                    let c = ch(&rej.error, mode, rej.scheme);
                    match mode {
                        DpopMode::Disabled => assert!(
                            c.starts_with("Bearer realm=\"api\"") && !c.contains("algs="),
                            "{c}"
                        ),
                        DpopMode::Allowed => assert!(
                            c.starts_with("Bearer realm=\"api\"") && c.contains("algs=\"ES256\""),
                            "{c}"
                        ),
                        DpopMode::Required => {
                            assert!(c.starts_with("DPoP ") && !c.contains("realm="), "{c}")
                        }
                    }
                    if code.is_none() {
                        assert!(!c.contains("error="), "{mode:?} {name}: {c}");
                    }
                }
                (r, e) => panic!("{mode:?} {name}: got {r:?}, expected {e:?}"),
            }
        }
    }
}
