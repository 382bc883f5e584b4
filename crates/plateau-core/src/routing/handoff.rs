//! What an advisor asks of the router about a conversation they hold: an
//! escalation up a tier (reason and context) and a callback appointment
//! (number, window, zone). Validated here, without I/O, so the API refuses
//! bad input with every field's error before anything is written.

use crate::error::{DomainError, Validator};
use crate::validate::phone_e164;
use crate::Timestamp;

/// Longest escalation reason, in characters: a sentence, not the context.
pub const MAX_REASON_CHARS: usize = 500;
/// Longest escalation context or callback note, in characters.
pub const MAX_CONTEXT_CHARS: usize = 10_000;

/// A checked escalation request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EscalationRequest {
    pub reason: String,
    pub context: String,
}

/// Reason required (trimmed, at most [`MAX_REASON_CHARS`]); context optional.
pub fn escalation(reason: &str, context: Option<&str>) -> Result<EscalationRequest, DomainError> {
    let mut v = Validator::new();
    let reason = reason.trim();
    if reason.is_empty() {
        v.push("reason", "say why the contact goes up a tier");
    } else if reason.chars().count() > MAX_REASON_CHARS {
        v.push("reason", format!("at most {MAX_REASON_CHARS} characters"));
    }
    let context = context.unwrap_or("").trim();
    if context.chars().count() > MAX_CONTEXT_CHARS {
        v.push("context", format!("at most {MAX_CONTEXT_CHARS} characters"));
    }
    v.finish()?;
    Ok(EscalationRequest {
        reason: reason.to_string(),
        context: context.to_string(),
    })
}

/// A callback request as received: the instants already read by the caller
/// (which knows the time-zone database), or why they could not be.
#[derive(Debug, Clone)]
pub struct CallbackInput<'a> {
    pub phone_number: &'a str,
    pub time_zone: &'a str,
    /// Whether `time_zone` names a zone of the time-zone database.
    pub zone_known: bool,
    pub not_before: Result<Timestamp, String>,
    pub deadline: Result<Timestamp, String>,
    pub note: &'a str,
}

/// A checked callback request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackRequest {
    /// E.164.
    pub phone_number: String,
    pub time_zone: String,
    pub not_before: Timestamp,
    pub deadline: Timestamp,
    pub note: String,
}

/// An E.164 number, a known zone, `not_before` after `now`, a deadline after
/// `not_before`; every problem is reported at once.
pub fn callback(now: Timestamp, input: CallbackInput<'_>) -> Result<CallbackRequest, DomainError> {
    let mut v = Validator::new();
    let phone = v.check("phone_number", phone_e164(input.phone_number));
    let zone = input.time_zone.trim();
    if zone.is_empty() {
        v.push(
            "time_zone",
            "name the customer's time zone, like Europe/Paris",
        );
    } else if !input.zone_known {
        v.push(
            "time_zone",
            format!("'{zone}' is not a time zone like Europe/Paris"),
        );
    }
    let not_before = v.check("not_before", input.not_before);
    let deadline = v.check("deadline", input.deadline);
    if let Some(nb) = not_before {
        if nb <= now {
            v.push("not_before", "must be in the future");
        }
        if let Some(d) = deadline {
            if d <= nb {
                v.push("deadline", "must be after not_before");
            }
        }
    }
    let note = input.note.trim();
    if note.chars().count() > MAX_CONTEXT_CHARS {
        v.push("note", format!("at most {MAX_CONTEXT_CHARS} characters"));
    }
    v.finish()?;
    match (phone, not_before, deadline) {
        (Some(phone_number), Some(not_before), Some(deadline)) => Ok(CallbackRequest {
            phone_number,
            time_zone: zone.to_string(),
            not_before,
            deadline,
            note: note.to_string(),
        }),
        // finish() above returned every missing field as an error.
        _ => Err(DomainError::field("callback", "incomplete")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(e: DomainError) -> Vec<String> {
        match e {
            DomainError::Invalid(v) => v.into_iter().map(|f| f.field).collect(),
            other => panic!("not a validation error: {other:?}"),
        }
    }

    fn input<'a>(nb: i64, dl: i64) -> CallbackInput<'a> {
        CallbackInput {
            phone_number: "+33 6 12 34 56 78",
            time_zone: "Europe/Paris",
            zone_known: true,
            not_before: Ok(Timestamp(nb)),
            deadline: Ok(Timestamp(dl)),
            note: " call after lunch ",
        }
    }

    #[test]
    fn a_good_callback_is_normalised() {
        let c = callback(Timestamp(10), input(20, 30)).unwrap();
        assert_eq!(c.phone_number, "+33612345678");
        assert_eq!(c.note, "call after lunch");
        assert_eq!((c.not_before, c.deadline), (Timestamp(20), Timestamp(30)));
    }

    #[test]
    fn each_bad_field_is_named() {
        let now = Timestamp(100);
        let mut i = input(200, 300);
        i.phone_number = "0612345678";
        assert_eq!(fields(callback(now, i).unwrap_err()), ["phone_number"]);
        let mut i = input(200, 300);
        i.zone_known = false;
        i.time_zone = "Mars/Olympus";
        assert_eq!(fields(callback(now, i).unwrap_err()), ["time_zone"]);
        assert_eq!(
            fields(callback(now, input(50, 300)).unwrap_err()),
            ["not_before"]
        );
        assert_eq!(
            fields(callback(now, input(100, 300)).unwrap_err()),
            ["not_before"],
            "now is not the future"
        );
        assert_eq!(
            fields(callback(now, input(200, 200)).unwrap_err()),
            ["deadline"]
        );
        let mut i = input(200, 300);
        i.deadline = Err("not a date".into());
        assert_eq!(fields(callback(now, i).unwrap_err()), ["deadline"]);
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let i = CallbackInput {
            phone_number: "",
            time_zone: "",
            zone_known: false,
            not_before: Err("missing".into()),
            deadline: Err("missing".into()),
            note: "",
        };
        assert_eq!(
            fields(callback(Timestamp(0), i).unwrap_err()),
            ["phone_number", "time_zone", "not_before", "deadline"]
        );
    }

    #[test]
    fn an_escalation_needs_a_reason() {
        assert_eq!(fields(escalation("  ", None).unwrap_err()), ["reason"]);
        let long = "x".repeat(MAX_REASON_CHARS + 1);
        assert_eq!(fields(escalation(&long, None).unwrap_err()), ["reason"]);
        let e = escalation(" box resynced, still down ", Some(" tried reboot ")).unwrap();
        assert_eq!(e.reason, "box resynced, still down");
        assert_eq!(e.context, "tried reboot");
    }
}
