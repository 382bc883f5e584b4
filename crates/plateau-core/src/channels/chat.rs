//! The web chat's wire protocol and limits: which frames a widget may send,
//! how each is checked before anything is stored, and the per-session rate
//! limit. The WebSocket handler in plateau-web does the I/O and calls these.

use serde::{Deserialize, Serialize};

use crate::validate;

/// A frame larger than this closes the session with `frame_too_large`.
pub const MAX_FRAME_BYTES: usize = 8 * 1024;
/// A chat message's text, after trimming (well under the frame size).
pub const MAX_MESSAGE_CHARS: usize = 4000;
/// Messages a session may send in a burst, then one every `REFILL_MS`.
pub const BURST: u32 = 10;
pub const REFILL_MS: i64 = 1000;
/// Live chat connections one client address may hold at once.
pub const MAX_SESSIONS_PER_IP: usize = 20;

/// What a widget sends, as JSON `{"type": …}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientFrame {
    /// The first frame: a stored `token` resumes that session; `name` and
    /// `email` (both optional) say who the customer is.
    Hello {
        #[serde(default)]
        token: Option<String>,
        #[serde(default)]
        name: Option<String>,
        #[serde(default)]
        email: Option<String>,
        #[serde(default)]
        lang: Option<String>,
    },
    /// `client_id` is echoed in the acknowledgement so the widget can match it.
    Message {
        text: String,
        #[serde(default)]
        client_id: Option<String>,
    },
    Typing {
        #[serde(default = "yes")]
        active: bool,
    },
    Read {
        #[serde(default)]
        message_id: Option<String>,
    },
    Bye,
}

fn yes() -> bool {
    true
}

/// Why a frame was refused; `code` is what the widget receives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameError {
    pub code: &'static str,
    pub message: String,
    /// The session must end (the frame broke the protocol's size rule).
    pub fatal: bool,
}

impl FrameError {
    fn new(code: &'static str, message: impl Into<String>) -> Self {
        FrameError {
            code,
            message: message.into(),
            fatal: false,
        }
    }
}

/// Reads one text frame: size first (nothing of an oversized frame is
/// parsed), then JSON, then the frame's shape.
pub fn parse_frame(text: &str) -> Result<ClientFrame, FrameError> {
    if text.len() > MAX_FRAME_BYTES {
        return Err(FrameError {
            fatal: true,
            ..FrameError::new(
                "frame_too_large",
                format!("a frame may hold at most {MAX_FRAME_BYTES} bytes"),
            )
        });
    }
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| FrameError::new("bad_json", format!("not JSON: {e}")))?;
    let kind = value.get("type").and_then(|t| t.as_str()).unwrap_or("");
    if !["hello", "message", "typing", "read", "bye"].contains(&kind) {
        return Err(FrameError::new(
            "unknown_type",
            format!("unknown frame type '{kind}'"),
        ));
    }
    serde_json::from_value(value).map_err(|e| FrameError::new("bad_frame", e.to_string()))
}

/// A message's text, trimmed; empty, too long or control characters are refused.
pub fn message_text(text: &str) -> Result<String, FrameError> {
    validate::text(text, MAX_MESSAGE_CHARS).map_err(|m| FrameError::new("bad_message", m))
}

/// Who the customer says they are, checked: a name (may be empty: the
/// conversation then shows a generic one) and an optional e-mail address.
pub fn visitor(
    name: Option<&str>,
    email: Option<&str>,
) -> Result<(String, Option<String>), FrameError> {
    let name = name.map(str::trim).unwrap_or("");
    if name.chars().count() > validate::MAX_NAME || name.chars().any(char::is_control) {
        return Err(FrameError::new("bad_name", "the name is too long"));
    }
    let email = match email.map(str::trim).filter(|e| !e.is_empty()) {
        None => None,
        Some(e) => Some(validate::email(e).map_err(|m| FrameError::new("bad_email", m))?),
    };
    Ok((name.to_string(), email))
}

/// A token bucket: `BURST` messages at once, then one per `REFILL_MS`.
/// Time is an input (milliseconds), so the rule is tested without waiting.
#[derive(Debug, Clone)]
pub struct RateLimit {
    tokens: f64,
    last_ms: i64,
    burst: f64,
    refill_ms: f64,
}

impl RateLimit {
    pub fn new(now_ms: i64) -> Self {
        Self::with(BURST, REFILL_MS, now_ms)
    }

    pub fn with(burst: u32, refill_ms: i64, now_ms: i64) -> Self {
        RateLimit {
            tokens: f64::from(burst),
            last_ms: now_ms,
            burst: f64::from(burst),
            refill_ms: refill_ms.max(1) as f64,
        }
    }

