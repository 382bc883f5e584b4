//! FreeMind / Freeplane `.mm`: `<map>` holding one `<node TEXT=…>` tree.
//! Plateau metadata travels as node `<attribute NAME VALUE>` rows, node text
//! as a `NOTE` rich-content block, and references as local `LINK="#ID_n"`
//! hyperlinks so the mind-map tool can follow them.

use std::collections::BTreeMap;

use super::xml::{attr, escape_attr, escape_text, text_of, Ev, XmlReader};
use super::{from_mind_map, to_mind_map, InterchangeError, MindMap, Topic, KEY_ID, KEY_REF};
use crate::tree::model::Tree;

/// Reads a FreeMind or Freeplane map.
pub fn import_mm(bytes: &[u8]) -> Result<Tree, InterchangeError> {
    let src = text_of(bytes)?;
    let map = read(src)?;
    from_mind_map(&map)
}

/// Writes the tree as a Freeplane map (FreeMind reads it too).
pub fn export_mm(tree: &Tree) -> Result<String, InterchangeError> {
    let map = to_mind_map(tree)?;
    Ok(write(&map))
}

fn read(src: &str) -> Result<MindMap, InterchangeError> {
    let mut r = XmlReader::new(src);
    let mut map = MindMap::default();
    // Find <map>.
    loop {
        match r.next()? {
            Ev::Start { name, .. } if name == "map" => break,
            Ev::Start { name, .. } => {
                return Err(InterchangeError::WrongFormat {
                    expected: "a FreeMind/Freeplane map",
                    found: format!("the document starts with <{name}>, not <map>"),
                })
            }
            Ev::Text(_) => {}
            Ev::End | Ev::Eof => {
                return Err(InterchangeError::WrongFormat {
                    expected: "a FreeMind/Freeplane map",
                    found: "no <map> element".into(),
                })
            }
        }
    }
    let mut stack: Vec<usize> = Vec::new();
    loop {
        match r.next()? {
            Ev::Start { name, attrs } => match name.as_str() {
                "node" => {
                    if stack.is_empty() && !map.topics.is_empty() {
                        return Err(r.error("a map has one central node"));
                    }
                    let t = map.push(Topic {
                        text: attr(&attrs, "TEXT").unwrap_or("").to_string(),
                        ..Topic::default()
                    })?;
                    if let Some(&parent) = stack.last() {
                        map.topics[parent].children.push(t);
                    }
                    stack.push(t);
                }
                "attribute" if !stack.is_empty() => {
                    if let (Some(k), Some(v), Some(&t)) =
                        (attr(&attrs, "NAME"), attr(&attrs, "VALUE"), stack.last())
                    {
                        map.topics[t].attrs.push((k.to_string(), v.to_string()));
                    }
                    r.skip()?;
                }
                "richcontent" if !stack.is_empty() => {
                    let text = read_rich(&mut r)?;
                    if let Some(&t) = stack.last() {
                        match attr(&attrs, "TYPE") {
                            Some("NOTE") => map.topics[t].note = Some(text),
                            Some("NODE") => map.topics[t].text = text,
                            _ => {}
                        }
                    }
                }
                _ => r.skip()?,
            },
            Ev::End => {
                if stack.pop().is_none() {
                    break;
                }
            }
            Ev::Text(_) => {}
            Ev::Eof => return Err(r.error("the file ends before </map>")),
        }
    }
    if map.topics.is_empty() {
        return Err(InterchangeError::WrongFormat {
            expected: "a FreeMind/Freeplane map",
            found: "the map has no node".into(),
        });
    }
    Ok(map)
}

/// Text of a rich-content block: the exact text of a `<pre>` or `<text>`
/// element when there is one (what Plateau writes), otherwise the HTML's
/// text with one line per block element.
pub(super) fn read_rich(r: &mut XmlReader<'_>) -> Result<String, InterchangeError> {
    const INLINE: [&str; 9] = ["a", "b", "i", "u", "em", "strong", "span", "font", "code"];
    let mut names: Vec<String> = Vec::new();
    let mut exact: Option<String> = None;
    let mut exact_depth = 0usize;
    let mut loose = String::new();
    loop {
        match r.next()? {
            Ev::Start { name, .. } => {
                let lower = name.to_ascii_lowercase();
                if (lower == "pre" || lower == "text") && exact.is_none() {
                    exact = Some(String::new());
                    exact_depth = names.len() + 1;
                }
                if !INLINE.contains(&lower.as_str()) {
                    loose.push('\n');
                }
                names.push(lower);
            }
            Ev::End => {
                let Some(name) = names.pop() else {
                    break;
                };
                if exact_depth == names.len() + 1 {
                    exact_depth = 0;
                }
                if !INLINE.contains(&name.as_str()) {
                    loose.push('\n');
                }
            }
            Ev::Text(t) => {
                if exact_depth > 0 {
                    if let Some(e) = exact.as_mut() {
                        e.push_str(&t);
                    }
                } else {
                    // HTML collapses white space, line breaks included.
                    for (i, word) in t.split(char::is_whitespace).enumerate() {
                        if i > 0 {
                            loose.push(' ');
                        }
                        loose.push_str(word);
                    }
                }
            }
            Ev::Eof => return Err(r.error("the file ends inside a note")),
        }
    }
    if let Some(e) = exact {
        return Ok(e);
    }
    let lines: Vec<String> = loose
        .split('\n')
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect();
    Ok(lines.join("\n"))
}

fn write(map: &MindMap) -> String {
    let mut out = String::with_capacity(map.topics.len() * 256);
    out.push_str("<map version=\"freeplane 1.9.13\">\n");
    out.push_str(
        "<!-- Plateau diagnostic tree: the plateau-* attributes keep each step's kind and settings for import. -->\n",
    );
    let by_id: BTreeMap<&str, usize> = map
        .topics
        .iter()
        .enumerate()
        .filter_map(|(i, t)| t.attr(KEY_ID).map(|id| (id, i)))
        .collect();
    let open = |out: &mut String, t: usize| {
        let topic = &map.topics[t];
        out.push_str("<node TEXT=\"");
        escape_attr(out, &topic.text);
        out.push_str(&format!("\" ID=\"ID_{t}\""));
        if let Some(&target) = topic.attr(KEY_REF).and_then(|r| by_id.get(r)) {
            out.push_str(&format!(" LINK=\"#ID_{target}\""));
        }
        out.push_str(">\n");
        for (k, v) in &topic.attrs {
            out.push_str("<attribute NAME=\"");
            escape_attr(out, k);
            out.push_str("\" VALUE=\"");
            escape_attr(out, v);
            out.push_str("\"/>\n");
        }
        if let Some(note) = &topic.note {
            out.push_str("<richcontent TYPE=\"NOTE\"><html><head></head><body><pre>");
            escape_text(out, note);
            out.push_str("</pre></body></html></richcontent>\n");
        }
    };
    open(&mut out, 0);
    let mut stack = vec![(0usize, 0usize)];
    while let Some((t, k)) = stack.last_mut() {
        match map.topics[*t].children.get(*k) {
            Some(&c) => {
                *k += 1;
                open(&mut out, c);
                stack.push((c, 0));
            }
            None => {
                out.push_str("</node>\n");
                stack.pop();
            }
        }
    }
    out.push_str("</map>\n");
    out
}
