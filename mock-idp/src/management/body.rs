//! Reading Management API bodies as Auth0's schemas do: an object with known properties of
//! known types; anything else is a 400 naming the property. (Query strings of lists: `paging`.)

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
