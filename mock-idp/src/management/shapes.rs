//! Auth0's JSON shapes that several resources answer with (a user in `/users`, in a role's
//! users, in an organization's members).

use serde_json::{Value, json};

use crate::config::{DATABASE_CONNECTION, UserConfig};

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
