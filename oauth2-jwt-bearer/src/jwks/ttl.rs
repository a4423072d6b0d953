//! How long a fetched discovery document or JWKS is kept: its `Cache-Control: max-age`,
//! bounded by the configured TTL and never below the refresh cooldown.

/// The TTL of a fetched document: `max-age` lowers the configured TTL, but never below the
/// refresh cooldown (refreshes are rate-limited to one per cooldown anyway; a TTL under it
/// would only make every miss ask for one).
pub(super) fn cache_ttl(max_age: Option<f64>, configured: f64, cooldown: f64) -> f64 {
    max_age
        .map_or(configured, |m| m.min(configured))
        .max(cooldown)
}

/// `max-age=N` from a Cache-Control value, in seconds.
pub(super) fn max_age(cc: &str) -> Option<f64> {
    cc.split(',').find_map(|d| {
        let d = d.trim();
        let (k, v) = d.split_once('=')?;
        if k.trim().eq_ignore_ascii_case("max-age") {
            v.trim()
                .trim_matches('"')
                .parse::<u64>()
                .ok()
                .map(|n| n as f64)
        } else {
            None
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_control() {
        assert_eq!(max_age("public, max-age=60"), Some(60.0));
        assert_eq!(max_age("no-cache"), None);
        assert_eq!(max_age("max-age=x"), None);
    }

    #[test]
    fn ttl_is_never_below_the_cooldown() {
        assert_eq!(cache_ttl(Some(0.0), 600.0, 30.0), 30.0);
        assert_eq!(cache_ttl(Some(60.0), 600.0, 30.0), 60.0);
        assert_eq!(cache_ttl(Some(6000.0), 600.0, 30.0), 600.0);
        assert_eq!(cache_ttl(None, 600.0, 30.0), 600.0);
        assert_eq!(cache_ttl(None, 10.0, 30.0), 30.0);
    }
}
