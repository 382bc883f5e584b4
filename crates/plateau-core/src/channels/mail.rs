//! Inbound e-mail: is it from a person or a machine, and which conversation
//! does it continue. Outbound: the threading headers and subject of a reply.
//!
//! Threading follows RFC 5322: `In-Reply-To`, then `References` from the most
//! recent, against the Message-IDs the tenant has seen or sent; when a mail
//! client dropped those headers, the conversation's number in the subject
//! (`[#1234]`, which every reply carries) is the fallback.

use std::borrow::Cow;

/// What the receiver read off a message's header, already decoded by the MIME
/// parser. Field names are the header names; absent headers are None/empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MailHeaders {
    pub message_id: Option<String>,
    pub in_reply_to: Vec<String>,
    /// Oldest first, as written.
    pub references: Vec<String>,
    pub subject: String,
    /// The envelope or header sender address, lower-cased by [`normalise_address`].
    pub from: Option<String>,
    pub return_path: Option<String>,
    pub auto_submitted: Option<String>,
    pub precedence: Option<String>,
    /// Any `X-Autoreply`, `X-Autorespond` or `X-Auto-Response-Suppress` header.
    pub x_autoreply: bool,
    pub list_id: Option<String>,
    /// The top-level media type, e.g. `multipart/report`.
    pub content_type: Option<String>,
    /// Its `report-type` parameter, e.g. `delivery-status`.
    pub report_type: Option<String>,
}

/// Why a message does not open or continue a conversation as a customer's
/// words. Each of these is stored and visible, never silently dropped, but
/// none gets an automatic answer: that is how mail loops start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MachineMail {
    /// A delivery-status report or a mailer daemon: a reply of ours bounced.
    Bounce,
    /// An out-of-office or other automatic answer (RFC 3834 and the usual
    /// vendor headers).
    AutoReply,
    /// A mailing list or bulk sender.
    Bulk,
}

impl MachineMail {
    pub fn as_str(self) -> &'static str {
        match self {
            MachineMail::Bounce => "bounce",
            MachineMail::AutoReply => "auto_reply",
            MachineMail::Bulk => "bulk",
        }
    }
}

/// None for a message a person wrote; otherwise what kind of machine sent it.
/// Bounces are checked first: a bounce is also "auto-submitted", and it is
/// the one that must be tied to the failed reply.
pub fn machine_mail(h: &MailHeaders) -> Option<MachineMail> {
    let lower = |v: &Option<String>| v.as_deref().map(|s| s.trim().to_ascii_lowercase());
    let report = lower(&h.content_type).as_deref() == Some("multipart/report")
        && lower(&h.report_type).as_deref() == Some("delivery-status");
    // RFC 3464 bounces come with an empty envelope sender (`<>`).
    let null_sender = h
        .return_path
        .as_deref()
        .is_some_and(|r| r.trim().trim_matches(['<', '>']).is_empty());
    let daemon = h.from.as_deref().is_some_and(|f| {
        let local = f.split('@').next().unwrap_or("").to_ascii_lowercase();
        local == "mailer-daemon" || local == "postmaster"
    });
    if report || daemon || (null_sender && h.auto_submitted.is_some()) {
        return Some(MachineMail::Bounce);
    }
    // RFC 3834: any value but "no" means a machine sent it.
    if lower(&h.auto_submitted).is_some_and(|v| !v.is_empty() && v != "no") || h.x_autoreply {
        return Some(MachineMail::AutoReply);
    }
    match lower(&h.precedence).as_deref() {
        Some("auto_reply") => return Some(MachineMail::AutoReply),
        Some("bulk" | "list" | "junk") => return Some(MachineMail::Bulk),
        _ => {}
    }
    if h.list_id.is_some() {
        return Some(MachineMail::Bulk);
    }
    None
}

/// A Message-ID without its angle brackets and surrounding space; None when
/// nothing is left or it has no `@` (not an id anyone can reply to).
pub fn normalise_message_id(raw: &str) -> Option<String> {
    let id = raw
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim();
    (id.contains('@') && id.len() <= 998 && !id.chars().any(char::is_whitespace))
        .then(|| id.to_string())
}

/// An address as compared: trimmed, without angle brackets, lower-cased.
/// (The local part is case-sensitive in theory and never in practice.)
pub fn normalise_address(raw: &str) -> String {
    raw.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim()
        .to_lowercase()
}

