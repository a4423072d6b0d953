//! `MockTenant`: a mock Auth0 tenant started in-process, the way wiremock's `MockServer` is.
//!
//! The server runs on its own thread and Tokio runtime, so a tenant works under any test
//! runtime (or none), and many tenants in one process share nothing. Dropping the handle stops
//! the server.
//!
//! | file | what it holds |
//! |---|---|
//! | `builder` | [`TenantBuilder`] and the ways to start: `start`, `try_start`, `bind` |
//! | `bound` | [`BoundTenant`]: bound to its port, serving when the CLI says so |
//! | `handle` | [`MockTenant`]: the running tenant and its few direct methods |
//! | `config` | `tenant.config()`: the configuration as it runs, read and changed through the tenant's model |
//! | `handles` | the handles it groups the rest into: urls, faults, journal, overrides, DPoP, CA, control |
//! | `user_login` | [`Login`]: `tenant.login(email)` walks the browser flow over HTTP |

mod bound;
mod builder;
pub(crate) mod config;
mod handle;
pub(crate) mod handles;
pub(crate) mod reload;
pub(crate) mod user_login;

pub use bound::BoundTenant;
pub use builder::{StartError, TenantBuilder};
pub use handle::MockTenant;
