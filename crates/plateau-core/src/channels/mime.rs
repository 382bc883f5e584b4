//! Reading a raw RFC 5322 message into what the desk needs: the headers that
//! classify and thread it, the customer's words as text, the HTML as sent
//! (the web layer sanitises it before anyone sees it) and the attachments.
//!
//! Parsing is mail-parser's; this module decides what to keep and refuses
//! what cannot become a message, with a reason an administrator can act on.

use mail_parser::{Address, HeaderName, HeaderValue, MessageParser, MimeHeaders, PartType};

use super::mail::{normalise_address, normalise_message_id, MailHeaders};

/// The largest message the receivers accept (SMTP `SIZE`, IMAP fetch).
pub const MAX_MESSAGE_BYTES: usize = 25 * 1024 * 1024;
/// Attachments beyond this count are kept in the raw message only.
pub const MAX_ATTACHMENTS: usize = 50;

/// How large attachments may be once decoded. A message over a limit is not
/// taken apart: it becomes a dead letter saying which attachment and by how
/// much, so an administrator can raise the limit and replay it, or download
/// it. Dropping the attachment silently would lose what the customer sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MailLimits {
    pub max_attachment_bytes: usize,
    pub max_attachments_total_bytes: usize,
}

impl Default for MailLimits {
    fn default() -> Self {
        MailLimits {
            max_attachment_bytes: 20 * 1024 * 1024,
            max_attachments_total_bytes: 25 * 1024 * 1024,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailAttachment {
    pub file_name: String,
    pub content_type: String,
    pub data: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundMail {
    pub headers: MailHeaders,
    /// The display name of the sender, when the header carries one.
    pub from_name: Option<String>,
    /// Every recipient in To and Cc, normalised.
    pub recipients: Vec<String>,
    /// The message as text: the text part, or the HTML part turned into text
    /// when the sender wrote HTML only. Never empty: a message without any
    /// body gets a placeholder so the conversation still shows it arrived.
    pub text: String,
    /// The HTML part as sent. Unsafe until sanitised.
    pub html: Option<String>,
    pub attachments: Vec<MailAttachment>,
    /// `Date:` in Unix seconds, when present and readable.
    pub date: Option<i64>,
}

/// Why a message cannot be read. Each becomes a dead letter with this text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MimeError {
    #[error("the message is empty")]
    Empty,
    #[error("the message is larger than {} MiB", MAX_MESSAGE_BYTES / (1024 * 1024))]
    TooLarge,
    #[error("the message has no header block that can be read")]
    Unreadable,
    #[error("the message has no From address")]
    NoSender,
    #[error(
        "the attachment '{name}' is {size} bytes, over the limit of {limit} bytes per attachment"
    )]
    AttachmentTooLarge {
        name: String,
        size: usize,
        limit: usize,
    },
    #[error("the attachments total {size} bytes, over the limit of {limit} bytes per message")]
    AttachmentsTooLarge { size: usize, limit: usize },
}

/// The placeholder body of a message that had none (an empty mail with an
/// attachment is common: "see attached").
pub const EMPTY_BODY: &str = "(no text)";

/// Reads a message with the default attachment limits.
pub fn parse(raw: &[u8]) -> Result<InboundMail, MimeError> {
    parse_with(raw, &MailLimits::default())
}

pub fn parse_with(raw: &[u8], limits: &MailLimits) -> Result<InboundMail, MimeError> {
    if raw.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(MimeError::Empty);
    }
    if raw.len() > MAX_MESSAGE_BYTES {
        return Err(MimeError::TooLarge);
    }
    let msg = MessageParser::default()
        .parse(raw)
        .ok_or(MimeError::Unreadable)?;
    if msg.headers().is_empty() {
        return Err(MimeError::Unreadable);
    }
    let (from, from_name) = first_address(msg.from())
        .or_else(|| first_address(msg.sender()))
        .ok_or(MimeError::NoSender)?;

