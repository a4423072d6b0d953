//! The proof that each case catches what it claims, for the catalog document: which mutant
//! verifiers each case catches (`mutants.tsv`, written by the repository's
//! `tests/it/mutants.rs`, which plays the catalog against `oauth2-jwt-bearer` with one check
//! switched off per mutant), and why the M and S cases that catch none cannot ([`UNCAUGHT`]).
//! This crate never depends on the verifier: the table is data, produced and checked by the
//! test that has both.

use std::fmt::Write as _;

use super::Catalog;
use crate::verdict::Level;

/// The table: `mutant<TAB>name<TAB>what it does wrong` lines, then `case<TAB>id<TAB>names`.
const TABLE: &str = include_str!("mutants.tsv");

/// The command that regenerates the table (then regenerate the document).
const REGENERATE: &str = "MUTANTS_WRITE=1 cargo test --features protected-api/redis --test it -- --ignored --exact mutants::every_case_catches_a_mutant";

/// The M and S cases no mutant catches, and why: a short reason each.
const UNCAUGHT: &[(&str, &str)] = &[
    (
        "HDR-01",
        "Nothing to verify, so only the form of the answer can be wrong, and at level M a form difference is tolerated; its S sibling HDR-02 catches `NoCredentialsError`",
    ),
    (
        "HDR-07",
        "Accepts both answers RFC 6750 allows (400 `invalid_request`, or a bare 401): only a crash or a malformed challenge fails it",
    ),
    (
        "HDR-09",
        "Not a token: refused by the JWS parser whatever the b64token check says (it only chooses 400 over 401, both accepted here)",
    ),
    (
        "HDR-17",
        "The challenge's `algs` and the proof check read one list (`PROOF_ALGS`): no single switch makes them disagree",
    ),
    (
        "HDR-18",
        "Header names are case-insensitive in the `http` crate before our code sees them: there is no check of ours to switch off",
    ),
    (
        "TOK-01",
        "Not a compact JWS with a JSON-object header and payload: the parser refuses it before any check a mutant can switch off",
    ),
    (
        "TOK-02",
        "Not a compact JWS with a JSON-object header and payload: the parser refuses it before any check a mutant can switch off",
    ),
    (
        "TOK-03",
        "Not a compact JWS with a JSON-object header and payload: the parser refuses it before any check a mutant can switch off",
    ),
    (
        "TOK-04",
        "Not a compact JWS with a JSON-object header and payload: the parser refuses it before any check a mutant can switch off",
    ),
    (
        "TOK-06",
        "Not a compact JWS with a JSON-object header and payload: the parser refuses it before any check a mutant can switch off",
    ),
    (
        "TOK-07",
        "Not UTF-8 JSON: `serde_json` refuses it while parsing, before any check a mutant can switch off",
    ),
    (
        "TOK-08",
        "Not a compact JWS with a JSON-object header and payload: the parser refuses it before any check a mutant can switch off",
    ),
    (
        "TOK-12",
        "A control (a good request that must be accepted): the mutants loosen a check, or tighten one where that is a real bug (`AudArray`, `TypExact`, `StrictHeader`, `IntegerDates`); one that refused every token would catch all controls and prove nothing",
    ),
    (
        "TOK-15",
        "Refused by two independent checks (`crit` and `b64`): one switch leaves the other",
    ),
    (
        "TOK-16",
        "Not a compact JWS with a JSON-object header and payload: the parser refuses it before any check a mutant can switch off",
    ),
    (
        "SIG-01",
        "Our verifier has no code for `none`, HMAC or ECDSA access tokens (RSA only): no switch makes it accept one; a mutant would need new verification code",
    ),
    (
        "SIG-02",
        "Our verifier has no code for `none`, HMAC or ECDSA access tokens (RSA only): no switch makes it accept one; a mutant would need new verification code",
    ),
    (
        "SIG-03",
        "No `alg`, or not a string: no algorithm to verify with, refused by construction",
    ),
    (
        "SIG-04",
        "Our verifier has no code for `none`, HMAC or ECDSA access tokens (RSA only): no switch makes it accept one; a mutant would need new verification code",
    ),
    (
        "SIG-05",
        "Our verifier has no code for `none`, HMAC or ECDSA access tokens (RSA only): no switch makes it accept one; a mutant would need new verification code",
    ),
    (
        "SIG-06",
        "An empty signature segment: the parser refuses it before any check a mutant can switch off",
    ),
    (
        "SIG-15",
        "Our verifier has no code for `none`, HMAC or ECDSA access tokens (RSA only): no switch makes it accept one; a mutant would need new verification code",
    ),
    (
        "SIG-16",
        "Our verifier has no code for `none`, HMAC or ECDSA access tokens (RSA only): no switch makes it accept one; a mutant would need new verification code",
    ),
    (
        "SIG-19",
        "Skipped on this target (HS256 needs an API secret, feature `hs256`); `tests/it/conformance.rs` plays it on an HS256 API",
    ),
    (
        "SIG-20",
        "Skipped on this target (HS256 needs an API secret, feature `hs256`); `tests/it/conformance.rs` plays it on an HS256 API",
    ),
    (
        "SIG-21",
        "Skipped on this target (HS256 needs an API secret, feature `hs256`); `tests/it/conformance.rs` plays it on an HS256 API",
    ),
    (
        "SIG-22",
        "Skipped on this target (HS256 needs an API secret, feature `hs256`); `tests/it/conformance.rs` plays it on an HS256 API",
    ),
    (
        "SIG-23",
        "Skipped on this target (HS256 needs an API secret, feature `hs256`); `tests/it/conformance.rs` plays it on an HS256 API",
    ),
    (
        "PRM-01",
        "Skipped on this target (protected-resource metadata, feature `resource_metadata`); `tests/it/conformance.rs` plays it on the API with `RESOURCE_METADATA`",
    ),
    (
        "PRM-02",
        "Skipped on this target (protected-resource metadata, feature `resource_metadata`); `tests/it/conformance.rs` plays it on the API with `RESOURCE_METADATA`",
    ),
    (
        "PRM-03",
        "Skipped on this target (protected-resource metadata, feature `resource_metadata`); `tests/it/conformance.rs` plays it on the API with `RESOURCE_METADATA`",
    ),
    (
        "PRM-04",
        "Skipped on this target (protected-resource metadata, feature `resource_metadata`); `tests/it/conformance.rs` plays it on the API with `RESOURCE_METADATA`",
    ),
    (
        "PRM-05",
        "Skipped on this target (protected-resource metadata, feature `resource_metadata`); `tests/it/conformance.rs` plays it on the API with `RESOURCE_METADATA`",
    ),
    (
        "KEY-11",
        "Our JWKS filter admits `kty: RSA` only and there is no HMAC code: no switch makes an `oct` key verify a token",
    ),
    (
        "KEY-15",
        "Skipped on this target; `tests/it/conformance.rs` plays it on one that can show it (a cold API, `--cold-discovery`)",
    ),
    (
        "KEY-17",
        "Accepts both verdicts (RFC 7517 §4.7 leaves an inconsistent `x5c` to the verifier): only a crash or a malformed answer fails it",
    ),
    (
        "AUD-01",
        "A control (a good request that must be accepted): the mutants loosen a check, or tighten one where that is a real bug (`AudArray`, `TypExact`, `StrictHeader`, `IntegerDates`); one that refused every token would catch all controls and prove nothing",
    ),
    (
        "ISS-01",
        "A control (a good request that must be accepted): the mutants loosen a check, or tighten one where that is a real bug (`AudArray`, `TypExact`, `StrictHeader`, `IntegerDates`); one that refused every token would catch all controls and prove nothing",
    ),
    (
        "ISS-06",
        "The foreign issuer is an `http://` origin and our verifier builds only `https://` discovery URLs: with the allow-list off it still cannot fetch the foreign keys, so a mutant of the allow-list catches nothing here",
    ),
    (
        "ISS-08",
        "A non-string `iss` never reaches a comparison: a mutant would need new code reading another type",
    ),
    (
        "ISS-11",
        "Skipped on this target; `tests/it/conformance.rs` plays it on one that can show it (a tenant with custom domains)",
    ),
    (
        "SCP-01",
        "A control (a good request that must be accepted): the mutants loosen a check, or tighten one where that is a real bug (`AudArray`, `TypExact`, `StrictHeader`, `IntegerDates`); one that refused every token would catch all controls and prove nothing",
    ),
    (
        "DPP-01",
        "Refused by two independent checks (the missing proof, and a bound token that cannot go unproven): one switch leaves the other",
    ),
    (
        "DPP-03",
        "Not a compact JWS: the parser refuses the proof before any check a mutant can switch off",
    ),
    (
        "DPP-08",
        "The proof key must be an EC P-256 JWK, a check independent of `alg`: what `ProofAlg` lets through is refused as the wrong key type",
    ),
    (
        "DPP-13",
        "Without a usable public `jwk` there is no key to verify the proof with: refused by construction",
    ),
    (
        "DPP-36",
        "A `DPoP` field without an `Authorization` field is no credentials: nothing is verified, so there is no check to switch off",
    ),
    (
        "DPP-38",
        "aws-lc-rs refuses a point off the curve when it parses the key: below any check of ours",
    ),
    (
        "DPB-03",
        "A self-test of the suite's own `ath` computation: it sends nothing",
    ),
    (
        "DPB-05",
        "A self-test of the suite's thumbprints; the request it adds uses a plain key, which `ThumbprintMembers` hashes as RFC 7638 does",
    ),
    (
        "DPB-09",
        "Refused by two independent checks (a bound token under Bearer, and a `DPoP` field with the Bearer scheme): one switch leaves the other",
    ),
    (
        "DPB-12",
        "Skipped on this target; `tests/it/conformance.rs` plays it on one that can show it (a DPoP-only API)",
    ),
    (
        "RPN-04",
        "Accepts every answer but a crash (a 64 KB `jti` may be used, refused or cut off)",
    ),
];

