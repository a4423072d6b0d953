//! The README's table of store bounds (Security, "Bounded stores"), figure by figure, against
//! the constants the stores are built with, and every row of the table against this list: a
//! new store needs a row here and there, and a changed bound cannot leave the README behind.

use crate::actions::MAX_COUNTED_USERS;
use crate::actions::executions::{MAX_EXECUTIONS, MAX_LINES, MAX_MESSAGE};
use crate::browser::authorize::MAX_KEPT_PARAM;
use crate::config::{DEFAULT_IDLE_SESSION_LIFETIME, DEFAULT_SESSION_LIFETIME};
use crate::http::router::{MAX_BODY, MAX_CONTROL_BODY};
use crate::keys::{MAX_PUBLISHED_KEYS, MAX_RETIRED_KEYS};
use crate::registration::MAX_REGISTERED;
use crate::tenant::admin_sessions::{ADMIN_SESSION_LIFETIME, MAX_ADMIN_SESSIONS};
use crate::tenant::client_documents::{
    MAX_AGE_CEILING, MAX_CACHED, MAX_CACHED_BYTES, MAX_CONCURRENT_FETCHES,
};
use crate::tenant::codes::{MAX_CODE_BYTES, MAX_CODES};
use crate::tenant::device_codes::{
    DEVICE_CODE_LIFETIME, MAX_BUCKETS, MAX_DEVICE_CODE_BYTES, MAX_DEVICE_CODES,
};
use crate::tenant::faults::{MAX_FAULT_BYTES, MAX_FAULTS};
use crate::tenant::journal::{
    JOURNAL_CAPACITY, JOURNAL_MAX_BYTES, MAX_BODY as JOURNAL_BODY, MAX_HEADER_VALUE, MAX_HEADERS,
    MAX_TARGET,
};
use crate::tenant::mfa::{
    ATTEMPT_REFILL, MAX_FAILED_ATTEMPTS, MAX_MFA_TOKEN_BYTES, MAX_MFA_TOKENS, MFA_TOKEN_LIFETIME,
};
use crate::tenant::model::limits;
use crate::tenant::rate::Window;
use crate::tenant::refresh_tokens::{
    MAX_FAMILIES, MAX_FAMILY_BYTES, MAX_REFRESH_TOKEN_BYTES, MAX_REFRESH_TOKENS,
};
use crate::tenant::seen_jtis::{MAX_JTI, MAX_SEEN_JTI_BYTES, MAX_SEEN_JTIS};
use crate::tenant::session::{
    MAX_COOKIE_VALUE, MAX_SESSION_BYTES, MAX_SESSIONS, MAX_TRANSACTION_BYTES, MAX_TRANSACTIONS,
    MAX_TRANSACTIONS_PER_CLIENT, MAX_TRANSACTIONS_PER_DEVICE, TRANSACTION_LIFETIME,
};

