//! Client ID metadata documents (draft-ietf-oauth-client-id-metadata-document, the MCP
//! authorization spec's way for a client to identify itself): an `https` URL as `client_id`,
//! fetched by the tenant over real HTTPS from a document server on 127.0.0.1 (its own test
//! CA, trusted through `[client_id_metadata_documents] ca_pem`, and allowed through
//! `allow_hosts`). One test logs a user in with such a client (PKCE, code, refresh); the
//! others play the attacker: a loopback URL without the operator's allowance (the SSRF rule),
//! `http`, a redirect, a document for another URL, an unlisted redirect URI, an oversized
//! document, a slow server, a document with a secret, malformed URLs, and a flood of distinct
//! URLs.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use mock_idp::config::ClientIdMetadataDocuments;

use super::*;

const CALLBACK: &str = "http://127.0.0.1:33418/callback";

/// A document server: what it serves at each path, and how often each path was asked.
struct DocServer {
    base: String,
    ca_pem: String,
    hits: Arc<Mutex<HashMap<String, usize>>>,
}

impl DocServer {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn hits(&self, path: &str) -> usize {
        self.hits.lock().unwrap().get(path).copied().unwrap_or(0)
    }
}

fn doc(client_id: &str) -> Value {
    json!({
        "client_id": client_id,
        "client_name": "Doc Client",
        "client_uri": "https://doc.example/",
        "redirect_uris": [CALLBACK],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
    })
}

fn json_response(v: &Value) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], v.to_string()).into_response()
}

