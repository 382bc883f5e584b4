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
}
