//! One test per validation rule: each tree must produce exactly that problem.

use std::collections::{BTreeMap, BTreeSet};

use super::*;

fn only(t: &Tree, known: Known<'_>) -> Vec<(Code, Option<String>)> {
    validate(t, known)
        .problems
        .into_iter()
        .map(|p| (p.code, p.node))
        .collect()
}

fn problems(t: &Tree) -> Vec<(Code, Option<String>)> {
    only(t, Known::default())
}

fn one(code: Code, node: &str) -> Vec<(Code, Option<String>)> {
    vec![(code, Some(node.to_string()))]
}

fn minimal() -> Tree {
    tree(
        "q",
        vec![
            question("q", "Is it on?", &[("Yes", "ok"), ("No", "ko")]),
            end("ok", Outcome::Resolved),
            end("ko", Outcome::Unresolved),
        ],
    )
}

#[test]
fn the_minimal_tree_is_clean() {
    assert_eq!(problems(&minimal()), vec![]);
    assert!(validate(&minimal(), Known::default()).is_publishable());
}

#[test]
fn every_code_is_stable_snake_case() {
    for c in Code::ALL {
        assert!(c
            .as_str()
            .chars()
            .all(|ch| ch.is_ascii_lowercase() || ch == '_'));
        assert_eq!(
            serde_json::to_value(c).unwrap(),
            serde_json::Value::from(c.as_str())
        );
    }
}

#[test]
fn too_many_nodes_is_refused_alone() {
    let mut t = minimal();
    for i in 0..model::MAX_NODES {
        t.nodes.push(end(&format!("e{i}"), Outcome::Resolved));
    }
    assert_eq!(problems(&t), vec![(Code::TooManyNodes, None)]);
}

#[test]
fn text_too_long() {
    let mut t = minimal();
    t.nodes[0].content.text = "x".repeat(model::MAX_TEXT + 1);
    assert_eq!(problems(&t), one(Code::TextTooLong, "q"));
}

#[test]
fn too_many_items() {
    let mut t = minimal();
    let answers = (0..=model::MAX_ITEMS)
        .map(|i| Answer {
            label: format!("a{i}"),
            target: if i % 2 == 0 { "ok" } else { "ko" }.into(),
        })
        .collect();
    t.nodes[0].kind = NodeKind::Question { answers };
    assert_eq!(problems(&t), one(Code::TooManyItems, "q"));
}

#[test]
fn missing_root() {
    let mut t = minimal();
    t.root = "nope".into();
    assert_eq!(problems(&t), vec![(Code::MissingRoot, None)]);
}

#[test]
fn bad_id() {
    let mut t = minimal();
    t.nodes[1].id = "o\u{7}k".into();
    t.nodes[0].kind = NodeKind::Question {
        answers: vec![
            Answer {
                label: "Yes".into(),
                target: "o\u{7}k".into(),
            },
            Answer {
                label: "No".into(),
                target: "ko".into(),
            },
        ],
    };
    assert_eq!(problems(&t), one(Code::BadId, "o\u{7}k"));
}

#[test]
fn duplicate_id() {
    let mut t = minimal();
    t.nodes.push(end("ok", Outcome::Escalated));
    assert_eq!(problems(&t), one(Code::DuplicateId, "ok"));
}

#[test]
fn dangling_target() {
    let mut t = minimal();
    t.nodes[0] = question("q", "Is it on?", &[("Yes", "ok"), ("No", "gone")]);
    t.nodes.remove(2);
    assert_eq!(problems(&t), one(Code::DanglingTarget, "q"));
}

#[test]
fn unreachable() {
    let mut t = minimal();
    t.nodes.push(end("orphan", Outcome::Resolved));
    assert_eq!(problems(&t), one(Code::Unreachable, "orphan"));
}

#[test]
fn dead_end_in_a_loop_without_exit() {
    // a ⇄ b, both waiting for the advisor and allowed to loop, but no way out.
    let mut a = question("a", "A?", &[("to b", "b")]);
    a.allow_loop = true;
    let mut b = instruction("b", "B", "a");
    b.allow_loop = true;
    let t = tree("a", vec![a, b]);
    assert_eq!(
        problems(&t),
        vec![
            (Code::DeadEnd, Some("a".into())),
            (Code::DeadEnd, Some("b".into()))
        ]
    );
}

