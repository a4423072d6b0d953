//! The cases as data: id, title, level, RFC source, and how each request is built with the
//! tenant's builders. Groups follow the catalog, one module each under `catalog/`; in it every
//! case is a `const` right above the function that is its body, and `CASES` lists them in
//! order. `docs/conformance-catalog.md` is generated from them ([`Catalog::markdown`]).

use futures::future::BoxFuture;
use serde::Serialize;
use serde_json::Value;

use super::class::Class;
use super::observe::{Observation, Request};
use super::verdict::{Expect, Grade, Level};
pub(crate) use ctx::{Ctx, PROOF_ALGS, b64, compact, run_probes, segments};

mod aud;
mod clm;
mod ctx;
mod document;
mod dpb;
mod dpp;
mod forge;
mod hdr;
mod iss;
mod key;
mod keys;
mod prm;
mod proof;
mod res;
mod rpn;
mod scp;
mod sig;
mod tok;

/// The catalog's groups, in its order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Group {
    /// Authorization header parsing and challenge format.
    Hdr,
    /// Token structure and JOSE header.
    Tok,
    /// Signature and algorithm.
    Sig,
    /// Keys and JWKS.
    Key,
    /// Registered claims.
    Clm,
    /// Audience.
    Aud,
    /// Issuer.
    Iss,
    /// Scope and authorisation.
    Scp,
    /// DPoP proof validation.
    Dpp,
    /// DPoP token binding.
    Dpb,
    /// Replay and nonce.
    Rpn,
    /// Resource limits and robustness.
    Res,
    /// Protected-resource metadata (RFC 9728) and resource indicators.
    Prm,
}

impl Group {
    /// Every group in catalog order.
    pub const ALL: [Group; 13] = [
        Group::Hdr,
        Group::Tok,
        Group::Sig,
        Group::Key,
        Group::Clm,
        Group::Aud,
        Group::Iss,
        Group::Scp,
        Group::Dpp,
        Group::Dpb,
        Group::Rpn,
        Group::Res,
        Group::Prm,
    ];

    /// What the group covers (its heading in the catalog document).
    pub const fn title(self) -> &'static str {
        match self {
            Group::Hdr => "Authorization header parsing and challenge format",
            Group::Tok => "Token structure and JOSE header",
            Group::Sig => "Signature and algorithm",
            Group::Key => "Keys and JWKS",
            Group::Clm => "Registered claims",
            Group::Aud => "Audience",
            Group::Iss => "Issuer",
            Group::Scp => "Scope and authorisation",
            Group::Dpp => "DPoP proof validation",
            Group::Dpb => "DPoP token binding",
            Group::Rpn => "Replay and nonce",
            Group::Res => "Resource limits and robustness",
            Group::Prm => "Protected-resource metadata (RFC 9728) and resource indicators",
        }
    }

    /// `HDR`, `TOK`...
    pub const fn as_str(self) -> &'static str {
        match self {
            Group::Hdr => "HDR",
            Group::Tok => "TOK",
            Group::Sig => "SIG",
            Group::Key => "KEY",
            Group::Clm => "CLM",
            Group::Aud => "AUD",
            Group::Iss => "ISS",
            Group::Scp => "SCP",
            Group::Dpp => "DPP",
            Group::Dpb => "DPB",
            Group::Rpn => "RPN",
            Group::Res => "RES",
            Group::Prm => "PRM",
        }
    }

    /// The group an id belongs to, by its prefix. Only called on case constants, so an id
    /// without a group prefix stops the build instead of landing in some group.
    const fn of(id: &str) -> Group {
        let mut i = 0;
        while i < Group::ALL.len() {
            if starts_with(id.as_bytes(), Group::ALL[i].as_str().as_bytes()) {
                return Group::ALL[i];
            }
            i += 1;
        }
        panic!("a case id starts with its group prefix (HDR, TOK, ...)")
    }
}

