//! The browser flows' endpoints: `/authorize`, the login page, `/userinfo`, logout, CORS and
//! the HTML pages. What they keep (sessions, login transactions, codes, refresh token
//! families) lives in the core (`crate::tenant`).
//!
//! | module | what it holds |
//! |---|---|
//! | `authorize`, `login` | `GET /authorize` (validation, response modes, SSO, `prompt`), the login page `/u/login` |
//! | `activate` | `/activate`: the user's side of Device Authorization (log in, enter the code, confirm) |
//! | `mfa_challenge` | `/u/mfa-otp-challenge`: the OTP step after the password of an enrolled user |
//! | `userinfo`, `logout` | `/userinfo`, `/v2/logout` + `/oidc/logout` |
//! | `cors`, `html` | CORS for browser applications; escaped HTML pages |
//! | `invitation` | organization invitations at `/authorize`, the locked login form, `/u/signup`; spending the invitation |
//! | `organization` | `organization` at `/authorize`: usage, membership (`org_id`/`org_name` in the tokens) |
//! | `post_login` | the post-login Actions of a browser login, run before the code is issued |
//! | `web_message` | `response_mode=web_message`: the page that posts the answer to the framing window (silent authentication) |

pub(crate) mod activate;
pub(crate) mod authorize;
pub(crate) mod cors;
pub(crate) mod html;
pub(crate) mod invitation;
pub(crate) mod login;
pub(crate) mod logout;
pub(crate) mod mfa_challenge;
pub(crate) mod organization;
mod post_login;
pub(crate) mod userinfo;
pub(crate) mod web_message;

use axum::http::HeaderMap;

use crate::tenant::authorize_request::AuthorizeRequest;
use crate::tenant::session::{DEVICE_COOKIE, cookie};
use crate::tenant::state::TenantState;

/// What a login page says for a transaction that is unknown, spent, expired or another
/// browser's.
pub(crate) const EXPIRED: &str = "This login has expired or was started in another browser. Go back to the application and log in again.";

/// The pending login `tx`, if it is this browser's (its device cookie) and still live: every
/// page of a login (`login`, `invitation`'s sign-up, the OTP step) reads it so.
pub(crate) fn transaction(
    st: &TenantState,
    headers: &HeaderMap,
    tx: &str,
) -> Option<AuthorizeRequest> {
    let device = cookie(headers, DEVICE_COOKIE);
    st.transactions
        .get(tx, device.as_deref(), st.mint.clock.now())
}

/// Whether `session` may still log its user in without the form: the user exists, is not
/// blocked, is not owed an enrolment by the MFA policy, and has no OTP enrolment newer than
/// the session (a session started with the
/// password alone, before the user was enrolled, must not skip the code: Auth0 asks a
/// session without the factor for it).
pub(crate) fn session_still_counts(
    cfg: &crate::config::Snapshot,
    session: &crate::tenant::session::Session,
) -> bool {
    cfg.user(&session.user_id).is_some_and(|u| {
        !u.blocked
            && match &u.mfa {
                Some(m) => m.enrolled_at.is_none_or(|at| session.auth_time >= at),
                // Under the MFA policy a user without an enrolment owes one: a session from
                // before the policy was switched on does not skip it.
                None => !cfg.mfa_required(u),
            }
    })
}
