//! `mock-idp`: run a mock Auth0 tenant, and mint tokens and DPoP proofs for it.
//!
//! This file parses and dispatches; each command lives in its own module (`serve`, `token`,
//! `proof`, `init`, `ca`, `healthcheck`), a few calls into the library each. All commands share
//! one state directory ([`local`]), so `token`, `proof`, `init` and `ca` act on the tenant
//! `serve` runs.

mod attach;
mod ca;
mod healthcheck;
mod init;
mod local;
mod proof;
mod serve;
mod token;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result, anyhow, bail};
use clap::{ArgMatches, Args, CommandFactory as _, FromArgMatches as _, Parser, Subcommand};
use local::load_config;
use mock_idp::{MockTenant, ServeAddress, StateDir};
use verifier_conformance::{Catalog, Diff, FailOn, Runner, Target, env_for, wait_for_target};

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
    /// Play the conformance catalog against a verifier over HTTP (runs its own tenant on the
    /// state directory's keys and CA, so a target set up for `serve` works unchanged, or
    /// attaches to a running `serve` with --tenant URL); `conformance diff A.json B.json`
    /// compares two reports.
    Conformance(Box<ConformanceArgs>),
}

#[derive(Subcommand, Debug)]
enum ConformanceAction {
    /// Compare two JSON reports: the cases whose grade changed, regressions first. Exit status
    /// 1 when a case regressed, 2 when a report cannot be read.
    Diff {
        /// The earlier report (`--json` output).
        old: PathBuf,
        /// The later report.
        new: PathBuf,
    },
}

/// How `--list` prints the catalog.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum ListFormat {
    /// Columns: id, level, group, title, source.
    Table,
    /// An array of {id, level, group, title, source}.
    Json,
    /// The catalog document (docs/conformance-catalog.md).
    Markdown,
}

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
struct ConformanceArgs {
    #[command(subcommand)]
    action: Option<ConformanceAction>,
    /// Print the catalog (--only filters it) instead of running it.
    #[arg(long)]
    list: bool,
    /// With --list: table, json or markdown.
    #[arg(long, value_enum, default_value_t = ListFormat::Table, requires = "list")]
    format: ListFormat,
    /// With --list: the same as --format markdown.
    #[arg(long, requires = "list", conflicts_with = "format")]
    markdown: bool,
    /// Base URL of the verifier under test, e.g. http://127.0.0.1:3010.
    #[arg(long)]
    target: Option<String>,
    /// Target description (TOML); flags override it.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Route needing any valid token.
    #[arg(long)]
    bearer_route: Option<String>,
    /// Route needing --scope.
    #[arg(long)]
    scoped_route: Option<String>,
    /// Scope the scoped route requires.
    #[arg(long)]
    scope: Option<String>,
    /// Route for DPoP cases.
    #[arg(long)]
    dpop_route: Option<String>,
    /// disabled | allowed | required.
    #[arg(long)]
    dpop_mode: Option<String>,
    /// auth0-compat | rfc9068-strict.
    #[arg(long)]
    profile: Option<String>,
    /// Audience the target expects (default: the tenant's default API).
    #[arg(long)]
    audience: Option<String>,
    /// Origin the target compares DPoP htu with, if not --target (behind a proxy).
    #[arg(long)]
    public_url: Option<String>,
    /// The target's JWKS refresh cooldown in ms (rotation cases wait it out).
    #[arg(long)]
    jwks_cooldown_ms: Option<u64>,
    /// The target's declared clock leeway for exp/nbf in seconds (boundary cases probe beyond it).
    #[arg(long)]
    clock_leeway_secs: Option<u64>,
    /// The target issues RS nonces (RFC 9449 §8).
    #[arg(long)]
    nonces: bool,
    /// The target accepts ?access_token= (RFC 6750 §2.3).
    #[arg(long)]
    query_tokens: bool,
    /// The target accepts form-body tokens (RFC 6750 §2.2).
    #[arg(long)]
    form_tokens: bool,
    /// The target has not fetched discovery yet (enables KEY-15; use with --only KEY-15).
    #[arg(long)]
    cold_discovery: bool,
    /// Only cases whose id starts with one of these (repeatable or comma-separated).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Port of the tenant on 127.0.0.1.
    #[arg(long, default_value_t = 8443)]
    tenant_port: u16,
    /// Host name in the tenant's issuer (AUTH0_DOMAIN is HOST:PORT).
    #[arg(long, default_value = "localhost")]
    host: String,
    /// A custom domain the tenant also serves (repeatable; the printed .env then has
    /// AUTH0_DOMAINS, and ISS-11 checks the target accepts each domain's tokens).
    #[arg(long = "custom-domain", value_name = "HOST")]
    custom_domains: Vec<String>,
    /// Attach to this running tenant (`mock-idp serve`, e.g. https://localhost:8443) through
    /// its control API instead of starting one: it answers discovery and JWKS from the
    /// runner's tenant (`PUT /control/upstream`) until the run ends.
    #[arg(long, value_name = "URL", conflicts_with_all = ["tenant_port", "host"])]
    tenant: Option<String>,
    /// With --tenant: the running tenant's control API secret.
    #[arg(long, env = "MOCK_IDP_ADMIN_SECRET", hide_env_values = true)]
    admin_secret: Option<String>,
    /// With --tenant: the running tenant's CA certificate [default: the state directory's CA,
    /// which a `serve` on this machine shares].
    #[arg(long, value_name = "FILE", requires = "tenant")]
    tenant_ca: Option<PathBuf>,
    /// With --tenant: where the runner's tenant listens for the requests the running tenant
    /// forwards, an IP or IP:PORT [default: 127.0.0.1 on a free port]; `0.0.0.0:9443` when
    /// the running tenant is in another container.
    #[arg(long, value_name = "ADDR", requires = "tenant")]
    callback_bind: Option<String>,
    /// With --tenant: the origin the running tenant reaches the runner's tenant at [default:
    /// https://127.0.0.1:PORT]; `https://SERVICE:9443` in compose (the runner's certificate
    /// covers that name).
    #[arg(long, value_name = "URL", requires = "tenant")]
    callback_url: Option<String>,
    /// Tenant configuration (TOML), as given to `serve`.
    #[arg(long, value_name = "FILE")]
    tenant_config: Option<PathBuf>,
    /// Write the full report as JSON.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Write a JUnit XML report.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Write a self-contained HTML report.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// Which failures make the exit status non-zero: levels (M, S, C, BP) and verdict classes
    /// (accepted, refused, form, other), comma-separated. A failure counts when its level is
    /// listed (any but I if none is) and its class is listed (any if none is): `M` every M
    /// failure, `accepted` every token wrongly accepted, `M,accepted` those at level M.
    #[arg(long, default_value = "M")]
    fail_on: String,
    /// How long to wait for the target to answer, in seconds.
    #[arg(long, default_value_t = 60)]
    wait_secs: u64,
    /// Also write the .env to this file.
    #[arg(long, value_name = "FILE")]
    env_file: Option<PathBuf>,
}

