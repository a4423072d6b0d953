//! Accepting an organization invitation: `/authorize?…&organization=org_…&invitation=TICKET`
//! (the parameters of the invitation's link, which the application forwards), the login page
//! with the invitee's email filled in and locked, Universal Login's sign-up page
//! (`/u/signup`) for an invitee without an account, and the one write that spends the
//! invitation and makes the user a member with its roles (`TenantModel::accept_invitation`).
//!
//! | case | answer |
//! |---|---|
//! | a live invitation of this organization for this application | the login form (an existing account) or `/u/signup` (none), email locked |
//! | unknown, spent, deleted, expired, another organization's or another application's ticket | `invalid_request` "invitation not found or expired", before any form |
//! | `invitation` without `organization` | `invalid_request` "parameter organization is required with invitation" |
//! | a session (or form) of another account | `access_denied` "the specified account is not allowed to accept the current invitation"; the invitation is spent, as on Auth0 |
//! | a form whose email was changed | the form again with an error; nothing spent, nobody created |
//!
//! | element | `name` | `data-testid` |
//! |---|---|---|
//! | the invitation notice (login and sign-up) | | `invitation-notice` |
//! | sign-up form | | `signup-form` |
//! | email (read-only) | `username` | `signup-email` |
//! | password | `password` | `signup-password` |
//! | submit button | `action` | `signup-submit` |
//! | error message | | `signup-error` |

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::{Extension, Form};

use crate::browser::authorize::{Refusal, add_cookie, complete, session_cookie};
use crate::browser::html::{self, escape};
use crate::browser::{EXPIRED, transaction};
use crate::config::{InvitationConfig, TenantConfig, UserConfig};
use crate::tenant::authorize_request::AuthorizeRequest;
use crate::tenant::model::AcceptError;
use crate::tenant::state::TenantState;

/// Where the sign-up page lives (Auth0's Universal Login path).
pub(crate) const SIGNUP_PATH: &str = "/u/signup";

/// The answer for a ticket that is not a live invitation of this organization and
/// application: one text for every reason, so a probe learns nothing about other
/// organizations' tickets.
pub(crate) const NOT_FOUND: &str = "invitation not found or expired";
/// Auth0's text when another account tries to accept the invitation.
pub(crate) const WRONG_ACCOUNT: &str =
    "the specified account is not allowed to accept the current invitation";
/// The sign-up page's answer to an email that is not the invitee's.
pub(crate) const NOT_THE_INVITEE: &str = "This invitation is for another email address";
/// Auth0's password strength error (the policy modelled: at least 8 characters).
pub(crate) const WEAK_PASSWORD: &str = "Password is too weak";
const MIN_PASSWORD: usize = 8;

fn not_found() -> Refusal {
    Refusal::Redirect {
        error: "invalid_request",
        description: NOT_FOUND.into(),
    }
}

/// The ticket of `invitation`, which needs `organization`.
pub(crate) fn requested(
    organization: Option<&str>,
    params: &BTreeMap<String, String>,
) -> Result<Option<String>, Refusal> {
    match (params.get("invitation"), organization) {
        (None, _) => Ok(None),
        (Some(_), None) => Err(Refusal::Redirect {
            error: "invalid_request",
            description: "parameter organization is required with invitation".into(),
        }),
        (Some(t), Some(_)) => Ok(Some(t.clone())),
    }
}

/// The live invitation `request` names, if any.
pub(crate) fn live<'a>(
    cfg: &'a TenantConfig,
    request: &AuthorizeRequest,
    now: i64,
) -> Option<&'a InvitationConfig> {
    let ticket = request.invitation.as_deref()?;
    let org = cfg.organization(request.organization.as_deref()?)?;
    org.invitations
        .iter()
        .find(|i| i.ticket_id == ticket && i.client_id == request.client_id && i.is_live(now))
}

/// Refuses a request whose invitation is not live, before any form is shown.
pub(crate) fn check(
    cfg: &TenantConfig,
    request: &AuthorizeRequest,
    now: i64,
) -> Result<(), Refusal> {
    match request.invitation {
        Some(_) if live(cfg, request, now).is_none() => Err(not_found()),
        _ => Ok(()),
    }
}

/// Spends the invitation of `request` for `user_id` (nothing to do without one).
pub(crate) fn accept(
    st: &TenantState,
    request: &AuthorizeRequest,
    user_id: &str,
    now: i64,
) -> Result<(), Refusal> {
    let (Some(ticket), Some(org)) = (&request.invitation, &request.organization) else {
        return Ok(());
    };
    let Some(user) = st.config().user(user_id).cloned() else {
        return Err(not_found());
    };
    match st
        .model
        .accept_invitation(org, ticket, &request.client_id, &user, now)
    {
        Ok(()) => Ok(()),
        Err(AcceptError::NotFound) => Err(not_found()),
        Err(AcceptError::WrongAccount) => Err(Refusal::Redirect {
            error: "access_denied",
            description: WRONG_ACCOUNT.into(),
        }),
    }
}

