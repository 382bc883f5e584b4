//! The runner: rendering, answers, forms, decisions, undo, sub-trees, hand-off.

use std::collections::BTreeMap;

use super::*;
use crate::model::{Channel, ContractTier, Language};

fn senior() -> CustomerAttrs {
    CustomerAttrs {
        age_band: Some(AgeBand::Over75),
        tech_appetite: Some(TechAppetite::Low),
        contract_tier: Some(ContractTier::Standard),
        language: Some(Language::Fr),
        ..CustomerAttrs::default()
    }
}

fn expert() -> CustomerAttrs {
    CustomerAttrs {
        age_band: Some(AgeBand::From25To39),
        tech_appetite: Some(TechAppetite::High),
        contract_tier: Some(ContractTier::Expert),
        language: Some(Language::En),
        channel: Some(Channel::Chat),
        ..CustomerAttrs::default()
    }
}

fn values(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn the_segment_variant_is_chosen_and_customer_attributes_filled() {
    let t = box_tree();
    let s = Session::start(&t, &(), senior(), 1).unwrap();
    let step = s.step().unwrap();
    assert_eq!(step.node, "start");
    assert!(step.text.starts_with("Take your time"), "{}", step.text);
    assert_eq!(
        step.view,
        StepView::Question {
            answers: vec!["Yes".into(), "No".into()]
        }
    );
    assert!(!step.can_go_back);
    let s = Session::start(&t, &(), expert(), 1).unwrap();
    assert_eq!(s.step().unwrap().text, "Are the lights of the box on, en?");
}

#[test]
fn form_values_fill_variables_and_decisions_run_by_themselves() {
    let t = box_tree();
    let mut s = Session::start(&t, &(), senior(), 1).unwrap();
    s.answer(0, 2).unwrap();
    assert_eq!(s.step().unwrap().node, "serial");
    s.submit(
        &values(&[
            ("serial", " SN-1 "),
            ("speed", "3,5"),
            ("since", "2024-02-29"),
        ]),
        3,
    )
    .unwrap();
    // speed < 5 → the slow solution, which ends the session resolved.
    let step = s.step().unwrap();
    assert_eq!(step.node, "slow");
    assert_eq!(step.text, "Restart the box: 3.5 Mb/s (SN-1) is too slow.");
    assert_eq!(
        step.view,
        StepView::Finished {
            outcome: Outcome::Resolved,
            article_id: Some("kb-42".into()),
            handoff: None
        }
    );
    assert_eq!(s.outcome(), Some(Outcome::Resolved));
    assert_eq!(s.path().visited(), vec!["start", "serial", "route", "slow"]);
    assert!(s
        .path()
        .events
        .iter()
        .any(|e| e.node == "route" && e.entry == PathEntry::Decided { rule: Some(0) }));
    assert_eq!(s.variables()["since"], Value::Text("2024-02-29".into()));
    assert_eq!(s.answer(0, 4), Err(RunError::Finished));
}

#[test]
fn decision_rules_in_order_then_the_default() {
    let t = box_tree();
    let run = |c: CustomerAttrs, speed: &str| {
        let mut s = Session::start(&t, &(), c, 1).unwrap();
        s.answer(0, 2).unwrap();
        s.submit(&values(&[("serial", "X"), ("speed", speed)]), 3)
            .unwrap();
        s.step().unwrap().node
    };
    assert_eq!(run(senior(), "1"), "slow");
    assert_eq!(run(expert(), "1"), "slow", "the first matching rule wins");
    assert_eq!(run(expert(), "100"), "esc");
    assert_eq!(run(senior(), "100"), "fine", "no rule: the default");
}

#[test]
fn bad_form_values_are_all_reported_and_change_nothing() {
    let t = box_tree();
    let mut s = Session::start(&t, &(), senior(), 1).unwrap();
    s.answer(0, 2).unwrap();
    let before_step = s.step().unwrap();
    let before_path = s.path().clone();
    let err = s
        .submit(
            &values(&[
                ("serial", "x".repeat(21).as_str()),
                ("speed", "2000"),
                ("since", "2023-02-30"),
                ("extra", "1"),
            ]),
            3,
        )
        .unwrap_err();
    let RunError::Invalid(fields) = err else {
        panic!("{err:?}")
    };
    let names: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(names, vec!["extra", "serial", "speed", "since"]);
    assert_eq!(s.step().unwrap(), before_step);
    assert_eq!(s.path(), &before_path);
    assert!(s.variables().is_empty());
    let err = s.submit(&values(&[("speed", "abc")]), 4).unwrap_err();
    let RunError::Invalid(fields) = err else {
        panic!()
    };
    assert_eq!(fields[0].field, "serial");
    assert_eq!(fields[0].message, "is required");
}

#[test]
fn every_field_type_parses_and_normalises() {
    let kinds = vec![
        field(
            "n",
            false,
            FieldKind::Number {
                min: Some(1.0),
                max: None,
                integer: true,
            },
        ),
        field("b", false, FieldKind::Boolean),
        field(
            "c",
            false,
            FieldKind::Choice {
                options: vec![ChoiceOption {
                    value: "fibre".into(),
                    label: "Fibre".into(),
                }],
            },
        ),
        field("e", false, FieldKind::Email),
        field("p", false, FieldKind::Phone),
    ];
    let t = tree(
        "f",
        vec![form("f", kinds, "z"), end("z", Outcome::Resolved)],
    );
    let mut s = Session::start(&t, &(), CustomerAttrs::default(), 0).unwrap();
    let err = s
        .submit(
            &values(&[
                ("n", "1.5"),
                ("b", "maybe"),
                ("c", "adsl"),
                ("e", "a@b"),
                ("p", "0612"),
            ]),
            1,
        )
        .unwrap_err();
    let RunError::Invalid(fields) = err else {
        panic!()
    };
    assert_eq!(fields.len(), 5, "{fields:?}");
    s.submit(
        &values(&[
            ("n", "3"),
            ("b", "on"),
            ("c", "fibre"),
            ("e", "A@B.FR"),
            ("p", "+33 6 12 34 56 78"),
        ]),
        1,
    )
    .unwrap();
    let v = s.variables();
    assert_eq!(v["n"], Value::Number(3.0));
    assert_eq!(v["b"], Value::Bool(true));
    assert_eq!(v["e"], Value::Text("a@b.fr".into()));
    assert_eq!(v["p"], Value::Text("+33612345678".into()));
}

#[test]
fn back_restores_the_previous_screen_and_variables() {
    let t = box_tree();
    let mut s = Session::start(&t, &(), senior(), 1).unwrap();
    s.answer(1, 2).unwrap();
    assert_eq!(s.step().unwrap().node, "power");
    s.back(3).unwrap();
    assert_eq!(s.step().unwrap().node, "start");
    s.answer(0, 4).unwrap();
    s.submit(&values(&[("serial", "A"), ("speed", "50")]), 5)
        .unwrap();
    assert_eq!(s.outcome(), Some(Outcome::Resolved));
    s.back(6).unwrap();
    let step = s.step().unwrap();
    assert_eq!(step.node, "serial");
    // Coming back to a form shows what was typed; the variables are as before it.
    assert!(s.variables().is_empty());
    assert_eq!(s.outcome(), None);
    s.back(7).unwrap();
    assert_eq!(s.back(8), Err(RunError::NothingToUndo));
    assert_eq!(
        s.path()
            .events
            .iter()
            .filter(|e| e.entry == PathEntry::Back)
            .count(),
        3
    );
}

#[test]
fn restart_goes_back_to_the_first_screen() {
    let t = box_tree();
    let mut s = Session::start(&t, &(), senior(), 1).unwrap();
    s.answer(0, 2).unwrap();
    s.submit(&values(&[("serial", "A"), ("speed", "2")]), 3)
        .unwrap();
    s.restart(4);
    assert_eq!(s.step().unwrap().node, "start");
    assert!(s.variables().is_empty());
    assert!(!s.step().unwrap().can_go_back);
    assert_eq!(s.path().events.last().unwrap().entry, PathEntry::Restarted);
}

#[test]
fn instructions_continue_and_escalation_hands_over_the_collected_data() {
    let t = box_tree();
    let mut s = Session::start(&t, &(), senior(), 10).unwrap();
    assert_eq!(s.proceed(11), Err(RunError::WrongStep("question")));
    s.answer(1, 11).unwrap();
    assert_eq!(s.answer(0, 12), Err(RunError::WrongStep("instruction")));
    s.proceed(12).unwrap();
    assert_eq!(s.answer(5, 13), Err(RunError::NoSuchAnswer(5)));
    s.answer(1, 13).unwrap();
    assert_eq!(s.outcome(), Some(Outcome::Escalated));
    let h = s.handoff().unwrap();
    assert_eq!(h.target, EscalationTarget::Tier(Tier::N2));
    assert_eq!(h.reason, "Box down for a standard customer");
    assert_eq!(h.visited, vec!["start", "power", "check", "esc"]);
    assert_eq!(h.answers.len(), 2);
    assert_eq!(h.answers[1].question, "Are the lights on now?");
    assert_eq!(h.answers[1].answer, "No");
    let times: Vec<i64> = s.path().events.iter().map(|e| e.at).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
    assert_eq!(s.path().outcome(), Some(Outcome::Escalated));
}

fn wifi() -> Tree {
    Tree {
        title: "Wi-Fi".into(),
        root: "w1".into(),
        nodes: vec![
            form(
                "w1",
                vec![field(
                    "channel_no",
                    true,
                    FieldKind::Number {
                        min: Some(1.0),
                        max: Some(13.0),
                        integer: true,
                    },
                )],
                "w2",
            ),
            end("w2", Outcome::Resolved),
        ],
    }
}

#[test]
fn jumps_enter_a_subtree_and_return() {
    let main = tree(
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
            solution("s", "Channel {{channel_no}} set."),
        ],
    );
    let subs: BTreeMap<String, Tree> = [("wifi".to_string(), wifi())].into();
    let mut s = Session::start(&main, &subs, CustomerAttrs::default(), 0).unwrap();
    let step = s.step().unwrap();
    assert_eq!(
        (step.tree_ref.as_deref(), step.node.as_str()),
        (Some("wifi"), "w1")
    );
    s.submit(&values(&[("channel_no", "6")]), 1).unwrap();
    let step = s.step().unwrap();
    assert_eq!(
        (step.tree_ref, step.text.as_str()),
        (None, "Channel 6 set.")
    );
    assert_eq!(s.outcome(), Some(Outcome::Resolved));
    assert!(s
        .path()
        .events
        .iter()
        .any(|e| e.entry == PathEntry::Returned && e.node == "s"));
    // Back goes into the sub-tree again.
    s.back(2).unwrap();
    assert_eq!(s.step().unwrap().tree_ref.as_deref(), Some("wifi"));
}

