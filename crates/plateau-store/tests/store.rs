//! Story tests for the store, run on every available backend (SQLite always,
//! PostgreSQL when PLATEAU_TEST_DATABASE_URL is set).

#![allow(clippy::unwrap_used)] // a panic is how a test reports

use plateau_core::model::*;
use plateau_core::DomainError;
use plateau_store::conversations::*;
use plateau_store::customers::NewCustomer;
use plateau_store::users::NewUser;
use plateau_store::{testing, Store, StoreError};
use uuid::Uuid;

fn profile() -> CustomerProfile {
    CustomerProfile {
        age_band: Some(AgeBand::From60To74),
        tech_appetite: Some(TechAppetite::Low),
        value_tier: Some(ValueTier::Gold),
        contract_tier: ContractTier::Pro,
        language: Language::Fr,
        preferred_channel: Some(Channel::Phone),
    }
}

fn new_conv(customer: CustomerRef, subject: &str) -> NewConversation {
    NewConversation {
        customer,
        subject: subject.into(),
        channel: Channel::Email,
        direction: Direction::Inbound,
        body: "Bonjour, ma connexion rame depuis hier.".into(),
        priority: Priority::Normal,
        reason: Some("internet-lent".into()),
        tags: vec!["Fibre".into()],
        team_id: None,
        assignee_id: None,
        language: None,
        attachments: vec![],
        at: None,
    }
}

fn new_customer(email: &str) -> CustomerRef {
    CustomerRef::New(NewCustomer {
        name: "Jeanne Martin".into(),
        profile: profile(),
        identities: vec![
            (IdentityKind::Email, email.into()),
            (IdentityKind::Phone, "+33 6 12 34 56 78".into()),
        ],
    })
}

async fn event_count(s: &Store) -> usize {
    s.count_events().await.unwrap() as usize
}

#[tokio::test]
async fn conversation_lifecycle_on_every_backend() {
    for db in testing::all().await.unwrap() {
        let s = &db.store;
        let label = db.label;
        let t = s.create_tenant("acme", "Acme Télécom", None).await.unwrap();
        let u = s
            .create_user(
                NewUser {
                    email: "a@acme.fr",
                    display_name: "Awa",
                    password_hash: None,
                    locale: Language::Fr,
                    platform_admin: false,
                },
                None,
            )
            .await
            .unwrap();
        s.set_membership(
            &Membership {
                tenant_id: t.id,
                user_id: u.id,
                role: Role::Advisor,
                team_id: None,
                site_id: None,
            },
            None,
        )
        .await
        .unwrap();

        let c = s
            .create_conversation(
                t.id,
                new_conv(new_customer("JM@example.fr"), "Connexion lente"),
                Some(u.id),
            )
            .await
            .unwrap();
        assert_eq!(c.number, 1, "{label}");
        assert_eq!(c.status, Status::New);
        assert_eq!(c.tags, vec!["fibre"]);
        assert_eq!(c.language, Language::Fr);
        let cust = s.customer(t.id, c.customer_id).await.unwrap();
        assert_eq!(cust.identities.len(), 2);
        assert!(cust.identities.iter().any(|i| i.value == "jm@example.fr"));
        assert!(cust.identities.iter().any(|i| i.value == "+33612345678"));
        let found = s
            .customer_by_identity(t.id, IdentityKind::Email, "jm@example.fr")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.id, cust.id);

        // Reply moves new → open; a note does not change the status or the preview.
        let (_, c2) = s
            .add_message(
                t.id,
                c.id,
                NewMessage {
                    direction: Direction::Outbound,
                    channel: Channel::Email,
                    author_id: Some(u.id),
                    body: "Nous regardons.".into(),
                    attachments: vec![],
                    then_status: None,
                    at: None,
                },
                Some(u.id),
            )
            .await
            .unwrap();
        assert_eq!(c2.status, Status::Open, "{label}");
        assert_eq!(c2.preview, "Nous regardons.");
        let (_, c3) = s
            .add_message(
                t.id,
                c.id,
                NewMessage {
                    direction: Direction::Note,
                    channel: Channel::Email,
                    author_id: Some(u.id),
                    body: "Client fragile".into(),
                    attachments: vec![],
                    then_status: None,
                    at: None,
                },
                Some(u.id),
            )
            .await
            .unwrap();
        assert_eq!(c3.preview, "Nous regardons.");
        assert_eq!(c3.message_count, 3);
        assert_eq!(s.messages(t.id, c.id, true).await.unwrap().len(), 3);
        assert_eq!(s.messages(t.id, c.id, false).await.unwrap().len(), 2);

        // Patch: assign, tag, resolve; the event records what changed.
        let c4 = s
            .update_conversation(
                t.id,
                c.id,
                ConversationPatch {
                    assignee_id: Some(Some(u.id)),
                    status: Some(Status::Resolved),
                    tags: Some(vec!["wifi".into(), "Fibre".into()]),
                    ..Default::default()
                },
                Some(u.id),
            )
            .await
            .unwrap();
        assert_eq!(c4.status, Status::Resolved);
        assert_eq!(
            s.conversation(t.id, c.id).await.unwrap().tags,
            vec!["fibre", "wifi"]
        );
        let evs = s.subject_events(t.id, c.id).await.unwrap();
        let kinds: Vec<&str> = evs.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(
            kinds,
            vec![
                "conversation.created",
                "message.added",
                "message.added",
                "conversation.updated"
            ],
            "{label}"
        );
        assert_eq!(evs[3].payload["changes"]["status"]["to"], "resolved");

        // Closed is final.
        s.update_conversation(
            t.id,
            c.id,
            ConversationPatch {
                status: Some(Status::Closed),
                ..Default::default()
            },
            None,
        )
        .await
        .unwrap();
        let err = s
            .update_conversation(
                t.id,
                c.id,
                ConversationPatch {
                    status: Some(Status::Open),
                    ..Default::default()
                },
                None,
            )
            .await
            .unwrap_err();
        assert!(
            matches!(err, StoreError::Domain(DomainError::Invalid(_))),
            "{label}: {err:?}"
        );
        let err = s
            .add_message(
                t.id,
                c.id,
                NewMessage {
                    direction: Direction::Outbound,
                    channel: Channel::Email,
                    author_id: Some(u.id),
                    body: "x".into(),
                    attachments: vec![],
                    then_status: None,
                    at: None,
                },
                None,
            )
            .await
            .unwrap_err();
        assert!(
            matches!(err, StoreError::Domain(DomainError::Conflict(_))),
            "{label}"
        );
    }
}

