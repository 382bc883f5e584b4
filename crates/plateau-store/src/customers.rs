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

/// One merge: what moved from `merged_id` to `survivor_id`, so that undoing
/// it moves exactly that back.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Merge {
    pub id: Uuid,
    pub survivor_id: Uuid,
    pub merged_id: Uuid,
    pub identities: Vec<Identity>,
    pub conversations: Vec<Uuid>,
    pub created_by: Option<Uuid>,
    pub created_at: Timestamp,
    pub undone_at: Option<Timestamp>,
}

fn merge_row(r: &impl PortableRow) -> Result<Merge> {
    let bad = |e: serde_json::Error| crate::StoreError::Corrupt(format!("customer_merges: {e}"));
    let ids: Vec<(String, String)> = serde_json::from_str(&r.text("identities")?).map_err(bad)?;
    let mut identities = Vec::with_capacity(ids.len());
    for (k, v) in ids {
        identities.push(Identity {
            kind: k.parse().map_err(crate::StoreError::Corrupt)?,
            value: v,
        });
    }
    Ok(Merge {
        id: r.uuid("id")?,
        survivor_id: r.uuid("survivor_id")?,
        merged_id: r.uuid("merged_id")?,
        identities,
        conversations: serde_json::from_str(&r.text("conversations")?).map_err(bad)?,
        created_by: r.opt_uuid("created_by")?,
        created_at: r.ts("created_at")?,
        undone_at: r.opt_int("undone_at")?.map(Timestamp),
    })
}

const MERGE_COLS: &str =
    "id, survivor_id, merged_id, identities, conversations, created_by, created_at, undone_at";

impl Store {
    /// The customer this one was merged into, if it was.
    pub async fn merged_into(&self, tenant_id: Uuid, id: Uuid) -> Result<Option<Uuid>> {
        let row = on_pool!(&self.read, p => {
            sqlx::query("SELECT merged_into FROM customers WHERE tenant_id = $1 AND id = $2")
                .bind(tenant_id).bind(id).fetch_optional(p).await?
                .map(|r| r.opt_uuid("merged_into")).transpose()?
        });
        row.ok_or(DomainError::NotFound("customer").into())
    }

    /// Adds an identity to a customer. One the customer already has is
    /// accepted as is; one another customer owns is a conflict that names
    /// the owner, so the advisor can open them and merge.
    pub async fn add_identity(
        &self,
        tenant_id: Uuid,
        customer_id: Uuid,
        kind: IdentityKind,
        raw: &str,
        actor: Option<Uuid>,
    ) -> Result<Customer> {
        let value = validate::identity(kind, raw).map_err(|m| DomainError::field("value", m))?;
        let c = self.customer(tenant_id, customer_id).await?;
        if self.merged_into(tenant_id, customer_id).await?.is_some() {
            return Err(DomainError::Conflict(format!(
                "{} was merged into another customer; add the identity to that one",
                c.name
            ))
            .into());
        }
        if let Some(owner) = self.customer_by_identity(tenant_id, kind, &value).await? {
            if owner.id == customer_id {
                return Ok(c);
            }
            return Err(DomainError::Conflict(format!(
                "{kind} {value} already belongs to customer {} ({})",
                owner.name, owner.id
            ))
            .into());
        }
        on_pool!(&self.write, p => {
            let mut tx = p.begin().await?;
            sqlx::query("INSERT INTO customer_identities (tenant_id, kind, value, customer_id) VALUES ($1, $2, $3, $4)")
                .bind(tenant_id).bind(kind.as_str()).bind(&value).bind(customer_id)
                .execute(&mut *tx).await?;
            insert_event!(&mut *tx, &NewEvent {
                tenant_id: Some(tenant_id), kind: kind::CUSTOMER_IDENTITY_ADDED, subject_id: Some(customer_id),
                actor_id: actor, payload: json!({"kind": kind.as_str(), "value": value}),
            });
            tx.commit().await?;
        });
        self.notify_committed();
        self.customer(tenant_id, customer_id).await
    }

