//! Verified claims handed to handlers, and the typed checks of RFC 7519 / RFC 9068 §4.

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::error::AuthError;
use crate::mutant::{Mutant, Switch};
use crate::options::TokenProfile;
use crate::reason::TokenError;

/// The verified claims of an access token. Cheap to clone (shared).
#[derive(Debug, Clone, PartialEq)]
pub struct Claims(Arc<Map<String, Value>>);

impl Claims {
    pub(crate) fn new(map: Map<String, Value>) -> Self {
        Self(Arc::new(map))
    }
    /// `sub`, when it is a string.
    pub fn sub(&self) -> Option<&str> {
        self.0.get("sub").and_then(Value::as_str)
    }
    /// The `scope` claim split on single spaces (RFC 6749 §3.3; TAB is not a delimiter).
    /// A missing or non-string `scope` yields nothing.
    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        self.0
            .get("scope")
            .and_then(Value::as_str)
            .unwrap_or("")
            .split(' ')
            .filter(|s| !s.is_empty())
    }
    /// Exact, case-sensitive scope-token match.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes().any(|s| s == scope)
    }
    /// Any claim.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }
    /// All claims.
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.0
    }
    /// `cnf.jkt` when it is a non-empty string.
    pub fn cnf_jkt(&self) -> Option<&str> {
        jkt_of(&self.0)
    }
}

impl serde::Serialize for Claims {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

pub(crate) fn jkt_of(map: &Map<String, Value>) -> Option<&str> {
    map.get("cnf")?
        .as_object()?
        .get("jkt")?
        .as_str()
        .filter(|s| !s.is_empty())
}

/// Time claims extracted once, so cached tokens can be re-checked on every request
/// without touching the JSON again.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TimeClaims {
    pub(crate) exp: f64,
    pub(crate) nbf: Option<f64>,
}

impl TimeClaims {
    /// `now < exp + leeway` and `now >= nbf - leeway`.
    pub(crate) fn check(&self, now: f64, leeway: f64) -> Result<(), AuthError> {
        if now >= self.exp + leeway {
            return Err(AuthError::InvalidToken(TokenError::Expired));
        }
        if let Some(nbf) = self.nbf
            && now < nbf - leeway
        {
            return Err(AuthError::InvalidToken(TokenError::NotYetValid));
        }
        Ok(())
    }
}

fn numeric(v: &Value, sw: Switch) -> Option<f64> {
    // NumericDate: a JSON number (fractions allowed), finite. Strings, booleans, null fail.
    let v = match v {
        Value::String(s) if sw.off(Mutant::NumericDateType) => s.parse::<f64>().ok()?,
        Value::Number(n) if sw.off(Mutant::IntegerDates) => n.as_i64()? as f64,
        v => v.as_f64()?,
    };
    Some(v).filter(|f| f.is_finite())
}

/// How far in the future `iat` may be before the token is refused (beyond clock leeway).
const IAT_FUTURE_SLACK: f64 = 60.0;

pub(crate) struct ClaimRules<'a> {
    pub(crate) issuer: &'a str,
    pub(crate) audience: &'a str,
    pub(crate) profile: TokenProfile,
    pub(crate) leeway: f64,
    /// Tests only: the check a mutant verifier skips (see `mutant`).
    pub(crate) switch: Switch,
}

