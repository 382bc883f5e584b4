//! Tree analytics over 1,000,000 sessions of one published version: what the
//! server does once it has loaded the rows (conversation, customer, reason,
//! encoded trail). One iteration decodes every trail and builds the report,
//! return rate included; the index of later conversations is built before.
//!
//! The tree has 60 nodes (questions, instructions, decisions, a form, then
//! solutions, escalations and ends); each session walks its edges for 4–12
//! visits, sometimes undoes a step, and ends, is stopped, or is left.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;
use plateau_core::model::Tier;
use plateau_core::tree::analytics::{
    analyse, Analytics, Returns, SessionFacts, Trail, Visit, DEFAULT_RETURN_WINDOW_DAYS,
};
use plateau_core::tree::{Answer, Content, EscalationTarget, Node, NodeKind, Outcome, Rule, Tree};
use uuid::Uuid;

const SESSIONS: usize = 1_000_000;
const CUSTOMERS: u64 = 400_000;
const INNER: usize = 50;
const LEAVES: usize = 10;
const REASONS: [&str; 8] = [
    "no internet",
    "slow internet",
    "tv no signal",
    "phone line dead",
    "wifi drops",
    "box reboots",
    "billing question",
    "move home",
];
const T0: i64 = 1_700_000_000_000_000;
const DAY_US: i64 = 86_400_000_000;

/// xorshift64*, as in benches/tree.rs: deterministic inputs without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// Per inner node: its inner successors, then its leaf successors.
type Successors = Vec<(Vec<usize>, Vec<usize>)>;

/// A row as the store loads it.
struct Row {
    conversation_id: Uuid,
    customer_id: Uuid,
    reason: Option<String>,
    trail: String,
}

/// Inner nodes 0..50 branch forward to 1–3 inner nodes within the next four
/// and, for questions, to a leaf; leaves 50..60 end the session.
fn generate_tree(rng: &mut Rng) -> (Tree, Successors) {
    let id = |i: usize| format!("node-{i:02}");
    let mut nodes = Vec::new();
    let mut succ = Vec::new();
    for i in 0..INNER {
        let forward = |rng: &mut Rng| (i + 1 + rng.below(4) as usize).min(INNER - 1);
        let leaf = INNER + rng.below(LEAVES as u64) as usize;
        let (kind, inner, leaves) = match (i, rng.below(10)) {
            (i, _) if i == INNER - 1 => (
                NodeKind::Question {
                    answers: vec![
                        Answer {
                            label: "Fixed".into(),
                            target: id(INNER),
                        },
                        Answer {
                            label: "Still broken".into(),
                            target: id(INNER + LEAVES - 1),
                        },
                    ],
                },
                vec![],
                vec![INNER, INNER + LEAVES - 1],
            ),
            (_, 0..=4) => {
                let mut targets: Vec<usize> = (0..1 + rng.below(2)).map(|_| forward(rng)).collect();
                targets.dedup();
                let answers = targets
                    .iter()
                    .chain([&leaf])
                    .enumerate()
                    .map(|(k, &t)| Answer {
                        label: format!("Answer {k}, \"quoted\""),
                        target: id(t),
                    })
                    .collect();
                (NodeKind::Question { answers }, targets, vec![leaf])
            }
            (_, 5..=7) => {
                let next = forward(rng);
                (NodeKind::Instruction { next: id(next) }, vec![next], vec![])
            }
            _ => {
                let (a, b) = (forward(rng), forward(rng));
                (
                    NodeKind::Decision {
                        rules: vec![Rule {
                            when: vec![],
                            target: id(a),
                        }],
                        default: Some(id(b)),
                    },
                    vec![a, b],
                    vec![],
                )
            }
        };
        nodes.push(node(id(i), format!("Step {i}, check"), kind));
        succ.push((inner, leaves));
    }
    for k in 0..LEAVES {
        let kind = match k {
            0..=4 => NodeKind::Solution {
                article_id: Some(format!("kb-{k}")),
                next: None,
            },
            5 | 6 => NodeKind::End {
                outcome: Outcome::Resolved,
            },
            7 => NodeKind::End {
                outcome: Outcome::Unresolved,
            },
            _ => NodeKind::Escalation {
                target: EscalationTarget::Tier(Tier::N2),
                reason: "Still down".into(),
            },
        };
        nodes.push(node(id(INNER + k), format!("Outcome {k}"), kind));
    }
    let tree = Tree {
        title: "Fibre box: no internet".into(),
        root: id(0),
        nodes,
    };
    (tree, succ)
}

fn node(id: String, title: String, kind: NodeKind) -> Node {
    Node {
        id,
        title,
        content: Content::default(),
        allow_loop: false,
        kind,
    }
}

fn leaf_outcome(leaf: usize) -> Outcome {
    match leaf - INNER {
        0..=6 => Outcome::Resolved,
        7 => Outcome::Unresolved,
        _ => Outcome::Escalated,
    }
}

