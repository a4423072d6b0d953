//! The request body: form or JSON, read into single-valued parameters.

use std::collections::BTreeMap;

use axum::http::{HeaderMap, header};
use serde_json::Value;

use super::TokenError;

/// Parses a urlencoded or JSON body into single-valued parameters.
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
            let s = v.as_str().ok_or_else(|| {
                TokenError::InvalidRequest(format!("Parameter '{k}' must be a string"))
            })?;
            out.insert(k.clone(), s.to_owned());
        }
    } else if ct.starts_with("application/x-www-form-urlencoded") {
        for (k, v) in url::form_urlencoded::parse(body) {
            if out.insert(k.to_string(), v.into_owned()).is_some() {
                return Err(TokenError::InvalidRequest(format!(
                    "Parameter '{k}' must not be repeated"
                )));
            }
        }
    } else {
        return Err(TokenError::InvalidRequest(
            "Content-Type must be application/x-www-form-urlencoded or application/json".into(),
        ));
    }
    Ok(out)
}
