//! The additive counts behind a published version's analytics. A session
//! contributes a [`Tally`]; a step changes it by a difference; the store adds
//! those differences up in place, keyed, so a report reads a few thousand
//! counters instead of every session's trail.
//!
//! Everything here is a sum, hence additive and subtractive: the counts of a
//! set of sessions do not depend on the order they were added, and taking a
//! session's old contribution away and adding its new one gives the counts of
//! the new state. Times per node are log-bucketed histograms for that reason
//! (a median cannot be added up): values below [`EXACT_BELOW_MS`] are exact,
//! others are kept to [`SIGNIFICANT_BITS`] bits, within 0.4 %.

use std::collections::HashMap;
use std::fmt::Write as _;

use super::analytics::{Trail, Visit};
use super::model::{Outcome, MAX_NODES};

/// Significant bits kept of a duration: 128 buckets per doubling.
pub const SIGNIFICANT_BITS: u32 = 8;
/// Durations below this are counted exactly.
pub const EXACT_BELOW_MS: u32 = 1 << SIGNIFICANT_BITS;

/// Per node, indexed by the node's position in the version's `nodes`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NodeCounts {
    pub visits: i64,
    /// Sessions that reached the node at least once.
    pub reached: i64,
    /// Sessions whose last visit was the node and that have an outcome.
    pub finished: i64,
    /// Sessions whose last visit was the node, without an outcome.
    pub dropped: i64,
}

impl NodeCounts {
    fn is_zero(&self) -> bool {
        *self == NodeCounts::default()
    }
}

/// Counts over a set of sessions of one version. Node indices at or past
/// [`MAX_NODES`] cannot belong to any tree; a corrupt trail's visits there
/// are only counted in `foreign_visits`. Two tallies are equal when their
/// non-zero counters are.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    pub sessions: i64,
    pub resolved: i64,
    pub escalated: i64,
    pub unresolved: i64,
    /// Sessions without any visit.
    pub no_visits: i64,
    pub foreign_visits: i64,
    nodes: Vec<NodeCounts>,
    /// (node, bucket's lower bound in ms) → how many durations fell there.
    times: HashMap<(u32, u32), i64>,
    /// Node sequence → sessions that followed exactly it.
    paths: HashMap<Box<[u32]>, i64>,
}

impl PartialEq for Tally {
    fn eq(&self, other: &Self) -> bool {
        self.entries() == other.entries()
    }
}

impl Eq for Tally {}

/// Adds `n` to a counter, forgetting it when it comes back to zero (a path a
/// walk left when it went back), so memory follows what is really counted.
fn bump<K: std::hash::Hash + Eq>(map: &mut HashMap<K, i64>, key: K, n: i64) {
    match map.entry(key) {
        std::collections::hash_map::Entry::Occupied(mut e) => {
            *e.get_mut() += n;
            if *e.get() == 0 {
                e.remove();
            }
        }
        std::collections::hash_map::Entry::Vacant(e) => {
            if n != 0 {
                e.insert(n);
            }
        }
    }
}

/// A stored key [`Tally::from_entries`] cannot read: written by a newer
/// build, or damaged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("analytics counter key '{0}' is not understood")]
pub struct TallyKeyError(pub String);

/// The bucket `ms` falls in, named by its lower bound.
pub fn bucket(ms: u32) -> u32 {
    let bits = u32::BITS - ms.leading_zeros();
    if bits <= SIGNIFICANT_BITS {
        ms
    } else {
        let shift = bits - SIGNIFICANT_BITS;
        (ms >> shift) << shift
    }
}

/// The value a bucket stands for: its middle (itself when exact).
pub fn bucket_value(lower: u32) -> f64 {
    let bits = u32::BITS - lower.leading_zeros();
    if bits <= SIGNIFICANT_BITS {
        f64::from(lower)
    } else {
        let width = 1u64 << (bits - SIGNIFICANT_BITS);
        f64::from(lower) + (width - 1) as f64 / 2.0
    }
}

impl Tally {
    /// One session's contribution.
    pub fn of(trail: &Trail) -> Tally {
        let mut t = Tally::default();
        t.add(trail, 1);
        t
    }

