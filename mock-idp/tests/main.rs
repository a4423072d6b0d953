//! The mock-idp integration tests: one binary, one module per topic. Every HTTP test talks to a
//! real in-process tenant over HTTPS with a client that trusts only the tenant's CA.

mod support;

mod actions;
mod attacks;
mod control;
mod dashboard;
mod deploy_cli;
mod device_code;
mod discovery;
mod dpop;
mod exchange;
mod faults;
mod fidelity;
mod fuzz;
mod invitations;
mod keys;
mod management;
mod mfa;
mod mfa_api;
mod mfa_policy;
mod mint;
mod org_links;
mod org_login;
mod password_grant;
mod session_lifetimes;
mod signing_algs;
mod silent_auth;
mod state;
mod token_endpoint;
mod upstream;
mod user_flows;
