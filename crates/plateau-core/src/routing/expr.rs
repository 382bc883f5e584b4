//! The routing expression language: parsing (recursive descent over the
//! lexer's tokens), type-checking against a [`Schema`], refusal of expressions
//! that can never match, and compilation to a small predicate that the router
//! evaluates without allocating.
//!
//! Filters (which workflow a contact enters) speak about the contact; targets
//! (which advisors may take it) speak about the advisor. See docs/routing.md
//! for the grammar.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::lexer::{lex, Pos, Tok, Token};
use crate::model::{Channel, ContractTier, Language, Priority, Tier};

/// A parse or type error at a line and column, printed as `line:column: message`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{line}:{column}: {message}")]
pub struct ExprError {
    pub line: u32,
    pub column: u32,
    pub message: String,
}

impl ExprError {
    pub(crate) fn at(pos: Pos, message: impl Into<String>) -> Self {
        ExprError {
            line: pos.line,
            column: pos.column,
            message: message.into(),
        }
    }
}

/// Highest skill level; level 0 internally means "does not have the skill".
pub const MAX_SKILL_LEVEL: u8 = 5;

/// The names an expression may mention. Built by the caller from the tenant's
/// directory (skills, sites, teams) and reference data (reasons, segments), so
/// a typo is refused when the workflow is saved rather than silently never matching.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schema {
    pub skills: Vec<String>,
    pub sites: Vec<String>,
    pub teams: Vec<String>,
    pub tenants: Vec<String>,
    pub reasons: Vec<String>,
    pub segments: Vec<String>,
}

impl Schema {
    pub(crate) fn skill(&self, name: &str) -> Option<u16> {
        index_of(&self.skills, name)
    }
    pub(crate) fn site(&self, name: &str) -> Option<u32> {
        index_of(&self.sites, name).map(u32::from)
    }
    pub(crate) fn team(&self, name: &str) -> Option<u32> {
        index_of(&self.teams, name).map(u32::from)
    }
    pub(crate) fn tenant(&self, name: &str) -> Option<u32> {
        index_of(&self.tenants, name).map(u32::from)
    }
    pub(crate) fn reason(&self, name: &str) -> Option<u32> {
        index_of(&self.reasons, name).map(u32::from)
    }
    pub(crate) fn segment(&self, name: &str) -> Option<u32> {
        index_of(&self.segments, name).map(u32::from)
    }

    fn names(&self, attr: Attr) -> &[String] {
        match attr {
            Attr::Site => &self.sites,
            Attr::Team => &self.teams,
            Attr::Tenant => &self.tenants,
            Attr::Reason => &self.reasons,
            Attr::Segment => &self.segments,
            _ => &[],
        }
    }
}

fn index_of(list: &[String], name: &str) -> Option<u16> {
    list.iter()
        .position(|n| n == name)
        .and_then(|i| u16::try_from(i).ok())
}

/// The value of an optional text attribute that is absent (advisor without a
/// team, contact without a segment).
pub(crate) const NONE: u32 = u32::MAX;

/// What an expression is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// Workflow filters: tenant, channel, reason, language, priority, contract_tier, segment.
    Contact,
    /// Step targets: skills.<name>, language, tier, site, team.
    Advisor,
}

/// A resolved attribute. Every attribute reads as one small integer: an enum
/// position, a skill level, a name index, or (for the advisor's languages) the
/// bit set of languages spoken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Attr {
    Skill(u16),
    Languages,
    AdvisorTier,
    Site,
    Team,
    Tenant,
    Channel,
    Reason,
    ContactLanguage,
    Priority,
    ContractTier,
    Segment,
}

impl Attr {
    /// Number of values for closed domains; None for schema name lists.
    fn small_domain(self) -> Option<u32> {
        match self {
            Attr::Skill(_) => Some(u32::from(MAX_SKILL_LEVEL) + 1),
            Attr::Languages => Some(1 << Language::ALL.len()),
            Attr::AdvisorTier => Some(Tier::ALL.len() as u32),
            Attr::Channel => Some(Channel::ALL.len() as u32),
            Attr::ContactLanguage => Some(Language::ALL.len() as u32),
            Attr::Priority => Some(Priority::ALL.len() as u32),
            Attr::ContractTier => Some(ContractTier::ALL.len() as u32),
            Attr::Site | Attr::Team | Attr::Tenant | Attr::Reason | Attr::Segment => None,
        }
    }
}

/// Anything an expression can be evaluated against.
pub(crate) trait Attributes {
    fn value(&self, attr: Attr) -> u32;
}

/// Which values of one attribute satisfy an atom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ValueSet {
    /// Bit `v` set when value `v` matches (closed domains of at most 64 values).
    Mask(u64),
    /// Name indexes (sorted); `negated` flips membership.
    Ids { ids: Vec<u32>, negated: bool },
}

