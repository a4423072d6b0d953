//! Verdict classes: what kind of wrong a failed case is, so a report can put first what matters
//! most. A token that got through is a security finding; a good token refused is an outage; a
//! right verdict in the wrong form (status, error code, challenge) is an interoperability bug.
//!
//! A probe's class follows from what it expected and what came back ([`Class::of`]); a case's
//! class is the most serious class among its failed steps ([`Class::worst`]). Steps that send
//! nothing (fetch counts, timings, redirects followed) have no verdict of their own: a case
//! failed only by such steps is [`Class::Other`].

use serde::{Deserialize, Serialize};

use super::observe::Observation;
use super::verdict::Expect;

/// What kind of wrong a failed case is, most serious first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Class {
    /// A token or proof that must be refused was accepted (security).
    WronglyAccepted,
    /// A request that must be accepted was refused (availability).
    WronglyRefused,
    /// The verdict was right; its status, error code or challenge was not.
    WrongForm,
    /// A failure that is no verdict: too many JWKS fetches, too slow, a redirect followed.
    Other,
}

impl Class {
    /// Every class, most serious first (report order).
    pub const ALL: [Class; 4] = [
        Class::WronglyAccepted,
        Class::WronglyRefused,
        Class::WrongForm,
        Class::Other,
    ];

    /// The short name `--fail-on` takes: `accepted`, `refused`, `form`, `other`.
    pub const fn name(self) -> &'static str {
        match self {
            Class::WronglyAccepted => "accepted",
            Class::WronglyRefused => "refused",
            Class::WrongForm => "form",
            Class::Other => "other",
        }
    }

    /// The heading in reports.
    pub const fn title(self) -> &'static str {
        match self {
            Class::WronglyAccepted => "wrongly accepted (security)",
            Class::WronglyRefused => "wrongly refused (availability)",
            Class::WrongForm => "right verdict, wrong form (status, error code, challenge)",
            Class::Other => "other findings (fetches, timing, redirects)",
        }
    }

    /// Parses a class name as [`Class::name`] spells it (any case), or the kebab-case serde
    /// name (`wrongly-accepted`).
    pub fn parse(s: &str) -> Option<Class> {
        let s = s.trim();
        Class::ALL.into_iter().find(|c| {
            c.name().eq_ignore_ascii_case(s)
                || serde_json::to_value(c)
                    .ok()
                    .and_then(|v| v.as_str().map(|v| v.eq_ignore_ascii_case(s)))
                    .unwrap_or(false)
        })
    }

    /// The class of a failed probe that expected `expect` and saw `o`.
    pub(crate) fn of(expect: &Expect, o: &Observation) -> Class {
        let accepted = o.transport_error.is_none() && (200..300).contains(&o.status);
        match (accepted, expect.verdict()) {
            (true, Verdict::Refuse) => Class::WronglyAccepted,
            (false, Verdict::Accept) => Class::WronglyRefused,
            _ => Class::WrongForm,
        }
    }

    /// The more serious of two classes.
    pub fn worst(self, other: Class) -> Class {
        self.min(other)
    }
}

/// The verdict an expectation asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Only a 2xx is right.
    Accept,
    /// Only a refusal is right.
    Refuse,
    /// Either is right (informational, `OneOf(Accept, ...)`, recorded).
    Either,
}

impl Verdict {
    fn join(self, other: Verdict) -> Verdict {
        if self == other { self } else { Verdict::Either }
    }
}

impl Expect {
    /// Which verdict this expectation allows.
    pub(crate) fn verdict(&self) -> Verdict {
        match self {
            Expect::Accept => Verdict::Accept,
            Expect::Record => Verdict::Either,
            Expect::Status(list) => {
                let ok = list.iter().any(|s| (200..300).contains(s));
                let not = list.iter().any(|s| !(200..300).contains(s));
                match (ok, not) {
                    (true, false) => Verdict::Accept,
                    (false, _) => Verdict::Refuse,
                    (true, true) => Verdict::Either,
                }
            }
            Expect::OnScheme(inner, _) => inner.verdict(),
            Expect::OneOf(list) => list
                .iter()
                .map(Expect::verdict)
                .reduce(Verdict::join)
                .unwrap_or(Verdict::Either),
            Expect::NoCredentials
            | Expect::InvalidToken
            | Expect::InvalidRequest
            | Expect::InsufficientScope(_)
            | Expect::InvalidDpopProof
            | Expect::UseDpopNonce
            | Expect::Reject
            | Expect::NotAccept => Verdict::Refuse,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(s: u16) -> Observation {
        Observation {
            status: s,
            ..Observation::default()
        }
    }

    #[test]
    fn the_class_follows_the_verdict() {
        assert_eq!(
            Class::of(&Expect::InvalidToken, &status(200)),
            Class::WronglyAccepted
        );
        assert_eq!(
            Class::of(&Expect::Accept, &status(401)),
            Class::WronglyRefused
        );
        assert_eq!(
            Class::of(&Expect::Accept, &status(500)),
            Class::WronglyRefused
        );
        assert_eq!(
            Class::of(&Expect::InvalidToken, &status(401)),
            Class::WrongForm
        );
        assert_eq!(
            Class::of(&Expect::InvalidToken, &status(500)),
            Class::WrongForm
        );
        // Either verdict is right: only the form can be wrong.
        let either = Expect::OneOf(vec![Expect::Accept, Expect::InvalidToken]);
        assert_eq!(Class::of(&either, &status(200)), Class::WrongForm);
        assert_eq!(
            Class::of(&Expect::Status(vec![503]), &status(204)),
            Class::WronglyAccepted
        );
        let mut reset = status(0);
        reset.transport_error = Some("reset".into());
        assert_eq!(Class::of(&Expect::Accept, &reset), Class::WronglyRefused);
    }

    #[test]
    fn names_parse_and_order_by_seriousness() {
        assert_eq!(Class::parse("accepted"), Some(Class::WronglyAccepted));
        assert_eq!(Class::parse("Wrongly-Refused"), Some(Class::WronglyRefused));
        assert_eq!(Class::parse("form"), Some(Class::WrongForm));
        assert_eq!(Class::parse("M"), None);
        assert_eq!(
            Class::WrongForm.worst(Class::WronglyAccepted),
            Class::WronglyAccepted
        );
        assert_eq!(Class::Other.worst(Class::WrongForm), Class::WrongForm);
    }
}
