//! The request as the verifier sees it, and what its credentials say: the `Authorization`
//! field (RFC 6750 §2.1 / RFC 9449 §7) and the `DPoP` field, read once, in one call
//! ([`parse_authorization`]), the way Auth0's `oauth2-bearer` `getToken` does.

use std::borrow::Cow;

use http::{HeaderMap, Method};

use crate::error::AuthError;
use crate::mutant::{Mutant, Switch};
use crate::reason::{ProofError, RequestError, TokenError};
use crate::scheme::Scheme;

/// Largest `Authorization` field accepted (bytes). Bigger fields get 400 `invalid_request`
/// (we answer 400 rather than 431 so that the response still carries a challenge).
const MAX_AUTHORIZATION_LEN: usize = RequestContext::MAX_AUTHORIZATION_LEN;

/// What the verifier needs from an HTTP request.
#[derive(Debug, Clone)]
pub struct RequestContext {
    /// The request method (compared case-sensitively with the proof `htm`).
    pub method: Method,
    /// The absolute URL of the request as the server sees it (compared with the proof
    /// `htu`, query and fragment ignored).
    pub url: String,
    /// The request headers.
    pub headers: HeaderMap,
}

impl RequestContext {
    /// Largest `Authorization` field accepted (bytes). Bigger fields get 400
    /// `invalid_request` (400 rather than 431, so that the response still carries a
    /// challenge).
    pub const MAX_AUTHORIZATION_LEN: usize = 16 * 1024;

    /// A context for a request.
    pub fn new(method: Method, url: impl Into<String>, headers: HeaderMap) -> Self {
        Self {
            method,
            url: url.into(),
            headers,
        }
    }

    /// An empty context (used when a domain resolver is called from `verify_access_token`).
    pub fn empty() -> Self {
        Self::new(Method::GET, String::new(), HeaderMap::new())
    }
}

/// What the request path reads from a request. Lets the axum glue avoid cloning headers and
/// building the URL on the Bearer hot path: the URL is only built for DPoP requests and the
/// full context only for a domain resolver.
pub(crate) trait RequestView: Sync {
    fn method(&self) -> &Method;
    fn headers(&self) -> &HeaderMap;
    fn url(&self) -> Cow<'_, str>;
    /// The raw query string, if any (no allocation on the hot path).
    fn query(&self) -> Option<&str>;
    fn context(&self) -> Cow<'_, RequestContext>;
}

impl RequestView for RequestContext {
    fn method(&self) -> &Method {
        &self.method
    }
    fn headers(&self) -> &HeaderMap {
        &self.headers
    }
    fn url(&self) -> Cow<'_, str> {
        Cow::Borrowed(&self.url)
    }
    fn query(&self) -> Option<&str> {
        let q = self.url.split_once('?')?.1;
        Some(q.split_once('#').map_or(q, |(q, _)| q))
    }
    fn context(&self) -> Cow<'_, RequestContext> {
        Cow::Borrowed(self)
    }
}

/// RFC 6750 b64token characters, as a table: this check runs on every request.
static B64TOKEN: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/');
        i += 1;
    }
    t
};

/// What a request's credentials say: the scheme and token of its one `Authorization` field,
/// and its `DPoP` field (judged only where the scheme makes it matter).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Credentials<'a> {
    pub(crate) scheme: Scheme,
    /// The token, grammar unchecked until it is refused ([`blame_header`]).
    pub(crate) token: &'a str,
    pub(crate) proof: ProofField<'a>,
}

/// The request's `DPoP` field(s).
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ProofField<'a> {
    /// No `DPoP` field.
    Absent,
    /// Exactly one proof.
    One(&'a str),
    /// Fields present but not one readable proof (two fields, a list, non-ASCII bytes).
    Invalid(ProofError),
}

impl<'a> ProofField<'a> {
    fn read(headers: &'a HeaderMap, sw: Switch) -> Self {
        let mut values = headers.get_all("dpop").iter();
        let Some(v) = values.next() else {
            return ProofField::Absent;
        };
        if values.next().is_some() && !sw.off(Mutant::FirstField) {
            return ProofField::Invalid(ProofError::MultipleProofs);
        }
        match v.to_str() {
            Err(_) => ProofField::Invalid(ProofError::Malformed),
            Ok(s) if s.contains(',') => ProofField::Invalid(ProofError::MultipleProofs),
            Ok(s) => ProofField::One(s.trim()),
        }
    }

    /// Whether the request has any `DPoP` field.
    pub(crate) fn is_present(&self) -> bool {
        !matches!(self, ProofField::Absent)
    }

