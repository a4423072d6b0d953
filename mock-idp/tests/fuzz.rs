//! Every route of the tenant under malformed input, as the review's fuzzer sent it: random
//! forms, JSON and raw bytes (invalid UTF-8 included), odd content types, oversized bodies and
//! values, odd `Authorization`, `DPoP` and `Cookie` headers, odd path parameters; half the
//! control and Test page requests carry the admin secret or a Test page session, so they get
//! past the door. No answer may be a 5xx, and the tenant must still be healthy after each.

use mock_idp::MockTenant;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

const SECRET: &str = "fuzz-admin-secret-0123456789";

/// Method and path of every route (path parameters filled by the case).
const ROUTES: &[(&str, &str)] = &[
    ("GET", "/.well-known/openid-configuration"),
    ("GET", "/.well-known/jwks.json"),
    ("POST", "/oauth/token"),
    ("POST", "/oauth/revoke"),
    ("GET", "/authorize"),
    ("GET", "/u/login"),
    ("POST", "/u/login"),
    ("GET", "/userinfo"),
    ("POST", "/userinfo"),
    ("POST", "/oauth/device/code"),
    ("GET", "/activate"),
    ("POST", "/activate"),
    ("GET", "/u/mfa-otp-challenge"),
    ("POST", "/u/mfa-otp-challenge"),
    ("GET", "/v2/logout"),
    ("GET", "/oidc/logout"),
    ("POST", "/nope"),
    ("GET", "/api/v2/keys/signing"),
    ("PUT", "/api/v2/keys/signing/{kid}/revoke"),
    ("GET", "/control/clock"),
    ("GET", "/control/faults"),
    ("PUT", "/control/overrides/{kid}"),
    ("DELETE", "/control/overrides/{kid}"),
    ("GET", "/control/journal"),
    ("GET", "/control/stats"),
    ("POST", "/control/tokens"),
    ("POST", "/control/proofs"),
    ("GET", "/control/upstream"),
    ("POST", "/dashboard/session"),
    ("GET", "/dashboard"),
    ("GET", "/dashboard/journal"),
    ("POST", "/dashboard/mint"),
    ("POST", "/dashboard/clock"),
    ("POST", "/dashboard/faults"),
    ("PATCH", "/oauth/token"),
    ("FOO", "/authorize"),
];

const KEYS: &[&str] = &[
    "grant_type",
    "client_id",
    "client_secret",
    "code",
    "code_verifier",
    "refresh_token",
    "redirect_uri",
    "audience",
    "scope",
    "subject_token",
    "subject_token_type",
    "requested_token_type",
    "username",
    "password",
    "state",
    "token",
    "secret",
    "response_type",
    "code_challenge",
    "code_challenge_method",
    "nonce",
    "prompt",
    "max_age",
    "returnTo",
    "id_token_hint",
    "expires_in",
    "sub",
    "user",
    "advance",
    "organization",
    "connection",
    "mfa_token",
    "otp",
    "recovery_code",
    "device_code",
    "user_code",
    "action",
    "login",
];

const VALUES: &[&str] = &[
    "client_credentials",
    "authorization_code",
    "refresh_token",
    "urn:ietf:params:oauth:grant-type:token-exchange",
    "urn:ietf:params:oauth:token-type:access_token",
    "urn:ietf:params:oauth:grant-type:device_code",
    "http://auth0.com/oauth/grant-type/mfa-otp",
    "http://auth0.com/oauth/grant-type/mfa-recovery-code",
    "fuzz-device",
    "confirm",
    "BCDF-GHJK",
    "mock-spa-client",
    "mock-test-client",
    "mock-test-secret",
    "http://localhost:3000/callback",
    "https://my-flask-api",
    "code",
    "S256",
    "openid offline_access",
    "none",
    "-1",
    "1e308",
    "18446744073709551616",
    "user@example.com",
    "mfa@example.com",
    "Passw0rd!",
    "eyJhbGciOiJub25lIn0.e30.",
    "%%%",
    "",
];

