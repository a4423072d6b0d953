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

/// The README's table and this file list the same rows.
#[test]
fn readme_lists_every_row() {
    let readme = include_str!("../../README.md");
    let listed: Vec<&str> = readme
        .lines()
        .filter_map(|l| l.strip_prefix("| "))
        .filter_map(|l| l.split(' ').next())
        .filter(|id| id.len() == 4 && id.as_bytes()[1] == b'-' && id.starts_with(['T', 'J']))
        .collect();
    let mut ours: Vec<&str> = rows().iter().map(|r| r.id).collect();
    ours.push("J-01");
    assert_eq!(listed, ours);
}
