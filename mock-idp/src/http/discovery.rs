//! The OIDC discovery document (`/.well-known/openid-configuration`) of each of the tenant's
//! domains, shaped like an Auth0 tenant's, also served as RFC 8414 authorization-server
//! metadata (`/.well-known/oauth-authorization-server`, what MCP clients look for first: RFC
//! 8414 §3 lets it carry the OIDC members, so both are one document from one function and
//! cannot disagree), and the cached `GET`s that serve them and the JWKS: Auth0's Cache-Control (or the one a test set), delegated to the upstream if one is
//! set, overridden if a test overrode them.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::config::IdTokenAlg;
use crate::tenant::authorize_request::{OIDC_SCOPES, ResponseMode};
use crate::tenant::faults::Endpoint;
use crate::tenant::state::TenantState;

/// The discovery document served on the domain of `headers`: the override if set, else
/// the real one.
pub(crate) fn for_request(st: &TenantState, headers: &HeaderMap) -> Value {
    st.discovery_override
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
        .unwrap_or_else(|| document(st, &st.domains.origin(st.domain_of(headers))))
}

/// The discovery document of the primary domain, shaped like an Auth0 tenant's.
pub(crate) fn primary(st: &TenantState) -> Value {
    document(st, &st.base_url)
}

/// The discovery document of the domain at `origin` (`scheme://host:port`).
fn document(st: &TenantState, origin: &str) -> Value {
    let b = origin;
    let mut scopes: Vec<String> = OIDC_SCOPES.iter().map(|s| (*s).to_owned()).collect();
    for api in &st.config().apis {
        for p in &api.permissions {
            if !scopes.contains(p) {
                scopes.push(p.clone());
            }
        }
    }
    let mut pkce = vec!["S256"];
    if st.config().applications.iter().any(|a| a.allow_plain_pkce) {
        pkce.push("plain");
    }
    // HS256 ID tokens are served only to applications configured for them.
    let mut id_token_algs = vec!["RS256"];
    if st
        .config()
        .applications
        .iter()
        .any(|a| a.id_token_alg() == IdTokenAlg::HS256)
    {
        id_token_algs.insert(0, "HS256");
    }
    // Exactly what is served: every endpoint here answers (a test walks them).
    let mut doc = json!({
        "issuer": format!("{b}/"),
        "authorization_endpoint": format!("{b}/authorize"),
        "token_endpoint": format!("{b}/oauth/token"),
        "userinfo_endpoint": format!("{b}/userinfo"),
        "jwks_uri": format!("{b}/.well-known/jwks.json"),
        "revocation_endpoint": format!("{b}/oauth/revoke"),
        "end_session_endpoint": format!("{b}/oidc/logout"),
        "scopes_supported": scopes,
        "response_types_supported": ["code"],
        "response_modes_supported": ResponseMode::NAMES,
        "code_challenge_methods_supported": pkce,
        "subject_types_supported": ["public"],
        "grant_types_supported": [
            "client_credentials",
            "authorization_code",
            "refresh_token",
            "password",
            "http://auth0.com/oauth/grant-type/password-realm",
            "http://auth0.com/oauth/grant-type/mfa-otp",
            "http://auth0.com/oauth/grant-type/mfa-recovery-code",
            "urn:ietf:params:oauth:grant-type:token-exchange",
            "urn:auth0:params:oauth:grant-type:token-exchange:federated-connection-access-token",
        ],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "id_token_signing_alg_values_supported": id_token_algs,
        "dpop_signing_alg_values_supported": ["ES256"],
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "claims_supported": [
            "aud", "auth_time", "email", "email_verified", "exp", "family_name", "given_name",
            "iat", "iss", "name", "nickname", "picture", "sid", "sub", "updated_at", "nonce",
            "scope", "azp", "gty", "client_id", "jti", "permissions", "cnf",
        ],
    });
    // RFC 8414 §2 / RFC 7591 §3: where clients register themselves, when the tenant lets them.
    if st.config().enable_dynamic_client_registration {
        doc["registration_endpoint"] = json!(format!("{b}/oidc/register"));
    }
    // draft-ietf-oauth-client-id-metadata-document §6: an `https` URL may be the client_id.
    if st.config().client_id_metadata_documents.enabled {
        doc["client_id_metadata_document_supported"] = json!(true);
    }
    // The device flow only where an application may use it (else its endpoints answer 404).
    if crate::browser::activate::served(st) {
        doc["device_authorization_endpoint"] = json!(format!("{b}/oauth/device/code"));
        if let Some(g) = doc["grant_types_supported"].as_array_mut() {
            g.push(json!("urn:ietf:params:oauth:grant-type:device_code"));
        }
    }
    doc
}

/// `v` as JSON with the Cache-Control `endpoint` serves (none if it is overridden to none or
/// to a value that is not a valid header value).
fn cached_json(st: &TenantState, endpoint: Endpoint, v: Value) -> Response {
    let mut res = axum::Json(v).into_response();
    if let Some(cc) = st
        .cache_control(endpoint)
        .and_then(|cc| HeaderValue::from_str(&cc).ok())
    {
        res.headers_mut().insert(header::CACHE_CONTROL, cc);
    }
    res
}

/// `GET /.well-known/openid-configuration`.
pub(crate) async fn discovery(
    State(st): State<Arc<TenantState>>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    if let Some(up) = st.upstream() {
        return crate::control::upstream::forward(&up, &uri, &headers).await;
    }
    cached_json(&st, Endpoint::Discovery, for_request(&st, &headers))
}

/// `GET /.well-known/oauth-authorization-server` (RFC 8414 §3): the discovery document, which
/// holds every member RFC 8414 §2 requires (`issuer`, `authorization_endpoint`,
/// `token_endpoint`, `response_types_supported`). Faults and Cache-Control follow discovery's.
pub(crate) async fn authorization_server(
    State(st): State<Arc<TenantState>>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    discovery(State(st), uri, headers).await
}

/// `GET /.well-known/jwks.json`.
pub(crate) async fn jwks(
    State(st): State<Arc<TenantState>>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    if let Some(up) = st.upstream() {
        return crate::control::upstream::forward(&up, &uri, &headers).await;
    }
    cached_json(&st, Endpoint::Jwks, st.jwks())
}
