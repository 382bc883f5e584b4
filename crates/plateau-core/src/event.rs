//! Event kinds written to the append-only event log in the same transaction as
//! the change they describe. The log is the audit trail and feeds realtime push.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Timestamp;

/// Stable names: they are stored, so a name never changes meaning.
pub mod kind {
    pub const CONVERSATION_CREATED: &str = "conversation.created";
    pub const CONVERSATION_UPDATED: &str = "conversation.updated";
    pub const MESSAGE_ADDED: &str = "message.added";
    pub const CUSTOMER_CREATED: &str = "customer.created";
    pub const CUSTOMER_UPDATED: &str = "customer.updated";
    pub const USER_CREATED: &str = "user.created";
    pub const MEMBERSHIP_CHANGED: &str = "membership.changed";
    pub const TENANT_CREATED: &str = "tenant.created";
    pub const SITE_CREATED: &str = "site.created";
    pub const TEAM_CREATED: &str = "team.created";
    pub const TOKEN_CREATED: &str = "token.created";
    pub const TOKEN_REVOKED: &str = "token.revoked";
    pub const PRESENCE_CHANGED: &str = "presence.changed";
    pub const BREAK_POSTPONED: &str = "presence.break_postponed";
    pub const ROUTING_PROFILE_UPDATED: &str = "routing_profile.updated";
    pub const SITE_HOURS_UPDATED: &str = "site.hours_updated";
    pub const ROUTING_CONFIG_UPDATED: &str = "routing.config_updated";

    // The router service. Subject: the conversation; payload: `advisor_id`
    // (the advisor the offer is or was for) and, on an offer, `expires_at`
    // and the conversation's `subject` and `number` for the advisor's banner.
    pub const ROUTING_OFFERED: &str = "routing.offered";
    /// Written by the offered advisor's answer; the router consumes it.
    pub const ROUTING_OFFER_ACCEPTED: &str = "routing.offer_accepted";
    pub const ROUTING_OFFER_REJECTED: &str = "routing.offer_rejected";
    /// Timed out or withdrawn (payload `why`: timed_out, cancelled).
    pub const ROUTING_OFFER_LAPSED: &str = "routing.offer_lapsed";
    /// Payload: `workflow`, `waited_seconds`.
    pub const ROUTING_MAX_WAIT_EXCEEDED: &str = "routing.max_wait_exceeded";
    /// No workflow's filter matched; payload `why`.
    pub const ROUTING_UNROUTABLE: &str = "routing.unroutable";

    // Knowledge base. Subject: the article, product, FAQ entry or flag; the
    // payload of article events carries `audience` so that internal articles
    // never reach client viewers, even as a hint.
    pub const ARTICLE_CREATED: &str = "article.created";
    pub const ARTICLE_UPDATED: &str = "article.updated";
    pub const ARTICLE_STATE_CHANGED: &str = "article.state_changed";
    pub const ARTICLE_TRANSLATION_LINKED: &str = "article.translation_linked";
    pub const ARTICLE_TRANSLATION_UNLINKED: &str = "article.translation_unlinked";
    /// Linked to a conversation (KCS reuse); subject is the article.
    pub const ARTICLE_LINKED: &str = "article.linked";
    pub const ARTICLE_UNLINKED: &str = "article.unlinked";
    pub const ARTICLE_FLAGGED: &str = "article.flagged";
    pub const FLAG_RESOLVED: &str = "flag.resolved";
    pub const PRODUCT_CREATED: &str = "product.created";
    pub const PRODUCT_UPDATED: &str = "product.updated";
    pub const FAQ_CREATED: &str = "faq.created";
    pub const FAQ_UPDATED: &str = "faq.updated";
    pub const FAQ_DELETED: &str = "faq.deleted";
    /// Subject: none (a set is keyed by tenant and language, in the payload).
    pub const SYNONYMS_UPDATED: &str = "synonyms.updated";

    // Diagnostic trees. Subject: the tree, except for sessions, whose subject
    // is the conversation so that they show in its timeline.
    pub const TREE_CREATED: &str = "tree.created";
    pub const TREE_DRAFT_SAVED: &str = "tree.draft_saved";
    pub const TREE_PUBLISHED: &str = "tree.published";
    pub const TREE_SESSION_STARTED: &str = "tree.session_started";
    /// Payload: tree title and version, outcome, the answers, the form
    /// values and, on escalation, the hand-off for the next tier.
    pub const TREE_SESSION_FINISHED: &str = "tree.session_finished";
    // The advisors' forum. Subject: the thread, or the post for post events;
    // payloads carry `thread_id` and never a hidden post's body.
    pub const FORUM_THREAD_CREATED: &str = "forum.thread_created";
    pub const FORUM_POST_CREATED: &str = "forum.post_created";
    pub const FORUM_POST_EDITED: &str = "forum.post_edited";
    pub const FORUM_POST_HIDDEN: &str = "forum.post_hidden";
    pub const FORUM_POST_RESTORED: &str = "forum.post_restored";
    pub const FORUM_POST_FLAGGED: &str = "forum.post_flagged";
    pub const FORUM_ANSWER_ACCEPTED: &str = "forum.answer_accepted";
    pub const FORUM_POST_VERIFIED: &str = "forum.post_verified";
    pub const FORUM_THREAD_PROMOTED: &str = "forum.thread_promoted";
    pub const FORUM_DEFECT_UPDATED: &str = "forum.defect_updated";
    /// For one follower only: payload `user_id` names them.
    pub const FORUM_NOTIFICATION: &str = "forum.notification";
    pub const FORUM_SETTINGS_UPDATED: &str = "forum.settings_updated";
    /// Subject: none; the payload names the key.
    pub const BLOB_STORED: &str = "blob.stored";

