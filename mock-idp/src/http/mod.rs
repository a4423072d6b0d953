//! The tenant's HTTP server: the router that mounts every face's routes, the middleware that
//! journals requests and injects faults, `run`; the discovery document and the JWKS (the two
//! cached GETs).
//!
//! | module | what it holds |
//! |---|---|
//! | `router` | `app()`, the observe middleware (journal, faults), the fault responses, `run` |
//! | `discovery` | the OIDC discovery document per domain, and the cached `GET`s of it and of the JWKS |

pub(crate) mod discovery;
pub(crate) mod router;
