//! Story tests for the knowledge base's store, run on every available backend
//! (SQLite always, PostgreSQL when PLATEAU_TEST_DATABASE_URL is set).

#![allow(clippy::unwrap_used)] // a panic is how a test reports

use plateau_core::event::kind;
use plateau_core::knowledge::*;
use plateau_core::model::*;
use plateau_core::{DomainError, Timestamp};
use plateau_store::conversations::{Cursor, CustomerRef, NewConversation, NewMessage};
use plateau_store::customers::NewCustomer;
use plateau_store::knowledge::*;
use plateau_store::users::NewUser;
use plateau_store::{testing, Store, StoreError};
use serde_json::json;
use uuid::Uuid;

struct World {
    tenant: Uuid,
    other: Uuid,
    km: Uuid,
    advisor: Uuid,
}

async fn world(s: &Store) -> World {
    let t = s.create_tenant("sosh", "Sosh", None).await.unwrap();
    let o = s.create_tenant("seb", "Groupe SEB", None).await.unwrap();
    let mut ids = Vec::new();
    for (email, name, role) in [
        ("claire@sosh.fr", "Claire", Role::KnowledgeManager),
        ("karim@sosh.fr", "Karim", Role::Advisor),
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
                team_id: None,
                site_id: None,
            },
            None,
        )
        .await
        .unwrap();
        ids.push(u.id);
    }
    World {
        tenant: t.id,
        other: o.id,
        km: ids[0],
        advisor: ids[1],
    }
}

fn slow_internet() -> ArticleContent {
    ArticleContent {
        title: "Connexion internet lente le soir".into(),
        issue: "Ma connexion rame tous les soirs vers 21 h, les vidéos se coupent.".into(),
        environment: "Livebox 5, fibre, Wi-Fi 5 GHz".into(),
        resolution: String::new(),
        cause: String::new(),
        tags: vec!["Fibre".into(), "wifi".into()],
        product_ids: vec![],
        language: Language::Fr,
    }
}

fn new_article(content: ArticleContent) -> NewArticle {
    NewArticle {
        content,
        state: ArticleState::WorkInProgress,
        audience: Audience::Internal,
        note: "Capturé pendant l'appel".into(),
    }
}