#[tokio::test]
async fn tenants_are_isolated() {
    for db in testing::all().await.unwrap() {
        let s = &db.store;
        let a = s.create_tenant("brand-a", "Brand A", None).await.unwrap();
        let b = s.create_tenant("brand-b", "Brand B", None).await.unwrap();
        let ca = s
            .create_conversation(a.id, new_conv(new_customer("x@a.fr"), "A"), None)
            .await
            .unwrap();
        // Reading, writing or linking another tenant's rows finds nothing.
        assert!(matches!(
            s.conversation(b.id, ca.id).await,
            Err(StoreError::Domain(DomainError::NotFound(_)))
        ));
        assert!(matches!(
            s.customer(b.id, ca.customer_id).await,
            Err(StoreError::Domain(DomainError::NotFound(_)))
        ));
        let r = s
            .update_conversation(
                b.id,
                ca.id,
                ConversationPatch {
                    status: Some(Status::Open),
                    ..Default::default()
                },
                None,
            )
            .await;
        assert!(matches!(
            r,
            Err(StoreError::Domain(DomainError::NotFound(_)))
        ));
        let r = s
            .create_conversation(
                b.id,
                new_conv(CustomerRef::Existing(ca.customer_id), "steal"),
                None,
            )
            .await;
        assert!(
            matches!(r, Err(StoreError::Domain(DomainError::Invalid(_)))),
            "{}: {r:?}",
            db.label
        );
        let tb = s
            .create_team(b.id, None, "N1 B", Tier::N1, None)
            .await
            .unwrap();
        let r = s
            .update_conversation(
                a.id,
                ca.id,
                ConversationPatch {
                    team_id: Some(Some(tb.id)),
                    ..Default::default()
                },
                None,
            )
            .await;
        assert!(matches!(
            r,
            Err(StoreError::Domain(DomainError::Invalid(_)))
        ));
        // Same identity in two tenants is two customers.
        s.create_conversation(b.id, new_conv(new_customer("x@a.fr"), "B"), None)
            .await
            .unwrap();
        assert_eq!(
            s.conversations(b.id, &InboxFilter::default(), None, 50)
                .await
                .unwrap()
                .items
                .len(),
            1
        );
    }
}

