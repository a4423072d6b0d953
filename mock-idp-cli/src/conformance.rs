//! `mock-idp conformance`: the catalog against a verifier over HTTP, with its own tenant or
//! attached to a running one (`--tenant URL`); `conformance diff` compares two reports. The target
//! is `verifier_conformance::Target` itself (flattened: its fields are the flags), the run is
//! `Runner`, the gate is `Baseline`: this file only wires them to files and the exit status.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result, anyhow, bail};
use clap::parser::ValueSource;
use clap::{ArgMatches, Args, Subcommand};
use mock_idp::{MockTenant, ServeAddress};
use verifier_conformance::{
    Attached, Baseline, Callback, Catalog, Diff, FailOn, Runner, Target, env_for, wait_for_target,
};

use crate::local::load_config;
use crate::{Cli, state_dir};

/// What `--help` opens with: the gate recipe, then the three ways to run.
pub(crate) const HOW_TO_RUN: &str = "\
Play the conformance catalog against a token verifier over HTTP; `conformance diff A.json B.json`
compares two reports.

The gate (CI): record what fails today once, commit the file, check every run against it. A run
then fails on any failure the file does not list, and on any listed case that passes now.

  mock-idp conformance --target URL --write-baseline conformance-baseline.toml
  mock-idp conformance --target URL --baseline conformance-baseline.toml \\
      --junit report.xml --html report.html

Three ways to run the catalog:

1. Own tenant (the default): starts a tenant on 127.0.0.1:8443 with the state directory's keys
   and CA, prints the .env the verifier needs (--env-file writes it), waits for --target to
   answer, plays the catalog.
