//! The README's fidelity table, row by row: each row is one request and the exact answer a real
//! Auth0 tenant gives it (status, `error`, `error_description`, challenge), played against the
//! tenant over HTTPS. The row ids are the README's; `readme_lists_every_row` keeps them in step.

use mock_idp::{MockTenant, TenantConfig};
use reqwest::RequestBuilder;
use serde_json::{Value, json};

/// What the row expects back.
enum Expect {
    /// 200 with a token response: `access_token`, `token_type`, `expires_in`, and `scope` only
    /// when the grant has scopes.
    Token {
        token_type: &'static str,
        scope: Option<&'static str>,
    },
    /// An error: status, exactly `{"error", "error_description"}`, and the `WWW-Authenticate`
    /// header if any.
    Error {
        status: u16,
        error: &'static str,
        description: &'static str,
        challenge: Option<&'static str>,
    },
}

struct Row {
    id: &'static str,
    send: fn(&MockTenant) -> RequestBuilder,
    expect: Expect,
}

const FLASK: &str = "https://my-flask-api";

fn token_post(t: &MockTenant) -> RequestBuilder {
    t.http_client().post(t.token_url())
}

fn cc(t: &MockTenant, extra: &[(&str, &str)]) -> RequestBuilder {
    let mut form = vec![
        ("grant_type", "client_credentials"),
        ("client_id", "mock-test-client"),
        ("client_secret", "mock-test-secret"),
        ("audience", FLASK),
    ];
    for (k, v) in extra {
        form.retain(|(name, _)| name != k);
        if !v.is_empty() {
            form.push((k, v));
        }
    }
    token_post(t).form(&form)
}

fn unauthorized(challenge: Option<&'static str>) -> Expect {
    Expect::Error {
        status: 401,
        error: "access_denied",
        description: "Unauthorized",
        challenge,
    }
}

fn denied(description: &'static str) -> Expect {
    Expect::Error {
        status: 403,
        error: "access_denied",
        description,
        challenge: None,
    }
}

const ALL_SCOPES: Option<&str> = Some("read:messages write:messages admin:write");

fn rows() -> Vec<Row> {
    vec![
        Row {
            id: "T-01",
            send: |t| cc(t, &[]),
            expect: Expect::Token {
                token_type: "Bearer",
                scope: ALL_SCOPES,
            },
        },
        Row {
            id: "T-02",
            // auth0-python's GetToken.client_credentials body, byte for byte in shape.
            send: |t| {
                token_post(t).json(&json!({
                    "client_id": "mock-test-client",
                    "client_secret": "mock-test-secret",
                    "audience": FLASK,
                    "grant_type": "client_credentials",
                    "organization": null,
                }))
            },
            expect: Expect::Token {
                token_type: "Bearer",
                scope: ALL_SCOPES,
            },
        },
        Row {
            id: "T-03",
            send: |t| {
                token_post(t)
                    .basic_auth("mock-test-client", Some("mock-test-secret"))
                    .form(&[("grant_type", "client_credentials"), ("audience", FLASK)])
            },
            expect: Expect::Token {
                token_type: "Bearer",
                scope: ALL_SCOPES,
            },
        },
        Row {
            id: "T-04",
            send: |t| cc(t, &[("scope", "read:messages")]),
            expect: Expect::Token {
                token_type: "Bearer",
                scope: Some("read:messages"),
            },
        },
        Row {
            id: "T-05",
            // A client grant with no scopes: no `scope` in the answer (nor in the token).
            send: |t| {
                cc(
                    t,
                    &[
                        ("client_id", "no-scope-client"),
                        ("client_secret", "no-scope-secret"),
                    ],
                )
            },
            expect: Expect::Token {
                token_type: "Bearer",
                scope: None,
            },
        },
        Row {
            id: "T-06",
            send: |t| cc(t, &[("client_secret", "wrong")]),
            expect: unauthorized(None),
        },
        Row {
            id: "T-07",
            send: |t| cc(t, &[("client_id", "nobody")]),
            expect: unauthorized(None),
        },
        Row {
            id: "T-08",
            send: |t| {
                token_post(t)
                    .basic_auth("mock-test-client", Some("wrong"))
                    .form(&[("grant_type", "client_credentials"), ("audience", FLASK)])
            },
            expect: unauthorized(Some("Basic realm=\"mock-idp\"")),
        },
        Row {
            id: "T-09",
            send: |t| cc(t, &[("client_id", ""), ("client_secret", "")]),
            expect: unauthorized(None),
        },
        Row {
            id: "T-10",
            send: |t| cc(t, &[("scope", "read:messages delete:everything")]),
            expect: denied("Client has not been granted scopes: delete:everything"),
        },
        Row {
            id: "T-11",
            send: |t| cc(t, &[("scope", "openid profile")]),
            expect: denied("Client has not been granted scopes: openid, profile"),
        },
        Row {
            id: "T-12",
            send: |t| cc(t, &[("audience", "https://unknown-api")]),
            expect: denied("Service not enabled within domain: https://unknown-api"),
        },
        Row {
            id: "T-13",
            send: |t| {
                cc(
                    t,
                    &[
                        ("client_id", "read-only-client"),
                        ("client_secret", "read-only-secret"),
                        ("audience", "https://strict-api"),
                    ],
                )
            },
            expect: denied(
                "Client is not authorized to access \"https://strict-api\". You need to create a \"client-grant\" associated to this API. See: https://auth0.com/docs/api/v2#!/Client_Grants/post_client_grants",
            ),
        },
        Row {
            id: "T-14",
            send: |t| cc(t, &[("audience", "")]),
            expect: denied(
                "No audience parameter was provided, and no default audience has been configured",
            ),
        },
        Row {
            id: "T-15",
            send: |t| cc(t, &[("grant_type", "password")]),
            expect: Expect::Error {
                status: 403,
                error: "unauthorized_client",
                description: "Grant type 'password' not allowed for the client.",
                challenge: None,
            },
        },
        Row {
            id: "T-16",
            send: |t| cc(t, &[("grant_type", "urn:example:unknown")]),
            expect: Expect::Error {
                status: 400,
                error: "unsupported_grant_type",
                description: "Unsupported grant type: urn:example:unknown",
                challenge: None,
            },
        },
        Row {
            id: "T-17",
            send: |t| cc(t, &[("grant_type", "")]),
            expect: Expect::Error {
                status: 400,
                error: "invalid_request",
                description: "Missing required parameter: grant_type",
                challenge: None,
            },
        },
    ]
}

