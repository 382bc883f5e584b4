//! The supervisor board: backlog by team, status and channel, and who is
//! working on what. One view model serves the API and the page.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::Json;
use plateau_core::model::{Channel, Role, Status, Tier};
use plateau_core::policy::Action;
use plateau_core::Timestamp;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::tenant_for;
use crate::auth::CurrentUser;
use crate::error::WebError;
use crate::AppState;

#[derive(Debug, Clone, Serialize, ToSchema, Default)]
pub struct StatusCounts {
    pub new: i64,
    pub open: i64,
    pub pending: i64,
}

impl StatusCounts {
    fn add(&mut self, s: Status, n: i64) {
        match s {
            Status::New => self.new += n,
            Status::Open => self.open += n,
            Status::Pending => self.pending += n,
            Status::Resolved | Status::Closed => {}
        }
    }

    pub fn total(&self) -> i64 {
        self.new + self.open + self.pending
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TeamBacklog {
    pub team_id: Option<Uuid>,
    pub name: String,
    pub tier: Option<Tier>,
    pub counts: StatusCounts,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChannelBacklog {
    pub channel: Channel,
    pub counts: StatusCounts,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AdvisorLoad {
    pub user_id: Uuid,
    pub name: String,
    pub role: Role,
    pub team: Option<String>,
    pub active: i64,
    #[schema(value_type = Option<String>)]
    pub oldest_update: Option<Timestamp>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BoardView {
    pub total_active: i64,
    pub unassigned_active: i64,
    /// Creation time of the oldest conversation nobody has touched yet.
    #[schema(value_type = Option<String>)]
    pub oldest_new: Option<Timestamp>,
    pub by_team: Vec<TeamBacklog>,
    pub by_channel: Vec<ChannelBacklog>,
    /// Working members, busiest first; those with nothing active are listed too.
    pub advisors: Vec<AdvisorLoad>,
}

pub async fn board_view(state: &AppState, tenant_id: Uuid) -> Result<BoardView, WebError> {
    let b = state.store.board(tenant_id).await?;
    let teams = state.store.teams(tenant_id).await?;
    let members = state.store.members(tenant_id).await?;

    let mut by_team: BTreeMap<Option<Uuid>, StatusCounts> = BTreeMap::new();
    for t in &teams {
        by_team.insert(Some(t.id), StatusCounts::default());
    }
    for (team, status, n) in &b.by_team {
        by_team.entry(*team).or_default().add(*status, *n);
    }
    let mut team_rows: Vec<TeamBacklog> = by_team
        .into_iter()
        .map(|(id, counts)| {
            let team = id.and_then(|id| teams.iter().find(|t| t.id == id));
            TeamBacklog {
                team_id: id,
                name: team.map(|t| t.name.clone()).unwrap_or_default(),
                tier: team.map(|t| t.tier),
                counts,
            }
        })
        .collect();
    team_rows.sort_by(|a, b| {
        (a.tier.map(|t| t as u8), &a.name).cmp(&(b.tier.map(|t| t as u8), &b.name))
    });

    let mut by_channel: BTreeMap<&'static str, (Channel, StatusCounts)> = BTreeMap::new();
    for ch in Channel::ALL {
        by_channel.insert(ch.as_str(), (*ch, StatusCounts::default()));
    }
    for (ch, status, n) in &b.by_channel {
        by_channel
            .entry(ch.as_str())
            .or_insert((*ch, StatusCounts::default()))
            .1
            .add(*status, *n);
    }

    let mut advisors: Vec<AdvisorLoad> = members
        .iter()
        .filter(|m| m.role != Role::ClientViewer)
        .map(|m| {
            let load = b.by_assignee.iter().find(|(id, _, _)| *id == m.user.id);
            AdvisorLoad {
                user_id: m.user.id,
                name: m.user.display_name.clone(),
                role: m.role,
                team: m
                    .team_id
                    .and_then(|id| teams.iter().find(|t| t.id == id))
                    .map(|t| t.name.clone()),
                active: load.map(|l| l.1).unwrap_or(0),
                oldest_update: load.map(|l| l.2),
            }
        })
        .collect();
    advisors.sort_by(|a, b| b.active.cmp(&a.active).then_with(|| a.name.cmp(&b.name)));

    let total_active = b.by_channel.iter().map(|x| x.2).sum();
    Ok(BoardView {
        total_active,
        unassigned_active: b.unassigned_active,
        oldest_new: b.oldest_new,
        by_team: team_rows,
        by_channel: by_channel
            .into_values()
            .map(|(channel, counts)| ChannelBacklog { channel, counts })
            .collect(),
        advisors,
    })
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/board", tag = "board", params(("tenant" = String, Path)), responses((status = 200, body = BoardView), (status = 403, body = crate::error::Problem)))]
pub async fn board(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
) -> Result<Json<BoardView>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::ViewBoard).await?;
    Ok(Json(board_view(&state, t.id).await?))
}
