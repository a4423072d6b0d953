//! `WWW-Authenticate` parsing per RFC 9110 §11: a list of challenges, each an auth-scheme
//! followed by a token68 or by comma-separated auth-params whose values are tokens or quoted
//! strings. Verifiers join several challenges into one field value, and a comma separates both
//! challenges and params, so a comma followed by `token =` continues the current challenge and
//! a comma followed by a bare token starts a new one.

use serde::Serialize;

/// One challenge: `Bearer realm="api", error="invalid_token"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Challenge {
    /// The auth-scheme as sent (compare case-insensitively).
    pub scheme: String,
    /// The token68 form, if the challenge used it.
    pub token68: Option<String>,
    /// Auth-params in order; names lower-cased (they are case-insensitive), values unquoted.
    pub params: Vec<(String, String)>,
}

impl Challenge {
    /// The first value of param `name` (case-insensitive).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// How many times `name` occurs (RFC 6750 §3: realm, scope and error at most once).
    pub fn count(&self, name: &str) -> usize {
        self.params
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .count()
    }

    /// Whether the scheme is `scheme` (case-insensitive, RFC 9110 §11.1).
    pub fn is(&self, scheme: &str) -> bool {
        self.scheme.eq_ignore_ascii_case(scheme)
    }
}

/// Why a field value is not a challenge list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum ChallengeError {
    /// Expected an auth-scheme token at this byte offset.
    #[error("expected an auth-scheme at byte {0}")]
    Scheme(usize),
    /// Expected `name=value` at this byte offset.
    #[error("expected an auth-param at byte {0}")]
    Param(usize),
    /// A quoted string was not closed.
    #[error("unterminated quoted string at byte {0}")]
    Unterminated(usize),
    /// Empty field value.
    #[error("empty WWW-Authenticate value")]
    Empty,
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn is_token68_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~+/".contains(&b)
}

struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && (self.s[self.i] == b' ' || self.s[self.i] == b'\t') {
            self.i += 1;
        }
    }
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn token(&mut self) -> &str {
        let start = self.i;
        while self.i < self.s.len() && is_tchar(self.s[self.i]) {
            self.i += 1;
        }
        std::str::from_utf8(&self.s[start..self.i]).unwrap_or_default()
    }
    /// After a comma: does `token BWS "="` follow (a param of the current challenge)?
    fn param_ahead(&self) -> bool {
        let mut j = self.i;
        while j < self.s.len() && (self.s[j] == b' ' || self.s[j] == b'\t') {
            j += 1;
        }
        let start = j;
        while j < self.s.len() && is_tchar(self.s[j]) {
            j += 1;
        }
        if j == start {
            return false;
        }
        while j < self.s.len() && (self.s[j] == b' ' || self.s[j] == b'\t') {
            j += 1;
        }
        self.s.get(j) == Some(&b'=')
    }
    /// token68 at the cursor: its chars, then `=` padding, then OWS and `,` or the end.
    fn token68_ahead(&self) -> Option<usize> {
        let mut j = self.i;
        while j < self.s.len() && is_token68_char(self.s[j]) {
            j += 1;
        }
        if j == self.i {
            return None;
        }
        while j < self.s.len() && self.s[j] == b'=' {
            j += 1;
        }
        let end = j;
        while j < self.s.len() && (self.s[j] == b' ' || self.s[j] == b'\t') {
            j += 1;
        }
        (j == self.s.len() || self.s[j] == b',').then_some(end)
    }
    fn quoted(&mut self) -> Result<String, ChallengeError> {
        let start = self.i;
        self.i += 1;
        let mut out = Vec::new();
        while let Some(b) = self.peek() {
            self.i += 1;
            match b {
                b'"' => return Ok(String::from_utf8_lossy(&out).into_owned()),
                b'\\' => {
                    if let Some(n) = self.peek() {
                        out.push(n);
                        self.i += 1;
                    }
                }
                _ => out.push(b),
            }
        }
        Err(ChallengeError::Unterminated(start))
    }
}

/// Parses every challenge of one or more `WWW-Authenticate` field values.
pub(crate) fn parse_challenges(values: &[String]) -> Result<Vec<Challenge>, ChallengeError> {
    let mut out = Vec::new();
    for v in values {
        out.extend(parse_one(v)?);
    }
    Ok(out)
}

