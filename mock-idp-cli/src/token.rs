//! `mock-idp token`: an access token signed by the tenant's key, described by the flags of
//! [`TokenSpec`] (the control API's JSON body, read with `--spec`) plus the few flags that
//! only make sense on this machine (`--user`, `--claims-json`, `--dpop-key`, `--config`).

use std::path::PathBuf;

use anyhow::{Context as _, Result, anyhow, bail};
use clap::{ArgMatches, Args, FromArgMatches as _};
use mock_idp::{Clock, TokenBuilder, config::TenantConfig, spec::TokenSpec};
use serde_json::Value;

use crate::local::{
    given_only, load_config, login_application, read_dpop_key, read_source, read_spec, served_at,
    state_dir,
};

#[derive(Args, Debug)]
pub(crate) struct TokenCommand {
    #[command(flatten)]
    spec: TokenSpec,
    /// A user's access token (as the code flow issues it): `sub` is the user's id, no `gty`,
    /// `permissions` from their roles, `azp` the first application users log in to.
    #[arg(long, value_name = "EMAIL")]
    user: Option<String>,
    /// Merge a JSON object of claims from FILE, or from stdin with `-` (before any --claim).
    #[arg(long, value_name = "FILE|-")]
    claims_json: Option<String>,
    /// Bind the token to this DPoP key (PKCS#8 PEM P-256): `cnf.jkt`.
    #[arg(long, value_name = "FILE")]
    dpop_key: Option<PathBuf>,
    /// A token description as JSON from FILE or stdin (`-`), the control API's body; the
    /// other flags apply after it.
    #[arg(long = "spec", value_name = "FILE|-")]
    spec_file: Option<String>,
    /// Tenant configuration (a TOML or a Deploy CLI export), as given to `serve`.
    #[arg(long)]
    config: Option<PathBuf>,
}

/// Prints the token `args` (parsed from `matches`) describes.
pub(crate) fn run(
    state: Option<&std::path::Path>,
    fixture_keys: bool,
    args: &TokenCommand,
    matches: &ArgMatches,
) -> Result<()> {
    let spec = spec(args, matches)?;
    let config = load_config(args.config.as_deref())?;
    let sd = state_dir(state)?;
    let keys = sd.load_or_init_keys(fixture_keys)?;
    let at = served_at(&sd);
    let builder = TokenBuilder::standalone(
        &format!("{}/", at.base_url),
        &keys,
        &config,
        &Clock::new(),
        spec.audience.as_deref(),
    );
    let builder = match &args.user {
        Some(email) => user_token(builder, &config, email)?,
        None => builder,
    };
    println!("{}", spec.apply(builder).build());
    Ok(())
}

/// `--spec` first, then `--claims-json`, then each flag given over them.
fn spec(args: &TokenCommand, matches: &ArgMatches) -> Result<TokenSpec> {
    let mut spec: TokenSpec = read_spec(args.spec_file.as_deref(), "token")?;
    if let Some(src) = &args.claims_json {
        let v: Value = serde_json::from_str(&read_source(src)?)
            .with_context(|| format!("--claims-json {src}: not JSON"))?;
        let Value::Object(map) = v else {
            bail!("--claims-json {src}: expected a JSON object");
        };
        spec.edits.claims.extend(map);
    }
    spec.update_from_arg_matches(&given_only(matches))?;
    if let Some(p) = &args.dpop_key {
        spec.jkt = Some(read_dpop_key(p)?.thumbprint());
    }
    Ok(spec)
}

/// Makes `b` the access token the code flow would give user `email`, for the first
/// application users log in to (the other flags then apply on top).
fn user_token(b: TokenBuilder, config: &TenantConfig, email: &str) -> Result<TokenBuilder> {
    let user = config
        .user_by_email(email)
        .ok_or_else(|| anyhow!("--user {email}: no such user in the tenant configuration"))?;
    let mut b = b.for_user(user, config);
    if let Some(app) = login_application(config) {
        let id = Value::String(app.client_id.clone());
        let claims = b.claims_json();
        if claims.get("azp").is_some() {
            b = b.claim("azp", id);
        } else if claims.get("client_id").is_some() {
            b = b.claim("client_id", id);
        }
    }
    Ok(b)
}