    /// Takes one token if there is one.
    pub fn allow(&mut self, now_ms: i64) -> bool {
        let elapsed = (now_ms - self.last_ms).max(0) as f64;
        self.tokens = (self.tokens + elapsed / self.refill_ms).min(self.burst);
        self.last_ms = now_ms.max(self.last_ms);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// What the server tells a widget, as JSON `{"type": …}`.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    Welcome {
        session_id: String,
        /// Only on a new session: the widget stores it to resume.
        #[serde(skip_serializing_if = "Option::is_none")]
        token: Option<String>,
        resumed: bool,
        open: bool,
        /// RFC 3339, when the brand reopens (closed only).
        #[serde(skip_serializing_if = "Option::is_none")]
        reopens_at: Option<String>,
        /// The conversation so far (resumed sessions).
        history: Vec<ChatLine>,
    },
    /// A message of the conversation: the customer's own (acknowledged,
    /// stored) or an advisor's reply.
    Message {
        #[serde(flatten)]
        line: ChatLine,
        #[serde(skip_serializing_if = "Option::is_none")]
        client_id: Option<String>,
    },
    Typing {
        active: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        name: Option<String>,
    },
    AgentJoined {
        name: String,
    },
    Closed {
        reason: String,
    },
    Error {
        code: String,
        message: String,
    },
    /// The brand is closed: the message was left and follow-up is by e-mail.
    Offline {
        #[serde(skip_serializing_if = "Option::is_none")]
        reopens_at: Option<String>,
        email_required: bool,
    },
}

/// One message as the widget shows it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ChatLine {
    pub id: String,
    /// `customer` or `agent`.
    pub from: String,
    pub text: String,
    /// RFC 3339.
    pub at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn frames_are_read_by_type() {
        assert_eq!(
            parse_frame(r#"{"type":"message","text":"Bonjour"}"#).unwrap(),
            ClientFrame::Message {
                text: "Bonjour".into(),
                client_id: None
            }
        );
        assert_eq!(
            parse_frame(r#"{"type":"typing"}"#).unwrap(),
            ClientFrame::Typing { active: true }
        );
        assert_eq!(parse_frame(r#"{"type":"bye"}"#).unwrap(), ClientFrame::Bye);
        assert!(matches!(
            parse_frame(r#"{"type":"hello","token":"abc","email":"a@b.fr"}"#).unwrap(),
            ClientFrame::Hello { token: Some(t), .. } if t == "abc"
        ));
    }

    #[test]
    fn bad_frames_have_their_own_codes() {
        assert_eq!(parse_frame("not json").unwrap_err().code, "bad_json");
        assert_eq!(parse_frame("[1,2]").unwrap_err().code, "unknown_type");
        assert_eq!(
            parse_frame(r#"{"type":"shout"}"#).unwrap_err().code,
            "unknown_type"
        );
        assert_eq!(
            parse_frame(r#"{"type":"message"}"#).unwrap_err().code,
            "bad_frame"
        );
        assert_eq!(
            parse_frame(r#"{"type":"message","text":"x","extra":1}"#)
                .unwrap_err()
                .code,
            "bad_frame"
        );
        let big = format!(
            r#"{{"type":"message","text":"{}"}}"#,
            "a".repeat(MAX_FRAME_BYTES)
        );
        let e = parse_frame(&big).unwrap_err();
        assert_eq!(e.code, "frame_too_large");
        assert!(e.fatal);
        assert!(!parse_frame("{").unwrap_err().fatal);
    }

    #[test]
    fn message_text_and_visitor_are_checked() {
        assert_eq!(message_text("  salut  ").unwrap(), "salut");
        assert_eq!(message_text("   ").unwrap_err().code, "bad_message");
        assert_eq!(
            message_text(&"é".repeat(MAX_MESSAGE_CHARS + 1))
                .unwrap_err()
                .code,
            "bad_message"
        );
        assert_eq!(
            visitor(Some(" Léa "), Some(" Lea@Example.FR ")).unwrap(),
            ("Léa".into(), Some("lea@example.fr".into()))
        );
        assert_eq!(visitor(None, Some("")).unwrap(), (String::new(), None));
        assert_eq!(
            visitor(None, Some("not-an-address")).unwrap_err().code,
            "bad_email"
        );
    }

    #[test]
    fn the_rate_limit_allows_a_burst_then_refills() {
        let mut r = RateLimit::with(3, 1000, 0);
        assert!(r.allow(0) && r.allow(0) && r.allow(0));
        assert!(!r.allow(10));
        assert!(!r.allow(900));
        assert!(r.allow(1010));
        assert!(!r.allow(1020));
        // A long pause refills to the burst, never beyond.
        assert!(r.allow(60_000) && r.allow(60_000) && r.allow(60_000));
        assert!(!r.allow(60_000));
    }

    #[test]
    fn server_frames_serialise_with_their_type() {
        let f = ServerFrame::Error {
            code: "bad_json".into(),
            message: "x".into(),
        };
        assert_eq!(
            serde_json::to_value(&f).unwrap(),
            serde_json::json!({"type": "error", "code": "bad_json", "message": "x"})
        );
        let m = ServerFrame::Message {
            line: ChatLine {
                id: "1".into(),
                from: "agent".into(),
                text: "Bonjour".into(),
                at: "2026-01-01T00:00:00Z".into(),
                author: Some("Awa".into()),
            },
            client_id: None,
        };
        let v = serde_json::to_value(&m).unwrap();
        assert_eq!(v["type"], "message");
        assert_eq!(v["from"], "agent");
        assert_eq!(v["author"], "Awa");
    }
}
