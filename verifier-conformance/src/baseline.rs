//! The baseline ratchet (`mock-idp conformance --baseline FILE`): the failures a verifier is
//! known to have, each with its verdict class. A run checked against a baseline fails on any
//! failure the file does not list (a new bug, or a known one that changed class) *and* on any
//! listed case that now passes, so a fixed bug leaves the file and cannot come back unnoticed,
//! and the file stays true. `--write-baseline FILE` writes one from a run.
//!
//! The file is TOML, or JSON when its name ends in `.json`:
//!
//! ```toml
//! [[failures]]
//! id = "SIG-10"
//! class = "wrongly-accepted"
//! title = "Embedded jwk"   # for the reader; not compared
//! ```

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::class::Class;
use super::report::{CaseResult, FailOn, Report};

/// The known failures of a verifier.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    /// One entry per failing case, in catalog order.
    #[serde(default)]
    pub failures: Vec<KnownFailure>,
}

/// A case the verifier is known to fail, and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KnownFailure {
    /// `SIG-10`...
    pub id: String,
    /// What kind of wrong it is (`wrongly-accepted`, `wrongly-refused`, `wrong-form`, `other`).
    pub class: Class,
    /// The case's title, for the reader of the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

/// Why a baseline file cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BaselineError {
    /// It cannot be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// It is not a baseline.
    #[error("{path}: not a baseline: {reason}")]
    Parse {
        /// The file.
        path: String,
        /// What the parser said.
        reason: String,
    },
}

/// A run compared with a baseline.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ratchet {
    /// Failures the baseline does not list: `(id, class, finding)`.
    pub new: Vec<(String, Option<Class>, String)>,
    /// Listed failures that now fail in another class: `(id, listed, now)`.
    pub changed: Vec<(String, Class, Option<Class>)>,
    /// Listed cases that now pass: drop them from the file.
    pub fixed: Vec<String>,
}

impl Ratchet {
    /// Whether the run matches the baseline exactly.
    pub fn holds(&self) -> bool {
        self.new.is_empty() && self.changed.is_empty() && self.fixed.is_empty()
    }

    /// What differs, one line each; empty when it holds.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for (id, class, finding) in &self.new {
            let class = class.map_or("failed", Class::name);
            out.push_str(&format!("new failure  {id} ({class}): {finding}\n"));
        }
        for (id, was, now) in &self.changed {
            let now = now.map_or("failed", Class::name);
            out.push_str(&format!(
                "changed      {id}: listed as {}, now {now}\n",
                was.name()
            ));
        }
        for id in &self.fixed {
            out.push_str(&format!(
                "fixed        {id} passes now: remove it from the baseline\n"
            ));
        }
        out
    }
}

impl Baseline {
    /// The failures of `report` that `fail_on` counts.
    pub fn from_report(report: &Report, fail_on: &FailOn) -> Baseline {
        Baseline {
            failures: report
                .failures_on(fail_on)
                .into_iter()
                .map(|r| KnownFailure {
                    id: r.id.clone(),
                    class: r.class.unwrap_or(Class::Other),
                    title: Some(r.title.clone()),
                })
                .collect(),
        }
    }

    /// Compares `report` with the baseline: the failures `fail_on` counts against the listed
    /// ones. A listed case the run did not play (`--only`) or could not observe (skipped) is
    /// left alone.
    pub fn check(&self, report: &Report, fail_on: &FailOn) -> Ratchet {
        let mut r = Ratchet::default();
        let listed = |id: &str| self.failures.iter().find(|k| k.id == id);
        for case in report.failures_on(fail_on) {
            match listed(&case.id) {
                None => r.new.push((case.id.clone(), case.class, case.finding())),
                Some(k) if Some(k.class) != case.class => {
                    r.changed.push((case.id.clone(), k.class, case.class));
                }
                Some(_) => {}
            }
        }
        for k in &self.failures {
            if report
                .case(&k.id)
                .is_some_and(|c: &CaseResult| c.grade.is_ok())
            {
                r.fixed.push(k.id.clone());
            }
        }
        r
    }

    /// Reads a baseline (JSON when the name ends in `.json`, else TOML).
    pub fn load(path: &Path) -> Result<Baseline, BaselineError> {
        let text = std::fs::read_to_string(path).map_err(|source| BaselineError::Io {
            path: path.display().to_string(),
            source,
        })?;
        let parse = |reason: String| BaselineError::Parse {
            path: path.display().to_string(),
            reason,
        };
        if is_json(path) {
            serde_json::from_str(&text).map_err(|e| parse(e.to_string()))
        } else {
            toml::from_str(&text).map_err(|e| parse(e.message().to_owned()))
        }
    }

    /// Writes the baseline (JSON when the name ends in `.json`, else TOML).
    pub fn save(&self, path: &Path) -> Result<(), BaselineError> {
        let text = if is_json(path) {
            serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
        } else {
            let body = toml::to_string(self).unwrap_or_default();
            format!(
                "# Known conformance failures (mock-idp conformance --baseline). A run fails on \
                 a failure not listed here\n# and on a listed case that passes: remove it then.\n\n{body}"
            )
        };
        std::fs::write(path, text).map_err(|source| BaselineError::Io {
            path: path.display().to_string(),
            source,
        })
    }
}

fn is_json(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
}
