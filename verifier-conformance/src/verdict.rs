//! Expected outcomes and how an observation is graded against them.
//!
//! The catalog's levels grade the accept/reject *verdict*; exact status and error codes are
//! SHOULD-level (RFC 6750 §3.1). So a correct verdict with another status or code is a
//! deviation: tolerated (and reported) in an M case, a failure at the other levels (S, C, BP),
//! information in an I case. Two things always fail: a 5xx the case did not allow, and a 401 without a
//! well-formed challenge (RFC 9110 §15.5.2, RFC 6750 §3).

use serde::{Deserialize, Serialize};

use super::challenge::rfc6750_charset_ok;
use super::observe::Observation;

/// How binding a case is (the catalog's "Lvl" column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Level {
    /// An RFC MUST / MUST NOT.
    M,
    /// SHOULD / RECOMMENDED.
    S,
    /// A MUST for an optional feature or profile the target opts into.
    C,
    /// Best practice (RFC 8725, CVE history, robustness).
    BP,
    /// Informational: recorded, never failed.
    I,
}

impl Level {
    /// All levels in report order.
    pub const ALL: [Level; 5] = [Level::M, Level::S, Level::C, Level::BP, Level::I];

    /// `M`, `S`, `C`, `BP`, `I`.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::M => "M",
            Level::S => "S",
            Level::C => "C",
            Level::BP => "BP",
            Level::I => "I",
        }
    }

    /// What the level means (its variant's doc), for the catalog document.
    pub const fn meaning(self) -> &'static str {
        match self {
            Level::M => "An RFC MUST / MUST NOT.",
            Level::S => "SHOULD / RECOMMENDED.",
            Level::C => "A MUST for an optional feature or profile the target opts into.",
            Level::BP => "Best practice (RFC 8725, CVE history, robustness).",
            Level::I => "Informational: recorded, never failed.",
        }
    }

    /// Parses `M`, `S`, `C`, `BP`, `I` (any case).
    pub fn parse(s: &str) -> Option<Level> {
        Level::ALL
            .into_iter()
            .find(|l| l.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

/// What a probe should get back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) enum Expect {
    /// 2xx.
    Accept,
    /// 401 whose challenges carry no `error`.
    NoCredentials,
    /// 401 `invalid_token`.
    InvalidToken,
    /// 400 `invalid_request`.
    InvalidRequest,
    /// 403 `insufficient_scope` with `scope="<this>"`.
    InsufficientScope(String),
    /// 401 `invalid_dpop_proof` (400 tolerated: both Auth0 libraries send it, OIDF accepts it).
    InvalidDpopProof,
    /// 401 `use_dpop_nonce` with exactly one `DPoP-Nonce`.
    UseDpopNonce,
    /// A 400 or 401 carrying an error code.
    Reject,
    /// Any 4xx (the verdict matters, not the code).
    NotAccept,
    /// One of these statuses exactly (e.g. 421, 431, 503).
    Status(Vec<u16>),
    /// The inner expectation, with `error` on the challenge of this scheme (RFC 9449 §7.2).
    OnScheme(Box<Expect>, String),
    /// Any of these.
    OneOf(Vec<Expect>),
    /// Anything but a 5xx or a missing response: the behaviour is recorded.
    Record,
}

impl Expect {
    /// Short text for reports.
    pub(crate) fn describe(&self) -> String {
        match self {
            Expect::Accept => "ACCEPT".into(),
            Expect::NoCredentials => "401 ∅".into(),
            Expect::InvalidToken => "401 invalid_token".into(),
            Expect::InvalidRequest => "400 invalid_request".into(),
            Expect::InsufficientScope(s) => format!("403 insufficient_scope scope=\"{s}\""),
            Expect::InvalidDpopProof => "401 invalid_dpop_proof (400 tolerated)".into(),
            Expect::UseDpopNonce => "401 use_dpop_nonce + one DPoP-Nonce".into(),
            Expect::Reject => "REJECT (400/401 with error)".into(),
            Expect::NotAccept => "any 4xx".into(),
            Expect::Status(s) => format!("status {s:?}"),
            Expect::OnScheme(e, s) => format!("{} on {s}", e.describe()),
            Expect::OneOf(v) => v
                .iter()
                .map(Expect::describe)
                .collect::<Vec<_>>()
                .join(" | "),
            Expect::Record => "recorded".into(),
        }
    }

    fn allows_status(&self, status: u16) -> bool {
        match self {
            Expect::Status(s) => s.contains(&status),
            Expect::OneOf(v) => v.iter().any(|e| e.allows_status(status)),
            Expect::OnScheme(e, _) => e.allows_status(status),
            _ => false,
        }
    }
}

/// How one probe went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "grade", content = "note")]
pub enum Grade {
    /// As expected.
    Pass,
    /// Right verdict; a SHOULD-level detail differs (reported, not failed).
    Tolerated(String),
    /// Wrong.
    Fail(String),
    /// Informational case: what happened.
    Info(String),
    /// Not run.
    Skip(String),
}

impl Grade {
    fn rank(&self) -> u8 {
        match self {
            Grade::Pass => 0,
            Grade::Info(_) => 1,
            Grade::Tolerated(_) => 2,
            Grade::Skip(_) => 3,
            Grade::Fail(_) => 4,
        }
    }

    /// The worse of two grades (a case is as good as its worst probe).
    pub fn worst(self, other: Grade) -> Grade {
        if other.rank() > self.rank() {
            other
        } else {
            self
        }
    }

    /// Pass, tolerated or info.
    pub fn is_ok(&self) -> bool {
        matches!(self, Grade::Pass | Grade::Tolerated(_) | Grade::Info(_))
    }

    /// The note, if any.
    pub fn note(&self) -> &str {
        match self {
            Grade::Pass => "",
            Grade::Tolerated(n) | Grade::Fail(n) | Grade::Info(n) | Grade::Skip(n) => n,
        }
    }
}

/// Verdict-level match, before the level decides what a deviation means.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Match {
    Exact,
    /// Right verdict, different status or code.
    Deviation(String),
    /// The documented 400-for-invalid_dpop_proof tolerance.
    Tolerated(String),
    Wrong(String),
}

