//! Silent authentication: `/authorize?prompt=none&response_mode=web_message`, the page that
//! posts the answer to the framing window, as Auth0 serves it to auth0-spa-js's hidden iframe.
//! Over HTTPS for each answer, and in headless Chromium with the unmodified SDK.

use std::collections::HashMap;

use mock_idp::config::{DEFAULT_CALLBACK, DEFAULT_SPA_CLIENT_ID, DEFAULT_USER_EMAIL};
use mock_idp::{MockTenant, config::AppType, config::ApplicationConfig, config::TenantConfig};
use serde_json::Value;

pub(crate) const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
/// The origin of [`DEFAULT_CALLBACK`]: the default SPA's Allowed Web Origin.
const APP_ORIGIN: &str = "http://localhost:3000";

/// A browser over HTTPS: keeps the tenant's cookies, follows no redirects.
pub(crate) struct Agent {
    pub(crate) http: reqwest::Client,
    cookies: HashMap<String, String>,
}

pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) headers: reqwest::header::HeaderMap,
    pub(crate) body: String,
}

impl Reply {
    pub(crate) fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap())
            .unwrap_or("")
    }

    /// The message the web_message page posts: (target origin, message).
    fn web_message(&self) -> (String, Value) {
        assert_eq!(self.status, 200, "{}", self.body);
        assert_eq!(self.header("content-type"), "text/html; charset=utf-8");
        let value_after = |marker: &str| -> Value {
            let start = self
                .body
                .find(marker)
                .unwrap_or_else(|| panic!("{}", self.body))
                + marker.len();
            let mut de =
                serde_json::Deserializer::from_str(&self.body[start..]).into_iter::<Value>();
            de.next().unwrap().unwrap()
        };
        let origin = value_after("var targetOrigin=");
        let message = value_after("var authorizationResponse=");
        (origin.as_str().unwrap().to_owned(), message)
    }
}

