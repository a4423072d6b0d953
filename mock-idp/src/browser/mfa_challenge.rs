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
//! | enrolment: the secret (base32) | | `mfa-enroll-secret` |
//! | enrolment: the `otpauth://` URI | | `mfa-enroll-uri` |
//! | after enrolment: the recovery code | | `mfa-recovery-code` |
//! | after enrolment: continue | `action` | `mfa-recovery-continue` |
//!
//! Under the tenant's MFA policy a user without an enrolment comes here too, and the page
//! enrols them first (Auth0's Universal Login does it at `/u/mfa-otp-enrollment-code`; its
//! texts not captured): it shows a new secret and its `otpauth://` URI (no QR image), the first
//! right code confirms it and saves it to the user as the Management API's enrolment is, the
//! recovery code is shown once, and "Continue" finishes the login.
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
use crate::tenant::mfa::{LoginStep, OtpError};
use crate::tenant::model::ALREADY_ENROLLED;
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
    let Some((req, step)) = pending(&st, &headers, tx) else {
        return html::error_page(StatusCode::BAD_REQUEST, "invalid_request", EXPIRED);
    };
    let email = st
        .config()
        .user(&step.user_id)
        .map(|u| u.email.clone())
        .unwrap_or_default();
    if step.confirmed {
        // The recovery code was shown once; the page now only continues.
        return recovery_page(&req, tx, "");
    }
    form(&st, &req, tx, &step, &email, None, StatusCode::OK)
}

/// `POST /u/mfa-otp-challenge`: checks the code, starts the session, completes the login.
pub(crate) async fn submit(
    State(st): State<Arc<TenantState>>,
    headers: HeaderMap,
    Form(f): Form<BTreeMap<String, String>>,
) -> Response {
    let field = |k: &str| f.get(k).map(String::as_str).unwrap_or("");
    let tx = field("state");
    let Some((req, step)) = pending(&st, &headers, tx) else {
        return html::error_page(StatusCode::BAD_REQUEST, "invalid_request", EXPIRED);
    };
    let now = st.mint.clock.now();
    if step.confirmed {
        return finish(&st, &headers, &req, tx, &step.user_id, now).await;
    }
    let snapshot = st.config();
    let Some(user) = snapshot.user(&step.user_id) else {
        return html::error_page(StatusCode::BAD_REQUEST, "invalid_request", EXPIRED);
    };
    let Some(mfa) = user.mfa.as_ref().or(step.enrolment.as_ref()) else {
        return html::error_page(StatusCode::BAD_REQUEST, "invalid_request", EXPIRED);
    };
    let page = |error, status| form(&st, &req, tx, &step, &user.email, error, status);
    match st
        .mfa
        .verify_otp(&step.user_id, mfa, field("code").trim(), now)
    {
        Ok(()) => {}
        Err(OtpError::Invalid) => return page(Some(WRONG_CODE), StatusCode::BAD_REQUEST),
        Err(OtpError::TooManyAttempts) => {
            return page(Some(TOO_MANY), StatusCode::TOO_MANY_REQUESTS);
        }
    }
    if user.mfa.is_none()
        && let Some(mut enrolment) = step.enrolment.clone()
    {
        enrolment.enrolled_at = Some(now);
        let code = enrolment
            .recovery_codes
            .first()
            .cloned()
            .unwrap_or_default();
        if st.model.enrol_otp(&step.user_id, enrolment).is_err() {
            // Enrolled meanwhile (another login or the Management API): this one never
            // replaces it.
            st.mfa.end_login(tx);
            return html::error_page(StatusCode::CONFLICT, "access_denied", ALREADY_ENROLLED);
        }
        st.mfa.confirm_login_enrolment(tx, now);
        return recovery_page(&req, tx, &code);
    }
    finish(&st, &headers, &req, tx, &step.user_id, now).await
}

