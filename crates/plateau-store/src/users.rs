//! People: users, their role in each tenant, login sessions and personal API
//! tokens. Secrets are stored only as hashes; the plaintext never reaches SQL.

use std::collections::HashMap;

use plateau_core::event::kind;
use plateau_core::model::{Language, Membership, Role, User};
use plateau_core::policy::Actor;
use plateau_core::{validate, DomainError, Timestamp};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use crate::backend::on_pool;
use crate::events::{insert_event, NewEvent};
use crate::row::PortableRow;
use crate::{Result, Store};

const USER_COLS: &str = "id, email, display_name, locale, platform_admin, disabled, created_at";

fn user(r: &impl PortableRow) -> Result<User> {
    Ok(User {
        id: r.uuid("id")?,
        email: r.text("email")?,
        display_name: r.text("display_name")?,
        locale: r.parse("locale")?,
        platform_admin: r.boolean("platform_admin")?,
        disabled: r.boolean("disabled")?,
        created_at: r.ts("created_at")?,
    })
}

fn membership(r: &impl PortableRow) -> Result<Membership> {
    Ok(Membership {
        tenant_id: r.uuid("tenant_id")?,
        user_id: r.uuid("user_id")?,
        role: r.parse("role")?,
        team_id: r.opt_uuid("team_id")?,
        site_id: r.opt_uuid("site_id")?,
    })
}

const MEMBER_SELECT: &str = "SELECT u.id, u.email, u.display_name, u.locale, u.platform_admin, u.disabled, u.created_at, m.role, m.team_id, m.site_id \
     FROM memberships m JOIN users u ON u.id = m.user_id";

fn member(r: &impl PortableRow) -> Result<Member> {
    Ok(Member {
        user: user(r)?,
        role: r.parse("role")?,
        team_id: r.opt_uuid("team_id")?,
        site_id: r.opt_uuid("site_id")?,
    })
}

