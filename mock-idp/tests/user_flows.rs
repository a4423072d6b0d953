//! The browser side of the tenant over plain HTTPS, redirects not followed: `/authorize`, the
//! login form, the code and refresh grants, `/userinfo`, logout, revoke, CORS. Each test plays
//! one client (or one attacker) and asserts exact statuses, codes, bodies and headers.

use std::collections::HashMap;

use mock_idp::config::{
    DEFAULT_CALLBACK, DEFAULT_SPA_CLIENT_ID, DEFAULT_WEB_CLIENT_ID, DEFAULT_WEB_CLIENT_SECRET,
};
use mock_idp::config::{DEFAULT_USER_EMAIL, DEFAULT_USER_PASSWORD};
use mock_idp::{DpopKey, MockTenant, TenantConfig};
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
        let cert = reqwest::Certificate::from_der(&tenant.ca_der()).unwrap();
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
    let mut url = url::Url::parse(&tenant.authorize_url()).unwrap();
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
    agent.post(&tenant.token_url(), &form).await
}

async fn refresh(agent: &mut Agent, tenant: &MockTenant, token: &str) -> Reply {
    agent
        .post(
            &tenant.token_url(),
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
    let res = agent.authorize(tenant, &spa_params(&aud, extra)).await;
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

#[tokio::test]
async fn every_advertised_endpoint_answers() {
    let tenant = MockTenant::start().await;
    let http = tenant.http_client();
    let doc: Value = http
        .get(tenant.discovery_url())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["response_types_supported"], json!(["code"]));
    assert_eq!(
        doc["response_modes_supported"],
        json!(["query", "fragment", "form_post"])
    );
    assert_eq!(doc["code_challenge_methods_supported"], json!(["S256"]));
    for scope in [
        "openid",
        "profile",
        "email",
        "offline_access",
        "read:messages",
    ] {
        assert!(
            doc["scopes_supported"]
                .as_array()
                .unwrap()
                .contains(&json!(scope))
        );
    }
    let endpoints = [
        ("authorization_endpoint", "GET"),
        ("token_endpoint", "POST"),
        ("userinfo_endpoint", "GET"),
        ("jwks_uri", "GET"),
        ("revocation_endpoint", "POST"),
        ("end_session_endpoint", "GET"),
    ];
    let keys: Vec<&str> = doc
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| k.ends_with("_endpoint") || k.ends_with("_uri"))
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys.len(),
        endpoints.len(),
        "every advertised endpoint is walked: {keys:?}"
    );
    for (key, method) in endpoints {
        let url = doc[key].as_str().unwrap();
        let req = if method == "GET" {
            http.get(url)
        } else {
            http.post(url)
        };
        let status = req.send().await.unwrap().status().as_u16();
        assert!(
            status != 404 && status != 405 && status < 500,
            "{key} {url}: {status}"
        );
    }
}

#[tokio::test]
async fn login_with_pkce_issues_auth0_shaped_tokens() {
    let tenant = MockTenant::start().await;
    let mut agent = Agent::new(&tenant);
    let aud = tenant.audience();
    let res = agent
        .get(&authorize_url(
            &tenant,
            &spa_params(&aud, &[("login_hint", DEFAULT_USER_EMAIL)]),
        ))
        .await;
    assert_eq!(res.status, 302);
    assert_eq!(res.location().path(), "/u/login");
    let did = res
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("did="))
        .unwrap();
    assert!(
        did.contains("HttpOnly") && did.contains("Secure") && did.contains("SameSite=Lax"),
        "{did}"
    );
    let tx = res.param("state").unwrap();

    let page = agent
        .get(&format!("{}/u/login?state={tx}", tenant.uri()))
        .await;
    assert_eq!(page.status, 200);
    for attr in [
        "data-testid=\"login-email\"",
        "name=\"username\"",
        "name=\"password\"",
        "data-testid=\"login-submit\"",
        "<label for=\"username\">",
        &format!("value=\"{DEFAULT_USER_EMAIL}\""),
    ] {
        assert!(page.body.contains(attr), "{attr} missing");
    }
    assert!(
        page.headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );

    let login = format!("{}/u/login", tenant.uri());
    let wrong = agent
        .post(
            &login,
            &[
                ("state", &tx),
                ("username", DEFAULT_USER_EMAIL),
                ("password", "nope"),
            ],
        )
        .await;
    assert_eq!(wrong.status, 400);
    assert!(
        wrong.body.contains("data-testid=\"login-error\"")
            && wrong.body.contains("Wrong email or password")
    );
    assert!(!agent.cookies.contains_key("auth0"));

    let ok = agent
        .post(
            &login,
            &[
                ("state", &tx),
                ("username", DEFAULT_USER_EMAIL),
                ("password", DEFAULT_USER_PASSWORD),
            ],
        )
        .await;
    assert_eq!(ok.status, 302, "{}", ok.body);
    let session = ok
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("auth0="))
        .unwrap();
    assert!(
        session.contains("HttpOnly")
            && session.contains("Secure")
            && session.contains("SameSite=Lax")
            && session.contains("Path=/"),
        "{session}"
    );
    let cb = ok.location();
    assert_eq!(cb.as_str().split('?').next().unwrap(), DEFAULT_CALLBACK);
    assert_eq!(param(&cb, "state").as_deref(), Some("st4te"));
    let code = param(&cb, "code").unwrap();

    let res = exchange(&mut agent, &tenant, &code, &[]).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.headers["cache-control"], "no-store");
    let body = res.json();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(
        body["scope"],
        "openid profile email offline_access read:messages"
    );
    assert_eq!(body["expires_in"], 86400);
    assert!(body["refresh_token"].as_str().unwrap().starts_with("v1."));

    let jwks = fetch_jwks(&tenant).await;
    let at = verify(
        body["access_token"].as_str().unwrap(),
        &jwks,
        tenant.issuer(),
        &aud,
    )
    .unwrap();
    let user = tenant.config().user_by_email(DEFAULT_USER_EMAIL).unwrap();
    assert_eq!(at["sub"], user.id());
    assert!(user.id().starts_with("auth0|"));
    assert_eq!(
        at["aud"],
        json!([aud, format!("{}/userinfo", tenant.uri())])
    );
    assert_eq!(at["azp"], DEFAULT_SPA_CLIENT_ID);
    assert_eq!(
        at["scope"],
        "openid profile email offline_access read:messages"
    );
    assert!(at.get("gty").is_none(), "no gty for the code flow: {at}");

    let id = verify(
        body["id_token"].as_str().unwrap(),
        &jwks,
        tenant.issuer(),
        DEFAULT_SPA_CLIENT_ID,
    )
    .unwrap();
    let (header, _) = parts(body["id_token"].as_str().unwrap());
    assert_eq!(header["alg"], "RS256");
    assert_eq!(id["sub"], user.id());
    assert_eq!(id["nonce"], "n0nce");
    assert_eq!(id["email"], DEFAULT_USER_EMAIL);
    assert_eq!(id["email_verified"], true);
    assert_eq!(id["name"], "Test User");
    assert_eq!(id["nickname"], "user");
    assert!(id["updated_at"].is_string());
    assert!(id["sid"].is_string() && id["auth_time"].is_i64());
    assert_eq!(
        id["exp"].as_i64().unwrap() - id["iat"].as_i64().unwrap(),
        36000
    );
}