/// The line above a form that accepts an invitation.
pub(crate) fn notice(cfg: &TenantConfig, inv: &InvitationConfig, org_id: &str) -> String {
    let org = cfg
        .organization(org_id)
        .map(|o| {
            o.display_name
                .clone()
                .or_else(|| o.name.clone())
                .unwrap_or_else(|| o.id.clone())
        })
        .unwrap_or_default();
    format!(
        "<p class=\"hint\" data-testid=\"invitation-notice\">{} has invited you to join <strong>{}</strong>.</p>",
        escape(&inv.inviter_name),
        escape(&org)
    )
}

/// `GET /u/signup?state=…`: the sign-up form of an invitee without an account.
pub(crate) async fn show(
    State(st): State<Arc<TenantState>>,
    headers: HeaderMap,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    let tx = q.get("state").map(String::as_str).unwrap_or("");
    let cfg = st.config();
    let now = st.mint.clock.now();
    match transaction(&st, &headers, tx) {
        Some(req) => match live(&cfg, &req, now) {
            Some(inv) => form(&cfg, &req, tx, inv, None),
            None => html::error_page(StatusCode::BAD_REQUEST, "invalid_request", NOT_FOUND),
        },
        None => html::error_page(StatusCode::BAD_REQUEST, "invalid_request", EXPIRED),
    }
}

/// `POST /u/signup`: creates the invitee's account, starts a session and completes the
/// authorization, which spends the invitation.
pub(crate) async fn submit(
    State(st): State<Arc<TenantState>>,
    headers: HeaderMap,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    Form(f): Form<BTreeMap<String, String>>,
) -> Response {
    let peer = peer.map(|Extension(ConnectInfo(a))| a.ip());
    let field = |k: &str| f.get(k).map(String::as_str).unwrap_or("");
    let tx = field("state");
    let Some(req) = transaction(&st, &headers, tx) else {
        return html::error_page(StatusCode::BAD_REQUEST, "invalid_request", EXPIRED);
    };
    let cfg = st.config();
    let now = st.mint.clock.now();
    let Some(inv) = live(&cfg, &req, now) else {
        return html::error_page(StatusCode::BAD_REQUEST, "invalid_request", NOT_FOUND);
    };
    // The email is the invitee's: a form edited to another address creates nobody.
    if !field("username").eq_ignore_ascii_case(&inv.invitee_email) {
        return form(&cfg, &req, tx, inv, Some(NOT_THE_INVITEE));
    }
    let password = field("password");
    if password.chars().count() < MIN_PASSWORD || password.len() > 1024 {
        return form(&cfg, &req, tx, inv, Some(WEAK_PASSWORD));
    }
    let user = match st
        .model
        .create_user(UserConfig::new(&inv.invitee_email, password))
    {
        Ok(u) => u,
        // Someone signed up with this email meanwhile: they log in instead.
        Err(_) => return form(&cfg, &req, tx, inv, Some("The user already exists.")),
    };
    st.transactions.finish(tx);
    let session = st
        .sessions
        .create(&user.id(), now, st.config().session_policy());
    let mut res = complete(&st, &req, &session, now, &headers, peer).await;
    add_cookie(&mut res, &session_cookie(&st, &session.sid));
    res
}

fn form(
    cfg: &TenantConfig,
    req: &AuthorizeRequest,
    tx: &str,
    inv: &InvitationConfig,
    error: Option<&str>,
) -> Response {
    let error_html = error
        .map(|e| {
            format!(
                "<p class=\"error\" role=\"alert\" id=\"signup-error\" data-testid=\"signup-error\">{}</p>",
                escape(e)
            )
        })
        .unwrap_or_default();
    let body = format!(
        "<h1>Create your account</h1>{notice}{error_html}\
         <form method=\"post\" action=\"{SIGNUP_PATH}\" data-testid=\"signup-form\">\
         <input type=\"hidden\" name=\"state\" value=\"{tx}\">\
         <label for=\"username\">Email address</label>\
         <input id=\"username\" name=\"username\" type=\"email\" autocomplete=\"username\" readonly value=\"{email}\" data-testid=\"signup-email\">\
         <label for=\"password\">Password</label>\
         <input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"new-password\" required autofocus minlength=\"{MIN_PASSWORD}\" data-testid=\"signup-password\">\
         <button type=\"submit\" name=\"action\" value=\"default\" data-testid=\"signup-submit\">Continue</button>\
         </form>",
        notice = notice(cfg, inv, req.organization.as_deref().unwrap_or("")),
        tx = escape(tx),
        email = escape(&inv.invitee_email),
    );
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let callback = url::Url::parse(&req.redirect_uri)
        .map(|u| format!(" {}", u.origin().ascii_serialization()))
        .unwrap_or_default();
    html::respond(status, html::page("Sign up | mock-idp", &body), &callback)
}
