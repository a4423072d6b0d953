//! `/api/v2/roles`: roles, their permissions and their users. A role from the tenant file has
//! an id derived from its name until the tenant pins it ([`RoleConfig::id`]); renamed, it
//! keeps it.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::body::{Body, Page};
use super::error::ApiError;
use super::shapes::user_json;
use crate::config::{RoleConfig, Snapshot};
use crate::tenant::model::EntryKind;
use crate::tenant::state::TenantState;

type Res = Result<Response, ApiError>;

/// Auth0's role object.
pub(crate) fn role_json(r: &RoleConfig) -> Value {
    json!({ "id": r.id(), "name": r.name, "description": r.description.as_deref().unwrap_or("") })
}

/// The role with this id.
pub(crate) fn role_named_by_id<'a>(cfg: &'a Snapshot, id: &str) -> Option<&'a RoleConfig> {
    cfg.roles.iter().find(|r| r.id() == id)
}

/// The role names a `{"roles": ["rol_…"]}` body designates.
pub(crate) fn role_names(cfg: &Snapshot, body: Value) -> Result<Vec<String>, ApiError> {
    let b = Body::new(body, &["roles"])?;
    let ids = b
        .strings("roles")?
        .ok_or_else(|| ApiError::Payload("Missing required property: roles".into()))?;
    ids.iter()
        .map(|id| {
            role_named_by_id(cfg, id)
                .map(|r| r.name.clone())
                .ok_or(ApiError::NotFound(EntryKind::Role))
        })
        .collect()
}