#[tokio::test]
async fn untrusted_client_or_redirect_uri_gets_an_error_page_never_a_redirect() {
    let tenant = MockTenant::start().await;
    let mut agent = Agent::new(&tenant);
    let aud = tenant.audience();
    let mismatch = "Callback URL mismatch. The provided redirect_uri is not in the list of allowed callback URLs.";
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            vec![("client_id", "no-such-client")],
            "Unknown client: no-such-client",
        ),
        (
            vec![("client_id", "")],
            "Missing required parameter: client_id",
        ),
        (
            vec![("redirect_uri", "")],
            "Missing required parameter: redirect_uri",
        ),
        (
            vec![("redirect_uri", "https://evil.example/callback")],
            mismatch,
        ),
        (
            vec![("redirect_uri", "http://localhost:3000/callback/../evil")],
            mismatch,
        ),
        (
            vec![("redirect_uri", "http://localhost:3000/callbackx")],
            mismatch,
        ),
        (
            vec![("redirect_uri", "http://localhost:3000/callback/")],
            mismatch,
        ),
        (
            vec![("redirect_uri", "http://localhost:3000/Callback")],
            mismatch,
        ),
        (
            vec![("redirect_uri", "http://LOCALHOST:3000/callback")],
            mismatch,
        ),
        (
            vec![(
                "redirect_uri",
                "http://localhost:3000/callback?next=https://evil.example",
            )],
            mismatch,
        ),
        (
            vec![("redirect_uri", "http://localhost:3000/callback#x")],
            mismatch,
        ),
        (
            vec![(
                "redirect_uri",
                "http://localhost:3000.evil.example/callback",
            )],
            mismatch,
        ),
        (
            vec![("redirect_uri", "http://user@localhost:3000/callback")],
            mismatch,
        ),
        (
            vec![("redirect_uri", "https://localhost:3000/callback")],
            mismatch,
        ),
        // The M2M application has no callbacks at all.
        (vec![("client_id", "mock-test-client")], mismatch),
    ];
    for (extra, text) in cases {
        let res = agent
            .get(&authorize_url(&tenant, &spa_params(&aud, &extra)))
            .await;
        res.assert_error_page(text);
    }
    // A repeated parameter is ambiguous: refused before anything is trusted.
    let url = format!(
        "{}&redirect_uri=https%3A%2F%2Fevil.example",
        authorize_url(&tenant, &spa_params(&aud, &[]))
    );
    agent
        .get(&url)
        .await
        .assert_error_page("must not be repeated");
    // Escaping: nothing from the request reaches the page as markup.
    let res = agent
        .get(&authorize_url(
            &tenant,
            &spa_params(&aud, &[("client_id", "<script>x</script>")]),
        ))
        .await;
    res.assert_error_page("&lt;script&gt;");
    assert!(!res.body.contains("<script>x"));
}