    /// Merges `merged_id` into `survivor_id`: its identities and
    /// conversations move to the survivor, and it points at the survivor.
    /// What moved is read by the statements that move it (RETURNING), so a
    /// concurrent addition is either moved and recorded, or left alone.
    pub async fn merge_customers(
        &self,
        tenant_id: Uuid,
        survivor_id: Uuid,
        merged_id: Uuid,
        actor: Option<Uuid>,
    ) -> Result<Merge> {
        if survivor_id == merged_id {
            return Err(
                DomainError::field("from", "a customer cannot be merged into itself").into(),
            );
        }
        let survivor = self.customer(tenant_id, survivor_id).await?;
        let merged = self.customer(tenant_id, merged_id).await?;
        for c in [&survivor, &merged] {
            if let Some(into) = self.merged_into(tenant_id, c.id).await? {
                return Err(DomainError::Conflict(format!(
                    "{} ({}) was already merged into {into}",
                    c.name, c.id
                ))
                .into());
            }
        }
        let id = Uuid::now_v7();
        let now = Timestamp::now();
        let (identities, conversations) = on_pool!(&self.write, p => {
            let mut tx = p.begin().await?;
            let n = sqlx::query("UPDATE customers SET merged_into = $1, updated_at = $2 WHERE tenant_id = $3 AND id = $4 AND merged_into IS NULL")
                .bind(survivor_id).bind(now.0).bind(tenant_id).bind(merged_id)
                .execute(&mut *tx).await?.rows_affected();
            if n == 0 {
                return Err(DomainError::Conflict(format!("{} was merged meanwhile", merged.name)).into());
            }
            let mut identities = Vec::new();
            for r in sqlx::query("UPDATE customer_identities SET customer_id = $1 WHERE tenant_id = $2 AND customer_id = $3 RETURNING kind, value")
                .bind(survivor_id).bind(tenant_id).bind(merged_id).fetch_all(&mut *tx).await? {
                identities.push((r.text("kind")?, r.text("value")?));
            }
            let mut conversations = Vec::new();
            for r in sqlx::query("UPDATE conversations SET customer_id = $1 WHERE tenant_id = $2 AND customer_id = $3 RETURNING id")
                .bind(survivor_id).bind(tenant_id).bind(merged_id).fetch_all(&mut *tx).await? {
                conversations.push(r.uuid("id")?);
            }
            identities.sort();
            conversations.sort();
            sqlx::query("INSERT INTO customer_merges (id, tenant_id, survivor_id, merged_id, identities, conversations, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                .bind(id).bind(tenant_id).bind(survivor_id).bind(merged_id)
                .bind(json!(identities).to_string()).bind(json!(conversations).to_string())
                .bind(actor).bind(now.0)
                .execute(&mut *tx).await?;
            insert_event!(&mut *tx, &NewEvent {
                tenant_id: Some(tenant_id), kind: kind::CUSTOMER_MERGED, subject_id: Some(survivor_id),
                actor_id: actor, payload: json!({"merge_id": id, "merged_id": merged_id, "merged_name": merged.name,
                    "identities": identities.len(), "conversations": conversations.len()}),
            });
            tx.commit().await?;
            (identities, conversations)
        });
        self.notify_committed();
        tracing::debug!(
            identities = identities.len(),
            conversations = conversations.len(),
            "customers merged"
        );
        self.merge(tenant_id, survivor_id, id).await
    }

    pub async fn merge(&self, tenant_id: Uuid, survivor_id: Uuid, id: Uuid) -> Result<Merge> {
        let found = on_pool!(&self.read, p => {
            sqlx::query(&format!("SELECT {MERGE_COLS} FROM customer_merges WHERE tenant_id = $1 AND survivor_id = $2 AND id = $3"))
                .bind(tenant_id).bind(survivor_id).bind(id).fetch_optional(p).await?
                .map(|r| merge_row(&r)).transpose()?
        });
        found.ok_or(DomainError::NotFound("merge").into())
    }

    /// Merges into this customer or of this customer, newest first.
    pub async fn merges(&self, tenant_id: Uuid, customer_id: Uuid) -> Result<Vec<Merge>> {
        on_pool!(&self.read, p => {
            sqlx::query(&format!("SELECT {MERGE_COLS} FROM customer_merges WHERE tenant_id = $1 AND (survivor_id = $2 OR merged_id = $2) ORDER BY created_at DESC, id DESC"))
                .bind(tenant_id).bind(customer_id).fetch_all(p).await?
                .iter().map(merge_row).collect()
        })
    }

    /// Undoes a merge: moves back exactly what it moved. Refused, changing
    /// nothing, when that is no longer possible: the merge was undone
    /// already, the survivor was itself merged since, or something that
    /// moved has moved again (an identity or conversation that is no longer
    /// the survivor's).
    pub async fn undo_merge(
        &self,
        tenant_id: Uuid,
        survivor_id: Uuid,
        id: Uuid,
        actor: Option<Uuid>,
    ) -> Result<Merge> {
        let m = self.merge(tenant_id, survivor_id, id).await?;
        if m.undone_at.is_some() {
            return Err(DomainError::Conflict("this merge was already undone".into()).into());
        }
        if let Some(into) = self.merged_into(tenant_id, survivor_id).await? {
            return Err(DomainError::Conflict(format!(
                "the customer was merged into {into} since; undo that merge first"
            ))
            .into());
        }
        let now = Timestamp::now();
        on_pool!(&self.write, p => {
            let mut tx = p.begin().await?;
            for ident in &m.identities {
                let n = sqlx::query("UPDATE customer_identities SET customer_id = $1 WHERE tenant_id = $2 AND kind = $3 AND value = $4 AND customer_id = $5")
                    .bind(m.merged_id).bind(tenant_id).bind(ident.kind.as_str()).bind(&ident.value).bind(survivor_id)
                    .execute(&mut *tx).await?.rows_affected();
                if n == 0 {
                    return Err(DomainError::Conflict(format!(
                        "{} {} is no longer this customer's (removed or moved since the merge), so the merge cannot be undone",
                        ident.kind, ident.value
                    )).into());
                }
            }
            for conv in &m.conversations {
                let n = sqlx::query("UPDATE conversations SET customer_id = $1 WHERE tenant_id = $2 AND id = $3 AND customer_id = $4")
                    .bind(m.merged_id).bind(tenant_id).bind(conv).bind(survivor_id)
                    .execute(&mut *tx).await?.rows_affected();
                if n == 0 {
                    return Err(DomainError::Conflict(format!(
                        "conversation {conv} moved to another customer since the merge, so the merge cannot be undone"
                    )).into());
                }
            }
            let n = sqlx::query("UPDATE customers SET merged_into = NULL, updated_at = $1 WHERE tenant_id = $2 AND id = $3 AND merged_into = $4")
                .bind(now.0).bind(tenant_id).bind(m.merged_id).bind(survivor_id)
                .execute(&mut *tx).await?.rows_affected();
            let undone = sqlx::query("UPDATE customer_merges SET undone_at = $1, undone_by = $2 WHERE id = $3 AND undone_at IS NULL")
                .bind(now.0).bind(actor).bind(id)
                .execute(&mut *tx).await?.rows_affected();
            if n == 0 || undone == 0 {
                return Err(DomainError::Conflict("the merge changed meanwhile; reload and try again".into()).into());
            }
            insert_event!(&mut *tx, &NewEvent {
                tenant_id: Some(tenant_id), kind: kind::CUSTOMER_MERGE_UNDONE, subject_id: Some(survivor_id),
                actor_id: actor, payload: json!({"merge_id": id, "merged_id": m.merged_id}),
            });
            tx.commit().await?;
        });
        self.notify_committed();
        self.merge(tenant_id, survivor_id, id).await
    }
}
