//! Parsing of untrusted text into normalised values. Each function returns the
//! canonical form or a message a person can act on.

use crate::model::IdentityKind;

pub const MAX_SUBJECT: usize = 300;
pub const MAX_BODY: usize = 100_000;
pub const MAX_NAME: usize = 200;
pub const MAX_TAG: usize = 50;
pub const MAX_TAGS: usize = 20;
pub const MIN_PASSWORD: usize = 10;

/// Trimmed, non-empty text of at most `max` characters.
pub fn text(value: &str, max: usize) -> Result<String, String> {
    let t = value.trim();
    if t.is_empty() {
        return Err("must not be empty".into());
    }
    if t.chars().count() > max {
        return Err(format!("must be at most {max} characters"));
    }
    if t.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err("must not contain control characters".into());
    }
    Ok(t.to_string())
}

/// A lower-cased e-mail address with one `@`, a local part and a dotted domain.
pub fn email(value: &str) -> Result<String, String> {
    let v = value.trim().to_lowercase();
    let msg = || format!("'{}' is not an e-mail address", value.trim());
    if v.len() > 254 || v.chars().any(char::is_whitespace) {
        return Err(msg());
    }
    let (local, domain) = v.split_once('@').ok_or_else(msg)?;
    if local.is_empty()
        || domain.contains('@')
        || !domain.contains('.')
        || domain.starts_with('.')
        || domain.ends_with('.')
        || domain.contains("..")
    {
        return Err(msg());
    }
    Ok(v)
}

/// An E.164 number: `+`, a country code not starting with 0, 8 to 15 digits in
/// all. Spaces, dots, dashes and parentheses are accepted as separators.
pub fn phone_e164(value: &str) -> Result<String, String> {
    let v = value.trim();
    let msg = || format!("'{v}' is not an international number like +33612345678");
    let rest = v.strip_prefix('+').ok_or_else(msg)?;
    let mut digits = String::with_capacity(16);
    for c in rest.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '.' | '-' | '(' | ')' => {}
            _ => return Err(msg()),
        }
    }
    if !(8..=15).contains(&digits.len()) || digits.starts_with('0') {
        return Err(msg());
    }
    Ok(format!("+{digits}"))
}

/// A number as a PBX or a customer types it, to E.164: international forms
/// (`+33…`, `0033…`) as they are, and a national form (`06 12 34 56 78`,
/// one trunk `0` dropped) read in the country whose calling code is
/// `country_code` (the site's or the brand's), e.g. `"33"`. This is how a
/// call's caller id finds the customer whose card says `+33612345678`.
pub fn phone_e164_in(value: &str, country_code: &str) -> Result<String, String> {
    let v = value.trim();
    // Separators first, so "(02) …" shows its trunk 0.
    let compact: String = v
        .chars()
        .filter(|c| !matches!(c, ' ' | '.' | '-' | '(' | ')'))
        .collect();
    if compact.starts_with('+') {
        return phone_e164(&compact);
    }
    if let Some(rest) = compact.strip_prefix("00") {
        return phone_e164(&format!("+{rest}"));
    }
    let cc = country_code.trim().trim_start_matches('+');
    if cc.is_empty()
        || cc.len() > 3
        || !cc.bytes().all(|b| b.is_ascii_digit())
        || cc.starts_with('0')
    {
        return Err(format!(
            "'{country_code}' is not a country calling code like 33"
        ));
    }
    let national = compact.strip_prefix('0').unwrap_or(&compact);
    phone_e164(&format!("+{cc}{national}"))
        .map_err(|_| format!("'{v}' is not a phone number (national or like +33612345678)"))
}

/// A social handle as `network:@handle`, lower-cased, e.g. `twitter:@jdupont`.
pub fn social_handle(value: &str) -> Result<String, String> {
    let v = value.trim().to_lowercase();
    let msg = || format!("'{}' is not a handle like twitter:@name", value.trim());
    let (network, handle) = v.split_once(':').ok_or_else(msg)?;
    let handle = handle.trim_start_matches('@');
    let ok_part = |s: &str, max: usize| {
        !s.is_empty()
            && s.len() <= max
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-')
    };
    if !ok_part(network, 30) || !ok_part(handle, 100) {
        return Err(msg());
    }
    Ok(format!("{network}:@{handle}"))
}

pub fn identity(kind: IdentityKind, value: &str) -> Result<String, String> {
    match kind {
        IdentityKind::Email => email(value),
        IdentityKind::Phone => phone_e164(value),
        IdentityKind::Social => social_handle(value),
    }
}

/// A URL-safe tenant slug: lower-case letters, digits and dashes.
pub fn slug(value: &str) -> Result<String, String> {
    let v = value.trim();
    let ok = (2..=40).contains(&v.len())
        && v.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !v.starts_with('-')
        && !v.ends_with('-');
    if ok {
        Ok(v.to_string())
    } else {
        Err("must be 2–40 lower-case letters, digits or dashes".into())
    }
}

