//! A fetched client ID metadata document, checked (draft §4, §8) and turned into the
//! application the tenant treats it as: a third-party, public (native) client whose
//! `client_id` is the URL, whose callbacks are the document's `redirect_uris`, and which may
//! use the authorization code and refresh token grants only.

use serde_json::Value;

use super::DocumentError;
use crate::config::{
    AppType, ApplicationConfig, AuthMethod, GrantType, is_displayable_name, is_loopback_host,
};

/// Most redirect URIs one document may list.
const MAX_REDIRECT_URIS: usize = 10;
/// Longest `client_name` kept (Auth0's application name limit).
const MAX_NAME_LEN: usize = 128;

fn invalid(why: &'static str) -> DocumentError {
    DocumentError::Invalid(why)
}

/// The application `body` (the document's bytes) describes, fetched from `url`.
pub(crate) fn application(url: &str, body: &[u8]) -> Result<ApplicationConfig, DocumentError> {
    let doc: Value = serde_json::from_slice(body).map_err(|_| DocumentError::NotJson)?;
    let Value::Object(doc) = doc else {
        return Err(DocumentError::NotJson);
    };
    // §4.1: the document names itself; a document served at one URL cannot speak for another.
    if doc.get("client_id").and_then(Value::as_str) != Some(url) {
        return Err(DocumentError::ClientIdMismatch);
    }
    // §4.1: shared secrets have no place in a public document.
    if doc.contains_key("client_secret") || doc.contains_key("client_secret_expires_at") {
        return Err(invalid("client_secret must not be present"));
    }
    match doc.get("token_endpoint_auth_method") {
        None => {}
        Some(Value::String(m)) if m == "none" => {}
        Some(_) => {
            return Err(invalid(
                "token_endpoint_auth_method must be none (a public client)",
            ));
        }
    }
    let redirect_uris: Vec<String> = match doc.get("redirect_uris") {
        Some(Value::Array(a)) if !a.is_empty() && a.len() <= MAX_REDIRECT_URIS => a
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| invalid("redirect_uris must be an array of strings"))?,
        _ => {
            return Err(invalid("redirect_uris must be an array of 1 to 10 strings"));
        }
    };
    for uri in &redirect_uris {
        // As for a registered client: `http` only on loopback (RFC 8252 §7.3), where the code
        // does not cross the network in clear.
        let ok = url::Url::parse(uri).is_ok_and(|u| {
            u.fragment().is_none()
                && u.username().is_empty()
                && u.password().is_none()
                && u.host().is_some()
                && (u.scheme() == "https" || (u.scheme() == "http" && is_loopback_host(&u)))
        });
        if !ok {
            return Err(invalid(
                "each redirect_uri must be an absolute https URL (http on a loopback host only) without fragment or userinfo",
            ));
        }
    }
    let name = match doc.get("client_name") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if !is_displayable_name(s) => {
            return Err(invalid(
                "client_name must not contain control, invisible or bidirectional-text characters",
            ));
        }
        Some(Value::String(s)) if s.chars().count() <= MAX_NAME_LEN => Some(s.clone()),
        Some(_) => {
            return Err(invalid(
                "client_name must be a string of at most 128 characters",
            ));
        }
    };
    if let Some(types) = doc.get("grant_types") {
        let allowed = types.as_array().is_some_and(|a| {
            a.iter()
                .all(|g| matches!(g.as_str(), Some("authorization_code" | "refresh_token")))
        });
        if !allowed {
            return Err(invalid(
                "grant_types may only be authorization_code and refresh_token",
            ));
        }
    }
    if let Some(types) = doc.get("response_types")
        && types
            .as_array()
            .is_none_or(|a| a.iter().any(|t| t != "code"))
    {
        return Err(invalid("response_types may only be [\"code\"]"));
    }
    Ok(ApplicationConfig {
        name,
        is_first_party: false,
        app_type: AppType::Native,
        grant_types: Some(vec![GrantType::AuthorizationCode, GrantType::RefreshToken]),
        token_endpoint_auth_method: Some(AuthMethod::None),
        callbacks: redirect_uris,
        ..ApplicationConfig::machine(url, "")
    })
}
