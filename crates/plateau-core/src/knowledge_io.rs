//! Knowledge-base interchange formats: an article as Markdown with front
//! matter, as an HTML page, or as a CSV row — reading them back into fields
//! and writing them out so that export then import gives the same article.
//! Pure text in, text out: files, products and the store are the caller's.

use crate::knowledge::{ArticleState, Audience};
use crate::model::Language;

/// Largest Markdown or HTML file read: an article is a few kilobytes; a
/// bigger file is something else dropped in the folder by mistake.
pub const MAX_IMPORT_FILE: usize = 1_000_000;
/// Largest CSV file read at once.
pub const MAX_IMPORT_CSV: usize = 100_000_000;
/// The CSV columns, in the order the export writes them.
pub const CSV_COLUMNS: [&str; 10] = [
    "title",
    "language",
    "state",
    "audience",
    "tags",
    "products",
    "issue",
    "environment",
    "resolution",
    "cause",
];

/// An article as an interchange file holds it: products by code, and
/// language, state and audience only when the file says so.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PortableArticle {
    pub title: String,
    pub language: Option<Language>,
    pub state: Option<ArticleState>,
    pub audience: Option<Audience>,
    pub tags: Vec<String>,
    pub products: Vec<String>,
    pub issue: String,
    pub environment: String,
    pub resolution: String,
    pub cause: String,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Section {
    Issue,
    Environment,
    Resolution,
    Cause,
}

/// Folds the accents and case of a heading so `Résolution`, `resolution`
/// and `RESOLUTION` name the same section.
fn fold(s: &str) -> String {
    s.trim()
        .trim_end_matches(':')
        .trim()
        .chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'à' | 'â' => 'a',
            'î' | 'ï' => 'i',
            'ô' => 'o',
            'û' | 'ù' => 'u',
            'ç' => 'c',
            c => c,
        })
        .collect()
}

fn section_named(heading: &str) -> Option<Section> {
    match fold(heading).as_str() {
        "issue" | "probleme" | "symptome" | "symptomes" => Some(Section::Issue),
        "environment" | "environnement" | "contexte" | "context" => Some(Section::Environment),
        "resolution" | "solution" => Some(Section::Resolution),
        "cause" => Some(Section::Cause),
        _ => None,
    }
}

fn heading_of(section: Section, language: Option<Language>) -> &'static str {
    let fr = language != Some(Language::En);
    match (section, fr) {
        (Section::Issue, true) => "Problème",
        (Section::Issue, false) => "Issue",
        (Section::Environment, true) => "Environnement",
        (Section::Environment, false) => "Environment",
        (Section::Resolution, true) => "Résolution",
        (Section::Resolution, false) => "Resolution",
        (Section::Cause, _) => "Cause",
    }
}

impl PortableArticle {
    fn slot(&mut self, s: Section) -> &mut String {
        match s {
            Section::Issue => &mut self.issue,
            Section::Environment => &mut self.environment,
            Section::Resolution => &mut self.resolution,
            Section::Cause => &mut self.cause,
        }
    }

    fn field(&self, s: Section) -> &str {
        match s {
            Section::Issue => &self.issue,
            Section::Environment => &self.environment,
            Section::Resolution => &self.resolution,
            Section::Cause => &self.cause,
        }
    }

    /// Sets one named field from its text form; the error says which field
    /// and what was expected.
    fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        let value = value.trim();
        match key {
            "title" => self.title = value.to_string(),
            "language" | "lang" => {
                self.language = optional(value, "language")?;
            }
            "state" => self.state = optional(value, "state")?,
            "audience" => self.audience = optional(value, "audience")?,
            "tags" => self.tags = list(value),
            "products" => self.products = list(value),
            "issue" => self.issue = value.to_string(),
            "environment" => self.environment = value.to_string(),
            "resolution" => self.resolution = value.to_string(),
            "cause" => self.cause = value.to_string(),
            _ => {}
        }
        Ok(())
    }

    fn finish(mut self) -> Result<PortableArticle, String> {
        self.title = self.title.trim().to_string();
        if self.title.is_empty() {
            return Err("missing title".into());
        }
        for s in [
            Section::Issue,
            Section::Environment,
            Section::Resolution,
            Section::Cause,
        ] {
            let t = self.field(s).trim().to_string();
            *self.slot(s) = t;
        }
        Ok(self)
    }
}

