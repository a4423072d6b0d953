//! `mock-idp`: run a mock Auth0 tenant, and mint tokens and DPoP proofs for it.
//!
//! A thin wrapper: every command is a few calls into the library. All commands share one state
//! directory, so `token`, `proof`, `init` and `ca` act on the tenant `serve` runs.

mod attach;
mod conformance;

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result, anyhow, bail};
use clap::{Args, CommandFactory as _, FromArgMatches as _, Parser, Subcommand};
use mock_idp::ServeAddress;
use mock_idp::{
    Clock, Dialect, DpopKey, MockTenant, ProofSpec, SigningSpec, StateDir, TenantConfig,
    TokenBuilder, TokenSpec,
};
use serde_json::Value;

/// A mock Auth0 tenant: OIDC discovery, JWKS and /oauth/token over HTTPS with its own CA.
#[derive(Parser, Debug)]
#[command(name = "mock-idp", version, about, long_about = None)]
pub(crate) struct Cli {
    /// Where keys, the CA and the last serve address live
    /// [default: $XDG_STATE_HOME/mock-idp or ~/.local/state/mock-idp]
    #[arg(long, global = true, env = "MOCK_IDP_STATE_DIR")]
    state_dir: Option<PathBuf>,

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
    Serve(ServeArgs),
    /// Exit 0 when the tenant `serve` runs on this state directory answers (container health
    /// checks), 1 otherwise.
    Healthcheck(HealthcheckArgs),
    /// Print an access token signed by the tenant's key (the dashboard's "Test" tab).
    Token(TokenArgs),
    /// Print a DPoP proof (ES256) for a request, for curl's `-H "DPoP: ..."`.
    Proof(ProofArgs),
    /// Write a .env with AUTH0_DOMAIN, AUTH0_AUDIENCE and AUTH0_CA_FILE for this tenant.
    Init(InitArgs),
    /// Print the path of the CA certificate clients should trust.
    Ca,
    /// Play the conformance catalog against a verifier over HTTP (runs its own tenant on the
    /// state directory's keys and CA, so a target set up for `serve` works unchanged, or
    /// attaches to a running `serve` with --tenant URL); `conformance diff A.json B.json`
    /// compares two reports.
    #[command(long_about = conformance::HOW_TO_RUN)]
    Conformance(Box<conformance::ConformanceArgs>),
}

#[derive(Args, Debug)]
struct ServeArgs {
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 8443)]
    port: u16,
    /// Address to listen on: an IP (`0.0.0.0` in a container) or IP:PORT. The issuer keeps
    /// --host / --issuer, so `-p 8443:8443` works while it stays https://localhost:8443/.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1")]
    bind: String,
    /// Tenant configuration (TOML); default: the quickstart API and a test application.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Serve plain HTTP instead of HTTPS.
    #[arg(long)]
    http: bool,
    /// Host name used in the issuer and URLs (a compose service name, say); the TLS
    /// certificate covers it.
    #[arg(long, default_value = "localhost")]
    host: String,
    /// Log this user (email) in at /authorize without the login form (headless tests).
    #[arg(long, value_name = "EMAIL")]
    auto_login: Option<String>,
    /// The issuer clients see, e.g. https://tenant:8443/ or https://localhost:18443/ behind a
    /// port mapping: sets the advertised host and port (overrides --host).
    #[arg(long, value_name = "URL")]
    issuer: Option<String>,
    /// The control API's admin secret (`Authorization: Bearer SECRET`); default: a random one,
    /// printed at start-up.
    #[arg(
        long,
        env = "MOCK_IDP_ADMIN_SECRET",
        hide_env_values = true,
        conflicts_with = "no_control_api"
    )]
    admin_secret: Option<String>,
    /// Turn the control API (/api/v2/keys/signing..., /control/...) off entirely.
    #[arg(long)]
    no_control_api: bool,
    /// Log format: `text` (the banner only) or `json` (the banner, then one JSON line per
    /// request: method, path, status, milliseconds).
    #[arg(long, value_name = "FORMAT", default_value = "text", value_parser = ["text", "json"])]
    log_format: String,
}

