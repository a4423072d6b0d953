//! The report: a terminal table grouped as the catalog with a per-level summary, JSON, JUnit
//! XML, and the exit decision (no failure at the chosen levels).

use std::fmt::Write as _;

use serde::Serialize;

use super::catalog::{Group, Step};
use super::observe::shorten;
use super::target::Target;
use super::verdict::{Grade, Level};

/// One case's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct CaseResult {
    /// `HDR-01`...
    pub id: String,
    /// Group.
    pub group: Group,
    /// Title.
    pub title: String,
    /// Level.
    pub level: Level,
    /// RFC source.
    pub source: String,
    /// The worst grade of its steps.
    pub grade: Grade,
    /// What was sent and observed.
    pub steps: Vec<Step>,
}

impl CaseResult {
    /// The first note worth showing: the failing or skipping step's, else the case grade's.
    pub fn note(&self) -> String {
        let step = self
            .steps
            .iter()
            .find(|s| s.grade == self.grade)
            .or_else(|| self.steps.iter().find(|s| !s.grade.note().is_empty()));
        match step {
            Some(s) if !s.grade.note().is_empty() && s.label != "skipped" => {
                format!("{}: {}", s.label, s.grade.note())
            }
            Some(s) => s.grade.note().to_owned(),
            None => self.grade.note().to_owned(),
        }
    }
}

/// Counts per outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    /// Passed.
    pub pass: usize,
    /// Passed with a tolerated deviation.
    pub tolerated: usize,
    /// Failed.
    pub fail: usize,
    /// Skipped.
    pub skip: usize,
    /// Informational.
    pub info: usize,
}

impl Tally {
    fn add(&mut self, g: &Grade) {
        match g {
            Grade::Pass => self.pass += 1,
            Grade::Tolerated(_) => self.tolerated += 1,
            Grade::Fail(_) => self.fail += 1,
            Grade::Skip(_) => self.skip += 1,
            Grade::Info(_) => self.info += 1,
        }
    }

    /// Cases counted.
    pub fn total(&self) -> usize {
        self.pass + self.tolerated + self.fail + self.skip + self.info
    }
}

/// Everything a run found.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The target as configured.
    pub target: Target,
    /// The tenant's issuer.
    pub issuer: String,
    /// Wall time of the run.
    pub elapsed_ms: u64,
    /// One entry per case, in catalog order.
    pub results: Vec<CaseResult>,
}

/// A tally table headed by `heading` (after a blank line), one row for each named tally
/// that counts any case.
fn write_tallies(s: &mut String, heading: &str, tallies: &[(&str, Tally)]) {
    let _ = writeln!(
        s,
        "\n{:<8} {:>5} {:>5} {:>5} {:>5} {:>5} {:>5}",
        heading, "cases", "pass", "tol", "fail", "skip", "info"
    );
    for (name, t) in tallies {
        if t.total() > 0 {
            let _ = writeln!(
                s,
                "{:<8} {:>5} {:>5} {:>5} {:>5} {:>5} {:>5}",
                name,
                t.total(),
                t.pass,
                t.tolerated,
                t.fail,
                t.skip,
                t.info
            );
        }
    }
}

fn label(g: &Grade) -> &'static str {
    match g {
        Grade::Pass => "PASS",
        Grade::Tolerated(_) => "TOL",
        Grade::Fail(_) => "FAIL",
        Grade::Skip(_) => "SKIP",
        Grade::Info(_) => "INFO",
    }
}

impl Report {
    /// The tally for one level.
    pub fn level(&self, level: Level) -> Tally {
        let mut t = Tally::default();
        for r in self.results.iter().filter(|r| r.level == level) {
            t.add(&r.grade);
        }
        t
    }

    /// The tally for one group.
    pub fn group(&self, group: Group) -> Tally {
        let mut t = Tally::default();
        for r in self.results.iter().filter(|r| r.group == group) {
            t.add(&r.grade);
        }
        t
    }

    /// The result of case `id`.
    pub fn case(&self, id: &str) -> Option<&CaseResult> {
        self.results.iter().find(|r| r.id == id)
    }

    /// Cases that failed at one of `levels`.
    pub fn failures(&self, levels: &[Level]) -> Vec<&CaseResult> {
        self.results
            .iter()
            .filter(|r| levels.contains(&r.level) && matches!(r.grade, Grade::Fail(_)))
            .collect()
    }

    /// Whether no case at `levels` failed (the exit status).
    pub fn passed(&self, levels: &[Level]) -> bool {
        self.failures(levels).is_empty()
    }

