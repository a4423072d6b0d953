//! Conformance testing for OAuth 2.0 token verifiers: a catalog of good and bad access tokens
//! and DPoP proofs (RFC 6750, 9068, 9449, 8725 and the JOSE RFCs), played over
//! HTTP against any verifier that trusts a [`MockTenant`](mock_idp::MockTenant), with reports.
//! The `mock-idp conformance` command is a thin wrapper around it.
//!
//! The catalog case by case (ids, levels, titles, RFC sources, what the levels mean and how
//! grading works) is `docs/conformance-catalog.md` at the repository root, generated from this
//! crate by `mock-idp conformance --list --format markdown` ([`Catalog::markdown`]); a test fails when
//! the checked-in copy differs.
//!
//! # Layout
//!
//! Every module is private; the root re-exports what callers use, one path per name.
//!
//! - `catalog`: the cases as data ([`Catalog`], [`Case`], [`Group`], [`Step`]).
//!   [`Catalog::all`] lists them in catalog order. Each group (HDR, TOK, SIG, KEY, CLM, AUD, ISS,
//!   SCP, DPP, DPB, RPN, RES) is one module under `catalog/`, where every case is a `const` (id,
//!   title, level, RFC source) right above its body; the module's `CASES` lists them in order.
//!   `catalog/ctx.rs` is what bodies build requests with; `catalog/keys.rs` the keys they sign
//!   with, one role per key (case isolation); `catalog/document.rs` the catalog as text
//!   ([`Catalog::list`], [`Catalog::markdown`]).
//! - `target`: the verifier under test ([`Target`]): base URL, which route plays which role,
//!   DPoP mode, profile and optional features; from a TOML file, the command line (the `cli`
//!   feature derives `clap::Args` on it) or Rust.
//! - `observe`: one request ([`Request`]), one [`Observation`]: status, error code, parsed
//!   challenges, the headers cases look at, and the body. `challenge`: `WWW-Authenticate`
//!   parsing (RFC 9110 §11) into [`Challenge`]s.
//! - `verdict`: what a probe expects, how binding a case is ([`Level`]), and how an observation
//!   is graded ([`Grade`]). `class`: verdict classes ([`Class`]): what kind of wrong a failed
//!   case is.
//! - `runner`: plays a catalog against a target ([`Runner`]), restoring the tenant after each
//!   case; `batch` plays the cases that publish new keys on shared JWKS refreshes; `shuffle`
//!   the seeded order of a shuffled run ([`Runner::shuffle`]).
//! - `report`: the results ([`Report`], [`CaseResult`]): terminal summary (wrongly accepted
//!   first) and table, JSON, JUnit XML, the exit decision ([`FailOn`]); `html` the
//!   self-contained HTML page ([`Report::to_html`]).
//! - `baseline`: the CI ratchet ([`Baseline`]): known failures, checked both ways. `diff`: two
//!   JSON reports compared ([`Diff`]), regressions first.
//! - `attach`: a run attached to a tenant running elsewhere ([`Attached`]).
//!
//! # Example
//!
//! Play the whole catalog against a verifier on port 3010 and require every M case to pass:
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use mock_idp::MockTenant;
//! use verifier_conformance::{Class, Level, Runner, Target};
//!
//! let tenant = MockTenant::start().await;
//! // ... start the verifier under test, configured with tenant.domain() and its CA ...
//! let report = Runner::new(&tenant, Target::new("http://127.0.0.1:3010")).run().await?;
//! println!("{}", report.table());
//! assert!(report.passed(&[Level::M]));
//! // Nothing that must be refused got through, at any level:
//! assert!(report.in_class(Class::WronglyAccepted).is_empty());
//! # Ok(()) }
//! ```

mod attach;
mod baseline;
mod batch;
mod catalog;
mod challenge;
mod class;
mod diff;
mod html;
mod observe;
mod report;
mod runner;
mod shuffle;
mod target;
mod verdict;

pub use attach::{AttachError, Attached, Callback};
pub use baseline::{Baseline, BaselineError, KnownFailure, Ratchet};
pub use catalog::{Case, Catalog, Group, Step};
pub use challenge::Challenge;
pub use class::Class;
pub use diff::{Diff, DiffError};
pub use observe::{Observation, Request};
pub use report::{CaseResult, FailOn, Report, Tally};
pub use runner::{RunError, Runner, env_for, wait_for_target};
pub use target::{DpopMode, Features, Profile, Target, TargetError};
pub use verdict::{Grade, Level};
