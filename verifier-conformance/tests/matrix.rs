//! The README's conformance matrix and `examples/` agree: every verifier with a conformance
//! script has a row, every row names a script that exists, the matrix keeps at least 16 rows, and
//! every standalone cargo project among the examples stays out of the workspace (so the matrix
//! never changes what the workspace builds).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The table under "### Conformance matrix": its data rows.
fn matrix_rows() -> Vec<String> {
    let readme = std::fs::read_to_string(repo().join("verifier-conformance/README.md")).unwrap();
    let section = readme
        .split("### Conformance matrix")
        .nth(1)
        .expect("the README has a Conformance matrix section");
    section
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2) // header and separator
        .map(str::to_owned)
        .collect()
}

/// The example directory each row's script link names (`../examples/<dir>/run-conformance.sh`).
fn linked_dir(row: &str) -> Option<String> {
    let at = row.find("../examples/")? + "../examples/".len();
    let rest = &row[at..];
    let dir = rest.split('/').next()?;
    rest[dir.len()..]
        .starts_with("/run-conformance.sh")
        .then(|| dir.to_owned())
}

#[test]
fn every_conformance_script_has_a_matrix_row_and_every_row_a_script() {
    let rows = matrix_rows();
    assert!(
        rows.len() >= 16,
        "the matrix has {} rows, fewer than 16",
        rows.len()
    );
    let mut linked = BTreeSet::new();
    for row in &rows {
        let dir = linked_dir(row).unwrap_or_else(|| panic!("row names no script: {row}"));
        let script = repo()
            .join("examples")
            .join(&dir)
            .join("run-conformance.sh");
        assert!(
            script.is_file(),
            "row names {} which does not exist",
            script.display()
        );
        linked.insert(dir);
    }
    let scripts: BTreeSet<String> = std::fs::read_dir(repo().join("examples"))
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.path().join("run-conformance.sh").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    let missing: Vec<_> = scripts.difference(&linked).collect();
    assert!(
        missing.is_empty(),
        "scripts without a matrix row: {missing:?}"
    );
}

#[test]
fn standalone_example_crates_stay_out_of_the_workspace() {
    let manifest = std::fs::read_to_string(repo().join("Cargo.toml")).unwrap();
    let manifest: toml::Table = manifest.parse().unwrap();
    let exclude: BTreeSet<String> = manifest["workspace"]["exclude"]
        .as_array()
        .expect("workspace.exclude")
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    for entry in std::fs::read_dir(repo().join("examples")).unwrap() {
        let path = entry.unwrap().path();
        if path.join("Cargo.toml").is_file() {
            let name = format!("examples/{}", path.file_name().unwrap().to_string_lossy());
            assert!(
                exclude.contains(&name),
                "{name} is a cargo project but not excluded"
            );
            let own = std::fs::read_to_string(path.join("Cargo.toml")).unwrap();
            assert!(
                own.contains("\n[workspace]\n"),
                "{name} lacks its own empty [workspace]"
            );
            assert!(
                path.join("Cargo.lock").is_file(),
                "{name} has no Cargo.lock (builds use --locked)"
            );
        }
    }
}