    /// What changes when a session's trail goes from `old` (None: the session
    /// is new) to `new`: add it to the stored counts.
    pub fn change(old: Option<&Trail>, new: &Trail) -> Tally {
        let mut t = Tally::of(new);
        if let Some(old) = old {
            t.add(old, -1);
        }
        t
    }

    /// Adds (`sign` 1) or takes away (`sign` -1) one session.
    pub fn add(&mut self, trail: &Trail, sign: i64) {
        self.sessions += sign;
        match trail.outcome {
            Some(Outcome::Resolved) => self.resolved += sign,
            Some(Outcome::Escalated) => self.escalated += sign,
            Some(Outcome::Unresolved) => self.unresolved += sign,
            None => {}
        }
        let visits: &[Visit] = &trail.visits;
        let known = visits.iter().all(|v| (v.node as usize) < MAX_NODES);
        if !known {
            self.foreign_visits += sign * visits.len() as i64;
            // A trail naming impossible nodes is corrupt: it still counts as a
            // session (with its outcome) but describes no path.
            self.no_visits += sign;
            return;
        }
        let Some(last) = visits.last() else {
            self.no_visits += sign;
            return;
        };
        if let Some(max) = visits.iter().map(|v| v.node as usize).max() {
            if self.nodes.len() <= max {
                self.nodes.resize(max + 1, NodeCounts::default());
            }
        }
        for (k, v) in visits.iter().enumerate() {
            let node = &mut self.nodes[v.node as usize];
            node.visits += sign;
            // Walks are short (tens of screens), so a look back beats a set.
            if !visits[..k].iter().any(|w| w.node == v.node) {
                node.reached += sign;
            }
            if let Some(next) = visits.get(k + 1) {
                self.time(v.node, next.at_ms.saturating_sub(v.at_ms), sign);
            }
        }
        if trail.outcome.is_some() {
            self.nodes[last.node as usize].finished += sign;
            // The last screen lasts until the end only when the walk ended
            // there; an abandoned screen has no meaningful end.
            let end_ms = super::analytics::ms_between(trail.start_us, trail.end_us);
            self.time(last.node, end_ms.saturating_sub(last.at_ms), sign);
        } else {
            self.nodes[last.node as usize].dropped += sign;
        }
        let path: Box<[u32]> = visits.iter().map(|v| v.node).collect();
        bump(&mut self.paths, path, sign);
    }

    fn time(&mut self, node: u32, ms: u32, sign: i64) {
        bump(&mut self.times, (node, bucket(ms)), sign);
    }

    /// The counts of node `i` (zero past the nodes seen).
    pub fn node(&self, i: usize) -> NodeCounts {
        self.nodes.get(i).copied().unwrap_or_default()
    }

    /// Visits counted on nodes at or past `n`: nodes the version does not have.
    pub fn visits_from(&self, n: usize) -> i64 {
        self.nodes.iter().skip(n).map(|c| c.visits).sum()
    }

    /// Sessions whose last visit is a node at or past `n`.
    pub fn exits_from(&self, n: usize) -> i64 {
        self.nodes
            .iter()
            .skip(n)
            .map(|c| c.finished + c.dropped)
            .sum()
    }

    /// Medians of every node below `n`, in one pass over the histogram.
    pub fn medians(&self, n: usize) -> Vec<Option<f64>> {
        let mut per: Vec<Vec<(u32, i64)>> = vec![Vec::new(); n];
        for (&(node, b), &count) in &self.times {
            if let Some(list) = per.get_mut(node as usize) {
                if count > 0 {
                    list.push((b, count));
                }
            }
        }
        per.into_iter()
            .map(|mut buckets| {
                let total: i64 = buckets.iter().map(|b| b.1).sum();
                if total == 0 {
                    return None;
                }
                buckets.sort_unstable();
                let at_rank = |rank: i64| -> f64 {
                    let mut seen = 0;
                    for &(b, n) in &buckets {
                        seen += n;
                        if seen > rank {
                            return bucket_value(b);
                        }
                    }
                    0.0
                };
                Some((at_rank((total - 1) / 2) + at_rank(total / 2)) / 2.0)
            })
            .collect()
    }

