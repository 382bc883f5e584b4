//! Tests of the tree module: builders shared by the files below.

mod analytics_tests;
mod diff_tests;
mod interchange_tests;
mod proptests;
mod runner_tests;
mod validate_tests;

use super::*;
use crate::model::{AgeBand, ContractTier, TechAppetite, Tier};

pub fn node(id: &str, text: &str, kind: NodeKind) -> Node {
    Node {
        id: id.into(),
        title: String::new(),
        content: Content {
            text: text.into(),
            ..Content::default()
        },
        allow_loop: false,
        kind,
    }
}

pub fn question(id: &str, text: &str, answers: &[(&str, &str)]) -> Node {
    node(
        id,
        text,
        NodeKind::Question {
            answers: answers
                .iter()
                .map(|(label, target)| Answer {
                    label: (*label).into(),
                    target: (*target).into(),
                })
                .collect(),
        },
    )
}

pub fn instruction(id: &str, text: &str, next: &str) -> Node {
    node(id, text, NodeKind::Instruction { next: next.into() })
}

pub fn end(id: &str, outcome: Outcome) -> Node {
    node(id, "", NodeKind::End { outcome })
}

pub fn solution(id: &str, text: &str) -> Node {
    node(
        id,
        text,
        NodeKind::Solution {
            article_id: Some("kb-42".into()),
            next: None,
        },
    )
}

pub fn field(name: &str, required: bool, kind: FieldKind) -> Field {
    Field {
        name: name.into(),
        label: format!("The {name}"),
        required,
        help: String::new(),
        kind,
    }
}

pub fn form(id: &str, fields: Vec<Field>, next: &str) -> Node {
    node(
        id,
        "Ask the customer",
        NodeKind::Form {
            fields,
            next: next.into(),
        },
    )
}

pub fn cond(subject: Subject, op: Op, value: Option<Literal>) -> Condition {
    Condition { subject, op, value }
}

pub fn rule(when: Vec<Condition>, target: &str) -> Rule {
    Rule {
        when,
        target: target.into(),
    }
}

pub fn decision(id: &str, rules: Vec<Rule>, default: Option<&str>) -> Node {
    node(
        id,
        "",
        NodeKind::Decision {
            rules,
            default: default.map(Into::into),
        },
    )
}

pub fn tree(root: &str, nodes: Vec<Node>) -> Tree {
    Tree {
        title: "Box diagnosis".into(),
        root: root.into(),
        nodes,
    }
}

/// A realistic, valid tree exercising every node kind but jumps.
///
/// start ─yes→ serial(form) → route(decision) ─speed<5→ slow(solution)
///   │                                       ├─expert contract→ esc
///   │                                       └─default→ fine(end resolved)
///   └─no→ power(instruction) → check(question) ─yes→ fine ─no→ esc
pub fn box_tree() -> Tree {
    let mut start = question(
        "start",
        "Are the lights of the box on, {{customer.language}}?",
        &[("Yes", "serial"), ("No", "power")],
    );
    start.title = "Lights".into();
    start.content.variants = vec![Variant {
        segment: Segment {
            age_band: vec![AgeBand::From60To74, AgeBand::Over75],
            tech_appetite: vec![TechAppetite::Low],
            ..Segment::default()
        },
        text: "Take your time: can you see small lights on the front of the white box?".into(),
    }];
    start.content.media = vec![Media {
        kind: MediaKind::Image,
        source: MediaSource::Blob("box-front.png".into()),
        alt: "The front of the box".into(),
    }];
    let serial = form(
        "serial",
        vec![
            field("serial", true, FieldKind::Text { max_len: Some(20) }),
            field(
                "speed",
                true,
                FieldKind::Number {
                    min: Some(0.0),
                    max: Some(1000.0),
                    integer: false,
                },
            ),
            field("since", false, FieldKind::Date),
        ],
        "route",
    );
    let route = decision(
        "route",
        vec![
            rule(
                vec![cond(
                    Subject::Var("speed".into()),
                    Op::Lt,
                    Some(Literal::Number(5.0)),
                )],
                "slow",
            ),
            rule(
                vec![cond(
                    Subject::Customer(CustomerAttr::ContractTier),
                    Op::Eq,
                    Some(Literal::Text("expert".into())),
                )],
                "esc",
            ),
        ],
        Some("fine"),
    );
    let mut esc = node(
        "esc",
        "Transfer to level 2",
        NodeKind::Escalation {
            target: EscalationTarget::Tier(Tier::N2),
            reason: "Box down for a {{customer.contract_tier}} customer".into(),
        },
    );
    esc.title = "Level 2".into();
    tree(
        "start",
        vec![
            start,
            serial,
            route,
            solution(
                "slow",
                "Restart the box: {{speed}} Mb/s ({{serial}}) is too slow.",
            ),
            instruction(
                "power",
                "Plug the box in and press the power button.",
                "check",
            ),
            question(
                "check",
                "Are the lights on now?",
                &[("Yes", "fine"), ("No", "esc")],
            ),
            esc,
            end("fine", Outcome::Resolved),
        ],
    )
}

pub fn known_blobs() -> std::collections::BTreeSet<String> {
    ["box-front.png".to_string()].into_iter().collect()
}

#[test]
fn the_sample_tree_is_publishable_and_its_json_round_trips() {
    let t = box_tree();
    let blobs = known_blobs();
    let report = validate(
        &t,
        Known {
            blobs: Some(&blobs),
            subtrees: None,
        },
    );
    assert!(report.problems.is_empty(), "{:#?}", report.problems);
    let json = t.to_json();
    assert_eq!(Tree::from_json(&json).unwrap(), t);
    // The stable shape the store and the editor rely on.
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["nodes"][0]["kind"], "question");
    assert_eq!(v["nodes"][0]["answers"][1]["target"], "power");
    assert_eq!(v["nodes"][1]["fields"][1]["type"], "number");
    assert_eq!(
        v["nodes"][2]["rules"][0]["when"][0]["subject"]["var"],
        "speed"
    );
    assert_eq!(v["nodes"][6]["target"]["tier"], "n2");
    let _ = ContractTier::Expert;
}

#[test]
fn oversized_json_is_refused_before_parsing() {
    let big = " ".repeat(model::MAX_JSON_BYTES + 1);
    assert!(matches!(
        Tree::from_json(&big),
        Err(TreeJsonError::TooLarge(_))
    ));
    assert!(matches!(
        Tree::from_json("{\"root\": 1}"),
        Err(TreeJsonError::Json(_))
    ));
}

/// The examples in docs/trees.md parse, validate and run as documented.
#[test]
fn the_documented_examples_are_true() {
    let doc = include_str!("../../../../../docs/trees.md");
    let mut blocks = doc
        .split("```json\n")
        .skip(1)
        .map(|b| b.split("```").next().unwrap());
    let t = Tree::from_json(blocks.next().unwrap()).unwrap();
    let report = validate(&t, Known::default());
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    let mut s = Session::start(&t, &(), CustomerAttrs::default(), 1_700_000_000_000_000).unwrap();
    s.answer(0, 1_700_000_004_000_000).unwrap();
    let values = [("serial", "SN-1"), ("speed", "3.5")]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    s.submit(&values, 1_700_000_031_000_000).unwrap();
    let documented: runner::Path = serde_json::from_str(blocks.next().unwrap()).unwrap();
    assert_eq!(s.path(), &documented);
}
