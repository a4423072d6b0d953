//! The login page (`/u/login`, where Auth0's Universal Login lives): a plain HTML form with
//! stable `name`s and `data-testid`s for Playwright, Cypress or WebDriver scripts.
//!
//! | element | `name` | `data-testid` |
//! |---|---|---|
//! | form | | `login-form` |
//! | email | `username` | `login-email` |
//! | password | `password` | `login-password` |
//! | submit button | `action` | `login-submit` |
//! | error message | | `login-error` |
//!
//! With an organization invitation (`crate::browser::invitation`) the email is the invitee's,
//! read-only, under a line (`invitation-notice`) naming the inviter and the organization; an
//! invitee without an account goes to the sign-up page instead.
//!
//! A user with an OTP enrolment goes on to `/u/mfa-otp-challenge` (`mfa_challenge`) with the
//! same transaction; the session starts only after the code.
//!
//! The page's `state` is a login transaction id; it only works in the browser (device cookie)
//! that `/authorize` sent here, and only once.

use std::collections::BTreeMap;
use std::sync::Arc;

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::{Extension, Form};

use crate::browser::authorize::{add_cookie, complete, found, session_cookie};
use crate::browser::html::{self, escape};
use crate::browser::{EXPIRED, invitation, transaction};
use crate::tenant::authorize_request::AuthorizeRequest;
use crate::tenant::state::TenantState;

/// Where the OTP step lives (the `mfa_challenge` module, Auth0's Universal Login path).
pub(crate) const OTP_STEP_PATH: &str = "/u/mfa-otp-challenge";

/// Auth0's text for a failed login.
pub(crate) const WRONG_CREDENTIALS: &str = "Wrong email or password";
/// Auth0's text for a blocked user (after the right password only: a wrong one says
/// [`WRONG_CREDENTIALS`], so the block reveals nothing to someone guessing).
pub(crate) const BLOCKED: &str = "user is blocked";

/// `GET /u/login?state=…`: the form.
pub(crate) async fn show(
    State(st): State<Arc<TenantState>>,
    headers: HeaderMap,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    let tx = q.get("state").map(String::as_str).unwrap_or("");
    match transaction(&st, &headers, tx) {
        Some(req) if req.invitation.is_some() => {
            let cfg = st.config();
            let Some(inv) = invitation::live(&cfg, &req, st.mint.clock.now()) else {
                return html::error_page(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    invitation::NOT_FOUND,
                );
            };
            // Auth0 shows the sign-up page for an invitee without an account.
            if cfg.user_by_email(&inv.invitee_email).is_none() {
                return found(&format!("{}?state={tx}", invitation::SIGNUP_PATH));
            }
            form(&st, &req, tx, &inv.invitee_email, None)
        }
        Some(req) => {
            let email = req.login_hint.clone().unwrap_or_default();
            form(&st, &req, tx, &email, None)
        }
        None => html::error_page(StatusCode::BAD_REQUEST, "invalid_request", EXPIRED),
    }
}

/// `POST /u/login`: checks the password, starts a session, completes the authorization.
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
    let email = field("username");
    let snapshot = st.config();
    // Accepting an invitation: the email is the invitee's, whatever the form was edited to.
    if req.invitation.is_some() {
        let Some(inv) = invitation::live(&snapshot, &req, st.mint.clock.now()) else {
            return html::error_page(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                invitation::NOT_FOUND,
            );
        };
        if !email.eq_ignore_ascii_case(&inv.invitee_email) {
            let invitee = inv.invitee_email.clone();
            return form(&st, &req, tx, &invitee, Some(invitation::NOT_THE_INVITEE));
        }
    }
    let user = snapshot
        .user_by_email(email)
        .filter(|u| u.password_matches(field("password")));
    let Some(user) = user else {
        return form(&st, &req, tx, email, Some(WRONG_CREDENTIALS));
    };
    if user.blocked {
        return form(&st, &req, tx, email, Some(BLOCKED));
    }
    let now = st.mint.clock.now();
    // An enrolled user owes a code: the same transaction goes on to the OTP step. Under the
    // MFA policy a user without an enrolment goes there too, and enrols first.
    if snapshot.mfa_required(user) {
        match user.mfa {
            Some(_) => st.mfa.await_code(tx, &user.id(), now),
            None => {
                st.mfa
                    .await_enrolment(tx, &user.id(), crate::tenant::mfa::new_enrolment(), now)
            }
        }
        return found(&format!("{OTP_STEP_PATH}?state={tx}"));
    }
    st.transactions.finish(tx);
    let session = st
        .sessions
        .create(&user.id(), now, snapshot.session_policy());
    let mut res = complete(&st, &req, &session, now, &headers, peer).await;
    add_cookie(&mut res, &session_cookie(&st, &session.sid));
    res
}

fn form(
    st: &TenantState,
    req: &AuthorizeRequest,
    tx: &str,
    email: &str,
    error: Option<&str>,
) -> Response {
    let snapshot = st.config();
    let named = st
        .application(&snapshot, &req.client_id)
        .and_then(|a| a.name.clone())
        .unwrap_or_else(|| req.client_id.clone());
    // A client ID metadata document client is whoever controls its URL's host: the page
    // names the host beside the name the document claims.
    let app = match url::Url::parse(&req.client_id)
        .ok()
        .filter(|_| snapshot.application(&req.client_id).is_none())
        .and_then(|u| u.host_str().map(str::to_owned))
    {
        Some(host) => format!("{named} ({host})"),
        None => named,
    };
    let error_html = error
        .map(|e| {
            format!(
                "<p class=\"error\" role=\"alert\" id=\"login-error\" data-testid=\"login-error\">{}</p>",
                escape(e)
            )
        })
        .unwrap_or_default();
    // An invitation's form: the invitee's email, not editable, under a line naming the
    // inviter and the organization.
    let live = invitation::live(&snapshot, req, st.mint.clock.now());
    let (notice, locked) = match (live, req.organization.as_deref()) {
        (Some(inv), Some(org)) => (invitation::notice(&snapshot, inv, org), " readonly"),
        _ => (String::new(), ""),
    };
    let invalid = if error.is_some() {
        " aria-invalid=\"true\" aria-describedby=\"login-error\""
    } else {
        ""
    };
    let body = format!(
        "<h1>Welcome</h1><p>Log in to mock-idp to continue to <strong>{app}</strong>.</p>{notice}{error_html}\
         <form method=\"post\" action=\"/u/login\" data-testid=\"login-form\">\
         <input type=\"hidden\" name=\"state\" value=\"{tx}\">\
         <label for=\"username\">Email address</label>\
         <input id=\"username\" name=\"username\" type=\"email\" autocomplete=\"username\" required autofocus value=\"{email}\" data-testid=\"login-email\"{locked}{invalid}>\
         <label for=\"password\">Password</label>\
         <input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required data-testid=\"login-password\"{invalid}>\
         <button type=\"submit\" name=\"action\" value=\"default\" data-testid=\"login-submit\">Continue</button>\
         </form><p class=\"hint\">A mock Auth0 tenant: users come from its configuration.</p>",
        app = escape(&app),
        tx = escape(tx),
        email = escape(email),
    );
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    // Chrome applies form-action to the redirect that follows the POST: allow the callback.
    let callback = url::Url::parse(&req.redirect_uri)
        .map(|u| format!(" {}", u.origin().ascii_serialization()))
        .unwrap_or_default();
    html::respond(status, html::page("Log in | mock-idp", &body), &callback)
}
