//! Hourly arrival counts for the staffing forecast, on every available backend: bucketing by
//! UTC hour and channel, the half-open window, tenant isolation and bad windows.

use plateau_core::model::*;
use plateau_core::{DomainError, Timestamp};
use plateau_store::conversations::*;
use plateau_store::customers::NewCustomer;
use plateau_store::volumes::{HourlyArrivals, HOUR_MICROS};
use plateau_store::{testing, StoreError};

fn conv(customer: CustomerRef, channel: Channel, at: Timestamp) -> NewConversation {
    NewConversation {
        customer,
        subject: "Box éteinte".into(),
        channel,
        direction: Direction::Inbound,
        body: "Bonjour, ma box ne s'allume plus.".into(),
        priority: Priority::Normal,
        reason: None,
        tags: vec![],
        team_id: None,
        assignee_id: None,
        language: None,
        attachments: vec![],
        at: Some(at),
    }
}

fn customer(email: &str) -> CustomerRef {
    CustomerRef::New(NewCustomer {
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
    })
}

#[tokio::test]
async fn arrivals_are_counted_per_utc_hour_and_channel_on_every_backend() {
    for db in testing::all().await.unwrap() {
        let s = &db.store;
        let label = db.label;
        let a = s.create_tenant("acme", "Acme", None).await.unwrap();
        let b = s.create_tenant("globex", "Globex", None).await.unwrap();
        // 2024-03-01T00:00Z as whole hours since the epoch.
        let h0: i64 = 474_792;
        let at =
            |hour: i64, minute: i64| Timestamp((h0 + hour) * HOUR_MICROS + minute * 60_000_000);
        let first = s
            .create_conversation(
                a.id,
                conv(customer("j@a.example"), Channel::Phone, at(0, 0)),
                None,
            )
            .await
            .unwrap();
        let who = || CustomerRef::Existing(first.customer_id);
        s.create_conversations(
            a.id,
            vec![
                conv(who(), Channel::Phone, at(0, 59)),
                conv(who(), Channel::Chat, at(0, 30)),
                conv(who(), Channel::Phone, at(1, 0)),
                conv(who(), Channel::Email, at(5, 10)),
                // Outside the window on both sides.
                conv(who(), Channel::Phone, at(-1, 59)),
                conv(who(), Channel::Phone, at(6, 0)),
            ],
            None,
        )
        .await
        .unwrap();
        // Another tenant's traffic in the same hours is never counted.
        s.create_conversation(
            b.id,
            conv(customer("j@b.example"), Channel::Phone, at(0, 5)),
            None,
        )
        .await
        .unwrap();

        let rows = s.hourly_arrivals(a.id, at(0, 0), at(6, 0)).await.unwrap();
        let expected = vec![
            HourlyArrivals {
                hour: h0,
                channel: Channel::Chat,
                count: 1,
            },
            HourlyArrivals {
                hour: h0,
                channel: Channel::Phone,
                count: 2,
            },
            HourlyArrivals {
                hour: h0 + 1,
                channel: Channel::Phone,
                count: 1,
            },
            HourlyArrivals {
                hour: h0 + 5,
                channel: Channel::Email,
                count: 1,
            },
        ];
        assert_eq!(rows, expected, "{label}");
        assert_eq!(rows[0].start(), at(0, 0), "{label}");

        // The last-weeks form covers the week before `until`, `until` excluded.
        let week = s
            .hourly_arrivals_last_weeks(a.id, at(6, 0), 1)
            .await
            .unwrap();
        let total: i64 = week.iter().map(|r| r.count).sum();
        assert_eq!(
            total, 6,
            "{label}: the 23:59 call of the day before counts, 06:00 does not"
        );

        let other = s.hourly_arrivals(b.id, at(0, 0), at(6, 0)).await.unwrap();
        assert_eq!(other.len(), 1, "{label}");
        assert_eq!(other[0].count, 1, "{label}");

        // Bad windows are refused, naming the field.
        for (err, field) in [
            (s.hourly_arrivals(a.id, at(6, 0), at(0, 0)).await, "to"),
            (
                s.hourly_arrivals_last_weeks(a.id, at(6, 0), 0).await,
                "weeks",
            ),
            (
                s.hourly_arrivals_last_weeks(a.id, at(6, 0), 500).await,
                "weeks",
            ),
        ] {
            match err {
                Err(StoreError::Domain(DomainError::Invalid(e))) => {
                    assert_eq!(e[0].field, field, "{label}")
                }
                other => panic!("{label}: expected a field error, got {other:?}"),
            }
        }
    }
}