fn box_fibre() -> NewProduct {
    NewProduct {
        code: "Livebox-5".into(),
        name: "Livebox 5".into(),
        kind: ProductKind::Product,
        attributes: json!({"débit": "2 Gb/s", "wifi": "5"}),
        parent_id: None,
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
            subject: "Internet lent".into(),
            channel: Channel::Chat,
            direction: Direction::Inbound,
            body: "Bonjour, ma connexion rame depuis hier soir.".into(),
            priority: Priority::Normal,
            reason: None,
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

fn invalid_fields(e: StoreError) -> Vec<String> {
    match e {
        StoreError::Domain(DomainError::Invalid(errs)) => {
            errs.into_iter().map(|e| e.field).collect()
        }
        other => panic!("expected a validation error, got {other:?}"),
    }
}

fn is_conflict(e: &StoreError) -> bool {
    matches!(e, StoreError::Domain(DomainError::Conflict(_)))
}

fn is_not_found(e: &StoreError) -> bool {
    matches!(e, StoreError::Domain(DomainError::NotFound(_)))
}

#[tokio::test]
async fn products_form_a_catalogue_per_tenant() {
    for db in testing::all().await.unwrap() {
        let (s, label) = (&db.store, db.label);
        let w = world(s).await;
        let boxp = s
            .create_product(w.tenant, &box_fibre(), Some(w.km))
            .await
            .unwrap();
        assert_eq!(boxp.code, "livebox-5", "{label}");
        let offer = s
            .create_product(
                w.tenant,
                &NewProduct {
                    code: "fibre-300".into(),
                    name: "Offre Fibre 300 Mb/s".into(),
                    kind: ProductKind::Offer,
                    attributes: json!({"prix": 29.99, "engagement_mois": 12}),
                    parent_id: Some(boxp.id),
                },
                Some(w.km),
            )
            .await
            .unwrap();
        assert_eq!(offer.attributes["engagement_mois"], 12);

        // Bad input: every bad field named, nothing written.
        let events = s.count_events().await.unwrap();
        let err = s
            .create_product(
                w.tenant,
                &NewProduct {
                    code: "box fibre".into(),
                    name: " ".into(),
                    kind: ProductKind::Product,
                    attributes: json!([1, 2]),
                    parent_id: None,
                },
                None,
            )
            .await
            .unwrap_err();
        assert_eq!(invalid_fields(err), vec!["code", "name", "attributes"]);
        let dup = s
            .create_product(w.tenant, &box_fibre(), None)
            .await
            .unwrap_err();
        assert_eq!(invalid_fields(dup), vec!["code"]);
        // Another tenant's product cannot be a parent; the same code is free there.
        let elsewhere = s.create_product(w.other, &box_fibre(), None).await.unwrap();
        let mut child = box_fibre();
        child.code = "enfant".into();
        child.parent_id = Some(elsewhere.id);
        assert_eq!(
            invalid_fields(s.create_product(w.tenant, &child, None).await.unwrap_err()),
            vec!["parent_id"]
        );
        assert_eq!(s.count_events().await.unwrap(), events + 1, "{label}");

        // A product cannot become its own ancestor.
        let mut cyc = box_fibre();
        cyc.parent_id = Some(offer.id);
        assert_eq!(
            invalid_fields(
                s.update_product(w.tenant, boxp.id, &cyc, None)
                    .await
                    .unwrap_err()
            ),
            vec!["parent_id"]
        );
        let mut renamed = box_fibre();
        renamed.name = "Livebox 5 (2024)".into();
        let after = s
            .update_product(w.tenant, boxp.id, &renamed, Some(w.km))
            .await
            .unwrap();
        assert_eq!(after.name, "Livebox 5 (2024)");
        assert_eq!(
            s.product(w.tenant, boxp.id).await.unwrap().name,
            "Livebox 5 (2024)"
        );
        assert_eq!(
            s.product_by_code(w.tenant, "FIBRE-300").await.unwrap().id,
            offer.id
        );
        let codes: Vec<String> = s
            .products(w.tenant)
            .await
            .unwrap()
            .into_iter()
            .map(|p| p.code)
            .collect();
        assert_eq!(codes, vec!["fibre-300", "livebox-5"]);
        assert!(is_not_found(
            &s.product(w.other, boxp.id).await.unwrap_err()
        ));
        let kinds: Vec<String> = s
            .subject_events(w.tenant, boxp.id)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect();
        assert_eq!(kinds, vec![kind::PRODUCT_CREATED, kind::PRODUCT_UPDATED]);
    }
}

#[tokio::test]
async fn article_lifecycle_keeps_every_version_and_refuses_lost_updates() {
    for db in testing::all().await.unwrap() {
        let (s, label) = (&db.store, db.label);
        let w = world(s).await;
        let p = s
            .create_product(w.tenant, &box_fibre(), None)
            .await
            .unwrap();
        let mut content = slow_internet();
        content.product_ids = vec![p.id, p.id];
        let a = s
            .create_article(w.tenant, &new_article(content.clone()), Some(w.advisor))
            .await
            .unwrap();
        assert_eq!((a.number, a.version), (1, 1), "{label}");
        assert_eq!(a.content.tags, vec!["fibre", "wifi"]);
        assert_eq!(a.content.product_ids, vec![p.id]);
        let b = s
            .create_article(w.tenant, &new_article(slow_internet()), None)
            .await
            .unwrap();
        assert_eq!(b.number, 2);
        assert_eq!(s.article_by_number(w.tenant, 1).await.unwrap().id, a.id);

        // Validating needs a resolution: refused, and the article is unchanged.
        let err = s
            .change_article_state(w.tenant, a.id, 1, ArticleState::Validated, Some(w.km))
            .await
            .unwrap_err();
        assert_eq!(invalid_fields(err), vec!["resolution"]);

        // The advisor completes it (version 2).
        content.resolution = "Redémarrer la Livebox.\nPasser le Wi-Fi sur le canal 36.".into();
        let edit = ArticleEdit {
            content: content.clone(),
            audience: Audience::Internal,
            note: "Ajout de la résolution".into(),
        };
        let a2 = s
            .update_article(w.tenant, a.id, 1, &edit, Some(w.advisor))
            .await
            .unwrap();
        assert_eq!(a2.version, 2);
        // Someone who started from version 1 too is told, not overwritten.
        let stale = s
            .update_article(w.tenant, a.id, 1, &edit, Some(w.km))
            .await
            .unwrap_err();
        assert!(is_conflict(&stale), "{label}: {stale:?}");
        // Saving the same content again writes nothing.
        let events = s.count_events().await.unwrap();
        let same = s
            .update_article(w.tenant, a.id, 2, &edit, Some(w.advisor))
            .await
            .unwrap();
        assert_eq!(same.version, 2);
        assert_eq!(s.count_events().await.unwrap(), events);

        // Validate version 2; a stale version or an impossible move is refused.
        assert!(is_conflict(
            &s.change_article_state(w.tenant, a.id, 1, ArticleState::Validated, Some(w.km))
                .await
                .unwrap_err()
        ));
        let v = s
            .change_article_state(w.tenant, a.id, 2, ArticleState::Validated, Some(w.km))
            .await
            .unwrap();
        assert_eq!(v.state, ArticleState::Validated);
        assert_eq!(
            invalid_fields(
                s.change_article_state(w.tenant, a.id, 2, ArticleState::WorkInProgress, None)
                    .await
                    .unwrap_err()
            ),
            vec!["state"]
        );
        // A validated article still needs its issue on edit.
        let mut blank = edit.clone();
        blank.content.issue = String::new();
        assert_eq!(
            invalid_fields(
                s.update_article(w.tenant, a.id, 2, &blank, None)
                    .await
                    .unwrap_err()
            ),
            vec!["issue"]
        );

        // Version 3 goes public; history and diff.
        let mut public = edit.clone();
        public.audience = Audience::Public;
        public.content.cause = "Interférences avec les réseaux voisins.".into();
        public.note = "Publié sur le centre d'aide".into();
        let a3 = s
            .update_article(w.tenant, a.id, 2, &public, Some(w.km))
            .await
            .unwrap();
        assert_eq!(
            (a3.version, a3.state, a3.audience),
            (3, ArticleState::Validated, Audience::Public)
        );
        let versions = s.article_versions(w.tenant, a.id).await.unwrap();
        assert_eq!(
            versions.iter().map(|v| v.version).collect::<Vec<_>>(),
            vec![3, 2, 1]
        );
        assert_eq!(versions[2].note, "Capturé pendant l'appel");
        assert_eq!(versions[2].author_id, Some(w.advisor));
        assert_eq!(versions[0].content.product_ids, vec![p.id]);
        let v1 = s.article_version(w.tenant, a.id, 1).await.unwrap();
        let d = diff_article_versions(&v1, &versions[0]);
        let fields: Vec<&str> = d.iter().map(|f| f.field).collect();
        assert_eq!(fields, vec!["resolution", "cause", "state", "audience"]);
        assert_eq!(diff_new_text(&d[0].lines), versions[0].content.resolution);

        let kinds: Vec<String> = s
            .subject_events(w.tenant, a.id)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect();
        assert_eq!(
            kinds,
            vec![
                kind::ARTICLE_CREATED,
                kind::ARTICLE_UPDATED,
                kind::ARTICLE_STATE_CHANGED,
                kind::ARTICLE_UPDATED
            ]
        );
        let last = s
            .subject_events(w.tenant, a.id)
            .await
            .unwrap()
            .pop()
            .unwrap();
        assert_eq!(last.payload["changed"], json!(["cause", "audience"]));
        assert!(!last.is_internal());
        let first = s.subject_events(w.tenant, a.id).await.unwrap().remove(0);
        assert!(
            first.is_internal(),
            "an internal article's event is internal"
        );

        // Bad input on creation: every field, nothing written.
        let events = s.count_events().await.unwrap();
        let mut bad = slow_internet();
        bad.title = String::new();
        bad.tags = vec!["a,b".into()];
        bad.product_ids = vec![Uuid::now_v7()];
        let mut na = new_article(bad);
        na.state = ArticleState::Validated;
        assert_eq!(
            invalid_fields(s.create_article(w.tenant, &na, None).await.unwrap_err()),
            vec!["title", "tags", "resolution"]
        );
        let mut unknown_product = slow_internet();
        unknown_product.product_ids = vec![
            s.create_product(w.other, &box_fibre(), None)
                .await
                .unwrap()
                .id,
        ];
        let events = events + 1;
        assert_eq!(
            invalid_fields(
                s.create_article(w.tenant, &new_article(unknown_product), None)
                    .await
                    .unwrap_err()
            ),
            vec!["product_ids"]
        );
        assert_eq!(s.count_events().await.unwrap(), events, "{label}");
        assert!(s.article_by_number(w.tenant, 3).await.is_err());

        // Another tenant sees none of it.
        assert!(is_not_found(&s.article(w.other, a.id).await.unwrap_err()));
        assert!(is_not_found(
            &s.article_versions(w.other, a.id).await.unwrap_err()
        ));
        assert!(is_not_found(
            &s.update_article(w.other, a.id, 3, &public, None)
                .await
                .unwrap_err()
        ));
        assert!(s
            .articles(w.other, &ArticleFilter::default(), None, 50)
            .await
            .unwrap()
            .items
            .is_empty());
    }
}

// Several worker threads, so that edits really overlap between their read
// and their guarded write.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_edits_of_one_version_let_exactly_one_win() {
    for db in testing::all().await.unwrap() {
        let s = &db.store;
        let w = world(s).await;
        let a = s
            .create_article(w.tenant, &new_article(slow_internet()), None)
            .await
            .unwrap();
        let edits: Vec<_> = (0..16)
            .map(|i| {
                let s = s.clone();
                let mut content = slow_internet();
                content.cause = format!("Cause numéro {i}");
                tokio::spawn(async move {
                    s.update_article(
                        w.tenant,
                        a.id,
                        1,
                        &ArticleEdit {
                            content,
                            audience: Audience::Internal,
                            note: String::new(),
                        },
                        None,
                    )
                    .await
                })
            })
            .collect();
        let mut won = 0;
        for e in edits {
            match e.await.unwrap() {
                Ok(a) => {
                    won += 1;
                    assert_eq!(a.version, 2);
                }
                Err(e) => assert!(is_conflict(&e), "{e:?}"),
            }
        }
        assert_eq!(won, 1, "{}", db.label);
        assert_eq!(s.article_versions(w.tenant, a.id).await.unwrap().len(), 2);

        // Concurrent creations get distinct numbers without gaps.
        let creations: Vec<_> = (0..8)
            .map(|_| {
                let s = s.clone();
                tokio::spawn(async move {
                    s.create_article(w.tenant, &new_article(slow_internet()), None)
                        .await
                })
            })
            .collect();
        let mut numbers = Vec::new();
        for c in creations {
            numbers.push(c.await.unwrap().unwrap().number);
        }
        numbers.sort();
        assert_eq!(numbers, (2..=9).collect::<Vec<i64>>(), "{}", db.label);
    }
}

#[tokio::test]
async fn article_lists_filter_and_page_without_gaps() {
    for db in testing::all().await.unwrap() {
        let (s, label) = (&db.store, db.label);
        let w = world(s).await;
        let p = s
            .create_product(w.tenant, &box_fibre(), None)
            .await
            .unwrap();
        let mut ids = Vec::new();
        for i in 0..7 {
            let mut c = slow_internet();
            c.title = format!("Article {i}");
            c.language = if i % 2 == 0 {
                Language::Fr
            } else {
                Language::En
            };
            c.tags = if i < 3 {
                vec!["facture".into()]
            } else {
                vec!["fibre".into()]
            };
            if i == 4 {
                c.product_ids = vec![p.id];
            }
            let mut na = new_article(c);
            if i == 5 {
                na.audience = Audience::Public;
            }
            ids.push(s.create_article(w.tenant, &na, None).await.unwrap().id);
        }
        let count = |f: ArticleFilter| async move {
            s.articles(w.tenant, &f, None, 100)
                .await
                .unwrap()
                .items
                .len()
        };
        assert_eq!(
            count(ArticleFilter {
                language: Some(Language::En),
                ..Default::default()
            })
            .await,
            3
        );
        assert_eq!(
            count(ArticleFilter {
                tag: Some("Facture".into()),
                ..Default::default()
            })
            .await,
            3
        );
        assert_eq!(
            count(ArticleFilter {
                product_id: Some(p.id),
                ..Default::default()
            })
            .await,
            1
        );
        assert_eq!(
            count(ArticleFilter {
                audiences: vec![Audience::Partner, Audience::Public],
                ..Default::default()
            })
            .await,
            1
        );
        assert_eq!(
            count(ArticleFilter {
                states: vec![ArticleState::Validated],
                ..Default::default()
            })
            .await,
            0
        );

        let mut seen = Vec::new();
        let mut cursor: Option<Cursor> = None;
        loop {
            let page = s
                .articles(w.tenant, &ArticleFilter::default(), cursor, 3)
                .await
                .unwrap();
            seen.extend(page.items.iter().map(|a| a.id));
            assert!(
                page.items.iter().all(|a| !a.content.tags.is_empty()),
                "{label}: tags filled"
            );
            match page.next_cursor {
                Some(c) => cursor = Some(Cursor::decode(&c).unwrap()),
                None => break,
            }
        }
        ids.reverse();
        assert_eq!(seen, ids, "{label}: newest first, each once");
    }
}

#[tokio::test]
async fn translations_link_one_article_per_language() {
    for db in testing::all().await.unwrap() {
        let s = &db.store;
        let w = world(s).await;
        let fr = s
            .create_article(w.tenant, &new_article(slow_internet()), None)
            .await
            .unwrap();
        let mut en_c = slow_internet();
        en_c.title = "Slow internet in the evening".into();
        en_c.issue = "My connection crawls every evening".into();
        en_c.language = Language::En;
        let en = s
            .create_article(w.tenant, &new_article(en_c), None)
            .await
            .unwrap();
        let fr2 = s
            .create_article(w.tenant, &new_article(slow_internet()), None)
            .await
            .unwrap();

        let g = s
            .link_translation(w.tenant, fr.id, en.id, Some(w.km))
            .await
            .unwrap();
        assert_eq!(
            s.article(w.tenant, en.id).await.unwrap().translation_group,
            Some(g)
        );
        let t: Vec<Uuid> = s
            .translations(w.tenant, fr.id)
            .await
            .unwrap()
            .into_iter()
            .map(|a| a.id)
            .collect();
        assert_eq!(t, vec![en.id]);
        // Linking is idempotent; a second French article is refused.
        assert_eq!(
            s.link_translation(w.tenant, en.id, fr.id, None)
                .await
                .unwrap(),
            g
        );
        assert_eq!(
            invalid_fields(
                s.link_translation(w.tenant, en.id, fr2.id, None)
                    .await
                    .unwrap_err()
            ),
            vec!["translation_id"]
        );
        // Turning the English one French would break the rule too.
        let mut now_fr = s.article(w.tenant, en.id).await.unwrap().content;
        now_fr.language = Language::Fr;
        let edit = ArticleEdit {
            content: now_fr,
            audience: Audience::Internal,
            note: String::new(),
        };
        assert_eq!(
            invalid_fields(
                s.update_article(w.tenant, en.id, 1, &edit, None)
                    .await
                    .unwrap_err()
            ),
            vec!["language"]
        );
        // Other tenants cannot reach in.
        assert!(is_not_found(
            &s.link_translation(w.other, fr.id, en.id, None)
                .await
                .unwrap_err()
        ));
        // Unlinking one of two dissolves the group.
        s.unlink_translation(w.tenant, fr.id, None).await.unwrap();
        assert_eq!(
            s.article(w.tenant, en.id).await.unwrap().translation_group,
            None
        );
        assert!(s.translations(w.tenant, en.id).await.unwrap().is_empty());
        s.link_translation(w.tenant, fr2.id, en.id, None)
            .await
            .unwrap();
        let kinds: Vec<String> = s
            .subject_events(w.tenant, fr.id)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect();
        assert_eq!(
            kinds,
            vec![
                kind::ARTICLE_CREATED,
                kind::ARTICLE_TRANSLATION_LINKED,
                kind::ARTICLE_TRANSLATION_UNLINKED
            ]
        );
    }
}

#[tokio::test]
async fn links_count_reuse_once_per_conversation() {
    for db in testing::all().await.unwrap() {
        let (s, label) = (&db.store, db.label);
        let w = world(s).await;
        let a = s
            .create_article(w.tenant, &new_article(slow_internet()), None)
            .await
            .unwrap();
        let c1 = conversation(s, w.tenant, "jeanne@example.fr").await;
        let c2 = conversation(s, w.tenant, "paul@example.fr").await;
        let q = s
            .record_search(
                w.tenant,
                &NewSearch {
                    user_id: Some(w.advisor),
                    query: "connexion rame".into(),
                    language: Some(Language::Fr),
                    surface: SearchSurface::Desk,
                    result_count: 1,
                    result_article_ids: vec![a.id],
                    at: None,
                },
            )
            .await
            .unwrap();
        assert!(s
            .link_article(w.tenant, c1.id, a.id, Some(q), Some(w.advisor))
            .await
            .unwrap());
        assert!(!s
            .link_article(w.tenant, c1.id, a.id, None, Some(w.advisor))
            .await
            .unwrap());
        assert!(s
            .link_article(w.tenant, c2.id, a.id, None, Some(w.km))
            .await
            .unwrap());
        assert_eq!(
            s.article(w.tenant, a.id).await.unwrap().reuse_count,
            2,
            "{label}"
        );
        let links = s.conversation_articles(w.tenant, c1.id).await.unwrap();
        assert_eq!(links.len(), 1);
        assert_eq!(links[0].article.id, a.id);
        assert_eq!(links[0].search_query_id, Some(q));
        assert_eq!(links[0].linked_by, Some(w.advisor));
        let convs: Vec<Uuid> = s
            .article_conversations(w.tenant, a.id, 10)
            .await
            .unwrap()
            .into_iter()
            .map(|l| l.conversation_id)
            .collect();
        assert_eq!(convs, vec![c2.id, c1.id]);

        assert!(s.unlink_article(w.tenant, c2.id, a.id, None).await.unwrap());
        assert!(!s.unlink_article(w.tenant, c2.id, a.id, None).await.unwrap());
        assert_eq!(s.article(w.tenant, a.id).await.unwrap().reuse_count, 1);
        assert_eq!(
            s.link_rate(w.tenant, Timestamp(0), Timestamp(i64::MAX))
                .await
                .unwrap(),
            LinkRate {
                conversations: 2,
                with_article: 1
            }
        );
        // Archived knowledge is not reused.
        let old = s
            .create_article(w.tenant, &new_article(slow_internet()), None)
            .await
            .unwrap();
        s.change_article_state(w.tenant, old.id, 1, ArticleState::Archived, Some(w.km))
            .await
            .unwrap();
        assert_eq!(
            invalid_fields(
                s.link_article(w.tenant, c2.id, old.id, None, None)
                    .await
                    .unwrap_err()
            ),
            vec!["article_id"]
        );
        // Search hits come back in the asked order, foreign or stale ids skipped.
        let hits: Vec<Uuid> = s
            .articles_by_ids(w.tenant, &[old.id, Uuid::now_v7(), a.id])
            .await
            .unwrap()
            .into_iter()
            .map(|a| a.id)
            .collect();
        assert_eq!(hits, vec![old.id, a.id]);
        assert!(s
            .articles_by_ids(w.other, &[a.id])
            .await
            .unwrap()
            .is_empty());
        let kinds: Vec<String> = s
            .subject_events(w.tenant, a.id)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect();
        assert_eq!(
            kinds,
            vec![
                kind::ARTICLE_CREATED,
                kind::ARTICLE_LINKED,
                kind::ARTICLE_LINKED,
                kind::ARTICLE_UNLINKED
            ]
        );
        let linked = &s.subject_events(w.tenant, a.id).await.unwrap()[1];
        assert_eq!(linked.payload["conversation_id"], json!(c1.id));
        assert_eq!(linked.payload["reuse_count"], 1);

        // Ids from another tenant are refused and nothing is written.
        let theirs = conversation(s, w.other, "x@example.fr").await;
        let events = s.count_events().await.unwrap();
        assert_eq!(
            invalid_fields(
                s.link_article(w.tenant, theirs.id, a.id, None, None)
                    .await
                    .unwrap_err()
            ),
            vec!["conversation_id"]
        );
        assert!(is_not_found(
            &s.link_article(w.other, theirs.id, a.id, None, None)
                .await
                .unwrap_err()
        ));
        assert_eq!(
            invalid_fields(
                s.link_article(w.tenant, c2.id, a.id, Some(Uuid::now_v7()), None)
                    .await
                    .unwrap_err()
            ),
            vec!["search_query_id"]
        );
        assert_eq!(s.count_events().await.unwrap(), events);
        assert!(s
            .conversation_articles(w.other, c1.id)
            .await
            .unwrap()
            .is_empty());
    }
}

#[tokio::test]
async fn flags_are_raised_and_resolved_once() {
    for db in testing::all().await.unwrap() {
        let s = &db.store;
        let w = world(s).await;
        let a = s
            .create_article(w.tenant, &new_article(slow_internet()), None)
            .await
            .unwrap();
        let f = s
            .flag_article(
                w.tenant,
                a.id,
                FlagReason::Outdated,
                "La Livebox 6 a remplacé la 5.",
                Some(w.advisor),
            )
            .await
            .unwrap();
        s.flag_article(w.tenant, a.id, FlagReason::Unclear, "", Some(w.advisor))
            .await
            .unwrap();
        assert_eq!(
            s.flags(w.tenant, Some(FlagStatus::Open), None, 50)
                .await
                .unwrap()
                .len(),
            2
        );
        assert_eq!(
            invalid_fields(
                s.resolve_flag(w.tenant, f.id, FlagStatus::Open, "", None)
                    .await
                    .unwrap_err()
            ),
            vec!["status"]
        );
        let r = s
            .resolve_flag(w.tenant, f.id, FlagStatus::Fixed, "Mis à jour", Some(w.km))
            .await
            .unwrap();
        assert_eq!((r.status, r.resolved_by), (FlagStatus::Fixed, Some(w.km)));
        assert!(is_conflict(
            &s.resolve_flag(w.tenant, f.id, FlagStatus::Dismissed, "", None)
                .await
                .unwrap_err()
        ));
        let open = s
            .flags(w.tenant, Some(FlagStatus::Open), Some(a.id), 50)
            .await
            .unwrap();
        assert_eq!(open.len(), 1);
        assert_eq!(open[0].reason, FlagReason::Unclear);
        let all = s.flags(w.tenant, None, Some(a.id), 50).await.unwrap();
        assert_eq!(all[0].resolution_note, "Mis à jour");
        // Another tenant can neither see nor resolve nor flag.
        assert!(s.flags(w.other, None, None, 50).await.unwrap().is_empty());
        assert!(is_not_found(
            &s.resolve_flag(w.other, f.id, FlagStatus::Fixed, "", None)
                .await
                .unwrap_err()
        ));
        assert!(is_not_found(
            &s.flag_article(w.other, a.id, FlagReason::Incorrect, "", None)
                .await
                .unwrap_err()
        ));
        let long = "x".repeat(MAX_FLAG_COMMENT + 1);
        assert_eq!(
            invalid_fields(
                s.flag_article(w.tenant, a.id, FlagReason::Incorrect, &long, None)
                    .await
                    .unwrap_err()
            ),
            vec!["comment"]
        );
        let kinds: Vec<String> = s
            .subject_events(w.tenant, a.id)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect();
        assert_eq!(
            kinds,
            vec![
                kind::ARTICLE_CREATED,
                kind::ARTICLE_FLAGGED,
                kind::ARTICLE_FLAGGED,
                kind::FLAG_RESOLVED
            ]
        );
    }
}

#[tokio::test]
async fn faq_feed_lists_published_entries_in_order() {
    for db in testing::all().await.unwrap() {
        let (s, label) = (&db.store, db.label);
        let w = world(s).await;
        let a = s
            .create_article(w.tenant, &new_article(slow_internet()), None)
            .await
            .unwrap();
        let faq = |q: &str, language: Language, published: bool| NewFaq {
            language,
            question: q.into(),
            answer: "Redémarrez votre box, puis patientez deux minutes.".into(),
            article_id: None,
            product_id: None,
            position: None,
            published,
        };
        let e1 = s
            .create_faq(
                w.tenant,
                &faq("Ma connexion est lente", Language::Fr, true),
                Some(w.km),
            )
            .await
            .unwrap();
        let e2 = s
            .create_faq(
                w.tenant,
                &faq("Comment payer ma facture ?", Language::Fr, true),
                Some(w.km),
            )
            .await
            .unwrap();
        s.create_faq(w.tenant, &faq("Brouillon", Language::Fr, false), Some(w.km))
            .await
            .unwrap();
        s.create_faq(
            w.tenant,
            &faq("How do I pay my bill?", Language::En, true),
            Some(w.km),
        )
        .await
        .unwrap();
        assert_eq!((e1.position, e2.position), (0, 1), "{label}");
        // Move the bill question first and link it to the article.
        let mut moved = faq("Comment payer ma facture ?", Language::Fr, true);
        moved.position = Some(0);
        moved.article_id = Some(a.id);
        let mut first = faq("Ma connexion est lente", Language::Fr, true);
        first.position = Some(5);
        s.update_faq(w.tenant, e1.id, &first, Some(w.km))
            .await
            .unwrap();
        s.update_faq(w.tenant, e2.id, &moved, Some(w.km))
            .await
            .unwrap();
        let feed: Vec<String> = s
            .published_faq(w.tenant, Language::Fr)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.question)
            .collect();
        assert_eq!(
            feed,
            vec!["Comment payer ma facture ?", "Ma connexion est lente"]
        );
        assert_eq!(s.faq_entries(w.tenant, None).await.unwrap().len(), 4);
        assert_eq!(
            s.faq_entry(w.tenant, e2.id).await.unwrap().article_id,
            Some(a.id)
        );

        // Bad input and foreign links: nothing written.
        let events = s.count_events().await.unwrap();
        let mut bad = faq(" ", Language::Fr, true);
        bad.answer = String::new();
        bad.position = Some(-3);
        assert_eq!(
            invalid_fields(s.create_faq(w.tenant, &bad, None).await.unwrap_err()),
            vec!["question", "answer", "position"]
        );
        let mut foreign = faq("Q", Language::Fr, true);
        foreign.product_id = Some(
            s.create_product(w.other, &box_fibre(), None)
                .await
                .unwrap()
                .id,
        );
        foreign.article_id = Some(Uuid::now_v7());
        assert_eq!(
            invalid_fields(s.create_faq(w.tenant, &foreign, None).await.unwrap_err()),
            vec!["article_id", "product_id"]
        );
        assert_eq!(s.count_events().await.unwrap(), events + 1);

        s.delete_faq(w.tenant, e1.id, Some(w.km)).await.unwrap();
        assert!(is_not_found(
            &s.faq_entry(w.tenant, e1.id).await.unwrap_err()
        ));
        assert!(is_not_found(
            &s.delete_faq(w.other, e2.id, None).await.unwrap_err()
        ));
        assert!(s
            .published_faq(w.other, Language::Fr)
            .await
            .unwrap()
            .is_empty());
        let kinds: Vec<String> = s
            .subject_events(w.tenant, e1.id)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect();
        assert_eq!(
            kinds,
            vec![kind::FAQ_CREATED, kind::FAQ_UPDATED, kind::FAQ_DELETED]
        );
    }
}