/// One request of the fuzz.
#[derive(Clone)]
struct Case {
    route: usize,
    param: String,
    query: Vec<(String, String)>,
    content_type: Option<&'static str>,
    body: Vec<u8>,
    authorization: Option<Vec<u8>>,
    dpop: Option<Vec<u8>>,
    cookie: Option<Vec<u8>>,
    privileged: bool,
}

impl std::fmt::Debug for Case {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let cut = |b: &[u8]| String::from_utf8_lossy(&b[..b.len().min(200)]).into_owned();
        write!(
            f,
            "{} {} param={:?} query={:?} ct={:?} body({} bytes)={:?} auth={:?} dpop={:?} cookie={:?} privileged={}",
            ROUTES[self.route].0,
            ROUTES[self.route].1,
            self.param,
            self.query
                .iter()
                .map(|(k, v)| (k, v.chars().take(40).collect::<String>()))
                .collect::<Vec<_>>(),
            self.content_type,
            self.body.len(),
            cut(&self.body),
            self.authorization.as_deref().map(cut),
            self.dpop.as_deref().map(cut),
            self.cookie.as_deref().map(cut),
            self.privileged,
        )
    }
}

/// A string from the real vocabulary, random text (Unicode included) or a long run.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(VALUES).prop_map(str::to_owned),
        "\\PC{0,40}",
        (1usize..6_000).prop_map(|n| "v".repeat(n)),
    ]
}

fn pairs() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec(
        (
            prop_oneof![
                prop::sample::select(KEYS).prop_map(str::to_owned),
                "\\PC{0,12}"
            ],
            value(),
        ),
        0..8,
    )
}

fn form(pairs: &[(String, String)]) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

/// Header bytes: visible ASCII or obs-text (bytes ≥ 0x80, invalid UTF-8), possibly long.
fn header_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b"Basic %%%".to_vec()),
        Just(b"Bearer".to_vec()),
        Just(format!("Bearer {SECRET}").into_bytes()),
        prop::collection::vec(prop_oneof![0x20u8..0x7f, 0x80u8..=0xff], 0..200),
        (1usize..20_000).prop_map(|n| vec![b'h'; n]),
    ]
}

fn body() -> impl Strategy<Value = (Option<&'static str>, Vec<u8>)> {
    let ct = prop::sample::select(vec![
        None,
        Some("application/x-www-form-urlencoded"),
        Some("application/json"),
        Some("text/plain"),
        Some("multipart/form-data; boundary=x"),
        Some("application/json; charset=utf-16"),
    ]);
    let bytes = prop_oneof![
        pairs().prop_map(|p| form(&p).into_bytes()),
        pairs().prop_map(|p| {
            let m: serde_json::Map<_, _> = p
                .into_iter()
                .map(|(k, v)| (k, serde_json::Value::String(v)))
                .collect();
            serde_json::Value::Object(m).to_string().into_bytes()
        }),
        prop::collection::vec(any::<u8>(), 0..512),
        (1usize..3_000).prop_map(|n| "[".repeat(n).into_bytes()),
        Just(b"{\"expires_in\": 1e308, \"advance\": 18446744073709551616}".to_vec()),
        (60_000usize..70_000).prop_map(|n| vec![b'a'; n]),
    ];
    (ct, bytes)
}

fn case() -> impl Strategy<Value = Case> {
    (
        0..ROUTES.len(),
        prop_oneof![
            Just("tenant-1".to_owned()),
            "\\PC{0,20}",
            Just("%ff".to_owned())
        ],
        pairs(),
        body(),
        prop::option::of(header_bytes()),
        prop::option::of(header_bytes()),
        prop::option::of(header_bytes()),
        any::<bool>(),
    )
        .prop_map(
            |(
                route,
                param,
                query,
                (content_type, body),
                authorization,
                dpop,
                cookie,
                privileged,
            )| Case {
                route,
                param,
                query,
                content_type,
                body,
                authorization,
                dpop,
                cookie,
                privileged,
            },
        )
}

