//! RFC 7591 §2 client metadata, read and checked: what a registration may ask for, and the
//! third-party application it becomes. Unknown members are ignored (§2); members that would
//! make the client something a stranger must not create (first-party, machine-to-machine,
//! password grants) are refused or overridden here, whatever the request says.

use serde_json::Value;

use crate::config::{
    AppType, ApplicationConfig, AuthMethod, GrantType, is_displayable_name, is_loopback_host,
};

/// Largest registration request read (bytes of JSON).
pub(crate) const MAX_BYTES: usize = 16 * 1024;
/// Most redirect URIs one client may register.
const MAX_REDIRECT_URIS: usize = 10;
/// Longest redirect URI.
const MAX_URI_LEN: usize = 2048;
/// Longest `client_name` (Auth0's application name limit).
const MAX_NAME_LEN: usize = 128;

/// A refused registration: its RFC 7591 §3.2.2 error code and description.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Refused {
    /// `invalid_redirect_uri`.
    #[error("{0}")]
    RedirectUri(String),
    /// `invalid_client_metadata`.
    #[error("{0}")]
    Metadata(String),
}

impl Refused {
    pub(crate) fn code(&self) -> &'static str {
        match self {
            Refused::RedirectUri(_) => "invalid_redirect_uri",
            Refused::Metadata(_) => "invalid_client_metadata",
        }
    }
}

fn metadata(s: impl Into<String>) -> Refused {
    Refused::Metadata(s.into())
}

/// A redirect URI a registered client may use: `https`, or `http` on a loopback host (RFC
/// 8252 §7.3); no fragment (RFC 6749 §3.1.2), no userinfo. `javascript:`, `data:`, `file:` and
/// every other scheme are refused.
fn check_redirect_uri(raw: &str) -> Result<(), Refused> {
    let bad = |why: &str| Refused::RedirectUri(format!("redirect_uri {}: {why}", shorten(raw)));
    if raw.len() > MAX_URI_LEN {
        return Err(bad("too long"));
    }
    let u = url::Url::parse(raw).map_err(|_| bad("not an absolute URI"))?;
    if u.fragment().is_some() {
        return Err(bad("must not have a fragment"));
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err(bad("must not have userinfo"));
    }
    let loopback = is_loopback_host(&u);
    match u.scheme() {
        "https" if u.host().is_some() => Ok(()),
        "http" if loopback => Ok(()),
        "http" => Err(bad("http is allowed on a loopback host only")),
        _ => Err(bad("only https, or http on a loopback host, is allowed")),
    }
}

/// At most 80 characters of attacker text in a description.
fn shorten(s: &str) -> String {
    let cut: String = s.chars().take(80).collect();
    if cut.len() < s.len() {
        format!("{cut}...")
    } else {
        cut
    }
}

fn strings(doc: &Value, member: &str) -> Result<Option<Vec<String>>, Refused> {
    match doc.get(member) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| metadata(format!("{member} must be an array of strings")))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(metadata(format!("{member} must be an array of strings"))),
    }
}

/// The application a registration request describes, with `client_id` and secret given.
pub(crate) fn application(
    doc: &Value,
    client_id: String,
    secret: impl FnOnce() -> String,
) -> Result<ApplicationConfig, Refused> {
    if !doc.is_object() {
        return Err(metadata("The request body must be a JSON object"));
    }
    let redirect_uris = strings(doc, "redirect_uris")?.unwrap_or_default();
    if redirect_uris.is_empty() {
        return Err(Refused::RedirectUri(
            "redirect_uris is required (the authorization code grant needs one)".into(),
        ));
    }
    if redirect_uris.len() > MAX_REDIRECT_URIS {
        return Err(Refused::RedirectUri(format!(
            "at most {MAX_REDIRECT_URIS} redirect_uris"
        )));
    }
    for uri in &redirect_uris {
        check_redirect_uri(uri)?;
    }
    let grant_types = match strings(doc, "grant_types")? {
        None => vec![GrantType::AuthorizationCode],
        Some(names) => names
            .iter()
            .map(|n| match GrantType::from_name(n) {
                Some(g @ (GrantType::AuthorizationCode | GrantType::RefreshToken)) => Ok(g),
                _ => Err(metadata(format!(
                    "grant_type {} is not allowed for a registered client (authorization_code, refresh_token)",
                    shorten(n)
                ))),
            })
            .collect::<Result<Vec<_>, _>>()?,
    };
    if !grant_types.contains(&GrantType::AuthorizationCode) {
        return Err(metadata("grant_types must include authorization_code"));
    }
    if let Some(types) = strings(doc, "response_types")?
        && types.iter().any(|t| t != "code")
    {
        return Err(metadata("response_types may only be [\"code\"]"));
    }
    let method = match doc.get("token_endpoint_auth_method") {
        None => None,
        Some(Value::String(m)) => Some(m.as_str()),
        // Not a string: refused, never read as "omitted" (a confidential client by default).
        Some(_) => {
            return Err(metadata("token_endpoint_auth_method must be a string"));
        }
    };
    let method = match method {
        // RFC 7591 §2: client_secret_basic when omitted.
        None | Some("client_secret_basic") => AuthMethod::ClientSecretBasic,
        Some("client_secret_post") => AuthMethod::ClientSecretPost,
        Some("none") => AuthMethod::None,
        Some(other) => {
            return Err(metadata(format!(
                "token_endpoint_auth_method {} is not supported (none, client_secret_post, client_secret_basic)",
                shorten(other)
            )));
        }
    };
    let name = match doc.get("client_name") {
        None | Some(Value::Null) => None,
        // The login page shows it to people: nothing that makes it read as another name.
        Some(Value::String(s)) if !is_displayable_name(s) => {
            return Err(metadata(
                "client_name must not contain control, invisible or bidirectional-text characters",
            ));
        }
        Some(Value::String(s)) if s.chars().count() <= MAX_NAME_LEN => Some(s.clone()),
        Some(_) => {
            return Err(metadata(format!(
                "client_name must be a string of at most {MAX_NAME_LEN} characters"
            )));
        }
    };
    let public = method == AuthMethod::None;
    Ok(ApplicationConfig {
        name,
        // Auth0 registers third-party applications, whatever the request says.
        is_first_party: false,
        app_type: if public {
            AppType::Native
        } else {
            AppType::RegularWeb
        },
        grant_types: Some(grant_types),
        token_endpoint_auth_method: Some(method),
        callbacks: redirect_uris,
        allowed_logout_urls: Vec::new(),
        web_origins: Vec::new(),
        client_secret: if public { String::new() } else { secret() },
        ..ApplicationConfig::machine(&client_id, "")
    })
}
