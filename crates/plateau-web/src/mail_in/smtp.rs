//! The built-in SMTP and LMTP receiver (`serve --smtp-listen ADDR`), so that
//! a mail server can relay or forward a brand's support addresses to
//! Plateau. It speaks the part of RFC 5321 (and RFC 2033 for LMTP) a relay
//! uses: EHLO/HELO/LHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT, with SIZE and
//! 8BITMIME. It has no TLS and no authentication: it is meant to listen on
//! loopback or a private network behind the organisation's own MTA.
//!
//! A recipient is accepted only if it is a configured mailbox, so unknown
//! addresses are refused while the sender is still connected. A message is
//! acknowledged (`250`) only once it is stored, one copy per brand it is
//! addressed to; processing happens afterwards (see the parent module).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use plateau_core::channels::mail::normalise_address;
use plateau_core::channels::mime::MAX_MESSAGE_BYTES;
use plateau_store::mail::AcceptedMail;
use plateau_store::Store;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use uuid::Uuid;

use super::MailWake;

/// A command line longer than this is refused (RFC 5321 allows 512).
const MAX_LINE: usize = 4096;
const MAX_RECIPIENTS: usize = 100;
const MAX_CONNECTIONS: usize = 200;
/// RFC 5321 §4.5.3.2 suggests five minutes for each command.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(300);

#[derive(Clone)]
pub struct SmtpConfig {
    /// The name in the greeting and in EHLO replies.
    pub hostname: String,
    /// LMTP instead of SMTP: LHLO, and one reply per recipient after DATA.
    pub lmtp: bool,
    pub max_message_bytes: usize,
}

impl Default for SmtpConfig {
    fn default() -> Self {
        SmtpConfig {
            hostname: "plateau.localhost".into(),
            lmtp: false,
            max_message_bytes: MAX_MESSAGE_BYTES,
        }
    }
}

/// Accepts connections until `stopping` turns true.
pub async fn serve(
    listener: TcpListener,
    store: Store,
    wake: MailWake,
    config: SmtpConfig,
    mut stopping: watch::Receiver<bool>,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let (stream, peer) = tokio::select! {
            r = listener.accept() => r?,
            _ = stopping.changed() => return Ok(()),
        };
        let Ok(permit) = slots.clone().try_acquire_owned() else {
            let mut s = stream;
            let _ = s
                .write_all(b"421 4.3.2 too many connections, try again later\r\n")
                .await;
            continue;
        };
        let (store, wake, config) = (store.clone(), wake.clone(), config.clone());
        tokio::spawn(async move {
            let (r, w) = stream.into_split();
            if let Err(e) = session(r, w, peer, &store, &wake, &config).await {
                tracing::debug!(%peer, error = %e, "smtp session ended");
            }
            drop(permit);
        });
    }
}

/// One recipient that maps to a tenant's mailbox.
struct Rcpt {
    address: String,
    tenant_id: Uuid,
}

#[derive(Debug, PartialEq, Eq)]
enum Command {
    Hello { extended: bool, lmtp: bool },
    Mail { from: String, size: Option<usize> },
    Rcpt { to: String },
    Data,
    Rset,
    Noop,
    Quit,
    Vrfy,
    Unknown,
    Syntax(&'static str),
}

/// Reads a `<path>` after `MAIL FROM:` or `RCPT TO:`; the rest are
/// ESMTP parameters.
fn path_and_params(rest: &str) -> Option<(String, Vec<(String, String)>)> {
    let rest = rest.trim_start();
    let (path, params) = if let Some(stripped) = rest.strip_prefix('<') {
        let end = stripped.find('>')?;
        (&stripped[..end], &stripped[end + 1..])
    } else {
        // Lenient: some clients omit the brackets.
        match rest.find(' ') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        }
    };
    let params = params
        .split_whitespace()
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (k.to_ascii_uppercase(), v.to_string()),
            None => (p.to_ascii_uppercase(), String::new()),
        })
        .collect();
    Some((path.trim().to_string(), params))
}

