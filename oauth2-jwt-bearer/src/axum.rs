//! axum glue: extractors, a scope requirement and a protect-everything layer.
//!
//! # The request URL (compared with the DPoP proof `htu`)
//! `public_base_url + path?query` when
//! [`VerifierOptions::public_base_url`](crate::VerifierOptions::public_base_url) is set
//! (recommended), otherwise `http://{Host}{path?query}`. The path is the request's original one
//! (axum's `OriginalUri`), so a route under `Router::nest` compares the URL the client used, not
//! the stripped one. The authority of an absolute-form request target is never used: a client
//! could name any authority there.
//!
//! # The `Host` of an authenticated request
//! Checked first, before any credential, by the layer and the extractors alike:
//! - it must be one bare `host[:port]` ([`Authority`](crate::Authority)): two `Host` fields, a
//!   path, query, fragment, userinfo or whitespace in it get 400 `invalid_request` (RFC 9110
//!   §7.2) on the challenge of the scheme the `Authorization` field names (on every challenge
//!   when it names none), so that `Host: api.example.com/api/other#` can never make a proof
//!   for `/api/other` pass at `/api/private`;
//! - with [`allowed_hosts`](crate::VerifierOptions::allowed_hosts) set, a `Host` (or an
//!   absolute-form target authority) not on the list gets 421 Misdirected Request, and a
//!   request without `Host` 400.
//!
//! Public routes (outside the layer, without an extractor) are not checked: their answer does
//! not depend on the host, and health probes often address a replica by IP.

use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::extract::{FromRef, FromRequestParts, OriginalUri};
use axum::response::{IntoResponse, Response};
use futures::future::{BoxFuture, Either};
use http::request::Parts;
use http::{HeaderValue, Request};

use crate::bearer::{RequestContext, RequestView, named_scheme};
use crate::claims::{self, Claims};
use crate::error::{AuthError, AuthRejection};
use crate::host::split_authority;
use crate::mutant::Mutant;
use crate::reason::RequestError;
use crate::verifier::{Verified, Verifier};

impl IntoResponse for AuthRejection {
    /// The answer of [`AuthRejection::to_parts`].
    fn into_response(self) -> Response {
        let (status, headers, body) = self.to_parts();
        let mut resp = (status, axum::Json(body)).into_response();
        resp.headers_mut().extend(headers);
        resp
    }
}

const INVALID_HOST: AuthError = AuthError::InvalidRequest(RequestError::InvalidHostHeader);

/// What the request line and `Host` contribute to the URL, checked once per request.
struct Target<'a> {
    /// The validated `Host` (a bare authority), if the request has one.
    host: Option<&'a str>,
    /// The original path and query.
    path_and_query: &'a str,
}

impl Target<'_> {
    fn url(&self, base: Option<&str>) -> String {
        let pq = self.path_and_query;
        match (base, self.host) {
            (Some(base), _) => format!("{base}{pq}"),
            (None, Some(host)) => format!("http://{host}{pq}"),
            // No origin to compare with: the `htu` check fails closed.
            (None, None) => String::new(),
        }
    }
}

/// The `Host` of the request (see the module docs). HTTP/2 has no `Host` field: its
/// `:authority` is the URI's authority.
fn request_host(parts: &Parts) -> Result<Option<&str>, AuthError> {
    let mut values = parts.headers.get_all(http::header::HOST).iter();
    let raw = match (values.next(), values.next()) {
        (None, _) if parts.version == http::Version::HTTP_2 => {
            parts.uri.authority().map(|a| a.as_str())
        }
        (None, _) => None,
        (Some(v), None) => Some(v.to_str().map_err(|_| INVALID_HOST)?),
        (Some(_), Some(_)) => return Err(INVALID_HOST),
    };
    match raw {
        Some(raw) => split_authority(raw)
            .map(|_| Some(raw))
            .map_err(|_| INVALID_HOST),
        None => Ok(None),
    }
}

/// Whether a `host[:port]` is on the allow-list (an unparsable one is not).
fn is_allowed(verifier: &Verifier, raw: &str) -> bool {
    split_authority(raw).is_ok_and(|(host, port)| {
        verifier
            .allowed_hosts()
            .iter()
            .any(|a| a.matches(host, port))
    })
}