/// The state directory `--state-dir` names (or the default); the conformance command's.
fn state_dir(cli: &Cli) -> Result<StateDir> {
    local::state_dir(cli.state_dir.as_deref())
}

/// Parses a kebab-case enum value the way the target TOML does.
fn kebab<T: serde::de::DeserializeOwned>(flag: &str, v: &str) -> Result<T> {
    T::deserialize(serde::de::value::StrDeserializer::<serde::de::value::Error>::new(v))
        .map_err(|_| anyhow!("--{flag} {v}: not a valid value"))
}

fn conformance_target(a: &ConformanceArgs) -> Result<Target> {
    let mut t = match &a.config {
        Some(p) => Target::load(p)?,
        None => Target::default(),
    };
    if let Some(v) = &a.target {
        t.base_url = v.clone();
    } else if a.config.is_none() {
        bail!("give --target URL or --config FILE");
    }
    if let Some(v) = &a.bearer_route {
        t.bearer_route = v.clone();
    }
    if let Some(v) = &a.scoped_route {
        t.scoped_route = Some(v.clone());
    }
    if let Some(v) = &a.scope {
        t.scope = v.clone();
    }
    if let Some(v) = &a.dpop_route {
        t.dpop_route = Some(v.clone());
    }
    if let Some(v) = &a.dpop_mode {
        t.dpop_mode = kebab("dpop-mode", v)?;
    }
    if let Some(v) = &a.profile {
        t.profile = kebab("profile", v)?;
    }
    if a.audience.is_some() {
        t.audience = a.audience.clone();
    }
    if a.public_url.is_some() {
        t.public_url = a.public_url.clone();
    }
    if let Some(v) = a.jwks_cooldown_ms {
        t.jwks_cooldown_ms = v;
    }
    if let Some(v) = a.clock_leeway_secs {
        t.clock_leeway_secs = v;
    }
    t.features.nonces |= a.nonces;
    t.features.query_tokens |= a.query_tokens;
    t.features.form_tokens |= a.form_tokens;
    t.features.cold_discovery |= a.cold_discovery;
    Ok(t.validated()?)
}

