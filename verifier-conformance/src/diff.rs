//! Two JSON reports compared case by case (`mock-idp conformance diff A.json B.json`): the
//! cases whose outcome changed, regressions first, so a CI gate can fail on a regression.
//!
//! An outcome's severity orders the comparison: passed, tolerated, informational and skipped
//! are 0; a failure is 1 to 4 by class (other, wrong form, wrongly refused, wrongly accepted).
//! A case whose severity rose regressed; one whose severity fell improved; any other change
//! of grade (a pass now skipped) is listed apart. Only the fields the diff needs are read, so
//! reports of older versions (without classes) still compare.

use std::fmt::Write as _;
use std::path::Path;

use serde::Deserialize;

use super::class::Class;
use super::observe::shorten;
use super::verdict::Level;

/// Why two reports cannot be compared.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DiffError {
    /// A report cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A file is not a conformance report (`--json` output).
    #[error("{path} is not a conformance JSON report: {reason}")]
    Parse {
        /// The file.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// What is read of a report.
#[derive(Debug, Deserialize)]
struct ReportFile {
    results: Vec<CaseLine>,
}

/// What is read of a case.
#[derive(Debug, Clone, Deserialize)]
struct CaseLine {
    id: String,
    title: String,
    level: Level,
    grade: GradeLine,
    #[serde(default)]
    class: Option<Class>,
}

#[derive(Debug, Clone, Deserialize)]
struct GradeLine {
    grade: GradeKind,
    #[serde(default)]
    note: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
enum GradeKind {
    Pass,
    Tolerated,
    Fail,
    Info,
    Skip,
}

impl CaseLine {
    fn severity(&self) -> u8 {
        if self.grade.grade != GradeKind::Fail {
            return 0;
        }
        match self.class.unwrap_or(Class::Other) {
            Class::Other => 1,
            Class::WrongForm => 2,
            Class::WronglyRefused => 3,
            Class::WronglyAccepted => 4,
        }
    }

    /// `PASS`, `SKIP`, `FAIL wrongly accepted`...
    fn outcome(&self) -> String {
        match self.grade.grade {
            GradeKind::Pass => "PASS".into(),
            GradeKind::Tolerated => "TOL".into(),
            GradeKind::Info => "INFO".into(),
            GradeKind::Skip => "SKIP".into(),
            GradeKind::Fail => match self.class {
                Some(Class::WronglyAccepted) => "FAIL wrongly accepted".into(),
                Some(Class::WronglyRefused) => "FAIL wrongly refused".into(),
                Some(Class::WrongForm) => "FAIL wrong form".into(),
                Some(Class::Other) | None => "FAIL".into(),
            },
        }
    }
}

/// How a case changed between the two reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Change {
    /// More serious in B.
    Regression,
    /// Less serious in B.
    Improvement,
    /// Another grade, as serious (e.g. passed, now skipped).
    Changed,
    /// Only in B.
    Added,
    /// Only in A.
    Removed,
}

/// One case whose outcome changed.
#[derive(Debug, Clone)]
pub struct CaseChange {
    /// The case id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Its level.
    pub level: Level,
    /// How it changed.
    pub change: Change,
    /// Outcome in A (`-` when absent).
    pub before: String,
    /// Outcome in B (`-` when absent).
    pub after: String,
    /// B's note (A's for a removed case).
    pub note: String,
    severity: u8,
}

/// The cases whose outcome differs between two reports.
#[derive(Debug, Clone)]
pub struct Diff {
    /// Regressions first (most serious first), then improvements, other changes, added and
    /// removed cases; catalog order within each.
    pub changes: Vec<CaseChange>,
    /// Cases in both reports with the same outcome.
    pub unchanged: usize,
}

fn parse(text: &str, path: &str) -> Result<ReportFile, DiffError> {
    serde_json::from_str(text).map_err(|e| DiffError::Parse {
        path: path.to_owned(),
        reason: e.to_string(),
    })
}

fn read(path: &Path) -> Result<ReportFile, DiffError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| DiffError::Read {
        path: name.clone(),
        source,
    })?;
    parse(&text, &name)
}

impl Diff {
    /// Compares the reports in two files.
    pub fn load(a: &Path, b: &Path) -> Result<Diff, DiffError> {
        Ok(Diff::of(read(a)?, read(b)?))
    }

    /// Compares two reports given as JSON text (`a_name`, `b_name` name them in errors).
    pub fn parse(a: &str, a_name: &str, b: &str, b_name: &str) -> Result<Diff, DiffError> {
        Ok(Diff::of(parse(a, a_name)?, parse(b, b_name)?))
    }

    fn of(a: ReportFile, b: ReportFile) -> Diff {
        let mut changes = Vec::new();
        let mut unchanged = 0;
        for new in &b.results {
            let Some(old) = a.results.iter().find(|r| r.id == new.id) else {
                changes.push(change(new, None, Some(new), Change::Added));
                continue;
            };
            let kind = match new.severity().cmp(&old.severity()) {
                std::cmp::Ordering::Greater => Change::Regression,
                std::cmp::Ordering::Less => Change::Improvement,
                std::cmp::Ordering::Equal if new.outcome() != old.outcome() => Change::Changed,
                std::cmp::Ordering::Equal => {
                    unchanged += 1;
                    continue;
                }
            };
            changes.push(change(new, Some(old), Some(new), kind));
        }
        for old in &a.results {
            if !b.results.iter().any(|r| r.id == old.id) {
                changes.push(change(old, Some(old), None, Change::Removed));
            }
        }
        // Stable: catalog order (B's, then A's) within a kind and severity.
        changes.sort_by_key(|c| (c.change, std::cmp::Reverse(c.severity)));
        Diff { changes, unchanged }
    }