fn request_target<'a>(parts: &'a Parts, verifier: &Verifier) -> Result<Target<'a>, AuthError> {
    let host = request_host(parts)?;
    if !verifier.allowed_hosts().is_empty() {
        let Some(host) = host else {
            return Err(AuthError::InvalidRequest(RequestError::MissingHostHeader));
        };
        // An absolute-form target names the host too (RFC 9112 §3.2.2); both must be ours.
        let target_authority = parts.uri.authority().map(|a| a.as_str());
        if !is_allowed(verifier, host) || target_authority.is_some_and(|a| !is_allowed(verifier, a))
        {
            return Err(AuthError::MisdirectedRequest);
        }
    }
    // `Router::nest` strips its prefix from `parts.uri`; the proof names the full path.
    let uri = parts
        .extensions
        .get::<OriginalUri>()
        .map_or(&parts.uri, |o| &o.0);
    let path_and_query = uri.path_and_query().map_or("/", |pq| pq.as_str());
    Ok(Target {
        host,
        path_and_query,
    })
}

/// Authenticates an axum request: its target first (see the module docs), then the request
/// path of [`Verifier`], reading the parts in place.
async fn authenticate_parts(
    verifier: &Verifier,
    parts: &Parts,
    required_claims: &[&str],
) -> Result<Verified, AuthRejection> {
    let target = request_target(parts, verifier)
        .map_err(|e| verifier.reject(e, named_scheme(&parts.headers)))?;
    let view = PartsView {
        parts,
        verifier,
        target,
    };
    verifier.authenticate_view(&view, required_claims).await
}

/// A borrowed view of axum request parts (no header clone on the hot path).
struct PartsView<'a> {
    parts: &'a Parts,
    verifier: &'a Verifier,
    target: Target<'a>,
}

impl RequestView for PartsView<'_> {
    fn method(&self) -> &http::Method {
        &self.parts.method
    }
    fn headers(&self) -> &http::HeaderMap {
        &self.parts.headers
    }
    fn url(&self) -> std::borrow::Cow<'_, str> {
        self.target.url(self.verifier.public_base_url()).into()
    }
    fn query(&self) -> Option<&str> {
        self.parts.uri.query()
    }
    /// Built only for a domain resolver, which is given an owned context.
    fn context(&self) -> std::borrow::Cow<'_, RequestContext> {
        std::borrow::Cow::Owned(RequestContext::new(
            self.parts.method.clone(),
            self.url(),
            self.parts.headers.clone(),
        ))
    }
}

async fn verified_from_parts(
    parts: &mut Parts,
    verifier: &Verifier,
) -> Result<Verified, AuthRejection> {
    if let Some(v) = parts.extensions.get::<Verified>() {
        return Ok(v.clone());
    }
    let verified = authenticate_parts(verifier, parts, &[]).await?;
    // Kept for the next extractor of the same handler: verifying again would find the DPoP
    // proof's `jti` in the replay store and refuse the request as a replay.
    parts.extensions.insert(verified.clone());
    Ok(verified)
}

/// Extractor for verified claims. Reuses the [`Verified`] an [`AuthLayer`] or an earlier
/// extractor put in the request extensions, otherwise authenticates the request itself and
/// puts the result there (so two extractors on one handler verify once). Needs `Verifier: FromRef<S>`.
/// An extractor cannot add response headers: with server nonces on, use [`AuthLayer`] so the
/// success response carries `DPoP-Nonce`.
#[derive(Debug, Clone)]
pub struct Authenticated(pub Claims);

impl<S> FromRequestParts<S> for Authenticated
where
    Verifier: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        // The same lookup as `VerifiedRequest`, keeping only the claims.
        let VerifiedRequest(verified) = VerifiedRequest::from_request_parts(parts, state).await?;
        Ok(Authenticated(verified.claims))
    }
}

/// Extractor for the whole [`Verified`] (claims, scheme, nonce): use it to answer a scope
/// failure on the right challenge with `verifier.reject(err, Some(v.scheme))`.
#[derive(Debug, Clone)]
pub struct VerifiedRequest(pub Verified);

impl<S> FromRequestParts<S> for VerifiedRequest
where
    Verifier: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        // Behind an `AuthLayer` (the common case) the layer's answer is there: no verifier
        // needed.
        if let Some(v) = parts.extensions.get::<Verified>() {
            return Ok(VerifiedRequest(v.clone()));
        }
        let verifier = Verifier::from_ref(state);
        verified_from_parts(parts, &verifier)
            .await
            .map(VerifiedRequest)
    }
}

/// A tower layer that authenticates requests, optionally demands a scope and claims, and
/// puts [`Verified`] into the request extensions. On success with server nonces on, the
/// response gets `DPoP-Nonce`.
#[derive(Clone)]
#[must_use = "a builder does nothing until it is used"]
pub struct AuthLayer {
    verifier: Verifier,
    public_paths: Arc<[String]>,
    scope: Option<Arc<str>>,
    required_claims: Arc<[String]>,
}