/// The ids this message answers, most specific first: `In-Reply-To`, then
/// `References` from the newest. Duplicates and malformed ids are left out.
pub fn replied_ids(h: &MailHeaders) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for raw in h.in_reply_to.iter().chain(h.references.iter().rev()) {
        if let Some(id) = normalise_message_id(raw) {
            if !out.contains(&id) {
                out.push(id);
            }
        }
    }
    out
}

/// The conversation number in a subject: `[#1234]`, or `[Anything #1234]`
/// (the brand's name may precede it). The last such token wins, since
/// replies add prefixes and quote older subjects at the front.
pub fn subject_number(subject: &str) -> Option<i64> {
    let mut found = None;
    let mut rest = subject;
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        let Some(close) = after.find(']') else { break };
        let inner = &after[..close];
        if let Some(hash) = inner.rfind('#') {
            let digits = inner[hash + 1..].trim();
            if !digits.is_empty()
                && digits.len() <= 12
                && digits.bytes().all(|b| b.is_ascii_digit())
            {
                found = digits.parse().ok().filter(|n: &i64| *n > 0).or(found);
            }
        }
        rest = &after[close + 1..];
    }
    found
}

/// Where an inbound message goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Thread<C> {
    /// Continues this conversation: `how` says which rule matched.
    Existing { conversation: C, how: ThreadMatch },
    /// Opens a new conversation.
    New,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThreadMatch {
    Header,
    SubjectNumber,
}

/// Finds the conversation a message continues. `by_message_id` looks up a
/// Message-ID the tenant has stored (inbound or sent); `by_number` a
/// conversation number, returning it only if it belongs to the sender, so a
/// stranger cannot write into someone else's conversation by typing its
/// number in a subject.
pub fn thread<C>(
    h: &MailHeaders,
    mut by_message_id: impl FnMut(&str) -> Option<C>,
    mut by_number: impl FnMut(i64) -> Option<C>,
) -> Thread<C> {
    for id in replied_ids(h) {
        if let Some(conversation) = by_message_id(&id) {
            return Thread::Existing {
                conversation,
                how: ThreadMatch::Header,
            };
        }
    }
    if let Some(conversation) = subject_number(&h.subject).and_then(&mut by_number) {
        return Thread::Existing {
            conversation,
            how: ThreadMatch::SubjectNumber,
        };
    }
    Thread::New
}

/// The subject of a reply: one `Re: ` prefix (any `Re:`, `RE:`, `Réf :`,
/// `AW:`, `Fwd:` already there are not stacked), and the conversation's
/// number at the end unless the subject already carries it.
pub fn reply_subject(subject: &str, number: i64) -> String {
    let mut core = subject.trim();
    loop {
        let lower = core.to_lowercase();
        let prefix = [
            "re:", "re :", "réf:", "réf :", "ref:", "aw:", "tr:", "fwd:", "fw:",
        ]
        .iter()
        .find(|p| lower.starts_with(*p));
        match prefix {
            // Prefixes are ASCII but for "é", so byte lengths match the lowered text's
            // only when the original has the same width; take the char count instead.
            Some(p) => {
                let chars = p.chars().count();
                let cut = core
                    .char_indices()
                    .nth(chars)
                    .map_or(core.len(), |(i, _)| i);
                core = core[cut..].trim_start();
            }
            None => break,
        }
    }
    let core: Cow<'_, str> = if core.is_empty() {
        Cow::Borrowed("(no subject)")
    } else {
        Cow::Borrowed(core)
    };
    if subject_number(&core) == Some(number) {
        format!("Re: {core}")
    } else {
        format!("Re: {core} [#{number}]")
    }
}

/// A Message-ID for a message we send: unique (the message's own id) and on
/// the tenant's domain, so replies to it come back threaded.
pub fn outbound_message_id(message: uuid::Uuid, domain: &str) -> String {
    format!(
        "{}@{}",
        message.simple(),
        domain.trim().trim_start_matches('@')
    )
}

/// `References` of a reply: the thread's so far (oldest first), then the
/// message answered; capped to the newest `MAX_REFERENCES` so long threads do
/// not grow headers past what servers accept, always keeping the first (the
/// thread's root, which clients use to group).
pub fn reply_references(thread: &[String], answered: Option<&str>) -> Vec<String> {
    const MAX_REFERENCES: usize = 20;
    let mut all: Vec<String> = Vec::new();
    for id in thread
        .iter()
        .map(String::as_str)
        .chain(answered)
        .filter_map(normalise_message_id)
    {
        if !all.contains(&id) {
            all.push(id);
        }
    }
    if all.len() > MAX_REFERENCES {
        let keep_from = all.len() - (MAX_REFERENCES - 1);
        let mut capped = vec![all[0].clone()];
        capped.extend(all.drain(keep_from..));
        return capped;
    }
    all
}

