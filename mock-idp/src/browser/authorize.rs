//! `GET /authorize`: the authorization code flow's front door (RFC 6749 §4.1, OIDC Core §3.1,
//! RFC 7636, RFC 9449 §10), checked the way Auth0 checks it.
//!
//! Order matters: until the client and its exact `redirect_uri` are known, every problem is an
//! HTML error page, never a redirect (RFC 6749 §4.1.2.1: no open redirector). After that,
//! problems go back to the application in the requested response mode with `error`,
//! `error_description` and `state`.
//!
//! A browser with a live session (cookie `auth0`) gets a code at once; without one it goes to
//! the login page (`/u/login`, as Auth0's Universal Login), unless `prompt=none` (then
//! `login_required`) or the tenant logs a fixed user in automatically (headless tests).

use std::collections::BTreeMap;
use std::sync::Arc;

use std::net::SocketAddr;

use axum::Extension;
use axum::extract::{ConnectInfo, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::browser::{html, invitation, organization, post_login, web_message};
use crate::config::{ApplicationConfig, GrantType, TenantConfig};
use crate::jose::random_id;
use crate::tenant::authorize_request::{AuthorizeRequest, OIDC_SCOPES, ResponseMode};
use crate::tenant::codes::{CodeGrant, Pkce, PkceMethod, is_pkce_string};
use crate::tenant::session::{DEVICE_COOKIE, SESSION_COOKIE, Session, cookie, set_cookie};
use crate::tenant::state::TenantState;

/// Longest `state`, `nonce`, `login_hint` or `invitation` a pending login keeps (bytes).
pub(crate) const MAX_KEPT_PARAM: usize = 2048;

/// Why an authorization request was refused, and how the refusal is delivered.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// The client or redirect URI cannot be trusted: an error page, status 400.
    Page {
        error: &'static str,
        description: String,
    },
    /// Back to the application with `error` and `error_description`.
    Redirect {
        error: &'static str,
        description: String,
    },
}

fn page(error: &'static str, description: impl Into<String>) -> Refusal {
    Refusal::Page {
        error,
        description: description.into(),
    }
}

fn redirect(error: &'static str, description: impl Into<String>) -> Refusal {
    Refusal::Redirect {
        error,
        description: description.into(),
    }
}

/// The handler.
pub(crate) async fn authorize(
    State(st): State<Arc<TenantState>>,
    headers: HeaderMap,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    RawQuery(query): RawQuery,
) -> Response {
    let peer = peer.map(|Extension(ConnectInfo(a))| a.ip());
    let params = match parse_query(query.as_deref().unwrap_or("")) {
        Ok(p) => p,
        Err(name) => {
            return html::error_page(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                &format!("Parameter '{name}' must not be repeated"),
            );
        }
    };
    let cfg = &st.config();
    // A URL client_id: its client ID metadata document, fetched before anything else is read.
    let document_client = match st
        .client_documents
        .resolve(
            cfg,
            params.get("client_id").map(String::as_str),
            st.mint.clock.now(),
        )
        .await
    {
        Ok(app) => app,
        Err(e) => return refuse_page(page(e.code(), e.to_string())),
    };
    let (app, redirect_uri) = match trusted_client(cfg, document_client.as_deref(), &params) {
        Ok(x) => x,
        Err(r) => return refuse_page(r),
    };
    let mode = params.get("response_mode").map(String::as_str);
    // Nothing is posted to an origin the application does not list, not even an error.
    if mode == Some("web_message") && !web_message::origin_allowed(app, redirect_uri) {
        return refuse_page(page(
            "unauthorized_client",
            "The redirect_uri's origin is not in the application's Allowed Web Origins.",
        ));
    }
    let request = match validate(cfg, app, redirect_uri, &params) {
        Ok(r) => r,
        Err(r) => {
            // An unusable response_mode itself is answered in the default mode.
            let mode = mode
                .and_then(ResponseMode::parse)
                .unwrap_or(ResponseMode::Query);
            let state = params.get("state").cloned();
            return refuse(redirect_uri, mode, state.as_deref(), r);
        }
    };
    // A third-party application needs the user's consent, which a silent request cannot ask.
    if request.prompt_none && !app.is_first_party {
        return refuse(
            &request.redirect_uri,
            request.response_mode,
            request.state.as_deref(),
            redirect("consent_required", "Consent required"),
        );
    }
    let now = st.mint.clock.now();
    if let Err(r) = invitation::check(cfg, &request, now) {
        let state = request.state.as_deref();
        return refuse(&request.redirect_uri, request.response_mode, state, r);
    }
    let session = st
        .sessions
        .current(&headers, now, cfg.session_policy())
        .filter(|_| !request.prompt_login)
        .filter(|s| request.max_age.is_none_or(|m| now - s.auth_time <= m))
        // A session of a deleted or blocked user logs nobody in (a blocked user meets
        // "user is blocked" at the form, after the password), nor one older than the user's
        // OTP enrolment (the form then asks for the code).
        .filter(|s| super::session_still_counts(cfg, s));
    if let Some(session) = session {
        return complete(&st, &request, &session, now, &headers, peer).await;
    }
    if request.prompt_none {
        return refuse(
            &request.redirect_uri,
            request.response_mode,
            request.state.as_deref(),
            redirect("login_required", "Login required"),
        );
    }
    if let Some(user_id) = st.auto_login.as_deref() {
        let session = st.sessions.create(user_id, now, cfg.session_policy());
        let mut res = complete(&st, &request, &session, now, &headers, peer).await;
        add_cookie(&mut res, &session_cookie(&st, &session.sid));
        return res;
    }
    start_login(&st, &headers, request, now)
}

