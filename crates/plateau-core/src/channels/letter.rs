//! A letter received by post and scanned: which scans are accepted (PDF,
//! PNG or JPEG, recognised by their first bytes rather than by the name or
//! type the browser claims) and the metadata the advisor types in.

use crate::error::{DomainError, Validator};
use crate::validate;

/// The largest scan accepted; the blob store takes files up to this size.
pub const MAX_SCAN_BYTES: usize = 8 * 1024 * 1024;

/// The media type a scan's content shows, or None for anything else.
pub fn scan_type(data: &[u8]) -> Option<&'static str> {
    if data.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if data.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if data.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else {
        None
    }
}

/// The file name extension for a scan's media type.
pub fn extension(media_type: &str) -> &'static str {
    match media_type {
        "application/pdf" => "pdf",
        "image/png" => "png",
        _ => "jpg",
    }
}

/// Checks a scan: not empty, not too big, and a PDF, PNG or JPEG.
pub fn check_scan(data: &[u8]) -> Result<&'static str, DomainError> {
    if data.is_empty() {
        return Err(DomainError::field("scan", "the scan is missing or empty"));
    }
    if data.len() > MAX_SCAN_BYTES {
        return Err(DomainError::field(
            "scan",
            format!(
                "the scan is larger than {} MiB",
                MAX_SCAN_BYTES / (1024 * 1024)
            ),
        ));
    }
    scan_type(data)
        .ok_or_else(|| DomainError::field("scan", "the scan must be a PDF, PNG or JPEG file"))
}

/// What the advisor typed, as received.
#[derive(Debug, Clone, Default)]
pub struct LetterIn {
    pub sender_name: String,
    pub postal_address: String,
    /// `YYYY-MM-DD`.
    pub received_on: String,
    pub reference: String,
    pub summary: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Letter {
    pub sender_name: String,
    pub postal_address: String,
    pub received_on: String,
    /// Empty when the letter quotes none.
    pub reference: String,
    pub summary: String,
}

fn date(v: &str) -> Result<String, String> {
    let t = v.trim();
    let b = t.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    let shaped = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && digits(0..4)
        && digits(5..7)
        && digits(8..10);
    let ok = shaped && {
        let m: u32 = t[5..7].parse().unwrap_or(0);
        let d: u32 = t[8..10].parse().unwrap_or(0);
        (1..=12).contains(&m) && (1..=31).contains(&d)
    };
    if ok {
        Ok(t.to_string())
    } else {
        Err(format!("'{t}' is not a date like 2026-12-03"))
    }
}

impl LetterIn {
    /// Checks every field at once; the reference is the only optional one.
    pub fn validated(&self) -> Result<Letter, DomainError> {
        let mut v = Validator::new();
        let sender_name = v.check(
            "sender_name",
            validate::text(&self.sender_name, validate::MAX_NAME),
        );
        let postal_address = v.check("postal_address", validate::text(&self.postal_address, 500));
        let received_on = v.check("received_on", date(&self.received_on));
        let reference = if self.reference.trim().is_empty() {
            Some(String::new())
        } else {
            v.check("reference", validate::text(&self.reference, 100))
        };
        let summary = v.check("summary", validate::text(&self.summary, validate::MAX_BODY));
        v.finish()?;
        match (sender_name, postal_address, received_on, reference, summary) {
            (
                Some(sender_name),
                Some(postal_address),
                Some(received_on),
                Some(reference),
                Some(summary),
            ) => Ok(Letter {
                sender_name,
                postal_address,
                received_on,
                reference,
                summary,
            }),
            _ => Err(DomainError::field("body", "incomplete letter")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scans_are_known_by_their_first_bytes() {
        assert_eq!(check_scan(b"%PDF-1.7\n...").unwrap(), "application/pdf");
        assert_eq!(check_scan(b"\x89PNG\r\n\x1a\n....").unwrap(), "image/png");
        assert_eq!(
            check_scan(&[0xFF, 0xD8, 0xFF, 0xE0, 0]).unwrap(),
            "image/jpeg"
        );
        assert!(check_scan(b"GIF89a").is_err());
        assert!(check_scan(b"").is_err());
        assert!(check_scan(b"<html>%PDF-").is_err());
        let big = [b"%PDF-".as_slice(), &vec![0u8; MAX_SCAN_BYTES]].concat();
        assert!(check_scan(&big).is_err());
    }

    #[test]
    fn metadata_is_checked_field_by_field() {
        let good = LetterIn {
            sender_name: "Jean Dupont".into(),
            postal_address: "3 rue des Lilas\n75011 Paris".into(),
            received_on: "2026-12-01".into(),
            reference: "".into(),
            summary: "Résiliation de l'abonnement".into(),
        };
        let l = good.validated().unwrap();
        assert_eq!(l.reference, "");
        let bad = LetterIn {
            sender_name: " ".into(),
            received_on: "2026-13-01".into(),
            ..good
        };
        let DomainError::Invalid(errs) = bad.validated().unwrap_err() else {
            panic!()
        };
        let fields: Vec<_> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["sender_name", "received_on"]);
    }
}
