//! Letters: an uploaded scan (checked by its content) plus typed metadata
//! opens a conversation on the letter channel with the scan downloadable;
//! a wrong type, an oversized scan, a missing field or a non-form body is
//! refused with nothing written.

use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::*;

const PDF: &[u8] =
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

fn form(scan: Vec<u8>, file: &str, summary: Option<&str>) -> Form {
    let mut f = Form::new()
        .text("sender_name", "Jean Dupont")
        .text("postal_address", "3 rue des Lilas\n75011 Paris")
        .text("received_on", "2026-12-01")
        .text("reference", "Contrat 4471");
    if let Some(s) = summary {
        f = f.text("summary", s.to_string());
    }
    f.part("scan", Part::bytes(scan).file_name(file.to_string()))
}

async fn upload(app: &App, who: &str, f: Form) -> (StatusCode, Value) {
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/tenants/acme/letters"))
        .bearer_auth(&app.tokens[who])
        .multipart(f)
        .send()
        .await
        .unwrap();
    let st = r.status();
    (st, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_scanned_letter_opens_a_conversation_and_bad_uploads_change_nothing() {
    for app in apps().await {
        let label = app.label();
        let (st, v) = upload(
            &app,
            "adv_a",
            form(
                PDF.to_vec(),
                "lettre.pdf",
                Some("Demande de résiliation\nMerci de confirmer."),
            ),
        )
        .await;
        assert_eq!(st, StatusCode::CREATED, "{label}: {v}");
        assert_eq!(v["channel"], "letter", "{label}: {v}");
        assert_eq!(v["subject"], "Demande de résiliation");
        let id = v["id"].as_str().unwrap();
        let (_, c) = app
            .get("adv_a", &format!("/api/v1/tenants/acme/conversations/{id}"))
            .await;
        assert_eq!(c["customer"]["name"], "Jean Dupont", "{label}: {c}");
        let msg = &c["messages"][0];
        assert!(
            msg["body"].as_str().unwrap().contains("75011 Paris"),
            "{label}: {msg}"
        );
        let att = &msg["attachments"][0];
        assert_eq!(att["content_type"], "application/pdf", "{label}: {msg}");
        let key = att["blob_key"].as_str().unwrap();
        // The scan downloads as it was uploaded.
        let r = app
            .call(
                "adv_a",
                reqwest::Method::GET,
                &format!("/api/v1/tenants/acme/blobs/{key}"),
                None,
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.bytes().await.unwrap().as_ref(), PDF, "{label}");
        // The conversation page links it.
        let b = app.browser("adv_a").await;
        let (_, html) = b.page(&format!("/t/acme/c/{}", v["number"])).await;
        assert!(
            html.contains(&format!("/api/v1/tenants/acme/blobs/{key}")),
            "{label}"
        );

        let before = app.event_count().await;
        let big = [
            b"%PDF-".as_slice(),
            &vec![b'x'; plateau_core::channels::letter::MAX_SCAN_BYTES],
        ]
        .concat();
        let cases: Vec<(&str, Form, StatusCode, &str)> = vec![
            (
                "a GIF named .pdf",
                form(b"GIF89a....".to_vec(), "scan.pdf", Some("x")),
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
            ),
            (
                "an empty scan",
                form(Vec::new(), "scan.pdf", Some("x")),
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
            ),
            (
                "too big",
                form(big, "scan.pdf", Some("x")),
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
            ),
            (
                "no summary",
                form(PDF.to_vec(), "scan.pdf", None),
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
            ),
            (
                "an unknown field",
                form(PDF.to_vec(), "scan.pdf", Some("x")).text("colour", "red"),
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
            ),
        ];
        for (what, f, status, want) in cases {
            let (st, v) = upload(&app, "adv_a", f).await;
            assert_eq!(st, status, "{label} {what}: {v}");
            assert_eq!(code(&v), want, "{label} {what}: {v}");
        }
        // Not a form at all.
        let (st, v) = app
            .send(
                "adv_a",
                reqwest::Method::POST,
                "/api/v1/tenants/acme/letters",
                serde_json::json!({"summary": "x"}),
            )
            .await;
        assert_eq!(st, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{label}: {v}");
        // The brand's read-only account may not log letters; another brand cannot see this one.
        let (st, _) = upload(&app, "viewer_a", form(PDF.to_vec(), "s.pdf", Some("x"))).await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{label}");
        let (st, _) = upload(&app, "adv_b", form(PDF.to_vec(), "s.pdf", Some("x"))).await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{label}");
        assert_eq!(app.event_count().await, before, "{label}: nothing written");

        // The desk's page: linked from "New", a form that posts the same way.
        let (st, html) = b.page("/t/acme/new").await;
        assert_eq!(st, StatusCode::OK);
        assert!(html.contains("/t/acme/letters/new"), "{label}");
        let (st, html) = b.page("/t/acme/letters/new").await;
        assert_eq!(st, StatusCode::OK);
        let csrf = field(&html, "_csrf");
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        let r = b
            .client
            .post(format!("{}/t/acme/letters", b.base))
            .multipart(form(png, "scan.png", Some("Réclamation facture")).text("_csrf", csrf))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{label}");
        let to = r.headers()["location"].to_str().unwrap().to_string();
        let (_, html) = b.page(&to).await;
        assert!(
            html.contains("Réclamation facture") && html.contains("scan.png"),
            "{label}"
        );
    }
}
