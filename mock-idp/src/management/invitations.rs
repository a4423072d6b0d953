//! `/api/v2/organizations/{id}/invitations`: Auth0's organization invitations. An invitation
//! names the invitee's email, the application they will log in to and the roles they get; its
//! `invitation_url` is the application's Application Login URI (`initiate_login_uri`) with
//! `invitation`, `organization` and `organization_name`, which the application forwards to
//! `/authorize` (`crate::browser::invitation` takes it from there). No email is sent:
//! `send_invitation_email` is accepted and the link is only in the answer.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::{Value, json};

use super::body::{Body, random_alnum};
use super::connections::DATABASE_CONNECTION_ID;
use super::error::{ApiError, JsonBody, Res};
use super::organizations::org;
use super::paging::Page;
use super::roles::names_of;
use crate::clock::iso8601;
use crate::config::{InvitationConfig, OrganizationConfig, OrganizationUsage};
use crate::tenant::model::EntryKind;
use crate::tenant::state::TenantState;

/// Auth0's default lifetime (7 days) and its maximum (30 days), in seconds.
pub(crate) const DEFAULT_TTL: i64 = 604_800;
pub(crate) const MAX_TTL: i64 = 2_592_000;
/// Auth0's bounds on `inviter.name` and on roles per invitation.
const MAX_INVITER_NAME: usize = 300;
const MAX_ROLES: usize = 50;

/// The link the invitee follows: the application's login URI with the ticket and the
/// organization, as Auth0 builds it.
pub(crate) fn invitation_url(login_uri: &str, org: &OrganizationConfig, ticket: &str) -> String {
    let name = org.name.as_deref().unwrap_or(&org.id);
    let mut url = match url::Url::parse(login_uri) {
        Ok(u) => u,
        Err(_) => return login_uri.to_owned(),
    };
    url.query_pairs_mut()
        .append_pair("invitation", ticket)
        .append_pair("organization", &org.id)
        .append_pair("organization_name", name);
    url.into()
}

/// Auth0's invitation object.
fn invitation_json(st: &TenantState, org: &OrganizationConfig, i: &InvitationConfig) -> Value {
    let cfg = st.config();
    let login_uri = cfg
        .application(&i.client_id)
        .and_then(|a| a.initiate_login_uri.clone())
        .unwrap_or_default();
    let mut out = json!({
        "id": i.id,
        "organization_id": org.id,
        "inviter": {"name": i.inviter_name},
        "invitee": {"email": i.invitee_email},
        "invitation_url": invitation_url(&login_uri, org, &i.ticket_id),
        "created_at": iso8601(i.created_at),
        "expires_at": iso8601(i.expires_at),
        "client_id": i.client_id,
        "app_metadata": i.app_metadata,
        "user_metadata": i.user_metadata,
        "roles": i
            .roles
            .iter()
            .filter_map(|n| cfg.roles.iter().find(|r| r.name == *n))
            .map(|r| r.id())
            .collect::<Vec<_>>(),
        "ticket_id": i.ticket_id,
    });
    if let Some(c) = &i.connection_id {
        out["connection_id"] = json!(c);
    }
    out
}

/// An address with one `@` between a local part and a domain, and no spaces.
fn is_email(s: &str) -> bool {
    let mut parts = s.split('@');
    matches!((parts.next(), parts.next(), parts.next()), (Some(l), Some(d), None) if !l.is_empty() && d.contains('.') && !s.contains(char::is_whitespace))
}

fn org_of(st: &TenantState, id: &str) -> Result<OrganizationConfig, ApiError> {
    org(&st.config(), id).cloned()
}

/// A required `{"<key>": "<value>"}` object's string, as `inviter.name` and `invitee.email`.
fn nested(b: &Body, object: &str, key: &str) -> Result<String, ApiError> {
    let o = b
        .object(object)?
        .ok_or_else(|| ApiError::Payload(format!("Missing required property: {object}")))?;
    match o.get(key) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        Some(Value::String(_)) => Err(ApiError::Payload(format!(
            "String is too short (0 chars), minimum 1 on property {object}.{key}"
        ))),
        Some(_) => Err(ApiError::Payload(format!(
            "Expected type string on property {object}.{key}"
        ))),
        None => Err(ApiError::Payload(format!(
            "Missing required property: {object}.{key}"
        ))),
    }
}

