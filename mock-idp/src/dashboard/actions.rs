//! The Test page's forms. Each calls the same operation the control API route does (key
//! rotation, clock, faults, reset) or the token builder a Rust test uses, then shows the page
//! again with what happened.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Form;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::COOKIE;
use super::render::{Minted, Outcome, respond_page, sign_in as sign_in_page};
use crate::control::{signing_keys, tenant as controls};
use crate::jose::decode_unverified;
use crate::mint::dpop_key::DpopKey;
use crate::mint::token::TokenBuilder;
use crate::tenant::faults::{Endpoint, Fault, When};
use crate::tenant::state::TenantState;
use crate::tenant::{access, admin_sessions};

type Fields = Form<HashMap<String, String>>;

fn field<'a>(f: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    f.get(name).map(|s| s.trim()).filter(|s| !s.is_empty())
}

fn notice(st: &TenantState, text: String) -> Response {
    respond_page(
        st,
        &Outcome {
            notice: Some(text),
            ..Outcome::default()
        },
    )
}

fn error(st: &TenantState, text: String) -> Response {
    let mut res = respond_page(
        st,
        &Outcome {
            error: Some(text),
            ..Outcome::default()
        },
    );
    *res.status_mut() = StatusCode::BAD_REQUEST;
    res
}

/// `POST /dashboard/session`: the admin secret, checked, starts a Test page session whose
/// random id becomes a cookie for this origin.
pub(super) async fn sign_in(State(st): State<Arc<TenantState>>, Form(f): Fields) -> Response {
    if st.admin_secret().is_none() {
        return crate::responses::not_found().await;
    }
    let given = f.get("secret").map(String::as_str).unwrap_or("");
    if !access::is_admin_secret(&st, given) {
        return sign_in_page(
            StatusCode::UNAUTHORIZED,
            Some("That is not the admin secret."),
        );
    }
    let secure = if st.base_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let session = st.admin_sessions.start(admin_sessions::real_now());
    let set = format!("{COOKIE}={session}; Path=/dashboard; HttpOnly; SameSite=Strict{secure}");
    let mut res = (StatusCode::SEE_OTHER, [(header::LOCATION, "/dashboard")]).into_response();
    if let Ok(v) = HeaderValue::from_str(&set) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    res
}

/// `POST /dashboard/mint`: a token for the chosen API, application and (optional) user.
pub(super) async fn mint(State(st): State<Arc<TenantState>>, Form(f): Fields) -> Response {
    match minted(&st, &f) {
        Ok(m) => respond_page(
            &st,
            &Outcome {
                minted: Some(m),
                ..Outcome::default()
            },
        ),
        Err(e) => error(&st, e),
    }
}

fn minted(st: &TenantState, f: &HashMap<String, String>) -> Result<Minted, String> {
    let cfg = &st.config();
    let api = field(f, "audience")
        .and_then(|a| cfg.api(a))
        .or_else(|| cfg.default_api())
        .ok_or("the tenant has no API")?;
    let app = field(f, "client_id")
        .map(|c| cfg.application(c).ok_or(format!("no application `{c}`")))
        .transpose()?;
    let scopes: Vec<String> = match field(f, "scope") {
        Some(s) => s.split_whitespace().map(str::to_owned).collect(),
        None => app
            .and_then(|a| a.grants.get(&api.identifier).cloned())
            .unwrap_or_else(|| api.permissions.clone()),
    };
    let key = DpopKey::fixture();
    let bound = field(f, "dpop").is_some();
    let mut b = TokenBuilder::for_grant(
        &st.mint(),
        api,
        app,
        &scopes,
        bound.then(|| key.thumbprint()),
    );
    if let Some(email) = field(f, "user") {
        let user = cfg
            .user_by_email(email)
            .filter(|u| u.email == email)
            .ok_or(format!("no user `{email}`"))?;
        b = b.for_user(user, cfg);
    }
    if let Some(secs) = field(f, "expires_in") {
        let secs: i64 = secs
            .parse()
            .map_err(|_| format!("lifetime `{secs}` is not a number of seconds"))?;
        b = b.expires_in(secs);
    }
    if let Some(text) = field(f, "claims") {
        let claims: Value =
            serde_json::from_str(text).map_err(|e| format!("custom claims: not JSON ({e})"))?;
        if !claims.is_object() {
            return Err("custom claims: expected a JSON object".into());
        }
        b = b.claims(&claims);
    }
    let token = b.build();
    let decoded = decode_unverified(&token).map_err(|e| e.to_string())?;
    let dpop = bound.then(|| {
        let proof = key
            .proof("GET", "http://127.0.0.1:5000/api/private")
            .access_token(&token)
            .clock(&st.mint.clock)
            .build();
        (proof, key.thumbprint())
    });
    Ok(Minted {
        token,
        header: decoded.header,
        claims: decoded.payload,
        dpop,
    })
}

