//! The Test page's markup. Every value from the tenant or a request goes through
//! [`escape`]; the page loads nothing from elsewhere.

use std::path::Path;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::browser::html::{escape, respond};
use crate::tenant::state::TenantState;

/// What the last form did, shown at the top of the page.
#[derive(Debug, Default)]
pub(super) struct Outcome {
    /// A one-line result ("Rotated: the current key is now tenant-2").
    pub(super) notice: Option<String>,
    /// A form error.
    pub(super) error: Option<String>,
    /// A freshly minted token, with the proof to send with it when DPoP-bound.
    pub(super) minted: Option<Minted>,
}

#[derive(Debug)]
pub(super) struct Minted {
    pub(super) token: String,
    pub(super) header: Value,
    pub(super) claims: Value,
    /// `(proof, its key's thumbprint)` for a DPoP-bound token.
    pub(super) dpop: Option<(String, String)>,
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1e212a}\
header{background:#1e212a;color:#fff;padding:14px 24px}header h1{margin:0;font-size:1.2em}\
main{max-width:1100px;margin:0 auto;padding:16px 24px}section{background:#fff;border-radius:6px;padding:16px 20px;margin:16px 0;box-shadow:0 1px 4px rgba(0,0,0,.08)}\
h2{font-size:1.05em;margin:0 0 10px}table{border-collapse:collapse;width:100%;font-size:.9em}td,th{border-bottom:1px solid #e4e5e8;padding:6px 8px;text-align:left;vertical-align:top}\
code,pre,textarea{font-family:ui-monospace,monospace;font-size:.85em}pre{background:#f4f5f7;padding:10px;border-radius:4px;white-space:pre-wrap;word-break:break-all}\
label{display:inline-block;margin:6px 12px 6px 0}input,select,textarea{padding:6px;border:1px solid #c9cace;border-radius:3px}\
button{padding:7px 14px;border:0;border-radius:3px;background:#635dff;color:#fff;cursor:pointer;margin:4px 8px 4px 0}\
.notice{background:#e6f6ec;padding:10px;border-radius:4px}.error{background:#fde8e8;color:#a4111e;padding:10px;border-radius:4px}\
.grid{display:grid;grid-template-columns:1fr 1fr;gap:16px}";

/// Refreshes the journal every 3 s; the page works without it.
const JOURNAL_SCRIPT: &str = "setInterval(()=>fetch('/dashboard/journal').then(r=>r.ok?r.text():null).then(t=>{if(t!==null)document.getElementById('journal').innerHTML=t}),3000)";

/// The page as an HTTP response (CSP: inline style, the journal script by hash, forms to self).
pub(super) fn respond_page(st: &TenantState, outcome: &Outcome) -> Response {
    let mut res = respond(StatusCode::OK, page_html(st, outcome), "");
    let hash = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        crate::jose::sha256(JOURNAL_SCRIPT),
    );
    let csp = format!(
        "default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{hash}'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'"
    );
    if let Ok(v) = HeaderValue::from_str(&csp) {
        res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
    }
    // Browsers send `Origin: null` on a form POST from a no-referrer page; the forms' origin
    // check needs the real one.
    res.headers_mut()
        .insert("referrer-policy", HeaderValue::from_static("same-origin"));
    res
}

/// `GET /dashboard`.
pub(super) async fn page(State(st): State<Arc<TenantState>>) -> Response {
    respond_page(&st, &Outcome::default())
}

/// `GET /dashboard/journal`: the journal table alone (for the refresh script).
pub(super) async fn journal_fragment(State(st): State<Arc<TenantState>>) -> Response {
    respond(StatusCode::OK, journal(&st), "")
}

/// `GET /dashboard/ca.pem`: the CA certificate clients must trust.
pub(super) async fn ca_pem(State(st): State<Arc<TenantState>>) -> Response {
    match st.ca_pem.get() {
        Some(pem) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/x-pem-file"),
            )],
            pem.clone(),
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "this tenant serves plain HTTP").into_response(),
    }
}

/// The sign-in form (the admin secret `mock-idp serve` printed).
pub(super) fn sign_in(status: StatusCode, error: Option<&str>) -> Response {
    let error = error
        .map(|e| format!("<p class=\"error\" data-testid=\"error\">{}</p>", escape(e)))
        .unwrap_or_default();
    let body = format!(
        "<h1>mock-idp Test page</h1><p>Enter the admin secret <code>mock-idp serve</code> printed \
         (or <code>MOCK_IDP_ADMIN_SECRET</code>).</p>{error}\
         <form method=\"post\" action=\"/dashboard/session\">\
         <label for=\"secret\">Admin secret</label>\
         <input id=\"secret\" name=\"secret\" type=\"password\" autocomplete=\"off\" data-testid=\"secret\" required>\
         <button type=\"submit\" data-testid=\"sign-in\">Open the Test page</button></form>"
    );
    respond(
        status,
        crate::browser::html::page("mock-idp Test page", &body),
        "",
    )
}

fn page_html(st: &TenantState, outcome: &Outcome) -> String {
    let cfg = &st.config();
    let mut html = String::new();
    html.push_str(&format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>mock-idp Test page</title><style>{STYLE}</style></head><body>\
         <header><h1>mock-idp · {}</h1></header><main>",
        escape(&st.mint.issuer)
    ));
    if let Some(n) = &outcome.notice {
        html.push_str(&format!(
            "<p class=\"notice\" data-testid=\"notice\">{}</p>",
            escape(n)
        ));
    }
    if let Some(e) = &outcome.error {
        html.push_str(&format!(
            "<p class=\"error\" data-testid=\"error\">{}</p>",
            escape(e)
        ));
    }
    html.push_str(&facts(st));
    html.push_str(&mint_form(st));
    if let Some(m) = &outcome.minted {
        html.push_str(&minted(m));
    }
    html.push_str("<div class=\"grid\">");
    html.push_str(&keys(st));
    html.push_str(&clock_and_faults(st));
    html.push_str("</div>");
    html.push_str(&catalogue(cfg));
    html.push_str(&action_executions(st));
    html.push_str(&format!(
        "<section><h2>Journal (latest first)</h2><div id=\"journal\" data-testid=\"journal\">{}</div></section>",
        journal(st)
    ));
    html.push_str(&format!(
        "</main><script>{JOURNAL_SCRIPT}</script></body></html>\n"
    ));
    html
}

/// The file name the Test page's CA download saves as.
const CA_DOWNLOAD: &str = "mock-idp-ca.pem";

fn facts(st: &TenantState) -> String {
    let b = &st.base_url;
    // The CA as the download link saves it; over plain HTTP there is none to trust.
    let ca = st.ca_pem.get().map(|_| Path::new(CA_DOWNLOAD));
    let ca_hint = match ca {
        Some(_) => {
            let hints: Vec<String> = crate::ca_hints(CA_DOWNLOAD)
                .map(|(who, how)| format!("{who} <code>{}</code>", escape(&how)))
                .collect();
            format!(
                "<p>Trust the tenant's CA (<a href=\"/dashboard/ca.pem\" download=\"{CA_DOWNLOAD}\">download</a>; \
                 <code>mock-idp ca</code> prints its path): {}.</p>",
                hints.join(" · ")
            )
        }
        None => String::new(),
    };
    let snapshot = st.config();
    let audience = snapshot
        .default_api()
        .map(|a| a.identifier.as_str())
        .unwrap_or_default();
    let signing = snapshot
        .default_api()
        .map(|a| a.verifier_env())
        .unwrap_or_default();
    let env = crate::dotenv(st.domains.all(), audience, ca) + &signing;
    let ca_hint = format!(
        "{ca_hint}<p>A <code>.env</code> for an API that verifies this tenant's tokens \
         (<code>mock-idp init</code> writes it):</p><pre data-testid=\"dotenv\">{}</pre>",
        escape(&env)
    );
    format!(
        "<section data-testid=\"facts\"><h2>Tenant</h2><table>\
         <tr><th>Issuer</th><td><code data-testid=\"issuer\">{iss}</code></td></tr>\
         <tr><th>AUTH0_DOMAIN</th><td><code>{domain}</code></td></tr>\
         <tr><th>Discovery</th><td><code>{b}/.well-known/openid-configuration</code></td></tr>\
         <tr><th>JWKS</th><td><code>{b}/.well-known/jwks.json</code></td></tr>\
         <tr><th>Token endpoint</th><td><code>POST {b}/oauth/token</code></td></tr>\
         <tr><th>Login</th><td><code>{b}/authorize</code></td></tr></table>{ca_hint}</section>",
        iss = escape(&st.mint.issuer),
        domain = escape(b.split_once("://").map_or(b.as_str(), |(_, d)| d)),
        b = escape(b),
    )
}

fn options<'a>(items: impl Iterator<Item = (&'a str, String)>) -> String {
    items
        .map(|(value, label)| {
            format!(
                "<option value=\"{}\">{}</option>",
                escape(value),
                escape(&label)
            )
        })
        .collect()
}