#[tokio::test]
async fn synonyms_are_validated_and_stored_canonically() {
    for db in testing::all().await.unwrap() {
        let s = &db.store;
        let w = world(s).await;
        assert!(s.synonyms(w.tenant, Language::Fr).await.unwrap().is_none());
        let events = s.count_events().await.unwrap();
        let err = s
            .put_synonyms(
                w.tenant,
                Language::Fr,
                "connexion lente, ça rame\nfrigo\n",
                Some(w.km),
            )
            .await
            .unwrap_err();
        let StoreError::Domain(DomainError::Invalid(errs)) = err else {
            panic!()
        };
        assert!(errs[0].message.starts_with("line 2:"));
        assert_eq!(s.count_events().await.unwrap(), events);

        let saved = s
            .put_synonyms(
                w.tenant,
                Language::Fr,
                "# lenteurs\nconnexion lente ,ça rame,  internet lent\nrame => lent\n",
                Some(w.km),
            )
            .await
            .unwrap();
        assert_eq!(
            saved.text,
            "connexion lente, ça rame, internet lent\nrame => lent"
        );
        s.put_synonyms(w.tenant, Language::Fr, "frigo | réfrigérateur", Some(w.km))
            .await
            .unwrap();
        let got = s.synonyms(w.tenant, Language::Fr).await.unwrap().unwrap();
        assert_eq!(
            got.rules().unwrap().equivalence_groups(),
            vec![vec!["frigo", "réfrigérateur"]]
        );
        assert_eq!(got.updated_by, Some(w.km));
        assert!(s.synonyms(w.other, Language::Fr).await.unwrap().is_none());
        assert!(s.synonyms(w.tenant, Language::En).await.unwrap().is_none());
        assert_eq!(s.all_synonyms().await.unwrap().len(), 1);
        let log = s.tenant_events(w.tenant, None, 5).await.unwrap();
        assert_eq!(log[0].kind, kind::SYNONYMS_UPDATED);
        assert_eq!(log[0].payload["language"], "fr");
    }
}

