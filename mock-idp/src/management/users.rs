//! `/api/v2/users`, `/api/v2/users-by-email`, and a user's roles and permissions.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::{Map, Value, json};

use super::body::Body;
use super::error::{ApiError, JsonBody, Res};
use super::links::permission_pairs;
use super::paging::Page;
use super::roles::{role_json, role_names};
use super::shapes::{permission_json, user_json};
use crate::clock::iso8601;
use crate::config::{DATABASE_CONNECTION, UserConfig};
use crate::tenant::model::EntryKind;
use crate::tenant::state::TenantState;

const CREATE_FIELDS: &[&str] = &[
    "email",
    "password",
    "connection",
    "user_id",
    "name",
    "nickname",
    "given_name",
    "family_name",
    "picture",
    "email_verified",
    "verify_email",
    "blocked",
    "app_metadata",
    "user_metadata",
];

const PATCH_FIELDS: &[&str] = &[
    "email",
    "password",
    "connection",
    "name",
    "nickname",
    "given_name",
    "family_name",
    "picture",
    "email_verified",
    "verify_email",
    "blocked",
    "app_metadata",
    "user_metadata",
    "client_id",
];

/// `POST /api/v2/users`: a user of the database connection, with a password.
pub(crate) async fn create(State(st): State<Arc<TenantState>>, body: JsonBody) -> Res {
    let b = Body::new(body?.0, CREATE_FIELDS)?;
    if b.required("connection")? != DATABASE_CONNECTION {
        return Err(ApiError::NoConnection);
    }
    let email = b.required("email")?;
    let password = b.required("password")?;
    let mut user = UserConfig::new(&email, &password);
    if let Some(id) = b.string("user_id")? {
        user.user_id = format!("auth0|{id}");
    }
    apply(&mut user, &b)?;
    user.updated_at = now_iso(&st);
    let user = st.model.create_user(user)?;
    Ok((StatusCode::CREATED, Json(user_json(&user))).into_response())
}

/// The profile fields a create or a patch may set.
fn apply(user: &mut UserConfig, b: &Body) -> Result<(), ApiError> {
    if let Some(v) = b.string("email")? {
        user.email = v;
    }
    if let Some(v) = b.string("password")? {
        user.password = v;
    }
    for (name, slot) in [
        ("name", &mut user.name),
        ("nickname", &mut user.nickname),
        ("given_name", &mut user.given_name),
        ("family_name", &mut user.family_name),
        ("picture", &mut user.picture),
    ] {
        if let Some(v) = b.string(name)? {
            *slot = Some(v);
        }
    }
    if let Some(v) = b.bool("email_verified")? {
        user.email_verified = v;
    }
    b.bool("verify_email")?;
    if let Some(v) = b.bool("blocked")? {
        user.blocked = v;
    }
    if let Some(m) = b.object("app_metadata")? {
        merge(&mut user.app_metadata, m);
    }
    if let Some(m) = b.object("user_metadata")? {
        merge(&mut user.user_metadata, m);
    }
    Ok(())
}

/// Auth0's metadata merge: top-level properties are merged, a `null` one is removed, nested
/// objects are replaced whole.
fn merge(into: &mut Map<String, Value>, patch: Map<String, Value>) {
    for (k, v) in patch {
        if v.is_null() {
            into.remove(&k);
        } else {
            into.insert(k, v);
        }
    }
}

/// The tenant clock's time, as Auth0 writes `updated_at`.
fn now_iso(st: &TenantState) -> String {
    iso8601(st.mint.clock.now())
}

/// `GET /api/v2/users/{id}`.
pub(crate) async fn get(State(st): State<Arc<TenantState>>, Path(id): Path<String>) -> Res {
    let cfg = st.config();
    let user = cfg.user(&id).ok_or(ApiError::NotFound(EntryKind::User))?;
    Ok(Json(user_json(user)).into_response())
}

/// `GET /api/v2/users`: paged, and searched with `q` (`email:"…"`, `user_id:"…"`,
/// `name:"…"`, `blocked:true`; terms joined by `AND`).
pub(crate) async fn list(
    State(st): State<Arc<TenantState>>,
    Query(q): Query<HashMap<String, String>>,
) -> Res {
    let page = Page::from_query(&q)?;
    if page.page.saturating_mul(page.per_page) + page.per_page > 1000 {
        return Err(ApiError::Query(
            "You can only page through the first 1000 records".into(),
        ));
    }
    let terms = match q.get("q").filter(|s| !s.trim().is_empty()) {
        Some(text) => parse_query(text)?,
        None => Vec::new(),
    };
    let cfg = st.config();
    let matches = |u: &UserConfig| {
        terms.iter().all(|(field, value)| match field.as_str() {
            "email" => u.email.eq_ignore_ascii_case(value),
            "user_id" => u.id() == *value,
            "name" => u.name.as_deref().unwrap_or(&u.email) == value,
            _ => (u.blocked && value == "true") || (!u.blocked && value == "false"),
        })
    };
    let users: Vec<Value> = match terms.iter().find(|(f, _)| f == "email") {
        // The email index answers the common search without a scan.
        Some((_, email)) => cfg
            .user_by_email(email)
            .filter(|u| matches(u))
            .map(user_json)
            .into_iter()
            .collect(),
        None => cfg
            .users()
            .filter(|u| matches(u))
            .map(|u| user_json(u))
            .collect(),
    };
    page.answer("users", users)
}

