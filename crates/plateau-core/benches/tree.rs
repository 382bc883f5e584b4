//! Diagnostic trees (issue 7): a 1,000-node tree "loads and renders a step"
//! under 50 ms. One iteration parses the stored JSON, validates it (every
//! rule, as publishing does), starts a session for a customer and renders the
//! first screen. The tree is generated with the mix of a real one: questions
//! with 2–4 answers, forms, decisions on variables and customer attributes,
//! segment variants, media and placeholders.
//!
//! Also measured: each part alone, a walk to the end, and `.mm` export/import.

use std::collections::{BTreeMap, BTreeSet};
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;
use plateau_core::model::{AgeBand, ContractTier, Language, TechAppetite, Tier};
use plateau_core::tree::interchange::{export_mm, import_mm};
use plateau_core::tree::{
    validate, Answer, Condition, Content, CustomerAttr, CustomerAttrs, EscalationTarget, Field,
    FieldKind, Known, Literal, Media, MediaKind, MediaSource, Node, NodeKind, Op, Outcome, Rule,
    Segment, Session, StepView, Subject, Tree, Variant,
};

const NODES: usize = 1_000;

/// xorshift64*: deterministic inputs without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const PROSE: &str = "Ask the customer to look at the back of the **box** and read the \
    label under the barcode. If the label is hard to read, suggest using the phone's torch. \
    Check that the cable is firmly pushed in until it clicks, then wait two minutes.";

/// Node 0 is a form defining `serial` and `speed`; nodes 1.. branch forward
/// only (so the tree is acyclic and every node reachable); the last 10% are
/// outcomes.
fn generate() -> (Tree, BTreeSet<String>) {
    let mut rng = Rng(0x5EED_7EE5);
    let id = |i: usize| format!("node-{i:04}");
    let mut blobs = BTreeSet::new();
    let leaves = NODES / 10;
    let inner = NODES - leaves;
    let mut nodes = Vec::with_capacity(NODES);
    // Every inner node i > 0 is the target of its predecessor's first edge
    // (an instruction chain would be too simple, so targets also skip ahead).
    for i in 0..NODES {
        let after = |rng: &mut Rng| id(i + 1 + rng.below((NODES - i - 1).clamp(1, 40)));
        let first = id(i + 1);
        let mut content = Content {
            text: if i == 0 {
                format!("Step {i}: {PROSE}")
            } else {
                format!("Step {i}: {PROSE} Serial {{{{serial}}}}, speed {{{{speed}}}} Mb/s.")
            },
            ..Content::default()
        };
        if i % 3 == 0 && i > 0 {
            content.variants.push(Variant {
                segment: Segment {
                    age_band: vec![AgeBand::From60To74, AgeBand::Over75],
                    tech_appetite: vec![TechAppetite::Low],
                    ..Segment::default()
                },
                text: format!("Step {i}, gently: {PROSE}"),
            });
            content.variants.push(Variant {
                segment: Segment {
                    tech_appetite: vec![TechAppetite::High],
                    ..Segment::default()
                },
                text: format!(
                    "Step {i}: check the sync LED and the line stats (serial {{{{serial}}}})."
                ),
            });
        }
        if i % 5 == 0 {
            let key = format!("media/{i}.png");
            blobs.insert(key.clone());
            content.media.push(Media {
                kind: MediaKind::Image,
                source: MediaSource::Blob(key),
                alt: format!("Illustration of step {i}"),
            });
        }
        let kind = if i == 0 {
            NodeKind::Form {
                fields: vec![
                    Field {
                        name: "serial".into(),
                        label: "Serial number".into(),
                        required: true,
                        help: String::new(),
                        kind: FieldKind::Text { max_len: Some(30) },
                    },
                    Field {
                        name: "speed".into(),
                        label: "Measured speed".into(),
                        required: true,
                        help: String::new(),
                        kind: FieldKind::Number {
                            min: Some(0.0),
                            max: Some(10_000.0),
                            integer: false,
                        },
                    },
                ],
                next: first,
            }
        } else if i >= inner {
            match i % 3 {
                0 => NodeKind::Solution {
                    article_id: Some(format!("kb-{i}")),
                    next: None,
                },
                1 => NodeKind::Escalation {
                    target: EscalationTarget::Tier(Tier::N2),
                    reason: "Serial {{serial}}: still down".into(),
                },
                _ => NodeKind::End {
                    outcome: Outcome::Unresolved,
                },
            }
        } else if i >= inner - leaves {
            // The last stretch of questions also leads to one outcome each,
            // so every outcome is reachable.
            NodeKind::Question {
                answers: vec![
                    Answer {
                        label: "Yes".into(),
                        target: first,
                    },
                    Answer {
                        label: "No".into(),
                        target: id(i + leaves),
                    },
                ],
            }
        } else {
            match rng.below(10) {
                0..=5 => {
                    let n = 2 + rng.below(3);
                    let mut answers = vec![Answer {
                        label: "Yes".into(),
                        target: first,
                    }];
                    for a in 1..n {
                        answers.push(Answer {
                            label: format!("Answer {a}"),
                            target: after(&mut rng),
                        });
                    }
                    NodeKind::Question { answers }
                }
                6 | 7 => NodeKind::Instruction { next: first },
                _ => NodeKind::Decision {
                    rules: vec![
                        Rule {
                            when: vec![Condition {
                                subject: Subject::Var("speed".into()),
                                op: Op::Lt,
                                value: Some(Literal::Number(5.0)),
                            }],
                            target: after(&mut rng),
                        },
                        Rule {
                            when: vec![Condition {
                                subject: Subject::Customer(CustomerAttr::ContractTier),
                                op: Op::In,
                                value: Some(Literal::List(vec![
                                    Literal::Text("pro".into()),
                                    Literal::Text("expert".into()),
                                ])),
                            }],
                            target: after(&mut rng),
                        },
                    ],
                    default: Some(first),
                },
            }
        };
        nodes.push(Node {
            id: id(i),
            title: format!("Step {i}"),
            content,
            allow_loop: false,
            kind,
        });
    }
    (
        Tree {
            title: "Fibre box: no internet".into(),
            root: id(0),
            nodes,
        },
        blobs,
    )
}