/// Parks the request and sends the browser to the login form, bound to its device cookie.
fn start_login(
    st: &TenantState,
    headers: &HeaderMap,
    request: AuthorizeRequest,
    now: i64,
) -> Response {
    let existing = cookie(headers, DEVICE_COOKIE);
    let device = existing.clone().unwrap_or_else(random_id);
    let (redirect_uri, mode, state) = (
        request.redirect_uri.clone(),
        request.response_mode,
        request.state.clone(),
    );
    let Ok(tx) = st.transactions.create(request, &device, now) else {
        return refuse(
            &redirect_uri,
            mode,
            state.as_deref(),
            redirect(
                "temporarily_unavailable",
                "Too many logins are in progress; try again later",
            ),
        );
    };
    let location = format!("/u/login?state={tx}");
    let mut res = found(&location);
    if existing.is_none() {
        // A year, like Auth0's `did`; it identifies the browser, not the user.
        add_cookie(
            &mut res,
            &set_cookie(DEVICE_COOKIE, &device, 365 * 24 * 3600, st.is_https()),
        );
    }
    res
}

/// The cookie for a session that starts now: the browser keeps it until the session's
/// `session_lifetime` ends (the tenant decides idleness).
pub(crate) fn session_cookie(st: &TenantState, sid: &str) -> HeaderValue {
    let lifetime = st.config().session_policy().absolute;
    set_cookie(SESSION_COOKIE, sid, lifetime, st.is_https())
}

pub(crate) fn add_cookie(res: &mut Response, cookie: &HeaderValue) {
    res.headers_mut().append(header::SET_COOKIE, cookie.clone());
}

/// Runs the post-login Actions, then issues a code for `request` to the user of `session` and
/// sends it to the application.
pub(crate) async fn complete(
    st: &TenantState,
    request: &AuthorizeRequest,
    session: &Session,
    now: i64,
    headers: &HeaderMap,
    peer: Option<std::net::IpAddr>,
) -> Response {
    // An invitation makes the user a member (or is spent refusing another account), then an
    // organization login is for its members only (checked here: after the form, or with the
    // session's user).
    if let Err(r) = invitation::accept(st, request, &session.user_id, now) {
        let state = request.state.as_deref();
        return refuse(&request.redirect_uri, request.response_mode, state, r);
    }
    if let Some(r) = organization::refuse_non_member(
        &st.config(),
        request.organization.as_deref(),
        &session.user_id,
    ) {
        return refuse(
            &request.redirect_uri,
            request.response_mode,
            request.state.as_deref(),
            r,
        );
    }
    let actions = match post_login::run(st, request, session, headers, peer).await {
        Ok(changes) => changes,
        Err(e) => {
            return refuse(
                &request.redirect_uri,
                request.response_mode,
                request.state.as_deref(),
                redirect("access_denied", e.description()),
            );
        }
    };
    let grant = CodeGrant {
        client_id: request.client_id.clone(),
        redirect_uri: request.redirect_uri.clone(),
        pkce: request.pkce.clone(),
        user_id: session.user_id.clone(),
        scopes: request.scopes.clone(),
        audience: request.audience.clone(),
        nonce: request.nonce.clone(),
        auth_time: session.auth_time,
        sid: session.sid.clone(),
        dpop_jkt: request.dpop_jkt.clone(),
        organization: request.organization.clone(),
        actions,
    };
    let code = st.codes.issue(grant, now);
    let mut params = vec![("code", code)];
    if let Some(s) = &request.state {
        params.push(("state", s.clone()));
    }
    respond(&request.redirect_uri, request.response_mode, &params)
}

/// Query parameters, each at most once (RFC 6749 §3.1); an empty value counts as absent.
fn parse_query(q: &str) -> Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    for (k, v) in url::form_urlencoded::parse(q.as_bytes()) {
        if out.contains_key(k.as_ref()) {
            return Err(k.into_owned());
        }
        if !v.is_empty() {
            out.insert(k.into_owned(), v.into_owned());
        }
    }
    Ok(out)
}

