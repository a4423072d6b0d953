//! The browser side of the tenant over plain HTTPS, redirects not followed: `/authorize`, the
//! login form, the code and refresh grants, `/userinfo`, logout, revoke, CORS. Each test plays
//! one client (or one attacker) and asserts exact statuses, codes, bodies and headers.
//!
//! This module holds the browser ([`Agent`]) and the steps every flow shares, ending in
//! [`tokens_for`] (authorize, log in, take the code, exchange it); one module per flow below.

mod authorize;
mod client_documents;
mod code_grant;
mod dpop_cors;
mod refresh;
mod registration;
mod resource;
mod session;

use std::collections::HashMap;

use mock_idp::config::{
    DEFAULT_CALLBACK, DEFAULT_SPA_CLIENT_ID, DEFAULT_WEB_CLIENT_ID, DEFAULT_WEB_CLIENT_SECRET,
};
use mock_idp::config::{DEFAULT_USER_EMAIL, DEFAULT_USER_PASSWORD};
use mock_idp::{DpopKey, MockTenant, config::TenantConfig};
use serde_json::{Value, json};

use crate::support::{fetch_jwks, parts, verify};

/// A cookie-keeping HTTP client that does not follow redirects: one browser.
struct Agent {
    http: reqwest::Client,
    cookies: HashMap<String, String>,
}

#[derive(Debug)]
struct Reply {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Reply {
    fn location(&self) -> url::Url {
        let loc = self.headers["location"].to_str().unwrap();
        url::Url::parse(loc)
            .or_else(|_| url::Url::parse("https://tenant.invalid").unwrap().join(loc))
            .unwrap()
    }

    fn param(&self, name: &str) -> Option<String> {
        param(&self.location(), name)
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect()
    }

    /// An error page: HTML, 400, no redirect.
    fn assert_error_page(&self, text: &str) {
        assert_eq!(self.status, 400, "{}", self.body);
        assert!(self.headers.get("location").is_none());
        assert!(
            self.headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        assert!(self.body.contains(text), "{}", self.body);
    }

    /// A redirect to the callback with `error`, `error_description` and `state`.
    fn assert_redirected_error(&self, error: &str, description: &str) {
        assert_eq!(self.status, 302, "{}", self.body);
        let loc = self.location();
        assert_eq!(loc.as_str().split('?').next(), Some(DEFAULT_CALLBACK));
        assert_eq!(self.param("error").as_deref(), Some(error), "{loc}");
        assert_eq!(
            self.param("error_description").as_deref(),
            Some(description),
            "{loc}"
        );
        assert_eq!(self.param("state").as_deref(), Some("st4te"), "{loc}");
    }
}

fn param(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

impl Agent {
    fn new(tenant: &MockTenant) -> Agent {
        let cert = reqwest::Certificate::from_der(&tenant.ca().der()).unwrap();
        let http = reqwest::Client::builder()
            .tls_certs_only([cert])
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Agent {
            http,
            cookies: HashMap::new(),
        }
    }

    async fn send(&mut self, req: reqwest::RequestBuilder) -> Reply {
        let cookie: Vec<String> = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let req = if cookie.is_empty() {
            req
        } else {
            req.header("cookie", cookie.join("; "))
        };
        let res = req.send().await.unwrap();
        let reply = Reply {
            status: res.status().as_u16(),
            headers: res.headers().clone(),
            body: res.text().await.unwrap(),
        };
        for c in reply.set_cookies() {
            let kv = c.split(';').next().unwrap();
            let (k, v) = kv.split_once('=').unwrap();
            if v.is_empty() || c.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_owned(), v.to_owned());
            }
        }
        reply
    }

    async fn get(&mut self, url: &str) -> Reply {
        let req = self.http.get(url);
        self.send(req).await
    }

    async fn post(&mut self, url: &str, form: &[(&str, &str)]) -> Reply {
        let req = self.http.post(url).form(form);
        self.send(req).await
    }

    /// `/authorize` then, if asked, the login form: the final redirect.
    async fn authorize(&mut self, tenant: &MockTenant, params: &[(&str, &str)]) -> Reply {
        let res = self.get(&authorize_url(tenant, params)).await;
        if res.status == 302 && res.location().path() == "/u/login" {
            let tx = res.param("state").unwrap();
            let page = self
                .get(&format!("{}/u/login?state={tx}", tenant.uri()))
                .await;
            assert_eq!(page.status, 200, "{}", page.body);
            return self
                .post(
                    &format!("{}/u/login", tenant.uri()),
                    &[
                        ("state", &tx),
                        ("username", DEFAULT_USER_EMAIL),
                        ("password", DEFAULT_USER_PASSWORD),
                    ],
                )
                .await;
        }
        res
    }
}

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

fn authorize_url(tenant: &MockTenant, params: &[(&str, &str)]) -> String {
    let mut url = url::Url::parse(&tenant.urls().authorize()).unwrap();
    url.query_pairs_mut().extend_pairs(params);
    url.to_string()
}

/// The SPA's authorization request, with `extra` added or overriding.
fn spa_params<'a>(tenant_aud: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut p = vec![
        ("response_type", "code"),
        ("client_id", DEFAULT_SPA_CLIENT_ID),
        ("redirect_uri", DEFAULT_CALLBACK),
        ("scope", "openid profile email offline_access read:messages"),
        ("audience", tenant_aud),
        ("state", "st4te"),
        ("nonce", "n0nce"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    for (k, v) in extra {
        p.retain(|(n, _)| n != k);
        if !v.is_empty() {
            p.push((k, v));
        }
    }
    p
}

async fn exchange(
    agent: &mut Agent,
    tenant: &MockTenant,
    code: &str,
    extra: &[(&str, &str)],
) -> Reply {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("client_id", DEFAULT_SPA_CLIENT_ID),
        ("code", code),
        ("redirect_uri", DEFAULT_CALLBACK),
        ("code_verifier", VERIFIER),
    ];
    for (k, v) in extra {
        form.retain(|(n, _)| n != k);
        if !v.is_empty() {
            form.push((k, v));
        }
    }
    agent.post(&tenant.urls().token(), &form).await
}

async fn refresh(agent: &mut Agent, tenant: &MockTenant, token: &str) -> Reply {
    agent
        .post(
            &tenant.urls().token(),
            &[
                ("grant_type", "refresh_token"),
                ("client_id", DEFAULT_SPA_CLIENT_ID),
                ("refresh_token", token),
            ],
        )
        .await
}

/// Logs the default user in to the SPA: the code.
async fn code_for(agent: &mut Agent, tenant: &MockTenant, extra: &[(&str, &str)]) -> String {
    let aud = tenant.audience();
    let res = agent.authorize(tenant, &spa_params(aud, extra)).await;
    assert_eq!(res.status, 302, "{}", res.body);
    assert_eq!(res.param("state").as_deref(), Some("st4te"));
    res.param("code")
        .unwrap_or_else(|| panic!("no code in {}", res.location()))
}

fn assert_token_error(res: &Reply, status: u16, error: &str, description: &str) {
    assert_eq!(res.status, status, "{}", res.body);
    assert_eq!(
        res.json(),
        json!({"error": error, "error_description": description})
    );
}

/// The whole SPA flow for the default user: `/authorize` (with `extra`), the login form, the
/// code, and its exchange; the token response (200 asserted).
async fn tokens_for(agent: &mut Agent, tenant: &MockTenant, extra: &[(&str, &str)]) -> Value {
    let code = code_for(agent, tenant, extra).await;
    let res = exchange(agent, tenant, &code, &[]).await;
    assert_eq!(res.status, 200, "{}", res.body);
    res.json()
}
