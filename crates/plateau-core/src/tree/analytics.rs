//! Analytics of one published tree version: the compact [`Trail`] of each
//! session, and the [`analyse`] report built from many of them. Pure code.
//!
//! The report gives completion, outcomes, per-node drop-off and time, the
//! most common paths and the unjustified return rate. The store keeps one
//! [`Trail::encode`] string per session beside the full [`Path`], so a report
//! over a million sessions decodes short strings instead of parsing JSON paths.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::collections::HashMap;
use std::fmt::Write as _;

use serde::Serialize;
use uuid::Uuid;

use super::model::{Outcome, Tree};
use super::runner::{Path, PathEntry};
use super::tally::Tally;

/// The return window when the caller has no setting: a customer who calls
/// back about the same thing within a week was most likely not helped.
pub const DEFAULT_RETURN_WINDOW_DAYS: u32 = 7;

/// Version written first in every encoded trail, so the format can change
/// while older rows stay readable (or are refused clearly).
pub const TRAIL_FORMAT_VERSION: u32 = 1;

/// How many of the most common paths [`Analytics::top_paths`] lists.
pub const TOP_PATHS: usize = 10;

const US_PER_MS: i64 = 1_000;
const US_PER_DAY: i64 = 86_400_000_000;

/// One screen reached in the session's own tree.
///
/// Milliseconds after the trail's start rather than absolute microseconds:
/// that is all time-per-node needs, it keeps the encoded text short, and it
/// round-trips exactly through [`Trail::encode`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Visit {
    /// Position of the node in `tree.nodes` of the version the session ran.
    pub node: u32,
    /// Milliseconds after [`Trail::start_us`] (rounded down).
    pub at_ms: u32,
}

/// The compact record of one session, as analytics need it: the nodes of the
/// session's own tree in the order they were reached, the outcome if the
/// session ended, and when it started and ended.
///
/// Invariant kept by [`Trail::from_path`] and [`Trail::decode`]:
/// `end_us >= start_us`; [`Trail::encode`] writes a negative duration as 0.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Trail {
    /// The first event of the session, microseconds since the Unix epoch.
    pub start_us: i64,
    /// The last event of the session (its end when it has an outcome).
    pub end_us: i64,
    /// None while the session is open or after the advisor left it: abandoned.
    pub outcome: Option<Outcome>,
    /// Own-tree screens in the order reached; undone steps reached again
    /// appear again, since the advisor did see them twice.
    pub visits: Vec<Visit>,
}

/// Why a stored trail could not be read: the row is corrupt or was written by
/// a newer format, and is reported rather than guessed at.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrailError {
    /// Written by another format version (or a future one this build cannot read).
    #[error("trail format version '{0}' is not supported (expected {TRAIL_FORMAT_VERSION})")]
    Version(String),
    /// Not the expected character at `offset` (bytes from the start).
    #[error("trail is malformed at byte {offset}: expected {expected}")]
    Syntax {
        offset: usize,
        expected: &'static str,
    },
    /// A number too large for its field, or a start + duration past i64.
    #[error("trail number at byte {offset} is out of range")]
    OutOfRange { offset: usize },
}

impl Trail {
    /// Keeps what analytics read from a recorded path: the `visited` events of
    /// the session's own tree (sub-tree events are left out: their nodes
    /// belong to other trees, and the time spent there counts for the jump
    /// node), the outcome, and the first and last event times. Ids unknown to
    /// `tree` (a path from another version) are skipped.
    pub fn from_path(tree: &Tree, path: &Path) -> Trail {
        let index = tree.index();
        let start_us = path.events.iter().map(|e| e.at).min().unwrap_or(0);
        let end_us = path.events.iter().map(|e| e.at).max().unwrap_or(0);
        let visits = path
            .events
            .iter()
            .filter(|e| e.tree_ref.is_none() && e.entry == PathEntry::Visited)
            .filter_map(|e| {
                let node = u32::try_from(*index.get(e.node.as_str())?).ok()?;
                Some(Visit {
                    node,
                    at_ms: ms_between(start_us, e.at),
                })
            })
            .collect();
        Trail {
            start_us,
            end_us,
            outcome: path.outcome(),
            visits,
        }
    }