    /// How many cases regressed (the exit status of `diff`).
    pub fn regressions(&self) -> usize {
        self.of_kind(Change::Regression).count()
    }

    fn of_kind(&self, kind: Change) -> impl Iterator<Item = &CaseChange> {
        self.changes.iter().filter(move |c| c.change == kind)
    }

    /// The diff as text: a block per kind of change, then a count line.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let blocks = [
            (Change::Regression, "REGRESSIONS"),
            (Change::Improvement, "IMPROVEMENTS"),
            (Change::Changed, "OTHER CHANGES"),
            (Change::Added, "ONLY IN THE NEW REPORT"),
            (Change::Removed, "ONLY IN THE OLD REPORT"),
        ];
        for (kind, heading) in blocks {
            let rows: Vec<&CaseChange> = self.of_kind(kind).collect();
            if rows.is_empty() {
                continue;
            }
            let _ = writeln!(s, "{heading} ({})", rows.len());
            for c in rows {
                let line = format!(
                    "  {:<7} {:<2} {:<36} {} -> {}  {}",
                    c.id,
                    c.level.as_str(),
                    shorten(&c.title, 36),
                    c.before,
                    c.after,
                    shorten(&c.note, 100)
                );
                let _ = writeln!(s, "{}", line.trim_end());
            }
        }
        let _ = writeln!(
            s,
            "{} regression(s), {} improvement(s), {} other change(s), {} unchanged",
            self.regressions(),
            self.of_kind(Change::Improvement).count(),
            self.changes.len() - self.regressions() - self.of_kind(Change::Improvement).count(),
            self.unchanged
        );
        s
    }
}

fn change(
    case: &CaseLine,
    old: Option<&CaseLine>,
    new: Option<&CaseLine>,
    kind: Change,
) -> CaseChange {
    let outcome = |c: Option<&CaseLine>| c.map_or_else(|| "-".to_owned(), CaseLine::outcome);
    CaseChange {
        id: case.id.clone(),
        title: case.title.clone(),
        level: case.level,
        change: kind,
        before: outcome(old),
        after: outcome(new),
        note: case.grade.note.clone(),
        severity: new.or(old).map_or(0, CaseLine::severity),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(cases: &[(&str, &str, Option<&str>)]) -> String {
        let results: Vec<serde_json::Value> = cases
            .iter()
            .map(|(id, grade, class)| {
                serde_json::json!({
                    "id": id, "title": "t", "level": "M", "group": "TOK", "source": "RFC",
                    "grade": {"grade": grade, "note": format!("{id} note")},
                    "class": class, "steps": [],
                })
            })
            .collect();
        serde_json::json!({ "results": results }).to_string()
    }

    #[test]
    fn regressions_come_first_and_count() {
        let a = report(&[
            ("TOK-01", "Pass", None),
            ("TOK-02", "Fail", Some("wrong-form")),
            ("TOK-03", "Fail", Some("wrongly-accepted")),
            ("TOK-04", "Pass", None),
            ("TOK-05", "Pass", None),
        ]);
        let b = report(&[
            ("TOK-01", "Fail", Some("wrong-form")),
            ("TOK-02", "Fail", Some("wrongly-accepted")),
            ("TOK-03", "Pass", None),
            ("TOK-04", "Skip", None),
            ("TOK-05", "Pass", None),
        ]);
        let d = Diff::parse(&a, "a", &b, "b").unwrap();
        let order: Vec<(&str, Change)> = d
            .changes
            .iter()
            .map(|c| (c.id.as_str(), c.change))
            .collect();
        assert_eq!(
            order,
            [
                ("TOK-02", Change::Regression),
                ("TOK-01", Change::Regression),
                ("TOK-03", Change::Improvement),
                ("TOK-04", Change::Changed),
            ]
        );
        assert_eq!(d.regressions(), 2);
        assert_eq!(d.unchanged, 1);
        let text = d.render();
        assert!(text.starts_with("REGRESSIONS (2)\n  TOK-02 "), "{text}");
        assert!(
            text.contains("FAIL wrong form -> FAIL wrongly accepted"),
            "{text}"
        );
        assert!(
            text.ends_with("2 regression(s), 1 improvement(s), 1 other change(s), 1 unchanged\n")
        );
    }

    #[test]
    fn malformed_reports_are_refused_with_their_name() {
        let good = report(&[("TOK-01", "Pass", None)]);
        let e = Diff::parse("{\"results\": 3}", "old.json", &good, "new.json").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("old.json is not a conformance JSON report: "),
            "{e}"
        );
        let e = Diff::parse(&good, "old.json", "not json", "new.json").unwrap_err();
        assert!(e.to_string().starts_with("new.json is not"), "{e}");
    }
}
