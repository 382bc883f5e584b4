//! Story tests for diagnostic trees in the store, on every available backend
//! (SQLite always, PostgreSQL when PLATEAU_TEST_DATABASE_URL is set).

#![allow(clippy::unwrap_used)] // a panic is how a test reports

use std::collections::BTreeMap;

use plateau_core::event::kind;
use plateau_core::model::*;
use plateau_core::tree::analytics::Trail;
use plateau_core::tree::tally::Tally;
use plateau_core::{DomainError, Timestamp};
use plateau_store::conversations::{CustomerRef, NewConversation};
use plateau_store::customers::NewCustomer;
use plateau_store::trees::*;
use plateau_store::{testing, Store, StoreError};
use uuid::Uuid;

async fn conversation(s: &Store, tenant: Uuid, reason: Option<&str>, email: &str) -> Conversation {
    s.create_conversation(
        tenant,
        NewConversation {
            customer: CustomerRef::New(NewCustomer {
                name: "Jeanne Martin".into(),
                profile: CustomerProfile {
                    age_band: None,
                    tech_appetite: None,
                    value_tier: None,
                    contract_tier: ContractTier::Standard,
                    language: Language::Fr,
                    preferred_channel: None,
                },
                identities: vec![(IdentityKind::Email, email.into())],
            }),
            subject: "Plus d'internet".into(),
            channel: Channel::Phone,
            direction: Direction::Inbound,
            body: "Ma box ne marche plus.".into(),
            priority: Priority::Normal,
            reason: reason.map(String::from),
            tags: vec![],
            team_id: None,
            assignee_id: None,
            language: None,
            attachments: vec![],
            at: None,
        },
        None,
    )
    .await
    .unwrap()
}

async fn trails(s: &Store, tenant: Uuid, tree: Uuid, version: i64) -> Vec<(Uuid, String)> {
    let mut rows = s
        .tree_session_trails(tenant, tree, version, |c, t| Some((c, t.to_string())))
        .await
        .unwrap();
    rows.sort();
    rows
}

fn conflict(e: StoreError) -> bool {
    matches!(e, StoreError::Domain(DomainError::Conflict(_)))
}

