//! Unit tests of the router, one rule each.

use std::collections::BTreeMap;

use uuid::Uuid;

use super::*;
use crate::model::{Channel, ContractTier, Language, Priority, Tier};
use crate::routing::config::tests::{schema, step, wf};
use crate::routing::config::{OrderKey, PriorityChange, RoutingConfig, SkipIf};
use crate::routing::{AdvisorSpec, ContactSpec, Presence};
use crate::sla::OutcomeKind;

const S: i64 = 1_000_000;

pub(crate) fn t(secs: i64) -> Timestamp {
    Timestamp(1_800_000_000 * S + secs * S)
}

pub(crate) fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

pub(crate) fn advisor(n: u128, skills: &[(&str, u8)], tier: Tier, site: &str) -> AdvisorSpec {
    AdvisorSpec {
        id: id(n),
        skills: skills.iter().map(|(k, l)| (k.to_string(), *l)).collect(),
        languages: vec![Language::Fr],
        tier,
        site: Some(site.into()),
        team: None,
        capacity: vec![(Channel::Phone, 1), (Channel::Chat, 3)],
    }
}

pub(crate) fn contact(n: u128, reason: &str, channel: Channel, priority: Priority) -> ContactSpec {
    ContactSpec {
        id: id(n),
        tenant: "orange".into(),
        channel,
        reason: Some(reason.into()),
        language: Language::Fr,
        priority,
        contract_tier: ContractTier::Standard,
        segment: None,
    }
}

fn available(n: u128) -> Event {
    Event::SetPresence {
        advisor: id(n),
        presence: Presence::Available,
        reason: String::new(),
    }
}

/// Fibre after-sales: N1 relaxing from level 3 to any level; an N2 queue and an expert cell.
fn config() -> RoutingConfig {
    let mut s0 = step("skills.fibre >= 3", Some(30));
    s0.order = vec![OrderKey::Proficiency("fibre".into()), OrderKey::LongestIdle];
    let mut s1 = step("skills.fibre >= 1", None);
    s1.priority = Some(PriorityChange::Raise);
    RoutingConfig {
        schema: schema(),
        workflows: vec![
            wf(
                "expert_cell",
                "reason == 'retention'",
                Tier::Expert,
                None,
                vec![step("tier == 'expert'", None)],
            ),
            wf(
                "fibre",
                "reason in ['after_sales', 'retention']",
                Tier::N1,
                Some("fibre_n2"),
                vec![s0, s1],
            ),
            wf(
                "fibre_n2",
                "",
                Tier::N2,
                Some("expert_cell"),
                vec![step("tier in ['n2', 'expert']", None)],
            ),
            wf(
                "mobile",
                "reason == 'sales'",
                Tier::N1,
                None,
                vec![step("skills.fibre >= 1", None)],
            ),
        ],
        wrap_up_secs: vec![(Channel::Phone, 30)],
        ..RoutingConfig::default()
    }
}

fn router(cfg: &RoutingConfig) -> Router {
    Router::new(Routing::compile(cfg).unwrap())
}

fn offers(ds: &[Decision]) -> Vec<(Uuid, Uuid)> {
    ds.iter()
        .filter_map(|d| match d {
            Decision::Offer {
                contact, advisor, ..
            } => Some((*contact, *advisor)),
            _ => None,
        })
        .collect()
}

fn login(r: &mut Router, at: Timestamp, specs: Vec<AdvisorSpec>) {
    let ids: Vec<u128> = specs.iter().map(|s| s.id.as_u128()).collect();
    let mut ev: Vec<Event> = specs.into_iter().map(Event::AdvisorUpdated).collect();
    ev.extend(ids.into_iter().map(available));
    r.step(at, ev);
}

#[test]
fn offer_accept_end_and_wrap_up() {
    let mut r = router(&config());
    login(
        &mut r,
        t(0),
        vec![advisor(1, &[("fibre", 3)], Tier::N1, "paris")],
    );
    let d = r.step(
        t(1),
        [Event::ContactArrived(contact(
            10,
            "after_sales",
            Channel::Phone,
            Priority::Normal,
        ))],
    );
    assert_eq!(offers(&d), vec![(id(10), id(1))]);
    assert!(d.contains(&Decision::Offer {
        contact: id(10),
        advisor: id(1),
        expires_at: t(21)
    }));
    assert_eq!(r.presence(id(1)).unwrap().0, Presence::Busy);
    let d = r.step(
        t(4),
        [Event::OfferAccepted {
            contact: id(10),
            advisor: id(1),
        }],
    );
    assert_eq!(
        d,
        vec![
            Decision::Assigned {
                contact: id(10),
                advisor: id(1),
                waited_micros: 3 * S
            },
            Decision::Outcome(Outcome {
                contact: id(10),
                queue: QueueName::from("fibre"),
                at: t(4),
                waited_micros: 3 * S,
                kind: OutcomeKind::AnsweredWithin
            })
        ]
    );
    // A second call waits: one call at a time.
    let d = r.step(
        t(5),
        [Event::ContactArrived(contact(
            11,
            "after_sales",
            Channel::Phone,
            Priority::Normal,
        ))],
    );
    assert!(offers(&d).is_empty());
    // After the call, 30 s of wrap-up hold the phone slot.
    let d = r.step(t(100), [Event::ContactEnded { contact: id(10) }]);
    assert!(offers(&d).is_empty());
    assert_eq!(r.presence(id(1)).unwrap().0, Presence::WrapUp);
    let d = r.step(t(130), []);
    assert_eq!(offers(&d), vec![(id(11), id(1))]);
    assert!(d.iter().any(|x| matches!(x, Decision::PresenceChanged { presence: Presence::Busy, previous: Presence::WrapUp, previous_micros, .. } if *previous_micros == 30 * S)), "{d:?}");
    r.check_invariants().unwrap();
}