fn mint_form(st: &TenantState) -> String {
    let cfg = &st.config();
    let apis = options(
        cfg.apis
            .iter()
            .map(|a| (a.identifier.as_str(), a.identifier.clone())),
    );
    let apps = options(cfg.applications.iter().map(|a| {
        let label = match &a.name {
            Some(n) => format!("{} ({n})", a.client_id),
            None => a.client_id.clone(),
        };
        (a.client_id.as_str(), label)
    }));
    let users = options(
        std::iter::once(("", "none: a machine token (client_credentials)".to_owned())).chain(
            cfg.users()
                .take(SHOWN_USERS)
                .map(|u| (u.email.as_str(), u.email.clone())),
        ),
    );
    format!(
        "<section><h2>Mint a token</h2><form method=\"post\" action=\"/dashboard/mint\" data-testid=\"mint-form\">\
         <label>API <select name=\"audience\" data-testid=\"audience\">{apis}</select></label>\
         <label>Application <select name=\"client_id\" data-testid=\"client\">{apps}</select></label>\
         <label>User <select name=\"user\" data-testid=\"user\">{users}</select></label><br>\
         <label>Scopes <input name=\"scope\" size=\"40\" placeholder=\"all granted\" data-testid=\"scope\"></label>\
         <label>Lifetime (s) <input name=\"expires_in\" type=\"number\" placeholder=\"the API's\" data-testid=\"expires-in\"></label>\
         <label><input type=\"checkbox\" name=\"dpop\" value=\"on\" data-testid=\"dpop\"> DPoP-bound</label><br>\
         <label>Custom claims (JSON object)<br><textarea name=\"claims\" rows=\"2\" cols=\"60\" placeholder='{{\"https://example.com/tier\": \"gold\"}}' data-testid=\"claims\"></textarea></label><br>\
         <button type=\"submit\" data-testid=\"mint\">Mint</button></form></section>"
    )
}

