//! The API binary: the quickstart protected by a real (or `mock-idp`) Auth0 tenant named in `.env`.
//!
//! With settings missing it stops with one line naming the variable; it never falls back to a mock
//! tenant (that is the `demo` binary's job, and only on a developer's machine).

use std::net::SocketAddr;
use std::process::ExitCode;

use oauth2_jwt_bearer::{Verifier, VerifierOptions};
use protected_api::config::{self, Settings};
use protected_api::server;
use protected_api::upstream::{Upstream, UpstreamError};

/// Why the API stops; its `Display` is the one line printed after `error: `.
#[derive(Debug, thiserror::Error)]
enum StartError {
    #[error(transparent)]
    Settings(#[from] config::ConfigError),
    #[error("AUTH0_CA_FILE could not be read: {0}")]
    CaFile(#[source] std::io::Error),
    #[error(transparent)]
    Verifier(#[from] oauth2_jwt_bearer::ConfigError),
    #[error(transparent)]
    Upstream(#[from] UpstreamError),
    #[error("cannot start the async runtime: {0}")]
    Runtime(#[source] std::io::Error),
    #[error("cannot listen on {addr}: {source}; set PORT to a free port")]
    Listen {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("server stopped: {0}")]
    Serve(#[source] std::io::Error),
}

fn main() -> ExitCode {
    server::init_tracing();
    match start() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn start() -> Result<(), StartError> {
    let (settings, warnings) = Settings::from_env()?;
    for warning in warnings {
        tracing::warn!("{warning}");
    }
    if let Some(warning) = settings.host_trust_warning() {
        tracing::warn!("{warning}");
    }
    let options = VerifierOptions::try_from(&settings).map_err(StartError::CaFile)?;
    let verifier = Verifier::new(options)?;
    let upstream = Upstream::from_settings(&settings)?;
    let runtime = tokio::runtime::Runtime::new().map_err(StartError::Runtime)?;
    runtime.block_on(async {
        let addr = SocketAddr::new(settings.bind, settings.port);
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| StartError::Listen { addr, source })?;
        tracing::info!(
            "protecting http://{addr} for audience {} with tenant https://{}/",
            settings.audience,
            settings.domain
        );
        let router = protected_api::app::app_with(verifier, upstream);
        server::run_router(listener, router, server::shutdown_signal())
            .await
            .map_err(StartError::Serve)
    })
}
