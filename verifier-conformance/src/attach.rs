//! Attaching a run to a tenant started elsewhere (`mock-idp serve` in another shell or
//! container; `mock-idp conformance --tenant URL`) through its control API.
//!
//! The catalog keeps steering the runner's in-process tenant, which takes the running tenant's
//! issuer; the running tenant is told (`PUT /control/upstream`) to answer discovery and JWKS
//! from it. The verifier under test keeps its configuration (the running tenant's domain and
//! CA) and sees every key, variant document, fault and fetch count the catalog sets.
//! [`Attached::start`] does all of it; [`Attached::detach`] gives the running tenant its own
//! discovery and JWKS back.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use mock_idp::config::TenantConfig;
use mock_idp::{MockTenant, TenantBuilder, error::StartError};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// How long one control call may take: the tenant answers these at once.
const CONTROL_TIMEOUT: Duration = Duration::from_secs(10);

/// Why the runner could not attach to (or detach from) the running tenant.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AttachError {
    /// The tenant's CA is not a PEM certificate.
    #[error("the tenant's CA is not a PEM certificate (give --tenant-ca FILE)")]
    BadCa,
    /// No connection, a TLS failure, a timeout.
    #[error(
        "cannot reach the tenant at {url} (is `mock-idp serve` running there, and does \
         --tenant-ca hold its CA?)"
    )]
    Unreachable {
        /// The running tenant.
        url: String,
        /// The cause.
        #[source]
        source: reqwest::Error,
    },
    /// 401 or 403 to the admin secret.
    #[error(
        "the tenant at {url} refused the admin secret ({status}): give the one `mock-idp serve` \
         printed, with --admin-secret or MOCK_IDP_ADMIN_SECRET"
    )]
    Refused {
        /// The running tenant.
        url: String,
        /// Its answer.
        status: StatusCode,
    },
    /// 404 on the control route: started with `--no-control-api`, or an older mock-idp.
    #[error(
        "the tenant at {url} has no control API (404 on {path}): start `mock-idp serve` without \
         --no-control-api"
    )]
    NoControlApi {
        /// The running tenant.
        url: String,
        /// The route it does not have.
        path: &'static str,
    },
    /// Any other answer.
    #[error("the tenant at {url} answered {status} to {method} {path}: {body}")]
    Unexpected {
        /// The running tenant.
        url: String,
        /// The request's method.
        method: Method,
        /// The request's path.
        path: &'static str,
        /// Its answer.
        status: StatusCode,
        /// The start of the answer's body.
        body: String,
    },
    /// The discovery document has no usable `issuer`.
    #[error("the tenant at {url} publishes no usable issuer in its discovery document")]
    NoIssuer {
        /// The running tenant.
        url: String,
    },
    /// `GET /control/config` answered something that is not a tenant configuration.
    #[error(
        "the tenant at {url} sent a configuration this runner cannot read (is it the same \
         mock-idp version? else give --tenant-config FILE)"
    )]
    BadConfig {
        /// The running tenant.
        url: String,
        /// The cause.
        #[source]
        source: reqwest::Error,
    },
    /// `--callback-url` is not a URL.
    #[error("callback URL {0}: not a URL")]
    BadCallback(String),
    /// The runner's tenant could not start (its address is taken, say).
    #[error("starting the runner's tenant on {bind}")]
    Start {
        /// Where it was to listen.
        bind: SocketAddr,
        /// The cause.
        #[source]
        source: StartError,
    },
}

const UPSTREAM: &str = "/control/upstream";
const DISCOVERY: &str = "/.well-known/openid-configuration";
const CONFIG: &str = "/control/config";

/// Where the runner's tenant listens for the requests the running tenant forwards, and the
/// origin the running tenant reaches it at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Callback {
    /// An IP and port; port 0 picks a free one. Default `127.0.0.1:0`; `0.0.0.0:9443` when the
    /// running tenant is in another container.
    pub bind: SocketAddr,
    /// `https://SERVICE:9443` in compose [default: `scheme://bind`, 127.0.0.1 for an
    /// unspecified IP]. The runner's certificate covers its host.
    pub url: Option<String>,
}

impl Default for Callback {
    fn default() -> Self {
        Callback {
            bind: SocketAddr::new(Ipv4Addr::LOCALHOST.into(), 0),
            url: None,
        }
    }
}

impl Callback {
    /// Parses `--callback-bind`: an IP (a free port) or IP:PORT.
    pub fn parse_bind(v: &str) -> Option<SocketAddr> {
        v.parse::<SocketAddr>()
            .ok()
            .or_else(|| v.parse::<IpAddr>().ok().map(|ip| SocketAddr::new(ip, 0)))
    }
}

/// A run attached to a running tenant: the runner's tenant under the running tenant's issuer,
/// which the running tenant forwards discovery and JWKS to until [`detach`](Self::detach).
#[derive(Debug)]
#[must_use = "detach it when the run ends, or the running tenant keeps forwarding"]
pub struct Attached {
    tenant: MockTenant,
    attachment: Attachment,
    callback: String,
}