    let text_header = |name: &str| -> Option<String> {
        msg.header_raw(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let root_type = msg.root_part().content_type();
    let headers = MailHeaders {
        message_id: msg.message_id().and_then(normalise_message_id),
        in_reply_to: id_list(msg.in_reply_to()),
        references: id_list(msg.references()),
        subject: msg.subject().unwrap_or_default().trim().to_string(),
        from: Some(from),
        return_path: msg
            .header_raw(HeaderName::ReturnPath)
            .map(|v| v.trim().to_string()),
        auto_submitted: text_header("Auto-Submitted"),
        precedence: text_header("Precedence"),
        x_autoreply: ["X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress"]
            .iter()
            .any(|h| msg.header_raw(*h).is_some()),
        list_id: text_header("List-Id"),
        content_type: root_type.map(|ct| match &ct.c_subtype {
            Some(sub) => format!("{}/{}", ct.c_type, sub).to_lowercase(),
            None => ct.c_type.to_lowercase(),
        }),
        report_type: root_type
            .and_then(|ct| ct.attribute("report-type"))
            .map(str::to_lowercase),
    };

    let mut recipients = Vec::new();
    for list in [msg.to(), msg.cc()].into_iter().flatten() {
        for a in list.iter() {
            if let Some(addr) = a.address() {
                let n = normalise_address(addr);
                if !recipients.contains(&n) {
                    recipients.push(n);
                }
            }
        }
    }

    // body_html would render a text-only message as HTML; keep only HTML the
    // sender wrote.
    let html = msg.html_part(0).and_then(|p| match &p.body {
        PartType::Html(h) => Some(h.to_string()),
        _ => None,
    });
    // body_text falls back to a text rendering of the HTML part.
    let mut text = msg
        .body_text(0)
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty());
    // A multipart whose closing boundary never came leaves its text part
    // among the attachments: an unnamed text/plain part is the body then.
    let mut body_part = None;
    if text.is_none() {
        for (i, part) in msg.attachments().enumerate() {
            let plain = part.content_type().is_some_and(|ct| {
                ct.c_type.eq_ignore_ascii_case("text")
                    && ct
                        .c_subtype
                        .as_deref()
                        .is_none_or(|s| s.eq_ignore_ascii_case("plain"))
            });
            if let (true, None, PartType::Text(t)) = (plain, part.attachment_name(), &part.body) {
                if !t.trim().is_empty() {
                    text = Some(t.trim().to_string());
                    body_part = Some(i);
                    break;
                }
            }
        }
    }
    let text = text.unwrap_or_else(|| EMPTY_BODY.to_string());

    let mut attachments = Vec::new();
    let mut total = 0usize;
    for (i, part) in msg.attachments().enumerate() {
        if body_part == Some(i) {
            continue;
        }
        if attachments.len() == MAX_ATTACHMENTS {
            break;
        }
        let data = match &part.body {
            PartType::Binary(b) | PartType::InlineBinary(b) => b.to_vec(),
            PartType::Text(t) | PartType::Html(t) => t.as_bytes().to_vec(),
            // A forwarded message travels as a file the advisor can open.
            PartType::Message(m) => m.raw_message().to_vec(),
            PartType::Multipart(_) => continue,
        };
        let content_type = part
            .content_type()
            .map(|ct| match &ct.c_subtype {
                Some(sub) => format!("{}/{}", ct.c_type, sub).to_lowercase(),
                None => ct.c_type.to_lowercase(),
            })
            .unwrap_or_else(|| "application/octet-stream".into());
        let file_name = part
            .attachment_name()
            .map(safe_file_name)
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| format!("attachment-{}", i + 1));
        if data.len() > limits.max_attachment_bytes {
            return Err(MimeError::AttachmentTooLarge {
                name: file_name,
                size: data.len(),
                limit: limits.max_attachment_bytes,
            });
        }
        total += data.len();
        if total > limits.max_attachments_total_bytes {
            return Err(MimeError::AttachmentsTooLarge {
                size: total,
                limit: limits.max_attachments_total_bytes,
            });
        }
        attachments.push(MailAttachment {
            file_name,
            content_type,
            data,
        });
    }

    Ok(InboundMail {
        headers,
        from_name,
        recipients,
        text,
        html,
        attachments,
        date: msg.date().map(|d| d.to_timestamp()),
    })
}

fn first_address(a: Option<&Address<'_>>) -> Option<(String, Option<String>)> {
    let first = a?.first()?;
    let addr = normalise_address(first.address()?);
    if !addr.contains('@') {
        return None;
    }
    let name = first
        .name()
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty());
    Some((addr, name))
}

fn id_list(v: &HeaderValue<'_>) -> Vec<String> {
    let raw: Vec<&str> = match v {
        HeaderValue::Text(t) => vec![t.as_ref()],
        HeaderValue::TextList(l) => l.iter().map(|t| t.as_ref()).collect(),
        _ => Vec::new(),
    };
    raw.into_iter().filter_map(normalise_message_id).collect()
}

