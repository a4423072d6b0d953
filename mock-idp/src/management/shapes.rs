//! Auth0's JSON shapes that several resources answer with (a user in `/users`; the brief user
//! of a role's users and an organization's members; a permission of a user or a role).

use serde_json::{Value, json};

use crate::config::{DATABASE_CONNECTION, Snapshot, UserConfig};

/// Auth0's user profile for `u`.
pub(crate) fn user_json(u: &UserConfig) -> Value {
    let id = u.id();
    let local = u.email.split('@').next().unwrap_or_default();
    let mut out = json!({
        "user_id": id,
        "email": u.email,
        "email_verified": u.email_verified,
        "name": u.name.as_deref().unwrap_or(&u.email),
        "nickname": u.nickname.as_deref().unwrap_or(local),
        "picture": u.profile_claims(&["profile".into()]).get("picture").cloned().unwrap_or(Value::Null),
        "created_at": u.updated_at,
        "updated_at": u.updated_at,
        "identities": [{
            "connection": DATABASE_CONNECTION,
            "user_id": id.strip_prefix("auth0|").unwrap_or(&id),
            "provider": "auth0",
            "isSocial": false,
        }],
        "app_metadata": u.app_metadata,
        "user_metadata": u.user_metadata,
    });
    if let Some(v) = &u.given_name {
        out["given_name"] = json!(v);
    }
    if let Some(v) = &u.family_name {
        out["family_name"] = json!(v);
    }
    if u.blocked {
        out["blocked"] = json!(true);
    }
    out
}

/// The brief user Auth0 lists as a role's user or an organization's member.
pub(crate) fn member_json(u: &UserConfig) -> Value {
    let full = user_json(u);
    json!({"user_id": full["user_id"], "email": full["email"], "picture": full["picture"], "name": full["name"]})
}

/// Permission `p` of API `api` as Auth0 lists it: with the API's description of the scope and
/// the API's name (its identifier, and `p` itself, for an API the tenant no longer has).
pub(crate) fn permission_json(cfg: &Snapshot, api: &str, p: &str) -> Value {
    let config = cfg.api(api);
    json!({
        "permission_name": p,
        "description": config.map_or(p, |a| a.permission_description(p)),
        "resource_server_name": config.and_then(|a| a.name.as_deref()).unwrap_or(api),
        "resource_server_identifier": api,
    })
}
