//! `/api/v2/actions/`: Actions (drafts, deploys, versions), the triggers the tenant runs and
//! their bindings, in Auth0's shapes. A deploy loads the code into the Actions worker (starting
//! Node if the tenant had no Actions) before the model records it, so code that does not load
//! is refused with a 400 and a machine without Node answers 503, never 500. Secret values are
//! accepted and never returned (only names and `updated_at`).

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::{Value, json};

use super::body::Body;
use super::error::{ApiError, JsonBody, Res};
use crate::actions::PrepareError;
use crate::clock::iso8601;
use crate::config::{
    ActionConfig, ActionDependency, ActionTrigger, ActionVersion, DEFAULT_RUNTIME, ManagedAction,
    uuid_from,
};
use crate::tenant::model::{ActionDraft, EntryKind};
use crate::tenant::state::TenantState;

/// The triggers the tenant runs, with the version Auth0 serves of each.
const TRIGGERS: [(ActionTrigger, &str); 2] = [
    (ActionTrigger::PostLogin, "v3"),
    (ActionTrigger::CredentialsExchange, "v2"),
];

/// Auth0's other trigger ids: known, refused here with a message that says why.
const OTHER_TRIGGERS: &[&str] = &[
    "pre-user-registration",
    "post-user-registration",
    "post-change-password",
    "send-phone-message",
    "password-reset-post-challenge",
    "custom-email-provider",
    "custom-phone-provider",
    "custom-token-exchange",
    "login-post-identifier",
    "signup-post-identifier",
];

fn trigger_version(t: ActionTrigger) -> &'static str {
    TRIGGERS
        .iter()
        .find(|(x, _)| *x == t)
        .map_or("v1", |(_, v)| v)
}

/// A trigger id, or Auth0's 400.
fn trigger(id: &str) -> Result<ActionTrigger, ApiError> {
    if let Some((t, _)) = TRIGGERS.iter().find(|(t, _)| t.as_str() == id) {
        return Ok(*t);
    }
    if OTHER_TRIGGERS.contains(&id) {
        return Err(ApiError::Invalid(format!(
            "The trigger {id} is not run by mock-idp (post-login and credentials-exchange are)"
        )));
    }
    Err(ApiError::Invalid(format!("Invalid trigger id: {id}")))
}

fn now(st: &TenantState) -> String {
    iso8601(st.mint.clock.now())
}

fn supported_triggers(a: &ActionConfig) -> Value {
    json!([{ "id": a.trigger.as_str(), "version": trigger_version(a.trigger) }])
}

fn secrets_json(a: &ActionConfig, at: &str) -> Value {
    // Names only: Auth0 never returns a secret's value.
    Value::Array(
        a.secrets
            .keys()
            .map(|name| json!({ "name": name, "updated_at": at }))
            .collect(),
    )
}

fn dependencies_json(d: &[ActionDependency]) -> Value {
    Value::Array(
        d.iter()
            .map(|d| json!({ "name": d.name, "version": d.version.clone().unwrap_or_else(|| "latest".into()) }))
            .collect(),
    )
}

/// Auth0's action object.
pub(crate) fn action_json(a: &ActionConfig) -> Value {
    let deployed = a.deployed_version();
    let m = a.managed.as_ref();
    let at = m.map_or_else(String::new, |m| m.updated_at.clone());
    let created = m.map_or_else(String::new, |m| m.created_at.clone());
    let runtime = m.map_or(DEFAULT_RUNTIME, |m| m.runtime.as_str());
    let draft = match (&a.script, &deployed) {
        (Some(s), _) => s.clone(),
        (None, Some(v)) => v.code.clone(),
        (None, None) => String::new(),
    };
    let mut out = json!({
        "id": a.id(),
        "name": a.name,
        "supported_triggers": supported_triggers(a),
        "all_changes_deployed": a.all_changes_deployed(),
        "created_at": created,
        "updated_at": at,
        "code": draft,
        "dependencies": dependencies_json(&a.dependencies),
        "runtime": runtime,
        "secrets": secrets_json(a, &at),
        "status": "built",
        "built_at": at,
        "deploy": false,
    });
    if let Some(v) = &deployed {
        out["deployed_version"] = version_json(a, v);
    }
    out
}

/// Auth0's version object (only the deployed version is kept, so it is the deployed one).
fn version_json(a: &ActionConfig, v: &ActionVersion) -> Value {
    let m = a.managed.as_ref();
    json!({
        "id": v.id,
        "action_id": a.id(),
        "code": v.code,
        "dependencies": dependencies_json(&v.dependencies),
        "deployed": true,
        "number": v.number,
        "runtime": v.runtime,
        "secrets": secrets_json(a, &v.created_at),
        "status": "built",
        "created_at": v.created_at,
        "updated_at": v.created_at,
        "built_at": v.created_at,
        "supported_triggers": supported_triggers(a),
        "action": {
            "id": a.id(),
            "name": a.name,
            "supported_triggers": supported_triggers(a),
            "all_changes_deployed": a.all_changes_deployed(),
            "created_at": m.map(|m| m.created_at.clone()),
            "updated_at": m.map(|m| m.updated_at.clone()),
        },
    })
}