impl ValueSet {
    #[inline]
    fn contains(&self, v: u32) -> bool {
        match self {
            ValueSet::Mask(m) => v < 64 && (m >> v) & 1 == 1,
            ValueSet::Ids { ids, negated } => ids.binary_search(&v).is_ok() != *negated,
        }
    }
}

/// A compiled expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Pred {
    Const(bool),
    Atom(Attr, ValueSet),
    And(Vec<Pred>),
    Or(Vec<Pred>),
    Not(Box<Pred>),
}

impl Pred {
    #[inline]
    pub(crate) fn eval(&self, s: &impl Attributes) -> bool {
        match self {
            Pred::Const(b) => *b,
            Pred::Atom(a, set) => set.contains(s.value(*a)),
            Pred::And(ps) => ps.iter().all(|p| p.eval(s)),
            Pred::Or(ps) => ps.iter().any(|p| p.eval(s)),
            Pred::Not(p) => !p.eval(s),
        }
    }
}

/// A parsed, type-checked expression that can match something.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expr {
    source: String,
    pub(crate) pred: Pred,
}

impl Expr {
    /// Parses, checks against the schema and refuses expressions nothing could match.
    pub fn compile(source: &str, subject: Subject, schema: &Schema) -> Result<Expr, ExprError> {
        let tokens = lex(source)?;
        let mut p = Parser { tokens, i: 0 };
        let ast = p.expression()?;
        let node = resolve(&ast, subject, schema)?;
        check_satisfiable(&node, subject)?;
        Ok(Expr {
            source: source.trim().to_string(),
            pred: node.into_pred(),
        })
    }

    pub fn source(&self) -> &str {
        &self.source
    }
}

// ---------------------------------------------------------------- parsing

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, PartialEq)]
enum Literal {
    Str(String),
    Int(i64),
}

