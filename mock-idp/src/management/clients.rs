//! `/api/v2/clients` (with `rotate-secret`) and `/api/v2/client-grants`. A client grant's id
//! is derived from its client and audience (the tenant file keeps grants inside each
//! application).

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
use crate::config::{
    AppType, ApplicationConfig, AuthMethod, GrantType, IdTokenAlg, JwtConfiguration,
    OrganizationUsage,
};
use crate::tenant::model::EntryKind;
use crate::tenant::state::TenantState;

/// Auth0's client object.
pub(crate) fn client_json(st: &TenantState, a: &ApplicationConfig) -> Value {
    let grants: Vec<&str> = GrantType::ALL
        .into_iter()
        .filter(|g| a.allows(*g))
        .map(GrantType::as_str)
        .collect();
    let r = a.refresh_settings();
    json!({
        "tenant": st.domains.all().first().cloned().unwrap_or_default(),
        "global": false,
        "is_token_endpoint_ip_header_trusted": false,
        "name": a.name.as_deref().unwrap_or(&a.client_id),
        "is_first_party": a.is_first_party,
        "oidc_conformant": true,
        "sso_disabled": false,
        "cross_origin_auth": false,
        "callbacks": a.callbacks,
        "allowed_logout_urls": a.allowed_logout_urls,
        "web_origins": a.web_origins,
        "allowed_origins": [],
        "client_id": a.client_id,
        "client_secret": a.client_secret,
        "app_type": serde_json::to_value(a.app_type).unwrap_or(Value::Null),
        "grant_types": grants,
        "token_endpoint_auth_method": serde_json::to_value(a.auth_method()).unwrap_or(Value::Null),
        "organization_usage": serde_json::to_value(a.organization_usage).unwrap_or(Value::Null),
        "jwt_configuration": {"alg": a.id_token_alg(), "lifetime_in_seconds": 36000, "secret_encoded": false},
        "refresh_token": {
            "rotation_type": serde_json::to_value(r.rotation_type).unwrap_or(Value::Null),
            "expiration_type": "expiring",
            "leeway": r.leeway,
            "token_lifetime": r.token_lifetime,
            "infinite_token_lifetime": false,
            "idle_token_lifetime": r.idle_token_lifetime,
            "infinite_idle_token_lifetime": false,
        },
        "custom_login_page_on": true,
        "initiate_login_uri": a.initiate_login_uri.as_deref().unwrap_or(""),
    })
}

const FIELDS: &[&str] = &[
    "name",
    "description",
    "app_type",
    "is_first_party",
    "callbacks",
    "allowed_logout_urls",
    "web_origins",
    "grant_types",
    "token_endpoint_auth_method",
    "organization_usage",
    "oidc_conformant",
    "logo_uri",
    "allowed_origins",
    "jwt_configuration",
    "sso_disabled",
    "cross_origin_auth",
    "custom_login_page_on",
    "client_metadata",
    "initiate_login_uri",
];

