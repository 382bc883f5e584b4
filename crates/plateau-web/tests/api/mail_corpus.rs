//! A corpus of MIME messages written after the RFC examples (5322 appendix
//! A, 2045-2049, 2047, 2231, 3464) and the odd mail found in real inboxes:
//! odd charsets, broken headers, missing headers, a bounce, an auto-reply, a
//! huge line, an empty message. Each is stored as a receiver stores it and
//! processed by the worker: every one ends as a message, a machine-mail
//! record or a dead letter with a reason (nothing stays pending, nothing is
//! lost), with its text decoded where we know what it says. HTML parts are
//! kept sanitised and shown behind a toggle on the conversation page.

use std::time::Duration;

use plateau_store::mail::{AcceptedMail, InboundState};
use reqwest::StatusCode;
use uuid::Uuid;

use crate::helpers::*;

/// (file, outcome, text the decoded body must contain, or the reason).
const CORPUS: &[(&str, InboundState, &str)] = &[
    (
        "01-simple-5322.eml",
        InboundState::Ingested,
        "This is a message just to say hello.\nSo, \"Hello\".",
    ),
    (
        "02-reply-5322.eml",
        InboundState::Ingested,
        "This is a reply to your hello.",
    ),
    (
        "03-alternative.eml",
        InboundState::Ingested,
        "... plain text version of message goes here ...",
    ),
    (
        "04-nested-mixed.eml",
        InboundState::Ingested,
        "Voici le relevé demandé.",
    ),
    (
        "05-quoted-printable.eml",
        InboundState::Ingested,
        "Café crème et crépes, une ligne très longue qui continue après une coupure douce.",
    ),
    (
        "06-base64-text.eml",
        InboundState::Ingested,
        "Bonjour, ma box redémarre toute seule.",
    ),
    (
        "07-latin1-8bit.eml",
        InboundState::Ingested,
        "Le prélèvement a été refusé, à cause d'une erreur.",
    ),
    (
        "08-windows-1252.eml",
        InboundState::Ingested,
        "“Quoted” text – with a dash and 10 €.",
    ),
    (
        "09-shift-jis.eml",
        InboundState::Ingested,
        "こんにちは、ルーターが動きません。",
    ),
    (
        "10-koi8-r.eml",
        InboundState::Ingested,
        "Здравствуйте, интернет не работает.",
    ),
    (
        "11-unknown-charset.eml",
        InboundState::Ingested,
        "Plain ASCII words in a part labelled with a charset nobody knows.",
    ),
    (
        "12-no-date-no-id.eml",
        InboundState::Ingested,
        "The Date and Message-ID headers are missing.",
    ),
    (
        "13-no-from.eml",
        InboundState::Dead,
        "the message has no From address",
    ),
    (
        "14-broken-headers.eml",
        InboundState::Ingested,
        "The boundary of this message is never closed.",
    ),
    ("15-dsn.eml", InboundState::Machine, "bounce"),
    ("16-auto-reply.eml", InboundState::Machine, "auto_reply"),
    ("17-huge-line.eml", InboundState::Ingested, "word word word"),
    (
        "18-rfc2231-filename.eml",
        InboundState::Ingested,
        "See the attached invoice.",
    ),
    ("19-html-only.eml", InboundState::Ingested, "Ma commande"),
    (
        "20-forwarded-rfc822.eml",
        InboundState::Ingested,
        "Forwarding the original below.",
    ),
    ("21-empty.eml", InboundState::Dead, "the message is empty"),
];

fn corpus_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

