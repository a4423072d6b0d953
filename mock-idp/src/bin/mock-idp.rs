//! `mock-idp`: run a mock Auth0 tenant, and mint tokens and DPoP proofs for it.
//!
//! A thin wrapper: every command is a few calls into the library. All commands share one state
//! directory, so `token`, `proof`, `init` and `ca` act on the tenant `serve` runs.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result, anyhow, bail};
use clap::{Args, Parser, Subcommand};
use mock_idp::state::ServeAddress;
use mock_idp::{Clock, DpopKey, MockTenant, StateDir, TenantConfig, TokenBuilder};
use serde_json::Value;

/// A mock Auth0 tenant: OIDC discovery, JWKS and /oauth/token over HTTPS with its own CA.
#[derive(Parser, Debug)]
#[command(name = "mock-idp", version, about, long_about = None)]
struct Cli {
    /// Where keys, the CA and the last serve address live
    /// [default: $XDG_STATE_HOME/mock-idp or ~/.local/state/mock-idp]
    #[arg(long, global = true, env = "MOCK_IDP_STATE_DIR")]
    state_dir: Option<PathBuf>,

    /// In a new state directory, store the repository's fixed test key instead of generating a
    /// fresh RSA key (for tests and throwaway demos).
    #[arg(long, global = true)]
    fixture_keys: bool,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the tenant (HTTPS on 127.0.0.1 unless --http) until Ctrl-C.
    Serve(ServeArgs),
    /// Print an access token signed by the tenant's key (the dashboard's "Test" tab).
    Token(TokenArgs),
    /// Print a DPoP proof (ES256) for a request, for curl's `-H "DPoP: ..."`.
    Proof(ProofArgs),
    /// Write a .env with AUTH0_DOMAIN, AUTH0_AUDIENCE and AUTH0_CA_FILE for this tenant.
    Init(InitArgs),
    /// Print the path of the CA certificate clients should trust.
    Ca,
}

#[derive(Args, Debug)]
struct ServeArgs {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 8443)]
    port: u16,
    /// Tenant configuration (TOML); default: the quickstart API and a test application.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Serve plain HTTP instead of HTTPS.
    #[arg(long)]
    http: bool,
    /// Host name used in the issuer and URLs (the server still binds 127.0.0.1 only).
    #[arg(long, default_value = "localhost")]
    host: String,
}

#[derive(Args, Debug)]
struct TokenArgs {
    /// API identifier (`aud`); default: the first API of the configuration.
    #[arg(long)]
    audience: Option<String>,
    /// Space-separated scopes; default: all scopes granted to the default application.
    #[arg(long)]
    scope: Option<String>,
    /// Subject (`sub`); default: `<client_id>@clients`.
    #[arg(long)]
    sub: Option<String>,
    /// Set a claim: `k=v` (v parsed as JSON when it is JSON, else a string). Repeatable.
    #[arg(long = "claim", value_name = "K=V")]
    claims: Vec<String>,
    /// Merge a JSON object of claims from FILE, or from stdin with `-`.
    #[arg(long, value_name = "FILE|-")]
    claims_json: Option<String>,
    /// Set a header parameter: `k=v` (as for --claim). Repeatable.
    #[arg(long = "header", value_name = "K=V")]
    headers: Vec<String>,
    /// Lifetime in seconds (negative: already expired).
    #[arg(long, allow_hyphen_values = true)]
    expires_in: Option<i64>,
    /// Bind the token to this DPoP key (PKCS#8 PEM P-256): `cnf.jkt`.
    #[arg(long, value_name = "FILE")]
    dpop_key: Option<PathBuf>,
    /// Tenant configuration (TOML), as given to `serve`.
    #[arg(long)]
    config: Option<PathBuf>,
}

