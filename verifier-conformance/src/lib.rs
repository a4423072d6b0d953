//! The conformance runner: the 201-case catalog of `reference/conformance-catalog.md` played
//! against any token verifier reachable over HTTP, with reports.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use mock_idp::MockTenant;
//! use verifier_conformance::{Level, Runner, Target};
//!
//! let tenant = MockTenant::start().await;
//! // ... start the verifier under test, configured with tenant.domain() and its CA ...
//! let report = Runner::new(&tenant, Target::new("http://127.0.0.1:3010")).run().await?;
//! println!("{}", report.table());
//! assert!(report.passed(&[Level::M]));
//! # Ok(()) }
//! ```
//!
//! Modules: [`catalog`] (cases as data), [`target`] (what is tested), [`observe`] (one
//! request, one observation), [`challenge`] (RFC 9110 §11 parsing), [`verdict`] (expected
//! outcomes and grading), [`runner`] (order, progress, tenant restore), [`report`] (table,
//! JSON, JUnit, exit status).

pub mod catalog;
pub mod challenge;
pub mod observe;
pub mod report;
pub mod runner;
pub mod target;
pub mod verdict;

pub use catalog::{Case, Catalog, Group, Step};
pub use challenge::{Challenge, parse_challenges};
pub use observe::{Observation, Request};
pub use report::{CaseResult, Report, Tally, parse_levels};
pub use runner::{RunError, Runner, env_for, wait_for_target};
pub use target::{DpopMode, Features, Profile, Target, TargetError};
pub use verdict::{Expect, Grade, Level};
