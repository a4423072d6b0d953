//! `mock-idp serve`: the tenant over HTTPS (or HTTP) until Ctrl-C or SIGTERM, with a banner
//! that says where everything is; `--bind` is where it listens, `--host`/`--issuer` what it
//! advertises (they differ in a container behind a port mapping).

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, anyhow, bail};
use clap::Args;
use mock_idp::ServeAddress;
use mock_idp::config::deploy;
use mock_idp::{MockTenant, config::TenantConfig};

use crate::import::load;
use crate::local::{DEFAULT_HOST, DEFAULT_PORT, login_application, state_dir};

#[derive(Args, Debug)]
pub(crate) struct ServeArgs {
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = DEFAULT_PORT)]
    port: u16,
    /// Address to listen on: an IP (`0.0.0.0` in a container) or IP:PORT. The issuer keeps
    /// --host / --issuer, so `-p 8443:8443` works while it stays https://localhost:8443/.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1")]
    bind: String,
    /// Tenant configuration: a tenant TOML, or an auth0-deploy-cli export (a tenant.yaml or
    /// an export directory); default: the quickstart API and a test application.
    #[arg(long)]
    config: Option<PathBuf>,
    #[command(flatten)]
    keywords: crate::import::KeywordArgs,
    /// Read --config again when it changes and serve what it says from the next request on; a
    /// file that does not load keeps the configuration in force (one log line says why).
    #[arg(long, requires = "config")]
    watch: bool,
    /// Serve plain HTTP instead of HTTPS.
    #[arg(long)]
    http: bool,
    /// Host name used in the issuer and URLs (a compose service name, say); the TLS
    /// certificate covers it.
    #[arg(long, default_value = DEFAULT_HOST)]
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
    /// Keep credentials (passwords, client secrets, refresh tokens, codes, Authorization,
    /// DPoP, cookies) in clear in the request journal, for debugging; default: redacted.
    #[arg(long)]
    journal_credentials: bool,
    /// Keep what the Management API changes in memory only: a restart starts from the
    /// configuration file (default: kept in the state directory, `tenant.json`).
    #[arg(long)]
    ephemeral: bool,
    /// Also write the CA certificate (public, no key) to this file before listening: a
    /// container that must trust the tenant mounts only that, never the state directory.
    #[arg(long, value_name = "PATH")]
    ca_out: Option<PathBuf>,
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

/// Runs the tenant until Ctrl-C or SIGTERM.
pub(crate) async fn run(state: Option<&Path>, fixture_keys: bool, args: &ServeArgs) -> Result<()> {
    let from_export = args.config.as_deref().is_some_and(deploy::is_export);
    let config = match &args.config {
        Some(path) => load(
            path,
            args.keywords.read()?,
            None,
            "the banner's client lines",
        )?,
        None => TenantConfig::default(),
    };
    let sd = state_dir(state)?;
    // One tenant per state directory: a second `serve` on it stops here, with one line.
    let _lock = sd.lock()?;
    let at = listen(args)?;
    let mut builder = MockTenant::builder()
        .config(config.clone())
        .bind_ip(at.ip)
        .port(at.port)
        .host(&at.host)
        .state_dir(sd.path())
        .fixture_keys(fixture_keys)
        .access_log(args.log_format == "json")
        .journal_credentials(args.journal_credentials)
        .keep_changes(!args.ephemeral);
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
    if let (Some(path), false) = (&args.ca_out, args.http) {
        std::fs::copy(sd.ca_path(), path).with_context(|| path.display().to_string())?;
    }
    // The state (keys, CA, endpoint.json) is on disk: only now does the port accept connections.
    bound.listen()?;
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
        if from_export {
            // An export names its clients; their ids and secrets are the tenant's.
            for app in &config.applications {
                let name = app.name.as_deref().unwrap_or_default();
                println!(
                    "  client:     {} / {} ({name})",
                    app.client_id, app.client_secret
                );
            }
        } else if let Some(app) = config.default_application() {
            println!("  client:     {} / {}", app.client_id, app.client_secret);
        }
        print_login(&config, &uri, args.auto_login.as_deref())?;
        let ca = (!args.http).then_some(ca.as_path());
        if let Some(ca) = ca {
            println!("Trust the CA: {}", ca.display());
            for (who, how) in mock_idp::ca_hints(&ca.display().to_string()) {
                println!("  {who:<18} {how}");
            }
        }
        println!(
            "A .env for an API that verifies this tenant's tokens (`mock-idp init` writes it):"
        );
        // An API signing with HS256 (or another algorithm than RS256) needs the verifier told
        // so, with the secret: the same lines `mock-idp init` writes.
        let signing = config
            .api(bound.audience())
            .map(|a| a.verifier_env())
            .unwrap_or_default();
        let env = mock_idp::dotenv(bound.domains(), bound.audience(), ca) + &signing;
        for line in env.lines() {
            println!("  {line}");
        }
        println!("Press Ctrl-C to stop.");
    }
    if let (true, Some(path)) = (args.watch, &args.config) {
        let reloader = bound.reloader();
        let watched = crate::watch::run(
            path.clone(),
            args.keywords.read()?,
            config.clone(),
            args.log_format == "json",
            move |c| reloader.replace(c).map_err(|e| e.to_string()),
        );
        tokio::spawn(watched);
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