#[test]
fn a_jump_without_return_ends_with_the_subtree_outcome() {
    let main = tree(
        "j",
        vec![node(
            "j",
            "",
            NodeKind::Jump {
                tree_ref: "wifi".into(),
                return_to: None,
            },
        )],
    );
    let subs: BTreeMap<String, Tree> = [("wifi".to_string(), wifi())].into();
    let mut s = Session::start(&main, &subs, CustomerAttrs::default(), 0).unwrap();
    s.submit(&values(&[("channel_no", "1")]), 1).unwrap();
    assert_eq!(s.outcome(), Some(Outcome::Resolved));
    assert_eq!(
        Session::start(&main, &(), CustomerAttrs::default(), 0).unwrap_err(),
        RunError::UnknownSubtree("wifi".into())
    );
}

#[test]
fn unvalidated_trees_fail_cleanly() {
    let looping = tree("d", vec![decision("d", vec![], Some("d"))]);
    assert_eq!(
        Session::start(&looping, &(), CustomerAttrs::default(), 0).unwrap_err(),
        RunError::Loops
    );
    let no_default = tree("d", vec![decision("d", vec![], None)]);
    assert_eq!(
        Session::start(&no_default, &(), CustomerAttrs::default(), 0).unwrap_err(),
        RunError::NoBranch("d".into())
    );
    let dangling = tree("q", vec![question("q", "?", &[("a", "x")])]);
    let mut s = Session::start(&dangling, &(), CustomerAttrs::default(), 0).unwrap();
    let before = s.path().clone();
    assert_eq!(s.answer(0, 1), Err(RunError::UnknownNode("x".into())));
    assert_eq!(s.path(), &before);
    assert_eq!(s.step().unwrap().node, "q");
}

#[test]
fn stop_ends_early_and_replay_rebuilds_the_session() {
    let t = box_tree();
    let mut s = Session::start(&t, &(), senior(), 1).unwrap();
    s.answer(0, 2).unwrap();
    s.submit(&values(&[("serial", "A"), ("speed", "60")]), 3)
        .unwrap();
    s.back(4).unwrap();
    s.submit(&values(&[("serial", "B"), ("speed", "2.25")]), 5)
        .unwrap();
    s.back(6).unwrap();
    s.stop(Outcome::Unresolved, 7).unwrap();
    assert_eq!(s.outcome(), Some(Outcome::Unresolved));
    let json = serde_json::to_string(s.path()).unwrap();
    let path: Path = serde_json::from_str(&json).unwrap();
    let again = Session::replay(&t, &(), senior(), &path).unwrap();
    assert_eq!(again.path(), s.path());
    assert_eq!(again.step().unwrap(), s.step().unwrap());
}
