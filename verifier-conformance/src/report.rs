//! The report: a terminal summary that opens with what got through, then a table grouped as
//! the catalog with per-group and per-level tallies; JSON; JUnit XML; and the exit decision
//! ([`FailOn`]: no failure at the chosen levels and classes). The HTML report is `html`.

use std::fmt::Write as _;

use serde::Serialize;

use super::catalog::{Group, Step};
use super::class::Class;
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
    /// What kind of wrong it is, when it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class: Option<Class>,
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

    /// One line saying what went wrong in the case's most serious failed step: what was sent,
    /// what came back, what was expected.
    pub fn finding(&self) -> String {
        let Some(class) = self.class else {
            return self.note();
        };
        let step = self
            .steps
            .iter()
            .filter(|s| matches!(s.grade, Grade::Fail(_)))
            .find(|s| s.class.unwrap_or(Class::Other) == class);
        match step {
            Some(s) => match &s.observed {
                Some(o) if !s.expected.is_empty() => format!(
                    "{}: got {}, expected {}",
                    s.label,
                    shorten(&o.summary(), 60),
                    s.expected
                ),
                _ => format!("{}: {}", s.label, s.grade.note()),
            },
            None => self.note(),
        }
    }
}

/// Which failures make the exit status non-zero: a failed case counts when its level is one of
/// `levels` (any level but I when none is given) and its class one of `classes` (any class
/// when none is given). `M` (the default) is every M failure; `accepted` every wrongly
/// accepted token; `M,accepted` the wrongly accepted M cases.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FailOn {
    /// Levels that count (empty: M, S, C, BP).
    pub levels: Vec<Level>,
    /// Classes that count (empty: all).
    pub classes: Vec<Class>,
}

impl FailOn {
    /// Parses `M,S`, `accepted`, `M,accepted,refused`...: level names and class names
    /// (`accepted`, `refused`, `form`, `other`), comma-separated.
    pub fn parse(s: &str) -> Option<FailOn> {
        let mut f = FailOn::default();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            if let Some(l) = Level::parse(part) {
                f.levels.push(l);
            } else {
                f.classes.push(Class::parse(part)?);
            }
        }
        (!f.levels.is_empty() || !f.classes.is_empty()).then_some(f)
    }

    /// Whether a failed case of this level and class counts.
    pub fn counts(&self, level: Level, class: Option<Class>) -> bool {
        let level_ok = if self.levels.is_empty() {
            level != Level::I
        } else {
            self.levels.contains(&level)
        };
        let class_ok = self.classes.is_empty() || class.is_some_and(|c| self.classes.contains(&c));
        level_ok && class_ok
    }
}