#[test]
fn wrap_up_can_end_early() {
    let mut r = router(&config());
    login(
        &mut r,
        t(0),
        vec![advisor(1, &[("fibre", 3)], Tier::N1, "paris")],
    );
    r.step(
        t(1),
        [Event::ContactArrived(contact(
            10,
            "after_sales",
            Channel::Phone,
            Priority::Normal,
        ))],
    );
    r.step(
        t(2),
        [
            Event::OfferAccepted {
                contact: id(10),
                advisor: id(1),
            },
            Event::ContactEnded { contact: id(10) },
        ],
    );
    r.step(
        t(3),
        [Event::ContactArrived(contact(
            11,
            "after_sales",
            Channel::Phone,
            Priority::Normal,
        ))],
    );
    let d = r.step(t(4), [Event::WrapUpDone { advisor: id(1) }]);
    assert_eq!(offers(&d), vec![(id(11), id(1))]);
}

#[test]
fn best_proficiency_then_longest_idle_then_id() {
    let mut r = router(&config());
    login(
        &mut r,
        t(0),
        vec![
            advisor(3, &[("fibre", 5)], Tier::N1, "paris"),
            advisor(2, &[("fibre", 5)], Tier::N1, "paris"),
        ],
    );
    login(
        &mut r,
        t(5),
        vec![
            advisor(1, &[("fibre", 5)], Tier::N1, "paris"),
            advisor(4, &[("fibre", 3)], Tier::N1, "paris"),
        ],
    );
    let arrive =
        |n| Event::ContactArrived(contact(n, "after_sales", Channel::Phone, Priority::Normal));
    // 2 and 3 became idle at 0, 1 at 5: level 5 first, then idle since 0, then the smaller id.
    assert_eq!(offers(&r.step(t(10), [arrive(10)])), vec![(id(10), id(2))]);
    assert_eq!(offers(&r.step(t(11), [arrive(11)])), vec![(id(11), id(3))]);
    assert_eq!(offers(&r.step(t(12), [arrive(12)])), vec![(id(12), id(1))]);
    assert_eq!(offers(&r.step(t(13), [arrive(13)])), vec![(id(13), id(4))]);
}

#[test]
fn waiting_contacts_go_by_priority_then_age_then_id() {
    let mut r = router(&config());
    let arrive = |n, p| Event::ContactArrived(contact(n, "sales", Channel::Phone, p));
    r.step(t(0), [arrive(30, Priority::Normal)]);
    r.step(t(1), [arrive(20, Priority::High)]);
    r.step(
        t(2),
        [arrive(12, Priority::Normal), arrive(11, Priority::Normal)],
    );
    let d = r.step(
        t(3),
        [
            Event::AdvisorUpdated(advisor(1, &[("fibre", 1)], Tier::N1, "paris")),
            available(1),
        ],
    );
    let mut offered = offers(&d).first().map(|o| o.0);
    let mut order = Vec::new();
    let mut now = 3;
    while let Some(c) = offered {
        order.push(c);
        now += 1;
        let d = r.step(
            t(now),
            [
                Event::OfferAccepted {
                    contact: c,
                    advisor: id(1),
                },
                Event::ContactEnded { contact: c },
                Event::WrapUpDone { advisor: id(1) },
            ],
        );
        offered = offers(&d).first().map(|o| o.0);
    }
    assert_eq!(order, vec![id(20), id(30), id(11), id(12)]);
}

#[test]
fn relaxing_the_target_keeps_the_place_and_raises_priority() {
    let mut r = router(&config());
    login(
        &mut r,
        t(0),
        vec![advisor(1, &[("fibre", 2)], Tier::N1, "paris")],
    );
    r.step(
        t(0),
        [Event::ContactArrived(contact(
            99,
            "sales",
            Channel::Phone,
            Priority::Normal,
        ))],
    );
    r.step(
        t(1),
        [Event::OfferAccepted {
            contact: id(99),
            advisor: id(1),
        }],
    );
    // A (fibre queue, needs level 3 first) arrives before B (sales, any level).
    let d = r.step(
        t(10),
        [Event::ContactArrived(contact(
            50,
            "after_sales",
            Channel::Phone,
            Priority::Normal,
        ))],
    );
    assert!(d
        .iter()
        .any(|x| matches!(x, Decision::StepEntered { step: 0, .. })));
    r.step(
        t(15),
        [Event::ContactArrived(contact(
            40,
            "sales",
            Channel::Phone,
            Priority::High,
        ))],
    );
    // At 40 s A relaxes to level 1 and is raised to high: same pool as B, and older.
    let d = r.step(t(40), []);
    assert!(
        d.contains(&Decision::StepEntered {
            contact: id(50),
            workflow: r.names[1].clone(),
            step: 1,
            priority: Priority::High,
            skipped: vec![]
        }),
        "{d:?}"
    );
    let d = r.step(
        t(41),
        [
            Event::ContactEnded { contact: id(99) },
            Event::WrapUpDone { advisor: id(1) },
        ],
    );
    assert_eq!(offers(&d), vec![(id(50), id(1))]);
}

