//! Client authentication: HTTP Basic (RFC 6749 §2.3.1) or `client_secret_post`.

use std::collections::BTreeMap;

use axum::http::{HeaderMap, header};

use super::TokenError;
use crate::config::{ApplicationConfig, GrantType, TenantConfig};

/// Client credentials from HTTP Basic (RFC 6749 §2.3.1) or the body, never both.
pub(crate) fn client_credentials(
    headers: &HeaderMap,
    params: &BTreeMap<String, String>,
) -> Result<(String, String), TokenError> {
    let basic = match headers.get(header::AUTHORIZATION) {
        None => None,
        Some(v) => {
            let v = v
                .to_str()
                .map_err(|_| TokenError::InvalidClient("Malformed Authorization header".into()))?;
            let (scheme, rest) = v.split_once(' ').unwrap_or((v, ""));
            if !scheme.eq_ignore_ascii_case("basic") {
                return Err(TokenError::InvalidClient(
                    "Unsupported client authentication scheme".into(),
                ));
            }
            use base64::Engine as _;
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(rest.trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| TokenError::InvalidClient("Malformed Basic credentials".into()))?;
            let (id, secret) = decoded
                .split_once(':')
                .ok_or_else(|| TokenError::InvalidClient("Malformed Basic credentials".into()))?;
            Some((form_decode(id), form_decode(secret)))
        }
    };
    let post = params.get("client_id").map(|id| {
        (
            id.clone(),
            params.get("client_secret").cloned().unwrap_or_default(),
        )
    });
    match (basic, post) {
        (Some(_), Some(_)) => Err(TokenError::InvalidRequest(
            "Client authentication must use exactly one method".into(),
        )),
        (Some(c), None) | (None, Some(c)) => Ok(c),
        (None, None) => Err(TokenError::InvalidClient(
            "Client authentication is required".into(),
        )),
    }
}

fn form_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("v={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// The application making a user-flow request (authorization code, refresh, revoke): a
/// confidential one proves its secret; a public one (`token_endpoint_auth_method = "none"`)
/// names itself with `client_id` alone. `grant` is checked against the application's
/// allowed grants.
pub(crate) fn authenticate<'a>(
    cfg: &'a TenantConfig,
    headers: &HeaderMap,
    params: &BTreeMap<String, String>,
    grant: Option<GrantType>,
) -> Result<&'a ApplicationConfig, TokenError> {
    let unauthorized = || TokenError::InvalidClient("Unauthorized".into());
    let secret_sent =
        headers.contains_key(header::AUTHORIZATION) || params.contains_key("client_secret");
    let app = if secret_sent {
        let (id, secret) = client_credentials(headers, params)?;
        cfg.application(&id)
            .filter(|a| !a.client_secret.is_empty())
            .filter(|a| {
                aws_lc_rs::constant_time::verify_slices_are_equal(
                    a.client_secret.as_bytes(),
                    secret.as_bytes(),
                )
                .is_ok()
            })
            .ok_or_else(unauthorized)?
    } else {
        let id = params.get("client_id").ok_or_else(|| {
            TokenError::InvalidRequest("Missing required parameter: client_id".into())
        })?;
        cfg.application(id)
            .filter(|a| a.is_public())
            .ok_or_else(unauthorized)?
    };
    if let Some(g) = grant
        && !app.allows(g)
    {
        return Err(TokenError::UnauthorizedClient(format!(
            "Grant type '{}' not allowed for the client.",
            g.as_str()
        )));
    }
    Ok(app)
}
