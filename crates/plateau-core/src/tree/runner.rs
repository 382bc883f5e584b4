//! The advisor's walk through a published tree: a deterministic session state
//! machine that renders each screen (variables filled in, the customer's
//! segment variant chosen), takes answers and form values, evaluates decisions
//! by itself, enters and leaves sub-trees, undoes steps, and records the
//! [`Path`] the store writes into the conversation timeline.
//!
//! Every action either succeeds or changes nothing: work happens on a copy of
//! the state that replaces the current one only on success.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use super::model::{
    CustomerAttr, CustomerAttrs, EscalationTarget, Field, FieldKind, Literal, Media, Node, NodeId,
    NodeKind, Op, Outcome, Subject, Tree, MAX_TEXT,
};
use super::template::{render, Piece};
use crate::error::FieldError;

/// Nodes passed through without the advisor between two screens; more means
/// an unvalidated tree loops by itself.
pub const MAX_AUTO_STEPS: usize = 10_000;
/// Nested sub-tree jumps.
pub const MAX_JUMP_DEPTH: usize = 16;
/// Undo history kept; older steps can no longer be undone.
pub const MAX_UNDO: usize = 1_000;

/// Published sub-trees a jump may enter, by reference.
pub trait SubTrees {
    fn subtree(&self, tree_ref: &str) -> Option<&Tree>;
}

impl SubTrees for BTreeMap<String, Tree> {
    fn subtree(&self, tree_ref: &str) -> Option<&Tree> {
        self.get(tree_ref)
    }
}

impl SubTrees for HashMap<String, Tree> {
    fn subtree(&self, tree_ref: &str) -> Option<&Tree> {
        self.get(tree_ref)
    }
}

/// No sub-trees: every jump fails.
impl SubTrees for () {
    fn subtree(&self, _: &str) -> Option<&Tree> {
        None
    }
}

/// A variable's value, as a form field produced it. Dates, e-mails, phones
/// and choices are normalised text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum Value {
    Bool(bool),
    Number(f64),
    Text(String),
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Bool(b) => write!(f, "{b}"),
            Value::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => write!(f, "{n:.0}"),
            Value::Number(n) => write!(f, "{n}"),
            Value::Text(t) => f.write_str(t),
        }
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RunError {
    #[error("the session is finished")]
    Finished,
    #[error("this action does not apply to a {0} step")]
    WrongStep(&'static str),
    #[error("there is no answer {0}")]
    NoSuchAnswer(usize),
    #[error("some values are not valid")]
    Invalid(Vec<FieldError>),
    #[error("nothing to undo")]
    NothingToUndo,
    #[error("the tree has no node '{0}'")]
    UnknownNode(String),
    #[error("the sub-tree '{0}' is not available")]
    UnknownSubtree(String),
    #[error("sub-trees are nested more than {MAX_JUMP_DEPTH} deep")]
    TooDeep,
    #[error("no rule of the decision '{0}' matched and it has no default")]
    NoBranch(String),
    #[error("more than {MAX_AUTO_STEPS} steps passed without the advisor: the tree loops")]
    Loops,
}

/// One recorded moment of a session; `at` is the caller's clock in
/// microseconds since the Unix epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PathEvent {
    pub at: i64,
    /// The sub-tree the node belongs to; None for the tree the session started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tree_ref: Option<String>,
    pub node: NodeId,
    #[serde(flatten)]
    pub entry: PathEntry,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum PathEntry {
    /// The session reached the node.
    Visited,
    Answered {
        index: usize,
        label: String,
    },
    Submitted {
        values: BTreeMap<String, Value>,
    },
    /// The advisor went on from an instruction or a solution.
    Continued,
    /// A decision chose a rule (by position) or its default (None).
    Decided {
        rule: Option<usize>,
    },
    Jumped {
        tree_ref: String,
    },
    /// A sub-tree ended and the session came back to this node.
    Returned,
    /// The advisor undid a step and is back at this node.
    Back,
    Restarted,
    /// The advisor ended the session early with this outcome.
    Stopped {
        outcome: Outcome,
    },
    Finished {
        outcome: Outcome,
    },
}

/// The record of a session, in order: what the timeline and analytics keep.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Path {
    pub events: Vec<PathEvent>,
}