/// A tag: lower-cased, spaces become dashes, letters (any script), digits, `-` and `_`.
pub fn tag(value: &str) -> Result<String, String> {
    let v = value.trim().to_lowercase().replace(' ', "-");
    if v.is_empty() || v.chars().count() > MAX_TAG {
        return Err(format!("a tag must have 1–{MAX_TAG} characters"));
    }
    if !v
        .chars()
        .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
    {
        return Err(format!(
            "tag '{v}' may only hold letters, digits, '-' and '_'"
        ));
    }
    Ok(v)
}

/// Normalises a tag list: each tag validated, duplicates dropped, order kept.
pub fn tags(values: &[String]) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for v in values {
        let t = tag(v)?;
        if !out.contains(&t) {
            out.push(t);
        }
    }
    if out.len() > MAX_TAGS {
        return Err(format!("at most {MAX_TAGS} tags"));
    }
    Ok(out)
}

pub fn password(value: &str) -> Result<(), String> {
    if value.chars().count() < MIN_PASSWORD {
        return Err(format!("must be at least {MIN_PASSWORD} characters"));
    }
    if value.len() > 1024 {
        return Err("must be at most 1024 bytes".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn emails() {
        assert_eq!(
            email("  Jean.Dupont@Example.FR ").unwrap(),
            "jean.dupont@example.fr"
        );
        for bad in [
            "", "a", "a@b", "@b.fr", "a@.fr", "a@b.", "a b@c.fr", "a@b@c.fr", "a@b..fr",
        ] {
            assert!(email(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn national_phones() {
        assert_eq!(
            phone_e164_in("06 12 34 56 78", "33").unwrap(),
            "+33612345678"
        );
        assert_eq!(
            phone_e164_in("0033 6 12 34 56 78", "33").unwrap(),
            "+33612345678"
        );
        assert_eq!(
            phone_e164_in("+61 2 9374 4000", "33").unwrap(),
            "+61293744000"
        );
        assert_eq!(
            phone_e164_in("(02) 9374 4000", "+61").unwrap(),
            "+61293744000"
        );
        assert!(phone_e164_in("06 12", "33").is_err());
        assert!(phone_e164_in("06 12 34 56 78", "0").is_err());
        assert!(phone_e164_in("06 12 34 56 78", "x").is_err());
        assert!(phone_e164_in("anonymous", "33").is_err());
    }

    #[test]
    fn phones() {
        assert_eq!(phone_e164("+33 6 12 34 56 78").unwrap(), "+33612345678");
        assert_eq!(phone_e164("+61 (2) 9374-4000").unwrap(), "+61293744000");
        for bad in [
            "0612345678",
            "+0612345678",
            "+33 6",
            "+33a612345678",
            "+1234567890123456",
        ] {
            assert!(phone_e164(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn handles_and_tags() {
        assert_eq!(
            social_handle("Twitter:@JDupont").unwrap(),
            "twitter:@jdupont"
        );
        assert_eq!(
            social_handle("facebook:marie.l").unwrap(),
            "facebook:@marie.l"
        );
        assert!(social_handle("@nobody").is_err());
        assert_eq!(tag(" Fibre Optique ").unwrap(), "fibre-optique");
        assert_eq!(tag("échéance").unwrap(), "échéance");
        assert!(tag("a,b").is_err());
        assert_eq!(
            tags(&["a".into(), "A".into(), "b".into()]).unwrap(),
            vec!["a", "b"]
        );
    }

    #[test]
    fn text_limits() {
        assert!(text("   ", 10).is_err());
        assert!(text("abcdefghijk", 10).is_err());
        assert!(text("a\u{0}b", 10).is_err());
        assert_eq!(text(" ok\nline ", 10).unwrap(), "ok\nline");
    }

    proptest! {
        #[test]
        fn normalised_values_are_fixed_points(s in "\\PC{0,40}") {
            if let Ok(e) = email(&s) { prop_assert_eq!(email(&e).unwrap(), e); }
            if let Ok(p) = phone_e164(&s) { prop_assert_eq!(phone_e164(&p).unwrap(), p); }
            if let Ok(t) = tag(&s) { prop_assert_eq!(tag(&t).unwrap(), t); }
            if let Ok(h) = social_handle(&s) { prop_assert_eq!(social_handle(&h).unwrap(), h); }
        }

        #[test]
        fn valid_phones_are_plus_and_digits(d in "[1-9][0-9]{7,14}") {
            let p = phone_e164(&format!("+{d}")).unwrap();
            prop_assert!(p[1..].chars().all(|c| c.is_ascii_digit()));
        }
    }
}
