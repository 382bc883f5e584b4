//! Analytics: trails from real paths, the text format, and reports checked
//! against figures worked out by hand, then properties over random input.

use proptest::prelude::*;
use uuid::Uuid;

use super::*;
use crate::tree::analytics::{
    analyse, Analytics, Returns, SessionFacts, Trail, TrailError, Visit, DEFAULT_RETURN_WINDOW_DAYS,
};

const T0: i64 = 1_700_000_000_000_000;
const HOUR: i64 = 3_600_000_000;
const DAY: i64 = 24 * HOUR;

// box_tree() node indices.
const START: u32 = 0;
const SERIAL: u32 = 1;
const ROUTE: u32 = 2;
const SLOW: u32 = 3;
const POWER: u32 = 4;
const CHECK: u32 = 5;
const ESC: u32 = 6;

fn trail(end_ms: i64, outcome: Option<Outcome>, visits: &[(u32, u32)]) -> Trail {
    Trail {
        start_us: T0,
        end_us: T0 + end_ms * 1_000,
        outcome,
        visits: visits
            .iter()
            .map(|&(node, at_ms)| Visit { node, at_ms })
            .collect(),
    }
}

fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

fn facts(conversation: u128, customer: u128, reason: Option<&str>, trail: Trail) -> SessionFacts {
    SessionFacts {
        conversation_id: id(conversation),
        customer_id: id(customer),
        reason: reason.map(Into::into),
        trail,
    }
}

/// Four sessions on box_tree(), worked out by hand in the tests below.
fn four_sessions() -> Vec<SessionFacts> {
    use Outcome::*;
    vec![
        // start 4 s, serial 6 s, route 0, slow 0 (the session ends there).
        facts(
            1,
            1,
            None,
            trail(
                10_000,
                Some(Resolved),
                &[(START, 0), (SERIAL, 4_000), (ROUTE, 10_000), (SLOW, 10_000)],
            ),
        ),
        // start 2 s, power 3 s, check 4 s, esc 0.
        facts(
            2,
            2,
            None,
            trail(
                9_000,
                Some(Escalated),
                &[(START, 0), (POWER, 2_000), (CHECK, 5_000), (ESC, 9_000)],
            ),
        ),
        // start 1 s, then the advisor leaves on power: no time for power.
        facts(
            3,
            3,
            None,
            trail(60_000, None, &[(START, 0), (POWER, 1_000)]),
        ),
        // start 8 s, serial 12 s, route 0, slow 1 s.
        facts(
            4,
            4,
            None,
            trail(
                21_000,
                Some(Resolved),
                &[(START, 0), (SERIAL, 8_000), (ROUTE, 20_000), (SLOW, 20_000)],
            ),
        ),
    ]
}

fn report(sessions: &[SessionFacts]) -> Analytics {
    analyse(
        &box_tree(),
        sessions,
        &Returns::default(),
        DEFAULT_RETURN_WINDOW_DAYS,
    )
}

#[test]
fn a_trail_keeps_the_own_tree_visits_of_a_real_session() {
    let t = box_tree();
    let mut s = Session::start(&t, &(), CustomerAttrs::default(), T0).unwrap();
    s.answer(0, T0 + 4_000_000).unwrap();
    let values = [("serial", "SN-1"), ("speed", "3.5")]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    s.submit(&values, T0 + 31_000_500).unwrap();
    let tr = Trail::from_path(&t, s.path());
    assert_eq!(
        tr,
        Trail {
            start_us: T0,
            end_us: T0 + 31_000_500,
            outcome: Some(Outcome::Resolved),
            visits: vec![
                Visit {
                    node: START,
                    at_ms: 0
                },
                Visit {
                    node: SERIAL,
                    at_ms: 4_000
                },
                Visit {
                    node: ROUTE,
                    at_ms: 31_000
                },
                Visit {
                    node: SLOW,
                    at_ms: 31_000
                },
            ],
        }
    );
    assert_eq!(
        tr.encode(),
        "1|s=1700000000000000|e=31000500|o=r|n=0.0,1.4000,2.31000,3.31000"
    );
    assert_eq!(Trail::decode(&tr.encode()).unwrap(), tr);
}

