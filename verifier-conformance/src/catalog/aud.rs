//! AUD: audience (12).

use serde_json::json;

use super::{Case, Ctx, Plan, probe};
use crate::verdict::Expect::*;
use crate::verdict::Level;

/// The cases of this group, in catalog order.
pub(super) const CASES: &[Case] = &[
    AUD_01, AUD_02, AUD_03, AUD_04, AUD_05, AUD_06, AUD_07, AUD_08, AUD_09, AUD_10, AUD_11, AUD_12,
];

fn bad(c: &Ctx<'_>, variants: Vec<(String, serde_json::Value)>) -> Plan {
    Plan::Probes(
        variants
            .into_iter()
            .map(|(l, v)| probe(l, c.tok(|t| t.aud_json(v)), InvalidToken))
            .collect(),
    )
}

const AUD_01: Case = Case::probes(
    "AUD-01",
    "aud is the API (string)",
    Level::M,
    "RFC 7519 §4.1.3",
    aud01,
);
fn aud01(c: &Ctx<'_>) -> Plan {
    Plan::Probes(vec![probe("aud = API", c.tok(|t| t), Accept)])
}

const AUD_02: Case = Case::probes(
    "AUD-02",
    "aud array containing the API",
    Level::M,
    "RFC 7519 §4.1.3",
    aud02,
);
fn aud02(c: &Ctx<'_>) -> Plan {
    let ui = format!("{}userinfo", c.tenant.issuer());
    Plan::Probes(vec![probe(
        "[API, userinfo]",
        c.tok(|t| t.aud_json(json!([c.aud(), ui]))),
        Accept,
    )])
}

const AUD_03: Case = Case::probes(
    "AUD-03",
    "Another audience",
    Level::M,
    "RFC 7519 §4.1.3; RFC 9068 §4",
    aud03,
);
fn aud03(c: &Ctx<'_>) -> Plan {
    bad(c, vec![("other API".into(), json!("https://other-api"))])
}

const AUD_04: Case = Case::probes(
    "AUD-04",
    "aud missing",
    Level::M,
    "RFC 8725 §3.9; RFC 9068 §2.2",
    aud04,
);
fn aud04(c: &Ctx<'_>) -> Plan {
    Plan::Probes(vec![probe(
        "no aud",
        c.tok(|t| t.remove_claim("aud")),
        InvalidToken,
    )])
}

const AUD_05: Case = Case::probes(
    "AUD-05",
    "Case variant",
    Level::M,
    "RFC 7519 §2, §4.1.3",
    aud05,
);
fn aud05(c: &Ctx<'_>) -> Plan {
    let a = c.aud();
    let upper = a.to_uppercase();
    let swapped: String = a
        .chars()
        .map(|ch| {
            if ch.is_ascii_lowercase() {
                ch.to_ascii_uppercase()
            } else {
                ch.to_ascii_lowercase()
            }
        })
        .collect();
    bad(
        c,
        vec![
            ("upper case".into(), json!(upper)),
            ("case swapped".into(), json!(swapped)),
        ],
    )
}

const AUD_06: Case = Case::probes(
    "AUD-06",
    "Trailing slash or path variant",
    Level::M,
    "RFC 7519 §4.1.3",
    aud06,
);
fn aud06(c: &Ctx<'_>) -> Plan {
    let a = c.aud();
    let slash = match a.strip_suffix('/') {
        Some(s) => s.to_owned(),
        None => format!("{a}/"),
    };
    bad(
        c,
        vec![
            ("trailing slash toggled".into(), json!(slash)),
            (
                "path added".into(),
                json!(format!("{}/v2", a.trim_end_matches('/'))),
            ),
        ],
    )
}

const AUD_07: Case = Case::probes("AUD-07", "Look-alike", Level::M, "RFC 7519 §4.1.3", aud07);
fn aud07(c: &Ctx<'_>) -> Plan {
    let a = c.aud();
    let prefix: String = a
        .chars()
        .take(a.chars().count().saturating_sub(1))
        .collect();
    bad(
        c,
        vec![
            ("suffix domain".into(), json!(format!("{a}.evil.tld"))),
            ("prefix".into(), json!(prefix)),
            ("longer".into(), json!(format!("{a}x"))),
            ("embedded".into(), json!(format!("x{a}"))),
        ],
    )
}

const AUD_08: Case = Case::probes(
    "AUD-08",
    "Empty or null",
    Level::M,
    "RFC 7519 §4.1.3",
    aud08,
);
fn aud08(c: &Ctx<'_>) -> Plan {
    bad(
        c,
        vec![
            ("\"\"".into(), json!("")),
            ("[]".into(), json!([])),
            ("null".into(), json!(null)),
        ],
    )
}

const AUD_09: Case = Case::probes("AUD-09", "Wrong type", Level::M, "RFC 7519 §4.1.3", aud09);
fn aud09(c: &Ctx<'_>) -> Plan {
    let a = c.aud();
    let mut obj = serde_json::Map::new();
    obj.insert(a.clone(), json!(true));
    bad(
        c,
        vec![
            ("123".into(), json!(123)),
            ("{API:true}".into(), serde_json::Value::Object(obj)),
            ("[[API]]".into(), json!([[a]])),
        ],
    )
}

const AUD_10: Case = Case::probes(
    "AUD-10",
    "Mixed-type array",
    Level::I,
    "RFC 7519 §4.1.3",
    aud10,
);
fn aud10(c: &Ctx<'_>) -> Plan {
    Plan::Probes(vec![probe(
        "[123, API]",
        c.tok(|t| t.aud_json(json!([123, c.aud()]))),
        OneOf(vec![InvalidToken, Accept]),
    )])
}

const AUD_11: Case = Case::probes(
    "AUD-11",
    "ID token presented as an AT",
    Level::M,
    "RFC 8725 §2.8, §3.11; RFC 9068 §5",
    aud11,
);
fn aud11(c: &Ctx<'_>) -> Plan {
    let client = c.tenant.app().client_id();
    Plan::Probes(vec![probe(
        "ID token",
        c.tok(|t| {
            t.audience(&client)
                .typ("JWT")
                .remove_claim("scope")
                .claim("nonce", json!("n-0S6_WzA2Mj"))
                .claim("at_hash", json!("77QmUPtjPfzWtF2AnpK9RQ"))
                .claim("name", json!("Jane Doe"))
        }),
        InvalidToken,
    )])
}

const AUD_12: Case = Case::probes(
    "AUD-12",
    "Multi-audience token",
    Level::I,
    "RFC 9068 §3, §5",
    aud12,
);
fn aud12(c: &Ctx<'_>) -> Plan {
    Plan::Probes(vec![probe(
        "[API, other]",
        c.tok(|t| t.aud_json(json!([c.aud(), "https://other-api"]))),
        Accept,
    )])
}
