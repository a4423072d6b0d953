//! Login session lifetimes: Auth0's tenant settings `session_lifetime` ("Require log in
//! after") and `idle_session_lifetime` ("Inactivity timeout"), in hours, as the Management
//! API and a Deploy CLI `tenant.yaml` name them.
//!
//! Defaults are a new Auth0 tenant's (Dashboard > Settings > Advanced: 43,200 and 4,320
//! minutes); the upper limits are Auth0's enterprise system limits (365 and 100 days), above
//! which Auth0 caps them.

/// Default `session_lifetime`: 30 days.
pub const DEFAULT_SESSION_LIFETIME: u32 = 720;
/// Default `idle_session_lifetime`: 3 days.
pub const DEFAULT_IDLE_SESSION_LIFETIME: u32 = 72;
/// Largest `session_lifetime` (365 days).
pub const MAX_SESSION_LIFETIME: u32 = 8_760;
/// Largest `idle_session_lifetime` (100 days).
pub const MAX_IDLE_SESSION_LIFETIME: u32 = 2_400;

pub(crate) fn default_session_lifetime() -> u32 {
    DEFAULT_SESSION_LIFETIME
}

pub(crate) fn default_idle_session_lifetime() -> u32 {
    DEFAULT_IDLE_SESSION_LIFETIME
}

pub(crate) fn is_default_session_lifetime(h: &u32) -> bool {
    *h == DEFAULT_SESSION_LIFETIME
}

pub(crate) fn is_default_idle_session_lifetime(h: &u32) -> bool {
    *h == DEFAULT_IDLE_SESSION_LIFETIME
}

/// Why `hours` is not a usable value of setting `name` (`session_lifetime` or
/// `idle_session_lifetime`), if it is not.
pub(crate) fn lifetime_problem(name: &str, hours: u32) -> Option<String> {
    let max = if name == "idle_session_lifetime" {
        MAX_IDLE_SESSION_LIFETIME
    } else {
        MAX_SESSION_LIFETIME
    };
    (!(1..=max).contains(&hours))
        .then(|| format!("{name} must be a whole number of hours from 1 to {max}"))
}

/// How long sessions live, in seconds, as the session store applies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SessionPolicy {
    /// A session ends this long after its login, however active.
    pub(crate) absolute: i64,
    /// ... or this long after its last use.
    pub(crate) idle: i64,
}

impl SessionPolicy {
    pub(crate) fn from_hours(session_lifetime: u32, idle_session_lifetime: u32) -> Self {
        SessionPolicy {
            absolute: i64::from(session_lifetime) * 3600,
            idle: i64::from(idle_session_lifetime) * 3600,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_auth0s() {
        assert_eq!(lifetime_problem("session_lifetime", 8_760), None);
        assert_eq!(
            lifetime_problem("session_lifetime", 8_761).as_deref(),
            Some("session_lifetime must be a whole number of hours from 1 to 8760")
        );
        assert_eq!(lifetime_problem("idle_session_lifetime", 2_400), None);
        assert!(lifetime_problem("idle_session_lifetime", 2_401).is_some());
        assert!(lifetime_problem("idle_session_lifetime", 0).is_some());
    }
}
