//! ISS: issuer (11). Foreign issuers point at the canary listener, which must see nothing.

use futures::future::BoxFuture;
use serde_json::json;

use super::{Case, Ctx, Plan, Probe, Step, keys, probe, run_probes};
use crate::verdict::Expect::*;
use crate::verdict::{Grade, Level};
use mock_idp::Signing;

/// The cases of this group, in catalog order.
pub(super) const CASES: &[Case] = &[
    ISS_01, ISS_02, ISS_03, ISS_04, ISS_05, ISS_06, ISS_07, ISS_08, ISS_09, ISS_10, ISS_11,
];

const ISS_01: Case = Case::probes(
    "ISS-01",
    "Exact issuer",
    Level::M,
    "RFC 9068 §4 step 3",
    iss01,
);
fn iss01(c: &Ctx<'_>) -> Plan {
    Plan::Probes(vec![probe("exact", c.tok(|t| t), Accept)])
}

const ISS_02: Case = Case::probes(
    "ISS-02",
    "iss missing",
    Level::M,
    "RFC 9068 §2.2, §4",
    iss02,
);
fn iss02(c: &Ctx<'_>) -> Plan {
    Plan::Probes(vec![probe(
        "no iss",
        c.tok(|t| t.remove_claim("iss")),
        InvalidToken,
    )])
}

const ISS_03: Case = Case::probes(
    "ISS-03",
    "Trailing slash dropped",
    Level::M,
    "RFC 9068 §4; RFC 7519 §4.1.1",
    iss03,
);
fn iss03(c: &Ctx<'_>) -> Plan {
    let i = c.tenant.issuer().trim_end_matches('/').to_owned();
    Plan::Probes(vec![probe(
        "no trailing slash",
        c.tok(|t| t.issuer(&i)),
        InvalidToken,
    )])
}

const ISS_04: Case = Case::probes("ISS-04", "Case variant", Level::M, "RFC 7519 §4.1.1", iss04);
fn iss04(c: &Ctx<'_>) -> Plan {
    let i = c.tenant.issuer();
    let upper = i.to_uppercase();
    let mut v = vec![probe(
        "HTTPS:// scheme",
        c.tok(|t| t.issuer(&i.replacen("https://", "HTTPS://", 1))),
        InvalidToken,
    )];
    if upper != i.replacen("https://", "HTTPS://", 1) {
        v.push(probe(
            "upper-case host",
            c.tok(|t| t.issuer(&upper)),
            InvalidToken,
        ));
    }
    Plan::Probes(v)
}

const ISS_05: Case = Case::probes("ISS-05", "Scheme variant", Level::M, "RFC 9068 §4", iss05);
fn iss05(c: &Ctx<'_>) -> Plan {
    let i = c.tenant.issuer().replacen("https://", "http://", 1);
    Plan::Probes(vec![probe(
        "http://",
        c.tok(|t| t.issuer(&i)),
        InvalidToken,
    )])
}

async fn with_canary(c: &Ctx<'_>, level: Level, probes: Vec<Probe>) -> Vec<Step> {
    let before = c.canary_hits().await;
    let mut steps = run_probes(c, level, probes).await;
    let hits = c.canary_hits().await - before;
    steps.push(Step::note(
        "fetches to the foreign issuer",
        if hits == 0 {
            Grade::Pass
        } else {
            Grade::Fail(format!(
                "{hits} request(s) reached the foreign issuer (SSRF)"
            ))
        },
    ));
    steps
}

const ISS_06: Case = Case::script(
    "ISS-06",
    "Foreign tenant",
    Level::M,
    "RFC 8725 §3.8; RFC 9068 §4",
    iss06,
);
fn iss06<'a>(c: &'a Ctx<'a>) -> BoxFuture<'a, Vec<Step>> {
    Box::pin(async move {
        let t2 = format!("{}/", c.canary_url());
        let p = probe(
            "iss = T2, T2's key",
            c.tok(|t| {
                t.issuer(&t2)
                    .signed_with(Signing::Unpublished(keys::attacker()))
                    .kid("attacker")
            }),
            InvalidToken,
        );
        with_canary(c, Level::M, vec![p]).await
    })
}

