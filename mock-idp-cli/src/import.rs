//! `mock-idp import PATH`: an `auth0-deploy-cli` export (a `tenant.yaml` or an export
//! directory) as a tenant TOML, with one warning line per resource type the tenant does not
//! model.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use clap::Args;
use mock_idp::config::TenantConfig;
use mock_idp::config::deploy::{self, Keywords, Options};

#[derive(Args, Debug)]
pub(crate) struct ImportArgs {
    /// The export: a tenant.yaml (`a0deploy export --format yaml`) or an export directory
    /// (`--format directory`).
    path: PathBuf,
    /// Write the TOML here (its clients keep their secrets when it exists) [default: stdout].
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    #[command(flatten)]
    keywords: KeywordArgs,
}

/// Values for the export's `##KEY##` / `@@KEY@@` keywords.
#[derive(Args, Debug, Default)]
pub(crate) struct KeywordArgs {
    /// A JSON file of keyword values: a mapping, or a Deploy CLI config.json with
    /// AUTH0_KEYWORD_REPLACE_MAPPINGS.
    #[arg(long, value_name = "FILE")]
    keywords: Option<PathBuf>,
    /// One keyword's value (repeatable), over those of --keywords.
    #[arg(long = "keyword", value_name = "KEY=VALUE")]
    keyword: Vec<String>,
}

impl KeywordArgs {
    /// The mapping: AUTH0_KEYWORD_REPLACE_MAPPINGS (JSON, as the Deploy CLI reads it), then
    /// --keywords, then each --keyword.
    pub(crate) fn read(&self) -> Result<Keywords> {
        let mut k = match std::env::var("AUTH0_KEYWORD_REPLACE_MAPPINGS") {
            Ok(json) => Keywords::from_json(&json)
                .map_err(|e| anyhow::anyhow!("AUTH0_KEYWORD_REPLACE_MAPPINGS: {e}"))?,
            Err(_) => Keywords::default(),
        };
        if let Some(path) = &self.keywords {
            let text = std::fs::read_to_string(path).with_context(|| path.display().to_string())?;
            let file = Keywords::from_json(&text)
                .map_err(|e| anyhow::anyhow!("--keywords {}: {e}", path.display()))?;
            k.0.extend(file.0);
        }
        for kv in &self.keyword {
            let (key, value) = kv
                .split_once('=')
                .ok_or_else(|| anyhow::anyhow!("--keyword {kv}: expected KEY=VALUE"))?;
            k.insert(key, value);
        }
        Ok(k)
    }
}

/// Reads the tenant `path` names (TOML, or an export) and prints the import's warnings and
/// where generated secrets are (`secrets_at`) on stderr: what `import` and `serve --config`
/// share.
pub(crate) fn load(
    path: &Path,
    keywords: Keywords,
    previous: Option<TenantConfig>,
    secrets_at: &str,
) -> Result<TenantConfig> {
    let imported = deploy::load_any(path, &Options { keywords, previous })?;
    for w in &imported.warnings {
        eprintln!("mock-idp: {}: {w}", path.display());
    }
    if !imported.generated_secrets.is_empty() {
        eprintln!(
            "mock-idp: generated secrets for {} ({}): {secrets_at}",
            imported.generated_secrets.join(", "),
            imported.generated_secrets.len(),
        );
    }
    Ok(imported.config)
}

pub(crate) fn run(args: &ImportArgs) -> Result<()> {
    let previous = match &args.out {
        Some(out) if out.exists() => Some(TenantConfig::load(out)?),
        _ => None,
    };
    let secrets_at = match &args.out {
        Some(out) => format!("client_secret in {}", out.display()),
        None => "client_secret in the TOML printed".into(),
    };
    let config = load(&args.path, args.keywords.read()?, previous, &secrets_at)?;
    let text = deploy::to_toml(&config).context("writing TOML")?;
    match &args.out {
        Some(out) => {
            std::fs::write(out, text).with_context(|| out.display().to_string())?;
            eprintln!(
                "mock-idp: wrote {} ({} APIs, {} applications, {} roles, {} organizations)",
                out.display(),
                config.apis.len(),
                config.applications.len(),
                config.roles.len(),
                config.organizations.len()
            );
        }
        None => print!("{text}"),
    }
    Ok(())
}
