//! Whether a tree can be published: every problem at once, each with its node,
//! a stable code and a message an author can act on. Errors block publishing;
//! warnings are shown in the editor but do not.
//!
//! Graph rules (reachability, dead ends, cycles, variables defined before use)
//! only look at nodes reachable from the root, so one orphan island is one
//! `unreachable` problem per node rather than a cascade of others.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde::Serialize;

use super::model::{
    Condition, FieldKind, Literal, MediaSource, Node, NodeKind, Op, Subject, Tree, MAX_ITEMS,
    MAX_NAME, MAX_NODES, MAX_TEXT,
};
use super::template::{is_var_name, pieces, Piece};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Error,
    Warning,
}

macro_rules! codes {
    ($($variant:ident = $text:literal, $sev:ident;)+) => {
        /// Stable machine codes: never renamed once published.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        pub enum Code { $(#[serde(rename = $text)] $variant),+ }

        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $text),+ }
            }
            pub fn severity(self) -> Severity {
                match self { $(Code::$variant => Severity::$sev),+ }
            }
        }
    };
}

codes! {
    TooManyNodes = "too_many_nodes", Error;
    TooManyItems = "too_many_items", Error;
    TextTooLong = "text_too_long", Error;
    MissingRoot = "missing_root", Error;
    BadId = "bad_id", Error;
    DuplicateId = "duplicate_id", Error;
    DanglingTarget = "dangling_target", Error;
    Unreachable = "unreachable", Error;
    DeadEnd = "dead_end", Error;
    Cycle = "cycle", Error;
    BadLoopFlag = "bad_loop_flag", Error;
    UndefinedVariable = "undefined_variable", Error;
    MaybeUndefinedVariable = "maybe_undefined_variable", Warning;
    BadPlaceholder = "bad_placeholder", Error;
    EmptyPrompt = "empty_prompt", Error;
    EmptyVariant = "empty_variant", Error;
    VariantForEveryone = "variant_for_everyone", Warning;
    MissingMedia = "missing_media", Error;
    BadMediaUrl = "bad_media_url", Error;
    MediaWithoutAlt = "media_without_alt", Warning;
    NoAnswers = "no_answers", Error;
    EmptyAnswer = "empty_answer", Error;
    DuplicateAnswer = "duplicate_answer", Warning;
    NoFields = "no_fields", Error;
    BadFieldName = "bad_field_name", Error;
    DuplicateField = "duplicate_field", Error;
    BadField = "bad_field", Error;
    NoDefault = "no_default", Error;
    RuleAlwaysTrue = "rule_always_true", Warning;
    BadCondition = "bad_condition", Error;
    BadEscalation = "bad_escalation", Error;
    EmptyReason = "empty_reason", Warning;
    UnknownSubtree = "unknown_subtree", Error;
}

/// One thing wrong with a tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Problem {
    pub severity: Severity,
    pub code: Code,
    /// The node concerned; None for problems of the whole tree.
    pub node: Option<String>,
    pub message: String,
}

/// Everything [`validate`] found, in a deterministic order (tree-wide first,
/// then per node in authoring order, then graph rules).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Report {
    pub problems: Vec<Problem>,
}

impl Report {
    /// Published versions are immutable and must run: no errors at all.
    pub fn is_publishable(&self) -> bool {
        self.errors().next().is_none()
    }
    pub fn errors(&self) -> impl Iterator<Item = &Problem> {
        self.problems
            .iter()
            .filter(|p| p.severity == Severity::Error)
    }
    pub fn warnings(&self) -> impl Iterator<Item = &Problem> {
        self.problems
            .iter()
            .filter(|p| p.severity == Severity::Warning)
    }
    pub fn codes(&self) -> Vec<Code> {
        self.problems.iter().map(|p| p.code).collect()
    }
}

/// What the tree may refer to outside itself. `None` skips that check (an
/// editor without access to the blob store); the store passes both to publish.
#[derive(Debug, Clone, Copy, Default)]
pub struct Known<'a> {
    /// Blob keys present in the tenant's blob store.
    pub blobs: Option<&'a BTreeSet<String>>,
    /// Sub-trees a jump may name, each with the variables it can define
    /// (visible after it returns).
    pub subtrees: Option<&'a BTreeMap<String, BTreeSet<String>>>,
}

