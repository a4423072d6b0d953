//! `cargo run`: the quickstart without an Auth0 account.
//!
//! Starts a mock tenant (the `mock-idp` library) on loopback over HTTPS with its own CA, points the
//! API at it, and prints a ready token for each protected route with curl lines that work when
//! pasted. The tenant keeps its keys and CA in the `mock-idp` state directory, so `mock-idp token`
//! and `mock-idp proof` mint tokens and proofs this running demo accepts.
//!
//! This lives in its own binary so that a deployed API with missing settings stops with an error
//! instead of quietly trusting a mock tenant.

use std::fmt::Write as _;
use std::net::SocketAddr;

use mock_idp::ServeAddress;
use mock_idp::config::DEFAULT_SPA_CLIENT_ID;
use mock_idp::config::{DEFAULT_USER_EMAIL, DEFAULT_USER_PASSWORD};
use mock_idp::{DpopKey, MockTenant, StateDir, TenantConfig};

use crate::demo_page::{self, CALLBACK_PATH, PAGE_PATH, PageConfig};

use oauth2_jwt_bearer::{DpopMode, Verifier, VerifierOptions};

/// What the demo needs to know before it starts.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// The API's port on 127.0.0.1 (`PORT`, default 5000).
    pub port: u16,
    /// The mock tenant's state directory (`MOCK_IDP_STATE_DIR`, default: mock-idp's own).
    pub state_dir: std::path::PathBuf,
}

impl DemoOptions {
    /// Reads `PORT` and `MOCK_IDP_STATE_DIR` from the environment.
    pub fn from_env() -> Result<DemoOptions, String> {
        let port = match std::env::var("PORT") {
            Ok(value) => value
                .trim()
                .parse()
                .map_err(|_| format!("PORT={value:?} is invalid: expected a port number"))?,
            Err(_) => 5000,
        };
        let state_dir = match std::env::var_os("MOCK_IDP_STATE_DIR").filter(|v| !v.is_empty()) {
            Some(dir) => dir.into(),
            None => StateDir::default_path().map_err(|e| e.to_string())?,
        };
        Ok(DemoOptions { port, state_dir })
    }
}

/// The running demo: the tenant and the API's listener.
pub struct Demo {
    /// The embedded tenant (stops when dropped).
    pub tenant: MockTenant,
    /// The API's listener on 127.0.0.1.
    pub listener: tokio::net::TcpListener,
    /// The verifier pointed at the tenant.
    pub verifier: Verifier,
    /// `http://127.0.0.1:PORT`.
    pub api_url: String,
    /// The DPoP client key the printed DPoP lines use.
    pub dpop_key: DpopKey,
    state: StateDir,
}

