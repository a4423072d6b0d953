//! The OTP step of a login (`/u/mfa-otp-challenge`, where Auth0's Universal Login asks for it):
//! after the right password of a user with an OTP enrolment, the same login transaction comes
//! here, and the session starts only once the code is right.
//!
//! | element | `name` | `data-testid` |
//! |---|---|---|
//! | form | | `mfa-otp-form` |
//! | code | `code` | `mfa-otp-code` |
//! | submit button | `action` | `mfa-otp-submit` |
//! | error message | | `mfa-otp-error` |
//!
//! The code is checked by the same rule as the `mfa-otp` grant (one use per code, the user's
//! bucket of 10 failed attempts); the page is bound to the browser that typed the password
//! (the transaction's device cookie).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use crate::browser::authorize::{add_cookie, complete, session_cookie};
use crate::browser::html::{self, escape};
use crate::browser::{EXPIRED, transaction};
use crate::tenant::authorize_request::AuthorizeRequest;
use crate::tenant::mfa::OtpError;
use crate::tenant::state::TenantState;

pub(crate) use crate::browser::login::OTP_STEP_PATH as PATH;
/// The page's text for a wrong or used code.
pub(crate) const WRONG_CODE: &str = "The code you entered is invalid";
/// The page's text once the user's attempts are spent.
pub(crate) const TOO_MANY: &str = "Too many failed codes. Wait for some minutes before retrying.";

/// `GET /u/mfa-otp-challenge?state=…`.
pub(crate) async fn show(
    State(st): State<Arc<TenantState>>,
    headers: HeaderMap,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    let tx = q.get("state").map(String::as_str).unwrap_or("");
    match pending(&st, &headers, tx) {
        Some((req, _)) => form(&req, tx, None, StatusCode::OK),
        None => html::error_page(StatusCode::BAD_REQUEST, "invalid_request", EXPIRED),
    }
}

/// `POST /u/mfa-otp-challenge`: checks the code, starts the session, completes the login.
pub(crate) async fn submit(
    State(st): State<Arc<TenantState>>,
    headers: HeaderMap,
    Form(f): Form<BTreeMap<String, String>>,
) -> Response {
    let field = |k: &str| f.get(k).map(String::as_str).unwrap_or("");
    let tx = field("state");
    let Some((req, user_id)) = pending(&st, &headers, tx) else {
        return html::error_page(StatusCode::BAD_REQUEST, "invalid_request", EXPIRED);
    };
    let snapshot = st.config();
    let Some(mfa) = snapshot.user(&user_id).and_then(|u| u.mfa.as_ref()) else {
        return html::error_page(StatusCode::BAD_REQUEST, "invalid_request", EXPIRED);
    };
    let now = st.mint.clock.now();
    match st.mfa.verify_otp(&user_id, mfa, field("code").trim(), now) {
        Ok(()) => {}
        Err(OtpError::Invalid) => return form(&req, tx, Some(WRONG_CODE), StatusCode::BAD_REQUEST),
        Err(OtpError::TooManyAttempts) => {
            return form(&req, tx, Some(TOO_MANY), StatusCode::TOO_MANY_REQUESTS);
        }
    }
    st.mfa.end_login(tx);
    st.transactions.finish(tx);
    let session = st
        .sessions
        .create(&user_id, now, st.config().session_policy());
    let mut res = complete(&st, &req, &session, now, &headers, None).await;
    add_cookie(&mut res, &session_cookie(&st, &session.sid));
    res
}

/// The request of transaction `tx` and the user it owes a code for, if this browser started it.
fn pending(st: &TenantState, headers: &HeaderMap, tx: &str) -> Option<(AuthorizeRequest, String)> {
    let req = transaction(st, headers, tx)?;
    Some((req, st.mfa.awaiting(tx, st.mint.clock.now())?))
}

fn form(req: &AuthorizeRequest, tx: &str, error: Option<&str>, status: StatusCode) -> Response {
    let error_html = error
        .map(|e| {
            format!(
                "<p class=\"error\" role=\"alert\" id=\"mfa-otp-error\" data-testid=\"mfa-otp-error\">{}</p>",
                escape(e)
            )
        })
        .unwrap_or_default();
    let invalid = if error.is_some() {
        " aria-invalid=\"true\" aria-describedby=\"mfa-otp-error\""
    } else {
        ""
    };
    let body = format!(
        "<h1>Verify Your Identity</h1><p>Check your preferred one-time password application for a code.</p>{error_html}\
         <form method=\"post\" action=\"{PATH}\" data-testid=\"mfa-otp-form\">\
         <input type=\"hidden\" name=\"state\" value=\"{tx}\">\
         <label for=\"code\">Enter your one-time code</label>\
         <input id=\"code\" name=\"code\" type=\"text\" inputmode=\"numeric\" autocomplete=\"one-time-code\" pattern=\"[0-9]*\" maxlength=\"6\" required autofocus data-testid=\"mfa-otp-code\"{invalid}>\
         <button type=\"submit\" name=\"action\" value=\"default\" data-testid=\"mfa-otp-submit\">Continue</button>\
         </form>",
        tx = escape(tx),
    );
    // Chrome applies form-action to the redirect that follows the POST: allow the callback.
    let callback = url::Url::parse(&req.redirect_uri)
        .map(|u| format!(" {}", u.origin().ascii_serialization()))
        .unwrap_or_default();
    html::respond(
        status,
        html::page("Verify Your Identity | mock-idp", &body),
        &callback,
    )
}