    /// The text the store keeps, e.g.
    /// `1|s=1700000000000000|e=31000000|o=r|n=0.0,1.4000,2.31000`:
    /// version, start (µs since the epoch), duration (µs), outcome (`r`, `e`,
    /// `u`, or `-` for none), then `node.ms_after_start` per visit.
    pub fn encode(&self) -> String {
        let mut out = String::with_capacity(40 + self.visits.len() * 9);
        let duration = self.end_us.saturating_sub(self.start_us).max(0);
        let outcome = match self.outcome {
            Some(Outcome::Resolved) => 'r',
            Some(Outcome::Escalated) => 'e',
            Some(Outcome::Unresolved) => 'u',
            None => '-',
        };
        // Writing to a String cannot fail.
        let _ = write!(
            out,
            "{TRAIL_FORMAT_VERSION}|s={}|e={duration}|o={outcome}|n=",
            self.start_us
        );
        for (i, v) in self.visits.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(out, "{}.{}", v.node, v.at_ms);
        }
        out
    }

    /// Reads [`Trail::encode`]'s text. Strict (fields in order, decimal
    /// digits only, no overflow) so a corrupt row is an error, never a wrong
    /// figure; never panics, and allocates at most in proportion to the input.
    pub fn decode(text: &str) -> Result<Trail, TrailError> {
        let mut c = Cursor {
            s: text.as_bytes(),
            pos: 0,
        };
        let version_end = c.s.iter().position(|&b| b == b'|').unwrap_or(c.s.len());
        let version = &text[..version_end];
        if version.is_empty() || !version.bytes().all(|b| b.is_ascii_digit()) {
            return Err(TrailError::Syntax {
                offset: 0,
                expected: "a format version",
            });
        }
        if version != "1" {
            return Err(TrailError::Version(version.chars().take(20).collect()));
        }
        c.pos = version_end;
        c.expect(b"|s=", "'|s='")?;
        let start_us = c.signed()?;
        c.expect(b"|e=", "'|e='")?;
        let at = c.pos;
        let duration =
            i64::try_from(c.unsigned()?).map_err(|_| TrailError::OutOfRange { offset: at })?;
        let end_us = start_us
            .checked_add(duration)
            .ok_or(TrailError::OutOfRange { offset: at })?;
        c.expect(b"|o=", "'|o='")?;
        let outcome = match c.next() {
            Some(b'r') => Some(Outcome::Resolved),
            Some(b'e') => Some(Outcome::Escalated),
            Some(b'u') => Some(Outcome::Unresolved),
            Some(b'-') => None,
            _ => return Err(c.syntax_before("an outcome: r, e, u or -")),
        };
        c.expect(b"|n=", "'|n='")?;
        let rest = &c.s[c.pos..];
        let mut visits = Vec::new();
        if !rest.is_empty() {
            visits.reserve(1 + rest.iter().filter(|&&b| b == b',').count());
            loop {
                let node = c.u32()?;
                c.expect(b".", "'.' between node and time")?;
                let at_ms = c.u32()?;
                visits.push(Visit { node, at_ms });
                match c.next() {
                    None => break,
                    Some(b',') => {}
                    Some(_) => return Err(c.syntax_before("',' or the end")),
                }
            }
        }
        Ok(Trail {
            start_us,
            end_us,
            outcome,
            visits,
        })
    }
}

/// Milliseconds from `from` to `to` (both µs), clamped to what a [`Visit`] holds.
pub(crate) fn ms_between(from: i64, to: i64) -> u32 {
    let ms = to.saturating_sub(from).max(0) / US_PER_MS;
    u32::try_from(ms).unwrap_or(u32::MAX)
}