impl std::fmt::Debug for AuthLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthLayer")
            .field("public_paths", &self.public_paths)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

/// Protect every request except those whose path equals one of `public_paths` (the
/// quickstart's `before_request` pattern). Use with `Router::layer`.
pub fn auth_layer(verifier: Verifier, public_paths: &[&str]) -> AuthLayer {
    AuthLayer {
        verifier,
        public_paths: public_paths.iter().map(|p| (*p).to_owned()).collect(),
        scope: None,
        required_claims: Arc::new([]),
    }
}

/// Demand `scope`: 403 `insufficient_scope` with `scope="…"` on the challenge of the scheme
/// used (Bearer or DPoP). Authenticates first if no outer layer did (401 before 403). Use
/// with `MethodRouter::route_layer` / `Router::route_layer`.
pub fn require_scope(verifier: Verifier, scope: &str) -> AuthLayer {
    AuthLayer {
        verifier,
        public_paths: Arc::new([]),
        scope: Some(scope.into()),
        required_claims: Arc::new([]),
    }
}

impl AuthLayer {
    /// Also require these claims to be present (401 `invalid_token` otherwise).
    pub fn required_claims(mut self, claims: &[&str]) -> Self {
        self.required_claims = claims.iter().map(|c| (*c).to_owned()).collect();
        self
    }
}

impl AuthLayer {
    /// `req` with [`Verified`] in its extensions when the verifier can accept it without
    /// awaiting ([`Verifier::authenticate_cached`]: a cached Bearer token) and it passes this
    /// layer's scope and claims; otherwise `req` back, for the full path to answer.
    // Both sides hand the request back by value: boxing it would cost the allocation this
    // path exists to avoid.
    #[allow(clippy::result_large_err)]
    fn authenticate_cached(&self, req: Request<Body>) -> Result<Request<Body>, Request<Body>> {
        if !self.required_claims.is_empty() {
            return Err(req);
        }
        // An outer layer verified the request: only this layer's scope is left to check.
        if let Some(v) = req.extensions().get::<Verified>() {
            return match &self.scope {
                Some(s) if !v.claims.has_scope(s) => Err(req),
                _ => Ok(req),
            };
        }
        let (mut parts, body) = req.into_parts();
        let verified = request_target(&parts, &self.verifier)
            .ok()
            .and_then(|target| {
                let view = PartsView {
                    parts: &parts,
                    verifier: &self.verifier,
                    target,
                };
                self.verifier.authenticate_cached(&view, &[])
            });
        match verified {
            Some(v) if self.scope.as_ref().is_none_or(|s| v.claims.has_scope(s)) => {
                parts.extensions.insert(v);
                Ok(Request::from_parts(parts, body))
            }
            _ => Err(Request::from_parts(parts, body)),
        }
    }
}

