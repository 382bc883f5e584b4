//! The search indexer on a real index directory: it resumes from the
//! checkpoint committed with the documents, never misses or duplicates what
//! was written while it was down, and a rebuild yields the same index.

use plateau_search::{Index, SearchRequest};
use plateau_store::conversations::{CustomerRef, NewConversation};
use plateau_store::customers::NewCustomer;
use plateau_store::testing;
use plateau_web::indexer::{catch_up, rebuild};

use plateau_core::model::*;

fn conv(i: usize) -> NewConversation {
    NewConversation {
        customer: CustomerRef::New(NewCustomer {
            name: format!("Client {i}"),
            profile: CustomerProfile {
                age_band: None,
                tech_appetite: None,
                value_tier: None,
                contract_tier: ContractTier::Standard,
                language: Language::Fr,
                preferred_channel: None,
            },
            identities: vec![(IdentityKind::Email, format!("c{i}@ex.fr"))],
        }),
        subject: format!("Facture {i}"),
        channel: Channel::Email,
        direction: Direction::Inbound,
        body: format!("Ma facture numéro {i} est fausse, prélèvement en double."),
        priority: Priority::Normal,
        reason: None,
        tags: vec![],
        team_id: None,
        assignee_id: None,
        language: None,
        attachments: vec![],
        at: None,
    }
}

fn count(index: &Index, tenant: uuid::Uuid, q: &str) -> usize {
    index
        .search(&SearchRequest::new(tenant, q).limit(100))
        .unwrap()
        .total
}

#[tokio::test]
async fn the_index_resumes_from_its_checkpoint_and_rebuilds_identically() {
    for db in testing::all().await.unwrap() {
        let s = &db.store;
        let l = db.label;
        let t = s.create_tenant("acme", "Acme", None).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        for i in 0..5 {
            s.create_conversation(t.id, conv(i), None).await.unwrap();
        }
        {
            let index = Index::open_or_create(dir.path()).unwrap();
            // On PostgreSQL events become readable only once older transactions
            // in the cluster end (other tests run beside this one): poll.
            settle(s, &index).await;
            assert_eq!(count(&index, t.id, "prelevements doubles"), 5, "{l}");
            assert_eq!(
                index.num_docs(),
                10,
                "{l}: a conversation and a message each"
            );
            // Written while the indexer is down (the server stopped or crashed).
            for i in 0..3 {
                s.create_conversation(t.id, conv(100 + i), None)
                    .await
                    .unwrap();
            }
        }
        let reopened = Index::open_or_create(dir.path()).unwrap();
        // "facture" is in each conversation's subject and its first message.
        assert_eq!(
            count(&reopened, t.id, "facture"),
            10,
            "{l}: the committed work is there"
        );
        // Resuming applies what was written meanwhile. On PostgreSQL an event
        // becomes readable only once every older transaction in the cluster has
        // ended (other tests run beside this one), so poll like the server does.
        settle(s, &reopened).await;
        assert_eq!(count(&reopened, t.id, "facture"), 16, "{l}");
        assert_eq!(reopened.num_docs(), 16, "{l}: upserts never duplicate");
        // Nothing new: a pass reads nothing and changes nothing.
        assert_eq!(catch_up(s, &reopened).await.unwrap(), 0, "{l}");
        drop(reopened);

        let fresh = tempfile::tempdir().unwrap();
        let rebuilt = Index::open_or_create(fresh.path()).unwrap();
        assert_eq!(rebuild(s, &rebuilt, &()).await.unwrap(), 16, "{l}");
        assert_eq!(rebuilt.num_docs(), 16, "{l}");
        assert_eq!(count(&rebuilt, t.id, "facture"), 16, "{l}");
        settle(s, &rebuilt).await;
        assert_eq!(
            rebuilt.num_docs(),
            16,
            "{l}: the catch-up after a rebuild duplicates nothing"
        );
    }
}

/// Runs indexer passes until the index's checkpoint reaches the last event.
async fn settle(s: &plateau_store::Store, index: &Index) {
    let last = s.last_event_id().await.unwrap();
    for _ in 0..200 {
        catch_up(s, index).await.unwrap();
        if index.checkpoint().unwrap() == Some(last) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the index never caught up with event {last}");
}