/// One session's trail: 4–12 visits along the tree's edges.
fn walk(rng: &mut Rng, tree: &Tree, succ: &[(Vec<usize>, Vec<usize>)], start_us: i64) -> Trail {
    let target = 4 + rng.below(9) as usize;
    let mut visits: Vec<Visit> = Vec::with_capacity(target);
    let mut at_ms: u32 = 0;
    let mut at = 0usize;
    let mut outcome = None;
    loop {
        visits.push(Visit {
            node: at as u32,
            at_ms,
        });
        if at >= INNER {
            outcome = Some(leaf_outcome(at));
            break;
        }
        if !matches!(tree.nodes[at].kind, NodeKind::Decision { .. }) {
            at_ms += 1_500 + rng.below(90_000) as u32;
        }
        let (inner, leaves) = &succ[at];
        if visits.len() + 1 >= target || inner.is_empty() {
            match rng.below(100) {
                0..=11 => break, // left on this screen
                12..=19 => {
                    outcome = Some(match rng.below(3) {
                        0 => Outcome::Resolved,
                        1 => Outcome::Unresolved,
                        _ => Outcome::Escalated,
                    });
                    break;
                }
                _ => {}
            }
            at = match leaves.as_slice() {
                [] => INNER + rng.below(LEAVES as u64) as usize,
                l => l[rng.below(l.len() as u64) as usize],
            };
        } else if visits.len() >= 2 && rng.chance(3) {
            // The advisor undid a step: the previous screen again.
            at = visits[visits.len() - 2].node as usize;
        } else {
            at = inner[rng.below(inner.len() as u64) as usize];
        }
    }
    Trail {
        start_us,
        end_us: start_us + i64::from(at_ms) * 1_000 + rng.below(1_000) as i64,
        outcome,
        visits,
    }
}

/// The encoded rows, and every conversation of the period for the return index
/// (each session's own, and for one session in five a later one).
fn generate_rows(tree: &Tree, succ: &[(Vec<usize>, Vec<usize>)]) -> (Vec<Row>, Returns) {
    let mut rng = Rng(0xA7A1_7C5E);
    let mut rows = Vec::with_capacity(SESSIONS);
    let mut conversations = Vec::with_capacity(SESSIONS + SESSIONS / 4);
    for i in 0..SESSIONS {
        let start = T0 + rng.below(90 * DAY_US as u64) as i64;
        let trail = walk(&mut rng, tree, succ, start);
        let customer = Uuid::from_u128(u128::from(rng.below(CUSTOMERS)));
        let reason = (!rng.chance(5)).then(|| REASONS[rng.below(8) as usize].to_string());
        let conversation = Uuid::from_u128(i as u128);
        conversations.push((customer, reason.clone(), start, conversation));
        if rng.chance(20) {
            let later = if rng.chance(70) {
                reason.clone()
            } else {
                Some(REASONS[rng.below(8) as usize].to_string())
            };
            let at = trail.end_us + rng.below(14 * DAY_US as u64) as i64;
            conversations.push((customer, later, at, Uuid::from_u128((1 << 64) + i as u128)));
        }
        rows.push(Row {
            conversation_id: conversation,
            customer_id: customer,
            reason,
            trail: trail.encode(),
        });
    }
    (rows, Returns::new(conversations))
}

/// The measured work: decode every stored trail and build the report.
fn decode_and_analyse(tree: &Tree, rows: &[Row], returns: &Returns) -> Analytics {
    let sessions = rows.iter().map(|r| SessionFacts {
        conversation_id: r.conversation_id,
        customer_id: r.customer_id,
        reason: r.reason.clone(),
        trail: Trail::decode(&r.trail).expect("generated trails decode"),
    });
    analyse(tree, sessions, returns, DEFAULT_RETURN_WINDOW_DAYS)
}

fn main() {
    let t = Instant::now();
    let (tree, succ) = generate_tree(&mut Rng(0x5EED_7EE5));
    let (rows, returns) = generate_rows(&tree, &succ);
    let bytes: usize = rows.iter().map(|r| r.trail.len()).sum();
    println!(
        "{} nodes, {SESSIONS} sessions, {:.1} MB of encoded trails ({} bytes each on average), generated in {:?}",
        tree.nodes.len(),
        bytes as f64 / 1e6,
        bytes / SESSIONS,
        t.elapsed()
    );

    // Parts, timed once, then the whole a few times for the sessions/second figure.
    let t = Instant::now();
    let decoded: Vec<Trail> = rows
        .iter()
        .map(|r| Trail::decode(&r.trail).expect("decodes"))
        .collect();
    let decode = t.elapsed();
    let facts: Vec<SessionFacts> = rows
        .iter()
        .zip(decoded)
        .map(|(r, trail)| SessionFacts {
            conversation_id: r.conversation_id,
            customer_id: r.customer_id,
            reason: r.reason.clone(),
            trail,
        })
        .collect();
    let t = Instant::now();
    let a = analyse(&tree, &facts, &returns, DEFAULT_RETURN_WINDOW_DAYS);
    let analyse_only = t.elapsed();
    drop(facts);
    println!("decode alone {decode:?}, analyse alone (decoded trails) {analyse_only:?}");
    println!(
        "report: completion {:.3}, resolution {:.3}, abandoned {}, distinct paths {}, \
         unjustified returns {} of {} ({:.3}), top path {} × {:?}",
        a.completion_rate,
        a.resolution_rate,
        a.abandoned,
        a.distinct_paths,
        a.returns.returns,
        a.returns.resolved_sessions,
        a.returns.rate,
        a.top_paths.first().map_or(0, |p| p.count),
        a.top_paths.first().map(|p| p.nodes.join(" > ")),
    );
    let mut times: Vec<Duration> = (0..3)
        .map(|_| {
            let t = Instant::now();
            black_box(decode_and_analyse(&tree, black_box(&rows), &returns));
            t.elapsed()
        })
        .collect();
    times.sort();
    println!(
        "decode + analyse, 3 runs: median {:?} = {:.0} sessions/s",
        times[1],
        SESSIONS as f64 / times[1].as_secs_f64()
    );

    let mut c = Criterion::default().configure_from_args();
    let mut g = c.benchmark_group("tree_analytics_1m_sessions");
    g.sample_size(10);
    g.warm_up_time(Duration::from_secs(2));
    g.measurement_time(Duration::from_secs(15));
    g.bench_function("decode_and_analyse", |b| {
        b.iter(|| decode_and_analyse(&tree, black_box(&rows), &returns))
    });
    g.finish();
    c.final_summary();
}
