//! The catalog as text: the plain table `mock-idp conformance --list` prints, the same as JSON
//! (`--list --format json`), and the Markdown document checked in as
//! `docs/conformance-catalog.md` (`--list --format markdown`), all made from the cases'
//! metadata so that the document cannot drift from the code.

use std::fmt::Write as _;

use super::{Case, Catalog, Group};
use crate::verdict::Level;

/// The command that regenerates the checked-in document.
pub(crate) const REGENERATE: &str = "cargo run -p mock-idp-cli -- conformance --list --format markdown > docs/conformance-catalog.md";

impl Catalog {
    /// One line per case: id, level, group, title, source, in columns.
    pub fn list(&self) -> String {
        let title = self
            .cases
            .iter()
            .map(|c| c.title.chars().count())
            .max()
            .unwrap_or(0)
            .max("TITLE".len());
        let mut out = format!(
            "{:<8}{:<4}{:<6}{:<title$}  SOURCE\n",
            "ID", "LVL", "GROUP", "TITLE"
        );
        for c in &self.cases {
            let level = c.level.as_str();
            // Writing to a String cannot fail.
            let _ = writeln!(
                out,
                "{:<8}{level:<4}{:<6}{:<title$}  {}",
                c.id,
                c.group.as_str(),
                c.title,
                c.source
            );
        }
        out
    }

    /// The catalog as a JSON array of `{id, level, group, title, source}`.
    pub fn list_json(&self) -> String {
        /// One entry, its fields in this order.
        #[derive(serde::Serialize)]
        struct Entry<'a> {
            id: &'a str,
            level: &'a str,
            group: &'a str,
            title: &'a str,
            source: &'a str,
        }
        let cases: Vec<Entry<'_>> = self
            .cases
            .iter()
            .map(|c| Entry {
                id: c.id,
                level: c.level.as_str(),
                group: c.group.as_str(),
                title: c.title,
                source: c.source,
            })
            .collect();
        let mut out = serde_json::to_string_pretty(&cases).unwrap_or_default();
        out.push('\n');
        out
    }

    /// The catalog document: what a case is, the levels, how grading works, then one table per
    /// group (id, level, title, source) linking to the group's source file.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail: the results of write! below are ignored.
        let _ = write!(out, "{}", intro(self));
        let _ = writeln!(out, "## Levels\n");
        let _ = writeln!(
            out,
            "A level grades the accept/reject verdict of a case.\n\n\
             | level | meaning | cases |\n|---|---|---|"
        );
        for level in Level::ALL {
            let n = self.cases.iter().filter(|c| c.level == level).count();
            let _ = writeln!(out, "| {} | {} | {n} |", level.as_str(), level.meaning());
        }
        let _ = writeln!(out, "\n## Grading\n\n{GRADING}\n");
        let _ = writeln!(
            out,
            "## Groups\n\n| group | what it covers | cases |\n|---|---|---|"
        );
        let groups: Vec<(Group, Vec<&Case>)> = Group::ALL
            .into_iter()
            .map(|g| (g, self.cases.iter().filter(|c| c.group == g).collect()))
            .filter(|(_, cases): &(Group, Vec<&Case>)| !cases.is_empty())
            .collect();
        for (g, cases) in &groups {
            let _ = writeln!(
                out,
                "| [{}](#{}) | {} | {} |",
                g.as_str(),
                anchor(&heading(*g)),
                g.title(),
                cases.len()
            );
        }
        for (g, cases) in &groups {
            let _ = write!(out, "{}", group_section(*g, cases));
        }
        out.push_str(&super::proof::section(self));
        out
    }
}

/// How an observation is graded against a case (see `verdict`), for readers of the document.
const GRADING: &str = "\
Each case sends one or more requests (probes) and states, for each, the outcomes it accepts \
(`ACCEPT`, `401 invalid_token`, `400 invalid_request`, `401 invalid_dpop_proof`, ...). \
The level grades the accept/reject verdict; exact statuses and error codes are SHOULD-level \
(RFC 6750 §3.1). So a right verdict with another status or code is a deviation: tolerated \
(`TOL`, reported) in an M case, a failure at the other levels, information in an I case. \
`400 invalid_dpop_proof` is always tolerated (both Auth0 libraries send it; the OIDF suite \
accepts it). Two things always fail: a 5xx the case did not allow, and a 401 without a \
well-formed challenge (RFC 9110 §15.5.2, RFC 6750 §3). A case is as good as its worst probe; \
a case the target cannot show (a feature it lacks, a JWKS it never reloads) is `SKIP` with the \
reason.\n\n\
Every failed case also has a **verdict class**, most serious first: *wrongly accepted* (a token \
or proof that must be refused got a 2xx: security), *wrongly refused* (a request that must be \
accepted was not: availability), *right verdict, wrong form* (status, error code or challenge), \
and *other* (no verdict: too many JWKS fetches, too slow, a redirect followed). Reports open \
with the wrongly accepted cases; `--fail-on accepted` gates on them alone.";

