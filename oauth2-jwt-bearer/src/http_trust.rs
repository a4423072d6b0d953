//! [`HttpTrust`]: how this crate reaches a tenant over HTTPS, the same for the verifier's
//! discovery and JWKS fetches and for the token-exchange client: a total timeout, the
//! platform roots plus an optional extra CA, no redirects, https only.

use std::path::PathBuf;
use std::time::Duration;

use crate::error::ConfigError;

/// The extra CA trusted beside the platform roots: the last one given wins.
#[derive(Debug, Clone)]
enum ExtraCa {
    File(PathBuf),
    Pem(Vec<u8>),
}

/// Timeout and extra CA, held by [`VerifierOptions`](crate::VerifierOptions) and
/// [`ExchangeOptions`](crate::exchange::ExchangeOptions) alike.
#[derive(Debug, Clone)]
pub(crate) struct HttpTrust {
    timeout: Duration,
    extra_ca: Option<ExtraCa>,
}

impl HttpTrust {
    /// Platform roots only, 10 s per call.
    pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

    pub(crate) fn new() -> Self {
        HttpTrust {
            timeout: Self::DEFAULT_TIMEOUT,
            extra_ca: None,
        }
    }

    pub(crate) fn set_timeout(&mut self, d: Duration) {
        self.timeout = d;
    }

    pub(crate) fn set_ca_file(&mut self, path: PathBuf) {
        self.extra_ca = Some(ExtraCa::File(path));
    }

    pub(crate) fn set_ca_pem(&mut self, pem: Vec<u8>) {
        self.extra_ca = Some(ExtraCa::Pem(pem));
    }

    /// The HTTP client; `timeout_setting` names the timeout in the error when it is zero.
    pub(crate) fn client(
        &self,
        timeout_setting: &'static str,
    ) -> Result<reqwest::Client, ConfigError> {
        if self.timeout.is_zero() {
            return Err(ConfigError::ZeroDuration(timeout_setting));
        }
        let ca = match &self.extra_ca {
            None => None,
            Some(ExtraCa::Pem(pem)) => Some(pem.clone()),
            Some(ExtraCa::File(path)) => {
                Some(std::fs::read(path).map_err(|source| ConfigError::CaFile {
                    path: path.clone(),
                    source,
                })?)
            }
        };
        build_client(self.timeout, ca.as_deref())
    }
}

fn build_client(
    timeout: Duration,
    extra_ca: Option<&[u8]>,
) -> Result<reqwest::Client, ConfigError> {
    let mut b = reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        // A redirect could move the JWKS to another origin (KEY-16): never follow.
        .redirect(reqwest::redirect::Policy::none())
        .https_only(true)
        .user_agent(concat!("protected-api/", env!("CARGO_PKG_VERSION")));
    if let Some(pem) = extra_ca {
        let certs =
            reqwest::Certificate::from_pem_bundle(pem).map_err(|_| ConfigError::InvalidCa)?;
        if certs.is_empty() {
            return Err(ConfigError::InvalidCa);
        }
        b = b.tls_certs_merge(certs);
    }
    b.build().map_err(ConfigError::HttpClient)
}