fn parse_command(line: &str) -> Command {
    let upper = line.to_ascii_uppercase();
    let verb = upper.split_whitespace().next().unwrap_or("");
    match verb {
        "EHLO" => Command::Hello {
            extended: true,
            lmtp: false,
        },
        "HELO" => Command::Hello {
            extended: false,
            lmtp: false,
        },
        "LHLO" => Command::Hello {
            extended: true,
            lmtp: true,
        },
        "MAIL" if upper.starts_with("MAIL FROM:") => match path_and_params(&line[10..]) {
            Some((from, params)) => {
                let size = params
                    .iter()
                    .find(|(k, _)| k == "SIZE")
                    .and_then(|(_, v)| v.parse().ok());
                Command::Mail { from, size }
            }
            None => Command::Syntax("501 5.5.4 syntax: MAIL FROM:<address>"),
        },
        "MAIL" => Command::Syntax("501 5.5.4 syntax: MAIL FROM:<address>"),
        "RCPT" if upper.starts_with("RCPT TO:") => match path_and_params(&line[8..]) {
            Some((to, _)) if !to.is_empty() => Command::Rcpt { to },
            _ => Command::Syntax("501 5.5.4 syntax: RCPT TO:<address>"),
        },
        "RCPT" => Command::Syntax("501 5.5.4 syntax: RCPT TO:<address>"),
        "DATA" => Command::Data,
        "RSET" => Command::Rset,
        "NOOP" => Command::Noop,
        "QUIT" => Command::Quit,
        "VRFY" => Command::Vrfy,
        _ => Command::Unknown,
    }
}

async fn read_line<R: AsyncRead + Unpin>(
    r: &mut BufReader<R>,
    buf: &mut Vec<u8>,
) -> std::io::Result<Option<()>> {
    buf.clear();
    let n = tokio::time::timeout(COMMAND_TIMEOUT, async {
        // Cap the read so a client cannot send an endless line.
        let mut limited = (&mut *r).take(MAX_LINE as u64 + 2);
        limited.read_until(b'\n', buf).await
    })
    .await
    .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "command timeout"))??;
    Ok((n > 0).then_some(()))
}

use tokio::io::AsyncReadExt;

/// Reads the DATA section up to the lone dot, undoing dot-stuffing. Past
/// `limit` bytes it keeps reading (to stay in step with the client) but
/// drops the content and returns None.
async fn read_data<R: AsyncRead + Unpin>(
    r: &mut BufReader<R>,
    limit: usize,
) -> std::io::Result<Option<Vec<u8>>> {
    let mut out = Vec::new();
    let mut over = false;
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = tokio::time::timeout(COMMAND_TIMEOUT, r.read_until(b'\n', &mut line))
            .await
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "data timeout"))??;
        if n == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "connection closed during DATA",
            ));
        }
        if line == b".\r\n" || line == b".\n" {
            return Ok((!over).then_some(out));
        }
        let content = if line.starts_with(b"..") {
            &line[1..]
        } else {
            &line[..]
        };
        if !over {
            if out.len() + content.len() > limit {
                over = true;
                out = Vec::new();
            } else {
                out.extend_from_slice(content);
            }
        }
    }
}

async fn reply<W: AsyncWrite + Unpin>(w: &mut W, text: &str) -> std::io::Result<()> {
    w.write_all(text.as_bytes()).await?;
    w.write_all(b"\r\n").await?;
    w.flush().await
}