/// Typed claim validation (after the signature). Returns the time claims for the cache.
pub(crate) fn validate(
    claims: &Map<String, Value>,
    rules: &ClaimRules<'_>,
    now: f64,
) -> Result<TimeClaims, AuthError> {
    let sw = rules.switch;
    match claims.get("iss") {
        Some(Value::String(s)) if s == rules.issuer || sw.off(Mutant::IssExact) => {}
        None if sw.off(Mutant::IssRequired) => {}
        Some(Value::String(_)) => return Err(AuthError::InvalidToken(TokenError::IssuerMismatch)),
        Some(_) => return Err(AuthError::InvalidToken(TokenError::InvalidIssClaim)),
        None => return Err(AuthError::InvalidToken(TokenError::MissingIssClaim)),
    }
    match claims.get("aud") {
        _ if sw.off(Mutant::Aud) => {}
        None => return Err(AuthError::InvalidToken(TokenError::MissingAudClaim)),
        Some(Value::String(s)) => {
            if s != rules.audience {
                return Err(AuthError::InvalidToken(TokenError::AudienceMismatch));
            }
        }
        Some(Value::Array(items)) => {
            // Every member must be a string (a mixed array is malformed, AUD-10).
            let mut found = false;
            if sw.off(Mutant::AudArray) {
                return Err(AuthError::InvalidToken(TokenError::InvalidAudClaim));
            }
            for item in items {
                match item {
                    Value::String(s) => found |= s == rules.audience,
                    _ => return Err(AuthError::InvalidToken(TokenError::InvalidAudClaim)),
                }
            }
            if !found {
                return Err(AuthError::InvalidToken(TokenError::AudienceMismatch));
            }
        }
        Some(_) => return Err(AuthError::InvalidToken(TokenError::InvalidAudClaim)),
    }
    let numeric = |v: &Value| numeric(v, sw);
    let exp = match claims.get("exp") {
        None if sw.off(Mutant::ExpRequired) => f64::INFINITY,
        None => return Err(AuthError::InvalidToken(TokenError::MissingExpClaim)),
        Some(v) => numeric(v).ok_or(AuthError::InvalidToken(TokenError::InvalidExpClaim))?,
    };
    let ignored = sw.off(Mutant::DateTypeIgnored);
    let nbf = match claims.get("nbf").map(numeric) {
        None => None,
        Some(None) if ignored => None,
        Some(v) => Some(v.ok_or(AuthError::InvalidToken(TokenError::InvalidNbfClaim))?),
    };
    let iat = match claims.get("iat").map(numeric) {
        None => return Err(AuthError::InvalidToken(TokenError::MissingIatClaim)),
        Some(None) if ignored => now,
        Some(v) => v.ok_or(AuthError::InvalidToken(TokenError::InvalidIatClaim))?,
    };
    if iat > now + rules.leeway + IAT_FUTURE_SLACK && !sw.off(Mutant::IatFuture) {
        return Err(AuthError::InvalidToken(TokenError::IssuedInFuture));
    }
    if let Some(sub) = claims.get("sub")
        && !sub.is_string()
    {
        return Err(AuthError::InvalidToken(TokenError::InvalidSubClaim));
    }
    if rules.profile == TokenProfile::Rfc9068Strict {
        for name in ["sub", "client_id", "jti"] {
            if !claims.get(name).is_some_and(Value::is_string) {
                return Err(AuthError::InvalidToken(TokenError::Rfc9068ClaimMissing));
            }
        }
    }
    if let Some(cnf) = claims.get("cnf") {
        // A present but malformed confirmation must never be mistaken for "unbound".
        // Only `jkt` is enforceable here (no mTLS): a token carrying another confirmation
        // method (`x5t#S256`, …) is refused rather than half-enforced (DPB-13).
        let only_jkt = cnf.as_object().is_some_and(|o| o.len() == 1);
        if jkt_of(claims).is_none() || !only_jkt {
            return Err(AuthError::InvalidToken(TokenError::InvalidCnfClaim));
        }
    }
    let time = TimeClaims {
        exp: if sw.off(Mutant::Exp) {
            f64::INFINITY
        } else {
            exp
        },
        nbf: nbf.filter(|_| !sw.off(Mutant::Nbf)),
    };
    // The boundary mutant compares whole seconds with `>`: valid while `floor(now) <= exp`.
    let at = if sw.off(Mutant::ExpBoundary) {
        now.floor() - 0.001
    } else {
        now
    };
    time.check(at, rules.leeway)?;
    Ok(time)
}

/// Each required claim must be present.
pub(crate) fn check_required<S: AsRef<str>>(
    claims: &Map<String, Value>,
    required: &[S],
) -> Result<(), AuthError> {
    if required.iter().all(|c| claims.contains_key(c.as_ref())) {
        Ok(())
    } else {
        Err(AuthError::InvalidToken(TokenError::MissingRequiredClaim))
    }
}

/// `typ` header policy per profile. Explicit foreign types (`dpop+jwt`, `secevent+jwt`,
/// …) are refused in both profiles.
pub(crate) fn check_typ(
    typ: Option<&Value>,
    profile: TokenProfile,
    sw: Switch,
) -> Result<(), AuthError> {
    let exact = sw.off(Mutant::TypExact);
    let typ = match typ {
        None => None,
        // The registered spellings only: `at+jwt`, and `JWT` as Auth0 sends it.
        Some(Value::String(s)) if exact => Some(if s == "JWT" { "jwt".into() } else { s.clone() }),
        Some(Value::String(s)) => Some(s.to_ascii_lowercase()),
        Some(_) => return Err(AuthError::InvalidToken(TokenError::InvalidTypHeader)),
    };
    let typ = typ.as_deref().map(|t| match exact {
        true => t,
        false => t.strip_prefix("application/").unwrap_or(t),
    });
    let ok = matches!(
        (profile, typ),
        (_, Some("at+jwt")) | (TokenProfile::Auth0Compat, None | Some("jwt"))
    );
    if ok {
        Ok(())
    } else {
        Err(AuthError::InvalidToken(TokenError::UnsupportedType))
    }
}
