//! IMAP polling: one task per mailbox with IMAP settings fetches new
//! messages and stores each raw in `mail_inbound`, exactly like the SMTP
//! receiver, so the worker threads, deduplicates and dead-letters them the
//! same way. A message is stored before its UID is recorded and before it is
//! marked \Seen: a crash in between fetches it again (and the copy is
//! dropped by Message-ID), never loses it. Failures are written on the
//! mailbox and retried with a backoff; a poller never brings the server down.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_imap::Client;
use futures_util::TryStreamExt;
use plateau_core::channels::mail::{imap_backoff_seconds, imap_resume, ImapResume, ImapSecurity};
use plateau_core::Timestamp;
use plateau_store::mail::{AcceptedMail, ImapConfig};
use plateau_store::Store;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{ClientConfig, RootCertStore};
use tokio_rustls::TlsConnector;
use uuid::Uuid;

use super::MailWake;

/// How often the supervisor looks for mailboxes added or removed by another
/// server process (this one wakes it directly).
const RESCAN: Duration = Duration::from_secs(30);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);
/// One poll, however many messages it fetches, ends within this.
const POLL_TIMEOUT: Duration = Duration::from_secs(10 * 60);
/// Messages fetched per poll at most; the rest wait for the next one, so a
/// huge backlog does not hold one connection for hours.
const MAX_PER_POLL: usize = 500;

/// Wakes the IMAP supervisor and every poller: settings were saved.
#[derive(Clone, Default)]
pub struct ImapWake(Arc<Notify>, Arc<watch::Sender<u64>>);

impl ImapWake {
    pub fn wake(&self) {
        self.0.notify_one();
        self.1.send_modify(|n| *n = n.wrapping_add(1));
    }
}

/// Why a poll failed, as shown to the administrator.
#[derive(Debug)]
pub struct PollError(pub String);

impl fmt::Display for PollError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<async_imap::error::Error> for PollError {
    fn from(e: async_imap::error::Error) -> Self {
        PollError(format!("IMAP: {e}"))
    }
}

impl From<std::io::Error> for PollError {
    fn from(e: std::io::Error) -> Self {
        PollError(format!("connection: {e}"))
    }
}

impl From<plateau_store::StoreError> for PollError {
    fn from(e: plateau_store::StoreError) -> Self {
        PollError(format!("storing: {e}"))
    }
}

trait Io: AsyncRead + AsyncWrite + Unpin + Send + fmt::Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + fmt::Debug> Io for T {}
type Conn = Box<dyn Io>;

/// Starts the supervisor: it keeps one poller per mailbox with IMAP
/// settings, starting new ones when settings are saved.
pub fn spawn(store: Store, mail_wake: MailWake, wake: ImapWake, stopping: watch::Receiver<bool>) {
    tokio::spawn(async move {
        let mut running: HashMap<(Uuid, String), JoinHandle<()>> = HashMap::new();
        let mut stop = stopping.clone();
        loop {
            running.retain(|_, h| !h.is_finished());
            match store.all_mailbox_imaps().await {
                Ok(list) => {
                    for cfg in list {
                        let key = (cfg.tenant_id, cfg.address.clone());
                        if running.contains_key(&key) {
                            continue;
                        }
                        let handle = tokio::spawn(poller(
                            store.clone(),
                            mail_wake.clone(),
                            wake.1.subscribe(),
                            cfg.tenant_id,
                            cfg.address,
                            stopping.clone(),
                        ));
                        running.insert(key, handle);
                    }
                }
                Err(e) => tracing::warn!(error = %e, "imap: could not list mailboxes"),
            }
            tokio::select! {
                _ = wake.0.notified() => {}
                _ = tokio::time::sleep(RESCAN) => {}
                _ = stop.changed() => return,
            }
        }
    });
}