impl Agent {
    pub(crate) fn new(tenant: &MockTenant) -> Agent {
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

    pub(crate) async fn send(&mut self, req: reqwest::RequestBuilder) -> Reply {
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
        for c in reply.headers.get_all("set-cookie") {
            let c = c.to_str().unwrap();
            let (k, v) = c.split(';').next().unwrap().split_once('=').unwrap();
            self.cookies.insert(k.to_owned(), v.to_owned());
        }
        reply
    }

    pub(crate) async fn authorize(
        &mut self,
        tenant: &MockTenant,
        params: &[(&str, &str)],
    ) -> Reply {
        let mut url = url::Url::parse(&tenant.urls().authorize()).unwrap();
        url.query_pairs_mut().extend_pairs(params);
        let req = self.http.get(url.as_str());
        self.send(req).await
    }

    /// Logs the default user in through the login form (query mode), leaving the session
    /// cookie in the agent.
    pub(crate) async fn log_in(&mut self, tenant: &MockTenant) {
        let done = self
            .submit_login(
                tenant,
                DEFAULT_USER_EMAIL,
                mock_idp::config::DEFAULT_USER_PASSWORD,
            )
            .await;
        assert_eq!(done.status, 302, "{}", done.body);
        assert!(done.header("location").starts_with(DEFAULT_CALLBACK));
        assert!(self.cookies.contains_key("auth0"));
    }

    /// Starts a login (query mode) and submits the form with `email` and `password`.
    async fn submit_login(&mut self, tenant: &MockTenant, email: &str, password: &str) -> Reply {
        self.submit_login_with(tenant, &spa(&[]), email, password)
            .await
    }

    /// `/authorize` with `params`, then the form with `email` and `password`.
    pub(crate) async fn submit_login_with(
        &mut self,
        tenant: &MockTenant,
        params: &[(&str, &str)],
        email: &str,
        password: &str,
    ) -> Reply {
        let res = self.authorize(tenant, params).await;
        assert_eq!(res.status, 302, "{}", res.body);
        let location =
            url::Url::parse(&format!("{}{}", tenant.uri(), res.header("location"))).unwrap();
        assert_eq!(location.path(), "/u/login");
        let tx = location
            .query_pairs()
            .find(|(k, _)| k == "state")
            .unwrap()
            .1
            .into_owned();
        let req = self.http.post(format!("{}/u/login", tenant.uri())).form(&[
            ("state", tx.as_str()),
            ("username", email),
            ("password", password),
        ]);
        self.send(req).await
    }
}

/// The default SPA's authorization request, as auth0-spa-js sends it, plus `extra`.
pub(crate) fn spa<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut p = vec![
        ("client_id", DEFAULT_SPA_CLIENT_ID),
        ("redirect_uri", DEFAULT_CALLBACK),
        ("response_type", "code"),
        ("scope", "openid profile email"),
        ("state", "st-1"),
        ("nonce", "n-1"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    p.extend_from_slice(extra);
    p
}

const SILENT: [(&str, &str); 2] = [("prompt", "none"), ("response_mode", "web_message")];

/// The page's CSP: its one script by hash, framing by the application's origin only.
fn assert_page_policy(res: &Reply, origin: &str) {
    let csp = res.header("content-security-policy");
    let script = {
        let start = res.body.find("<script>").unwrap() + "<script>".len();
        let end = res.body[start..].find("</script>").unwrap() + start;
        &res.body[start..end]
    };
    let hash = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        mock_idp::jose::sha256(script),
    );
    assert_eq!(
        csp,
        format!("default-src 'none'; script-src 'sha256-{hash}'; frame-ancestors {origin}")
    );
    // X-Frame-Options would forbid the frame the page exists for.
    assert!(res.headers.get("x-frame-options").is_none());
    assert_eq!(res.header("cache-control"), "no-store");
    assert_eq!(res.body.matches("<script").count(), 1);
}

#[tokio::test]
async fn prompt_none_with_a_session_posts_a_code_that_redeems() {
    let tenant = MockTenant::start().await;
    let mut agent = Agent::new(&tenant);
    agent.log_in(&tenant).await;

    let res = agent.authorize(&tenant, &spa(&SILENT)).await;
    let (origin, message) = res.web_message();
    assert_eq!(origin, APP_ORIGIN);
    assert_eq!(message["type"], "authorization_response");
    let response = message["response"].as_object().unwrap();
    assert_eq!(response.len(), 2, "{response:?}");
    assert_eq!(response["state"], "st-1");
    assert_page_policy(&res, APP_ORIGIN);

    let code = response["code"].as_str().unwrap();
    let token = tenant
        .http_client()
        .post(tenant.urls().token())
        .form(&[
            ("grant_type", "authorization_code"),
            ("client_id", DEFAULT_SPA_CLIENT_ID),
            ("code", code),
            ("code_verifier", VERIFIER),
            ("redirect_uri", DEFAULT_CALLBACK),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(token.status(), 200);
    let body: Value = token.json().await.unwrap();
    assert!(
        body["id_token"].is_string() && body["access_token"].is_string(),
        "{body}"
    );
}

#[tokio::test]
async fn prompt_none_without_a_session_posts_login_required() {
    let tenant = MockTenant::start().await;
    let mut agent = Agent::new(&tenant);
    let res = agent.authorize(&tenant, &spa(&SILENT)).await;
    let (origin, message) = res.web_message();
    assert_eq!(origin, APP_ORIGIN);
    assert_eq!(
        message,
        serde_json::json!({"type": "authorization_response", "response": {
            "error": "login_required", "error_description": "Login required", "state": "st-1"}})
    );
    assert_page_policy(&res, APP_ORIGIN);

    // A session older than max_age is no session for a silent request either.
    agent.log_in(&tenant).await;
    tenant.clock().advance(120);
    let res = agent
        .authorize(&tenant, &spa(&[SILENT[0], SILENT[1], ("max_age", "60")]))
        .await;
    assert_eq!(res.web_message().1["response"]["error"], "login_required");
}

#[tokio::test]
async fn a_third_party_application_gets_consent_required() {
    let mut config = TenantConfig::default();
    let third = ApplicationConfig {
        is_first_party: false,
        ..ApplicationConfig::browser("third-party-spa", AppType::Spa, DEFAULT_CALLBACK)
    };
    config.applications.push(third);
    let tenant = MockTenant::builder().config(config).start().await;
    let mut agent = Agent::new(&tenant);
    agent.log_in(&tenant).await;
    let mut params = spa(&SILENT);
    params[0] = ("client_id", "third-party-spa");
    let (_, message) = agent.authorize(&tenant, &params).await.web_message();
    assert_eq!(
        message["response"],
        serde_json::json!({"error": "consent_required", "error_description": "Consent required", "state": "st-1"})
    );
}

#[tokio::test]
async fn errors_after_the_origin_check_are_posted_too() {
    let tenant = MockTenant::start().await;
    let mut agent = Agent::new(&tenant);
    let res = agent
        .authorize(
            &tenant,
            &spa(&[SILENT[0], SILENT[1], ("audience", "https://nope")]),
        )
        .await;
    assert_eq!(
        res.web_message().1["response"],
        serde_json::json!({"error": "access_denied", "error_description": "Service not found: https://nope", "state": "st-1"})
    );
}

/// The attacker's site is a callback URL of the application but not one of its Allowed Web
/// Origins: no code, no error, nothing is posted; an error page that no one may frame.
#[tokio::test]
async fn an_origin_outside_the_allowed_web_origins_gets_nothing_posted() {
    let mut config = TenantConfig::default();
    let app = ApplicationConfig {
        callbacks: vec![
            DEFAULT_CALLBACK.into(),
            "https://attacker.example/cb".into(),
        ],
        ..ApplicationConfig::browser("spa-2", AppType::Spa, DEFAULT_CALLBACK)
    };
    config.applications.push(app);
    let tenant = MockTenant::builder().config(config).start().await;
    let mut agent = Agent::new(&tenant);
    agent.log_in(&tenant).await;
    let mut params = spa(&SILENT);
    params[0] = ("client_id", "spa-2");
    params[1] = ("redirect_uri", "https://attacker.example/cb");
    let res = agent.authorize(&tenant, &params).await;
    assert_eq!(res.status, 400);
    assert!(!res.body.contains("authorization_response"), "{}", res.body);
    assert!(
        !res.body.contains("code=") && !res.body.contains("<script"),
        "{}",
        res.body
    );
    assert!(
        res.body.contains(
            "The redirect_uri&#x27;s origin is not in the application&#x27;s Allowed Web Origins."
        ),
        "{}",
        res.body
    );
    assert_eq!(res.header("x-frame-options"), "DENY");
    assert!(
        res.header("content-security-policy")
            .ends_with("frame-ancestors 'none'")
    );

    // The same request in query mode still works: only web messages need a web origin.
    params.truncate(8);
    params.push(("prompt", "none"));
    let res = agent.authorize(&tenant, &params).await;
    assert_eq!(res.status, 302);
    assert!(
        res.header("location")
            .starts_with("https://attacker.example/cb?code=")
    );
}

/// A `state` that tries to close the script element stays a string inside it.
#[tokio::test]
async fn a_hostile_state_cannot_escape_the_script() {
    let tenant = MockTenant::start().await;
    let mut agent = Agent::new(&tenant);
    let evil = "</script><script>alert(1)</script>\u{2028}&";
    let mut params = spa(&SILENT);
    params[4] = ("state", evil);
    let res = agent.authorize(&tenant, &params).await;
    assert!(!res.body.contains("alert(1)</script>"), "{}", res.body);
    assert_eq!(res.web_message().1["response"]["state"], evil);
    assert_page_policy(&res, APP_ORIGIN);
}

/// A blocked user (`blocked = true`) cannot log in at the form; a wrong password does not
/// reveal the block.
#[tokio::test]
async fn a_blocked_user_cannot_log_in_at_the_form() {
    let mut config = TenantConfig::default();
    config.users.push(mock_idp::config::UserConfig {
        blocked: true,
        ..mock_idp::config::UserConfig::new("blocked@example.com", "blocked-pass")
    });
    let tenant = MockTenant::builder().config(config).start().await;
    let mut agent = Agent::new(&tenant);
    let wrong = agent
        .submit_login(&tenant, "blocked@example.com", "not-it")
        .await;
    assert_eq!(wrong.status, 400);
    assert!(
        wrong.body.contains("Wrong email or password"),
        "{}",
        wrong.body
    );
    let res = agent
        .submit_login(&tenant, "blocked@example.com", "blocked-pass")
        .await;
    assert_eq!(res.status, 400);
    assert!(
        res.body
            .contains("data-testid=\"login-error\">user is blocked</p>"),
        "{}",
        res.body
    );
    assert!(!agent.cookies.contains_key("auth0"));
}

#[tokio::test]
async fn discovery_lists_web_message() {
    let tenant = MockTenant::start().await;
    let doc: Value =
        crate::support::json_of(tenant.http_client().get(tenant.urls().discovery())).await;
    assert_eq!(
        doc["response_modes_supported"],
        serde_json::json!(["query", "fragment", "form_post", "web_message"])
    );
}

/// auth0-spa-js 2.x, unmodified, in headless Chromium: its default `cacheLocation` (memory) and
/// no refresh tokens, so after a reload `getTokenSilently()` can only work through the hidden
/// iframe. The SDK comes from npm (`scripts/spa-sdk-test` installs the pinned version and
/// names its file in `AUTH0_SPA_JS`); without it the test says so and does nothing.
#[tokio::test]
async fn auth0_spa_js_gets_a_token_silently_after_a_reload() {
    let Some(sdk_path) = std::env::var_os("AUTH0_SPA_JS") else {
        eprintln!(
            "note: auth0-spa-js test skipped: AUTH0_SPA_JS is not set (scripts/spa-sdk-test sets it)"
        );
        return;
    };
    let sdk = std::fs::read_to_string(&sdk_path).expect("AUTH0_SPA_JS names a readable file");
    let Some(browser) = browser_test::Browser::launch().await else {
        return;
    };
    let app = spa_server(sdk).await;
    let origin = format!("https://127.0.0.1:{}", app.port());
    let mut config = TenantConfig::default();
    config.applications.push(ApplicationConfig::browser(
        "sdk-spa",
        AppType::Spa,
        &format!("{origin}/"),
    ));
    let tenant = MockTenant::builder().config(config).start().await;
    app.set_domain(tenant.domain());
    let b = browser.client();

    // Without a session: login_required, from the iframe.
    use browser_test::fantoccini::Locator;
    b.goto(&format!("{origin}/")).await.unwrap();
    b.wait().for_element(Locator::Css("#ready")).await.unwrap();
    let r = silent(b).await;
    assert_eq!(r["error"], "login_required", "{r}");
    assert_eq!(r["error_description"], "Login required");

    // Log in with a redirect, through the tenant's form.
    b.execute("window.client.loginWithRedirect()", vec![])
        .await
        .unwrap();
    let fill = |css: &'static str, text: &'static str| async move {
        b.wait()
            .for_element(Locator::Css(css))
            .await
            .unwrap()
            .send_keys(text)
            .await
            .unwrap();
    };
    fill("[data-testid=login-email]", DEFAULT_USER_EMAIL).await;
    fill(
        "[data-testid=login-password]",
        mock_idp::config::DEFAULT_USER_PASSWORD,
    )
    .await;
    b.find(Locator::Css("[data-testid=login-submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    if let Err(e) = b.wait().for_element(Locator::Css("#ready")).await {
        panic!(
            "{e}: at {} showing {}",
            b.current_url().await.unwrap(),
            b.source().await.unwrap()
        );
    }
    let state = b
        .execute("return [window.loggedIn, window.pageError]", vec![])
        .await
        .unwrap();
    assert_eq!(state, serde_json::json!([true, null]));

    // A reload empties the SDK's memory cache: the token must come from the iframe.
    b.goto(&format!("{origin}/")).await.unwrap();
    b.wait().for_element(Locator::Css("#ready")).await.unwrap();
    let r = silent(b).await;
    let token = r["token"].as_str().unwrap_or_else(|| panic!("{r}"));
    let (_, claims) = crate::support::parts(token);
    assert_eq!(
        claims["sub"],
        mock_idp::config::UserConfig::new(DEFAULT_USER_EMAIL, "x").id()
    );
    assert_eq!(claims["azp"], "sdk-spa");
    let silent_requests = tenant
        .journal()
        .received_requests()
        .into_iter()
        .filter(|r| {
            r.path == "/authorize"
                && r.query
                    .as_deref()
                    .unwrap_or("")
                    .contains("response_mode=web_message")
        })
        .count();
    assert_eq!(silent_requests, 2);
    browser.close().await;
}

/// `window.client.getTokenSilently()` in the page: `{token}` or `{error, error_description}`.
async fn silent(b: &browser_test::fantoccini::Client) -> Value {
    b.execute_async(
        "const done = arguments[arguments.length - 1];\
         window.client.getTokenSilently().then((token) => done({token}),\
           (e) => done({error: e.error || String(e), error_description: e.error_description}));",
        vec![],
    )
    .await
    .unwrap()
}

/// The application: one page at `/` (also its callback) and the SDK at `/sdk.js`, over HTTPS
/// on 127.0.0.1; the tenant's domain is filled in once the tenant knows its port.
///
/// HTTPS because of where browsers are going: this Chromium blocks third-party cookies, and
/// sites are schemeful (`http://127.0.0.1:A` and `https://127.0.0.1:B` are two sites), so the
/// tenant's session cookie reaches the hidden iframe only when the application and the tenant
/// are one site (on Auth0: a custom domain under the application's domain).
struct SpaServer {
    port: u16,
    domain: std::sync::Arc<std::sync::Mutex<String>>,
}

impl SpaServer {
    fn port(&self) -> u16 {
        self.port
    }

    fn set_domain(&self, domain: &str) {
        *self.domain.lock().unwrap() = domain.to_owned();
    }
}

async fn spa_server(sdk: String) -> SpaServer {
    use axum::response::Html;
    use axum::routing::get;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let domain = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let page_domain = domain.clone();
    let app = axum::Router::new()
        .route(
            "/sdk.js",
            get(move || {
                let sdk = sdk.clone();
                async move { ([("content-type", "text/javascript")], sdk) }
            }),
        )
        .route(
            "/",
            get(move || {
                let domain = page_domain.lock().unwrap().clone();
                async move { Html(spa_page(&domain)) }
            }),
        );
    // Its own certificate (Chromium accepts test certificates): what matters is the scheme.
    let tls = mock_idp::TlsMaterial::generate(&[])
        .unwrap()
        .server_config()
        .unwrap();
    let server = axum_server::from_tcp_rustls(
        listener,
        axum_server::tls_rustls::RustlsConfig::from_config(tls),
    )
    .unwrap();
    tokio::spawn(async move { server.serve(app.into_make_service()).await.unwrap() });
    SpaServer { port, domain }
}

/// The SDK's defaults (memory cache, no refresh tokens); the page handles its own callback
/// and then marks itself ready.
fn spa_page(domain: &str) -> String {
    format!(
        r#"<!doctype html><html><head><meta charset="utf-8"><title>spa</title></head><body>
<script src="/sdk.js"></script><script>
(async () => {{ try {{
  const client = await auth0.createAuth0Client({{
    domain: "{domain}", clientId: "sdk-spa",
    authorizationParams: {{ redirect_uri: location.origin + "/" }},
  }});
  window.client = client;
  if (location.search.includes("code=")) {{
    await client.handleRedirectCallback();
    history.replaceState(null, "", "/");
    window.loggedIn = await client.isAuthenticated();
  }}
  }} catch (e) {{ window.pageError = String(e && (e.error_description || e.message) || e); }}
  const p = document.createElement("p");
  p.id = "ready";
  document.body.appendChild(p);
}})();
</script></body></html>"#
    )
}