2. Attached to a running tenant (--tenant https://localhost:8443 --admin-secret SECRET): for a
   verifier already configured for a `mock-idp serve` in another shell or container; the
   running tenant answers discovery and JWKS from the runner's tenant until the run ends.
3. In Rust: verifier_conformance::Runner::new(&tenant, Target::new(url)).run().await in a cargo
   test beside your service (see the verifier-conformance README).

--only ID plays one case (or a group: --only KEY); --shuffle plays the cases in a random order
and prints the seed, --seed N replays that order.";

/// `conformance diff`.
#[derive(Subcommand, Debug)]
pub(crate) enum ConformanceAction {
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
pub(crate) struct ConformanceArgs {
    #[command(subcommand)]
    pub(crate) action: Option<ConformanceAction>,
    /// Print the catalog (--only filters it) instead of running it.
    #[arg(long)]
    list: bool,
    /// With --list: table, json or markdown.
    #[arg(long, value_enum, default_value_t = ListFormat::Table, requires = "list")]
    format: ListFormat,
    /// With --list: the same as --format markdown.
    #[arg(long, requires = "list", conflicts_with = "format")]
    markdown: bool,
    /// Target description (TOML); flags given on the command line override it.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(flatten)]
    target: Target,
    /// Only cases whose id starts with one of these (repeatable or comma-separated).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Play the cases in a random order; the seed is printed (--seed replays it).
    #[arg(long)]
    shuffle: bool,
    /// Play the cases in the order this seed names (implies --shuffle).
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
    /// The known failures (TOML, or JSON by extension): the run fails on a failure the file
    /// does not list (or lists in another class) and on a listed case that passes now.
    #[arg(long, value_name = "FILE", conflicts_with = "write_baseline")]
    baseline: Option<PathBuf>,
    /// Write the failures --fail-on counts as a baseline (TOML, or JSON by extension); the
    /// run then exits 0.
    #[arg(long, value_name = "FILE")]
    write_baseline: Option<PathBuf>,
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
    pub(crate) admin_secret: Option<String>,
    /// With --tenant: the running tenant's CA certificate [default: the state directory's CA,
    /// which a `serve` on this machine shares].
    #[arg(long, value_name = "FILE", requires = "tenant")]
    pub(crate) tenant_ca: Option<PathBuf>,
    /// With --tenant: where the runner's tenant listens for the requests the running tenant
    /// forwards, an IP or IP:PORT [default: 127.0.0.1 on a free port]; `0.0.0.0:9443` when
    /// the running tenant is in another container.
    #[arg(long, value_name = "ADDR", requires = "tenant")]
    pub(crate) callback_bind: Option<String>,
    /// With --tenant: the origin the running tenant reaches the runner's tenant at [default:
    /// https://127.0.0.1:PORT]; `https://SERVICE:9443` in compose (the runner's certificate
    /// covers that name).
    #[arg(long, value_name = "URL", requires = "tenant")]
    pub(crate) callback_url: Option<String>,
    /// Tenant configuration (a TOML or a Deploy CLI export), as given to `serve` [default: with
    /// --tenant, the running tenant's own (`GET /control/config`); else the default tenant].
    #[arg(long, value_name = "FILE")]
    pub(crate) tenant_config: Option<PathBuf>,
    /// Write the full report as JSON.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Write a JUnit XML report.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Write a self-contained HTML report.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// Which failures make the exit status non-zero (and which a baseline lists): levels (M,
    /// S, C, BP) and verdict classes (accepted, refused, form, other), comma-separated. A
    /// failure counts when its level is listed (any but I if none is) and its class is listed
    /// (any if none is): `M` every M failure, `accepted` every token wrongly accepted,
    /// `M,accepted` those at level M.
    #[arg(long, default_value = "M")]
    fail_on: String,
    /// How long to wait for the target to answer, in seconds.
    #[arg(long, default_value_t = 60)]
    wait_secs: u64,
    /// Also write the .env to this file.
    #[arg(long, value_name = "FILE")]
    env_file: Option<PathBuf>,
}

/// `conformance diff`: the changes on stdout; exit 1 on a regression, 2 when a report cannot
/// be read (one line on stderr).
pub(crate) fn diff(old: &Path, new: &Path) -> ExitCode {
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

/// The target: `--config`'s file (else the defaults) with the flags given over it.
fn target(a: &ConformanceArgs, matches: &ArgMatches) -> Result<Target> {
    let given = matches.value_source("base_url") == Some(ValueSource::CommandLine);
    let base = match &a.config {
        Some(p) => Target::load(p)?,
        None if given => Target::default(),
        None => bail!("give --target URL or --config FILE"),
    };
    Ok(base.overridden_by(&a.target, matches).validated()?)
}

/// Exit status: 0 when no failure `--fail-on` counts (or the run matches `--baseline`), 1
/// otherwise (the reason is the error line). `matches` are the subcommand's.
pub(crate) async fn run(cli: &Cli, a: &ConformanceArgs, matches: &ArgMatches) -> Result<()> {
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
    let target = target(a, matches)?;
    let sd = state_dir(cli)?;
    if let Some(url) = &a.tenant {
        return run_attached(cli, a, &sd, url, target).await;
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
    play(a, &tenant, target, &sd.ca_path()).await
}

/// Prints the `.env`, waits for the target, plays the catalog against it, writes the reports
/// and decides the exit status (`--fail-on`, or `--baseline`).
pub(crate) async fn play(
    a: &ConformanceArgs,
    tenant: &MockTenant,
    target: Target,
    ca_path: &Path,
) -> Result<()> {
    let fail_on = FailOn::parse(&a.fail_on).ok_or_else(|| {
        anyhow!(
            "--fail-on {}: use levels (M, S, C, BP, I) and classes (accepted, refused, form, other)",
            a.fail_on
        )
    })?;
    let baseline = a.baseline.as_deref().map(Baseline::load).transpose()?;
    let audience = target
        .audience
        .clone()
        .unwrap_or_else(|| tenant.audience().to_owned());
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
    let mut runner = Runner::new(tenant, target).catalog(Catalog::all().only(&a.only));
    if let Some(seed) = a.seed.or_else(|| a.shuffle.then(Runner::random_seed)) {
        println!("conformance: shuffled order, seed {seed} (--seed {seed} replays it)");
        runner = runner.shuffle(seed);
    }
    let report = runner.run().await?;
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
    if let Some(p) = &a.write_baseline {
        let b = Baseline::from_report(&report, &fail_on);
        b.save(p)?;
        println!(
            "conformance: wrote {} known failure(s) counted by --fail-on {fail_on} to {}",
            b.failures.len(),
            p.display()
        );
        return Ok(());
    }
    if let (Some(b), Some(p)) = (&baseline, &a.baseline) {
        let ratchet = b.check(&report, &fail_on);
        if ratchet.holds() {
            println!(
                "conformance: matches the baseline {} ({} known failure(s))",
                p.display(),
                b.failures.len()
            );
            return Ok(());
        }
        print!("{}", ratchet.render());
        bail!(
            "conformance: the run differs from the baseline {}: {} new, {} changed, {} fixed",
            p.display(),
            ratchet.new.len(),
            ratchet.changed.len(),
            ratchet.fixed.len()
        );
    }
    let failed = report.failures_on(&fail_on);
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

/// `--tenant URL`: the run attached to a tenant started elsewhere. The orchestration is
/// `verifier_conformance::Attached`; this reads the flags and files it needs and detaches
/// however the run ends, Ctrl-C included.
async fn run_attached(
    cli: &Cli,
    a: &ConformanceArgs,
    sd: &mock_idp::StateDir,
    url: &str,
    target: Target,
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
    let mut callback = Callback {
        url: a.callback_url.clone(),
        ..Callback::default()
    };
    if let Some(v) = &a.callback_bind {
        callback.bind = Callback::parse_bind(v).ok_or_else(|| {
            anyhow!("--callback-bind {v}: expected an IP address or IP:PORT, e.g. 0.0.0.0:9443")
        })?;
    }
    // The runner plays by the running tenant's data (an HS256 API's secret, say) unless a
    // file is given.
    let config = match a.tenant_config.as_deref() {
        Some(path) => load_config(Some(path))?,
        None => Attached::running_config(url, secret, &ca_pem).await?,
    };
    let builder = MockTenant::builder()
        .config(config)
        // The same keys as a `serve` sharing the state directory: a target that cached its
        // JWKS keeps trusting the runner's tokens.
        .keys(sd.load_or_init_keys(cli.fixture_keys)?);
    let attached = Attached::start(url, secret, &ca_pem, builder, &callback).await?;
    eprintln!(
        "attached to {url}: its discovery and JWKS come from {} until the run ends",
        attached.callback()
    );
    let played = tokio::select! {
        r = play(a, attached.tenant(), target, &ca_path) => r,
        _ = tokio::signal::ctrl_c() => Err(anyhow!("interrupted")),
    };
    let detached = attached.detach().await;
    played?;
    Ok(detached?)
}