fn is_reject(s: u16) -> bool {
    s == 400 || s == 401
}

fn matches(expect: &Expect, o: &Observation) -> Match {
    let s = o.status;
    let code = o.error.as_deref();
    let got = || o.summary();
    match expect {
        Expect::Accept => {
            if (200..300).contains(&s) {
                Match::Exact
            } else {
                Match::Wrong(format!("expected ACCEPT, got {}", got()))
            }
        }
        Expect::Record => Match::Exact,
        Expect::NotAccept => {
            if (400..500).contains(&s) {
                Match::Exact
            } else {
                Match::Wrong(format!("expected a rejection, got {}", got()))
            }
        }
        Expect::Status(list) => {
            if list.contains(&s) {
                Match::Exact
            } else {
                Match::Wrong(format!("expected status {list:?}, got {}", got()))
            }
        }
        // "401 ∅" is about the challenges; a JSON body may still name an error.
        Expect::NoCredentials => match (s, o.error_challenge()) {
            (401, None) => Match::Exact,
            (401 | 400, _) => {
                Match::Deviation(format!("expected 401 without error, got {}", got()))
            }
            _ => Match::Wrong(format!("expected 401 ∅, got {}", got())),
        },
        Expect::InvalidToken | Expect::InvalidRequest | Expect::Reject => {
            let want = match expect {
                Expect::InvalidToken => Some((401, "invalid_token")),
                Expect::InvalidRequest => Some((400, "invalid_request")),
                _ => None,
            };
            if !is_reject(s) {
                return Match::Wrong(format!("expected {}, got {}", expect.describe(), got()));
            }
            match want {
                Some((st, c)) if s == st && code == Some(c) => Match::Exact,
                None if code.is_some() => Match::Exact,
                _ => Match::Deviation(format!("expected {}, got {}", expect.describe(), got())),
            }
        }
        Expect::InsufficientScope(scope) => match (s, code) {
            (403, Some("insufficient_scope")) => {
                let attr = o.error_challenge().and_then(|c| c.param("scope"));
                match attr {
                    Some(a) if a.split(' ').any(|t| t == scope) => Match::Exact,
                    _ => Match::Deviation(format!("403 without scope=\"{scope}\"")),
                }
            }
            (403 | 401, _) => {
                Match::Deviation(format!("expected 403 insufficient_scope, got {}", got()))
            }
            _ => Match::Wrong(format!("expected 403 insufficient_scope, got {}", got())),
        },
        Expect::InvalidDpopProof => match (s, code) {
            (401, Some("invalid_dpop_proof")) => Match::Exact,
            (400, Some("invalid_dpop_proof")) => {
                Match::Tolerated("400 instead of 401 (tolerated, as OIDF does)".into())
            }
            _ if is_reject(s) => {
                Match::Deviation(format!("expected invalid_dpop_proof, got {}", got()))
            }
            _ => Match::Wrong(format!("expected 401 invalid_dpop_proof, got {}", got())),
        },
        Expect::UseDpopNonce => match (s, code) {
            (401 | 400, Some("use_dpop_nonce")) if o.dpop_nonce.len() == 1 => Match::Exact,
            (401 | 400, Some("use_dpop_nonce")) => Match::Wrong(format!(
                "use_dpop_nonce with {} DPoP-Nonce fields (exactly one required)",
                o.dpop_nonce.len()
            )),
            _ if is_reject(s) => {
                Match::Deviation(format!("expected use_dpop_nonce, got {}", got()))
            }
            _ => Match::Wrong(format!("expected 401 use_dpop_nonce, got {}", got())),
        },
        Expect::OnScheme(inner, scheme) => match matches(inner, o) {
            Match::Exact | Match::Tolerated(_) | Match::Deviation(_)
                if o.error_scheme
                    .as_deref()
                    .is_some_and(|x| !x.eq_ignore_ascii_case(scheme)) =>
            {
                Match::Deviation(format!(
                    "error on the {} challenge, expected on {scheme}",
                    o.error_scheme.as_deref().unwrap_or("?")
                ))
            }
            m => m,
        },
        Expect::OneOf(list) => {
            let mut best: Option<Match> = None;
            for e in list {
                let m = matches(e, o);
                let rank = |m: &Match| match m {
                    Match::Exact => 0,
                    Match::Tolerated(_) => 1,
                    Match::Deviation(_) => 2,
                    Match::Wrong(_) => 3,
                };
                if best.as_ref().is_none_or(|b| rank(&m) < rank(b)) {
                    best = Some(m);
                }
            }
            best.unwrap_or(Match::Exact)
        }
    }
}