fn minted(m: &Minted) -> String {
    let pretty = |v: &Value| serde_json::to_string_pretty(v).unwrap_or_default();
    let api = "http://127.0.0.1:5000/api/private";
    let curl = match &m.dpop {
        None => format!("curl -H \"Authorization: Bearer {}\" {api}", m.token),
        Some((proof, _)) => format!(
            "curl -H \"Authorization: DPoP {}\" -H \"DPoP: {proof}\" {api}\n# the proof is for GET {api}; make one per request with: mock-idp proof --url URL --token TOKEN",
            m.token
        ),
    };
    format!(
        "<section data-testid=\"minted\"><h2>Token</h2><pre data-testid=\"token\">{}</pre>\
         <div class=\"grid\"><div><h2>Header</h2><pre data-testid=\"token-header\">{}</pre></div>\
         <div><h2>Claims</h2><pre data-testid=\"token-claims\">{}</pre></div></div>\
         <h2>Call an API with it</h2><pre data-testid=\"curl\">{}</pre></section>",
        escape(&m.token),
        escape(&pretty(&m.header)),
        escape(&pretty(&m.claims)),
        escape(&curl)
    )
}

fn keys(st: &TenantState) -> String {
    // Published keys only: revoked ones are no longer the page's business.
    let rows: String = crate::control::signing_keys::keys_with_roles(st)
        .iter()
        .filter(|(_, role)| *role != crate::control::signing_keys::Role::Revoked)
        .map(|(k, role)| {
            let role = role.as_str();
            format!(
                "<tr data-testid=\"key-{role}\"><td><code>{}</code></td><td>{role}</td></tr>",
                escape(k.kid())
            )
        })
        .collect();
    format!(
        "<section><h2>Signing keys</h2><table><tr><th>kid</th><th>role</th></tr>{rows}</table>\
         <form method=\"post\" action=\"/dashboard/keys/rotate\"><button type=\"submit\" data-testid=\"rotate\">Rotate</button></form>\
         <form method=\"post\" action=\"/dashboard/keys/revoke\"><button type=\"submit\" data-testid=\"revoke\">Revoke the previous key</button></form></section>"
    )
}