#[tokio::test]
async fn a_failed_batch_writes_nothing() {
    for db in testing::all().await.unwrap() {
        let s = &db.store;
        let t = s.create_tenant("acme", "Acme", None).await.unwrap();
        let before = event_count(s).await;
        // The second conversation reuses the first one's e-mail for a new customer:
        // the conflict surfaces inside the transaction, after the first insert.
        let r = s
            .create_conversations(
                t.id,
                vec![
                    new_conv(new_customer("dup@x.fr"), "one"),
                    new_conv(new_customer("dup@x.fr"), "two"),
                ],
                None,
            )
            .await;
        assert!(
            matches!(r, Err(StoreError::Domain(DomainError::Conflict(_)))),
            "{}: {r:?}",
            db.label
        );
        assert!(s
            .conversations(t.id, &InboxFilter::default(), None, 50)
            .await
            .unwrap()
            .items
            .is_empty());
        assert_eq!(event_count(s).await, before);
        let c = s
            .create_conversation(t.id, new_conv(new_customer("dup@x.fr"), "three"), None)
            .await
            .unwrap();
        if db.label == "sqlite" {
            // One writer: numbers are taken inside the transaction and stay gapless.
            assert_eq!(c.number, 1);
        } else {
            // PostgreSQL reserves numbers in blocks outside the transaction; the
            // failed batch's numbers are skipped, never reused.
            assert_eq!(c.number, 3);
        }
    }
}

