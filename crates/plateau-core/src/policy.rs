//! Who may do what. Every request is checked here on the server, once per
//! action, against the actor's role in the tenant the request names.

use std::collections::HashMap;

use uuid::Uuid;

use crate::knowledge::{ArticleState, Audience};
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
    /// Read the knowledge base; which audiences depends on the role
    /// ([`Actor::article_audiences`]).
    ViewArticles,
    /// Capture a new article as work in progress (KCS: capture in the workflow).
    CreateArticle,
    /// Improve an article that is not yet trusted (work in progress or not
    /// validated), and move it between those two states ("fix it").
    EditDraftArticles,
    /// Report an article as outdated, incorrect, unclear or a duplicate ("flag it").
    FlagArticles,
    /// Link an article to a conversation it helped answer.
    LinkArticles,
    /// Validate and archive articles, edit validated or archived ones, show
    /// them to partners or the public, and resolve flags.
    PublishArticles,
    /// The product catalogue, the FAQ feed and the synonym rules.
    ManageKnowledge,
    /// Search analytics: top queries, zero results, articles never found.
    ViewKnowledgeAnalytics,
    /// Walk published diagnostic trees inside a conversation.
    RunTrees,
    /// Write tree drafts, import and export mind maps, upload their media.
    AuthorTrees,
    /// Freeze a draft as a published version advisors will walk.
    PublishTrees,
    /// Path analytics per published version.
    ViewTreeAnalytics,
    /// Read the advisors' forum (never the brand's read-only accounts: it
    /// is the centre's own talk).
    ViewForum,
    /// Ask, answer, comment, vote, flag, follow, link reuse.
    PostForum,
    /// Decide on flagged posts and edit anyone's post.
    ModerateForum,
    /// Mark an answer verified after checking sources.
    VerifyForum,
    /// Turn a verified answer into a knowledge-base article.
    PromoteForum,
    /// The tenant's forum settings: thresholds, weights, badges, rights.
    ManageForum,
    /// The live routing wallboard: queues, today's service level, who is on
    /// what. Supervisors and tenant admins run the floor; advisors and the
    /// brand's read-only account do not see it.
    ViewWallboard,
}

/// The pure role matrix. Knowledge managers are advisors who also curate
/// knowledge, so they keep the desk actions.
///
/// Knowledge follows KCS roles: every advisor is a "candidate" who captures,
/// improves drafts, flags and links; knowledge managers (and tenant admins)
/// are the "publishers" who validate, archive, curate validated articles and
/// publish beyond the centre. Supervisors run the floor, not the knowledge:
/// they contribute like advisors and see the analytics, but do not publish.
pub fn role_allows(role: Role, action: Action) -> bool {
    use Action::*;
    let desk = matches!(
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
            | RunTrees
    );
    let contribute = matches!(
        action,
        ViewArticles
            | CreateArticle
            | EditDraftArticles
            | FlagArticles
            | LinkArticles
            | ViewForum
            | PostForum
    );
    match role {
        Role::TenantAdmin => true,
        // Trees are knowledge: supervisors run them and read their analytics.
        Role::Supervisor => !matches!(
            action,
            ManageTenant
                | PublishArticles
                | ManageKnowledge
                | AuthorTrees
                | PublishTrees
                | ModerateForum
                | VerifyForum
                | PromoteForum
                | ManageForum
        ),
        Role::KnowledgeManager => {
            desk || contribute
                || matches!(
                    action,
                    PublishArticles
                        | ManageKnowledge
                        | ViewKnowledgeAnalytics
                        | AuthorTrees
                        | PublishTrees
                        | ViewTreeAnalytics
                        | ModerateForum
                        | VerifyForum
                        | PromoteForum
                        | ManageForum
                )
        }
        Role::Advisor => desk || contribute,
        Role::ClientViewer => matches!(
            action,
            ViewConversations | ViewCustomers | ViewBoard | ViewArticles
        ),
    }
}