async fn session<R, W>(
    r: R,
    mut w: W,
    peer: SocketAddr,
    store: &Store,
    wake: &MailWake,
    config: &SmtpConfig,
) -> std::io::Result<()>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut r = BufReader::new(r);
    let proto = if config.lmtp { "LMTP" } else { "ESMTP" };
    reply(
        &mut w,
        &format!("220 {} Plateau {proto} ready", config.hostname),
    )
    .await?;
    let mut greeted = false;
    let mut from: Option<String> = None;
    let mut rcpts: Vec<Rcpt> = Vec::new();
    let mut buf = Vec::new();
    loop {
        if read_line(&mut r, &mut buf).await?.is_none() {
            return Ok(());
        }
        if buf.len() > MAX_LINE {
            reply(&mut w, "500 5.5.2 line too long").await?;
            // Skip the rest of that line.
            while !buf.ends_with(b"\n") {
                if read_line(&mut r, &mut buf).await?.is_none() {
                    return Ok(());
                }
            }
            continue;
        }
        let line = String::from_utf8_lossy(&buf);
        let line = line.trim_end_matches(['\r', '\n']);
        match parse_command(line) {
            Command::Hello { extended, lmtp } => {
                if lmtp != config.lmtp {
                    let want = if config.lmtp { "LHLO" } else { "EHLO or HELO" };
                    reply(&mut w, &format!("500 5.5.1 this server expects {want}")).await?;
                    continue;
                }
                greeted = true;
                from = None;
                rcpts.clear();
                if extended {
                    reply(
                        &mut w,
                        &format!("250-{} greets {}", config.hostname, peer.ip()),
                    )
                    .await?;
                    reply(&mut w, "250-8BITMIME").await?;
                    reply(&mut w, "250-ENHANCEDSTATUSCODES").await?;
                    reply(&mut w, &format!("250 SIZE {}", config.max_message_bytes)).await?;
                } else {
                    reply(&mut w, &format!("250 {}", config.hostname)).await?;
                }
            }
            Command::Mail { .. } if !greeted => reply(&mut w, "503 5.5.1 say hello first").await?,
            Command::Mail { .. } if from.is_some() => {
                reply(&mut w, "503 5.5.1 sender already given").await?
            }
            Command::Mail { size: Some(n), .. } if n > config.max_message_bytes => {
                reply(
                    &mut w,
                    &format!(
                        "552 5.3.4 message larger than the {} bytes accepted",
                        config.max_message_bytes
                    ),
                )
                .await?
            }
            Command::Mail { from: f, .. } => {
                // The empty path `<>` is how bounces arrive: accepted.
                from = Some(normalise_address(&f));
                rcpts.clear();
                reply(&mut w, "250 2.1.0 sender ok").await?;
            }
            Command::Rcpt { .. } if from.is_none() => reply(&mut w, "503 5.5.1 MAIL first").await?,
            Command::Rcpt { .. } if rcpts.len() >= MAX_RECIPIENTS => {
                reply(&mut w, "452 4.5.3 too many recipients").await?
            }
            Command::Rcpt { to } => {
                let address = normalise_address(&to);
                match store.mailbox(&address).await {
                    Ok(Some(mb)) => {
                        rcpts.push(Rcpt {
                            address,
                            tenant_id: mb.tenant_id,
                        });
                        reply(&mut w, "250 2.1.5 recipient ok").await?;
                    }
                    Ok(None) => {
                        reply(
                            &mut w,
                            &format!("550 5.1.1 <{address}>: no such mailbox here"),
                        )
                        .await?
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "smtp: mailbox lookup failed");
                        reply(&mut w, "451 4.3.0 temporary failure, try again later").await?
                    }
                }
            }
            Command::Data if rcpts.is_empty() => {
                reply(&mut w, "503 5.5.1 no valid recipients").await?
            }
            Command::Data => {
                reply(&mut w, "354 end data with <CR><LF>.<CR><LF>").await?;
                let data = read_data(&mut r, config.max_message_bytes).await?;
                let sender = from.take().unwrap_or_default();
                let taken = std::mem::take(&mut rcpts);
                let Some(raw) = data else {
                    let msg = format!(
                        "552 5.3.4 message larger than the {} bytes accepted",
                        config.max_message_bytes
                    );
                    for _ in 0..if config.lmtp { taken.len() } else { 1 } {
                        reply(&mut w, &msg).await?;
                    }
                    continue;
                };
                let replies = store_message(store, &sender, &taken, &raw).await;
                if config.lmtp {
                    for r in &replies {
                        reply(&mut w, r).await?;
                    }
                } else if replies.iter().all(|r| r.starts_with("250")) {
                    reply(&mut w, "250 2.0.0 message stored").await?;
                } else if replies.iter().any(|r| r.starts_with("250")) {
                    // SMTP has one reply for all recipients; what was stored
                    // stays stored, and the relay retries the whole message:
                    // the duplicate is then dropped by its Message-ID.
                    reply(
                        &mut w,
                        "451 4.3.0 stored for some recipients only, try again",
                    )
                    .await?;
                } else {
                    reply(&mut w, "451 4.3.0 could not store the message, try again").await?;
                }
                wake.wake();
            }
            Command::Rset => {
                from = None;
                rcpts.clear();
                reply(&mut w, "250 2.0.0 reset").await?;
            }
            Command::Noop => reply(&mut w, "250 2.0.0 ok").await?,
            Command::Vrfy => reply(&mut w, "252 2.5.0 cannot verify, send it").await?,
            Command::Quit => {
                reply(&mut w, "221 2.0.0 bye").await?;
                return Ok(());
            }
            Command::Syntax(msg) => reply(&mut w, msg).await?,
            Command::Unknown => reply(&mut w, "500 5.5.2 command not recognised").await?,
        }
    }
}