/// Polls one mailbox until its IMAP settings are removed or the server stops.
async fn poller(
    store: Store,
    mail_wake: MailWake,
    mut settings_changed: watch::Receiver<u64>,
    tenant_id: Uuid,
    address: String,
    mut stopping: watch::Receiver<bool>,
) {
    loop {
        let cfg = match store.mailbox_imap(tenant_id, &address).await {
            Ok(Some(c)) => c,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(error = %e, %address, "imap: could not read settings");
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(10)) => continue,
                    _ = stopping.changed() => return,
                }
            }
        };
        let wait = wait_before_poll(&cfg, Timestamp::now());
        if !wait.is_zero() {
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                // New settings (a corrected password) are tried at once.
                _ = settings_changed.changed() => continue,
                _ = stopping.changed() => return,
            }
            continue;
        }
        let outcome = tokio::select! {
            r = tokio::time::timeout(POLL_TIMEOUT, poll_once(&store, &mail_wake, &cfg)) => r,
            _ = stopping.changed() => return,
        };
        let error = match outcome {
            Ok(Ok(n)) => {
                if n > 0 {
                    tracing::info!(%address, fetched = n, "imap: fetched");
                }
                None
            }
            Ok(Err(e)) => Some(e.0),
            Err(_) => Some(format!(
                "the poll took longer than {} minutes",
                POLL_TIMEOUT.as_secs() / 60
            )),
        };
        if let Some(e) = &error {
            tracing::warn!(%address, error = %e, "imap: poll failed");
        }
        if let Err(e) = store
            .imap_polled(tenant_id, &address, error.as_deref())
            .await
        {
            tracing::warn!(error = %e, %address, "imap: could not record the poll");
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(10)) => {}
                _ = stopping.changed() => return,
            }
        }
    }
}

/// How long until the next poll is due: the interval after a success, the
/// backoff after failures, nothing for a mailbox never polled.
fn wait_before_poll(cfg: &ImapConfig, now: Timestamp) -> Duration {
    let Some(last) = cfg.last_polled_at else {
        return Duration::ZERO;
    };
    let every = if cfg.failures > 0 {
        imap_backoff_seconds(cfg.settings.poll_seconds, cfg.failures)
    } else {
        cfg.settings.poll_seconds
    };
    let due = last.0.saturating_add(every.saturating_mul(1_000_000));
    Duration::from_micros(u64::try_from(due - now.0).unwrap_or(0))
}