/// `POST /dashboard/keys/rotate`.
pub(super) async fn rotate(State(st): State<Arc<TenantState>>) -> Response {
    match signing_keys::rotate_keys(&st) {
        Ok(kid) => notice(
            &st,
            format!("Rotated: {kid} signs now; the old key stays published as previous."),
        ),
        Err(e) => error(&st, e.to_string()),
    }
}

/// `POST /dashboard/keys/revoke`: revokes the previous keys (they leave the JWKS).
pub(super) async fn revoke(State(st): State<Arc<TenantState>>) -> Response {
    let previous = signing_keys::previous_kids(&st);
    if previous.is_empty() {
        return error(&st, "There is no previous key: rotate first.".into());
    }
    for kid in &previous {
        st.mint.keys.retire(kid);
    }
    notice(&st, format!("Revoked {}.", previous.join(", ")))
}

/// `POST /dashboard/clock`: advance, or back to real time.
pub(super) async fn clock(State(st): State<Arc<TenantState>>, Form(f): Fields) -> Response {
    let c = &st.mint.clock;
    match field(&f, "op") {
        Some("real") => {
            c.unfreeze();
            c.set_offset(0);
            notice(&st, "The clock follows real time again.".into())
        }
        _ => match field(&f, "advance").map(str::parse::<i64>) {
            Some(Ok(secs)) => {
                c.advance(secs);
                notice(&st, format!("Advanced the clock by {secs} s."))
            }
            _ => error(&st, "Advance by a whole number of seconds.".into()),
        },
    }
}

/// `POST /dashboard/faults`.
pub(super) async fn add_fault(State(st): State<Arc<TenantState>>, Form(f): Fields) -> Response {
    let endpoint = match field(&f, "endpoint") {
        Some("discovery") => Endpoint::Discovery,
        Some("token") => Endpoint::Token,
        _ => Endpoint::Jwks,
    };
    let value = field(&f, "value").unwrap_or("");
    let fault = match field(&f, "kind") {
        Some("delay") => match value.parse() {
            Ok(ms) => Fault::Delay(Duration::from_millis(ms)),
            Err(_) => {
                return error(
                    &st,
                    format!("delay `{value}` is not a number of milliseconds"),
                );
            }
        },
        Some("malformed_body") => Fault::MalformedBody,
        Some("drop_connection") => Fault::DropConnection,
        _ => match value.parse::<u16>() {
            Ok(s) if (100..=599).contains(&s) => Fault::Status(s),
            _ => return error(&st, format!("status `{value}` is not an HTTP status")),
        },
    };
    let summary = format!("{endpoint:?}: {fault:?}");
    match field(&f, "next").map(str::parse::<usize>) {
        None => st.faults.add(endpoint, When::Always, fault),
        Some(Ok(n)) if n > 0 => st.faults.add_next(endpoint, n, fault),
        _ => return error(&st, "`next` is a count of calls, at least 1".into()),
    }
    notice(&st, format!("Added {summary}."))
}

pub(super) async fn clear_faults(State(st): State<Arc<TenantState>>) -> Response {
    st.faults.clear();
    notice(&st, "No faults.".into())
}

pub(super) async fn reset(State(st): State<Arc<TenantState>>) -> Response {
    controls::reset_state(&st);
    notice(
        &st,
        "Reset: no faults, overrides or journal; real time.".into(),
    )
}
