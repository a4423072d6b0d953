//! `mock-idp ca`: the path of the CA certificate clients should trust (made on first use, for
//! the host `serve` advertises).

use std::path::Path;

use anyhow::Result;

use crate::local::{served_at, state_dir, tls_host};

pub(crate) fn run(state: Option<&Path>) -> Result<()> {
    let sd = state_dir(state)?;
    let at = served_at(&sd);
    sd.load_or_init_tls(&[tls_host(&at)])?;
    println!("{}", sd.ca_path().display());
    Ok(())
}