#[test]
fn a_trail_skips_sub_tree_events_and_unknown_nodes_and_keeps_a_stop() {
    let ev = |at: i64, tree_ref: Option<&str>, node: &str, entry: PathEntry| PathEvent {
        at,
        tree_ref: tree_ref.map(Into::into),
        node: node.into(),
        entry,
    };
    let path = Path {
        events: vec![
            ev(T0, None, "start", PathEntry::Visited),
            ev(
                T0 + 1_000,
                None,
                "start",
                PathEntry::Answered {
                    index: 1,
                    label: "No".into(),
                },
            ),
            ev(T0 + 1_000, None, "power", PathEntry::Visited),
            ev(T0 + 2_000, Some("other"), "power", PathEntry::Visited),
            ev(T0 + 3_000, None, "gone", PathEntry::Visited),
            ev(T0 + 4_000, None, "check", PathEntry::Visited),
            ev(
                T0 + 9_000,
                None,
                "check",
                PathEntry::Stopped {
                    outcome: Outcome::Unresolved,
                },
            ),
        ],
    };
    let tr = Trail::from_path(&box_tree(), &path);
    assert_eq!(tr.outcome, Some(Outcome::Unresolved));
    assert_eq!((tr.start_us, tr.end_us), (T0, T0 + 9_000));
    assert_eq!(
        tr.visits,
        vec![
            Visit {
                node: START,
                at_ms: 0
            },
            Visit {
                node: POWER,
                at_ms: 1
            },
            Visit {
                node: CHECK,
                at_ms: 4
            },
        ]
    );
    let empty = Trail::from_path(&box_tree(), &Path::default());
    assert_eq!(empty, Trail::default());
    assert_eq!(empty.encode(), "1|s=0|e=0|o=-|n=");
    assert_eq!(Trail::decode("1|s=0|e=0|o=-|n=").unwrap(), empty);
}

#[test]
fn decode_refuses_garbage_with_a_reason() {
    let syntax = |s: &str| match Trail::decode(s) {
        Err(TrailError::Syntax { offset, .. }) => offset,
        other => panic!("{s:?}: {other:?}"),
    };
    assert_eq!(syntax(""), 0);
    assert_eq!(syntax("x|s=0|e=0|o=-|n="), 0);
    assert_eq!(syntax("1"), 1);
    assert_eq!(syntax("1|s=|e=0|o=-|n="), 4);
    assert_eq!(syntax("1|s=0|e=-1|o=-|n="), 8);
    assert_eq!(syntax("1|s=0|e=0|o=x|n="), 12);
    assert_eq!(syntax("1|s=0|e=0|o=r|n=1"), 17);
    assert_eq!(syntax("1|s=0|e=0|o=r|n=1.2,"), 20);
    assert_eq!(syntax("1|s=0|e=0|o=r|n=1.2;3.4"), 19);
    assert_eq!(syntax("1|s=0|e=0|o=r|n=1.2 "), 19);
    assert_eq!(syntax("1|s=0|e=0|o=r|x=1.2"), 13);
    assert!(matches!(
        Trail::decode("2|s=0|e=0|o=-|n="),
        Err(TrailError::Version(v)) if v == "2"
    ));
    let out_of_range = [
        "1|s=9223372036854775808|e=0|o=-|n=",
        "1|s=0|e=99999999999999999999|o=-|n=",
        "1|s=9223372036854775807|e=1|o=-|n=",
        "1|s=0|e=0|o=-|n=4294967296.0",
        "1|s=0|e=0|o=-|n=0.4294967296",
    ];
    for s in out_of_range {
        assert!(
            matches!(Trail::decode(s), Err(TrailError::OutOfRange { .. })),
            "{s}"
        );
    }
    let min = Trail::decode("1|s=-9223372036854775808|e=0|o=e|n=").unwrap();
    assert_eq!(min.start_us, i64::MIN);
    let err = Trail::decode("1|s=0|e=0|o=q|n=").unwrap_err();
    assert_eq!(
        err.to_string(),
        "trail is malformed at byte 12: expected an outcome: r, e, u or -"
    );
}