fn parse_one(value: &str) -> Result<Vec<Challenge>, ChallengeError> {
    let mut c = Cursor {
        s: value.as_bytes(),
        i: 0,
    };
    let mut out: Vec<Challenge> = Vec::new();
    loop {
        c.ws();
        // Empty list elements (`a, , b`) are allowed by the list syntax (RFC 9110 §5.6.1).
        while c.peek() == Some(b',') {
            c.i += 1;
            c.ws();
        }
        if c.peek().is_none() {
            break;
        }
        let at = c.i;
        let scheme = c.token().to_owned();
        if scheme.is_empty() {
            return Err(ChallengeError::Scheme(at));
        }
        let mut ch = Challenge {
            scheme,
            token68: None,
            params: Vec::new(),
        };
        let had_space = matches!(c.peek(), Some(b' ' | b'\t'));
        c.ws();
        if had_space
            && !c.param_ahead()
            && let Some(end) = c.token68_ahead()
        {
            let t = String::from_utf8_lossy(&c.s[c.i..end]).into_owned();
            ch.token68 = Some(t);
            c.i = end;
            out.push(ch);
            continue;
        }
        // auth-params: name BWS "=" BWS (token / quoted-string), separated by commas.
        while c.param_ahead() {
            c.ws();
            let name = c.token().to_ascii_lowercase();
            c.ws();
            c.i += 1; // '='
            c.ws();
            let value = match c.peek() {
                Some(b'"') => c.quoted()?,
                _ => {
                    let t = c.token().to_owned();
                    if t.is_empty() {
                        return Err(ChallengeError::Param(c.i));
                    }
                    t
                }
            };
            ch.params.push((name, value));
            c.ws();
            if c.peek() == Some(b',') {
                if c.param_ahead_after_comma() {
                    c.i += 1;
                    continue;
                }
                break;
            }
            if c.peek().is_some() {
                return Err(ChallengeError::Param(c.i));
            }
        }
        out.push(ch);
        c.ws();
        match c.peek() {
            None => break,
            Some(b',') => c.i += 1,
            Some(_) if out.last().is_some_and(|l| l.params.is_empty()) => {
                return Err(ChallengeError::Param(c.i));
            }
            Some(_) => return Err(ChallengeError::Scheme(c.i)),
        }
    }
    if out.is_empty() {
        return Err(ChallengeError::Empty);
    }
    Ok(out)
}

impl Cursor<'_> {
    fn param_ahead_after_comma(&self) -> bool {
        let probe = Cursor {
            s: self.s,
            i: self.i + 1,
        };
        probe.param_ahead()
    }
}

/// RFC 6750 §3: `error` and `error_description` values use only %x20-21 / %x23-5B / %x5D-7E.
pub(crate) fn rfc6750_charset_ok(value: &str) -> bool {
    value
        .bytes()
        .all(|b| matches!(b, 0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(v: &str) -> Vec<Challenge> {
        parse_challenges(&[v.to_owned()]).unwrap()
    }

    #[test]
    fn bearer_and_dpop_in_one_value() {
        let c = one(
            r#"Bearer realm="api", error="invalid_token", error_description="Token is expired", DPoP algs="ES256""#,
        );
        assert_eq!(c.len(), 2);
        assert!(c[0].is("bearer"));
        assert_eq!(c[0].param("error"), Some("invalid_token"));
        assert_eq!(c[0].param("ERROR_DESCRIPTION"), Some("Token is expired"));
        assert!(c[1].is("DPoP"));
        assert_eq!(c[1].param("algs"), Some("ES256"));
    }

    #[test]
    fn quoted_commas_escapes_and_bare_tokens() {
        let c = one(
            r#"DPoP error=invalid_dpop_proof, error_description="a, \"b\"", algs="ES256 PS256""#,
        );
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].param("error"), Some("invalid_dpop_proof"));
        assert_eq!(c[0].param("error_description"), Some(r#"a, "b""#));
    }

    #[test]
    fn token68_bare_scheme_and_several_field_values() {
        let c = parse_challenges(&[
            "Negotiate abc+/d==".to_owned(),
            "Basic, Bearer realm=\"x\"".to_owned(),
        ])
        .unwrap();
        assert_eq!(c.len(), 3);
        assert_eq!(c[0].token68.as_deref(), Some("abc+/d=="));
        assert!(c[1].is("basic") && c[1].params.is_empty());
        assert_eq!(c[2].param("realm"), Some("x"));
    }

    #[test]
    fn repeated_params_are_counted_and_garbage_is_refused() {
        let c = one(r#"Bearer realm="a", realm="b""#);
        assert_eq!(c[0].count("realm"), 2);
        assert!(parse_challenges(&[r#"Bearer realm="open"#.to_owned()]).is_err());
        assert!(parse_challenges(&["".to_owned()]).is_err());
        assert!(parse_challenges(&["Bearer realm=\"a\" junk".to_owned()]).is_err());
    }

    #[test]
    fn charset_rule() {
        assert!(rfc6750_charset_ok("Token is expired"));
        assert!(!rfc6750_charset_ok("alg \"x\""));
        assert!(!rfc6750_charset_ok("a\\b"));
        assert!(!rfc6750_charset_ok("é"));
    }
}