#[tokio::test]
async fn search_analytics_show_what_to_write_next() {
    for db in testing::all().await.unwrap() {
        let (s, label) = (&db.store, db.label);
        let w = world(s).await;
        let slow = s
            .create_article(w.tenant, &new_article(slow_internet()), None)
            .await
            .unwrap();
        let mut bill = slow_internet();
        bill.title = "Payer sa facture par carte".into();
        let bill = s
            .create_article(w.tenant, &new_article(bill), None)
            .await
            .unwrap();
        let mut never = slow_internet();
        never.title = "Configurer le répondeur".into();
        let never = s
            .create_article(w.tenant, &new_article(never), None)
            .await
            .unwrap();
        let conv = conversation(s, w.tenant, "lea@example.fr").await;
        let search = |q: &str, user: Uuid, results: Vec<Uuid>| NewSearch {
            user_id: Some(user),
            query: q.into(),
            language: Some(Language::Fr),
            surface: SearchSurface::Desk,
            result_count: results.len() as i64,
            result_article_ids: results,
            at: None,
        };
        let start = Timestamp::now();
        // "ça rame" never shows the slow-internet article, yet advisors link it.
        for (i, user) in [w.advisor, w.km, w.advisor].into_iter().enumerate() {
            let q = s
                .record_search(w.tenant, &search("Ça  RAME", user, vec![bill.id]))
                .await
                .unwrap();
            if i < 2 {
                let c = conversation(s, w.tenant, &format!("c{i}@example.fr")).await;
                s.link_article(w.tenant, c.id, slow.id, Some(q), Some(user))
                    .await
                    .unwrap();
            }
        }
        let q = s
            .record_search(
                w.tenant,
                &search("facture", w.advisor, vec![bill.id, slow.id]),
            )
            .await
            .unwrap();
        s.record_article_view(w.tenant, bill.id, Some(q))
            .await
            .unwrap();
        s.record_search(w.tenant, &search("résiliation", w.advisor, vec![]))
            .await
            .unwrap();
        s.record_search(w.tenant, &search("Résiliation ", w.km, vec![]))
            .await
            .unwrap();
        s.record_search(w.other, &search("résiliation", w.advisor, vec![]))
            .await
            .unwrap();
        assert!(s
            .record_search(w.tenant, &search("   ", w.km, vec![]))
            .await
            .is_err());
        let end = Timestamp(Timestamp::now().0 + 1);

        let top = s.top_queries(w.tenant, start, end, 10).await.unwrap();
        assert_eq!(top[0].query, "ça rame", "{label}");
        assert_eq!((top[0].searches, top[0].users), (3, 2));
        assert_eq!(top.len(), 3);
        let zero = s
            .zero_result_queries(w.tenant, start, end, 10)
            .await
            .unwrap();
        assert_eq!(zero.len(), 1);
        assert_eq!(
            (zero[0].query.as_str(), zero[0].searches),
            ("résiliation", 2)
        );
        let no_outcome = s
            .queries_without_outcome(w.tenant, start, end, 10)
            .await
            .unwrap();
        assert_eq!(no_outcome.len(), 1, "{no_outcome:?}");
        assert_eq!(
            (no_outcome[0].query.as_str(), no_outcome[0].searches),
            ("ça rame", 1)
        );
        let never_found: Vec<Uuid> = s
            .never_found_articles(w.tenant, start, 10)
            .await
            .unwrap()
            .into_iter()
            .map(|a| a.id)
            .collect();
        assert_eq!(never_found, vec![never.id]);
        let sugg = s
            .synonym_suggestions(w.tenant, start, end, 2, 10)
            .await
            .unwrap();
        assert_eq!(sugg.len(), 1);
        assert_eq!(sugg[0].query, "ça rame");
        assert_eq!(sugg[0].article.id, slow.id);
        assert_eq!(
            (sugg[0].links, sugg[0].users, sugg[0].found_in_results),
            (2, 2, 0)
        );
        assert!(s
            .record_article_view(w.tenant, bill.id, Some(Uuid::now_v7()))
            .await
            .is_err());
        assert_eq!(s.article(w.tenant, bill.id).await.unwrap().view_count, 1);

        // Outcomes are tenant-checked; the other tenant's analytics are its own.
        assert_eq!(
            invalid_fields(
                s.record_search_outcome(w.other, q, SearchOutcome::Opened, bill.id)
                    .await
                    .unwrap_err()
            ),
            vec!["search_query_id", "article_id"]
        );
        assert_eq!(
            s.top_queries(w.other, start, end, 10).await.unwrap().len(),
            1
        );
        // Searches write no event; links do. Old searches can be purged.
        assert!(s
            .link_article(w.tenant, conv.id, never.id, None, None)
            .await
            .unwrap());
        assert_eq!(s.purge_search_log(end).await.unwrap(), 7);
        assert!(s
            .top_queries(w.tenant, start, end, 10)
            .await
            .unwrap()
            .is_empty());
        assert_eq!(
            s.conversation_articles(w.tenant, conv.id)
                .await
                .unwrap()
                .len(),
            1
        );
    }
}

