//! The tenant's core: what a running tenant knows and keeps, below every face that serves or
//! steers it (the OAuth endpoints, the browser pages, the control API, the Test page, the Rust
//! handle). Nothing here imports a handler: faces call down into [`state::TenantState`] and
//! the stores it holds.
//!
//! | module | what it holds |
//! |---|---|
//! | `access` | who may change the tenant: the one rule the control API, the Test page and `POST /control/tokens` call |
//! | `admin_sessions` | Test page sessions: the random ids the Test page's cookie carries, bounded |
//! | `state` | `TenantState`: everything a running tenant shares between its faces |
//! | `model` | `TenantModel`: the one owner of the current configuration; every change to it goes through its methods |
//! | `store` | `BoundedStore`: the bounded, expiring map every runtime store is built on |
//! | `session`, `authorize_request` | login sessions (SSO) and pending logins, their cookies; the validated `/authorize` request they carry |
//! | `client_documents` | client ID metadata documents: `https` URLs as `client_id`, fetched under the SSRF rule, cached with bounds |
//! | `codes`, `refresh_tokens` | authorization codes (PKCE, DPoP binding); refresh token families (rotation, reuse detection) |
//! | `device_codes` | Device Authorization (RFC 8628): device and user codes, the user's answer, polling pace |
//! | `mfa` | `mfa_token`s, logins owing an OTP code, used steps and failed-attempt buckets per user |
//! | `seen_jtis` | the DPoP proofs seen at the token endpoint (replay detection), bounded |
//! | `faults`, `journal` | scripted failures per endpoint; the requests received |
//! | `domains`, `upstream` | custom domains: one issuer per `Host`, one key set; where discovery and JWKS are delegated |
//! | `exchange_actions` | the Rust closures exchange profiles call, standing in for Auth0's Custom Token Exchange Action (not the JavaScript Actions of `crate::actions`) |
//! | `saved_model` | what the Management API changed, kept in the state directory (`tenant.json`) across restarts |
//! | `state_dir`, `tls` | the state directory on disk (keys, CA, leaf certificate, last address); the CA |

pub(crate) mod access;
pub(crate) mod admin_sessions;
pub(crate) mod authorize_request;
pub(crate) mod client_documents;
pub(crate) mod codes;
pub(crate) mod device_codes;
pub(crate) mod domains;
pub(crate) mod exchange_actions;
pub(crate) mod faults;
pub(crate) mod journal;
pub(crate) mod mfa;
pub(crate) mod model;
pub(crate) mod rate;
pub(crate) mod refresh_tokens;
pub(crate) mod saved_model;
pub(crate) mod seen_jtis;
pub(crate) mod session;
pub(crate) mod state;
pub(crate) mod state_dir;
pub(crate) mod store;
pub(crate) mod tls;
pub(crate) mod upstream;

#[cfg(test)]
mod tests {
    /// The README's bounded-stores rows for the stores a stranger fills state the bounds the
    /// code enforces.
    #[test]
    fn the_readme_states_the_bounds_of_the_new_stores() {
        use super::{client_documents as docs, mfa, model::limits, session};
        let readme = include_str!("../../README.md");
        let row = |name: &str| {
            readme
                .lines()
                .find(|l| l.starts_with(&format!("| {name}")))
                .unwrap_or_else(|| panic!("no README row {name}"))
                .to_owned()
        };
        let thousands = |n: usize| {
            let s = n.to_string();
            match s.len() {
                4..=6 => format!("{},{}", &s[..s.len() - 3], &s[s.len() - 3..]),
                _ => s,
            }
        };
        let cimd = row("Client ID metadata documents");
        assert!(
            cimd.contains(&format!(
                "| {} | {} MiB |",
                thousands(docs::MAX_CACHED),
                docs::MAX_CACHED_BYTES >> 20
            )),
            "{cimd}"
        );
        assert!(
            cimd.contains(&format!("{} fetches at once", docs::MAX_CONCURRENT_FETCHES)),
            "{cimd}"
        );
        let reg = row("Dynamic client registrations");
        assert!(
            reg.contains(&format!(
                "| {} third-party applications; {} a minute |",
                crate::registration::MAX_REGISTERED,
                super::rate::Window::LIMIT
            )),
            "{reg}"
        );
        let tokens = row("MFA tokens");
        assert!(
            tokens.contains(&format!(
                "| {} | {} MiB |",
                thousands(mfa::MAX_MFA_TOKENS),
                mfa::MAX_MFA_TOKEN_BYTES >> 20
            )) && tokens.contains(&format!("({} each)", mfa::MAX_MFA_TOKENS_PER_USER))
                && tokens.contains(&format!("({} bytes)", mfa::PENDING_ENROLMENT_BYTES)),
            "{tokens}"
        );
        let owing = row("Logins owing an OTP code");
        assert!(
            owing.contains(&format!(
                "| {} | {} KiB |",
                thousands(session::MAX_TRANSACTIONS),
                thousands(mfa::MAX_LOGIN_STEP_BYTES >> 10)
            )),
            "{owing}"
        );
        let inv = row("Organization invitations");
        assert!(
            inv.contains(&format!(
                "| {} pending | {} KiB",
                thousands(limits::INVITATIONS),
                limits::INVITATION_BYTES >> 10
            )),
            "{inv}"
        );
    }
}