impl Path {
    /// Node ids in the order they were reached (undone steps included).
    pub fn visited(&self) -> Vec<&str> {
        self.events
            .iter()
            .filter(|e| e.entry == PathEntry::Visited)
            .map(|e| e.node.as_str())
            .collect()
    }

    pub fn outcome(&self) -> Option<Outcome> {
        self.events.iter().rev().find_map(|e| match e.entry {
            PathEntry::Finished { outcome } | PathEntry::Stopped { outcome } => Some(outcome),
            _ => None,
        })
    }
}

/// An answer given on the way, for the next tier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GivenAnswer {
    pub node: NodeId,
    pub question: String,
    pub answer: String,
}

/// What an escalation hands to the next tier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Handoff {
    pub target: EscalationTarget,
    pub reason: String,
    pub variables: BTreeMap<String, Value>,
    pub answers: Vec<GivenAnswer>,
    /// Nodes of the current walk (undone steps excluded).
    pub visited: Vec<NodeId>,
}

/// The screen to show now.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Step {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tree_ref: Option<String>,
    pub node: NodeId,
    pub title: String,
    /// Markdown with variables filled in, in the customer's segment variant.
    /// Untrusted: render it without raw HTML.
    pub text: String,
    pub media: Vec<Media>,
    pub view: StepView,
    pub can_go_back: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StepView {
    Question {
        answers: Vec<String>,
    },
    Instruction,
    Form {
        fields: Vec<Field>,
        /// Values already set, to pre-fill the form when coming back to it.
        values: BTreeMap<String, Value>,
    },
    /// A solution the advisor may try before going on.
    Solution {
        article_id: Option<String>,
    },
    Finished {
        outcome: Outcome,
        #[serde(skip_serializing_if = "Option::is_none")]
        article_id: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        handoff: Option<Handoff>,
    },
}

#[derive(Debug, Clone, PartialEq)]
struct Frame {
    tree_ref: Option<String>,
    /// Where the parent continues when this sub-tree ends.
    return_to: Option<NodeId>,
}

#[derive(Debug, Clone, PartialEq)]
struct Finish {
    outcome: Outcome,
    handoff: Option<Handoff>,
}

#[derive(Debug, Clone, PartialEq)]
struct State {
    frames: Vec<Frame>,
    node: NodeId,
    vars: BTreeMap<String, Value>,
    /// Lengths of the session's append-only answer and visit logs in this
    /// state: undo truncates the logs instead of every state copying them.
    answers_len: usize,
    visited_len: usize,
    finished: Option<Finish>,
}

/// One advisor's walk through a tree for one customer.
pub struct Session<'t> {
    tree: &'t Tree,
    subtrees: &'t dyn SubTrees,
    customer: CustomerAttrs,
    initial: State,
    state: State,
    undo: Vec<State>,
    answers: Vec<GivenAnswer>,
    visited: Vec<NodeId>,
    path: Path,
}