const ISS_07: Case = Case::probes(
    "ISS-07",
    "Right iss, another issuer's key",
    Level::M,
    "RFC 8725 §3.8",
    iss07,
);
fn iss07(c: &Ctx<'_>) -> Plan {
    Plan::Probes(vec![probe(
        "iss = T, key only in T2's JWKS",
        c.tok(|t| {
            t.signed_with(Signing::Unpublished(keys::attacker()))
                .kid("attacker")
        }),
        InvalidToken,
    )])
}

const ISS_08: Case = Case::probes("ISS-08", "Wrong type", Level::M, "RFC 7519 §4.1.1", iss08);
fn iss08(c: &Ctx<'_>) -> Plan {
    let i = c.tenant.issuer().to_owned();
    Plan::Probes(vec![
        probe("[iss]", c.tok(|t| t.claim("iss", json!([i]))), InvalidToken),
        probe("123", c.tok(|t| t.claim("iss", json!(123))), InvalidToken),
    ])
}

const ISS_09: Case = Case::script(
    "ISS-09",
    "Unlisted issuer: no fetch",
    Level::BP,
    "RFC 8725 §3.8, §3.10",
    iss09,
);
fn iss09<'a>(c: &'a Ctx<'a>) -> BoxFuture<'a, Vec<Step>> {
    Box::pin(async move {
        let t3 = format!("{}/", c.canary_url().replacen("http://", "https://", 1));
        let p = probe(
            "iss = unlisted T3",
            c.tok(|t| {
                t.issuer(&t3)
                    .signed_with(Signing::Unpublished(keys::attacker()))
                    .kid("attacker")
            }),
            InvalidToken,
        );
        with_canary(c, Level::BP, vec![p]).await
    })
}

const ISS_10: Case = Case::script(
    "ISS-10",
    "URL tricks in iss",
    Level::BP,
    "RFC 8725 §3.10",
    iss10,
);
fn iss10<'a>(c: &'a Ctx<'a>) -> BoxFuture<'a, Vec<Step>> {
    Box::pin(async move {
        let i = c.tenant.issuer().to_owned();
        let evil = c.canary_url().replacen("http://", "", 1);
        let dom = c.tenant.domain().to_owned();
        let variants = [
            ("userinfo", format!("https://{dom}@{evil}/")),
            ("query", format!("{i}?x")),
            ("fragment", format!("{i}#")),
            ("path", format!("{i}evil/")),
        ];
        let probes = variants
            .into_iter()
            .map(|(l, v)| probe(l, c.tok(|t| t.issuer(&v)), InvalidToken))
            .collect();
        with_canary(c, Level::BP, probes).await
    })
}

const ISS_11: Case = Case::probes(
    "ISS-11",
    "Each custom domain's issuer",
    Level::M,
    "RFC 9068 §4 step 3; Auth0 Multiple Custom Domains",
    iss11,
);
/// A tenant with custom domains issues tokens whose `iss` is the domain they were requested
/// on; a verifier configured with those domains must accept each, with that domain's discovery
/// and the tenant's one key set.
fn iss11(c: &Ctx<'_>) -> Plan {
    let issuers = c.tenant.urls().issuers();
    if issuers.len() < 2 {
        return Plan::Skip(
            "the tenant serves one domain (run with --custom-domain HOST and list every domain in \
             the target's AUTH0_DOMAINS)"
                .into(),
        );
    }
    Plan::Probes(
        issuers[1..]
            .iter()
            .map(|i| probe(format!("iss = {i}"), c.tok(|t| t.issuer(i)), Accept))
            .collect(),
    )
}
