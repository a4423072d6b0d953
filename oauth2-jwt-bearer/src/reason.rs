//! Why a request, token or proof was refused: one variant per check, its description the
//! fixed text sent in `error_description` (never attacker input; RFC 6750 §3 characters).
//! Adding a check means adding a variant here, so the descriptions a client can see are
//! all in one place.

/// Why a request is malformed: 400 `invalid_request` (RFC 6750 §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// Authorization header too large.
    #[error("Authorization header too large")]
    AuthorizationHeaderTooLarge,
    /// Invalid Host header.
    #[error("Invalid Host header")]
    InvalidHostHeader,
    /// Malformed Authorization header.
    #[error("Malformed Authorization header")]
    MalformedAuthorizationHeader,
    /// Missing Host header.
    #[error("Missing Host header")]
    MissingHostHeader,
    /// Missing access token.
    #[error("Missing access token")]
    MissingToken,
    /// Multiple Authorization headers.
    #[error("Multiple Authorization headers")]
    MultipleAuthorizationHeaders,
    /// More than one method used for authentication.
    #[error("More than one method used for authentication")]
    MultipleMethods,
    /// DPoP proof requires the DPoP authentication scheme.
    #[error("DPoP proof requires the DPoP authentication scheme")]
    ProofWithBearerScheme,
}

/// Why an access token is refused: 401 `invalid_token`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// Audience mismatch.
    #[error("Audience mismatch")]
    AudienceMismatch,
    /// DPoP-bound token requires the DPoP authentication scheme.
    #[error("DPoP-bound token requires the DPoP authentication scheme")]
    BoundTokenAsBearer,
    /// Token is not a compact JWS (expected 3 segments).
    #[error("Token is not a compact JWS (expected 3 segments)")]
    NotCompactJws,
    /// Token is expired.
    #[error("Token is expired")]
    Expired,
    /// Token header is not a JSON object.
    #[error("Token header is not a JSON object")]
    HeaderNotObject,
    /// Invalid 'aud' claim.
    #[error("Invalid 'aud' claim")]
    InvalidAudClaim,
    /// Invalid 'cnf' claim.
    #[error("Invalid 'cnf' claim")]
    InvalidCnfClaim,
    /// Invalid 'exp' claim.
    #[error("Invalid 'exp' claim")]
    InvalidExpClaim,
    /// Invalid 'iat' claim.
    #[error("Invalid 'iat' claim")]
    InvalidIatClaim,
    /// Invalid 'iss' claim.
    #[error("Invalid 'iss' claim")]
    InvalidIssClaim,
    /// Invalid DPoP key binding.
    #[error("Invalid DPoP key binding")]
    InvalidKeyBinding,
    /// Invalid 'kid' header.
    #[error("Invalid 'kid' header")]
    InvalidKidHeader,
    /// Invalid 'nbf' claim.
    #[error("Invalid 'nbf' claim")]
    InvalidNbfClaim,
    /// Invalid token signature.
    #[error("Invalid token signature")]
    InvalidSignature,
    /// Invalid 'sub' claim.
    #[error("Invalid 'sub' claim")]
    InvalidSubClaim,
    /// Invalid 'typ' header.
    #[error("Invalid 'typ' header")]
    InvalidTypHeader,
    /// Token issued in the future.
    #[error("Token issued in the future")]
    IssuedInFuture,
    /// Issuer mismatch.
    #[error("Issuer mismatch")]
    IssuerMismatch,
    /// Missing 'aud' claim.
    #[error("Missing 'aud' claim")]
    MissingAudClaim,
    /// Missing 'exp' claim.
    #[error("Missing 'exp' claim")]
    MissingExpClaim,
    /// Missing 'iat' claim.
    #[error("Missing 'iat' claim")]
    MissingIatClaim,
    /// Missing 'iss' claim.
    #[error("Missing 'iss' claim")]
    MissingIssClaim,
    /// Missing required claim.
    #[error("Missing required claim")]
    MissingRequiredClaim,
    /// No matching signing key.
    #[error("No matching signing key")]
    NoMatchingSigningKey,
    /// Token is not DPoP-bound (no cnf.jkt).
    #[error("Token is not DPoP-bound (no cnf.jkt)")]
    NotBound,
    /// Token is not yet valid.
    #[error("Token is not yet valid")]
    NotYetValid,
    /// Token payload is not a JSON object.
    #[error("Token payload is not a JSON object")]
    PayloadNotObject,
    /// Missing or invalid RFC 9068 claim (sub, client_id or jti).
    #[error("Missing or invalid RFC 9068 claim (sub, client_id or jti)")]
    Rfc9068ClaimMissing,
    /// Token segment is not canonical base64url.
    #[error("Token segment is not canonical base64url")]
    NotCanonicalBase64url,
    /// Token too large.
    #[error("Token too large")]
    TooLarge,
    /// Unencoded payload is not allowed.
    #[error("Unencoded payload is not allowed")]
    UnencodedPayload,
    /// Unsupported token algorithm.
    #[error("Unsupported token algorithm")]
    UnsupportedAlgorithm,
    /// Unsupported critical header parameter.
    #[error("Unsupported critical header parameter")]
    UnsupportedCrit,
    /// Unsupported token type.
    #[error("Unsupported token type")]
    UnsupportedType,
    /// Untrusted issuer.
    #[error("Untrusted issuer")]
    UntrustedIssuer,
}

