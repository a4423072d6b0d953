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
use verifier_conformance::{Catalog, Runner, Target, env_for, parse_levels, wait_for_target};

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
    /// Play the conformance catalog against a verifier over HTTP (runs its own tenant on the
    /// state directory's keys and CA, so a target set up for `serve` works unchanged).
    Conformance(Box<ConformanceArgs>),
}

#[derive(Args, Debug)]
struct ConformanceArgs {
    /// Print the catalog (id, level, title, source; --only filters it) instead of running it.
    #[arg(long)]
    list: bool,
    /// With --list: print the catalog document in Markdown (docs/conformance-catalog.md).
    #[arg(long, requires = "list")]
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
    /// Tenant configuration (TOML), as given to `serve`.
    #[arg(long, value_name = "FILE")]
    tenant_config: Option<PathBuf>,
    /// Write the full report as JSON.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Write a JUnit XML report.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Levels whose failures make the exit status non-zero.
    #[arg(long, default_value = "M")]
    fail_on: String,
    /// How long to wait for the target to answer, in seconds.
    #[arg(long, default_value_t = 60)]
    wait_secs: u64,
    /// Also write the .env to this file.
    #[arg(long, value_name = "FILE")]
    env_file: Option<PathBuf>,
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
    /// Log this user (email) in at /authorize without the login form (headless tests).
    #[arg(long, value_name = "EMAIL")]
    auto_login: Option<String>,
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
    /// A user's access token (as the code flow issues it): `sub` is the user's id, no `gty`,
    /// `permissions` from their roles, `azp` the first application users log in to.
    #[arg(long, value_name = "EMAIL")]
    user: Option<String>,
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

/// The host of a `host:port` domain, without the brackets of an IPv6 address: the name the
/// TLS certificate is made for.
fn host_of(domain: &str) -> String {
    domain
        .rsplit_once(':')
        .map_or(domain, |(h, _)| h)
        .trim_matches(['[', ']'])
        .to_owned()
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
    if let Some(email) = &args.auto_login {
        builder = builder.auto_login(email);
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
    if let Some(app) = login_application(&config) {
        let mut url = url::Url::parse(&format!("{uri}/authorize"))?;
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &app.client_id)
            .append_pair("redirect_uri", &app.callbacks[0])
            .append_pair("scope", "openid profile email")
            .append_pair("state", "try-me");
        if app.is_public() {
            // RFC 7636 Appendix B's pair, so the printed URL works as is (verifier:
            // dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk).
            url.query_pairs_mut()
                .append_pair(
                    "code_challenge",
                    "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
                )
                .append_pair("code_challenge_method", "S256");
        }
        println!("  login:      {url}");
        match &args.auto_login {
            Some(email) => println!("  auto-login: {email} (no login form)"),
            None => {
                if let Some(u) = config.users.first() {
                    println!("  user:       {} / {}", u.email, u.password);
                }
            }
        }
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
    if let Some(email) = &args.user {
        let user = config
            .user_by_email(email)
            .ok_or_else(|| anyhow!("--user {email}: no such user in the tenant configuration"))?;
        b = b.for_user(user, &config);
        if let Some(app) = login_application(&config) {
            let id = Value::String(app.client_id.clone());
            let claims = b.claims_json();
            if claims.get("azp").is_some() {
                b = b.claim("azp", id);
            } else if claims.get("client_id").is_some() {
                b = b.claim("client_id", id);
            }
        }
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

/// The first application users can log in to (authorization code grant and a callback).
fn login_application(config: &TenantConfig) -> Option<&mock_idp::ApplicationConfig> {
    config
        .applications
        .iter()
        .find(|a| a.allows(mock_idp::GrantType::AuthorizationCode) && !a.callbacks.is_empty())
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
    sd.load_or_init_tls(&[host_of(&at.domain)])?;
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
    sd.load_or_init_tls(&[host_of(&at.domain)])?;
    Ok(sd.ca_path().display().to_string())
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

/// Exit status: 0 when no case at `--fail-on` levels failed, 1 otherwise (the failing ids are
/// the error line).
async fn conformance(cli: &Cli, a: &ConformanceArgs) -> Result<()> {
    if a.list {
        let catalog = Catalog::all().only(&a.only);
        let text = if a.markdown {
            catalog.markdown()
        } else {
            catalog.list()
        };
        print!("{text}");
        return Ok(());
    }
    let target = conformance_target(a)?;
    let fail_on = parse_levels(&a.fail_on)
        .ok_or_else(|| anyhow!("--fail-on {}: use levels M, S, C, BP, I", a.fail_on))?;
    let sd = state_dir(cli)?;
    let tenant = MockTenant::builder()
        .config(load_config(a.tenant_config.as_deref())?)
        .port(a.tenant_port)
        .host(&a.host)
        .state_dir(sd.path())
        .fixture_keys(cli.fixture_keys)
        .try_start()
        .with_context(|| {
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
    })?;
    let audience = target.audience.clone().unwrap_or_else(|| tenant.audience());
    let env = env_for(&tenant, &audience, &sd.ca_path());
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
    let report = Runner::new(&tenant, target).catalog(catalog).run().await?;
    println!("{}", report.table());
    if let Some(p) = &a.json {
        std::fs::write(p, report.to_json()).with_context(|| p.display().to_string())?;
    }
    if let Some(p) = &a.junit {
        std::fs::write(p, report.to_junit()).with_context(|| p.display().to_string())?;
    }
    let failed = report.failures(&fail_on);
    if failed.is_empty() {
        println!("conformance: no failure at levels {}", a.fail_on);
        return Ok(());
    }
    let ids: Vec<&str> = failed.iter().map(|r| r.id.as_str()).collect();
    bail!(
        "conformance: {} failure(s) at levels {}: {}",
        ids.len(),
        a.fail_on,
        ids.join(" ")
    )
}

async fn run(cli: Cli) -> Result<()> {
    match &cli.command {
        Command::Serve(a) => serve(&cli, a).await,
        Command::Token(a) => token(&cli, a).map(|t| println!("{t}")),
        Command::Proof(a) => proof(&cli, a).map(|p| println!("{p}")),
        Command::Init(a) => init(&cli, a).map(|m| println!("{m}")),
        Command::Ca => ca(&cli).map(|p| println!("{p}")),
        Command::Conformance(a) => conformance(&cli, a).await,
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
