//! The API binary: the quickstart protected by a real (or `mock-idp`) Auth0 tenant named in `.env`.
//!
//! With settings missing it stops with one line naming the variable; it never falls back to a mock
//! tenant (that is the `demo` binary's job, and only on a developer's machine).

use std::net::SocketAddr;
use std::process::ExitCode;

use oauth2_jwt_bearer::Verifier;
use protected_api::config::Settings;
use protected_api::server;
use protected_api::upstream::Upstream;

fn main() -> ExitCode {
    server::init_tracing();
    match start() {
        Ok(()) => ExitCode::SUCCESS,
        Err(line) => {
            eprintln!("error: {line}");
            ExitCode::from(2)
        }
    }
}

fn start() -> Result<(), String> {
    let (settings, warnings) = Settings::from_env().map_err(|e| e.to_string())?;
    for warning in warnings {
        tracing::warn!("{warning}");
    }
    if let Some(warning) = settings.host_trust_warning() {
        tracing::warn!("{warning}");
    }
    let options = server::verifier_options(&settings)
        .map_err(|e| format!("AUTH0_CA_FILE could not be read: {e}"))?;
    let verifier = Verifier::new(options).map_err(|e| e.to_string())?;
    let upstream = Upstream::from_settings(&settings)?;
    let runtime = tokio::runtime::Runtime::new()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime.block_on(async {
        let addr = SocketAddr::new(settings.bind, settings.port);
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| format!("cannot listen on {addr}: {e}; set PORT to a free port"))?;
        tracing::info!(
            "protecting http://{addr} for audience {} with tenant https://{}/",
            settings.audience,
            settings.domain
        );
        let router = protected_api::app::app_with(verifier, upstream);
        server::run_router(listener, router, server::shutdown_signal())
            .await
            .map_err(|e| format!("server stopped: {e}"))
    })
}
