//! Story tests for the advisors' forum in the store, on every available
//! backend (SQLite always, PostgreSQL when PLATEAU_TEST_DATABASE_URL is set).

#![allow(clippy::unwrap_used)] // a panic is how a test reports

use plateau_core::event::kind;
use plateau_core::forum::*;
use plateau_core::knowledge::{ArticleState, ProductKind};
use plateau_core::model::*;
use plateau_core::{DomainError, Timestamp};
use plateau_store::conversations::{CustomerRef, NewConversation};
use plateau_store::customers::NewCustomer;
use plateau_store::forum::*;
use plateau_store::knowledge::NewProduct;
use plateau_store::users::NewUser;
use plateau_store::{testing, Store, StoreError};
use serde_json::json;
use uuid::Uuid;

struct World {
    tenant: Uuid,
    other: Uuid,
    km: Uuid,
    ana: Uuid,
    bob: Uuid,
    cyd: Uuid,
    product: Uuid,
    team_a: Uuid,
}

async fn world(s: &Store) -> World {
    let t = s.create_tenant("orange", "Orange", None).await.unwrap();
    let o = s.create_tenant("seb", "Groupe SEB", None).await.unwrap();
    let site = s
        .create_site(t.id, "Lille", "FR", "Europe/Paris", None)
        .await
        .unwrap();
    let team_a = s
        .create_team(t.id, Some(site.id), "Fibre", Tier::N1, None)
        .await
        .unwrap();
    let team_b = s
        .create_team(t.id, Some(site.id), "Mobile", Tier::N1, None)
        .await
        .unwrap();
    let mut ids = Vec::new();
    for (email, name, role, team) in [
        ("km@o.fr", "Claire", Role::KnowledgeManager, None),
        ("ana@o.fr", "Ana", Role::Advisor, Some(team_a.id)),
        ("bob@o.fr", "Bob", Role::Advisor, Some(team_a.id)),
        ("cyd@o.fr", "Cyd", Role::Advisor, Some(team_b.id)),
    ] {
        let u = s
            .create_user(
                NewUser {
                    email,
                    display_name: name,
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
                role,
                team_id: team,
                site_id: Some(site.id),
            },
            None,
        )
        .await
        .unwrap();
        ids.push(u.id);
    }
    let product = s
        .create_product(
            t.id,
            &NewProduct {
                code: "livebox-5".into(),
                name: "Livebox 5".into(),
                kind: ProductKind::Product,
                attributes: json!({}),
                parent_id: None,
            },
            None,
        )
        .await
        .unwrap();
    World {
        tenant: t.id,
        other: o.id,
        km: ids[0],
        ana: ids[1],
        bob: ids[2],
        cyd: ids[3],
        product: product.id,
        team_a: team_a.id,
    }
}

