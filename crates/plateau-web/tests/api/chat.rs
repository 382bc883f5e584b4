//! The web chat over a real WebSocket, as the widget speaks it: hello and
//! welcome, messages stored and visible on the desk, advisors' replies and
//! typing pushed to the widget and the customer's typing to the desk,
//! resuming with the token, out-of-hours messages answered by e-mail, and
//! every refusal (oversized frame, bad JSON, rate limit, sessions per
//! address, chat off, another brand's token) storing nothing.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message as Ws;

use crate::helpers::*;
use crate::realtime::{listen, next_kind};

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

fn ws_url(app: &App, slug: &str) -> String {
    format!(
        "{}/api/v1/public/{slug}/chat",
        app.base.replacen("http://", "ws://", 1)
    )
}

async fn open(app: &App, slug: &str) -> Socket {
    tokio_tungstenite::connect_async(ws_url(app, slug))
        .await
        .unwrap()
        .0
}

/// The HTTP status a refused upgrade answered with.
async fn refused_status(app: &App, slug: &str) -> u16 {
    match tokio_tungstenite::connect_async(ws_url(app, slug)).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => r.status().as_u16(),
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => 101,
    }
}

async fn say(ws: &mut Socket, v: Value) {
    ws.send(Ws::text(v.to_string())).await.unwrap();
}

/// The next JSON frame, within two seconds.
async fn next(ws: &mut Socket) -> Value {
    loop {
        let m = tokio::time::timeout(Duration::from_secs(2), ws.next())
            .await
            .expect("a frame within two seconds")
            .expect("the socket is open")
            .unwrap();
        match m {
            Ws::Text(t) => return serde_json::from_str(&t).unwrap(),
            Ws::Close(c) => return json!({"type": "__close", "code": c.map(|c| u16::from(c.code))}),
            _ => continue,
        }
    }
}

/// The next frame of `kind`, skipping others.
async fn next_of(ws: &mut Socket, kind: &str) -> Value {
    for _ in 0..20 {
        let f = next(ws).await;
        if f["type"] == kind {
            return f;
        }
    }
    panic!("no {kind} frame");
}