async fn serve(
    base: Arc<OnceLock<String>>,
    hits: Arc<Mutex<HashMap<String, usize>>>,
    uri: Uri,
    headers: axum::http::HeaderMap,
) -> Response {
    let path = uri.path().to_owned();
    *hits.lock().unwrap().entry(path.clone()).or_default() += 1;
    let base = base.get().unwrap().clone();
    // The URL the document was asked for (127.0.0.1 or localhost), so it names itself.
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    let own = format!("https://{host}{path}");
    match path.as_str() {
        "/client.json" => json_response(&doc(&own)),
        // A document served at one URL that claims to be another client.
        "/mismatch.json" => json_response(&doc(&format!("{base}/client.json"))),
        "/secret.json" => {
            let mut d = doc(&own);
            d["client_secret"] = json!("a-shared-secret");
            json_response(&d)
        }
        "/basic.json" => {
            let mut d = doc(&own);
            d["token_endpoint_auth_method"] = json!("client_secret_basic");
            json_response(&d)
        }
        "/short.json" | "/long.json" | "/no-store.json" => {
            let cc = match path.as_str() {
                "/short.json" => "public, max-age=60",
                "/long.json" => "max-age=999999",
                _ => "no-store",
            };
            (
                [
                    (header::CONTENT_TYPE, "application/json"),
                    (header::CACHE_CONTROL, cc),
                ],
                doc(&own).to_string(),
            )
                .into_response()
        }
        "/array.json" => json_response(&json!([own])),
        "/no-uris.json" => {
            let mut d = doc(&own);
            d.as_object_mut().unwrap().remove("redirect_uris");
            json_response(&d)
        }
        "/xss.json" => {
            let mut d = doc(&own);
            d["client_name"] = json!("<img src=x onerror=alert(1)>");
            json_response(&d)
        }
        // Security review 4: callbacks a document must not name, and a disguised name.
        "/http-remote.json" | "/custom-scheme.json" | "/javascript.json" => {
            let mut d = doc(&own);
            d["redirect_uris"] = json!([match path.as_str() {
                "/http-remote.json" => "http://app.example/callback",
                "/custom-scheme.json" => "com.example.app:/callback",
                _ => "javascript:alert(document.cookie)//",
            }]);
            json_response(&d)
        }
        "/bidi-name.json" => {
            let mut d = doc(&own);
            d["client_name"] = json!("Bank\u{202e}evil");
            json_response(&d)
        }
        "/big.json" => {
            let mut d = doc(&own);
            d["padding"] = json!("x".repeat(6 * 1024));
            json_response(&d)
        }
        "/html.json" => {
            ([(header::CONTENT_TYPE, "text/html")], doc(&own).to_string()).into_response()
        }
        "/redirect.json" => (
            StatusCode::FOUND,
            [(header::LOCATION, format!("{base}/client.json"))],
        )
            .into_response(),
        "/slow.json" => {
            tokio::time::sleep(Duration::from_secs(6)).await;
            json_response(&doc(&own))
        }
        p if p.starts_with("/flood/") => {
            // Long enough for all 30 requests to arrive while 8 fetches wait, short of the
            // tenant's 3-second timeout.
            tokio::time::sleep(Duration::from_millis(2_500)).await;
            StatusCode::NOT_FOUND.into_response()
        }
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn doc_server() -> DocServer {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let tls = mock_idp::TlsMaterial::generate(&[]).unwrap();
    let base = Arc::new(OnceLock::new());
    base.set(format!("https://127.0.0.1:{port}")).unwrap();
    let hits = Arc::new(Mutex::new(HashMap::new()));
    let (b, h) = (base.clone(), hits.clone());
    let app = axum::Router::new().fallback(move |uri: Uri, headers: axum::http::HeaderMap| {
        serve(b.clone(), h.clone(), uri, headers)
    });
    let server = axum_server::from_tcp_rustls(
        listener,
        axum_server::tls_rustls::RustlsConfig::from_config(tls.server_config().unwrap()),
    )
    .unwrap();
    tokio::spawn(async move { server.serve(app.into_make_service()).await.unwrap() });
    DocServer {
        base: base.get().unwrap().clone(),
        ca_pem: tls.ca_cert_pem.clone(),
        hits,
    }
}

/// A tenant that accepts documents and trusts the server's CA; `allow` the hosts the operator
/// exempts from the SSRF rule.
async fn tenant_for(server: &DocServer, allow: &[&str]) -> MockTenant {
    let cfg = TenantConfig {
        client_id_metadata_documents: ClientIdMetadataDocuments {
            enabled: true,
            allow_hosts: allow.iter().map(|s| (*s).to_owned()).collect(),
            ca_pem: Some(server.ca_pem.clone()),
        },
        ..TenantConfig::default()
    };
    MockTenant::builder().config(cfg).start().await
}

fn params<'a>(client_id: &'a str, redirect_uri: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", redirect_uri),
        ("scope", "openid offline_access read:messages"),
        ("state", "st4te"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ]
}

/// `/authorize` with `client_id` refused on the tenant's error page with `error` and
/// `description`, exactly.
async fn assert_refused(tenant: &MockTenant, client_id: &str, error: &str, description: &str) {
    let mut agent = Agent::new(tenant);
    let aud = tenant.audience().to_owned();
    let mut p = params(client_id, CALLBACK);
    p.push(("audience", &aud));
    let res = agent.get(&authorize_url(tenant, &p)).await;
    res.assert_error_page(&format!(
        "<p data-testid=\"error-code\">{error}</p><p data-testid=\"error-description\">{}</p>",
        description.replace('"', "&quot;")
    ));
}

#[tokio::test]
async fn a_document_client_logs_in_with_pkce_and_refreshes() {
    let server = doc_server().await;
    let tenant = tenant_for(&server, &["127.0.0.1"]).await;
    let client_id = server.url("/client.json");
    for path in [
        ".well-known/openid-configuration",
        ".well-known/oauth-authorization-server",
    ] {
        let meta: Value = tenant
            .http_client()
            .get(format!("{}{path}", tenant.issuer()))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            meta["client_id_metadata_document_supported"], true,
            "{path}"
        );
    }
    let mut agent = Agent::new(&tenant);
    let aud = tenant.audience().to_owned();
    let mut p = params(&client_id, CALLBACK);
    p.push(("audience", &aud));
    let res = agent.get(&authorize_url(&tenant, &p)).await;
    assert_eq!(res.status, 302, "{}", res.body);
    assert_eq!(res.location().path(), "/u/login");
    let tx = res.param("state").unwrap();
    // The login page names the client as its document does, and the host that vouches for it.
    let page = agent
        .get(&format!("{}/u/login?state={tx}", tenant.uri()))
        .await;
    assert!(
        page.body
            .contains("continue to <strong>Doc Client (127.0.0.1)</strong>"),
        "{}",
        page.body
    );
    let done = agent
        .post(
            &format!("{}/u/login", tenant.uri()),
            &[
                ("state", &tx),
                ("username", DEFAULT_USER_EMAIL),
                ("password", DEFAULT_USER_PASSWORD),
            ],
        )
        .await;
    assert_eq!(done.status, 302, "{}", done.body);
    let code = done.param("code").unwrap();
    let tokens = agent
        .post(
            &tenant.urls().token(),
            &[
                ("grant_type", "authorization_code"),
                ("client_id", &client_id),
                ("code", &code),
                ("redirect_uri", CALLBACK),
                ("code_verifier", VERIFIER),
            ],
        )
        .await;
    assert_eq!(tokens.status, 200, "{}", tokens.body);
    let tokens = tokens.json();
    let (_, claims) = parts(tokens["access_token"].as_str().unwrap());
    assert_eq!(claims["azp"], client_id);
    let rt = tokens["refresh_token"].as_str().unwrap();
    let refreshed = agent
        .post(
            &tenant.urls().token(),
            &[
                ("grant_type", "refresh_token"),
                ("client_id", &client_id),
                ("refresh_token", rt),
            ],
        )
        .await;
    assert_eq!(refreshed.status, 200, "{}", refreshed.body);
    let (_, claims) = parts(refreshed.json()["access_token"].as_str().unwrap());
    assert_eq!(claims["azp"], client_id);
    // One fetch served the whole flow: the document is cached.
    assert_eq!(server.hits("/client.json"), 1);
    // A public client: a secret is refused; and a third party, so no silent login.
    let with_secret = agent
        .post(
            &tenant.urls().token(),
            &[
                ("grant_type", "refresh_token"),
                ("client_id", &client_id),
                ("client_secret", "guess"),
                ("refresh_token", rt),
            ],
        )
        .await;
    assert_eq!(with_secret.status, 401, "{}", with_secret.body);
    // Only the login grants: no machine-to-machine token for a stranger's URL.
    let m2m = agent
        .post(
            &tenant.urls().token(),
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &client_id),
                ("audience", &aud),
            ],
        )
        .await;
    assert_token_error(
        &m2m,
        403,
        "unauthorized_client",
        "Grant type 'client_credentials' not allowed for the client.",
    );
    // It can revoke its refresh token (RFC 7009), which then no longer refreshes.
    let revoked = agent
        .post(
            &format!("{}/oauth/revoke", tenant.uri()),
            &[("client_id", client_id.as_str()), ("token", rt)],
        )
        .await;
    assert_eq!(revoked.status, 200, "{}", revoked.body);
    let after = agent
        .post(
            &tenant.urls().token(),
            &[
                ("grant_type", "refresh_token"),
                ("client_id", &client_id),
                ("refresh_token", rt),
            ],
        )
        .await;
    assert_token_error(
        &after,
        403,
        "invalid_grant",
        "Unknown or invalid refresh token.",
    );
    let mut silent = params(&client_id, CALLBACK);
    silent.push(("prompt", "none"));
    let res = agent.get(&authorize_url(&tenant, &silent)).await;
    assert_eq!(res.param("error").as_deref(), Some("consent_required"));
}

mod attacks;
mod disguises;