    /// The terminal table: one line per case, grouped, then summaries per group and level.
    pub fn table(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "Conformance of {} (issuer {})",
            self.target.base_url, self.issuer
        );
        for g in Group::ALL {
            let rows: Vec<_> = self.results.iter().filter(|r| r.group == g).collect();
            if rows.is_empty() {
                continue;
            }
            let _ = writeln!(s, "\n{} ({})", g.as_str(), rows.len());
            for r in rows {
                let _ = writeln!(
                    s,
                    "  {:<7} {:<2} {:<4} {:<44} {}",
                    r.id,
                    r.level.as_str(),
                    label(&r.grade),
                    shorten(&r.title, 44),
                    shorten(&r.note(), 110)
                );
            }
        }
        let by_group = Group::ALL.map(|g| (g.as_str(), self.group(g)));
        write_tallies(&mut s, "group", &by_group);
        let by_level = Level::ALL.map(|l| (l.as_str(), self.level(l)));
        write_tallies(&mut s, "level", &by_level);
        let _ = writeln!(
            s,
            "\n{} cases in {} ms",
            self.results.len(),
            self.elapsed_ms
        );
        s
    }

    /// The whole report as JSON (every step with its request and observation).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }

    /// JUnit XML: one testsuite per group, one testcase per case; failures at any level are
    /// `<failure>` (CI decides with the exit status), skips `<skipped>`.
    pub fn to_junit(&self) -> String {
        let mut s = String::from(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"conformance\">\n",
        );
        for g in Group::ALL {
            let rows: Vec<_> = self.results.iter().filter(|r| r.group == g).collect();
            if rows.is_empty() {
                continue;
            }
            let t = self.group(g);
            let _ = writeln!(
                s,
                "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" skipped=\"{}\">",
                g.as_str(),
                t.total(),
                t.fail,
                t.skip
            );
            for r in rows {
                let name = xml(&format!("{} {} [{}]", r.id, r.title, r.level.as_str()));
                let _ = write!(
                    s,
                    "    <testcase classname=\"conformance.{}\" name=\"{name}\">",
                    g.as_str()
                );
                let detail: String = r
                    .steps
                    .iter()
                    .map(|st| {
                        format!(
                            "{} | {} | expected {} | got {} | {}\n",
                            st.label,
                            st.request,
                            st.expected,
                            st.observed
                                .as_ref()
                                .map(|o| o.summary())
                                .unwrap_or_default(),
                            st.grade.note()
                        )
                    })
                    .collect();
                match &r.grade {
                    Grade::Fail(n) => {
                        let _ = write!(
                            s,
                            "<failure message=\"{}\">{}</failure>",
                            xml(n),
                            xml(&detail)
                        );
                    }
                    Grade::Skip(n) => {
                        let _ = write!(s, "<skipped message=\"{}\"/>", xml(n));
                    }
                    _ => {
                        let _ = write!(s, "<system-out>{}</system-out>", xml(&detail));
                    }
                }
                s.push_str("</testcase>\n");
            }
            s.push_str("  </testsuite>\n");
        }
        s.push_str("</testsuites>\n");
        s
    }
}

/// XML text/attribute escaping; control characters (not allowed in XML 1.0) become U+FFFD.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' | '\t' => out.push(ch),
            c if (c as u32) < 0x20 => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Parses `--fail-on M,S`.
pub fn parse_levels(s: &str) -> Option<Vec<Level>> {
    s.split(',')
        .filter(|p| !p.trim().is_empty())
        .map(Level::parse)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(grades: &[(Level, Grade)]) -> Report {
        Report {
            target: Target::default(),
            issuer: "https://t/".into(),
            elapsed_ms: 1,
            results: grades
                .iter()
                .enumerate()
                .map(|(i, (l, g))| CaseResult {
                    id: format!("HDR-{i:02}"),
                    group: Group::Hdr,
                    title: "t".into(),
                    level: *l,
                    source: "RFC".into(),
                    grade: g.clone(),
                    steps: Vec::new(),
                })
                .collect(),
        }
    }

    #[test]
    fn exit_decision_follows_the_threshold() {
        let r = report(&[
            (Level::M, Grade::Pass),
            (Level::S, Grade::Fail("x".into())),
            (Level::I, Grade::Info("y".into())),
        ]);
        assert!(r.passed(&[Level::M]));
        assert!(!r.passed(&parse_levels("M,S").unwrap()));
        assert_eq!(r.level(Level::S).fail, 1);
        assert!(parse_levels("M,Q").is_none());
    }

    #[test]
    fn junit_escapes_and_counts() {
        let r = report(&[
            (Level::M, Grade::Fail("a <b> & \"c\"\u{1}".into())),
            (Level::S, Grade::Skip("n/a".into())),
        ]);
        let x = r.to_junit();
        assert!(x.contains("failures=\"1\" skipped=\"1\""));
        assert!(x.contains("a &lt;b&gt; &amp; &quot;c&quot;\u{FFFD}"));
        assert!(r.table().contains("HDR-00"));
        assert!(r.to_json().contains("\"grade\": \"Fail\""));
    }
}