/// A file name that cannot climb out of a folder or hide its extension:
/// no path separators, no control characters, at most 200 characters.
fn safe_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    base.chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect::<String>()
        .trim()
        .trim_start_matches('.')
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channels::mail::{machine_mail, MachineMail};

    fn crlf(s: &str) -> Vec<u8> {
        s.replace('\n', "\r\n").into_bytes()
    }

    #[test]
    fn a_plain_message_in_latin_1_with_an_encoded_subject() {
        let mut raw = crlf(
            "From: =?ISO-8859-1?Q?Ren=E9e_Dupr=E9?= <Renee.Dupre@Example.FR>\n\
             To: support@orbitel.example, Autre <cc@orbitel.example>\n\
             Subject: =?ISO-8859-1?Q?Ma_box_ne_s'allume_plus_=E0_la_maison?=\n\
             Message-ID: <abc.123@example.fr>\n\
             In-Reply-To: <prev@plateau.example>\n\
             References: <root@plateau.example> <prev@plateau.example>\n\
             Date: Tue, 1 Dec 2026 09:30:00 +0100\n\
             Content-Type: text/plain; charset=ISO-8859-1\n\
             Content-Transfer-Encoding: 8bit\n\n",
        );
        raw.extend_from_slice(
            b"Bonjour, la box clignote en orange depuis hier. Merci d'avance.\xe9\r\n",
        );
        let m = parse(&raw).unwrap();
        assert_eq!(m.headers.from.as_deref(), Some("renee.dupre@example.fr"));
        assert_eq!(m.from_name.as_deref(), Some("Renée Dupré"));
        assert_eq!(m.headers.subject, "Ma box ne s'allume plus à la maison");
        assert_eq!(m.headers.message_id.as_deref(), Some("abc.123@example.fr"));
        assert_eq!(m.headers.in_reply_to, vec!["prev@plateau.example"]);
        assert_eq!(
            m.headers.references,
            vec!["root@plateau.example", "prev@plateau.example"]
        );
        assert_eq!(
            m.recipients,
            vec!["support@orbitel.example", "cc@orbitel.example"]
        );
        assert!(m.text.starts_with("Bonjour, la box clignote"));
        assert!(m.text.ends_with("avance.é"), "{}", m.text);
        assert_eq!(m.date, Some(1_796_113_800));
        assert!(m.html.is_none());
        assert_eq!(machine_mail(&m.headers), None);
    }

    #[test]
    fn html_only_mail_gets_a_text_version_and_keeps_its_html() {
        let raw = crlf(
            "From: a@example.com\nTo: s@orbitel.example\nSubject: hi\n\
             Content-Type: text/html; charset=utf-8\n\n\
             <html><body><p>Hello <b>there</b></p><script>alert(1)</script></body></html>\n",
        );
        let m = parse(&raw).unwrap();
        assert!(m.text.contains("Hello"), "{}", m.text);
        assert!(m.text.contains("there"));
        assert!(m.html.as_deref().unwrap_or("").contains("<script>"));
    }

    #[test]
    fn multipart_alternative_with_a_base64_attachment() {
        let raw = crlf(
            "From: Client <client@example.com>\nTo: s@orbitel.example\nSubject: photo\n\
             MIME-Version: 1.0\n\
             Content-Type: multipart/mixed; boundary=\"outer\"\n\n\
             --outer\n\
             Content-Type: multipart/alternative; boundary=\"inner\"\n\n\
             --inner\n\
             Content-Type: text/plain; charset=utf-8\n\n\
             Voici la photo du voyant.\n\
             --inner\n\
             Content-Type: text/html; charset=utf-8\n\n\
             <p>Voici la <i>photo</i> du voyant.</p>\n\
             --inner--\n\
             --outer\n\
             Content-Type: image/png\n\
             Content-Disposition: attachment; filename=\"../../etc/voyant.png\"\n\
             Content-Transfer-Encoding: base64\n\n\
             iVBORw0KGgo=\n\
             --outer--\n",
        );
        let m = parse(&raw).unwrap();
        assert_eq!(m.text, "Voici la photo du voyant.");
        assert!(m.html.as_deref().unwrap_or("").contains("<i>photo</i>"));
        assert_eq!(m.attachments.len(), 1);
        let a = &m.attachments[0];
        assert_eq!(a.file_name, "voyant.png");
        assert_eq!(a.content_type, "image/png");
        assert_eq!(a.data, b"\x89PNG\r\n\x1a\n");
    }

    #[test]
    fn an_out_of_office_and_a_bounce_are_recognised_from_the_parsed_headers() {
        let ooo = crlf(
            "From: a@example.com\nTo: s@orbitel.example\nSubject: Absent\n\
             Auto-Submitted: auto-replied\n\nJe suis absent.\n",
        );
        let m = parse(&ooo).unwrap();
        assert_eq!(machine_mail(&m.headers), Some(MachineMail::AutoReply));

        let bounce = crlf(
            "From: Mail Delivery System <MAILER-DAEMON@mx.example.com>\nTo: s@orbitel.example\n\
             Subject: Undelivered Mail\n\
             Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n\
             --b\nContent-Type: text/plain\n\nThe mail could not be delivered.\n\
             --b\nContent-Type: message/delivery-status\n\nStatus: 5.1.1\n--b--\n",
        );
        let m = parse(&bounce).unwrap();
        assert_eq!(m.headers.content_type.as_deref(), Some("multipart/report"));
        assert_eq!(m.headers.report_type.as_deref(), Some("delivery-status"));
        assert_eq!(machine_mail(&m.headers), Some(MachineMail::Bounce));
    }

    #[test]
    fn unreadable_input_is_refused_with_a_reason() {
        assert_eq!(parse(b"  \r\n"), Err(MimeError::Empty));
        assert_eq!(
            parse(&crlf("To: s@orbitel.example\nSubject: x\n\nbody\n")),
            Err(MimeError::NoSender)
        );
        assert_eq!(
            parse(&crlf("From: not an address\nSubject: x\n\nbody\n")),
            Err(MimeError::NoSender)
        );
        let huge = vec![b'a'; MAX_MESSAGE_BYTES + 1];
        assert_eq!(parse(&huge), Err(MimeError::TooLarge));
    }

    #[test]
    fn attachments_over_the_limits_are_refused_with_a_reason() {
        let raw = crlf(
            "From: a@example.com\nSubject: x\nContent-Type: multipart/mixed; boundary=\"b\"\n\n\
             --b\nContent-Type: text/plain\n\nSee attached.\n\
             --b\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename=\"a.bin\"\n\n\
             0123456789\n\
             --b\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename=\"b.bin\"\n\n\
             0123456789\n--b--\n",
        );
        let ok = parse_with(
            &raw,
            &MailLimits {
                max_attachment_bytes: 10,
                max_attachments_total_bytes: 20,
            },
        )
        .unwrap();
        assert_eq!(ok.attachments.len(), 2);
        let one = parse_with(
            &raw,
            &MailLimits {
                max_attachment_bytes: 9,
                max_attachments_total_bytes: 100,
            },
        );
        assert_eq!(
            one.unwrap_err().to_string(),
            "the attachment 'a.bin' is 10 bytes, over the limit of 9 bytes per attachment"
        );
        let total = parse_with(
            &raw,
            &MailLimits {
                max_attachment_bytes: 10,
                max_attachments_total_bytes: 19,
            },
        );
        assert_eq!(
            total.unwrap_err(),
            MimeError::AttachmentsTooLarge {
                size: 20,
                limit: 19
            }
        );
    }

    #[test]
    fn an_unclosed_multipart_still_gives_its_text() {
        let m = parse(&crlf(
            "From: a@example.com\nSubject: x\nContent-Type: multipart/mixed; boundary=\"b\"\n\n\
             --b\nContent-Type: text/plain\n\nThe end never comes.\n",
        ))
        .unwrap();
        assert_eq!(m.text, "The end never comes.");
        assert!(m.attachments.is_empty());
    }

    #[test]
    fn an_empty_body_gets_the_placeholder() {
        let m = parse(&crlf("From: a@example.com\nSubject: x\n\n")).unwrap();
        assert_eq!(m.text, EMPTY_BODY);
    }

    #[test]
    fn file_names_cannot_escape_or_hide() {
        assert_eq!(safe_file_name("..\\..\\x.exe"), "x.exe");
        assert_eq!(safe_file_name(".bashrc"), "bashrc");
        assert_eq!(safe_file_name("a\u{0}b\nc.txt"), "abc.txt");
    }
}
