//! Deploy CLI keyword replacement (`AUTH0_KEYWORD_REPLACE_MAPPINGS`), applied to the text of
//! each file before it is parsed, as the Deploy CLI applies it: first `@@KEY@@` (with or
//! without surrounding quotes) becomes the value as JSON (an array of callbacks, say), then
//! `##KEY##` becomes the value as text (inside a string).

use std::collections::BTreeMap;

use serde_json::Value;

/// Keyword → value. A string value replaces `##KEY##` as is; any value replaces `@@KEY@@` as
/// JSON.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Keywords(pub BTreeMap<String, Value>);

impl Keywords {
    /// Reads a mapping: either a JSON object of keywords, or a Deploy CLI `config.json` whose
    /// `AUTH0_KEYWORD_REPLACE_MAPPINGS` holds them.
    pub fn from_json(text: &str) -> Result<Self, String> {
        let value: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let Value::Object(mut map) = value else {
            return Err("expected a JSON object of keywords".into());
        };
        if let Some(Value::Object(inner)) = map.remove("AUTH0_KEYWORD_REPLACE_MAPPINGS") {
            map = inner;
        }
        Ok(Keywords(map.into_iter().collect()))
    }

    /// Adds `KEY=VALUE` (a string value).
    pub fn insert(&mut self, key: &str, value: &str) {
        self.0
            .insert(key.to_owned(), Value::String(value.to_owned()));
    }

    /// `text` with every keyword that has a value replaced.
    pub fn replace(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for (key, value) in &self.0 {
            let json = value.to_string();
            let marker = format!("@@{key}@@");
            for quoted in [format!("'{marker}'"), format!("\"{marker}\""), marker] {
                out = out.replace(&quoted, &json);
            }
        }
        for (key, value) in &self.0 {
            out = out.replace(&format!("##{key}##"), &as_text(value));
        }
        out
    }
}

/// A value as JavaScript's `String(value)` writes it (what the Deploy CLI inserts for
/// `##KEY##`): strings bare, arrays joined with commas.
fn as_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(as_text).collect::<Vec<_>>().join(","),
        Value::Null => "null".into(),
        Value::Object(_) => "[object Object]".into(),
        other => other.to_string(),
    }
}

/// The `##KEY##` and `@@KEY@@` markers still in `text` (no value was given for them).
pub(super) fn unreplaced(text: &str, found: &mut std::collections::BTreeSet<String>) {
    for delim in ["##", "@@"] {
        let mut rest = text;
        while let Some(start) = rest.find(delim) {
            let after = &rest[start + 2..];
            let Some(end) = after.find(delim) else { break };
            let key = &after[..end];
            if !key.is_empty()
                && key.len() <= 64
                && key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                found.insert(format!("{delim}{key}{delim}"));
                rest = &after[end + 2..];
            } else {
                rest = after;
            }
        }
    }
}