/// `conformance diff`: the changes on stdout; exit 1 on a regression, 2 when a report cannot
/// be read (one line on stderr).
fn conformance_diff(old: &Path, new: &Path) -> ExitCode {
    match Diff::load(old, new) {
        Ok(d) => {
            print!("{}", d.render());
            if d.regressions() == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("mock-idp: {e}");
            ExitCode::from(2)
        }
    }
}

/// Exit status: 0 when no failure `--fail-on` counts, 1 otherwise (the failing ids are the
/// error line).
async fn conformance(cli: &Cli, a: &ConformanceArgs) -> Result<()> {
    if a.list {
        let catalog = Catalog::all().only(&a.only);
        let format = if a.markdown {
            ListFormat::Markdown
        } else {
            a.format
        };
        let text = match format {
            ListFormat::Table => catalog.list(),
            ListFormat::Json => catalog.list_json(),
            ListFormat::Markdown => catalog.markdown(),
        };
        print!("{text}");
        return Ok(());
    }
    let target = conformance_target(a)?;
    let fail_on = FailOn::parse(&a.fail_on).ok_or_else(|| {
        anyhow!(
            "--fail-on {}: use levels (M, S, C, BP, I) and classes (accepted, refused, form, other)",
            a.fail_on
        )
    })?;
    let sd = state_dir(cli)?;
    if let Some(url) = &a.tenant {
        return conformance_attached(cli, a, &sd, url, target, &fail_on).await;
    }
    let mut builder = MockTenant::builder()
        .config(load_config(a.tenant_config.as_deref())?)
        .port(a.tenant_port)
        .host(&a.host)
        .state_dir(sd.path())
        .fixture_keys(cli.fixture_keys);
    for host in &a.custom_domains {
        builder = builder.custom_domain(host);
    }
    let tenant = builder.try_start().with_context(|| {
        format!(
            "starting the tenant on 127.0.0.1:{} (is `mock-idp serve` running there? the \
                 runner drives keys and faults itself, so stop it: the state directory keeps \
                 the same keys and CA)",
            a.tenant_port
        )
    })?;
    sd.write_endpoint(&ServeAddress {
        base_url: tenant.uri().to_owned(),
        domain: tenant.domain().to_owned(),
        listen_port: None,
    })?;
    play(a, &tenant, target, &fail_on, &sd.ca_path()).await
}

/// Prints the `.env`, waits for the target, plays the catalog against it and writes the
/// reports; an error when `--fail-on` counts a failure.
async fn play(
    a: &ConformanceArgs,
    tenant: &MockTenant,
    target: Target,
    fail_on: &FailOn,
    ca_path: &Path,
) -> Result<()> {
    let audience = target.audience.clone().unwrap_or_else(|| tenant.audience());
    let env = env_for(tenant, &audience, ca_path);
    println!(
        "# .env for the verifier under test (mock tenant {})\n{env}",
        tenant.issuer()
    );
    if let Some(p) = &a.env_file {
        std::fs::write(p, &env).with_context(|| p.display().to_string())?;
    }
    eprintln!("waiting for {} ...", target.base_url);
    if !wait_for_target(&target, std::time::Duration::from_secs(a.wait_secs)).await {
        bail!(
            "{} did not answer within {} s",
            target.base_url,
            a.wait_secs
        );
    }
    let catalog = Catalog::all().only(&a.only);
    let report = Runner::new(tenant, target).catalog(catalog).run().await?;
    println!("{}", report.table());
    if let Some(p) = &a.json {
        std::fs::write(p, report.to_json()).with_context(|| p.display().to_string())?;
    }
    if let Some(p) = &a.junit {
        std::fs::write(p, report.to_junit()).with_context(|| p.display().to_string())?;
    }
    if let Some(p) = &a.html {
        std::fs::write(p, report.to_html()).with_context(|| p.display().to_string())?;
    }
    let failed = report.failures_on(fail_on);
    if failed.is_empty() {
        println!("conformance: no failure counted by --fail-on {fail_on}");
        return Ok(());
    }
    let ids: Vec<&str> = failed.iter().map(|r| r.id.as_str()).collect();
    bail!(
        "conformance: {} failure(s) counted by --fail-on {fail_on}: {}",
        ids.len(),
        ids.join(" ")
    )
}