/// The example tenant plus an application whose client grant has no scopes.
fn tenant_config() -> TenantConfig {
    let text = format!(
        "{}\n[[applications]]\nclient_id = \"no-scope-client\"\nclient_secret = \"no-scope-secret\"\n[applications.grants]\n\"{FLASK}\" = []\n",
        include_str!("../fixtures/tenant.example.toml")
    );
    TenantConfig::parse(&text, "tenant.example.toml").unwrap()
}

#[tokio::test]
async fn every_row_answers_as_auth0_does() {
    let tenant = MockTenant::builder().config(tenant_config()).start().await;
    for row in rows() {
        let res = (row.send)(&tenant).send().await.unwrap();
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let body: Value = res.json().await.unwrap();
        let id = row.id;
        assert_eq!(headers["cache-control"], "no-store", "{id}");
        match row.expect {
            Expect::Token { token_type, scope } => {
                assert_eq!(status, 200, "{id}: {body}");
                let mut want = vec!["access_token", "expires_in", "token_type"];
                if scope.is_some() {
                    want.push("scope");
                }
                let mut members: Vec<&str> = body
                    .as_object()
                    .unwrap()
                    .keys()
                    .map(String::as_str)
                    .collect();
                members.sort_unstable();
                want.sort_unstable();
                assert_eq!(members, want, "{id}");
                assert_eq!(body["token_type"], token_type, "{id}");
                assert_eq!(body["scope"].as_str(), scope, "{id}");
                let claims = crate::support::parts(body["access_token"].as_str().unwrap()).1;
                assert_eq!(claims["scope"].as_str(), scope, "{id}: the token agrees");
                assert_eq!(headers["pragma"], "no-cache", "{id}");
            }
            Expect::Error {
                status: want,
                error,
                description,
                challenge,
            } => {
                assert_eq!(
                    (status, body),
                    (
                        want,
                        json!({ "error": error, "error_description": description })
                    ),
                    "{id}"
                );
                assert_eq!(
                    headers.get("www-authenticate").map(|v| v.to_str().unwrap()),
                    challenge,
                    "{id}"
                );
            }
        }
    }
}

/// mock-idp's README table and this file list the same rows.
#[test]
fn readme_lists_every_row() {
    let readme = include_str!("../README.md");
    let listed: Vec<&str> = readme
        .lines()
        .filter_map(|l| l.strip_prefix("| "))
        .filter_map(|l| l.split(' ').next())
        .filter(|id| {
            id.len() == 4 && id.as_bytes()[1] == b'-' && id.starts_with(['T', 'J', 'A', 'U', 'D'])
        })
        .collect();
    let mut ours: Vec<&str> = rows().iter().map(|r| r.id).collect();
    ours.push("J-01");
    ours.extend(BROWSER_ROWS);
    assert_eq!(listed, ours);
}

/// The rows for `/authorize`, `/userinfo` and discovery (the README's A-, U- and D- rows),
/// checked in [`browser_endpoints_answer_as_auth0_does`].
const BROWSER_ROWS: &[&str] = &[
    "A-01", "A-02", "A-03", "A-04", "A-05", "U-01", "U-02", "U-03", "D-01",
];