fn intro(catalog: &Catalog) -> String {
    format!(
        "# Conformance catalog\n\n\
         <!-- Generated from verifier-conformance/src/catalog/: do not edit by hand. Regenerate with:\n     \
         {REGENERATE} -->\n\n\
         The {n} cases `mock-idp conformance` plays against a token verifier over HTTP (see \
         [`verifier-conformance/README.md`](../verifier-conformance/README.md)), generated from the code in \
         [`verifier-conformance/src/catalog/`](../verifier-conformance/src/catalog/).\n\n\
         A **case** is one row below: an id (group and number, `HDR-01`), a title, a level, the \
         RFC section(s) it rests on, and a body, the function right below that metadata in the \
         group's source file. The body builds the requests with the mock tenant's builders \
         (good and bad access tokens, DPoP proofs) and states the outcomes it accepts. Most \
         bodies send fixed probes; the others drive the tenant (rotate keys, serve a JWKS \
         variant, inject a fault); the runner restores it after every case. Cases that publish \
         keys under new kids share one JWKS refresh (the runner publishes them all at once), so \
         a verifier with a refresh cooldown is not waited for once per case. A case that needs a \
         feature or profile the target does not declare (DPoP, RS nonces, query or form \
         tokens, protected-resource metadata, a scoped route, RFC 9068-strict) is skipped.\n\n",
        n = catalog.len()
    )
}

fn heading(g: Group) -> String {
    format!("{}: {}", g.as_str(), g.title())
}

/// GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens.
fn anchor(heading: &str) -> String {
    heading
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-')
        .map(|c| {
            if c == ' ' {
                '-'
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

fn group_section(g: Group, cases: &[&Case]) -> String {
    let file = format!(
        "verifier-conformance/src/catalog/{}.rs",
        g.as_str().to_lowercase()
    );
    let mut out = format!(
        "\n## {}\n\n{} cases; their bodies are in [`{file}`](../{file}).\n\n\
         | id | level | case | source |\n|---|---|---|---|\n",
        heading(g),
        cases.len()
    );
    for c in cases {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            c.id,
            c.level.as_str(),
            cell(c.title),
            cell(c.source)
        );
    }
    out
}

/// Text safe inside a table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The checked-in document is the one the code makes.
    #[test]
    fn docs_conformance_catalog_md_is_up_to_date() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../docs/conformance-catalog.md"
        );
        let checked_in = std::fs::read_to_string(path).unwrap_or_default();
        let generated = Catalog::all().markdown();
        if checked_in != generated {
            let line = checked_in
                .lines()
                .zip(generated.lines())
                .position(|(a, b)| a != b)
                .unwrap_or_else(|| checked_in.lines().count().min(generated.lines().count()));
            panic!(
                "docs/conformance-catalog.md differs from the catalog in the code (first at line \
                 {}); regenerate with: {REGENERATE}",
                line + 1
            );
        }
    }

    /// The crate's README and docs never state the catalog's size (only the generated document
    /// does), and a table of cases per level states the catalog's counts.
    #[test]
    fn the_readme_states_no_case_count_the_code_does_not() {
        let readme = include_str!("../../README.md");
        let lib = include_str!("../lib.rs");
        for (name, text) in [("README.md", readme), ("lib.rs", lib)] {
            let words: Vec<&str> = text.split_whitespace().collect();
            for w in words.windows(2) {
                let n = w[0].trim_start_matches(['(', '*']);
                if w[1].starts_with("cases") && n.len() >= 3 && n.parse::<u32>().is_ok() {
                    panic!("{name} states a catalog size ({n} cases): link the catalog document");
                }
            }
        }
        let all = Catalog::all();
        // Rows of a table headed `| level | cases | ...`.
        let mut counting = false;
        for line in readme.lines() {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            if !line.starts_with('|') || cells.get(1) == Some(&"level") {
                counting = cells.get(2) == Some(&"cases");
                continue;
            }
            if let [_, level, count, ..] = cells[..]
                && counting
                && let (Some(level), Ok(count)) = (Level::parse(level), count.parse::<usize>())
            {
                let n = all.cases().iter().filter(|c| c.level == level).count();
                assert_eq!(count, n, "README.md: {line}");
            }
        }
    }

    #[test]
    fn the_document_has_every_case_once_under_its_group() {
        let md = Catalog::all().markdown();
        for c in Catalog::all().cases() {
            let row = format!("| {} | {} |", c.id, c.level.as_str());
            assert_eq!(md.matches(&row).count(), 1, "{}", c.id);
            let section = md.find(&format!("## {}", heading(c.group))).unwrap();
            assert!(md.find(&row).unwrap() > section, "{}", c.id);
        }
        assert_eq!(
            anchor("TOK: Token structure and JOSE header"),
            "tok-token-structure-and-jose-header"
        );
    }

    #[test]
    fn the_list_has_a_line_per_case() {
        let list = Catalog::all().only(&["AUD".into()]).list();
        assert_eq!(list.lines().count(), 1 + 12);
        assert!(
            list.lines()
                .nth(1)
                .unwrap()
                .starts_with("AUD-01  M   AUD   aud is the API")
        );
        let json: serde_json::Value = serde_json::from_str(&Catalog::all().list_json()).unwrap();
        assert_eq!(json.as_array().unwrap().len(), Catalog::all().len());
        assert_eq!(
            json[0],
            serde_json::json!({
                "id": "HDR-01", "level": "M", "group": "HDR",
                "title": Catalog::all().cases()[0].title, "source": Catalog::all().cases()[0].source,
            })
        );
    }
}