#[test]
fn completion_outcomes_exits_and_drop_off_match_the_hand_count() {
    let a = report(&four_sessions());
    assert_eq!(
        (a.sessions, a.finished, a.abandoned),
        (4, 3, 1),
        "sessions, finished, abandoned"
    );
    assert_eq!((a.resolved, a.escalated, a.unresolved), (2, 1, 0));
    assert_eq!(a.completion_rate, 0.75);
    assert_eq!(a.resolution_rate, 0.5);
    assert_eq!((a.without_visits, a.unknown_visits), (0, 0));
    let row = |id: &str| a.nodes.iter().find(|n| n.id == id).unwrap();
    let ids: Vec<&str> = a.nodes.iter().map(|n| n.id.as_str()).collect();
    assert_eq!(
        ids,
        ["start", "serial", "route", "slow", "power", "check", "esc", "fine"]
    );
    assert_eq!(row("start").title, "Lights");
    let counts = |id: &str| {
        let n = row(id);
        (
            n.visits,
            n.reached,
            n.exits,
            n.finished_here,
            n.dropped_here,
        )
    };
    assert_eq!(counts("start"), (4, 4, 0, 0, 0));
    assert_eq!(counts("slow"), (2, 2, 2, 2, 0));
    assert_eq!(counts("power"), (2, 2, 1, 0, 1));
    assert_eq!(counts("esc"), (1, 1, 1, 1, 0));
    assert_eq!(counts("fine"), (0, 0, 0, 0, 0));
    assert_eq!(row("power").drop_off_rate, 0.5);
    assert_eq!(row("start").drop_off_rate, 0.0);
    assert_eq!(row("fine").drop_off_rate, 0.0);
}

#[test]
fn medians_of_time_on_each_node() {
    let a = report(&four_sessions());
    let median = |id: &str| a.nodes.iter().find(|n| n.id == id).unwrap().median_ms;
    // 1, 2, 4, 8 s: the mean of the two middle values.
    assert_close(median("start"), 3_000.0);
    assert_close(median("serial"), 9_000.0);
    assert_eq!(median("route"), Some(0.0));
    // The last screens of ended sessions count until the end: 0 and 1 s.
    assert_close(median("slow"), 500.0);
    // The abandoned session's power screen has no end, so only 3 s counts.
    assert_close(median("power"), 3_000.0);
    assert_close(median("check"), 4_000.0);
    assert_eq!(median("esc"), Some(0.0));
    assert_eq!(median("fine"), None);
}

/// Medians come from log buckets: exact below 256 ms, within 1/256 above.
fn assert_close(actual: Option<f64>, expected: f64) {
    let a = actual.expect("a median");
    assert!(
        (a - expected).abs() <= expected / 256.0 + 1e-9,
        "median {a} is not within 1/256 of {expected}"
    );
}

#[test]
fn a_node_reached_twice_counts_two_visits_but_one_session() {
    let undo = facts(
        9,
        9,
        None,
        trail(
            10_000,
            Some(Outcome::Unresolved),
            &[(START, 0), (POWER, 1_000), (START, 3_000), (POWER, 7_000)],
        ),
    );
    let a = report(&[undo]);
    let start = &a.nodes[START as usize];
    assert_eq!((start.visits, start.reached), (2, 1));
    assert_close(start.median_ms, 2_500.0);
    let power = &a.nodes[POWER as usize];
    assert_eq!(
        (power.visits, power.reached, power.finished_here),
        (2, 1, 1)
    );
    assert_close(power.median_ms, 2_500.0);
}

