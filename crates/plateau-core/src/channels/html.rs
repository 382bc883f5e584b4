//! The HTML of an e-mail made safe to show: an allow-list sanitiser (ammonia)
//! removes scripts, event handlers, `javascript:` links, forms and frames,
//! and remote images are blocked (they tell the sender when and where the
//! mail was read); only inline `data:` and `cid:` images keep their source.

use std::borrow::Cow;
use std::collections::HashSet;

/// The largest HTML part kept for display; longer HTML is shown as text only.
pub const MAX_HTML_BYTES: usize = 2 * 1024 * 1024;

/// Sanitised HTML, or None when nothing is left to show or it is too long.
pub fn sanitise(html: &str) -> Option<String> {
    if html.len() > MAX_HTML_BYTES {
        return None;
    }
    let clean = ammonia::Builder::default()
        .add_tags(["center", "font"])
        .add_generic_attributes(["align", "bgcolor", "color", "width", "height", "border"])
        .add_tag_attributes("img", ["src", "alt", "width", "height"])
        .url_schemes(HashSet::from([
            "http", "https", "mailto", "tel", "data", "cid",
        ]))
        .attribute_filter(|element, attribute, value| match (element, attribute) {
            ("img", "src") => {
                let v = value.trim_start().to_ascii_lowercase();
                (v.starts_with("data:image/") || v.starts_with("cid:"))
                    .then_some(Cow::Borrowed(value))
            }
            // Links may only leave for the web, mail and phone; data: is for images.
            (_, "href") if value.trim_start().to_ascii_lowercase().starts_with("data:") => None,
            _ => Some(Cow::Borrowed(value)),
        })
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean(html)
        .to_string();
    let visible = clean.trim();
    (!visible.is_empty()).then(|| visible.to_string())
}

/// A complete document for a sandboxed `<iframe srcdoc>`: the sanitised
/// HTML behind a policy that forbids scripts and any remote load, in case
/// the sanitiser ever let something through.
pub fn frame_document(sanitised: &str) -> String {
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data: cid:; style-src 'unsafe-inline'\">\
         <base target=\"_blank\"></head><body>{sanitised}</body></html>"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_handlers_and_javascript_links_are_removed() {
        let out = sanitise(
            "<p onclick=\"steal()\" onmouseover='x()'>Hello <b>there</b></p>\
             <script>alert(1)</script><SCRIPT src=//evil.example/x.js></SCRIPT>\
             <a href=\"javascript:alert(1)\">click</a> <a href=\" JaVaScRiPt:alert(2)\">again</a>\
             <a href=\"https://help.example/faq\">faq</a>\
             <iframe src=\"https://evil.example\"></iframe><form action=\"https://evil.example\"><input name=p></form>\
             <style>body{background:url(https://track.example/p.gif)}</style>\
             <svg onload=alert(3)></svg><img src=x onerror=alert(4)>",
        )
        .unwrap();
        let lower = out.to_ascii_lowercase();
        for banned in [
            "<script",
            "onclick",
            "onmouseover",
            "onload",
            "onerror",
            "javascript:",
            "<iframe",
            "<form",
            "<input",
            "<style",
            "track.example",
            "evil.example",
            "<svg",
        ] {
            assert!(!lower.contains(banned), "{banned} left in {out}");
        }
        assert!(out.contains("Hello <b>there</b>"), "{out}");
        assert!(out.contains("href=\"https://help.example/faq\""), "{out}");
        assert!(
            out.contains("rel=\"noopener noreferrer nofollow\""),
            "{out}"
        );
    }

    #[test]
    fn remote_images_are_blocked_and_inline_ones_kept() {
        let out = sanitise(
            "<img src=\"https://track.example/open.gif?u=42\" alt=\"pixel\">\
             <img src=\"//cdn.example/logo.png\">\
             <img src=\"cid:logo@orbitel\" alt=\"logo\">\
             <img src=\"data:image/png;base64,iVBORw0KGgo=\">\
             <a href=\"data:text/html,<script>alert(1)</script>\">x</a>",
        )
        .unwrap();
        assert!(!out.contains("track.example"), "{out}");
        assert!(!out.contains("cdn.example"), "{out}");
        assert!(out.contains("src=\"cid:logo@orbitel\""), "{out}");
        assert!(
            out.contains("src=\"data:image/png;base64,iVBORw0KGgo=\""),
            "{out}"
        );
        assert!(!out.contains("data:text/html"), "{out}");
        // The blocked image keeps its description.
        assert!(out.contains("alt=\"pixel\""), "{out}");
    }

    #[test]
    fn empty_or_oversized_html_gives_nothing() {
        assert_eq!(sanitise("<script>only()</script>"), None);
        assert_eq!(sanitise(&"a".repeat(MAX_HTML_BYTES + 1)), None);
        let doc = frame_document("<p>x</p>");
        assert!(doc.contains("default-src 'none'"));
        assert!(doc.ends_with("<body><p>x</p></body></html>"));
    }
}