fn name_of(st: &TenantState, id: &str) -> Result<String, ApiError> {
    role_named_by_id(&st.config(), id)
        .map(|r| r.name.clone())
        .ok_or(ApiError::NotFound(EntryKind::Role))
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

/// `GET /api/v2/roles` (`name_filter` too).
pub(crate) async fn list(
    State(st): State<Arc<TenantState>>,
    Query(q): Query<HashMap<String, String>>,
) -> Res {
    let page = Page::from_query(&q)?;
    let cfg = st.config();
    let filter = q.get("name_filter").map(|f| f.to_ascii_lowercase());
    let roles: Vec<Value> = cfg
        .roles
        .iter()
        .filter(|r| {
            filter
                .as_ref()
                .is_none_or(|f| r.name.to_ascii_lowercase().contains(f))
        })
        .map(role_json)
        .collect();
    Ok(Json(page.answer("roles", roles)).into_response())
}

/// `POST /api/v2/roles`: 200 with the role, as Auth0 answers.
pub(crate) async fn create(
    State(st): State<Arc<TenantState>>,
    body: Result<Json<Value>, JsonRejection>,
) -> Res {
    let b = Body::new(body?.0, &["name", "description"])?;
    let name = b.required("name")?;
    let role = st.model.create_role(RoleConfig {
        description: b.string("description")?,
        ..RoleConfig::new(&name)
    })?;
    Ok(Json(role_json(&role)).into_response())
}

/// `GET /api/v2/roles/{id}`.
pub(crate) async fn get(State(st): State<Arc<TenantState>>, Path(id): Path<String>) -> Res {
    let cfg = st.config();
    let role = role_named_by_id(&cfg, &id).ok_or(ApiError::NotFound(EntryKind::Role))?;
    Ok(Json(role_json(role)).into_response())
}

/// `PATCH /api/v2/roles/{id}`: a new name (the id follows the name).
pub(crate) async fn patch(
    State(st): State<Arc<TenantState>>,
    Path(id): Path<String>,
    body: Result<Json<Value>, JsonRejection>,
) -> Res {
    let b = Body::new(body?.0, &["name", "description"])?;
    let name = name_of(&st, &id)?;
    let new = b.string("name")?;
    let description = b.string("description")?;
    let role = st.model.update_role(&name, |r| {
        if let Some(n) = new {
            r.name = n;
        }
        if let Some(d) = description {
            r.description = Some(d).filter(|d| !d.is_empty());
        }
        Ok(())
    })?;
    Ok(Json(role_json(&role)).into_response())
}

/// `DELETE /api/v2/roles/{id}`: 204; its users lose it.
pub(crate) async fn delete(State(st): State<Arc<TenantState>>, Path(id): Path<String>) -> Res {
    let name = name_of(&st, &id)?;
    st.model.delete_role(&name)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /api/v2/roles/{id}/permissions`.
pub(crate) async fn permissions(
    State(st): State<Arc<TenantState>>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Res {
    let page = Page::from_query(&q)?;
    let cfg = st.config();
    let role = role_named_by_id(&cfg, &id).ok_or(ApiError::NotFound(EntryKind::Role))?;
    let out: Vec<Value> = role
        .permissions
        .iter()
        .flat_map(|(api, list)| {
            let config = cfg.api(api);
            let name = config
                .and_then(|a| a.name.clone())
                .unwrap_or_else(|| api.clone());
            list.iter().map(move |p| {
                // The API's description of the scope, as Auth0 lists it.
                let description = config.map_or(p.as_str(), |a| a.permission_description(p));
                json!({
                    "permission_name": p,
                    "description": description,
                    "resource_server_name": name,
                    "resource_server_identifier": api,
                })
            })
        })
        .collect();
    Ok(Json(page.answer("permissions", out)).into_response())
}

/// `POST /api/v2/roles/{id}/permissions`: 201.
pub(crate) async fn add_permissions(
    State(st): State<Arc<TenantState>>,
    Path(id): Path<String>,
    body: Result<Json<Value>, JsonRejection>,
) -> Res {
    let name = name_of(&st, &id)?;
    let pairs = permission_pairs(&st.config(), body?.0)?;
    st.model.update_role(&name, |r| {
        crate::tenant::model::add_permissions(&mut r.permissions, &pairs);
        Ok(())
    })?;
    Ok(StatusCode::CREATED.into_response())
}

/// `DELETE /api/v2/roles/{id}/permissions`: 204.
pub(crate) async fn remove_permissions(
    State(st): State<Arc<TenantState>>,
    Path(id): Path<String>,
    body: Result<Json<Value>, JsonRejection>,
) -> Res {
    let name = name_of(&st, &id)?;
    let pairs = permission_pairs(&st.config(), body?.0)?;
    st.model.update_role(&name, |r| {
        crate::tenant::model::remove_permissions(&mut r.permissions, &pairs);
        Ok(())
    })?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /api/v2/roles/{id}/users`: page/per_page, or Auth0's checkpoint paging (`from`,
/// `take`: `{"next": "...", "users": [...]}`).
pub(crate) async fn users(
    State(st): State<Arc<TenantState>>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Res {
    let cfg = st.config();
    let role = role_named_by_id(&cfg, &id).ok_or(ApiError::NotFound(EntryKind::Role))?;
    let members = cfg.users().filter(|u| u.roles.contains(&role.name));
    let brief = |u: &crate::config::UserConfig| {
        let full = user_json(u);
        json!({"user_id": full["user_id"], "email": full["email"], "picture": full["picture"], "name": full["name"]})
    };
    if q.contains_key("from") || q.contains_key("take") {
        let take: usize = match q.get("take") {
            None => 50,
            Some(t) => t
                .parse()
                .ok()
                .filter(|n| (1..=100).contains(n))
                .ok_or_else(|| ApiError::Query("take must be between 1 and 100".into()))?,
        };
        let from: usize = match q.get("from").filter(|f| !f.is_empty()) {
            None => 0,
            Some(f) => f
                .parse()
                .map_err(|_| ApiError::Query("Invalid checkpoint: from".into()))?,
        };
        let all: Vec<Value> = members
            .skip(from)
            .take(take + 1)
            .map(|u| brief(u))
            .collect();
        let more = all.len() > take;
        let page: Vec<Value> = all.into_iter().take(take).collect();
        let mut out = json!({ "users": page });
        if more {
            out["next"] = json!((from + take).to_string());
        }
        return Ok(Json(out).into_response());
    }
    let page = Page::from_query(&q)?;
    let list: Vec<Value> = members.map(|u| brief(u)).collect();
    Ok(Json(page.answer("users", list)).into_response())
}

/// `POST /api/v2/roles/{id}/users`: `{"users": [user_id…]}`, 200 (Auth0 answers 200 here).
pub(crate) async fn assign_users(
    State(st): State<Arc<TenantState>>,
    Path(id): Path<String>,
    body: Result<Json<Value>, JsonRejection>,
) -> Res {
    let name = name_of(&st, &id)?;
    let b = Body::new(body?.0, &["users"])?;
    let users = b
        .strings("users")?
        .ok_or_else(|| ApiError::Payload("Missing required property: users".into()))?;
    for u in &users {
        st.model.assign_roles(u, std::slice::from_ref(&name))?;
    }
    Ok(StatusCode::OK.into_response())
}