/// A member of a tenant as the directory and the board list them.
#[derive(Debug, Clone, Serialize)]
pub struct Member {
    #[serde(flatten)]
    pub user: User,
    pub role: Role,
    pub team_id: Option<Uuid>,
    pub site_id: Option<Uuid>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ApiToken {
    pub id: Uuid,
    pub name: String,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

pub struct NewUser<'a> {
    pub email: &'a str,
    pub display_name: &'a str,
    pub password_hash: Option<String>,
    pub locale: Language,
    pub platform_admin: bool,
}

impl Store {
    pub async fn create_user(&self, new: NewUser<'_>, actor: Option<Uuid>) -> Result<User> {
        let mut v = plateau_core::error::Validator::new();
        let email = v.check("email", validate::email(new.email));
        let name = v.check(
            "display_name",
            validate::text(new.display_name, validate::MAX_NAME),
        );
        v.finish()?;
        let u = User {
            id: Uuid::now_v7(),
            email: email.unwrap_or_default(),
            display_name: name.unwrap_or_default(),
            locale: new.locale,
            platform_admin: new.platform_admin,
            disabled: false,
            created_at: Timestamp::now(),
        };
        on_pool!(&self.write, p => {
            let mut tx = p.begin().await?;
            sqlx::query("INSERT INTO users (id, email, display_name, password_hash, locale, platform_admin, disabled, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                .bind(u.id).bind(&u.email).bind(&u.display_name).bind(new.password_hash.as_deref())
                .bind(u.locale.as_str()).bind(u.platform_admin).bind(false).bind(u.created_at.0)
                .execute(&mut *tx).await?;
            insert_event!(&mut *tx, &NewEvent {
                tenant_id: None, kind: kind::USER_CREATED, subject_id: Some(u.id),
                actor_id: actor, payload: json!({"email": u.email, "platform_admin": u.platform_admin}),
            });
            tx.commit().await?;
        });
        self.notify_committed();
        Ok(u)
    }

    /// Grants or changes a user's role in a tenant.
    pub async fn set_membership(&self, m: &Membership, actor: Option<Uuid>) -> Result<()> {
        on_pool!(&self.write, p => {
            let mut tx = p.begin().await?;
            sqlx::query("DELETE FROM memberships WHERE tenant_id = $1 AND user_id = $2")
                .bind(m.tenant_id).bind(m.user_id).execute(&mut *tx).await?;
            sqlx::query("INSERT INTO memberships (tenant_id, user_id, role, team_id, site_id) VALUES ($1, $2, $3, $4, $5)")
                .bind(m.tenant_id).bind(m.user_id).bind(m.role.as_str()).bind(m.team_id).bind(m.site_id)
                .execute(&mut *tx).await?;
            insert_event!(&mut *tx, &NewEvent {
                tenant_id: Some(m.tenant_id), kind: kind::MEMBERSHIP_CHANGED, subject_id: Some(m.user_id),
                actor_id: actor, payload: json!({"role": m.role, "team_id": m.team_id, "site_id": m.site_id}),
            });
            tx.commit().await?;
        });
        self.notify_committed();
        Ok(())
    }

    pub async fn user(&self, id: Uuid) -> Result<User> {
        let u = on_pool!(&self.read, p => {
            sqlx::query(&format!("SELECT {USER_COLS} FROM users WHERE id = $1"))
                .bind(id).fetch_optional(p).await?.map(|r| user(&r)).transpose()?
        });
        u.ok_or(DomainError::NotFound("user").into())
    }

    /// The user and stored password hash for a login attempt.
    pub async fn user_for_login(&self, email: &str) -> Result<Option<(User, Option<String>)>> {
        let email = email.trim().to_lowercase();
        on_pool!(&self.read, p => {
            match sqlx::query(&format!("SELECT {USER_COLS}, password_hash FROM users WHERE email = $1"))
                .bind(email).fetch_optional(p).await? {
                None => Ok(None),
                Some(r) => Ok(Some((user(&r)?, r.opt_text("password_hash")?))),
            }
        })
    }

    pub async fn set_password_hash(&self, user_id: Uuid, hash: &str) -> Result<()> {
        on_pool!(&self.write, p => {
            sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
                .bind(hash).bind(user_id).execute(p).await?;
        });
        Ok(())
    }

    pub async fn set_locale(&self, user_id: Uuid, locale: Language) -> Result<()> {
        on_pool!(&self.write, p => {
            sqlx::query("UPDATE users SET locale = $1 WHERE id = $2")
                .bind(locale.as_str()).bind(user_id).execute(p).await?;
        });
        Ok(())
    }

    pub async fn memberships(&self, user_id: Uuid) -> Result<Vec<Membership>> {
        on_pool!(&self.read, p => {
            sqlx::query("SELECT tenant_id, user_id, role, team_id, site_id FROM memberships WHERE user_id = $1")
                .bind(user_id).fetch_all(p).await?.iter().map(membership).collect()
        })
    }

    /// The policy view of a user: their flag and their role per tenant.
    pub async fn actor(&self, u: &User) -> Result<Actor> {
        let roles: HashMap<Uuid, Role> = self
            .memberships(u.id)
            .await?
            .into_iter()
            .map(|m| (m.tenant_id, m.role))
            .collect();
        Ok(Actor {
            user_id: u.id,
            platform_admin: u.platform_admin,
            roles,
        })
    }

    pub async fn members(&self, tenant_id: Uuid) -> Result<Vec<Member>> {
        on_pool!(&self.read, p => {
            let rows = sqlx::query(&format!("{MEMBER_SELECT} WHERE m.tenant_id = $1 ORDER BY u.display_name"))
                .bind(tenant_id).fetch_all(p).await?;
            rows.iter().map(member).collect()
        })
    }

    /// One member of a tenant, by primary key; None if they do not belong to it.
    pub async fn member(&self, tenant_id: Uuid, user_id: Uuid) -> Result<Option<Member>> {
        on_pool!(&self.read, p => {
            sqlx::query(&format!("{MEMBER_SELECT} WHERE m.tenant_id = $1 AND m.user_id = $2"))
                .bind(tenant_id).bind(user_id).fetch_optional(p).await?
                .map(|r| member(&r)).transpose()
        })
    }

    pub async fn create_session(
        &self,
        token_hash: &str,
        user_id: Uuid,
        csrf: &str,
        ttl_secs: i64,
    ) -> Result<()> {
        let now = Timestamp::now();
        on_pool!(&self.write, p => {
            sqlx::query("INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(token_hash).bind(user_id).bind(csrf).bind(now.0).bind(now.plus_seconds(ttl_secs).0)
                .execute(p).await?;
        });
        Ok(())
    }

    /// The live session's user and CSRF token, if it exists and has not expired.
    pub async fn session(&self, token_hash: &str) -> Result<Option<(User, String)>> {
        on_pool!(&self.read, p => {
            let row = sqlx::query(
                "SELECT u.id, u.email, u.display_name, u.locale, u.platform_admin, u.disabled, u.created_at, s.csrf_token \
                 FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND s.expires_at > $2")
                .bind(token_hash).bind(Timestamp::now().0).fetch_optional(p).await?;
            match row {
                None => Ok(None),
                Some(r) => Ok(Some((user(&r)?, r.text("csrf_token")?))),
            }
        })
    }

    pub async fn delete_session(&self, token_hash: &str) -> Result<()> {
        on_pool!(&self.write, p => {
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(p).await?;
        });
        Ok(())
    }

    pub async fn create_api_token(
        &self,
        user_id: Uuid,
        name: &str,
        token_hash: &str,
    ) -> Result<ApiToken> {
        let name = validate::text(name, 100).map_err(|m| DomainError::field("name", m))?;
        let t = ApiToken {
            id: Uuid::now_v7(),
            name,
            created_at: Timestamp::now(),
            last_used_at: None,
            revoked_at: None,
        };
        on_pool!(&self.write, p => {
            let mut tx = p.begin().await?;
            sqlx::query("INSERT INTO api_tokens (id, user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(t.id).bind(user_id).bind(&t.name).bind(token_hash).bind(t.created_at.0)
                .execute(&mut *tx).await?;
            insert_event!(&mut *tx, &NewEvent {
                tenant_id: None, kind: kind::TOKEN_CREATED, subject_id: Some(t.id),
                actor_id: Some(user_id), payload: json!({"name": t.name}),
            });
            tx.commit().await?;
        });
        self.notify_committed();
        Ok(t)
    }

    pub async fn api_tokens(&self, user_id: Uuid) -> Result<Vec<ApiToken>> {
        on_pool!(&self.read, p => {
            let rows = sqlx::query("SELECT id, name, created_at, last_used_at, revoked_at FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC")
                .bind(user_id).fetch_all(p).await?;
            rows.iter().map(|r| Ok(ApiToken {
                id: r.uuid("id")?,
                name: r.text("name")?,
                created_at: r.ts("created_at")?,
                last_used_at: r.opt_int("last_used_at")?.map(Timestamp),
                revoked_at: r.opt_int("revoked_at")?.map(Timestamp),
            })).collect()
        })
    }

    pub async fn revoke_api_token(&self, user_id: Uuid, token_id: Uuid) -> Result<()> {
        let done = on_pool!(&self.write, p => {
            let mut tx = p.begin().await?;
            let n = sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL")
                .bind(Timestamp::now().0).bind(token_id).bind(user_id).execute(&mut *tx).await?.rows_affected();
            if n == 1 {
                insert_event!(&mut *tx, &NewEvent {
                    tenant_id: None, kind: kind::TOKEN_REVOKED, subject_id: Some(token_id),
                    actor_id: Some(user_id), payload: json!({}),
                });
            }
            tx.commit().await?;
            n == 1
        });
        if !done {
            return Err(DomainError::NotFound("token").into());
        }
        self.notify_committed();
        Ok(())
    }

    /// The user behind a live API token. Usage time is recorded at most once a
    /// minute so that token-authenticated traffic does not turn reads into writes.
    pub async fn user_for_token(&self, token_hash: &str) -> Result<Option<User>> {
        let found = on_pool!(&self.read, p => {
            let row = sqlx::query(
                "SELECT u.id, u.email, u.display_name, u.locale, u.platform_admin, u.disabled, u.created_at, t.id AS token_id, t.last_used_at \
                 FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1 AND t.revoked_at IS NULL")
                .bind(token_hash).fetch_optional(p).await?;
            match row {
                None => None,
                Some(r) => Some((user(&r)?, r.uuid("token_id")?, r.opt_int("last_used_at")?)),
            }
        });
        let Some((u, token_id, last_used)) = found else {
            return Ok(None);
        };
        let now = Timestamp::now();
        if last_used.is_none_or(|t| now.0 - t > 60_000_000) {
            on_pool!(&self.write, p => {
                sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                    .bind(now.0).bind(token_id).execute(p).await?;
            });
        }
        Ok(Some(u))
    }
}