#[test]
fn cycle_without_allow_loop() {
    let t = tree(
        "a",
        vec![
            question("a", "A?", &[("again", "b"), ("done", "z")]),
            instruction("b", "B", "a"),
            end("z", Outcome::Resolved),
        ],
    );
    assert_eq!(problems(&t), one(Code::Cycle, "a"));
    // The same loop through a question marked allow_loop is fine.
    let mut ok = t.clone();
    ok.nodes[0].allow_loop = true;
    assert_eq!(problems(&ok), vec![]);
}

#[test]
fn cycle_of_decisions_cannot_be_allowed() {
    let t = tree(
        "d",
        vec![
            decision("d", vec![rule(vec![], "z")], Some("d")),
            end("z", Outcome::Resolved),
        ],
    );
    let got = problems(&t);
    assert!(got.contains(&(Code::Cycle, Some("d".into()))), "{got:?}");
    let mut flagged = t.clone();
    flagged.nodes[0].allow_loop = true;
    assert!(problems(&flagged).contains(&(Code::BadLoopFlag, Some("d".into()))));
}

#[test]
fn bad_loop_flag() {
    let mut t = minimal();
    t.nodes[1].allow_loop = true;
    assert_eq!(problems(&t), one(Code::BadLoopFlag, "ok"));
}

#[test]
fn undefined_variable_in_text() {
    let mut t = minimal();
    t.nodes[0].content.text = "Is {{router}} on?".into();
    assert_eq!(problems(&t), one(Code::UndefinedVariable, "q"));
}

#[test]
fn variable_defined_only_downstream_is_undefined() {
    let t = tree(
        "i",
        vec![
            instruction("i", "Speed {{speed}}", "f"),
            form(
                "f",
                vec![field(
                    "speed",
                    true,
                    FieldKind::Number {
                        min: None,
                        max: None,
                        integer: false,
                    },
                )],
                "z",
            ),
            end("z", Outcome::Resolved),
        ],
    );
    assert_eq!(problems(&t), one(Code::UndefinedVariable, "i"));
}

#[test]
fn variable_set_on_one_path_only_is_a_warning() {
    let t = tree(
        "q",
        vec![
            question("q", "Form?", &[("yes", "f"), ("no", "s")]),
            form(
                "f",
                vec![field("serial", true, FieldKind::Text { max_len: None })],
                "s",
            ),
            solution("s", "Serial {{serial}}"),
        ],
    );
    let report = validate(&t, Known::default());
    assert_eq!(report.codes(), vec![Code::MaybeUndefinedVariable]);
    assert!(report.is_publishable());
}

#[test]
fn undefined_variable_in_a_rule() {
    let t = tree(
        "d",
        vec![
            decision(
                "d",
                vec![rule(
                    vec![cond(
                        Subject::Var("speed".into()),
                        Op::Gt,
                        Some(Literal::Number(1.0)),
                    )],
                    "z",
                )],
                Some("z"),
            ),
            end("z", Outcome::Resolved),
        ],
    );
    assert_eq!(problems(&t), one(Code::UndefinedVariable, "d"));
}

#[test]
fn variables_from_a_returning_subtree_count() {
    let t = tree(
        "j",
        vec![
            node(
                "j",
                "",
                NodeKind::Jump {
                    tree_ref: "wifi".into(),
                    return_to: Some("s".into()),
                },
            ),
            solution("s", "Channel {{channel_no}}"),
        ],
    );
    let subtrees: BTreeMap<String, BTreeSet<String>> =
        [("wifi".to_string(), ["channel_no".to_string()].into())].into();
    let known = Known {
        blobs: None,
        subtrees: Some(&subtrees),
    };
    assert_eq!(only(&t, known), one(Code::MaybeUndefinedVariable, "s"));
    let empty = BTreeMap::new();
    let unknown = Known {
        blobs: None,
        subtrees: Some(&empty),
    };
    assert_eq!(
        only(&t, unknown),
        vec![
            (Code::UnknownSubtree, Some("j".into())),
            (Code::UndefinedVariable, Some("s".into()))
        ]
    );
}

