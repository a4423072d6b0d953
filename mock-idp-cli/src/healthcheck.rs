//! `mock-idp healthcheck`: exit 0 when the tenant this state directory's `serve` advertises
//! answers `GET /health` (container health checks), 1 otherwise.

use std::path::Path;

use anyhow::{Context as _, Result, bail};
use clap::Args;

use crate::local::{served_at, state_dir};

#[derive(Args, Debug)]
pub(crate) struct HealthcheckArgs {
    /// Seconds to wait for an answer.
    #[arg(long, default_value_t = 3)]
    timeout: u64,
}

/// Connects to loopback (the tenant may listen on 0.0.0.0 under a name only the outside
/// resolves) and checks the certificate against the state directory's CA.
pub(crate) async fn run(state: Option<&Path>, args: &HealthcheckArgs) -> Result<()> {
    let sd = state_dir(state)?;
    let at = served_at(&sd);
    let url = url::Url::parse(&format!("{}/health", at.base_url))
        .with_context(|| format!("the recorded address {} is not a URL", at.base_url))?;
    let host = url.host_str().unwrap_or("localhost").to_owned();
    // reqwest takes the port from the URL (not from `resolve`): connect to the listening port
    // under the advertised name, so the certificate check still names the tenant.
    let mut target = url.clone();
    if let Some(port) = at.listen_port {
        let _ = target.set_port(Some(port));
    }
    let port = target.port_or_known_default().unwrap_or(443);
    let mut client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(args.timeout))
        .resolve(&host, std::net::SocketAddr::from(([127, 0, 0, 1], port)));
    if url.scheme() == "https" {
        let pem = std::fs::read(sd.ca_path())
            .with_context(|| format!("{}: the tenant's CA", sd.ca_path().display()))?;
        client = client.tls_certs_only([reqwest::Certificate::from_pem(&pem)?]);
    }
    let res = client.build()?.get(target).send().await;
    match res {
        Ok(r) if r.status().is_success() => {
            println!("healthy: {url}");
            Ok(())
        }
        Ok(r) => bail!("unhealthy: {url} answered {}", r.status()),
        Err(e) => bail!("unhealthy: {url}: {e}"),
    }
}