impl Demo {
    /// Starts the tenant and binds the API; nothing is served by the API until [`Demo::serve`].
    pub async fn start(options: &DemoOptions) -> Result<Demo, String> {
        let state = StateDir::open(&options.state_dir).map_err(|e| e.to_string())?;
        // The API's address first: the tenant's SPA application must allow the sample page.
        let addr = SocketAddr::from(([127, 0, 0, 1], options.port));
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| format!("cannot listen on {addr}: {e}; set PORT to a free port"))?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        let api_url = format!("http://127.0.0.1:{port}");
        let tenant = MockTenant::builder()
            .config(tenant_config(&api_url))
            .state_dir(state.path())
            .try_start()
            .map_err(|e| format!("cannot start the mock tenant: {e}"))?;
        state
            .write_endpoint(&ServeAddress {
                base_url: tenant.uri().to_owned(),
                domain: tenant.domain().to_owned(),
                listen_port: None,
            })
            .map_err(|e| e.to_string())?;
        let dpop_key = state.load_or_init_dpop_key().map_err(|e| e.to_string())?;
        let verifier = Verifier::new(
            VerifierOptions::new(tenant.domain(), tenant.audience())
                .ca_pem(tenant.ca_pem().into_bytes())
                .dpop_mode(DpopMode::Allowed)
                .public_base_url(api_url.clone()),
        )
        .map_err(|e| e.to_string())?;
        Ok(Demo {
            tenant,
            listener,
            verifier,
            api_url,
            dpop_key,
            state,
        })
    }

    /// The banner: URLs, a token per route, and curl lines (Bearer and DPoP).
    pub fn banner(&self) -> String {
        let api = &self.api_url;
        let tenant = &self.tenant;
        let read = tenant.token().scope("read:messages").build();
        let admin = tenant.token().scope("admin:write").build();
        let bound = tenant
            .token()
            .scope("read:messages")
            .bound_to(&self.dpop_key)
            .build();
        let dpop_url = format!("{api}/api/dpop-protected");
        let proof = self
            .dpop_key
            .proof("GET", &dpop_url)
            .access_token(&bound)
            .build();
        let state = self.state.path().display();
        let mut out = String::new();
        let _ = writeln!(
            out,
            "Auth0 quickstart API (demo: embedded mock tenant, no Auth0 account needed)"
        );
        let _ = writeln!(out);
        let _ = writeln!(out, "  API            {api}");
        let _ = writeln!(
            out,
            "  tenant         {}  (issuer {})",
            tenant.uri(),
            tenant.issuer()
        );
        let _ = writeln!(out, "  audience       {}", tenant.audience());
        let _ = writeln!(out, "  tenant CA      {}", self.state.ca_path().display());
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "A .env for another API against this tenant (what `mock-idp init` writes):"
        );
        let env = mock_idp::dotenv(
            &tenant.domains(),
            &tenant.audience(),
            Some(&self.state.ca_path()),
        );
        for line in env.lines() {
            let _ = writeln!(out, "  {line}");
        }
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "Tokens (1 hour; more with `cargo run -p mock-idp-cli -- token --scope ...`):"
        );
        let _ = writeln!(out, "  READ_TOKEN=\"{read}\"    # read:messages");
        let _ = writeln!(out, "  ADMIN_TOKEN=\"{admin}\"    # admin:write");
        let _ = writeln!(
            out,
            "  DPOP_TOKEN=\"{bound}\"    # read:messages, bound to {state}/dpop-key.pem"
        );
        let _ = writeln!(out);
        let _ = writeln!(out, "Try it (paste the token lines above first):");
        let _ = writeln!(out, "  curl {api}/api/public");
        let _ = writeln!(
            out,
            "  curl -H \"Authorization: Bearer $READ_TOKEN\" {api}/api/private"
        );
        let _ = writeln!(
            out,
            "  curl -H \"Authorization: Bearer $READ_TOKEN\" {api}/api/private-scoped"
        );
        let _ = writeln!(
            out,
            "  curl -H \"Authorization: Bearer $READ_TOKEN\" {api}/api/protected-data"
        );
        let _ = writeln!(
            out,
            "  curl -H \"Authorization: Bearer $ADMIN_TOKEN\" {api}/api/admin"
        );
        let _ = writeln!(
            out,
            "  curl -i -H \"Authorization: Bearer $READ_TOKEN\" {api}/api/admin    # 403 insufficient_scope"
        );
        let _ = writeln!(
            out,
            "  curl -i {api}/api/private    # 401 with a WWW-Authenticate challenge"
        );
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "DPoP (a proof is single-use and accepted for 60 s after it is made; this one is fresh):"
        );
        let _ = writeln!(
            out,
            "  curl -H \"Authorization: DPoP $DPOP_TOKEN\" -H \"DPoP: {proof}\" {dpop_url}"
        );
        let _ = writeln!(out, "DPoP with a new proof each time:");
        let _ = writeln!(
            out,
            "  curl -H \"Authorization: DPoP $DPOP_TOKEN\" -H \"DPoP: $(cargo run -q -p mock-idp-cli -- --state-dir {state} proof --url {dpop_url} --token $DPOP_TOKEN)\" {dpop_url}"
        );
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "Log in in a browser: {api}{PAGE_PATH}  (user {DEFAULT_USER_EMAIL} / {DEFAULT_USER_PASSWORD})"
        );
        let _ = writeln!(
            out,
            "  the tenant's certificate comes from its own CA: trust {} or accept the browser's warning on {}",
            self.state.ca_path().display(),
            tenant.uri()
        );
        if let Some(secret) = tenant.admin_secret() {
            let _ = writeln!(
                out,
                "The tenant's Test page (mint tokens, rotate keys, move the clock, inject faults): {}/dashboard  (admin secret {secret})",
                tenant.uri()
            );
        }
        let _ = writeln!(out);
        let _ = writeln!(out, "Ctrl-C stops the demo.");
        out
    }

    /// Serves the API until `shutdown` completes; the tenant stops when the demo is dropped.
    pub async fn serve(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let page = demo_page::router(&PageConfig {
            tenant: self.tenant.uri().to_owned(),
            client_id: DEFAULT_SPA_CLIENT_ID.to_owned(),
            audience: self.tenant.audience(),
            api_url: self.api_url.clone(),
        });
        let Demo {
            tenant,
            listener,
            verifier,
            ..
        } = self;
        let app = page.merge(crate::app::app(verifier));
        let result = crate::server::run_router(listener, app, shutdown).await;
        drop(tenant);
        result
    }
}

/// The default tenant, with the SPA application allowing the sample page at `api_url`.
fn tenant_config(api_url: &str) -> TenantConfig {
    let mut config = TenantConfig::default();
    if let Some(spa) = config
        .applications
        .iter_mut()
        .find(|a| a.client_id == DEFAULT_SPA_CLIENT_ID)
    {
        spa.callbacks.push(format!("{api_url}{CALLBACK_PATH}"));
        spa.allowed_logout_urls
            .push(format!("{api_url}{PAGE_PATH}"));
        spa.web_origins.push(api_url.to_owned());
    }
    config
}