impl std::fmt::Debug for Session<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("node", &self.state.node)
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl<'t> Session<'t> {
    /// Starts at the root and passes any decisions and jumps there.
    pub fn start(
        tree: &'t Tree,
        subtrees: &'t dyn SubTrees,
        customer: CustomerAttrs,
        at: i64,
    ) -> Result<Session<'t>, RunError> {
        let blank = State {
            frames: vec![Frame {
                tree_ref: None,
                return_to: None,
            }],
            node: tree.root.clone(),
            vars: BTreeMap::new(),
            answers_len: 0,
            visited_len: 0,
            finished: None,
        };
        let mut s = Session {
            tree,
            subtrees,
            customer,
            initial: blank.clone(),
            state: blank,
            undo: Vec::new(),
            answers: Vec::new(),
            visited: Vec::new(),
            path: Path::default(),
        };
        let (mut state, events, visited) =
            s.settle(s.state.clone(), tree.root.clone(), None, at)?;
        state.visited_len = visited.len();
        s.visited = visited;
        s.initial = state.clone();
        s.state = state;
        s.path.events = events;
        Ok(s)
    }

    /// Rebuilds a session from its recorded path by replaying the advisor's
    /// actions, so the store need only keep the path.
    pub fn replay(
        tree: &'t Tree,
        subtrees: &'t dyn SubTrees,
        customer: CustomerAttrs,
        path: &Path,
    ) -> Result<Session<'t>, RunError> {
        let start_at = path.events.first().map_or(0, |e| e.at);
        let mut s = Session::start(tree, subtrees, customer, start_at)?;
        for e in &path.events {
            match &e.entry {
                PathEntry::Answered { index, .. } => s.answer(*index, e.at)?,
                PathEntry::Submitted { values } => {
                    let raw = values
                        .iter()
                        .map(|(k, v)| (k.clone(), v.to_string()))
                        .collect();
                    s.submit(&raw, e.at)?
                }
                PathEntry::Continued => s.proceed(e.at)?,
                PathEntry::Back => s.back(e.at)?,
                PathEntry::Restarted => s.restart(e.at),
                PathEntry::Stopped { outcome } => s.stop(*outcome, e.at)?,
                _ => {}
            }
        }
        Ok(s)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn variables(&self) -> &BTreeMap<String, Value> {
        &self.state.vars
    }

    pub fn outcome(&self) -> Option<Outcome> {
        self.state.finished.as_ref().map(|f| f.outcome)
    }

    /// The answers given on the current walk (undone steps excluded).
    pub fn answers(&self) -> &[GivenAnswer] {
        &self.answers[..self.state.answers_len.min(self.answers.len())]
    }

    pub fn handoff(&self) -> Option<&Handoff> {
        self.state
            .finished
            .as_ref()
            .and_then(|f| f.handoff.as_ref())
    }

    fn tree_of(&self, frame: &Frame) -> Result<&'t Tree, RunError> {
        match &frame.tree_ref {
            None => Ok(self.tree),
            Some(r) => self
                .subtrees
                .subtree(r)
                .ok_or_else(|| RunError::UnknownSubtree(r.clone())),
        }
    }

    fn current(&self, state: &State) -> Result<(&'t Node, Option<String>), RunError> {
        let frame = state.frames.last().ok_or(RunError::Finished)?;
        let tree = self.tree_of(frame)?;
        let node = tree
            .node(&state.node)
            .ok_or_else(|| RunError::UnknownNode(state.node.clone()))?;
        Ok((node, frame.tree_ref.clone()))
    }

    fn fill(&self, vars: &BTreeMap<String, Value>, text: &str) -> String {
        render(text, |p| match p {
            Piece::Var(name) => vars.get(*name).map(Value::to_string),
            Piece::Customer(a) => a.read(&self.customer).map(str::to_string),
            _ => None,
        })
    }

    fn text_for(&self, vars: &BTreeMap<String, Value>, node: &Node) -> String {
        let c = &node.content;
        let chosen = c
            .variants
            .iter()
            .find(|v| v.segment.matches(&self.customer))
            .map_or(c.text.as_str(), |v| v.text.as_str());
        self.fill(vars, chosen)
    }

    /// Renders the current screen.
    pub fn step(&self) -> Result<Step, RunError> {
        let (node, tree_ref) = self.current(&self.state)?;
        let vars = &self.state.vars;
        let view = match (&self.state.finished, &node.kind) {
            (Some(f), kind) => StepView::Finished {
                outcome: f.outcome,
                article_id: match kind {
                    NodeKind::Solution { article_id, .. } => article_id.clone(),
                    _ => None,
                },
                handoff: f.handoff.clone(),
            },
            (None, NodeKind::Question { answers }) => StepView::Question {
                answers: answers.iter().map(|a| self.fill(vars, &a.label)).collect(),
            },
            (None, NodeKind::Instruction { .. }) => StepView::Instruction,
            (None, NodeKind::Form { fields, .. }) => StepView::Form {
                fields: fields.clone(),
                values: fields
                    .iter()
                    .filter_map(|f| vars.get(&f.name).map(|v| (f.name.clone(), v.clone())))
                    .collect(),
            },
            (None, NodeKind::Solution { article_id, .. }) => StepView::Solution {
                article_id: article_id.clone(),
            },
            (None, kind) => return Err(RunError::WrongStep(kind.name())),
        };
        Ok(Step {
            tree_ref,
            node: node.id.clone(),
            title: self.fill(vars, &node.title),
            text: self.text_for(vars, node),
            media: node.content.media.clone(),
            view,
            can_go_back: !self.undo.is_empty(),
        })
    }

    /// Moves from `start` through nodes that do not wait for the advisor.
    /// Returns the new state, its path events and the nodes it visited.
    fn settle(
        &self,
        mut state: State,
        start: NodeId,
        new_answer: Option<&GivenAnswer>,
        at: i64,
    ) -> Result<(State, Vec<PathEvent>, Vec<NodeId>), RunError> {
        let mut events = Vec::new();
        let mut visited = Vec::new();
        let mut id = start;
        for _ in 0..MAX_AUTO_STEPS {
            state.node = id.clone();
            let (node, tree_ref) = self.current(&state)?;
            let event = |entry: PathEntry| PathEvent {
                at,
                tree_ref: tree_ref.clone(),
                node: node.id.clone(),
                entry,
            };
            events.push(event(PathEntry::Visited));
            visited.push(node.id.clone());
            let outcome = match &node.kind {
                k if k.waits_for_advisor() => return Ok((state, events, visited)),
                NodeKind::Decision { rules, default } => {
                    let chosen = rules
                        .iter()
                        .position(|r| r.when.iter().all(|c| holds(c, &state.vars, &self.customer)));
                    events.push(event(PathEntry::Decided { rule: chosen }));
                    id = match chosen {
                        Some(i) => rules[i].target.clone(),
                        None => default
                            .clone()
                            .ok_or_else(|| RunError::NoBranch(node.id.clone()))?,
                    };
                    continue;
                }
                NodeKind::Jump {
                    tree_ref: sub,
                    return_to,
                } => {
                    if state.frames.len() > MAX_JUMP_DEPTH {
                        return Err(RunError::TooDeep);
                    }
                    let tree = self
                        .subtrees
                        .subtree(sub)
                        .ok_or_else(|| RunError::UnknownSubtree(sub.clone()))?;
                    events.push(event(PathEntry::Jumped {
                        tree_ref: sub.clone(),
                    }));
                    state.frames.push(Frame {
                        tree_ref: Some(sub.clone()),
                        return_to: return_to.clone(),
                    });
                    id = tree.root.clone();
                    continue;
                }
                NodeKind::Escalation { target, reason } => {
                    let handoff = Handoff {
                        target: target.clone(),
                        reason: self.fill(&state.vars, reason),
                        variables: state.vars.clone(),
                        answers: self.answers[..state.answers_len.min(self.answers.len())]
                            .iter()
                            .chain(new_answer)
                            .cloned()
                            .collect(),
                        visited: self.visited[..state.visited_len.min(self.visited.len())]
                            .iter()
                            .chain(&visited)
                            .cloned()
                            .collect(),
                    };
                    events.push(event(PathEntry::Finished {
                        outcome: Outcome::Escalated,
                    }));
                    state.finished = Some(Finish {
                        outcome: Outcome::Escalated,
                        handoff: Some(handoff),
                    });
                    return Ok((state, events, visited));
                }
                NodeKind::End { outcome } => *outcome,
                NodeKind::Solution { .. } => Outcome::Resolved,
                // Every kind that waits was handled by the first arm.
                NodeKind::Question { .. }
                | NodeKind::Instruction { .. }
                | NodeKind::Form { .. } => return Ok((state, events, visited)),
            };
            if state.frames.len() > 1 {
                if let Some(back) = state.frames.last().and_then(|f| f.return_to.clone()) {
                    state.frames.pop();
                    let (parent, parent_ref) = {
                        let frame = state.frames.last().ok_or(RunError::Finished)?;
                        (self.tree_of(frame)?, frame.tree_ref.clone())
                    };
                    if parent.node(&back).is_none() {
                        return Err(RunError::UnknownNode(back));
                    }
                    events.push(PathEvent {
                        at,
                        tree_ref: parent_ref,
                        node: back.clone(),
                        entry: PathEntry::Returned,
                    });
                    id = back;
                    continue;
                }
            }
            events.push(event(PathEntry::Finished { outcome }));
            state.finished = Some(Finish {
                outcome,
                handoff: None,
            });
            return Ok((state, events, visited));
        }
        Err(RunError::Loops)
    }

    /// Runs an action on a copy of the state and keeps it only if it succeeds.
    fn advance(
        &mut self,
        state: State,
        first: Vec<PathEvent>,
        next: NodeId,
        new_answer: Option<GivenAnswer>,
        at: i64,
    ) -> Result<(), RunError> {
        let (mut state, events, visited) = self.settle(state, next, new_answer.as_ref(), at)?;
        self.visited.extend(visited);
        self.answers.extend(new_answer);
        state.visited_len = self.visited.len();
        state.answers_len = self.answers.len();
        let previous = std::mem::replace(&mut self.state, state);
        self.undo.push(previous);
        if self.undo.len() > MAX_UNDO {
            self.undo.remove(0);
        }
        self.path.events.extend(first);
        self.path.events.extend(events);
        Ok(())
    }

    fn waiting(&self) -> Result<(&'t Node, Option<String>), RunError> {
        if self.state.finished.is_some() {
            return Err(RunError::Finished);
        }
        self.current(&self.state)
    }

    /// Chooses answer `index` (from 0) of the current question.
    pub fn answer(&mut self, index: usize, at: i64) -> Result<(), RunError> {
        let (node, tree_ref) = self.waiting()?;
        let NodeKind::Question { answers } = &node.kind else {
            return Err(RunError::WrongStep(node.kind.name()));
        };
        let answer = answers.get(index).ok_or(RunError::NoSuchAnswer(index))?;
        let state = self.state.clone();
        let label = self.fill(&state.vars, &answer.label);
        let given = GivenAnswer {
            node: node.id.clone(),
            question: self.text_for(&state.vars, node),
            answer: label.clone(),
        };
        let event = PathEvent {
            at,
            tree_ref,
            node: node.id.clone(),
            entry: PathEntry::Answered { index, label },
        };
        self.advance(state, vec![event], answer.target.clone(), Some(given), at)
    }

    /// Submits the current form as the browser sends it (text per field name).
    /// Every bad value is reported and nothing changes.
    pub fn submit(&mut self, raw: &BTreeMap<String, String>, at: i64) -> Result<(), RunError> {
        let (node, tree_ref) = self.waiting()?;
        let NodeKind::Form { fields, next } = &node.kind else {
            return Err(RunError::WrongStep(node.kind.name()));
        };
        let mut errors = Vec::new();
        for key in raw.keys() {
            if !fields.iter().any(|f| &f.name == key) {
                errors.push(FieldError::new(key.clone(), "is not a field of this form"));
            }
        }
        let mut parsed = BTreeMap::new();
        for f in fields {
            match parse_field(f, raw.get(&f.name).map(String::as_str)) {
                Ok(Some(v)) => {
                    parsed.insert(f.name.clone(), v);
                }
                Ok(None) => {}
                Err(m) => errors.push(FieldError::new(f.name.clone(), m)),
            }
        }
        if !errors.is_empty() {
            return Err(RunError::Invalid(errors));
        }
        let mut state = self.state.clone();
        for f in fields {
            match parsed.get(&f.name) {
                Some(v) => state.vars.insert(f.name.clone(), v.clone()),
                // Left empty this time: an earlier value must not linger.
                None => state.vars.remove(&f.name),
            };
        }
        let event = PathEvent {
            at,
            tree_ref,
            node: node.id.clone(),
            entry: PathEntry::Submitted { values: parsed },
        };
        self.advance(state, vec![event], next.clone(), None, at)
    }

    /// Goes on from an instruction, or from a solution that has a next step.
    pub fn proceed(&mut self, at: i64) -> Result<(), RunError> {
        let (node, tree_ref) = self.waiting()?;
        let next = match &node.kind {
            NodeKind::Instruction { next } => next,
            NodeKind::Solution {
                next: Some(next), ..
            } => next,
            k => return Err(RunError::WrongStep(k.name())),
        };
        let event = PathEvent {
            at,
            tree_ref,
            node: node.id.clone(),
            entry: PathEntry::Continued,
        };
        self.advance(self.state.clone(), vec![event], next.clone(), None, at)
    }

    /// Undoes the last advisor action, restoring the variables as they were.
    pub fn back(&mut self, at: i64) -> Result<(), RunError> {
        let previous = self.undo.pop().ok_or(RunError::NothingToUndo)?;
        self.state = previous;
        self.visited.truncate(self.state.visited_len);
        self.answers.truncate(self.state.answers_len);
        let tree_ref = self.state.frames.last().and_then(|f| f.tree_ref.clone());
        self.path.events.push(PathEvent {
            at,
            tree_ref,
            node: self.state.node.clone(),
            entry: PathEntry::Back,
        });
        Ok(())
    }

    /// Back to the first screen with no variables; the path keeps what came before.
    pub fn restart(&mut self, at: i64) {
        self.state = self.initial.clone();
        self.undo.clear();
        self.visited.truncate(self.state.visited_len);
        self.answers.truncate(self.state.answers_len);
        self.path.events.push(PathEvent {
            at,
            tree_ref: None,
            node: self.state.node.clone(),
            entry: PathEntry::Restarted,
        });
    }

    /// Ends the session early (the customer hung up, the advisor solved it
    /// another way). An early escalation carries what was collected.
    pub fn stop(&mut self, outcome: Outcome, at: i64) -> Result<(), RunError> {
        let (node, tree_ref) = self.waiting()?;
        let mut state = self.state.clone();
        state.finished = Some(Finish {
            outcome,
            handoff: None,
        });
        let previous = std::mem::replace(&mut self.state, state);
        self.undo.push(previous);
        self.path.events.push(PathEvent {
            at,
            tree_ref,
            node: node.id.clone(),
            entry: PathEntry::Stopped { outcome },
        });
        Ok(())
    }
}

