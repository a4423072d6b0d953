//! TOK: token structure and JOSE header (20).

use serde_json::{Value, json};

use super::{Case, Ctx, Plan, b64, compact, probe, segments};
use crate::target::Profile;
use crate::verdict::Expect::*;
use crate::verdict::Level;
use mock_idp::Signing;

/// The cases of this group, in catalog order.
pub(super) const CASES: &[Case] = &[
    TOK_01, TOK_02, TOK_03, TOK_04, TOK_05, TOK_06, TOK_07, TOK_08, TOK_09, TOK_10, TOK_11, TOK_12,
    TOK_13, TOK_14, TOK_15, TOK_16, TOK_17, TOK_18, TOK_19, TOK_20,
];

const TOK_01: Case = Case::probes(
    "TOK-01",
    "Opaque, not a JWT",
    Level::M,
    "RFC 6750 §3.1; RFC 9068 §4",
    tok01,
);
fn tok01(c: &Ctx<'_>) -> Plan {
    Plan::Probes(vec![probe("Bearer abc", c.bearer("abc"), InvalidToken)])
}

const TOK_02: Case = Case::probes(
    "TOK-02",
    "Wrong segment count",
    Level::M,
    "RFC 7515 §7.1; RFC 7519 §7.2",
    tok02,
);
fn tok02(c: &Ctx<'_>) -> Plan {
    let t = c.at().build();
    let parts = segments(&t);
    let (h, p, s) = (
        parts[0],
        parts[1],
        parts.get(2).copied().unwrap_or_default(),
    );
    let variants = [
        ("1 segment", h.to_owned()),
        ("2 segments", format!("{h}.{p}")),
        ("4 segments", format!("{t}.{s}")),
        ("leading .", format!(".{t}")),
        ("trailing .", format!("{t}.")),
    ];
    Plan::Probes(
        variants
            .into_iter()
            .map(|(l, v)| probe(l, c.bearer(&v), InvalidToken))
            .collect(),
    )
}

fn jwe(header: &Value, c: &Ctx<'_>) -> String {
    let claims = c.at().claims_json().to_string();
    format!(
        "{}.{}.{}.{}.{}",
        b64(header.to_string()),
        b64([7u8; 256]),
        b64([1u8; 12]),
        b64(claims),
        b64([2u8; 16])
    )
}

const TOK_03: Case = Case::probes(
    "TOK-03",
    "JWE instead of JWS",
    Level::M,
    "RFC 9068 §4; RFC 8725 §3.3",
    tok03,
);
fn tok03(c: &Ctx<'_>) -> Plan {
    let hs = [
        (
            "RSA-OAEP-256",
            json!({"alg":"RSA-OAEP-256","enc":"A256GCM","kid":c.tenant.keys().current().kid()}),
        ),
        ("dir", json!({"alg":"dir","enc":"A256GCM"})),
        (
            "PBES2 p2c=2^31",
            json!({"alg":"PBES2-HS256+A128KW","enc":"A128GCM","p2c":2_147_483_647_u64,"p2s":"c2FsdHNhbHQ"}),
        ),
    ];
    Plan::Probes(
        hs.iter()
            .map(|(l, h)| probe(*l, c.bearer(&jwe(h, c)), InvalidToken))
            .collect(),
    )
}

const TOK_04: Case = Case::probes(
    "TOK-04",
    "JWS JSON serialisation or polyglot",
    Level::M,
    "RFC 7515 §7.2; CVE-2022-39227",
    tok04,
);
fn tok04(c: &Ctx<'_>) -> Plan {
    let t = c.at().build();
    let parts = segments(&t);
    let flattened =
        json!({"protected":parts[0],"payload":parts[1],"signature":parts[2]}).to_string();
    let general =
        json!({"payload":parts[1],"signatures":[{"protected":parts[0],"signature":parts[2]}]})
            .to_string();
    let polyglot = format!(
        "{t}{}",
        json!({"protected":parts[0],"payload":b64("{}"),"signature":parts[2]})
    );
    let either = || OneOf(vec![InvalidRequest, InvalidToken]);
    Plan::Probes(vec![
        probe("flattened JSON", c.bearer(&flattened), either()),
        probe("general JSON", c.bearer(&general), either()),
        probe("compact + JSON polyglot", c.bearer(&polyglot), either()),
    ])
}