/// Stores one copy per brand (several recipients of one brand share it) and
/// returns one reply per recipient, in order, as LMTP wants.
async fn store_message(store: &Store, sender: &str, rcpts: &[Rcpt], raw: &[u8]) -> Vec<String> {
    // The subject and Message-ID are read again properly later; here they
    // only label the stored row.
    let (subject, message_id) = quick_header(raw);
    let mut stored: Vec<(Uuid, Result<(), String>)> = Vec::new();
    let mut out = Vec::with_capacity(rcpts.len());
    for r in rcpts {
        let result = match stored.iter().find(|(t, _)| *t == r.tenant_id) {
            Some((_, res)) => res.clone(),
            None => {
                let res = store
                    .accept_mail(AcceptedMail {
                        tenant_id: r.tenant_id,
                        source: "smtp",
                        envelope_from: sender,
                        envelope_to: &r.address,
                        message_id: message_id.as_deref(),
                        subject: &subject,
                        raw,
                    })
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string());
                stored.push((r.tenant_id, res.clone()));
                res
            }
        };
        out.push(match result {
            Ok(()) => format!("250 2.0.0 <{}> stored", r.address),
            Err(e) => {
                tracing::error!(error = %e, "smtp: could not store a message");
                format!(
                    "451 4.3.0 <{}> could not store the message, try again",
                    r.address
                )
            }
        });
    }
    out
}

/// The Subject and Message-ID as written, for the stored row's label only.
pub(crate) fn quick_header(raw: &[u8]) -> (String, Option<String>) {
    let head_end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(raw.len().min(64 * 1024));
    let head = String::from_utf8_lossy(&raw[..head_end]);
    let mut subject = String::new();
    let mut message_id = None;
    for line in head.lines() {
        let lower = line.to_ascii_lowercase();
        if lower.starts_with("subject:") && subject.is_empty() {
            subject = line[8..].trim().chars().take(200).collect();
        } else if lower.starts_with("message-id:") && message_id.is_none() {
            message_id = plateau_core::channels::mail::normalise_message_id(&line[11..]);
        }
    }
    (subject, message_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_read_leniently_but_paths_are_required() {
        assert_eq!(
            parse_command("MAIL FROM:<A@Example.com> SIZE=1200 BODY=8BITMIME"),
            Command::Mail {
                from: "A@Example.com".into(),
                size: Some(1200)
            }
        );
        assert_eq!(
            parse_command("mail from:<>"),
            Command::Mail {
                from: String::new(),
                size: None
            }
        );
        assert_eq!(
            parse_command("RCPT TO:<support@orbitel.example>"),
            Command::Rcpt {
                to: "support@orbitel.example".into()
            }
        );
        assert!(matches!(parse_command("RCPT TO:<>"), Command::Syntax(_)));
        assert!(matches!(parse_command("MAIL"), Command::Syntax(_)));
        assert_eq!(parse_command("HELP"), Command::Unknown);
        assert_eq!(
            parse_command("LHLO relay"),
            Command::Hello {
                extended: true,
                lmtp: true
            }
        );
    }

    #[tokio::test]
    async fn data_is_unstuffed_and_cut_at_the_lone_dot() {
        let input: &[u8] = b"Subject: x\r\n\r\n..leading dot\r\nline\r\n.\r\nQUIT\r\n";
        let mut r = BufReader::new(input);
        let data = read_data(&mut r, 1000).await.unwrap().unwrap();
        assert_eq!(data, b"Subject: x\r\n\r\n.leading dot\r\nline\r\n");
        let mut rest = String::new();
        r.read_to_string(&mut rest).await.unwrap();
        assert_eq!(rest, "QUIT\r\n");
    }

    #[tokio::test]
    async fn oversized_data_is_read_to_the_end_and_dropped() {
        let input: &[u8] = b"0123456789\r\n0123456789\r\n.\r\nNOOP\r\n";
        let mut r = BufReader::new(input);
        assert_eq!(read_data(&mut r, 15).await.unwrap(), None);
        let mut rest = String::new();
        r.read_to_string(&mut rest).await.unwrap();
        assert_eq!(rest, "NOOP\r\n");
    }

    #[test]
    fn the_label_reads_subject_and_message_id() {
        let (s, id) =
            quick_header(b"From: a@b\r\nSubject: Box en panne\r\nMessage-ID: <x@y>\r\n\r\nbody");
        assert_eq!(s, "Box en panne");
        assert_eq!(id.as_deref(), Some("x@y"));
    }
}