#[test]
fn skip_if_site_closed_and_nobody_staffed() {
    let mut cfg = config();
    let mut paris = step("site == 'paris'", Some(60));
    paris.skip_if = vec![SkipIf::SiteClosed("paris".into())];
    let mut rabat = step("site == 'rabat'", Some(60));
    rabat.skip_if = vec![SkipIf::NobodyStaffed];
    cfg.workflows[3].steps = vec![paris, rabat, step("site == 'sydney'", None)];
    let mut r = router(&cfg);
    let arrive = |n| Event::ContactArrived(contact(n, "sales", Channel::Phone, Priority::Normal));
    // Paris open, nobody there yet: the contact waits in the Paris step.
    let d = r.step(t(0), [arrive(1)]);
    assert!(d.iter().any(
        |x| matches!(x, Decision::StepEntered { step: 0, skipped, .. } if skipped.is_empty())
    ));
    // Paris closes: the waiting contact moves on; Rabat has nobody logged in, so straight to Sydney.
    let d = r.step(
        t(5),
        [Event::SiteHours {
            site: "paris".into(),
            open: false,
        }],
    );
    assert!(d.iter().any(|x| matches!(x, Decision::StepEntered { contact, step: 2, skipped, .. } if *contact == id(1) && skipped == &vec![1])), "{d:?}");
    // Once someone is logged in at Rabat (even on break), the Rabat step is used.
    login(
        &mut r,
        t(6),
        vec![advisor(7, &[("fibre", 1)], Tier::N1, "rabat")],
    );
    r.step(
        t(6),
        [Event::SetPresence {
            advisor: id(7),
            presence: Presence::Break,
            reason: "lunch".into(),
        }],
    );
    let d = r.step(t(7), [arrive(2)]);
    assert!(d.iter().any(|x| matches!(x, Decision::StepEntered { contact, step: 1, skipped, .. } if *contact == id(2) && skipped == &vec![0])), "{d:?}");
    assert!(r
        .step(
            t(8),
            [Event::SiteHours {
                site: "lyon".into(),
                open: true
            }]
        )
        .iter()
        .any(|d| matches!(d, Decision::Refused { .. })));
    // A named fact works the same way.
    let mut cfg = config();
    cfg.workflows[3].steps = vec![
        StepSpec {
            skip_if: vec![SkipIf::Fact("storm".into())],
            ..step("skills.fibre >= 3", Some(60))
        },
        step("skills.fibre >= 1", None),
    ];
    let mut r = router(&cfg);
    r.step(
        t(0),
        [Event::Fact {
            name: "storm".into(),
            value: true,
        }],
    );
    let d = r.step(t(1), [arrive(3)]);
    assert!(d.iter().any(
        |x| matches!(x, Decision::StepEntered { step: 1, skipped, .. } if skipped == &vec![0])
    ));
}

use crate::routing::config::StepSpec;

#[test]
fn rejected_offers_go_elsewhere_and_timeouts_put_the_advisor_on_break() {
    let mut r = router(&config());
    login(
        &mut r,
        t(0),
        vec![
            advisor(1, &[("fibre", 5)], Tier::N1, "paris"),
            advisor(2, &[("fibre", 4)], Tier::N1, "paris"),
            advisor(3, &[("fibre", 3)], Tier::N1, "paris"),
        ],
    );
    let d = r.step(
        t(1),
        [Event::ContactArrived(contact(
            10,
            "after_sales",
            Channel::Phone,
            Priority::Normal,
        ))],
    );
    assert_eq!(offers(&d), vec![(id(10), id(1))]);
    let d = r.step(
        t(2),
        [Event::OfferRejected {
            contact: id(10),
            advisor: id(1),
        }],
    );
    assert_eq!(
        d[0],
        Decision::OfferLapsed {
            contact: id(10),
            advisor: id(1),
            why: Lapse::Rejected
        }
    );
    assert_eq!(offers(&d), vec![(id(10), id(2))]);
    // Advisor 2 lets it ring out: the contact goes to 3, and 2 stops receiving offers.
    let d = r.step(t(22), []);
    assert!(d.contains(&Decision::OfferLapsed {
        contact: id(10),
        advisor: id(2),
        why: Lapse::TimedOut
    }));
    assert_eq!(offers(&d), vec![(id(10), id(3))]);
    assert_eq!(
        r.presence(id(2)).unwrap(),
        (Presence::Break, "missed_offer", t(22))
    );
    // Advisor 1 rejected contact 10 but still gets the next one.
    let d = r.step(
        t(23),
        [Event::ContactArrived(contact(
            11,
            "after_sales",
            Channel::Phone,
            Priority::Normal,
        ))],
    );
    assert_eq!(offers(&d), vec![(id(11), id(1))]);
    // Late or foreign answers are refused and change nothing.
    let d = r.step(
        t(24),
        [Event::OfferAccepted {
            contact: id(10),
            advisor: id(2),
        }],
    );
    assert!(matches!(&d[..], [Decision::Refused { .. }]));
    r.check_invariants().unwrap();
}