#[test]
fn top_paths_by_count_then_ids() {
    let a = report(&four_sessions());
    let top: Vec<(Vec<&str>, u64, f64)> = a
        .top_paths
        .iter()
        .map(|p| {
            (
                p.nodes.iter().map(String::as_str).collect(),
                p.count,
                p.share,
            )
        })
        .collect();
    assert_eq!(
        top,
        vec![
            (vec!["start", "serial", "route", "slow"], 2, 0.5),
            (vec!["start", "power"], 1, 0.25),
            (vec!["start", "power", "check", "esc"], 1, 0.25),
        ]
    );
    assert_eq!(a.distinct_paths, 3);
}

#[test]
fn top_paths_break_ties_on_ids_not_positions_and_keep_ten() {
    // Ids in reverse alphabetical order of their positions.
    let nodes: Vec<Node> = (0..15)
        .map(|i| end(&format!("n{:02}", 14 - i), Outcome::Resolved))
        .collect();
    let t = tree("n14", nodes);
    // Path [i] occurs 1 + i / 5 times: three groups of five tied paths.
    let sessions: Vec<SessionFacts> = (0..15u32)
        .flat_map(|i| (0..=i / 5).map(move |_| i))
        .map(|i| facts(1, 1, None, trail(0, Some(Outcome::Resolved), &[(i, 0)])))
        .collect();
    let a = analyse(&t, &sessions, &Returns::default(), 7);
    let top: Vec<(&str, u64)> = a
        .top_paths
        .iter()
        .map(|p| (p.nodes[0].as_str(), p.count))
        .collect();
    assert_eq!(
        top,
        vec![
            ("n00", 3),
            ("n01", 3),
            ("n02", 3),
            ("n03", 3),
            ("n04", 3),
            ("n05", 2),
            ("n06", 2),
            ("n07", 2),
            ("n08", 2),
            ("n09", 2),
        ]
    );
    assert_eq!(a.distinct_paths, 15);
}

/// One resolved session (conversation 100, customer 1, "box down") ending at
/// T0 + 10 s, against one later conversation.
fn returns_with(row: (u128, Option<&str>, i64, u128), window_days: u32) -> u64 {
    let session = facts(
        100,
        1,
        Some("box down"),
        trail(10_000, Some(Outcome::Resolved), &[(START, 0)]),
    );
    let (customer, reason, at, conversation) = row;
    let returns = Returns::new([(id(customer), reason.map(Into::into), at, id(conversation))]);
    let a = analyse(&box_tree(), [&session], &returns, window_days);
    assert_eq!(a.returns.resolved_sessions, 1);
    assert_eq!(a.returns.window_days, window_days);
    a.returns.returns
}

#[test]
fn a_return_is_the_same_customer_on_the_same_reason_after_the_end_within_the_window() {
    let end = T0 + 10_000_000;
    let reason = Some("box down");
    assert_eq!(returns_with((1, reason, end + HOUR, 200), 7), 1);
    assert_eq!(
        returns_with((1, Some("  box down "), end + HOUR, 200), 7),
        1
    );
    // The window's last microsecond is in; one more is out.
    assert_eq!(returns_with((1, reason, end + 7 * DAY, 200), 7), 1);
    assert_eq!(returns_with((1, reason, end + 7 * DAY + 1, 200), 7), 0);
    assert_eq!(returns_with((1, reason, end + 8 * DAY, 200), 7), 0);
    assert_eq!(returns_with((1, reason, end + 8 * DAY, 200), 10), 1);
    // Strictly after the end: not at it, not before it.
    assert_eq!(returns_with((1, reason, end, 200), 7), 0);
    assert_eq!(returns_with((1, reason, T0, 200), 7), 0);
    // The session's own conversation, another reason, another customer: no.
    assert_eq!(returns_with((1, reason, end + HOUR, 100), 7), 0);
    assert_eq!(returns_with((1, Some("billing"), end + HOUR, 200), 7), 0);
    assert_eq!(returns_with((1, Some("Box down"), end + HOUR, 200), 7), 0);
    assert_eq!(returns_with((1, None, end + HOUR, 200), 7), 0);
    assert_eq!(returns_with((2, reason, end + HOUR, 200), 7), 0);
}