fn find<'a>(cfg: &'a crate::config::TenantConfig, id: &str) -> Result<&'a ActionConfig, ApiError> {
    cfg.actions
        .iter()
        .find(|a| a.id() == id)
        .ok_or(ApiError::NotFound(EntryKind::Action))
}

/// Reads an action body's properties (create: `name` and `supported_triggers` required).
fn draft(b: &Body, create: bool) -> Result<ActionDraft, ApiError> {
    let name = if create {
        Some(b.required("name")?)
    } else {
        b.string("name")?
    };
    if name.as_ref().is_some_and(|n| n.len() > 128) {
        return Err(ApiError::Payload(
            "String is too long, maximum 128 on property name".into(),
        ));
    }
    let trigger = match b.0.get("supported_triggers") {
        None if create => {
            return Err(ApiError::Payload(
                "Missing required property: supported_triggers".into(),
            ));
        }
        None => None,
        Some(Value::Array(list)) => {
            let [one] = list.as_slice() else {
                return Err(ApiError::Invalid(
                    "an action supports exactly one trigger".into(),
                ));
            };
            let Some(id) = one.get("id").and_then(Value::as_str) else {
                return Err(ApiError::Payload(
                    "Missing required property: id on property supported_triggers".into(),
                ));
            };
            Some(trigger(id)?)
        }
        Some(_) => {
            return Err(ApiError::Payload(
                "Expected type array on property supported_triggers".into(),
            ));
        }
    };
    let code = match b.0.get("code") {
        None => None,
        Some(Value::String(s)) if s.len() > crate::config::MAX_ACTION_CODE => {
            return Err(ApiError::Payload(format!(
                "String is too long, maximum {} on property code",
                crate::config::MAX_ACTION_CODE
            )));
        }
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            return Err(ApiError::Payload(
                "Expected type string on property code".into(),
            ));
        }
    };
    let dependencies = match b.0.get("dependencies") {
        None => None,
        Some(Value::Array(list)) => Some(
            list.iter()
                .map(|d| {
                    let name = d.get("name").and_then(Value::as_str).ok_or_else(|| {
                        ApiError::Payload(
                            "Missing required property: name on property dependencies".into(),
                        )
                    })?;
                    Ok(ActionDependency {
                        name: name.to_owned(),
                        version: d.get("version").and_then(Value::as_str).map(str::to_owned),
                    })
                })
                .collect::<Result<Vec<_>, ApiError>>()?,
        ),
        Some(_) => {
            return Err(ApiError::Payload(
                "Expected type array on property dependencies".into(),
            ));
        }
    };
    let secrets = match b.0.get("secrets") {
        None => None,
        Some(Value::Array(list)) => Some(
            list.iter()
                .map(|s| {
                    let name = s.get("name").and_then(Value::as_str).ok_or_else(|| {
                        ApiError::Payload(
                            "Missing required property: name on property secrets".into(),
                        )
                    })?;
                    Ok((
                        name.to_owned(),
                        s.get("value").and_then(Value::as_str).map(str::to_owned),
                    ))
                })
                .collect::<Result<Vec<_>, ApiError>>()?,
        ),
        Some(_) => {
            return Err(ApiError::Payload(
                "Expected type array on property secrets".into(),
            ));
        }
    };
    Ok(ActionDraft {
        name,
        trigger,
        code,
        dependencies,
        runtime: b.string("runtime")?,
        secrets,
    })
}

const ACTION_FIELDS: &[&str] = &[
    "name",
    "supported_triggers",
    "code",
    "dependencies",
    "runtime",
    "secrets",
    "deploy",
];

