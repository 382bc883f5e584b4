//! Where a conversation's SLA clocks stand: the brand's policy for its
//! channel and priority (from the routing configuration), the business
//! calendar of the site that answers it, and its history replayed by the
//! core (`plateau_core::sla::conversation`).

use jiff::tz::TimeZone;
use plateau_core::event::{kind, Event};
use plateau_core::model::{Conversation, Message, Site, Status, Team};
use plateau_core::routing::config::brand_policies;
use plateau_core::sla::conversation::{assess, clock_events, status, MetricStatus, Urgency};
use plateau_core::sla::{opening_hours, BusinessTime, Calendar, SlaPolicies, UtcOffsets};
use plateau_core::Timestamp;
use plateau_store::directory::SiteHours;
use plateau_store::Store;
use uuid::Uuid;

use super::availability::offsets;
use crate::error::WebError;

/// What a brand's clocks need, read once: its policies and the sites,
/// teams and hours that say whose calendar a conversation runs on. The
/// watcher reads it once per brand and pass; a page once per view.
pub struct SlaContext {
    policies: SlaPolicies,
    sites: Vec<Site>,
    teams: Vec<Team>,
    hours: Vec<SiteHours>,
}

impl SlaContext {
    /// None when the brand has no SLA policy.
    pub async fn load(store: &Store, tenant_id: Uuid) -> Result<Option<SlaContext>, WebError> {
        let config = store.routing_config(tenant_id).await?.config;
        let policies = brand_policies(&config);
        if policies.is_empty() {
            return Ok(None);
        }
        // A saved configuration was validated; one that no longer is
        // (older rules) shows no clocks rather than failing the page.
        let Ok(policies) = SlaPolicies::new(policies) else {
            return Ok(None);
        };
        Ok(Some(SlaContext {
            policies,
            sites: store.sites(tenant_id).await?,
            teams: store.teams(tenant_id).await?,
            hours: store.site_hours(tenant_id).await?,
        }))
    }

    /// The conversation's metrics now, from its messages (oldest first,
    /// notes included or not) and its logged events; empty when no policy
    /// applies to its channel and priority.
    pub fn status(
        &self,
        c: &Conversation,
        messages: &[Message],
        events: &[Event],
        now: Timestamp,
    ) -> Vec<MetricStatus> {
        let Some((policy, clock)) = self.history(c, messages, events) else {
            return Vec::new();
        };
        status(policy, &clock, &self.business_time(c, now), now)
    }

    /// Every metric now and the most urgent running one, from one replay:
    /// what the SLA watcher records.
    pub fn assess(
        &self,
        c: &Conversation,
        messages: &[Message],
        events: &[Event],
        now: Timestamp,
    ) -> (Vec<MetricStatus>, Option<Urgency>) {
        let Some((policy, clock)) = self.history(c, messages, events) else {
            return (Vec::new(), None);
        };
        assess(policy, &clock, &self.business_time(c, now), now)
    }

    /// The policy that applies and the clock events of the history.
    #[allow(clippy::type_complexity)]
    fn history(
        &self,
        c: &Conversation,
        messages: &[Message],
        events: &[Event],
    ) -> Option<(
        &plateau_core::sla::SlaPolicy,
        Vec<(Timestamp, plateau_core::sla::ConversationEvent)>,
    )> {
        let policy = self.policies.find("", c.channel, c.priority)?;
        let later: Vec<_> = messages
            .iter()
            .skip(1)
            .map(|m| (m.created_at, m.direction))
            .collect();
        let statuses: Vec<(Timestamp, Status, Status)> = events
            .iter()
            .filter(|e| e.kind == kind::CONVERSATION_UPDATED)
            .filter_map(|e| {
                let s = e.payload.get("changes")?.get("status")?;
                let from = s.get("from")?.as_str()?.parse().ok()?;
                let to = s.get("to")?.as_str()?.parse().ok()?;
                Some((e.created_at, from, to))
            })
            .collect();
        Some((policy, clock_events(c.created_at, &later, &statuses)))
    }

    /// The calendar of the site whose team has the conversation, else of the
    /// brand's first site; around the clock when there is none.
    fn business_time(&self, c: &Conversation, now: Timestamp) -> BusinessTime {
        let team_site = c
            .team_id
            .and_then(|team| self.teams.iter().find(|x| x.id == team))
            .and_then(|x| x.site_id);
        let Some(site) = team_site
            .and_then(|id| self.sites.iter().find(|s| s.id == id))
            .or_else(|| self.sites.first())
        else {
            return BusinessTime::new(Calendar::always_open(), UtcOffsets::fixed(0));
        };
        let calendar = match self.hours.iter().find(|h| h.site_id == site.id) {
            Some(h) => opening_hours::parse(&h.hours, &h.holidays)
                .unwrap_or_else(|_| Calendar::always_open()),
            None => Calendar::always_open(),
        };
        let tz = TimeZone::get(&site.time_zone).unwrap_or(TimeZone::UTC);
        BusinessTime::new(calendar, offsets(&tz, now))
    }
}

/// The conversation's SLA metrics now, given the messages the caller has
/// already read; empty when no policy applies.
pub async fn conversation_sla(
    store: &Store,
    c: &Conversation,
    messages: &[Message],
    now: Timestamp,
) -> Result<Vec<MetricStatus>, WebError> {
    let Some(ctx) = SlaContext::load(store, c.tenant_id).await? else {
        return Ok(Vec::new());
    };
    let events = store.subject_events(c.tenant_id, c.id).await?;
    Ok(ctx.status(c, messages, &events, now))
}