#[test]
fn the_own_conversation_does_not_hide_a_later_return() {
    let session = facts(
        100,
        1,
        Some("box down"),
        trail(10_000, Some(Outcome::Resolved), &[(START, 0)]),
    );
    let end = T0 + 10_000_000;
    let reason = || Some("box down".to_string());
    let returns = Returns::new([
        (id(1), reason(), end + HOUR, id(100)),
        (id(1), reason(), end + 2 * HOUR, id(200)),
    ]);
    let a = analyse(&box_tree(), [session], &returns, 7);
    assert_eq!(a.returns.returns, 1);
}

#[test]
fn the_return_rate_counts_resolved_sessions_only_and_those_without_reason() {
    use Outcome::*;
    let end = T0 + 10_000_000;
    let sessions = vec![
        facts(
            1,
            1,
            Some("box down"),
            trail(10_000, Some(Resolved), &[(START, 0)]),
        ),
        facts(2, 2, None, trail(10_000, Some(Resolved), &[(START, 0)])),
        facts(3, 3, Some(""), trail(10_000, Some(Resolved), &[(START, 0)])),
        facts(
            4,
            4,
            Some("box down"),
            trail(10_000, Some(Resolved), &[(START, 0)]),
        ),
        // Escalated, then back: not a failed resolution.
        facts(
            5,
            5,
            Some("box down"),
            trail(10_000, Some(Escalated), &[(START, 0)]),
        ),
        facts(6, 6, Some("box down"), trail(10_000, None, &[(START, 0)])),
    ];
    let later = |customer: u128, reason: Option<&str>| {
        (
            id(customer),
            reason.map(Into::into),
            end + DAY,
            id(customer + 1000),
        )
    };
    let returns = Returns::new([
        later(1, Some("box down")),
        later(2, None),
        later(3, Some("")),
        later(5, Some("box down")),
        later(6, Some("box down")),
    ]);
    let a = analyse(&box_tree(), &sessions, &returns, DEFAULT_RETURN_WINDOW_DAYS);
    assert_eq!(a.returns.resolved_sessions, 4);
    assert_eq!(a.returns.returns, 1);
    assert_eq!(a.returns.rate, 0.25);
    assert_eq!(a.returns.window_days, 7);
}

#[test]
fn no_sessions_and_an_empty_tree_give_zeros_not_nan() {
    let a = report(&[]);
    assert_eq!((a.sessions, a.finished, a.abandoned), (0, 0, 0));
    assert_eq!(
        (a.completion_rate, a.resolution_rate, a.returns.rate),
        (0.0, 0.0, 0.0)
    );
    assert!(a
        .nodes
        .iter()
        .all(|n| n.drop_off_rate == 0.0 && n.median_ms.is_none()));
    assert!(a.top_paths.is_empty());
    let json = serde_json::to_string(&a).unwrap();
    assert!(json.contains("\"completion_rate\":0.0,"), "{json}");

    let empty = Tree {
        title: String::new(),
        root: String::new(),
        nodes: vec![],
    };
    let sessions = [
        facts(1, 1, None, trail(5_000, None, &[(0, 0), (3, 1_000)])),
        facts(2, 2, None, trail(5_000, Some(Outcome::Resolved), &[])),
    ];
    let a = analyse(&empty, &sessions, &Returns::default(), 7);
    assert_eq!((a.sessions, a.finished, a.abandoned), (2, 1, 1));
    assert_eq!((a.without_visits, a.unknown_visits), (2, 2));
    assert!(a.nodes.is_empty() && a.top_paths.is_empty());
    assert_eq!(a.completion_rate, 0.5);
    assert!(a.to_csv().starts_with("node_id,title,"));
}

