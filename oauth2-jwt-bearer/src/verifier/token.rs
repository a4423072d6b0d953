//! The token half of the request path: the issuer allow-list, the verified-token cache
//! (hits re-checked for key, time and claims) and, on a miss, structure, algorithm policy,
//! keys, signature and claims, in that order (the order [`super`]'s module docs draw).

use serde_json::Value;

use super::{MAX_TOKEN_LEN, Verifier, refuse_unverified};
use crate::bearer::RequestView;
use crate::claims::{self, ClaimRules, Claims};
use crate::clock::unix_secs;
use crate::error::AuthError;
use crate::jose::{Algorithm, parse_compact};
use crate::mutant::Mutant;
use crate::options::validate_domain;
use crate::reason::TokenError;
use crate::token_cache::CachedToken;

impl Verifier {
    /// The domain `iss` names if it is on the allow-list: `iss` must be exactly
    /// `https://{domain}/` (no normalisation: RFC 9068 §4 step 3).
    pub(super) fn allowed_domain<'a>(
        &self,
        iss: &'a str,
        ctx: &dyn RequestView,
    ) -> Option<&'a str> {
        let sw = self.inner.switch;
        let host = match iss
            .strip_prefix("https://")
            .and_then(|h| h.strip_suffix('/'))
        {
            Some(host) => host,
            None if sw.off(Mutant::IssExact) => {
                let (scheme, rest) = iss.split_once("://")?;
                let web =
                    scheme.eq_ignore_ascii_case("https") || scheme.eq_ignore_ascii_case("http");
                web.then(|| rest.trim_end_matches('/'))?
            }
            None => return None,
        };
        let allowed =
            match &self.inner.resolver {
                Some(resolve) => resolve(&ctx.context(), iss)
                    .iter()
                    .filter_map(|d| validate_domain(d).ok())
                    .any(|d| d == host),
                None => self.inner.domains.iter().any(|d| {
                    d == host || (sw.off(Mutant::IssExact) && d.eq_ignore_ascii_case(host))
                }),
            };
        allowed.then_some(host)
    }

    pub(super) async fn verify_token(
        &self,
        token: &str,
        required_claims: &[&str],
        ctx: &dyn RequestView,
    ) -> Result<Claims, AuthError> {
        let inner = &*self.inner;
        let now = unix_secs(&*inner.clock);
        if token.len() > MAX_TOKEN_LEN {
            return Err(refuse_unverified(TokenError::TooLarge, None));
        }
        if let Some(answer) = self.cached_token(token, required_claims, ctx, now) {
            return answer;
        }

        // Before the keys are read: a cache clear after this point refuses our insert.
        let epoch = inner.tokens.epoch();
        let sw = inner.switch;
        let jws = parse_compact(token, sw).map_err(|e| refuse_unverified(e.reason(), None))?;
        let kid = match jws.header.get("kid") {
            None => None,
            Some(Value::String(k)) if k.len() <= 256 => Some(k.as_str()),
            Some(_) => return Err(refuse_unverified(TokenError::InvalidKidHeader, None)),
        };
        // Algorithm policy before any network call: none, HS*, unknown and disallowed algs
        // all stop here.
        let alg = jws
            .header
            .get("alg")
            .and_then(Value::as_str)
            .and_then(|a| a.parse::<Algorithm>().ok())
            .filter(|a| {
                sw.off(Mutant::AlgAllowList)
                    || sw.off(Mutant::AlgFromKey)
                    || inner.algorithms.contains(a)
            })
            .ok_or_else(|| refuse_unverified(TokenError::UnsupportedAlgorithm, kid))?;
        if !sw.off(Mutant::Typ) {
            claims::check_typ(jws.header.get("typ"), inner.profile, sw).map_err(|e| match e {
                AuthError::InvalidToken(reason) => refuse_unverified(reason, kid),
                other => other,
            })?;
        }
        let tenant_issuer = inner.domains.first().map(|d| format!("https://{d}/"));
        let iss = match jws.payload.get("iss") {
            Some(Value::String(s)) => s.as_str(),
            Some(_) => return Err(refuse_unverified(TokenError::InvalidIssClaim, kid)),
            None if sw.off(Mutant::IssRequired) => tenant_issuer.as_deref().unwrap_or_default(),
            None => return Err(refuse_unverified(TokenError::MissingIssClaim, kid)),
        };
        let domain = self
            .allowed_domain(iss, ctx)
            .ok_or_else(|| refuse_unverified(TokenError::UntrustedIssuer, kid))?
            .to_owned();
        // IssExact's lenient issuer names the configured tenant whatever its case.
        let domain = if sw.off(Mutant::IssExact) {
            domain.to_ascii_lowercase()
        } else {
            domain
        };

        let msg = jws.signing_input.as_bytes();
        // HS256 (allowed only with a secret): the API's secret, never a JWKS key, and no
        // cache entry (the MAC is cheaper than a lookup, and no key rotation retires it).
        let signer = if alg == Algorithm::HS256 {
            if !inner
                .secret
                .as_ref()
                .is_some_and(|s| s.verifies(msg, &jws.signature))
                && !sw.off(Mutant::Signature)
            {
                return Err(refuse_unverified(TokenError::InvalidSignature, kid));
            }
            None
        } else {
            let by_kid = kid.filter(|_| !sw.off(Mutant::KidAnyKey) && !sw.off(Mutant::Signature));
            let lookup = inner.keys.keys_for(&domain, by_kid, alg, now).await?;
            if lookup.candidates.is_empty() {
                return Err(refuse_unverified(TokenError::NoMatchingSigningKey, kid));
            }
            let Some(key) = lookup
                .candidates
                .iter()
                .find(|k| sw.off(Mutant::Signature) || k.verify(alg, msg, &jws.signature))
                .cloned()
            else {
                return Err(refuse_unverified(TokenError::InvalidSignature, kid));
            };
            Some((key, lookup))
        };

        let issuer = format!("https://{domain}/");
        let time = claims::validate(
            &jws.payload,
            &ClaimRules {
                issuer: &issuer,
                audience: &inner.audience,
                profile: inner.profile,
                leeway: inner.leeway,
                switch: sw,
            },
            now,
        )?;
        let claims = Claims::new(jws.payload);
        if let Some((key, lookup)) = signer {
            let cached = CachedToken {
                claims: claims.clone(),
                time,
                domain: domain.into(),
                key,
                generation: lookup.generation,
                tenant: lookup.tenant.clone(),
            };
            inner.tokens.insert(token, cached, now, epoch);
        }
        self.check_required(claims.as_map(), required_claims)?;
        Ok(claims)
    }

    /// The answer for a token in the cache whose key is still trusted; `None` when it is not
    /// in the cache, or its key left the JWKS (or the keys are too stale: it is then dropped
    /// from the cache and verified from scratch).
    fn cached_token(
        &self,
        token: &str,
        required_claims: &[&str],
        ctx: &dyn RequestView,
        now: f64,
    ) -> Option<Result<Claims, AuthError>> {
        let inner = &*self.inner;
        let hit = inner.tokens.get(token)?;
        if inner
            .keys
            .still_trusted(&hit.tenant, &hit.domain, &hit.key, hit.generation, now)
        {
            return Some(self.check_cached(&hit, required_claims, ctx, now));
        }
        inner.tokens.remove(token);
        None
    }

    /// The request path without an `.await`, for the common case only: a Bearer token that
    /// is in the cache, still trusted and accepted. `None` for anything else (a miss, DPoP,
    /// any refusal): [`Verifier::authenticate_view`] then decides, and its answer is what it
    /// would have been without this call, since this one only repeats its checks (in its
    /// order) and changes nothing a second look depends on. Lets the axum layer call the
    /// route in place, with no boxed future and no clone of the route.
    #[cfg(feature = "axum")]
    pub(crate) fn authenticate_cached(
        &self,
        req: &dyn RequestView,
        required_claims: &[&str],
    ) -> Option<super::Verified> {
        use super::Verified;
        use crate::bearer::{parse_authorization, query_has_access_token};
        use crate::scheme::{DpopMode, Scheme};
        let inner = &*self.inner;
        let creds = parse_authorization(req.headers(), inner.switch).ok()?;
        if creds.scheme != Scheme::Bearer
            || inner.mode == DpopMode::Required
            || query_has_access_token(req.query())
            || creds.token.len() > MAX_TOKEN_LEN
        {
            return None;
        }
        let now = unix_secs(&*inner.clock);
        let claims = self
            .cached_token(creds.token, required_claims, req, now)?
            .ok()?;
        if claims.cnf_jkt().is_some()
            || (inner.mode == DpopMode::Allowed && creds.proof.is_present())
        {
            return None;
        }
        Some(Verified {
            claims,
            scheme: Scheme::Bearer,
            nonce: None,
        })
    }

    /// A cache hit whose key is still trusted: what can change since the token was verified
    /// is time, the allow-list (a resolver answers per request) and the route's required
    /// claims.
    fn check_cached(
        &self,
        hit: &CachedToken,
        required_claims: &[&str],
        ctx: &dyn RequestView,
        now: f64,
    ) -> Result<Claims, AuthError> {
        let inner = &*self.inner;
        let iss = hit.claims.get("iss").and_then(Value::as_str).unwrap_or("");
        if self.allowed_domain(iss, ctx) != Some(&*hit.domain) {
            return Err(refuse_unverified(
                TokenError::UntrustedIssuer,
                hit.key.kid.as_deref(),
            ));
        }
        hit.time.check(now, inner.leeway)?;
        self.check_required(hit.claims.as_map(), required_claims)?;
        inner.keys.counters().token_cache_hits.increment();
        Ok(hit.claims.clone())
    }
}
