//! The organisation: tenants (client brands), their sites and their teams.

use plateau_core::event::kind;
use plateau_core::model::{Site, Team, Tenant, Tier};
use plateau_core::{validate, DomainError, Timestamp};
use serde_json::json;
use uuid::Uuid;

use crate::backend::on_pool;
use crate::events::{insert_event, NewEvent};
use crate::row::PortableRow;
use crate::{Result, Store};

fn tenant(r: &impl PortableRow) -> Result<Tenant> {
    Ok(Tenant {
        id: r.uuid("id")?,
        slug: r.text("slug")?,
        name: r.text("name")?,
        created_at: r.ts("created_at")?,
    })
}

fn site(r: &impl PortableRow) -> Result<Site> {
    Ok(Site {
        id: r.uuid("id")?,
        tenant_id: r.uuid("tenant_id")?,
        name: r.text("name")?,
        country: r.text("country")?,
        time_zone: r.text("time_zone")?,
    })
}

fn team(r: &impl PortableRow) -> Result<Team> {
    Ok(Team {
        id: r.uuid("id")?,
        tenant_id: r.uuid("tenant_id")?,
        site_id: r.opt_uuid("site_id")?,
        name: r.text("name")?,
        tier: r.parse("tier")?,
    })
}

impl Store {
    pub async fn create_tenant(
        &self,
        slug: &str,
        name: &str,
        actor: Option<Uuid>,
    ) -> Result<Tenant> {
        let mut v = plateau_core::error::Validator::new();
        let slug = v.check("slug", validate::slug(slug));
        let name = v.check("name", validate::text(name, validate::MAX_NAME));
        v.finish()?;
        let (Some(slug), Some(name)) = (slug, name) else {
            return Err(DomainError::field("slug", "invalid").into());
        };
        let t = Tenant {
            id: Uuid::now_v7(),
            slug,
            name,
            created_at: Timestamp::now(),
        };
        on_pool!(&self.write, p => {
            let mut tx = p.begin().await?;
            sqlx::query("INSERT INTO tenants (id, slug, name, next_number, created_at) VALUES ($1, $2, $3, 0, $4)")
                .bind(t.id).bind(&t.slug).bind(&t.name).bind(t.created_at.0)
                .execute(&mut *tx).await?;
            insert_event!(&mut *tx, &NewEvent {
                tenant_id: Some(t.id), kind: kind::TENANT_CREATED, subject_id: Some(t.id),
                actor_id: actor, payload: json!({"slug": t.slug, "name": t.name}),
            });
            tx.commit().await?;
        });
        self.notify_committed();
        Ok(t)
    }

    pub async fn tenants(&self) -> Result<Vec<Tenant>> {
        on_pool!(&self.read, p => {
            sqlx::query("SELECT id, slug, name, created_at FROM tenants ORDER BY name")
                .fetch_all(p).await?.iter().map(tenant).collect()
        })
    }

    pub async fn tenant(&self, id: Uuid) -> Result<Tenant> {
        let row = on_pool!(&self.read, p => {
            sqlx::query("SELECT id, slug, name, created_at FROM tenants WHERE id = $1")
                .bind(id).fetch_optional(p).await?.map(|r| tenant(&r)).transpose()?
        });
        row.ok_or(DomainError::NotFound("tenant").into())
    }

    pub async fn tenant_by_slug(&self, slug: &str) -> Result<Tenant> {
        let row = on_pool!(&self.read, p => {
            sqlx::query("SELECT id, slug, name, created_at FROM tenants WHERE slug = $1")
                .bind(slug).fetch_optional(p).await?.map(|r| tenant(&r)).transpose()?
        });
        row.ok_or(DomainError::NotFound("tenant").into())
    }