#[derive(Args, Debug)]
struct ProofArgs {
    /// HTTP method of the request.
    #[arg(long, default_value = "GET")]
    method: String,
    /// Target URL of the request.
    #[arg(long)]
    url: String,
    /// Access token to bind via `ath`.
    #[arg(long)]
    token: Option<String>,
    /// DPoP key (PKCS#8 PEM P-256); default: the state directory's `dpop-key.pem`.
    #[arg(long, value_name = "FILE")]
    key: Option<PathBuf>,
    /// Print this many proofs, one per line, each with its own `jti` (for load generators).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    count: u32,
}

#[derive(Args, Debug)]
struct InitArgs {
    /// Where to write.
    #[arg(long, default_value = ".env")]
    output: PathBuf,
    /// Overwrite an existing file.
    #[arg(long)]
    force: bool,
    /// Tenant configuration (TOML), as given to `serve`.
    #[arg(long)]
    config: Option<PathBuf>,
}

fn state_dir(cli: &Cli) -> Result<StateDir> {
    let path = match &cli.state_dir {
        Some(p) => p.clone(),
        None => StateDir::default_path()?,
    };
    Ok(StateDir::open(path)?)
}

fn load_config(path: Option<&Path>) -> Result<TenantConfig> {
    Ok(match path {
        Some(p) => TenantConfig::load(p)?,
        None => TenantConfig::default(),
    })
}

/// Where `serve` listens (or will, with its defaults).
fn served_at(sd: &StateDir) -> ServeAddress {
    sd.read_endpoint().unwrap_or_else(|| ServeAddress {
        base_url: "https://localhost:8443".into(),
        domain: "localhost:8443".into(),
    })
}

fn parse_kv(kv: &str) -> Result<(String, Value)> {
    let (k, v) = kv
        .split_once('=')
        .ok_or_else(|| anyhow!("`{kv}` is not of the form key=value"))?;
    if k.is_empty() {
        bail!("`{kv}` has an empty key");
    }
    let value = serde_json::from_str(v).unwrap_or_else(|_| Value::String(v.to_owned()));
    Ok((k.to_owned(), value))
}

fn read_dpop_key(path: &Path) -> Result<DpopKey> {
    let pem = std::fs::read_to_string(path).with_context(|| format!("{}", path.display()))?;
    DpopKey::from_pkcs8_pem(&pem).with_context(|| format!("{}", path.display()))
}

