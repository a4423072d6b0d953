//! The `act` claim (RFC 8693 §4.1) of a verified token: who is acting for the subject.
//! auth0-api-python's `get_current_actor` and `get_delegation_chain`.
//!
//! Only the outermost `act.sub` (the current actor) should drive authorization decisions;
//! nested `act` values are earlier actors, for audit.

use serde_json::Value;

use crate::claims::Claims;

/// Most actors read from one chain: Auth0 issues at most 4, and a longer chain in a token
/// signed by someone else is not walked without bound.
pub const MAX_DELEGATION_CHAIN: usize = 16;

/// An `act` claim that is not an object with a non-blank string `sub` at every level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("Invalid act claim")]
pub struct InvalidActClaim;

/// The current actor: the outermost `act.sub`, or `None` without an `act` claim.
pub fn current_actor(claims: &Claims) -> Result<Option<&str>, InvalidActClaim> {
    match claims.get("act").filter(|v| !v.is_null()) {
        None => Ok(None),
        Some(act) => actor_sub(act).map(Some),
    }
}

/// Every actor, the current one (outermost) first; empty without an `act` claim.
pub fn delegation_chain(claims: &Claims) -> Result<Vec<&str>, InvalidActClaim> {
    let mut chain = Vec::new();
    let mut next = claims.get("act").filter(|v| !v.is_null());
    while let Some(act) = next {
        if chain.len() == MAX_DELEGATION_CHAIN {
            return Err(InvalidActClaim);
        }
        chain.push(actor_sub(act)?);
        next = act.get("act").filter(|v| !v.is_null());
    }
    Ok(chain)
}

fn actor_sub(act: &Value) -> Result<&str, InvalidActClaim> {
    act.as_object()
        .and_then(|o| o.get("sub"))
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
        .ok_or(InvalidActClaim)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims(v: Value) -> Claims {
        Claims::new(v.as_object().cloned().unwrap())
    }

    #[test]
    fn outermost_actor_first() {
        let c =
            claims(json!({"sub": "auth0|alice", "act": {"sub": "api-b", "act": {"sub": "api-a"}}}));
        assert_eq!(current_actor(&c), Ok(Some("api-b")));
        assert_eq!(delegation_chain(&c), Ok(vec!["api-b", "api-a"]));
        let none = claims(json!({"sub": "x"}));
        assert_eq!(current_actor(&none), Ok(None));
        assert_eq!(delegation_chain(&none), Ok(vec![]));
        let null = claims(json!({"act": null}));
        assert_eq!(current_actor(&null), Ok(None));
    }

    #[test]
    fn malformed_act_claims_are_refused() {
        for act in [
            json!("api"),
            json!({}),
            json!({"sub": " "}),
            json!({"sub": 7}),
            json!({"sub": "a", "act": {"sub": ""}}),
            json!({"sub": "a", "act": []}),
        ] {
            let c = claims(json!({ "act": act }));
            assert!(delegation_chain(&c).is_err(), "{act}");
        }
        assert_eq!(
            current_actor(&claims(json!({"act": []}))),
            Err(InvalidActClaim)
        );
        let mut deep = json!({"sub": "last"});
        for i in 0..MAX_DELEGATION_CHAIN {
            deep = json!({"sub": format!("a{i}"), "act": deep});
        }
        assert_eq!(
            delegation_chain(&claims(json!({ "act": deep }))),
            Err(InvalidActClaim)
        );
    }
}