fn clock_and_faults(st: &TenantState) -> String {
    let c = &st.mint.clock;
    let faults: String = st
        .faults
        .list()
        .iter()
        .map(|(e, w, f)| format!("<li>{}</li>", escape(&format!("{e:?}: {f:?} ({w:?})"))))
        .collect();
    let faults = if faults.is_empty() {
        "<p>No faults.</p>".to_owned()
    } else {
        format!("<ul data-testid=\"faults\">{faults}</ul>")
    };
    format!(
        "<section><h2>Clock</h2><p data-testid=\"clock\">now {} (offset {} s{})</p>\
         <form method=\"post\" action=\"/dashboard/clock\">\
         <label>Advance by (s) <input name=\"advance\" type=\"number\" value=\"3600\" data-testid=\"advance\"></label>\
         <button type=\"submit\" name=\"op\" value=\"advance\" data-testid=\"advance-button\">Advance</button>\
         <button type=\"submit\" name=\"op\" value=\"real\">Back to real time</button></form>\
         <h2>Faults</h2>{faults}\
         <form method=\"post\" action=\"/dashboard/faults\">\
         <label>Endpoint <select name=\"endpoint\"><option>jwks</option><option>discovery</option><option>token</option></select></label>\
         <label>Fault <select name=\"kind\"><option value=\"status\">status</option><option value=\"delay\">delay (ms)</option>\
         <option value=\"malformed_body\">malformed body</option><option value=\"drop_connection\">drop connection</option></select></label>\
         <label>Value <input name=\"value\" size=\"6\" value=\"503\"></label>\
         <label>For the next <input name=\"next\" type=\"number\" size=\"4\" placeholder=\"all\"> calls</label>\
         <button type=\"submit\" data-testid=\"add-fault\">Add</button></form>\
         <form method=\"post\" action=\"/dashboard/faults/clear\"><button type=\"submit\">Clear faults</button></form>\
         <form method=\"post\" action=\"/dashboard/reset\"><button type=\"submit\">Reset (faults, overrides, clock, journal)</button></form></section>",
        c.now(),
        c.offset(),
        if c.is_frozen() { ", frozen" } else { "" }
    )
}

/// How many users the page lists (a tenant may hold tens of thousands).
const SHOWN_USERS: usize = 200;

