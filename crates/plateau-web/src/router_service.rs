//! The router as a service: one task per routed tenant, owning that tenant's
//! `Router`, fed from the event log and its timers, writing its decisions back.
//!
//! A task first claims its tenant (`Store::try_claim_router`), so across
//! server processes on one PostgreSQL database exactly one routes it; the
//! others retry. The router is rebuilt from the database (configuration,
//! profiles, presence, open unassigned conversations) whenever it starts, and
//! whenever something it was built from changes, so a restart loses nothing.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use plateau_core::event::{kind, Event as LogEvent};
use plateau_core::model::{Channel, Role, Status, Tenant};
use plateau_core::routing::{
    AdvisorSpec, CallbackSpec, ContactSpec, Decision, Event, Lapse, Presence, Router,
};
use plateau_core::Timestamp;
use plateau_store::callbacks::{self, Callback};
use plateau_store::conversations::ConversationPatch;
use plateau_store::routing::{escalation_kind, RoutableConversation, RouterClaim};
use plateau_store::Store;
use serde_json::{json, Value};
use tokio::sync::{broadcast, watch};
use uuid::Uuid;

/// How often a task that lost the race for a tenant tries again.
const CLAIM_RETRY: Duration = Duration::from_secs(2);
/// How often a running router checks that its claim (the lock's connection) holds.
const CLAIM_CHECK: Duration = Duration::from_secs(3);
/// Also read the log this often, in case the broadcast missed something.
const POLL: Duration = Duration::from_secs(2);
/// The wallboard's snapshot is written at most this often while things
/// change, and at every poll otherwise (so its age tells a reader the router
/// is alive).
const PUBLISH_MIN: Duration = Duration::from_millis(500);
/// Timers fire this long after they are due, after a read of the log, so an
/// answer committed just before an offer's expiry is applied before the
/// expiry (the API refuses answers after it).
const TIMER_GRACE: Duration = Duration::from_millis(300);

/// Starts the supervisor, which starts one task per tenant with a saved
/// routing configuration, now or later.
pub fn spawn(store: Store, events: &broadcast::Sender<LogEvent>, stopping: watch::Receiver<bool>) {
    let mut rx = events.subscribe();
    let events = events.clone();
    tokio::spawn(async move {
        let mut started: HashSet<Uuid> = HashSet::new();
        let mut stop = stopping.clone();
        let mut rescan = tokio::time::interval(Duration::from_secs(10));
        loop {
            let mut scan = false;
            tokio::select! {
                r = rx.recv() => match r {
                    Ok(ev) if ev.kind == kind::ROUTING_CONFIG_UPDATED => {
                        if let Some(t) = ev.tenant_id {
                            start(&store, &events, &stopping, &mut started, t);
                        }
                    }
                    Ok(_) => {}
                    Err(broadcast::error::RecvError::Lagged(_)) => scan = true,
                    Err(broadcast::error::RecvError::Closed) => return,
                },
                _ = rescan.tick() => scan = true,
                _ = stop.changed() => if *stop.borrow() { return },
            }
            if scan {
                match store.routed_tenants().await {
                    Ok(ts) => {
                        for t in ts {
                            start(&store, &events, &stopping, &mut started, t);
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = ?e, "router service could not list routed tenants")
                    }
                }
            }
        }
    });
}

fn start(
    store: &Store,
    events: &broadcast::Sender<LogEvent>,
    stopping: &watch::Receiver<bool>,
    started: &mut HashSet<Uuid>,
    tenant: Uuid,
) {
    if started.insert(tenant) {
        tokio::spawn(run_tenant(
            store.clone(),
            events.clone(),
            stopping.clone(),
            tenant,
        ));
    }
}

enum Exit {
    Stop,
    Rebuild,
    LostClaim,
}

async fn run_tenant(
    store: Store,
    events: broadcast::Sender<LogEvent>,
    mut stopping: watch::Receiver<bool>,
    tenant: Uuid,
) {
    loop {
        if *stopping.borrow() {
            return;
        }
        let mut claim = match store.try_claim_router(tenant).await {
            Ok(Some(c)) => c,
            Ok(None) => {
                if pause(&mut stopping, CLAIM_RETRY).await {
                    return;
                }
                continue;
            }
            Err(e) => {
                tracing::warn!(error = ?e, %tenant, "router claim failed; retrying");
                if pause(&mut stopping, CLAIM_RETRY).await {
                    return;
                }
                continue;
            }
        };
        tracing::info!(%tenant, "routing this tenant");
        loop {
            match route(&store, tenant, &mut claim, &events, &mut stopping).await {
                Ok(Exit::Stop) => return,
                Ok(Exit::Rebuild) => continue,
                Ok(Exit::LostClaim) => {
                    tracing::warn!(%tenant, "lost the router claim; stopped routing");
                    break;
                }
                Err(e) => {
                    // Release the claim so that another process may do better.
                    tracing::error!(error = ?e, %tenant, "router failed; releasing the tenant");
                    break;
                }
            }
        }
        drop(claim);
        if pause(&mut stopping, CLAIM_RETRY).await {
            return;
        }
    }
}

