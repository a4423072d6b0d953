//! The `api` calls an Action made, applied in the order it made them.
//!
//! Custom claims follow Auth0's rules: a restricted claim name (`sub`, `scope`, `permissions`,
//! ...: [`crate::config::RESTRICTED_CLAIMS`]) or a name in the `auth0.com`, `webtask.io` or
//! `webtask.run` namespaces is dropped silently on Auth0; here it is dropped too, and reported
//! in the execution's record and the log.

use serde_json::{Map, Value};

use crate::config::ActionTrigger;
use crate::config::custom_claim_problem;

/// Most calls one execution may make (a loop calling `setCustomClaim` forever fails the
/// execution instead of growing a token without bound).
const MAX_CALLS: usize = 1000;
/// Most bytes of custom claims one flow may add to a token.
const MAX_CLAIM_BYTES: usize = 64 * 1024;

/// What the Actions of one flow ask of its tokens.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct TokenChanges {
    /// `api.accessToken.setCustomClaim`.
    pub(crate) access_claims: Map<String, Value>,
    /// `api.idToken.setCustomClaim`.
    pub(crate) id_claims: Map<String, Value>,
    /// `api.accessToken.addScope` (true) and `removeScope` (false), in call order.
    pub(crate) scope_ops: Vec<(bool, String)>,
}

impl TokenChanges {
    /// Bytes it holds, for the stores that keep it (authorization codes).
    pub(crate) fn footprint(&self) -> usize {
        let claims = |m: &Map<String, Value>| {
            if m.is_empty() {
                0
            } else {
                Value::Object(m.clone()).to_string().len()
            }
        };
        claims(&self.access_claims)
            + claims(&self.id_claims)
            + self
                .scope_ops
                .iter()
                .map(|(_, s)| s.len() + 8)
                .sum::<usize>()
    }

    /// The access token's scopes: `base` with the calls replayed in order.
    pub(crate) fn scopes(&self, base: &[String]) -> Vec<String> {
        let mut out: Vec<String> = base.to_vec();
        for (add, s) in &self.scope_ops {
            if *add {
                if !out.contains(s) {
                    out.push(s.clone());
                }
            } else {
                out.retain(|o| o != s);
            }
        }
        out
    }
}

/// The effects of one execution beyond its token changes.
#[derive(Debug, Default)]
pub(crate) struct Applied {
    /// `api.access.deny`'s reason.
    pub(crate) denied: Option<String>,
    /// credentials-exchange's deny code.
    pub(crate) deny_code: Option<String>,
    /// `(app_metadata?, key, value)` writes, in order.
    pub(crate) metadata: Vec<(bool, String, Value)>,
    /// Claims dropped, each with the reason.
    pub(crate) dropped: Vec<String>,
}

/// Applies `calls` (`[[name, args...], ...]` from the worker) to `changes`. An error fails
/// the execution: a call mock-idp does not support, or a malformed answer.
pub(crate) fn apply(
    trigger: ActionTrigger,
    calls: &Value,
    changes: &mut TokenChanges,
) -> Result<Applied, String> {
    let mut out = Applied::default();
    let Some(calls) = calls.as_array() else {
        return Ok(out);
    };
    if calls.len() > MAX_CALLS {
        return Err(format!("more than {MAX_CALLS} api calls in one execution"));
    }
    for call in calls {
        let args = call.as_array().map(Vec::as_slice).unwrap_or(&[]);
        let text = |i: usize| args.get(i).and_then(Value::as_str).unwrap_or("").to_owned();
        let value = || args.get(2).cloned().unwrap_or(Value::Null);
        match (trigger, text(0).as_str()) {
            (_, "accessToken.setCustomClaim") => {
                set_claim(
                    &mut changes.access_claims,
                    &text(1),
                    value(),
                    "access",
                    &mut out,
                )?;
            }
            (ActionTrigger::PostLogin, "idToken.setCustomClaim") => {
                set_claim(&mut changes.id_claims, &text(1), value(), "ID", &mut out)?;
            }
            (ActionTrigger::PostLogin, "accessToken.addScope") => {
                changes.scope_ops.push((true, text(1)));
            }
            (ActionTrigger::PostLogin, "accessToken.removeScope") => {
                changes.scope_ops.push((false, text(1)));
            }
            (ActionTrigger::PostLogin, "access.deny") => {
                out.denied.get_or_insert(text(1));
            }
            (ActionTrigger::CredentialsExchange, "access.deny") => {
                if out.denied.is_none() {
                    out.deny_code = Some(text(1));
                    out.denied = Some(text(2));
                }
            }
            (ActionTrigger::PostLogin, "user.setAppMetadata") => {
                out.metadata.push((true, text(1), value()));
            }
            (ActionTrigger::PostLogin, "user.setUserMetadata") => {
                out.metadata.push((false, text(1), value()));
            }
            (_, "unsupported") => {
                return Err(format!(
                    "{} is not supported by mock-idp (redirects out of a login need Auth0's /continue)",
                    text(1)
                ));
            }
            (_, other) => return Err(format!("unknown api call `{other}`")),
        }
    }
    Ok(out)
}

fn set_claim(
    claims: &mut Map<String, Value>,
    name: &str,
    value: Value,
    token: &str,
    out: &mut Applied,
) -> Result<(), String> {
    if let Some(problem) = custom_claim_problem(name) {
        out.dropped.push(format!(
            "{token} token claim dropped, as Auth0 drops it: {problem}"
        ));
        return Ok(());
    }
    claims.insert(name.to_owned(), value);
    if Value::Object(claims.clone()).to_string().len() > MAX_CLAIM_BYTES {
        return Err(format!(
            "the custom claims of the {token} token are over {MAX_CLAIM_BYTES} bytes"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scope_calls_replay_in_order() {
        let c = TokenChanges {
            scope_ops: vec![
                (true, "extra".into()),
                (false, "read".into()),
                (false, "extra".into()),
                (true, "extra".into()),
            ],
            ..TokenChanges::default()
        };
        assert_eq!(
            c.scopes(&["read".into(), "write".into()]),
            ["write", "extra"]
        );
    }

    #[test]
    fn restricted_claims_are_dropped_and_reported() {
        let mut c = TokenChanges::default();
        let calls = json!([
            ["accessToken.setCustomClaim", "sub", "evil"],
            [
                "accessToken.setCustomClaim",
                "https://x.auth0.com/role",
                "a"
            ],
            [
                "accessToken.setCustomClaim",
                "https://example.com/role",
                "admin"
            ]
        ]);
        let a = apply(ActionTrigger::PostLogin, &calls, &mut c).unwrap();
        assert_eq!(a.dropped.len(), 2, "{:?}", a.dropped);
        assert_eq!(c.access_claims.len(), 1);
        assert_eq!(c.access_claims["https://example.com/role"], "admin");
    }

    #[test]
    fn post_login_calls_are_refused_on_credentials_exchange() {
        let mut c = TokenChanges::default();
        let calls = json!([["idToken.setCustomClaim", "x", 1]]);
        assert!(apply(ActionTrigger::CredentialsExchange, &calls, &mut c).is_err());
    }
}