#[test]
fn csv_quotes_titles_and_ends_with_the_summary() {
    let mut t = box_tree();
    t.nodes[0].title = "Lights, \"on\"\nor off".into();
    t.nodes[1].title = "Serial".into();
    let a = analyse(&t, four_sessions(), &Returns::default(), 7);
    let csv = a.to_csv();
    let mut lines = csv.split("\r\n");
    assert_eq!(
        lines.next(),
        Some(
            "node_id,title,visits,reached,exits,finished_here,dropped_here,drop_off_rate,median_ms"
        )
    );
    // Medians are whole milliseconds in the export (3 s and 9 s, bucketed).
    let median = a.nodes[0].median_ms.unwrap().round();
    assert!(csv.contains(&format!(
        "\r\nstart,\"Lights, \"\"on\"\"\nor off\",4,4,0,0,0,0.000000,{median}\r\nserial,Serial,2,2,0,0,0,0.000000,"
    )), "{csv}");
    let power = a.nodes[POWER as usize].median_ms.unwrap().round();
    assert!(
        csv.contains(&format!("\r\npower,,2,2,1,0,1,0.500000,{power}\r\n")),
        "{csv}"
    );
    assert!(csv.contains("\r\nfine,,0,0,0,0,0,0.000000,\r\n\r\nmetric,value\r\nsessions,4\r\n"));
    assert!(csv.contains("\r\ncompletion_rate,0.750000\r\n"));
    assert!(csv.contains("\r\nunjustified_return_rate,0.000000\r\n\r\npath,count,share\r\n"));
    assert!(csv.ends_with("\r\nstart > power > check > esc,1,0.250000\r\n"));
}

// --- Properties ----------------------------------------------------------

fn outcome() -> impl Strategy<Value = Option<Outcome>> {
    prop_oneof![
        Just(None),
        Just(Some(Outcome::Resolved)),
        Just(Some(Outcome::Escalated)),
        Just(Some(Outcome::Unresolved)),
    ]
}

fn any_trail() -> impl Strategy<Value = Trail> {
    (
        -(1i64 << 62)..(1i64 << 62),
        0i64..(1i64 << 62),
        outcome(),
        proptest::collection::vec((any::<u32>(), any::<u32>()), 0..20),
    )
        .prop_map(|(start_us, duration, outcome, visits)| Trail {
            start_us,
            end_us: start_us + duration,
            outcome,
            visits: visits
                .into_iter()
                .map(|(node, at_ms)| Visit { node, at_ms })
                .collect(),
        })
}

/// Sessions on a tree of `nodes` nodes: some visits name no node, times go
/// forward mostly, customers and reasons collide often.
fn sessions(nodes: u32) -> impl Strategy<Value = Vec<SessionFacts>> {
    let one = (
        0u128..6,
        prop_oneof![Just(None), Just(Some("a")), Just(Some("b")), Just(Some(""))],
        outcome(),
        0i64..100_000,
        proptest::collection::vec((0..nodes + 2, 0u32..100_000), 0..8),
    );
    proptest::collection::vec(one, 0..40).prop_map(|rows| {
        rows.into_iter()
            .enumerate()
            .map(|(i, (customer, reason, outcome, end_ms, visits))| {
                facts(i as u128, customer, reason, trail(end_ms, outcome, &visits))
            })
            .collect()
    })
}

fn returns_rows() -> impl Strategy<Value = Vec<(Uuid, Option<String>, i64, Uuid)>> {
    proptest::collection::vec(
        (
            0u128..6,
            prop_oneof![Just(None), Just(Some("a")), Just(Some("b"))],
            -DAY..20 * DAY,
            0u128..50,
        )
            .prop_map(|(c, r, at, conv)| (id(c), r.map(Into::into), T0 + at, id(conv))),
        0..30,
    )
}