    pub async fn create_site(
        &self,
        tenant_id: Uuid,
        name: &str,
        country: &str,
        time_zone: &str,
        actor: Option<Uuid>,
    ) -> Result<Site> {
        let mut v = plateau_core::error::Validator::new();
        let name = v.check("name", validate::text(name, validate::MAX_NAME));
        if !(country.len() == 2 && country.chars().all(|c| c.is_ascii_uppercase())) {
            v.push("country", "must be an ISO 3166 code like FR");
        }
        if !time_zone.contains('/') && time_zone != "UTC" {
            v.push("time_zone", "must be an IANA zone like Europe/Paris");
        }
        v.finish()?;
        let site = Site {
            id: Uuid::now_v7(),
            tenant_id,
            name: name.unwrap_or_default(),
            country: country.to_string(),
            time_zone: time_zone.to_string(),
        };
        on_pool!(&self.write, p => {
            let mut tx = p.begin().await?;
            sqlx::query("INSERT INTO sites (id, tenant_id, name, country, time_zone, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(site.id).bind(tenant_id).bind(&site.name).bind(&site.country).bind(&site.time_zone).bind(Timestamp::now().0)
                .execute(&mut *tx).await?;
            insert_event!(&mut *tx, &NewEvent {
                tenant_id: Some(tenant_id), kind: kind::SITE_CREATED, subject_id: Some(site.id),
                actor_id: actor, payload: json!({"name": site.name, "country": site.country, "time_zone": site.time_zone}),
            });
            tx.commit().await?;
        });
        self.notify_committed();
        Ok(site)
    }

    pub async fn sites(&self, tenant_id: Uuid) -> Result<Vec<Site>> {
        on_pool!(&self.read, p => {
            sqlx::query("SELECT id, tenant_id, name, country, time_zone FROM sites WHERE tenant_id = $1 ORDER BY name")
                .bind(tenant_id).fetch_all(p).await?.iter().map(site).collect()
        })
    }

    pub async fn create_team(
        &self,
        tenant_id: Uuid,
        site_id: Option<Uuid>,
        name: &str,
        tier: Tier,
        actor: Option<Uuid>,
    ) -> Result<Team> {
        let name =
            validate::text(name, validate::MAX_NAME).map_err(|m| DomainError::field("name", m))?;
        if let Some(s) = site_id {
            if !self.sites(tenant_id).await?.iter().any(|x| x.id == s) {
                return Err(DomainError::field("site_id", "no such site in this tenant").into());
            }
        }
        let team = Team {
            id: Uuid::now_v7(),
            tenant_id,
            site_id,
            name,
            tier,
        };
        on_pool!(&self.write, p => {
            let mut tx = p.begin().await?;
            sqlx::query("INSERT INTO teams (id, tenant_id, site_id, name, tier, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(team.id).bind(tenant_id).bind(site_id).bind(&team.name).bind(tier.as_str()).bind(Timestamp::now().0)
                .execute(&mut *tx).await?;
            insert_event!(&mut *tx, &NewEvent {
                tenant_id: Some(tenant_id), kind: kind::TEAM_CREATED, subject_id: Some(team.id),
                actor_id: actor, payload: json!({"name": team.name, "tier": tier}),
            });
            tx.commit().await?;
        });
        self.notify_committed();
        Ok(team)
    }

    pub async fn teams(&self, tenant_id: Uuid) -> Result<Vec<Team>> {
        on_pool!(&self.read, p => {
            sqlx::query("SELECT id, tenant_id, site_id, name, tier FROM teams WHERE tenant_id = $1 ORDER BY tier, name")
                .bind(tenant_id).fetch_all(p).await?.iter().map(team).collect()
        })
    }
}

/// A site's opening hours and holidays as written; `None` means around the clock.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SiteHours {
    pub site_id: Uuid,
    pub hours: String,
    pub holidays: String,
}

impl Store {
    /// Every site's hours in a tenant (sites without hours are absent).
    pub async fn site_hours(&self, tenant_id: Uuid) -> Result<Vec<SiteHours>> {
        on_pool!(&self.read, p => {
            sqlx::query("SELECT site_id, hours, holidays FROM site_hours WHERE tenant_id = $1")
                .bind(tenant_id).fetch_all(p).await?
                .iter()
                .map(|r| Ok(SiteHours { site_id: r.uuid("site_id")?, hours: r.text("hours")?, holidays: r.text("holidays")? }))
                .collect()
        })
    }

    /// Sets a site's hours, validated by the core parser first; empty hours
    /// remove them (open around the clock).
    pub async fn set_site_hours(
        &self,
        tenant_id: Uuid,
        site_id: Uuid,
        hours: &str,
        holidays: &str,
        actor: Option<Uuid>,
    ) -> Result<Option<SiteHours>> {
        let clear = hours.trim().is_empty();
        if !clear {
            plateau_core::sla::opening_hours::parse(hours, holidays)?;
        }
        if !self.sites(tenant_id).await?.iter().any(|s| s.id == site_id) {
            return Err(DomainError::NotFound("site").into());
        }
        let now = plateau_core::Timestamp::now();
        let event = crate::events::NewEvent {
            tenant_id: Some(tenant_id),
            kind: plateau_core::event::kind::SITE_HOURS_UPDATED,
            subject_id: Some(site_id),
            actor_id: actor,
            payload: serde_json::json!({"hours": hours.trim(), "holidays": holidays.trim()}),
        };
        on_pool!(&self.write, pool => {
            let mut tx = pool.begin().await?;
            if clear {
                sqlx::query("DELETE FROM site_hours WHERE tenant_id = $1 AND site_id = $2")
                    .bind(tenant_id).bind(site_id).execute(&mut *tx).await?;
            } else {
                sqlx::query("INSERT INTO site_hours (site_id, tenant_id, hours, holidays, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6) \
                             ON CONFLICT (site_id) DO UPDATE SET hours = $3, holidays = $4, updated_by = $5, updated_at = $6")
                    .bind(site_id).bind(tenant_id).bind(hours.trim()).bind(holidays.trim()).bind(actor).bind(now.0)
                    .execute(&mut *tx).await?;
            }
            crate::events::insert_events!(&mut *tx, std::slice::from_ref(&event));
            tx.commit().await?;
        });
        self.notify_committed();
        Ok((!clear).then(|| SiteHours {
            site_id,
            hours: hours.trim().to_string(),
            holidays: holidays.trim().to_string(),
        }))
    }
}