/// Checks every answer must pass whatever was expected.
fn hygiene(expect: &Expect, o: &Observation) -> Option<String> {
    if let Some(e) = &o.transport_error {
        if !expect.allows_status(0) {
            return Some(format!("no response: {e}"));
        }
        return None;
    }
    if o.status >= 500 && !expect.allows_status(o.status) {
        return Some(format!("server error {}", o.status));
    }
    if o.status == 401 {
        if o.www_authenticate.is_empty() {
            return Some("401 without WWW-Authenticate (RFC 9110 §15.5.2)".into());
        }
        if let Some(e) = &o.challenge_error {
            return Some(format!("malformed WWW-Authenticate: {e}"));
        }
    }
    for c in &o.challenges {
        if c.is("bearer") && c.params.is_empty() {
            return Some("Bearer challenge without auth-params (RFC 6750 §3)".into());
        }
        for name in ["realm", "scope", "error", "error_description"] {
            if c.count(name) > 1 {
                return Some(format!("{} repeated in the {} challenge", name, c.scheme));
            }
        }
        for name in ["error", "error_description"] {
            if c.param(name).is_some_and(|v| !rfc6750_charset_ok(v)) {
                return Some(format!("{name} outside the RFC 6750 §3 character set"));
            }
        }
    }
    None
}