    // Inbound e-mail. Subject: the mail_inbound row.
    /// A message that could not become a conversation message: payload has
    /// the reason. Administrators see these as dead letters.
    pub const MAIL_DEAD_LETTERED: &str = "mail.dead_lettered";
    /// An auto-reply, bounce or bulk message, stored without opening a
    /// conversation; `conversation_id` in the payload when it threads to one.
    pub const MAIL_MACHINE_RECEIVED: &str = "mail.machine_received";
    /// A dead letter processed again or discarded by an administrator.
    pub const MAIL_DEAD_LETTER_RESOLVED: &str = "mail.dead_letter_resolved";
    /// Subject: none; payload has the address and team.
    pub const MAILBOX_UPDATED: &str = "mailbox.updated";
    /// An e-mail reply was delivered, or an attempt failed. Subject: the
    /// conversation; payload: the message id, the state and the error.
    pub const MAIL_DELIVERY_CHANGED: &str = "mail.delivery_changed";
    /// Subject: the connector; payload: its name and outbound URL.
    pub const CONNECTOR_CREATED: &str = "connector.created";
    /// A reply was posted to a connector (a social or messaging network), or
    /// an attempt failed. Subject: the conversation; payload as
    /// `MAIL_DELIVERY_CHANGED`.
    pub const CONNECTOR_DELIVERY_CHANGED: &str = "connector.delivery_changed";
    /// An SLA clock of a conversation entered its warning window, or
    /// breached. Subject: the conversation; payload: metric and due instant.
    pub const SLA_WARNING: &str = "sla.warning";
    pub const SLA_BREACHED: &str = "sla.breached";
    /// An advisor asked the router to escalate a conversation; the router
    /// (in whichever process routes the brand) answers with `ESCALATED` or
    /// `ESCALATION_REFUSED`. Subject: the conversation.
    pub const ESCALATION_REQUESTED: &str = "routing.escalation_requested";
    pub const ESCALATED: &str = "routing.escalated";
    pub const ESCALATION_REFUSED: &str = "routing.escalation_refused";
    /// A callback's life (see plateau-store's `callbacks`). Subject: the conversation.
    pub const CALLBACK_SCHEDULED: &str = "callback.scheduled";
    /// Due and offered to an advisor for the first time.
    pub const CALLBACK_OFFERED: &str = "callback.offered";
    pub const CALLBACK_MISSED: &str = "callback.missed";
    pub const CALLBACK_DONE: &str = "callback.done";
    pub const CALLBACK_CANCELLED: &str = "callback.cancelled";
    /// A PBX reported a call event. Subject: the conversation the call
    /// belongs to; payload: the event as shown in the timeline (kind, call
    /// id, numbers, IVR path, advisor name, seconds, recording metadata).
    pub const CALL_EVENT: &str = "call.event";
    /// Subject: the surviving customer; payload: merge id and the merged one.
    pub const CUSTOMER_MERGED: &str = "customer.merged";
    pub const CUSTOMER_MERGE_UNDONE: &str = "customer.merge_undone";
    /// Subject: the customer; payload: kind and value.
    pub const CUSTOMER_IDENTITY_ADDED: &str = "customer.identity_added";
    /// A brand's web chat turned on or off. Payload: `enabled`.
    pub const CHAT_SETTINGS_UPDATED: &str = "chat.settings_updated";
}

/// One committed entry of the event log.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Event {
    /// Strictly increasing in commit-visible order; consumers resume from it.
    pub id: i64,
    pub tenant_id: Option<Uuid>,
    pub kind: String,
    pub subject_id: Option<Uuid>,
    pub actor_id: Option<Uuid>,
    pub payload: serde_json::Value,
    pub created_at: Timestamp,
}

impl Event {
    /// Internal notes must not reach read-only brand accounts, even as a
    /// realtime hint, so events carry whether they concern one.
    pub fn is_internal(&self) -> bool {
        let field = |name: &str| self.payload.get(name).and_then(|d| d.as_str());
        field("direction") == Some("note") || field("audience") == Some("internal")
    }

    pub fn is_forum(&self) -> bool {
        self.kind.starts_with("forum.")
    }

    /// The one user a forum notification is for.
    pub fn recipient(&self) -> Option<Uuid> {
        if self.kind != kind::FORUM_NOTIFICATION {
            return None;
        }
        self.payload
            .get("user_id")
            .and_then(|v| v.as_str())
            .and_then(|s| s.parse().ok())
    }
}
