//! Exchange actions: the Rust closures that stand in for Auth0's Custom Token Exchange Action.
//!
//! In Auth0, a Token Exchange Profile runs an Action that validates the subject token and
//! names the user (`api.authentication.setUserById`), or refuses
//! (`api.access.rejectInvalidSubjectToken`, `api.access.deny`). Here a profile with
//! `validation = "action"` calls the closure registered under its `action` name:
//!
//! ```
//! use mock_idp::exchange::{ActionDenial, ExchangeDecision};
//! # let _ =
//! mock_idp::MockTenant::builder().exchange_action("legacy-sso", |req| {
//!     match req.subject_token.strip_prefix("legacy:") {
//!         Some(user) => Ok(ExchangeDecision::user(format!("legacy|{user}"))),
//!         None => Err(ActionDenial::InvalidSubjectToken("not a legacy token".into())),
//!     }
//! });
//! ```

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Map, Value};

/// What the action sees of the request (Auth0's `event.transaction` and `event.client`).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ExchangeRequest {
    /// The subject token, unverified: checking it is the action's job.
    pub subject_token: String,
    /// Its declared type.
    pub subject_token_type: String,
    /// The calling application.
    pub client_id: String,
    /// The audience the token will be issued for.
    pub audience: String,
    /// Every body parameter of the request (including `extra` ones a client sent).
    pub params: BTreeMap<String, String>,
}

/// The action's verdict: the user the new token is for, and claims to add.
#[derive(Debug, Clone)]
#[must_use]
pub struct ExchangeDecision {
    pub(crate) user_id: String,
    pub(crate) claims: Map<String, Value>,
}

impl ExchangeDecision {
    /// The token is for this user id (`sub`), like `api.authentication.setUserById`.
    pub fn user(user_id: impl Into<String>) -> Self {
        ExchangeDecision {
            user_id: user_id.into(),
            claims: Map::new(),
        }
    }

    /// Adds a claim to the access token (`api.accessToken.setCustomClaim`). Registered claims
    /// (`iss`, `sub`, `aud`, `exp`, `iat`, `azp`, `scope`, `act`, `cnf`...) are ignored.
    pub fn claim(mut self, name: &str, value: Value) -> Self {
        self.claims.insert(name.to_owned(), value);
        self
    }
}

/// Why an action refused the exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ActionDenial {
    /// `api.access.rejectInvalidSubjectToken(reason)`: 400 `invalid_request`.
    InvalidSubjectToken(String),
    /// `api.access.deny(code, reason)`: 403 with that code.
    Deny {
        /// The `error` code.
        code: String,
        /// The `error_description`.
        reason: String,
    },
}

/// A registered action.
pub type ExchangeAction =
    Arc<dyn Fn(&ExchangeRequest) -> Result<ExchangeDecision, ActionDenial> + Send + Sync>;

/// Claims an action may not set: the tenant decides them.
pub(crate) const PROTECTED_CLAIMS: [&str; 14] = [
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "nbf",
    "jti",
    "azp",
    "client_id",
    "scope",
    "permissions",
    "act",
    "cnf",
    "gty",
];

/// The registered actions by name (`TenantBuilder::exchange_action`).
#[derive(Clone, Default)]
pub(crate) struct ExchangeActions(pub(crate) BTreeMap<String, ExchangeAction>);

impl std::fmt::Debug for ExchangeActions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}