/// Checks a tree against every rule and returns all problems.
pub fn validate(tree: &Tree, known: Known<'_>) -> Report {
    let mut v = Checker {
        problems: Vec::new(),
    };
    if tree.nodes.len() > MAX_NODES {
        // Refuse hostile sizes before any per-node work.
        v.tree(
            Code::TooManyNodes,
            format!(
                "the tree has {} nodes; at most {MAX_NODES} are allowed",
                tree.nodes.len()
            ),
        );
        return Report {
            problems: v.problems,
        };
    }
    v.text(None, "title", &tree.title);
    let index = tree.index();
    if !index.contains_key(tree.root.as_str()) {
        v.tree(
            Code::MissingRoot,
            format!("the root '{}' is not a node of the tree", short(&tree.root)),
        );
    }
    let mut seen = BTreeSet::new();
    for node in &tree.nodes {
        if !seen.insert(node.id.as_str()) {
            v.node(
                node,
                Code::DuplicateId,
                format!("another node already has the id '{}'", short(&node.id)),
            );
            continue;
        }
        v.check_node(node, &index, known);
    }
    if index.contains_key(tree.root.as_str()) {
        Graph::new(tree, &index).check(&mut v, known);
    }
    Report {
        problems: v.problems,
    }
}

struct Checker {
    problems: Vec<Problem>,
}

fn short(s: &str) -> String {
    if s.chars().count() > 60 {
        let mut t: String = s.chars().take(60).collect();
        t.push('…');
        t
    } else {
        s.to_string()
    }
}

impl Checker {
    fn tree(&mut self, code: Code, message: String) {
        self.problems.push(Problem {
            severity: code.severity(),
            code,
            node: None,
            message,
        });
    }

    fn at(&mut self, node: &str, code: Code, message: String) {
        self.problems.push(Problem {
            severity: code.severity(),
            code,
            node: Some(node.to_string()),
            message,
        });
    }

    fn node(&mut self, node: &Node, code: Code, message: String) {
        self.at(&node.id, code, message);
    }

    /// Length limit; returns whether the text is within it.
    fn text(&mut self, node: Option<&Node>, what: &str, text: &str) -> bool {
        let n = text.chars().count();
        if n <= MAX_TEXT {
            return true;
        }
        let message = format!("{what} has {n} characters; at most {MAX_TEXT} are allowed");
        match node {
            Some(node) => self.node(node, Code::TextTooLong, message),
            None => self.tree(Code::TextTooLong, message),
        }
        false
    }

    fn items(&mut self, node: &Node, what: &str, n: usize) -> bool {
        if n <= MAX_ITEMS {
            return true;
        }
        self.node(
            node,
            Code::TooManyItems,
            format!("{n} {what}; at most {MAX_ITEMS} are allowed"),
        );
        false
    }

    fn placeholders(&mut self, node: &Node, what: &str, text: &str) {
        for p in pieces(text) {
            if let Piece::Bad(b) = p {
                self.node(
                    node,
                    Code::BadPlaceholder,
                    format!(
                        "{what}: '{}' is not a placeholder; write {{{{name}}}} or {{{{customer.age_band}}}}",
                        short(b)
                    ),
                );
            }
        }
    }

    fn target(&mut self, node: &Node, edge: &str, target: &str, index: &BTreeMap<&str, usize>) {
        if !index.contains_key(target) {
            self.node(
                node,
                Code::DanglingTarget,
                format!("{edge} leads to '{}', which is not a node", short(target)),
            );
        }
    }