#[test]
fn bad_placeholder() {
    let mut t = minimal();
    t.nodes[0].content.text = "Is {{the box}} on?".into();
    assert_eq!(problems(&t), one(Code::BadPlaceholder, "q"));
}

#[test]
fn empty_prompt() {
    let mut t = minimal();
    t.nodes[0].content.text = "  ".into();
    assert_eq!(problems(&t), one(Code::EmptyPrompt, "q"));
}

#[test]
fn empty_variant_and_variant_for_everyone() {
    let mut t = minimal();
    t.nodes[0].content.variants = vec![Variant {
        segment: Segment {
            language: vec![crate::model::Language::En],
            ..Segment::default()
        },
        text: String::new(),
    }];
    assert_eq!(problems(&t), one(Code::EmptyVariant, "q"));
    t.nodes[0].content.variants = vec![Variant {
        segment: Segment::default(),
        text: "Hi".into(),
    }];
    assert_eq!(problems(&t), one(Code::VariantForEveryone, "q"));
}

#[test]
fn missing_media() {
    let mut t = minimal();
    t.nodes[0].content.media = vec![Media {
        kind: MediaKind::Audio,
        source: MediaSource::Blob("gone.ogg".into()),
        alt: String::new(),
    }];
    let blobs = known_blobs();
    let known = Known {
        blobs: Some(&blobs),
        subtrees: None,
    };
    assert_eq!(only(&t, known), one(Code::MissingMedia, "q"));
    // Without a blob list the check is skipped (drafts in an offline editor).
    assert_eq!(problems(&t), vec![]);
}

#[test]
fn bad_media_url_and_missing_alt() {
    let mut t = minimal();
    t.nodes[0].content.media = vec![Media {
        kind: MediaKind::Link,
        source: MediaSource::Url("javascript:alert(1)".into()),
        alt: "x".into(),
    }];
    assert_eq!(problems(&t), one(Code::BadMediaUrl, "q"));
    t.nodes[0].content.media = vec![Media {
        kind: MediaKind::Video,
        source: MediaSource::Url("https://videos.example/reset.mp4".into()),
        alt: String::new(),
    }];
    assert_eq!(problems(&t), one(Code::MediaWithoutAlt, "q"));
}

#[test]
fn no_answers() {
    let t = tree("q", vec![question("q", "Well?", &[])]);
    assert_eq!(problems(&t), one(Code::NoAnswers, "q"));
}

#[test]
fn empty_and_duplicate_answers() {
    let mut t = minimal();
    t.nodes[0] = question("q", "Is it on?", &[("", "ok"), ("No", "ko")]);
    assert_eq!(problems(&t), one(Code::EmptyAnswer, "q"));
    t.nodes[0] = question("q", "Is it on?", &[("No", "ok"), ("no", "ko")]);
    assert_eq!(problems(&t), one(Code::DuplicateAnswer, "q"));
}

#[test]
fn no_fields() {
    let t = tree(
        "f",
        vec![form("f", vec![], "z"), end("z", Outcome::Resolved)],
    );
    assert_eq!(problems(&t), one(Code::NoFields, "f"));
}

#[test]
fn bad_field_name_and_duplicate_field() {
    let text = || FieldKind::Text { max_len: None };
    let t = tree(
        "f",
        vec![
            form("f", vec![field("2nd", false, text())], "z"),
            end("z", Outcome::Resolved),
        ],
    );
    assert_eq!(problems(&t), one(Code::BadFieldName, "f"));
    let t = tree(
        "f",
        vec![
            form(
                "f",
                vec![field("a", false, text()), field("a", false, text())],
                "z",
            ),
            end("z", Outcome::Resolved),
        ],
    );
    assert_eq!(problems(&t), one(Code::DuplicateField, "f"));
}

#[test]
fn bad_field() {
    let cases = [
        FieldKind::Number {
            min: Some(10.0),
            max: Some(1.0),
            integer: false,
        },
        FieldKind::Choice { options: vec![] },
        FieldKind::Choice {
            options: vec![
                ChoiceOption {
                    value: "a".into(),
                    label: "A".into(),
                },
                ChoiceOption {
                    value: "a".into(),
                    label: "B".into(),
                },
            ],
        },
        FieldKind::Text { max_len: Some(0) },
    ];
    for kind in cases {
        let t = tree(
            "f",
            vec![
                form("f", vec![field("x", false, kind.clone())], "z"),
                end("z", Outcome::Resolved),
            ],
        );
        assert_eq!(problems(&t), one(Code::BadField, "f"), "{kind:?}");
    }
}

