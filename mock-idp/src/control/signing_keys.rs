//! Signing keys through Auth0's Management API shape (`/api/v2/keys/signing`), plus the two
//! steps only a mock needs separately (publish a next key, retire any key).
//!
//! Auth0's life cycle: one key signs (`current`), one waits in the JWKS (`next`), and after a
//! rotation the old current stays published as `previous` until revoked. In the key ring that
//! is the order of the published keys: before the current one are previous keys, after it the
//! next ones; retired keys are `revoked`.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::ControlError;
use crate::keys::SigningKey;
use crate::tenant::state::TenantState;

/// A key's place in the life cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Previous,
    Current,
    Next,
    Revoked,
}

/// Every key the ring knows, with its role, published ones in JWKS order.
pub(crate) fn keys_with_roles(st: &TenantState) -> Vec<(SigningKey, Role)> {
    let ring = &st.mint.keys;
    let current = ring.current();
    let published = ring.published();
    let at = published.iter().position(|k| k.kid() == current.kid());
    let mut out: Vec<(SigningKey, Role)> = published
        .into_iter()
        .enumerate()
        .map(|(i, k)| {
            let role = match at {
                Some(c) if i < c => Role::Previous,
                Some(c) if i == c => Role::Current,
                _ => Role::Next,
            };
            (k, role)
        })
        .collect();
    out.extend(ring.retired().into_iter().map(|k| (k, Role::Revoked)));
    out
}

impl Role {
    /// The Management API's name for the role.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Role::Previous => "previous",
            Role::Current => "current",
            Role::Next => "next",
            Role::Revoked => "revoked",
        }
    }
}

/// The Management API's signing-key object.
fn key_json(key: &SigningKey, role: Role) -> Value {
    use base64::Engine as _;
    let (cert, sha1) = match key.certificate_der() {
        Some(der) => {
            let b64 = base64::engine::general_purpose::STANDARD.encode(der);
            let lines: Vec<&str> = b64
                .as_bytes()
                .chunks(64)
                .map(|c| std::str::from_utf8(c).unwrap_or(""))
                .collect();
            let pem = format!(
                "-----BEGIN CERTIFICATE-----\r\n{}\r\n-----END CERTIFICATE-----\r\n",
                lines.join("\r\n")
            );
            let digest =
                aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, der);
            (Some(pem), Some(digest.as_ref().to_vec()))
        }
        None => (None, None),
    };
    let hex: Option<Vec<String>> = sha1.map(|d| d.iter().map(|b| format!("{b:02X}")).collect());
    json!({
        "kid": key.kid(),
        "cert": cert,
        "fingerprint": hex.as_ref().map(|h| h.join(":")),
        "thumbprint": hex.as_ref().map(|h| h.concat()),
        "current": role == Role::Current,
        "next": role == Role::Next,
        "previous": role == Role::Previous,
        "revoked": role == Role::Revoked,
    })
}

fn find(st: &TenantState, kid: &str) -> Result<(SigningKey, Role), ControlError> {
    keys_with_roles(st)
        .into_iter()
        .find(|(k, _)| k.kid() == kid)
        .ok_or_else(|| ControlError::NotFound("Signing key not found".into()))
}

/// `GET /api/v2/keys/signing`: every key with its role.
pub(super) async fn list(State(st): State<Arc<TenantState>>) -> Response {
    let keys: Vec<Value> = keys_with_roles(&st)
        .iter()
        .map(|(k, r)| key_json(k, *r))
        .collect();
    axum::Json(keys).into_response()
}

/// Auth0's rotation: the next key signs, the old current becomes previous, and a new next key
/// is published. Returns the new current kid.
pub(crate) fn rotate_keys(st: &TenantState) -> Result<String, ControlError> {
    let ring = &st.mint.keys;
    // Checked before anything changes: a refused rotation leaves the ring as it was.
    ring.room_to_publish()
        .map_err(|e| ControlError::Conflict(format!("cannot rotate: {e}")))?;
    let kid = ring
        .try_rotate()
        .map_err(|e| ControlError::Conflict(format!("cannot rotate: {e}")))?;
    ring.try_publish_next()
        .map_err(|e| ControlError::Conflict(format!("cannot create a next key: {e}")))?;
    Ok(kid)
}

/// The previous keys (published, older than the current one), oldest first.
pub(crate) fn previous_kids(st: &TenantState) -> Vec<String> {
    keys_with_roles(st)
        .into_iter()
        .filter(|(_, r)| *r == Role::Previous)
        .map(|(k, _)| k.kid().to_owned())
        .collect()
}

/// `POST /api/v2/keys/signing/rotate`: [`rotate_keys`]; 201 with `{kid, cert}` of the new
/// current key.
pub(super) async fn rotate(State(st): State<Arc<TenantState>>) -> Result<Response, ControlError> {
    let kid = rotate_keys(&st)?;
    let (key, role) = find(&st, &kid)?;
    let body = key_json(&key, role);
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({ "kid": body["kid"], "cert": body["cert"] })),
    )
        .into_response())
}

/// `PUT /api/v2/keys/signing/{kid}/revoke`: only a previous key may be revoked; it leaves the
/// JWKS for good.
pub(super) async fn revoke(
    State(st): State<Arc<TenantState>>,
    Path(kid): Path<String>,
) -> Result<Response, ControlError> {
    let (key, role) = find(&st, &kid)?;
    match role {
        Role::Previous => {
            st.mint.keys.retire(&kid);
            Ok(axum::Json(key_json(&key, Role::Revoked)).into_response())
        }
        Role::Revoked => Err(ControlError::Conflict("The key is already revoked".into())),
        Role::Current | Role::Next => Err(ControlError::Conflict(
            "Only the previous signing key can be revoked".into(),
        )),
    }
}

/// `POST /control/keys/publish-next`: a key in the JWKS that does not sign yet.
pub(super) async fn publish_next(
    State(st): State<Arc<TenantState>>,
) -> Result<Response, ControlError> {
    let kid = st
        .mint
        .keys
        .try_publish_next()
        .map_err(|e| ControlError::Conflict(format!("cannot create a next key: {e}")))?;
    let (key, role) = find(&st, &kid)?;
    Ok((StatusCode::CREATED, axum::Json(key_json(&key, role))).into_response())
}

/// `POST /control/keys/{kid}/retire`: removes any published key from the JWKS, the current
/// one included (a tenant that signs with a key it no longer publishes).
pub(super) async fn retire(
    State(st): State<Arc<TenantState>>,
    Path(kid): Path<String>,
) -> Result<Response, ControlError> {
    if !st.mint.keys.retire(&kid) {
        return Err(ControlError::NotFound("Signing key not found".into()));
    }
    let (key, role) = find(&st, &kid)?;
    Ok(axum::Json(key_json(&key, role)).into_response())
}