fn tls_connector(ca_pem: Option<&str>) -> Result<TlsConnector, PollError> {
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(pem) = ca_pem {
        for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
            let cert = cert.map_err(|e| PollError(format!("the extra CA certificate: {e}")))?;
            roots
                .add(cert)
                .map_err(|e| PollError(format!("the extra CA certificate: {e}")))?;
        }
    }
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| PollError(format!("TLS: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(TlsConnector::from(Arc::new(config)))
}

async fn tls(tcp: Conn, cfg: &ImapConfig) -> Result<Conn, PollError> {
    let connector = tls_connector(cfg.settings.ca_pem.as_deref())?;
    let name = ServerName::try_from(cfg.settings.host.clone())
        .map_err(|e| PollError(format!("TLS: {e}")))?;
    let stream = connector
        .connect(name, tcp)
        .await
        .map_err(|e| PollError(format!("TLS: {e}")))?;
    Ok(Box::new(stream))
}

/// Connects, reads the greeting, secures the connection as configured and
/// logs in.
async fn connect(cfg: &ImapConfig) -> Result<async_imap::Session<Conn>, PollError> {
    let s = &cfg.settings;
    let tcp = tokio::time::timeout(
        CONNECT_TIMEOUT,
        TcpStream::connect((s.host.as_str(), s.port)),
    )
    .await
    .map_err(|_| PollError(format!("connection to {}:{} timed out", s.host, s.port)))?
    .map_err(|e| PollError(format!("connection to {}:{}: {e}", s.host, s.port)))?;
    let _ = tcp.set_nodelay(true);
    let tcp: Conn = Box::new(tcp);
    let greeted = |mut client: Client<Conn>| async move {
        match client.read_response().await? {
            Some(_) => Ok::<_, PollError>(client),
            None => Err(PollError("the server closed the connection".into())),
        }
    };
    let client = match s.security {
        ImapSecurity::Tls => greeted(Client::new(tls(tcp, cfg).await?)).await?,
        ImapSecurity::Plain => greeted(Client::new(tcp)).await?,
        ImapSecurity::StartTls => {
            let mut plain = greeted(Client::new(tcp)).await?;
            plain.run_command_and_check_ok("STARTTLS", None).await?;
            Client::new(tls(plain.into_inner(), cfg).await?)
        }
    };
    client
        .login(&s.username, &s.password)
        .await
        .map_err(|(e, _)| PollError(format!("login refused: {e}")))
}

/// One poll: fetches what is new in the folder and stores it. Returns how
/// many messages were stored.
pub async fn poll_once(
    store: &Store,
    mail_wake: &MailWake,
    cfg: &ImapConfig,
) -> Result<usize, PollError> {
    let mut session = connect(cfg).await?;
    let folder = session.select(&cfg.settings.folder).await?;
    let validity = folder
        .uid_validity
        .ok_or_else(|| PollError("the server gave no UIDVALIDITY for the folder".into()))?;
    let resume = imap_resume(cfg.uid_validity, cfg.last_uid, validity);
    let mut uids: Vec<u32> = match resume {
        ImapResume::Unseen => session.uid_search("UNSEEN").await?.into_iter().collect(),
        // `n:*` always matches the last message, even below n.
        ImapResume::After(n) => session
            .uid_search(format!("UID {}:*", n.saturating_add(1)))
            .await?
            .into_iter()
            .filter(|u| *u > n)
            .collect(),
    };
    uids.sort_unstable();
    uids.truncate(MAX_PER_POLL);
    let mut stored = 0usize;
    let mut highest = 0u32;
    for uid in uids {
        let raw = {
            let fetches: Vec<_> = session
                .uid_fetch(uid.to_string(), "(UID RFC822.SIZE BODY.PEEK[])")
                .await?
                .try_collect()
                .await?;
            let Some(f) = fetches.into_iter().find(|f| f.uid == Some(uid)) else {
                // Expunged between the search and the fetch.
                continue;
            };
            match f.body() {
                Some(b) => b.to_vec(),
                None => continue,
            }
        };
        let (subject, message_id) = super::smtp::quick_header(&raw);
        let from = quick_from(&raw);
        store
            .accept_mail(AcceptedMail {
                tenant_id: cfg.tenant_id,
                source: "imap",
                envelope_from: &from,
                envelope_to: &cfg.address,
                message_id: message_id.as_deref(),
                subject: &subject,
                raw: &raw,
            })
            .await?;
        stored += 1;
        highest = highest.max(uid);
        mail_wake.wake();
        if let ImapResume::After(_) = resume {
            store
                .imap_advance(cfg.tenant_id, &cfg.address, validity, uid, 1)
                .await?;
        }
        session
            .uid_store(uid.to_string(), "+FLAGS.SILENT (\\Seen)")
            .await?
            .try_collect::<Vec<_>>()
            .await?;
    }
    if let ImapResume::Unseen = resume {
        // From now on every message after the folder's current end is new,
        // read or not.
        let end = folder.uid_next.map_or(0, |n| n.saturating_sub(1));
        store
            .imap_advance(
                cfg.tenant_id,
                &cfg.address,
                validity,
                end.max(highest),
                i64::try_from(stored).unwrap_or(i64::MAX),
            )
            .await?;
    }
    let _ = session.logout().await;
    Ok(stored)
}

/// The From header as written, to label the stored row until it is parsed.
fn quick_from(raw: &[u8]) -> String {
    let head_end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(raw.len().min(64 * 1024));
    String::from_utf8_lossy(&raw[..head_end])
        .lines()
        .find(|l| l.len() >= 5 && l[..5].eq_ignore_ascii_case("from:"))
        .map(|l| l[5..].trim().chars().take(254).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use plateau_core::channels::mail::{ImapSecurity, ImapSettings};

    fn cfg(last: Option<i64>, failures: i64) -> ImapConfig {
        ImapConfig {
            address: "s@example.com".into(),
            tenant_id: Uuid::nil(),
            settings: ImapSettings {
                host: "h".into(),
                port: 993,
                security: ImapSecurity::Tls,
                username: "u".into(),
                password: "p".into(),
                folder: "INBOX".into(),
                poll_seconds: 60,
                ca_pem: None,
            },
            uid_validity: None,
            last_uid: 0,
            last_polled_at: last.map(Timestamp),
            last_ok_at: None,
            last_error: None,
            failures,
            fetched: 0,
        }
    }

    #[test]
    fn the_next_poll_waits_the_interval_or_the_backoff() {
        let now = Timestamp(1_000_000_000);
        assert_eq!(wait_before_poll(&cfg(None, 0), now), Duration::ZERO);
        assert_eq!(
            wait_before_poll(&cfg(Some(now.0 - 10_000_000), 0), now),
            Duration::from_secs(50)
        );
        assert_eq!(
            wait_before_poll(&cfg(Some(now.0 - 10_000_000), 2), now),
            Duration::from_secs(230)
        );
        assert_eq!(
            wait_before_poll(&cfg(Some(now.0 - 100_000_000), 0), now),
            Duration::ZERO
        );
    }

    #[test]
    fn the_from_label_is_read_off_the_header_only() {
        assert_eq!(
            quick_from(b"Subject: x\r\nFROM: A <a@b.c>\r\n\r\nFrom: body"),
            "A <a@b.c>"
        );
        assert_eq!(quick_from(b"Subject: x\r\n\r\n"), "");
    }
}
