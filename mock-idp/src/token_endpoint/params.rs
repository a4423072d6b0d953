//! The request body: form or JSON, read into single-valued parameters.

use std::collections::BTreeMap;

use axum::http::{HeaderMap, header};
use serde_json::Value;

use super::TokenError;

/// The parameters this endpoint reads: RFC 6749 §3.2 forbids repeating them.
const SINGLE_VALUED: &[&str] = &[
    "grant_type",
    "client_id",
    "client_secret",
    "client_assertion",
    "client_assertion_type",
    "audience",
    // RFC 8707 allows several; Auth0 names one API per token.
    "resource",
    "scope",
    "organization",
    "code",
    "code_verifier",
    "redirect_uri",
    "refresh_token",
    "subject_token",
    "subject_token_type",
    "actor_token",
    "actor_token_type",
    "requested_token_type",
    "connection",
    "login_hint",
    "username",
    "password",
    "realm",
    "mfa_token",
    "otp",
    "recovery_code",
    "device_code",
    // `POST /oauth/revoke`.
    "token",
    "token_type_hint",
];

/// Parses a urlencoded or JSON body into single-valued parameters, as Auth0 reads them: the
/// two encodings are equivalent, and an empty value is the same as an absent one (Auth0's
/// Python SDK sends `"organization": null` and `"scope": ""` on every client_credentials call).
pub(crate) fn parse_params(
    headers: &HeaderMap,
    body: &[u8],
) -> Result<BTreeMap<String, String>, TokenError> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/x-www-form-urlencoded")
        .to_ascii_lowercase();
    let mut out = BTreeMap::new();
    if ct.starts_with("application/json") {
        let v: Value = serde_json::from_slice(body)
            .map_err(|_| TokenError::InvalidRequest("Request body is not valid JSON".into()))?;
        let obj = v.as_object().ok_or_else(|| {
            TokenError::InvalidRequest("Request body must be a JSON object".into())
        })?;
        for (k, v) in obj {
            if let Some(v) = json_param(k, v)? {
                out.insert(k.clone(), v);
            }
        }
    } else if ct.starts_with("application/x-www-form-urlencoded") {
        let mut seen = std::collections::BTreeSet::new();
        for (k, v) in url::form_urlencoded::parse(body) {
            if !seen.insert(k.clone()) {
                if SINGLE_VALUED.contains(&k.as_ref()) {
                    return Err(TokenError::InvalidRequest(format!(
                        "Parameter '{k}' must not be repeated"
                    )));
                }
                // An extension parameter with several values (auth0-api-python and our
                // client send `extra` arrays so): no grant reads it; the first value stays.
                continue;
            }
            if !v.is_empty() {
                out.insert(k.into_owned(), v.into_owned());
            }
        }
    } else {
        return Err(TokenError::InvalidRequest(
            "Content-Type must be application/x-www-form-urlencoded or application/json".into(),
        ));
    }
    Ok(out)
}

/// One JSON member as a parameter: `null` and `""` are absent, numbers and booleans are their
/// JSON text (Auth0 takes `"expires_in": 60` and `"expires_in": "60"` alike); arrays and objects
/// are refused.
fn json_param(name: &str, value: &Value) -> Result<Option<String>, TokenError> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) if s.is_empty() => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        Value::Bool(b) => Ok(Some(b.to_string())),
        Value::Number(n) => Ok(Some(n.to_string())),
        Value::Array(_) | Value::Object(_) => Err(TokenError::InvalidRequest(format!(
            "Parameter '{name}' must be a string"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn json_body(body: &str) -> Result<BTreeMap<String, String>, TokenError> {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        parse_params(&h, body.as_bytes())
    }

    #[test]
    fn json_null_and_empty_are_absent_and_scalars_are_text() {
        let p = json_body(
            r#"{"grant_type":"client_credentials","organization":null,"scope":"","n":60,"b":true}"#,
        )
        .unwrap();
        assert_eq!(
            p,
            BTreeMap::from([
                ("b".to_owned(), "true".to_owned()),
                ("grant_type".to_owned(), "client_credentials".to_owned()),
                ("n".to_owned(), "60".to_owned()),
            ])
        );
        let e = json_body(r#"{"scope":["a"]}"#).unwrap_err();
        assert_eq!(e.to_string(), "Parameter 'scope' must be a string");
    }

    #[test]
    fn form_empty_values_are_absent_and_repeats_refused() {
        let h = HeaderMap::new();
        let p = parse_params(&h, b"grant_type=client_credentials&scope=").unwrap();
        assert_eq!(p.len(), 1);
        let e = parse_params(&h, b"scope=&scope=a").unwrap_err();
        assert_eq!(e.to_string(), "Parameter 'scope' must not be repeated");
        // Extension parameters may repeat (arrays); the first value is kept.
        let p = parse_params(&h, b"grant_type=x&resource_hint=a&resource_hint=b").unwrap();
        assert_eq!(p["resource_hint"], "a");
    }
}
