//! Highlighted snippets: a passage around the matched words, HTML-escaped,
//! with each match wrapped in `<mark>`. We render the HTML ourselves from
//! tantivy's fragment and ranges, so the escaping and the tag are ours.

use std::collections::BTreeMap;
use std::ops::Range;

use tantivy::schema::Field;
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::TextAnalyzer;
use tantivy::Score;

/// Longest snippet, in characters.
pub const SNIPPET_CHARS: usize = 200;

/// Escapes text for HTML element content and attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

/// Renders `fragment` with `ranges` (byte ranges, sorted, non-overlapping)
/// wrapped in `<mark>`, everything escaped.
pub fn render(fragment: &str, ranges: &[Range<usize>]) -> String {
    let mut out = String::with_capacity(fragment.len() + ranges.len() * 13);
    let mut at = 0;
    for range in ranges {
        let (Some(before), Some(marked)) = (
            fragment.get(at..range.start),
            fragment.get(range.start..range.end),
        ) else {
            // A range off a char boundary would be a tantivy bug; show the
            // text unmarked rather than fail the search.
            continue;
        };
        out.push_str(&escape_html(before));
        out.push_str("<mark>");
        out.push_str(&escape_html(marked));
        out.push_str("</mark>");
        at = range.end;
    }
    out.push_str(&escape_html(fragment.get(at..).unwrap_or("")));
    out
}

/// The first `max_chars` characters of `text`, cut at a word boundary, with
/// an ellipsis when cut: the fallback when nothing matched in the text.
pub fn lead(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return escape_html(text);
    }
    let cut: String = text.chars().take(max_chars).collect();
    let cut = match cut.rfind(char::is_whitespace) {
        Some(i) if i > max_chars / 2 => &cut[..i],
        _ => cut.as_str(),
    };
    format!("{}…", escape_html(cut.trim_end()))
}

/// Makes snippets for one language's analyser and query terms.
pub struct Highlighter {
    snippets: SnippetGenerator,
    titles: SnippetGenerator,
}

impl Highlighter {
    /// `terms` are analysed query terms with their weights.
    pub fn new(terms: BTreeMap<String, Score>, analyzer: TextAnalyzer, field: Field) -> Self {
        Highlighter {
            snippets: SnippetGenerator::new(terms.clone(), analyzer.clone(), field, SNIPPET_CHARS),
            // Titles are short: highlight the whole of it.
            titles: SnippetGenerator::new(terms, analyzer, field, 1000),
        }
    }

    /// The best passage of `text`, or its beginning if no term occurs in it.
    pub fn snippet(&self, text: &str) -> String {
        let snippet = self.snippets.snippet(text);
        if snippet.fragment().is_empty() {
            lead(text, SNIPPET_CHARS)
        } else {
            render(snippet.fragment(), snippet.highlighted())
        }
    }

    /// The whole title with matches marked.
    pub fn title(&self, title: &str) -> String {
        let snippet = self.titles.snippet(title);
        if snippet.fragment().len() == title.len() {
            render(snippet.fragment(), snippet.highlighted())
        } else {
            escape_html(title)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_escapes_and_marks() {
        let html = render("a <b> & box", std::slice::from_ref(&(8..11)));
        assert_eq!(html, "a &lt;b&gt; &amp; <mark>box</mark>");
    }

    #[test]
    fn lead_cuts_on_a_word() {
        assert_eq!(lead("un deux trois quatre", 12), "un deux…");
        assert_eq!(lead("court", 12), "court");
    }
}
