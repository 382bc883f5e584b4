//! Who may do what. Every request is checked here on the server, once per
//! action, against the actor's role in the tenant the request names.

use std::collections::HashMap;

use uuid::Uuid;

use crate::model::Role;
use crate::DomainError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    ViewConversations,
    /// Internal notes are the centre's own talk; the brand's read-only
    /// account sees the customer exchange only.
    ViewInternalNotes,
    CreateConversation,
    Reply,
    AddNote,
    ChangeStatus,
    EditConversation,
    AssignSelf,
    AssignOthers,
    ViewCustomers,
    EditCustomers,
    ViewBoard,
    ViewAudit,
    ManageTenant,
}

/// The pure role matrix. Knowledge managers are advisors who also curate
/// knowledge, so they keep the desk actions.
pub fn role_allows(role: Role, action: Action) -> bool {
    use Action::*;
    match role {
        Role::TenantAdmin => true,
        Role::Supervisor => !matches!(action, ManageTenant),
        Role::KnowledgeManager | Role::Advisor => matches!(
            action,
            ViewConversations
                | ViewInternalNotes
                | CreateConversation
                | Reply
                | AddNote
                | ChangeStatus
                | EditConversation
                | AssignSelf
                | ViewCustomers
                | EditCustomers
        ),
        Role::ClientViewer => matches!(action, ViewConversations | ViewCustomers | ViewBoard),
    }
}

/// The authenticated person behind a request, with their role per tenant.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Uuid,
    pub platform_admin: bool,
    pub roles: HashMap<Uuid, Role>,
}

impl Actor {
    pub fn role_in(&self, tenant_id: Uuid) -> Option<Role> {
        self.roles.get(&tenant_id).copied()
    }

    pub fn can(&self, tenant_id: Uuid, action: Action) -> bool {
        if self.platform_admin {
            return true;
        }
        self.role_in(tenant_id)
            .is_some_and(|role| role_allows(role, action))
    }

    /// Fails with NotFound when the actor has no access to the tenant at all,
    /// so that probing another brand's ids reveals nothing, and with Forbidden
    /// when they belong to it but their role does not allow the action.
    pub fn require(&self, tenant_id: Uuid, action: Action) -> Result<(), DomainError> {
        if self.platform_admin {
            return Ok(());
        }
        match self.role_in(tenant_id) {
            None => Err(DomainError::NotFound("tenant")),
            Some(role) if role_allows(role, action) => Ok(()),
            Some(_) => Err(DomainError::Forbidden(
                "your role does not allow this action",
            )),
        }
    }

    /// May this actor set `assignee` on a conversation?
    pub fn may_assign(&self, tenant_id: Uuid, assignee: Option<Uuid>) -> Result<(), DomainError> {
        if self.can(tenant_id, Action::AssignOthers) {
            return Ok(());
        }
        match assignee {
            Some(id) if id == self.user_id => self.require(tenant_id, Action::AssignSelf),
            // Handing work back to the queue is always allowed to those who may take it.
            None => self.require(tenant_id, Action::AssignSelf),
            Some(_) => {
                self.require(tenant_id, Action::ViewConversations)?;
                Err(DomainError::Forbidden("only supervisors may assign others"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role, tenant: Uuid) -> Actor {
        Actor {
            user_id: Uuid::now_v7(),
            platform_admin: false,
            roles: HashMap::from([(tenant, role)]),
        }
    }

    #[test]
    fn client_viewers_only_read() {
        let t = Uuid::now_v7();
        let a = actor(Role::ClientViewer, t);
        assert!(a.can(t, Action::ViewConversations));
        assert!(!a.can(t, Action::ViewInternalNotes));
        for act in [
            Action::Reply,
            Action::AddNote,
            Action::ChangeStatus,
            Action::AssignSelf,
        ] {
            assert!(matches!(a.require(t, act), Err(DomainError::Forbidden(_))));
        }
    }

    #[test]
    fn other_tenants_look_absent() {
        let t = Uuid::now_v7();
        let other = Uuid::now_v7();
        let a = actor(Role::TenantAdmin, t);
        assert!(matches!(
            a.require(other, Action::ViewConversations),
            Err(DomainError::NotFound(_))
        ));
    }

    #[test]
    fn advisors_assign_only_themselves() {
        let t = Uuid::now_v7();
        let a = actor(Role::Advisor, t);
        assert!(a.may_assign(t, Some(a.user_id)).is_ok());
        assert!(a.may_assign(t, None).is_ok());
        assert!(matches!(
            a.may_assign(t, Some(Uuid::now_v7())),
            Err(DomainError::Forbidden(_))
        ));
        let s = actor(Role::Supervisor, t);
        assert!(s.may_assign(t, Some(Uuid::now_v7())).is_ok());
        assert!(!s.can(t, Action::ManageTenant));
    }

    #[test]
    fn platform_admin_reaches_every_tenant() {
        let a = Actor {
            user_id: Uuid::now_v7(),
            platform_admin: true,
            roles: HashMap::new(),
        };
        assert!(a.require(Uuid::now_v7(), Action::ManageTenant).is_ok());
    }
}
