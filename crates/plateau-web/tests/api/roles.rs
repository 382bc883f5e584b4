//! Every role against every write, and every user against the other tenant:
//! the server refuses what the role does not allow and hides what the user
//! does not belong to.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;

struct Case {
    name: &'static str,
    method: Method,
    path: String,
    body: Option<Value>,
}

fn writes(app: &App) -> Vec<Case> {
    let c = app.conv_a_path();
    vec![
        Case {
            name: "reply",
            method: Method::POST,
            path: format!("{c}/messages"),
            body: Some(json!({"body": "hello"})),
        },
        Case {
            name: "note",
            method: Method::POST,
            path: format!("{c}/messages"),
            body: Some(json!({"body": "psst", "direction": "note"})),
        },
        Case {
            name: "status",
            method: Method::PATCH,
            path: c.clone(),
            body: Some(json!({"status": "pending"})),
        },
        Case {
            name: "tags",
            method: Method::PATCH,
            path: c.clone(),
            body: Some(json!({"tags": ["x"]})),
        },
        Case {
            name: "assign other",
            method: Method::PATCH,
            path: c.clone(),
            body: Some(json!({"assignee_id": app.users["adv2_a"]})),
        },
        Case {
            name: "create",
            method: Method::POST,
            path: "/api/v1/tenants/acme/conversations".into(),
            body: Some(
                json!({"subject": "s", "channel": "email", "body": "b", "customer_id": app.conv_a.customer_id}),
            ),
        },
        Case {
            name: "customer",
            method: Method::POST,
            path: "/api/v1/tenants/acme/customers".into(),
            body: Some(json!({"name": "C"})),
        },
        Case {
            name: "site",
            method: Method::POST,
            path: "/api/v1/tenants/acme/sites".into(),
            body: Some(json!({"name": "S", "country": "FR", "time_zone": "Europe/Paris"})),
        },
        Case {
            name: "team",
            method: Method::POST,
            path: "/api/v1/tenants/acme/teams".into(),
            body: Some(json!({"name": "T", "tier": "n2"})),
        },
        Case {
            name: "member",
            method: Method::PUT,
            path: format!("/api/v1/tenants/acme/members/{}", app.users["adv_b"]),
            body: Some(json!({"role": "advisor"})),
        },
        Case {
            name: "board",
            method: Method::GET,
            path: "/api/v1/tenants/acme/board".into(),
            body: None,
        },
        Case {
            name: "audit",
            method: Method::GET,
            path: "/api/v1/tenants/acme/events".into(),
            body: None,
        },
    ]
}

/// Which cases each role may perform in its own tenant.
fn allowed(role: &str, case: &str) -> bool {
    match role {
        "admin_a" | "platform" => true,
        "sup_a" => !matches!(case, "site" | "team" | "member"),
        "adv_a" | "km_a" => matches!(
            case,
            "reply" | "note" | "status" | "tags" | "create" | "customer"
        ),
        "viewer_a" => case == "board",
        _ => false,
    }
}

#[tokio::test]
async fn each_role_gets_exactly_its_rights() {
    for role in ["viewer_a", "adv_a", "km_a", "sup_a", "admin_a", "platform"] {
        // A fresh app per role, so one role's writes do not change the next one's case.
        for app in apps().await {
            for case in writes(&app) {
                let before = app.event_count().await;
                let r = app
                    .call(role, case.method.clone(), &case.path, case.body.clone())
                    .await;
                let st = r.status();
                let v: Value = r.json().await.unwrap_or(Value::Null);
                if allowed(role, case.name) {
                    assert!(
                        st.is_success(),
                        "{} {role} {}: {st} {v}",
                        app.label(),
                        case.name
                    );
                } else {
                    assert_eq!(
                        st,
                        StatusCode::FORBIDDEN,
                        "{} {role} {}: {v}",
                        app.label(),
                        case.name
                    );
                    assert_eq!(code(&v), "forbidden");
                    assert_eq!(
                        app.event_count().await,
                        before,
                        "{role} {}: a refused action wrote",
                        case.name
                    );
                }
            }
        }
    }
}

#[tokio::test]
async fn other_tenants_are_invisible_not_forbidden() {
    for app in apps().await {
        let before = app.event_count().await;
        // adv_b belongs to Globex only; every Acme route answers 404.
        for case in writes(&app) {
            let r = app
                .call("adv_b", case.method.clone(), &case.path, case.body.clone())
                .await;
            assert_eq!(
                r.status(),
                StatusCode::NOT_FOUND,
                "{} adv_b {}",
                app.label(),
                case.name
            );
        }
        for path in [
            "/api/v1/tenants/acme/conversations",
            "/api/v1/tenants/acme/customers",
            "/api/v1/tenants/acme/members",
            "/api/v1/tenants/acme/teams",
            "/api/v1/tenants/acme/sites",
        ] {
            let (st, _) = app.get("adv_b", path).await;
            assert_eq!(st, StatusCode::NOT_FOUND, "{path}");
        }
        // A Globex id through the Acme path, by someone in both, is still not found.
        let (st, _) = app
            .get(
                "adv_a",
                &format!("/api/v1/tenants/acme/customers/{}", app.conv_b.customer_id),
            )
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        // And assigning a Globex-only user to an Acme conversation is refused.
        let (st, v) = app
            .send(
                "sup_a",
                Method::PATCH,
                &app.conv_a_path(),
                json!({"assignee_id": app.users["adv_b"]}),
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(app.event_count().await, before);
    }
}

#[tokio::test]
async fn client_viewers_never_see_internal_notes() {
    for app in apps().await {
        app.send(
            "adv_a",
            Method::POST,
            &format!("{}/messages", app.conv_a_path()),
            json!({"body": "secret note", "direction": "note"}),
        )
        .await;
        let (_, d) = app.get("viewer_a", &app.conv_a_path()).await;
        assert!(
            d["messages"]
                .as_array()
                .unwrap()
                .iter()
                .all(|m| m["direction"] != "note"),
            "{}",
            app.label()
        );
        let (_, d) = app.get("adv2_a", &app.conv_a_path()).await;
        assert!(d["messages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["direction"] == "note"));
        let (_, evs) = app
            .get("viewer_a", &format!("{}/events", app.conv_a_path()))
            .await;
        assert!(evs
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["payload"]["direction"] != "note"));
    }
}