#[tokio::test]
async fn the_indexer_pages_through_everything_and_reads_one_item() {
    for db in testing::all().await.unwrap() {
        let (s, label) = (&db.store, db.label);
        let w = world(s).await;
        let p = s
            .create_product(w.tenant, &box_fibre(), None)
            .await
            .unwrap();
        let mut ids = Vec::new();
        for (t, n) in [(w.tenant, 3), (w.other, 2)] {
            for _ in 0..n {
                let mut c = slow_internet();
                if t == w.tenant {
                    c.product_ids = vec![p.id];
                }
                ids.push(s.create_article(t, &new_article(c), None).await.unwrap().id);
            }
        }
        ids.sort();
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let page = s.articles_for_index(None, after, 2).await.unwrap();
            if page.is_empty() {
                break;
            }
            after = page.last().map(|a| a.article.id);
            seen.extend(page.into_iter().map(|a| (a.article.id, a.product_codes)));
        }
        assert_eq!(
            seen.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
            ids,
            "{label}"
        );
        let mine = s
            .articles_for_index(Some(w.tenant), None, 100)
            .await
            .unwrap();
        assert_eq!(mine.len(), 3);
        assert!(mine.iter().all(|a| a.product_codes == vec!["livebox-5"]));
        assert!(mine
            .iter()
            .all(|a| a.article.content.tags == vec!["fibre", "wifi"]));
        let one = s
            .article_for_index(w.tenant, mine[0].article.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(one.article.version, 1);
        assert!(s
            .article_for_index(w.other, mine[0].article.id)
            .await
            .unwrap()
            .is_none());

        let c1 = conversation(s, w.tenant, "a@example.fr").await;
        let (m2, _) = s
            .add_message(
                w.tenant,
                c1.id,
                NewMessage {
                    direction: Direction::Note,
                    channel: Channel::Chat,
                    author_id: Some(w.advisor),
                    body: "Client déjà rappelé hier.".into(),
                    attachments: vec![],
                    then_status: None,
                    at: None,
                },
                Some(w.advisor),
            )
            .await
            .unwrap();
        let c2 = conversation(s, w.other, "b@example.fr").await;
        let convs = s
            .indexable_conversations_after(uuid::Uuid::nil(), 10)
            .await
            .unwrap();
        assert_eq!(
            convs.iter().map(|c| c.conversation.id).collect::<Vec<_>>(),
            vec![c1.id, c2.id]
        );
        assert_eq!(
            s.indexable_conversations_after(c1.id, 10)
                .await
                .unwrap()
                .len(),
            1
        );
        assert!(s
            .indexable_conversation(w.other, c1.id)
            .await
            .unwrap()
            .is_none());
        let msgs = s
            .indexable_messages_after(uuid::Uuid::nil(), 10)
            .await
            .unwrap();
        assert_eq!(msgs.len(), 3, "two in the tenant, one in the other");
        assert_eq!(msgs[1].message.id, m2.id);
        assert_eq!(msgs[1].message.direction, Direction::Note);
        assert_eq!(
            (msgs[0].language, msgs[0].subject.as_str()),
            (Language::Fr, "Internet lent")
        );
        assert_eq!(
            s.indexable_messages_after(msgs[0].message.id, 10)
                .await
                .unwrap()
                .len(),
            2
        );
        assert!(s
            .indexable_message(w.tenant, m2.id)
            .await
            .unwrap()
            .is_some());
        assert!(s.indexable_message(w.other, m2.id).await.unwrap().is_none());
    }
}