impl Attached {
    /// The running tenant's configuration as it runs now (`GET /control/config`), for the
    /// runner's tenant to play by when the caller has no file of its own: cases that depend on
    /// the tenant's data (an HS256 API's signing secret, its APIs and algorithms) then use the
    /// running tenant's, not a default. Its Actions are left out: they run in login flows,
    /// which the runner never plays, and without them the runner needs no Node.
    pub async fn running_config(
        url: &str,
        secret: &str,
        ca_pem: &str,
    ) -> Result<TenantConfig, AttachError> {
        let attachment = Attachment::connect(url, secret, ca_pem).await?;
        let mut config = attachment.config().await?;
        config.actions.clear();
        Ok(config)
    }

    /// Connects to the tenant at `url` (its control API `secret` and CA `ca_pem`), starts the
    /// runner's tenant from `builder` (its config and keys: give it the keys the running tenant
    /// publishes, so a target that cached them keeps trusting the run's tokens) under the
    /// running tenant's issuer, listening at `callback`, and delegates discovery and JWKS to it.
    pub async fn start(
        url: &str,
        secret: &str,
        ca_pem: &str,
        builder: TenantBuilder,
        callback: &Callback,
    ) -> Result<Attached, AttachError> {
        let attachment = Attachment::connect(url, secret, ca_pem).await?;
        let issuer = attachment.issuer().await?;
        let host = issuer
            .host_str()
            .unwrap_or("localhost")
            .trim_matches(['[', ']'])
            .to_owned();
        let mut builder = builder
            .host(&host)
            .public_port(issuer.port_or_known_default().unwrap_or(443))
            .bind_ip(callback.bind.ip())
            .port(callback.bind.port());
        if issuer.scheme() == "http" {
            builder = builder.http();
        }
        let callback_host = callback
            .url
            .as_deref()
            .map(|u| url::Url::parse(u).map_err(|_| AttachError::BadCallback(u.to_owned())))
            .transpose()?
            .and_then(|u| u.host_str().map(|h| h.trim_matches(['[', ']']).to_owned()));
        if let Some(name) = &callback_host
            && *name != host
            && !mock_idp::TlsMaterial::DEFAULT_NAMES.contains(&name.as_str())
        {
            // So the runner's certificate covers the name the running tenant connects to.
            builder = builder.custom_domain(name);
        }
        let tenant = builder.try_start().map_err(|source| AttachError::Start {
            bind: callback.bind,
            source,
        })?;
        let callback = match &callback.url {
            Some(u) => u.trim_end_matches('/').to_owned(),
            None => {
                let ip = if callback.bind.ip().is_unspecified() {
                    Ipv4Addr::LOCALHOST.into()
                } else {
                    callback.bind.ip()
                };
                let addr = SocketAddr::new(ip, tenant.urls().local_addr().port());
                format!("{}://{addr}", issuer.scheme())
            }
        };
        attachment
            .delegate_to(&callback, &tenant.ca().pem())
            .await?;
        Ok(Attached {
            tenant,
            attachment,
            callback,
        })
    }

    /// The runner's tenant: run the catalog with it.
    pub fn tenant(&self) -> &MockTenant {
        &self.tenant
    }

    /// The origin the running tenant forwards to.
    pub fn callback(&self) -> &str {
        &self.callback
    }

    /// The running tenant serves its own discovery and JWKS again; the runner's tenant stops.
    pub async fn detach(self) -> Result<(), AttachError> {
        self.attachment.detach().await
    }
}

/// A running tenant the runner steers through its control API.
#[derive(Debug)]
struct Attachment {
    /// `https://host:port`, no trailing slash.
    url: String,
    secret: String,
    client: reqwest::Client,
}

impl Attachment {
    /// Checks that the tenant at `url` answers and takes `secret`, and clears any upstream a
    /// previous run left behind (so its discovery is its own again).
    async fn connect(url: &str, secret: &str, ca_pem: &str) -> Result<Self, AttachError> {
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
    async fn issuer(&self) -> Result<url::Url, AttachError> {
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

    /// The running tenant's configuration.
    async fn config(&self) -> Result<TenantConfig, AttachError> {
        let res = self.send(Method::GET, CONFIG, None).await?;
        res.json().await.map_err(|source| AttachError::BadConfig {
            url: self.url.clone(),
            source,
        })
    }

    /// Delegates the running tenant's discovery and JWKS to `upstream` (the runner's tenant).
    async fn delegate_to(&self, upstream: &str, ca_pem: &str) -> Result<(), AttachError> {
        let body = json!({ "url": upstream, "ca_pem": ca_pem });
        self.send(Method::PUT, UPSTREAM, Some(body)).await.map(drop)
    }

    /// The running tenant serves its own discovery and JWKS again.
    async fn detach(&self) -> Result<(), AttachError> {
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