    fn check_node(&mut self, node: &Node, index: &BTreeMap<&str, usize>, known: Known<'_>) {
        let id_ok = !node.id.trim().is_empty()
            && node.id.chars().count() <= MAX_NAME
            && !node.id.chars().any(char::is_control);
        if !id_ok {
            self.node(
                node,
                Code::BadId,
                format!("a node id must be 1 to {MAX_NAME} characters without control characters"),
            );
        }
        self.text(Some(node), "the title", &node.title);
        let c = &node.content;
        if self.text(Some(node), "the text", &c.text) {
            self.placeholders(node, "the text", &c.text);
        }
        if self.items(node, "variants", c.variants.len()) {
            for (i, var) in c.variants.iter().enumerate() {
                if var.text.trim().is_empty() {
                    self.node(
                        node,
                        Code::EmptyVariant,
                        format!("variant {} has no text", i + 1),
                    );
                } else if self.text(Some(node), "a variant", &var.text) {
                    self.placeholders(node, &format!("variant {}", i + 1), &var.text);
                }
                if var.segment.is_everyone() {
                    self.node(
                        node,
                        Code::VariantForEveryone,
                        format!(
                            "variant {} has an empty segment: it replaces the text for every customer",
                            i + 1
                        ),
                    );
                }
            }
        }
        if self.items(node, "media", c.media.len()) {
            for (i, m) in c.media.iter().enumerate() {
                match &m.source {
                    MediaSource::Blob(key) => {
                        let missing = key.trim().is_empty()
                            || known.blobs.is_some_and(|blobs| !blobs.contains(key));
                        if missing {
                            self.node(
                                node,
                                Code::MissingMedia,
                                format!(
                                    "media {} refers to the file '{}', which is not stored",
                                    i + 1,
                                    short(key)
                                ),
                            );
                        }
                    }
                    MediaSource::Url(url) => {
                        let lower = url.trim().to_ascii_lowercase();
                        let ok = (lower.starts_with("https://") || lower.starts_with("http://"))
                            && url.len() <= 2048
                            && !url.chars().any(|ch| ch.is_whitespace() || ch.is_control());
                        if !ok {
                            self.node(
                                node,
                                Code::BadMediaUrl,
                                format!(
                                    "media {}: '{}' is not an http(s) address",
                                    i + 1,
                                    short(url)
                                ),
                            );
                        }
                    }
                }
                let needs_alt = matches!(
                    m.kind,
                    super::model::MediaKind::Image | super::model::MediaKind::Video
                );
                if needs_alt && m.alt.trim().is_empty() {
                    self.node(
                        node,
                        Code::MediaWithoutAlt,
                        format!("media {} has no alternative text", i + 1),
                    );
                }
                self.text(Some(node), "alternative text", &m.alt);
            }
        }
        if node.allow_loop && !node.kind.waits_for_advisor() {
            self.node(
                node,
                Code::BadLoopFlag,
                format!(
                    "allow_loop is only allowed on nodes that wait for the advisor, not on a {}",
                    node.kind.name()
                ),
            );
        }
        let needs_text = matches!(
            node.kind,
            NodeKind::Question { .. } | NodeKind::Instruction { .. } | NodeKind::Solution { .. }
        );
        if needs_text && c.text.trim().is_empty() {
            self.node(
                node,
                Code::EmptyPrompt,
                format!("the {} has no text to show", node.kind.name()),
            );
        }
        match &node.kind {
            NodeKind::Question { answers } => {
                if answers.is_empty() {
                    self.node(
                        node,
                        Code::NoAnswers,
                        "the question has no answers".to_string(),
                    );
                }
                if self.items(node, "answers", answers.len()) {
                    let mut labels = BTreeSet::new();
                    for (i, a) in answers.iter().enumerate() {
                        if a.label.trim().is_empty() {
                            self.node(
                                node,
                                Code::EmptyAnswer,
                                format!("answer {} has no label", i + 1),
                            );
                        } else if self.text(Some(node), "an answer", &a.label)
                            && !labels.insert(a.label.trim().to_lowercase())
                        {
                            self.node(
                                node,
                                Code::DuplicateAnswer,
                                format!("two answers are labelled '{}'", short(&a.label)),
                            );
                        }
                        self.target(node, &format!("answer {}", i + 1), &a.target, index);
                    }
                }
            }
            NodeKind::Instruction { next } => self.target(node, "next", next, index),
            NodeKind::Form { fields, next } => {
                self.target(node, "next", next, index);
                if fields.is_empty() {
                    self.node(node, Code::NoFields, "the form has no fields".to_string());
                }
                if self.items(node, "fields", fields.len()) {
                    self.check_fields(node, fields);
                }
            }
            NodeKind::Decision { rules, default } => {
                match default {
                    Some(d) => self.target(node, "the default branch", d, index),
                    None => self.node(
                        node,
                        Code::NoDefault,
                        "the decision has no default branch for when no rule matches".to_string(),
                    ),
                }
                if self.items(node, "rules", rules.len()) {
                    for (i, r) in rules.iter().enumerate() {
                        self.target(node, &format!("rule {}", i + 1), &r.target, index);
                        if r.when.is_empty() {
                            self.node(
                                node,
                                Code::RuleAlwaysTrue,
                                format!(
                                    "rule {} has no conditions: it always matches, so later rules and the default never run",
                                    i + 1
                                ),
                            );
                        }
                        if self.items(node, "conditions", r.when.len()) {
                            for cond in &r.when {
                                if let Err(m) = check_condition(cond) {
                                    self.node(
                                        node,
                                        Code::BadCondition,
                                        format!("rule {}: {m}", i + 1),
                                    );
                                }
                            }
                        }
                    }
                }
            }
            NodeKind::Solution { next, .. } => {
                if let Some(n) = next {
                    self.target(node, "next", n, index);
                }
            }
            NodeKind::Escalation { target, reason } => {
                if let super::model::EscalationTarget::Queue(q) = target {
                    if q.trim().is_empty() || q.chars().count() > MAX_NAME {
                        self.node(
                            node,
                            Code::BadEscalation,
                            format!("the escalation queue name must be 1 to {MAX_NAME} characters"),
                        );
                    }
                }
                if reason.trim().is_empty() {
                    self.node(
                        node,
                        Code::EmptyReason,
                        "the escalation gives no reason to the next tier".to_string(),
                    );
                } else if self.text(Some(node), "the reason", reason) {
                    self.placeholders(node, "the reason", reason);
                }
            }
            NodeKind::Jump {
                tree_ref,
                return_to,
            } => {
                let unknown = tree_ref.trim().is_empty()
                    || known
                        .subtrees
                        .is_some_and(|s| !s.contains_key(tree_ref.as_str()));
                if unknown {
                    self.node(
                        node,
                        Code::UnknownSubtree,
                        format!(
                            "the jump names the sub-tree '{}', which is not published",
                            short(tree_ref)
                        ),
                    );
                }
                if let Some(r) = return_to {
                    self.target(node, "the return", r, index);
                }
            }
            NodeKind::End { .. } => {}
        }
    }

