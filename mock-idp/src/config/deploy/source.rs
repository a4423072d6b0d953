//! Reading an export into one document: a `tenant.yaml` as it is, or a directory export
//! gathered into the same shape (`clients/*.json` → `clients`, `grants/*.json` →
//! `clientGrants`...), each file's text with its keywords replaced before it is parsed, as the
//! Deploy CLI does.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::{Map, Value};

use super::MAX_EXPORT_BYTES;
use super::keywords::{Keywords, unreplaced};
use crate::config::ConfigError;

/// An export as one document.
#[derive(Debug, Default)]
pub(super) struct Document {
    /// Resource type (the YAML's top-level key) → its value.
    pub(super) assets: Map<String, Value>,
    /// Folders of a directory export that no resource type here reads, with how many entries
    /// each holds (`emails` → 3).
    pub(super) other_dirs: BTreeMap<String, usize>,
    /// Keywords left in the text because the mapping had no value for them.
    pub(super) unreplaced: BTreeSet<String>,
    /// What relative paths in it (an Action's `code`) are relative to: the export directory,
    /// or the folder of the `tenant.yaml`.
    pub(super) base: std::path::PathBuf,
}

/// The directory export's folders this module reads, and the YAML key each becomes.
const FOLDERS: &[(&str, &str)] = &[
    ("clients", "clients"),
    ("resource-servers", "resourceServers"),
    ("grants", "clientGrants"),
    ("roles", "roles"),
    ("organizations", "organizations"),
    ("connections", "connections"),
    ("actions", "actions"),
];

/// Reads a `tenant.yaml` file or an export directory.
pub(super) fn load(path: &Path, keywords: &Keywords) -> Result<Document, ConfigError> {
    let mut budget = MAX_EXPORT_BYTES;
    if path.is_dir() {
        return load_dir(path, keywords, &mut budget);
    }
    let text = read(path, &mut budget)?;
    let mut doc = parse_yaml(&text, &path.display().to_string(), keywords)?;
    doc.base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    Ok(doc)
}

/// Parses the text of a `tenant.yaml`.
pub(super) fn parse_yaml(
    text: &str,
    file: &str,
    keywords: &Keywords,
) -> Result<Document, ConfigError> {
    let mut doc = Document::default();
    let text = keywords.replace(text);
    unreplaced(&text, &mut doc.unreplaced);
    let value: Value = if text.trim().is_empty() {
        Value::Null
    } else {
        serde_saphyr::from_str(&text).map_err(|e| yaml_error(file, &e))?
    };
    doc.assets = match value {
        Value::Object(map) => map,
        Value::Null => Map::new(),
        _ => {
            return Err(ConfigError::Invalid {
                file: file.to_owned(),
                key: "document".into(),
                problem: "expected a mapping of resource types (clients:, resourceServers:...)"
                    .into(),
            });
        }
    };
    Ok(doc)
}

/// One line: the file, the line and column, and the parser's message.
fn yaml_error(file: &str, e: &serde_saphyr::Error) -> ConfigError {
    let message = e.without_snippet().to_string();
    let message = message.split_whitespace().collect::<Vec<_>>().join(" ");
    let key = match e.location() {
        Some(at) => format!("line {} column {}", at.line(), at.column()),
        None => "document".into(),
    };
    ConfigError::Invalid {
        file: file.to_owned(),
        key,
        problem: format!("not valid YAML: {message}"),
    }
}

fn read(path: &Path, budget: &mut u64) -> Result<String, ConfigError> {
    let file = path.display().to_string();
    let len = std::fs::metadata(path)
        .map_err(|source| ConfigError::Read {
            file: file.clone(),
            source,
        })?
        .len();
    if len > *budget {
        return Err(ConfigError::Invalid {
            file,
            key: "document".into(),
            problem: format!(
                "the export is over {} MiB, more than a tenant's configuration",
                MAX_EXPORT_BYTES / (1024 * 1024)
            ),
        });
    }
    *budget -= len;
    std::fs::read_to_string(path).map_err(|source| ConfigError::Read { file, source })
}

fn read_json(
    path: &Path,
    keywords: &Keywords,
    doc: &mut Document,
    budget: &mut u64,
) -> Result<Value, ConfigError> {
    let text = keywords.replace(&read(path, budget)?);
    unreplaced(&text, &mut doc.unreplaced);
    serde_json::from_str(&text).map_err(|e| ConfigError::Invalid {
        file: path.display().to_string(),
        key: format!("line {} column {}", e.line(), e.column()),
        problem: format!("not valid JSON: {e}"),
    })
}

/// The entries of `dir`, sorted by name (the Deploy CLI reads them in that order).
fn entries(dir: &Path) -> Result<Vec<std::path::PathBuf>, ConfigError> {
    let err = |source| ConfigError::Read {
        file: dir.display().to_string(),
        source,
    };
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(err)? {
        out.push(entry.map_err(err)?.path());
    }
    out.sort();
    Ok(out)
}

fn is_json(p: &Path) -> bool {
    p.is_file() && p.extension().is_some_and(|e| e == "json")
}

fn load_dir(root: &Path, keywords: &Keywords, budget: &mut u64) -> Result<Document, ConfigError> {
    let mut doc = Document {
        base: root.to_path_buf(),
        ..Document::default()
    };
    for path in entries(root)? {
        let Some(name) = path.file_name().and_then(|n| n.to_str()).map(str::to_owned) else {
            continue;
        };
        if name.starts_with('.') {
            continue;
        }
        if name == "tenant.json" {
            let v = read_json(&path, keywords, &mut doc, budget)?;
            doc.assets.insert("tenant".into(), v);
        } else if let Some((_, key)) = FOLDERS.iter().find(|(d, _)| *d == name) {
            let mut items = Vec::new();
            for f in entries(&path)?.into_iter().filter(|p| is_json(p)) {
                let v = read_json(&f, keywords, &mut doc, budget)?;
                if v.as_object().is_some_and(|o| !o.is_empty()) {
                    items.push(v);
                }
            }
            doc.assets.insert((*key).into(), Value::Array(items));
        } else if name == "guardian" && path.join("policies.json").is_file() {
            let v = read_json(&path.join("policies.json"), keywords, &mut doc, budget)?;
            doc.assets.insert("guardianPolicies".into(), v);
            let rest = entries(&path)?.iter().filter(|p| is_json(p)).count() - 1;
            if rest > 0 {
                doc.other_dirs.insert(name, rest);
            }
        } else if name == "triggers" && path.join("triggers.json").is_file() {
            let v = read_json(&path.join("triggers.json"), keywords, &mut doc, budget)?;
            doc.assets.insert("triggers".into(), v);
        } else if name == "databases" && path.is_dir() {
            // databases/<name>/database.json (its scripts beside it).
            let mut items = Vec::new();
            for d in entries(&path)?.into_iter().filter(|p| p.is_dir()) {
                let f = d.join("database.json");
                if f.is_file() {
                    items.push(read_json(&f, keywords, &mut doc, budget)?);
                }
            }
            doc.assets.insert("databases".into(), Value::Array(items));
        } else if path.is_dir() {
            // Resources kept one JSON file each (emails/...); a folder without
            // JSON (pages/) counts its files.
            let inside = entries(&path)?;
            let json = inside.iter().filter(|p| is_json(p)).count();
            let count = if json > 0 { json } else { inside.len() };
            doc.other_dirs.insert(name, count);
        } else if let Some(stem) = name.strip_suffix(".json") {
            doc.other_dirs.insert(stem.to_owned(), 1);
        }
    }
    Ok(doc)
}