/// A byte cursor for [`Trail::decode`].
struct Cursor<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn next(&mut self) -> Option<u8> {
        let b = self.s.get(self.pos).copied();
        if b.is_some() {
            self.pos += 1;
        }
        b
    }

    fn syntax_before(&self, expected: &'static str) -> TrailError {
        TrailError::Syntax {
            offset: self.pos.saturating_sub(1),
            expected,
        }
    }

    fn expect(&mut self, lit: &[u8], expected: &'static str) -> Result<(), TrailError> {
        if self.s[self.pos..].starts_with(lit) {
            self.pos += lit.len();
            Ok(())
        } else {
            Err(TrailError::Syntax {
                offset: self.pos,
                expected,
            })
        }
    }

    /// One or more ASCII digits, without overflow.
    fn unsigned(&mut self) -> Result<u64, TrailError> {
        let start = self.pos;
        let mut n: u64 = 0;
        while let Some(&b) = self.s.get(self.pos) {
            if !b.is_ascii_digit() {
                break;
            }
            n = n
                .checked_mul(10)
                .and_then(|n| n.checked_add(u64::from(b - b'0')))
                .ok_or(TrailError::OutOfRange { offset: start })?;
            self.pos += 1;
        }
        if self.pos == start {
            return Err(TrailError::Syntax {
                offset: start,
                expected: "a number",
            });
        }
        Ok(n)
    }

    fn u32(&mut self) -> Result<u32, TrailError> {
        let start = self.pos;
        u32::try_from(self.unsigned()?).map_err(|_| TrailError::OutOfRange { offset: start })
    }

    fn signed(&mut self) -> Result<i64, TrailError> {
        let start = self.pos;
        let negative = self.s.get(self.pos) == Some(&b'-');
        if negative {
            self.pos += 1;
        }
        let n = self.unsigned()?;
        let out_of_range = TrailError::OutOfRange { offset: start };
        if negative {
            // i64::MIN has no positive counterpart, hence the detour through i128.
            i64::try_from(-i128::from(n)).map_err(|_| out_of_range)
        } else {
            i64::try_from(n).map_err(|_| out_of_range)
        }
    }
}

/// What [`analyse`] needs of one session: its trail, and who called about
/// what, to look for a return after a "resolved" outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionFacts {
    /// The session's own conversation, never counted as its return.
    pub conversation_id: Uuid,
    /// Whose return to look for.
    pub customer_id: Uuid,
    /// The conversation's contact reason; None or blank never matches a return.
    pub reason: Option<String>,
    /// Decoded from the stored text, or built by [`Trail::from_path`].
    pub trail: Trail,
}

/// Later conversations by customer and reason, laid out for a million
/// lookups: reasons are interned to numbers (so comparing them never chases
/// a pointer), and each customer's conversations are one contiguous run of
/// `(reason, created_at_us, conversation_id)`, sorted, so one binary search
/// finds the first conversation on a reason after a time.
#[derive(Debug, Clone, Default)]
pub struct Returns {
    reasons: HashMap<Box<str>, u32>,
    /// Where each customer's run starts in `rows`, and its length.
    customers: HashMap<Uuid, (usize, usize)>,
    rows: Vec<(u32, i64, Uuid)>,
}

impl Returns {
    /// Indexes `(customer_id, reason, created_at_us, conversation_id)` rows,
    /// typically every conversation of the tenant since the first session of
    /// the period. Rows without a reason (None or blank) are dropped: they
    /// can never be a return. Reasons are compared trimmed, case included.
    pub fn new(rows: impl IntoIterator<Item = (Uuid, Option<String>, i64, Uuid)>) -> Returns {
        let mut reasons: HashMap<Box<str>, u32> = HashMap::new();
        let mut all: Vec<(Uuid, u32, i64, Uuid)> = Vec::new();
        for (customer, reason, at, conversation) in rows {
            let Some(reason) = reason.as_deref().map(str::trim).filter(|r| !r.is_empty()) else {
                continue;
            };
            let next = u32::try_from(reasons.len()).unwrap_or(u32::MAX);
            let number = match reasons.get(reason) {
                Some(&n) => n,
                None => *reasons.entry(reason.into()).or_insert(next),
            };
            all.push((customer, number, at, conversation));
        }
        all.sort_unstable();
        let mut customers: HashMap<Uuid, (usize, usize)> = HashMap::new();
        for (i, row) in all.iter().enumerate() {
            customers.entry(row.0).or_insert((i, 0)).1 += 1;
        }
        let rows = all.into_iter().map(|(_, r, at, c)| (r, at, c)).collect();
        Returns {
            reasons,
            customers,
            rows,
        }
    }

