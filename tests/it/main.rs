//! The integration tests: one binary (it links once), one module per topic.
//!
//! Each scenario module shows one "Common Issues" entry or "Advanced Usage" example of the
//! Auth0 API quickstart against the real API router and an in-process mock tenant on 127.0.0.1.

mod advanced_usage;
mod async_usage;
mod audience;
mod browser_login;
mod conformance;
mod domains;
mod dpop_both_sides;
mod environment;
mod expiry;
mod extractors;
mod header_format;
mod host_header;
mod issuer;
mod mutants;
mod properties;
mod replay_flood;
#[cfg(feature = "redis")]
mod replay_redis;
mod resource_metadata;
mod signing_algs;
mod signing_keys;
mod slow_clients;
mod support;
mod upstream;
