//! `/api/v2/organizations`: organizations, their members, the members' roles and the enabled
//! connection (the tenant's one database connection).

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::{Value, json};

use super::body::Body;
use super::connections::{DATABASE_CONNECTION_ID, enabled_connection_json};
use super::error::{ApiError, JsonBody, Res};
use super::links::ids;
use super::paging::{Page, answer_either};
use super::roles::{role_json, role_names};
use super::shapes::member_json;
use crate::config::{OrganizationConfig, Snapshot};
use crate::tenant::model::{EntryKind, add_each, remove_each};
use crate::tenant::state::TenantState;

/// Auth0's organization object.
fn org_json(o: &OrganizationConfig) -> Value {
    let name = o.name.clone().unwrap_or_else(|| o.id.clone());
    json!({
        "id": o.id,
        "name": name,
        "display_name": o.display_name.as_deref().unwrap_or(&name),
    })
}

/// The organization of this id, or Auth0's 404.
pub(crate) fn org<'a>(cfg: &'a Snapshot, id: &str) -> Result<&'a OrganizationConfig, ApiError> {
    cfg.organizations
        .iter()
        .find(|o| o.id == id)
        .ok_or(ApiError::NotFound(EntryKind::Organization))
}

/// `GET /api/v2/organizations`.
pub(crate) async fn list(
    State(st): State<Arc<TenantState>>,
    Query(q): Query<HashMap<String, String>>,
) -> Res {
    let cfg = st.config();
    let list: Vec<Value> = cfg.organizations.iter().map(org_json).collect();
    answer_either(&q, "organizations", list)
}

/// `POST /api/v2/organizations`: 201.
pub(crate) async fn create(State(st): State<Arc<TenantState>>, body: JsonBody) -> Res {
    let b = Body::new(
        body?.0,
        &[
            "name",
            "display_name",
            "branding",
            "metadata",
            "enabled_connections",
        ],
    )?;
    let name = b.required("name")?;
    if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
    {
        return Err(ApiError::Payload(format!(
            "String does not match pattern ^[a-z0-9\\-_]+$: {name}"
        )));
    }
    let org = OrganizationConfig {
        id: format!("org_{}", &crate::jose::random_id()[..16]),
        name: Some(name),
        applications: Vec::new(),
        members: Vec::new(),
        display_name: b.string("display_name")?,
        member_roles: Default::default(),
        invitations: Vec::new(),
    };
    let org = st.model.create_organization(org)?;
    Ok((StatusCode::CREATED, Json(org_json(&org))).into_response())
}

/// `GET /api/v2/organizations/{id}`.
pub(crate) async fn get(State(st): State<Arc<TenantState>>, Path(id): Path<String>) -> Res {
    let cfg = st.config();
    Ok(Json(org_json(org(&cfg, &id)?)).into_response())
}

/// `GET /api/v2/organizations/name/{name}`.
pub(crate) async fn by_name(State(st): State<Arc<TenantState>>, Path(name): Path<String>) -> Res {
    let cfg = st.config();
    let o = cfg
        .organizations
        .iter()
        .find(|o| {
            o.name
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(&name))
        })
        .ok_or(ApiError::NotFound(EntryKind::Organization))?;
    Ok(Json(org_json(o)).into_response())
}

/// `PATCH /api/v2/organizations/{id}`.
pub(crate) async fn patch(
    State(st): State<Arc<TenantState>>,
    Path(id): Path<String>,
    body: JsonBody,
) -> Res {
    let b = Body::new(body?.0, &["name", "display_name", "branding", "metadata"])?;
    let name = b.string("name")?;
    let display = b.string("display_name")?;
    let o = st.model.update_organization(&id, |o| {
        if let Some(n) = name {
            o.name = Some(n);
        }
        if let Some(d) = display {
            o.display_name = Some(d);
        }
        Ok(())
    })?;
    Ok(Json(org_json(&o)).into_response())
}