/// Whether a condition holds; an unknown value satisfies only `is_not_set`.
fn holds(c: &Condition, vars: &BTreeMap<String, Value>, customer: &CustomerAttrs) -> bool {
    let subject: Option<(Value, Option<usize>)> = match &c.subject {
        Subject::Var(name) => vars.get(name).map(|v| (v.clone(), None)),
        Subject::Customer(attr) => attr
            .read(customer)
            .map(|s| (Value::Text(s.to_string()), rank(*attr, s))),
    };
    let attr = match &c.subject {
        Subject::Customer(a) => Some(*a),
        Subject::Var(_) => None,
    };
    let Some((value, own_rank)) = subject else {
        return c.op == Op::IsNotSet;
    };
    let cmp = |lit: &Literal| -> Option<Ordering> {
        match (attr, own_rank, lit) {
            (Some(a), Some(r), Literal::Text(t)) if a.is_ordered() => {
                rank(a, t).map(|other| r.cmp(&other))
            }
            _ => compare(&value, lit),
        }
    };
    let lit = c.value.as_ref();
    match c.op {
        Op::IsSet => true,
        Op::IsNotSet => false,
        Op::Eq => lit.and_then(cmp) == Some(Ordering::Equal),
        Op::Ne => lit.and_then(cmp).is_some_and(|o| o != Ordering::Equal),
        Op::Lt => lit.and_then(cmp) == Some(Ordering::Less),
        Op::Le => lit.and_then(cmp).is_some_and(|o| o != Ordering::Greater),
        Op::Gt => lit.and_then(cmp) == Some(Ordering::Greater),
        Op::Ge => lit.and_then(cmp).is_some_and(|o| o != Ordering::Less),
        Op::In | Op::NotIn => {
            let Some(Literal::List(items)) = lit else {
                return false;
            };
            let found = items.iter().any(|l| cmp(l) == Some(Ordering::Equal));
            found == (c.op == Op::In)
        }
        Op::Contains => match (&value, lit) {
            (Value::Text(v), Some(Literal::Text(t))) => {
                v.to_lowercase().contains(&t.to_lowercase())
            }
            _ => false,
        },
    }
}

