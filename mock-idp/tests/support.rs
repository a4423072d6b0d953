//! Helpers shared by the topic modules.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode};
use mock_idp::MockTenant;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// A directory under the system temp dir, removed on drop.
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    pub(crate) fn new(tag: &str) -> Self {
        static N: AtomicUsize = AtomicUsize::new(0);
        let p = std::env::temp_dir().join(format!(
            "mock-idp-test-{}-{}-{}",
            std::process::id(),
            tag,
            N.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Fetches the tenant's JWKS over HTTPS.
pub(crate) async fn fetch_jwks(tenant: &MockTenant) -> JwkSet {
    json_of(tenant.http_client().get(tenant.urls().jwks())).await
}

/// Sends `request` and reads the answer's body as JSON, whatever the status.
pub(crate) async fn json_of<T: DeserializeOwned>(request: reqwest::RequestBuilder) -> T {
    request.send().await.unwrap().json().await.unwrap()
}

/// Verifies `token` with jsonwebtoken against `jwks` (RS256, the tenant's issuer and audience).
pub(crate) fn verify(
    token: &str,
    jwks: &JwkSet,
    issuer: &str,
    audience: &str,
) -> Result<Value, jsonwebtoken::errors::Error> {
    let header = jsonwebtoken::decode_header(token)?;
    let kid = header.kid.unwrap_or_default();
    let jwk = jwks.find(&kid).ok_or_else(|| {
        jsonwebtoken::errors::Error::from(jsonwebtoken::errors::ErrorKind::InvalidKeyFormat)
    })?;
    let key = DecodingKey::from_jwk(jwk)?;
    let mut v = Validation::new(Algorithm::RS256);
    v.set_issuer(&[issuer]);
    v.set_audience(&[audience]);
    Ok(decode::<Value>(token, &key, &v)?.claims)
}

/// Decodes a compact JWS without verifying it.
pub(crate) fn parts(token: &str) -> (Value, Value) {
    let d = mock_idp::jose::decode_unverified(token).unwrap();
    (d.header, d.payload)
}

/// POSTs a form to the token endpoint; returns (status, JSON body).
pub(crate) async fn post_token(
    tenant: &MockTenant,
    form: &[(&str, &str)],
    dpop: &[&str],
) -> (u16, Value) {
    let mut req = tenant.http_client().post(tenant.urls().token()).form(form);
    for p in dpop {
        req = req.header("DPoP", *p);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let body = res.json().await.unwrap_or(Value::Null);
    (status, body)
}

/// The default client's client_credentials form for the default audience.
pub(crate) fn cc_form(tenant: &MockTenant) -> Vec<(&'static str, String)> {
    vec![
        ("grant_type", "client_credentials".to_owned()),
        ("client_id", tenant.app().client_id()),
        ("client_secret", tenant.app().client_secret()),
        ("audience", tenant.audience().to_owned()),
    ]
}

/// Borrows a form built by [`cc_form`].
pub(crate) fn as_refs<'a>(form: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    form.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// Whether `node` (which runs Actions) is on PATH. Without it the calling test is skipped and
/// recorded (`scripts/test` lists the skips at the end); under `CI` it fails instead, as
/// `.ci/run` installs Node.
pub(crate) fn node_available() -> bool {
    let ok = std::process::Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        browser_test::skip("Actions", "`node` is not on PATH", "apt-get install nodejs");
    }
    ok
}
