//! How a request authenticates: the two schemes ([`Scheme`]) and which of them the verifier
//! accepts ([`DpopMode`]), with the DPoP proof algorithms both the proof check and the
//! challenge's `algs` use. The error module reads them to build challenges, the options
//! module to configure the mode, the proof check to refuse other algorithms; none owns them.

/// Authentication scheme of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Scheme {
    /// `Authorization: Bearer` (RFC 6750).
    Bearer,
    /// `Authorization: DPoP` (RFC 9449).
    DPoP,
}

/// How the verifier treats the DPoP scheme (RFC 9449).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DpopMode {
    /// Bearer only; the `DPoP` scheme is an unsupported scheme.
    Disabled,
    /// Bearer and DPoP both accepted (the Auth0 default).
    #[default]
    Allowed,
    /// Only DPoP-bound tokens presented with the `DPoP` scheme.
    Required,
}

/// The DPoP proof algorithms accepted (the key is a P-256 `jwk`), and advertised in the
/// challenge's `algs` from this same list (RFC 9449 §5).
pub(crate) const PROOF_ALGS: &[&str] = &["ES256"];