fn optional<T: std::str::FromStr<Err = String>>(
    value: &str,
    what: &str,
) -> Result<Option<T>, String> {
    if value.is_empty() {
        return Ok(None);
    }
    value
        .to_lowercase()
        .parse()
        .map(Some)
        .map_err(|e| format!("invalid {what}: {e}"))
}

/// A list written `a, b`, `a | b` or `[a, b]`; quotes around items are dropped.
fn list(value: &str) -> Vec<String> {
    let v = value.trim();
    let v = v
        .strip_prefix('[')
        .and_then(|x| x.strip_suffix(']'))
        .unwrap_or(v);
    v.split([',', '|'])
        .map(|x| unquote(x.trim()).to_string())
        .filter(|x| !x.is_empty())
        .collect()
}

fn unquote(v: &str) -> &str {
    for q in ['"', '\''] {
        if let Some(inner) = v.strip_prefix(q).and_then(|x| x.strip_suffix(q)) {
            return inner;
        }
    }
    v
}

/// Rejects text that cannot be knowledge: binary content shows as NUL bytes.
fn check_text(text: &str) -> Result<(), String> {
    if text.contains('\0') {
        return Err("contains NUL bytes: not a text file".into());
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Markdown

/// Reads a Markdown article: an optional front matter between `---` lines
/// (`key: value`; unknown keys such as `author` are ignored), the title from
/// the front matter or the first `# ` heading, and the KCS sections under
/// `## Issue` / `## Problème`, `## Environment` / `## Environnement`,
/// `## Resolution` / `## Résolution` and `## Cause`. Text before the first
/// section is the issue when there is no issue section. A line that starts
/// with `\` has it removed: the export escapes lines that would read as headings.
pub fn parse_markdown(text: &str) -> Result<PortableArticle, String> {
    check_text(text)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut a = PortableArticle::default();
    let mut lines = text.lines().peekable();
    if lines.peek().map(|l| l.trim_end()) == Some("---") {
        lines.next();
        let mut closed = false;
        for (n, line) in lines.by_ref().enumerate() {
            if line.trim_end() == "---" {
                closed = true;
                break;
            }
            if line.trim().is_empty() || line.trim_start().starts_with('#') {
                continue;
            }
            let Some((k, v)) = line.split_once(':') else {
                return Err(format!(
                    "front matter line {}: expected `key: value`",
                    n + 2
                ));
            };
            a.set(&k.trim().to_lowercase(), unquote(v.trim()))?;
        }
        if !closed {
            return Err("front matter is not closed by a `---` line".into());
        }
    }
    let mut current: Option<Section> = None;
    let mut seen: Vec<Section> = Vec::new();
    let mut preamble = String::new();
    for line in lines {
        if let Some(h) = line.strip_prefix("# ") {
            if a.title.is_empty() {
                a.title = h.trim().to_string();
            }
            continue;
        }
        if let Some(h) = line.strip_prefix("## ") {
            let Some(s) = section_named(h) else {
                return Err(format!(
                    "unknown section `## {}`: expected Issue/Problème, Environment/Environnement, Resolution/Résolution or Cause",
                    h.trim()
                ));
            };
            if seen.contains(&s) {
                return Err(format!("section `## {}` appears twice", h.trim()));
            }
            seen.push(s);
            current = Some(s);
            continue;
        }
        let line = line.strip_prefix('\\').unwrap_or(line);
        let buf = match current {
            Some(s) => a.slot(s),
            None => &mut preamble,
        };
        buf.push_str(line);
        buf.push('\n');
    }
    if !preamble.trim().is_empty() {
        if seen.contains(&Section::Issue) {
            return Err("text before the first section: put it under a `## ` heading".into());
        }
        a.issue = preamble;
    }
    a.finish()
}

/// Writes one article as Markdown that [`parse_markdown`] reads back the same.
pub fn to_markdown(a: &PortableArticle) -> String {
    let mut out = String::from("---\n");
    out.push_str(&format!("title: {}\n", one_line(&a.title)));
    if let Some(l) = a.language {
        out.push_str(&format!("language: {l}\n"));
    }
    if let Some(s) = a.state {
        out.push_str(&format!("state: {s}\n"));
    }
    if let Some(au) = a.audience {
        out.push_str(&format!("audience: {au}\n"));
    }
    out.push_str(&format!("tags: {}\n", a.tags.join(", ")));
    out.push_str(&format!("products: {}\n", a.products.join(", ")));
    out.push_str("---\n\n");
    out.push_str(&format!("# {}\n", one_line(&a.title)));
    for s in [
        Section::Issue,
        Section::Environment,
        Section::Resolution,
        Section::Cause,
    ] {
        let body = a.field(s);
        if body.is_empty() {
            continue;
        }
        out.push_str(&format!("\n## {}\n\n", heading_of(s, a.language)));
        for line in body.lines() {
            // A body line that looks like a heading (or an escape) would
            // change the structure on the way back in.
            if line.starts_with('#') || line.starts_with('\\') {
                out.push('\\');
            }
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

// ---------------------------------------------------------------------------
// HTML

/// One piece of an HTML document, as far as an article needs it.
#[derive(Debug, PartialEq)]
enum Token {
    Text(String),
    Open(String, Vec<(String, String)>),
    Close(String),
}

/// Splits HTML into text and tags. Comments, doctypes, and the content of
/// `script` and `style` are dropped; entities are decoded. It is lenient
/// like browsers: a stray `<` is text.
fn tokenize(html: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut rest = html;
    while !rest.is_empty() {
        let Some(lt) = rest.find('<') else {
            out.push(Token::Text(decode_entities(rest)));
            break;
        };
        if lt > 0 {
            out.push(Token::Text(decode_entities(&rest[..lt])));
        }
        rest = &rest[lt..];
        if let Some(after) = rest.strip_prefix("<!--") {
            rest = after.find("-->").map(|i| &after[i + 3..]).unwrap_or("");
            continue;
        }
        let Some(end) = tag_end(rest) else {
            // Not a tag ("3 < 4"): the `<` is text.
            out.push(Token::Text("<".into()));
            rest = &rest[1..];
            continue;
        };
        let inner = &rest[1..end];
        let raw = inner;
        rest = &rest[end + 1..];
        if inner.starts_with('!') || inner.starts_with('?') {
            continue;
        }
        let closing = inner.starts_with('/');
        let inner = inner.trim_start_matches('/').trim_end_matches('/');
        let name_len = inner
            .find(|c: char| c.is_whitespace())
            .unwrap_or(inner.len());
        let name = inner[..name_len].to_ascii_lowercase();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric()) {
            out.push(Token::Text(decode_entities(&format!("<{raw}>"))));
            continue;
        }
        if closing {
            out.push(Token::Close(name));
            continue;
        }
        if name == "script" || name == "style" {
            let close = format!("</{name}");
            let lower = rest.to_ascii_lowercase();
            rest = match lower.find(&close) {
                Some(i) => {
                    let after = &rest[i..];
                    after.find('>').map(|j| &after[j + 1..]).unwrap_or("")
                }
                None => "",
            };
            continue;
        }
        out.push(Token::Open(name, attributes(&inner[name_len..])));
    }
    out
}

/// The index of the `>` that ends the tag starting at `s[0] == '<'`,
/// skipping quoted attribute values.
fn tag_end(s: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    for (i, c) in s.char_indices().skip(1) {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '>') => return Some(i),
            (None, '<') => return None,
            _ => {}
        }
    }
    None
}

fn attributes(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = s.trim();
    while !rest.is_empty() {
        let name_end = rest
            .find(|c: char| c == '=' || c.is_whitespace())
            .unwrap_or(rest.len());
        let name = rest[..name_end].to_ascii_lowercase();
        rest = rest[name_end..].trim_start();
        let mut value = String::new();
        if let Some(after) = rest.strip_prefix('=') {
            let after = after.trim_start();
            let (v, r) = match after.chars().next() {
                Some(q @ ('"' | '\'')) => {
                    let body = &after[1..];
                    match body.find(q) {
                        Some(i) => (&body[..i], &body[i + 1..]),
                        None => (body, ""),
                    }
                }
                _ => {
                    let i = after.find(char::is_whitespace).unwrap_or(after.len());
                    (&after[..i], &after[i..])
                }
            };
            value = decode_entities(v);
            rest = r.trim_start();
        }
        if !name.is_empty() {
            out.push((name, value));
        }
    }
    out
}

/// Decodes the named entities an article uses and every numeric one;
/// anything else is left as written.
fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        // Entity names are short; look for the `;` among the next few
        // characters (not bytes: the text after `&` may be accented).
        let end = rest
            .char_indices()
            .take(12)
            .find(|(_, c)| *c == ';')
            .map(|(i, _)| i);
        let decoded = end.and_then(|e| {
            let name = &rest[1..e];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some(' '),
                _ => {
                    let code = if let Some(h) =
                        name.strip_prefix("#x").or_else(|| name.strip_prefix("#X"))
                    {
                        u32::from_str_radix(h, 16).ok()
                    } else {
                        name.strip_prefix('#').and_then(|d| d.parse().ok())
                    };
                    code.and_then(char::from_u32).filter(|c| *c != '\0')
                }
            };
            c.map(|c| (c, e))
        });
        match decoded {
            Some((c, e)) => {
                out.push(c);
                rest = &rest[e + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn is_block(tag: &str) -> bool {
    matches!(
        tag,
        "div"
            | "li"
            | "ul"
            | "ol"
            | "tr"
            | "table"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "pre"
            | "blockquote"
            | "section"
            | "article"
    )
}

/// Reads an HTML article: the title from `<title>` (or the first `<h1>`),
/// sections from `<h2>` headings named as in Markdown, text with every tag
/// stripped (paragraphs and line breaks become lines), and the language,
/// state, audience, tags and products from `<html lang>` and
/// `<meta name="plateau:…">` when present.
pub fn parse_html(html: &str) -> Result<PortableArticle, String> {
    check_text(html)?;
    let mut a = PortableArticle::default();
    let mut title = String::new();
    let mut h1 = String::new();
    let mut heading = String::new();
    let mut in_tag: Option<&'static str> = None;
    let mut current: Option<Section> = None;
    let mut seen: Vec<Section> = Vec::new();
    let mut line = String::new();
    let mut lines: Vec<(Section, String)> = Vec::new();
    let mut end_line = |line: &mut String, current: Option<Section>, force: bool| {
        let l = line.split_whitespace().collect::<Vec<_>>().join(" ");
        if let Some(s) = current {
            if force || !l.is_empty() {
                lines.push((s, l));
            }
        }
        line.clear();
    };
    for tok in tokenize(html) {
        match tok {
            Token::Text(t) => match in_tag {
                Some("title") => title.push_str(&t),
                Some("h1") => h1.push_str(&t),
                Some("h2") => heading.push_str(&t),
                _ => line.push_str(&t),
            },
            Token::Open(name, attrs) => {
                let get = |k: &str| attrs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
                match name.as_str() {
                    "html" => {
                        if let Some(l) = get("lang") {
                            // `fr-FR` is French.
                            let l = l.split(['-', '_']).next().unwrap_or("");
                            a.set("language", l)?;
                        }
                    }
                    "meta" => {
                        if let (Some(n), Some(c)) = (get("name"), get("content")) {
                            if let Some(key) = n.to_ascii_lowercase().strip_prefix("plateau:") {
                                if key != "title" && CSV_COLUMNS[..6].contains(&key) {
                                    a.set(key, c)?;
                                }
                            }
                        }
                    }
                    "title" => in_tag = Some("title"),
                    "h1" => in_tag = Some("h1"),
                    "h2" => {
                        end_line(&mut line, current, false);
                        heading.clear();
                        in_tag = Some("h2");
                    }
                    "p" => end_line(&mut line, current, false),
                    "br" => end_line(&mut line, current, true),
                    t if is_block(t) => end_line(&mut line, current, false),
                    _ => {}
                }
            }
            Token::Close(name) => match name.as_str() {
                "title" | "h1" => in_tag = None,
                "h2" => {
                    in_tag = None;
                    let h = heading.split_whitespace().collect::<Vec<_>>().join(" ");
                    let Some(s) = section_named(&h) else {
                        return Err(format!(
                            "unknown section <h2>{h}</h2>: expected Issue/Problème, Environment/Environnement, Resolution/Résolution or Cause"
                        ));
                    };
                    if seen.contains(&s) {
                        return Err(format!("section <h2>{h}</h2> appears twice"));
                    }
                    seen.push(s);
                    current = Some(s);
                }
                "p" => end_line(&mut line, current, true),
                t if is_block(t) => end_line(&mut line, current, false),
                _ => {}
            },
        }
    }
    end_line(&mut line, current, false);
    for (s, l) in lines {
        let buf = a.slot(s);
        buf.push_str(&l);
        buf.push('\n');
    }
    let title = title.split_whitespace().collect::<Vec<_>>().join(" ");
    a.title = if title.is_empty() {
        h1.split_whitespace().collect::<Vec<_>>().join(" ")
    } else {
        title
    };
    a.finish()
}

/// Escapes text for HTML content and attribute values.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Writes one article as a standalone HTML page that [`parse_html`] reads
/// back the same (each line of a field is a paragraph).
pub fn to_html(a: &PortableArticle) -> String {
    let e = escape_html;
    let lang = a.language.map(|l| l.as_str()).unwrap_or("fr");
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n",
        e(&a.title)
    );
    if let Some(s) = a.state {
        out.push_str(&format!("<meta name=\"plateau:state\" content=\"{s}\">\n"));
    }
    if let Some(au) = a.audience {
        out.push_str(&format!(
            "<meta name=\"plateau:audience\" content=\"{au}\">\n"
        ));
    }
    out.push_str(&format!(
        "<meta name=\"plateau:tags\" content=\"{}\">\n<meta name=\"plateau:products\" content=\"{}\">\n</head>\n<body>\n<h1>{}</h1>\n",
        e(&a.tags.join(", ")),
        e(&a.products.join(", ")),
        e(&a.title)
    ));
    for s in [
        Section::Issue,
        Section::Environment,
        Section::Resolution,
        Section::Cause,
    ] {
        let body = a.field(s);
        if body.is_empty() {
            continue;
        }
        out.push_str(&format!("<h2>{}</h2>\n", heading_of(s, a.language)));
        for line in body.lines() {
            out.push_str(&format!("<p>{}</p>\n", e(line.trim())));
        }
    }
    out.push_str("</body>\n</html>\n");
    out
}

// ---------------------------------------------------------------------------
// CSV

/// Splits CSV text (RFC 4180: `,` separators, `"` quotes doubled inside
/// quoted fields, which may span lines) into records, each with the line it
/// starts on. An unclosed quote is an error for the whole file, since every
/// record after it would be misread.
fn csv_records(text: &str) -> Result<Vec<(usize, Vec<String>)>, String> {
    let mut records = Vec::new();
    let mut record: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut line = 1usize;
    let mut start = 1usize;
    let mut quoted = false;
    let mut quote_line = 0usize;
    let mut chars = text.chars().peekable();
    let mut any = false;
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                '\n' => {
                    line += 1;
                    field.push('\n');
                }
                '\r' if chars.peek() == Some(&'\n') => {}
                c => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.is_empty() => {
                quoted = true;
                quote_line = line;
                any = true;
            }
            ',' => {
                record.push(std::mem::take(&mut field));
                any = true;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                if any || !field.is_empty() {
                    record.push(std::mem::take(&mut field));
                    records.push((start, std::mem::take(&mut record)));
                }
                any = false;
                line += 1;
                start = line;
            }
            c => {
                field.push(c);
                any = true;
            }
        }
    }
    if quoted {
        return Err(format!("line {quote_line}: a quoted field is never closed"));
    }
    if any || !field.is_empty() {
        record.push(field);
        records.push((start, record));
    }
    Ok(records)
}

/// One CSV row: the line it starts on, and the article or why it was rejected.
pub type CsvRow = (usize, Result<PortableArticle, String>);

/// Reads a CSV of articles. The header names the columns (any order, any
/// subset of [`CSV_COLUMNS`] that includes `title`); lists are separated by
/// `|`. An unreadable header or an unknown column fails the whole file; a
/// bad row fails only itself.
pub fn parse_csv(text: &str) -> Result<Vec<CsvRow>, String> {
    check_text(text)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = csv_records(text)?.into_iter();
    let Some((_, header)) = records.next() else {
        return Err("the file is empty: expected a header line".into());
    };
    let header: Vec<String> = header.iter().map(|h| h.trim().to_lowercase()).collect();
    for h in &header {
        if !CSV_COLUMNS.contains(&h.as_str()) {
            return Err(format!(
                "unknown column {h:?} in the header: expected {}",
                CSV_COLUMNS.join(",")
            ));
        }
    }
    if !header.iter().any(|h| h == "title") {
        return Err("the header has no title column".into());
    }
    Ok(records
        .map(|(line, fields)| {
            let row = (|| {
                if fields.len() != header.len() {
                    return Err(format!(
                        "{} fields where the header has {}",
                        fields.len(),
                        header.len()
                    ));
                }
                let mut a = PortableArticle::default();
                for (k, v) in header.iter().zip(fields.iter()) {
                    a.set(k, v)?;
                }
                a.finish()
            })();
            (line, row)
        })
        .collect())
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) || s.starts_with(' ') || s.ends_with(' ') {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The CSV header line, with its line end.
pub fn csv_header() -> String {
    format!("{}\r\n", CSV_COLUMNS.join(","))
}

/// One article as a CSV row, with its line end, under [`csv_header`].
pub fn to_csv_row(a: &PortableArticle) -> String {
    let opt = |s: Option<&str>| s.unwrap_or("").to_string();
    let fields = [
        a.title.clone(),
        opt(a.language.map(|l| l.as_str())),
        opt(a.state.map(|s| s.as_str())),
        opt(a.audience.map(|s| s.as_str())),
        a.tags.join("|"),
        a.products.join("|"),
        a.issue.clone(),
        a.environment.clone(),
        a.resolution.clone(),
        a.cause.clone(),
    ];
    let mut row = fields
        .iter()
        .map(|f| csv_field(f))
        .collect::<Vec<_>>()
        .join(",");
    row.push_str("\r\n");
    row
}

/// A file name for an exported article: its number and an ASCII slug of its title.
pub fn file_stem(number: i64, title: &str) -> String {
    let mut slug = String::new();
    for c in fold(title).chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
        if slug.len() >= 60 {
            break;
        }
    }
    let slug = slug.trim_end_matches('-');
    if slug.is_empty() {
        format!("KB-{number}")
    } else {
        format!("KB-{number}-{slug}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> PortableArticle {
        PortableArticle {
            title: "Internet lent : la box \"fibre\" <v3> & Wi-Fi".into(),
            language: Some(Language::Fr),
            state: Some(ArticleState::Validated),
            audience: Some(Audience::Public),
            tags: vec!["internet".into(), "debit".into()],
            products: vec!["box-fibre".into(), "fibre-max".into()],
            issue: "Ma connexion rame, le soir surtout.".into(),
            environment: "Box fibre, Wi-Fi, ordinateur portable".into(),
            resolution: "Redémarrer la box.\n\n# Pas un titre\nChanger de canal, puis tester \"en câble\".\n\\ fin".into(),
            cause: "Saturation du Wi-Fi.".into(),
        }
    }

    #[test]
    fn markdown_round_trips() {
        let a = sample();
        assert_eq!(parse_markdown(&to_markdown(&a)).unwrap(), a);
        let mut en = a.clone();
        en.language = Some(Language::En);
        en.cause = String::new();
        let md = to_markdown(&en);
        assert!(md.contains("## Resolution") && !md.contains("## Cause"));
        assert_eq!(parse_markdown(&md).unwrap(), en);
    }

    #[test]
    fn html_round_trips_and_escapes() {
        let a = sample();
        let html = to_html(&a);
        assert!(html.contains("&lt;v3&gt; &amp; Wi-Fi"));
        assert!(!html.contains("<v3>"));
        assert_eq!(parse_html(&html).unwrap(), a);
    }

    #[test]
    fn csv_round_trips() {
        let a = sample();
        let mut b = sample();
        b.title = "Second, with a comma".into();
        b.language = None;
        b.tags = vec![];
        let text = format!("{}{}{}", csv_header(), to_csv_row(&a), to_csv_row(&b));
        let rows = parse_csv(&text).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0], (2, Ok(a)));
        // The first record spans lines 2 to 6 (its resolution has line breaks).
        assert_eq!(rows[1], (7, Ok(b)));
    }

    #[test]
    fn markdown_by_hand() {
        let md = "---\ntitle: \"Détartrer la cafetière\"\nlanguage: FR\ntags: [cafe, 'entretien']\nauthor: someone\n---\nLe café coule mal.\n\n## Résolution :\nLancer le détartrage.\n## environnement\nCafetière X2\n";
        let a = parse_markdown(md).unwrap();
        assert_eq!(a.title, "Détartrer la cafetière");
        assert_eq!(a.language, Some(Language::Fr));
        assert_eq!(a.tags, vec!["cafe", "entretien"]);
        assert_eq!(a.issue, "Le café coule mal.");
        assert_eq!(a.resolution, "Lancer le détartrage.");
        assert_eq!(a.environment, "Cafetière X2");
        assert_eq!(a.state, None);
        let a = parse_markdown("\u{feff}# Title only\n\n## Issue\nBroken.").unwrap();
        assert_eq!(
            (a.title.as_str(), a.issue.as_str()),
            ("Title only", "Broken.")
        );
    }

    #[test]
    fn bad_markdown_is_explained() {
        let err = |md: &str| parse_markdown(md).unwrap_err();
        assert_eq!(err("## Issue\nno title"), "missing title");
        assert!(
            err("---\nstate: done\n---\n# T").starts_with("invalid state: unknown value 'done'")
        );
        assert!(err("---\naudience: everyone\n---\n# T").starts_with("invalid audience"));
        assert!(err("---\nlanguage: de\n---\n# T").starts_with("invalid language"));
        assert!(err("---\ntitle: T\n# T").contains("not closed"));
        assert!(err("---\njust words\n---\n# T").contains("expected `key: value`"));
        assert!(err("# T\n## Annexes\nx").starts_with("unknown section"));
        assert!(err("# T\n## Cause\nx\n## Cause\ny").contains("twice"));
        assert!(err("# T\nintro\n## Issue\nx").contains("before the first section"));
        assert!(err("# T\0").contains("NUL"));
    }

    #[test]
    fn html_by_hand() {
        let html = r#"<html lang="en-GB"><head><title>Fridge &amp; freezer</title>
            <style>p { color: red }</style><script>alert("<h2>x</h2>")</script></head>
            <body><h1>Ignored when there is a title</h1><!-- <h2>Cause</h2> -->
            <h2>Issue</h2><p>It does <b>not</b>
               cool.</p>
            <h2>Resolution</h2><ul><li>Check the plug</li><li>Set 4&#xB0;C&nbsp;</li></ul>
            <p>Call us if &lt;still&gt; warm. 3 < 4</p></body></html>"#;
        let a = parse_html(html).unwrap();
        assert_eq!(a.title, "Fridge & freezer");
        assert_eq!(a.language, Some(Language::En));
        assert_eq!(a.issue, "It does not cool.");
        assert_eq!(
            a.resolution,
            "Check the plug\nSet 4°C\nCall us if <still> warm. 3 < 4"
        );
        let a = parse_html("<h1>From h1</h1><h2>Cause</h2>j&#39;ai tapé &amp éé;").unwrap();
        assert_eq!(a.cause, "j'ai tapé &amp éé;");
        assert_eq!(a.title, "From h1");
    }

    #[test]
    fn bad_html_is_explained() {
        assert_eq!(parse_html("<p>no title</p>").unwrap_err(), "missing title");
        assert!(parse_html("<title>T</title><h2>Misc</h2>")
            .unwrap_err()
            .starts_with("unknown section"));
        assert!(
            parse_html(r#"<title>T</title><meta name="plateau:state" content="gone">"#)
                .unwrap_err()
                .starts_with("invalid state")
        );
    }

    #[test]
    fn bad_csv_is_explained() {
        assert!(parse_csv("").unwrap_err().contains("empty"));
        assert!(parse_csv("title,colour\nx,red")
            .unwrap_err()
            .contains("colour"));
        assert!(parse_csv("language,issue\nfr,x")
            .unwrap_err()
            .contains("no title"));
        assert!(parse_csv("title,issue\n\"open,x")
            .unwrap_err()
            .contains("never closed"));
        let rows = parse_csv(
            "title,state,tags\nGood,validated,a|b\n,validated,\nBad state,done,\nShort\n",
        )
        .unwrap();
        assert_eq!(rows.len(), 4);
        assert_eq!(rows[0].1.as_ref().unwrap().tags, vec!["a", "b"]);
        assert_eq!(rows[1], (3, Err("missing title".into())));
        assert!(rows[2].1.as_ref().unwrap_err().starts_with("invalid state"));
        assert_eq!(rows[3].0, 5);
        assert!(rows[3]
            .1
            .as_ref()
            .unwrap_err()
            .contains("1 fields where the header has 3"));
    }

    #[test]
    fn file_stems_are_ascii() {
        assert_eq!(
            file_stem(12, "Échec : fourreau bouché !"),
            "KB-12-echec-fourreau-bouche"
        );
        assert_eq!(file_stem(3, "???"), "KB-3");
    }
}
