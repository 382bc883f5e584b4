//! The knowledge base's domain: KCS articles (content, confidence state,
//! audience, versions and their diff), products and offers, FAQ entries,
//! flags, synonym rules and search-log vocabulary. Pure rules, no I/O.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::Validator;
use crate::model::{text_enum, Language};
use crate::{validate, DomainError, Timestamp};

pub const MAX_TITLE: usize = 200;
pub const MAX_ISSUE: usize = 5_000;
pub const MAX_ENVIRONMENT: usize = 2_000;
pub const MAX_RESOLUTION: usize = 50_000;
pub const MAX_CAUSE: usize = 5_000;
pub const MAX_PRODUCTS_PER_ARTICLE: usize = 20;
pub const MAX_CHANGE_NOTE: usize = 500;
pub const MAX_FLAG_COMMENT: usize = 2_000;
pub const MAX_FAQ_QUESTION: usize = 500;
pub const MAX_FAQ_ANSWER: usize = 10_000;
pub const MAX_PRODUCT_CODE: usize = 60;
/// Serialised size of a product's attributes: a catalogue entry, not a document store.
pub const MAX_ATTRIBUTES_BYTES: usize = 10_000;
pub const MAX_SYNONYM_TEXT: usize = 50_000;
pub const MAX_SYNONYM_RULES: usize = 1_000;
pub const MAX_SYNONYM_PHRASE: usize = 100;
/// Same cut as the search engine's, so the log groups what was really searched.
pub const MAX_LOGGED_QUERY: usize = 256;
/// Result ids kept per logged search: enough for "was it found at all",
/// bounded so the log grows by a constant per search.
pub const LOGGED_RESULTS: usize = 5;

text_enum!(
    /// KCS confidence: how far the organisation trusts an article.
    ArticleState {
        WorkInProgress = "work_in_progress",
        NotValidated = "not_validated",
        Validated = "validated",
        Archived = "archived",
    }
);

text_enum!(
    /// Who may read an article: the centre only, partners (outsourcers,
    /// client-brand viewers) too, or anyone on the public help centre.
    Audience { Internal = "internal", Partner = "partner", Public = "public" }
);

text_enum!(
    /// Why an advisor flagged an article instead of fixing it (KCS "flag it or fix it").
    FlagReason { Outdated = "outdated", Incorrect = "incorrect", Unclear = "unclear", Duplicate = "duplicate" }
);

text_enum!(
    /// A flag is open until a knowledge manager fixes the article or dismisses the flag.
    FlagStatus { Open = "open", Fixed = "fixed", Dismissed = "dismissed" }
);

text_enum!(
    /// A catalogue entry: a product (a box, an iron) or an offer (a contract, a plan).
    ProductKind { Product = "product", Offer = "offer" }
);

text_enum!(
    /// Where a search was typed; analytics compare them.
    SearchSurface { Desk = "desk", HelpCentre = "help_centre", Suggestion = "suggestion" }
);

text_enum!(
    /// What happened after a search.
    SearchOutcome { Opened = "opened", Linked = "linked" }
);

impl ArticleState {
    /// The KCS lifecycle. Work in progress and not validated move freely
    /// between each other (a draft is completed, or reopened); anything may be
    /// validated except what is archived, which must first come back as not
    /// validated so that old knowledge is re-read before it is trusted again.
    /// A validated article is demoted to not validated when it is found wrong.
    pub fn can_become(self, next: ArticleState) -> bool {
        use ArticleState::*;
        match (self, next) {
            (a, b) if a == b => false,
            (WorkInProgress, _) => true,
            (NotValidated, _) => true,
            (Validated, NotValidated | Archived) => true,
            (Validated, WorkInProgress) => false,
            (Archived, NotValidated | WorkInProgress) => true,
            (Archived, Validated) => false,
            _ => false,
        }
    }

    /// Validated and archived articles are the knowledge managers' to change.
    pub fn is_curated(self) -> bool {
        matches!(self, ArticleState::Validated | ArticleState::Archived)
    }

    /// The state code plateau-search uses (`wip` for work in progress).
    pub fn search_code(self) -> &'static str {
        match self {
            ArticleState::WorkInProgress => "wip",
            other => other.as_str(),
        }
    }

    /// Checks a transition, as a field error the client can show.
    pub fn check_transition(self, next: ArticleState) -> Result<(), DomainError> {
        if self.can_become(next) {
            Ok(())
        } else {
            Err(DomainError::field(
                "state",
                format!("an article cannot go from {self} to {next}"),
            ))
        }
    }
}

