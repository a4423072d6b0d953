//! `conformance --tenant URL`: the run attached to a tenant started elsewhere. The
//! orchestration is `verifier_conformance::Attached`; this reads the flags and files it needs
//! and detaches however the run ends, Ctrl-C included.

use anyhow::{Context as _, Result, anyhow};
use mock_idp::{MockTenant, StateDir};
use verifier_conformance::{Attached, Callback, Target};

use crate::Cli;
use crate::conformance::{ConformanceArgs, play};
use crate::local::load_config;

pub(crate) async fn run(
    cli: &Cli,
    a: &ConformanceArgs,
    sd: &StateDir,
    url: &str,
    target: Target,
) -> Result<()> {
    let secret = a.admin_secret.as_deref().ok_or_else(|| {
        anyhow!("--tenant needs the tenant's admin secret: --admin-secret or MOCK_IDP_ADMIN_SECRET")
    })?;
    let ca_path = a.tenant_ca.clone().unwrap_or_else(|| sd.ca_path());
    let ca_pem = std::fs::read_to_string(&ca_path).with_context(|| {
        format!(
            "reading the tenant's CA {} (give --tenant-ca FILE: what `mock-idp ca` prints where \
             serve runs)",
            ca_path.display()
        )
    })?;
    let mut callback = Callback {
        url: a.callback_url.clone(),
        ..Callback::default()
    };
    if let Some(v) = &a.callback_bind {
        callback.bind = Callback::parse_bind(v).ok_or_else(|| {
            anyhow!("--callback-bind {v}: expected an IP address or IP:PORT, e.g. 0.0.0.0:9443")
        })?;
    }
    let builder = MockTenant::builder()
        .config(load_config(a.tenant_config.as_deref())?)
        // The same keys as a `serve` sharing the state directory: a target that cached its
        // JWKS keeps trusting the runner's tokens.
        .keys(sd.load_or_init_keys(cli.fixture_keys)?);
    let attached = Attached::start(url, secret, &ca_pem, builder, &callback).await?;
    eprintln!(
        "attached to {url}: its discovery and JWKS come from {} until the run ends",
        attached.callback()
    );
    let played = tokio::select! {
        r = play(a, attached.tenant(), target, &ca_path) => r,
        _ = tokio::signal::ctrl_c() => Err(anyhow!("interrupted")),
    };
    let detached = attached.detach().await;
    played?;
    Ok(detached?)
}
