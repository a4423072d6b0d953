//! Token Vault: Auth0's federated-connection grant
//! (`urn:auth0:params:oauth:grant-type:token-exchange:federated-connection-access-token`).
//!
//! An API's Custom API client sends a user's access token for that API and a `connection`; the
//! tenant answers with the upstream provider's access token it holds for that user (`sub`) and
//! connection (`[[token_vault]]`), or 401 `federated_connection_refresh_token_not_found` when
//! the user has not connected that account. Users are whatever the subject token's `sub` says,
//! so this works with any user source.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::token_exchange::{acts_for_subject_audience, required, user_of};
use super::{TokenError, subject_token};
use crate::config::{ACCESS_TOKEN_TYPE, ApplicationConfig, FEDERATED_CONNECTION_TOKEN_TYPE};
use crate::tenant::state::TenantState;

pub(super) fn grant(
    st: &TenantState,
    params: &BTreeMap<String, String>,
    app: &ApplicationConfig,
) -> Result<Value, TokenError> {
    let subject_token = required(params, "subject_token")?;
    let subject_type = required(params, "subject_token_type")?;
    let requested = required(params, "requested_token_type")?;
    let connection = required(params, "connection")?;
    if subject_type != ACCESS_TOKEN_TYPE || requested != FEDERATED_CONNECTION_TOKEN_TYPE {
        return Err(TokenError::InvalidRequest(
            "Invalid subject_token_type and requested_token_type combination.".into(),
        ));
    }
    if params.contains_key("audience") {
        return Err(TokenError::InvalidRequest(
            "Parameter 'audience' is not allowed for this grant".into(),
        ));
    }
    let subject = subject_token::verify_own(st, subject_token)?;
    acts_for_subject_audience(st, app, &subject)?;
    let user = user_of(&subject)?;
    let hint = params.get("login_hint");
    let snapshot = st.config();
    let entry = snapshot
        .token_vault
        .iter()
        .find(|v| {
            v.user == user
                && v.connection == connection
                && v.login_hint.as_ref().is_none_or(|h| Some(h) == hint)
        })
        .ok_or(TokenError::FederatedConnectionNotFound)?;
    let mut body = json!({
        "access_token": entry.access_token,
        "expires_in": entry.expires_in,
        "issued_token_type": FEDERATED_CONNECTION_TOKEN_TYPE,
        "token_type": "Bearer",
    });
    if let Some(scope) = &entry.scope {
        body["scope"] = json!(scope);
    }
    Ok(body)
}
