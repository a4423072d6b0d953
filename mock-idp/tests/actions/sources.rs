//! Where Actions come from: the tenant TOML (code files relative to it, secrets,
//! dependencies installed by the user), an `auth0-deploy-cli` export; and a person's login in
//! headless Chromium whose ID token carries an Action's claim.

use mock_idp::config::{DEFAULT_AUDIENCE, DEFAULT_CLIENT_ID};
use serde_json::json;

use super::*;
use crate::support::TempDir;

#[tokio::test]
async fn actions_from_the_tenant_toml_with_code_files_and_declared_dependencies() {
    if !node_available() {
        return;
    }
    let dir = TempDir::new("actions-toml");
    let root = dir.path();
    std::fs::create_dir_all(root.join("actions")).unwrap();
    std::fs::write(
        root.join("actions/m2m.js"),
        "const greet = require('greeting');\n\
         exports.onExecuteCredentialsExchange = async (event, api) => {\n\
           api.accessToken.setCustomClaim(event.secrets.NS + 'greeting', greet(event.client.client_id));\n\
           let other;\n\
           try { require('undeclared'); other = 'loaded'; } catch (e) { other = e.message; }\n\
           api.accessToken.setCustomClaim(event.secrets.NS + 'undeclared', other);\n\
         };\n",
    )
    .unwrap();
    // What `npm install` leaves in the modules directory.
    for (name, body) in [
        ("greeting", "module.exports = (n) => 'hello ' + n;"),
        ("undeclared", "module.exports = 1;"),
    ] {
        let m = root.join("node_modules").join(name);
        std::fs::create_dir_all(&m).unwrap();
        std::fs::write(m.join("index.js"), body).unwrap();
    }
    let toml = format!(
        r#"
[actions_runtime]
timeout_ms = 5000
modules_dir = "."

[[apis]]
identifier = "{DEFAULT_AUDIENCE}"
permissions = ["read:messages"]

[[applications]]
client_id = "{DEFAULT_CLIENT_ID}"
client_secret = "{secret}"
[applications.grants]
"{DEFAULT_AUDIENCE}" = ["read:messages"]

[[actions]]
name = "m2m"
trigger = "credentials-exchange"
code = "actions/m2m.js"
secrets = {{ NS = "https://example.com/" }}
dependencies = [{{ name = "greeting", version = "1.0.0" }}]
"#,
        secret = mock_idp::config::DEFAULT_CLIENT_SECRET
    );
    std::fs::write(root.join("tenant.toml"), toml).unwrap();
    let cfg = TenantConfig::load(&root.join("tenant.toml")).unwrap();
    assert_eq!(
        cfg.actions[0].code.as_deref(),
        Some(root.join("actions/m2m.js").as_path())
    );
    let tenant = MockTenant::builder().config(cfg).start().await;
    let (status, body) = client_credentials(&tenant).await;
    assert_eq!(status, 200, "{body}");
    let access = claims(&body, "access_token");
    assert_eq!(
        access["https://example.com/greeting"],
        format!("hello {DEFAULT_CLIENT_ID}")
    );
    assert_eq!(
        access["https://example.com/undeclared"],
        "Cannot find module 'undeclared' (not a declared dependency of this Action)"
    );
}

