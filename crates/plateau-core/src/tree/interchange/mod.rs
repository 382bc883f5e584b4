//! Import and export of mind maps: FreeMind/Freeplane `.mm`, OPML 2.0 and
//! XMind (zip with `content.json`). Each format is read into a neutral
//! [`MindMap`] of topics, and the mapping between topics and tree nodes lives
//! here once (see docs/trees.md, "Interchange").
//!
//! Exports carry each node's kind, id and non-textual settings as `plateau-*`
//! metadata, so export → import gives back the same tree. A mind map made by
//! hand (no metadata) imports by a simple rule: a topic with children is a
//! question whose answers are its children; a leaf is a solution.
//!
//! Untrusted files are bounded before they are parsed: size, topic count and
//! depth; XML with a DTD is refused outright (no entity expansion), and XMind
//! archives are read with limits on entries and on decompressed bytes.

mod mm;
mod opml;
mod xmind;
mod xml;

pub use mm::{export_mm, import_mm};
pub use opml::{export_opml, import_opml};
pub use xmind::{export_xmind, import_xmind, MAX_CONTENT_BYTES, MAX_ENTRIES, MAX_XMIND_DEPTH};

use std::collections::{BTreeSet, VecDeque};

use serde_json::{Map, Value as Json};

use super::model::{Content, Node, NodeKind, Tree, MAX_NODES};

/// Largest file accepted, compressed or not.
pub const MAX_INPUT_BYTES: usize = 8 * 1024 * 1024;
/// Most topics in one map: each node plus one topic per edge.
pub const MAX_TOPICS: usize = 8 * MAX_NODES;
/// Deepest topic nesting accepted and written.
pub const MAX_DEPTH: usize = 2_000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InterchangeError {
    #[error("the file is {size} bytes; at most {max} are accepted")]
    TooLarge { size: usize, max: usize },
    #[error("the file is not UTF-8 text")]
    NotUtf8,
    #[error("{line}:{column}: the file declares a DTD; DTDs and entity declarations are refused (entity expansion)")]
    Dtd { line: usize, column: usize },
    #[error("{line}:{column}: unknown entity '&{name};': only the five XML entities and character references are accepted")]
    UnknownEntity {
        line: usize,
        column: usize,
        name: String,
    },
    #[error("{line}:{column}: malformed XML: {message}")]
    Xml {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("this is not {expected}: {found}")]
    WrongFormat {
        expected: &'static str,
        found: String,
    },
    #[error("the map has more than {MAX_TOPICS} topics")]
    TooManyTopics,
    #[error("the map is nested more than {0} levels deep")]
    TooDeep(usize),
    #[error("the XMind archive is not a valid zip file: {0}")]
    Zip(String),
    #[error("the XMind archive looks like a zip bomb: {0}")]
    ZipBomb(String),
    #[error("the XMind archive has no content.json (XMind 8 files with only content.xml are not supported: save as XMind 2020 or later)")]
    NoContent,
    #[error("content.json is not valid: {0}")]
    Json(String),
    #[error("topic '{topic}': {message}")]
    Topic { topic: String, message: String },
    #[error("cannot export: {0}")]
    Export(String),
}

/// Metadata keys carried by exported topics.
pub(crate) const KEY_ID: &str = "plateau-id";
pub(crate) const KEY_KIND: &str = "plateau-kind";
pub(crate) const KEY_DATA: &str = "plateau-data";
pub(crate) const KEY_EDGE: &str = "plateau-edge";
pub(crate) const KEY_REF: &str = "plateau-ref";
pub(crate) const KEY_TREE_TITLE: &str = "plateau-tree-title";
const DETACHED: &str = "detached";

/// A topic of a mind map; children are indices into [`MindMap::topics`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Topic {
    pub text: String,
    pub note: Option<String>,
    pub attrs: Vec<(String, String)>,
    pub children: Vec<usize>,
}

