//! The Test page's users, roles and applications forms: create and delete, through the
//! tenant model's own methods (the ones Auth0's Management API calls), behind the Test page's
//! session, which the one rule in `tenant::access` checks.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::render::{Outcome, respond_page};
use crate::config::{AppType, ApplicationConfig, RoleConfig, UserConfig};
use crate::tenant::state::TenantState;

type Fields = Form<HashMap<String, String>>;

fn field<'a>(f: &'a HashMap<String, String>, name: &str) -> &'a str {
    f.get(name).map_or("", |s| s.trim())
}

/// The page again, with what happened.
fn answer(st: &TenantState, done: Result<String, String>) -> Response {
    let failed = done.is_err();
    let outcome = match done {
        Ok(text) => Outcome {
            notice: Some(text),
            ..Outcome::default()
        },
        Err(text) => Outcome {
            error: Some(text),
            ..Outcome::default()
        },
    };
    let mut res = respond_page(st, &outcome);
    if failed {
        *res.status_mut() = StatusCode::BAD_REQUEST;
    }
    res
}

/// `POST /dashboard/users`: `email`, `password`.
pub(super) async fn create_user(State(st): State<Arc<TenantState>>, Form(f): Fields) -> Response {
    let user = UserConfig::new(field(&f, "email"), field(&f, "password"));
    let done = st
        .model
        .create_user(user)
        .map(|u| format!("Created user {} ({}).", u.email, u.user_id))
        .map_err(|e| e.to_string());
    answer(&st, done)
}

/// `POST /dashboard/users/delete`: `user_id`.
pub(super) async fn delete_user(State(st): State<Arc<TenantState>>, Form(f): Fields) -> Response {
    let id = field(&f, "user_id");
    let done = st
        .model
        .delete_user(id)
        .map(|()| format!("Deleted user {id}."))
        .map_err(|e| e.to_string());
    answer(&st, done)
}

/// `POST /dashboard/roles`: `name`.
pub(super) async fn create_role(State(st): State<Arc<TenantState>>, Form(f): Fields) -> Response {
    let role = RoleConfig::new(field(&f, "name"));
    let done = if role.name.is_empty() {
        Err("A role needs a name.".to_owned())
    } else {
        st.model
            .create_role(role)
            .map(|r| format!("Created role {}.", r.name))
            .map_err(|e| e.to_string())
    };
    answer(&st, done)
}

/// `POST /dashboard/roles/delete`: `name`.
pub(super) async fn delete_role(State(st): State<Arc<TenantState>>, Form(f): Fields) -> Response {
    let name = field(&f, "name");
    let done = st
        .model
        .delete_role(name)
        .map(|()| format!("Deleted role {name}."))
        .map_err(|e| e.to_string());
    answer(&st, done)
}

/// `POST /dashboard/applications`: `name`, a machine-to-machine application with a new
/// client_id and secret.
pub(super) async fn create_client(State(st): State<Arc<TenantState>>, Form(f): Fields) -> Response {
    let id = crate::jose::random_id();
    let mut app = ApplicationConfig::machine(&id, &crate::jose::random_id());
    app.app_type = AppType::NonInteractive;
    app.name = Some(field(&f, "name").to_owned()).filter(|n| !n.is_empty());
    let done = st
        .model
        .create_client(app)
        .map(|a| {
            format!(
                "Created application {} (secret {}).",
                a.client_id, a.client_secret
            )
        })
        .map_err(|e| e.to_string());
    answer(&st, done)
}

/// `POST /dashboard/applications/delete`: `client_id`.
pub(super) async fn delete_client(State(st): State<Arc<TenantState>>, Form(f): Fields) -> Response {
    let id = field(&f, "client_id");
    let done = st
        .model
        .delete_client(id)
        .map(|()| format!("Deleted application {id}."))
        .map_err(|e| e.to_string());
    answer(&st, done)
}