#[tokio::test]
async fn other_authorize_errors_go_back_to_the_application_with_state() {
    let tenant = MockTenant::start().await;
    let mut agent = Agent::new(&tenant);
    let aud = tenant.audience();
    type Case<'a> = (Vec<(&'a str, &'a str)>, &'a str, &'a str);
    let cases: Vec<Case> = vec![
        (
            vec![("response_type", "token")],
            "unsupported_response_type",
            "Unsupported response type: token",
        ),
        (
            vec![("response_type", "")],
            "invalid_request",
            "Missing required parameter: response_type",
        ),
        (
            vec![("code_challenge", ""), ("code_challenge_method", "")],
            "invalid_request",
            "Missing required parameter: code_challenge",
        ),
        (
            vec![("code_challenge_method", "plain")],
            "invalid_request",
            "Unsupported code_challenge_method: plain",
        ),
        (
            vec![("code_challenge_method", "")],
            "invalid_request",
            "Unsupported code_challenge_method: plain",
        ),
        (
            vec![("code_challenge", "too-short")],
            "invalid_request",
            "Invalid code_challenge",
        ),
        (
            vec![("audience", "https://unknown-api")],
            "access_denied",
            "Service not found: https://unknown-api",
        ),
        (vec![("prompt", "none")], "login_required", "Login required"),
        (
            vec![("prompt", "none login")],
            "invalid_request",
            "prompt=none must not be combined with other values",
        ),
        (
            vec![("max_age", "-1")],
            "invalid_request",
            "max_age must be a non-negative integer",
        ),
        (
            vec![("response_mode", "web_message")],
            "invalid_request",
            "Unsupported response_mode: web_message",
        ),
        (
            vec![("dpop_jkt", "not-a-thumbprint")],
            "invalid_request",
            "dpop_jkt must be a base64url SHA-256 JWK thumbprint",
        ),
    ];
    for (extra, error, description) in cases {
        let res = agent
            .get(&authorize_url(&tenant, &spa_params(&aud, &extra)))
            .await;
        res.assert_redirected_error(error, description);
    }
    // An application without the grant.
    let mut cfg = TenantConfig::default();
    cfg.applications[1].grant_types = Some(vec![mock_idp::GrantType::RefreshToken]);
    let tenant = MockTenant::builder().config(cfg).start().await;
    let res = Agent::new(&tenant)
        .get(&authorize_url(&tenant, &spa_params(&aud, &[])))
        .await;
    res.assert_redirected_error(
        "unauthorized_client",
        "Grant type 'authorization_code' not allowed for the client.",
    );
}

#[tokio::test]
async fn response_modes_fragment_and_form_post() {
    let tenant = MockTenant::builder()
        .auto_login(DEFAULT_USER_EMAIL)
        .start()
        .await;
    let mut agent = Agent::new(&tenant);
    let aud = tenant.audience();
    let res = agent
        .get(&authorize_url(
            &tenant,
            &spa_params(&aud, &[("response_mode", "fragment")]),
        ))
        .await;
    assert_eq!(res.status, 302);
    let loc = res.location();
    assert!(loc.query().is_none());
    let frag: HashMap<String, String> =
        url::form_urlencoded::parse(loc.fragment().unwrap().as_bytes())
            .into_owned()
            .collect();
    assert_eq!(frag["state"], "st4te");
    assert!(frag.contains_key("code"));

    let res = agent
        .get(&authorize_url(
            &tenant,
            &spa_params(
                &aud,
                &[("response_mode", "form_post"), ("state", "<\"st4te\">")],
            ),
        ))
        .await;
    assert_eq!(res.status, 200);
    assert!(
        res.body
            .contains("<form method=\"post\" action=\"http://localhost:3000/callback\">"),
        "{}",
        res.body
    );
    assert!(
        res.body
            .contains("name=\"state\" value=\"&lt;&quot;st4te&quot;&gt;\"")
    );
    assert!(res.body.contains("name=\"code\""));
    let csp = res.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("script-src 'sha256-") && csp.contains("form-action http://localhost:3000"),
        "{csp}"
    );
}

#[tokio::test]
async fn code_exchange_refuses_every_misuse() {
    let tenant = MockTenant::start().await;
    let mut agent = Agent::new(&tenant);
    let invalid = "Invalid authorization code";

    // Wrong PKCE verifier; missing verifier. The code is spent by the failed attempt.
    let code = code_for(&mut agent, &tenant, &[]).await;
    let other = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXx";
    assert_token_error(
        &exchange(&mut agent, &tenant, &code, &[("code_verifier", other)]).await,
        403,
        "invalid_grant",
        "Failed to verify code verifier",
    );
    assert_token_error(
        &exchange(&mut agent, &tenant, &code, &[]).await,
        403,
        "invalid_grant",
        invalid,
    );
    let code = code_for(&mut agent, &tenant, &[]).await;
    assert_token_error(
        &exchange(&mut agent, &tenant, &code, &[("code_verifier", "")]).await,
        403,
        "invalid_grant",
        "Failed to verify code verifier",
    );

    // Wrong redirect_uri at the token endpoint.
    let code = code_for(&mut agent, &tenant, &[]).await;
    let res = exchange(
        &mut agent,
        &tenant,
        &code,
        &[("redirect_uri", "http://localhost:3000")],
    )
    .await;
    assert_token_error(
        &res,
        403,
        "invalid_grant",
        "The redirect_uri does not match the one of the authorization request",
    );

    // Another client presents the SPA's code (with valid credentials of its own).
    let code = code_for(&mut agent, &tenant, &[]).await;
    let res = exchange(
        &mut agent,
        &tenant,
        &code,
        &[
            ("client_id", DEFAULT_WEB_CLIENT_ID),
            ("client_secret", DEFAULT_WEB_CLIENT_SECRET),
        ],
    )
    .await;
    assert_token_error(&res, 403, "invalid_grant", invalid);

    // Unknown code; missing code.
    assert_token_error(
        &exchange(&mut agent, &tenant, "made-up", &[]).await,
        403,
        "invalid_grant",
        invalid,
    );
    assert_token_error(
        &exchange(&mut agent, &tenant, "", &[("code", "")]).await,
        400,
        "invalid_request",
        "Missing required parameter: code",
    );

    // Expired (the tenant's virtual clock moves past the code's 10 minutes).
    let code = code_for(&mut agent, &tenant, &[]).await;
    tenant.clock().advance(601);
    assert_token_error(
        &exchange(&mut agent, &tenant, &code, &[]).await,
        403,
        "invalid_grant",
        invalid,
    );
}

