//! The RSA JWS algorithms a signing key signs with.

use aws_lc_rs::signature::{self, RsaEncoding};

use crate::jose::UnknownAlgorithm;

impl std::str::FromStr for SigAlg {
    type Err = UnknownAlgorithm;

    /// Parses a JWS `alg` name, exact case; anything that is not an RSA signature alg is unknown.
    fn from_str(name: &str) -> Result<Self, UnknownAlgorithm> {
        Ok(match name {
            "RS256" => SigAlg::RS256,
            "RS384" => SigAlg::RS384,
            "RS512" => SigAlg::RS512,
            "PS256" => SigAlg::PS256,
            "PS384" => SigAlg::PS384,
            "PS512" => SigAlg::PS512,
            _ => return Err(UnknownAlgorithm(name.to_owned())),
        })
    }
}

impl std::fmt::Display for SigAlg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// RSA JWS algorithms a [`SigningKey`](super::SigningKey) can produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SigAlg {
    /// RSASSA-PKCS1-v1_5 with SHA-256 (Auth0's default).
    RS256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RS384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RS512,
    /// RSASSA-PSS with SHA-256.
    PS256,
    /// RSASSA-PSS with SHA-384.
    PS384,
    /// RSASSA-PSS with SHA-512.
    PS512,
}

impl SigAlg {
    /// The JWS `alg` name.
    pub fn as_str(self) -> &'static str {
        match self {
            SigAlg::RS256 => "RS256",
            SigAlg::RS384 => "RS384",
            SigAlg::RS512 => "RS512",
            SigAlg::PS256 => "PS256",
            SigAlg::PS384 => "PS384",
            SigAlg::PS512 => "PS512",
        }
    }

    pub(super) fn encoding(self) -> &'static dyn RsaEncoding {
        match self {
            SigAlg::RS256 => &signature::RSA_PKCS1_SHA256,
            SigAlg::RS384 => &signature::RSA_PKCS1_SHA384,
            SigAlg::RS512 => &signature::RSA_PKCS1_SHA512,
            SigAlg::PS256 => &signature::RSA_PSS_SHA256,
            SigAlg::PS384 => &signature::RSA_PSS_SHA384,
            SigAlg::PS512 => &signature::RSA_PSS_SHA512,
        }
    }
}
