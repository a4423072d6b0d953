//! Organization invitations: create (expired ones go first, then the bounds apply), delete,
//! and accept, which in one write consumes the invitation and makes the user a member with
//! its roles, so a ticket can never be spent twice, even by two browsers at once.

use crate::config::{InvitationConfig, UserConfig};
use crate::tenant::model::{EntryKind, ModelError, TenantModel, limits};

/// Why an invitation could not be accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum AcceptError {
    /// No live invitation with this ticket for this organization and application (never
    /// issued, spent, deleted, expired, or issued for another organization or application).
    #[error("invitation not found")]
    NotFound,
    /// The account is not the invitee's. Auth0 spends the invitation then too.
    #[error("the specified account is not allowed to accept the current invitation")]
    WrongAccount,
}

impl TenantModel {
    /// Adds a pending invitation to organization `org_id`. Invitations expired at `now` are
    /// dropped first, so only live ones count against the bound.
    pub(crate) fn create_invitation(
        &self,
        org_id: &str,
        inv: InvitationConfig,
        now: i64,
    ) -> Result<InvitationConfig, ModelError> {
        let bytes = serde_json::to_vec(&inv).map_or(usize::MAX, |v| v.len());
        if bytes > limits::INVITATION_BYTES {
            return Err(ModelError::TooLarge {
                what: "the invitation",
                limit: limits::INVITATION_BYTES,
            });
        }
        self.change_settings(|cfg| {
            for o in &mut cfg.organizations {
                o.invitations.retain(|i| i.is_live(now));
            }
            let total: usize = cfg.organizations.iter().map(|o| o.invitations.len()).sum();
            if total >= limits::INVITATIONS {
                return Err(ModelError::TooMany {
                    what: "invitations",
                    limit: limits::INVITATIONS,
                });
            }
            let org = cfg
                .organizations
                .iter_mut()
                .find(|o| o.id == org_id)
                .ok_or(ModelError::NotFound(EntryKind::Organization))?;
            org.invitations.push(inv.clone());
            Ok(inv)
        })
    }

    /// Removes invitation `id` of organization `org_id`.
    pub(crate) fn delete_invitation(&self, org_id: &str, id: &str) -> Result<(), ModelError> {
        self.change_settings(|cfg| {
            let org = cfg
                .organizations
                .iter_mut()
                .find(|o| o.id == org_id)
                .ok_or(ModelError::NotFound(EntryKind::Organization))?;
            let before = org.invitations.len();
            org.invitations.retain(|i| i.id != id);
            if org.invitations.len() == before {
                return Err(ModelError::NotFound(EntryKind::Invitation));
            }
            Ok(())
        })
    }

    /// Spends the invitation `ticket` of organization `org_id` for application `client_id`:
    /// `user` becomes a member with the invitation's roles (those that still exist). The
    /// invitation is gone afterwards whatever the outcome, as on Auth0 (a wrong account
    /// spends it too); an unknown or expired ticket changes nothing.
    pub(crate) fn accept_invitation(
        &self,
        org_id: &str,
        ticket: &str,
        client_id: &str,
        user: &UserConfig,
        now: i64,
    ) -> Result<(), AcceptError> {
        let outcome =
            self.change_settings(|cfg| {
                let roles: Vec<String> = cfg.roles.iter().map(|r| r.name.clone()).collect();
                let Some(org) = cfg.organizations.iter_mut().find(|o| o.id == org_id) else {
                    return Ok(Err(AcceptError::NotFound));
                };
                let Some(at) = org.invitations.iter().position(|i| {
                    i.ticket_id == ticket && i.client_id == client_id && i.is_live(now)
                }) else {
                    return Ok(Err(AcceptError::NotFound));
                };
                let inv = org.invitations.remove(at);
                if !inv.invitee_email.eq_ignore_ascii_case(&user.email) {
                    return Ok(Err(AcceptError::WrongAccount));
                }
                let id = user.id();
                if !org.has_member(user) {
                    org.members.push(id.clone());
                }
                let given: Vec<String> = inv
                    .roles
                    .into_iter()
                    .filter(|r| roles.contains(r))
                    .collect();
                if !given.is_empty() {
                    let list = org.member_roles.entry(id).or_default();
                    for r in given {
                        if !list.contains(&r) {
                            list.push(r);
                        }
                    }
                }
                Ok(Ok(()))
            });
        outcome.unwrap_or(Err(AcceptError::NotFound))
    }
}
