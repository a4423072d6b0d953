//! An organization's pending invitations (Auth0's organization invitations): who was invited
//! by whom, to log in to which application, with which roles, until when. An invitation is
//! kept with its organization, so the state directory keeps it like the rest of the tenant;
//! it goes when it is accepted, deleted or found expired.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One pending invitation to an organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InvitationConfig {
    /// `uinv_…`: the Management API's id.
    pub id: String,
    /// The ticket in the invitation URL (`invitation=`): what `/authorize` is given. Random,
    /// so it cannot be guessed from the id.
    pub ticket_id: String,
    /// `inviter.name`.
    pub inviter_name: String,
    /// `invitee.email`: the only account that may accept it.
    pub invitee_email: String,
    /// The application the invitee logs in to (its `initiate_login_uri` is the link).
    pub client_id: String,
    /// The connection the invitee must use (the database connection's id), if named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_id: Option<String>,
    /// Unix seconds, on the tenant's clock.
    pub created_at: i64,
    /// Unix seconds; after it the invitation is gone.
    pub expires_at: i64,
    /// Names of the roles the new member gets in the organization.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    /// Kept and shown as given (Auth0 passes them to the invitation email).
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub app_metadata: Map<String, Value>,
    /// Kept and shown as given.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub user_metadata: Map<String, Value>,
}

impl InvitationConfig {
    /// Whether it may still be accepted at `now`.
    pub fn is_live(&self, now: i64) -> bool {
        now < self.expires_at
    }
}
