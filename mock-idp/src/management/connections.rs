//! `/api/v2/connections`: the tenant's one database connection, `Username-Password-Authentication`,
//! enough for Auth0's clients and the Deploy CLI to resolve it (read only: its users are the
//! tenant's users).

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::IntoResponse;
use serde_json::{Value, json};

use super::error::{ApiError, Res};
use super::paging::Page;
use crate::config::{DATABASE_CONNECTION, Snapshot};
use crate::tenant::state::TenantState;

/// The database connection's id (fixed: there is one).
pub(crate) const DATABASE_CONNECTION_ID: &str = "con_mockidpdatabase1";

/// Auth0's connection object for the database connection.
pub(crate) fn connection_json(cfg: &Snapshot) -> Value {
    json!({
        "id": DATABASE_CONNECTION_ID,
        "name": DATABASE_CONNECTION,
        "display_name": DATABASE_CONNECTION,
        "strategy": "auth0",
        "is_domain_connection": false,
        "realms": [DATABASE_CONNECTION],
        "enabled_clients": cfg.applications.iter().map(|a| a.client_id.clone()).collect::<Vec<_>>(),
        "options": {
            "brute_force_protection": true,
            "disable_signup": false,
            "requires_username": false,
            "passwordPolicy": "good",
            "strategy_version": 2,
        },
    })
}

/// `GET /api/v2/connections` (`name`, `strategy` filters).
pub(crate) async fn list(
    State(st): State<Arc<TenantState>>,
    Query(q): Query<HashMap<String, String>>,
) -> Res {
    let page = Page::from_query(&q)?;
    let cfg = st.config();
    let c = connection_json(&cfg);
    let keep = q.get("name").is_none_or(|n| n == DATABASE_CONNECTION)
        && q.get("strategy")
            .is_none_or(|s| s.split(',').any(|x| x == "auth0"));
    let list = if keep { vec![c] } else { Vec::new() };
    page.answer("connections", list)
}

/// `GET /api/v2/connections/{id}`.
pub(crate) async fn get(State(st): State<Arc<TenantState>>, Path(id): Path<String>) -> Res {
    if id != DATABASE_CONNECTION_ID {
        return Err(ApiError::NoConnectionFound);
    }
    Ok(Json(connection_json(&st.config())).into_response())
}

/// The database connection as an organization lists it enabled (`enabled_connections`,
/// `connections`), with these login settings.
pub(crate) fn enabled_connection_json(
    cfg: &Snapshot,
    assign_membership: bool,
    button: bool,
) -> Value {
    let c = connection_json(cfg);
    json!({
        "connection_id": DATABASE_CONNECTION_ID,
        "assign_membership_on_login": assign_membership,
        "show_as_button": button,
        "connection": {"name": c["name"], "strategy": c["strategy"]},
    })
}
