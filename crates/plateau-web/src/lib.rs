//! Plateau's HTTP face: the JSON API under /api/v1 (with its OpenAPI
//! document), the server-rendered desk, the per-user SSE stream, health and
//! metrics. Handlers are thin: parse, authorise, call the store, render.

pub mod api;
pub mod auth;
mod cache;
pub mod error;
pub mod forum_digest;
pub mod i18n;
pub mod inbound;
pub mod indexer;
pub mod mail_in;
pub mod mail_out;
pub mod markdown;
mod ops;
mod outbox;
mod realtime;
pub mod router_service;
pub mod sla_watch;
mod svg;
pub mod ui;
pub mod webhook_out;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use plateau_core::event::Event;
use plateau_store::Store;
use tokio::net::TcpListener;
use tokio::sync::broadcast;

/// Settings the web layer needs; the binary fills them from config.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Set the Secure flag on cookies; on whenever Plateau is served over TLS.
    pub secure_cookies: bool,
    pub session_ttl_secs: i64,
    /// Requests with a larger body are refused with 413 before they are read.
    pub body_limit_bytes: usize,
    /// How replies posted to connectors are retried while a connector is down.
    pub connector_backoff: plateau_core::channels::retry::Backoff,
    /// Inbound mail with larger attachments becomes a dead letter.
    pub mail_limits: plateau_core::channels::mime::MailLimits,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            secure_cookies: false,
            session_ttl_secs: 12 * 3600,
            body_limit_bytes: 1024 * 1024,
            connector_backoff: plateau_core::channels::retry::Backoff::DELIVERY,
            mail_limits: Default::default(),
        }
    }
}

pub struct Inner {
    pub store: Store,
    pub events: broadcast::Sender<Event>,
    /// Articles, conversations and messages, kept current by `indexer`.
    pub search: Arc<plateau_search::Index>,
    pub config: WebConfig,
    pub started: Instant,
    /// Flipped to true when the server stops, so open SSE streams end.
    pub stopping: tokio::sync::watch::Sender<bool>,
    /// Who a session or token digest resolved to, for a few seconds: every
    /// request authenticates, and two lookups per request would double the
    /// database work of a small write. Cleared whenever this process changes
    /// a token, session, role or locale; other processes see changes within TTL.
    pub(crate) auth_cache: cache::TtlCache<auth::CurrentUser>,
    /// Tenants by slug: they are named in every tenant path and almost never change.
    pub(crate) tenant_cache: cache::TtlCache<plateau_core::model::Tenant>,
    /// Failed logins per account and per client address.
    pub(crate) login_throttle: cache::Throttle,
    /// Published tree versions, parsed. They never change once published, so
    /// the time limit only bounds memory; every conversation page with a
    /// walk and every step would otherwise parse the whole tree again.
    pub(crate) published_trees: cache::TtlCache<Arc<api::trees::PublishedVersion>>,
    /// Wakes the inbound-mail worker when a receiver stored a message or an
    /// administrator replayed one.
    pub mail_wake: mail_in::MailWake,
    /// Web chat connections: typing relay and per-address limits.
    pub chat: Arc<api::chat::Hub>,
    /// Wakes the IMAP pollers when a mailbox's IMAP settings are saved.
    pub imap_wake: mail_in::imap::ImapWake,
}

/// Shared by every handler; cheap to clone.
#[derive(Clone)]
pub struct AppState(pub Arc<Inner>);

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    /// Builds the state with an in-memory search index (tests, throwaway
    /// servers); see [`AppState::with_search`].
    pub fn new(store: Store, config: WebConfig) -> anyhow::Result<AppState> {
        let index = plateau_search::Index::create_in_ram()?;
        Ok(Self::with_search(store, config, Arc::new(index)))
    }

    /// Builds the state and starts the event-log consumers: the tailer that
    /// feeds realtime push, the indexer that keeps `search` current, and the
    /// router service (one router per routed tenant, see `router_service`).
    pub fn with_search(
        store: Store,
        config: WebConfig,
        search: Arc<plateau_search::Index>,
    ) -> AppState {
        let events = store.spawn_tailer(4096);
        let (stopping, _) = tokio::sync::watch::channel(false);
        indexer::spawn(store.clone(), search.clone(), &events, stopping.subscribe());
        router_service::spawn(store.clone(), &events, stopping.subscribe());
        let mail_wake = mail_in::MailWake::default();
        mail_in::spawn(
            store.clone(),
            mail_wake.clone(),
            config.mail_limits,
            stopping.subscribe(),
        );
        let imap_wake = mail_in::imap::ImapWake::default();
        mail_in::imap::spawn(
            store.clone(),
            mail_wake.clone(),
            imap_wake.clone(),
            stopping.subscribe(),
        );
        forum_digest::spawn(store.clone(), stopping.subscribe());
        sla_watch::spawn(store.clone(), &events, stopping.subscribe());
        webhook_out::spawn(
            store.clone(),
            config.connector_backoff,
            &events,
            stopping.subscribe(),
        );
        api::chat::spawn_followups(store.clone(), &events, stopping.subscribe());
        AppState(Arc::new(Inner {
            store,
            events,
            search,
            config,
            started: Instant::now(),
            stopping,
            auth_cache: cache::TtlCache::new(Duration::from_secs(5)),
            tenant_cache: cache::TtlCache::new(Duration::from_secs(30)),
            login_throttle: cache::Throttle::new(10, Duration::from_secs(15 * 60)),
            published_trees: cache::TtlCache::new(Duration::from_secs(3600)),
            mail_wake,
            chat: Arc::default(),
            imap_wake,
        }))
    }
}

impl AppState {
    /// Starts delivering e-mail replies through `relay`. Without it, replies
    /// stay queued (and say so on the conversation) until a relay is set.
    pub fn start_mail_relay(&self, relay: mail_out::RelayConfig) {
        mail_out::spawn(
            self.store.clone(),
            relay,
            &self.events,
            self.stopping.subscribe(),
        );
    }
}

pub fn router(state: AppState) -> Router {
    let body_limit = state.config.body_limit_bytes;
    Router::new()
        .merge(api::routes())
        .merge(ui::routes())
        .merge(ops::routes())
        .layer(axum::middleware::from_fn(ops::track_metrics))
        .layer(axum::extract::DefaultBodyLimit::max(body_limit))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

/// Serves until `shutdown` resolves, then stops accepting and lets in-flight
/// requests finish (open SSE streams are closed after a short grace period).
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use axum::serve::ListenerExt;
    let app = router(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
    // Small writes (an SSE event, a short JSON answer) go out at once rather
    // than waiting behind Nagle's algorithm for the client's delayed ACK.
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = ?e, "could not set TCP_NODELAY");
        }
    });
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown.await;
            state.stopping.send_replace(true);
            tokio::time::sleep(Duration::from_millis(50)).await;
        })
        .await
}