fn in_unit(r: f64) -> bool {
    (0.0..=1.0).contains(&r)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn decode_never_panics(s in any::<String>()) {
        let _ = Trail::decode(&s);
    }

    #[test]
    fn decode_never_panics_on_near_misses(s in "1\\|s=-?[0-9]{0,21}\\|e=[0-9]{0,21}\\|o=[reu\\-x]\\|n=[0-9.,]{0,40}") {
        if let Ok(t) = Trail::decode(&s) {
            prop_assert!(t.end_us >= t.start_us);
            prop_assert_eq!(Trail::decode(&t.encode()), Ok(t));
        }
    }

    #[test]
    fn encode_then_decode_is_the_identity(t in any_trail()) {
        let text = t.encode();
        prop_assert!(!text.contains(['"', '\n', '\'']));
        prop_assert_eq!(Trail::decode(&text), Ok(t));
    }

    #[test]
    fn reports_add_up(
        n in 0u32..8,
        sessions in (0u32..8).prop_flat_map(sessions),
        rows in returns_rows(),
        window in 0u32..15,
    ) {
        let t = tree("n0", (0..n).map(|i| end(&format!("n{i}"), Outcome::Resolved)).collect());
        let returns = Returns::new(rows);
        let a = analyse(&t, &sessions, &returns, window);
        prop_assert_eq!(a.sessions, sessions.len() as u64);
        prop_assert_eq!(a.finished + a.abandoned, a.sessions);
        prop_assert_eq!(a.resolved + a.escalated + a.unresolved, a.finished);
        let exits: u64 = a.nodes.iter().map(|s| s.exits).sum();
        prop_assert_eq!(exits + a.without_visits, a.sessions);
        let visits: u64 = a.nodes.iter().map(|s| s.visits).sum();
        let all: usize = sessions.iter().map(|s| s.trail.visits.len()).sum();
        prop_assert_eq!(visits + a.unknown_visits, all as u64);
        prop_assert!(in_unit(a.completion_rate) && in_unit(a.resolution_rate));
        prop_assert!(in_unit(a.returns.rate));
        prop_assert_eq!(a.returns.resolved_sessions, a.resolved);
        prop_assert!(a.returns.returns <= a.returns.resolved_sessions);
        for s in &a.nodes {
            prop_assert!(s.reached <= s.visits && s.reached <= a.sessions);
            prop_assert!(s.exits <= s.reached);
            prop_assert_eq!(s.exits, s.finished_here + s.dropped_here);
            prop_assert!(in_unit(s.drop_off_rate));
        }
        prop_assert!(a.top_paths.len() <= 10);
        prop_assert!(a.top_paths.len() as u64 <= a.distinct_paths);
        let listed: u64 = a.top_paths.iter().map(|p| p.count).sum();
        prop_assert!(listed + a.without_visits <= a.sessions);
        for w in a.top_paths.windows(2) {
            prop_assert!((w[1].count, &w[0].nodes) < (w[0].count, &w[1].nodes));
        }
        for p in &a.top_paths {
            prop_assert!(in_unit(p.share) && p.count > 0);
        }
        // The report is the same from the stored text.
        let decoded: Vec<SessionFacts> = sessions
            .iter()
            .map(|s| SessionFacts { trail: Trail::decode(&s.trail.encode()).unwrap(), ..s.clone() })
            .collect();
        prop_assert_eq!(analyse(&t, &decoded, &returns, window), a);
    }

    #[test]
    fn the_median_is_the_sorted_middle(mut ms in proptest::collection::vec(0u32..1_000_000, 1..60)) {
        let t = tree("n0", vec![end("n0", Outcome::Resolved)]);
        let sessions: Vec<SessionFacts> = ms
            .iter()
            .map(|&m| facts(1, 1, None, trail(i64::from(m), Some(Outcome::Resolved), &[(0, 0)])))
            .collect();
        let a = analyse(&t, &sessions, &Returns::default(), 7);
        ms.sort_unstable();
        let len = ms.len();
        let expected = if len % 2 == 1 {
            f64::from(ms[len / 2])
        } else {
            (f64::from(ms[len / 2 - 1]) + f64::from(ms[len / 2])) / 2.0
        };
        let got = a.nodes[0].median_ms.unwrap();
        prop_assert!((got - expected).abs() <= expected / 256.0 + 1e-9, "{} vs {}", got, expected);
    }
}

