//! `cargo run`: the quickstart API in front of an embedded mock tenant (see `protected_api::demo`).

use std::io::Write as _;
use std::process::ExitCode;

use protected_api::demo::{Demo, DemoOptions};
use protected_api::server;

fn main() -> ExitCode {
    server::init_tracing();
    let run = || -> Result<(), String> {
        let options = DemoOptions::from_env()?;
        let runtime = tokio::runtime::Runtime::new()
            .map_err(|e| format!("cannot start the async runtime: {e}"))?;
        runtime.block_on(async {
            let demo = Demo::start(&options).await?;
            print!("{}", demo.banner());
            let _ = std::io::stdout().flush();
            demo.serve(server::shutdown_signal())
                .await
                .map_err(|e| format!("server stopped: {e}"))
        })
    };
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(line) => {
            eprintln!("error: {line}");
            ExitCode::from(2)
        }
    }
}
