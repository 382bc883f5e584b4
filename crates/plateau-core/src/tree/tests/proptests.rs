//! Property tests over random valid trees: validation accepts them, every
//! export → import is the identity, and the runner never panics and never
//! changes anything when it refuses an action.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;
use crate::model::{AgeBand, Channel, Language};
use crate::tree::interchange::{
    export_mm, export_opml, export_xmind, import_mm, import_opml, import_xmind, InterchangeError,
};

type Spec = (u32, u8, String, String, u32);

fn text() -> impl Strategy<Value = String> {
    "[A-Za-z][A-Za-z0-9 &<>\"'\n\t\r.,é€-]{0,30}"
}

fn title() -> impl Strategy<Value = String> {
    "([A-Za-z][A-Za-z &<>é]{0,12})?"
}

fn specs() -> impl Strategy<Value = Vec<Spec>> {
    (2usize..30).prop_flat_map(|n| {
        proptest::collection::vec(
            (any::<u32>(), any::<u8>(), title(), text(), any::<u32>()),
            n,
        )
    })
}

/// Builds a valid tree: a random spanning tree from node 0, some forward
/// edges (so nodes are shared, never in a cycle), and kinds fitting each
/// node's number of successors.
fn build(specs: &[Spec]) -> Tree {
    let n = specs.len();
    let id = |i: usize| format!("n{i}");
    let mut succ: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (j, spec) in specs.iter().enumerate().skip(1) {
        succ[spec.0 as usize % j].push(j);
    }
    for (i, spec) in specs.iter().enumerate() {
        let later = n - i - 1;
        if spec.4 % 3 == 0 && later > 0 && !succ[i].is_empty() {
            let t = i + 1 + (spec.4 as usize / 3) % later;
            if !succ[i].contains(&t) {
                succ[i].push(t);
            }
        }
    }
    let nodes = specs
        .iter()
        .enumerate()
        .map(|(i, (_, k, title, txt, extra))| {
            let next: Vec<String> = succ[i].iter().map(|&j| id(j)).collect();
            let kind = match (next.as_slice(), k % 6) {
                ([], 0) => NodeKind::Escalation {
                    target: EscalationTarget::Queue(format!("queue {k}")),
                    reason: txt.clone(),
                },
                ([], 1) => NodeKind::Escalation {
                    target: EscalationTarget::Tier(Tier::Expert),
                    reason: txt.clone(),
                },
                ([], 2 | 3) => NodeKind::Solution {
                    article_id: (k % 2 == 0).then(|| format!("kb-{extra}")),
                    next: None,
                },
                ([], _) => NodeKind::End {
                    outcome: [Outcome::Resolved, Outcome::Escalated, Outcome::Unresolved]
                        [*k as usize % 3],
                },
                ([only], 0) => NodeKind::Instruction { next: only.clone() },
                ([only], 1) => NodeKind::Form {
                    fields: vec![
                        field(
                            &format!("f{i}"),
                            k % 2 == 0,
                            FieldKind::Text { max_len: None },
                        ),
                        field(
                            &format!("g{i}"),
                            false,
                            FieldKind::Number {
                                min: Some(-1.5),
                                max: Some(f64::from(*extra)),
                                integer: false,
                            },
                        ),
                    ],
                    next: only.clone(),
                },
                ([only], 2) => NodeKind::Solution {
                    article_id: None,
                    next: Some(only.clone()),
                },
                ([only], 3) => NodeKind::Jump {
                    tree_ref: "sub".into(),
                    return_to: Some(only.clone()),
                },
                (many, 4 | 5) if many.len() > 1 || k % 2 == 0 => {
                    let (last, rest) = many.split_last().unwrap_or((&many[0], &[]));
                    NodeKind::Decision {
                        rules: rest
                            .iter()
                            .enumerate()
                            .map(|(r, t)| Rule {
                                when: vec![Condition {
                                    subject: Subject::Customer(CustomerAttr::AgeBand),
                                    op: Op::Ge,
                                    value: Some(Literal::Text(
                                        AgeBand::ALL[(r + i) % AgeBand::ALL.len()].as_str().into(),
                                    )),
                                }],
                                target: t.clone(),
                            })
                            .collect(),
                        default: Some(last.clone()),
                    }
                }
                (many, _) => NodeKind::Question {
                    answers: many
                        .iter()
                        .enumerate()
                        .map(|(a, t)| Answer {
                            label: format!("{} {a}", title.trim()),
                            target: t.clone(),
                        })
                        .collect(),
                },
            };
            let mut content = Content {
                text: txt.clone(),
                ..Content::default()
            };
            if extra % 4 == 1 {
                content.variants.push(Variant {
                    segment: Segment {
                        language: vec![Language::Fr],
                        channel: vec![Channel::Phone, Channel::Chat],
                        ..Segment::default()
                    },
                    text: format!("{txt} (fr)"),
                });
                content.media.push(Media {
                    kind: MediaKind::Link,
                    source: MediaSource::Url(format!("https://help.example/{extra}")),
                    alt: title.clone(),
                });
            }
            Node {
                id: id(i),
                title: title.clone(),
                content,
                allow_loop: false,
                kind,
            }
        })
        .collect();
    Tree {
        title: "Random".into(),
        root: id(0),
        nodes,
    }
}

