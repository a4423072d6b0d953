//! `conformance --tenant URL`: attach the runner to a tenant started elsewhere (`mock-idp
//! serve` in another shell or container) through its control API.
//!
//! The catalog keeps steering the runner's in-process tenant, which takes the running tenant's
//! issuer; the running tenant is told (`PUT /control/upstream`) to answer discovery and JWKS
//! from it. The verifier under test keeps its configuration (the running tenant's domain and
//! CA) and sees every key, variant document, fault and fetch count the catalog sets.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// How long one control call may take: the tenant answers these at once.
const CONTROL_TIMEOUT: Duration = Duration::from_secs(10);

/// Why the runner could not attach to (or detach from) the running tenant.
#[derive(Debug, thiserror::Error)]
pub(crate) enum AttachError {
    /// The tenant's CA is not a PEM certificate.
    #[error("the tenant's CA is not a PEM certificate (give --tenant-ca FILE)")]
    BadCa,
    /// No connection, a TLS failure, a timeout.
    #[error(
        "cannot reach the tenant at {url} (is `mock-idp serve` running there, and does \
         --tenant-ca hold its CA?)"
    )]
    Unreachable {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    /// 401 or 403 to the admin secret.
    #[error(
        "the tenant at {url} refused the admin secret ({status}): give the one `mock-idp serve` \
         printed, with --admin-secret or MOCK_IDP_ADMIN_SECRET"
    )]
    Refused { url: String, status: StatusCode },
    /// 404 on the control route: started with `--no-control-api`, or an older mock-idp.
    #[error(
        "the tenant at {url} has no control API (404 on {path}): start `mock-idp serve` without \
         --no-control-api"
    )]
    NoControlApi { url: String, path: &'static str },
    /// Any other answer.
    #[error("the tenant at {url} answered {status} to {method} {path}: {body}")]
    Unexpected {
        url: String,
        method: Method,
        path: &'static str,
        status: StatusCode,
        body: String,
    },
    /// The discovery document has no usable `issuer`.
    #[error("the tenant at {url} publishes no usable issuer in its discovery document")]
    NoIssuer { url: String },
}

const UPSTREAM: &str = "/control/upstream";
const DISCOVERY: &str = "/.well-known/openid-configuration";

/// A running tenant the runner steers through its control API.
#[derive(Debug)]
pub(crate) struct Attachment {
    /// `https://host:port`, no trailing slash.
    url: String,
    secret: String,
    client: reqwest::Client,
}

impl Attachment {
    /// Checks that the tenant at `url` answers and takes `secret`, and clears any upstream a
    /// previous run left behind (so its discovery is its own again).
    pub(crate) async fn connect(
        url: &str,
        secret: &str,
        ca_pem: &str,
    ) -> Result<Self, AttachError> {
        let certs = reqwest::Certificate::from_pem_bundle(ca_pem.as_bytes())
            .ok()
            .filter(|c| !c.is_empty())
            .ok_or(AttachError::BadCa)?;
        let client = reqwest::Client::builder()
            .tls_certs_only(certs)
            .timeout(CONTROL_TIMEOUT)
            .build()
            .map_err(|source| AttachError::Unreachable {
                url: url.to_owned(),
                source,
            })?;
        let at = Attachment {
            url: url.trim_end_matches('/').to_owned(),
            secret: secret.to_owned(),
            client,
        };
        at.detach().await?;
        Ok(at)
    }

    /// The running tenant's issuer, from its discovery document.
    pub(crate) async fn issuer(&self) -> Result<url::Url, AttachError> {
        let res = self.send(Method::GET, DISCOVERY, None).await?;
        let body: Value = res
            .json()
            .await
            .map_err(|source| self.unreachable(source))?;
        body["issuer"]
            .as_str()
            .and_then(|s| url::Url::parse(s).ok())
            .filter(|u| u.host_str().is_some())
            .ok_or_else(|| AttachError::NoIssuer {
                url: self.url.clone(),
            })
    }

    /// Delegates the running tenant's discovery and JWKS to `upstream` (the runner's tenant).
    pub(crate) async fn delegate_to(
        &self,
        upstream: &str,
        ca_pem: &str,
    ) -> Result<(), AttachError> {
        let body = json!({ "url": upstream, "ca_pem": ca_pem });
        self.send(Method::PUT, UPSTREAM, Some(body)).await.map(drop)
    }

    /// The running tenant serves its own discovery and JWKS again.
    pub(crate) async fn detach(&self) -> Result<(), AttachError> {
        self.send(Method::DELETE, UPSTREAM, None).await.map(drop)
    }

    fn unreachable(&self, source: reqwest::Error) -> AttachError {
        AttachError::Unreachable {
            url: self.url.clone(),
            source,
        }
    }

    async fn send(
        &self,
        method: Method,
        path: &'static str,
        body: Option<Value>,
    ) -> Result<reqwest::Response, AttachError> {
        let mut req = self
            .client
            .request(method.clone(), format!("{}{path}", self.url));
        if path.starts_with("/control/") {
            req = req.bearer_auth(&self.secret);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.map_err(|e| self.unreachable(e))?;
        let status = res.status();
        if status.is_success() {
            return Ok(res);
        }
        let url = self.url.clone();
        Err(match status {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                AttachError::Refused { url, status }
            }
            StatusCode::NOT_FOUND if path == UPSTREAM => AttachError::NoControlApi { url, path },
            _ => {
                let mut body = res.text().await.unwrap_or_default();
                body.truncate(200);
                AttachError::Unexpected {
                    url,
                    method,
                    path,
                    status,
                    body,
                }
            }
        })
    }
}