/// `DELETE /api/v2/organizations/{id}`: 204.
pub(crate) async fn delete(State(st): State<Arc<TenantState>>, Path(id): Path<String>) -> Res {
    st.model.delete_organization(&id)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /api/v2/organizations/{id}/members`.
pub(crate) async fn members(
    State(st): State<Arc<TenantState>>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Res {
    let page = Page::from_query(&q)?;
    let cfg = st.config();
    let o = org(&cfg, &id)?;
    let list: Vec<Value> = o
        .members
        .iter()
        .filter_map(|m| cfg.user(m).or_else(|| cfg.user_by_email(m)))
        .map(member_json)
        .collect();
    page.answer("members", list)
}

/// The `user_id`s of a `{"members": [...]}` body, each an existing user.
fn member_ids(cfg: &Snapshot, body: Value) -> Result<Vec<String>, ApiError> {
    let ids = ids(body, "members")?;
    for id in &ids {
        cfg.user(id).ok_or(ApiError::NotFound(EntryKind::User))?;
    }
    Ok(ids)
}

/// `POST /api/v2/organizations/{id}/members`: 204.
pub(crate) async fn add_members(
    State(st): State<Arc<TenantState>>,
    Path(id): Path<String>,
    body: JsonBody,
) -> Res {
    let ids = member_ids(&st.config(), body?.0)?;
    st.model.update_organization(&id, |o| {
        add_each(&mut o.members, ids);
        Ok(())
    })?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `DELETE /api/v2/organizations/{id}/members`: 204 (their member roles go too).
pub(crate) async fn remove_members(
    State(st): State<Arc<TenantState>>,
    Path(id): Path<String>,
    body: JsonBody,
) -> Res {
    let ids = member_ids(&st.config(), body?.0)?;
    st.model.update_organization(&id, |o| {
        remove_each(&mut o.members, &ids);
        o.member_roles.retain(|m, _| !ids.contains(m));
        Ok(())
    })?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /api/v2/organizations/{id}/members/{user_id}/roles`.
pub(crate) async fn member_roles(
    State(st): State<Arc<TenantState>>,
    Path((id, user_id)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Res {
    let page = Page::from_query(&q)?;
    let cfg = st.config();
    let o = org(&cfg, &id)?;
    let names = o.member_roles.get(&user_id).cloned().unwrap_or_default();
    let list: Vec<Value> = cfg
        .roles
        .iter()
        .filter(|r| names.contains(&r.name))
        .map(role_json)
        .collect();
    page.answer("roles", list)
}

/// `POST /api/v2/organizations/{id}/members/{user_id}/roles`: 204; the user must be a member.
pub(crate) async fn assign_member_roles(
    State(st): State<Arc<TenantState>>,
    Path((id, user_id)): Path<(String, String)>,
    body: JsonBody,
) -> Res {
    let cfg = st.config();
    let names = role_names(&cfg, body?.0)?;
    let user = cfg
        .user(&user_id)
        .ok_or(ApiError::NotFound(EntryKind::User))?;
    if !org(&cfg, &id)?.has_member(user) {
        return Err(ApiError::Invalid(format!(
            "User {user_id} is not a member of organization {id}"
        )));
    }
    st.model.update_organization(&id, |o| {
        add_each(o.member_roles.entry(user_id.clone()).or_default(), names);
        Ok(())
    })?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `DELETE /api/v2/organizations/{id}/members/{user_id}/roles`: 204.
pub(crate) async fn remove_member_roles(
    State(st): State<Arc<TenantState>>,
    Path((id, user_id)): Path<(String, String)>,
    body: JsonBody,
) -> Res {
    let names = role_names(&st.config(), body?.0)?;
    st.model.update_organization(&id, |o| {
        if let Some(list) = o.member_roles.get_mut(&user_id) {
            remove_each(list, &names);
        }
        o.member_roles.retain(|_, l| !l.is_empty());
        Ok(())
    })?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /api/v2/organizations/{id}/enabled_connections`: the database connection (every
/// organization of this tenant logs its members in with it).
pub(crate) async fn enabled_connections(
    State(st): State<Arc<TenantState>>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Res {
    let page = Page::from_query(&q)?;
    let cfg = st.config();
    org(&cfg, &id)?;
    let list = vec![enabled_connection_json(&cfg, false, true)];
    page.answer("enabled_connections", list)
}

/// `POST /api/v2/organizations/{id}/enabled_connections`: 201 for the database connection
/// (already enabled); another connection does not exist here.
pub(crate) async fn enable_connection(
    State(st): State<Arc<TenantState>>,
    Path(id): Path<String>,
    body: JsonBody,
) -> Res {
    let b = Body::new(
        body?.0,
        &[
            "connection_id",
            "assign_membership_on_login",
            "show_as_button",
            "is_signup_enabled",
        ],
    )?;
    let cfg = st.config();
    org(&cfg, &id)?;
    if b.required("connection_id")? != DATABASE_CONNECTION_ID {
        return Err(ApiError::NoConnection);
    }
    let out = enabled_connection_json(
        &cfg,
        b.bool("assign_membership_on_login")?.unwrap_or(false),
        b.bool("show_as_button")?.unwrap_or(true),
    );
    Ok((StatusCode::CREATED, Json(out)).into_response())
}