    /// Whether `customer` opened a conversation other than `own` on `reason`
    /// strictly after `after_us` and at most `window_us` later.
    fn came_back(
        &self,
        customer: &Uuid,
        reason: &str,
        own: &Uuid,
        after_us: i64,
        window_us: i64,
    ) -> bool {
        let Some(&reason) = self.reasons.get(reason) else {
            return false;
        };
        let Some(&(start, len)) = self.customers.get(customer) else {
            return false;
        };
        let list = self.rows.get(start..start + len).unwrap_or_default();
        let until = after_us.saturating_add(window_us);
        let first = list.partition_point(|&(r, at, _)| (r, at) <= (reason, after_us));
        list[first..]
            .iter()
            .take_while(|&&(r, at, _)| r == reason && at <= until)
            .any(|(_, _, conversation)| conversation != own)
    }
}

/// The report of one published version over a set of sessions. Rates are
/// shares in [0, 1], 0 when their denominator is 0 (never NaN, so the JSON
/// stays valid and a chart shows an empty bar).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Analytics {
    pub sessions: u64,
    /// Sessions with an outcome (finished by the tree or stopped by the advisor).
    pub finished: u64,
    /// Sessions without an outcome: the advisor left the tree.
    pub abandoned: u64,
    /// Sessions per outcome; they add up to `finished`.
    pub resolved: u64,
    /// See `resolved`.
    pub escalated: u64,
    /// See `resolved`.
    pub unresolved: u64,
    /// finished / sessions.
    pub completion_rate: f64,
    /// resolved / sessions.
    pub resolution_rate: f64,
    /// Sessions whose trail has no visit, or whose last visit is no node of
    /// this version: they exit nowhere, so the sum of node exits is
    /// `sessions - without_visits`.
    pub without_visits: u64,
    /// Visits naming no node of this version (a corrupt or foreign trail);
    /// ignored everywhere else, counted here so they are not silently lost.
    pub unknown_visits: u64,
    /// One entry per node, in tree order.
    pub nodes: Vec<NodeStats>,
    /// The [`TOP_PATHS`] most common visit sequences: count descending, then
    /// ids in lexicographic order, so equal inputs give equal reports.
    pub top_paths: Vec<PathCount>,
    /// How many different sequences there were (sessions without visits excluded).
    pub distinct_paths: u64,
    /// Resolutions the customer came back about.
    pub returns: ReturnStats,
}

/// How one node did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NodeStats {
    /// The node's id, stable across versions, to compare reports.
    pub id: String,
    /// The node's title as authored (may be empty), for people reading the table.
    pub title: String,
    /// Every time it was reached (an undone step reached again counts twice).
    pub visits: u64,
    /// Sessions that reached it at least once.
    pub reached: u64,
    /// Sessions whose last visit was this node: `finished_here + dropped_here`.
    pub exits: u64,
    /// Exits with an outcome: the session ended here.
    pub finished_here: u64,
    /// Exits without an outcome: the advisor left the tree on this screen.
    pub dropped_here: u64,
    /// dropped_here / reached: where advisors give up.
    pub drop_off_rate: f64,
    /// Median time from reaching the node to reaching the next one, in ms;
    /// a session's last visit counts (until its end) only if it has an
    /// outcome, since an abandoned screen has no meaningful end. None when
    /// no visit had a duration. Read from a log-bucketed histogram
    /// ([`crate::tree::tally`]): exact below 256 ms, within 0.4 % above.
    pub median_ms: Option<f64>,
}

/// One frequent path.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PathCount {
    /// Node ids in the order visited.
    pub nodes: Vec<String>,
    pub count: u64,
    /// count / sessions.
    pub share: f64,
}

/// Resolutions that did not hold: the customer called back about the same thing.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReturnStats {
    /// The window used, so a report says how it was computed.
    pub window_days: u32,
    /// Sessions that ended resolved, with or without a reason (one without a
    /// reason can never be found returning, but is still a resolution).
    pub resolved_sessions: u64,
    /// Of those, sessions whose customer came back on the same reason within the window.
    pub returns: u64,
    /// returns / resolved_sessions.
    pub rate: f64,
}

