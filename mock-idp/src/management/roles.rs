//! `/api/v2/roles`: roles, their permissions and their users. A role from the tenant file has
//! an id derived from its name until the tenant pins it ([`RoleConfig::id`]); renamed, it
//! keeps it.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::{Value, json};

use super::body::Body;
use super::error::{ApiError, JsonBody, Res};
use super::links::{ids, permission_pairs};
use super::paging::{Page, answer_either};
use super::shapes::{member_json, permission_json};
use crate::config::{RoleConfig, Snapshot};
use crate::tenant::model::{self, EntryKind};
use crate::tenant::state::TenantState;

/// `model::add_permissions` or `model::remove_permissions`.
type PermissionEdit = fn(&mut BTreeMap<String, Vec<String>>, &[(String, String)]);

/// Auth0's role object.
pub(crate) fn role_json(r: &RoleConfig) -> Value {
    json!({ "id": r.id(), "name": r.name, "description": r.description.as_deref().unwrap_or("") })
}

/// The role with this id.
pub(crate) fn role_named_by_id<'a>(cfg: &'a Snapshot, id: &str) -> Option<&'a RoleConfig> {
    cfg.roles.iter().find(|r| r.id() == id)
}

/// The role of this id, or Auth0's 404.
fn role<'a>(cfg: &'a Snapshot, id: &str) -> Result<&'a RoleConfig, ApiError> {
    role_named_by_id(cfg, id).ok_or(ApiError::NotFound(EntryKind::Role))
}

/// The names of the roles these ids designate, each an existing role.
pub(crate) fn names_of(cfg: &Snapshot, role_ids: &[String]) -> Result<Vec<String>, ApiError> {
    role_ids
        .iter()
        .map(|id| role(cfg, id).map(|r| r.name.clone()))
        .collect()
}

/// The role names a `{"roles": ["rol_…"]}` body designates.
pub(crate) fn role_names(cfg: &Snapshot, body: Value) -> Result<Vec<String>, ApiError> {
    names_of(cfg, &ids(body, "roles")?)
}

fn name_of(st: &TenantState, id: &str) -> Result<String, ApiError> {
    role(&st.config(), id).map(|r| r.name.clone())
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
    page.answer("roles", roles)
}

/// `POST /api/v2/roles`: 200 with the role, as Auth0 answers.
pub(crate) async fn create(State(st): State<Arc<TenantState>>, body: JsonBody) -> Res {
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
    Ok(Json(role_json(role(&cfg, &id)?)).into_response())
}

/// `PATCH /api/v2/roles/{id}`: a new name (the id follows the name).
pub(crate) async fn patch(
    State(st): State<Arc<TenantState>>,
    Path(id): Path<String>,
    body: JsonBody,
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
    let out: Vec<Value> = role(&cfg, &id)?
        .permissions
        .iter()
        .flat_map(|(api, list)| list.iter().map(|p| permission_json(&cfg, api, p)))
        .collect();
    page.answer("permissions", out)
}

/// `POST /api/v2/roles/{id}/permissions`: 201.
pub(crate) async fn add_permissions(
    st: State<Arc<TenantState>>,
    id: Path<String>,
    body: JsonBody,
) -> Res {
    edit_permissions(st, id, body, model::add_permissions)?;
    Ok(StatusCode::CREATED.into_response())
}

/// `DELETE /api/v2/roles/{id}/permissions`: 204.
pub(crate) async fn remove_permissions(
    st: State<Arc<TenantState>>,
    id: Path<String>,
    body: JsonBody,
) -> Res {
    edit_permissions(st, id, body, model::remove_permissions)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Applies `edit` with the body's permission pairs to the role's permission map.
fn edit_permissions(
    State(st): State<Arc<TenantState>>,
    Path(id): Path<String>,
    body: JsonBody,
    edit: PermissionEdit,
) -> Result<(), ApiError> {
    let name = name_of(&st, &id)?;
    let pairs = permission_pairs(&st.config(), body?.0)?;
    st.model.update_role(&name, |r| {
        edit(&mut r.permissions, &pairs);
        Ok(())
    })?;
    Ok(())
}

/// `GET /api/v2/roles/{id}/users`: page/per_page, or Auth0's checkpoint paging (`from`,
/// `take`: `{"next": "...", "users": [...]}`).
pub(crate) async fn users(
    State(st): State<Arc<TenantState>>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Res {
    let cfg = st.config();
    let name = &role(&cfg, &id)?.name;
    let list: Vec<Value> = cfg
        .users()
        .filter(|u| u.roles.contains(name))
        .map(|u| member_json(u))
        .collect();
    answer_either(&q, "users", list)
}

/// `POST /api/v2/roles/{id}/users`: `{"users": [user_id…]}`, 200 (Auth0 answers 200 here).
pub(crate) async fn assign_users(
    State(st): State<Arc<TenantState>>,
    Path(id): Path<String>,
    body: JsonBody,
) -> Res {
    let name = name_of(&st, &id)?;
    for u in &ids(body?.0, "users")? {
        st.model.assign_roles(u, std::slice::from_ref(&name))?;
    }
    Ok(StatusCode::OK.into_response())
}
