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
            let ok = url::Host::parse(host).is_ok_and(|h| {
                h.to_string()
                    .eq_ignore_ascii_case(host.trim_matches(['[', ']']))
            });
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
