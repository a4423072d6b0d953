//! What an organization is linked to beyond its members and connection, as the Deploy CLI
//! reads and writes it: `/api/v2/organizations/{id}/client-grants` (the machine-to-machine
//! applications whose grants serve the organization: `applications` in the tenant TOML), its
//! `connections` (the database connection), and its `discovery-domains` and `clients` (member-access applications), which
//! the tenant does not model and lists empty.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::{Value, json};

use super::body::{Body, derived_id};
use super::connections::enabled_connection_json;
use super::error::{ApiError, JsonBody, Res};
use super::organizations::org;
use super::paging::Page;
use crate::config::{ApplicationConfig, Snapshot};
use crate::tenant::model::{EntryKind, add_each};
use crate::tenant::state::TenantState;

/// A client grant as Auth0 lists it under an organization (the same `id` as under
/// `/client-grants`).
fn grant_json(app: &ApplicationConfig, audience: &str, scope: &[String]) -> Value {
    json!({
        "id": derived_id("cgr_", &[&app.client_id, audience]),
        "client_id": app.client_id,
        "audience": audience,
        "scope": scope,
        "organization_usage": app.organization_usage,
        "allow_any_organization": false,
    })
}

/// The application and audience of the client grant `grant_id`.
fn grant_by_id(cfg: &Snapshot, grant_id: &str) -> Option<(String, String)> {
    cfg.applications.iter().find_map(|a| {
        a.grants
            .keys()
            .find(|aud| derived_id("cgr_", &[&a.client_id, aud]) == grant_id)
            .map(|aud| (a.client_id.clone(), aud.clone()))
    })
}

/// `GET /api/v2/organizations/{id}/client-grants`: the grants of its applications.
pub(crate) async fn list_grants(
    State(st): State<Arc<TenantState>>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Res {
    let page = Page::from_query(&q)?;
    let cfg = st.config();
    let apps = &org(&cfg, &id)?.applications;
    let list: Vec<Value> = cfg
        .applications
        .iter()
        .filter(|a| apps.contains(&a.client_id))
        .flat_map(|a| a.grants.iter().map(move |(aud, s)| grant_json(a, aud, s)))
        .collect();
    page.answer("client_grants", list)
}

/// `POST /api/v2/organizations/{id}/client-grants` `{grant_id}`: 201 with the grant; its
/// application now serves the organization.
pub(crate) async fn add_grant(
    State(st): State<Arc<TenantState>>,
    Path(id): Path<String>,
    body: JsonBody,
) -> Res {
    let b = Body::new(body?.0, &["grant_id"])?;
    let grant_id = b.required("grant_id")?;
    let cfg = st.config();
    let (client_id, audience) =
        grant_by_id(&cfg, &grant_id).ok_or(ApiError::NotFound(EntryKind::ClientGrant))?;
    let client = client_id.clone();
    st.model.update_organization(&id, move |o| {
        add_each(&mut o.applications, [client]);
        Ok(())
    })?;
    let cfg = st.config();
    let app = cfg
        .applications
        .iter()
        .find(|a| a.client_id == client_id)
        .ok_or(ApiError::NotFound(EntryKind::ClientGrant))?;
    let scope = app.grants.get(&audience).cloned().unwrap_or_default();
    Ok((
        StatusCode::CREATED,
        Json(grant_json(app, &audience, &scope)),
    )
        .into_response())
}

/// `DELETE /api/v2/organizations/{id}/client-grants/{grant_id}`: 204; the grant's
/// application no longer serves the organization.
pub(crate) async fn remove_grant(
    State(st): State<Arc<TenantState>>,
    Path((id, grant_id)): Path<(String, String)>,
) -> Res {
    let cfg = st.config();
    let (client_id, _) =
        grant_by_id(&cfg, &grant_id).ok_or(ApiError::NotFound(EntryKind::ClientGrant))?;
    st.model.update_organization(&id, move |o| {
        o.applications.retain(|c| *c != client_id);
        Ok(())
    })?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /api/v2/organizations/{id}/connections` (Auth0's newer name for the enabled
/// connections, paged): the database connection, as under `enabled_connections`.
pub(crate) async fn connections(
    State(st): State<Arc<TenantState>>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Res {
    let page = Page::from_query(&q)?;
    let cfg = st.config();
    org(&cfg, &id)?;
    let mut enabled = enabled_connection_json(&cfg, false, true);
    enabled["is_signup_enabled"] = json!(false);
    let list = vec![enabled];
    page.answer("connections", list)
}

/// `GET /api/v2/organizations/{id}/discovery-domains`: none (not modelled), in Auth0's
/// checkpoint shape.
pub(crate) async fn discovery_domains(
    State(st): State<Arc<TenantState>>,
    Path(id): Path<String>,
) -> Res {
    org(&st.config(), &id)?;
    Ok(Json(json!({"domains": []})).into_response())
}

/// `GET /api/v2/organizations/{id}/clients`: none (member-access applications are not
/// modelled), in Auth0's checkpoint shape.
pub(crate) async fn clients(State(st): State<Arc<TenantState>>, Path(id): Path<String>) -> Res {
    org(&st.config(), &id)?;
    Ok(Json(json!({"clients": []})).into_response())
}
