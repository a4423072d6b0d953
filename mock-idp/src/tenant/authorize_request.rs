//! An authorization request once `/authorize` has validated it: what a login transaction
//! carries to the login form and back, and what the code is then bound to. The response
//! modes and OIDC scopes it may name are listed here too, for discovery to advertise.

use crate::tenant::codes::Pkce;

/// How the authorization response reaches the application.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ResponseMode {
    /// `?code=…&state=…` on the redirect URI (the default for `code`).
    Query,
    /// `#code=…&state=…`.
    Fragment,
    /// An auto-submitting HTML form POSTing to the redirect URI.
    FormPost,
    /// A page that posts the response to the window that opened or framed it (silent
    /// authentication in a hidden iframe, popups): `crate::browser::web_message`.
    WebMessage,
}

impl ResponseMode {
    /// The modes served, as discovery lists them.
    pub(crate) const NAMES: [&'static str; 4] = ["query", "fragment", "form_post", "web_message"];

    /// The mode named `s` in a request, if it is one the tenant serves.
    pub(crate) fn parse(s: &str) -> Option<Self> {
        match s {
            "query" => Some(ResponseMode::Query),
            "fragment" => Some(ResponseMode::Fragment),
            "form_post" => Some(ResponseMode::FormPost),
            "web_message" => Some(ResponseMode::WebMessage),
            _ => None,
        }
    }
}

/// The scopes of OIDC and Auth0 that are not API permissions.
pub(crate) const OIDC_SCOPES: [&str; 4] = ["openid", "profile", "email", "offline_access"];

/// A validated authorization request, carried to the login form and into the code.
#[derive(Debug, Clone)]
pub(crate) struct AuthorizeRequest {
    pub(crate) client_id: String,
    pub(crate) redirect_uri: String,
    pub(crate) response_mode: ResponseMode,
    pub(crate) state: Option<String>,
    pub(crate) nonce: Option<String>,
    /// Granted scopes: the OIDC ones asked for, and the API's permissions asked for.
    pub(crate) scopes: Vec<String>,
    pub(crate) audience: Option<String>,
    pub(crate) pkce: Option<Pkce>,
    pub(crate) prompt_none: bool,
    pub(crate) prompt_login: bool,
    pub(crate) max_age: Option<i64>,
    pub(crate) login_hint: Option<String>,
    pub(crate) dpop_jkt: Option<String>,
    /// The organization (its id) the user logs in to (`organization`).
    pub(crate) organization: Option<String>,
    /// The ticket of the organization invitation being accepted (`invitation`); the login
    /// completes only for the invitee, and spends it.
    pub(crate) invitation: Option<String>,
}
