//! The tenant's own certificate authority and server certificate.
//!
//! Verifiers must reach a tenant over HTTPS (discovery is always `https://{domain}`), so the
//! tenant acts as its own CA: clients trust one CA file, and the leaf can be reissued for new
//! names without clients changing anything.

use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// Errors creating or loading TLS material.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// rcgen failed to build a certificate or key.
    #[error("certificate generation failed: {0}")]
    Generate(#[from] rcgen::Error),
    /// A PEM file could not be parsed.
    #[error("bad PEM: {0}")]
    Pem(String),
    /// rustls refused the certificate/key pair.
    #[error("TLS configuration rejected: {0}")]
    Rustls(#[from] rustls::Error),
}

/// A CA plus a leaf certificate for the tenant's host names, all as PEM.
#[derive(Debug, Clone)]
pub struct TlsMaterial {
    /// CA certificate (what clients trust).
    pub ca_cert_pem: String,
    /// CA private key (kept so the leaf can be reissued for new names).
    pub ca_key_pem: String,
    /// Server certificate.
    pub leaf_cert_pem: String,
    /// Server private key.
    pub leaf_key_pem: String,
}

impl TlsMaterial {
    /// Names every leaf carries, whatever is configured.
    pub const DEFAULT_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];
}

fn leaf_names(extra: &[String]) -> Vec<String> {
    let mut names: Vec<String> = TlsMaterial::DEFAULT_NAMES
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    for n in extra {
        if !names.contains(n) {
            names.push(n.clone());
        }
    }
    names
}

impl TlsMaterial {
    /// A new CA and a leaf for localhost, 127.0.0.1, ::1 and `extra_names` (ECDSA P-256: fast).
    pub fn generate(extra_names: &[String]) -> Result<Self, TlsError> {
        let ca_key = KeyPair::generate()?;
        let ca_params = ca_params()?;
        let ca_cert = ca_params.self_signed(&ca_key)?;
        let ca_cert_pem = ca_cert.pem();
        let ca_key_pem = ca_key.serialize_pem();
        let (leaf_cert_pem, leaf_key_pem) = issue_leaf(&ca_key_pem, extra_names)?;
        Ok(TlsMaterial {
            ca_cert_pem,
            ca_key_pem,
            leaf_cert_pem,
            leaf_key_pem,
        })
    }

    /// Reissues the leaf under the same CA (clients keep trusting it).
    pub fn reissue_leaf(&mut self, extra_names: &[String]) -> Result<(), TlsError> {
        let (c, k) = issue_leaf(&self.ca_key_pem, extra_names)?;
        self.leaf_cert_pem = c;
        self.leaf_key_pem = k;
        Ok(())
    }

    /// The CA certificate as DER.
    pub fn ca_der(&self) -> Result<Vec<u8>, TlsError> {
        CertificateDer::from_pem_slice(self.ca_cert_pem.as_bytes())
            .map(|c| c.as_ref().to_vec())
            .map_err(|e| TlsError::Pem(e.to_string()))
    }

    /// Whether the leaf certificate carries `name` as a SAN (best effort: DER search).
    pub fn leaf_covers(&self, name: &str) -> bool {
        let Ok(der) = CertificateDer::from_pem_slice(self.leaf_cert_pem.as_bytes()) else {
            return false;
        };
        let needle: Vec<u8> = match name.parse::<std::net::IpAddr>() {
            Ok(std::net::IpAddr::V4(ip)) => ip.octets().to_vec(),
            Ok(std::net::IpAddr::V6(ip)) => ip.octets().to_vec(),
            Err(_) => name.as_bytes().to_vec(),
        };
        der.as_ref()
            .windows(needle.len())
            .any(|w| w == needle.as_slice())
    }

    /// A rustls server config presenting the leaf (aws-lc-rs provider, no process default).
    pub fn server_config(&self) -> Result<Arc<rustls::ServerConfig>, TlsError> {
        let cert = CertificateDer::from_pem_slice(self.leaf_cert_pem.as_bytes())
            .map_err(|e| TlsError::Pem(e.to_string()))?;
        let ca = CertificateDer::from_pem_slice(self.ca_cert_pem.as_bytes())
            .map_err(|e| TlsError::Pem(e.to_string()))?;
        let key = PrivateKeyDer::from_pem_slice(self.leaf_key_pem.as_bytes())
            .map_err(|e| TlsError::Pem(e.to_string()))?;
        let mut cfg = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(vec![cert, ca], key)?;
        cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(cfg))
    }
}

/// The CA's parameters. Deterministic, so that with the persisted CA key they rebuild the
/// same issuer (name and key identifier) that signed the persisted CA certificate.
fn ca_params() -> Result<CertificateParams, TlsError> {
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "mock-idp local CA");
    dn.push(DnType::OrganizationName, "mock-idp");
    ca_params.distinguished_name = dn;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    ca_params.not_before = rcgen::date_time_ymd(2024, 1, 1);
    ca_params.not_after = rcgen::date_time_ymd(2049, 12, 31);
    Ok(ca_params)
}

fn issue_leaf(ca_key_pem: &str, extra_names: &[String]) -> Result<(String, String), TlsError> {
    let ca_key = KeyPair::from_pem(ca_key_pem)?;
    let issuer = Issuer::new(ca_params()?, ca_key);
    let leaf_key = KeyPair::generate()?;
    let mut params = CertificateParams::new(leaf_names(extra_names))?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "mock-idp tenant");
    params.distinguished_name = dn;
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    // Python 3.13's default VERIFY_X509_STRICT rejects leaves without an AKI.
    params.use_authority_key_identifier_extension = true;
    params.not_before = rcgen::date_time_ymd(2024, 1, 1);
    params.not_after = rcgen::date_time_ymd(2049, 12, 31);
    let cert = params.signed_by(&leaf_key, &issuer)?;
    Ok((cert.pem(), leaf_key.serialize_pem()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf_der(m: &TlsMaterial) -> Vec<u8> {
        CertificateDer::from_pem_slice(m.leaf_cert_pem.as_bytes())
            .unwrap()
            .as_ref()
            .to_vec()
    }

    #[test]
    fn leaf_covers_defaults_and_extra_names_and_has_an_aki() {
        let mut m = TlsMaterial::generate(&["idp.test".to_owned()]).unwrap();
        for n in ["localhost", "127.0.0.1", "::1", "idp.test"] {
            assert!(m.leaf_covers(n), "{n}");
        }
        assert!(!m.leaf_covers("other.test"));
        // authorityKeyIdentifier OID 2.5.29.35
        let aki = [0x06, 0x03, 0x55, 0x1d, 0x23];
        assert!(leaf_der(&m).windows(5).any(|w| w == aki));
        let ca = m.ca_cert_pem.clone();
        m.reissue_leaf(&["other.test".to_owned()]).unwrap();
        assert!(m.leaf_covers("other.test"));
        assert_eq!(m.ca_cert_pem, ca);
        assert!(m.server_config().is_ok());
    }
}