/// The application and its redirect URI, which must equal one of its callbacks byte for byte:
/// no prefix, suffix, case or query variations (RFC 9700 §4.1.3).
/// `document_client` is the client ID metadata document client the `client_id` URL names.
fn trusted_client<'a>(
    cfg: &'a TenantConfig,
    document_client: Option<&'a ApplicationConfig>,
    params: &'a BTreeMap<String, String>,
) -> Result<(&'a ApplicationConfig, &'a str), Refusal> {
    let client_id = params
        .get("client_id")
        .ok_or_else(|| page("invalid_request", "Missing required parameter: client_id"))?;
    let app = cfg
        .application(client_id)
        .or(document_client.filter(|a| a.client_id == *client_id))
        .ok_or_else(|| page("invalid_request", format!("Unknown client: {client_id}")))?;
    let redirect_uri = params.get("redirect_uri").ok_or_else(|| {
        page(
            "invalid_request",
            "Missing required parameter: redirect_uri",
        )
    })?;
    if !app.callbacks.iter().any(|c| c == redirect_uri) {
        return Err(page(
            "unauthorized_client",
            "Callback URL mismatch. The provided redirect_uri is not in the list of allowed callback URLs.",
        ));
    }
    Ok((app, redirect_uri))
}

/// Everything else, for a trusted client and redirect URI.
fn validate(
    cfg: &TenantConfig,
    app: &ApplicationConfig,
    redirect_uri: &str,
    params: &BTreeMap<String, String>,
) -> Result<AuthorizeRequest, Refusal> {
    let get = |k: &str| params.get(k).cloned();
    // The values a pending login keeps are capped before anything is kept (review M1).
    if let Some(k) = ["state", "nonce", "login_hint", "invitation"]
        .into_iter()
        .find(|k| params.get(*k).is_some_and(|v| v.len() > MAX_KEPT_PARAM))
    {
        return Err(redirect(
            "invalid_request",
            format!("{k} is longer than {MAX_KEPT_PARAM} characters"),
        ));
    }
    let response_mode = match params.get("response_mode") {
        None => ResponseMode::Query,
        Some(m) => ResponseMode::parse(m).ok_or_else(|| {
            redirect("invalid_request", format!("Unsupported response_mode: {m}"))
        })?,
    };
    match params.get("response_type").map(String::as_str) {
        None => {
            return Err(redirect(
                "invalid_request",
                "Missing required parameter: response_type",
            ));
        }
        Some("code") => {}
        Some(other) => {
            return Err(redirect(
                "unsupported_response_type",
                format!("Unsupported response type: {other}"),
            ));
        }
    }
    if !app.allows(GrantType::AuthorizationCode) {
        return Err(redirect(
            "unauthorized_client",
            "Grant type 'authorization_code' not allowed for the client.",
        ));
    }
    let organization = organization::requested(cfg, app, params)?;
    let invitation = invitation::requested(organization.as_deref(), params)?;
    let prompts: Vec<&str> = params
        .get("prompt")
        .map(|p| p.split(' ').filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    if let Some(p) = prompts
        .iter()
        .find(|p| !["none", "login", "consent", "select_account"].contains(p))
    {
        return Err(redirect(
            "invalid_request",
            format!("Unsupported prompt: {p}"),
        ));
    }
    let prompt_none = prompts.contains(&"none");
    if prompt_none && prompts.len() > 1 {
        return Err(redirect(
            "invalid_request",
            "prompt=none must not be combined with other values",
        ));
    }
    let max_age = match params.get("max_age") {
        None => None,
        Some(v) => Some(v.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
            redirect("invalid_request", "max_age must be a non-negative integer")
        })?),
    };
    let pkce = pkce(app, params)?;
    let audience = cfg
        .requested_audience(
            params.get("audience").map(String::as_str),
            params.get("resource").map(String::as_str),
        )
        .map_err(|e| redirect("invalid_target", e.to_string()))?;
    let audience = match audience {
        None => None,
        Some(aud) => Some(
            cfg.api(aud)
                .ok_or_else(|| redirect("access_denied", format!("Service not found: {aud}")))?
                .identifier
                .clone(),
        ),
    };
    let dpop_jkt = match params.get("dpop_jkt") {
        None => None,
        Some(j) if j.len() == 43 && crate::jose::b64url_decode(j).is_ok() => Some(j.clone()),
        Some(_) => {
            return Err(redirect(
                "invalid_request",
                "dpop_jkt must be a base64url SHA-256 JWK thumbprint",
            ));
        }
    };
    Ok(AuthorizeRequest {
        client_id: app.client_id.clone(),
        redirect_uri: redirect_uri.to_owned(),
        response_mode,
        state: get("state"),
        nonce: get("nonce"),
        scopes: granted_scopes(cfg, app, audience.as_deref(), params.get("scope")),
        audience,
        pkce,
        prompt_none,
        prompt_login: prompts.contains(&"login"),
        max_age,
        login_hint: get("login_hint"),
        dpop_jkt,
        organization,
        invitation,
    })
}

