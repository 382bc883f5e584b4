//! Structural differences between two versions of a tree, for the editor's
//! "compare versions" view: nodes added and removed, fields changed (text as
//! old/new) and edges re-targeted, in a deterministic order.

use serde::Serialize;
use serde_json::Value as Json;

use super::model::{Node, NodeId, Tree};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TreeDiff {
    /// Tree-level fields (`title`, `root`).
    pub tree: Vec<FieldChange>,
    /// In the new version's order.
    pub added: Vec<NodeId>,
    /// In the old version's order.
    pub removed: Vec<NodeId>,
    /// Nodes in both versions whose content changed, in the new version's order.
    pub changed: Vec<NodeChange>,
    /// Edges of nodes in both versions that lead elsewhere now (or appeared or vanished).
    pub retargeted: Vec<EdgeChange>,
}

impl TreeDiff {
    pub fn is_empty(&self) -> bool {
        self.tree.is_empty()
            && self.added.is_empty()
            && self.removed.is_empty()
            && self.changed.is_empty()
            && self.retargeted.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NodeChange {
    pub node: NodeId,
    pub fields: Vec<FieldChange>,
}

/// One leaf value that differs, named by its path in the node's JSON
/// (`content.text`, `answers[1].label`, `fields[0].max`). Absent is None.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldChange {
    pub field: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EdgeChange {
    pub node: NodeId,
    /// `answers[0]`, `next`, `rules[1]`, `default` or `return_to`.
    pub edge: String,
    pub old: Option<NodeId>,
    pub new: Option<NodeId>,
}

/// Compares two versions. Nodes are matched by id; the first of duplicated ids wins.
pub fn diff(old: &Tree, new: &Tree) -> TreeDiff {
    let mut d = TreeDiff::default();
    if old.title != new.title {
        d.tree.push(FieldChange {
            field: "title".into(),
            old: Some(old.title.clone()),
            new: Some(new.title.clone()),
        });
    }
    if old.root != new.root {
        d.tree.push(FieldChange {
            field: "root".into(),
            old: Some(old.root.clone()),
            new: Some(new.root.clone()),
        });
    }
    let old_index = old.index();
    let new_index = new.index();
    for (i, n) in old.nodes.iter().enumerate() {
        if old_index.get(n.id.as_str()) == Some(&i) && !new_index.contains_key(n.id.as_str()) {
            d.removed.push(n.id.clone());
        }
    }
    for (i, n) in new.nodes.iter().enumerate() {
        if new_index.get(n.id.as_str()) != Some(&i) {
            continue;
        }
        let Some(&j) = old_index.get(n.id.as_str()) else {
            d.added.push(n.id.clone());
            continue;
        };
        let before = &old.nodes[j];
        let fields = field_changes(&leaves(before), &leaves(n));
        if !fields.is_empty() {
            d.changed.push(NodeChange {
                node: n.id.clone(),
                fields,
            });
        }
        let old_edges = before.kind.edges();
        let new_edges = n.kind.edges();
        for (key, target) in &new_edges {
            let was = old_edges.iter().find(|(k, _)| k == key).map(|(_, t)| *t);
            if was != Some(*target) {
                d.retargeted.push(EdgeChange {
                    node: n.id.clone(),
                    edge: key.clone(),
                    old: was.cloned(),
                    new: Some((*target).clone()),
                });
            }
        }
        for (key, target) in &old_edges {
            if !new_edges.iter().any(|(k, _)| k == key) {
                d.retargeted.push(EdgeChange {
                    node: n.id.clone(),
                    edge: key.clone(),
                    old: Some((*target).clone()),
                    new: None,
                });
            }
        }
    }
    d
}

/// Keys that hold edges; they are compared as edges, not as fields.
const EDGE_KEYS: [&str; 4] = ["target", "next", "default", "return_to"];

/// The node's JSON flattened to (path, scalar text) pairs in document order,
/// without `id` and edge targets.
fn leaves(node: &Node) -> Vec<(String, String)> {
    let json = serde_json::to_value(node).unwrap_or(Json::Null);
    let mut out = Vec::new();
    // An explicit stack: rule lists can nest, and recursion depth should not
    // depend on input.
    let mut stack: Vec<(String, &Json)> = vec![(String::new(), &json)];
    while let Some((path, v)) = stack.pop() {
        match v {
            Json::Object(map) => {
                for (k, child) in map.iter().rev() {
                    if path.is_empty() && k == "id" {
                        continue;
                    }
                    if (EDGE_KEYS.contains(&k.as_str()) && child.is_string()) || child.is_null() {
                        continue;
                    }
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    stack.push((p, child));
                }
            }
            Json::Array(items) => {
                if items.is_empty() {
                    continue;
                }
                for (i, child) in items.iter().enumerate().rev() {
                    stack.push((format!("{path}[{i}]"), child));
                }
            }
            Json::String(s) => out.push((path, s.clone())),
            other => out.push((path, other.to_string())),
        }
    }
    out
}

fn field_changes(old: &[(String, String)], new: &[(String, String)]) -> Vec<FieldChange> {
    let mut out = Vec::new();
    for (path, value) in new {
        let was = old.iter().find(|(p, _)| p == path).map(|(_, v)| v);
        if was != Some(value) {
            out.push(FieldChange {
                field: path.clone(),
                old: was.cloned(),
                new: Some(value.clone()),
            });
        }
    }
    for (path, value) in old {
        if !new.iter().any(|(p, _)| p == path) {
            out.push(FieldChange {
                field: path.clone(),
                old: Some(value.clone()),
                new: None,
            });
        }
    }
    out
}