// ---- the stored counters (tally) ---------------------------------------------

mod tally {
    use super::*;
    use crate::tree::analytics::{report, return_stats};
    use crate::tree::tally::{bucket, bucket_value, Tally, EXACT_BELOW_MS};

    #[test]
    fn buckets_are_exact_below_256_ms_and_within_1_in_256_above() {
        for ms in [0, 1, 255] {
            assert_eq!(bucket(ms), ms);
            assert_eq!(bucket_value(bucket(ms)), f64::from(ms));
        }
        assert_eq!(EXACT_BELOW_MS, 256);
        assert_eq!(bucket(256), 256);
        assert_eq!(bucket(513), 512);
        assert_eq!(bucket(3_000), 2_992);
        assert_eq!(bucket(u32::MAX), 0xFF00_0000);
    }

    #[test]
    fn stored_keys_are_readable_and_bad_keys_are_refused() {
        let t = Tally::of(&trail(
            9_000,
            Some(Outcome::Resolved),
            &[(START, 0), (POWER, 2_000), (START, 3_000)],
        ));
        let keys: Vec<String> = t.entries().into_iter().map(|e| e.0).collect();
        assert!(keys.contains(&"path:0.4.0".to_string()), "{keys:?}");
        assert!(keys.contains(&"reached:0".to_string()));
        assert!(keys.windows(2).all(|w| w[0] < w[1]), "sorted: {keys:?}");
        assert_eq!(Tally::from_entries(t.entries()).unwrap(), t);
        for bad in [
            "path:",
            "visits:x",
            "visits:10000",
            "ms:1:3000",
            "ms:1",
            "nope",
            "outcome:z",
        ] {
            assert!(Tally::from_entries([(bad, 1)]).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_corrupt_trail_counts_as_a_session_without_a_path() {
        let t = Tally::of(&trail(1_000, None, &[(0, 0), (u32::MAX, 10)]));
        assert_eq!((t.sessions, t.no_visits, t.foreign_visits), (1, 1, 2));
        assert_eq!(t.paths().count(), 0);
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

        /// What the server stores (counters added up step by step, written as
        /// keys and read back) reports exactly what a scan of the final
        /// trails reports.
        #[test]
        fn counters_kept_step_by_step_report_what_a_scan_reports(
            finals in sessions(8),
            cut in proptest::collection::vec(0usize..8, 40),
            rows in returns_rows(),
        ) {
            let t = box_tree();
            let returns = Returns::new(rows);
            // Each session is first recorded with a prefix of its visits and
            // no outcome (a walk in progress), then changed to its final trail.
            let mut stored: Vec<(String, i64)> = Vec::new();
            for (k, s) in finals.iter().enumerate() {
                let mut partial = s.trail.clone();
                partial.visits.truncate(cut[k % cut.len()]);
                partial.outcome = None;
                stored.extend(Tally::change(None, &partial).entries());
                stored.extend(Tally::change(Some(&partial), &s.trail).entries());
            }
            let tally = Tally::from_entries(stored).unwrap();
            let kept = report(&t, &tally, return_stats(&finals, &returns, 7));
            prop_assert_eq!(kept, analyse(&t, &finals, &returns, 7));
        }

        #[test]
        fn adding_then_taking_away_leaves_nothing(a in sessions(8)) {
            let mut t = Tally::default();
            for s in &a {
                t.add(&s.trail, 1);
            }
            for s in a.iter().rev() {
                t.add(&s.trail, -1);
            }
            prop_assert!(t.entries().is_empty(), "{:?}", t.entries());
        }

        #[test]
        fn buckets_hold_their_values(ms in any::<u32>()) {
            let b = bucket(ms);
            prop_assert!(b <= ms);
            prop_assert_eq!(bucket(b), b);
            let v = f64::from(ms);
            prop_assert!((bucket_value(b) - v).abs() <= v / 256.0);
        }
    }
}
