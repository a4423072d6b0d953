//! The `mock-idp` binary: token, proof, init and ca against a temporary state directory.

use std::process::{Command, Stdio};

use mock_idp::MockTenant;

use crate::support::{TempDir, fetch_jwks, json_of, parts, verify};

fn mock_idp(dir: &TempDir) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mock-idp"));
    c.arg("--state-dir").arg(dir.path()).arg("--fixture-keys");
    c
}

fn ok(c: &mut Command) -> String {
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[tokio::test]
async fn token_from_the_cli_verifies_against_a_tenant_on_the_same_state() {
    let dir = TempDir::new("cli-token");
    let tenant = MockTenant::builder()
        .state_dir(dir.path())
        .host("localhost")
        .start()
        .await;
    // Tell the CLI where the tenant listens, as `serve` would.
    mock_idp::StateDir::open(dir.path())
        .unwrap()
        .write_endpoint(&mock_idp::ServeAddress {
            base_url: tenant.uri().to_owned(),
            domain: tenant.domain().to_owned(),
            listen_port: None,
        })
        .unwrap();
    let token = ok(mock_idp(&dir).args([
        "token",
        "--scope",
        "read:messages",
        "--sub",
        "me",
        "--claim",
        "n=5",
        "--claim",
        "s=x",
        "--header",
        "x-h=yes",
        "--expires-in",
        "60",
    ]));
    let jwks = fetch_jwks(&tenant).await;
    let claims = verify(&token, &jwks, tenant.issuer(), tenant.audience()).unwrap();
    assert_eq!(claims["scope"], "read:messages");
    assert_eq!(claims["sub"], "me");
    assert_eq!(claims["n"], 5);
    assert_eq!(claims["s"], "x");
    assert_eq!(parts(&token).0["x-h"], "yes");

    // Claims from stdin, and DPoP binding from a key file.
    let key_file = dir.path().join("k.pem");
    std::fs::write(&key_file, mock_idp::DpopKey::fixture().private_key_pem()).unwrap();
    let mut child = mock_idp(&dir)
        .args(["token", "--claims-json", "-", "--dpop-key"])
        .arg(&key_file)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(br#"{"org_id":"org_1"}"#)
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let (_, c) = parts(String::from_utf8(out.stdout).unwrap().trim());
    assert_eq!(c["org_id"], "org_1");
    assert_eq!(c["cnf"]["jkt"], mock_idp::DpopKey::fixture().thumbprint());

    // A proof for curl.
    let proof = ok(mock_idp(&dir).args([
        "proof",
        "--method",
        "GET",
        "--url",
        "https://api/x?y",
        "--token",
        &token,
    ]));
    let (h, c) = parts(&proof);
    assert_eq!(h["typ"], "dpop+jwt");
    assert_eq!(c["htu"], "https://api/x");
    assert_eq!(c["ath"], mock_idp::jose::ath(&token));
}

#[test]
fn init_and_ca() {
    let dir = TempDir::new("cli-init");
    let ca = ok(mock_idp(&dir).arg("ca"));
    assert!(ca.ends_with("ca.pem") && std::path::Path::new(&ca).exists());
    let env = dir.path().join("out.env");
    ok(mock_idp(&dir).args(["init", "--output"]).arg(&env));
    let text = std::fs::read_to_string(&env).unwrap();
    assert!(text.contains("AUTH0_DOMAIN=localhost:8443"), "{text}");
    assert!(text.contains("AUTH0_AUDIENCE=https://my-flask-api"));
    assert!(text.contains(&format!("AUTH0_CA_FILE={ca}")));
    // Refuses to clobber without --force.
    let out = mock_idp(&dir)
        .args(["init", "--output"])
        .arg(&env)
        .output()
        .unwrap();
    assert!(!out.status.success());
}

/// `init` writes what the conformance runner and the Test page show for the same tenant: with
/// custom domains in the configuration, `AUTH0_DOMAINS` lists every one on the served port.
#[test]
fn init_lists_custom_domains_like_the_tenant() {
    let dir = TempDir::new("cli-init-domains");
    let config = dir.path().join("tenant.toml");
    // A top-level key, so before the example's tables.
    let toml = format!(
        "custom_domains = [\"Auth.Example.com\", \"localhost\"]\n{}",
        include_str!("../../fixtures/tenant.example.toml")
    );
    std::fs::write(&config, toml).unwrap();
    let env = dir.path().join("out.env");
    ok(mock_idp(&dir)
        .args(["init", "--config"])
        .arg(&config)
        .arg("--output")
        .arg(&env));
    let text = std::fs::read_to_string(&env).unwrap();
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("AUTH0_DOMAIN"))
        .collect();
    assert_eq!(
        lines,
        [
            "AUTH0_DOMAIN=localhost:8443",
            "AUTH0_DOMAINS=localhost:8443,auth.example.com:8443"
        ],
        "{text}"
    );
}

/// `init` and the conformance runner (`env_for`) write the same `.env` for one tenant, custom
/// domains included.
#[tokio::test]
async fn init_writes_the_env_the_conformance_runner_prints() {
    let dir = TempDir::new("cli-init-agree");
    let config = dir.path().join("tenant.toml");
    let toml = format!(
        "custom_domains = [\"auth.example.com\"]\n{}",
        include_str!("../../fixtures/tenant.example.toml")
    );
    std::fs::write(&config, toml).unwrap();
    let tenant = MockTenant::builder()
        .config(mock_idp::config::TenantConfig::load(&config).unwrap())
        .state_dir(dir.path())
        .host("localhost")
        .start()
        .await;
    mock_idp::StateDir::open(dir.path())
        .unwrap()
        .write_endpoint(&mock_idp::ServeAddress {
            base_url: tenant.uri().to_owned(),
            domain: tenant.domain().to_owned(),
            listen_port: None,
        })
        .unwrap();
    let env = dir.path().join("out.env");
    ok(mock_idp(&dir)
        .args(["init", "--config"])
        .arg(&config)
        .arg("--output")
        .arg(&env));
    let text = std::fs::read_to_string(&env).unwrap();
    let written: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
    let ca = dir.path().join("ca.pem");
    let runner = verifier_conformance::env_for(&tenant, tenant.audience(), &ca);
    assert_eq!(written, runner.lines().collect::<Vec<_>>());
    assert!(runner.contains("AUTH0_DOMAINS="), "{runner}");
}

#[test]
fn failures_are_one_line_and_nonzero() {
    let dir = TempDir::new("cli-fail");
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[[apis]]\nidentifier = \"https://a\"\ntoken_lifetime = -1\n",
    )
    .unwrap();
    for args in [
        vec![
            "token".to_owned(),
            "--config".into(),
            bad.display().to_string(),
        ],
        vec!["token".into(), "--claim".into(), "novalue".into()],
        vec![
            "proof".into(),
            "--url".into(),
            "https://x".into(),
            "--key".into(),
            "/nonexistent/key.pem".into(),
        ],
    ] {
        let out = mock_idp(&dir).args(&args).output().unwrap();
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(err.starts_with("mock-idp: "), "{err}");
    }
    let out = mock_idp(&dir)
        .args(["token", "--config"])
        .arg(&bad)
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("bad.toml") && err.contains("apis[0].token_lifetime"),
        "{err}"
    );
}

