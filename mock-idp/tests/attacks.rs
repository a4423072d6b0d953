//! The security review's attacks on the tenant, each played over HTTPS by an attacker who
//! holds only what the review's attacker held (the printed default user, the public SPA
//! client, a narrowly scoped Management API client), with the exact refusal expected.

use mock_idp::config::{
    DEFAULT_CALLBACK, DEFAULT_SPA_CLIENT_ID, DEFAULT_USER_EMAIL, DEFAULT_USER_PASSWORD,
    MANAGEMENT_API,
};
use mock_idp::{MockTenant, config::ApplicationConfig, config::TenantConfig};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::control::call_as as control;
use crate::support::post_token;

const SECRET: &str = "attack-admin-secret-0123456789";
/// RFC 7636 appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
/// The scopes the review's attacker asked for.
const CONTROL_SCOPES: &str = "update:mock_tenant read:mock_tenant create:mock_tokens";

/// The refusal of a valid token that did not come from client_credentials.
fn not_client_credentials() -> Value {
    json!({
        "statusCode": 403,
        "error": "Forbidden",
        "message": "Management API tokens come from client_credentials only",
        "errorCode": "access_denied",
    })
}

/// The default tenant (its printed user, its public SPA client) with the control API on and
/// `ops-client` granted only `create:mock_tokens` and `read:mock_tenant`.
fn builder() -> mock_idp::TenantBuilder {
    let mut config = TenantConfig::default();
    let mut ops = ApplicationConfig::machine("ops-client", "ops-secret");
    ops.grants.insert(
        MANAGEMENT_API.into(),
        vec!["create:mock_tokens".into(), "read:mock_tenant".into()],
    );
    config.applications.push(ops);
    MockTenant::builder().config(config).admin_secret(SECRET)
}

/// A client that trusts the tenant's CA and shows every redirect.
fn browser(t: &MockTenant) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .tls_certs_only([reqwest::Certificate::from_der(&t.ca().der()).unwrap()])
        .build()
        .unwrap()
}

/// The claims of a compact JWT, unverified (the test holds the token it was just given).
fn payload_of(jwt: &str) -> Value {
    use base64::Engine as _;
    let payload = jwt.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// `/authorize` for the public SPA client asking for the Management API and `scope`.
fn authorize_url(t: &MockTenant, scope: &str) -> String {
    let mut u = url::Url::parse(&format!("{}/authorize", t.uri())).unwrap();
    u.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", DEFAULT_SPA_CLIENT_ID)
        .append_pair("redirect_uri", DEFAULT_CALLBACK)
        .append_pair("scope", scope)
        .append_pair("audience", &t.control().audience())
        .append_pair("code_challenge", CHALLENGE)
        .append_pair("code_challenge_method", "S256");
    u.into()
}

fn location(res: &reqwest::Response) -> String {
    res.headers()["location"].to_str().unwrap().to_owned()
}

fn set_cookie(res: &reqwest::Response, name: &str) -> String {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next()?.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
        .unwrap()
}

/// The `code` in a callback URL.
fn code_of(callback: &str) -> String {
    url::Url::parse(callback)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| panic!("no code in {callback}"))
}

