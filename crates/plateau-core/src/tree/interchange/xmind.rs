//! XMind (2020 and later): a zip archive whose `content.json` is a list of
//! sheets, each with a `rootTopic`; topics have `title`, `notes.plain.content`,
//! `labels` and `children.attached`. Plateau metadata travels as labels
//! `plateau-…=value`, and references as XMind topic links (`xmind:#id`).
//!
//! The archive is untrusted: its size, its number of entries and the bytes
//! actually inflated from `content.json` are bounded, whatever its headers say.

use std::collections::BTreeMap;
use std::io::{Cursor, Read, Write};

use serde_json::{json, Map, Value as Json};

use super::{
    from_mind_map, to_mind_map, InterchangeError, MindMap, Topic, KEY_ID, KEY_REF, MAX_INPUT_BYTES,
};
use crate::tree::model::Tree;

/// Most entries in an archive (XMind writes a handful plus attachments).
pub const MAX_ENTRIES: usize = 1_000;
/// Most bytes inflated from `content.json`.
pub const MAX_CONTENT_BYTES: u64 = 32 * 1024 * 1024;

/// Deepest topic nesting in content.json: serde_json refuses documents nested
/// more than 128 levels, and each topic level costs three (`children`,
/// `attached`, the topic), so exports stop where imports would.
pub const MAX_XMIND_DEPTH: usize = 40;

const LABEL_PREFIX: &str = "plateau-";

/// Reads the first sheet of an XMind file.
pub fn import_xmind(bytes: &[u8]) -> Result<Tree, InterchangeError> {
    if bytes.len() > MAX_INPUT_BYTES {
        return Err(InterchangeError::TooLarge {
            size: bytes.len(),
            max: MAX_INPUT_BYTES,
        });
    }
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| InterchangeError::Zip(e.to_string()))?;
    if archive.len() > MAX_ENTRIES {
        return Err(InterchangeError::ZipBomb(format!(
            "{} entries; at most {MAX_ENTRIES} are accepted",
            archive.len()
        )));
    }
    let file = match archive.by_name("content.json") {
        Ok(f) => f,
        Err(zip::result::ZipError::FileNotFound) => return Err(InterchangeError::NoContent),
        Err(e) => return Err(InterchangeError::Zip(e.to_string())),
    };
    let mut content = Vec::new();
    // Count what actually comes out of the decompressor: sizes in the
    // headers are written by the sender and prove nothing.
    file.take(MAX_CONTENT_BYTES + 1)
        .read_to_end(&mut content)
        .map_err(|e| InterchangeError::Zip(e.to_string()))?;
    if content.len() as u64 > MAX_CONTENT_BYTES {
        return Err(InterchangeError::ZipBomb(format!(
            "content.json inflates to more than {MAX_CONTENT_BYTES} bytes"
        )));
    }
    let text = std::str::from_utf8(&content).map_err(|_| InterchangeError::NotUtf8)?;
    let map = read(text)?;
    from_mind_map(&map)
}

/// Writes the tree as an XMind file (one sheet).
pub fn export_xmind(tree: &Tree) -> Result<Vec<u8>, InterchangeError> {
    let map = to_mind_map(tree)?;
    let content = write(&map)?;
    let manifest = json!({"file-entries": {"content.json": {}, "metadata.json": {}}});
    let metadata = json!({"creator": {"name": "Plateau"}});
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let err = |e: &dyn std::fmt::Display| InterchangeError::Export(e.to_string());
    for (name, body) in [
        ("content.json", content),
        ("metadata.json", metadata.to_string()),
        ("manifest.json", manifest.to_string()),
    ] {
        zip.start_file(name, options).map_err(|e| err(&e))?;
        zip.write_all(body.as_bytes()).map_err(|e| err(&e))?;
    }
    let cursor = zip.finish().map_err(|e| err(&e))?;
    Ok(cursor.into_inner())
}

fn bad(message: impl Into<String>) -> InterchangeError {
    InterchangeError::Json(message.into())
}

