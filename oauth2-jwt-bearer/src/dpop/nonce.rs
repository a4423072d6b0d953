//! Stateless server nonces (RFC 9449 §8-9): `base64url(epoch || HMAC-SHA256(key, epoch)[..16])`
//! where `epoch = floor(now / rotation)`. The current and the previous epoch are accepted,
//! so a nonce lives between one and two rotation periods; no state is kept.

use aws_lc_rs::hmac;

use crate::jose::{b64url_decode, b64url_encode};

pub(crate) struct NonceIssuer {
    key: hmac::Key,
    rotation: f64,
}

impl std::fmt::Debug for NonceIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NonceIssuer")
            .field("rotation", &self.rotation)
            .finish_non_exhaustive()
    }
}

impl NonceIssuer {
    pub(crate) fn new(rotation_secs: f64) -> Result<Self, aws_lc_rs::error::Unspecified> {
        let rng = aws_lc_rs::rand::SystemRandom::new();
        let key = hmac::Key::generate(hmac::HMAC_SHA256, &rng)?;
        Ok(Self {
            key,
            rotation: rotation_secs.max(1.0),
        })
    }

    fn epoch(&self, now: f64) -> u64 {
        (now.max(0.0) / self.rotation) as u64
    }

    fn make(&self, epoch: u64) -> String {
        let e = epoch.to_be_bytes();
        let tag = hmac::sign(&self.key, &e);
        let mut raw = e.to_vec();
        raw.extend_from_slice(&tag.as_ref()[..16]);
        b64url_encode(&raw)
    }

    /// The nonce to hand out now.
    pub(crate) fn current(&self, now: f64) -> String {
        self.make(self.epoch(now))
    }

    /// Whether `nonce` was issued by us in the current or the previous epoch.
    pub(crate) fn is_valid(&self, nonce: &str, now: f64) -> bool {
        let Some(raw) = b64url_decode(nonce) else {
            return false;
        };
        if raw.len() != 24 {
            return false;
        }
        let mut e = [0u8; 8];
        e.copy_from_slice(&raw[..8]);
        let epoch = u64::from_be_bytes(e);
        let cur = self.epoch(now);
        if epoch != cur && epoch.checked_add(1) != Some(cur) {
            return false;
        }
        let tag = hmac::sign(&self.key, &e);
        aws_lc_rs::constant_time::verify_slices_are_equal(&tag.as_ref()[..16], &raw[8..]).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_accepts_current_and_previous() {
        let n = NonceIssuer::new(300.0).unwrap();
        let a = n.current(1000.0);
        assert!(n.is_valid(&a, 1000.0));
        assert!(n.is_valid(&a, 1000.0 + 300.0));
        assert!(!n.is_valid(&a, 1000.0 + 600.0));
        assert!(!n.is_valid("garbage", 1000.0));
        let other = NonceIssuer::new(300.0).unwrap();
        assert!(!other.is_valid(&a, 1000.0), "foreign nonce");
        // NQCHAR only (RFC 9449 §8.1): base64url is a subset.
        assert!(
            a.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
    }
}