/// Kills the child on drop so a failing assertion never leaks a server.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn serve_prints_its_urls_and_answers_over_https_quickly_with_existing_state() {
    use std::io::BufRead as _;
    let dir = TempDir::new("cli-serve");
    let config = dir.path().join("tenant.toml");
    std::fs::write(&config, include_str!("../../fixtures/tenant.example.toml")).unwrap();
    for round in 0..2 {
        let started = std::time::Instant::now();
        let mut child = Child(
            mock_idp(&dir)
                .args(["serve", "--port", "0", "--host", "127.0.0.1", "--config"])
                .arg(&config)
                .stdout(Stdio::piped())
                .spawn()
                .unwrap(),
        );
        let stdout = child.0.stdout.take().unwrap();
        let mut lines = std::io::BufReader::new(stdout).lines();
        let mut issuer = String::new();
        let mut saw_ca = false;
        for line in lines.by_ref() {
            let line = line.unwrap();
            if let Some(i) = line.trim().strip_prefix("issuer:") {
                issuer = i.trim().to_owned();
            }
            saw_ca |= line.starts_with("Trust the CA:");
            if line.starts_with("Press Ctrl-C") {
                break;
            }
        }
        let elapsed = started.elapsed();
        assert!(issuer.starts_with("https://127.0.0.1:"), "{issuer}");
        assert!(saw_ca);
        if round == 1 {
            // Existing state: no key or CA generation. Generous bound for a debug build on CI.
            assert!(elapsed < std::time::Duration::from_secs(2), "{elapsed:?}");
        }
        let ca = std::fs::read(dir.path().join("ca.pem")).unwrap();
        let client = reqwest::Client::builder()
            .tls_certs_only([reqwest::Certificate::from_pem(&ca).unwrap()])
            .build()
            .unwrap();
        let doc: serde_json::Value =
            json_of(client.get(format!("{issuer}.well-known/openid-configuration"))).await;
        assert_eq!(doc["issuer"], issuer);
        let token_request = client.post(format!("{issuer}oauth/token")).form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "read-only-client"),
            ("client_secret", "read-only-secret"),
            ("audience", "https://my-flask-api"),
        ]);
        let res: serde_json::Value = json_of(token_request).await;
        assert_eq!(res["scope"], "read:messages", "{res}");
    }
}