/// Sleeps; true when the server is stopping.
async fn pause(stopping: &mut watch::Receiver<bool>, d: Duration) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(d) => *stopping.borrow(),
        _ = stopping.changed() => true,
    }
}

/// One tenant's router and what the service remembers beside it.
struct Session<'a> {
    store: &'a Store,
    tenant: Tenant,
    router: Router,
    /// Conversations this router assigned, so their later updates are known
    /// as the end of the contact rather than someone else taking it.
    assigned: HashMap<Uuid, Uuid>,
    /// The router changed since its snapshot was last written.
    dirty: bool,
    published: Option<std::time::Instant>,
    /// Live callbacks by id (the router's contact id for them).
    callbacks: HashMap<Uuid, LiveCallback>,
    /// The live callback of a conversation (one at a time).
    callback_of: HashMap<Uuid, Uuid>,
    /// Escalation requests the router is answering: conversation → request id.
    escalations: HashMap<Uuid, Value>,
    /// Conversations that re-entered a queue (escalated) at this instant: an
    /// offer settled before it no longer holds the conversation.
    reentered: HashMap<Uuid, Timestamp>,
    /// Router events that decisions call for, stepped right after them.
    followups: Vec<Event>,
    /// Each site's calendar, so the router hears when a site opens or
    /// closes (`skip_if = site_closed`: follow-the-sun hand-over).
    sites: Vec<SiteClock>,
}

/// A site's opening hours as the router sees them.
struct SiteClock {
    name: String,
    calendar: plateau_core::sla::Calendar,
    tz: jiff::tz::TimeZone,
    open: bool,
    /// When to look again: the next opening or closing, at most an hour
    /// away (the zone's offsets are resolved for a few weeks only).
    next: Timestamp,
}

/// Look at each site's state at least this often.
const SITE_RECHECK_US: i64 = 3600 * 1_000_000;

impl SiteClock {
    fn new(
        name: String,
        calendar: plateau_core::sla::Calendar,
        tz: jiff::tz::TimeZone,
        now: Timestamp,
    ) -> SiteClock {
        let mut c = SiteClock {
            name,
            calendar,
            tz,
            open: true,
            next: now,
        };
        c.look(now);
        c
    }

    /// Re-reads the state at `now`; true if it changed.
    fn look(&mut self, now: Timestamp) -> bool {
        let bt = plateau_core::sla::BusinessTime::new(
            self.calendar.clone(),
            crate::api::availability::offsets(&self.tz, now),
        );
        let open = bt.is_open(now);
        let cap = Timestamp(now.0 + SITE_RECHECK_US);
        self.next = bt.next_change(now).map_or(cap, |t| t.min(cap));
        std::mem::replace(&mut self.open, open) != open
    }
}

/// A callback the service follows: in the router until an advisor has it,
/// then only until its conversation ends (which makes it done).
#[derive(Debug, Clone)]
struct LiveCallback {
    conversation: Uuid,
    created_at: Timestamp,
    advisor: Option<Uuid>,
    in_router: bool,
}

