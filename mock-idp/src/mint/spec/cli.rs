//! [`JwsEdits`] as command-line flags (the `cli` feature): `--claim K=V`, `--unset-claim NAME`,
//! `--header K=V`, `--unset-header NAME`, `--raw-header TEXT`, `--raw-payload TEXT`.
//!
//! Written by hand rather than derived because the JSON form holds maps (`{"claims": {...}}`)
//! where the shell gives repeated `K=V` pairs, and because a flag over a `--spec` must add to
//! its maps and lists (one more claim) instead of replacing them, as a derived update would.

use clap::{Arg, ArgAction, ArgMatches, Args, Command, FromArgMatches};
use serde_json::{Map, Value};

use super::JwsEdits;

const CLAIM: &str = "claim";
const UNSET_CLAIM: &str = "unset_claim";
const HEADER: &str = "header";
const UNSET_HEADER: &str = "unset_header";
const RAW_HEADER: &str = "raw_header";
const RAW_PAYLOAD: &str = "raw_payload";

/// `k=v` with `v` parsed as JSON when it is JSON, else taken as a string.
pub(crate) fn parse_kv(kv: &str) -> Result<(String, Value), String> {
    let (k, v) = kv
        .split_once('=')
        .ok_or_else(|| format!("`{kv}` is not of the form key=value"))?;
    if k.is_empty() {
        return Err(format!("`{kv}` has an empty key"));
    }
    let value = serde_json::from_str(v).unwrap_or_else(|_| Value::String(v.to_owned()));
    Ok((k.to_owned(), value))
}

impl Args for JwsEdits {
    fn augment_args(cmd: Command) -> Command {
        cmd.arg(
            Arg::new(CLAIM)
                .long("claim")
                .value_name("K=V")
                .action(ArgAction::Append)
                .value_parser(parse_kv)
                .help("Set a claim: `k=v` (v parsed as JSON when it is JSON, else a string). Repeatable"),
        )
        .arg(
            Arg::new(UNSET_CLAIM)
                .long("unset-claim")
                .value_name("NAME")
                .action(ArgAction::Append)
                .help("Remove a claim (`iat`, `exp`, `aud`...). Repeatable"),
        )
        .arg(
            Arg::new(HEADER)
                .long("header")
                .value_name("K=V")
                .action(ArgAction::Append)
                .value_parser(parse_kv)
                .help("Set a header parameter: `k=v` (as for --claim). Repeatable"),
        )
        .arg(
            Arg::new(UNSET_HEADER)
                .long("unset-header")
                .value_name("NAME")
                .action(ArgAction::Append)
                .help("Remove a header parameter (`kid`, `typ`, `alg`...). Repeatable"),
        )
        .arg(
            Arg::new(RAW_HEADER)
                .long("raw-header")
                .value_name("TEXT")
                .help("Exactly this header JSON text (replaces the built header)"),
        )
        .arg(
            Arg::new(RAW_PAYLOAD)
                .long("raw-payload")
                .value_name("TEXT")
                .help("Exactly this payload text (replaces the built claims)"),
        )
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        Self::augment_args(cmd)
    }
}

impl FromArgMatches for JwsEdits {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let mut edits = JwsEdits::default();
        edits.update_from_arg_matches(matches)?;
        Ok(edits)
    }

    /// Adds the flags given to `self`: claims and header parameters set or removed on top of
    /// those already there; a raw text given replaces the one there.
    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        extend_map(&mut self.claims, matches, CLAIM);
        self.unset_claims.extend(strings(matches, UNSET_CLAIM));
        extend_map(&mut self.header, matches, HEADER);
        self.unset_header.extend(strings(matches, UNSET_HEADER));
        if let Some(t) = matches.get_one::<String>(RAW_HEADER) {
            self.raw_header = Some(t.clone());
        }
        if let Some(t) = matches.get_one::<String>(RAW_PAYLOAD) {
            self.raw_payload = Some(t.clone());
        }
        Ok(())
    }
}

fn extend_map(map: &mut Map<String, Value>, matches: &ArgMatches, id: &str) {
    if let Some(pairs) = matches.get_many::<(String, Value)>(id) {
        map.extend(pairs.cloned());
    }
}

fn strings(matches: &ArgMatches, id: &str) -> Vec<String> {
    matches
        .get_many::<String>(id)
        .map(|v| v.cloned().collect())
        .unwrap_or_default()
}
