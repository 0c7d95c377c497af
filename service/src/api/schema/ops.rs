//! Day-to-day operations: who am I, what would this cron expression do, and
//! alerts. Alert rules and delivery arrive with the alerting issue; until then
//! the types are real and the lists are empty (there is nothing to show), and
//! acknowledging an alert finds none.

use async_graphql::{Context, Enum, InputObject, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};

use super::{datetime, page_complexity, state};
use crate::actions;
use crate::api::audit::mutation;
use crate::api::auth::{Principal, Role};
use crate::api::connection::{connection, page};
use crate::api::errors::{ApiError, IntoGql};

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum AlertSeverity {
    Info,
    Warning,
    Critical,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum AlertStatus {
    Firing,
    Acknowledged,
    Resolved,
}

#[derive(SimpleObject, Clone)]
pub struct Alert {
    pub id: ID,
    pub rule_id: Option<ID>,
    pub job_code: Option<String>,
    pub lane: Option<String>,
    pub severity: AlertSeverity,
    pub status: AlertStatus,
    pub message: String,
    pub fired_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub acknowledged_by: Option<String>,
}

connection!(AlertConnection, AlertEdge, Alert);

#[derive(SimpleObject, Clone)]
pub struct AlertRule {
    pub id: ID,
    pub name: String,
    /// What fires it, e.g. `job_failed`, `lane_backlog`, `job_late`.
    pub condition: String,
    pub severity: AlertSeverity,
    pub enabled: bool,
    pub job_codes: Option<Vec<String>>,
    pub lane: Option<String>,
}

#[derive(InputObject, Default)]
pub struct AlertFilter {
    pub statuses: Option<Vec<AlertStatus>>,
    pub severities: Option<Vec<AlertSeverity>>,
    pub job_code: Option<String>,
}

#[derive(SimpleObject)]
pub struct CronPreview {
    pub expression: String,
    /// The zone the fire times were computed in.
    pub timezone: String,
    pub next_runs: Vec<DateTime<Utc>>,
    pub warnings: Vec<String>,
}

/// The caller, as the token says.
#[derive(SimpleObject)]
pub struct Me {
    pub subject: String,
    pub role: String,
}

#[derive(Default)]
pub struct OpsQuery;

#[Object]
impl OpsQuery {
    /// Who this token belongs to and what it may do.
    async fn me(&self, ctx: &Context<'_>) -> async_graphql::Result<Me> {
        let p = ctx.data_opt::<Principal>().ok_or_else(|| ApiError::Unauthenticated(crate::api::auth::AuthError::Missing));
        let p = p.gql()?;
        Ok(Me { subject: p.subject.clone(), role: p.role.as_str().to_string() })
    }

    /// The next fire times of a cron expression, and its warnings. Invalid
    /// expressions fail with BAD_USER_INPUT naming what is wrong.
    async fn cron_preview(
        &self,
        ctx: &Context<'_>,
        expression: String,
        timezone: Option<String>,
        #[graphql(default = 10)] count: i32,
    ) -> async_graphql::Result<CronPreview> {
        let p = actions::cron_preview(&state(ctx).actions(), &expression, timezone.as_deref(), count).gql()?;
        Ok(CronPreview { expression: p.expression, timezone: p.timezone, next_runs: p.next.into_iter().map(datetime).collect(), warnings: p.warnings })
    }

    /// Alerts, newest first. Populated once alerting lands; empty until then.
    #[graphql(complexity = "page_complexity(first, child_complexity)")]
    async fn alerts(
        &self,
        filter: Option<AlertFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<AlertConnection> {
        let _ = filter;
        let page = page(first, after.as_deref()).gql()?;
        Ok(AlertConnection::new(Vec::new(), page, 0))
    }

    /// Alert rules. Populated once alerting lands; empty until then.
    async fn alert_rules(&self) -> Vec<AlertRule> {
        Vec::new()
    }
}

#[derive(Default)]
pub struct OpsMutation;

#[Object]
impl OpsMutation {
    /// Acknowledges a firing alert (operator). Until alerting lands there are
    /// no alerts, so this answers NOT_FOUND.
    async fn acknowledge_alert(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Alert> {
        mutation(ctx, Role::Operator, |_| async move { Err(ApiError::NotFound(format!("alert {}", id.as_str()))) }).await
    }
}
