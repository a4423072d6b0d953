//! `mock-idp otp EMAIL`: the code a user's authenticator app shows now (TOTP, RFC 6238), from
//! the user's OTP enrolment, so a script or a person can type it at the login page's OTP step
//! or send it to the `mfa-otp` grant. The enrolment is the one the tenant on the state
//! directory last saved (made at the login page or over the Management API), else the one in
//! the tenant configuration.
//!
//! It reads the wall clock, as a phone would: a `serve` whose virtual clock was moved through
//! the control API is ahead of it; `--at` gives the time to use instead.

use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow};
use clap::Args;

use crate::local::{load_config, state_dir};

#[derive(Args, Debug)]
pub(crate) struct OtpArgs {
    /// The user's email.
    email: String,
    /// Tenant configuration (TOML), as given to `serve`.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Unix time to compute the code for (default: now).
    #[arg(long, value_name = "UNIX_SECONDS")]
    at: Option<i64>,
}

/// Prints the current code of `args.email`.
pub(crate) fn run(state: Option<&Path>, args: &OtpArgs) -> Result<()> {
    let config = load_config(args.config.as_deref())?;
    let saved = state_dir(state)?.saved_config();
    let enrolled = saved
        .as_ref()
        .and_then(|c| c.user_by_email(&args.email))
        .filter(|u| u.mfa.is_some());
    let user = enrolled
        .or_else(|| config.user_by_email(&args.email))
        .ok_or_else(|| anyhow!("{}: no such user in the tenant configuration", args.email))?;
    let now = args.at.unwrap_or_else(|| mock_idp::Clock::new().now());
    let code = user.otp_code(now).ok_or_else(|| {
        anyhow!(
            "{}: the user has no OTP enrolment ([users.mfa])",
            args.email
        )
    })?;
    println!("{code}");
    Ok(())
}
