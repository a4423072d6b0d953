//! The tenant's core: the state a tenant keeps and the stores it keeps it in, below every face
//! that serves or steers it (the HTTP endpoints, the browser pages, the control API, the Test
//! page, the Rust handle). Nothing here imports a handler.
//!
//! | module | what it holds |
//! |---|---|
//! | `clock` | the virtual [`Clock`](clock::Clock) every signed time comes from |
//! | `store` | `BoundedStore`: the bounded, expiring map every runtime store is built on |
//! | `faults`, `journal` | scripted failures per endpoint; the requests received |
//! | `domains` | custom domains: one issuer per `Host`, one key set |
//! | `actions` | the in-process actions exchange profiles call (Auth0's Custom Token Exchange Action) |
//! | `state_dir`, `tls` | the state directory on disk (keys, CA, leaf certificate, last address); the CA |

pub(crate) mod actions;
pub(crate) mod clock;
pub(crate) mod domains;
pub(crate) mod faults;
pub(crate) mod journal;
pub(crate) mod state_dir;
pub(crate) mod store;
pub(crate) mod tls;