#[test]
fn no_default() {
    let t = tree(
        "d",
        vec![
            decision(
                "d",
                vec![rule(
                    vec![cond(
                        Subject::Customer(CustomerAttr::Language),
                        Op::Eq,
                        Some(Literal::Text("fr".into())),
                    )],
                    "z",
                )],
                None,
            ),
            end("z", Outcome::Resolved),
        ],
    );
    assert_eq!(problems(&t), one(Code::NoDefault, "d"));
}

#[test]
fn rule_always_true() {
    let t = tree(
        "d",
        vec![
            decision("d", vec![rule(vec![], "z")], Some("z")),
            end("z", Outcome::Resolved),
        ],
    );
    assert_eq!(problems(&t), one(Code::RuleAlwaysTrue, "d"));
}

#[test]
fn bad_condition() {
    let attr = |a| Subject::Customer(a);
    let bad = [
        cond(
            attr(CustomerAttr::AgeBand),
            Op::Eq,
            Some(Literal::Text("old".into())),
        ),
        cond(
            attr(CustomerAttr::Language),
            Op::Gt,
            Some(Literal::Text("fr".into())),
        ),
        cond(
            attr(CustomerAttr::Channel),
            Op::In,
            Some(Literal::Text("chat".into())),
        ),
        cond(
            attr(CustomerAttr::Channel),
            Op::IsSet,
            Some(Literal::Text("chat".into())),
        ),
        cond(attr(CustomerAttr::ValueTier), Op::Eq, None),
        cond(
            attr(CustomerAttr::Channel),
            Op::Contains,
            Some(Literal::Text("c".into())),
        ),
    ];
    for c in bad {
        let t = tree(
            "d",
            vec![
                decision("d", vec![rule(vec![c.clone()], "z")], Some("z")),
                end("z", Outcome::Resolved),
            ],
        );
        assert_eq!(problems(&t), one(Code::BadCondition, "d"), "{c:?}");
    }
    let good = cond(
        attr(CustomerAttr::AgeBand),
        Op::In,
        Some(Literal::List(vec![
            Literal::Text("60_74".into()),
            Literal::Text("75_plus".into()),
        ])),
    );
    let t = tree(
        "d",
        vec![
            decision("d", vec![rule(vec![good], "z")], Some("z")),
            end("z", Outcome::Resolved),
        ],
    );
    assert_eq!(problems(&t), vec![]);
}

#[test]
fn bad_escalation_and_empty_reason() {
    let t = tree(
        "e",
        vec![node(
            "e",
            "",
            NodeKind::Escalation {
                target: EscalationTarget::Queue(" ".into()),
                reason: "Why".into(),
            },
        )],
    );
    assert_eq!(problems(&t), one(Code::BadEscalation, "e"));
    let t = tree(
        "e",
        vec![node(
            "e",
            "",
            NodeKind::Escalation {
                target: EscalationTarget::Tier(Tier::Expert),
                reason: String::new(),
            },
        )],
    );
    assert_eq!(problems(&t), one(Code::EmptyReason, "e"));
}

#[test]
fn unknown_subtree() {
    let t = tree(
        "j",
        vec![node(
            "j",
            "",
            NodeKind::Jump {
                tree_ref: String::new(),
                return_to: None,
            },
        )],
    );
    assert_eq!(problems(&t), one(Code::UnknownSubtree, "j"));
}

#[test]
fn a_long_chain_is_checked_without_deep_recursion() {
    let n = model::MAX_NODES - 1;
    let mut nodes: Vec<Node> = (0..n)
        .map(|i| instruction(&format!("n{i}"), "Step", &format!("n{}", i + 1)))
        .collect();
    nodes.push(end(&format!("n{n}"), Outcome::Resolved));
    let t = tree("n0", nodes);
    assert_eq!(problems(&t), vec![]);
}
