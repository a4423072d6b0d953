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
