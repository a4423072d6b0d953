//! The bodies of every "assign" and "remove" route: `{"<key>": ["id", …]}` (a user's roles, a
//! role's users, an organization's members and member roles) and `{"permissions":
//! [{resource_server_identifier, permission_name}]}` (a user's or a role's permissions). Read
//! here once, so the refusals (an unknown property, the missing list, an unknown id) read the
//! same on every route; the set edits themselves are the model's (`tenant::model::links`).

use serde_json::Value;

use super::body::Body;
use super::error::ApiError;
use crate::config::Snapshot;
use crate::tenant::model::EntryKind;

/// The ids of a `{"<key>": [...]}` body, the only property it may have.
pub(crate) fn ids(body: Value, key: &str) -> Result<Vec<String>, ApiError> {
    Body::new(body, &[key])?
        .strings(key)?
        .ok_or_else(|| ApiError::Payload(format!("Missing required property: {key}")))
}

/// The `(API, permission)` pairs of a `{"permissions": [{resource_server_identifier,
/// permission_name}]}` body, each an existing permission.
pub(crate) fn permission_pairs(
    cfg: &Snapshot,
    body: Value,
) -> Result<Vec<(String, String)>, ApiError> {
    let b = Body::new(body, &["permissions"])?;
    let Some(Value::Array(list)) = b.0.get("permissions") else {
        return Err(ApiError::Payload(
            "Missing required property: permissions".into(),
        ));
    };
    list.iter()
        .map(|p| {
            let api = p["resource_server_identifier"].as_str();
            let name = p["permission_name"].as_str();
            let (Some(api), Some(name)) = (api, name) else {
                return Err(ApiError::Payload(
                    "Missing required property: resource_server_identifier or permission_name"
                        .into(),
                ));
            };
            let server = cfg
                .api(api)
                .ok_or(ApiError::NotFound(EntryKind::ResourceServer))?;
            if !server.permissions.iter().any(|x| x == name) {
                return Err(ApiError::Invalid(format!(
                    "Permission {name} does not exist on resource server {api}"
                )));
            }
            Ok((api.to_owned(), name.to_owned()))
        })
        .collect()
}
