//! What every command reads from this machine: the state directory (keys, CA, the address
//! `serve` last listened on), the tenant configuration file, and files or stdin named on the
//! command line.

use std::io::Read as _;
use std::path::Path;

use anyhow::{Context as _, Result};
use mock_idp::ServeAddress;
use mock_idp::{
    DpopKey, StateDir, config::ApplicationConfig, config::GrantType, config::TenantConfig,
};

/// `serve`'s default port, and so the address the other commands assume before any `serve`.
pub(crate) const DEFAULT_PORT: u16 = 8443;
/// `serve`'s default host name in the issuer.
pub(crate) const DEFAULT_HOST: &str = "localhost";

/// The state directory: `--state-dir`, else the platform default.
pub(crate) fn state_dir(path: Option<&Path>) -> Result<StateDir> {
    let path = match path {
        Some(p) => p.to_owned(),
        None => StateDir::default_path()?,
    };
    Ok(StateDir::open(path)?)
}

/// The tenant configuration in `path` (a TOML or a Deploy CLI export, its warnings not
/// repeated: `serve` prints them), or the default tenant.
pub(crate) fn load_config(path: Option<&Path>) -> Result<TenantConfig> {
    Ok(match path {
        Some(p) => mock_idp::config::deploy::load_any(p, &Default::default())?.config,
        None => TenantConfig::default(),
    })
}

/// Where `serve` listens: as it recorded, or where it will with its defaults.
pub(crate) fn served_at(sd: &StateDir) -> ServeAddress {
    sd.read_endpoint().unwrap_or_else(|| {
        let domain = format!("{DEFAULT_HOST}:{DEFAULT_PORT}");
        ServeAddress {
            base_url: format!("https://{domain}"),
            domain,
            listen_port: None,
        }
    })
}

/// The host name of a served address (no port, no IPv6 brackets): the name the TLS
/// certificate is made for.
pub(crate) fn tls_host(at: &ServeAddress) -> String {
    url::Url::parse(&at.base_url)
        .ok()
        .and_then(|u| u.host_str().map(|h| h.trim_matches(['[', ']']).to_owned()))
        .unwrap_or_else(|| DEFAULT_HOST.to_owned())
}

/// The first application users can log in to (authorization code grant and a callback).
pub(crate) fn login_application(config: &TenantConfig) -> Option<&ApplicationConfig> {
    config
        .applications
        .iter()
        .find(|a| a.allows(GrantType::AuthorizationCode) && !a.callbacks.is_empty())
}

/// A DPoP key from a PKCS#8 PEM file.
pub(crate) fn read_dpop_key(path: &Path) -> Result<DpopKey> {
    let pem = std::fs::read_to_string(path).with_context(|| format!("{}", path.display()))?;
    DpopKey::from_pkcs8_pem(&pem).with_context(|| format!("{}", path.display()))
}

/// The text of FILE, or of stdin for `-`.
pub(crate) fn read_source(src: &str) -> Result<String> {
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

/// A spec from `--spec FILE|-` (the control API's JSON body), or the empty spec.
pub(crate) fn read_spec<T: serde::de::DeserializeOwned + Default>(
    src: Option<&str>,
    what: &str,
) -> Result<T> {
    match src {
        Some(src) => serde_json::from_str(&read_source(src)?)
            .with_context(|| format!("--spec {src}: not a {what} description")),
        None => Ok(T::default()),
    }
}

/// `matches` with only the flags the command line gave: a flag's default must not overwrite
/// what `--spec` says when clap's `update_from_arg_matches` applies the flags over it.
pub(crate) fn given_only(matches: &clap::ArgMatches) -> clap::ArgMatches {
    let mut given = matches.clone();
    let defaulted: Vec<String> = matches
        .ids()
        .filter(|id| {
            matches.value_source(id.as_str()) == Some(clap::parser::ValueSource::DefaultValue)
        })
        .map(|id| id.as_str().to_owned())
        .collect();
    for id in defaulted {
        let _ = given.try_clear_id(&id);
    }
    given
}
