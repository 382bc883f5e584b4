//! `{{placeholder}}` scanning and filling for node text: `{{name}}` reads a
//! form variable, `{{customer.age_band}}` a customer attribute.

use super::model::CustomerAttr;

/// Longest variable name; names are ASCII identifiers so they stay valid as
/// HTML form field names and in CSV exports.
pub const MAX_VAR_NAME: usize = 64;

/// One piece of a text, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece<'a> {
    Literal(&'a str),
    Var(&'a str),
    Customer(CustomerAttr),
    /// `{{` that does not open a well-formed placeholder; kept verbatim.
    Bad(&'a str),
}

/// A variable name: an ASCII identifier that is not the reserved `customer`.
pub fn is_var_name(s: &str) -> bool {
    let mut chars = s.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    first_ok
        && s.len() <= MAX_VAR_NAME
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && s != "customer"
}

/// Splits a text into literals and placeholders.
pub fn pieces(text: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        if start > 0 {
            out.push(Piece::Literal(&rest[..start]));
        }
        let after = &rest[start + 2..];
        match after.find("}}") {
            Some(end) => {
                let inner = after[..end].trim();
                let whole = &rest[start..start + 2 + end + 2];
                let piece = match inner.strip_prefix("customer.") {
                    Some(attr) => CustomerAttr::parse(attr)
                        .map(Piece::Customer)
                        .unwrap_or(Piece::Bad(whole)),
                    None if is_var_name(inner) => Piece::Var(inner),
                    None => Piece::Bad(whole),
                };
                out.push(piece);
                rest = &after[end + 2..];
            }
            None => {
                out.push(Piece::Bad(&rest[start..]));
                rest = "";
            }
        }
    }
    if !rest.is_empty() {
        out.push(Piece::Literal(rest));
    }
    out
}

/// Variable names a text reads, in order of first use.
pub fn variables(text: &str) -> Vec<&str> {
    let mut seen: Vec<&str> = Vec::new();
    for p in pieces(text) {
        if let Piece::Var(v) = p {
            if !seen.contains(&v) {
                seen.push(v);
            }
        }
    }
    seen
}

/// Fills placeholders; one that `lookup` cannot fill stays as written, so
/// the advisor sees that something is missing instead of a silent gap.
pub fn render(text: &str, mut lookup: impl FnMut(&Piece<'_>) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    for p in pieces(text) {
        match &p {
            Piece::Literal(s) | Piece::Bad(s) => out.push_str(s),
            Piece::Var(name) => match lookup(&p) {
                Some(v) => out.push_str(&v),
                None => {
                    out.push_str("{{");
                    out.push_str(name);
                    out.push_str("}}");
                }
            },
            Piece::Customer(a) => match lookup(&p) {
                Some(v) => out.push_str(&v),
                None => {
                    out.push_str("{{customer.");
                    out.push_str(a.as_str());
                    out.push_str("}}");
                }
            },
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scans_variables_customer_attributes_and_bad_placeholders() {
        let p = pieces("Hi {{ name }}, age {{customer.age_band}} {{bad name}} {{x");
        assert_eq!(
            p,
            vec![
                Piece::Literal("Hi "),
                Piece::Var("name"),
                Piece::Literal(", age "),
                Piece::Customer(CustomerAttr::AgeBand),
                Piece::Literal(" "),
                Piece::Bad("{{bad name}}"),
                Piece::Literal(" "),
                Piece::Bad("{{x"),
            ]
        );
        assert_eq!(variables("{{a}} {{b}} {{a}}"), vec!["a", "b"]);
        assert!(!is_var_name("customer"));
        assert!(!is_var_name("1x"));
        assert!(is_var_name("_box2"));
    }

    #[test]
    fn render_keeps_unknown_placeholders_visible() {
        let s = render("{{a}}-{{b}}-{{customer.language}}", |p| match p {
            Piece::Var("a") => Some("1".into()),
            _ => None,
        });
        assert_eq!(s, "1-{{b}}-{{customer.language}}");
    }
}
