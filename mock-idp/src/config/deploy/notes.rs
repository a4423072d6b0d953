//! What an import left out, gathered per resource type so each type is one warning line.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

/// Per resource type: whole items ignored (with why) and fields ignored on the others.
#[derive(Debug, Default)]
pub(super) struct Notes {
    types: BTreeMap<String, TypeNotes>,
}

#[derive(Debug, Default)]
struct TypeNotes {
    /// Reason → how many items it dropped.
    items: BTreeMap<String, usize>,
    /// Fields present and not modelled, on the items that were kept.
    fields: BTreeSet<String>,
    /// Parts of kept items left out (`scopes not served: read:users`).
    details: BTreeSet<String>,
}

impl Notes {
    /// `count` items of `kind` were ignored because of `why`.
    pub(super) fn ignore(&mut self, kind: &str, count: usize, why: &str) {
        if count == 0 {
            return;
        }
        *self
            .types
            .entry(kind.to_owned())
            .or_default()
            .items
            .entry(why.to_owned())
            .or_default() += count;
    }

    /// A whole resource type the tenant does not read: a list counts its items, anything
    /// else counts one; an empty list or `null` is nothing to ignore.
    pub(super) fn ignore_all(&mut self, kind: &str, value: &Value, why: &str) {
        let count = match value {
            Value::Null => 0,
            Value::Array(a) => a.len(),
            Value::Object(o) if o.is_empty() => 0,
            _ => 1,
        };
        self.ignore(kind, count, why);
    }

    /// `field` of a `kind` item is not modelled.
    pub(super) fn field(&mut self, kind: &str, field: &str) {
        self.types
            .entry(kind.to_owned())
            .or_default()
            .fields
            .insert(field.to_owned());
    }

    /// A part of a kept `kind` item was left out, as `what` says.
    pub(super) fn detail(&mut self, kind: &str, what: String) {
        self.types
            .entry(kind.to_owned())
            .or_default()
            .details
            .insert(what);
    }

    /// Notes the fields of `item` that are neither in `read` nor at the value the tenant
    /// behaves as anyway (`implied`).
    pub(super) fn fields(
        &mut self,
        kind: &str,
        item: &Map<String, Value>,
        read: &[&str],
        implied: &[(&str, Value)],
    ) {
        for (key, value) in item {
            if read.contains(&key.as_str()) || is_empty(value) {
                continue;
            }
            if implied.iter().any(|(k, v)| k == key && v == value) {
                continue;
            }
            self.field(kind, key);
        }
    }

    /// One line per resource type: `ignored 3 emailTemplates (not modelled)`, `clients:
    /// ignored fields logo_uri, sso (not modelled)`.
    pub(super) fn lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (kind, notes) in &self.types {
            let mut parts: Vec<String> = notes
                .items
                .iter()
                .map(|(why, n)| format!("{n} {kind} ({why})"))
                .collect();
            let mut line = if parts.is_empty() {
                String::new()
            } else {
                let first = parts.remove(0);
                std::iter::once(first)
                    .chain(parts)
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            if !notes.fields.is_empty() {
                let fields: Vec<&str> = notes.fields.iter().map(String::as_str).collect();
                let fields = format!("{kind} fields {} (not modelled)", fields.join(", "));
                line = if line.is_empty() {
                    fields
                } else {
                    format!("{line}; {fields}")
                };
            }
            for d in &notes.details {
                line = if line.is_empty() {
                    format!("{kind} {d}")
                } else {
                    format!("{line}; {d}")
                };
            }
            out.push(format!("ignored {line}"));
        }
        out
    }
}

/// An empty value says nothing the tenant would have to model.
fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        Value::String(s) => s.is_empty(),
        _ => false,
    }
}