fn catalogue(cfg: &crate::config::Snapshot) -> String {
    let apis: String = cfg
        .apis
        .iter()
        .map(|a| {
            format!(
                "<tr><td><code>{}</code></td><td>{:?}</td><td>{}</td></tr>",
                escape(&a.identifier),
                a.dialect,
                escape(&a.permissions.join(" "))
            )
        })
        .collect();
    let apps: String = cfg
        .applications
        .iter()
        .map(|a| {
            let grants: Vec<String> = a
                .grants
                .iter()
                .map(|(aud, s)| format!("{aud}: {}", s.join(" ")))
                .collect();
            format!(
                "<tr><td><code>{}</code></td><td>{:?}{}</td><td>{}</td></tr>",
                escape(&a.client_id),
                a.app_type,
                // Dynamically registered clients are third-party (`/oidc/register`).
                if a.is_first_party {
                    ""
                } else {
                    ", third-party"
                },
                escape(&grants.join("; "))
            )
        })
        .collect();
    let roles: String = cfg
        .roles
        .iter()
        .map(|r| {
            let perms: Vec<String> = r
                .permissions
                .iter()
                .map(|(aud, p)| format!("{aud}: {}", p.join(" ")))
                .collect();
            format!(
                "<tr><td>{}</td><td>{}</td></tr>",
                escape(&r.name),
                escape(&perms.join("; "))
            )
        })
        .collect();
    let user_forms = "<form method=\"post\" action=\"/dashboard/users\" data-testid=\"create-user\">\
         <input name=\"email\" placeholder=\"email\" data-testid=\"user-email\"> <input name=\"password\" placeholder=\"password\" data-testid=\"user-password\"> \
         <button type=\"submit\">Create user</button></form>\
         <form method=\"post\" action=\"/dashboard/users/delete\"><input name=\"user_id\" placeholder=\"user_id\"> <button type=\"submit\">Delete user</button></form>";
    let role_forms = "<form method=\"post\" action=\"/dashboard/roles\"><input name=\"name\" placeholder=\"role name\"> <button type=\"submit\">Create role</button></form>\
         <form method=\"post\" action=\"/dashboard/roles/delete\"><input name=\"name\" placeholder=\"role name\"> <button type=\"submit\">Delete role</button></form>";
    let app_forms = "<form method=\"post\" action=\"/dashboard/applications\"><input name=\"name\" placeholder=\"name\"> <button type=\"submit\">Create machine-to-machine application</button></form>\
         <form method=\"post\" action=\"/dashboard/applications/delete\"><input name=\"client_id\" placeholder=\"client_id\"> <button type=\"submit\">Delete application</button></form>";
    let users: String = cfg
        .users()
        .take(SHOWN_USERS)
        .map(|u| {
            format!(
                "<tr><td>{}</td><td><code>{}</code></td></tr>",
                escape(&u.email),
                escape(&u.id())
            )
        })
        .collect();
    format!(
        "<section><h2>APIs</h2><table><tr><th>identifier</th><th>dialect</th><th>permissions</th></tr>{apis}</table></section>\
         <section><h2>Applications</h2><table><tr><th>client_id</th><th>type</th><th>client grants</th></tr>{apps}</table>{app_forms}</section>\
         <section><h2>Users</h2><table><tr><th>email</th><th>user_id</th></tr>{users}</table>{user_forms}</section>\
         <section><h2>Roles</h2><table><tr><th>name</th><th>permissions</th></tr>{roles}</table>{role_forms}</section>"
    )
}

/// The 20 latest requests, newest first.
fn journal(st: &TenantState) -> String {
    let rows: String = st
        .journal
        .map_recent(20, |r| {
            let target = match &r.query {
                Some(q) => format!("{}?{q}", r.path),
                None => r.path.clone(),
            };
            format!(
                "<tr><td>{}</td><td><code>{}</code></td></tr>",
                escape(&r.method),
                escape(&target)
            )
        })
        .into_iter()
        .rev()
        .collect();
    format!("<table><tr><th>method</th><th>target</th></tr>{rows}</table>")
}

/// The tenant's Actions and their 20 latest executions, newest first (only with Actions).
fn action_executions(st: &TenantState) -> String {
    let cfg = st.config();
    if cfg.actions.is_empty() {
        return String::new();
    }
    // What runs, in binding order: drafts and unbound Actions (Management API) do not.
    let bound: String = cfg
        .actions
        .iter()
        .filter(|a| a.runs())
        .map(|a| {
            format!(
                "<tr><td>{}</td><td>{}</td></tr>",
                escape(&a.name),
                a.trigger.as_str()
            )
        })
        .collect();
    let runs: String = st
        .actions
        .executions()
        .iter()
        .rev()
        .take(20)
        .map(|e| {
            let mut detail = e.message.clone();
            for d in &e.dropped_claims {
                if !detail.is_empty() {
                    detail.push_str("; ");
                }
                detail.push_str(d);
            }
            format!(
                "<tr data-testid=\"action-execution\"><td>{}</td><td>{}</td><td>{}</td><td>{} ms</td><td>{}</td></tr>",
                escape(&e.action),
                escape(&e.trigger),
                escape(&e.outcome),
                e.micros / 1000,
                escape(&detail)
            )
        })
        .collect();
    format!(
        "<section data-testid=\"actions\"><h2>Actions</h2>\
         <table><tr><th>name</th><th>trigger (in binding order)</th></tr>{bound}</table>\
         <h2>Last executions (latest first)</h2>\
         <table><tr><th>action</th><th>trigger</th><th>outcome</th><th>time</th><th>message</th></tr>{runs}</table></section>"
    )
}