/// Redeems `code` for the SPA client; the token endpoint's answer.
async fn redeem(t: &MockTenant, code: &str) -> Value {
    let (status, body) = post_token(
        t,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", DEFAULT_SPA_CLIENT_ID),
            ("code", code),
            ("redirect_uri", DEFAULT_CALLBACK),
            ("code_verifier", VERIFIER),
        ],
        &[],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

/// The review's H1 step by step: the printed user logs in through the public SPA client for
/// the Management API with the control scopes, redeems the code, and tries the control API.
#[tokio::test]
async fn a_user_login_for_the_management_api_gets_no_control_scope() {
    let t = builder().start().await;
    let http = browser(&t);
    let res = http
        .get(authorize_url(&t, &format!("openid {CONTROL_SCOPES}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302);
    let device = set_cookie(&res, "did");
    let tx = location(&res)
        .trim_start_matches("/u/login?state=")
        .to_owned();
    let res = http
        .post(format!("{}/u/login", t.uri()))
        .header("cookie", format!("did={device}"))
        .form(&[
            ("state", tx.as_str()),
            ("username", DEFAULT_USER_EMAIL),
            ("password", DEFAULT_USER_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302);
    let body = redeem(&t, &code_of(&location(&res))).await;
    // As on Auth0: a user's token for /api/v2/ carries none of the operator's scopes.
    assert_eq!(body["scope"], "openid");
    let at = body["access_token"].as_str().unwrap();
    for (method, path, body) in [
        (Method::GET, "/control/journal", None),
        (
            Method::POST,
            "/control/tokens",
            Some(json!({"scope": "admin:write"})),
        ),
        (Method::POST, "/control/reset", None),
        (Method::GET, "/api/v2/keys/signing", None),
    ] {
        let got = control(&t, at, method, path, body).await;
        assert_eq!(
            got,
            (StatusCode::FORBIDDEN, not_client_credentials()),
            "{path}"
        );
    }
}

/// With `--auto-login`, no password is needed; the token still carries no control scope and
/// opens nothing.
#[tokio::test]
async fn auto_login_gets_no_control_scope() {
    let t = builder().auto_login(DEFAULT_USER_EMAIL).start().await;
    let res = browser(&t)
        .get(authorize_url(&t, CONTROL_SCOPES))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302);
    let body = redeem(&t, &code_of(&location(&res))).await;
    assert_eq!(body["scope"], "", "{body}");
    let at = body["access_token"].as_str().unwrap();
    let got = control(&t, at, Method::POST, "/control/reset", None).await;
    assert_eq!(got, (StatusCode::FORBIDDEN, not_client_credentials()));
}

/// A refresh token may narrow what the login granted, never add the operator's scopes.
#[tokio::test]
async fn a_refresh_cannot_add_control_scopes() {
    let t = builder().start().await;
    let tokens = t
        .login(DEFAULT_USER_EMAIL)
        .client(DEFAULT_SPA_CLIENT_ID)
        .await
        .unwrap();
    let rt = tokens.refresh_token.unwrap();
    let (status, body) = post_token(
        &t,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", DEFAULT_SPA_CLIENT_ID),
            ("refresh_token", &rt),
            ("scope", "openid read:mock_tenant"),
        ],
        &[],
    )
    .await;
    assert_eq!(
        (status, body),
        (
            403,
            json!({"error": "access_denied", "error_description": "Client has not been granted scopes: read:mock_tenant"})
        )
    );
}

/// Custom Token Exchange by a public client, and On-Behalf-Of by a confidential one, for the
/// Management API: no control scope either way.
#[tokio::test]
async fn token_exchange_never_yields_control_scopes() {
    let text = format!(
        "{}\n[[applications]]\nclient_id = \"ops-client\"\nclient_secret = \"ops-secret\"\n[applications.grants]\n\"{MANAGEMENT_API}\" = [\"read:mock_tenant\"]\n",
        include_str!("../fixtures/tenant.exchange.toml")
    );
    let config = TenantConfig::parse(&text, "tenant.exchange.toml").unwrap();
    let t = MockTenant::builder()
        .config(config)
        .admin_secret(SECRET)
        .start()
        .await;
    let subject = t.token().sub("auth0|alice").scope("read:messages").build();
    let audience = t.control().audience();
    let (status, body) = post_token(
        &t,
        &[
            (
                "grant_type",
                "urn:ietf:params:oauth:grant-type:token-exchange",
            ),
            ("client_id", "spa-client"),
            ("subject_token", &subject),
            ("subject_token_type", "urn:mock-idp:tenant-access-token"),
            ("audience", &audience),
            ("scope", CONTROL_SCOPES),
        ],
        &[],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body.get("scope"), None, "{body}");
    let at = body["access_token"].as_str().unwrap();
    for (method, path) in [
        (Method::GET, "/control/journal"),
        (Method::POST, "/control/clock"),
    ] {
        let got = control(&t, at, method, path, Some(json!({"advance": 1}))).await;
        assert_eq!(
            got,
            (StatusCode::FORBIDDEN, not_client_credentials()),
            "{path}"
        );
    }

    // On-Behalf-Of for the Management API by the quickstart API's client: refused outright.
    let (status, body) = post_token(
        &t,
        &[
            (
                "grant_type",
                "urn:ietf:params:oauth:grant-type:token-exchange",
            ),
            ("client_id", "flask-api-client"),
            ("client_secret", "flask-api-secret"),
            ("subject_token", &subject),
            (
                "subject_token_type",
                "urn:ietf:params:oauth:token-type:access_token",
            ),
            (
                "requested_token_type",
                "urn:ietf:params:oauth:token-type:access_token",
            ),
            ("audience", &audience),
        ],
        &[],
    )
    .await;
    assert_eq!(
        (status, body),
        (
            403,
            json!({"error": "access_denied", "error_description": "Management API tokens are issued through client_credentials only"})
        )
    );
}

/// A token signed by the tenant's key that claims every control scope but did not come from
/// client_credentials of a granted application is refused; so is one naming an application
/// without the grant.
#[tokio::test]
async fn control_scopes_without_the_client_grant_behind_them_are_refused() {
    let t = builder().start().await;
    let user_shaped = t
        .token()
        .audience(&t.control().audience())
        .sub("auth0|attacker")
        .remove_claim("gty")
        .scope(CONTROL_SCOPES)
        .build();
    let got = control(&t, &user_shaped, Method::GET, "/control/journal", None).await;
    assert_eq!(got, (StatusCode::FORBIDDEN, not_client_credentials()));
    // The default test client has client_credentials but no Management API grant.
    let ungranted = t
        .token()
        .audience(&t.control().audience())
        .scope(CONTROL_SCOPES)
        .build();
    let got = control(&t, &ungranted, Method::GET, "/control/journal", None).await;
    assert_eq!(
        got,
        (
            StatusCode::FORBIDDEN,
            json!({"statusCode": 403, "error": "Forbidden", "message": "Insufficient scope, expected any of: read:mock_tenant", "errorCode": "insufficient_scope"})
        )
    );
}

/// `POST /control/tokens` by a client holding `create:mock_tokens`: no Management API token
/// with more scope, no token that outlives the caller's; within both, it mints.
#[tokio::test]
async fn minting_cannot_escalate_scope_or_lifetime() {
    let t = builder().start().await;
    let (status, body) = post_token(
        &t,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "ops-client"),
            ("client_secret", "ops-secret"),
            ("audience", &t.control().audience()),
        ],
        &[],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let ops = body["access_token"].as_str().unwrap().to_owned();
    // Read from the token itself: the clock may tick between its issue and this line.
    let caller_exp = payload_of(&ops)["exp"].as_i64().unwrap();

    // Every control scope, for the Management API: refused.
    let all = "read:signing_keys create:signing_keys update:signing_keys read:mock_tenant update:mock_tenant create:mock_tokens";
    let spec = json!({"audience": t.control().audience(), "scope": all, "expires_in": 60});
    let got = control(&t, &ops, Method::POST, "/control/tokens", Some(spec)).await;
    assert_eq!(
        got,
        (
            StatusCode::FORBIDDEN,
            json!({"statusCode": 403, "error": "Forbidden", "message": "A minted Management API token may not carry scopes the caller lacks: read:signing_keys create:signing_keys update:signing_keys update:mock_tenant", "errorCode": "access_denied"})
        )
    );
    // Ten years, for any API: refused.
    let spec = json!({"scope": "read:messages", "expires_in": 315_360_000});
    let got = control(&t, &ops, Method::POST, "/control/tokens", Some(spec)).await;
    assert_eq!(
        got,
        (
            StatusCode::FORBIDDEN,
            json!({"statusCode": 403, "error": "Forbidden", "message": format!("A minted token may not outlive the caller's token (exp {caller_exp})"), "errorCode": "access_denied"})
        )
    );
    // A test token within both bounds: minted.
    let spec = json!({"scope": "read:messages", "expires_in": 600});
    let (s, body) = control(&t, &ops, Method::POST, "/control/tokens", Some(spec)).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["claims"]["scope"], "read:messages");
    // The operator (admin secret) may mint anything.
    let spec = json!({"audience": t.control().audience(), "scope": all, "expires_in": 315_360_000});
    let (s, _) = control(&t, SECRET, Method::POST, "/control/tokens", Some(spec)).await;
    assert_eq!(s, 200);
}

/// `/authorize` for the public SPA client and the default API, optionally with a device cookie.
async fn start_login(
    t: &MockTenant,
    http: &reqwest::Client,
    device: Option<&str>,
) -> reqwest::Response {
    let mut u = url::Url::parse(&format!("{}/authorize", t.uri())).unwrap();
    u.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", DEFAULT_SPA_CLIENT_ID)
        .append_pair("redirect_uri", DEFAULT_CALLBACK)
        .append_pair("scope", "openid")
        .append_pair("code_challenge", CHALLENGE)
        .append_pair("code_challenge_method", "S256");
    let mut req = http.get(u.as_str());
    if let Some(d) = device {
        req = req.header("cookie", format!("did={d}"));
    }
    req.send().await.unwrap()
}

/// Posts the default user's password to the login form of transaction `tx`.
async fn submit_password(
    t: &MockTenant,
    http: &reqwest::Client,
    device: &str,
    tx: &str,
) -> reqwest::Response {
    http.post(format!("{}/u/login", t.uri()))
        .header("cookie", format!("did={device}"))
        .form(&[
            ("state", tx),
            ("username", DEFAULT_USER_EMAIL),
            ("password", DEFAULT_USER_PASSWORD),
        ])
        .send()
        .await
        .unwrap()
}

/// Review L1: a victim opens the login form; an unauthenticated attacker sends 10,000
/// `/authorize` requests for the same public client, each from a fresh device. The store used
/// to drop the oldest pending login, the victim's. Now the client's share fills and further
/// logins are refused (`temporarily_unavailable`), and the victim's password still works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_authorize_flood_does_not_evict_a_pending_login() {
    let t = builder().start().await;
    let http = browser(&t);
    let res = start_login(&t, &http, None).await;
    let victim = set_cookie(&res, "did");
    let victim_tx = location(&res)
        .trim_start_matches("/u/login?state=")
        .to_owned();
    let form = http
        .get(format!("{}/u/login?state={victim_tx}", t.uri()))
        .header("cookie", format!("did={victim}"))
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 200);

    let mut u = url::Url::parse(&format!("{}/authorize", t.uri())).unwrap();
    u.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", DEFAULT_SPA_CLIENT_ID)
        .append_pair("redirect_uri", DEFAULT_CALLBACK)
        .append_pair("code_challenge", CHALLENGE)
        .append_pair("code_challenge_method", "S256");
    let (mut parked, mut refused) = (0, 0);
    let busy = format!(
        "{DEFAULT_CALLBACK}?error=temporarily_unavailable&error_description=Too+many+logins+are+in+progress%3B+try+again+later"
    );
    for _ in 0..10_000 / 16 {
        let flood: Vec<_> = (0..16)
            .map(|_| tokio::spawn(http.get(u.as_str()).send()))
            .collect();
        for h in flood {
            let res = h.await.unwrap().unwrap();
            let loc = location(&res);
            if loc.starts_with("/u/login?state=") {
                parked += 1;
            } else {
                assert_eq!(loc, busy);
                refused += 1;
            }
        }
    }
    // The client's share is 5,000 pending logins, the victim's among them.
    assert_eq!((parked, refused), (4_999, 5_001));

    let res = submit_password(&t, &http, &victim, &victim_tx).await;
    assert_eq!(res.status(), 302);
    assert!(
        location(&res).starts_with(&format!("{DEFAULT_CALLBACK}?code=")),
        "{}",
        location(&res)
    );
}

