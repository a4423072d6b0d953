//! `mock-idp`: run a mock Auth0 tenant, and mint tokens and DPoP proofs for it.
//!
//! This file parses and dispatches; each command lives in its own module (`serve`, `token`,
//! `proof`, `init`, `ca`, `otp`, `healthcheck`, `conformance`, `import`, `export`), a few calls into the
//! library each. All commands share
//! one state directory ([`local`]), so `token`, `proof`, `init` and `ca` act on the tenant
//! `serve` runs.

mod ca;
mod conformance;
mod export;
mod healthcheck;
mod import;
mod init;
mod local;
mod otp;
mod proof;
mod serve;
mod token;
mod watch;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{ArgMatches, CommandFactory as _, FromArgMatches as _, Parser, Subcommand};
use mock_idp::StateDir;

/// A mock Auth0 tenant: OIDC discovery, JWKS and /oauth/token over HTTPS with its own CA.
#[derive(Parser, Debug)]
#[command(name = "mock-idp", version, about, long_about = None)]
pub(crate) struct Cli {
    /// Where keys, the CA and the last serve address live
    /// [default: $XDG_STATE_HOME/mock-idp or ~/.local/state/mock-idp]
    #[arg(long, global = true, env = "MOCK_IDP_STATE_DIR")]
    pub(crate) state_dir: Option<PathBuf>,

    /// In a new state directory, store the repository's fixed test key instead of generating a
    /// fresh RSA key (for tests and throwaway demos).
    #[arg(long, global = true)]
    pub(crate) fixture_keys: bool,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the tenant (HTTPS on 127.0.0.1 unless --http or --bind) until Ctrl-C or SIGTERM.
    Serve(serve::ServeArgs),
    /// Exit 0 when the tenant `serve` runs on this state directory answers (container health
    /// checks), 1 otherwise.
    Healthcheck(healthcheck::HealthcheckArgs),
    /// Print an access token signed by the tenant's key (the dashboard's "Test" tab).
    Token(token::TokenCommand),
    /// Print a DPoP proof (ES256) for a request, for curl's `-H "DPoP: ..."`.
    Proof(proof::ProofCommand),
    /// Write a .env with AUTH0_DOMAIN, AUTH0_AUDIENCE and AUTH0_CA_FILE for this tenant.
    Init(init::InitArgs),
    /// Print the path of the CA certificate clients should trust.
    Ca,
    /// Print the one-time code a user's authenticator app shows now (the OTP enrolment the
    /// tenant on the state directory saved, else the one in --config), to type at the login
    /// page's OTP step or send to the mfa-otp grant.
    Otp(otp::OtpArgs),
    /// Play the conformance catalog against a verifier over HTTP (runs its own tenant on the
    /// state directory's keys and CA, so a target set up for `serve` works unchanged, or
    /// attaches to a running `serve` with --tenant URL); `conformance diff A.json B.json`
    /// compares two reports.
    #[command(long_about = conformance::HOW_TO_RUN)]
    Conformance(Box<conformance::ConformanceArgs>),
    /// Write an auth0-deploy-cli export (tenant.yaml or a directory) as a tenant TOML.
    Import(import::ImportArgs),
    /// Write the running tenant (or --config FILE) as a tenant TOML or a Deploy CLI tenant.yaml.
    Export(export::ExportArgs),
}

/// The state directory `--state-dir` names (or the default); the conformance command's.
pub(crate) fn state_dir(cli: &Cli) -> Result<StateDir> {
    local::state_dir(cli.state_dir.as_deref())
}

/// Runs the command `cli` holds; `matches` are its flags as given, which `token` and `proof`
/// apply over their `--spec`.
async fn run(cli: Cli, matches: &ArgMatches) -> Result<()> {
    let state = cli.state_dir.as_deref();
    let given = matches.subcommand().map_or(matches, |(_, m)| m);
    match &cli.command {
        Command::Serve(a) => serve::run(state, cli.fixture_keys, a).await,
        Command::Healthcheck(a) => healthcheck::run(state, a).await,
        Command::Token(a) => token::run(state, cli.fixture_keys, a, given),
        Command::Proof(a) => proof::run(state, a, given),
        Command::Init(a) => init::run(state, a),
        Command::Ca => ca::run(state),
        Command::Otp(a) => otp::run(state, a),
        Command::Conformance(a) => conformance::run(&cli, a, given).await,
        Command::Import(a) => import::run(a),
        Command::Export(a) => export::run(state, a).await,
    }
}

/// `conformance diff` has exit statuses of its own (1: regression, 2: unreadable report).
fn diff_command(cli: &Cli) -> Option<ExitCode> {
    match &cli.command {
        Command::Conformance(a) => a
            .action
            .as_ref()
            .map(|conformance::ConformanceAction::Diff { old, new }| conformance::diff(old, new)),
        _ => None,
    }
}

/// A flag whose value does not parse is one line, like every other failure; the rest (help,
/// version, an unknown flag) is clap's own output.
fn usage_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if !matches!(
        e.kind(),
        ErrorKind::ValueValidation | ErrorKind::InvalidValue
    ) {
        e.exit();
    }
    let text = e.render().to_string();
    let line: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("For more information"))
        .collect();
    eprintln!("mock-idp: {}", line.join(" ").trim_start_matches("error: "));
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let parsed = Cli::command()
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m).map(|cli| (cli, m)));
    let (cli, matches) = match parsed {
        Ok(parsed) => parsed,
        Err(e) => return usage_error(e),
    };
    if let Some(code) = diff_command(&cli) {
        return code;
    }
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("mock-idp: cannot start runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cli, &matches)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line: the error and those causes its message does not already include.
            let mut line = String::new();
            for cause in e.chain().map(ToString::to_string) {
                if !line.contains(&cause) {
                    if !line.is_empty() {
                        line.push_str(": ");
                    }
                    line.push_str(&cause);
                }
            }
            eprintln!("mock-idp: {line}");
            ExitCode::FAILURE
        }
    }
}
