//! `serve --config FILE --watch`: the configuration is read again when the file (or, for an
//! export directory, any file under it) changes, and replaces the running tenant's; a file
//! that does not load keeps the configuration in force and logs one line naming the error.
//!
//! It polls: every [`POLL`] it hashes the file's contents (bounded by the export's size
//! limit) and compares. That needs no dependency (`notify` would add a platform backend for
//! one file), sees changes that file-system events miss (bind mounts from a Docker Desktop
//! host, editors that replace the file by renaming, a directory export's nested files) and
//! costs one small read per half second.

use std::hash::{DefaultHasher, Hash as _, Hasher as _};
use std::path::{Path, PathBuf};
use std::time::Duration;

use mock_idp::config::TenantConfig;
use mock_idp::config::deploy::{self, Keywords, MAX_EXPORT_BYTES, Options};

/// How often the file is checked.
pub(crate) const POLL: Duration = Duration::from_millis(500);

/// Watches `path` until the process ends; `replace` swaps a loaded configuration in (or
/// says why the tenant refused it). `config` is the configuration in force.
pub(crate) async fn run(
    path: PathBuf,
    keywords: Keywords,
    mut config: TenantConfig,
    json_log: bool,
    replace: impl Fn(TenantConfig) -> Result<(), String>,
) {
    let mut seen = fingerprint(&path);
    loop {
        tokio::time::sleep(POLL).await;
        let now = fingerprint(&path);
        if now == seen {
            continue;
        }
        seen = now;
        let options = Options {
            keywords: keywords.clone(),
            previous: Some(config.clone()),
        };
        let loaded = deploy::load_any(&path, &options).map_err(|e| e.to_string());
        let outcome = loaded.and_then(|import| {
            replace(import.config.clone())?;
            Ok(import)
        });
        match outcome {
            Ok(import) => {
                config = import.config;
                log(json_log, &path, None, &import.warnings);
            }
            Err(e) => log(json_log, &path, Some(&e), &[]),
        }
    }
}

/// One line per event: `reloaded FILE` (then the import's warnings), or the error and that
/// the previous configuration stays.
fn log(json: bool, path: &Path, error: Option<&str>, warnings: &[String]) {
    let file = path.display().to_string();
    if json {
        let line = match error {
            None => serde_json::json!({"event": "reload", "config": file, "warnings": warnings}),
            Some(e) => serde_json::json!({"event": "reload_failed", "config": file, "error": e}),
        };
        println!("{line}");
        return;
    }
    match error {
        None => {
            eprintln!("mock-idp: reloaded {file}");
            for w in warnings {
                eprintln!("mock-idp: {file}: {w}");
            }
        }
        Some(e) => eprintln!("mock-idp: {e} (reload refused: the previous configuration stays)"),
    }
}

/// A hash of what `path` holds: the file's bytes, or every file's name and bytes under a
/// directory; `None` while it cannot be read.
fn fingerprint(path: &Path) -> Option<u64> {
    let mut h = DefaultHasher::new();
    let mut budget = MAX_EXPORT_BYTES;
    add(path, Path::new(""), &mut h, &mut budget).ok()?;
    Some(h.finish())
}

fn add(path: &Path, rel: &Path, h: &mut DefaultHasher, budget: &mut u64) -> std::io::Result<()> {
    rel.hash(h);
    if path.is_dir() {
        let mut entries: Vec<_> = std::fs::read_dir(path)?
            .filter_map(Result::ok)
            .map(|e| e.file_name())
            .collect();
        entries.sort();
        for name in entries {
            add(&path.join(&name), &rel.join(&name), h, budget)?;
        }
        return Ok(());
    }
    let meta = std::fs::metadata(path)?;
    if meta.len() > *budget {
        // Too large to load anyway: the length stands for the contents.
        meta.len().hash(h);
        return Ok(());
    }
    *budget -= meta.len();
    std::fs::read(path)?.hash(h);
    Ok(())
}