#[tokio::test]
async fn drafts_versions_sessions_and_blobs() {
    for db in testing::all().await.unwrap() {
        let s = &db.store;
        let label = db.label;
        let t = s.create_tenant("sosh", "Sosh", None).await.unwrap();
        let other = s.create_tenant("seb", "Groupe SEB", None).await.unwrap();
        let reasons = vec!["no_internet".to_string()];
        let new = NewTree {
            title: "Box",
            reasons: &reasons,
            products: &[],
            draft: r#"{"title":"Box","root":"a","nodes":[]}"#,
        };
        let tree = s.create_tree(t.id, &new, None).await.unwrap();
        assert_eq!(tree.revision, 1, "{label}");
        assert_eq!(tree.published_version, 0, "{label}");

        // Another brand cannot see it, by id or in its list.
        assert!(matches!(
            s.tree(other.id, tree.id).await,
            Err(StoreError::Domain(DomainError::NotFound(_)))
        ));
        assert!(s.trees(other.id).await.unwrap().is_empty(), "{label}");

        // A save from a stale revision is refused and changes nothing.
        let v2 = NewTree {
            title: "Box v2",
            draft: r#"{"title":"Box v2","root":"a","nodes":[]}"#,
            ..new
        };
        assert_eq!(
            s.save_tree_draft(t.id, tree.id, 1, &v2, None)
                .await
                .unwrap(),
            2
        );
        let err = s
            .save_tree_draft(t.id, tree.id, 1, &new, None)
            .await
            .unwrap_err();
        assert!(conflict(err), "{label}");
        assert_eq!(s.tree(t.id, tree.id).await.unwrap().title, "Box v2");
        assert!(matches!(
            s.save_tree_draft(other.id, tree.id, 2, &new, None).await,
            Err(StoreError::Domain(DomainError::NotFound(_)))
        ));

        // Publishing freezes the draft; a stale revision cannot publish.
        assert!(conflict(
            s.publish_tree(t.id, tree.id, 1, "Box v2", "{}", None)
                .await
                .unwrap_err()
        ));
        let body = s.tree(t.id, tree.id).await.unwrap().draft;
        assert_eq!(
            s.publish_tree(t.id, tree.id, 2, "Box v2", &body, None)
                .await
                .unwrap(),
            1
        );
        s.save_tree_draft(t.id, tree.id, 2, &new, None)
            .await
            .unwrap();
        assert_eq!(
            s.publish_tree(t.id, tree.id, 3, "Box", new.draft, None)
                .await
                .unwrap(),
            2
        );
        let v1 = s.tree_version(t.id, tree.id, 1).await.unwrap();
        assert_eq!(
            v1.body, body,
            "{label}: version 1 is unchanged by later edits"
        );
        let versions = s.tree_versions(t.id, tree.id).await.unwrap();
        assert_eq!(
            versions.iter().map(|v| v.version).collect::<Vec<_>>(),
            vec![2, 1]
        );
        let published = s.published_trees(t.id).await.unwrap();
        assert_eq!(published.len(), 1);
        assert_eq!(
            published[0].1.version, 2,
            "{label}: the latest version is offered"
        );
        assert!(s.published_trees(other.id).await.unwrap().is_empty());

        // Sessions: steps are guarded by revision; finishing writes the timeline.
        let c = conversation(s, t.id, Some("no_internet"), "jeanne@example.fr").await;
        // A trail that does not decode is refused, and nothing is written.
        let bad = s
            .start_tree_session(
                t.id,
                &v1,
                c.id,
                c.customer_id,
                None,
                &BTreeMap::new(),
                "{\"events\":[]}",
                "not a trail",
            )
            .await
            .unwrap_err();
        assert!(
            matches!(bad, StoreError::Domain(DomainError::Invalid(_))),
            "{label}: {bad:?}"
        );
        assert!(s
            .conversation_tree_sessions(t.id, c.id)
            .await
            .unwrap()
            .is_empty());
        let session = s
            .start_tree_session(
                t.id,
                &v1,
                c.id,
                c.customer_id,
                None,
                &BTreeMap::new(),
                "{\"events\":[]}",
                &trail('-', "0.0"),
            )
            .await
            .unwrap();
        let r2 = s
            .record_tree_step(
                &session,
                1,
                "{\"events\":[1]}",
                &trail('-', "0.0,1.900"),
                None,
            )
            .await
            .unwrap();
        // Another tab still holding revision 1 is refused.
        assert!(conflict(
            s.record_tree_step(&session, 1, "x", &trail('-', "0.0"), None)
                .await
                .unwrap_err()
        ));
        // So is a step made on a record older than the revision it claims.
        assert!(conflict(
            s.record_tree_step(&session, r2, "x", &trail('-', "0.0"), None)
                .await
                .unwrap_err()
        ));
        let session = s.tree_session(t.id, session.id).await.unwrap();
        let payload = serde_json::json!({"outcome": "resolved"});
        s.record_tree_step(
            &session,
            r2,
            "{\"events\":[2]}",
            &trail('r', "0.0,1.900,4.1000"),
            Some(("resolved", payload)),
        )
        .await
        .unwrap();
        // A finished session accepts no more steps.
        let finished = s.tree_session(t.id, session.id).await.unwrap();
        assert!(conflict(
            s.record_tree_step(&finished, finished.revision, "x", &trail('-', "0.0"), None)
                .await
                .unwrap_err()
        ));
        let stored = s.tree_session(t.id, session.id).await.unwrap();
        assert_eq!(stored.outcome.as_deref(), Some("resolved"));
        assert_eq!(stored.trail, trail('r', "0.0,1.900,4.1000"));
        assert!(stored.finished_at.is_some());
        assert!(s.tree_session(other.id, session.id).await.is_err());
        let kinds: Vec<String> = s
            .subject_events(t.id, c.id)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect();
        assert!(
            kinds.contains(&kind::TREE_SESSION_STARTED.to_string()),
            "{label}"
        );
        assert!(
            kinds.contains(&kind::TREE_SESSION_FINISHED.to_string()),
            "{label}"
        );

        assert_eq!(
            trails(s, t.id, tree.id, 1).await,
            vec![(c.id, trail('r', "0.0,1.900,4.1000"))],
            "{label}"
        );
        assert!(trails(s, t.id, tree.id, 2).await.is_empty());
        let owners = s.conversation_reasons(t.id, &[c.id]).await.unwrap();
        assert_eq!(
            owners,
            vec![(c.id, c.customer_id, Some("no_internet".to_string()))]
        );
        assert!(
            s.conversation_reasons(other.id, &[c.id])
                .await
                .unwrap()
                .is_empty(),
            "{label}"
        );
        let returns = s
            .later_conversations(t.id, &[c.customer_id], Timestamp(0))
            .await
            .unwrap();
        assert_eq!(returns.len(), 1, "{label}: the customer's own conversation");
        assert_eq!(returns[0].conversation_id, c.id);
        let none = s
            .later_conversations(t.id, &[c.customer_id], Timestamp(i64::MAX))
            .await
            .unwrap();
        assert!(
            none.is_empty(),
            "{label}: only conversations since the given time"
        );

        // Imported walks (another tool's history, benchmarks) count in analytics.
        let imported: Vec<ImportedSession> = (0..3)
            .map(|i| ImportedSession {
                conversation_id: c.id,
                customer_id: c.customer_id,
                path: "{\"events\":[]}".into(),
                trail: trail(if i > 0 { 'r' } else { '-' }, "0.0,1.500"),
                outcome: (i > 0).then(|| "resolved".to_string()),
                started_at: Timestamp(i),
                finished_at: None,
            })
            .collect();
        s.import_tree_sessions(t.id, &v1, &imported).await.unwrap();
        assert_eq!(trails(s, t.id, tree.id, 1).await.len(), 4, "{label}");

        // The counters kept by every start, step and import add up to the
        // final trails: no trail needs reading for the report.
        let tally = s
            .tree_tally(t.id, tree.id, 1)
            .await
            .unwrap()
            .expect("counted since publication");
        let mut expected = Tally::default();
        for (_, text) in trails(s, t.id, tree.id, 1).await {
            expected.add(&Trail::decode(&text).unwrap(), 1);
        }
        assert_eq!(tally, expected, "{label}");
        assert_eq!(
            (tally.sessions, tally.resolved, tally.node(1).visits),
            (4, 3, 4),
            "{label}"
        );
        assert!(
            s.tree_tally(other.id, tree.id, 1).await.unwrap().is_none(),
            "{label}: other tenant"
        );
        let resolved = s.resolved_tree_sessions(t.id, tree.id, 1).await.unwrap();
        assert_eq!(resolved.len(), 3, "{label}");
        assert!(resolved.iter().all(|(conv, _)| *conv == c.id), "{label}");
        assert!(
            s.resolved_tree_sessions(other.id, tree.id, 1)
                .await
                .unwrap()
                .is_empty(),
            "{label}"
        );

        // Blobs: per tenant, size-limited, replaced by key.
        s.put_blob(t.id, "box.png", "image/png", b"\x89PNG", None)
            .await
            .unwrap();
        s.put_blob(t.id, "box.png", "image/png", b"\x89PNG2", None)
            .await
            .unwrap();
        let (meta, data) = s.blob(t.id, "box.png").await.unwrap();
        assert_eq!((meta.size_bytes, data), (5, b"\x89PNG2".to_vec()));
        assert!(s.blob(other.id, "box.png").await.is_err(), "{label}");
        let huge = vec![0u8; MAX_BLOB_BYTES + 1];
        assert!(matches!(
            s.put_blob(t.id, "huge.bin", "application/octet-stream", &huge, None)
                .await,
            Err(StoreError::Domain(DomainError::Invalid(_)))
        ));
        assert_eq!(s.blobs(t.id).await.unwrap().len(), 1);
    }
}

/// A valid encoded trail ending 5 s after its start.
fn trail(outcome: char, visits: &str) -> String {
    format!("1|s=0|e=5000000|o={outcome}|n={visits}")
}
