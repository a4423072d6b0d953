//! What can go wrong loading or using a signing key.

/// Errors loading or using a signing key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The text is not a PKCS#8 PEM private key.
    #[error("not a PKCS#8 PEM private key: {0}")]
    Pem(String),
    /// aws-lc refused the key (wrong type, bad encoding, unsupported size).
    #[error("key rejected: {0}")]
    Rejected(String),
    /// Signing failed inside aws-lc.
    #[error("signing failed")]
    Sign,
    /// Key generation failed inside aws-lc.
    #[error("key generation failed")]
    Generate,
    /// The JWKS already publishes as many keys as a ring holds.
    #[error("the JWKS holds its maximum of {0} keys: revoke or retire one first")]
    TooMany(usize),
}
