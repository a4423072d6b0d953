//! The mock's own controls: clock, faults, overrides, DPoP nonce, journal, call counts, reset.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::ControlError;
use crate::tenant::faults::{Endpoint, Fault, When};
use crate::tenant::state::TenantState;

/// `GET /control/clock`.
pub(super) async fn clock(State(st): State<Arc<TenantState>>) -> Response {
    Json(clock_json(&st)).into_response()
}

fn clock_json(st: &TenantState) -> Value {
    let c = &st.mint.clock;
    json!({ "now": c.now(), "offset": c.offset(), "frozen": c.is_frozen() })
}

/// `POST /control/clock` body: each field given is applied, in this order.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ClockChange {
    /// Stop (`true`) or restart (`false`) the clock.
    freeze: Option<bool>,
    /// Stop the clock at this unix time.
    set: Option<i64>,
    /// Replace the offset from real time (seconds).
    offset: Option<i64>,
    /// Move the clock by this many seconds (negative: back).
    advance: Option<i64>,
}

pub(super) async fn set_clock(
    State(st): State<Arc<TenantState>>,
    body: Result<Json<ClockChange>, JsonRejection>,
) -> Result<Response, ControlError> {
    let Json(change) = body?;
    let c = &st.mint.clock;
    match change.freeze {
        Some(true) => c.freeze(),
        Some(false) => c.unfreeze(),
        None => {}
    }
    if let Some(t) = change.set {
        c.freeze_at(t);
    }
    if let Some(o) = change.offset {
        c.set_offset(o);
    }
    if let Some(a) = change.advance {
        c.advance(a);
    }
    Ok(Json(clock_json(&st)).into_response())
}

/// When a fault applies: `"always"`, `{"next": 3}` (the next three calls) or `{"call": 2}`
/// (call number 2 since the tenant started).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub(super) enum WhenSpec {
    #[default]
    Always,
    Next(usize),
    Call(usize),
    /// Calls `from..=to` (what `next` becomes once registered).
    Calls {
        from: usize,
        to: usize,
    },
}

/// `POST /control/faults` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FaultRequest {
    endpoint: Endpoint,
    fault: Fault,
    #[serde(default)]
    when: WhenSpec,
}

pub(super) async fn add_fault(
    State(st): State<Arc<TenantState>>,
    body: Result<Json<FaultRequest>, JsonRejection>,
) -> Result<Response, ControlError> {
    let Json(req) = body?;
    let fault = req.fault;
    match req.when {
        WhenSpec::Always => st.faults.add(req.endpoint, When::Always, fault),
        WhenSpec::Next(0) | WhenSpec::Call(0) => {
            return Err(ControlError::BadRequest(
                "call numbers and counts start at 1".into(),
            ));
        }
        WhenSpec::Next(n) => st.faults.add_next(req.endpoint, n, fault),
        WhenSpec::Call(n) => st.faults.add(req.endpoint, When::Calls(n..=n), fault),
        WhenSpec::Calls { from, to } if from == 0 || to < from => {
            return Err(ControlError::BadRequest(
                "calls: from must be at least 1 and to at least from".into(),
            ));
        }
        WhenSpec::Calls { from, to } => st.faults.add(req.endpoint, When::Calls(from..=to), fault),
    }
    Ok((StatusCode::CREATED, Json(faults_json(&st))).into_response())
}

fn faults_json(st: &TenantState) -> Value {
    let list: Vec<Value> = st
        .faults
        .list()
        .into_iter()
        .map(|(endpoint, when, fault)| {
            let when = match when {
                When::Always => WhenSpec::Always,
                When::Calls(r) => WhenSpec::Calls {
                    from: *r.start(),
                    to: *r.end(),
                },
            };
            json!({ "endpoint": endpoint, "fault": fault, "when": when })
        })
        .collect();
    json!(list)
}

pub(super) async fn faults(State(st): State<Arc<TenantState>>) -> Response {
    Json(faults_json(&st)).into_response()
}

pub(super) async fn clear_faults(State(st): State<Arc<TenantState>>) -> StatusCode {
    st.faults.clear();
    StatusCode::NO_CONTENT
}

