//! What a PBX posts to the CTI API about a call (offered, ringing, answered,
//! transferred, ended, recording available), the checks each event must
//! pass, and which event may follow which. Numbers must already be E.164
//! (`+33…`): a PBX knows the country it dials from, we do not guess it.

use serde::{Deserialize, Serialize};

use crate::error::{DomainError, Validator};
use crate::{validate, Timestamp};

/// The largest CTI request body accepted, before parsing.
pub const MAX_CTI_BYTES: usize = 64 * 1024;
const MAX_ID: usize = 200;
const MAX_IVR_STEPS: usize = 20;

crate::model::text_enum!(
    /// What happened to a call.
    CallEventKind {
        Offered = "offered",
        Ringing = "ringing",
        Answered = "answered",
        Transferred = "transferred",
        Ended = "ended",
        RecordingAvailable = "recording_available",
    }
);

crate::model::text_enum!(
    /// Where a call stands: the state its last accepted event left it in.
    CallState {
        Offered = "offered",
        Ringing = "ringing",
        Answered = "answered",
        Transferred = "transferred",
        Ended = "ended",
    }
);

crate::model::text_enum!(
    /// Who put the phone down.
    HangupSide { Caller = "caller", Advisor = "advisor", System = "system" }
);

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallEventIn {
    /// The PBX's id of the call, shared by all its events.
    pub call_id: String,
    pub event: String,
    /// RFC 3339 instant the PBX saw the event.
    pub at: String,
    pub caller: String,
    pub dialled: String,
    /// Menu choices in order, e.g. `["2", "1"]`.
    #[serde(default)]
    pub ivr_path: Vec<String>,
    /// `answered`: the advisor's e-mail address or user id.
    #[serde(default)]
    pub advisor: Option<String>,
    /// `transferred`: an advisor (e-mail or id), a queue or a number.
    #[serde(default)]
    pub to: Option<String>,
    /// `ended`: talk time in seconds.
    #[serde(default)]
    pub duration_seconds: Option<i64>,
    /// `ended`: caller, advisor or system.
    #[serde(default)]
    pub hangup: Option<String>,
    /// `recording_available`.
    #[serde(default)]
    pub recording: Option<RecordingIn>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordingIn {
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub blob_key: Option<String>,
    pub duration_seconds: i64,
    /// `mp3`, `wav`, `ogg`, `opus`…
    pub format: String,
    /// Whether the caller agreed to the recording.
    pub consent: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recording {
    /// Exactly one of `url` (http or https) and `blob_key` is set.
    pub url: Option<String>,
    pub blob_key: Option<String>,
    pub duration_seconds: i64,
    pub format: String,
    pub consent: bool,
}

/// An event that passed every check, normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallEvent {
    pub call_id: String,
    pub kind: CallEventKind,
    pub at: Timestamp,
    pub caller: String,
    pub dialled: String,
    pub ivr_path: Vec<String>,
    pub advisor: Option<String>,
    pub to: Option<String>,
    pub duration_seconds: Option<i64>,
    pub hangup: Option<HangupSide>,
    pub recording: Option<Recording>,
}

fn id(v: &str) -> Result<String, String> {
    let t = v.trim();
    if t.is_empty() || t.len() > MAX_ID || t.chars().any(char::is_control) {
        return Err(format!("must be 1 to {MAX_ID} printable characters"));
    }
    Ok(t.to_string())
}

fn number(v: &str) -> Result<String, String> {
    if !v.trim().starts_with('+') {
        return Err(format!(
            "'{}' is not in E.164 form: send the international number, like +33612345678",
            v.trim()
        ));
    }
    validate::phone_e164(v)
}

fn seconds(v: i64) -> Result<i64, String> {
    if (0..=7 * 24 * 3600).contains(&v) {
        Ok(v)
    } else {
        Err("must be a number of seconds between 0 and one week".into())
    }
}

fn recording(r: &RecordingIn, v: &mut Validator) -> Option<Recording> {
    let url = r.url.as_deref().map(str::trim).filter(|u| !u.is_empty());
    let key = r
        .blob_key
        .as_deref()
        .map(str::trim)
        .filter(|k| !k.is_empty());
    let (url, blob_key) = match (url, key) {
        (Some(u), None) => {
            let ok = (u.starts_with("https://") || u.starts_with("http://"))
                && u.len() <= 1000
                && !u.chars().any(|c| c.is_whitespace() || c.is_control());
            if !ok {
                v.push("recording.url", "must be an http(s) URL");
                return None;
            }
            (Some(u.to_string()), None)
        }
        (None, Some(k)) => {
            let ok = k.len() <= 200
                && !k.starts_with('.')
                && k.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'));
            if !ok {
                v.push(
                    "recording.blob_key",
                    "use letters, digits, '-', '_', '.' or '/'",
                );
                return None;
            }
            (None, Some(k.to_string()))
        }
        _ => {
            v.push("recording", "give exactly one of url and blob_key");
            return None;
        }
    };
    let duration_seconds = v.check("recording.duration_seconds", seconds(r.duration_seconds))?;
    let f = r.format.trim().to_ascii_lowercase();
    if f.is_empty() || f.len() > 10 || !f.chars().all(|c| c.is_ascii_alphanumeric()) {
        v.push(
            "recording.format",
            "must be a short format name such as mp3",
        );
        return None;
    }
    Some(Recording {
        url,
        blob_key,
        duration_seconds,
        format: f,
        consent: r.consent,
    })
}

impl CallEventIn {
    /// Checks every field at once and reports each bad one by name; the
    /// fields an event kind needs are required for it.
    pub fn validated(&self) -> Result<CallEvent, DomainError> {
        let mut v = Validator::new();
        let call_id = v.check("call_id", id(&self.call_id));
        let kind = v.check("event", self.event.trim().parse::<CallEventKind>());
        let at = v.check("at", Timestamp::parse_rfc3339(self.at.trim()));
        let caller = v.check("caller", number(&self.caller));
        let dialled = v.check("dialled", number(&self.dialled));
        if self.ivr_path.len() > MAX_IVR_STEPS {
            v.push("ivr_path", format!("at most {MAX_IVR_STEPS} choices"));
        }
        let mut ivr_path = Vec::new();
        for (i, step) in self.ivr_path.iter().enumerate() {
            let s = step.trim();
            if s.is_empty() || s.len() > 20 || s.chars().any(char::is_control) {
                v.push(&format!("ivr_path[{i}]"), "must be 1 to 20 characters");
            } else {
                ivr_path.push(s.to_string());
            }
        }
        let advisor = self
            .advisor
            .as_deref()
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .and_then(|a| v.check("advisor", id(a)));
        let to = self
            .to
            .as_deref()
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .and_then(|a| v.check("to", id(a)));
        let duration_seconds = self
            .duration_seconds
            .and_then(|d| v.check("duration_seconds", seconds(d)));
        let hangup = self
            .hangup
            .as_deref()
            .and_then(|h| v.check("hangup", h.trim().parse::<HangupSide>()));
        let rec = self.recording.as_ref().and_then(|r| recording(r, &mut v));
        match kind {
            Some(CallEventKind::Answered) if advisor.is_none() => v.push(
                "advisor",
                "an answered call names its advisor (e-mail or id)",
            ),
            Some(CallEventKind::Transferred) if to.is_none() => {
                v.push("to", "a transfer says where the call went")
            }
            Some(CallEventKind::Ended) if duration_seconds.is_none() => {
                v.push("duration_seconds", "an ended call gives its duration")
            }
            Some(CallEventKind::RecordingAvailable) if self.recording.is_none() => v.push(
                "recording",
                "give the recording's url or blob_key and metadata",
            ),
            _ => {}
        }
        v.finish()?;
        match (call_id, kind, at, caller, dialled) {
            (Some(call_id), Some(kind), Some(at), Some(caller), Some(dialled)) => Ok(CallEvent {
                call_id,
                kind,
                at,
                caller,
                dialled,
                ivr_path,
                advisor,
                to,
                duration_seconds,
                hangup,
                recording: rec,
            }),
            _ => Err(DomainError::field("body", "incomplete event")),
        }
    }
}

/// Why an event cannot follow the call's state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a call that is {from} cannot become {event}")]
pub struct TransitionError {
    pub from: String,
    pub event: CallEventKind,
}

/// The state after `event`, or why it cannot happen now. `None` is a call
/// we have not heard of: it starts when offered, ringing or answered (a
/// PBX may report only the later steps). An ended call only gains
/// recordings; a transferred call rings or is answered again.
pub fn transition(
    current: Option<CallState>,
    event: CallEventKind,
) -> Result<CallState, TransitionError> {
    use CallEventKind as E;
    use CallState as S;
    let next = match (current, event) {
        (None | Some(S::Offered), E::Offered) => Some(S::Offered),
        (None | Some(S::Offered) | Some(S::Ringing) | Some(S::Transferred), E::Ringing) => {
            Some(S::Ringing)
        }
        (None | Some(S::Offered) | Some(S::Ringing) | Some(S::Transferred), E::Answered) => {
            Some(S::Answered)
        }
        (Some(S::Answered) | Some(S::Transferred), E::Transferred) => Some(S::Transferred),
        (
            Some(S::Offered) | Some(S::Ringing) | Some(S::Answered) | Some(S::Transferred),
            E::Ended,
        ) => Some(S::Ended),
        (Some(S::Ended), E::RecordingAvailable) => Some(S::Ended),
        _ => None,
    };
    next.ok_or_else(|| TransitionError {
        from: current.map_or("unknown".to_string(), |s| s.as_str().to_string()),
        event,
    })
}

/// The IVR path as shown to advisors: `2 › 1`.
pub fn ivr_label(path: &[String]) -> String {
    path.join(" › ")
}

/// A duration as people read it: `12 s`, `3 min 04 s`, `1 h 02 min`.
pub fn duration_label(seconds: i64) -> String {
    let s = seconds.max(0);
    match s {
        0..=59 => format!("{s} s"),
        60..=3599 => format!("{} min {:02} s", s / 60, s % 60),
        _ => format!("{} h {:02} min", s / 3600, (s % 3600) / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(event: &str) -> CallEventIn {
        CallEventIn {
            call_id: "pbx-1".into(),
            event: event.into(),
            at: "2026-12-03T09:00:00Z".into(),
            caller: "+33 6 12 34 56 78".into(),
            dialled: "+33140000000".into(),
            ivr_path: vec!["2".into(), " 1 ".into()],
            advisor: None,
            to: None,
            duration_seconds: None,
            hangup: None,
            recording: None,
        }
    }

    #[test]
    fn a_good_event_is_normalised() {
        let e = sample("offered").validated().unwrap();
        assert_eq!(e.kind, CallEventKind::Offered);
        assert_eq!(e.caller, "+33612345678");
        assert_eq!(e.ivr_path, vec!["2", "1"]);
        assert_eq!(ivr_label(&e.ivr_path), "2 › 1");
    }

    #[test]
    fn national_numbers_and_missing_fields_are_refused_by_name() {
        let mut s = sample("answered");
        s.caller = "06 12 34 56 78".into();
        s.at = "yesterday".into();
        let DomainError::Invalid(errs) = s.validated().unwrap_err() else {
            panic!("not a validation error")
        };
        let fields: Vec<_> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["at", "caller", "advisor"], "{errs:?}");
        assert!(errs[1].message.contains("E.164"));

        let mut s = sample("recording_available");
        s.recording = Some(RecordingIn {
            url: Some("javascript:alert(1)".into()),
            blob_key: None,
            duration_seconds: 30,
            format: "mp3".into(),
            consent: true,
        });
        assert!(s.validated().is_err());
        let mut s = sample("hung_up");
        s.duration_seconds = Some(-1);
        let DomainError::Invalid(errs) = s.validated().unwrap_err() else {
            panic!()
        };
        assert_eq!(errs.len(), 2, "{errs:?}");
    }

    #[test]
    fn transitions_follow_the_call() {
        use CallEventKind as E;
        use CallState as S;
        let mut st = None;
        for e in [
            E::Offered,
            E::Ringing,
            E::Answered,
            E::Transferred,
            E::Ringing,
            E::Answered,
            E::Ended,
            E::RecordingAvailable,
        ] {
            st = Some(transition(st, e).unwrap());
        }
        assert_eq!(st, Some(S::Ended));
        let err = transition(Some(S::Ended), E::Ringing).unwrap_err();
        assert_eq!(
            err.to_string(),
            "a call that is ended cannot become ringing"
        );
        assert!(transition(None, E::Ended).is_err());
        assert!(transition(None, E::Transferred).is_err());
        assert!(transition(Some(S::Ringing), E::RecordingAvailable).is_err());
        assert!(transition(Some(S::Ringing), E::Transferred).is_err());
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration_label(12), "12 s");
        assert_eq!(duration_label(184), "3 min 04 s");
        assert_eq!(duration_label(3720), "1 h 02 min");
    }
}