/// `conformance --tenant URL`: the runner's tenant takes the running tenant's issuer, and the
/// running tenant forwards discovery and JWKS to it for the length of the run (see
/// [`attach`]). The running tenant is detached again however the run ends, Ctrl-C included.
async fn conformance_attached(
    cli: &Cli,
    a: &ConformanceArgs,
    sd: &StateDir,
    url: &str,
    target: Target,
    fail_on: &FailOn,
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
    let attachment = attach::Attachment::connect(url, secret, &ca_pem).await?;
    let issuer = attachment.issuer().await?;
    let (bind_ip, bind_port) = callback_bind(a.callback_bind.as_deref())?;
    let host = issuer
        .host_str()
        .unwrap_or("localhost")
        .trim_matches(['[', ']']);
    let mut builder = MockTenant::builder()
        .config(load_config(a.tenant_config.as_deref())?)
        .host(host)
        .public_port(issuer.port_or_known_default().unwrap_or(443))
        .bind_ip(bind_ip)
        .port(bind_port)
        // The same keys as a `serve` sharing the state directory: a target that cached its
        // JWKS keeps trusting the runner's tokens.
        .keys(sd.load_or_init_keys(cli.fixture_keys)?);
    if issuer.scheme() == "http" {
        builder = builder.http();
    }
    let callback_host = a
        .callback_url
        .as_deref()
        .map(|u| url::Url::parse(u).map_err(|e| anyhow!("--callback-url {u}: not a URL ({e})")))
        .transpose()?
        .and_then(|u| u.host_str().map(|h| h.trim_matches(['[', ']']).to_owned()));
    if let Some(name) = &callback_host
        && name != host
        && !mock_idp::TlsMaterial::DEFAULT_NAMES.contains(&name.as_str())
    {
        // So the runner's certificate covers the name the running tenant connects to.
        builder = builder.custom_domain(name);
    }
    let tenant = builder.try_start().with_context(|| {
        format!("starting the runner's tenant on {bind_ip}:{bind_port} (--callback-bind)")
    })?;
    let callback = match &a.callback_url {
        Some(u) => u.trim_end_matches('/').to_owned(),
        None => {
            let port = tenant.local_addr().port();
            let scheme = issuer.scheme();
            let ip = if bind_ip.is_unspecified() {
                std::net::Ipv4Addr::LOCALHOST.into()
            } else {
                bind_ip
            };
            format!("{scheme}://{}", std::net::SocketAddr::new(ip, port))
        }
    };
    attachment.delegate_to(&callback, &tenant.ca_pem()).await?;
    eprintln!("attached to {url}: its discovery and JWKS come from {callback} until the run ends");
    let played = tokio::select! {
        r = play(a, &tenant, target, fail_on, &ca_path) => r,
        _ = tokio::signal::ctrl_c() => Err(anyhow!("interrupted")),
    };
    let detached = attachment.detach().await;
    played?;
    Ok(detached?)
}

/// `--callback-bind`: an IP (a free port) or IP:PORT.
fn callback_bind(v: Option<&str>) -> Result<(std::net::IpAddr, u16)> {
    let Some(v) = v else {
        return Ok((std::net::Ipv4Addr::LOCALHOST.into(), 0));
    };
    if let Ok(sa) = v.parse::<std::net::SocketAddr>() {
        return Ok((sa.ip(), sa.port()));
    }
    let ip = v.parse().map_err(|_| {
        anyhow!("--callback-bind {v}: expected an IP address or IP:PORT, e.g. 0.0.0.0:9443")
    })?;
    Ok((ip, 0))
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
        Command::Conformance(a) => conformance(&cli, a).await,
    }
}

/// `conformance diff` has exit statuses of its own (1: regression, 2: unreadable report).
fn diff_command(cli: &Cli) -> Option<ExitCode> {
    match &cli.command {
        Command::Conformance(a) => a
            .action
            .as_ref()
            .map(|ConformanceAction::Diff { old, new }| conformance_diff(old, new)),
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