/// The `field:value` terms of a Lucene-like `q`.
fn parse_query(text: &str) -> Result<Vec<(String, String)>, ApiError> {
    let mut out = Vec::new();
    for term in text.split(" AND ") {
        let (field, value) = term
            .trim()
            .split_once(':')
            .ok_or_else(|| ApiError::Query(format!("Invalid query: {term}")))?;
        if !["email", "user_id", "name", "blocked"].contains(&field) {
            return Err(ApiError::Query(format!(
                "mock-idp searches users by email, user_id, name and blocked, not {field}"
            )));
        }
        let value = value.trim().trim_matches('"').replace("\\\"", "\"");
        out.push((field.to_owned(), value));
    }
    Ok(out)
}

/// `GET /api/v2/users-by-email?email=`: an array (zero or one user: one connection).
pub(crate) async fn by_email(
    State(st): State<Arc<TenantState>>,
    Query(q): Query<HashMap<String, String>>,
) -> Res {
    let email = q
        .get("email")
        .ok_or_else(|| ApiError::Query("Missing required property: email".into()))?;
    let cfg = st.config();
    let found: Vec<Value> = cfg
        .user_by_email(email)
        .map(user_json)
        .into_iter()
        .collect();
    Ok(Json(found).into_response())
}

/// `PATCH /api/v2/users/{id}`: profile, password, `blocked`, metadata (merged).
pub(crate) async fn patch(
    State(st): State<Arc<TenantState>>,
    Path(id): Path<String>,
    body: JsonBody,
) -> Res {
    let b = Body::new(body?.0, PATCH_FIELDS)?;
    if b.string("connection")?
        .is_some_and(|c| c != DATABASE_CONNECTION)
    {
        return Err(ApiError::NoConnection);
    }
    let now = now_iso(&st);
    let mut problem = None;
    let user = st.model.update_user(&id, |u| {
        if let Err(e) = apply(u, &b) {
            problem = Some(e);
        }
        u.updated_at = now;
        Ok(())
    })?;
    if let Some(e) = problem {
        return Err(e);
    }
    Ok(Json(user_json(&user)).into_response())
}

/// `DELETE /api/v2/users/{id}`: 204 (Auth0 answers 204 for an unknown id too).
pub(crate) async fn delete(State(st): State<Arc<TenantState>>, Path(id): Path<String>) -> Res {
    let deleted = st.model.delete_user(&id);
    // Its MFA state (attempts, recovery codes) goes with it.
    st.mfa.forget(&id);
    match deleted {
        Ok(()) | Err(crate::tenant::model::ModelError::NotFound(_)) => {
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /api/v2/users/{id}/roles`.
pub(crate) async fn roles(
    State(st): State<Arc<TenantState>>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Res {
    let page = Page::from_query(&q)?;
    let cfg = st.config();
    let user = cfg.user(&id).ok_or(ApiError::NotFound(EntryKind::User))?;
    let roles: Vec<Value> = cfg
        .roles
        .iter()
        .filter(|r| user.roles.contains(&r.name))
        .map(role_json)
        .collect();
    page.answer("roles", roles)
}

/// `POST /api/v2/users/{id}/roles`: 204.
pub(crate) async fn assign_roles(
    State(st): State<Arc<TenantState>>,
    Path(id): Path<String>,
    body: JsonBody,
) -> Res {
    let names = role_names(&st.config(), body?.0)?;
    st.model.assign_roles(&id, &names)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `DELETE /api/v2/users/{id}/roles`: 204.
pub(crate) async fn remove_roles(
    State(st): State<Arc<TenantState>>,
    Path(id): Path<String>,
    body: JsonBody,
) -> Res {
    let names = role_names(&st.config(), body?.0)?;
    st.model.remove_roles(&id, &names)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /api/v2/users/{id}/permissions`: direct ones and those of the user's roles, each with
/// its sources.
pub(crate) async fn permissions(
    State(st): State<Arc<TenantState>>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Res {
    let page = Page::from_query(&q)?;
    let cfg = st.config();
    let user = cfg.user(&id).ok_or(ApiError::NotFound(EntryKind::User))?;
    let mut out: Vec<Value> = Vec::new();
    let direct = |api: &str, p: &String| user.permissions.get(api).is_some_and(|l| l.contains(p));
    for api in &cfg.apis {
        for p in user.permissions_for(&cfg.roles, &api.identifier) {
            let mut sources = Vec::new();
            if direct(&api.identifier, &p) {
                sources.push(json!({"source_id": "", "source_name": "", "source_type": "DIRECT"}));
            }
            for r in cfg.roles.iter().filter(|r| user.roles.contains(&r.name)) {
                if r.permissions
                    .get(&api.identifier)
                    .is_some_and(|l| l.contains(&p))
                {
                    sources.push(json!({
                        "source_id": r.id(), "source_name": r.name, "source_type": "ROLE",
                    }));
                }
            }
            let mut one = permission_json(&cfg, &api.identifier, &p);
            one["sources"] = json!(sources);
            out.push(one);
        }
    }
    page.answer("permissions", out)
}

/// `POST /api/v2/users/{id}/permissions`: 201.
pub(crate) async fn add_permissions(
    State(st): State<Arc<TenantState>>,
    Path(id): Path<String>,
    body: JsonBody,
) -> Res {
    let pairs = permission_pairs(&st.config(), body?.0)?;
    st.model.add_user_permissions(&id, &pairs)?;
    Ok(StatusCode::CREATED.into_response())
}

/// `DELETE /api/v2/users/{id}/permissions`: 204.
pub(crate) async fn remove_permissions(
    State(st): State<Arc<TenantState>>,
    Path(id): Path<String>,
    body: JsonBody,
) -> Res {
    let pairs = permission_pairs(&st.config(), body?.0)?;
    st.model.remove_user_permissions(&id, &pairs)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