async fn enable(app: &App, slug: &str, who: &str) {
    let (st, v) = app
        .send(
            who,
            Method::PUT,
            &format!("/api/v1/tenants/{slug}/chat"),
            json!({"enabled": true}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{}: {v}", app.label());
}

async fn message_count(app: &App) -> i64 {
    let (_, v) = app
        .get("admin_a", "/api/v1/tenants/acme/conversations?channel=chat")
        .await;
    let items = v["items"].as_array().cloned().unwrap_or_default();
    let mut n = 0;
    for c in items {
        n += c["message_count"].as_i64().unwrap_or(0);
    }
    n
}

async fn conversation(app: &App, id: &str) -> Value {
    app.get("adv_a", &format!("/api/v1/tenants/acme/conversations/{id}"))
        .await
        .1
}

#[tokio::test]
async fn a_chat_reaches_the_desk_and_replies_and_typing_come_back() {
    for app in apps().await {
        let l = app.label();
        // Off by default: no upgrade at all, as for an unknown brand.
        assert_eq!(refused_status(&app, "acme").await, 404, "{l}");
        assert_eq!(refused_status(&app, "nope").await, 404, "{l}");
        let (st, _) = app
            .send(
                "adv_a",
                Method::PUT,
                "/api/v1/tenants/acme/chat",
                json!({"enabled": true}),
            )
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{l}");
        enable(&app, "acme", "admin_a").await;

        let mut ws = open(&app, "acme").await;
        say(
            &mut ws,
            json!({"type": "hello", "name": "Léa Martin", "email": "Lea@Example.fr"}),
        )
        .await;
        let w = next(&mut ws).await;
        assert_eq!(w["type"], "welcome", "{l}: {w}");
        assert_eq!(w["open"], true, "{l}: a brand without sites is open");
        assert_eq!(w["resumed"], false);
        let token = w["token"].as_str().unwrap().to_string();

        // The message is acknowledged once stored, and the desk has it.
        say(
            &mut ws,
            json!({"type": "message", "text": "Ma box clignote en rouge", "client_id": "c1"}),
        )
        .await;
        let ack = next(&mut ws).await;
        assert_eq!(ack["type"], "message", "{l}: {ack}");
        assert_eq!(ack["from"], "customer");
        assert_eq!(ack["client_id"], "c1");
        let (_, list) = app
            .get("adv_a", "/api/v1/tenants/acme/conversations?channel=chat")
            .await;
        let conv_id = list["items"][0]["id"].as_str().unwrap().to_string();
        let c = conversation(&app, &conv_id).await;
        assert_eq!(c["conversation"]["channel"], "chat", "{l}: {c}");
        assert_eq!(c["messages"][0]["body"], "Ma box clignote en rouge");
        assert_eq!(c["messages"][0]["id"], ack["id"]);
        assert_eq!(c["customer"]["name"], "Léa Martin");
        assert_eq!(c["customer"]["identities"][0]["value"], "lea@example.fr");
        assert!(c["conversation"]["tags"]
            .as_array()
            .unwrap()
            .contains(&json!("chat")));

        // The customer typing reaches the advisor's live stream (not stored).
        let events_before = app.event_count().await;
        let mut sse = listen(&app, "adv_a", None).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        say(&mut ws, json!({"type": "typing", "active": true})).await;
        let t = next_kind(&mut sse, "chat.typing")
            .await
            .expect("typing on the desk");
        assert_eq!(t["conversation_id"], conv_id.as_str(), "{l}");
        assert_eq!(t["active"], true);
        // Another brand's advisor hears nothing of it.
        let mut other = listen(&app, "adv_b", None).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        say(&mut ws, json!({"type": "typing", "active": false})).await;
        assert!(next_kind(&mut other, "chat.typing").await.is_none(), "{l}");

        // The advisor typing and replying reach the widget.
        let typing = format!("/api/v1/tenants/acme/conversations/{conv_id}/typing");
        let (st, _) = app
            .send("adv_a", Method::POST, &typing, json!({"active": true}))
            .await;
        assert_eq!(st, StatusCode::NO_CONTENT, "{l}");
        let f = next_of(&mut ws, "typing").await;
        assert_eq!(f["active"], true);
        assert_eq!(f["name"], "adv_a");
        let (st, _) = app
            .send("adv_b", Method::POST, &typing, json!({"active": true}))
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{l}: other brands cannot");
        assert_eq!(
            app.event_count().await,
            events_before,
            "{l}: typing is not stored"
        );
        let (st, v) = app
            .send(
                "adv_a",
                Method::POST,
                &format!("/api/v1/tenants/acme/conversations/{conv_id}/messages"),
                json!({"body": "Bonjour Léa, débranchez-la 10 secondes."}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{l}: {v}");
        let reply = next_of(&mut ws, "message").await;
        assert_eq!(reply["from"], "agent", "{l}: {reply}");
        assert_eq!(reply["text"], "Bonjour Léa, débranchez-la 10 secondes.");
        assert_eq!(reply["author"], "adv_a");
        // Taking the conversation is announced to the customer.
        let (st, v) = app
            .send(
                "adv_a",
                Method::PATCH,
                &format!("/api/v1/tenants/acme/conversations/{conv_id}"),
                json!({"assignee_id": app.users["adv_a"]}),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{l}: {v}");
        let joined = next_of(&mut ws, "agent_joined").await;
        assert_eq!(joined["name"], "adv_a", "{l}: {joined}");
        // An internal note never reaches the customer.
        app.send(
            "adv_a",
            Method::POST,
            &format!("/api/v1/tenants/acme/conversations/{conv_id}/messages"),
            json!({"body": "client pénible", "direction": "note"}),
        )
        .await;

        // A reload resumes the same conversation with its history.
        drop(ws);
        let mut ws = open(&app, "acme").await;
        say(
            &mut ws,
            json!({"type": "hello", "token": token, "email": "lea@example.fr"}),
        )
        .await;
        let w = next(&mut ws).await;
        assert_eq!(w["type"], "welcome", "{l}: {w}");
        assert_eq!(w["resumed"], true);
        assert!(w.get("token").is_none(), "{l}: the token is not sent again");
        let history = w["history"].as_array().unwrap();
        assert_eq!(history.len(), 2, "{l}: {w}");
        assert_eq!(history[1]["from"], "agent");
        say(
            &mut ws,
            json!({"type": "message", "text": "C'est reparti !"}),
        )
        .await;
        let ack = next(&mut ws).await;
        assert_eq!(ack["type"], "message", "{l}: {ack}");
        let c = conversation(&app, &conv_id).await;
        let to_customer: Vec<_> = c["messages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["direction"] != "note")
            .collect();
        assert_eq!(to_customer.len(), 3, "{l}: {c}");
        assert_eq!(to_customer[2]["body"], "C'est reparti !");
        say(&mut ws, json!({"type": "bye"})).await;
        assert_eq!(next(&mut ws).await["type"], "closed", "{l}");

        // A second brand's widget cannot resume the first brand's session.
        enable(&app, "globex", "platform").await;
        let mut ws = open(&app, "globex").await;
        say(&mut ws, json!({"type": "hello", "token": token})).await;
        let e = next(&mut ws).await;
        assert_eq!(e["type"], "error", "{l}: {e}");
        assert_eq!(e["code"], "unknown_session");
    }
}

#[tokio::test]
async fn bad_frames_are_refused_and_store_nothing() {
    for app in apps().await {
        let l = app.label();
        enable(&app, "acme", "admin_a").await;
        let mut ws = open(&app, "acme").await;
        say(&mut ws, json!({"type": "message", "text": "before hello"})).await;
        assert_eq!(next(&mut ws).await["code"], "hello_first", "{l}");
        say(&mut ws, json!({"type": "hello"})).await;
        assert_eq!(next(&mut ws).await["type"], "welcome", "{l}");
        let before = app.event_count().await;

        ws.send(Ws::text("{not json")).await.unwrap();
        assert_eq!(next(&mut ws).await["code"], "bad_json", "{l}");
        say(&mut ws, json!({"type": "shout", "text": "x"})).await;
        assert_eq!(next(&mut ws).await["code"], "unknown_type", "{l}");
        say(&mut ws, json!({"type": "message"})).await;
        assert_eq!(next(&mut ws).await["code"], "bad_frame", "{l}");
        say(&mut ws, json!({"type": "message", "text": "   "})).await;
        assert_eq!(next(&mut ws).await["code"], "bad_message", "{l}");
        assert_eq!(app.event_count().await, before, "{l}: nothing stored");

        // Anonymous chat works: the first message opens a conversation.
        say(&mut ws, json!({"type": "message", "text": "Bonjour ?"})).await;
        assert_eq!(next(&mut ws).await["type"], "message", "{l}");
        let stored = message_count(&app).await;
        assert_eq!(stored, 1, "{l}");

        // The rate limit: a burst of ten, then refusals, nothing stored.
        let mut refused = 0;
        for i in 0..15 {
            say(
                &mut ws,
                json!({"type": "message", "text": format!("spam {i}")}),
            )
            .await;
            let f = next(&mut ws).await;
            if f["type"] == "error" {
                assert_eq!(f["code"], "rate_limited", "{l}: {f}");
                refused += 1;
            }
        }
        assert!(refused >= 5, "{l}: {refused} refused");
        assert_eq!(message_count(&app).await, stored + 15 - refused, "{l}");

        // An oversized frame: an error frame, then the session closes.
        let before = app.event_count().await;
        let big = json!({"type": "message", "text": "a".repeat(9 * 1024)});
        say(&mut ws, big).await;
        let e = next(&mut ws).await;
        assert_eq!(e["code"], "frame_too_large", "{l}: {e}");
        let c = next(&mut ws).await;
        assert_eq!(c["type"], "__close", "{l}: {c}");
        assert_eq!(c["code"], 1009);
        assert_eq!(app.event_count().await, before, "{l}: nothing stored");

        // Sessions per address are limited before the upgrade.
        app.state.chat.set_max_sessions_per_ip(2);
        let _a = open(&app, "acme").await;
        let _b = open(&app, "acme").await;
        assert_eq!(refused_status(&app, "acme").await, 429, "{l}");
        drop(_a);
        tokio::time::sleep(Duration::from_millis(300)).await;
        let _c = open(&app, "acme").await;
    }
}

#[tokio::test]
async fn out_of_hours_the_chat_takes_a_message_answered_by_email() {
    for app in apps().await {
        let l = app.label();
        enable(&app, "acme", "admin_a").await;
        // One site, in UTC, open only on the day after tomorrow.
        let (st, s) = app
            .send(
                "admin_a",
                Method::POST,
                "/api/v1/tenants/acme/sites",
                json!({"name": "Lyon", "country": "FR", "time_zone": "UTC"}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{l}: {s}");
        let days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
        let today = time::OffsetDateTime::now_utc()
            .weekday()
            .number_days_from_monday() as usize;
        let open_day = days[(today + 2) % 7];
        let (st, v) = app
            .send(
                "admin_a",
                Method::PUT,
                &format!(
                    "/api/v1/tenants/acme/sites/{}/hours",
                    s["id"].as_str().unwrap()
                ),
                json!({"hours": format!("{open_day} 09:00-17:00")}),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{l}: {v}");

        let mut ws = open(&app, "acme").await;
        say(&mut ws, json!({"type": "hello", "name": "Paul"})).await;
        let w = next(&mut ws).await;
        assert_eq!(w["open"], false, "{l}: {w}");
        assert!(w["reopens_at"].as_str().is_some(), "{l}: {w}");
        let off = next(&mut ws).await;
        assert_eq!(off["type"], "offline", "{l}: {off}");
        assert_eq!(off["email_required"], true);
        // Without an address there is no way to answer: refused, not stored.
        say(&mut ws, json!({"type": "message", "text": "Rappelez-moi"})).await;
        assert_eq!(next(&mut ws).await["code"], "email_required", "{l}");
        assert_eq!(message_count(&app).await, 0, "{l}");

        let mut ws = open(&app, "acme").await;
        say(
            &mut ws,
            json!({"type": "hello", "name": "Paul", "email": "paul@example.org"}),
        )
        .await;
        assert_eq!(next(&mut ws).await["open"], false, "{l}");
        assert_eq!(next(&mut ws).await["email_required"], false, "{l}");
        say(
            &mut ws,
            json!({"type": "message", "text": "Ma ligne est coupée depuis hier"}),
        )
        .await;
        let ack = next(&mut ws).await;
        assert_eq!(ack["type"], "message", "{l}: {ack}");
        let (_, list) = app
            .get("adv_a", "/api/v1/tenants/acme/conversations?channel=chat")
            .await;
        let conv_id = list["items"][0]["id"].as_str().unwrap().to_string();
        let c = conversation(&app, &conv_id).await;
        let tags = c["conversation"]["tags"].as_array().unwrap();
        assert!(tags.contains(&json!("offline")), "{l}: {c}");
        drop(ws);

        // The advisor answers on the desk as usual; it goes out by e-mail.
        let (st, v) = app
            .send(
                "adv_a",
                Method::POST,
                &format!("/api/v1/tenants/acme/conversations/{conv_id}/messages"),
                json!({"body": "Nous avons relancé votre ligne."}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{l}: {v}");
        let reply_id = v["message"]["id"].clone();
        let mut found = Value::Null;
        for _ in 0..40 {
            let c = conversation(&app, &conv_id).await;
            if let Some(d) = c["deliveries"].as_array().and_then(|d| d.first()) {
                found = d.clone();
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(found["message_id"], reply_id, "{l}: {found}");
        assert_eq!(found["to_address"], "paul@example.org");
        assert_eq!(found["state"], "queued");
    }
}