    /// The single proof, `Ok(None)` when absent.
    pub(crate) fn single(self) -> Result<Option<&'a str>, AuthError> {
        match self {
            ProofField::Absent => Ok(None),
            ProofField::One(p) => Ok(Some(p)),
            ProofField::Invalid(e) => Err(AuthError::InvalidDpopProof(e)),
        }
    }
}

fn is_b64token_char(b: u8) -> bool {
    B64TOKEN[b as usize]
}

/// RFC 6750 §2.1 `credentials = "Bearer" 1*SP b64token` (and the same for `DPoP`), with the
/// request's `DPoP` field. Scheme names are case-insensitive (RFC 9110 §11.1).
pub(crate) fn parse_authorization(
    headers: &HeaderMap,
    sw: Switch,
) -> Result<Credentials<'_>, AuthError> {
    let field = match headers.contains_key(http::header::AUTHORIZATION) {
        false if sw.off(Mutant::ProxyAuthorization) => http::header::PROXY_AUTHORIZATION,
        _ => http::header::AUTHORIZATION,
    };
    let mut values = headers.get_all(field).iter();
    let Some(value) = values.next() else {
        return Err(AuthError::MissingCredentials);
    };
    if values.next().is_some() && !sw.off(Mutant::FirstField) {
        return Err(AuthError::InvalidRequest(
            RequestError::MultipleAuthorizationHeaders,
        ));
    }
    if value.len() > MAX_AUTHORIZATION_LEN {
        return Err(AuthError::InvalidRequest(
            RequestError::AuthorizationHeaderTooLarge,
        ));
    }
    let Ok(value) = value.to_str() else {
        return Err(AuthError::InvalidRequest(
            RequestError::MalformedAuthorizationHeader,
        ));
    };
    let value = value.trim_matches(' ');
    if value.is_empty() {
        return Err(AuthError::MissingCredentials);
    }
    let scheme_end = value.find([' ', '\t']).unwrap_or(value.len());
    let (scheme_name, rest) = value.split_at(scheme_end);
    let same = |a: &str, b: &str| match sw.off(Mutant::SchemeCase) {
        true => a == b,
        false => a.eq_ignore_ascii_case(b),
    };
    let scheme = if same(scheme_name, "Bearer") {
        Scheme::Bearer
    } else if same(scheme_name, "DPoP") {
        Scheme::DPoP
    } else {
        return Err(AuthError::UnsupportedScheme);
    };
    if rest.starts_with('\t') {
        return Err(AuthError::InvalidRequest(
            RequestError::MalformedAuthorizationHeader,
        ));
    }
    let token = match sw.off(Mutant::OneSpace) {
        true => rest.strip_prefix(' ').unwrap_or(rest),
        false => rest.trim_start_matches(' '),
    };
    if token.is_empty() {
        return Err(AuthError::InvalidRequest(RequestError::MissingToken));
    }
    // The b64token grammar is judged only when the token is refused (see `blame_header`): a
    // valid token, verified or cached, is never scanned a second time.
    Ok(Credentials {
        scheme,
        token,
        proof: ProofField::read(headers, sw),
    })
}

/// The refusal of a token taken from the `Authorization` field: a token that is not even an
/// RFC 6750 b64token is the field's fault, 400 `invalid_request`, whatever check refused it.
/// Exact: such a token always fails the strict base64url parsing (or the size cap, which
/// keeps its own answer), and can never be a cached token.
pub(crate) fn blame_header(e: AuthError, token: &str) -> AuthError {
    match e {
        AuthError::InvalidToken(reason)
            if reason != TokenError::TooLarge && !is_b64token(token) =>
        {
            AuthError::InvalidRequest(RequestError::MalformedAuthorizationHeader)
        }
        e => e,
    }
}

/// The scheme a single `Authorization` field names, even when the rest of the field is
/// malformed (no token, a TAB): the error then goes on that scheme's challenge only, as for
/// any other error on a request that used it. `None` for zero or several fields, for a field
/// too large to be read, and for other schemes.
pub(crate) fn named_scheme(headers: &HeaderMap) -> Option<Scheme> {
    let mut values = headers.get_all(http::header::AUTHORIZATION).iter();
    let value = values.next()?;
    if values.next().is_some() || value.len() > MAX_AUTHORIZATION_LEN {
        return None;
    }
    let value = value.as_bytes();
    let start = value.iter().position(|b| *b != b' ')?;
    let rest = &value[start..];
    let end = rest
        .iter()
        .position(|b| matches!(b, b' ' | b'\t'))
        .unwrap_or(rest.len());
    let name = &rest[..end];
    if name.eq_ignore_ascii_case(b"bearer") {
        Some(Scheme::Bearer)
    } else if name.eq_ignore_ascii_case(b"dpop") {
        Some(Scheme::DPoP)
    } else {
        None
    }
}

