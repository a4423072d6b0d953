//! `tenant.login(email)`: a user's tokens for API tests, got the way a browser gets them.
//!
//! It walks the real flow over HTTPS (`/authorize` with PKCE, the login form, the OTP step for
//! a user with an MFA enrolment, or under the MFA policy the enrolment of one without, the code
//! exchange at `/oauth/token`), so the tokens are exactly what an application would hold:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let tenant = mock_idp::MockTenant::start().await;
//! let tokens = tenant.login(mock_idp::config::DEFAULT_USER_EMAIL).await.unwrap();
//! assert!(tokens.id_token.is_some() && tokens.refresh_token.is_some());
//! # }
//! ```

use std::future::{Future, IntoFuture};
use std::pin::Pin;

use serde::Deserialize;

use crate::config::GrantType;
use crate::jose::{b64url, random_id, sha256};
use crate::tenant::state::TenantState;
use crate::tenant::tls::TlsMaterial;

/// What a login returned (the token endpoint's answer).
#[derive(Debug, Clone, Deserialize)]
pub struct LoginTokens {
    /// The user's access token.
    pub access_token: String,
    /// The ID token (with `openid`, which the default scope has).
    pub id_token: Option<String>,
    /// The refresh token (with `offline_access` where the application and API allow it).
    pub refresh_token: Option<String>,
    /// Granted scopes.
    #[serde(default)]
    pub scope: String,
    /// Access token lifetime in seconds.
    pub expires_in: i64,
    /// `Bearer` (or `DPoP`).
    pub token_type: String,
}

/// Why [`Login`] could not log the user in.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoginError {
    /// No user with this email in the tenant configuration.
    #[error("no user `{0}` in the tenant configuration")]
    UnknownUser(String),
    /// No application allows the authorization code grant with a callback URL (or the one
    /// named does not).
    #[error("no application with the authorization_code grant and a callback URL{0}")]
    NoApplication(String),
    /// A step of the flow answered unexpectedly.
    #[error("login step `{step}` failed: {detail}")]
    Step {
        /// `authorize`, `login form`, `otp` or `token`.
        step: &'static str,
        /// Status and body, or the transport error.
        detail: String,
    },
}

/// A login to perform; `.await` it. Defaults: the first application that can log users in,
/// scope `openid profile email offline_access`, the default API as audience.
#[derive(Debug)]
#[must_use = "a login does nothing until awaited"]
pub struct Login<'a> {
    state: &'a TenantState,
    tls: &'a TlsMaterial,
    email: String,
    client_id: Option<String>,
    scope: String,
    audience: Option<String>,
}

impl<'a> Login<'a> {
    pub(crate) fn new(state: &'a TenantState, tls: &'a TlsMaterial, email: &str) -> Self {
        Login {
            state,
            tls,
            email: email.to_owned(),
            client_id: None,
            scope: "openid profile email offline_access".into(),
            audience: Some(state.default_audience().to_owned()),
        }
    }

    /// Log in to this application.
    pub fn client(mut self, client_id: &str) -> Self {
        self.client_id = Some(client_id.to_owned());
        self
    }

    /// Ask for these scopes (space-separated; API permissions included).
    pub fn scope(mut self, scope: &str) -> Self {
        self.scope = scope.to_owned();
        self
    }

    /// Ask for this API (`None`: no audience, an access token for `/userinfo` only).
    pub fn audience(mut self, audience: Option<&str>) -> Self {
        self.audience = audience.map(str::to_owned);
        self
    }

    /// The code the user's authenticator app shows now, by the tenant's clock (`None`
    /// without an OTP enrolment or an unknown user): what a test types at the OTP step, or
    /// sends as `otp` to the `mfa-otp` grant. A code works once, so a second login within the
    /// same 30 s step needs `tenant.clock().advance(..)` first, as on Auth0.
    pub fn current_otp(&self) -> Option<String> {
        let snapshot = self.state.config();
        let user = snapshot.user_by_email(&self.email)?;
        user.otp_code(self.state.mint.clock.now())
    }