const TOK_05: Case = Case::probes(
    "TOK-05",
    "Non-canonical base64url",
    Level::M,
    "RFC 7515 §2, §5.2",
    tok05,
);
fn tok05(c: &Ctx<'_>) -> Plan {
    let t = c.at().build();
    let (input, sig) = t.rsplit_once('.').unwrap_or((&t, ""));
    // 256 signature bytes are 342 base64url chars whose last one carries 4 padding bits:
    // setting them keeps the bytes and changes the string.
    const ALPHA: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut trailing = sig.as_bytes().to_vec();
    if let Some(last) = trailing.last_mut()
        && let Some(i) = ALPHA.iter().position(|b| b == last)
    {
        *last = ALPHA[(i & !0x0f) | 0x01];
    }
    let trailing = String::from_utf8_lossy(&trailing).into_owned();
    let std_sig: String = sig
        .chars()
        .map(|ch| match ch {
            '-' => '+',
            '_' => '/',
            x => x,
        })
        .collect();
    let mut v = vec![
        probe(
            "signature with = padding",
            c.bearer(&format!("{input}.{sig}==")),
            InvalidToken,
        ),
        probe(
            "signature non-zero trailing bits",
            c.bearer(&format!("{input}.{trailing}")),
            InvalidToken,
        ),
    ];
    if std_sig != sig {
        v.push(probe(
            "signature in standard base64",
            c.bearer(&format!("{input}.{std_sig}")),
            InvalidToken,
        ));
    }
    let (h, p) = input.split_once('.').unwrap_or((input, ""));
    v.push(probe(
        "header with = padding",
        c.bearer(&format!("{h}=.{p}.{sig}")),
        InvalidToken,
    ));
    Plan::Probes(v)
}

const TOK_06: Case = Case::probes(
    "TOK-06",
    "Header is not a JSON object",
    Level::M,
    "RFC 7515 §5.2",
    tok06,
);
fn tok06(c: &Ctx<'_>) -> Plan {
    let kid = c.tenant.keys().current().kid().to_owned();
    let variants = [
        ("[]", "[]".to_owned()),
        ("\"x\"", "\"x\"".to_owned()),
        ("invalid JSON", "{\"alg\":\"RS256\"".to_owned()),
        (
            "trailing garbage",
            format!("{{\"alg\":\"RS256\",\"kid\":\"{kid}\"}}x"),
        ),
    ];
    Plan::Probes(
        variants
            .into_iter()
            .map(|(l, h)| probe(l, c.tok(|t| t.raw_header(h)), InvalidToken))
            .collect(),
    )
}

const TOK_07: Case = Case::probes(
    "TOK-07",
    "Not UTF-8 JSON",
    Level::M,
    "RFC 8725 §3.7; RFC 7519 §7.2",
    tok07,
);
fn tok07(c: &Ctx<'_>) -> Plan {
    let claims = c.at().claims_json().to_string();
    let mut bom = vec![0xEF, 0xBB, 0xBF];
    bom.extend_from_slice(claims.as_bytes());
    let utf16: Vec<u8> = claims.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let mut bad = claims.clone().into_bytes();
    // Put an invalid byte inside the `sub` string.
    if let Some(i) = claims.find("\"sub\":\"") {
        bad.insert(i + 7, 0xFF);
    }
    Plan::Probes(vec![
        probe(
            "UTF-8 BOM",
            c.tok(|t| t.raw_payload_bytes(bom)),
            InvalidToken,
        ),
        probe(
            "UTF-16LE",
            c.tok(|t| t.raw_payload_bytes(utf16)),
            InvalidToken,
        ),
        probe(
            "invalid UTF-8 byte",
            c.tok(|t| t.raw_payload_bytes(bad)),
            InvalidToken,
        ),
    ])
}

const TOK_08: Case = Case::probes(
    "TOK-08",
    "Claims set is not an object",
    Level::M,
    "RFC 7519 §7.2",
    tok08,
);
fn tok08(c: &Ctx<'_>) -> Plan {
    Plan::Probes(
        ["[]", "\"str\"", "123", ""]
            .into_iter()
            .map(|p| {
                probe(
                    format!("payload {p:?}"),
                    c.tok(|t| t.raw_payload(p)),
                    InvalidToken,
                )
            })
            .collect(),
    )
}