#[test]
fn bad_action_settings_stop_the_toml_with_one_line() {
    let cases = [
        (
            "[[actions]]\nname = \"a\"\ntrigger = \"pre-user-registration\"\nscript = \"\"\n",
            "unknown variant `pre-user-registration`, expected `post-login` or `credentials-exchange`",
        ),
        (
            "[[actions]]\nname = \"a\"\ntrigger = \"post-login\"\n",
            "t.toml: actions[0].code: give exactly one of `code` (a file) and `script`",
        ),
        (
            "[actions_runtime]\ntimeout_ms = 30000\n",
            "t.toml: actions_runtime.timeout_ms: must be 1 to 20000 (Auth0's limit)",
        ),
    ];
    for (text, expected) in cases {
        let text = format!("[[apis]]\nidentifier = \"https://a\"\n{text}");
        let e = TenantConfig::parse(&text, "t.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains(expected), "{e}");
        assert!(!e.contains('\n'), "{e}");
    }
}

#[tokio::test]
async fn actions_from_a_deploy_cli_export_run_in_its_binding_order() {
    if !node_available() {
        return;
    }
    let dir = TempDir::new("deploy-cli");
    let root = dir.path();
    let action = |name: &str, trigger: &str, code: &str| {
        std::fs::create_dir_all(root.join("actions").join(name)).unwrap();
        std::fs::write(root.join("actions").join(name).join("code.js"), code).unwrap();
        let json = json!({
            "name": name,
            "code": format!("./actions/{name}/code.js"),
            "runtime": "node18",
            "status": "built",
            "dependencies": [],
            "secrets": [{"name": "LEVEL", "value": "gold"}],
            "supported_triggers": [{"id": trigger, "version": "v3"}],
            "deployed": true
        });
        std::fs::write(
            root.join("actions").join(format!("{name}.json")),
            serde_json::to_string_pretty(&json).unwrap(),
        )
        .unwrap();
    };
    action(
        "first",
        "credentials-exchange",
        "exports.onExecuteCredentialsExchange = async (event, api) => { api.accessToken.setCustomClaim('https://example.com/order', ['first']); api.accessToken.setCustomClaim('https://example.com/level', event.secrets.LEVEL); };",
    );
    action(
        "second",
        "credentials-exchange",
        "exports.onExecuteCredentialsExchange = async (event, api) => { api.accessToken.setCustomClaim('https://example.com/order', event.accessToken.customClaims['https://example.com/order'].concat('second')); };",
    );
    action(
        "unbound",
        "post-login",
        "exports.onExecutePostLogin = async () => { throw new Error('never bound'); };",
    );
    std::fs::create_dir_all(root.join("triggers")).unwrap();
    std::fs::write(
        root.join("triggers/triggers.json"),
        json!({
            "credentials-exchange": [
                {"action_name": "first", "display_name": "first"},
                {"action_name": "second", "display_name": "second"}
            ],
            "post-login": [],
            "pre-user-registration": []
        })
        .to_string(),
    )
    .unwrap();
    // The Deploy CLI writes code paths relative to where it ran: run from the export's root.
    let tenant = MockTenant::builder()
        .config(config(Vec::new()))
        .actions_from_deploy_cli(root)
        .start()
        .await;
    let (status, body) = client_credentials(&tenant).await;
    assert_eq!(status, 200, "{body}");
    let access = claims(&body, "access_token");
    assert_eq!(
        access["https://example.com/order"],
        json!(["first", "second"])
    );
    assert_eq!(access["https://example.com/level"], "gold");
    // The unbound Action never runs: a login works.
    let (status, _) = password_login(&tenant, "openid").await;
    assert_eq!(status, 200);

    // An export whose triggers file is missing stops start-up with one line.
    let empty = TempDir::new("deploy-cli-empty");
    let err = MockTenant::builder()
        .actions_from_deploy_cli(empty.path())
        .try_start()
        .unwrap_err()
        .to_string();
    assert!(err.contains("no triggers/triggers.json"), "{err}");
}

/// A person logs in in headless Chromium (typing into the login form); the ID token the
/// application gets for the code carries the post-login Action's claim.
#[tokio::test]
async fn a_chromium_login_gets_an_id_token_with_the_actions_claim() {
    if !node_available() {
        return;
    }
    let Some(browser) = browser_test::Browser::launch().await else {
        return;
    };
    // The application's callback: a page on 127.0.0.1.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let callback = format!(
        "http://127.0.0.1:{}/callback",
        listener.local_addr().unwrap().port()
    );
    tokio::spawn(async move {
        let app = axum::Router::new().route(
            "/callback",
            axum::routing::get(|| async { axum::response::Html("<p id=signed-in>signed in</p>") }),
        );
        let _ = axum::serve(listener, app).await;
    });
    let mut c = config(vec![post_login(
        "greet",
        "exports.onExecutePostLogin = async (event, api) => {\
           api.idToken.setCustomClaim('https://example.com/greeting', 'hello ' + event.user.email);\
         };",
    )]);
    c.applications.push(mock_idp::config::ApplicationConfig {
        client_secret: "browser-secret".into(),
        ..mock_idp::config::ApplicationConfig::browser(
            "browser-app",
            mock_idp::config::AppType::RegularWeb,
            &callback,
        )
    });
    let tenant = MockTenant::builder().config(c).start().await;
    let b = browser.client();
    use browser_test::fantoccini::Locator;
    let authorize = format!(
        "{}authorize?response_type=code&client_id=browser-app&redirect_uri={}&scope=openid%20email&state=s1&nonce=n1",
        tenant.issuer(),
        url_encode(&callback)
    );
    b.goto(&authorize).await.unwrap();
    b.wait()
        .for_element(Locator::Css("[data-testid=login-email]"))
        .await
        .unwrap()
        .send_keys(EMAIL)
        .await
        .unwrap();
    b.find(Locator::Css("[data-testid=login-password]"))
        .await
        .unwrap()
        .send_keys(PASSWORD)
        .await
        .unwrap();
    b.find(Locator::Css("[data-testid=login-submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.wait()
        .for_element(Locator::Id("signed-in"))
        .await
        .unwrap();
    let at = b.current_url().await.unwrap();
    let code = at
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| panic!("no code in {at}"));
    browser.close().await;
    let (status, body) = crate::support::post_token(
        &tenant,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", "browser-app"),
            ("client_secret", "browser-secret"),
            ("code", &code),
            ("redirect_uri", &callback),
        ],
        &[],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let jwks = crate::support::fetch_jwks(&tenant).await;
    let id = crate::support::verify(
        body["id_token"].as_str().unwrap(),
        &jwks,
        tenant.issuer(),
        "browser-app",
    )
    .unwrap();
    assert_eq!(id["https://example.com/greeting"], format!("hello {EMAIL}"));
    assert_eq!(id["nonce"], "n1");
}

fn url_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Every test the README's Actions table names exists in `tests/actions/`, and every test
/// there is named by a row.
#[test]
fn readme_rows_name_tests() {
    let readme = include_str!("../../README.md");
    let start = readme.find("| AC-01 |").expect("the Actions table");
    let table: Vec<&str> = readme[start..]
        .lines()
        .take_while(|l| l.starts_with("| AC-"))
        .collect();
    assert_eq!(table.len(), 26);
    let sources = [
        include_str!("flows.rs"),
        include_str!("runtime.rs"),
        include_str!("sandbox.rs"),
        include_str!("sources.rs"),
        include_str!("management.rs"),
        include_str!("management_refusals.rs"),
    ]
    .concat();
    let mut named = Vec::new();
    for row in &table {
        // The last cell names the tests.
        let cell = row.trim_end_matches('|').rsplit(" | ").next().unwrap_or("");
        for name in cell.split('`').skip(1).step_by(2) {
            if name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            {
                assert!(
                    sources.contains(&format!("fn {name}(")),
                    "README names `{name}`, which is not a test"
                );
                named.push(name.to_owned());
            }
        }
    }
    for line in sources.lines() {
        let Some(rest) = line
            .trim()
            .strip_prefix("async fn ")
            .or_else(|| line.trim().strip_prefix("fn "))
        else {
            continue;
        };
        let name = rest.split('(').next().unwrap_or("");
        let is_test = sources.contains(&format!("#[tokio::test]\nasync fn {name}("))
            || sources.contains(&format!("#[test]\nfn {name}("));
        if is_test && name != "readme_rows_name_tests" {
            assert!(
                named.iter().any(|n| n == name),
                "no README row names `{name}`"
            );
        }
    }
}

/// The example tenant in `fixtures/` runs its Actions as written.
#[tokio::test]
async fn the_example_tenant_runs_its_actions() {
    if !node_available() {
        return;
    }
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/tenant.actions.toml");
    let cfg = TenantConfig::load(&path).unwrap();
    let tenant = MockTenant::builder().config(cfg).start().await;
    async fn login(tenant: &MockTenant, email: &str) -> (u16, serde_json::Value) {
        crate::support::post_token(
            tenant,
            &[
                ("grant_type", "password"),
                ("client_id", "mock-web-client"),
                ("client_secret", "mock-web-secret"),
                ("username", email),
                ("password", "Passw0rd!"),
                ("scope", "openid"),
            ],
            &[],
        )
        .await
    }
    let (status, body) = login(&tenant, "ada@example.com").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        claims(&body, "access_token")["https://example.com/roles"],
        json!(["admin"])
    );
    assert_eq!(claims(&body, "id_token")["https://example.com/plan"], "pro");
    let (status, body) = login(&tenant, "mallory@example.com").await;
    assert_eq!(
        (status, body),
        (
            403,
            json!({"error": "access_denied", "error_description": "blocked"})
        )
    );
    let (status, body) = client_credentials(&tenant).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        claims(&body, "access_token")["https://example.com/tier"],
        "gold"
    );
}
