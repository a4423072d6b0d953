//! Client authentication: HTTP Basic (RFC 6749 §2.3.1), `client_secret_post`, or none for a
//! public application (SPA, native), as the application's `token_endpoint_auth_method` says.

use std::collections::BTreeMap;

use aws_lc_rs::constant_time::verify_slices_are_equal;
use axum::http::{HeaderMap, header};

use super::TokenError;
use crate::config::{ApplicationConfig, AuthMethod, TenantConfig};

/// The credentials a request presented.
struct Presented {
    client_id: String,
    secret: Option<String>,
    basic: bool,
}

/// The application the request authenticates as. Every failure is Auth0's 401 `access_denied`
/// "Unauthorized", whatever went wrong: a caller learns nothing about which client ids exist.
///
/// `document_client` is the client ID metadata document client a URL `client_id` names
/// (always public).
pub(crate) fn authenticate<'c>(
    config: &'c TenantConfig,
    document_client: Option<&'c ApplicationConfig>,
    headers: &HeaderMap,
    params: &BTreeMap<String, String>,
) -> Result<&'c ApplicationConfig, TokenError> {
    let presented = presented(headers, params)?;
    let refused = TokenError::Unauthorized {
        basic: presented.basic,
    };
    let app = config
        .application(&presented.client_id)
        .or(document_client.filter(|a| a.client_id == presented.client_id))
        .ok_or(refused)?;
    let ok = match (app.auth_method(), &presented.secret) {
        // A public client proves nothing; PKCE and the redirect URI bind its requests.
        (AuthMethod::None, None) => true,
        (AuthMethod::None, Some(_)) => false,
        (_, None) => false,
        (_, Some(secret)) => {
            verify_slices_are_equal(secret.as_bytes(), app.client_secret.as_bytes()).is_ok()
        }
    };
    if ok {
        Ok(app)
    } else {
        Err(TokenError::Unauthorized {
            basic: presented.basic,
        })
    }
}

/// Credentials from HTTP Basic or the body, never both (RFC 6749 §2.3).
fn presented(
    headers: &HeaderMap,
    params: &BTreeMap<String, String>,
) -> Result<Presented, TokenError> {
    let basic = match headers.get(header::AUTHORIZATION) {
        None => None,
        Some(v) => Some(basic_credentials(v.to_str().unwrap_or(""))?),
    };
    match (basic, params.get("client_id")) {
        // auth0-api-python's Token Vault call sends its client_id in the body as well as in
        // Basic; naming the same client twice is not a second authentication method.
        (Some((client_id, secret)), Some(id)) if *id == client_id => Ok(Presented {
            client_id,
            secret: Some(secret),
            basic: true,
        }),
        (Some(_), Some(_)) => Err(TokenError::InvalidRequest(
            "Client authentication must use exactly one method".into(),
        )),
        (Some((client_id, secret)), None) => Ok(Presented {
            client_id,
            secret: Some(secret),
            basic: true,
        }),
        (None, Some(id)) => Ok(Presented {
            client_id: id.clone(),
            secret: params.get("client_secret").cloned(),
            basic: false,
        }),
        (None, None) => Err(TokenError::Unauthorized { basic: false }),
    }
}

/// `Basic base64(urlencode(id) ":" urlencode(secret))` (RFC 6749 §2.3.1).
fn basic_credentials(value: &str) -> Result<(String, String), TokenError> {
    use base64::Engine as _;
    let refused = || TokenError::Unauthorized { basic: true };
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(refused());
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(rest.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(refused)?;
    let (id, secret) = decoded.split_once(':').ok_or_else(refused)?;
    Ok((form_decode(id), form_decode(secret)))
}

fn form_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("v={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}
