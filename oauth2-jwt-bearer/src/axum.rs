//! axum glue: extractors, a scope requirement and a protect-everything layer.
//!
//! The request URL compared with the proof `htu` is `public_base_url + path?query` when
//! [`VerifierOptions::public_base_url`](super::VerifierOptions::public_base_url) is set
//! (recommended: it also stops a spoofed `Host` from steering the comparison), otherwise the
//! absolute request URI if the client sent one, otherwise `http://{Host}{path?query}`.

use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::extract::{FromRef, FromRequestParts};
use axum::response::{IntoResponse, Response};
use futures::future::BoxFuture;
use http::request::Parts;
use http::{HeaderValue, Request};

use super::claims::{self, Claims};
use super::error::{AuthError, AuthRejection};
use super::request::{RequestContext, RequestView};
use super::verifier::{Verified, Verifier};

impl IntoResponse for AuthRejection {
    /// The answer of [`AuthRejection::to_parts`].
    fn into_response(self) -> Response {
        let (status, headers, body) = self.to_parts();
        let mut resp = (status, axum::Json(body)).into_response();
        resp.headers_mut().extend(headers);
        resp
    }
}

fn request_url(parts: &Parts, base: Option<&str>) -> String {
    let pq = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
    if let Some(base) = base {
        format!("{base}{pq}")
    } else if parts.uri.scheme().is_some() && parts.uri.authority().is_some() {
        parts.uri.to_string()
    } else {
        match parts
            .headers
            .get(http::header::HOST)
            .and_then(|h| h.to_str().ok())
        {
            Some(host) => format!("http://{host}{pq}"),
            None => String::new(),
        }
    }
}

impl Verifier {
    /// The [`RequestContext`] of an axum request (see the module docs for the URL).
    pub fn context_from_parts(&self, parts: &Parts) -> RequestContext {
        RequestContext::new(
            parts.method.clone(),
            request_url(parts, self.public_base_url()),
            parts.headers.clone(),
        )
    }

    async fn authenticate_parts(
        &self,
        parts: &Parts,
        required_claims: &[&str],
    ) -> Result<Verified, AuthRejection> {
        let view = PartsView {
            parts,
            verifier: self,
        };
        self.authenticate_view(&view, required_claims).await
    }
}

/// A borrowed view of axum request parts (no header clone on the hot path).
struct PartsView<'a> {
    parts: &'a Parts,
    verifier: &'a Verifier,
}

impl RequestView for PartsView<'_> {
    fn method(&self) -> &http::Method {
        &self.parts.method
    }
    fn headers(&self) -> &http::HeaderMap {
        &self.parts.headers
    }
    fn url(&self) -> std::borrow::Cow<'_, str> {
        request_url(self.parts, self.verifier.public_base_url()).into()
    }
    fn query(&self) -> Option<&str> {
        self.parts.uri.query()
    }
    fn context(&self) -> std::borrow::Cow<'_, RequestContext> {
        std::borrow::Cow::Owned(self.verifier.context_from_parts(self.parts))
    }
}

async fn verified_from_parts(
    parts: &mut Parts,
    verifier: &Verifier,
) -> Result<Verified, AuthRejection> {
    if let Some(v) = parts.extensions.get::<Verified>() {
        return Ok(v.clone());
    }
    // Not stored in the extensions: an outer layer would have run already, and the
    // allocation is measurable on the hot path.
    verifier.authenticate_parts(parts, &[]).await
}

/// Extractor for verified claims. Reuses the [`Verified`] an [`AuthLayer`] put in the request
/// extensions, otherwise authenticates the request itself. Needs `Verifier: FromRef<S>`.
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

/// The layer made by [`require_scope`] (an [`AuthLayer`] with a scope).
pub type RequireScope = AuthLayer;

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
    type Future = BoxFuture<'static, Result<Response, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<Body>) -> Self::Future {
        // The clone that was polled ready is the one we call.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let layer = self.layer.clone();
        Box::pin(async move {
            if layer.public_paths.iter().any(|p| p == req.uri().path()) {
                return inner.call(req).await;
            }
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
                None => match verifier.authenticate_parts(&parts, &required).await {
                    Ok(v) => v,
                    Err(rejection) => return Ok(rejection.into_response()),
                },
            };
            if let Some(scope) = &layer.scope
                && !verified.claims.has_scope(scope)
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
        })
    }
}