// ---- IMAP polling ---------------------------------------------------------

/// How the poller reaches an IMAP server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImapSecurity {
    /// TLS from the first byte (port 993).
    Tls,
    /// Plain connection upgraded with STARTTLS before logging in (port 143).
    StartTls,
    /// No encryption: only for a server on the same machine (tests, a local
    /// relay), since the password would travel in clear.
    Plain,
}

impl ImapSecurity {
    pub fn as_str(self) -> &'static str {
        match self {
            ImapSecurity::Tls => "tls",
            ImapSecurity::StartTls => "starttls",
            ImapSecurity::Plain => "plain",
        }
    }

    pub fn parse(raw: &str) -> Option<ImapSecurity> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "tls" => Some(ImapSecurity::Tls),
            "starttls" => Some(ImapSecurity::StartTls),
            "plain" => Some(ImapSecurity::Plain),
            _ => None,
        }
    }

    pub fn default_port(self) -> u16 {
        match self {
            ImapSecurity::Tls => 993,
            ImapSecurity::StartTls | ImapSecurity::Plain => 143,
        }
    }
}

/// The IMAP settings of a mailbox as an administrator typed them.
#[derive(Debug, Clone, Default)]
pub struct ImapInput {
    pub host: String,
    pub port: Option<u16>,
    pub security: String,
    pub username: String,
    /// None keeps the stored password (the API never shows it back).
    pub password: Option<String>,
    pub folder: Option<String>,
    pub poll_seconds: Option<i64>,
    /// An extra trusted certificate authority, PEM, for a self-signed server.
    pub ca_pem: Option<String>,
}

/// Checked IMAP settings, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImapSettings {
    pub host: String,
    pub port: u16,
    pub security: ImapSecurity,
    pub username: String,
    pub password: String,
    pub folder: String,
    pub poll_seconds: i64,
    pub ca_pem: Option<String>,
}

pub const IMAP_MIN_POLL_SECONDS: i64 = 1;
pub const IMAP_MAX_POLL_SECONDS: i64 = 86_400;
pub const IMAP_DEFAULT_POLL_SECONDS: i64 = 60;

/// Checks IMAP settings; `stored_password` is the one already saved, used
/// when the input leaves the password out. Every problem is reported at once,
/// per field.
pub fn imap_settings(
    input: &ImapInput,
    stored_password: Option<&str>,
) -> Result<ImapSettings, Vec<(&'static str, String)>> {
    let mut errors = Vec::new();
    let host = input.host.trim().to_ascii_lowercase();
    if host.is_empty()
        || host.len() > 253
        || !host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
    {
        errors.push((
            "host",
            format!("'{}' is not a host name", input.host.trim()),
        ));
    }
    let security = ImapSecurity::parse(&input.security);
    if security.is_none() {
        errors.push(("security", "must be tls, starttls or plain".to_string()));
    }
    let port = match input.port {
        Some(0) => {
            errors.push(("port", "must be between 1 and 65535".to_string()));
            0
        }
        Some(p) => p,
        None => security.map_or(0, ImapSecurity::default_port),
    };
    let username = input.username.trim().to_string();
    if username.is_empty() || username.len() > 254 || username.chars().any(char::is_control) {
        errors.push(("username", "must be a non-empty login name".to_string()));
    }
    let password = match (&input.password, stored_password) {
        (Some(p), _) if !p.is_empty() => p.clone(),
        (_, Some(p)) => p.to_string(),
        _ => {
            errors.push(("password", "is required".to_string()));
            String::new()
        }
    };
    if password.len() > 1024
        || password
            .chars()
            .any(|c| c == '\r' || c == '\n' || c == '\0')
    {
        errors.push((
            "password",
            "must be at most 1024 characters on one line".to_string(),
        ));
    }
    let folder = input
        .folder
        .as_deref()
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .unwrap_or("INBOX")
        .to_string();
    if folder.len() > 200 || folder.chars().any(char::is_control) {
        errors.push((
            "folder",
            "must be a folder name without control characters".to_string(),
        ));
    }
    let poll_seconds = input.poll_seconds.unwrap_or(IMAP_DEFAULT_POLL_SECONDS);
    if !(IMAP_MIN_POLL_SECONDS..=IMAP_MAX_POLL_SECONDS).contains(&poll_seconds) {
        errors.push((
            "poll_seconds",
            format!("must be between {IMAP_MIN_POLL_SECONDS} and {IMAP_MAX_POLL_SECONDS}"),
        ));
    }
    let ca_pem = input
        .ca_pem
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_string);
    if let Some(pem) = &ca_pem {
        if !pem.contains("-----BEGIN CERTIFICATE-----") || pem.len() > 64 * 1024 {
            errors.push(("ca_pem", "must be one or more PEM certificates".to_string()));
        }
    }
    match security {
        Some(security) if errors.is_empty() => Ok(ImapSettings {
            host,
            port,
            security,
            username,
            password,
            folder,
            poll_seconds,
            ca_pem,
        }),
        _ => Err(errors),
    }
}

