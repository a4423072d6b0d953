//! The test stack: an in-process mock tenant (HTTPS, its own CA) and the real API router on a
//! real listener at 127.0.0.1, plus helpers that check a whole answer in one call.
//!
//! Every scenario reads the same way:
//! ```ignore
//! let stack = Stack::start().await;
//! let token = stack.tenant.token().audience("https://other-api").build();
//! stack.get("/api/private").bearer_auth(&token).reply().await
//!     .assert_invalid_token("Audience mismatch"); // status, code, challenge, body, no-store
//! ```

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use http::HeaderMap;
use mock_idp::{DpopKey, MockTenant};
use oauth2_jwt_bearer::{Clock, Verifier, VerifierOptions};
use serde_json::Value;

/// The challenge sent with no error (DPoP allowed, the default): both schemes are offered.
pub(crate) const BARE_CHALLENGE: &str = r#"Bearer realm="api", DPoP algs="ES256""#;

/// The challenge of an error on a Bearer request (DPoP allowed): the attributes sit on Bearer.
pub(crate) fn on_bearer(code: &str, description: &str) -> String {
    format!(
        r#"Bearer realm="api", error="{code}", error_description="{description}", DPoP algs="ES256""#
    )
}

/// The challenge of an error on a DPoP request (DPoP allowed): the attributes sit on DPoP.
pub(crate) fn on_dpop(code: &str, description: &str) -> String {
    format!(
        r#"Bearer realm="api", DPoP error="{code}", error_description="{description}", algs="ES256""#
    )
}

/// The challenge of an error found before the scheme was known (DPoP allowed): on both.
pub(crate) fn on_both(code: &str, description: &str) -> String {
    format!(
        r#"Bearer realm="api", error="{code}", error_description="{description}", DPoP error="{code}", error_description="{description}", algs="ES256""#
    )
}

/// The verifier's clock reading the tenant's virtual clock: moving one moves both, so a test
/// can jump an hour ahead without sleeping and the tenant and the API agree on "now".
pub(crate) fn tenant_time(tenant: &MockTenant) -> Arc<dyn Clock> {
    let clock = tenant.clock().clone();
    Arc::new(move || clock.system_time())
}

/// A mock tenant and the quickstart API in front of it.
pub(crate) struct Stack {
    /// The tenant: mint tokens and proofs, move its clock, rotate keys, inject faults.
    pub(crate) tenant: MockTenant,
    /// The API.
    pub(crate) api: Api,
}

impl Stack {
    /// The quickstart defaults: DPoP allowed, no leeway, the tenant's clock.
    pub(crate) async fn start() -> Stack {
        Stack::with(|options| options).await
    }

    /// A stack whose verifier options are adjusted by `configure` (mode, leeway, nonces...).
    pub(crate) async fn with(configure: impl FnOnce(VerifierOptions) -> VerifierOptions) -> Stack {
        Stack::build(|tenant, api_url| {
            configure(quickstart_options(tenant).public_base_url(api_url))
        })
        .await
    }

    /// A stack whose verifier options are made from scratch, given the tenant and the API's
    /// own URL.
    pub(crate) async fn build(options: impl FnOnce(&MockTenant, &str) -> VerifierOptions) -> Stack {
        let tenant = MockTenant::start().await;
        let listener = Listener::bind().await;
        let options = options(&tenant, &listener.url());
        let api = listener.serve(Verifier::new(options).expect("verifier options are valid"));
        Stack { tenant, api }
    }

    /// `GET` on the API.
    pub(crate) fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.api.get(path)
    }

    /// The absolute URL of `path` on the API (what a DPoP proof's `htu` names).
    pub(crate) fn url(&self, path: &str) -> String {
        self.api.url(path)
    }

    /// A token bound to `key` and a fresh proof for `GET path`, sent with the DPoP scheme.
    pub(crate) fn dpop_get(&self, path: &str, key: &DpopKey) -> reqwest::RequestBuilder {
        let token = self
            .tenant
            .token()
            .scope("read:messages")
            .bound_to(key)
            .build();
        let proof = self
            .tenant
            .dpop_proof(key, "GET", &self.url(path))
            .access_token(&token)
            .build();
        self.get(path)
            .header("authorization", format!("DPoP {token}"))
            .header("dpop", proof)
    }
}

