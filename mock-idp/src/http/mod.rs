//! The tenant's HTTP server: the router that mounts every face's routes, the middleware that
//! journals requests and injects faults, `run`; the discovery document and the JWKS (the two
//! cached GETs); the plain answers every face shares.
//!
//! | module | what it holds |
//! |---|---|
//! | `router` | `app()`, the observe middleware (journal, faults), the fault responses, `run` |
//! | `discovery` | the OIDC discovery document per domain, and the cached `GET`s of it and of the JWKS |
//! | `responses` | the 404 every face answers with, and the dropped connection |

pub(crate) mod discovery;
pub(crate) mod responses;
pub(crate) mod router;