impl std::fmt::Display for FailOn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self
            .levels
            .iter()
            .map(|l| l.as_str())
            .chain(self.classes.iter().map(|c| c.name()))
            .collect();
        f.write_str(&names.join(","))
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
    /// The seed of a shuffled run's order of play (`--seed` replays it); `None` for the
    /// default order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
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

    /// Failed cases that `fail_on` counts (the exit status).
    pub fn failures_on(&self, fail_on: &FailOn) -> Vec<&CaseResult> {
        self.results
            .iter()
            .filter(|r| matches!(r.grade, Grade::Fail(_)) && fail_on.counts(r.level, r.class))
            .collect()
    }

    /// Failed cases of `class`, in catalog order.
    pub fn in_class(&self, class: Class) -> Vec<&CaseResult> {
        self.results
            .iter()
            .filter(|r| r.class == Some(class))
            .collect()
    }

    /// How many failed cases of `class` are at `level`.
    pub fn class_count(&self, class: Class, level: Level) -> usize {
        self.results
            .iter()
            .filter(|r| r.class == Some(class) && r.level == level)
            .count()
    }

    /// The summary by verdict class: the wrongly accepted cases one per line (what got
    /// through), then a count per class and level. It opens the terminal report.
    pub fn class_summary(&self) -> String {
        let mut s = String::new();
        let accepted = self.in_class(Class::WronglyAccepted);
        if accepted.is_empty() {
            let _ = writeln!(s, "WRONGLY ACCEPTED (security): none");
        } else {
            let _ = writeln!(
                s,
                "WRONGLY ACCEPTED (security): {} case(s) let through what must be refused",
                accepted.len()
            );
            for r in accepted {
                let _ = writeln!(
                    s,
                    "  {:<7} {:<2} {} ({}): {}",
                    r.id,
                    r.level.as_str(),
                    r.title,
                    r.source,
                    shorten(&r.finding(), 160)
                );
            }
        }
        let _ = writeln!(
            s,
            "\n{:<32} {:>4} {:>4} {:>4} {:>4} {:>5}",
            "failures by class", "M", "S", "C", "BP", "total"
        );
        for class in Class::ALL {
            let per: Vec<usize> = [Level::M, Level::S, Level::C, Level::BP]
                .into_iter()
                .map(|l| self.class_count(class, l))
                .collect();
            let total: usize = per.iter().sum();
            if class == Class::Other && total == 0 {
                continue;
            }
            let _ = writeln!(
                s,
                "{:<32} {:>4} {:>4} {:>4} {:>4} {:>5}",
                class_label(class),
                per[0],
                per[1],
                per[2],
                per[3],
                total
            );
        }
        s
    }

    /// The terminal table: one line per case, grouped, then summaries per group and level.
    pub fn table(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "Conformance of {} (issuer {})\n",
            self.target.base_url, self.issuer
        );
        s.push_str(&self.class_summary());
        for g in Group::ALL {
            let rows: Vec<_> = self.results.iter().filter(|r| r.group == g).collect();
            if rows.is_empty() {
                continue;
            }
            let _ = writeln!(s, "\n{} ({})", g.as_str(), rows.len());
            for r in rows {
                let _ = writeln!(
                    s,
                    "  {:<7} {:<2} {:<4} {:<8} {:<44} {}",
                    r.id,
                    r.level.as_str(),
                    label(&r.grade),
                    r.class.map_or("", Class::name),
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

    /// The whole report as JSON: a `classes` summary (per class: counts per level and the case
    /// ids), then every case with its class and every step with its request and observation.
    pub fn to_json(&self) -> String {
        let mut v = match serde_json::to_value(self) {
            Ok(v) => v,
            Err(e) => return format!("{{\"error\":\"{e}\"}}"),
        };
        let classes: serde_json::Map<String, serde_json::Value> = Class::ALL
            .into_iter()
            .map(|c| {
                let by_level: serde_json::Map<String, serde_json::Value> = Level::ALL
                    .into_iter()
                    .map(|l| (l.as_str().to_owned(), self.class_count(c, l).into()))
                    .collect();
                let cases: Vec<&str> = self.in_class(c).iter().map(|r| r.id.as_str()).collect();
                let key = serde_json::to_value(c)
                    .ok()
                    .and_then(|k| k.as_str().map(str::to_owned))
                    .unwrap_or_default();
                (
                    key,
                    serde_json::json!({ "total": cases.len(), "by_level": by_level, "cases": cases }),
                )
            })
            .collect();
        if let Some(o) = v.as_object_mut() {
            o.insert("classes".into(), classes.into());
        }
        serde_json::to_string_pretty(&v).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
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
                        let class = r.class.unwrap_or(Class::Other);
                        let _ = write!(
                            s,
                            "<failure type=\"{}\" message=\"{}\">{}</failure>",
                            class.name(),
                            xml(&format!("[{}] {n}", class_label(class))),
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

/// The class heading in tables.
fn class_label(c: Class) -> &'static str {
    match c {
        Class::WronglyAccepted => "wrongly accepted (security)",
        Class::WronglyRefused => "wrongly refused (availability)",
        Class::WrongForm => "right verdict, wrong form",
        Class::Other => "other (fetches, timing)",
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

#[cfg(test)]
mod tests {
    use super::*;

    fn report(grades: &[(Level, Grade)]) -> Report {
        Report {
            target: Target::default(),
            issuer: "https://t/".into(),
            seed: None,
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
                    class: matches!(g, Grade::Fail(_)).then_some(Class::WrongForm),
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
        assert!(!r.passed(&[Level::M, Level::S]));
        assert_eq!(r.level(Level::S).fail, 1);
        assert!(FailOn::parse("M,Q").is_none());
    }

    #[test]
    fn fail_on_combines_levels_and_classes() {
        let mut r = report(&[
            (Level::M, Grade::Fail("form".into())),
            (Level::S, Grade::Fail("through".into())),
            (Level::I, Grade::Info("y".into())),
        ]);
        r.results[1].class = Some(Class::WronglyAccepted);
        let ids = |f: &str| -> Vec<String> {
            r.failures_on(&FailOn::parse(f).unwrap())
                .iter()
                .map(|c| c.id.clone())
                .collect()
        };
        assert_eq!(ids("M"), ["HDR-00"]);
        assert_eq!(ids("accepted"), ["HDR-01"]);
        assert_eq!(ids("M,accepted"), Vec::<String>::new());
        assert_eq!(ids("S,accepted"), ["HDR-01"]);
        assert_eq!(ids("form,accepted"), ["HDR-00", "HDR-01"]);
        assert_eq!(FailOn::parse("M,refused").unwrap().to_string(), "M,refused");
        assert!(FailOn::parse("M,bogus").is_none());
        assert!(FailOn::parse("").is_none());
        let top = r.class_summary();
        assert!(
            top.starts_with("WRONGLY ACCEPTED (security): 1 case(s)"),
            "{top}"
        );
        assert!(top.contains("\n  HDR-01  S  t (RFC): "), "{top}");
        assert!(r.to_junit().contains("<failure type=\"accepted\""));
        let json: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
        assert_eq!(
            json["classes"]["wrongly-accepted"]["cases"],
            serde_json::json!(["HDR-01"])
        );
        assert_eq!(json["classes"]["wrong-form"]["by_level"]["M"], 1);
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