impl Topic {
    pub fn attr(&self, key: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// A mind map: `topics[0]` is the central topic.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct MindMap {
    pub title: String,
    pub topics: Vec<Topic>,
}

impl MindMap {
    /// Adds a topic and returns its index, refusing maps past the limit.
    pub fn push(&mut self, topic: Topic) -> Result<usize, InterchangeError> {
        if self.topics.len() >= MAX_TOPICS {
            return Err(InterchangeError::TooManyTopics);
        }
        self.topics.push(topic);
        Ok(self.topics.len() - 1)
    }
}

/// Characters XML 1.0 cannot carry at all, even as references.
pub(crate) fn check_representable(text: &str) -> Result<(), InterchangeError> {
    match text.chars().find(|c| {
        (*c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || matches!(c, '\u{FFFE}' | '\u{FFFF}')
    }) {
        Some(c) => Err(InterchangeError::Export(format!(
            "the control character U+{:04X} cannot be written to a mind map",
            u32::from(c)
        ))),
        None => Ok(()),
    }
}

fn label(edge: &str) -> String {
    match edge {
        "next" => "next".into(),
        "default" => "otherwise".into(),
        "return_to" => "after the sub-tree".into(),
        DETACHED => "(not linked)".into(),
        other => match other
            .strip_prefix("rules[")
            .and_then(|s| s.strip_suffix(']'))
            .and_then(|s| s.parse::<usize>().ok())
        {
            Some(i) => format!("rule {}", i + 1),
            None => other.to_string(),
        },
    }
}

fn first_line(text: &str) -> String {
    let line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    line.trim().chars().take(80).collect()
}

/// The node's settings that are not its id, title, text or edges, as JSON.
fn node_data(node: &Node, order: usize) -> Json {
    let mut json = serde_json::to_value(node).unwrap_or(Json::Null);
    if let Json::Object(map) = &mut json {
        map.remove("id");
        map.remove("title");
        if let Some(Json::Object(content)) = map.get_mut("content") {
            content.remove("text");
        }
        for key in ["next", "default", "return_to", "answers"] {
            map.remove(key);
        }
        if let Some(Json::Array(rules)) = map.get_mut("rules") {
            for r in rules {
                if let Json::Object(r) = r {
                    r.remove("target");
                }
            }
        }
        map.insert("order".into(), Json::from(order));
        if node.title.is_empty() {
            map.insert("untitled".into(), Json::Bool(true));
        }
    }
    json
}

/// Writes a tree as a mind map: the root node is the central topic, every
/// edge a child topic labelled like the answer or branch, and each node sits
/// under the first edge that reaches it breadth-first (so the map is as
/// shallow as the tree allows); other edges to it are reference topics.
pub(crate) fn to_mind_map(tree: &Tree) -> Result<MindMap, InterchangeError> {
    let index = tree.index();
    if index.len() != tree.nodes.len() {
        return Err(InterchangeError::Export(
            "two nodes share an id; fix the tree first".into(),
        ));
    }
    let Some(&root) = index.get(tree.root.as_str()) else {
        return Err(InterchangeError::Export(format!(
            "the root '{}' is not a node",
            tree.root
        )));
    };
    check_representable(&tree.title)?;
    let mut map = MindMap {
        title: tree.title.clone(),
        topics: Vec::new(),
    };
    let mut topic_of = vec![usize::MAX; tree.nodes.len()];
    let mut depth = vec![0usize; tree.nodes.len()];
    // (node index, topic index) waiting for their edges to be written.
    let mut queue = VecDeque::new();
    let place = |map: &mut MindMap, i: usize| -> Result<usize, InterchangeError> {
        let node = &tree.nodes[i];
        for text in [&node.id, &node.title, &node.content.text] {
            check_representable(text)?;
        }
        let data = node_data(node, i);
        let data =
            serde_json::to_string(&data).map_err(|e| InterchangeError::Export(e.to_string()))?;
        check_representable(&data)?;
        let text = if node.title.is_empty() {
            first_line(&node.content.text)
        } else {
            node.title.clone()
        };
        map.push(Topic {
            text,
            note: (!node.content.text.is_empty()).then(|| node.content.text.clone()),
            attrs: vec![
                (KEY_ID.into(), node.id.clone()),
                (KEY_KIND.into(), node.kind.name().into()),
                (KEY_DATA.into(), data),
            ],
            children: Vec::new(),
        })
    };
    let t = place(&mut map, root)?;
    map.topics[t]
        .attrs
        .push((KEY_TREE_TITLE.into(), tree.title.clone()));
    topic_of[root] = t;
    queue.push_back(root);
    let mut detached = (0..tree.nodes.len()).filter(|&i| i != root).peekable();
    loop {
        let Some(i) = queue.pop_front() else {
            // Nodes no edge reaches hang under the root so nothing is lost.
            let Some(j) = detached.by_ref().find(|&j| topic_of[j] == usize::MAX) else {
                break;
            };
            let edge = map.push(Topic {
                text: label(DETACHED),
                attrs: vec![(KEY_EDGE.into(), DETACHED.into())],
                ..Topic::default()
            })?;
            map.topics[topic_of[root]].children.push(edge);
            let t = place(&mut map, j)?;
            map.topics[edge].children.push(t);
            topic_of[j] = t;
            depth[j] = 1;
            queue.push_back(j);
            continue;
        };
        let node = &tree.nodes[i];
        let parent_topic = topic_of[i];
        for (key, target) in node.kind.edges() {
            let text = match (&node.kind, key.strip_prefix("answers[")) {
                (NodeKind::Question { answers }, Some(rest)) => rest
                    .strip_suffix(']')
                    .and_then(|s| s.parse::<usize>().ok())
                    .and_then(|k| answers.get(k))
                    .map(|a| a.label.clone())
                    .unwrap_or_default(),
                _ => label(&key),
            };
            check_representable(&text)?;
            check_representable(target)?;
            let edge = map.push(Topic {
                text,
                attrs: vec![(KEY_EDGE.into(), key.clone())],
                ..Topic::default()
            })?;
            map.topics[parent_topic].children.push(edge);
            let child = match index.get(target.as_str()) {
                Some(&j) if topic_of[j] == usize::MAX => {
                    if depth[i] + 1 > MAX_DEPTH / 2 {
                        return Err(InterchangeError::TooDeep(MAX_DEPTH));
                    }
                    let t = place(&mut map, j)?;
                    topic_of[j] = t;
                    depth[j] = depth[i] + 1;
                    queue.push_back(j);
                    t
                }
                found => {
                    let shown = found
                        .map(|&j| &tree.nodes[j])
                        .map(|n| {
                            if n.title.is_empty() {
                                first_line(&n.content.text)
                            } else {
                                n.title.clone()
                            }
                        })
                        .unwrap_or_else(|| target.clone());
                    map.push(Topic {
                        text: format!("→ {shown}"),
                        attrs: vec![(KEY_REF.into(), target.clone())],
                        ..Topic::default()
                    })?
                }
            };
            map.topics[edge].children.push(child);
        }
    }
    Ok(map)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Node,
    Edge,
    Ref,
}

/// Reads a mind map as a tree (see the module header for the mapping).
pub(crate) fn from_mind_map(map: &MindMap) -> Result<Tree, InterchangeError> {
    if map.topics.is_empty() {
        return Err(InterchangeError::WrongFormat {
            expected: "a mind map",
            found: "no topics".into(),
        });
    }
    let n = map.topics.len();
    // Roles by walking down from the central topic; also catches shared or
    // cyclic child lists, which a well-formed file cannot produce.
    let mut role = vec![None; n];
    let mut depth = vec![0usize; n];
    role[0] = Some(Role::Node);
    let mut queue = VecDeque::from([0usize]);
    while let Some(t) = queue.pop_front() {
        let topic = &map.topics[t];
        let here = role[t].unwrap_or(Role::Node);
        for &c in &topic.children {
            if c >= n || role[c].is_some() {
                return Err(InterchangeError::Topic {
                    topic: topic.text.clone(),
                    message: "a topic appears twice in the map".into(),
                });
            }
            let child = &map.topics[c];
            let r = match here {
                Role::Node if child.attr(KEY_EDGE).is_some() && topic.attr(KEY_KIND).is_some() => {
                    Role::Edge
                }
                Role::Node => Role::Node,
                Role::Edge if child.attr(KEY_REF).is_some() => Role::Ref,
                Role::Edge => Role::Node,
                Role::Ref => {
                    return Err(InterchangeError::Topic {
                        topic: topic.text.clone(),
                        message: "a reference topic cannot have children".into(),
                    })
                }
            };
            depth[c] = depth[t] + 1;
            if depth[c] > MAX_DEPTH {
                return Err(InterchangeError::TooDeep(MAX_DEPTH));
            }
            role[c] = Some(r);
            queue.push_back(c);
        }
    }
    // Ids: the exported one when present and unique, otherwise generated.
    let mut ids: Vec<Option<String>> = vec![None; n];
    let mut taken = BTreeSet::new();
    for (t, topic) in map.topics.iter().enumerate() {
        if role[t] == Some(Role::Node) {
            if let Some(id) = topic.attr(KEY_ID) {
                if taken.insert(id.to_string()) {
                    ids[t] = Some(id.to_string());
                }
            }
        }
    }
    let mut counter = 0usize;
    for (t, id) in ids.iter_mut().enumerate() {
        if role[t] == Some(Role::Node) && id.is_none() {
            let fresh = loop {
                counter += 1;
                let candidate = format!("t{counter}");
                if taken.insert(candidate.clone()) {
                    break candidate;
                }
            };
            *id = Some(fresh);
        }
    }
    let id_of = |t: usize| ids[t].clone().unwrap_or_default();
    let mut nodes: Vec<(usize, usize, Node)> = Vec::new();
    for (t, topic) in map.topics.iter().enumerate() {
        if role[t] != Some(Role::Node) {
            continue;
        }
        let node = match topic.attr(KEY_KIND) {
            Some(kind) => exported_node(map, t, kind, &role, &id_of)?,
            None => plain_node(map, t, &id_of),
        };
        let order = topic
            .attr(KEY_DATA)
            .and_then(|d| serde_json::from_str::<Json>(d).ok())
            .and_then(|d| d.get("order").and_then(Json::as_u64))
            .and_then(|o| usize::try_from(o).ok())
            .unwrap_or(usize::MAX);
        nodes.push((order, t, node));
    }
    if nodes.len() > MAX_NODES {
        return Err(InterchangeError::TooManyTopics);
    }
    // Authoring order when the file says it, then map order.
    nodes.sort_by_key(|(order, t, _)| (*order, *t));
    let title = map.topics[0]
        .attr(KEY_TREE_TITLE)
        .map(str::to_string)
        .unwrap_or_else(|| map.title.clone());
    Ok(Tree {
        title,
        root: id_of(0),
        nodes: nodes.into_iter().map(|(_, _, n)| n).collect(),
    })
}

fn topic_error(topic: &Topic, message: impl Into<String>) -> InterchangeError {
    InterchangeError::Topic {
        topic: topic.text.chars().take(80).collect(),
        message: message.into(),
    }
}

/// A node written by [`to_mind_map`]: its data, overlaid with what the map
/// shows (title, note, answer labels, edges), so edits made in a mind-map
/// tool to the visible text are kept.
fn exported_node(
    map: &MindMap,
    t: usize,
    kind: &str,
    role: &[Option<Role>],
    id_of: &dyn Fn(usize) -> String,
) -> Result<Node, InterchangeError> {
    let topic = &map.topics[t];
    let mut data = match topic.attr(KEY_DATA) {
        Some(d) => match serde_json::from_str::<Json>(d) {
            Ok(Json::Object(m)) => m,
            _ => return Err(topic_error(topic, "its plateau-data is not a JSON object")),
        },
        None => Map::new(),
    };
    let untitled = data.remove("untitled") == Some(Json::Bool(true));
    data.remove("order");
    data.insert("kind".into(), Json::from(kind));
    data.insert("id".into(), Json::from(id_of(t)));
    data.insert(
        "title".into(),
        Json::from(if untitled { "" } else { topic.text.as_str() }),
    );
    let content = data
        .entry("content")
        .or_insert_with(|| Json::Object(Map::new()));
    if let Json::Object(c) = content {
        c.insert(
            "text".into(),
            Json::from(topic.note.clone().unwrap_or_default()),
        );
    }
    let mut answers = Vec::new();
    for &c in &topic.children {
        let edge_topic = &map.topics[c];
        if role[c] == Some(Role::Node) {
            // A topic added by hand under an exported question: a new answer.
            answers.push(serde_json::json!({"label": edge_topic.text, "target": id_of(c)}));
            continue;
        }
        let target = match edge_topic.children.as_slice() {
            [only] => match role[*only] {
                Some(Role::Ref) => map.topics[*only].attr(KEY_REF).unwrap_or("").to_string(),
                _ => id_of(*only),
            },
            [] => return Err(topic_error(edge_topic, "this branch leads nowhere")),
            _ => {
                return Err(topic_error(
                    edge_topic,
                    "a branch must lead to exactly one topic",
                ))
            }
        };
        let key = edge_topic.attr(KEY_EDGE).unwrap_or("");
        if key == DETACHED {
            continue;
        }
        if key.starts_with("answers[") {
            answers.push(serde_json::json!({"label": edge_topic.text, "target": target}));
        } else if let Some(k) = key
            .strip_prefix("rules[")
            .and_then(|s| s.strip_suffix(']'))
            .and_then(|s| s.parse::<usize>().ok())
        {
            match data.get_mut("rules").and_then(|r| r.get_mut(k)) {
                Some(Json::Object(rule)) => {
                    rule.insert("target".into(), Json::from(target));
                }
                _ => {
                    return Err(topic_error(
                        edge_topic,
                        format!("there is no rule {}", k + 1),
                    ))
                }
            }
        } else if matches!(key, "next" | "default" | "return_to") {
            data.insert(key.into(), Json::from(target));
        } else {
            return Err(topic_error(edge_topic, format!("unknown branch '{key}'")));
        }
    }
    if kind == "question" {
        data.insert("answers".into(), Json::Array(answers));
    }
    serde_json::from_value(Json::Object(data)).map_err(|e| topic_error(topic, e.to_string()))
}

/// A topic from a hand-made map: its text is the title (and the answer that
/// leads to it), its note what the advisor reads (the title if no note).
fn plain_node(map: &MindMap, t: usize, id_of: &dyn Fn(usize) -> String) -> Node {
    let topic = &map.topics[t];
    let text = topic
        .note
        .clone()
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| topic.text.clone());
    let kind = if topic.children.is_empty() {
        NodeKind::Solution {
            article_id: None,
            next: None,
        }
    } else {
        NodeKind::Question {
            answers: topic
                .children
                .iter()
                .map(|&c| super::model::Answer {
                    label: map.topics[c].text.clone(),
                    target: id_of(c),
                })
                .collect(),
        }
    };
    Node {
        id: id_of(t),
        title: topic.text.clone(),
        content: Content {
            text,
            ..Content::default()
        },
        allow_loop: false,
        kind,
    }
}
