//! Auth0's Management API v2 at `https://{domain}/api/v2/`: thin handlers over the tenant
//! model (`tenant::model`), one module per resource, in Auth0's JSON shapes, paging and error
//! bodies. Every route is registered with its Auth0 scope in the control API's route table
//! (`control::table`), so the one rule in `tenant::access` authorizes it (the admin secret, or
//! a Management API token from client_credentials whose grant holds the scope).
//!
//! | file | routes |
//! |---|---|
//! | `clients` | `/clients` (+ `rotate-secret`), `/client-grants` |
//! | `resource_servers` | `/resource-servers` |
//! | `users` | `/users` (search with `q`), `/users-by-email`, `/users/{id}/roles`, `/users/{id}/permissions` |
//! | `authentication_methods` | `/users/{id}/authentication-methods`, `/authenticators`, `/enrollments`, `/recovery-code-regeneration`: a user's OTP enrolment |
//! | `roles` | `/roles`, `/roles/{id}/permissions`, `/roles/{id}/users` |
//! | `organizations` | `/organizations` (+ `members`, member `roles`, `enabled_connections`) |
//! | `invitations` | `/organizations/{id}/invitations`: create, list, read, delete |
//! | `org_links` | `/organizations/{id}/client-grants`, `discovery-domains`, `clients` (what the Deploy CLI reads of an organization) |
//! | `connections` | `/connections`: the database connection |
//! | `guardian` | `/guardian/policies`, `/guardian/factors/otp`: the tenant's MFA policy |
//! | `tenant_settings` | `/tenants/settings` |
//! | `actions` | `/actions/actions` (+ `deploy`, `versions`), `/actions/triggers` (+ `bindings`) |
//! | `shapes` | JSON shapes several resources share (a user, a member, a permission) |
//! | `links` | the bodies of every assign and remove route (lists of ids, permission pairs) |
//! | `paging` | Auth0's offset and checkpoint paging of every list |
//! | `body`, `error` | Auth0's body checks; its error body, and the `Res` and `JsonBody` types every handler shares |

pub(crate) mod actions;
pub(crate) mod authentication_methods;
mod body;
pub(crate) mod clients;
pub(crate) mod connections;
mod error;
pub(crate) mod guardian;
pub(crate) mod invitations;
mod links;
pub(crate) mod org_links;
pub(crate) mod organizations;
mod paging;
pub(crate) mod resource_servers;
pub(crate) mod roles;
mod shapes;
pub(crate) mod tenant_settings;
pub(crate) mod users;