/// The KCS structure of an article, as written by an advisor or manager.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ArticleContent {
    pub title: String,
    /// The problem in the customer's own words ("ma connexion rame").
    #[serde(default)]
    pub issue: String,
    /// Product, version, context in which the issue occurs.
    #[serde(default)]
    pub environment: String,
    #[serde(default)]
    pub resolution: String,
    #[serde(default)]
    pub cause: String,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub product_ids: Vec<Uuid>,
    pub language: Language,
}

/// Trimmed text that may be empty, at most `max` characters, without control
/// characters other than line breaks and tabs.
fn optional_text(value: &str, max: usize) -> Result<String, String> {
    let t = value.trim();
    if t.is_empty() {
        return Ok(String::new());
    }
    validate::text(t, max)
}

impl ArticleContent {
    /// Normalises the content (trimmed text, tags lower-cased and
    /// de-duplicated, product ids de-duplicated) and checks it against what
    /// `state` requires: a draft needs only a title; an article others are
    /// asked to trust (not validated) states the issue; a validated one also
    /// has its resolution. Every bad field is reported at once.
    pub fn validated(&self, state: ArticleState) -> Result<ArticleContent, DomainError> {
        let mut v = Validator::new();
        let title = v.check("title", validate::text(&self.title, MAX_TITLE));
        let issue = v.check("issue", optional_text(&self.issue, MAX_ISSUE));
        let environment = v.check(
            "environment",
            optional_text(&self.environment, MAX_ENVIRONMENT),
        );
        let resolution = v.check(
            "resolution",
            optional_text(&self.resolution, MAX_RESOLUTION),
        );
        let cause = v.check("cause", optional_text(&self.cause, MAX_CAUSE));
        let tags = v.check("tags", validate::tags(&self.tags));
        let mut product_ids: Vec<Uuid> = Vec::new();
        for p in &self.product_ids {
            if !product_ids.contains(p) {
                product_ids.push(*p);
            }
        }
        if product_ids.len() > MAX_PRODUCTS_PER_ARTICLE {
            v.push(
                "product_ids",
                format!("at most {MAX_PRODUCTS_PER_ARTICLE} products"),
            );
        }
        let needs_issue = matches!(state, ArticleState::NotValidated | ArticleState::Validated);
        if needs_issue && issue.as_deref() == Some("") {
            v.push(
                "issue",
                format!("an article that is {state} states the issue in the customer's words"),
            );
        }
        if state == ArticleState::Validated && resolution.as_deref() == Some("") {
            v.push("resolution", "a validated article has a resolution");
        }
        v.finish()?;
        Ok(ArticleContent {
            title: title.unwrap_or_default(),
            issue: issue.unwrap_or_default(),
            environment: environment.unwrap_or_default(),
            resolution: resolution.unwrap_or_default(),
            cause: cause.unwrap_or_default(),
            tags: tags.unwrap_or_default(),
            product_ids,
            language: self.language,
        })
    }
}