    fn check_fields(&mut self, node: &Node, fields: &[super::model::Field]) {
        let mut names = BTreeSet::new();
        for f in fields {
            if !is_var_name(&f.name) {
                self.node(
                    node,
                    Code::BadFieldName,
                    format!(
                        "'{}' cannot name a variable: use letters, digits and _ (not starting with a digit), not 'customer'",
                        short(&f.name)
                    ),
                );
            } else if !names.insert(f.name.as_str()) {
                self.node(
                    node,
                    Code::DuplicateField,
                    format!("two fields are named '{}'", f.name),
                );
            }
            let mut bad = |m: String| self_push(&mut self.problems, node, m);
            if f.label.trim().is_empty() {
                bad(format!("field '{}' has no label", short(&f.name)));
            }
            match &f.kind {
                FieldKind::Number { min, max, .. } => {
                    if min.is_some_and(|x| !x.is_finite()) || max.is_some_and(|x| !x.is_finite()) {
                        bad(format!("field '{}': bounds must be finite numbers", f.name));
                    } else if let (Some(lo), Some(hi)) = (min, max) {
                        if lo > hi {
                            bad(format!(
                                "field '{}': minimum {lo} is above maximum {hi}",
                                f.name
                            ));
                        }
                    }
                }
                FieldKind::Text { max_len: Some(0) } => {
                    bad(format!(
                        "field '{}': a maximum length of 0 accepts nothing",
                        f.name
                    ));
                }
                FieldKind::Choice { options } => {
                    if options.is_empty() {
                        bad(format!("field '{}' offers no options", f.name));
                    }
                    let mut values = BTreeSet::new();
                    for o in options {
                        if o.value.trim().is_empty() || o.label.trim().is_empty() {
                            bad(format!(
                                "field '{}': every option needs a value and a label",
                                f.name
                            ));
                        } else if !values.insert(o.value.as_str()) {
                            bad(format!(
                                "field '{}': the option '{}' appears twice",
                                f.name,
                                short(&o.value)
                            ));
                        }
                    }
                    if options.len() > MAX_ITEMS {
                        bad(format!(
                            "field '{}' has more than {MAX_ITEMS} options",
                            f.name
                        ));
                    }
                }
                _ => {}
            }
        }
    }
}

