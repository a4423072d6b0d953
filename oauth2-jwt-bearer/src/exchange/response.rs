//! Reading the token endpoint's answer: a 200 token response into [`ExchangedToken`], anything
//! else into [`ExchangeError::Endpoint`], as auth0-api-python reads them.

use serde_json::{Map, Value};

use super::error::{ExchangeError, RateLimit};

/// Largest token-endpoint response read.
pub(crate) const MAX_RESPONSE_BYTES: usize = 64 * 1024;

/// `expires_in` when the endpoint leaves it out (auth0-api-python's default).
const DEFAULT_EXPIRES_IN: u64 = 3600;

/// A token the tenant issued in exchange (auth0-api-python's result dictionary).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExchangedToken {
    /// The new access token (for Token Vault: the upstream provider's).
    pub access_token: String,
    /// Its lifetime in seconds.
    pub expires_in: u64,
    /// When it expires (unix seconds), computed from `expires_in` and the client's clock.
    pub expires_at: u64,
    /// Granted scopes, when the endpoint said.
    pub scope: Option<String>,
    /// An ID token, when issued.
    pub id_token: Option<String>,
    /// A refresh token, when issued.
    pub refresh_token: Option<String>,
    /// `Bearer` or `DPoP`, when the endpoint said.
    pub token_type: Option<String>,
    /// The RFC 8693 type of the issued token, when the endpoint said.
    pub issued_token_type: Option<String>,
}

/// A 200 body as a token, with auth0-api-python's leniency (a numeric-string `expires_in`)
/// and strictness (no access token, or a negative or non-numeric `expires_in`, is a 502).
pub(crate) fn parse_token(body: &[u8], now: f64) -> Result<ExchangedToken, ExchangeError> {
    let doc: Map<String, Value> = serde_json::from_slice(body)
        .map_err(|_| ExchangeError::InvalidResponse("Token endpoint returned invalid JSON."))?;
    let access_token = match doc.get("access_token") {
        Some(Value::String(t)) if !t.is_empty() => t.clone(),
        _ => {
            return Err(ExchangeError::InvalidResponse(
                "Missing or invalid access_token in response.",
            ));
        }
    };
    let expires_in = match doc.get("expires_in") {
        None => DEFAULT_EXPIRES_IN as i128,
        Some(Value::Number(n)) => {
            n.as_i64()
                .map(i128::from)
                .ok_or(ExchangeError::InvalidResponse(
                    "expires_in is not an integer.",
                ))?
        }
        Some(Value::String(s)) => s
            .trim()
            .parse::<i128>()
            .map_err(|_| ExchangeError::InvalidResponse("expires_in is not an integer."))?,
        Some(_) => {
            return Err(ExchangeError::InvalidResponse(
                "expires_in is not an integer.",
            ));
        }
    };
    let expires_in = u64::try_from(expires_in)
        .map_err(|_| ExchangeError::InvalidResponse("expires_in cannot be negative."))?;
    let text = |name: &str| doc.get(name).and_then(Value::as_str).map(str::to_owned);
    Ok(ExchangedToken {
        access_token,
        expires_in,
        expires_at: (now.max(0.0) as u64).saturating_add(expires_in),
        scope: text("scope"),
        id_token: text("id_token"),
        refresh_token: text("refresh_token"),
        token_type: text("token_type"),
        issued_token_type: text("issued_token_type"),
    })
}

/// A non-200 answer: the endpoint's `error` and `error_description` when it sent JSON, else
/// `fallback_code` and `fallback_description`; a 429 keeps its rate-limit headers.
pub(crate) fn endpoint_error(
    status: u16,
    headers: &http::HeaderMap,
    body: &[u8],
    fallback_code: &str,
    fallback_description: String,
) -> ExchangeError {
    let is_json = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.to_ascii_lowercase().contains("json"));
    let doc: Map<String, Value> = if is_json {
        serde_json::from_slice(body).unwrap_or_default()
    } else {
        Map::new()
    };
    let text = |name: &str| doc.get(name).and_then(Value::as_str).map(str::to_owned);
    ExchangeError::Endpoint {
        status,
        error: text("error").unwrap_or_else(|| fallback_code.to_owned()),
        description: text("error_description").unwrap_or(fallback_description),
        rate_limit: (status == 429).then(|| RateLimit::from_headers(headers)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_responses_are_read_as_auth0_api_python_reads_them() {
        let t = parse_token(
            br#"{"access_token":"a","expires_in":"60","scope":""}"#,
            1000.5,
        )
        .unwrap();
        assert_eq!((t.expires_in, t.expires_at), (60, 1060));
        assert_eq!(t.scope.as_deref(), Some(""));
        assert_eq!(t.id_token, None);
        let t = parse_token(br#"{"access_token":"a"}"#, 0.0).unwrap();
        assert_eq!(t.expires_in, 3600);
        let e = |b: &[u8]| parse_token(b, 0.0).unwrap_err().to_string();
        assert_eq!(e(b"<html>"), "Token endpoint returned invalid JSON.");
        assert_eq!(e(b"[1]"), "Token endpoint returned invalid JSON.");
        assert_eq!(
            e(br#"{"access_token":""}"#),
            "Missing or invalid access_token in response."
        );
        assert_eq!(
            e(br#"{"access_token":7}"#),
            "Missing or invalid access_token in response."
        );
        assert_eq!(
            e(br#"{"access_token":"a","expires_in":"x"}"#),
            "expires_in is not an integer."
        );
        assert_eq!(
            e(br#"{"access_token":"a","expires_in":1.5}"#),
            "expires_in is not an integer."
        );
        assert_eq!(
            e(br#"{"access_token":"a","expires_in":null}"#),
            "expires_in is not an integer."
        );
        assert_eq!(
            e(br#"{"access_token":"a","expires_in":-1}"#),
            "expires_in cannot be negative."
        );
        assert_eq!(
            parse_token(br#"{"access_token":"a"}"#, 0.0)
                .map(|_| ())
                .ok(),
            Some(())
        );
        assert_eq!(ExchangeError::InvalidResponse("x").status(), 502);
    }
}