#[tokio::test]
async fn token_for_a_user_looks_like_the_code_flow_token() {
    let dir = TempDir::new("cli-user-token");
    let token = ok(mock_idp(&dir).args(["token", "--user", mock_idp::config::DEFAULT_USER_EMAIL]));
    let (_, claims) = parts(&token);
    let user = &mock_idp::config::TenantConfig::default().users[0];
    assert_eq!(claims["sub"], user.id());
    assert_eq!(claims["azp"], mock_idp::config::DEFAULT_SPA_CLIENT_ID);
    assert!(claims.get("gty").is_none(), "{claims}");
    let out = mock_idp(&dir)
        .args(["token", "--user", "nobody@example.com"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--user nobody@example.com"));
}

#[tokio::test]
async fn serve_with_auto_login_prints_a_login_url_that_lands_on_the_callback() {
    use std::io::BufRead as _;
    let dir = TempDir::new("cli-auto-login");
    let mut child = Child(
        mock_idp(&dir)
            .args([
                "serve",
                "--port",
                "0",
                "--host",
                "127.0.0.1",
                "--auto-login",
            ])
            .arg(mock_idp::config::DEFAULT_USER_EMAIL)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    let mut login = String::new();
    for line in std::io::BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if let Some(l) = line.trim().strip_prefix("login:") {
            login = l.trim().to_owned();
        }
        if line.starts_with("Press Ctrl-C") {
            break;
        }
    }
    assert!(login.contains("/authorize?response_type=code"), "{login}");
    let ca = std::fs::read(dir.path().join("ca.pem")).unwrap();
    let client = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&ca).unwrap()])
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = client.get(&login).send().await.unwrap();
    assert_eq!(res.status(), 302);
    let location = res.headers()["location"].to_str().unwrap();
    assert!(
        location.starts_with(&format!("{}?code=", mock_idp::config::DEFAULT_CALLBACK)),
        "{location}"
    );
}

/// An enrolment made while `serve` runs (here over the Management API; the login page's under
/// the MFA policy is kept the same way) is the one `otp` reads: from the state directory's
/// saved tenant, not the configuration file, which has none.
#[tokio::test]
async fn otp_reads_an_enrolment_made_while_serve_runs() {
    let dir = TempDir::new("cli-otp-live");
    let served = crate::deploy::serve(&dir, &[], &[]);
    let user = mock_idp::config::UserConfig::new("user@example.com", "x").id();
    let res = crate::deploy::client(&dir)
        .post(format!(
            "https://localhost:{}/api/v2/users/{user}/authentication-methods",
            served.port
        ))
        .bearer_auth(crate::deploy::ADMIN)
        .json(&serde_json::json!({
            "type": "totp",
            "totp_secret": "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    // The tenant writes its changes on a thread of its own, just after answering.
    let mut code = String::new();
    for _ in 0..50 {
        let out = crate::deploy::mock_idp(&dir)
            .args(["otp", "user@example.com", "--at", "1111111109"])
            .output()
            .unwrap();
        if out.status.success() {
            code = String::from_utf8(out.stdout).unwrap().trim().to_owned();
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(code, "081804");
}

#[test]
fn otp_prints_the_code_an_authenticator_app_shows() {
    let dir = TempDir::new("cli-otp");
    let config = dir.path().join("tenant.toml");
    // RFC 6238 Appendix B's secret ("12345678901234567890" in base32) and its SHA-1 vector.
    std::fs::write(
        &config,
        "[[apis]]\nidentifier = \"https://a\"\n[[users]]\nemail = \"ada@example.com\"\n\
         password = \"p\"\n[users.mfa]\notp_secret = \"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\"\n",
    )
    .unwrap();
    let config = config.to_str().unwrap();
    let code = ok(mock_idp(&dir).args([
        "otp",
        "ada@example.com",
        "--config",
        config,
        "--at",
        "1111111109",
    ]));
    assert_eq!(code, "081804");
    // Now: six digits, the same as the library computes.
    let now = ok(mock_idp(&dir).args(["otp", "ada@example.com", "--config", config]));
    assert_eq!(now.len(), 6);
    // A user without an enrolment is one line naming the fix.
    let out = mock_idp(&dir)
        .args(["otp", "user@example.com"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "mock-idp: user@example.com: the user has no OTP enrolment ([users.mfa])"
    );
}