/// What the quickstart configures: the tenant's domain and audience, its CA trusted, and the
/// verifier's clock reading the tenant's virtual clock.
pub(crate) fn quickstart_options(tenant: &MockTenant) -> VerifierOptions {
    options_for_audience(tenant, &tenant.audience())
}

/// [`quickstart_options`] with another configured audience.
pub(crate) fn options_for_audience(tenant: &MockTenant, audience: &str) -> VerifierOptions {
    VerifierOptions::new(tenant.domain(), audience)
        .ca_pem(tenant.ca_pem().into_bytes())
        .clock(tenant_time(tenant))
}

/// A listener on 127.0.0.1:0, bound before the verifier is built so that the verifier can know
/// the API's own URL (DPoP `htu`).
pub(crate) struct Listener(tokio::net::TcpListener);

impl Listener {
    /// Binds 127.0.0.1 on a free port.
    pub(crate) async fn bind() -> Listener {
        Listener(
            tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind 127.0.0.1:0"),
        )
    }

    /// `http://127.0.0.1:PORT`.
    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.0.local_addr().expect("bound address"))
    }

    /// Serves the quickstart API with `verifier`.
    pub(crate) fn serve(self, verifier: Verifier) -> Api {
        self.serve_router(protected_api::app::app(verifier))
    }

    /// Serves any router (for the Advanced Usage examples that are not routes of the app).
    pub(crate) fn serve_router(self, router: Router) -> Api {
        let base = self.url();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            protected_api::server::run_router(self.0, router, async {
                let _ = stopped.await;
            })
            .await
            .expect("the API serves");
        });
        Api {
            base,
            client: client(),
            _stop: stop,
        }
    }
}

/// A plain HTTP client for the API (never a proxy: the API is on loopback).
pub(crate) fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("reqwest client builds")
}

/// A running API on 127.0.0.1. Dropping it stops the server.
pub(crate) struct Api {
    base: String,
    client: reqwest::Client,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl Api {
    /// `GET` on the API.
    pub(crate) fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.get(self.url(path))
    }

    /// The absolute URL of `path`.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `host:port` of the API.
    pub(crate) fn authority(&self) -> &str {
        self.base.trim_start_matches("http://")
    }
}

/// A whole HTTP answer: status, headers and the JSON body.
#[derive(Debug)]
pub(crate) struct Reply {
    /// The status code.
    pub(crate) status: u16,
    /// The response headers.
    pub(crate) headers: HeaderMap,
    /// The body as JSON (`Value::Null` when it is not JSON).
    pub(crate) body: Value,
}

/// Sends a request and collects the [`Reply`].
pub(crate) trait SendExt {
    /// Sends the request; panics on transport errors (the API must always answer).
    fn reply(self) -> impl Future<Output = Reply>;
}

impl SendExt for reqwest::RequestBuilder {
    async fn reply(self) -> Reply {
        let response = self.send().await.expect("the API answers");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("the API sends a body");
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            body,
        }
    }
}

impl Reply {
    /// 200, and the JSON body.
    #[track_caller]
    pub(crate) fn assert_ok(&self) -> &Value {
        assert_eq!(self.status, 200, "expected 200, got {self:#?}");
        &self.body
    }

