//! Customers of a tenant, with one identity per channel (e-mail, E.164 phone,
//! social handle) and the profile attributes later used for segmentation.

use plateau_core::event::kind;
use plateau_core::model::{Customer, CustomerProfile, Identity, IdentityKind};
use plateau_core::{validate, DomainError, Timestamp};
use serde_json::json;
use uuid::Uuid;

use crate::backend::on_pool;
use crate::events::{insert_event, NewEvent};
use crate::row::PortableRow;
use crate::{Result, Store};

const COLS: &str = "id, tenant_id, name, age_band, tech_appetite, value_tier, contract_tier, language, preferred_channel, created_at";

fn customer(r: &impl PortableRow) -> Result<Customer> {
    Ok(Customer {
        id: r.uuid("id")?,
        tenant_id: r.uuid("tenant_id")?,
        name: r.text("name")?,
        profile: CustomerProfile {
            age_band: r.opt_parse("age_band")?,
            tech_appetite: r.opt_parse("tech_appetite")?,
            value_tier: r.opt_parse("value_tier")?,
            contract_tier: r.parse("contract_tier")?,
            language: r.parse("language")?,
            preferred_channel: r.opt_parse("preferred_channel")?,
        },
        identities: Vec::new(),
        created_at: r.ts("created_at")?,
    })
}

/// A customer to create; identities are validated and normalised here.
#[derive(Debug, Clone)]
pub struct NewCustomer {
    pub name: String,
    pub profile: CustomerProfile,
    pub identities: Vec<(IdentityKind, String)>,
}

impl NewCustomer {
    /// Validates every field at once, reporting each bad one by name.
    pub fn validated(&self, field_prefix: &str) -> Result<(String, Vec<Identity>)> {
        let mut v = plateau_core::error::Validator::new();
        let name = v.check(
            &format!("{field_prefix}name"),
            validate::text(&self.name, validate::MAX_NAME),
        );
        let mut ids = Vec::new();
        for (i, (k, val)) in self.identities.iter().enumerate() {
            if let Some(value) = v.check(
                &format!("{field_prefix}identities[{i}]"),
                validate::identity(*k, val),
            ) {
                if !ids
                    .iter()
                    .any(|x: &Identity| x.kind == *k && x.value == value)
                {
                    ids.push(Identity { kind: *k, value });
                }
            }
        }
        v.finish()?;
        Ok((name.unwrap_or_default(), ids))
    }
}

/// Inserts a customer and their identities inside an open transaction, and
/// evaluates to the `customer.created` event for the caller to append (alone,
/// or with the other events of the same change in one statement).
macro_rules! insert_customer {
    ($tx:expr, $c:expr, $actor:expr) => {{
        let c: &plateau_core::model::Customer = $c;
        let p = &c.profile;
        sqlx::query("INSERT INTO customers (id, tenant_id, name, age_band, tech_appetite, value_tier, contract_tier, language, preferred_channel, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)")
            .bind(c.id).bind(c.tenant_id).bind(&c.name)
            .bind(p.age_band.map(|x| x.as_str())).bind(p.tech_appetite.map(|x| x.as_str()))
            .bind(p.value_tier.map(|x| x.as_str())).bind(p.contract_tier.as_str()).bind(p.language.as_str())
            .bind(p.preferred_channel.map(|x| x.as_str())).bind(c.created_at.0)
            .execute(&mut *$tx).await?;
        for ident in &c.identities {
            // The primary key (tenant, kind, value) is the uniqueness check: one
            // statement instead of a read then a write on the hot path.
            let inserted = sqlx::query("INSERT INTO customer_identities (tenant_id, kind, value, customer_id) VALUES ($1, $2, $3, $4)")
                .bind(c.tenant_id).bind(ident.kind.as_str()).bind(&ident.value).bind(c.id)
                .execute(&mut *$tx).await;
            if let Err(sqlx::Error::Database(db)) = &inserted {
                if db.is_unique_violation() {
                    return Err(plateau_core::DomainError::Conflict(format!(
                        "{} {} already belongs to another customer", ident.kind, ident.value
                    )).into());
                }
            }
            inserted?;
        }
        $crate::events::NewEvent {
            tenant_id: Some(c.tenant_id), kind: plateau_core::event::kind::CUSTOMER_CREATED,
            subject_id: Some(c.id), actor_id: $actor,
            payload: serde_json::json!({"name": c.name}),
        }
    }};
}
pub(crate) use insert_customer;

impl Store {
    pub async fn create_customer(
        &self,
        tenant_id: Uuid,
        new: &NewCustomer,
        actor: Option<Uuid>,
    ) -> Result<Customer> {
        let (name, identities) = new.validated("")?;
        let c = Customer {
            id: Uuid::now_v7(),
            tenant_id,
            name,
            profile: new.profile.clone(),
            identities,
            created_at: Timestamp::now(),
        };
        on_pool!(&self.write, p => {
            let mut tx = p.begin().await?;
            let created = insert_customer!(tx, &c, actor);
            insert_event!(&mut *tx, &created);
            tx.commit().await?;
        });
        self.notify_committed();
        Ok(c)
    }

