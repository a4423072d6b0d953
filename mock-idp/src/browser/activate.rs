//! `/activate`: where the user of a device (a CLI, a TV) answers its Device Authorization
//! (RFC 8628 §3.3), as on Auth0: log in (password, then the OTP step for an enrolled user),
//! enter the code the device shows (prefilled from `verification_uri_complete`), then confirm
//! or cancel. One form posts every step, named by its `action`.
//!
//! | step | `data-testid`s |
//! |---|---|
//! | log in | `activate-login-form`, `activate-email`, `activate-password`, `activate-login-submit`, `activate-error` |
//! | OTP (enrolled users) | `activate-otp-code`, `activate-otp-submit` |
//! | enter the code | `device-code-form`, `device-code-input`, `device-code-submit`, `device-code-error` |
//! | confirm | `device-confirm-code`, `device-confirm`, `device-cancel` |
//! | done | `device-success`, `device-denied` |
//!
//! Every step after the login needs the session cookie (SameSite=Lax), so a cross-site form
//! cannot confirm a code for the user. Wrong codes draw from the user's bucket of 10
//! (`crate::tenant::device_codes`). Served only when an application may use the device_code
//! grant (else 404, and discovery does not list the flow).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::browser::authorize::{add_cookie, session_cookie};
use crate::browser::html::{self, escape};
use crate::browser::login::{BLOCKED, WRONG_CREDENTIALS};
use crate::browser::mfa_challenge::{TOO_MANY, WRONG_CODE};
use crate::config::GrantType;
use crate::jose::random_id;
use crate::responses::not_found;
use crate::tenant::device_codes::{CodeError, Decision};
use crate::tenant::mfa::OtpError;
use crate::tenant::session::Session;
use crate::tenant::state::TenantState;

/// The page's path.
pub(crate) const PATH: &str = "/activate";
/// The text for a code that is unknown, expired or already answered (not captured).
pub(crate) const INVALID_CODE: &str = "Invalid or expired code. Check the code on your device.";

/// Whether the tenant serves the device flow: some application may use its grant.
pub(crate) fn served(st: &TenantState) -> bool {
    st.config()
        .applications
        .iter()
        .any(|a| a.allows(GrantType::DeviceCode))
}

/// `GET /activate[?user_code=…]`.
pub(crate) async fn show(
    State(st): State<Arc<TenantState>>,
    headers: HeaderMap,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    if !served(&st) {
        return not_found().await;
    }
    let code = q.get("user_code").map(String::as_str).unwrap_or("");
    match session(&st, &headers) {
        Some(_) => code_form(code, None, StatusCode::OK),
        None => login_form(code, "", None, StatusCode::OK),
    }
}

/// `POST /activate`: one step of the page, by `action`.
pub(crate) async fn submit(
    State(st): State<Arc<TenantState>>,
    headers: HeaderMap,
    Form(f): Form<BTreeMap<String, String>>,
) -> Response {
    if !served(&st) {
        return not_found().await;
    }
    let field = |k: &str| f.get(k).map(String::as_str).unwrap_or("");
    let code = field("user_code");
    let now = st.mint.clock.now();
    match field("action") {
        "login" => log_in(&st, code, field("username"), field("password"), now),
        "otp" => otp(&st, code, field("login"), field("otp"), now),
        action => {
            let Some(session) = session(&st, &headers) else {
                return login_form(code, "", None, StatusCode::OK);
            };
            match action {
                "code" => match st.device_codes.pending(code, &session.user_id, now) {
                    Ok(req) => confirm_page(&st, &req.user_code, &req.client_id, &req.scopes),
                    Err(CodeError::Unknown) => {
                        code_form(code, Some(INVALID_CODE), StatusCode::BAD_REQUEST)
                    }
                    Err(CodeError::TooManyAttempts) => {
                        code_form(code, Some(TOO_MANY), StatusCode::TOO_MANY_REQUESTS)
                    }
                },
                "confirm" | "cancel" => {
                    let decision = if action == "confirm" {
                        Decision::Approved {
                            user_id: session.user_id.clone(),
                            sid: session.sid.clone(),
                            auth_time: session.auth_time,
                        }
                    } else {
                        Decision::Denied
                    };
                    if st.device_codes.decide(code, decision, now) {
                        done(action == "confirm")
                    } else {
                        code_form(code, Some(INVALID_CODE), StatusCode::BAD_REQUEST)
                    }
                }
                _ => code_form(code, None, StatusCode::OK),
            }
        }
    }
}