impl TokenError {
    /// Decided before (or by) the signature check: which structural, header, issuer or key
    /// check failed is no business of an unauthenticated client (no oracle), so the
    /// description a client sees is the generic `Invalid token`; the reason is logged.
    pub fn before_signature(self) -> bool {
        matches!(
            self,
            TokenError::NotCompactJws
                | TokenError::HeaderNotObject
                | TokenError::InvalidIssClaim
                | TokenError::InvalidKidHeader
                | TokenError::InvalidSignature
                | TokenError::InvalidTypHeader
                | TokenError::MissingIssClaim
                | TokenError::NoMatchingSigningKey
                | TokenError::PayloadNotObject
                | TokenError::NotCanonicalBase64url
                | TokenError::TooLarge
                | TokenError::UnencodedPayload
                | TokenError::UnsupportedAlgorithm
                | TokenError::UnsupportedCrit
                | TokenError::UnsupportedType
                | TokenError::UntrustedIssuer
        )
    }
}

/// Why a DPoP proof is refused: 401 `invalid_dpop_proof` (RFC 9449 §7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum ProofError {
    /// DPoP proof ath mismatch.
    #[error("DPoP proof ath mismatch")]
    AthMismatch,
    /// Invalid or missing DPoP proof ath.
    #[error("Invalid or missing DPoP proof ath")]
    AthMissingOrInvalid,
    /// DPoP proof is expired or not yet valid.
    #[error("DPoP proof is expired or not yet valid")]
    ExpiredOrNotYetValid,
    /// DPoP proof htm mismatch.
    #[error("DPoP proof htm mismatch")]
    HtmMismatch,
    /// Invalid or missing DPoP proof htm.
    #[error("Invalid or missing DPoP proof htm")]
    HtmMissingOrInvalid,
    /// DPoP proof htu mismatch.
    #[error("DPoP proof htu mismatch")]
    HtuMismatch,
    /// Invalid or missing DPoP proof htu.
    #[error("Invalid or missing DPoP proof htu")]
    HtuMissingOrInvalid,
    /// DPoP proof iat is in the future.
    #[error("DPoP proof iat is in the future")]
    IatInFuture,
    /// Invalid or missing DPoP proof iat.
    #[error("Invalid or missing DPoP proof iat")]
    IatMissingOrInvalid,
    /// DPoP proof iat is too old.
    #[error("DPoP proof iat is too old")]
    IatTooOld,
    /// Invalid DPoP proof htu.
    #[error("Invalid DPoP proof htu")]
    InvalidHtu,
    /// Invalid DPoP proof jwk coordinates.
    #[error("Invalid DPoP proof jwk coordinates")]
    InvalidJwkCoordinates,
    /// Invalid DPoP proof jwk point.
    #[error("Invalid DPoP proof jwk point")]
    InvalidJwkPoint,
    /// Invalid DPoP proof nonce.
    #[error("Invalid DPoP proof nonce")]
    InvalidNonce,
    /// Invalid DPoP proof time claim.
    #[error("Invalid DPoP proof time claim")]
    InvalidTimeClaim,
    /// Invalid DPoP proof typ.
    #[error("Invalid DPoP proof typ")]
    InvalidTyp,
    /// Invalid or missing DPoP proof jti.
    #[error("Invalid or missing DPoP proof jti")]
    JtiMissingOrInvalid,
    /// Private key material in DPoP proof jwk.
    #[error("Private key material in DPoP proof jwk")]
    JwkHasPrivateKey,
    /// Missing or invalid DPoP proof jwk.
    #[error("Missing or invalid DPoP proof jwk")]
    JwkMissingOrInvalid,
    /// DPoP proof jwk must be an EC P-256 key.
    #[error("DPoP proof jwk must be an EC P-256 key")]
    JwkNotP256,
    /// DPoP proof is not a well-formed JWS.
    #[error("DPoP proof is not a well-formed JWS")]
    Malformed,
    /// Missing DPoP proof.
    #[error("Missing DPoP proof")]
    MissingProof,
    /// Multiple DPoP proofs are not allowed.
    #[error("Multiple DPoP proofs are not allowed")]
    MultipleProofs,
    /// DPoP proof replayed.
    #[error("DPoP proof replayed")]
    Replayed,
    /// DPoP proof signature is invalid.
    #[error("DPoP proof signature is invalid")]
    SignatureInvalid,
    /// DPoP proof too large.
    #[error("DPoP proof too large")]
    TooLarge,
    /// Unsupported DPoP proof algorithm.
    #[error("Unsupported DPoP proof algorithm")]
    UnsupportedAlgorithm,
}
