//! `mock-idp proof`: DPoP proofs (ES256 by default) for a request, for curl's
//! `-H "DPoP: ..."`, described by the flags of [`ProofSpec`] (the control API's JSON body,
//! read with `--spec`) plus the request and the key.

use std::path::PathBuf;

use anyhow::{Result, bail};
use clap::{ArgMatches, Args, FromArgMatches as _};
use mock_idp::ProofSpec;

use crate::local::{given_only, read_dpop_key, read_spec, state_dir};

#[derive(Args, Debug)]
pub(crate) struct ProofCommand {
    /// HTTP method of the request.
    #[arg(long, default_value = "GET")]
    method: String,
    /// Target URL of the request.
    #[arg(long)]
    url: String,
    /// DPoP key (PKCS#8 PEM P-256); default: the state directory's `dpop-key.pem`.
    #[arg(long, value_name = "FILE")]
    key: Option<PathBuf>,
    #[command(flatten)]
    spec: ProofSpec,
    /// A proof description as JSON from FILE or stdin (`-`); the other flags apply after it.
    #[arg(long = "spec", value_name = "FILE|-")]
    spec_file: Option<String>,
    /// Print this many proofs, one per line, each with its own `jti` (for load generators).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    count: u32,
}

/// Prints the proofs `args` (parsed from `matches`) describe.
pub(crate) fn run(
    state: Option<&std::path::Path>,
    args: &ProofCommand,
    matches: &ArgMatches,
) -> Result<()> {
    let mut spec: ProofSpec = read_spec(args.spec_file.as_deref(), "proof")?;
    spec.update_from_arg_matches(&given_only(matches))?;
    if args.count > 1 && spec.jti.is_some() {
        bail!("--count with --jti would print the same proof several times");
    }
    let key = match &args.key {
        Some(p) => read_dpop_key(p)?,
        None => state_dir(state)?.load_or_init_dpop_key()?,
    };
    for _ in 0..args.count {
        println!("{}", spec.apply(key.proof(&args.method, &args.url)).build());
    }
    Ok(())
}