/// `12345` as the README writes it: `12,345`.
fn n(v: usize) -> String {
    let digits = v.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A byte count as the README writes it: `16 MiB`, `2,500 KiB`, `100 bytes`.
fn b(v: usize) -> String {
    match v {
        _ if v.is_multiple_of(1 << 20) => format!("{} MiB", n(v >> 20)),
        _ if v.is_multiple_of(1 << 10) => format!("{} KiB", n(v >> 10)),
        _ => format!("{} bytes", n(v)),
    }
}

/// A JavaScript constant of the Actions worker (`const NAME = 20;`).
fn worker_const(name: &str) -> usize {
    let js = include_str!("actions/worker.js");
    let start = js.find(&format!("const {name} = ")).unwrap() + name.len() + 9;
    js[start..]
        .split(';')
        .next()
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// Each row of the table (by the start of its first cell) and the figures it must show.
fn rows() -> Vec<(&'static str, Vec<String>)> {
    vec![
        (
            "Request journal",
            vec![
                n(JOURNAL_CAPACITY),
                b(JOURNAL_MAX_BYTES),
                format!("header values {}", b(MAX_HEADER_VALUE)),
                format!("{MAX_HEADERS} headers"),
                format!("body {}", b(JOURNAL_BODY)),
                format!("path and query {} each", b(MAX_TARGET)),
            ],
        ),
        (
            "DPoP `jti`s",
            vec![
                n(MAX_SEEN_JTIS),
                b(MAX_SEEN_JTI_BYTES),
                format!("`jti` ≤ {MAX_JTI} characters"),
            ],
        ),
        (
            "Pending logins",
            vec![
                format!("{} min", TRANSACTION_LIFETIME / 60),
                format!(
                    "{}; {MAX_TRANSACTIONS_PER_DEVICE} per device",
                    n(MAX_TRANSACTIONS)
                ),
                format!("{} per application", n(MAX_TRANSACTIONS_PER_CLIENT)),
                b(MAX_TRANSACTION_BYTES),
                format!("`login_hint` ≤ {} bytes", n(MAX_KEPT_PARAM)),
                format!("cookie values ≤ {MAX_COOKIE_VALUE}"),
            ],
        ),
        (
            "Sessions",
            vec![
                format!("{} days idle", DEFAULT_IDLE_SESSION_LIFETIME / 24),
                format!("{} days at most", DEFAULT_SESSION_LIFETIME / 24),
                n(MAX_SESSIONS),
                b(MAX_SESSION_BYTES),
            ],
        ),
        ("Authorization codes", vec![n(MAX_CODES), b(MAX_CODE_BYTES)]),
        (
            "Refresh tokens",
            vec![
                format!(
                    "{} / {} / {}",
                    n(MAX_REFRESH_TOKENS),
                    n(MAX_REFRESH_TOKENS),
                    n(MAX_FAMILIES)
                ),
                format!(
                    "{} / {} / {}",
                    b(MAX_REFRESH_TOKEN_BYTES),
                    b(MAX_REFRESH_TOKEN_BYTES),
                    b(MAX_FAMILY_BYTES)
                ),
            ],
        ),
        (
            "Device codes",
            vec![
                format!("{} min", DEVICE_CODE_LIFETIME / 60),
                n(MAX_DEVICE_CODES),
                b(MAX_DEVICE_CODE_BYTES),
                format!(
                    "{MAX_FAILED_ATTEMPTS} per user, one back every {} min",
                    ATTEMPT_REFILL / 60
                ),
                format!("buckets for at most {} users", n(MAX_BUCKETS)),
            ],
        ),
        (
            "MFA tokens",
            vec![
                format!("({} min", MFA_TOKEN_LIFETIME / 60),
                format!("| {} | {} |", n(MAX_MFA_TOKENS), b(MAX_MFA_TOKEN_BYTES)),
            ],
        ),
        (
            "Logins owing an OTP code",
            vec![format!("| {} |", n(MAX_TRANSACTIONS))],
        ),
        // Its figures are the users' (the model's bounds, checked above).
        ("OTP state", vec![]),
        (
            "Organization invitations",
            vec![format!(
                "within the {} of settings",
                b(limits::SETTINGS_BYTES)
            )],
        ),
        (
            "Management API objects",
            vec![
                format!("{} users", n(limits::USERS)),
                format!("{} applications", n(limits::CLIENTS)),
                format!("{} APIs", n(limits::APIS)),
                format!("{} roles", n(limits::ROLES)),
                format!("{} organizations", n(limits::ORGANIZATIONS)),
                format!("{} a user", b(limits::USER_BYTES)),
                format!("{} of users", b(limits::USERS_BYTES)),
                format!("{} of everything else", b(limits::SETTINGS_BYTES)),
                format!("bodies ≤ {}", b(MAX_CONTROL_BODY)),
            ],
        ),
        (
            "Dynamic client registrations",
            vec![format!(
                "{MAX_REGISTERED} third-party applications; {} a minute",
                Window::LIMIT
            )],
        ),
        (
            "Client ID metadata documents",
            vec![
                format!(
                    "up to {}",
                    if MAX_AGE_CEILING == 3_600 {
                        "an hour"
                    } else {
                        "?"
                    }
                ),
                format!("| {} | {} |", n(MAX_CACHED), b(MAX_CACHED_BYTES)),
                format!("{MAX_CONCURRENT_FETCHES} fetches at once"),
            ],
        ),
        (
            "Action executions",
            vec![
                format!("| {MAX_EXECUTIONS} |"),
                format!("note {}", b(MAX_MESSAGE)),
                format!("{MAX_LINES} lines of each"),
            ],
        ),
        (
            "Actions: login counts",
            vec![
                format!(
                    "{} users / {} entries",
                    n(MAX_COUNTED_USERS),
                    worker_const("CACHE_MAX_ENTRIES")
                ),
                format!("/ {}", b(worker_const("CACHE_MAX_TOTAL"))),
                format!("keys {}", b(worker_const("CACHE_MAX_KEY"))),
                format!("values {}", b(worker_const("CACHE_MAX_VALUE"))),
            ],
        ),
        (
            "Signing keys",
            vec![
                format!("{MAX_PUBLISHED_KEYS} published; {MAX_RETIRED_KEYS} retired"),
                format!("past {MAX_PUBLISHED_KEYS} published keys"),
                format!("past {MAX_RETIRED_KEYS} retired keys"),
            ],
        ),
        (
            "Test page sessions",
            vec![
                format!("({} h)", ADMIN_SESSION_LIFETIME / 3600),
                n(MAX_ADMIN_SESSIONS),
            ],
        ),
        (
            "Faults",
            vec![format!("{MAX_FAULTS} rules"), b(MAX_FAULT_BYTES)],
        ),
        (
            "Overrides",
            vec![format!("bodies ≤ {}", b(MAX_CONTROL_BODY))],
        ),
        ("Request bodies at the public endpoints", vec![b(MAX_BODY)]),
    ]
}

#[test]
fn the_readme_states_every_stores_bounds() {
    assert_eq!(Window::PERIOD, 60);
    let readme = include_str!("../README.md");
    let section = readme
        .split_once("**Bounded stores.**")
        .expect("the Security section's Bounded stores")
        .1;
    let table: Vec<&str> = section
        .lines()
        .skip_while(|l| !l.starts_with("| Store |"))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .collect();
    let rows = rows();
    for line in &table {
        let first = line.trim_start_matches("| ");
        let Some((_, figures)) = rows.iter().find(|(label, _)| first.starts_with(label)) else {
            panic!("a README row this test does not check: {line}");
        };
        for f in figures {
            assert!(line.contains(f.as_str()), "README row lacks `{f}`: {line}");
        }
    }
    for (label, _) in &rows {
        assert!(
            table
                .iter()
                .any(|l| l.trim_start_matches("| ").starts_with(label)),
            "no README row for {label}"
        );
    }
}