/// PKCE: S256 (or `plain` where the application allows it); required for public clients,
/// whose codes are otherwise worth stealing (RFC 9700 §2.1.1).
fn pkce(
    app: &ApplicationConfig,
    params: &BTreeMap<String, String>,
) -> Result<Option<Pkce>, Refusal> {
    let challenge = params.get("code_challenge");
    let method = params.get("code_challenge_method").map(String::as_str);
    let Some(challenge) = challenge else {
        if method.is_some() {
            return Err(redirect(
                "invalid_request",
                "Missing required parameter: code_challenge",
            ));
        }
        if app.is_public() {
            return Err(redirect(
                "invalid_request",
                "Missing required parameter: code_challenge",
            ));
        }
        return Ok(None);
    };
    // RFC 7636 §4.3: no method means plain.
    let method = match method.unwrap_or("plain") {
        "S256" => PkceMethod::S256,
        "plain" if app.allow_plain_pkce => PkceMethod::Plain,
        other => {
            return Err(redirect(
                "invalid_request",
                format!("Unsupported code_challenge_method: {other}"),
            ));
        }
    };
    let well_formed = match method {
        PkceMethod::S256 => challenge.len() == 43 && crate::jose::b64url_decode(challenge).is_ok(),
        PkceMethod::Plain => is_pkce_string(challenge),
    };
    if !well_formed {
        return Err(redirect("invalid_request", "Invalid code_challenge"));
    }
    Ok(Some(Pkce {
        challenge: challenge.clone(),
        method,
    }))
}

/// The scopes a user login grants: the OIDC ones asked for (`offline_access` only where a
/// refresh token may be issued) and the permissions of the API asked for; others are dropped
/// silently, as Auth0 drops them. The password grant grants by this rule too.
pub(crate) fn granted_scopes(
    cfg: &TenantConfig,
    app: &ApplicationConfig,
    audience: Option<&str>,
    scope: Option<&String>,
) -> Vec<String> {
    let api = audience.and_then(|a| cfg.api(a));
    let offline_ok =
        app.allows(GrantType::RefreshToken) && api.is_none_or(|a| a.allow_offline_access);
    let mut out: Vec<String> = Vec::new();
    for s in scope.map(String::as_str).unwrap_or("").split(' ') {
        let keep = match s {
            "offline_access" => offline_ok,
            s if OIDC_SCOPES.contains(&s) => true,
            // Never the Management API's: those are the operator's (see `access`).
            s => api.is_some_and(|a| a.user_permissions().iter().any(|p| p == s)),
        };
        if keep && !out.iter().any(|o| o == s) {
            out.push(s.to_owned());
        }
    }
    out
}

fn refuse_page(r: Refusal) -> Response {
    match r {
        Refusal::Page { error, description } | Refusal::Redirect { error, description } => {
            html::error_page(StatusCode::BAD_REQUEST, error, &description)
        }
    }
}

/// Sends a refusal back to the application (or shows it, for an untrusted one).
pub(crate) fn refuse(
    redirect_uri: &str,
    mode: ResponseMode,
    state: Option<&str>,
    r: Refusal,
) -> Response {
    match r {
        Refusal::Page { .. } => refuse_page(r),
        Refusal::Redirect { error, description } => {
            let mut params = vec![
                ("error", error.to_owned()),
                ("error_description", description),
            ];
            if let Some(s) = state {
                params.push(("state", s.to_owned()));
            }
            respond(redirect_uri, mode, &params)
        }
    }
}

/// Delivers `params` to `redirect_uri` in `mode`.
pub(crate) fn respond(
    redirect_uri: &str,
    mode: ResponseMode,
    params: &[(&str, String)],
) -> Response {
    let Ok(mut target) = url::Url::parse(redirect_uri) else {
        return html::error_page(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "The redirect_uri is not a URL",
        );
    };
    match mode {
        ResponseMode::FormPost => html::form_post(redirect_uri, params),
        ResponseMode::WebMessage => web_message::page(redirect_uri, params),
        ResponseMode::Query => {
            {
                let mut q = target.query_pairs_mut();
                for (k, v) in params {
                    q.append_pair(k, v);
                }
            }
            found(target.as_str())
        }
        ResponseMode::Fragment => {
            let fragment: String = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(params.iter().map(|(k, v)| (*k, v.as_str())))
                .finish();
            target.set_fragment(Some(&fragment));
            found(target.as_str())
        }
    }
}

/// A 302 to `location`, never cached.
pub(crate) fn found(location: &str) -> Response {
    let mut res = StatusCode::FOUND.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}
