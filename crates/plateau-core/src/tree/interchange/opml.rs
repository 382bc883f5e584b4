//! OPML 2.0: `<opml><head><title/></head><body><outline text=…>`. Notes use
//! the common `_note` attribute; Plateau metadata uses `plateau-*` attributes,
//! which OPML allows on outlines. Several top-level outlines in a hand-made
//! file are gathered under one question named after the title.

use super::xml::{attr, escape_attr, escape_text, text_of, Ev, XmlReader};
use super::{from_mind_map, to_mind_map, InterchangeError, MindMap, Topic};
use crate::tree::model::Tree;

/// Outline attributes that belong to OPML itself rather than to Plateau.
const OWN: [&str; 7] = [
    "text",
    "_note",
    "type",
    "created",
    "isComment",
    "isBreakpoint",
    "category",
];

/// Reads an OPML 1.0 or 2.0 outline.
pub fn import_opml(bytes: &[u8]) -> Result<Tree, InterchangeError> {
    let src = text_of(bytes)?;
    let map = read(src)?;
    from_mind_map(&map)
}

pub fn export_opml(tree: &Tree) -> Result<String, InterchangeError> {
    let map = to_mind_map(tree)?;
    Ok(write(&map))
}

fn read(src: &str) -> Result<MindMap, InterchangeError> {
    let mut r = XmlReader::new(src);
    let wrong = |found: String| InterchangeError::WrongFormat {
        expected: "an OPML outline",
        found,
    };
    loop {
        match r.next()? {
            Ev::Start { name, .. } if name == "opml" => break,
            Ev::Start { name, .. } => {
                return Err(wrong(format!(
                    "the document starts with <{name}>, not <opml>"
                )))
            }
            Ev::Text(_) => {}
            Ev::End | Ev::Eof => return Err(wrong("no <opml> element".into())),
        }
    }
    let mut map = MindMap::default();
    // Topic 0 is a placeholder for the body; replaced below when the body
    // holds exactly one outline.
    map.push(Topic::default())?;
    #[derive(Clone, Copy, PartialEq)]
    enum Elem {
        Opml,
        Head,
        Title,
        Body,
        Outline(usize),
    }
    let mut open = vec![Elem::Opml];
    loop {
        match r.next()? {
            Ev::Start { name, attrs } => {
                let parent = open.last().copied();
                match (parent, name.as_str()) {
                    (Some(Elem::Opml), "head") => open.push(Elem::Head),
                    (Some(Elem::Head), "title") => open.push(Elem::Title),
                    (Some(Elem::Opml), "body") => open.push(Elem::Body),
                    (Some(Elem::Body | Elem::Outline(_)), "outline") => {
                        let topic = Topic {
                            text: attr(&attrs, "text").unwrap_or("").to_string(),
                            note: attr(&attrs, "_note").map(str::to_string),
                            attrs: attrs
                                .iter()
                                .filter(|(k, _)| !OWN.contains(&k.as_str()))
                                .cloned()
                                .collect(),
                            children: Vec::new(),
                        };
                        let t = map.push(topic)?;
                        let up = match parent {
                            Some(Elem::Outline(p)) => p,
                            _ => 0,
                        };
                        map.topics[up].children.push(t);
                        open.push(Elem::Outline(t));
                    }
                    _ => r.skip()?,
                }
            }
            Ev::Text(t) => {
                if open.last() == Some(&Elem::Title) {
                    map.title.push_str(&t);
                }
            }
            Ev::End => {
                open.pop();
                if open.is_empty() {
                    break;
                }
            }
            Ev::Eof => return Err(r.error("the file ends before </opml>")),
        }
    }
    match map.topics[0].children.as_slice() {
        [] => Err(wrong("the body has no outline".into())),
        [only] => {
            // Make the single outline the central topic: renumber by moving it to 0.
            let only = *only;
            let title = map.title.clone();
            Ok(reroot(map, only, title))
        }
        _ => {
            let title = if map.title.trim().is_empty() {
                "Imported outline".to_string()
            } else {
                map.title.clone()
            };
            map.topics[0].text = title;
            Ok(map)
        }
    }
}

/// The same map with topic `root` as topic 0 (dropping the old topic 0).
fn reroot(map: MindMap, root: usize, title: String) -> MindMap {
    let n = map.topics.len();
    // Old index → new index: root first, then the rest in order, minus 0.
    let mut new_index = vec![usize::MAX; n];
    new_index[root] = 0;
    let mut next = 1;
    for (i, slot) in new_index.iter_mut().enumerate() {
        if i != 0 && i != root {
            *slot = next;
            next += 1;
        }
    }
    let mut topics = vec![Topic::default(); n - 1];
    for (i, mut t) in map.topics.into_iter().enumerate() {
        if i == 0 {
            continue;
        }
        t.children = t.children.iter().map(|c| new_index[*c]).collect();
        topics[new_index[i]] = t;
    }
    MindMap { title, topics }
}

fn write(map: &MindMap) -> String {
    let mut out = String::with_capacity(map.topics.len() * 256);
    out.push_str(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<opml version=\"2.0\">\n<head>\n<title>",
    );
    escape_text(&mut out, &map.title);
    out.push_str("</title>\n</head>\n<body>\n");
    let open = |out: &mut String, t: usize| {
        let topic = &map.topics[t];
        out.push_str("<outline text=\"");
        escape_attr(out, &topic.text);
        out.push('"');
        if let Some(note) = &topic.note {
            out.push_str(" _note=\"");
            escape_attr(out, note);
            out.push('"');
        }
        for (k, v) in &topic.attrs {
            out.push(' ');
            out.push_str(k);
            out.push_str("=\"");
            escape_attr(out, v);
            out.push('"');
        }
        out.push_str(">\n");
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
                out.push_str("</outline>\n");
                stack.pop();
            }
        }
    }
    out.push_str("</body>\n</opml>\n");
    out
}
