//! Markdown written by authors and advisors (tree screens, forum posts) as
//! HTML that is safe to put in a page: raw HTML in the source is shown as
//! text, and links and images keep only schemes that cannot run code.

use pulldown_cmark::{html, CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

/// Schemes a link or image may use; anything else (javascript:, data:,
/// vbscript:, file:…) becomes a dead `#` link so the text still reads.
const SAFE_SCHEMES: &[&str] = &["http", "https", "mailto", "tel"];

fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS
}

/// Renders `source` to HTML. Headings are pushed two levels down (`#`
/// becomes `<h3>`): the text always sits under the page's own headings.
pub fn to_html(source: &str) -> String {
    let events = Parser::new_ext(source, options()).map(|ev| match ev {
        // Raw HTML is the one way markup could smuggle script or styles in;
        // showing it as text keeps what the author typed visible and inert.
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        Event::Start(Tag::HtmlBlock) => Event::Start(Tag::Paragraph),
        Event::End(TagEnd::HtmlBlock) => Event::End(TagEnd::Paragraph),
        Event::Start(Tag::Heading {
            level,
            id,
            classes,
            attrs,
        }) => Event::Start(Tag::Heading {
            level: demote(level),
            id,
            classes,
            attrs,
        }),
        Event::End(TagEnd::Heading(level)) => Event::End(TagEnd::Heading(demote(level))),
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Link {
            link_type,
            dest_url: safe_url(dest_url),
            title,
            id,
        }),
        Event::Start(Tag::Image {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Image {
            link_type,
            dest_url: safe_url(dest_url),
            title,
            id,
        }),
        other => other,
    });
    let mut out = String::with_capacity(source.len() + source.len() / 2);
    html::push_html(&mut out, events);
    out
}

/// The text a reader sees, without markup: what goes into a reply to the
/// customer, who reads plain e-mail or chat. Blocks are separated by blank
/// lines, list items start with "- ".
pub fn to_plain_text(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    for ev in Parser::new_ext(source, options()) {
        match ev {
            Event::Text(t) | Event::Code(t) | Event::Html(t) | Event::InlineHtml(t) => {
                out.push_str(&t)
            }
            Event::SoftBreak | Event::HardBreak => out.push('\n'),
            Event::Start(Tag::Item) => out.push_str("- "),
            Event::End(TagEnd::Item) => out.push('\n'),
            Event::End(
                TagEnd::Paragraph
                | TagEnd::Heading(_)
                | TagEnd::CodeBlock
                | TagEnd::BlockQuote(_)
                | TagEnd::List(_)
                | TagEnd::TableRow
                | TagEnd::TableHead,
            ) if !out.ends_with("\n\n") => {
                out.push_str(if out.ends_with('\n') { "\n" } else { "\n\n" });
            }
            Event::End(TagEnd::TableCell) => out.push('\t'),
            Event::TaskListMarker(done) => out.push_str(if done { "[x] " } else { "[ ] " }),
            _ => {}
        }
    }
    out.trim().to_string()
}

fn demote(level: HeadingLevel) -> HeadingLevel {
    match level {
        HeadingLevel::H1 => HeadingLevel::H3,
        HeadingLevel::H2 => HeadingLevel::H4,
        HeadingLevel::H3 => HeadingLevel::H5,
        _ => HeadingLevel::H6,
    }
}

/// Keeps relative URLs and the [`SAFE_SCHEMES`]. Browsers ignore tabs, line
/// breaks and leading spaces inside a scheme (`java\tscript:`), so the
/// scheme is read with those removed.
fn safe_url(url: CowStr<'_>) -> CowStr<'_> {
    let cleaned: String = url
        .chars()
        .filter(|c| !c.is_ascii_control() && !c.is_whitespace())
        .take(64)
        .collect();
    let scheme_end = cleaned.find(':');
    let path_start = cleaned.find(['/', '?', '#']);
    let scheme = match (scheme_end, path_start) {
        (Some(colon), Some(path)) if path < colon => None,
        (Some(colon), _) => Some(cleaned[..colon].to_ascii_lowercase()),
        (None, _) => None,
    };
    match scheme {
        None => url,
        Some(s) if SAFE_SCHEMES.contains(&s.as_str()) => url,
        Some(_) => CowStr::Borrowed("#"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_the_common_markup() {
        let html = to_html("# Box\n\nRestart the **box**, then *wait*.\n\n- one\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |\n");
        assert!(html.contains("<h3>Box</h3>"), "{html}");
        assert!(html.contains("<strong>box</strong>"), "{html}");
        assert!(html.contains("<em>wait</em>"), "{html}");
        assert!(html.contains("<li>two</li>"), "{html}");
        assert!(html.contains("<td>2</td>"), "{html}");
    }

    #[test]
    fn raw_html_is_shown_as_text() {
        for src in [
            "<script>alert(1)</script>",
            "Hello <img src=x onerror=alert(1)> there",
            "<div onclick=\"x()\">\nblock\n</div>",
            "<style>body{display:none}</style>",
        ] {
            let html = to_html(src);
            assert!(!html.contains("<script"), "{src} → {html}");
            assert!(!html.contains("<img"), "{src} → {html}");
            assert!(!html.contains("<div"), "{src} → {html}");
            assert!(!html.contains("<style"), "{src} → {html}");
            assert!(html.contains("&lt;"), "{src} → {html}");
        }
    }

    #[test]
    fn links_keep_only_safe_schemes() {
        for bad in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "java\tscript:alert(1)",
            " javascript:alert(1)",
            "data:text/html;base64,PHNjcmlwdD4=",
            "vbscript:msgbox",
        ] {
            let html = to_html(&format!("[x](<{bad}>) ![i](<{bad}>)"));
            assert!(
                !html.to_ascii_lowercase().contains("script:"),
                "{bad} → {html}"
            );
            assert!(!html.contains("data:"), "{bad} → {html}");
            assert!(html.contains("href=\"#\""), "{bad} → {html}");
        }
        for good in [
            "https://help.example/wifi",
            "/t/orbitel/kb/12",
            "#step",
            "mailto:a@b.c",
            "tel:+33100000000",
            "page?a=b:c",
        ] {
            let html = to_html(&format!("[x]({good})"));
            assert!(
                html.contains(&format!("href=\"{good}\"")),
                "{good} → {html}"
            );
        }
    }

    #[test]
    fn plain_text_drops_the_markup() {
        let text = to_plain_text("# Box\n\nRestart the **box**.\n\n- one\n- two\n\n<b>raw</b>");
        assert_eq!(
            text,
            "Box\n\nRestart the box.\n\n- one\n- two\n\n<b>raw</b>"
        );
    }
}