    /// The status, the body `{"error": code, "error_description": description}`, exactly one
    /// `WWW-Authenticate` equal to `challenge`, and `Cache-Control: no-store`.
    #[track_caller]
    pub(crate) fn assert_refused(
        &self,
        status: u16,
        code: &str,
        description: &str,
        challenge: &str,
    ) {
        assert_eq!(self.status, status, "status of {self:#?}");
        assert_eq!(
            self.body,
            serde_json::json!({ "error": code, "error_description": description }),
            "body of {self:#?}"
        );
        assert_eq!(
            self.challenges(),
            [challenge],
            "WWW-Authenticate of {self:#?}"
        );
        assert_eq!(
            self.header("cache-control"),
            Some("no-store"),
            "Cache-Control of {self:#?}"
        );
    }

    /// 401 `invalid_token` on a Bearer request (DPoP allowed): the most common refusal.
    #[track_caller]
    pub(crate) fn assert_invalid_token(&self, description: &str) {
        self.assert_refused(
            401,
            "invalid_token",
            description,
            &on_bearer("invalid_token", description),
        );
    }

    /// 401 `invalid_dpop_proof` on a DPoP request (DPoP allowed).
    #[track_caller]
    pub(crate) fn assert_invalid_dpop_proof(&self, description: &str) {
        self.assert_refused(
            401,
            "invalid_dpop_proof",
            description,
            &on_dpop("invalid_dpop_proof", description),
        );
    }

    /// Every `WWW-Authenticate` value.
    pub(crate) fn challenges(&self) -> Vec<&str> {
        self.headers
            .get_all("www-authenticate")
            .iter()
            .map(|v| v.to_str().expect("challenge is ASCII"))
            .collect()
    }

    /// One header as text.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A request written byte for byte on a TCP connection to 127.0.0.1, for what an HTTP client
/// library will not send (header names in any case, exotic spacing). `Connection: close`.
pub(crate) async fn raw_get(authority: &str, path: &str, header_lines: &[&str]) -> Reply {
    let mut lines = vec![format!("Host: {authority}")];
    lines.extend(header_lines.iter().map(|l| (*l).to_owned()));
    raw_request(authority, "HTTP/1.1", path, &lines).await
}

/// A request written byte for byte: `GET {target} {version}`, then `lines` (a `Host` among
/// them, or not), `Connection: close`.
pub(crate) async fn raw_request(
    authority: &str,
    version: &str,
    target: &str,
    lines: &[String],
) -> Reply {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut request = format!("GET {target} {version}\r\n");
    for line in lines {
        request.push_str(line);
        request.push_str("\r\n");
    }
    request.push_str("Connection: close\r\n\r\n");
    let mut stream = tokio::net::TcpStream::connect(authority)
        .await
        .expect("connect to the API");
    stream
        .write_all(request.as_bytes())
        .await
        .expect("send the request");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.expect("read the answer");
    parse_response(&raw)
}

pub(crate) fn parse_response(raw: &[u8]) -> Reply {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text.split_once("\r\n\r\n").expect("a complete HTTP answer");
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status code");
    let mut headers = HeaderMap::new();
    for line in lines {
        let (name, value) = line.split_once(':').expect("a header line");
        headers.append(
            http::HeaderName::from_bytes(name.trim().as_bytes()).expect("a header name"),
            http::HeaderValue::from_str(value.trim()).expect("a header value"),
        );
    }
    // The API answers small JSON bodies with Content-Length (no chunking).
    let body = serde_json::from_str(body).unwrap_or(Value::Null);
    Reply {
        status,
        headers,
        body,
    }
}

/// A fresh directory under the system temp dir, removed on drop.
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    /// Creates an empty directory.
    pub(crate) fn new() -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("protected-api-it-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create a temp dir");
        // The canonical path: what the binaries report (a symlinked /tmp would differ).
        TempDir(path.canonicalize().expect("canonical temp dir"))
    }

    /// The directory.
    pub(crate) fn path(&self) -> &Path {
        &self.0
    }

    /// Writes `name` in the directory and returns its path.
    pub(crate) fn write(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, contents).expect("write a temp file");
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A multi-threaded runtime for property tests, which drive async requests from sync closures.
pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a Tokio runtime")
}