async fn conversation(s: &Store, tenant: Uuid, email: &str) -> Conversation {
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
            subject: "Box qui redémarre".into(),
            channel: Channel::Phone,
            direction: Direction::Inbound,
            body: "Ma box redémarre toutes les heures depuis hier.".into(),
            priority: Priority::Normal,
            reason: Some("livebox-5".into()),
            tags: vec!["wifi".into()],
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

fn question(w: &World) -> NewThread {
    NewThread {
        title: "Livebox reboots every hour".into(),
        body: "Customer's box reboots hourly since the last firmware.".into(),
        product_id: Some(w.product),
        tags: vec!["Firmware".into(), "reboot".into()],
        conversation_id: None,
        customer_words: "ma box redémarre tout le temps".into(),
        tried: "Factory reset".into(),
    }
}

fn invalid_fields(e: StoreError) -> Vec<String> {
    match e {
        StoreError::Domain(DomainError::Invalid(errs)) => {
            errs.into_iter().map(|f| f.field).collect()
        }
        other => panic!("expected a validation error, got {other:?}"),
    }
}

fn is_conflict(e: &StoreError) -> bool {
    matches!(e, StoreError::Domain(DomainError::Conflict(_)))
}

#[tokio::test]
async fn threads_answers_edits_votes_and_notifications() {
    for db in testing::all().await.unwrap() {
        let (s, label) = (&db.store, db.label);
        let w = world(s).await;
        s.follow_forum(w.tenant, w.bob, &FollowTarget::Product(w.product))
            .await
            .unwrap();
        s.follow_forum(w.tenant, w.cyd, &FollowTarget::Tag("REBOOT".into()))
            .await
            .unwrap();
        // The author does not notify themself.
        s.follow_forum(w.tenant, w.ana, &FollowTarget::Tag("reboot".into()))
            .await
            .unwrap();
        assert!(s
            .follow_forum(w.tenant, w.bob, &FollowTarget::Tag("bad tag".into()))
            .await
            .is_err());

        let view = s
            .create_thread(w.tenant, &question(&w), w.ana)
            .await
            .unwrap();
        let t = &view.thread;
        assert_eq!(t.tags, vec!["firmware", "reboot"], "{label}");
        assert_eq!(t.status, ThreadStatus::Open);
        assert_eq!(t.author_name, "Ana");
        assert_eq!(view.posts.len(), 1);
        assert_eq!(view.posts[0].kind, PostKind::Question);

        let bob_notes = s
            .forum_notifications(w.tenant, w.bob, true, 50)
            .await
            .unwrap();
        assert_eq!(bob_notes.len(), 1, "{label}");
        assert_eq!(bob_notes[0].reason, "followed_product");
        let cyd_notes = s
            .forum_notifications(w.tenant, w.cyd, true, 50)
            .await
            .unwrap();
        assert_eq!(cyd_notes[0].reason, "followed_tag");
        assert!(s
            .forum_notifications(w.tenant, w.ana, true, 50)
            .await
            .unwrap()
            .is_empty());
        // One notification event per follower, naming them.
        let events = s.tenant_events(w.tenant, None, 50).await.unwrap();
        let mut recipients: Vec<Uuid> = events
            .iter()
            .filter(|e| e.kind == kind::FORUM_NOTIFICATION)
            .filter_map(|e| e.recipient())
            .collect();
        recipients.sort();
        let mut expected = vec![w.bob, w.cyd];
        expected.sort();
        assert_eq!(recipients, expected, "{label}");
        assert!(events.iter().any(|e| e.kind == kind::FORUM_THREAD_CREATED));
        assert_eq!(
            s.read_forum_notifications(w.tenant, w.bob, None)
                .await
                .unwrap(),
            1
        );
        assert!(s
            .forum_notifications(w.tenant, w.bob, true, 50)
            .await
            .unwrap()
            .is_empty());

        // Answers and comments; the asker hears about answers.
        let ans = s
            .add_forum_post(
                w.tenant,
                t.id,
                PostKind::Answer,
                None,
                "Downgrade the firmware.",
                w.bob,
            )
            .await
            .unwrap();
        let notes = s
            .forum_notifications(w.tenant, w.ana, true, 50)
            .await
            .unwrap();
        assert_eq!(notes.len(), 1);
        assert_eq!(notes[0].reason, "answer");
        s.add_forum_post(
            w.tenant,
            t.id,
            PostKind::Comment,
            Some(ans.id),
            "Worked for me too",
            w.cyd,
        )
        .await
        .unwrap();
        // A comment on a comment, or an answer with a parent, is refused.
        let comment = s.forum_thread(w.tenant, t.id, false).await.unwrap().posts[2].clone();
        assert!(s
            .add_forum_post(
                w.tenant,
                t.id,
                PostKind::Comment,
                Some(comment.id),
                "nested",
                w.ana
            )
            .await
            .is_err());
        let too_long = "x".repeat(MAX_BODY + 1);
        let err = s
            .add_forum_post(w.tenant, t.id, PostKind::Answer, None, &too_long, w.ana)
            .await
            .unwrap_err();
        assert_eq!(invalid_fields(err), vec!["body"]);
        assert_eq!(
            s.forum_thread(w.tenant, t.id, false)
                .await
                .unwrap()
                .posts
                .len(),
            3
        );

        // Edits keep every revision, and a question edit retitles the thread.
        let q = view.posts[0].id;
        s.edit_forum_post(
            w.tenant,
            q,
            Some("Livebox 5 reboots hourly"),
            "Reboots every hour.",
            w.ana,
        )
        .await
        .unwrap();
        let edited = s
            .edit_forum_post(w.tenant, q, None, "Reboots every 60 min.", w.km)
            .await
            .unwrap();
        assert_eq!(edited.revision, 3);
        let history = s.forum_post_history(w.tenant, q).await.unwrap();
        assert_eq!(history.len(), 3, "{label}");
        assert_eq!(history[0].body, question(&w).body);
        assert_eq!(
            history[1].title.as_deref(),
            Some("Livebox 5 reboots hourly")
        );
        assert_eq!(history[2].editor_id, Some(w.km));
        assert!(s
            .edit_forum_post(w.tenant, ans.id, Some("t"), "x", w.bob)
            .await
            .is_err());

        // Votes: once per user, never on one's own post.
        assert!(matches!(
            s.vote_forum_post(w.tenant, ans.id, w.bob).await,
            Err(StoreError::Domain(DomainError::Forbidden(_)))
        ));
        assert_eq!(
            s.vote_forum_post(w.tenant, ans.id, w.ana)
                .await
                .unwrap()
                .helpful_count,
            1
        );
        assert!(is_conflict(
            &s.vote_forum_post(w.tenant, ans.id, w.ana)
                .await
                .unwrap_err()
        ));

        // Acceptance and reuse.
        let th = s
            .accept_forum_answer(w.tenant, t.id, ans.id, w.ana)
            .await
            .unwrap();
        assert_eq!(th.status, ThreadStatus::Answered);
        assert!(s
            .accept_forum_answer(w.tenant, t.id, q, w.ana)
            .await
            .is_err());
        let conv = conversation(s, w.tenant, "jeanne@example.fr").await;
        let p = s
            .link_forum_reuse(w.tenant, ans.id, conv.id, w.cyd)
            .await
            .unwrap();
        assert_eq!(p.reuse_count, 1);
        assert!(p.accepted);
        assert_eq!(p.confidence(), Confidence::Accepted);
        assert!(is_conflict(
            &s.link_forum_reuse(w.tenant, ans.id, conv.id, w.cyd)
                .await
                .unwrap_err()
        ));

        // Lists filter by product, tag, status, text.
        let by = |f: ThreadFilter| async move {
            s.forum_threads(w.tenant, &ThreadFilter { limit: 50, ..f })
                .await
                .unwrap()
        };
        assert_eq!(
            by(ThreadFilter {
                product_id: Some(w.product),
                ..Default::default()
            })
            .await
            .len(),
            1
        );
        assert_eq!(
            by(ThreadFilter {
                tag: Some("Reboot".into()),
                ..Default::default()
            })
            .await
            .len(),
            1
        );
        assert_eq!(
            by(ThreadFilter {
                tag: Some("wifi".into()),
                ..Default::default()
            })
            .await
            .len(),
            0
        );
        assert_eq!(
            by(ThreadFilter {
                status: Some(ThreadStatus::Answered),
                ..Default::default()
            })
            .await
            .len(),
            1
        );
        assert_eq!(
            by(ThreadFilter {
                status: Some(ThreadStatus::Open),
                ..Default::default()
            })
            .await
            .len(),
            0
        );
        assert_eq!(
            by(ThreadFilter {
                text: Some("HOURLY livebox".into()),
                ..Default::default()
            })
            .await
            .len(),
            1
        );
        assert_eq!(
            by(ThreadFilter {
                text: Some("printer".into()),
                ..Default::default()
            })
            .await
            .len(),
            0
        );
        assert_eq!(
            by(ThreadFilter {
                text: Some("100%".into()),
                ..Default::default()
            })
            .await
            .len(),
            0
        );

        // Search finds the answer, labelled.
        let hits = s
            .search_forum_answers(w.tenant, "firmware downgrade", 10)
            .await
            .unwrap();
        assert_eq!(hits.len(), 1, "{label}");
        assert_eq!(hits[0].confidence, Confidence::Accepted);
        assert!(s
            .search_forum_answers(w.other, "firmware", 10)
            .await
            .unwrap()
            .is_empty());

        // Tenant isolation: another tenant sees nothing and cannot write.
        assert!(matches!(
            s.forum_thread(w.other, t.id, true).await,
            Err(StoreError::Domain(DomainError::NotFound(_)))
        ));
        assert!(s
            .forum_threads(
                w.other,
                &ThreadFilter {
                    limit: 10,
                    ..Default::default()
                }
            )
            .await
            .unwrap()
            .is_empty());
        assert!(s
            .add_forum_post(w.other, t.id, PostKind::Answer, None, "x", w.ana)
            .await
            .is_err());
        let mut foreign = question(&w);
        foreign.product_id = Some(w.product);
        let err = s.create_thread(w.other, &foreign, w.ana).await.unwrap_err();
        assert_eq!(invalid_fields(err), vec!["product_id"]);

        // Bad input changes nothing.
        let before = s.count_events().await.unwrap();
        let err = s
            .create_thread(
                w.tenant,
                &NewThread {
                    title: "".into(),
                    body: "b".into(),
                    tags: vec!["no spaces".into()],
                    ..Default::default()
                },
                w.ana,
            )
            .await
            .unwrap_err();
        assert_eq!(invalid_fields(err), vec!["title", "tags"]);
        assert_eq!(s.count_events().await.unwrap(), before);
    }
}

#[tokio::test]
async fn flags_hide_by_weight_and_moderators_decide() {
    for db in testing::all().await.unwrap() {
        let (s, label) = (&db.store, db.label);
        let w = world(s).await;
        let t = s
            .create_thread(w.tenant, &question(&w), w.ana)
            .await
            .unwrap()
            .thread;
        let ans = s
            .add_forum_post(
                w.tenant,
                t.id,
                PostKind::Answer,
                None,
                "Unplug it forever.",
                w.ana,
            )
            .await
            .unwrap();
        // Candidates weigh 1 each against a threshold of 4.
        for u in [w.bob, w.cyd] {
            let o = s
                .flag_forum_post(w.tenant, ans.id, u, false, FlagReason::Incorrect, "wrong")
                .await
                .unwrap();
            assert_eq!(o.flag.weight, 1);
            assert!(!o.hidden, "{label}");
        }
        assert!(is_conflict(
            &s.flag_forum_post(w.tenant, ans.id, w.bob, false, FlagReason::Outdated, "")
                .await
                .unwrap_err()
        ));
        let queue = s.forum_queue(w.tenant).await.unwrap();
        assert_eq!(queue.len(), 1);
        assert_eq!(queue[0].open_weight, 2);
        // A moderator's flag alone reaches the threshold.
        let o = s
            .flag_forum_post(w.tenant, ans.id, w.km, true, FlagReason::Inappropriate, "")
            .await
            .unwrap();
        assert_eq!(o.flag.weight, 4);
        assert!(o.hidden);
        // Hidden from non-moderators: absent from the thread and refused to flag.
        let visible = s.forum_thread(w.tenant, t.id, false).await.unwrap();
        assert!(visible.posts.iter().all(|p| p.id != ans.id), "{label}");
        assert_eq!(visible.thread.answer_count, 0);
        assert!(s
            .forum_thread(w.tenant, t.id, true)
            .await
            .unwrap()
            .posts
            .iter()
            .any(|p| p.id == ans.id));
        assert!(matches!(
            s.flag_forum_post(w.tenant, ans.id, w.ana, false, FlagReason::Duplicate, "")
                .await,
            Err(StoreError::Domain(DomainError::NotFound(_)))
        ));
        assert!(s
            .search_forum_answers(w.tenant, "unplug", 10)
            .await
            .unwrap()
            .is_empty());

        // Disagree restores it and closes the flags.
        let p = s
            .decide_forum_flags(w.tenant, ans.id, Decision::Disagree, w.km)
            .await
            .unwrap();
        assert!(!p.hidden);
        assert!(s.forum_queue(w.tenant).await.unwrap().is_empty());
        assert!(is_conflict(
            &s.decide_forum_flags(w.tenant, ans.id, Decision::Agree, w.km)
                .await
                .unwrap_err()
        ));
        let flags = s.forum_post_flags(w.tenant, ans.id).await.unwrap();
        assert!(flags.iter().all(|f| f.status == FlagStatus::Disagreed));
        assert_eq!(
            s.forum_contributions(w.tenant).await.unwrap()[&w.ana].confirmed_flags,
            0
        );

        // Flag again (a new open flag is allowed once the old one is closed),
        // and agree: it stays hidden and counts against the author.
        s.flag_forum_post(w.tenant, ans.id, w.bob, false, FlagReason::Incorrect, "")
            .await
            .unwrap();
        let p = s
            .decide_forum_flags(w.tenant, ans.id, Decision::Agree, w.km)
            .await
            .unwrap();
        assert!(p.hidden);
        assert_eq!(
            s.forum_contributions(w.tenant).await.unwrap()[&w.ana].confirmed_flags,
            1,
            "{label}"
        );
        let events = s.tenant_events(w.tenant, None, 100).await.unwrap();
        for k in [kind::FORUM_POST_HIDDEN, kind::FORUM_POST_RESTORED] {
            assert!(events.iter().any(|e| e.kind == k), "{k}");
        }
        // Hidden-post events never carry a body.
        assert!(events
            .iter()
            .filter(|e| e.kind == kind::FORUM_POST_HIDDEN)
            .all(|e| e.payload.get("body").is_none() && e.payload.get("excerpt").is_none()));

        // A hidden question hides its thread from non-moderators.
        let q = s.forum_thread(w.tenant, t.id, true).await.unwrap().posts[0].id;
        s.flag_forum_post(w.tenant, q, w.km, true, FlagReason::Duplicate, "")
            .await
            .unwrap();
        assert!(s.forum_thread(w.tenant, t.id, false).await.is_err());
        assert!(s
            .forum_threads(
                w.tenant,
                &ThreadFilter {
                    limit: 10,
                    ..Default::default()
                }
            )
            .await
            .unwrap()
            .is_empty());
        assert_eq!(
            s.forum_threads(
                w.tenant,
                &ThreadFilter {
                    limit: 10,
                    include_hidden: true,
                    ..Default::default()
                }
            )
            .await
            .unwrap()
            .len(),
            1
        );
        let p = s
            .decide_forum_flags(w.tenant, q, Decision::Ignore, w.km)
            .await
            .unwrap();
        assert!(!p.hidden);
        assert!(s.forum_thread(w.tenant, t.id, false).await.is_ok());
    }
}

#[tokio::test]
async fn promotion_is_one_transaction() {
    for db in testing::all().await.unwrap() {
        let (s, label) = (&db.store, db.label);
        let w = world(s).await;
        let t = s
            .create_thread(w.tenant, &question(&w), w.ana)
            .await
            .unwrap()
            .thread;
        let ans = s
            .add_forum_post(
                w.tenant,
                t.id,
                PostKind::Answer,
                None,
                "Roll back to firmware 4.2.",
                w.bob,
            )
            .await
            .unwrap();
        let req = PromoteRequest {
            post_id: ans.id,
            actor: w.km,
            require_verified: true,
            language: Language::En,
            back_link: format!("/forum/threads/{}", t.id),
        };
        // Not verified yet: refused, nothing written.
        let before = s.count_events().await.unwrap();
        assert!(is_conflict(
            &s.promote_forum_answer(w.tenant, &req).await.unwrap_err()
        ));
        assert_eq!(s.count_events().await.unwrap(), before);
        assert!(s
            .verify_forum_post(w.tenant, ans.id, &[], w.km)
            .await
            .is_err());
        let v = s
            .verify_forum_post(
                w.tenant,
                ans.id,
                &["Firmware release notes 4.3".into()],
                w.km,
            )
            .await
            .unwrap();
        assert_eq!(v.confidence(), Confidence::Verified);
        assert_eq!(v.sources, vec!["Firmware release notes 4.3"]);

        let pr = s.promote_forum_answer(w.tenant, &req).await.unwrap();
        let article = s.article(w.tenant, pr.article_id).await.unwrap();
        assert_eq!(article.state, ArticleState::Validated, "{label}");
        assert_eq!(article.content.title, t.title);
        assert_eq!(article.content.issue, "ma box redémarre tout le temps");
        assert_eq!(article.content.environment, "Livebox 5");
        assert!(article
            .content
            .resolution
            .contains("Roll back to firmware 4.2."));
        assert!(article.content.resolution.contains(&t.id.to_string()));
        assert_eq!(article.content.product_ids, vec![w.product]);
        assert_eq!(
            s.article_forum_thread(w.tenant, pr.article_id)
                .await
                .unwrap(),
            Some(t.id)
        );
        let credits = s.article_credits(w.tenant, pr.article_id).await.unwrap();
        let roles: Vec<(Uuid, &str)> = credits.iter().map(|(u, r)| (*u, r.as_str())).collect();
        assert_eq!(roles.len(), 3);
        assert!(roles.contains(&(w.bob, "answer")));
        assert!(roles.contains(&(w.ana, "question")));
        assert!(roles.contains(&(w.km, "verifier")));
        let th = s.forum_thread(w.tenant, t.id, false).await.unwrap().thread;
        assert_eq!(th.status, ThreadStatus::Promoted);
        assert_eq!(th.promoted_article_id, Some(pr.article_id));
        assert_eq!(
            s.forum_contributions(w.tenant).await.unwrap()[&w.bob].promotions,
            1
        );

        // A second promotion of the same thread fails and leaves no article.
        let ans2 = s
            .add_forum_post(
                w.tenant,
                t.id,
                PostKind::Answer,
                None,
                "Or replace the box.",
                w.cyd,
            )
            .await
            .unwrap();
        s.verify_forum_post(w.tenant, ans2.id, &["Ops".into()], w.km)
            .await
            .unwrap();
        let articles_before = s
            .article_forum_thread(w.tenant, pr.article_id)
            .await
            .unwrap();
        let err = s
            .promote_forum_answer(
                w.tenant,
                &PromoteRequest {
                    post_id: ans2.id,
                    ..req.clone()
                },
            )
            .await
            .unwrap_err();
        assert!(is_conflict(&err), "{label}");
        assert_eq!(
            s.article_forum_thread(w.tenant, pr.article_id)
                .await
                .unwrap(),
            articles_before
        );
        let th2 = s.forum_thread(w.tenant, t.id, false).await.unwrap().thread;
        assert_eq!(th2.promoted_article_id, Some(pr.article_id));

        // The digest lists only unvalidated answers, most reused first.
        let t2 = s
            .create_thread(w.tenant, &question(&w), w.cyd)
            .await
            .unwrap()
            .thread;
        let a = s
            .add_forum_post(w.tenant, t2.id, PostKind::Answer, None, "A", w.ana)
            .await
            .unwrap();
        let b = s
            .add_forum_post(w.tenant, t2.id, PostKind::Answer, None, "B", w.bob)
            .await
            .unwrap();
        let c1 = conversation(s, w.tenant, "c1@example.fr").await;
        s.link_forum_reuse(w.tenant, b.id, c1.id, w.cyd)
            .await
            .unwrap();
        s.vote_forum_post(w.tenant, a.id, w.cyd).await.unwrap();
        let digest = s
            .promotion_digest(w.tenant, Timestamp(0), 10)
            .await
            .unwrap();
        let ids: Vec<Uuid> = digest.iter().map(|c| c.post_id).collect();
        assert_eq!(ids, vec![b.id, a.id], "{label}");

        // Defects count distinct affected conversations, kept up to date.
        let th = s
            .set_forum_defect(w.tenant, t2.id, Some(("Sagemcom", "SAG-1234")), w.km)
            .await
            .unwrap();
        let d = th.defect.unwrap();
        assert_eq!(
            (d.escalated_to.as_str(), d.reference.as_str()),
            ("Sagemcom", "SAG-1234")
        );
        assert_eq!(d.affected_conversations, 1);
        s.mark_forum_affected(w.tenant, t2.id, c1.id, w.km)
            .await
            .unwrap();
        let c2 = conversation(s, w.tenant, "c2@example.fr").await;
        let th = s
            .mark_forum_affected(w.tenant, t2.id, c2.id, w.km)
            .await
            .unwrap();
        assert_eq!(th.defect.unwrap().affected_conversations, 2, "{label}");
        let c3 = conversation(s, w.tenant, "c3@example.fr").await;
        s.link_forum_reuse(w.tenant, a.id, c3.id, w.cyd)
            .await
            .unwrap();
        let defects = s
            .forum_threads(
                w.tenant,
                &ThreadFilter {
                    defect: Some(true),
                    limit: 10,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(defects.len(), 1);
        assert_eq!(
            defects[0].defect.as_ref().unwrap().affected_conversations,
            3
        );
        assert!(s
            .set_forum_defect(w.tenant, t2.id, Some((" ", "")), w.km)
            .await
            .is_err());
        let cleared = s
            .set_forum_defect(w.tenant, t2.id, None, w.km)
            .await
            .unwrap();
        assert!(cleared.defect.is_none());
        let other_conv = conversation(s, w.other, "x@example.fr").await;
        assert!(s
            .mark_forum_affected(w.tenant, t2.id, other_conv.id, w.km)
            .await
            .is_err());
    }
}

#[tokio::test]
async fn recognition_levels_badges_leaderboard_and_settings() {
    for db in testing::all().await.unwrap() {
        let (s, label) = (&db.store, db.label);
        let w = world(s).await;
        let t = s
            .create_thread(w.tenant, &question(&w), w.cyd)
            .await
            .unwrap()
            .thread;
        let ans = s
            .add_forum_post(
                w.tenant,
                t.id,
                PostKind::Answer,
                None,
                "Change the channel.",
                w.ana,
            )
            .await
            .unwrap();
        s.vote_forum_post(w.tenant, ans.id, w.bob).await.unwrap();
        s.vote_forum_post(w.tenant, ans.id, w.cyd).await.unwrap();
        s.accept_forum_answer(w.tenant, t.id, ans.id, w.cyd)
            .await
            .unwrap();
        let r = s.forum_recognition(w.tenant, w.ana).await.unwrap();
        assert_eq!(r.contribution.answers, 1);
        assert_eq!(r.contribution.helpful_votes, 2);
        assert_eq!(r.contribution.accepted, 1);
        // 1 post + 2 answer + 2×3 votes + 10 accepted.
        assert_eq!(r.score, 19, "{label}");
        assert_eq!(r.level, Level::Candidate);
        assert_eq!(
            r.badges.iter().map(|b| b.key.as_str()).collect::<Vec<_>>(),
            vec!["first-answer"]
        );

        // Settings: validated, then used for levels and flag weights.
        let bad = ForumSettings {
            hide_threshold: 0,
            ..Default::default()
        };
        assert!(s
            .set_forum_settings(w.tenant, &bad, Some(w.km))
            .await
            .is_err());
        assert_eq!(
            s.forum_settings(w.tenant).await.unwrap(),
            ForumSettings::default()
        );
        let cfg = ForumSettings {
            levels: LevelThresholds {
                contributor: 10,
                publisher: 19,
            },
            hide_threshold: 3,
            ..Default::default()
        };
        s.set_forum_settings(w.tenant, &cfg, Some(w.km))
            .await
            .unwrap();
        assert_eq!(s.forum_settings(w.tenant).await.unwrap().hide_threshold, 3);
        assert_eq!(
            s.forum_settings(w.other).await.unwrap(),
            ForumSettings::default()
        );
        assert_eq!(
            s.forum_recognition(w.tenant, w.ana).await.unwrap().level,
            Level::Publisher
        );
        // A publisher's flag weighs 3, which is now the threshold.
        let q = s.forum_thread(w.tenant, t.id, false).await.unwrap().posts[0].id;
        let o = s
            .flag_forum_post(w.tenant, q, w.ana, false, FlagReason::Duplicate, "")
            .await
            .unwrap();
        assert_eq!(o.flag.weight, 3, "{label}");
        assert!(o.hidden);

        let board = s.forum_leaderboard(w.tenant, LeaderBy::Team).await.unwrap();
        assert_eq!(board[0].group_id, Some(w.team_a), "{label}");
        assert_eq!(board[0].name, "Fibre");
        assert_eq!(board[0].members[0].user_id, w.ana);
        assert_eq!(board[0].total_score, 19);
        let sites = s.forum_leaderboard(w.tenant, LeaderBy::Site).await.unwrap();
        assert_eq!(sites.len(), 1);
        assert_eq!(sites[0].name, "Lille");
        assert_eq!(sites[0].members.len(), 4);
    }
}

#[tokio::test]
async fn prefill_from_a_conversation() {
    for db in testing::all().await.unwrap() {
        let (s, label) = (&db.store, db.label);
        let w = world(s).await;
        let c = conversation(s, w.tenant, "p@example.fr").await;
        let p = s.forum_prefill(w.tenant, c.number).await.unwrap();
        assert_eq!(
            p.customer_words, "Ma box redémarre toutes les heures depuis hier.",
            "{label}"
        );
        assert_eq!(p.product_id, Some(w.product));
        assert_eq!(p.title, "Box qui redémarre");
        assert_eq!(p.tags, vec!["wifi"]);
        assert!(s.forum_prefill(w.other, c.number).await.is_err());
    }
}
