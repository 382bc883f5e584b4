//! Version diffs.

use super::*;

#[test]
fn identical_versions_have_no_differences() {
    assert!(diff(&box_tree(), &box_tree()).is_empty());
}

#[test]
fn added_removed_changed_and_retargeted_in_a_stable_order() {
    let old = box_tree();
    let mut new = box_tree();
    new.title = "Box diagnosis v2".into();
    // Text and an answer label change; an answer is re-targeted.
    new.nodes[0].content.text = "Are the box lights on?".into();
    new.nodes[0].kind = NodeKind::Question {
        answers: vec![
            Answer {
                label: "Yes, on".into(),
                target: "serial".into(),
            },
            Answer {
                label: "No".into(),
                target: "reset".into(),
            },
        ],
    };
    // "power" goes, "reset" comes.
    new.nodes.remove(4);
    new.nodes
        .push(instruction("reset", "Hold reset for 10 seconds.", "check"));
    // A rule's threshold changes and the default moves.
    if let NodeKind::Decision { rules, default } = &mut new.nodes[2].kind {
        rules[0].when[0].value = Some(Literal::Number(8.0));
        *default = Some("esc".into());
    }
    let d = diff(&old, &new);
    assert_eq!(
        d.tree,
        vec![FieldChange {
            field: "title".into(),
            old: Some("Box diagnosis".into()),
            new: Some("Box diagnosis v2".into())
        }]
    );
    assert_eq!(d.added, vec!["reset"]);
    assert_eq!(d.removed, vec!["power"]);
    let start = &d.changed[0];
    assert_eq!(start.node, "start");
    assert_eq!(
        start.fields,
        vec![
            // Fields come in the order of their paths.
            FieldChange {
                field: "answers[0].label".into(),
                old: Some("Yes".into()),
                new: Some("Yes, on".into())
            },
            FieldChange {
                field: "content.text".into(),
                old: Some("Are the lights of the box on, {{customer.language}}?".into()),
                new: Some("Are the box lights on?".into())
            },
        ]
    );
    assert_eq!(d.changed[1].node, "route");
    assert_eq!(d.changed[1].fields[0].field, "rules[0].when[0].value");
    assert_eq!(d.changed[1].fields[0].new.as_deref(), Some("8.0"));
    assert_eq!(
        d.retargeted,
        vec![
            EdgeChange {
                node: "start".into(),
                edge: "answers[1]".into(),
                old: Some("power".into()),
                new: Some("reset".into())
            },
            EdgeChange {
                node: "route".into(),
                edge: "default".into(),
                old: Some("fine".into()),
                new: Some("esc".into())
            },
        ]
    );
    // Deterministic: the same inputs give the same diff, and JSON is stable.
    assert_eq!(
        serde_json::to_string(&d).unwrap(),
        serde_json::to_string(&diff(&old, &new)).unwrap()
    );
}

#[test]
fn removed_answers_and_kind_changes_show_as_fields_and_edges() {
    let old = box_tree();
    let mut new = box_tree();
    new.nodes[5] = question("check", "Are the lights on now?", &[("Yes", "fine")]);
    new.nodes[4] = end("power", Outcome::Unresolved);
    let d = diff(&old, &new);
    let check = d.changed.iter().find(|c| c.node == "check").unwrap();
    assert_eq!(
        check.fields,
        vec![FieldChange {
            field: "answers[1].label".into(),
            old: Some("No".into()),
            new: None
        }]
    );
    let power = d.changed.iter().find(|c| c.node == "power").unwrap();
    assert!(power.fields.iter().any(|f| f.field == "kind"
        && f.old.as_deref() == Some("instruction")
        && f.new.as_deref() == Some("end")));
    assert!(d.retargeted.contains(&EdgeChange {
        node: "check".into(),
        edge: "answers[1]".into(),
        old: Some("esc".into()),
        new: None
    }));
    assert!(d.retargeted.contains(&EdgeChange {
        node: "power".into(),
        edge: "next".into(),
        old: Some("check".into()),
        new: None
    }));
}