/// RFC 6750 §2.1 `b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
fn is_b64token(token: &str) -> bool {
    let body = token.trim_end_matches('=');
    !body.is_empty() && body.bytes().all(is_b64token_char)
}

/// Whether a query string carries an `access_token` parameter (RFC 6750 §2.3). We never accept
/// query tokens, but one next to an `Authorization` field is a request using more than one
/// method, which RFC 6750 §3.1 answers with 400 `invalid_request`.
pub(crate) fn query_has_access_token(query: Option<&str>) -> bool {
    query.is_some_and(|q| {
        q.split('&')
            .any(|p| p.split_once('=').map_or(p, |(name, _)| name) == "access_token")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn h(values: &[&str]) -> HeaderMap {
        let mut m = HeaderMap::new();
        for v in values {
            m.append(
                http::header::AUTHORIZATION,
                HeaderValue::from_str(v).unwrap(),
            );
        }
        m
    }

    #[test]
    fn authorization_grammar() {
        let ok = |v: &str, scheme| {
            let m = h(&[v]);
            let c = parse_authorization(&m, Switch::default()).unwrap();
            assert_eq!((c.scheme, c.token), (scheme, "a.b.c"), "{v}");
        };
        ok("Bearer a.b.c", Scheme::Bearer);
        ok("bEaReR a.b.c", Scheme::Bearer);
        ok("Bearer   a.b.c", Scheme::Bearer);
        ok("DPOP a.b.c", Scheme::DPoP);
        let err = |v: &[&str]| parse_authorization(&h(v), Switch::default()).unwrap_err();
        assert_eq!(err(&[]), AuthError::MissingCredentials);
        assert_eq!(err(&[""]), AuthError::MissingCredentials);
        assert_eq!(err(&["Basic dXNlcjpwYXNz"]), AuthError::UnsupportedScheme);
        assert_eq!(err(&["Bearer"]).error_code(), Some("invalid_request"));
        assert_eq!(err(&["Bearer "]).error_code(), Some("invalid_request"));
        assert_eq!(
            err(&["Bearer\ta.b.c"]).error_code(),
            Some("invalid_request")
        );
        for bad in ["abc def", "a\"b", "a,b", "=", "{\"protected\":1}"] {
            assert!(!is_b64token(bad), "{bad}");
        }
        assert!(is_b64token("a.b-c_d~e+f/g=="));
        assert_eq!(
            err(&["Bearer a", "DPoP b"]).error_code(),
            Some("invalid_request")
        );
        let big = format!("Bearer {}", "a".repeat(MAX_AUTHORIZATION_LEN));
        assert_eq!(err(&[&big]).status(), http::StatusCode::BAD_REQUEST);
    }

    #[test]
    fn named_scheme_of_malformed_fields() {
        assert_eq!(named_scheme(&h(&["Bearer"])), Some(Scheme::Bearer));
        assert_eq!(named_scheme(&h(&["bearer\ta.b.c"])), Some(Scheme::Bearer));
        assert_eq!(named_scheme(&h(&["DPoP"])), Some(Scheme::DPoP));
        assert_eq!(named_scheme(&h(&["Basic x"])), None);
        assert_eq!(named_scheme(&h(&[])), None);
        assert_eq!(named_scheme(&h(&["Bearer a", "Bearer a"])), None);
        let big = format!("Bearer {}", "a".repeat(MAX_AUTHORIZATION_LEN));
        assert_eq!(named_scheme(&h(&[&big])), None);
    }

    #[test]
    fn query_token_detection() {
        assert!(query_has_access_token(Some("access_token=abc")));
        assert!(query_has_access_token(Some("x=1&access_token")));
        assert!(!query_has_access_token(Some(
            "x_access_token=1&y=access_token"
        )));
        assert!(!query_has_access_token(None));
        let ctx = RequestContext::new(
            Method::GET,
            "http://a/r?x=1&access_token=t#f",
            HeaderMap::new(),
        );
        assert!(query_has_access_token(ctx.query()));
    }

    #[test]
    fn dpop_field() {
        fn dpop_header(m: &HeaderMap) -> Result<Option<&str>, AuthError> {
            ProofField::read(m, Switch::default()).single()
        }
        let mut m = HeaderMap::new();
        assert_eq!(dpop_header(&m).unwrap(), None);
        m.append("DPoP", HeaderValue::from_static("x.y.z"));
        assert_eq!(dpop_header(&m).unwrap(), Some("x.y.z"));
        m.append("dpop", HeaderValue::from_static("x.y.z"));
        assert!(dpop_header(&m).is_err());
        assert!(ProofField::read(&m, Switch::default()).is_present());
        let mut m = HeaderMap::new();
        m.append("dpop", HeaderValue::from_static("a.b.c, d.e.f"));
        assert!(dpop_header(&m).is_err());
    }
}
