//! Reading Management API bodies and query strings as Auth0's schemas do: an object with known
//! properties of known types; anything else is a 400 naming the property.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::error::ApiError;

/// A request body: a JSON object whose properties are all in `allowed`.
pub(crate) struct Body(pub(crate) Map<String, Value>);

impl Body {
    /// Checks `value` is an object with only `allowed` properties.
    pub(crate) fn new(value: Value, allowed: &[&str]) -> Result<Self, ApiError> {
        let Value::Object(map) = value else {
            return Err(ApiError::Payload(
                "Expected type object but found type other".into(),
            ));
        };
        if let Some(k) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(ApiError::Payload(format!(
                "Additional properties not allowed: {k}"
            )));
        }
        Ok(Body(map))
    }

    /// A required string property.
    pub(crate) fn required(&self, name: &str) -> Result<String, ApiError> {
        self.string(name)?
            .ok_or_else(|| ApiError::Payload(format!("Missing required property: {name}")))
    }

    /// An optional string property (non-empty).
    pub(crate) fn string(&self, name: &str) -> Result<Option<String>, ApiError> {
        match self.0.get(name) {
            None => Ok(None),
            Some(Value::String(s)) if !s.is_empty() && s.len() <= 2048 => Ok(Some(s.clone())),
            Some(Value::String(s)) if s.is_empty() => Err(ApiError::Payload(format!(
                "String is too short (0 chars), minimum 1 on property {name}"
            ))),
            Some(Value::String(_)) => Err(ApiError::Payload(format!(
                "String is too long, maximum 2048 on property {name}"
            ))),
            Some(_) => Err(type_error(name, "string")),
        }
    }

    /// An optional boolean property.
    pub(crate) fn bool(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.0.get(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(type_error(name, "boolean")),
        }
    }

    /// An optional integer property.
    pub(crate) fn int(&self, name: &str) -> Result<Option<i64>, ApiError> {
        match self.0.get(name) {
            None => Ok(None),
            Some(v) => v
                .as_i64()
                .map(Some)
                .ok_or_else(|| type_error(name, "integer")),
        }
    }

    /// An optional array of strings.
    pub(crate) fn strings(&self, name: &str) -> Result<Option<Vec<String>>, ApiError> {
        match self.0.get(name) {
            None => Ok(None),
            Some(Value::Array(a)) => a
                .iter()
                .map(|v| v.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .map(Some)
                .ok_or_else(|| type_error(name, "array of strings")),
            Some(_) => Err(type_error(name, "array")),
        }
    }

    /// An optional object.
    pub(crate) fn object(&self, name: &str) -> Result<Option<Map<String, Value>>, ApiError> {
        match self.0.get(name) {
            None => Ok(None),
            Some(Value::Object(o)) => Ok(Some(o.clone())),
            Some(_) => Err(type_error(name, "object")),
        }
    }
}

fn type_error(name: &str, want: &str) -> ApiError {
    ApiError::Payload(format!("Expected type {want} on property {name}"))
}

/// Auth0's list parameters: `page`, `per_page` (at most 100), `include_totals`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Page {
    pub(crate) page: usize,
    pub(crate) per_page: usize,
    pub(crate) include_totals: bool,
    /// Whether `page` or `per_page` was given (some lists are unpaged without them).
    #[allow(dead_code)] // read by the lists that are unpaged without page parameters
    pub(crate) paged: bool,
}

impl Page {
    /// Reads the parameters from a query string's pairs.
    pub(crate) fn from_query(q: &HashMap<String, String>) -> Result<Self, ApiError> {
        let num = |name: &str, default: usize, max: usize| -> Result<usize, ApiError> {
            match q.get(name) {
                None => Ok(default),
                Some(v) => {
                    let n: usize = v.parse().map_err(|_| {
                        ApiError::Query(format!(
                            "Expected type integer but found type string on property {name}"
                        ))
                    })?;
                    if n > max {
                        return Err(ApiError::Query(format!(
                            "Value {n} is greater than maximum {max} on property {name}"
                        )));
                    }
                    Ok(n)
                }
            }
        };
        let include_totals = match q.get("include_totals").map(String::as_str) {
            None | Some("false") => false,
            Some("true") => true,
            Some(_) => {
                return Err(ApiError::Query(
                    "Expected type boolean but found type string on property include_totals".into(),
                ));
            }
        };
        Ok(Page {
            page: num("page", 0, 100_000)?,
            per_page: num("per_page", 50, 100)?,
            include_totals,
            paged: q.contains_key("page") || q.contains_key("per_page"),
        })
    }

    /// This page of `items`, as Auth0 answers a list: the bare array, or with
    /// `include_totals` `{start, limit, total, <key>: [...]}`.
    pub(crate) fn answer(&self, key: &str, items: Vec<Value>) -> Value {
        let total = items.len();
        let start = self.page.saturating_mul(self.per_page);
        let page: Vec<Value> = items.into_iter().skip(start).take(self.per_page).collect();
        if !self.include_totals {
            return Value::Array(page);
        }
        let mut out = Map::new();
        out.insert("start".into(), start.into());
        out.insert("limit".into(), self.per_page.into());
        if key == "users" {
            out.insert("length".into(), page.len().into());
        }
        out.insert("total".into(), total.into());
        out.insert(key.into(), Value::Array(page));
        Value::Object(out)
    }
}

/// A stable id for an entry Auth0 gives an id and the tenant file names otherwise:
/// `prefix` + 16 hex digits of SHA-256 over `parts`.
pub(crate) fn derived_id(prefix: &str, parts: &[&str]) -> String {
    let digest = crate::jose::sha256(parts.join("\n"));
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("{prefix}{hex}")
}

/// A random string of `len` letters and digits (client ids and secrets, API signing secrets).
pub(crate) fn random_alnum(len: usize) -> String {
    let mut out = String::new();
    while out.len() < len {
        out.extend(
            crate::jose::random_id()
                .chars()
                .filter(char::is_ascii_alphanumeric),
        );
    }
    out.truncate(len);
    out
}