fn rank(attr: CustomerAttr, value: &str) -> Option<usize> {
    attr.values().iter().position(|v| *v == value)
}

fn compare(v: &Value, lit: &Literal) -> Option<Ordering> {
    match (v, lit) {
        (Value::Number(a), Literal::Number(b)) => a.partial_cmp(b),
        (Value::Text(a), Literal::Text(b)) => Some(a.as_str().cmp(b.as_str())),
        (Value::Bool(a), Literal::Bool(b)) => Some(a.cmp(b)),
        _ => None,
    }
}

use super::model::Condition;

/// Parses one submitted value by the field's type. `Ok(None)` is an empty
/// optional field.
fn parse_field(f: &Field, raw: Option<&str>) -> Result<Option<Value>, String> {
    let text = raw.map(str::trim).unwrap_or("");
    if let FieldKind::Boolean = f.kind {
        return match text.to_ascii_lowercase().as_str() {
            "" | "false" | "off" | "no" | "0" => Ok(Some(Value::Bool(false))),
            "true" | "on" | "yes" | "1" => Ok(Some(Value::Bool(true))),
            _ => Err(format!("'{text}' is not yes or no")),
        };
    }
    if text.is_empty() {
        return if f.required {
            Err("is required".into())
        } else {
            Ok(None)
        };
    }
    let value = match &f.kind {
        FieldKind::Text { max_len } => {
            let max = max_len.map_or(MAX_TEXT, |m| m as usize).min(MAX_TEXT);
            let n = text.chars().count();
            if n > max {
                return Err(format!("must be at most {max} characters ({n} given)"));
            }
            if text
                .chars()
                .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
            {
                return Err("must not contain control characters".into());
            }
            Value::Text(text.to_string())
        }
        FieldKind::Number { min, max, integer } => {
            // Advisors in France type decimal commas.
            let n: f64 = text
                .replace(',', ".")
                .parse()
                .ok()
                .filter(|n: &f64| n.is_finite())
                .ok_or_else(|| format!("'{text}' is not a number"))?;
            if *integer && n.fract() != 0.0 {
                return Err(format!("{text} is not a whole number"));
            }
            if let Some(lo) = min.filter(|lo| n < *lo) {
                return Err(format!("must be at least {}", Value::Number(lo)));
            }
            if let Some(hi) = max.filter(|hi| n > *hi) {
                return Err(format!("must be at most {}", Value::Number(hi)));
            }
            Value::Number(n)
        }
        FieldKind::Choice { options } => {
            if !options.iter().any(|o| o.value == text) {
                return Err(format!("'{text}' is not one of the options"));
            }
            Value::Text(text.to_string())
        }
        FieldKind::Date => {
            let format = time::macros::format_description!("[year]-[month]-[day]");
            let d = time::Date::parse(text, &format)
                .map_err(|_| format!("'{text}' is not a date like 2024-03-31"))?;
            Value::Text(d.format(&format).map_err(|e| e.to_string())?)
        }
        FieldKind::Email => Value::Text(crate::validate::email(text)?),
        FieldKind::Phone => Value::Text(crate::validate::phone_e164(text)?),
        FieldKind::Boolean => Value::Bool(true),
    };
    Ok(Some(value))
}