async fn serve(cli: &Cli, args: &ServeArgs) -> Result<()> {
    let config = load_config(args.config.as_deref())?;
    let sd = state_dir(cli)?;
    let mut builder = MockTenant::builder()
        .config(config.clone())
        .port(args.port)
        .host(&args.host)
        .state_dir(sd.path())
        .fixture_keys(cli.fixture_keys);
    if args.http {
        builder = builder.http();
    }
    let bound = builder.bind()?;
    sd.write_endpoint(&ServeAddress {
        base_url: bound.uri().to_owned(),
        domain: bound.domain().to_owned(),
    })?;
    let ca = sd.ca_path();
    let uri = bound.uri().to_owned();
    println!(
        "mock-idp tenant listening on 127.0.0.1 ({})",
        bound.domain()
    );
    println!("  issuer:     {}", bound.issuer());
    println!("  discovery:  {uri}/.well-known/openid-configuration");
    println!("  jwks:       {uri}/.well-known/jwks.json");
    println!("  token:      POST {uri}/oauth/token");
    println!("  audience:   {}", bound.audience());
    if let Some(app) = config.default_application() {
        println!("  client:     {} / {}", app.client_id, app.client_secret);
    }
    if !args.http {
        println!("Trust the CA: {}", ca.display());
        println!(
            "  curl --cacert {} {uri}/.well-known/jwks.json",
            ca.display()
        );
        println!(
            "  Python (httpx): SSL_CERT_FILE={}   Node: NODE_EXTRA_CA_CERTS={}",
            ca.display(),
            ca.display()
        );
    }
    println!("Press Ctrl-C to stop.");
    bound
        .serve(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .context("server")?;
    Ok(())
}

fn token(cli: &Cli, args: &TokenArgs) -> Result<String> {
    let config = load_config(args.config.as_deref())?;
    let sd = state_dir(cli)?;
    let keys = sd.load_or_init_keys(cli.fixture_keys)?;
    let at = served_at(&sd);
    let mut b = TokenBuilder::standalone(
        &format!("{}/", at.base_url),
        &keys,
        &config,
        &Clock::new(),
        args.audience.as_deref(),
    );
    if let Some(s) = &args.scope {
        b = b.scope(s);
    }
    if let Some(s) = &args.sub {
        b = b.sub(s);
    }
    if let Some(secs) = args.expires_in {
        b = b.expires_in(secs);
    }
    if let Some(src) = &args.claims_json {
        let text = if src == "-" {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .context("reading claims from stdin")?;
            s
        } else {
            std::fs::read_to_string(src).with_context(|| src.clone())?
        };
        let v: Value = serde_json::from_str(&text)
            .with_context(|| format!("--claims-json {src}: not JSON"))?;
        if !v.is_object() {
            bail!("--claims-json {src}: expected a JSON object");
        }
        b = b.claims(&v);
    }
    for kv in &args.claims {
        let (k, v) = parse_kv(kv).context("--claim")?;
        b = b.claim(&k, v);
    }
    for kv in &args.headers {
        let (k, v) = parse_kv(kv).context("--header")?;
        b = b.header(&k, v);
    }
    if let Some(p) = &args.dpop_key {
        b = b.bound_to(&read_dpop_key(p)?);
    }
    Ok(b.build())
}

fn proof(cli: &Cli, args: &ProofArgs) -> Result<String> {
    let key = match &args.key {
        Some(p) => read_dpop_key(p)?,
        None => state_dir(cli)?.load_or_init_dpop_key()?,
    };
    let proofs: Vec<String> = (0..args.count)
        .map(|_| {
            let b = key.proof(&args.method, &args.url);
            match &args.token {
                Some(t) => b.access_token(t).build(),
                None => b.build(),
            }
        })
        .collect();
    Ok(proofs.join("\n"))
}

fn init(cli: &Cli, args: &InitArgs) -> Result<String> {
    let config = load_config(args.config.as_deref())?;
    let sd = state_dir(cli)?;
    let at = served_at(&sd);
    let host = at
        .domain
        .rsplit_once(':')
        .map_or(at.domain.as_str(), |(h, _)| h)
        .trim_matches(['[', ']'])
        .to_owned();
    sd.load_or_init_tls(&[host])?;
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
    let ca = sd.ca_path();
    let text = format!(
        "# Written by `mock-idp init` for the mock tenant at {base}\n\
         AUTH0_DOMAIN={domain}\n\
         AUTH0_AUDIENCE={audience}\n\
         AUTH0_CA_FILE={ca}\n\
         # Python (httpx) and Node read these to trust the tenant's CA:\n\
         # SSL_CERT_FILE={ca}\n\
         # NODE_EXTRA_CA_CERTS={ca}\n",
        base = at.base_url,
        domain = at.domain,
        ca = ca.display(),
    );
    std::fs::write(&args.output, text).with_context(|| args.output.display().to_string())?;
    Ok(format!("wrote {}", args.output.display()))
}

fn ca(cli: &Cli) -> Result<String> {
    let sd = state_dir(cli)?;
    let at = served_at(&sd);
    let host = at
        .domain
        .rsplit_once(':')
        .map_or(at.domain.as_str(), |(h, _)| h)
        .trim_matches(['[', ']'])
        .to_owned();
    sd.load_or_init_tls(&[host])?;
    Ok(sd.ca_path().display().to_string())
}

async fn run(cli: Cli) -> Result<()> {
    match &cli.command {
        Command::Serve(a) => serve(&cli, a).await,
        Command::Token(a) => token(&cli, a).map(|t| println!("{t}")),
        Command::Proof(a) => proof(&cli, a).map(|p| println!("{p}")),
        Command::Init(a) => init(&cli, a).map(|m| println!("{m}")),
        Command::Ca => ca(&cli).map(|p| println!("{p}")),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
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
    match rt.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line: the error and its causes joined.
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
