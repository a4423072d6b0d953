//! The tenant's own certificate authority and server certificate.
//!
//! Verifiers must reach a tenant over HTTPS (discovery is always `https://{domain}`), so the
//! tenant acts as its own CA: clients trust one CA file, and the leaf can be reissued for new
//! names without clients changing anything.
//!
//! Users are told to trust the CA in their browser, so it may vouch only for what the tenant
//! serves (review L8): it carries X.509 name constraints permitting `localhost` (and its
//! subdomains), the loopback addresses and the tenant's configured names, and it lives
//! [`CA_LIFETIME_DAYS`] days; the state directory renews it (same key) when fewer than
//! [`RENEW_WITHIN_DAYS`] remain or a new name is configured.

use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, CidrSubnet, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, GeneralSubtree, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    NameConstraints,
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

/// How long a CA (and a leaf) is valid, in days.
pub(crate) const CA_LIFETIME_DAYS: u64 = 365;
/// A CA with fewer days left than this is renewed when the state directory is loaded.
pub(crate) const RENEW_WITHIN_DAYS: u64 = 30;

/// Seconds since the Unix epoch, now.
fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The validity window of a certificate issued now (from a day ago, for clock skew, for
/// [`CA_LIFETIME_DAYS`]) as certificate parameters, and its end in Unix seconds.
fn validity() -> (CertificateParams, u64) {
    let day = 86_400;
    let now = unix_now();
    let epoch = rcgen::date_time_ymd(1970, 1, 1);
    let mut p = CertificateParams::default();
    p.not_before = epoch + std::time::Duration::from_secs(now.saturating_sub(day));
    let end = now + CA_LIFETIME_DAYS * day;
    p.not_after = epoch + std::time::Duration::from_secs(end);
    (p, end)
}

/// The subtrees the CA may vouch for: loopback (127.0.0.0/8, ::1), `localhost`, and `names`
/// (DNS names, or IP addresses as single-address subnets).
fn permitted_subtrees(names: &[String]) -> Vec<GeneralSubtree> {
    let mut out = vec![
        GeneralSubtree::DnsName("localhost".into()),
        GeneralSubtree::IpAddress(CidrSubnet::from_v4_prefix([127, 0, 0, 0], 8)),
        GeneralSubtree::IpAddress(CidrSubnet::from_v6_prefix(
            std::net::Ipv6Addr::LOCALHOST.octets(),
            128,
        )),
    ];
    for n in names {
        let subtree = match n.parse::<std::net::IpAddr>() {
            Ok(ip) if ip.is_loopback() => continue,
            Ok(std::net::IpAddr::V4(ip)) => {
                GeneralSubtree::IpAddress(CidrSubnet::from_v4_prefix(ip.octets(), 32))
            }
            Ok(std::net::IpAddr::V6(ip)) => {
                GeneralSubtree::IpAddress(CidrSubnet::from_v6_prefix(ip.octets(), 128))
            }
            Err(_) if n == "localhost" => continue,
            Err(_) => GeneralSubtree::DnsName(n.clone()),
        };
        if !out.contains(&subtree) {
            out.push(subtree);
        }
    }
    out
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
    ///
    /// The CA is name-constrained to those names and lives a year (`CA_LIFETIME_DAYS`).
    pub fn generate(extra_names: &[String]) -> Result<Self, TlsError> {
        let ca_key = KeyPair::generate()?;
        let mut m = TlsMaterial {
            ca_cert_pem: String::new(),
            ca_key_pem: ca_key.serialize_pem(),
            leaf_cert_pem: String::new(),
            leaf_key_pem: String::new(),
        };
        m.renew_ca(extra_names)?;
        Ok(m)
    }

    /// Issues a new CA certificate for the same CA key (name constraints for `extra_names`,
    /// a new validity window) and a new leaf under it. Returns the CA's expiry (Unix seconds).
    pub fn renew_ca(&mut self, extra_names: &[String]) -> Result<u64, TlsError> {
        let ca_key = KeyPair::from_pem(&self.ca_key_pem)?;
        let mut params = ca_params()?;
        let (window, end) = validity();
        params.not_before = window.not_before;
        params.not_after = window.not_after;
        params.name_constraints = Some(NameConstraints {
            permitted_subtrees: permitted_subtrees(extra_names),
            excluded_subtrees: Vec::new(),
        });
        self.ca_cert_pem = params.self_signed(&ca_key)?.pem();
        self.reissue_leaf(extra_names)?;
        Ok(end)
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
/// same issuer (name and key identifier) that signed the persisted CA certificate; validity
/// and name constraints are set where the CA certificate itself is made.
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
    let (window, _) = validity();
    params.not_before = window.not_before;
    params.not_after = window.not_after;
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