#[derive(Args, Debug)]
struct HealthcheckArgs {
    /// Seconds to wait for an answer.
    #[arg(long, default_value_t = 3)]
    timeout: u64,
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
    /// Issuer (`iss`); default: the tenant's.
    #[arg(long = "iss")]
    issuer: Option<String>,
    /// Set a claim: `k=v` (v parsed as JSON when it is JSON, else a string). Repeatable.
    #[arg(long = "claim", value_name = "K=V")]
    claims: Vec<String>,
    /// Merge a JSON object of claims from FILE, or from stdin with `-`.
    #[arg(long, value_name = "FILE|-")]
    claims_json: Option<String>,
    /// Remove a claim (`iat`, `exp`, `aud`...). Repeatable.
    #[arg(long = "unset-claim", value_name = "NAME")]
    unset_claims: Vec<String>,
    /// Mint exactly the claims given (--claim, --claims-json, --sub...), none of the defaults.
    #[arg(long)]
    no_default_claims: bool,
    /// Set a header parameter: `k=v` (as for --claim). Repeatable.
    #[arg(long = "header", value_name = "K=V")]
    headers: Vec<String>,
    /// Remove a header parameter (`kid`, `typ`, `alg`...). Repeatable.
    #[arg(long = "unset-header", value_name = "NAME")]
    unset_headers: Vec<String>,
    /// Lifetime in seconds (negative: already expired).
    #[arg(long, allow_hyphen_values = true)]
    expires_in: Option<i64>,
    /// `iat` as an offset from now in seconds (negative: in the past).
    #[arg(long, allow_hyphen_values = true, value_name = "SECS")]
    iat: Option<i64>,
    /// `nbf` as an offset from now in seconds.
    #[arg(long, allow_hyphen_values = true, value_name = "SECS")]
    nbf: Option<i64>,
    /// Token dialect: access_token, access_token_authz, rfc9068_profile, rfc9068_profile_authz.
    #[arg(long)]
    dialect: Option<String>,
    /// Where the signature comes from: current, key:KID, attacker, none, hmac-public-key,
    /// hmac:SECRET, ec, ec-der, tampered, empty, raw:SEGMENT, exponent-one.
    #[arg(long, value_name = "HOW")]
    sign_with: Option<String>,
    /// Sign with this RSA algorithm (RS256...PS512), whatever the header says.
    #[arg(long, value_name = "ALG")]
    sign_alg: Option<String>,
    /// Bind the token to this DPoP key (PKCS#8 PEM P-256): `cnf.jkt`.
    #[arg(long, value_name = "FILE")]
    dpop_key: Option<PathBuf>,
    /// Exactly this header JSON text (replaces the built header).
    #[arg(long, value_name = "TEXT")]
    raw_header: Option<String>,
    /// Exactly this payload text (replaces the built claims).
    #[arg(long, value_name = "TEXT")]
    raw_payload: Option<String>,
    /// A token description as JSON from FILE or stdin (`-`), the control API's body; the
    /// flags above apply after it.
    #[arg(long, value_name = "FILE|-")]
    spec: Option<String>,
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
    /// `ath` exactly (instead of the hash of --token).
    #[arg(long)]
    ath: Option<String>,
    /// `nonce` (RFC 9449 §8).
    #[arg(long)]
    nonce: Option<String>,
    /// `iat` as an offset from now in seconds.
    #[arg(long, allow_hyphen_values = true, value_name = "SECS")]
    iat: Option<i64>,
    /// `jti` (default: random per proof).
    #[arg(long)]
    jti: Option<String>,
    /// `htm` (default: --method).
    #[arg(long)]
    htm: Option<String>,
    /// `htu` (default: --url).
    #[arg(long)]
    htu: Option<String>,
    /// Header `typ` (default: dpop+jwt).
    #[arg(long)]
    typ: Option<String>,
    /// Header `alg` (the signature stays the key's).
    #[arg(long)]
    alg: Option<String>,
    /// Set a claim: `k=v` (JSON when it is JSON). Repeatable.
    #[arg(long = "claim", value_name = "K=V")]
    claims: Vec<String>,
    /// Remove a claim. Repeatable.
    #[arg(long = "unset-claim", value_name = "NAME")]
    unset_claims: Vec<String>,
    /// Set a header parameter: `k=v`. Repeatable.
    #[arg(long = "header", value_name = "K=V")]
    headers: Vec<String>,
    /// Remove a header parameter. Repeatable.
    #[arg(long = "unset-header", value_name = "NAME")]
    unset_headers: Vec<String>,
    /// Put the private key into the header `jwk`.
    #[arg(long)]
    private_jwk: bool,
    /// Sign with a key other than the one in `jwk`.
    #[arg(long)]
    signed_by_other_key: bool,
    /// DER-encode the ECDSA signature.
    #[arg(long)]
    der_signature: bool,
    /// Flip a bit of the signature.
    #[arg(long)]
    tampered_signature: bool,
    /// Exactly this signature segment.
    #[arg(long, value_name = "SEGMENT")]
    raw_signature: Option<String>,
    /// Exactly this header JSON text.
    #[arg(long, value_name = "TEXT")]
    raw_header: Option<String>,
    /// Exactly this payload JSON text.
    #[arg(long, value_name = "TEXT")]
    raw_payload: Option<String>,
    /// A proof description as JSON from FILE or stdin (`-`); the flags above apply after it.
    #[arg(long, value_name = "FILE|-")]
    spec: Option<String>,
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

pub(crate) fn state_dir(cli: &Cli) -> Result<StateDir> {
    let path = match &cli.state_dir {
        Some(p) => p.clone(),
        None => StateDir::default_path()?,
    };
    Ok(StateDir::open(path)?)
}

pub(crate) fn load_config(path: Option<&Path>) -> Result<TenantConfig> {
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
        listen_port: None,
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

/// Where `serve` listens and what it advertises, from --bind, --port, --host and --issuer.
struct Listen {
    ip: std::net::IpAddr,
    port: u16,
    host: String,
    public_port: Option<u16>,
}

fn listen(args: &ServeArgs) -> Result<Listen> {
    let (ip, port) = match args.bind.parse::<std::net::SocketAddr>() {
        Ok(sa) => (sa.ip(), sa.port()),
        Err(_) => (
            args.bind.parse().map_err(|_| {
                anyhow!(
                    "--bind {}: expected an IP address or IP:PORT, e.g. 0.0.0.0",
                    args.bind
                )
            })?,
            args.port,
        ),
    };
    let Some(issuer) = &args.issuer else {
        return Ok(Listen {
            ip,
            port,
            host: args.host.clone(),
            public_port: None,
        });
    };
    let url = url::Url::parse(issuer).map_err(|e| anyhow!("--issuer {issuer}: not a URL ({e})"))?;
    let scheme = if args.http { "http" } else { "https" };
    if url.scheme() != scheme || !matches!(url.path(), "" | "/") || url.query().is_some() {
        bail!("--issuer {issuer}: expected {scheme}://HOST[:PORT]/ (no path or query)");
    }
    let host = url
        .host_str()
        .ok_or_else(|| anyhow!("--issuer {issuer}: no host"))?
        .trim_matches(['[', ']'])
        .to_owned();
    Ok(Listen {
        ip,
        port,
        host,
        public_port: url.port_or_known_default(),
    })
}

async fn serve(cli: &Cli, args: &ServeArgs) -> Result<()> {
    let config = load_config(args.config.as_deref())?;
    let sd = state_dir(cli)?;
    let at = listen(args)?;
    let mut builder = MockTenant::builder()
        .config(config.clone())
        .bind_ip(at.ip)
        .port(at.port)
        .host(&at.host)
        .state_dir(sd.path())
        .fixture_keys(cli.fixture_keys)
        .access_log(args.log_format == "json");
    if let Some(p) = at.public_port {
        builder = builder.public_port(p);
    }
    if args.no_control_api {
        builder = builder.without_control_api();
    } else if let Some(secret) = &args.admin_secret {
        if secret.len() < 16 {
            bail!("--admin-secret (MOCK_IDP_ADMIN_SECRET): at least 16 characters, please");
        }
        builder = builder.admin_secret(secret);
    }
    if args.http {
        builder = builder.http();
    }
    if let Some(email) = &args.auto_login {
        builder = builder.auto_login(email);
    }
    let bound = builder.bind()?;
    let listening = bound.local_addr()?;
    let admin = bound.admin_secret();
    sd.write_endpoint(&ServeAddress {
        base_url: bound.uri().to_owned(),
        domain: bound.domain().to_owned(),
        listen_port: at.public_port.map(|_| listening.port()),
    })?;
    let ca = sd.ca_path();
    let uri = bound.uri().to_owned();
    if args.log_format == "json" {
        println!(
            "{}",
            serde_json::json!({
                "event": "listening", "listen": listening.to_string(), "issuer": bound.issuer(),
                "audience": bound.audience(), "ca": ca.display().to_string(),
                "control_api": admin.is_some(),
            })
        );
    } else {
        println!(
            "mock-idp tenant listening on {listening} ({})",
            bound.domain()
        );
        println!("  issuer:     {}", bound.issuer());
        println!("  discovery:  {uri}/.well-known/openid-configuration");
        println!("  jwks:       {uri}/.well-known/jwks.json");
        println!("  token:      POST {uri}/oauth/token");
        println!("  health:     {uri}/health");
        match &admin {
            Some(secret) => {
                println!("  test page:  {uri}/dashboard");
                println!("  control:    {uri}/control/... and {uri}/api/v2/keys/signing");
                println!("              Authorization: Bearer {secret}");
            }
            None => println!("  control:    off (--no-control-api)"),
        }
        println!("  audience:   {}", bound.audience());
        if let Some(app) = config.default_application() {
            println!("  client:     {} / {}", app.client_id, app.client_secret);
        }
        print_login(&config, &uri, args.auto_login.as_deref())?;
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
    }
    bound.serve(shutdown_signal()).await.context("server")?;
    Ok(())
}

/// Ctrl-C, or SIGTERM (what `docker stop` and Kubernetes send).
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// `GET /health` on the tenant this state directory's `serve` advertises, connecting to
/// loopback (the tenant may listen on 0.0.0.0 under a name only the outside resolves) and
/// checking its certificate against the state directory's CA.
async fn healthcheck(cli: &Cli, args: &HealthcheckArgs) -> Result<()> {
    let sd = state_dir(cli)?;
    let at = served_at(&sd);
    let url = url::Url::parse(&format!("{}/health", at.base_url))
        .with_context(|| format!("the recorded address {} is not a URL", at.base_url))?;
    let host = url.host_str().unwrap_or("localhost").to_owned();
    // reqwest takes the port from the URL (not from `resolve`): connect to the listening port
    // under the advertised name, so the certificate check still names the tenant.
    let mut target = url.clone();
    if let Some(port) = at.listen_port {
        let _ = target.set_port(Some(port));
    }
    let port = target.port_or_known_default().unwrap_or(443);
    let mut client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(args.timeout))
        .resolve(&host, std::net::SocketAddr::from(([127, 0, 0, 1], port)));
    if url.scheme() == "https" {
        let pem = std::fs::read(sd.ca_path())
            .with_context(|| format!("{}: the tenant's CA", sd.ca_path().display()))?;
        client = client.tls_certs_only([reqwest::Certificate::from_pem(&pem)?]);
    }
    let res = client.build()?.get(target).send().await;
    match res {
        Ok(r) if r.status().is_success() => {
            println!("healthy: {url}");
            Ok(())
        }
        Ok(r) => bail!("unhealthy: {url} answered {}", r.status()),
        Err(e) => bail!("unhealthy: {url}: {e}"),
    }
}

fn token(cli: &Cli, args: &TokenArgs) -> Result<String> {
    let config = load_config(args.config.as_deref())?;
    let sd = state_dir(cli)?;
    let keys = sd.load_or_init_keys(cli.fixture_keys)?;
    let at = served_at(&sd);
    let builder = TokenBuilder::standalone(
        &format!("{}/", at.base_url),
        &keys,
        &config,
        &Clock::new(),
        args.audience.as_deref(),
    );
    let builder = match &args.user {
        Some(email) => user_token(builder, &config, email)?,
        None => builder,
    };
    Ok(token_spec(args)?.apply(builder).build())
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

/// The banner's login lines: a login URL for the first application users log in to, and the
/// user to log in as.
fn print_login(config: &TenantConfig, uri: &str, auto_login: Option<&str>) -> Result<()> {
    let Some(app) = login_application(config) else {
        return Ok(());
    };
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
    match auto_login {
        Some(email) => println!("  auto-login: {email} (no login form)"),
        None => {
            if let Some(u) = config.users.first() {
                println!("  user:       {} / {}", u.email, u.password);
            }
        }
    }
    Ok(())
}

/// The token the flags describe: `--spec` first, then each flag over it.
fn token_spec(args: &TokenArgs) -> Result<TokenSpec> {
    let mut spec: TokenSpec = match &args.spec {
        Some(src) => serde_json::from_str(&read_source(src)?)
            .with_context(|| format!("--spec {src}: not a token description"))?,
        None => TokenSpec::default(),
    };
    spec.no_default_claims |= args.no_default_claims;
    if let Some(d) = &args.dialect {
        spec.dialect = Some(kebab::<Dialect>("dialect", d)?);
    }
    set(&mut spec.scope, &args.scope);
    set(&mut spec.sub, &args.sub);
    set(&mut spec.issuer, &args.issuer);
    set(&mut spec.expires_in, &args.expires_in);
    set(&mut spec.issued_at, &args.iat);
    set(&mut spec.not_before, &args.nbf);
    if let Some(src) = &args.claims_json {
        let v: Value = serde_json::from_str(&read_source(src)?)
            .with_context(|| format!("--claims-json {src}: not JSON"))?;
        let Value::Object(map) = v else {
            bail!("--claims-json {src}: expected a JSON object");
        };
        spec.claims.extend(map);
    }
    insert_kvs(&mut spec.claims, &args.claims, "--claim")?;
    spec.unset_claims.extend(args.unset_claims.iter().cloned());
    insert_kvs(&mut spec.header, &args.headers, "--header")?;
    spec.unset_header.extend(args.unset_headers.iter().cloned());
    if let Some(p) = &args.dpop_key {
        spec.jkt = Some(read_dpop_key(p)?.thumbprint());
    }
    if let Some(a) = &args.sign_alg {
        spec.sign_alg = Some(
            a.parse()
                .map_err(|_| anyhow!("--sign-alg {a}: expected RS256..PS512"))?,
        );
    }
    if let Some(how) = &args.sign_with {
        spec.signing = SigningSpec::parse(how).map_err(|e| anyhow!("--sign-with {e}"))?;
    }
    set(&mut spec.raw_header, &args.raw_header);
    set(&mut spec.raw_payload, &args.raw_payload);
    Ok(spec)
}

/// Each `K=V` of `pairs` (a repeatable `flag`) into `map`.
fn insert_kvs(
    map: &mut serde_json::Map<String, Value>,
    pairs: &[String],
    flag: &str,
) -> Result<()> {
    for kv in pairs {
        let (k, v) = parse_kv(kv).with_context(|| flag.to_owned())?;
        map.insert(k, v);
    }
    Ok(())
}

/// `*slot = value` when the flag was given.
fn set<T: Clone>(slot: &mut Option<T>, value: &Option<T>) {
    if value.is_some() {
        slot.clone_from(value);
    }
}

/// The text of FILE, or of stdin for `-`.
fn read_source(src: &str) -> Result<String> {
    if src == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .context("reading stdin")?;
        Ok(s)
    } else {
        std::fs::read_to_string(src).with_context(|| src.to_owned())
    }
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
    let spec = proof_spec(args)?;
    let proofs: Vec<String> = (0..args.count)
        .map(|_| spec.apply(key.proof(&args.method, &args.url)).build())
        .collect();
    Ok(proofs.join("\n"))
}

/// The proof the flags describe: `--spec` first, then each flag over it.
fn proof_spec(args: &ProofArgs) -> Result<ProofSpec> {
    let mut spec: ProofSpec = match &args.spec {
        Some(src) => serde_json::from_str(&read_source(src)?)
            .with_context(|| format!("--spec {src}: not a proof description"))?,
        None => ProofSpec::default(),
    };
    set(&mut spec.access_token, &args.token);
    set(&mut spec.ath, &args.ath);
    set(&mut spec.nonce, &args.nonce);
    set(&mut spec.iat, &args.iat);
    set(&mut spec.jti, &args.jti);
    set(&mut spec.htm, &args.htm);
    set(&mut spec.htu, &args.htu);
    set(&mut spec.typ, &args.typ);
    set(&mut spec.alg, &args.alg);
    insert_kvs(&mut spec.claims, &args.claims, "--claim")?;
    spec.unset_claims.extend(args.unset_claims.iter().cloned());
    insert_kvs(&mut spec.header, &args.headers, "--header")?;
    spec.unset_header.extend(args.unset_headers.iter().cloned());
    spec.private_jwk |= args.private_jwk;
    spec.signed_by_other_key |= args.signed_by_other_key;
    spec.der_signature |= args.der_signature;
    spec.tampered_signature |= args.tampered_signature;
    set(&mut spec.raw_signature, &args.raw_signature);
    set(&mut spec.raw_header, &args.raw_header);
    set(&mut spec.raw_payload, &args.raw_payload);
    if args.count > 1 && spec.jti.is_some() {
        bail!("--count with --jti would print the same proof several times");
    }
    Ok(spec)
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

/// Parses a kebab-case enum value the way the TOML and JSON specs do.
fn kebab<T: serde::de::DeserializeOwned>(flag: &str, v: &str) -> Result<T> {
    T::deserialize(serde::de::value::StrDeserializer::<serde::de::value::Error>::new(v))
        .map_err(|_| anyhow!("--{flag} {v}: not a valid value"))
}

async fn run(cli: Cli, matches: clap::ArgMatches) -> Result<()> {
    match &cli.command {
        Command::Serve(a) => serve(&cli, a).await,
        Command::Healthcheck(a) => healthcheck(&cli, a).await,
        Command::Token(a) => token(&cli, a).map(|t| println!("{t}")),
        Command::Proof(a) => proof(&cli, a).map(|p| println!("{p}")),
        Command::Init(a) => init(&cli, a).map(|m| println!("{m}")),
        Command::Ca => ca(&cli).map(|p| println!("{p}")),
        Command::Conformance(a) => {
            let sub = matches
                .subcommand_matches("conformance")
                .unwrap_or(&matches);
            conformance::run(&cli, a, sub).await
        }
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

fn main() -> ExitCode {
    // The matches too: `conformance` lays the flags given over its `--config` file.
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
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
    match rt.block_on(run(cli, matches)) {
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