/// The documents that can be overridden.
fn override_slot<'a>(
    st: &'a TenantState,
    document: &str,
) -> Result<&'a std::sync::RwLock<Option<Value>>, ControlError> {
    match document {
        "jwks" => Ok(&st.jwks_override),
        "discovery" => Ok(&st.discovery_override),
        other => Err(ControlError::NotFound(format!(
            "No document `{other}` (jwks or discovery)"
        ))),
    }
}

/// `PUT /control/overrides/{jwks|discovery}`: serve exactly this JSON.
pub(super) async fn set_override(
    State(st): State<Arc<TenantState>>,
    Path(document): Path<String>,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<StatusCode, ControlError> {
    let slot = override_slot(&st, &document)?;
    let Json(doc) = body?;
    *slot.write().unwrap_or_else(|e| e.into_inner()) = Some(doc);
    Ok(StatusCode::NO_CONTENT)
}

pub(super) async fn clear_override(
    State(st): State<Arc<TenantState>>,
    Path(document): Path<String>,
) -> Result<StatusCode, ControlError> {
    *override_slot(&st, &document)?
        .write()
        .unwrap_or_else(|e| e.into_inner()) = None;
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT /control/dpop-nonce`: require (and rotate) the token endpoint's DPoP nonce.
pub(super) async fn require_nonce(State(st): State<Arc<TenantState>>) -> Response {
    let nonce = st.require_dpop_nonce();
    Json(json!({ "nonce": nonce })).into_response()
}

pub(super) async fn disable_nonce(State(st): State<Arc<TenantState>>) -> StatusCode {
    *st.dpop_nonce.write().unwrap_or_else(|e| e.into_inner()) = None;
    StatusCode::NO_CONTENT
}

/// `GET /control/journal?limit=N`: the most recent requests (all kept ones without `limit`),
/// oldest first; bodies as text.
pub(super) async fn journal(
    State(st): State<Arc<TenantState>>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ControlError> {
    let limit = match q.get("limit") {
        None => usize::MAX,
        Some(l) => l
            .parse::<usize>()
            .map_err(|_| ControlError::BadRequest(format!("limit `{l}` is not a count")))?,
    };
    let list: Vec<Value> = st.journal.map_recent(limit, |r| {
        json!({
            "method": r.method,
            "path": r.path,
            "query": r.query,
            "headers": r.headers,
            "body": r.body_text(),
        })
    });
    Ok(Json(list).into_response())
}

pub(super) async fn clear_journal(State(st): State<Arc<TenantState>>) -> StatusCode {
    st.journal.clear();
    StatusCode::NO_CONTENT
}

/// `GET /control/stats`: calls per endpoint since the tenant started (faulted ones included).
pub(super) async fn stats(State(st): State<Arc<TenantState>>) -> Response {
    Json(json!({
        "discovery_fetches": st.faults.calls(Endpoint::Discovery),
        "jwks_fetches": st.faults.calls(Endpoint::Jwks),
        "token_requests": st.faults.calls(Endpoint::Token),
    }))
    .into_response()
}

/// `POST /control/reset`: [`reset_state`].
pub(super) async fn reset(State(st): State<Arc<TenantState>>) -> StatusCode {
    reset_state(&st);
    StatusCode::NO_CONTENT
}

/// No faults, overrides, upstream, nonce or journal, the clock back to real time, the
/// configuration back to the one the tenant started with (its file: what the Management API
/// changed is undone). Keys stay as they are (rotate or retire them explicitly), and so do
/// call counts, sessions and issued tokens.
pub(crate) fn reset_state(st: &TenantState) {
    st.model.reset();
    st.faults.clear();
    *st.jwks_override.write().unwrap_or_else(|e| e.into_inner()) = None;
    *st.discovery_override
        .write()
        .unwrap_or_else(|e| e.into_inner()) = None;
    st.cache_control
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .clear();
    *st.dpop_nonce.write().unwrap_or_else(|e| e.into_inner()) = None;
    *st.upstream.write().unwrap_or_else(|e| e.into_inner()) = None;
    st.journal.clear();
    st.mint.clock.unfreeze();
    st.mint.clock.set_offset(0);
}
