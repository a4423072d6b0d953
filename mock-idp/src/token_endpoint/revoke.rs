//! `POST /oauth/revoke` (RFC 7009) as Auth0 answers it: 200 with an empty body, for unknown
//! tokens too; revoking a refresh token revokes its family.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::{TokenError, client_auth, params};
use crate::tenant::state::TenantState;

/// The handler.
pub(crate) async fn revoke(
    State(st): State<Arc<TenantState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match run(&st, &headers, &body) {
        Ok(()) => {
            let mut res = StatusCode::OK.into_response();
            res.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            res
        }
        Err(e) => e.into_response(),
    }
}

fn run(st: &TenantState, headers: &HeaderMap, body: &[u8]) -> Result<(), TokenError> {
    let params = params::parse_params(headers, body)?;
    let cfg = st.config();
    // A client ID metadata document client whose document is cached (it has logged in).
    let document_client = params
        .get("client_id")
        .and_then(|id| st.client_documents.cached(id, st.mint.clock.now()));
    let app = client_auth::authenticate(&cfg, document_client.as_deref(), headers, &params)?;
    let token = params
        .get("token")
        .ok_or_else(|| TokenError::InvalidRequest("Missing required parameter: token".into()))?;
    st.refresh_tokens
        .revoke_token(token, &app.client_id, st.mint.clock.now());
    Ok(())
}