#[test]
fn capacity_per_channel_is_never_exceeded() {
    let mut r = router(&config());
    login(
        &mut r,
        t(0),
        vec![advisor(1, &[("fibre", 3)], Tier::N1, "paris")],
    );
    let chats: Vec<Event> = (10..15)
        .map(|n| Event::ContactArrived(contact(n, "sales", Channel::Chat, Priority::Normal)))
        .collect();
    let d = r.step(t(1), chats);
    assert_eq!(offers(&d).len(), 3, "three chats at once");
    // A call still fits: phone capacity is separate.
    let d = r.step(
        t(2),
        [Event::ContactArrived(contact(
            20,
            "sales",
            Channel::Phone,
            Priority::Normal,
        ))],
    );
    assert_eq!(offers(&d), vec![(id(20), id(1))]);
    // E-mail is not worked by this advisor at all.
    let d = r.step(
        t(3),
        [Event::ContactArrived(contact(
            30,
            "sales",
            Channel::Email,
            Priority::Urgent,
        ))],
    );
    assert!(offers(&d).is_empty());
    let d = r.step(
        t(4),
        [Event::OfferRejected {
            contact: id(10),
            advisor: id(1),
        }],
    );
    assert_eq!(
        offers(&d),
        vec![(id(13), id(1))],
        "the freed chat slot takes the next chat"
    );
    r.check_invariants().unwrap();
}

#[test]
fn escalation_carries_history_and_respects_the_expert_cell() {
    let mut r = router(&config());
    login(
        &mut r,
        t(0),
        vec![
            advisor(1, &[("fibre", 3)], Tier::N1, "rabat"),
            advisor(2, &[], Tier::N2, "paris"),
            advisor(3, &[], Tier::Expert, "paris"),
        ],
    );
    let mut c = contact(10, "after_sales", Channel::Phone, Priority::Normal);
    c.contract_tier = ContractTier::Standard;
    let d = r.step(t(1), [Event::ContactArrived(c)]);
    assert_eq!(offers(&d), vec![(id(10), id(1))]);
    r.step(
        t(2),
        [Event::OfferAccepted {
            contact: id(10),
            advisor: id(1),
        }],
    );
    let d = r.step(
        t(60),
        [Event::Escalate {
            contact: id(10),
            reason: "line test failed".into(),
            context: "modem resynced twice".into(),
        }],
    );
    let Decision::Escalated { history, .. } = &d[0] else {
        panic!("{d:?}")
    };
    assert_eq!(
        (
            history[0].from.as_str(),
            history[0].to.as_str(),
            history[0].tier,
            history[0].by
        ),
        ("fibre", "fibre_n2", Tier::N2, id(1))
    );
    assert_eq!(history[0].context, "modem resynced twice");
    // N2 (and the expert, who also matches) — advisor 2 and 3 idle since 0: id breaks the tie.
    assert_eq!(offers(&d), vec![(id(10), id(2))]);
    r.step(
        t(61),
        [Event::OfferAccepted {
            contact: id(10),
            advisor: id(2),
        }],
    );
    // A standard contract does not include the expert cell.
    let d = r.step(
        t(70),
        [Event::Escalate {
            contact: id(10),
            reason: "hard".into(),
            context: String::new(),
        }],
    );
    assert_eq!(
        d,
        vec![Decision::EscalationRefused {
            contact: id(10),
            why: "the standard contract does not include the expert cell".into()
        }]
    );
    // The refusal changed nothing: the contact is still with advisor 2.
    assert_eq!(r.presence(id(2)).unwrap().0, Presence::Busy);
    // A pro contract reaches the expert cell, and the history grows.
    login(&mut r, t(79), vec![advisor(4, &[], Tier::Expert, "paris")]);
    let mut c = contact(11, "after_sales", Channel::Phone, Priority::Normal);
    c.contract_tier = ContractTier::Pro;
    assert_eq!(
        offers(&r.step(t(80), [Event::ContactArrived(c)])),
        vec![(id(11), id(1))]
    );
    r.step(
        t(81),
        [Event::OfferAccepted {
            contact: id(11),
            advisor: id(1),
        }],
    );
    // Advisor 2 is on the phone with contact 10: the idle expert 3 takes the N2 step.
    let d = r.step(
        t(82),
        [Event::Escalate {
            contact: id(11),
            reason: "n2".into(),
            context: String::new(),
        }],
    );
    assert_eq!(offers(&d), vec![(id(11), id(3))]);
    r.step(
        t(83),
        [Event::OfferAccepted {
            contact: id(11),
            advisor: id(3),
        }],
    );
    let d = r.step(
        t(84),
        [Event::Escalate {
            contact: id(11),
            reason: "expert".into(),
            context: "all tests done".into(),
        }],
    );
    let Decision::Escalated { history, .. } = &d[0] else {
        panic!("{d:?}")
    };
    assert_eq!(history.len(), 2);
    assert_eq!(
        offers(&d),
        vec![(id(11), id(4))],
        "not back to the expert who escalated"
    );
    r.step(
        t(85),
        [Event::OfferAccepted {
            contact: id(11),
            advisor: id(4),
        }],
    );
    let d = r.step(
        t(86),
        [Event::Escalate {
            contact: id(11),
            reason: "x".into(),
            context: String::new(),
        }],
    );
    assert_eq!(
        d,
        vec![Decision::EscalationRefused {
            contact: id(11),
            why: "queue 'expert_cell' has no escalation path".into()
        }]
    );
    r.check_invariants().unwrap();
}