/// `GET /api/v2/actions/actions` (`triggerId`, `actionName`, `deployed`, `page`, `per_page`):
/// `{actions, total, page, per_page}`.
pub(crate) async fn list(
    State(st): State<Arc<TenantState>>,
    Query(q): Query<HashMap<String, String>>,
) -> Res {
    if let Some(k) = q.keys().find(|k| {
        ![
            "triggerId",
            "actionName",
            "deployed",
            "installed",
            "page",
            "per_page",
        ]
        .contains(&k.as_str())
    }) {
        return Err(ApiError::Query(format!(
            "Additional properties not allowed: {k}"
        )));
    }
    let page: usize = parse_num(&q, "page", 0)?;
    let per_page: usize = parse_num(&q, "per_page", 20)?.clamp(1, 100);
    let t = q.get("triggerId").map(|t| trigger(t)).transpose()?;
    let cfg = st.config();
    let all: Vec<Value> = cfg
        .actions
        .iter()
        .filter(|a| t.is_none_or(|t| a.trigger == t))
        .filter(|a| q.get("actionName").is_none_or(|n| &a.name == n))
        .filter(|a| match q.get("deployed").map(String::as_str) {
            Some("true") => a.managed.as_ref().is_none_or(|m| m.deployed.is_some()),
            _ => true,
        })
        .map(action_json)
        .collect();
    let total = all.len();
    let actions: Vec<Value> = all
        .into_iter()
        .skip(page * per_page)
        .take(per_page)
        .collect();
    Ok(
        Json(json!({ "actions": actions, "total": total, "page": page, "per_page": per_page }))
            .into_response(),
    )
}

fn parse_num(q: &HashMap<String, String>, name: &str, default: usize) -> Result<usize, ApiError> {
    match q.get(name) {
        None => Ok(default),
        Some(v) => v
            .parse::<usize>()
            .ok()
            .filter(|n| *n <= 100_000)
            .ok_or_else(|| {
                ApiError::Query(format!(
                    "Expected type integer but found type string on property {name}"
                ))
            }),
    }
}

/// `POST /api/v2/actions/actions`: 201 with the action (a draft; `deploy: true` deploys it
/// at once, as Auth0 does).
pub(crate) async fn create(State(st): State<Arc<TenantState>>, body: JsonBody) -> Res {
    let b = Body::new(body?.0, ACTION_FIELDS)?;
    let deploy_now = b.bool("deploy")?.unwrap_or(false);
    let d = draft(&b, true)?;
    let id = uuid_from(&crate::jose::random_id());
    let a = st.model.create_action(d, id, &now(&st))?;
    let a = match deploy_now {
        false => a,
        true => match deploy_action(&st, &a.id()).await {
            Ok(a) => a,
            Err(e) => {
                // All or nothing: a create that cannot deploy leaves no draft behind.
                let _ = st.model.delete_action(&a.id(), true);
                return Err(e);
            }
        },
    };
    Ok((StatusCode::CREATED, Json(action_json(&a))).into_response())
}

/// `GET /api/v2/actions/actions/{id}`.
pub(crate) async fn get(State(st): State<Arc<TenantState>>, Path(id): Path<String>) -> Res {
    let cfg = st.config();
    Ok(Json(action_json(find(&cfg, &id)?)).into_response())
}

/// `PATCH /api/v2/actions/actions/{id}`: changes the draft; what runs changes at the next
/// deploy.
pub(crate) async fn patch(
    State(st): State<Arc<TenantState>>,
    Path(id): Path<String>,
    body: JsonBody,
) -> Res {
    let b = Body::new(body?.0, ACTION_FIELDS)?;
    let d = draft(&b, false)?;
    let a = st.model.update_action(&id, d, &now(&st))?;
    Ok(Json(action_json(&a)).into_response())
}