/// The header JSON text of AT_ok with `extra` spliced in front of its members.
fn header_with_prefix(c: &Ctx<'_>, extra: &str) -> String {
    let h = c.at().header_json().to_string();
    format!("{{{extra},{}", &h[1..])
}

fn header_with_suffix(c: &Ctx<'_>, extra: &str) -> String {
    let h = c.at().header_json().to_string();
    format!("{},{extra}}}", &h[..h.len() - 1])
}

const TOK_09: Case = Case::probes(
    "TOK-09",
    "Duplicate header names",
    Level::M,
    "RFC 7515 §4, §5.2",
    tok09,
);
fn tok09(c: &Ctx<'_>) -> Plan {
    let either = || OneOf(vec![Accept, InvalidToken]);
    Plan::Probes(vec![
        // Last-wins gives RS256 (valid); rejecting duplicates is also allowed.
        probe(
            "alg none then RS256",
            c.tok(|t| t.raw_header(header_with_prefix(c, "\"alg\":\"none\""))),
            either(),
        ),
        // Last-wins gives none: accepting means first-wins.
        probe(
            "alg RS256 then none",
            c.tok(|t| t.raw_header(header_with_suffix(c, "\"alg\":\"none\""))),
            InvalidToken,
        ),
        probe(
            "kid k1 then ../x",
            c.tok(|t| t.raw_header(header_with_suffix(c, "\"kid\":\"../x\""))),
            InvalidToken,
        ),
        probe(
            "kid ../x then k1",
            c.tok(|t| t.raw_header(header_with_prefix(c, "\"kid\":\"../x\""))),
            either(),
        ),
    ])
}

const TOK_10: Case = Case::probes(
    "TOK-10",
    "Duplicate claim names",
    Level::M,
    "RFC 7519 §4",
    tok10,
);
fn tok10(c: &Ctx<'_>) -> Plan {
    let aud = json!(c.aud()).to_string();
    let base = c.at().remove_claim("aud").remove_claim("exp");
    let now = base.now();
    let body = base.claims_json().to_string();
    let with = |extra: &str| format!("{{{extra},{}", &body[1..]);
    let either = || OneOf(vec![Accept, InvalidToken]);
    let exp_ok = now + 3600;
    let exp_bad = now - 600;
    Plan::Probes(vec![
        probe(
            "aud other, then API",
            c.tok(|t| {
                t.raw_payload(with(&format!(
                    "\"aud\":\"https://other\",\"aud\":{aud},\"exp\":{exp_ok}"
                )))
            }),
            either(),
        ),
        probe(
            "aud API, then other",
            c.tok(|t| {
                t.raw_payload(with(&format!(
                    "\"aud\":{aud},\"aud\":\"https://other\",\"exp\":{exp_ok}"
                )))
            }),
            InvalidToken,
        ),
        probe(
            "exp past, then future",
            c.tok(|t| {
                t.raw_payload(with(&format!(
                    "\"aud\":{aud},\"exp\":{exp_bad},\"exp\":{exp_ok}"
                )))
            }),
            either(),
        ),
        probe(
            "exp future, then past",
            c.tok(|t| {
                t.raw_payload(with(&format!(
                    "\"aud\":{aud},\"exp\":{exp_ok},\"exp\":{exp_bad}"
                )))
            }),
            InvalidToken,
        ),
    ])
}

const TOK_11: Case = Case::probes(
    "TOK-11",
    "Unknown non-critical header parameter",
    Level::M,
    "RFC 7515 §4",
    tok11,
);
fn tok11(c: &Ctx<'_>) -> Plan {
    Plan::Probes(vec![probe(
        "x-foo",
        c.tok(|t| t.header("x-foo", json!(1))),
        Accept,
    )])
}

const TOK_12: Case = Case::probes("TOK-12", "Unknown claims", Level::M, "RFC 7519 §4", tok12);
fn tok12(c: &Ctx<'_>) -> Plan {
    Plan::Probes(vec![probe(
        "namespaced claim",
        c.tok(|t| t.claim("https://ns/claim", json!({"a":[1,2,{"b":null}]}))),
        Accept,
    )])
}

const TOK_13: Case = Case::probes(
    "TOK-13",
    "Unknown critical extension",
    Level::M,
    "RFC 7515 §4.1.11",
    tok13,
);
fn tok13(c: &Ctx<'_>) -> Plan {
    Plan::Probes(vec![probe(
        "crit urn:x",
        c.tok(|t| t.header("crit", json!(["urn:x"])).header("urn:x", json!(1))),
        InvalidToken,
    )])
}