/// `str::starts_with`, usable in a `const fn`.
const fn starts_with(s: &[u8], prefix: &[u8]) -> bool {
    if s.len() < prefix.len() {
        return false;
    }
    let mut i = 0;
    while i < prefix.len() {
        if s[i] != prefix[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// One request a case sends and what it expects.
#[derive(Debug, Clone)]
pub(crate) struct Probe {
    /// Variant label (`"BEARER"`, `"1024-bit"`...).
    pub label: String,
    /// The request.
    pub request: Request,
    /// The accepted outcomes.
    pub expect: Expect,
}

/// Shorthand for a [`Probe`].
pub(crate) fn probe(label: impl Into<String>, request: Request, expect: Expect) -> Probe {
    Probe {
        label: label.into(),
        request,
        expect,
    }
}

/// What one step of a case did.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    /// Variant label.
    pub label: String,
    /// The request, summarised.
    pub request: String,
    /// The accepted outcomes.
    pub expected: String,
    /// What came back (None for steps that send nothing: self-tests, skips).
    pub observed: Option<Observation>,
    /// The grade.
    pub grade: Grade,
    /// The request exactly as sent (None for steps that send nothing), for the HTML report.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sent: Option<Request>,
    /// What kind of wrong a failed step is (None when it passed, or sent nothing).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class: Option<Class>,
}

impl Step {
    /// A step that sent nothing.
    pub fn note(label: impl Into<String>, grade: Grade) -> Step {
        Step {
            label: label.into(),
            request: String::new(),
            expected: String::new(),
            observed: None,
            grade,
            sent: None,
            class: None,
        }
    }
}

/// The plan of a case built from data: probes, or a reason not to run.
#[derive(Debug)]
pub(crate) enum Plan {
    /// Send these in order.
    Probes(Vec<Probe>),
    /// Not checkable against this target.
    Skip(String),
}

type ProbeFn = fn(&Ctx<'_>) -> Plan;
type ScriptFn = for<'a> fn(&'a Ctx<'a>) -> BoxFuture<'a, Vec<Step>>;
type KeysFn = fn(&Ctx<'_>) -> KeySet;

/// How a case runs.
#[derive(Clone, Copy)]
pub(crate) enum Body {
    /// Stateless probes.
    Probes(ProbeFn),
    /// Drives the tenant (keys, JWKS, faults) and restores it.
    Script(ScriptFn),
    /// Publishes keys under fresh kids and sends tokens by them: batched with the other key-set
    /// cases on one JWKS refresh (see `batch`).
    Keys(KeysFn),
    /// A script that needs the target to fetch the JWKS, played after every other case in
    /// [`Fetch`] order, each on a refresh of its own.
    Refresh(ScriptFn, Fetch),
}

/// How the JWKS fetch a [`Body::Refresh`] case makes ends. A verifier may start its cooldown
/// only on a successful fetch (jose does), so the cases whose fetch fails go first: they may
/// then need no wait between them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Fetch {
    /// The tenant answers the fetch with an error or a redirect.
    Fails,
    /// The target gets a key set.
    Succeeds,
    /// The case needs no fetch but may cause some (it counts them): last, so its fetches
    /// delay no one.
    Incidental,
}

/// One catalog case.
#[derive(Clone)]
pub struct Case {
    /// `HDR-01`...
    pub id: &'static str,
    /// Its group.
    pub group: Group,
    /// Short title.
    pub title: &'static str,
    /// Level.
    pub level: Level,
    /// RFC section(s).
    pub source: &'static str,
    pub(crate) body: Body,
}

impl std::fmt::Debug for Case {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Case")
            .field("id", &self.id)
            .field("level", &self.level)
            .finish()
    }
}

impl Case {
    pub(crate) const fn probes(
        id: &'static str,
        title: &'static str,
        level: Level,
        source: &'static str,
        f: ProbeFn,
    ) -> Case {
        Case {
            id,
            group: Group::of(id),
            title,
            level,
            source,
            body: Body::Probes(f),
        }
    }

    pub(crate) const fn script(
        id: &'static str,
        title: &'static str,
        level: Level,
        source: &'static str,
        f: ScriptFn,
    ) -> Case {
        Case {
            id,
            group: Group::of(id),
            title,
            level,
            source,
            body: Body::Script(f),
        }
    }

    pub(crate) const fn keys(
        id: &'static str,
        title: &'static str,
        level: Level,
        source: &'static str,
        f: KeysFn,
    ) -> Case {
        Case {
            id,
            group: Group::of(id),
            title,
            level,
            source,
            body: Body::Keys(f),
        }
    }

    pub(crate) const fn refresh(
        id: &'static str,
        title: &'static str,
        level: Level,
        source: &'static str,
        fetch: Fetch,
        f: ScriptFn,
    ) -> Case {
        Case {
            id,
            group: Group::of(id),
            title,
            level,
            source,
            body: Body::Refresh(f, fetch),
        }
    }
}

/// Each group module's cases, in [`Group::ALL`] order.
const GROUPS: [&[Case]; 13] = [
    hdr::CASES,
    tok::CASES,
    sig::CASES,
    key::CASES,
    clm::CASES,
    aud::CASES,
    iss::CASES,
    scp::CASES,
    dpp::CASES,
    dpb::CASES,
    rpn::CASES,
    res::CASES,
    prm::CASES,
];

/// The whole catalog.
#[derive(Debug, Clone)]
pub struct Catalog {
    cases: Vec<Case>,
}

impl Catalog {
    /// Every case, in catalog order.
    pub fn all() -> Catalog {
        Catalog {
            cases: GROUPS.iter().flat_map(|g| g.iter().cloned()).collect(),
        }
    }

    /// Only the cases whose id starts with one of `prefixes` (`"KEY"`, `"DPP-0"`).
    pub fn only(mut self, prefixes: &[String]) -> Catalog {
        if !prefixes.is_empty() {
            self.cases
                .retain(|c| prefixes.iter().any(|p| c.id.starts_with(p.as_str())));
        }
        self
    }

    /// The cases.
    pub fn cases(&self) -> &[Case] {
        &self.cases
    }

    /// Number of cases.
    pub fn len(&self) -> usize {
        self.cases.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.cases.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mock_idp::{ProofAlg, SigAlg};

    #[test]
    fn every_proof_alg_is_one_the_mock_signs_with() {
        for name in PROOF_ALGS {
            assert!(
                name.parse::<ProofAlg>().is_ok() || name.parse::<SigAlg>().is_ok(),
                "{name}"
            );
        }
        let mut unique = PROOF_ALGS.to_vec();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), PROOF_ALGS.len());
    }

    #[test]
    fn ids_are_unique_in_catalog_order_and_in_the_group_their_prefix_names() {
        let c = Catalog::all();
        // Strictly increasing (group, id): no duplicate, groups contiguous in Group::ALL order,
        // ids ascending within a group (they are zero-padded, so text order is number order).
        for w in c.cases().windows(2) {
            assert!(
                (w[0].group, w[0].id) < (w[1].group, w[1].id),
                "{} is followed by {}",
                w[0].id,
                w[1].id
            );
        }
        for case in c.cases() {
            let prefix = case.id.split_once('-').map(|(p, _)| p);
            assert_eq!(prefix, Some(case.group.as_str()), "{}", case.id);
        }
    }

    #[test]
    fn the_catalog_has_216_unique_cases_in_its_groups() {
        let c = Catalog::all();
        assert_eq!(c.len(), 216);
        let mut ids: Vec<&str> = c.cases().iter().map(|c| c.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 216, "duplicate ids");
        let sizes = [21, 20, 23, 18, 17, 12, 11, 11, 40, 14, 13, 10, 6];
        for (g, n) in Group::ALL.into_iter().zip(sizes) {
            let in_group: Vec<_> = c.cases().iter().filter(|x| x.group == g).collect();
            assert_eq!(in_group.len(), n, "{}", g.as_str());
            // Numbered 01..n in order, as in the catalog.
            for (i, case) in in_group.iter().enumerate() {
                assert_eq!(case.id, format!("{}-{:02}", g.as_str(), i + 1));
            }
        }
        assert_eq!(
            c.cases().iter().filter(|x| x.level == Level::M).count(),
            125
        );
        assert_eq!(c.cases().iter().filter(|x| x.level == Level::S).count(), 34);
        assert_eq!(
            Catalog::all().only(&["KEY".into(), "DPP-3".into()]).len(),
            18 + 10
        );
    }
}

/// What a key-set case publishes and sends.
#[derive(Debug, Default)]
pub(crate) struct KeySet {
    /// JWKs published beside the tenant's keys, under kids the target has never seen.
    pub(crate) keys: Vec<Value>,
    /// Whether a token by a good key published with them must be accepted before the probes
    /// are graded: a JWKS-variant case is otherwise indistinguishable from "unknown kid".
    pub(crate) control: bool,
    /// Sent while the keys are published.
    pub(crate) probes: Vec<Probe>,
    /// Sent once the keys are withdrawn and the target has refreshed its JWKS again.
    pub(crate) withdrawn: Vec<Probe>,
    /// The keys must reach a target that has already cached a JWKS (a rotation): they are
    /// published for the second refresh, and the case's own first token triggers it.
    pub(crate) rotation: bool,
    /// Regrades the steps (e.g. fails a right verdict that took seconds).
    pub(crate) review: Option<fn(&mut Vec<Step>)>,
}

impl KeySet {
    /// A JWKS-variant case: `keys` beside a control key, then `probes`.
    pub(crate) fn variant(keys: Vec<Value>, probes: Vec<Probe>) -> KeySet {
        KeySet {
            keys,
            control: true,
            probes,
            ..KeySet::default()
        }
    }
}

/// The class of a case graded `grade` with these steps: the most serious class among its failed
/// steps (a failed step that sent nothing counts as [`Class::Other`]); None unless it failed.
pub(crate) fn case_class(grade: &Grade, steps: &[Step]) -> Option<Class> {
    if !matches!(grade, Grade::Fail(_)) {
        return None;
    }
    steps
        .iter()
        .filter(|s| matches!(s.grade, Grade::Fail(_)))
        .map(|s| s.class.unwrap_or(Class::Other))
        .reduce(Class::worst)
        .or(Some(Class::Other))
}
