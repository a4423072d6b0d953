//! The tenant's HTTP server: the router that mounts every face's routes, the middleware that
//! journals requests and injects faults, and `run`.

pub(crate) mod router;