#[test]
fn the_expert_cell_filter_only_admits_contracts_that_include_it() {
    let mut r = router(&config());
    let mut c = contact(1, "retention", Channel::Phone, Priority::Normal);
    let d = r.step(t(0), [Event::ContactArrived(c.clone())]);
    assert!(d.iter().any(
        |x| matches!(x, Decision::StepEntered { workflow, .. } if workflow.as_str() == "fibre")
    ));
    c.id = id(2);
    c.contract_tier = ContractTier::Expert;
    let d = r.step(t(0), [Event::ContactArrived(c)]);
    assert!(d.iter().any(|x| matches!(x, Decision::StepEntered { workflow, .. } if workflow.as_str() == "expert_cell")));
    let d = r.step(
        t(0),
        [Event::ContactArrived(contact(
            3,
            "loyalty",
            Channel::Phone,
            Priority::Normal,
        ))],
    );
    assert!(matches!(&d[..], [Decision::Unroutable { .. }]));
}

#[test]
fn callbacks_wait_for_their_advisor_then_anyone_and_alert_past_the_deadline() {
    let mut r = router(&config());
    login(
        &mut r,
        t(0),
        vec![
            advisor(1, &[("fibre", 3)], Tier::N1, "paris"),
            advisor(2, &[("fibre", 3)], Tier::N1, "paris"),
        ],
    );
    // Advisor 1 is on a call when the callback falls due.
    r.step(
        t(0),
        [Event::ContactArrived(contact(
            5,
            "sales",
            Channel::Phone,
            Priority::Normal,
        ))],
    );
    r.step(
        t(1),
        [Event::OfferAccepted {
            contact: id(5),
            advisor: id(1),
        }],
    );
    let cb = |n, pref| {
        Event::CallbackScheduled(CallbackSpec {
            contact: contact(n, "after_sales", Channel::Phone, Priority::Normal),
            not_before: t(100),
            deadline: t(1000),
            preferred_advisor: Some(id(pref)),
        })
    };
    assert!(
        offers(&r.step(t(2), [cb(10, 1)])).is_empty(),
        "not before its time"
    );
    let d = r.step(t(100), []);
    assert!(
        offers(&d).is_empty(),
        "advisor 2 is free but the callback waits for advisor 1"
    );
    let d = r.step(
        t(150),
        [
            Event::ContactEnded { contact: id(5) },
            Event::WrapUpDone { advisor: id(1) },
        ],
    );
    assert_eq!(offers(&d), vec![(id(10), id(1))]);
    // A second callback for busy advisor 1 goes to anyone after the preference window (300 s).
    r.step(
        t(151),
        [
            Event::OfferAccepted {
                contact: id(10),
                advisor: id(1),
            },
            cb(11, 1),
        ],
    );
    r.step(
        t(152),
        [Event::ContactArrived(contact(
            6,
            "sales",
            Channel::Phone,
            Priority::Normal,
        ))],
    );
    r.step(
        t(153),
        [Event::OfferAccepted {
            contact: id(6),
            advisor: id(2),
        }],
    );
    let d = r.step(t(451), []);
    assert!(
        d.iter()
            .any(|x| matches!(x, Decision::StepEntered { contact, .. } if *contact == id(11))),
        "{d:?}"
    );
    // Nobody free until the deadline: an alert, and the callback is still routed.
    let d = r.step(t(1000), []);
    assert!(d.contains(&Decision::CallbackMissed {
        contact: id(11),
        deadline: t(1000)
    }));
    let d = r.step(
        t(1001),
        [
            Event::ContactEnded { contact: id(6) },
            Event::WrapUpDone { advisor: id(2) },
        ],
    );
    assert_eq!(offers(&d), vec![(id(11), id(2))]);
    // Bad callbacks are refused.
    let d = r.step(
        t(1002),
        [Event::CallbackScheduled(CallbackSpec {
            contact: contact(12, "sales", Channel::Phone, Priority::Normal),
            not_before: t(5),
            deadline: t(5),
            preferred_advisor: None,
        })],
    );
    assert!(matches!(&d[..], [Decision::Refused { .. }]));
    r.check_invariants().unwrap();
}

