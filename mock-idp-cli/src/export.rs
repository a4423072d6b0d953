//! `mock-idp export`: the running tenant (over the control API of a `serve`), or a
//! configuration file, as a tenant TOML or as an `auth0-deploy-cli` `tenant.yaml`.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, anyhow, bail};
use clap::Args;
use mock_idp::config::TenantConfig;
use mock_idp::config::deploy;

use crate::import::{KeywordArgs, load};
use crate::local::{served_at, state_dir};

#[derive(Args, Debug)]
pub(crate) struct ExportArgs {
    /// `toml` (the tenant TOML) or `yaml` (a Deploy CLI tenant.yaml: clients by name, no
    /// secrets).
    #[arg(long, default_value = "toml", value_parser = ["toml", "yaml"])]
    format: String,
    /// Export this configuration file (TOML or a Deploy CLI export) instead of the running
    /// tenant.
    #[arg(long, value_name = "FILE", conflicts_with = "tenant")]
    config: Option<PathBuf>,
    /// The running tenant [default: where `serve` on this state directory listens].
    #[arg(long, value_name = "URL")]
    tenant: Option<String>,
    /// The running tenant's control API secret.
    #[arg(long, env = "MOCK_IDP_ADMIN_SECRET", hide_env_values = true)]
    admin_secret: Option<String>,
    /// Write here [default: stdout].
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    #[command(flatten)]
    keywords: KeywordArgs,
}

pub(crate) async fn run(state: Option<&Path>, args: &ExportArgs) -> Result<()> {
    let sd = state_dir(state)?;
    let at = served_at(&sd);
    let (config, domain) = match &args.config {
        Some(path) => (
            load(
                path,
                args.keywords.read()?,
                None,
                "client_secret in the TOML export",
            )?,
            at.domain.clone(),
        ),
        None => {
            let base = args.tenant.clone().unwrap_or_else(|| at.base_url.clone());
            let config = fetch(&base, args.admin_secret.as_deref(), &sd.ca_path()).await?;
            let domain = url::Url::parse(&base)
                .ok()
                .and_then(|u| {
                    let host = u.host_str()?.to_owned();
                    Some(match u.port() {
                        Some(p) => format!("{host}:{p}"),
                        None => host,
                    })
                })
                .unwrap_or(at.domain.clone());
            (config, domain)
        }
    };
    let text = if args.format == "yaml" {
        let export = deploy::to_yaml(&config, &domain);
        for w in &export.warnings {
            eprintln!("mock-idp: {w}");
        }
        export.yaml
    } else {
        deploy::to_toml(&config).context("writing TOML")?
    };
    match &args.out {
        Some(out) => std::fs::write(out, text).with_context(|| out.display().to_string())?,
        None => print!("{text}"),
    }
    Ok(())
}

/// `GET /control/config` of the tenant at `base`, trusting `ca` for HTTPS.
async fn fetch(base: &str, secret: Option<&str>, ca: &Path) -> Result<TenantConfig> {
    let secret = secret.ok_or_else(|| {
        anyhow!("export of a running tenant needs its admin secret: --admin-secret or MOCK_IDP_ADMIN_SECRET (or give --config FILE)")
    })?;
    let mut client = reqwest::Client::builder().timeout(std::time::Duration::from_secs(10));
    if base.starts_with("https://") {
        let pem =
            std::fs::read(ca).with_context(|| format!("{}: the tenant's CA", ca.display()))?;
        client = client.tls_certs_only([reqwest::Certificate::from_pem(&pem)?]);
    }
    let url = format!("{}/control/config", base.trim_end_matches('/'));
    let res = client
        .build()?
        .get(&url)
        .bearer_auth(secret)
        .send()
        .await
        .with_context(|| format!("{url}: is `mock-idp serve` running?"))?;
    if !res.status().is_success() {
        bail!("{url} answered {}", res.status());
    }
    res.json()
        .await
        .with_context(|| format!("{url}: not a tenant configuration"))
}