fn subtrees() -> BTreeMap<String, Tree> {
    let sub = tree(
        "s0",
        vec![
            question("s0", "Sub?", &[("done", "s1"), ("stuck", "s2")]),
            end("s1", Outcome::Resolved),
            end("s2", Outcome::Unresolved),
        ],
    );
    [("sub".to_string(), sub)].into()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn random_valid_trees_validate(specs in specs()) {
        let t = build(&specs);
        let report = validate(&t, Known::default());
        prop_assert!(report.is_publishable(), "{:#?}", report.errors().collect::<Vec<_>>());
    }

    #[test]
    fn export_then_import_is_the_identity(specs in specs()) {
        let t = build(&specs);
        prop_assert_eq!(&import_mm(export_mm(&t).unwrap().as_bytes()).unwrap(), &t);
        prop_assert_eq!(&import_opml(export_opml(&t).unwrap().as_bytes()).unwrap(), &t);
        match export_xmind(&t) {
            Ok(bytes) => prop_assert_eq!(&import_xmind(&bytes).unwrap(), &t),
            Err(e) => prop_assert_eq!(e, InterchangeError::TooDeep(interchange::MAX_XMIND_DEPTH)),
        }
        prop_assert!(diff(&t, &Tree::from_json(&t.to_json()).unwrap()).is_empty());
    }

    #[test]
    fn the_runner_never_panics_and_refusals_change_nothing(
        specs in specs(),
        actions in proptest::collection::vec((0u8..6, 0u8..4, "[0-9a-z ,.-]{0,6}"), 0..40),
        age in 0usize..6,
    ) {
        let t = build(&specs);
        let subs = subtrees();
        let customer = CustomerAttrs {
            age_band: AgeBand::ALL.get(age).copied(),
            ..CustomerAttrs::default()
        };
        let mut s = Session::start(&t, &subs, customer, 0).unwrap();
        for (at, (action, arg, raw)) in actions.into_iter().enumerate() {
            let at = at as i64 + 1;
            let before = (s.step(), s.path().clone(), s.variables().clone());
            let result = match action {
                0 => s.answer(usize::from(arg), at),
                1 => {
                    let step = s.step().unwrap();
                    let fields = match step.view {
                        StepView::Form { fields, .. } => fields,
                        _ => vec![],
                    };
                    let values = fields.iter().take(usize::from(arg)).map(|f| (f.name.clone(), raw.clone())).collect();
                    s.submit(&values, at)
                }
                2 => s.proceed(at),
                3 => s.back(at),
                4 => { s.restart(at); Ok(()) }
                _ => s.stop(Outcome::Unresolved, at),
            };
            prop_assert!(s.step().is_ok());
            if result.is_err() {
                prop_assert_eq!(&(s.step(), s.path().clone(), s.variables().clone()), &before);
            }
        }
        let replayed = Session::replay(&t, &subs, customer, s.path()).unwrap();
        prop_assert_eq!(replayed.step().unwrap(), s.step().unwrap());
    }
}