/// `DELETE /api/v2/actions/actions/{id}` (`force=true` unbinds it first): 204.
pub(crate) async fn delete(
    State(st): State<Arc<TenantState>>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Res {
    let force = q.get("force").is_some_and(|f| f == "true");
    st.model.delete_action(&id, force)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Loads the draft's code into the worker, then records the deploy: the version the worker
/// loaded is the one the model keeps (a change to the draft meanwhile waits for the next
/// deploy).
async fn deploy_action(st: &TenantState, id: &str) -> Result<ActionConfig, ApiError> {
    let cfg = st.config();
    let current = find(&cfg, id)?;
    let version = current
        .draft_version(uuid_from(&crate::jose::random_id()), 0, "")
        .map_err(ApiError::Invalid)?;
    // What would run once deployed, loaded now under its own key.
    let mut probe = current.clone();
    let m = probe.managed.get_or_insert_with(|| ManagedAction {
        id: id.to_owned(),
        created_at: String::new(),
        updated_at: String::new(),
        runtime: version.runtime.clone(),
        bound: true,
        deployed: None,
    });
    m.deployed = Some(version.clone());
    st.actions.prepare(&probe).await.map_err(|e| match e {
        PrepareError::Unavailable(e) => ApiError::Unavailable(e.to_string()),
        PrepareError::Build(e) => ApiError::Invalid(format!("the action does not build: {e}")),
    })?;
    Ok(st.model.deploy_action(id, version, &now(st))?)
}

/// `POST /api/v2/actions/actions/{id}/deploy`: 200 with the new version.
pub(crate) async fn deploy(State(st): State<Arc<TenantState>>, Path(id): Path<String>) -> Res {
    let a = deploy_action(&st, &id).await?;
    let v = a
        .managed
        .as_ref()
        .and_then(|m| m.deployed.as_ref())
        .ok_or(ApiError::NotFound(EntryKind::Action))?;
    Ok(Json(version_json(&a, v)).into_response())
}

/// `GET /api/v2/actions/actions/{id}/versions`: the deployed version (the only one kept).
pub(crate) async fn versions(State(st): State<Arc<TenantState>>, Path(id): Path<String>) -> Res {
    let cfg = st.config();
    let a = find(&cfg, &id)?;
    let list: Vec<Value> = a
        .deployed_version()
        .map(|v| version_json(a, &v))
        .into_iter()
        .collect();
    let total = list.len();
    Ok(
        Json(json!({ "total": total, "page": 0, "per_page": 20, "versions": list }))
            .into_response(),
    )
}

/// `GET /api/v2/actions/actions/{id}/versions/{version_id}`.
pub(crate) async fn version(
    State(st): State<Arc<TenantState>>,
    Path((id, vid)): Path<(String, String)>,
) -> Res {
    let cfg = st.config();
    let a = find(&cfg, &id)?;
    match a.deployed_version() {
        Some(v) if v.id == vid => Ok(Json(version_json(a, &v)).into_response()),
        _ => Err(ApiError::NotFound(EntryKind::ActionVersion)),
    }
}

/// `GET /api/v2/actions/triggers`: the triggers the tenant runs.
pub(crate) async fn triggers() -> Res {
    let list: Vec<Value> = TRIGGERS
        .iter()
        .map(|(t, v)| {
            json!({
                "id": t.as_str(), "version": v, "status": "CURRENT",
                "runtimes": ["node18-actions", "node22"], "default_runtime": "node22",
                "compatible_triggers": [], "binding_policy": "trigger-bound",
            })
        })
        .collect();
    Ok(Json(json!({ "triggers": list })).into_response())
}

fn binding_json(a: &ActionConfig) -> Value {
    let at = a
        .managed
        .as_ref()
        .map_or_else(String::new, |m| m.updated_at.clone());
    json!({
        "id": uuid_from(&format!("binding:{}:{}", a.trigger.as_str(), a.id())),
        "trigger_id": a.trigger.as_str(),
        "display_name": a.name,
        "action": action_json(a),
        "created_at": at,
        "updated_at": at,
    })
}

/// `GET /api/v2/actions/triggers/{trigger_id}/bindings` (`page`, `per_page`): in execution
/// order.
pub(crate) async fn bindings(
    State(st): State<Arc<TenantState>>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Res {
    let t = trigger(&id)?;
    let page: usize = parse_num(&q, "page", 0)?;
    let per_page: usize = parse_num(&q, "per_page", 20)?.clamp(1, 100);
    let cfg = st.config();
    let all: Vec<Value> = cfg
        .actions
        .iter()
        .filter(|a| a.trigger == t && a.runs())
        .map(binding_json)
        .collect();
    let total = all.len();
    let list: Vec<Value> = all
        .into_iter()
        .skip(page * per_page)
        .take(per_page)
        .collect();
    Ok(
        Json(json!({ "total": total, "page": page, "per_page": per_page, "bindings": list }))
            .into_response(),
    )
}

/// `PATCH /api/v2/actions/triggers/{trigger_id}/bindings`: `{bindings: [{ref: {type:
/// action_id | action_name, value}, display_name}]}` becomes the trigger's bindings, in this
/// order.
pub(crate) async fn set_bindings(
    State(st): State<Arc<TenantState>>,
    Path(id): Path<String>,
    body: JsonBody,
) -> Res {
    let t = trigger(&id)?;
    let b = Body::new(body?.0, &["bindings"])?;
    let Some(Value::Array(list)) = b.0.get("bindings") else {
        return Err(ApiError::Payload(
            "Missing required property: bindings".into(),
        ));
    };
    let cfg = st.config();
    let mut ids = Vec::new();
    for item in list {
        let r = item.get("ref").unwrap_or(&Value::Null);
        let value = r.get("value").and_then(Value::as_str).ok_or_else(|| {
            ApiError::Payload("Missing required property: ref.value on property bindings".into())
        })?;
        let found = match r.get("type").and_then(Value::as_str) {
            Some("action_id") => cfg.actions.iter().find(|a| a.id() == value),
            Some("action_name") => cfg.actions.iter().find(|a| a.name == value),
            _ => {
                return Err(ApiError::Payload(
                    "ref.type must be action_id or action_name".into(),
                ));
            }
        };
        ids.push(found.ok_or(ApiError::NotFound(EntryKind::Action))?.id());
    }
    let bound = st.model.bind_actions(t, &ids, &now(&st))?;
    let list: Vec<Value> = bound.iter().map(binding_json).collect();
    Ok(Json(json!({ "bindings": list })).into_response())
}
