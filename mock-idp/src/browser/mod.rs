//! The browser flows: `/authorize`, the login page, sessions and login transactions,
//! authorization codes, refresh token families, `/userinfo`, logout, CORS and the HTML pages.
//!
//! | module | what it holds |
//! |---|---|
//! | `authorize`, `login` | `GET /authorize` (validation, response modes, SSO, `prompt`), the login page `/u/login` |
//! | `session`, `codes`, `refresh` | sessions and login transactions (cookies), authorization codes, refresh token families |
//! | `userinfo`, `logout` | `/userinfo`, `/v2/logout` + `/oidc/logout` |
//! | `cors`, `html` | CORS for browser applications; escaped HTML pages |

pub(crate) mod authorize;
pub(crate) mod codes;
pub(crate) mod cors;
pub(crate) mod html;
pub(crate) mod login;
pub(crate) mod logout;
pub(crate) mod refresh;
pub(crate) mod session;
pub(crate) mod userinfo;