/// A change note: optional, one line of at most [`MAX_CHANGE_NOTE`] characters.
pub fn change_note(value: &str) -> Result<String, String> {
    let n = optional_text(value, MAX_CHANGE_NOTE)?;
    Ok(n.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// A flag's comment: optional, at most [`MAX_FLAG_COMMENT`] characters.
pub fn flag_comment(value: &str) -> Result<String, String> {
    optional_text(value, MAX_FLAG_COMMENT)
}

/// An article as stored now: its latest version plus lifecycle and counters.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Article {
    pub id: Uuid,
    pub tenant_id: Uuid,
    /// Per-tenant human number, shown as `KB-12`.
    pub number: i64,
    /// Shared by the French and English translations of the same article.
    pub translation_group: Option<Uuid>,
    pub state: ArticleState,
    pub audience: Audience,
    #[serde(flatten)]
    pub content: ArticleContent,
    /// Current version; edits must name it (optimistic concurrency).
    pub version: i64,
    pub created_by: Option<Uuid>,
    pub updated_by: Option<Uuid>,
    pub view_count: i64,
    /// Conversations the article is linked to (KCS reuse).
    pub reuse_count: i64,
    pub helpful_count: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// One kept version of an article's content.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ArticleVersion {
    pub article_id: Uuid,
    pub version: i64,
    pub state: ArticleState,
    pub audience: Audience,
    #[serde(flatten)]
    pub content: ArticleContent,
    pub note: String,
    pub author_id: Option<Uuid>,
    pub created_at: Timestamp,
}

/// A catalogue entry; offers usually name the product they are an offer of.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Product {
    pub id: Uuid,
    pub tenant_id: Uuid,
    /// Stable short code, unique per tenant (`box-fibre`, `forfait-20go`).
    pub code: String,
    pub name: String,
    pub kind: ProductKind,
    /// Free attributes, always a JSON object (`{"débit": "1 Gb/s"}`).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub attributes: serde_json::Value,
    /// The family a product belongs to, or the product an offer is for.
    pub parent_id: Option<Uuid>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A product code: lower-case letters, digits, `-`, `_` and `.`.
pub fn product_code(value: &str) -> Result<String, String> {
    let v = value.trim().to_lowercase();
    let ok = !v.is_empty()
        && v.chars().count() <= MAX_PRODUCT_CODE
        && v.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(v)
    } else {
        Err(format!(
            "must be 1–{MAX_PRODUCT_CODE} lower-case letters, digits, '-', '_' or '.'"
        ))
    }
}

/// Product attributes: a JSON object of bounded size.
pub fn product_attributes(value: &serde_json::Value) -> Result<serde_json::Value, String> {
    if !value.is_object() {
        return Err("must be a JSON object".into());
    }
    if value.to_string().len() > MAX_ATTRIBUTES_BYTES {
        return Err(format!("must be at most {MAX_ATTRIBUTES_BYTES} bytes"));
    }
    Ok(value.clone())
}

/// A question and its answer, fed to the IVR and virtual agents as JSON.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FaqEntry {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub language: Language,
    pub question: String,
    /// Plain text or Markdown; a voice menu reads it as it is.
    pub answer: String,
    pub article_id: Option<Uuid>,
    pub product_id: Option<Uuid>,
    /// Order in the feed, smallest first.
    pub position: i64,
    pub published: bool,
    pub updated_by: Option<Uuid>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// An advisor's report that an article needs work.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ArticleFlag {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub article_id: Uuid,
    pub reason: FlagReason,
    pub comment: String,
    pub status: FlagStatus,
    pub created_by: Option<Uuid>,
    pub created_at: Timestamp,
    pub resolved_by: Option<Uuid>,
    pub resolved_at: Option<Timestamp>,
    pub resolution_note: String,
}

/// The form of a search query used to group the log: lower case, one space
/// between words, cut like the engine cuts it.
pub fn normalize_query(text: &str) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    flat.to_lowercase().chars().take(MAX_LOGGED_QUERY).collect()
}

// ---------------------------------------------------------------------------
// Synonyms

/// One synonym rule as a knowledge manager writes it, one per line:
/// `connexion lente, ça rame, internet lent` (all equivalent; `|` also
/// separates) or `rame => lent` (a query with the left side also searches
/// the right side, not the other way round).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SynonymRule {
    Equivalent { phrases: Vec<String> },
    OneWay { from: Vec<String>, to: Vec<String> },
}

/// A tenant's validated rules for one language.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SynonymRules {
    pub rules: Vec<SynonymRule>,
}

/// Splits one side of a rule into distinct phrases (compared without case).
fn phrases(side: &str, line_no: usize, errors: &mut Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for raw in side.split([',', '|']) {
        let p = raw.split_whitespace().collect::<Vec<_>>().join(" ");
        if p.is_empty() {
            continue;
        }
        if p.chars().count() > MAX_SYNONYM_PHRASE {
            errors.push(format!(
                "line {line_no}: a phrase has more than {MAX_SYNONYM_PHRASE} characters"
            ));
            continue;
        }
        if p.chars().any(char::is_control) {
            errors.push(format!(
                "line {line_no}: control characters are not allowed"
            ));
            continue;
        }
        if !out.iter().any(|o| o.to_lowercase() == p.to_lowercase()) {
            out.push(p);
        }
    }
    out
}

