//! The HS256 key of an API that Auth0 signs with its signing secret (the API's
//! `signing_secret`, used as its UTF-8 bytes). It never comes from a JWKS, so a public key can
//! never be used as an HMAC key (RFC 8725 §2.1), and it is only consulted for `alg: HS256`
//! when the options allow HS256.

use aws_lc_rs::hmac;

/// The shortest signing secret accepted, in bytes: Auth0's minimum for an API's
/// `signing_secret` (RFC 7518 §3.2 asks for 32; Auth0's own secrets are longer).
pub(crate) const MIN_SECRET_LEN: usize = 16;

/// An HMAC-SHA256 key. `Debug` never shows it.
#[derive(Clone)]
pub(crate) struct SigningSecret(hmac::Key);

impl std::fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningSecret(<redacted>)")
    }
}

impl SigningSecret {
    pub(crate) fn new(secret: &[u8]) -> Self {
        SigningSecret(hmac::Key::new(hmac::HMAC_SHA256, secret))
    }

    /// Whether `signature` is the HS256 MAC of `msg`, compared in constant time by aws-lc-rs.
    pub(crate) fn verifies(&self, msg: &[u8], signature: &[u8]) -> bool {
        hmac::verify(&self.0, msg, signature).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifies_its_own_mac_only() {
        let s = SigningSecret::new(b"sixteen-bytes!!!");
        let tag = hmac::sign(
            &hmac::Key::new(hmac::HMAC_SHA256, b"sixteen-bytes!!!"),
            b"m",
        );
        assert!(s.verifies(b"m", tag.as_ref()));
        assert!(!s.verifies(b"n", tag.as_ref()));
        assert!(!s.verifies(b"m", &tag.as_ref()[..31]));
        assert!(!s.verifies(b"m", b""));
        assert_eq!(format!("{s:?}"), "SigningSecret(<redacted>)");
    }
}