/// Mutants no M case catches (only S cases do), and why.
const S_ONLY: &[(&str, &str)] = &[
    (
        "QueryToken",
        "the catalog grades refusing a second token method S (HDR-11): RFC 6750 §2 puts the MUST on the client, §3.1 asks the server for `invalid_request`",
    ),
    (
        "NoCredentialsError",
        "only the form of the answer changes, which M cases tolerate; HDR-02 (S) catches it",
    ),
    (
        "ChallengeScheme",
        "which challenge carries the error (RFC 9449 §7.2) is graded S (HDR-16, SCP-11)",
    ),
    (
        "NoRefresh",
        "a refresh on an unknown `kid` is what OIDC Core §10.1.1 describes, not a MUST (KEY-02 is S)",
    ),
    ("JwkUse", "`use` is OPTIONAL in RFC 7517 §4.2 (KEY-06 is S)"),
    (
        "JwkKeyOps",
        "`key_ops` is OPTIONAL in RFC 7517 §4.3 (KEY-08 is S)",
    ),
    (
        "IatFuture",
        "no RFC bounds a future `iat`: CLM-12 is a best practice (BP cases are not proven)",
    ),
    (
        "ProofIatSkew",
        "tolerating a few seconds of client clock skew is recommended, not required (DPP-30 is S; RFC 9449 §11.1)",
    ),
    (
        "ProofTimes",
        "RFC 9449 defines no `exp` or `nbf` in a proof: honouring them is graded S (DPP-32)",
    ),
    (
        "Replay",
        "RFC 9449 §11.1 describes `jti` tracking as the defence against replay without a MUST (RPN-01 is S)",
    ),
];