    /// Paths with a positive count.
    pub fn paths(&self) -> impl Iterator<Item = (&[u32], i64)> {
        self.paths
            .iter()
            .filter(|(_, &n)| n > 0)
            .map(|(p, &n)| (&p[..], n))
    }

    /// Every non-zero counter as `(key, count)`, sorted by key: what the store
    /// adds up. The order matters to the store: concurrent transactions that
    /// update counters in one order cannot deadlock on each other.
    pub fn entries(&self) -> Vec<(String, i64)> {
        let mut out: Vec<(String, i64)> = Vec::new();
        let mut put = |key: String, n: i64| {
            if n != 0 {
                out.push((key, n));
            }
        };
        put("sessions".into(), self.sessions);
        put("outcome:r".into(), self.resolved);
        put("outcome:e".into(), self.escalated);
        put("outcome:u".into(), self.unresolved);
        put("no_visits".into(), self.no_visits);
        put("foreign_visits".into(), self.foreign_visits);
        for (i, c) in self.nodes.iter().enumerate() {
            if c.is_zero() {
                continue;
            }
            put(format!("visits:{i}"), c.visits);
            put(format!("reached:{i}"), c.reached);
            put(format!("finished:{i}"), c.finished);
            put(format!("dropped:{i}"), c.dropped);
        }
        for (&(node, b), &n) in &self.times {
            put(format!("ms:{node}:{b}"), n);
        }
        for (p, &n) in &self.paths {
            let mut key = String::with_capacity(5 + p.len() * 3);
            key.push_str("path:");
            for (k, node) in p.iter().enumerate() {
                if k > 0 {
                    key.push('.');
                }
                let _ = write!(key, "{node}");
            }
            put(key, n);
        }
        out.sort_unstable();
        out
    }

    /// Rebuilds counts from stored `(key, count)` rows (any order; a key may
    /// repeat, its counts add up).
    pub fn from_entries<K: AsRef<str>>(
        rows: impl IntoIterator<Item = (K, i64)>,
    ) -> Result<Tally, TallyKeyError> {
        let mut t = Tally::default();
        for (key, n) in rows {
            t.add_entry(key.as_ref(), n)?;
        }
        Ok(t)
    }

    fn add_entry(&mut self, key: &str, n: i64) -> Result<(), TallyKeyError> {
        let bad = || TallyKeyError(key.chars().take(80).collect());
        let index = |s: &str| -> Result<u32, TallyKeyError> {
            let i: u32 = s.parse().map_err(|_| bad())?;
            if (i as usize) < MAX_NODES {
                Ok(i)
            } else {
                Err(bad())
            }
        };
        let (kind, rest) = key.split_once(':').unwrap_or((key, ""));
        match (kind, rest) {
            ("sessions", "") => self.sessions += n,
            ("outcome", "r") => self.resolved += n,
            ("outcome", "e") => self.escalated += n,
            ("outcome", "u") => self.unresolved += n,
            ("no_visits", "") => self.no_visits += n,
            ("foreign_visits", "") => self.foreign_visits += n,
            ("visits" | "reached" | "finished" | "dropped", i) => {
                let i = index(i)? as usize;
                if self.nodes.len() <= i {
                    self.nodes.resize(i + 1, NodeCounts::default());
                }
                let c = &mut self.nodes[i];
                match kind {
                    "visits" => c.visits += n,
                    "reached" => c.reached += n,
                    "finished" => c.finished += n,
                    _ => c.dropped += n,
                }
            }
            ("ms", rest) => {
                let (node, b) = rest.split_once(':').ok_or_else(bad)?;
                let b: u32 = b.parse().map_err(|_| bad())?;
                if bucket(b) != b {
                    return Err(bad());
                }
                bump(&mut self.times, (index(node)?, b), n);
            }
            ("path", rest) => {
                let path = rest
                    .split('.')
                    .map(index)
                    .collect::<Result<Box<[u32]>, _>>()?;
                bump(&mut self.paths, path, n);
            }
            _ => return Err(bad()),
        }
        Ok(())
    }
}