    async fn run(self) -> Result<LoginTokens, LoginError> {
        let cfg = self.state.config();
        let user = cfg
            .user_by_email(&self.email)
            .ok_or_else(|| LoginError::UnknownUser(self.email.clone()))?;
        let app = cfg
            .applications
            .iter()
            .filter(|a| self.client_id.as_ref().is_none_or(|c| *c == a.client_id))
            .find(|a| a.allows(GrantType::AuthorizationCode) && !a.callbacks.is_empty())
            .ok_or_else(|| {
                LoginError::NoApplication(
                    self.client_id
                        .as_ref()
                        .map(|c| format!(" named `{c}`"))
                        .unwrap_or_default(),
                )
            })?;
        let redirect_uri = &app.callbacks[0];
        let verifier = format!("{}{}", random_id(), random_id());
        let state = random_id();
        let mut url = url::Url::parse(&format!("{}/authorize", self.state.base_url))
            .map_err(|e| step("authorize", e))?;
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("response_type", "code")
                .append_pair("client_id", &app.client_id)
                .append_pair("redirect_uri", redirect_uri)
                .append_pair("scope", &self.scope)
                .append_pair("state", &state)
                .append_pair("code_challenge", &b64url(sha256(&verifier)))
                .append_pair("code_challenge_method", "S256");
            if let Some(aud) = &self.audience {
                q.append_pair("audience", aud);
            }
        }
        let http = client(self.tls)?;
        let res = http
            .get(url.as_str())
            .send()
            .await
            .map_err(|e| step("authorize", e))?;
        let mut location = redirect_target(&res, "authorize").await?;
        if location.starts_with("/u/login") {
            let device =
                set_cookie_value(&res, crate::tenant::session::DEVICE_COOKIE).unwrap_or_default();
            let tx = location.trim_start_matches("/u/login?state=").to_owned();
            let res = http
                .post(format!("{}/u/login", self.state.base_url))
                .header(
                    "cookie",
                    format!("{}={device}", crate::tenant::session::DEVICE_COOKIE),
                )
                .form(&[
                    ("state", tx.as_str()),
                    ("username", user.email.as_str()),
                    ("password", user.password.as_str()),
                ])
                .send()
                .await
                .map_err(|e| step("login form", e))?;
            location = redirect_target(&res, "login form").await?;
            if location.starts_with(crate::browser::mfa_challenge::PATH) {
                let now = self.state.mint.clock.now();
                // Under the MFA policy a user without an enrolment enrols here: the handle
                // reads the secret the page shows, as a person's authenticator app would.
                let enrolment = self
                    .state
                    .mfa
                    .login_step(&tx, now)
                    .and_then(|s| s.enrolment);
                let code = match &enrolment {
                    Some(e) => e.code_at(now),
                    None => self.current_otp(),
                }
                .unwrap_or_default();
                let otp_step = |form: Vec<(&'static str, String)>| {
                    http.post(format!(
                        "{}{}",
                        self.state.base_url,
                        crate::browser::mfa_challenge::PATH
                    ))
                    .header(
                        "cookie",
                        format!("{}={device}", crate::tenant::session::DEVICE_COOKIE),
                    )
                    .form(&[vec![("state", tx.clone())], form].concat())
                    .send()
                };
                let mut res = otp_step(vec![("code", code)])
                    .await
                    .map_err(|e| step("otp", e))?;
                if enrolment.is_some() && res.status().is_success() {
                    // The recovery-code page: continue.
                    res = otp_step(vec![("action", "continue".to_owned())])
                        .await
                        .map_err(|e| step("otp", e))?;
                }
                location = redirect_target(&res, "otp").await?;
            }
        }
        let callback = url::Url::parse(&location).map_err(|e| step("authorize", e))?;
        let param = |k: &str| {
            callback
                .query_pairs()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.into_owned())
        };
        if param("state").as_deref() != Some(state.as_str()) {
            return Err(step(
                "authorize",
                format!("callback without our state: {location}"),
            ));
        }
        let code =
            param("code").ok_or_else(|| step("authorize", format!("no code: {location}")))?;
        let mut form = vec![
            ("grant_type", "authorization_code".to_owned()),
            ("client_id", app.client_id.clone()),
            ("code", code),
            ("redirect_uri", redirect_uri.clone()),
            ("code_verifier", verifier),
        ];
        if !app.is_public() {
            form.push(("client_secret", app.client_secret.clone()));
        }
        let res = http
            .post(self.state.token_endpoint())
            .form(&form)
            .send()
            .await
            .map_err(|e| step("token", e))?;
        let status = res.status();
        let body = res.text().await.map_err(|e| step("token", e))?;
        if !status.is_success() {
            return Err(step("token", format!("{status}: {body}")));
        }
        serde_json::from_str(&body).map_err(|e| step("token", e))
    }
}

impl<'a> IntoFuture for Login<'a> {
    type Output = Result<LoginTokens, LoginError>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run())
    }
}

fn step(step: &'static str, detail: impl std::fmt::Display) -> LoginError {
    LoginError::Step {
        step,
        detail: detail.to_string(),
    }
}

/// A client that trusts the tenant's CA and does not follow redirects (each hop is a step).
fn client(tls: &TlsMaterial) -> Result<reqwest::Client, LoginError> {
    let mut b = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none());
    if let Ok(cert) = reqwest::Certificate::from_der(&tls.ca_der().unwrap_or_default()) {
        b = b.tls_certs_only([cert]);
    }
    b.build().map_err(|e| step("authorize", e))
}

async fn redirect_target(res: &reqwest::Response, at: &'static str) -> Result<String, LoginError> {
    if res.status() != reqwest::StatusCode::FOUND {
        return Err(step(at, format!("expected a 302, got {}", res.status())));
    }
    res.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .ok_or_else(|| step(at, "302 without Location"))
}

fn set_cookie_value(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}
