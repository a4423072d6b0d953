//! `[client_id_metadata_documents]`: whether the tenant accepts an `https` URL as `client_id`
//! (draft-ietf-oauth-client-id-metadata-document, the MCP authorization spec's preferred way
//! for a client to identify itself) and what the operator lets it fetch.
//!
//! A switch of its own, not `enable_dynamic_client_registration`: accepting these documents
//! makes the tenant fetch URLs a stranger names, an outbound capability an operator may want
//! without opening registration (or the reverse), and the MCP spec lets an authorization
//! server offer either.

use serde::{Deserialize, Serialize};

/// `[client_id_metadata_documents]` in the tenant TOML.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientIdMetadataDocuments {
    /// Accept an `https` URL as `client_id` at `/authorize` and `/oauth/token`, and advertise
    /// `client_id_metadata_document_supported`. Off by default.
    #[serde(default)]
    pub enabled: bool,
    /// Hosts (names or IP literals, exactly as they appear in the URL) whose documents may be
    /// fetched although they resolve to a loopback, private, link-local or otherwise
    /// non-public address (the SSRF rule). Empty by default: only public addresses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow_hosts: Vec<String>,
    /// A CA certificate (PEM) that documents' servers may chain to instead of the system's
    /// roots: a test server's CA.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_pem: Option<String>,
}

impl ClientIdMetadataDocuments {
    pub(crate) fn is_default(&self) -> bool {
        *self == Self::default()
    }

    /// The setting and problem of the first entry that cannot be used.
    pub(crate) fn validate(&self) -> Result<(), (String, String)> {
        const KEY: &str = "client_id_metadata_documents";
        for (i, host) in self.allow_hosts.iter().enumerate() {
            let ip = host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<std::net::IpAddr>()
                .is_ok();
            let name = matches!(url::Host::parse(host), Ok(url::Host::Domain(d)) if d.eq_ignore_ascii_case(host));
            let ok = ip || name;
            if !ok {
                return Err((
                    format!("{KEY}.allow_hosts[{i}]"),
                    format!("`{host}` is not a host name or IP address"),
                ));
            }
        }
        if let Some(pem) = &self.ca_pem
            && reqwest::Certificate::from_pem_bundle(pem.as_bytes()).map_or(true, |c| c.is_empty())
        {
            return Err((format!("{KEY}.ca_pem"), "not a PEM certificate".into()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::config::TenantConfig;

    /// A setting that cannot be used stops start-up with one line naming it.
    #[test]
    fn unusable_settings_are_named() {
        for (toml, line) in [
            (
                "[client_id_metadata_documents]\nenabled = true\nallow_hosts = [\"127.0.0.1/8\"]\n",
                "t.toml: client_id_metadata_documents.allow_hosts[0]: `127.0.0.1/8` is not a host name or IP address",
            ),
            (
                "[client_id_metadata_documents]\nenabled = true\nca_pem = \"not a certificate\"\n",
                "t.toml: client_id_metadata_documents.ca_pem: not a PEM certificate",
            ),
        ] {
            let toml = format!("{toml}[[apis]]\nidentifier = \"https://a\"\n");
            let err = TenantConfig::parse(&toml, "t.toml").unwrap_err();
            assert_eq!(err.to_string(), line);
        }
        let ok = TenantConfig::parse(
            "[client_id_metadata_documents]\nenabled = true\nallow_hosts = [\"localhost\", \"::1\", \"[::1]\", \"10.0.0.7\"]\n[[apis]]\nidentifier = \"https://a\"\n",
            "t.toml",
        )
        .unwrap();
        assert!(ok.client_id_metadata_documents.enabled);
    }
}