/// A client that shows redirects instead of following them.
fn no_redirects(t: &MockTenant) -> reqwest::Client {
    reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_der(&t.ca_der()).unwrap()])
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn browser_endpoints_answer_as_auth0_does() {
    let t = MockTenant::start().await;
    let c = no_redirects(&t);
    let cb = "http://localhost:3000/callback";
    let authorize = |query: &[(&str, &str)]| {
        let mut q = vec![
            ("client_id", "mock-web-client"),
            ("redirect_uri", cb),
            ("response_type", "code"),
            ("scope", "openid"),
            ("state", "st4te"),
        ];
        for (k, v) in query {
            q.retain(|(name, _)| name != k);
            q.push((k, v));
        }
        c.get(url::Url::parse_with_params(&t.authorize_url(), &q).unwrap())
            .send()
    };
    let location = |res: &reqwest::Response| {
        res.headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned())
    };

    // an unknown client or a redirect_uri off the list: an error page, never a
    // redirect (RFC 6749 §4.1.2.1).
    for (id, query, text) in [
        (
            "A-01",
            vec![("client_id", "nobody")],
            "Unknown client: nobody",
        ),
        (
            "A-02",
            vec![("redirect_uri", "https://evil.example/callback")],
            "Callback URL mismatch. The provided redirect_uri is not in the list of allowed callback URLs.",
        ),
    ] {
        let res = authorize(&query).await.unwrap();
        assert_eq!(res.status(), 400, "{id}");
        assert_eq!(location(&res), None, "{id}");
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html"),
            "{id}"
        );
        let body = res.text().await.unwrap();
        assert!(body.contains(text), "{id}: {body}");
    }

    // A-03..A-05: other errors go back to the application with `state`.
    for (id, query, want) in [
        (
            "A-03",
            vec![("audience", "https://unknown-api")],
            "error=access_denied&error_description=Service%20not%20found%3A%20https%3A%2F%2Funknown-api&state=st4te",
        ),
        (
            "A-04",
            vec![("prompt", "none")],
            "error=login_required&error_description=Login%20required&state=st4te",
        ),
        (
            "A-05",
            vec![("response_type", "token")],
            "error=unsupported_response_type&error_description=Unsupported%20response%20type%3A%20token&state=st4te",
        ),
    ] {
        let res = authorize(&query).await.unwrap();
        assert_eq!(res.status(), 302, "{id}");
        let loc = location(&res).unwrap();
        let query = loc
            .strip_prefix(&format!("{cb}?"))
            .unwrap_or_else(|| panic!("{id}: {loc}"));
        // Percent-encoding differs between encoders; compare decoded pairs.
        let decode = |q: &str| -> Vec<(String, String)> {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        };
        assert_eq!(decode(query), decode(want), "{id}");
    }

    // U-01..U-03: /userinfo refusals are plain-text "Unauthorized" with a challenge in realm
    // "Users" (Auth0.Android#629, react-native-auth0#241).
    let userinfo = format!("{}/userinfo", t.uri());
    let res = c.get(&userinfo).send().await.unwrap();
    assert_eq!(res.status(), 401, "U-01");
    assert_eq!(
        res.headers()["www-authenticate"],
        "Bearer realm=\"Users\"",
        "U-01"
    );
    assert_eq!(res.text().await.unwrap(), "Unauthorized", "U-01");
    let user = t.login("user@example.com").await.unwrap();
    let res = c
        .get(&userinfo)
        .bearer_auth(&user.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "U-02");
    let info: Value = res.json().await.unwrap();
    assert_eq!(info["email"], "user@example.com", "U-02");
    assert!(info["sub"].as_str().unwrap().starts_with("auth0|"), "U-02");
    t.clock().advance(86_401);
    let res = c
        .get(&userinfo)
        .bearer_auth(&user.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401, "U-03");
    assert_eq!(
        res.headers()["www-authenticate"],
        "Bearer realm=\"Users\", error=\"invalid_token\", error_description=\"The token has expired\"",
        "U-03"
    );

    // D-01: discovery: the issuer with its trailing slash, every endpoint it lists served.
    let doc: Value = c
        .get(t.discovery_url())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["issuer"], t.issuer(), "D-01");
    assert!(t.issuer().ends_with('/'), "D-01");
    assert_eq!(doc["response_types_supported"], json!(["code"]), "D-01");
    assert_eq!(
        doc["code_challenge_methods_supported"],
        json!(["S256"]),
        "D-01"
    );
    for key in [
        "authorization_endpoint",
        "token_endpoint",
        "userinfo_endpoint",
        "jwks_uri",
        "end_session_endpoint",
        "revocation_endpoint",
    ] {
        assert!(
            doc[key].as_str().unwrap().starts_with(t.uri()),
            "D-01 {key}"
        );
    }
}