fn read(text: &str) -> Result<MindMap, InterchangeError> {
    let doc: Json = serde_json::from_str(text).map_err(|e| {
        if e.to_string().contains("recursion limit") {
            InterchangeError::TooDeep(MAX_XMIND_DEPTH)
        } else {
            bad(e.to_string())
        }
    })?;
    let sheet = match &doc {
        Json::Array(sheets) => sheets.first(),
        // Some writers store a single sheet object.
        Json::Object(_) => Some(&doc),
        _ => None,
    }
    .ok_or_else(|| bad("expected a list of sheets"))?;
    let root = sheet
        .get("rootTopic")
        .ok_or_else(|| bad("the first sheet has no rootTopic"))?;
    let mut map = MindMap {
        title: sheet
            .get("title")
            .and_then(Json::as_str)
            .unwrap_or("")
            .to_string(),
        topics: Vec::new(),
    };
    // (json topic, parent topic index)
    let mut pending: Vec<(&Json, Option<usize>)> = vec![(root, None)];
    while let Some((json, parent)) = pending.pop() {
        let t = map.push(topic(json)?)?;
        if let Some(p) = parent {
            map.topics[p].children.push(t);
        }
        let attached = json
            .get("children")
            .and_then(|c| c.get("attached"))
            .and_then(Json::as_array);
        if let Some(children) = attached {
            // Reversed so the stack yields them in document order.
            for child in children.iter().rev() {
                pending.push((child, Some(t)));
            }
        }
    }
    // Children were attached in pop order, which is document order per parent.
    Ok(map)
}

fn topic(json: &Json) -> Result<Topic, InterchangeError> {
    if !json.is_object() {
        return Err(bad("a topic is not an object"));
    }
    let text = json.get("title").and_then(Json::as_str).unwrap_or("");
    let note = json
        .get("notes")
        .and_then(|n| n.get("plain"))
        .and_then(|p| p.get("content"))
        .and_then(Json::as_str)
        .map(str::to_string);
    let mut attrs = Vec::new();
    if let Some(labels) = json.get("labels").and_then(Json::as_array) {
        for l in labels.iter().filter_map(Json::as_str) {
            if let Some((k, v)) = l.split_once('=') {
                if k.starts_with(LABEL_PREFIX) {
                    attrs.push((k.to_string(), v.to_string()));
                }
            }
        }
    }
    Ok(Topic {
        text: text.to_string(),
        note,
        attrs,
        children: Vec::new(),
    })
}

fn write(map: &MindMap) -> Result<String, InterchangeError> {
    let by_id: BTreeMap<&str, usize> = map
        .topics
        .iter()
        .enumerate()
        .filter_map(|(i, t)| t.attr(KEY_ID).map(|id| (id, i)))
        .collect();
    let one = |t: usize| -> Json {
        let topic = &map.topics[t];
        let mut obj = Map::new();
        obj.insert("id".into(), Json::from(format!("t{t}")));
        obj.insert("class".into(), Json::from("topic"));
        obj.insert("title".into(), Json::from(topic.text.clone()));
        if let Some(note) = &topic.note {
            obj.insert("notes".into(), json!({"plain": {"content": note}}));
        }
        if !topic.attrs.is_empty() {
            let labels: Vec<Json> = topic
                .attrs
                .iter()
                .map(|(k, v)| Json::from(format!("{k}={v}")))
                .collect();
            obj.insert("labels".into(), Json::Array(labels));
        }
        if let Some(&target) = topic.attr(KEY_REF).and_then(|r| by_id.get(r)) {
            obj.insert("href".into(), Json::from(format!("xmind:#t{target}")));
        }
        Json::Object(obj)
    };
    // Build bottom-up (children before parents) without recursion.
    let mut order = Vec::with_capacity(map.topics.len());
    let mut stack = vec![(0usize, 0usize)];
    while let Some((t, depth)) = stack.pop() {
        if depth > MAX_XMIND_DEPTH {
            return Err(InterchangeError::TooDeep(MAX_XMIND_DEPTH));
        }
        order.push(t);
        stack.extend(map.topics[t].children.iter().map(|&c| (c, depth + 1)));
    }
    let mut built: Vec<Option<Json>> = vec![None; map.topics.len()];
    for &t in order.iter().rev() {
        let mut obj = one(t);
        let children: Vec<Json> = map.topics[t]
            .children
            .iter()
            .filter_map(|c| built[*c].take())
            .collect();
        if !children.is_empty() {
            if let Json::Object(o) = &mut obj {
                o.insert("children".into(), json!({ "attached": children }));
            }
        }
        built[t] = Some(obj);
    }
    let root = built[0].take().unwrap_or(Json::Null);
    let doc = json!([{
        "id": "sheet-1",
        "class": "sheet",
        "title": map.title,
        "rootTopic": root,
    }]);
    serde_json::to_string(&doc).map_err(|e| InterchangeError::Export(e.to_string()))
}
