//! The CTI API: a PBX's signed call events build one phone conversation
//! with the customer found by number, each event a timeline row; a second
//! call from the same number joins the customer; every refusal (unsigned,
//! stale, forged, replayed, malformed, impossible transition, unknown
//! advisor) has its code and writes nothing.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;

fn event(call: &str, kind: &str, at: &str, extra: Value) -> Vec<u8> {
    let mut v = json!({"call_id": call, "event": kind, "at": at,
        "caller": "+33 6 12 34 56 78", "dialled": "+33140000000", "ivr_path": ["2", "1"]});
    for (k, x) in extra.as_object().unwrap() {
        v[k] = x.clone();
    }
    v.to_string().into_bytes()
}

async fn connector(app: &App) -> (String, String) {
    let (st, v) = app
        .send(
            "admin_a",
            Method::POST,
            "/api/v1/tenants/acme/connectors",
            json!({"name": "pbx"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    (
        v["secret"].as_str().unwrap().to_string(),
        "/api/v1/cti/acme/pbx/events".to_string(),
    )
}

async fn call_events(app: &App, conv: &str) -> Vec<Value> {
    let (st, evs) = app
        .get(
            "adv_a",
            &format!("/api/v1/tenants/acme/conversations/{conv}/events"),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    evs.as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "call.event")
        .cloned()
        .collect()
}

#[tokio::test]
async fn a_call_lifecycle_builds_one_conversation_and_a_second_call_joins_the_customer() {
    for app in apps().await {
        let label = app.label();
        let (secret, path) = connector(&app).await;
        let s = Some(secret.as_str());
        let steps = [
            event("c1", "offered", "2026-12-03T09:00:00Z", json!({})),
            event("c1", "ringing", "2026-12-03T09:00:02Z", json!({})),
            event(
                "c1",
                "answered",
                "2026-12-03T09:00:12Z",
                json!({"advisor": "adv_a@test.example"}),
            ),
            event(
                "c1",
                "transferred",
                "2026-12-03T09:01:00Z",
                json!({"to": "adv2_a@test.example"}),
            ),
            event(
                "c1",
                "answered",
                "2026-12-03T09:01:05Z",
                json!({"advisor": app.users["adv2_a"].to_string()}),
            ),
            event(
                "c1",
                "ended",
                "2026-12-03T09:03:00Z",
                json!({"duration_seconds": 168, "hangup": "caller"}),
            ),
            event(
                "c1",
                "recording_available",
                "2026-12-03T09:03:30Z",
                json!({"recording": {
                "url": "https://pbx.example/rec/c1.mp3", "duration_seconds": 168, "format": "MP3", "consent": true}}),
            ),
        ];
        let mut conv = String::new();
        for (i, body) in steps.iter().enumerate() {
            let (st, v) = post_signed(&app, &path, s, now_s() - i as i64, body).await;
            assert_eq!(st, StatusCode::ACCEPTED, "{label} step {i}: {v}");
            if i == 0 {
                conv = v["conversation_id"].as_str().unwrap().to_string();
            }
            assert_eq!(
                v["conversation_id"],
                conv.as_str(),
                "{label}: one conversation"
            );
        }
        let (_, c) = app
            .get(
                "adv_a",
                &format!("/api/v1/tenants/acme/conversations/{conv}"),
            )
            .await;
        assert_eq!(c["conversation"]["channel"], "phone", "{label}: {c}");
        assert_eq!(
            c["customer"]["identities"][0]["value"], "+33612345678",
            "{label}"
        );
        // Events are timeline rows, not customer messages: only the opening one.
        assert_eq!(c["messages"].as_array().unwrap().len(), 1, "{label}: {c}");
        let evs = call_events(&app, &conv).await;
        let kinds: Vec<&str> = evs
            .iter()
            .map(|e| e["payload"]["event"].as_str().unwrap())
            .collect();
        assert_eq!(
            kinds,
            [
                "offered",
                "ringing",
                "answered",
                "transferred",
                "answered",
                "ended",
                "recording_available"
            ],
            "{label}"
        );
        assert_eq!(evs[2]["payload"]["advisor_name"], "adv_a");
        assert_eq!(evs[2]["payload"]["seconds_since_start"], 12);
        assert_eq!(
            evs[3]["payload"]["to"], "adv2_a",
            "{label}: a transfer names the advisor"
        );
        assert_eq!(evs[6]["payload"]["recording"]["format"], "mp3");

        // The desk shows each event in the timeline, the recording as a link.
        let page = app.browser("adv_a").await;
        let number = c["conversation"]["number"].as_i64().unwrap();
        let (st, html) = page.page(&format!("/t/acme/c/{number}")).await;
        assert_eq!(st, StatusCode::OK);
        assert!(
            html.contains("Call answered by adv_a after 12 s, IVR: 2 › 1"),
            "{label}: {html}"
        );
        assert!(
            html.contains("Call ended after 2 min 48 s, hung up by the caller"),
            "{label}"
        );
        assert!(
            html.contains("href=\"https://pbx.example/rec/c1.mp3\""),
            "{label}"
        );
        assert!(
            html.contains("mp3, 2 min 48 s, caller consented"),
            "{label}"
        );
        // The customer card shows the call events among every channel's history.
        let customer_id = c["customer"]["id"].as_str().unwrap();
        let (st, card) = page.page(&format!("/t/acme/customers/{customer_id}")).await;
        assert_eq!(st, StatusCode::OK, "{label}");
        assert!(
            card.contains("Call transferred to adv2_a"),
            "{label}: {card}"
        );
        assert!(
            card.contains("href=\"https://pbx.example/rec/c1.mp3\""),
            "{label}"
        );

        // The same event again (a new signature) is a duplicate: nothing added.
        let before = app.event_count().await;
        let (st, v) = post_signed(&app, &path, s, now_s() - 20, &steps[2]).await;
        assert_eq!(st, StatusCode::OK, "{label}: {v}");
        assert_eq!(v["duplicate"], true);
        assert_eq!(app.event_count().await, before, "{label}");

        // A second call from the same number joins the open phone conversation.
        let (st, v) = post_signed(
            &app,
            &path,
            s,
            now_s() - 21,
            &event("c2", "ringing", "2026-12-03T10:00:00Z", json!({})),
        )
        .await;
        assert_eq!(st, StatusCode::ACCEPTED, "{label}: {v}");
        assert_eq!(v["conversation_id"], conv.as_str(), "{label}");
        // Once that is closed, the next call opens a new one for the same customer.
        let (st, _) = app
            .send(
                "adv_a",
                Method::PATCH,
                &format!("/api/v1/tenants/acme/conversations/{conv}"),
                json!({"status": "closed"}),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{label}");
        let (st, v) = post_signed(
            &app,
            &path,
            s,
            now_s() - 22,
            &event("c3", "offered", "2026-12-03T11:00:00Z", json!({})),
        )
        .await;
        assert_eq!(st, StatusCode::ACCEPTED, "{label}: {v}");
        let conv3 = v["conversation_id"].as_str().unwrap();
        assert_ne!(conv3, conv, "{label}");
        let (_, c3) = app
            .get(
                "adv_a",
                &format!("/api/v1/tenants/acme/conversations/{conv3}"),
            )
            .await;
        assert_eq!(
            c3["customer"]["id"], c["customer"]["id"],
            "{label}: same customer"
        );
    }
}

/// (what, secret, timestamp, body, expected status, expected code)
type Case<'a> = (&'a str, Option<&'a str>, i64, Vec<u8>, StatusCode, &'a str);

#[tokio::test]
async fn refused_call_events_have_their_code_and_write_nothing() {
    for app in apps().await {
        let label = app.label();
        let (secret, path) = connector(&app).await;
        let s = Some(secret.as_str());
        let ended = event(
            "r1",
            "ended",
            "2026-12-03T09:00:30Z",
            json!({"duration_seconds": 30}),
        );
        let offered = event("r1", "offered", "2026-12-03T09:00:00Z", json!({}));
        let signed_at = now_s();
        let (st, v) = post_signed(&app, &path, s, signed_at, &offered).await;
        assert_eq!(st, StatusCode::ACCEPTED, "{label}: {v}");
        let (st, v) = post_signed(&app, &path, s, now_s() - 1, &ended).await;
        assert_eq!(st, StatusCode::ACCEPTED, "{label}: {v}");

        let before = app.event_count().await;
        let ringing = event("r1", "ringing", "2026-12-03T09:01:00Z", json!({}));
        let national = String::from_utf8(event("r2", "offered", "2026-12-03T09:00:00Z", json!({})))
            .unwrap()
            .replace("+33 6 12 34 56 78", "06 12 34 56 78")
            .into_bytes();
        let unknown_advisor = event(
            "r3",
            "answered",
            "2026-12-03T09:00:00Z",
            json!({"advisor": "ghost@test.example"}),
        );
        let other_brand_advisor = event(
            "r3",
            "answered",
            "2026-12-03T09:00:00Z",
            json!({"advisor": "adv_b@test.example"}),
        );
        let cases: Vec<Case> = vec![
            ("unsigned", None, now_s(), ringing.clone(), StatusCode::UNAUTHORIZED, "unsigned"),
            ("stale", s, now_s() - 1000, ringing.clone(), StatusCode::UNAUTHORIZED, "stale_request"),
            ("forged", Some("not-the-secret"), now_s(), ringing.clone(), StatusCode::UNAUTHORIZED, "bad_signature"),
            ("replayed", s, signed_at, offered.clone(), StatusCode::CONFLICT, "replayed"),
            ("malformed", s, now_s() - 2, b"{\"call_id\":".to_vec(), StatusCode::UNPROCESSABLE_ENTITY, "invalid_body"),
            ("unknown field", s, now_s() - 3, br#"{"call_id":"x","event":"offered","at":"2026-12-03T09:00:00Z","caller":"+33612345678","dialled":"+33140000000","colour":"red"}"#.to_vec(), StatusCode::UNPROCESSABLE_ENTITY, "invalid_body"),
            ("national number", s, now_s() - 4, national, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
            ("ended cannot ring", s, now_s() - 5, ringing.clone(), StatusCode::CONFLICT, "invalid_transition"),
            ("unknown advisor", s, now_s() - 6, unknown_advisor, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
            ("another brand's advisor", s, now_s() - 7, other_brand_advisor, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        ];
        for (what, secret, ts, body, status, want) in cases {
            let (st, v) = post_signed(&app, &path, secret, ts, &body).await;
            assert_eq!(st, status, "{label} {what}: {v}");
            assert_eq!(code(&v), want, "{label} {what}: {v}");
        }
        assert_eq!(
            app.event_count().await,
            before,
            "{label}: refusals write nothing"
        );
        // The refused transition did not use up its signature: corrected, it passes.
        let (st, v) = post_signed(
            &app,
            &path,
            s,
            now_s() - 8,
            &event("r4", "ringing", "2026-12-03T09:00:00Z", json!({})),
        )
        .await;
        assert_eq!(st, StatusCode::ACCEPTED, "{label}: {v}");
        // An unknown connector or brand is not found.
        let (st, _) = post_signed(&app, "/api/v1/cti/acme/nope/events", s, now_s(), &offered).await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{label}");
        let (st, _) =
            post_signed(&app, "/api/v1/cti/globex/pbx/events", s, now_s(), &offered).await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{label}");
    }
}