#[tokio::test]
async fn a_replayed_code_fails_and_revokes_the_refresh_token_it_produced() {
    let tenant = MockTenant::start().await;
    let mut agent = Agent::new(&tenant);
    let code = code_for(&mut agent, &tenant, &[]).await;
    let first = exchange(&mut agent, &tenant, &code, &[]).await;
    assert_eq!(first.status, 200);
    let rt = first.json()["refresh_token"].as_str().unwrap().to_owned();
    assert_token_error(
        &exchange(&mut agent, &tenant, &code, &[]).await,
        403,
        "invalid_grant",
        "Invalid authorization code",
    );
    assert_token_error(
        &refresh(&mut agent, &tenant, &rt).await,
        403,
        "invalid_grant",
        "Unknown or invalid refresh token.",
    );
}

#[tokio::test]
async fn confidential_clients_authenticate_and_pkce_cannot_be_downgraded() {
    let tenant = MockTenant::start().await;
    let mut agent = Agent::new(&tenant);
    let aud = tenant.audience();
    let web = |extra: Vec<(&'static str, &'static str)>| {
        let mut p = vec![
            ("client_id", DEFAULT_WEB_CLIENT_ID),
            ("code_challenge", ""),
            ("code_challenge_method", ""),
        ];
        p.extend(extra);
        p
    };
    let code_of = |r: &Reply| r.param("code").unwrap();
    // A regular web app may skip PKCE; then a verifier at the token endpoint is a downgrade.
    let res = agent
        .authorize(&tenant, &spa_params(&aud, &web(vec![])))
        .await;
    let code = code_of(&res);
    let res = exchange(
        &mut agent,
        &tenant,
        &code,
        &[
            ("client_id", DEFAULT_WEB_CLIENT_ID),
            ("client_secret", DEFAULT_WEB_CLIENT_SECRET),
        ],
    )
    .await;
    assert_token_error(&res, 403, "invalid_grant", "Failed to verify code verifier");
    // Wrong secret; no secret.
    for secret in ["wrong", ""] {
        let res = agent
            .authorize(&tenant, &spa_params(&aud, &web(vec![])))
            .await;
        let code = code_of(&res);
        let res = exchange(
            &mut agent,
            &tenant,
            &code,
            &[
                ("client_id", DEFAULT_WEB_CLIENT_ID),
                ("client_secret", secret),
                ("code_verifier", ""),
            ],
        )
        .await;
        assert_eq!(res.status, 401, "{}", res.body);
        assert_eq!(res.json()["error_description"], "Unauthorized");
    }
    // Right secret: tokens, and a non-rotating refresh token that serves twice.
    let res = agent
        .authorize(&tenant, &spa_params(&aud, &web(vec![])))
        .await;
    let code = code_of(&res);
    let res = exchange(
        &mut agent,
        &tenant,
        &code,
        &[
            ("client_id", DEFAULT_WEB_CLIENT_ID),
            ("client_secret", DEFAULT_WEB_CLIENT_SECRET),
            ("code_verifier", ""),
        ],
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.body);
    let rt = res.json()["refresh_token"].as_str().unwrap().to_owned();
    for _ in 0..2 {
        let res = agent
            .post(
                &tenant.token_url(),
                &[
                    ("grant_type", "refresh_token"),
                    ("client_id", DEFAULT_WEB_CLIENT_ID),
                    ("client_secret", DEFAULT_WEB_CLIENT_SECRET),
                    ("refresh_token", &rt),
                ],
            )
            .await;
        assert_eq!(res.status, 200, "{}", res.body);
        assert!(
            res.json().get("refresh_token").is_none(),
            "no rotation: no new refresh token"
        );
        assert!(res.json()["id_token"].is_string());
    }
    // The M2M app may not use the code grant.
    let res = agent
        .post(
            &tenant.token_url(),
            &[
                ("grant_type", "authorization_code"),
                ("client_id", "mock-test-client"),
                ("client_secret", "mock-test-secret"),
                ("code", "x"),
            ],
        )
        .await;
    assert_token_error(
        &res,
        403,
        "unauthorized_client",
        "Grant type 'authorization_code' not allowed for the client.",
    );
}