/// Grades one observation for a case of `level`.
pub(crate) fn grade(level: Level, expect: &Expect, o: &Observation) -> Grade {
    let g = match hygiene(expect, o) {
        Some(why) => Grade::Fail(why),
        None => match matches(expect, o) {
            Match::Exact if *expect == Expect::Record => Grade::Info(o.summary()),
            Match::Exact => Grade::Pass,
            Match::Tolerated(n) => Grade::Tolerated(n),
            Match::Deviation(n) if level == Level::M => {
                Grade::Tolerated(format!("verdict right; {n} (code is SHOULD-level)"))
            }
            Match::Deviation(n) | Match::Wrong(n) => Grade::Fail(n),
        },
    };
    match g {
        Grade::Fail(n) if level == Level::I => Grade::Info(format!("differs: {n}")),
        g => g,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::challenge::parse_challenges;

    fn obs(status: u16, www: &str) -> Observation {
        let mut o = Observation {
            status,
            ..Observation::default()
        };
        if !www.is_empty() {
            o.www_authenticate = vec![www.to_owned()];
            o.challenges = parse_challenges(&o.www_authenticate).unwrap();
            let found = o
                .error_challenge()
                .map(|c| (c.param("error").map(str::to_owned), c.scheme.clone()));
            if let Some((e, s)) = found {
                o.error = e;
                o.error_scheme = Some(s);
            }
        }
        o
    }

    #[test]
    fn exact_tolerated_and_deviation_by_level() {
        let bad = obs(
            401,
            r#"Bearer realm="api", error="invalid_token", error_description="x""#,
        );
        assert_eq!(grade(Level::M, &Expect::InvalidToken, &bad), Grade::Pass);
        let dpop400 = obs(400, r#"DPoP error="invalid_dpop_proof", algs="ES256""#);
        assert!(matches!(
            grade(Level::M, &Expect::InvalidDpopProof, &dpop400),
            Grade::Tolerated(_)
        ));
        assert!(matches!(
            grade(Level::S, &Expect::InvalidDpopProof, &dpop400),
            Grade::Tolerated(_)
        ));
        // 400 for missing credentials: right verdict, wrong status.
        let missing400 = obs(400, r#"Bearer realm="api""#);
        assert!(matches!(
            grade(Level::M, &Expect::NoCredentials, &missing400),
            Grade::Tolerated(_)
        ));
        assert!(matches!(
            grade(Level::S, &Expect::NoCredentials, &missing400),
            Grade::Fail(_)
        ));
        assert!(matches!(
            grade(Level::I, &Expect::NoCredentials, &missing400),
            Grade::Info(_)
        ));
    }

    #[test]
    fn wrong_verdicts_and_hygiene_always_fail() {
        let ok = obs(200, "");
        assert!(matches!(
            grade(Level::M, &Expect::InvalidToken, &ok),
            Grade::Fail(_)
        ));
        assert!(matches!(
            grade(Level::BP, &Expect::Accept, &obs(500, "")),
            Grade::Fail(_)
        ));
        assert_eq!(
            grade(Level::BP, &Expect::Status(vec![503]), &obs(503, "")),
            Grade::Pass
        );
        assert!(matches!(
            grade(Level::M, &Expect::NotAccept, &obs(401, "")),
            Grade::Fail(_)
        ));
        let injected = obs(
            401,
            r#"Bearer error="invalid_token", error_description="alg \"x""#,
        );
        assert!(matches!(
            grade(Level::M, &Expect::InvalidToken, &injected),
            Grade::Fail(_)
        ));
        let twice = obs(401, r#"Bearer realm="a", realm="b""#);
        assert!(matches!(
            grade(Level::M, &Expect::NoCredentials, &twice),
            Grade::Fail(_)
        ));
    }

    #[test]
    fn scheme_scope_and_one_of() {
        let on_bearer = obs(
            401,
            r#"Bearer realm="api", error="invalid_token", DPoP algs="ES256""#,
        );
        let want = Expect::OnScheme(Box::new(Expect::InvalidToken), "DPoP".into());
        assert!(matches!(grade(Level::S, &want, &on_bearer), Grade::Fail(_)));
        let scope = obs(
            403,
            r#"Bearer realm="api", error="insufficient_scope", scope="read:messages""#,
        );
        assert_eq!(
            grade(
                Level::S,
                &Expect::InsufficientScope("read:messages".into()),
                &scope
            ),
            Grade::Pass
        );
        let either = Expect::OneOf(vec![Expect::InvalidRequest, Expect::NoCredentials]);
        assert_eq!(
            grade(Level::S, &either, &obs(401, r#"Bearer realm="api""#)),
            Grade::Pass
        );
        assert_eq!(
            Grade::Pass.worst(Grade::Fail("x".into())),
            Grade::Fail("x".into())
        );
    }
}
