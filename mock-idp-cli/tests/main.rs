//! The `mock-idp` binary end to end: its subcommands against a real state directory and real
//! tenants on 127.0.0.1, and `mock-idp conformance` against real listeners.

// The helpers are mock-idp's own test helpers (TempDir, JWKS fetch, signature check): one copy.
#[allow(dead_code)] // the token-endpoint helpers serve mock-idp's own tests
#[path = "../../mock-idp/tests/support.rs"]
mod support;

mod action;
mod cli;
mod conformance;
mod conformance_attached;
mod deploy;
mod diff;
mod mint_flags;
mod readme;
mod serve;
mod tenant_attacks;