/// The mutants (name, what it does wrong) and, per case id, the mutants it catches.
struct Table {
    mutants: Vec<(&'static str, &'static str)>,
    cases: Vec<(&'static str, Vec<&'static str>)>,
}

fn table() -> Table {
    let mut t = Table {
        mutants: Vec::new(),
        cases: Vec::new(),
    };
    for line in TABLE.lines() {
        let mut f = line.split('\t');
        match (f.next(), f.next(), f.next()) {
            (Some("mutant"), Some(name), Some(what)) => t.mutants.push((name, what)),
            (Some("case"), Some(id), names) => t.cases.push((
                id,
                names
                    .unwrap_or("")
                    .split(',')
                    .filter(|n| !n.is_empty())
                    .collect(),
            )),
            _ => {}
        }
    }
    t
}

impl Table {
    fn caught_by(&self, id: &str) -> &[&'static str] {
        self.cases
            .iter()
            .find(|(c, _)| *c == id)
            .map_or(&[], |(_, m)| m.as_slice())
    }
}

/// The document's section: summary, per case, per mutant, and the cases no mutant catches.
pub(super) fn section(catalog: &Catalog) -> String {
    let t = table();
    let level = |id: &str| catalog.cases().iter().find(|c| c.id == id).map(|c| c.level);
    let graded: Vec<&str> = catalog
        .cases()
        .iter()
        .filter(|c| matches!(c.level, Level::M | Level::S))
        .map(|c| c.id)
        .collect();
    let caught = graded
        .iter()
        .filter(|id| !t.caught_by(id).is_empty())
        .count();
    let by_m = |name: &str| {
        t.cases
            .iter()
            .filter(|(id, m)| level(id) == Some(Level::M) && m.contains(&name))
            .count()
    };
    let mut out = format!(
        "\n## Proof: every case against deliberately broken verifiers\n\n\
         A case is proven when it passes on a correct verifier and fails on one with the check it \
         is about switched off. The mutants are our own verifier (`oauth2-jwt-bearer`) with one \
         check switched off each (its test-only `mutants` feature); the repository's \
         `tests/it/mutants.rs` plays the whole catalog against our API on the reference verifier \
         and on each mutant, and a case catches a mutant when it passes (or is tolerated) on the \
         reference and fails on the mutant. The table is generated; regenerate it with \
         `{REGENERATE}`, then this document.\n\n\
         **{caught} of {} M and S cases catch at least one of the {} mutants; {} mutants are \
         caught by an M case; the other {} M and S cases are explained below.**\n\n\
         ### Per mutant\n\n| mutant | what it does wrong | cases that catch it | M cases |\n|---|---|---|---|\n",
        graded.len(),
        t.mutants.len(),
        t.mutants.iter().filter(|(n, _)| by_m(n) > 0).count(),
        graded.len() - caught,
    );
    for (name, what) in &t.mutants {
        let all = t.cases.iter().filter(|(_, m)| m.contains(name)).count();
        let _ = writeln!(out, "| `{name}` | {what} | {all} | {} |", by_m(name));
    }
    if !S_ONLY.is_empty() {
        let _ = writeln!(out, "\nNo M case catches these mutants, and why:\n");
        for (name, why) in S_ONLY {
            let _ = writeln!(out, "- `{name}`: {why}");
        }
    }
    let _ = writeln!(
        out,
        "\n### Per case\n\nEvery M and S case that catches a mutant (C, BP and I cases are not \
         proven: C cases need targets of their own, BP and I cases accept several answers or \
         grade timings).\n\n\
         | case (level) | mutants it catches |\n|---|---|"
    );
    for c in catalog.cases() {
        let m = t.caught_by(c.id);
        if !m.is_empty() {
            let _ = writeln!(
                out,
                "| {} ({}) | {} |",
                c.id,
                c.level.as_str(),
                m.iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    let _ = writeln!(
        out,
        "\n### M and S cases no mutant catches\n\n| case (level) | why |\n|---|---|"
    );
    for (id, why) in UNCAUGHT {
        let lvl = level(id).map_or("?", Level::as_str);
        let _ = writeln!(out, "| {id} ({lvl}) | {why} |");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every M and S case has a row; each row that catches nothing is explained, and nothing
    /// is explained that a mutant catches (the explanation would be stale).
    #[test]
    fn every_m_and_s_case_catches_a_mutant_or_is_explained() {
        let t = table();
        assert!(!t.mutants.is_empty(), "mutants.tsv lists no mutant");
        for c in Catalog::all().cases() {
            if !matches!(c.level, Level::M | Level::S) {
                continue;
            }
            assert!(
                t.cases.iter().any(|(id, _)| *id == c.id),
                "{} has no row in mutants.tsv: regenerate with {REGENERATE}",
                c.id
            );
            let explained = UNCAUGHT.iter().any(|(id, _)| *id == c.id);
            let caught = !t.caught_by(c.id).is_empty();
            assert!(
                caught != explained,
                "{}: {}",
                c.id,
                if caught {
                    "catches a mutant now: drop it from UNCAUGHT"
                } else {
                    "catches no mutant: add a mutant or explain it in UNCAUGHT"
                }
            );
        }
        for (id, _) in UNCAUGHT {
            assert!(Catalog::all().cases().iter().any(|c| c.id == *id), "{id}");
        }
    }

    /// Every mutant is caught by an M case, or listed in `S_ONLY` with the reason; every name
    /// a case lists is a mutant of the table.
    #[test]
    fn every_mutant_is_caught_by_an_m_case() {
        let t = table();
        let all = Catalog::all();
        let is_m = |id: &str| {
            all.cases()
                .iter()
                .any(|c| c.id == id && c.level == Level::M)
        };
        for (name, _) in &t.mutants {
            let by_m = t.cases.iter().any(|(id, m)| is_m(id) && m.contains(name));
            let listed = S_ONLY.iter().any(|(n, _)| n == name);
            assert!(
                by_m != listed,
                "{name}: {}",
                if by_m {
                    "an M case catches it: drop it from S_ONLY"
                } else {
                    "no M case catches it: add a case, or say why in S_ONLY"
                }
            );
        }
        for (_, names) in &t.cases {
            for n in names {
                assert!(t.mutants.iter().any(|(m, _)| m == n), "{n}");
            }
        }
    }
}
