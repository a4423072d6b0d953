//! A user logs in in a real headless Chromium against the mock tenant, the application's
//! backend exchanges the code, and the access token calls the quickstart API: the whole
//! browser flow of an Auth0 tenant, offline. Skipped with a note where Chromium is not
//! installed (a failure under CI).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Query, State};
use axum::response::Html;
use axum::routing::get;
use browser_test::Browser;
use browser_test::fantoccini::{Client, Locator};
use mock_idp::config::DEFAULT_SPA_CLIENT_ID;
use mock_idp::config::{DEFAULT_USER_EMAIL, DEFAULT_USER_PASSWORD};
use mock_idp::{MockTenant, config::TenantConfig};
use oauth2_jwt_bearer::Verifier;
use serde_json::Value;

use crate::support::{Listener, quickstart_options};

type Seen = Arc<Mutex<Vec<HashMap<String, String>>>>;

/// The application's own server on 127.0.0.1: `/callback` records what the tenant sent, `/`
/// is where logout returns.
struct App {
    origin: String,
    seen: Seen,
}

impl App {
    async fn start() -> App {
        let seen: Seen = Arc::default();
        let router = Router::new()
            .route(
                "/callback",
                get(
                    |State(seen): State<Seen>, Query(q): Query<HashMap<String, String>>| async move {
                        seen.lock().unwrap().push(q);
                        Html("<title>callback</title><p id=\"cb\">back in the app</p>")
                    },
                ),
            )
            .route("/", get(|| async { Html("<title>home</title><p id=\"home\">home</p>") }))
            .with_state(seen.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let origin = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        App { origin, seen }
    }

    fn callback(&self) -> String {
        format!("{}/callback", self.origin)
    }

    /// The query of the latest callback.
    fn last(&self) -> HashMap<String, String> {
        self.seen
            .lock()
            .unwrap()
            .last()
            .cloned()
            .expect("a callback")
    }
}

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

fn authorize_url(tenant: &MockTenant, app: &App, extra: &[(&str, &str)]) -> String {
    let mut url = url::Url::parse(&tenant.urls().authorize()).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", DEFAULT_SPA_CLIENT_ID)
        .append_pair("redirect_uri", &app.callback())
        .append_pair("scope", "openid profile email offline_access read:messages")
        .append_pair("audience", tenant.audience())
        .append_pair("state", "xyz")
        .append_pair("nonce", "n-1")
        .append_pair("code_challenge", CHALLENGE)
        .append_pair("code_challenge_method", "S256")
        .extend_pairs(extra);
    url.to_string()
}

async fn fill(c: &Client, testid: &str, text: &str) {
    let field = c
        .find(Locator::Css(&format!("[data-testid={testid}]")))
        .await
        .unwrap();
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

async fn submit_login(c: &Client, password: &str) {
    fill(c, "login-email", DEFAULT_USER_EMAIL).await;
    fill(c, "login-password", password).await;
    c.find(Locator::Css("[data-testid=login-submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

/// Goes to `url` and waits until the browser is back on the application's callback.
async fn back_at_callback(c: &Client, url: &str) {
    c.goto(url).await.unwrap();
    c.wait().for_element(Locator::Id("cb")).await.unwrap();
}

async fn token_call(tenant: &MockTenant, form: &[(&str, &str)]) -> (u16, Value) {
    let res = tenant
        .http_client()
        .post(tenant.urls().token())
        .form(form)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

async fn refresh(tenant: &MockTenant, rt: &str) -> (u16, Value) {
    token_call(
        tenant,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", DEFAULT_SPA_CLIENT_ID),
            ("refresh_token", rt),
        ],
    )
    .await
}

#[tokio::test]
async fn a_user_logs_in_in_chromium_calls_the_api_refreshes_and_logs_out() {
    let Some(browser) = Browser::launch().await else {
        return;
    };
    let app = App::start().await;
    let mut config = TenantConfig::default();
    let spa = &mut config.applications[1];
    assert_eq!(spa.client_id, DEFAULT_SPA_CLIENT_ID);
    spa.callbacks = vec![app.callback()];
    spa.allowed_logout_urls = vec![format!("{}/", app.origin)];
    spa.web_origins = vec![app.origin.clone()];
    let tenant = MockTenant::builder().config(config).start().await;
    let listener = Listener::bind().await;
    let api_url = listener.url();
    let api = listener
        .serve(Verifier::new(quickstart_options(&tenant).public_base_url(api_url)).unwrap());
    let c = browser.client();

    // No session yet: prompt=none comes straight back with login_required.
    back_at_callback(c, &authorize_url(&tenant, &app, &[("prompt", "none")])).await;
    assert_eq!(app.last()["error"], "login_required");
    assert_eq!(app.last()["state"], "xyz");

    // The login page: a wrong password shows the error, the right one lands on the callback.
    c.goto(&authorize_url(&tenant, &app, &[])).await.unwrap();
    submit_login(c, "wrong password").await;
    let error = c
        .wait()
        .for_element(Locator::Css("[data-testid=login-error]"))
        .await
        .unwrap();
    assert_eq!(error.text().await.unwrap(), "Wrong email or password");
    submit_login(c, DEFAULT_USER_PASSWORD).await;
    c.wait().for_element(Locator::Id("cb")).await.unwrap();
    let cb = app.last();
    assert_eq!(cb["state"], "xyz");
    let code = cb["code"].clone();

    // The application exchanges the code (PKCE) and calls the API with the user's token.
    let redirect_uri = app.callback();
    let (status, tokens) = token_call(
        &tenant,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", DEFAULT_SPA_CLIENT_ID),
            ("code", &code),
            ("redirect_uri", &redirect_uri),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    assert_eq!(status, 200, "{tokens}");
    let call_api = |token: String| {
        let req = api.get("/api/private").bearer_auth(token);
        async move { req.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(
        call_api(tokens["access_token"].as_str().unwrap().to_owned()).await,
        200
    );

    // Refresh (rotation): the new access token works; the old refresh token, replayed,
    // revokes the family, so the newest refresh token dies too.
    let rt1 = tokens["refresh_token"].as_str().unwrap().to_owned();
    let (status, refreshed) = refresh(&tenant, &rt1).await;
    assert_eq!(status, 200, "{refreshed}");
    assert!(refreshed["id_token"].is_string());
    assert_eq!(
        call_api(refreshed["access_token"].as_str().unwrap().to_owned()).await,
        200
    );
    let rt2 = refreshed["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(refresh(&tenant, &rt1).await.0, 403);
    let (status, body) = refresh(&tenant, &rt2).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("invalid_grant"))
    );

    // The session cookie gives the next silent request a code without a form.
    back_at_callback(c, &authorize_url(&tenant, &app, &[("prompt", "none")])).await;
    assert!(app.last().contains_key("code"), "{:?}", app.last());

    // Logout returns to the app; afterwards prompt=none needs a login again.
    let home = format!("{}/", app.origin);
    let mut logout = url::Url::parse(&format!("{}/v2/logout", tenant.uri())).unwrap();
    logout
        .query_pairs_mut()
        .append_pair("client_id", DEFAULT_SPA_CLIENT_ID)
        .append_pair("returnTo", &home);
    c.goto(logout.as_str()).await.unwrap();
    c.wait().for_element(Locator::Id("home")).await.unwrap();
    assert_eq!(c.current_url().await.unwrap().as_str(), home);
    back_at_callback(c, &authorize_url(&tenant, &app, &[("prompt", "none")])).await;
    assert_eq!(app.last()["error"], "login_required");

    browser.close().await;
}

/// Waits until the element's text contains `text` (the page's script works asynchronously).
async fn wait_for_text(c: &Client, testid: &str, text: &str) -> String {
    let locator = format!("[data-testid={testid}]");
    let mut last = String::new();
    // Up to 30 s: on a loaded machine the page may still be navigating (the element missing
    // or stale for a moment), which is a reason to look again, not a failure.
    for _ in 0..300 {
        if let Ok(element) = c.find(Locator::Css(&locator)).await
            && let Ok(now) = element.text().await
        {
            if now.contains(text) {
                return now;
            }
            last = now;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("[data-testid={testid}] never contained {text:?} (last: {last:?})");
}

#[tokio::test]
async fn the_demo_page_logs_in_calls_the_api_and_logs_out() {
    let Some(browser) = Browser::launch().await else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("demo-page-{}", std::process::id()));
    let options = protected_api::demo::DemoOptions {
        port: 0,
        state_dir: dir.clone(),
    };
    let demo = protected_api::demo::Demo::start(&options).await.unwrap();
    let page = format!("{}/demo", demo.api_url);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(demo.serve(async {
        let _ = stopped.await;
    }));
    let c = browser.client();
    c.goto(&page).await.unwrap();
    c.find(Locator::Css("[data-testid=login]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("[data-testid=login-email]"))
        .await
        .unwrap();
    submit_login(c, DEFAULT_USER_PASSWORD).await;
    wait_for_text(c, "status", "Logged in as Test User (user@example.com)").await;
    assert_eq!(c.current_url().await.unwrap().as_str(), page);
    c.find(Locator::Css("[data-testid=call-api]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let out = wait_for_text(c, "output", "GET /api/private -> 200").await;
    assert!(out.contains("\"user\":\"auth0|"), "{out}");
    c.find(Locator::Css("[data-testid=logout]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(c, "status", "Not logged in.").await;
    assert_eq!(c.current_url().await.unwrap().as_str(), page);
    browser.close().await;
    let _ = stop.send(());
    let _ = server.await;
    let _ = std::fs::remove_dir_all(dir);
}