const TOK_14: Case = Case::probes(
    "TOK-14",
    "Malformed crit",
    Level::S,
    "RFC 7515 §4.1.11",
    tok14,
);
fn tok14(c: &Ctx<'_>) -> Plan {
    let variants = [
        ("crit []", json!([])),
        ("crit \"b64\"", json!("b64")),
        ("crit [alg]", json!(["alg"])),
        ("crit names absent param", json!(["urn:absent"])),
    ];
    Plan::Probes(
        variants
            .into_iter()
            .map(|(l, v)| probe(l, c.tok(|t| t.header("crit", v)), InvalidToken))
            .collect(),
    )
}

const TOK_15: Case = Case::probes(
    "TOK-15",
    "Unencoded payload (b64:false)",
    Level::M,
    "RFC 7797; RFC 7519 §3",
    tok15,
);
fn tok15(c: &Ctx<'_>) -> Plan {
    Plan::Probes(vec![probe(
        "b64:false",
        c.tok(|t| t.header("b64", json!(false)).header("crit", json!(["b64"]))),
        InvalidToken,
    )])
}

const TOK_16: Case = Case::probes(
    "TOK-16",
    "Nested JWT",
    Level::M,
    "RFC 7519 §5.2, §7.2; RFC 8725 §3.3",
    tok16,
);
fn tok16(c: &Ctx<'_>) -> Plan {
    let inner = c.at().build();
    Plan::Probes(vec![probe(
        "cty JWT, payload is a JWT",
        c.tok(|t| t.header("cty", json!("JWT")).raw_payload(inner)),
        InvalidToken,
    )])
}

const TOK_17: Case = Case::probes(
    "TOK-17",
    "typ at+jwt variants",
    Level::M,
    "RFC 9068 §2.1, §4; RFC 7515 §4.1.9",
    tok17,
);
fn tok17(c: &Ctx<'_>) -> Plan {
    Plan::Probes(
        ["at+jwt", "application/at+jwt", "AT+JWT"]
            .into_iter()
            .map(|typ| probe(typ, c.tok(|t| t.typ(typ)), Accept))
            .collect(),
    )
}

const TOK_18: Case = Case::probes(
    "TOK-18",
    "typ absent or JWT",
    Level::C,
    "RFC 9068 §4; RFC 8725 §3.11",
    tok18,
);
fn tok18(c: &Ctx<'_>) -> Plan {
    let want = || match c.target.profile {
        Profile::Rfc9068Strict => InvalidToken,
        Profile::Auth0Compat => Accept,
    };
    Plan::Probes(vec![
        probe("typ JWT", c.tok(|t| t.typ("JWT")), want()),
        probe("no typ", c.tok(|t| t.remove_header("typ")), want()),
    ])
}

const TOK_19: Case = Case::probes(
    "TOK-19",
    "Wrong explicit type",
    Level::M,
    "RFC 8725 §3.11-3.12; RFC 9068 §4",
    tok19,
);
fn tok19(c: &Ctx<'_>) -> Plan {
    Plan::Probes(
        ["dpop+jwt", "secevent+jwt"]
            .into_iter()
            .map(|typ| probe(typ, c.tok(|t| t.typ(typ)), InvalidToken))
            .collect(),
    )
}

const TOK_20: Case = Case::probes(
    "TOK-20",
    "Pre-auth parser robustness",
    Level::BP,
    "RFC 6750 §3.1",
    tok20,
);
fn tok20(c: &Ctx<'_>) -> Plan {
    let claims = c.at().claims_json().to_string();
    let garbage = b64([0x41u8; 64]);
    Plan::Probes(vec![
        probe(
            "alg 123",
            c.bearer(&compact("{\"alg\":123}", &claims, &garbage)),
            InvalidToken,
        ),
        probe(
            "header []",
            c.bearer(&compact("[]", &claims, &garbage)),
            InvalidToken,
        ),
        probe(
            "payload []",
            c.bearer(&compact(
                "{\"alg\":\"RS256\",\"kid\":\"k1\"}",
                "[]",
                &garbage,
            )),
            InvalidToken,
        ),
        probe(
            "signing garbage kept",
            c.tok(|t| t.signed_with(Signing::RawSignature(garbage.clone()))),
            InvalidToken,
        ),
    ])
}