fn rate(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// Computes the report of `tree` (the version the sessions ran) over
/// `sessions`, streaming: memory grows with distinct paths and duration
/// buckets, not with the sessions. Same as [`Tally`]-ing every session, then
/// [`report`] with [`return_stats`]: the server keeps the tally as walks
/// happen and only reads the resolved sessions for the returns.
///
/// Unjustified return: a session ended `resolved`, and its customer opened
/// another conversation (not the session's own) with the same non-blank
/// reason strictly after the session's end and at most `window_days` days
/// later. Sessions without a reason count among resolved sessions, never as
/// returns.
pub fn analyse<S: Borrow<SessionFacts>>(
    tree: &Tree,
    sessions: impl IntoIterator<Item = S>,
    returns: &Returns,
    window_days: u32,
) -> Analytics {
    let mut tally = Tally::default();
    let mut counter = ReturnCounter::new(returns, window_days);
    for facts in sessions {
        let facts = facts.borrow();
        tally.add(&facts.trail, 1);
        counter.count(facts);
    }
    report(tree, &tally, counter.stats())
}

/// Counts resolved sessions and their unjustified returns.
struct ReturnCounter<'a> {
    returns: &'a Returns,
    window_days: u32,
    window_us: i64,
    resolved: u64,
    returned: u64,
}

impl<'a> ReturnCounter<'a> {
    fn new(returns: &'a Returns, window_days: u32) -> Self {
        ReturnCounter {
            returns,
            window_days,
            window_us: i64::from(window_days).saturating_mul(US_PER_DAY),
            resolved: 0,
            returned: 0,
        }
    }

    fn count(&mut self, facts: &SessionFacts) {
        if facts.trail.outcome != Some(Outcome::Resolved) {
            return;
        }
        self.resolved += 1;
        let reason = facts.reason.as_deref().map(str::trim).unwrap_or("");
        if !reason.is_empty()
            && self.returns.came_back(
                &facts.customer_id,
                reason,
                &facts.conversation_id,
                facts.trail.end_us,
                self.window_us,
            )
        {
            self.returned += 1;
        }
    }

    fn stats(&self) -> ReturnStats {
        ReturnStats {
            window_days: self.window_days,
            resolved_sessions: self.resolved,
            returns: self.returned,
            rate: rate(self.returned, self.resolved),
        }
    }
}

/// The unjustified returns among `sessions` (only those ended resolved are
/// looked at, so a caller may pass just those).
pub fn return_stats<S: Borrow<SessionFacts>>(
    sessions: impl IntoIterator<Item = S>,
    returns: &Returns,
    window_days: u32,
) -> ReturnStats {
    let mut counter = ReturnCounter::new(returns, window_days);
    for facts in sessions {
        counter.count(facts.borrow());
    }
    counter.stats()
}

/// The report of `tree` from the counts of its sessions. Visits to node
/// positions `tree` does not have (a trail from elsewhere) are counted in
/// `unknown_visits` and nowhere else; a session that exits there counts
/// among `without_visits`.
pub fn report(tree: &Tree, tally: &Tally, returns: ReturnStats) -> Analytics {
    let n = tree.nodes.len();
    let count = |x: i64| u64::try_from(x).unwrap_or(0);
    let medians = tally.medians(n);
    let nodes = tree
        .nodes
        .iter()
        .enumerate()
        .map(|(i, node)| {
            let c = tally.node(i);
            let (reached, dropped) = (count(c.reached), count(c.dropped));
            NodeStats {
                id: node.id.clone(),
                title: node.title.clone(),
                visits: count(c.visits),
                reached,
                exits: count(c.finished + c.dropped),
                finished_here: count(c.finished),
                dropped_here: dropped,
                drop_off_rate: rate(dropped, reached),
                median_ms: medians.get(i).copied().flatten(),
            }
        })
        .collect();

    let mut distinct_paths = 0u64;
    let mut counted: Vec<(&[u32], u64)> = Vec::new();
    for (path, c) in tally.paths() {
        distinct_paths += 1;
        if path.iter().all(|&i| (i as usize) < n) {
            counted.push((path, count(c)));
        }
    }
    let order = |a: &(&[u32], u64), b: &(&[u32], u64)| -> Ordering {
        b.1.cmp(&a.1).then_with(|| cmp_ids(tree, a.0, b.0))
    };
    if counted.len() > TOP_PATHS {
        counted.select_nth_unstable_by(TOP_PATHS, order);
        counted.truncate(TOP_PATHS);
    }
    counted.sort_unstable_by(order);
    let sessions = count(tally.sessions);
    let top_paths = counted
        .into_iter()
        .map(|(p, c)| PathCount {
            nodes: p
                .iter()
                .map(|&i| tree.nodes[i as usize].id.clone())
                .collect(),
            count: c,
            share: rate(c, sessions),
        })
        .collect();

    let (resolved, escalated, unresolved) = (
        count(tally.resolved),
        count(tally.escalated),
        count(tally.unresolved),
    );
    let finished = resolved + escalated + unresolved;
    Analytics {
        sessions,
        finished,
        abandoned: sessions.saturating_sub(finished),
        resolved,
        escalated,
        unresolved,
        completion_rate: rate(finished, sessions),
        resolution_rate: rate(resolved, sessions),
        without_visits: count(tally.no_visits + tally.exits_from(n)),
        unknown_visits: count(tally.visits_from(n) + tally.foreign_visits),
        nodes,
        top_paths,
        distinct_paths,
        returns,
    }
}