impl Literal {
    fn describe(&self) -> String {
        match self {
            Literal::Str(s) => format!("\"{s}\""),
            Literal::Int(i) => i.to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Ast {
    And(Box<Ast>, Box<Ast>, Pos),
    Or(Box<Ast>, Box<Ast>),
    Not(Box<Ast>),
    Bool(bool),
    Cmp {
        path: Vec<String>,
        path_pos: Pos,
        op: CmpOp,
        value: (Literal, Pos),
    },
    In {
        path: Vec<String>,
        path_pos: Pos,
        negated: bool,
        values: Vec<(Literal, Pos)>,
    },
}

struct Parser {
    tokens: Vec<Token>,
    i: usize,
}

impl Parser {
    fn peek(&self) -> &Token {
        // The lexer always ends with `End`, and `bump` never moves past it.
        &self.tokens[self.i.min(self.tokens.len() - 1)]
    }

    fn bump(&mut self) -> Token {
        let t = self.peek().clone();
        if self.i < self.tokens.len() - 1 {
            self.i += 1;
        }
        t
    }

    fn expected(&self, what: &str) -> ExprError {
        let t = self.peek();
        ExprError::at(
            t.pos,
            format!("expected {what}, found {}", t.tok.describe()),
        )
    }

    fn expression(&mut self) -> Result<Ast, ExprError> {
        let e = self.or()?;
        if self.peek().tok != Tok::End {
            return Err(self.expected("'and', 'or' or the end of the expression"));
        }
        Ok(e)
    }

    fn or(&mut self) -> Result<Ast, ExprError> {
        let mut left = self.and()?;
        while self.peek().tok == Tok::Or {
            self.bump();
            let right = self.and()?;
            left = Ast::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Ast, ExprError> {
        let start = self.peek().pos;
        let mut left = self.unary()?;
        while self.peek().tok == Tok::And {
            self.bump();
            let right = self.unary()?;
            left = Ast::And(Box::new(left), Box::new(right), start);
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Ast, ExprError> {
        if self.peek().tok == Tok::Not {
            self.bump();
            return Ok(Ast::Not(Box::new(self.unary()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Ast, ExprError> {
        let t = self.peek().clone();
        match t.tok {
            Tok::LParen => {
                self.bump();
                let e = self.or()?;
                if self.peek().tok != Tok::RParen {
                    return Err(self.expected(&format!(
                        "')' to close the '(' at {}:{}",
                        t.pos.line, t.pos.column
                    )));
                }
                self.bump();
                Ok(e)
            }
            Tok::True => {
                self.bump();
                Ok(Ast::Bool(true))
            }
            Tok::False => {
                self.bump();
                Ok(Ast::Bool(false))
            }
            Tok::Name(_) => self.condition(),
            _ => Err(self.expected("a condition such as skills.fibre >= 3")),
        }
    }

    fn condition(&mut self) -> Result<Ast, ExprError> {
        let path_pos = self.peek().pos;
        let mut path = Vec::new();
        if let Tok::Name(n) = self.bump().tok {
            path.push(n);
        }
        while self.peek().tok == Tok::Dot {
            self.bump();
            match self.peek().tok.clone() {
                Tok::Name(n) => {
                    self.bump();
                    path.push(n);
                }
                _ => return Err(self.expected("a name after '.'")),
            }
        }
        let op_tok = self.peek().tok.clone();
        let op = match op_tok {
            Tok::Eq => CmpOp::Eq,
            Tok::Ne => CmpOp::Ne,
            Tok::Lt => CmpOp::Lt,
            Tok::Le => CmpOp::Le,
            Tok::Gt => CmpOp::Gt,
            Tok::Ge => CmpOp::Ge,
            Tok::In | Tok::Not => {
                let negated = op_tok == Tok::Not;
                self.bump();
                if negated {
                    if self.peek().tok != Tok::In {
                        return Err(self.expected("'in' after 'not'"));
                    }
                    self.bump();
                }
                let values = self.list()?;
                return Ok(Ast::In {
                    path,
                    path_pos,
                    negated,
                    values,
                });
            }
            _ => {
                return Err(self.expected(&format!(
                    "a comparison ('==', '!=', '<', '<=', '>', '>=', 'in') after '{}'",
                    path.join(".")
                )))
            }
        };
        self.bump();
        let value = self
            .literal()
            .ok_or_else(|| self.expected(&format!("a value after '{}'", op_tok.symbol())))?;
        Ok(Ast::Cmp {
            path,
            path_pos,
            op,
            value,
        })
    }

    fn literal(&mut self) -> Option<(Literal, Pos)> {
        let t = self.peek().clone();
        let lit = match t.tok {
            Tok::Str(s) => Literal::Str(s),
            Tok::Int(i) => Literal::Int(i),
            _ => return None,
        };
        self.bump();
        Some((lit, t.pos))
    }

    fn list(&mut self) -> Result<Vec<(Literal, Pos)>, ExprError> {
        if self.peek().tok != Tok::LBracket {
            return Err(self.expected("'[' to start a list of values"));
        }
        self.bump();
        let mut values = Vec::new();
        loop {
            if self.peek().tok == Tok::RBracket {
                self.bump();
                return Ok(values);
            }
            let v = self
                .literal()
                .ok_or_else(|| self.expected("a value or ']' in the list"))?;
            values.push(v);
            match self.peek().tok {
                Tok::Comma => {
                    self.bump();
                }
                Tok::RBracket => {}
                _ => return Err(self.expected("',' or ']' in the list")),
            }
        }
    }
}

// ---------------------------------------------------------- type checking

/// A resolved expression that still knows where each part came from, so the
/// satisfiability check can point at the contradictory part.
#[derive(Debug, Clone)]
enum Node {
    Const(bool),
    Atom(Attr, ValueSet, Pos),
    And(Vec<Node>, Pos),
    Or(Vec<Node>),
    Not(Box<Node>),
}

impl Node {
    fn into_pred(self) -> Pred {
        match self {
            Node::Const(b) => Pred::Const(b),
            Node::Atom(a, s, _) => Pred::Atom(a, s),
            Node::And(ns, _) => Pred::And(ns.into_iter().map(Node::into_pred).collect()),
            Node::Or(ns) => Pred::Or(ns.into_iter().map(Node::into_pred).collect()),
            Node::Not(n) => Pred::Not(Box::new(n.into_pred())),
        }
    }
}

fn resolve(ast: &Ast, subject: Subject, schema: &Schema) -> Result<Node, ExprError> {
    Ok(match ast {
        Ast::Bool(b) => Node::Const(*b),
        Ast::Not(a) => Node::Not(Box::new(resolve(a, subject, schema)?)),
        // Flatten chains so evaluation walks one vector rather than a deep tree.
        Ast::And(l, r, pos) => {
            let mut parts = Vec::new();
            for side in [l, r] {
                match resolve(side, subject, schema)? {
                    Node::And(ns, _) => parts.extend(ns),
                    n => parts.push(n),
                }
            }
            Node::And(parts, *pos)
        }
        Ast::Or(l, r) => {
            let mut parts = Vec::new();
            for side in [l, r] {
                match resolve(side, subject, schema)? {
                    Node::Or(ns) => parts.extend(ns),
                    n => parts.push(n),
                }
            }
            Node::Or(parts)
        }
        Ast::Cmp {
            path,
            path_pos,
            op,
            value,
        } => {
            let attr = attribute(path, *path_pos, subject, schema)?;
            let set = comparison(attr, path, *op, value, schema)?;
            Node::Atom(attr, set, *path_pos)
        }
        Ast::In {
            path,
            path_pos,
            negated,
            values,
        } => {
            let attr = attribute(path, *path_pos, subject, schema)?;
            let mut set = membership(attr, path, values, schema)?;
            if *negated {
                set = complement(attr, set);
            }
            Node::Atom(attr, set, *path_pos)
        }
    })
}

fn attribute(
    path: &[String],
    pos: Pos,
    subject: Subject,
    schema: &Schema,
) -> Result<Attr, ExprError> {
    let parts: Vec<&str> = path.iter().map(String::as_str).collect();
    let attr = match (subject, parts.as_slice()) {
        (Subject::Advisor, ["skills", skill]) | (Subject::Advisor, ["skill", skill]) => {
            match schema.skill(skill) {
                Some(k) => Attr::Skill(k),
                None => {
                    return Err(ExprError::at(
                        pos,
                        format!(
                            "unknown skill '{skill}': known skills are {}",
                            listing(&schema.skills)
                        ),
                    ))
                }
            }
        }
        (Subject::Advisor, ["skills"]) => {
            return Err(ExprError::at(
                pos,
                "expected a skill name after 'skills.', as in skills.fibre",
            ))
        }
        (Subject::Advisor, ["language"]) | (Subject::Advisor, ["languages"]) => Attr::Languages,
        (Subject::Advisor, ["tier"]) => Attr::AdvisorTier,
        (Subject::Advisor, ["site"]) => Attr::Site,
        (Subject::Advisor, ["team"]) => Attr::Team,
        (Subject::Contact, ["tenant"]) => Attr::Tenant,
        (Subject::Contact, ["channel"]) => Attr::Channel,
        (Subject::Contact, ["reason"]) => Attr::Reason,
        (Subject::Contact, ["language"]) => Attr::ContactLanguage,
        (Subject::Contact, ["priority"]) => Attr::Priority,
        (Subject::Contact, ["contract_tier"]) => Attr::ContractTier,
        (Subject::Contact, ["segment"]) => Attr::Segment,
        _ => {
            let expected = match subject {
                Subject::Advisor => "skills.<name>, language, tier, site, team",
                Subject::Contact => {
                    "tenant, channel, reason, language, priority, contract_tier, segment"
                }
            };
            let what = match subject {
                Subject::Advisor => "advisor",
                Subject::Contact => "contact",
            };
            return Err(ExprError::at(
                pos,
                format!(
                    "unknown {what} attribute '{}': expected one of {expected}",
                    path.join(".")
                ),
            ));
        }
    };
    Ok(attr)
}

fn listing(names: &[String]) -> String {
    if names.is_empty() {
        return "(none)".to_string();
    }
    let mut s = names
        .iter()
        .take(12)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > 12 {
        s.push_str(", …");
    }
    s
}

/// The value index a literal denotes for an attribute, with the error that
/// tells the person which values are accepted.
fn value_index(
    attr: Attr,
    path: &[String],
    lit: &(Literal, Pos),
    schema: &Schema,
) -> Result<u32, ExprError> {
    let (value, pos) = lit;
    let name = path.join(".");
    let text = |all: &[&str]| -> Result<u32, ExprError> {
        if let Literal::Str(s) = value {
            if let Some(i) = all.iter().position(|a| a == s) {
                return Ok(i as u32);
            }
        }
        Err(ExprError::at(
            *pos,
            format!(
                "'{name}' takes one of {}, found {}",
                all.join(", "),
                value.describe()
            ),
        ))
    };
    match attr {
        Attr::Skill(_) => match value {
            Literal::Int(i) if (1..=i64::from(MAX_SKILL_LEVEL)).contains(i) => Ok(*i as u32),
            Literal::Int(i) => Err(ExprError::at(
                *pos,
                format!("skill levels run from 1 to {MAX_SKILL_LEVEL}, found {i}"),
            )),
            Literal::Str(_) => Err(ExprError::at(
                *pos,
                format!(
                    "'{name}' is a level from 1 to {MAX_SKILL_LEVEL}, found {}",
                    value.describe()
                ),
            )),
        },
        Attr::Languages | Attr::ContactLanguage => {
            text(&Language::ALL.iter().map(|l| l.as_str()).collect::<Vec<_>>())
        }
        Attr::AdvisorTier => text(&Tier::ALL.iter().map(|l| l.as_str()).collect::<Vec<_>>()),
        Attr::Channel => text(&Channel::ALL.iter().map(|l| l.as_str()).collect::<Vec<_>>()),
        Attr::Priority => text(&Priority::ALL.iter().map(|l| l.as_str()).collect::<Vec<_>>()),
        Attr::ContractTier => text(
            &ContractTier::ALL
                .iter()
                .map(|l| l.as_str())
                .collect::<Vec<_>>(),
        ),
        Attr::Site | Attr::Team | Attr::Tenant | Attr::Reason | Attr::Segment => {
            let found = match value {
                Literal::Str(s) => match attr {
                    Attr::Site => schema.site(s),
                    Attr::Team => schema.team(s),
                    Attr::Tenant => schema.tenant(s),
                    Attr::Reason => schema.reason(s),
                    _ => schema.segment(s),
                },
                Literal::Int(_) => None,
            };
            found.ok_or_else(|| {
                ExprError::at(
                    *pos,
                    format!(
                        "unknown {name} {}: known values are {}",
                        value.describe(),
                        listing(schema.names(attr))
                    ),
                )
            })
        }
    }
}

fn ordered(attr: Attr) -> bool {
    matches!(
        attr,
        Attr::Skill(_) | Attr::AdvisorTier | Attr::Priority | Attr::ContractTier
    )
}

fn comparison(
    attr: Attr,
    path: &[String],
    op: CmpOp,
    lit: &(Literal, Pos),
    schema: &Schema,
) -> Result<ValueSet, ExprError> {
    let v = value_index(attr, path, lit, schema)?;
    if !ordered(attr) && !matches!(op, CmpOp::Eq | CmpOp::Ne) {
        return Err(ExprError::at(
            lit.1,
            format!("'{}' has no order: use '==', '!=' or 'in'", path.join(".")),
        ));
    }
    if attr == Attr::Languages {
        // The advisor speaks a set of languages: `language == "fr"` means "speaks French".
        let set = speaks(&[v]);
        return Ok(if op == CmpOp::Ne {
            complement(attr, set)
        } else {
            set
        });
    }
    match attr.small_domain() {
        Some(n) => {
            let mask = (0..n)
                .filter(|&x| match op {
                    CmpOp::Eq => x == v,
                    CmpOp::Ne => x != v,
                    CmpOp::Lt => x < v,
                    CmpOp::Le => x <= v,
                    CmpOp::Gt => x > v,
                    CmpOp::Ge => x >= v,
                })
                .fold(0u64, |m, x| m | (1 << x));
            Ok(ValueSet::Mask(mask))
        }
        None => Ok(ValueSet::Ids {
            ids: vec![v],
            negated: op == CmpOp::Ne,
        }),
    }
}

/// Subsets of languages (as bit sets) that contain at least one of `langs`.
fn speaks(langs: &[u32]) -> ValueSet {
    let wanted = langs.iter().fold(0u32, |m, l| m | (1 << l));
    let subsets = 1u32 << Language::ALL.len();
    ValueSet::Mask(
        (0..subsets)
            .filter(|s| s & wanted != 0)
            .fold(0, |m, s| m | (1 << s)),
    )
}

fn membership(
    attr: Attr,
    path: &[String],
    values: &[(Literal, Pos)],
    schema: &Schema,
) -> Result<ValueSet, ExprError> {
    let mut ids = Vec::with_capacity(values.len());
    for lit in values {
        ids.push(value_index(attr, path, lit, schema)?);
    }
    if attr == Attr::Languages {
        return Ok(speaks(&ids));
    }
    Ok(match attr.small_domain() {
        Some(_) => ValueSet::Mask(ids.iter().fold(0, |m, v| m | (1 << v))),
        None => {
            ids.sort_unstable();
            ids.dedup();
            ValueSet::Ids {
                ids,
                negated: false,
            }
        }
    })
}

fn complement(attr: Attr, set: ValueSet) -> ValueSet {
    match (set, attr.small_domain()) {
        (ValueSet::Mask(m), Some(n)) => ValueSet::Mask(!m & full_mask(n)),
        (ValueSet::Mask(m), None) => ValueSet::Mask(!m),
        (ValueSet::Ids { ids, negated }, _) => ValueSet::Ids {
            ids,
            negated: !negated,
        },
    }
}

fn full_mask(n: u32) -> u64 {
    if n >= 64 {
        u64::MAX
    } else {
        (1u64 << n) - 1
    }
}

// ----------------------------------------------------------- satisfiability

/// Above this many alternatives the check gives up and accepts the
/// expression: refusing must never be a false alarm.
const MAX_BOXES: usize = 512;

/// One alternative of the disjunctive normal form: for each constrained
/// attribute, the bit set of its possible "worlds".
type Boxed = BTreeMap<Attr, u64>;

/// For name attributes, worlds are the mentioned names plus one world for
/// "any other name or none", so the analysis stays small whatever the schema size.
struct Worlds {
    mentioned: BTreeMap<Attr, Vec<u32>>,
}

impl Worlds {
    fn universe(&self, attr: Attr) -> u64 {
        match attr.small_domain() {
            Some(n) => full_mask(n),
            // Mentioned names, plus "other" (there is always none/other: advisors may lack a team).
            None => full_mask(self.mentioned.get(&attr).map_or(0, Vec::len) as u32 + 1),
        }
    }

    fn mask(&self, attr: Attr, set: &ValueSet) -> u64 {
        match set {
            ValueSet::Mask(m) => *m & self.universe(attr),
            ValueSet::Ids { ids, negated } => {
                let known = self.mentioned.get(&attr).map(Vec::as_slice).unwrap_or(&[]);
                let mut m = 0u64;
                for (w, id) in known.iter().enumerate() {
                    if ids.binary_search(id).is_ok() != *negated {
                        m |= 1 << w;
                    }
                }
                // The "other" world matches a negated set only.
                if *negated {
                    m |= 1 << known.len();
                }
                m
            }
        }
    }
}

fn collect_mentions(n: &Node, out: &mut BTreeMap<Attr, Vec<u32>>) {
    match n {
        Node::Atom(a, ValueSet::Ids { ids, .. }, _) => out.entry(*a).or_default().extend(ids),
        Node::And(ns, _) | Node::Or(ns) => ns.iter().for_each(|n| collect_mentions(n, out)),
        Node::Not(n) => collect_mentions(n, out),
        _ => {}
    }
}

fn check_satisfiable(node: &Node, subject: Subject) -> Result<(), ExprError> {
    let mut mentioned = BTreeMap::new();
    collect_mentions(node, &mut mentioned);
    for ids in mentioned.values_mut() {
        ids.sort_unstable();
        ids.dedup();
    }
    if mentioned.values().any(|v| v.len() >= 63) {
        return Ok(());
    }
    let worlds = Worlds { mentioned };
    let who = match subject {
        Subject::Advisor => "no advisor could ever match",
        Subject::Contact => "no contact could ever match",
    };
    match dnf(node, false, &worlds, who)? {
        Some(boxes) if boxes.is_empty() => Err(ExprError::at(
            Pos { line: 1, column: 1 },
            format!("this expression is always false: {who} it"),
        )),
        _ => Ok(()),
    }
}

/// Disjunctive normal form of `node` (negated if `neg`), or None when it grows
/// past [`MAX_BOXES`]. Errors name the innermost contradictory conjunction.
fn dnf(node: &Node, neg: bool, w: &Worlds, who: &str) -> Result<Option<Vec<Boxed>>, ExprError> {
    Ok(match node {
        Node::Const(b) => {
            if *b != neg {
                Some(vec![Boxed::new()])
            } else {
                Some(vec![])
            }
        }
        Node::Not(n) => dnf(n, !neg, w, who)?,
        Node::Atom(attr, set, pos) => {
            let mut m = w.mask(*attr, set);
            if neg {
                m = !m & w.universe(*attr);
            }
            if m == 0 {
                return Err(ExprError::at(
                    *pos,
                    format!("this condition can never hold: {who} it"),
                ));
            }
            let mut b = Boxed::new();
            b.insert(*attr, m);
            Some(vec![b])
        }
        Node::And(ns, pos) if !neg => {
            let mut acc = vec![Boxed::new()];
            for n in ns {
                let Some(part) = dnf(n, false, w, who)? else {
                    return Ok(None);
                };
                acc = match conjoin(&acc, &part, w) {
                    Some(a) => a,
                    None => return Ok(None),
                };
            }
            if acc.is_empty() && !ns.is_empty() {
                return Err(ExprError::at(
                    *pos,
                    format!("contradiction: the conditions joined by 'and' from here can never all hold, so {who} them"),
                ));
            }
            Some(acc)
        }
        Node::Or(ns) if neg => {
            // not (a or b) == (not a) and (not b)
            let mut acc = vec![Boxed::new()];
            for n in ns {
                let Some(part) = dnf(n, true, w, who)? else {
                    return Ok(None);
                };
                acc = match conjoin(&acc, &part, w) {
                    Some(a) => a,
                    None => return Ok(None),
                };
            }
            Some(acc)
        }
        Node::And(ns, _) | Node::Or(ns) => {
            let mut acc = Vec::new();
            for n in ns {
                let Some(part) = dnf(n, neg, w, who)? else {
                    return Ok(None);
                };
                acc.extend(part);
                if acc.len() > MAX_BOXES {
                    return Ok(None);
                }
            }
            Some(acc)
        }
    })
}

fn conjoin(a: &[Boxed], b: &[Boxed], w: &Worlds) -> Option<Vec<Boxed>> {
    let mut out = Vec::new();
    for x in a {
        'pairs: for y in b {
            let mut z = x.clone();
            for (attr, m) in y {
                let cur = z.get(attr).copied().unwrap_or_else(|| w.universe(*attr));
                let both = cur & m;
                if both == 0 {
                    continue 'pairs;
                }
                z.insert(*attr, both);
            }
            out.push(z);
            if out.len() > MAX_BOXES {
                return None;
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn schema() -> Schema {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect();
        Schema {
            skills: s(&["fibre", "mobile", "billing"]),
            sites: s(&["paris", "rabat", "sydney"]),
            teams: s(&["internet", "fixed_line", "experts"]),
            tenants: s(&["orange", "sosh"]),
            reasons: s(&["loyalty", "retention", "sales", "after_sales"]),
            segments: s(&["senior", "geek"]),
        }
    }

    struct Adv {
        skills: [u8; 3],
        langs: u32,
        tier: u32,
        site: u32,
        team: u32,
    }

    impl Attributes for Adv {
        fn value(&self, a: Attr) -> u32 {
            match a {
                Attr::Skill(k) => u32::from(self.skills[k as usize]),
                Attr::Languages => self.langs,
                Attr::AdvisorTier => self.tier,
                Attr::Site => self.site,
                Attr::Team => self.team,
                _ => NONE,
            }
        }
    }

    fn adv(e: &str) -> Result<Expr, String> {
        Expr::compile(e, Subject::Advisor, &schema()).map_err(|e| e.to_string())
    }

    fn con(e: &str) -> Result<Expr, String> {
        Expr::compile(e, Subject::Contact, &schema()).map_err(|e| e.to_string())
    }

    #[test]
    fn the_brief_example_compiles_and_evaluates() {
        let e = adv(r#"skills.fibre >= 3 and language == "fr" and tier in ["n2", "expert"] and site != "sydney""#).unwrap();
        let a = Adv {
            skills: [4, 0, 0],
            langs: 0b01,
            tier: 1,
            site: 0,
            team: NONE,
        };
        assert!(e.pred.eval(&a));
        assert!(!e.pred.eval(&Adv {
            skills: [2, 0, 0],
            ..a
        }));
        assert!(!e.pred.eval(&Adv { langs: 0b10, ..a }));
        assert!(e.pred.eval(&Adv { langs: 0b11, ..a }), "speaks both");
        assert!(!e.pred.eval(&Adv { tier: 0, ..a }));
        assert!(!e.pred.eval(&Adv { site: 2, ..a }));
        assert!(
            e.pred.eval(&Adv { site: NONE, ..a }),
            "no site is not sydney"
        );
    }

    #[test]
    fn precedence_not_and_or() {
        let e = adv(r#"not tier == "n1" and skills.mobile > 1 or team == "experts""#).unwrap();
        let a = Adv {
            skills: [0, 2, 0],
            langs: 1,
            tier: 1,
            site: 0,
            team: 0,
        };
        assert!(e.pred.eval(&a));
        assert!(!e.pred.eval(&Adv { tier: 0, ..a }));
        assert!(e.pred.eval(&Adv {
            tier: 0,
            team: 2,
            ..a
        }));
        let e = adv(r#"not (tier == "n1" or team == "experts")"#).unwrap();
        assert!(e.pred.eval(&Adv { tier: 1, ..a }));
        assert!(!e.pred.eval(&Adv {
            tier: 1,
            team: 2,
            ..a
        }));
        let e = adv(r#"team not in ["internet", "experts"]"#).unwrap();
        assert!(!e.pred.eval(&a));
        assert!(e.pred.eval(&Adv { team: 1, ..a }));
        assert!(e.pred.eval(&Adv { team: NONE, ..a }));
    }

    #[test]
    fn contact_filters() {
        let e = con(r#"channel in ["phone", "chat"] and priority >= "high" and contract_tier == "pro" and reason == "retention""#).unwrap();
        struct C(u32, u32, u32, u32);
        impl Attributes for C {
            fn value(&self, a: Attr) -> u32 {
                match a {
                    Attr::Channel => self.0,
                    Attr::Priority => self.1,
                    Attr::ContractTier => self.2,
                    Attr::Reason => self.3,
                    _ => NONE,
                }
            }
        }
        assert!(e.pred.eval(&C(1, 2, 1, 1)));
        assert!(e.pred.eval(&C(2, 3, 1, 1)));
        assert!(!e.pred.eval(&C(0, 3, 1, 1)));
        assert!(!e.pred.eval(&C(1, 1, 1, 1)));
        assert!(con("true").is_ok());
        assert!(con(r#"segment == "senior" or tenant == "sosh""#).is_ok());
    }

    #[test]
    fn parse_errors_give_line_column_and_what_was_expected() {
        let cases = [
            ("skills.fibre >= and tier == 'n1'", "1:17: expected a value after '>=', found 'and'"),
            ("skills.fibre >= 3 tier", "1:19: expected 'and', 'or' or the end of the expression, found 'tier'"),
            ("skills.", "1:8: expected a name after '.', found end of input"),
            ("(tier == 'n1'", "1:14: expected ')' to close the '(' at 1:1, found end of input"),
            ("tier", "1:5: expected a comparison ('==', '!=', '<', '<=', '>', '>=', 'in') after 'tier', found end of input"),
            ("tier in 'n1'", "1:9: expected '[' to start a list of values, found \"n1\""),
            ("tier in ['n1' 'n2']", "1:15: expected ',' or ']' in the list, found \"n2\""),
            ("tier in [and]", "1:10: expected a value or ']' in the list, found 'and'"),
            ("tier not 'n1'", "1:10: expected 'in' after 'not', found \"n1\""),
            ("and", "1:1: expected a condition such as skills.fibre >= 3, found 'and'"),
            ("", "1:1: expected a condition such as skills.fibre >= 3, found end of input"),
            ("tier == 'n1' and\n  (site == 'paris' or)", "2:22: expected a condition such as skills.fibre >= 3, found ')'"),
        ];
        for (src, want) in cases {
            assert_eq!(adv(src).unwrap_err(), want, "{src}");
        }
    }

    #[test]
    fn type_errors_against_the_schema() {
        let cases = [
            ("skills.fibr >= 3", "1:1: unknown skill 'fibr': known skills are fibre, mobile, billing"),
            ("skills.fibre >= 6", "1:17: skill levels run from 1 to 5, found 6"),
            ("skills.fibre >= 0", "1:17: skill levels run from 1 to 5, found 0"),
            ("skills.fibre == 'high'", "1:17: 'skills.fibre' is a level from 1 to 5, found \"high\""),
            ("tier == 'n3'", "1:9: 'tier' takes one of n1, n2, expert, found \"n3\""),
            ("site == 'lyon'", "1:9: unknown site \"lyon\": known values are paris, rabat, sydney"),
            ("site > 'paris'", "1:8: 'site' has no order: use '==', '!=' or 'in'"),
            ("colour == 'red'", "1:1: unknown advisor attribute 'colour': expected one of skills.<name>, language, tier, site, team"),
            ("skills == 3", "1:1: expected a skill name after 'skills.', as in skills.fibre"),
            ("language == 'de'", "1:13: 'language' takes one of fr, en, found \"de\""),
        ];
        for (src, want) in cases {
            assert_eq!(adv(src).unwrap_err(), want, "{src}");
        }
        assert_eq!(
            con("skills.fibre >= 3").unwrap_err(),
            "1:1: unknown contact attribute 'skills.fibre': expected one of tenant, channel, reason, language, priority, contract_tier, segment"
        );
        assert_eq!(
            con("reason == 'churn'").unwrap_err(),
            "1:11: unknown reason \"churn\": known values are loyalty, retention, sales, after_sales"
        );
    }

    #[test]
    fn targets_nobody_could_match_are_refused() {
        let cases = [
            ("skills.fibre > 5", "1:1: this condition can never hold: no advisor could ever match it"),
            ("tier in []", "1:1: this condition can never hold: no advisor could ever match it"),
            (
                "tier == 'n1' and skills.fibre >= 2 and tier == 'expert'",
                "1:1: contradiction: the conditions joined by 'and' from here can never all hold, so no advisor could ever match them",
            ),
            (
                "site == 'paris' or (skills.fibre >= 4 and skills.fibre < 2)",
                "1:21: contradiction: the conditions joined by 'and' from here can never all hold, so no advisor could ever match them",
            ),
            ("false", "1:1: this expression is always false: no advisor could ever match it"),
            ("not (site == 'paris' or site != 'paris')", "1:1: this expression is always false: no advisor could ever match it"),
            ("team == 'experts' and not team in ['experts', 'internet']", "1:1: contradiction: the conditions joined by 'and' from here can never all hold, so no advisor could ever match them"),
        ];
        for (src, want) in cases {
            assert_eq!(adv(src).unwrap_err(), want, "{src}");
        }
        // Speaking French and English at once is possible: languages are a set.
        assert!(adv("language == 'fr' and language == 'en'").is_ok());
        // A site that is not paris and not rabat may still be sydney or none.
        assert!(adv("site != 'paris' and site != 'rabat'").is_ok());
        assert!(adv("skills.fibre >= 5 and skills.mobile <= 1").is_ok());
        assert_eq!(
            con("channel == 'phone' and channel == 'chat'").unwrap_err(),
            "1:1: contradiction: the conditions joined by 'and' from here can never all hold, so no contact could ever match them"
        );
    }
}