/// Ends the step, starts the session and completes the login.
async fn finish(
    st: &TenantState,
    headers: &HeaderMap,
    req: &AuthorizeRequest,
    tx: &str,
    user_id: &str,
    now: i64,
) -> Response {
    st.mfa.end_login(tx);
    st.transactions.finish(tx);
    let session = st
        .sessions
        .create(user_id, now, st.config().session_policy());
    let mut res = complete(st, req, &session, now, headers, None).await;
    add_cookie(&mut res, &session_cookie(st, &session.sid));
    res
}

/// The request of transaction `tx` and the step it is at, if this browser started it.
fn pending(
    st: &TenantState,
    headers: &HeaderMap,
    tx: &str,
) -> Option<(AuthorizeRequest, LoginStep)> {
    let req = transaction(st, headers, tx)?;
    Some((req, st.mfa.login_step(tx, st.mint.clock.now())?))
}

/// The code form; for a login that enrols, with the new secret and its URI above it.
fn form(
    st: &TenantState,
    req: &AuthorizeRequest,
    tx: &str,
    step: &LoginStep,
    email: &str,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
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
    let (title, intro) = match &step.enrolment {
        Some(e) => (
            "Secure Your Account",
            format!(
                "<p>Add this account to your one-time password application with the key below, then enter the code it shows.</p>\
                 <p>Key: <code data-testid=\"mfa-enroll-secret\">{}</code></p>\
                 <p>Link: <code data-testid=\"mfa-enroll-uri\">{}</code></p>",
                escape(&e.otp_secret),
                escape(&e.key_uri(&st.base_url, email)),
            ),
        ),
        None => (
            "Verify Your Identity",
            "<p>Check your preferred one-time password application for a code.</p>".to_owned(),
        ),
    };
    let body = format!(
        "<h1>{title}</h1>{intro}{error_html}\
         <form method=\"post\" action=\"{PATH}\" data-testid=\"mfa-otp-form\">\
         <input type=\"hidden\" name=\"state\" value=\"{tx}\">\
         <label for=\"code\">Enter your one-time code</label>\
         <input id=\"code\" name=\"code\" type=\"text\" inputmode=\"numeric\" autocomplete=\"one-time-code\" pattern=\"[0-9]*\" maxlength=\"6\" required autofocus data-testid=\"mfa-otp-code\"{invalid}>\
         <button type=\"submit\" name=\"action\" value=\"default\" data-testid=\"mfa-otp-submit\">Continue</button>\
         </form>",
        tx = escape(tx),
    );
    respond(req, status, title, &body)
}

/// After the enrolment: the recovery code, shown once (empty on a reload), and "Continue".
fn recovery_page(req: &AuthorizeRequest, tx: &str, code: &str) -> Response {
    let code_html = if code.is_empty() {
        String::new()
    } else {
        format!(
            "<p>Copy this recovery code and keep it somewhere safe. You will need it if you lose your device.</p>\
             <p><code data-testid=\"mfa-recovery-code\">{}</code></p>",
            escape(code)
        )
    };
    let body = format!(
        "<h1>Almost There!</h1>{code_html}\
         <form method=\"post\" action=\"{PATH}\" data-testid=\"mfa-recovery-form\">\
         <input type=\"hidden\" name=\"state\" value=\"{tx}\">\
         <button type=\"submit\" name=\"action\" value=\"continue\" data-testid=\"mfa-recovery-continue\">Continue</button>\
         </form>",
        tx = escape(tx),
    );
    respond(req, StatusCode::OK, "Almost There!", &body)
}

fn respond(req: &AuthorizeRequest, status: StatusCode, title: &str, body: &str) -> Response {
    // Chrome applies form-action to the redirect that follows the POST: allow the callback.
    let callback = url::Url::parse(&req.redirect_uri)
        .map(|u| format!(" {}", u.origin().ascii_serialization()))
        .unwrap_or_default();
    html::respond(
        status,
        html::page(&format!("{title} | mock-idp"), body),
        &callback,
    )
}