/// Orders two node sequences by their ids, as the report shows them.
fn cmp_ids(tree: &Tree, a: &[u32], b: &[u32]) -> Ordering {
    let id = |&i: &u32| tree.nodes[i as usize].id.as_str();
    a.iter().map(id).cmp(b.iter().map(id))
}

impl Analytics {
    /// A spreadsheet export (RFC 4180: CRLF, fields quoted when they hold a
    /// comma, quote or line break): the per-node table, a blank line, the
    /// summary as `metric,value` rows, a blank line, then the top paths.
    pub fn to_csv(&self) -> String {
        let mut out = String::new();
        let mut row = |fields: &[&str]| {
            for (i, f) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_csv_field(&mut out, f);
            }
            out.push_str("\r\n");
        };
        row(&[
            "node_id",
            "title",
            "visits",
            "reached",
            "exits",
            "finished_here",
            "dropped_here",
            "drop_off_rate",
            "median_ms",
        ]);
        for n in &self.nodes {
            row(&[
                &n.id,
                &n.title,
                &n.visits.to_string(),
                &n.reached.to_string(),
                &n.exits.to_string(),
                &n.finished_here.to_string(),
                &n.dropped_here.to_string(),
                &fmt_rate(n.drop_off_rate),
                &n.median_ms.map(|m| format!("{m:.0}")).unwrap_or_default(),
            ]);
        }
        row(&[]);
        row(&["metric", "value"]);
        let r = &self.returns;
        for (metric, value) in [
            ("sessions", self.sessions.to_string()),
            ("finished", self.finished.to_string()),
            ("abandoned", self.abandoned.to_string()),
            ("resolved", self.resolved.to_string()),
            ("escalated", self.escalated.to_string()),
            ("unresolved", self.unresolved.to_string()),
            ("completion_rate", fmt_rate(self.completion_rate)),
            ("resolution_rate", fmt_rate(self.resolution_rate)),
            ("without_visits", self.without_visits.to_string()),
            ("unknown_visits", self.unknown_visits.to_string()),
            ("distinct_paths", self.distinct_paths.to_string()),
            ("return_window_days", r.window_days.to_string()),
            ("resolved_sessions", r.resolved_sessions.to_string()),
            ("unjustified_returns", r.returns.to_string()),
            ("unjustified_return_rate", fmt_rate(r.rate)),
        ] {
            row(&[metric, &value]);
        }
        row(&[]);
        row(&["path", "count", "share"]);
        for p in &self.top_paths {
            row(&[
                &p.nodes.join(" > "),
                &p.count.to_string(),
                &fmt_rate(p.share),
            ]);
        }
        out
    }
}

fn fmt_rate(r: f64) -> String {
    format!("{r:.6}")
}

fn push_csv_field(out: &mut String, field: &str) {
    if field.contains([',', '"', '\r', '\n']) {
        out.push('"');
        out.push_str(&field.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(field);
    }
}