fn self_push(problems: &mut Vec<Problem>, node: &Node, message: String) {
    problems.push(Problem {
        severity: Code::BadField.severity(),
        code: Code::BadField,
        node: Some(node.id.clone()),
        message,
    });
}

/// Shape checks that do not need the rest of the tree.
fn check_condition(c: &Condition) -> Result<(), String> {
    let value = c.value.as_ref();
    match c.op {
        Op::IsSet | Op::IsNotSet => {
            if value.is_some() {
                return Err("is_set and is_not_set take no value".into());
            }
        }
        Op::In | Op::NotIn => {
            if !matches!(value, Some(Literal::List(l)) if !l.is_empty()) {
                return Err("in and not_in need a non-empty list of values".into());
            }
        }
        _ => match value {
            None => return Err("this comparison needs a value".into()),
            Some(Literal::List(_)) => return Err("only in and not_in take a list".into()),
            Some(Literal::Number(n)) if !n.is_finite() => {
                return Err("numbers must be finite".into())
            }
            Some(_) => {}
        },
    }
    match &c.subject {
        Subject::Var(name) => {
            if !is_var_name(name) {
                return Err(format!("'{}' is not a variable name", short(name)));
            }
            if c.op.needs_order() && matches!(value, Some(Literal::Bool(_))) {
                return Err("true and false cannot be ordered".into());
            }
        }
        Subject::Customer(attr) => {
            if c.op == Op::Contains {
                return Err(format!("contains does not apply to {}", attr.as_str()));
            }
            if c.op.needs_order() && !attr.is_ordered() {
                return Err(format!("{} has no order; use eq, ne or in", attr.as_str()));
            }
            let allowed = attr.values();
            let mut check = |l: &Literal| match l {
                Literal::Text(t) if allowed.contains(&t.as_str()) => Ok(()),
                other => Err(format!(
                    "{} is never {}: expected one of {}",
                    attr.as_str(),
                    literal_text(other),
                    allowed.join(", ")
                )),
            };
            match value {
                Some(Literal::List(l)) => l.iter().try_for_each(&mut check)?,
                Some(l) => check(l)?,
                None => {}
            }
        }
    }
    Ok(())
}

fn literal_text(l: &Literal) -> String {
    serde_json::to_string(l).unwrap_or_default()
}

/// The reachable part of the tree as an index graph.
struct Graph<'t> {
    tree: &'t Tree,
    /// Node index (first occurrence of each id) → successor indices.
    succ: Vec<Vec<usize>>,
    /// Whether a node has an edge to an id that does not exist.
    dangling: Vec<bool>,
    root: usize,
    reachable: Vec<bool>,
}

impl<'t> Graph<'t> {
    fn new(tree: &'t Tree, index: &BTreeMap<&str, usize>) -> Self {
        let n = tree.nodes.len();
        let mut succ = vec![Vec::new(); n];
        let mut dangling = vec![false; n];
        for (i, node) in tree.nodes.iter().enumerate() {
            if index.get(node.id.as_str()) != Some(&i) {
                continue;
            }
            for (_, t) in node.kind.edges() {
                match index.get(t.as_str()) {
                    Some(&j) => succ[i].push(j),
                    None => dangling[i] = true,
                }
            }
        }
        let root = index.get(tree.root.as_str()).copied().unwrap_or(0);
        let mut reachable = vec![false; n];
        let mut queue = VecDeque::from([root]);
        reachable[root] = true;
        while let Some(i) = queue.pop_front() {
            for &j in &succ[i] {
                if !reachable[j] {
                    reachable[j] = true;
                    queue.push_back(j);
                }
            }
        }
        Graph {
            tree,
            succ,
            dangling,
            root,
            reachable,
        }
    }

    fn check(&self, v: &mut Checker, known: Known<'_>) {
        let index = self.tree.index();
        for (i, node) in self.tree.nodes.iter().enumerate() {
            if index.get(node.id.as_str()) == Some(&i) && !self.reachable[i] {
                v.node(
                    node,
                    Code::Unreachable,
                    "no path from the root leads to this node".to_string(),
                );
            }
        }
        self.dead_ends(v);
        self.cycles(v);
        self.variables(v, known);
    }