/// One device (one `did` cookie) holds at most 8 pending logins: its ninth pushes out its own
/// oldest, never another device's.
#[tokio::test]
async fn a_device_that_floods_evicts_only_its_own_logins() {
    let t = builder().start().await;
    let http = browser(&t);
    let res = start_login(&t, &http, None).await;
    let victim = set_cookie(&res, "did");
    let victim_tx = location(&res)
        .trim_start_matches("/u/login?state=")
        .to_owned();
    let res = start_login(&t, &http, None).await;
    let attacker = set_cookie(&res, "did");
    let first = location(&res)
        .trim_start_matches("/u/login?state=")
        .to_owned();
    for _ in 0..8 {
        let res = start_login(&t, &http, Some(&attacker)).await;
        assert_eq!(res.status(), 302);
    }
    let res = submit_password(&t, &http, &attacker, &first).await;
    assert_eq!(
        res.status(),
        400,
        "the attacker's first login was pushed out by its ninth"
    );
    let res = submit_password(&t, &http, &victim, &victim_tx).await;
    assert_eq!(res.status(), 302);
    assert!(location(&res).starts_with(&format!("{DEFAULT_CALLBACK}?code=")));
}

/// Review L2: whoever reads the journal (`read:mock_tenant`) learned every password, client
/// secret and refresh token. They are redacted by default; the debugging option keeps them.
#[tokio::test]
async fn the_journal_redacts_credentials_unless_asked_to_keep_them() {
    let t = builder().start().await;
    let tokens = t
        .login(DEFAULT_USER_EMAIL)
        .client(DEFAULT_SPA_CLIENT_ID)
        .await
        .unwrap();
    let rt = tokens.refresh_token.unwrap();
    let form = [
        ("grant_type", "refresh_token"),
        ("client_id", DEFAULT_SPA_CLIENT_ID),
        ("refresh_token", rt.as_str()),
    ];
    let (s, _) = post_token(&t, &form, &[]).await;
    assert_eq!(s, 200);
    let res = t
        .http_client()
        .post(t.urls().token())
        .basic_auth("mock-test-client", Some("mock-test-secret"))
        .header("dpop", "eyJ.not.a-proof")
        .header("cookie", "did=abc")
        .form(&[
            ("grant_type", "client_credentials"),
            ("audience", "https://my-flask-api"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);

    let (s, journal) = control(&t, SECRET, Method::GET, "/control/journal", None).await;
    assert_eq!(s, 200);
    let text = journal.to_string();
    for secret in [
        DEFAULT_USER_PASSWORD,
        "Passw0rd%21",
        rt.as_str(),
        "bW9jay10ZXN0LWNsaWVudDptb2NrLXRlc3Qtc2VjcmV0",
        "eyJ.not.a-proof",
        "did=abc",
    ] {
        assert!(!text.contains(secret), "{secret} in the journal");
    }
    let entries = journal.as_array().unwrap();
    let login = entries
        .iter()
        .find(|e| e["path"] == "/u/login" && e["method"] == "POST")
        .unwrap();
    let body = login["body"].as_str().unwrap();
    assert!(
        body.ends_with("username=user%40example.com&password=%5Bredacted%5D"),
        "{body}"
    );
    let refresh = &entries
        .iter()
        .filter(|e| e["path"] == "/oauth/token")
        .nth(1)
        .unwrap();
    assert_eq!(
        refresh["body"],
        "grant_type=refresh_token&client_id=mock-spa-client&refresh_token=%5Bredacted%5D"
    );
    let last = entries.last().unwrap();
    let header = |name: &str| {
        last["headers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h[0] == name)
            .map(|h| h[1].clone())
    };
    assert_eq!(header("authorization"), Some(json!("[redacted]")));
    assert_eq!(header("dpop"), Some(json!("[redacted]")));
    assert_eq!(header("cookie"), Some(json!("[redacted]")));

    // For debugging, a tenant started to keep them shows them.
    let t = builder().journal_credentials(true).start().await;
    let (s, _) = post_token(
        &t,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "mock-test-client"),
            ("client_secret", "mock-test-secret"),
            ("audience", "https://my-flask-api"),
        ],
        &[],
    )
    .await;
    assert_eq!(s, 200);
    let (_, journal) = control(&t, SECRET, Method::GET, "/control/journal", None).await;
    assert_eq!(
        journal[0]["body"],
        "grant_type=client_credentials&client_id=mock-test-client&client_secret=mock-test-secret&audience=https%3A%2F%2Fmy-flask-api"
    );
}

/// Review L4: the Test page cookie was the admin secret itself, sent to `/dashboard` on every
/// port of the host. It is now a random session id the tenant keeps; the secret as a cookie
/// opens nothing, and neither does a made-up id.
#[tokio::test]
async fn the_test_page_cookie_is_not_the_secret() {
    let t = builder().start().await;
    let http = browser(&t);
    let res = http
        .post(format!("{}/dashboard/session", t.uri()))
        .form(&[("secret", SECRET)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let session = set_cookie(&res, "mock_idp_admin");
    assert_ne!(session, SECRET);
    assert_eq!(
        res.headers()["set-cookie"],
        format!("mock_idp_admin={session}; Path=/dashboard; HttpOnly; SameSite=Strict; Secure")
    );
    for (cookie, status) in [
        (SECRET.to_owned(), 401),
        ("A".repeat(22), 401),
        (session.clone(), 200),
    ] {
        let res = http
            .get(format!("{}/dashboard", t.uri()))
            .header("cookie", format!("mock_idp_admin={cookie}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), status, "{cookie}");
    }
    // The session id is no bearer credential for the control API either.
    let got = control(&t, &session, Method::GET, "/control/stats", None).await;
    assert_eq!(got.0, StatusCode::UNAUTHORIZED);
}

/// Review L8: the CA users are told to trust had no name constraints and was valid until 2049,
/// so whoever read its key could intercept any site. It now vouches only for localhost, the
/// loopback addresses and the tenant's names, for a year: a leaf its key signs for another
/// name is refused by a real verifier (webpki), and so is the tenant's own leaf past a year.
#[tokio::test]
async fn the_local_ca_vouches_only_for_the_tenants_names_and_only_for_a_year() {
    use rustls::client::danger::ServerCertVerifier as _;
    use rustls_pki_types::pem::PemObject as _;
    use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

    let dir = crate::support::TempDir::new("ca-constraints");
    let t = builder()
        .state_dir(dir.path())
        .custom_domain("idp.test")
        .start()
        .await;
    let read = |f: &str| std::fs::read_to_string(dir.path().join(f)).unwrap();
    let ca = CertificateDer::from_pem_slice(read("ca.pem").as_bytes()).unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca).unwrap();
    let verifier = rustls::client::WebPkiServerVerifier::builder_with_provider(
        std::sync::Arc::new(roots),
        std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider()),
    )
    .build()
    .unwrap();
    let verify = |leaf: &CertificateDer<'_>, name: &str, at: UnixTime| {
        verifier
            .verify_server_cert(
                leaf,
                &[],
                &ServerName::try_from(name.to_owned()).unwrap(),
                &[],
                at,
            )
            .map(|_| ())
            .map_err(|e| format!("{e:?}"))
    };
    let now = UnixTime::now();
    let leaf = CertificateDer::from_pem_slice(read("leaf.pem").as_bytes()).unwrap();
    for name in ["localhost", "127.0.0.1", "idp.test"] {
        assert_eq!(verify(&leaf, name, now), Ok(()), "{name}");
    }
    let in_400_days =
        UnixTime::since_unix_epoch(std::time::Duration::from_secs(now.as_secs() + 400 * 86_400));
    let expired = verify(&leaf, "localhost", in_400_days).unwrap_err();
    assert!(expired.contains("Expired"), "{expired}");

    // The attacker holds the CA key and signs a leaf for a site the tenant does not serve.
    let ca_key = rcgen::KeyPair::from_pem(&read("ca-key.pem")).unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "mock-idp local CA");
    ca_params
        .distinguished_name
        .push(rcgen::DnType::OrganizationName, "mock-idp");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Constrained(0));
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    for name in ["bank.example", "10.0.0.5"] {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut p = rcgen::CertificateParams::new(vec![name.to_owned()]).unwrap();
        p.use_authority_key_identifier_extension = true;
        let forged = p.signed_by(&key, &issuer).unwrap();
        let err = verify(forged.der(), name, now).unwrap_err();
        assert!(err.contains("NameConstraintViolation"), "{name}: {err}");
    }
    drop(t);
}

/// Review I9: control bodies had only axum's 2 MiB default, answered 400. They are capped at
/// 1 MiB (what an override or a fault keeps, at most) and answered 413.
#[tokio::test]
async fn an_oversized_control_body_is_413() {
    let t = builder().start().await;
    let big = json!({ "keys": [], "pad": "x".repeat(1 << 20) });
    let (status, body) = control(
        &t,
        SECRET,
        Method::PUT,
        "/control/overrides/jwks",
        Some(big),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body["errorCode"], "invalid_body");
    // Under the limit: kept.
    let small = json!({ "keys": [] });
    let (status, _) = control(
        &t,
        SECRET,
        Method::PUT,
        "/control/overrides/jwks",
        Some(small),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}
