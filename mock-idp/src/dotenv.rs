//! The `.env` a client of a mock tenant needs, and how each language trusts the tenant's CA.
//!
//! Written once, here, for every place that tells a user how to point an API at the tenant:
//! `mock-idp init` (the file), the `serve` banner, the demo banner, the Test page and the
//! conformance runner (the `.env` of the verifier under test). They cannot drift apart.
//!
//! ```
//! use std::path::Path;
//! let env = mock_idp::dotenv(
//!     &["localhost:8443".to_owned()],
//!     "https://my-flask-api",
//!     Some(Path::new("/state/ca.pem")),
//! );
//! assert!(env.contains("AUTH0_DOMAIN=localhost:8443\nAUTH0_AUDIENCE=https://my-flask-api\n"));
//! assert!(env.contains("AUTH0_CA_FILE=/state/ca.pem\n"));
//! assert!(!env.contains("AUTH0_DOMAINS"));
//! ```

use std::fmt::Write as _;
use std::path::Path;

/// How each kind of client trusts a CA file: who, then what to set or run, `{ca}` standing
/// for the file. The environment variables among them go into the `.env`.
const CA_HINTS: &[(&str, &str)] = &[
    ("our API", "AUTH0_CA_FILE={ca}"),
    ("curl", "curl --cacert {ca}"),
    ("Python (httpx)", "SSL_CERT_FILE={ca}"),
    ("Python (requests)", "REQUESTS_CA_BUNDLE={ca}"),
    ("Node", "NODE_EXTRA_CA_CERTS={ca}"),
    ("Go", "SSL_CERT_FILE={ca}"),
    (
        "Java",
        "keytool -importcert -file {ca} -keystore truststore.jks",
    ),
];

/// How each kind of client (our API, curl, Python, Node, Go, Java) trusts the CA file `ca`:
/// who, then what to set or run.
pub fn ca_hints(ca: &str) -> impl Iterator<Item = (&'static str, String)> + '_ {
    CA_HINTS
        .iter()
        .map(move |(who, how)| (*who, how.replace("{ca}", ca)))
}

/// The `.env` for an API verifying this tenant's tokens: `AUTH0_DOMAIN` (the first of
/// `domains`), `AUTH0_DOMAINS` when the tenant has custom domains (all of them, so the API
/// accepts each one's tokens), `AUTH0_AUDIENCE`, and with a CA (HTTPS) `AUTH0_CA_FILE` plus
/// the variables Python and Node read to trust it.
pub fn dotenv(domains: &[String], audience: &str, ca_file: Option<&Path>) -> String {
    let mut out = String::new();
    if let Some(first) = domains.first() {
        let _ = writeln!(out, "AUTH0_DOMAIN={first}");
    }
    if domains.len() > 1 {
        let _ = writeln!(out, "AUTH0_DOMAINS={}", domains.join(","));
    }
    let _ = writeln!(out, "AUTH0_AUDIENCE={audience}");
    if let Some(ca) = ca_file {
        let ca = ca.display().to_string();
        let vars: Vec<String> = ca_hints(&ca)
            .map(|(_, how)| how)
            .filter(|how| how.split_once('=').is_some_and(|(k, _)| is_env_name(k)))
            .collect();
        let mut seen = Vec::new();
        for line in vars {
            if !seen.contains(&line) {
                let _ = writeln!(out, "{line}");
                seen.push(line);
            }
        }
    }
    out
}

fn is_env_name(k: &str) -> bool {
    !k.is_empty()
        && k.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}
