//! Opening hours per site and the brand's availability: open while any site
//! is, the earliest reopening otherwise, published without login.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;

async fn site(app: &App, name: &str, tz: &str) -> String {
    let (st, v) = app
        .send(
            "admin_a",
            Method::POST,
            "/api/v1/tenants/acme/sites",
            json!({"name": name, "country": "FR", "time_zone": tz}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    v["id"].as_str().unwrap().to_string()
}

/// Yesterday, today and tomorrow (UTC dates) as holidays: closed now in any
/// time zone, reopening at a local midnight two or three days ahead.
fn closed_days() -> String {
    let today = time::OffsetDateTime::now_utc().date();
    [
        today.previous_day().unwrap(),
        today,
        today.next_day().unwrap(),
        today.next_day().unwrap().next_day().unwrap(),
    ]
    .iter()
    .map(|d| format!("{d} Fermé"))
    .collect::<Vec<_>>()
    .join("\n")
}

fn open_now(v: &Value) -> bool {
    v["open_now"].as_bool().unwrap()
}

#[tokio::test]
async fn the_brand_is_open_while_any_site_is_and_says_when_it_reopens() {
    for app in apps().await {
        let l = app.label();
        let paris = site(&app, "Paris", "Europe/Paris").await;
        let sydney = site(&app, "Sydney", "Australia/Sydney").await;
        let hours = |id: &str| format!("/api/v1/tenants/acme/sites/{id}/hours");

        // Bad hours are refused line by line; nobody but an admin sets them.
        let before = app.event_count().await;
        let (st, v) = app
            .send(
                "admin_a",
                Method::PUT,
                &hours(&paris),
                json!({"hours": "lun-ven 8h-20h\nsam 09:00-12:00", "holidays": "25/12"}),
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{l}: {v}");
        let msgs: Vec<String> = v["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["message"].as_str().unwrap().to_string())
            .collect();
        assert!(
            msgs[0].starts_with("rule 1") && msgs[1].starts_with("line 1"),
            "{l}: {msgs:?}"
        );
        let (st, _) = app
            .send(
                "sup_a",
                Method::PUT,
                &hours(&paris),
                json!({"hours": "mon 09:00-10:00"}),
            )
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{l}");
        let (st, _) = app
            .send(
                "admin_a",
                Method::PUT,
                &hours(&app.tenant_b.id.to_string()),
                json!({"hours": "mon 09:00-10:00"}),
            )
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{l}");
        assert_eq!(
            app.event_count().await,
            before,
            "{l}: refusals write nothing"
        );

        // Paris closed for the next days, Sydney around the clock: open.
        let (st, v) = app
            .send(
                "admin_a",
                Method::PUT,
                &hours(&paris),
                json!({"hours": "mon-sun 00:00-24:00", "holidays": closed_days()}),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{l}: {v}");
        let (_, v) = app.get("adv_a", "/api/v1/tenants/acme/availability").await;
        assert!(open_now(&v), "{l}: {v}");
        let p = v["sites"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == "Paris")
            .unwrap();
        assert!(!open_now(p) && p["reopens_at"].is_string(), "{l}: {p}");

        // Both closed: the brand is closed and reopens at the earlier site.
        app.send(
            "admin_a",
            Method::PUT,
            &hours(&sydney),
            json!({"hours": "mon-sun 00:00-24:00", "holidays": closed_days()}),
        )
        .await;
        let (_, v) = app
            .get("anonymous", "/api/v1/public/acme/availability")
            .await;
        assert!(!open_now(&v), "{l}: {v}");
        assert_eq!(v["help_centre"], "/help/acme", "{l}");
        let (_, inside) = app.get("adv_a", "/api/v1/tenants/acme/availability").await;
        let earliest = inside["sites"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|s| s["reopens_at"].as_str())
            .min()
            .unwrap()
            .to_string();
        assert_eq!(v["reopens_at"].as_str(), Some(earliest.as_str()), "{l}");
        // Sydney's midnight comes before Paris's.
        let s = inside["sites"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == "Sydney")
            .unwrap();
        assert_eq!(
            s["reopens_at"].as_str(),
            Some(earliest.as_str()),
            "{l}: {inside}"
        );

        // Clearing the hours reopens Paris around the clock; the board shows it.
        app.send("admin_a", Method::PUT, &hours(&paris), json!({"hours": ""}))
            .await;
        let (_, v) = app
            .get("anonymous", "/api/v1/public/acme/availability")
            .await;
        assert!(open_now(&v), "{l}: {v}");
        let (_, html) = app.browser("sup_a").await.page("/t/acme/board").await;
        assert!(
            html.contains("Sydney") && html.contains("(Australia/Sydney)"),
            "{l}"
        );
        let (st, _) = app
            .get("anonymous", "/api/v1/public/nope/availability")
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{l}");
    }
}
