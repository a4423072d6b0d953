//! mock-idp: a mock Auth0 tenant you can run, embed in a test, and trust over HTTPS.
//!
//! It serves what a tenant serves (OIDC discovery, JWKS, `POST /oauth/token` with
//! client_credentials and DPoP), over HTTPS with its own CA, and adds what tests need: a token
//! builder for every good and bad token, DPoP proofs, observable key rotation, a virtual clock,
//! fault injection and a request journal.
//!
//! # A tenant in a test
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! use mock_idp::{DpopKey, Endpoint, Fault, MockTenant, Signing};
//!
//! let tenant = MockTenant::start().await; // HTTPS on 127.0.0.1:0, fixed test keys
//! assert!(tenant.issuer().ends_with('/'));
//!
//! // A valid token for the default API, and some bad ones.
//! let good = tenant.token().scope("read:messages").build();
//! let expired = tenant.token().expires_in(-60).build();
//! let forged = tenant.token().signed_with(Signing::HmacWithPublicKey).build();
//!
//! // A DPoP-bound token and a proof for a request to the protected API.
//! let key = DpopKey::generate();
//! let bound = tenant.token().bound_to(&key).build();
//! let proof = key
//!     .proof("GET", "https://api.example/api/private")
//!     .access_token(&bound)
//!     .clock(tenant.clock())
//!     .build();
//!
//! // Keys, time and failures are scriptable.
//! let next = tenant.keys().publish_next();
//! tenant.clock().advance(3600);
//! tenant.fail(Endpoint::Jwks, Fault::Status(503));
//!
//! // Talk to it over HTTPS with a client that trusts its CA.
//! let res = tenant.http_client().get(tenant.discovery_url()).send().await.unwrap();
//! assert_eq!(res.status(), 200);
//! # let _ = (good, expired, forged, proof, next);
//! # }
//! ```
//!
//! # As a server
//!
//! `mock-idp serve` runs the same tenant standalone; `mock-idp token`, `proof`, `init` and `ca`
//! act on it through the shared state directory.

pub mod clock;
pub mod config;

pub mod faults;
pub mod jose;
pub mod journal;
pub mod keys;
pub mod mint;
pub mod proof;
mod server;
pub mod state;
pub mod tenant;
pub mod tls;
mod token_endpoint;

pub use clock::Clock;
pub use config::{ApiConfig, ApplicationConfig, ConfigError, Dialect, TenantConfig};
pub use faults::{Endpoint, Fault};
pub use jose::{ath, jwk_thumbprint};
pub use journal::RecordedRequest;
pub use keys::{KeyRing, SigAlg, SigningKey};
pub use mint::{Signing, TokenBuilder};
pub use proof::{DpopKey, ProofAlg, ProofBuilder};
pub use state::StateDir;
pub use tenant::{BoundTenant, MockTenant, StartError, TenantBuilder};
pub use tls::TlsMaterial;