#[test]
fn a_stuck_contact_raises_one_max_wait_alert() {
    let mut r = router(&config());
    r.step(
        t(0),
        [Event::ContactArrived(contact(
            1,
            "sales",
            Channel::Phone,
            Priority::Normal,
        ))],
    );
    assert!(!r
        .step(t(599), [])
        .iter()
        .any(|d| matches!(d, Decision::MaxWaitExceeded { .. })));
    let d = r.step(t(700), []);
    assert_eq!(
        d,
        vec![Decision::MaxWaitExceeded {
            contact: id(1),
            workflow: r.names[3].clone(),
            waited_micros: 700 * S
        }]
    );
    assert!(r.step(t(2000), []).is_empty());
    assert_eq!(r.next_wakeup(), None);
}

#[test]
fn abandons_and_service_level_per_queue() {
    let mut r = router(&config());
    login(
        &mut r,
        t(0),
        vec![advisor(1, &[("fibre", 3)], Tier::N1, "paris")],
    );
    r.step(
        t(0),
        [Event::ContactArrived(contact(
            1,
            "sales",
            Channel::Phone,
            Priority::Normal,
        ))],
    );
    r.step(
        t(10),
        [Event::OfferAccepted {
            contact: id(1),
            advisor: id(1),
        }],
    );
    r.step(
        t(10),
        [
            Event::ContactArrived(contact(2, "sales", Channel::Phone, Priority::Normal)),
            Event::ContactArrived(contact(3, "sales", Channel::Phone, Priority::Normal)),
            Event::ContactArrived(contact(4, "sales", Channel::Phone, Priority::Normal)),
        ],
    );
    let d = r.step(t(12), [Event::ContactAbandoned { contact: id(2) }]);
    assert_eq!(
        d,
        vec![
            Decision::Abandoned {
                contact: id(2),
                workflow: r.names[3].clone(),
                waited_micros: 2 * S,
                short: true
            },
            Decision::Outcome(Outcome {
                contact: id(2),
                queue: r.names[3].clone(),
                at: t(12),
                waited_micros: 2 * S,
                kind: OutcomeKind::ShortAbandon
            })
        ]
    );
    r.step(t(40), [Event::ContactAbandoned { contact: id(3) }]);
    r.step(
        t(50),
        [
            Event::ContactEnded { contact: id(1) },
            Event::WrapUpDone { advisor: id(1) },
        ],
    );
    let stats = r.queue_stats();
    assert_eq!(stats[3].waiting, 1);
    assert_eq!(stats[3].longest_wait_micros, 40 * S);
    r.step(
        t(51),
        [Event::OfferAccepted {
            contact: id(4),
            advisor: id(1),
        }],
    );
    let q = &r.queue_stats()[3];
    assert_eq!(
        (q.service_level.answered, q.service_level.answered_within),
        (2, 1)
    );
    assert_eq!(
        (q.service_level.abandoned, q.service_level.short_abandoned),
        (1, 1)
    );
    assert_eq!(q.service_level.ratio(), Some(0.5));
    // An assigned contact cannot be abandoned; an unknown one is refused.
    assert!(matches!(
        &r.step(t(52), [Event::ContactAbandoned { contact: id(4) }])[..],
        [Decision::Refused { .. }]
    ));
    assert!(matches!(
        &r.step(t(52), [Event::ContactAbandoned { contact: id(77) }])[..],
        [Decision::Refused { .. }]
    ));
    r.reset_service_levels();
    assert_eq!(r.queue_stats()[3].service_level.answered, 0);
}

#[test]
fn a_contact_taken_by_hand_leaves_the_queue_and_its_statistics() {
    let mut r = router(&config());
    login(
        &mut r,
        t(0),
        vec![advisor(1, &[("fibre", 3)], Tier::N1, "paris")],
    );
    r.step(
        t(0),
        [Event::ContactArrived(contact(
            1,
            "sales",
            Channel::Phone,
            Priority::Normal,
        ))],
    );
    r.step(
        t(1),
        [Event::ContactArrived(contact(
            2,
            "sales",
            Channel::Phone,
            Priority::Normal,
        ))],
    );
    // 1 is offered to the only advisor, 2 waits; both are taken by hand.
    let d = r.step(t(10), [Event::ContactWithdrawn { contact: id(2) }]);
    assert_eq!(
        d,
        vec![Decision::Withdrawn {
            contact: id(2),
            workflow: r.names[3].clone(),
        }]
    );
    let d = r.step(t(11), [Event::ContactWithdrawn { contact: id(1) }]);
    assert!(d.iter().any(|x| matches!(x, Decision::OfferLapsed { contact, why: Lapse::Cancelled, .. } if *contact == id(1))), "{d:?}");
    assert!(
        !d.iter()
            .any(|x| matches!(x, Decision::Outcome(_) | Decision::Abandoned { .. })),
        "{d:?}"
    );
    let q = &r.queue_stats()[3];
    assert_eq!(q.waiting, 0);
    assert_eq!(q.service_level, ServiceLevel::new(20, 5), "nothing counted");
    // An unknown contact is refused, like an abandon.
    assert!(matches!(
        &r.step(t(12), [Event::ContactWithdrawn { contact: id(1) }])[..],
        [Decision::Refused { .. }]
    ));
}