#[tokio::test]
async fn bad_input_is_reported_per_field_and_writes_nothing() {
    for db in testing::all().await.unwrap() {
        let s = &db.store;
        let t = s.create_tenant("acme", "Acme", None).await.unwrap();
        let mut n = new_conv(
            CustomerRef::New(NewCustomer {
                name: " ".into(),
                profile: profile(),
                identities: vec![(IdentityKind::Phone, "0612".into())],
            }),
            "",
        );
        n.tags = vec!["a,b".into()];
        let before = event_count(s).await;
        match s.create_conversation(t.id, n, None).await {
            Err(StoreError::Domain(DomainError::Invalid(errs))) => {
                let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
                assert_eq!(
                    fields,
                    vec!["subject", "tags", "customer.name", "customer.identities[0]"]
                );
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(event_count(s).await, before);
    }
}

#[tokio::test]
async fn inbox_pages_by_cursor_without_gaps_or_repeats() {
    for db in testing::all().await.unwrap() {
        let s = &db.store;
        let t = s.create_tenant("acme", "Acme", None).await.unwrap();
        let cust = s
            .create_customer(
                t.id,
                &NewCustomer {
                    name: "Bob".into(),
                    profile: profile(),
                    identities: vec![],
                },
                None,
            )
            .await
            .unwrap();
        let base = plateau_core::Timestamp::now().minus_seconds(10_000);
        let mut batch = Vec::new();
        for i in 0..45 {
            let mut n = new_conv(CustomerRef::Existing(cust.id), &format!("c{i}"));
            // Several share a timestamp so the id tie-breaker is exercised.
            n.at = Some(base.plus_seconds(i / 3));
            n.channel = if i % 2 == 0 {
                Channel::Email
            } else {
                Channel::Chat
            };
            batch.push(n);
        }
        s.create_conversations(t.id, batch, None).await.unwrap();
        let mut seen = Vec::new();
        let mut cursor = None;
        loop {
            let page = s
                .conversations(t.id, &InboxFilter::default(), cursor, 10)
                .await
                .unwrap();
            seen.extend(page.items.iter().map(|c| (c.updated_at, c.id)));
            match page.next_cursor {
                Some(c) => cursor = Some(Cursor::decode(&c).unwrap()),
                None => break,
            }
        }
        assert_eq!(seen.len(), 45, "{}", db.label);
        let mut sorted = seen.clone();
        sorted.sort_by(|a, b| b.cmp(a));
        assert_eq!(seen, sorted);
        let f = InboxFilter {
            channel: Some(Channel::Chat),
            ..Default::default()
        };
        assert_eq!(
            s.conversations(t.id, &f, None, 100)
                .await
                .unwrap()
                .items
                .len(),
            22
        );
        let f = InboxFilter {
            tag: Some("fibre".into()),
            statuses: vec![Status::New],
            ..Default::default()
        };
        assert_eq!(
            s.conversations(t.id, &f, None, 100)
                .await
                .unwrap()
                .items
                .len(),
            45
        );
        let b = s.board(t.id).await.unwrap();
        assert_eq!(b.unassigned_active, 45);
        assert_eq!(b.by_channel.iter().map(|x| x.2).sum::<i64>(), 45);
    }
}

#[tokio::test]
async fn tailer_delivers_committed_events_in_order() {
    for db in testing::all().await.unwrap() {
        let s = &db.store;
        let tx = s.spawn_tailer(64);
        let mut rx = tx.subscribe();
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let t = s.create_tenant("acme", "Acme", None).await.unwrap();
        let c = s
            .create_conversation(t.id, new_conv(new_customer("q@x.fr"), "hello"), None)
            .await
            .unwrap();
        let mut kinds = Vec::new();
        while kinds.len() < 3 {
            let ev = tokio::time::timeout(std::time::Duration::from_secs(5), rx.recv())
                .await
                .expect("event within 5 s")
                .unwrap();
            kinds.push(ev.kind.clone());
            if ev.kind == "conversation.created" {
                assert_eq!(ev.subject_id, Some(c.id));
            }
        }
        assert_eq!(
            kinds,
            vec!["tenant.created", "customer.created", "conversation.created"],
            "{}",
            db.label
        );
    }
}

#[tokio::test]
async fn migrations_are_idempotent_and_guard_their_text() {
    for db in testing::all().await.unwrap() {
        assert!(db.store.migrate().await.unwrap().is_empty(), "{}", db.label);
        let again = Store::open(&db.url).await.unwrap();
        assert!(again.migrate().await.unwrap().is_empty());
        let _ = Uuid::now_v7();
    }
}

/// Concurrent creations are committed in groups on SQLite; a failing request
/// inside a group must neither fail nor lose the others, and must write nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_creations_are_isolated_from_each_others_failures() {
    for db in testing::all().await.unwrap() {
        let s = &db.store;
        let t = s.create_tenant("acme", "Acme", None).await.unwrap();
        let email_only = |email: String| {
            CustomerRef::New(NewCustomer {
                name: "Client".into(),
                profile: profile(),
                identities: vec![(IdentityKind::Email, email)],
            })
        };
        s.create_conversation(
            t.id,
            new_conv(email_only("taken@x.fr".into()), "first"),
            None,
        )
        .await
        .unwrap();
        let before = event_count(s).await;
        let mut tasks = Vec::new();
        for i in 0..60 {
            let s = s.clone();
            let tenant = t.id;
            // Every sixth request reuses an existing customer's e-mail.
            let email = if i % 6 == 0 {
                "taken@x.fr".to_string()
            } else {
                format!("c{i}@x.fr")
            };
            let conv = new_conv(email_only(email), &format!("conv {i}"));
            tasks.push(tokio::spawn(async move {
                s.create_conversation(tenant, conv, None).await
            }));
        }
        let (mut ok, mut conflicts) = (Vec::new(), 0);
        for t in tasks {
            match t.await.unwrap() {
                Ok(c) => ok.push(c),
                Err(StoreError::Domain(DomainError::Conflict(_))) => conflicts += 1,
                Err(e) => panic!("{}: unexpected {e:?}", db.label),
            }
        }
        assert_eq!((ok.len(), conflicts), (50, 10), "{}", db.label);
        // Each success wrote its customer and its conversation event; the
        // failures wrote nothing.
        assert_eq!(event_count(s).await, before + 2 * 50, "{}", db.label);
        let listed = s
            .conversations(t.id, &InboxFilter::default(), None, 100)
            .await
            .unwrap()
            .items;
        assert_eq!(listed.len(), 51, "{}", db.label);
        let mut numbers: Vec<i64> = ok.iter().map(|c| c.number).collect();
        numbers.sort_unstable();
        numbers.dedup();
        assert_eq!(numbers.len(), 50, "{}: numbers are unique", db.label);
        if db.label == "sqlite" {
            assert_eq!(numbers, (2..=51).collect::<Vec<_>>(), "gapless on SQLite");
        }
    }
}

#[tokio::test]
async fn presence_is_logged_with_durations_and_reaches_every_brand_of_the_person() {
    use plateau_core::routing::Presence;
    for db in testing::all().await.unwrap() {
        let s = &db.store;
        let l = db.label;
        let a = s.create_tenant("acme", "Acme", None).await.unwrap();
        let b = s.create_tenant("globex", "Globex", None).await.unwrap();
        let c = s.create_tenant("initech", "Initech", None).await.unwrap();
        let u = s
            .create_user(
                NewUser {
                    email: "awa@x.fr",
                    display_name: "Awa",
                    password_hash: None,
                    locale: Language::Fr,
                    platform_admin: false,
                },
                None,
            )
            .await
            .unwrap();
        for t in [a.id, b.id] {
            s.set_membership(
                &Membership {
                    tenant_id: t,
                    user_id: u.id,
                    role: Role::Advisor,
                    team_id: None,
                    site_id: None,
                },
                None,
            )
            .await
            .unwrap();
        }
        assert_eq!(
            s.presence(u.id).await.unwrap().state,
            Presence::Offline,
            "{l}"
        );
        let before = s.count_events().await.unwrap();
        // Derived states and over-long reasons are refused and write nothing.
        assert!(s
            .set_presence(u.id, Presence::Busy, None, Some(u.id))
            .await
            .is_err());
        assert!(s
            .set_presence(u.id, Presence::Break, Some(&"x".repeat(200)), Some(u.id))
            .await
            .is_err());
        assert!(
            s.postpone_break(u.id, 15).await.is_err(),
            "{l}: offline people have no break to push back"
        );
        assert_eq!(s.count_events().await.unwrap(), before, "{l}");

        s.set_presence(u.id, Presence::Available, None, Some(u.id))
            .await
            .unwrap();
        let p = s.postpone_break(u.id, 15).await.unwrap();
        assert!(p.break_postponed_until.is_some(), "{l}");
        assert!(s.postpone_break(u.id, 500).await.is_err(), "{l}");
        s.set_presence(u.id, Presence::Break, Some("Déjeuner"), Some(u.id))
            .await
            .unwrap();
        let now = s.presence(u.id).await.unwrap();
        assert_eq!(
            (now.state, now.reason.as_deref()),
            (Presence::Break, Some("Déjeuner")),
            "{l}"
        );
        assert_eq!(
            now.break_postponed_until, None,
            "{l}: taking the break clears the pushed-back one"
        );

        // The log closes each state when the next starts.
        let log = s
            .presence_log(u.id, plateau_core::Timestamp(0))
            .await
            .unwrap();
        assert_eq!(
            log.iter().map(|x| x.state.as_str()).collect::<Vec<_>>(),
            vec!["available", "break"],
            "{l}"
        );
        assert_eq!(log[0].ended_at, Some(log[1].started_at), "{l}");
        assert_eq!(log[1].ended_at, None, "{l}");

        // Both brands' supervisors see it; the third brand does not know her.
        for t in [a.id, b.id] {
            let team = s
                .tenant_presence(t, plateau_core::Timestamp(0))
                .await
                .unwrap();
            assert_eq!(team.len(), 1, "{l}");
            assert_eq!(
                (team[0].status.state, team[0].postponed_breaks),
                (Presence::Break, 1),
                "{l}"
            );
            let kinds: Vec<String> = s
                .tenant_events(t, None, 50)
                .await
                .unwrap()
                .into_iter()
                .map(|e| e.kind)
                .collect();
            assert!(
                kinds.iter().any(|k| k == "presence.break_postponed"),
                "{l}: {kinds:?}"
            );
        }
        assert!(
            s.tenant_presence(c.id, plateau_core::Timestamp(0))
                .await
                .unwrap()
                .is_empty(),
            "{l}"
        );
    }
}