    /// Reachable nodes from which no path reaches an outcome. Nodes already
    /// reported for a broken edge or missing answers count as exits, so one
    /// mistake is reported once.
    fn dead_ends(&self, v: &mut Checker) {
        let n = self.succ.len();
        let mut pred = vec![Vec::new(); n];
        for (i, s) in self.succ.iter().enumerate() {
            for &j in s {
                pred[j].push(i);
            }
        }
        let mut ok = vec![false; n];
        let mut queue = VecDeque::new();
        for (i, node) in self.tree.nodes.iter().enumerate() {
            let exit = node.kind.is_terminal()
                || self.dangling[i]
                || matches!(&node.kind, NodeKind::Question { answers } if answers.is_empty());
            if exit && self.reachable[i] {
                ok[i] = true;
                queue.push_back(i);
            }
        }
        while let Some(j) = queue.pop_front() {
            for &i in &pred[j] {
                if !ok[i] {
                    ok[i] = true;
                    queue.push_back(i);
                }
            }
        }
        for (i, node) in self.tree.nodes.iter().enumerate() {
            if self.reachable[i] && !ok[i] {
                v.node(
                    node,
                    Code::DeadEnd,
                    "no path from this node reaches an end, a solution or an escalation"
                        .to_string(),
                );
            }
        }
    }

    /// Cycles among reachable nodes once edges into `allow_loop` nodes (that
    /// wait for the advisor) are removed: what remains could loop unattended
    /// or was not meant to loop. Iterative Tarjan, as trees can be 10,000 deep.
    fn cycles(&self, v: &mut Checker) {
        let n = self.succ.len();
        let loop_ok = |j: usize| {
            let node = &self.tree.nodes[j];
            node.allow_loop && node.kind.waits_for_advisor()
        };
        let edges: Vec<Vec<usize>> = self
            .succ
            .iter()
            .enumerate()
            .map(|(i, s)| {
                if self.reachable[i] {
                    s.iter().copied().filter(|&j| !loop_ok(j)).collect()
                } else {
                    Vec::new()
                }
            })
            .collect();
        const UNSEEN: usize = usize::MAX;
        let mut order = vec![UNSEEN; n];
        let mut low = vec![0; n];
        let mut on_stack = vec![false; n];
        let mut stack = Vec::new();
        let mut counter = 0;
        let mut found: Vec<Vec<usize>> = Vec::new();
        for start in 0..n {
            if order[start] != UNSEEN || !self.reachable[start] {
                continue;
            }
            let mut call: Vec<(usize, usize)> = vec![(start, 0)];
            order[start] = counter;
            low[start] = counter;
            counter += 1;
            stack.push(start);
            on_stack[start] = true;
            while let Some(&mut (i, ref mut k)) = call.last_mut() {
                if let Some(&j) = edges[i].get(*k) {
                    *k += 1;
                    if order[j] == UNSEEN {
                        order[j] = counter;
                        low[j] = counter;
                        counter += 1;
                        stack.push(j);
                        on_stack[j] = true;
                        call.push((j, 0));
                    } else if on_stack[j] {
                        low[i] = low[i].min(order[j]);
                    }
                    continue;
                }
                call.pop();
                if let Some(&(parent, _)) = call.last() {
                    low[parent] = low[parent].min(low[i]);
                }
                if low[i] == order[i] {
                    let mut scc = Vec::new();
                    while let Some(j) = stack.pop() {
                        on_stack[j] = false;
                        scc.push(j);
                        if j == i {
                            break;
                        }
                    }
                    let self_loop = edges[i].contains(&i);
                    if scc.len() > 1 || self_loop {
                        scc.sort_unstable();
                        found.push(scc);
                    }
                }
            }
        }
        found.sort();
        for scc in found {
            let names: Vec<&str> = scc
                .iter()
                .take(10)
                .map(|&i| self.tree.nodes[i].id.as_str())
                .collect();
            let more = if scc.len() > 10 { ", …" } else { "" };
            v.node(
                &self.tree.nodes[scc[0]],
                Code::Cycle,
                format!(
                    "these nodes form a loop: {}{more}; mark a question, instruction or form in it with allow_loop if the advisor may go round it",
                    names.join(", ")
                ),
            );
        }
    }