/// The live session of this browser, for a user the tenant still has.
fn session(st: &TenantState, headers: &HeaderMap) -> Option<Session> {
    let cfg = st.config();
    st.sessions
        .current(headers, st.mint.clock.now(), cfg.session_policy())
        .filter(|s| super::session_still_counts(&cfg, s))
}

/// The page's answer to a user the MFA policy owes an enrolment (Auth0 enrols on this page
/// too; not modelled here).
const ENROL_AT_LOGIN: &str =
    "Set up multi-factor authentication at a login first (enrolment on this page is not modelled)";

fn log_in(st: &TenantState, code: &str, email: &str, password: &str, now: i64) -> Response {
    let snapshot = st.config();
    let user = snapshot
        .user_by_email(email)
        .filter(|u| u.password_matches(password));
    let Some(user) = user else {
        return login_form(
            code,
            email,
            Some(WRONG_CREDENTIALS),
            StatusCode::BAD_REQUEST,
        );
    };
    if user.blocked {
        return login_form(code, email, Some(BLOCKED), StatusCode::BAD_REQUEST);
    }
    if user.mfa.is_none() && snapshot.mfa_required(user) {
        // The MFA policy owes this user an enrolment, which this page does not run.
        return login_form(code, email, Some(ENROL_AT_LOGIN), StatusCode::BAD_REQUEST);
    }
    if user.mfa.is_some() {
        let login = random_id();
        st.mfa.await_code(&pending_key(&login), &user.id(), now);
        return otp_form(code, &login, None, StatusCode::OK);
    }
    logged_in(st, &user.id(), code, now)
}

/// The OTP step's key in the MFA store: a random id the page carries (128 bits: only the
/// browser that typed the password has it).
fn pending_key(login: &str) -> String {
    format!("activate:{login}")
}

fn otp(st: &TenantState, code: &str, login: &str, otp: &str, now: i64) -> Response {
    let key = pending_key(login);
    let Some(user_id) = st.mfa.awaiting(&key, now) else {
        return login_form(code, "", None, StatusCode::OK);
    };
    let snapshot = st.config();
    let Some(mfa) = snapshot.user(&user_id).and_then(|u| u.mfa.as_ref()) else {
        return login_form(code, "", None, StatusCode::OK);
    };
    match st.mfa.verify_otp(&user_id, mfa, otp.trim(), now) {
        Ok(()) => {
            st.mfa.end_login(&key);
            logged_in(st, &user_id, code, now)
        }
        Err(OtpError::Invalid) => otp_form(code, login, Some(WRONG_CODE), StatusCode::BAD_REQUEST),
        Err(OtpError::TooManyAttempts) => {
            otp_form(code, login, Some(TOO_MANY), StatusCode::TOO_MANY_REQUESTS)
        }
    }
}

/// Starts the session and goes back to the code step (303: the next request is a GET).
fn logged_in(st: &TenantState, user_id: &str, code: &str, now: i64) -> Response {
    let session = st
        .sessions
        .create(user_id, now, st.config().session_policy());
    let location = url::form_urlencoded::Serializer::new(format!("{PATH}?"))
        .append_pair("user_code", code)
        .finish();
    let mut res = (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response();
    add_cookie(&mut res, &session_cookie(st, &session.sid));
    res
}

fn error_html(error: Option<&str>, id: &str) -> String {
    error
        .map(|e| {
            format!(
                "<p class=\"error\" role=\"alert\" data-testid=\"{id}\">{}</p>",
                escape(e)
            )
        })
        .unwrap_or_default()
}

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    html::respond(status, html::page(&format!("{title} | mock-idp"), body), "")
}