#[tokio::test]
async fn every_message_of_the_corpus_ends_somewhere_visible() {
    // Every file is in the table, and every table entry has its file.
    let mut on_disk: Vec<String> = std::fs::read_dir(corpus_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".eml"))
        .collect();
    on_disk.sort();
    let listed: Vec<String> = CORPUS.iter().map(|c| c.0.to_string()).collect();
    assert_eq!(on_disk, listed);

    for app in apps().await {
        let label = app.label();
        let s = &app.db.store;
        let t = app.tenant_a.id;
        s.put_mailbox(t, "support@acme.example", None, None)
            .await
            .unwrap();
        let mut ids: Vec<Uuid> = Vec::new();
        for (file, _, _) in CORPUS {
            let raw = std::fs::read(corpus_dir().join(file)).unwrap();
            let id = s
                .accept_mail(AcceptedMail {
                    tenant_id: t,
                    source: "smtp",
                    envelope_from: "relay@example.org",
                    envelope_to: "support@acme.example",
                    message_id: None,
                    subject: file,
                    raw: &raw,
                })
                .await
                .unwrap();
            ids.push(id);
        }
        // The app's own worker may take some; this pass takes the rest.
        plateau_web::mail_in::drain(s).await.unwrap();
        let mut rows = Vec::new();
        for id in &ids {
            let mut row = s.inbound_mail(t, *id).await.unwrap();
            for _ in 0..200 {
                if !matches!(row.state, InboundState::Pending | InboundState::Processing) {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(25)).await;
                row = s.inbound_mail(t, *id).await.unwrap();
            }
            rows.push(row);
        }

        for ((file, want, text), row) in CORPUS.iter().zip(&rows) {
            assert_eq!(row.state, *want, "{label}: {file}: {row:?}");
            match want {
                InboundState::Ingested => {
                    let conv = row
                        .conversation_id
                        .unwrap_or_else(|| panic!("{label}: {file} has no conversation"));
                    let messages = s.messages(t, conv, false).await.unwrap();
                    assert!(
                        messages
                            .iter()
                            .any(|m| m.body.replace("\r\n", "\n").contains(text)),
                        "{label}: {file}: {:?}",
                        messages
                            .iter()
                            .map(|m| m.body.chars().take(200).collect::<String>())
                            .collect::<Vec<_>>()
                    );
                }
                _ => assert_eq!(row.detail.as_deref(), Some(*text), "{label}: {file}"),
            }
        }
        let by_file = |f: &str| &rows[CORPUS.iter().position(|c| c.0 == f).unwrap()];

        // The reply of RFC 5322 A.1.3 threads into the first message's conversation.
        assert_eq!(
            by_file("02-reply-5322.eml").conversation_id,
            by_file("01-simple-5322.eml").conversation_id,
            "{label}"
        );
        // Encoded words (RFC 2047), including one split over two charsets.
        let conv = |f: &str| by_file(f).conversation_id.unwrap();
        let c = s.conversation(t, conv("07-latin1-8bit.eml")).await.unwrap();
        assert_eq!(c.subject, "Prélèvement refusé", "{label}");
        let c = s
            .conversation(t, conv("05-quoted-printable.eml"))
            .await
            .unwrap();
        assert_eq!(
            c.subject, "If you can read this you understand the example.",
            "{label}"
        );
        let c = s.conversation(t, conv("10-koi8-r.eml")).await.unwrap();
        assert_eq!(c.subject, "Привет", "{label}");
        // Attachments, with an RFC 2231 file name and a forwarded message.
        let first = |f: &str| {
            let c = conv(f);
            async move { s.messages(t, c, false).await.unwrap().remove(0) }
        };
        let m = first("04-nested-mixed.eml").await;
        let names: Vec<&str> = m.attachments.iter().map(|a| a.file_name.as_str()).collect();
        assert_eq!(names, vec!["releve.pdf", "notes.txt"], "{label}");
        let m = first("18-rfc2231-filename.eml").await;
        assert_eq!(
            m.attachments[0].file_name, "facture décembre.txt",
            "{label}"
        );
        let m = first("20-forwarded-rfc822.eml").await;
        assert_eq!(m.attachments.len(), 1, "{label}");
        assert_eq!(m.attachments[0].content_type, "message/rfc822", "{label}");
        // A missing Message-ID is no reason to refuse a message.
        assert_eq!(by_file("12-no-date-no-id.eml").message_id, None, "{label}");

        // HTML parts: kept sanitised, behind a toggle on the page; the
        // text version is the text part, or derived from the HTML.
        let html = s
            .conversation_message_html(t, conv("03-alternative.eml"))
            .await
            .unwrap();
        assert_eq!(html.len(), 1, "{label}");
        assert!(html[0].1.contains("<b>HTML</b>"), "{label}: {}", html[0].1);
        assert!(!html[0].1.contains("script"), "{label}: {}", html[0].1);
        assert!(
            !html[0].1.contains("track.example"),
            "{label}: {}",
            html[0].1
        );
        let html = s
            .conversation_message_html(t, conv("19-html-only.eml"))
            .await
            .unwrap();
        assert!(!html[0].1.contains("onclick"), "{label}: {}", html[0].1);
        assert!(!html[0].1.contains("javascript"), "{label}: {}", html[0].1);
        assert!(
            s.conversation_message_html(t, conv("01-simple-5322.eml"))
                .await
                .unwrap()
                .is_empty(),
            "{label}"
        );
        let number = s
            .conversation(t, conv("03-alternative.eml"))
            .await
            .unwrap()
            .number;
        let page = app.browser("admin_a").await;
        let (st, body) = page.page(&format!("/t/acme/c/{number}")).await;
        assert_eq!(st, StatusCode::OK, "{label}");
        assert!(body.contains("Show original formatting"), "{label}");
        assert!(body.contains("data-mail-html"), "{label}");
        assert!(body.contains("sandbox=\"\""), "{label}");
        // The document is an escaped attribute: no live markup of the mail.
        assert!(
            body.contains("srcdoc=\"&#60;!doctype html&#62;")
                || body.contains("srcdoc=\"&lt;!doctype html&gt;"),
            "{label}"
        );
        assert!(!body.contains("track.example"), "{label}");
    }
}