    /// Variables read by text and rules must be set by a form (or a returning
    /// sub-tree) on some path before the reading node (error), and should be
    /// on every path (warning).
    fn variables(&self, v: &mut Checker, known: Known<'_>) {
        let n = self.succ.len();
        let mut names: BTreeMap<String, usize> = BTreeMap::new();
        let mut defs: Vec<Vec<usize>> = vec![Vec::new(); n];
        let mut sub_defs: Vec<Vec<usize>> = vec![Vec::new(); n];
        let intern = |names: &mut BTreeMap<String, usize>, s: &str| {
            let next = names.len();
            *names.entry(s.to_string()).or_insert(next)
        };
        for (i, node) in self.tree.nodes.iter().enumerate() {
            if !self.reachable[i] {
                continue;
            }
            match &node.kind {
                NodeKind::Form { fields, .. } => {
                    for f in fields {
                        if is_var_name(&f.name) {
                            defs[i].push(intern(&mut names, &f.name));
                        }
                    }
                }
                NodeKind::Jump { tree_ref, .. } => {
                    if let Some(vars) = known.subtrees.and_then(|s| s.get(tree_ref.as_str())) {
                        for name in vars {
                            sub_defs[i].push(intern(&mut names, name));
                        }
                    }
                }
                _ => {}
            }
        }
        let words = names.len().div_ceil(64).max(1);
        // may[i]: set on some path before i; must[i]: on every path.
        let mut may = vec![vec![0u64; words]; n];
        let mut must = vec![vec![u64::MAX; words]; n];
        must[self.root] = vec![0; words];
        let set = |bits: &mut Vec<u64>, k: usize| bits[k / 64] |= 1 << (k % 64);
        let mut queue = VecDeque::from([self.root]);
        let mut queued = vec![false; n];
        queued[self.root] = true;
        while let Some(i) = queue.pop_front() {
            queued[i] = false;
            let mut out_may = may[i].clone();
            let mut out_must = must[i].clone();
            for &k in &defs[i] {
                set(&mut out_may, k);
                set(&mut out_must, k);
            }
            for &k in &sub_defs[i] {
                set(&mut out_may, k);
            }
            for &j in &self.succ[i] {
                let mut changed = false;
                for w in 0..words {
                    let m = may[j][w] | out_may[w];
                    let s = if j == self.root {
                        0
                    } else {
                        must[j][w] & out_must[w]
                    };
                    changed |= m != may[j][w] || s != must[j][w];
                    may[j][w] = m;
                    must[j][w] = s;
                }
                if changed && !queued[j] {
                    queued[j] = true;
                    queue.push_back(j);
                }
            }
        }
        let has = |bits: &[u64], k: usize| bits[k / 64] & (1 << (k % 64)) != 0;
        for (i, node) in self.tree.nodes.iter().enumerate() {
            if !self.reachable[i] {
                continue;
            }
            let mut used: Vec<&str> = Vec::new();
            let mut add = |s: &'t str| {
                if !used.contains(&s) {
                    used.push(s);
                }
            };
            for p in pieces(&node.content.text) {
                if let Piece::Var(s) = p {
                    add(s);
                }
            }
            for var in &node.content.variants {
                for p in pieces(&var.text) {
                    if let Piece::Var(s) = p {
                        add(s);
                    }
                }
            }
            match &node.kind {
                NodeKind::Decision { rules, .. } => {
                    for r in rules {
                        for c in &r.when {
                            if let Subject::Var(s) = &c.subject {
                                if is_var_name(s) && !matches!(c.op, Op::IsSet | Op::IsNotSet) {
                                    add(s);
                                }
                            }
                        }
                    }
                }
                NodeKind::Escalation { reason, .. } => {
                    for p in pieces(reason) {
                        if let Piece::Var(s) = p {
                            add(s);
                        }
                    }
                }
                _ => {}
            }
            for name in used {
                match names.get(name) {
                    Some(&k) if has(&may[i], k) => {
                        if !has(&must[i], k) {
                            v.node(
                                node,
                                Code::MaybeUndefinedVariable,
                                format!(
                                    "the variable '{name}' is not set on every path to this node"
                                ),
                            );
                        }
                    }
                    _ => v.node(
                        node,
                        Code::UndefinedVariable,
                        format!("the variable '{name}' is not set by any form before this node"),
                    ),
                }
            }
        }
    }
}
