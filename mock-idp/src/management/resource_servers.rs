//! `/api/v2/resource-servers`: the tenant's APIs. `{id}` is the id or the identifier, as on
//! Auth0; the id is derived from the identifier.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::{Value, json};

use super::body::{Body, derived_id, random_alnum};
use super::error::{ApiError, JsonBody, Res};
use super::paging::Page;
use crate::config::{ApiConfig, Dialect};
use crate::tenant::model::EntryKind;
use crate::tenant::state::TenantState;

/// An API's id: 16 hex digits of its identifier's digest.
fn api_id(identifier: &str) -> String {
    derived_id("", &[identifier])
}

/// Auth0's resource server object.
pub(crate) fn api_json(a: &ApiConfig) -> Value {
    let mut out = json!({
        "id": api_id(&a.identifier),
        "name": a.name.as_deref().unwrap_or(&a.identifier),
        "identifier": a.identifier,
        "allow_offline_access": a.allow_offline_access,
        "skip_consent_for_verifiable_first_party_clients": true,
        "token_lifetime": a.token_lifetime,
        "token_lifetime_for_web": a.token_lifetime.min(7200),
        "signing_alg": a.signing_alg,
        "scopes": a.scopes_json(),
        "enforce_policies": a.dialect.has_permissions(),
        "token_dialect": serde_json::to_value(a.dialect).unwrap_or(Value::Null),
    });
    if let Some(secret) = &a.signing_secret {
        out["signing_secret"] = json!(secret);
    }
    if a.is_management_api() {
        out["is_system"] = json!(true);
    }
    out
}

const FIELDS: &[&str] = &[
    "name",
    "identifier",
    "scopes",
    "signing_alg",
    "signing_secret",
    "allow_offline_access",
    "token_lifetime",
    "token_lifetime_for_web",
    "skip_consent_for_verifiable_first_party_clients",
    "enforce_policies",
    "token_dialect",
];

fn apply(api: &mut ApiConfig, b: &Body) -> Result<(), ApiError> {
    if let Some(v) = b.string("name")? {
        api.name = Some(v);
    }
    if let Some(v) = b.string("signing_alg")? {
        api.signing_alg = v;
    }
    if let Some(v) = b.string("signing_secret")? {
        api.signing_secret = Some(v);
    }
    if let Some(v) = b.bool("allow_offline_access")? {
        api.allow_offline_access = v;
    }
    if let Some(v) = b.int("token_lifetime")? {
        api.token_lifetime = v;
    }
    b.int("token_lifetime_for_web")?;
    b.bool("skip_consent_for_verifiable_first_party_clients")?;
    if let Some(v) = b.0.get("scopes") {
        let list = v
            .as_array()
            .and_then(|a| {
                a.iter()
                    .map(|s| {
                        let value = s["value"].as_str()?.to_owned();
                        let description = match &s["description"] {
                            Value::Null => None,
                            d => Some(d.as_str()?.to_owned()),
                        };
                        Some((value, description))
                    })
                    .collect::<Option<Vec<_>>>()
            })
            .ok_or_else(|| {
                ApiError::Payload(
                    "Expected type array of {value, description} on property scopes".into(),
                )
            })?;
        api.permission_descriptions = list
            .iter()
            .filter_map(|(v, d)| Some((v.clone(), d.clone().filter(|d| d != v)?)))
            .collect();
        api.permissions = list.into_iter().map(|(v, _)| v).collect();
    }
    let enforce = b.bool("enforce_policies")?;
    if let Some(v) = b.0.get("token_dialect") {
        api.dialect = serde_json::from_value::<Dialect>(v.clone()).map_err(|_| {
            ApiError::Payload(format!("No enum match for: {v} on property token_dialect"))
        })?;
    }
    // Auth0: the `_authz` dialects need RBAC (enforce_policies); turning RBAC off drops them.
    match enforce {
        Some(false) if api.dialect.has_permissions() => {
            api.dialect = if api.dialect.is_rfc9068() {
                Dialect::Rfc9068Profile
            } else {
                Dialect::AccessToken
            };
        }
        _ => {}
    }
    Ok(())
}

/// `POST /api/v2/resource-servers`: 201.
pub(crate) async fn create(State(st): State<Arc<TenantState>>, body: JsonBody) -> Res {
    let b = Body::new(body?.0, FIELDS)?;
    let identifier = b.required("identifier")?;
    let mut api = ApiConfig::new(&identifier);
    apply(&mut api, &b)?;
    // Auth0 makes up the secret of an HS256 API created without one.
    if api.signing_alg == "HS256" && api.signing_secret.is_none() {
        api.signing_secret = Some(random_alnum(32));
    }
    let api = st.model.create_api(api)?;
    Ok((StatusCode::CREATED, Json(api_json(&api))).into_response())
}

/// `GET /api/v2/resource-servers`.
pub(crate) async fn list(
    State(st): State<Arc<TenantState>>,
    Query(q): Query<HashMap<String, String>>,
) -> Res {
    let page = Page::from_query(&q)?;
    let cfg = st.config();
    let list: Vec<Value> = cfg.apis.iter().map(api_json).collect();
    page.answer("resource_servers", list)
}

/// The identifier of the API `id` names (its id or its identifier).
fn identifier_of(st: &TenantState, id: &str) -> Result<String, ApiError> {
    st.config()
        .apis
        .iter()
        .find(|a| a.identifier == id || api_id(&a.identifier) == id)
        .map(|a| a.identifier.clone())
        .ok_or(ApiError::NotFound(EntryKind::ResourceServer))
}

/// `GET /api/v2/resource-servers/{id}`.
pub(crate) async fn get(State(st): State<Arc<TenantState>>, Path(id): Path<String>) -> Res {
    let identifier = identifier_of(&st, &id)?;
    let cfg = st.config();
    let api = cfg
        .api(&identifier)
        .ok_or(ApiError::NotFound(EntryKind::ResourceServer))?;
    Ok(Json(api_json(api)).into_response())
}

/// `PATCH /api/v2/resource-servers/{id}`: lifetime, dialect, scopes... apply to the next token.
pub(crate) async fn patch(
    State(st): State<Arc<TenantState>>,
    Path(id): Path<String>,
    body: JsonBody,
) -> Res {
    let b = Body::new(body?.0, FIELDS)?;
    let identifier = identifier_of(&st, &id)?;
    if b.string("identifier")?.is_some_and(|i| i != identifier) {
        return Err(ApiError::Payload(
            "Additional properties not allowed: identifier".into(),
        ));
    }
    let mut problem = None;
    let api = st.model.update_api(&identifier, |a| {
        if let Err(e) = apply(a, &b) {
            problem = Some(e);
        }
        Ok(())
    })?;
    if let Some(e) = problem {
        return Err(e);
    }
    Ok(Json(api_json(&api)).into_response())
}

/// `DELETE /api/v2/resource-servers/{id}`: 204.
pub(crate) async fn delete(State(st): State<Arc<TenantState>>, Path(id): Path<String>) -> Res {
    let identifier = identifier_of(&st, &id)?;
    st.model.delete_api(&identifier)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