/// How long a poller waits after `failures` failed polls in a row: the poll
/// interval, doubled per failure, at most an hour (a wrong password should
/// not lock the account on the server, nor flood the logs).
pub fn imap_backoff_seconds(poll_seconds: i64, failures: i64) -> i64 {
    let base = poll_seconds.max(1);
    let doublings = failures.clamp(0, 12) as u32;
    base.saturating_mul(1 << doublings)
        .min(3_600)
        .max(base.min(3_600))
}

/// Which messages of a folder a poll fetches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImapResume {
    /// The first poll of a folder: the unread messages, not years of history.
    Unseen,
    /// Every message with a UID above this one, read or not: a customer's
    /// mail opened by someone in a mail client is still fetched.
    After(u32),
}

/// Where to resume in a folder. IMAP UIDs only mean something within one
/// UIDVALIDITY: when the server changed it (the folder was recreated), the
/// poll starts again from the unread messages, and anything fetched twice is
/// dropped by its Message-ID.
pub fn imap_resume(
    stored_validity: Option<u32>,
    stored_last_uid: u32,
    server_validity: u32,
) -> ImapResume {
    if stored_validity == Some(server_validity) {
        ImapResume::After(stored_last_uid)
    } else {
        ImapResume::Unseen
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h() -> MailHeaders {
        MailHeaders {
            subject: "Box en panne".into(),
            from: Some("jeanne@example.fr".into()),
            ..MailHeaders::default()
        }
    }

    #[test]
    fn a_person_is_not_a_machine() {
        assert_eq!(machine_mail(&h()), None);
        let mut no = h();
        no.auto_submitted = Some("no".into());
        assert_eq!(machine_mail(&no), None);
    }

    #[test]
    fn machines_are_told_apart() {
        let mut ooo = h();
        ooo.auto_submitted = Some("auto-replied".into());
        assert_eq!(machine_mail(&ooo), Some(MachineMail::AutoReply));
        let mut ms = h();
        ms.x_autoreply = true;
        assert_eq!(machine_mail(&ms), Some(MachineMail::AutoReply));
        let mut prec = h();
        prec.precedence = Some(" Bulk ".into());
        assert_eq!(machine_mail(&prec), Some(MachineMail::Bulk));
        let mut list = h();
        list.list_id = Some("<news.example.com>".into());
        assert_eq!(machine_mail(&list), Some(MachineMail::Bulk));
        let mut dsn = h();
        dsn.content_type = Some("multipart/report".into());
        dsn.report_type = Some("delivery-status".into());
        dsn.auto_submitted = Some("auto-replied".into());
        assert_eq!(machine_mail(&dsn), Some(MachineMail::Bounce));
        let mut daemon = h();
        daemon.from = Some("MAILER-DAEMON@mx.example.fr".into());
        assert_eq!(machine_mail(&daemon), Some(MachineMail::Bounce));
        let mut null = h();
        null.return_path = Some("<>".into());
        null.auto_submitted = Some("auto-generated".into());
        assert_eq!(machine_mail(&null), Some(MachineMail::Bounce));
    }

    #[test]
    fn headers_thread_before_the_subject_and_newest_reference_first() {
        let mut m = h();
        m.references = vec!["<root@a>".into(), "<mid@a>".into(), "<new@a>".into()];
        m.subject = "Re: Box [#7]".into();
        assert_eq!(replied_ids(&m), vec!["new@a", "mid@a", "root@a"]);
        let found = thread(&m, |id| (id == "mid@a").then_some(1), |_| Some(2));
        assert_eq!(
            found,
            Thread::Existing {
                conversation: 1,
                how: ThreadMatch::Header
            }
        );
        let by_subject = thread(&m, |_| None::<i32>, |n| (n == 7).then_some(2));
        assert_eq!(
            by_subject,
            Thread::Existing {
                conversation: 2,
                how: ThreadMatch::SubjectNumber
            }
        );
        // A number that is not the sender's conversation opens a new one.
        assert_eq!(thread(&m, |_| None::<i32>, |_| None), Thread::New);
    }

    #[test]
    fn subject_numbers() {
        assert_eq!(subject_number("Re: Box [#1234]"), Some(1234));
        assert_eq!(subject_number("Re: [Orbitel #12] Box"), Some(12));
        assert_eq!(subject_number("[#1] old, [#2] newer"), Some(2));
        for none in [
            "Box #12",
            "[#]",
            "[#-3]",
            "[#0]",
            "[#12a]",
            "[#1234567890123]",
            "[#12",
        ] {
            assert_eq!(subject_number(none), None, "{none}");
        }
    }

    #[test]
    fn reply_subjects_do_not_stack() {
        assert_eq!(reply_subject("Box en panne", 12), "Re: Box en panne [#12]");
        assert_eq!(reply_subject("RE: Re: Box [#12]", 12), "Re: Box [#12]");
        assert_eq!(reply_subject("Réf : TR: Box", 3), "Re: Box [#3]");
        assert_eq!(reply_subject("  ", 3), "Re: (no subject) [#3]");
    }

    #[test]
    fn message_ids_and_references() {
        assert_eq!(normalise_message_id(" <a.b@c> "), Some("a.b@c".into()));
        assert_eq!(normalise_message_id("<no-at>"), None);
        assert_eq!(normalise_message_id("<a b@c>"), None);
        let id = outbound_message_id(uuid::Uuid::nil(), "@orbitel.example");
        assert_eq!(id, "00000000000000000000000000000000@orbitel.example");
        let thread: Vec<String> = (0..30).map(|i| format!("<m{i}@x>")).collect();
        let refs = reply_references(&thread, Some("<last@x>"));
        assert_eq!(refs.len(), 20);
        assert_eq!(refs[0], "m0@x");
        assert_eq!(refs[19], "last@x");
        assert_eq!(
            reply_references(&["<a@x>".into()], Some("<a@x>")),
            vec!["a@x"]
        );
    }
    #[test]
    fn imap_settings_are_checked_field_by_field() {
        let input = ImapInput {
            host: " Mail.Example.COM ".into(),
            security: "TLS".into(),
            username: "support".into(),
            password: Some("s3cret".into()),
            ..Default::default()
        };
        let s = imap_settings(&input, None).unwrap();
        assert_eq!(s.host, "mail.example.com");
        assert_eq!(s.port, 993);
        assert_eq!(s.security, ImapSecurity::Tls);
        assert_eq!(s.folder, "INBOX");
        assert_eq!(s.poll_seconds, IMAP_DEFAULT_POLL_SECONDS);

        // Leaving the password out keeps the stored one; without one it is required.
        let keep = ImapInput {
            password: None,
            ..input.clone()
        };
        assert_eq!(imap_settings(&keep, Some("old")).unwrap().password, "old");
        let errs = imap_settings(&keep, None).unwrap_err();
        assert_eq!(
            errs.iter().map(|e| e.0).collect::<Vec<_>>(),
            vec!["password"]
        );

        let bad = ImapInput {
            host: "mail example".into(),
            port: Some(0),
            security: "ssl".into(),
            username: " ".into(),
            password: Some("a\nb".into()),
            folder: Some("In\u{7}box".into()),
            poll_seconds: Some(0),
            ca_pem: Some("not a certificate".into()),
        };
        let fields: Vec<_> = imap_settings(&bad, None)
            .unwrap_err()
            .into_iter()
            .map(|e| e.0)
            .collect();
        assert_eq!(
            fields,
            vec![
                "host",
                "security",
                "port",
                "username",
                "password",
                "folder",
                "poll_seconds",
                "ca_pem"
            ]
        );
    }

    #[test]
    fn imap_backoff_doubles_up_to_an_hour_and_uids_reset_with_validity() {
        assert_eq!(imap_backoff_seconds(60, 0), 60);
        assert_eq!(imap_backoff_seconds(60, 1), 120);
        assert_eq!(imap_backoff_seconds(60, 3), 480);
        assert_eq!(imap_backoff_seconds(60, 40), 3_600);
        assert_eq!(imap_backoff_seconds(7_200, 2), 3_600);
        assert_eq!(imap_resume(Some(7), 42, 7), ImapResume::After(42));
        assert_eq!(imap_resume(Some(7), 42, 8), ImapResume::Unseen);
        assert_eq!(imap_resume(None, 0, 7), ImapResume::Unseen);
    }
}