impl SynonymRules {
    /// Parses the text a knowledge manager typed. Empty lines and lines
    /// starting with `#` are ignored. Every bad line is reported, by number,
    /// under the field `rules`.
    pub fn parse(text: &str) -> Result<SynonymRules, DomainError> {
        let mut errors: Vec<String> = Vec::new();
        if text.chars().count() > MAX_SYNONYM_TEXT {
            return Err(DomainError::field(
                "rules",
                format!("must be at most {MAX_SYNONYM_TEXT} characters"),
            ));
        }
        let mut rules = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let n = i + 1;
            let l = line.trim();
            if l.is_empty() || l.starts_with('#') {
                continue;
            }
            let rule = match l.split_once("=>") {
                Some((left, right)) => {
                    if right.contains("=>") {
                        errors.push(format!("line {n}: use '=>' once per rule"));
                        continue;
                    }
                    let from = phrases(left, n, &mut errors);
                    let to = phrases(right, n, &mut errors);
                    if from.is_empty() || to.is_empty() {
                        errors.push(format!(
                            "line {n}: a one-way rule needs words on both sides of '=>'"
                        ));
                        continue;
                    }
                    let to: Vec<String> = to
                        .into_iter()
                        .filter(|t| !from.iter().any(|f| f.to_lowercase() == t.to_lowercase()))
                        .collect();
                    if to.is_empty() {
                        errors.push(format!("line {n}: the rule maps words to themselves"));
                        continue;
                    }
                    SynonymRule::OneWay { from, to }
                }
                None => {
                    let phrases = phrases(l, n, &mut errors);
                    if phrases.len() < 2 {
                        errors.push(format!(
                            "line {n}: list at least two different phrases, separated by commas"
                        ));
                        continue;
                    }
                    SynonymRule::Equivalent { phrases }
                }
            };
            rules.push(rule);
        }
        if rules.len() > MAX_SYNONYM_RULES {
            errors.push(format!("at most {MAX_SYNONYM_RULES} rules"));
        }
        if errors.is_empty() {
            Ok(SynonymRules { rules })
        } else {
            Err(DomainError::Invalid(
                errors
                    .into_iter()
                    .map(|m| crate::FieldError::new("rules", m))
                    .collect(),
            ))
        }
    }

    /// The canonical text: one rule per line, `, ` and ` => ` separators.
    /// Stored instead of what was typed, so that it parses back to the same rules.
    pub fn to_text(&self) -> String {
        self.rules
            .iter()
            .map(|r| match r {
                SynonymRule::Equivalent { phrases } => phrases.join(", "),
                SynonymRule::OneWay { from, to } => {
                    format!("{} => {}", from.join(", "), to.join(", "))
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The equivalence groups, in the shape `plateau_search::Index::set_synonyms` takes.
    pub fn equivalence_groups(&self) -> Vec<Vec<String>> {
        self.rules
            .iter()
            .filter_map(|r| match r {
                SynonymRule::Equivalent { phrases } => Some(phrases.clone()),
                SynonymRule::OneWay { .. } => None,
            })
            .collect()
    }

    /// The one-way rules as (from, to) pairs. The search engine expands groups
    /// symmetrically today; a caller that cannot honour direction may widen
    /// these into groups, at the cost of also expanding right to left.
    pub fn one_way(&self) -> Vec<(Vec<String>, Vec<String>)> {
        self.rules
            .iter()
            .filter_map(|r| match r {
                SynonymRule::OneWay { from, to } => Some((from.clone(), to.clone())),
                SynonymRule::Equivalent { .. } => None,
            })
            .collect()
    }
}

// ---------------------------------------------------------------------------
// Diff

/// One line of a line diff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "op", content = "text", rename_all = "snake_case")]
pub enum DiffLine {
    Equal(String),
    Added(String),
    Removed(String),
}

/// Beyond this many differing lines the diff stops looking for the shortest
/// edit and reports the differing middle as removed then added: still a true
/// diff, and its cost stays bounded on pasted novels.
const MAX_EDIT_DISTANCE: usize = 1_000;

/// The lines of a text; empty text has none, so that "" ↔ "x" is one added line.
fn split_lines(s: &str) -> Vec<&str> {
    if s.is_empty() {
        Vec::new()
    } else {
        s.split('\n').collect()
    }
}

/// A shortest line diff from `old` to `new` (Myers' O((N+M)·D) algorithm, on
/// the part left after trimming the common head and tail). Joining the
/// `Equal` and `Added` texts with `\n` gives `new`; `Equal` and `Removed` give `old`.
pub fn diff_lines(old: &str, new: &str) -> Vec<DiffLine> {
    let a = split_lines(old);
    let b = split_lines(new);
    let head = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let tail = a[head..]
        .iter()
        .rev()
        .zip(b[head..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (am, bm) = (&a[head..a.len() - tail], &b[head..b.len() - tail]);
    let mut out: Vec<DiffLine> = Vec::with_capacity(a.len().max(b.len()));
    out.extend(a[..head].iter().map(|l| DiffLine::Equal((*l).to_string())));
    match myers(am, bm, MAX_EDIT_DISTANCE) {
        Some(ops) => out.extend(ops),
        None => {
            out.extend(am.iter().map(|l| DiffLine::Removed((*l).to_string())));
            out.extend(bm.iter().map(|l| DiffLine::Added((*l).to_string())));
        }
    }
    out.extend(
        a[a.len() - tail..]
            .iter()
            .map(|l| DiffLine::Equal((*l).to_string())),
    );
    out
}

/// Myers' greedy forward search, keeping for each edit count `d` the
/// furthest-reaching x on diagonals -d..=d (so memory is O(D²), not O(D·N)),
/// then walking the kept frontiers back. None when more than `limit` edits.
fn myers(a: &[&str], b: &[&str], limit: usize) -> Option<Vec<DiffLine>> {
    let (n, m) = (a.len() as isize, b.len() as isize);
    if n == 0 && m == 0 {
        return Some(Vec::new());
    }
    let max = (n + m) as usize;
    let limit = limit.min(max);
    // frontiers[d][k + d] = furthest x on diagonal k after d edits.
    let mut frontiers: Vec<Vec<isize>> = Vec::new();
    let mut found = None;
    'search: for d in 0..=limit as isize {
        let prev = frontiers.last();
        let mut cur = vec![0isize; (2 * d + 1) as usize];
        let mut k = -d;
        while k <= d {
            // x reached on diagonal k of the previous frontier, if it exists there.
            let at = |kk: isize| -> Option<isize> {
                let p = prev?;
                let dd = d - 1;
                if kk < -dd || kk > dd {
                    None
                } else {
                    Some(p[(kk + dd) as usize])
                }
            };
            let mut x = if d == 0 {
                0
            } else {
                let down = at(k + 1);
                let right = at(k - 1);
                match (down, right) {
                    (Some(dx), Some(rx)) if dx > rx => dx,
                    (Some(_), Some(rx)) => rx + 1,
                    (Some(dx), None) => dx,
                    (None, Some(rx)) => rx + 1,
                    (None, None) => 0,
                }
            };
            let mut y = x - k;
            while x < n && y < m && x >= 0 && y >= 0 && a[x as usize] == b[y as usize] {
                x += 1;
                y += 1;
            }
            cur[(k + d) as usize] = x;
            if x >= n && y >= m {
                frontiers.push(cur);
                found = Some(d);
                break 'search;
            }
            k += 2;
        }
        frontiers.push(cur);
    }
    let d_end = found?;

    // Walk back from (n, m): at each d, find the diagonal we came from.
    let mut ops: Vec<DiffLine> = Vec::with_capacity(max);
    let (mut x, mut y) = (n, m);
    for d in (1..=d_end).rev() {
        let k = x - y;
        let prev = &frontiers[(d - 1) as usize];
        let dd = d - 1;
        let at = |kk: isize| -> Option<isize> {
            if kk < -dd || kk > dd {
                None
            } else {
                Some(prev[(kk + dd) as usize])
            }
        };
        let came_down = match (at(k + 1), at(k - 1)) {
            (Some(dx), Some(rx)) => dx > rx,
            (Some(_), None) => true,
            _ => false,
        };
        let prev_k = if came_down { k + 1 } else { k - 1 };
        let prev_x = at(prev_k).unwrap_or(0);
        let prev_y = prev_x - prev_k;
        // The snake after the edit: equal lines.
        let (start_x, start_y) = if came_down {
            (prev_x, prev_y + 1)
        } else {
            (prev_x + 1, prev_y)
        };
        while x > start_x && y > start_y {
            x -= 1;
            y -= 1;
            ops.push(DiffLine::Equal(a[x as usize].to_string()));
        }
        if came_down {
            y -= 1;
            ops.push(DiffLine::Added(b[y as usize].to_string()));
        } else {
            x -= 1;
            ops.push(DiffLine::Removed(a[x as usize].to_string()));
        }
    }
    // The snake at d = 0 from the origin.
    while x > 0 && y > 0 {
        x -= 1;
        y -= 1;
        ops.push(DiffLine::Equal(a[x as usize].to_string()));
    }
    ops.reverse();
    Some(ops)
}

/// Rebuilds the new text from a diff (the `Equal` and `Added` lines).
pub fn diff_new_text(diff: &[DiffLine]) -> String {
    diff.iter()
        .filter_map(|l| match l {
            DiffLine::Equal(t) | DiffLine::Added(t) => Some(t.as_str()),
            DiffLine::Removed(_) => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Rebuilds the old text from a diff (the `Equal` and `Removed` lines).
pub fn diff_old_text(diff: &[DiffLine]) -> String {
    diff.iter()
        .filter_map(|l| match l {
            DiffLine::Equal(t) | DiffLine::Removed(t) => Some(t.as_str()),
            DiffLine::Added(_) => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The line diff of one field of an article between two versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldDiff {
    pub field: &'static str,
    pub lines: Vec<DiffLine>,
}

/// The fields that differ between two versions, in reading order, each with
/// its line diff. Tags and products are compared one per line, sorted, so a
/// reordering is not a change.
pub fn diff_article_versions(old: &ArticleVersion, new: &ArticleVersion) -> Vec<FieldDiff> {
    let sorted = |v: Vec<String>| {
        let mut v = v;
        v.sort();
        v.join("\n")
    };
    let ids = |v: &[Uuid]| sorted(v.iter().map(|p| p.to_string()).collect());
    let fields: [(&'static str, String, String); 10] = [
        (
            "title",
            old.content.title.clone(),
            new.content.title.clone(),
        ),
        (
            "issue",
            old.content.issue.clone(),
            new.content.issue.clone(),
        ),
        (
            "environment",
            old.content.environment.clone(),
            new.content.environment.clone(),
        ),
        (
            "resolution",
            old.content.resolution.clone(),
            new.content.resolution.clone(),
        ),
        (
            "cause",
            old.content.cause.clone(),
            new.content.cause.clone(),
        ),
        (
            "tags",
            sorted(old.content.tags.clone()),
            sorted(new.content.tags.clone()),
        ),
        (
            "product_ids",
            ids(&old.content.product_ids),
            ids(&new.content.product_ids),
        ),
        (
            "language",
            old.content.language.to_string(),
            new.content.language.to_string(),
        ),
        ("state", old.state.to_string(), new.state.to_string()),
        (
            "audience",
            old.audience.to_string(),
            new.audience.to_string(),
        ),
    ];
    fields
        .into_iter()
        .filter(|(_, a, b)| a != b)
        .map(|(field, a, b)| FieldDiff {
            field,
            lines: diff_lines(&a, &b),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::str::FromStr;

    fn content() -> ArticleContent {
        ArticleContent {
            title: "  Connexion internet lente le soir ".into(),
            issue: "Ma connexion rame tous les soirs".into(),
            environment: "Box fibre v3, Wi-Fi".into(),
            resolution: "Redémarrer la box puis changer de canal Wi-Fi.".into(),
            cause: String::new(),
            tags: vec!["Fibre".into(), "wifi".into(), "fibre".into()],
            product_ids: vec![],
            language: Language::Fr,
        }
    }

    #[test]
    fn enums_round_trip() {
        for s in ArticleState::ALL {
            assert_eq!(ArticleState::from_str(s.as_str()), Ok(*s));
        }
        for f in FlagReason::ALL {
            assert_eq!(FlagReason::from_str(f.as_str()), Ok(*f));
        }
        assert_eq!(ArticleState::WorkInProgress.search_code(), "wip");
        assert!(Audience::from_str("everyone").is_err());
    }

    #[test]
    fn lifecycle_transitions() {
        use ArticleState::*;
        assert!(WorkInProgress.can_become(NotValidated));
        assert!(WorkInProgress.can_become(Validated));
        assert!(NotValidated.can_become(WorkInProgress));
        assert!(Validated.can_become(NotValidated));
        assert!(Validated.can_become(Archived));
        assert!(!Validated.can_become(WorkInProgress));
        assert!(!Archived.can_become(Validated));
        assert!(Archived.can_become(NotValidated));
        for s in ArticleState::ALL {
            assert!(!s.can_become(*s), "{s} to itself is not a transition");
        }
        assert!(matches!(
            Archived.check_transition(Validated),
            Err(DomainError::Invalid(e)) if e[0].field == "state"
        ));
    }

    #[test]
    fn content_is_normalised() {
        let c = content().validated(ArticleState::Validated).unwrap();
        assert_eq!(c.title, "Connexion internet lente le soir");
        assert_eq!(c.tags, vec!["fibre", "wifi"]);
    }

    #[test]
    fn required_fields_depend_on_state() {
        let mut c = content();
        c.issue = "  ".into();
        c.resolution = String::new();
        assert!(c.validated(ArticleState::WorkInProgress).is_ok());
        let Err(DomainError::Invalid(errs)) = c.validated(ArticleState::Validated) else {
            panic!("a validated article without issue and resolution was accepted");
        };
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["issue", "resolution"]);
        let Err(DomainError::Invalid(errs)) = c.validated(ArticleState::NotValidated) else {
            panic!("accepted");
        };
        assert_eq!(errs.len(), 1);
    }

    #[test]
    fn every_bad_field_is_reported() {
        let mut c = content();
        c.title = String::new();
        c.cause = "x".repeat(MAX_CAUSE + 1);
        c.tags = vec!["a,b".into()];
        let Err(DomainError::Invalid(errs)) = c.validated(ArticleState::WorkInProgress) else {
            panic!("accepted");
        };
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["title", "cause", "tags"]);
    }

    #[test]
    fn product_codes_and_attributes() {
        assert_eq!(product_code(" Box-Fibre ").unwrap(), "box-fibre");
        assert!(product_code("box fibre").is_err());
        assert!(product_code("").is_err());
        assert!(product_attributes(&serde_json::json!({"débit": "1 Gb/s"})).is_ok());
        assert!(product_attributes(&serde_json::json!(["x"])).is_err());
    }

    #[test]
    fn synonym_rules_parse() {
        let r = SynonymRules::parse(
            "# lenteurs\nconnexion lente, ça rame, internet lent\n\nfrigo | réfrigérateur\nrame => lent, Rame\n",
        )
        .unwrap();
        assert_eq!(r.rules.len(), 3);
        assert_eq!(
            r.equivalence_groups(),
            vec![
                vec!["connexion lente", "ça rame", "internet lent"],
                vec!["frigo", "réfrigérateur"]
            ]
        );
        assert_eq!(
            r.one_way(),
            vec![(vec!["rame".to_string()], vec!["lent".to_string()])]
        );
        assert_eq!(
            r.to_text(),
            "connexion lente, ça rame, internet lent\nfrigo, réfrigérateur\nrame => lent"
        );
    }

    #[test]
    fn bad_synonym_lines_are_reported_by_number() {
        let Err(DomainError::Invalid(errs)) =
            SynonymRules::parse("frigo\nok, fine\n=> lent\na => b => c\nx, X")
        else {
            panic!("accepted");
        };
        let msgs: Vec<&str> = errs.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(errs.len(), 4, "{msgs:?}");
        assert!(msgs[0].starts_with("line 1:"));
        assert!(msgs[1].starts_with("line 3:"));
        assert!(msgs[2].starts_with("line 4:"));
        assert!(msgs[3].starts_with("line 5:"));
        assert!(errs.iter().all(|e| e.field == "rules"));
    }

    #[test]
    fn queries_are_normalised_for_grouping() {
        assert_eq!(
            normalize_query("  Ma  Connexion\tRAME "),
            "ma connexion rame"
        );
        assert_eq!(normalize_query(&"a".repeat(1000)).len(), MAX_LOGGED_QUERY);
    }

    #[test]
    fn diff_of_a_small_edit() {
        let d = diff_lines("a\nb\nc", "a\nx\nc\nd");
        assert_eq!(
            d,
            vec![
                DiffLine::Equal("a".into()),
                DiffLine::Removed("b".into()),
                DiffLine::Added("x".into()),
                DiffLine::Equal("c".into()),
                DiffLine::Added("d".into()),
            ]
        );
        assert_eq!(diff_lines("", ""), vec![]);
        assert_eq!(diff_lines("", "x"), vec![DiffLine::Added("x".into())]);
        assert_eq!(diff_lines("x\n", "x"), {
            vec![DiffLine::Equal("x".into()), DiffLine::Removed("".into())]
        });
    }

    #[test]
    fn versions_diff_field_by_field() {
        let c = content().validated(ArticleState::Validated).unwrap();
        let v1 = ArticleVersion {
            article_id: Uuid::now_v7(),
            version: 1,
            state: ArticleState::Validated,
            audience: Audience::Internal,
            content: c.clone(),
            note: String::new(),
            author_id: None,
            created_at: Timestamp(1),
        };
        let mut v2 = v1.clone();
        v2.version = 2;
        v2.content.resolution = format!("{}\nSinon, appeler le 3900.", c.resolution);
        v2.content.tags = vec!["wifi".into(), "fibre".into()];
        v2.audience = Audience::Public;
        let d = diff_article_versions(&v1, &v2);
        let fields: Vec<&str> = d.iter().map(|f| f.field).collect();
        assert_eq!(fields, vec!["resolution", "audience"]);
        assert_eq!(
            d[0].lines.last(),
            Some(&DiffLine::Added("Sinon, appeler le 3900.".into()))
        );
        assert!(diff_article_versions(&v1, &v1).is_empty());
    }

    /// The length of a longest common subsequence, by the textbook table.
    fn lcs(a: &[&str], b: &[&str]) -> usize {
        let mut t = vec![vec![0usize; b.len() + 1]; a.len() + 1];
        for i in (0..a.len()).rev() {
            for j in (0..b.len()).rev() {
                t[i][j] = if a[i] == b[j] {
                    t[i + 1][j + 1] + 1
                } else {
                    t[i + 1][j].max(t[i][j + 1])
                };
            }
        }
        t[0][0]
    }

    fn text_from(lines: Vec<u8>) -> String {
        // A small alphabet makes repeated lines, where diffs go wrong.
        lines
            .iter()
            .map(|c| ((b'a' + c % 4) as char).to_string())
            .collect::<Vec<_>>()
            .join("\n")
    }

    proptest! {
        #[test]
        fn diff_reproduces_both_texts_and_is_shortest(
            a in proptest::collection::vec(any::<u8>(), 0..40),
            b in proptest::collection::vec(any::<u8>(), 0..40),
        ) {
            let (old, new) = (text_from(a), text_from(b));
            let d = diff_lines(&old, &new);
            prop_assert_eq!(diff_new_text(&d), new.clone());
            prop_assert_eq!(diff_old_text(&d), old.clone());
            let (la, lb) = (split_lines(&old), split_lines(&new));
            let edits = d.iter().filter(|l| !matches!(l, DiffLine::Equal(_))).count();
            prop_assert_eq!(edits, la.len() + lb.len() - 2 * lcs(&la, &lb));
        }

        #[test]
        fn diff_handles_any_text(old in "\\PC{0,60}", new in "(\\PC|\n){0,60}") {
            let d = diff_lines(&old, &new);
            prop_assert_eq!(diff_new_text(&d), new);
            prop_assert_eq!(diff_old_text(&d), old);
        }

        #[test]
        fn canonical_synonyms_parse_to_the_same_rules(text in "([a-zé ]{0,8}(, |=> |\\| )?){0,6}(\n[a-zé ,|=>]{0,20}){0,5}") {
            if let Ok(r) = SynonymRules::parse(&text) {
                let again = SynonymRules::parse(&r.to_text()).unwrap();
                prop_assert_eq!(again, r);
            }
        }
    }

    #[test]
    fn oversized_diffs_fall_back_to_replace() {
        let old: String = (0..3000).map(|i| format!("o{i}\n")).collect();
        let new: String = (0..3000).map(|i| format!("n{i}\n")).collect();
        let d = diff_lines(&old, &new);
        assert_eq!(diff_new_text(&d), new);
        assert_eq!(diff_old_text(&d), old);
    }
}
