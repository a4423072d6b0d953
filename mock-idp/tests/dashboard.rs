//! The Test page: its forms over plain HTTPS (they need no JavaScript), who may use them, and
//! the whole page in headless Chromium, with a screenshot.

use mock_idp::{MockTenant, TenantBuilder};
use reqwest::redirect::Policy;
use serde_json::Value;

use crate::support::{fetch_jwks, verify};

const SECRET: &str = "dashboard-secret-0123456789";

fn tenant() -> TenantBuilder {
    MockTenant::builder().admin_secret(SECRET)
}

fn client(t: &MockTenant) -> reqwest::Client {
    reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_der(&t.ca().der()).unwrap()])
        .redirect(Policy::none())
        .build()
        .unwrap()
}

fn url(t: &MockTenant, path: &str) -> String {
    format!("{}{path}", t.uri())
}

/// The `<pre data-testid=...>` text of a page, unescaped enough for JSON.
fn pre(html: &str, testid: &str) -> String {
    let needle = format!("data-testid=\"{testid}\">");
    let start = html.find(&needle).unwrap() + needle.len();
    let end = start + html[start..].find("</pre>").unwrap();
    html[start..end]
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

#[tokio::test]
async fn the_forms_work_without_javascript_for_whoever_has_the_secret() {
    let t = tenant().start().await;
    let c = client(&t);
    // Without the cookie: the sign-in form, whatever the path.
    let res = c.get(url(&t, "/dashboard")).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.text().await.unwrap().contains("data-testid=\"secret\""));
    let res = c
        .post(url(&t, "/dashboard/keys/rotate"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401, "no action without the secret");
    let res = c
        .post(url(&t, "/dashboard/session"))
        .form(&[("secret", "guess")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);

    let res = c
        .post(url(&t, "/dashboard/session"))
        .form(&[("secret", SECRET)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/dashboard");
    // A random session id the tenant keeps (attacks::the_test_page_cookie_is_not_the_secret).
    let set = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    let session = set
        .strip_prefix("mock_idp_admin=")
        .and_then(|v| v.strip_suffix("; Path=/dashboard; HttpOnly; SameSite=Strict; Secure"))
        .unwrap_or_else(|| panic!("{set}"));
    let cookie = format!("mock_idp_admin={session}");

    // The page: tenant facts, CSP without external sources.
    let res = c
        .get(url(&t, "/dashboard"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.starts_with("default-src 'none';"), "{csp}");
    let page = res.text().await.unwrap();
    assert!(page.contains(&format!("data-testid=\"issuer\">{}</code>", t.issuer())));
    assert!(
        !page.contains("http://") || !page.contains("<script src"),
        "no external scripts"
    );

    // Mint a user token: encoded, decoded, and valid at the tenant.
    let res = c
        .post(url(&t, "/dashboard/mint"))
        .header("cookie", &cookie)
        .form(&[
            ("audience", "https://my-flask-api"),
            ("client_id", "mock-spa-client"),
            ("user", "user@example.com"),
            ("scope", "read:messages"),
            ("claims", r#"{"https://example.com/tier": "gold"}"#),
            ("expires_in", "600"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let page = res.text().await.unwrap();
    let token = pre(&page, "token");
    let claims = verify(&token, &fetch_jwks(&t).await, t.issuer(), t.audience()).unwrap();
    assert!(claims["sub"].as_str().unwrap().starts_with("auth0|"));
    assert_eq!(claims["scope"], "read:messages");
    assert_eq!(claims["https://example.com/tier"], "gold");
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        600
    );
    let shown: Value = serde_json::from_str(&pre(&page, "token-claims")).unwrap();
    assert_eq!(shown, claims);
    assert!(pre(&page, "curl").starts_with(&format!("curl -H \"Authorization: Bearer {token}\"")));

    // A bad form answers 400 with the reason, on the page.
    let res = c
        .post(url(&t, "/dashboard/mint"))
        .header("cookie", &cookie)
        .form(&[("claims", "[1]")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("custom claims: expected a JSON object")
    );

    // Rotate, clock, faults: the same operations as the control API, seen by the Rust handle.
    let before = t.keys().current().kid().to_owned();
    let res = c
        .post(url(&t, "/dashboard/keys/rotate"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_ne!(t.keys().current().kid(), before);
    let offset = t.clock().offset();
    c.post(url(&t, "/dashboard/clock"))
        .header("cookie", &cookie)
        .form(&[("op", "advance"), ("advance", "60")])
        .send()
        .await
        .unwrap();
    assert_eq!(t.clock().offset(), offset + 60);
    c.post(url(&t, "/dashboard/faults"))
        .header("cookie", &cookie)
        .form(&[
            ("endpoint", "jwks"),
            ("kind", "status"),
            ("value", "503"),
            ("next", "1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        t.http_client()
            .get(t.urls().jwks())
            .send()
            .await
            .unwrap()
            .status(),
        503
    );
    assert_eq!(
        t.http_client()
            .get(t.urls().jwks())
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    // A form posted from another site is refused even with the cookie.
    let res = c
        .post(url(&t, "/dashboard/keys/rotate"))
        .header("cookie", &cookie)
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn without_the_control_api_there_is_no_test_page() {
    let t = MockTenant::builder().without_control_api().start().await;
    let res = client(&t).get(url(&t, "/dashboard")).send().await.unwrap();
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn the_test_page_in_chromium_mints_rotates_and_shows_the_journal() {
    use browser_test::fantoccini::Locator;
    let Some(browser) = browser_test::Browser::launch().await else {
        return;
    };
    let t = tenant().start().await;
    let b = browser.client();
    b.goto(&url(&t, "/dashboard")).await.unwrap();
    b.find(Locator::Css("[data-testid=secret]"))
        .await
        .unwrap()
        .send_keys(SECRET)
        .await
        .unwrap();
    b.find(Locator::Css("[data-testid=sign-in]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let issuer = match b
        .wait()
        .for_element(Locator::Css("[data-testid=issuer]"))
        .await
    {
        Ok(e) => e,
        Err(e) => panic!(
            "{e}: at {} showing {}",
            b.current_url().await.unwrap(),
            b.source().await.unwrap()
        ),
    };
    assert_eq!(issuer.text().await.unwrap(), t.issuer());

    // Mint with a scope; the decoded claims are on the page.
    b.find(Locator::Css("[data-testid=scope]"))
        .await
        .unwrap()
        .send_keys("read:messages")
        .await
        .unwrap();
    b.find(Locator::Css("[data-testid=mint]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let claims = b
        .wait()
        .for_element(Locator::Css("[data-testid=token-claims]"))
        .await
        .unwrap();
    let claims: Value = serde_json::from_str(&claims.text().await.unwrap()).unwrap();
    assert_eq!(claims["scope"], "read:messages");
    let token = b
        .find(Locator::Css("[data-testid=token]"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(verify(&token, &fetch_jwks(&t).await, t.issuer(), t.audience()).is_ok());

    // Rotate: the page shows the new current key.
    b.find(Locator::Css("[data-testid=rotate]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // Wait for the page the form answered with (the old one has no notice), then read it.
    let notice = b
        .wait()
        .for_element(Locator::Css("[data-testid=notice]"))
        .await
        .unwrap();
    assert!(notice.text().await.unwrap().starts_with("Rotated: "));
    let current = b
        .find(Locator::Css("[data-testid=key-current] code"))
        .await
        .unwrap();
    assert_eq!(current.text().await.unwrap(), t.keys().current().kid());

    // The journal refreshes by itself (the page's one script, allowed by the CSP).
    t.http_client()
        .get(format!("{}?from=chromium-test", t.urls().jwks()))
        .send()
        .await
        .unwrap();
    let mut seen = false;
    for _ in 0..50 {
        let text = b
            .find(Locator::Css("[data-testid=journal]"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if text.contains("/.well-known/jwks.json?from=chromium-test") {
            seen = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(seen, "the journal refreshed without a reload");

    // The screenshot: a real rendering of the whole page, kept for people to look at.
    let png = b.screenshot().await.unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
    assert!(width >= 1000 && height >= 600, "{width}x{height}");
    assert!(
        png.len() > 20_000,
        "a page with content, not a blank one: {} bytes",
        png.len()
    );
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("test-page.png");
    std::fs::write(&out, &png).unwrap();
    browser.close().await;
}

/// The users, roles and applications lists create and delete through the tenant model (the
/// Management API's methods), behind the Test page session only.
#[tokio::test]
async fn the_lists_create_and_delete_users_roles_and_applications() {
    let t = tenant().start().await;
    let c = client(&t);
    let res = c
        .post(url(&t, "/dashboard/users"))
        .form(&[("email", "form@example.com"), ("password", "pw-123456")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401, "no change without the session");
    assert!(t.config().user_by_email("form@example.com").is_none());
    let res = c
        .post(url(&t, "/dashboard/session"))
        .form(&[("secret", SECRET)])
        .send()
        .await
        .unwrap();
    let set = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    let cookie = set.split(';').next().unwrap().to_owned();
    let post = |path: &'static str, form: Vec<(&'static str, String)>| {
        c.post(url(&t, path))
            .header("cookie", &cookie)
            .form(&form)
            .send()
    };
    let res = post(
        "/dashboard/users",
        vec![
            ("email", "form@example.com".into()),
            ("password", "pw-123456".into()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 200);
    let user = t.config().user_by_email("form@example.com").unwrap();
    assert!(
        res.text()
            .await
            .unwrap()
            .contains(&format!("Created user form@example.com ({}).", user.id()))
    );
    let res = post(
        "/dashboard/users",
        vec![
            ("email", "form@example.com".into()),
            ("password", "x".into()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 400, "the same email twice");
    let res = post("/dashboard/roles", vec![("name", "auditor".into())])
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("<tr><td>auditor</td>"));
    let res = post(
        "/dashboard/applications",
        vec![("name", "From the page".into())],
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(t.config().snapshot().applications.len(), 4);
    let res = post("/dashboard/users/delete", vec![("user_id", user.id())])
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(t.config().user_by_email("form@example.com").is_none());
    let res = post("/dashboard/roles/delete", vec![("name", "auditor".into())])
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = post(
        "/dashboard/applications/delete",
        vec![("client_id", "mock-web-client".into())],
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 200);
    assert!(t.config().application("mock-web-client").is_none());
}