fn customer() -> CustomerAttrs {
    CustomerAttrs {
        age_band: Some(AgeBand::Over75),
        tech_appetite: Some(TechAppetite::Low),
        contract_tier: Some(ContractTier::Standard),
        language: Some(Language::Fr),
        ..CustomerAttrs::default()
    }
}

/// The measure: load (parse + validate) a stored tree and render its first step.
fn load_and_render(json: &str, blobs: &BTreeSet<String>) -> usize {
    let tree = Tree::from_json(json).expect("generated JSON parses");
    let report = validate(
        &tree,
        Known {
            blobs: Some(blobs),
            subtrees: None,
        },
    );
    assert!(report.is_publishable());
    let session = Session::start(&tree, &(), customer(), 0).expect("starts");
    let step = session.step().expect("renders");
    step.text.len() + report.problems.len()
}

fn walk(tree: &Tree) -> usize {
    let mut s = Session::start(tree, &(), customer(), 0).expect("starts");
    let values: BTreeMap<String, String> = [
        ("serial".to_string(), "SN-123".to_string()),
        ("speed".to_string(), "42".to_string()),
    ]
    .into();
    let mut steps = 0;
    for at in 1..2_000 {
        let Ok(step) = s.step() else { break };
        let r = match step.view {
            StepView::Question { .. } => s.answer(0, at),
            StepView::Form { .. } => s.submit(&values, at),
            StepView::Instruction | StepView::Solution { .. } => s.proceed(at),
            StepView::Finished { .. } => break,
        };
        if r.is_err() {
            break;
        }
        steps += 1;
    }
    steps
}

fn main() {
    let (tree, blobs) = generate();
    let json = tree.to_json();
    let report = validate(
        &tree,
        Known {
            blobs: Some(&blobs),
            subtrees: None,
        },
    );
    assert!(
        report.is_publishable(),
        "{:?}",
        report.errors().take(3).collect::<Vec<_>>()
    );
    println!(
        "tree: {} nodes, {} bytes of JSON, {} warnings",
        tree.nodes.len(),
        json.len(),
        report.problems.len()
    );

    // A plain timed loop first, for percentiles criterion does not print.
    let mut times: Vec<Duration> = (0..200)
        .map(|_| {
            let t = Instant::now();
            black_box(load_and_render(black_box(&json), &blobs));
            t.elapsed()
        })
        .collect();
    times.sort();
    let pct = |p: usize| times[(times.len() * p / 100).min(times.len() - 1)];
    println!(
        "load + validate + start + render, 200 runs: p50 {:?}, p90 {:?}, p99 {:?}, max {:?}",
        pct(50),
        pct(90),
        pct(99),
        times[times.len() - 1]
    );

    let mut c = Criterion::default().configure_from_args();
    let mut g = c.benchmark_group("tree_1000_nodes");
    g.measurement_time(Duration::from_secs(5));
    g.bench_function("parse_validate_start_render", |b| {
        b.iter(|| load_and_render(black_box(&json), &blobs))
    });
    g.bench_function("parse_json", |b| {
        b.iter(|| Tree::from_json(black_box(&json)))
    });
    g.bench_function("validate", |b| {
        b.iter(|| {
            validate(
                black_box(&tree),
                Known {
                    blobs: Some(&blobs),
                    subtrees: None,
                },
            )
        })
    });
    g.bench_function("start_and_render", |b| {
        b.iter(|| Session::start(&tree, &(), customer(), 0).and_then(|s| s.step()))
    });
    g.bench_function("walk_to_an_outcome", |b| b.iter(|| walk(black_box(&tree))));
    let mm = export_mm(&tree).expect("exports");
    g.bench_function("export_mm", |b| b.iter(|| export_mm(black_box(&tree))));
    g.bench_function("import_mm", |b| {
        b.iter(|| import_mm(black_box(mm.as_bytes())))
    });
    g.finish();
    c.final_summary();
}