/// `POST /api/v2/organizations/{id}/invitations`: 201 with the invitation and its URL.
pub(crate) async fn create(
    State(st): State<Arc<TenantState>>,
    Path(id): Path<String>,
    body: JsonBody,
) -> Res {
    let b = Body::new(
        body?.0,
        &[
            "inviter",
            "invitee",
            "client_id",
            "connection_id",
            "ttl_sec",
            "roles",
            "app_metadata",
            "user_metadata",
            "send_invitation_email",
        ],
    )?;
    let inviter_name = nested(&b, "inviter", "name")?;
    if inviter_name.chars().count() > MAX_INVITER_NAME {
        return Err(ApiError::Payload(format!(
            "String is too long, maximum {MAX_INVITER_NAME} on property inviter.name"
        )));
    }
    let email = nested(&b, "invitee", "email")?;
    if !is_email(&email) {
        return Err(ApiError::Payload(format!(
            "Object didn't pass validation for format email: {email} on property invitee.email"
        )));
    }
    let client_id = b.required("client_id")?;
    let connection_id = b.string("connection_id")?;
    if connection_id
        .as_deref()
        .is_some_and(|c| c != DATABASE_CONNECTION_ID)
    {
        return Err(ApiError::NoConnection);
    }
    let ttl = match b.int("ttl_sec")? {
        None | Some(0) => DEFAULT_TTL,
        Some(n) if n < 0 => {
            return Err(ApiError::Payload(format!(
                "Value {n} is less than minimum 0 on property ttl_sec"
            )));
        }
        Some(n) if n > MAX_TTL => {
            return Err(ApiError::Payload(format!(
                "Value {n} is greater than maximum {MAX_TTL} on property ttl_sec"
            )));
        }
        Some(n) => n,
    };
    b.bool("send_invitation_email")?;
    let role_ids = b.strings("roles")?.unwrap_or_default();
    if role_ids.len() > MAX_ROLES {
        return Err(ApiError::Payload(format!(
            "Array is too long ({}), maximum {MAX_ROLES} on property roles",
            role_ids.len()
        )));
    }
    let cfg = st.config();
    let org = org_of(&st, &id)?;
    let roles = names_of(&cfg, &role_ids)?;
    let app = cfg
        .application(&client_id)
        .ok_or(ApiError::NotFound(EntryKind::Client))?;
    if app.organization_usage == OrganizationUsage::Deny {
        return Err(ApiError::Invalid(format!(
            "The specified client_id ({client_id}) does not allow organizations."
        )));
    }
    if app.initiate_login_uri.is_none() {
        return Err(ApiError::Invalid(
            "A default login route is required to generate the invitation url.".into(),
        ));
    }
    let now = st.mint.clock.now();
    let inv = InvitationConfig {
        id: format!("uinv_{}", random_alnum(16)),
        ticket_id: random_alnum(32),
        inviter_name,
        invitee_email: email,
        client_id,
        connection_id,
        created_at: now,
        expires_at: now + ttl,
        roles,
        app_metadata: b.object("app_metadata")?.unwrap_or_default(),
        user_metadata: b.object("user_metadata")?.unwrap_or_default(),
    };
    let inv = st.model.create_invitation(&org.id, inv, now)?;
    Ok((StatusCode::CREATED, Json(invitation_json(&st, &org, &inv))).into_response())
}

/// `GET /api/v2/organizations/{id}/invitations`: the live ones, oldest first, paged as Auth0
/// pages lists (`page`, `per_page`, `include_totals`).
pub(crate) async fn list(
    State(st): State<Arc<TenantState>>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Res {
    let page = Page::from_query(&q)?;
    let org = org_of(&st, &id)?;
    let now = st.mint.clock.now();
    let list: Vec<Value> = org
        .invitations
        .iter()
        .filter(|i| i.is_live(now))
        .map(|i| invitation_json(&st, &org, i))
        .collect();
    page.answer("invitations", list)
}

/// `GET /api/v2/organizations/{id}/invitations/{invitation_id}`: 404 once it is accepted,
/// deleted or expired.
pub(crate) async fn get(
    State(st): State<Arc<TenantState>>,
    Path((id, invitation_id)): Path<(String, String)>,
) -> Res {
    let org = org_of(&st, &id)?;
    let now = st.mint.clock.now();
    let inv = org
        .invitations
        .iter()
        .find(|i| i.id == invitation_id && i.is_live(now))
        .ok_or(ApiError::NotFound(EntryKind::Invitation))?;
    Ok(Json(invitation_json(&st, &org, inv)).into_response())
}

/// `DELETE /api/v2/organizations/{id}/invitations/{invitation_id}`: 204; its link stops
/// working.
pub(crate) async fn delete(
    State(st): State<Arc<TenantState>>,
    Path((id, invitation_id)): Path<(String, String)>,
) -> Res {
    st.model.delete_invitation(&id, &invitation_id)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
