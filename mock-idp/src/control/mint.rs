//! Minting through the control API: a token or a DPoP proof from its JSON description, the
//! same [`TokenSpec`]/[`ProofSpec`] `mock-idp token`/`proof --spec` read.

use std::sync::Arc;

use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::{Value, json};

use super::ControlError;
use crate::jose::decode_unverified;
use crate::mint::dpop_key::DpopKey;
use crate::mint::spec::{ProofSpec, TokenSpec};
use crate::mint::token::TokenBuilder;
use crate::tenant::access::{self, Caller};
use crate::tenant::state::TenantState;

/// `POST /control/tokens`: body = a [`TokenSpec`] (`{}` is the tenant's default token).
/// Answers the token, and its header and claims decoded.
/// A client caller gets no token that outlives its own, nor a Management API token with a
/// scope it lacks ([`crate::tenant::access::may_mint`]): 403.
pub(super) async fn token(
    State(st): State<Arc<TenantState>>,
    caller: Option<Extension<Caller>>,
    body: Result<Json<TokenSpec>, JsonRejection>,
) -> Result<Response, ControlError> {
    let Json(spec) = body?;
    let token = spec.apply(TokenBuilder::new(&st.mint())).build();
    let decoded = decode_unverified(&token).ok();
    // The door always sets it; without it, refuse rather than assume the operator.
    let Some(Extension(caller)) = caller else {
        return Err(ControlError::Unauthorized("Missing authentication".into()));
    };
    let claims = decoded.as_ref().map_or(Value::Null, |d| d.payload.clone());
    access::may_mint(&st, &caller, &claims).map_err(|e| ControlError::Forbidden(e.to_string()))?;
    Ok(Json(json!({
        "token": token,
        "header": decoded.as_ref().map(|d| &d.header),
        "claims": decoded.as_ref().map(|d| &d.payload),
    }))
    .into_response())
}

/// `POST /control/proofs` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ProofRequest {
    /// The request's method.
    method: String,
    /// The request's URL.
    url: String,
    /// The DPoP key (PKCS#8 PEM, P-256); default: the fixed fixture key.
    key_pem: Option<String>,
    /// Everything else about the proof.
    #[serde(default)]
    spec: ProofSpec,
}

/// `POST /control/proofs`: a proof by the given key (or the fixture key) on the tenant's
/// clock, with its key's thumbprint (`cnf.jkt` for a bound token).
pub(super) async fn proof(
    State(st): State<Arc<TenantState>>,
    body: Result<Json<ProofRequest>, JsonRejection>,
) -> Result<Response, ControlError> {
    let Json(req) = body?;
    let key = match &req.key_pem {
        Some(pem) => DpopKey::from_pkcs8_pem(pem)
            .map_err(|e| ControlError::BadRequest(format!("key_pem: {e}")))?,
        None => DpopKey::fixture(),
    };
    let proof = req
        .spec
        .apply(key.proof(&req.method, &req.url).clock(&st.mint.clock))
        .build();
    Ok(Json(json!({ "proof": proof, "jkt": key.thumbprint() })).into_response())
}