#[tokio::test]
async fn an_attachment_over_the_configured_limit_makes_a_dead_letter_with_the_reason() {
    let limits = plateau_core::channels::mime::MailLimits {
        max_attachment_bytes: 1024,
        max_attachments_total_bytes: 1536,
    };
    for db in plateau_store::testing::all().await.unwrap() {
        let config = plateau_web::WebConfig {
            mail_limits: limits,
            ..Default::default()
        };
        let app = spawn_app(db, config).await;
        let label = app.label();
        let s = &app.db.store;
        let t = app.tenant_a.id;
        s.put_mailbox(t, "support@acme.example", None, None)
            .await
            .unwrap();
        let with = |id: &str, sizes: &[usize]| {
            let mut raw = format!(
                "From: big@example.org\r\nTo: support@acme.example\r\nSubject: {id}\r\n\
                 Message-ID: <{id}@example.org>\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n\
                 --b\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n"
            );
            for (i, n) in sizes.iter().enumerate() {
                raw.push_str(&format!(
                    "--b\r\nContent-Type: application/octet-stream\r\n\
                     Content-Disposition: attachment; filename=\"f{i}.bin\"\r\n\r\n{}\r\n",
                    "x".repeat(*n)
                ));
            }
            raw.push_str("--b--\r\n");
            raw
        };
        let mut ids = Vec::new();
        for (id, sizes) in [
            ("one-too-big", vec![2000]),
            ("too-many-bytes", vec![1000, 1000]),
            ("fits", vec![1000, 500]),
        ] {
            let raw = with(id, &sizes);
            ids.push(
                s.accept_mail(AcceptedMail {
                    tenant_id: t,
                    source: "smtp",
                    envelope_from: "big@example.org",
                    envelope_to: "support@acme.example",
                    message_id: None,
                    subject: id,
                    raw: raw.as_bytes(),
                })
                .await
                .unwrap(),
            );
        }
        app.state.mail_wake.wake();
        let mut rows = Vec::new();
        for id in &ids {
            let mut row = s.inbound_mail(t, *id).await.unwrap();
            for _ in 0..400 {
                if !matches!(row.state, InboundState::Pending | InboundState::Processing) {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(25)).await;
                row = s.inbound_mail(t, *id).await.unwrap();
            }
            rows.push(row);
        }
        assert_eq!(rows[0].state, InboundState::Dead, "{label}: {:?}", rows[0]);
        assert_eq!(
            rows[0].detail.as_deref(),
            Some("the attachment 'f0.bin' is 2000 bytes, over the limit of 1024 bytes per attachment"),
            "{label}"
        );
        assert_eq!(rows[1].state, InboundState::Dead, "{label}: {:?}", rows[1]);
        assert_eq!(
            rows[1].detail.as_deref(),
            Some("the attachments total 2000 bytes, over the limit of 1536 bytes per message"),
            "{label}"
        );
        assert_eq!(
            rows[2].state,
            InboundState::Ingested,
            "{label}: {:?}",
            rows[2]
        );
        let conv = rows[2].conversation_id.unwrap();
        let m = s.messages(t, conv, false).await.unwrap().remove(0);
        assert_eq!(m.attachments.len(), 2, "{label}");
        // The dead letter is listed for the administrator, who can replay it.
        let (st, v) = app
            .get("admin_a", "/api/v1/tenants/acme/mail/inbound?state=dead")
            .await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(v.as_array().unwrap().len(), 2, "{label}: {v}");
    }
}