#[test]
fn the_snapshot_shows_waiting_oldest_place_and_advisors_per_queue() {
    let mut r = router(&config());
    login(
        &mut r,
        t(0),
        vec![
            advisor(1, &[("fibre", 3)], Tier::N1, "paris"),
            advisor(2, &[("mobile", 3)], Tier::N1, "paris"),
        ],
    );
    for (n, at) in [(1, 3), (2, 5), (3, 9)] {
        r.step(
            t(at),
            [Event::ContactArrived(contact(
                n,
                "sales",
                Channel::Phone,
                Priority::Normal,
            ))],
        );
    }
    let s = r.snapshot();
    let names: Vec<&str> = s.queues.iter().map(|q| q.queue.as_str()).collect();
    assert_eq!(
        names,
        r.names.iter().map(|n| n.as_str()).collect::<Vec<_>>()
    );
    let q = &s.queues[3];
    // One is being offered to advisor 1: it still waits.
    assert_eq!((q.waiting, q.oldest_since), (3, Some(t(3))));
    assert_eq!(q.advisors.get(&Presence::Busy), Some(&1));
    assert_eq!(s.advisors.values().sum::<u32>(), 2);
    assert!(s
        .queues
        .iter()
        .all(|q| q.advisors.values().sum::<u32>() <= 2));
}

#[test]
fn an_offer_to_someone_who_goes_offline_is_withdrawn() {
    let mut r = router(&config());
    login(
        &mut r,
        t(0),
        vec![
            advisor(1, &[("fibre", 3)], Tier::N1, "paris"),
            advisor(2, &[("fibre", 3)], Tier::N1, "paris"),
        ],
    );
    let d = r.step(
        t(1),
        [Event::ContactArrived(contact(
            1,
            "sales",
            Channel::Phone,
            Priority::Normal,
        ))],
    );
    assert_eq!(offers(&d), vec![(id(1), id(1))]);
    let d = r.step(
        t(2),
        [Event::SetPresence {
            advisor: id(1),
            presence: Presence::Offline,
            reason: "end of shift".into(),
        }],
    );
    assert!(d.contains(&Decision::OfferLapsed {
        contact: id(1),
        advisor: id(1),
        why: Lapse::Cancelled
    }));
    assert_eq!(offers(&d), vec![(id(1), id(2))]);
    assert_eq!(
        r.advisors_by_state(),
        BTreeMap::from([(Presence::Busy, 1), (Presence::Offline, 1)])
    );
}

#[test]
fn presence_is_recorded_with_reason_and_duration_and_derived_states_cannot_be_set() {
    let mut r = router(&config());
    let d = r.step(
        t(0),
        [Event::AdvisorUpdated(advisor(
            1,
            &[("fibre", 3)],
            Tier::N1,
            "paris",
        ))],
    );
    assert!(d.is_empty(), "a new advisor starts offline: {d:?}");
    r.step(t(10), [available(1)]);
    let d = r.step(
        t(70),
        [Event::SetPresence {
            advisor: id(1),
            presence: Presence::Break,
            reason: "coffee".into(),
        }],
    );
    assert_eq!(
        d,
        vec![Decision::PresenceChanged {
            advisor: id(1),
            presence: Presence::Break,
            reason: "coffee".into(),
            since: t(70),
            previous: Presence::Available,
            previous_micros: 60 * S
        }]
    );
    let d = r.step(
        t(80),
        [Event::SetPresence {
            advisor: id(1),
            presence: Presence::Break,
            reason: "lunch".into(),
        }],
    );
    assert!(matches!(&d[..], [Decision::PresenceChanged { reason, .. }] if reason == "lunch"));
    let d = r.step(
        t(90),
        [Event::SetPresence {
            advisor: id(1),
            presence: Presence::Busy,
            reason: String::new(),
        }],
    );
    assert!(matches!(&d[..], [Decision::Refused { .. }]));
    let d = r.step(
        t(91),
        [Event::BreakPostponed {
            advisor: id(1),
            minutes: 15,
        }],
    );
    assert_eq!(
        d,
        vec![Decision::BreakPostponed {
            advisor: id(1),
            minutes: 15,
            at: t(91)
        }]
    );
    let mut bad = advisor(2, &[("fibre", 6)], Tier::N1, "paris");
    assert!(
        matches!(&r.step(t(92), [Event::AdvisorUpdated(bad.clone())])[..], [Decision::Refused { why }] if why.contains("levels run from 1 to 5"))
    );
    bad.skills = BTreeMap::from([("cooking".to_string(), 2)]);
    assert!(
        matches!(&r.step(t(92), [Event::AdvisorUpdated(bad)])[..], [Decision::Refused { why }] if why.contains("unknown skill 'cooking'"))
    );
    assert!(
        r.presence(id(2)).is_none(),
        "refused advisors are not added"
    );
}

