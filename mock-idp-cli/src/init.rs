//! `mock-idp init`: the `.env` an API needs to verify this tenant's tokens
//! ([`mock_idp::dotenv`], the same text the banners and the Test page show).

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use clap::Args;

use mock_idp::{ServeAddress, config::TenantConfig};

use crate::local::{load_config, served_at, state_dir, tls_host};

#[derive(Args, Debug)]
pub(crate) struct InitArgs {
    /// Where to write.
    #[arg(long, default_value = ".env")]
    output: PathBuf,
    /// Overwrite an existing file.
    #[arg(long)]
    force: bool,
    /// Tenant configuration (a TOML or a Deploy CLI export), as given to `serve`.
    #[arg(long)]
    config: Option<PathBuf>,
}

pub(crate) fn run(state: Option<&Path>, args: &InitArgs) -> Result<()> {
    let config = load_config(args.config.as_deref())?;
    let sd = state_dir(state)?;
    let at = served_at(&sd);
    sd.load_or_init_tls(&[tls_host(&at)])?;
    if args.output.exists() && !args.force {
        bail!(
            "{} already exists (use --force to overwrite)",
            args.output.display()
        );
    }
    let audience = config
        .default_api()
        .map(|a| a.identifier.clone())
        .unwrap_or_default();
    let signing = config
        .default_api()
        .map(|a| a.verifier_env())
        .unwrap_or_default();
    let ca = at.base_url.starts_with("https:").then(|| sd.ca_path());
    let text = format!(
        "# Written by `mock-idp init` for the mock tenant at {}\n{}{signing}",
        at.base_url,
        mock_idp::dotenv(&domains(&at, &config), &audience, ca.as_deref())
    );
    std::fs::write(&args.output, text).with_context(|| args.output.display().to_string())?;
    println!("wrote {}", args.output.display());
    Ok(())
}

/// The domains `serve` answers on: the one it advertises, then the configuration's custom
/// domains on the same port (as the tenant lists them), so the `.env` has `AUTH0_DOMAINS`
/// exactly when the tenant has custom domains.
fn domains(at: &ServeAddress, config: &TenantConfig) -> Vec<String> {
    let mut all = vec![at.domain.clone()];
    let port = url::Url::parse(&at.base_url)
        .ok()
        .and_then(|u| u.port_or_known_default());
    for host in config.custom_domains.iter().filter(|_| port.is_some()) {
        let domain = format!("{}:{}", host.to_ascii_lowercase(), port.unwrap_or_default());
        if !all.contains(&domain) {
            all.push(domain);
        }
    }
    all
}
