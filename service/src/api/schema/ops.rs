//! Day-to-day operations: who am I, and what would this cron expression do.
//! Alerts have their own file, [`super::alerts`].

use async_graphql::{Context, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::{datetime, state};
use crate::actions;
use crate::api::auth::Principal;
use crate::api::errors::{ApiError, IntoGql};

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
}