/// The settings a create or a patch may set.
fn apply(app: &mut ApplicationConfig, b: &Body) -> Result<(), ApiError> {
    if let Some(n) = b.string("name")? {
        app.name = Some(n);
    }
    if let Some(v) = b.0.get("app_type") {
        app.app_type = serde_json::from_value::<AppType>(v.clone()).map_err(|_| {
            ApiError::Payload(format!("No enum match for: {v} on property app_type"))
        })?;
    }
    if let Some(v) = b.bool("is_first_party")? {
        app.is_first_party = v;
    }
    for (name, slot) in [
        ("callbacks", &mut app.callbacks),
        ("allowed_logout_urls", &mut app.allowed_logout_urls),
        ("web_origins", &mut app.web_origins),
    ] {
        if let Some(v) = b.strings(name)? {
            *slot = v;
        }
    }
    if let Some(list) = b.strings("grant_types")? {
        let grants = list
            .iter()
            .map(|g| {
                GrantType::from_name(g).ok_or_else(|| {
                    ApiError::Payload(format!(
                        "No enum match for: \"{g}\" on property grant_types"
                    ))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        app.grant_types = Some(grants);
    }
    if let Some(v) = b.0.get("token_endpoint_auth_method") {
        app.token_endpoint_auth_method = Some(
            serde_json::from_value::<AuthMethod>(v.clone()).map_err(|_| {
                ApiError::Payload(format!(
                    "No enum match for: {v} on property token_endpoint_auth_method"
                ))
            })?,
        );
    }
    if let Some(v) = b.0.get("organization_usage") {
        app.organization_usage =
            serde_json::from_value::<OrganizationUsage>(v.clone()).map_err(|_| {
                ApiError::Payload(format!(
                    "No enum match for: {v} on property organization_usage"
                ))
            })?;
    }
    if let Some(jwt) = b.object("jwt_configuration")?
        && let Some(alg) = jwt.get("alg")
    {
        let alg = serde_json::from_value::<IdTokenAlg>(alg.clone()).map_err(|_| {
            ApiError::Payload(format!(
                "No enum match for: {alg} on property jwt_configuration.alg"
            ))
        })?;
        app.jwt_configuration = Some(JwtConfiguration { alg });
    }
    // Auth0's format `absolute-https-uri-or-empty`: an empty string clears it.
    match b.0.get("initiate_login_uri") {
        None => {}
        Some(Value::String(u)) if u.is_empty() => app.initiate_login_uri = None,
        Some(Value::String(u))
            if u.len() <= 2048
                && url::Url::parse(u).is_ok_and(|x| x.scheme() == "https" && x.has_host()) =>
        {
            app.initiate_login_uri = Some(u.clone());
        }
        Some(v) => {
            return Err(ApiError::Payload(format!(
                "Object didn't pass validation for format absolute-https-uri-or-empty: {} on property initiate_login_uri",
                v.as_str().unwrap_or("")
            )));
        }
    }
    for name in ["description", "logo_uri"] {
        b.string(name)?;
    }
    Ok(())
}

/// `POST /api/v2/clients`: 201 with the client and its new secret.
pub(crate) async fn create(State(st): State<Arc<TenantState>>, body: JsonBody) -> Res {
    let b = Body::new(body?.0, FIELDS)?;
    b.required("name")?;
    let mut app = ApplicationConfig::machine(&random_alnum(32), &random_alnum(64));
    apply(&mut app, &b)?;
    if app.is_public() {
        app.client_secret.clear();
    }
    let app = st.model.create_client(app)?;
    Ok((StatusCode::CREATED, Json(client_json(&st, &app))).into_response())
}

/// `GET /api/v2/clients` (`app_type` filter too).
pub(crate) async fn list(
    State(st): State<Arc<TenantState>>,
    Query(q): Query<HashMap<String, String>>,
) -> Res {
    let page = Page::from_query(&q)?;
    let types: Option<Vec<&str>> = q.get("app_type").map(|t| t.split(',').collect());
    let cfg = st.config();
    let list: Vec<Value> = cfg
        .applications
        .iter()
        .map(|a| client_json(&st, a))
        .filter(|c| {
            types
                .as_ref()
                .is_none_or(|t| t.iter().any(|x| c["app_type"] == *x))
        })
        .collect();
    page.answer("clients", list)
}

/// `GET /api/v2/clients/{id}`.
pub(crate) async fn get(State(st): State<Arc<TenantState>>, Path(id): Path<String>) -> Res {
    let cfg = st.config();
    let app = cfg
        .application(&id)
        .ok_or(ApiError::NotFound(EntryKind::Client))?;
    Ok(Json(client_json(&st, app)).into_response())
}

/// `PATCH /api/v2/clients/{id}`.
pub(crate) async fn patch(
    State(st): State<Arc<TenantState>>,
    Path(id): Path<String>,
    body: JsonBody,
) -> Res {
    let b = Body::new(body?.0, FIELDS)?;
    let mut problem = None;
    let app = st.model.update_client(&id, |a| {
        if let Err(e) = apply(a, &b) {
            problem = Some(e);
        }
        Ok(())
    })?;
    if let Some(e) = problem {
        return Err(e);
    }
    Ok(Json(client_json(&st, &app)).into_response())
}

/// `DELETE /api/v2/clients/{id}`: 204; its next token request is refused.
pub(crate) async fn delete(State(st): State<Arc<TenantState>>, Path(id): Path<String>) -> Res {
    st.model.delete_client(&id)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST /api/v2/clients/{id}/rotate-secret`: 200 with the client and its new secret.
pub(crate) async fn rotate_secret(
    State(st): State<Arc<TenantState>>,
    Path(id): Path<String>,
) -> Res {
    let app = st.model.rotate_client_secret(&id)?;
    Ok(Json(client_json(&st, &app)).into_response())
}

/// A client grant's id.
fn grant_id(client_id: &str, audience: &str) -> String {
    derived_id("cgr_", &[client_id, audience])
}

fn grant_json(client_id: &str, audience: &str, scope: &[String]) -> Value {
    json!({
        "id": grant_id(client_id, audience),
        "client_id": client_id,
        "audience": audience,
        "scope": scope,
    })
}

/// `GET /api/v2/client-grants` (`audience`, `client_id` filters).
pub(crate) async fn list_grants(
    State(st): State<Arc<TenantState>>,
    Query(q): Query<HashMap<String, String>>,
) -> Res {
    let page = Page::from_query(&q)?;
    let cfg = st.config();
    let list: Vec<Value> = cfg
        .applications
        .iter()
        .filter(|a| q.get("client_id").is_none_or(|c| *c == a.client_id))
        .flat_map(|a| {
            a.grants
                .iter()
                .filter(|(aud, _)| q.get("audience").is_none_or(|x| x == *aud))
                .map(|(aud, s)| grant_json(&a.client_id, aud, s))
        })
        .collect();
    page.answer("client_grants", list)
}

/// `POST /api/v2/client-grants`: 201.
pub(crate) async fn create_grant(State(st): State<Arc<TenantState>>, body: JsonBody) -> Res {
    let b = Body::new(
        body?.0,
        &[
            "client_id",
            "audience",
            "scope",
            "organization_usage",
            "allow_any_organization",
        ],
    )?;
    let client_id = b.required("client_id")?;
    let audience = b.required("audience")?;
    let scope = b
        .strings("scope")?
        .ok_or_else(|| ApiError::Payload("Missing required property: scope".into()))?;
    st.model
        .set_client_grant(&client_id, &audience, scope.clone(), true)?;
    Ok((
        StatusCode::CREATED,
        Json(grant_json(&client_id, &audience, &scope)),
    )
        .into_response())
}

/// The client and audience of grant `id`.
fn grant_of(st: &TenantState, id: &str) -> Result<(String, String), ApiError> {
    let cfg = st.config();
    cfg.applications
        .iter()
        .flat_map(|a| {
            a.grants
                .keys()
                .map(move |aud| (a.client_id.clone(), aud.clone()))
        })
        .find(|(c, aud)| grant_id(c, aud) == id)
        .ok_or(ApiError::NotFound(EntryKind::ClientGrant))
}

/// `PATCH /api/v2/client-grants/{id}`: new scopes.
pub(crate) async fn patch_grant(
    State(st): State<Arc<TenantState>>,
    Path(id): Path<String>,
    body: JsonBody,
) -> Res {
    let b = Body::new(
        body?.0,
        &["scope", "organization_usage", "allow_any_organization"],
    )?;
    let (client_id, audience) = grant_of(&st, &id)?;
    let scope = b.strings("scope")?.unwrap_or_default();
    st.model
        .set_client_grant(&client_id, &audience, scope.clone(), false)?;
    Ok(Json(grant_json(&client_id, &audience, &scope)).into_response())
}

/// `DELETE /api/v2/client-grants/{id}`: 204.
pub(crate) async fn delete_grant(
    State(st): State<Arc<TenantState>>,
    Path(id): Path<String>,
) -> Res {
    let (client_id, audience) = grant_of(&st, &id)?;
    st.model.delete_client_grant(&client_id, &audience)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