/// Audiences a role may read. A brand's read-only account sees what the
/// brand's partners and customers see, never the centre's internal notes.
pub fn audiences_for(role: Role) -> &'static [Audience] {
    match role {
        Role::ClientViewer => &[Audience::Partner, Audience::Public],
        _ => Audience::ALL,
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

    /// The audiences of the articles this actor may read in a tenant (none
    /// when they do not belong to it). Lists and searches filter on it.
    pub fn article_audiences(&self, tenant_id: Uuid) -> &'static [Audience] {
        if self.platform_admin {
            return Audience::ALL;
        }
        self.role_in(tenant_id).map(audiences_for).unwrap_or(&[])
    }

    /// May this actor read this article? An article outside their audiences
    /// is reported as absent, like another tenant's, so ids cannot be probed.
    pub fn may_read_article(&self, tenant_id: Uuid, audience: Audience) -> Result<(), DomainError> {
        self.require(tenant_id, Action::ViewArticles)?;
        if self.article_audiences(tenant_id).contains(&audience) {
            Ok(())
        } else {
            Err(DomainError::NotFound("article"))
        }
    }

    /// May this actor edit an article in `state` whose audience goes from
    /// `from` to `to`? Internal drafts are everyone's to fix; trusted
    /// articles, and anything shown outside the centre before or after the
    /// edit, are the publishers'. Both audiences are asked so that an
    /// advisor can neither publish a draft nor pull a public one back to edit it.
    pub fn may_edit_article(
        &self,
        tenant_id: Uuid,
        state: ArticleState,
        from: Audience,
        to: Audience,
    ) -> Result<(), DomainError> {
        if state.is_curated() || from != Audience::Internal || to != Audience::Internal {
            self.require(tenant_id, Action::PublishArticles)
        } else {
            self.require(tenant_id, Action::EditDraftArticles)
        }
    }

    /// May this actor create an article in `state` for `audience`? Advisors
    /// capture internal drafts; anything else needs a publisher.
    pub fn may_create_article(
        &self,
        tenant_id: Uuid,
        state: ArticleState,
        audience: Audience,
    ) -> Result<(), DomainError> {
        if state.is_curated() || audience != Audience::Internal {
            self.require(tenant_id, Action::PublishArticles)
        } else {
            self.require(tenant_id, Action::CreateArticle)
        }
    }

    /// May this actor move an article from `from` to `to`? The lifecycle
    /// rule is checked first, so an impossible move is a validation error for
    /// everyone; then moves that touch validated or archived need a publisher.
    pub fn may_change_article_state(
        &self,
        tenant_id: Uuid,
        from: ArticleState,
        to: ArticleState,
    ) -> Result<(), DomainError> {
        self.require(tenant_id, Action::ViewArticles)?;
        from.check_transition(to)?;
        if from.is_curated() || to.is_curated() {
            self.require(tenant_id, Action::PublishArticles)
        } else {
            self.require(tenant_id, Action::EditDraftArticles)
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
    fn advisors_capture_and_fix_drafts_but_do_not_publish() {
        use ArticleState::*;
        let t = Uuid::now_v7();
        let a = actor(Role::Advisor, t);
        assert!(a
            .may_create_article(t, WorkInProgress, Audience::Internal)
            .is_ok());
        assert!(a
            .may_edit_article(t, NotValidated, Audience::Internal, Audience::Internal)
            .is_ok());
        assert!(a
            .may_change_article_state(t, WorkInProgress, NotValidated)
            .is_ok());
        assert!(a.can(t, Action::FlagArticles) && a.can(t, Action::LinkArticles));
        for denied in [
            a.may_create_article(t, Validated, Audience::Internal),
            a.may_create_article(t, WorkInProgress, Audience::Public),
            a.may_edit_article(t, Validated, Audience::Internal, Audience::Internal),
            a.may_edit_article(t, NotValidated, Audience::Internal, Audience::Partner),
            a.may_edit_article(t, WorkInProgress, Audience::Public, Audience::Internal),
            a.may_change_article_state(t, NotValidated, Validated),
            a.may_change_article_state(t, Validated, Archived),
            a.require(t, Action::ManageKnowledge),
            a.require(t, Action::ViewKnowledgeAnalytics),
        ] {
            assert!(
                matches!(denied, Err(DomainError::Forbidden(_))),
                "{denied:?}"
            );
        }
        // An impossible move is a validation error, whoever asks.
        assert!(matches!(
            a.may_change_article_state(t, Archived, Validated),
            Err(DomainError::Invalid(_))
        ));
    }

    #[test]
    fn knowledge_managers_publish_and_curate() {
        use ArticleState::*;
        let t = Uuid::now_v7();
        let km = actor(Role::KnowledgeManager, t);
        assert!(km
            .may_change_article_state(t, NotValidated, Validated)
            .is_ok());
        assert!(km.may_change_article_state(t, Validated, Archived).is_ok());
        assert!(km
            .may_edit_article(t, Validated, Audience::Internal, Audience::Public)
            .is_ok());
        assert!(km.require(t, Action::ManageKnowledge).is_ok());
        assert!(km.require(t, Action::ViewKnowledgeAnalytics).is_ok());
        assert!(!km.can(t, Action::ManageTenant));
        let admin = actor(Role::TenantAdmin, t);
        assert!(admin
            .may_change_article_state(t, WorkInProgress, Validated)
            .is_ok());
        let sup = actor(Role::Supervisor, t);
        assert!(sup.can(t, Action::ViewKnowledgeAnalytics));
        assert!(sup
            .may_edit_article(t, WorkInProgress, Audience::Internal, Audience::Internal)
            .is_ok());
        assert!(!sup.can(t, Action::PublishArticles));
        assert!(!sup.can(t, Action::ManageKnowledge));
    }

    #[test]
    fn client_viewers_read_only_what_partners_see() {
        let t = Uuid::now_v7();
        let v = actor(Role::ClientViewer, t);
        assert_eq!(
            v.article_audiences(t),
            &[Audience::Partner, Audience::Public]
        );
        assert!(v.may_read_article(t, Audience::Public).is_ok());
        assert!(matches!(
            v.may_read_article(t, Audience::Internal),
            Err(DomainError::NotFound(_))
        ));
        for act in [
            Action::CreateArticle,
            Action::FlagArticles,
            Action::LinkArticles,
            Action::EditDraftArticles,
        ] {
            assert!(matches!(v.require(t, act), Err(DomainError::Forbidden(_))));
        }
        let a = actor(Role::Advisor, t);
        assert!(a.may_read_article(t, Audience::Internal).is_ok());
        assert!(a.article_audiences(Uuid::now_v7()).is_empty());
        assert!(matches!(
            a.may_read_article(Uuid::now_v7(), Audience::Public),
            Err(DomainError::NotFound(_))
        ));
    }

    #[test]
    fn forum_roles() {
        use Action::*;
        let t = Uuid::now_v7();
        let forum = [
            ViewForum,
            PostForum,
            ModerateForum,
            VerifyForum,
            PromoteForum,
            ManageForum,
        ];
        let allowed = |role: Role| -> Vec<Action> {
            let a = actor(role, t);
            forum.iter().copied().filter(|x| a.can(t, *x)).collect()
        };
        assert_eq!(allowed(Role::ClientViewer), vec![]);
        assert_eq!(allowed(Role::Advisor), vec![ViewForum, PostForum]);
        assert_eq!(allowed(Role::Supervisor), vec![ViewForum, PostForum]);
        assert_eq!(allowed(Role::KnowledgeManager), forum.to_vec());
        assert_eq!(allowed(Role::TenantAdmin), forum.to_vec());
        let v = actor(Role::ClientViewer, t);
        assert!(matches!(
            v.require(t, ViewForum),
            Err(DomainError::Forbidden(_))
        ));
        let a = actor(Role::Advisor, t);
        assert!(matches!(
            a.require(Uuid::now_v7(), ViewForum),
            Err(DomainError::NotFound(_))
        ));
    }

    #[test]
    fn only_those_who_run_the_floor_see_the_wallboard() {
        let t = Uuid::now_v7();
        for (role, allowed) in [
            (Role::TenantAdmin, true),
            (Role::Supervisor, true),
            (Role::KnowledgeManager, false),
            (Role::Advisor, false),
            (Role::ClientViewer, false),
        ] {
            assert_eq!(
                actor(role, t).can(t, Action::ViewWallboard),
                allowed,
                "{role:?}"
            );
        }
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
