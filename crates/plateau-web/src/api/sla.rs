//! Where a conversation's SLA clocks stand: the brand's policy for its
//! channel and priority (from the routing configuration), the business
//! calendar of the site that answers it, and its history replayed by the
//! core (`plateau_core::sla::conversation`).

use jiff::tz::TimeZone;
use plateau_core::event::kind;
use plateau_core::model::{Conversation, Status};
use plateau_core::routing::config::brand_policies;
use plateau_core::sla::conversation::{clock_events, status, MetricStatus};
use plateau_core::sla::{opening_hours, BusinessTime, Calendar, SlaPolicies, UtcOffsets};
use plateau_core::Timestamp;

use super::availability::offsets;
use plateau_store::Store;

use crate::error::WebError;

/// The conversation's SLA metrics now; empty when no policy applies.
pub async fn conversation_sla(
    store: &Store,
    c: &Conversation,
    now: Timestamp,
) -> Result<Vec<MetricStatus>, WebError> {
    let t = c.tenant_id;
    let config = store.routing_config(t).await?.config;
    let Ok(policies) = SlaPolicies::new(brand_policies(&config)) else {
        // A saved configuration was validated; one that no longer is
        // (older rules) shows no clocks rather than failing the page.
        return Ok(Vec::new());
    };
    let Some(policy) = policies.find("", c.channel, c.priority) else {
        return Ok(Vec::new());
    };
    let bt = business_time(store, c, now).await?;
    let messages: Vec<_> = store
        .messages(t, c.id, false)
        .await?
        .into_iter()
        .skip(1)
        .map(|m| (m.created_at, m.direction))
        .collect();
    let statuses: Vec<(Timestamp, Status, Status)> = store
        .subject_events(t, c.id)
        .await?
        .into_iter()
        .filter(|e| e.kind == kind::CONVERSATION_UPDATED)
        .filter_map(|e| {
            let s = e.payload.get("changes")?.get("status")?;
            let from = s.get("from")?.as_str()?.parse().ok()?;
            let to = s.get("to")?.as_str()?.parse().ok()?;
            Some((e.created_at, from, to))
        })
        .collect();
    let events = clock_events(c.created_at, &messages, &statuses);
    Ok(status(policy, &events, &bt, now))
}

/// The calendar of the site whose team has the conversation, else of the
/// brand's first site; around the clock when there is none.
async fn business_time(
    store: &Store,
    c: &Conversation,
    now: Timestamp,
) -> Result<BusinessTime, WebError> {
    let sites = store.sites(c.tenant_id).await?;
    let team_site = match c.team_id {
        Some(team) => store
            .teams(c.tenant_id)
            .await?
            .into_iter()
            .find(|x| x.id == team)
            .and_then(|x| x.site_id),
        None => None,
    };
    let Some(site) = team_site
        .and_then(|id| sites.iter().find(|s| s.id == id))
        .or_else(|| sites.first())
    else {
        return Ok(BusinessTime::new(
            Calendar::always_open(),
            UtcOffsets::fixed(0),
        ));
    };
    let hours = store.site_hours(c.tenant_id).await?;
    let calendar = match hours.iter().find(|h| h.site_id == site.id) {
        Some(h) => {
            opening_hours::parse(&h.hours, &h.holidays).unwrap_or_else(|_| Calendar::always_open())
        }
        None => Calendar::always_open(),
    };
    let tz = TimeZone::get(&site.time_zone).unwrap_or(TimeZone::UTC);
    Ok(BusinessTime::new(calendar, offsets(&tz, now)))
}