#[test]
fn simultaneous_arrivals_are_routed_by_priority_and_id_whatever_their_order() {
    let arrivals: Vec<Event> = [7u128, 3, 9, 1]
        .iter()
        .map(|&n| Event::ContactArrived(contact(n, "sales", Channel::Phone, Priority::Normal)))
        .collect();
    let mut reversed = arrivals.clone();
    reversed.reverse();
    let run = |ev: Vec<Event>| {
        let mut r = router(&config());
        login(
            &mut r,
            t(0),
            vec![
                advisor(1, &[("fibre", 3)], Tier::N1, "paris"),
                advisor(2, &[("fibre", 3)], Tier::N1, "paris"),
            ],
        );
        r.step(t(1), ev)
    };
    let a = run(arrivals);
    assert_eq!(a, run(reversed));
    assert_eq!(offers(&a), vec![(id(1), id(1)), (id(3), id(2))]);
}

#[test]
fn a_step_that_times_out_during_an_offer_moves_on_if_the_offer_lapses() {
    // Step 0 lasts 30 s; with a 60 s offer timeout the offer is still out when it ends.
    let mut cfg = config();
    cfg.offer_timeout_secs = 60;
    let mut r = router(&cfg);
    login(
        &mut r,
        t(0),
        vec![advisor(1, &[("fibre", 3)], Tier::N1, "paris")],
    );
    r.step(
        t(0),
        [Event::ContactArrived(contact(
            10,
            "after_sales",
            Channel::Phone,
            Priority::Normal,
        ))],
    );
    assert!(
        r.step(t(30), []).is_empty(),
        "no step change while the offer is out"
    );
    let d = r.step(
        t(35),
        [Event::OfferRejected {
            contact: id(10),
            advisor: id(1),
        }],
    );
    assert!(
        d.iter().any(|x| matches!(x, Decision::StepEntered { contact, step: 1, priority: Priority::High, .. } if *contact == id(10))),
        "{d:?}"
    );
    r.check_invariants().unwrap();
}

#[test]
fn a_due_callback_goes_straight_to_its_free_preferred_advisor() {
    let mut r = router(&config());
    login(
        &mut r,
        t(0),
        vec![
            advisor(1, &[("fibre", 3)], Tier::N1, "paris"),
            advisor(2, &[("fibre", 5)], Tier::N1, "paris"),
        ],
    );
    let d = r.step(
        t(1),
        [Event::CallbackScheduled(CallbackSpec {
            contact: contact(10, "after_sales", Channel::Phone, Priority::Normal),
            not_before: t(50),
            deadline: t(500),
            preferred_advisor: Some(id(1)),
        })],
    );
    assert!(d.is_empty());
    assert_eq!(r.next_wakeup(), Some(t(50)));
    // Advisor 2 is more proficient, but the callback belongs to advisor 1.
    let d = r.step(t(50), []);
    assert_eq!(offers(&d), vec![(id(10), id(1))]);
    // If advisor 1 rejects it, the callback enters its workflow and goes to advisor 2.
    let d = r.step(
        t(51),
        [Event::OfferRejected {
            contact: id(10),
            advisor: id(1),
        }],
    );
    assert!(
        d.iter().any(
            |x| matches!(x, Decision::StepEntered { contact, step: 0, .. } if *contact == id(10))
        ),
        "{d:?}"
    );
    assert_eq!(offers(&d), vec![(id(10), id(2))]);
    // Callbacks do not count in the queue's service level.
    r.step(
        t(52),
        [Event::OfferAccepted {
            contact: id(10),
            advisor: id(2),
        }],
    );
    assert_eq!(r.queue_stats()[1].service_level.answered, 0);
    assert!(
        !r.step(t(600), [])
            .iter()
            .any(|x| matches!(x, Decision::CallbackMissed { .. })),
        "assigned before its deadline"
    );
}

#[test]
fn a_withdrawn_offer_is_never_re_offered_to_the_advisor_going_offline() {
    // Regression found by the property test: an advisor with room for more
    // chats was still listed idle while their pending offer was withdrawn.
    let mut r = router(&config());
    login(
        &mut r,
        t(0),
        vec![advisor(1, &[("fibre", 3)], Tier::N1, "paris")],
    );
    let d = r.step(
        t(1),
        [Event::ContactArrived(contact(
            10,
            "sales",
            Channel::Chat,
            Priority::Normal,
        ))],
    );
    assert_eq!(offers(&d), vec![(id(10), id(1))]);
    let d = r.step(
        t(2),
        [Event::SetPresence {
            advisor: id(1),
            presence: Presence::Offline,
            reason: String::new(),
        }],
    );
    assert!(offers(&d).is_empty(), "{d:?}");
    assert_eq!(r.waiting_count(), 1);
    r.check_invariants().unwrap();
}