/// Builds the router from the database and routes until something it was
/// built from changes (Rebuild), the claim is lost, or the server stops.
async fn route(
    store: &Store,
    tenant_id: Uuid,
    claim: &mut RouterClaim,
    events: &broadcast::Sender<LogEvent>,
    stopping: &mut watch::Receiver<bool>,
) -> anyhow::Result<Exit> {
    // Subscribe, then note where the log stands: every later event is seen.
    let mut rx = events.subscribe();
    let mut cursor = store.settled_event_id().await?;
    let tenant = store
        .tenants()
        .await?
        .into_iter()
        .find(|t| t.id == tenant_id)
        .ok_or_else(|| anyhow::anyhow!("tenant {tenant_id} is gone"))?;
    let stored = store.routing_config(tenant_id).await?;
    let routing = match crate::api::routing::compile(store, &tenant, &stored.config).await {
        Ok(r) => r,
        Err(e) => {
            // A configuration saved earlier can stop compiling when a skill,
            // site or team it names disappears; wait for the next change.
            tracing::error!(error = ?e, %tenant_id, "the stored routing configuration no longer compiles; not routing");
            return wait_for_change(store, tenant_id, &mut rx, &mut cursor, stopping).await;
        }
    };
    let mut s = Session {
        store,
        tenant,
        router: Router::new(routing),
        assigned: HashMap::new(),
        dirty: true,
        published: None,
        callbacks: HashMap::new(),
        callback_of: HashMap::new(),
        escalations: HashMap::new(),
        reentered: HashMap::new(),
        followups: Vec::new(),
        sites: Vec::new(),
    };
    // Offers left by a previous router are unknown to this one: withdraw them.
    for (conv, advisor) in store.pending_tenant_offers(tenant_id).await? {
        store
            .record_offer_lapsed(tenant_id, conv, advisor, "cancelled")
            .await?;
    }
    // Contacts first, at their arrival times, with nobody logged in yet: their
    // places and queue timers are as if the router had never stopped, and no
    // offer is made in the past.
    for c in store.routable_conversations(tenant_id).await? {
        if let Some(o) = store.offer(tenant_id, c.id).await? {
            if o.state == "accepted" {
                // Accepted just before the previous router stopped.
                s.assign_directly(c.id, o.advisor_id, false).await;
                continue;
            }
        }
        let spec = s.contact(&c);
        let _replayed = s.router.step(c.created_at, [Event::ContactArrived(spec)]);
    }
    let mut boot = Vec::new();
    let sites = store.sites(tenant_id).await?;
    let teams = store.teams(tenant_id).await?;
    for m in store.members(tenant_id).await? {
        if m.role == Role::ClientViewer || m.user.disabled {
            continue;
        }
        let profile = store.routing_profile(tenant_id, m.user.id).await?;
        boot.push(Event::AdvisorUpdated(AdvisorSpec {
            id: m.user.id,
            skills: profile.skills,
            languages: profile.languages,
            tier: profile.tier,
            site: m
                .site_id
                .and_then(|id| sites.iter().find(|x| x.id == id).map(|x| x.name.clone())),
            team: m
                .team_id
                .and_then(|id| teams.iter().find(|x| x.id == id).map(|x| x.name.clone())),
            capacity: profile.capacity.into_iter().collect(),
        }));
        let p = store.presence(m.user.id).await?;
        if p.state.is_declarable() && p.state != Presence::Offline {
            boot.push(Event::SetPresence {
                advisor: m.user.id,
                presence: p.state,
                reason: p.reason.unwrap_or_default(),
            });
        }
    }
    // Whether each site is open now; later changes come from its calendar.
    let hours = store.site_hours(tenant_id).await?;
    let now = Timestamp::now();
    for site in &sites {
        let calendar = hours
            .iter()
            .find(|h| h.site_id == site.id)
            .map(|h| {
                plateau_core::sla::opening_hours::parse(&h.hours, &h.holidays).unwrap_or_else(|e| {
                    tracing::warn!(site = %site.name, error = ?e, "stored site hours no longer parse; treated as always open");
                    plateau_core::sla::Calendar::always_open()
                })
            })
            .unwrap_or_else(plateau_core::sla::Calendar::always_open);
        let tz = jiff::tz::TimeZone::get(&site.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
        let clock = SiteClock::new(site.name.clone(), calendar, tz, now);
        boot.push(Event::SiteHours {
            site: clock.name.clone(),
            open: clock.open,
        });
        s.sites.push(clock);
    }
    // Callbacks last, once advisors are known, so a due one goes to its
    // preferred advisor first; one an advisor already has is only followed.
    for cb in store
        .tenant_callbacks(tenant_id, &callbacks::LIVE, None, i64::MAX)
        .await?
    {
        if let Some(e) = s.follow_callback(&cb).await? {
            boot.push(e);
        }
    }
    s.step(boot).await?;
    // What happened while we were building.
    if let Some(exit) = s.catch_up(&mut cursor).await? {
        return Ok(exit);
    }
    s.publish(true).await?;

    let mut poll = tokio::time::interval(POLL);
    let mut flush = tokio::time::interval(PUBLISH_MIN);
    let mut check = tokio::time::interval(CLAIM_CHECK);
    loop {
        let site_wake = s.sites.iter().map(|c| c.next).min();
        let wake = match (s.router.next_wakeup(), site_wake) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let sleep = async {
            match wake {
                Some(at) => {
                    let micros = (at.0 - Timestamp::now().0).max(0) as u64;
                    tokio::time::sleep(Duration::from_micros(micros) + TIMER_GRACE).await
                }
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            r = rx.recv() => match r {
                Ok(ev) => {
                    if ev.id > cursor {
                        cursor = ev.id;
                        if let Some(exit) = s.apply_log_event(&ev).await? {
                            return Ok(exit);
                        }
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    if let Some(exit) = s.catch_up(&mut cursor).await? {
                        return Ok(exit);
                    }
                }
                Err(broadcast::error::RecvError::Closed) => return Ok(Exit::Stop),
            },
            _ = sleep => {
                if let Some(exit) = s.catch_up(&mut cursor).await? {
                    return Ok(exit);
                }
                let now = Timestamp::now();
                let changed: Vec<Event> = s
                    .sites
                    .iter_mut()
                    .filter(|c| c.next <= now)
                    .filter_map(|c| c.look(now).then(|| Event::SiteHours { site: c.name.clone(), open: c.open }))
                    .collect();
                s.step(changed).await?;
            }
            _ = poll.tick() => {
                if let Some(exit) = s.catch_up(&mut cursor).await? {
                    return Ok(exit);
                }
                s.publish(true).await?;
            }
            _ = flush.tick(), if s.dirty => s.publish(false).await?,
            _ = check.tick() => {
                if !claim.is_held().await {
                    return Ok(Exit::LostClaim);
                }
            }
            _ = stopping.changed() => if *stopping.borrow() { return Ok(Exit::Stop) },
        }
    }
}

/// Not routing (the configuration does not compile): wait for a change that
/// may fix it.
async fn wait_for_change(
    store: &Store,
    tenant: Uuid,
    rx: &mut broadcast::Receiver<LogEvent>,
    cursor: &mut i64,
    stopping: &mut watch::Receiver<bool>,
) -> anyhow::Result<Exit> {
    let mut poll = tokio::time::interval(POLL);
    loop {
        tokio::select! {
            r = rx.recv() => match r {
                Ok(ev) if ev.tenant_id == Some(tenant) && rebuilds(&ev.kind) => return Ok(Exit::Rebuild),
                Ok(_) => {}
                Err(broadcast::error::RecvError::Lagged(_)) => return Ok(Exit::Rebuild),
                Err(broadcast::error::RecvError::Closed) => return Ok(Exit::Stop),
            },
            _ = poll.tick() => {
                for ev in store.events_after(*cursor, 1000).await? {
                    *cursor = ev.id;
                    if ev.tenant_id == Some(tenant) && rebuilds(&ev.kind) {
                        return Ok(Exit::Rebuild);
                    }
                }
            }
            _ = stopping.changed() => if *stopping.borrow() { return Ok(Exit::Stop) },
        }
    }
}

/// Changes to what the router is built from: names in the schema, profiles,
/// who is a member, the configuration itself.
fn rebuilds(k: &str) -> bool {
    matches!(
        k,
        kind::ROUTING_CONFIG_UPDATED
            | kind::ROUTING_PROFILE_UPDATED
            | kind::MEMBERSHIP_CHANGED
            | kind::SITE_CREATED
            | kind::SITE_HOURS_UPDATED
            | kind::TEAM_CREATED
    )
}

fn uuid_at(v: &Value, path: &[&str]) -> Option<Uuid> {
    let mut v = v;
    for p in path {
        v = v.get(p)?;
    }
    v.as_str().and_then(|s| Uuid::parse_str(s).ok())
}

impl Session<'_> {
    fn contact(&self, c: &RoutableConversation) -> ContactSpec {
        ContactSpec {
            id: c.id,
            tenant: self.tenant.slug.clone(),
            channel: c.channel,
            reason: c.reason.clone(),
            language: c.language,
            priority: c.priority,
            contract_tier: c.contract_tier,
            segment: None,
        }
    }

    /// Reads the log after `cursor` and applies this tenant's events.
    async fn catch_up(&mut self, cursor: &mut i64) -> anyhow::Result<Option<Exit>> {
        loop {
            let batch = self.store.events_after(*cursor, 1000).await?;
            let full = batch.len() == 1000;
            for ev in batch {
                *cursor = ev.id;
                if let Some(exit) = self.apply_log_event(&ev).await? {
                    return Ok(Some(exit));
                }
            }
            if !full {
                return Ok(None);
            }
        }
    }

    /// Turns one log event into router events; `Some` when the router must
    /// be rebuilt instead.
    async fn apply_log_event(&mut self, ev: &LogEvent) -> anyhow::Result<Option<Exit>> {
        if ev.tenant_id != Some(self.tenant.id) {
            return Ok(None);
        }
        if rebuilds(&ev.kind) {
            return Ok(Some(Exit::Rebuild));
        }
        let Some(subject) = ev.subject_id else {
            return Ok(None);
        };
        let mut input = Vec::new();
        match ev.kind.as_str() {
            kind::CONVERSATION_CREATED => {
                let unassigned = ev.payload.get("assignee_id").is_none_or(Value::is_null);
                if unassigned {
                    if let Some(c) = self
                        .store
                        .routable_conversation(self.tenant.id, subject)
                        .await?
                    {
                        input.push(Event::ContactArrived(self.contact(&c)));
                    }
                }
            }
            kind::CONVERSATION_UPDATED => {
                let changes = ev.payload.get("changes").cloned().unwrap_or(Value::Null);
                self.conversation_ended_for_callback(subject, &changes, &mut input)
                    .await?;
                let ours = self.assigned.get(&subject).copied();
                let status_to = changes
                    .get("status")
                    .and_then(|s| s.get("to"))
                    .and_then(Value::as_str);
                let done = matches!(status_to, Some("resolved" | "closed"));
                let assignee_changed = changes.get("assignee_id").is_some();
                let assignee_to = uuid_at(&changes, &["assignee_id", "to"]);
                if done || (assignee_changed && assignee_to != ours) {
                    match ours {
                        // The advisor's contact is over: wrap-up, then room again.
                        Some(_) => {
                            self.assigned.remove(&subject);
                            input.push(Event::ContactEnded { contact: subject });
                        }
                        // Taken by hand while queued: it leaves the queue
                        // and its statistics (nobody gave up).
                        None if !done && assignee_to.is_some() => {
                            input.push(Event::ContactWithdrawn { contact: subject })
                        }
                        // Closed while queued: the customer's contact ended
                        // unanswered, an abandon.
                        None => input.push(Event::ContactAbandoned { contact: subject }),
                    }
                    // Handed back to the queue (unassigned, still active).
                    if !done && assignee_changed && assignee_to.is_none() {
                        if let Some(c) = self
                            .store
                            .routable_conversation(self.tenant.id, subject)
                            .await?
                        {
                            input.push(Event::ContactArrived(self.contact(&c)));
                        }
                    }
                }
            }
            kind::PRESENCE_CHANGED => {
                let state = ev
                    .payload
                    .get("state")
                    .cloned()
                    .and_then(|v| serde_json::from_value::<Presence>(v).ok());
                if let Some(p) = state.filter(|p| p.is_declarable()) {
                    input.push(Event::SetPresence {
                        advisor: subject,
                        presence: p,
                        reason: ev
                            .payload
                            .get("reason")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_string(),
                    });
                }
            }
            kind::ROUTING_OFFER_ACCEPTED | kind::ROUTING_OFFER_REJECTED => {
                // An offer of a conversation whose callback is being routed
                // is the callback's.
                let subject = match self.callback_of.get(&subject) {
                    Some(cb)
                        if self
                            .callbacks
                            .get(cb)
                            .is_some_and(|l| l.in_router && l.advisor.is_none()) =>
                    {
                        *cb
                    }
                    _ => subject,
                };
                if let Some(advisor) = uuid_at(&ev.payload, &["advisor_id"]) {
                    input.push(if ev.kind == kind::ROUTING_OFFER_ACCEPTED {
                        Event::OfferAccepted {
                            contact: subject,
                            advisor,
                        }
                    } else {
                        Event::OfferRejected {
                            contact: subject,
                            advisor,
                        }
                    });
                }
            }
            callbacks::kind::SCHEDULED => {
                if let Some(id) = uuid_at(&ev.payload, &["callback_id"]) {
                    if !self.callbacks.contains_key(&id) {
                        let cb = self.store.callback(self.tenant.id, id).await?;
                        if let Some(e) = self.follow_callback(&cb).await? {
                            input.push(e);
                        }
                    }
                }
            }
            callbacks::kind::DONE | callbacks::kind::CANCELLED => {
                if let Some(id) = uuid_at(&ev.payload, &["callback_id"]) {
                    self.drop_callback(id, &mut input);
                }
            }
            escalation_kind::REQUESTED => {
                let request = ev.payload.get("request_id").cloned().unwrap_or(Value::Null);
                if self.assigned.contains_key(&subject) {
                    self.escalations.insert(subject, request);
                    let text = |k: &str| {
                        ev.payload
                            .get(k)
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_string()
                    };
                    input.push(Event::Escalate {
                        contact: subject,
                        reason: text("reason"),
                        context: text("context"),
                    });
                } else {
                    // Only a contact this router gave to an advisor has a
                    // queue to escalate from.
                    self.store
                        .record_conversation_event(
                            self.tenant.id,
                            escalation_kind::REFUSED,
                            subject,
                            None,
                            json!({"request_id": request, "code": "not_routed",
                                   "reason": "the router has not assigned this conversation, so it has no queue to escalate from"}),
                        )
                        .await?;
                }
            }
            _ => return Ok(None),
        }
        if !input.is_empty() {
            self.step(input).await?;
        }
        Ok(None)
    }

    /// Starts following a live callback; the router event to feed, if the
    /// router is to route it (not yet given to an advisor).
    async fn follow_callback(&mut self, cb: &Callback) -> anyhow::Result<Option<Event>> {
        if !callbacks::LIVE.contains(&cb.state.as_str()) {
            return Ok(None);
        }
        let Some(c) = self
            .store
            .routable_conversation(self.tenant.id, cb.conversation_id)
            .await?
        else {
            return Ok(None);
        };
        let in_router = cb.assigned_to.is_none();
        self.callbacks.insert(
            cb.id,
            LiveCallback {
                conversation: cb.conversation_id,
                created_at: cb.created_at,
                advisor: cb.assigned_to,
                in_router,
            },
        );
        self.callback_of.insert(cb.conversation_id, cb.id);
        if !in_router {
            return Ok(None);
        }
        // A callback is a phone call, whatever channel the conversation began on.
        let mut contact = self.contact(&c);
        contact.id = cb.id;
        contact.channel = Channel::Phone;
        Ok(Some(Event::CallbackScheduled(CallbackSpec {
            contact,
            not_before: cb.not_before,
            deadline: cb.deadline,
            preferred_advisor: cb.preferred_advisor_id,
        })))
    }

    /// Stops following a callback (done or cancelled), taking it out of the router.
    fn drop_callback(&mut self, id: Uuid, input: &mut Vec<Event>) {
        if let Some(l) = self.callbacks.remove(&id) {
            self.callback_of.remove(&l.conversation);
            if l.in_router {
                input.push(match l.advisor {
                    Some(_) => Event::ContactEnded { contact: id },
                    None => Event::ContactWithdrawn { contact: id },
                });
            }
        }
    }

    /// A conversation resolved or closed after its callback was given to an
    /// advisor: the callback is done.
    async fn conversation_ended_for_callback(
        &mut self,
        conversation: Uuid,
        changes: &Value,
        input: &mut Vec<Event>,
    ) -> anyhow::Result<()> {
        let status_to = changes
            .get("status")
            .and_then(|s| s.get("to"))
            .and_then(Value::as_str);
        if !matches!(status_to, Some("resolved" | "closed")) {
            return Ok(());
        }
        let Some(&id) = self.callback_of.get(&conversation) else {
            return Ok(());
        };
        let Some(advisor) = self.callbacks.get(&id).and_then(|l| l.advisor) else {
            return Ok(());
        };
        self.store
            .move_callback(
                self.tenant.id,
                id,
                &["offered", "missed"],
                "done",
                callbacks::kind::DONE,
                Some(advisor),
                None,
            )
            .await?;
        self.drop_callback(id, input);
        Ok(())
    }

    /// The conversation a router contact stands for (a callback's, or itself).
    fn conversation_of(&self, contact: Uuid) -> Uuid {
        self.callbacks
            .get(&contact)
            .map_or(contact, |l| l.conversation)
    }

    /// Steps the router to now and carries out its decisions, in order.
    async fn step(&mut self, input: Vec<Event>) -> anyhow::Result<()> {
        let mut input = input;
        let mut outcomes = Vec::new();
        // Decisions may call for more events (an answer that beat a callback's
        // offer timeout); a few rounds settle them.
        for _ in 0..4 {
            let had_input = !input.is_empty();
            let decisions = self.router.step(Timestamp::now(), input);
            self.dirty |= had_input || !decisions.is_empty();
            for d in decisions {
                if let Decision::Outcome(o) = d {
                    outcomes.push(o);
                } else {
                    self.carry_out(d).await?;
                }
            }
            input = std::mem::take(&mut self.followups);
            if input.is_empty() {
                break;
            }
        }
        self.store
            .record_routing_outcomes(self.tenant.id, &outcomes)
            .await?;
        if self.dirty {
            self.publish(false).await?;
        }
        Ok(())
    }

    /// Writes the wallboard's snapshot: when `force`, or when something
    /// changed and the last write is old enough (a burst of arrivals costs
    /// one write, and the flush tick writes the rest).
    async fn publish(&mut self, force: bool) -> anyhow::Result<()> {
        let due = self.published.is_none_or(|at| at.elapsed() >= PUBLISH_MIN);
        if force || (self.dirty && due) {
            self.store
                .write_routing_snapshot(self.tenant.id, &self.router.snapshot(), Timestamp::now())
                .await?;
            self.dirty = false;
            self.published = Some(std::time::Instant::now());
        }
        Ok(())
    }

    async fn carry_out(&mut self, d: Decision) -> anyhow::Result<()> {
        let t = self.tenant.id;
        match d {
            Decision::Offer {
                contact,
                advisor,
                expires_at,
            } => {
                let conversation = self.conversation_of(contact);
                let since = match self.callbacks.get(&contact) {
                    Some(l) => Some(l.created_at),
                    None => self.reentered.get(&contact).copied(),
                };
                if let Some(since) = since {
                    self.store
                        .clear_settled_offer(t, conversation, since)
                        .await?;
                }
                if !self
                    .store
                    .record_offer(t, conversation, advisor, expires_at)
                    .await?
                {
                    tracing::info!(%contact, "offer not made: the conversation was already accepted");
                } else if self.callbacks.contains_key(&contact) {
                    self.store
                        .move_callback(
                            t,
                            contact,
                            &["scheduled"],
                            "offered",
                            callbacks::kind::OFFERED,
                            None,
                            None,
                        )
                        .await?;
                }
            }
            Decision::Assigned {
                contact, advisor, ..
            } if self.callbacks.contains_key(&contact) => {
                self.assign_callback(contact, advisor).await?;
            }
            Decision::Assigned {
                contact, advisor, ..
            } => {
                self.reentered.remove(&contact);
                self.assign_directly(contact, advisor, true).await
            }
            Decision::OfferLapsed {
                contact,
                advisor,
                why,
            } if self.callbacks.contains_key(&contact) => {
                let why = match why {
                    Lapse::Rejected => return Ok(()),
                    Lapse::TimedOut => "timed_out",
                    Lapse::Cancelled => "cancelled",
                };
                let conversation = self.conversation_of(contact);
                if !self
                    .store
                    .record_offer_lapsed(t, conversation, advisor, why)
                    .await?
                {
                    if let Some(o) = self.store.offer(t, conversation).await? {
                        if o.state == "accepted" && o.advisor_id == advisor {
                            // Accepted in time: the advisor has it; the
                            // router, which re-queued it, lets it go.
                            self.assign_callback(contact, advisor).await?;
                            if let Some(l) = self.callbacks.get_mut(&contact) {
                                l.in_router = false;
                            }
                            self.followups.push(Event::ContactWithdrawn { contact });
                        }
                    }
                }
            }
            Decision::CallbackMissed { contact, deadline } => {
                self.store
                    .move_callback(
                        t,
                        contact,
                        &["scheduled", "offered"],
                        "missed",
                        callbacks::kind::MISSED,
                        None,
                        None,
                    )
                    .await?;
                tracing::info!(%contact, deadline = %deadline.rfc3339(), "callback missed");
            }
            Decision::Escalated { contact, history } => {
                let request = self.escalations.remove(&contact).unwrap_or(Value::Null);
                self.assigned.remove(&contact);
                self.reentered.insert(contact, Timestamp::now());
                let Some(last) = history.last() else {
                    return Ok(());
                };
                // Back in a queue: nobody holds it until the next tier accepts.
                let patch = ConversationPatch {
                    assignee_id: Some(None),
                    ..Default::default()
                };
                if let Err(e) = self
                    .store
                    .update_conversation(t, contact, patch, Some(last.by))
                    .await
                {
                    tracing::warn!(error = ?e, %contact, "could not hand an escalated conversation back to the queue");
                }
                self.store
                    .record_conversation_event(
                        t,
                        escalation_kind::ESCALATED,
                        contact,
                        Some(last.by),
                        json!({"request_id": request, "from": last.from, "to": last.to,
                               "tier": last.tier, "reason": last.reason, "context": last.context,
                               "by": last.by, "history": history}),
                    )
                    .await?;
            }
            Decision::EscalationRefused { contact, why } => {
                let request = self.escalations.remove(&contact).unwrap_or(Value::Null);
                let code = if why.contains("only an assigned") {
                    "not_assigned"
                } else {
                    "refused"
                };
                self.store
                    .record_conversation_event(
                        t,
                        escalation_kind::REFUSED,
                        contact,
                        None,
                        json!({"request_id": request, "code": code, "reason": why}),
                    )
                    .await?;
            }
            Decision::OfferLapsed {
                contact,
                advisor,
                why,
            } => {
                let why = match why {
                    // The rejection is already in the log, written by the answer.
                    Lapse::Rejected => return Ok(()),
                    Lapse::TimedOut => "timed_out",
                    Lapse::Cancelled => "cancelled",
                };
                if !self
                    .store
                    .record_offer_lapsed(t, contact, advisor, why)
                    .await?
                {
                    // The answer beat the timer: the advisor accepted in time,
                    // so they get the conversation; the router learns it from
                    // the assignment like any manual one.
                    if let Some(o) = self.store.offer(t, contact).await? {
                        if o.state == "accepted" && o.advisor_id == advisor {
                            self.assign_directly(contact, advisor, false).await;
                        }
                    }
                }
            }
            Decision::MaxWaitExceeded {
                contact,
                workflow,
                waited_micros,
            } => {
                self.store
                    .record_routing_event(
                        t,
                        kind::ROUTING_MAX_WAIT_EXCEEDED,
                        self.conversation_of(contact),
                        json!({"workflow": workflow, "waited_seconds": waited_micros / 1_000_000}),
                    )
                    .await?;
            }
            Decision::Unroutable { contact, why } => {
                self.store
                    .record_routing_event(
                        t,
                        kind::ROUTING_UNROUTABLE,
                        self.conversation_of(contact),
                        json!({"why": why}),
                    )
                    .await?;
            }
            Decision::PresenceChanged {
                advisor,
                presence: Presence::Break,
                reason,
                ..
            } if reason == "missed_offer" => {
                // Shown to the advisor and their supervisors like any break.
                self.store
                    .set_presence(advisor, Presence::Break, Some(&reason), None)
                    .await?;
            }
            Decision::Refused { why } => tracing::debug!(%why, "router refused an event"),
            other => tracing::trace!(decision = ?other, "router decision"),
        }
        Ok(())
    }

    /// A due callback given to an advisor: they hold its conversation
    /// (reopened if it was closed meanwhile) and make the call.
    async fn assign_callback(&mut self, id: Uuid, advisor: Uuid) -> anyhow::Result<()> {
        let t = self.tenant.id;
        let Some(l) = self.callbacks.get_mut(&id) else {
            return Ok(());
        };
        l.advisor = Some(advisor);
        let conversation = l.conversation;
        self.store.set_callback_assignee(t, id, advisor).await?;
        let c = self.store.conversation(t, conversation).await?;
        let patch = ConversationPatch {
            assignee_id: (c.assignee_id != Some(advisor)).then_some(Some(advisor)),
            status: matches!(c.status, Status::Resolved | Status::Closed).then_some(Status::Open),
            ..Default::default()
        };
        if patch.assignee_id.is_some() || patch.status.is_some() {
            if let Err(e) = self
                .store
                .update_conversation(t, conversation, patch, Some(advisor))
                .await
            {
                tracing::warn!(error = ?e, %conversation, "could not give a callback's conversation to its advisor");
            }
        }
        Ok(())
    }

    /// Assigns through the same store function as the API, so the
    /// conversation's update event and timeline follow. `routed`: the router
    /// itself made this assignment (otherwise, when the update comes back,
    /// the router takes the contact out of its queue like a manual one).
    async fn assign_directly(&mut self, contact: Uuid, advisor: Uuid, routed: bool) {
        if routed {
            self.assigned.insert(contact, advisor);
        }
        let patch = ConversationPatch {
            assignee_id: Some(Some(advisor)),
            ..Default::default()
        };
        if let Err(e) = self
            .store
            .update_conversation(self.tenant.id, contact, patch, Some(advisor))
            .await
        {
            // Closed or changed meanwhile: its own update event tells the router.
            self.assigned.remove(&contact);
            tracing::warn!(error = ?e, %contact, "could not assign a routed conversation");
        }
    }
}