/// Sends `case`; the status, or `None` when the connection broke on an oversized body the
/// tenant refused early (the review saw the same and found a 413 behind it).
async fn send(t: &MockTenant, http: &reqwest::Client, session: &str, case: &Case) -> Option<u16> {
    let (method, path) = ROUTES[case.route];
    let param: String = url::form_urlencoded::byte_serialize(case.param.as_bytes()).collect();
    let path = path.replace("{kid}", &param);
    let mut url = format!("{}{path}", t.uri());
    if !case.query.is_empty() {
        url = format!("{url}?{}", form(&case.query));
    }
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut req = http.request(method, url).body(case.body.clone());
    if let Some(ct) = case.content_type {
        req = req.header("content-type", ct);
    }
    let header = |b: &[u8]| reqwest::header::HeaderValue::from_bytes(b).ok();
    if case.privileged {
        req = req
            .bearer_auth(SECRET)
            .header("cookie", format!("mock_idp_admin={session}"));
    } else {
        if let Some(v) = case.authorization.as_deref().and_then(header) {
            req = req.header("authorization", v);
        }
        if let Some(v) = case.cookie.as_deref().and_then(header) {
            req = req.header("cookie", v);
        }
    }
    if let Some(v) = case.dpop.as_deref().and_then(header) {
        req = req.header("dpop", v);
    }
    match req.send().await {
        Ok(res) => Some(res.status().as_u16()),
        Err(e) if case.body.len() > 60_000 => {
            let _ = e;
            None
        }
        Err(e) => panic!("{case:?}: {e}"),
    }
}

#[test]
fn no_route_answers_5xx_or_panics_on_malformed_input() {
    // The device flow and an MFA user, so their routes are served.
    let mut config = mock_idp::config::TenantConfig::default();
    config
        .applications
        .push(mock_idp::config::ApplicationConfig {
            grant_types: Some(vec![
                mock_idp::config::GrantType::DeviceCode,
                mock_idp::config::GrantType::MfaOtp,
                mock_idp::config::GrantType::MfaRecoveryCode,
                mock_idp::config::GrantType::Password,
            ]),
            ..mock_idp::config::ApplicationConfig::browser(
                "fuzz-device",
                mock_idp::config::AppType::Native,
                "http://localhost:3000/callback",
            )
        });
    config.default_directory = Some(mock_idp::config::DATABASE_CONNECTION.into());
    config.users.push(mock_idp::config::UserConfig {
        mfa: Some(mock_idp::config::MfaConfig {
            otp_secret: "JBSWY3DPEHPK3PXP".into(),
            recovery_codes: vec!["RC".into()],
            name: None,
            enrolled_at: None,
        }),
        ..mock_idp::config::UserConfig::new("mfa@example.com", "Passw0rd!")
    });
    let t = MockTenant::builder()
        .config(config)
        .admin_secret(SECRET)
        .try_start()
        .expect("the tenant starts");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // A new connection per request: a connection the tenant closed after refusing an
    // oversized body early must not fail the next case.
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .redirect(reqwest::redirect::Policy::none())
        .tls_certs_only([reqwest::Certificate::from_der(&t.ca().der()).unwrap()])
        .build()
        .unwrap();
    let session = rt.block_on(async {
        let res = http
            .post(format!("{}/dashboard/session", t.uri()))
            .form(&[("secret", SECRET)])
            .send()
            .await
            .unwrap();
        let set = res.headers()["set-cookie"].to_str().unwrap().to_owned();
        set.split(';')
            .next()
            .unwrap()
            .trim_start_matches("mock_idp_admin=")
            .to_owned()
    });
    let mut runner = TestRunner::new(Config {
        cases: 160,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&case(), |case| {
            let status = rt.block_on(send(&t, &http, &session, &case));
            if let Some(s) = status {
                prop_assert!(
                    s < 500,
                    "{} {}: {s}",
                    ROUTES[case.route].0,
                    ROUTES[case.route].1
                );
            }
            let health = rt.block_on(async {
                http.get(format!("{}/health", t.uri()))
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
            });
            prop_assert_eq!(health.ok(), Some(200));
            Ok(())
        })
        .unwrap();
}