#[tokio::test]
async fn rotating_refresh_tokens_detect_reuse_and_revoke_the_family() {
    let tenant = MockTenant::start().await;
    let mut agent = Agent::new(&tenant);
    let code = code_for(&mut agent, &tenant, &[]).await;
    let rt1 = exchange(&mut agent, &tenant, &code, &[]).await.json()["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();

    let res = refresh(&mut agent, &tenant, &rt1).await;
    assert_eq!(res.status, 200, "{}", res.body);
    let body = res.json();
    let rt2 = body["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(rt1, rt2);
    let jwks = fetch_jwks(&tenant).await;
    let id = verify(
        body["id_token"].as_str().unwrap(),
        &jwks,
        tenant.issuer(),
        DEFAULT_SPA_CLIENT_ID,
    )
    .unwrap();
    assert!(id.get("nonce").is_none());
    assert_eq!(
        body["scope"],
        "openid profile email offline_access read:messages"
    );

    // Narrowing is allowed, widening is not.
    let res = agent
        .post(
            &tenant.token_url(),
            &[
                ("grant_type", "refresh_token"),
                ("client_id", DEFAULT_SPA_CLIENT_ID),
                ("refresh_token", &rt2),
                ("scope", "openid write:messages"),
            ],
        )
        .await;
    assert_token_error(
        &res,
        403,
        "access_denied",
        "Client has not been granted scopes: write:messages",
    );

    // rt1 comes back: refused, and rt2 (the live one) dies with the family.
    let reuse = "Unknown or invalid refresh token.";
    assert_token_error(
        &refresh(&mut agent, &tenant, &rt1).await,
        403,
        "invalid_grant",
        reuse,
    );
    assert_token_error(
        &refresh(&mut agent, &tenant, &rt2).await,
        403,
        "invalid_grant",
        reuse,
    );
    assert_token_error(
        &refresh(&mut agent, &tenant, "v1.made-up").await,
        403,
        "invalid_grant",
        reuse,
    );
    // Another client cannot use the SPA's token.
    let code = code_for(&mut agent, &tenant, &[]).await;
    let rt = exchange(&mut agent, &tenant, &code, &[]).await.json()["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = agent
        .post(
            &tenant.token_url(),
            &[
                ("grant_type", "refresh_token"),
                ("client_id", DEFAULT_WEB_CLIENT_ID),
                ("client_secret", DEFAULT_WEB_CLIENT_SECRET),
                ("refresh_token", &rt),
            ],
        )
        .await;
    assert_token_error(&res, 403, "invalid_grant", reuse);
    assert_eq!(
        refresh(&mut agent, &tenant, &rt).await.status,
        200,
        "a foreign attempt does not burn the token"
    );
}

#[tokio::test]
async fn refresh_tokens_expire_after_their_absolute_lifetime() {
    let tenant = MockTenant::start().await;
    let mut agent = Agent::new(&tenant);
    let code = code_for(&mut agent, &tenant, &[]).await;
    let mut rt = exchange(&mut agent, &tenant, &code, &[]).await.json()["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    for _ in 0..3 {
        tenant.clock().advance(800_000); // inside the idle lifetime, renewed by each use
        let res = refresh(&mut agent, &tenant, &rt).await;
        assert_eq!(res.status, 200, "{}", res.body);
        rt = res.json()["refresh_token"].as_str().unwrap().to_owned();
    }
    // 2,400,001 s: still inside the family's 2,592,000 s; 2,600,001 s: past it, though the
    // last rotation was recent (rotation does not extend the family).
    tenant.clock().advance(1);
    let res = refresh(&mut agent, &tenant, &rt).await;
    assert_eq!(res.status, 200);
    rt = res.json()["refresh_token"].as_str().unwrap().to_owned();
    tenant.clock().advance(200_000);
    assert_eq!(refresh(&mut agent, &tenant, &rt).await.status, 403);
}

#[tokio::test]
async fn revoke_answers_200_empty_and_kills_the_family() {
    let tenant = MockTenant::start().await;
    let mut agent = Agent::new(&tenant);
    let code = code_for(&mut agent, &tenant, &[]).await;
    let rt = exchange(&mut agent, &tenant, &code, &[]).await.json()["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let revoke = format!("{}/oauth/revoke", tenant.uri());
    for token in ["unknown-token", rt.as_str()] {
        let res = agent
            .post(
                &revoke,
                &[
                    ("client_id", DEFAULT_SPA_CLIENT_ID),
                    ("token", token),
                    ("token_type_hint", "refresh_token"),
                ],
            )
            .await;
        assert_eq!((res.status, res.body.as_str()), (200, ""));
    }
    assert_eq!(refresh(&mut agent, &tenant, &rt).await.status, 403);
    let res = agent
        .post(&revoke, &[("client_id", DEFAULT_SPA_CLIENT_ID)])
        .await;
    assert_token_error(
        &res,
        400,
        "invalid_request",
        "Missing required parameter: token",
    );
    let res = agent
        .post(
            &revoke,
            &[
                ("client_id", DEFAULT_WEB_CLIENT_ID),
                ("client_secret", "wrong"),
                ("token", "x"),
            ],
        )
        .await;
    assert_eq!(res.status, 401);
}

#[tokio::test]
async fn userinfo_answers_for_openid_tokens_as_auth0() {
    let tenant = MockTenant::start().await;
    let tokens = tenant.login(DEFAULT_USER_EMAIL).await.unwrap();
    let http = tenant.http_client();
    let url = format!("{}/userinfo", tenant.uri());
    for post in [false, true] {
        let req = if post {
            http.post(&url)
        } else {
            http.get(&url)
        };
        let res = req.bearer_auth(&tokens.access_token).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.unwrap();
        let user = tenant.config().user_by_email(DEFAULT_USER_EMAIL).unwrap();
        assert_eq!(body["sub"], user.id());
        assert_eq!(body["email"], DEFAULT_USER_EMAIL);
        assert_eq!(body["name"], "Test User");
    }
    let challenge = |res: &reqwest::Response| {
        res.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .to_owned()
    };

    let res = http.get(&url).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(challenge(&res), "Bearer realm=\"Users\"");
    assert_eq!(res.text().await.unwrap(), "Unauthorized");

    // No openid: the token is not for /userinfo.
    let no_openid = tenant
        .login(DEFAULT_USER_EMAIL)
        .scope("read:messages")
        .await
        .unwrap();
    let res = http
        .get(&url)
        .bearer_auth(&no_openid.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert!(challenge(&res).contains("error=\"insufficient_scope\""));

    // A client-credentials token has no user; a forged one no valid signature.
    let m2m = tenant.token().scope("openid").build();
    let res = http.get(&url).bearer_auth(&m2m).send().await.unwrap();
    assert_eq!(res.status(), 401);
    let forged = tenant
        .token()
        .scope("openid")
        .signed_with(mock_idp::Signing::HmacWithPublicKey)
        .build();
    let res = http.get(&url).bearer_auth(&forged).send().await.unwrap();
    assert_eq!(
        challenge(&res),
        "Bearer realm=\"Users\", error=\"invalid_token\", error_description=\"The token signature is invalid\""
    );

    tenant.clock().advance(86_401);
    let res = http
        .get(&url)
        .bearer_auth(&tokens.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(
        challenge(&res),
        "Bearer realm=\"Users\", error=\"invalid_token\", error_description=\"The token has expired\""
    );
}

#[tokio::test]
async fn sso_prompt_none_and_prompt_login() {
    let tenant = MockTenant::start().await;
    let mut agent = Agent::new(&tenant);
    let aud = tenant.audience();
    let none = spa_params(&aud, &[("prompt", "none")]);
    agent
        .get(&authorize_url(&tenant, &none))
        .await
        .assert_redirected_error("login_required", "Login required");
    code_for(&mut agent, &tenant, &[]).await;
    // With the session: a code without a form, for this app and (SSO) the web app.
    let res = agent.get(&authorize_url(&tenant, &none)).await;
    assert!(res.param("code").is_some(), "{}", res.location());
    let web = spa_params(
        &aud,
        &[("prompt", "none"), ("client_id", DEFAULT_WEB_CLIENT_ID)],
    );
    assert!(
        agent
            .get(&authorize_url(&tenant, &web))
            .await
            .param("code")
            .is_some()
    );
    // prompt=login and an exceeded max_age ask again.
    let res = agent
        .get(&authorize_url(
            &tenant,
            &spa_params(&aud, &[("prompt", "login")]),
        ))
        .await;
    assert_eq!(res.location().path(), "/u/login");
    tenant.clock().advance(120);
    let res = agent
        .get(&authorize_url(
            &tenant,
            &spa_params(&aud, &[("max_age", "60")]),
        ))
        .await;
    assert_eq!(res.location().path(), "/u/login");
    // Another browser has no session.
    let mut other = Agent::new(&tenant);
    other
        .get(&authorize_url(&tenant, &none))
        .await
        .assert_redirected_error("login_required", "Login required");
}

#[tokio::test]
async fn the_login_form_only_works_in_the_browser_that_started_it_and_once() {
    let tenant = MockTenant::start().await;
    let mut victim = Agent::new(&tenant);
    let aud = tenant.audience();
    let res = victim
        .get(&authorize_url(&tenant, &spa_params(&aud, &[])))
        .await;
    let tx = res.param("state").unwrap();
    let login = format!("{}/u/login", tenant.uri());
    let form = [
        ("state", tx.as_str()),
        ("username", DEFAULT_USER_EMAIL),
        ("password", DEFAULT_USER_PASSWORD),
    ];
    // An attacker's browser (no or another device cookie) cannot use the victim's transaction.
    let mut attacker = Agent::new(&tenant);
    attacker
        .post(&login, &form)
        .await
        .assert_error_page("expired");
    attacker
        .get(&authorize_url(&tenant, &spa_params(&aud, &[])))
        .await;
    attacker
        .post(&login, &form)
        .await
        .assert_error_page("expired");
    attacker
        .get(&format!("{login}?state={tx}"))
        .await
        .assert_error_page("expired");
    // The victim's works once.
    assert_eq!(victim.post(&login, &form).await.status, 302);
    victim
        .post(&login, &form)
        .await
        .assert_error_page("expired");
    // Unknown user: the same message as a wrong password (no user enumeration).
    let res = victim
        .get(&authorize_url(
            &tenant,
            &spa_params(&aud, &[("prompt", "login")]),
        ))
        .await;
    let tx = res.param("state").unwrap();
    let res = victim
        .post(
            &login,
            &[
                ("state", &tx),
                ("username", "nobody@example.com"),
                ("password", "x"),
            ],
        )
        .await;
    assert_eq!(res.status, 400);
    assert!(res.body.contains("Wrong email or password"));
}

#[tokio::test]
async fn logout_ends_the_session_and_redirects_only_to_allowed_urls() {
    let tenant = MockTenant::start().await;
    let mut agent = Agent::new(&tenant);
    let aud = tenant.audience();
    let none = spa_params(&aud, &[("prompt", "none")]);
    let v2 = format!("{}/v2/logout", tenant.uri());

    code_for(&mut agent, &tenant, &[]).await;
    for bad in [
        "https://evil.example",
        "http://localhost:3000.evil.example",
        "http://localhost:4000",
        "//evil.example",
    ] {
        let url = format!(
            "{v2}?client_id={DEFAULT_SPA_CLIENT_ID}&returnTo={}",
            urlencode(bad)
        );
        agent
            .get(&url)
            .await
            .assert_error_page("Allowed Logout URLs");
    }
    // Without client_id the tenant's list (empty by default) applies.
    agent
        .get(&format!("{v2}?returnTo=http%3A%2F%2Flocalhost%3A3000"))
        .await
        .assert_error_page("Allowed Logout URLs");
    assert!(
        agent
            .get(&authorize_url(&tenant, &none))
            .await
            .param("code")
            .is_some(),
        "still logged in"
    );

    let res = agent.get(&format!("{v2}?client_id={DEFAULT_SPA_CLIENT_ID}&returnTo=http%3A%2F%2Flocalhost%3A3000%3Fbye%3D1&federated")).await;
    assert_eq!(res.status, 302);
    assert_eq!(res.headers["location"], "http://localhost:3000?bye=1");
    assert!(
        res.set_cookies()
            .iter()
            .any(|c| c.starts_with("auth0=;") && c.contains("Max-Age=0"))
    );
    agent
        .get(&authorize_url(&tenant, &none))
        .await
        .assert_redirected_error("login_required", "Login required");

    // RP-initiated logout with an id_token_hint, an exact post_logout_redirect_uri and state.
    let code = code_for(&mut agent, &tenant, &[]).await;
    let id_token = exchange(&mut agent, &tenant, &code, &[]).await.json()["id_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let oidc = format!("{}/oidc/logout", tenant.uri());
    let res = agent.get(&format!("{oidc}?id_token_hint={id_token}&post_logout_redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fx")).await;
    res.assert_error_page("allowed logout URLs");
    let res = agent.get(&format!("{oidc}?id_token_hint=forged.token.here&post_logout_redirect_uri=http%3A%2F%2Flocalhost%3A3000")).await;
    res.assert_error_page("Invalid id_token_hint");
    let res = agent
        .get(&format!(
            "{oidc}?id_token_hint={id_token}&client_id={DEFAULT_WEB_CLIENT_ID}"
        ))
        .await;
    res.assert_error_page("does not match");
    let res = agent.get(&format!("{oidc}?id_token_hint={id_token}&post_logout_redirect_uri=http%3A%2F%2Flocalhost%3A3000&state=s1")).await;
    assert_eq!(res.status, 302);
    assert_eq!(res.headers["location"], "http://localhost:3000/?state=s1");
    agent
        .get(&authorize_url(&tenant, &none))
        .await
        .assert_redirected_error("login_required", "Login required");
    // No hint, no redirect: the logged-out page.
    let res = agent.get(&oidc).await;
    assert_eq!(res.status, 200);
    assert!(res.body.contains("data-testid=\"logged-out\""));
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn dpop_binds_the_code_the_tokens_and_userinfo() {
    let tenant = MockTenant::start().await;
    let mut agent = Agent::new(&tenant);
    let key = DpopKey::generate();
    let jkt = key.thumbprint();
    let code = code_for(&mut agent, &tenant, &[("dpop_jkt", &jkt)]).await;
    // Without a proof, or with another key's: refused.
    let res = exchange(&mut agent, &tenant, &code, &[]).await;
    assert_eq!(res.json()["error"], "invalid_dpop_proof");
    let code = code_for(&mut agent, &tenant, &[("dpop_jkt", &jkt)]).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("client_id", DEFAULT_SPA_CLIENT_ID),
        ("code", &code),
        ("redirect_uri", DEFAULT_CALLBACK),
        ("code_verifier", VERIFIER),
    ];
    let proof = tenant.dpop_proof(&key, "POST", &tenant.token_url()).build();
    let res = agent
        .send(
            agent
                .http
                .post(tenant.token_url())
                .form(&form)
                .header("DPoP", proof),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    let body = res.json();
    assert_eq!(body["token_type"], "DPoP");
    let at = body["access_token"].as_str().unwrap();
    assert_eq!(parts(at).1["cnf"]["jkt"], jkt);
    let rt = body["refresh_token"].as_str().unwrap();

    // The refresh token is bound too (public client): another key cannot use it.
    let other = DpopKey::generate();
    let rform = [
        ("grant_type", "refresh_token"),
        ("client_id", DEFAULT_SPA_CLIENT_ID),
        ("refresh_token", rt),
    ];
    let proof = tenant
        .dpop_proof(&other, "POST", &tenant.token_url())
        .build();
    let res = agent
        .send(
            agent
                .http
                .post(tenant.token_url())
                .form(&rform)
                .header("DPoP", proof),
        )
        .await;
    assert_eq!(res.json()["error"], "invalid_dpop_proof", "{}", res.body);
    let proof = tenant.dpop_proof(&key, "POST", &tenant.token_url()).build();
    let res = agent
        .send(
            agent
                .http
                .post(tenant.token_url())
                .form(&rform)
                .header("DPoP", proof),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);

    // /userinfo wants the DPoP scheme and a proof with ath.
    let url = format!("{}/userinfo", tenant.uri());
    let http = tenant.http_client();
    let res = http.get(&url).bearer_auth(at).send().await.unwrap();
    assert_eq!(res.status(), 401);
    let proof = tenant
        .dpop_proof(&key, "GET", &url)
        .access_token(at)
        .build();
    let res = http
        .get(&url)
        .header("authorization", format!("DPoP {at}"))
        .header("DPoP", proof)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let proof = tenant
        .dpop_proof(&other, "GET", &url)
        .access_token(at)
        .build();
    let res = http
        .get(&url)
        .header("authorization", format!("DPoP {at}"))
        .header("DPoP", proof)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn cors_for_allowed_web_origins_and_public_documents() {
    let tenant = MockTenant::start().await;
    let http = tenant.http_client();
    let preflight = |origin: &'static str| {
        http.request(reqwest::Method::OPTIONS, tenant.token_url())
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .send()
    };
    let res = preflight("http://localhost:3000").await.unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(
        res.headers()["access-control-allow-origin"],
        "http://localhost:3000"
    );
    assert!(
        res.headers()["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .contains("DPoP")
    );
    let res = preflight("https://evil.example").await.unwrap();
    assert!(res.headers().get("access-control-allow-origin").is_none());
    let res = http
        .get(tenant.jwks_url())
        .header("origin", "https://any.example")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["access-control-allow-origin"], "*");
}

#[tokio::test]
async fn login_helper_and_rbac_permissions() {
    let text = r#"
[[apis]]
identifier = "https://api"
dialect = "access_token_authz"
permissions = ["read:x", "write:x"]
allow_offline_access = true

[[applications]]
client_id = "spa"
app_type = "spa"
callbacks = ["http://127.0.0.1:9/cb"]
custom_claims = { "https://example.com/m2m" = true }

[[users]]
email = "ada@example.com"
password = "pw"
user_id = "auth0|ada"
roles = ["reader"]

[[roles]]
name = "reader"
[roles.permissions]
"https://api" = ["read:x"]
"#;
    let cfg = TenantConfig::parse(text, "t.toml").unwrap();
    let tenant = MockTenant::builder().config(cfg).start().await;
    let tokens = tenant
        .login("ADA@example.com")
        .scope("openid offline_access read:x write:x")
        .await
        .unwrap();
    assert!(tokens.refresh_token.is_some());
    let (_, at) = parts(&tokens.access_token);
    assert_eq!(at["sub"], "auth0|ada");
    assert_eq!(at["scope"], "openid offline_access read:x write:x");
    assert_eq!(
        at["permissions"],
        json!(["read:x"]),
        "permissions come from roles"
    );
    assert!(matches!(
        tenant.login("nobody@example.com").await,
        Err(mock_idp::LoginError::UnknownUser(_))
    ));
    let bad = text.replace("roles = [\"reader\"]", "roles = [\"writer\"]");
    let e = TenantConfig::parse(&bad, "t.toml").unwrap_err().to_string();
    assert_eq!(e, "t.toml: users[0].roles: no role named `writer`");
}

#[tokio::test]
async fn a_login_on_a_custom_domain_gets_that_domains_issuer() {
    let tenant = MockTenant::builder()
        .custom_domain("localhost")
        .start()
        .await;
    let port = tenant.uri().rsplit(':').next().unwrap().to_owned();
    let base = format!("https://localhost:{port}");
    let mut agent = Agent::new(&tenant);
    let aud = tenant.audience();
    let mut url = url::Url::parse(&format!("{base}/authorize")).unwrap();
    url.query_pairs_mut().extend_pairs(spa_params(&aud, &[]));
    let res = agent.get(url.as_str()).await;
    assert_eq!(res.location().path(), "/u/login");
    let tx = res.param("state").unwrap();
    let res = agent
        .post(
            &format!("{base}/u/login"),
            &[
                ("state", &tx),
                ("username", DEFAULT_USER_EMAIL),
                ("password", DEFAULT_USER_PASSWORD),
            ],
        )
        .await;
    let code = res.param("code").unwrap();
    let form = [
        ("grant_type", "authorization_code"),
        ("client_id", DEFAULT_SPA_CLIENT_ID),
        ("code", code.as_str()),
        ("redirect_uri", DEFAULT_CALLBACK),
        ("code_verifier", VERIFIER),
    ];
    let body = agent
        .post(&format!("{base}/oauth/token"), &form)
        .await
        .json();
    let (_, id) = parts(body["id_token"].as_str().unwrap());
    assert_eq!(id["iss"], format!("{base}/"));
    let at = body["access_token"].as_str().unwrap();
    assert_eq!(parts(at).1["aud"][1], format!("{base}/userinfo"));
    let req = agent.http.get(format!("{base}/userinfo")).bearer_auth(at);
    assert_eq!(agent.send(req).await.status, 200);
    // The primary domain's /userinfo does not take the custom domain's token.
    let req = agent
        .http
        .get(format!("{}/userinfo", tenant.uri()))
        .bearer_auth(at);
    assert_eq!(agent.send(req).await.status, 401);
}