impl<S> tower::Layer<S> for AuthLayer {
    type Service = AuthService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        AuthService {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service made by [`AuthLayer`].
#[derive(Clone, Debug)]
pub struct AuthService<S> {
    inner: S,
    layer: AuthLayer,
}

impl<S> tower::Service<Request<Body>> for AuthService<S>
where
    S: tower::Service<Request<Body>, Response = Response, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    /// A public path is the inner service's own future (no allocation, no clone); an
    /// authenticated request is boxed.
    type Future = Either<S::Future, BoxFuture<'static, Result<Response, Infallible>>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<Body>) -> Self::Future {
        if self
            .layer
            .public_paths
            .iter()
            .any(|p| p == req.uri().path())
        {
            // The inner service was polled ready: call it as it is.
            return Either::Left(self.inner.call(req));
        }
        // The common case, decided without awaiting: the route is called in place.
        let req = match self.layer.authenticate_cached(req) {
            Ok(req) => return Either::Left(self.inner.call(req)),
            Err(req) => req,
        };
        // The clone that was polled ready is the one we call.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let layer = self.layer.clone();
        Either::Right(Box::pin(async move {
            let (mut parts, body) = req.into_parts();
            let required: Vec<&str> = layer.required_claims.iter().map(String::as_str).collect();
            let verifier = &layer.verifier;
            let verified = match parts.extensions.get::<Verified>() {
                Some(v) => {
                    if let Err(e) = claims::check_required(v.claims.as_map(), &required) {
                        return Ok(verifier.reject(e, Some(v.scheme)).into_response());
                    }
                    v.clone()
                }
                None => match authenticate_parts(verifier, &parts, &required).await {
                    Ok(v) => v,
                    Err(rejection) => return Ok(rejection.into_response()),
                },
            };
            let sw = verifier.switch();
            let claim = verified.claims.get("scope").and_then(|v| v.as_str());
            if let Some(scope) = &layer.scope
                && !verified.claims.has_scope(scope)
                && !sw.off(Mutant::Scope)
                && !(sw.off(Mutant::ScopeCase)
                    && verified
                        .claims
                        .scopes()
                        .any(|s| s.eq_ignore_ascii_case(scope)))
                && !(sw.off(Mutant::ScopeSubstring) && claim.is_some_and(|c| c.contains(&**scope)))
            {
                let e = AuthError::InsufficientScope {
                    scope: scope.to_string(),
                };
                return Ok(verifier.reject(e, Some(verified.scheme)).into_response());
            }
            let nonce = verified.nonce.clone();
            parts.extensions.insert(verified);
            let mut resp = inner.call(Request::from_parts(parts, body)).await?;
            if let Some(n) = nonce.and_then(|n| HeaderValue::from_str(&n).ok()) {
                resp.headers_mut().insert("dpop-nonce", n);
                resp.headers_mut().insert(
                    http::header::CACHE_CONTROL,
                    HeaderValue::from_static("no-store"),
                );
            }
            Ok(resp)
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::VerifierOptions;

    fn verifier(allowed: &[&str]) -> Verifier {
        Verifier::new(
            VerifierOptions::new("tenant.example.com", "https://api")
                .allowed_hosts(allowed.to_vec()),
        )
        .unwrap()
    }

    fn parts(req: http::request::Builder) -> Parts {
        req.body(()).unwrap().into_parts().0
    }

    fn url(v: &Verifier, p: &Parts) -> Result<String, AuthError> {
        request_target(p, v).map(|t| t.url(v.public_base_url()))
    }

    #[test]
    fn the_url_comes_from_a_checked_host_and_the_original_path() {
        let v = verifier(&[]);
        let p = parts(Request::get("/r?q=1").header("host", "API.example.com:8080"));
        assert_eq!(url(&v, &p).unwrap(), "http://API.example.com:8080/r?q=1");
        // An absolute-form target's authority is ignored.
        let p = parts(Request::get("http://other.example/r").header("host", "api.example.com"));
        assert_eq!(url(&v, &p).unwrap(), "http://api.example.com/r");
        // HTTP/2 has no Host field: `:authority` is the URI's.
        let p = parts(Request::get("https://api.example.com/r").version(http::Version::HTTP_2));
        assert_eq!(url(&v, &p).unwrap(), "http://api.example.com/r");
        // Under `Router::nest` the original URI is the one the client used.
        let mut p = parts(Request::get("/r").header("host", "api.example.com"));
        p.extensions
            .insert(OriginalUri(http::Uri::from_static("/v1/r")));
        assert_eq!(url(&v, &p).unwrap(), "http://api.example.com/v1/r");
        // No Host and no base: nothing a proof can match.
        let p = parts(Request::get("/r"));
        assert_eq!(url(&v, &p).unwrap(), "");
        let p = parts(Request::get("/r").header("host", "api.example.com/x#"));
        assert_eq!(url(&v, &p), Err(INVALID_HOST));
    }

    #[test]
    fn allowed_hosts_are_compared_with_host_and_target() {
        let v = verifier(&["API.example.com", "127.0.0.1:5000"]);
        let ok = |req| url(&v, &parts(req)).is_ok();
        let misdirected = |req| url(&v, &parts(req)) == Err(AuthError::MisdirectedRequest);
        assert!(ok(Request::get("/").header("host", "api.EXAMPLE.com")));
        assert!(ok(Request::get("/").header("host", "127.0.0.1:5000")));
        assert!(misdirected(Request::get("/").header("host", "127.0.0.1")));
        assert!(misdirected(
            Request::get("/").header("host", "api.example.com:443")
        ));
        assert!(misdirected(
            Request::get("/").header("host", "evil.example")
        ));
        assert!(misdirected(
            Request::get("http://evil.example/").header("host", "api.example.com")
        ));
        assert!(ok(
            Request::get("http://api.example.com/").header("host", "api.example.com")
        ));
        assert_eq!(
            url(&v, &parts(Request::get("/"))),
            Err(AuthError::InvalidRequest(RequestError::MissingHostHeader))
        );
        let bad = Verifier::new(
            VerifierOptions::new("tenant.example.com", "https://api")
                .allowed_hosts(["api.example.com/path"]),
        );
        assert!(matches!(
            bad,
            Err(crate::ConfigError::InvalidAllowedHost { .. })
        ));
    }
}