fn login_form(code: &str, email: &str, error: Option<&str>, status: StatusCode) -> Response {
    let body = format!(
        "<h1>Log in</h1><p>Log in to connect your device.</p>{}\
         <form method=\"post\" action=\"{PATH}\" data-testid=\"activate-login-form\">\
         <input type=\"hidden\" name=\"user_code\" value=\"{code}\">\
         <label for=\"username\">Email address</label>\
         <input id=\"username\" name=\"username\" type=\"email\" autocomplete=\"username\" required autofocus value=\"{email}\" data-testid=\"activate-email\">\
         <label for=\"password\">Password</label>\
         <input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required data-testid=\"activate-password\">\
         <button type=\"submit\" name=\"action\" value=\"login\" data-testid=\"activate-login-submit\">Continue</button></form>",
        error_html(error, "activate-error"),
        code = escape(code),
        email = escape(email),
    );
    page(status, "Log in", &body)
}

fn otp_form(code: &str, login: &str, error: Option<&str>, status: StatusCode) -> Response {
    let body = format!(
        "<h1>Verify Your Identity</h1><p>Check your preferred one-time password application for a code.</p>{}\
         <form method=\"post\" action=\"{PATH}\">\
         <input type=\"hidden\" name=\"user_code\" value=\"{code}\">\
         <input type=\"hidden\" name=\"login\" value=\"{login}\">\
         <label for=\"otp\">Enter your one-time code</label>\
         <input id=\"otp\" name=\"otp\" type=\"text\" inputmode=\"numeric\" autocomplete=\"one-time-code\" required autofocus data-testid=\"activate-otp-code\">\
         <button type=\"submit\" name=\"action\" value=\"otp\" data-testid=\"activate-otp-submit\">Continue</button></form>",
        error_html(error, "activate-error"),
        code = escape(code),
        login = escape(login),
    );
    page(status, "Verify Your Identity", &body)
}

fn code_form(code: &str, error: Option<&str>, status: StatusCode) -> Response {
    let body = format!(
        "<h1>Device Activation</h1><p>Enter the code displayed on your device.</p>{}\
         <form method=\"post\" action=\"{PATH}\" data-testid=\"device-code-form\">\
         <label for=\"user_code\">Code</label>\
         <input id=\"user_code\" name=\"user_code\" type=\"text\" autocomplete=\"off\" autocapitalize=\"characters\" required autofocus value=\"{code}\" data-testid=\"device-code-input\">\
         <button type=\"submit\" name=\"action\" value=\"code\" data-testid=\"device-code-submit\">Continue</button></form>",
        error_html(error, "device-code-error"),
        code = escape(code),
    );
    page(status, "Device Activation", &body)
}

fn confirm_page(st: &TenantState, user_code: &str, client_id: &str, scopes: &[String]) -> Response {
    let app = st
        .config()
        .application(client_id)
        .and_then(|a| a.name.clone())
        .unwrap_or_else(|| client_id.to_owned());
    let scopes: String = scopes
        .iter()
        .map(|s| format!("<li>{}</li>", escape(s)))
        .collect();
    let body = format!(
        "<h1>Device Confirmation</h1><p>Please confirm this is the code displayed on your device:</p>\
         <p><strong data-testid=\"device-confirm-code\">{code}</strong></p>\
         <p><strong>{app}</strong> is requesting access:</p><ul>{scopes}</ul>\
         <form method=\"post\" action=\"{PATH}\">\
         <input type=\"hidden\" name=\"user_code\" value=\"{code}\">\
         <button type=\"submit\" name=\"action\" value=\"confirm\" data-testid=\"device-confirm\">Confirm</button>\
         <button type=\"submit\" name=\"action\" value=\"cancel\" data-testid=\"device-cancel\">Cancel</button></form>",
        code = escape(user_code),
        app = escape(&app),
    );
    page(StatusCode::OK, "Device Confirmation", &body)
}

fn done(approved: bool) -> Response {
    let body = if approved {
        "<h1 data-testid=\"device-success\">Congratulations, you're all set!</h1>\
         <p>Your device is now connected.</p>"
    } else {
        "<h1 data-testid=\"device-denied\">Device connection cancelled</h1>\
         <p>The device was not connected; you can close this window.</p>"
    };
    page(StatusCode::OK, "Device Activation", body)
}