    pub async fn customer(&self, tenant_id: Uuid, id: Uuid) -> Result<Customer> {
        let found = on_pool!(&self.read, p => {
            match sqlx::query(&format!("SELECT {COLS} FROM customers WHERE tenant_id = $1 AND id = $2"))
                .bind(tenant_id).bind(id).fetch_optional(p).await? {
                None => None,
                Some(r) => {
                    let mut c = customer(&r)?;
                    let ids = sqlx::query("SELECT kind, value FROM customer_identities WHERE customer_id = $1 ORDER BY kind, value")
                        .bind(id).fetch_all(p).await?;
                    for r in &ids {
                        c.identities.push(Identity { kind: r.parse("kind")?, value: r.text("value")? });
                    }
                    Some(c)
                }
            }
        });
        found.ok_or(DomainError::NotFound("customer").into())
    }

    /// Finds the customer who owns an identity (already normalised).
    pub async fn customer_by_identity(
        &self,
        tenant_id: Uuid,
        kind: IdentityKind,
        value: &str,
    ) -> Result<Option<Customer>> {
        let id = on_pool!(&self.read, p => {
            sqlx::query("SELECT customer_id FROM customer_identities WHERE tenant_id = $1 AND kind = $2 AND value = $3")
                .bind(tenant_id).bind(kind.as_str()).bind(value).fetch_optional(p).await?
                .map(|r| r.uuid("customer_id")).transpose()?
        });
        match id {
            None => Ok(None),
            Some(id) => self.customer(tenant_id, id).await.map(Some),
        }
    }

    /// Customers whose name starts with `prefix` (case-sensitive index order), paged by name.
    pub async fn customers(
        &self,
        tenant_id: Uuid,
        prefix: &str,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Customer>> {
        let after = after.unwrap_or("");
        let upper = format!("{prefix}\u{10FFFF}");
        on_pool!(&self.read, p => {
            sqlx::query(&format!("SELECT {COLS} FROM customers WHERE tenant_id = $1 AND name >= $2 AND name < $3 AND name > $4 ORDER BY name LIMIT $5"))
                .bind(tenant_id).bind(prefix).bind(upper).bind(after).bind(limit)
                .fetch_all(p).await?.iter().map(customer).collect()
        })
    }

    /// Names of several customers at once, for list pages.
    pub async fn customer_names(
        &self,
        tenant_id: Uuid,
        ids: &[Uuid],
    ) -> Result<std::collections::HashMap<Uuid, String>> {
        let mut out = std::collections::HashMap::new();
        if ids.is_empty() {
            return Ok(out);
        }
        let mut params = crate::row::Params::default();
        let ph: Vec<String> = ids
            .iter()
            .map(|id| params.push(crate::row::Arg::Uuid(*id)))
            .collect();
        // Looked up by primary key alone (a tenant_id term can steer SQLite onto
        // the name index); rows of another tenant are dropped below.
        let sql = format!(
            "SELECT id, tenant_id, name FROM customers WHERE id IN ({})",
            ph.join(", ")
        );
        on_pool!(&self.read, p => {
            for r in crate::row::bind_args!(sqlx::query(&sql), &params.args).fetch_all(p).await? {
                if r.uuid("tenant_id")? == tenant_id {
                    out.insert(r.uuid("id")?, r.text("name")?);
                }
            }
        });
        Ok(out)
    }

    pub async fn update_customer_profile(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        name: Option<&str>,
        profile: &CustomerProfile,
        actor: Option<Uuid>,
    ) -> Result<Customer> {
        let before = self.customer(tenant_id, id).await?;
        let name = match name {
            Some(n) => {
                validate::text(n, validate::MAX_NAME).map_err(|m| DomainError::field("name", m))?
            }
            None => before.name.clone(),
        };
        on_pool!(&self.write, p => {
            let mut tx = p.begin().await?;
            sqlx::query("UPDATE customers SET name = $1, age_band = $2, tech_appetite = $3, value_tier = $4, contract_tier = $5, language = $6, preferred_channel = $7, updated_at = $8 WHERE tenant_id = $9 AND id = $10")
                .bind(&name)
                .bind(profile.age_band.map(|x| x.as_str())).bind(profile.tech_appetite.map(|x| x.as_str()))
                .bind(profile.value_tier.map(|x| x.as_str())).bind(profile.contract_tier.as_str())
                .bind(profile.language.as_str()).bind(profile.preferred_channel.map(|x| x.as_str()))
                .bind(Timestamp::now().0).bind(tenant_id).bind(id)
                .execute(&mut *tx).await?;
            insert_event!(&mut *tx, &NewEvent {
                tenant_id: Some(tenant_id), kind: kind::CUSTOMER_UPDATED, subject_id: Some(id),
                actor_id: actor, payload: json!({"name": name, "profile": profile}),
            });
            tx.commit().await?;
        });
        self.notify_committed();
        self.customer(tenant_id, id).await
    }
}
